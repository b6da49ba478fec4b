/*
** sections.c: the sections of the report's document (sections.h), each
** written to Markdown and HTML at once through doc.h.
*/
#include "sections.h"
#include "budget.h"
#include "frontier.h"
#include "matched.h"
#include "verdicts.h"
#include "core/model.h"
#include "sys/fmt.h"
#include "sys/machine.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Labels, captions and paths are cut to fit their buffers when too long (the
** directories are checked for length before anything is written), so GCC's
** warnings about possible truncation do not apply here. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* ---- the runs and the machine ---- */

void sb_section_sources(sb_doc *d, const sb_runset *s, const char *db, const char *sweep)
{
    char hi[32] = "";
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
    if (seeds_hi != seeds_lo) snprintf(hi, sizeof hi, " to %d", seeds_hi);
    char timing[96] = "";
    if (s->nspeed) snprintf(timing, sizeof timing, "; and %d timing runs of its speed pass", s->nspeed);
    sb_doc_para(d, "Generated %s by sharebench %s from %s%s%s: %d runs (%d finished, %d diverged, %d failed) of %d configurations, "
                   "%d%s seeds each%s.",
                when, mc.version, db, sweep ? ", sweep " : "", sweep ? sweep : "", s->nruns, fin, div, failed, s->ngroups, seeds_lo,
                hi, timing);
}

void sb_section_machine(sb_doc *d, const sb_runset *s)
{
    char a[512], b[512], threads[32] = "";
    sb_doc_heading(d, 1, "machine", "Machine and code");
    sb_rs_distinct(s, offsetof(sb_rs_run, code_version), a, sizeof a);
    sb_doc_item(d, "code version of the runs: %s", a);
    sb_rs_distinct(s, offsetof(sb_rs_run, cpu), a, sizeof a);
    sb_rs_distinct(s, offsetof(sb_rs_run, host), b, sizeof b);
    sb_doc_item(d, "CPU: %s; host: %s; cores: %d", a, b, s->nruns ? s->runs[0].cores : 0);
    sb_rs_distinct(s, offsetof(sb_rs_run, blas), a, sizeof a);
    sb_doc_item(d, "BLAS: %s", a);
    int tlo = 1 << 30, thi = 0;
    double clo = INFINITY, chi = -INFINITY;
    for (int i = 0; i < s->nruns; i++) {
        if (s->runs[i].threads < tlo) tlo = s->runs[i].threads;
        if (s->runs[i].threads > thi) thi = s->runs[i].threads;
        double x = sb_rs_metric(&s->runs[i], SB_M_CALIB_GFLOPS);
        if (isfinite(x)) { clo = x < clo ? x : clo; chi = x > chi ? x : chi; }
    }
    if (thi != tlo) snprintf(threads, sizeof threads, " to %d", thi);
    sb_doc_item(d, "threads per run: %d%s", tlo, threads);
    if (isfinite(clo))
        sb_doc_item(d, "calibration (OpenBLAS SGEMM 256x256x256, measured in each run): %.1f to %.1f GFLOP/s. Throughputs below are "
                       "raw tokens per second on this machine; divide by the calibration to compare machines.",
                    clo, chi);
    sb_doc_item(d, "statistics: test metrics as the mean over seeds with a 95%% confidence interval; for metrics in [0, 1] "
                   "(accuracy, exact) the interval is Student's t on the logit scale mapped back (Brown, Cai and DasGupta 2001), so it "
                   "stays within the bounds. Changes against none: the mean difference over the seeds run in both, its 95%% t "
                   "interval and the two-sided paired t-test; the frontier's comparisons likewise (Welch's test where seeds cannot "
                   "be paired). Every p-value of the report is adjusted together by Benjamini and Hochberg (1995) and shown as q; "
                   "q > 0.05 is a tie. Above chance: a one-sided t-test of the test mean against the task's chance level, its "
                   "standard error adding the test split's (shared by every seed) to the spread over seeds. Speeds: geometric "
                   "mean with a 95%% interval on the log scale over repetitions: the timing runs of the speed pass where "
                   "there is one, else each seed's run.");
}

/* ---- the summary ---- */

/* A count of parameters, "-" when no finished run measured it. */
static char *fmt_params(char *buf, size_t len, double x)
{
    if (!isfinite(x)) snprintf(buf, len, "-");
    else sb_fmt_count((long)x, buf, len);
    return buf;
}

/* Why a configuration has no result to compare: "diverged at step 6 (3 of 3
** runs)", "diverged at steps 5 to 9 (2 of 3 runs; the rest failed)", "failed
** (3 of 3 runs)". */
static char *fmt_no_result(char *buf, size_t len, const sb_gstat *g, int nrun)
{
    if (g->ndiv && g->div_lo == g->div_hi)
        snprintf(buf, len, "diverged at step %ld (%d of %d runs%s)", g->div_lo, g->ndiv, nrun, g->ndiv < nrun ? "; the rest failed" : "");
    else if (g->ndiv)
        snprintf(buf, len, "diverged at steps %ld to %ld (%d of %d runs%s)", g->div_lo, g->div_hi, g->ndiv, nrun,
                 g->ndiv < nrun ? "; the rest failed" : "");
    else
        snprintf(buf, len, "failed (%d of %d runs)", nrun, nrun);
    return buf;
}

