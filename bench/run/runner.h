/*
** runner.h: one run from start to end: open the task, build (or load) the
** model, train, evaluate on every split, measure speed and memory, and
** assemble the record the store writes in one transaction.
*/
#ifndef SB_RUNNER_H
#define SB_RUNNER_H

#include "spec/spec.h"
#include "results/store.h"
#include "core/adamw.h"
#include "task.h"
#include <stdio.h>

/* What a run of a spec builds, as checking it finds out: the model
** configuration (the task's vocabulary and positions where not set, or the
** checkpoint's configuration) and its sharing resolved, the task's facts, its
** sequence length T and its longest (Tmax, test_long's when it has one). */
typedef struct {
    sb_config model;
    sb_sharing sharing;
    sb_task_info task;
    int T, Tmax;
} sb_runner_plan;

/* Everything that can be checked before work starts: the spec's values, the
** task and its knobs (and WordNet's files), the model against the task
** (vocabulary, positions, causal attention), the checkpoint to start from,
** compression and analyses. Returns 0 with *plan filled (when not NULL), or -1
** with a message naming the key or file (an input error: nothing runs,
** nothing is stored). */
int sb_runner_check(const sb_spec *s, sb_runner_plan *plan, char *err, size_t errlen);

/* sb_runner_check of a spec that builds the same model as a spec already
** checked (sb_spec_same_model), given that spec's plan: every check but
** opening the task and deriving the model again (a sweep's cells share tasks). */
int sb_runner_check_same(const sb_spec *s, const sb_runner_plan *plan, char *err, size_t errlen);

/* Make s a short timing loop of its configuration: SB_TIMING_STEPS training
** steps (the first five warm-up: their times are left out of the quiet step
** time), no analyses, nothing saved, this seed. For timing again what a sweep
** measured while other work ran (gate --remeasure, sweep --speed-pass).
** 0, or -1 with a message when the configuration cannot run so short. */
#define SB_TIMING_STEPS 30
int sb_runner_timing_spec(sb_spec *s, long seed, char *err, size_t errlen);

/* Execute a checked spec with the threads already set. Returns the run's
** record with status finished, diverged (non-finite loss: training stopped at
** diverged_step) or failed (with the error); NULL only when the spec fails
** sb_runner_check, with its message. *status gets SB_RUN_FINISHED, _DIVERGED or
** _FAILED. Progress lines go to log (NULL: silent). */
enum { SB_RUN_FINISHED, SB_RUN_DIVERGED, SB_RUN_FAILED };
sb_run *sb_runner_execute(const sb_spec *s, FILE *log, int *status, char *err, size_t errlen);

/* How a run trains, for callers that train differently (bench/mpi/dp.c: data
** parallelism over MPI ranks). train_step replaces sb_train_step: one update
** from the global batch of B sequences, same contract. trained is called once
** when training ends (finished or diverged, after `steps` updates), before
** evaluation, to add its own metrics; a non-zero return fails the run with its
** message. ctx is passed to both. */
typedef struct {
    double (*train_step)(void *ctx, sb_model *m, sb_adamw *o, const int *tokens, const int *types,
                         const int *targets, int B, int T, double *grad_norm);
    int (*trained)(void *ctx, sb_model *m, int steps, sb_run *r, char *err, size_t errlen);
    void *ctx;
} sb_runner_hooks;

/* sb_runner_execute with hooks (NULL: as sb_runner_execute). */
sb_run *sb_runner_execute_hooked(const sb_spec *s, const sb_runner_hooks *h, FILE *log, int *status, char *err,
                                 size_t errlen);

#endif
