/*
** decide.h: the regression gate's decisions: one configuration's metric,
** baseline against candidate, marked from its repetitions (gate.h says what
** each metric's repetitions are): quality by the mean change across seeds
** and a paired t-test; speed and measured memory by the ratio of medians and
** a Mann-Whitney U test; the engine's exact accounting by its ratio alone.
** Tests are one-sided in the direction of the observed change; when the
** repetitions are too few for a test to reach its significance level at
** all, the mark says so rather than passing silently.
*/
#ifndef SB_DECIDE_H
#define SB_DECIDE_H

typedef enum {
    SB_MARK_UNCHANGED,         /* within tolerance / factor */
    SB_MARK_BETTER,            /* beyond it, in the good direction, significant */
    SB_MARK_WORSE,             /* beyond it, in the bad direction, significant: a regression */
    SB_MARK_NOT_SIGNIFICANT,   /* beyond it, but the test does not find it significant */
    SB_MARK_NEWLY_FAILING,     /* a run finished in the baseline and failed or diverged now */
    SB_MARK_TOO_FEW,           /* too few repetitions for the test to reach significance */
    SB_MARK_MISSING,           /* runs, a metric or a calibration missing; configurations differ */
    SB_MARK_COUNT
} sb_mark;

/* "unchanged", "better", "worse", "not significant", "newly failing",
** "too few repetitions", "missing". */
const char *sb_mark_name(sb_mark m);

enum { SB_GATE_QUALITY, SB_GATE_SPEED, SB_GATE_MEMORY };

/* One mark: a configuration's metric. */
typedef struct {
    char config[256];          /* the configuration's label */
    char metric[64];
    int kind;                  /* SB_GATE_* */
    int higher_is_better;
    double base, cand;         /* mean over seeds (quality), median of repetitions (speed, memory) */
    double change;             /* cand - base (quality), cand / base (speed, memory) */
    double threshold;          /* the tolerance (quality) or factor (speed, memory) applied */
    double p;                  /* one-sided p in the direction of the change; NAN without a test */
    const char *test;          /* "paired t", "Mann-Whitney U", "exact", or "" */
    int n_base, n_cand;        /* repetitions */
    sb_mark mark;
    char note[256];
} sb_gate_row;

/* Add a clause to a row's note ("; " between clauses; cut when full). */
void sb_gate_note(sb_gate_row *row, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The decisions, on repetitions already paired or pooled (exposed for tests).
** quality: base[i] and cand[i] are seed i's values. ratio: two independent
** samples (Mann-Whitney). exact: deterministic values (no test). Each fills
** base, cand, change, p, test, n_*, mark and note of row. */
void sb_gate_quality(const double *base, const double *cand, int n, int higher_is_better, double tolerance, double alpha,
                     int min_seeds, sb_gate_row *row);
void sb_gate_ratio(const double *base, int nb, const double *cand, int nc, int higher_is_better, double factor,
                   double alpha, sb_gate_row *row);
void sb_gate_exact(double base, double cand, int higher_is_better, double factor, sb_gate_row *row);

/* The exit status of a set of marks: 2 when any is too few or missing, else 1
** when any is worse or newly failing, else 0. */
int sb_gate_status(const sb_gate_row *rows, int n);

/* The word for an exit status of the gate: passed, regressed or incomparable. */
const char *sb_gate_verdict(int status);

#endif
