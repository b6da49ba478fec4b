/*
** rope.c: rotary position embedding (Su et al. 2021) in the half-split form of
** GPT-NeoX and LLaMA: the pair (x[i], x[i+hd/2]) is rotated by pos * theta_i,
** theta_i = base^(-2i/hd). The backward is the rotation by the opposite angle.
*/
#include "ops.h"

static void rotate(real *x, const real *cos, const real *sin, int B, int T, int H, int hd, int stride,
                   int pos0, real sign)
{
    int half = hd / 2;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const real *c = cos + (long)(pos0 + t) * half, *s = sin + (long)(pos0 + t) * half;
            for (int h = 0; h < H; h++) {
                real *v = x + ((long)b * T + t) * stride + h * hd;
                for (int i = 0; i < half; i++) {
                    real a = v[i], z = v[i + half];
                    v[i] = a * c[i] - sign * z * s[i];
                    v[i + half] = z * c[i] + sign * a * s[i];
                }
            }
        }
}

void rope_forward(real *x, const real *cos, const real *sin, int B, int T, int H, int hd, int stride, int pos0)
{
    rotate(x, cos, sin, B, T, H, hd, stride, pos0, 1);
}

void rope_backward(real *dx, const real *cos, const real *sin, int B, int T, int H, int hd, int stride, int pos0)
{
    rotate(dx, cos, sin, B, T, H, hd, stride, pos0, -1);
}
