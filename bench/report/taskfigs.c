/*
** taskfigs.c: a task's figures in the report (taskfigs.h): one function per
** kind writes its data (series read through results/series.h) and runs its
** script; the analyses' figures only when some run recorded their series.
*/
#include "taskfigs.h"
#include "core/config.h"
#include "results/series.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names, titles and paths are cut to fit their buffers when too long (the
** directories are checked for length before anything is written), so GCC's
** warnings about possible truncation do not apply here. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* The task being drawn: its groups idx[0..n) and their modes as gnuplot words. */
typedef struct {
    const sb_runset *s;
    const sb_gstat *st;
    sb_figures *fig;
    const char *task;
    const int *idx;
    int n;
    const sb_rs_run *r0;       /* the first run of the first group: the task's facts */
    char modes[4096];
    sb_task_figs *tf;
} task;

const char *sb_task_fig_caption(const char *kind)
{
    static const struct {
        const char *kind, *caption;
    } caps[] = {
        { "curves", "Training loss, validation loss and the validation headline metric per sharing mode (mean over seeds; "
                    "band: min to max; dotted: the chance level)." },
        { "pareto", "Test quality against unique parameters, one point per sharing mode with its 95% confidence interval "
                    "over seeds (logit interval for metrics in [0, 1]); the dashed line joins the frontier: the configurations "
                    "significantly better than every one with fewer parameters (section Summary)." },
        { "resources", "Throughput (training, inference, decoding; geometric mean over seeds, bars: 95% interval on the log scale) "
                       "and the memory of a training step per sharing mode. Runs of a sweep with --jobs above 1 share the machine, "
                       "so their speeds carry the other jobs' load." },
        { "gradnoise", "Gradient variance and noise scale per depth (for shared blocks, each depth's contribution)." },
        { "heads", "Head diversity (JS divergence between heads) and attention entropy per layer." },
        { "cka", "Layer similarity: linear CKA between the representations after each pair of layers." },
        { "attack", "Per-example accuracy (an example counts when every scored position is right, unlike the tables' per-token "
                    "accuracy) under an embedding-space PGD attack against the perturbation size, from size 0 (no perturbation; "
                    "the clean accuracy of the same examples when the size grid does not start at 0)." },
    };
    for (size_t q = 0; q < sizeof caps / sizeof caps[0]; q++)
        if (!strcmp(caps[q].kind, kind)) return caps[q].caption;
    return "";
}

void sb_task_figs_add(sb_task_figs *tf, const char *kind, const char *name, int drawn)
{
    if (tf->n == SB_TASK_FIGS) return;
    snprintf(tf->name[tf->n], sizeof tf->name[0], "%s.png", name);
    snprintf(tf->kind[tf->n], sizeof tf->kind[0], "%s", kind);
    tf->drawn[tf->n] = drawn;
    tf->n++;
}

/* A figure's data file NAME.dat (or NAME-SUFFIX.dat), its quoted path into q. */
static FILE *data_file(task *t, const char *name, const char *suffix, char *q, size_t qlen)
{
    char file[300], path[4096];
    snprintf(file, sizeof file, "%s%s%s.dat", name, suffix ? "-" : "", suffix ? suffix : "");
    FILE *f = sb_figures_data(t->fig, file, path, sizeof path);
    if (f) sb_figures_quote(path, q, qlen);
    return f;
}

/* Run script for figure name with vars; record it as kind. */
static void draw(task *t, const char *kind, const char *script, const char *name, const char *vars)
{
    sb_task_figs_add(t->tf, kind, name, sb_figures_draw(t->fig, script, name, vars) == 0);
}

