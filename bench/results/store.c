/*
** store.c: the results database (SQLite) behind store.h. Every command that
** records runs (run, sweep) writes here through sb_store_commit; the results
** module's readers (runset, series, listing) query through sb_store_db. A run is
** assembled in memory (record.c) and written whole in one transaction, so a
** process killed at any moment leaves either the whole run or nothing.
**
** Choices, briefly:
** - WAL and a 60 s busy timeout, so concurrent sweeps and readers do not fail
**   with "database is locked" (MLflow's known problem); BEGIN IMMEDIATE takes
**   the write lock up front, so a transaction never has to upgrade a read lock
**   (which could deadlock and fail without waiting).
** - synchronous=FULL: WAL with NORMAL survives a killed process but can lose
**   the last commits on power loss; one fsync per run (runs take seconds to
**   hours) costs nothing measurable, so take the safe setting.
** - The file is inspected before anything is written to it: a foreign
**   database or a non-database is refused untouched (not even switched to WAL).
** - Schema changes go through migrations[]: migrations[v] takes version v to
**   v + 1, and an empty file is version 0, so creating and upgrading are the
**   same code path. tables[] describes the result, for the check every open
**   makes (a table or column missing refuses the file before any work) and
**   for `sharebench check`.
** - Readers open read-only and never write, so a database on read-only
**   storage reads (see sb_store_open_sqlite_readonly).
*/
#include "store.h"
#include "record_internal.h"
#include <sqlite3.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* ---- schema ---- */

static const char schema_v1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);\n"
    "CREATE TABLE runs(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  cell TEXT NOT NULL, config_hash TEXT NOT NULL, sweep TEXT,\n"
    "  task TEXT NOT NULL, sharing TEXT NOT NULL, seed INTEGER NOT NULL,\n"
    "  status TEXT NOT NULL CHECK(status IN ('finished','failed','diverged')),\n"
    "  error TEXT, diverged_step INTEGER,\n"
    "  started TEXT NOT NULL, ended TEXT NOT NULL, wall_seconds REAL,\n"
    "  code_version TEXT, host TEXT, cpu TEXT, cores INTEGER, threads INTEGER, blas TEXT);\n"
    "CREATE TABLE params(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  key TEXT NOT NULL, value TEXT, PRIMARY KEY(run_id, key)) WITHOUT ROWID;\n"
    "CREATE TABLE metrics(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  key TEXT NOT NULL, value REAL, PRIMARY KEY(run_id, key)) WITHOUT ROWID;\n"
    "CREATE TABLE series(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
    "  metric TEXT NOT NULL, step INTEGER NOT NULL,\n"
    "  layer INTEGER NOT NULL DEFAULT -1, head INTEGER NOT NULL DEFAULT -1, value REAL);\n"
    "CREATE INDEX runs_cell_status ON runs(cell, status);\n"
    "CREATE INDEX runs_task_sharing ON runs(task, sharing);\n"
    "CREATE INDEX series_run_metric_step ON series(run_id, metric, step);\n";

/* Version 2: the cells being run now, one process each (lease.c), so that
** sweeps of one file running at once share its cells. A row names its
** process by host, pid, the process's start time (clock ticks after boot,
** /proc/PID/stat) and the boot's id, so that a pid reused after the process
** died, or a reboot, does not keep the cell. */
static const char schema_v2[] =
    "CREATE TABLE leases(cell TEXT PRIMARY KEY, sweep TEXT, host TEXT NOT NULL, pid INTEGER NOT NULL,\n"
    "  proc_start INTEGER NOT NULL, boot_id TEXT NOT NULL, taken TEXT NOT NULL) WITHOUT ROWID;\n";

/* migrations[v] takes the database from schema version v to v + 1 (version 0
** is an empty file). To change the schema: append a step here (ALTER TABLE,
** CREATE INDEX, ...), describe its result in tables[] and indexes[], and bump
** SB_SCHEMA_VERSION; never edit a published step. */
static const char *const migrations[] = { schema_v1, schema_v2 };
_Static_assert(sizeof migrations / sizeof migrations[0] == SB_SCHEMA_VERSION,
               "one migration per schema version");

