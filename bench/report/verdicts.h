/*
** verdicts.h: what the report concludes from its configurations' statistics,
** under one multiplicity control. The family is every test the report's
** verdicts rest on: each configuration's test and test_long against `none`
** (paired t across seeds), each configuration's test beyond its task's chance
** level (one-sided t; its standard error adds the test split's sampling error,
** shared by every seed, to the spread over seeds), and the comparisons its
** frontier class needs (below). Their p-values are adjusted together by
** Benjamini and Hochberg's procedure (stats/multiple.h) and read at
** SB_VERDICT_ALPHA: a difference above it is a tie, never a ranking.
**
** A task is learned at this budget when some configuration is above chance.
** On a learned task, with configurations by unique parameters: one not above
** chance is "at chance"; one that a configuration with no more parameters
** beats significantly is dominated (by the best such, by mean); one that beats
** the best configuration with fewer parameters significantly (or has none
** fewer) is on the frontier; the rest tie with that best cheaper one.
*/
#ifndef SB_VERDICTS_H
#define SB_VERDICTS_H

#include "groupstat.h"

#define SB_VERDICT_ALPHA 0.05

/* Fill the verdict members of st[0..s->ngroups) (computed by sb_gstat_of):
** the adjusted p-values, the chance tests, each task's learned flag, every
** frontier class. Returns the family's size, or -1 when out of memory. */
int sb_verdicts(const sb_runset *s, sb_gstat *st);

/* Group b's test metric against group a's (b - a, 95% interval): paired by
** seed where two seeds or more are shared, else Welch's test over each
** group's finished runs (at most 256 each). 0, or -1 when neither is possible. */
int sb_verdict_compare(const sb_runset *s, int a, int b, sb_ttest *t);

/* The verdict (SB_V_*) on a difference t whose adjusted p is q, in a metric
** where higher (higher != 0) or lower is better: a tie above SB_VERDICT_ALPHA
** or at no difference, untested when q is not a number. */
int sb_verdict_of(const sb_ttest *t, double q, int higher);

/* A class's words ("frontier", "tie", "dominated", "at chance", "not learned", "no result"). */
const char *sb_verdict_class_name(int cls);

#endif
