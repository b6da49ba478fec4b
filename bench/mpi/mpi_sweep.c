/*
** mpi_sweep.c: distributed sweeps (see mpi_sweep.h). Rank 0 schedules and
** stores; every rank runs cells in processes of their own.
**
** Messages (MPI_COMM_WORLD duplicated, so nothing else matches them):
**   worker -> 0  TAG_RESULT  header {cell, exit code, seconds} + the packed run;
**                            cell -1 says "ready" and carries no run
**   worker -> 0  TAG_ALIVE   a sign of life while a cell runs
**   0 -> worker  TAG_ASSIGN  the next cell, or -1: stop
** Waiting is polling with short sleeps (MPI_Iprobe, MPI_Test, poll on the
** cell's pipe), never a blocking MPI call: Open MPI's blocking calls spin a
** core, which the cells' own threads need. Rank 0 takes each cell's lease
** (lease.h) before handing it out and gives it back once its run is stored,
** so a local sweep of the same file running meanwhile shares the cells.
*/
#include "mpi_sweep.h"
#include "cli/cli.h"
#include "sys/machine.h"
#include "mpienv.h"
#include "run/runner.h"
#include "results/store.h"
#include "results/runpack.h"
#include "sys/clock.h"
#include "sys/fmt.h"
#include "results/lease.h"
#include "results/check.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#ifdef SB_MPI
#include <mpi.h>
#endif

/* The file descriptor on which a cell's process writes its run. */
#define RECORD_FD 3

/* Exit statuses of a cell's process, as a local sweep's children use them. */
enum { CELL_DIVERGED = 3, CELL_NOT_STARTED = 127 };

int sb_mpi_sweep_cell(const sb_grid *g, const char *cell_threads)
{
    char err[SB_ERR_LEN], *end;
    long i = strtol(cell_threads, &end, 10);
    long threads = *end == ':' ? strtol(end + 1, &end, 10) : -1;
    sb_spec s;
    if (*end || i < 0 || i >= sb_grid_count(g) || threads < 1 || threads > 4096)
        return sb_usage_error("sweep: --cell-child '%s': expected CELL:THREADS with CELL below %ld", cell_threads,
                              sb_grid_count(g));
    if (sb_grid_cell(g, i, &s, err, sizeof err)) return sb_usage_error("sweep: cell %ld: %s", i + 1, err);
    sb_machine_threads((int)threads);
    int status;
    sb_run *r = sb_runner_execute(&s, NULL, &status, err, sizeof err);
    if (!r) return sb_usage_error("sweep: cell %ld: %s", i + 1, err);
    size_t len = 0;
    unsigned char *buf = sb_run_pack(r, &len);
    sb_run_free(r);
    if (!buf) { fprintf(stderr, "sharebench: sweep: cell %ld: out of memory packing its run\n", i + 1); return SB_EXIT_CHECK; }
    for (size_t at = 0; at < len;) {
        ssize_t w = write(RECORD_FD, buf + at, len - at);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            fprintf(stderr, "sharebench: sweep: cell %ld: cannot hand its run to its rank: %s\n", i + 1, strerror(errno));
            free(buf);
            return SB_EXIT_CHECK;
        }
        at += (size_t)w;
    }
    free(buf);
    return status == SB_RUN_FAILED ? SB_EXIT_CHECK : status == SB_RUN_DIVERGED ? CELL_DIVERGED : SB_EXIT_OK;
}

#ifndef SB_MPI

int sb_mpi_sweep(const sb_mpi_sweep_args *a)
{
    char err[SB_ERR_LEN];
    (void)a;
    sb_mpi_start(err, sizeof err);
    return sb_usage_error("sweep: %s", err);
}

#else

enum { TAG_RESULT = 1, TAG_ALIVE, TAG_ASSIGN };
enum { IDLE = -1, STOPPED = -2 };   /* a worker's cell when it runs none */

typedef struct {
    int64_t cell;
    int32_t code;       /* exit status of the cell's process, or -signal */
    int32_t pad;
    double seconds;
} result_header;

/* One cell running in a process of its own on this rank. */
typedef struct {
    pid_t pid;
    int fd;             /* the pipe's read end, -1 at its end */
    long cell;          /* IDLE when none runs */
    double start;
    unsigned char *buf; /* the packed run read so far */
    size_t len, cap;
} slot;

