/*
** test_convert_f64.c: Relaxed Recursive Transformers' conversion
** (engine/compress/convert.c), in double precision. A trained-looking `none`
** model whose depths' matrices are a common matrix plus a rank-1 term each
** (and whose biases agree across depths) differs from its depths' mean by
** residuals of rank at most N = 4 (its own rank-1 term less the mean of all
** four): converted to all+lowrank:4 it must compute the same function as the
** unshared model (the same probabilities), with no error left; at ranks 1
** and 2 the error is positive and falls with the rank (Eckart-Young).
** Basis Sharing's conversion likewise: layers whose matrices share a row
** space of rank 4 (W_l = A_l V) converted to all+basis:4 compute the same
** function, and basis:2 leaves an error.
*/
#include "testutil.h"
#include "core/model.h"
#include "core/rng.h"
#include "compress/convert.h"

enum { B = 2, T = 5, N = 4 };

static void config(sb_config *c, const char *sharing)
{
    sb_config_default(c);
    c->vocab = 11; c->max_len = 8; c->width = 8; c->layers = N; c->heads = 2; c->ffn = 12;
    snprintf(c->sharing, sizeof c->sharing, "%s", sharing);
}

/* Block tensors of depth-own blocks: a matrix common to every depth plus the depth's rank-1 term (basis = 0), or
** the depth's A_l (out x 4) times a V (4 x in) common to every depth (basis = 1); biases common. */
static sb_model *trained_as(int basis)
{
    sb_config c;
    char err[SB_ERR_LEN] = "";
    config(&c, "none");
    sb_model *m = sb_model_create(&c, B, T, 5, 0, err, sizeof err);
    assert_non_null(m);
    real *p = sb_model_params(m);
    for (int i = 0; i < sb_model_tensor_count(m); i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        if (t->block < 0) continue;
        const char *leaf = strchr(strchr(t->name, '.') + 1, '.') + 1;   /* "wq" of "attn.2.wq" */
        char kind[64];
        snprintf(kind, sizeof kind, "%.*s%s", (int)strcspn(t->name, "."), t->name, leaf);
        sb_rng common, own;
        sb_rng_seed(&common, 1, kind);
        sb_rng_seed(&own, 2, t->name);
        double u[64], v[64], A[64][4], V[4][64];
        int O = t->shape[0], I = t->shape[1];
        for (int o = 0; o < O; o++) u[o] = sb_rng_normal(&own);
        for (int j = 0; j < I; j++) v[j] = sb_rng_normal(&own);
        for (int o = 0; o < O; o++)
            for (int r = 0; r < 4; r++) A[o][r] = sb_rng_normal(&own);
        for (int r = 0; r < 4; r++)
            for (int j = 0; j < I; j++) V[r][j] = sb_rng_normal(&common);
        for (int o = 0; o < O; o++)
            for (int j = 0; j < I; j++) {
                double lowrank = 0;
                for (int r = 0; r < 4; r++) lowrank += A[o][r] * V[r][j];
                p[t->offset + (long)o * I + j] = (real)(basis && t->ndim == 2 ? 0.2 * lowrank
                                                       : 0.3 * sb_rng_normal(&common) + (t->ndim == 2 ? 0.2 * u[o] * v[j] : 0));
            }
    }
    return m;
}

static sb_model *trained(void) { return trained_as(0); }

/* src converted into all+lowrank:R (or all+basis:R); its error, and the largest probability difference on a batch. */
static double convert_to(sb_model *src, const char *mod, int R, double *maxdiff)
{
    sb_config c;
    char spec[32], err[SB_ERR_LEN] = "";
    snprintf(spec, sizeof spec, "all+%s:%d", mod, R);
    config(&c, spec);
    sb_model *dst = sb_model_create(&c, B, T, 9, 0, err, sizeof err);
    assert_non_null(dst);
    assert_int_equal(sb_model_remap(src, NULL, NULL, dst, NULL, NULL, err, sizeof err), 0);
    double e = -1;
    if (strcmp(mod, "basis") ? sb_convert_relaxed(src, dst, &e, err, sizeof err) : sb_convert_basis(src, dst, &e, err, sizeof err))
        print_error("%s\n", err);
    assert_true(e >= 0);
    int tok[B * T];
    sb_rng r;
    sb_rng_seed(&r, 3, "batch");
    for (int i = 0; i < B * T; i++) tok[i] = (int)sb_rng_below(&r, c.vocab);
    long n = (long)B * T * c.vocab;
    real *a = malloc(sizeof(real) * n);
    sb_model_forward(src, tok, NULL, NULL, NULL, B, T);
    memcpy(a, sb_model_probs(src), sizeof(real) * n);
    sb_model_forward(dst, tok, NULL, NULL, NULL, B, T);
    *maxdiff = 0;
    for (long i = 0; i < n; i++) *maxdiff = fmax(*maxdiff, fabs((double)a[i] - sb_model_probs(dst)[i]));
    free(a);
    sb_model_free(dst);
    return e;
}

static double convert_at(sb_model *src, int R, double *maxdiff) { return convert_to(src, "lowrank", R, maxdiff); }

static void basis_exact_at_the_row_space_rank(void **state)
{
    (void)state;
    sb_model *src = trained_as(1);
    double d2, d4;
    double e2 = convert_to(src, "basis", 2, &d2), e4 = convert_to(src, "basis", 4, &d4);
    assert_true(e4 < 1e-12);
    assert_true(d4 < 1e-12);
    assert_true(e2 > 1e-3 && d2 > 1e-6);
    sb_model_free(src);
}

static void exact_at_the_residuals_rank(void **state)
{
    (void)state;
    sb_model *src = trained();
    double d1, d2, d4;
    double e1 = convert_at(src, 1, &d1), e2 = convert_at(src, 2, &d2), e4 = convert_at(src, 4, &d4);
    assert_true(e4 < 1e-12);
    assert_true(d4 < 1e-12);
    assert_true(e1 > e2 && e2 > 1e-3);
    assert_true(d1 > 1e-6);
    sb_model_free(src);
}

static void refusals(void **state)
{
    (void)state;
    sb_config c;
    char err[SB_ERR_LEN] = "";
    sb_model *src = trained();
    config(&c, "all");
    sb_model *dst = sb_model_create(&c, B, T, 9, 0, err, sizeof err);
    assert_int_equal(sb_convert_relaxed(src, dst, NULL, err, sizeof err), -1);
    assert_mentions(err, "give +lowrank:R");
    assert_int_equal(sb_convert_basis(src, dst, NULL, err, sizeof err), -1);
    assert_mentions(err, "give +basis:R");
    sb_model_free(dst);
    config(&c, "all+lowrank:2+kv_share:2");
    dst = sb_model_create(&c, B, T, 9, 0, err, sizeof err);
    assert_int_equal(sb_convert_relaxed(src, dst, NULL, err, sizeof err), 0);   /* depths reusing keys have no correction of them */
    sb_model_free(dst);
    config(&c, "all+lowrank:2");
    c.layers = 2;
    dst = sb_model_create(&c, B, T, 9, 0, err, sizeof err);
    assert_int_equal(sb_convert_relaxed(src, dst, NULL, err, sizeof err), -1);
    assert_mentions(err, "4 layers, the shared one 2");
    sb_model_free(dst);
    sb_model_free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_at_the_residuals_rank), cmocka_unit_test(basis_exact_at_the_row_space_rank), cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
