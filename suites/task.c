/*
** task.c: the task registry: opening tasks by name, describing them and
** filling batches of examples (see task.h).
**
** Generated tasks get their split disjointness here, by construction: the
** candidate examples for (seed, task, split, index) come from streams seeded
** by (seed, task, split, index, attempt), and the first candidate whose
** token hash (keyed by seed and task) falls in the split's share of the hash
** space (train 80%, valid 10%, test 10%) is the example. Equal token
** sequences have equal hashes, so no sequence can be in two splits.
** test_long needs no partition: its sequences are longer than any other.
*/
#include "task_impl.h"
#include "knobs.h"
#include "suggest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTEMPTS 100000
#define BUCKETS 1000
#define TRAIN_BUCKETS 800
#define VALID_BUCKETS 100

static const su_task_def *const defs[] = {
    &su_task_lm, &su_task_supersense, &su_task_morph, &su_task_copy, &su_task_reverse,
    &su_task_sort, &su_task_recall, &su_task_induction, &su_task_dyck, &su_task_wellformed, &su_task_listops,
    &su_task_modadd, &su_task_parity, &su_task_agreement, NULL,
};

static const char *const names[] = {
    "lm", "supersense", "morph", "copy", "reverse", "sort", "recall", "induction", "dyck", "wellformed", "listops",
    "modadd", "parity", "agreement", NULL,
};

const char *const *sb_task_names(void) { return names; }

const char *sb_split_name(int split)
{
    static const char *const s[] = { "train", "valid", "test", "test_long" };
    return split >= 0 && split < SB_SPLIT_COUNT ? s[split] : NULL;
}

const char *sb_metric_name(int metric)
{
    static const char *const s[] = { "accuracy", "exact", "bpc" };
    return metric >= 0 && metric < SB_METRIC_COUNT ? s[metric] : NULL;
}

void su_size_range(int split, long n, long min, long *lo, long *hi)
{
    if (split == SB_SPLIT_TEST_LONG) *lo = n + 1, *hi = 2 * n;
    else *lo = min, *hi = n;
}

static const su_task_def *find(const char *name, char *err, size_t errlen)
{
    for (int i = 0; defs[i]; i++)
        if (name && !strcmp(defs[i]->name, name)) return defs[i];
    char list[512] = "";
    size_t used = 0;
    for (int i = 0; names[i]; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
        if (w > 0 && (size_t)w < sizeof list - used) used += (size_t)w;
    }
    char hint[96];
    snprintf(err, errlen, "unknown task '%s'%s (tasks: %s)", name ? name : "(null)", sb_suggest_text(name, names, hint, sizeof hint), list);
    return NULL;
}

int sb_task_check(const char *name, const char *knobs, char *err, size_t errlen)
{
    const su_task_def *d = find(name, err, errlen);
    long vals[SU_MAX_KNOBS], train, eval;
    if (!d) return -1;
    if (su_knobs_parse(d->name, d->knobs, knobs, vals, &train, &eval, err, errlen)) return -1;
    return d->validate ? d->validate(vals, err, errlen) : 0;
}

int sb_task_knob_help(const char *name, char *buf, size_t len)
{
    char err[8];
    const su_task_def *d = find(name, err, sizeof err);
    if (!d) return -1;
    su_knobs_help(d->knobs, buf, len);
    return 0;
}

sb_task *sb_task_open(const char *name, const char *knobs, uint64_t seed, char *err, size_t errlen)
{
    const su_task_def *d = find(name, err, errlen);
    if (!d) return NULL;
    sb_task *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "task %s: out of memory", name);
        return NULL;
    }
    t->def = d;
    t->seed = seed;
    t->salt = su_hash_str(0, d->name);
    if (su_knobs_parse(d->name, d->knobs, knobs, t->knob, &t->train, &t->eval, err, errlen) ||
        (d->validate && d->validate(t->knob, err, errlen))) {
        free(t);
        return NULL;
    }
    t->info.name = d->name;
    t->info.category = d->category;
    t->info.description = d->description;
    t->info.metric = d->metric;
    if (d->generate) {
        long ev = t->eval ? t->eval : SU_EVAL_DEFAULT;
        t->info.split_size[SB_SPLIT_TRAIN] = t->train ? t->train : SU_TRAIN_DEFAULT;
        t->info.split_size[SB_SPLIT_VALID] = t->info.split_size[SB_SPLIT_TEST] = ev;
        t->info.split_size[SB_SPLIT_TEST_LONG] = ev;
    }
    if (d->setup(t, err, errlen)) {
        sb_task_close(t);
        return NULL;
    }
    if (!t->info.long_length) t->info.split_size[SB_SPLIT_TEST_LONG] = 0;
    int maxT = t->info.length > t->info.long_length ? t->info.length : t->info.long_length;
    t->scratch = calloc((size_t)maxT, sizeof *t->scratch);
    if (!t->scratch) {
        snprintf(err, errlen, "task %s: out of memory", name);
        sb_task_close(t);
        return NULL;
    }
    return t;
}

