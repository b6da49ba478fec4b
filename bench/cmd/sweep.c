/*
** sweep.c: `sharebench sweep FILE`: every cell of a sweep file's grid, each in
** a child process (so a crash or a leak stays in its cell, and each run's peak
** memory is its own), up to --jobs at a time with the cores split among them.
** Each child stores its own run in one transaction; a child dies with the
** sweep (PR_SET_PDEATHSIG), so a killed sweep leaves only whole runs and
** --resume runs exactly the cells that are missing. Each child takes its
** cell's lease in the database first (lease.h), so sweeps of one file running
** at once share its cells: none runs a cell another stored meanwhile or is
** running now, and a cell whose process died is taken over. --speed-pass
** then times each configuration again in short runs, one at a time.
*/
#include "commands.h"
#include "cli/cli.h"
#include "spec/grid.h"
#include "run/runner.h"
#include "sys/machine.h"
#include "mpi/mpienv.h"
#include "mpi/mpi_sweep.h"
#include "run/memcheck.h"
#include "report/budget.h"
#include "sys/clock.h"
#include "sys/fmt.h"
#include "results/check.h"
#include "results/lease.h"
#include "sys/datadir.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <signal.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench sweep FILE [--jobs N] [--resume] [--dry-run] [--db FILE] [--speed-pass N]\n"
            "                       [KEY=VALUE ...]\n\n"
            "Expand a sweep file into its grid (the product of every key given several\n"
            "space-separated values) and run every cell, storing each run. Sweeps of one\n"
            "file running at once share its cells: none runs a cell another is running or\n"
            "stored since it started.\n\n"
            "  --jobs N      cells run in parallel processes, each with its share of the cores (default 1)\n"
            "  --resume      skip cells already finished (or diverged) in the database; refuse a\n"
            "                database sharebench check finds damaged\n"
            "  --dry-run     list the cells, whether each is done and which would not fit in memory; run\n"
            "                nothing (exit 0 even when the sweep would be refused for memory)\n"
            "  --db FILE     results database (default results/sharebench.db)\n"
            "  --threads N   threads per cell (default: cores / jobs)\n"
            "  --mem-budget SIZE  refuse the sweep when a cell (or --jobs cells at once) needs more\n"
            "                memory than SIZE (512M, 2G; default: the memory available)\n"
            "  --rank-timeout S  under mpirun: seconds a rank may stay silent before it is lost (default 120)\n"
            "  --speed-pass N  then time each configuration again, one at a time: N runs of\n"
            "                " SB_STR(SB_TIMING_STEPS) " steps each (no analyses), stored with speed_of naming the cell timed;\n"
            "                reports take speed from them, as no other cell shared the machine\n"
            "  --quiet       no progress, only failures; --verbose: also each cell's start and test metric\n"
            "  KEY=VALUE     override a key in every cell, e.g. steps=50\n\n"
            "FILE may also name a shipped sweep (smoke, albert-ablation, takase, ...). Progress goes to\n"
            "standard error: one updated line on a terminal, else a line per cell with the time elapsed\n"
            "and an estimate of the time left; the closing summary to standard output.\n\n"
            "Under mpirun or srun (the MPI build: make MPI=1), the cells spread over the ranks and\n"
            "rank 0 writes the database (README: Running on a cluster).\n\n"
            "example: sharebench sweep bench/sweeps/albert-ablation.ini --jobs 2 --resume\n"
            "         sharebench sweep smoke --jobs 2 --resume --speed-pass 3\n"
            "         mpirun -np 8 build/mpi/sharebench sweep bench/sweeps/albert-ablation.ini --resume\n"
            "exit status: 0 every cell finished or diverged, 1 some cell failed, 2 bad input\n");
}

/* A child's exit status when its run could not be stored (disk full, database
** read-only or damaged): the next cells would fare no better, so the sweep
** stops. DONE_ELSEWHERE: another sweep stored the cell meanwhile (or its
** result, with --resume); HELD: a live process holds its lease. */
enum { DIVERGED = 3, NOT_STORED = 4, DONE_ELSEWHERE = 5, HELD = 6 };

