/*
** gate.c: `sharebench gate`: a candidate's runs against a baseline (gate/gate.h
** decides; this file reads the options, opens both sides, re-measures the
** training step when asked, and writes the table).
*/
#include "commands.h"
#include "cli/cli.h"
#include "gate/gate.h"
#include "gate/tables.h"
#include "gate/ci.h"
#include "results/source.h"
#include "run/runner.h"
#include "sys/machine.h"
#include "sys/atomicfile.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench gate --baseline FILE [--db FILE] [--sweep NAME] [--markdown FILE] [--json FILE]\n"
            "                       [--junit FILE] [--github] [--remeasure N]\n"
            "                       [--metrics LIST] [--tolerance test=X] [--tolerance test_long=X]\n"
            "                       [--speed-factor F] [--memory-factor F] [--alpha A]\n"
            "                       [--min-seeds N] [--min-runs N] [--warmup N] [--normalise calib|none]\n\n"
            "Compare a candidate's runs with a baseline's, configuration by configuration and\n"
            "seed by seed, and print a Markdown table with one mark per metric: worse, better,\n"
            "unchanged, within tolerance, not significant, newly failing, not measurable here,\n"
            "too few repetitions, missing.\n\n"
            "  quality (test, test_long): the mean change across seeds against the tolerance,\n"
            "    a paired t-test across seeds (at least 3 seeds);\n"
            "  timing (train_step_ms: one value a run, the median of its uncontended steps;\n"
            "    infer_tokens_per_s, decode_tokens_per_s): the ratio over runs against the\n"
            "    factor, Welch's t-test on the logarithms (at least 3 clean runs a side), after\n"
            "    normalising by each run's calibration (calib_gflops); runs other processes\n"
            "    slowed are left out, and with too few clean runs the mark is not measurable here;\n"
            "  measured memory (peak_rss_bytes): as timing, against the memory factor;\n"
            "  exact (train_bytes, params_unique, kv_cache_bytes): as numbers, any number of seeds.\n"
            "  Beyond the tolerance, a one-sided test of a change (worse, better or not\n"
            "  significant); inside, an equivalence test (unchanged or within tolerance); all\n"
            "  the run's p-values adjusted together by Holm's method.\n\n"
            "  --baseline FILE      a baseline (results/baseline/*.csv, from sharebench baseline) or a database\n"
            "  --db FILE            the candidate: a database (default " SB_DEFAULT_DB ") or a baseline file\n"
            "  --sweep NAME         the candidate's runs of sweep NAME (default: the baseline's sweep)\n"
            "  --markdown FILE      write the table there (default: standard output)\n"
            "  --json FILE          write the same data as JSON\n"
            "  --junit FILE         write JUnit XML: a test case per configuration and metric, worse\n"
            "                       and newly failing rows failures, incomparable ones errors\n"
            "  --github             GitHub Actions: an ::error annotation per worse row (::warning per\n"
            "                       incomparable one) on standard output, and the Markdown table\n"
            "                       appended to $GITHUB_STEP_SUMMARY when that is set\n"
            "  --metrics LIST       gate only these (default: test,test_long,train_step_ms,infer_tokens_per_s,\n"
            "                       decode_tokens_per_s,train_bytes,params_unique,kv_cache_bytes,peak_rss_bytes)\n"
            "  --remeasure N        measure the training step again with this binary: for each\n"
            "                       baseline configuration in turn, N loops of " SB_STR(SB_TIMING_STEPS) " steps, one at a time;\n"
            "                       train_step_ms compares the baseline with these, not the candidate's runs\n"
            "  --tolerance M=X      allowed drop of quality metric M, absolute (defaults test=0.02, test_long=0.03)\n"
            "  --speed-factor F     allowed slowdown (default 1.25)\n"
            "  --memory-factor F    allowed growth of memory (default 1.10)\n"
            "  --alpha A            family-wise error over all the tests of the run, Holm (default 0.05)\n"
            "  --min-seeds N        seeds the paired test needs (default 3)\n"
            "  --min-runs N         clean runs a side the test over runs needs (default 3)\n"
            "  --warmup N           first steps left out of step times of records without\n"
            "                       train_step_ms_quiet (default 5)\n"
            "  --normalise calib|none  normalise speeds by calib_gflops (default) or not\n\n"
            "example: sharebench gate --baseline results/baseline/smoke.csv --db results/sharebench.db\n"
            "exit status: 0 nothing regressed, 1 something regressed (worse or newly failing),\n"
            "             2 comparison not possible (missing runs or values, different configurations,\n"
            "             too few repetitions; not measurable here when nothing is worse) or bad input\n");
}

