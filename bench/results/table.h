/*
** table.h: the stored runs as one table of typed cells, for `sharebench
** export` (bench/cmd/export.c writes it as CSV or JSON). Three forms over the
** runs a filter selects:
**   wide    one row per run: every column of runs, then each configuration
**           key as param.<key> and each scalar metric as metric.<key> (the
**           union over the runs selected, sorted; NULL where a run lacks one);
**   long    one row per run and metric or key (tidy data): run_id, sweep,
**           task, sharing, seed, status, kind, key, value, text;
**   series  one row per series point, with its run's identity.
** Values are typed: metrics and keys that hold numbers (spec.h) are numbers,
** words are text. The table reads one snapshot from open to close, so its
** columns and its rows agree while a sweep writes.
*/
#ifndef SB_TABLE_H
#define SB_TABLE_H

#include "listing.h"
#include "store.h"
#include <stddef.h>

typedef enum { SB_TABLE_WIDE, SB_TABLE_LONG, SB_TABLE_SERIES } sb_table_form;

typedef enum { SB_CELL_NULL, SB_CELL_INT, SB_CELL_REAL, SB_CELL_TEXT } sb_cell_type;

/* One value: i for SB_CELL_INT, x for SB_CELL_REAL, text for SB_CELL_TEXT. */
typedef struct {
    sb_cell_type type;
    long long i;
    double x;
    const char *text;
} sb_cell;

typedef struct sb_table sb_table;

/* Open the table of the runs f selects in the given form, on a store opened
** for reading. NULL with a message when the database cannot be read. */
sb_table *sb_table_open(sb_store *s, sb_table_form form, const sb_listing_filter *f, char *err, size_t errlen);

/* The number of columns, and the name of column c (valid until close). */
int sb_table_columns(const sb_table *t);
const char *sb_table_column(const sb_table *t, int c);

/* The next row: 1 with *cells pointing at sb_table_columns values (valid
** until the next call), 0 after the last row, -1 with a message. */
int sb_table_next(sb_table *t, const sb_cell **cells, char *err, size_t errlen);

/* End the snapshot and free the table; NULL is ignored. */
void sb_table_close(sb_table *t);

#endif
