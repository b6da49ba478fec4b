/*
** runset.h: a set of recorded runs in memory, grouped into configurations,
** for the commands that compare and report (report, gate, baseline). Runs
** come from a results database (store.h) or from a baseline file
** (baseline.h), which is loaded into an in-memory database first, so the two
** are read the same way (source.h opens either). Metrics are read by the
** registry's ids (metrics.h); series.h asks the questions about series.
**
** A configuration is every param of a run except those that do not change
** its results (seed, threads, save, sweep): the runs of one configuration
** differ only by seed, and they are the repetitions the statistics use. When a
** seed was run more than once in a configuration (a sweep run again without
** --resume, a failed cell run again), the latest run counts and the earlier
** ones are counted as superseded.
**
** The timing runs of `sweep --speed-pass` (param speed_of: the cell whose
** configuration they time) are no configuration of their own: they are held
** apart (speed) and each configuration lists those that time it.
*/
#ifndef SB_RUNSET_H
#define SB_RUNSET_H

#include "metrics.h"
#include "store.h"

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
    int *timing;                      /* indices into the set's speed runs that time it */
    int ntiming;
} sb_rs_group;

typedef struct {
    char source[512];                 /* the file the runs came from */
    sb_store *store;
    sb_rs_run *runs;
    int nruns;
    sb_rs_run *speed;                 /* the timing runs of sweep --speed-pass (group: the one timed, or -1) */
    int nspeed;
    sb_rs_group *groups;              /* by task (alphabetical), then none first, then unique
                                         parameters descending, then sharing */
    int ngroups;
} sb_runset;

/* Which runs to read; NULL members match any. */
typedef struct {
    const char *sweep, *task, *sharing;
} sb_rs_filter;

/* Read the runs of an open store, which the set then owns (closed by
** sb_runset_free). source names it in messages. NULL with a message on error
** (the store is closed then too). */
sb_runset *sb_runset_from_store(sb_store *s, const char *source, const sb_rs_filter *f, char *err, size_t errlen);

void sb_runset_free(sb_runset *s);

/* The database the set was read from, for the results module's queries
** (series.h, baseline.h); nothing outside results/ speaks SQL. */
struct sqlite3 *sb_runset_db(const sb_runset *s);

/* A run's scalar metric (NAN when absent; a pattern's id has none: read its
** keys by name), the metric of a key given by name (a user's, or a pattern's
** instance), and a param (NULL when absent). */
double sb_rs_metric(const sb_rs_run *r, sb_metric_id id);
double sb_rs_metric_key(const sb_rs_run *r, const char *key);
/* 1 when the run has a metrics row of the metric (its value may be NAN:
** stored NULL). */
int sb_rs_has_metric(const sb_rs_run *r, sb_metric_id id);
const char *sb_rs_param(const sb_rs_run *r, const char *key);

/* 1 when the run ended "finished". */
int sb_rs_finished(const sb_rs_run *r);

/* The distinct values of a text member of the set's runs (off: its offset,
** e.g. offsetof(sb_rs_run, cpu)), in order of first appearance, as "a, b", cut
** to fit len; "unknown" when every run has it empty. */
void sb_rs_distinct(const sb_runset *s, size_t off, char *out, size_t len);

/* The values of a metric (by key) in the finished runs of g and of ref that
** share a seed, pairs in the order of g's runs (by seed), at most max:
** xref[i] is ref's, xg[i] g's. Returns the number of pairs. */
int sb_rs_pairs(const sb_runset *s, const sb_rs_group *ref, const sb_rs_group *g, const char *key, double *xref,
                double *xg, int max);

/* The mean of a metric over a group's finished runs that have it (NAN when none). */
double sb_rs_group_mean(const sb_runset *s, const sb_rs_group *g, sb_metric_id id);

/* The groups of a task, in the set's order: a new array of *n indices (free
** it), as many as the set holds; NULL when out of memory. */
int *sb_rs_task_groups(const sb_runset *s, const char *task, int *n);

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
