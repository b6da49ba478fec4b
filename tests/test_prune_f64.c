/*
** test_prune_f64.c: sparsification (engine/compress/prune.c), in double.
**
** Magnitude pruning hits its target exactly (round(s n) zeros in every block
** matrix, ties included) and keeps the largest weights; gradual pruning
** follows Zhu & Gupta's cubic schedule step by step, only grows, ends at the
** target and holds pruned weights at zero through AdamW steps; movement
** scores accumulate -dL/dW' * W, which is the derivative of the loss with
** respect to a continuous mask (checked by central differences, on masked
** entries too), and masked weights keep their dense values; the L1 term's
** gradient is the derivative of lambda * sum |w|; thresholding zeroes exactly
** the entries below it; a pruned shared block is zero at every depth.
*/
#include "testmodel.h"
#include "compress/prune.h"
#include "core/train.h"
#include "compress/step.h"

enum { B = 2, T = 5 };

static void config(sb_config *c, const char *sharing)
{
    sb_config_default(c);
    c->vocab = 11; c->max_len = 8; c->width = 8; c->layers = 4; c->heads = 2; c->ffn = 12;
    snprintf(c->sharing, sizeof c->sharing, "%s", sharing);
}

static sb_model *make(const sb_config *c, uint64_t seed) { return test_model_perturbed(c, B, T, seed, 0.3); }

static void batch(int *tok, int *tgt, uint64_t seed) { test_batch(tok, tgt, B * T, 11, seed, 1); }

static sb_pruner *pruner(sb_model *m, int method, double s)
{
    char err[SB_ERR_LEN] = "";
    sb_prune_config pc = { method, s, 2, 12, 3, 1e-3 };
    sb_pruner *p = sb_pruner_create(m, &pc, err, sizeof err);
    if (!p) print_error("%s\n", err);
    assert_non_null(p);
    return p;
}

static long zeros(const real *w, long n)
{
    long z = 0;
    for (long j = 0; j < n; j++) z += w[j] == 0;
    return z;
}

static void magnitude_exact(void **state)
{
    (void)state;
    static const double targets[] = { 0.37, 0.5, 0.9, 0 };
    for (int k = 0; k < 4; k++) {
        sb_config c;
        config(&c, "cycle:2");
        sb_model *m = make(&c, 3);
        long n = sb_model_n_params(m);
        real *before = malloc(sizeof(real) * n);
        memcpy(before, sb_model_params(m), sizeof(real) * n);
        sb_pruner *p = pruner(m, SB_PRUNE_MAGNITUDE, targets[k]);
        sb_pruner_prune(p, m, targets[k]);
        long all = 0, pruned = 0;
        for (int i = 0; i < sb_model_tensor_count(m); i++) {
            const sb_tensor *t = sb_model_tensor(m, i);
            const real *w = sb_model_params(m) + t->offset, *w0 = before + t->offset;
            if (!sb_prune_target(t)) {
                assert_memory_equal(w, w0, sizeof(real) * t->numel);   /* only block matrices */
                continue;
            }
            long z = zeros(w, t->numel);
            assert_int_equal(z, lround(targets[k] * t->numel));
            assert_close(sb_prune_sparsity(m, i), (double)z / t->numel, 1e-15);
            double kept_min = INFINITY, pruned_max = 0;
            for (long j = 0; j < t->numel; j++) {
                if (w[j] == 0) pruned_max = fmax(pruned_max, fabs(w0[j]));
                else { kept_min = fmin(kept_min, fabs(w0[j])); assert_true(w[j] == w0[j]); }
            }
            assert_true(kept_min >= pruned_max);
            all += t->numel;
            pruned += z;
        }
        assert_close(sb_prune_overall(m), (double)pruned / all, 1e-15);
        sb_pruner_free(p);
        free(before);
        sb_model_free(m);
    }
    /* ties: a tensor of equal magnitudes still loses exactly round(s n) entries */
    sb_config c;
    config(&c, "all");
    sb_model *m = make(&c, 4);
    int i = sb_model_tensor_find(m, "ffn.0.w1");
    const sb_tensor *t = sb_model_tensor(m, i);
    for (long j = 0; j < t->numel; j++) sb_model_params(m)[t->offset + j] = (j % 2) ? 0.5 : -0.5;
    sb_pruner *p = pruner(m, SB_PRUNE_MAGNITUDE, 0.3);
    sb_pruner_prune(p, m, 0.3);
    assert_int_equal(zeros(sb_model_params(m) + t->offset, t->numel), lround(0.3 * t->numel));
    sb_pruner_free(p);
    sb_model_free(m);
}

