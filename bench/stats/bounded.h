/*
** bounded.h: confidence intervals of a metric bounded to [0, 1] (accuracy,
** exact match) over seeds. Student's t interval of the mean can pass the
** bounds (0.592 [0.181, 1.003] with three seeds); on the logit scale it
** cannot. The interval here is the t interval of the mean of logit(x) over
** seeds, mapped back by the logistic function: the logit interval of Brown,
** Cai and DasGupta (2001, "Interval estimation for a binomial proportion",
** Statistical Science 16:101-133) with the seeds as the sample. Values at 0
** or 1 are first moved in by half a unit of the split's size (the empirical
** logit of Haldane and Anscombe) so the logit is finite.
**
** Speeds are bounded below by 0 and vary by factors (a run slowed by other
** load), so their interval is taken on the log scale: the geometric mean over
** repetitions with the t interval of the mean log mapped back by exp.
*/
#ifndef SB_STATS_BOUNDED_H
#define SB_STATS_BOUNDED_H

#include "stats.h"

/* Summarise x[0..n) (each in [0, 1]) at confidence level: n, mean, sd and se
** as sb_stats_summary (the mean is the arithmetic mean), lo and hi the logit
** interval, widened to hold the mean where it falls outside (possible with
** very skewed seeds), always inside [0, 1]. eps: how far values at the bounds
** are moved in (0.5 / the split's examples; 0 < eps < 0.5). Returns 0, or -1
** when n < 1, a value is outside [0, 1] or not finite, or level or eps is
** outside its range. */
int sb_stats_logit_summary(const double *x, int n, double level, double eps, sb_summary *s);

/* Summarise positive x[0..n) on the log scale: mean is the geometric mean,
** lo and hi the interval (both > 0), sd and se those of log x. Returns 0, or
** -1 when n < 1, a value is not > 0 or not finite, or level is outside (0, 1). */
int sb_stats_log_summary(const double *x, int n, double level, sb_summary *s);

#endif
