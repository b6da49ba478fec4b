/*
** test_stats.c: the statistics of reports and the gate against values
** computed independently of GSL and of bench/stats/stats.c. Reference values were
** obtained at development time with /usr/bin/python3 and NumPy (no SciPy):
** Student's t quantiles and CDFs from closed forms (df = 1: tan; df = 2:
** (2p-1)/sqrt(2p(1-p)) and 1/2 + t/(2 sqrt(2+t^2))) or Simpson integration of
** the t density over 200,000 intervals (df = 4); Mann-Whitney exact p-values by
** enumerating every assignment of the pooled values to the two samples
** (itertools.combinations); the normal approximation from its textbook formula
** with mid-ranks from numpy.searchsorted and math.erfc.
*/
#include "testutil.h"
#include "stats/stats.h"

static void t_quantiles(void **state)
{
    (void)state;
    /* df = 2, p = 0.975: (2p - 1) / sqrt(2p(1 - p)) */
    assert_close(sb_stats_t_quantile(0.975, 2), 4.302652729749464, 1e-10);
    /* df = 1 (Cauchy): tan(pi (p - 1/2)) */
    assert_close(sb_stats_t_quantile(0.975, 1), 12.706204736174696, 1e-10);
    /* df = 4 by bisection on the Simpson-integrated CDF */
    assert_close(sb_stats_t_quantile(0.975, 4), 2.7764451052, 1e-9);
    assert_close(sb_stats_t_quantile(0.5, 7), 0, 1e-12);
    assert_true(isnan(sb_stats_t_quantile(0, 3)));
    assert_true(isnan(sb_stats_t_quantile(0.9, 0)));
}

static void summaries(void **state)
{
    (void)state;
    const double x[] = { 0.40, 0.44, 0.47 };
    sb_summary s;
    assert_int_equal(sb_stats_summary(x, 3, 0.95, &s), 0);
    assert_int_equal(s.n, 3);
    assert_close(s.mean, 0.4366666666666667, 1e-14);
    assert_close(s.sd, 0.035118845842842437, 1e-13);
    assert_close(s.lo, 0.34942661731531544, 1e-12);
    assert_close(s.hi, 0.52390671601801797, 1e-12);
    /* one value: a mean, no interval */
    assert_int_equal(sb_stats_summary(x, 1, 0.95, &s), 0);
    assert_close(s.mean, 0.40, 1e-15);
    assert_true(isnan(s.sd) && isnan(s.lo) && isnan(s.hi));
    assert_int_equal(sb_stats_summary(x, 0, 0.95, &s), -1);
    assert_int_equal(sb_stats_summary(x, 3, 1.5, &s), -1);

    const double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 };
    assert_close(sb_stats_median(odd, 3), 3, 0);
    assert_close(sb_stats_median(even, 4), 2.5, 0);
    assert_close(odd[0], 5, 0); /* not sorted in place */
    const double g[] = { 1.1, 0.9, 1.25 };
    assert_close(sb_stats_geomean(g, 3), 1.0736145845094707, 1e-14);
    const double bad[] = { 1, 0 };
    assert_true(isnan(sb_stats_geomean(bad, 2)));
}

static void paired_t(void **state)
{
    (void)state;
    /* five seeds of a baseline (a) and a candidate (b) */
    const double a[] = { 0.61, 0.58, 0.64, 0.60, 0.63 }, b[] = { 0.55, 0.57, 0.58, 0.52, 0.60 };
    sb_ttest r;
    assert_int_equal(sb_stats_paired_t(a, b, 5, 0.95, &r), 0);
    assert_close(r.mean, -0.048, 1e-13);
    assert_close(r.sd, 0.027748873851023197, 1e-12);
    assert_close(r.t, -3.8679502273218285, 1e-11);
    assert_close(r.df, 4, 0);
    assert_close(r.p_less, 0.00901243783879, 1e-9);
    assert_close(r.p_two, 0.0180248756776, 1e-9);
    assert_close(r.p_greater, 1 - 0.00901243783879, 1e-9);
    assert_close(r.lo, -0.08245477765151324, 1e-9);
    assert_close(r.hi, -0.01354522234848677, 1e-9);
    /* swapping the samples mirrors the test */
    sb_ttest m;
    sb_stats_paired_t(b, a, 5, 0.95, &m);
    assert_close(m.t, 3.8679502273218285, 1e-11);
    assert_close(m.p_greater, r.p_less, 1e-14);
    /* identical samples: no difference, p = 1 */
    assert_int_equal(sb_stats_paired_t(a, a, 5, 0.95, &r), 0);
    assert_close(r.p_two, 1, 0);
    assert_close(r.mean, 0, 0);
    /* a constant shift without noise: certain */
    const double c[] = { 0.51, 0.48, 0.54, 0.50, 0.53 };
    assert_int_equal(sb_stats_paired_t(a, c, 5, 0.95, &r), 0);
    assert_true(r.p_two < 1e-12 && r.p_less < 1e-12 && r.p_greater == 1);
    /* one pair: no test */
    assert_int_equal(sb_stats_paired_t(a, b, 1, 0.95, &r), -1);
}

