/*
** test_store.c: the results database (bench/results/store.c). Runs written with
** sb_store_commit are read back with plain SQLite queries; files that are not
** ours (a foreign database, random bytes, a newer schema) are refused and left
** untouched; a refused run writes nothing; two processes writing at once both
** succeed (MLflow's "database is locked"); a process killed in the middle of
** writing leaves an intact database holding only whole runs. Then the
** commands that read it: `sharebench list` and `sharebench export` (CSV per
** RFC 4180, JSON, series, -o replacing a file only when complete). Then a
** damaged schema refused on open, an older one read and upgraded, and the
** cells' leases (lease.h): held, taken over from dead processes, done, given
** back, and shared out one to a cell among processes racing for them.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp, nftw */
#endif
#include "testdb.h"
#include "results/store.h"
#include "cli/cli.h"
#include "cmd/commands.h"
#include "results/lease.h"
#include <sqlite3.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef test_db_fixture fixture;

static int setup(void **state)
{
    return test_db_setup(state, "store");
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    chmod(path, 0700); /* the read-only directory test leaves one behind */
    return remove(path);
}

static int teardown(void **state)
{
    fixture *f = *state;
    chmod(f->dir, 0700);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* ---- helpers ---- */

/* One integer from a query on a separate, plain SQLite connection. */
static long long q_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long long v = -999;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        print_error("%s: %s\n", sql, sqlite3_errmsg(db));
        fail();
    }
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* One text value (of column col), copied into out. */
static char *q_text_col(const char *path, const char *sql, int col, char *out, size_t len)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    out[0] = 0;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        print_error("%s: %s\n", sql, sqlite3_errmsg(db));
        fail();
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, col))
        snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, col));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static char *q_text(const char *path, const char *sql, char *out, size_t len)
{
    return q_text_col(path, sql, 0, out, len);
}

/* A run with every required column set. */
static sb_run *make_run(const char *cell, const char *status, int seed)
{
    sb_run *r = sb_run_new();
    char buf[32];
    assert_non_null(r);
    snprintf(buf, sizeof buf, "%d", seed);
    assert_int_equal(sb_run_set(r, "cell", cell), 0);
    assert_int_equal(sb_run_set(r, "config_hash", "abc123"), 0);
    assert_int_equal(sb_run_set(r, "task", "copy"), 0);
    assert_int_equal(sb_run_set(r, "sharing", "cycle:2"), 0);
    assert_int_equal(sb_run_set(r, "seed", buf), 0);
    assert_int_equal(sb_run_set(r, "status", status), 0);
    assert_int_equal(sb_run_set(r, "started", "2024-01-01T00:00:00Z"), 0);
    assert_int_equal(sb_run_set(r, "ended", "2024-01-01T00:01:00Z"), 0);
    return r;
}

static long commit_ok(sb_store *s, const sb_run *r)
{
    char err[512] = "";
    long id = sb_store_commit(s, r, err, sizeof err);
    if (id < 0) {
        print_error("commit: %s\n", err);
        fail();
    }
    return id;
}

static sb_store *open_ok(const char *path, int readonly)
{
    char err[512] = "";
    sb_store *s = sb_store_open(path, readonly, err, sizeof err);
    if (!s) {
        print_error("open: %s\n", err);
        fail();
    }
    return s;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) ? -1 : (long)st.st_size;
}

/* ---- tests ---- */

static void commit_and_read_back(void **state)
{
    fixture *f = *state;
    sb_store *s = open_ok(f->db, 0);
    sb_run *r = make_run("copy/cycle:2/seed=1", "finished", 1);
    char t[256];
    assert_int_equal(sb_run_set(r, "sweep", "smoke"), 0);
    assert_int_equal(sb_run_set(r, "error", NULL), 0);
    assert_int_equal(sb_run_set(r, "diverged_step", "17"), 0);
    assert_int_equal(sb_run_set(r, "wall_seconds", "61.25"), 0);
    assert_int_equal(sb_run_set(r, "code_version", "a6fb6ae"), 0);
    assert_int_equal(sb_run_set(r, "host", "box"), 0);
    assert_int_equal(sb_run_set(r, "cpu", "Xeon, \"fast\""), 0);
    assert_int_equal(sb_run_set(r, "cores", "2"), 0);
    assert_int_equal(sb_run_set(r, "threads", "2"), 0);
    assert_int_equal(sb_run_set(r, "blas", "openblas"), 0);
    assert_int_equal(sb_run_set(r, "seed", "7"), 0); /* set again: the last value counts */
    assert_int_equal(sb_run_param(r, "layers", "6"), 0);
    assert_int_equal(sb_run_param(r, "lr", "3e-4"), 0);
    assert_int_equal(sb_run_param(r, "note", NULL), 0);
    assert_int_equal(sb_run_metric(r, "test", 0.875), 0);
    assert_int_equal(sb_run_metric(r, "train_tokens_per_s", 12345.5), 0);
    for (int step = 0; step < 10; step++) {
        assert_int_equal(sb_run_series(r, "loss", step, -1, -1, 5.0 - step * 0.25), 0);
        for (int layer = 0; layer < 3; layer++)
            assert_int_equal(sb_run_series(r, "head_entropy", step, layer, layer % 2, 0.5 * layer + step), 0);
    }
    long id = commit_ok(s, r);
    assert_true(id > 0);
    sb_run_free(r);

    r = make_run("copy/none/seed=2", "failed", 2);
    assert_int_equal(sb_run_set(r, "error", "out of memory"), 0);
    long id2 = commit_ok(s, r);
    assert_true(id2 > id);
    sb_run_free(r);
    sb_store_close(s);

    assert_int_equal(q_int(f->db, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(q_int(f->db, "SELECT seed FROM runs WHERE cell = 'copy/cycle:2/seed=1'"), 7);
    /* Declared types applied at bind time: numbers stored as numbers. */
    assert_string_equal(q_text(f->db, "SELECT typeof(seed) || typeof(diverged_step) || typeof(wall_seconds) || "
                                      "typeof(cores) || typeof(error) FROM runs WHERE id = 1", t, sizeof t),
                        "integerintegerrealintegernull");
    assert_int_equal(q_int(f->db, "SELECT wall_seconds * 100 FROM runs WHERE id = 1"), 6125);
    assert_string_equal(q_text(f->db, "SELECT cpu FROM runs WHERE id = 1", t, sizeof t), "Xeon, \"fast\"");
    assert_string_equal(q_text(f->db, "SELECT sweep || '|' || status || '|' || blas FROM runs WHERE id = 1", t, sizeof t),
                        "smoke|finished|openblas");
    assert_string_equal(q_text(f->db, "SELECT error FROM runs WHERE id = 2", t, sizeof t), "out of memory");
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM params WHERE run_id = 1"), 3);
    assert_string_equal(q_text(f->db, "SELECT value FROM params WHERE run_id = 1 AND key = 'lr'", t, sizeof t), "3e-4");
    assert_int_equal(q_int(f->db, "SELECT value IS NULL FROM params WHERE run_id = 1 AND key = 'note'"), 1);
    assert_int_equal(q_int(f->db, "SELECT value * 1000 FROM metrics WHERE run_id = 1 AND key = 'test'"), 875);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM series WHERE run_id = 1"), 40);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM series WHERE run_id = 1 AND metric = 'loss' AND layer = -1 AND head = -1"), 10);
    assert_int_equal(q_int(f->db, "SELECT value * 4 FROM series WHERE run_id = 1 AND metric = 'loss' AND step = 3"), 17);
    assert_int_equal(q_int(f->db, "SELECT value * 10 FROM series WHERE run_id = 1 AND metric = 'head_entropy' "
                                  "AND step = 4 AND layer = 2 AND head = 0"),
                     50);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM params WHERE run_id = 2"), 0);
    /* The series index answers a metric's history without a scan. */
    assert_string_equal(q_text_col(f->db, "EXPLAIN QUERY PLAN SELECT step, value FROM series WHERE run_id = 1 "
                                          "AND metric = 'loss' ORDER BY step", 3, t, sizeof t),
                        "SEARCH series USING INDEX series_run_metric_step (run_id=? AND metric=?)");
}