/* "mode (N parameters, test 0.912 [0.90, 0.92])" into buf. */
static void fmt_config(char *buf, size_t len, const sb_gstat *g)
{
    char pc[32];
    if (g->test.n > 1 && isfinite(g->test.lo))
        snprintf(buf, len, "%s (%s parameters, test %.3f [%.3f, %.3f])", g->mode, fmt_params(pc, sizeof pc, g->params), g->test.mean,
                 g->test.lo, g->test.hi);
    else snprintf(buf, len, "%s (%s parameters, test %.3f, 1 seed)", g->mode, fmt_params(pc, sizeof pc, g->params), g->test.mean);
}

/* Append "; item" (or "item" first) to a list of len bytes. */
static void append(char *list, size_t len, const char *item)
{
    size_t l = strlen(list);
    if (l + 3 < len) snprintf(list + l, len - l, "%s%s", l ? "; " : "", item);
}

/* A task's verdict in one item: not learned, or its frontier, ties, dominated and at-chance configurations. */
static void summary_task(sb_doc *d, const sb_runset *s, const sb_gstat *st, const char *task)
{
    int n, *idx = sb_rs_task_groups(s, task, &n), *order = malloc(sizeof *order * (size_t)(n + 1));
    enum { L = 2048 };
    char *lists = calloc(6, L), item[600], why[160];
    if (!idx || !order || !lists || !n) goto done;
    sb_gstat_by_params(st, idx, n, order);
    int best = -1;
    for (int i = 0; i < n; i++) {
        const sb_gstat *g = &st[order[i]];
        if (g->cls == SB_F_NO_RESULT) {
            snprintf(item, sizeof item, "%s (%s)", g->mode,
                     g->nfin ? "no test result" : fmt_no_result(why, sizeof why, g, s->groups[order[i]].nrun));
        } else {
            fmt_config(item, sizeof item, g);
            if (best < 0 || (g->higher ? g->test.mean > st[best].test.mean : g->test.mean < st[best].test.mean)) best = order[i];
            if ((g->cls == SB_F_TIE || g->cls == SB_F_DOMINATED) && g->by >= 0) {
                size_t l = strlen(item);
                snprintf(item + l, sizeof item - l, ", %s %s", g->cls == SB_F_TIE ? "with" : "by", st[g->by].mode);
            }
        }
        append(lists + (size_t)g->cls * L, L, item);
    }
    if (st[idx[0]].learned == 0 && best >= 0) {
        const sb_gstat *b = &st[best];
        const char *metric = sb_rs_param(&s->runs[s->groups[best].run[0]], "metric");
        sb_doc_item(d, "%s: **not learned at this budget**: no configuration's test %s is above the chance level %.3g with "
                       "confidence (best: %s, q = %.2g). None of its configurations is ranked, and its differences are not read as "
                       "effects of sharing%s%s.",
                    task, metric ? metric : "metric", b->chance, b->mode, b->q_chance,
                    lists[SB_F_NO_RESULT * L] ? ". Not compared (no finished run): " : "", lists + SB_F_NO_RESULT * L);
    } else {
        sb_doc_item(d, "%s: on the frontier (significantly better than every configuration with fewer parameters): %s%s%s%s%s%s%s%s%s.",
                    task, lists[SB_F_FRONTIER * L] ? lists + SB_F_FRONTIER * L : "none",
                    lists[SB_F_TIE * L] ? ". Ties (not significantly better than a configuration with fewer parameters): " : "",
                    lists + SB_F_TIE * L,
                    lists[SB_F_DOMINATED * L] ? ". Dominated (a configuration with no more parameters is significantly better): " : "",
                    lists + SB_F_DOMINATED * L, lists[SB_F_CHANCE * L] ? ". At chance (not above it with confidence): " : "",
                    lists + SB_F_CHANCE * L, lists[SB_F_NO_RESULT * L] ? ". Not compared (no finished run): " : "",
                    lists + SB_F_NO_RESULT * L);
    }
done:
    free(idx);
    free(order);
    free(lists);
}