static void mann_whitney_exact(void **state)
{
    (void)state;
    /* enumeration of all C(11, 6) = 462 assignments: U_y = 26, P(U >= 26) = 12/462 */
    const double x[] = { 1.1, 2.3, 0.7, 1.9, 3.0 }, y[] = { 2.8, 3.4, 2.2, 4.1, 3.9, 2.6 };
    sb_mwu r;
    assert_int_equal(sb_stats_mann_whitney(x, 5, y, 6, &r), 0);
    assert_true(r.exact);
    assert_close(r.u, 26, 0);
    assert_close(r.p_greater, 0.025974025974025976, 1e-13);
    assert_close(r.p_less, 0.9848484848484849, 1e-13);
    assert_close(r.p_two, 2 * 0.025974025974025976, 1e-13);
    /* the other way round */
    assert_int_equal(sb_stats_mann_whitney(y, 6, x, 5, &r), 0);
    assert_close(r.u, 4, 0);
    assert_close(r.p_less, 0.025974025974025976, 1e-13);
    /* separated samples of three: the smallest p there is, 1/C(6,3) = 0.05 */
    const double x2[] = { 10, 11, 12 }, y2[] = { 13, 14, 15 };
    assert_int_equal(sb_stats_mann_whitney(x2, 3, y2, 3, &r), 0);
    assert_close(r.u, 9, 0);
    assert_close(r.p_greater, 0.05, 1e-14);
    assert_close(sb_stats_mwu_min_p(3, 3), 0.05, 1e-14);
    assert_close(sb_stats_mwu_min_p(9, 9), 2.0567667626491154e-05, 1e-12);
    assert_close(sb_stats_mwu_min_p(2, 2), 1.0 / 6, 1e-14);
}

static void mann_whitney_normal(void **state)
{
    (void)state;
    /* 22 values each, with ties: the normal approximation (tie-corrected variance,
    ** continuity correction), as R's wilcox.test(exact = FALSE, correct = TRUE). */
    const double x[] = { 1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 7, 8, 8, 9, 10, 10, 11, 12, 12, 13, 14, 15 };
    const double y[] = { 3, 5, 6, 6, 7, 8, 9, 9, 10, 11, 12, 13, 13, 14, 15, 15, 16, 17, 18, 19, 20, 21 };
    sb_mwu r;
    assert_int_equal(sb_stats_mann_whitney(x, 22, y, 22, &r), 0);
    assert_false(r.exact);
    assert_close(r.u, 365, 0);
    assert_close(r.z, 2.8918240860453177, 1e-12);
    assert_close(r.p_greater, 0.0019879426030667063, 1e-10);
    assert_close(r.p_less, 0.99815538335076404, 1e-10);
    assert_close(r.p_two, 2 * 0.0019879426030667063, 1e-10);
    /* all equal: nothing to tell apart */
    const double e[] = { 2, 2, 2, 2 };
    assert_int_equal(sb_stats_mann_whitney(e, 4, e, 4, &r), 0);
    assert_close(r.p_two, 1, 0);
    /* refusals */
    const double nan[] = { 1, NAN };
    assert_int_equal(sb_stats_mann_whitney(x, 0, y, 3, &r), -1);
    assert_int_equal(sb_stats_mann_whitney(nan, 2, y, 3, &r), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_quantiles), cmocka_unit_test(summaries), cmocka_unit_test(paired_t),
        cmocka_unit_test(mann_whitney_exact), cmocka_unit_test(mann_whitney_normal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
