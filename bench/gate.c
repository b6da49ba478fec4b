/*
** gate.c: the regression gate (see gate.h) and `sharebench gate`.
*/
#include "gate.h"
#include "atomicfile.h"
#include "cli.h"
#include "stats.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DB "results/sharebench.db"

static const char *const mark_names[SB_MARK_COUNT] = {
    "unchanged", "better", "worse", "not significant", "newly failing", "too few repetitions", "missing",
};

const char *sb_mark_name(sb_mark m)
{
    return m >= 0 && m < SB_MARK_COUNT ? mark_names[m] : "?";
}

/* The metrics the gate knows, in the order of its table. */
static const struct {
    const char *name, *what;
    int kind;
} gated[] = {
    { "test", "test split, the task's headline metric", SB_GATE_QUALITY },
    { "test_long", "longer sequences than training (length generalisation)", SB_GATE_QUALITY },
    { "train_step_ms", "time of every training step after the warm-up", SB_GATE_SPEED },
    { "infer_tokens_per_s", "full forward passes, tokens per second", SB_GATE_SPEED },
    { "decode_tokens_per_s", "token-by-token decoding with the key/value cache", SB_GATE_SPEED },
    { "train_bytes", "memory of a training step from the engine's accounting", SB_GATE_MEMORY },
    { "peak_rss_bytes", "peak resident memory of the run", SB_GATE_MEMORY },
};
#define NGATED (int)(sizeof gated / sizeof gated[0])

