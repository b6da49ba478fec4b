/*
** gate.c: the regression gate (gate.h): its options, the metrics it knows
** and what each reads of a run, and the comparison of a candidate with a
** baseline configuration by configuration, seed by seed, each mark decided
** by decide.c.
*/
#include "gate.h"
#include "results/series.h"
#include "stats/stats.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The metrics the gate knows, in the order of its table, and what each reads
** of a run (a registry metric; STEP_TIMES: train_step_ms_quiet, the median of
** the run's uncontended steps, or for older records the median of the series
** step_ms after the warm-up; STEP_BYTES: the sum of the training step's
** bytes_* accounting). The registry's kind of `like` decides how it is
** compared, its direction which way is worse. */
enum { STEP_TIMES = -1, STEP_BYTES = -2 };
static const struct {
    const char *name, *what;
    int reads;
    sb_metric_id like;
} gated[] = {
    { "test", "test split, the task's headline metric", SB_M_TEST, SB_M_TEST },
    { "test_long", "longer sequences than training (length generalisation)", SB_M_TEST_LONG, SB_M_TEST_LONG },
    { "train_step_ms", "a run's median uncontended training step after the warm-up", STEP_TIMES, SB_M_TRAIN_STEP_MS },
    { "infer_tokens_per_s", "full forward passes, tokens per second", SB_M_INFER_TOKENS_PER_S, SB_M_INFER_TOKENS_PER_S },
    { "decode_tokens_per_s", "token-by-token decoding with the key/value cache", SB_M_DECODE_TOKENS_PER_S,
      SB_M_DECODE_TOKENS_PER_S },
    { "train_bytes", "memory of a training step from the engine's accounting", STEP_BYTES, SB_M_BYTES_PARAMS },
    { "params_unique", "trainable parameters, shared blocks once", SB_M_PARAMS_UNIQUE, SB_M_PARAMS_UNIQUE },
    { "kv_cache_bytes", "the key/value cache at the task's length", SB_M_KV_CACHE_BYTES, SB_M_KV_CACHE_BYTES },
    { "peak_rss_bytes", "peak resident memory of the run", SB_M_PEAK_RSS_BYTES, SB_M_PEAK_RSS_BYTES },
};
#define NGATED (int)(sizeof gated / sizeof gated[0])

/* How gated metric m is compared: the registry's kind of what it is like. */
static int gate_kind(int m)
{
    switch (sb_metric_info_of(gated[m].like)->kind) {
    case SB_KIND_QUALITY: return SB_GATE_QUALITY;
    case SB_KIND_TIMING: return SB_GATE_TIMING;
    case SB_KIND_MEASURED: return SB_GATE_MEASURED;
    default: return SB_GATE_EXACT;
    }
}

void sb_gate_defaults(sb_gate_options *o)
{
    o->metrics = NULL;
    o->tol_test = 0.02;
    o->tol_test_long = 0.03;
    o->speed_factor = 1.25;
    o->memory_factor = 1.10;
    o->alpha = 0.05;
    o->min_seeds = 3;
    o->min_runs = 3;
    o->warmup = 5;
    o->normalise = 1;
    o->remeasured = NULL;
}

static int parse_real(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || !(x >= lo && x <= hi)) return -1;
    *out = x;
    return 0;
}

static int gated_index(const char *name)
{
    for (int i = 0; i < NGATED; i++)
        if (!strcmp(gated[i].name, name)) return i;
    return -1;
}

