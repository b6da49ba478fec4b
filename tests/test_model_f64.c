/*
** test_model_f64.c: whole-model gradients against finite differences, in
** double precision, under every sharing mode and architecture switch; and the
** identities sharing must satisfy (a shared gradient is the sum of its
** per-depth contributions; `all` is one block applied repeatedly).
*/
#include "testutil.h"
#include "core/model.h"
#include "core/rng.h"

enum { B = 2, T = 5 };

static void small_config(sb_config *c)
{
    sb_config_default(c);
    c->vocab = 11; c->max_len = 8; c->width = 8; c->layers = 4; c->heads = 2; c->ffn = 12;
}

static sb_model *make(const sb_config *c, int track)
{
    char err[SB_ERR_LEN] = "";
    sb_model *m = sb_model_create(c, B, T, 7, track, err, sizeof err);
    if (!m) print_error("%s\n", err);
    assert_non_null(m);
    /* move every parameter off its initial value so zero-initialised corrections get gradients */
    sb_rng r;
    sb_rng_seed(&r, 3, "perturb");
    real *p = sb_model_params(m);
    for (long i = 0; i < sb_model_n_params(m); i++) p[i] += (real)(0.3 * sb_rng_normal(&r));
    return m;
}

static void batch(const sb_config *c, int *tok, int *typ, int *tgt)
{
    sb_rng r;
    sb_rng_seed(&r, 11, "batch");
    for (int i = 0; i < B * T; i++) {
        tok[i] = (int)sb_rng_below(&r, c->vocab);
        typ[i] = c->type_vocab ? (int)sb_rng_below(&r, c->type_vocab) : 0;
        tgt[i] = (i % 3 == 1) ? -1 : (int)sb_rng_below(&r, c->vocab);
    }
}

/* Compare the analytic gradient with central differences on up to 5 entries of every tensor, on sequences of len <= T. */
static void gradcheck_len(const sb_config *c, int len)
{
    int tok[B * T], typ[B * T], tgt[B * T];
    batch(c, tok, typ, tgt);
    sb_model *m = make(c, 0);
    long n = sb_model_n_params(m);
    sb_model_forward(m, tok, typ, tgt, NULL, B, len);
    sb_model_backward(m);
    real *g = malloc(sizeof(real) * n);
    memcpy(g, sb_model_grads(m), sizeof(real) * n);
    real *p = sb_model_params(m);
    sb_rng r;
    sb_rng_seed(&r, 5, c->sharing);
    double eps = 1e-6;
    int checked = 0;
    for (int ti = 0; ti < sb_model_tensor_count(m); ti++) {
        const sb_tensor *t = sb_model_tensor(m, ti);
        for (int k = 0; k < 5 && k < t->numel; k++) {
            long j = t->offset + (long)sb_rng_below(&r, (uint32_t)t->numel);
            real save = p[j];
            p[j] = save + eps;
            double lp = sb_model_forward(m, tok, typ, tgt, NULL, B, len) + sb_model_aux_loss(m);   /* mor's, act's losses too */
            p[j] = save - eps;
            double lm = sb_model_forward(m, tok, typ, tgt, NULL, B, len) + sb_model_aux_loss(m);
            p[j] = save;
            double fd = (lp - lm) / (2 * eps);
            if (fabs(fd - g[j]) > 1e-6 * fmax(1, fabs(fd))) {
                print_error("%s: tensor %s entry %ld: analytic %.10g, finite difference %.10g\n", c->sharing, t->name,
                            j - t->offset, (double)g[j], fd);
                fail();
            }
            checked++;
        }
    }
    assert_true(checked > 10);
    /* the gradient with respect to the token embeddings, by perturbing them */
    const sb_config *mc = sb_model_config(m);
    int E = mc->embed ? mc->embed : mc->width;
    real *delta = calloc((size_t)B * T * E, sizeof(real)), *ge = malloc(sizeof(real) * B * T * E);
    sb_model_forward(m, tok, typ, tgt, NULL, B, len);
    sb_model_backward(m);
    memcpy(ge, sb_model_embed_grad(m), sizeof(real) * B * T * E);
    for (int k = 0; k < 6; k++) {
        long j = (long)sb_rng_below(&r, (uint32_t)(B * len * E));
        delta[j] = eps;
        double lp = sb_model_forward(m, tok, typ, tgt, delta, B, len) + sb_model_aux_loss(m);
        delta[j] = -eps;
        double lm = sb_model_forward(m, tok, typ, tgt, delta, B, len) + sb_model_aux_loss(m);
        delta[j] = 0;
        assert_close(ge[j], (lp - lm) / (2 * eps), 1e-6);
    }
    free(delta); free(ge); free(g);
    sb_model_free(m);
}

