/*
** test_attack.c: the perturbation analyses. PGD never leaves its epsilon
** ball, touches only the positions it may, and raises the loss; HotFlip only
** substitutes allowed tokens at allowed positions, within its budget, picks
** the flip with the best first-order score, and counts as TextAttack does;
** random substitution changes nothing at rate 0 and every allowed position
** at rate 1, with allowed tokens; example-level correctness as the scorer.
*/
#include "testutil.h"
#include "analysis/attack.h"
#include "core/rng.h"

enum { V = 12, T = 8, B = 6 };

static sb_model *make(void)
{
    sb_config c;
    sb_config_default(&c);
    c.vocab = V; c.max_len = T; c.width = 16; c.layers = 2; c.heads = 2; c.ffn = 32;
    c.init_std = 0.3f;   /* a model with opinions, so that perturbations move its answers */
    char err[SB_ERR_LEN] = "";
    sb_model *m = sb_model_create(&c, B, T, 21, 0, err, sizeof err);
    if (!m) print_error("%s\n", err);
    assert_non_null(m);
    return m;
}

/* Tokens 1..V-1 with padding at the end of the last example; scored targets at
** positions 4.. . With own = 1 the targets are the model's clean argmax, so
** every example starts correct. */
static void batch(sb_model *m, int *tok, int *tgt, int own)
{
    sb_rng r;
    sb_rng_seed(&r, 5, "attack");
    for (int i = 0; i < B * T; i++) {
        tok[i] = 1 + (int)sb_rng_below(&r, V - 1);
        tgt[i] = i % T >= 4 ? (int)sb_rng_below(&r, V) : -1;
    }
    tok[B * T - 1] = 0;
    tgt[B * T - 1] = -1;
    if (!own) return;
    sb_model_forward(m, tok, NULL, NULL, NULL, B, T);
    const real *p = sb_model_probs(m);
    for (int i = 0; i < B * T; i++) {
        if (tgt[i] < 0) continue;
        int best = 0;
        for (int v = 1; v < V; v++)
            if (p[(long)i * V + v] > p[(long)i * V + best]) best = v;
        tgt[i] = best;
    }
}

static void example_correctness(void **state)
{
    (void)state;
    real p[3 * 4] = { 0.1f, 0.6f, 0.2f, 0.1f,  0.4f, 0.1f, 0.1f, 0.4f,  0.25f, 0.25f, 0.25f, 0.25f };
    int all[3] = { 1, 0, -1 }, none[3] = { -1, -1, -1 }, wrong[3] = { 1, 3, -1 };
    assert_int_equal(sb_example_correct(p, all, 4, 3, NULL), 1);    /* ties go to the lowest id */
    assert_int_equal(sb_example_correct(p, wrong, 4, 3, NULL), 0);
    assert_int_equal(sb_example_correct(p, none, 4, 3, NULL), -1);
    /* the argmax among the answers only: in [2,4) position 0's answer is 2 */
    sb_attack_rules r = { 2, 4, NULL };
    int among[3] = { 2, 2, -1 };
    assert_int_equal(sb_example_correct(p, among, 4, 3, &r), 0);   /* position 1: 3 (0.4) beats 2 (0.1) */
    int among2[3] = { 2, 3, 2 };   /* position 2: a tie among 2 and 3 goes to 2 */
    assert_int_equal(sb_example_correct(p, among2, 4, 3, &r), 1);
}

