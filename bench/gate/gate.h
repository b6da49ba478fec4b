/*
** gate.h: the regression gate: a candidate set of runs against a baseline,
** one mark per configuration and metric, and an exit status for CI.
**
** A configuration is compared seed by seed (runset.h). What counts:
**   quality (test, test_long: the task's headline metric, direction from it):
**     worse when the mean change across seeds is a drop beyond the metric's
**     tolerance AND a paired t-test across seeds finds it significant;
**   speed (train_step_ms: every training step's time after the warm-up, all
**     seeds pooled; infer_tokens_per_s, decode_tokens_per_s: one value a run):
**     worse when the slowdown (ratio of medians) passes a factor AND a
**     Mann-Whitney U test over the repetitions finds it significant; times and
**     throughputs are first normalised by the run's own calibration
**     (calib_gflops, an OpenBLAS matrix-multiply rate measured in the run), so
**     that a baseline from another machine compares fairly;
**   memory (train_bytes: the engine's exact accounting of a training step,
**     compared exactly; peak_rss_bytes: measured, Mann-Whitney over seeds):
**     worse past a factor (and significant when measured).
** Tests are one-sided in the direction of the observed change. When the
** repetitions are too few for a test to reach its significance level at all,
** the mark says so, and the comparison is not possible (exit 2), rather than
** passing silently.
*/
#ifndef SB_GATE_H
#define SB_GATE_H

#include "decide.h"
#include "results/runset.h"

typedef struct {
    const char *metrics;       /* comma-separated metrics to gate (default: all of them) */
    double tol_test, tol_test_long; /* absolute, in the metric's units */
    double speed_factor, memory_factor;
    double alpha;              /* tests over seeds */
    double alpha_steps;        /* the test over every step's time */
    int min_seeds;             /* fewer seeds than this: too few for the paired test */
    int warmup;                /* first steps of each run left out of step times */
    int normalise;             /* 1: by calib_gflops; 0: raw */
} sb_gate_options;

/* Defaults: every metric; tolerances 0.02 (test) and 0.03 (test_long);
** factors 1.25 (speed) and 1.10 (memory); alpha 0.05 over seeds and 0.002
** over steps (asv's); 3 seeds; 5 warm-up steps; normalised. */
void sb_gate_defaults(sb_gate_options *o);

/* Set an option from its command-line name (tolerance test=0.01, speed-factor,
** memory-factor, alpha, alpha-steps, min-seeds, warmup, normalise, metrics).
** 0, or -1 with a message naming the option and value. */
int sb_gate_option(sb_gate_options *o, const char *name, const char *value, char *err, size_t errlen);

/* The metrics the gate knows, in its table's order: the name of the i-th
** (NULL past the last) and its kind (SB_GATE_*; kind may be NULL). */
const char *sb_gate_metric(int i, int *kind);

/* The outcome of a comparison. */
typedef struct {
    sb_gate_row *rows;
    int nrows;
    char **notes;              /* configurations only one side has, superseded runs, ... */
    int nnotes;
    int count[SB_MARK_COUNT];
    int status;                /* 0 nothing regressed, 1 something did, 2 comparison impossible */
    char normalisation[512];   /* what speeds were normalised by, in words */
} sb_gate_result;

/* Compare every configuration of base with the candidate's runs of the same
** configuration. Returns 0 with *res filled (free with sb_gate_result_free),
** or -1 with a message when out of memory or the database cannot be read. */
int sb_gate_compare(const sb_runset *base, const sb_runset *cand, const sb_gate_options *o, sb_gate_result *res,
                    char *err, size_t errlen);
void sb_gate_result_free(sb_gate_result *res);

#endif
