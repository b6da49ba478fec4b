/*
** check.c: `sharebench check` (see check.h). Every check is a query whose rows
** are the problems, each already worded with its table and row, so adding a
** check is adding a query. Everything is read in one read transaction, so a
** sweep writing meanwhile cannot make a half-seen run look like a problem.
*/
#include "check.h"
#include "store.h"
#include "metrics.h"
#include "sys/fmt.h"
#include <sqlite3.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>


typedef struct {
    sqlite3 *db;
    const char *path;
    FILE *out;
    long shown;   /* of each kind, at most */
    sb_check_result *res;
} checker;

/* One problem (or warning) of a kind; the first SB_CHECK_SHOWN of a kind are printed. */
static void report(checker *c, int warning, long *shown, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void report(checker *c, int warning, long *shown, const char *fmt, ...)
{
    if (warning) c->res->warnings++;
    else c->res->problems++;
    if (!c->out || (*shown)++ >= c->shown) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(c->out, "%s: %s: ", c->path, warning ? "warning" : "problem");
    vfprintf(c->out, fmt, ap);
    fputc('\n', c->out);
    va_end(ap);
}

static void more(checker *c, long shown)
{
    if (c->out && shown > c->shown) fprintf(c->out, "%s: ... and %ld more like the above (--verbose shows all)\n", c->path, shown - c->shown);
}

/* Run a query whose first column is the text of one problem per row; what
** names the check when the query itself fails (a damaged page). */
static void query(checker *c, int warning, const char *what, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long shown = 0;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        report(c, warning, &shown, "%s", t ? (const char *)t : "(no text)");
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE) report(c, 0, &shown, "cannot check %s: %s", what, sqlite3_errmsg(c->db));
    sqlite3_finalize(st);
    more(c, shown);
}

static long count(checker *c, const char *table)
{
    char sql[128];
    sqlite3_stmt *st = NULL;
    long n = 0;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", table);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* ---- the schema (store.h's description of it) ---- */

/* 1 when sql, its parameters ?1 and ?2 bound to a and b, returns a row. */
static int has_row(checker *c, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}

/* 1 when column exists in table. */
static int has_column(checker *c, const char *table, const char *column)
{
    return has_row(c, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", table, column);
}

/* 1 when the schema holds an object of this type ("table", "index") and name. */
static int has_object(checker *c, const char *type, const char *name)
{
    return has_row(c, "SELECT 1 FROM sqlite_master WHERE type = ?1 AND name = ?2", type, name);
}

/* The schema and its version. 1 when the tables the row checks read are all there. */
static int check_schema(checker *c)
{
    long shown = 0;
    int complete = 1, version = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (!has_object(c, "table", "meta") && !has_object(c, "table", "runs")) {
        report(c, 0, &shown, "not a sharebench database: no 'meta' and no 'runs' table%s",
               version == 0 && count(c, "sqlite_master") == 0 ? " (an empty file)" : "");
        return 0;
    }
    /* what the file's version has; a later version's tables are not missing
    ** from an older file (the next writer adds them) */
    int ntables, nindexes, upto = version >= 1 && version <= SB_SCHEMA_VERSION ? version : SB_SCHEMA_VERSION;
    const sb_store_table *tables = sb_store_tables(&ntables);
    const sb_store_index *indexes = sb_store_indexes(&nindexes);
    for (int t = 0; t < ntables; t++) {
        if (tables[t].since > upto) continue;
        if (!has_object(c, "table", tables[t].name)) {
            report(c, 0, &shown, "schema: table '%s' is missing", tables[t].name);
            complete = 0;
            continue;
        }
        for (int k = 0; tables[t].columns[k]; k++)
            if (!has_column(c, tables[t].name, tables[t].columns[k])) {
                report(c, 0, &shown, "schema: table '%s' has no column '%s'", tables[t].name, tables[t].columns[k]);
                complete = 0;
            }
    }
    for (int i = 0; i < nindexes; i++)
        if (indexes[i].since <= upto && !has_object(c, "index", indexes[i].name))
            report(c, 0, &shown, "schema: index '%s' is missing", indexes[i].name);
    /* an older schema is not damage: the next command that writes upgrades it (store.c's migrations) */
    int older = version > 0 && version < SB_SCHEMA_VERSION;
    if (version != SB_SCHEMA_VERSION)
        report(c, older, &shown, "schema: version (PRAGMA user_version) is %d, expected %d%s", version, SB_SCHEMA_VERSION,
               version > SB_SCHEMA_VERSION ? " (written by a newer sharebench)"
               : older ? " (older: the next run or sweep into it upgrades it)" : "");
    if (has_object(c, "table", "meta") && has_column(c, "meta", "key") && has_column(c, "meta", "value")) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT printf('meta: schema_version is %%s, expected %d', coalesce(quote(value), 'missing'))"
                 " FROM (SELECT (SELECT value FROM meta WHERE key = 'schema_version') AS value)"
                 " WHERE value IS NULL OR CAST(value AS TEXT) != '%d'",
                 upto, upto);
        query(c, 0, "the schema version in meta", sql);
    }
    more(c, shown);
    return complete;
}

