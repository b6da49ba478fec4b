/*
** verdicts.c: the report's tests under one Benjamini-Hochberg control, the
** chance tests and the frontier classes (verdicts.h).
*/
#include "verdicts.h"
#include "stats/multiple.h"
#include "stats/welch.h"
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One test of the family: its p, where its adjusted p goes. */
typedef struct {
    double p, *q;
} test;

typedef struct {
    test *t;
    int n, cap;
} family;

static int add(family *f, double p, double *q)
{
    if (!isfinite(p)) return 0;
    if (f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 64;
        test *t = realloc(f->t, sizeof *t * (size_t)cap);
        if (!t) return -1;
        f->t = t;
        f->cap = cap;
    }
    f->t[f->n++] = (test){ p, q };
    return 0;
}

/* Test beyond chance: (mean - chance) over the seeds' standard error and the
** test split's, one-sided in the metric's better direction. */
static double chance_p(const sb_gstat *g)
{
    if (!g->nfin || !isfinite(g->test.mean) || !isfinite(g->chance)) return NAN;
    double sd = g->test.n > 1 ? g->test.sd : 0, split = isfinite(g->test_se) ? g->test_se : 0;
    double se = sqrt(sd * sd / g->test.n + split * split);
    double d = g->higher ? g->test.mean - g->chance : g->chance - g->test.mean;
    if (!(se > 0)) return d > 0 ? 0 : 1;
    return g->test.n > 1 ? gsl_cdf_tdist_Q(d / se, g->test.n - 1) : gsl_cdf_ugaussian_Q(d / se);
}

/* A group's test values over its finished runs (at most 256). */
static int test_values(const sb_runset *s, const sb_rs_group *g, double *x)
{
    int n = 0;
    for (int k = 0; k < g->nrun && n < 256; k++) {
        const sb_rs_run *r = &s->runs[g->run[k]];
        if (sb_rs_finished(r) && isfinite(sb_rs_metric(r, SB_M_TEST))) x[n++] = sb_rs_metric(r, SB_M_TEST);
    }
    return n;
}

int sb_verdict_compare(const sb_runset *s, int a, int b, sb_ttest *t)
{
    double x[256], y[256];
    const sb_rs_group *A = &s->groups[a], *B = &s->groups[b];
    int n = sb_rs_pairs(s, A, B, sb_metric_key(SB_M_TEST), x, y, 256);
    if (n >= 2) return sb_stats_paired_t(x, y, n, 0.95, t);
    int na = test_values(s, A, x), nb = test_values(s, B, y);
    return sb_stats_welch(x, na, y, nb, 0.95, t);
}

static int has_result(const sb_gstat *g)
{
    return g->nfin && isfinite(g->params) && isfinite(g->test.mean);
}

/* Which of the task's configurations is best by mean among those with
** parameters below (strict) or at most (!strict) those of i; -1 when none. */
static int best_cheaper(const sb_gstat *st, const int *idx, int n, int i, int strict)
{
    int b = -1;
    for (int k = 0; k < n; k++) {
        int j = idx[k];
        if (j == i || !has_result(&st[j])) continue;
        if (strict ? !(st[j].params < st[i].params) : !(st[j].params <= st[i].params)) continue;
        if (b < 0 || (st[j].higher ? st[j].test.mean > st[b].test.mean : st[j].test.mean < st[b].test.mean)) b = j;
    }
    return b;
}

/* The frontier's comparisons of one configuration: with the best cheaper one and the best no larger. */
typedef struct {
    int lt, le;                /* groups, -1 */
    sb_ttest tlt, tle;         /* i - lt, i - le */
    int has_lt, has_le;
    double qlt, qle;
} fcmp;

int sb_verdict_of(const sb_ttest *t, double q, int higher)
{
    if (!isfinite(q)) return SB_V_UNTESTED;
    if (q > SB_VERDICT_ALPHA || t->mean == 0) return SB_V_TIE;
    return (t->mean > 0) == (higher != 0) ? SB_V_BETTER : SB_V_WORSE;
}

