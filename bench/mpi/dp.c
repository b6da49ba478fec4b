/*
** dp.c: data-parallel training (see dp.h). The slicing and weighting are
** plain functions of the engine (tested without MPI in tests/test_dp.c); the
** reductions, the replica checks and the command are MPI, compiled with
** SB_MPI; without it the same code trains as one rank and communicates
** nothing. The engine is used only through its public calls (forward,
** backward, the gradient buffer, the AdamW step): it knows nothing of MPI.
*/
#include "dp.h"
#include "cli/cli.h"
#include "sys/machine.h"
#include "mpienv.h"
#include "run/runner.h"
#include "results/store.h"
#include "results/metrics.h"
#include "sys/clock.h"
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef SB_MPI
#include <mpi.h>
#endif

int sb_dp_slice(int B, int ranks, int rank, int *first, int *count, char *err, size_t errlen)
{
    if (ranks < 1 || rank < 0 || rank >= ranks || B < 1 || B % ranks) {
        snprintf(err, errlen, "batch %d does not split evenly across %d ranks (%d sequences each, %d left over); "
                 "use a batch that is a multiple of %d", B, ranks, ranks > 0 ? B / ranks : 0, ranks > 0 ? B % ranks : B, ranks);
        return -1;
    }
    *count = B / ranks;
    *first = rank * *count;
    return 0;
}

long sb_dp_scored(const int *targets, int rows, int T)
{
    long n = 0;
    for (long i = 0; i < (long)rows * T; i++) n += targets[i] >= 0;
    return n;
}

double sb_dp_local_step(sb_model *m, const int *tok, const int *typ, const int *tgt, int B, int T, int ranks, int rank)
{
    int first, count;
    char err[256];
    if (sb_dp_slice(B, ranks, rank, &first, &count, err, sizeof err)) return NAN;
    long off = (long)first * T, all = sb_dp_scored(tgt, B, T), mine = sb_dp_scored(tgt + off, count, T);
    real *g = sb_model_grads(m);
    long n = sb_model_n_params(m);
    if (!mine) {   /* nothing scored here: a zero contribution (the engine's loss over nothing is 0 too) */
        memset(g, 0, sizeof(real) * (size_t)n);
        return 0;
    }
    double loss = sb_model_forward(m, tok + off, typ ? typ + off : NULL, tgt + off, NULL, count, T);
    if (!isfinite(loss)) return NAN;
    sb_model_backward(m);
    double share = (double)mine / (double)all;
    real w = (real)share;
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) g[i] *= w;
    return share * loss;
}

/* ---- across the ranks ---- */

typedef struct {
    int ranks, rank;
    long steps, cap;          /* steps taken; room in comm_ms */
    double comm, *comm_ms;    /* seconds inside MPI_Allreduce, and per step */
    double grad_bytes, loss_bytes;   /* summed over the steps */
    int checked, reached;     /* replicas compared before the first step; training ended */
    char failure[SB_ERR_LEN]; /* replicas that differ before the first step */
#ifdef SB_MPI
    MPI_Comm comm_world;      /* a duplicate of the world: no other traffic matches ours */
#endif
} dp_ctx;

static void sum_doubles(dp_ctx *c, double *v, int n)
{
#ifdef SB_MPI
    if (c->ranks > 1) MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, c->comm_world);
#else
    (void)c; (void)v; (void)n;
#endif
}

static void sum_reals(dp_ctx *c, real *v, long n)
{
#ifdef SB_MPI
    MPI_Datatype t = sizeof(real) == sizeof(double) ? MPI_DOUBLE : MPI_FLOAT;
    for (long at = 0; c->ranks > 1 && at < n; at += 1L << 30) {   /* MPI counts are int */
        long k = n - at < (1L << 30) ? n - at : 1L << 30;
        MPI_Allreduce(MPI_IN_PLACE, v + at, (int)k, t, MPI_SUM, c->comm_world);
    }
#else
    (void)c; (void)v; (void)n;
#endif
}