/* ---- the rows ---- */

static const char *const required[] = { "cell", "config_hash", "task", "sharing", "seed", "status", "started", "ended" };

static const struct {
    const char *what, *sql;
} row_checks[] = {
    { "runs' statuses",
      "SELECT printf('runs row %d: status %s is not one of finished, failed, diverged', id, quote(status)) FROM runs"
      " WHERE status IS NOT NULL AND status NOT IN ('finished', 'failed', 'diverged')" },
    { "diverged runs' steps",
      "SELECT printf('runs row %d: diverged without its diverged_step', id) FROM runs"
      " WHERE status = 'diverged' AND diverged_step IS NULL" },
    { "failed runs' errors",
      "SELECT printf('runs row %d: failed without its error', id) FROM runs"
      " WHERE status = 'failed' AND (error IS NULL OR error = '')" },
    { "runs' configurations (params)",
      "SELECT printf('runs row %d: no params rows (every run is stored with its configuration)', id) FROM runs r"
      " WHERE NOT EXISTS (SELECT 1 FROM params p WHERE p.run_id = r.id)" },
    /* a benchmark's runs (sharebench bench --db: tasks bench.*) are measurements, not trained models */
    { "finished runs' metrics",
      "SELECT printf('runs row %d: finished without its final metrics (no ''test'' metric)', id) FROM runs r"
      " WHERE status = 'finished' AND r.task NOT LIKE 'bench.%'"
      " AND NOT EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = r.id AND m.key = 'test')" },
    { "benchmark runs' metrics",
      "SELECT printf('runs row %d: a finished benchmark (%s) without any metric', id, task) FROM runs r"
      " WHERE status = 'finished' AND r.task LIKE 'bench.%'"
      " AND NOT EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = r.id)" },
    { "runs' seeds",
      "SELECT printf('runs row %d: seed %s is not a whole number', id, quote(seed)) FROM runs"
      " WHERE seed IS NOT NULL AND typeof(seed) != 'integer'" },
    { "runs' whole-number columns",
      "SELECT printf('runs row %d: %s %s is not a whole number', id, c, quote(v)) FROM ("
      " SELECT id, 'diverged_step' AS c, diverged_step AS v FROM runs UNION ALL"
      " SELECT id, 'cores', cores FROM runs UNION ALL SELECT id, 'threads', threads FROM runs)"
      " WHERE v IS NOT NULL AND typeof(v) != 'integer'" },
    { "runs' wall_seconds",
      "SELECT printf('runs row %d: wall_seconds %s is not a number', id, quote(wall_seconds)) FROM runs"
      " WHERE typeof(wall_seconds) NOT IN ('real', 'integer', 'null')" },
    { "params of missing runs",
      "SELECT printf('params row (run_id %s, key %s): run %s does not exist', quote(run_id), quote(key), quote(run_id))"
      " FROM params p WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = p.run_id)" },
    { "metrics of missing runs",
      "SELECT printf('metrics row (run_id %s, key %s): run %s does not exist', quote(run_id), quote(key), quote(run_id))"
      " FROM metrics m WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = m.run_id)" },
    { "series of missing runs",
      "SELECT printf('series row %d (run_id %s, metric %s): run %s does not exist', rowid, quote(run_id), quote(metric),"
      " quote(run_id)) FROM series s WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = s.run_id)" },
    { "metrics' values",
      "SELECT printf('metrics row (run_id %s, key %s): value %s is not a number', quote(run_id), quote(key), quote(value))"
      " FROM metrics WHERE typeof(value) NOT IN ('real', 'integer', 'null')" },
    { "series' values",
      "SELECT printf('series row %d (run_id %s, metric %s): %s', rowid, quote(run_id), quote(metric),"
      " CASE WHEN typeof(step) != 'integer' THEN 'step ' || quote(step) || ' is not a whole number'"
      " WHEN typeof(layer) != 'integer' OR layer < -1 THEN 'layer ' || quote(layer) || ' is not a whole number >= -1'"
      " WHEN typeof(head) != 'integer' OR head < -1 THEN 'head ' || quote(head) || ' is not a whole number >= -1'"
      " ELSE 'value ' || quote(value) || ' is not a number' END) FROM series"
      " WHERE typeof(step) != 'integer' OR typeof(layer) != 'integer' OR layer < -1 OR typeof(head) != 'integer' OR head < -1"
      " OR typeof(value) NOT IN ('real', 'integer', 'null')" },
    { "params' keys and values",
      "SELECT printf('params row (run_id %s, key %s): %s', quote(run_id), quote(key),"
      " CASE WHEN key IS NULL OR key = '' THEN 'empty key' ELSE 'value ' || quote(value) || ' is not text' END) FROM params"
      " WHERE key IS NULL OR key = '' OR typeof(value) NOT IN ('text', 'null')" },
};