void sb_section_summary(sb_doc *d, const sb_runset *s, const sb_gstat *st, const char *const *tasks, int ntasks,
                        const int count[4], int family)
{
    sb_doc_heading(d, 1, "summary", "Summary");
    int v[4] = { 0 }, notlearned = 0;
    for (int g = 0; g < s->ngroups; g++) v[st[g].v_test]++;
    char nl[1024] = "";
    for (int t = 0; t < ntasks; t++) {
        int n, *idx = sb_rs_task_groups(s, tasks[t], &n);
        if (idx && n && st[idx[0]].learned == 0) {
            append(nl, sizeof nl, tasks[t]);
            notlearned++;
        }
        free(idx);
    }
    sb_doc_para(d, "Every difference below was tested, and the report's %d tests (each configuration against none on test and "
                   "test_long, each against chance, and the comparisons behind the frontier) were adjusted together for multiple "
                   "comparisons (Benjamini-Hochberg, false discovery rate 5%%). A difference that is not significant after this is a "
                   "tie and is not ranked. Test against none: %d better, %d worse, %d ties.",
                family, v[SB_V_BETTER], v[SB_V_WORSE], v[SB_V_TIE]);
    if (notlearned)
        sb_doc_para(d, "Not learned at this budget (no configuration above chance with confidence, so nothing about sharing is "
                       "concluded from them): %s.", nl);
    for (int t = 0; t < ntasks; t++) summary_task(d, s, st, tasks[t]);
    sb_doc_para(d, "Claims (section Claims): %d supported, %d contradicted, %d inconclusive; %d not measured by these runs.", count[1],
                count[2], count[3], count[0]);
}

/* ---- across tasks ---- */

void sb_section_across(sb_doc *d, const sb_runset *s, const sb_gstat *st, const char *const *tasks, int ntasks)
{
    if (ntasks < 1) return;
    sb_doc_heading(d, 1, "across", "Across tasks");
    sb_doc_para(d, "Test quality of each configuration against none on every task: the mean difference over seeds [95%% interval], "
                   "its adjusted p (q, Benjamini-Hochberg over the whole report) and the verdict (better or worse at q <= 0.05, "
                   "else tie). For none itself, its test mean [95%% interval]. A task marked not learned sits at chance under every "
                   "configuration: its column says nothing about sharing.");
    /* the rows: every configuration's label, once, in order of first appearance */
    const char **modes = calloc((size_t)s->ngroups + 1, sizeof *modes);
    const char **head = calloc((size_t)ntasks + 2, sizeof *head);
    char (*hbuf)[160] = calloc((size_t)ntasks + 1, sizeof *hbuf);
    char (*cbuf)[160] = calloc((size_t)ntasks + 2, sizeof *cbuf);
    const char **cells = calloc((size_t)ntasks + 2, sizeof *cells);
    char *align = calloc((size_t)ntasks + 2, 1);
    int nm = 0;
    if (!modes || !head || !hbuf || !cbuf || !cells || !align) goto done;
    for (int g = 0; g < s->ngroups; g++) {
        int k = 0;
        while (k < nm && strcmp(modes[k], st[g].mode)) k++;
        if (k == nm) modes[nm++] = st[g].mode;
    }
    head[0] = "configuration";
    align[0] = 'l';
    for (int t = 0; t < ntasks; t++) {
        int learned = 1;
        for (int g = 0; g < s->ngroups; g++)
            if (!strcmp(s->groups[g].task, tasks[t]) && st[g].learned == 0) learned = 0;
        snprintf(hbuf[t], sizeof hbuf[t], "%s%s", tasks[t], learned ? "" : " (not learned)");
        head[t + 1] = hbuf[t];
        align[t + 1] = 'r';
    }
    sb_doc_table(d, ntasks + 1, head, align);
    for (int k = 0; k < nm; k++) {
        snprintf(cbuf[0], sizeof cbuf[0], "%s", modes[k]);
        for (int t = 0; t < ntasks; t++) {
            int g = -1;
            for (int h = 0; h < s->ngroups && g < 0; h++)
                if (!strcmp(s->groups[h].task, tasks[t]) && !strcmp(st[h].mode, modes[k])) g = h;
            char *c = cbuf[t + 1];
            if (g < 0) snprintf(c, 160, "-");
            else if (!strcmp(s->groups[g].sharing, "none") && st[g].test.n > 1 && isfinite(st[g].test.lo))
                snprintf(c, 160, "%.3f [%.3f, %.3f]", st[g].test.mean, st[g].test.lo, st[g].test.hi);
            else if (!st[g].nfin) snprintf(c, 160, "no finished run");
            else if (!st[g].has_dtest) snprintf(c, 160, "-");
            else snprintf(c, 160, "%+.3f [%+.3f, %+.3f] q=%.2g %s", st[g].dtest.mean, st[g].dtest.lo, st[g].dtest.hi, st[g].q_test,
                          st[g].v_test == SB_V_BETTER ? "better" : st[g].v_test == SB_V_WORSE ? "worse" : "tie");
        }
        for (int i = 0; i <= ntasks; i++) cells[i] = cbuf[i];
        sb_doc_row(d, ntasks + 1, cells);
    }
    sb_doc_table_end(d);
done:
    free(modes);
    free(head);
    free(hbuf);
    free(cbuf);
    free(cells);
    free(align);
}

/* ---- a task ---- */

