/*
** test_dp.c: the arithmetic of data-parallel training (bench/mpi/dp.h) without
** MPI: ranks simulated in one process, their slice gradients summed as
** MPI_Allreduce(SUM) would. The sum equals one model's gradient on the whole
** batch, and the loss likewise, on a task whose sequences have different
** numbers of scored positions (Dyck: each closing bracket), under sharing
** modes; plain averaging of the ranks' gradients does not (so the weighting
** is what makes them equal). Batches that do not split are refused with the
** figures. tests/e2e_dp.sh runs the same training under mpirun.
*/
#include "testutil.h"
#include "mpi/dp.h"
#include "task.h"
#include "core/model.h"

enum { B = 8 };

typedef struct {
    int tok[B * 64], typ[B * 64], tgt[B * 64];
    int T;
    sb_config c;
} batch;

static void dyck_batch(batch *b, const char *sharing)
{
    char err[SB_ERR_LEN];
    sb_task *t = sb_task_open("dyck", "", 1, err, sizeof err);
    if (!t) print_error("%s\n", err);
    assert_non_null(t);
    const sb_task_info *info = sb_task_get_info(t);
    b->T = info->length;
    assert_true(b->T <= 64);
    assert_int_equal(sb_task_examples(t, SB_SPLIT_TRAIN, 0, B, b->tok, b->typ, b->tgt), 0);
    sb_config_default(&b->c);
    b->c.vocab = info->vocab; b->c.max_len = b->T; b->c.width = 32; b->c.layers = 4; b->c.heads = 4; b->c.ffn = 64;
    snprintf(b->c.sharing, sizeof b->c.sharing, "%s", sharing);
    sb_task_close(t);
}

/* max |a - b| / max |b| over n values */
static double rel_diff(const real *a, const double *b, long n)
{
    double d = 0, s = 0;
    for (long i = 0; i < n; i++) {
        if (fabs(a[i] - b[i]) > d) d = fabs(a[i] - b[i]);
        if (fabs(b[i]) > s) s = fabs(b[i]);
    }
    return d / s;
}

/* Ranks' weighted slice gradients, summed, against the whole batch's gradient;
** and the same slices averaged without weights. */
static void check_sum(const char *sharing, int ranks)
{
    char err[SB_ERR_LEN];
    batch b;
    dyck_batch(&b, sharing);
    sb_model *whole = sb_model_create(&b.c, B, b.T, 7, 0, err, sizeof err), *part = sb_model_create(&b.c, B, b.T, 7, 0, err, sizeof err);
    assert_non_null(whole);
    assert_non_null(part);
    long n = sb_model_n_params(whole);
    double loss = sb_model_forward(whole, b.tok, b.typ, b.tgt, NULL, B, b.T);
    sb_model_backward(whole);
    double *sum = calloc((size_t)n, sizeof *sum), *plain = calloc((size_t)n, sizeof *plain), losses = 0;
    long counts[B];
    assert_non_null(sum);
    assert_non_null(plain);
    long all = sb_dp_scored(b.tgt, B, b.T);
    for (int r = 0; r < ranks; r++) {
        int first, count;
        assert_int_equal(sb_dp_slice(B, ranks, r, &first, &count, err, sizeof err), 0);
        counts[r] = sb_dp_scored(b.tgt + (long)first * b.T, count, b.T);
        double share = (double)counts[r] / all;
        losses += sb_dp_local_step(part, b.tok, b.typ, b.tgt, B, b.T, ranks, r);
        const real *g = sb_model_grads(part);
        for (long i = 0; i < n; i++) {
            sum[i] += g[i];
            plain[i] += g[i] / share / ranks;   /* each rank's own mean gradient, averaged */
        }
    }
    /* the test means something only if the slices score different numbers of positions */
    int differ = 0;
    for (int r = 1; r < ranks; r++) differ |= counts[r] != counts[0];
    assert_true(differ);
    double weighted = rel_diff(sb_model_grads(whole), sum, n), unweighted = rel_diff(sb_model_grads(whole), plain, n);
    print_message("%s, %d ranks: scored %ld of %d*%d; weighted sum differs by %.2e, plain average by %.2e (max relative)\n",
                  sharing, ranks, all, B, b.T, weighted, unweighted);
    assert_true(weighted < 1e-5);
    assert_true(unweighted > 100 * weighted && unweighted > 1e-3);
    assert_close(losses, loss, 1e-6);
    free(sum);
    free(plain);
    sb_model_free(whole);
    sb_model_free(part);
}

static void test_sum_none_2(void **state) { (void)state; check_sum("none", 2); }
static void test_sum_all_4(void **state) { (void)state; check_sum("all", 4); }
static void test_sum_cycle_2(void **state) { (void)state; check_sum("cycle:2", 2); }

static void test_slice(void **state)
{
    (void)state;
    char err[SB_ERR_LEN];
    int first, count;
    assert_int_equal(sb_dp_slice(12, 4, 3, &first, &count, err, sizeof err), 0);
    assert_int_equal(first, 9);
    assert_int_equal(count, 3);
    assert_int_equal(sb_dp_slice(10, 4, 0, &first, &count, err, sizeof err), -1);
    assert_mentions(err, "batch 10");
    assert_mentions(err, "4 ranks");
    assert_mentions(err, "multiple of 4");
    assert_int_equal(sb_dp_slice(2, 4, 0, &first, &count, err, sizeof err), -1);
    assert_mentions(err, "batch 2");
}

/* A slice with nothing scored contributes nothing, and the others carry the loss. */
static void test_unscored_slice(void **state)
{
    (void)state;
    char err[SB_ERR_LEN];
    batch b;
    dyck_batch(&b, "none");
    for (int i = 0; i < B / 2 * b.T; i++) b.tgt[i] = -1;   /* rank 0 of 2 scores nothing */
    sb_model *whole = sb_model_create(&b.c, B, b.T, 3, 0, err, sizeof err), *part = sb_model_create(&b.c, B, b.T, 3, 0, err, sizeof err);
    assert_non_null(whole);
    assert_non_null(part);
    long n = sb_model_n_params(whole);
    double loss = sb_model_forward(whole, b.tok, b.typ, b.tgt, NULL, B, b.T);
    sb_model_backward(whole);
    assert_true(sb_dp_local_step(part, b.tok, b.typ, b.tgt, B, b.T, 2, 0) == 0);
    for (long i = 0; i < n; i++) assert_true(sb_model_grads(part)[i] == 0);
    double l1 = sb_dp_local_step(part, b.tok, b.typ, b.tgt, B, b.T, 2, 1);
    assert_close(l1, loss, 1e-6);
    double *g = calloc((size_t)n, sizeof *g);
    assert_non_null(g);
    for (long i = 0; i < n; i++) g[i] = sb_model_grads(part)[i];
    assert_true(rel_diff(sb_model_grads(whole), g, n) < 1e-5);
    free(g);
    sb_model_free(whole);
    sb_model_free(part);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slice),
        cmocka_unit_test(test_sum_none_2),
        cmocka_unit_test(test_sum_all_4),
        cmocka_unit_test(test_sum_cycle_2),
        cmocka_unit_test(test_unscored_slice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
