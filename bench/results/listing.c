/*
** listing.c: the runs of a database one line each (listing.h): one query, a
** subquery per metric on the metrics table's key.
*/
#include "listing.h"
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>

int sb_listing(sb_store *s, const sb_listing_filter *f, const sb_metric_id *ids, int n,
               int (*row)(void *ctx, const sb_listing_row *r), void *ctx, char *err, size_t errlen)
{
    sqlite3 *db = sb_store_db(s);
    sqlite3_stmt *st = NULL;
    char sql[2048];
    int len, rc = SQLITE_OK, stop = 0;
    if (n < 0 || n > SB_LISTING_METRICS) {
        snprintf(err, errlen, "at most %d metrics are listed", SB_LISTING_METRICS);
        return -1;
    }
    /* ?1..?4 the filters, ?5 the limit, ?6.. the metrics' keys */
    len = snprintf(sql, sizeof sql, "SELECT r.id, r.status, r.sweep, r.task, r.sharing, r.seed, r.wall_seconds,"
                                    " EXISTS (SELECT 1 FROM params WHERE run_id = r.id AND key = 'speed_of' AND value != '')");
    for (int i = 0; i < n; i++)
        len += snprintf(sql + len, sizeof sql - (size_t)len, ", (SELECT value FROM metrics WHERE run_id = r.id AND key = ?%d)", 6 + i);
    snprintf(sql + len, sizeof sql - (size_t)len,
             " FROM runs r WHERE (?1 IS NULL OR r.task = ?1) AND (?2 IS NULL OR r.sharing = ?2)"
             " AND (?3 IS NULL OR r.status = ?3) AND (?4 IS NULL OR r.sweep = ?4) ORDER BY r.id LIMIT ?5");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        return -1;
    }
    const char *filter[4] = { f->task, f->sharing, f->status, f->sweep };
    for (int i = 0; i < 4; i++)
        if (filter[i]) sqlite3_bind_text(st, i + 1, filter[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, f->limit);
    for (int i = 0; i < n; i++) sqlite3_bind_text(st, 6 + i, sb_metric_key(ids[i]), -1, SQLITE_STATIC);
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        sb_listing_row r;
        r.id = sqlite3_column_int64(st, 0);
        r.status = (const char *)sqlite3_column_text(st, 1);
        r.sweep = (const char *)sqlite3_column_text(st, 2);
        r.task = (const char *)sqlite3_column_text(st, 3);
        r.sharing = (const char *)sqlite3_column_text(st, 4);
        r.seed = sqlite3_column_int64(st, 5);
        r.wall_seconds = sqlite3_column_type(st, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 6);
        r.timing = sqlite3_column_int(st, 7);
        for (int i = 0; i < n; i++)
            r.metric[i] = sqlite3_column_type(st, 8 + i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 8 + i);
        stop = row(ctx, &r);
    }
    if (!stop && rc != SQLITE_DONE) snprintf(err, errlen, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}
