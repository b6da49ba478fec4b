/*
** prune.h: sparsification of the block matrices (the attention, key/value and
** feed-forward weights; embeddings, biases and LayerNorms are left dense, as
** in the papers below).
**
** Methods:
**   l1        L1 regularisation while training (lambda * sum |w| added to the
**             loss, its subgradient lambda * sign(w) to the gradient), then
**             every |w| below a threshold set to zero (the seed documents' method);
**   magnitude one-shot magnitude pruning after training to a target sparsity;
**   gradual   gradual magnitude pruning during training (Zhu & Gupta 2017,
**             "To prune, or not to prune"): every `every` steps from step t0
**             to t1 the smallest weights are masked, to the sparsity
**             s_t = s_f (1 - (1 - (t - t0) / (t1 - t0))^3);
**   movement  movement pruning (Sanh, Wolf & Rush 2020): importance scores
**             S = -sum_t dL/dW' * W, accumulated from the first step (the SGD
**             form of their straight-through update, which the mask's ranking
**             does not depend on the rate of), W' = W * M with M keeping the
**             top scores, on the same cubic schedule; masked weights keep
**             their dense values and can come back when their scores rise.
**             (The seed documents call "movement pruning" a loop that zeroes
**             each weight and re-evaluates the model; that is sensitivity
**             pruning, quadratic in the parameters, and not this.)
** Every target is met exactly: a tensor of n entries at sparsity s has
** round(s n) entries masked, the lowest by |w| (or by score), ties by
** position. Masks belong to unique tensors, so a shared block is pruned once
** for every depth that uses it. Pruned gradients are zeroed and pruned
** weights held at zero after each step.
*/
#ifndef SB_PRUNE_H
#define SB_PRUNE_H

#include "core/model.h"
#include "core/adamw.h"

enum { SB_PRUNE_NONE, SB_PRUNE_L1, SB_PRUNE_MAGNITUDE, SB_PRUNE_GRADUAL, SB_PRUNE_MOVEMENT, SB_PRUNE_COUNT };
/* "none", "l1", "magnitude", "gradual", "movement". */
extern const char *const sb_prune_names[SB_PRUNE_COUNT];

typedef struct {
    int method;         /* SB_PRUNE_* */
    double sparsity;    /* final target s_f in [0, 1) */
    int start, end;     /* gradual, movement: the schedule runs from step t0 = start to t1 = end */
    int every;          /* steps between mask updates */
    double l1;          /* l1: lambda */
} sb_prune_config;

typedef struct sb_pruner sb_pruner;

/* The target sparsity at step t of the cubic schedule (0 before start, s_f after end). */
double sb_prune_schedule(const sb_prune_config *c, int t);

/* Prune the block matrices of m by c. NULL with a message for a bad
** configuration (sparsity outside [0,1), end before start, every < 1, l1 < 0). */
sb_pruner *sb_pruner_create(sb_model *m, const sb_prune_config *c, char *err, size_t errlen);
void sb_pruner_free(sb_pruner *p);

/* After a backward: add the L1 subgradient, accumulate movement scores, zero
** the gradients of masked entries. */
void sb_pruner_grads(sb_pruner *p, sb_model *m);

/* The AdamW step under the masks (movement: on the dense weights), then, at
** the schedule's steps, new masks; the weights are left masked. step is the
** 0-based step just taken. Returns the gradient norm (sb_adamw_step's). */
double sb_pruner_step(sb_pruner *p, sb_model *m, sb_adamw *o, int step);

/* Mask the round(s n) lowest entries of every block matrix now, by |w| (by
** score for movement), and keep those masks. */
void sb_pruner_prune(sb_pruner *p, sb_model *m, double s);

/* Mask every entry with |w| below threshold (after L1 training). */
void sb_pruner_threshold(sb_pruner *p, sb_model *m, double threshold);

/* A new pruner for m2 (the model after a sharing change) with p's
** configuration, its block matrices masked by magnitude to the sparsity p had
** reached; scores start again. Frees p. NULL with a message on failure. */
sb_pruner *sb_pruner_rebind(sb_pruner *p, sb_model *m2, char *err, size_t errlen);

/* The sparsity the masks last reached (0 before any). */
double sb_pruner_current(const sb_pruner *p);

/* Movement scores of table tensor ti (its shape), or NULL. */
const real *sb_pruner_scores(const sb_pruner *p, int ti);

/* 1 when table tensor t is a block matrix (what pruning and quantisation act on). */
int sb_prune_target(const sb_tensor *t);

/* The fraction of zero entries of table tensor ti, and over all block matrices. */
double sb_prune_sparsity(const sb_model *m, int ti);
double sb_prune_overall(const sb_model *m);

#endif
