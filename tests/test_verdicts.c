/*
** test_verdicts.c: the report's verdicts (bench/report/verdicts.c) on runs
** whose numbers are chosen so that each class has one known answer: a
** configuration at chance, one on the frontier above a cheaper one at chance,
** the reference significantly better than both, a larger one significantly
** worse than the reference (dominated), a pair whose difference is noise (a
** tie), and a task at chance under every configuration (not learned); and
** speeds taken from the runs other processes did not slow. The runs
** are written as a baseline file (results/baseline.h), read as any set is.
*/
#include "testutil.h"
#include "report/groupstat.h"
#include "report/verdicts.h"
#include "results/source.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int nrun;

/* One configuration: three seeds with the given test values. */
static void config(FILE *f, const char *task, const char *sharing, double params, const double v[3])
{
    int first = test_baseline_config(f, &nrun, task, sharing, params, v);
    for (int id = first; id < first + 3; id++) fprintf(f, "%d,metric,test_stderr,,,,0.01\n", id);
}

/* The group of task and sharing. */
static int group(const sb_runset *s, const char *task, const char *sharing)
{
    for (int g = 0; g < s->ngroups; g++)
        if (!strcmp(s->groups[g].task, task) && !strcmp(s->groups[g].sharing, sharing)) return g;
    fail_msg("no group %s %s", task, sharing);
    return -1;
}

static void classes(void **state)
{
    (void)state;
    char dir[256], path[300], err[512];
    FILE *f = test_baseline_open(dir, sizeof dir, path, sizeof path, "verdicts");
    assert_non_null(f);
    nrun = 0;
    config(f, "t", "none", 1000, (const double[]){ 0.80, 0.81, 0.82 });
    config(f, "t", "cycle:2", 500, (const double[]){ 0.60, 0.62, 0.61 });
    config(f, "t", "all", 250, (const double[]){ 0.10, 0.11, 0.09 });
    config(f, "t", "ffn", 1200, (const double[]){ 0.50, 0.52, 0.51 });
    /* a cheaper one whose difference from cycle:2 is noise of a seed's size */
    config(f, "t", "attn", 400, (const double[]){ 0.58, 0.66, 0.57 });
    config(f, "u", "none", 1000, (const double[]){ 0.10, 0.10, 0.10 });
    config(f, "u", "all", 250, (const double[]){ 0.10, 0.11, 0.10 });
    /* training speeds: t/none (runs 1-3) two of three slowed by other
    ** processes, t/all (7-9) every one, t/cycle:2 (4-6) records from before
    ** contention was recorded */
    const double tps[9] = { 1000, 2000, 4000, 500, 500, 500, 3000, 3000, 3000 };
    const int slowed[9] = { 0, 1, 1, -1, -1, -1, 1, 1, 1 };
    for (int id = 1; id <= 9; id++) {
        fprintf(f, "%d,metric,train_tokens_per_s,,,,%g\n", id, tps[id - 1]);
        if (slowed[id - 1] >= 0) fprintf(f, "%d,metric,contended,,,,%d\n", id, slowed[id - 1]);
    }
    fclose(f);
    sb_rs_filter all = { NULL, NULL, NULL };
    sb_runset *s = sb_runset_open(path, &all, err, sizeof err);
    assert_non_null(s);
    sb_gstat *st = calloc((size_t)s->ngroups, sizeof *st);
    for (int g = 0; g < s->ngroups; g++) sb_gstat_of(s, g, 1 << 30, &st[g]);
    int family = sb_verdicts(s, st);
    assert_true(family > 10);

    const sb_gstat *none = &st[group(s, "t", "none")], *cyc = &st[group(s, "t", "cycle:2")], *al = &st[group(s, "t", "all")];
    const sb_gstat *ffn = &st[group(s, "t", "ffn")], *attn = &st[group(s, "t", "attn")];
    /* accuracy intervals inside [0, 1] */
    for (int g = 0; g < s->ngroups; g++) assert_true(st[g].test.lo >= 0 && st[g].test.hi <= 1);
    assert_int_equal(al->above_chance, 0);
    assert_int_equal(al->cls, SB_F_CHANCE);
    assert_int_equal(none->learned, 1);
    /* attn (400) is the cheapest above chance: the frontier's start */
    assert_int_equal(attn->cls, SB_F_FRONTIER);
    /* cycle:2 (500) is not significantly better than attn: a tie with it */
    assert_int_equal(cyc->cls, SB_F_TIE);
    assert_int_equal(cyc->by, group(s, "t", "attn"));
    /* none beats the best cheaper one (cycle:2 by mean) every seed by 0.2 */
    assert_int_equal(none->cls, SB_F_FRONTIER);
    /* ffn (1200) is significantly worse than none (1000) */
    assert_int_equal(ffn->cls, SB_F_DOMINATED);
    assert_int_equal(ffn->by, group(s, "t", "none"));
    /* against none: cycle:2 worse (q within alpha), with an interval */
    assert_int_equal(cyc->v_test, SB_V_WORSE);
    assert_true(cyc->q_test <= SB_VERDICT_ALPHA && cyc->q_test >= cyc->dtest.p_two);
    assert_true(cyc->dtest.lo < -0.19 && cyc->dtest.hi > -0.21);
    /* speed over the runs no other process slowed; all slowed: shown, flagged */
    assert_int_equal(none->train.n, 1);
    assert_close(none->train.mean, 1000, 1e-9);
    assert_int_equal(none->contended[0], 0);
    assert_int_equal(cyc->train.n, 3);
    assert_int_equal(cyc->contended[0], 0);
    assert_int_equal(al->train.n, 3);
    assert_close(al->train.mean, 3000, 1e-9);
    assert_int_equal(al->contended[0], 1);
    /* the task at chance everywhere: not learned, nothing ranked */
    const sb_gstat *un = &st[group(s, "u", "none")], *ua = &st[group(s, "u", "all")];
    assert_int_equal(un->learned, 0);
    assert_int_equal(un->cls, SB_F_NOT_LEARNED);
    assert_int_equal(ua->cls, SB_F_NOT_LEARNED);
    assert_int_equal(ua->v_test, SB_V_TIE);
    free(st);
    sb_runset_free(s);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
