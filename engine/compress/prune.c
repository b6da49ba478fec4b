/*
** prune.c: masks, schedules and scores for sparsifying the block matrices
** (prune.h). State is per table tensor (per unique tensor), never per depth.
** The model's parameters always hold the masked weights W * M, so the
** forward, the backward and checkpoints need nothing special; movement
** pruning keeps the dense W here and hands it to AdamW for the update.
*/
#include "prune.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

const char *const sb_prune_names[SB_PRUNE_COUNT] = { "none", "l1", "magnitude", "gradual", "movement" };

struct sb_pruner {
    sb_prune_config c;
    int nt;
    uint8_t **mask;      /* by table index: 1 kept, 0 masked; NULL for tensors not pruned */
    real **score;        /* movement: importance scores */
    real **dense;        /* movement: the unmasked weights */
    int masked;          /* masks in force */
    double current;      /* the sparsity the masks last reached */
};

int sb_prune_target(const sb_tensor *t)
{
    return t->ndim == 2 && t->block >= 0 && (t->comp == SB_COMP_ATTN || t->comp == SB_COMP_KV || t->comp == SB_COMP_FFN);
}

double sb_prune_schedule(const sb_prune_config *c, int t)
{
    if (t < c->start) return 0;
    if (t >= c->end) return c->sparsity;
    double f = 1 - (double)(t - c->start) / (c->end - c->start);
    return c->sparsity * (1 - f * f * f);
}

void sb_pruner_free(sb_pruner *p)
{
    if (!p) return;
    for (int i = 0; i < p->nt; i++) {
        free(p->mask[i]);
        if (p->score) free(p->score[i]);
        if (p->dense) free(p->dense[i]);
    }
    free(p->mask); free(p->score); free(p->dense);
    free(p);
}

sb_pruner *sb_pruner_create(sb_model *m, const sb_prune_config *c, char *err, size_t errlen)
{
    if (c->method <= SB_PRUNE_NONE || c->method >= SB_PRUNE_COUNT) { snprintf(err, errlen, "prune: unknown method %d", c->method); return NULL; }
    if (!(c->sparsity >= 0 && c->sparsity < 1)) { snprintf(err, errlen, "sparsity=%g: expected a fraction in [0, 1)", c->sparsity); return NULL; }
    if ((c->method == SB_PRUNE_GRADUAL || c->method == SB_PRUNE_MOVEMENT) && (c->start < 0 || c->end <= c->start || c->every < 1)) {
        snprintf(err, errlen, "prune=%s: the schedule runs from step %d to %d every %d steps; it needs 0 <= start < end and every >= 1",
                 sb_prune_names[c->method], c->start, c->end, c->every);
        return NULL;
    }
    if (!(c->l1 >= 0) || !isfinite(c->l1)) { snprintf(err, errlen, "l1=%g: expected a non-negative number", c->l1); return NULL; }
    sb_pruner *p = calloc(1, sizeof *p);
    int nt = sb_model_tensor_count(m), mv = c->method == SB_PRUNE_MOVEMENT;
    if (p) {
        p->c = *c;
        p->nt = nt;
        p->mask = calloc((size_t)nt, sizeof *p->mask);
        p->score = mv ? calloc((size_t)nt, sizeof *p->score) : NULL;
        p->dense = mv ? calloc((size_t)nt, sizeof *p->dense) : NULL;
    }
    if (!p || !p->mask || (mv && (!p->score || !p->dense))) goto oom;
    for (int i = 0; i < nt; i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        if (!sb_prune_target(t)) continue;
        if (!(p->mask[i] = malloc((size_t)t->numel))) goto oom;
        memset(p->mask[i], 1, (size_t)t->numel);
        if (mv) {
            p->score[i] = calloc((size_t)t->numel, sizeof(real));
            p->dense[i] = malloc(sizeof(real) * t->numel);
            if (!p->score[i] || !p->dense[i]) goto oom;
            memcpy(p->dense[i], sb_model_params(m) + t->offset, sizeof(real) * t->numel);
        }
    }
    return p;
oom:
    sb_pruner_free(p);
    snprintf(err, errlen, "out of memory for the pruning masks");
    return NULL;
}

void sb_pruner_grads(sb_pruner *p, sb_model *m)
{
    real *w = sb_model_params(m), *g = sb_model_grads(m), l1 = (real)(p->c.method == SB_PRUNE_L1 ? p->c.l1 : 0);
    for (int i = 0; i < p->nt; i++) {
        if (!p->mask[i]) continue;
        const sb_tensor *t = sb_model_tensor(m, i);
        real *wt = w + t->offset, *gt = g + t->offset, *s = p->score ? p->score[i] : NULL, *d = p->dense ? p->dense[i] : NULL;
        const uint8_t *mk = p->mask[i];
        for (long j = 0; j < t->numel; j++) {
            if (s) s[j] -= gt[j] * d[j];   /* straight-through: dL/dM = dL/dW' * W */
            if (l1 != 0) gt[j] += l1 * (real)((wt[j] > 0) - (wt[j] < 0));
            if (p->masked && !mk[j]) gt[j] = 0;
        }
    }
}

typedef struct {
    real key;
    long idx;
} entry;

static int less(const entry *a, const entry *b) { return a->key < b->key || (a->key == b->key && a->idx < b->idx); }

