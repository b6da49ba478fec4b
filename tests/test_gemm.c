/*
** test_gemm.c: the engine's one matrix product (engine/core/gemm.c) against a
** product written out in double precision, through each library it can use
** (OpenBLAS, oneDNN, and the choice by size), for every transpose, alpha and
** beta (accumulating into what C holds), row strides wider than the rows, and
** inside a parallel region, where the engine makes attention's per-head
** products; and the names that SHAREBENCH_GEMM and the records use.
*/
#include "testutil.h"
#include "core/gemm.h"
#include "core/real.h"
#include "core/rng.h"

/* C = alpha op(A) op(B) + beta C in double, row-major with strides lda, ldb, ldc. */
static void reference(char ta, char tb, int M, int N, int K, double alpha, const float *A, int lda, const float *B,
                      int ldb, double beta, const float *C0, double *C, int ldc)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)(ta == 'T' ? A[(long)k * lda + i] : A[(long)i * lda + k]) *
                     (double)(tb == 'T' ? B[(long)j * ldb + k] : B[(long)k * ldb + j]);
            C[(long)i * ldc + j] = alpha * s + beta * C0[(long)i * ldc + j];
        }
}

/* One product through lib, every transpose, against the reference; pad widens the strides. */
static void check(sb_gemm_lib lib, int M, int N, int K, int pad, float alpha, float beta)
{
    static const char ops[4][2] = { { 'N', 'N' }, { 'N', 'T' }, { 'T', 'N' }, { 'T', 'T' } };
    sb_rng r;
    sb_rng_seed(&r, (uint64_t)(M * 131 + N * 7 + K), "gemm");
    for (int o = 0; o < 4; o++) {
        char ta = ops[o][0], tb = ops[o][1];
        int lda = (ta == 'T' ? M : K) + pad, ldb = (tb == 'T' ? K : N) + pad, ldc = N + pad;
        long na = (long)(ta == 'T' ? K : M) * lda, nb = (long)(tb == 'T' ? N : K) * ldb, nc = (long)M * ldc;
        float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * nb), *C = malloc(sizeof(float) * nc),
              *C0 = malloc(sizeof(float) * nc);
        double *want = malloc(sizeof(double) * nc);
        for (long i = 0; i < na; i++) A[i] = (float)sb_rng_normal(&r);
        for (long i = 0; i < nb; i++) B[i] = (float)sb_rng_normal(&r);
        for (long i = 0; i < nc; i++) C[i] = C0[i] = (float)sb_rng_normal(&r);
        reference(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C0, want, ldc);
        sb_gemm_use(lib);
        sb_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        sb_gemm_use(SB_GEMM_AUTO);
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) {
                /* float sums of K products of unit normals: error grows like sqrt(K) */
                double tol = 1e-5 * sqrt((double)K) * (fabs(alpha) + 1) + 1e-5 * fabs(beta);
                double got = C[(long)i * ldc + j], w = want[(long)i * ldc + j];
                if (fabs(got - w) > tol * (1 + fabs(w)))
                    fail_msg("%s %c%c %dx%dx%d: C[%d,%d] = %.7g, want %.7g", sb_gemm_name(lib), ta, tb, M, N, K, i, j, got, w);
            }
            /* the padding past each row of C is left as it was */
            for (int j = N; j < ldc; j++) assert_true(C[(long)i * ldc + j] == C0[(long)i * ldc + j]);
        }
        free(A); free(B); free(C); free(C0); free(want);
    }
}

static void test_libraries(void **state)
{
    (void)state;
    static const sb_gemm_lib libs[] = { SB_GEMM_OPENBLAS, SB_GEMM_ONEDNN, SB_GEMM_AUTO };
    for (int l = 0; l < 3; l++) {
        check(libs[l], 7, 5, 3, 0, 1, 0);           /* tiny: OpenBLAS under auto */
        check(libs[l], 130, 96, 120, 3, 0.5f, 1);   /* 1.5M multiply-adds: oneDNN under auto; accumulating */
        check(libs[l], 64, 200, 90, 0, -2, 0.25f);
    }
}

/* Inside a parallel region each thread makes its own product on one thread,
** as attention's per-head products do; a large one must be right there too. */
static void test_in_parallel(void **state)
{
    (void)state;
    enum { M = 96, N = 128, K = 100, P = 4 };   /* 1.2M multiply-adds each: oneDNN's side of the split */
    float *A = malloc(sizeof(float) * P * M * K), *B = malloc(sizeof(float) * K * N), *C = calloc((size_t)P * M * N, sizeof(float));
    double *want = malloc(sizeof(double) * M * N);
    float *zero = calloc((size_t)M * N, sizeof(float));
    sb_rng r;
    sb_rng_seed(&r, 5, "gemm-parallel");
    for (long i = 0; i < (long)P * M * K; i++) A[i] = (float)sb_rng_normal(&r);
    for (long i = 0; i < (long)K * N; i++) B[i] = (float)sb_rng_normal(&r);
    #pragma omp parallel for num_threads(2)
    for (int p = 0; p < P; p++) sb_gemm('N', 'N', M, N, K, 1, A + (long)p * M * K, K, B, N, 0, C + (long)p * M * N, N);
    for (int p = 0; p < P; p++) {
        reference('N', 'N', M, N, K, 1, A + (long)p * M * K, K, B, N, 0, zero, want, N);
        for (long i = 0; i < (long)M * N; i++) assert_true(fabs(C[(long)p * M * N + i] - want[i]) < 1e-4 * (1 + fabs(want[i])));
    }
    free(A); free(B); free(C); free(want); free(zero);
}

static void test_names(void **state)
{
    (void)state;
    for (int l = SB_GEMM_AUTO; l <= SB_GEMM_ONEDNN; l++) assert_int_equal(sb_gemm_parse(sb_gemm_name((sb_gemm_lib)l)), l);
    assert_int_equal(sb_gemm_parse("mkl"), -1);
    assert_int_equal(sb_gemm_parse(""), -1);
    char d[160];
    const char *isa;
    int level = sb_gemm_onednn_isa(&isa);
    assert_true(level >= 0 && level <= 3);
    sb_gemm_describe(d, sizeof d);
    assert_non_null(strstr(d, "oneDNN"));
    assert_non_null(strstr(d, isa));
    sb_gemm_use(SB_GEMM_OPENBLAS);
    sb_gemm_describe(d, sizeof d);
    assert_null(strstr(d, "oneDNN"));
    sb_gemm_use(SB_GEMM_AUTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libraries),
        cmocka_unit_test(test_in_parallel),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
