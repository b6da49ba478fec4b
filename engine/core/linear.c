/*
** linear.c: dense layers through BLAS. Weights are (out, in) as in PyTorch,
** so y = x W^T is one GEMM with the weight transposed in place, no copies.
** A few rows (decoding one token per sequence) go through GEMV instead:
** OpenBLAS's GEMM packs the whole weight first, which doubles the memory
** traffic of what is then a bandwidth-bound product.
*/
#include "ops.h"
#include <string.h>

/* Up to this many rows, one GEMV per row beats GEMM's packing of the weight. */
#define GEMV_ROWS 4

void linear_forward(real *y, const real *x, const real *w, const real *b, int R, int I, int O)
{
    if (R <= GEMV_ROWS) {
        for (int r = 0; r < R; r++) {
            real *yr = y + (long)r * O;
            if (b) memcpy(yr, b, sizeof(real) * O);
            sb_gemv(O, I, w, x + (long)r * I, b ? 1 : 0, yr);
        }
        return;
    }
    if (b) {
        #pragma omp parallel for schedule(static) if ((long)R * O >= 1 << 15)
        for (int r = 0; r < R; r++) memcpy(y + (long)r * O, b, sizeof(real) * O);
    }
    sb_gemm('N', 'T', R, O, I, 1, x, I, w, I, b ? 1 : 0, y, O);
}

/* db (O) += dy (R,O) summed over rows; each thread sums its own columns in
** row order, so the bits are the same on any thread count. */
static void bias_backward(real *db, const real *dy, int R, int O)
{
    #pragma omp parallel if ((long)R * O >= 1 << 15)
    {
        long lo, hi;
        sb_thread_range(O, &lo, &hi);
        for (int r = 0; r < R; r++) {
            const real *row = dy + (long)r * O;
            #pragma omp simd
            for (long o = lo; o < hi; o++) db[o] += row[o];
        }
    }
}

void linear_backward(real *dx, real dx_beta, real *dw, real *db, const real *dy, const real *x, const real *w,
                     int R, int I, int O)
{
    if (dx) sb_gemm('N', 'N', R, I, O, 1, dy, O, w, I, dx_beta, dx, I);
    if (dw) sb_gemm('T', 'N', O, I, R, 1, dy, O, x, I, 1, dw, I);
    if (db) bias_backward(db, dy, R, O);
}

void axpy(real *y, const real *a, real s, long N)
{
    /* called per row in places (thousands of times a step): a short vector
    ** must not even enter OpenMP, which an if() clause still does */
    if (N < 1 << 15) {
        #pragma omp simd
        for (long i = 0; i < N; i++) y[i] += s * a[i];
        return;
    }
    #pragma omp parallel for simd schedule(static)
    for (long i = 0; i < N; i++) y[i] += s * a[i];
}
