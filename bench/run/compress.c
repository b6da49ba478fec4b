/*
** compress.c: compression in a run (compress.h), composing the engine's
** factor.h, prune.h, quant.h, distill.h and compressed checkpoints with the
** run's data and record.
*/
#include "compress.h"
#include "results/metrics.h"
#include "sys/machine.h"
#include "stats/stats.h"
#include "io/checkpoint.h"
#include "compress/factor.h"
#include "compress/prune.h"
#include "compress/quant.h"
#include "compress/distill.h"
#include "core/train.h"
#include "compress/step.h"
#include "core/kvcache.h"
#include "compress/int8.h"
#include "sys/clock.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sb_compress {
    sb_spec s;
    sb_config c;              /* the configuration the run ends with */
    sb_sharing sh;            /* its sharing */
    sb_task *task;
    const sb_task_info *info;
    sb_run *r;
    FILE *log;
    int B, T, Tmax, log_every;
    long start;
    sb_compress_eval eval;
    void *ctx;
    sb_model *teacher;
    sb_distill *distill;
    sb_pruner *pruner;
    double last_sparsity;
    double test_uncompressed, test_float;   /* the test metric before the post-training steps, before int8 (NAN: none) */
    int *tok, *typ, *tgt;
};

static int method_of(const char *name, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}

static int prune_method(const sb_spec *s) { return method_of(s->prune, sb_prune_names, SB_PRUNE_COUNT); }
static int post_factor(const sb_spec *s) { return strcmp(s->factor_init, "train") != 0; }
static int quantises(const sb_spec *s) { return !strcmp(s->quant, "int8"); }
static int distils(const sb_spec *s) { return strcmp(s->teacher, "none") != 0; }

int sb_compress_any(const sb_spec *s)
{
    return post_factor(s) || prune_method(s) != SB_PRUNE_NONE || quantises(s) || distils(s) || s->model.factor;
}

void sb_compress_training_config(const sb_spec *s, sb_config *c)
{
    if (post_factor(s)) c->factor = 0;
}

/* The schedule's steps from the fractions. */
static sb_prune_config prune_config(const sb_spec *s)
{
    sb_prune_config pc = { prune_method(s), s->sparsity, (int)lround(s->prune_start * s->steps),
                           (int)lround(s->prune_end * s->steps), s->prune_every, s->l1 };
    if (pc.end > s->steps - 1) pc.end = s->steps - 1;
    return pc;
}

/* A teacher checkpoint checked whole (every tensor), once per file: the cells
** of a sweep check one teacher each, and it is the same file in most. The
** file is known by its device, inode, size and time of change. */
static int teacher_whole(const char *path, char *err, size_t errlen)
{
    static struct stat last;
    static int have;
    struct stat st;
    if (stat(path, &st)) return sb_checkpoint_check(path, err, errlen);   /* which says why */
    if (have && st.st_dev == last.st_dev && st.st_ino == last.st_ino && st.st_size == last.st_size &&
        st.st_mtim.tv_sec == last.st_mtim.tv_sec && st.st_mtim.tv_nsec == last.st_mtim.tv_nsec)
        return 0;
    if (sb_checkpoint_check(path, err, errlen)) return -1;
    last = st;
    have = 1;
    return 0;
}