static void schema_version_and_settings(void **state)
{
    fixture *f = *state;
    char t[64];
    sb_store *s = open_ok(f->db, 0);
    assert_int_equal(q_int(f->db, "PRAGMA user_version"), SB_SCHEMA_VERSION);
    assert_int_equal(q_int(f->db, "SELECT value FROM meta WHERE key = 'schema_version'"), SB_SCHEMA_VERSION);
    assert_string_equal(q_text(f->db, "PRAGMA journal_mode", t, sizeof t), "wal");
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                                  "('runs_cell_status', 'runs_task_sharing', 'series_run_metric_step')"), 3);
    sqlite3 *db = sb_store_db(s);
    sqlite3_stmt *st;
    assert_non_null(db);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA foreign_keys", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2); /* FULL */
    sqlite3_finalize(st);
    /* A second connection to the same file while the first is open, and a reopen. */
    sb_store *s2 = open_ok(f->db, 0);
    sb_store_close(s2);
    sb_store_close(s);
    s = open_ok(f->db, 0);
    sb_store_close(s);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM meta"), 1);
}

static void has_cell_counts_results(void **state)
{
    fixture *f = *state;
    char err[512] = "";
    sb_store *s = open_ok(f->db, 0);
    const char *status[] = { "finished", "diverged", "failed" };
    for (int i = 0; i < 3; i++) {
        char cell[32];
        snprintf(cell, sizeof cell, "cell-%s", status[i]);
        sb_run *r = make_run(cell, status[i], i);
        commit_ok(s, r);
        sb_run_free(r);
    }
    assert_int_equal(sb_store_has_cell(s, "cell-finished", err, sizeof err), 1);
    assert_int_equal(sb_store_has_cell(s, "cell-diverged", err, sizeof err), 1);
    assert_int_equal(sb_store_has_cell(s, "cell-failed", err, sizeof err), 0);
    assert_int_equal(sb_store_has_cell(s, "never-run", err, sizeof err), 0);
    /* A failed cell that later finished has a result. */
    sb_run *r = make_run("cell-failed", "finished", 3);
    commit_ok(s, r);
    sb_run_free(r);
    assert_int_equal(sb_store_has_cell(s, "cell-failed", err, sizeof err), 1);
    sb_store_close(s);
    /* And through a read-only connection, which refuses to write. */
    s = open_ok(f->db, 1);
    assert_int_equal(sb_store_has_cell(s, "cell-diverged", err, sizeof err), 1);
    r = make_run("x", "finished", 1);
    assert_int_equal(sb_store_commit(s, r, err, sizeof err), -1);
    assert_mentions(err, "read-only");
    sb_run_free(r);
    sb_store_close(s);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM runs"), 4);
}

static void newer_schema_refused(void **state)
{
    fixture *f = *state;
    char err[512] = "";
    sb_store_close(open_ok(f->db, 0));
    test_db_exec(f->db, "PRAGMA user_version = 99; UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    for (int ro = 0; ro < 2; ro++) {
        err[0] = 0;
        assert_null(sb_store_open(f->db, ro, err, sizeof err));
        assert_mentions(err, f->db);
        assert_mentions(err, "schema version 99 is newer than this sharebench (");
        assert_mentions(err, "); upgrade sharebench");
    }
    assert_int_equal(q_int(f->db, "PRAGMA user_version"), 99);
}

