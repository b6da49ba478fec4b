/*
** gate.h: the regression gate: a candidate set of runs against a baseline,
** one mark per configuration and metric, and an exit status for CI.
**
** A configuration is compared seed by seed (runset.h); how each metric is
** compared comes from its kind in the registry (decide.h says the tests):
**   quality (test, test_long: the task's headline metric, direction from it):
**     a paired t-test across seeds against the tolerance, at least 3 seeds;
**   timing (train_step_ms: one value a run, the median of its uncontended
**     steps; infer_tokens_per_s, decode_tokens_per_s): Welch's t-test on the
**     logarithms of one value per run against the speed factor, at least 3
**     clean runs a side, after normalising by each run's calibration
**     (calib_gflops, an OpenBLAS matrix-multiply rate measured in the run), so
**     that a baseline from another machine compares fairly; runs that other
**     processes slowed (the run records its contention) are left out, and
**     when too few clean runs remain the mark is "not measurable here";
**   measured (peak_rss_bytes): as timing, against the memory factor;
**   exact (train_bytes: the engine's accounting of a training step,
**     params_unique, kv_cache_bytes): compared as numbers on every seed, any
**     number of seeds, worse past the memory factor.
** The p-values of all rows are adjusted together by Holm's method. When the
** repetitions are too few for a test, or a value is missing or not finite on
** either side, the comparison is not possible (exit 2), never passed.
*/
#ifndef SB_GATE_H
#define SB_GATE_H

#include "decide.h"
#include "results/runset.h"

/* The training step measured again by the candidate binary (gate --remeasure)
** for one baseline configuration: n short fixed loops, run one at a time,
** each's median uncontended step, calibration, and whether it was contended. */
enum { SB_GATE_REMEASURE_MAX = 20 };
typedef struct {
    int n;
    double step_ms[SB_GATE_REMEASURE_MAX], calib[SB_GATE_REMEASURE_MAX];
    int contended[SB_GATE_REMEASURE_MAX];
} sb_gate_remeasured;

typedef struct {
    const char *metrics;       /* comma-separated metrics to gate (default: all of them) */
    double tol_test, tol_test_long; /* absolute, in the metric's units */
    double speed_factor, memory_factor;
    double alpha;              /* family-wise error over the gate run's tests (Holm) */
    int min_seeds;             /* fewer seeds than this: too few for the paired test */
    int min_runs;              /* fewer clean runs a side than this: too few for the test over runs */
    int warmup;                /* first steps of each run left out of step times */
    int normalise;             /* 1: by calib_gflops; 0: raw */
    const sb_gate_remeasured *remeasured; /* NULL, or one per baseline group: the candidate's train_step_ms from these */
} sb_gate_options;

/* Defaults: every metric; tolerances 0.02 (test) and 0.03 (test_long);
** factors 1.25 (speed) and 1.10 (memory); alpha 0.05; 3 seeds; 3 runs a side;
** 5 warm-up steps (older records' step times); normalised; nothing remeasured. */
void sb_gate_defaults(sb_gate_options *o);

/* Set an option from its command-line name (tolerance test=0.01, speed-factor,
** memory-factor, alpha, min-seeds, min-runs, warmup, normalise, metrics).
** 0, or -1 with a message naming the option and value. */
int sb_gate_option(sb_gate_options *o, const char *name, const char *value, char *err, size_t errlen);

/* The metrics the gate knows, in its table's order: the name of the i-th
** (NULL past the last) and its kind (SB_GATE_*; kind may be NULL). */
const char *sb_gate_metric(int i, int *kind);

/* The runs of s recorded by a binary built from a tree with uncommitted
** changes (their code_version says -dirty): their version names no commit. */
int sb_gate_dirty_runs(const sb_runset *s);

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