int sb_gate_option(sb_gate_options *o, const char *name, const char *value, char *err, size_t errlen)
{
    double x;
    if (!strcmp(name, "tolerance")) {
        const char *eq = strchr(value, '=');
        if (!eq || (strncmp(value, "test=", 5) && strncmp(value, "test_long=", 10)) || parse_real(eq + 1, 0, 1e9, &x)) {
            snprintf(err, errlen, "--tolerance '%s': expected test=X or test_long=X with X >= 0 (absolute, in the metric's units)", value);
            return -1;
        }
        if (value[4] == '=') o->tol_test = x;
        else o->tol_test_long = x;
    } else if (!strcmp(name, "speed-factor") || !strcmp(name, "memory-factor")) {
        if (parse_real(value, 1, 1e6, &x)) {
            snprintf(err, errlen, "--%s '%s': expected a factor >= 1 (1.25: 25%% slower or larger)", name, value);
            return -1;
        }
        if (name[0] == 's') o->speed_factor = x;
        else o->memory_factor = x;
    } else if (!strcmp(name, "alpha")) {
        if (parse_real(value, 1e-12, 0.5, &x)) {
            snprintf(err, errlen, "--%s '%s': expected a significance level in (0, 0.5]", name, value);
            return -1;
        }
        o->alpha = x;
    } else if (!strcmp(name, "min-seeds") || !strcmp(name, "min-runs") || !strcmp(name, "warmup")) {
        if (parse_real(value, !strcmp(name, "warmup") ? 0 : 2, 1000000, &x) || x != floor(x)) {
            snprintf(err, errlen, "--%s '%s': expected a whole number%s", name, value, name[0] == 'm' ? " >= 2" : " >= 0");
            return -1;
        }
        if (!strcmp(name, "min-seeds")) o->min_seeds = (int)x;
        else if (!strcmp(name, "min-runs")) o->min_runs = (int)x;
        else o->warmup = (int)x;
    } else if (!strcmp(name, "normalise")) {
        if (!strcmp(value, "calib")) o->normalise = 1;
        else if (!strcmp(value, "none")) o->normalise = 0;
        else {
            snprintf(err, errlen, "--normalise '%s': expected calib or none", value);
            return -1;
        }
    } else if (!strcmp(name, "metrics")) {
        char list[512];
        if (snprintf(list, sizeof list, "%s", value) >= (int)sizeof list || !*value) {
            snprintf(err, errlen, "--metrics: expected a comma-separated list");
            return -1;
        }
        char *save = NULL;
        for (char *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save))
            if (gated_index(m) < 0) {
                int len = snprintf(err, errlen, "--metrics: unknown metric '%s'; the gate knows:", m);
                for (int i = 0; i < NGATED && len < (int)errlen; i++)
                    len += snprintf(err + len, errlen - (size_t)len, " %s", gated[i].name);
                return -1;
            }
        o->metrics = value;
    } else {
        snprintf(err, errlen, "unknown gate option '%s'", name);
        return -1;
    }
    return 0;
}

const char *sb_gate_metric(int i, int *kind)
{
    if (i < 0 || i >= NGATED) return NULL;
    if (kind) *kind = gate_kind(i);
    return gated[i].name;
}

static int metric_selected(const sb_gate_options *o, const char *name)
{
    if (!o->metrics) return 1;
    size_t n = strlen(name);
    for (const char *p = o->metrics; (p = strstr(p, name)); p += n)
        if ((p == o->metrics || p[-1] == ',') && (p[n] == ',' || !p[n])) return 1;
    return 0;
}

/* ---- comparing run sets ---- */

typedef struct {
    const sb_runset *base, *cand;
    const sb_gate_options *o;
    sb_gate_result *res;
    char *err;
    size_t errlen;
    int failed;
} ctx;

static sb_gate_row *new_row(ctx *c, const sb_rs_group *g, const char *metric, int kind)
{
    sb_gate_row *p = realloc(c->res->rows, sizeof *p * (size_t)(c->res->nrows + 1));
    if (!p) {
        c->failed = 1;
        return NULL;
    }
    c->res->rows = p;
    sb_gate_row *r = &p[c->res->nrows++];
    memset(r, 0, sizeof *r);
    snprintf(r->config, sizeof r->config, "%s", g->label);
    snprintf(r->metric, sizeof r->metric, "%s", metric);
    r->kind = kind;
    r->base = r->cand = r->change = r->p = r->p_holm = r->threshold = NAN;
    r->test = "";
    return r;
}