#ifdef SB_MPI
/* FNV-1a over the parameter bytes: equal models give equal hashes. */
static uint64_t params_hash(sb_model *m)
{
    const unsigned char *p = (const unsigned char *)sb_model_params(m);
    size_t n = sizeof(real) * (size_t)sb_model_n_params(m);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

#endif

/* The first rank whose parameters differ from rank 0's, or -1 when all agree. */
static int replicas_differ(dp_ctx *c, sb_model *m)
{
#ifdef SB_MPI
    if (c->ranks == 1) return -1;
    uint64_t mine = params_hash(m), *all = calloc((size_t)c->ranks, sizeof *all);
    int bad = -1;
    if (!all) return 0;
    MPI_Allgather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, c->comm_world);
    for (int i = 1; i < c->ranks && bad < 0; i++)
        if (all[i] != all[0]) bad = i;
    free(all);
    return bad;
#else
    (void)c; (void)m;
    return -1;
#endif
}

static double dp_step(void *ctx, sb_model *m, sb_adamw *o, const int *tok, const int *typ, const int *tgt, int B,
                      int T, double *grad_norm)
{
    dp_ctx *c = ctx;
    *grad_norm = NAN;
    if (!c->checked) {
        c->checked = 1;
        int bad = replicas_differ(c, m);
        if (bad >= 0) {
            snprintf(c->failure, sizeof c->failure, "before the first step, rank %d's parameters differ from rank 0's "
                     "(a checkpoint that differs between nodes?)", bad);
            return NAN;
        }
    }
    if (c->failure[0]) return NAN;
    double loss = sb_dp_local_step(m, tok, typ, tgt, B, T, c->ranks, c->rank);
    long n = sb_model_n_params(m);
    double t = sb_now();
    sum_doubles(c, &loss, 1);   /* NaN anywhere is NaN everywhere: every rank stops together */
    if (isfinite(loss)) sum_reals(c, sb_model_grads(m), n);
    t = sb_now() - t;
    c->comm += t;
    c->loss_bytes += sizeof(double);
    if (isfinite(loss)) c->grad_bytes += (double)sizeof(real) * (double)n;
    if (c->steps < c->cap) c->comm_ms[c->steps] = 1e3 * t;
    c->steps++;
    if (!isfinite(loss)) return NAN;
    double norm = sb_adamw_step(o, m);   /* the same sum on every rank: the same update */
    *grad_norm = norm;
    return isfinite(norm) ? loss : NAN;
}

static int dp_trained(void *ctx, sb_model *m, int steps, sb_run *r, char *err, size_t errlen)
{
    dp_ctx *c = ctx;
    c->reached = 1;
    double range[2] = { c->comm, -c->comm };
#ifdef SB_MPI
    if (c->ranks > 1) MPI_Allreduce(MPI_IN_PLACE, range, 2, MPI_DOUBLE, MPI_MIN, c->comm_world);
#endif
    int bad = c->failure[0] ? -1 : replicas_differ(c, m);
    sb_put_metric(r, SB_M_DP_RANKS, c->ranks);
    if (c->steps > 0) {
        double bytes = (c->grad_bytes + c->loss_bytes) / c->steps;
        sb_put_metric(r, SB_M_DP_GRAD_BYTES_PER_STEP, c->grad_bytes / c->steps);
        sb_put_metric(r, SB_M_DP_BYTES_PER_STEP, bytes);
        sb_put_metric(r, SB_M_DP_RING_BYTES_PER_STEP, 2.0 * (c->ranks - 1) / c->ranks * bytes);
    }
    sb_put_metric(r, SB_M_DP_COMM_SECONDS, c->comm);
    sb_put_metric(r, SB_M_DP_COMM_SECONDS_MIN, range[0]);
    sb_put_metric(r, SB_M_DP_COMM_SECONDS_MAX, -range[1]);
    for (long i = 0; i < c->steps && i < c->cap && i < steps; i++) sb_put_point(r, SB_S_DP_COMM_MS, i, -1, -1, c->comm_ms[i]);
    if (c->failure[0]) {
        snprintf(err, errlen, "%s", c->failure);
        return -1;
    }
    if (bad >= 0) {
        snprintf(err, errlen, "after %d steps, rank %d's parameters differ from rank 0's (the ranks did not apply "
                 "the same updates)", steps, bad);
        return -1;
    }
    return 0;
}

/* Whether every rank may go on: ok on this rank, and rank 0's verdict for all
** (rank 0 alone opens the database, so it alone can find it unusable). */
static int all_ok(dp_ctx *c, int ok)
{
#ifdef SB_MPI
    if (c->ranks > 1) MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, c->comm_world);