/* --remeasure N: for each baseline configuration in turn, N short timing
** loops by this binary with the configuration's keys (sb_runner_timing_spec),
** on the threads its baseline runs used; each loop's median uncontended step
** goes to rm[group]. 0, or -1 with a message. */
static int remeasure(const sb_runset *b, int n, sb_gate_remeasured *rm, char *err, size_t errlen)
{
    for (int g = 0; g < b->ngroups; g++) {
        const sb_rs_run *r0 = &b->runs[b->groups[g].run[0]];
        sb_spec s;
        char cur[1024], why[512];
        sb_spec_default(&s);
        for (int k = 0; k < r0->nparams; k++) {
            /* the run's keys; what a run records beside them (task_knobs, metric) is no key to set */
            if (!strcmp(r0->pkey[k], "preset") || sb_spec_get(&s, r0->pkey[k], cur, sizeof cur)) continue;
            if (sb_spec_set(&s, r0->pkey[k], r0->pval[k] ? r0->pval[k] : "", why, sizeof why)) {
                snprintf(err, errlen, "--remeasure: %s: %s", b->groups[g].label, why);
                return -1;
            }
        }
        sb_machine_threads(r0->threads);
        rm[g].n = n;
        for (int i = 0; i < n; i++) {
            int status;
            double v, x;
            if (sb_runner_timing_spec(&s, i + 1, why, sizeof why)) {
                snprintf(err, errlen, "--remeasure: %s: %s", b->groups[g].label, why);
                return -1;
            }
            fprintf(stderr, "gate: remeasuring %s: loop %d of %d\n", b->groups[g].label, i + 1, n);
            sb_run *r = sb_runner_execute(&s, NULL, &status, why, sizeof why);
            if (!r || status != SB_RUN_FINISHED) {
                snprintf(err, errlen, "--remeasure: %s: %s", b->groups[g].label, r ? sb_run_get(r, "error") : why);
                sb_run_free(r);
                return -1;
            }
            rm[g].contended[i] = sb_run_metric_get(r, "contended", &x) || x > 0 || sb_run_metric_get(r, "train_step_ms_quiet", &v);
            rm[g].step_ms[i] = rm[g].contended[i] ? 0 : v;
            if (sb_run_metric_get(r, "calib_gflops", &rm[g].calib[i])) rm[g].calib[i] = 0;
            sb_run_free(r);
        }
    }
    return 0;
}

enum { OUT_MARKDOWN, OUT_JSON, OUT_JUNIT };

static int write_as(FILE *f, int format, const sb_runset *b, const sb_runset *c, const sb_gate_options *o,
                    const sb_gate_result *res)
{
    return format == OUT_JSON ? sb_gate_json(f, b, c, o, res) : format == OUT_JUNIT ? sb_gate_junit(f, res)
                                                                                  : sb_gate_markdown(f, b, c, o, res);
}

