/*
** test_untie_f64.c: selective untying at measured depths (untie_by=grad or
** heads), in double precision. The specification rewrite (untie:K at given
** depths as an explicit map: at the last K the same maps as untie:K, refusals
** where one map cannot say it), the choice of the K best-scoring shared
** depths, and the two criteria against independent computations on tiny
** models:
**  - grad: each depth's relative gradient norm |G_l| / |theta_l| (Lee et al.
**    2023), computed here from an unshared copy of the model (every depth's
**    block a copy of the one it shared), where depth l's gradient is simply
**    the gradient of its own tensors: one sequence at a time, averaged, no
**    per-depth tracking involved;
**  - heads: Michel et al.'s |dL_x/dg_h| by central finite differences, the
**    gate g_h applied by scaling head h's columns of depth l's output
**    projection in the unshared copy (the head's output enters the layer only
**    through them), averaged over examples and summed over the depth's heads.
** The depths chosen from the engine's scores must be those the independent
** scores choose.
*/
#include "testmodel.h"
#include "analysis/untie.h"

enum { T = 5, N = 4, NSEQ = 6 };

static void config(sb_config *c, const char *sharing, int layers)
{
    sb_config_default(c);
    c->vocab = 11; c->max_len = 8; c->width = 8; c->layers = layers; c->heads = 2; c->ffn = 12;
    snprintf(c->sharing, sizeof c->sharing, "%s", sharing);
}

/* ------------------------------------------------------ the rewrite */

static void rewrites(void **state)
{
    (void)state;
    sb_config c;
    char base[SB_SPEC_LEN], spec[SB_SPEC_LEN], err[SB_ERR_LEN] = "";
    int k = 0, d13[] = { 1, 3 };
    config(&c, "all+untie:2+kv_share:2", 6);
    assert_int_equal(sb_sharing_untie_base(&c, base, sizeof base, &k, err, sizeof err), 0);
    assert_string_equal(base, "all+kv_share:2");
    assert_int_equal(k, 2);
    assert_int_equal(sb_sharing_untie_at(&c, d13, 2, spec, sizeof spec, err, sizeof err), 0);
    assert_string_equal(spec, "map:0,1,0,2,0,0+kv_share:2");
    /* without a base map, lowrank shares all */
    config(&c, "lowrank:2+untie:1", 3);
    assert_int_equal(sb_sharing_untie_base(&c, base, sizeof base, &k, err, sizeof err), 0);
    assert_string_equal(base, "all+lowrank:2");
    assert_int_equal(sb_sharing_untie_at(&c, d13, 1, spec, sizeof spec, err, sizeof err), 0);
    assert_string_equal(spec, "map:0,1,0+lowrank:2");
}

/* At the last K depths the explicit map resolves to untie:K's maps. */
static void last_k_is_untie(void **state)
{
    (void)state;
    static const char *const bases[] = { "all", "cycle:2", "cycle:3", "sequence:2", "map:0,0,1,1,1,0" };
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++)
        for (int k = 1; k <= 2; k++) {
            sb_config c, e;
            sb_sharing want, got;
            char err[SB_ERR_LEN] = "";
            int last[2] = { 6 - k, 5 };
            snprintf(err, sizeof err, "%s+untie:%d", bases[b], k);
            config(&c, err, 6);
            e = c;
            assert_int_equal(sb_sharing_resolve(&c, &want, err, sizeof err), 0);
            assert_int_equal(sb_sharing_untie_at(&c, last, k, e.sharing, sizeof e.sharing, err, sizeof err), 0);
            if (sb_sharing_resolve(&e, &got, err, sizeof err)) print_error("%s: %s\n", e.sharing, err);
            assert_memory_equal(want.attn, got.attn, sizeof want.attn[0] * 6);
            assert_memory_equal(want.ffn, got.ffn, sizeof want.ffn[0] * 6);
            assert_int_equal(want.n_attn, got.n_attn);
        }
}

