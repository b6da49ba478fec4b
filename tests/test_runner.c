/*
** test_runner.c: one run end to end (bench/run/runner.c) at the edge of its
** buffers: a causal task trained and measured at a batch above 4096
** sequences, which the decoding measurement once copied into a fixed array of
** 4096 tokens and then read past (the sanitizer build reports such a read).
** The run must finish and record its decoding speed and key/value cache.
** And a looped model evaluated at another number of loops (test_loops): at
** its training's loops the same test metric as without the key; at one loop
** more, one core depth more in its inference FLOPs and its key/value cache,
** its training FLOPs unchanged.
*/
#include "testutil.h"
#include "run/runner.h"
#include "results/store.h"
#include <sqlite3.h>

/* The value of a metric of the only run in the database at path (NAN when absent). */
static double stored_metric(const char *path, const char *key)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    double v = NAN;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM metrics WHERE key = ?1", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* A looped model (loop:1,1,1 at 4 depths: trained at 2 loops) run at test_loops into a fresh
** database under dir: its test metric, inference and training FLOPs, cache bytes; *plan its plan. */
static void run_looped(const char *dir, const char *test_loops, sb_runner_plan *plan, double *test, double *infer, double *train,
                       double *kv)
{
    static const char *const keys[][2] = {
        { "task", "modadd" }, { "preset", "tiny" }, { "steps", "20" }, { "batch", "4" }, { "eval_examples", "8" },
        { "test_examples", "16" }, { "threads", "1" }, { "layers", "4" }, { "ln_shared", "1" }, { "sharing", "loop:1,1,1" },
    };
    sb_spec s;
    char err[512], path[300];
    sb_spec_default(&s);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) assert_int_equal(sb_spec_set(&s, keys[i][0], keys[i][1], err, sizeof err), 0);
    assert_int_equal(sb_spec_set(&s, "test_loops", test_loops, err, sizeof err), 0);
    assert_int_equal(sb_runner_check(&s, plan, err, sizeof err), 0);
    int status = -1;
    sb_run *r = sb_runner_execute(&s, NULL, &status, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(status, SB_RUN_FINISHED);
    snprintf(path, sizeof path, "%s/loops%s.db", dir, test_loops);
    sb_store *st = sb_store_open(path, 0, err, sizeof err);
    assert_non_null(st);
    assert_true(sb_store_commit(st, r, err, sizeof err) > 0);
    sb_store_close(st);
    sb_run_free(r);
    *test = stored_metric(path, "test");
    *infer = stored_metric(path, "flops_infer_per_token");
    *train = stored_metric(path, "flops_train_per_token");
    *kv = stored_metric(path, "kv_cache_bytes");
}

static void test_looped_at_other_loops(void **state)
{
    (void)state;
    char dir[256];
    sb_runner_plan p;
    double t0, i0, r0, k0, t2, i2, r2, k2, t3, i3, r3, k3;
    assert_int_equal(test_tmpdir_make(dir, sizeof dir, "runner-loops"), 0);
    run_looped(dir, "0", &p, &t0, &i0, &r0, &k0);
    run_looped(dir, "2", &p, &t2, &i2, &r2, &k2);
    run_looped(dir, "3", &p, &t3, &i3, &r3, &k3);
    assert_true(isfinite(t0) && isfinite(t3));
    assert_close(t2, t0, 1e-12);                  /* at the loops it trained with: the same model */
    assert_close(i2, i0, 1e-12);
    assert_close(r3, r0, 1e-12);                  /* training is the same */
    assert_close(k3, k0 * 5 / 4, 1e-12);          /* 5 depths' keys and values instead of 4 */
    /* one core depth more, counted by hand: 4 products C x C, 2 of C x F, attention over (T+1)/2 keys */
    double C = p.model.width, F = p.model.ffn, T = p.T;
    assert_close(i3 - i0, 8 * C * C + 4 * C * F + 2 * C * (T + 1), 1e-12);
    assert_int_equal(test_tmpdir_remove(dir), 0);
}

static void test_causal_batch_above_4096(void **state)
{
    (void)state;
    static const char *const keys[][2] = {
        { "task", "dyck" }, { "knobs", "len=4" }, { "preset", "tiny" }, { "steps", "1" }, { "batch", "4100" },
        { "eval_examples", "4" }, { "test_examples", "4" }, { "threads", "1" },
    };
    sb_spec s;
    char err[512], dir[256], path[300];
    sb_spec_default(&s);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) assert_int_equal(sb_spec_set(&s, keys[i][0], keys[i][1], err, sizeof err), 0);
    sb_runner_plan plan;
    assert_int_equal(sb_runner_check(&s, &plan, err, sizeof err), 0);
    assert_true(plan.task.causal);
    int status = -1;
    sb_run *r = sb_runner_execute(&s, NULL, &status, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(status, SB_RUN_FINISHED);
    assert_int_equal(test_tmpdir_make(dir, sizeof dir, "runner"), 0);
    snprintf(path, sizeof path, "%s/r.db", dir);
    sb_store *st = sb_store_open(path, 0, err, sizeof err);
    assert_non_null(st);
    assert_true(sb_store_commit(st, r, err, sizeof err) > 0);
    sb_store_close(st);
    sb_run_free(r);
    /* every sequence of the batch decoded: the cache holds all 4100 of them */
    double kv = stored_metric(path, "kv_cache_bytes"), tps = stored_metric(path, "decode_tokens_per_s");
    assert_true(tps > 0);
    long per_sequence = 2L * plan.model.layers * plan.model.width * plan.T * (long)sizeof(real);
    assert_true(kv >= 4100.0 * per_sequence);
    assert_int_equal(test_tmpdir_remove(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_causal_batch_above_4096),
        cmocka_unit_test(test_looped_at_other_loops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
