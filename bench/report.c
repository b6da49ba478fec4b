/*
** report.c: `sharebench report`: a Markdown report and a self-contained HTML
** report of a sweep (or any set of runs): per task, one row per sharing
** configuration with parameters, speed, memory and quality (mean and 95%
** confidence interval over seeds, change against `none` with a paired test
** across seeds); the figures (the gnuplot scripts of plots/); the
** quality-per-parameter frontier; the longest sequence each mode fits in a
** memory budget (the engine's accounting); the claims of bench/claims.txt
** with what the data says about each; the machine and code version.
*/
#include "report.h"
#include "atomicfile.h"
#include "budget.h"
#include "claims.h"
#include "datadir.h"
#include "cli.h"
#include "doc.h"
#include "figures.h"
#include "frontier.h"
#include "machine.h"
#include "model.h"
#include "runset.h"
#include "stats.h"
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <stddef.h>
#include <unistd.h>

#define DEFAULT_DB "results/sharebench.db"

/* Labels, captions and paths are cut to fit their buffers when too long (the
** directories are checked for length before anything is written), so GCC's
** warnings about possible truncation do not apply here. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#define MAX_T (1L << 17)

/* ---- per-configuration statistics ---- */

typedef struct {
    int nfin;                      /* finished runs (seeds) */
    double params, params_every;
    sb_summary test, test_long;
    double train_tps, infer_tps, decode_tps, step_bytes, bytes[5], rss, calib;
    int none;                      /* index of the group it is compared with, -1 */
    int has_dtest, has_dtl;
    sb_ttest dtest, dtl;           /* this - none, paired by seed */
    int higher;
    long longest;                  /* at the budget, 0: not even T = 1; -1 unknown */
    char mode[160];                /* the label without the task */
} gstat;

/* metric of g against metric of its none group, paired by seed. */
static int paired(const sb_runset *s, const sb_rs_group *g, const sb_rs_group *none, const char *m, sb_ttest *t)
{
    double a[256], b[256];
    int n = 0;
    for (int k = 0; k < g->nrun && n < 256; k++) {
        const sb_rs_run *r = &s->runs[g->run[k]];
        if (!sb_rs_finished(r) || !isfinite(sb_rs_metric(r, m))) continue;
        for (int j = 0; j < none->nrun; j++) {
            const sb_rs_run *q = &s->runs[none->run[j]];
            if (q->seed == r->seed && sb_rs_finished(q) && isfinite(sb_rs_metric(q, m))) {
                a[n] = sb_rs_metric(q, m);
                b[n] = sb_rs_metric(r, m);
                n++;
            }
        }
    }
    return sb_stats_paired_t(a, b, n, 0.95, t) == 0;
}

static void summarise(const sb_runset *s, int gi, gstat *st, double budget)
{
    const sb_rs_group *g = &s->groups[gi];
    double t[256], tl[256];
    int nt = 0, ntl = 0;
    memset(st, 0, sizeof *st);
    st->none = -1;
    st->longest = -1;
    const sb_rs_run *first = NULL;
    for (int k = 0; k < g->nrun; k++) {
        const sb_rs_run *r = &s->runs[g->run[k]];
        if (!sb_rs_finished(r)) continue;
        if (!first) first = r;
        st->nfin++;
        if (isfinite(sb_rs_metric(r, "test")) && nt < 256) t[nt++] = sb_rs_metric(r, "test");
        if (isfinite(sb_rs_metric(r, "test_long")) && ntl < 256) tl[ntl++] = sb_rs_metric(r, "test_long");
    }
    sb_stats_summary(t, nt, 0.95, &st->test);
    sb_stats_summary(tl, ntl, 0.95, &st->test_long);
    st->params = sb_rs_group_mean(s, g, "params_unique");
    st->params_every = sb_rs_group_mean(s, g, "params_every_depth");
    st->train_tps = sb_rs_group_mean(s, g, "train_tokens_per_s");
    st->infer_tps = sb_rs_group_mean(s, g, "infer_tokens_per_s");
    st->decode_tps = sb_rs_group_mean(s, g, "decode_tokens_per_s");
    st->rss = sb_rs_group_mean(s, g, "peak_rss_bytes");
    st->calib = sb_rs_group_mean(s, g, "calib_gflops");
    static const char *const parts[5] = { "bytes_params", "bytes_grads", "bytes_optim", "bytes_acts", "bytes_scratch" };
    st->step_bytes = 0;
    for (int i = 0; i < 5; i++) {
        st->bytes[i] = sb_rs_group_mean(s, g, parts[i]);
        st->step_bytes += st->bytes[i];
    }
    st->higher = first ? sb_rs_higher_is_better(first) : 1;
    size_t tl_len = strlen(g->task);
    snprintf(st->mode, sizeof st->mode, "%s", !strncmp(g->label, g->task, tl_len) ? g->label + tl_len + 1 : g->label);
    for (int h = 0; h < s->ngroups; h++)
        if (h != gi && !strcmp(s->groups[h].task, g->task) && !strcmp(s->groups[h].sharing, "none") &&
            sb_rs_same_but_sharing(s->groups[h].config, g->config))
            st->none = h;
    if (st->none >= 0) {
        st->has_dtest = paired(s, g, &s->groups[st->none], "test", &st->dtest);
        st->has_dtl = paired(s, g, &s->groups[st->none], "test_long", &st->dtl);
    }
    if (first || g->nrun) {
        const sb_rs_run *r = first ? first : &s->runs[g->run[0]];
        sb_config c;
        char e[SB_ERR_LEN];
        const char *bs = sb_rs_param(r, "batch");
        if (!sb_budget_config_of(r, &c, e, sizeof e)) st->longest = sb_budget_longest(&c, bs ? atoi(bs) : 8, budget, MAX_T, e, sizeof e);
    }
}

/* ---- formatting ---- */

static char *fmt(char *buf, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
static char *fmt(char *buf, size_t len, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, len, f, ap);
    va_end(ap);
    return buf;
}

static void fmt_ci(char *buf, size_t len, const sb_summary *s)
{
    if (s->n == 0) snprintf(buf, len, "-");
    else if (s->n == 1) snprintf(buf, len, "%.3f (1 seed)", s->mean);
    else snprintf(buf, len, "%.3f [%.3f, %.3f]", s->mean, s->lo, s->hi);
}

static void fmt_delta(char *buf, size_t len, int has, const sb_ttest *t, int is_none)
{
    if (is_none) snprintf(buf, len, "(reference)");
    else if (!has) snprintf(buf, len, "-");
    else snprintf(buf, len, "%+.3f (p=%.2g)", t->mean, t->p_two);
}

static void fmt_num(char *buf, size_t len, double x)
{
    if (!isfinite(x)) snprintf(buf, len, "-");
    else snprintf(buf, len, "%.0f", x);
}

/* ---- figure data ---- */

typedef struct {
    const sb_runset *s;
    gstat *st;
    sb_figures *fig;
    char *err;
    size_t errlen;
    int nfigs_skipped;
} rctx;

static FILE *data_file(rctx *c, const char *name, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", c->fig->outdir, name);
    FILE *f = fopen(path, "w");
    if (!f) snprintf(c->err, c->errlen, "%s: %s", path, strerror(errno));
    return f;
}

/* The groups of a task, in order. */
static int task_groups(const sb_runset *s, const char *task, int *idx)
{
    int n = 0;
    for (int g = 0; g < s->ngroups; g++)
        if (!strcmp(s->groups[g].task, task)) idx[n++] = g;
    return n;
}

