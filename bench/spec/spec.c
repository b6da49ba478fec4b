/*
** spec.c: run specifications: defaults, setting keys from text, the cell hash.
** Training keys are described by one table (like engine/core/config.c's fields) so
** parsing, printing and hashing agree.
*/
#include "spec.h"
#include "core/rng.h"
#include "core/sharing.h"
#include "sys/textfile.h"
#include "core/suggest.h"
#include "task.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <errno.h>
#include <math.h>

enum { K_INT, K_FLOAT, K_STR };

typedef struct {
    const char *key;
    int type;
    size_t off, size;
    double lo, hi;
    int in_cell;        /* changes the results */
    const char *help;
    const char *later;  /* keys added after runs were first recorded: the default's text, else NULL */
    const char *const *names;   /* K_STR keys that take one of these words, else NULL */
} tkey;

static const char *const factor_init_names[] = { "train", "svd", "als", NULL };
static const char *const prune_names[] = { "none", "l1", "magnitude", "gradual", "movement", NULL };
static const char *const quant_names[] = { "none", "int8", NULL };
static const char *const quant_act_names[] = { "block", "depth", "dynamic", NULL };
static const char *const pgd_ball_names[] = { "example", "position", NULL };
static const char *const convert_names[] = { "none", "svd", NULL };
static const char *const train_loops_names[] = { "fixed", "sampled", NULL };
static const char *const merge_on_names[] = { "step", "plateau", NULL };
static const char *const untie_by_names[] = { "last", "grad", "heads", NULL };