static void gradcheck(const sb_config *c) { gradcheck_len(c, T); }

#define GRADCHECK(fn, setup)            \
    static void fn(void **state)        \
    {                                   \
        (void)state;                    \
        sb_config c;                    \
        small_config(&c);               \
        setup;                          \
        gradcheck(&c);                  \
    }

GRADCHECK(grad_none, strcpy(c.sharing, "none"))
GRADCHECK(grad_all, strcpy(c.sharing, "all"))
GRADCHECK(grad_attn, strcpy(c.sharing, "attn"))
GRADCHECK(grad_ffn, strcpy(c.sharing, "ffn"))
GRADCHECK(grad_sequence, strcpy(c.sharing, "sequence:2"))
GRADCHECK(grad_cycle, strcpy(c.sharing, "cycle:2"))
GRADCHECK(grad_cycle_rev, strcpy(c.sharing, "cycle_rev:3"))
GRADCHECK(grad_map, strcpy(c.sharing, "map:0,1,1,0"))
GRADCHECK(grad_lowrank, strcpy(c.sharing, "cycle:2+lowrank:2"))
GRADCHECK(grad_hyper, strcpy(c.sharing, "hyper:3"))
GRADCHECK(grad_kv_share, strcpy(c.sharing, "all+kv_share:2"))
GRADCHECK(grad_kv_share_none, { strcpy(c.sharing, "kv_share:3"); c.heads = 4; c.kv_heads = 2; })
GRADCHECK(grad_untie, strcpy(c.sharing, "all+untie:1"))
GRADCHECK(grad_progressive, strcpy(c.sharing, "progressive:cycle:2"))
GRADCHECK(grad_split_maps, { strcpy(c.sharing, "none"); strcpy(c.sharing_attn, "all"); strcpy(c.sharing_ffn, "cycle:2"); })
GRADCHECK(grad_mqa, { strcpy(c.sharing, "cycle:2"); c.kv_heads = 1; })
GRADCHECK(grad_tracked_all, { strcpy(c.sharing, "all"); c.layerscale = 1; })
GRADCHECK(grad_albert, {
    strcpy(c.sharing, "all"); c.causal = 0; c.post_ln = 1; c.final_ln = 0; c.type_vocab = 2; c.embed_ln = 1;
    c.pooler = 1; c.embed = 4; c.ln_shared = 1; })
GRADCHECK(grad_bert_untied, {
    c.causal = 0; c.post_ln = 1; c.final_ln = 0; c.embed_ln = 1; c.tied = 0; c.pooler = 1; })