static void foreign_database_refused(void **state)
{
    fixture *f = *state;
    char err[512] = "", t[32];
    test_db_exec(f->db, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
    for (int ro = 0; ro < 2; ro++) {
        err[0] = 0;
        assert_null(sb_store_open(f->db, ro, err, sizeof err));
        assert_mentions(err, f->db);
        assert_mentions(err, "not a sharebench database (no 'meta' table)");
    }
    /* Left as it was: not switched to WAL, no tables added. */
    assert_string_equal(q_text(f->db, "PRAGMA journal_mode", t, sizeof t), "delete");
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM sqlite_master"), 1);

    /* A table called meta is not enough. */
    test_db_exec(f->db, "CREATE TABLE meta(k, v)");
    assert_null(sb_store_open(f->db, 0, err, sizeof err));
    assert_mentions(err, "not a sharebench database");
}

static void garbage_file_refused(void **state)
{
    fixture *f = *state;
    char err[512] = "", bytes[4096];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (char)((x = x * 1103515245u + 12345u) >> 16);
    write_file(f->db, bytes, sizeof bytes);
    for (int ro = 0; ro < 2; ro++) {
        err[0] = 0;
        assert_null(sb_store_open(f->db, ro, err, sizeof err));
        assert_mentions(err, f->db);
        assert_mentions(err, "file is not a database");
    }
    assert_int_equal(file_size(f->db), (long)sizeof bytes);
    write_file(f->db, "hello, world\n", 13);
    assert_null(sb_store_open(f->db, 0, err, sizeof err));
    assert_mentions(err, "file is not a database");
    assert_int_equal(file_size(f->db), 13);
    /* An empty file is a new database for writing, but nothing to read. */
    write_file(f->db, "", 0);
    assert_null(sb_store_open(f->db, 1, err, sizeof err));
    assert_mentions(err, "empty file");
    sb_store_close(open_ok(f->db, 0));
    assert_int_equal(q_int(f->db, "PRAGMA user_version"), SB_SCHEMA_VERSION);
}

/* Counts of every table, to see that a refused run wrote nothing. */
static void assert_empty(const char *db)
{
    assert_int_equal(q_int(db, "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM params) + "
                               "(SELECT count(*) FROM metrics) + (SELECT count(*) FROM series)"),
                     0);
}

static void missing_required_column_refused(void **state)
{
    fixture *f = *state;
    const char *required[] = { "cell", "config_hash", "task", "sharing", "seed", "status", "started", "ended" };
    char err[512];
    sb_store *s = open_ok(f->db, 0);
    for (int i = 0; i < 8; i++) {
        sb_run *r = make_run("c", "finished", 1);
        assert_int_equal(sb_run_param(r, "k", "v"), 0);
        assert_int_equal(sb_run_metric(r, "test", 1), 0);
        assert_int_equal(sb_run_series(r, "loss", 0, -1, -1, 1), 0);
        sb_run_set(r, required[i], i % 2 ? NULL : ""); /* unset, or empty (-1 for seed: not a number) */
        err[0] = 0;
        assert_int_equal(sb_store_commit(s, r, err, sizeof err), -1);
        assert_mentions(err, f->db);
        char want[64];
        snprintf(want, sizeof want, "required column '%s' is not set", required[i]);
        assert_mentions(err, want);
        sb_run_free(r);
    }
    sb_store_close(s);
    assert_empty(f->db);
}

static void bad_values_refused(void **state)
{
    fixture *f = *state;
    char err[512] = "";
    sb_store *s = open_ok(f->db, 0);
    sb_run *r = make_run("c", "done", 1);
    assert_int_equal(sb_store_commit(s, r, err, sizeof err), -1);
    assert_mentions(err, "status 'done' is not one of finished, failed, diverged");
    sb_run_free(r);

    r = make_run("c", "finished", 1);
    assert_int_equal(sb_run_set(r, "no_such_column", "1"), -1);
    assert_int_equal(sb_run_set(r, "id", "5"), -1);
    assert_int_equal(sb_run_set(r, "seed", "12abc"), -1);
    assert_int_equal(sb_store_commit(s, r, err, sizeof err), -1);
    assert_mentions(err, "column 'seed' = '12abc' is not a whole number");
    assert_int_equal(sb_run_set(r, "seed", "12"), 0);
    assert_int_equal(sb_run_set(r, "wall_seconds", "nan"), -1);
    assert_int_equal(sb_store_commit(s, r, err, sizeof err), -1);
    assert_mentions(err, "column 'wall_seconds' = 'nan' is not a finite number");
    assert_int_equal(sb_run_set(r, "wall_seconds", "1.5"), 0);
    assert_int_equal(sb_run_set(r, "cores", " 2"), -1);
    assert_int_equal(sb_run_set(r, "cores", "99999999999999999999"), -1);
    assert_int_equal(sb_run_set(r, "cores", NULL), 0);

    /* A key given twice fails inside the transaction, after the runs row went
    ** in: the rollback must take that row back out. */
    assert_int_equal(sb_run_param(r, "lr", "1"), 0);
    for (int i = 0; i < 100; i++) assert_int_equal(sb_run_series(r, "loss", i, -1, -1, i), 0);
    assert_int_equal(sb_run_param(r, "lr", "2"), 0);
    assert_int_equal(sb_store_commit(s, r, err, sizeof err), -1);
    assert_mentions(err, "param 'lr' given twice");
    sb_run_free(r);
    r = make_run("c", "finished", 1);
    assert_int_equal(sb_run_metric(r, "test", 1), 0);
    assert_int_equal(sb_run_metric(r, "test", 2), 0);
    assert_int_equal(sb_store_commit(s, r, err, sizeof err), -1);
    assert_mentions(err, "metric 'test' given twice");
    sb_run_free(r);
    assert_empty(f->db);

    /* After refusals the same store still writes. */
    r = make_run("c", "finished", 1);
    assert_int_equal(sb_run_metric(r, "nan", NAN), 0); /* SQLite stores NaN as NULL */
    commit_ok(s, r);
    sb_run_free(r);
    sb_store_close(s);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(q_int(f->db, "SELECT value IS NULL FROM metrics WHERE key = 'nan'"), 1);
}

/* The refusals of unwritable paths, in a child when root (root can write anywhere). */
static int try_unwritable(const char *dir)
{
    char path[400], err[512] = "";
    snprintf(path, sizeof path, "%s/ro/results.db", dir);
    if (sb_store_open(path, 0, err, sizeof err) || !strstr(err, path)) {
        fprintf(stderr, "read-only directory: opened or message without the path: '%s'\n", err);
        return 1;
    }
    snprintf(path, sizeof path, "%s/rofile.db", dir);
    if (sb_store_open(path, 0, err, sizeof err) || !strstr(err, path) || !strstr(err, "read-only")) {
        fprintf(stderr, "read-only file: opened or wrong message: '%s'\n", err);
        return 1;
    }
    return 0;
}

static void unwritable_path_refused(void **state)
{
    fixture *f = *state;
    char path[400], err[512] = "";
    struct stat st;

    snprintf(path, sizeof path, "%s/missing/results.db", f->dir);
    assert_null(sb_store_open(path, 0, err, sizeof err));
    assert_mentions(err, path);
    assert_mentions(err, "No such file or directory");

    write_file(f->db, "x", 1);
    snprintf(path, sizeof path, "%s/results.db/sub.db", f->dir); /* under a regular file */
    assert_null(sb_store_open(path, 0, err, sizeof err));
    assert_mentions(err, path);
    assert_mentions(err, "not a directory");

    assert_null(sb_store_open(f->dir, 0, err, sizeof err));
    assert_mentions(err, "is a directory");

    /* Reading never creates. */
    snprintf(path, sizeof path, "%s/absent.db", f->dir);
    assert_null(sb_store_open(path, 1, err, sizeof err));
    assert_mentions(err, path);
    assert_mentions(err, "No such file or directory");
    assert_int_equal(stat(path, &st), -1);

    /* A read-only directory and a read-only file. */
    snprintf(path, sizeof path, "%s/ro", f->dir);
    assert_int_equal(mkdir(path, 0555), 0);
    snprintf(path, sizeof path, "%s/rofile.db", f->dir);
    sb_store_close(open_ok(path, 0));
    assert_int_equal(chmod(path, 0444), 0);
    assert_int_equal(chmod(f->dir, 0755), 0);
    if (geteuid() != 0) {
        assert_int_equal(try_unwritable(f->dir), 0);
        return;
    }
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgid(65534) || setuid(65534)) _exit(2);
        _exit(try_unwritable(f->dir));
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- processes ---- */

enum { WRITERS = 2, RUNS_EACH = 200, POINTS_EACH = 20 };

/* A child of the concurrency test: wait for the start, then open the
** (not yet existing) database and commit its runs. */
static int writer(const char *db, int who, int start_fd)
{
    char err[512], cell[64], v[32];
    char c;
    while (read(start_fd, &c, 1) < 0 && errno == EINTR) {}
    sb_store *s = sb_store_open(db, 0, err, sizeof err);
    if (!s) {
        fprintf(stderr, "writer %d: %s\n", who, err);
        return 1;
    }
    for (int i = 0; i < RUNS_EACH; i++) {
        snprintf(cell, sizeof cell, "w%d/%d", who, i);
        snprintf(v, sizeof v, "%d", i);
        sb_run *r = sb_run_new();
        int bad = !r || sb_run_set(r, "cell", cell) || sb_run_set(r, "config_hash", "h") ||
                  sb_run_set(r, "task", "copy") || sb_run_set(r, "sharing", "none") || sb_run_set(r, "seed", v) ||
                  sb_run_set(r, "status", "finished") || sb_run_set(r, "started", "t0") || sb_run_set(r, "ended", "t1") ||
                  sb_run_param(r, "i", v) || sb_run_metric(r, "test", i);
        for (int k = 0; k < POINTS_EACH && !bad; k++) bad = sb_run_series(r, "loss", k, -1, -1, k);
        if (bad || sb_store_commit(s, r, err, sizeof err) < 0) {
            fprintf(stderr, "writer %d, run %d: %s\n", who, i, bad ? "out of memory" : err);
            sb_run_free(r);
            sb_store_close(s);
            return 1;
        }
        sb_run_free(r);
    }
    sb_store_close(s);
    return 0;
}

static void concurrent_writers(void **state)
{
    fixture *f = *state;
    int start[2];
    pid_t pid[WRITERS];
    char t[32];
    assert_int_equal(pipe(start), 0);
    for (int w = 0; w < WRITERS; w++) {
        pid[w] = fork();
        assert_true(pid[w] >= 0);
        if (pid[w] == 0) {
            close(start[1]);
            _exit(writer(f->db, w, start[0]));
        }
    }
    close(start[0]);
    close(start[1]); /* every writer's read returns now: they start together */
    for (int w = 0; w < WRITERS; w++) {
        int status;
        assert_int_equal(waitpid(pid[w], &status, 0), pid[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM runs"), WRITERS * RUNS_EACH);
    assert_int_equal(q_int(f->db, "SELECT count(DISTINCT cell) FROM runs"), WRITERS * RUNS_EACH);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM series"), WRITERS * RUNS_EACH * POINTS_EACH);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM params"), WRITERS * RUNS_EACH);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM meta"), 1);
    assert_string_equal(q_text(f->db, "PRAGMA integrity_check", t, sizeof t), "ok");
}

/* Several processes opening the same new file at once: each either creates
** the schema or waits for the one that does, and none mistakes the file
** half-way through for a foreign one. */
static void concurrent_creation(void **state)
{
    fixture *f = *state;
    enum { ROUNDS = 20, OPENERS = 6 };
    for (int round = 0; round < ROUNDS; round++) {
        char path[400];
        int start[2];
        pid_t pid[OPENERS];
        snprintf(path, sizeof path, "%s/new%d.db", f->dir, round);
        assert_int_equal(pipe(start), 0);
        for (int k = 0; k < OPENERS; k++) {
            pid[k] = fork();
            assert_true(pid[k] >= 0);
            if (pid[k] == 0) {
                char err[512], c;
                close(start[1]);
                while (read(start[0], &c, 1) < 0 && errno == EINTR) {}
                sb_store *s = sb_store_open(path, 0, err, sizeof err);
                if (!s) fprintf(stderr, "opener %d: %s\n", k, err);
                sb_store_close(s);
                _exit(s ? 0 : 1);
            }
        }
        close(start[0]);
        close(start[1]);
        for (int k = 0; k < OPENERS; k++) {
            int status;
            assert_int_equal(waitpid(pid[k], &status, 0), pid[k]);
            assert_true(WIFEXITED(status));
            assert_int_equal(WEXITSTATUS(status), 0);
        }
        assert_int_equal(q_int(path, "PRAGMA user_version"), SB_SCHEMA_VERSION);
        assert_int_equal(q_int(path, "SELECT count(*) FROM meta"), 1);
    }
}

/* A child of the kill test: commit runs forever, each with a checkable
** number of series points (recorded in its param 'points'). Before each
** commit it writes 'b' to the pipe, after it 'c'. */
static void doomed_writer(const char *db, int round, int fd)
{
    char err[512], v[32];
    sb_store *s = sb_store_open(db, 0, err, sizeof err);
    if (!s) {
        fprintf(stderr, "doomed writer: %s\n", err);
        _exit(1);
    }
    for (int i = 0;; i++) {
        int points = 1000 + 250 * ((i + round) % 5);
        sb_run *r = sb_run_new();
        char cell[64];
        snprintf(cell, sizeof cell, "r%d/%d", round, i);
        snprintf(v, sizeof v, "%d", points);
        if (!r || sb_run_set(r, "cell", cell) || sb_run_set(r, "config_hash", "h") || sb_run_set(r, "task", "copy") ||
            sb_run_set(r, "sharing", "none") || sb_run_set(r, "seed", "1") || sb_run_set(r, "status", "finished") ||
            sb_run_set(r, "started", "t0") || sb_run_set(r, "ended", "t1") || sb_run_param(r, "points", v) ||
            sb_run_metric(r, "test", 1) || sb_run_metric(r, "test_long", 2))
            _exit(1);
        for (int k = 0; k < points; k++)
            if (sb_run_series(r, "head_entropy", k / 16, k % 4, (k / 4) % 4, k)) _exit(1);
        if (write(fd, "b", 1) != 1) _exit(1);
        if (sb_store_commit(s, r, err, sizeof err) < 0) {
            fprintf(stderr, "doomed writer: %s\n", err);
            _exit(1);
        }
        if (write(fd, "c", 1) != 1) _exit(1);
        sb_run_free(r);
    }
}

static void killed_writer_leaves_whole_runs(void **state)
{
    fixture *f = *state;
    int inside = 0;
    char t[32];
    sb_store_close(open_ok(f->db, 0));
    for (int round = 0; round < 6; round++) {
        int p[2], status, commits = 0;
        char c, last = 0;
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            doomed_writer(f->db, round, p[1]);
        }
        close(p[1]);
        /* Let it commit twice, then kill it a few milliseconds into its next runs. */
        while (commits < 2 && read(p[0], &c, 1) == 1) commits += c == 'c';
        struct timespec ts = { 0, (1 + 3 * round) * 1000000L };
        nanosleep(&ts, NULL);
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        while (read(p[0], &c, 1) == 1) last = c;
        close(p[0]);
        inside += last == 'b'; /* killed between starting a commit and finishing it */

        /* Read first, as `sharebench list` after a crash would, then write. */
        char err[512];
        sb_store *s = open_ok(f->db, 1);
        assert_int_equal(sb_store_has_cell(s, "r0/0", err, sizeof err), 1);
        sb_store_close(s);
        s = open_ok(f->db, 0);
        sb_store_close(s);
        assert_string_equal(q_text(f->db, "PRAGMA integrity_check", t, sizeof t), "ok");
        assert_true(q_int(f->db, "SELECT count(*) FROM runs") >= 2 * (round + 1));
        /* Every run visible has every one of its rows. */
        assert_int_equal(q_int(f->db, "SELECT count(*) FROM runs r WHERE "
                                      "(SELECT count(*) FROM series WHERE run_id = r.id) != "
                                      "(SELECT CAST(value AS INTEGER) FROM params WHERE run_id = r.id AND key = 'points') "
                                      "OR (SELECT count(*) FROM metrics WHERE run_id = r.id) != 2"),
                         0);
        assert_int_equal(q_int(f->db, "SELECT count(*) FROM series WHERE run_id NOT IN (SELECT id FROM runs)"), 0);
        assert_int_equal(q_int(f->db, "SELECT count(*) FROM params WHERE run_id NOT IN (SELECT id FROM runs)"), 0);
    }
    /* The test means something only if some kills landed inside a commit. */
    assert_true(inside >= 1);
}

/* ---- list and export ---- */

/* Run a subcommand in a child with its output in files; its exit status. */
static int run_cmd(const fixture *f, int (*cmd)(int, char **), const char *const *args)
{
    char out[400], errf[400], *argv[32];
    int argc = 0, status;
    snprintf(out, sizeof out, "%s/stdout", f->dir);
    snprintf(errf, sizeof errf, "%s/stderr", f->dir);
    while (args[argc]) {
        argv[argc] = (char *)args[argc];
        argc++;
    }
    argv[argc] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(out, "w", stdout) || !freopen(errf, "w", stderr)) _exit(99);
        int rc = cmd(argc, argv);
        fflush(stdout);
        fflush(stderr);
        _exit(rc);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* A whole file, allocated. */
static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    long n;
    char *buf;
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = 0;
    fclose(fp);
    return buf;
}

