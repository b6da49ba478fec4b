/*
** test_factor_f64.c: low-rank factorisation (engine/compress/factor.c, factor:R in the
** model), in double precision.
**
** Truncated SVD and ALS recover a known low-rank matrix exactly; below its
** rank, the SVD's error equals the tail of the singular values computed
** independently (Jacobi eigenvalues of A^T A, below; Eckart-Young), and ALS
** never beats it. A model
** with factor=R has exact gradients (central differences) for U, Vt and
** everything else, under sharing modes, key/value sharing, untying, depth
** rescaling and a subset of factorised matrices. A dense model whose matrices
** have rank R and the factorised model built from it by SVD compute the same
** loss; decoding with the key/value cache matches the full forward.
*/
#include "testutil.h"
#include "compress/factor.h"
#include "core/kvcache.h"
#include "core/rng.h"

static void random_matrix(real *a, int n, uint64_t seed)
{
    sb_rng r;
    sb_rng_seed(&r, seed, "matrix");
    for (int i = 0; i < n; i++) a[i] = (real)sb_rng_normal(&r);
}

/* A (O,I) = P (O,r) Q (r,I): rank r. */
static real *low_rank(int O, int I, int r, uint64_t seed)
{
    real *p = malloc(sizeof(real) * O * r), *q = malloc(sizeof(real) * r * I), *a = malloc(sizeof(real) * O * I);
    random_matrix(p, O * r, seed);
    random_matrix(q, r * I, seed + 1);
    for (int o = 0; o < O; o++)
        for (int i = 0; i < I; i++) {
            double s = 0;
            for (int j = 0; j < r; j++) s += p[o * r + j] * q[j * I + i];
            a[o * I + i] = s;
        }
    free(p);
    free(q);
    return a;
}

static void recover_low_rank(void **state)
{
    (void)state;
    int dims[3][2] = { { 12, 9 }, { 7, 15 }, { 20, 20 } };
    char err[SB_ERR_LEN] = "";
    for (int d = 0; d < 3; d++) {
        int O = dims[d][0], I = dims[d][1], r = 3;
        real *a = low_rank(O, I, r, 40 + d), *u = malloc(sizeof(real) * O * r), *vt = malloc(sizeof(real) * r * I);
        assert_int_equal(sb_factor_svd(a, O, I, r, u, vt, err, sizeof err), 0);
        assert_true(sb_factor_error(a, O, I, r, u, vt) < 1e-12);
        assert_int_equal(sb_factor_als(a, O, I, r, 3, 7, u, vt, err, sizeof err), 0);
        double e = sb_factor_error(a, O, I, r, u, vt);
        /* exact up to the ridge's bias (1e-14 of the Gram matrix's scale) */
        if (!(e < 1e-8)) print_error("ALS error %g on an exact rank-%d %dx%d matrix\n", e, r, O, I);
        assert_true(e < 1e-8);
        /* balanced: each component of U and Vt equally long */
        for (int j = 0; j < r; j++) {
            double nu = 0, nv = 0;
            for (int o = 0; o < O; o++) nu += u[o * r + j] * u[o * r + j];
            for (int i = 0; i < I; i++) nv += vt[j * I + i] * vt[j * I + i];
            assert_close(nu, nv, 1e-9);
        }
        free(a); free(u); free(vt);
    }
}

/* Eigenvalues of the symmetric n x n matrix a (destroyed), descending: cyclic
** Jacobi rotations until the off-diagonal part vanishes (Golub & Van Loan 8.5). */
static void jacobi_eigenvalues(double *a, int n, double *ev)
{
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
        if (off < 1e-30) break;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                if (a[p * n + q] == 0) continue;
                double th = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q]);
                double t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1)), c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++) {   /* columns p, q */
                    double x = a[k * n + p], y = a[k * n + q];
                    a[k * n + p] = c * x - s * y;
                    a[k * n + q] = s * x + c * y;
                }
                for (int k = 0; k < n; k++) {   /* rows p, q */
                    double x = a[p * n + k], y = a[q * n + k];
                    a[p * n + k] = c * x - s * y;
                    a[q * n + k] = s * x + c * y;
                }
            }
    }
    for (int i = 0; i < n; i++) ev[i] = a[i * n + i];
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && ev[j] > ev[j - 1]; j--) {
            double t = ev[j];
            ev[j] = ev[j - 1];
            ev[j - 1] = t;
        }
}

