/*
** untie.h: which depths of a shared model to untie, from measurements of the
** model itself at the untie point (the fine-tuning runner's untie_by=grad or
** heads, in place of untie:K's last K depths).
**
**  - grad: each depth's relative gradient norm on the fine-tuning data,
**    |G_l| / |theta_l|, after Lee et al. 2023 ("Surgical Fine-Tuning Improves
**    Adaptation to Distribution Shifts", ICLR, arXiv 2210.11466), whose
**    Auto-RGN ranks layers by it to choose where to fine-tune. G_l is depth
**    l's own contribution to the gradient of the blocks it uses (attention,
**    keys and values, feed-forward), the mean over n sequences of each
**    sequence's gradient of its mean loss (the per-depth tracking of
**    gradnoise.h), and theta_l those blocks' parameters, over the same
**    tensors (the key bias, whose gradient is zero by construction, left
**    out of both). Within one shared block the denominator is common, so
**    the ranking is that of |G_l|; across blocks (cycle:K) it weighs each
**    depth's pull against its block's size.
**  - heads: the summed importance of a depth's heads, Michel et al. 2019
**    ("Are Sixteen Heads Really Better than One?", NeurIPS, arXiv
**    1905.10650): I_h = mean over examples x of |dL_x/dg_h| for a gate g_h = 1
**    on head h's output (headdiv.h), summed over the depth's heads, without
**    the per-layer normalisation Michel et al. apply to prune across layers
**    (it would make every depth's sum alike).
**
** Only depths whose block is used at another depth can be untied; the K
** with the largest scores among them are chosen, ties to the deeper depth
** (as untie:K's last K).
*/
#ifndef SB_UNTIE_H
#define SB_UNTIE_H

#include "core/model.h"

/* The k depths with the largest score[l] among those with shared[l] (sb_sharing_shared_depths; NAN
** lowest, ties to the deeper), into depths[k] in ascending order. Returns 0,
** or -1 when fewer than k depths share. */
int sb_untie_choose(const double *score, const int *shared, int n, int k, int *depths);

/* Relative gradient norms score[N] of m's depths on n sequences tokens,
** types (may be NULL), targets (n,T), T at most m's length. Measured on a
** tracking copy of m (batch 1, made and freed here); m is not changed.
** Returns 0, or -1 with a message (out of memory, fewer than 2 sequences
** with a scored position, a non-finite loss). */
int sb_untie_grad_scores(const sb_model *m, const int *tokens, const int *types, const int *targets, int n, int T, double *score,
                         char *err, size_t errlen);

/* Summed head importance score[N] of m's depths on n examples (n,T), in
** batches of m's capacity. m's activations and gradient buffers are
** overwritten, its parameters are not. Returns 0, or -1 with a message. */
int sb_untie_head_scores(sb_model *m, const int *tokens, const int *types, const int *targets, int n, int T, double *score,
                         char *err, size_t errlen);

#endif