static char *output(const fixture *f, const char *which)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", f->dir, which);
    return slurp(path);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* Three runs: run 2 has a quoted, comma and newline error; params and metrics differ. */
static void three_runs(const fixture *f)
{
    sb_store *s = open_ok(f->db, 0);
    sb_run *r = make_run("a", "finished", 1);
    assert_int_equal(sb_run_set(r, "sweep", "smoke"), 0);
    assert_int_equal(sb_run_set(r, "wall_seconds", "12.5"), 0);
    assert_int_equal(sb_run_param(r, "layers", "6"), 0);
    assert_int_equal(sb_run_metric(r, "test", 0.1), 0);
    assert_int_equal(sb_run_metric(r, "params_unique", 11683584), 0);
    for (int k = 0; k < 4; k++) assert_int_equal(sb_run_series(r, "loss", k, -1, -1, 1.0 / (k + 1)), 0);
    commit_ok(s, r);
    sb_run_free(r);
    r = make_run("b", "failed", 2);
    assert_int_equal(sb_run_set(r, "sweep", "smoke"), 0);
    assert_int_equal(sb_run_set(r, "error", "bad \"x\", then\nworse"), 0);
    assert_int_equal(sb_run_param(r, "layers", "12"), 0);
    assert_int_equal(sb_run_param(r, "lr", "1e-3"), 0);
    assert_int_equal(sb_run_series(r, "loss", 0, 2, 3, 0.5), 0);
    commit_ok(s, r);
    sb_run_free(r);
    r = make_run("c", "diverged", 3);
    assert_int_equal(sb_run_set(r, "sharing", "none"), 0);
    assert_int_equal(sb_run_metric(r, "test_long", 0.25), 0);
    commit_ok(s, r);
    sb_run_free(r);
    sb_store_close(s);
}

