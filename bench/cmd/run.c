/*
** run.c: `sharebench run`: one configuration on one task, stored. Progress
** goes to standard error; the result (the headline metrics, or with --json
** every metric and the configuration) to standard output or a file.
*/
#include "commands.h"
#include "cli/cli.h"
#include "spec/grid.h"
#include "run/runner.h"
#include "sys/machine.h"
#include "sys/atomicfile.h"
#include "sys/fmt.h"
#include "mpi/dp.h"
#include "mpi/mpienv.h"
#include "run/memcheck.h"
#include "report/budget.h"
#include "results/metrics.h"
#include <cjson/cJSON.h>
#include <math.h>
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
            "  --init-from FILE  start from a checkpoint (fine-tuning; with --sharing to untie or remap;\n"
            "                    untie_by=grad or heads unties untie:K's depths that measurements choose)\n"
            "  --save FILE       save the trained model's weights (safetensors; sharebench export-hf\n"
            "                    turns them into a transformers model)\n"
            "  --save-optim FILE save the AdamW moments and step too, in a file of their own\n"
            "  --init-optim FILE with --init-from: start from those moments (a --save-optim file)\n"
            "  --db FILE         results database (default results/sharebench.db)\n"
            "  --no-store        do not store the result\n"
            "  --mem-budget SIZE refuse the run when its memory need is above SIZE (512M, 2G; default:\n"
            "                    the memory available)\n"
            "  --json FILE|-     write the result as JSON (every metric, the configuration) to FILE, or\n"
            "                    to standard output with -, in place of the headline\n"
            "  --quiet           nothing on success but --json's output; --verbose: every metric too\n"
            "  --dp              data-parallel: under mpirun or srun, split each batch across the ranks\n"
            "                    and sum their gradients (MPI_Allreduce); see README, Running on a cluster\n"
            "  KEY=VALUE         any run or model key (sharebench keys lists them), e.g. width=64 layers=6\n\n"
            "example: sharebench run --task copy --sharing cycle:2 --steps 200\n"
            "The headline (the test metrics, speed, parameters and where the run was stored) goes to\n"
            "standard output, progress to standard error.\n"
            "exit status: 0 finished or diverged (stored), 1 the run failed, 2 bad input\n");
}

/* A param's value, or NULL. */
static const char *param(const sb_run *r, const char *key)
{
    const char *v = NULL, *k;
    for (size_t i = 0; (k = sb_run_param_at(r, i, &v)); i++)
        if (!strcmp(k, key)) return v;
    return NULL;
}

