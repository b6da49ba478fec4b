/*
** step.c: the training step with distillation and pruning (step.h).
*/
#include "step.h"
#include <math.h>

double sb_train_step_with(sb_model *m, sb_adamw *o, const int *tokens, const int *types, const int *targets, int B, int T, int step,
                          sb_distill *d, sb_pruner *p, double *grad_norm, double *kd)
{
    double loss, norm = NAN;
    if (kd) *kd = NAN;
    if (d) {
        loss = sb_distill_forward_backward(d, m, tokens, types, targets, B, T, kd);
    } else {
        loss = sb_model_forward(m, tokens, types, targets, NULL, B, T);
        if (isfinite(loss)) sb_model_backward(m);
    }
    if (isfinite(loss)) {
        if (p) sb_pruner_grads(p, m);
        norm = p ? sb_pruner_step(p, m, o, step) : sb_adamw_step(o, m);
    }
    if (grad_norm) *grad_norm = norm;
    return isfinite(norm) ? loss : NAN;
}