void sb_task_close(sb_task *t)
{
    if (!t) return;
    if (t->def->teardown) t->def->teardown(t);
    free(t->scratch);
    free(t);
}

const sb_task_info *sb_task_get_info(const sb_task *t) { return &t->info; }

const char *sb_task_error(const sb_task *t) { return t->err; }

int sb_task_knobs(const sb_task *t, char *buf, size_t len)
{
    char all[SU_MAX_KNOBS * 48 + 64];
    size_t used = 0;
    for (int i = 0; i < SU_MAX_KNOBS && t->def->knobs[i].name; i++)
        used += (size_t)snprintf(all + used, sizeof all - used, "%s=%ld,", t->def->knobs[i].name, t->knob[i]);
    snprintf(all + used, sizeof all - used, "train=%ld,eval=%ld", t->info.split_size[SB_SPLIT_TRAIN],
             t->info.split_size[SB_SPLIT_VALID]);
    return snprintf(buf, len, "%s", all);
}

static void clear_row(int T, int *tok, int *typ, int *tgt)
{
    for (int i = 0; i < T; i++) tok[i] = SU_PAD, typ[i] = 0, tgt[i] = -1;
}

/* The split that a generated example's tokens belong to. */
static int split_of(const sb_task *t, const int *tok, int T)
{
    uint64_t b = su_hash_ints(t->seed ^ t->salt, tok, T) % BUCKETS;
    return b < TRAIN_BUCKETS ? SB_SPLIT_TRAIN : b < TRAIN_BUCKETS + VALID_BUCKETS ? SB_SPLIT_VALID : SB_SPLIT_TEST;
}

static int generated(sb_task *t, int split, long index, int T, int *tok, int *typ, int *tgt)
{
    for (long attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        su_rand r;
        su_rand_seed(&r, t->seed, t->salt, (uint64_t)split, (uint64_t)index * MAX_ATTEMPTS + (uint64_t)attempt);
        clear_row(T, tok, typ, tgt);
        if (t->def->generate(t, &r, split, index, T, tok, typ, tgt)) {
            snprintf(t->err, sizeof t->err, "task %s: generator failed on %s example %ld", t->info.name,
                     sb_split_name(split), index);
            return -1;
        }
        if (split == SB_SPLIT_TEST_LONG || split_of(t, tok, T) == split) return 0;
    }
    snprintf(t->err, sizeof t->err,
             "task %s: no %s example %ld found in %d attempts (the knobs leave too few distinct examples)",
             t->info.name, sb_split_name(split), index, MAX_ATTEMPTS);
    return -1;
}

int sb_task_examples(sb_task *t, int split, long first, int B, int *tokens, int *types, int *targets)
{
    t->err[0] = 0;
    if (split < 0 || split >= SB_SPLIT_COUNT) {
        snprintf(t->err, sizeof t->err, "task %s: no split %d", t->info.name, split);
        return -1;
    }
    long n = t->info.split_size[split];
    if (n <= 0) {
        snprintf(t->err, sizeof t->err, "task %s has no %s split", t->info.name, sb_split_name(split));
        return -1;
    }
    int T = split == SB_SPLIT_TEST_LONG ? t->info.long_length : t->info.length;
    for (int b = 0; b < B; b++) {
        long index = (first % n + n + b % n) % n;
        int *tok = tokens + (size_t)b * T, *tgt = targets + (size_t)b * T;
        int *typ = types ? types + (size_t)b * T : t->scratch;
        int rc;
        if (t->def->generate) rc = generated(t, split, index, T, tok, typ, tgt);
        else {
            clear_row(T, tok, typ, tgt);
            rc = t->def->fetch(t, split, index, T, tok, typ, tgt);
            if (rc && !t->err[0])
                snprintf(t->err, sizeof t->err, "task %s: cannot fetch %s example %ld", t->info.name,
                         sb_split_name(split), index);
        }
        if (rc) return -1;
    }
    return 0;
}