#define KI(k, lo, hi, help) { #k, K_INT, offsetof(sb_spec, k), 0, lo, hi, 1, help, NULL, NULL }
#define KX(k, lo, hi, help) { #k, K_INT, offsetof(sb_spec, k), 0, lo, hi, 0, help, NULL, NULL }
#define KF(k, lo, hi, help) { #k, K_FLOAT, offsetof(sb_spec, k), 0, lo, hi, 1, help, NULL, NULL }
#define KS(k, cell, help) { #k, K_STR, offsetof(sb_spec, k), sizeof(((sb_spec *)0)->k), 0, 0, cell, help, NULL, NULL }
/* keys added later, with the default's text; LW: one of the words names */
#define LI(k, lo, hi, help, def) { #k, K_INT, offsetof(sb_spec, k), 0, lo, hi, 1, help, def, NULL }
#define LF(k, lo, hi, help, def) { #k, K_FLOAT, offsetof(sb_spec, k), 0, lo, hi, 1, help, def, NULL }
#define LS(k, help, def) { #k, K_STR, offsetof(sb_spec, k), sizeof(((sb_spec *)0)->k), 0, 0, 1, help, def, NULL }
#define LW(k, names, help, def) { #k, K_STR, offsetof(sb_spec, k), sizeof(((sb_spec *)0)->k), 0, 0, 1, help, def, names }
/* an analysis key (not in the cell) added later, one of the words names */
#define LA(k, names, help, def) { #k, K_STR, offsetof(sb_spec, k), sizeof(((sb_spec *)0)->k), 0, 0, 0, help, def, names }
static const tkey tkeys[] = {
    KS(task, 1, "task name (sharebench tasks), or NAME:KNOBS"),
    KS(knobs, 1, "task knobs, e.g. len=12"),
    KI(steps, 0, 10000000, "training steps"),
    KI(batch, 1, 65536, "sequences per step"),
    KF(lr, 0, 10, "peak learning rate"),
    KI(warmup, -1, 10000000, "warmup steps (-1: 10% of steps)"),
    KF(weight_decay, 0, 10, "AdamW decoupled weight decay"),
    KF(clip, 0, 1e9, "gradient norm clip (0: none)"),
    KF(min_lr_ratio, 0, 1, "final learning rate / peak"),
    KI(eval_every, 0, 10000000, "validation every N steps (0: 10 times a run)"),
    KI(eval_examples, 1, 10000000, "validation examples per evaluation"),
    KI(test_examples, 1, 10000000, "test and test_long examples"),
    KI(merge_at, -1, 10000000, "progressive: merge at this step (-1: half way)"),
    KI(seed, 0, 2000000000, "initialisation and data-order seed"),
    KI(data_seed, 0, 2000000000, "seed of the task's data"),
    KX(threads, 0, 4096, "threads (0: all cores, shared among jobs)"),
    KS(init_from, 1, "checkpoint to start from"),
    KS(save, 0, "save the trained model's weights to this file (safetensors)"),
    KS(save_optim, 0, "save its AdamW moments and step to this file, apart from the weights"),
    KS(sweep, 0, "the sweep the run belongs to"),
    KX(analysis, 0, 1, "run the analyses (gradient noise, heads, CKA, attacks)"),
    KX(grad_samples, 0, 100000, "sequences per gradient-noise measurement"),
    KX(grad_points, 0, 1000, "gradient-noise measurements, from start to end (0: none)"),
    KX(attn_examples, 0, 100000, "test examples for head diversity and importance (0: none)"),
    KX(cka_examples, 0, 100000, "test examples for CKA between layers (0: none)"),
    KX(attack_examples, 0, 100000, "test examples attacked by PGD, HotFlip, random substitution (0: none)"),
    KS(pgd_eps, 0, "PGD budgets per attacked position as fractions of the mean token-embedding norm, e.g. 0,0.1,0.5"),
    KX(pgd_steps, 0, 1000, "PGD steps"),
    LA(pgd_ball, pgd_ball_names, "PGD's ball: example (FreeLB's, the norm over the whole example) or position (one per position)", "example"),
    KX(hotflip_budget, 0, 1000, "HotFlip: most tokens changed per example (0: no HotFlip)"),
    KS(randsub_rates, 0, "random substitution rates, e.g. 0.05,0.1"),
    LW(factor_init, factor_init_names, "factor:R from the start (train), or the trained dense model's truncated SVD or ALS", "train"),
    LI(als_iters, 1, 10000, "ALS sweeps (factor_init=als)", "20"),
    LW(prune, prune_names, "how to sparsify the block matrices: an L1 penalty, once by magnitude, gradually, by movement", "none"),
    LF(sparsity, 0, 0.999, "target sparsity of each block matrix (magnitude, gradual, movement)", "0.5"),
    LF(prune_start, 0, 1, "gradual, movement: the schedule starts at this fraction of the steps", "0.25"),
    LF(prune_end, 0, 1, "gradual, movement: and reaches the target at this fraction", "0.75"),
    LI(prune_every, 1, 10000000, "gradual, movement: steps between mask updates", "10"),
    LF(l1, 0, 10, "prune=l1: the L1 coefficient lambda", "0.0001"),
    LF(l1_threshold, 0, 10, "prune=l1: weights with |w| below this are zeroed after training", "0.005"),
    LI(finetune_steps, 0, 10000000, "steps of training after one-shot pruning, thresholding or SVD/ALS, masks kept", "0"),
    LW(quant, quant_names, "post-training quantisation: none, int8", "none"),
    LW(quant_act, quant_act_names, "int8 activation scales: block (calibrated once per unique block), depth, dynamic", "block"),
    LI(quant_batches, 1, 100000, "int8: calibration batches (from the training split)", "4"),
    LS(teacher, "distil from: none, a checkpoint, or train:SHARING (a teacher trained first, e.g. train:none)", "none"),
    LF(distill_temp, 0.01, 100, "distillation temperature T", "2"),
    LF(distill_alpha, 0, 1, "weight of the distillation term (1 - alpha on the task loss)", "0.5"),
    LS(init_optim, "AdamW moments and step to start from (a save_optim file of init_from's model)", ""),
    LW(convert, convert_names, "with init_from and sharing=...+lowrank:R: each depth's correction from the truncated SVD of its trained "
       "matrix less the shared block (Relaxed Recursive Transformers); +basis:R: each group's basis from one SVD of its layers' "
       "matrices (Basis Sharing); none: from the seed", "none"),
    LW(train_loops, train_loops_names, "a looped model's loops in training: fixed, or sampled every step around its own (Geiping et al.)",
       "fixed"),
    LI(test_loops, 0, SB_MAX_LAYERS, "a looped model (sharing=loop:P,K,C): its core looped this many times at evaluation (0: as trained)",
       "0"),
    LW(merge_on, merge_on_names, "progressive: merge at merge_at (step), or once the validation loss has plateaued (plateau: "
       "merge_patience validations without a new best), at the latest at merge_at", "step"),
    LI(merge_patience, 1, 1000, "merge_on=plateau: validations in a row without a new best validation loss before the merge", "2"),
    LF(merge_min_delta, 0, 1000, "merge_on=plateau: a new best is lower than the best so far by more than this (nats)", "0"),
    LW(untie_by, untie_by_names, "with init_from and sharing=...+untie:K: the K depths untied are the last (last), those of the largest "
       "relative gradient norm (grad: Lee et al. 2023) or summed head importance (heads: Michel et al. 2019) on untie_samples "
       "training sequences of the shared model", "last"),
    LI(untie_samples, 2, 100000, "untie_by=grad or heads: the first training sequences the depths are chosen on", "16"),
    LS(speed_of, "set by sweep --speed-pass: this short run times the configuration of that cell (16 hex digits)", ""),
};
#undef KI
#undef KX
#undef KF
#undef KS
#undef LI
#undef LF
#undef LS
#undef LW
#undef LA
#define NT (sizeof tkeys / sizeof tkeys[0])

