/*
** compress.h: compression in a run (runner.c calls these at fixed points):
** low-rank factorisation, pruning, int8 quantisation and distillation, each
** driven by its run keys (spec.h), combinable with any sharing mode and with
** each other, measured into the run's record like everything else.
**
** A run with compression goes: a teacher first (teacher=train:SHARING trains
** one in the run; teacher=FILE loads one), training (distillation and
** pruning during training act in each step), then after training in this
** order: factorisation of the trained dense model (factor_init=svd or als),
** one-shot pruning or L1 thresholding, fine-tuning (finetune_steps, masks
** kept), int8 quantisation (calibrated on quant_batches training batches);
** then the runner's usual evaluation, analyses and speed measurements run on
** the compressed model, and the record gets its bytes on disk (a compressed
** checkpoint, written), in memory (what inference holds), sparsity,
** quantisation and factorisation errors, the quality before each step, and
** int8 against float decoding measured side by side.
*/
#ifndef SB_COMPRESS_H
#define SB_COMPRESS_H

#include "spec/spec.h"
#include "results/store.h"
#include "task.h"
#include "core/model.h"
#include "core/adamw.h"
#include <stdio.h>

typedef struct sb_compress sb_compress;

/* The headline metric of model m on a split (the runner's evaluation), NAN on failure. */
typedef double (*sb_compress_eval)(void *ctx, sb_model *m, int split);

/* What can be checked before work: a teacher checkpoint readable, with the
** student's vocabulary (c is the model the run builds for its task, sh its
** sharing) and positions for the task's length; a schedule that fits the
** steps; a sharing that int8 can quantise. Returns 0, or -1 with a message
** naming the key or file. */
int sb_compress_check(const sb_spec *s, const sb_config *c, const sb_sharing *sh, const sb_task_info *info, char *err,
                      size_t errlen);

/* The teacher's configuration for a student of configuration c: c under the
** sharing of teacher=train:SHARING (*trained 1), or a teacher checkpoint's
** (*trained 0). 0, or -1 with a message when the checkpoint cannot be read. */
int sb_compress_teacher_config(const sb_spec *s, const sb_config *c, sb_config *tc, int *trained, char *err, size_t errlen);

/* The bytes a distillation teacher adds to a run of s whose model is c, at
** the run's batch and length T: the teacher (a whole model built at that
** shape), its AdamW moments when trained in the run (teacher=train:SHARING)
** and the distillation's buffers; 0 without a teacher. 0, or -1 with a message
** when a teacher checkpoint cannot be read or the model planned. */
int sb_compress_teacher_memory(const sb_spec *s, const sb_config *c, int T, double *bytes, char *err, size_t errlen);

/* The configuration to train: c itself, or c without factor when the run
** factorises the trained dense model (factor_init=svd or als). */
void sb_compress_training_config(const sb_spec *s, sb_config *c);

/* 1 when the run compresses its model after training or distils (so its
** saved checkpoint is the compressed one). */
int sb_compress_any(const sb_spec *s);

/* Set up for a run about to train m: the teacher (trained here for train:),
** the pruner of the methods acting during training. c is the configuration
** the run ends with, sh its sharing; batches come from the training split from example
** `start` on, B sequences of the task's length, built for length Tmax. NULL
** with a message on failure (recorded as the run's failure). */
sb_compress *sb_compress_new(const sb_spec *s, const sb_config *c, const sb_sharing *sh, sb_model *m, sb_task *task, sb_run *r,
                             FILE *log, int B, int Tmax, long start, sb_compress_eval eval, void *ctx, char *err, size_t errlen);

/* One training step (sb_train_step_with the run's distillation and pruning). */
double sb_compress_step(sb_compress *cs, sb_model *m, sb_adamw *o, const int *tokens, const int *types, const int *targets, int step,
                        double *grad_norm);

/* After the runner changed m's sharing (progressive merging): masks follow. */
int sb_compress_reshared(sb_compress *cs, sb_model *m, char *err, size_t errlen);

/* After training (steps_done steps): the post-training steps in order; *m and
** *o may be replaced (factorisation builds a new model). Returns 0, or -1
** with a message. */
int sb_compress_finish(sb_compress *cs, sb_model **m, sb_adamw *o, int steps_done, char *err, size_t errlen);

/* After the evaluation (test: the run's test metric): bytes on disk and in
** memory, the quality change of compression and of int8, int8 against float
** decoding; the checkpoint to save (path, or NULL): the compressed one when
** the run compresses, else the plain one with the optimizer state o. */
int sb_compress_record(sb_compress *cs, sb_model *m, const sb_adamw *o, const char *save, double test, char *err, size_t errlen);

void sb_compress_free(sb_compress *cs);

/* int8 against float decoding of one model (for `sharebench bench`): c built
** at batch 1 and length T from seed 1, quantised with activation scales
** calibrated on one sequence, then T tokens decoded with the key/value cache,
** int8 and float alternately reps times each. */
typedef struct {
    double ms_int8, ms_float;   /* medians, milliseconds per token */
    double kl;                  /* mean KL(float || int8) of the next-token distributions */
    double top1;                /* fraction of positions where both pick the same next token */
    long bytes_float, bytes_int8;   /* the block matrices */
    int calibrations, calibrations_per_layer, vnni;
} sb_int8_bench;
int sb_int8_decode_bench(const sb_config *c, int T, int reps, sb_int8_bench *out, char *err, size_t errlen);

#endif
