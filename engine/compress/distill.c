/*
** distill.c: the distillation loss and a student's training pass (distill.h).
** Softmaxes are taken from the logits with the maximum subtracted, so large
** logits and small temperatures stay finite; losses are summed in double in
** row order, so the result does not depend on the thread count.
*/
#include "distill.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

struct sb_distill {
    sb_model *teacher;
    real temp, alpha;
    real *zs, *zt, *dz;     /* (B,T,V) each */
    double *row_ce, *row_kd;
};

/* p = softmax(z / T) over V; returns log of the normaliser of z / T minus its max: log p_i = z_i/T - mx - lse. */
static void soft(const real *z, real T, int V, real *p, double *mx, double *lse)
{
    double m = z[0] / T, s = 0;
    for (int i = 1; i < V; i++) m = z[i] / T > m ? z[i] / T : m;
    for (int i = 0; i < V; i++) s += exp(z[i] / T - m);
    for (int i = 0; i < V; i++) p[i] = (real)(exp(z[i] / T - m) / s);
    *mx = m;
    *lse = log(s);
}

static double distill_rows(const real *zs, const real *zt, const int *targets, int R, int V, real T, real alpha, real *dlogits,
                           double *row_ce, double *row_kd, double *ce, double *kd)
{
    int n = 0;
    for (int r = 0; r < R; r++) n += targets[r] >= 0;
    #pragma omp parallel
    {
        real *ps = malloc(sizeof(real) * 3 * V), *qs = ps ? ps + V : NULL, *qt = ps ? ps + 2 * V : NULL;
        #pragma omp for schedule(static)
        for (int r = 0; r < R; r++) {
            const real *s = zs + (long)r * V, *t = zt + (long)r * V;
            real *d = dlogits + (long)r * V;
            row_ce[r] = row_kd[r] = 0;
            if (targets[r] < 0 || !ps) {
                for (int i = 0; i < V; i++) d[i] = ps ? 0 : NAN;
                continue;
            }
            double ms, ls, mqs, lqs, mqt, lqt, kl = 0;
            soft(s, 1, V, ps, &ms, &ls);
            soft(s, T, V, qs, &mqs, &lqs);
            soft(t, T, V, qt, &mqt, &lqt);
            for (int i = 0; i < V; i++)
                if (qt[i] > 0) kl += qt[i] * ((t[i] / T - mqt - lqt) - (s[i] / T - mqs - lqs));
            row_ce[r] = -(s[targets[r]] - ms - ls);
            row_kd[r] = (double)T * T * kl;
            for (int i = 0; i < V; i++)
                d[i] = (real)(((1 - alpha) * (ps[i] - (i == targets[r])) + alpha * T * (qs[i] - qt[i])) / n);
        }
        free(ps);
    }
    double sce = 0, skd = 0;
    for (int r = 0; r < R; r++) { sce += row_ce[r]; skd += row_kd[r]; }
    sce = n ? sce / n : 0;
    skd = n ? skd / n : 0;
    if (ce) *ce = sce;
    if (kd) *kd = skd;
    return (1 - alpha) * sce + alpha * skd;
}

double sb_distill_loss(const real *zs, const real *zt, const int *targets, int R, int V, real T, real alpha, real *dlogits,
                       double *ce, double *kd)
{
    double *rows = malloc(sizeof(double) * 2 * (R > 0 ? R : 1));
    if (!rows) return NAN;
    double l = distill_rows(zs, zt, targets, R, V, T, alpha, dlogits, rows, rows + R, ce, kd);
    free(rows);
    return l;
}

sb_distill *sb_distill_create(sb_model *teacher, int vocab, int B, int T, double temp, double alpha, char *err, size_t errlen)
{
    const sb_config *tc = sb_model_config(teacher);
    if (tc->vocab != vocab) {
        snprintf(err, errlen, "teacher: vocabulary %d, the student's is %d; distillation compares their distributions token by token",
                 tc->vocab, vocab);
        return NULL;
    }
    int tb, tt;
    sb_model_capacity(teacher, &tb, &tt);
    if (tb < B || tt < T) {
        snprintf(err, errlen, "teacher: built for batch %d and length %d, the student trains on batch %d and length %d", tb, tt, B, T);
        return NULL;
    }
    if (!(temp > 0) || !isfinite(temp)) { snprintf(err, errlen, "distill_temp=%g: expected a positive temperature", temp); return NULL; }
    if (!(alpha >= 0 && alpha <= 1)) { snprintf(err, errlen, "distill_alpha=%g: expected a weight in [0, 1]", alpha); return NULL; }
    sb_distill *d = calloc(1, sizeof *d);
    long n = (long)B * T * vocab;
    if (d) {
        d->teacher = teacher;
        d->temp = (real)temp;
        d->alpha = (real)alpha;
        d->zs = malloc(sizeof(real) * n);
        d->zt = malloc(sizeof(real) * n);
        d->dz = malloc(sizeof(real) * n);
        d->row_ce = malloc(sizeof(double) * 2 * B * T);
        d->row_kd = d->row_ce ? d->row_ce + (long)B * T : NULL;
    }
    if (!d || !d->zs || !d->zt || !d->dz || !d->row_ce) {
        sb_distill_free(d);
        snprintf(err, errlen, "out of memory for distillation");
        return NULL;
    }
    return d;
}

double sb_distill_bytes(int vocab, int B, int T)
{
    double rows = (double)B * T;
    return 3 * rows * vocab * sizeof(real) + 2 * rows * sizeof(double);
}

void sb_distill_free(sb_distill *d)
{
    if (!d) return;
    free(d->zs); free(d->zt); free(d->dz); free(d->row_ce);
    free(d);
}

double sb_distill_forward_backward(sb_distill *d, sb_model *student, const int *tokens, const int *types, const int *targets, int B,
                                   int T, double *kd)
{
    int V = sb_model_config(student)->vocab;
    sb_model_forward(d->teacher, tokens, types, targets, NULL, B, T);
    sb_model_logits(d->teacher, d->zt);
    double task = sb_model_forward(student, tokens, types, targets, NULL, B, T);
    if (!isfinite(task)) return task;
    sb_model_logits(student, d->zs);
    double ce, soft_term;
    distill_rows(d->zs, d->zt, targets, B * T, V, d->temp, d->alpha, d->dz, d->row_ce, d->row_kd, &ce, &soft_term);
    if (kd) *kd = soft_term;
    sb_model_backward_logits(student, d->dz);
    return isfinite(soft_term) ? task : NAN;
}
