/*
** baseline.c: `sharebench baseline`: write a baseline file (results/baseline.h)
** from the runs of a database.
*/
#include "commands.h"
#include "cli/cli.h"
#include "results/baseline.h"
#include "results/metrics.h"
#include "results/source.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>

static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench baseline [--db FILE] [--sweep NAME] [--task T] [--series LIST] [-o FILE]\n\n"
            "Write the runs of a database as a baseline for `sharebench gate`: a CSV file, one\n"
            "value per row (each run's columns, configuration keys, scalar metrics and the\n"
            "series the gate's speed test needs), meant to be committed under results/baseline/\n"
            "so that a change to it shows in review. Of a seed run more than once in a\n"
            "configuration, the latest run is written.\n\n"
            "  --db FILE        the results database (default " SB_DEFAULT_DB ")\n"
            "  --sweep NAME     only runs of sweep NAME (needed when the database holds several sweeps)\n"
            "  --task T         only runs of task T\n"
            "  --series LIST    comma-separated series to keep (default " SB_BASELINE_SERIES "; '' for none)\n"
            "  -o, --output F   the file to write (default results/baseline/SWEEP.csv), replaced whole\n\n"
            "example: sharebench baseline --db results/sharebench.db --sweep smoke\n"
            "exit status: 0 written, 2 bad input (nothing written)\n");
}

int sb_cmd_baseline(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' },     { "sweep", required_argument, NULL, 'w' },
        { "task", required_argument, NULL, 't' },   { "series", required_argument, NULL, 's' },
        { "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *db = SB_DEFAULT_DB, *out = NULL, *series = SB_BASELINE_SERIES;
    sb_rs_filter flt = { NULL, NULL, NULL };
    char err[1024], path[4096];
    int opt;
    sb_cli_opts co;
    sb_cli_opts_init(&co, "baseline", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("ho:"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return SB_EXIT_USAGE;
        switch (opt) {
        case 'd': db = optarg; break;
        case 'w': flt.sweep = optarg; break;
        case 't': flt.task = optarg; break;
        case 's': {
            char list[901], *save = NULL;
            if (strlen(optarg) >= sizeof list) return sb_usage_error("baseline: --series: list too long");
            snprintf(list, sizeof list, "%s", optarg);
            for (char *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save))
                if (sb_series_lookup(k) < 0)
                    return sb_usage_error("baseline: --series: '%s' is not a series sharebench records (sharebench metrics lists them)", k);
            series = optarg;
            break;
        }
        case 'o': out = optarg; break;
        case 'h': help(stdout); return SB_EXIT_OK;
        }
    }
    if (optind < argc) return sb_usage_error("baseline: unexpected argument '%s' (see sharebench baseline --help)", argv[optind]);
    size_t dl = strlen(db);
    if (dl > 4 && !strcmp(db + dl - 4, ".csv"))
        return sb_usage_error("baseline: --db %s: expected a results database, not a baseline file", db);
    sb_runset *s = sb_runset_open(db, &flt, err, sizeof err);
    if (!s) return sb_usage_error("baseline: %s", err);
    if (!s->nruns) {
        sb_runset_free(s);
        return sb_usage_error("baseline: %s: no runs%s%s%s", db, flt.sweep || flt.task ? " match" : "",
                              flt.sweep ? " --sweep " : "", flt.sweep ? flt.sweep : "");
    }
    const char *sweep = s->runs[0].sweep;
    for (int i = 1; i < s->nruns; i++)
        if (strcmp(s->runs[i].sweep, sweep)) {
            sb_usage_error("baseline: %s holds runs of several sweeps ('%s', '%s'); choose one with --sweep NAME", db, sweep,
                           s->runs[i].sweep);
            sb_runset_free(s);
            return SB_EXIT_USAGE;
        }
    if (!out) {
        snprintf(path, sizeof path, "results/baseline/%s.csv", *sweep ? sweep : "runs");
        out = path;
        mkdir("results", 0777);
        mkdir("results/baseline", 0777);
    }
    int failed = 0, seeds_min = 1 << 30, seeds_max = 0, superseded = 0;
    for (int g = 0; g < s->ngroups; g++) {
        const sb_rs_group *G = &s->groups[g];
        if (G->nrun < seeds_min) seeds_min = G->nrun;
        if (G->nrun > seeds_max) seeds_max = G->nrun;
        superseded += G->superseded;
        for (int k = 0; k < G->nrun; k++) failed += !sb_rs_finished(&s->runs[G->run[k]]);
    }
    if (sb_baseline_write(s, series, out, err, sizeof err)) {
        sb_runset_free(s);
        return sb_usage_error("baseline: %s", err);
    }
    int counted = s->nruns - superseded;
    /* the file written is the result: its summary on standard output */
    printf("baseline: wrote %s: %d runs of %d configurations (%d", out, counted, s->ngroups, seeds_min);
    if (seeds_max != seeds_min) printf(" to %d", seeds_max);
    printf(" seeds each)%s%s from %s", *sweep ? " of sweep " : "", sweep, db);
    if (superseded) printf("; %d earlier runs of the same seeds left out", superseded);
    putchar('\n');
    if (failed) fprintf(stderr, "sharebench: baseline: warning: %d of the runs did not finish (failed or diverged); the gate treats them as failing in the baseline\n", failed);
    if (fflush(stdout)) {
        sb_runset_free(s);
        return sb_usage_error("baseline: cannot write to standard output");
    }
    sb_runset_free(s);
    return SB_EXIT_OK;
}
