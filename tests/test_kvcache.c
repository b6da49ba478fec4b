/*
** test_kvcache.c: decoding one token at a time against the key/value cache
** gives the full forward pass's next-token distribution at every position,
** under sharing modes (looped depth with input injection too, and Mixture-of-Recursions, whose later positions attend
** at each recursion only to the earlier tokens still running it), cross-layer key/value sharing, YOCO's global cache and
** sliding windows, grouped heads and every position scheme, and the Universal Transformer's halting; the cache's size
** follows Brandon et al.'s formula, and YOCO's (Sun et al. 2024) for yoco:W. Layer-Condensed KV Cache (lckv:W, Wu &
** Tu 2024) decodes as its paper does, the condensed depths on the top one's cache of the earlier positions; its full
** forward iterates toward that, exactly at T <= 7 + 2 positions (position i is exact after i + 1 passes), which T = 9 is,
** and beyond them the two part.
*/
#include "testutil.h"
#include "core/kvcache.h"
#include "core/rng.h"

enum { B = 2, T = 9 };

static void check(const char *sharing, int pos, int kv_heads, int post_ln)
{
    sb_config c;
    char err[SB_ERR_LEN];
    sb_config_default(&c);
    c.vocab = 19; c.max_len = 12; c.width = 16; c.layers = 4; c.heads = 4; c.ffn = 24;
    c.pos = pos; c.kv_heads = kv_heads; c.post_ln = post_ln; c.final_ln = !post_ln; c.layerscale = 1;
    c.layer_pos_bias = pos == SB_POS_RELBIAS; c.rel_buckets = 8; c.rel_max_dist = 10;
    snprintf(c.sharing, sizeof c.sharing, "%s", sharing);
    sb_model *m = sb_model_create(&c, B, T, 3, 0, err, sizeof err);
    if (!m) print_error("%s\n", err);
    assert_non_null(m);
    sb_rng r;
    sb_rng_seed(&r, 1, "perturb");
    for (long i = 0; i < sb_model_n_params(m); i++) sb_model_params(m)[i] += (real)(0.05 * sb_rng_normal(&r));
    int tok[B * T];
    for (int i = 0; i < B * T; i++) tok[i] = (int)sb_rng_below(&r, c.vocab);
    sb_model_set_causal_routing(m, 1);   /* expert-choice MoR: decoding's causal rule, not training's top-k */
    sb_model_forward(m, tok, NULL, NULL, NULL, B, T);
    real *full = malloc(sizeof(real) * B * T * c.vocab);
    memcpy(full, sb_model_probs(m), sizeof(real) * B * T * c.vocab);
    if (sb_model_sharing(m)->mor) {   /* tokens of several depths, so that the recursions' key masks matter */
        double depth = sb_model_mean_depth(m, NULL);
        assert_true(depth > 1.2 && depth < sb_model_sharing(m)->loops - 0.2);
    }
    sb_kvcache *kc = sb_kvcache_create(m, B, T, err, sizeof err);
    assert_non_null(kc);
    for (int t = 0; t < T; t++) {
        int step[B];
        for (int b = 0; b < B; b++) step[b] = tok[b * T + t];
        const real *p = sb_decode_step(kc, step);
        assert_non_null(p);
        for (int b = 0; b < B; b++)
            for (int v = 0; v < c.vocab; v++) assert_close(p[b * c.vocab + v], full[((long)b * T + t) * c.vocab + v], 2e-5);
    }
    int step[B] = { 0, 0 };
    assert_null(sb_decode_step(kc, step));      /* full */
    /* (N/S keys and N/S values, or with v_share:Sv N keys and N/Sv values, or with attn_reuse:Sa N/Sa keys and N values)
    ** * G * hd * T * B * 4 bytes */
    const sb_sharing *sh = sb_model_sharing(m);
    int S = sh->kv_share, Sv = sh->v_share, Sa = sh->attn_reuse, G = kv_heads ? kv_heads : c.heads;
    long cached = ((c.layers + S * Sa - 1) / (S * Sa) + (c.layers + S * Sv - 1) / (S * Sv)) * T;   /* positions */
    if (sh->yoco >= 0)   /* YOCO: 2 (floor(N/2) min(W, T) + T), the self-decoder's windows and the one global cache */
        cached = 2L * (c.layers / 2 * (sh->yoco > 0 && sh->yoco < T ? sh->yoco : T) + T);
    if (sh->mor_kv_share) cached = 2L * (c.layers - (sh->loops - 1) * sh->loop_core) * T;   /* later recursions cache none */
    int lo, top;
    if (sb_sharing_lckv(sh, &lo, &top))   /* LCKV: the warmup depths' and the top condensed depth's, not lo..top-1's */
        cached = 2L * (c.layers - (top - lo)) * T;
    assert_int_equal(sb_kvcache_bytes(kc), cached * G * (c.width / c.heads) * B * 4);
    sb_kvcache_reset(kc);
    assert_int_equal(sb_kvcache_len(kc), 0);
    sb_kvcache_free(kc);
    free(full);
    sb_model_free(m);
}

