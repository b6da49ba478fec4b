/*
** gemm_libs.c: which single-precision matrix-multiply library is fastest at the
** shapes of the engine's training step (S1-S3 of `sharebench bench`), on this
** machine and thread count. Not part of sharebench: a measuring program, built
** by `make gemm-libs` (which installs the libraries), run to decide whether the
** engine should call anything but OpenBLAS, and kept to repeat that decision on
** a new machine.
**
** Every product the step makes with a linear layer, as the engine calls it
** (row-major, weights (out, in)): the forward y = x W^T, the input gradient
** dx = dy W and the weight gradient dW = dy^T x (K = B*T, and K = depths*B*T
** for one block shared by every depth), and the per-head attention products,
** which the engine runs one thread each. Libraries: Debian's OpenBLAS
** (cblas_sgemm), BLIS (bli_sgemm, its OpenMP build), oneDNN (dnnl_sgemm) and
** libxsmm (libxsmm_sgemm_omp, whose large shapes go to the BLAS), OpenBLAS
** threaded by the caller (the output cut into one tile per thread along its
** longer side, each a single-threaded product, in one parallel region), and
** for the weight gradient the sum split over threads (each thread a single-threaded
** OpenBLAS product over its rows, then the partial sums added): the same
** FLOPs, parallel where the output is too small to share among threads.
**
** usage: gemm_libs [THREADS]     prints GFLOP/s per shape and library, and the
** time the step's products take with each library and with the best per shape.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <omp.h>
#include <cblas.h>
#undef I
#include <dnnl.h>
#include <libxsmm.h>
#include <blis.h>

enum { LIB_OPENBLAS, LIB_BLIS, LIB_DNNL, LIB_XSMM, LIB_TILES, LIB_KSPLIT, NLIB };
static const char *const lib_names[NLIB] = { "OpenBLAS", "BLIS", "oneDNN", "libxsmm", "tiles", "K-split" };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* C (M,N) = op(A) op(B), row-major, through library lib. */
static void gemm(int lib, char ta, char tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                 float *C, int ldc, float *part)
{
    float one = 1, zero = 0;
    switch (lib) {
    case LIB_OPENBLAS:
        cblas_sgemm(CblasRowMajor, ta == 'T' ? CblasTrans : CblasNoTrans, tb == 'T' ? CblasTrans : CblasNoTrans, M, N, K, 1,
                    A, lda, B, ldb, 0, C, ldc);
        break;
    case LIB_BLIS:
        bli_sgemm(ta == 'T' ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, tb == 'T' ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, M, N, K,
                  &one, (float *)A, lda, 1, (float *)B, ldb, 1, &zero, C, ldc, 1);
        break;
    case LIB_DNNL:
        dnnl_sgemm(ta, tb, M, N, K, 1, A, lda, B, ldb, 0, C, ldc);
        break;
    case LIB_XSMM: {
        /* column-major: C^T = op(B)^T op(A)^T */
        libxsmm_blasint m = N, n = M, k = K, la = lda, lb = ldb, lc = ldc;
        libxsmm_sgemm_omp(&tb, &ta, &m, &n, &k, &one, B, &lb, A, &la, &zero, C, &lc);
        break;
    }
    case LIB_TILES:
        #pragma omp parallel
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads(), byrow = M >= N, n = byrow ? M : N;
            int lo = n * t / nt / 16 * 16, hi = t + 1 == nt ? n : n * (t + 1) / nt / 16 * 16;
            if (hi > lo && byrow)
                cblas_sgemm(CblasRowMajor, ta == 'T' ? CblasTrans : CblasNoTrans, tb == 'T' ? CblasTrans : CblasNoTrans,
                            hi - lo, N, K, 1, ta == 'T' ? A + lo : A + (size_t)lo * lda, lda, B, ldb, 0, C + (size_t)lo * ldc, ldc);
            else if (hi > lo)
                cblas_sgemm(CblasRowMajor, ta == 'T' ? CblasTrans : CblasNoTrans, tb == 'T' ? CblasTrans : CblasNoTrans,
                            M, hi - lo, K, 1, A, lda, tb == 'T' ? B + (size_t)lo * ldb : B + lo, ldb, 0, C + lo, ldc);
        }
        break;
    case LIB_KSPLIT:
        /* dW (M,N) = A^T B over K rows: each thread its own rows into its own partial sum */
        #pragma omp parallel
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            int lo = K * t / nt, hi = K * (t + 1) / nt;
            float *p = part + (size_t)t * M * N;
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, hi - lo, 1, A + (size_t)lo * lda, lda,
                        B + (size_t)lo * ldb, ldb, 0, p, N);
            #pragma omp barrier
            #pragma omp for schedule(static)
            for (int r = 0; r < M; r++)
                for (int s = 0; s < nt; s++) {
                    const float *q = part + (size_t)s * M * N + (size_t)r * N;
                    float *c = C + (size_t)r * ldc;
                    for (int j = 0; j < N; j++) c[j] = s ? c[j] + q[j] : q[j];
                }
        }
        break;
    }
}

