/*
** test_adamw.c: the optimizer against an independent reference: PyTorch's
** AdamW algorithm (torch.optim.AdamW documentation: decoupled decay p *= 1 -
** lr*wd, then p -= lr/c1 * m / (sqrt(v)/sqrt(c2) + eps)) with global-norm
** clipping as torch.nn.utils.clip_grad_norm_, written out here in double, over
** several steps of a warmup + cosine schedule on a model with decayed
** matrices and undecayed vectors; the gradient norm is the same bits on one
** and two threads; a non-finite gradient changes nothing.
*/
#include "testutil.h"
#include "core/adamw.h"
#include "core/rng.h"
#include <omp.h>

static sb_model *tiny_model(void)
{
    sb_config c;
    char err[SB_ERR_LEN];
    sb_config_default(&c);
    c.vocab = 11; c.max_len = 8; c.width = 16; c.layers = 2; c.heads = 2; c.ffn = 24;
    snprintf(c.sharing, sizeof c.sharing, "cycle:1");
    sb_model *m = sb_model_create(&c, 2, 8, 3, 0, err, sizeof err);
    if (!m) print_error("%s\n", err);
    assert_non_null(m);
    return m;
}

static void random_grads(sb_model *m, uint64_t seed, double scale)
{
    sb_rng r;
    sb_rng_seed(&r, seed, "adamw.grad");
    real *g = sb_model_grads(m);
    for (long i = 0; i < sb_model_n_params(m); i++) g[i] = (real)(scale * sb_rng_normal(&r));
}

static void test_against_reference(void **state)
{
    (void)state;
    sb_model *m = tiny_model();
    long n = sb_model_n_params(m);
    sb_adamw_config oc;
    sb_adamw_config_default(&oc);
    oc.lr = 3e-2f; oc.weight_decay = 0.1f; oc.clip = 0.5f; oc.warmup = 2; oc.steps = 6;
    sb_adamw o;
    assert_int_equal(sb_adamw_init(&o, &oc, n), 0);
    double *p = calloc((size_t)n, sizeof *p), *mm = calloc((size_t)n, sizeof *mm), *vv = calloc((size_t)n, sizeof *vv);
    int *decay = calloc((size_t)n, sizeof *decay);
    assert_non_null(p); assert_non_null(mm); assert_non_null(vv); assert_non_null(decay);
    for (long i = 0; i < n; i++) p[i] = sb_model_params(m)[i];
    int ndecay = 0;
    for (int t = 0; t < sb_model_tensor_count(m); t++) {
        const sb_tensor *ts = sb_model_tensor(m, t);
        for (long j = 0; j < ts->numel; j++) decay[ts->offset + j] = ts->ndim == 2;
        ndecay += ts->ndim == 2;
    }
    assert_true(ndecay > 0 && ndecay < sb_model_tensor_count(m));
    for (int step = 1; step <= 6; step++) {
        /* steps 1-3 are clipped (large gradients), the rest are not */
        random_grads(m, (uint64_t)step, step <= 3 ? 0.3 : 0.001);
        const real *g = sb_model_grads(m);
        double sq = 0;
        for (long i = 0; i < n; i++) sq += (double)g[i] * g[i];
        double norm = sqrt(sq), scale = norm > oc.clip ? oc.clip / (norm + 1e-6) : 1;
        /* the schedule: linear warmup over 2 steps, then cosine to 0.1 lr at step 6 */
        double lr = step <= 2 ? oc.lr * step / 2.0
                              : oc.lr * (0.1 + 0.45 * (1 + cos(M_PI * (step - 1 - 2) / 4.0)));
        double c1 = 1 - pow(oc.beta1, step), c2 = 1 - pow(oc.beta2, step);
        for (long i = 0; i < n; i++) {
            double gr = g[i] * scale;
            if (decay[i]) p[i] *= 1 - lr * oc.weight_decay;
            mm[i] = oc.beta1 * mm[i] + (1 - oc.beta1) * gr;
            vv[i] = oc.beta2 * vv[i] + (1 - oc.beta2) * gr * gr;
            p[i] -= lr / c1 * mm[i] / (sqrt(vv[i]) / sqrt(c2) + oc.eps);
        }
        double got = sb_adamw_step(&o, m);
        assert_close(got, norm, 1e-12);
        if (step <= 3) assert_true(norm > oc.clip); else assert_true(norm < oc.clip);
        for (long i = 0; i < n; i++) {
            assert_close(sb_model_params(m)[i], p[i], 2e-6);
            assert_close(o.m[i], mm[i], 2e-6);
            assert_close(o.v[i], vv[i], 2e-6);
        }
    }
    free(p); free(mm); free(vv); free(decay);
    sb_adamw_free(&o);
    sb_model_free(m);
}

static void test_norm_threads_and_nonfinite(void **state)
{
    (void)state;
    long n = 300001;   /* large enough for the parallel path, not a multiple of the segments */
    real *g = malloc(sizeof(real) * (size_t)n);
    assert_non_null(g);
    sb_rng r;
    sb_rng_seed(&r, 9, "norm");
    double sq = 0;
    for (long i = 0; i < n; i++) { g[i] = (real)sb_rng_normal(&r); sq += (double)g[i] * g[i]; }
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    double one = sb_grad_norm(g, n);
    omp_set_num_threads(2);
    double two = sb_grad_norm(g, n);
    omp_set_num_threads(saved);
    assert_memory_equal(&one, &two, sizeof one);
    assert_close(one, sqrt(sq), 1e-12);
    free(g);

    /* a NaN gradient: the step reports it and leaves parameters and moments alone */
    sb_model *m = tiny_model();
    sb_adamw_config oc;
    sb_adamw_config_default(&oc);
    sb_adamw o;
    assert_int_equal(sb_adamw_init(&o, &oc, sb_model_n_params(m)), 0);
    random_grads(m, 1, 0.1);
    sb_model_grads(m)[5] = NAN;
    long np = sb_model_n_params(m);
    real *before = malloc(sizeof(real) * (size_t)np);
    assert_non_null(before);
    memcpy(before, sb_model_params(m), sizeof(real) * (size_t)np);
    assert_false(isfinite(sb_adamw_step(&o, m)));
    assert_memory_equal(before, sb_model_params(m), sizeof(real) * (size_t)np);
    for (long i = 0; i < np; i++) assert_true(o.m[i] == 0 && o.v[i] == 0);
    assert_int_equal(o.t, 0);
    free(before);
    sb_adamw_free(&o);
    sb_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_norm_threads_and_nonfinite),
    };
    return cmocka_run_group_tests_name("adamw", tests, NULL, NULL);
}