static const tkey *find(const char *key)
{
    for (size_t i = 0; i < NT; i++)
        if (!strcmp(tkeys[i].key, key)) return &tkeys[i];
    return NULL;
}

static int model_index(const char *key);

const char *const *sb_spec_train_keys(void)
{
    static const char *keys[NT + 2];
    keys[0] = "preset";
    for (size_t i = 0; i < NT; i++) keys[i + 1] = tkeys[i].key;
    keys[NT + 1] = NULL;
    return keys;
}

int sb_spec_key_is_number(const char *key)
{
    const tkey *t = find(key);
    if (t) return t->type != K_STR;
    sb_key_info k;
    int i = model_index(key);
    return i >= 0 && !sb_config_key_info(i, &k) && strcmp(k.type, "word") && strcmp(k.type, "text");
}

int sb_spec_key_info(int i, sb_key_info *k)
{
    if (i == 0) {
        const char *const *p = sb_config_presets();
        *k = (sb_key_info){ .key = "preset", .type = "word", .help = "the model to start from, before any model key" };
        for (int j = 0, w = 0; p[j] && w < (int)sizeof k->range; j++)
            w += snprintf(k->range + w, sizeof k->range - (size_t)w, "%s%s", j ? ", " : "", p[j]);
        return 0;
    }
    if (i < 0 || (size_t)i > NT) return -1;
    const tkey *t = &tkeys[i - 1];
    k->key = t->key;
    k->help = t->help;
    k->range[0] = 0;
    k->type = t->type == K_INT ? "integer" : t->type == K_FLOAT ? "number" : t->names ? "word" : "text";
    if (t->type == K_INT) snprintf(k->range, sizeof k->range, "%.0f to %.0f", t->lo, t->hi);
    else if (t->type == K_FLOAT) snprintf(k->range, sizeof k->range, "%g to %g", t->lo, t->hi);
    else if (t->names)
        for (int j = 0, w = 0; t->names[j] && w < (int)sizeof k->range; j++)
            w += snprintf(k->range + w, sizeof k->range - (size_t)w, "%s%s", j ? ", " : "", t->names[j]);
    return 0;
}

void sb_spec_default(sb_spec *s)
{
    memset(s, 0, sizeof *s);
    sb_config_default(&s->model);
    strcpy(s->preset, "small");
    s->steps = 300; s->batch = 16; s->lr = 1e-3f; s->warmup = -1; s->weight_decay = 0.01f;
    s->clip = 1.0f; s->min_lr_ratio = 0.1f; s->eval_every = 0; s->eval_examples = 256;
    s->test_examples = 1000; s->merge_at = -1; s->seed = 1; s->data_seed = 1; s->threads = 0;
    s->analysis = 1; s->grad_samples = 16; s->grad_points = 3; s->attn_examples = 64; s->cka_examples = 64;
    s->attack_examples = 32; s->pgd_steps = 2; s->hotflip_budget = 3;
    strcpy(s->pgd_eps, "0.01,0.03,0.1");
    strcpy(s->randsub_rates, "0.05,0.1,0.2");
    /* the later keys from their defaults' text, so the table is the one place they are written */
    for (size_t i = 0; i < NT; i++)
        if (tkeys[i].later) {
            char err[SB_ERR_LEN];
            sb_spec_set(s, tkeys[i].key, tkeys[i].later, err, sizeof err);
        }
}

