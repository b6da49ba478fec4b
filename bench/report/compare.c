/*
** compare.c: two sets of runs compared configuration by configuration
** (compare.h): matching, the tests under one Benjamini-Hochberg control, and
** the three outputs.
*/
#include "compare.h"
#include "doc.h"
#include "verdicts.h"
#include "results/source.h"
#include "stats/bounded.h"
#include "stats/multiple.h"
#include "stats/welch.h"
#include "sys/atomicfile.h"
#include "sys/json.h"
#include "sys/fmt.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Paths and labels are cut to their buffers when too long (paths are checked
** for length first), so truncation warnings do not apply. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* The metrics compared: the quality ones every run records. */
static const sb_metric_id compared[] = { SB_M_TEST, SB_M_TEST_LONG, SB_M_TEST_LOSS };
#define NCOMPARED (int)(sizeof compared / sizeof compared[0])

/* One metric of one matched configuration. */
typedef struct {
    int ga, gb;                /* groups in A and in B */
    sb_metric_id m;
    int higher;                /* higher values better */
    sb_summary a, b;           /* each side over its seeds */
    int paired;                /* 1 paired by seed, 0 Welch, -1 not tested */
    sb_ttest t;                /* B - A */
    double q;
    int verdict;               /* SB_V_* */
} row;

/* A group's values of a metric over its finished runs, into x (at most 256); their count. */
static int values(const sb_runset *s, const sb_rs_group *g, sb_metric_id m, double *x)
{
    int n = 0;
    for (int k = 0; k < g->nrun && n < 256; k++) {
        const sb_rs_run *r = &s->runs[g->run[k]];
        double v = sb_rs_metric(r, m);
        if (sb_rs_finished(r) && isfinite(v)) x[n++] = v;
    }
    return n;
}

/* The values of m in A's and B's runs of one seed, pairs by seed. */
static int pairs(const sb_runset *A, const sb_rs_group *ga, const sb_runset *B, const sb_rs_group *gb, sb_metric_id m, double *xa,
                 double *xb)
{
    int n = 0;
    for (int i = 0; i < ga->nrun && n < 256; i++) {
        const sb_rs_run *r = &A->runs[ga->run[i]];
        if (!sb_rs_finished(r) || !isfinite(sb_rs_metric(r, m))) continue;
        for (int j = 0; j < gb->nrun; j++) {
            const sb_rs_run *q = &B->runs[gb->run[j]];
            if (q->seed == r->seed && sb_rs_finished(q) && isfinite(sb_rs_metric(q, m))) {
                xa[n] = sb_rs_metric(r, m);
                xb[n++] = sb_rs_metric(q, m);
                break;
            }
        }
    }
    return n;
}

/* A side's summary: the logit interval for a metric in [0, 1], values at the
** bounds moved in by half an example of the test split (as the report). */
static void summarise(const sb_runset *s, const sb_rs_group *g, sb_metric_id m, int bounded, sb_summary *out)
{
    double x[256];
    int n = values(s, g, m, x);
    const char *te = sb_rs_param(&s->runs[g->run[0]], "test_examples");
    double ex = te ? atof(te) : 0;
    if (bounded && !sb_stats_logit_summary(x, n, 0.95, ex >= 2 ? 0.5 / ex : 1e-3, out)) return;
    sb_stats_summary(x, n, 0.95, out);
}

static void compare_row(const sb_runset *A, const sb_runset *B, row *w)
{
    const sb_rs_group *ga = &A->groups[w->ga], *gb = &B->groups[w->gb];
    const sb_rs_run *r0 = &A->runs[ga->run[0]];
    const char *metric = sb_rs_param(r0, "metric");
    int bounded = w->m != SB_M_TEST_LOSS && metric && (!strcmp(metric, "accuracy") || !strcmp(metric, "exact"));
    w->higher = w->m == SB_M_TEST_LOSS ? 0 : sb_rs_higher_is_better(r0);
    summarise(A, ga, w->m, bounded, &w->a);
    summarise(B, gb, w->m, bounded, &w->b);
    double xa[256], xb[256];
    int n = pairs(A, ga, B, gb, w->m, xa, xb);
    w->paired = -1;
    w->q = NAN;
    if (n >= 2 && !sb_stats_paired_t(xa, xb, n, 0.95, &w->t)) w->paired = 1;
    else {
        int na = values(A, ga, w->m, xa), nb = values(B, gb, w->m, xb);
        if (!sb_stats_welch(xa, na, xb, nb, 0.95, &w->t)) w->paired = 0;
    }
}

