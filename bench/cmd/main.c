/*
** main.c: the sharebench command: dispatch to subcommands.
*/
#include "commands.h"
#include "cli/cli.h"
#include "sys/cpuenv.h"
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name, *summary;
    int (*run)(int, char **);
} commands[] = {
    { "run", "train and evaluate one configuration on one task, and store it", sb_cmd_run },
    { "sweep", "run every cell of a sweep file's grid (parallel jobs, resumable)", sb_cmd_sweep },
    { "tasks", "list the tasks with their metrics, sizes and chance levels", sb_cmd_tasks },
    { "params", "parameter counts, sharing maps and memory of a configuration", sb_cmd_params },
    { "bench", "engine speed and memory against PyTorch and the GEMM ceiling", sb_cmd_bench },
    { "list", "list the runs in a database", sb_cmd_list },
    { "export", "export runs (or their series) as CSV or JSON", sb_cmd_export },
    { "report", "write a Markdown and HTML report with figures of a sweep", sb_cmd_report },
    { "gate", "compare runs with a baseline; exit 1 on a regression", sb_cmd_gate },
    { "baseline", "write a baseline file for the gate from a database", sb_cmd_baseline },
    { "check", "check a results database's integrity; exit 1 on a problem", sb_cmd_check },
    { "metrics", "every metric and series recorded: unit, direction, kind, meaning", sb_cmd_metrics },
};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: sharebench COMMAND [OPTIONS]\n\ncommands:\n");
    for (int i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'sharebench COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    sb_cpuenv_start(argv);   /* may run this program again, on the right kernels */
    if (argc < 2) { usage(stderr); return SB_EXIT_USAGE; }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) { usage(stdout); return SB_EXIT_OK; }
    for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    usage(stderr);
    return sb_usage_error("unknown command '%s'", argv[1]);
}