int sb_compress_check(const sb_spec *s, const sb_config *c, const sb_sharing *sh, const sb_task_info *info, char *err,
                      size_t errlen)
{
    int pm = prune_method(s);
    if (quantises(s) && sb_quant_check(sh, err, errlen)) return -1;
    if ((pm == SB_PRUNE_GRADUAL || pm == SB_PRUNE_MOVEMENT)) {
        sb_prune_config pc = prune_config(s);
        if (pc.end <= pc.start) {
            snprintf(err, errlen, "prune=%s: with steps=%d the schedule from prune_start=%g to prune_end=%g has no steps (from step %d "
                     "to %d); train longer or widen it", s->prune, s->steps, s->prune_start, s->prune_end, pc.start, pc.end);
            return -1;
        }
    }
    if (pm != SB_PRUNE_NONE && post_factor(s)) {
        snprintf(err, errlen, "prune=%s with factor_init=%s: masks of the dense model do not carry over to its factors; prune the factors "
                 "of factor:R trained directly (factor_init=train), or factorise without pruning", s->prune, s->factor_init);
        return -1;
    }
    if (s->init_from[0] && !post_factor(s)) {
        sb_config k;
        char inner[SB_ERR_LEN];
        if (!sb_checkpoint_config(s->init_from, &k, inner, sizeof inner) && (k.factor != c->factor || strcmp(k.factor_mats, c->factor_mats))) {
            snprintf(err, errlen, "%s has factor=%d (%s), the run asks for factor=%d (%s): a checkpoint's matrices change form only "
                     "through factor_init=svd or als", s->init_from, k.factor, k.factor_mats, c->factor, c->factor_mats);
            return -1;
        }
    }
    if (distils(s) && strncmp(s->teacher, "train:", 6)) {
        sb_config t;
        char inner[SB_ERR_LEN];
        if (sb_checkpoint_config(s->teacher, &t, inner, sizeof inner) || teacher_whole(s->teacher, inner, sizeof inner)) {
            snprintf(err, errlen, "teacher: %s", inner);
            return -1;
        }
        if (t.vocab != c->vocab) {
            snprintf(err, errlen, "teacher %s: vocabulary %d, the student's is %d; distillation compares them token by token", s->teacher,
                     t.vocab, c->vocab);
            return -1;
        }
        if (t.max_len < info->length) {
            snprintf(err, errlen, "teacher %s: max_len=%d is below task %s's length %d", s->teacher, t.max_len, s->task, info->length);
            return -1;
        }
    }
    return 0;
}

/* The training batch of stream position k (the run's order, continued after its steps). */
static int train_batch(sb_compress *cs, long k, char *err, size_t errlen)
{
    if (sb_task_examples(cs->task, SB_SPLIT_TRAIN, cs->start + k * cs->B, cs->B, cs->tok, cs->typ, cs->tgt)) {
        snprintf(err, errlen, "%s", sb_task_error(cs->task));
        return -1;
    }
    return 0;
}

static void adamw_for(const sb_spec *s, sb_adamw_config *oc, int constant)
{
    sb_adamw_config_default(oc);
    oc->lr = s->lr; oc->weight_decay = s->weight_decay; oc->clip = s->clip; oc->min_lr_ratio = s->min_lr_ratio;
    oc->steps = s->steps; oc->warmup = s->warmup >= 0 ? s->warmup : s->steps / 10;
    if (constant) {   /* fine-tuning: the schedule's last rate, held */
        oc->lr = s->lr * s->min_lr_ratio;
        oc->steps = oc->warmup = 0;
    }
}

int sb_compress_teacher_config(const sb_spec *s, const sb_config *c, sb_config *tc, int *trained, char *err, size_t errlen)
{
    *tc = *c;
    *trained = !strncmp(s->teacher, "train:", 6);
    if (!*trained) return sb_checkpoint_config(s->teacher, tc, err, errlen);
    snprintf(tc->sharing, sizeof tc->sharing, "%s", s->teacher + 6);
    tc->sharing_attn[0] = tc->sharing_ffn[0] = 0;
    tc->factor = 0;
    return 0;
}

int sb_compress_teacher_memory(const sb_spec *s, const sb_config *c, int T, double *bytes, char *err, size_t errlen)
{
    sb_config tc;
    int trained;
    long n;
    sb_memory tm;
    *bytes = 0;
    if (!distils(s)) return 0;
    if (sb_compress_teacher_config(s, c, &tc, &trained, err, errlen)) return -1;
    if (sb_model_plan(&tc, s->batch, T, 0, &n, &tm, err, errlen)) return -1;
    *bytes = (double)tm.params + (double)tm.grads + (double)tm.acts + (double)tm.scratch + (trained ? (double)tm.optim : 0) +
             sb_distill_bytes(c->vocab, s->batch, T);
    return 0;
}