static const char *verdict_word(int v)
{
    static const char *const w[] = { "not tested", "tie", "better", "worse" };
    return v >= 0 && v < 4 ? w[v] : "?";
}

static void fmt_summary(char *buf, size_t len, const sb_summary *s)
{
    if (s->n == 0) snprintf(buf, len, "-");
    else if (s->n == 1 || !isfinite(s->lo)) snprintf(buf, len, "%.4g (%d)", s->mean, s->n);
    else snprintf(buf, len, "%.4g [%.4g, %.4g]", s->mean, s->lo, s->hi);
}

/* A configuration's FLOPs per token of metric m: B's, and A's before it when they differ ("106 k -> 212 k"). */
static void flops_cell(char *buf, size_t len, const sb_runset *A, int ga, const sb_runset *B, int gb, sb_metric_id m)
{
    char a[32], b[32];
    double fa = sb_rs_group_mean(A, &A->groups[ga], m), fb = sb_rs_group_mean(B, &B->groups[gb], m);
    sb_fmt_si(fa, a, sizeof a);
    sb_fmt_si(fb, b, sizeof b);
    if (strcmp(a, b)) snprintf(buf, len, "%s -> %s", a, b);
    else snprintf(buf, len, "%s", b);
}

static cJSON *summary_json(const sb_summary *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", s->n);
    cJSON_AddItemToObject(o, "mean", sb_json_number(s->mean));
    cJSON_AddItemToObject(o, "lo", sb_json_number(s->lo));
    cJSON_AddItemToObject(o, "hi", sb_json_number(s->hi));
    return o;
}

static cJSON *side_json(const char *db, const sb_rs_filter *f, const sb_runset *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "source", sb_json_text(db));
    cJSON_AddItemToObject(o, "sweep", f->sweep ? sb_json_text(f->sweep) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "task", f->task ? sb_json_text(f->task) : cJSON_CreateNull());
    cJSON_AddNumberToObject(o, "runs", s->nruns);
    cJSON_AddNumberToObject(o, "configurations", s->ngroups);
    return o;
}

/* The side in words: "results/a.db (sweep smoke, task copy)". */
static void side_words(char *buf, size_t len, const char *db, const sb_rs_filter *f)
{
    snprintf(buf, len, "%s%s%s%s%s%s", db, f->sweep || f->task ? " (" : "", f->sweep ? "sweep " : "", f->sweep ? f->sweep : "",
             f->task ? (f->sweep ? ", task " : "task ") : "", f->task ? f->task : "");
    if (f->sweep || f->task) strncat(buf, ")", len - strlen(buf) - 1);
}

typedef struct {
    const sb_compare_options *o;
    const sb_runset *A, *B;
    row *rows;
    int nrows;
    const int *only_a, *only_b;   /* groups without a match */
    int nonly_a, nonly_b;
    sb_compare_outcome *out;
} result;

