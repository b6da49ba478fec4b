/*
** dp.h: data-parallel training over MPI ranks (`sharebench run --dp` under
** mpirun or srun).
**
** Every rank builds the same model from the same seed and reads the same
** global batch of B sequences at each step (the batch a single process would
** read); rank r trains on sequences [r B/p, (r+1) B/p). The engine's loss is
** the mean over scored positions, so each rank scales its gradient by its
** slice's share of the batch's scored positions before the ranks sum their
** gradients with MPI_Allreduce: the sum is the gradient of the global batch's
** mean loss, as a single process computes it (to floating-point rounding).
** Only the unique parameters' gradients travel (the engine's gradient buffer,
** reduced in place), so a model that shares layers sends fewer bytes per
** step. Gradient clipping and AdamW then run on every rank on the same sum,
** so the replicas stay identical; they are compared (a hash of the
** parameters) before the first step and after training.
**
** Evaluation, the analyses and the speed measurements run on every rank
** alike on identical models; rank 0 alone writes the database and the
** checkpoint. Recorded (metrics): dp_ranks; dp_grad_bytes_per_step (unique
** parameters x 4 bytes: the gradient each rank contributes to the reduction
** per step) and dp_bytes_per_step (that and the 8-byte loss), averaged over
** the steps (they change only when progressive sharing merges);
** dp_ring_bytes_per_step = 2 (p-1)/p x dp_bytes_per_step, what each rank
** sends over the network in a bandwidth-optimal (ring) allreduce;
** dp_comm_seconds (rank 0's time inside MPI_Allreduce, waiting for slower
** ranks included) and its minimum and maximum over the ranks; series
** dp_comm_ms per step.
*/
#ifndef SB_DP_H
#define SB_DP_H

#include "spec/spec.h"
#include "core/model.h"

/* Rank `rank`'s share of a global batch of B sequences over `ranks` ranks:
** sequences [*first, *first + *count). Returns 0, or -1 with a message naming
** B and the ranks when B is not a multiple of them. */
int sb_dp_slice(int B, int ranks, int rank, int *first, int *count, char *err, size_t errlen);

/* Scored positions (targets >= 0) of rows sequences of T tokens. */
long sb_dp_scored(const int *targets, int rows, int T);

/* Forward and backward on rank's slice of the global batch (B sequences of T
** tokens; B a multiple of ranks), leaving in the model's gradient buffer the
** slice's gradient scaled by its share of the batch's scored positions.
** Summed over the ranks, these gradients are the global batch's, and the
** returned values (the slice's share of the global mean loss) its loss. A
** slice without scored positions contributes zeros. NaN when the slice's loss
** is not finite (the gradient buffer is then left as it was). */
double sb_dp_local_step(sb_model *m, const int *tokens, const int *types, const int *targets, int B, int T,
                        int ranks, int rank);

/* `sharebench run --dp` for a checked spec: train across the ranks of the MPI
** job (one rank when no launcher started this process), store the run from
** rank 0 into db (NULL: not stored). Returns the exit status (0 finished or
** diverged, 1 failed, 2 bad input). */
int sb_dp_run(const sb_spec *s, const char *db, int quiet);

#endif
