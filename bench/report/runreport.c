/*
** runreport.c: the report of one run (runreport.h). The run is made a set of
** one configuration of one run, so the task report's figures (taskfigs.c)
** draw it unchanged.
*/
#include "runreport.h"
#include "budget.h"
#include "doc.h"
#include "figures.h"
#include "groupstat.h"
#include "taskfigs.h"
#include "core/sharing.h"
#include "results/source.h"
#include "sys/atomicfile.h"
#include "sys/fmt.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Paths and cells are cut to their buffers when too long (paths are checked
** for length first), so truncation warnings do not apply. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static void fmt_value(char *buf, size_t len, double v, double se)
{
    if (!isfinite(v)) snprintf(buf, len, "-");
    else if (isfinite(se)) snprintf(buf, len, "%.4f ± %.4f", v, se);
    else snprintf(buf, len, "%.4g", v);
}

static void results(sb_doc *d, const sb_rs_run *r)
{
    const char *metric = sb_rs_param(r, "metric");
    sb_doc_heading(d, 1, "results", "Results");
    sb_doc_para(d, "The headline metric is %s; ± is the standard error over the split's examples (this run's sampling error on "
                   "its test items; the spread over seeds needs the comparison report). Chance level %.3g.",
                metric ? metric : "?", sb_rs_metric(r, SB_M_CHANCE));
    static const char *const head[] = { "split", "metric ± standard error", "loss (nats per scored token)" };
    static const struct {
        const char *name;
        sb_metric_id v, se, loss;
    } rows[] = {
        { "valid", SB_M_VALID, SB_M_VALID_STDERR, SB_M_VALID_LOSS },
        { "test", SB_M_TEST, SB_M_TEST_STDERR, SB_M_TEST_LOSS },
        { "test_long", SB_M_TEST_LONG, SB_M_TEST_LONG_STDERR, SB_M_TEST_LONG_LOSS },
    };
    sb_doc_table(d, 3, head, "lrr");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char c[3][96];
        const char *cells[3] = { c[0], c[1], c[2] };
        snprintf(c[0], sizeof c[0], "%s", rows[i].name);
        fmt_value(c[1], sizeof c[1], sb_rs_metric(r, rows[i].v), sb_rs_metric(r, rows[i].se));
        fmt_value(c[2], sizeof c[2], sb_rs_metric(r, rows[i].loss), NAN);
        sb_doc_row(d, 3, cells);
    }
    sb_doc_table_end(d);
}