/* The result for a person: status, test metrics, speed, size, where it was stored. */
static void headline(FILE *f, const sb_run *r, const char *label, long id, const char *db, int verbose)
{
    double v, se, w = NAN;
    const char *status = sb_run_get(r, "status"), *metric = param(r, "metric"), *ws = sb_run_get(r, "wall_seconds");
    char n1[32], n2[32];
    if (ws) w = atof(ws);
    fprintf(f, "%s: %s", label, status ? status : "?");
    if (status && !strcmp(status, "diverged") && sb_run_get(r, "diverged_step")) fprintf(f, " at step %s", sb_run_get(r, "diverged_step"));
    if (isfinite(w)) fprintf(f, " in %.1f s", w);
    fputc('\n', f);
    static const sb_metric_id splits[][2] = { { SB_M_TEST, SB_M_TEST_STDERR }, { SB_M_TEST_LONG, SB_M_TEST_LONG_STDERR },
                                              { SB_M_VALID, SB_M_VALID_STDERR } };
    for (int i = 0; i < 3; i++) {
        if (sb_run_metric_get(r, sb_metric_key(splits[i][0]), &v)) continue;
        fprintf(f, "  %-11s %.4f", sb_metric_key(splits[i][0]), v);
        if (!sb_run_metric_get(r, sb_metric_key(splits[i][1]), &se) && isfinite(se)) fprintf(f, " ± %.4f", se);
        if (metric) fprintf(f, " %s", metric);
        fputc('\n', f);
    }
    if (!sb_run_metric_get(r, sb_metric_key(SB_M_TRAIN_TOKENS_PER_S), &v)) {
        fprintf(f, "  %-11s %s tokens/s", "train", sb_fmt_count(lround(v), n1, sizeof n1));
        if (!sb_run_metric_get(r, sb_metric_key(SB_M_TRAIN_LOSS_FINAL), &v)) fprintf(f, ", final loss %.4f", v);
        fputc('\n', f);
    }
    if (!sb_run_metric_get(r, sb_metric_key(SB_M_PARAMS_UNIQUE), &v)) {
        fprintf(f, "  %-11s %s unique", "parameters", sb_fmt_count(lround(v), n1, sizeof n1));
        if (!sb_run_metric_get(r, sb_metric_key(SB_M_PARAMS_EVERY_DEPTH), &se)) fprintf(f, ", %s at every depth", sb_fmt_count(lround(se), n2, sizeof n2));
        fputc('\n', f);
    }
    if (verbose) {
        const char *k;
        for (size_t i = 0; (k = sb_run_metric_at(r, i, &v)); i++) fprintf(f, "  metric %s %.10g\n", k, v);
    }
    if (id > 0) fprintf(f, "  %-11s run %ld in %s\n", "stored", id, db);
    else fprintf(f, "  %-11s not stored (--no-store)\n", "stored");
}

/* The result for a program: every metric and the configuration, numbers as numbers. */
static int write_json(const char *path, const sb_run *r, const char *label, long id, const char *db, char *err, size_t errlen)
{
    cJSON *j = cJSON_CreateObject(), *params = cJSON_CreateObject(), *metrics = cJSON_CreateObject();
    const char *k, *v;
    double x;
    char *end;
    if (id > 0) cJSON_AddNumberToObject(j, "run_id", (double)id);
    else cJSON_AddNullToObject(j, "run_id");
    if (db) cJSON_AddStringToObject(j, "db", db);
    else cJSON_AddNullToObject(j, "db");
    cJSON_AddStringToObject(j, "label", label);
    static const char *const cols[] = { "status", "error", "task", "sharing", "seed", "cell", "wall_seconds", "diverged_step", NULL };
    for (int i = 0; cols[i]; i++) {
        const char *c = sb_run_get(r, cols[i]);
        if (!c) cJSON_AddNullToObject(j, cols[i]);
        else if (i >= 4 && i != 5 && (x = strtod(c, &end), *c && !*end)) cJSON_AddNumberToObject(j, cols[i], x);
        else cJSON_AddStringToObject(j, cols[i], c);
    }
    for (size_t i = 0; (k = sb_run_param_at(r, i, &v)); i++) {
        cJSON_DeleteItemFromObjectCaseSensitive(params, k);   /* the last value of a key counts, as in the store */
        if (v && sb_spec_key_is_number(k) && (x = strtod(v, &end), *v && !*end)) cJSON_AddNumberToObject(params, k, x);
        else if (v) cJSON_AddStringToObject(params, k, v);
        else cJSON_AddNullToObject(params, k);
    }
    for (size_t i = 0; (k = sb_run_metric_at(r, i, &x)); i++) {
        cJSON_DeleteItemFromObjectCaseSensitive(metrics, k);
        cJSON_AddNumberToObject(metrics, k, x);   /* not finite: cJSON writes null */
    }
    cJSON_AddItemToObject(j, "params", params);
    cJSON_AddItemToObject(j, "metrics", metrics);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    int rc = 0;
    if (!text) { snprintf(err, errlen, "--json: out of memory"); return -1; }
    if (!strcmp(path, "-")) {
        rc = puts(text) < 0 ? -1 : 0;
        if (rc) snprintf(err, errlen, "--json: cannot write to standard output");
    } else {
        size_t n = strlen(text);
        text[n] = '\n';   /* the terminating byte becomes the last line's end */
        rc = sb_atomic_write(path, text, n + 1, err, errlen);
    }
    cJSON_free(text);
    return rc;
}

