/*
** runner.c: one run (see runner.h). Composes suites/ (the data and its
** scoring) and engine/ (the model), and records what the store keeps.
*/
#include "runner.h"
#include "results/metrics.h"
#include "sys/machine.h"
#include "stats/stats.h"
#include "task.h"
#include "core/model.h"
#include "core/train.h"
#include "core/kvcache.h"
#include "core/flops.h"
#include "io/checkpoint.h"
#include "compress/convert.h"
#include "analyze.h"
#include "compress.h"
#include "evaluate.h"
#include "loops.h"
#include "plateau.h"
#include "untie_at.h"
#include "sys/clock.h"
#include "sys/calib.h"
#include "sys/contention.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <math.h>
#include <omp.h>

/* The model configuration for a task, and its sharing resolved: the task
** decides what was not set explicitly (vocabulary, positions); a checkpoint
** decides all but sharing and the factorisation keys. */
static int model_for_task(const sb_spec *s, const sb_task_info *info, sb_config *c, sb_sharing *sh, char *err, size_t errlen)
{
    int need_len = info->long_length > info->length ? info->long_length : info->length;
    if (s->init_from[0]) {
        if (sb_checkpoint_config(s->init_from, c, err, errlen)) return -1;
        sb_config oc;
        if (s->init_optim[0] && sb_checkpoint_optim_config(s->init_optim, &oc, err, errlen)) return -1;
        if (s->init_optim[0] && sb_config_hash(&oc) != sb_config_hash(c)) {
            snprintf(err, errlen, "init_optim=%s: the optimizer state of another model than init_from=%s", s->init_optim, s->init_from);
            return -1;
        }
        if (sb_spec_model_set(s, "sharing")) snprintf(c->sharing, sizeof c->sharing, "%s", s->model.sharing);
        /* the rank to factorise a trained checkpoint to (factor_init=svd or als) */
        if (sb_spec_model_set(s, "factor")) c->factor = s->model.factor;
        if (sb_spec_model_set(s, "factor_mats")) snprintf(c->factor_mats, sizeof c->factor_mats, "%s", s->model.factor_mats);
    } else {
        *c = s->model;
        if (!sb_spec_model_set(s, "vocab")) c->vocab = info->vocab;
        if (!sb_spec_model_set(s, "max_len")) c->max_len = need_len;
    }
    const char *src = s->init_from[0] ? s->init_from : "the model";
    if (c->vocab < info->vocab) {
        snprintf(err, errlen, "%s: vocab=%d is smaller than task %s's vocabulary (%d)", src, c->vocab, s->task, info->vocab);
        return -1;
    }
    if (c->max_len < need_len) {
        snprintf(err, errlen, "%s: max_len=%d is below task %s's longest sequence (%d)", src, c->max_len, s->task, need_len);
        return -1;
    }
    if (info->causal && !c->causal) {
        snprintf(err, errlen, "%s: task %s needs causal attention (its answers appear in the tokens) but causal=0", src, s->task);
        return -1;
    }
    return sb_sharing_resolve(c, sh, err, errlen);
}

/* Where save= will write, checked before training: a regular file (or a
** link to one) that may be written, or a new file in a directory that
** exists; never a FIFO, a device or a directory (atomicfile.h's rules). */
static int check_save(const char *path, char *err, size_t errlen)
{
    struct stat l, st;
    char dir[SB_PATH_LEN];
    if (!lstat(path, &l)) {
        if (stat(path, &st)) {
            snprintf(err, errlen, "save=%s: %s", path, errno == ENOENT ? "a symbolic link to a file that does not exist" : strerror(errno));
            return -1;
        }
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "save=%s: not a regular file: refusing to write a checkpoint over it", path);
            return -1;
        }
        if (access(path, W_OK)) {
            snprintf(err, errlen, "save=%s: cannot write: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1, slash ? path : ".");
    if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "save=%s: directory '%s' %s", path, dir, errno == ENOENT ? "does not exist" : "is not a directory");
        return -1;
    }
    return 0;
}

/* The checks of a valid spec that need its plan. */
static int check_planned(const sb_spec *s, const sb_runner_plan *plan, char *err, size_t errlen)
{
    if (s->save[0] && check_save(s->save, err, errlen)) return -1;
    if (sb_compress_check(s, &plan->model, &plan->sharing, &plan->task, err, errlen)) return -1;
    return s->analysis ? sb_analysis_check(s, err, errlen) : 0;
}