static void add_note(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(ctx *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **p = realloc(c->res->notes, sizeof *p * (size_t)(c->res->nnotes + 1));
    if (p) c->res->notes = p;
    if (!p || !(p[c->res->nnotes] = strdup(buf))) {
        c->failed = 1;
        return;
    }
    c->res->notes = p;
    c->res->nnotes++;
}

/* The configuration keys in which two configs differ, "steps 150 -> 100, lr ...". */
static void config_diff(const char *a, const char *b, char *out, size_t len)
{
    size_t o = 0;
    out[0] = 0;
    /* both are sorted "key=value\n" lists: merge */
    while ((*a || *b) && o < len - 1) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        const char *qa = *a ? strchr(a, '=') : NULL, *qb = *b ? strchr(b, '=') : NULL;
        int ka = qa ? (int)(qa - a) : 0, kb = qb ? (int)(qb - b) : 0;
        int cmp = !*a ? 1 : !*b ? -1 : strncmp(a, b, (size_t)(ka < kb ? ka : kb));
        if (!cmp && ka != kb) cmp = ka - kb;
        if (cmp == 0) {
            int va = (int)(ea - qa - 1), vb = (int)(eb - qb - 1);
            if (va != vb || strncmp(qa + 1, qb + 1, (size_t)va))
                o += (size_t)snprintf(out + o, len - o, "%s%.*s %.*s -> %.*s", o ? ", " : "", ka, a, va, qa + 1, vb, qb + 1);
            a = ea + 1;
            b = eb + 1;
        } else if (cmp < 0) {
            o += (size_t)snprintf(out + o, len - o, "%s%.*s only in the baseline", o ? ", " : "", ka, a);
            a = ea + 1;
        } else {
            o += (size_t)snprintf(out + o, len - o, "%s%.*s only in the candidate", o ? ", " : "", kb, b);
            b = eb + 1;
        }
    }
}

/* Does any finished run of the group have what gated metric m reads? */
static int group_has(const sb_runset *s, const sb_rs_group *g, int m)
{
    for (int k = 0; k < g->nrun; k++) {
        const sb_rs_run *r = &s->runs[g->run[k]];
        if (!sb_rs_finished(r)) continue;
        if (gated[m].reads == STEP_TIMES) {
            if (sb_rs_has_metric(r, SB_M_TRAIN_STEP_MS_QUIET) || sb_rs_has_metric(r, SB_M_CONTENDED) ||
                sb_rs_has_series(s, r, SB_S_STEP_MS) > 0)
                return 1;
        } else if (isfinite(sb_rs_metric(r, gated[m].reads == STEP_BYTES ? SB_M_BYTES_PARAMS : gated[m].reads))) {
            return 1;
        }
    }
    return 0;
}

static double train_bytes(const sb_rs_run *r)
{
    static const sb_metric_id parts[] = { SB_M_BYTES_PARAMS, SB_M_BYTES_GRADS, SB_M_BYTES_OPTIM, SB_M_BYTES_ACTS, SB_M_BYTES_SCRATCH };
    double s = 0;
    for (int i = 0; i < 5; i++) s += sb_rs_metric(r, parts[i]);
    return s;
}

/* The unit of gated metric m's values in the table: normalised speeds say so. */
static void unit_of(const sb_gate_options *o, int m, char *out, size_t len)
{
    if (gate_kind(m) == SB_GATE_TIMING && o->normalise)
        snprintf(out, len, "%s", gated[m].reads == STEP_TIMES ? "GEMM-GFLOP a step (normalised)" : "tokens per GEMM-GFLOP (normalised)");
    else if (gate_kind(m) == SB_GATE_QUALITY)
        out[0] = 0;   /* the task's metric, named beside the metric */
    else
        snprintf(out, len, "%s", sb_metric_info_of(gated[m].like)->unit);
}