/* "none cycle:2 all" as a gnuplot string of words: modes with spaces joined by '_'. */
static void modes_var(rctx *c, const int *idx, int n, char *out, size_t len)
{
    char words[4096] = "";
    size_t o = 0;
    for (int i = 0; i < n && o < sizeof words; i++) {
        char m[160];
        snprintf(m, sizeof m, "%s", c->st[idx[i]].mode);
        for (char *p = m; *p; p++)
            if (*p == ' ') *p = '_';
        o += (size_t)snprintf(words + o, sizeof words - o, "%s%s", i ? " " : "", m);
    }
    sb_figures_quote(words, out, len);
}

/* Mean, min and max over a group's seeds of a series at each step of the first run's steps. */
static void write_series_block(rctx *c, FILE *f, const sb_rs_group *g, const char *metric)
{
    long *s0 = NULL;
    double *sum = NULL, *mn = NULL, *mx = NULL;
    int *cnt = NULL, n0 = 0;
    for (int k = 0; k < g->nrun; k++) {
        const sb_rs_run *r = &c->s->runs[g->run[k]];
        if (!sb_rs_finished(r)) continue;
        long *st;
        double *v;
        int n;
        char e[256];
        if (sb_rs_series(c->s, r, metric, -1, -1, &st, &v, &n, e, sizeof e)) continue;
        if (!s0 && n) {
            s0 = st;
            n0 = n;
            sum = calloc((size_t)n, sizeof *sum);
            mn = malloc(sizeof *mn * (size_t)n);
            mx = malloc(sizeof *mx * (size_t)n);
            cnt = calloc((size_t)n, sizeof *cnt);
            if (!sum || !mn || !mx || !cnt) { free(v); break; }
            for (int i = 0; i < n; i++) { mn[i] = INFINITY; mx[i] = -INFINITY; }
        } else if (n) {
            /* match steps */
        }
        for (int i = 0, j = 0; s0 && i < n; i++) {
            while (j < n0 && s0[j] < st[i]) j++;
            if (j < n0 && s0[j] == st[i] && isfinite(v[i])) {
                sum[j] += v[i];
                cnt[j]++;
                if (v[i] < mn[j]) mn[j] = v[i];
                if (v[i] > mx[j]) mx[j] = v[i];
            }
        }
        if (st != s0) free(st);
        free(v);
    }
    int any = 0;
    for (int i = 0; i < n0; i++)
        if (cnt && cnt[i]) {
            fprintf(f, "%ld %.6g %.6g %.6g\n", s0[i], sum[i] / cnt[i], mn[i], mx[i]);
            any = 1;
        }
    if (!any) fprintf(f, "0 NaN NaN NaN\n");
    fprintf(f, "\n\n");
    free(s0);
    free(sum);
    free(mn);
    free(mx);
    free(cnt);
}

/* Does any finished run of the task have a series matching pattern? */
static int task_has(const sb_runset *s, const int *idx, int n, const char *pattern)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(sb_runset_db(s), "SELECT EXISTS(SELECT 1 FROM series WHERE run_id = ?1 AND metric LIKE ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        return 0;
    int has = 0;
    sqlite3_bind_text(st, 2, pattern, -1, SQLITE_STATIC);
    for (int i = 0; i < n && !has; i++)
        for (int k = 0; k < s->groups[idx[i]].nrun && !has; k++) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, s->runs[s->groups[idx[i]].run[k]].id);
            if (sqlite3_step(st) == SQLITE_ROW) has = sqlite3_column_int(st, 0);
        }
    sqlite3_finalize(st);
    return has;
}

/* Per (layer, head) means of a series at each run's last step, averaged over the
** group's finished runs; calls put(layer, head, value) through the file. */
static void last_step_grid(rctx *c, const sb_rs_group *g, const char *metric, double *grid, int *cnt, int lo, int nl, int nh)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(sb_runset_db(c->s),
                           "SELECT layer, head, value FROM series WHERE run_id = ?1 AND metric = ?2 AND step ="
                           " (SELECT MAX(step) FROM series WHERE run_id = ?1 AND metric = ?2)",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
    for (int k = 0; k < g->nrun; k++) {
        const sb_rs_run *r = &c->s->runs[g->run[k]];
        if (!sb_rs_finished(r)) continue;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, r->id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            int l = sqlite3_column_int(st, 0) - lo, h = sqlite3_column_int(st, 1) - lo;
            if (nh == 1) h = 0;
            if (l < 0 || l >= nl || h < 0 || h >= nh || sqlite3_column_type(st, 2) == SQLITE_NULL) continue;
            grid[l * nh + h] += sqlite3_column_double(st, 2);
            cnt[l * nh + h]++;
        }
    }
    sqlite3_finalize(st);
}

static int layers_of(const sb_runset *s, const sb_rs_group *g)
{
    const char *v = sb_rs_param(&s->runs[g->run[0]], "layers");
    int n = v ? atoi(v) : 4;
    return n > 0 && n <= SB_MAX_LAYERS ? n : 4;
}

/* The figures of one task; names[] gets the PNG names drawn (for the document). */
typedef struct {
    char name[8][160];
    char kind[8][16];
    int drawn[8];
    int n;
    char not_measured[256];
} task_figs;

static void add_fig(task_figs *tf, const char *kind, const char *name, int ok)
{
    snprintf(tf->name[tf->n], sizeof tf->name[0], "%s.png", name);
    snprintf(tf->kind[tf->n], sizeof tf->kind[0], "%s", kind);
    tf->drawn[tf->n] = ok;
    tf->n++;
}

