/*
** adamw.c: AdamW (PyTorch's torch.optim.AdamW semantics: decay p *= 1 - lr*wd
** before the Adam step, bias-corrected moments), global-norm clipping as
** torch.nn.utils.clip_grad_norm_, warmup then cosine decay.
*/
#include "adamw.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>

void sb_adamw_config_default(sb_adamw_config *c)
{
    c->lr = 1e-3f; c->beta1 = 0.9f; c->beta2 = 0.95f; c->eps = 1e-8f;
    c->weight_decay = 0.1f; c->clip = 1.0f; c->warmup = 0; c->steps = 0; c->min_lr_ratio = 0.1f;
}

int sb_adamw_init(sb_adamw *o, const sb_adamw_config *c, long n)
{
    memset(o, 0, sizeof *o);
    o->c = *c;
    o->n = n;
    o->m = calloc((size_t)n, sizeof(real));
    o->v = calloc((size_t)n, sizeof(real));
    if (!o->m || !o->v) { sb_adamw_free(o); return -1; }
    return 0;
}

void sb_adamw_free(sb_adamw *o)
{
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

float sb_adamw_lr(const sb_adamw_config *c, int t)
{
    if (c->warmup > 0 && t < c->warmup) return c->lr * (t + 1) / c->warmup;
    if (c->steps <= c->warmup) return c->lr;
    double p = (double)(t - c->warmup) / (c->steps - c->warmup);
    if (p > 1) p = 1;
    double min = c->lr * c->min_lr_ratio;
    return (float)(min + 0.5 * (c->lr - min) * (1 + cos(M_PI * p)));
}

/* The sum runs over a fixed number of contiguous segments, each summed in
** double (in vector lanes) and the segment sums added in order, so the norm is
** the same bits on any number of threads; the segments run in parallel. */
#define NORM_SEGMENTS 64

double sb_grad_norm(const real *g, long n)
{
    double part[NORM_SEGMENTS];
    long per = (n + NORM_SEGMENTS - 1) / NORM_SEGMENTS;
    #pragma omp parallel for schedule(static) if (n >= 1 << 16)
    for (int s = 0; s < NORM_SEGMENTS; s++) {
        long lo = s * per, hi = lo + per < n ? lo + per : n;
        double acc = 0;
        #pragma omp simd reduction(+ : acc)
        for (long i = lo; i < hi; i++) acc += (double)g[i] * g[i];
        part[s] = acc;
    }
    double total = 0;
    for (int s = 0; s < NORM_SEGMENTS; s++) total += part[s];
    return sqrt(total);
}

double sb_adamw_step(sb_adamw *o, sb_model *m)
{
    real *p = sb_model_params(m), *g = sb_model_grads(m);
    double norm = sb_grad_norm(g, o->n);
    if (!isfinite(norm)) return norm;
    real scale = (o->c.clip > 0 && norm > o->c.clip) ? (real)(o->c.clip / (norm + 1e-6)) : 1;
    float lr = sb_adamw_lr(&o->c, o->t);
    o->t++;
    real b1 = o->c.beta1, b2 = o->c.beta2, eps = o->c.eps;
    /* PyTorch's form: p -= (lr / c1) m / (sqrt(v) / sqrt(c2) + eps), c = 1 - beta^t */
    real step = (real)(lr / (1 - pow(b1, o->t))), inv_sqrt_c2 = (real)(1 / sqrt(1 - pow(b2, o->t)));
    int nt = sb_model_tensor_count(m);
    /* one parallel region for every tensor (no barrier between them): a region
    ** per tensor cost more than the update itself on small models */
    #pragma omp parallel if (o->n >= 1 << 15)
    for (int i = 0; i < nt; i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        real decay = t->decay ? 1 - lr * o->c.weight_decay : 1;
        real *pt = p + t->offset, *gt = g + t->offset, *mt = o->m + t->offset, *vt = o->v + t->offset;
        #pragma omp for simd schedule(static) nowait
        for (long j = 0; j < t->numel; j++) {
            real gr = gt[j] * scale;
            mt[j] = b1 * mt[j] + (1 - b1) * gr;
            vt[j] = b2 * vt[j] + (1 - b2) * gr * gr;
            pt[j] = pt[j] * decay - step * mt[j] / (R_SQRT(vt[j]) * inv_sqrt_c2 + eps);
        }
    }
    return norm;
}
