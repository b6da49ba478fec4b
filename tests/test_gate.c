/*
** test_gate.c: the regression gate: every mark from its decision function
** (quality, timing and measured ratios over runs, exact figures, both metric
** directions, the equivalence tests and p-values against closed forms),
** Holm's adjustment over a gate run's rows, every exit status from whole
** comparisons of run sets built in in-memory databases (identical, quality
** drop, slowdown, newly failing, missing seed, different configuration, too
** few seeds, missing calibration, contended runs, a non-finite exact figure,
** two seeds with deterministic figures), the normalisation by the
** calibration, the baseline file round trip, and the options' refusals.
*/
#include "results/source.h"
#include "testutil.h"
#include "gate/gate.h"
#include "gate/tables.h"
#include "results/baseline.h"
#include "results/runset.h"
#include "results/store.h"
#include <unistd.h>

/* ---- marks of the decision functions ---- */

static void quality_marks(void **state)
{
    (void)state;
    sb_gate_row r;
    const double base[] = { 0.80, 0.82, 0.81, 0.79, 0.80 };
    /* a drop of 0.005: within the tolerance 0.02 */
    const double small[] = { 0.795, 0.815, 0.805, 0.785, 0.795 };
    memset(&r, 0, sizeof r);
    sb_gate_quality(base, small, 5, 1, 0.02, 0.05, 3, &r);
    assert_int_equal(r.mark, SB_MARK_UNCHANGED);
    assert_close(r.change, -0.005, 1e-12);
    /* a drop of about 0.1 on every seed: worse */
    const double drop[] = { 0.70, 0.73, 0.70, 0.69, 0.71 };
    memset(&r, 0, sizeof r);
    sb_gate_quality(base, drop, 5, 1, 0.02, 0.05, 3, &r);
    assert_int_equal(r.mark, SB_MARK_WORSE);
    assert_true(r.p < 0.001);
    /* the same numbers as bits per character (lower is better): better */
    memset(&r, 0, sizeof r);
    sb_gate_quality(base, drop, 5, 0, 0.02, 0.05, 3, &r);
    assert_int_equal(r.mark, SB_MARK_BETTER);
    /* a rise for a higher-is-better metric: better */
    memset(&r, 0, sizeof r);
    sb_gate_quality(drop, base, 5, 1, 0.02, 0.05, 3, &r);
    assert_int_equal(r.mark, SB_MARK_BETTER);
    /* a mean drop of 0.04 that one seed contradicts: not significant */
    const double noisy[] = { 0.70, 0.90, 0.70, 0.85, 0.72 };
    memset(&r, 0, sizeof r);
    sb_gate_quality(base, noisy, 5, 1, 0.02, 0.05, 3, &r);
    assert_int_equal(r.mark, SB_MARK_NOT_SIGNIFICANT);
    assert_true(r.p > 0.05);
    assert_mentions(r.note, "not significant at alpha 0.05");
    /* two seeds when three are needed: too few, however large the drop */
    memset(&r, 0, sizeof r);
    sb_gate_quality(base, drop, 2, 1, 0.02, 0.05, 3, &r);
    assert_int_equal(r.mark, SB_MARK_TOO_FEW);
    assert_mentions(r.note, "2 seeds");
    assert_mentions(r.note, "--min-seeds");
    /* identical: unchanged, the equivalence certain */
    memset(&r, 0, sizeof r);
    sb_gate_quality(base, base, 5, 1, 0.02, 0.05, 3, &r);
    assert_int_equal(r.mark, SB_MARK_UNCHANGED);
    assert_string_equal(r.test, "TOST paired t");
    assert_close(r.p, 0, 0);
    /* a mean drop of 0.01, inside the tolerance, but seeds disagreeing by 0.1: within tolerance, not unchanged */
    const double wide[] = { 0.75, 0.87, 0.76, 0.84, 0.75 };
    memset(&r, 0, sizeof r);
    sb_gate_quality(base, wide, 5, 1, 0.02, 0.05, 3, &r);
    assert_close(r.change, -0.01, 1e-12);
    assert_int_equal(r.mark, SB_MARK_WITHIN_TOLERANCE);
    assert_true(r.p > 0.05);
    /* the equivalence p against the closed form (3 seeds, df 2): differences -0.01, 0, +0.01 around -0.005,
    ** mean -0.005, sd 0.01, se 0.01/sqrt(3); the binding test is the lower one, t = (0.02 - 0.005) / se */
    const double b3[] = { 0.5, 0.5, 0.5 }, c3[] = { 0.485, 0.495, 0.505 };
    memset(&r, 0, sizeof r);
    sb_gate_quality(b3, c3, 3, 1, 0.02, 0.05, 3, &r);
    double se = 0.01 / sqrt(3), t = 0.015 / se;
    assert_close(r.p, 0.5 - t / (2 * sqrt(2 + t * t)), 1e-10);
}

