/*
** calib.c: the GEMM calibration behind calib.h.
*/
#include "calib.h"
#include "clock.h"
#include "stats/stats.h"
#include <stdlib.h>
#include <cblas.h>

double sb_gemm_gflops(void)
{
    enum { N = 256, REPS = 9 };
    float *a = malloc(sizeof(float) * N * N * 3);
    if (!a) return 0;
    float *b = a + N * N, *c = b + N * N;
    for (int i = 0; i < 2 * N * N; i++) a[i] = (float)((i * 7919) % 101) / 101.0f;
    double t[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = sb_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1, a, N, b, N, 0, c, N);
        t[r] = sb_now() - t0;
    }
    free(a);
    return 2.0 * N * N * N / sb_stats_median(t, REPS) / 1e9;
}
