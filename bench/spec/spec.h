/*
** spec.h: everything that defines one run: the model (every configuration key
** of engine/core/config.h, or a preset), the task, and the training settings.
**
** Keys are set from text (command line, run and sweep files), so every key has
** one canonical text form; a run's identity (its cell) is the hash of all keys
** that change its results, and the store keeps them as the run's params.
*/
#ifndef SB_SPEC_H
#define SB_SPEC_H

#include "core/config.h"
#include <stdint.h>

#define SB_PATH_LEN 512

typedef struct {
    sb_config model;
    char preset[64];            /* the preset the model started from */
    char task[64];
    char knobs[128];            /* task difficulty knobs, e.g. "len=12" */
    int steps, batch, warmup, eval_every, eval_examples, test_examples, merge_at;
    int seed, data_seed, threads;
    float lr, weight_decay, clip, min_lr_ratio;
    /* analyses (bench/run/analyze.h): not in the cell, they do not change training */
    int analysis, grad_samples, grad_points, attn_examples, cka_examples, attack_examples, pgd_steps, hotflip_budget;
    char pgd_eps[64], randsub_rates[64];   /* comma-separated lists */
    char pgd_ball[16];            /* example (FreeLB's ball) or position */
    /* compression (bench/run/compress.h): each a key, combinable with any sharing */
    char factor_init[16];         /* train (factor:R from the start), svd or als (factorise the trained dense model) */
    int als_iters;
    char prune[16];               /* none, l1, magnitude, gradual, movement */
    float sparsity, prune_start, prune_end, l1, l1_threshold;   /* start, end: fractions of the training steps */
    int prune_every, finetune_steps;
    char quant[16], quant_act[16];  /* none or int8; block, depth or dynamic activation scales */
    int quant_batches;
    char teacher[SB_PATH_LEN];    /* none, a checkpoint, or train:SHARING (a teacher trained first in the run) */
    float distill_temp, distill_alpha;
    char init_from[SB_PATH_LEN];  /* checkpoint to start from (fine-tuning) */
    char save[SB_PATH_LEN];       /* where to save the trained model, or empty */
    char save_optim[SB_PATH_LEN]; /* where to save its AdamW moments (a file of their own), or empty */
    char init_optim[SB_PATH_LEN]; /* AdamW moments to start from (with init_from), or empty */
    char convert[16];             /* none, or svd: lowrank corrections from the SVD of the trained checkpoint's residuals */
    int test_loops;               /* a looped model (loop:P,K,C) evaluated with its core looped this many times (0: as trained) */
    char merge_on[16];            /* step, or plateau: progressive merging when the validation loss stops falling */
    int merge_patience;
    float merge_min_delta;
    char untie_by[16];            /* last, grad or heads: which depths untie:K unties when fine-tuning */
    int untie_samples;            /* untie_by=grad or heads: training sequences the choice is made on */
    char train_loops[16];         /* fixed, or sampled: a looped model's loops drawn every step (Geiping et al.) */
    char speed_of[17];            /* a timing run of `sweep --speed-pass`: the cell whose configuration it times, else empty */
    char sweep[64];               /* the sweep this run belongs to, or empty */
    uint32_t model_set[2];        /* bit per config key: set explicitly (not by preset/task) */
} sb_spec;

/* Defaults: the small model, 300 steps of batch 16, lr 1e-3 with 10% warmup and cosine decay. */
void sb_spec_default(sb_spec *s);

/* Set a key: a training key (task, knobs, steps, ...), `preset`, or any model
** key. A preset resets the model first, so it must come before model keys.
** Returns 0, or -1 with a message naming the key and value. */
int sb_spec_set(sb_spec *s, const char *key, const char *value, char *err, size_t errlen);

/* The key's canonical text. 0, or -1 for an unknown key. */
int sb_spec_get(const sb_spec *s, const char *key, char *out, size_t len);

/* 1 when key (a training or model key) was added after runs were first
** recorded and value is its default: such keys are left out of the cell and
** of the configurations reports and gates compare, so runs recorded before
** they existed keep their identity. */
int sb_spec_key_default(const char *key, const char *value);

/* 1 when the model key was set explicitly (so the task must not override it). */
int sb_spec_model_set(const sb_spec *s, const char *key);

/* NULL-terminated training keys, then NULL-terminated, all keys (training + model). */
const char *const *sb_spec_train_keys(void);

/* 1 when key (a training or model key) holds a number (its text reads as
** one: exports write it as a number), 0 when it holds a word or text. */
int sb_spec_key_is_number(const char *key);

/* Describe the i-th training key (sb_spec_train_keys order, preset first).
** 0, or -1 past the last. */
int sb_spec_key_info(int i, sb_key_info *k);

/* Check the spec before any work: task named, values in range, model valid.
** Returns 0, or -1 with a message. */
int sb_spec_validate(const sb_spec *s, char *err, size_t errlen);

/* The cell: a hex hash of every key that changes the results (not threads,
** save, sweep or the analysis keys). Equal specs have equal cells; `sweep --resume` keys on it. */
void sb_spec_cell(const sb_spec *s, char out[17]);

/* 1 when a and b build the same model from the same data (task, knobs,
** data_seed, init_from, the model keys and which of them were set), so what
** opening the task tells about one holds for the other. */
int sb_spec_same_model(const sb_spec *a, const sb_spec *b);

/* A one-line label, e.g. "copy sharing=cycle:2 seed=1 (width=128 layers=4)". */
void sb_spec_label(const sb_spec *s, char *out, size_t len);

#endif
