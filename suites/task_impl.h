/*
** task_impl.h: what a task family provides to the task registry (task.c).
**
** Internal to suites/. A task definition (su_task_def) names the task, lists
** its knobs and provides either a generator (generated tasks: fill one
** candidate example from a random stream; task.c seeds the stream from
** (seed, task, split, index, attempt) and keeps the first candidate whose
** token hash falls in the requested split) or a fetcher (real-text tasks:
** fill example `index` of a split from data loaded at open). Rows arrive
** pre-filled with PAD (0), type 0 and target -1.
*/
#ifndef SU_TASK_IMPL_H
#define SU_TASK_IMPL_H

#include "task.h"
#include "rand.h"
#include "knobs.h"

#define SU_PAD 0                /* padding token in every task */
#define SU_SEP 1                /* separator token of the generated tasks */
#define SU_MAX_SEQ 1024         /* longest content of a generated example (bounds the knobs) */

/* Generic knobs every task accepts, after its own. */
#define SU_TRAIN_DEFAULT 20000
#define SU_EVAL_DEFAULT 1000

typedef struct su_task_def su_task_def;

struct sb_task {
    const su_task_def *def;
    sb_task_info info;
    uint64_t seed, salt;        /* salt: hash of the task name */
    long knob[SU_MAX_KNOBS];    /* the task's own knobs, in def->knobs order */
    long train, eval;           /* generic knobs; 0 = the task's default */
    int *scratch;               /* a types row for callers passing types = NULL */
    void *state;                /* the family's data (real-text tasks, tables) */
    char err[256];
};

struct su_task_def {
    const char *name, *category, *description;
    int metric;
    su_knob knobs[SU_MAX_KNOBS]; /* terminated by a NULL name */
    /* Optional: check knob values against each other (no data loaded); 0 or -1 with a message. */
    int (*validate)(const long *knob, char *err, size_t errlen);
    /* Fill t->info's vocab, length, long_length, causal, n_types, chance and, for real-text tasks,
       split_size (generated tasks get train/eval/eval/eval); load data into t->state. */
    int (*setup)(sb_task *t, char *err, size_t errlen);
    void (*teardown)(sb_task *t);
    /* Generated tasks: one candidate example of `split` (index for label balancing) from r. */
    int (*generate)(const sb_task *t, su_rand *r, int split, long index, int T, int *tok, int *typ, int *tgt);
    /* Real-text tasks: example `index` (0 <= index < split size) of `split`. */
    int (*fetch)(const sb_task *t, int split, long index, int T, int *tok, int *typ, int *tgt);
};

/* Size range [lo, hi] of a generated example for a split given the knob n: [min, n] for
   train/valid/test and [n+1, 2n] for test_long. */
void su_size_range(int split, long n, long min, long *lo, long *hi);

extern const su_task_def su_task_lm, su_task_supersense, su_task_morph, su_task_copy, su_task_reverse,
    su_task_sort, su_task_recall, su_task_induction, su_task_dyck, su_task_wellformed, su_task_listops, su_task_modadd,
    su_task_parity, su_task_agreement;

#endif
