/*
** decide.h: the regression gate's decisions: one configuration's metric,
** baseline against candidate, marked from its repetitions, by the metric's
** kind in the registry (results/metrics.h):
**   quality   the mean change across seeds, a paired t-test (seed against seed);
**   timing    one value per run, the ratio of geometric means, Welch's t-test
**   measured  on the logarithms (runs are independent, their noise multiplies);
**   exact     deterministic figures, compared as numbers, no test.
** Each tested row carries one decisive test: when the observed change is
** beyond the tolerance (or factor), the one-sided test that it is not zero in
** its direction ("worse"/"better" if significant, else "not significant");
** when it is inside, the two one-sided tests of equivalence within the
** tolerance ("unchanged" if significant, else "within tolerance"). The gate
** adjusts the decisive p-values of all its rows together by Holm's method
** (sb_gate_holm), so that the chance of any false mark in one gate run stays
** below alpha. When the repetitions are too few for a test at all, the mark
** says so rather than passing silently.
*/
#ifndef SB_DECIDE_H
#define SB_DECIDE_H

typedef enum {
    SB_MARK_UNCHANGED,         /* equivalent within the tolerance: the equivalence test says so */
    SB_MARK_WITHIN_TOLERANCE,  /* inside the tolerance, too noisy to show equivalence */
    SB_MARK_BETTER,            /* beyond it, in the good direction, significant */
    SB_MARK_WORSE,             /* beyond it, in the bad direction, significant: a regression */
    SB_MARK_NOT_SIGNIFICANT,   /* beyond it, but the test does not find it significant */
    SB_MARK_NEWLY_FAILING,     /* a run finished in the baseline and failed or diverged now */
    SB_MARK_NOT_MEASURABLE,    /* timing from runs that other processes slowed: not measurable here */
    SB_MARK_TOO_FEW,           /* too few repetitions for the test */
    SB_MARK_MISSING,           /* runs, a metric or a calibration missing, a value not finite; configurations differ */
    SB_MARK_COUNT
} sb_mark;

/* "unchanged", "within tolerance", "better", "worse", "not significant",
** "newly failing", "not measurable here", "too few repetitions", "missing". */
const char *sb_mark_name(sb_mark m);

/* What a mark means, one sentence (the README's and the table's legend). */
const char *sb_mark_meaning(sb_mark m);

/* How a metric is compared (from the registry's kinds). */
enum { SB_GATE_QUALITY, SB_GATE_TIMING, SB_GATE_MEASURED, SB_GATE_EXACT };

/* One mark: a configuration's metric. */
typedef struct {
    char config[256];          /* the configuration's label */
    char metric[64];
    char unit[64];             /* of base and cand, "(normalised)" when they are */
    int kind;                  /* SB_GATE_* */
    int higher_is_better;
    double base, cand;         /* mean over seeds (quality), geometric mean of the runs (timing, measured), the value (exact) */
    double change;             /* cand - base (quality), cand / base (the others) */
    double threshold;          /* the tolerance (quality) or factor (the others) applied */
    int beyond;                /* the observed change passes the threshold */
    int worse_way;             /* the observed change is in the bad direction */
    double p;                  /* the decisive test's p (see above); NAN without a test */
    double p_holm;             /* p adjusted over the gate run's tests (Holm); p until adjusted */
    const char *test;          /* "paired t", "Welch t on logs", "TOST paired t", "TOST Welch t on logs", "exact", or "" */
    int n_base, n_cand;        /* repetitions */
    sb_mark mark;
    char note[256];
} sb_gate_row;

/* Add a clause to a row's note ("; " between clauses; cut when full). */
void sb_gate_note(sb_gate_row *row, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The decisions, on repetitions already paired or pooled (exposed for tests).
** quality: base[i] and cand[i] are seed i's values, at least min_seeds of
** them. ratio: one positive value per run on each side, independent, at
** least min_runs a side. exact: one deterministic value a side. Each fills
** base, cand, change, beyond, worse_way, p, p_holm, test, n_*, mark and note of row,
** the mark at the unadjusted alpha. */
void sb_gate_quality(const double *base, const double *cand, int n, int higher_is_better, double tolerance, double alpha,
                     int min_seeds, sb_gate_row *row);
void sb_gate_ratio(const double *base, int nb, const double *cand, int nc, int higher_is_better, double factor,
                   double alpha, int min_runs, sb_gate_row *row);
void sb_gate_exact(double base, double cand, int higher_is_better, double factor, sb_gate_row *row);

/* Adjust the p of every tested row by Holm's method over all of them and
** mark them again at alpha. 0, or -1 when out of memory. */
int sb_gate_holm(sb_gate_row *rows, int n, double alpha);

/* The exit status of a set of marks: 2 when any is too few or missing; else 1
** when any is worse or newly failing; else 2 when any is not measurable here;
** else 0. */
int sb_gate_status(const sb_gate_row *rows, int n);

/* The word for an exit status of the gate: passed, regressed or incomparable. */
const char *sb_gate_verdict(int status);

#endif