static void write_doc(sb_doc *d, const result *r)
{
    char a[4400], b[4400];
    side_words(a, sizeof a, r->o->db_a, &r->o->fa);
    side_words(b, sizeof b, r->o->db_b, &r->o->fb);
    sb_doc_begin(d, "sharebench compare");
    sb_doc_para(d, "A: %s, %d runs of %d configurations. B: %s, %d runs of %d configurations.", a, r->A->nruns, r->A->ngroups, b,
                r->B->nruns, r->B->ngroups);
    sb_doc_para(d, "Configurations are matched by every key that changes results (not seed, threads, save or sweep) and runs "
                   "within them by seed. Each change is B - A: the mean difference over the seeds run on both sides with its 95%% "
                   "interval and a paired t-test, or Welch's test where fewer than two seeds pair; for metrics in [0, 1] each "
                   "side's interval is on the logit scale. Beside each change, the configuration's analytic FLOPs per token of "
                   "training and of inference (B's; A's first where they differ). All %d tests are adjusted together (Benjamini-Hochberg, false discovery "
                   "rate 5%%): q <= 0.05 is better or worse, anything else a tie. Speed is not compared here: runs measured on "
                   "different days or loads differ for reasons other than the code (sharebench gate compares speed with the "
                   "machine's calibration).",
                r->out->tests);
    sb_doc_heading(d, 1, "summary", "Summary");
    sb_doc_item(d, "configurations in both: %d; only in A: %d; only in B: %d", r->out->matched, r->out->only_a, r->out->only_b);
    int better = 0, worse = 0;
    for (int i = 0; i < r->nrows; i++) {
        better += r->rows[i].verdict == SB_V_BETTER;
        worse += r->rows[i].verdict == SB_V_WORSE;
    }
    if (!r->out->significant)
        sb_doc_item(d, "no significant difference: every one of the %d changes is a tie after adjustment", r->out->tests);
    else sb_doc_item(d, "significant differences: %d (B better %d, B worse %d) of %d changes", r->out->significant, better, worse,
                     r->out->tests);
    sb_doc_heading(d, 1, "changes", "Changes, B - A");
    static const char *const head[] = { "configuration", "metric", "A [95% CI]", "B [95% CI]", "B - A [95% CI]", "test", "q",
                                        "verdict", "train FLOPs/token", "infer FLOPs/token" };
    sb_doc_table(d, 10, head, "llrrrlrlrr");
    for (int i = 0; i < r->nrows; i++) {
        const row *w = &r->rows[i];
        char c[10][200];
        const char *cells[10];
        snprintf(c[0], sizeof c[0], "%s", r->A->groups[w->ga].label);
        snprintf(c[1], sizeof c[1], "%s", sb_metric_key(w->m));
        fmt_summary(c[2], sizeof c[2], &w->a);
        fmt_summary(c[3], sizeof c[3], &w->b);
        if (w->paired >= 0) snprintf(c[4], sizeof c[4], "%+.4g [%+.4g, %+.4g]", w->t.mean, w->t.lo, w->t.hi);
        else snprintf(c[4], sizeof c[4], "-");
        snprintf(c[5], sizeof c[5], "%s", w->paired == 1 ? "paired t" : w->paired == 0 ? "Welch" : "-");
        if (isfinite(w->q)) snprintf(c[6], sizeof c[6], "%.2g", w->q);
        else snprintf(c[6], sizeof c[6], "-");
        snprintf(c[7], sizeof c[7], "%s", verdict_word(w->verdict));
        flops_cell(c[8], sizeof c[8], r->A, w->ga, r->B, w->gb, SB_M_FLOPS_TRAIN_PER_TOKEN);
        flops_cell(c[9], sizeof c[9], r->A, w->ga, r->B, w->gb, SB_M_FLOPS_INFER_PER_TOKEN);
        for (int k = 0; k < 10; k++) cells[k] = c[k];
        sb_doc_row(d, 10, cells);
    }
    sb_doc_table_end(d);
    if (r->nonly_a || r->nonly_b) {
        sb_doc_heading(d, 1, "unmatched", "Configurations on one side only");
        for (int i = 0; i < r->nonly_a; i++) sb_doc_item(d, "only in A: %s", r->A->groups[r->only_a[i]].label);
        for (int i = 0; i < r->nonly_b; i++) sb_doc_item(d, "only in B: %s", r->B->groups[r->only_b[i]].label);
    }
    sb_doc_end(d);
}