static void list_runs(void **state)
{
    fixture *f = *state;
    char *o;
    three_runs(f);
    assert_int_equal(run_cmd(f, sb_cmd_list, (const char *[]){ "list", "--db", f->db, NULL }), SB_EXIT_OK);
    o = output(f, "stdout");
    assert_int_equal(count_lines(o), 4);
    /* one number format per column: the test metrics to four decimals, whatever their value */
    assert_mentions(o, "id  status    sweep  task  sharing  seed    test  test_long  params_unique  wall_s\n");
    assert_mentions(o, " 1  finished  smoke  copy  cycle:2     1  0.1000                11,683,584    12.5\n");
    assert_mentions(o, " 2  failed    smoke  copy  cycle:2     2\n");
    assert_mentions(o, " 3  diverged         copy  none        3             0.2500\n");
    free(o);
    assert_int_equal(run_cmd(f, sb_cmd_list, (const char *[]){ "list", "--db", f->db, "--sweep", "smoke", "--sharing",
                                                               "cycle:2", "--limit", "1", NULL }),
                     SB_EXIT_OK);
    o = output(f, "stdout");
    assert_int_equal(count_lines(o), 2);
    assert_mentions(o, "finished");
    free(o);
    /* Filters are values, not SQL. */
    assert_int_equal(run_cmd(f, sb_cmd_list, (const char *[]){ "list", "--db", f->db, "--task", "x' OR '1'='1", NULL }),
                     SB_EXIT_OK);
    o = output(f, "stdout");
    assert_int_equal(count_lines(o), 1);
    free(o);
    o = output(f, "stderr");
    assert_mentions(o, "no runs in");
    free(o);

    /* A missing database is named, and not created. */
    char missing[400];
    struct stat st;
    snprintf(missing, sizeof missing, "%s/nothing.db", f->dir);
    assert_int_equal(run_cmd(f, sb_cmd_list, (const char *[]){ "list", "--db", missing, NULL }), SB_EXIT_USAGE);
    o = output(f, "stderr");
    assert_mentions(o, "sharebench: list: ");
    assert_mentions(o, missing);
    free(o);
    assert_int_equal(stat(missing, &st), -1);
    assert_int_equal(run_cmd(f, sb_cmd_list, (const char *[]){ "list", "--status", "done", NULL }), SB_EXIT_USAGE);
    assert_int_equal(run_cmd(f, sb_cmd_list, (const char *[]){ "list", "--limit", "x", NULL }), SB_EXIT_USAGE);
    assert_int_equal(run_cmd(f, sb_cmd_list, (const char *[]){ "list", "--help", NULL }), SB_EXIT_OK);
}

