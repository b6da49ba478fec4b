/*
** distill.h: knowledge distillation (Hinton, Vinyals & Dean 2015): a student
** trained against a teacher's temperature-softened output distribution as
** well as the task's targets,
**
**   L = (1 - alpha) CE(y, softmax(z_s)) + alpha T^2 KL(softmax(z_t / T) || softmax(z_s / T)),
**
** averaged over the scored positions (target >= 0). The T^2 keeps the soft
** term's gradient, alpha T (softmax(z_s/T) - softmax(z_t/T)), of the same size
** as T changes. The teacher is any model with the same vocabulary (a
** checkpoint: unshared, larger, or the student's own architecture), so a
** shared student can learn from an unshared teacher.
*/
#ifndef SB_DISTILL_H
#define SB_DISTILL_H

#include "core/model.h"

/* The loss above for student logits zs and teacher logits zt (R,V) at rows
** whose target is >= 0; dlogits (R,V) gets dL/dzs (0 at unscored rows).
** *ce and *kd (may be NULL) get the two terms' means (kd without alpha, with
** T^2). Returns L (0 when no row is scored). */
double sb_distill_loss(const real *zs, const real *zt, const int *targets, int R, int V, real T, real alpha, real *dlogits,
                       double *ce, double *kd);

typedef struct sb_distill sb_distill;

/* Distil into students of batch up to B, length up to T from teacher (not
** owned), at temperature temp > 0 with weight alpha in [0, 1]. NULL with a
** message when the vocabularies differ, the teacher was built for a smaller
** batch or length, or the values are out of range. */
sb_distill *sb_distill_create(sb_model *teacher, int vocab, int B, int T, double temp, double alpha, char *err, size_t errlen);
void sb_distill_free(sb_distill *d);

/* The bytes sb_distill_create allocates for batch B, length T over vocab (the
** student's, teacher's and gradient's logits, two doubles a row), for memory
** checks made before any model is built. */
double sb_distill_bytes(int vocab, int B, int T);

/* The teacher's and the student's forward on a batch, then the student's
** backward from the distillation loss: the student's gradients are filled as
** sb_model_backward would for its own loss. Returns the student's task
** cross-entropy (what sb_model_forward returns, comparable across runs);
** *kd (may be NULL) gets the soft term. */
double sb_distill_forward_backward(sb_distill *d, sb_model *student, const int *tokens, const int *types, const int *targets, int B,
                                   int T, double *kd);

#endif