/* n step times around mean, a fixed pseudo-random jitter of +-5% */
static void times(double *v, int n, double mean, unsigned seed)
{
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        v[i] = mean * (0.95 + 0.1 * ((seed >> 8) % 1000) / 1000.0);
    }
}

static void ratio_marks(void **state)
{
    (void)state;
    double a[6], b[6];
    sb_gate_row r;
    times(a, 6, 10, 1);
    /* 5% slower over six runs each: inside x1.25 and shown equivalent */
    times(b, 6, 10.5, 2);
    memset(&r, 0, sizeof r);
    sb_gate_ratio(a, 6, b, 6, 0, 1.25, 0.05, 3, &r);
    assert_int_equal(r.mark, SB_MARK_UNCHANGED);
    assert_string_equal(r.test, "TOST Welch t on logs");
    /* 50% slower: worse */
    times(b, 6, 15, 3);
    memset(&r, 0, sizeof r);
    sb_gate_ratio(a, 6, b, 6, 0, 1.25, 0.05, 3, &r);
    assert_int_equal(r.mark, SB_MARK_WORSE);
    assert_close(r.change, 1.5, 0.05);
    assert_true(r.p < 1e-6);
    /* twice as fast: better */
    times(b, 6, 5, 4);
    memset(&r, 0, sizeof r);
    sb_gate_ratio(a, 6, b, 6, 0, 1.25, 0.05, 3, &r);
    assert_int_equal(r.mark, SB_MARK_BETTER);
    /* throughput (higher is better) halved: worse */
    memset(&r, 0, sizeof r);
    sb_gate_ratio(a, 6, b, 6, 1, 1.25, 0.05, 3, &r);
    assert_int_equal(r.mark, SB_MARK_WORSE);
    /* geometric means 30% apart, runs overlapping: not significant */
    const double x[] = { 10, 20, 13, 30, 9, 25 }, y[] = { 14, 31, 12, 40, 11, 30 };
    memset(&r, 0, sizeof r);
    sb_gate_ratio(x, 6, y, 6, 0, 1.25, 0.05, 3, &r);
    assert_true(r.change > 1.25);
    assert_int_equal(r.mark, SB_MARK_NOT_SIGNIFICANT);
    /* two against two with three needed: too few, even when separated */
    const double x2[] = { 10, 11 }, y2[] = { 30, 31 };
    memset(&r, 0, sizeof r);
    sb_gate_ratio(x2, 2, y2, 2, 0, 1.25, 0.05, 3, &r);
    assert_int_equal(r.mark, SB_MARK_TOO_FEW);
    assert_mentions(r.note, "2 and 2 runs");
    /* the p against the closed form: logs 1, 2, 3 against 3, 4, 5 (df 4, t = 2 / sqrt(2/3)) with the factor e */
    const double e1[] = { exp(1), exp(2), exp(3) }, e2[] = { exp(3), exp(4), exp(5) };
    memset(&r, 0, sizeof r);
    sb_gate_ratio(e1, 3, e2, 3, 0, exp(1), 0.05, 3, &r);
    double t = 2 / sqrt(2.0 / 3);
    assert_close(r.change, exp(2), 1e-9);
    assert_close(r.p, 0.5 - t * (t * t + 6) / (2 * pow(t * t + 4, 1.5)), 1e-10);
    assert_int_equal(r.mark, SB_MARK_WORSE);
    assert_string_equal(r.test, "Welch t on logs");
}

static void exact_marks(void **state)
{
    (void)state;
    sb_gate_row r;
    memset(&r, 0, sizeof r);
    sb_gate_exact(1000, 1000, 0, 1.10, &r);
    assert_int_equal(r.mark, SB_MARK_UNCHANGED);
    /* deterministic: any change is real; inside the factor it is said, not passed as unchanged */
    memset(&r, 0, sizeof r);
    sb_gate_exact(1000, 1050, 0, 1.10, &r);
    assert_int_equal(r.mark, SB_MARK_WITHIN_TOLERANCE);
    assert_mentions(r.note, "+5.00%");
    memset(&r, 0, sizeof r);
    sb_gate_exact(1000, 1200, 0, 1.10, &r);
    assert_int_equal(r.mark, SB_MARK_WORSE);
    memset(&r, 0, sizeof r);
    sb_gate_exact(1000, 500, 0, 1.10, &r);
    assert_int_equal(r.mark, SB_MARK_BETTER);
}

