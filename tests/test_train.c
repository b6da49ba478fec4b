/*
** test_train.c: the engine in float as it is used: training drives the loss
** down under every sharing mode, runs are bit-identical for a seed and thread
** count, `all` is one block applied at every depth, progressive merging and
** untying carry weights and moments over, and the memory plan is the layout.
*/
#include "testutil.h"
#include "core/train.h"
#include "core/rng.h"
#include <omp.h>

enum { V = 12, K = 5, T = 2 * K + 1, B = 16, SEP = V - 1 };

/* Copying: K random symbols, a separator, the same K symbols; the copy is scored. */
static void copy_batch(sb_rng *r, int *tok, int *tgt)
{
    for (int b = 0; b < B; b++) {
        int *x = tok + b * T, *y = tgt + b * T;
        for (int i = 0; i < K; i++) x[i] = (int)sb_rng_below(r, SEP);
        x[K] = SEP;
        for (int i = 0; i < K; i++) x[K + 1 + i] = x[i];
        for (int t = 0; t < T; t++) y[t] = (t >= K && t < T - 1) ? x[t + 1] : -1;
    }
}

static void tiny(sb_config *c, const char *sharing)
{
    sb_config_default(c);
    c->vocab = V; c->max_len = 16; c->width = 32; c->layers = 4; c->heads = 4; c->ffn = 64;
    snprintf(c->sharing, sizeof c->sharing, "%s", sharing);
}

/* Train for steps; returns the mean loss of the first and last 10 steps. When
** merge_at > 0 and the sharing is progressive, merge into its target then. */
static void train(const sb_config *c, int steps, int merge_at, const char *untie, double *first, double *last)
{
    char err[SB_ERR_LEN];
    sb_model *m = sb_model_create(c, B, T, 1, 0, err, sizeof err);
    if (!m) print_error("%s\n", err);
    assert_non_null(m);
    sb_adamw_config oc;
    sb_adamw_config_default(&oc);
    oc.lr = 3e-3f; oc.weight_decay = 0; oc.warmup = 10; oc.steps = steps;
    sb_adamw o;
    assert_int_equal(sb_adamw_init(&o, &oc, sb_model_n_params(m)), 0);
    if (untie) assert_int_equal(sb_reshare(&m, &o, untie, B, T, 1, err, sizeof err), 0);
    sb_rng r;
    sb_rng_seed(&r, 2, "copy");
    int tok[B * T], tgt[B * T];
    *first = *last = 0;
    for (int s = 0; s < steps; s++) {
        if (s == merge_at && sb_model_sharing(m)->progressive) {
            char target[SB_SPEC_LEN];
            snprintf(target, sizeof target, "%s", sb_model_sharing(m)->target);
            long before = sb_model_n_params(m);
            if (sb_reshare(&m, &o, target, B, T, 1, err, sizeof err)) print_error("%s\n", err);
            assert_true(sb_model_n_params(m) < before);
            assert_false(sb_model_sharing(m)->progressive);
        }
        copy_batch(&r, tok, tgt);
        double loss = sb_train_step(m, &o, tok, NULL, tgt, B, T, NULL);
        assert_true(isfinite(loss));
        if (s < 10) *first += loss / 10;
        if (s >= steps - 10) *last += loss / 10;
    }
    sb_adamw_free(&o);
    sb_model_free(m);
}

/* Under AddressSanitizer (make test SANITIZE=1) each mode trains a fifth as
** long and its loss need only fall: that build checks every mode's memory
** accesses, the release build checks that every mode learns. */
#ifdef __SANITIZE_ADDRESS__
enum { MODE_STEPS = 40 };
static const double FALL = 1.0;
#else
enum { MODE_STEPS = 200 };
static const double FALL = 0.6;
#endif

static void loss_falls_every_mode(void **state)
{
    (void)state;
    static const char *const modes[] = {
        "none", "all", "attn", "ffn", "sequence:2", "cycle:2", "cycle_rev:2", "map:0,1,1,0", "lowrank:4",
        "cycle:2+lowrank:2", "hyper:8", "kv_share:2", "all+kv_share:2", "progressive:cycle:2", "all+untie:1", "loop:1,1,1",
        "v_share:4", "basis:8", "sequence:2+basis:8", "attn_reuse:2", NULL
    };
    for (int i = 0; modes[i]; i++) {
        sb_config c;
        tiny(&c, modes[i]);
        double first, last;
        train(&c, MODE_STEPS, MODE_STEPS / 2, NULL, &first, &last);
        printf("  %-22s loss %.3f -> %.3f\n", modes[i], first, last);
        if (!(last < FALL * first)) {
            print_error("%s: loss %.3f -> %.3f did not fall to %.0f%%\n", modes[i], first, last, 100 * FALL);
            fail();
        }
    }
    /* grouped-query and multi-query heads, and untying at the start of fine-tuning */
    sb_config c;
    double first, last;
    tiny(&c, "cycle:2");
    c.kv_heads = 2;
    train(&c, MODE_STEPS, -1, NULL, &first, &last);
    assert_true(last < FALL * first);
    tiny(&c, "all");
    c.kv_heads = 1;
    train(&c, MODE_STEPS, -1, "all+untie:2", &first, &last);
    assert_true(last < FALL * first);
}

