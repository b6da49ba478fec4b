/*
** frontier.c: sharing against compression on the quality-per-byte frontier
** (frontier.h), a section of `sharebench report` per task.
*/
#include "frontier.h"
#include "verdicts.h"
#include "stats/bounded.h"
#include "stats/multiple.h"
#include "stats/stats.h"
#include "stats/welch.h"
#include "sys/fmt.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names and captions are cut to their buffers when too long (directories are
** checked for length by the report first), so truncation warnings do not apply. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

enum { K_REFERENCE, K_SHARING, K_COMPRESSION, K_BOTH };
static const char *const kind_names[] = { "reference", "sharing alone", "compression alone", "sharing and compression" };

/* Keys that make a configuration shared or compressed: left out when finding its reference. */
static const char *const varied[] = { "sharing", "sharing_attn", "sharing_ffn", "factor", "factor_mats", "factor_init", "als_iters",
                                      "prune", "sparsity", "prune_start", "prune_end", "prune_every", "l1", "l1_threshold",
                                      "finetune_steps", "quant", "quant_act", "quant_batches", "teacher", "distill_temp",
                                      "distill_alpha", NULL };

static const char *param(const sb_rs_run *r, const char *key, const char *def)
{
    const char *v = sb_rs_param(r, key);
    return v ? v : def;
}

int sb_frontier_compressed(const sb_rs_run *r)
{
    return strcmp(param(r, "quant", "none"), "none") || strcmp(param(r, "prune", "none"), "none") ||
           strcmp(param(r, "factor", "0"), "0") || strcmp(param(r, "teacher", "none"), "none");
}

static int shared(const sb_rs_run *r)
{
    const char *a = param(r, "sharing_attn", ""), *f = param(r, "sharing_ffn", "");
    return strcmp(param(r, "sharing", "none"), "none") || (*a && strcmp(a, "none")) || (*f && strcmp(f, "none"));
}

static int is_varied(const char *line)
{
    for (int i = 0; varied[i]; i++) {
        size_t n = strlen(varied[i]);
        if (!strncmp(line, varied[i], n) && line[n] == '=') return 1;
    }
    return 0;
}

/* Two configurations equal in everything but sharing and compression. */
static int same_but_varied(const char *x, const char *y)
{
    for (;;) {
        while (*x && is_varied(x)) x = strchr(x, '\n') + 1;
        while (*y && is_varied(y)) y = strchr(y, '\n') + 1;
        if (!*x || !*y) return !*x && !*y;
        size_t lx = strcspn(x, "\n"), ly = strcspn(y, "\n");
        if (lx != ly || strncmp(x, y, lx)) return 0;
        x += lx + 1;
        y += ly + 1;
    }
}

typedef struct {
    int g, kind, ref, nfin, has_delta;
    sb_summary test;
    double disk, memory, sparsity, int8_delta;
    sb_ttest delta;            /* test against the reference */
    double q_delta;            /* its p adjusted over the section */
    int cheaper, has_cheaper;  /* the best smaller configuration by mean, -1 */
    sb_ttest vs_cheaper;       /* test against it */
    double q_cheaper;
    int front;
    char mode[200];
} row;

static int before(const row *a, const row *b, int higher)
{
    if (a->disk != b->disk) return a->disk < b->disk;
    return higher ? a->test.mean > b->test.mean : a->test.mean < b->test.mean;
}

static void num(char *out, size_t len, double v, const char *f)
{
    if (isfinite(v)) snprintf(out, len, f, v);
    else snprintf(out, len, "-");
}

