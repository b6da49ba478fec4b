/*
** report.c: `sharebench report`: a Markdown report and a self-contained HTML
** report of a sweep (or any set of runs): per task, one row per sharing
** configuration with parameters, speed, memory and quality (mean and 95%
** confidence interval over seeds, change against `none` with a paired test
** across seeds); the figures (the gnuplot scripts of plots/); the
** quality-per-parameter frontier; the longest sequence each mode fits in a
** memory budget (the engine's accounting); the claims of bench/claims.txt
** with what the data says about each; the machine and code version.
**
** This file checks the input, reads the runs, computes each configuration's
** statistics (groupstat.c), evaluates the claims, and writes the sections
** (sections.c, with a task's figures from taskfigs.c) into both documents,
** which appear whole or not at all.
*/
#include "report.h"
#include "claims.h"
#include "doc.h"
#include "figures.h"
#include "groupstat.h"
#include "sections.h"
#include "taskfigs.h"
#include "verdicts.h"
#include "results/source.h"
#include "sys/atomicfile.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Paths are cut to fit their buffers when too long (they are checked for
** length first), so GCC's warnings about possible truncation do not apply. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* What the document is made of, computed before it is written. */
typedef struct {
    const sb_runset *s;
    sb_gstat *st;                /* per group */
    const char **tasks;          /* the tasks, in the set's order */
    int ntasks;
    sb_task_figs *figs;          /* per task, drawn with its section */
    const sb_claims *claims;
    sb_claim_status *status;     /* per claim */
    char **evidence;
    int count[4];                /* claims per status */
    int family;                  /* the tests adjusted together */
} contents;

static void contents_free(contents *c)
{
    for (int i = 0; c->evidence && i < c->claims->n; i++) free(c->evidence[i]);
    free(c->evidence);
    free(c->status);
    free(c->figs);
    free(c->tasks);
    free(c->st);
}

/* The statistics of every configuration, the tasks, the claims evaluated. 0, or -1 when out of memory. */
static int contents_of(contents *c, const sb_runset *s, const sb_claims *claims, double budget)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->claims = claims;
    c->st = calloc((size_t)s->ngroups + 1, sizeof *c->st);
    c->tasks = calloc((size_t)s->ngroups + 1, sizeof *c->tasks);
    c->figs = calloc((size_t)s->ngroups + 1, sizeof *c->figs);
    c->status = calloc((size_t)claims->n + 1, sizeof *c->status);
    c->evidence = calloc((size_t)claims->n + 1, sizeof *c->evidence);
    if (!c->st || !c->tasks || !c->figs || !c->status || !c->evidence) return -1;
    for (int g = 0; g < s->ngroups; g++) {
        sb_gstat_of(s, g, budget, &c->st[g]);
        /* groups come by task */
        if (!c->ntasks || strcmp(c->tasks[c->ntasks - 1], s->groups[g].task)) c->tasks[c->ntasks++] = s->groups[g].task;
    }
    if ((c->family = sb_verdicts(s, c->st)) < 0) return -1;
    /* the tasks at chance, whose quality the claims leave out */
    char unlearned[4096] = "";
    for (int g = 0; g < s->ngroups; g++) {
        size_t l = strlen(unlearned), n = strlen(s->groups[g].task);
        char probe[512];
        snprintf(probe, sizeof probe, "%s\n", s->groups[g].task);
        if (c->st[g].learned == 0 && !strstr(unlearned, probe) && l + n + 2 < sizeof unlearned)
            snprintf(unlearned + l, sizeof unlearned - l, "%s", probe);
    }
    for (int i = 0; i < claims->n; i++) {
        char err[512];
        if (!(c->evidence[i] = malloc(4096))) return -1;
        if (sb_claim_evaluate(&claims->claim[i], s, budget, unlearned, &c->status[i], c->evidence[i], 4096, err, sizeof err))
            snprintf(c->evidence[i], 4096, "could not be evaluated: %s", err);
        c->count[c->status[i]]++;
    }
    return 0;
}

/* The table of contents: the sections write_document writes. */
static void toc(sb_doc *d, const contents *c)
{
    int n = 0, cap = c->ntasks + 8;
    const char **ids = calloc((size_t)cap, sizeof *ids), **texts = calloc((size_t)cap, sizeof *texts);
    char (*buf)[2][200] = calloc((size_t)c->ntasks + 1, sizeof *buf);
    if (ids && texts && buf) {
#define ENTRY(i, t) (ids[n] = (i), texts[n++] = (t))
        ENTRY("summary", "Summary");
        ENTRY("across", "Across tasks");
        for (int t = 0; t < c->ntasks; t++) {
            snprintf(buf[t][0], sizeof buf[t][0], "task-%s", c->tasks[t]);
            snprintf(buf[t][1], sizeof buf[t][1], "Task %s", c->tasks[t]);
            ENTRY(buf[t][0], buf[t][1]);
        }
        ENTRY("budget", "Longest sequence within a memory budget");
        ENTRY("claims", "Claims");
        ENTRY("machine", "Machine and code, statistics");
#undef ENTRY
        sb_doc_toc(d, n, ids, texts);
    }
    free(ids);
    free(texts);
    free(buf);
}