/* Median seconds of one product; single: one thread inside each of `threads`
** concurrent copies, as the engine runs attention (the rate is then per core). */
static double time_gemm(int lib, char ta, char tb, int M, int N, int K, float *buf, float *part)
{
    float *A = buf, *B = A + (size_t)M * K, *C = B + (size_t)K * N;
    double t[7];
    for (int r = 0; r < 9; r++) {
        double t0 = now();
        gemm(lib, ta, tb, M, N, K, A, ta == 'T' ? M : K, B, tb == 'T' ? K : N, C, N, part);
        if (r >= 2) t[r - 2] = now() - t0;
    }
    qsort(t, 7, sizeof t[0], cmp);
    return t[3];
}

typedef struct { const char *name; int C, N, T, B; } shape;

int main(int argc, char **argv)
{
    static const shape shapes[] = { { "S1", 128, 4, 64, 32 }, { "S2", 256, 6, 64, 4 }, { "S3", 512, 8, 256, 8 } };
    int threads = argc > 1 ? atoi(argv[1]) : omp_get_max_threads();
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    bli_thread_set_num_threads(threads);
    libxsmm_init();
    size_t cap = (size_t)3 << 24;   /* floats: the largest product's three matrices */
    float *buf = malloc(cap * sizeof(float)), *part = malloc((size_t)threads * 4096 * 2048 * sizeof(float) / 4);
    if (!buf || !part) return 1;
    for (size_t i = 0; i < cap; i++) buf[i] = (float)((i * 7919) % 101) / 101.0f - 0.5f;
    printf("gemm_libs: %d threads; GFLOP/s (median of 7); OpenBLAS %s\n", threads, openblas_get_config());
    int slow[NLIB] = { 0 };   /* a library under 10 GFLOP/s and 50x slower than another (generic kernels) is left out after */
    for (int s = 0; s < 3; s++) {
        const shape *sh = &shapes[s];
        int BT = sh->B * sh->T, C = sh->C, F = 4 * C;
        int io[4][3] = { { C, C, 4 }, { F, C, 1 }, { C, F, 1 }, { 256, C, 0 } }; /* out, in, per depth (head: once) */
        double step[NLIB] = { 0 }, best = 0;
        printf("\n%s (C %d, depths %d, B*T %d)\n%-26s", sh->name, C, sh->N, BT, "product (M x N x K)");
        for (int l = 0; l < NLIB; l++) printf(" %9s", lib_names[l]);
        printf("\n");
        for (int m = 0; m < 4; m++)
            for (int kind = 0; kind < 4; kind++) {
                int O = io[m][0], In = io[m][1], count = m == 3 ? 1 : io[m][2] * sh->N, M, N, K;
                char ta = 'N', tb = 'N', label[64];
                if (kind == 0) { M = BT; N = O; K = In; tb = 'T'; }
                else if (kind == 1) { M = BT; N = In; K = O; }
                else { M = O; N = In; K = kind == 2 ? BT : BT * sh->N; ta = 'T'; }
                if (kind == 3 && m == 3) continue;
                if (kind == 3) count /= sh->N;   /* one product over every depth's rows */
                snprintf(label, sizeof label, "%s %dx%dx%d", kind == 0 ? "fwd" : kind == 1 ? "dx " : kind == 2 ? "dW " : "dW*",
                         M, N, K);
                printf("%-26s", label);
                double fl = 2.0 * M * N * K, lo = 1e30;
                for (int l = 0; l < NLIB; l++) {
                    if ((l == LIB_KSPLIT && ta != 'T') || slow[l]) { printf(" %9s", "-"); continue; }
                    double sec = time_gemm(l, ta, tb, M, N, K, buf, part);
                    printf(" %9.1f", fl / sec / 1e9);
                    slow[l] = fl / sec / 1e9 < 10 && sec > 50 * lo;
                    if (kind != 3) step[l] += count * sec;
                    if (sec < lo) lo = sec;
                }
                if (kind != 3) best += count * lo;
                printf("\n");
            }
        printf("%-26s", "step's products, ms");
        for (int l = 0; l < NLIB; l++) {
            if (l == LIB_KSPLIT || slow[l]) printf(" %9s", "-");
            else printf(" %9.1f", 1e3 * step[l]);
        }
        printf("   best per shape %.1f ms\n", 1e3 * best);
        /* attention, one (batch, head) per thread as the engine runs it: a block of 32 (16) queries */
        int hd = C / (s == 2 ? 8 : 4), qb = sh->T > 128 ? 32 : 16, keys = sh->T / 2;
        int at[2][3] = { { qb, keys, hd }, { qb, hd, keys } };
        for (int a = 0; a < 2; a++) {
            printf("att %-22s", a ? "P V" : "Q K^T");
            for (int l = 0; l < LIB_TILES; l++) {
                double sec = 0;
                if (slow[l]) { printf(" %9s", "-"); continue; }
                #pragma omp parallel reduction(max : sec)
                {
                    float *mine = buf + (size_t)omp_get_thread_num() * (1 << 18);
                    sec = time_gemm(l, 'N', a ? 'N' : 'T', at[a][0], at[a][1], at[a][2], mine, part);
                }
                printf(" %9.1f", 2.0 * at[a][0] * at[a][1] * at[a][2] / sec / 1e9);
            }
            printf("   (GFLOP/s per thread, %dx%dx%d)\n", at[a][0], at[a][1], at[a][2]);
        }
    }
    free(buf);
    free(part);
    return 0;
}