static int write_output(const char *path, int format, const sb_runset *b, const sb_runset *c, const sb_gate_options *o,
                        const sb_gate_result *res, char *err, size_t errlen)
{
    if (!path || !strcmp(path, "-")) {
        if (write_as(stdout, format, b, c, o, res) || fflush(stdout)) {
            snprintf(err, errlen, "cannot write to standard output");
            return -1;
        }
        return 0;
    }
    sb_atomic a;
    if (sb_atomic_open(&a, path, err, errlen)) return -1;
    if (write_as(a.f, format, b, c, o, res)) {
        sb_atomic_abort(&a);
        snprintf(err, errlen, "%s: cannot write", path);
        return -1;
    }
    return sb_atomic_commit(&a, err, errlen);
}

/* --github: annotations on standard output, the table appended to the step summary */
static int github_output(const sb_runset *b, const sb_runset *c, const sb_gate_options *o, const sb_gate_result *res, char *err,
                         size_t errlen)
{
    if (sb_gate_github(stdout, res) || fflush(stdout)) {
        snprintf(err, errlen, "cannot write to standard output");
        return -1;
    }
    const char *summary = getenv("GITHUB_STEP_SUMMARY");
    if (!summary || !*summary) return 0;
    FILE *f = fopen(summary, "a");
    if (!f || sb_gate_markdown(f, b, c, o, res) || fclose(f)) {
        snprintf(err, errlen, "GITHUB_STEP_SUMMARY=%s: cannot append the table", summary);
        return -1;
    }
    return 0;
}

