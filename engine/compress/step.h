/*
** step.h: the training step with compression in training: distillation's
** gradients (distill.h) and pruning's penalty, masks and schedule (prune.h)
** around the core step of core/train.h.
*/
#ifndef SB_STEP_H
#define SB_STEP_H

#include "core/adamw.h"
#include "distill.h"
#include "prune.h"

/* The same step with compression in training (either may be NULL): the
** gradients from distillation (distill.h) instead of the task loss alone, and
** pruning's L1 term, movement scores, masks and schedule (prune.h); step is
** the 0-based step being taken. Returns the task loss before the update (as
** sb_train_step); *kd (may be NULL) gets the distillation term. */
double sb_train_step_with(sb_model *m, sb_adamw *o, const int *tokens, const int *types, const int *targets, int B, int T, int step,
                          sb_distill *d, sb_pruner *p, double *grad_norm, double *kd);

#endif
