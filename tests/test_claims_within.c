/*
** test_claims_within.c: the claims' equivalence check (`within`, in
** bench/report/claims.c) on runs whose numbers are chosen so that each
** comparison has one known answer: a change of a fraction of a percent inside
** a 5% margin (supported), a change of exactly -0.2 in every seed, -24.7% of
** the reference and so outside the margin whatever the interval (contradicted),
** a change lost in seed noise (undecided), a check whose task= names no task
** (not measured), and one covering three comparisons at once (Bonferroni: its
** intervals at 1 - 0.05/3).
*/
#include "testutil.h"
#include "report/claims.h"
#include "results/source.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int nrun;

static void config(FILE *f, const char *sharing, const double v[3])
{
    test_baseline_config(f, &nrun, "t", sharing, 1000, v);
}

/* Evaluate the claim of one check on s; its status, the evidence into ev. */
static sb_claim_status evaluate(const sb_runset *s, const char *dir, const char *check, char *ev, size_t len)
{
    char path[300], err[512];
    snprintf(path, sizeof path, "%s/c.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "[x]\nclaim = y\ncheck = %s\n", check);
    fclose(f);
    sb_claims c;
    if (sb_claims_load(path, &c, err, sizeof err)) fail_msg("%s", err);
    sb_claim_status st;
    assert_int_equal(sb_claim_evaluate(&c.claim[0], s, 1 << 30, NULL, &st, ev, len, err, sizeof err), 0);
    sb_claims_free(&c);
    unlink(path);
    return st;
}

static void within(void **state)
{
    (void)state;
    char dir[256], path[300], err[512], ev[4096];
    FILE *f = test_baseline_open(dir, sizeof dir, path, sizeof path, "within");
    assert_non_null(f);
    nrun = 0;
    config(f, "none", (const double[]){ 0.80, 0.81, 0.82 });
    config(f, "attn", (const double[]){ 0.80, 0.815, 0.82 });   /* +0.2%: inside */
    config(f, "ffn", (const double[]){ 0.60, 0.61, 0.62 });     /* -0.2 / 0.81 = -24.7%: outside */
    config(f, "all", (const double[]){ 0.70, 0.90, 0.79 });     /* -0.013 +- 0.1 a seed: undecided */
    fclose(f);
    sb_rs_filter any = { NULL, NULL, NULL };
    sb_runset *s = sb_runset_open(path, &any, err, sizeof err);
    if (!s) fail_msg("%s", err);

    assert_int_equal(evaluate(s, dir, "within metric=test a=attn b=none margin=0.05", ev, sizeof ev), SB_CLAIM_SUPPORTED);
    /* the intervals by hand: mean difference +- t(0.975, 2) = 4.3027 (tables) x its standard error, over b's mean 0.81 */
    assert_mentions(ev, "relative change +0.2% [95% interval -0.7%, +1.1%]");
    assert_int_equal(evaluate(s, dir, "within metric=test a=ffn b=none margin=0.05", ev, sizeof ev), SB_CLAIM_CONTRADICTED);
    assert_mentions(ev, "relative change -24.7% [95% interval -24.7%, -24.7%]");
    assert_int_equal(evaluate(s, dir, "within metric=test a=all b=none margin=0.05", ev, sizeof ev), SB_CLAIM_INCONCLUSIVE);
    assert_mentions(ev, "relative change -1.6% [95% interval -31.1%, +27.8%]");
    assert_mentions(ev, "undecided");
    /* a margin wide enough takes in the noisy one: its interval is about +-30% */
    assert_int_equal(evaluate(s, dir, "within metric=test a=all b=none margin=0.5", ev, sizeof ev), SB_CLAIM_SUPPORTED);
    assert_int_equal(evaluate(s, dir, "within metric=test a=attn b=none margin=0.05 task=u", ev, sizeof ev), SB_CLAIM_NOT_MEASURED);
    assert_int_equal(evaluate(s, dir, "within metric=test a=shared b=none margin=0.05", ev, sizeof ev), SB_CLAIM_INCONCLUSIVE);
    assert_mentions(ev, "98.33% interval");
    assert_mentions(ev, "Bonferroni over these 3 comparisons");
    /* compare takes task= too */
    assert_int_equal(evaluate(s, dir, "compare metric=test a=attn b=ffn task=t", ev, sizeof ev), SB_CLAIM_SUPPORTED);
    assert_int_equal(evaluate(s, dir, "compare metric=test a=attn b=ffn task=u", ev, sizeof ev), SB_CLAIM_NOT_MEASURED);
    sb_runset_free(s);
    unlink(path);
    rmdir(dir);
}

/* The check's keys: margin required and positive, unknown keys refused. */
static void within_syntax(void **state)
{
    (void)state;
    char dir[] = "/tmp/sb-test-within-XXXXXX", path[128], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/c.txt", dir);
    static const char *const bad[][2] = { { "within metric=test a=all b=none", "needs margin" },
                                          { "within metric=test a=all b=none margin=-1", "margin='-1'" },
                                          { "within metric=test a=all b=none margin=0.1 min=2", "takes no key 'min'" } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "[x]\nclaim = y\ncheck = %s\n", bad[i][0]);
        fclose(f);
        sb_claims c;
        assert_int_equal(sb_claims_load(path, &c, err, sizeof err), -1);
        assert_mentions(err, bad[i][1]);
    }
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(within),
        cmocka_unit_test(within_syntax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