/* Holm over a gate run's rows: R's p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02 */
static void holm_marks(void **state)
{
    (void)state;
    sb_gate_row rows[5];
    const double p[] = { 0.01, 0.04, 0.03, 0.005 };
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < 4; i++) {
        rows[i].kind = SB_GATE_TIMING;
        rows[i].change = 2;          /* twice as slow */
        rows[i].beyond = 1;
        rows[i].worse_way = 1;
        rows[i].p = rows[i].p_holm = p[i];
        rows[i].mark = SB_MARK_WORSE;
    }
    rows[4].kind = SB_GATE_EXACT;    /* no test: not in the family */
    rows[4].p = rows[4].p_holm = NAN;
    rows[4].mark = SB_MARK_UNCHANGED;
    assert_int_equal(sb_gate_holm(rows, 5, 0.05), 0);
    assert_close(rows[0].p_holm, 0.03, 1e-15);
    assert_close(rows[1].p_holm, 0.06, 1e-15);
    assert_close(rows[2].p_holm, 0.06, 1e-15);
    assert_close(rows[3].p_holm, 0.02, 1e-15);
    assert_int_equal(rows[0].mark, SB_MARK_WORSE);
    assert_int_equal(rows[1].mark, SB_MARK_NOT_SIGNIFICANT);
    assert_int_equal(rows[2].mark, SB_MARK_NOT_SIGNIFICANT);
    assert_int_equal(rows[3].mark, SB_MARK_WORSE);
    assert_int_equal(rows[4].mark, SB_MARK_UNCHANGED);
    /* an equivalence that does not survive the adjustment: within tolerance */
    rows[0].beyond = 0;
    rows[0].p = 0.04;
    rows[1].p = 0.03;
    assert_int_equal(sb_gate_holm(rows, 2, 0.05), 0);
    assert_int_equal(rows[0].mark, SB_MARK_WITHIN_TOLERANCE);
    assert_int_equal(rows[1].mark, SB_MARK_NOT_SIGNIFICANT);
    assert_mentions(rows[1].note, "not significant at alpha");
}

static void status_of_marks(void **state)
{
    (void)state;
    sb_gate_row rows[3];
    memset(rows, 0, sizeof rows);
    rows[0].mark = rows[1].mark = rows[2].mark = SB_MARK_UNCHANGED;
    rows[1].mark = SB_MARK_NOT_SIGNIFICANT;
    rows[2].mark = SB_MARK_BETTER;
    assert_int_equal(sb_gate_status(rows, 3), 0);
    rows[1].mark = SB_MARK_WORSE;
    assert_int_equal(sb_gate_status(rows, 3), 1);
    rows[1].mark = SB_MARK_NEWLY_FAILING;
    assert_int_equal(sb_gate_status(rows, 3), 1);
    /* not measurable here: 2 unless something is worse */
    rows[2].mark = SB_MARK_NOT_MEASURABLE;
    assert_int_equal(sb_gate_status(rows, 3), 1);
    rows[1].mark = SB_MARK_WITHIN_TOLERANCE;
    assert_int_equal(sb_gate_status(rows, 3), 2);
    rows[2].mark = SB_MARK_TOO_FEW;
    assert_int_equal(sb_gate_status(rows, 3), 2);
    rows[2].mark = SB_MARK_MISSING;
    assert_int_equal(sb_gate_status(rows, 3), 2);
    for (int m = 0; m < SB_MARK_COUNT; m++) assert_string_not_equal(sb_mark_name(m), "?");
}

/* ---- whole comparisons ---- */

typedef struct {
    const char *sharing;
    int seed;
    const char *status;   /* finished, failed, diverged */
    double test;
    double step_ms;       /* typical step time */
    double calib;         /* calib_gflops; 0: none recorded */
    int steps;            /* the steps param (a configuration key) */
    int contended;        /* 1: other processes slowed the run (no train_step_ms_quiet) */
    double quiet;         /* train_step_ms_quiet; 0: not recorded (an older record: the steps' median is used) */
    double bytes_acts;    /* the engine's accounting of activations; 0: 50000 */
} spec;