static void sharing_and_memory(sb_doc *d, const sb_rs_run *r)
{
    sb_config c;
    sb_sharing sh;
    char err[SB_ERR_LEN], maps[2048], a[64], b[64];
    sb_doc_heading(d, 1, "sharing", "Sharing, parameters and memory");
    /* untie_by=grad or heads: the map applied, with the depths its measurements chose */
    const char *applied = sb_rs_param(r, "sharing_applied"), *depths = sb_rs_param(r, "untie_depths");
    int config_ok = !sb_budget_config_of(r, &c, err, sizeof err);
    if (config_ok && applied) snprintf(c.sharing, sizeof c.sharing, "%s", applied);
    if (!config_ok || sb_sharing_resolve(&c, &sh, err, sizeof err))
        sb_doc_para(d, "The sharing maps cannot be rebuilt from the run's keys: %s.", err);
    else {
        sb_sharing_describe(&sh, maps, sizeof maps);
        if (applied && depths)
            sb_doc_para(d, "Sharing '%s' with untie_by=%s: depths %s untied, as '%s' over %d layers: the block each depth uses, per "
                        "sublayer.", r->sharing, sb_rs_param(r, "untie_by") ? sb_rs_param(r, "untie_by") : "?", depths, c.sharing, c.layers);
        else
            sb_doc_para(d, "Sharing '%s' over %d layers: the block each depth uses, per sublayer.", c.sharing, c.layers);
        char *save = NULL;
        for (char *line = strtok_r(maps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) sb_doc_item(d, "%s", line);
    }
    double pu = sb_rs_metric(r, SB_M_PARAMS_UNIQUE), pe = sb_rs_metric(r, SB_M_PARAMS_EVERY_DEPTH);
    if (isfinite(pu) && isfinite(pe)) {
        sb_fmt_count((long)pu, a, sizeof a);
        sb_fmt_count((long)pe, b, sizeof b);
        sb_doc_para(d, "Parameters: %s unique, %s counting every depth's use of a shared block (%.1f%% fewer).", a, b,
                    pe > 0 ? 100 * (1 - pu / pe) : NAN);
    }
    static const char *const head[] = { "memory of one training step", "bytes" };
    static const struct {
        const char *name;
        sb_metric_id id;
    } parts[] = { { "parameters", SB_M_BYTES_PARAMS },   { "gradients", SB_M_BYTES_GRADS },
                  { "AdamW moments", SB_M_BYTES_OPTIM }, { "activations", SB_M_BYTES_ACTS },
                  { "backward scratch", SB_M_BYTES_SCRATCH }, { "peak RSS (measured)", SB_M_PEAK_RSS_BYTES } };
    sb_doc_table(d, 2, head, "lr");
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char v[64];
        const char *cells[2] = { parts[i].name, v };
        double x = sb_rs_metric(r, parts[i].id);
        if (isfinite(x)) sb_fmt_bytes(x, v, sizeof v);
        else snprintf(v, sizeof v, "-");
        sb_doc_row(d, 2, cells);
    }
    sb_doc_table_end(d);
    double tps = sb_rs_metric(r, SB_M_TRAIN_TOKENS_PER_S), ips = sb_rs_metric(r, SB_M_INFER_TOKENS_PER_S);
    if (isfinite(tps))
        sb_doc_para(d, "Speed: %.0f tokens/s training, %.0f tokens/s inference, on a machine calibrated at %.1f GFLOP/s in this run "
                       "(one measurement: no interval).",
                    tps, isfinite(ips) ? ips : NAN, sb_rs_metric(r, SB_M_CALIB_GFLOPS));
}

static void keys(sb_doc *d, const sb_rs_run *r)
{
    sb_doc_heading(d, 1, "keys", "Every key of the run");
    static const char *const head[] = { "key", "value" };
    sb_doc_table(d, 2, head, "ll");
    for (int i = 0; i < r->nparams; i++) {
        const char *cells[2] = { r->pkey[i], r->pval[i] };
        sb_doc_row(d, 2, cells);
    }
    sb_doc_table_end(d);
}

static void write_document(sb_doc *d, const sb_runset *one, const sb_gstat *st, sb_figures *fig, const sb_report_options *o)
{
    const sb_rs_run *r = &one->runs[one->groups[0].run[0]];
    char title[512];
    snprintf(title, sizeof title, "sharebench run %ld: %s, sharing %s, seed %ld", r->id, r->task, r->sharing, r->seed);
    sb_doc_begin(d, title);
    int has_error = r->error && *r->error;
    sb_doc_para(d, "From %s: status %s%s%s%s; sweep %s; code version %s; host %s (%s, %d cores, %d threads); started %s, ended %s.",
                o->db, r->status, has_error ? " (" : "", has_error ? r->error : "", has_error ? ")" : "", *r->sweep ? r->sweep : "none",
                r->code_version, r->host, r->cpu, r->cores, r->threads, r->started, r->ended);
    static const char *const ids[] = { "results", "sharing", "figures", "keys" };
    static const char *const texts[] = { "Results", "Sharing, parameters and memory", "Curves and per-depth analyses",
                                         "Every key of the run" };
    sb_doc_toc(d, 4, ids, texts);
    results(d, r);
    sharing_and_memory(d, r);
    sb_doc_heading(d, 1, "figures", "Curves and per-depth analyses");
    sb_task_figs tf;
    sb_task_figures(one, st, fig, r->task, 1, &tf);
    for (int k = 0; k < tf.n; k++) {
        char id[200], cap[800];
        snprintf(id, sizeof id, "fig-%s", tf.kind[k]);
        snprintf(cap, sizeof cap, "Run %ld: %s%s", r->id, sb_task_fig_caption(tf.kind[k]),
                 strcmp(tf.kind[k], "curves") ? "" : " One run: the band is empty.");
        sb_doc_figure(d, tf.name[k], id, cap);
    }
    if (tf.not_measured[0]) sb_doc_para(d, "Not measured in this run (no analysis series recorded): %s.", tf.not_measured);
    keys(d, r);
    if (fig->failed) sb_doc_para(d, "%d figure(s) could not be drawn: %s", fig->failed, fig->last_error);
    sb_doc_end(d);
}

