/*
** bounded.c: the logit interval of a [0, 1] metric over seeds and the log
** interval of a positive one (bounded.h).
*/
#include "bounded.h"
#include <math.h>
#include <stdlib.h>

int sb_stats_logit_summary(const double *x, int n, double level, double eps, sb_summary *s)
{
    if (n < 1 || !(level > 0 && level < 1) || !(eps > 0 && eps < 0.5)) return -1;
    double *z = malloc(sizeof *z * (size_t)n);
    if (!z) return -1;
    for (int i = 0; i < n; i++) {
        if (!(x[i] >= 0 && x[i] <= 1)) {
            free(z);
            return -1;
        }
        double v = x[i] < eps ? eps : x[i] > 1 - eps ? 1 - eps : x[i];
        z[i] = log(v / (1 - v));
    }
    int rc = sb_stats_summary(x, n, level, s);
    sb_summary zs;
    if (!rc) rc = sb_stats_summary(z, n, level, &zs);
    free(z);
    if (rc || n < 2) return rc;
    s->lo = 1 / (1 + exp(-zs.lo));
    s->hi = 1 / (1 + exp(-zs.hi));
    if (s->mean < s->lo) s->lo = s->mean;
    if (s->mean > s->hi) s->hi = s->mean;
    return 0;
}

int sb_stats_log_summary(const double *x, int n, double level, sb_summary *s)
{
    if (n < 1 || !(level > 0 && level < 1)) return -1;
    double *z = malloc(sizeof *z * (size_t)n);
    if (!z) return -1;
    for (int i = 0; i < n; i++) {
        if (!(x[i] > 0 && isfinite(x[i]))) {
            free(z);
            return -1;
        }
        z[i] = log(x[i]);
    }
    int rc = sb_stats_summary(z, n, level, s);
    free(z);
    if (rc) return rc;
    s->mean = exp(s->mean);
    s->lo = exp(s->lo);   /* NAN stays NAN with one value */
    s->hi = exp(s->hi);
    return 0;
}
