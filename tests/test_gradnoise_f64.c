/*
** test_gradnoise_f64.c: the gradient noise statistics, in double precision.
** McCandlish et al.'s two-batch estimator recovers a known noise scale from
** synthetic gradients g_i = G + noise of known covariance trace; with B_small
** = 1 it equals the unbiased sample variance; Liu et al.'s de-biased GSNR
** recovers a known ratio and skips constant entries; and on a model the
** per-depth, per-block and model-wide statistics equal a direct two-pass
** computation over per-sequence gradients obtained one by one.
*/
#include "testutil.h"
#include "analysis/gradnoise.h"
#include "core/rng.h"

/* With B_small = 1 and B_big = n: tr(S) = sum of unbiased variances and
** |G|^2 = |mean|^2 - tr(S)/n, the closed forms. */
static void two_batch_closed_form(void **state)
{
    (void)state;
    enum { D = 7, n = 5 };
    sb_rng r;
    sb_rng_seed(&r, 1, "gns");
    double g[n][D];
    sb_moments mo;
    assert_int_equal(sb_moments_init(&mo, D), 0);
    for (int i = 0; i < n; i++) {
        real x[D];
        for (int j = 0; j < D; j++) x[j] = g[i][j] = 0.3 * j + sb_rng_normal(&r);
        sb_moments_next(&mo);
        sb_moments_add(&mo, 0, x, D);
    }
    double var = 0, mean2 = 0, small = 0;
    for (int j = 0; j < D; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < n; i++) m += g[i][j] / n;
        for (int i = 0; i < n; i++) { v += (g[i][j] - m) * (g[i][j] - m) / (n - 1); small += g[i][j] * g[i][j] / n; }
        var += v;
        mean2 += m * m;
    }
    long off = 0, len = D;
    sb_gradstat st;
    sb_gradstat_ranges(&mo, &off, &len, 1, &st);
    assert_close(st.small_sq, small, 1e-13);
    assert_close(st.big_sq, mean2, 1e-13);
    assert_close(st.trace, var, 1e-12);
    assert_close(st.g2, mean2 - var / n, 1e-12);
    /* the estimator as McCandlish et al. write it, at other batch sizes */
    double g2, tr;
    sb_gns_two_batch(10.0, 4.0, 2, 8, &g2, &tr);   /* |G|^2 + tr/2 = 10, |G|^2 + tr/8 = 4 */
    assert_close(tr, 16, 1e-14);
    assert_close(g2, 2, 1e-14);
    sb_moments_free(&mo);
}

/* g_i = G + e_i, e_i ~ N(0, diag(s_j^2)): tr(S) = sum s_j^2, |G|^2 known;
** B_simple averaged over many measurements (numerator and denominator
** separately) recovers tr(S)/|G|^2. */
static void recovers_noise_scale(void **state)
{
    (void)state;
    enum { D = 100, n = 32, points = 1000 };
    sb_rng r;
    sb_rng_seed(&r, 2, "gns");
    double G[D], s[D], g2_true = 0, tr_true = 0;
    for (int j = 0; j < D; j++) {
        G[j] = (j % 2 ? 1 : -1) * 0.1 * (1 + j % 3) / 2;
        s[j] = 0.2 + 0.01 * j;
        g2_true += G[j] * G[j];
        tr_true += s[j] * s[j];
    }
    double tr[points], g2[points];
    real x[D];
    for (int p = 0; p < points; p++) {
        sb_moments mo;
        assert_int_equal(sb_moments_init(&mo, D), 0);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < D; j++) x[j] = G[j] + s[j] * sb_rng_normal(&r);
            sb_moments_next(&mo);
            sb_moments_add(&mo, 0, x, D);
        }
        long off = 0, len = D;
        sb_gradstat st;
        sb_gradstat_ranges(&mo, &off, &len, 1, &st);
        tr[p] = st.trace;
        g2[p] = st.g2;
        sb_moments_free(&mo);
    }
    double b = sb_gns_average(tr, g2, points), want = tr_true / g2_true;
    printf("  B_simple: estimated %.2f, true %.2f (|G|^2 %.3f, tr S %.3f)\n", b, want, g2_true, tr_true);
    assert_close(b, want, 0.05 * want);
    double mt = 0;
    for (int p = 0; p < points; p++) mt += tr[p] / points;
    assert_close(mt, tr_true, 0.02 * tr_true);
}

