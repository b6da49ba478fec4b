/*
** series.h: questions about the series of recorded runs (the series table of
** store.h's schema), for the report's figures and claims and the gate: a
** series' points, whether a run has one, its values at the last step, its
** profile over depth. The answers come from the database the run set was read
** from; callers name series by the registry's ids (metrics.h), or, for a
** pattern a user wrote, by an SQL LIKE pattern.
*/
#ifndef SB_SERIES_H
#define SB_SERIES_H

#include "runset.h"

/* The points of a run's series at (layer, head) (-1 for not applicable), by
** step: *steps and *values allocated (free both), *n points. Returns 0 (n may
** be 0 when the run has no such series), or -1 with a message. */
int sb_rs_series(const sb_runset *s, const sb_rs_run *r, sb_series_id id, int layer, int head, long **steps,
                 double **values, int *n, char *err, size_t errlen);

/* 1 when the run has a point of the series (of any of a pattern's keys), 0
** when it has none, -1 when the database cannot be read. */
int sb_rs_has_series(const sb_runset *s, const sb_rs_run *r, sb_series_id id);

/* A point of a series: where it is and its value (NAN when stored as NULL). */
typedef struct {
    long step;
    int layer, head;
    double value;
} sb_rs_point;

/* The points of a run's series at the last step it has (every layer and
** head), in the database's order: *points allocated (free it), *n of them.
** Returns 0 (n 0 when the run has none), or -1 with a message. */
int sb_rs_series_last(const sb_runset *s, const sb_rs_run *r, sb_series_id id, sb_rs_point **points, int *n, char *err,
                      size_t errlen);

/* A run's profile over depth of the series whose keys match like (an SQL
** LIKE pattern, escape '\'; sb_series_like gives a registry pattern's): at
** each step and depth (layer >= 0) the values of every matching key summed,
** then per depth the mean over steps: v[l] for l < the returned count (at
** most max), NAN for a depth without points. Returns the count (0 when the
** run has none), or -1 with a message. */
int sb_rs_depth_profile(const sb_runset *s, const sb_rs_run *r, const char *like, double *v, int max, char *err,
                        size_t errlen);

#endif