/* The teacher: trained here (train:SHARING, the run's model and data under that sharing), or loaded. */
static int make_teacher(sb_compress *cs, char *err, size_t errlen)
{
    const sb_spec *s = &cs->s;
    double t0 = sb_now();
    sb_config tc;
    int trained;
    if (sb_compress_teacher_config(s, &cs->c, &tc, &trained, err, errlen)) return -1;
    if (!(cs->teacher = sb_model_create(&tc, cs->B, cs->T, (uint64_t)s->seed, 0, err, errlen))) return -1;
    if (!trained) {
        if (sb_checkpoint_load(s->teacher, cs->teacher, err, errlen)) return -1;
    } else {
        sb_adamw_config oc;
        sb_adamw o;
        adamw_for(s, &oc, 0);
        if (sb_adamw_init(&o, &oc, sb_model_n_params(cs->teacher))) { snprintf(err, errlen, "out of memory for the teacher's AdamW"); return -1; }
        for (int step = 0; step < s->steps; step++) {
            if (train_batch(cs, step, err, errlen)) { sb_adamw_free(&o); return -1; }
            if (!isfinite(sb_train_step(cs->teacher, &o, cs->tok, cs->typ, cs->tgt, cs->B, cs->T, NULL))) {
                snprintf(err, errlen, "the teacher (sharing %s) diverged at step %d", tc.sharing, step);
                sb_adamw_free(&o);
                return -1;
            }
        }
        sb_adamw_free(&o);
    }
    double test = cs->eval(cs->ctx, cs->teacher, SB_SPLIT_TEST);
    sb_put_metric(cs->r, SB_M_TEACHER_TEST, test);
    sb_put_metric(cs->r, SB_M_TEACHER_PARAMS, (double)sb_model_n_params(cs->teacher));
    sb_put_metric(cs->r, SB_M_TEACHER_SECONDS, sb_now() - t0);
    if (cs->log)
        fprintf(cs->log, "  teacher (sharing %s, %ld parameters) %s: test %s %.4f\n", tc.sharing, sb_model_n_params(cs->teacher),
                trained ? "trained" : "loaded", sb_metric_name(cs->info->metric), test);
    return (cs->distill = sb_distill_create(cs->teacher, cs->c.vocab, cs->B, cs->T, s->distill_temp, s->distill_alpha, err, errlen)) ? 0 : -1;
}

sb_compress *sb_compress_new(const sb_spec *s, const sb_config *c, const sb_sharing *sh, sb_model *m, sb_task *task, sb_run *r,
                             FILE *log, int B, int Tmax, long start, sb_compress_eval eval, void *ctx, char *err, size_t errlen)
{
    sb_compress *cs = calloc(1, sizeof *cs);
    if (!cs) { snprintf(err, errlen, "out of memory"); return NULL; }
    cs->s = *s;
    cs->c = *c;
    cs->sh = *sh;
    cs->task = task;
    cs->info = sb_task_get_info(task);
    cs->r = r;
    cs->log = log;
    cs->B = B;
    cs->T = cs->info->length;
    cs->Tmax = Tmax;
    cs->start = start;
    cs->eval = eval;
    cs->ctx = ctx;
    cs->log_every = s->steps >= 100 ? s->steps / 100 : 1;
    cs->test_uncompressed = cs->test_float = NAN;
    cs->tok = malloc(sizeof(int) * B * Tmax);
    cs->typ = malloc(sizeof(int) * B * Tmax);
    cs->tgt = malloc(sizeof(int) * B * Tmax);
    if (!cs->tok || !cs->typ || !cs->tgt) { snprintf(err, errlen, "out of memory"); goto fail; }
    /* an int8 checkpoint to start from trains from its dequantised weights: int8 codes would not follow the updates */
    if (sb_quant_active(m)) sb_quant_drop(m);
    if (distils(s) && make_teacher(cs, err, errlen)) goto fail;
    int pm = prune_method(s);
    if (pm == SB_PRUNE_L1 || pm == SB_PRUNE_GRADUAL || pm == SB_PRUNE_MOVEMENT) {
        sb_prune_config pc = prune_config(s);
        if (!(cs->pruner = sb_pruner_create(m, &pc, err, errlen))) goto fail;
    }
    return cs;
fail:
    sb_compress_free(cs);
    return NULL;
}