/* GSNR: entries with mean mu and standard deviation sigma have mu^2/sigma^2;
** constant entries (zero variance) are skipped; zero-mean entries come out
** near 0 after de-biasing (the plain ratio would be about 1/n). */
static void gsnr_synthetic(void **state)
{
    (void)state;
    enum { D = 3000, n = 400 };
    sb_rng r;
    sb_rng_seed(&r, 3, "gsnr");
    sb_moments mo;
    assert_int_equal(sb_moments_init(&mo, D + 10), 0);
    real x[D + 10];
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < D; j++) {
            double mu = j < D / 2 ? 2.0 : 0.0, sigma = 1 + (j % 3);
            x[j] = mu * sigma + sigma * sb_rng_normal(&r);   /* ratio 4 in the first half, 0 in the second */
        }
        for (int j = D; j < D + 10; j++) x[j] = 0.5;     /* constant: skipped */
        sb_moments_next(&mo);
        sb_moments_add(&mo, 0, x, D + 10);
    }
    sb_gradstat a, b, all;
    long off0 = 0, off1 = D / 2, offc = D, half = D / 2, len = D + 10;
    sb_gradstat_ranges(&mo, &off0, &half, 1, &a);
    sb_gradstat_ranges(&mo, &off1, &half, 1, &b);
    sb_gradstat_ranges(&mo, &off0, &len, 1, &all);
    printf("  GSNR: %.3f (true 4), %.4f (true 0)\n", a.gsnr, b.gsnr);
    assert_close(a.gsnr, 4.0, 0.05 * 4);
    assert_true(fabs(b.gsnr) < 0.01);
    assert_int_equal(all.gsnr_n, D);
    assert_int_equal(all.size, D + 10);
    /* a group that is only constant entries has no GSNR */
    long ten = 10;
    sb_gradstat c;
    sb_gradstat_ranges(&mo, &offc, &ten, 1, &c);
    assert_true(isnan(c.gsnr));
    assert_close(c.trace, 0, 0);
    sb_moments_free(&mo);
}

enum { N = 12, T = 6 };