/* Run one cell in this (child) process and store it; the exit status is the
** result. after: the last run stored when the sweep started; verbose: a
** line with its test metric. */
static int child(const sb_spec *s, const char *db, int threads, long after, int resume, int verbose)
{
    char err[SB_ERR_LEN], cell[17], label[256];
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) _exit(SB_EXIT_CHECK);       /* the sweep died before we got here */
    sb_machine_threads(threads);
    sb_store *st = sb_store_open(db, 0, err, sizeof err);
    if (!st) { fprintf(stderr, "sharebench: sweep: %s\n", err); return NOT_STORED; }
    sb_spec_cell(s, cell);
    sb_spec_label(s, label, sizeof label);
    sb_lease_holder old;
    int took_over, lease = sb_lease_take(st, cell, s->sweep, after, resume, &old, &took_over, err, sizeof err);
    if (lease != SB_LEASE_TAKEN) {
        if (lease < 0) fprintf(stderr, "sharebench: sweep: %s\n", err);
        sb_store_close(st);
        return lease == SB_LEASE_DONE ? DONE_ELSEWHERE : lease == SB_LEASE_HELD ? HELD : NOT_STORED;
    }
    if (took_over)
        fprintf(stderr, "sweep: %s: taking over its cell from pid %ld on %s (lease taken %s; that process is gone)\n", label,
                old.pid, old.host, old.taken);
    int status;
    sb_run *r = sb_runner_execute(s, NULL, &status, err, sizeof err);
    if (!r) {   /* something checked before the sweep started changed since (a checkpoint removed) */
        fprintf(stderr, "sharebench: sweep: %s: %s\n", label, err);
        sb_lease_release(st, cell, err, sizeof err);
        sb_store_close(st);
        return SB_EXIT_USAGE;
    }
    long id = sb_store_commit(st, r, err, sizeof err);
    double test;
    if (verbose && id > 0 && !sb_run_metric_get(r, "test", &test))
        fprintf(stderr, "sweep: %s: test %.4f, stored as run %ld\n", label, test, id);
    sb_run_free(r);
    if (id < 0) { fprintf(stderr, "sharebench: sweep: %s\n", err); sb_store_close(st); return NOT_STORED; }
    /* stored: a lease left behind (the disk filled since) is stale once this process ends */
    if (sb_lease_release(st, cell, err, sizeof err)) fprintf(stderr, "sharebench: sweep: %s\n", err);
    sb_store_close(st);
    return status == SB_RUN_FAILED ? SB_EXIT_CHECK : status == SB_RUN_DIVERGED ? DIVERGED : SB_EXIT_OK;
}

/* What a queue of cells came to. stop: runs could not be stored, so the
** cells still queued were not started. */
typedef struct {
    long finished, elsewhere, held;
    int failed, diverged, stop;
} outcome;

/* What every cell of a queue is run with. */
typedef struct {
    const sb_spec *cells;
    long ncells;
    const char *db;
    long after;                 /* the last run stored when the sweep started */
    int resume, verbosity;
} queue_args;