void sb_gate_defaults(sb_gate_options *o)
{
    o->metrics = NULL;
    o->tol_test = 0.02;
    o->tol_test_long = 0.03;
    o->speed_factor = 1.25;
    o->memory_factor = 1.10;
    o->alpha = 0.05;
    o->alpha_steps = 0.002;
    o->min_seeds = 3;
    o->warmup = 5;
    o->normalise = 1;
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
    } else if (!strcmp(name, "alpha") || !strcmp(name, "alpha-steps")) {
        if (parse_real(value, 1e-12, 0.5, &x)) {
            snprintf(err, errlen, "--%s '%s': expected a significance level in (0, 0.5]", name, value);
            return -1;
        }
        if (!strcmp(name, "alpha")) o->alpha = x;
        else o->alpha_steps = x;
    } else if (!strcmp(name, "min-seeds") || !strcmp(name, "warmup")) {
        if (parse_real(value, !strcmp(name, "warmup") ? 0 : 2, 1000000, &x) || x != floor(x)) {
            snprintf(err, errlen, "--%s '%s': expected a whole number%s", name, value, name[0] == 'm' ? " >= 2" : " >= 0");
            return -1;
        }
        if (name[0] == 'm') o->min_seeds = (int)x;
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

static int metric_selected(const sb_gate_options *o, const char *name)
{
    if (!o->metrics) return 1;
    size_t n = strlen(name);
    for (const char *p = o->metrics; (p = strstr(p, name)); p += n)
        if ((p == o->metrics || p[-1] == ',') && (p[n] == ',' || !p[n])) return 1;
    return 0;
}

/* ---- decisions ---- */

static void note(sb_gate_row *row, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(sb_gate_row *row, const char *fmt, ...)
{
    size_t len = strlen(row->note);
    if (len >= sizeof row->note - 3) return;
    if (len) {
        snprintf(row->note + len, sizeof row->note - len, "; ");
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->note + len, sizeof row->note - len, fmt, ap);
    va_end(ap);
}

void sb_gate_quality(const double *base, const double *cand, int n, int higher_is_better, double tolerance, double alpha,
                     int min_seeds, sb_gate_row *row)
{
    row->higher_is_better = higher_is_better;
    row->threshold = tolerance;
    row->test = "paired t";
    row->n_base = row->n_cand = n;
    row->base = sb_stats_mean(base, n);
    row->cand = sb_stats_mean(cand, n);
    row->change = row->cand - row->base;
    row->p = NAN;
    sb_ttest t;
    if (n < min_seeds || sb_stats_paired_t(base, cand, n, 0.95, &t)) {
        row->mark = SB_MARK_TOO_FEW;
        note(row, "%d seed%s compared; a paired test across seeds needs at least %d (--min-seeds)", n, n == 1 ? "" : "s",
             min_seeds < 2 ? 2 : min_seeds);
        return;
    }
    row->change = t.mean;
    int worse = higher_is_better ? t.mean < 0 : t.mean > 0;
    row->p = t.mean > 0 ? t.p_greater : t.mean < 0 ? t.p_less : 1;
    if (fabs(t.mean) <= tolerance) row->mark = SB_MARK_UNCHANGED;
    else if (row->p <= alpha) row->mark = worse ? SB_MARK_WORSE : SB_MARK_BETTER;
    else {
        row->mark = SB_MARK_NOT_SIGNIFICANT;
        note(row, "%s beyond the tolerance %g but p = %.2g > alpha %g", worse ? "a drop" : "a rise", tolerance, row->p, alpha);
    }
}

void sb_gate_ratio(const double *base, int nb, const double *cand, int nc, int higher_is_better, double factor,
                   double alpha, sb_gate_row *row)
{
    row->higher_is_better = higher_is_better;
    row->threshold = factor;
    row->test = "Mann-Whitney U";
    row->n_base = nb;
    row->n_cand = nc;
    row->base = sb_stats_median(base, nb);
    row->cand = sb_stats_median(cand, nc);
    row->change = row->cand / row->base;
    row->p = NAN;
    double min_p = sb_stats_mwu_min_p(nb, nc);
    sb_mwu u;
    if (nb < 1 || nc < 1 || min_p > alpha) {
        row->mark = SB_MARK_TOO_FEW;
        note(row, "%d and %d repetitions: the smallest p a Mann-Whitney test can give is %.2g, above alpha %g; run more seeds",
             nb, nc, min_p, alpha);
        return;
    }
    if (sb_stats_mann_whitney(base, nb, cand, nc, &u)) {
        row->mark = SB_MARK_MISSING;
        note(row, "a repetition is not a finite number");
        return;
    }
    /* slowdown > 1 is worse whichever way the metric points */
    double slow = higher_is_better ? row->base / row->cand : row->change;
    int worse = slow > 1;
    /* p that the candidate is worse (larger when lower is better) or better */
    double p_up = u.p_greater, p_down = u.p_less;
    row->p = (row->change > 1) ? p_up : (row->change < 1) ? p_down : (p_up < p_down ? p_up : p_down);
    if (!(slow > factor) && !(slow < 1 / factor)) row->mark = SB_MARK_UNCHANGED;
    else if (row->p <= alpha) row->mark = worse ? SB_MARK_WORSE : SB_MARK_BETTER;
    else {
        row->mark = SB_MARK_NOT_SIGNIFICANT;
        note(row, "%s beyond x%g but p = %.2g > alpha %g", worse ? "a slowdown" : "a speed-up", factor, row->p, alpha);
    }
}

void sb_gate_exact(double base, double cand, int higher_is_better, double factor, sb_gate_row *row)
{
    row->higher_is_better = higher_is_better;
    row->threshold = factor;
    row->test = "exact";
    row->n_base = row->n_cand = 1;
    row->base = base;
    row->cand = cand;
    row->change = cand / base;
    row->p = NAN;
    double worse_ratio = higher_is_better ? base / cand : cand / base;
    if (worse_ratio > factor) row->mark = SB_MARK_WORSE;
    else if (worse_ratio < 1 / factor) row->mark = SB_MARK_BETTER;
    else row->mark = SB_MARK_UNCHANGED;
    if (row->mark != SB_MARK_UNCHANGED) note(row, "deterministic accounting: no test needed");
}

int sb_gate_status(const sb_gate_row *rows, int n)
{
    int regressed = 0;
    for (int i = 0; i < n; i++) {
        if (rows[i].mark == SB_MARK_TOO_FEW || rows[i].mark == SB_MARK_MISSING) return 2;
        if (rows[i].mark == SB_MARK_WORSE || rows[i].mark == SB_MARK_NEWLY_FAILING) regressed = 1;
    }
    return regressed;
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
    r->base = r->cand = r->change = r->p = r->threshold = NAN;
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

/* Does any finished run of the group have metric m (for train_step_ms: the step_ms series)? */
static int group_has(const sb_runset *s, const sb_rs_group *g, const char *m)
{
    for (int k = 0; k < g->nrun; k++) {
        const sb_rs_run *r = &s->runs[g->run[k]];
        if (!sb_rs_finished(r)) continue;
        if (!strcmp(m, "train_step_ms")) {
            sqlite3_stmt *st;
            int has = 0;
            if (sqlite3_prepare_v2(sb_runset_db(s), "SELECT EXISTS(SELECT 1 FROM series WHERE run_id = ?1 AND metric = 'step_ms')",
                                   -1, &st, NULL) == SQLITE_OK) {
                sqlite3_bind_int64(st, 1, r->id);
                if (sqlite3_step(st) == SQLITE_ROW) has = sqlite3_column_int(st, 0);
                sqlite3_finalize(st);
            }
            if (has) return 1;
        } else if (!strcmp(m, "train_bytes")) {
            if (isfinite(sb_rs_metric(r, "bytes_params"))) return 1;
        } else if (isfinite(sb_rs_metric(r, m))) {
            return 1;
        }
    }
    return 0;
}

static double train_bytes(const sb_rs_run *r)
{
    static const char *const parts[] = { "bytes_params", "bytes_grads", "bytes_optim", "bytes_acts", "bytes_scratch" };
    double s = 0;
    for (int i = 0; i < 5; i++) s += sb_rs_metric(r, parts[i]);
    return s;
}

/* Append a run's repetitions of a speed or memory metric to v (capacity grown). */
static int append(double **v, int *n, int *cap, double x)
{
    if (*n == *cap) {
        int c = *cap ? 2 * *cap : 64;
        double *p = realloc(*v, sizeof *p * (size_t)c);
        if (!p) return -1;
        *v = p;
        *cap = c;
    }
    (*v)[(*n)++] = x;
    return 0;
}

/* The repetitions of metric m over the runs idx[0..n) of set s. calib: the
** run's calibration (1 when not normalising). Returns the count, -1 on error. */
static int repetitions(ctx *c, const sb_runset *s, const int *idx, int n, const char *m, double **out)
{
    int cnt = 0, cap = 0;
    *out = NULL;
    for (int k = 0; k < n; k++) {
        const sb_rs_run *r = &s->runs[idx[k]];
        double calib = c->o->normalise ? sb_rs_metric(r, "calib_gflops") : 1;
        if (!strcmp(m, "train_step_ms")) {
            long *steps;
            double *vals;
            int np;
            if (sb_rs_series(s, r, "step_ms", -1, -1, &steps, &vals, &np, c->err, c->errlen)) return -1;
            for (int i = 0; i < np; i++)
                if (steps[i] >= c->o->warmup && append(out, &cnt, &cap, c->o->normalise ? vals[i] * calib / 1000 : vals[i])) {
                    free(steps);
                    free(vals);
                    return -1;
                }
            free(steps);
            free(vals);
        } else if (!strcmp(m, "peak_rss_bytes")) {
            if (append(out, &cnt, &cap, sb_rs_metric(r, m))) return -1;
        } else if (append(out, &cnt, &cap, sb_rs_metric(r, m) / calib)) {
            return -1;
        }
    }
    return cnt;
}

static void compare_group(ctx *c, const sb_rs_group *bg)
{
    const sb_runset *B = c->base, *C = c->cand;
    const sb_gate_options *o = c->o;
    int cgi = sb_rs_group_find(C, bg->config);
    const sb_rs_group *cg = cgi >= 0 ? &C->groups[cgi] : NULL;
    /* which metrics apply: those the baseline has */
    int applies[NGATED];
    for (int i = 0; i < NGATED; i++) applies[i] = metric_selected(o, gated[i].name) && group_has(B, bg, gated[i].name);
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
        sb_gate_row *row = new_row(c, bg, m, gated[i].kind);
        if (!row) break;
        row->higher_is_better = gated[i].kind == SB_GATE_QUALITY ? higher : !strcmp(m + strlen(m) - 5, "per_s");
        if (whole != SB_MARK_UNCHANGED) {
            row->mark = whole;
            snprintf(row->note, sizeof row->note, "%s", why);
            continue;
        }
        if (cg && !group_has(C, cg, m)) {
            row->mark = SB_MARK_MISSING;
            note(row, "the baseline has %s, the candidate's runs do not", m);
            continue;
        }
        if (gated[i].kind == SB_GATE_QUALITY) {
            double *bv = malloc(sizeof *bv * (size_t)(np + 1)), *cv = malloc(sizeof *cv * (size_t)(np + 1));
            int n = 0, nan_now = 0;
            if (!bv || !cv) {
                free(bv);
                free(cv);
                c->failed = 1;
                break;
            }
            for (int k = 0; k < np; k++) {
                double x = sb_rs_metric(&B->runs[pb[k]], m), y = sb_rs_metric(&C->runs[pc[k]], m);
                if (!isfinite(x)) continue;
                if (!isfinite(y)) { nan_now++; continue; }
                bv[n] = x;
                cv[n] = y;
                n++;
            }
            const char *metric_name = sb_rs_param(b0, "metric");
            if (nan_now) {
                row->mark = SB_MARK_NEWLY_FAILING;
                note(row, "%d seed%s without a %s value now", nan_now, nan_now > 1 ? "s" : "", m);
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
            if (why[0]) note(row, "%s", why);
            continue;
        }
        /* speed and memory: calibration first */
        if (o->normalise && gated[i].kind == SB_GATE_SPEED) {
            int lacking = 0;
            for (int k = 0; k < np; k++)
                lacking += !(sb_rs_metric(&B->runs[pb[k]], "calib_gflops") > 0) + !(sb_rs_metric(&C->runs[pc[k]], "calib_gflops") > 0);
            if (lacking) {
                row->mark = SB_MARK_MISSING;
                note(row, "%d run%s without calib_gflops: cannot normalise (--normalise none compares raw speeds)", lacking,
                     lacking > 1 ? "s" : "");
                continue;
            }
        }
        if (!strcmp(m, "train_bytes")) {
            double x = np ? train_bytes(&B->runs[pb[0]]) : NAN, y = np ? train_bytes(&C->runs[pc[0]]) : NAN;
            if (!np) {
                row->mark = SB_MARK_TOO_FEW;
                note(row, "no seed finished in both");
            } else {
                sb_gate_exact(x, y, 0, o->memory_factor, row);
            }
            if (why[0]) note(row, "%s", why);
            continue;
        }
        double *bv, *cv;
        int nbv = repetitions(c, B, pb, np, m, &bv), ncv = repetitions(c, C, pc, np, m, &cv);
        if (nbv < 0 || ncv < 0) {
            free(bv);
            free(cv);
            c->failed = 2;
            break;
        }
        int per_step = !strcmp(m, "train_step_ms");
        sb_gate_ratio(bv, nbv, cv, ncv, row->higher_is_better, gated[i].kind == SB_GATE_SPEED ? o->speed_factor : o->memory_factor,
                      per_step ? o->alpha_steps : o->alpha, row);
        free(bv);
        free(cv);
        if (why[0]) note(row, "%s", why);
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
    for (int i = 0; i < res->nrows; i++) res->count[res->rows[i].mark]++;
    res->status = sb_gate_status(res->rows, res->nrows);
    if (!res->nrows) res->status = 2;
    return 0;
}

void sb_gate_result_free(sb_gate_result *res)
{
    for (int i = 0; i < res->nnotes; i++) free(res->notes[i]);
    free(res->notes);
    free(res->rows);
    memset(res, 0, sizeof *res);
}

/* ---- output ---- */

static const char *verdict(int status)
{
    return status == 0 ? "passed" : status == 1 ? "regressed" : "incomparable";
}

static const char *kind_name(int k)
{
    return k == SB_GATE_QUALITY ? "quality" : k == SB_GATE_SPEED ? "speed" : "memory";
}

/* Distinct values of a run column over a set, "a, b" (cut to fit). */
static void distinct(const sb_runset *s, size_t off, char *out, size_t len)
{
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < s->nruns; i++) {
        const char *v = *(char *const *)((const char *)&s->runs[i] + off);
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) seen = !strcmp(*(char *const *)((const char *)&s->runs[j] + off), v);
        if (!seen && *v && o < len) o += (size_t)snprintf(out + o, len - o, "%s%s", o ? ", " : "", v);
    }
    if (!out[0]) snprintf(out, len, "unknown");
}

static void calib_range(const sb_runset *s, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int i = 0; i < s->nruns; i++) {
        double x = sb_rs_metric(&s->runs[i], "calib_gflops");
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
    distinct(s, offsetof(sb_rs_run, code_version), code, sizeof code);
    distinct(s, offsetof(sb_rs_run, cpu), cpu, sizeof cpu);
    calib_range(s, &lo, &hi);
    fprintf(f, "- %s: `%s`: %d runs of %d configurations; code %s; CPU %s", what, s->source, s->nruns, s->ngroups, code, cpu);
    if (isfinite(lo)) fprintf(f, "; calibration %.1f to %.1f GFLOP/s", lo, hi);
    fprintf(f, "\n");
}

static void fmt_value(char *buf, size_t len, const sb_gate_row *r, double v)
{
    if (!isfinite(v)) snprintf(buf, len, "-");
    else if (!strcmp(r->metric, "train_bytes") || !strcmp(r->metric, "peak_rss_bytes")) sb_fmt_bytes(v, buf, len);
    else if (r->kind == SB_GATE_QUALITY) snprintf(buf, len, "%.4f", v);
    else snprintf(buf, len, "%.4g", v);
}

static void fmt_change(char *buf, size_t len, const sb_gate_row *r)
{
    if (!isfinite(r->change)) snprintf(buf, len, "-");
    else if (r->kind == SB_GATE_QUALITY) snprintf(buf, len, "%+.4f", r->change);
    else snprintf(buf, len, "%+.1f%%", 100 * (r->change - 1));
}

/* Markdown table cell text: no pipes or line breaks. */
static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", f);
        else if (*s == '\n' || *s == '\r') fputc(' ', f);
        else fputc(*s, f);
    }
}