/* The median of a run's step times after the warm-up (records before
** train_step_ms_quiet): NAN, with the step named in bad, when one is not a
** positive finite number. 0, or -1 when the database cannot be read. */
static int step_median(ctx *c, const sb_runset *s, const sb_rs_run *r, double *out, char *bad, size_t badlen)
{
    long *steps;
    double *vals;
    int np, n = 0;
    if (sb_rs_series(s, r, SB_S_STEP_MS, -1, -1, &steps, &vals, &np, c->err, c->errlen)) return -1;
    for (int i = 0; i < np; i++) {
        if (steps[i] < c->o->warmup) continue;
        if (!(vals[i] > 0 && isfinite(vals[i])) && !bad[0])
            snprintf(bad, badlen, "seed %ld step %ld: %s %g", r->seed, steps[i], sb_series_key(SB_S_STEP_MS), vals[i]);
        vals[n++] = vals[i];
    }
    *out = bad[0] ? NAN : sb_stats_median(vals, n);
    free(steps);
    free(vals);
    return 0;
}

/* One value per run of gated metric m (timing or measured) over the runs
** idx[0..n) of set s, speeds normalised by the run's calibration when asked.
** Runs whose timing was contended are left out and counted in *contended.
** Returns the count of values, -1 on error. A value must be a positive finite
** number: the first that is not, with its seed (and step), goes to bad ("" when none). */
static int repetitions(ctx *c, const sb_runset *s, const int *idx, int n, int m, double *out, int *contended, char *bad,
                       size_t badlen)
{
    int cnt = 0;
    *contended = 0;
    bad[0] = 0;
    for (int k = 0; k < n; k++) {
        const sb_rs_run *r = &s->runs[idx[k]];
        int timing = gate_kind(m) == SB_GATE_TIMING;
        double calib = timing && c->o->normalise ? sb_rs_metric(r, SB_M_CALIB_GFLOPS) : 1, v;
        if (gated[m].reads == STEP_TIMES) {
            if (sb_rs_metric(r, SB_M_CONTENDED) > 0) {
                (*contended)++;
                continue;
            }
            if (sb_rs_has_metric(r, SB_M_TRAIN_STEP_MS_QUIET)) {
                v = sb_rs_metric(r, SB_M_TRAIN_STEP_MS_QUIET);
                if (!(v > 0 && isfinite(v)) && !bad[0])
                    snprintf(bad, badlen, "seed %ld: %s %g", r->seed, sb_metric_key(SB_M_TRAIN_STEP_MS_QUIET), v);
            } else if (step_median(c, s, r, &v, bad, badlen)) {
                return -1;
            }
            v = c->o->normalise ? v * calib / 1000 : v;
        } else {
            if (timing && sb_rs_metric(r, SB_M_INFER_CONTENDED) > 0) {
                (*contended)++;
                continue;
            }
            v = sb_rs_metric(r, gated[m].reads);
            if (!(v > 0 && isfinite(v)) && !bad[0]) snprintf(bad, badlen, "seed %ld: %s %g", r->seed, gated[m].name, v);
            v /= calib;
        }
        out[cnt++] = v;
    }
    return cnt;
}

