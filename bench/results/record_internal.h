/*
** record_internal.h: the inside of a run's record (record.h), for the three
** files that handle it whole: record.c builds it, store.c writes it and
** runpack.c turns it into bytes and back. Nothing else includes it.
*/
#ifndef SB_RECORD_INTERNAL_H
#define SB_RECORD_INTERNAL_H

#include "record.h"
#include <stddef.h>

/* The columns of runs that sb_run_set accepts, in the order store.c's INSERT
** binds them. Type: 'T' text, 'I' integer, 'R' real. */
typedef struct {
    const char *name;
    char type, required;
} sb_run_column;

#define SB_RUN_NCOLUMNS 18
extern const sb_run_column sb_run_columns[SB_RUN_NCOLUMNS];

typedef struct {
    char *key, *value;
} sb_kv;

typedef struct {
    char *key;
    double value;
} sb_scalar;

typedef struct {
    int name; /* index into sb_run.names: series repeat few metric names many times */
    int layer, head;
    long step;
    double value;
} sb_point;

struct sb_run {
    char *col[SB_RUN_NCOLUMNS];
    char bad[SB_RUN_NCOLUMNS]; /* set to a non-number: refused at commit, with the value */
    sb_kv *params;
    size_t nparams, capparams;
    sb_scalar *metrics;
    size_t nmetrics, capmetrics;
    char **names;
    size_t nnames, capnames, lastname;
    sb_point *series;
    size_t nseries, capseries;
};

/* The index of a column by name, -1 when unknown. */
int sb_run_column_index(const char *name);

/* A column's text as a whole number, or as a finite number: 0, or -1 when it
** is not one (empty, leading blanks, trailing text, out of range). */
int sb_run_parse_int(const char *v, long long *out);
int sb_run_parse_real(const char *v, double *out);

#endif
