/*
** test_stats.c: the statistics of reports and the gate against values
** computed independently of GSL and of bench/stats/stats.c. Reference values were
** obtained at development time with /usr/bin/python3 and NumPy (no SciPy):
** Student's t quantiles and CDFs from closed forms (df = 1: tan; df = 2:
** (2p-1)/sqrt(2p(1-p)) and 1/2 + t/(2 sqrt(2+t^2))) or Simpson integration of
** the t density over 200,000 intervals (df = 4; and its closed form, used for
** Welch's test with df = 4 and the equivalence tests); Holm's adjustment by
** hand, as R's p.adjust gives it.
*/
#include "testutil.h"
#include "stats/stats.h"
#include "stats/multiple.h"
#include "stats/welch.h"

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

/* Student's t survival function in closed form: df 2: 1/2 - t / (2 sqrt(2 + t^2));
** df 4: 1/2 - t (t^2 + 6) / (2 (t^2 + 4)^(3/2)) (checked by numerical integration
** of the density), independent of GSL. */
static double sf2(double t) { return 0.5 - t / (2 * sqrt(2 + t * t)); }
static double sf4(double t) { return 0.5 - t * (t * t + 6) / (2 * pow(t * t + 4, 1.5)); }

static void welch_t(void **state)
{
    (void)state;
    /* equal sizes and variances: df = 2 (n - 1) = 4 exactly; diff 2, se sqrt(2/3) */
    const double x[] = { 1, 2, 3 }, y[] = { 3, 4, 5 };
    sb_welch r;
    assert_int_equal(sb_stats_welch_t(x, 3, y, 3, &r), 0);
    assert_close(r.diff, 2, 1e-15);
    assert_close(r.se, sqrt(2.0 / 3), 1e-15);
    assert_close(r.df, 4, 1e-12);
    assert_close(r.t, 2 / sqrt(2.0 / 3), 1e-12);
    assert_close(r.p_greater, sf4(r.t), 1e-12);
    assert_close(r.p_less, 1 - sf4(r.t), 1e-12);
    assert_close(r.p_two, 2 * sf4(r.t), 1e-12);
    /* unequal variances: Satterthwaite's df from its formula */
    const double a[] = { 10, 12, 11, 13 }, b[] = { 20, 30, 25 };
    assert_int_equal(sb_stats_welch_t(a, 4, b, 3, &r), 0);
    double va = 1.6666666666666667 / 4, vb = 25.0 / 3;
    assert_close(r.df, (va + vb) * (va + vb) / (va * va / 3 + vb * vb / 2), 1e-12);
    assert_close(r.diff, 25 - 11.5, 1e-12);
    /* no spread: certain, or nothing at all */
    const double c1[] = { 5, 5, 5 }, c2[] = { 6, 6, 6 };
    assert_int_equal(sb_stats_welch_t(c1, 3, c2, 3, &r), 0);
    assert_true(r.p_greater == 0 && r.p_less == 1 && r.p_two == 0);
    assert_int_equal(sb_stats_welch_t(c1, 3, c1, 3, &r), 0);
    assert_true(r.p_two == 1);
    /* refusals: one value, a NaN */
    const double nan[] = { 1, NAN };
    assert_int_equal(sb_stats_welch_t(x, 1, y, 3, &r), -1);
    assert_int_equal(sb_stats_welch_t(nan, 2, y, 3, &r), -1);
}

static void equivalence(void **state)
{
    (void)state;
    /* estimate 0.5, se 0.2, bound 1, df 2: the larger p is the upper test's, t = 2.5 */
    assert_close(sb_stats_tost(0.5, 0.2, 2, 1), sf2(2.5), 1e-12);
    assert_close(sb_stats_tost(-0.5, 0.2, 2, 1), sf2(2.5), 1e-12);
    /* centred: both tests at t = 5 */
    assert_close(sb_stats_tost(0, 0.2, 2, 1), sf2(5), 1e-12);
    /* outside the bounds: p above 1/2 */
    assert_true(sb_stats_tost(1.2, 0.2, 2, 1) > 0.5);
    assert_close(sb_stats_t_sf(1.5, 4), sf4(1.5), 1e-12);
    /* no spread */
    assert_close(sb_stats_tost(0.5, 0, NAN, 1), 0, 0);
    assert_close(sb_stats_tost(1.5, 0, NAN, 1), 1, 0);
    assert_true(isnan(sb_stats_tost(0.5, 0.1, 2, 0)));
}

static void holm(void **state)
{
    (void)state;
    /* R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02 */
    double p[] = { 0.01, 0.04, 0.03, 0.005 };
    assert_int_equal(sb_stats_holm(p, 4, p), 4);
    assert_close(p[0], 0.03, 1e-15);
    assert_close(p[1], 0.06, 1e-15);
    assert_close(p[2], 0.06, 1e-15);
    assert_close(p[3], 0.02, 1e-15);
    /* NAN entries are not tests: the family is the other three; capped at 1 */
    double q[] = { 0.2, NAN, 0.5, 0.01 };
    assert_int_equal(sb_stats_holm(q, 4, q), 3);
    assert_close(q[3], 0.03, 1e-15);
    assert_close(q[0], 0.4, 1e-15);
    assert_close(q[2], 0.5, 1e-15);
    assert_true(isnan(q[1]));
    double one[] = { 0.6, 0.9 };
    sb_stats_holm(one, 2, one);
    assert_close(one[0], 1, 0);
    assert_close(one[1], 1, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_quantiles), cmocka_unit_test(summaries), cmocka_unit_test(paired_t),
        cmocka_unit_test(welch_t), cmocka_unit_test(equivalence), cmocka_unit_test(holm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