/* Put the k lowest entries (by key, then index) in e[0..k): quickselect with
** a median-of-three pivot; the order is total, so the set is unique. */
static void select_lowest(entry *e, long n, long k)
{
    long lo = 0, hi = n - 1;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (less(&e[mid], &e[lo])) { entry t = e[mid]; e[mid] = e[lo]; e[lo] = t; }
        if (less(&e[hi], &e[lo])) { entry t = e[hi]; e[hi] = e[lo]; e[lo] = t; }
        if (less(&e[hi], &e[mid])) { entry t = e[hi]; e[hi] = e[mid]; e[mid] = t; }
        entry pivot = e[mid];
        long i = lo, j = hi;
        while (i <= j) {
            while (less(&e[i], &pivot)) i++;
            while (less(&pivot, &e[j])) j--;
            if (i <= j) { entry t = e[i]; e[i] = e[j]; e[j] = t; i++; j--; }
        }
        if (k - 1 <= j) hi = j;
        else if (k - 1 >= i) lo = i;
        else break;
    }
}

/* New masks: the round(s n) lowest keys of each tensor masked, keys |w| or the scores. */
static void remask(sb_pruner *p, sb_model *m, double s, int by_score)
{
    const real *w = sb_model_params(m);
    for (int i = 0; i < p->nt; i++) {
        if (!p->mask[i]) continue;
        const sb_tensor *t = sb_model_tensor(m, i);
        long n = t->numel, k = lround(s * n);
        entry *e = malloc(sizeof *e * n);
        if (!e) continue;   /* out of memory: this tensor keeps its mask */
        const real *src = by_score ? p->score[i] : p->dense ? p->dense[i] : w + t->offset;
        for (long j = 0; j < n; j++) e[j] = (entry){ by_score ? src[j] : R_FABS(src[j]), j };
        if (k > 0 && k < n) select_lowest(e, n, k);
        memset(p->mask[i], 1, (size_t)n);
        for (long j = 0; j < k; j++) p->mask[i][e[j].idx] = 0;
        free(e);
    }
    p->masked = 1;
    p->current = s;
}

/* The model's weights = (dense or current) * mask. */
static void apply(sb_pruner *p, sb_model *m)
{
    real *w = sb_model_params(m);
    for (int i = 0; i < p->nt; i++) {
        if (!p->mask[i]) continue;
        const sb_tensor *t = sb_model_tensor(m, i);
        real *wt = w + t->offset;
        for (long j = 0; j < t->numel; j++) {
            if (p->dense) wt[j] = p->dense[i][j];
            if (p->masked && !p->mask[i][j]) wt[j] = 0;
        }
    }
}

double sb_pruner_step(sb_pruner *p, sb_model *m, sb_adamw *o, int step)
{
    real *w = sb_model_params(m);
    if (p->dense)   /* AdamW updates the dense weights; their masked entries get no gradient */
        for (int i = 0; i < p->nt; i++)
            if (p->mask[i]) memcpy(w + sb_model_tensor(m, i)->offset, p->dense[i], sizeof(real) * sb_model_tensor(m, i)->numel);
    double norm = sb_adamw_step(o, m);
    if (p->dense && isfinite(norm))
        for (int i = 0; i < p->nt; i++)
            if (p->mask[i]) memcpy(p->dense[i], w + sb_model_tensor(m, i)->offset, sizeof(real) * sb_model_tensor(m, i)->numel);
    int scheduled = p->c.method == SB_PRUNE_GRADUAL || p->c.method == SB_PRUNE_MOVEMENT;
    if (isfinite(norm) && scheduled && step >= p->c.start && step <= p->c.end &&
        ((step - p->c.start) % p->c.every == 0 || step == p->c.end))
        remask(p, m, sb_prune_schedule(&p->c, step), p->c.method == SB_PRUNE_MOVEMENT);
    apply(p, m);
    return norm;
}

void sb_pruner_prune(sb_pruner *p, sb_model *m, double s)
{
    remask(p, m, s, p->c.method == SB_PRUNE_MOVEMENT);
    apply(p, m);
}

void sb_pruner_threshold(sb_pruner *p, sb_model *m, double threshold)
{
    const real *w = sb_model_params(m);
    for (int i = 0; i < p->nt; i++) {
        if (!p->mask[i]) continue;
        const sb_tensor *t = sb_model_tensor(m, i);
        const real *src = p->dense ? p->dense[i] : w + t->offset;
        for (long j = 0; j < t->numel; j++) p->mask[i][j] = R_FABS(src[j]) >= threshold;
    }
    p->masked = 1;
    apply(p, m);
    p->current = sb_prune_overall(m);
}

sb_pruner *sb_pruner_rebind(sb_pruner *p, sb_model *m2, char *err, size_t errlen)
{
    sb_pruner *n = sb_pruner_create(m2, &p->c, err, errlen);
    if (n && p->masked) {
        remask(n, m2, p->current, 0);
        apply(n, m2);
    }
    sb_pruner_free(p);
    return n;
}

double sb_pruner_current(const sb_pruner *p) { return p->current; }

const real *sb_pruner_scores(const sb_pruner *p, int ti)
{
    return p->score && ti >= 0 && ti < p->nt ? p->score[ti] : NULL;
}

double sb_prune_sparsity(const sb_model *m, int ti)
{
    const sb_tensor *t = sb_model_tensor(m, ti);
    const real *w = sb_model_params((sb_model *)m) + t->offset;
    long z = 0;
    for (long j = 0; j < t->numel; j++) z += w[j] == 0;
    return t->numel ? (double)z / t->numel : 0;
}

double sb_prune_overall(const sb_model *m)
{
    long z = 0, n = 0;
    for (int i = 0; i < sb_model_tensor_count(m); i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        if (!sb_prune_target(t)) continue;
        const real *w = sb_model_params((sb_model *)m) + t->offset;
        for (long j = 0; j < t->numel; j++) z += w[j] == 0;
        n += t->numel;
    }
    return n ? (double)z / n : 0;
}