/* The distinct values of a param over a task's groups, "100 or 50" ("?" when none has it). */
static void distinct_param(const sb_runset *s, const int *idx, int n, const char *key, char *out, size_t len)
{
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        const char *v = sb_rs_param(&s->runs[s->groups[idx[i]].run[0]], key);
        if (!v) continue;
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) {
            const char *w = sb_rs_param(&s->runs[s->groups[idx[j]].run[0]], key);
            seen = w && !strcmp(v, w);
        }
        size_t l = strlen(out);
        if (!seen && l + 8 < len) snprintf(out + l, len - l, "%s%s", l ? " or " : "", v);
    }
    if (!out[0]) snprintf(out, len, "?");
}

static void fmt_ci(char *buf, size_t len, const sb_summary *s)
{
    if (s->n == 0) snprintf(buf, len, "-");
    else if (s->n == 1) snprintf(buf, len, "%.3f (1 seed)", s->mean);
    else snprintf(buf, len, "%.3f [%.3f, %.3f]", s->mean, s->lo, s->hi);
}

/* The verdict's word. */
static const char *verdict_word(int v)
{
    static const char *const w[] = { "", "tie", "better", "worse" };
    return v >= 0 && v < 4 ? w[v] : "";
}

/* "+0.012 [-0.004, +0.028] q=0.41 tie": the change against none with its
** interval, adjusted p and verdict. */
static void fmt_delta(char *buf, size_t len, int has, const sb_ttest *t, double q, int v, int is_none)
{
    if (is_none) snprintf(buf, len, "(reference)");
    else if (!has) snprintf(buf, len, "-");
    else snprintf(buf, len, "%+.3f [%+.3f, %+.3f] q=%.2g %s", t->mean, t->lo, t->hi, q, verdict_word(v));
}

/* A speed: mean [95% CI] over seeds, "-" when not measured, "(contended)"
** after it when every run was slowed by other processes. */
static void fmt_speed(char *buf, size_t len, const sb_summary *x, int contended)
{
    const char *mark = contended ? " (contended)" : "";
    if (!x->n || !isfinite(x->mean)) snprintf(buf, len, "-");
    else if (x->n > 1 && isfinite(x->lo)) snprintf(buf, len, "%.0f [%.0f, %.0f]%s", x->mean, x->lo, x->hi, mark);
    else snprintf(buf, len, "%.0f%s", x->mean, mark);
}

/* Whether any of the configurations idx[0..n) has a speed only from runs other processes slowed. */
static int any_contended(const sb_gstat *st, const int *idx, int n)
{
    for (int i = 0; i < n; i++)
        if (st[idx[i]].contended[0] || st[idx[i]].contended[1]) return 1;
    return 0;
}

/* How many of the configurations idx[0..n) have their speeds from the speed pass. */
static int count_timed(const sb_gstat *st, const int *idx, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++) k += st[idx[i]].timed[0] || st[idx[i]].timed[1];
    return k;
}

/* The table of a task's configurations. */
static void task_table(sb_doc *d, const sb_runset *s, const sb_gstat *st, const int *idx, int n)
{
    static const char *const head[] = { "sharing", "runs", "unique params", "vs none", "train tok/s", "infer tok/s",
                                        "step memory", "peak RSS", "test [95% CI]", "test vs none", "test_long [95% CI]",
                                        "test_long vs none", "frontier" };
    sb_doc_table(d, 13, head, "lrrrrrrrrrrrl");
    for (int i = 0; i < n; i++) {
        const sb_gstat *g = &st[idx[i]];
        char c[13][160];
        const char *cells[13];
        int is_none = !strcmp(s->groups[idx[i]].sharing, "none");
        snprintf(c[0], sizeof c[0], "%s", g->mode);
        snprintf(c[1], sizeof c[1], "%d/%d", g->nfin, s->groups[idx[i]].nrun);
        fmt_params(c[2], sizeof c[2], g->params);
        if (is_none) snprintf(c[3], sizeof c[3], "-");
        else if (g->none >= 0 && st[g->none].params > 0 && isfinite(g->params))
            snprintf(c[3], sizeof c[3], "%.1f%% fewer", 100 * (1 - g->params / st[g->none].params));
        else snprintf(c[3], sizeof c[3], "-");
        fmt_speed(c[4], sizeof c[4], &g->train, g->contended[0]);
        fmt_speed(c[5], sizeof c[5], &g->infer, g->contended[1]);
        if (g->step_bytes > 0) sb_fmt_bytes(g->step_bytes, c[6], sizeof c[6]);
        else snprintf(c[6], sizeof c[6], "-");
        if (isfinite(g->rss)) sb_fmt_bytes(g->rss, c[7], sizeof c[7]);
        else snprintf(c[7], sizeof c[7], "-");
        if (!g->nfin) fmt_no_result(c[8], sizeof c[8], g, s->groups[idx[i]].nrun);
        else fmt_ci(c[8], sizeof c[8], &g->test);
        fmt_delta(c[9], sizeof c[9], g->has_dtest, &g->dtest, g->q_test, g->v_test, is_none);
        fmt_ci(c[10], sizeof c[10], &g->test_long);
        fmt_delta(c[11], sizeof c[11], g->has_dtl, &g->dtl, g->q_tl, g->v_tl, is_none);
        snprintf(c[12], sizeof c[12], "%s%s%s", sb_verdict_class_name(g->cls), g->by >= 0 ? (g->cls == SB_F_TIE ? " with " : " by ") : "",
                 g->by >= 0 ? st[g->by].mode : "");
        for (int k = 0; k < 13; k++) cells[k] = c[k];
        sb_doc_row(d, 13, cells);
    }
    sb_doc_table_end(d);
}