int sb_spec_key_default(const char *key, const char *value)
{
    for (size_t i = 0; i < NT; i++)
        if (!strcmp(tkeys[i].key, key)) return tkeys[i].later && !strcmp(tkeys[i].later, value);
    return sb_config_key_default(key, value);
}

static int model_index(const char *key)
{
    int i = 0;
    for (const char *const *k = sb_config_keys(); *k; k++, i++)
        if (!strcmp(*k, key)) return i;
    return -1;
}

int sb_spec_model_set(const sb_spec *s, const char *key)
{
    int i = model_index(key);
    return i >= 0 && (s->model_set[i / 32] >> (i % 32) & 1);
}

int sb_spec_set(sb_spec *s, const char *key, const char *value, char *err, size_t errlen)
{
    /* every value is stored and exported (JSON, HTML): UTF-8 only */
    long bad = sb_utf8_invalid(value, strlen(value));
    if (bad >= 0) {
        snprintf(err, errlen, "%s: byte 0x%02X at position %ld of the value is not UTF-8 text", key, (unsigned char)value[bad], bad + 1);
        return -1;
    }
    if (!strcmp(key, "preset")) {
        sb_config c;
        if (sb_config_preset(&c, value, err, errlen)) return -1;
        s->model = c;
        s->model_set[0] = s->model_set[1] = 0;
        snprintf(s->preset, sizeof s->preset, "%s", value);
        return 0;
    }
    const tkey *k = find(key);
    if (!k) {
        int i = model_index(key);
        if (i < 0) {
            /* the closest of both tables: a typo can be either kind of key */
            const char *all[NT + 2 + 64];
            size_t n = 0;
            for (const char *const *t = sb_spec_train_keys(); *t; t++) all[n++] = *t;
            for (const char *const *t = sb_config_keys(); *t && n + 1 < sizeof all / sizeof all[0]; t++) all[n++] = *t;
            all[n] = NULL;
            char hint[96];
            sb_suggest_text(key, all, hint, sizeof hint);
            snprintf(err, errlen, "unknown key '%s'%s; 'sharebench keys' lists every run and model key", key, hint);
            return -1;
        }
        if (sb_config_set(&s->model, key, value, err, errlen)) return -1;
        s->model_set[i / 32] |= 1u << (i % 32);
        return 0;
    }
    void *p = (char *)s + k->off;
    char *end;
    errno = 0;
    const char *colon = strchr(value, ':');
    if (!strcmp(key, "task") && colon) {   /* "copy:len=8": a task with its knobs, as suites list them */
        if ((size_t)(colon - value) >= sizeof s->task || strlen(colon + 1) >= sizeof s->knobs) {
            snprintf(err, errlen, "task='%.40s': name or knobs too long", value);
            return -1;
        }
        snprintf(s->task, sizeof s->task, "%.*s", (int)(colon - value), value);
        snprintf(s->knobs, sizeof s->knobs, "%s", colon + 1);
        return 0;
    }
    if (k->names) {
        for (int i = 0; k->names[i]; i++)
            if (!strcmp(k->names[i], value)) { snprintf((char *)p, k->size, "%s", value); return 0; }
        size_t w = (size_t)snprintf(err, errlen, "%s='%s': expected one of", key, value);
        for (int i = 0; k->names[i] && w < errlen; i++) w += snprintf(err + w, errlen - w, " %s", k->names[i]);
        return -1;
    }
    if (k->type == K_STR) {
        if (strlen(value) >= k->size) {
            snprintf(err, errlen, "%s='%.40s...': longer than %zu characters", key, value, k->size - 1);
            return -1;
        }
        snprintf((char *)p, k->size, "%s", value);
        return 0;
    }
    double v = k->type == K_INT ? (double)strtol(value, &end, 10) : strtod(value, &end);
    if (!*value || *end || errno || !isfinite(v) || v < k->lo || v > k->hi) {
        snprintf(err, errlen, "%s='%s': expected a %s from %g to %g (%s)", key, value,
                 k->type == K_INT ? "whole number" : "number", k->lo, k->hi, k->help);
        return -1;
    }
    if (k->type == K_INT) *(int *)p = (int)v;
    else *(float *)p = (float)v;
    return 0;
}