/* The model's statistics against a two-pass computation over per-sequence
** gradients taken one at a time, for a shared and an unshared model. */
static void model_matches_direct(const char *sharing)
{
    sb_config c;
    sb_config_default(&c);
    c.vocab = 9; c.max_len = 8; c.width = 8; c.layers = 4; c.heads = 2; c.ffn = 12;
    snprintf(c.sharing, sizeof c.sharing, "%s", sharing);
    char err[SB_ERR_LEN] = "";
    sb_model *m = sb_model_create(&c, 1, T, 3, 1, err, sizeof err);
    if (!m) print_error("%s\n", err);
    assert_non_null(m);
    sb_rng r;
    sb_rng_seed(&r, 4, "seq");
    int tok[N * T], tgt[N * T];
    for (int i = 0; i < N * T; i++) {
        tok[i] = 1 + (int)sb_rng_below(&r, 8);
        tgt[i] = i % T >= 2 ? (int)sb_rng_below(&r, 9) : -1;
    }
    for (int t = 0; t < T; t++) tgt[3 * T + t] = -1;   /* a sequence with nothing scored is left out */
    sb_gradnoise *g = malloc(sizeof *g);
    assert_int_equal(sb_gradnoise_measure(&m, 1, NULL, tok, NULL, tgt, N, T, g, err, sizeof err), 0);
    assert_int_equal(g->n, N - 1);
    /* per-sequence gradients and contributions, kept whole */
    long np = sb_model_n_params(m);
    int nt = sb_model_tensor_count(m);
    double *grads = calloc((size_t)N * np, sizeof(double));
    double *contrib = calloc((size_t)N * c.layers * np, sizeof(double));   /* [seq][depth][param offset] */
    int used = 0;
    for (int i = 0; i < N; i++) {
        if (i == 3) continue;
        sb_model_forward(m, tok + i * T, NULL, tgt + i * T, NULL, 1, T);
        sb_model_backward(m);
        for (long j = 0; j < np; j++) grads[(long)used * np + j] = sb_model_grads(m)[j];
        for (int ti = 0; ti < nt; ti++) {
            const sb_tensor *t = sb_model_tensor(m, ti);
            for (int l = 0; l < c.layers; l++) {
                const real *ct = sb_model_contribution(m, ti, l);
                if (!ct) continue;
                for (long j = 0; j < t->numel; j++) contrib[((long)used * c.layers + l) * np + t->offset + j] = ct[j];
            }
        }
        used++;
    }
    /* two-pass statistics of a set of entries given by a selector */
    for (int k = 0; k < SB_GK_COUNT; k++) {
        for (int l = 0; l < c.layers; l++) {
            if (!g->has[l][k]) continue;
            double mean2 = 0, var = 0, gs = 0;
            long cnt = 0;
            for (int ti = 0; ti < nt; ti++) {
                const sb_tensor *t = sb_model_tensor(m, ti);
                if (t->block < 0 || strncmp(t->name, sb_grad_kind_names[k], strlen(sb_grad_kind_names[k])) ||
                    t->name[strlen(sb_grad_kind_names[k])] != '.')
                    continue;
                if (!sb_model_contribution(m, ti, l)) continue;
                for (long j = t->offset; j < t->offset + t->numel; j++) {
                    double mu = 0, v = 0;
                    for (int i = 0; i < used; i++) mu += contrib[((long)i * c.layers + l) * np + j] / used;
                    for (int i = 0; i < used; i++) {
                        double d = contrib[((long)i * c.layers + l) * np + j] - mu;
                        v += d * d / (used - 1);
                    }
                    mean2 += mu * mu;
                    var += v;
                    if (v > 0) { gs += (mu * mu - v / used) / v; cnt++; }
                }
            }
            const sb_gradstat *st = &g->depth[l][k];
            assert_close(st->trace, var, 1e-9);
            assert_close(st->g2, mean2 - var / used, 1e-9);
            assert_close(st->gsnr, gs / cnt, 1e-8);
        }
        for (int b = 0; b < g->blocks[k]; b++) {
            double mean2 = 0, var = 0;
            for (int ti = 0; ti < nt; ti++) {
                const sb_tensor *t = sb_model_tensor(m, ti);
                if (t->block != b || strncmp(t->name, sb_grad_kind_names[k], strlen(sb_grad_kind_names[k])) ||
                    t->name[strlen(sb_grad_kind_names[k])] != '.')
                    continue;
                for (long j = t->offset; j < t->offset + t->numel; j++) {
                    double mu = 0, v = 0;
                    for (int i = 0; i < used; i++) mu += grads[(long)i * np + j] / used;
                    for (int i = 0; i < used; i++) v += (grads[(long)i * np + j] - mu) * (grads[(long)i * np + j] - mu) / (used - 1);
                    mean2 += mu * mu;
                    var += v;
                }
            }
            assert_close(g->block[k][b].trace, var, 1e-9);
            assert_close(g->block[k][b].g2, mean2 - var / used, 1e-9);
        }
    }
    /* model-wide: a ratio of sums over every parameter */
    double mean2 = 0, var = 0;
    for (long j = 0; j < np; j++) {
        double mu = 0, v = 0;
        for (int i = 0; i < used; i++) mu += grads[(long)i * np + j] / used;
        for (int i = 0; i < used; i++) v += (grads[(long)i * np + j] - mu) * (grads[(long)i * np + j] - mu) / (used - 1);
        mean2 += mu * mu;
        var += v;
    }
    assert_close(g->model.trace, var, 1e-9);
    assert_close(g->model.g2, mean2 - var / used, 1e-9);
    /* a shared block's depths are reported apart; their sum is the block */
    if (!strcmp(sharing, "all")) {
        assert_int_equal(g->blocks[SB_GK_ATTN], 1);
        for (int l = 0; l < c.layers; l++) assert_true(g->has[l][SB_GK_ATTN]);
        assert_true(g->depth[0][SB_GK_FFN].trace != g->depth[3][SB_GK_FFN].trace);
    }
    /* three copies on three threads, each a share of the sequences: the same statistics */
    sb_model *copies[3] = { m, NULL, NULL };
    for (int w = 1; w < 3; w++) {
        copies[w] = sb_model_create(&c, 1, T, 99, 1, err, sizeof err);
        assert_int_equal(sb_model_remap(m, NULL, NULL, copies[w], NULL, NULL, err, sizeof err), 0);
    }
    sb_gradnoise *g3 = malloc(sizeof *g3);
    sb_moments work[3];
    for (int w = 0; w < 3; w++) assert_int_equal(sb_moments_init(&work[w], sb_gradnoise_len(m)), 0);
    for (int rep = 0; rep < 2; rep++)   /* the work is reused */
        assert_int_equal(sb_gradnoise_measure(copies, 3, work, tok, NULL, tgt, N, T, g3, err, sizeof err), 0);
    for (int w = 0; w < 3; w++) sb_moments_free(&work[w]);
    assert_int_equal(g3->n, g->n);
    assert_close(g3->model.trace, g->model.trace, 1e-10);
    assert_close(g3->model.g2, g->model.g2, 1e-10);
    assert_close(g3->model.gsnr, g->model.gsnr, 1e-8);
    for (int l = 0; l < c.layers; l++)
        for (int k = 0; k < SB_GK_COUNT; k++) {
            if (!g->has[l][k]) continue;
            assert_close(g3->depth[l][k].trace, g->depth[l][k].trace, 1e-10);
            assert_close(g3->depth[l][k].g2, g->depth[l][k].g2, 1e-10);
            assert_close(g3->depth[l][k].gsnr, g->depth[l][k].gsnr, 1e-8);
        }
    for (int w = 1; w < 3; w++) sb_model_free(copies[w]);
    free(g3);
    free(grads); free(contrib); free(g);
    sb_model_free(m);
}

