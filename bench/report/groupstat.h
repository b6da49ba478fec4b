/*
** groupstat.h: the report's statistics of one configuration (a group of the
** run set: one run per seed): test and test_long as mean and 95% confidence
** interval over seeds, their change against the same configuration without
** sharing (paired by seed), parameters, speed, the memory of a training step
** and the longest sequence within the report's memory budget; and the
** quality-per-parameter frontier of a task's configurations.
*/
#ifndef SB_GROUPSTAT_H
#define SB_GROUPSTAT_H

#include "results/runset.h"
#include "stats/stats.h"

typedef struct {
    int nfin;                      /* finished runs (seeds) */
    int ndiv;                      /* diverged runs, at steps div_lo to div_hi */
    long div_lo, div_hi;
    double params, params_every;
    sb_summary test, test_long;
    double train_tps, infer_tps, decode_tps, step_bytes, bytes[5], rss, calib;
    int none;                      /* index of the group it is compared with, -1 */
    int has_dtest, has_dtl;
    sb_ttest dtest, dtl;           /* this - none, paired by seed */
    int higher;                    /* 1 when higher test is better */
    long longest;                  /* at the budget, 0: not even T = 1; -1 unknown */
    char mode[160];                /* the label without the task */
} sb_gstat;

/* The statistics of group g of s, the longest sequence at budget bytes. */
void sb_gstat_of(const sb_runset *s, int g, double budget, sb_gstat *st);

/* The configurations idx[0..n) of a task (st indexed by group) by unique
** parameters ascending, ties in their order, into order; front[i] 1 when
** order[i] is on the quality-per-parameter frontier: a test mean better than
** that of every configuration before it (one without a finished run, all of
** whose runs diverged or failed, is on no frontier). */
void sb_gstat_frontier(const sb_gstat *st, const int *idx, int n, int *order, char *front);

#endif
