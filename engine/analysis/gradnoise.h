/*
** gradnoise.h: gradient noise statistics from per-sequence gradients
** per depth position, per unique block
** and for the whole model:
**
**  - McCandlish et al. (2018, arXiv 1812.06162) two-batch estimator, with
**    E|G_B|^2 = |G|^2 + tr(S)/B:
**      |G|^2 ~ (B_big |G_big|^2 - B_small |G_small|^2) / (B_big - B_small)
**      tr(S) ~ (|G_small|^2 - |G_big|^2) / (1/B_small - 1/B_big)
**    Here the samples are sequences: B_small = 1 (|G_small|^2 is the mean
**    over the n sequences of their gradients' squared norms) and B_big = n
**    (G_big the mean of the n gradients). B_simple = tr(S)/|G|^2; over
**    several measurements the numerators and denominators are averaged
**    separately before dividing (sb_gns_average). Both quantities add over
**    parameters, so a group's value (a block, a depth, the model) is a ratio
**    of sums.
**  - GSNR (Liu et al. 2020, arXiv 2001.07384): per parameter the ratio
**    r = mu^2/sigma^2 of the mean and variance of the per-sample gradients.
**    From n samples with mean m and unbiased sample variance s^2, assuming
**    them independent and Gaussian (then m and s^2 are independent,
**    E[m^2] = mu^2 + sigma^2/n, and (n-1) s^2/sigma^2 is chi-square with
**    n-1 degrees of freedom, so E[1/s^2] = (n-1)/((n-3) sigma^2) for n > 3):
**        r^ = (n-3)/(n-1) m^2/s^2 - 1/n        E[r^] = r   (n >= 4).
**    The plain ratio m^2/s^2 has expectation (n-1)/(n-3) (r + 1/n); removing
**    only the numerator's bias, (m^2 - s^2/n)/s^2, leaves (n-1)/(n-3) r +
**    2/(n(n-3)): 2.1 r at n = 16 and r = 0.01, 53 r at n = 4. r^ has finite
**    variance only from n = 6 (1/s^2 has a second moment above 4 degrees of
**    freedom), so use 8 or more samples; below 4 it is not defined (NAN).
**    Heavier tails than Gaussian pull it below r: one nonzero gradient
**    among n gives -2/(n(n-1)), and a mean near 0 can be negative.
**    A group is summarised by the mean over its parameters, skipping those
**    with zero variance.
**
** Parameters whose gradient is zero whatever the data (sb_grad_zero_by_construction)
** are left out of every group and statistic: what the backward computes for
** them is rounding, and would enter the GSNR as noise.
**
** Per-parameter moments are accumulated in double with Welford's update, so
** a parameter whose gradient never changes has exactly zero variance.
*/
#ifndef SB_GRADNOISE_H
#define SB_GRADNOISE_H

#include "core/model.h"

/* The block kinds a depth draws from. */
enum { SB_GK_ATTN, SB_GK_KV, SB_GK_FFN, SB_GK_COUNT };
/* "attn", "kv", "ffn", indexed by SB_GK_*. */
extern const char *const sb_grad_kind_names[SB_GK_COUNT];

/* The kind (SB_GK_*) of a block tensor, from its name ("attn.0.wq", "kv.1.wk", "ffn.0.ln.w"). */
int sb_grad_kind(const sb_tensor *t);

/* McCandlish et al.'s two-batch estimator: from |G_small|^2 at batch b_small and
** |G_big|^2 at b_big (> b_small), the estimates of |G|^2 and tr(S). */
void sb_gns_two_batch(double small_sq, double big_sq, double b_small, double b_big, double *g2, double *trace);

/* B_simple over several measurements: sum of tr(S) / sum of |G|^2 (NAN when
** the denominator is not positive). */
double sb_gns_average(const double *trace, const double *g2, int points);

/* Per-parameter running mean and sum of squared deviations (Welford) of len
** entries over n samples, in double. */
typedef struct {
    long len;
    int n;
    double *mean, *m2;
} sb_moments;

/* Zeroed moments of len entries. Returns 0, or -1 when out of memory. */
int sb_moments_init(sb_moments *mo, long len);
void sb_moments_free(sb_moments *mo);
/* Fold one sample's gradient x (len entries from offset off) into entries off..off+len-1.
** Call sb_moments_next once per sample, before adding its pieces. */
void sb_moments_next(sb_moments *mo);
void sb_moments_add(sb_moments *mo, long off, const real *x, long len);

