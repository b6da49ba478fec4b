/*
** test_headdiv_f64.c: head diversity and importance, in double precision.
** Jensen-Shannon divergence of identical distributions is 0 and of disjoint
** ones ln 2 (Clark et al.'s smoothing moves it by a known amount); entropy of
** a uniform row is ln n; on a hand-made causal pattern (one head on the
** first key, one uniform) diversity and entropy are their closed forms over
** the queries that see two keys or more; on a model they equal a direct
** computation from its attention rows (causal and not); a model whose heads
** are copies of each other has zero diversity; Michel et al.'s head importance equals the mean over
** examples of |dL_x/dg| found by finite differences of each example's own
** loss, normalised per layer.
*/
#include "testutil.h"
#include "analysis/headdiv.h"
#include "core/rng.h"

static void js_known_values(void **state)
{
    (void)state;
    double p[4] = { 0.1, 0.2, 0.3, 0.4 }, q[4] = { 0.5, 0.5, 0, 0 }, s[4] = { 0, 0, 0.5, 0.5 };
    assert_close(sb_js_divergence(p, p, 4), 0, 1e-15);
    assert_close(sb_js_divergence(q, s, 4), log(2), 1e-15);
    assert_close(sb_js_divergence(p, q, 4), sb_js_divergence(q, p, 4), 1e-15);
    /* smoothed: identical rows give exactly 0; one-hot rows on different keys
    ** give the closed form for 0.999 e_i + 0.001/n, just under ln 2 */
    real a[3] = { 1, 0, 0 }, b[3] = { 0, 1, 0 }, c[3] = { 0.2, 0.3, 0.5 };
    assert_close(sb_js_smoothed(c, c, 3), 0, 1e-15);
    double hi = 0.999 + 0.001 / 3, lo = 0.001 / 3, mid = 0.5 * (hi + lo);
    double want = hi * log(hi / mid) + lo * log(lo / mid);   /* two halves of the JS, each 1/2 */
    assert_close(sb_js_smoothed(a, b, 3), want, 1e-12);
    assert_true(want < log(2) && want > 0.99 * log(2));
    double ps[3], qs[3];
    for (int i = 0; i < 3; i++) { ps[i] = 0.999 * a[i] + 0.001 / 3; qs[i] = 0.999 * c[i] + 0.001 / 3; }
    assert_close(sb_js_smoothed(a, c, 3), sb_js_divergence(ps, qs, 3), 1e-14);
    /* entropy */
    real u[5] = { 0.2, 0.2, 0.2, 0.2, 0.2 };
    assert_close(sb_attn_entropy(u, 5), log(5), 1e-14);
    assert_close(sb_attn_entropy(a, 3), 0, 0);
}

enum { B = 3, T = 6 };

static void config(sb_config *c)
{
    sb_config_default(c);
    c->vocab = 11; c->max_len = 8; c->width = 12; c->layers = 3; c->heads = 3; c->ffn = 16;
}

static sb_model *make(const sb_config *c)
{
    char err[SB_ERR_LEN] = "";
    sb_model *m = sb_model_create(c, B, T, 5, 0, err, sizeof err);
    if (!m) print_error("%s\n", err);
    assert_non_null(m);
    sb_rng r;
    sb_rng_seed(&r, 8, "perturb");
    real *p = sb_model_params(m);
    for (long i = 0; i < sb_model_n_params(m); i++) p[i] += (real)(0.4 * sb_rng_normal(&r));
    return m;
}

static void batch(int *tok, int *tgt)
{
    sb_rng r;
    sb_rng_seed(&r, 13, "batch");
    for (int i = 0; i < B * T; i++) {
        tok[i] = 1 + (int)sb_rng_below(&r, 10);
        tgt[i] = (i % T) >= 2 + i / T ? (int)sb_rng_below(&r, 11) : -1;   /* 4, 3 and 2 scored positions */
    }
    tok[T - 1] = 0;   /* a padding position */
}