/* Run the cells queue[0..nq) (indices into a->cells), up to jobs at a time
** with per threads each, progress on standard error. The queue has room for
** 2 * nq + 1 entries: a cell held by another sweep is tried once more at the
** end (its process may have died or finished by then). SB_EXIT_OK, or
** SB_EXIT_CHECK when a process could not be started. */
static int run_queue(const queue_args *a, long *queue, long nq, int jobs, int per, outcome *o)
{
    int tty = isatty(2), running = 0;
    long next = 0;
    pid_t pids[256];
    long pid_cell[256];
    double t0 = sb_now(), cell_start[256];
    char *retried = calloc((size_t)a->ncells + 1, 1);
    memset(o, 0, sizeof *o);
    if (!retried) { sb_usage_error("sweep: out of memory for %ld cells", a->ncells); return SB_EXIT_CHECK; }
    while (running > 0 || (!o->stop && next < nq)) {
        while (!o->stop && running < jobs && next < nq) {
            long i = queue[next++];
            fflush(NULL);
            pid_t p = fork();
            if (p < 0) { perror("sharebench: sweep: fork"); free(retried); return SB_EXIT_CHECK; }
            if (p == 0) _exit(child(&a->cells[i], a->db, per, a->after, a->resume, a->verbosity > 0));
            pids[running] = p;
            pid_cell[running] = i;
            cell_start[running] = sb_now();
            running++;
            if (a->verbosity > 0 && !tty) {
                char label[256];
                sb_spec_label(&a->cells[i], label, sizeof label);
                fprintf(stderr, "sweep: started %s\n", label);
            }
            if (tty && a->verbosity >= 0) {
                char label[256], el[32];
                sb_spec_label(&a->cells[i], label, sizeof label);
                sb_fmt_time(sb_now() - t0, el, sizeof el);
                fprintf(stderr, "\r\033[K[%ld/%ld done] running %s | %s elapsed", o->finished, nq, label, el);
                fflush(stderr);
            }
        }
        int ws;
        pid_t p = wait(&ws);
        if (p < 0) break;
        int k = 0;
        while (k < running && pids[k] != p) k++;
        if (k == running) continue;
        long c = pid_cell[k];
        double took = sb_now() - cell_start[k];
        pids[k] = pids[running - 1]; pid_cell[k] = pid_cell[running - 1]; cell_start[k] = cell_start[running - 1];
        running--;
        int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
        if (code == HELD && !retried[c]) {   /* once more at the end */
            retried[c] = 1;
            queue[nq++] = c;
            continue;
        }
        o->finished++;
        char label[256];
        sb_spec_label(&a->cells[c], label, sizeof label);
        if (code == DONE_ELSEWHERE || code == HELD) {
            if (code == DONE_ELSEWHERE) o->elsewhere++;
            else o->held++;
            if (!tty)
                fprintf(stderr, "sweep: %ld/%ld %s: %s\n", o->finished, nq,
                        code == DONE_ELSEWHERE ? "stored by another sweep meanwhile" : "running in another sweep, not here", label);
            continue;
        }
        const char *what = code == 0 ? "finished" : code == DIVERGED ? "diverged" : code == NOT_STORED ? "NOT STORED" : "FAILED";
        /* why, where a failure's reason is not in the line above it: a failed
        ** run's is in its record; a cell refused before it ran stored nothing */
        const char *why = code == SB_EXIT_USAGE ? " (not stored: the cell was refused before it ran; the message above says why)"
                          : code < 0 ? " (killed by a signal)"
                          : code > 0 && code != DIVERGED && code != NOT_STORED ? " (see the run's error in the database)" : "";
        if (code == DIVERGED) o->diverged++;
        else if (code != 0) o->failed++;
        char el[32], left[32];
        double elapsed = sb_now() - t0;
        sb_fmt_time(elapsed, el, sizeof el);
        sb_fmt_time(elapsed / o->finished * (nq - o->finished), left, sizeof left);
        int failure = code != 0 && code != DIVERGED;
        if (tty && failure)   /* failures stay on screen, even --quiet; the rest is one updated line */
            fprintf(stderr, "\r\033[K%s: %s (%.1f s)%s\n", what, label, took, why);
        if (tty && a->verbosity >= 0)
            fprintf(stderr, "\r\033[K[%ld/%ld done] %s %s (%.1f s) | %s elapsed, ~%s left%s", o->finished, nq, what, label, took,
                    el, left, o->finished == nq ? "\n" : "");
        else if (!tty && (a->verbosity >= 0 || failure))
            fprintf(stderr, "sweep: %ld/%ld %s: %s (%.1f s)%s | %s elapsed, ~%s left\n", o->finished, nq, what, label, took, why,
                    el, left);
        if (code == NOT_STORED && !o->stop) {
            o->stop = 1;
            fprintf(stderr, "%ssweep: stopping: runs cannot be stored in %s (the message above says why); the cells running "
                    "finish, no more start; fix that and run the sweep again with --resume\n", tty ? "\r\033[K" : "", a->db);
        }
        fflush(stderr);
    }
    if (tty && a->verbosity >= 0 && o->finished != nq) fputc('\n', stderr);   /* the progress line of a stopped sweep */
    free(retried);
    return SB_EXIT_OK;
}

