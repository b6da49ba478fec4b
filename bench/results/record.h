/*
** record.h: a run's record assembled in memory (sb_run): its columns of the
** runs table, its configuration (params), its scalar metrics and its series
** points, as store.h's schema keeps them. A run builds its record as it goes;
** the store writes it whole in one transaction (sb_store_commit), or another
** process gets it as bytes first (runpack.h). Writers name metrics and series
** by the registry's ids (metrics.h: sb_put_*); the names these take are for
** records read back (baseline files, packed runs).
*/
#ifndef SB_RECORD_H
#define SB_RECORD_H

#include <stddef.h>

typedef struct sb_run sb_run;

sb_run *sb_run_new(void);
void sb_run_free(sb_run *r);
/* Set a column of runs by name (see the schema; not id). Text columns take
** text, the INTEGER and REAL ones the number's text. Returns 0, or -1 for an
** unknown column or a bad number (kept with a mark: the commit refuses it). */
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

#endif