int sb_spec_get(const sb_spec *s, const char *key, char *out, size_t len)
{
    if (!strcmp(key, "preset")) { snprintf(out, len, "%s", s->preset); return 0; }
    const tkey *k = find(key);
    if (!k) return sb_config_get(&s->model, key, out, len);
    const void *p = (const char *)s + k->off;
    if (k->type == K_STR) snprintf(out, len, "%s", (const char *)p);
    else if (k->type == K_INT) snprintf(out, len, "%d", *(const int *)p);
    else sb_format_float(out, len, *(const float *)p);
    return 0;
}

/* An unknown task refused here, before any work, with "did you mean" (the
** suites' own message has no suggestion: the suites library sees nothing
** above it, and the suggester is the engine's). 0 when the suites know it. */
static int unknown_task(const char *task, char *err, size_t errlen)
{
    const char *const *names = sb_task_names();
    char list[512] = "", hint[96];
    size_t used = 0;
    for (int i = 0; names[i]; i++) {
        if (!strcmp(names[i], task)) return 0;
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
        if (w > 0 && (size_t)w < sizeof list - used) used += (size_t)w;
    }
    snprintf(err, errlen, "unknown task '%s'%s (tasks: %s)", task, sb_suggest_text(task, names, hint, sizeof hint), list);
    return -1;
}

/* What gives a looped model's depths tensors of their own (so it cannot run at
** another number of loops: test_loops, train_loops=sampled), or NULL. */
static const char *depth_own(const sb_config *c, const sb_sharing *sh)
{
    return !c->ln_shared ? "ln_shared=0 (LayerNorms per depth)" : c->layerscale ? "layerscale=1" : c->layer_pos_bias ? "layer_pos_bias=1"
         : sh->lowrank ? "lowrank" : sh->hyper ? "hyper" : sh->basis ? "basis" : NULL;
}

/* untie_by=grad or heads: a fine-tuning run (init_from) whose sharing has an untie:K that can be applied at chosen
** depths, with K depths sharing a block to choose from. 0, or -1 with a message naming the key. */
static int untie_check(const sb_spec *s, char *err, size_t errlen)
{
    sb_config base = s->model;
    sb_sharing sh;
    char inner[SB_ERR_LEN];
    int k, shared[SB_MAX_LAYERS], nshared;
    if (!s->init_from[0]) {
        snprintf(err, errlen, "untie_by=%s chooses the depths to untie from the trained model at the untie point: give it with "
                 "init_from (--init-from)", s->untie_by);
        return -1;
    }
    const char *with = strcmp(s->prune, "none") ? "prune" : strcmp(s->quant, "none") ? "quant" : strcmp(s->teacher, "none") ? "teacher"
                     : strcmp(s->factor_init, "train") ? "factor_init" : strcmp(s->convert, "none") ? "convert" : NULL;
    if (with) {
        snprintf(err, errlen, "untie_by=%s with %s: compression and conversion rebuild the model from the run's sharing, not from the "
                 "depths chosen; untie first, then compress the saved checkpoint", s->untie_by, with);
        return -1;
    }
    if (sb_sharing_untie_base(&s->model, base.sharing, sizeof base.sharing, &k, inner, sizeof inner) ||
        sb_sharing_resolve(&base, &sh, inner, sizeof inner)) {
        snprintf(err, errlen, "untie_by=%s: %s", s->untie_by, inner);
        return -1;
    }
    if (k > (nshared = sb_sharing_shared_depths(&sh, shared))) {
        snprintf(err, errlen, "untie_by=%s: sharing='%s' unties %d depths, but only %d share a block in '%s'", s->untie_by,
                 s->model.sharing, k, nshared, base.sharing);
        return -1;
    }
    return 0;
}

