/*
** test_check.c: `sharebench check` (bench/cmd/check.c). A database written by the
** store is clean; then each kind of damage a crash, a bug or a hand edit can
** leave is made with plain SQL (or by overwriting bytes), and the check must
** report it naming the table and the row, count it, and exit 1, without
** writing to the file. A missing file or a directory is a usage error (exit 2).
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp */
#endif
#include "testdb.h"
#include "results/check.h"
#include "results/store.h"
#include "cli/cli.h"
#include "cmd/commands.h"
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef test_db_fixture fixture;

static int setup(void **state)
{
    return test_db_setup(state, "check");
}

static int teardown(void **state)
{
    fixture *f = *state;
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* A database with three whole runs: finished, diverged and failed. */
static void make_db(const fixture *f)
{
    char err[512];
    static const char *const status[] = { "finished", "diverged", "failed" };
    sb_store *s = sb_store_open(f->db, 0, err, sizeof err);
    assert_non_null(s);
    for (int i = 0; i < 3; i++) {
        sb_run *r = sb_run_new();
        char cell[32], seed[8];
        snprintf(cell, sizeof cell, "cell%d", i);
        snprintf(seed, sizeof seed, "%d", i + 1);
        sb_run_set(r, "cell", cell);
        sb_run_set(r, "config_hash", "h");
        sb_run_set(r, "task", "copy");
        sb_run_set(r, "sharing", "none");
        sb_run_set(r, "seed", seed);
        sb_run_set(r, "status", status[i]);
        sb_run_set(r, "started", "2024-01-01T00:00:00Z");
        sb_run_set(r, "ended", "2024-01-01T00:01:00Z");
        if (i == 1) sb_run_set(r, "diverged_step", "7");
        if (i == 2) sb_run_set(r, "error", "out of memory");
        sb_run_param(r, "steps", "10");
        sb_run_param(r, "width", "32");
        if (i == 0) sb_run_metric(r, "test", 0.75);
        sb_run_metric(r, "steps_done", 10);
        sb_run_series(r, "train_loss", 0, -1, -1, 2.5);
        sb_run_series(r, "train_loss", 1, -1, -1, 2.0);
        assert_true(sb_store_commit(s, r, err, sizeof err) > 0);
        sb_run_free(r);
    }
    sb_store_close(s);
}

/* Check f->db: the result, and the printed problems in dir/check.out (read into text). */
static sb_check_result check(const fixture *f, char *text, size_t len)
{
    sb_check_result r;
    char err[512], path[300];
    snprintf(path, sizeof path, "%s/check.out", f->dir);
    FILE *out = fopen(path, "w+");
    assert_non_null(out);
    if (sb_check_db(f->db, out, 0, &r, err, sizeof err)) {
        print_error("check: %s\n", err);
        fail();
    }
    rewind(out);
    size_t n = fread(text, 1, len - 1, out);
    text[n] = 0;
    fclose(out);
    return r;
}

static void clean_database(void **state)
{
    fixture *f = *state;
    char text[4096];
    make_db(f);
    struct stat before, after;
    assert_int_equal(stat(f->db, &before), 0);
    sb_check_result r = check(f, text, sizeof text);
    assert_int_equal(r.problems, 0);
    assert_int_equal(r.warnings, 0);
    assert_int_equal(r.runs, 3);
    assert_int_equal(r.params, 6);
    assert_int_equal(r.metrics, 4);
    assert_int_equal(r.series, 6);
    assert_string_equal(text, "");
    assert_int_equal(stat(f->db, &after), 0);
    assert_true(before.st_mtime == after.st_mtime && before.st_size == after.st_size);
}

/* Each damage, the fragments its report must contain, and how many problems. */
static const struct {
    const char *sql;
    const char *mentions[2];
    int problems, warnings;
} damages[] = {
    { "DELETE FROM metrics WHERE run_id = 1 AND key = 'test'", { "runs row 1", "finished without its final metrics" }, 1, 0 },
    /* a benchmark's runs need some metric, not 'test' (sharebench bench --db) */
    { "UPDATE runs SET task = 'bench.S1' WHERE id = 1; DELETE FROM metrics WHERE run_id = 1",
      { "runs row 1", "a finished benchmark (bench.S1) without any metric" }, 1, 0 },
    { "UPDATE runs SET task = 'bench.S1' WHERE id = 1; DELETE FROM metrics WHERE run_id = 1;"
      " INSERT INTO metrics VALUES(1, 'train_step_ms', 12.5)", { "", "" }, 0, 0 },
    { "DELETE FROM params WHERE run_id = 2", { "runs row 2", "no params rows" }, 1, 0 },
    { "UPDATE runs SET diverged_step = NULL WHERE id = 2", { "runs row 2", "diverged without its diverged_step" }, 1, 0 },
    { "UPDATE runs SET error = NULL WHERE id = 3", { "runs row 3", "failed without its error" }, 1, 0 },
    { "PRAGMA ignore_check_constraints = ON; UPDATE runs SET status = 'done' WHERE id = 1",
      { "runs row 1", "status 'done'" }, 1, 0 },
    { "UPDATE runs SET cell = '' WHERE id = 3", { "runs row 3", "required column 'cell'" }, 1, 0 },
    { "UPDATE runs SET seed = 'x' WHERE id = 1", { "runs row 1", "seed 'x'" }, 1, 0 },
    { "UPDATE runs SET threads = 2.5 WHERE id = 2", { "runs row 2", "threads 2.5" }, 1, 0 },
    { "PRAGMA foreign_keys = OFF; INSERT INTO params VALUES(99, 'lr', '0.1')", { "params row (run_id 99, key 'lr')", "run 99 does not exist" }, 1, 0 },
    { "PRAGMA foreign_keys = OFF; INSERT INTO metrics VALUES(42, 'test', 0.5)", { "metrics row (run_id 42, key 'test')", "does not exist" }, 1, 0 },
    { "PRAGMA foreign_keys = OFF; INSERT INTO series VALUES(7, 'train_loss', 0, -1, -1, 1.0)", { "(run_id 7, metric 'train_loss')", "run 7 does not exist" }, 1, 0 },
    /* keys the metric registry does not know: whole rows, but nothing reads them */
    { "UPDATE metrics SET key = 'tset' WHERE run_id = 1 AND key = 'test'; INSERT INTO metrics VALUES(1, 'test', 0.75)",
      { "metrics key 'tset' (1 row)", "sharebench metrics" }, 0, 1 },
    { "UPDATE series SET metric = 'loss'", { "series key 'loss' (6 rows)", "not one this sharebench records" }, 0, 1 },
    { "UPDATE metrics SET value = 'high' WHERE run_id = 1 AND key = 'test'", { "metrics row (run_id 1, key 'test')", "value 'high' is not a number" }, 1, 0 },
    { "UPDATE series SET layer = -5 WHERE rowid = 1", { "series row 1 ", "layer -5" }, 1, 0 },
    { "UPDATE series SET step = 'a' WHERE rowid = 2", { "series row 2 ", "step 'a'" }, 1, 0 },
    { "UPDATE params SET value = X'0102' WHERE run_id = 1 AND key = 'width'", { "params row (run_id 1, key 'width')", "value X'0102' is not text" }, 1, 0 },
    { "PRAGMA user_version = 7", { "schema", "version (PRAGMA user_version) is 7" }, 1, 0 },
    { "UPDATE meta SET value = '3' WHERE key = 'schema_version'", { "meta: schema_version is '3'", "expected 2" }, 1, 0 },
    /* the leases of schema version 2 (lease.h) */
    { "DROP TABLE leases", { "table 'leases' is missing", "schema" }, 1, 0 },
    { "INSERT INTO leases VALUES('c1', 's', 'host', 0, 5, 'b', '2026-01-01T00:00:00Z')", { "leases row (cell 'c1')", "pid 0" }, 1, 0 },
    { "INSERT INTO leases VALUES('c2', 's', '', 7, 5, 'b', '2026-01-01T00:00:00Z')", { "leases row (cell 'c2')", "no host" }, 1, 0 },
    { "INSERT INTO leases VALUES('c3', 's', 'h', 7, 'x', 'b', '2026-01-01T00:00:00Z')", { "leases row (cell 'c3')", "proc_start 'x'" }, 1, 0 },
    /* a database of schema version 1 (before leases) is older, not damaged */
    { "DROP TABLE leases; PRAGMA user_version = 1; UPDATE meta SET value = '1' WHERE key = 'schema_version'",
      { "version (PRAGMA user_version) is 1", "older" }, 0, 1 },
    { "DROP INDEX series_run_metric_step", { "index 'series_run_metric_step' is missing", "schema" }, 1, 0 },
    { "DROP TABLE series", { "table 'series' is missing", "index 'series_run_metric_step' is missing" }, 2, 0 },
    { "INSERT INTO runs(cell, config_hash, task, sharing, seed, status, started, ended) "
      "SELECT cell, config_hash, task, sharing, seed, status, started, ended FROM runs WHERE id = 1; "
      "INSERT INTO params SELECT 4, key, value FROM params WHERE run_id = 1; INSERT INTO metrics SELECT 4, key, value FROM metrics WHERE run_id = 1",
      { "runs rows 1, 4", "cell 'cell0' has 2 results" }, 0, 1 },
    /* a benchmark repeated is not a cell run twice by mistake */
    { "UPDATE runs SET task = 'bench.S1' WHERE id = 1; "
      "INSERT INTO runs(cell, config_hash, task, sharing, seed, status, started, ended) "
      "SELECT cell, config_hash, task, sharing, seed, status, started, ended FROM runs WHERE id = 1; "
      "INSERT INTO params SELECT 4, key, value FROM params WHERE run_id = 1; INSERT INTO metrics SELECT 4, key, value FROM metrics WHERE run_id = 1",
      { "", "" }, 0, 0 },
};

static void damage_reported(void **state)
{
    fixture *f = *state;
    char text[8192];
    for (size_t i = 0; i < sizeof damages / sizeof damages[0]; i++) {
        char side[320];
        unlink(f->db);
        snprintf(side, sizeof side, "%s-wal", f->db);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", f->db);
        unlink(side);
        make_db(f);
        test_db_exec(f->db, damages[i].sql);
        sb_check_result r = check(f, text, sizeof text);
        for (int k = 0; k < 2; k++)
            if (!strstr(text, damages[i].mentions[k])) {
                print_error("damage %zu (%s): report does not mention \"%s\":\n%s", i, damages[i].sql, damages[i].mentions[k], text);
                fail();
            }
        if (r.problems != damages[i].problems || r.warnings != damages[i].warnings) {
            print_error("damage %zu (%s): %ld problems, %ld warnings, want %d and %d:\n%s", i, damages[i].sql, r.problems,
                        r.warnings, damages[i].problems, damages[i].warnings, text);
            fail();
        }
        /* every line names the file and says what it is */
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
            assert_true(!strncmp(line, f->db, strlen(f->db)));
    }
}

/* Bytes overwritten in the middle of the file: SQLite's integrity check speaks. */
static void corrupt_pages_reported(void **state)
{
    fixture *f = *state;
    char text[8192];
    make_db(f);
    test_db_exec(f->db, "PRAGMA journal_mode = DELETE");
    struct stat st;
    assert_int_equal(stat(f->db, &st), 0);
    FILE *fp = fopen(f->db, "r+b");
    assert_non_null(fp);
    /* the header of every page after the first: the tables' and indexes' pages */
    for (long off = 4096; off < st.st_size; off += 4096) {
        fseek(fp, off, SEEK_SET);
        fputs("garbage garbage garbage garbage", fp);
    }
    fclose(fp);
    sb_check_result r = check(f, text, sizeof text);
    assert_true(r.problems > 0);
    assert_mentions(text, "problem");
}

static void not_a_database(void **state)
{
    fixture *f = *state;
    char text[4096], err[512];
    sb_check_result r;
    FILE *fp = fopen(f->db, "w");
    fputs("this is not a database, just some text long enough to look like a header...........", fp);
    fclose(fp);
    r = check(f, text, sizeof text);
    assert_int_equal(r.problems, 1);
    assert_mentions(text, "file is not a database");
    fp = fopen(f->db, "w");
    fclose(fp);
    r = check(f, text, sizeof text);
    assert_int_equal(r.problems, 1);
    assert_mentions(text, "not a sharebench database");
    assert_mentions(text, "empty file");
    /* a usage error, not a problem: nothing to check */
    assert_int_equal(sb_check_db(f->dir, NULL, 0, &r, err, sizeof err), -1);
    assert_mentions(err, "is a directory");
    unlink(f->db);
    assert_int_equal(sb_check_db(f->db, NULL, 0, &r, err, sizeof err), -1);
    assert_mentions(err, "No such file");
}

/* The command's exit status: 0 clean, 1 problems, 2 no such file. */
static int run_check(const char *db)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *argv[] = { "check", "--db", (char *)db, "--quiet", NULL };
        if (!freopen("/dev/null", "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(99);
        _exit(sb_cmd_check(4, argv));
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void exit_status(void **state)
{
    fixture *f = *state;
    make_db(f);
    assert_int_equal(run_check(f->db), 0);
    test_db_exec(f->db, "PRAGMA foreign_keys = OFF; INSERT INTO params VALUES(99, 'lr', '0.1')");
    assert_int_equal(run_check(f->db), 1);
    unlink(f->db);
    assert_int_equal(run_check(f->db), 2);
}

/* Many problems of one kind: the first SB_CHECK_SHOWN shown, all counted. */
static void many_problems_summarised(void **state)
{
    fixture *f = *state;
    char text[16384];
    make_db(f);
    test_db_exec(f->db, "PRAGMA foreign_keys = OFF; WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < 149)"
                    " INSERT INTO params SELECT i, 'k', 'v' FROM n");
    sb_check_result r = check(f, text, sizeof text);
    assert_int_equal(r.problems, 50);
    assert_mentions(text, "... and 30 more like the above");
    int lines = 0;
    for (char *p = text; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, SB_CHECK_SHOWN + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(clean_database, setup, teardown),
        cmocka_unit_test_setup_teardown(damage_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(corrupt_pages_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(exit_status, setup, teardown),
        cmocka_unit_test_setup_teardown(many_problems_summarised, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