GRADCHECK(grad_rope, { strcpy(c.sharing, "cycle_rev:2"); c.pos = SB_POS_ROPE; c.layerscale = 1; })
GRADCHECK(grad_relbias, { strcpy(c.sharing, "all"); c.pos = SB_POS_RELBIAS; c.layer_pos_bias = 1; c.rel_buckets = 6; c.rel_max_dist = 8; })
GRADCHECK(grad_loop, strcpy(c.sharing, "loop:1,1,1"))
/* Mixture-of-Recursions: 3 recursions, the router's balancing and z losses in the objective (sb_model_aux_loss) */
GRADCHECK(grad_mor, { strcpy(c.sharing, "loop:1,1,1+mor"); c.layers = 5; })
/* expert-choice: training's top-k (a constant choice), 3 recursions of (3-j)/3 capacity, the gates and the BCE loss */
GRADCHECK(grad_mor_expert, { strcpy(c.sharing, "loop:1,1,1+mor_expert"); c.layers = 5; })
/* recursive key/value sharing: recursions 1 and 2 attend to recursion 0's keys and values of every token */
GRADCHECK(grad_mor_expert_kv_share, { strcpy(c.sharing, "loop:1,1,1+mor_expert+mor_kv_share"); c.layers = 5; })
GRADCHECK(grad_mor_post_ln_rope, { strcpy(c.sharing, "loop:0,1,1+mor"); c.post_ln = 1; c.final_ln = 0; c.pos = SB_POS_ROPE; })
/* the Universal Transformer's halting, 3 steps, the ponder loss in the objective */
GRADCHECK(grad_act, { strcpy(c.sharing, "loop:1,1,1+act"); c.layers = 5; })
GRADCHECK(grad_loop_no_prelude, { strcpy(c.sharing, "loop:0,2,0+kv_share:2"); c.ln_shared = 1; })
GRADCHECK(grad_loop_post_ln, { strcpy(c.sharing, "loop:0,1,1"); c.causal = 0; c.post_ln = 1; c.final_ln = 0; c.embed = 6; })
GRADCHECK(grad_yoco_window, { strcpy(c.sharing, "yoco:2"); c.pos = SB_POS_RELBIAS; c.heads = 4; c.kv_heads = 2; })
GRADCHECK(grad_yoco_cycle, { strcpy(c.sharing, "cycle:2+yoco:0"); c.post_ln = 1; c.final_ln = 0; })
GRADCHECK(grad_svformer, { strcpy(c.sharing, "v_share:4"); c.pos = SB_POS_ROPE; })
GRADCHECK(grad_v_share_cycle_lowrank, { strcpy(c.sharing, "cycle:2+lowrank:2+v_share:2"); c.heads = 4; c.kv_heads = 2; })
GRADCHECK(grad_v_share_all_post_ln, { strcpy(c.sharing, "all+v_share:2"); c.causal = 0; c.post_ln = 1; c.final_ln = 0; c.ln_shared = 1; })
GRADCHECK(grad_basis, strcpy(c.sharing, "sequence:2+basis:3"))
GRADCHECK(grad_basis_v_share_ls, { strcpy(c.sharing, "basis:2+v_share:2"); c.layerscale = 1; c.grad_scale = SB_GRADSCALE_NONE; })
GRADCHECK(grad_attn_reuse, { strcpy(c.sharing, "attn_reuse:2"); c.pos = SB_POS_ROPE; c.heads = 4; c.kv_heads = 2; })
GRADCHECK(grad_attn_reuse_all_relbias, { strcpy(c.sharing, "all+attn_reuse:4"); c.pos = SB_POS_RELBIAS; c.layer_pos_bias = 1;
                                         c.rel_buckets = 6; c.rel_max_dist = 8; c.layerscale = 1; })
GRADCHECK(grad_attn_reuse_post_ln, { strcpy(c.sharing, "cycle:2+attn_reuse:3"); c.causal = 0; c.post_ln = 1; c.final_ln = 0; })
GRADCHECK(grad_relbias_encoder, { c.causal = 0; c.pos = SB_POS_RELBIAS; c.rel_buckets = 8; c.rel_max_dist = 6; c.embed = 6; })

/* Layer-Condensed KV Cache: the backward is the gradient of the last 2 of the 7 + 2 passes, the passes before them
** constants (Wu & Tu's training), which is the loss's whole derivative when no position's keys depend on more than
** 2 passes: at 2 positions (position 1 reads position 0's top keys and values of the pass before, which the
** graded pass before computes). Longer sequences are checked against PyTorch's autograd of the same iteration
** (tests/torch_check.py). */
static void grad_lckv(void **state)
{
    (void)state;
    sb_config c;
    small_config(&c);
    strcpy(c.sharing, "lckv:2"); c.pos = SB_POS_ROPE; c.heads = 4; c.kv_heads = 2;   /* depth 1 on depth 2's */
    gradcheck_len(&c, 2);
    small_config(&c);
    strcpy(c.sharing, "cycle:2+lckv:0"); c.post_ln = 1; c.final_ln = 0; c.layerscale = 1;   /* depths 0-2 on depth 3's */
    gradcheck_len(&c, 2);
}

