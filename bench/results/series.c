/*
** series.c: questions about the series of recorded runs (series.h), each one
** query on the index series(run_id, metric, step).
*/
#include "series.h"
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sb_rs_series(const sb_runset *s, const sb_rs_run *r, sb_series_id id, int layer, int head, long **steps,
                 double **values, int *n, char *err, size_t errlen)
{
    sqlite3 *db = sb_runset_db(s);
    sqlite3_stmt *st;
    *steps = NULL;
    *values = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT step, value FROM series WHERE run_id = ?1 AND metric = ?2 AND layer = ?3 AND head = ?4"
                           " ORDER BY step",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", s->source, sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_text(st, 2, sb_series_key(id), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, layer);
    sqlite3_bind_int(st, 4, head);
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            long *a = realloc(*steps, sizeof *a * (size_t)cap);
            if (a) *steps = a;
            double *b = realloc(*values, sizeof *b * (size_t)cap);
            if (b) *values = b;
            if (!a || !b) { rc = SQLITE_NOMEM; break; }
        }
        (*steps)[*n] = sqlite3_column_int64(st, 0);
        (*values)[*n] = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
        (*n)++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s: %s", s->source, rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
        free(*steps);
        free(*values);
        *steps = NULL;
        *values = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

int sb_rs_has_series(const sb_runset *s, const sb_rs_run *r, sb_series_id id)
{
    sqlite3_stmt *st;
    char like[256];
    const sb_metric_info *m = sb_series_info_of(id);
    if (!m || sb_series_like(id, like, sizeof like)) return -1;
    /* a key without parts is looked up exactly (on the index); a pattern's keys by LIKE */
    int pattern = strchr(m->key, '<') != NULL;
    if (sqlite3_prepare_v2(sb_runset_db(s),
                           pattern ? "SELECT EXISTS(SELECT 1 FROM series WHERE run_id = ?1 AND metric LIKE ?2 ESCAPE '\\')"
                                   : "SELECT EXISTS(SELECT 1 FROM series WHERE run_id = ?1 AND metric = ?2)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_text(st, 2, pattern ? like : m->key, -1, SQLITE_TRANSIENT);
    int has = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return has;
}

int sb_rs_series_last(const sb_runset *s, const sb_rs_run *r, sb_series_id id, sb_rs_point **points, int *n, char *err,
                      size_t errlen)
{
    sqlite3 *db = sb_runset_db(s);
    sqlite3_stmt *st;
    int cap = 0, rc;
    *points = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT step, layer, head, value FROM series WHERE run_id = ?1 AND metric = ?2 AND step ="
                           " (SELECT MAX(step) FROM series WHERE run_id = ?1 AND metric = ?2)",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", s->source, sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_text(st, 2, sb_series_key(id), -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            sb_rs_point *p = realloc(*points, sizeof *p * (size_t)cap);
            if (!p) { rc = SQLITE_NOMEM; break; }
            *points = p;
        }
        sb_rs_point *p = &(*points)[(*n)++];
        p->step = sqlite3_column_int64(st, 0);
        p->layer = sqlite3_column_int(st, 1);
        p->head = sqlite3_column_int(st, 2);
        p->value = sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 3);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s: %s", s->source, rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
        free(*points);
        *points = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

int sb_rs_depth_profile(const sb_runset *s, const sb_rs_run *r, const char *like, double *v, int max, char *err,
                        size_t errlen)
{
    sqlite3 *db = sb_runset_db(s);
    sqlite3_stmt *st;
    int n = 0, rc;
    if (sqlite3_prepare_v2(db,
                           "SELECT layer, AVG(v) FROM (SELECT step, layer, SUM(value) v FROM series WHERE run_id = ?1 AND metric"
                           " LIKE ?2 ESCAPE '\\' AND layer >= 0 GROUP BY step, layer) GROUP BY layer ORDER BY layer",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", s->source, sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_text(st, 2, like, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int l = sqlite3_column_int(st, 0);
        if (l >= max) continue;
        while (n <= l) v[n++] = NAN;
        v[l] = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s: %s", s->source, sqlite3_errmsg(db));
        return -1;
    }
    return n;
}