static void task_figures(rctx *c, const char *task, task_figs *tf)
{
    int idx[256], n = task_groups(c->s, task, idx);
    char path[4096], name[200], vars[8192], modes[4096], q1[4200], q2[4200], ttl[400];
    memset(tf, 0, sizeof *tf);
    modes_var(c, idx, n, modes, sizeof modes);
    const sb_rs_run *r0 = &c->s->runs[c->s->groups[idx[0]].run[0]];
    const char *metric = sb_rs_param(r0, "metric");
    if (!metric) metric = "test metric";

    /* curves */
    snprintf(name, sizeof name, "curves-%s", task);
    FILE *ft = data_file(c, fmt(ttl, sizeof ttl, "%s-train.dat", name), path, sizeof path);
    if (ft) {
        sb_figures_quote(path, q1, sizeof q1);
        for (int i = 0; i < n; i++) write_series_block(c, ft, &c->s->groups[idx[i]], "train_loss");
        fclose(ft);
        FILE *fv = data_file(c, fmt(ttl, sizeof ttl, "%s-valid.dat", name), path, sizeof path);
        if (fv) {
            sb_figures_quote(path, q2, sizeof q2);
            for (int i = 0; i < n; i++) write_series_block(c, fv, &c->s->groups[idx[i]], "valid_loss");
            fclose(fv);
            char t[300];
            sb_figures_quote(fmt(ttl, sizeof ttl, "%s: training and validation loss per sharing mode", task), t, sizeof t);
            snprintf(vars, sizeof vars, "train=%s; valid=%s; modes=%s; ttl=%s", q1, q2, modes, t);
            add_fig(tf, "curves", name, sb_figures_draw(c->fig, "curves.gp", name, vars) == 0);
        }
    }

    /* pareto */
    snprintf(name, sizeof name, "pareto-%s", task);
    FILE *fp = data_file(c, fmt(ttl, sizeof ttl, "%s.dat", name), path, sizeof path);
    if (fp) {
        sb_figures_quote(path, q1, sizeof q1);
        int seeds = 0;
        for (int i = 0; i < n; i++) {
            const gstat *g = &c->st[idx[i]];
            double lo = g->test.n > 1 ? g->test.lo : g->test.mean, hi = g->test.n > 1 ? g->test.hi : g->test.mean;
            fprintf(fp, "%.0f %.6g %.6g %.6g\n", g->params, g->test.mean, lo, hi);
            if (g->test.n > seeds) seeds = g->test.n;
        }
        fclose(fp);
        FILE *ff = data_file(c, fmt(ttl, sizeof ttl, "%s-front.dat", name), path, sizeof path);
        if (ff) {
            sb_figures_quote(path, q2, sizeof q2);
            /* the frontier: by parameters ascending, each point better than every cheaper one */
            int order[256];
            for (int i = 0; i < n; i++) order[i] = idx[i];
            for (int i = 1; i < n; i++)
                for (int j = i; j > 0 && c->st[order[j]].params < c->st[order[j - 1]].params; j--) {
                    int t = order[j];
                    order[j] = order[j - 1];
                    order[j - 1] = t;
                }
            int higher = c->st[idx[0]].higher;
            double best = higher ? -INFINITY : INFINITY;
            for (int i = 0; i < n; i++) {
                double m = c->st[order[i]].test.mean;
                if (isfinite(m) && (higher ? m > best : m < best)) {
                    fprintf(ff, "%.0f %.6g\n", c->st[order[i]].params, m);
                    best = m;
                }
            }
            fclose(ff);
            char t[300], yl[300];
            sb_figures_quote(fmt(ttl, sizeof ttl, "%s: quality against unique parameters", task), t, sizeof t);
            sb_figures_quote(fmt(ttl, sizeof ttl, "test %s (mean, 95%% CI over %d seeds)", metric, seeds), yl, sizeof yl);
            double chance = sb_rs_metric(r0, "chance");
            snprintf(vars, sizeof vars, "data=%s; front=%s; modes=%s; ttl=%s; ylab=%s; chance=%s", q1, q2, modes, t, yl,
                     isfinite(chance) ? fmt(ttl, sizeof ttl, "%.6g", chance) : "NaN");
            add_fig(tf, "pareto", name, sb_figures_draw(c->fig, "pareto.gp", name, vars) == 0);
        }
    }

    /* resources */
    snprintf(name, sizeof name, "resources-%s", task);
    FILE *fr = data_file(c, fmt(ttl, sizeof ttl, "%s.dat", name), path, sizeof path);
    if (fr) {
        sb_figures_quote(path, q1, sizeof q1);
        double calib = 0;
        int nc = 0;
        for (int i = 0; i < n; i++) {
            const gstat *g = &c->st[idx[i]];
            char q[200];
            sb_figures_quote(g->mode, q, sizeof q);
            /* data files take double-quoted labels */
            fprintf(fr, "\"%s\" %.6g %.6g %.6g %.6g %.6g %.6g %.6g %.6g %.6g\n", g->mode, g->train_tps, g->infer_tps,
                    g->decode_tps, g->bytes[0] / 1048576, g->bytes[1] / 1048576, g->bytes[2] / 1048576, g->bytes[3] / 1048576,
                    g->bytes[4] / 1048576, g->rss / 1048576);
            if (isfinite(g->calib)) { calib += g->calib; nc++; }
        }
        fclose(fr);
        char t[300];
        const char *bs = sb_rs_param(r0, "batch");
        sb_figures_quote(fmt(ttl, sizeof ttl, "%s: speed and memory per sharing mode (batch %s%s%s)", task, bs ? bs : "?",
                             nc ? fmt(q2, sizeof q2, "; calibration %.0f GFLOP/s", calib / nc) : "", ""),
                         t, sizeof t);
        snprintf(vars, sizeof vars, "data=%s; ttl=%s", q1, t);
        add_fig(tf, "resources", name, sb_figures_draw(c->fig, "resources.gp", name, vars) == 0);
    }

    /* the analyses, when they ran */
    char nm[256] = "";
    if (task_has(c->s, idx, n, "grad.%.trace_cov")) {
        snprintf(name, sizeof name, "gradnoise-%s", task);
        FILE *fg = data_file(c, fmt(ttl, sizeof ttl, "%s.dat", name), path, sizeof path);
        if (fg) {
            sb_figures_quote(path, q1, sizeof q1);
            sqlite3_stmt *st = NULL;
            sqlite3_prepare_v2(sb_runset_db(c->s),
                               "SELECT layer, AVG(tc), AVG(sq) FROM (SELECT step, layer,"
                               " SUM(CASE WHEN metric LIKE 'grad.%.trace_cov' THEN value END) tc,"
                               " SUM(CASE WHEN metric LIKE 'grad.%.sqnorm' THEN value END) sq"
                               " FROM series WHERE run_id = ?1 AND layer >= 0 AND (metric LIKE 'grad.%.trace_cov' OR metric LIKE"
                               " 'grad.%.sqnorm') GROUP BY step, layer) GROUP BY layer ORDER BY layer",
                               -1, &st, NULL);
            for (int i = 0; i < n; i++) {
                const sb_rs_group *g = &c->s->groups[idx[i]];
                double tc[SB_MAX_LAYERS] = { 0 }, sq[SB_MAX_LAYERS] = { 0 };
                int cnt[SB_MAX_LAYERS] = { 0 }, nl = 0;
                for (int k = 0; st && k < g->nrun; k++) {
                    if (!sb_rs_finished(&c->s->runs[g->run[k]])) continue;
                    sqlite3_reset(st);
                    sqlite3_bind_int64(st, 1, c->s->runs[g->run[k]].id);
                    while (sqlite3_step(st) == SQLITE_ROW) {
                        int l = sqlite3_column_int(st, 0);
                        if (l < 0 || l >= SB_MAX_LAYERS) continue;
                        tc[l] += sqlite3_column_double(st, 1);
                        sq[l] += sqlite3_column_double(st, 2);
                        cnt[l]++;
                        if (l + 1 > nl) nl = l + 1;
                    }
                }
                for (int l = 0; l < nl; l++)
                    if (cnt[l]) fprintf(fg, "%d %.6g %.6g\n", l, tc[l] / cnt[l], sq[l] > 0 ? tc[l] / sq[l] : NAN);
                if (!nl) fprintf(fg, "0 NaN NaN\n");
                fprintf(fg, "\n\n");
            }
            sqlite3_finalize(st);
            fclose(fg);
            char t[300];
            sb_figures_quote(fmt(ttl, sizeof ttl, "%s: gradient noise per depth (shared blocks: each depth's contribution)", task),
                             t, sizeof t);
            snprintf(vars, sizeof vars, "data=%s; modes=%s; ttl=%s", q1, modes, t);
            add_fig(tf, "gradnoise", name, sb_figures_draw(c->fig, "gradnoise.gp", name, vars) == 0);
        }
    } else strcat(nm, "gradient noise, ");
    if (task_has(c->s, idx, n, "attn.js")) {
        snprintf(name, sizeof name, "heads-%s", task);
        FILE *fh = data_file(c, fmt(ttl, sizeof ttl, "%s.dat", name), path, sizeof path);
        if (fh) {
            sb_figures_quote(path, q1, sizeof q1);
            for (int i = 0; i < n; i++) {
                const sb_rs_group *g = &c->s->groups[idx[i]];
                int nl = layers_of(c->s, g), nh = 64;
                double js[SB_MAX_LAYERS] = { 0 }, *en = calloc((size_t)(SB_MAX_LAYERS * nh), sizeof *en);
                int cj[SB_MAX_LAYERS] = { 0 }, *ce = calloc((size_t)(SB_MAX_LAYERS * nh), sizeof *ce);
                if (!en || !ce) { free(en); free(ce); break; }
                last_step_grid(c, g, "attn.js", js, cj, 0, nl, 1);
                last_step_grid(c, g, "attn.entropy", en, ce, 0, nl, nh);
                for (int l = 0; l < nl; l++) {
                    double es = 0;
                    int ec = 0;
                    for (int h = 0; h < nh; h++)
                        if (ce[l * nh + h]) { es += en[l * nh + h] / ce[l * nh + h]; ec++; }
                    fprintf(fh, "%d %.6g %.6g\n", l, cj[l] ? js[l] / cj[l] : NAN, ec ? es / ec : NAN);
                }
                fprintf(fh, "\n\n");
                free(en);
                free(ce);
            }
            fclose(fh);
            char t[300];
            sb_figures_quote(fmt(ttl, sizeof ttl, "%s: head diversity per layer (trained models)", task), t, sizeof t);
            snprintf(vars, sizeof vars, "data=%s; modes=%s; ttl=%s", q1, modes, t);
            add_fig(tf, "heads", name, sb_figures_draw(c->fig, "heads.gp", name, vars) == 0);
        }
    } else strcat(nm, "head diversity, ");
    if (task_has(c->s, idx, n, "cka.linear")) {
        snprintf(name, sizeof name, "cka-%s", task);
        FILE *fk = data_file(c, fmt(ttl, sizeof ttl, "%s.dat", name), path, sizeof path);
        int nl = layers_of(c->s, &c->s->groups[idx[0]]);
        if (fk) {
            sb_figures_quote(path, q1, sizeof q1);
            for (int i = 0; i < n; i++) {
                int w = nl + 1;
                double grid[(SB_MAX_LAYERS + 1) * (SB_MAX_LAYERS + 1)] = { 0 };
                int cnt[(SB_MAX_LAYERS + 1) * (SB_MAX_LAYERS + 1)] = { 0 };
                last_step_grid(c, &c->s->groups[idx[i]], "cka.linear", grid, cnt, -1, w, w);
                for (int a = 0; a < w; a++) {
                    for (int b = 0; b < w; b++)
                        fprintf(fk, "%d %d %.6g\n", a - 1, b - 1, cnt[a * w + b] ? grid[a * w + b] / cnt[a * w + b] : NAN);
                    fprintf(fk, "\n");
                }
                fprintf(fk, "\n");
            }
            fclose(fk);
            char t[300];
            sb_figures_quote(task, t, sizeof t);
            snprintf(vars, sizeof vars, "data=%s; modes=%s; ttl=%s; nl=%d", q1, modes, t, nl);
            add_fig(tf, "cka", name, sb_figures_draw(c->fig, "cka.gp", name, vars) == 0);
        }
    } else strcat(nm, "layer similarity (CKA), ");
    if (task_has(c->s, idx, n, "pgd.accuracy")) {
        snprintf(name, sizeof name, "attack-%s", task);
        FILE *fa = data_file(c, fmt(ttl, sizeof ttl, "%s.dat", name), path, sizeof path);
        if (fa) {
            sb_figures_quote(path, q1, sizeof q1);
            for (int i = 0; i < n; i++) {
                const sb_rs_group *g = &c->s->groups[idx[i]];
                enum { NE = 64 };
                double eps[NE], sum[NE] = { 0 }, mn[NE], mx[NE];
                int cnt[NE] = { 0 }, ne = 0;
                for (int e = 0; e < NE; e++) { eps[e] = NAN; mn[e] = INFINITY; mx[e] = -INFINITY; }
                for (int k = 0; k < g->nrun; k++) {
                    const sb_rs_run *r = &c->s->runs[g->run[k]];
                    long *st, *st2;
                    double *v, *v2;
                    int np, np2;
                    char e2[256];
                    if (!sb_rs_finished(r) || sb_rs_series(c->s, r, "pgd.accuracy", -1, -1, &st, &v, &np, e2, sizeof e2)) continue;
                    if (!sb_rs_series(c->s, r, "pgd.eps", -1, -1, &st2, &v2, &np2, e2, sizeof e2)) {
                        for (int j = 0; j < np2; j++)
                            if (st2[j] >= 0 && st2[j] < NE) eps[st2[j]] = v2[j];
                        free(st2);
                        free(v2);
                    }
                    for (int j = 0; j < np; j++) {
                        long e = st[j];
                        if (e < 0 || e >= NE || !isfinite(v[j])) continue;
                        sum[e] += v[j];
                        cnt[e]++;
                        if (v[j] < mn[e]) mn[e] = v[j];
                        if (v[j] > mx[e]) mx[e] = v[j];
                        if (e + 1 > ne) ne = (int)e + 1;
                    }
                    free(st);
                    free(v);
                }
                for (int e = 0; e < ne; e++)
                    if (cnt[e]) fprintf(fa, "%.6g %.6g %.6g %.6g\n", isfinite(eps[e]) ? eps[e] : e, sum[e] / cnt[e], mn[e], mx[e]);
                if (!ne) fprintf(fa, "0 NaN NaN NaN\n");
                fprintf(fa, "\n\n");
            }
            fclose(fa);
            char t[300];
            sb_figures_quote(task, t, sizeof t);
            snprintf(vars, sizeof vars, "data=%s; modes=%s; ttl=%s", q1, modes, t);
            add_fig(tf, "attack", name, sb_figures_draw(c->fig, "attack.gp", name, vars) == 0);
        }
    } else strcat(nm, "accuracy under attack, ");
    size_t l = strlen(nm);
    if (l > 2) nm[l - 2] = 0;
    snprintf(tf->not_measured, sizeof tf->not_measured, "%s", nm);
}

