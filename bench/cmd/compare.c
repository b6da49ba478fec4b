/*
** compare.c: `sharebench compare A B`: two sets of runs compared
** configuration by configuration (report/compare.h does it; this file reads
** the options).
*/
#include "commands.h"
#include "cli/cli.h"
#include "report/compare.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench compare A B [--sweep NAME] [--sweep-a NAME] [--sweep-b NAME] [--task T]\n"
            "                          [--out DIR] [--name NAME]\n\n"
            "Compare two sets of runs: A and B are results databases or baseline files (the same\n"
            "file twice with two sweeps compares the sweeps). Configurations are matched by every\n"
            "key that changes results, runs by seed; for test, test_long and test_loss the change\n"
            "B - A is the mean difference over paired seeds with its 95%% interval and a paired\n"
            "t-test (Welch's test where fewer than two seeds pair), all adjusted together by\n"
            "Benjamini-Hochberg: q <= 0.05 is better or worse, anything else a tie. Each change\n"
            "shows the configuration's FLOPs per token of training and of inference beside it.\n"
            "Writes DIR/NAME.md, DIR/NAME.html and DIR/NAME.json.\n\n"
            "  --sweep NAME    only runs of sweep NAME, on both sides\n"
            "  --sweep-a NAME  only runs of sweep NAME in A (--sweep-b: in B)\n"
            "  --task T        only runs of task T, on both sides\n"
            "  --out DIR       where to write (default results)\n"
            "  --name NAME     file names (default compare)\n"
            "  --quiet         no closing line\n\n"
            "example: sharebench compare results/before.db results/after.db --sweep smoke\n"
            "exit status: 0 written (whatever it found), 2 bad input (nothing written)\n");
}

int sb_cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        { "sweep", required_argument, NULL, 'w' }, { "sweep-a", required_argument, NULL, 'a' },
        { "sweep-b", required_argument, NULL, 'b' }, { "task", required_argument, NULL, 't' },
        { "out", required_argument, NULL, 'o' },   { "name", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },     { NULL, 0, NULL, 0 }
    };
    sb_compare_options o = { NULL, NULL, { NULL, NULL, NULL }, { NULL, NULL, NULL }, "results", "compare" };
    const char *sweep = NULL;
    char err[1024];
    int opt;
    sb_cli_opts co;
    sb_cli_opts_init(&co, "compare", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return SB_EXIT_USAGE;
        switch (opt) {
        case 'w': sweep = optarg; break;
        case 'a': o.fa.sweep = optarg; break;
        case 'b': o.fb.sweep = optarg; break;
        case 't': o.fa.task = o.fb.task = optarg; break;
        case 'o': o.outdir = optarg; break;
        case 'n':
            if (!*optarg || strchr(optarg, '/')) return sb_usage_error("compare: --name '%s': expected a file name without '/'", optarg);
            o.name = optarg;
            break;
        case 'h': help(stdout); return SB_EXIT_OK;
        }
    }
    if (sweep && (o.fa.sweep || o.fb.sweep))
        return sb_usage_error("compare: --sweep names both sides' sweep; give it or --sweep-a/--sweep-b, not both");
    if (sweep) o.fa.sweep = o.fb.sweep = sweep;
    if (argc - optind != 2)
        return sb_usage_error("compare: expected two sets of runs, A and B (databases or baseline files); got %d (see sharebench "
                              "compare --help)", argc - optind);
    o.db_a = argv[optind];
    o.db_b = argv[optind + 1];
    int verbosity = sb_cli_verbosity(&co);
    if (verbosity == SB_VERBOSITY_BAD) return SB_EXIT_USAGE;
    sb_compare_outcome res;
    if (sb_compare_write(&o, &res, err, sizeof err)) return sb_usage_error("compare: %s", err);
    if (verbosity >= 0)
        printf("compare: wrote %s, %s and %s (%d configurations matched, %d only in A, %d only in B; %d of %d changes "
               "significant after Benjamini-Hochberg)\n",
               res.md, res.html, res.json, res.matched, res.only_a, res.only_b, res.significant, res.tests);
    if (fflush(stdout)) return sb_usage_error("compare: cannot write to standard output");
    return SB_EXIT_OK;
}
