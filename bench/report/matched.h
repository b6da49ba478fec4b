/*
** matched.h: the report's compute-matched comparison, per task: every
** configuration placed by its unique parameters and by its analytic FLOPs per
** token of training and of inference (engine/core/flops.h), each matched with
** the configurations within SB_MATCH_TOL of it in parameters, in training
** compute or in inference compute, and its test metric compared with each
** match (paired by seed, Welch's test where fewer than two seeds pair). The
** section's tests form their own family, adjusted together by Benjamini and
** Hochberg (as the compression frontier's: the verdicts' family of
** verdicts.h is not changed) and read at SB_VERDICT_ALPHA.
*/
#ifndef SB_MATCHED_H
#define SB_MATCHED_H

#include "doc.h"
#include "figures.h"
#include "groupstat.h"
#include "results/runset.h"

#define SB_MATCH_TOL 0.10

/* What a pair of configurations is matched in. */
enum { SB_MATCH_PARAMS = 1, SB_MATCH_TRAIN = 2, SB_MATCH_INFER = 4 };

typedef struct {
    int a, b;                  /* groups, a before b by parameters */
    int kinds;                 /* SB_MATCH_* */
    int tested;                /* 1 when the test below was made */
    sb_ttest t;                /* b's test against a's */
    double q;                  /* its adjusted p (NAN untested) */
    int verdict;               /* SB_V_* of b against a */
} sb_match;

typedef struct {
    int n;                     /* configurations of the task with a result */
    int *g;                    /* their groups, by unique parameters ascending */
    double *ftrain, *finfer;   /* FLOPs per token, mean over seeds (NAN unrecorded) */
    sb_match *m;               /* every matched pair */
    int nm;
    int family;                /* tests adjusted together */
} sb_matches;

/* 1 when x and y are both finite, positive and within tol of the larger. */
int sb_match_close(double x, double y, double tol);

/* The matches of task's configurations (st filled by sb_gstat_of) within tol,
** tested and adjusted. 0, or -1 when out of memory. */
int sb_matches_of(const sb_runset *s, const sb_gstat *st, const char *task, double tol, sb_matches *out);
void sb_matches_free(sb_matches *m);

/* The verdict of group g against its match m's other side (SB_V_*: better
** when g is significantly better). */
int sb_match_verdict_of(const sb_match *m, int g);

/* Write the section for task into d when two of its configurations or more
** recorded FLOPs per token, drawing OUT/matched-TASK.png (*drawn 1 when
** drawn; figname its name). Returns 1 when written, 0 otherwise. */
int sb_matched_section(sb_doc *d, const sb_runset *s, const sb_gstat *st, sb_figures *fig, const char *task, char *figname,
                       size_t len, int *drawn);

#endif
