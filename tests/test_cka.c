/*
** test_cka.c: linear CKA (Kornblith et al.) and debiased CKA (Nguyen et al.'s
** unbiased HSIC) against known answers and an independent computation:
** a representation is identical to itself and to its rotations and
** scalings; the feature-space formulas equal the Gram-matrix ones computed
** naively; on small independent samples the plain form is inflated and the
** debiased one is not.
*/
#include "testutil.h"
#include "analysis/cka.h"
#include "core/rng.h"

static void fill(double *x, long n, sb_rng *r)
{
    for (long i = 0; i < n; i++) x[i] = sb_rng_normal(r);
}

/* A random orthogonal (p,p) matrix: Gram-Schmidt on Gaussian columns. */
static void orthogonal(double *Q, int p, sb_rng *r)
{
    fill(Q, (long)p * p, r);
    for (int j = 0; j < p; j++) {
        for (int k = 0; k < j; k++) {
            double d = 0;
            for (int i = 0; i < p; i++) d += Q[i * p + j] * Q[i * p + k];
            for (int i = 0; i < p; i++) Q[i * p + j] -= d * Q[i * p + k];
        }
        double s = 0;
        for (int i = 0; i < p; i++) s += Q[i * p + j] * Q[i * p + j];
        for (int i = 0; i < p; i++) Q[i * p + j] /= sqrt(s);
    }
}

/* Y (n,p) = s X Q */
static void rotate(const double *X, const double *Q, double s, int n, int p, double *Y)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < p; j++) {
            double v = 0;
            for (int k = 0; k < p; k++) v += X[i * p + k] * Q[k * p + j];
            Y[i * p + j] = s * v;
        }
}

static void gram(const double *X, int n, int p, int centre, double *K)
{
    double *mean = calloc((size_t)p, sizeof(double));
    for (int i = 0; i < n && centre; i++)
        for (int j = 0; j < p; j++) mean[j] += X[i * p + j] / n;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            double v = 0;
            for (int j = 0; j < p; j++) v += (X[i * p + j] - mean[j]) * (X[k * p + j] - mean[j]);
            K[i * n + k] = v;
        }
    free(mean);
}

/* Plain CKA from Gram matrices of centred features: tr(KL)/sqrt(tr(KK)tr(LL)). */
static double cka_gram(const double *K, const double *L, int n)
{
    double kl = 0, kk = 0, ll = 0;
    for (int i = 0; i < n * n; i++) { kl += K[i] * L[i]; kk += K[i] * K[i]; ll += L[i] * L[i]; }
    return kl / sqrt(kk * ll);
}

static void self_rotation_scaling(void **state)
{
    (void)state;
    enum { n = 40, p = 6 };
    sb_rng r;
    sb_rng_seed(&r, 1, "cka");
    double X[n * p], Y[n * p], Z[n * 3], Q[p * p];
    fill(X, n * p, &r);
    fill(Z, n * 3, &r);
    for (int i = 0; i < n; i++) Z[i * 3] += X[i * p];   /* Z related to X */
    assert_close(sb_cka_linear(X, p, X, p, n), 1, 1e-12);
    assert_close(sb_cka_unbiased(X, p, X, p, n), 1, 1e-12);
    orthogonal(Q, p, &r);
    rotate(X, Q, 3.7, n, p, Y);
    assert_close(sb_cka_linear(X, p, Y, p, n), 1, 1e-10);
    assert_close(sb_cka_unbiased(X, p, Y, p, n), 1, 1e-10);
    /* a rotated, scaled and shifted X is as similar to Z as X is */
    for (int i = 0; i < n; i++) Y[i * p + 2] += 5;
    double lin = sb_cka_linear(X, p, Z, 3, n), unb = sb_cka_unbiased(X, p, Z, 3, n);
    assert_true(lin > 0.05 && lin < 0.99);
    assert_close(sb_cka_linear(Y, p, Z, 3, n), lin, 1e-10);
    assert_close(sb_cka_unbiased(Y, p, Z, 3, n), unb, 1e-10);
    /* symmetric */
    assert_close(sb_cka_linear(Z, 3, X, p, n), lin, 1e-12);
    assert_close(sb_cka_unbiased(Z, 3, X, p, n), unb, 1e-12);
}