static void pgd_ball_and_loss(void **state)
{
    (void)state;
    sb_model *m = make();
    int tok[B * T], tgt[B * T];
    batch(m, tok, tgt, 0);
    unsigned char mask[B * T];
    for (int i = 0; i < B * T; i++) mask[i] = tok[i] != 0 && i % T != 2;   /* position 2 is kept clean */
    int E = sb_model_config(m)->width;
    real *delta = malloc(sizeof(real) * B * T * E);
    double norm = sb_embed_mean_norm(m, NULL);
    assert_true(norm > 0);
    char err[SB_ERR_LEN];
    double prev = -1;
    for (int k = 0; k < 3; k++) {
        double eps = (0.25 + 0.5 * k) * norm;
        sb_pgd_stats st = { 0 };
        assert_int_equal(sb_pgd_attack(m, tok, NULL, tgt, mask, B, T, &eps, 1, 5, 2.5, NULL, delta, &st, err, sizeof err), 0);
        double biggest = 0;
        for (int p = 0; p < B * T; p++) {
            double n2 = 0;
            for (int i = 0; i < E; i++) n2 += (double)delta[(long)p * E + i] * delta[(long)p * E + i];
            if (!mask[p]) assert_close(n2, 0, 0);
            assert_true(sqrt(n2) <= eps * (1 + 1e-6));
            if (sqrt(n2) > biggest) biggest = sqrt(n2);
        }
        assert_true(biggest > 0.9 * eps);   /* it uses its budget */
        printf("  eps %.3f: loss %.4f -> %.4f, KL %.4f, accuracy %ld -> %ld of %ld\n", eps, st.loss_clean, st.loss_adv,
               st.kl_sum / st.kl_positions, st.clean_correct, st.correct, st.examples);
        assert_true(st.loss_adv > st.loss_clean);
        assert_true(st.loss_adv > prev);   /* a larger ball, a larger loss */
        prev = st.loss_adv;
        assert_true(st.kl_sum > 0);
        assert_int_equal(st.examples, B);
        assert_int_equal(st.kl_positions, B * 4 - 1);
    }
    /* several radii in one call: the same outcomes as one radius at a time */
    double radii[3] = { 0.25 * norm, 0.75 * norm, 1.25 * norm };
    sb_pgd_stats many[3];
    memset(many, 0, sizeof many);
    assert_int_equal(sb_pgd_attack(m, tok, NULL, tgt, mask, B, T, radii, 3, 5, 2.5, NULL, NULL, many, err, sizeof err), 0);
    assert_close(many[2].loss_adv, prev, 1e-6);
    for (int k = 0; k < 3; k++) {
        sb_pgd_stats one = { 0 };
        assert_int_equal(sb_pgd_attack(m, tok, NULL, tgt, mask, B, T, radii + k, 1, 5, 2.5, NULL, NULL, &one, err, sizeof err), 0);
        assert_close(many[k].loss_adv, one.loss_adv, 1e-6);
        assert_close(many[k].kl_sum, one.kl_sum, 1e-6);
        assert_int_equal(many[k].correct, one.correct);
    }
    /* zero steps: no perturbation, no change */
    sb_pgd_stats st = { 0 };
    assert_int_equal(sb_pgd_attack(m, tok, NULL, tgt, mask, B, T, &norm, 1, 0, 2.5, NULL, delta, &st, err, sizeof err), 0);
    assert_close(st.loss_adv, st.loss_clean, 0);
    assert_close(st.kl_sum, 0, 1e-9);
    free(delta);
    sb_model_free(m);
}

static void hotflip_rules_and_budget(void **state)
{
    (void)state;
    sb_model *m = make();
    int tok[B * T], tgt[B * T], adv[B * T];
    batch(m, tok, tgt, 1);
    unsigned char mask[B * T], allowed[V] = { 0 };
    for (int v = 1; v < V; v += 2) allowed[v] = 1;          /* odd tokens only */
    for (int i = 0; i < B * T; i++) mask[i] = tok[i] != 0 && i % T < 5;
    sb_attack_rules r = { 0, 0, allowed };
    char err[SB_ERR_LEN];
    for (int budget = 1; budget <= 4; budget++) {
        sb_hotflip_stats st = { 0 };
        assert_int_equal(sb_hotflip_attack(m, tok, NULL, tgt, mask, B, T, budget, &r, adv, &st, err, sizeof err), 0);
        for (int b = 0; b < B; b++) {
            int changed = 0;
            for (int t = 0; t < T; t++) {
                int p = b * T + t;
                if (adv[p] == tok[p]) continue;
                changed++;
                assert_true(mask[p]);
                assert_true(allowed[adv[p]]);
            }
            assert_true(changed <= budget);
        }
        assert_int_equal(st.examples, B);
        assert_int_equal(st.skipped, 0);   /* the targets are the model's own answers */
        assert_int_equal(st.successes + st.failures + st.skipped, st.examples);
        assert_true(st.queries >= st.examples - st.skipped && st.queries <= (budget + 1) * (st.examples - st.skipped));
        printf("  budget %d: %ld successes, %ld failures, %ld queries, perturbed %.3f\n", budget, st.successes,
               st.failures, st.queries, st.successes ? st.perturbed_sum / st.successes : 0);
        if (budget == 4) assert_true(st.successes > 0);
    }
    /* budget 1: the flip is the best first-order one, (E_b - E_a) . dL/de_t, checked naively */
    sb_hotflip_stats st = { 0 };
    assert_int_equal(sb_hotflip_attack(m, tok, NULL, tgt, mask, B, T, 1, &r, adv, &st, err, sizeof err), 0);
    assert_int_equal(st.queries, 2 * B);
    sb_model_forward(m, tok, NULL, tgt, NULL, B, T);
    sb_model_backward(m);
    const real *g = sb_model_embed_grad(m);
    int E = sb_model_config(m)->width;
    const real *w = sb_model_params(m) + sb_model_tensor(m, sb_model_tensor_find(m, "embed.tok"))->offset;
    for (int b = 0; b < B; b++) {
        double best = -INFINITY;
        int bt = -1, bv = -1;
        for (int t = 0; t < T; t++) {
            if (!mask[b * T + t]) continue;
            for (int v = 0; v < V; v++) {
                if (!allowed[v] || v == tok[b * T + t]) continue;
                double s = 0;
                for (int i = 0; i < E; i++) s += (w[v * E + i] - w[tok[b * T + t] * E + i]) * g[((long)b * T + t) * E + i];
                if (s > best + 1e-9) { best = s; bt = t; bv = v; }
            }
        }
        assert_int_equal(adv[b * T + bt], bv);
    }
    /* an example already wrong is skipped */
    tgt[4] = (tgt[4] + 1) % V;
    memset(&st, 0, sizeof st);
    assert_int_equal(sb_hotflip_attack(m, tok, NULL, tgt, mask, B, T, 2, &r, adv, &st, err, sizeof err), 0);
    assert_int_equal(st.skipped, 1);
    for (int t = 0; t < T; t++) assert_int_equal(adv[t], tok[t]);
    sb_model_free(m);
}

