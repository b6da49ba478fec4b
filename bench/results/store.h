/*
** store.h: the results database (SQLite).
**
** Schema (version in `PRAGMA user_version` and in meta('schema_version')):
**   meta(key PRIMARY KEY, value)
**   runs(id INTEGER PRIMARY KEY, cell TEXT NOT NULL, config_hash TEXT NOT NULL,
**        sweep TEXT, task TEXT NOT NULL, sharing TEXT NOT NULL, seed INTEGER NOT NULL,
**        status TEXT NOT NULL CHECK(status IN ('finished','failed','diverged')),
**        error TEXT, diverged_step INTEGER,
**        started TEXT NOT NULL, ended TEXT NOT NULL, wall_seconds REAL,
**        code_version TEXT, host TEXT, cpu TEXT, cores INTEGER, threads INTEGER, blas TEXT)
**   params(run_id REFERENCES runs(id) ON DELETE CASCADE, key, value TEXT, PRIMARY KEY(run_id, key))
**        -- the full configuration of the run as key/value rows, written once
**   metrics(run_id REFERENCES runs(id) ON DELETE CASCADE, key, value REAL, PRIMARY KEY(run_id, key))
**        -- scalars: test metric, throughput, memory, ...
**   series(run_id REFERENCES runs(id) ON DELETE CASCADE, metric TEXT, step INTEGER,
**          layer INTEGER, head INTEGER, value REAL)   -- layer/head -1 when not applicable
**   leases(cell TEXT PRIMARY KEY, sweep TEXT, host TEXT NOT NULL, pid INTEGER NOT NULL,
**          proc_start INTEGER NOT NULL, boot_id TEXT NOT NULL, taken TEXT NOT NULL)
**        -- the cells being run now, each by one process (lease.h; schema version 2)
**   indexes: runs(cell, status), runs(task, sharing), series(run_id, metric, step)
** Taken from MLflow's tracking schema: runs, write-once params, metrics with
** steps. Avoided: its "database is locked" under concurrent writers (WAL and a
** busy timeout here) and its slow metric history (the series index). A run is
** written whole in one transaction when it ends, so a process killed at any
** moment leaves no half-written run visible.
*/
#ifndef SB_STORE_H
#define SB_STORE_H

#include "record.h"
#include <stddef.h>

struct sqlite3;

#define SB_SCHEMA_VERSION 2

typedef struct sb_store sb_store;

/* The schema as this version makes it, the one description of it that the
** check on open and `sharebench check` use: each table with its columns and
** the schema version that added it, and each index. */
typedef struct {
    const char *name;
    int since;                  /* the schema version that added it */
    const char *columns[24];    /* NULL-terminated */
} sb_store_table;
typedef struct {
    const char *name;
    int since;
} sb_store_index;
const sb_store_table *sb_store_tables(int *n);
const sb_store_index *sb_store_indexes(int *n);

/* Open the database at path, creating it and its schema when absent (and its
** directory's file, not the directory). WAL mode, a busy timeout, foreign
** keys on. A database of an older schema is upgraded; one of a newer schema,
** a file that is not a sharebench database, or one whose schema is damaged (a
** table or column missing) is refused with a message naming the file and what
** is wrong. readonly opens without creating or writing: an older schema is
** read as it is, and a database on read-only storage (a read-only mount, a
** directory the user cannot write) is read too. NULL on error. */
sb_store *sb_store_open(const char *path, int readonly, char *err, size_t errlen);
void sb_store_close(sb_store *s);

/* Open any SQLite file read-only as sb_store_open does, on read-only storage
** too (for `sharebench check`, which must open damaged and foreign files
** that sb_store_open refuses). SQLite needs a shared-memory file beside a WAL
** database to read it; where that cannot be created, the file is opened as
** immutable, unless its write-ahead log holds commits not yet in the file,
** which are then said to be unreadable rather than silently left out.
** Returns 0 with *db open, or -1 with a message (*db NULL). */
int sb_store_open_sqlite_readonly(const char *path, struct sqlite3 **db, char *err, size_t errlen);

/* The path the store was opened with. */
const char *sb_store_path(const sb_store *s);

/* A write transaction for other writers of the schema (lease.c): begin takes
** the write lock (waiting for other writers as commits do), commit ends it
** with a message naming the storage's fault (a full disk, a read-only file)
** when it cannot, rollback gives up. 0, or -1 with a message. */
int sb_store_begin(sb_store *s, char *err, size_t errlen);
int sb_store_commit_tx(sb_store *s, char *err, size_t errlen);
void sb_store_rollback(sb_store *s);

/* The schema version of the open database (older than SB_SCHEMA_VERSION
** only when opened read-only). */
int sb_store_version(const sb_store *s);
/* The version of the SQLite library linked in ("3.40.1"), for --version. */
const char *sb_store_sqlite_version(void);

/* Write the run and all its rows in one transaction. Returns the new run id,
** or -1 with a message (nothing written). */
long sb_store_commit(sb_store *s, const sb_run *r, char *err, size_t errlen);

/* 1 when a run of this cell ended finished or diverged (a result), 0 when not,
** -1 on error. `sweep --resume` skips such cells; failed cells run again. */
int sb_store_has_cell(sb_store *s, const char *cell, char *err, size_t errlen);

/* The underlying connection, for the read-only queries of the results module
** (runset, series, listing; export's own until they move here). */
struct sqlite3 *sb_store_db(sb_store *s);

#endif
