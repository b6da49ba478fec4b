/*
** evaluate.h: a model scored on a split of its task: the task's metrics
** (suites/task.h's sb_score) and the mean loss, the evaluation a run makes
** of validation during training and of every split at its end (runner.c)
** and compression's before-and-after figures.
*/
#ifndef SB_EVALUATE_H
#define SB_EVALUATE_H

#include "task.h"
#include "core/model.h"

/* Evaluate the first n examples of a split (at most the split's size) in
** batches of B (the last one smaller when B does not divide n), into sc
** (reset first) and *loss: the mean cross-entropy (nats) over every scored
** position of the n examples, each batch weighted by its scored positions
** (a mean of the batches' means would count a short last batch as much as
** a full one); NAN when nothing was scored. tok, typ and tgt are scratch of
** B times the split's sequence length; the model must take batches of B at
** that length. Returns 0, or -1 when the task fails (sb_task_error). */
int sb_evaluate(sb_model *m, sb_task *task, int split, long n, int B, int *tok, int *typ, int *tgt, sb_score *sc,
                double *loss);

#endif