int sb_report_run_write(const sb_report_options *o, long id, sb_report_outcome *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (strlen(o->outdir) > 1024 || strlen(o->plotdir) > 1024 || strlen(o->name) > 128) {
        snprintf(err, errlen, "--out, --plots or --name too long");
        return -1;
    }
    if (!sb_figures_check(o->plotdir, err, errlen)) return -1;
    sb_rs_filter all = { NULL, NULL, NULL };
    sb_runset *s = sb_runset_open(o->db, &all, err, errlen);
    if (!s) return -1;
    int ri = -1;
    for (int i = 0; i < s->nruns && ri < 0; i++)
        if (s->runs[i].id == id) ri = i;
    for (int i = 0; i < s->nspeed && ri < 0; i++)
        if (s->speed[i].id == id) {
            snprintf(err, errlen, "--run %ld: a timing run of a speed pass (it times the configuration of cell %s, whose runs "
                                  "have reports of their own)", id, sb_rs_param(&s->speed[i], "speed_of"));
            sb_runset_free(s);
            return -1;
        }
    if (ri < 0) {
        snprintf(err, errlen, "--run %ld: no such run in %s ('sharebench list' shows their ids; a run superseded by a later run "
                              "of its cell is not read)", id, o->db);
        sb_runset_free(s);
        return -1;
    }
    /* the run as a set of one configuration of one run */
    sb_rs_group g = s->groups[s->runs[ri].group];
    g.run = &ri;
    g.nrun = 1;
    g.ntiming = 0;   /* its own speed, not its configuration's speed pass */
    sb_runset one = *s;
    one.groups = &g;
    one.ngroups = 1;
    sb_gstat st;
    sb_gstat_of(&one, 0, 1073741824.0, &st);
    int rc = 0;
    snprintf(out->figdir, sizeof out->figdir, "%s/%s-figures", o->outdir, o->name);
    snprintf(out->md, sizeof out->md, "%s/%s.md", o->outdir, o->name);
    snprintf(out->html, sizeof out->html, "%s/%s.html", o->outdir, o->name);
    if (sb_mkdir_p(out->figdir)) {
        snprintf(err, errlen, "%s: cannot create: %s", out->figdir, strerror(errno));
        sb_runset_free(s);
        return -1;
    }
    sb_figures fig = { o->plotdir, out->figdir, 0, 0, 0, "" };
    char rel[4200];
    snprintf(rel, sizeof rel, "%s-figures", o->name);
    sb_doc_files df;
    if (sb_doc_files_open(&df, out->md, out->html, rel, out->figdir, err, errlen)) rc = -1;
    else {
        write_document(&df.d, &one, &st, &fig, o);
        if (sb_doc_files_commit(&df, err, errlen)) rc = -1;
    }
    out->nruns = 1;
    out->ngroups = 1;
    out->drawn = fig.drawn;
    out->failed = fig.failed;
    snprintf(out->last_error, sizeof out->last_error, "%s", fig.last_error);
    sb_runset_free(s);
    return rc;
}