/* Statistics of a group of parameters over n samples. */
typedef struct {
    double small_sq;   /* mean over samples of |g_i|^2 (|G_small|^2, B_small = 1) */
    double big_sq;     /* |mean of g_i|^2 (|G_big|^2, B_big = n) */
    double g2;         /* estimate of |G|^2 (can be negative for small n) */
    double trace;      /* estimate of tr(S), the per-sample covariance's trace */
    double bsimple;    /* trace / g2 (NAN when g2 <= 0) */
    double gsnr;       /* mean unbiased GSNR over entries with nonzero variance (NAN: none, or n < 4) */
    long gsnr_n;       /* entries that mean is over */
    long size;         /* entries in the group */
} sb_gradstat;

/* Liu et al.'s GSNR of one parameter estimated without bias (Gaussian
** samples) from n >= 4 samples of mean m and unbiased variance s2 > 0. */
double sb_gsnr_unbiased(double m, double s2, int n);

/* 1 when the gradient of tensor i of m is zero whatever the data: the key
** bias b_k, unless RoPE rotates the keys. A query's scores q.(k_j + b_k) =
** q.k_j + q.b_k move by the same q.b_k for every key j, and softmax is
** shift invariant. (The other biases and every matrix reach the loss: the
** value bias through sum_j a_j (v_j + b_v) = sum_j a_j v_j + b_v, the query
** bias through (q + b_q).k_j, which differs between keys.) */
int sb_grad_zero_by_construction(const sb_model *m, int i);

/* The statistics of entries [off, off+len) of the moments, over a list of
** nr ranges (offs[i], lens[i]); needs n >= 2 samples. */
void sb_gradstat_ranges(const sb_moments *mo, const long *offs, const long *lens, int nr, sb_gradstat *out);

/* Everything measured at one point of training. */
typedef struct {
    int n;                                          /* sequences used */
    int layers;                                     /* N */
    int has[SB_MAX_LAYERS][SB_GK_COUNT];            /* depth l draws from a block of kind K */
    sb_gradstat depth[SB_MAX_LAYERS][SB_GK_COUNT];  /* depth l's contribution to its kind-K block */
    int blocks[SB_GK_COUNT];                        /* unique blocks of each kind */
    sb_gradstat block[SB_GK_COUNT][SB_MAX_LAYERS];  /* the gradient of block b of kind K */
    sb_gradstat model;                              /* every parameter */
} sb_gradnoise;

/* Measure on n sequences tokens/types/targets (n,T) (types may be NULL), one
** sequence at a time (B = 1), each sequence's gradient being that of its mean
** loss over its scored positions. models are nm >= 1 copies of the same
** weights (sb_model_remap), each created with track_depth = 1 (for the
** per-depth contributions to shared blocks), batch >= 1 and length >= T;
** with nm > 1, copy w takes the w-th contiguous share of the sequences on
** its own thread (one parallel region, the engine's loops inside it on one
** thread each) and the moments are combined in order (Chan et al.), so the
** result depends on nm only through rounding. Gradient buffers are
** overwritten, parameters are not. A block's gradient is the model's
** gradient of that block (the sum of the depths' contributions, rescaled as
** grad_scale asks); tensors whose gradient is zero by construction are in
** no statistic. Returns 0, or -1 with a message (fewer than 2 sequences
** with a scored position, a non-finite loss, no tracking, out of memory). */
int sb_gradnoise_measure(sb_model *const *models, int nm, sb_moments *work, const int *tokens, const int *types,
                         const int *targets, int n, int T, sb_gradnoise *out, char *err, size_t errlen);

/* Entries of the moments sb_gradnoise_measure needs for a model: its
** parameters and the per-depth contributions to shared blocks. work, when
** not NULL, is nm moments of at least this length, reused from call to call
** (fresh memory costs page faults and zeroing at every measurement); NULL
** allocates them for the call. */
long sb_gradnoise_len(const sb_model *m);

/* Back to zero samples, keeping the memory (each entry is overwritten by the
** first sample added to it, so every entry read must be added every sample). */
void sb_moments_reset(sb_moments *mo);

/* Fold the moments of b into a (same length): Chan et al.'s pairwise update. */
void sb_moments_merge(sb_moments *a, const sb_moments *b);

#endif