static char *json_text(const result *r)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    cJSON_AddItemToObject(root, "a", side_json(r->o->db_a, &r->o->fa, r->A));
    cJSON_AddItemToObject(root, "b", side_json(r->o->db_b, &r->o->fb, r->B));
    cJSON_AddNumberToObject(root, "alpha", SB_VERDICT_ALPHA);
    cJSON_AddStringToObject(root, "adjustment", "benjamini-hochberg");
    cJSON_AddNumberToObject(root, "tests", r->out->tests);
    cJSON_AddNumberToObject(root, "significant", r->out->significant);
    cJSON *arr = cJSON_AddArrayToObject(root, "changes");
    for (int i = 0; i < r->nrows; i++) {
        const row *w = &r->rows[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "task", sb_json_text(r->A->groups[w->ga].task));
        cJSON_AddItemToObject(o, "configuration", sb_json_text(r->A->groups[w->ga].label));
        cJSON_AddStringToObject(o, "metric", sb_metric_key(w->m));
        cJSON_AddBoolToObject(o, "higher_is_better", w->higher);
        cJSON_AddItemToObject(o, "a", summary_json(&w->a));
        cJSON_AddItemToObject(o, "b", summary_json(&w->b));
        cJSON_AddItemToObject(o, "test", w->paired == 1 ? cJSON_CreateString("paired t") : w->paired == 0 ? cJSON_CreateString("welch")
                                                                                                          : cJSON_CreateNull());
        cJSON_AddNumberToObject(o, "n", w->paired >= 0 ? w->t.n : 0);
        cJSON_AddItemToObject(o, "difference", sb_json_number(w->paired >= 0 ? w->t.mean : NAN));
        cJSON_AddItemToObject(o, "lo", sb_json_number(w->paired >= 0 ? w->t.lo : NAN));
        cJSON_AddItemToObject(o, "hi", sb_json_number(w->paired >= 0 ? w->t.hi : NAN));
        cJSON_AddItemToObject(o, "p", sb_json_number(w->paired >= 0 ? w->t.p_two : NAN));
        cJSON_AddItemToObject(o, "q", sb_json_number(w->q));
        cJSON_AddStringToObject(o, "verdict", verdict_word(w->verdict));
        static const sb_metric_id fl[2] = { SB_M_FLOPS_TRAIN_PER_TOKEN, SB_M_FLOPS_INFER_PER_TOKEN };
        for (int k = 0; k < 2; k++) {
            cJSON *f = cJSON_CreateObject();
            cJSON_AddItemToObject(f, "a", sb_json_number(sb_rs_group_mean(r->A, &r->A->groups[w->ga], fl[k])));
            cJSON_AddItemToObject(f, "b", sb_json_number(sb_rs_group_mean(r->B, &r->B->groups[w->gb], fl[k])));
            cJSON_AddItemToObject(o, sb_metric_key(fl[k]), f);
        }
        cJSON_AddItemToArray(arr, o);
    }
    cJSON *oa = cJSON_AddArrayToObject(root, "only_a"), *ob = cJSON_AddArrayToObject(root, "only_b");
    for (int i = 0; i < r->nonly_a; i++) cJSON_AddItemToArray(oa, sb_json_text(r->A->groups[r->only_a[i]].label));
    for (int i = 0; i < r->nonly_b; i++) cJSON_AddItemToArray(ob, sb_json_text(r->B->groups[r->only_b[i]].label));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}

/* Write the three files, all or none. */
static int write_outputs(const result *r, char *err, size_t errlen)
{
    sb_compare_outcome *out = r->out;
    if (sb_mkdir_p(r->o->outdir)) {
        snprintf(err, errlen, "%s: cannot create: %s", r->o->outdir, strerror(errno));
        return -1;
    }
    char *json = json_text(r);
    if (!json) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sb_doc_files df;
    sb_atomic ajson;
    int rc = -1;
    if (sb_doc_files_open(&df, out->md, out->html, ".", r->o->outdir, err, errlen)) goto done;
    if (sb_atomic_open(&ajson, out->json, err, errlen)) {
        sb_doc_files_abort(&df);
        goto done;
    }
    write_doc(&df.d, r);
    fputs(json, ajson.f);
    fputc('\n', ajson.f);
    if (sb_doc_files_commit(&df, err, errlen)) sb_atomic_abort(&ajson);
    else if (!sb_atomic_commit(&ajson, err, errlen)) rc = 0;
done:
    free(json);
    return rc;
}

