/*
** ops.h: the engine's operations, each a _forward/_backward pair.
**
** Shapes are written as in llm.c: B batch, T time, C width, NH query heads,
** G key/value heads, hd head width, V vocabulary, R rows (= B*T). Backwards
** *accumulate* (+=) into parameter gradients, so a shared weight sums its
** uses, and into input gradients, so residual paths sum, except where a
** backward says it overwrites: a fresh scratch gradient then needs no
** zeroing pass. No operation allocates.
*/
#ifndef SB_OPS_H
#define SB_OPS_H

#include "real.h"
#include <omp.h>

/* This thread's share [lo, hi) of n columns inside a parallel region (all of
** them outside one). Column sums over rows split this way are summed in row
** order whatever the thread count, so they are the same bits on any. The
** shares are whole runs of 16 columns (a cache line of floats), so that two
** threads adding into neighbouring columns row after row do not write one
** line (with 16 threads and 128 columns, every line was written by two). */
static inline void sb_thread_range(long n, long *lo, long *hi)
{
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    long runs = (n + 15) / 16;
    *lo = runs * t / nt * 16;
    *hi = runs * (t + 1) / nt * 16;
    if (*lo > n) *lo = n;
    if (*hi > n) *hi = n;
}

/* layernorm.c: y = (x - mean) * rstd * w + b over the last axis.
** x,y (R,C); w,b (C); mean,rstd (R). */
void layernorm_forward(real *y, real *mean, real *rstd, const real *x, const real *w, const real *b,
                       int R, int C, real eps);
/* The residual add and the LayerNorm after it in one pass over the rows:
** z = x + s * a (s per channel, or 1 when NULL), then y = LayerNorm(z). */
void residual_layernorm_forward(real *z, real *y, real *mean, real *rstd, const real *x, const real *a,
                                const real *s, const real *w, const real *b, int R, int C, real eps);
void layernorm_backward(real *dx, real *dw, real *db, const real *dy, const real *x, const real *w,
                        const real *mean, const real *rstd, int R, int C);

/* linear.c: y = x W^T + b, PyTorch's layout. x (R,I), W (O,I), b (O) or NULL, y (R,O). */
void linear_forward(real *y, const real *x, const real *w, const real *b, int R, int I, int O);
/* dx (R,I) = dy W + dx_beta * dx: 1 adds to what dx holds, 0 overwrites it;
** dx may be NULL when the input needs no gradient. dw (or NULL, when the
** weight gradient is left for later) += dy^T x; db (or NULL) += dy summed
** over rows. */
void linear_backward(real *dx, real dx_beta, real *dw, real *db, const real *dy, const real *x, const real *w,
                     int R, int I, int O);

/* gelu.c: GELU, tanh approximation (GPT-2's, PyTorch approximate='tanh'). x,y (N). */
void gelu_forward(real *y, const real *x, long N);
/* x (R,F) += b (F) in place (the preceding layer's bias), then y = GELU(x). */
void bias_gelu_forward(real *y, real *x, const real *b, int R, int F);
/* dx = GELU'(x) * dy, overwriting; dx may be dy (in place). */
void gelu_backward(real *dx, const real *x, const real *dy, long N);

/* rope.c: rotary position embedding (half-split, as GPT-NeoX and LLaMA), in place.
** x (B,T,H,hd) with row stride `stride`; cos,sin (P,hd/2); positions start at pos0. */
void rope_forward(real *x, const real *cos, const real *sin, int B, int T, int H, int hd, int stride, int pos0);
void rope_backward(real *dx, const real *cos, const real *sin, int B, int T, int H, int hd, int stride, int pos0);

/* attention.c: scaled dot-product attention with G key/value heads; query head h
** uses group h*G/NH (Ainslie et al. 2023). q (B,T,NH*hd), k,v (B,Tk,G*hd),
** bias (NH,T,Tk) additive or NULL, att (B,NH,T,Tk) probabilities, out (B,T,NH*hd).
** causal masks key j > i + (Tk - T), so one query against a cache works too;
** window > 0 (with causal) also masks j <= i + (Tk - T) - window: a sliding window of that many keys.
** kbias (B,Tk), when not NULL, is added to every query's score of each key: a key mask per sequence (mor's tokens
** sitting a recursion out, -1e30). */
void attention_forward(real *out, real *att, const real *q, const real *k, const real *v, const real *bias,
                       const real *kbias, int B, int T, int Tk, int NH, int G, int hd, int causal, int window);
/* dq is overwritten; dk, dv accumulate (query heads of a group, depths sharing
** keys and values). datt (B,NH,T,T) is scratch, left holding dL/dscores (before scaling). dbias (NH,T,T)
** gets the bias gradient summed over the batch when not NULL. gate (B,NH) gets
** dL/dg_h for a per-head gate g_h = 1 on the head's output, when not NULL.
** dp_in (B,NH,T,T), when not NULL, is added to dL/dP, the probabilities' gradient, before the softmax's backward: the share
** of the depths that reuse this map (attn_reuse). */
void attention_backward(real *dq, real *dk, real *dv, real *datt, real *dbias, real *gate,
                        const real *dout, const real *att, const real *q, const real *k, const real *v,
                        const real *out, const real *dp_in, int B, int T, int NH, int G, int hd, int causal, int window);
/* Another depth's attention map applied to this depth's values (attn_reuse, Xiao et al. 2019): out = att v per
** query head, att (B,NH,T,Tk) as attention_forward wrote it (masked entries 0). */
void attention_reuse_forward(real *out, const real *att, const real *v, int B, int T, int Tk, int NH, int G, int hd);
/* Its backward: dv += att^T dout; dp (B,NH,T,T) = beta dp + dout v^T, the map's gradient, added by the depth that
** computed the map (attention_backward's dp_in); gate as attention_backward's. */
void attention_reuse_backward(real *dv, real *dp, real beta, real *gate, const real *dout, const real *att, const real *v,
                              const real *out, int B, int T, int NH, int G, int hd);

/* crossentropy.c: softmax cross-entropy over V classes at rows whose target is >= 0.
** logits (R,V) are replaced by probabilities; losses (R) (0 where unscored).
** Returns the mean loss over scored rows and sets *count. */
double crossentropy_forward(real *probs_from_logits, real *losses, const int *targets, int R, int V, int *count);
/* dlogits (R,V) = (probs - onehot) * scale at scored rows, 0 elsewhere (overwrites). */
void crossentropy_backward(real *dlogits, const real *probs, const int *targets, int R, int V, real scale);

/* Add a to y elementwise: y (N) += s * a (N). */
void axpy(real *y, const real *a, real s, long N);

#endif
