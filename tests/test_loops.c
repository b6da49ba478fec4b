/*
** test_loops.c: a looped model's loops drawn per training step
** (bench/run/loops.c, Geiping et al. 2025's sampler): the mean of many
** draws against the same mean integrated numerically (the Poisson law
** averaged over the log-normal rate, capped at 3 r), and the step's model:
** the trained one at its own loops, else the same blocks at the drawn depth
** holding the trained parameters, which come back after the step.
*/
#include "testutil.h"
#include "run/loops.h"

static sb_model *looped(int layers, const char *sharing, int ln_shared)
{
    sb_config c;
    char err[SB_ERR_LEN] = "";
    sb_config_default(&c);
    c.vocab = 11; c.max_len = 8; c.width = 8; c.heads = 2; c.ffn = 12; c.layers = layers; c.ln_shared = ln_shared;
    snprintf(c.sharing, sizeof c.sharing, "%s", sharing);
    sb_model *m = sb_model_create(&c, 2, 5, 1, 0, err, sizeof err);
    if (!m) print_error("%s\n", err);
    assert_non_null(m);
    return m;
}

/* E[min(1 + Poisson(L), cap)] with log L ~ N(mu, sigma^2): the trapezoid rule over z in [-8, 8]. */
static double expected(double mu, double sigma, int cap)
{
    double sum = 0, h = 1e-3;
    for (double z = -8; z <= 8; z += h) {
        double lam = exp(mu + sigma * z), phi = exp(-z * z / 2) / sqrt(2 * M_PI), e = 0, tail = 1;
        for (int k = 0; k < cap - 1; k++) {
            double pk = exp(k * log(lam) - lam - lgamma(k + 1.0));
            e += (1 + k) * pk;
            tail -= pk;
        }
        sum += (e + cap * tail) * phi * h;
    }
    return sum;
}

static void draws(void **state)
{
    (void)state;
    char err[SB_ERR_LEN] = "";
    sb_model *m = looped(6, "loop:1,1,1", 1);   /* 4 loops */
    sb_loops *l = sb_loops_new(m, 2, 5, 7, err, sizeof err);
    assert_non_null(l);
    double sum = 0;
    int n = 20000, lo = 1000, hi = 0;
    for (int i = 0; i < n; i++) {
        int p = sb_loops_draw(l, 4);
        sum += p;
        lo = p < lo ? p : lo;
        hi = p > hi ? p : hi;
    }
    double want = expected(log(4.0) - 0.125, 0.5, 12);
    assert_true(want > 4.5 && want < 5.0);   /* 1 + the rate's mean 4, less what the cap takes */
    assert_close(sum / n, want, 0.02);       /* about four standard errors */
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 12);
    sb_loops_free(l);
    sb_model_free(m);
}

static void step_models(void **state)
{
    (void)state;
    char err[SB_ERR_LEN] = "";
    sb_model *m = looped(4, "loop:1,1,1", 1);   /* 2 loops */
    sb_loops *l = sb_loops_new(m, 2, 5, 3, err, sizeof err);
    assert_non_null(l);
    int seen_other = 0, seen_own = 0;
    for (int i = 0; i < 40; i++) {
        int p;
        sb_model *s = sb_loops_step(l, &p, err, sizeof err);
        assert_non_null(s);
        assert_int_equal(sb_model_config(s)->layers, 2 + p);
        assert_int_equal(sb_model_n_params(s), sb_model_n_params(m));
        assert_memory_equal(sb_model_params(s), sb_model_params(m), sizeof(real) * sb_model_n_params(m));
        if (s == m) { seen_own++; continue; }
        seen_other++;
        sb_model_params(s)[0] += 1;          /* a step's change comes back */
        sb_loops_done(l, s);
        assert_memory_equal(sb_model_params(s), sb_model_params(m), sizeof(real) * sb_model_n_params(m));
    }
    assert_true(seen_own > 0 && seen_other > 0);
    sb_loops_free(l);
    sb_model_free(m);
    /* not looped, or with depths of their own: refused */
    m = looped(4, "all", 1);
    assert_null(sb_loops_new(m, 2, 5, 3, err, sizeof err));
    assert_mentions(err, "not looped");
    sb_model_free(m);
    m = looped(4, "loop:1,1,1", 0);   /* LayerNorms per depth */
    l = sb_loops_new(m, 2, 5, 3, err, sizeof err);
    assert_non_null(l);
    int p = 2;
    sb_model *s = m;
    for (int i = 0; i < 40 && s && p == 2; i++) s = sb_loops_step(l, &p, err, sizeof err);
    assert_null(s);
    assert_mentions(err, "other tensors");
    sb_loops_free(l);
    sb_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(draws), cmocka_unit_test(step_models) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