int sb_verdicts(const sb_runset *s, sb_gstat *st)
{
    family f = { NULL, 0, 0 };
    fcmp *fc = calloc((size_t)s->ngroups + 1, sizeof *fc);
    if (!fc) return -1;
    int rc = 0;
    for (int g = 0; g < s->ngroups && !rc; g++) {
        sb_gstat *x = &st[g];
        x->p_chance = chance_p(x);
        rc |= add(&f, x->p_chance, &x->q_chance);
        if (x->has_dtest) rc |= add(&f, x->dtest.p_two, &x->q_test);
        if (x->has_dtl) rc |= add(&f, x->dtl.p_two, &x->q_tl);
        fcmp *c = &fc[g];
        c->qlt = c->qle = NAN;
        int n, *idx = sb_rs_task_groups(s, s->groups[g].task, &n);
        if (!idx) { rc = -1; break; }
        c->lt = has_result(x) ? best_cheaper(st, idx, n, g, 1) : -1;
        c->le = has_result(x) ? best_cheaper(st, idx, n, g, 0) : -1;
        free(idx);
        if (c->lt >= 0) c->has_lt = !sb_verdict_compare(s, c->lt, g, &c->tlt);
        if (c->le >= 0 && c->le != c->lt) c->has_le = !sb_verdict_compare(s, c->le, g, &c->tle);
        if (c->has_lt) rc |= add(&f, c->tlt.p_two, &c->qlt);
        if (c->has_le) rc |= add(&f, c->tle.p_two, &c->qle);
    }
    double *p = rc ? NULL : malloc(sizeof *p * (size_t)(f.n + 1));
    if (!p) rc = -1;
    else {
        for (int i = 0; i < f.n; i++) p[i] = f.t[i].p;
        if (sb_stats_bh(p, f.n, p) < 0) rc = -1;
        for (int i = 0; !rc && i < f.n; i++) *f.t[i].q = p[i];
    }
    free(p);
    free(f.t);
    if (rc) { free(fc); return -1; }

    for (int g = 0; g < s->ngroups; g++) {
        sb_gstat *x = &st[g];
        if (isfinite(x->q_chance)) {
            double d = x->higher ? x->test.mean - x->chance : x->chance - x->test.mean;
            x->above_chance = x->q_chance <= SB_VERDICT_ALPHA && d > 0;
        }
        if (x->has_dtest) x->v_test = sb_verdict_of(&x->dtest, x->q_test, x->higher);
        if (x->has_dtl) x->v_tl = sb_verdict_of(&x->dtl, x->q_tl, x->higher);
    }
    /* each task learned or not: some configuration above chance */
    for (int g = 0; g < s->ngroups; g++) {
        int any = 0, tested = 0;
        for (int h = 0; h < s->ngroups; h++)
            if (!strcmp(s->groups[h].task, s->groups[g].task) && st[h].above_chance >= 0) {
                tested = 1;
                any |= st[h].above_chance;
            }
        st[g].learned = tested ? any : -1;
    }
    for (int g = 0; g < s->ngroups; g++) {
        sb_gstat *x = &st[g];
        const fcmp *c = &fc[g];
        x->by = -1;
        if (!has_result(x)) x->cls = SB_F_NO_RESULT;
        else if (x->learned == 0) x->cls = SB_F_NOT_LEARNED;
        else if (x->above_chance == 0) x->cls = SB_F_CHANCE;
        else {
            /* dominated: the best no larger one (or the best cheaper) significantly better */
            int dle = c->has_le && sb_verdict_of(&c->tle, c->qle, x->higher) == SB_V_WORSE;
            int dlt = c->has_lt && sb_verdict_of(&c->tlt, c->qlt, x->higher) == SB_V_WORSE;
            if (dle || dlt) {
                x->cls = SB_F_DOMINATED;
                x->by = dle ? c->le : c->lt;
            } else if (c->lt < 0 || (c->has_lt && sb_verdict_of(&c->tlt, c->qlt, x->higher) == SB_V_BETTER)) {
                x->cls = SB_F_FRONTIER;
            } else {
                x->cls = SB_F_TIE;
                x->by = c->lt;
            }
        }
    }
    free(fc);
    return f.n;
}

const char *sb_verdict_class_name(int cls)
{
    static const char *const names[] = { "no result", "not learned", "at chance", "frontier", "tie", "dominated" };
    return cls >= 0 && cls < (int)(sizeof names / sizeof names[0]) ? names[cls] : "?";
}