static void matches_forward(void **state)
{
    (void)state;
    check("none", SB_POS_LEARNED, 0, 0);
    check("all", SB_POS_ROPE, 2, 0);
    check("cycle:2+kv_share:2", SB_POS_RELBIAS, 1, 0);
    check("kv_share:4", SB_POS_LEARNED, 0, 1);
    check("cycle:2+lowrank:2", SB_POS_ROPE, 0, 0);
    check("hyper:4", SB_POS_NONE, 2, 0);
    check("loop:1,1,1", SB_POS_ROPE, 0, 0);       /* the prelude's output injected at depth 2 */
    check("loop:0,1,0", SB_POS_LEARNED, 0, 1);    /* the embedding injected at depths 1, 2, 3, post-LN */
    check("v_share:4", SB_POS_ROPE, 2, 0);         /* SVFormer: the first depth's values everywhere */
    check("cycle:2+v_share:2", SB_POS_LEARNED, 0, 1);
    check("sequence:2+basis:3", SB_POS_ROPE, 2, 0);   /* Basis Sharing: x V^T, then the depth's U */
    check("attn_reuse:2", SB_POS_ROPE, 2, 0);         /* Xiao et al.: depths 1 and 3 apply the maps of 0 and 2 */
    check("cycle:2+attn_reuse:3", SB_POS_RELBIAS, 0, 1);
    check("all+attn_reuse:4", SB_POS_LEARNED, 1, 0);
    /* YOCO: depths 0, 1 their own keys and values, 2 and 3 depth 2's; windows of 3 < T slide past positions 3..8 */
    check("yoco:3", SB_POS_RELBIAS, 0, 0);
    check("cycle:2+yoco:2", SB_POS_ROPE, 2, 0);
    check("yoco:0", SB_POS_LEARNED, 1, 1);
    check("all+yoco:4", SB_POS_NONE, 0, 0);
    check("loop:1,1,1+mor", SB_POS_ROPE, 2, 0);       /* Bae et al.'s Middle-Cycle, 2 recursions */
    check("loop:0,1,1+mor", SB_POS_RELBIAS, 0, 1);    /* 3 recursions of one depth, post-LN */
    check("loop:1,1,1+mor_expert", SB_POS_ROPE, 2, 0);   /* expert-choice by the threshold rule, 2 recursions */
    check("loop:0,1,1+mor_expert", SB_POS_RELBIAS, 0, 1);   /* 3 recursions, post-LN */
    check("loop:1,1,1+mor+mor_kv_share", SB_POS_ROPE, 0, 0);   /* recursive KV sharing: depth 2 reuses depth 1's cache */
    check("loop:1,1,1+act", SB_POS_ROPE, 2, 0);       /* the Universal Transformer's halting, 2 steps */
    check("loop:0,1,1+act", SB_POS_LEARNED, 0, 1);    /* 3 steps, post-LN */
    check("lckv:2", SB_POS_ROPE, 2, 0);               /* LCKV: depth 1 on depth 2's keys and values, 0 and 3 warmup */
    check("cycle:2+lckv:0", SB_POS_LEARNED, 0, 1);    /* depths 0-2 on depth 3's, no warmup, post-LN */
    check("lckv:1", SB_POS_NONE, 1, 0);               /* depths 1, 2 on depth 3's */
}

/* LCKV beyond 7 + 2 positions: its full forward, 9 passes, is exact at positions 0-8 only (position i after i + 1
** passes); decoding is the sequential model, so the two part from position 9 on (by 4e-5 to 8e-4 here) */
static void lckv_iterates(void **state)
{
    (void)state;
    enum { L = 16 };
    sb_config c;
    char err[SB_ERR_LEN];
    sb_config_default(&c);
    c.vocab = 19; c.max_len = L; c.width = 16; c.layers = 4; c.heads = 4; c.ffn = 24; c.pos = SB_POS_ROPE;
    strcpy(c.sharing, "lckv:0");
    sb_model *m = sb_model_create(&c, B, L, 3, 0, err, sizeof err);
    assert_non_null(m);
    sb_rng r;
    sb_rng_seed(&r, 1, "perturb");
    for (long i = 0; i < sb_model_n_params(m); i++) sb_model_params(m)[i] += (real)(0.3 * sb_rng_normal(&r));
    int tok[B * L];
    for (int i = 0; i < B * L; i++) tok[i] = (int)sb_rng_below(&r, c.vocab);
    sb_model_forward(m, tok, NULL, NULL, NULL, B, L);
    real *full = malloc(sizeof(real) * B * L * c.vocab);
    memcpy(full, sb_model_probs(m), sizeof(real) * B * L * c.vocab);
    sb_kvcache *kc = sb_kvcache_create(m, B, L, err, sizeof err);
    assert_non_null(kc);
    double beyond = 0;
    for (int t = 0; t < L; t++) {
        int step[B];
        for (int b = 0; b < B; b++) step[b] = tok[b * L + t];
        const real *p = sb_decode_step(kc, step);
        for (int b = 0; b < B; b++)
            for (int v = 0; v < c.vocab; v++) {
                real want = full[((long)b * L + t) * c.vocab + v];
                if (t < SB_LCKV_M + SB_LCKV_B) assert_close(p[b * c.vocab + v], want, 2e-5);
                else beyond = fmax(beyond, fabs((double)p[b * c.vocab + v] - want));
            }
    }
    assert_true(beyond > 1e-4);
    sb_kvcache_free(kc);
    free(full);
    sb_model_free(m);
}

static void refuses_encoder(void **state)
{
    (void)state;
    sb_config c;
    char err[SB_ERR_LEN];
    sb_config_default(&c);
    c.causal = 0;
    sb_model *m = sb_model_create(&c, 1, 8, 1, 0, err, sizeof err);
    assert_null(sb_kvcache_create(m, 1, 8, err, sizeof err));
    assert_mentions(err, "causal");
    sb_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(matches_forward), cmocka_unit_test(lckv_iterates),
                                        cmocka_unit_test(refuses_encoder) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