static void gradual_schedule(void **state)
{
    (void)state;
    sb_prune_config pc = { SB_PRUNE_GRADUAL, 0.8, 10, 40, 5, 0 };
    assert_true(sb_prune_schedule(&pc, 0) == 0 && sb_prune_schedule(&pc, 10) == 0);
    assert_close(sb_prune_schedule(&pc, 25), 0.8 * (1 - 0.125), 1e-15);
    assert_true(sb_prune_schedule(&pc, 40) == 0.8 && sb_prune_schedule(&pc, 99) == 0.8);
    /* through training: after each step the zeros are those of the schedule at the last pruning step */
    sb_config c;
    config(&c, "cycle:2");
    sb_model *m = make(&c, 5);
    sb_pruner *p = pruner(m, SB_PRUNE_GRADUAL, 0.6);   /* start 2, end 12, every 3: prunes at 2 5 8 11 12 */
    sb_prune_config sc = { SB_PRUNE_GRADUAL, 0.6, 2, 12, 3, 0 };
    sb_adamw_config oc;
    sb_adamw_config_default(&oc);
    sb_adamw o;
    assert_int_equal(sb_adamw_init(&o, &oc, sb_model_n_params(m)), 0);
    int tok[B * T], tgt[B * T];
    double last = 0, prev = 0;
    for (int s = 0; s < 16; s++) {
        batch(tok, tgt, 100 + s);
        double gn;
        assert_true(isfinite(sb_train_step_with(m, &o, tok, NULL, tgt, B, T, s, NULL, p, &gn, NULL)));
        if (s >= 2 && s <= 12 && ((s - 2) % 3 == 0 || s == 12)) last = sb_prune_schedule(&sc, s);
        for (int i = 0; i < sb_model_tensor_count(m); i++) {
            const sb_tensor *t = sb_model_tensor(m, i);
            if (sb_prune_target(t)) assert_int_equal(zeros(sb_model_params(m) + t->offset, t->numel), lround(last * t->numel));
        }
        assert_true(sb_prune_overall(m) >= prev);
        prev = sb_prune_overall(m);
    }
    assert_close(sb_pruner_current(p), 0.6, 1e-15);
    sb_adamw_free(&o);
    sb_pruner_free(p);
    sb_model_free(m);
}

/* Loss of the model at its current parameters. */
static double loss(sb_model *m, const int *tok, const int *tgt) { return sb_model_forward(m, tok, NULL, tgt, NULL, B, T); }

static void movement_scores(void **state)
{
    (void)state;
    sb_config c;
    config(&c, "cycle:2");
    sb_model *m = make(&c, 6);
    long n = sb_model_n_params(m);
    real *dense = malloc(sizeof(real) * n), *s0 = malloc(sizeof(real) * n);
    memcpy(dense, sb_model_params(m), sizeof(real) * n);
    sb_pruner *p = pruner(m, SB_PRUNE_MOVEMENT, 0.5);
    int tok[B * T], tgt[B * T];
    batch(tok, tgt, 1);
    /* first scores, then a mask from them */
    loss(m, tok, tgt);
    sb_model_backward(m);
    sb_pruner_grads(p, m);
    sb_pruner_prune(p, m, 0.5);
    /* the masked model: scores move by -dL/dM, the derivative for a continuous mask M at its 0/1 value */
    for (int i = 0; i < sb_model_tensor_count(m); i++)
        if (sb_pruner_scores(p, i)) memcpy(s0 + sb_model_tensor(m, i)->offset, sb_pruner_scores(p, i), sizeof(real) * sb_model_tensor(m, i)->numel);
    loss(m, tok, tgt);
    sb_model_backward(m);
    sb_pruner_grads(p, m);
    real *w = sb_model_params(m);
    int checked_masked = 0;
    sb_rng r;
    sb_rng_seed(&r, 2, "entries");
    for (int i = 0; i < sb_model_tensor_count(m); i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        const real *s = sb_pruner_scores(p, i);
        if (!sb_prune_target(t)) { assert_null(s); continue; }
        assert_non_null(s);
        for (int k = 0; k < 6; k++) {
            long j = (long)sb_rng_below(&r, (uint32_t)t->numel), o = t->offset + j;
            double wd = dense[o], mask = w[o] == 0 ? 0 : 1, eps = 1e-6;
            checked_masked += mask == 0;
            assert_true(mask == 0 || w[o] == wd);   /* kept entries are the dense weights */
            w[o] = (real)((mask + eps) * wd);
            double lp = loss(m, tok, tgt);
            w[o] = (real)((mask - eps) * wd);
            double lm = loss(m, tok, tgt);
            w[o] = (real)(mask * wd);
            assert_close(s[j] - s0[o], -(lp - lm) / (2 * eps), 1e-6);
        }
    }
    assert_true(checked_masked > 5);
    /* masked weights keep their dense values: unmasking everything brings them back */
    sb_pruner_prune(p, m, 0);
    assert_memory_equal(sb_model_params(m), dense, sizeof(real) * n);
    sb_pruner_free(p);
    free(dense);
    free(s0);
    sb_model_free(m);
}