/* The feature-space computation equals the formulas on explicit Gram matrices,
** and the unbiased HSIC does not care whether features were centred. */
static void matches_gram_formulas(void **state)
{
    (void)state;
    enum { n = 25, p = 5, q = 3 };
    sb_rng r;
    sb_rng_seed(&r, 2, "cka");
    double X[n * p], Y[n * q], K[n * n], L[n * n], Kc[n * n], Lc[n * n];
    fill(X, n * p, &r);
    fill(Y, n * q, &r);
    for (int i = 0; i < n; i++) { Y[i * q] += 0.8 * X[i * p] + 2; X[i * p + 1] += 3; }
    gram(X, n, p, 0, K); gram(Y, n, q, 0, L);
    gram(X, n, p, 1, Kc); gram(Y, n, q, 1, Lc);
    assert_close(sb_cka_linear(X, p, Y, q, n), cka_gram(Kc, Lc, n), 1e-12);
    double hu = sb_hsic_unbiased_gram(K, L, n);
    assert_close(sb_hsic_unbiased_gram(Kc, Lc, n), hu, 1e-10);
    double want = hu / sqrt(sb_hsic_unbiased_gram(K, K, n) * sb_hsic_unbiased_gram(L, L, n));
    assert_close(sb_cka_unbiased(X, p, Y, q, n), want, 1e-10);
    /* too few rows for the unbiased estimator */
    assert_true(isnan(sb_hsic_unbiased_gram(K, L, 3)));
    assert_true(isnan(sb_cka_unbiased(X, p, Y, q, 3)));
}

/* Independent samples: the population CKA is 0. At small n the plain form is
** inflated well above 0 (Kornblith's estimator is biased upwards), the
** debiased one is centred near 0. */
static void debiased_vs_plain(void **state)
{
    (void)state;
    enum { n = 16, p = 12, reps = 200 };
    sb_rng r;
    sb_rng_seed(&r, 3, "cka");
    double X[n * p], Y[n * p], plain = 0, unb = 0;
    for (int k = 0; k < reps; k++) {
        fill(X, n * p, &r);
        fill(Y, n * p, &r);
        plain += sb_cka_linear(X, p, Y, p, n) / reps;
        unb += sb_cka_unbiased(X, p, Y, p, n) / reps;
    }
    printf("  independent n=%d p=%d: plain CKA %.3f, debiased %.3f\n", n, p, plain, unb);
    assert_true(plain > 0.3);
    assert_true(fabs(unb) < 0.05);
    assert_true(plain > unb + 0.25);
}

/* The matrix of every pair agrees with the pairwise functions. */
static void matrix(void **state)
{
    (void)state;
    enum { n = 30, p = 4, R = 3 };
    sb_rng r;
    sb_rng_seed(&r, 4, "cka");
    double a[n * p], b[n * p], c[n * p], lin[R * R], unb[R * R];
    fill(a, n * p, &r); fill(b, n * p, &r);
    for (int i = 0; i < n * p; i++) c[i] = a[i] + 0.5 * b[i];
    const double *reps[R] = { a, b, c };
    assert_int_equal(sb_cka_matrix(reps, R, n, p, lin, unb), 0);
    for (int i = 0; i < R; i++)
        for (int j = 0; j < R; j++) {
            assert_close(lin[i * R + j], sb_cka_linear(reps[i], p, reps[j], p, n), 1e-12);
            assert_close(unb[i * R + j], sb_cka_unbiased(reps[i], p, reps[j], p, n), 1e-12);
            assert_close(lin[i * R + j], lin[j * R + i], 0);
        }
    assert_close(lin[0], 1, 1e-12);
    assert_close(unb[R + 1], 1, 1e-12);
    assert_true(lin[0 * R + 2] > lin[0 * R + 1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(self_rotation_scaling), cmocka_unit_test(matches_gram_formulas),
        cmocka_unit_test(debiased_vs_plain), cmocka_unit_test(matrix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
