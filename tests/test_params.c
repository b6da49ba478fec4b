/*
** test_params.c: parameter accounting. Presets reproduce the published
** parameter counts of their backbones to the parameter (Hugging Face's
** BertModel, GPT2Model, AlbertModel totals); counts follow from closed forms;
** sharing removes exactly the blocks it ties (and v_share the value
** projections, basis:R its matrices for bases and coefficients).
*/
#include "testutil.h"
#include "core/model.h"

static long backbone(const char *preset, const char *sharing)
{
    sb_config c;
    sb_memory mem;
    long n;
    char err[SB_ERR_LEN];
    assert_int_equal(sb_config_preset(&c, preset, err, sizeof err), 0);
    if (sharing) snprintf(c.sharing, sizeof c.sharing, "%s", sharing);
    assert_int_equal(sb_model_plan(&c, 1, 8, 0, &n, &mem, err, sizeof err), 0);
    long sum = 0;
    for (int k = 0; k < SB_COMP_COUNT; k++) sum += mem.comp[k];
    assert_int_equal(sum, n);
    return n - mem.comp[SB_COMP_HEAD];
}

static void published_counts(void **state)
{
    (void)state;
    assert_int_equal(backbone("bert-base", NULL), 109482240L);
    assert_int_equal(backbone("gpt2-small", NULL), 124439808L);
    assert_int_equal(backbone("albert-base", NULL), 11683584L);
    assert_int_equal(backbone("albert-large", NULL), 17683968L);
    assert_int_equal(backbone("albert-xlarge", NULL), 58724864L);
    assert_int_equal(backbone("albert-xxlarge", NULL), 222595584L);
}

/* A layer of width C and feed-forward F has 4(C^2+C) + 2CF + F + C weights
** plus LayerNorms; untying ALBERT-base adds eleven of them. */
static void closed_forms(void **state)
{
    (void)state;
    long C = 768, F = 3072, layer = 4 * (C * C + C) + 2 * C * F + F + C, ln = 4 * C;
    assert_int_equal(backbone("albert-base", "none") - backbone("albert-base", "all"), 11 * (layer + ln));
    /* attention only / feed-forward only: ALBERT's ablation */
    assert_int_equal(backbone("albert-base", "none") - backbone("albert-base", "attn"), 11 * (4 * (C * C + C) + 2 * C));
    assert_int_equal(backbone("albert-base", "none") - backbone("albert-base", "ffn"), 11 * (2 * C * F + F + C + 2 * C));
    /* cycle:3 on 12 layers: three blocks */
    assert_int_equal(backbone("albert-base", "none") - backbone("albert-base", "cycle:3"), 9 * (layer + ln));
    /* cross-layer KV sharing with S=2 removes the key/value projections of six layers */
    assert_int_equal(backbone("bert-base", NULL) - backbone("bert-base", "kv_share:2"), 6 * 2 * (C * C + C));
    /* grouped-query: keys and values shrink by heads/kv_heads */
    sb_config c;
    char err[SB_ERR_LEN];
    sb_memory m1, m4;
    long n1, n4;
    sb_config_preset(&c, "gpt2-small", err, sizeof err);
    assert_int_equal(sb_model_plan(&c, 1, 8, 0, &n1, &m1, err, sizeof err), 0);
    c.kv_heads = 4;
    assert_int_equal(sb_model_plan(&c, 1, 8, 0, &n4, &m4, err, sizeof err), 0);
    assert_int_equal(m1.comp[SB_COMP_KV] - m4.comp[SB_COMP_KV], 12 * 2 * (C * C + C - (C * 256 + 256)));
    /* lowrank:R adds R(in + out) per matrix per depth */
    long R = 8;
    long lora = 12 * R * (4 * (C + C) + (C + F) + (F + C));
    assert_int_equal(backbone("albert-base", "lowrank:8") - backbone("albert-base", "all"), lora);
    /* v_share:12 (SVFormer) removes the value projections of eleven layers, v_share:3 of eight */
    assert_int_equal(backbone("bert-base", NULL) - backbone("bert-base", "v_share:12"), 11 * (C * C + C));
    assert_int_equal(backbone("bert-base", NULL) - backbone("bert-base", "v_share:3"), 8 * (C * C + C));
    /* yoco:0 on 12 layers (YOCO): depths 7..11 attend with depth 6's keys and values, so hold no wk, wv; a window adds none */
    assert_int_equal(backbone("bert-base", NULL) - backbone("bert-base", "yoco:0"), 5 * 2 * (C * C + C));
    assert_int_equal(backbone("gpt2-small", NULL) - backbone("gpt2-small", "yoco:128"), 5 * 2 * (C * C + C));
    /* lckv:2 on 12 layers (Wu & Tu 2024): depths 1..9 attend with depth 10's keys and values, so hold no wk, wv */
    assert_int_equal(backbone("gpt2-small", NULL) - backbone("gpt2-small", "lckv:2"), 9 * 2 * (C * C + C));
    /* attn_reuse:2 (Xiao et al. 2019) removes the query and key projections of the six layers reusing a map */
    assert_int_equal(backbone("bert-base", NULL) - backbone("bert-base", "attn_reuse:2"), 6 * 2 * (C * C + C));
    assert_int_equal(backbone("albert-base", "all") - backbone("albert-base", "all+attn_reuse:2"), 0);   /* depth 0 still uses them */
    /* basis:R on all: each of the six matrices keeps its basis R x in once, each depth its coefficients out x R */
    long basis = R * (4 * C + C + F) + 12 * R * (4 * C + F + C);
    assert_int_equal(backbone("albert-base", "basis:8") - backbone("albert-base", "all"), basis - (4 * C * C + 2 * C * F));
    /* loop:1,2,1 on 12 layers: a prelude, a core of two, a coda: four blocks */
    assert_int_equal(backbone("albert-base", "none") - backbone("albert-base", "loop:1,2,1"), 8 * (layer + ln));
}

static void memory_grows_with_batch_not_sharing(void **state)
{
    (void)state;
    sb_config c;
    char err[SB_ERR_LEN];
    sb_memory a, b, s;
    long n;
    sb_config_default(&c);
    assert_int_equal(sb_model_plan(&c, 4, 64, 0, &n, &a, err, sizeof err), 0);
    assert_int_equal(sb_model_plan(&c, 8, 64, 0, &n, &b, err, sizeof err), 0);
    assert_true(b.acts > a.acts && b.acts <= 2 * a.acts + 4096);
    strcpy(c.sharing, "all");
    assert_int_equal(sb_model_plan(&c, 4, 64, 0, &n, &s, err, sizeof err), 0);
    assert_int_equal(s.acts, a.acts);            /* sharing does not cut activation memory */
    assert_true(s.params < a.params);
    assert_int_equal(s.optim, 2 * s.params);     /* AdamW state only for unique parameters */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(published_counts),
        cmocka_unit_test(closed_forms),
        cmocka_unit_test(memory_grows_with_batch_not_sharing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