/* ---- the budget figures ---- */

static int budget_figure(rctx *c, const char *name, const char *title, int n, const sb_config *cfg, const char *const *labels,
                         int B, double mark, const char *marklabel)
{
    char path[4096], q1[4200], vars[8192], t[400], modes[4096] = "", qm[4200];
    FILE *f = data_file(c, fmt(t, sizeof t, "%s.dat", name), path, sizeof path);
    if (!f) return -1;
    sb_figures_quote(path, q1, sizeof q1);
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        char e[SB_ERR_LEN];
        for (double b = 1048576.0 * 4; b <= 1099511627776.0 / 8; b *= 2) {
            long T = sb_budget_longest(&cfg[i], B, b, MAX_T, e, sizeof e);
            if (T > 0) fprintf(f, "%.6g %ld\n", b / 1048576, T);
            if (T >= MAX_T) break;
        }
        fprintf(f, "\n\n");
        char m[160];
        snprintf(m, sizeof m, "%s", labels[i]);
        for (char *p = m; *p; p++)
            if (*p == ' ') *p = '_';
        o += (size_t)snprintf(modes + o, sizeof modes - o, "%s%s", i ? " " : "", m);
    }
    fclose(f);
    sb_figures_quote(modes, qm, sizeof qm);
    char qt[500];
    sb_figures_quote(title, qt, sizeof qt);
    char ql[300];
    sb_figures_quote(marklabel, ql, sizeof ql);
    snprintf(vars, sizeof vars, "data=%s; modes=%s; ttl=%s; mark=%.6g; marklabel=%s", q1, qm, qt, mark / 1048576, ql);
    return sb_figures_draw(c->fig, "budget.gp", name, vars);
}

/* ---- the command ---- */

