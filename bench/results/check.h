/*
** check.h: `sharebench check`: the integrity of a results database (store.h's
** schema), checked without writing to it.
**
** What is checked, in order: SQLite's own `PRAGMA integrity_check` (pages,
** indexes, constraints); the schema (version in user_version and meta, every
** table with its columns); then sharebench's consistency: every runs row has
** its required columns, a known status, a diverged step when it diverged and
** an error when it failed, its configuration (params rows), and its final
** metrics when it finished; no params, metrics or series row belongs to a run
** that does not exist; every value has its column's type; every lease
** (lease.h) names its process. Each problem is one line naming the table and
** the row. Warnings: a cell finished more than once (a sweep run again without
** --resume: the latest run counts), and a metric or series key the metric
** registry (metrics.h) does not know.
*/
#ifndef SB_CHECK_H
#define SB_CHECK_H

#include <stdio.h>

typedef struct {
    long runs, params, metrics, series;   /* rows checked */
    long problems, warnings;
} sb_check_result;

/* Check the database at path. Problems and warnings are written to out, one a
** line (out may be NULL; at most `shown` of each kind are shown, SB_CHECK_SHOWN
** by default, the rest counted). Returns 0 with *res filled (res->problems == 0: clean), or -1
** with a message when path cannot be opened at all (no such file, a
** directory): a file that is not a database is a problem, not an error. */
#define SB_CHECK_SHOWN 20
int sb_check_db(const char *path, FILE *out, long shown, sb_check_result *res, char *err, size_t errlen);

/* 0 when the database at path is absent or sb_check_db finds no problem
** (warnings allowed); -1 with a message naming it, the number of problems and
** the first ones, when it finds some or cannot read it (for `sweep --resume`,
** which must not add runs to a database that cannot be trusted). */
int sb_check_damaged(const char *path, char *err, size_t errlen);

#endif