int sb_gate_markdown(FILE *f, const sb_runset *base, const sb_runset *cand, const sb_gate_options *o,
                     const sb_gate_result *res)
{
    const char *v = verdict(res->status);
    fprintf(f, "# sharebench gate: %s (exit %d)\n\n", v, res->status);
    if (res->status == 0) fprintf(f, "Nothing regressed.\n\n");
    else if (res->status == 1)
        fprintf(f, "**Regressed**: %d worse, %d newly failing.\n\n", res->count[SB_MARK_WORSE], res->count[SB_MARK_NEWLY_FAILING]);
    else
        fprintf(f, "**The comparison is not possible**: %d missing, %d with too few repetitions (see the notes in the table).\n\n",
                res->count[SB_MARK_MISSING], res->count[SB_MARK_TOO_FEW]);
    describe_set(f, "baseline", base);
    describe_set(f, "candidate", cand);
    fprintf(f, "- normalisation: %s\n", res->normalisation);
    fprintf(f,
            "- quality: worse/better when the mean change across seeds passes the tolerance (test %g, test_long %g) and a paired "
            "t-test across seeds gives p <= %g (one-sided, in the direction of the change); at least %d seeds\n",
            o->tol_test, o->tol_test_long, o->alpha, o->min_seeds);
    fprintf(f,
            "- speed and memory: worse/better when the ratio of medians passes x%g (speed) or x%g (memory) and a Mann-Whitney U "
            "test gives p <= %g over every step's time (first %d steps of each run left out), p <= %g over one value per seed; "
            "train_bytes is exact accounting, compared without a test\n\n",
            o->speed_factor, o->memory_factor, o->alpha_steps, o->warmup, o->alpha);
    fprintf(f, "| configuration | metric | baseline | candidate | change | p | n | mark | note |\n");
    fprintf(f, "|---|---|--:|--:|--:|--:|--:|---|---|\n");
    for (int i = 0; i < res->nrows; i++) {
        const sb_gate_row *r = &res->rows[i];
        char b[64], c[64], d[64], p[32], n[32];
        fmt_value(b, sizeof b, r, r->base);
        fmt_value(c, sizeof c, r, r->cand);
        fmt_change(d, sizeof d, r);
        if (isfinite(r->p)) snprintf(p, sizeof p, "%.2g", r->p);
        else snprintf(p, sizeof p, "-");
        if (r->n_base || r->n_cand) snprintf(n, sizeof n, "%d/%d", r->n_base, r->n_cand);
        else snprintf(n, sizeof n, "-");
        fputs("| ", f);
        md_cell(f, r->config);
        fputs(" | ", f);
        md_cell(f, r->metric);
        fprintf(f, " | %s | %s | %s | %s | %s | %s%s%s | ", b, c, d, p, n,
                r->mark == SB_MARK_WORSE || r->mark == SB_MARK_NEWLY_FAILING || r->mark >= SB_MARK_TOO_FEW ? "**" : "",
                sb_mark_name(r->mark),
                r->mark == SB_MARK_WORSE || r->mark == SB_MARK_NEWLY_FAILING || r->mark >= SB_MARK_TOO_FEW ? "**" : "");
        md_cell(f, r->note);
        fputs(" |\n", f);
    }
    /* geometric mean of the ratios per speed/memory metric (Google Benchmark's summary row) */
    int header = 0;
    for (int m = 0; m < NGATED; m++) {
        if (gated[m].kind == SB_GATE_QUALITY) continue;
        double *x = malloc(sizeof *x * (size_t)(res->nrows + 1));
        int n = 0;
        if (!x) return -1;
        for (int i = 0; i < res->nrows; i++)
            if (!strcmp(res->rows[i].metric, gated[m].name) && isfinite(res->rows[i].change) && res->rows[i].change > 0)
                x[n++] = res->rows[i].change;
        if (n) {
            if (!header++) fprintf(f, "\nGeometric mean of candidate / baseline over the configurations:");
            fprintf(f, "%s %s x%.3f", header > 1 ? "," : "", gated[m].name, sb_stats_geomean(x, n));
        }
        free(x);
    }
    if (header) fprintf(f, ".\n");
    fprintf(f, "\nMarks: ");
    for (int k = 0; k < SB_MARK_COUNT; k++) fprintf(f, "%s%d %s", k ? ", " : "", res->count[k], sb_mark_name(k));
    fprintf(f, ".\n");
    if (res->nnotes) {
        fprintf(f, "\nNotes:\n\n");
        for (int i = 0; i < res->nnotes; i++) fprintf(f, "- %s\n", res->notes[i]);
    }
    return ferror(f) ? -1 : 0;
}

