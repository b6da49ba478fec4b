/*
** decide.c: the regression gate's decisions (decide.h): a mark from the
** repetitions of one configuration's metric, with the test and the note
** that say why, and Holm's adjustment over a gate run's rows.
*/
#include "decide.h"
#include "stats/stats.h"
#include "stats/multiple.h"
#include "stats/welch.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name, *meaning;
} marks[SB_MARK_COUNT] = {
    [SB_MARK_UNCHANGED] = { "unchanged",
                            "the change is inside the tolerance and an equivalence test (two one-sided tests) says so" },
    [SB_MARK_WITHIN_TOLERANCE] = { "within tolerance",
                                   "the change seen is inside the tolerance, but too noisy to show it stays there" },
    [SB_MARK_BETTER] = { "better", "beyond the tolerance in the good direction, significant after Holm's adjustment" },
    [SB_MARK_WORSE] = { "worse", "beyond the tolerance in the bad direction, significant after Holm's adjustment: a "
                                 "regression (exit 1)" },
    [SB_MARK_NOT_SIGNIFICANT] = { "not significant", "beyond the tolerance, but not significant after Holm's adjustment" },
    [SB_MARK_NEWLY_FAILING] = { "newly failing", "a run that finished in the baseline failed or diverged (exit 1)" },
    [SB_MARK_NOT_MEASURABLE] = { "not measurable here",
                                 "timing from runs other processes slowed (contended): no verdict on speed (exit 2 "
                                 "unless something is worse)" },
    [SB_MARK_TOO_FEW] = { "too few repetitions", "too few seeds or clean runs for the test (exit 2)" },
    [SB_MARK_MISSING] = { "missing", "runs, a metric or a calibration missing, a value not finite, or the configurations "
                                     "differ (exit 2)" },
};

const char *sb_mark_name(sb_mark m)
{
    return m >= 0 && m < SB_MARK_COUNT ? marks[m].name : "?";
}

const char *sb_mark_meaning(sb_mark m)
{
    return m >= 0 && m < SB_MARK_COUNT ? marks[m].meaning : "?";
}

void sb_gate_note(sb_gate_row *row, const char *fmt, ...)
{
    size_t len = strlen(row->note);
    if (len >= sizeof row->note - 3) return;
    if (len) {
        snprintf(row->note + len, sizeof row->note - len, "; ");
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->note + len, sizeof row->note - len, fmt, ap);
    va_end(ap);
}

/* The mark of a tested row from its (adjusted) p. The adjustment only raises
** p, so a row marked not significant stays so, and its note stays true. */
static void mark_tested(sb_gate_row *row, double alpha)
{
    if (row->beyond) row->mark = row->p_holm <= alpha ? (row->worse_way ? SB_MARK_WORSE : SB_MARK_BETTER) : SB_MARK_NOT_SIGNIFICANT;
    else row->mark = row->p_holm <= alpha ? SB_MARK_UNCHANGED : SB_MARK_WITHIN_TOLERANCE;
    if (row->mark == SB_MARK_NOT_SIGNIFICANT && !strstr(row->note, "not significant at alpha"))
        sb_gate_note(row, "%s beyond %s%g, not significant at alpha %g", row->worse_way ? "a change for the worse" : "a change for the better",
                     row->kind == SB_GATE_QUALITY ? "the tolerance " : "x", row->threshold, alpha);
}

/* A tested row's p and mark from its change d (standard error se on df
** degrees of freedom, one-sided p's of its t test) against bound: beyond it,
** the one-sided p in d's direction; inside, the equivalence test's (two
** one-sided tests, named tost). */
static void judge_change(sb_gate_row *row, double d, double se, double df, double p_greater, double p_less, double bound,
                         const char *tost, double alpha)
{
    row->beyond = fabs(d) > bound;
    row->worse_way = row->higher_is_better ? d < 0 : d > 0;
    if (row->beyond) {
        row->p = d > 0 ? p_greater : p_less;
    } else {
        row->test = tost;
        row->p = sb_stats_tost(d, se, df, bound);
        /* a bound of 0 admits no equivalence: "within tolerance" at best */
        if (isnan(row->p)) row->p = 1;
    }
    row->p_holm = row->p;
    mark_tested(row, alpha);
}

void sb_gate_quality(const double *base, const double *cand, int n, int higher_is_better, double tolerance, double alpha,
                     int min_seeds, sb_gate_row *row)
{
    row->higher_is_better = higher_is_better;
    row->threshold = tolerance;
    row->test = "paired t";
    row->n_base = row->n_cand = n;
    row->base = sb_stats_mean(base, n);
    row->cand = sb_stats_mean(cand, n);
    row->change = row->cand - row->base;
    row->p = row->p_holm = NAN;
    sb_ttest t;
    if (n < min_seeds || sb_stats_paired_t(base, cand, n, 0.95, &t)) {
        row->mark = SB_MARK_TOO_FEW;
        sb_gate_note(row, "%d seed%s compared; a paired test across seeds needs at least %d (--min-seeds)", n, n == 1 ? "" : "s",
                     min_seeds < 2 ? 2 : min_seeds);
        return;
    }
    row->change = t.mean;
    judge_change(row, t.mean, t.sd / sqrt(n), t.df, t.p_greater, t.p_less, tolerance, "TOST paired t", alpha);
}

