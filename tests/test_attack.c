/*
** test_attack.c: the perturbation analyses. PGD's projection onto FreeLB's
** per-example ball and onto per-position balls has its closed form; the
** attack never leaves its ball, touches only the positions it may, raises
** the loss, and at epsilon 0 scores the clean accuracy; HotFlip only
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

/* The projection's closed forms on a hand-made perturbation (B = 2, T = 3,
** E = 2; example 0's last position is not attacked): FreeLB's ball scales
** an example's attacked rows together onto radius eps sqrt(P), the position
** ball each row onto eps; what is inside stays, rows outside the mask stay. */
static void pgd_projection_closed_form(void **state)
{
    (void)state;
    const unsigned char mask[6] = { 1, 1, 0, 1, 1, 1 };
    const real start[12] = { 3, 4, 0, 0, 5, 5,        /* example 0: attacked rows (3,4), (0,0); norm 5 */
                             0.1, 0, 0, 0.2, 0, 0 };  /* example 1: norm 0.22, inside both balls */
    real d[12];
    double in = 1 - 1e-6;   /* the hair inside the sphere */
    /* example ball, eps 1: example 0 has P = 2, radius sqrt 2 */
    memcpy(d, start, sizeof d);
    assert_close(sb_pgd_radius(mask, 0, 3, 1.0, SB_PGD_EXAMPLE), sqrt(2), 1e-15);
    assert_close(sb_pgd_radius(mask, 1, 3, 1.0, SB_PGD_EXAMPLE), sqrt(3), 1e-15);
    assert_close(sb_pgd_radius(NULL, 0, 3, 1.0, SB_PGD_EXAMPLE), sqrt(3), 1e-15);
    sb_pgd_project(d, mask, 2, 3, 2, 1.0, SB_PGD_EXAMPLE);
    assert_close(d[0], 3 * sqrt(2) / 5 * in, 1e-6);
    assert_close(d[1], 4 * sqrt(2) / 5 * in, 1e-6);
    assert_close(d[2], 0, 0);
    assert_close(d[4], 5, 0);   /* not attacked: untouched */
    for (int i = 6; i < 12; i++) assert_close(d[i], start[i], 0);
    /* position ball, eps 1: row (3,4) onto (0.6, 0.8); the others are inside or not attacked */
    memcpy(d, start, sizeof d);
    sb_pgd_project(d, mask, 2, 3, 2, 1.0, SB_PGD_POSITION);
    assert_close(d[0], 0.6 * in, 1e-6);
    assert_close(d[1], 0.8 * in, 1e-6);
    assert_close(d[4], 5, 0);
    for (int i = 6; i < 12; i++) assert_close(d[i], start[i], 0);
    /* eps 0.1: example 1 (norm 0.2236 > 0.1 sqrt 3) is scaled whole; per position row (0.1,0) is on the
    ** sphere (kept: not beyond it) and (0,0.2) scaled to (0,0.1) */
    memcpy(d, start, sizeof d);
    sb_pgd_project(d, mask, 2, 3, 2, 0.1, SB_PGD_EXAMPLE);
    double s1 = 0.1 * sqrt(3) / sqrt(0.05) * in;
    assert_close(d[6], (real)0.1 * s1, 1e-6);
    assert_close(d[9], (real)0.2 * s1, 1e-6);
    memcpy(d, start, sizeof d);
    sb_pgd_project(d, mask, 2, 3, 2, 0.1, SB_PGD_POSITION);
    assert_close(d[9], 0.1 * in, 1e-6);
    /* eps 0: everything attacked to zero */
    memcpy(d, start, sizeof d);
    sb_pgd_project(d, mask, 2, 3, 2, 0, SB_PGD_EXAMPLE);
    for (int i = 0; i < 12; i++) assert_close(d[i], i == 4 || i == 5 ? 5 : 0, 0);
}