int sb_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, { "task", required_argument, NULL, 't' },
        { "sharing", required_argument, NULL, 's' }, { "preset", required_argument, NULL, 'p' },
        { "steps", required_argument, NULL, 'n' }, { "batch", required_argument, NULL, 'b' },
        { "lr", required_argument, NULL, 'l' }, { "seed", required_argument, NULL, 'e' },
        { "threads", required_argument, NULL, 'j' }, { "init-from", required_argument, NULL, 'i' },
        { "save", required_argument, NULL, 'a' }, { "db", required_argument, NULL, 'd' },
        { "no-store", no_argument, NULL, 'N' }, { "quiet", no_argument, NULL, 'q' }, { "dp", no_argument, NULL, 'D' },
        { "mem-budget", required_argument, NULL, 'm' }, { "verbose", no_argument, NULL, 'v' },
        { "json", required_argument, NULL, 'J' }, { "save-optim", required_argument, NULL, 'o' },
        { "init-optim", required_argument, NULL, 'I' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
    };
    static const struct { int opt; const char *key; } as_key[] = {
        { 't', "task" }, { 's', "sharing" }, { 'p', "preset" }, { 'n', "steps" }, { 'b', "batch" }, { 'l', "lr" },
        { 'e', "seed" }, { 'j', "threads" }, { 'i', "init_from" }, { 'a', "save" }, { 'o', "save_optim" }, { 'I', "init_optim" },
    };
    char err[SB_ERR_LEN], assignment[SB_PATH_LEN + 64];
    const char *config = NULL, *db = SB_DEFAULT_DB, *json = NULL;
    int opt, store = 1, quiet = 0, dp = 0, rc = SB_EXIT_USAGE, verbosity;
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
        else if (opt == 'D') dp = 1;
        else if (opt == 'J') json = optarg;
        else if (opt == 'q' || opt == 'v') continue;
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
    if ((verbosity = sb_cli_verbosity(&co)) == SB_VERBOSITY_BAD) goto out;
    quiet = verbosity < 0;
    if (json && !*json) { sb_usage_error("run: --json '': expected a file name, or - for standard output"); goto out; }
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
    if (dp && json) { sb_usage_error("run: --json with --dp: read the run from the database (sharebench export)"); goto out; }
    if (dp && store) sb_cli_default_db_dir(db);
    if (dp) { rc = sb_dp_run(&s, store ? db : NULL, quiet); goto out; }
    if (sb_mpi_launched_size() != 0 && sb_mpi_launched_size() != 1) {
        sb_usage_error("run: started by an MPI launcher as several processes: each would train the same run; "
                       "add --dp to split its batches across them, or use sharebench sweep to spread cells");
        goto out;
    }
    sb_store *st = NULL;
    if (store) sb_cli_default_db_dir(db);
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
    if (id < 0) { fprintf(stderr, "sharebench: run: %s\n", err); sb_run_free(r); rc = SB_EXIT_CHECK; goto out; }
    rc = status == SB_RUN_FAILED ? SB_EXIT_CHECK : SB_EXIT_OK;
    if (status == SB_RUN_FAILED) fprintf(stderr, "sharebench: run: %s failed: %s\n", label, sb_run_get(r, "error"));
    if (json && write_json(json, r, label, id, id > 0 ? db : NULL, err, sizeof err)) {
        sb_usage_error("run: %s", err);
        rc = SB_EXIT_USAGE;
    }
    if (!quiet && !(json && !strcmp(json, "-"))) headline(stdout, r, label, id, db, verbosity > 0);
    sb_run_free(r);
    if (fflush(stdout)) rc = sb_usage_error("run: cannot write to standard output");
out:
    for (int i = 0; i < nover; i++) free(overrides[i]);
    sb_grid_free(g);
    return rc;
}