void sb_section_task(sb_doc *d, const sb_runset *s, const sb_gstat *st, sb_figures *fig, const char *task, sb_task_figs *tf)
{
    int n, *idx = sb_rs_task_groups(s, task, &n);
    memset(tf, 0, sizeof *tf);
    if (!idx || !n) {
        free(idx);
        return;
    }
    const sb_rs_run *r0 = &s->runs[s->groups[idx[0]].run[0]];
    const char *metric = sb_rs_param(r0, "metric");
    char anchor[128], batch[128], steps[128], knobs[512];
    distinct_param(s, idx, n, "batch", batch, sizeof batch);
    distinct_param(s, idx, n, "steps", steps, sizeof steps);
    distinct_param(s, idx, n, "task_knobs", knobs, sizeof knobs);
    snprintf(anchor, sizeof anchor, "task-%s", task);
    sb_doc_heading(d, 1, anchor, "Task %s", task);
    sb_doc_para(d, "Headline metric: %s (%s is better); chance level %.3g; knobs %s; batch %s, %s steps. test_long holds longer "
                   "sequences than training (length generalisation).",
                metric ? metric : "?", st[idx[0]].higher ? "higher" : "lower", sb_rs_metric(r0, SB_M_CHANCE), knobs, batch, steps);
    task_table(d, s, st, idx, n);
    int timed = count_timed(st, idx, n);
    char from[400];
    if (timed == n)
        snprintf(from, sizeof from, "the sweep's speed pass: short timing runs, one at a time after the sweep's cells "
                                    "(`sweep --speed-pass`)");
    else if (timed)
        snprintf(from, sizeof from, "the sweep's speed pass (short timing runs, one at a time after the sweep's cells) for "
                                    "%d of these %d configurations, the others from their runs", timed, n);
    else snprintf(from, sizeof from, "the runs (no speed pass: `sweep --speed-pass N` times each configuration alone)");
    sb_doc_para(d, "Step memory: parameters, gradients, AdamW moments, activations and backward scratch of one training step, "
                   "from the engine's accounting; peak RSS as measured (mean over seeds). Sharing shrinks the first three, not "
                   "activations or compute. Speeds (tokens per second, geometric mean [95%% CI] over repetitions) come from %s, "
                   "counting only runs no other process slowed: each run records its contention (CPU time per step against wall "
                   "time, the run queue); %s",
                from,
                any_contended(st, idx, n) ? "\"(contended)\" marks a configuration every run of which was slowed: its speed "
                                            "is shown, not to be compared. `sharebench gate --remeasure` times the training step "
                                            "again one configuration at a time."
                                          : "none of these configurations had every run slowed.");
    sb_task_figures(s, st, fig, task, 0, tf);
    for (int k = 0; k < tf->n; k++) {
        const char *cap = sb_task_fig_caption(tf->kind[k]);
        char id[200], full[600];
        snprintf(id, sizeof id, "fig-%s-%s", tf->kind[k], task);
        snprintf(full, sizeof full, "%s: %s", task, cap);
        sb_doc_figure(d, tf->name[k], id, full);
    }
    if (tf->not_measured[0]) sb_doc_para(d, "Not measured in these runs (no analysis series recorded): %s.", tf->not_measured);
    char cname[200], cid[240], ccap[600];
    int cdrawn;
    if (sb_frontier_section(d, s, fig, task, cname, sizeof cname, &cdrawn)) {
        sb_task_figs_add(tf, "compress", cname, cdrawn);
        snprintf(cid, sizeof cid, "fig-compress-%s", task);
        snprintf(ccap, sizeof ccap, "%s: test quality against bytes on disk for the reference, sharing alone, compression alone and "
                 "both (95%% CI over seeds); the dashed line joins the frontier.", task);
        sb_doc_figure(d, tf->name[tf->n - 1], cid, ccap);
    }
    if (sb_matched_section(d, s, st, fig, task, cname, sizeof cname, &cdrawn)) {
        sb_task_figs_add(tf, "matched", cname, cdrawn);
        snprintf(cid, sizeof cid, "fig-matched-%s", task);
        snprintf(ccap, sizeof ccap, "%s: test quality (95%% CI over seeds) against unique parameters, training FLOPs per token and "
                 "inference FLOPs per token, each configuration labelled.", task);
        sb_doc_figure(d, tf->name[tf->n - 1], cid, ccap);
    }
    free(idx);
}