/* What the migrations make, table by table (in the order of the columns). */
static const sb_store_table tables[] = {
    { "meta", 1, { "key", "value" } },
    { "runs", 1, { "id", "cell", "config_hash", "sweep", "task", "sharing", "seed", "status", "error", "diverged_step",
                   "started", "ended", "wall_seconds", "code_version", "host", "cpu", "cores", "threads", "blas" } },
    { "params", 1, { "run_id", "key", "value" } },
    { "metrics", 1, { "run_id", "key", "value" } },
    { "series", 1, { "run_id", "metric", "step", "layer", "head", "value" } },
    { "leases", 2, { "cell", "sweep", "host", "pid", "proc_start", "boot_id", "taken" } },
};
static const sb_store_index indexes[] = {
    { "runs_cell_status", 1 }, { "runs_task_sharing", 1 }, { "series_run_metric_step", 1 },
};

const sb_store_table *sb_store_tables(int *n)
{
    *n = (int)(sizeof tables / sizeof tables[0]);
    return tables;
}

const sb_store_index *sb_store_indexes(int *n)
{
    *n = (int)(sizeof indexes / sizeof indexes[0]);
    return indexes;
}

/* Bound by position: ?k is sb_run_columns[k - 1] (record_internal.h). */
static const char insert_run_sql[] =
    "INSERT INTO runs(cell, config_hash, sweep, task, sharing, seed, status, error, diverged_step,"
    " started, ended, wall_seconds, code_version, host, cpu, cores, threads, blas)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";
_Static_assert(SB_RUN_NCOLUMNS == 18, "insert_run_sql lists 18 columns");

/* ---- the store ---- */

enum { ST_RUN, ST_PARAM, ST_METRIC, ST_SERIES, ST_HAS_CELL, ST_COUNT };

static const char *const stmt_sql[ST_COUNT] = {
    insert_run_sql,
    "INSERT INTO params(run_id, key, value) VALUES(?1, ?2, ?3)",
    "INSERT INTO metrics(run_id, key, value) VALUES(?1, ?2, ?3)",
    "INSERT INTO series(run_id, metric, step, layer, head, value) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    "SELECT EXISTS(SELECT 1 FROM runs WHERE cell = ?1 AND status IN ('finished', 'diverged'))",
};

struct sb_store {
    sqlite3 *db;
    char *path;
    int readonly;
    int version;                  /* the schema version of the file */
    sqlite3_stmt *stmt[ST_COUNT]; /* prepared on first use, kept for reuse */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || !errlen) return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

static const char *storage_error(sb_store *s, char *buf, size_t len);

/* Run constant SQL (no user values). A fault of the storage (a full disk) is
** said in the user's terms: creating a database on a full disk fails here. */
static int exec(sb_store *s, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL, why[1024];
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    set_err(err, errlen, "%s: %s", s->path, storage_error(s, why, sizeof why) ? why : msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return -1;
}

/* The write lock. The busy timeout already waits up to 60 s; SQLITE_BUSY can
** still come back without waiting (WAL recovery by another connection, a lock
** held past the timeout), so try again a few times before giving up. */
static int begin_immediate(sb_store *s, char *err, size_t errlen)
{
    int rc = SQLITE_OK;
    for (int attempt = 0; attempt < 5; attempt++) {
        rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc == SQLITE_OK) return 0;
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) break;
        sleep_ms(100L << attempt);
    }
    char why[1024];
    if ((rc & 0xff) == SQLITE_BUSY)
        set_err(err, errlen, "%s: database is locked (another process has held the write lock for over 60 s)", s->path);
    else
        set_err(err, errlen, "%s: cannot start a transaction: %s", s->path,
                storage_error(s, why, sizeof why) ? why : sqlite3_errmsg(s->db));
    return -1;
}

