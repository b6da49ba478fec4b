/*
** welch.c: Welch's unpaired t-test (welch.h), Student's t from GSL.
*/
#include "welch.h"
#include <gsl/gsl_cdf.h>
#include <math.h>

int sb_stats_welch(const double *a, int na, const double *b, int nb, double level, sb_ttest *r)
{
    if (na < 2 || nb < 2 || !(level > 0 && level < 1)) return -1;
    double ma = sb_stats_mean(a, na), mb = sb_stats_mean(b, nb);
    double va = pow(sb_stats_sd(a, na), 2) / na, vb = pow(sb_stats_sd(b, nb), 2) / nb;
    double se = sqrt(va + vb);
    r->n = na < nb ? na : nb;
    r->mean = mb - ma;
    r->sd = se;
    if (!(se > 0)) {
        int same = r->mean == 0;
        r->t = same ? 0 : copysign(INFINITY, r->mean);
        r->df = na + nb - 2;
        r->p_two = same ? 1 : 0;
        r->p_greater = same ? 1 : r->mean > 0 ? 0 : 1;
        r->p_less = same ? 1 : r->mean < 0 ? 0 : 1;
        r->lo = r->hi = r->mean;
        return 0;
    }
    r->df = (va + vb) * (va + vb) / (va * va / (na - 1) + vb * vb / (nb - 1));
    r->t = r->mean / se;
    r->p_greater = gsl_cdf_tdist_Q(r->t, r->df);
    r->p_less = gsl_cdf_tdist_P(r->t, r->df);
    r->p_two = 2 * (r->p_greater < r->p_less ? r->p_greater : r->p_less);
    if (r->p_two > 1) r->p_two = 1;
    double q = sb_stats_t_quantile(0.5 + level / 2, r->df);
    r->lo = r->mean - q * se;
    r->hi = r->mean + q * se;
    return 0;
}
