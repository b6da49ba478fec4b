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

/* A run assembled in memory, then written whole by sb_store_commit. */
typedef struct sb_run sb_run;

sb_run *sb_run_new(void);
void sb_run_free(sb_run *r);
/* Set a column of runs by name (see the schema; not id). Text columns take
** text, the INTEGER and REAL ones the number's text. Returns 0, or -1 for an
** unknown column. */
int sb_run_set(sb_run *r, const char *column, const char *value);
/* The value of a column as set (NULL when unset or unknown). */
const char *sb_run_get(const sb_run *r, const char *column);
/* Add a configuration row, a scalar metric, a series point. 0, or -1 when out of memory. */
int sb_run_param(sb_run *r, const char *key, const char *value);
int sb_run_metric(sb_run *r, const char *key, double value);
int sb_run_series(sb_run *r, const char *metric, long step, int layer, int head, double value);

/* Read back what a run holds, in the order added (to print or export it
** before or without storing it): the count, and the i-th key with its value. */
size_t sb_run_param_count(const sb_run *r);
const char *sb_run_param_at(const sb_run *r, size_t i, const char **value);
size_t sb_run_metric_count(const sb_run *r);
const char *sb_run_metric_at(const sb_run *r, size_t i, double *value);
/* A metric by key (the last added): 0 with *value, or -1 when the run has none. */
int sb_run_metric_get(const sb_run *r, const char *key, double *value);

/* Write the run and all its rows in one transaction. Returns the new run id,
** or -1 with a message (nothing written). */
long sb_store_commit(sb_store *s, const sb_run *r, char *err, size_t errlen);

/* A run as bytes, to hand it to another process that stores it (the MPI
** sweep: a worker sends each finished run to rank 0). sb_run_pack returns a
** malloc'd buffer of *len bytes, or NULL when out of memory; sb_run_unpack
** rebuilds the run from such bytes, or returns NULL with a message when they
** are not one whole packed run. Numbers travel as the machine's own bytes:
** every process must run on the same architecture (as MPI jobs of one binary do). */
void *sb_run_pack(const sb_run *r, size_t *len);
sb_run *sb_run_unpack(const void *buf, size_t len, char *err, size_t errlen);

/* 1 when a run of this cell ended finished or diverged (a result), 0 when not,
** -1 on error. `sweep --resume` skips such cells; failed cells run again. */
int sb_store_has_cell(sb_store *s, const char *cell, char *err, size_t errlen);

/* The underlying connection, for read-only queries by the commands that
** report (list, export, report, gate). */
struct sqlite3 *sb_store_db(sb_store *s);

#endif