/* PGD in either ball: the perturbation is inside the ball and on its sphere
** (2.5 times the radius over 5 steps overshoots: every example's sphere,
** some position's), only at attacked positions; the loss rises with the budget; several budgets in one call
** give what each gives alone. FreeLB's ball concentrates: some position
** moves further than eps, which the position ball never allows. */
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
    for (int ball = 0; ball < SB_PGD_BALL_COUNT; ball++) {
        double prev = -1;
        for (int k = 0; k < 3; k++) {
            double eps = (0.25 + 0.5 * k) * norm;
            sb_pgd_stats st = { 0 };
            assert_int_equal(sb_pgd_attack(m, tok, NULL, tgt, mask, B, T, &eps, 1, 5, 2.5, ball, NULL, delta, &st, err, sizeof err), 0);
            double biggest = 0;
            for (int b = 0; b < B; b++) {
                double ex = 0;
                for (int t = 0; t < T; t++) {
                    long p = (long)b * T + t;
                    double n2 = 0;
                    for (int i = 0; i < E; i++) n2 += (double)delta[p * E + i] * delta[p * E + i];
                    if (!mask[p]) assert_close(n2, 0, 0);
                    if (ball == SB_PGD_POSITION) assert_true(sqrt(n2) <= eps);
                    if (sqrt(n2) > biggest) biggest = sqrt(n2);
                    ex += n2;
                }
                if (ball == SB_PGD_EXAMPLE) {
                    double r = sb_pgd_radius(mask, b, T, eps, ball);
                    assert_true(sqrt(ex) <= r);
                    assert_true(sqrt(ex) > 0.999 * r);
                }
            }
            printf("  %s ball, eps %.3f: loss %.4f -> %.4f, KL %.4f, accuracy %ld -> %ld of %ld, largest position %.2f eps\n",
                   sb_pgd_ball_names[ball], eps, st.loss_clean, st.loss_adv, st.kl_sum / st.kl_positions, st.clean_correct,
                   st.correct, st.examples, biggest / eps);
            if (ball == SB_PGD_EXAMPLE) assert_true(biggest > 1.01 * eps);
            else assert_true(biggest > 0.999 * eps);
            assert_true(st.loss_adv > st.loss_clean);
            assert_true(st.loss_adv > prev);   /* a larger ball, a larger loss */
            prev = st.loss_adv;
            assert_true(st.kl_sum > 0);
            assert_int_equal(st.examples, B);
            assert_int_equal(st.kl_positions, B * 4 - 1);
        }
        /* several budgets in one call: the same outcomes as one budget at a time */
        double radii[3] = { 0.25 * norm, 0.75 * norm, 1.25 * norm };
        sb_pgd_stats many[3];
        memset(many, 0, sizeof many);
        assert_int_equal(sb_pgd_attack(m, tok, NULL, tgt, mask, B, T, radii, 3, 5, 2.5, ball, NULL, NULL, many, err, sizeof err), 0);
        assert_close(many[2].loss_adv, prev, 1e-6);
        for (int k = 0; k < 3; k++) {
            sb_pgd_stats one = { 0 };
            assert_int_equal(sb_pgd_attack(m, tok, NULL, tgt, mask, B, T, radii + k, 1, 5, 2.5, ball, NULL, NULL, &one, err, sizeof err), 0);
            assert_close(many[k].loss_adv, one.loss_adv, 1e-6);
            assert_close(many[k].kl_sum, one.kl_sum, 1e-6);
            assert_int_equal(many[k].correct, one.correct);
        }
    }
    /* zero steps: no perturbation, no change */
    sb_pgd_stats st = { 0 };
    assert_int_equal(sb_pgd_attack(m, tok, NULL, tgt, mask, B, T, &norm, 1, 0, 2.5, SB_PGD_EXAMPLE, NULL, delta, &st, err, sizeof err), 0);
    assert_close(st.loss_adv, st.loss_clean, 0);
    assert_close(st.kl_sum, 0, 1e-9);
    /* an unknown ball is refused */
    assert_int_equal(sb_pgd_attack(m, tok, NULL, tgt, mask, B, T, &norm, 1, 1, 2.5, 7, NULL, NULL, &st, err, sizeof err), -1);
    assert_mentions(err, "ball");
    free(delta);
    sb_model_free(m);
}

/* At epsilon 0 the attack is the clean model: in either ball, accuracy under
** attack is the examples' clean accuracy, counted here from a plain forward,
** and the KL is exactly 0. */
static void pgd_eps0_is_clean(void **state)
{
    (void)state;
    sb_model *m = make();
    int tok[B * T], tgt[B * T];
    batch(m, tok, tgt, 1);
    for (int b = 0; b < B; b += 3) tgt[b * T + 5] = (tgt[b * T + 5] + 1) % V;   /* examples 0 and 3 wrong */
    sb_model_forward(m, tok, NULL, tgt, NULL, B, T);
    long clean = 0, scored = 0;
    for (int b = 0; b < B; b++) {
        int ok = sb_example_correct(sb_model_probs(m) + (long)b * T * V, tgt + b * T, V, T, NULL);
        clean += ok == 1;
        scored += ok >= 0;
    }
    double eps[2] = { 0, 0.5 * sb_embed_mean_norm(m, NULL) };
    char err[SB_ERR_LEN];
    for (int ball = 0; ball < SB_PGD_BALL_COUNT; ball++) {
        sb_pgd_stats st[2];
        memset(st, 0, sizeof st);
        assert_int_equal(sb_pgd_attack(m, tok, NULL, tgt, NULL, B, T, eps, 2, 3, 2.5, ball, NULL, NULL, st, err, sizeof err), 0);
        printf("  %s ball: clean %ld of %ld; at eps 0 %ld, at eps %.2f %ld\n", sb_pgd_ball_names[ball], clean, scored,
               st[0].correct, eps[1], st[1].correct);
        assert_int_equal(st[0].examples, scored);
        assert_int_equal(st[0].correct, clean);
        assert_int_equal(st[0].clean_correct, clean);
        assert_true(st[0].kl_sum == 0);
        assert_true(st[0].loss_adv == st[0].loss_clean);
        assert_true(st[1].kl_sum > 0);
    }
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
        cmocka_unit_test(example_correctness), cmocka_unit_test(pgd_projection_closed_form),
        cmocka_unit_test(pgd_ball_and_loss), cmocka_unit_test(pgd_eps0_is_clean),
        cmocka_unit_test(hotflip_rules_and_budget), cmocka_unit_test(random_substitution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
