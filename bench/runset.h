/*
** runset.h: a set of recorded runs in memory, grouped into configurations,
** for the commands that compare and report (report, gate, baseline). Runs
** come from a results database (store.h) or from a baseline file
** (baseline.h), which is loaded into an in-memory database first, so the two
** are read the same way.
**
** A configuration is every param of a run except those that do not change
** its results (seed, threads, save, sweep): the runs of one configuration
** differ only by seed, and they are the repetitions the statistics use. When a
** seed was run more than once in a configuration (a sweep run again without
** --resume, a failed cell run again), the latest run counts and the earlier
** ones are counted as superseded.
*/
#ifndef SB_RUNSET_H
#define SB_RUNSET_H

#include "store.h"
#include <sqlite3.h>

typedef struct {
    long id;                          /* in the database it was read from */
    char *cell, *config_hash, *sweep, *task, *sharing, *status, *error, *started, *ended;
    char *code_version, *host, *cpu, *blas;
    long seed;
    long diverged_step;               /* -1 when it did not diverge */
    double wall_seconds;              /* NAN when not recorded */
    int cores, threads;
    int nparams;
    char **pkey, **pval;              /* sorted by key */
    int nmetrics;
    char **mkey;                      /* sorted by key */
    double *mval;
    char *config;                     /* "key=value\n" of the result-changing params, sorted */
    int group;                        /* index into the set's groups */
} sb_rs_run;

typedef struct {
    char *task;                       /* the task's name */
    char *sharing;                    /* as recorded, e.g. "cycle:2" */
    char *config;                     /* as the runs' config */
    char *label;                      /* "copy cycle:2", with the keys that tell it from a
                                         group of the same task and sharing when there is one */
    int *run;                         /* indices into the set's runs, one per seed, by seed */
    int nrun;
    int superseded;                   /* earlier runs of a seed left out */
} sb_rs_group;

typedef struct {
    char source[512];                 /* the file the runs came from */
    sb_store *store;
    sb_rs_run *runs;
    int nruns;
    sb_rs_group *groups;              /* by task (alphabetical), then none first, then unique
                                         parameters descending, then sharing */
    int ngroups;
} sb_runset;

/* Which runs to read; NULL members match any. */
typedef struct {
    const char *sweep, *task, *sharing;
} sb_rs_filter;

/* Read the runs of a results database, or of a baseline file when path ends in
** ".csv". NULL with a message naming the file on error (no such file, not a
** database, a malformed baseline). An empty selection is not an error. */
sb_runset *sb_runset_open(const char *path, const sb_rs_filter *f, char *err, size_t errlen);

/* Read the runs of an open store, which the set then owns (closed by
** sb_runset_free). source names it in messages. NULL with a message on error
** (the store is closed then too). */
sb_runset *sb_runset_from_store(sb_store *s, const char *source, const sb_rs_filter *f, char *err, size_t errlen);

void sb_runset_free(sb_runset *s);

/* The database the set was read from, for series queries. */
sqlite3 *sb_runset_db(const sb_runset *s);

/* A run's scalar metric (NAN when absent) and param (NULL when absent). */
double sb_rs_metric(const sb_rs_run *r, const char *key);
/* 1 when the run has a metrics row of key (its value may be NAN: stored NULL). */
int sb_rs_has_metric(const sb_rs_run *r, const char *key);
const char *sb_rs_param(const sb_rs_run *r, const char *key);

/* 1 when the run ended "finished". */
int sb_rs_finished(const sb_rs_run *r);

/* The mean of a metric over a group's finished runs that have it (NAN when none). */
double sb_rs_group_mean(const sb_runset *s, const sb_rs_group *g, const char *key);

/* The points of a run's series at (layer, head) (-1 for not applicable), by
** step: *steps and *values allocated (free both), *n points. Returns 0 (n may
** be 0 when the run has no such series), or -1 with a message. */
int sb_rs_series(const sb_runset *s, const sb_rs_run *r, const char *metric, int layer, int head, long **steps,
                 double **values, int *n, char *err, size_t errlen);

/* 1 when any run of the set has a series named metric (a LIKE pattern: % any
** text), 0 when none has, -1 on error. */
int sb_rs_has_series(const sb_runset *s, const char *pattern);

/* The index of the group with this config, or -1. */
int sb_rs_group_find(const sb_runset *s, const char *config);

/* 1 when two configurations are equal but for their `sharing` key: the same
** model and training under another map. */
int sb_rs_same_but_sharing(const char *x, const char *y);

/* Params that are not part of a configuration (they do not change results). */
int sb_rs_ignored_param(const char *key);

/* 1 when higher values of a task's headline metric are better (accuracy,
** exact), 0 when lower are (bpc), from the run's "metric" param. */
int sb_rs_higher_is_better(const sb_rs_run *r);

#endif
