/*
** listing.h: the runs of a results database one line each, as `sharebench
** list` shows them: filtered by task, sharing, status and sweep, the first
** by id up to a limit, each with a few of its metrics.
*/
#ifndef SB_LISTING_H
#define SB_LISTING_H

#include "metrics.h"
#include "store.h"

/* Which runs: NULL members match any; limit < 0 for no limit. */
typedef struct {
    const char *task, *sharing, *status, *sweep;
    long limit;
} sb_listing_filter;

#define SB_LISTING_METRICS 8

/* A run as listed; text valid during the callback only, NULL when not
** recorded; numbers NAN when not recorded. */
typedef struct {
    long long id, seed;
    const char *status, *sweep, *task, *sharing;
    double metric[SB_LISTING_METRICS];   /* the metrics asked for, in order */
    double wall_seconds;
    int timing;                          /* 1 for a timing run of sweep --speed-pass (param speed_of) */
} sb_listing_row;

/* Call row for each run that f selects, by id, with metrics ids[0..n) (n at
** most SB_LISTING_METRICS); a nonzero return from row stops the listing and
** is returned. 0 when every run was listed, or -1 with a message when the
** database cannot be read. */
int sb_listing(sb_store *s, const sb_listing_filter *f, const sb_metric_id *ids, int n,
               int (*row)(void *ctx, const sb_listing_row *r), void *ctx, char *err, size_t errlen);

#endif
