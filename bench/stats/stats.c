/*
** stats.c: summaries, the paired and Welch t-tests, two one-sided tests of
** equivalence and Holm's adjustment (see stats.h). Student's t comes from
** GSL; the tests are the textbook formulas around it.
*/
#include "stats.h"
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* GSL's default error handler aborts the process; every call here checks its
** arguments first, and a NAN result is better than an abort in a report. */
static void quiet_gsl(void)
{
    static int done;
    if (!done) {
        gsl_set_error_handler_off();
        done = 1;
    }
}

double sb_stats_mean(const double *x, int n)
{
    if (n < 1) return NAN;
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i];
    return s / n;
}

double sb_stats_sd(const double *x, int n)
{
    if (n < 2) return NAN;
    double m = sb_stats_mean(x, n), s = 0;
    for (int i = 0; i < n; i++) s += (x[i] - m) * (x[i] - m);
    return sqrt(s / (n - 1));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sb_stats_median(const double *x, int n)
{
    if (n < 1) return NAN;
    double *c = malloc(sizeof *c * (size_t)n);
    if (!c) return NAN;
    memcpy(c, x, sizeof *c * (size_t)n);
    qsort(c, (size_t)n, sizeof *c, cmp_double);
    double m = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    free(c);
    return m;
}

double sb_stats_geomean(const double *x, int n)
{
    if (n < 1) return NAN;
    double s = 0;
    for (int i = 0; i < n; i++) {
        if (!(x[i] > 0)) return NAN;
        s += log(x[i]);
    }
    return exp(s / n);
}

double sb_stats_t_quantile(double p, double df)
{
    quiet_gsl();
    if (!(p > 0 && p < 1) || !(df > 0)) return NAN;
    return gsl_cdf_tdist_Pinv(p, df);
}

int sb_stats_summary(const double *x, int n, double level, sb_summary *s)
{
    s->n = n;
    s->mean = s->sd = s->se = s->lo = s->hi = NAN;
    if (n < 1 || !(level > 0 && level < 1)) return -1;
    s->mean = sb_stats_mean(x, n);
    if (n < 2) return 0;
    s->sd = sb_stats_sd(x, n);
    s->se = s->sd / sqrt(n);
    double h = sb_stats_t_quantile(0.5 + level / 2, n - 1) * s->se;
    s->lo = s->mean - h;
    s->hi = s->mean + h;
    return 0;
}

int sb_stats_paired_t(const double *a, const double *b, int n, double level, sb_ttest *r)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    if (n < 2) return -1;
    quiet_gsl();
    double *d = malloc(sizeof *d * (size_t)n);
    if (!d) return -1;
    for (int i = 0; i < n; i++) d[i] = b[i] - a[i];
    r->mean = sb_stats_mean(d, n);
    r->sd = sb_stats_sd(d, n);
    free(d);
    r->df = n - 1;
    double se = r->sd / sqrt(n);
    if (se == 0) {
        /* Every pair differs by the same amount: no noise, the difference is certain. */
        r->t = r->mean == 0 ? 0 : copysign(INFINITY, r->mean);
        r->p_two = r->mean == 0 ? 1 : 0;
        r->p_greater = r->mean > 0 ? 0 : 1;
        r->p_less = r->mean < 0 ? 0 : 1;
        r->lo = r->hi = r->mean;
        return 0;
    }
    r->t = r->mean / se;
    r->p_greater = gsl_cdf_tdist_Q(r->t, r->df);
    r->p_less = gsl_cdf_tdist_P(r->t, r->df);
    r->p_two = 2 * (r->p_greater < r->p_less ? r->p_greater : r->p_less);
    if (r->p_two > 1) r->p_two = 1;
    double h = sb_stats_t_quantile(0.5 + level / 2, r->df) * se;
    r->lo = r->mean - h;
    r->hi = r->mean + h;
    return 0;
}

double sb_stats_t_sf(double t, double df)
{
    quiet_gsl();
    if (isnan(t) || !(df > 0)) return NAN;
    if (isinf(t)) return t > 0 ? 0 : 1;
    return gsl_cdf_tdist_Q(t, df);
}

double sb_stats_tost(double est, double se, double df, double bound)
{
    if (!(bound > 0) || isnan(est) || isnan(se)) return NAN;
    if (se == 0) return fabs(est) < bound ? 0 : 1;
    /* H0: est <= -bound against est > -bound, and H0: est >= bound against est < bound */
    double lo = sb_stats_t_sf((est + bound) / se, df), hi = sb_stats_t_sf((bound - est) / se, df);
    return lo > hi ? lo : hi;
}
