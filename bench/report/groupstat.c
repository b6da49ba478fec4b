/*
** groupstat.c: the statistics of a configuration and a task's frontier
** (groupstat.h), what the report's tables, figures and summary show.
*/
#include "groupstat.h"
#include "budget.h"
#include "stats/bounded.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Labels are cut to fit their buffers when too long, so GCC's warnings about
** possible truncation do not apply here. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* metric of g against metric of its none group, paired by seed. */
static int paired(const sb_runset *s, const sb_rs_group *g, const sb_rs_group *none, sb_metric_id m, sb_ttest *t)
{
    double a[256], b[256];
    int n = sb_rs_pairs(s, none, g, sb_metric_key(m), a, b, 256);
    return sb_stats_paired_t(a, b, n, 0.95, t) == 0;
}

/* A metric's summary over seeds: the logit interval when it lies in [0, 1]
** (values at the bounds moved in by half an example of the test split). */
static void summarise(int bounded, const sb_rs_run *r, const double *x, int n, sb_summary *s)
{
    memset(s, 0, sizeof *s);
    if (bounded) {
        const char *te = r ? sb_rs_param(r, "test_examples") : NULL;
        double m = te ? atof(te) : 0;
        if (!sb_stats_logit_summary(x, n, 0.95, m >= 2 ? 0.5 / m : 1e-3, s)) return;
    }
    sb_stats_summary(x, n, 0.95, s);
}

/* A speed on the log scale (geometric mean and an interval that stays
** positive). Runs no other process slowed count first (flag: the run's
** contention metric, 1 when it was slowed; older records have none and count
** as clean): the group's timing runs of the sweep's speed pass (*timed: 1),
** else its own runs, the seeds being the repetitions. When every run was
** slowed, the timing runs still go first (they ran alone), and *contended
** says so: a figure to show, not to trust. */
static void speed(const sb_runset *s, const sb_rs_group *g, sb_metric_id m, sb_metric_id flag, sb_summary *out, int *contended,
                  int *timed)
{
    /* [timing runs, runs] x [clean, all] */
    double x[2][2][256];
    int n[2][2] = { { 0, 0 }, { 0, 0 } };
    memset(out, 0, sizeof *out);
    out->mean = out->lo = out->hi = NAN;
    for (int from = 0; from < 2; from++) {
        int nr = from ? g->nrun : g->ntiming;
        for (int k = 0; k < nr && n[from][1] < 256; k++) {
            const sb_rs_run *r = from ? &s->runs[g->run[k]] : &s->speed[g->timing[k]];
            double v = sb_rs_metric(r, m);
            if (!sb_rs_finished(r) || !isfinite(v)) continue;
            x[from][1][n[from][1]++] = v;
            if (!(sb_rs_metric(r, flag) > 0)) x[from][0][n[from][0]++] = v;
        }
    }
    static const int order[4][2] = { { 0, 0 }, { 1, 0 }, { 0, 1 }, { 1, 1 } };
    for (int i = 0; i < 4; i++) {
        int from = order[i][0], all = order[i][1];
        if (!n[from][all]) continue;
        *timed = from == 0;
        *contended = all;
        sb_stats_log_summary(x[from][all], n[from][all], 0.95, out);
        return;
    }
    *timed = *contended = 0;
}