void sb_compress_free(sb_compress *cs)
{
    if (!cs) return;
    sb_distill_free(cs->distill);
    sb_model_free(cs->teacher);
    sb_pruner_free(cs->pruner);
    free(cs->tok); free(cs->typ); free(cs->tgt);
    free(cs);
}

double sb_compress_step(sb_compress *cs, sb_model *m, sb_adamw *o, const int *tokens, const int *types, const int *targets, int step,
                        double *grad_norm)
{
    double kd;
    double loss = sb_train_step_with(m, o, tokens, types, targets, cs->B, cs->T, step, cs->distill, cs->pruner, grad_norm, &kd);
    if (cs->distill && isfinite(kd) && (step % cs->log_every == 0 || step == cs->s.steps - 1))
        sb_put_point(cs->r, SB_S_TRAIN_KD, step, -1, -1, kd);
    if (cs->pruner && sb_pruner_current(cs->pruner) != cs->last_sparsity) {
        cs->last_sparsity = sb_pruner_current(cs->pruner);
        sb_put_point(cs->r, SB_S_SPARSITY, step, -1, -1, sb_prune_overall(m));
    }
    return loss;
}

int sb_compress_reshared(sb_compress *cs, sb_model *m, char *err, size_t errlen)
{
    if (!cs->pruner) return 0;
    return (cs->pruner = sb_pruner_rebind(cs->pruner, m, err, errlen)) ? 0 : -1;
}

