/*
** headdiv.h: how different a layer's attention heads are, and how much each
** matters, on a batch the caller chooses:
**
**  - diversity (Clark et al. 2019, clarkkev/attention-analysis head_distances.py):
**    the Jensen-Shannon divergence, natural log (at most ln 2), between two
**    heads' attention distributions for the same query, after smoothing
**    a' = 0.999 a + 0.001/n with n the keys the query can see (t+1 under a
**    causal mask, T otherwise); per layer the mean over the pairs of heads and
**    over the valid queries that see at least two keys. A query that sees
**    one key (the first position of a causal model) attends to it with
**    weight 1 in every head, so its JS is 0 whatever the heads learned;
**    counting it would lower the mean by about 1/T;
**  - entropy: -sum a ln a of a head's distribution (0 ln 0 = 0, unsmoothed),
**    averaged over the same queries (a one-key query's entropy is 0 alike);
**  - importance (Michel et al. 2019): |dL_x/dg_h| at g_h = 1 for a gate g_h on
**    head h's output, L_x the mean loss of example x over its scored
**    positions, the absolute value taken per example, averaged over examples,
**    then normalised per layer by the L2 norm over the layer's heads.
**
** Accumulate over batches with sb_headdiv_add after a forward (with targets)
** and a backward of the model; read the results with sb_headdiv_result.
*/
#ifndef SB_HEADDIV_H
#define SB_HEADDIV_H

#include "core/model.h"

/* Jensen-Shannon divergence (natural log) of distributions p, q of n entries,
** 0 ln 0 = 0: 0 for p = q, ln 2 for disjoint supports. */
double sb_js_divergence(const double *p, const double *q, int n);

/* Clark et al.'s head distance for one query: JS of a, b (n entries each)
** after smoothing each as 0.999 a + 0.001/n. */
double sb_js_smoothed(const real *a, const real *b, int n);

/* Entropy -sum a ln a (natural log) of a distribution of n entries. */
double sb_attn_entropy(const real *a, int n);

typedef struct {
    int N, NH;
    double *js_sum;      /* (N) sum over queries of the mean over head pairs */
    double *ent_sum;     /* (N,NH) sum over queries */
    double *imp_sum;     /* (N,NH) sum over examples of |dL_x/dg| */
    long *queries;       /* (N) valid queries with two or more keys seen */
    long examples;       /* examples with a scored position */
} sb_headdiv;

/* Zeroed accumulators for N layers of NH heads. Returns 0, or -1 when out of memory. */
int sb_headdiv_init(sb_headdiv *h, int N, int NH);
void sb_headdiv_free(sb_headdiv *h);

/* Add the model's last forward and backward over B examples of length T:
** its attention probabilities at the queries where valid (B,T) is nonzero
** (NULL: every position), and its per-example head-gate gradients, with
** targets (B,T) (-1 unscored) the ones that forward used. */
void sb_headdiv_add(sb_headdiv *h, const sb_model *m, const int *targets, const unsigned char *valid, int B, int T);

/* Add layer l's attention probabilities att (B,NH,T,T) (row stride T, row t
** over the keys it sees: 0..t when causal, else 0..T-1) at the queries where
** valid (B,T) is nonzero (NULL: every position) and that see two keys or
** more. sb_headdiv_add calls it for every layer of the model. */
void sb_headdiv_add_attention(sb_headdiv *h, int l, const real *att, const unsigned char *valid, int B, int T, int causal);

/* Per layer: js (N) mean pairwise JS (NAN with one head or no query); per
** layer and head: entropy (N,NH), importance (N,NH) normalised per layer, and
** raw (N,NH) the unnormalised mean |dL_x/dg| (any output may be NULL). */
void sb_headdiv_result(const sb_headdiv *h, double *js, double *entropy, double *importance, double *raw);

#endif
