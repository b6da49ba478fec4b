/*
** flops.h: analytic floating-point operations per token of a configuration,
** for training and for inference, counting what the engine computes under
** its sharing, so that modes that trade parameters for compute (looped
** depth, per-depth corrections) can be compared at equal compute.
**
** Convention (Kaplan et al. 2020, "Scaling Laws for Neural Language Models",
** arXiv 2001.08361, section 2.1): a multiply-add is 2 FLOPs; matrix products
** and the attention's two products are counted, elementwise work (LayerNorm,
** GELU, softmax, residuals, biases, input injection) is not; the backward is
** twice the forward (the input gradient and the weight gradient of every
** product). What the sharing changes is counted as the engine computes it:
** keys and values only at the depths that produce them (kv_share, v_share, yoco), queries,
** keys and scores only where a depth computes its attention map (attn_reuse), rank-R
** products for factorised matrices (factor), and each depth's weights built
** once a forward from its block (lowrank: B_l A_l; hyper: the hypernetwork
** and the modulation), shared by the B x T tokens of that forward. Attention
** counts the keys each query sees: (T + 1) / 2 on average under a causal
** mask, T otherwise, and at a depth with a sliding window of W < T keys
** (yoco:W) (W (W + 1) / 2 + (T - W) W) / T. A routed model (mor) is counted
** as the engine runs it, every recursion for every token, plus its router;
** sb_flops_routed counts what the routing needs. The Universal Transformer's
** halting (act) goes on transforming halted tokens, as its authors' code
** does: every step for every token, plus the halting unit's 2 C a step.
** Layer-Condensed KV Cache (lckv:W): forward is one pass of every depth,
** what decoding computes (the paper's inference); a training step also runs
** the condensed depths below the top one and the top one's key and value
** products in the m + b - 1 passes before the last (7 + 2 - 1), and
** recomputes and backpropagates the b - 1 graded ones before it (3 times
** their forward), on top of 3 forward; a whole-sequence forward (evaluation)
** is that step's forward part, forward plus m + b - 1 such passes.
*/
#ifndef SB_FLOPS_H
#define SB_FLOPS_H

#include "sharing.h"

typedef struct {
    double forward;   /* one forward (inference) per token: what a forward at B x T, or decoding with the cache, computes */
    double train;     /* one training step (forward and backward) per token */
    double attn;      /* of forward: the attention products (QK^T and the weighted sum), every depth */
    double blocks;    /* of forward: the block matrices (wq, wk, wv, wo, w1, w2) at every depth */
    double weights;   /* of forward: building each depth's weights (lowrank, hyper), per token of a B x T forward */
} sb_flops;

/* FLOPs per token of configuration c under its resolved sharing sh (c's,
** sb_sharing_resolve) at batch B and length T. Returns 0, or -1 with a message
** for B or T below 1 or sh resolved for another configuration. */
int sb_flops_per_token(const sb_config *c, const sb_sharing *sh, int B, int T, sb_flops *f, char *err, size_t errlen);

/* The forward FLOPs per token a routed model (sharing +mor, Mixture-of-Recursions)
** needs, where the engine computes every recursion for every token and masks:
** the core's depths at recursion k count for the fraction active[k] of the
** tokens running it (sb_model_mean_depth's), their attention for active[k]^2
** (those queries against those keys); expert-choice's router of recursion k
** for active[k-1], the tokens it chooses from. Without mor, the forward of
** sb_flops_per_token. Returns 0, or -1 with its message. */
int sb_flops_routed(const sb_config *c, const sb_sharing *sh, int B, int T, const double *active, double *forward, char *err,
                    size_t errlen);

#endif