static void movement_training(void **state)
{
    (void)state;
    sb_config c;
    config(&c, "all");
    sb_model *m = make(&c, 7);
    sb_pruner *p = pruner(m, SB_PRUNE_MOVEMENT, 0.5);
    sb_adamw_config oc;
    sb_adamw_config_default(&oc);
    sb_adamw o;
    assert_int_equal(sb_adamw_init(&o, &oc, sb_model_n_params(m)), 0);
    int tok[B * T], tgt[B * T];
    for (int s = 0; s < 14; s++) {
        batch(tok, tgt, 200 + s);
        sb_train_step_with(m, &o, tok, NULL, tgt, B, T, s, NULL, p, NULL, NULL);
    }
    /* after the schedule's end: exactly half of every block matrix, and the shared block is that at every depth */
    for (int i = 0; i < sb_model_tensor_count(m); i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        if (sb_prune_target(t)) assert_int_equal(zeros(sb_model_params(m) + t->offset, t->numel), lround(0.5 * t->numel));
    }
    sb_adamw_free(&o);
    sb_pruner_free(p);
    sb_model_free(m);
}

static void l1_and_threshold(void **state)
{
    (void)state;
    sb_config c;
    config(&c, "cycle:2");
    sb_model *m = make(&c, 8);
    sb_pruner *p = pruner(m, SB_PRUNE_L1, 0);   /* lambda 1e-3 */
    int tok[B * T], tgt[B * T];
    batch(tok, tgt, 3);
    loss(m, tok, tgt);
    sb_model_backward(m);
    sb_pruner_grads(p, m);
    long n = sb_model_n_params(m);
    real *g = malloc(sizeof(real) * n), *w = sb_model_params(m);
    memcpy(g, sb_model_grads(m), sizeof(real) * n);
    sb_rng r;
    sb_rng_seed(&r, 9, "entries");
    for (int i = 0; i < sb_model_tensor_count(m); i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        long j = t->offset + (long)sb_rng_below(&r, (uint32_t)t->numel);
        double l1 = sb_prune_target(t) ? 1e-3 : 0, save = w[j];
        w[j] = save + 1e-6;
        double lp = loss(m, tok, tgt) + l1 * fabs(w[j]);
        w[j] = save - 1e-6;
        double lm = loss(m, tok, tgt) + l1 * fabs(w[j]);
        w[j] = save;
        assert_close(g[j], (lp - lm) / 2e-6, 1e-7);
    }
    /* threshold: exactly the entries below it */
    long below = 0;
    for (int i = 0; i < sb_model_tensor_count(m); i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        if (!sb_prune_target(t)) continue;
        for (long j = 0; j < t->numel; j++) below += fabs(w[t->offset + j]) < 0.2;
    }
    sb_pruner_threshold(p, m, 0.2);
    long z = 0;
    for (int i = 0; i < sb_model_tensor_count(m); i++)
        if (sb_prune_target(sb_model_tensor(m, i))) z += zeros(w + sb_model_tensor(m, i)->offset, sb_model_tensor(m, i)->numel);
    assert_int_equal(z, below);
    assert_true(below > 0);
    free(g);
    sb_pruner_free(p);
    sb_model_free(m);
}

static void refusals(void **state)
{
    (void)state;
    sb_config c;
    char err[SB_ERR_LEN];
    config(&c, "all");
    sb_model *m = make(&c, 1);
    sb_prune_config bad[] = { { SB_PRUNE_MAGNITUDE, 1.0, 0, 1, 1, 0 }, { SB_PRUNE_GRADUAL, 0.5, 10, 5, 1, 0 }, { SB_PRUNE_L1, 0, 0, 1, 1, -1 } };
    const char *frags[] = { "sparsity=1", "from step 10 to 5", "l1=-1" };
    for (int i = 0; i < 3; i++) {
        assert_null(sb_pruner_create(m, &bad[i], err, sizeof err));
        assert_mentions(err, frags[i]);
    }
    sb_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(magnitude_exact), cmocka_unit_test(gradual_schedule), cmocka_unit_test(movement_scores),
        cmocka_unit_test(movement_training), cmocka_unit_test(l1_and_threshold), cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