void sb_gstat_of(const sb_runset *s, int gi, double budget, sb_gstat *st)
{
    const sb_rs_group *g = &s->groups[gi];
    double t[256], tl[256];
    int nt = 0, ntl = 0;
    memset(st, 0, sizeof *st);
    st->none = -1;
    st->longest = -1;
    const sb_rs_run *first = NULL;
    for (int k = 0; k < g->nrun; k++) {
        const sb_rs_run *r = &s->runs[g->run[k]];
        if (!strcmp(r->status, "diverged")) {
            if (!st->ndiv++ || r->diverged_step < st->div_lo) st->div_lo = r->diverged_step;
            if (st->ndiv == 1 || r->diverged_step > st->div_hi) st->div_hi = r->diverged_step;
        }
        if (!sb_rs_finished(r)) continue;
        if (!first) first = r;
        st->nfin++;
        if (isfinite(sb_rs_metric(r, SB_M_TEST)) && nt < 256) t[nt++] = sb_rs_metric(r, SB_M_TEST);
        if (isfinite(sb_rs_metric(r, SB_M_TEST_LONG)) && ntl < 256) tl[ntl++] = sb_rs_metric(r, SB_M_TEST_LONG);
    }
    const char *metric = first ? sb_rs_param(first, "metric") : NULL;
    st->bounded = metric && (!strcmp(metric, "accuracy") || !strcmp(metric, "exact"));
    summarise(st->bounded, first, t, nt, &st->test);
    summarise(st->bounded, first, tl, ntl, &st->test_long);
    st->test_se = sb_rs_group_mean(s, g, SB_M_TEST_STDERR);
    st->chance = first ? sb_rs_metric(first, SB_M_CHANCE) : NAN;
    st->p_chance = st->q_chance = st->q_test = st->q_tl = NAN;
    st->above_chance = st->learned = -1;
    st->by = -1;
    speed(s, g, SB_M_TRAIN_TOKENS_PER_S, SB_M_CONTENDED, &st->train, &st->contended[0], &st->timed[0]);
    speed(s, g, SB_M_INFER_TOKENS_PER_S, SB_M_INFER_CONTENDED, &st->infer, &st->contended[1], &st->timed[1]);
    speed(s, g, SB_M_DECODE_TOKENS_PER_S, SB_M_INFER_CONTENDED, &st->decode, &st->contended[2], &st->timed[2]);
    st->params = sb_rs_group_mean(s, g, SB_M_PARAMS_UNIQUE);
    st->params_every = sb_rs_group_mean(s, g, SB_M_PARAMS_EVERY_DEPTH);
    st->rss = sb_rs_group_mean(s, g, SB_M_PEAK_RSS_BYTES);
    st->calib = sb_rs_group_mean(s, g, SB_M_CALIB_GFLOPS);
    static const sb_metric_id parts[5] = { SB_M_BYTES_PARAMS, SB_M_BYTES_GRADS, SB_M_BYTES_OPTIM, SB_M_BYTES_ACTS, SB_M_BYTES_SCRATCH };
    st->step_bytes = 0;
    for (int i = 0; i < 5; i++) {
        st->bytes[i] = sb_rs_group_mean(s, g, parts[i]);
        st->step_bytes += st->bytes[i];
    }
    st->higher = first ? sb_rs_higher_is_better(first) : 1;
    size_t tl_len = strlen(g->task);
    snprintf(st->mode, sizeof st->mode, "%s", !strncmp(g->label, g->task, tl_len) ? g->label + tl_len + 1 : g->label);
    for (int h = 0; h < s->ngroups; h++)
        if (h != gi && !strcmp(s->groups[h].task, g->task) && !strcmp(s->groups[h].sharing, "none") &&
            sb_rs_same_but_sharing(s->groups[h].config, g->config))
            st->none = h;
    if (st->none >= 0) {
        st->has_dtest = paired(s, g, &s->groups[st->none], SB_M_TEST, &st->dtest);
        st->has_dtl = paired(s, g, &s->groups[st->none], SB_M_TEST_LONG, &st->dtl);
    }
    if (first || g->nrun) {
        const sb_rs_run *r = first ? first : &s->runs[g->run[0]];
        sb_config c;
        char e[SB_ERR_LEN];
        const char *bs = sb_rs_param(r, "batch");
        if (!sb_budget_config_of(r, &c, e, sizeof e)) st->longest = sb_budget_longest(&c, bs ? atoi(bs) : 8, budget, SB_BUDGET_MAX_T, e, sizeof e);
    }
}

void sb_gstat_by_params(const sb_gstat *st, const int *idx, int n, int *order)
{
    for (int i = 0; i < n; i++) order[i] = idx[i];
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && st[order[j]].params < st[order[j - 1]].params; j--) {
            int x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
}
