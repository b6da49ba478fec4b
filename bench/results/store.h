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

#define SB_SCHEMA_VERSION 1

typedef struct sb_store sb_store;

/* Open the database at path, creating it and its schema when absent (and its
** directory's file, not the directory). WAL mode, a busy timeout, foreign
** keys on. A database of an older schema is upgraded; one of a newer schema, or
** a file that is not a sharebench database, is refused with a message naming
** the file. readonly opens without creating or writing. NULL on error. */
sb_store *sb_store_open(const char *path, int readonly, char *err, size_t errlen);
void sb_store_close(sb_store *s);

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