static void export_csv(void **state)
{
    fixture *f = *state;
    char *o;
    three_runs(f);
    assert_int_equal(run_cmd(f, sb_cmd_export, (const char *[]){ "export", "--db", f->db, NULL }), SB_EXIT_OK);
    o = output(f, "stdout");
    /* Every runs column, then the params and metrics over all runs, sorted; CRLF ends. */
    const char *want =
        "id,cell,config_hash,sweep,task,sharing,seed,status,error,diverged_step,started,ended,wall_seconds,"
        "code_version,host,cpu,cores,threads,blas,param.layers,param.lr,metric.params_unique,metric.test,"
        "metric.test_long\r\n"
        "1,a,abc123,smoke,copy,cycle:2,1,finished,,,2024-01-01T00:00:00Z,2024-01-01T00:01:00Z,12.5,,,,,,,6,,"
        "11683584,0.1,\r\n"
        "2,b,abc123,smoke,copy,cycle:2,2,failed,\"bad \"\"x\"\", then\nworse\",,2024-01-01T00:00:00Z,"
        "2024-01-01T00:01:00Z,,,,,,,,12,0.001,,,\r\n"   /* a numeric key's value as the number it is */
        "3,c,abc123,,copy,none,3,diverged,,,2024-01-01T00:00:00Z,2024-01-01T00:01:00Z,,,,,,,,,,,,0.25\r\n";
    assert_string_equal(o, want);
    free(o);

    assert_int_equal(run_cmd(f, sb_cmd_export, (const char *[]){ "export", "--db", f->db, "--series", "--status",
                                                                 "finished", NULL }),
                     SB_EXIT_OK);
    o = output(f, "stdout");
    /* each point with its run's identity */
    assert_string_equal(o, "run_id,sweep,task,sharing,seed,metric,step,layer,head,value\r\n"
                           "1,smoke,copy,cycle:2,1,loss,0,-1,-1,1\r\n1,smoke,copy,cycle:2,1,loss,1,-1,-1,0.5\r\n"
                           "1,smoke,copy,cycle:2,1,loss,2,-1,-1,0.3333333333333333\r\n1,smoke,copy,cycle:2,1,loss,3,-1,-1,0.25\r\n");
    free(o);
    assert_int_equal(run_cmd(f, sb_cmd_export, (const char *[]){ "export", "--db", f->db, "--series", NULL }), SB_EXIT_OK);
    o = output(f, "stdout");
    assert_int_equal(count_lines(o), 6);
    assert_mentions(o, "2,smoke,copy,cycle:2,2,loss,0,2,3,0.5\r\n");
    free(o);
}

static void export_json(void **state)
{
    fixture *f = *state;
    char *o;
    three_runs(f);
    assert_int_equal(run_cmd(f, sb_cmd_export, (const char *[]){ "export", "--db", f->db, "--format", "json", NULL }),
                     SB_EXIT_OK);
    o = output(f, "stdout");
    cJSON *a = cJSON_Parse(o), *r;
    free(o);
    assert_non_null(a);
    assert_true(cJSON_IsArray(a));
    assert_int_equal(cJSON_GetArraySize(a), 3);
    r = cJSON_GetArrayItem(a, 0);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(r, "id")));
    assert_int_equal(cJSON_GetObjectItem(r, "seed")->valueint, 1);
    assert_close(cJSON_GetObjectItem(r, "wall_seconds")->valuedouble, 12.5, 0);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(r, "param.layers")));   /* typed: a number, not "6" */
    assert_int_equal(cJSON_GetObjectItem(r, "param.layers")->valueint, 6);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "param.lr")));
    assert_close(cJSON_GetObjectItem(r, "metric.test")->valuedouble, 0.1, 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "metric.test_long")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "error")));
    r = cJSON_GetArrayItem(a, 1);
    assert_string_equal(cJSON_GetObjectItem(r, "error")->valuestring, "bad \"x\", then\nworse");
    assert_int_equal(cJSON_GetArraySize(r), 24); /* every row has every key */
    cJSON_Delete(a);

    assert_int_equal(run_cmd(f, sb_cmd_export, (const char *[]){ "export", "--db", f->db, "--format", "json", "--task",
                                                                 "none", NULL }),
                     SB_EXIT_OK);
    o = output(f, "stdout");
    assert_string_equal(o, "[]\n");
    free(o);
    assert_int_equal(run_cmd(f, sb_cmd_export, (const char *[]){ "export", "--db", f->db, "--format", "json",
                                                                 "--series", "--limit", "1", NULL }),
                     SB_EXIT_OK);
    o = output(f, "stdout");
    a = cJSON_Parse(o);
    free(o);
    assert_int_equal(cJSON_GetArraySize(a), 4);
    r = cJSON_GetArrayItem(a, 3);
    assert_int_equal(cJSON_GetObjectItem(r, "step")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(r, "layer")->valueint, -1);
    assert_string_equal(cJSON_GetObjectItem(r, "metric")->valuestring, "loss");
    cJSON_Delete(a);
}