static void refuses(void **state)
{
    (void)state;
    static const struct { const char *sharing, *attn, *frag; int depth; } bad[] = {
        { "attn+untie:1", "", "maps one sublayer only", 0 },
        { "ffn+untie:1", "", "maps one sublayer only", 0 },
        { "loop:1,2,1+untie:1", "", "injects its input", 1 },
        { "progressive:all+untie:1", "", "progressive", 0 },
        { "all", "", "has no untie:K", 0 },
        { "all+untie:1", "cycle:2", "sharing_attn", 0 },
        { "map:0,1,1,1,1,2+untie:1", "", "depth 0 already has a block of its own", 0 },
        { "all+untie:1", "", "depth 6 to untie is outside", 6 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sb_config c;
        char out[SB_SPEC_LEN], err[SB_ERR_LEN] = "";
        config(&c, bad[i].sharing, 6);
        snprintf(c.sharing_attn, sizeof c.sharing_attn, "%s", bad[i].attn);
        assert_int_equal(sb_sharing_untie_at(&c, &bad[i].depth, 1, out, sizeof out, err, sizeof err), -1);
        assert_mentions(err, bad[i].frag);
    }
    sb_config c;
    char out[SB_SPEC_LEN], err[SB_ERR_LEN] = "";
    int twice[] = { 2, 2 };
    config(&c, "all+untie:2", 6);
    assert_int_equal(sb_sharing_untie_at(&c, twice, 2, out, sizeof out, err, sizeof err), -1);
    assert_mentions(err, "given twice");
    assert_int_equal(sb_sharing_untie_at(&c, twice, 1, out, sizeof out, err, sizeof err), -1);
    assert_mentions(err, "unties 2 depths, 1 given");
}

/* ------------------------------------------------------- the choice */

static void chooses(void **state)
{
    (void)state;
    double s[6] = { 0.5, 0.9, 0.2, 0.9, NAN, 0.1 };
    int all[6] = { 1, 1, 1, 1, 1, 1 }, some[6] = { 1, 0, 1, 1, 1, 0 }, d[6];
    assert_int_equal(sb_untie_choose(s, all, 6, 2, d), 0);   /* the tie 0.9 at depths 1 and 3: both */
    assert_int_equal(d[0], 1); assert_int_equal(d[1], 3);
    assert_int_equal(sb_untie_choose(s, all, 6, 1, d), 0);   /* one of the tie: the deeper */
    assert_int_equal(d[0], 3);
    assert_int_equal(sb_untie_choose(s, some, 6, 3, d), 0);  /* depth 1 does not share; NAN last */
    assert_int_equal(d[0], 0); assert_int_equal(d[1], 2); assert_int_equal(d[2], 3);
    assert_int_equal(sb_untie_choose(s, some, 6, 4, d), 0);
    assert_int_equal(d[3], 4);
    assert_int_equal(sb_untie_choose(s, some, 6, 5, d), -1);
}

/* ---------------------------------------------- the criteria, independently */

/* An unshared copy of m: every depth's blocks copied from the block it used. */
static sb_model *unshared(const sb_model *m, int B)
{
    sb_config c = *sb_model_config(m);
    char err[SB_ERR_LEN] = "";
    snprintf(c.sharing, sizeof c.sharing, "none");
    sb_model *u = sb_model_create(&c, B, T, 3, 0, err, sizeof err);
    assert_non_null(u);
    assert_int_equal(sb_model_remap(m, NULL, NULL, u, NULL, NULL, err, sizeof err), 0);
    return u;
}

/* Tensor i of the unshared model is one of depth l's blocks (the key bias, zero by construction, left out). */
static int of_depth(const sb_model *u, int i, int l)
{
    const sb_tensor *t = sb_model_tensor(u, i);
    size_t len = strlen(t->name);
    return t->block == l && !(len > 3 && !strcmp(t->name + len - 3, ".bk"));
}

static void batch(int *tok, int *tgt, int n)
{
    test_batch(tok, tgt, n * T, 11, 4, 1);
    for (int t = 0; t < T; t++) tgt[2 * T + t] = -1;   /* a sequence with nothing scored: left out */
}

static void grad_matches(const char *sharing, int k)
{
    sb_config c;
    char err[SB_ERR_LEN] = "";
    int tok[NSEQ * T], tgt[NSEQ * T], shared[N], got[N], want[N];
    double score[N], ind[N];
    config(&c, sharing, N);
    sb_model *m = test_model_perturbed(&c, 1, T, 7, 0.3), *u = unshared(m, 1);
    batch(tok, tgt, NSEQ);
    assert_int_equal(sb_untie_grad_scores(m, tok, NULL, tgt, NSEQ, T, score, err, sizeof err), 0);
    long np = sb_model_n_params(u);
    double *mean = calloc((size_t)np, sizeof *mean);
    int used = 0;
    for (int i = 0; i < NSEQ; i++) {
        if (i == 2) continue;
        sb_model_forward(u, tok + i * T, NULL, tgt + i * T, NULL, 1, T);
        sb_model_backward(u);
        for (long j = 0; j < np; j++) mean[j] += sb_model_grads(u)[j];
        used++;
    }
    for (int l = 0; l < N; l++) {
        double g2 = 0, p2 = 0;
        for (int i = 0; i < sb_model_tensor_count(u); i++) {
            const sb_tensor *t = sb_model_tensor(u, i);
            if (!of_depth(u, i, l)) continue;
            for (long j = 0; j < t->numel; j++) {
                double g = mean[t->offset + j] / used, p = sb_model_params(u)[t->offset + j];
                g2 += g * g;
                p2 += p * p;
            }
        }
        ind[l] = sqrt(g2 / p2);
        assert_close(score[l] / ind[l], 1, 1e-9);
    }
    sb_sharing_shared_depths(sb_model_sharing(m), shared);
    assert_int_equal(sb_untie_choose(score, shared, N, k, got), 0);
    assert_int_equal(sb_untie_choose(ind, shared, N, k, want), 0);
    assert_memory_equal(got, want, sizeof(int) * (size_t)k);
    free(mean);
    sb_model_free(m);
    sb_model_free(u);
}

static void grad_all(void **state) { (void)state; grad_matches("all", 2); }
static void grad_cycle(void **state) { (void)state; grad_matches("cycle:2", 1); }   /* two blocks: the norms differ */

static void heads_match(void **state)
{
    (void)state;
    sb_config c;
    char err[SB_ERR_LEN] = "";
    int tok[NSEQ * T], tgt[NSEQ * T], shared[N], got[N], want[N], NH = 2, hd = 4, C = 8;
    double score[N], ind[N], eps = 1e-5;
    config(&c, "all", N);
    sb_model *m = test_model_perturbed(&c, 4, T, 9, 0.3), *u = unshared(m, 1);   /* batches of 4: 4 + 2 */
    batch(tok, tgt, NSEQ);
    assert_int_equal(sb_untie_head_scores(m, tok, NULL, tgt, NSEQ, T, score, err, sizeof err), 0);
    for (int l = 0; l < N; l++) {
        char name[32];
        snprintf(name, sizeof name, "attn.%d.wo", l);
        int wo = sb_model_tensor_find(u, name);
        assert_true(wo >= 0);
        real *w = sb_model_params(u) + sb_model_tensor(u, wo)->offset;
        ind[l] = 0;
        for (int h = 0; h < NH; h++) {
            double sum = 0;
            for (int i = 0; i < NSEQ; i++) {
                if (i == 2) continue;
                double L[2];
                for (int s = 0; s < 2; s++) {
                    double g = s ? 1 - eps : 1 + eps;
                    for (int o = 0; o < C; o++)
                        for (int j = h * hd; j < (h + 1) * hd; j++) w[o * C + j] *= g;
                    L[s] = sb_model_forward(u, tok + i * T, NULL, tgt + i * T, NULL, 1, T);
                    for (int o = 0; o < C; o++)
                        for (int j = h * hd; j < (h + 1) * hd; j++) w[o * C + j] /= g;
                }
                sum += fabs((L[0] - L[1]) / (2 * eps));
            }
            ind[l] += sum / (NSEQ - 1);
        }
        assert_close(score[l] / ind[l], 1, 1e-6);
    }
    sb_sharing_shared_depths(sb_model_sharing(m), shared);
    assert_int_equal(sb_untie_choose(score, shared, N, 2, got), 0);
    assert_int_equal(sb_untie_choose(ind, shared, N, 2, want), 0);
    assert_memory_equal(got, want, sizeof got[0] * 2);
    sb_model_free(m);
    sb_model_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rewrites), cmocka_unit_test(last_k_is_untie), cmocka_unit_test(refuses), cmocka_unit_test(chooses),
        cmocka_unit_test(grad_all), cmocka_unit_test(grad_cycle), cmocka_unit_test(heads_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
