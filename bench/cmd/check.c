/*
** check.c: `sharebench check`: a results database's integrity (results/check.h).
*/
#include "commands.h"
#include "cli/cli.h"
#include "results/check.h"
#include "sys/fmt.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench check [--db FILE] [--quiet]\n\n"
            "Check a results database without writing to it: SQLite's integrity check,\n"
            "the schema and its version, and that every run is whole (its required\n"
            "columns, its configuration, its final metrics when it finished) and every\n"
            "params, metrics and series row belongs to a run. Each problem is printed\n"
            "with its table and row; a cell finished more than once is a warning.\n\n"
            "  --db FILE   the results database (default " SB_DEFAULT_DB ")\n"
            "  --quiet     print only the summary line\n\n"
            "example: sharebench check --db results/sharebench.db\n"
            "exit status: 0 no problems, 1 problems found, 2 bad input (no such file)\n");
}

int sb_cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' }, { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },     { NULL, 0, NULL, 0 }
    };
    const char *db = SB_DEFAULT_DB;
    int opt, quiet = 0;
    sb_cli_opts seen;
    sb_cli_opts_init(&seen, "check", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&seen, opt, opts)) return SB_EXIT_USAGE;
        switch (opt) {
        case 'd': db = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': help(stdout); return SB_EXIT_OK;
        }
    }
    if (optind < argc) return sb_usage_error("check: unexpected argument '%s' (see sharebench check --help)", argv[optind]);
    sb_check_result r;
    char err[1024];
    if (sb_check_db(db, quiet ? NULL : stdout, &r, err, sizeof err)) return sb_usage_error("check: %s", err);
    fflush(stdout);
    char a[32], b[32], c[32], d[32];
    fprintf(stderr, "check: %s: %s runs, %s params, %s metrics, %s series rows checked: %ld problem%s, %ld warning%s\n", db,
            sb_fmt_count(r.runs, a, sizeof a), sb_fmt_count(r.params, b, sizeof b), sb_fmt_count(r.metrics, c, sizeof c),
            sb_fmt_count(r.series, d, sizeof d), r.problems, r.problems == 1 ? "" : "s", r.warnings, r.warnings == 1 ? "" : "s");
    return r.problems ? SB_EXIT_CHECK : SB_EXIT_OK;
}