static void write_document(sb_doc *d, contents *c, sb_figures *fig, const sb_report_options *o, const char *sweep,
                           const char *title)
{
    sb_doc_begin(d, title);
    sb_section_sources(d, c->s, o->db, sweep);
    toc(d, c);
    /* the summary first: what a reader wants */
    sb_section_summary(d, c->s, c->st, c->tasks, c->ntasks, c->count, c->family);
    sb_section_across(d, c->s, c->st, c->tasks, c->ntasks);
    for (int t = 0; t < c->ntasks; t++) sb_section_task(d, c->s, c->st, fig, c->tasks[t], &c->figs[t]);
    sb_section_budget(d, c->s, c->st, fig, c->tasks[0], o->budget);
    sb_section_claims(d, c->s, c->claims, o->claims_path, c->status, c->evidence, c->tasks, c->figs, c->ntasks, fig);
    sb_section_machine(d, c->s);
    if (fig->failed) sb_doc_para(d, "%d figure(s) could not be drawn: %s", fig->failed, fig->last_error);
    sb_doc_end(d);
}

int sb_report_write(const sb_report_options *o, sb_report_outcome *out, char *err, size_t errlen)
{
    sb_rs_filter flt = o->filter;
    const char *db = o->db, *title = o->title;
    memset(out, 0, sizeof *out);
    /* everything checked before anything is written */
    if (strlen(o->outdir) > 1024 || strlen(o->plotdir) > 1024 || strlen(o->name) > 128) {
        snprintf(err, errlen, "--out, --plots or --name too long");
        return -1;
    }
    sb_claims claims;
    if (sb_claims_load(o->claims_path, &claims, err, errlen)) return -1;
    if (!sb_figures_check(o->plotdir, err, errlen)) {
        sb_claims_free(&claims);
        return -1;
    }
    sb_runset *s = sb_runset_open(db, &flt, err, errlen);
    if (!s) {
        sb_claims_free(&claims);
        return -1;
    }
    if (!s->nruns) {
        sb_runset_free(s);
        sb_claims_free(&claims);
        snprintf(err, errlen, "%s: no runs%s", db, flt.sweep || flt.task ? " match" : "");
        return -1;
    }
    contents c;
    int rc = 0;
    if (contents_of(&c, s, &claims, o->budget)) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
        goto done;
    }
    snprintf(out->figdir, sizeof out->figdir, "%s/%s-figures", o->outdir, o->name);
    snprintf(out->md, sizeof out->md, "%s/%s.md", o->outdir, o->name);
    snprintf(out->html, sizeof out->html, "%s/%s.html", o->outdir, o->name);
    if (sb_mkdir_p(out->figdir)) {
        snprintf(err, errlen, "%s: cannot create: %s", out->figdir, strerror(errno));
        rc = -1;
        goto done;
    }
    if (!flt.sweep) {
        /* name the sweep when all runs share one */
        const char *w = s->runs[0].sweep;
        for (int i = 1; i < s->nruns && w; i++)
            if (strcmp(s->runs[i].sweep, w)) w = NULL;
        if (w && *w) flt.sweep = w;
    }
    char deftitle[256];
    if (!title) {
        snprintf(deftitle, sizeof deftitle, "sharebench report%s%s", flt.sweep ? ": sweep " : "", flt.sweep ? flt.sweep : "");
        title = deftitle;
    }
    sb_figures fig = { o->plotdir, out->figdir, 0, 0, 0, "" };
    char rel[4200];
    snprintf(rel, sizeof rel, "%s-figures", o->name);
    sb_doc_files df;
    if (sb_doc_files_open(&df, out->md, out->html, rel, out->figdir, err, errlen)) rc = -1;
    else {
        write_document(&df.d, &c, &fig, o, flt.sweep, title);
        if (sb_doc_files_commit(&df, err, errlen)) rc = -1;
    }
    out->nruns = s->nruns;
    out->ngroups = s->ngroups;
    out->drawn = fig.drawn;
    out->failed = fig.failed;
    snprintf(out->last_error, sizeof out->last_error, "%s", fig.last_error);
done:
    contents_free(&c);
    sb_runset_free(s);
    sb_claims_free(&claims);
    return rc;
}
