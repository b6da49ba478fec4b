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
#include <limits.h>

static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench check [--db FILE] [--quiet | --verbose]\n\n"
            "Check a results database without writing to it: SQLite's integrity check,\n"
            "the schema and its version, and that every run is whole (its required\n"
            "columns, its configuration, its final metrics when it finished) and every\n"
            "params, metrics and series row belongs to a run. Each problem is printed\n"
            "with its table and row (the first " SB_STR(SB_CHECK_SHOWN) " of each kind); a cell finished more\n"
            "than once is a warning. The problems and the closing summary go to standard output.\n\n"
            "  --db FILE   the results database (default " SB_DEFAULT_DB ")\n"
            "  --quiet     print only the summary line\n"
            "  --verbose   print every problem and warning, not the first " SB_STR(SB_CHECK_SHOWN) " of each kind\n\n"
            "example: sharebench check --db results/sharebench.db\n"
            "exit status: 0 no problems, 1 problems found, 2 bad input (no such file)\n");
}

int sb_cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' }, { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },     { NULL, 0, NULL, 0 }
    };
    const char *db = SB_DEFAULT_DB;
    int opt;
    sb_cli_opts seen;
    sb_cli_opts_init(&seen, "check", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&seen, opt, opts)) return SB_EXIT_USAGE;
        switch (opt) {
        case 'd': db = optarg; break;
        case 'h': help(stdout); return SB_EXIT_OK;
        }
    }
    if (optind < argc) return sb_usage_error("check: unexpected argument '%s' (see sharebench check --help)", argv[optind]);
    int verbosity = sb_cli_verbosity(&seen);
    if (verbosity == SB_VERBOSITY_BAD) return SB_EXIT_USAGE;
    sb_check_result r;
    char err[1024];
    if (sb_check_db(db, verbosity < 0 ? NULL : stdout, verbosity > 0 ? LONG_MAX : SB_CHECK_SHOWN, &r, err, sizeof err))
        return sb_usage_error("check: %s", err);
    char a[32], b[32], c[32], d[32];
    /* the result: on standard output with the problems it sums up */
    printf("check: %s: %s runs, %s params, %s metrics, %s series rows checked: %ld problem%s, %ld warning%s\n", db,
            sb_fmt_count(r.runs, a, sizeof a), sb_fmt_count(r.params, b, sizeof b), sb_fmt_count(r.metrics, c, sizeof c),
            sb_fmt_count(r.series, d, sizeof d), r.problems, r.problems == 1 ? "" : "s", r.warnings, r.warnings == 1 ? "" : "s");
    if (fflush(stdout)) return sb_usage_error("check: cannot write to standard output");
    return r.problems ? SB_EXIT_CHECK : SB_EXIT_OK;
}
