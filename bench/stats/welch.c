/*
** welch.c: Welch's unpaired t-test (welch.h); Student's t from GSL (stats.c).
*/
#include "welch.h"
#include <string.h>
#include <math.h>

int sb_stats_welch_t(const double *x, int nx, const double *y, int ny, sb_welch *r)
{
    memset(r, 0, sizeof *r);
    r->nx = nx;
    r->ny = ny;
    r->p_two = r->p_greater = r->p_less = r->df = NAN;
    if (nx < 2 || ny < 2) return -1;
    for (int i = 0; i < nx; i++)
        if (!isfinite(x[i])) return -1;
    for (int i = 0; i < ny; i++)
        if (!isfinite(y[i])) return -1;
    double vx = sb_stats_sd(x, nx), vy = sb_stats_sd(y, ny);
    vx = vx * vx / nx;
    vy = vy * vy / ny;
    r->diff = sb_stats_mean(y, ny) - sb_stats_mean(x, nx);
    r->se = sqrt(vx + vy);
    if (r->se == 0) {
        /* no spread on either side: the difference is certain (as sb_stats_paired_t) */
        r->t = r->diff == 0 ? 0 : copysign(INFINITY, r->diff);
        r->p_greater = r->diff > 0 ? 0 : 1;
        r->p_less = r->diff < 0 ? 0 : 1;
        r->p_two = r->diff == 0 ? 1 : 0;
        return 0;
    }
    /* Welch-Satterthwaite degrees of freedom */
    r->df = (vx + vy) * (vx + vy) / (vx * vx / (nx - 1) + vy * vy / (ny - 1));
    r->t = r->diff / r->se;
    r->p_greater = sb_stats_t_sf(r->t, r->df);
    r->p_less = sb_stats_t_sf(-r->t, r->df);
    double m = r->p_greater < r->p_less ? r->p_greater : r->p_less;
    r->p_two = 2 * m > 1 ? 1 : 2 * m;
    return 0;
}

int sb_stats_welch(const double *a, int na, const double *b, int nb, double level, sb_ttest *r)
{
    sb_welch w;
    if (!(level > 0 && level < 1) || sb_stats_welch_t(a, na, b, nb, &w)) return -1;
    r->n = na < nb ? na : nb;
    r->mean = w.diff;
    r->sd = w.se;
    r->t = w.t;
    r->df = w.se > 0 ? w.df : na + nb - 2;
    r->p_two = w.p_two;
    r->p_greater = w.p_greater;
    r->p_less = w.p_less;
    double q = w.se > 0 ? sb_stats_t_quantile(0.5 + level / 2, w.df) : 0;
    r->lo = w.diff - q * w.se;
    r->hi = w.diff + q * w.se;
    return 0;
}