/* Below the rank: the SVD's error is the singular-value tail (GSL's SVD, an
** independent implementation), ALS's is never lower and approaches it. */
static void truncation_error(void **state)
{
    (void)state;
    int O = 14, I = 10, R = 4;
    char err[SB_ERR_LEN];
    real *a = malloc(sizeof(real) * O * I), *u = malloc(sizeof(real) * O * R), *vt = malloc(sizeof(real) * R * I);
    random_matrix(a, O * I, 5);
    /* squared singular values: the eigenvalues of A^T A */
    double g[10 * 10], ev[10];
    for (int i = 0; i < I; i++)
        for (int j = 0; j < I; j++) {
            g[i * I + j] = 0;
            for (int o = 0; o < O; o++) g[i * I + j] += a[o * I + i] * a[o * I + j];
        }
    jacobi_eigenvalues(g, I, ev);
    double total = 0, tail = 0;
    for (int j = 0; j < I; j++) {
        total += ev[j];
        if (j >= R) tail += ev[j];
    }
    assert_int_equal(sb_factor_svd(a, O, I, R, u, vt, err, sizeof err), 0);
    double esvd = sb_factor_error(a, O, I, R, u, vt);
    assert_close(esvd, sqrt(tail / total), 1e-10);
    assert_int_equal(sb_factor_als(a, O, I, R, 1, 3, u, vt, err, sizeof err), 0);
    double e1 = sb_factor_error(a, O, I, R, u, vt);
    assert_int_equal(sb_factor_als(a, O, I, R, 200, 3, u, vt, err, sizeof err), 0);
    double e200 = sb_factor_error(a, O, I, R, u, vt);
    assert_true(e1 >= esvd - 1e-12 && e200 >= esvd - 1e-12);
    assert_true(e200 <= e1);
    assert_close(e200, esvd, 1e-4);
    /* refusals name the rank */
    assert_int_equal(sb_factor_svd(a, O, I, 11, u, vt, err, sizeof err), -1);
    assert_mentions(err, "rank 11");
    assert_int_equal(sb_factor_als(a, O, I, 0, 5, 1, u, vt, err, sizeof err), -1);
    assert_mentions(err, "rank 0");
    free(a); free(u); free(vt);
}

/* ---------------------------------------------------------------- models */

enum { B = 2, T = 5 };

static void small_config(sb_config *c, const char *sharing, int factor, const char *mats)
{
    sb_config_default(c);
    c->vocab = 11; c->max_len = 8; c->width = 8; c->layers = 4; c->heads = 2; c->ffn = 12;
    snprintf(c->sharing, sizeof c->sharing, "%s", sharing);
    c->factor = factor;
    snprintf(c->factor_mats, sizeof c->factor_mats, "%s", mats);
}

static sb_model *make(const sb_config *c, int track)
{
    char err[SB_ERR_LEN] = "";
    sb_model *m = sb_model_create(c, B, T, 7, track, err, sizeof err);
    if (!m) print_error("%s\n", err);
    assert_non_null(m);
    sb_rng r;
    sb_rng_seed(&r, 3, "perturb");
    for (long i = 0; i < sb_model_n_params(m); i++) sb_model_params(m)[i] += (real)(0.3 * sb_rng_normal(&r));
    return m;
}