int sb_spec_validate(const sb_spec *s, char *err, size_t errlen)
{
    sb_sharing sh;
    if (!s->task[0]) { snprintf(err, errlen, "no task given (task=NAME; 'sharebench tasks' lists them)"); return -1; }
    if (unknown_task(s->task, err, errlen)) return -1;
    if (sb_sharing_resolve(&s->model, &sh, err, errlen)) return -1;
    if (s->speed_of[0] && strspn(s->speed_of, "0123456789abcdef") != 16) {
        snprintf(err, errlen, "speed_of='%s': expected a cell (16 hexadecimal digits), as sweep --speed-pass sets it", s->speed_of);
        return -1;
    }
    /* the compression keys together */
    int post_factor = strcmp(s->factor_init, "train") != 0, scheduled = !strcmp(s->prune, "gradual") || !strcmp(s->prune, "movement");
    if (post_factor && !s->model.factor) {
        snprintf(err, errlen, "factor_init=%s factorises the trained model to rank factor=R, but factor=0; give factor=R", s->factor_init);
        return -1;
    }
    if (scheduled && !(s->prune_start < s->prune_end)) {
        snprintf(err, errlen, "prune=%s: prune_start=%g must be below prune_end=%g (fractions of the training steps)", s->prune,
                 s->prune_start, s->prune_end);
        return -1;
    }
    if (s->finetune_steps && !post_factor && strcmp(s->prune, "magnitude") && strcmp(s->prune, "l1")) {
        snprintf(err, errlen, "finetune_steps=%d: fine-tuning follows a post-training step (prune=magnitude or l1, factor_init=svd "
                 "or als), and this run has none; train longer with steps instead", s->finetune_steps);
        return -1;
    }
    if (!strncmp(s->teacher, "train:", 6)) {
        sb_config t = s->model;
        sb_sharing tsh;   /* the teacher's: sh stays the student's for the checks below */
        char inner[SB_ERR_LEN];
        if (strlen(s->teacher + 6) >= sizeof t.sharing) { snprintf(err, errlen, "teacher='%.40s...': too long", s->teacher); return -1; }
        snprintf(t.sharing, sizeof t.sharing, "%s", s->teacher + 6);
        t.sharing_attn[0] = t.sharing_ffn[0] = 0;
        t.factor = 0;
        if (sb_sharing_resolve(&t, &tsh, inner, sizeof inner)) {
            snprintf(err, errlen, "teacher='%s': the teacher's sharing does not fit the model: %s", s->teacher, inner);
            return -1;
        }
    } else if (!s->teacher[0]) {
        snprintf(err, errlen, "teacher='': expected none, a checkpoint, or train:SHARING");
        return -1;
    }
    if (s->test_loops && !s->init_from[0]) {
        int l = sh.loop_prelude + sh.loop_core * s->test_loops + sh.loop_coda;
        if (!sh.loops) {
            snprintf(err, errlen, "test_loops=%d: only a looped model (sharing=loop:P,K,C) can loop another number of times; sharing is "
                     "'%s'", s->test_loops, s->model.sharing);
            return -1;
        }
        if (sh.mor && s->test_loops != sh.loops) {   /* mor's router scores exactly r recursions */
            snprintf(err, errlen, "test_loops=%d with sharing '%s': mor's router chooses among the %d recursions it is trained with; "
                     "leave test_loops out", s->test_loops, s->model.sharing, sh.loops);
            return -1;
        }
        const char *own = depth_own(&s->model, &sh);
        if (own && s->test_loops != sh.loops) {
            snprintf(err, errlen, "test_loops=%d: with %s the depths hold tensors of their own, which a model looped another number "
                     "of times has not; set ln_shared=1 and leave per-depth tensors off", s->test_loops, own);
            return -1;
        }
        if (l > SB_MAX_LAYERS) {
            snprintf(err, errlen, "test_loops=%d: %d + %d x %d + %d = %d depths, more than the %d a model may have", s->test_loops,
                     sh.loop_prelude, sh.loop_core, s->test_loops, sh.loop_coda, l, SB_MAX_LAYERS);
            return -1;
        }
    }
    if (!strcmp(s->convert, "svd") && (!s->init_from[0] || !(sh.lowrank || sh.basis))) {
        snprintf(err, errlen, "convert=svd initialises the low-rank corrections of a shared model from a trained one: it needs %s",
                 !s->init_from[0] ? "the trained model, init_from=CHECKPOINT (--init-from)"
                                  : "sharing with +lowrank:R or +basis:R (for example all+lowrank:8)");
        return -1;
    }
    if (!strcmp(s->merge_on, "plateau") && !sh.progressive) {
        snprintf(err, errlen, "merge_on=plateau triggers progressive sharing's merge; sharing '%s' is not progressive (give "
                 "sharing=progressive:TARGET)", s->model.sharing);
        return -1;
    }
    if (!strcmp(s->train_loops, "sampled") && sh.mor) {
        snprintf(err, errlen, "train_loops=sampled with sharing '%s': mor's router chooses among a fixed r recursions; use "
                 "train_loops=fixed", s->model.sharing);
        return -1;
    }
    if (!strcmp(s->train_loops, "sampled")) {
        const char *with = !sh.loops ? NULL : strcmp(s->prune, "none") ? "prune" : strcmp(s->teacher, "none") ? "teacher"
                         : strcmp(s->quant, "none") ? "quant" : strcmp(s->factor_init, "train") ? "factor_init" : "";
        if (!with && !s->init_from[0]) {
            snprintf(err, errlen, "train_loops=sampled draws a looped model's loops every step; sharing '%s' is not looped (give "
                     "sharing=loop:P,K,C)", s->model.sharing);
            return -1;
        }
        if (with && *with) {
            snprintf(err, errlen, "train_loops=sampled with %s: compression works on the model of fixed depth; train with fixed loops", with);
            return -1;
        }
        const char *own = with ? depth_own(&s->model, &sh) : NULL;
        if (own) {
            snprintf(err, errlen, "train_loops=sampled: with %s the depths hold tensors of their own, which a model looped another "
                     "number of times has not; set ln_shared=1 and leave per-depth tensors off", own);
            return -1;
        }
    }
    if (s->test_loops && !strcmp(s->quant, "int8")) {
        snprintf(err, errlen, "test_loops=%d with quant=int8: the int8 model is the one trained; evaluate a looped model at another "
                 "depth in float", s->test_loops);
        return -1;
    }
    if (strcmp(s->untie_by, "last") && untie_check(s, err, errlen)) return -1;
    if (s->init_optim[0] && !s->init_from[0]) {
        snprintf(err, errlen, "init_optim=%s: the moments belong to a model; give the model with init_from (--init-from)", s->init_optim);
        return -1;
    }
    return 0;
}

