/*
** report.c: `sharebench report`: the comparison report of a sweep or a set of
** runs (report/report.h writes it; this file reads the options).
*/
#include "commands.h"
#include "cli/cli.h"
#include "report/budget.h"
#include "report/claims.h"
#include "report/report.h"
#include "report/runreport.h"
#include "sys/datadir.h"
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench report [--db FILE] [--sweep NAME] [--task T] [--out DIR] [--name NAME]\n"
            "                         [--budget SIZE] [--claims FILE] [--plots DIR] [--title TEXT]\n"
            "       sharebench report --run ID [--db FILE] [--out DIR] [--name NAME] [--plots DIR]\n\n"
            "Write DIR/NAME.md and DIR/NAME.html (self-contained: figures embedded, no network\n"
            "needed) about a set of runs, with the figures as PNG and SVG in DIR/NAME-figures/:\n"
            "per task a table of the sharing configurations (unique parameters and reduction\n"
            "against none, training and inference throughput, memory, test and test_long as mean\n"
            "with a 95%% confidence interval over seeds (logit scale for accuracies), change against\n"
            "none with its interval, paired t-test across seeds, Benjamini-Hochberg adjusted p and\n"
            "verdict (ties not ranked); tasks at chance flagged not learned), one table across tasks,\n"
            "training curves with the validation metric, quality against parameters with the frontier\n"
            "(only significant differences), speed with intervals over seeds and memory, and the\n"
            "analyses' figures when they ran; when runs compress, sharing against\n"
            "compression on the quality-per-byte frontier; the longest sequence each mode's\n"
            "training step fits in the memory budget (engine accounting); what the data says about\n"
            "each claim of the claims file; the machine and code version.\n\n"
            "With --run ID, one run in depth instead (ids as 'sharebench list' shows them): its\n"
            "results with the test split's standard errors, its sharing maps, parameters and step\n"
            "memory, its curves and per-depth analyses as recorded, every key (default name run-ID).\n\n"
            "  --db FILE       the results database (default " SB_DEFAULT_DB ")\n"
            "  --run ID        report one run\n"
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
        { "run", required_argument, NULL, 'r' },    { NULL, 0, NULL, 0 }
    };
    const char *db = SB_DEFAULT_DB, *outdir = "results", *name = "report", *claims_path = NULL, *plotdir = NULL,
               *title = NULL;
    sb_rs_filter flt = { NULL, NULL, NULL };
    double budget = 1073741824.0;
    long run_id = -1;
    int other = 0;   /* options --run does not take */
    char err[1024], run_name[64];
    int opt;
    sb_cli_opts co;
    sb_cli_opts_init(&co, "report", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return SB_EXIT_USAGE;
        switch (opt) {
        case 'd': db = optarg; break;
        case 'w': flt.sweep = optarg; other = 1; break;
        case 't': flt.task = optarg; other = 1; break;
        case 'r': {
            char *end;
            errno = 0;
            run_id = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || run_id < 1)
                return sb_usage_error("report: --run '%s': expected a run id, a positive integer ('sharebench list' shows them)",
                                      optarg);
            break;
        }
        case 'o': outdir = optarg; break;
        case 'n':
            if (!*optarg || strchr(optarg, '/')) return sb_usage_error("report: --name '%s': expected a file name without '/'", optarg);
            name = optarg;
            break;
        case 'b':
            if (sb_budget_parse_size(optarg, &budget))
                return sb_usage_error("report: --budget '%s': expected a size such as 512MiB, 16GiB or 2GB", optarg);
            other = 1;
            break;
        case 'c': claims_path = optarg; other = 1; break;
        case 'p': plotdir = optarg; break;
        case 'T': title = optarg; other = 1; break;
        case 'h': help(stdout); return SB_EXIT_OK;
        }
    }
    if (optind < argc) return sb_usage_error("report: unexpected argument '%s' (see sharebench report --help)", argv[optind]);
    int verbosity = sb_cli_verbosity(&co);
    if (verbosity == SB_VERBOSITY_BAD) return SB_EXIT_USAGE;
    if (run_id > 0 && other)
        return sb_usage_error("report: --run reports one run: --sweep, --task, --budget, --claims and --title do not apply");
    /* the shipped claims and figures, wherever sharebench is installed (sys/datadir.h) */
    char claims_found[4096], plots_found[4096];
    if (!claims_path) {
        if (sb_data_path("claims.txt", claims_found, sizeof claims_found, err, sizeof err)) return sb_usage_error("report: %s", err);
        claims_path = claims_found;
    }
    if (!plotdir) {
        if (sb_data_path("plots", plots_found, sizeof plots_found, err, sizeof err)) return sb_usage_error("report: %s", err);
        plotdir = plots_found;
    }
    if (run_id > 0 && !strcmp(name, "report")) {
        snprintf(run_name, sizeof run_name, "run-%ld", run_id);
        name = run_name;
    }
    sb_report_options o = { db, flt, outdir, name, claims_path, plotdir, title, budget };
    sb_report_outcome res;
    if (run_id > 0 ? sb_report_run_write(&o, run_id, &res, err, sizeof err) : sb_report_write(&o, &res, err, sizeof err))
        return sb_usage_error("report: %s", err);
    if (verbosity > 0) list_figures(res.figdir);
    if (verbosity >= 0) {
        /* what was written is the command's result: standard output */
        if (run_id > 0) printf("report: wrote %s and %s (run %ld; %d figures in %s", res.md, res.html, run_id, res.drawn, res.figdir);
        else printf("report: wrote %s and %s (%d runs, %d configurations; %d figures in %s", res.md, res.html, res.nruns,
                    res.ngroups, res.drawn, res.figdir);
        if (res.failed) printf("; %d not drawn: %s", res.failed, res.last_error);
        printf(")\n");
    } else if (res.failed) {
        fprintf(stderr, "sharebench: report: %d figures not drawn: %s\n", res.failed, res.last_error);
    }
    if (fflush(stdout)) return sb_usage_error("report: cannot write to standard output");
    return SB_EXIT_OK;
}
