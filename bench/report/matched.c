/*
** matched.c: configurations compared at equal unique parameters and at equal
** compute (matched.h), a section of `sharebench report` per task.
*/
#include "matched.h"
#include "verdicts.h"
#include "stats/multiple.h"
#include "sys/fmt.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Labels and captions are cut to their buffers when too long, so truncation
** warnings do not apply. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

int sb_match_close(double x, double y, double tol)
{
    if (!isfinite(x) || !isfinite(y) || !(x > 0) || !(y > 0)) return 0;
    return fabs(x - y) <= tol * fmax(x, y);
}

void sb_matches_free(sb_matches *m)
{
    free(m->g);
    free(m->ftrain);
    free(m->finfer);
    free(m->m);
    memset(m, 0, sizeof *m);
}

int sb_matches_of(const sb_runset *s, const sb_gstat *st, const char *task, double tol, sb_matches *out)
{
    memset(out, 0, sizeof *out);
    int n, *idx = sb_rs_task_groups(s, task, &n);
    if (!idx) return -1;
    out->g = malloc(sizeof *out->g * (size_t)(n + 1));
    out->ftrain = malloc(sizeof *out->ftrain * (size_t)(n + 1));
    out->finfer = malloc(sizeof *out->finfer * (size_t)(n + 1));
    out->m = malloc(sizeof *out->m * (size_t)(n * (n - 1) / 2 + 1));
    double *p = malloc(sizeof *p * (size_t)(n * (n - 1) / 2 + 1));
    if (!out->g || !out->ftrain || !out->finfer || !out->m || !p) {
        free(idx);
        free(p);
        sb_matches_free(out);
        return -1;
    }
    int *order = out->g;
    sb_gstat_by_params(st, idx, n, order);
    free(idx);
    for (int i = 0; i < n; i++)
        if (st[order[i]].nfin && isfinite(st[order[i]].test.mean)) {
            const sb_rs_group *G = &s->groups[order[i]];
            out->g[out->n] = order[i];
            out->ftrain[out->n] = sb_rs_group_mean(s, G, SB_M_FLOPS_TRAIN_PER_TOKEN);
            out->finfer[out->n++] = sb_rs_group_mean(s, G, SB_M_FLOPS_INFER_PER_TOKEN);
        }
    for (int i = 0; i < out->n; i++)
        for (int j = i + 1; j < out->n; j++) {
            int a = out->g[i], b = out->g[j];
            int kinds = (sb_match_close(st[a].params, st[b].params, tol) ? SB_MATCH_PARAMS : 0) |
                        (sb_match_close(out->ftrain[i], out->ftrain[j], tol) ? SB_MATCH_TRAIN : 0) |
                        (sb_match_close(out->finfer[i], out->finfer[j], tol) ? SB_MATCH_INFER : 0);
            if (!kinds) continue;
            sb_match *m = &out->m[out->nm++];
            memset(m, 0, sizeof *m);
            m->a = a;
            m->b = b;
            m->kinds = kinds;
            m->q = NAN;
            m->tested = !sb_verdict_compare(s, a, b, &m->t);
        }
    /* one family: every matched pair's test, adjusted together */
    int np = 0;
    for (int k = 0; k < out->nm; k++)
        if (out->m[k].tested && isfinite(out->m[k].t.p_two)) p[np++] = out->m[k].t.p_two;
    if (np && sb_stats_bh(p, np, p) < 0) {
        free(p);
        sb_matches_free(out);
        return -1;
    }
    out->family = np;
    np = 0;
    for (int k = 0; k < out->nm; k++) {
        sb_match *m = &out->m[k];
        if (!m->tested || !isfinite(m->t.p_two)) continue;
        m->q = p[np++];
        m->verdict = sb_verdict_of(&m->t, m->q, st[m->b].higher);
    }
    free(p);
    return 0;
}

int sb_match_verdict_of(const sb_match *m, int g)
{
    if (g == m->b || m->verdict == SB_V_UNTESTED || m->verdict == SB_V_TIE) return m->verdict;
    return m->verdict == SB_V_BETTER ? SB_V_WORSE : SB_V_BETTER;
}

/* Group g's matches of a kind, in words: "all (tie), attn (worse, q=0.01)". */
static void match_list(const sb_matches *M, const sb_gstat *st, int g, int kind, char *out, size_t len)
{
    static const char *const words[] = { "untested", "tie", "better", "worse" };
    size_t o = 0;
    out[0] = 0;
    for (int k = 0; k < M->nm && o < len; k++) {
        const sb_match *m = &M->m[k];
        if (!(m->kinds & kind) || (m->a != g && m->b != g)) continue;
        int other = m->a == g ? m->b : m->a, v = sb_match_verdict_of(m, g);
        if (v == SB_V_BETTER || v == SB_V_WORSE)
            o += (size_t)snprintf(out + o, len - o, "%s%s (%s, q=%.2g)", o ? ", " : "", st[other].mode, words[v], m->q);
        else o += (size_t)snprintf(out + o, len - o, "%s%s (%s)", o ? ", " : "", st[other].mode, words[v]);
    }
    if (!out[0]) snprintf(out, len, "-");
}

