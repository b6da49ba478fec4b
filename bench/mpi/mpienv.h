/*
** mpienv.h: sharebench under an MPI launcher (Open MPI's mpirun, or Slurm's
** srun): whether this process was started by one, starting and ending MPI,
** this process's rank and node, and the threads each rank should use.
**
** MPI is optional: `make MPI=1` builds with mpicc and defines SB_MPI; without
** it these functions still detect a launcher (so that a binary built without
** MPI refuses to be started as many copies that would each run everything)
** and sb_mpi_start says how to build with MPI. MPI is started only when a
** launcher started the process, so the same binary without mpirun behaves as
** one built without MPI. Only bench/ uses this: the engine knows nothing of MPI.
*/
#ifndef SB_MPIENV_H
#define SB_MPIENV_H

#include <stddef.h>

/* 1 when this sharebench was built with MPI (make MPI=1). */
int sb_mpi_built(void);

/* 1 when an MPI launcher started this process: the variables Open MPI's
** mpirun (OMPI_COMM_WORLD_SIZE), PMIx (PMIX_RANK) or PMI (PMI_RANK) set for
** each process it starts. */
int sb_mpi_launched(void);

/* The number of processes the launcher started, from the same variables
** (Slurm's SLURM_STEP_NUM_TASKS under srun with PMIx), before MPI starts;
** 0 when not launched, -1 when launched but the number is not in the
** environment. */
int sb_mpi_launched_size(void);

/* This process's rank from the same variables, before MPI starts; 0 when
** not launched or not given. */
int sb_mpi_launched_rank(void);

/* Start MPI (once; later calls do nothing). Returns 0, or -1 with a message
** (built without MPI: which make command builds it). */
int sb_mpi_start(char *err, size_t errlen);

/* End MPI if it was started (every rank must call it). */
void sb_mpi_finish(void);

/* This process's rank and the number of ranks (0 and 1 when MPI is not
** started), and the node's name. */
int sb_mpi_rank(void);
int sb_mpi_size(void);
const char *sb_mpi_host(void);

/* Threads for each rank on this node when the user gives none: the cores
** this process may run on (its affinity: mpirun binds ranks to cores or
** sockets, Slurm to --cpus-per-task), but no more than the node's cores
** divided among the ranks on it, and at least 1. */
int sb_mpi_threads_per_rank(void);

/* End every rank of the job with this exit status (a rank that cannot go on
** while the others wait for it). Does not return. */
void sb_mpi_abort(int status) __attribute__((noreturn));

#endif