/* The outcome of a queue of nq cells ("cells", "timing runs"): standard output. */
static void say_outcome(const char *sweep, const char *what, long nq, const outcome *o, const char *db)
{
    long ran = o->finished - o->elsewhere - o->held;
    printf("sweep %s: %ld %s run: %ld finished, %d diverged, %d failed", sweep, ran, what, ran - o->diverged - o->failed,
           o->diverged, o->failed);
    if (o->elsewhere) printf("; %ld stored by another sweep meanwhile", o->elsewhere);
    if (o->held) printf("; %ld running in another sweep (not run here)", o->held);
    if (o->stop) printf("; %ld not started", nq - o->finished);
    printf(" (%s)\n", db);
    fflush(stdout);
}

/* --speed-pass: the timing cells, appended to *cells after its n cells: for
** each configuration of the sweep (its cells but for the seed), `loops` short
** timing runs (sb_runner_timing_spec, seeds 1..loops) that name the
** configuration's first cell in speed_of. They run one at a time after the
** sweep's cells, so no other cell of the sweep shares the machine while they
** are timed; reports take speed from them (runset.h). The number of cells
** now, or -1 with a message. */
static long add_speed_cells(sb_spec **cells, long n, int loops, char *err, size_t errlen)
{
    char (*conf)[17] = malloc(sizeof *conf * (size_t)n);
    long *first = malloc(sizeof *first * (size_t)n), nconf = 0, total = -1;
    sb_spec *c = malloc(sizeof *c);
    if (!conf || !first || !c) { snprintf(err, errlen, "out of memory for %ld cells", n); goto done; }
    for (long i = 0; i < n; i++) {
        char key[17];
        *c = (*cells)[i];
        sb_spec_set(c, "seed", "0", err, errlen);
        sb_spec_cell(c, key);
        long j = 0;
        while (j < nconf && strcmp(conf[j], key)) j++;
        if (j == nconf) { memcpy(conf[nconf], key, sizeof key); first[nconf++] = i; }
    }
    sb_spec *more = realloc(*cells, sizeof *more * (size_t)(n + nconf * loops));
    if (!more) { snprintf(err, errlen, "out of memory for %ld cells", n + nconf * loops); goto done; }
    *cells = more;
    total = n;
    for (long j = 0; j < nconf; j++)
        for (int l = 1; l <= loops; l++) {
            char of[17], label[256], why[SB_ERR_LEN];
            sb_spec *s = &more[total];
            *s = more[first[j]];
            sb_spec_cell(&more[first[j]], of);
            if (sb_spec_set(s, "speed_of", of, why, sizeof why) || sb_runner_timing_spec(s, l, why, sizeof why)) {
                sb_spec_label(&more[first[j]], label, sizeof label);
                snprintf(err, errlen, "--speed-pass: %.200s: %.280s", label, why);
                total = -1;
                goto done;
            }
            total++;
        }
done:
    free(conf);
    free(first);
    free(c);
    return total;
}

