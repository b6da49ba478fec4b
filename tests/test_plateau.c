/*
** test_plateau.c: the validation-loss plateau that triggers progressive
** sharing's merge with merge_on=plateau (bench/run/plateau.h): it fires after
** exactly `patience` validations in a row without a new best, a new best
** resets the count, an improvement no larger than min_delta is no new best,
** and a non-finite loss never is.
*/
#include "testutil.h"
#include "run/plateau.h"
#include <math.h>

/* The validation (1-based) at which the detector first fires over losses, or 0. */
static int fires_at(const double *losses, int n, int patience, double min_delta)
{
    sb_plateau p;
    sb_plateau_init(&p, patience, min_delta);
    for (int i = 0; i < n; i++)
        if (sb_plateau_update(&p, losses[i])) return i + 1;
    return 0;
}

static void patience_counts_validations_without_a_new_best(void **state)
{
    (void)state;
    static const double falling[] = { 3, 2.5, 2, 1.5, 1, 0.5 };
    assert_int_equal(fires_at(falling, 6, 1, 0), 0);   /* always a new best */
    static const double flat[] = { 2, 2, 2, 2, 2 };
    assert_int_equal(fires_at(flat, 5, 1, 0), 2);      /* the first sets the best; equal is no new best */
    assert_int_equal(fires_at(flat, 5, 3, 0), 4);
    static const double bumpy[] = { 3, 2, 2.1, 1.9, 2.2, 2.0, 2.3 };
    assert_int_equal(fires_at(bumpy, 7, 2, 0), 6);     /* 1.9 resets the count at the 4th; 5th and 6th are worse */
    assert_int_equal(fires_at(bumpy, 7, 3, 0), 7);
}

static void min_delta_and_non_finite(void **state)
{
    (void)state;
    static const double slow[] = { 2, 1.99, 1.98, 1.97 };
    assert_int_equal(fires_at(slow, 4, 2, 0), 0);
    assert_int_equal(fires_at(slow, 4, 2, 0.05), 3);   /* improvements of 0.01 below min_delta 0.05 */
    static const double nan_[] = { 2, NAN, INFINITY, 1 };
    assert_int_equal(fires_at(nan_, 4, 2, 0), 3);
    /* it keeps firing until a new best */
    sb_plateau p;
    sb_plateau_init(&p, 1, 0);
    assert_int_equal(sb_plateau_update(&p, 1), 0);
    assert_int_equal(sb_plateau_update(&p, 1), 1);
    assert_int_equal(sb_plateau_update(&p, 1.5), 1);
    assert_int_equal(sb_plateau_update(&p, 0.5), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(patience_counts_validations_without_a_new_best),
        cmocka_unit_test(min_delta_and_non_finite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