static void add_run(sb_store *st, const spec *s)
{
    char err[256], buf[64];
    sb_run *r = sb_run_new();
    snprintf(buf, sizeof buf, "cell-%s-%d-%d", s->sharing, s->seed, s->steps);
    sb_run_set(r, "cell", buf);
    sb_run_set(r, "config_hash", "0000");
    sb_run_set(r, "sweep", "unit");
    sb_run_set(r, "task", "copy");
    sb_run_set(r, "sharing", s->sharing);
    snprintf(buf, sizeof buf, "%d", s->seed);
    sb_run_set(r, "seed", buf);
    sb_run_set(r, "status", s->status);
    if (strcmp(s->status, "finished")) sb_run_set(r, "error", "loss became NaN");
    sb_run_set(r, "started", "2026-01-01T00:00:00Z");
    sb_run_set(r, "ended", "2026-01-01T00:01:00Z");
    sb_run_set(r, "code_version", "test");
    sb_run_param(r, "task", "copy");
    sb_run_param(r, "sharing", s->sharing);
    sb_run_param(r, "seed", buf);
    sb_run_param(r, "metric", "accuracy");
    snprintf(buf, sizeof buf, "%d", s->steps);
    sb_run_param(r, "steps", buf);
    if (!strcmp(s->status, "finished")) sb_run_metric(r, "test", s->test);
    if (s->calib > 0) sb_run_metric(r, "calib_gflops", s->calib);
    sb_run_metric(r, "bytes_params", 1000);
    sb_run_metric(r, "params_unique", 250);
    sb_run_metric(r, "bytes_grads", 1000);
    sb_run_metric(r, "bytes_optim", 2000);
    sb_run_metric(r, "bytes_acts", s->bytes_acts != 0 ? s->bytes_acts : 50000);
    if (s->contended) sb_run_metric(r, "contended", 1);
    if (s->contended) sb_run_metric(r, "infer_contended", 1);
    if (s->quiet > 0) sb_run_metric(r, "train_step_ms_quiet", s->quiet);
    sb_run_metric(r, "bytes_scratch", 6000);
    sb_run_metric(r, "peak_rss_bytes", 20e6 + s->seed * 1e4);
    sb_run_metric(r, "infer_tokens_per_s", 1e5 / s->step_ms);
    double t[60];
    times(t, 60, s->step_ms, (unsigned)s->seed * 7u + 1u);
    for (int i = 0; i < 60; i++) sb_run_series(r, "step_ms", i, -1, -1, t[i]);
    assert_true(sb_store_commit(st, r, err, sizeof err) > 0);
    sb_run_free(r);
}

/* A run set of two configurations (none, all) with the given seeds, each run
** edited by fn (may be NULL) before it is stored. */
typedef void (*editor)(spec *);
static sb_runset *make_set(int seeds, editor fn)
{
    char err[256];
    sb_store *st = sb_store_open(":memory:", 0, err, sizeof err);
    assert_non_null(st);
    const char *modes[] = { "none", "all" };
    for (int m = 0; m < 2; m++)
        for (int s = 1; s <= seeds; s++) {
            spec sp = { modes[m], s, "finished", (m ? 0.60 : 0.80) + 0.01 * s, m ? 8.0 : 10.0, 100.0, 150, 0, 0, 0 };
            if (fn) fn(&sp);
            add_run(st, &sp);
        }
    sb_runset *set = sb_runset_from_store(st, "memory", NULL, err, sizeof err);
    assert_non_null(set);
    return set;
}

static const sb_gate_row *find_row(const sb_gate_result *res, const char *config, const char *metric)
{
    for (int i = 0; i < res->nrows; i++)
        if (!strcmp(res->rows[i].config, config) && !strncmp(res->rows[i].metric, metric, strlen(metric)) &&
            (res->rows[i].metric[strlen(metric)] == 0 || res->rows[i].metric[strlen(metric)] == ' '))
            return &res->rows[i];
    print_error("no row %s / %s\n", config, metric);
    fail();
    return NULL;
}

static int compare(sb_runset *b, sb_runset *c, const sb_gate_options *o, sb_gate_result *res)
{
    char err[256];
    assert_int_equal(sb_gate_compare(b, c, o, res, err, sizeof err), 0);
    return res->status;
}

