/*
** tables.c: the gate's result as Markdown and as JSON (tables.h).
*/
#include "tables.h"
#include "stats/stats.h"
#include "sys/fmt.h"
#include "sys/json.h"
#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *kind_name(int k)
{
    return k == SB_GATE_QUALITY ? "quality" : k == SB_GATE_TIMING ? "timing" : k == SB_GATE_MEASURED ? "measured" : "exact";
}

static void calib_range(const sb_runset *s, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int i = 0; i < s->nruns; i++) {
        double x = sb_rs_metric(&s->runs[i], SB_M_CALIB_GFLOPS);
        if (isfinite(x)) {
            if (x < *lo) *lo = x;
            if (x > *hi) *hi = x;
        }
    }
}

static void describe_set(FILE *f, const char *what, const sb_runset *s)
{
    char code[256], cpu[256];
    double lo, hi;
    sb_rs_distinct(s, offsetof(sb_rs_run, code_version), code, sizeof code);
    sb_rs_distinct(s, offsetof(sb_rs_run, cpu), cpu, sizeof cpu);
    calib_range(s, &lo, &hi);
    fprintf(f, "- %s: `%s`: %d runs of %d configurations; code %s; CPU %s", what, s->source, s->nruns, s->ngroups, code, cpu);
    if (isfinite(lo)) fprintf(f, "; calibration %.1f to %.1f GFLOP/s", lo, hi);
    fprintf(f, "\n");
    int dirty = sb_gate_dirty_runs(s);
    if (dirty)
        fprintf(f, "- **warning**: %d %s run%s came from a tree with uncommitted changes (-dirty): the version names no "
                   "commit, only the source hash after src: tells builds apart\n",
                dirty, what, dirty > 1 ? "s" : "");
}

/* The rows with a test, Holm's family. */
static int tested_rows(const sb_gate_result *res)
{
    int n = 0;
    for (int i = 0; i < res->nrows; i++) n += isfinite(res->rows[i].p_holm);
    return n;
}

static void fmt_value(char *buf, size_t len, const sb_gate_row *r, double v)
{
    if (!isfinite(v)) snprintf(buf, len, "-");
    else if (!strcmp(r->unit, "bytes")) sb_fmt_bytes(v, buf, len);
    else if (r->kind == SB_GATE_QUALITY) snprintf(buf, len, "%.4f", v);
    else snprintf(buf, len, "%.4g", v);
}

static void fmt_change(char *buf, size_t len, const sb_gate_row *r)
{
    if (!isfinite(r->change)) snprintf(buf, len, "-");
    else if (r->kind == SB_GATE_QUALITY) snprintf(buf, len, "%+.4f", r->change);
    else snprintf(buf, len, "%+.1f%%", 100 * (r->change - 1));
}