/* An exact metric: every paired seed's values compared as numbers; the pair
** that changed most decides (they should all agree: the figure is deterministic). */
static void exact_row(ctx *c, sb_gate_row *row, int m, const int *pb, const int *pc, int np)
{
    const sb_runset *B = c->base, *C = c->cand;
    char bad[2][160] = { "", "" };
    double x = NAN, y = NAN, worst = -1, lo[2] = { INFINITY, INFINITY }, hi[2] = { -INFINITY, -INFINITY };
    for (int k = 0; k < np; k++) {
        double v[2];
        for (int side = 0; side < 2; side++) {
            const sb_rs_run *r = side ? &C->runs[pc[k]] : &B->runs[pb[k]];
            v[side] = gated[m].reads == STEP_BYTES ? train_bytes(r) : sb_rs_metric(r, gated[m].reads);
            size_t l = strlen(bad[side]);
            if (!isfinite(v[side]) && l < sizeof bad[side] - 40)
                snprintf(bad[side] + l, sizeof bad[side] - l, "%sseed %ld %s", l ? ", " : "", r->seed,
                         isnan(v[side]) ? "has none or nan" : "is inf");
            if (v[side] < lo[side]) lo[side] = v[side];
            if (v[side] > hi[side]) hi[side] = v[side];
        }
        double d = fabs(log(v[1] / v[0]));
        if (isfinite(v[0]) && isfinite(v[1]) && (d > worst || (isnan(d) && worst < 0))) {
            worst = isnan(d) ? 0 : d;
            x = v[0];
            y = v[1];
        }
    }
    if (bad[0][0] || bad[1][0]) {
        row->mark = SB_MARK_MISSING;
        if (bad[0][0]) sb_gate_note(row, "baseline: %s of a finished run must be a finite number: %s", gated[m].name, bad[0]);
        if (bad[1][0]) sb_gate_note(row, "candidate: %s of a finished run must be a finite number: %s", gated[m].name, bad[1]);
        return;
    }
    if (!np) {
        row->mark = SB_MARK_TOO_FEW;
        sb_gate_note(row, "no seed finished in both");
        return;
    }
    sb_gate_exact(x, y, row->higher_is_better, c->o->memory_factor, row);
    row->n_base = row->n_cand = np;
    for (int side = 0; side < 2; side++)
        if (lo[side] != hi[side])
            sb_gate_note(row, "%s: not the same on every seed (%.17g to %.17g)", side ? "candidate" : "baseline", lo[side], hi[side]);
}

