/*
** test_distill_f64.c: knowledge distillation (engine/compress/distill.c), in double.
**
** The loss equals its definition computed here independently (cross-entropy
** and T^2 KL of softened distributions, mixed by alpha) and its gradient
** matches central differences, on the logits and through whole shared and
** factorised students. With temperature 1 and weight 1, a student that is a
** copy of its teacher has a gradient of exactly zero, and an AdamW step
** (without weight decay) leaves it unchanged: a stationary point. A shared
** student distilled from an unshared teacher moves towards it.
*/
#include "testmodel.h"
#include "compress/distill.h"
#include "core/train.h"
#include "compress/step.h"

enum { R = 6, V = 7 };

static void random_logits(real *z, int n, uint64_t seed, double scale)
{
    sb_rng r;
    sb_rng_seed(&r, seed, "logits");
    for (int i = 0; i < n; i++) z[i] = (real)(scale * sb_rng_normal(&r));
}

/* The definition, term by term. */
static double reference(const real *zs, const real *zt, const int *tg, double T, double alpha)
{
    double ce = 0, kd = 0;
    int n = 0;
    for (int r = 0; r < R; r++) {
        if (tg[r] < 0) continue;
        n++;
        double zs1 = 0, zsT = 0, ztT = 0;
        for (int i = 0; i < V; i++) {
            zs1 += exp(zs[r * V + i]);
            zsT += exp(zs[r * V + i] / T);
            ztT += exp(zt[r * V + i] / T);
        }
        ce -= log(exp(zs[r * V + tg[r]]) / zs1);
        for (int i = 0; i < V; i++) {
            double pt = exp(zt[r * V + i] / T) / ztT, ps = exp(zs[r * V + i] / T) / zsT;
            kd += T * T * pt * log(pt / ps);
        }
    }
    return ((1 - alpha) * ce + alpha * kd) / n;
}

static void loss_and_gradient(void **state)
{
    (void)state;
    real zs[R * V], zt[R * V], d[R * V];
    int tg[R] = { 2, -1, 0, 6, -1, 3 };
    random_logits(zs, R * V, 1, 2);
    random_logits(zt, R * V, 2, 2);
    static const double temps[] = { 1, 2, 4.5 }, alphas[] = { 0, 0.3, 1 };
    for (int a = 0; a < 3; a++)
        for (int k = 0; k < 3; k++) {
            double ce, kd, L = sb_distill_loss(zs, zt, tg, R, V, temps[k], alphas[a], d, &ce, &kd);
            assert_close(L, reference(zs, zt, tg, temps[k], alphas[a]), 1e-12);
            assert_close(L, (1 - alphas[a]) * ce + alphas[a] * kd, 1e-12);
            assert_true(kd > 0);
            for (int j = 0; j < R * V; j++) {
                real save = zs[j];
                zs[j] = save + 1e-6;
                double lp = reference(zs, zt, tg, temps[k], alphas[a]);
                zs[j] = save - 1e-6;
                double lm = reference(zs, zt, tg, temps[k], alphas[a]);
                zs[j] = save;
                assert_close(d[j], (lp - lm) / 2e-6, 1e-7);
                if (tg[j / V] < 0) assert_true(d[j] == 0);
            }
        }
    /* large logits stay finite */
    random_logits(zs, R * V, 3, 300);
    assert_true(isfinite(sb_distill_loss(zs, zt, tg, R, V, 0.5, 0.5, d, NULL, NULL)));
}

/* ---------------------------------------------------------------- models */

enum { B = 2, T = 5 };

static void config(sb_config *c, const char *sharing, int factor)
{
    sb_config_default(c);
    c->vocab = 11; c->max_len = 8; c->width = 8; c->layers = 4; c->heads = 2; c->ffn = 12;
    snprintf(c->sharing, sizeof c->sharing, "%s", sharing);
    c->factor = factor;
}

static sb_model *make(const sb_config *c, uint64_t seed) { return test_model_perturbed(c, B, T, seed, 0.3); }

static void batch(int *tok, int *tgt) { test_batch(tok, tgt, B * T, 11, 11, 1); }

/* The distillation loss of student s against teacher logits zt, from the models' forward. */
static double model_loss(sb_model *s, const real *zt, const int *tok, const int *tgt, double temp, double alpha)
{
    real zs[B * T * 11], d[B * T * 11];
    sb_model_forward(s, tok, NULL, tgt, NULL, B, T);
    sb_model_logits(s, zs);
    return sb_distill_loss(zs, zt, tgt, B * T, 11, temp, alpha, d, NULL, NULL);
}