static void batch(int V, int *tok, int *tgt)
{
    sb_rng r;
    sb_rng_seed(&r, 11, "batch");
    for (int i = 0; i < B * T; i++) {
        tok[i] = (int)sb_rng_below(&r, V);
        tgt[i] = (i % 3 == 1) ? -1 : (int)sb_rng_below(&r, V);
    }
}

static void gradcheck(const sb_config *c, int track)
{
    int tok[B * T], tgt[B * T];
    batch(c->vocab, tok, tgt);
    sb_model *m = make(c, track);
    long n = sb_model_n_params(m);
    sb_model_forward(m, tok, NULL, tgt, NULL, B, T);
    sb_model_backward(m);
    real *g = malloc(sizeof(real) * n), *p = sb_model_params(m);
    memcpy(g, sb_model_grads(m), sizeof(real) * n);
    sb_rng r;
    sb_rng_seed(&r, 5, c->sharing);
    int factors = 0;
    for (int ti = 0; ti < sb_model_tensor_count(m); ti++) {
        const sb_tensor *t = sb_model_tensor(m, ti);
        size_t len = strlen(t->name);
        factors += len > 2 && (!strcmp(t->name + len - 2, ".u") || !strcmp(t->name + len - 3, ".vt"));
        for (int k = 0; k < 4; k++) {
            long j = t->offset + (long)sb_rng_below(&r, (uint32_t)t->numel);
            real save = p[j];
            p[j] = save + 1e-6;
            double lp = sb_model_forward(m, tok, NULL, tgt, NULL, B, T);
            p[j] = save - 1e-6;
            double lm = sb_model_forward(m, tok, NULL, tgt, NULL, B, T);
            p[j] = save;
            double fd = (lp - lm) / 2e-6;
            if (fabs(fd - g[j]) > 1e-6 * fmax(1, fabs(fd))) {
                print_error("%s factor=%d: %s entry %ld: analytic %.10g, finite difference %.10g\n", c->sharing, c->factor, t->name,
                            j - t->offset, (double)g[j], fd);
                fail();
            }
        }
    }
    assert_true(factors >= 2);
    free(g);
    sb_model_free(m);
}