/* ---- the memory budget ---- */

/* The longest T against the budget, from 4 MiB to 128 GiB, for n configurations at batch B; mark: a budget to mark. */
static int budget_figure(sb_figures *fig, const char *name, const char *title, int n, const sb_config *cfg,
                         const char *const *labels, int B, double mark, const char *marklabel)
{
    char file[300], path[4096], q1[4200], vars[8192], qm[4200], qt[500], ql[300];
    snprintf(file, sizeof file, "%s.dat", name);
    FILE *f = sb_figures_data(fig, file, path, sizeof path);
    if (!f) return -1;
    sb_figures_quote(path, q1, sizeof q1);
    for (int i = 0; i < n; i++) {
        char e[SB_ERR_LEN];
        for (double b = 1048576.0 * 4; b <= 1099511627776.0 / 8; b *= 2) {
            long T = sb_budget_longest(&cfg[i], B, b, SB_BUDGET_MAX_T, e, sizeof e);
            if (T > 0) fprintf(f, "%.6g %ld\n", b / 1048576, T);
            if (T >= SB_BUDGET_MAX_T) break;
        }
        fprintf(f, "\n\n");
    }
    fclose(f);
    sb_figures_words(labels, n, qm, sizeof qm);
    sb_figures_quote(title, qt, sizeof qt);
    sb_figures_quote(marklabel, ql, sizeof ql);
    snprintf(vars, sizeof vars, "data=%s; modes=%s; ttl=%s; mark=%.6g; marklabel=%s", q1, qm, qt, mark / 1048576, ql);
    return sb_figures_draw(fig, "budget.gp", name, vars);
}

/* Every configuration's longest sequence at the budget, against its none's. */
static void budget_table(sb_doc *d, const sb_runset *s, const sb_gstat *st)
{
    static const char *const head[] = { "task", "sharing", "batch", "step memory at the task's length", "longest T", "vs none" };
    sb_doc_table(d, 6, head, "llrrrr");
    for (int g = 0; g < s->ngroups; g++) {
        const sb_gstat *x = &st[g];
        char c[6][96];
        const char *cells[6];
        snprintf(c[0], sizeof c[0], "%s", s->groups[g].task);
        snprintf(c[1], sizeof c[1], "%s", x->mode);
        const char *bs = sb_rs_param(&s->runs[s->groups[g].run[0]], "batch");
        snprintf(c[2], sizeof c[2], "%s", bs ? bs : "?");
        if (x->step_bytes > 0) sb_fmt_bytes(x->step_bytes, c[3], sizeof c[3]);
        else snprintf(c[3], sizeof c[3], "-");
        if (x->longest > 0) snprintf(c[4], sizeof c[4], "%ld%s", x->longest, x->longest >= SB_BUDGET_MAX_T ? "+" : "");
        else snprintf(c[4], sizeof c[4], x->longest == 0 ? "does not fit" : "-");
        if (x->none >= 0 && x->none != g && st[x->none].longest > 0 && x->longest > 0)
            snprintf(c[5], sizeof c[5], "x%.2f", (double)x->longest / (double)st[x->none].longest);
        else snprintf(c[5], sizeof c[5], "-");
        for (int k = 0; k < 6; k++) cells[k] = c[k];
        sb_doc_row(d, 6, cells);
    }
    sb_doc_table_end(d);
}

/* The figure of the first task's models. */
static void budget_runs(sb_doc *d, const sb_runset *s, const sb_gstat *st, sb_figures *fig, const char *task, double budget)
{
    int n, *idx = sb_rs_task_groups(s, task, &n);
    sb_config *cfg = calloc((size_t)n + 1, sizeof *cfg);
    const char **labels = calloc((size_t)n + 1, sizeof *labels);
    int m = 0, B = 8;
    for (int i = 0; idx && cfg && labels && i < n; i++) {
        const sb_rs_run *r = &s->runs[s->groups[idx[i]].run[0]];
        char err[SB_ERR_LEN];
        if (sb_budget_config_of(r, &cfg[m], err, sizeof err)) continue;
        const char *bs = sb_rs_param(r, "batch");
        B = bs ? atoi(bs) : 8;
        labels[m++] = st[idx[i]].mode;
    }
    char title[300];
    snprintf(title, sizeof title, "Longest sequence that fits, %s models (batch %d)", task, B);
    if (m && budget_figure(fig, "budget-runs", title, m, cfg, labels, B, budget, "this report's budget") == 0)
        sb_doc_figure(d, "budget-runs.png", "fig-budget-runs",
                      "The longest training sequence against the memory budget, per sharing mode, for the models of the first task "
                      "(the dashed line is this report's budget).");
    free(idx);
    free(cfg);
    free(labels);
}