int sb_runner_check_same(const sb_spec *s, const sb_runner_plan *plan, char *err, size_t errlen)
{
    return sb_spec_validate(s, err, errlen) || check_planned(s, plan, err, errlen) ? -1 : 0;
}

int sb_runner_timing_spec(sb_spec *s, long seed, char *err, size_t errlen)
{
    char steps[16], sd[32];
    snprintf(steps, sizeof steps, "%d", SB_TIMING_STEPS);
    snprintf(sd, sizeof sd, "%ld", seed);
    return sb_spec_set(s, "steps", steps, err, errlen) || sb_spec_set(s, "eval_every", steps, err, errlen) ||
                   sb_spec_set(s, "analysis", "0", err, errlen) || sb_spec_set(s, "save", "", err, errlen) ||
                   sb_spec_set(s, "save_optim", "", err, errlen) || sb_spec_set(s, "seed", sd, err, errlen) ||
                   sb_spec_validate(s, err, errlen)
               ? -1
               : 0;
}

int sb_runner_check(const sb_spec *s, sb_runner_plan *plan, char *err, size_t errlen)
{
    sb_runner_plan p;
    if (sb_spec_validate(s, err, errlen)) return -1;
    sb_task *t = sb_task_open(s->task, s->knobs, (uint64_t)s->data_seed, err, errlen);
    if (!t) return -1;
    p.task = *sb_task_get_info(t);
    p.T = p.task.length;
    p.Tmax = p.task.long_length > p.task.length ? p.task.long_length : p.task.length;
    int rc = model_for_task(s, &p.task, &p.model, &p.sharing, err, errlen);
    /* every tensor too, not only the configuration: a checkpoint missing one
    ** would otherwise fail every cell that loads it */
    if (!rc && s->init_from[0]) rc = sb_checkpoint_check(s->init_from, err, errlen);
    sb_task_close(t);
    if (rc || check_planned(s, &p, err, errlen)) return -1;
    if (plan) *plan = p;
    return 0;
}

typedef struct {
    sb_task *task;
    const sb_task_info *info;
    int *tok, *typ, *tgt;
} data;

/* Evaluate n examples of a split: the task's metrics and the mean loss over
** scored positions; expert-choice MoR routed by its causal rule, as decoding
** must be (training: top-k over the sequence). */
static int evaluate(sb_model *m, data *d, int split, long n, int B, sb_score *sc, double *loss)
{
    sb_model_set_causal_routing(m, 1);
    int rc = sb_evaluate(m, d->task, split, n, B, d->tok, d->typ, d->tgt, sc, loss);
    sb_model_set_causal_routing(m, 0);
    return rc;
}

/* The headline metric of a split, for compression's before-and-after figures. */
typedef struct { data *d; long n; int B; } eval_ctx;

static double eval_split(void *ctx, sb_model *m, int split)
{
    eval_ctx *e = ctx;
    sb_score sc;
    double loss;
    return evaluate(m, e->d, split, e->n, e->B, &sc, &loss) ? NAN : sb_score_value(&sc, e->d->info->metric);
}

static void put_num(sb_run *r, const char *col, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", v);
    sb_run_set(r, col, buf);
}

/* The spec's keys and the machine, written on every record, whatever its end. */
static void record_start(sb_run *r, const sb_spec *s, const sb_config *c, const char *started)
{
    char cell[17], v[SB_PATH_LEN + 32];
    sb_machine mc;
    sb_machine_read(&mc);
    sb_spec_cell(s, cell);
    sb_run_set(r, "cell", cell);
    snprintf(v, sizeof v, "%016llx", sb_config_hash(c));
    sb_run_set(r, "config_hash", v);
    sb_run_set(r, "sweep", s->sweep);
    sb_run_set(r, "task", s->task);
    sb_run_set(r, "sharing", c->sharing);
    put_num(r, "seed", s->seed);
    sb_run_set(r, "started", started);
    sb_run_set(r, "code_version", mc.version);
    sb_run_set(r, "host", mc.host);
    sb_run_set(r, "cpu", mc.cpu);
    put_num(r, "cores", mc.cores);
    put_num(r, "threads", omp_get_max_threads());   /* what the run really used (a sweep job gets its share) */
    sb_run_set(r, "blas", mc.blas);
    for (const char *const *k = sb_spec_train_keys(); *k; k++) {
        sb_spec_get(s, *k, v, sizeof v);
        sb_run_param(r, *k, v);
    }
    for (const char *const *k = sb_config_keys(); *k; k++) {
        sb_config_get(c, *k, v, sizeof v);
        sb_run_param(r, *k, v);
    }
}