/* Tensor "attn.0.wq" -> series id's "WHAT.attn.wq" at layer (block) 0. */
static void tensor_series(sb_run *r, sb_series_id id, const char *name, long step, double v)
{
    const char *d1 = strchr(name, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    char words[96];
    if (!d2) return;
    snprintf(words, sizeof words, "%.*s.%s", (int)(d1 - name), name, d2 + 1);
    sb_put_point_of(r, id, words, step, atoi(d1 + 1), -1, v);
}

static int fine_tune(sb_compress *cs, sb_model *m, sb_adamw *o, int steps_done, char *err, size_t errlen)
{
    const sb_spec *s = &cs->s;
    sb_adamw_config oc;
    adamw_for(s, &oc, 1);
    sb_adamw_free(o);
    if (sb_adamw_init(o, &oc, sb_model_n_params(m))) { snprintf(err, errlen, "out of memory for fine-tuning"); return -1; }
    double t0 = sb_now();
    int every = s->finetune_steps >= 100 ? s->finetune_steps / 100 : 1;
    for (int k = 0; k < s->finetune_steps; k++) {
        if (train_batch(cs, steps_done + k, err, errlen)) return -1;
        double gn, kd;
        double loss = sb_train_step_with(m, o, cs->tok, cs->typ, cs->tgt, cs->B, cs->T, 0, cs->distill, cs->pruner, &gn, &kd);
        if (!isfinite(loss)) { snprintf(err, errlen, "fine-tuning diverged at step %d of %d", k, s->finetune_steps); return -1; }
        if (k % every == 0 || k == s->finetune_steps - 1) sb_put_point(cs->r, SB_S_FINETUNE_LOSS, steps_done + k, -1, -1, loss);
    }
    sb_put_metric(cs->r, SB_M_FINETUNE_SECONDS, sb_now() - t0);
    return 0;
}

int sb_compress_finish(sb_compress *cs, sb_model **mp, sb_adamw *o, int steps_done, char *err, size_t errlen)
{
    const sb_spec *s = &cs->s;
    sb_model *m = *mp;
    int pm = prune_method(s), post = post_factor(s) || pm == SB_PRUNE_MAGNITUDE || pm == SB_PRUNE_L1 || quantises(s);
    if (!post) goto sparsity;
    cs->test_uncompressed = cs->eval(cs->ctx, m, SB_SPLIT_TEST);
    sb_put_metric(cs->r, SB_M_TEST_UNCOMPRESSED, cs->test_uncompressed);
    if (post_factor(s)) {
        /* the trained dense model's matrices, factorised */
        double t0 = sb_now(), overall;
        sb_model *f = sb_model_create_with(&cs->c, &cs->sh, cs->B, cs->Tmax, (uint64_t)s->seed, 0, err, errlen);
        double *errors = f ? malloc(sizeof(double) * sb_model_tensor_count(f)) : NULL;
        if (!f || !errors) { sb_model_free(f); if (!errors) snprintf(err, errlen, "out of memory"); return -1; }
        if (sb_factor_model(m, f, !strcmp(s->factor_init, "als") ? SB_FACTOR_ALS : SB_FACTOR_SVD, s->als_iters, (uint64_t)s->seed, errors,
                            &overall, err, errlen)) {
            free(errors);
            sb_model_free(f);
            return -1;
        }
        for (int i = 0; i < sb_model_tensor_count(f); i++)
            if (!isnan(errors[i])) tensor_series(cs->r, SB_S_FACTOR_ERROR_OF_TENSOR, sb_model_tensor(f, i)->name, steps_done, errors[i]);
        free(errors);
        sb_put_metric(cs->r, SB_M_FACTOR_ERROR, overall);
        sb_put_metric(cs->r, SB_M_FACTOR_SECONDS, sb_now() - t0);
        sb_put_metric(cs->r, SB_M_PARAMS_DENSE, (double)sb_model_n_params(m));
        if (cs->log) fprintf(cs->log, "  factorised by %s to rank %d: relative error %.4f\n", s->factor_init, cs->c.factor, overall);
        sb_model_free(m);
        *mp = m = f;
    }
    if (pm == SB_PRUNE_MAGNITUDE || pm == SB_PRUNE_L1) {
        if (!cs->pruner) {
            sb_prune_config pc = prune_config(s);
            if (!(cs->pruner = sb_pruner_create(m, &pc, err, errlen))) return -1;
        }
        if (pm == SB_PRUNE_MAGNITUDE) sb_pruner_prune(cs->pruner, m, s->sparsity);
        else sb_pruner_threshold(cs->pruner, m, s->l1_threshold);
    }
    if (s->finetune_steps) {
        sb_put_metric(cs->r, SB_M_TEST_BEFORE_FINETUNE, cs->eval(cs->ctx, m, SB_SPLIT_TEST));
        if (fine_tune(cs, m, o, steps_done, err, errlen)) return -1;
    }
sparsity:
    if (pm != SB_PRUNE_NONE) {
        sb_put_metric(cs->r, SB_M_SPARSITY, sb_prune_overall(m));
        for (int i = 0; i < sb_model_tensor_count(m); i++)
            if (sb_prune_target(sb_model_tensor(m, i)))
                tensor_series(cs->r, SB_S_SPARSITY_OF_TENSOR, sb_model_tensor(m, i)->name, steps_done, sb_prune_sparsity(m, i));
        if (cs->log) fprintf(cs->log, "  %s pruning: sparsity %.3f of the block matrices\n", s->prune, sb_prune_overall(m));
    }
    if (quantises(s)) {
        cs->test_float = cs->eval(cs->ctx, m, SB_SPLIT_TEST);
        sb_put_metric(cs->r, SB_M_TEST_FLOAT, cs->test_float);
        double t0 = sb_now();
        int act = method_of(s->quant_act, sb_qact_names, SB_QACT_COUNT);
        if (sb_quant_begin(m, act, err, errlen)) return -1;
        for (int k = 0; k < s->quant_batches; k++) {
            if (train_batch(cs, steps_done + s->finetune_steps + k, err, errlen)) return -1;
            sb_model_forward(m, cs->tok, cs->typ, cs->tgt, NULL, cs->B, cs->T);
        }
        sb_quant_stats st;
        if (sb_quant_finish(m, &st, err, errlen)) return -1;
        sb_put_metric(cs->r, SB_M_QUANT_SECONDS, sb_now() - t0);
        sb_put_metric(cs->r, SB_M_QUANT_ERROR, st.weight_error);
        sb_put_metric(cs->r, SB_M_QUANT_TENSORS, st.tensors);
        sb_put_metric(cs->r, SB_M_QUANT_TENSOR_USES, st.uses);
        sb_put_metric(cs->r, SB_M_QUANT_CALIBRATIONS, st.calibrations);
        sb_put_metric(cs->r, SB_M_QUANT_CALIBRATIONS_PER_LAYER, st.calibrations_per_layer);
        sb_put_metric(cs->r, SB_M_QUANT_BLOCKS_ATTN, st.blocks[0]);
        sb_put_metric(cs->r, SB_M_QUANT_BLOCKS_KV, st.blocks[1]);
        sb_put_metric(cs->r, SB_M_QUANT_BLOCKS_FFN, st.blocks[2]);
        sb_put_metric(cs->r, SB_M_QUANT_CALIBRATION_ROWS, (double)st.rows_observed);
        sb_put_metric(cs->r, SB_M_BYTES_QUANTISED_FLOAT, (double)st.bytes_float);
        sb_put_metric(cs->r, SB_M_BYTES_QUANTISED_INT8, (double)st.bytes_int8);
        for (int i = 0; i < sb_model_tensor_count(m); i++)
            if (!isnan(sb_quant_tensor_error(m, i)))
                tensor_series(cs->r, SB_S_QUANT_ERROR_OF_TENSOR, sb_model_tensor(m, i)->name, steps_done, sb_quant_tensor_error(m, i));
        if (cs->log)
            fprintf(cs->log, "  int8: %d unique matrices quantised once, %d calibrations (%d per layer without sharing), weight error %.4f\n",
                    st.tensors, st.calibrations, st.calibrations_per_layer, st.weight_error);
    }
    return 0;
}

/* Milliseconds per token decoding one sequence of the task's length, int8 and
** float alternately (medians of three each), so both see the same machine state. */
static void int8_against_float(sb_compress *cs, sb_model *m)
{
    char err[SB_ERR_LEN];
    int T = cs->T, tok[4096];
    sb_kvcache *kc = sb_kvcache_create(m, 1, T, err, sizeof err);
    if (!kc || T > 4096 || sb_task_examples(cs->task, SB_SPLIT_TEST, 0, 1, cs->tok, cs->typ, cs->tgt)) { sb_kvcache_free(kc); return; }
    memcpy(tok, cs->tok, sizeof(int) * T);
    double t8[3], tf[3];
    for (int rep = 0; rep < 3; rep++)
        for (int q = 1; q >= 0; q--) {
            sb_quant_enable(m, q);
            sb_kvcache_reset(kc);
            double t0 = sb_now();
            for (int p = 0; p < T; p++) sb_decode_step(kc, &tok[p]);
            (q ? t8 : tf)[rep] = 1e3 * (sb_now() - t0) / T;
        }
    sb_quant_enable(m, 1);
    double a = sb_stats_median(t8, 3), b = sb_stats_median(tf, 3);
    sb_put_metric(cs->r, SB_M_DECODE_MS_PER_TOKEN_INT8, a);
    sb_put_metric(cs->r, SB_M_DECODE_MS_PER_TOKEN_FLOAT, b);
    sb_put_metric(cs->r, SB_M_INT8_DECODE_SPEEDUP, b / a);
    sb_kvcache_free(kc);
}

int sb_compress_record(sb_compress *cs, sb_model *m, const sb_adamw *o, const char *save, double test, char *err, size_t errlen)
{
    if (isfinite(cs->test_uncompressed)) sb_put_metric(cs->r, SB_M_COMPRESS_DELTA, test - cs->test_uncompressed);
    if (isfinite(cs->test_float)) sb_put_metric(cs->r, SB_M_QUANT_DELTA, test - cs->test_float);
    const sb_spec *s = &cs->s;
    int compressed = sb_compress_any(s);
    char path[SB_PATH_LEN + 16];
    if (save && save[0] && !compressed && sb_checkpoint_save(save, m, NULL, err, errlen)) return -1;
    if (s->save_optim[0] && sb_checkpoint_save_optim(s->save_optim, m, o, err, errlen)) return -1;
    /* the deployable checkpoint: written where asked when the run compresses, else to a scratch file to be measured */
    if (save && save[0] && compressed) {
        snprintf(path, sizeof path, "%s", save);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/sharebench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        int fd = mkstemp(path);
        if (fd < 0) { snprintf(err, errlen, "%s: cannot create a scratch file to measure the checkpoint", path); return -1; }
        close(fd);
    }
    int scratch = strcmp(path, save ? save : "") != 0;
    int rc = sb_checkpoint_save_compressed(path, m, NULL, err, errlen);
    struct stat st;
    if (!rc && !stat(path, &st)) sb_put_metric(cs->r, SB_M_BYTES_DISK, (double)st.st_size);
    if (scratch) unlink(path);
    if (rc) return -1;
    sb_put_metric(cs->r, SB_M_BYTES_MEMORY, (double)sb_quant_inference_bytes(m));
    if (sb_quant_active(m) && sb_model_config(m)->causal) int8_against_float(cs, m);
    return 0;
}

int sb_int8_decode_bench(const sb_config *c, int T, int reps, sb_int8_bench *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    sb_model *m = sb_model_create(c, 1, T, 1, 0, err, errlen);
    if (!m) return -1;
    int V = c->vocab, *tok = malloc(sizeof(int) * T);
    real *pf = malloc(sizeof(real) * T * V);
    double *t8 = malloc(sizeof(double) * reps), *tf = malloc(sizeof(double) * reps);
    sb_kvcache *kc = NULL;
    int rc = -1;
    if (!tok || !pf || !t8 || !tf) { snprintf(err, errlen, "out of memory"); goto out; }
    for (int i = 0; i < T; i++) tok[i] = (i * 37 + 11) % V;
    sb_quant_stats st;
    if (sb_quant_begin(m, SB_QACT_BLOCK, err, errlen)) goto out;
    sb_model_forward(m, tok, NULL, NULL, NULL, 1, T);
    if (sb_quant_finish(m, &st, err, errlen) || !(kc = sb_kvcache_create(m, 1, T, err, errlen))) goto out;
    for (int rep = 0; rep < reps; rep++)
        for (int q = 0; q < 2; q++) {
            sb_quant_enable(m, q);
            sb_kvcache_reset(kc);
            double t0 = sb_now(), kl = 0;
            int agree = 0;
            for (int p = 0; p < T; p++) {
                const real *pr = sb_decode_step(kc, &tok[p]);
                if (rep) continue;
                if (!q) { memcpy(pf + (long)p * V, pr, sizeof(real) * V); continue; }
                int a = 0, b = 0;
                for (int v = 0; v < V; v++) {
                    real x = pf[(long)p * V + v];
                    if (x > 0 && pr[v] > 0) kl += x * log((double)x / pr[v]);
                    if (x > pf[(long)p * V + a]) a = v;
                    if (pr[v] > pr[b]) b = v;
                }
                agree += a == b;
            }
            (q ? t8 : tf)[rep] = 1e3 * (sb_now() - t0) / T;
            if (!rep && q) { out->kl = kl / T; out->top1 = (double)agree / T; }
        }
    out->ms_int8 = sb_stats_median(t8, reps);
    out->ms_float = sb_stats_median(tf, reps);
    out->bytes_float = st.bytes_float;
    out->bytes_int8 = st.bytes_int8;
    out->calibrations = st.calibrations;
    out->calibrations_per_layer = st.calibrations_per_layer;
    out->vnni = sb_q8_fast();
    rc = 0;
out:
    sb_kvcache_free(kc);
    sb_model_free(m);
    free(tok); free(pf); free(t8); free(tf);
    return rc;
}