static void check_rows(checker *c)
{
    char sql[512];
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        snprintf(sql, sizeof sql, "SELECT printf('runs row %%d: required column ''%s'' is empty', id) FROM runs"
                 " WHERE \"%s\" IS NULL OR \"%s\" = ''", required[i], required[i], required[i]);
        query(c, 0, "runs' required columns", sql);
    }
    for (size_t i = 0; i < sizeof row_checks / sizeof row_checks[0]; i++) query(c, 0, row_checks[i].what, row_checks[i].sql);
    /* the cells being run (schema version 2): a lease must name its process */
    if (has_object(c, "table", "leases"))
        query(c, 0, "leases",
              "SELECT printf('leases row (cell %s): %s', quote(cell),"
              " CASE WHEN typeof(pid) != 'integer' OR pid <= 0 THEN 'pid ' || quote(pid) || ' is not a whole number above 0'"
              " WHEN typeof(proc_start) != 'integer' THEN 'proc_start ' || quote(proc_start) || ' is not a whole number'"
              " WHEN host IS NULL OR host = '' THEN 'no host'"
              " ELSE 'taken ' || quote(taken) || ' is not a time' END) FROM leases"
              " WHERE typeof(pid) != 'integer' OR pid <= 0 OR typeof(proc_start) != 'integer' OR host IS NULL OR host = ''"
              " OR taken IS NULL OR typeof(taken) != 'text' OR taken = ''");
    /* A cell with two results is what a sweep run again without --resume
    ** makes; readers count the latest. Worth knowing, not a fault. A
    ** benchmark (tasks bench.*) is repeated on purpose: every result counts. */
    query(c, 1, "cells with several results",
          "SELECT printf('runs rows %s: cell %s has %d results (%s); the latest counts', ids, quote(cell), n, statuses)"
          " FROM (SELECT cell, count(*) AS n, group_concat(id, ', ') AS ids, group_concat(status, ', ') AS statuses"
          " FROM (SELECT cell, id, status FROM runs WHERE status IN ('finished', 'diverged') AND task NOT LIKE 'bench.%' ORDER BY id)"
          " GROUP BY cell HAVING count(*) > 1)");
}

