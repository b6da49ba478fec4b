/*
** layernorm.c: LayerNorm forward and backward (Ba et al. 2016), as in llm.c,
** and the residual add fused with the LayerNorm that follows it.
**
** Rows are independent, so the forward and dx parallelise over rows. The
** weight gradients are sums over rows: each thread sums its own columns in
** row order, so results do not depend on the thread count, and both parts
** run in one parallel region.
*/
#include "ops.h"

/* Normalise one row: y = (x - mean) * rstd * w + b. */
static inline void norm_row(real *restrict y, real *mean, real *rstd, const real *restrict x, const real *w,
                            const real *b, int C, real eps)
{
    real m = 0, v = 0;
    #pragma omp simd reduction(+ : m)
    for (int i = 0; i < C; i++) m += x[i];
    m /= C;
    #pragma omp simd reduction(+ : v)
    for (int i = 0; i < C; i++) { real d = x[i] - m; v += d * d; }
    v /= C;
    real s = 1 / R_SQRT(v + eps);
    #pragma omp simd
    for (int i = 0; i < C; i++) y[i] = (x[i] - m) * s * w[i] + b[i];
    *mean = m;
    *rstd = s;
}

void layernorm_forward(real *y, real *mean, real *rstd, const real *x, const real *w, const real *b,
                       int R, int C, real eps)
{
    #pragma omp parallel for schedule(static) if ((long)R * C >= 1 << 14)
    for (int r = 0; r < R; r++)
        norm_row(y + (long)r * C, mean + r, rstd + r, x + (long)r * C, w, b, C, eps);
}

void residual_layernorm_forward(real *z, real *y, real *mean, real *rstd, const real *x, const real *a,
                                const real *s, const real *w, const real *b, int R, int C, real eps)
{
    #pragma omp parallel for schedule(static) if ((long)R * C >= 1 << 14)
    for (int r = 0; r < R; r++) {
        const real *xr = x + (long)r * C, *ar = a + (long)r * C;
        real *zr = z + (long)r * C;
        if (s) {
            #pragma omp simd
            for (int i = 0; i < C; i++) zr[i] = xr[i] + s[i] * ar[i];
        } else {
            #pragma omp simd
            for (int i = 0; i < C; i++) zr[i] = xr[i] + ar[i];
        }
        norm_row(y + (long)r * C, mean + r, rstd + r, zr, w, b, C, eps);
    }
}

void layernorm_backward(real *dx, real *dw, real *db, const real *dy, const real *x, const real *w,
                        const real *mean, const real *rstd, int R, int C)
{
    #pragma omp parallel if ((long)R * C >= 1 << 14)
    {
        #pragma omp for schedule(static) nowait
        for (int r = 0; r < R; r++) {
            const real *dyr = dy + (long)r * C, *xr = x + (long)r * C;
            real *dxr = dx + (long)r * C;
            real m = mean[r], s = rstd[r], dnorm_mean = 0, dnorm_norm_mean = 0;
            #pragma omp simd reduction(+ : dnorm_mean, dnorm_norm_mean)
            for (int i = 0; i < C; i++) {
                real n = (xr[i] - m) * s, dn = w[i] * dyr[i];
                dnorm_mean += dn;
                dnorm_norm_mean += dn * n;
            }
            dnorm_mean /= C;
            dnorm_norm_mean /= C;
            #pragma omp simd
            for (int i = 0; i < C; i++) {
                real n = (xr[i] - m) * s, dn = w[i] * dyr[i];
                dxr[i] += (dn - dnorm_mean - n * dnorm_norm_mean) * s;
            }
        }
        long lo, hi;
        sb_thread_range(C, &lo, &hi);
        for (int r = 0; r < R; r++) {
            const real *dyr = dy + (long)r * C, *xr = x + (long)r * C;
            real m = mean[r], s = rstd[r];
            #pragma omp simd
            for (long i = lo; i < hi; i++) {
                dw[i] += (xr[i] - m) * s * dyr[i];
                db[i] += dyr[i];
            }
        }
    }
}