/* The 12-layer encoder of the claims: the bert-base preset under ALBERT's sharing modes. */
static void budget_encoder(sb_doc *d, sb_figures *fig)
{
    static const char *const enc_modes[] = { "none", "attn", "ffn", "all" };
    sb_config enc[4];
    int ne = 0;
    for (int i = 0; i < 4; i++) {
        char err[SB_ERR_LEN];
        sb_config_default(&enc[ne]);
        if (!sb_config_preset(&enc[ne], "bert-base", err, sizeof err) && !sb_config_set(&enc[ne], "sharing", enc_modes[i], err, sizeof err))
            ne++;
    }
    if (ne != 4) return;
    static const char *const head[] = { "sharing", "unique params", "step memory at T=512", "longest T in 16 GiB" };
    sb_doc_para(d, "For the claims about a 12-layer encoder: the bert-base preset (12 x 768, post-LN encoder) at batch 8, "
                   "sharing attention, the feed-forward blocks or everything (ALBERT's ablation).");
    sb_doc_table(d, 4, head, "lrrr");
    for (int i = 0; i < 4; i++) {
        long np;
        sb_memory mem;
        char err[SB_ERR_LEN], c[4][64];
        const char *cells[4] = { c[0], c[1], c[2], c[3] };
        snprintf(c[0], sizeof c[0], "%s", enc_modes[i]);
        if (sb_model_plan(&enc[i], 8, 512, 0, &np, &mem, err, sizeof err)) continue;
        sb_fmt_count(np, c[1], sizeof c[1]);
        sb_fmt_bytes((double)(mem.params + mem.grads + mem.optim + mem.acts + mem.scratch), c[2], sizeof c[2]);
        snprintf(c[3], sizeof c[3], "%ld", sb_budget_longest(&enc[i], 8, 16.0 * 1073741824.0, SB_BUDGET_MAX_T, err, sizeof err));
        sb_doc_row(d, 4, cells);
    }
    sb_doc_table_end(d);
    if (budget_figure(fig, "budget-encoder", "Longest sequence that fits: 12-layer encoder (bert-base, batch 8)", 4, enc, enc_modes,
                      8, 16.0 * 1073741824.0, "16 GiB (the claims' budget)") == 0)
        sb_doc_figure(d, "budget-encoder.png", "fig-budget-encoder",
                      "The longest training sequence against the memory budget for the bert-base encoder under ALBERT's "
                      "sharing modes (the dashed line marks 16 GiB).");
}

void sb_section_budget(sb_doc *d, const sb_runset *s, const sb_gstat *st, sb_figures *fig, const char *first_task, double budget)
{
    char bb[32];
    sb_fmt_bytes(budget, bb, sizeof bb);
    sb_doc_heading(d, 1, "budget", "Longest sequence within a memory budget");
    sb_doc_para(d, "The longest sequence T whose training step fits in %s at each run's batch size, from the engine's exact accounting "
                   "(sb_model_plan: parameters, gradients, AdamW moments, activations and backward scratch, with the model given T "
                   "positions), found by binary search (at most %ld).",
                bb, SB_BUDGET_MAX_T);
    budget_table(d, s, st);
    budget_runs(d, s, st, fig, first_task, budget);
}

/* ---- the claims ---- */

/* The figures of a claim's kinds: links to those drawn. */
static void claim_figures(sb_doc *d, const sb_claim *cl, const char *const *tasks, const sb_task_figs *figs, int ntasks,
                          const sb_figures *fig)
{
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
                snprintf(p, sizeof p, "%s/%s.png", fig->outdir, bn[q]);
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
            for (int f = 0; f < figs[t].n; f++)
                if (!strcmp(figs[t].kind[f], k) && figs[t].drawn[f] && nl < 60) {
                    snprintf(nbuf[nl], sizeof nbuf[0], "%s", figs[t].name[f]);
                    snprintf(ibuf[nl], sizeof ibuf[0], "fig-%s-%s", k, tasks[t]);
                    snprintf(tbuf[nl], sizeof tbuf[0], "%s %s", k, tasks[t]);
                    names[nl] = nbuf[nl]; ids[nl] = ibuf[nl]; texts[nl] = tbuf[nl];
                    nl++;
                }
    }
    if (nl) sb_doc_links(d, "Figures", nl, names, ids, texts);
    else if (cl->figures[0]) sb_doc_para(d, "Figures: none drawn for these runs (%s not measured).", cl->figures);
}

/* The scale of the runs, in words: "models of width 64 and 4 layers trained 150 steps ...". */
static void runs_scale(const sb_runset *s, char *out, size_t len)
{
    int *all = malloc(sizeof *all * (size_t)(s->ngroups + 1));
    char w[128] = "?", l[128] = "?", st[128] = "?";
    if (all) {
        for (int g = 0; g < s->ngroups; g++) all[g] = g;
        distinct_param(s, all, s->ngroups, "width", w, sizeof w);
        distinct_param(s, all, s->ngroups, "layers", l, sizeof l);
        distinct_param(s, all, s->ngroups, "steps", st, sizeof st);
    }
    free(all);
    snprintf(out, len, "models of width %s and %s layers trained %s steps on the synthetic tasks of this report", w, l, st);
}