static cJSON *num_or_null(double x)
{
    return isfinite(x) ? cJSON_CreateNumber(x) : cJSON_CreateNull();
}

static cJSON *set_json(const sb_runset *s)
{
    cJSON *o = cJSON_CreateObject();
    char code[256], cpu[256];
    double lo, hi;
    distinct(s, offsetof(sb_rs_run, code_version), code, sizeof code);
    distinct(s, offsetof(sb_rs_run, cpu), cpu, sizeof cpu);
    calib_range(s, &lo, &hi);
    cJSON_AddStringToObject(o, "source", s->source);
    cJSON_AddNumberToObject(o, "runs", s->nruns);
    cJSON_AddNumberToObject(o, "configurations", s->ngroups);
    cJSON_AddStringToObject(o, "code_version", code);
    cJSON_AddStringToObject(o, "cpu", cpu);
    cJSON_AddItemToObject(o, "calib_gflops_min", num_or_null(lo));
    cJSON_AddItemToObject(o, "calib_gflops_max", num_or_null(hi));
    return o;
}

int sb_gate_json(FILE *f, const sb_runset *base, const sb_runset *cand, const sb_gate_options *o,
                 const sb_gate_result *res)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return -1;
    cJSON_AddStringToObject(root, "verdict", verdict(res->status));
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
    cJSON_AddNumberToObject(opt, "alpha_steps", o->alpha_steps);
    cJSON_AddNumberToObject(opt, "min_seeds", o->min_seeds);
    cJSON_AddNumberToObject(opt, "warmup_steps", o->warmup);
    cJSON_AddBoolToObject(opt, "normalise", o->normalise);
    cJSON *counts = cJSON_AddObjectToObject(root, "marks");
    for (int k = 0; k < SB_MARK_COUNT; k++) cJSON_AddNumberToObject(counts, sb_mark_name(k), res->count[k]);
    cJSON *rows = cJSON_AddArrayToObject(root, "rows");
    for (int i = 0; i < res->nrows; i++) {
        const sb_gate_row *r = &res->rows[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "configuration", r->config);
        cJSON_AddStringToObject(x, "metric", r->metric);
        cJSON_AddStringToObject(x, "kind", kind_name(r->kind));
        cJSON_AddBoolToObject(x, "higher_is_better", r->higher_is_better);
        cJSON_AddItemToObject(x, "baseline", num_or_null(r->base));
        cJSON_AddItemToObject(x, "candidate", num_or_null(r->cand));
        cJSON_AddItemToObject(x, "change", num_or_null(r->change));
        cJSON_AddStringToObject(x, "change_is", r->kind == SB_GATE_QUALITY ? "difference" : "ratio");
        cJSON_AddItemToObject(x, "threshold", num_or_null(r->threshold));
        cJSON_AddStringToObject(x, "test", r->test);
        cJSON_AddItemToObject(x, "p", num_or_null(r->p));
        cJSON_AddNumberToObject(x, "n_baseline", r->n_base);
        cJSON_AddNumberToObject(x, "n_candidate", r->n_cand);
        cJSON_AddStringToObject(x, "mark", sb_mark_name(r->mark));
        cJSON_AddStringToObject(x, "note", r->note);
        cJSON_AddItemToArray(rows, x);
    }
    cJSON *notes = cJSON_AddArrayToObject(root, "notes");
    for (int i = 0; i < res->nnotes; i++) cJSON_AddItemToArray(notes, cJSON_CreateString(res->notes[i]));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return -1;
    fputs(text, f);
    fputc('\n', f);
    cJSON_free(text);
    return ferror(f) ? -1 : 0;
}