static void compare_group(ctx *c, const sb_rs_group *bg)
{
    const sb_runset *B = c->base, *C = c->cand;
    const sb_gate_options *o = c->o;
    int cgi = sb_rs_group_find(C, bg->config);
    const sb_rs_group *cg = cgi >= 0 ? &C->groups[cgi] : NULL;
    /* which metrics apply: those the baseline has */
    int applies[NGATED];
    for (int i = 0; i < NGATED; i++) applies[i] = metric_selected(o, gated[i].name) && group_has(B, bg, i);
    /* quality is compared whichever side lacks it: a baseline whose test rows
    ** were lost, or hold NaN, must not pass for want of rows (a benchmark's
    ** runs, tasks bench.*, have no quality) */
    for (int i = 0; i < NGATED; i++)
        if (gate_kind(i) == SB_GATE_QUALITY && metric_selected(o, gated[i].name) && strncmp(bg->task, "bench.", 6))
            applies[i] |= gated[i].reads == SB_M_TEST || (cg && group_has(C, cg, i));
    const sb_rs_run *b0 = &B->runs[bg->run[0]];
    int higher = sb_rs_higher_is_better(b0);
    char why[512] = "";
    sb_mark whole = SB_MARK_UNCHANGED;
    if (!cg) {
        /* a configuration of the same task and sharing, to say what differs */
        for (int g = 0; g < C->ngroups; g++)
            if (!strcmp(C->groups[g].task, bg->task) && !strcmp(C->groups[g].sharing, bg->sharing)) {
                char d[400];
                config_diff(bg->config, C->groups[g].config, d, sizeof d);
                snprintf(why, sizeof why, "the candidate ran a different configuration: %s", d);
                break;
            }
        if (!why[0]) snprintf(why, sizeof why, "no runs of this configuration in the candidate");
        whole = SB_MARK_MISSING;
    }
    /* seed by seed */
    int nb = bg->nrun, *pb = malloc(sizeof(int) * (size_t)(nb + 1)), *pc = malloc(sizeof(int) * (size_t)(nb + 1)), np = 0;
    if (!pb || !pc) {
        free(pb);
        free(pc);
        c->failed = 1;
        return;
    }
    for (int k = 0; cg && k < nb; k++) {
        const sb_rs_run *rb = &B->runs[bg->run[k]];
        const sb_rs_run *rc = NULL;
        for (int j = 0; j < cg->nrun && !rc; j++)
            if (C->runs[cg->run[j]].seed == rb->seed) rc = &C->runs[cg->run[j]];
        size_t wl = strlen(why);
        if (!rc) {
            snprintf(why + wl, sizeof why - wl, "%sseed %ld missing in the candidate", wl ? "; " : "", rb->seed);
            whole = SB_MARK_MISSING;
        } else if (sb_rs_finished(rb) && !sb_rs_finished(rc)) {
            char e[160];
            snprintf(e, sizeof e, "%s", rc->error);
            snprintf(why + wl, sizeof why - wl, "%sseed %ld %s%s%s (finished in the baseline)", wl ? "; " : "", rb->seed,
                     rc->status, *e ? ": " : "", e);
            if (whole != SB_MARK_MISSING) whole = SB_MARK_NEWLY_FAILING;
        } else if (!sb_rs_finished(rb)) {
            snprintf(why + wl, sizeof why - wl, "%sseed %ld %s in the baseline%s", wl ? "; " : "", rb->seed, rb->status,
                     sb_rs_finished(rc) ? ", finishes now (left out)" : " and now (left out)");
        } else {
            pb[np] = bg->run[k];
            pc[np] = (int)(rc - C->runs);
            np++;
        }
    }
    for (int i = 0; i < NGATED && !c->failed; i++) {
        if (!applies[i]) continue;
        const char *m = gated[i].name;
        int kind = gate_kind(i);
        sb_gate_row *row = new_row(c, bg, m, kind);
        if (!row) break;
        unit_of(o, i, row->unit, sizeof row->unit);
        row->higher_is_better = kind == SB_GATE_QUALITY ? higher : sb_metric_info_of(gated[i].like)->better == SB_BETTER_HIGHER;
        if (whole != SB_MARK_UNCHANGED) {
            row->mark = whole;
            snprintf(row->note, sizeof row->note, "%s", why);
            continue;
        }
        if (cg && !group_has(C, cg, i)) {
            row->mark = SB_MARK_MISSING;
            sb_gate_note(row, "the baseline has %s, the candidate's runs do not", m);
            continue;
        }
        if (kind == SB_GATE_QUALITY) {
            double *bv = malloc(sizeof *bv * (size_t)(np + 1)), *cv = malloc(sizeof *cv * (size_t)(np + 1));
            int n = 0, nan_now = 0;
            if (!bv || !cv) {
                free(bv);
                free(cv);
                c->failed = 1;
                break;
            }
            /* a finished run without a finite value, on either side: the
            ** record is broken, and the comparison not possible (exit 2) */
            char bad[2][160] = { "", "" };
            for (int k = 0; k < np; k++) {
                const sb_rs_run *rb = &B->runs[pb[k]], *rcand = &C->runs[pc[k]];
                double x = sb_rs_metric(rb, gated[i].reads), y = sb_rs_metric(rcand, gated[i].reads);
                for (int side = 0; side < 2; side++) {
                    const sb_rs_run *r = side ? rcand : rb;
                    double v = side ? y : x;
                    size_t l = strlen(bad[side]);
                    if (!isfinite(v) && l < sizeof bad[side] - 40)
                        snprintf(bad[side] + l, sizeof bad[side] - l, "%sseed %ld %s", l ? ", " : "", r->seed,
                                 isnan(v) && !sb_rs_has_metric(r, gated[i].reads) ? "has none"
                                 : isnan(v)                                         ? "is nan"
                                 : v > 0                                            ? "is inf"
                                                                                    : "is -inf");
                }
                if (!isfinite(x) || !isfinite(y)) { nan_now++; continue; }
                bv[n] = x;
                cv[n] = y;
                n++;
            }
            const char *metric_name = sb_rs_param(b0, "metric");
            if (nan_now) {
                row->mark = SB_MARK_MISSING;
                if (bad[0][0]) sb_gate_note(row, "baseline: %s of a finished run must be a finite number: %s", m, bad[0]);
                if (bad[1][0]) sb_gate_note(row, "candidate: %s of a finished run must be a finite number: %s", m, bad[1]);
                row->base = sb_stats_mean(bv, n);
            } else {
                sb_gate_quality(bv, cv, n, higher, !strcmp(m, "test") ? o->tol_test : o->tol_test_long, o->alpha, o->min_seeds,
                                row);
            }
            if (metric_name) {
                char nm[64];
                snprintf(nm, sizeof nm, "%s (%s)", m, metric_name);
                snprintf(row->metric, sizeof row->metric, "%s", nm);
            }
            free(bv);
            free(cv);
            if (why[0]) sb_gate_note(row, "%s", why);
            continue;
        }
        if (kind == SB_GATE_EXACT) {
            exact_row(c, row, i, pb, pc, np);
            if (why[0]) sb_gate_note(row, "%s", why);
            continue;
        }
        /* timing: calibration first */
        if (o->normalise && kind == SB_GATE_TIMING) {
            int lacking = 0;
            for (int k = 0; k < np; k++)
                lacking += !(sb_rs_metric(&B->runs[pb[k]], SB_M_CALIB_GFLOPS) > 0) + !(sb_rs_metric(&C->runs[pc[k]], SB_M_CALIB_GFLOPS) > 0);
            if (lacking) {
                row->mark = SB_MARK_MISSING;
                sb_gate_note(row, "%d run%s without calib_gflops: cannot normalise (--normalise none compares raw speeds)", lacking,
                     lacking > 1 ? "s" : "");
                continue;
            }
        }
        double *bv = malloc(sizeof *bv * (size_t)(2 * np + 2)), *cv = bv + np + 1;
        if (!bv) {
            c->failed = 1;
            break;
        }
        char badb[160], badc[160];
        int xb, xc;
        int nbv = repetitions(c, B, pb, np, i, bv, &xb, badb, sizeof badb), ncv = repetitions(c, C, pc, np, i, cv, &xc, badc, sizeof badc);
        if (o->remeasured && gated[i].reads == STEP_TIMES && ncv >= 0) {
            /* the candidate's step time from the quiet re-measurement, not its runs */
            const sb_gate_remeasured *rm = &o->remeasured[bg - B->groups];
            double *p = realloc(bv, sizeof *bv * (size_t)(np + rm->n + 2));
            if (!p) {
                free(bv);
                c->failed = 1;
                break;
            }
            bv = p;
            cv = bv + np + 1;
            ncv = xc = 0;
            badc[0] = 0;
            for (int k = 0; k < rm->n; k++) {
                if (rm->contended[k]) xc++;
                else cv[ncv++] = o->normalise ? rm->step_ms[k] * rm->calib[k] / 1000 : rm->step_ms[k];
            }
            sb_gate_note(row, "candidate remeasured: %d loops by this binary, one at a time", rm->n);
        }
        if (nbv < 0 || ncv < 0) {
            free(bv);
            c->failed = 2;
            break;
        }
        if (badb[0] || badc[0]) {   /* a broken record: not comparable (exit 2) */
            row->mark = SB_MARK_MISSING;
            if (badb[0]) sb_gate_note(row, "baseline: a time, throughput or size must be a positive finite number: %s", badb);
            if (badc[0]) sb_gate_note(row, "candidate: a time, throughput or size must be a positive finite number: %s", badc);
        } else if ((xb || xc) && (nbv < o->min_runs || ncv < o->min_runs)) {
            /* other processes slowed the runs: no verdict on speed from them */
            row->mark = SB_MARK_NOT_MEASURABLE;
            row->n_base = nbv;
            row->n_cand = ncv;
            sb_gate_note(row, "contended runs (other processes on the CPUs): %d of %d in the baseline, %d of %d in the candidate; "
                         "%d clean a side needed (--min-runs)", xb, np, xc, xc + ncv, o->min_runs);
        } else {
            sb_gate_ratio(bv, nbv, cv, ncv, row->higher_is_better, kind == SB_GATE_TIMING ? o->speed_factor : o->memory_factor,
                          o->alpha, o->min_runs, row);
            if (xb || xc) sb_gate_note(row, "contended runs left out: %d in the baseline, %d in the candidate", xb, xc);
        }
        free(bv);
        if (why[0]) sb_gate_note(row, "%s", why);
    }
    free(pb);
    free(pc);
}

