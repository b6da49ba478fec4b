/*
** groupstat.h: the report's statistics of one configuration (a group of the
** run set: one run per seed): test and test_long as mean and 95% confidence
** interval over seeds (on the logit scale for metrics in [0, 1]), their change
** against the same configuration without sharing (paired by seed), parameters,
** speed with its interval over seeds, the memory of a training step and the
** longest sequence within the report's memory budget; the verdicts
** (verdicts.h) fill in what needs every configuration at once.
*/
#ifndef SB_GROUPSTAT_H
#define SB_GROUPSTAT_H

#include "results/runset.h"
#include "stats/stats.h"

/* Where a configuration stands on its task's quality-per-parameter frontier
** (verdicts.h says how each is decided). */
enum {
    SB_F_NO_RESULT,                /* no finished run with a test result */
    SB_F_NOT_LEARNED,              /* its task is at chance everywhere */
    SB_F_CHANCE,                   /* not above chance with confidence */
    SB_F_FRONTIER,                 /* significantly better than every cheaper one */
    SB_F_TIE,                      /* not significantly better than a cheaper one */
    SB_F_DOMINATED,                /* one with no more parameters is significantly better */
};

/* A comparison's verdict after the report's multiplicity control. */
enum { SB_V_UNTESTED, SB_V_TIE, SB_V_BETTER, SB_V_WORSE };

typedef struct {
    int nfin;                      /* finished runs (seeds) */
    int ndiv;                      /* diverged runs, at steps div_lo to div_hi */
    long div_lo, div_hi;
    double params, params_every;
    sb_summary test, test_long;    /* logit intervals when bounded */
    int bounded;                   /* the metric lies in [0, 1] (accuracy, exact) */
    double test_se;                /* the test split's standard error (mean over seeds; NAN unknown) */
    sb_summary train, infer, decode; /* tokens per second over the runs no other process slowed (geometric mean, log interval) */
    int contended[3];              /* train, infer, decode: every run was slowed, so the summary is of slowed runs */
    int timed[3];                  /* train, infer, decode: from the timing runs of the sweep's speed pass */
    double step_bytes, bytes[5], rss, calib;
    int none;                      /* index of the group it is compared with, -1 */
    int has_dtest, has_dtl;
    sb_ttest dtest, dtl;           /* this - none, paired by seed */
    int higher;                    /* 1 when higher test is better */
    double chance;                 /* the task's stated chance level, NAN unknown */
    /* filled by sb_verdicts (verdicts.h) */
    double p_chance, q_chance;     /* one-sided p (and adjusted) of test beyond chance */
    int above_chance;              /* 1 yes with confidence, 0 not shown, -1 not tested */
    double q_test, q_tl;           /* adjusted p of dtest, dtl (NAN: untested) */
    int v_test, v_tl;              /* SB_V_* of dtest, dtl */
    int learned;                   /* its task: 1 some configuration above chance, 0 none, -1 unknown */
    int cls, by;                   /* SB_F_*, the configuration it ties with or is dominated by (-1) */
    long longest;                  /* at the budget, 0: not even T = 1; -1 unknown */
    char mode[160];                /* the label without the task */
} sb_gstat;

/* The statistics of group g of s, the longest sequence at budget bytes. */
void sb_gstat_of(const sb_runset *s, int g, double budget, sb_gstat *st);

/* The configurations idx[0..n) of a task (st indexed by group) by unique
** parameters ascending, ties in their order, into order. */
void sb_gstat_by_params(const sb_gstat *st, const int *idx, int n, int *order);

#endif