static void student_gradients(void **state)
{
    (void)state;
    static const struct { const char *student; int factor; } cases[] = { { "all", 0 }, { "cycle:2+kv_share:2", 0 }, { "all", 2 } };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        sb_config tc, sc;
        char err[SB_ERR_LEN];
        config(&tc, "none", 0);
        config(&sc, cases[ci].student, cases[ci].factor);
        sb_model *teacher = make(&tc, 1), *student = make(&sc, 2);
        int tok[B * T], tgt[B * T];
        batch(tok, tgt);
        sb_distill *d = sb_distill_create(teacher, 11, B, T, 2.0, 0.4, err, sizeof err);
        assert_non_null(d);
        double kd, task = sb_distill_forward_backward(d, student, tok, NULL, tgt, B, T, &kd);
        assert_close(task, sb_model_forward(student, tok, NULL, tgt, NULL, B, T), 1e-12);   /* the task loss */
        assert_true(kd > 0);
        long n = sb_model_n_params(student);
        real *g = malloc(sizeof(real) * n), *zt = malloc(sizeof(real) * B * T * 11);
        sb_distill_forward_backward(d, student, tok, NULL, tgt, B, T, NULL);
        memcpy(g, sb_model_grads(student), sizeof(real) * n);
        sb_model_forward(teacher, tok, NULL, tgt, NULL, B, T);
        sb_model_logits(teacher, zt);
        sb_rng r;
        sb_rng_seed(&r, 4, "entries");
        real *p = sb_model_params(student);
        for (int ti = 0; ti < sb_model_tensor_count(student); ti++) {
            const sb_tensor *t = sb_model_tensor(student, ti);
            for (int k = 0; k < 3; k++) {
                long j = t->offset + (long)sb_rng_below(&r, (uint32_t)t->numel);
                real save = p[j];
                p[j] = save + 1e-6;
                double lp = model_loss(student, zt, tok, tgt, 2.0, 0.4);
                p[j] = save - 1e-6;
                double lm = model_loss(student, zt, tok, tgt, 2.0, 0.4);
                p[j] = save;
                double fd = (lp - lm) / 2e-6;
                if (fabs(fd - g[j]) > 1e-6 * fmax(1, fabs(fd))) {
                    print_error("%s: %s entry %ld: analytic %.10g, finite difference %.10g\n", cases[ci].student, t->name, j - t->offset,
                                (double)g[j], fd);
                    fail();
                }
            }
        }
        free(g); free(zt);
        sb_distill_free(d);
        sb_model_free(teacher);
        sb_model_free(student);
    }
}

static void copy_of_teacher_is_stationary(void **state)
{
    (void)state;
    static const char *const sharings[] = { "none", "cycle:2", "all" };
    for (int si = 0; si < 3; si++) {
        sb_config c;
        char err[SB_ERR_LEN];
        config(&c, sharings[si], si == 2 ? 2 : 0);
        sb_model *teacher = make(&c, 5), *student = make(&c, 6);
        long n = sb_model_n_params(student);
        memcpy(sb_model_params(student), sb_model_params(teacher), sizeof(real) * n);
        int tok[B * T], tgt[B * T];
        batch(tok, tgt);
        sb_distill *d = sb_distill_create(teacher, 11, B, T, 1.0, 1.0, err, sizeof err);
        assert_non_null(d);
        double kd;
        sb_distill_forward_backward(d, student, tok, NULL, tgt, B, T, &kd);
        assert_true(kd == 0);
        for (long i = 0; i < n; i++) assert_true(sb_model_grads(student)[i] == 0);
        /* AdamW without weight decay does not move it */
        sb_adamw_config oc;
        sb_adamw_config_default(&oc);
        oc.weight_decay = 0;
        sb_adamw o;
        assert_int_equal(sb_adamw_init(&o, &oc, n), 0);
        double gn;
        sb_train_step_with(student, &o, tok, NULL, tgt, B, T, 0, d, NULL, &gn, NULL);
        assert_true(gn == 0);
        assert_memory_equal(sb_model_params(student), sb_model_params(teacher), sizeof(real) * n);
        /* a perturbed copy is not stationary */
        sb_model_params(student)[3] += 0.1;
        sb_distill_forward_backward(d, student, tok, NULL, tgt, B, T, &kd);
        assert_true(kd > 0);
        assert_true(sb_grad_norm(sb_model_grads(student), n) > 0);
        sb_adamw_free(&o);
        sb_distill_free(d);
        sb_model_free(teacher);
        sb_model_free(student);
    }
}

/* A shared student distilled from an unshared teacher (soft targets only) moves towards it. */
static void shared_student_learns(void **state)
{
    (void)state;
    sb_config tc, sc;
    char err[SB_ERR_LEN];
    config(&tc, "none", 0);
    config(&sc, "all", 0);
    sb_model *teacher = make(&tc, 7), *student = make(&sc, 8);
    int tok[B * T], tgt[B * T];
    batch(tok, tgt);
    sb_distill *d = sb_distill_create(teacher, 11, B, T, 2.0, 1.0, err, sizeof err);
    sb_adamw_config oc;
    sb_adamw_config_default(&oc);
    oc.lr = 1e-2f;
    sb_adamw o;
    assert_int_equal(sb_adamw_init(&o, &oc, sb_model_n_params(student)), 0);
    double first = 0, last = 0;
    for (int s = 0; s < 60; s++) {
        double kd;
        sb_train_step_with(student, &o, tok, NULL, tgt, B, T, s, d, NULL, NULL, &kd);
        if (s == 0) first = kd;
        last = kd;
    }
    assert_true(last < 0.2 * first);
    /* refusals */
    sb_config other;
    config(&other, "none", 0);
    other.vocab = 12;
    sb_model *wrong = make(&other, 1);
    assert_null(sb_distill_create(wrong, 11, B, T, 2, 0.5, err, sizeof err));
    assert_mentions(err, "vocabulary 12");
    assert_null(sb_distill_create(teacher, 11, B, T, 0, 0.5, err, sizeof err));
    assert_mentions(err, "distill_temp=0");
    assert_null(sb_distill_create(teacher, 11, B, T, 1, 1.5, err, sizeof err));
    assert_mentions(err, "distill_alpha=1.5");
    assert_null(sb_distill_create(teacher, 11, B + 1, T, 1, 0.5, err, sizeof err));
    assert_mentions(err, "batch");
    sb_model_free(wrong);
    sb_adamw_free(&o);
    sb_distill_free(d);
    sb_model_free(teacher);
    sb_model_free(student);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loss_and_gradient), cmocka_unit_test(student_gradients), cmocka_unit_test(copy_of_teacher_is_stationary),
        cmocka_unit_test(shared_student_learns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
