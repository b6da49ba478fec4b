/*
** tasks.c: `sharebench tasks`: every task with its category, metric, sizes,
** chance level and knobs, as the suites describe themselves.
*/
#include "cli.h"
#include "task.h"
#include <stdio.h>
#include <string.h>

int sb_cmd_tasks(int argc, char **argv)
{
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: sharebench tasks [--knobs]\n\nList the tasks: name, category, metric, vocabulary, "
                   "length and test_long length, chance level, description.\n  --knobs   also each task's knobs\n");
            return SB_EXIT_OK;
        }
        if (!strcmp(argv[i], "--knobs")) {
            if (verbose++) return sb_usage_error("tasks: option '--knobs' given twice");
        }
        else return sb_usage_error("tasks: unknown argument '%s' (see sharebench tasks --help)", argv[i]);
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