static void record_end(sb_run *r, const char *status, const char *error, double t0)
{
    char ended[32];
    sb_utc(ended, sizeof ended);
    sb_run_set(r, "status", status);
    if (error) sb_run_set(r, "error", error);
    sb_run_set(r, "ended", ended);
    put_num(r, "wall_seconds", sb_now() - t0);
}

/* Speed of the trained model: a full forward pass, and token-by-token decoding
** with the key/value cache (causal models), medians of repeated timings. */
static void measure_inference(sb_run *r, sb_model *m, data *d, int B)
{
    int T = d->info->length, cores = (int)sysconf(_SC_NPROCESSORS_ONLN), contended = 0;
    double times[5];
    if (sb_task_examples(d->task, SB_SPLIT_TEST, 0, B, d->tok, d->typ, d->tgt)) return;
    for (int i = 0; i < 5; i++) {
        int rq = sb_run_queue();
        double c = sb_cpu_time(), t = sb_now();
        sb_model_forward(m, d->tok, d->typ, NULL, NULL, B, T);
        times[i] = sb_now() - t;
        contended |= sb_contended(rq, sb_run_queue(), cores, (sb_cpu_time() - c) / times[i]);
    }
    sb_put_metric(r, SB_M_INFER_TOKENS_PER_S, B * T / sb_stats_median(times, 5));
    if (!sb_model_config(m)->causal) {
        sb_put_metric(r, SB_M_INFER_CONTENDED, contended);
        return;
    }
    char err[SB_ERR_LEN];
    sb_kvcache *kc = sb_kvcache_create(m, B, T, err, sizeof err);
    int *step = malloc(sizeof *step * (size_t)B);   /* one token per sequence of the batch */
    if (!kc || !step) {
        sb_kvcache_free(kc);
        free(step);
        sb_put_metric(r, SB_M_INFER_CONTENDED, contended);
        return;
    }
    for (int i = 0; i < 3; i++) {
        sb_kvcache_reset(kc);
        int rq = sb_run_queue();
        double c = sb_cpu_time(), t = sb_now();
        for (int p = 0; p < T; p++) {
            for (int b = 0; b < B; b++) step[b] = d->tok[b * T + p];
            sb_decode_step(kc, step);
        }
        times[i] = sb_now() - t;
        contended |= sb_contended(rq, sb_run_queue(), cores, (sb_cpu_time() - c) / times[i]);
    }
    sb_put_metric(r, SB_M_INFER_CONTENDED, contended);
    free(step);
    double med = sb_stats_median(times, 3);
    sb_put_metric(r, SB_M_DECODE_TOKENS_PER_S, B * T / med);
    sb_put_metric(r, SB_M_DECODE_MS_PER_POSITION, 1e3 * med / T);
    sb_put_metric(r, SB_M_KV_CACHE_BYTES, (double)sb_kvcache_bytes(kc));
    sb_kvcache_free(kc);
}

/* The trained looped model m with its core looped `loops` times instead
** (test_loops): the same blocks, fewer or more depths. NULL with a message. */
static sb_model *looped_again(const sb_model *m, int loops, int B, int T, uint64_t seed, char *err, size_t errlen)
{
    sb_config c = *sb_model_config(m);
    const sb_sharing *sh = sb_model_sharing(m);
    sb_sharing tsh;
    if (!sh->loops) {
        snprintf(err, errlen, "test_loops=%d: the model trained is not looped (sharing '%s'); give sharing=loop:P,K,C", loops, c.sharing);
        return NULL;
    }
    if (sh->mor) {   /* its router scores exactly r recursions */
        snprintf(err, errlen, "test_loops=%d with sharing '%s': mor's router chooses among the %d recursions it was trained with; "
                 "leave test_loops out", loops, c.sharing, sh->loops);
        return NULL;
    }
    c.layers = sh->loop_prelude + sh->loop_core * loops + sh->loop_coda;
    char inner[SB_ERR_LEN / 2];
    if (sb_sharing_resolve(&c, &tsh, inner, sizeof inner)) {
        snprintf(err, errlen, "test_loops=%d: %s", loops, inner);
        return NULL;
    }
    sb_model *t = sb_model_create_with(&c, &tsh, B, T, seed, 0, inner, sizeof inner);
    if (t && sb_model_copy_named(m, t, inner, sizeof inner)) {
        sb_model_free(t);
        t = NULL;
    }
    if (!t) snprintf(err, errlen, "test_loops=%d: %s (a looped model's depths must hold nothing of their own: ln_shared=1 with per-depth "
                     "tensors off)", loops, inner);
    return t;
}

