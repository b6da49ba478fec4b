/*
** loops.h: a looped model (sharing=loop:P,K,C) trained with the number of
** loops drawn again at every step (train_loops=sampled), as Geiping et al.
** 2025 ("Scaling up Test-Time Compute with Latent Reasoning", arXiv
** 2502.05171) train theirs. Their code (recpre, randomized_iteration_sampler)
** draws rate ~ LogNormal(log r - sigma^2/2, sigma) with sigma = 1/2 and r the
** mean recurrence, then p = Poisson(rate) + 1 loops; here r is the loops the
** model was configured with, p is capped at 3 r (the bound of their
** poisson-lognormal variant; it keeps the models built for the draws few),
** and gradients go through every loop (they truncate the backward to the
** last loops: at this scale there is no need).
**
** The step's model is the trained one looped p times: the same blocks at
** P + K p + C depths, built once per p and given the trained model's
** parameters before its step; the parameters come back after.
*/
#ifndef SB_LOOPS_H
#define SB_LOOPS_H

#include "core/model.h"
#include <stdint.h>

typedef struct sb_loops sb_loops;

/* A sampler for m, a looped model without per-depth tensors, for batches of B
** sequences of up to T tokens, drawing from seed. NULL with a message. */
sb_loops *sb_loops_new(sb_model *m, int B, int T, uint64_t seed, char *err, size_t errlen);
void sb_loops_free(sb_loops *l);

/* One draw of the loops (Geiping et al.'s sampler above) for mean loops r. */
int sb_loops_draw(sb_loops *l, int r);

/* The model for this step: the loops drawn (*loops), and m itself or m looped
** that many times holding m's parameters. NULL with a message. */
sb_model *sb_loops_step(sb_loops *l, int *loops, char *err, size_t errlen);

/* After the step on the model sb_loops_step gave: its parameters into m. */
void sb_loops_done(sb_loops *l, sb_model *stepped);

#endif