/* ---- the command ---- */

static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench gate --baseline FILE [--db FILE] [--sweep NAME] [--markdown FILE] [--json FILE]\n"
            "                       [--metrics LIST] [--tolerance test=X] [--tolerance test_long=X]\n"
            "                       [--speed-factor F] [--memory-factor F] [--alpha A] [--alpha-steps A]\n"
            "                       [--min-seeds N] [--warmup N] [--normalise calib|none]\n\n"
            "Compare a candidate's runs with a baseline's, configuration by configuration and\n"
            "seed by seed, and print a Markdown table with one mark per metric: worse, better,\n"
            "unchanged, not significant, newly failing, too few repetitions, missing.\n\n"
            "  quality (test, test_long): worse when the mean drop across seeds passes the\n"
            "    tolerance and a paired t-test across seeds finds it significant;\n"
            "  speed (train_step_ms, infer_tokens_per_s, decode_tokens_per_s): worse when the\n"
            "    slowdown passes the factor and a Mann-Whitney U test over the repetitions (every\n"
            "    step's time; one value per seed) finds it significant, after normalising by each\n"
            "    run's own calibration (calib_gflops) so that another machine compares fairly;\n"
            "  memory (train_bytes: exact accounting; peak_rss_bytes: measured): worse past the factor.\n\n"
            "  --baseline FILE      a baseline (results/baseline/*.csv, from sharebench baseline) or a database\n"
            "  --db FILE            the candidate: a database (default " DEFAULT_DB ") or a baseline file\n"
            "  --sweep NAME         the candidate's runs of sweep NAME (default: the baseline's sweep)\n"
            "  --markdown FILE      write the table there (default: standard output)\n"
            "  --json FILE          write the same data as JSON\n"
            "  --metrics LIST       gate only these (default: test,test_long,train_step_ms,\n"
            "                       infer_tokens_per_s,decode_tokens_per_s,train_bytes,peak_rss_bytes)\n"
            "  --tolerance M=X      allowed drop of quality metric M, absolute (defaults test=0.02, test_long=0.03)\n"
            "  --speed-factor F     allowed slowdown (default 1.25)\n"
            "  --memory-factor F    allowed growth of memory (default 1.10)\n"
            "  --alpha A            significance level of tests over seeds (default 0.05)\n"
            "  --alpha-steps A      significance level of the test over step times (default 0.002, asv's)\n"
            "  --min-seeds N        seeds the paired test needs (default 3)\n"
            "  --warmup N           first steps of each run left out of step times (default 5)\n"
            "  --normalise calib|none  normalise speeds by calib_gflops (default) or not\n\n"
            "example: sharebench gate --baseline results/baseline/smoke.csv --db results/sharebench.db\n"
            "exit status: 0 nothing regressed, 1 something regressed (worse or newly failing),\n"
            "             2 comparison not possible (missing runs, different configurations, too few\n"
            "             repetitions) or bad input\n");
}