/* A shared block's gradient is the sum of its per-depth contributions, and each
** contribution is the gradient of the unshared model whose blocks are copies. */
static void contributions_sum(void **state)
{
    (void)state;
    sb_config c, u;
    small_config(&c);
    strcpy(c.sharing, "cycle:2");
    u = c;
    strcpy(u.sharing, "none");
    int tok[B * T], typ[B * T], tgt[B * T];
    batch(&c, tok, typ, tgt);
    sb_model *s = make(&c, 1), *n = make(&u, 0);
    char err[SB_ERR_LEN];
    assert_int_equal(sb_model_remap(s, NULL, NULL, n, NULL, NULL, err, sizeof err), 0);
    double ls = sb_model_forward(s, tok, typ, tgt, NULL, B, T), ln = sb_model_forward(n, tok, typ, tgt, NULL, B, T);
    assert_close(ls, ln, 1e-12);
    sb_model_backward(s);
    sb_model_backward(n);
    for (int i = 0; i < sb_model_tensor_count(s); i++) {
        const sb_tensor *t = sb_model_tensor(s, i);
        if (t->block < 0) continue;
        const real *g = sb_model_grads(s) + t->offset;
        for (long j = 0; j < t->numel; j++) {
            double sum = 0;
            int users = 0;
            for (int l = 0; l < c.layers; l++) {
                const real *ct = sb_model_contribution(s, i, l);
                if (!ct) continue;
                users++;
                sum += ct[j];
                /* depth l of the unshared model uses block l: its gradient is this contribution */
                char name[64];
                snprintf(name, sizeof name, "%.*s.%d%s", (int)(strchr(t->name, '.') - t->name), t->name, l,
                         strchr(strchr(t->name, '.') + 1, '.'));
                int k = sb_model_tensor_find(n, name);
                assert_true(k >= 0);
                assert_close(ct[j], sb_model_grads(n)[sb_model_tensor(n, k)->offset + j], 1e-10);
            }
            assert_int_equal(users, t->uses);
            assert_close(g[j], sum, 1e-12);
        }
    }
    sb_model_free(s);
    sb_model_free(n);
}

/* A shared block's weight gradient as one product over its depths' stacked
** rows equals it summed one depth at a time: against the same model with
** tracking (a product per depth into each depth's slot), and built for a larger
** batch and length than it runs (its depths' rows then not back to back). */
static void one_product_over_depths(void **state)
{
    (void)state;
    static const char *const specs[] = { "all", "cycle:2", "cycle_rev:3", "map:0,1,1,0", "all+kv_share:2", "cycle:2+attn_reuse:2" };
    for (size_t si = 0; si < sizeof specs / sizeof specs[0]; si++) {
        sb_config c;
        small_config(&c);
        strcpy(c.sharing, specs[si]);
        if (si == 0) strcpy(c.sharing_ffn, "cycle:2");   /* the two maps apart */
        int tok[B * T], typ[B * T], tgt[B * T];
        batch(&c, tok, typ, tgt);
        char err[SB_ERR_LEN];
        sb_model *one = make(&c, 0), *per = make(&c, 1), *big = sb_model_create(&c, B + 1, T + 2, 7, 0, err, sizeof err);
        assert_non_null(big);
        memcpy(sb_model_params(big), sb_model_params(one), sizeof(real) * sb_model_n_params(one));
        sb_model *ms[3] = { one, per, big };
        for (int k = 0; k < 3; k++) { sb_model_forward(ms[k], tok, typ, tgt, NULL, B, T); sb_model_backward(ms[k]); }
        for (long j = 0; j < sb_model_n_params(one); j++) {
            assert_close(sb_model_grads(one)[j], sb_model_grads(per)[j], 1e-12);
            assert_close(sb_model_grads(one)[j], sb_model_grads(big)[j], 1e-12);
        }
        for (int k = 0; k < 3; k++) sb_model_free(ms[k]);
    }
}

/* grad_scale=mean divides each shared gradient by its number of uses; norm gives
** every depth's contribution the same norm before summing. */
static void grad_scale_modes(void **state)
{
    (void)state;
    sb_config c;
    small_config(&c);
    strcpy(c.sharing, "all");
    int tok[B * T], typ[B * T], tgt[B * T];
    batch(&c, tok, typ, tgt);
    sb_model *plain = make(&c, 1);
    c.grad_scale = SB_GRADSCALE_MEAN;
    sb_model *mean = make(&c, 0);
    c.grad_scale = SB_GRADSCALE_NORM;
    sb_model *norm = make(&c, 0);
    sb_model *ms[3] = { plain, mean, norm };
    for (int k = 0; k < 3; k++) { sb_model_forward(ms[k], tok, typ, tgt, NULL, B, T); sb_model_backward(ms[k]); }
    int i = sb_model_tensor_find(plain, "attn.0.wq");
    const sb_tensor *t = sb_model_tensor(plain, i);
    double norms[4], mnorm = 0;
    for (int l = 0; l < 4; l++) {
        const real *ct = sb_model_contribution(plain, i, l);
        double s = 0;
        for (long j = 0; j < t->numel; j++) s += ct[j] * ct[j];
        norms[l] = sqrt(s);
        mnorm += norms[l] / 4;
    }
    for (long j = 0; j < t->numel; j++) {
        double want = 0;
        for (int l = 0; l < 4; l++) want += sb_model_contribution(plain, i, l)[j] * mnorm / norms[l];
        assert_close(sb_model_grads(mean)[t->offset + j], sb_model_grads(plain)[t->offset + j] / 4, 1e-12);
        assert_close(sb_model_grads(norm)[t->offset + j], want, 1e-10);
    }
    /* tensors outside blocks are not rescaled */
    int e = sb_model_tensor_find(plain, "embed.tok");
    assert_close(sb_model_grads(mean)[sb_model_tensor(mean, e)->offset + 3], sb_model_grads(plain)[sb_model_tensor(plain, e)->offset + 3], 1e-12);
    for (int k = 0; k < 3; k++) sb_model_free(ms[k]);
}

