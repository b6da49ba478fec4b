/*
** stats.h: the statistics behind reports and the gate: summaries with
** confidence intervals over seeds, the paired t-test across seeds, Welch's
** t-test over independent repetitions, two one-sided tests of equivalence,
** Holm's adjustment for many tests. Distribution functions come from GSL
** (gsl_cdf_*).
*/
#ifndef SB_STATS_H
#define SB_STATS_H

/* A sample's n, mean, standard deviation (n - 1 denominator), standard error
** and the two-sided confidence interval of the mean from Student's t. */
typedef struct {
    int n;
    double mean, sd, se, lo, hi;
} sb_summary;

/* Summarise x[0..n) at confidence level (0.95 for a 95% interval). With n = 1
** the sd, se and interval are NAN; with n = 0 everything is. Returns 0, or -1
** when n < 1 or level is outside (0, 1). */
int sb_stats_summary(const double *x, int n, double level, sb_summary *s);

/* Mean, and sample standard deviation (NAN below 2 values). */
double sb_stats_mean(const double *x, int n);
double sb_stats_sd(const double *x, int n);

/* Median of x[0..n) (x is not changed; NAN when n = 0). */
double sb_stats_median(const double *x, int n);

/* Geometric mean of positive values (NAN when n = 0 or a value is not > 0). */
double sb_stats_geomean(const double *x, int n);

/* Student's t quantile: the t with P(T <= t) = p for df degrees of freedom. */
double sb_stats_t_quantile(double p, double df);

/* Paired t-test of b against a: differences d = b - a over n pairs. */
typedef struct {
    int n;
    double mean, sd;            /* of the differences */
    double t, df;
    double p_two;               /* two-sided p */
    double p_greater, p_less;   /* one-sided: b > a, b < a */
    double lo, hi;              /* confidence interval of the mean difference */
} sb_ttest;

/* Run the paired test at confidence level (for lo, hi). When every difference
** is equal (sd = 0) the test is degenerate: p = 1 when they are all zero, 0
** (certain) otherwise. Returns 0, or -1 when n < 2. */
int sb_stats_paired_t(const double *a, const double *b, int n, double level, sb_ttest *r);

/* P(T > t) for Student's t with df degrees of freedom (t may be infinite; NAN
** when df <= 0). */
double sb_stats_t_sf(double t, double df);

/* Two one-sided tests of equivalence (Schuirmann 1987): the p that an
** estimate est with standard error se and df degrees of freedom lies inside
** (-bound, bound): the larger p of the tests of est > -bound and est < bound.
** With se = 0: 0 inside, 1 outside. NAN when bound <= 0 or est, se are NAN. */
double sb_stats_tost(double est, double se, double df, double bound);

#endif