static void gradients(void **state)
{
    (void)state;
    /* track: per-depth gradient slots (as tracking and depth rescaling use) */
    static const struct { const char *sharing, *mats; int factor, track, kv_heads; } cases[] = {
        { "none", "all", 2, 0, 0 },
        { "all", "all", 3, 1, 0 },
        { "cycle:2+kv_share:2", "wq,wv,w2", 2, 0, 1 },
        { "all+untie:1", "ffn", 2, 1, 0 },
        { "cycle_rev:2", "attn", 1, 0, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sb_config c;
        small_config(&c, cases[i].sharing, cases[i].factor, cases[i].mats);
        c.kv_heads = cases[i].kv_heads;
        gradcheck(&c, cases[i].track);
    }
}

/* Parameters: a factorised matrix holds R (O + I) instead of O I. */
static void parameter_count(void **state)
{
    (void)state;
    sb_config d, f;
    char err[SB_ERR_LEN];
    long nd, nf;
    small_config(&d, "cycle:2", 0, "all");
    small_config(&f, "cycle:2", 3, "ffn");
    assert_int_equal(sb_model_plan(&d, B, T, 0, &nd, NULL, err, sizeof err), 0);
    assert_int_equal(sb_model_plan(&f, B, T, 0, &nf, NULL, err, sizeof err), 0);
    /* two ffn blocks: w1 12 x 8 and w2 8 x 12 become rank-3 factors */
    assert_int_equal(nd - nf, 2 * 2 * (12 * 8 - 3 * (12 + 8)));
}

/* A dense model whose block matrices have rank R, and the factorised model made
** from it by SVD (and by ALS), give the same loss; other tensors are copied. */
static void dense_equals_factorised(void **state)
{
    (void)state;
    static const char *const sharings[] = { "none", "all+kv_share:2", "cycle:2" };
    for (int sidx = 0; sidx < 3; sidx++) {
        sb_config d, f;
        int R = 2;
        small_config(&d, sharings[sidx], 0, "all");
        small_config(&f, sharings[sidx], R, "all");
        sb_model *dm = make(&d, 0), *fm = make(&f, 0);
        for (int i = 0; i < sb_model_tensor_count(dm); i++) {
            const sb_tensor *t = sb_model_tensor(dm, i);
            if (t->ndim != 2 || t->block < 0) continue;
            real *a = low_rank(t->shape[0], t->shape[1], R, 100 + i);
            for (long j = 0; j < t->numel; j++) sb_model_params(dm)[t->offset + j] = (real)(0.3 * a[j]);
            free(a);
        }
        int tok[B * T], tgt[B * T];
        batch(d.vocab, tok, tgt);
        double ld = sb_model_forward(dm, tok, NULL, tgt, NULL, B, T), overall = -1;
        double *errors = malloc(sizeof(double) * sb_model_tensor_count(fm));
        char err[SB_ERR_LEN] = "";
        for (int method = SB_FACTOR_SVD; method <= SB_FACTOR_ALS; method++) {
            int rc = sb_factor_model(dm, fm, method, 5, 9, errors, &overall, err, sizeof err);
            if (rc) print_error("%s\n", err);
            assert_int_equal(rc, 0);
            if (!(overall >= 0 && overall < 1e-8)) print_error("%s method %d: error %g\n", sharings[sidx], method, overall);
            assert_true(overall >= 0 && overall < 1e-8);
            int nerr = 0;   /* one error per factorised matrix, at its U */
            for (int i = 0; i < sb_model_tensor_count(fm); i++) {
                const char *nm = sb_model_tensor(fm, i)->name;
                size_t len = strlen(nm);
                assert_int_equal(!isnan(errors[i]), len > 2 && !strcmp(nm + len - 2, ".u"));
                nerr += !isnan(errors[i]);
            }
            assert_true(nerr >= 6);
            assert_close(sb_model_forward(fm, tok, NULL, tgt, NULL, B, T), ld, method == SB_FACTOR_SVD ? 1e-12 : 1e-8);
        }
        /* models that differ in more than factor are refused */
        sb_config o = f;
        o.ffn = 10;
        sb_model *om = make(&o, 0);
        assert_int_equal(sb_factor_model(dm, om, SB_FACTOR_SVD, 1, 1, NULL, NULL, err, sizeof err), -1);
        assert_mentions(err, "ffn");
        sb_model_free(om);
        free(errors);
        sb_model_free(dm);
        sb_model_free(fm);
    }
}

static void decoding(void **state)
{
    (void)state;
    sb_config c;
    char err[SB_ERR_LEN];
    small_config(&c, "cycle:2+kv_share:2", 2, "all");
    sb_model *m = make(&c, 0);
    int tok[B * T], tgt[B * T];
    batch(c.vocab, tok, tgt);
    sb_model_forward(m, tok, NULL, NULL, NULL, B, T);
    real *full = malloc(sizeof(real) * B * T * c.vocab);
    memcpy(full, sb_model_probs(m), sizeof(real) * B * T * c.vocab);
    sb_kvcache *kc = sb_kvcache_create(m, B, T, err, sizeof err);
    assert_non_null(kc);
    for (int t = 0; t < T; t++) {
        int step[B] = { tok[t], tok[T + t] };
        const real *p = sb_decode_step(kc, step);
        for (int b = 0; b < B; b++)
            for (int v = 0; v < c.vocab; v++) assert_close(p[b * c.vocab + v], full[(b * T + t) * c.vocab + v], 1e-12);
    }
    sb_kvcache_free(kc);
    free(full);
    sb_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recover_low_rank), cmocka_unit_test(truncation_error), cmocka_unit_test(gradients),
        cmocka_unit_test(parameter_count), cmocka_unit_test(dense_equals_factorised), cmocka_unit_test(decoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