/* Analytic FLOPs per token (core/flops.h) at the run's batch and task length:
** training of the model trained (or sampled, the mean over steps with their
** loops drawn, when finite), inference of the model evaluated. */
static void record_flops(sb_run *r, const sb_model *trained, const sb_model *evaluated, int B, int T, double sampled)
{
    sb_flops f;
    char err[SB_ERR_LEN];
    if (isfinite(sampled)) sb_put_metric(r, SB_M_FLOPS_TRAIN_PER_TOKEN, sampled);   /* train_loops=sampled: the steps' mean */
    else if (!sb_flops_per_token(sb_model_config(trained), sb_model_sharing(trained), B, T, &f, err, sizeof err))
        sb_put_metric(r, SB_M_FLOPS_TRAIN_PER_TOKEN, f.train);
    if (!sb_flops_per_token(sb_model_config(evaluated), sb_model_sharing(evaluated), B, T, &f, err, sizeof err))
        sb_put_metric(r, SB_M_FLOPS_INFER_PER_TOKEN, f.forward);
}

/* Mixture-of-Recursions (sharing +mor): the mean recursions per token on the
** test split just evaluated, and the forward FLOPs per token the routing needs
** at those depths (the engine computes every recursion densely, as
** flops_infer_per_token counts); the Universal Transformer's halting (+act):
** the mean steps per token (its ponder time without the remainders), which
** save nothing (halted tokens go on being transformed, as in its authors' code). */
static void record_depth(sb_run *r, const sb_model *m, int B, int T)
{
    double active[SB_MAX_LAYERS], depth = sb_model_mean_depth(m, active), routed;
    char err[SB_ERR_LEN];
    if (!depth) return;
    sb_put_metric(r, SB_M_MEAN_DEPTH, depth);
    if (sb_model_sharing(m)->mor && !sb_flops_routed(sb_model_config(m), sb_model_sharing(m), B, T, active, &routed, err, sizeof err))
        sb_put_metric(r, SB_M_FLOPS_ROUTED_PER_TOKEN, routed);
}

sb_run *sb_runner_execute(const sb_spec *s, FILE *log, int *result, char *err, size_t errlen)
{
    return sb_runner_execute_hooked(s, NULL, log, result, err, errlen);
}