/* The per-head gate gradient equals d/dg of the loss when head h's values are
** scaled by g (which scales its output by g). */
static void head_gate(void **state)
{
    (void)state;
    sb_config c;
    small_config(&c);
    int tok[B * T], typ[B * T], tgt[B * T];
    batch(&c, tok, typ, tgt);
    sb_model *m = make(&c, 0);
    sb_model_forward(m, tok, typ, tgt, NULL, B, T);
    sb_model_backward(m);
    int hd = c.width / c.heads, l = 2, h = 1;
    double want = 0;
    for (int b = 0; b < B; b++) want += sb_model_head_gate_grad(m, l)[b * c.heads + h];
    char name[32];
    snprintf(name, sizeof name, "kv.%d.wv", l);
    const sb_tensor *t = sb_model_tensor(m, sb_model_tensor_find(m, name));
    real *wv = sb_model_params(m) + t->offset, *bv = wv + t->numel;
    double eps = 1e-6, l2[2];
    for (int s = 0; s < 2; s++) {
        double f = s ? 1 - eps : 1 + eps;
        for (int r = h * hd; r < (h + 1) * hd; r++) {
            for (int i = 0; i < c.width; i++) wv[r * c.width + i] *= f;
            bv[r] *= f;
        }
        l2[s] = sb_model_forward(m, tok, typ, tgt, NULL, B, T);
        for (int r = h * hd; r < (h + 1) * hd; r++) {
            for (int i = 0; i < c.width; i++) wv[r * c.width + i] /= f;
            bv[r] /= f;
        }
    }
    assert_close(want, (l2[0] - l2[1]) / (2 * eps), 1e-6);
    sb_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grad_none), cmocka_unit_test(grad_all), cmocka_unit_test(grad_attn),
        cmocka_unit_test(grad_ffn), cmocka_unit_test(grad_sequence), cmocka_unit_test(grad_cycle),
        cmocka_unit_test(grad_cycle_rev), cmocka_unit_test(grad_map), cmocka_unit_test(grad_lowrank),
        cmocka_unit_test(grad_hyper), cmocka_unit_test(grad_kv_share), cmocka_unit_test(grad_kv_share_none),
        cmocka_unit_test(grad_untie), cmocka_unit_test(grad_progressive), cmocka_unit_test(grad_split_maps),
        cmocka_unit_test(grad_mqa), cmocka_unit_test(grad_tracked_all), cmocka_unit_test(grad_albert),
        cmocka_unit_test(grad_bert_untied), cmocka_unit_test(grad_rope), cmocka_unit_test(grad_relbias),
        cmocka_unit_test(grad_relbias_encoder), cmocka_unit_test(grad_loop), cmocka_unit_test(grad_mor),
        cmocka_unit_test(grad_mor_expert), cmocka_unit_test(grad_mor_expert_kv_share),
        cmocka_unit_test(grad_mor_post_ln_rope), cmocka_unit_test(grad_act), cmocka_unit_test(grad_loop_no_prelude),
        cmocka_unit_test(grad_loop_post_ln), cmocka_unit_test(grad_svformer),
        cmocka_unit_test(grad_yoco_window), cmocka_unit_test(grad_yoco_cycle), cmocka_unit_test(grad_v_share_cycle_lowrank),
        cmocka_unit_test(grad_v_share_all_post_ln), cmocka_unit_test(grad_attn_reuse), cmocka_unit_test(grad_attn_reuse_all_relbias),
        cmocka_unit_test(grad_attn_reuse_post_ln), cmocka_unit_test(grad_basis), cmocka_unit_test(grad_basis_v_share_ls),
        cmocka_unit_test(grad_lckv), cmocka_unit_test(contributions_sum),
        cmocka_unit_test(one_product_over_depths),
        cmocka_unit_test(grad_scale_modes), cmocka_unit_test(head_gate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
