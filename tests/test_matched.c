/*
** test_matched.c: the report's compute-matched comparison
** (bench/report/matched.c) on runs whose numbers are chosen so that each pair
** has one known answer: a shared model matched with the unshared one in
** compute only (significantly worse), a cycled one matched with it in
** parameters only (significantly better), a near-copy of the reference
** matched in parameters and both computes (a tie), and one matching nothing.
** The runs are written as a baseline file and read as any set is.
*/
#include "testutil.h"
#include "report/groupstat.h"
#include "report/matched.h"
#include "report/verdicts.h"
#include "results/source.h"
#include "sys/fmt.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int nrun;

/* One configuration: three seeds with the given test values, and its FLOPs per token. */
static void config(FILE *f, const char *sharing, double params, double ftrain, double finfer, const double v[3])
{
    int first = test_baseline_config(f, &nrun, "t", sharing, params, v);
    for (int id = first; id < first + 3; id++)
        fprintf(f, "%d,metric,flops_train_per_token,,,,%g\n%d,metric,flops_infer_per_token,,,,%g\n", id, ftrain, id, finfer);
}

static int group(const sb_runset *s, const char *sharing)
{
    for (int g = 0; g < s->ngroups; g++)
        if (!strcmp(s->groups[g].sharing, sharing)) return g;
    fail_msg("no group %s", sharing);
    return -1;
}

/* The match of groups a and b (either order), or NULL. */
static const sb_match *find(const sb_matches *M, int a, int b)
{
    for (int k = 0; k < M->nm; k++)
        if ((M->m[k].a == a && M->m[k].b == b) || (M->m[k].a == b && M->m[k].b == a)) return &M->m[k];
    return NULL;
}

/* The tolerance at its edge, and FLOPs in words. */
static void close_within(void **state)
{
    (void)state;
    assert_true(sb_match_close(100, 110, 0.1));   /* 10 <= 0.1 x 110 */
    assert_true(sb_match_close(110, 100, 0.1));
    assert_false(sb_match_close(100, 112, 0.1));  /* 12 > 11.2 */
    assert_false(sb_match_close(NAN, 100, 0.1));
    assert_false(sb_match_close(0, 0, 0.1));
    assert_true(sb_match_close(5e6, 5e6, 0));
    /* how the section writes FLOPs per token */
    char b[32];
    assert_string_equal(sb_fmt_si(1.234e6, b, sizeof b), "1.23 M");
    assert_string_equal(sb_fmt_si(35200, b, sizeof b), "35.2 k");
    assert_string_equal(sb_fmt_si(1.5e9, b, sizeof b), "1.5 G");
    assert_string_equal(sb_fmt_si(512, b, sizeof b), "512");
    assert_string_equal(sb_fmt_si(NAN, b, sizeof b), "-");
}

static void matches(void **state)
{
    (void)state;
    char dir[256], path[300], err[512];
    FILE *f = test_baseline_open(dir, sizeof dir, path, sizeof path, "matched");
    assert_non_null(f);
    nrun = 0;
    config(f, "none", 1000, 3e6, 1e6, (const double[]){ 0.80, 0.81, 0.82 });
    config(f, "all", 250, 3e6, 1e6, (const double[]){ 0.60, 0.62, 0.61 });
    config(f, "cycle:2", 260, 6e6, 2e6, (const double[]){ 0.70, 0.71, 0.72 });
    config(f, "attn", 950, 3.1e6, 1.05e6, (const double[]){ 0.79, 0.83, 0.80 });
    config(f, "ffn", 500, 4.5e6, 1.5e6, (const double[]){ 0.50, 0.52, 0.51 });
    fclose(f);
    sb_rs_filter any = { NULL, NULL, NULL };
    sb_runset *s = sb_runset_open(path, &any, err, sizeof err);
    if (!s) fail_msg("%s", err);
    sb_gstat *st = calloc((size_t)s->ngroups, sizeof *st);
    for (int g = 0; g < s->ngroups; g++) sb_gstat_of(s, g, 1 << 30, &st[g]);
    sb_matches M;
    assert_int_equal(sb_matches_of(s, st, "t", SB_MATCH_TOL, &M), 0);
    assert_int_equal(M.n, 5);
    for (int i = 1; i < M.n; i++) assert_true(st[M.g[i - 1]].params <= st[M.g[i]].params);
    int none = group(s, "none"), all = group(s, "all"), cyc = group(s, "cycle:2"), attn = group(s, "attn"), ffn = group(s, "ffn");
    /* all-attn, all-none, all-loop, attn-none; ffn matches nothing */
    assert_int_equal(M.nm, 4);
    assert_int_equal(M.family, 4);
    for (int g = 0; g < s->ngroups; g++)
        if (g != ffn) assert_null(find(&M, ffn, g));
    const sb_match *m = find(&M, all, cyc);
    assert_non_null(m);
    assert_int_equal(m->kinds, SB_MATCH_PARAMS);
    assert_int_equal(sb_match_verdict_of(m, cyc), SB_V_BETTER);
    assert_int_equal(sb_match_verdict_of(m, all), SB_V_WORSE);
    assert_true(m->q <= SB_VERDICT_ALPHA && m->q >= m->t.p_two);
    m = find(&M, all, none);
    assert_non_null(m);
    assert_int_equal(m->kinds, SB_MATCH_TRAIN | SB_MATCH_INFER);
    assert_int_equal(sb_match_verdict_of(m, all), SB_V_WORSE);
    /* paired by seed: none - all is 0.20, 0.19, 0.21 */
    assert_true(fabs(fabs(m->t.mean) - 0.2) < 1e-9);
    m = find(&M, attn, none);
    assert_non_null(m);
    assert_int_equal(m->kinds, SB_MATCH_PARAMS | SB_MATCH_TRAIN | SB_MATCH_INFER);
    assert_int_equal(m->verdict, SB_V_TIE);
    m = find(&M, attn, all);
    assert_non_null(m);
    assert_int_equal(m->kinds, SB_MATCH_TRAIN | SB_MATCH_INFER);
    assert_int_equal(sb_match_verdict_of(m, attn), SB_V_BETTER);
    sb_matches_free(&M);
    free(st);
    sb_runset_free(s);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(close_within),
        cmocka_unit_test(matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
