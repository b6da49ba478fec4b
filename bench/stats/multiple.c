/*
** multiple.c: Benjamini-Hochberg and Holm adjusted p-values (multiple.h),
** as R's p.adjust computes them: one pass over the sorted p-values (checked
** in tests/test_stats_report.c against the definitions, enumerated).
*/
#include "multiple.h"
#include <math.h>
#include <stdlib.h>

typedef struct {
    double p;
    int i;
} item;

static int by_p(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? -1 : 1;
    return x->i - y->i;
}

/* The finite p of p[0..n) sorted ascending, into *out (free it); their count.
** Where p is not finite, q is NaN (q may be p). */
static int sorted(const double *p, int n, double *q, item **out)
{
    item *v = malloc(sizeof *v * (size_t)(n + 1));
    if (!v) return -1;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(p[i])) v[m++] = (item){ p[i], i };
        else q[i] = NAN;
    qsort(v, (size_t)m, sizeof *v, by_p);
    *out = v;
    return m;
}

int sb_stats_bh(const double *p, int n, double *q)
{
    item *v;
    int m = sorted(p, n, q, &v);
    if (m < 0) return -1;
    /* from the largest p down: the running minimum of m p_(j) / j */
    double run = 1;
    for (int j = m; j >= 1; j--) {
        double a = v[j - 1].p * m / j;
        if (a < run) run = a;
        q[v[j - 1].i] = run;
    }
    free(v);
    return m;
}

int sb_stats_holm(const double *p, int n, double *q)
{
    item *v;
    int m = sorted(p, n, q, &v);
    if (m < 0) return -1;
    /* from the smallest p up: the running maximum of (m - j + 1) p_(j), at most 1 */
    double run = 0;
    for (int j = 1; j <= m; j++) {
        double a = v[j - 1].p * (m - j + 1);
        if (a > run) run = a;
        q[v[j - 1].i] = run < 1 ? run : 1;
    }
    free(v);
    return m;
}
