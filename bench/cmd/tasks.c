/*
** tasks.c: `sharebench tasks`: every task with its category, metric, sizes,
** chance level and knobs, as the suites describe themselves.
*/
#include "commands.h"
#include "cli/cli.h"
#include "task.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

int sb_cmd_tasks(int argc, char **argv)
{
    static const struct option opts[] = {
        { "knobs", no_argument, NULL, 'k' }, { "names", no_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int opt, verbose = 0, names = 0;
    sb_cli_opts co;
    sb_cli_opts_init(&co, "tasks", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return SB_EXIT_USAGE;
        if (opt == 'h') {
            printf("usage: sharebench tasks [--knobs | --names]\n\nList the tasks: name, category, metric, vocabulary, "
                   "length and test_long length, chance level, description.\n  --knobs   also each task's knobs\n"
                   "  --names   the task names alone, one a line (for scripts and shell completion)\n");
            return SB_EXIT_OK;
        }
        if (opt == 'k') verbose = 1;
        if (opt == 'n') names = 1;
    }
    if (optind < argc) return sb_usage_error("tasks: unexpected argument '%s' (see sharebench tasks --help)", argv[optind]);
    if (names && verbose) return sb_usage_error("tasks: --names and --knobs together: give one");
    if (names) {
        for (const char *const *n = sb_task_names(); *n; n++) puts(*n);
        return SB_EXIT_OK;
    }
    printf("%-14s %-30s %-8s %5s %6s %5s %7s  %s\n", "task", "category", "metric", "vocab", "length", "long", "chance", "description");
    int missing = 0;
    for (const char *const *n = sb_task_names(); *n; n++) {
        char err[512];
        sb_task *t = sb_task_open(*n, NULL, 1, err, sizeof err);
        if (!t) { printf("%-14s unavailable: %s\n", *n, err); missing++; continue; }
        const sb_task_info *i = sb_task_get_info(t);
        printf("%-14s %-30s %-8s %5d %6d %5d %7.3f  %s\n", i->name, i->category, sb_metric_name(i->metric), i->vocab,
               i->length, i->long_length, i->chance, i->description);
        if (verbose) {
            char help[1024];
            if (sb_task_knob_help(*n, help, sizeof help) == 0) printf("%14s knobs: %s\n", "", help);
        }
        sb_task_close(t);
    }
    return missing ? SB_EXIT_CHECK : SB_EXIT_OK;
}