static void drop_all_quality(spec *s) { if (!strcmp(s->sharing, "all")) s->test -= 0.10; }
static void slow_all(spec *s) { if (!strcmp(s->sharing, "all")) s->step_ms *= 1.6; }
static void diverge_all_2(spec *s) { if (!strcmp(s->sharing, "all") && s->seed == 2) s->status = "diverged"; }
static void other_steps(spec *s) { if (!strcmp(s->sharing, "all")) s->steps = 100; }
static void no_calib(spec *s) { s->calib = 0; }
/* every run contended (competing processes), steps 1.6x slower: not measurable, never worse */
static void contended_slow(spec *s) { s->contended = 1; s->step_ms *= 1.6; }
static void contended_drop(spec *s) { contended_slow(s); drop_all_quality(s); }
/* train_step_ms_quiet recorded: it is what the gate compares, not the steps' median */
static void quiet_fast(spec *s) { s->quiet = s->step_ms / 2; }
static void quiet_same(spec *s) { s->quiet = s->step_ms; }
static void nan_acts(spec *s) { if (s->seed == 2 && !strcmp(s->sharing, "none")) s->bytes_acts = NAN; }
static void more_acts(spec *s) { s->bytes_acts = 80000; }
/* a machine twice as fast: every step in half the time, the calibration twice as high */
static void faster_machine(spec *s) { s->step_ms /= 2; s->calib *= 2; }