void sb_gate_ratio(const double *base, int nb, const double *cand, int nc, int higher_is_better, double factor,
                   double alpha, int min_runs, sb_gate_row *row)
{
    row->higher_is_better = higher_is_better;
    row->threshold = factor;
    row->test = "Welch t on logs";
    row->n_base = nb;
    row->n_cand = nc;
    row->base = sb_stats_geomean(base, nb);
    row->cand = sb_stats_geomean(cand, nc);
    row->change = row->cand / row->base;
    row->p = row->p_holm = NAN;
    if (min_runs < 2) min_runs = 2;
    if (nb < min_runs || nc < min_runs) {
        row->mark = SB_MARK_TOO_FEW;
        sb_gate_note(row, "%d and %d runs: the test over runs needs at least %d a side (--min-runs)", nb, nc, min_runs);
        return;
    }
    double *lb = malloc(sizeof *lb * (size_t)(nb + nc));
    if (!lb) {
        row->mark = SB_MARK_MISSING;
        sb_gate_note(row, "out of memory");
        return;
    }
    double *lc = lb + nb;
    int bad = 0;
    for (int i = 0; i < nb; i++) bad |= !(base[i] > 0), lb[i] = log(base[i]);
    for (int i = 0; i < nc; i++) bad |= !(cand[i] > 0), lc[i] = log(cand[i]);
    sb_welch w;
    if (bad || sb_stats_welch_t(lb, nb, lc, nc, &w)) {
        free(lb);
        row->mark = SB_MARK_MISSING;
        sb_gate_note(row, "a repetition is not a positive finite number");
        return;
    }
    free(lb);
    judge_change(row, w.diff, w.se, w.df, w.p_greater, w.p_less, log(factor), "TOST Welch t on logs", alpha);
}

void sb_gate_exact(double base, double cand, int higher_is_better, double factor, sb_gate_row *row)
{
    row->higher_is_better = higher_is_better;
    row->threshold = factor;
    row->test = "exact";
    row->n_base = row->n_cand = 1;
    row->base = base;
    row->cand = cand;
    row->change = cand / base;
    row->p = row->p_holm = NAN;
    double worse_ratio = higher_is_better ? base / cand : cand / base;
    row->beyond = worse_ratio > factor || worse_ratio < 1 / factor;
    row->worse_way = worse_ratio > 1;
    if (base == cand) row->mark = SB_MARK_UNCHANGED;
    else if (worse_ratio > factor) row->mark = SB_MARK_WORSE;
    else if (worse_ratio < 1 / factor) row->mark = SB_MARK_BETTER;
    else row->mark = SB_MARK_WITHIN_TOLERANCE;
    if (row->mark != SB_MARK_UNCHANGED) sb_gate_note(row, "deterministic: changed exactly, by %+.2f%%", 100 * (row->change - 1));
}

int sb_gate_holm(sb_gate_row *rows, int n, double alpha)
{
    double *p = calloc((size_t)(n > 0 ? n : 1), sizeof *p);
    if (!p) return -1;
    for (int i = 0; i < n; i++) p[i] = rows[i].kind != SB_GATE_EXACT && isfinite(rows[i].p) ? rows[i].p : NAN;
    if (sb_stats_holm(p, n, p) < 0) {
        free(p);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (isnan(p[i])) continue;
        /* a row a gate marked otherwise (missing, ...) keeps its mark */
        sb_mark was = rows[i].mark;
        if (was != SB_MARK_UNCHANGED && was != SB_MARK_WITHIN_TOLERANCE && was != SB_MARK_BETTER && was != SB_MARK_WORSE &&
            was != SB_MARK_NOT_SIGNIFICANT)
            continue;
        rows[i].p_holm = p[i];
        mark_tested(&rows[i], alpha);
    }
    free(p);
    return 0;
}

int sb_gate_status(const sb_gate_row *rows, int n)
{
    int regressed = 0, unmeasurable = 0;
    for (int i = 0; i < n; i++) {
        if (rows[i].mark == SB_MARK_TOO_FEW || rows[i].mark == SB_MARK_MISSING) return 2;
        if (rows[i].mark == SB_MARK_WORSE || rows[i].mark == SB_MARK_NEWLY_FAILING) regressed = 1;
        if (rows[i].mark == SB_MARK_NOT_MEASURABLE) unmeasurable = 1;
    }
    return regressed ? 1 : unmeasurable ? 2 : 0;
}

const char *sb_gate_verdict(int status)
{
    return status == 0 ? "passed" : status == 1 ? "regressed" : "incomparable";
}