static void rollback(sb_store *s)
{
    /* Some errors (disk full, I/O) roll the transaction back by themselves. */
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* What the file holds: nothing (a new or empty file), a sharebench database
** of some schema version, or something else. */
enum { KIND_EMPTY, KIND_OURS, KIND_FOREIGN };

static int inspect_snapshot(sb_store *s, int *kind, int *version, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int ntables = 0, has_meta = 0, has_version = 0, rc;
    rc = sqlite3_prepare_v2(s->db,
                            "SELECT count(*), count(CASE WHEN type = 'table' AND name = 'meta' THEN 1 END)"
                            " FROM sqlite_master",
                            -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ntables = sqlite3_column_int(st, 0);
        has_meta = sqlite3_column_int(st, 1);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK && (rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL)) == SQLITE_OK) {
        if ((rc = sqlite3_step(st)) == SQLITE_ROW) *version = sqlite3_column_int(st, 0), rc = SQLITE_OK;
        sqlite3_finalize(st);
    }
    /* Some other program's table called meta may lack our columns: then it is
    ** simply not ours, which has_version = 0 says. */
    if (rc == SQLITE_OK && has_meta &&
        sqlite3_prepare_v2(s->db, "SELECT count(*) FROM meta WHERE key = 'schema_version'", -1, &st, NULL) == SQLITE_OK) {
        if ((rc = sqlite3_step(st)) == SQLITE_ROW) has_version = sqlite3_column_int(st, 0), rc = SQLITE_OK;
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_OK) {
        /* "file is not a database" for random bytes, "database disk image is malformed", ... */
        set_err(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
        return -1;
    }
    if (ntables == 0 && *version == 0) *kind = KIND_EMPTY;
    else if (!has_meta) {
        set_err(err, errlen, "%s: not a sharebench database (no 'meta' table)", s->path);
        *kind = KIND_FOREIGN;
    } else if (!has_version || *version < 1) {
        set_err(err, errlen, "%s: not a sharebench database (its 'meta' table has no schema version)", s->path);
        *kind = KIND_FOREIGN;
    } else
        *kind = KIND_OURS;
    if (*kind == KIND_OURS && *version > SB_SCHEMA_VERSION) {
        set_err(err, errlen, "%s: schema version %d is newer than this sharebench (%d); upgrade sharebench", s->path,
                *version, SB_SCHEMA_VERSION);
        return -1;
    }
    return *kind == KIND_FOREIGN ? -1 : 0;
}

/* Inspect within one read transaction: separate statements could otherwise
** see the file before and after another process creates the schema, and take
** tables-but-no-version for a foreign database. */
static int inspect(sb_store *s, int *kind, int *version, char *err, size_t errlen)
{
    int own = sqlite3_get_autocommit(s->db), rc;
    if (own && sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        set_err(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
        return -1;
    }
    rc = inspect_snapshot(s, kind, version, err, errlen);
    if (own) sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

/* Create or upgrade the schema under the write lock. Looks again once the lock
** is held: another process may have created or upgraded it meanwhile. */
static int migrate(sb_store *s, char *err, size_t errlen)
{
    int kind, version = 0;
    if (begin_immediate(s, err, errlen)) return -1;
    if (inspect(s, &kind, &version, err, errlen)) goto fail;
    if (kind == KIND_EMPTY) version = 0;
    if (version < SB_SCHEMA_VERSION) {
        char sql[64];
        sqlite3_stmt *st = NULL;
        for (int v = version; v < SB_SCHEMA_VERSION; v++) {
            char *msg = NULL, why[1024];
            if (sqlite3_exec(s->db, migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
                set_err(err, errlen, "%s: cannot %s schema version %d: %s", s->path, v ? "upgrade to" : "create",
                        v + 1, storage_error(s, why, sizeof why) ? why : msg ? msg : sqlite3_errmsg(s->db));
                sqlite3_free(msg);
                goto fail;
            }
        }
        /* PRAGMA takes no bound parameters; the number is our own constant. */
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SB_SCHEMA_VERSION);
        if (exec(s, sql, err, errlen)) goto fail;
        if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?1)", -1, &st,
                               NULL) != SQLITE_OK ||
            sqlite3_bind_int(st, 1, SB_SCHEMA_VERSION) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
            set_err(err, errlen, "%s: cannot record the schema version: %s", s->path, sqlite3_errmsg(s->db));
            sqlite3_finalize(st);
            goto fail;
        }
        sqlite3_finalize(st);
    }
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        char why[1024];
        set_err(err, errlen, "%s: cannot write the schema: %s", s->path,
                storage_error(s, why, sizeof why) ? why : sqlite3_errmsg(s->db));
        goto fail;
    }
    return 0;