static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench report [--db FILE] [--sweep NAME] [--task T] [--out DIR] [--name NAME]\n"
            "                         [--budget SIZE] [--claims FILE] [--plots DIR] [--title TEXT]\n\n"
            "Write DIR/NAME.md and DIR/NAME.html (self-contained: figures embedded, no network\n"
            "needed) about a set of runs, with the figures as PNG and SVG in DIR/NAME-figures/:\n"
            "per task a table of the sharing configurations (unique parameters and reduction\n"
            "against none, training and inference throughput, memory, test and test_long as mean\n"
            "with a 95%% confidence interval over seeds, change against none with a paired t-test\n"
            "across seeds), training curves, quality against parameters with the frontier, speed\n"
            "and memory, and the analyses' figures when they ran; when runs compress, sharing against\n"
            "compression on the quality-per-byte frontier; the longest sequence each mode's\n"
            "training step fits in the memory budget (engine accounting); what the data says about\n"
            "each claim of the claims file; the machine and code version.\n\n"
            "  --db FILE       the results database (default " DEFAULT_DB ")\n"
            "  --sweep NAME    only runs of sweep NAME\n"
            "  --task T        only runs of task T\n"
            "  --out DIR       where to write (default results)\n"
            "  --name NAME     file names (default report: report.md, report.html, report-figures/)\n"
            "  --budget SIZE   memory budget for the longest-sequence table (default 1GiB; units B, KiB,\n"
            "                  MiB, GiB, KB, MB, GB)\n"
            "  --claims FILE   the claims (default: the claims.txt sharebench ships)\n"
            "  --plots DIR     the gnuplot scripts (default: the plots sharebench ships)\n"
            "  --title TEXT    the report's title\n"
            "  --quiet         no closing line; --verbose: also each figure written\n\n"
            "example: sharebench report --db results/sharebench.db --sweep smoke\n"
            "exit status: 0 written, 2 bad input (nothing written)\n");
}

static int mkdir_p(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, 0777) && errno != EEXIST) return -1;
            *s = '/';
        }
    return mkdir(p, 0777) && errno != EEXIST ? -1 : 0;
}

/* Distinct values of a run column, "a, b". */
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