int sb_frontier_section(sb_doc *d, const sb_runset *s, sb_figures *fig, const char *task, char *figname, size_t len, int *drawn)
{
    int n = 0, any = 0, higher = 1;
    if (drawn) *drawn = 0;
    row *rows = calloc((size_t)s->ngroups + 1, sizeof *rows);
    if (!rows) return 0;
    for (int g = 0; g < s->ngroups; g++) {
        const sb_rs_group *G = &s->groups[g];
        if (strcmp(G->task, task) || !G->nrun) continue;
        const sb_rs_run *r0 = &s->runs[G->run[0]];
        row *w = &rows[n++];
        double t[256];
        int nt = 0;
        w->g = g;
        w->kind = (shared(r0) ? 1 : 0) + (sb_frontier_compressed(r0) ? 2 : 0);
        any |= w->kind >= K_COMPRESSION;
        for (int k = 0; k < G->nrun && nt < 256; k++) {
            const sb_rs_run *r = &s->runs[G->run[k]];
            if (!sb_rs_finished(r)) continue;
            w->nfin++;
            if (isfinite(sb_rs_metric(r, SB_M_TEST))) t[nt++] = sb_rs_metric(r, SB_M_TEST);
            higher = sb_rs_higher_is_better(r);
        }
        const char *metric = sb_rs_param(r0, "metric"), *te = sb_rs_param(r0, "test_examples");
        double ex = te ? atof(te) : 0;
        /* accuracies: the logit interval, inside [0, 1] (as the task tables) */
        if (!(metric && (!strcmp(metric, "accuracy") || !strcmp(metric, "exact")) &&
              !sb_stats_logit_summary(t, nt, 0.95, ex >= 2 ? 0.5 / ex : 1e-3, &w->test)))
            sb_stats_summary(t, nt, 0.95, &w->test);
        w->disk = sb_rs_group_mean(s, G, SB_M_BYTES_DISK);
        w->memory = sb_rs_group_mean(s, G, SB_M_BYTES_MEMORY);
        w->sparsity = sb_rs_group_mean(s, G, SB_M_SPARSITY);
        w->int8_delta = sb_rs_group_mean(s, G, SB_M_QUANT_DELTA);
        size_t tl = strlen(task);
        snprintf(w->mode, sizeof w->mode, "%s", !strncmp(G->label, task, tl) && G->label[tl] == ' ' ? G->label + tl + 1 : G->label);
    }
    if (!any) { free(rows); return 0; }
    for (int i = 0; i < n; i++) {
        rows[i].ref = -1;
        for (int j = 0; j < n && rows[i].ref < 0; j++)
            if (rows[j].kind == K_REFERENCE && same_but_varied(s->groups[rows[j].g].config, s->groups[rows[i].g].config)) rows[i].ref = j;
        if (rows[i].ref >= 0 && rows[i].ref != i)
            rows[i].has_delta = !sb_verdict_compare(s, rows[rows[i].ref].g, rows[i].g, &rows[i].delta);
    }
    /* the frontier: by bytes on disk, each better than every smaller one */
    int *order = malloc(sizeof *order * (size_t)(n + 1));
    if (!order) { free(rows); return 0; }
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = 1; i < n; i++)   /* by size; at equal size the better first, so the worse is dominated */
        for (int j = i; j > 0 && before(&rows[order[j]], &rows[order[j - 1]], higher); j--) {
            int x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
    /* the frontier: each configuration against the best smaller one (by
    ** mean), all tests of the section adjusted together by Benjamini-Hochberg;
    ** on it when significantly better than that one, or when none is smaller */
    double *p = malloc(sizeof *p * (size_t)(2 * n + 1));
    double **q = malloc(sizeof *q * (size_t)(2 * n + 1));
    int np = 0;
    for (int i = 0; p && q && i < n; i++) {
        row *w = &rows[i];
        w->cheaper = -1;
        w->q_delta = w->q_cheaper = NAN;
        for (int j = 0; j < n; j++)
            if (j != i && isfinite(rows[j].disk) && isfinite(rows[j].test.mean) && rows[j].disk < w->disk &&
                (w->cheaper < 0 || (higher ? rows[j].test.mean > rows[w->cheaper].test.mean : rows[j].test.mean < rows[w->cheaper].test.mean)))
                w->cheaper = j;
        if (w->cheaper >= 0 && isfinite(w->test.mean))
            w->has_cheaper = !sb_verdict_compare(s, rows[w->cheaper].g, w->g, &w->vs_cheaper);
        if (w->has_delta) { p[np] = w->delta.p_two; q[np++] = &w->q_delta; }
        if (w->has_cheaper) { p[np] = w->vs_cheaper.p_two; q[np++] = &w->q_cheaper; }
    }
    if (p && q && sb_stats_bh(p, np, p) >= 0)
        for (int k = 0; k < np; k++) *q[k] = p[k];
    free(p);
    free(q);
    for (int i = 0; i < n; i++) {
        row *w = &rows[i];
        w->front = isfinite(w->disk) && isfinite(w->test.mean) &&
                   (w->cheaper < 0 || (w->has_cheaper && sb_verdict_of(&w->vs_cheaper, w->q_cheaper, higher) == SB_V_BETTER));
    }

    char anchor[160];
    snprintf(anchor, sizeof anchor, "compress-%s", task);
    sb_doc_heading(d, 2, anchor, "%s: sharing and compression, quality per byte", task);
    sb_doc_para(d, "Each configuration of %s classed as the reference (no sharing, no compression), sharing alone, compression alone "
                   "(factor:R, pruning, int8, distillation) or both. On disk: the compressed checkpoint each run wrote (int8 codes "
                   "with their scales, sparse matrices as a bitmask and their nonzero values, whichever is smaller, the rest in "
                   "float); in memory: the weights inference holds (int8 codes, scales and the float rest; pruned matrices are "
                   "held dense: there is no sparse kernel). The change is against the reference with the same other keys, paired by "
                   "seed (Welch's test where seeds do not pair), with its 95%% interval and its p adjusted together with the "
                   "section's other tests (Benjamini-Hochberg, shown as q; above 0.05 a tie). Frontier: significantly better "
                   "than the best smaller configuration, or the smallest.",
                task);
    static const char *const head[] = { "configuration", "kind", "runs", "on disk", "in memory", "size vs reference",
                                        "test [95% CI]", "test vs reference", "int8 change", "sparsity", "frontier" };
    sb_doc_table(d, 11, head, "llrrrrrrrrl");
    for (int k = 0; k < n; k++) {
        const row *w = &rows[order[k]];
        char c[11][200];
        const char *cells[11];
        snprintf(c[0], sizeof c[0], "%s", w->mode);
        snprintf(c[1], sizeof c[1], "%s", kind_names[w->kind]);
        snprintf(c[2], sizeof c[2], "%d/%d", w->nfin, s->groups[w->g].nrun);
        if (isfinite(w->disk)) sb_fmt_bytes(w->disk, c[3], sizeof c[3]); else snprintf(c[3], sizeof c[3], "-");
        if (isfinite(w->memory)) sb_fmt_bytes(w->memory, c[4], sizeof c[4]); else snprintf(c[4], sizeof c[4], "-");
        if (w->ref >= 0 && w->ref != order[k] && rows[w->ref].disk > 0) num(c[5], sizeof c[5], w->disk / rows[w->ref].disk, "x%.3f");
        else snprintf(c[5], sizeof c[5], w->ref == order[k] ? "(reference)" : "-");
        if (w->test.n == 0) snprintf(c[6], sizeof c[6], "-");
        else if (w->test.n == 1) snprintf(c[6], sizeof c[6], "%.3f (1 seed)", w->test.mean);
        else snprintf(c[6], sizeof c[6], "%.3f [%.3f, %.3f]", w->test.mean, w->test.lo, w->test.hi);
        if (w->has_delta) {
            int v = sb_verdict_of(&w->delta, w->q_delta, higher);
            snprintf(c[7], sizeof c[7], "%+.3f [%+.3f, %+.3f] q=%.2g %s", w->delta.mean, w->delta.lo, w->delta.hi, w->q_delta,
                     v == SB_V_BETTER ? "better" : v == SB_V_WORSE ? "worse" : "tie");
        } else snprintf(c[7], sizeof c[7], "-");
        num(c[8], sizeof c[8], w->int8_delta, "%+.4f");
        num(c[9], sizeof c[9], w->sparsity, "%.3f");
        if (w->front) snprintf(c[10], sizeof c[10], "yes");
        else if (w->has_cheaper && isfinite(w->q_cheaper))
            snprintf(c[10], sizeof c[10], "%s %s",
                     sb_verdict_of(&w->vs_cheaper, w->q_cheaper, higher) == SB_V_WORSE ? "dominated by" : "tie with", rows[w->cheaper].mode);
        else c[10][0] = 0;
        for (int i = 0; i < 11; i++) cells[i] = c[i];
        sb_doc_row(d, 11, cells);
    }
    sb_doc_table_end(d);
    /* in words: the frontier, and per kind the best configuration within the reference's size */
    char line[4096] = "";
    size_t o = 0;
    for (int k = 0; k < n && o < sizeof line; k++) {
        const row *w = &rows[order[k]];
        char b[32];
        if (!w->front) continue;
        sb_fmt_bytes(w->disk, b, sizeof b);
        o += (size_t)snprintf(line + o, sizeof line - o, "%s%s (%s, %s, test %.3f)", o ? "; " : "", w->mode, kind_names[w->kind], b, w->test.mean);
    }
    sb_doc_para(d, "Frontier of %s, smallest first: %s.", task, line[0] ? line : "none (no bytes on disk recorded)");
    int count[4] = { 0 };
    for (int k = 0; k < n; k++) count[rows[k].kind] += rows[k].front;
    sb_doc_para(d, "Frontier points by kind: reference %d, sharing alone %d, compression alone %d, sharing and compression %d.", count[0],
                count[1], count[2], count[3]);

    /* the figure */
    char path[4096], file[300], q1[4200], q2[4200], vars[9000], t[400], qt[500], yl[300];
    snprintf(figname, len, "compress-%s", task);
    snprintf(file, sizeof file, "%s.dat", figname);
    FILE *f = sb_figures_data(fig, file, path, sizeof path);
    if (f) {
        sb_figures_quote(path, q1, sizeof q1);
        for (int k = 0; k < n; k++) {
            const row *w = &rows[order[k]];
            if (!isfinite(w->disk) || !isfinite(w->test.mean)) continue;
            double lo = w->test.n > 1 ? w->test.lo : w->test.mean, hi = w->test.n > 1 ? w->test.hi : w->test.mean;
            fprintf(f, "%.6g %.6g %.6g %.6g %d\n", w->disk / 1024, w->test.mean, lo, hi, w->kind);
        }
        fclose(f);
        snprintf(file, sizeof file, "%s-front.dat", figname);
        FILE *ff = sb_figures_data(fig, file, path, sizeof path);
        if (ff) {
            sb_figures_quote(path, q2, sizeof q2);
            for (int k = 0; k < n; k++)
                if (rows[order[k]].front) fprintf(ff, "%.6g %.6g\n", rows[order[k]].disk / 1024, rows[order[k]].test.mean);
            fclose(ff);
            const sb_rs_run *r0 = &s->runs[s->groups[rows[0].g].run[0]];
            const char *metric = sb_rs_param(r0, "metric");
            snprintf(t, sizeof t, "%s: quality against bytes on disk, sharing and compression", task);
            sb_figures_quote(t, qt, sizeof qt);
            snprintf(t, sizeof t, "test %s (mean, 95%% CI over seeds)", metric ? metric : "metric");
            sb_figures_quote(t, yl, sizeof yl);
            double chance = sb_rs_metric(r0, SB_M_CHANCE);
            snprintf(vars, sizeof vars, "data=%s; front=%s; ttl=%s; ylab=%s; chance=%s", q1, q2, qt, yl,
                     isfinite(chance) ? (snprintf(t, sizeof t, "%.6g", chance), t) : "NaN");
            int ok = sb_figures_draw(fig, "compress.gp", figname, vars) == 0;
            if (drawn) *drawn = ok;
        }
    }
    free(order);
    free(rows);
    return 1;
}