/* Heads that are copies of each other (same query and key rows) attend alike: JS 0, equal entropies. */
static void identical_heads(void **state)
{
    (void)state;
    sb_config c;
    config(&c);
    sb_model *m = make(&c);
    int hd = c.width / c.heads;
    for (int l = 0; l < c.layers; l++) {
        const char *names[4] = { "attn.%d.wq", "kv.%d.wk", "attn.%d.bq", "kv.%d.bk" };
        for (int k = 0; k < 4; k++) {
            char name[32];
            snprintf(name, sizeof name, names[k], l);
            const sb_tensor *t = sb_model_tensor(m, sb_model_tensor_find(m, name));
            real *w = sb_model_params(m) + t->offset;
            int cols = t->ndim == 2 ? t->shape[1] : 1;
            for (int h = 1; h < c.heads; h++)
                memcpy(w + (long)h * hd * cols, w, sizeof(real) * hd * cols);
        }
    }
    int tok[B * T], tgt[B * T];
    unsigned char valid[B * T];
    batch(tok, tgt);
    for (int i = 0; i < B * T; i++) valid[i] = tok[i] != 0;
    sb_model_forward(m, tok, NULL, tgt, NULL, B, T);
    sb_model_backward(m);
    sb_headdiv h;
    assert_int_equal(sb_headdiv_init(&h, c.layers, c.heads), 0);
    sb_headdiv_add(&h, m, tgt, valid, B, T);
    assert_int_equal(h.queries[0], B * T - 1 - B);   /* not the padding, nor the first positions (one key) */
    double js[3], ent[9];
    sb_headdiv_result(&h, js, ent, NULL, NULL);
    for (int l = 0; l < c.layers; l++) {
        assert_close(js[l], 0, 1e-15);
        assert_close(ent[l * 3 + 1], ent[l * 3], 1e-14);
        assert_true(ent[l * 3] > 0);
    }
    sb_headdiv_free(&h);
    sb_model_free(m);
}

/* Causal, T = 5, two heads: head 0 attends only to key 0, head 1 uniformly
** to the keys it sees. Query t (n = t+1 keys) has entropies 0 and ln n and,
** after smoothing p = 0.999 e_0 + 0.001/n and q = 1/n (uniform stays
** uniform), JS = (1/2)[p0 ln(p0/m0) + (n-1) l ln(l/m1)] + (1/2)[(1/n) ln((1/n)/m0)
** + ((n-1)/n) ln((1/n)/m1)] with l = 0.001/n, m0 = (p0 + 1/n)/2, m1 = (l + 1/n)/2.
** The means are over t = 1..T-1 (t = 0 sees one key) and over the valid
** queries: the second example's query 3 is masked. */
static void hand_made_pattern(void **state)
{
    (void)state;
    enum { TT = 5, NB = 2, NH = 2 };
    real att[NB * NH * TT * TT];
    memset(att, 0, sizeof att);
    for (int b = 0; b < NB; b++)
        for (int t = 0; t < TT; t++) {
            att[((b * NH + 0) * TT + t) * TT] = 1;
            for (int s = 0; s <= t; s++) att[((b * NH + 1) * TT + t) * TT + s] = (real)(1.0 / (t + 1));
        }
    unsigned char valid[NB * TT];
    memset(valid, 1, sizeof valid);
    valid[TT + 3] = 0;
    sb_headdiv h;
    assert_int_equal(sb_headdiv_init(&h, 1, NH), 0);
    sb_headdiv_add_attention(&h, 0, att, valid, NB, TT, 1);
    double want_js = 0, want_ent = 0;
    long q = 0;
    for (int b = 0; b < NB; b++)
        for (int t = 1; t < TT; t++) {
            if (!valid[b * TT + t]) continue;
            double n = t + 1, l = 0.001 / n, p0 = 0.999 + l, u = 1 / n, m0 = (p0 + u) / 2, m1 = (l + u) / 2;
            want_js += 0.5 * (p0 * log(p0 / m0) + (n - 1) * l * log(l / m1)) + 0.5 * (u * log(u / m0) + (n - 1) * u * log(u / m1));
            want_ent += log(n);
            q++;
        }
    double js, ent[2];
    sb_headdiv_result(&h, &js, ent, NULL, NULL);
    printf("  hand-made pattern: JS %.6f over %ld queries (%.6f counting the one-key queries)\n", js, q, want_js / (q + NB));
    assert_int_equal(h.queries[0], 2 * (TT - 1) - 1);
    assert_close(js, want_js / q, 1e-12);
    assert_close(ent[0], 0, 0);
    assert_close(ent[1], want_ent / q, 1e-12);
    /* the same rows as an encoder's (every query sees all T keys): the last
    ** query of each example has the same closed form with n = T */
    sb_headdiv_free(&h);
    sb_headdiv e;
    assert_int_equal(sb_headdiv_init(&e, 1, NH), 0);
    unsigned char last[NB * TT] = { 0 };
    last[TT - 1] = last[2 * TT - 1] = 1;
    sb_headdiv_add_attention(&e, 0, att, last, NB, TT, 0);
    sb_headdiv_result(&e, &js, ent, NULL, NULL);
    double n = TT, l = 0.001 / n, p0 = 0.999 + l, u = 1 / n, m0 = (p0 + u) / 2, m1 = (l + u) / 2;
    assert_int_equal(e.queries[0], 2);
    assert_close(js, 0.5 * (p0 * log(p0 / m0) + (n - 1) * l * log(l / m1)) + 0.5 * (u * log(u / m0) + (n - 1) * u * log(u / m1)), 1e-12);
    assert_close(ent[1], log(n), 1e-12);
    sb_headdiv_free(&e);
}