fail:
    rollback(s);
    return -1;
}

/* journal_mode=WAL can return SQLITE_BUSY without calling the busy handler
** while another connection changes it too (two processes creating the file). */
static int set_wal(sb_store *s, char *err, size_t errlen)
{
    int rc = SQLITE_OK;
    for (int attempt = 0; attempt < 50; attempt++) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
        if (rc == SQLITE_OK) rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const char *mode = (const char *)sqlite3_column_text(st, 0);
            int ok = mode && (!strcmp(mode, "wal") || !strcmp(mode, "memory"));
            if (!ok)
                set_err(err, errlen, "%s: cannot use WAL journal mode (got '%s'); does its file system support shared memory?",
                        s->path, mode ? mode : "?");
            sqlite3_finalize(st);
            return ok ? 0 : -1;
        }
        sqlite3_finalize(st);
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) break;
        sleep_ms(20 + 10 * attempt);
    }
    char why[1024];
    set_err(err, errlen, "%s: cannot switch to WAL journal mode: %s", s->path,
            storage_error(s, why, sizeof why) ? why : sqlite3_errmsg(s->db));
    return -1;
}

/* Why sqlite3_open_v2 failed, in terms of the path: the OS error, and the
** directory when that is what is missing. */
static void open_error(sqlite3 *db, const char *path, int readonly, char *err, size_t errlen)
{
    int e = db ? sqlite3_system_errno(db) : 0;
    char dir[4096];
    const char *slash = strrchr(path, '/');
    struct stat st;
    if (!readonly && slash && (size_t)(slash - path) < sizeof dir) {
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
        if (stat(dir, &st) != 0) {
            set_err(err, errlen, "%s: cannot create: directory '%s': %s", path, dir, strerror(errno));
            return;
        }
        if (!S_ISDIR(st.st_mode)) {
            set_err(err, errlen, "%s: cannot create: '%s' is not a directory", path, dir);
            return;
        }
    }
    if (e)
        set_err(err, errlen, "%s: cannot %s: %s", path, readonly ? "open" : "open or create", strerror(e));
    else
        set_err(err, errlen, "%s: cannot %s: %s", path, readonly ? "open" : "open or create",
                db ? sqlite3_errmsg(db) : "out of memory");
}

/* A table or column of schema version `version` missing from the file: -1
** with a message naming it, else 0. The indexes only speed queries up:
** `sharebench check` reports a missing one. */
static int schema_damage(sb_store *s, int version, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT count(*), count(CASE WHEN name = ?2 THEN 1 END) FROM pragma_table_info(?1)",
                                -1, &st, NULL);
    for (size_t t = 0; rc == SQLITE_OK && t < sizeof tables / sizeof tables[0]; t++) {
        if (tables[t].since > version) continue;
        for (int k = 0; rc == SQLITE_OK && tables[t].columns[k]; k++) {
            sqlite3_reset(st);
            sqlite3_bind_text(st, 1, tables[t].name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, tables[t].columns[k], -1, SQLITE_STATIC);
            if ((rc = sqlite3_step(st)) != SQLITE_ROW) break;
            rc = SQLITE_OK;
            if (sqlite3_column_int(st, 0) == 0)
                set_err(err, errlen, "%s: damaged: table '%s' is missing; sharebench check --db %s lists every problem", s->path,
                        tables[t].name, s->path);
            else if (sqlite3_column_int(st, 1) == 0)
                set_err(err, errlen, "%s: damaged: table '%s' has no column '%s'; sharebench check --db %s lists every problem",
                        s->path, tables[t].name, tables[t].columns[k], s->path);
            else
                continue;
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        set_err(err, errlen, "%s: cannot read the schema: %s", s->path, sqlite3_errmsg(s->db));
        return -1;
    }
    return 0;
}

