/*
** test_stats_report.c: the statistics the report's verdicts use, against
** values computed independently with SciPy 1.10 (Debian's python3-scipy) at
** development time: Benjamini-Hochberg from its definition (q_i = min over
** p_j >= p_i of min(1, m p_j / rank_j), every pair enumerated), Holm from its
** definition, the logit interval from scipy.special.logit/expit and
** scipy.stats.t.ppf, the log interval from scipy.stats.gmean, Welch's test from scipy.stats.ttest_ind(equal_var=False).
*/
#include "testutil.h"
#include "stats/bounded.h"
#include "stats/multiple.h"
#include "stats/welch.h"

static void bh_holm(void **state)
{
    (void)state;
    /* ties (0.04 twice) and a p above every adjusted one */
    const double p[] = { 0.01, 0.04, 0.03, 0.005, 0.2, 0.5, 0.04, 0.9 };
    const double bh[] = { 0.04, 0.064, 0.064, 0.04, 0.26666666666666666, 0.5714285714285714, 0.064, 0.9 };
    const double holm[] = { 0.07, 0.2, 0.18, 0.04, 0.6, 1, 0.2, 1 };
    double q[8];
    assert_int_equal(sb_stats_bh(p, 8, q), 8);
    for (int i = 0; i < 8; i++) assert_close(q[i], bh[i], 1e-12);
    assert_int_equal(sb_stats_holm(p, 8, q), 8);
    for (int i = 0; i < 8; i++) assert_close(q[i], holm[i], 1e-12);
    /* BH never below the raw p, never above Holm */
    double qb[8], qh[8];
    sb_stats_bh(p, 8, qb);
    sb_stats_holm(p, 8, qh);
    for (int i = 0; i < 8; i++) assert_true(qb[i] >= p[i] && qb[i] <= qh[i] + 1e-15);
    /* a test not made is out of the family: the rest as a family of 2 */
    const double pn[] = { 0.02, NAN, 0.04 };
    double qn[3];
    assert_int_equal(sb_stats_bh(pn, 3, qn), 2);
    assert_true(isnan(qn[1]));
    assert_close(qn[0], 0.04, 1e-15);
    assert_close(qn[2], 0.04, 1e-15);
    /* in place */
    double inplace[] = { 0.01, 0.02 };
    sb_stats_bh(inplace, 2, inplace);
    assert_close(inplace[0], 0.02, 1e-15);
    assert_close(inplace[1], 0.02, 1e-15);
}

static void logit_interval(void **state)
{
    (void)state;
    sb_summary s;
    /* the case Student's t sends past 1: mean 0.743, t interval [0.16, 1.33] */
    const double x[] = { 0.55, 0.70, 0.98 };
    assert_int_equal(sb_stats_logit_summary(x, 3, 0.95, 0.5 / 256, &s), 0);
    assert_close(s.mean, 0.7433333333333333, 1e-14);
    assert_close(s.lo, 0.037329351514036845, 1e-10);
    assert_close(s.hi, 0.9985620876050605, 1e-10);
    sb_summary t;
    sb_stats_summary(x, 3, 0.95, &t);
    assert_true(t.hi > 1);
    /* values at the bound, moved in by 0.5/256 first */
    const double y[] = { 1.0, 1.0, 0.99 };
    assert_int_equal(sb_stats_logit_summary(y, 3, 0.95, 0.5 / 256, &s), 0);
    assert_close(s.lo, 0.9656227133873745, 1e-10);
    assert_close(s.hi, 0.9996788225543586, 1e-10);
    assert_true(s.lo <= s.mean && s.mean <= s.hi && s.hi <= 1);
    /* all equal: a zero-width interval at the value */
    const double e[] = { 0.5, 0.5, 0.5 };
    assert_int_equal(sb_stats_logit_summary(e, 3, 0.95, 0.01, &s), 0);
    assert_close(s.lo, 0.5, 1e-14);
    assert_close(s.hi, 0.5, 1e-14);
    /* one seed: a mean, no interval */
    assert_int_equal(sb_stats_logit_summary(x, 1, 0.95, 0.01, &s), 0);
    assert_true(isnan(s.lo) && isnan(s.hi));
    /* refusals: outside [0, 1], bad eps */
    const double bad[] = { 0.5, 1.2 };
    assert_int_equal(sb_stats_logit_summary(bad, 2, 0.95, 0.01, &s), -1);
    assert_int_equal(sb_stats_logit_summary(x, 3, 0.95, 0, &s), -1);
    assert_int_equal(sb_stats_logit_summary(x, 0, 0.95, 0.01, &s), -1);
}

static void log_interval(void **state)
{
    (void)state;
    /* scipy.stats.gmean and exp of the t interval of the logs */
    const double x[] = { 11746, 6049, 17443 };
    sb_summary s;
    assert_int_equal(sb_stats_log_summary(x, 3, 0.95, &s), 0);
    assert_close(s.mean, 10741.499698744608, 1e-12);
    assert_close(s.lo, 2842.6079264427804, 1e-10);
    assert_close(s.hi, 40589.42308041616, 1e-10);
    assert_true(s.lo > 0);
    const double bad[] = { 1, 0 };
    assert_int_equal(sb_stats_log_summary(bad, 2, 0.95, &s), -1);
}

static void welch_test(void **state)
{
    (void)state;
    const double a[] = { 0.41, 0.45, 0.43, 0.47 }, b[] = { 0.52, 0.49, 0.58 };
    sb_ttest r;
    assert_int_equal(sb_stats_welch(a, 4, b, 3, 0.95, &r), 0);
    assert_close(r.mean, 0.09, 1e-12);
    assert_close(r.t, 3.057147992190407, 1e-10);
    assert_close(r.df, 2.9541150764748734, 1e-10);
    assert_close(r.p_two, 0.05623659262241462, 1e-8);
    assert_close(r.hi - r.mean, 0.09451733771281143, 1e-8);
    assert_close(r.p_greater, 0.05623659262241462 / 2, 1e-8);
    /* no variance: equal means tie, different ones are certain */
    const double c[] = { 1, 1 }, d[] = { 2, 2 };
    assert_int_equal(sb_stats_welch(c, 2, c, 2, 0.95, &r), 0);
    assert_close(r.p_two, 1, 0);
    assert_int_equal(sb_stats_welch(c, 2, d, 2, 0.95, &r), 0);
    assert_close(r.p_two, 0, 0);
    assert_int_equal(sb_stats_welch(a, 1, b, 3, 0.95, &r), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bh_holm),
        cmocka_unit_test(logit_interval),
        cmocka_unit_test(log_interval),
        cmocka_unit_test(welch_test),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