static int write_output(const char *path, int json, const sb_runset *b, const sb_runset *c, const sb_gate_options *o,
                        const sb_gate_result *res, char *err, size_t errlen)
{
    if (!path || !strcmp(path, "-")) {
        int rc = json ? sb_gate_json(stdout, b, c, o, res) : sb_gate_markdown(stdout, b, c, o, res);
        if (rc || fflush(stdout)) {
            snprintf(err, errlen, "cannot write to standard output");
            return -1;
        }
        return 0;
    }
    sb_atomic a;
    if (sb_atomic_open(&a, path, err, errlen)) return -1;
    if (json ? sb_gate_json(a.f, b, c, o, res) : sb_gate_markdown(a.f, b, c, o, res)) {
        sb_atomic_abort(&a);
        snprintf(err, errlen, "%s: cannot write", path);
        return -1;
    }
    return sb_atomic_commit(&a, err, errlen);
}

int sb_cmd_gate(int argc, char **argv)
{
    static const struct option opts[] = {
        { "baseline", required_argument, NULL, 'b' },    { "db", required_argument, NULL, 'd' },
        { "sweep", required_argument, NULL, 'w' },       { "markdown", required_argument, NULL, 'm' },
        { "json", required_argument, NULL, 'j' },        { "metrics", required_argument, NULL, 'M' },
        { "tolerance", required_argument, NULL, 'T' },   { "speed-factor", required_argument, NULL, 'S' },
        { "memory-factor", required_argument, NULL, 'R' }, { "alpha", required_argument, NULL, 'a' },
        { "alpha-steps", required_argument, NULL, 'A' }, { "min-seeds", required_argument, NULL, 'n' },
        { "warmup", required_argument, NULL, 'W' },      { "normalise", required_argument, NULL, 'N' },
        { "help", no_argument, NULL, 'h' },              { NULL, 0, NULL, 0 }
    };
    const char *baseline = NULL, *db = DEFAULT_DB, *sweep = NULL, *md = NULL, *json = NULL;
    sb_gate_options o;
    char err[1024];
    int opt, idx;
    sb_gate_defaults(&o);
    sb_cli_opts co;
    sb_cli_opts_init(&co, "gate", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, &idx)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return SB_EXIT_USAGE;
        switch (opt) {
        case 'b': baseline = optarg; break;
        case 'd': db = optarg; break;
        case 'w': sweep = optarg; break;
        case 'm': md = optarg; break;
        case 'j': json = optarg; break;
        case 'M': case 'T': case 'S': case 'R': case 'a': case 'A': case 'n': case 'W': case 'N':
            if (sb_gate_option(&o, opts[idx].name, optarg, err, sizeof err)) return sb_usage_error("gate: %s", err);
            break;
        case 'h': help(stdout); return SB_EXIT_OK;
        }
    }
    if (optind < argc) return sb_usage_error("gate: unexpected argument '%s' (see sharebench gate --help)", argv[optind]);
    if (!baseline) return sb_usage_error("gate: no --baseline FILE given (see sharebench gate --help)");
    if (md && json && !strcmp(md, json)) return sb_usage_error("gate: --markdown and --json name the same file '%s'", md);
    sb_runset *b = sb_runset_open(baseline, NULL, err, sizeof err);
    if (!b) return sb_usage_error("gate: baseline %s", err);
    if (!b->nruns) {
        sb_runset_free(b);
        return sb_usage_error("gate: baseline %s holds no runs", baseline);
    }
    /* the candidate's runs of the baseline's sweep, unless told otherwise */
    if (!sweep) {
        sweep = b->runs[0].sweep;
        for (int i = 1; i < b->nruns; i++)
            if (strcmp(b->runs[i].sweep, sweep)) sweep = NULL;
        if (sweep && !*sweep) sweep = NULL;
    }
    sb_rs_filter flt = { sweep, NULL, NULL };
    sb_runset *c = sb_runset_open(db, &flt, err, sizeof err);
    if (!c) {
        sb_runset_free(b);
        return sb_usage_error("gate: candidate %s", err);
    }
    sb_gate_result res;
    if (sb_gate_compare(b, c, &o, &res, err, sizeof err)) {
        sb_runset_free(b);
        sb_runset_free(c);
        return sb_usage_error("gate: %s", err);
    }
    int rc = res.status;
    if ((json && write_output(json, 1, b, c, &o, &res, err, sizeof err)) || write_output(md, 0, b, c, &o, &res, err, sizeof err)) {
        sb_usage_error("gate: %s", err);
        rc = SB_EXIT_USAGE;
    } else {
        /* the verdict is the result: on standard output, unless the table is there already */
        fprintf(md && strcmp(md, "-") ? stdout : stderr,
                "gate: %s (exit %d): %d worse, %d newly failing, %d missing, %d too few repetitions, %d not significant, "
                "%d better, %d unchanged\n",
                verdict(res.status), res.status, res.count[SB_MARK_WORSE], res.count[SB_MARK_NEWLY_FAILING],
                res.count[SB_MARK_MISSING], res.count[SB_MARK_TOO_FEW], res.count[SB_MARK_NOT_SIGNIFICANT],
                res.count[SB_MARK_BETTER], res.count[SB_MARK_UNCHANGED]);
    }
    sb_gate_result_free(&res);
    sb_runset_free(b);
    sb_runset_free(c);
    return rc;
}
