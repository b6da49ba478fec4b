/*
** baseline.h: baselines, the runs a candidate is gated against, kept as text
** under results/baseline/ so that a change to them shows in review.
**
** Format (CSV, RFC 4180, one value per row so a diff shows each change):
**     run,kind,key,step,layer,head,value
**     0,meta,format,,,,sharebench-baseline 1
**     0,meta,sweep,,,,smoke
**     1,run,task,,,,copy              one row per column of the runs table
**     1,param,batch,,,,16             every configuration key of the run
**     1,metric,test,,,,0.4401639344   every scalar metric (shortest exact form)
**     1,series,step_ms,0,-1,-1,29.87  the repetitions the gate's speed test uses
** Runs are numbered from 1 in the order of their configurations (task, then
** sharing) and seeds, so that updating a baseline changes the lines of the
** values that changed. Series values are kept to 6 significant digits.
*/
#ifndef SB_BASELINE_H
#define SB_BASELINE_H

#include "runset.h"
#include "store.h"

/* The series a baseline keeps by default: every step's time (speed repetitions). */
#define SB_BASELINE_SERIES "step_ms"

/* Load a baseline file into a new in-memory store (store.h's schema). NULL
** with a message naming the file and row on error: no such file, a header
** that is not the format's, an unknown kind or column, a bad number, a run
** missing a required column. */
sb_store *sb_baseline_load(const char *path, char *err, size_t errlen);

/* Write the counted runs of s (the latest of each seed of each configuration)
** with the series named in series (comma-separated; "" for none) to path,
** atomically (a temporary file beside it, renamed over it when complete).
** Returns 0, or -1 with a message naming the file. */
int sb_baseline_write(const sb_runset *s, const char *series, const char *path, char *err, size_t errlen);

#endif