static void nap(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Start cell i in a fresh sharebench (exec, not only fork: a forked copy of an
** MPI process is not safe on every network, and a fresh process measures its
** own peak memory). Its arguments: the sweep's, with --cell-child first. */
static int spawn(slot *s, long i, int threads, int argc, char **argv)
{
    int fds[2];
    char which[64];
    snprintf(which, sizeof which, "%ld:%d", i, threads);
    char **args = calloc((size_t)argc + 5, sizeof *args);
    if (!args || pipe2(fds, O_CLOEXEC)) { free(args); return -1; }
    int k = 0;
    args[k++] = "sharebench";
    args[k++] = argv[0];                 /* "sweep" */
    args[k++] = "--cell-child";
    args[k++] = which;
    for (int j = 1; j < argc; j++) args[k++] = argv[j];
    args[k] = NULL;
    fflush(NULL);
    pid_t rank = getpid(), p = fork();
    if (p == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* kept across exec: the cell dies with its rank */
        if (getppid() != rank) _exit(CELL_NOT_STARTED);   /* the rank died before prctl */
        if ((fds[1] == RECORD_FD ? fcntl(RECORD_FD, F_SETFD, 0) : dup2(fds[1], RECORD_FD)) < 0) _exit(CELL_NOT_STARTED);
        execv("/proc/self/exe", args);
        _exit(CELL_NOT_STARTED);
    }
    free(args);
    close(fds[1]);
    if (p < 0) { close(fds[0]); return -1; }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    *s = (slot){ .pid = p, .fd = fds[0], .cell = i, .start = sb_now() };
    return 0;
}

/* Read what the cell's process wrote, waiting up to ms for something. Returns
** 1 when it has ended (its exit code in *code), 0 while it runs. */
static int poll_slot(slot *s, int ms, int *code)
{
    if (s->fd >= 0) {
        struct pollfd pf = { s->fd, POLLIN, 0 };
        if (poll(&pf, 1, ms) > 0)
            for (;;) {
                if (s->len == s->cap) {
                    size_t c = s->cap ? s->cap * 2 : 65536;
                    unsigned char *q = realloc(s->buf, c);
                    if (!q) break;   /* keep reading later; the record will be refused if cut */
                    s->buf = q;
                    s->cap = c;
                }
                ssize_t n = read(s->fd, s->buf + s->len, s->cap - s->len);
                if (n > 0) { s->len += (size_t)n; continue; }
                if (n == 0) { close(s->fd); s->fd = -1; }
                break;   /* EAGAIN: nothing more now */
            }
        if (s->fd >= 0) return 0;
    } else if (ms > 0)
        nap(ms);
    int ws;
    pid_t p = waitpid(s->pid, &ws, WNOHANG);
    if (p == 0) return 0;
    *code = p < 0 ? CELL_NOT_STARTED : WIFEXITED(ws) ? WEXITSTATUS(ws) : -WTERMSIG(ws);
    return 1;
}

static void slot_clear(slot *s)
{
    free(s->buf);
    *s = (slot){ .fd = -1, .cell = IDLE };
}

/* Wait for a nonblocking send to complete, up to timeout seconds. 0, or -1. */
static int wait_send(MPI_Request *rq, double timeout)
{
    double t0 = sb_now();
    int done = 0;
    while (MPI_Test(rq, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done) {
        if (sb_now() - t0 > timeout) return -1;
        nap(1);
    }
    return done ? 0 : -1;
}

/* ---- rank 0: schedule and store ---- */

typedef struct {
    const sb_mpi_sweep_args *a;
    MPI_Comm comm;
    int ranks;
    char (*host)[64];       /* each rank's node */
    const char *pending;    /* 1 per cell still to run */
    long next;              /* the next cell to look at */
    long to_run, done, finished, diverged, failed, lost, elsewhere, held;
    int stop;               /* a run could not be stored: no more cells start */
    double t0;
    sb_store *st;
    long after;             /* the last run stored when the sweep started */
} coordinator;

/* The next cell whose lease rank 0 takes: cells another sweep stored
** meanwhile, or is running now, are passed over and said so. */
static long next_cell(coordinator *c)
{
    while (!c->stop && c->next < c->a->n) {
        long i = c->next++;
        if (!c->pending[i]) continue;
        char cell[17], label[256], err[SB_ERR_LEN];
        sb_lease_holder h;
        int over;
        sb_spec_cell(&c->a->cells[i], cell);
        sb_spec_label(&c->a->cells[i], label, sizeof label);
        int l = sb_lease_take(c->st, cell, c->a->cells[i].sweep, c->after, c->a->resume, &h, &over, err, sizeof err);
        if (l == SB_LEASE_TAKEN) {
            if (over)
                fprintf(stderr, "sweep: %s: taking over its cell from pid %ld on %s (lease taken %s; that process is gone)\n",
                        label, h.pid, h.host, h.taken);
            return i;
        }
        if (l < 0) {
            c->stop = 1;
            fprintf(stderr, "sharebench: sweep: %s\nsweep: stopping: no more cells start; fix that and run the sweep again with "
                    "--resume\n", err);
            break;
        }
        c->to_run--;
        if (l == SB_LEASE_DONE) c->elsewhere++;
        else c->held++;
        fprintf(stderr, "sweep: %s: %s\n", label,
                l == SB_LEASE_DONE ? "stored by another sweep meanwhile" : "running in another sweep, not here");
    }
    return -1;
}

/* Store a cell's run (when it sent one) and report the cell. A run that
** cannot be stored (disk full, database read-only or damaged) stops the
** sweep, as a local sweep stops: the next cells would fare no better. */
static void store_result(coordinator *c, int from, const result_header *h, const void *run, size_t len)
{
    char err[SB_ERR_LEN] = "", label[256], el[32], left[32];
    const char *what = h->code == 0 ? "finished" : h->code == CELL_DIVERGED ? "diverged" : "FAILED";
    int not_stored = 0;
    sb_run *r = NULL;
    if (len && !(r = sb_run_unpack(run, len, err, sizeof err))) what = "FAILED";
    else if (!len && h->code == SB_EXIT_USAGE)
        snprintf(err, sizeof err, "not stored: the cell was refused before it ran; its rank printed why");
    else if (!len && h->code >= 0 && h->code != CELL_NOT_STARTED) {
        snprintf(err, sizeof err, "its process sent no run");
        what = "FAILED";
    }
    if (r && sb_store_commit(c->st, r, err, sizeof err) < 0) what = "NOT STORED", not_stored = 1;
    sb_run_free(r);
    char cell[17], lerr[SB_ERR_LEN];
    sb_spec_cell(&c->a->cells[h->cell], cell);
    if (sb_lease_release(c->st, cell, lerr, sizeof lerr) && !not_stored) fprintf(stderr, "sharebench: sweep: %s\n", lerr);
    if (h->code < 0) snprintf(err, sizeof err, "its process was killed by signal %d", -h->code);
    else if (h->code == CELL_NOT_STARTED) snprintf(err, sizeof err, "its process could not be started");
    c->done++;
    if (!strcmp(what, "finished")) c->finished++;
    else if (!strcmp(what, "diverged")) c->diverged++;
    else c->failed++;
    sb_spec_label(&c->a->cells[h->cell], label, sizeof label);
    double elapsed = sb_now() - c->t0;
    sb_fmt_time(elapsed, el, sizeof el);
    sb_fmt_time(c->done < c->to_run ? elapsed / c->done * (c->to_run - c->done) : 0, left, sizeof left);
    fprintf(stderr, "sweep: %ld/%ld %s: %s (%.1f s) on rank %d (%s)%s%s%s | %s elapsed, ~%s left\n", c->done, c->to_run,
            what, label, h->seconds, from, c->host[from], err[0] ? " (" : "", err, err[0] ? ")" : "", el, left);
    if (not_stored && !c->stop) {
        c->stop = 1;
        fprintf(stderr, "sweep: stopping: runs cannot be stored in %s (the message above says why); the cells running "
                "finish, no more start; fix that and run the sweep again with --resume\n", c->a->db);
    }
    fflush(stderr);
}

static int coordinate(coordinator *c)
{
    const sb_mpi_sweep_args *a = c->a;
    int threads = a->threads ? a->threads : sb_mpi_threads_per_rank();
    long *cell = calloc((size_t)c->ranks, sizeof *cell);
    double *heard = calloc((size_t)c->ranks, sizeof *heard);
    char *lost = calloc((size_t)c->ranks, 1);
    slot own = { .fd = -1, .cell = IDLE };
    int own_stopped = 0, rc;
    unsigned char *msg = NULL;
    size_t msgcap = 0;
    if (!cell || !heard || !lost) { fprintf(stderr, "sharebench: sweep: out of memory\n"); sb_mpi_abort(SB_EXIT_CHECK); }
    for (int w = 1; w < c->ranks; w++) cell[w] = IDLE, heard[w] = sb_now();
    for (;;) {
        int busy = 0, code;
        /* this rank's own cell */
        if (own.cell == IDLE && !own_stopped) {
            long i = next_cell(c);
            if (i < 0) own_stopped = 1;
            else if (spawn(&own, i, threads, a->argc, a->argv)) {
                result_header h = { i, CELL_NOT_STARTED, 0, 0 };
                store_result(c, 0, &h, NULL, 0);
            }
        }
        if (own.cell != IDLE && poll_slot(&own, 0, &code)) {
            result_header h = { own.cell, code, 0, sb_now() - own.start };
            store_result(c, 0, &h, own.buf, own.len);
            slot_clear(&own);
            busy = 1;
        }
        /* the workers' messages */
        int flag;
        MPI_Status ms;
        while (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, c->comm, &flag, &ms) == MPI_SUCCESS && flag) {
            int n, w = ms.MPI_SOURCE;
            MPI_Get_count(&ms, MPI_BYTE, &n);
            if ((size_t)n > msgcap) {
                unsigned char *q = realloc(msg, (size_t)n);
                if (!q) { fprintf(stderr, "sharebench: sweep: out of memory for a run of %d bytes\n", n); sb_mpi_abort(SB_EXIT_CHECK); }
                msg = q;
                msgcap = (size_t)n;
            }
            MPI_Recv(msg, n, MPI_BYTE, w, ms.MPI_TAG, c->comm, MPI_STATUS_IGNORE);
            heard[w] = sb_now();
            busy = 1;
            if (lost[w]) {
                lost[w] = 0;
                c->lost--;
                fprintf(stderr, "sweep: rank %d (%s) is back\n", w, c->host[w]);
            }
            if (ms.MPI_TAG != TAG_RESULT || (size_t)n < sizeof(result_header)) continue;
            result_header h;
            memcpy(&h, msg, sizeof h);
            if (h.cell >= 0 && h.cell < a->n) store_result(c, w, &h, msg + sizeof h, (size_t)n - sizeof h);
            int64_t next = next_cell(c);
            MPI_Send(&next, 1, MPI_INT64_T, w, TAG_ASSIGN, c->comm);   /* small: sent at once, never waits */
            cell[w] = next >= 0 ? next : STOPPED;
            heard[w] = sb_now();
        }
        /* ranks silent too long */
        int open = own.cell != IDLE || !own_stopped;
        for (int w = 1; w < c->ranks; w++) {
            if (cell[w] == STOPPED || lost[w]) continue;
            open = 1;
            if (sb_now() - heard[w] > a->rank_timeout) {
                char label[256] = "no cell";
                if (cell[w] >= 0) sb_spec_label(&a->cells[cell[w]], label, sizeof label);
                lost[w] = 1;
                c->lost++;
                fprintf(stderr, "sweep: LOST rank %d (%s): no sign of life for %.0f s; its cell is missing: %s\n", w,
                        c->host[w], a->rank_timeout, label);
                fflush(stderr);
            }
        }
        if (!open) break;
        if (!busy) {
            if (own.cell != IDLE && own.fd >= 0) poll(&(struct pollfd){ own.fd, POLLIN, 0 }, 1, 10);
            else nap(10);
        }
    }
    for (int w = 1; w < c->ranks; w++)
        if (lost[w] && cell[w] >= 0) {
            char label[256];
            sb_spec_label(&a->cells[cell[w]], label, sizeof label);
            fprintf(stderr, "sweep: missing (rank %d on %s was lost): %s; run the sweep again with --resume to run it\n",
                    w, c->host[w], label);
        }
    /* the outcome: standard output, as a local sweep's */
    printf("sweep %s: %ld cells run: %ld finished, %ld diverged, %ld failed", sb_grid_name(a->grid), c->done, c->finished,
           c->diverged, c->failed);
    if (c->elsewhere) printf("; %ld stored by another sweep meanwhile", c->elsewhere);
    if (c->held) printf("; %ld running in another sweep (not run here)", c->held);
    if (c->stop) printf("; %ld not started", c->to_run - c->done);
    printf("; %ld rank%s lost\n", c->lost, c->lost == 1 ? "" : "s");
    fflush(stdout);
    rc = c->failed || c->lost ? SB_EXIT_CHECK : SB_EXIT_OK;
    free(msg);
    free(cell);
    free(heard);
    free(lost);
    return rc;
}

/* ---- the other ranks: run what rank 0 hands out ---- */

static int work(const sb_mpi_sweep_args *a, MPI_Comm comm)
{
    int threads = a->threads ? a->threads : sb_mpi_threads_per_rank();
    double beat = a->rank_timeout / 10;
    if (beat > 10) beat = 10;
    if (beat < 0.2) beat = 0.2;
    result_header h = { -1, 0, 0, 0 };
    unsigned char *out = NULL;
    size_t outlen = sizeof h;
    slot s = { .fd = -1, .cell = IDLE };
    for (;;) {
        /* the result of the last cell (or "ready"), then the next cell */
        unsigned char *msg = malloc(outlen);
        if (!msg) { fprintf(stderr, "sharebench: sweep: rank %d: out of memory\n", sb_mpi_rank()); sb_mpi_abort(SB_EXIT_CHECK); }
        memcpy(msg, &h, sizeof h);
        if (outlen > sizeof h) memcpy(msg + sizeof h, out, outlen - sizeof h);
        MPI_Request rq;
        MPI_Isend(msg, (int)outlen, MPI_BYTE, 0, TAG_RESULT, comm, &rq);
        if (wait_send(&rq, a->rank_timeout)) {
            fprintf(stderr, "sharebench: sweep: rank %d: rank 0 took no result for %.0f s; ending the job\n",
                    sb_mpi_rank(), a->rank_timeout);
            sb_mpi_abort(SB_EXIT_CHECK);
        }
        free(msg);
        slot_clear(&s);
        int64_t next;
        int flag = 0;
        double t0 = sb_now();
        while (MPI_Iprobe(0, TAG_ASSIGN, comm, &flag, MPI_STATUS_IGNORE) == MPI_SUCCESS && !flag) {
            if (sb_now() - t0 > a->rank_timeout) {
                fprintf(stderr, "sharebench: sweep: rank %d: rank 0 has not answered for %.0f s; ending the job\n",
                        sb_mpi_rank(), a->rank_timeout);
                sb_mpi_abort(SB_EXIT_CHECK);
            }
            nap(2);
        }
        MPI_Recv(&next, 1, MPI_INT64_T, 0, TAG_ASSIGN, comm, MPI_STATUS_IGNORE);
        if (next < 0 || next >= a->n) return SB_EXIT_OK;
        int code;
        if (spawn(&s, (long)next, threads, a->argc, a->argv)) {
            h = (result_header){ next, CELL_NOT_STARTED, 0, 0 };
            outlen = sizeof h;
            continue;
        }
        double last = sb_now();
        while (!poll_slot(&s, 20, &code))
            if (sb_now() - last >= beat) {
                char alive = 1;
                MPI_Send(&alive, 1, MPI_BYTE, 0, TAG_ALIVE, comm);   /* small: sent at once */
                last = sb_now();
            }
        h = (result_header){ next, code, 0, sb_now() - s.start };
        out = s.buf;
        outlen = sizeof h + s.len;
    }
}

/* FNV-1a over every cell's identity: ranks that read different files differ. */
static uint64_t cells_hash(const sb_mpi_sweep_args *a)
{
    uint64_t h = 1469598103934665603ull;
    for (long i = 0; i < a->n; i++) {
        char cell[17];
        sb_spec_cell(&a->cells[i], cell);
        for (const char *p = cell; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    }
    return h;
}

int sb_mpi_sweep(const sb_mpi_sweep_args *a)
{
    char err[SB_ERR_LEN];
    if (sb_mpi_start(err, sizeof err)) return sb_usage_error("sweep: %s", err);
    coordinator c = { .a = a, .ranks = sb_mpi_size(), .t0 = sb_now() };
    int rank = sb_mpi_rank(), ok = 1, rc = SB_EXIT_USAGE;
    char *pending = NULL, mine[64];
    uint64_t hash = cells_hash(a), *hashes = NULL;
    MPI_Comm_dup(MPI_COMM_WORLD, &c.comm);
    c.host = calloc((size_t)c.ranks, sizeof *c.host);
    hashes = calloc((size_t)c.ranks, sizeof *hashes);
    pending = calloc((size_t)(a->n > 0 ? a->n : 1), 1);
    if (!c.host || !hashes || !pending) { fprintf(stderr, "sharebench: sweep: out of memory\n"); sb_mpi_abort(SB_EXIT_CHECK); }
    snprintf(mine, sizeof mine, "%s", sb_mpi_host());
    MPI_Allgather(mine, 64, MPI_CHAR, c.host, 64, MPI_CHAR, c.comm);
    MPI_Gather(&hash, 1, MPI_UINT64_T, hashes, 1, MPI_UINT64_T, 0, c.comm);
    if (rank == 0) {
        for (int w = 1; w < c.ranks && ok; w++)
            if (hashes[w] != hash) {
                sb_usage_error("sweep: rank %d (on %s) reads %s as other cells than rank 0 (on %s): the sweep file and "
                               "the suites must be the same on every node", w, c.host[w], a->file, c.host[0]);
                ok = 0;
            }
        if (ok && a->resume && sb_check_damaged(a->db, err, sizeof err)) {
            sb_usage_error("sweep: --resume: %s", err);
            ok = 0;
        }
        if (ok && !(c.st = sb_store_open(a->db, 0, err, sizeof err))) {
            sb_usage_error("sweep: %s", err);
            ok = 0;
        }
        if (ok && (c.after = sb_lease_last_run(c.st, err, sizeof err)) < 0) {
            sb_usage_error("sweep: %s", err);
            ok = 0;
        }
        for (long i = 0; ok && i < a->n; i++) {
            char cell[17];
            sb_spec_cell(&a->cells[i], cell);
            int has = a->resume ? sb_store_has_cell(c.st, cell, err, sizeof err) : 0;
            if (has < 0) { sb_usage_error("sweep: %s", err); ok = 0; }
            pending[i] = !has;
            c.to_run += !has;
        }
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, c.comm);
    if (!ok) goto out;
    if (rank == 0) {
        int threads = a->threads ? a->threads : sb_mpi_threads_per_rank(), hosts = 0;
        for (int w = 0; w < c.ranks; w++) {
            int seen = 0;
            for (int v = 0; v < w && !seen; v++) seen = !strcmp(c.host[v], c.host[w]);
            hosts += !seen;
        }
        fprintf(stderr, "sweep %s: %ld cells, %ld to run, on %d rank%s (%d node%s), %d thread%s per cell on rank 0, "
                "into %s on rank 0\n", sb_grid_name(a->grid), a->n, c.to_run, c.ranks, c.ranks > 1 ? "s" : "", hosts,
                hosts > 1 ? "s" : "", threads, threads > 1 ? "s" : "", a->db);
        fflush(stderr);
        c.pending = pending;
        rc = coordinate(&c);
        if (c.lost) {
            /* MPI_Finalize waits for every rank, the lost ones too: end the job instead */
            fprintf(stderr, "sweep: ending the job without the lost rank%s (every run above is stored)\n", c.lost > 1 ? "s" : "");
            sb_store_close(c.st);
            sb_mpi_abort(rc);
        }
    } else
        rc = work(a, c.comm);
out:
    sb_store_close(c.st);
    free(c.host);
    free(hashes);
    free(pending);
    MPI_Comm_free(&c.comm);
    sb_mpi_finish();
    return rc;
}

#endif