int sb_cmd_gate(int argc, char **argv)
{
    static const struct option opts[] = {
        { "baseline", required_argument, NULL, 'b' },    { "db", required_argument, NULL, 'd' },
        { "sweep", required_argument, NULL, 'w' },       { "markdown", required_argument, NULL, 'm' },
        { "json", required_argument, NULL, 'j' },        { "metrics", required_argument, NULL, 'M' },
        { "tolerance", required_argument, NULL, 'T' },   { "speed-factor", required_argument, NULL, 'S' },
        { "memory-factor", required_argument, NULL, 'R' }, { "alpha", required_argument, NULL, 'a' },
        { "min-runs", required_argument, NULL, 'A' },    { "min-seeds", required_argument, NULL, 'n' },
        { "warmup", required_argument, NULL, 'W' },      { "normalise", required_argument, NULL, 'N' },
        { "junit", required_argument, NULL, 'U' },      { "github", no_argument, NULL, 'G' },
        { "remeasure", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },              { NULL, 0, NULL, 0 }
    };
    const char *baseline = NULL, *db = SB_DEFAULT_DB, *sweep = NULL, *md = NULL, *json = NULL, *junit = NULL;
    int github = 0, loops = 0;
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
        case 'U': junit = optarg; break;
        case 'G': github = 1; break;
        case 'r': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 2 || v > SB_GATE_REMEASURE_MAX)
                return sb_usage_error("gate: --remeasure '%s': expected loops from 2 to %d", optarg, SB_GATE_REMEASURE_MAX);
            loops = (int)v;
            break;
        }
        case 'M': case 'T': case 'S': case 'R': case 'a': case 'A': case 'n': case 'W': case 'N':
            if (sb_gate_option(&o, opts[idx].name, optarg, err, sizeof err)) return sb_usage_error("gate: %s", err);
            break;
        case 'h': help(stdout); return SB_EXIT_OK;
        }
    }
    if (optind < argc) return sb_usage_error("gate: unexpected argument '%s' (see sharebench gate --help)", argv[optind]);
    if (!baseline) return sb_usage_error("gate: no --baseline FILE given (see sharebench gate --help)");
    if (md && json && !strcmp(md, json)) return sb_usage_error("gate: --markdown and --json name the same file '%s'", md);
    if (junit && ((md && !strcmp(md, junit)) || (json && !strcmp(json, junit))))
        return sb_usage_error("gate: --junit names the same file '%s' as another output", junit);
    sb_runset *b = sb_runset_open(baseline, NULL, err, sizeof err);
    if (!b) return sb_usage_error("gate: baseline %s", err);
    if (!b->nruns) {
        sb_runset_free(b);
        return sb_usage_error("gate: baseline %s holds no runs", baseline);
    }
    /* the candidate's runs of the baseline's sweep, unless told otherwise */
    if (!sweep) {
        sweep = b->runs[0].sweep;
        for (int i = 1; i < b->nruns && sweep; i++)   /* runs of several sweeps: no selection */
            if (strcmp(b->runs[i].sweep, sweep)) sweep = NULL;
        if (sweep && !*sweep) sweep = NULL;
    }
    sb_rs_filter flt = { sweep, NULL, NULL };
    sb_runset *c = sb_runset_open(db, &flt, err, sizeof err);
    if (!c) {
        sb_runset_free(b);
        return sb_usage_error("gate: candidate %s", err);
    }
    if (sb_gate_dirty_runs(b))
        fprintf(stderr, "gate: warning: the baseline %s holds %d runs from a tree with uncommitted changes (-dirty)\n", baseline,
                sb_gate_dirty_runs(b));
    sb_gate_remeasured *rm = NULL;
    if (loops) {
        if (!(rm = calloc((size_t)b->ngroups + 1, sizeof *rm))) {
            sb_runset_free(b);
            sb_runset_free(c);
            return sb_usage_error("gate: out of memory");
        }
        if (remeasure(b, loops, rm, err, sizeof err)) {
            free(rm);
            sb_runset_free(b);
            sb_runset_free(c);
            return sb_usage_error("gate: %s", err);
        }
        o.remeasured = rm;
    }
    sb_gate_result res;
    int failed = sb_gate_compare(b, c, &o, &res, err, sizeof err);
    free(rm);
    if (failed) {
        sb_runset_free(b);
        sb_runset_free(c);
        return sb_usage_error("gate: %s", err);
    }
    int rc = res.status;
    if ((json && write_output(json, OUT_JSON, b, c, &o, &res, err, sizeof err)) ||
        (junit && write_output(junit, OUT_JUNIT, b, c, &o, &res, err, sizeof err)) ||
        (github && github_output(b, c, &o, &res, err, sizeof err)) || write_output(md, OUT_MARKDOWN, b, c, &o, &res, err, sizeof err)) {
        sb_usage_error("gate: %s", err);
        rc = SB_EXIT_USAGE;
    } else {
        /* the verdict is the result: on standard output, unless the table is there already */
        fprintf(md && strcmp(md, "-") ? stdout : stderr,
                "gate: %s (exit %d): %d worse, %d newly failing, %d missing, %d too few repetitions, %d not measurable here, "
                "%d not significant, %d better, %d within tolerance, %d unchanged\n",
                sb_gate_verdict(res.status), res.status, res.count[SB_MARK_WORSE], res.count[SB_MARK_NEWLY_FAILING],
                res.count[SB_MARK_MISSING], res.count[SB_MARK_TOO_FEW], res.count[SB_MARK_NOT_MEASURABLE],
                res.count[SB_MARK_NOT_SIGNIFICANT], res.count[SB_MARK_BETTER], res.count[SB_MARK_WITHIN_TOLERANCE],
                res.count[SB_MARK_UNCHANGED]);
        /* what made it incomparable, where CI logs show it (the table may be in a file) */
        int shown = 0;
        for (int i = 0; i < res.nrows; i++) {
            const sb_gate_row *r = &res.rows[i];
            if (r->mark != SB_MARK_MISSING && r->mark != SB_MARK_TOO_FEW && r->mark != SB_MARK_NOT_MEASURABLE) continue;
            if (shown++ == 10) { fprintf(stderr, "gate: ... and more in the table\n"); break; }
            fprintf(stderr, "gate: %s: %s, %s: %s\n", sb_mark_name(r->mark), r->config, r->metric, r->note);
        }
    }
    sb_gate_result_free(&res);
    sb_runset_free(b);
    sb_runset_free(c);
    return rc;
}
