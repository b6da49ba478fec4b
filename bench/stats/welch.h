/*
** welch.h: Welch's t-test of two independent samples (unequal variances,
** Welch-Satterthwaite degrees of freedom; Welch 1947, "The generalization of
** 'Student's' problem when several different population variances are
** involved", Biometrika 34:28-35), for comparisons whose runs cannot be
** paired by seed.
*/
#ifndef SB_STATS_WELCH_H
#define SB_STATS_WELCH_H

#include "stats.h"

/* The test of y against x, as the gate reads it. */
typedef struct {
    int nx, ny;
    double diff;                /* mean y - mean x */
    double se, t, df;
    double p_two;               /* two-sided p */
    double p_greater, p_less;   /* one-sided: y > x, y < x */
} sb_welch;

/* Run the test. When neither sample varies the test is degenerate: p = 1 for
** equal means, 0 (certain) otherwise, df NAN. Returns 0, or -1 when a sample
** holds fewer than 2 values or a non-finite one. */
int sb_stats_welch_t(const double *x, int nx, const double *y, int ny, sb_welch *r);

/* The same test with an interval, as the report reads it (sb_ttest's
** fields, as a paired test's): r->mean is mean(b) - mean(a), r->sd the difference's
** standard error, lo and hi its interval at level, p as sb_ttest's (n: the
** smaller sample). When both variances are 0 the test is degenerate: p = 1
** for equal means, 0 otherwise. Returns 0, or -1 when a sample has fewer than
** 2 values. */
int sb_stats_welch(const double *a, int na, const double *b, int nb, double level, sb_ttest *r);

#endif