/* Keys the metric registry (metrics.h) does not know: written by another
** version of sharebench, or by hand. A warning: the rows are whole, but no
** reader of this version looks for them. */
static void check_keys(checker *c)
{
    static const struct {
        const char *table, *sql;
        int series;
    } keyed[] = {
        { "metrics", "SELECT key, count(*) FROM metrics GROUP BY key ORDER BY key", 0 },
        { "series", "SELECT metric, count(*) FROM series GROUP BY metric ORDER BY metric", 1 },
    };
    for (size_t i = 0; i < sizeof keyed / sizeof keyed[0]; i++) {
        sqlite3_stmt *st = NULL;
        long shown = 0;
        int rc = sqlite3_prepare_v2(c->db, keyed[i].sql, -1, &st, NULL);
        while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *k = (const char *)sqlite3_column_text(st, 0);
            rc = SQLITE_OK;
            if (k && (keyed[i].series ? sb_series_lookup(k) : sb_metric_lookup(k)) >= 0) continue;
            report(c, 1, &shown, "%s key '%s' (%lld row%s): not one this sharebench records (sharebench metrics lists them)",
                   keyed[i].table, k ? k : "", (long long)sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 1) == 1 ? "" : "s");
        }
        if (rc != SQLITE_DONE) report(c, 0, &shown, "cannot check the keys of %s: %s", keyed[i].table, sqlite3_errmsg(c->db));
        sqlite3_finalize(st);
        more(c, shown);
    }
}

int sb_check_db(const char *path, FILE *out, long shown, sb_check_result *res, char *err, size_t errlen)
{
    struct stat st;
    memset(res, 0, sizeof *res);
    if (!path || !*path) {
        snprintf(err, errlen, "no database path given");
        return -1;
    }
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory, not a database file", path);
        return -1;
    }
    checker c = { NULL, path, out, shown > 0 ? shown : SB_CHECK_SHOWN, res };
    shown = 0;
    char why[1024];
    /* read-only, on read-only storage too */
    if (sb_store_open_sqlite_readonly(path, &c.db, why, sizeof why)) {
        report(&c, 0, &shown, "cannot open: %s", why);
        return 0;
    }
    /* one snapshot for every check */
    if (sqlite3_exec(c.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(c.db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK) {
        report(&c, 0, &shown, "cannot read: %s", sqlite3_errmsg(c.db));
        sqlite3_close(c.db);
        return 0;
    }
    query(&c, 0, "SQLite's integrity", "SELECT 'SQLite integrity check: ' || integrity_check FROM pragma_integrity_check"
                 " WHERE integrity_check != 'ok'");
    if (check_schema(&c)) {
        res->runs = count(&c, "runs");
        res->params = count(&c, "params");
        res->metrics = count(&c, "metrics");
        res->series = count(&c, "series");
        check_rows(&c);
        check_keys(&c);
    }
    sqlite3_exec(c.db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(c.db);
    return 0;
}

int sb_check_damaged(const char *path, char *err, size_t errlen)
{
    sb_check_result res;
    char *text = NULL;
    size_t len = 0;
    if (access(path, F_OK) != 0) return 0;
    /* an empty file (or one another sweep is creating the schema in, which
    ** readers see empty until it commits) becomes a database on open */
    sqlite3 *db;
    int empty = 0;
    if (!sb_store_open_sqlite_readonly(path, &db, err, errlen)) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM sqlite_master) = 0 AND (SELECT user_version FROM pragma_user_version) = 0",
                               -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            empty = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    if (empty) return 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int rc = sb_check_db(path, out, 0, &res, err, errlen);
    fclose(out);
    if (!rc && res.problems) {
        /* the first problems, without each line's "path: problem: " */
        char first[1024] = "";
        int shown = 0;
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && shown < 3; line = strtok_r(NULL, "\n", &save)) {
            char *p = strstr(line, ": problem: ");
            if (!p) continue;
            size_t l = strlen(first);
            snprintf(first + l, sizeof first - l, "%s%s", shown++ ? "; " : "", p + 11);
        }
        snprintf(err, errlen, "%s is damaged (%ld problem%s: %s%s); nothing was run. sharebench check --db %s lists them all",
                 path, res.problems, res.problems == 1 ? "" : "s", first, res.problems > shown ? "; ..." : "", path);
        rc = -1;
    }
    free(text);
    return rc;
}