sb_run *sb_runner_execute_hooked(const sb_spec *s, const sb_runner_hooks *h, FILE *log, int *result, char *err,
                                 size_t errlen)
{
    char started[32];
    sb_utc(started, sizeof started);
    double t0 = sb_now();
    sb_task *task = sb_task_open(s->task, s->knobs, (uint64_t)s->data_seed, err, errlen);
    if (!task) return NULL;
    const sb_task_info *info = sb_task_get_info(task);
    sb_config c;
    sb_sharing sh;
    if (model_for_task(s, info, &c, &sh, err, errlen)) { sb_task_close(task); return NULL; }
    int B = s->batch, T = info->length, Tmax = info->long_length > T ? info->long_length : T;
    sb_run *r = sb_run_new();
    data d = { task, info, malloc(sizeof(int) * B * Tmax), malloc(sizeof(int) * B * Tmax), malloc(sizeof(int) * B * Tmax) };
    sb_model *m = NULL, *looped = NULL, *trained = NULL, *ev;
    sb_loops *lp = NULL;                     /* train_loops=sampled */
    double flops_sum = 0, loops_sum = 0;   /* ev: the model evaluated, m or m looped test_loops times */
    sb_adamw opt = { 0 };
    sb_analysis *an = NULL;
    double *quiet = NULL;   /* the uncontended steps' times */
    sb_compress *cs = NULL;
    eval_ctx ec = { &d, s->test_examples, B };
    const char *status = "finished";
    char failure[SB_ERR_LEN] = "", analysis_error[SB_ERR_LEN] = "", aerr[SB_ERR_LEN];
    record_start(r, s, &c, started);
    {
        char knobs[256];
        sb_task_knobs(task, knobs, sizeof knobs);
        sb_run_param(r, "task_knobs", knobs);
        sb_run_param(r, "metric", sb_metric_name(info->metric));
        sb_put_metric(r, SB_M_CHANCE, info->chance);
    }
    if (!d.tok || !d.typ || !d.tgt) { snprintf(failure, sizeof failure, "out of memory for batches"); goto fail; }
    /* the model: from a checkpoint (then resharing, e.g. untie:K), or new */
    sb_config built = c;
    sb_sharing bsh = sh;
    if (s->init_from[0]) sb_checkpoint_config(s->init_from, &built, failure, sizeof failure);
    sb_compress_training_config(s, &built);
    if (!sb_sharing_for(&bsh, &built) && sb_sharing_resolve(&built, &bsh, failure, sizeof failure)) goto fail;
    m = sb_model_create_with(&built, &bsh, B, Tmax, (uint64_t)s->seed, 0, failure, sizeof failure);
    if (!m) goto fail;
    sb_adamw_config oc;
    sb_adamw_config_default(&oc);
    oc.lr = s->lr; oc.weight_decay = s->weight_decay; oc.clip = s->clip; oc.min_lr_ratio = s->min_lr_ratio;
#ifdef SB_PLANT_LR_SCALE
    oc.lr *= SB_PLANT_LR_SCALE;   /* a planted quality regression for the gate's acceptance script (make PLANT=...) */
#endif
    oc.steps = s->steps; oc.warmup = s->warmup >= 0 ? s->warmup : s->steps / 10;
    if (sb_adamw_init(&opt, &oc, sb_model_n_params(m))) { snprintf(failure, sizeof failure, "out of memory for AdamW"); goto fail; }
    if (s->init_from[0]) {
        if (sb_checkpoint_load(s->init_from, m, failure, sizeof failure)) goto fail;
        if (s->init_optim[0] && sb_checkpoint_load_optim(s->init_optim, m, &opt, failure, sizeof failure)) goto fail;
        /* convert=svd: the trained model kept apart; after the merge each depth's correction from its residual
        ** (lowrank), or each group's basis and coefficients from its stacked matrices (basis) */
        if (!strcmp(s->convert, "svd") && (!(trained = sb_model_create_with(&built, &bsh, B, Tmax, (uint64_t)s->seed, 0, failure, sizeof failure)) ||
                                           sb_model_copy_named(m, trained, failure, sizeof failure))) goto fail;
        /* untie_by=grad or heads: untie:K at the depths the loaded model's measurements choose */
        if (strcmp(s->untie_by, "last") ? sb_untie_measured(s, task, T, &m, &opt, B, Tmax, r, log, failure, sizeof failure)
                                        : strcmp(built.sharing, c.sharing) &&
                                          sb_reshare(&m, &opt, c.sharing, B, Tmax, (uint64_t)s->seed, failure, sizeof failure)) goto fail;
        if (trained) {
            double e;
            if (sb_model_sharing(m)->basis ? sb_convert_basis(trained, m, &e, failure, sizeof failure)
                                           : sb_convert_relaxed(trained, m, &e, failure, sizeof failure)) goto fail;
            sb_put_metric(r, SB_M_CONVERT_ERROR, e);
            sb_model_free(trained);
            trained = NULL;
        }
    }
    /* analyses (bench/run/analyze.h): a failure is recorded, the run goes on */
    if (s->analysis && !(an = sb_analysis_new(s, task, aerr, sizeof aerr))) snprintf(analysis_error, sizeof analysis_error, "%s", aerr);
    /* training */
    int eval_every = s->eval_every > 0 ? s->eval_every : (s->steps >= 10 ? s->steps / 10 : 1);
    int log_every = s->steps >= 100 ? s->steps / 100 : 1;
    int merge_at = s->merge_at >= 0 ? s->merge_at : s->steps / 2;   /* with merge_on=plateau, the latest */
    int plateau = !strcmp(s->merge_on, "plateau");
    sb_plateau pl;
    sb_plateau_init(&pl, s->merge_patience, s->merge_min_delta);
    long start = (long)(s->seed * 2654435761u % (unsigned)info->split_size[SB_SPLIT_TRAIN]);
    if (!(cs = sb_compress_new(s, &c, &sh, m, task, r, log, B, Tmax, start, eval_split, &ec, failure, sizeof failure))) goto fail;
    if (!strcmp(s->train_loops, "sampled") && !(lp = sb_loops_new(m, B, Tmax, (uint64_t)s->seed, failure, sizeof failure))) goto fail;
    double train_time = 0, loss = NAN;
    /* contention (sys/contention.h): each step's signals; the clean steps' times after the warm-up */
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN), quiet_from = s->steps > 10 ? 5 : 0, rq_max = -1, ncontended = 0, nquiet = 0;
    double cpu_steps = 0;
    quiet = malloc(sizeof *quiet * (size_t)(s->steps + 1));
    sb_cpu_moment m0, m1;
    if (!quiet) { snprintf(failure, sizeof failure, "out of memory for step times"); goto fail; }
    sb_cpu_moment_now(&m0);
    int step;
    for (step = 0; step < s->steps; step++) {
        if (sb_model_sharing(m)->progressive && step == merge_at) {
            char target[SB_SPEC_LEN];
            snprintf(target, sizeof target, "%s", sb_model_sharing(m)->target);
            if (sb_reshare(&m, &opt, target, B, Tmax, (uint64_t)s->seed, failure, sizeof failure)) goto fail;
            if (sb_compress_reshared(cs, m, failure, sizeof failure)) goto fail;
            sb_put_metric(r, SB_M_MERGED_AT_STEP, step);
        }
        if (an && sb_analysis_grad_due(an, step) && sb_analysis_gradients(an, r, m, step, aerr, sizeof aerr) &&
            !analysis_error[0])
            snprintf(analysis_error, sizeof analysis_error, "%s", aerr);
        if (sb_task_examples(task, SB_SPLIT_TRAIN, start + (long)step * B, B, d.tok, d.typ, d.tgt)) {
            snprintf(failure, sizeof failure, "%s", sb_task_error(task));
            goto fail;
        }
        int rq0 = sb_run_queue();
        double cpu = sb_cpu_time(), t = sb_now(), gnorm;
        sb_model *sm = m;   /* the step's model: m, or m looped as many times as drawn */
        if (lp) {
            int loops;
            sb_flops f;
            if (!(sm = sb_loops_step(lp, &loops, failure, sizeof failure))) goto fail;
            if (!sb_flops_per_token(sb_model_config(sm), sb_model_sharing(sm), B, T, &f, failure, sizeof failure)) flops_sum += f.train;
            loops_sum += loops;
        }
        /* data-parallel training (run --dp) refuses distillation and pruning, the compression step's work */
        loss = h && h->train_step ? h->train_step(h->ctx, sm, &opt, d.tok, d.typ, d.tgt, B, T, &gnorm)
                                  : sb_compress_step(cs, sm, &opt, d.tok, d.typ, d.tgt, step, &gnorm);
        if (lp) sb_loops_done(lp, sm);
#ifdef SB_PLANT_SLOW_STEP
        /* a planted slowdown for the gate's acceptance script (make PLANT=...): busy, as real work is */
        double done = sb_now();
        for (double end = done + (done - t) * (SB_PLANT_SLOW_STEP); sb_now() < end;) {}
#endif
        t = sb_now() - t;
        cpu = sb_cpu_time() - cpu;
        int rq1 = sb_run_queue();
        train_time += t;
        cpu_steps += cpu;
        rq_max = rq0 > rq_max ? rq0 : rq_max;
        rq_max = rq1 > rq_max ? rq1 : rq_max;
        sb_put_point(r, SB_S_STEP_MS, step, -1, -1, 1e3 * t);
        if (sb_contended(rq0, rq1, cores, cpu / t)) {
            ncontended++;
            sb_put_point(r, SB_S_STEP_CONTENDED, step, -1, -1, cpu / t);
        } else if (step >= quiet_from) {
            quiet[nquiet++] = 1e3 * t;
        }
        if (!isfinite(loss)) {
            status = "diverged";
            put_num(r, "diverged_step", step);
            if (log) fprintf(log, "  diverged at step %d (non-finite loss or gradient)\n", step);
            break;
        }
        if (step % log_every == 0 || step == s->steps - 1) {
            sb_put_point(r, SB_S_TRAIN_LOSS, step, -1, -1, loss);
            sb_put_point(r, SB_S_GRAD_NORM, step, -1, -1, gnorm);
            sb_put_point(r, SB_S_LR, step, -1, -1, sb_adamw_lr(&oc, step));
        }
        if ((step + 1) % eval_every == 0 || step == s->steps - 1) {
            sb_score sc;
            double vloss;
            if (evaluate(m, &d, SB_SPLIT_VALID, s->eval_examples, B, &sc, &vloss)) { snprintf(failure, sizeof failure, "%s", sb_task_error(task)); goto fail; }
            sb_put_point(r, SB_S_VALID_LOSS, step + 1, -1, -1, vloss);
            /* merge_on=plateau: merge at the next step once the validation loss has stopped falling */
            if (plateau && sb_model_sharing(m)->progressive && sb_plateau_update(&pl, vloss) && step + 1 < merge_at) merge_at = step + 1;
            sb_put_point(r, SB_S_VALID_METRIC, step + 1, -1, -1, sb_score_value(&sc, info->metric));
            if (log) fprintf(log, "  step %d/%d  loss %.4f  valid %s %.4f\n", step + 1, s->steps, loss,
                             sb_metric_name(info->metric), sb_score_value(&sc, info->metric));
        }
    }
    sb_cpu_moment_now(&m1);
    sb_put_metric(r, SB_M_STEPS_DONE, step);
    if (lp && step) sb_put_metric(r, SB_M_TRAIN_LOOPS_MEAN, loops_sum / step);
    if (step > 0) {
        sb_cpu_span span;
        sb_cpu_span_of(&m0, &m1, &span);
        int measured = step - quiet_from, contended = measured <= 0 || 2 * nquiet <= measured;
        sb_put_metric(r, SB_M_CPU_SECONDS, cpu_steps);
        sb_put_metric(r, SB_M_CPU_SHARE, cpu_steps / (train_time * omp_get_max_threads()));
        if (isfinite(span.other_cores)) sb_put_metric(r, SB_M_OTHER_CPU_CORES, span.other_cores);
        if (isfinite(span.steal_fraction)) sb_put_metric(r, SB_M_STEAL_FRACTION, span.steal_fraction);
        if (rq_max >= 0) sb_put_metric(r, SB_M_RUN_QUEUE_MAX, rq_max);
        sb_put_metric(r, SB_M_CONTENDED_STEPS, ncontended);
        sb_put_metric(r, SB_M_CONTENDED, contended);
        if (!contended) sb_put_metric(r, SB_M_TRAIN_STEP_MS_QUIET, sb_stats_median(quiet, nquiet));
    }
    if (h && h->trained && h->trained(h->ctx, m, step, r, failure, sizeof failure)) goto fail;
    if (step > 0) {
        sb_put_metric(r, SB_M_TRAIN_LOSS_FINAL, loss);
        sb_put_metric(r, SB_M_TRAIN_SECONDS, train_time);
        sb_put_metric(r, SB_M_TRAIN_TOKENS_PER_S, (double)step * B * T / train_time);
        sb_put_metric(r, SB_M_TRAIN_STEP_MS, 1e3 * train_time / step);
    }
    if (!strcmp(status, "finished") && sb_compress_finish(cs, &m, &opt, step, failure, sizeof failure)) goto fail;
    ev = m;
    if (!strcmp(status, "finished") && s->test_loops && s->test_loops != sb_model_sharing(m)->loops) {
        if (!(looped = looped_again(m, s->test_loops, B, Tmax, (uint64_t)s->seed, failure, sizeof failure))) goto fail;
        ev = looped;
    }
    if (!strcmp(status, "finished")) {
        /* per split: the headline metric, its standard error, the loss, the score under every metric */
        static const struct {
            int split;
            sb_metric_id value, stderr_, loss, by_metric;
        } splits[] = {
            { SB_SPLIT_VALID, SB_M_VALID, SB_M_VALID_STDERR, SB_M_VALID_LOSS, SB_M_VALID_BY_METRIC },
            { SB_SPLIT_TEST, SB_M_TEST, SB_M_TEST_STDERR, SB_M_TEST_LOSS, SB_M_TEST_BY_METRIC },
            { SB_SPLIT_TEST_LONG, SB_M_TEST_LONG, SB_M_TEST_LONG_STDERR, SB_M_TEST_LONG_LOSS, SB_M_TEST_LONG_BY_METRIC },
        };
        double test_value = NAN;
        for (int i = 0; i < 3; i++) {
            if (splits[i].split == SB_SPLIT_TEST_LONG && !info->long_length) continue;
            sb_score sc;
            double l;
            sb_model_depth_reset(ev);
            if (evaluate(ev, &d, splits[i].split, s->test_examples, B, &sc, &l)) { snprintf(failure, sizeof failure, "%s", sb_task_error(task)); goto fail; }
            if (splits[i].split == SB_SPLIT_TEST) record_depth(r, ev, B, T);
            sb_put_metric(r, splits[i].value, sb_score_value(&sc, info->metric));
            if (splits[i].split == SB_SPLIT_TEST) test_value = sb_score_value(&sc, info->metric);
            sb_put_metric(r, splits[i].stderr_, sb_score_stderr(&sc, info->metric));
            sb_put_metric(r, splits[i].loss, l);
            for (int k = 0; k < SB_METRIC_COUNT; k++) {
                double v = sb_score_value(&sc, k);
                if (isfinite(v)) sb_put_metric_of(r, splits[i].by_metric, sb_metric_name(k), v);
            }
        }
        if (an) {
            if (sb_analysis_grad_due(an, step) && sb_analysis_gradients(an, r, m, step, aerr, sizeof aerr) && !analysis_error[0])
                snprintf(analysis_error, sizeof analysis_error, "%s", aerr);
            if (sb_analysis_final(an, r, m, step, aerr, sizeof aerr) && !analysis_error[0])
                snprintf(analysis_error, sizeof analysis_error, "%s", aerr);
        }
        if (analysis_error[0]) {
            sb_run_param(r, "analysis_error", analysis_error);
            if (log) fprintf(log, "  analysis: %s\n", analysis_error);
        }
        measure_inference(r, ev, &d, B);
        if (sb_compress_record(cs, m, &opt, s->save, test_value, failure, sizeof failure)) goto fail;
    }
    sb_memory mem;
    sb_model_memory(m, &mem);
    sb_put_metric(r, SB_M_PARAMS_UNIQUE, (double)sb_model_n_params(m));
    sb_put_metric(r, SB_M_PARAMS_EVERY_DEPTH, (double)mem.total_params);
    record_flops(r, m, looped ? looped : m, B, T, lp && step ? flops_sum / step : NAN);
    sb_put_metric(r, SB_M_BYTES_PARAMS, (double)mem.params);
    sb_put_metric(r, SB_M_BYTES_GRADS, (double)mem.grads);
    sb_put_metric(r, SB_M_BYTES_OPTIM, (double)mem.optim);
    sb_put_metric(r, SB_M_BYTES_ACTS, (double)mem.acts);
    sb_put_metric(r, SB_M_BYTES_SCRATCH, (double)mem.scratch);
    sb_put_metric(r, SB_M_PEAK_RSS_BYTES, (double)sb_peak_rss());
    sb_put_metric(r, SB_M_CALIB_GFLOPS, sb_gemm_gflops());
    record_end(r, status, NULL, t0);
    *result = strcmp(status, "finished") ? SB_RUN_DIVERGED : SB_RUN_FINISHED;
    goto done;
fail:
    record_end(r, "failed", failure, t0);
    *result = SB_RUN_FAILED;
    if (log) fprintf(log, "  failed: %s\n", failure);
done:
    free(quiet);
    sb_analysis_free(an);
    sb_compress_free(cs);
    sb_adamw_free(&opt);
    sb_loops_free(lp);
    sb_model_free(looped);
    sb_model_free(trained);
    sb_model_free(m);
    free(d.tok); free(d.typ); free(d.tgt);
    sb_task_close(task);
    return r;
}