static void exit_statuses(void **state)
{
    (void)state;
    sb_gate_options o;
    sb_gate_defaults(&o);
    sb_gate_result res;
    sb_runset *base = make_set(3, NULL);

    /* identical: 0 */
    sb_runset *c = make_set(3, NULL);
    assert_int_equal(compare(base, c, &o, &res), 0);
    assert_int_equal(find_row(&res, "copy all", "test")->mark, SB_MARK_UNCHANGED);
    assert_int_equal(find_row(&res, "copy all", "train_step_ms")->mark, SB_MARK_UNCHANGED);
    assert_int_equal(find_row(&res, "copy all", "train_bytes")->mark, SB_MARK_UNCHANGED);
    assert_int_equal(res.count[SB_MARK_UNCHANGED], res.nrows);
    sb_gate_result_free(&res);
    sb_runset_free(c);

    /* a quality drop of 0.1 on every seed: 1, worse */
    c = make_set(3, drop_all_quality);
    assert_int_equal(compare(base, c, &o, &res), 1);
    assert_int_equal(find_row(&res, "copy all", "test")->mark, SB_MARK_WORSE);
    assert_int_equal(find_row(&res, "copy none", "test")->mark, SB_MARK_UNCHANGED);
    sb_gate_result_free(&res);
    /* the same drop, tolerated */
    sb_gate_options loose = o;
    loose.tol_test = 0.2;
    assert_int_equal(compare(base, c, &loose, &res), 0);
    sb_gate_result_free(&res);
    sb_runset_free(c);

    /* 60% slower steps: 1, worse on train_step_ms (and on inference, 3 vs 3 separated) */
    c = make_set(3, slow_all);
    assert_int_equal(compare(base, c, &o, &res), 1);
    assert_int_equal(find_row(&res, "copy all", "train_step_ms")->mark, SB_MARK_WORSE);
    assert_int_equal(find_row(&res, "copy all", "infer_tokens_per_s")->mark, SB_MARK_WORSE);
    assert_int_equal(find_row(&res, "copy none", "train_step_ms")->mark, SB_MARK_UNCHANGED);
    sb_gate_result_free(&res);
    sb_runset_free(c);

    /* a machine twice as fast, normalised: unchanged; raw: better */
    c = make_set(3, faster_machine);
    assert_int_equal(compare(base, c, &o, &res), 0);
    assert_int_equal(find_row(&res, "copy all", "train_step_ms")->mark, SB_MARK_UNCHANGED);
    assert_mentions(res.normalisation, "calib_gflops");
    sb_gate_result_free(&res);
    sb_gate_options raw = o;
    raw.normalise = 0;
    assert_int_equal(compare(base, c, &raw, &res), 0);
    assert_int_equal(find_row(&res, "copy all", "train_step_ms")->mark, SB_MARK_BETTER);
    assert_mentions(res.normalisation, "not normalised");
    sb_gate_result_free(&res);
    sb_runset_free(c);

    /* a run that diverges now: 1, newly failing */
    c = make_set(3, diverge_all_2);
    assert_int_equal(compare(base, c, &o, &res), 1);
    const sb_gate_row *r = find_row(&res, "copy all", "test");
    assert_int_equal(r->mark, SB_MARK_NEWLY_FAILING);
    assert_mentions(r->note, "seed 2 diverged");
    sb_gate_result_free(&res);
    sb_runset_free(c);

    /* a seed missing: 2 */
    c = make_set(2, NULL);
    assert_int_equal(compare(base, c, &o, &res), 2);
    r = find_row(&res, "copy none", "test");
    assert_int_equal(r->mark, SB_MARK_MISSING);
    assert_mentions(r->note, "seed 3 missing");
    sb_gate_result_free(&res);
    sb_runset_free(c);

    /* a different configuration: 2, naming the key and both values */
    c = make_set(3, other_steps);
    assert_int_equal(compare(base, c, &o, &res), 2);
    r = find_row(&res, "copy all", "test");
    assert_int_equal(r->mark, SB_MARK_MISSING);
    assert_mentions(r->note, "steps 150 -> 100");
    sb_gate_result_free(&res);
    sb_runset_free(c);

    /* no calibration in the candidate: 2 (normalised), compared raw with --normalise none */
    c = make_set(3, no_calib);
    assert_int_equal(compare(base, c, &o, &res), 2);
    assert_mentions(find_row(&res, "copy all", "train_step_ms")->note, "calib_gflops");
    sb_gate_result_free(&res);
    assert_int_equal(compare(base, c, &raw, &res), 0);
    sb_gate_result_free(&res);
    sb_runset_free(c);
    sb_runset_free(base);

    /* contended candidate runs, 1.6x slower: not measurable here (2), never worse */
    base = make_set(3, NULL);
    c = make_set(3, contended_slow);
    assert_int_equal(compare(base, c, &o, &res), 2);
    r = find_row(&res, "copy all", "train_step_ms");
    assert_int_equal(r->mark, SB_MARK_NOT_MEASURABLE);
    assert_mentions(r->note, "3 of 3 in the candidate");
    assert_int_equal(res.count[SB_MARK_WORSE], 0);
    sb_gate_result_free(&res);
    sb_runset_free(c);
    /* ... and a real quality drop beside them still decides: 1 */
    c = make_set(3, contended_drop);
    assert_int_equal(compare(base, c, &o, &res), 1);
    assert_int_equal(find_row(&res, "copy all", "test")->mark, SB_MARK_WORSE);
    sb_gate_result_free(&res);
    sb_runset_free(c);
    /* train_step_ms_quiet is the run's value when recorded: half the steps' median is better */
    sb_runset_free(base);
    base = make_set(3, quiet_same);
    c = make_set(3, quiet_fast);
    assert_int_equal(compare(base, c, &o, &res), 0);
    assert_int_equal(find_row(&res, "copy all", "train_step_ms")->mark, SB_MARK_BETTER);
    assert_close(find_row(&res, "copy all", "train_step_ms")->change, 0.5, 1e-12);
    sb_gate_result_free(&res);
    sb_runset_free(c);
    /* an exact metric not finite in one baseline run: 2, naming the seed */
    c = make_set(3, NULL);
    sb_runset *nb = make_set(3, nan_acts);
    assert_int_equal(compare(nb, c, &o, &res), 2);
    r = find_row(&res, "copy none", "train_bytes");
    assert_int_equal(r->mark, SB_MARK_MISSING);
    assert_mentions(r->note, "baseline");
    assert_mentions(r->note, "seed 2");
    sb_gate_result_free(&res);
    sb_runset_free(nb);
    /* the engine's accounting 60% larger: worse without any test */
    nb = make_set(3, more_acts);
    assert_int_equal(compare(base, nb, &o, &res), 1);
    assert_int_equal(find_row(&res, "copy all", "train_bytes")->mark, SB_MARK_WORSE);
    sb_gate_result_free(&res);
    sb_runset_free(nb);
    sb_runset_free(c);
    sb_runset_free(base);

    /* two seeds on both sides: too few for the paired test and for the test over runs: 2 */
    base = make_set(2, NULL);
    c = make_set(2, drop_all_quality);
    assert_int_equal(compare(base, c, &o, &res), 2);
    assert_int_equal(find_row(&res, "copy all", "test")->mark, SB_MARK_TOO_FEW);
    assert_int_equal(find_row(&res, "copy all", "peak_rss_bytes")->mark, SB_MARK_TOO_FEW);
    assert_int_equal(find_row(&res, "copy all", "train_step_ms")->mark, SB_MARK_TOO_FEW);
    sb_gate_result_free(&res);
    /* deterministic figures compare with two seeds, or one */
    sb_gate_options exact_only = o;
    assert_int_equal(sb_gate_option(&exact_only, "metrics", "train_bytes,params_unique", NULL, 0), 0);
    assert_int_equal(compare(base, c, &exact_only, &res), 0);
    assert_int_equal(find_row(&res, "copy all", "train_bytes")->mark, SB_MARK_UNCHANGED);
    assert_int_equal(find_row(&res, "copy all", "train_bytes")->n_base, 2);
    sb_gate_result_free(&res);
    /* and timing with two runs when told that two suffice */
    sb_gate_options two = o;
    assert_int_equal(sb_gate_option(&two, "min-runs", "2", NULL, 0), 0);
    assert_int_equal(sb_gate_option(&two, "metrics", "train_step_ms", NULL, 0), 0);
    assert_int_equal(compare(base, c, &two, &res), 0);
    assert_int_equal(find_row(&res, "copy all", "train_step_ms")->n_base, 2);
    sb_gate_result_free(&res);
    sb_runset_free(c);

    /* an empty candidate: 2 */
    char err[256];
    sb_store *st = sb_store_open(":memory:", 0, err, sizeof err);
    c = sb_runset_from_store(st, "empty", NULL, err, sizeof err);
    assert_int_equal(compare(base, c, &o, &res), 2);
    sb_gate_result_free(&res);
    sb_runset_free(c);
    sb_runset_free(base);
}