int sb_gate_markdown(FILE *f, const sb_runset *base, const sb_runset *cand, const sb_gate_options *o,
                     const sb_gate_result *res)
{
    const char *v = sb_gate_verdict(res->status);
    fprintf(f, "# sharebench gate: %s (exit %d)\n\n", v, res->status);
    if (res->status == 0) fprintf(f, "Nothing regressed.\n\n");
    else if (res->status == 1)
        fprintf(f, "**Regressed**: %d worse, %d newly failing.\n\n", res->count[SB_MARK_WORSE], res->count[SB_MARK_NEWLY_FAILING]);
    else
        fprintf(f, "**The comparison is not possible**: %d missing, %d with too few repetitions, %d not measurable here (see "
                   "the notes in the table).\n\n",
                res->count[SB_MARK_MISSING], res->count[SB_MARK_TOO_FEW], res->count[SB_MARK_NOT_MEASURABLE]);
    describe_set(f, "baseline", base);
    describe_set(f, "candidate", cand);
    fprintf(f, "- normalisation: %s\n", res->normalisation);
    fprintf(f,
            "- quality (test, test_long): the mean change across seeds against the tolerance (test %g, test_long %g), a "
            "paired t-test across seeds, at least %d seeds\n",
            o->tol_test, o->tol_test_long, o->min_seeds);
    fprintf(f,
            "- timing (train_step_ms: a run's median uncontended step; inference and decoding rates) and measured memory: "
            "the ratio of geometric means over runs against x%g (speed) or x%g (memory), Welch's t-test on the logarithms, "
            "at least %d clean runs a side; runs other processes slowed are left out\n",
            o->speed_factor, o->memory_factor, o->min_runs);
    fprintf(f, "- exact (train_bytes, params_unique, kv_cache_bytes): compared as numbers on every seed, past x%g worse\n",
            o->memory_factor);
    fprintf(f,
            "- beyond the tolerance: a one-sided test that the change is not zero; inside: two one-sided tests of "
            "equivalence; the p-values of all %d tested rows adjusted together (Holm), marks at alpha %g\n\n",
            tested_rows(res), o->alpha);
    fprintf(f, "| configuration | metric | unit | baseline | candidate | change | p | p (Holm) | n | mark | note |\n");
    fprintf(f, "|---|---|---|--:|--:|--:|--:|--:|--:|---|---|\n");
    for (int i = 0; i < res->nrows; i++) {
        const sb_gate_row *r = &res->rows[i];
        char b[64], c[64], d[64], p[32], ph[32], n[32];
        fmt_value(b, sizeof b, r, r->base);
        fmt_value(c, sizeof c, r, r->cand);
        fmt_change(d, sizeof d, r);
        if (isfinite(r->p)) snprintf(p, sizeof p, "%.2g", r->p);
        else snprintf(p, sizeof p, "-");
        if (isfinite(r->p_holm)) snprintf(ph, sizeof ph, "%.2g", r->p_holm);
        else snprintf(ph, sizeof ph, "-");
        if (r->n_base || r->n_cand) snprintf(n, sizeof n, "%d/%d", r->n_base, r->n_cand);
        else snprintf(n, sizeof n, "-");
        fputs("| ", f);
        sb_fmt_md_cell(f, r->config);
        fputs(" | ", f);
        sb_fmt_md_cell(f, r->metric);
        fputs(" | ", f);
        sb_fmt_md_cell(f, r->unit);
        fprintf(f, " | %s | %s | %s | %s | %s | %s | %s%s%s | ", b, c, d, p, ph, n,
                r->mark == SB_MARK_WORSE || r->mark == SB_MARK_NEWLY_FAILING || r->mark >= SB_MARK_NOT_MEASURABLE ? "**" : "",
                sb_mark_name(r->mark),
                r->mark == SB_MARK_WORSE || r->mark == SB_MARK_NEWLY_FAILING || r->mark >= SB_MARK_NOT_MEASURABLE ? "**" : "");
        sb_fmt_md_cell(f, r->note);
        fputs(" |\n", f);
    }
    /* geometric mean of the ratios per speed/memory metric (Google Benchmark's summary row) */
    int header = 0;
    int kind;
    for (int m = 0; sb_gate_metric(m, &kind); m++) {
        if (kind == SB_GATE_QUALITY || kind == SB_GATE_EXACT) continue;
        double *x = malloc(sizeof *x * (size_t)(res->nrows + 1));
        int n = 0;
        if (!x) return -1;
        for (int i = 0; i < res->nrows; i++)
            if (!strcmp(res->rows[i].metric, sb_gate_metric(m, NULL)) && isfinite(res->rows[i].change) && res->rows[i].change > 0)
                x[n++] = res->rows[i].change;
        if (n) {
            if (!header++) fprintf(f, "\nGeometric mean of candidate / baseline over the configurations:");
            fprintf(f, "%s %s x%.3f", header > 1 ? "," : "", sb_gate_metric(m, NULL), sb_stats_geomean(x, n));
        }
        free(x);
    }
    if (header) fprintf(f, ".\n");
    fprintf(f, "\nMarks: ");
    for (int k = 0; k < SB_MARK_COUNT; k++) fprintf(f, "%s%d %s", k ? ", " : "", res->count[k], sb_mark_name(k));
    fprintf(f, ".\n\nWhat the marks mean:\n\n");
    for (int k = 0; k < SB_MARK_COUNT; k++) fprintf(f, "- %s: %s\n", sb_mark_name(k), sb_mark_meaning(k));
    if (res->nnotes) {
        fprintf(f, "\nNotes:\n\n");
        for (int i = 0; i < res->nnotes; i++) fprintf(f, "- %s\n", res->notes[i]);
    }
    return ferror(f) ? -1 : 0;
}