int sb_cmd_sweep(int argc, char **argv)
{
    static const struct option opts[] = {
        { "jobs", required_argument, NULL, 'j' }, { "resume", no_argument, NULL, 'r' },
        { "dry-run", no_argument, NULL, 'n' }, { "db", required_argument, NULL, 'd' },
        { "threads", required_argument, NULL, 't' }, { "mem-budget", required_argument, NULL, 'm' },
        { "rank-timeout", required_argument, NULL, 'T' }, { "cell-child", required_argument, NULL, 'C' },
        { "quiet", no_argument, NULL, 'q' }, { "verbose", no_argument, NULL, 'v' },
        { "speed-pass", required_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
    };
    char err[SB_ERR_LEN], *end;
    const char *db = SB_DEFAULT_DB, *cell_child = NULL;
    int opt, jobs = 1, resume = 0, dry = 0, threads = 0, speed_loops = 0;
    long v;
    double budget = 0, rank_timeout = 120;
    sb_cli_opts co;
    sb_cli_opts_init(&co, "sweep", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return SB_EXIT_USAGE;
        switch (opt) {
        case 'h': help(stdout); return SB_EXIT_OK;
        case 'j':
            if (sb_cli_parse_long(optarg, 1, 256, &v)) return sb_usage_error("sweep: --jobs '%s': expected a whole number from 1 to 256", optarg);
            jobs = (int)v;
            break;
        case 't':
            if (sb_cli_parse_long(optarg, 1, 4096, &v)) return sb_usage_error("sweep: --threads '%s': expected a whole number from 1 to 4096", optarg);
            threads = (int)v;
            break;
        case 'm':
            if (sb_budget_parse_size(optarg, &budget))
                return sb_usage_error("sweep: --mem-budget '%s': expected a size such as 512M, 2G or 1.5GiB", optarg);
            break;
        case 'T':
            rank_timeout = strtod(optarg, &end);
            if (*end || !(rank_timeout >= 1 && rank_timeout <= 86400))
                return sb_usage_error("sweep: --rank-timeout '%s': expected seconds from 1 to 86400", optarg);
            break;
        case 'S':
            if (sb_cli_parse_long(optarg, 2, 20, &v))
                return sb_usage_error("sweep: --speed-pass '%s': expected timing runs per configuration from 2 to 20", optarg);
            speed_loops = (int)v;
            break;
        case 'C': cell_child = optarg; break;
        case 'r': resume = 1; break;
        case 'n': dry = 1; break;
        case 'd': db = optarg; break;
        }
    }
    int verbosity = sb_cli_verbosity(&co);
    if (verbosity == SB_VERBOSITY_BAD) return SB_EXIT_USAGE;
    if (optind >= argc) return sb_usage_error("sweep: no sweep file given (see sharebench sweep --help)");
    const char *file = argv[optind++];
    /* a shipped sweep by its name, when no such file is here */
    char shipped[SB_PATH_LEN + 32], item[SB_PATH_LEN];
    if (access(file, F_OK) && !strchr(file, '/') && strlen(file) < 128) {
        snprintf(item, sizeof item, "sweeps/%s%s", file, strstr(file, ".ini") ? "" : ".ini");
        if (!sb_data_path(item, shipped, sizeof shipped, err, sizeof err)) file = shipped;
    }
    if (sb_cli_assignments_once("sweep", argv + optind, argc - optind)) return SB_EXIT_USAGE;
    sb_grid *g = sb_grid_load(file, err, sizeof err);
    if (!g) return sb_usage_error("sweep: %s", err);
    for (int i = optind; i < argc; i++)
        if (sb_grid_override(g, argv[i], err, sizeof err)) { sb_grid_free(g); return sb_usage_error("sweep: %s", err); }
    /* a cell's process under a distributed sweep (mpi_sweep.h) */
    if (cell_child) { int crc = sb_mpi_sweep_cell(g, cell_child); sb_grid_free(g); return crc; }
    int mpi = sb_mpi_launched() && !dry && (sb_mpi_built() || sb_mpi_launched_size() != 1);
    if (mpi && co.seen['j']) { sb_grid_free(g); return sb_usage_error("sweep: --jobs is for one machine; under mpirun, start more ranks"); }
    if (mpi && speed_loops) {
        sb_grid_free(g);
        return sb_usage_error("sweep: --speed-pass times one cell at a time on one machine; run it without mpirun");
    }
    if (dry && sb_mpi_launched_rank() > 0) { sb_grid_free(g); return SB_EXIT_OK; }   /* rank 0 lists the cells */
    long n = sb_grid_count(g), ncells = n;
    sb_spec *cells = calloc((size_t)n, sizeof *cells);
    char *done = calloc((size_t)n, 1), *over = calloc((size_t)n, 1);
    /* what opening each distinct task and model found (models[k] first built
    ** by cell model_cell[k]), and each cell's */
    sb_runner_plan *models = calloc((size_t)n, sizeof *models);
    long *model_cell = calloc((size_t)n, sizeof *model_cell), nmodels = 0;
    const sb_runner_plan **plan_of = calloc((size_t)n, sizeof *plan_of);
    int rc = SB_EXIT_USAGE;
    sb_store *st = NULL;
    if (!cells || !done || !over || !models || !model_cell || !plan_of) { sb_usage_error("sweep: out of memory for %ld cells", n); goto out; }
    /* every cell checked before anything runs: a typo in the last cell fails
    ** now; a cell building an earlier cell's model skips only opening its task */
    for (long i = 0; i < n; i++) {
        char label[256];
        if (sb_grid_cell(g, i, &cells[i], err, sizeof err)) { sb_usage_error("sweep: %s: cell %ld: %s", file, i + 1, err); goto out; }
        long k = 0;
        while (k < nmodels && !sb_spec_same_model(&cells[model_cell[k]], &cells[i])) k++;
        int bad = k < nmodels ? sb_runner_check_same(&cells[i], &models[k], err, sizeof err)
                              : sb_runner_check(&cells[i], &models[k], err, sizeof err);
        if (bad) {
            sb_spec_label(&cells[i], label, sizeof label);
            sb_usage_error("sweep: %s: cell %ld (%s): %s", file, i + 1, label, err);
            goto out;
        }
        if (k == nmodels) model_cell[nmodels++] = i;
        plan_of[i] = &models[k];
    }
    if (speed_loops && (ncells = add_speed_cells(&cells, n, speed_loops, err, sizeof err)) < 0) {
        sb_usage_error("sweep: %s: %s", file, err);
        goto out;
    }
    char *all_done = realloc(done, (size_t)ncells);
    if (!all_done) { sb_usage_error("sweep: out of memory for %ld cells", ncells); goto out; }
    done = all_done;
    sb_machine mc;
    sb_machine_read(&mc);
    int per = threads ? threads : (mc.cores / jobs > 0 ? mc.cores / jobs : 1);
    /* under mpirun each rank runs one cell at a time; rank 0 alone decides,
    ** so that ranks on hosts with less memory free cannot end the job apart */
    int refused = sb_mpi_launched_rank() == 0 &&
                  sb_memcheck_cells(cells, plan_of, n, mpi ? 1 : jobs, per, budget, dry ? over : NULL, err, sizeof err);
    if (refused && !dry) { sb_usage_error("sweep: %s: %s", file, err); goto out; }
    if (!dry && sb_mpi_launched_rank() <= 0) sb_cli_default_db_dir(db);
    if (mpi) {
        sb_mpi_sweep_args a = { g, cells, n, file, db, resume, threads, rank_timeout, argc, argv };
        rc = sb_mpi_sweep(&a);
        goto out;
    }
    /* --resume into a database `sharebench check` finds damaged would add
    ** runs to what cannot be trusted */
    if (resume && sb_check_damaged(db, err, sizeof err)) { sb_usage_error("sweep: --resume: %s", err); goto out; }
    if (!dry || access(db, F_OK) == 0) {
        st = sb_store_open(db, dry, err, sizeof err);
        if (!st) { sb_usage_error("sweep: %s", err); goto out; }
    }
    long after = st ? sb_lease_last_run(st, err, sizeof err) : 0;
    if (after < 0) { sb_usage_error("sweep: %s", err); goto out; }
    long pending = 0;
    for (long i = 0; i < ncells; i++) {
        char cell[17];
        sb_spec_cell(&cells[i], cell);
        int has = st && resume ? sb_store_has_cell(st, cell, err, sizeof err) : 0;
        if (has < 0) { sb_usage_error("sweep: %s", err); goto out; }
        done[i] = (char)has;
        pending += !has;
    }
    if (dry) {
        for (long i = 0; i < ncells; i++) {
            char cell[17], what[512], state[400] = "";
            sb_lease_holder h;
            sb_spec_cell(&cells[i], cell);
            if (i < n) sb_grid_describe(g, i, what, sizeof what);
            else {
                char label[256];
                sb_spec_label(&cells[i], label, sizeof label);
                snprintf(what, sizeof what, "speed pass: %s", label);
            }
            int held = !done[i] && st ? sb_lease_holder_of(st, cell, &h, err, sizeof err) : 0;
            if (held < 0) { sb_usage_error("sweep: %s", err); goto out; }
            if (held) snprintf(state, sizeof state, "  (running: pid %ld on %s since %s)", h.pid, h.host, h.taken);
            printf("%4ld  %s  %-7s  %s%s%s\n", i + 1, cell, done[i] ? "done" : "pending", what[0] ? what : cells[i].task,
                   i < n && over[i] ? "  (does not fit in memory)" : "", state);
        }
        printf("%ld cells, %ld to run%s\n", ncells, pending, resume ? "" : " (without --resume every cell runs)");
        if (refused) printf("the sweep would be refused: %s\n", err);
        rc = SB_EXIT_OK;
        goto out;
    }
    sb_store_close(st);   /* children open their own connections (none may cross a fork) */
    st = NULL;
    /* the sweep's cells, up to --jobs at a time; then the timing runs, one at a time */
    long *queue = calloc(2 * (size_t)ncells + 1, sizeof *queue), nq = 0;
    if (!queue) { sb_usage_error("sweep: out of memory for %ld cells", ncells); goto out; }
    for (long i = 0; i < n; i++)
        if (!done[i]) queue[nq++] = i;
    outcome o;
    queue_args qa = { cells, ncells, db, after, resume, verbosity };
    if (verbosity >= 0)
        fprintf(stderr, "sweep %s: %ld cells, %ld to run, %d job%s of %d thread%s, into %s\n", sb_grid_name(g), n, nq, jobs,
                jobs > 1 ? "s" : "", per, per > 1 ? "s" : "", db);
    rc = run_queue(&qa, queue, nq, jobs, per, &o);
    if (rc == SB_EXIT_OK && (verbosity >= 0 || o.failed || o.stop)) say_outcome(sb_grid_name(g), "cells", nq, &o, db);
    if (rc == SB_EXIT_OK && ncells > n && !o.stop) {
        int failed = o.failed;
        nq = 0;
        for (long i = n; i < ncells; i++)
            if (!done[i]) queue[nq++] = i;
        if (verbosity >= 0)
            fprintf(stderr, "sweep %s: speed pass: %ld timing runs of %d steps, %ld to run, one at a time with %d thread%s\n",
                    sb_grid_name(g), ncells - n, SB_TIMING_STEPS, nq, per, per > 1 ? "s" : "");
        rc = run_queue(&qa, queue, nq, 1, per, &o);
        if (rc == SB_EXIT_OK && (verbosity >= 0 || o.failed || o.stop)) say_outcome(sb_grid_name(g), "timing runs", nq, &o, db);
        o.failed += failed;
    }
    free(queue);
    if (rc == SB_EXIT_OK) rc = o.failed ? SB_EXIT_CHECK : SB_EXIT_OK;
out:
    sb_store_close(st);
    free(cells);
    free(done);
    free(over);
    free(models);
    free(model_cell);
    free(plan_of);
    sb_grid_free(g);
    return rc;
}
