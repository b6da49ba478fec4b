/*
** stats.c: summaries, the paired t-test and the Mann-Whitney U test (see
** stats.h). Student's t and the normal distribution come from GSL. GSL has no
** rank tests, and Debian ships no C library that does, so the Mann-Whitney U
** statistic, its exact null distribution and its normal approximation are
** written here, following R's wilcox.test (checked against values enumerated
** independently in tests/test_stats.c).
*/
#include "stats.h"
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
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

double sb_stats_mwu_min_p(int nx, int ny)
{
    quiet_gsl();
    if (nx < 1 || ny < 1) return 1;
    return 1 / gsl_sf_choose((unsigned)(nx + ny), (unsigned)nx);
}

/* The exact null distribution of U for samples of m and n values without ties:
** counts c(m, n, u) of the C(m+n, m) equally likely arrangements with U = u,
** from c(m, n, u) = c(m-1, n, u-n) + c(m, n-1, u) (Mann & Whitney 1947).
** Returns P(U >= u) and P(U <= u) through the pointers; -1 when out of memory. */
static int mwu_exact(int m, int n, double u, double *p_ge, double *p_le)
{
    int umax = m * n;
    /* layer[j] holds c(i, j, .) for the current i, each of umax + 1 counts */
    double *cur = calloc((size_t)(n + 1) * (size_t)(umax + 1), sizeof *cur);
    double *prev = calloc((size_t)(n + 1) * (size_t)(umax + 1), sizeof *prev);
    if (!cur || !prev) {
        free(cur);
        free(prev);
        return -1;
    }
    size_t w = (size_t)umax + 1;
    for (int j = 0; j <= n; j++) prev[j * w] = 1;   /* c(0, j, 0) = 1 */
    for (int i = 1; i <= m; i++) {
        memset(cur, 0, sizeof *cur * (size_t)(n + 1) * w);
        cur[0] = 1;                                  /* c(i, 0, 0) = 1 */
        for (int j = 1; j <= n; j++)
            for (int k = 0; k <= i * j; k++)
                cur[j * w + k] = (k >= j ? prev[j * w + k - j] : 0) + cur[(j - 1) * w + k];
        double *t = prev;
        prev = cur;
        cur = t;
    }
    double total = 0, ge = 0, le = 0;
    for (int k = 0; k <= umax; k++) {
        double c = prev[n * w + k];
        total += c;
        if (k >= u - 1e-9) ge += c;
        if (k <= u + 1e-9) le += c;
    }
    *p_ge = ge / total;
    *p_le = le / total;
    free(cur);
    free(prev);
    return 0;
}

typedef struct {
    double v;
    int from_y;
} tagged;

static int cmp_tagged(const void *a, const void *b)
{
    return cmp_double(&((const tagged *)a)->v, &((const tagged *)b)->v);
}

int sb_stats_mann_whitney(const double *x, int nx, const double *y, int ny, sb_mwu *r)
{
    memset(r, 0, sizeof *r);
    r->nx = nx;
    r->ny = ny;
    r->p_two = r->p_greater = r->p_less = NAN;
    if (nx < 1 || ny < 1) return -1;
    quiet_gsl();
    int N = nx + ny;
    tagged *all = malloc(sizeof *all * (size_t)N);
    if (!all) return -1;
    for (int i = 0; i < nx; i++) all[i] = (tagged){ x[i], 0 };
    for (int j = 0; j < ny; j++) all[nx + j] = (tagged){ y[j], 1 };
    for (int i = 0; i < N; i++)
        if (!isfinite(all[i].v)) {
            free(all);
            return -1;
        }
    qsort(all, (size_t)N, sizeof *all, cmp_tagged);
    /* Mid-ranks; the sum of y's ranks gives U_y = R_y - ny (ny + 1) / 2. */
    double rank_y = 0, ties = 0; /* ties: sum over tie groups of t^3 - t */
    for (int i = 0; i < N;) {
        int j = i;
        while (j < N && all[j].v == all[i].v) j++;
        double mid = (i + 1 + j) / 2.0, t = j - i;
        for (int k = i; k < j; k++)
            if (all[k].from_y) rank_y += mid;
        ties += t * t * t - t;
        i = j;
    }
    free(all);
    r->u = rank_y - ny * (ny + 1) / 2.0;
    if (ties == 0 && nx <= 20 && ny <= 20) {
        /* U of y counts the pairs it wins: the arrangement count c(ny, nx, u). */
        if (mwu_exact(ny, nx, r->u, &r->p_greater, &r->p_less)) return -1;
        r->exact = 1;
    } else {
        double mu = nx * (double)ny / 2;
        double var = nx * (double)ny / 12 * ((N + 1) - ties / ((double)N * (N - 1)));
        double sd = sqrt(var);
        if (sd == 0) { /* every value equal */
            r->p_greater = r->p_less = 1;
        } else {
            double d = r->u - mu;
            r->z = d / sd;
            r->p_greater = gsl_cdf_ugaussian_Q((d - 0.5) / sd);
            r->p_less = gsl_cdf_ugaussian_P((d + 0.5) / sd);
        }
    }
    double m = r->p_greater < r->p_less ? r->p_greater : r->p_less;
    r->p_two = 2 * m > 1 ? 1 : 2 * m;
    return 0;
}