void sb_spec_cell(const sb_spec *s, char out[17])
{
    uint64_t h = sb_hash_str(0, "cell-v1");
    char v[SB_PATH_LEN + 32];
    for (size_t i = 0; i < NT; i++) {
        if (!tkeys[i].in_cell) continue;
        sb_spec_get(s, tkeys[i].key, v, sizeof v);
        if (tkeys[i].later && !strcmp(tkeys[i].later, v)) continue;   /* cells from before the key stay */
        h = sb_hash_str(sb_hash_str(sb_hash_str(h, tkeys[i].key), "="), v);
        h = sb_hash_str(h, "\n");
    }
    h ^= sb_config_hash(&s->model) * 0x9E3779B97F4A7C15ULL;
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

int sb_spec_same_model(const sb_spec *a, const sb_spec *b)
{
    return !strcmp(a->task, b->task) && !strcmp(a->knobs, b->knobs) && a->data_seed == b->data_seed &&
           !strcmp(a->init_from, b->init_from) && a->model_set[0] == b->model_set[0] &&
           a->model_set[1] == b->model_set[1] && sb_config_hash(&a->model) == sb_config_hash(&b->model);
}

void sb_spec_label(const sb_spec *s, char *out, size_t len)
{
    snprintf(out, len, "%s sharing=%s seed=%d (width=%d layers=%d)", s->task, s->model.sharing, s->seed,
             s->model.width, s->model.layers);
}
