/*
** run.c: `sharebench run`: one configuration on one task, stored.
*/
#include "commands.h"
#include "cli/cli.h"
#include "spec/grid.h"
#include "run/runner.h"
#include "sys/machine.h"
#include "mpi/dp.h"
#include "mpi/mpienv.h"
#include "run/memcheck.h"
#include "report/budget.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <unistd.h>

static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench run [--config FILE] [OPTIONS] [KEY=VALUE ...]\n\n"
            "Train and evaluate one configuration on one task and store the result.\n\n"
            "  --config FILE     a run file (INI, as a sweep file with one value per key)\n"
            "  --task NAME       the task (sharebench tasks lists them)\n"
            "  --sharing SPEC    sharing specification, e.g. cycle:2 or all+untie:2 (its terms:\n"
            "                    sharebench params --help)\n"
            "  --preset NAME     model preset (default small)\n"
            "  --steps N         training steps (default 300)\n"
            "  --batch N         sequences per step (default 16)\n"
            "  --lr X            peak learning rate (default 1e-3)\n"
            "  --seed N          initialisation and data-order seed (default 1)\n"
            "  --threads N       threads (default: all cores)\n"
            "  --init-from FILE  start from a checkpoint (fine-tuning; with --sharing to untie or remap)\n"
            "  --save FILE       save the trained model (safetensors)\n"
            "  --db FILE         results database (default results/sharebench.db)\n"
            "  --no-store        do not store the result\n"
            "  --mem-budget SIZE refuse the run when its memory need is above SIZE (512M, 2G; default:\n"
            "                    the memory available)\n"
            "  --quiet           no progress lines\n"
            "  --dp              data-parallel: under mpirun or srun, split each batch across the ranks\n"
            "                    and sum their gradients (MPI_Allreduce); see README, Running on a cluster\n"
            "  KEY=VALUE         any training or model key (see README), e.g. width=64 layers=6\n\n"
            "example: sharebench run --task copy --sharing cycle:2 --steps 200\n"
            "exit status: 0 finished or diverged (stored), 1 the run failed, 2 bad input\n");
}

int sb_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, { "task", required_argument, NULL, 't' },
        { "sharing", required_argument, NULL, 's' }, { "preset", required_argument, NULL, 'p' },
        { "steps", required_argument, NULL, 'n' }, { "batch", required_argument, NULL, 'b' },
        { "lr", required_argument, NULL, 'l' }, { "seed", required_argument, NULL, 'e' },
        { "threads", required_argument, NULL, 'j' }, { "init-from", required_argument, NULL, 'i' },
        { "save", required_argument, NULL, 'v' }, { "db", required_argument, NULL, 'd' },
        { "no-store", no_argument, NULL, 'N' }, { "quiet", no_argument, NULL, 'q' }, { "dp", no_argument, NULL, 'D' },
        { "mem-budget", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
    };
    static const struct { int opt; const char *key; } as_key[] = {
        { 't', "task" }, { 's', "sharing" }, { 'p', "preset" }, { 'n', "steps" }, { 'b', "batch" }, { 'l', "lr" },
        { 'e', "seed" }, { 'j', "threads" }, { 'i', "init_from" }, { 'v', "save" },
    };
    char err[SB_ERR_LEN], assignment[SB_PATH_LEN + 64];
    const char *config = NULL, *db = SB_DEFAULT_DB;
    int opt, store = 1, quiet = 0, dp = 0, rc = SB_EXIT_USAGE;
    double budget = 0;
    /* options become KEY=VALUE overrides */
    char *overrides[256];
    int nover = 0;
    sb_grid *g = NULL;
    sb_cli_opts co;
    sb_cli_opts_init(&co, "run", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) goto out;
        if (opt == 'h') { help(stdout); rc = SB_EXIT_OK; goto out; }
        if (opt == 'c') config = optarg;
        else if (opt == 'd') db = optarg;
        else if (opt == 'N') store = 0;
        else if (opt == 'q') quiet = 1;
        else if (opt == 'D') dp = 1;
        else if (opt == 'm') {
            if (sb_budget_parse_size(optarg, &budget)) {
                sb_usage_error("run: --mem-budget '%s': expected a size such as 512M, 2G or 1.5GiB", optarg);
                goto out;
            }
        } else
            for (size_t k = 0; k < sizeof as_key / sizeof as_key[0]; k++)
                if (as_key[k].opt == opt && nover < 255) {
                    snprintf(assignment, sizeof assignment, "%s=%s", as_key[k].key, optarg);
                    overrides[nover++] = strdup(assignment);
                }
    }
    if (nover + argc - optind > 255) { sb_usage_error("run: more than 255 options and KEY=VALUE assignments"); goto out; }
    for (int i = optind; i < argc; i++) overrides[nover++] = strdup(argv[i]);
    if (sb_cli_assignments_once("run", overrides, nover)) goto out;
    g = config ? sb_grid_load(config, err, sizeof err) : sb_grid_single();
    if (!g) { sb_usage_error("run: %s", err); goto out; }
    /* order does not matter: a cell applies its preset before the model keys */
    for (int i = 0; i < nover; i++)
        if (sb_grid_override(g, overrides[i], err, sizeof err)) { sb_usage_error("run: %s", err); goto out; }
    if (sb_grid_count(g) != 1) {
        sb_usage_error("run: %s lists several values for a key (%ld cells); use sharebench sweep", config ? config : "the command line", sb_grid_count(g));
        goto out;
    }
    sb_spec s;
    sb_runner_plan plan;
    const sb_runner_plan *pp = &plan;
    if (sb_grid_cell(g, 0, &s, err, sizeof err) || sb_runner_check(&s, &plan, err, sizeof err)) { sb_usage_error("run: %s", err); goto out; }
    sb_machine mc;
    sb_machine_read(&mc);
    if (sb_memcheck_cells(&s, &pp, 1, 1, s.threads ? s.threads : mc.cores, budget, NULL, err, sizeof err)) {
        sb_usage_error("run: %s", err);
        goto out;
    }
    if (!config) s.sweep[0] = 0;
    if (dp) { rc = sb_dp_run(&s, store ? db : NULL, quiet); goto out; }
    if (sb_mpi_launched_size() != 0 && sb_mpi_launched_size() != 1) {
        sb_usage_error("run: started by an MPI launcher as several processes: each would train the same run; "
                       "add --dp to split its batches across them, or use sharebench sweep to spread cells");
        goto out;
    }
    sb_store *st = NULL;
    if (store && !(st = sb_store_open(db, 0, err, sizeof err))) { sb_usage_error("run: %s", err); goto out; }
    sb_machine_threads(s.threads);
    char label[256];
    sb_spec_label(&s, label, sizeof label);
    if (!quiet) fprintf(stderr, "run: %s\n", label);
    int status;
    sb_run *r = sb_runner_execute(&s, quiet ? NULL : stderr, &status, err, sizeof err);
    if (!r) { sb_usage_error("run: %s", err); sb_store_close(st); goto out; }
    long id = st ? sb_store_commit(st, r, err, sizeof err) : 0;
    sb_store_close(st);
    sb_run_free(r);
    if (id < 0) { fprintf(stderr, "sharebench: run: %s\n", err); rc = SB_EXIT_CHECK; goto out; }
    if (id > 0 && !quiet) fprintf(stderr, "run: stored as run %ld in %s\n", id, db);
    rc = status == SB_RUN_FAILED ? SB_EXIT_CHECK : SB_EXIT_OK;
out:
    for (int i = 0; i < nover; i++) free(overrides[i]);
    sb_grid_free(g);
    return rc;
}