/* Same seed and thread count: bit-identical losses, for 1 and 2 threads. */
static void deterministic(void **state)
{
    (void)state;
    for (int threads = 1; threads <= 2; threads++) {
        omp_set_num_threads(threads);
        double a[2][20];
        for (int run = 0; run < 2; run++) {
            sb_config c;
            tiny(&c, "cycle:2");
            char err[SB_ERR_LEN];
            sb_model *m = sb_model_create(&c, B, T, 9, 0, err, sizeof err);
            sb_adamw_config oc;
            sb_adamw_config_default(&oc);
            sb_adamw o;
            sb_adamw_init(&o, &oc, sb_model_n_params(m));
            sb_rng r;
            sb_rng_seed(&r, 4, "copy");
            int tok[B * T], tgt[B * T];
            for (int s = 0; s < 20; s++) {
                copy_batch(&r, tok, tgt);
                a[run][s] = sb_train_step(m, &o, tok, NULL, tgt, B, T, NULL);
            }
            sb_adamw_free(&o);
            sb_model_free(m);
        }
        assert_memory_equal(a[0], a[1], sizeof a[0]);
    }
    omp_set_num_threads(2);
}

/* `all` computes exactly what one block applied at every depth computes: an
** unshared model whose blocks are all copies of it (per-layer LayerNorms too). */
static void all_is_one_block_repeated(void **state)
{
    (void)state;
    sb_config ca, cn;
    tiny(&ca, "all");
    tiny(&cn, "none");
    char err[SB_ERR_LEN];
    sb_model *a = sb_model_create(&ca, B, T, 5, 0, err, sizeof err), *n = sb_model_create(&cn, B, T, 6, 0, err, sizeof err);
    /* copy block 0 of `all` into every block of `none` by hand, by name */
    for (int i = 0; i < sb_model_tensor_count(n); i++) {
        const sb_tensor *t = sb_model_tensor(n, i);
        char name[64];
        if (t->block >= 0) snprintf(name, sizeof name, "%.*s.0%s", (int)(strchr(t->name, '.') - t->name), t->name, strchr(strchr(t->name, '.') + 1, '.'));
        else snprintf(name, sizeof name, "%s", t->name);
        const sb_tensor *s = sb_model_tensor(a, sb_model_tensor_find(a, name));
        assert_int_equal(s->numel, t->numel);
        memcpy(sb_model_params(n) + t->offset, sb_model_params(a) + s->offset, sizeof(real) * t->numel);
    }
    sb_rng r;
    sb_rng_seed(&r, 8, "copy");
    int tok[B * T], tgt[B * T];
    copy_batch(&r, tok, tgt);
    double la = sb_model_forward(a, tok, NULL, tgt, NULL, B, T), ln = sb_model_forward(n, tok, NULL, tgt, NULL, B, T);
    assert_true(la == ln);
    assert_memory_equal(sb_model_probs(a), sb_model_probs(n), sizeof(real) * B * T * V);
    assert_true(sb_model_n_params(a) < sb_model_n_params(n));
    sb_model_free(a);
    sb_model_free(n);
}

/* The plan (no allocation) reports what the model lays out, and sharing
** shrinks parameters, gradients and optimizer state but not activations. */
static void memory_plan(void **state)
{
    (void)state;
    sb_config c;
    sb_memory pn, pa, mn;
    long nn, na;
    char err[SB_ERR_LEN];
    tiny(&c, "none");
    assert_int_equal(sb_model_plan(&c, B, T, 0, &nn, &pn, err, sizeof err), 0);
    sb_model *m = sb_model_create(&c, B, T, 1, 0, err, sizeof err);
    sb_model_memory(m, &mn);
    assert_int_equal(nn, sb_model_n_params(m));
    assert_memory_equal(&pn, &mn, sizeof pn);
    sb_model_free(m);
    tiny(&c, "all");
    assert_int_equal(sb_model_plan(&c, B, T, 0, &na, &pa, err, sizeof err), 0);
    /* all: one attention, key/value and feed-forward block instead of four */
    long block = 2L * 32 * 32 + 2 * 32 + 2L * 32 * 32 + 2 * 32 + 2L * 64 * 32 + 64 + 32;
    assert_int_equal(nn - na, 3 * block);
    assert_int_equal(pn.optim - pa.optim, 2 * 3 * block * (long)sizeof(real));
    assert_int_equal(pn.acts, pa.acts);
    assert_int_equal(pn.total_params, pa.total_params);
    /* a length above the positions is refused before anything is built */
    assert_int_equal(sb_model_plan(&c, B, 17, 0, &na, &pa, err, sizeof err), -1);
    assert_mentions(err, "17");
}

int main(void)
{
    omp_set_num_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_is_one_block_repeated),
        cmocka_unit_test(memory_plan),
        cmocka_unit_test(deterministic),
        cmocka_unit_test(loss_falls_every_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