static void random_substitution(void **state)
{
    (void)state;
    sb_model *m = make();
    int tok[B * T], tgt[B * T], adv[B * T], adv2[B * T];
    batch(m, tok, tgt, 1);
    unsigned char mask[B * T], allowed[V] = { 0 };
    for (int v = 2; v < V; v++) allowed[v] = 1;
    for (int i = 0; i < B * T; i++) mask[i] = tok[i] != 0 && i % T != 0;
    sb_attack_rules r = { 0, 0, allowed };
    char err[SB_ERR_LEN];
    sb_rng rng;
    long n = 0, correct = 0;
    sb_rng_seed(&rng, 0, "randsub");
    assert_int_equal(sb_randsub_eval(m, tok, NULL, tgt, mask, B, T, 0, &rng, &r, adv, &n, &correct, err, sizeof err), 0);
    assert_memory_equal(adv, tok, sizeof tok);
    assert_int_equal(n, B);
    assert_int_equal(correct, B);
    n = correct = 0;
    sb_rng_seed(&rng, 0, "randsub");
    assert_int_equal(sb_randsub_eval(m, tok, NULL, tgt, mask, B, T, 1, &rng, &r, adv, &n, &correct, err, sizeof err), 0);
    for (int i = 0; i < B * T; i++) {
        if (!mask[i]) { assert_int_equal(adv[i], tok[i]); continue; }
        assert_true(adv[i] != tok[i]);
        assert_true(allowed[adv[i]]);
    }
    /* the same seed, the same substitutions */
    sb_rng_seed(&rng, 0, "randsub");
    long n2 = 0, c2 = 0;
    assert_int_equal(sb_randsub_eval(m, tok, NULL, tgt, mask, B, T, 1, &rng, &r, adv2, &n2, &c2, err, sizeof err), 0);
    assert_memory_equal(adv, adv2, sizeof adv);
    assert_int_equal(c2, correct);
    /* about rate of the positions change at rate 0.3 */
    sb_rng_seed(&rng, 1, "randsub");
    assert_int_equal(sb_randsub_eval(m, tok, NULL, tgt, mask, B, T, 0.3, &rng, &r, adv, &n, &correct, err, sizeof err), 0);
    int changed = 0, masked = 0;
    for (int i = 0; i < B * T; i++) { changed += adv[i] != tok[i]; masked += mask[i]; }
    assert_true(changed > 0.1 * masked && changed < 0.5 * masked);
    sb_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_correctness), cmocka_unit_test(pgd_ball_and_loss),
        cmocka_unit_test(hotflip_rules_and_budget), cmocka_unit_test(random_substitution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