/* path as a file: URI (RFC 3986: every byte but the unreserved ones and '/'
** percent-encoded), for SQLite's URI parameters. */
static char *file_uri(const char *path, const char *query)
{
    size_t n = strlen(path), q = strlen(query);
    char *u = malloc(3 * n + q + 16), *o = u;
    if (!u) return NULL;
    o += sprintf(o, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("/-._~", *p))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    sprintf(o, "?%s", query);
    return u;
}

int sb_store_open_sqlite_readonly(const char *path, sqlite3 **db, char *err, size_t errlen)
{
    struct stat st;
    char first[512], wal[4200];
    *db = NULL;
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        open_error(*db, path, 1, err, errlen);
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(*db, 60000);
    /* The first read of a WAL database maps its -shm file, which SQLite
    ** creates when missing: on a read-only mount or in a directory this user
    ** cannot write that fails ("unable to open database file", "attempt to
    ** write a readonly database"). */
    int rc = sqlite3_exec(*db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    if ((rc & 0xff) != SQLITE_CANTOPEN && (rc & 0xff) != SQLITE_READONLY) return 0;   /* other faults: the caller's to say */
    snprintf(first, sizeof first, "%s", sqlite3_errmsg(*db));
    sqlite3_close(*db);
    *db = NULL;
    /* Immutable (no locks, no -shm) reads the file alone: right when no
    ** write-ahead log holds commits, wrong (silently stale) when one does. */
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (!stat(wal, &st) && st.st_size > 0) {
        set_err(err, errlen, "%s: cannot read: %s; its write-ahead log %s holds commits not yet in the file, and SQLite can "
                "read them only where it may create %s-shm: open it once as a user who can write its directory (any "
                "sharebench command moves them into the file), or copy %s and %s to a writable directory",
                path, first, wal, path, path, wal);
        return -1;
    }
    char *uri = file_uri(path, "immutable=1");
    if (!uri) { set_err(err, errlen, "%s: out of memory", path); return -1; }
    rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    if (rc == SQLITE_OK) rc = sqlite3_exec(*db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, errlen, "%s: cannot read: %s", path, first);
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    return 0;
}

sb_store *sb_store_open(const char *path, int readonly, char *err, size_t errlen)
{
    sb_store *s;
    struct stat st;
    int kind, version = 0;
    if (!path || !*path) {
        set_err(err, errlen, "no database path given");
        return NULL;
    }
    /* SQLite says only "unable to open database file"; name the cause. */
    if (readonly && stat(path, &st) != 0) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "%s: is a directory, not a database file", path);
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (!s || !(s->path = dup_str(path))) {
        free(s);
        set_err(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    s->readonly = readonly;
    if (readonly) {
        if (sb_store_open_sqlite_readonly(path, &s->db, err, errlen)) goto fail;
    } else if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        open_error(s->db, path, readonly, err, errlen);
        goto fail;
    }
    /* SQLite falls back to read-only silently when the file is not writable. */
    if (!readonly && sqlite3_db_readonly(s->db, "main") == 1) {
        int e = access(path, W_OK) ? errno : EACCES;
        set_err(err, errlen, "%s: cannot write: %s (%s)", path, e == EROFS ? "it is on a read-only file system" : "the file is read-only",
                strerror(e));
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 60000);
    if (exec(s, "PRAGMA foreign_keys = ON", err, errlen)) goto fail;
    /* Look before writing anything: a foreign file is left untouched. */
    if (inspect(s, &kind, &version, err, errlen)) goto fail;
    /* and a damaged one too: refused before any work rather than when a run
    ** that took hours is stored */
    if (kind == KIND_OURS && schema_damage(s, version, err, errlen)) goto fail;
    s->version = version;
    if (readonly) {
        if (kind == KIND_EMPTY) {
            set_err(err, errlen, "%s: empty file, not a sharebench database", path);
            goto fail;
        }
        return s;   /* an older schema reads as it is: what readers read has not changed */
    }
    if (set_wal(s, err, errlen)) goto fail;
    if (exec(s, "PRAGMA synchronous = FULL", err, errlen)) goto fail;
    if ((kind == KIND_EMPTY || version < SB_SCHEMA_VERSION) && migrate(s, err, errlen)) goto fail;
    s->version = SB_SCHEMA_VERSION;
    return s;
fail:
    sb_store_close(s);
    return NULL;
}

void sb_store_close(sb_store *s)
{
    if (!s) return;
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(s->stmt[i]);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

struct sqlite3 *sb_store_db(sb_store *s)
{
    return s ? s->db : NULL;
}

const char *sb_store_path(const sb_store *s)
{
    return s->path;
}

int sb_store_version(const sb_store *s)
{
    return s->version;
}

int sb_store_begin(sb_store *s, char *err, size_t errlen)
{
    if (s->readonly) {
        set_err(err, errlen, "%s: the database is open read-only", s->path);
        return -1;
    }
    return begin_immediate(s, err, errlen);
}

int sb_store_commit_tx(sb_store *s, char *err, size_t errlen)
{
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) return 0;
    char why[1024];
    set_err(err, errlen, "%s: %s", s->path, storage_error(s, why, sizeof why) ? why : sqlite3_errmsg(s->db));
    rollback(s);
    return -1;
}

void sb_store_rollback(sb_store *s)
{
    rollback(s);
}

static sqlite3_stmt *stmt(sb_store *s, int which, char *err, size_t errlen)
{
    if (!s->stmt[which] &&
        sqlite3_prepare_v3(s->db, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[which], NULL) != SQLITE_OK) {
        set_err(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
        return NULL;
    }
    return s->stmt[which];
}

/* ---- commit ---- */

/* Everything that can be refused without the database, before the transaction. */
static int check_run(const sb_store *s, const sb_run *r, char *err, size_t errlen)
{
    for (int i = 0; i < SB_RUN_NCOLUMNS; i++) {
        if (sb_run_columns[i].required && (!r->col[i] || !*r->col[i])) {
            set_err(err, errlen, "%s: run not written: required column '%s' is not set", s->path, sb_run_columns[i].name);
            return -1;
        }
        if (r->bad[i]) {
            set_err(err, errlen, "%s: run not written: column '%s' = '%s' is not %s", s->path, sb_run_columns[i].name,
                    r->col[i], sb_run_columns[i].type == 'I' ? "a whole number" : "a finite number");
            return -1;
        }
    }
    const char *status = r->col[sb_run_column_index("status")];
    if (strcmp(status, "finished") && strcmp(status, "failed") && strcmp(status, "diverged")) {
        set_err(err, errlen, "%s: run not written: status '%s' is not one of finished, failed, diverged", s->path,
                status);
        return -1;
    }
    return 0;
}

/* Why there was no room for a write, when the file system says so: a file
** size limit (ulimit -f), or a disk (nearly) full. SQLite reports a short
** write as "disk I/O error" and keeps no errno for it, so look. NULL when
** neither. */
static const char *no_room(const char *path, char *buf, size_t len)
{
    struct rlimit rl;
    struct statvfs vs;
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1, slash ? path : ".");
    if (!statvfs(dir, &vs) && (double)vs.f_bavail * vs.f_frsize < 16.0 * 1024 * 1024) {
        snprintf(buf, len, "the disk is full (%.0f KiB free)", (double)vs.f_bavail * vs.f_frsize / 1024);
        return buf;
    }
    /* a size limit only when the database or its log has grown to within a
    ** write (a few pages, 1 MiB to be safe) of it */
    if (!getrlimit(RLIMIT_FSIZE, &rl) && rl.rlim_cur != RLIM_INFINITY) {
        char wal[4200];
        struct stat st;
        double largest = 0;
        snprintf(wal, sizeof wal, "%s-wal", path);
        if (!stat(path, &st)) largest = (double)st.st_size;
        if (!stat(wal, &st) && (double)st.st_size > largest) largest = (double)st.st_size;
        if (largest + 1024.0 * 1024 >= (double)rl.rlim_cur) {
            snprintf(buf, len, "a file reached the size limit of %llu bytes (ulimit -f)", (unsigned long long)rl.rlim_cur);
            return buf;
        }
    }
    return NULL;
}

/* Why a write failed, in the user's terms, when it is the file system's doing
** (SQLite says only "database or disk is full" or "disk I/O error"); NULL
** otherwise. buf holds the text. */
static const char *storage_error(sb_store *s, char *buf, size_t len)
{
    int rc = sqlite3_extended_errcode(s->db), e = sqlite3_system_errno(s->db);
    char room[512];
    const char *why = (rc & 0xff) == SQLITE_FULL || rc == SQLITE_IOERR_WRITE || e == ENOSPC || e == EDQUOT || e == EFBIG
                          ? no_room(s->path, room, sizeof room) : NULL;
    if (why || (rc & 0xff) == SQLITE_FULL)
        snprintf(buf, len, "no room to write: %s; the runs stored before are intact: make room and run it again "
                 "(a sweep: with --resume)", why ? why : "the disk is full");
    else if ((rc & 0xff) == SQLITE_IOERR)
        snprintf(buf, len, "the disk could not be written (%s); the runs stored before are intact",
                 e ? strerror(e) : sqlite3_errmsg(s->db));
    else if ((rc & 0xff) == SQLITE_READONLY)
        snprintf(buf, len, "the database cannot be written (%s); the runs stored before are intact", sqlite3_errmsg(s->db));
    else
        return NULL;
    return buf;
}

static int step_done(sb_store *s, sqlite3_stmt *st, const char *what, const char *key, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return 0;
    }
    /* The message of the failed step, before reset can replace it. */
    char why[1024];
    if (storage_error(s, why, sizeof why))
        set_err(err, errlen, "%s: run not written: %s", s->path, why);
    else if ((rc & 0xff) == SQLITE_CONSTRAINT && key)
        set_err(err, errlen, "%s: run not written: %s '%s' given twice", s->path, what, key);
    else
        set_err(err, errlen, "%s: run not written: %s%s%s%s: %s", s->path, what, key ? " '" : "", key ? key : "",
                key ? "'" : "", sqlite3_errmsg(s->db));
    sqlite3_reset(st);
    return -1;
}

