/*
** test_flops.c: the analytic FLOPs per token of engine/core/flops.c against
** counts made by hand for a small model (vocabulary 10, width 8, 2 heads,
** feed-forward 16, 2 layers, length 4), one switch at a time: the sharing
** of weights changes no FLOPs, kv_share removes the reused depths' key and
** value products (v_share their value products, attn_reuse their query and
** key products and scores, yoco the cross-decoder's but the first, and its window the scores
** outside it), lowrank adds each depth's B_l A_l once a forward, factor
** replaces a product by two of rank R (basis every one), and the attention sees (T+1)/2 keys
** on average under a causal mask, T without; lckv's training counts its passes; mor (Mixture-of-Recursions) computes densely
** plus its router, and routed, a recursion's products for its active tokens and attention among them.
*/
#include "testutil.h"
#include "core/flops.h"

enum { B = 1, T = 4 };

static void small(sb_config *c, const char *sharing)
{
    sb_config_default(c);
    c->vocab = 10; c->max_len = 8; c->width = 8; c->heads = 2; c->ffn = 16; c->layers = 2;
    snprintf(c->sharing, sizeof c->sharing, "%s", sharing);
}

static sb_flops count(const sb_config *c)
{
    sb_sharing sh;
    sb_flops f;
    char err[SB_ERR_LEN] = "";
    if (sb_sharing_resolve(c, &sh, err, sizeof err)) print_error("%s\n", err);
    assert_int_equal(sb_flops_per_token(c, &sh, B, T, &f, err, sizeof err), 0);
    return f;
}

/* By hand, per token: each layer's wq, wk, wv, wo 2*8*8 = 128 each and w1, w2
** 2*8*16 = 256 each (1024); its attention 4 * 8 * (4+1)/2 = 80; the tied head
** 2*8*10 = 160. Forward 2 * (1024 + 80) + 160 = 2368, training 3x = 7104. */
static void plain(void **state)
{
    (void)state;
    sb_config c;
    small(&c, "none");
    sb_flops f = count(&c);
    assert_close(f.blocks, 2048, 1e-12);
    assert_close(f.attn, 160, 1e-12);
    assert_close(f.forward, 2368, 1e-12);
    assert_close(f.train, 7104, 1e-12);
    small(&c, "all");   /* sharing weights computes the same */
    assert_close(count(&c).forward, 2368, 1e-12);
}

static void modes(void **state)
{
    (void)state;
    sb_config c;
    small(&c, "all+kv_share:2");   /* depth 1 reuses depth 0's keys and values: 2 x 128 fewer */
    assert_close(count(&c).forward, 2368 - 256, 1e-12);
    assert_close(count(&c).train, 3 * (2368 - 256), 1e-12);
    small(&c, "v_share:2");        /* depth 1 reuses depth 0's values only: 128 fewer */
    assert_close(count(&c).forward, 2368 - 128, 1e-12);
    /* attn_reuse:2: depth 1 applies depth 0's map: no queries or keys (2 x 128 fewer), no scores (2 * 8 * 2.5 = 40 fewer) */
    small(&c, "attn_reuse:2");
    assert_close(count(&c).forward, 2368 - 256 - 40, 1e-12);
    assert_close(count(&c).attn, 160 - 40, 1e-12);
    /* yoco:W, two layers: depth 1 computes the global keys and values (nothing reused); depth 0 attends over a window of
    ** 2 keys, so positions 0..3 see 1, 2, 2, 2: 4 * 8 * 7/4 = 56 instead of 80 */
    small(&c, "yoco:0");
    assert_close(count(&c).forward, 2368, 1e-12);
    small(&c, "yoco:2");
    assert_close(count(&c).attn, 160 - 24, 1e-12);
    assert_close(count(&c).forward, 2368 - 24, 1e-12);
    /* four layers, 4 * (1024 + 80) + 160 = 4576 untied: depth 3 reuses depth 2's keys and values (2 x 128 fewer); a window
    ** of 3 at depths 0 and 1 sees 1, 2, 3, 3 keys: 4 * 8 * 9/4 = 72 instead of 80 at each; a window of 4 >= T is none */
    small(&c, "yoco:0");
    c.layers = 4;
    assert_close(count(&c).forward, 4576 - 256, 1e-12);
    snprintf(c.sharing, sizeof c.sharing, "yoco:3");
    assert_close(count(&c).forward, 4576 - 256 - 16, 1e-12);
    snprintf(c.sharing, sizeof c.sharing, "yoco:4");
    assert_close(count(&c).forward, 4576 - 256, 1e-12);
    /* lckv:2 at four layers: depth 1 on depth 2's keys and values, 4576 - 256 forward (one pass, decoding); training
    ** adds 8 passes of depth 1 (1024 - 256 + 80 = 848) and depth 2's key and value products (256), 8 x 1104, and the
    ** first graded pass recomputed and backpropagated, 3 x 1104: 3 x 4320 + 11 x 1104 = 25104 */
    small(&c, "lckv:2");
    c.layers = 4;
    assert_close(count(&c).forward, 4576 - 256, 1e-12);
    assert_close(count(&c).train, 25104, 1e-12);
    /* lowrank:2 builds W + B A (2 * out * in * 2) for the 6 matrices of 2 depths once per
    ** forward of B*T = 4 tokens: 2 * (4 * 64 + 2 * 128) * 2 * 2 = 4096, 1024 a token */
    small(&c, "lowrank:2");
    sb_flops f = count(&c);
    assert_close(f.weights, 1024, 1e-12);
    assert_close(f.forward, 2368 + 1024, 1e-12);
    /* basis:2: every matrix as x V^T then U_l, 2 * 2 * (out + in): 4 x 64 + 2 x 96 = 448 a depth instead of 1024 */
    small(&c, "basis:2");
    assert_close(count(&c).forward, 2 * (448 + 80) + 160, 1e-12);
    /* factor:2 on wq: 2 * 2 * (8 + 8) = 64 instead of 128 at each of 2 depths */
    small(&c, "none");
    c.factor = 2;
    snprintf(c.factor_mats, sizeof c.factor_mats, "wq");
    assert_close(count(&c).forward, 2368 - 128, 1e-12);
    /* bidirectional: every query sees all 4 keys, 4 * 8 * 4 = 128 a layer */
    small(&c, "none");
    c.causal = 0;
    assert_close(count(&c).forward, 2 * (1024 + 128) + 160, 1e-12);
    /* embedding width 4: the projection 2*4*8 = 64 in, the tied head's 2*8*4 = 64 back and 2*4*10 = 80 */
    small(&c, "none");
    c.embed = 4;
    assert_close(count(&c).forward, 2 * (1024 + 80) + 64 + 64 + 80, 1e-12);
    c.tied = 0;   /* an untied head reads the width: 2*8*10 */
    assert_close(count(&c).forward, 2 * (1024 + 80) + 64 + 160, 1e-12);
}

