/*
** mpi_sweep.h: `sharebench sweep FILE` under mpirun or srun: the cells spread
** over the ranks of the MPI job with dynamic scheduling, rank 0 the only
** writer of the database.
**
** Every rank reads the sweep file and checks every cell (sweep.c), then the
** ranks compare their cells (the file must be the same on every node). Rank 0
** opens the database, finds the cells to run (--resume skips the done ones)
** and hands them out one at a time: a rank that finishes a cell sends its run
** and gets the next, so unequal cells balance. Every rank, rank 0 included,
** runs its cells one at a time, each in a fresh sharebench process (the rank
** itself only schedules and communicates, and a crash or a leak stays in its
** cell, as in a local sweep); the cell's process hands its run back through
** a pipe, and rank 0 stores each run in one transaction when it arrives.
**
** A rank that dies: without Open MPI's --enable-recovery, mpirun ends the
** whole job; the runs stored so far are whole, and `--resume` runs the rest.
** With --enable-recovery, the others go on: ranks send rank 0 a sign of life
** while their cells run, and a rank silent for --rank-timeout seconds is
** declared lost: its cell is reported missing (the next --resume runs it) and
** the remaining cells go to the other ranks. Then rank 0 ends the job with
** MPI_Abort, since MPI_Finalize would wait for the lost rank forever.
*/
#ifndef SB_MPI_SWEEP_H
#define SB_MPI_SWEEP_H

#include "spec/grid.h"
#include "spec/spec.h"

typedef struct {
    const sb_grid *grid;
    const sb_spec *cells;   /* every cell, checked */
    long n;
    const char *file, *db;
    int resume, threads;    /* threads per cell; 0: sb_mpi_threads_per_rank() */
    double rank_timeout;    /* seconds of silence before a rank is lost */
    int argc;               /* the sweep's own arguments (from "sweep"), */
    char **argv;            /* which each cell's process is started with */
} sb_mpi_sweep_args;

/* Run the sweep across the ranks of the MPI job (every rank calls it).
** Returns the exit status: 0 every cell finished or diverged, 1 a cell failed
** or was lost, 2 bad input or an unusable database. */
int sb_mpi_sweep(const sb_mpi_sweep_args *a);

/* In a cell's process (`sweep --cell-child CELL:THREADS`, started by a rank):
** run cell CELL of g on THREADS threads and write the run, packed
** (sb_run_pack), to file descriptor 3. Returns the exit status the rank reads:
** 0 finished, 3 diverged, 1 failed (the run says why), 2 bad arguments. */
int sb_mpi_sweep_cell(const sb_grid *g, const char *cell_threads);

#endif