long sb_store_commit(sb_store *s, const sb_run *r, char *err, size_t errlen)
{
    sqlite3_stmt *run, *par, *met, *ser;
    sqlite3_int64 id;
    if (!s || !r) {
        set_err(err, errlen, "no store or no run to commit");
        return -1;
    }
    if (s->readonly) {
        set_err(err, errlen, "%s: run not written: the database is open read-only", s->path);
        return -1;
    }
    if (check_run(s, r, err, errlen)) return -1;
    if (!(run = stmt(s, ST_RUN, err, errlen)) || !(par = stmt(s, ST_PARAM, err, errlen)) ||
        !(met = stmt(s, ST_METRIC, err, errlen)) || !(ser = stmt(s, ST_SERIES, err, errlen)))
        return -1;
    sqlite3_clear_bindings(run);
    for (int i = 0; i < SB_RUN_NCOLUMNS; i++) {
        const char *v = r->col[i];
        int rc;
        if (!v) rc = sqlite3_bind_null(run, i + 1);
        else if (sb_run_columns[i].type == 'I') {
            long long n = 0;
            sb_run_parse_int(v, &n);
            rc = sqlite3_bind_int64(run, i + 1, n);
        } else if (sb_run_columns[i].type == 'R') {
            double x = 0;
            sb_run_parse_real(v, &x);
            rc = sqlite3_bind_double(run, i + 1, x);
        } else
            rc = sqlite3_bind_text(run, i + 1, v, -1, SQLITE_STATIC);
        if (rc != SQLITE_OK) {
            set_err(err, errlen, "%s: run not written: column '%s': %s", s->path, sb_run_columns[i].name, sqlite3_errmsg(s->db));
            return -1;
        }
    }
    if (begin_immediate(s, err, errlen)) return -1;
    if (step_done(s, run, "run", NULL, err, errlen)) goto fail;
    id = sqlite3_last_insert_rowid(s->db);
    for (size_t i = 0; i < r->nparams; i++) {
        sqlite3_bind_int64(par, 1, id);
        sqlite3_bind_text(par, 2, r->params[i].key, -1, SQLITE_STATIC);
        if (r->params[i].value) sqlite3_bind_text(par, 3, r->params[i].value, -1, SQLITE_STATIC);
        else sqlite3_bind_null(par, 3);
        if (step_done(s, par, "param", r->params[i].key, err, errlen)) goto fail;
    }
    for (size_t i = 0; i < r->nmetrics; i++) {
        sqlite3_bind_int64(met, 1, id);
        sqlite3_bind_text(met, 2, r->metrics[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_double(met, 3, r->metrics[i].value); /* NaN is stored as NULL */
        if (step_done(s, met, "metric", r->metrics[i].key, err, errlen)) goto fail;
    }
    for (size_t i = 0; i < r->nseries; i++) {
        const sb_point *p = &r->series[i];
        sqlite3_bind_int64(ser, 1, id);
        sqlite3_bind_text(ser, 2, r->names[p->name], -1, SQLITE_STATIC);
        sqlite3_bind_int64(ser, 3, p->step);
        sqlite3_bind_int(ser, 4, p->layer);
        sqlite3_bind_int(ser, 5, p->head);
        sqlite3_bind_double(ser, 6, p->value);
        if (step_done(s, ser, "series point of", r->names[p->name], err, errlen)) goto fail;
    }
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        char why[1024];
        set_err(err, errlen, "%s: run not written: %s", s->path,
                storage_error(s, why, sizeof why) ? why : sqlite3_errmsg(s->db));
        goto fail;
    }
    /* Drop the bindings: they point into r, which the caller may free. */
    sqlite3_clear_bindings(run);
    sqlite3_clear_bindings(par);
    sqlite3_clear_bindings(met);
    sqlite3_clear_bindings(ser);
    return (long)id;
fail:
    rollback(s);
    sqlite3_clear_bindings(run);
    sqlite3_clear_bindings(par);
    sqlite3_clear_bindings(met);
    sqlite3_clear_bindings(ser);
    return -1;
}

const char *sb_store_sqlite_version(void)
{
    return sqlite3_libversion();
}

int sb_store_has_cell(sb_store *s, const char *cell, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc, found;
    if (!s || !cell) {
        set_err(err, errlen, "no store or no cell given");
        return -1;
    }
    if (!(st = stmt(s, ST_HAS_CELL, err, errlen))) return -1;
    sqlite3_bind_text(st, 1, cell, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    found = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    if (found < 0) set_err(err, errlen, "%s: looking up cell '%s': %s", s->path, cell, sqlite3_errmsg(s->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return found;
}