/* Mean, min and max over a group's seeds of a series at each step of the first run's steps. */
static void write_series_block(const sb_runset *s, FILE *f, const sb_rs_group *g, sb_series_id id)
{
    long *s0 = NULL;
    double *sum = NULL, *mn = NULL, *mx = NULL;
    int *cnt = NULL, n0 = 0;
    for (int k = 0; k < g->nrun; k++) {
        const sb_rs_run *r = &s->runs[g->run[k]];
        if (!sb_rs_finished(r)) continue;
        long *st;
        double *v;
        int n;
        char e[256];
        if (sb_rs_series(s, r, id, -1, -1, &st, &v, &n, e, sizeof e)) continue;
        if (!s0 && n) {
            s0 = st;
            n0 = n;
            sum = calloc((size_t)n, sizeof *sum);
            mn = malloc(sizeof *mn * (size_t)n);
            mx = malloc(sizeof *mx * (size_t)n);
            cnt = calloc((size_t)n, sizeof *cnt);
            if (!sum || !mn || !mx || !cnt) { free(v); break; }
            for (int i = 0; i < n; i++) { mn[i] = INFINITY; mx[i] = -INFINITY; }
        }
        /* the points at the first run's steps */
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

static void curves(task *t)
{
    char name[200], q1[4200], q2[4200], q3[4200], ttl[300], yl[300], vars[14000];
    const char *metric = sb_rs_param(t->r0, "metric");
    snprintf(name, sizeof name, "curves-%s", t->task);
    static const sb_series_id ids[3] = { SB_S_TRAIN_LOSS, SB_S_VALID_LOSS, SB_S_VALID_METRIC };
    static const char *const suffix[3] = { "train", "valid", "metric" };
    char *q[3] = { q1, q2, q3 };
    for (int k = 0; k < 3; k++) {
        FILE *f = data_file(t, name, suffix[k], q[k], sizeof q1);
        if (!f) return;
        for (int i = 0; i < t->n; i++) write_series_block(t->s, f, &t->s->groups[t->idx[i]], ids[k]);
        fclose(f);
    }
    char title[300];
    snprintf(title, sizeof title, "%s: training and validation per sharing mode", t->task);
    sb_figures_quote(title, ttl, sizeof ttl);
    snprintf(title, sizeof title, "validation %s", metric ? metric : "metric");
    sb_figures_quote(title, yl, sizeof yl);
    double ch = sb_rs_metric(t->r0, SB_M_CHANCE);
    snprintf(vars, sizeof vars, "train=%s; valid=%s; vmetric=%s; mlab=%s; chance=%.6g; bounded=%d; modes=%s; ttl=%s", q1, q2, q3, yl,
             isfinite(ch) ? ch : NAN, t->st[t->idx[0]].bounded, t->modes, ttl);
    draw(t, "curves", "curves.gp", name, vars);
}

static void pareto(task *t)
{
    char name[200], q1[4200], q2[4200], ttl[300], yl[300], text[400], chance[32], vars[9000];
    const char *metric = sb_rs_param(t->r0, "metric");
    snprintf(name, sizeof name, "pareto-%s", t->task);
    FILE *fp = data_file(t, name, NULL, q1, sizeof q1);
    if (!fp) return;
    int seeds = 0;
    for (int i = 0; i < t->n; i++) {
        const sb_gstat *g = &t->st[t->idx[i]];
        double lo = g->test.n > 1 ? g->test.lo : g->test.mean, hi = g->test.n > 1 ? g->test.hi : g->test.mean;
        /* a configuration without a finished run has no point (gnuplot skips NaN) */
        if (!g->nfin || !isfinite(g->params) || !isfinite(g->test.mean)) fprintf(fp, "NaN NaN NaN NaN\n");
        else fprintf(fp, "%.0f %.6g %.6g %.6g\n", g->params, g->test.mean, lo, hi);
        if (g->test.n > seeds) seeds = g->test.n;
    }
    fclose(fp);
    FILE *ff = data_file(t, name, "front", q2, sizeof q2);
    if (!ff) return;
    /* the frontier (verdicts.h): by parameters ascending, each significantly better than every cheaper one */
    int *order = malloc(sizeof *order * (size_t)(t->n + 1));
    if (order) {
        sb_gstat_by_params(t->st, t->idx, t->n, order);
        for (int i = 0; i < t->n; i++)
            if (t->st[order[i]].cls == SB_F_FRONTIER) fprintf(ff, "%.0f %.6g\n", t->st[order[i]].params, t->st[order[i]].test.mean);
    }
    free(order);
    fclose(ff);
    snprintf(text, sizeof text, "%s: quality against unique parameters", t->task);
    sb_figures_quote(text, ttl, sizeof ttl);
    snprintf(text, sizeof text, "test %s (mean, 95%% CI over %d seeds)", metric ? metric : "test metric", seeds);
    sb_figures_quote(text, yl, sizeof yl);
    double ch = sb_rs_metric(t->r0, SB_M_CHANCE);
    snprintf(chance, sizeof chance, isfinite(ch) ? "%.6g" : "NaN", ch);
    snprintf(vars, sizeof vars, "data=%s; front=%s; modes=%s; ttl=%s; ylab=%s; chance=%s; bounded=%d", q1, q2, t->modes, ttl, yl, chance,
             t->st[t->idx[0]].bounded);
    draw(t, "pareto", "pareto.gp", name, vars);
}

static void resources(task *t)
{
    char name[200], q1[4200], ttl[300], text[400], calib_text[64] = "", vars[9000];
    snprintf(name, sizeof name, "resources-%s", t->task);
    FILE *fr = data_file(t, name, NULL, q1, sizeof q1);
    if (!fr) return;
    double calib = 0;
    int nc = 0;
    for (int i = 0; i < t->n; i++) {
        const sb_gstat *g = &t->st[t->idx[i]];
        /* data files take double-quoted labels */
        /* speeds with their intervals over seeds (one seed: the value itself) */
        const sb_summary *sp[3] = { &g->train, &g->infer, &g->decode };
        fprintf(fr, "\"%s\"", g->mode);
        for (int k = 0; k < 3; k++)
            fprintf(fr, " %.6g %.6g %.6g", sp[k]->mean, isfinite(sp[k]->lo) ? sp[k]->lo : sp[k]->mean,
                    isfinite(sp[k]->hi) ? sp[k]->hi : sp[k]->mean);
        fprintf(fr, " %.6g %.6g %.6g %.6g %.6g %.6g\n", g->bytes[0] / 1048576, g->bytes[1] / 1048576, g->bytes[2] / 1048576,
                g->bytes[3] / 1048576, g->bytes[4] / 1048576, g->rss / 1048576);
        if (isfinite(g->calib)) { calib += g->calib; nc++; }
    }
    fclose(fr);
    const char *bs = sb_rs_param(t->r0, "batch");
    if (nc) snprintf(calib_text, sizeof calib_text, "; calibration %.0f GFLOP/s", calib / nc);
    snprintf(text, sizeof text, "%s: speed and memory per sharing mode (batch %s%s)", t->task, bs ? bs : "?", calib_text);
    sb_figures_quote(text, ttl, sizeof ttl);
    snprintf(vars, sizeof vars, "data=%s; ttl=%s", q1, ttl);
    draw(t, "resources", "resources.gp", name, vars);
}

/* ---- the analyses' figures ---- */

/* Per (layer, head) sums and counts of a series at each run's last step over
** the group's finished runs, into grid and cnt (nl x nh, from layer and head lo). */
static void last_step_grid(const sb_runset *s, const sb_rs_group *g, sb_series_id id, double *grid, int *cnt, int lo, int nl,
                           int nh)
{
    for (int k = 0; k < g->nrun; k++) {
        const sb_rs_run *r = &s->runs[g->run[k]];
        sb_rs_point *p;
        int np;
        char e[256];
        if (!sb_rs_finished(r) || sb_rs_series_last(s, r, id, &p, &np, e, sizeof e)) continue;
        for (int i = 0; i < np; i++) {
            int l = p[i].layer - lo, h = p[i].head - lo;
            if (nh == 1) h = 0;
            if (l < 0 || l >= nl || h < 0 || h >= nh || isnan(p[i].value)) continue;
            grid[l * nh + h] += p[i].value;
            cnt[l * nh + h]++;
        }
        free(p);
    }
}

static int layers_of(const sb_runset *s, const sb_rs_group *g)
{
    const char *v = sb_rs_param(&s->runs[g->run[0]], "layers");
    int n = v ? atoi(v) : 4;
    return n > 0 && n <= SB_MAX_LAYERS ? n : 4;
}

/* The data and the title of an analysis figure drawn from one data file by a script. */
static void analysis_figure(task *t, const char *kind, const char *title, void (*data)(task *t, FILE *f), const char *extra)
{
    char name[200], q1[4200], ttl[300], script[32], vars[9000];
    snprintf(name, sizeof name, "%s-%s", kind, t->task);
    FILE *f = data_file(t, name, NULL, q1, sizeof q1);
    if (!f) return;
    data(t, f);
    fclose(f);
    sb_figures_quote(title, ttl, sizeof ttl);
    snprintf(script, sizeof script, "%s.gp", kind);
    snprintf(vars, sizeof vars, "data=%s; modes=%s; ttl=%s%s", q1, t->modes, ttl, extra);
    draw(t, kind, script, name, vars);
}

/* Per depth: tr(S) and |G|^2 of every block a depth uses, summed, averaged over the points and the seeds. */
static void gradnoise_data(task *t, FILE *f)
{
    char tc_like[64], sq_like[64];
    sb_series_like(SB_S_GRAD_DEPTH_TRACE_COV, tc_like, sizeof tc_like);
    sb_series_like(SB_S_GRAD_DEPTH_SQNORM, sq_like, sizeof sq_like);
    for (int i = 0; i < t->n; i++) {
        const sb_rs_group *g = &t->s->groups[t->idx[i]];
        double tc[SB_MAX_LAYERS] = { 0 }, sq[SB_MAX_LAYERS] = { 0 };
        int cnt[SB_MAX_LAYERS] = { 0 }, nl = 0;
        for (int k = 0; k < g->nrun; k++) {
            const sb_rs_run *r = &t->s->runs[g->run[k]];
            double tv[SB_MAX_LAYERS], qv[SB_MAX_LAYERS];
            char e[256];
            if (!sb_rs_finished(r)) continue;
            int nt = sb_rs_depth_profile(t->s, r, tc_like, tv, SB_MAX_LAYERS, e, sizeof e);
            int nq = sb_rs_depth_profile(t->s, r, sq_like, qv, SB_MAX_LAYERS, e, sizeof e);
            for (int l = 0; l < nt || l < nq; l++) {
                int ht = l < nt && !isnan(tv[l]), hq = l < nq && !isnan(qv[l]);
                if (!ht && !hq) continue;
                tc[l] += ht ? tv[l] : 0;
                sq[l] += hq ? qv[l] : 0;
                cnt[l]++;
                if (l + 1 > nl) nl = l + 1;
            }
        }
        for (int l = 0; l < nl; l++)
            if (cnt[l]) fprintf(f, "%d %.6g %.6g\n", l, tc[l] / cnt[l], sq[l] > 0 ? tc[l] / sq[l] : NAN);
        if (!nl) fprintf(f, "0 NaN NaN\n");
        fprintf(f, "\n\n");
    }
}

/* Per layer: JS divergence between heads and the mean attention entropy, at the last step, over the seeds. */
static void heads_data(task *t, FILE *f)
{
    for (int i = 0; i < t->n; i++) {
        const sb_rs_group *g = &t->s->groups[t->idx[i]];
        int nl = layers_of(t->s, g), nh = 64;
        double js[SB_MAX_LAYERS] = { 0 }, *en = calloc((size_t)(SB_MAX_LAYERS * nh), sizeof *en);
        int cj[SB_MAX_LAYERS] = { 0 }, *ce = calloc((size_t)(SB_MAX_LAYERS * nh), sizeof *ce);
        if (!en || !ce) { free(en); free(ce); break; }
        last_step_grid(t->s, g, SB_S_ATTN_JS, js, cj, 0, nl, 1);
        last_step_grid(t->s, g, SB_S_ATTN_ENTROPY, en, ce, 0, nl, nh);
        for (int l = 0; l < nl; l++) {
            double es = 0;
            int ec = 0;
            for (int h = 0; h < nh; h++)
                if (ce[l * nh + h]) { es += en[l * nh + h] / ce[l * nh + h]; ec++; }
            fprintf(f, "%d %.6g %.6g\n", l, cj[l] ? js[l] / cj[l] : NAN, ec ? es / ec : NAN);
        }
        fprintf(f, "\n\n");
        free(en);
        free(ce);
    }
}

/* Linear CKA between every pair of depths (-1: the input), at the last step, over the seeds. */
static void cka_data(task *t, FILE *f)
{
    int nl = layers_of(t->s, &t->s->groups[t->idx[0]]);
    for (int i = 0; i < t->n; i++) {
        int w = nl + 1;
        double grid[(SB_MAX_LAYERS + 1) * (SB_MAX_LAYERS + 1)] = { 0 };
        int cnt[(SB_MAX_LAYERS + 1) * (SB_MAX_LAYERS + 1)] = { 0 };
        last_step_grid(t->s, &t->s->groups[t->idx[i]], SB_S_CKA_LINEAR, grid, cnt, -1, w, w);
        for (int a = 0; a < w; a++) {
            for (int b = 0; b < w; b++) fprintf(f, "%d %d %.6g\n", a - 1, b - 1, cnt[a * w + b] ? grid[a * w + b] / cnt[a * w + b] : NAN);
            fprintf(f, "\n");
        }
        fprintf(f, "\n");
    }
}

/* Accuracy under PGD per perturbation size: mean, min and max over the seeds. */
static void attack_data(task *t, FILE *f)
{
    for (int i = 0; i < t->n; i++) {
        const sb_rs_group *g = &t->s->groups[t->idx[i]];
        enum { NE = 64 };
        double eps[NE], sum[NE] = { 0 }, mn[NE], mx[NE];
        int cnt[NE] = { 0 }, ne = 0;
        for (int e = 0; e < NE; e++) { eps[e] = NAN; mn[e] = INFINITY; mx[e] = -INFINITY; }
        for (int k = 0; k < g->nrun; k++) {
            const sb_rs_run *r = &t->s->runs[g->run[k]];
            long *st, *st2;
            double *v, *v2;
            int np, np2;
            char e2[256];
            if (!sb_rs_finished(r) || sb_rs_series(t->s, r, SB_S_PGD_ACCURACY, -1, -1, &st, &v, &np, e2, sizeof e2)) continue;
            if (!sb_rs_series(t->s, r, SB_S_PGD_EPS, -1, -1, &st2, &v2, &np2, e2, sizeof e2)) {
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
        /* the clean point (size 0): HotFlip's clean accuracy is the same
        ** measure on the same examples, for grids that do not start at 0 */
        int has0 = 0;
        for (int e = 0; e < ne; e++) has0 |= cnt[e] && eps[e] == 0;
        if (!has0 && ne) {
            double c[256];
            int nc = 0;
            for (int k = 0; k < g->nrun && nc < 256; k++) {
                const sb_rs_run *r = &t->s->runs[g->run[k]];
                double v = sb_rs_metric(r, SB_M_HOTFLIP_CLEAN_ACCURACY);
                if (sb_rs_finished(r) && isfinite(v)) c[nc++] = v;
            }
            double lo = INFINITY, hi = -INFINITY;
            for (int k = 0; k < nc; k++) { lo = c[k] < lo ? c[k] : lo; hi = c[k] > hi ? c[k] : hi; }
            if (nc) fprintf(f, "0 %.6g %.6g %.6g\n", sb_stats_mean(c, nc), lo, hi);
        }
        for (int e = 0; e < ne; e++)
            if (cnt[e]) fprintf(f, "%.6g %.6g %.6g %.6g\n", isfinite(eps[e]) ? eps[e] : e, sum[e] / cnt[e], mn[e], mx[e]);
        if (!ne) fprintf(f, "0 NaN NaN NaN\n");
        fprintf(f, "\n\n");
    }
}

/* Does any run of the task have the series? */
static int task_has(const task *t, sb_series_id id)
{
    for (int i = 0; i < t->n; i++)
        for (int k = 0; k < t->s->groups[t->idx[i]].nrun; k++)
            if (sb_rs_has_series(t->s, &t->s->runs[t->s->groups[t->idx[i]].run[k]], id) > 0) return 1;
    return 0;
}

void sb_task_figures(const sb_runset *s, const sb_gstat *st, sb_figures *fig, const char *task_name, int one_run, sb_task_figs *tf)
{
    task t = { s, st, fig, task_name, NULL, 0, NULL, "", tf };
    int *idx = sb_rs_task_groups(s, task_name, &t.n);
    const char **labels = malloc(sizeof *labels * (size_t)(t.n + 1));
    memset(tf, 0, sizeof *tf);
    if (!idx || !labels || !t.n) {
        free(idx);
        free(labels);
        return;
    }
    t.idx = idx;
    t.r0 = &s->runs[s->groups[idx[0]].run[0]];
    for (int i = 0; i < t.n; i++) labels[i] = st[idx[i]].mode;
    sb_figures_words(labels, t.n, t.modes, sizeof t.modes);
    free(labels);
    curves(&t);
    if (!one_run) {
        pareto(&t);
        resources(&t);
    }
    /* the analyses, when they ran */
    char title[4][300], nl_var[32];
    snprintf(title[0], sizeof title[0], "%s: gradient noise per depth (shared blocks: each depth's contribution)", task_name);
    snprintf(title[1], sizeof title[1], "%s: head diversity per layer (trained models)", task_name);
    snprintf(title[2], sizeof title[2], "%s", task_name);
    snprintf(title[3], sizeof title[3], "%s", task_name);
    snprintf(nl_var, sizeof nl_var, "; nl=%d", layers_of(s, &s->groups[idx[0]]));
    const struct {
        sb_series_id series;       /* drawn when some run has it */
        const char *kind, *what, *extra;
        void (*data)(task *t, FILE *f);
    } analyses[] = {
        { SB_S_GRAD_DEPTH_TRACE_COV, "gradnoise", "gradient noise", "", gradnoise_data },
        { SB_S_ATTN_JS, "heads", "head diversity", "", heads_data },
        { SB_S_CKA_LINEAR, "cka", "layer similarity (CKA)", nl_var, cka_data },
        { SB_S_PGD_ACCURACY, "attack", "accuracy under attack", "", attack_data },
    };
    size_t o = 0;
    for (int a = 0; a < 4; a++) {
        if (task_has(&t, analyses[a].series)) analysis_figure(&t, analyses[a].kind, title[a], analyses[a].data, analyses[a].extra);
        else o += (size_t)snprintf(tf->not_measured + o, sizeof tf->not_measured - o, "%s%s", o ? ", " : "", analyses[a].what);
    }
    free(idx);
}
