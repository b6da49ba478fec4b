/*
** adamw.h: AdamW with decoupled weight decay (Loshchilov & Hutter 2019),
** global-norm gradient clipping, and a warmup + cosine learning-rate schedule.
**
** The moments are sized to the model's unique parameters only, so sharing
** shrinks optimizer state by exactly the parameters it removes.
*/
#ifndef SB_ADAMW_H
#define SB_ADAMW_H

#include "model.h"

typedef struct {
    float lr, beta1, beta2, eps, weight_decay, clip;  /* clip <= 0: no clipping */
    int warmup, steps;                                 /* schedule: linear warmup, cosine to min_lr_ratio * lr */
    float min_lr_ratio;
} sb_adamw_config;

typedef struct {
    sb_adamw_config c;
    long n;
    real *m, *v;        /* first and second moments, n each */
    int t;              /* steps taken */
} sb_adamw;

/* Defaults: lr 1e-3, betas (0.9, 0.95), eps 1e-8, weight decay 0.1, clip 1.0, no warmup. */
void sb_adamw_config_default(sb_adamw_config *c);

/* Allocate moments for a model. Returns 0, or -1 when out of memory. */
int sb_adamw_init(sb_adamw *o, const sb_adamw_config *c, long n_params);
void sb_adamw_free(sb_adamw *o);

/* The learning rate at step t (0-based) of the schedule. */
float sb_adamw_lr(const sb_adamw_config *c, int t);

/* Global L2 norm of the gradients, summed in double in a fixed order. */
double sb_grad_norm(const real *g, long n);

/* One update of the model's parameters from its gradients: clip, then AdamW
** with decay on the tensors marked for it. Returns the gradient norm before
** clipping (not finite: the update was skipped, nothing changed). */
double sb_adamw_step(sb_adamw *o, sb_model *m);

#endif