static void write_document(sb_doc *d, rctx *c, const char *db, const char *sweep, double budget, const sb_claims *claims,
                           const char *title, const char *claims_path)
{
    const sb_runset *s = c->s;
    gstat *st = c->st;
    char a[512], b[512], e[512];
    sb_doc_begin(d, title);
    /* where the numbers come from */
    int fin = 0, div = 0, failed = 0, seeds_lo = 1 << 30, seeds_hi = 0;
    for (int i = 0; i < s->nruns; i++) {
        fin += !strcmp(s->runs[i].status, "finished");
        div += !strcmp(s->runs[i].status, "diverged");
        failed += !strcmp(s->runs[i].status, "failed");
    }
    for (int g = 0; g < s->ngroups; g++) {
        if (s->groups[g].nrun < seeds_lo) seeds_lo = s->groups[g].nrun;
        if (s->groups[g].nrun > seeds_hi) seeds_hi = s->groups[g].nrun;
    }
    time_t now = time(NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    sb_machine mc;
    sb_machine_read(&mc);
    sb_doc_para(d, "Generated %s by sharebench %s from %s%s%s: %d runs (%d finished, %d diverged, %d failed) of %d configurations, "
                   "%d%s%s seeds each.",
                when, mc.version, db, sweep ? ", sweep " : "", sweep ? sweep : "", s->nruns, fin, div, failed, s->ngroups, seeds_lo,
                seeds_hi != seeds_lo ? " to " : "", seeds_hi != seeds_lo ? fmt(e, sizeof e, "%d", seeds_hi) : "");
    sb_doc_heading(d, 1, "machine", "Machine and code");
    distinct(s, offsetof(sb_rs_run, code_version), a, sizeof a);
    sb_doc_item(d, "code version of the runs: %s", a);
    distinct(s, offsetof(sb_rs_run, cpu), a, sizeof a);
    distinct(s, offsetof(sb_rs_run, host), b, sizeof b);
    sb_doc_item(d, "CPU: %s; host: %s; cores: %d", a, b, s->nruns ? s->runs[0].cores : 0);
    distinct(s, offsetof(sb_rs_run, blas), a, sizeof a);
    sb_doc_item(d, "BLAS: %s", a);
    int tlo = 1 << 30, thi = 0;
    double clo = INFINITY, chi = -INFINITY;
    for (int i = 0; i < s->nruns; i++) {
        if (s->runs[i].threads < tlo) tlo = s->runs[i].threads;
        if (s->runs[i].threads > thi) thi = s->runs[i].threads;
        double x = sb_rs_metric(&s->runs[i], "calib_gflops");
        if (isfinite(x)) { clo = x < clo ? x : clo; chi = x > chi ? x : chi; }
    }
    sb_doc_item(d, "threads per run: %d%s", tlo, thi != tlo ? fmt(e, sizeof e, " to %d", thi) : "");
    if (isfinite(clo))
        sb_doc_item(d, "calibration (OpenBLAS SGEMM 256x256x256, measured in each run): %.1f to %.1f GFLOP/s. Throughputs below are "
                       "raw tokens per second on this machine; divide by the calibration to compare machines.",
                    clo, chi);
    sb_doc_item(d, "statistics: mean over seeds with a 95%% confidence interval from Student's t; the change against none is the "
                   "mean difference over seeds run in both, with the two-sided p of a paired t-test (GSL's t distribution).");

    /* summary of claims first: what a reader wants */
    sb_claim_status *cst = calloc((size_t)(claims->n + 1), sizeof *cst);
    char **evid = calloc((size_t)(claims->n + 1), sizeof *evid);
    int count[4] = { 0 };
    for (int i = 0; cst && evid && i < claims->n; i++) {
        evid[i] = malloc(4096);
        if (!evid[i]) continue;
        char err[512];
        if (sb_claim_evaluate(&claims->claim[i], s, budget, &cst[i], evid[i], 4096, err, sizeof err))
            snprintf(evid[i], 4096, "could not be evaluated: %s", err);
        count[cst[i]]++;
    }

    /* per task */
    char tasks[64][64];
    int ntasks = 0;
    for (int g = 0; g < s->ngroups && ntasks < 64; g++)
        if (!ntasks || strcmp(tasks[ntasks - 1], s->groups[g].task)) snprintf(tasks[ntasks++], sizeof tasks[0], "%s", s->groups[g].task);
    task_figs *tfs = calloc((size_t)ntasks + 1, sizeof *tfs);
    sb_doc_heading(d, 1, "summary", "Summary");
    sb_doc_para(d, "Claims (section Claims): %d supported, %d contradicted, %d inconclusive, %d not measured.", count[1], count[2],
                count[3], count[0]);
    for (int t = 0; t < ntasks; t++) {
        int idx[256], n = task_groups(s, tasks[t], idx);
        char on[1024] = "", off[1024] = "";
        int order[256];
        for (int i = 0; i < n; i++) order[i] = idx[i];
        for (int i = 1; i < n; i++)
            for (int j = i; j > 0 && st[order[j]].params < st[order[j - 1]].params; j--) {
                int x = order[j];
                order[j] = order[j - 1];
                order[j - 1] = x;
            }
        int higher = st[idx[0]].higher;
        double best = higher ? -INFINITY : INFINITY;
        for (int i = 0; i < n; i++) {
            const gstat *g = &st[order[i]];
            char item[256];
            char pc[32];
            snprintf(item, sizeof item, "%s (%s parameters, test %.3f)", g->mode, sb_fmt_count((long)g->params, pc, sizeof pc), g->test.mean);
            int front = isfinite(g->test.mean) && (higher ? g->test.mean > best : g->test.mean < best);
            if (front) best = g->test.mean;
            char *dst = front ? on : off;
            size_t l = strlen(dst);
            snprintf(dst + l, 1024 - l, "%s%s", l ? "; " : "", item);
        }
        sb_doc_item(d, "%s: on the quality-per-parameter frontier: %s%s%s.", tasks[t], on, off[0] ? ". Dominated (a mode with fewer "
                                                                                                    "parameters does as well): " : "", off);
    }

    for (int t = 0; t < ntasks; t++) {
        int idx[256], n = task_groups(s, tasks[t], idx);
        const sb_rs_run *r0 = &s->runs[s->groups[idx[0]].run[0]];
        const char *metric = sb_rs_param(r0, "metric"), *knobs = sb_rs_param(r0, "task_knobs");
        char anchor[128];
        snprintf(anchor, sizeof anchor, "task-%s", tasks[t]);
        sb_doc_heading(d, 1, anchor, "Task %s", tasks[t]);
        sb_doc_para(d, "Headline metric: %s (%s is better); chance level %.3g; knobs %s; batch %s, %s steps. test_long holds longer "
                       "sequences than training (length generalisation).",
                    metric ? metric : "?", st[idx[0]].higher ? "higher" : "lower", sb_rs_metric(r0, "chance"), knobs ? knobs : "-",
                    sb_rs_param(r0, "batch") ? sb_rs_param(r0, "batch") : "?", sb_rs_param(r0, "steps") ? sb_rs_param(r0, "steps") : "?");
        static const char *const head[] = { "sharing", "runs", "unique params", "vs none", "train tok/s", "infer tok/s",
                                            "step memory", "peak RSS", "test [95% CI]", "test vs none", "test_long [95% CI]",
                                            "test_long vs none" };
        sb_doc_table(d, 12, head, "lrrrrrrrrrrr");
        for (int i = 0; i < n; i++) {
            const gstat *g = &st[idx[i]];
            char c[12][96];
            const char *cells[12];
            int is_none = !strcmp(s->groups[idx[i]].sharing, "none");
            snprintf(c[0], sizeof c[0], "%s", g->mode);
            snprintf(c[1], sizeof c[1], "%d/%d", g->nfin, s->groups[idx[i]].nrun);
            sb_fmt_count((long)g->params, c[2], sizeof c[2]);
            if (is_none) snprintf(c[3], sizeof c[3], "-");
            else if (g->none >= 0 && st[g->none].params > 0) snprintf(c[3], sizeof c[3], "%.1f%% fewer", 100 * (1 - g->params / st[g->none].params));
            else snprintf(c[3], sizeof c[3], "-");
            fmt_num(c[4], sizeof c[4], g->train_tps);
            fmt_num(c[5], sizeof c[5], g->infer_tps);
            if (g->step_bytes > 0) sb_fmt_bytes(g->step_bytes, c[6], sizeof c[6]);
            else snprintf(c[6], sizeof c[6], "-");
            if (isfinite(g->rss)) sb_fmt_bytes(g->rss, c[7], sizeof c[7]);
            else snprintf(c[7], sizeof c[7], "-");
            fmt_ci(c[8], sizeof c[8], &g->test);
            fmt_delta(c[9], sizeof c[9], g->has_dtest, &g->dtest, is_none);
            fmt_ci(c[10], sizeof c[10], &g->test_long);
            fmt_delta(c[11], sizeof c[11], g->has_dtl, &g->dtl, is_none);
            for (int k = 0; k < 12; k++) cells[k] = c[k];
            sb_doc_row(d, 12, cells);
        }
        sb_doc_table_end(d);
        sb_doc_para(d, "Step memory: parameters, gradients, AdamW moments, activations and backward scratch of one training step, "
                       "from the engine's accounting; peak RSS as measured (mean over seeds). Sharing shrinks the first three, not "
                       "activations or compute.");
        task_figs *tf = &tfs[t];
        task_figures(c, tasks[t], tf);
        static const struct { const char *kind, *caption; } caps[] = {
            { "curves", "Training and validation loss per sharing mode (mean over seeds; band: min to max)." },
            { "pareto", "Test quality against unique parameters, one point per sharing mode with its 95% confidence interval "
                        "over seeds; the dashed line joins the frontier." },
            { "resources", "Throughput (training, inference, decoding) and the memory of a training step per sharing mode." },
            { "gradnoise", "Gradient variance and noise scale per depth (for shared blocks, each depth's contribution)." },
            { "heads", "Head diversity (JS divergence between heads) and attention entropy per layer." },
            { "cka", "Layer similarity: linear CKA between the representations after each pair of layers." },
            { "attack", "Accuracy under an embedding-space PGD attack against the perturbation size." },
        };
        for (int k = 0; k < tf->n; k++) {
            const char *cap = "";
            for (size_t q = 0; q < sizeof caps / sizeof caps[0]; q++)
                if (!strcmp(caps[q].kind, tf->kind[k])) cap = caps[q].caption;
            char id[200], full[600];
            snprintf(id, sizeof id, "fig-%s-%s", tf->kind[k], tasks[t]);
            snprintf(full, sizeof full, "%s: %s", tasks[t], cap);
            sb_doc_figure(d, tf->name[k], id, full);
        }
        if (tf->not_measured[0])
            sb_doc_para(d, "Not measured in these runs (no analysis series recorded): %s.", tf->not_measured);
        char cname[200], cid[240], ccap[600];
        int cdrawn;
        if (sb_frontier_section(d, s, c->fig, tasks[t], cname, sizeof cname, &cdrawn)) {
            add_fig(tf, "compress", cname, cdrawn);
            snprintf(cid, sizeof cid, "fig-compress-%s", tasks[t]);
            snprintf(ccap, sizeof ccap, "%s: test quality against bytes on disk for the reference, sharing alone, compression alone and "
                     "both (95%% CI over seeds); the dashed line joins the frontier.", tasks[t]);
            sb_doc_figure(d, tf->name[tf->n - 1], cid, ccap);
        }
    }

    /* the budget */
    char bb[32];
    sb_fmt_bytes(budget, bb, sizeof bb);
    sb_doc_heading(d, 1, "budget", "Longest sequence within a memory budget");
    sb_doc_para(d, "The longest sequence T whose training step fits in %s at each run's batch size, from the engine's exact accounting "
                   "(sb_model_plan: parameters, gradients, AdamW moments, activations and backward scratch, with the model given T "
                   "positions), found by binary search (at most %ld).",
                bb, MAX_T);
    {
        static const char *const head[] = { "task", "sharing", "batch", "step memory at the task's length", "longest T", "vs none" };
        sb_doc_table(d, 6, head, "llrrrr");
        for (int g = 0; g < s->ngroups; g++) {
            const gstat *x = &st[g];
            char c[6][96];
            const char *cells[6];
            snprintf(c[0], sizeof c[0], "%s", s->groups[g].task);
            snprintf(c[1], sizeof c[1], "%s", x->mode);
            const char *bs = sb_rs_param(&s->runs[s->groups[g].run[0]], "batch");
            snprintf(c[2], sizeof c[2], "%s", bs ? bs : "?");
            if (x->step_bytes > 0) sb_fmt_bytes(x->step_bytes, c[3], sizeof c[3]);
            else snprintf(c[3], sizeof c[3], "-");
            if (x->longest > 0) snprintf(c[4], sizeof c[4], "%ld%s", x->longest, x->longest >= MAX_T ? "+" : "");
            else snprintf(c[4], sizeof c[4], x->longest == 0 ? "does not fit" : "-");
            if (x->none >= 0 && x->none != g && st[x->none].longest > 0 && x->longest > 0)
                snprintf(c[5], sizeof c[5], "x%.2f", (double)x->longest / (double)st[x->none].longest);
            else snprintf(c[5], sizeof c[5], "-");
            for (int k = 0; k < 6; k++) cells[k] = c[k];
            sb_doc_row(d, 6, cells);
        }
        sb_doc_table_end(d);
        /* figure: the first task's configurations */
        int idx[256], n = task_groups(s, tasks[0], idx);
        sb_config *cfg = calloc((size_t)n + 1, sizeof *cfg);
        const char **labels = calloc((size_t)n + 1, sizeof *labels);
        int m = 0, B = 8;
        for (int i = 0; cfg && labels && i < n; i++) {
            const sb_rs_run *r = &s->runs[s->groups[idx[i]].run[0]];
            char err[SB_ERR_LEN];
            if (sb_budget_config_of(r, &cfg[m], err, sizeof err)) continue;
            const char *bs = sb_rs_param(r, "batch");
            B = bs ? atoi(bs) : 8;
            labels[m++] = st[idx[i]].mode;
        }
        char title2[300];
        snprintf(title2, sizeof title2, "Longest sequence that fits, %s models (batch %d)", tasks[0], B);
        if (m && budget_figure(c, "budget-runs", title2, m, cfg, labels, B, budget, "this report's budget") == 0)
            sb_doc_figure(d, "budget-runs.png", "fig-budget-runs",
                          "The longest training sequence against the memory budget, per sharing mode, for the models of the first task "
                          "(the dashed line is this report's budget).");
        free(cfg);
        free(labels);
        /* the 12-layer encoder of the claims */
        static const char *const enc_modes[] = { "none", "attn", "ffn", "all" };
        sb_config enc[4];
        int ne = 0;
        for (int i = 0; i < 4; i++) {
            char err[SB_ERR_LEN];
            sb_config_default(&enc[ne]);
            if (!sb_config_preset(&enc[ne], "bert-base", err, sizeof err) && !sb_config_set(&enc[ne], "sharing", enc_modes[i], err, sizeof err)) ne++;
        }
        if (ne == 4) {
            static const char *const head2[] = { "sharing", "unique params", "step memory at T=512", "longest T in 16 GiB" };
            sb_doc_para(d, "For the claims about a 12-layer encoder: the bert-base preset (12 x 768, post-LN encoder) at batch 8, "
                           "sharing attention, the feed-forward blocks or everything (ALBERT's ablation).");
            sb_doc_table(d, 4, head2, "lrrr");
            for (int i = 0; i < 4; i++) {
                long np;
                sb_memory mem;
                char err[SB_ERR_LEN], c[4][64];
                const char *cells[4] = { c[0], c[1], c[2], c[3] };
                snprintf(c[0], sizeof c[0], "%s", enc_modes[i]);
                if (sb_model_plan(&enc[i], 8, 512, 0, &np, &mem, err, sizeof err)) continue;
                sb_fmt_count(np, c[1], sizeof c[1]);
                sb_fmt_bytes((double)(mem.params + mem.grads + mem.optim + mem.acts + mem.scratch), c[2], sizeof c[2]);
                snprintf(c[3], sizeof c[3], "%ld", sb_budget_longest(&enc[i], 8, 16.0 * 1073741824.0, MAX_T, err, sizeof err));
                sb_doc_row(d, 4, cells);
            }
            sb_doc_table_end(d);
            if (budget_figure(c, "budget-encoder", "Longest sequence that fits: 12-layer encoder (bert-base, batch 8)", 4, enc,
                              enc_modes, 8, 16.0 * 1073741824.0, "16 GiB (the claims' budget)") == 0)
                sb_doc_figure(d, "budget-encoder.png", "fig-budget-encoder",
                              "The longest training sequence against the memory budget for the bert-base encoder under ALBERT's "
                              "sharing modes (the dashed line marks 16 GiB).");
        }
    }

    /* claims */
    sb_doc_heading(d, 1, "claims", "Claims");
    sb_doc_para(d, "Each claim of %s, with what the data of this report says: supported (every check that could be made supports it), "
                   "contradicted (a check contradicts it and none supports it), inconclusive (mixed, or differences not significant "
                   "at the 5%% level), not measured (the runs lack what the checks need).",
                claims_path);
    for (int i = 0; cst && evid && i < claims->n; i++) {
        const sb_claim *cl = &claims->claim[i];
        char id[128];
        snprintf(id, sizeof id, "claim-%s", cl->id);
        sb_doc_heading(d, 2, id, "%s", cl->id);
        sb_doc_para(d, "%s (%s)", cl->text, cl->source[0] ? cl->source : "no source given");
        const char *sname = sb_claim_status_name(cst[i]);
        char md[256], html[256];
        snprintf(md, sizeof md, "Status: **%s**\n\n", sname);
        snprintf(html, sizeof html, "<p>Status: <span class=\"%s\">%s</span></p>\n", cst[i] == SB_CLAIM_NOT_MEASURED ? "notmeasured" : sname,
                 sname);
        sb_doc_raw(d, md, html);
        sb_doc_para(d, "%s", evid[i] ? evid[i] : "");
        /* the figures behind it */
        const char *names[64], *ids[64], *texts[64];
        char nbuf[64][200], ibuf[64][200], tbuf[64][200];
        int nl = 0;
        char kinds[128], *save = NULL;
        snprintf(kinds, sizeof kinds, "%s", cl->figures);
        for (char *k = strtok_r(kinds, " ", &save); k && nl < 60; k = strtok_r(NULL, " ", &save)) {
            if (!strcmp(k, "budget")) {
                const char *bn[2] = { "budget-runs", "budget-encoder" };
                for (int q = 0; q < 2; q++) {
                    char p[4096];
                    snprintf(p, sizeof p, "%s/%s.png", c->fig->outdir, bn[q]);
                    if (access(p, R_OK)) continue;
                    snprintf(nbuf[nl], sizeof nbuf[0], "%s.png", bn[q]);
                    snprintf(ibuf[nl], sizeof ibuf[0], "fig-%s", bn[q]);
                    snprintf(tbuf[nl], sizeof tbuf[0], "%s", bn[q]);
                    names[nl] = nbuf[nl]; ids[nl] = ibuf[nl]; texts[nl] = tbuf[nl];
                    nl++;
                }
                continue;
            }
            for (int t = 0; t < ntasks; t++)
                for (int f = 0; f < tfs[t].n; f++)
                    if (!strcmp(tfs[t].kind[f], k) && tfs[t].drawn[f] && nl < 60) {
                        snprintf(nbuf[nl], sizeof nbuf[0], "%s", tfs[t].name[f]);
                        snprintf(ibuf[nl], sizeof ibuf[0], "fig-%s-%s", k, tasks[t]);
                        snprintf(tbuf[nl], sizeof tbuf[0], "%s %s", k, tasks[t]);
                        names[nl] = nbuf[nl]; ids[nl] = ibuf[nl]; texts[nl] = tbuf[nl];
                        nl++;
                    }
        }
        if (nl) sb_doc_links(d, "Figures", nl, names, ids, texts);
        else if (cl->figures[0]) sb_doc_para(d, "Figures: none drawn for these runs (%s not measured).", cl->figures);
    }
    if (c->fig->failed) sb_doc_para(d, "%d figure(s) could not be drawn: %s", c->fig->failed, c->fig->last_error);
    for (int i = 0; evid && i < claims->n; i++) free(evid[i]);
    free(evid);
    free(cst);
    free(tfs);
    sb_doc_end(d);
}

/* --verbose: every file of the figure directory, one a line. */
static void list_figures(const char *figdir)
{
    glob_t g;
    char pattern[4200];
    snprintf(pattern, sizeof pattern, "%s/*", figdir);
    if (glob(pattern, 0, NULL, &g)) return;
    for (size_t i = 0; i < g.gl_pathc; i++) printf("report: figure %s\n", g.gl_pathv[i]);
    globfree(&g);
}

int sb_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' },     { "sweep", required_argument, NULL, 'w' },
        { "task", required_argument, NULL, 't' },   { "out", required_argument, NULL, 'o' },
        { "name", required_argument, NULL, 'n' },   { "budget", required_argument, NULL, 'b' },
        { "claims", required_argument, NULL, 'c' }, { "plots", required_argument, NULL, 'p' },
        { "title", required_argument, NULL, 'T' },  { "help", no_argument, NULL, 'h' },
        { "quiet", no_argument, NULL, 'q' },        { "verbose", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 }
    };
    const char *db = DEFAULT_DB, *outdir = "results", *name = "report", *claims_path = NULL, *plotdir = NULL,
               *title = NULL;
    sb_rs_filter flt = { NULL, NULL, NULL };
    double budget = 1073741824.0;
    char err[1024];
    int opt;
    sb_cli_opts co;
    sb_cli_opts_init(&co, "report", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return SB_EXIT_USAGE;
        switch (opt) {
        case 'd': db = optarg; break;
        case 'w': flt.sweep = optarg; break;
        case 't': flt.task = optarg; break;
        case 'o': outdir = optarg; break;
        case 'n':
            if (!*optarg || strchr(optarg, '/')) return sb_usage_error("report: --name '%s': expected a file name without '/'", optarg);
            name = optarg;
            break;
        case 'b':
            if (sb_budget_parse_size(optarg, &budget))
                return sb_usage_error("report: --budget '%s': expected a size such as 512MiB, 16GiB or 2GB", optarg);
            break;
        case 'c': claims_path = optarg; break;
        case 'p': plotdir = optarg; break;
        case 'T': title = optarg; break;
        case 'h': help(stdout); return SB_EXIT_OK;
        }
    }
    if (optind < argc) return sb_usage_error("report: unexpected argument '%s' (see sharebench report --help)", argv[optind]);
    int verbosity = sb_cli_verbosity(&co);
    if (verbosity == SB_VERBOSITY_BAD) return SB_EXIT_USAGE;
    /* the shipped claims and figures, wherever sharebench is installed (datadir.h) */
    char claims_found[4096], plots_found[4096];
    if (!claims_path) {
        if (sb_data_path("claims.txt", claims_found, sizeof claims_found, err, sizeof err)) return sb_usage_error("report: %s", err);
        claims_path = claims_found;
    }
    if (!plotdir) {
        if (sb_data_path("plots", plots_found, sizeof plots_found, err, sizeof err)) return sb_usage_error("report: %s", err);
        plotdir = plots_found;
    }
    /* everything checked before anything is written */
    if (strlen(outdir) > 1024 || strlen(plotdir) > 1024 || strlen(name) > 128)
        return sb_usage_error("report: --out, --plots or --name too long");
    sb_claims claims;
    if (sb_claims_load(claims_path, &claims, err, sizeof err)) return sb_usage_error("report: %s", err);
    if (!sb_figures_check(plotdir, err, sizeof err)) {
        sb_claims_free(&claims);
        return sb_usage_error("report: %s", err);
    }
    sb_runset *s = sb_runset_open(db, &flt, err, sizeof err);
    if (!s) {
        sb_claims_free(&claims);
        return sb_usage_error("report: %s", err);
    }
    if (!s->nruns) {
        sb_runset_free(s);
        sb_claims_free(&claims);
        return sb_usage_error("report: %s: no runs%s", db, flt.sweep || flt.task ? " match" : "");
    }
    char figdir[4096], mdpath[4096], htmlpath[4096], deftitle[256];
    snprintf(figdir, sizeof figdir, "%s/%s-figures", outdir, name);
    snprintf(mdpath, sizeof mdpath, "%s/%s.md", outdir, name);
    snprintf(htmlpath, sizeof htmlpath, "%s/%s.html", outdir, name);
    if (mkdir_p(figdir)) {
        int e = errno;
        sb_runset_free(s);
        sb_claims_free(&claims);
        return sb_usage_error("report: %s: cannot create: %s", figdir, strerror(e));
    }
    if (!flt.sweep) {
        /* name the sweep when all runs share one */
        const char *w = s->runs[0].sweep;
        for (int i = 1; i < s->nruns && w; i++)
            if (strcmp(s->runs[i].sweep, w)) w = NULL;
        if (w && *w) flt.sweep = w;
    }
    if (!title) {
        snprintf(deftitle, sizeof deftitle, "sharebench report%s%s", flt.sweep ? ": sweep " : "", flt.sweep ? flt.sweep : "");
        title = deftitle;
    }
    gstat *st = calloc((size_t)s->ngroups + 1, sizeof *st);
    if (!st) {
        sb_runset_free(s);
        sb_claims_free(&claims);
        return sb_usage_error("report: out of memory");
    }
    for (int g = 0; g < s->ngroups; g++) summarise(s, g, &st[g], budget);
    sb_figures fig = { plotdir, figdir, 0, 0, 0, "" };
    rctx c = { s, st, &fig, err, sizeof err, 0 };
    char rel[4200];
    snprintf(rel, sizeof rel, "%s-figures", name);
    sb_atomic amd, ahtml;
    int rc = SB_EXIT_OK;
    if (sb_atomic_open(&amd, mdpath, err, sizeof err)) rc = sb_usage_error("report: %s", err);
    else if (sb_atomic_open(&ahtml, htmlpath, err, sizeof err)) {
        sb_atomic_abort(&amd);
        rc = sb_usage_error("report: %s", err);
    }
    if (rc == SB_EXIT_OK) {
        sb_doc d = { amd.f, ahtml.f, rel, figdir, 0 };
        write_document(&d, &c, db, flt.sweep, budget, &claims, title, claims_path);
        if (sb_atomic_commit(&amd, err, sizeof err)) {
            sb_atomic_abort(&ahtml);
            rc = sb_usage_error("report: %s", err);
        } else if (sb_atomic_commit(&ahtml, err, sizeof err)) {
            rc = sb_usage_error("report: %s", err);
        }
    }
    if (rc == SB_EXIT_OK && verbosity > 0) list_figures(figdir);
    if (rc == SB_EXIT_OK && verbosity >= 0) {
        /* what was written is the command's result: standard output */
        printf("report: wrote %s and %s (%d runs, %d configurations; %d figures in %s", mdpath, htmlpath, s->nruns,
               s->ngroups, fig.drawn, figdir);
        if (fig.failed) printf("; %d not drawn: %s", fig.failed, fig.last_error);
        printf(")\n");
    }
    if (rc == SB_EXIT_OK && fig.failed && verbosity < 0)
        fprintf(stderr, "sharebench: report: %d figures not drawn: %s\n", fig.failed, fig.last_error);
    free(st);
    sb_runset_free(s);
    sb_claims_free(&claims);
    return rc;
}
