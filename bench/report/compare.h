/*
** compare.h: `sharebench compare A B`: two sets of runs (two databases, two
** sweeps of one, or any filters) compared configuration by configuration.
** Configurations are matched by their result-changing keys (runset.h), runs
** within them by seed: a metric's change is the mean difference B - A over
** the seeds run on both sides with a paired t-test, or Welch's test where
** fewer than two seeds pair. The quality metrics (test, test_long, test_loss)
** of every matched configuration form one family under Benjamini-Hochberg
** control, as in the report (verdicts.h): a change whose adjusted p is above
** SB_VERDICT_ALPHA is a tie. Written as OUT/NAME.md, OUT/NAME.html and
** OUT/NAME.json, all three whole or none.
*/
#ifndef SB_COMPARE_H
#define SB_COMPARE_H

#include "results/runset.h"
#include <stddef.h>

typedef struct {
    const char *db_a, *db_b;   /* databases or baseline files (may be the same) */
    sb_rs_filter fa, fb;       /* the runs of each side */
    const char *outdir, *name;
} sb_compare_options;

typedef struct {
    char md[4096], html[4096], json[4096];   /* what was written */
    int runs_a, runs_b;
    int matched, only_a, only_b;             /* configurations */
    int tests, significant;                  /* comparisons made, significant after adjustment */
} sb_compare_outcome;

/* Compare and write. Everything is read before anything is written. 0 with
** *out filled in, or -1 with a message (no runs on a side, unreadable input,
** no configuration in common, an output that cannot be written). */
int sb_compare_write(const sb_compare_options *o, sb_compare_outcome *out, char *err, size_t errlen);

#endif