#else
    (void)c;
#endif
    return ok;
}

int sb_dp_run(const sb_spec *spec, const char *db, int quiet)
{
    char err[SB_ERR_LEN], label[256];
    int launched = sb_mpi_launched(), rc = SB_EXIT_USAGE, first, count;
    if (launched && sb_mpi_start(err, sizeof err)) return sb_usage_error("run: --dp: %s", err);
    dp_ctx c = { .ranks = sb_mpi_size(), .rank = sb_mpi_rank() };
#ifdef SB_MPI
    if (launched) MPI_Comm_dup(MPI_COMM_WORLD, &c.comm_world);
#endif
    sb_spec s = *spec;
    sb_store *st = NULL;
    int root = c.rank == 0;
    /* the same on every rank: only rank 0 says it */
    if (sb_dp_slice(s.batch, c.ranks, c.rank, &first, &count, err, sizeof err)) {
        if (root) sb_usage_error("run: --dp: %s", err);
        goto out;
    }
    if (strcmp(s.prune, "none") || strcmp(s.teacher, "none")) {
        /* their training step (a teacher's forward, masks after each update) is not the data-parallel one */
        if (root) sb_usage_error("run: --dp trains without pruning and distillation (prune=%s, teacher=%s); "
                                 "run those without --dp", s.prune, s.teacher);
        goto out;
    }
    if (root && db && !(st = sb_store_open(db, 0, err, sizeof err))) sb_usage_error("run: %s", err);
    if (!all_ok(&c, !root || !db || st)) goto out;
    if (!root) s.save[0] = 0;   /* one writer for the checkpoint too */
    int threads = s.threads ? s.threads : sb_mpi_threads_per_rank();
    sb_machine_threads(threads);
    c.cap = s.steps;
    if (!(c.comm_ms = calloc((size_t)(c.cap > 0 ? c.cap : 1), sizeof *c.comm_ms))) {
        fprintf(stderr, "sharebench: run: rank %d: out of memory\n", c.rank);
        sb_mpi_abort(SB_EXIT_CHECK);
    }
    sb_spec_label(&s, label, sizeof label);
    if (root && !quiet)
        fprintf(stderr, "run: %s, data-parallel over %d rank%s: %d sequences each, %d thread%s per rank\n", label,
                c.ranks, c.ranks > 1 ? "s" : "", count, threads, threads > 1 ? "s" : "");
    sb_runner_hooks h = { dp_step, dp_trained, &c };
    int status;
    sb_run *r = sb_runner_execute_hooked(&s, &h, root && !quiet ? stderr : NULL, &status, err, sizeof err);
    if (!r) {   /* the spec was checked before: cannot differ between ranks */
        if (root) sb_usage_error("run: %s", err);
        goto out;
    }
    if (status == SB_RUN_FAILED && !c.reached && c.ranks > 1) {
        /* failed during training (out of memory, ...): the other ranks wait in a reduction for this one */
        fprintf(stderr, "sharebench: run: rank %d on %s failed during training (%s); ending the job\n", c.rank,
                sb_mpi_host(), sb_run_get(r, "error") ? sb_run_get(r, "error") : "no message");
        if (root && st && sb_store_commit(st, r, err, sizeof err) < 0) fprintf(stderr, "sharebench: run: %s\n", err);
        /* a failure every rank meets (a damaged checkpoint) is rank 0's to record: give it the moment its
        ** commit takes before the abort ends it; a failure of this rank alone loses nothing by waiting */
        if (!root) sleep(2);
        sb_mpi_abort(SB_EXIT_CHECK);
    }
    long id = st ? sb_store_commit(st, r, err, sizeof err) : 0;
    sb_run_free(r);
    if (id < 0) fprintf(stderr, "sharebench: run: %s\n", err);
    else if (id > 0 && !quiet) fprintf(stderr, "run: stored as run %ld in %s\n", id, db);
    rc = id < 0 || status == SB_RUN_FAILED ? SB_EXIT_CHECK : SB_EXIT_OK;
out:
    sb_store_close(st);
    free(c.comm_ms);
#ifdef SB_MPI
    if (launched) MPI_Comm_free(&c.comm_world);
#endif
    sb_mpi_finish();
    return rc;
}