static void model_none(void **state) { (void)state; model_matches_direct("none"); }
static void model_all(void **state) { (void)state; model_matches_direct("all"); }
static void model_cycle_kv(void **state) { (void)state; model_matches_direct("cycle:2+kv_share:2"); }

/* A shared model without tracking cannot give per-depth contributions: an error naming the fix. */
static void needs_tracking(void **state)
{
    (void)state;
    sb_config c;
    sb_config_default(&c);
    c.vocab = 9; c.max_len = 8; c.width = 8; c.layers = 2; c.heads = 2; c.ffn = 12;
    strcpy(c.sharing, "all");
    char err[SB_ERR_LEN] = "";
    sb_model *m = sb_model_create(&c, 1, T, 3, 0, err, sizeof err);
    int tok[2 * T], tgt[2 * T];
    for (int i = 0; i < 2 * T; i++) { tok[i] = 1 + i % 7; tgt[i] = i % 5; }
    sb_gradnoise *g = malloc(sizeof *g);
    assert_int_equal(sb_gradnoise_measure(&m, 1, NULL, tok, NULL, tgt, 2, T, g, err, sizeof err), -1);
    assert_mentions(err, "track_depth");
    free(g);
    sb_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_batch_closed_form), cmocka_unit_test(recovers_noise_scale),
        cmocka_unit_test(gsnr_synthetic), cmocka_unit_test(model_none), cmocka_unit_test(model_all),
        cmocka_unit_test(model_cycle_kv), cmocka_unit_test(needs_tracking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