static cJSON *set_json(const sb_runset *s)
{
    cJSON *o = cJSON_CreateObject();
    char code[256], cpu[256];
    double lo, hi;
    sb_rs_distinct(s, offsetof(sb_rs_run, code_version), code, sizeof code);
    sb_rs_distinct(s, offsetof(sb_rs_run, cpu), cpu, sizeof cpu);
    calib_range(s, &lo, &hi);
    cJSON_AddItemToObject(o, "source", sb_json_text(s->source));
    cJSON_AddNumberToObject(o, "runs", s->nruns);
    cJSON_AddNumberToObject(o, "configurations", s->ngroups);
    cJSON_AddItemToObject(o, "code_version", sb_json_text(code));
    cJSON_AddNumberToObject(o, "dirty_runs", sb_gate_dirty_runs(s));
    cJSON_AddItemToObject(o, "cpu", sb_json_text(cpu));
    cJSON_AddItemToObject(o, "calib_gflops_min", sb_json_number(lo));
    cJSON_AddItemToObject(o, "calib_gflops_max", sb_json_number(hi));
    return o;
}

int sb_gate_json(FILE *f, const sb_runset *base, const sb_runset *cand, const sb_gate_options *o,
                 const sb_gate_result *res)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return -1;
    cJSON_AddStringToObject(root, "verdict", sb_gate_verdict(res->status));
    cJSON_AddNumberToObject(root, "exit_status", res->status);
    cJSON_AddItemToObject(root, "baseline", set_json(base));
    cJSON_AddItemToObject(root, "candidate", set_json(cand));
    cJSON_AddStringToObject(root, "normalisation", res->normalisation);
    cJSON *opt = cJSON_AddObjectToObject(root, "options");
    cJSON_AddStringToObject(opt, "metrics", o->metrics ? o->metrics : "all");
    cJSON_AddNumberToObject(opt, "tolerance_test", o->tol_test);
    cJSON_AddNumberToObject(opt, "tolerance_test_long", o->tol_test_long);
    cJSON_AddNumberToObject(opt, "speed_factor", o->speed_factor);
    cJSON_AddNumberToObject(opt, "memory_factor", o->memory_factor);
    cJSON_AddNumberToObject(opt, "alpha", o->alpha);
    cJSON_AddNumberToObject(opt, "min_seeds", o->min_seeds);
    cJSON_AddNumberToObject(opt, "min_runs", o->min_runs);
    cJSON_AddNumberToObject(opt, "warmup_steps", o->warmup);
    cJSON_AddBoolToObject(opt, "normalise", o->normalise);
    cJSON *counts = cJSON_AddObjectToObject(root, "marks");
    for (int k = 0; k < SB_MARK_COUNT; k++) cJSON_AddNumberToObject(counts, sb_mark_name(k), res->count[k]);
    cJSON *rows = cJSON_AddArrayToObject(root, "rows");
    for (int i = 0; i < res->nrows; i++) {
        const sb_gate_row *r = &res->rows[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddItemToObject(x, "configuration", sb_json_text(r->config));
        cJSON_AddItemToObject(x, "metric", sb_json_text(r->metric));
        cJSON_AddStringToObject(x, "kind", kind_name(r->kind));
        cJSON_AddStringToObject(x, "unit", r->unit);
        cJSON_AddBoolToObject(x, "higher_is_better", r->higher_is_better);
        cJSON_AddItemToObject(x, "baseline", sb_json_number(r->base));
        cJSON_AddItemToObject(x, "candidate", sb_json_number(r->cand));
        cJSON_AddItemToObject(x, "change", sb_json_number(r->change));
        cJSON_AddStringToObject(x, "change_is", r->kind == SB_GATE_QUALITY ? "difference" : "ratio");
        cJSON_AddItemToObject(x, "threshold", sb_json_number(r->threshold));
        cJSON_AddStringToObject(x, "test", r->test);
        cJSON_AddItemToObject(x, "p", sb_json_number(r->p));
        cJSON_AddItemToObject(x, "p_holm", sb_json_number(r->p_holm));
        cJSON_AddBoolToObject(x, "beyond_threshold", r->beyond);
        cJSON_AddNumberToObject(x, "n_baseline", r->n_base);
        cJSON_AddNumberToObject(x, "n_candidate", r->n_cand);
        cJSON_AddStringToObject(x, "mark", sb_mark_name(r->mark));
        cJSON_AddItemToObject(x, "note", sb_json_text(r->note));
        cJSON_AddItemToArray(rows, x);
    }
    cJSON *notes = cJSON_AddArrayToObject(root, "notes");
    for (int i = 0; i < res->nnotes; i++) cJSON_AddItemToArray(notes, sb_json_text(res->notes[i]));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return -1;
    fputs(text, f);
    fputc('\n', f);
    cJSON_free(text);
    return ferror(f) ? -1 : 0;
}