int sb_compare_write(const sb_compare_options *o, sb_compare_outcome *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (strlen(o->outdir) > 1024 || strlen(o->name) > 128) {
        snprintf(err, errlen, "--out or --name too long");
        return -1;
    }
    sb_runset *A = sb_runset_open(o->db_a, &o->fa, err, errlen), *B = NULL;
    if (!A) return -1;
    if (!(B = sb_runset_open(o->db_b, &o->fb, err, errlen))) {
        sb_runset_free(A);
        return -1;
    }
    int rc = -1;
    row *rows = calloc((size_t)A->ngroups * NCOMPARED + 1, sizeof *rows);
    int *only_a = calloc((size_t)A->ngroups + 1, sizeof *only_a), *only_b = calloc((size_t)B->ngroups + 1, sizeof *only_b);
    double *p = calloc((size_t)A->ngroups * NCOMPARED + 1, sizeof *p);
    char *matched_b = calloc((size_t)B->ngroups + 1, 1);
    result r = { o, A, B, rows, 0, only_a, only_b, 0, 0, out };
    if (!rows || !only_a || !only_b || !p || !matched_b) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (!A->nruns || !B->nruns) {
        snprintf(err, errlen, "%s: no runs%s", !A->nruns ? o->db_a : o->db_b,
                 (!A->nruns ? o->fa.sweep || o->fa.task : o->fb.sweep || o->fb.task) ? " match" : "");
        goto done;
    }
    for (int ga = 0; ga < A->ngroups; ga++) {
        int gb = sb_rs_group_find(B, A->groups[ga].config);
        if (gb < 0) {
            only_a[r.nonly_a++] = ga;
            continue;
        }
        matched_b[gb] = 1;
        out->matched++;
        for (int k = 0; k < NCOMPARED; k++) {
            row *w = &rows[r.nrows];
            w->ga = ga;
            w->gb = gb;
            w->m = compared[k];
            compare_row(A, B, w);
            /* a metric neither side recorded (test_long of a task without one) is no row */
            if (w->a.n || w->b.n) r.nrows++;
        }
    }
    for (int gb = 0; gb < B->ngroups; gb++)
        if (!matched_b[gb]) only_b[r.nonly_b++] = gb;
    out->only_a = r.nonly_a;
    out->only_b = r.nonly_b;
    if (!out->matched) {
        snprintf(err, errlen, "no configuration of %s is in %s: nothing to compare (%d and %d configurations)", o->db_a, o->db_b,
                 A->ngroups, B->ngroups);
        goto done;
    }
    for (int i = 0; i < r.nrows; i++) p[i] = rows[i].paired >= 0 ? rows[i].t.p_two : NAN;
    if ((out->tests = sb_stats_bh(p, r.nrows, p)) < 0) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int i = 0; i < r.nrows; i++) {
        row *w = &rows[i];
        w->q = p[i];
        if (!isfinite(w->q)) w->verdict = SB_V_UNTESTED;
        else if (w->q > SB_VERDICT_ALPHA || w->t.mean == 0) w->verdict = SB_V_TIE;
        else w->verdict = (w->t.mean > 0) == (w->higher != 0) ? SB_V_BETTER : SB_V_WORSE;
        out->significant += w->verdict == SB_V_BETTER || w->verdict == SB_V_WORSE;
    }
    out->runs_a = A->nruns;
    out->runs_b = B->nruns;
    snprintf(out->md, sizeof out->md, "%s/%s.md", o->outdir, o->name);
    snprintf(out->html, sizeof out->html, "%s/%s.html", o->outdir, o->name);
    snprintf(out->json, sizeof out->json, "%s/%s.json", o->outdir, o->name);
    rc = write_outputs(&r, err, errlen);
done:
    free(rows);
    free(only_a);
    free(only_b);
    free(p);
    free(matched_b);
    sb_runset_free(A);
    sb_runset_free(B);
    return rc;
}