int sb_gate_compare(const sb_runset *base, const sb_runset *cand, const sb_gate_options *o, sb_gate_result *res,
                    char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    ctx c = { base, cand, o, res, err, errlen, 0 };
    if (o->normalise)
        snprintf(res->normalisation, sizeof res->normalisation,
                 "speeds normalised by calib_gflops, the OpenBLAS single-precision matrix-multiply rate (256x256x256, "
                 "GFLOP/s) measured in the same run: step times are multiplied by it (giving GEMM-GFLOP per step) and "
                 "throughputs divided by it (tokens per GEMM-GFLOP), so that runs on machines of different speed compare");
    else
        snprintf(res->normalisation, sizeof res->normalisation,
                 "speeds not normalised (--normalise none): raw milliseconds and tokens per second, fair only on the same "
                 "machine under the same load");
    for (int g = 0; g < base->ngroups && !c.failed; g++) compare_group(&c, &base->groups[g]);
    for (int g = 0; g < cand->ngroups && !c.failed; g++)
        if (sb_rs_group_find(base, cand->groups[g].config) < 0) {
            int similar = 0;
            for (int h = 0; h < base->ngroups; h++)
                similar |= !strcmp(base->groups[h].task, cand->groups[g].task) && !strcmp(base->groups[h].sharing, cand->groups[g].sharing);
            if (!similar) add_note(&c, "%s: in the candidate only (not in the baseline; not compared)", cand->groups[g].label);
        }
    for (int g = 0; g < cand->ngroups && !c.failed; g++)
        if (cand->groups[g].superseded)
            add_note(&c, "%s: %d earlier run%s of the same seeds in the candidate left out (the latest counts)",
                     cand->groups[g].label, cand->groups[g].superseded, cand->groups[g].superseded > 1 ? "s" : "");
    if (!cand->nruns) add_note(&c, "the candidate holds no runs");
    if (c.failed) {
        if (c.failed == 1) snprintf(err, errlen, "out of memory");
        sb_gate_result_free(res);
        return -1;
    }
    /* one family: every test of this gate run */
    if (sb_gate_holm(res->rows, res->nrows, o->alpha)) {
        snprintf(err, errlen, "out of memory");
        sb_gate_result_free(res);
        return -1;
    }
    for (int i = 0; i < res->nrows; i++) res->count[res->rows[i].mark]++;
    res->status = sb_gate_status(res->rows, res->nrows);
    if (!res->nrows) res->status = 2;
    return 0;
}

int sb_gate_dirty_runs(const sb_runset *s)
{
    int n = 0;
    for (int i = 0; i < s->nruns; i++) n += s->runs[i].code_version && strstr(s->runs[i].code_version, "-dirty") != NULL;
    return n;
}

void sb_gate_result_free(sb_gate_result *res)
{
    for (int i = 0; i < res->nnotes; i++) free(res->notes[i]);
    free(res->notes);
    free(res->rows);
    memset(res, 0, sizeof *res);
}