static void export_to_file(void **state)
{
    fixture *f = *state;
    char out[400], missing[400], *o;
    three_runs(f);
    snprintf(out, sizeof out, "%s/runs.csv", f->dir);
    snprintf(missing, sizeof missing, "%s/nothing.db", f->dir);
    write_file(out, "old\n", 4);
    assert_int_equal(run_cmd(f, sb_cmd_export, (const char *[]){ "export", "--db", f->db, "-o", out, NULL }), SB_EXIT_OK);
    o = slurp(out);
    assert_int_equal(count_lines(o), 5); /* header, 3 runs, the newline inside run 2's error */
    free(o);
    o = output(f, "stdout");
    assert_string_equal(o, "");
    free(o);
    /* A failed export leaves the old file as it was, and no temporary file. */
    assert_int_equal(run_cmd(f, sb_cmd_export, (const char *[]){ "export", "--db", missing, "-o", out, NULL }),
                     SB_EXIT_USAGE);
    o = output(f, "stderr");
    assert_mentions(o, "sharebench: export: ");
    assert_mentions(o, missing);
    free(o);
    o = slurp(out);
    assert_int_equal(count_lines(o), 5);
    free(o);
    DIR *d = opendir(f->dir);
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) {
            print_error("temporary file left: %s\n", e->d_name);
            fail();
        }
    closedir(d);
    snprintf(out, sizeof out, "%s/no/such/dir/runs.csv", f->dir);
    assert_int_equal(run_cmd(f, sb_cmd_export, (const char *[]){ "export", "--db", f->db, "-o", out, NULL }),
                     SB_EXIT_USAGE);
    o = output(f, "stderr");
    assert_mentions(o, out);
    free(o);
    assert_int_equal(run_cmd(f, sb_cmd_export, (const char *[]){ "export", "--format", "xml", NULL }), SB_EXIT_USAGE);
}

/* ---- the schema checked on open, older schemas, leases ---- */

/* A damaged schema (a table or a column missing) is refused on open, read-only
** or not, naming what is missing, and the file is left as it was. */
static void damaged_schema_refused(void **state)
{
    fixture *f = *state;
    static const struct { const char *sql, *frag; } damage[] = {
        { "DROP TABLE params", "table 'params' is missing" },
        { "DROP TABLE series", "table 'series' is missing" },
        { "ALTER TABLE runs DROP COLUMN host", "table 'runs' has no column 'host'" },
        { "DROP TABLE leases", "table 'leases' is missing" },
    };
    for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++) {
        char side[400], err[1024];
        unlink(f->db);
        snprintf(side, sizeof side, "%s-wal", f->db);
        unlink(side);
        sb_store *s = open_ok(f->db, 0);
        sb_run *r = make_run("c1", "finished", 1);
        commit_ok(s, r);
        sb_run_free(r);
        sb_store_close(s);
        test_db_exec(f->db, damage[i].sql);
        test_db_exec(f->db, "PRAGMA wal_checkpoint(TRUNCATE)");
        long size = file_size(f->db);
        for (int ro = 0; ro < 2; ro++) {
            err[0] = 0;
            assert_null(sb_store_open(f->db, ro, err, sizeof err));
            assert_mentions(err, f->db);
            assert_mentions(err, damage[i].frag);
            assert_mentions(err, "sharebench check");
        }
        assert_int_equal(file_size(f->db), size);
        assert_int_equal(q_int(f->db, "PRAGMA user_version"), SB_SCHEMA_VERSION);
    }
}

/* A database of schema version 1 (before leases): read as it is read-only
** (nothing written: it may be on read-only storage), upgraded when opened to
** write. */
static void older_schema_read_then_upgraded(void **state)
{
    fixture *f = *state;
    char err[512];
    sb_store *s = open_ok(f->db, 0);
    sb_run *r = make_run("c1", "finished", 1);
    commit_ok(s, r);
    sb_run_free(r);
    sb_store_close(s);
    test_db_exec(f->db, "DROP TABLE leases; PRAGMA user_version = 1; UPDATE meta SET value = '1' WHERE key = 'schema_version';"
                    "PRAGMA wal_checkpoint(TRUNCATE)");
    long size = file_size(f->db);
    s = open_ok(f->db, 1);
    assert_int_equal(sb_store_version(s), 1);
    assert_int_equal(sb_store_has_cell(s, "c1", err, sizeof err), 1);
    sb_lease_holder h;
    assert_int_equal(sb_lease_holder_of(s, "c1", &h, err, sizeof err), 0);
    sb_store_close(s);
    assert_int_equal(q_int(f->db, "PRAGMA user_version"), 1);
    assert_int_equal(file_size(f->db), size);
    s = open_ok(f->db, 0);
    assert_int_equal(sb_store_version(s), SB_SCHEMA_VERSION);
    sb_store_close(s);
    assert_int_equal(q_int(f->db, "PRAGMA user_version"), SB_SCHEMA_VERSION);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM sqlite_master WHERE name = 'leases'"), 1);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM runs"), 1);
}

static int take(sb_store *s, const char *cell, long after, int results, sb_lease_holder *h, int *over)
{
    char err[512] = "";
    int rc = sb_lease_take(s, cell, "t", after, results, h, over, err, sizeof err);
    if (rc < 0) {
        print_error("lease: %s\n", err);
        fail();
    }
    return rc;
}

/* A child that takes the lease of cell, says so on ready, and exits when go
** is closed. */
static pid_t holder_child(const char *db, const char *cell, int *ready_fd, int *go_fd)
{
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        char err[512], c;
        sb_lease_holder h;
        int over;
        close(ready[0]);
        close(go[1]);
        sb_store *s = sb_store_open(db, 0, err, sizeof err);
        int rc = s ? sb_lease_take(s, cell, "t", 0, 1, &h, &over, err, sizeof err) : -1;
        sb_store_close(s);
        c = rc == SB_LEASE_TAKEN ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1) _exit(1);
        while (read(go[0], &c, 1) > 0) {}
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    *ready_fd = ready[0];
    *go_fd = go[1];
    char c = 0;
    assert_int_equal(read(ready[0], &c, 1), 1);
    assert_int_equal(c, 'y');
    return p;
}