/* The figure: test against parameters and against training and inference FLOPs per token. */
static int figure(const sb_runset *s, const sb_gstat *st, const sb_matches *M, sb_figures *fig, const char *task, const char *name)
{
    char file[300], path[4096], q1[4200], t[400], qt[500], yl[300], vars[6000];
    snprintf(file, sizeof file, "%s.dat", name);
    FILE *f = sb_figures_data(fig, file, path, sizeof path);
    if (!f) return -1;
    for (int i = 0; i < M->n; i++) {
        const sb_gstat *x = &st[M->g[i]];
        char label[160];
        snprintf(label, sizeof label, "%s", x->mode);
        for (char *c = label; *c; c++)
            if (*c == '"' || *c == '\\') *c = '\'';
        double lo = x->test.n > 1 ? x->test.lo : x->test.mean, hi = x->test.n > 1 ? x->test.hi : x->test.mean;
        fprintf(f, "%.6g %.6g %.6g %.6g %.6g %.6g \"%s\"\n", x->params, M->ftrain[i], M->finfer[i], x->test.mean, lo, hi, label);
    }
    fclose(f);
    sb_figures_quote(path, q1, sizeof q1);
    const sb_rs_run *r0 = &s->runs[s->groups[M->g[0]].run[0]];
    const char *metric = sb_rs_param(r0, "metric");
    snprintf(t, sizeof t, "%s: quality at equal parameters and at equal compute", task);
    sb_figures_quote(t, qt, sizeof qt);
    snprintf(t, sizeof t, "test %s (mean, 95%% CI over seeds)", metric ? metric : "metric");
    sb_figures_quote(t, yl, sizeof yl);
    snprintf(vars, sizeof vars, "data=%s; ttl=%s; ylab=%s; bounded=%d", q1, qt, yl, st[M->g[0]].bounded);
    return sb_figures_draw(fig, "matched.gp", name, vars);
}

int sb_matched_section(sb_doc *d, const sb_runset *s, const sb_gstat *st, sb_figures *fig, const char *task, char *figname,
                       size_t len, int *drawn)
{
    sb_matches M;
    if (drawn) *drawn = 0;
    if (sb_matches_of(s, st, task, SB_MATCH_TOL, &M)) return 0;
    int with_flops = 0;
    for (int i = 0; i < M.n; i++) with_flops += isfinite(M.ftrain[i]) && isfinite(M.finfer[i]);
    if (with_flops < 2) {
        sb_matches_free(&M);
        return 0;
    }
    char anchor[160];
    snprintf(anchor, sizeof anchor, "matched-%s", task);
    sb_doc_heading(d, 2, anchor, "%s: at equal parameters and at equal compute", task);
    sb_doc_para(d, "Each configuration of %s by unique parameters, with its analytic FLOPs per token of a training step and of "
                   "inference (the forward at the run's batch and length, at its test_loops for a looped model). Two "
                   "configurations match in parameters, in training compute or in inference compute when they are within "
                   "%.0f%% of the larger; each matched pair's test metric is compared once, paired by seed (Welch's test where "
                   "seeds do not pair), and the section's %d tests are adjusted together as their own family "
                   "(Benjamini-Hochberg; q above %.2g is a tie; the verdicts of the summary are a separate family). Each match is "
                   "listed with this row's configuration against it: better, worse or tie.",
                task, 100 * SB_MATCH_TOL, M.family, SB_VERDICT_ALPHA);
    static const char *const head[] = { "configuration", "unique params", "train FLOPs/token", "infer FLOPs/token", "test [95% CI]",
                                        "same parameters", "same training compute", "same inference compute" };
    sb_doc_table(d, 8, head, "lrrrrlll");
    for (int i = 0; i < M.n; i++) {
        int g = M.g[i];
        const sb_gstat *x = &st[g];
        char c[8][1024];
        const char *cells[8];
        snprintf(c[0], sizeof c[0], "%s", x->mode);
        sb_fmt_count((long)llround(x->params), c[1], sizeof c[1]);
        sb_fmt_si(M.ftrain[i], c[2], sizeof c[2]);
        sb_fmt_si(M.finfer[i], c[3], sizeof c[3]);
        if (x->test.n == 1) snprintf(c[4], sizeof c[4], "%.3f (1 seed)", x->test.mean);
        else snprintf(c[4], sizeof c[4], "%.3f [%.3f, %.3f]", x->test.mean, x->test.lo, x->test.hi);
        match_list(&M, st, g, SB_MATCH_PARAMS, c[5], sizeof c[5]);
        match_list(&M, st, g, SB_MATCH_TRAIN, c[6], sizeof c[6]);
        match_list(&M, st, g, SB_MATCH_INFER, c[7], sizeof c[7]);
        for (int k = 0; k < 8; k++) cells[k] = c[k];
        sb_doc_row(d, 8, cells);
    }
    sb_doc_table_end(d);
    int sig = 0;
    for (int k = 0; k < M.nm; k++) sig += M.m[k].verdict == SB_V_BETTER || M.m[k].verdict == SB_V_WORSE;
    sb_doc_para(d, "Matched pairs: %d; tested: %d; significantly different after adjustment: %d.", M.nm, M.family, sig);
    snprintf(figname, len, "matched-%s", task);
    int ok = figure(s, st, &M, fig, task, figname) == 0;
    if (drawn) *drawn = ok;
    sb_matches_free(&M);
    return 1;
}