/* gate --remeasure: the candidate's train_step_ms comes from the loops, not its runs. */
static void remeasured(void **state)
{
    (void)state;
    sb_gate_options o;
    sb_gate_defaults(&o);
    sb_gate_result res;
    sb_runset *base = make_set(3, NULL), *c = make_set(3, NULL);
    /* groups: none (10 ms steps in the runs), then all (8 ms); loops twice as slow for none */
    sb_gate_remeasured rm[2];
    memset(rm, 0, sizeof rm);
    for (int g = 0; g < 2; g++) {
        rm[g].n = 4;
        for (int i = 0; i < 4; i++) {
            rm[g].step_ms[i] = (g ? 8.0 : 20.0) * (1 + 0.01 * i);
            rm[g].calib[i] = 100;
        }
    }
    o.remeasured = rm;
    assert_int_equal(compare(base, c, &o, &res), 1);
    const sb_gate_row *r = find_row(&res, "copy none", "train_step_ms");
    assert_int_equal(r->mark, SB_MARK_WORSE);
    assert_int_equal(r->n_cand, 4);
    assert_close(r->change, 2.03, 0.15);   /* loops of 20.3 ms on average against runs of about 10 */
    assert_mentions(r->note, "remeasured");
    assert_int_equal(find_row(&res, "copy all", "train_step_ms")->mark != SB_MARK_WORSE, 1);
    /* the other metrics still read the candidate's runs */
    assert_int_equal(find_row(&res, "copy none", "infer_tokens_per_s")->n_cand, 3);
    sb_gate_result_free(&res);
    /* loops that other processes slowed: not measurable here, whatever they measured */
    for (int g = 0; g < 2; g++)
        for (int i = 0; i < 4; i++) rm[g].contended[i] = 1;
    assert_int_equal(compare(base, c, &o, &res), 2);
    assert_int_equal(find_row(&res, "copy none", "train_step_ms")->mark, SB_MARK_NOT_MEASURABLE);
    assert_int_equal(res.count[SB_MARK_WORSE], 0);
    sb_gate_result_free(&res);
    sb_runset_free(base);
    sb_runset_free(c);
}

/* Markdown and JSON carry the marks, the normalisation and the verdict. */
static void outputs(void **state)
{
    (void)state;
    sb_gate_options o;
    sb_gate_defaults(&o);
    sb_gate_result res;
    sb_runset *base = make_set(3, NULL), *c = make_set(3, drop_all_quality);
    assert_int_equal(compare(base, c, &o, &res), 1);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(sb_gate_markdown(f, base, c, &o, &res), 0);
    fclose(f);
    assert_mentions(text, "# sharebench gate: regressed (exit 1)");
    assert_mentions(text, "| copy all | test (accuracy) |");
    assert_mentions(text, "**worse**");
    assert_mentions(text, "normalised by calib_gflops");
    free(text);
    f = open_memstream(&text, &len);
    assert_int_equal(sb_gate_json(f, base, c, &o, &res), 0);
    fclose(f);
    assert_mentions(text, "\"verdict\":\t\"regressed\"");
    assert_mentions(text, "\"mark\":\t\"worse\"");
    assert_mentions(text, "\"exit_status\":\t1");
    free(text);
    sb_gate_result_free(&res);
    sb_runset_free(base);
    sb_runset_free(c);
}

