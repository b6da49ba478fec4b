/*
** test_runpack.c: a run as bytes (sb_run_pack / sb_run_unpack in
** bench/results/runpack.c), how a distributed sweep's workers hand runs to rank 0. A
** run packed, unpacked and committed reads back the same as the run
** committed directly (every column, param, metric including NaN, and series
** point, compared row by row in SQL); packing the unpacked run gives the same
** bytes; every cut, a flipped byte in the header, trailing bytes and a
** different column count are refused with a message, never a crash.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp */
#endif
#include "testutil.h"
#include "results/store.h"
#include "results/runpack.h"
#include <sqlite3.h>
#include <unistd.h>

static sb_run *sample(void)
{
    sb_run *r = sb_run_new();
    assert_non_null(r);
    const char *cols[][2] = {
        { "cell", "0123456789abcdef" }, { "config_hash", "fedcba9876543210" }, { "task", "copy" },
        { "sharing", "cycle:2+kv_share:2" }, { "seed", "3" }, { "status", "diverged" }, { "diverged_step", "17" },
        { "started", "2026-01-01T00:00:00Z" }, { "ended", "2026-01-01T00:01:00Z" }, { "wall_seconds", "60.25" },
        { "host", "node7" }, { "cores", "64" }, { "threads", "8" }, { "error", "" },
    };
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) assert_int_equal(sb_run_set(r, cols[i][0], cols[i][1]), 0);
    assert_int_equal(sb_run_param(r, "knobs", "len=4 alpha=8"), 0);
    assert_int_equal(sb_run_param(r, "init_from", NULL), 0);
    assert_int_equal(sb_run_param(r, "note", "tab\there, quote \" and UTF-8 \xc3\xa9"), 0);
    assert_int_equal(sb_run_metric(r, "test", 0.8125), 0);
    assert_int_equal(sb_run_metric(r, "tiny", 4.9e-324), 0);
    assert_int_equal(sb_run_metric(r, "undefined", NAN), 0);
    for (int s = 0; s < 50; s++) {
        assert_int_equal(sb_run_series(r, "train_loss", s, -1, -1, 1.0 / (s + 1)), 0);
        assert_int_equal(sb_run_series(r, "attn.js", s, s % 4, -1, s * 0.5), 0);
        assert_int_equal(sb_run_series(r, "attn.importance", 1L << 40, s % 4, s % 3, -s), 0);
    }
    return r;
}

/* Every row of the run with this id, as one text per table, for comparison. */
static void dump(sqlite3 *db, long id, char *out, size_t len)
{
    static const char *const q[] = {
        "SELECT quote(cell)||quote(config_hash)||quote(sweep)||quote(task)||quote(sharing)||quote(seed)||quote(status)||"
        "quote(error)||quote(diverged_step)||quote(started)||quote(ended)||quote(wall_seconds)||quote(code_version)||"
        "quote(host)||quote(cpu)||quote(cores)||quote(threads)||quote(blas) FROM runs WHERE id = ?1",
        "SELECT group_concat(quote(key)||'='||quote(value), ';') FROM (SELECT * FROM params WHERE run_id = ?1 ORDER BY key)",
        "SELECT group_concat(quote(key)||'='||quote(value), ';') FROM (SELECT * FROM metrics WHERE run_id = ?1 ORDER BY key)",
        "SELECT count(*)||':'||group_concat(metric||step||'/'||layer||'/'||head||'='||quote(value), ';') FROM "
        "(SELECT * FROM series WHERE run_id = ?1 ORDER BY rowid)",
    };
    size_t at = 0;
    out[0] = 0;
    for (int i = 0; i < 4; i++) {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, q[i], -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_int64(st, 1, id);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        const char *t = (const char *)sqlite3_column_text(st, 0);
        at += (size_t)snprintf(out + at, len - at, "%s\n", t ? t : "(none)");
        sqlite3_finalize(st);
        assert_true(at < len);
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/sb_runpack_XXXXXX", path[64], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/r.db", dir);
    sb_store *st = sb_store_open(path, 0, err, sizeof err);
    assert_non_null(st);
    sb_run *r = sample();
    size_t len = 0, len2 = 0;
    void *buf = sb_run_pack(r, &len);
    assert_non_null(buf);
    sb_run *back = sb_run_unpack(buf, len, err, sizeof err);
    if (!back) print_error("%s\n", err);
    assert_non_null(back);
    void *again = sb_run_pack(back, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(again, buf, len);
    long a = sb_store_commit(st, r, err, sizeof err), b = sb_store_commit(st, back, err, sizeof err);
    assert_true(a > 0 && b > 0);
    static char da[1 << 16], db_[1 << 16];
    dump(sb_store_db(st), a, da, sizeof da);
    dump(sb_store_db(st), b, db_, sizeof db_);
    assert_string_equal(da, db_);
    assert_non_null(strstr(da, "'undefined'=NULL"));   /* NaN stored as NULL both ways */
    assert_non_null(strstr(da, "150:"));               /* every series point */
    assert_string_equal(sb_run_get(back, "sharing"), "cycle:2+kv_share:2");
    assert_null(sb_run_get(back, "blas"));
    free(buf);
    free(again);
    sb_run_free(r);
    sb_run_free(back);
    sb_store_close(st);
    unlink(path);
    char wal[80];
    snprintf(wal, sizeof wal, "%s-wal", path); unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path); unlink(wal);
    rmdir(dir);
}

static void test_damaged(void **state)
{
    (void)state;
    char err[512];
    sb_run *r = sample();
    size_t len = 0;
    unsigned char *buf = sb_run_pack(r, &len);
    assert_non_null(buf);
    for (size_t cut = 0; cut < len; cut++) {
        err[0] = 0;
        sb_run *x = sb_run_unpack(buf, cut, err, sizeof err);
        if (x) print_error("a run cut to %zu of %zu bytes was accepted\n", cut, len);
        assert_null(x);
        assert_true(err[0] != 0);
    }
    unsigned char *longer = malloc(len + 1);
    assert_non_null(longer);
    memcpy(longer, buf, len);
    longer[len] = 0;
    assert_null(sb_run_unpack(longer, len + 1, err, sizeof err));
    assert_mentions(err, "1 bytes after its end");
    buf[2] ^= 1;
    assert_null(sb_run_unpack(buf, len, err, sizeof err));
    assert_mentions(err, "not a packed run");
    buf[2] ^= 1;
    buf[8] ^= 1;   /* the column count */
    assert_null(sb_run_unpack(buf, len, err, sizeof err));
    assert_mentions(err, "columns");
    buf[8] ^= 1;
    /* a series point naming a metric that is not there */
    size_t point = len - 28;
    buf[point] = 0xff;
    assert_null(sb_run_unpack(buf, len, err, sizeof err));
    assert_mentions(err, "series");
    free(longer);
    free(buf);
    sb_run_free(r);
}

/* A column holding a bad number travels as it is and is refused at commit, naming it. */
static void test_bad_number_kept(void **state)
{
    (void)state;
    char err[512];
    sb_run *r = sample();
    assert_int_equal(sb_run_set(r, "seed", "three"), -1);
    size_t len = 0;
    void *buf = sb_run_pack(r, &len);
    sb_run *back = sb_run_unpack(buf, len, err, sizeof err);
    assert_non_null(back);
    sb_store *st = sb_store_open(":memory:", 0, err, sizeof err);
    assert_non_null(st);
    assert_int_equal(sb_store_commit(st, back, err, sizeof err), -1);
    assert_mentions(err, "'seed' = 'three'");
    sb_store_close(st);
    sb_run_free(back);
    sb_run_free(r);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_bad_number_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