/* Mean entropy and JS over valid queries with two or more keys, computed
** directly from a model's attention rows, for a decoder and an encoder. */
static void entropy_and_js_by_hand(void **state)
{
    (void)state;
    for (int causal = 1; causal >= 0; causal--) {
        sb_config c;
        config(&c);
        c.causal = causal;
        sb_model *m = make(&c);
        int tok[B * T], tgt[B * T];
        unsigned char valid[B * T];
        batch(tok, tgt);
        for (int i = 0; i < B * T; i++) valid[i] = tok[i] != 0;
        sb_model_forward(m, tok, NULL, tgt, NULL, B, T);
        sb_model_backward(m);
        sb_headdiv h;
        assert_int_equal(sb_headdiv_init(&h, c.layers, c.heads), 0);
        sb_headdiv_add(&h, m, tgt, valid, B, T);
        double js[3], ent[9];
        sb_headdiv_result(&h, js, ent, NULL, NULL);
        int l = 1, NH = c.heads;
        const real *att = sb_model_attention(m, l);
        double e = 0, j = 0;
        long q = 0;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) {
                int n = causal ? t + 1 : T;
                if (!valid[b * T + t] || n < 2) continue;
                q++;
                double p[3][T], sum = 0;
                for (int k = 0; k < NH; k++)
                    for (int s = 0; s < n; s++) p[k][s] = 0.999 * att[(((long)b * NH + k) * T + t) * T + s] + 0.001 / n;
                for (int s = 0; s < n; s++) {
                    double a = att[(((long)b * NH + 2) * T + t) * T + s];
                    if (a > 0) e -= a * log(a);
                }
                sum += sb_js_divergence(p[0], p[1], n) + sb_js_divergence(p[0], p[2], n) + sb_js_divergence(p[1], p[2], n);
                j += sum / 3;
            }
        assert_int_equal(h.queries[l], q);
        assert_close(ent[l * NH + 2], e / q, 1e-12);
        assert_close(js[l], j / q, 1e-12);
        assert_true(js[l] > 0 && js[l] < log(2));
        sb_headdiv_free(&h);
        sb_model_free(m);
    }
}

/* Importance: |dL_x/dg_h| by finite differences of example x's own mean loss,
** gating head h by scaling its value rows (which scales its output), averaged
** over examples, then normalised per layer by the L2 norm. */
static void importance_finite_differences(void **state)
{
    (void)state;
    sb_config c;
    config(&c);
    sb_model *m = make(&c);
    int tok[B * T], tgt[B * T];
    batch(tok, tgt);
    sb_model_forward(m, tok, NULL, tgt, NULL, B, T);
    sb_model_backward(m);
    sb_headdiv h;
    assert_int_equal(sb_headdiv_init(&h, c.layers, c.heads), 0);
    sb_headdiv_add(&h, m, tgt, NULL, B, T);
    double imp[9], raw[9];
    sb_headdiv_result(&h, NULL, NULL, imp, raw);
    int hd = c.width / c.heads, NH = c.heads;
    double eps = 1e-6;
    for (int l = 0; l < c.layers; l++) {
        char name[32];
        snprintf(name, sizeof name, "kv.%d.wv", l);
        const sb_tensor *t = sb_model_tensor(m, sb_model_tensor_find(m, name));
        real *wv = sb_model_params(m) + t->offset, *bv = wv + t->numel;
        double norm = 0, want[3];
        for (int k = 0; k < NH; k++) {
            double sum = 0;
            int ex = 0;
            for (int b = 0; b < B; b++) {
                int scored = 0;
                for (int s = 0; s < T; s++) scored += tgt[b * T + s] >= 0;
                if (!scored) continue;
                double lv[2];
                for (int sgn = 0; sgn < 2; sgn++) {
                    double f = sgn ? 1 - eps : 1 + eps;
                    for (int r = k * hd; r < (k + 1) * hd; r++) {
                        for (int i = 0; i < c.width; i++) wv[r * c.width + i] *= f;
                        bv[r] *= f;
                    }
                    lv[sgn] = sb_model_forward(m, tok + b * T, NULL, tgt + b * T, NULL, 1, T);
                    for (int r = k * hd; r < (k + 1) * hd; r++) {
                        for (int i = 0; i < c.width; i++) wv[r * c.width + i] /= f;
                        bv[r] /= f;
                    }
                }
                sum += fabs((lv[0] - lv[1]) / (2 * eps));
                ex++;
            }
            want[k] = sum / ex;
            norm += want[k] * want[k];
            assert_close(raw[l * NH + k], want[k], 1e-6);
        }
        for (int k = 0; k < NH; k++) assert_close(imp[l * NH + k], want[k] / sqrt(norm), 1e-6);
    }
    sb_headdiv_free(&h);
    sb_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(js_known_values), cmocka_unit_test(hand_made_pattern), cmocka_unit_test(identical_heads),
        cmocka_unit_test(entropy_and_js_by_hand), cmocka_unit_test(importance_finite_differences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
