/*
** main.c: the sharebench command: dispatch to subcommands, --help, --version.
*/
#include "commands.h"
#include "cli/cli.h"
#include "sys/cpuenv.h"
#include "version.h"
#include "core/suggest.h"
#include "core/gemm.h"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name, *summary;
    int (*run)(int, char **);
} commands[] = {
    { "run", "train and evaluate one configuration on one task, and store it", sb_cmd_run },
    { "sweep", "run every cell of a sweep file's grid (parallel jobs, resumable)", sb_cmd_sweep },
    { "tasks", "list the tasks with their metrics, sizes and chance levels", sb_cmd_tasks },
    { "keys", "list every run and model key: type, values, default, meaning", sb_cmd_keys },
    { "params", "parameter counts, sharing maps and memory of a configuration", sb_cmd_params },
    { "bench", "engine speed and memory against PyTorch and the GEMM ceiling", sb_cmd_bench },
    { "list", "list the runs in a database", sb_cmd_list },
    { "export", "export runs, their metrics (long form) or their series as CSV or JSON", sb_cmd_export },
    { "report", "write a Markdown and HTML report with figures of a sweep", sb_cmd_report },
    { "compare", "compare two databases or sweeps configuration by configuration", sb_cmd_compare },
    { "gate", "compare runs with a baseline; exit 1 on a regression", sb_cmd_gate },
    { "baseline", "write a baseline file for the gate from a database", sb_cmd_baseline },
    { "check", "check a results database's integrity; exit 1 on a problem", sb_cmd_check },
    { "metrics", "every metric and series recorded: unit, direction, kind, meaning", sb_cmd_metrics },
    { "export-hf", "write a checkpoint as a Hugging Face transformers model (GPT-2, ALBERT)", sb_cmd_export_hf },
    { "import-hf", "read a Hugging Face GPT-2 or ALBERT model into a checkpoint", sb_cmd_import_hf },
};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: sharebench COMMAND [OPTIONS]\n"
               "       sharebench --version | --help | help COMMAND\n\n"
               "Train, measure and compare transformers whose layers share parameters.\n\n"
               "commands:\n");
    for (int i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\noptions:\n"
               "  -h, --help     show this help\n"
               "  -V, --version  show the version, the BLAS and the kernels it chose, the build flags\n\n"
               "'sharebench COMMAND --help' describes a command's options. Results go to standard\n"
               "output, progress and messages to standard error. Exit status: 0 success, 1 a failed\n"
               "run or check, 2 a usage or input error.\n");
}

int main(int argc, char **argv)
{
    sb_cpuenv_start(argv);   /* may run this program again, on the right kernels */
    /* which library makes the products (engine/core/gemm.h): set for every
    ** command, and inherited by the processes a command starts */
    const char *gemm = getenv("SHAREBENCH_GEMM");
    if (gemm && *gemm) {
        int lib = sb_gemm_parse(gemm);
        if (lib < 0) return sb_usage_error("SHAREBENCH_GEMM='%s': expected auto, openblas or onednn", gemm);
        sb_gemm_use((sb_gemm_lib)lib);
    }
    if (argc < 2) { usage(stderr); return SB_EXIT_USAGE; }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || (!strcmp(cmd, "help") && argc == 2)) { usage(stdout); return SB_EXIT_OK; }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        sb_version_print(stdout);
        return fflush(stdout) ? SB_EXIT_USAGE : SB_EXIT_OK;
    }
    char *help_argv[] = { argv[argc > 2 ? 2 : 1], "--help", NULL };
    if (!strcmp(cmd, "help")) {   /* help COMMAND: that command's --help */
        if (argc > 3) return sb_usage_error("help: one command at a time");
        cmd = argv[2], argc = 2, argv = help_argv;
    } else {
        argc--, argv++;
    }
    const char *names[NCOMMANDS + 1];
    for (int i = 0; i < NCOMMANDS; i++) {
        if (!strcmp(cmd, commands[i].name)) return commands[i].run(argc, argv);
        names[i] = commands[i].name;
    }
    names[NCOMMANDS] = NULL;
    char hint[96];
    return sb_usage_error("unknown command '%s'%s ('sharebench --help' lists the commands)", cmd,
                          sb_suggest_text(cmd, names, hint, sizeof hint));
}
