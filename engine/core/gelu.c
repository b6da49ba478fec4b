/*
** gelu.c: GELU with the tanh approximation (Hendrycks & Gimpel), the form
** GPT-2 and llm.c use; PyTorch's F.gelu(x, approximate='tanh').
**
** tanh is glibc's vector tanh (libmvec, declared in real.h), so the loops run
** eight or sixteen lanes wide: the scalar tanhf took a quarter of a small
** model's training step. The forward also adds the preceding layer's bias,
** saving a pass over the widest activation of the step.
*/
#include "ops.h"

#define GELU_SCALE 0.7978845608028654 /* sqrt(2/pi) */

static inline real gelu(real v)
{
    real cube = (real)0.044715 * v * v * v;
    return (real)0.5 * v * (1 + R_TANH((real)GELU_SCALE * (v + cube)));
}

void gelu_forward(real *restrict y, const real *restrict x, long N)
{
    #pragma omp parallel for simd schedule(static) if (N >= 1 << 14)
    for (long i = 0; i < N; i++) y[i] = gelu(x[i]);
}

void bias_gelu_forward(real *restrict y, real *restrict x, const real *restrict b, int R, int F)
{
    #pragma omp parallel for schedule(static) if ((long)R * F >= 1 << 14)
    for (int r = 0; r < R; r++) {
        real *xr = x + (long)r * F, *yr = y + (long)r * F;
        #pragma omp simd
        for (int i = 0; i < F; i++) {
            real v = xr[i] + b[i];
            xr[i] = v;
            yr[i] = gelu(v);
        }
    }
}

void gelu_backward(real *dx, const real *restrict x, const real *dy, long N)
{
    #pragma omp parallel for simd schedule(static) if (N >= 1 << 14)
    for (long i = 0; i < N; i++) {
        real v = x[i], cube = (real)0.044715 * v * v * v;
        real t = R_TANH((real)GELU_SCALE * (v + cube));
        real sech2 = 1 - t * t;
        real g = (real)0.5 * (1 + t) + (real)0.5 * v * sech2 * (real)GELU_SCALE * (1 + (real)3 * (real)0.044715 * v * v);
        dx[i] = g * dy[i];
    }
}