/* Leases: a cell another live process holds is held; one whose process
** died (exited, a zombie not yet reaped, its pid reused, another boot or
** host) is taken over; a cell with a result is done; giving back removes only
** this process's lease. */
static void leases(void **state)
{
    fixture *f = *state;
    char err[512];
    sb_lease_holder h, me;
    int over, rfd, gfd;
    sb_store *s = open_ok(f->db, 0);
    sb_lease_self(&me);
    assert_true(sb_lease_alive(&me));
    /* free, then ours (taking again is ours still) */
    assert_int_equal(take(s, "a", 0, 1, &h, &over), SB_LEASE_TAKEN);
    assert_int_equal(over, 0);
    assert_int_equal(take(s, "a", 0, 1, &h, &over), SB_LEASE_TAKEN);
    assert_int_equal(over, 0);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM leases WHERE cell = 'a'"), 1);
    assert_int_equal(q_int(f->db, "SELECT pid FROM leases WHERE cell = 'a'"), getpid());
    /* a live other process holds b */
    pid_t p = holder_child(f->db, "b", &rfd, &gfd);
    assert_int_equal(take(s, "b", 0, 1, &h, &over), SB_LEASE_HELD);
    assert_int_equal(h.pid, p);
    assert_int_equal(sb_lease_holder_of(s, "b", &h, err, sizeof err), 1);
    assert_int_equal(h.pid, p);
    /* its process ends: a zombie not yet reaped holds nothing, nor does it once reaped */
    close(gfd);
    siginfo_t si;
    assert_int_equal(waitid(P_PID, (id_t)p, &si, WEXITED | WNOWAIT), 0);
    assert_int_equal(sb_lease_holder_of(s, "b", &h, err, sizeof err), 0);
    assert_int_equal(take(s, "b", 0, 1, &h, &over), SB_LEASE_TAKEN);
    assert_int_equal(over, 1);
    assert_int_equal(h.pid, p);
    waitpid(p, NULL, 0);
    close(rfd);
    /* this pid with another start time (a reused pid), another boot, another host: all gone */
    char sql[2048];
    snprintf(sql, sizeof sql,
             "INSERT INTO leases VALUES('c', 't', '%s', %d, %lld, '%s', 'x'); INSERT INTO leases VALUES('d', 't', '%s', %d, %lld, 'other-boot', 'x');"
             "INSERT INTO leases VALUES('e', 't', 'elsewhere', %d, %lld, '%s', 'x')",
             me.host, (int)getpid(), me.start + 1, me.boot, me.host, (int)getpid(), me.start, (int)getpid(), me.start, me.boot);
    test_db_exec(f->db, sql);
    for (const char *c = "cde"; *c; c++) {
        char cell[2] = { *c, 0 };
        assert_int_equal(sb_lease_holder_of(s, cell, &h, err, sizeof err), 0);
        assert_int_equal(take(s, cell, 0, 1, &h, &over), SB_LEASE_TAKEN);
        assert_int_equal(over, 1);
    }
    /* done: a result (with results set), or any run stored after `after` */
    sb_run *r = make_run("f", "failed", 1);
    long id = commit_ok(s, r);
    sb_run_free(r);
    r = make_run("g", "diverged", 1);
    sb_run_set(r, "diverged_step", "3");
    commit_ok(s, r);
    sb_run_free(r);
    assert_int_equal(take(s, "g", 0, 1, &h, &over), SB_LEASE_DONE);
    assert_int_equal(take(s, "f", id, 1, &h, &over), SB_LEASE_TAKEN);   /* failed before: run again */
    assert_int_equal(take(s, "f", id - 1, 0, &h, &over), SB_LEASE_DONE); /* stored since the sweep began */
    assert_int_equal(sb_lease_last_run(s, err, sizeof err), id + 1);
    /* giving back: ours only */
    assert_int_equal(sb_lease_release(s, "a", err, sizeof err), 0);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM leases WHERE cell = 'a'"), 0);
    test_db_exec(f->db, "UPDATE leases SET pid = pid + 1 WHERE cell = 'c'");
    assert_int_equal(sb_lease_release(s, "c", err, sizeof err), 0);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM leases WHERE cell = 'c'"), 1);
    sb_store_close(s);
}

/* Processes taking the leases of one set of cells at once: each cell goes
** to exactly one of them. */
static void leases_race(void **state)
{
    fixture *f = *state;
    enum { P = 3, CELLS = 40 };
    int out[P][2], go[2];
    pid_t pid[P];
    sb_store_close(open_ok(f->db, 0));
    assert_int_equal(pipe(go), 0);
    for (int k = 0; k < P; k++) {
        assert_int_equal(pipe(out[k]), 0);
        pid[k] = fork();
        assert_true(pid[k] >= 0);
        if (pid[k] == 0) {
            char err[512], c, taken[CELLS];
            sb_lease_holder h;
            int over;
            close(go[1]);
            sb_store *s = sb_store_open(f->db, 0, err, sizeof err);
            for (int i = 0; i < CELLS; i++) {
                char cell[16];
                snprintf(cell, sizeof cell, "cell%d", i);
                int rc = s ? sb_lease_take(s, cell, "t", 0, 1, &h, &over, err, sizeof err) : -1;
                taken[i] = rc == SB_LEASE_TAKEN ? 'T' : rc == SB_LEASE_HELD ? 'H' : 'E';
            }
            sb_store_close(s);
            if (write(out[k][1], taken, CELLS) != CELLS) _exit(1);
            while (read(go[0], &c, 1) > 0) {}   /* alive, holding, until every process has taken its share */
            _exit(0);
        }
        close(out[k][1]);
    }
    close(go[0]);
    int owners[CELLS] = { 0 }, errors = 0;
    for (int k = 0; k < P; k++) {
        char taken[CELLS];
        assert_int_equal(read(out[k][0], taken, CELLS), CELLS);
        for (int i = 0; i < CELLS; i++) {
            owners[i] += taken[i] == 'T';
            errors += taken[i] == 'E';
        }
        close(out[k][0]);
    }
    close(go[1]);
    for (int k = 0; k < P; k++) waitpid(pid[k], NULL, 0);
    assert_int_equal(errors, 0);
    for (int i = 0; i < CELLS; i++) assert_int_equal(owners[i], 1);
    assert_int_equal(q_int(f->db, "SELECT count(*) FROM leases"), CELLS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(commit_and_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(schema_version_and_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(has_cell_counts_results, setup, teardown),
        cmocka_unit_test_setup_teardown(newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(foreign_database_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(garbage_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_required_column_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_values_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(unwritable_path_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_creation, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(killed_writer_leaves_whole_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(list_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(export_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(export_json, setup, teardown),
        cmocka_unit_test_setup_teardown(export_to_file, setup, teardown),
        cmocka_unit_test_setup_teardown(damaged_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(older_schema_read_then_upgraded, setup, teardown),
        cmocka_unit_test_setup_teardown(leases, setup, teardown),
        cmocka_unit_test_setup_teardown(leases_race, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