/* A baseline file written from a set loads back to the same comparison. */
static void baseline_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/sb-gate-XXXXXX", path[256], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/b.csv", dir);
    sb_runset *s = make_set(3, diverge_all_2);
    assert_int_equal(sb_baseline_write(s, "step_ms", path, err, sizeof err), 0);
    sb_runset *back = sb_runset_open(path, NULL, err, sizeof err);
    assert_non_null(back);
    assert_int_equal(back->nruns, 6);
    assert_int_equal(back->ngroups, 2);
    sb_gate_options o;
    sb_gate_defaults(&o);
    sb_gate_result res;
    assert_int_equal(compare(back, s, &o, &res), 2); /* seed 2 of all diverged in both: 2 seeds left */
    sb_gate_result_free(&res);
    assert_int_equal(compare(back, s, &(sb_gate_options){ .metrics = "train_bytes,params_unique", .speed_factor = 1.25,
                                                          .memory_factor = 1.1, .alpha = 0.05, .min_runs = 3,
                                                          .min_seeds = 3, .warmup = 5, .normalise = 1 },
                             &res),
                     0);
    sb_gate_result_free(&res);
    sb_runset_free(back);
    sb_runset_free(s);

    /* malformed files: refused, naming the file and the row */
    FILE *f;
    const struct { const char *text, *frag; } bad[] = {
        { "a,b,c\n", "not a sharebench baseline" },
        { "run,kind,key,step,layer,head,value\n1,run,task,,,,copy\n", "no format row" },
        { "run,kind,key,step,layer,head,value\n0,meta,format,,,,sharebench-baseline 1\n1,metric,test,,,,abc\n", "row 3" },
        { "run,kind,key,step,layer,head,value\n0,meta,format,,,,sharebench-baseline 1\n1,thing,x,,,,1\n", "kind 'thing'" },
        { "run,kind,key,step,layer,head,value\n0,meta,format,,,,sharebench-baseline 9\n", "format" },
        { "run,kind,key,step,layer,head,value\n0,meta,format,,,,sharebench-baseline 1\n1,run,task,,,,copy\n", "required column" },
        { "", "empty" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_non_null(f = fopen(path, "w"));
        fputs(bad[i].text, f);
        fclose(f);
        assert_null(sb_runset_open(path, NULL, err, sizeof err));
        assert_mentions(err, path);
        assert_mentions(err, bad[i].frag);
    }
    assert_null(sb_runset_open("/nonexistent/b.csv", NULL, err, sizeof err));
    assert_mentions(err, "/nonexistent/b.csv");
    unlink(path);
    rmdir(dir);
}

static void option_refusals(void **state)
{
    (void)state;
    sb_gate_options o;
    char err[512];
    sb_gate_defaults(&o);
    const struct { const char *name, *value, *frag; } bad[] = {
        { "tolerance", "valid=0.1", "valid=0.1" }, { "tolerance", "test=-1", "test=-1" },
        { "speed-factor", "0.9", "0.9" },          { "alpha", "0", "alpha" },
        { "min-seeds", "1", "min-seeds" },         { "warmup", "2.5", "warmup" },
        { "min-runs", "1", "min-runs" },           { "alpha-steps", "0.01", "alpha-steps" },
        { "normalise", "gpu", "gpu" },             { "metrics", "test,speed", "speed" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        assert_int_equal(sb_gate_option(&o, bad[i].name, bad[i].value, err, sizeof err), -1);
        assert_mentions(err, bad[i].frag);
    }
    assert_int_equal(sb_gate_option(&o, "tolerance", "test_long=0.05", err, sizeof err), 0);
    assert_close(o.tol_test_long, 0.05, 0);
    assert_int_equal(sb_gate_option(&o, "speed-factor", "1.5", err, sizeof err), 0);
    assert_close(o.speed_factor, 1.5, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quality_marks), cmocka_unit_test(ratio_marks),   cmocka_unit_test(exact_marks),
        cmocka_unit_test(holm_marks), cmocka_unit_test(status_of_marks), cmocka_unit_test(exit_statuses), cmocka_unit_test(remeasured),
        cmocka_unit_test(outputs),
        cmocka_unit_test(baseline_round_trip), cmocka_unit_test(option_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