/* One claim in full: the claim's figure, the published one, what was measured, the verdict, the scale. */
static void claim_full(sb_doc *d, const sb_claim *cl, sb_claim_status status, const char *evidence, const char *scale_here,
                       int accounting, const char *const *tasks, const sb_task_figs *figs, int ntasks, const sb_figures *fig)
{
    char id[128];
    snprintf(id, sizeof id, "claim-%s", cl->id);
    sb_doc_heading(d, 2, id, "%s", cl->id);
    sb_doc_para(d, "%s", cl->text);
    sb_doc_item(d, "the claim's figure: %s; source: %s", cl->figure[0] ? cl->figure : "none stated", cl->source[0] ? cl->source : "none given");
    sb_doc_item(d, "published figure: %s", cl->published[0] ? cl->published : "none known to this report");
    sb_doc_item(d, "%s: %s", accounting ? "computed here (engine accounting, exact)" : "measured here", evidence ? evidence : "");
    const char *sname = sb_claim_status_name(status);
    char md[256], html[256];
    snprintf(md, sizeof md, "- verdict: **%s**\n", sname);
    snprintf(html, sizeof html, "<ul><li>verdict: <span class=\"%s\">%s</span></li></ul>\n",
             status == SB_CLAIM_NOT_MEASURED ? "notmeasured" : sname, sname);
    sb_doc_raw(d, md, html);
    if (accounting) sb_doc_item(d, "scale: the model the claim names, from its exact parameter and memory accounting; no training is involved");
    else sb_doc_item(d, "scale: measured on %s%s%s; read the verdict at that scale", scale_here, cl->scale[0] ? ", while the claim concerns " : "",
                     cl->scale);
    claim_figures(d, cl, tasks, figs, ntasks, fig);
}

void sb_section_claims(sb_doc *d, const sb_runset *s, const sb_claims *claims, const char *path, const sb_claim_status *status,
                       char *const *evidence, const char *const *tasks, const sb_task_figs *figs, int ntasks, sb_figures *fig)
{
    char scale[600];
    runs_scale(s, scale, sizeof scale);
    sb_doc_heading(d, 1, "claims", "Claims");
    sb_doc_para(d, "The claims of %s that these runs measure, each with the claim's own figure, the published figure where one "
                   "exists, what was measured here (with its 95%% interval over seeds), the verdict and the scale it holds at. "
                   "Verdicts: supported (every check that could be made supports it), contradicted (a check contradicts it and "
                   "none supports it), inconclusive (mixed, or differences not significant at the 5%% level). Comparisons of "
                   "quality leave out the tasks not learned at this budget (section Summary).",
                path);
    int any = 0;
    for (int i = 0; i < claims->n; i++)
        if (status[i] != SB_CLAIM_NOT_MEASURED && !sb_claim_from_accounting(&claims->claim[i])) {
            claim_full(d, &claims->claim[i], status[i], evidence[i], scale, 0, tasks, figs, ntasks, fig);
            any = 1;
        }
    if (!any) sb_doc_para(d, "None of the claims is measured by these runs.");
    int acc = 0;
    for (int i = 0; i < claims->n; i++)
        if (status[i] != SB_CLAIM_NOT_MEASURED && sb_claim_from_accounting(&claims->claim[i])) {
            if (!acc++) {
                sb_doc_heading(d, 2, "claims-accounting", "Claims about a named model, from the engine's accounting");
                sb_doc_para(d, "These need no training: the engine counts the parameters and the memory of a training step of the "
                               "model the claim names exactly. They hold whatever these runs are.");
            }
            claim_full(d, &claims->claim[i], status[i], evidence[i], scale, 1, tasks, figs, ntasks, fig);
        }
    if (acc) budget_encoder(d, fig);
    char list[8192] = "";
    for (int i = 0; i < claims->n; i++) {
        if (status[i] != SB_CLAIM_NOT_MEASURED) continue;
        /* the first sentence of why, without its lead ("Not measured: it needs ..." reads "it needs ...") */
        const char *why = evidence[i] && *evidence[i] ? evidence[i] : "no check applies.";
        if (!strncmp(why, "Not measured: ", 14)) why += 14;
        else if (!strncmp(why, "Not measurable here: ", 21)) why += 21;
        size_t wl = strcspn(why, "\n");
        const char *stop = strstr(why, ". ");
        if (stop && (size_t)(stop - why) < wl) wl = (size_t)(stop - why);
        while (wl && why[wl - 1] == '.') wl--;
        char item[1200];
        snprintf(item, sizeof item, "%s (%.*s)", claims->claim[i].id, (int)(wl < 1000 ? wl : 1000), why);
        append(list, sizeof list, item);
    }
    if (list[0]) sb_doc_para(d, "Not measured by these runs: %s.", list);
}