/* loop:1,1,1+mor with 4 layers (a core of one depth run twice, depths 1 and 2): densely 4 x (1024 + 80) + 160, plus the
** router 2 * 8 * 2 = 32: 4608. Routed with half the tokens at the second recursion (depth 2): its products
** for half, 1024 / 2 = 512 fewer, its attention for half the queries against half the keys, 80 * 3/4 = 60 fewer. */
static void mor(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing sh;
    char err[SB_ERR_LEN] = "";
    double routed, all[2] = { 1, 1 }, half[2] = { 1, 0.5 };
    small(&c, "loop:1,1,1+mor");
    c.layers = 4;
    assert_close(count(&c).forward, 4608, 1e-12);
    assert_int_equal(sb_sharing_resolve(&c, &sh, err, sizeof err), 0);
    assert_int_equal(sb_flops_routed(&c, &sh, B, T, all, &routed, err, sizeof err), 0);
    assert_close(routed, 4608, 1e-12);
    assert_int_equal(sb_flops_routed(&c, &sh, B, T, half, &routed, err, sizeof err), 0);
    assert_close(routed, 4608 - 512 - 60, 1e-12);
    /* loop:1,1,1+mor_expert with 5 layers, 3 recursions: densely 5 x 1104 + 160 + three routers 3 x 2 x 8 = 5728; at
    ** training's capacities 1, 2/3, 1/3, recursion 1 saves 1024/3 and 80 (1 - 4/9), recursion 2 2048/3 and 80 (1 - 1/9),
    ** and its router scores 2/3 of the tokens, 16/3 fewer */
    double ec[3] = { 1, 2.0 / 3, 1.0 / 3 };
    small(&c, "loop:1,1,1+mor_expert");
    c.layers = 5;
    assert_close(count(&c).forward, 5728, 1e-12);
    assert_int_equal(sb_sharing_resolve(&c, &sh, err, sizeof err), 0);
    assert_int_equal(sb_flops_routed(&c, &sh, B, T, ec, &routed, err, sizeof err), 0);
    assert_close(routed, 5728 - 1024.0 / 3 - 2048.0 / 3 - 80 * (5.0 / 9 + 8.0 / 9) - 16.0 / 3, 1e-12);
    /* recursive key/value sharing at 4 layers: depth 2 computes no keys or values, 2 x 2 x 8 x 8 = 256 fewer: 4352; with
    ** half the tokens at recursion 1, its products without them for half, 768 / 2 = 384 fewer, and half the queries
    ** against every key of recursion 0, 80 / 2 = 40 fewer */
    small(&c, "loop:1,1,1+mor+mor_kv_share");
    c.layers = 4;
    assert_close(count(&c).forward, 4352, 1e-12);
    assert_int_equal(sb_sharing_resolve(&c, &sh, err, sizeof err), 0);
    assert_int_equal(sb_flops_routed(&c, &sh, B, T, half, &routed, err, sizeof err), 0);
    assert_close(routed, 4352 - 384 - 40, 1e-12);
    small(&c, "loop:1,1,1+act");   /* act: every step for every token, plus the halting unit's 2 * 8 at each of 2 steps */
    c.layers = 4;
    assert_close(count(&c).forward, 4608, 1e-12);
    small(&c, "none");   /* without mor: the dense forward */
    assert_int_equal(sb_sharing_resolve(&c, &sh, err, sizeof err), 0);
    assert_int_equal(sb_flops_routed(&c, &sh, B, T, half, &routed, err, sizeof err), 0);
    assert_close(routed, 2368, 1e-12);
}

static void refusals(void **state)
{
    (void)state;
    sb_config c, other;
    sb_sharing sh;
    sb_flops f;
    char err[SB_ERR_LEN] = "";
    small(&c, "none");
    small(&other, "all");
    assert_int_equal(sb_sharing_resolve(&other, &sh, err, sizeof err), 0);
    assert_int_equal(sb_flops_per_token(&c, &sh, B, T, &f, err, sizeof err), -1);
    assert_mentions(err, "resolved for another configuration");
    assert_int_equal(sb_sharing_resolve(&c, &sh, err, sizeof err), 0);
    assert_int_equal(sb_flops_per_token(&c, &sh, 0, T, &f, err, sizeof err), -1);
    assert_mentions(err, "batch=0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain), cmocka_unit_test(modes), cmocka_unit_test(mor), cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
