/*
** decide.c: the regression gate's decisions (decide.h): a mark from the
** repetitions of one configuration's metric, with the test and the note
** that say why.
*/
#include "decide.h"
#include "stats/stats.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const mark_names[SB_MARK_COUNT] = {
    "unchanged", "better", "worse", "not significant", "newly failing", "too few repetitions", "missing",
};

const char *sb_mark_name(sb_mark m)
{
    return m >= 0 && m < SB_MARK_COUNT ? mark_names[m] : "?";
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
    row->p = NAN;
    sb_ttest t;
    if (n < min_seeds || sb_stats_paired_t(base, cand, n, 0.95, &t)) {
        row->mark = SB_MARK_TOO_FEW;
        sb_gate_note(row, "%d seed%s compared; a paired test across seeds needs at least %d (--min-seeds)", n, n == 1 ? "" : "s",
             min_seeds < 2 ? 2 : min_seeds);
        return;
    }
    row->change = t.mean;
    int worse = higher_is_better ? t.mean < 0 : t.mean > 0;
    row->p = t.mean > 0 ? t.p_greater : t.mean < 0 ? t.p_less : 1;
    if (fabs(t.mean) <= tolerance) row->mark = SB_MARK_UNCHANGED;
    else if (row->p <= alpha) row->mark = worse ? SB_MARK_WORSE : SB_MARK_BETTER;
    else {
        row->mark = SB_MARK_NOT_SIGNIFICANT;
        sb_gate_note(row, "%s beyond the tolerance %g but p = %.2g > alpha %g", worse ? "a drop" : "a rise", tolerance, row->p, alpha);
    }
}

void sb_gate_ratio(const double *base, int nb, const double *cand, int nc, int higher_is_better, double factor,
                   double alpha, sb_gate_row *row)
{
    row->higher_is_better = higher_is_better;
    row->threshold = factor;
    row->test = "Mann-Whitney U";
    row->n_base = nb;
    row->n_cand = nc;
    row->base = sb_stats_median(base, nb);
    row->cand = sb_stats_median(cand, nc);
    row->change = row->cand / row->base;
    row->p = NAN;
    double min_p = sb_stats_mwu_min_p(nb, nc);
    sb_mwu u;
    if (nb < 1 || nc < 1 || min_p > alpha) {
        row->mark = SB_MARK_TOO_FEW;
        sb_gate_note(row, "%d and %d repetitions: the smallest p a Mann-Whitney test can give is %.2g, above alpha %g; run more seeds",
             nb, nc, min_p, alpha);
        return;
    }
    if (sb_stats_mann_whitney(base, nb, cand, nc, &u)) {
        row->mark = SB_MARK_MISSING;
        sb_gate_note(row, "a repetition is not a finite number");
        return;
    }
    /* slowdown > 1 is worse whichever way the metric points */
    double slow = higher_is_better ? row->base / row->cand : row->change;
    int worse = slow > 1;
    /* p that the candidate is worse (larger when lower is better) or better */
    double p_up = u.p_greater, p_down = u.p_less;
    row->p = (row->change > 1) ? p_up : (row->change < 1) ? p_down : (p_up < p_down ? p_up : p_down);
    if (!(slow > factor) && !(slow < 1 / factor)) row->mark = SB_MARK_UNCHANGED;
    else if (row->p <= alpha) row->mark = worse ? SB_MARK_WORSE : SB_MARK_BETTER;
    else {
        row->mark = SB_MARK_NOT_SIGNIFICANT;
        sb_gate_note(row, "%s beyond x%g but p = %.2g > alpha %g", worse ? "a slowdown" : "a speed-up", factor, row->p, alpha);
    }
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
    row->p = NAN;
    double worse_ratio = higher_is_better ? base / cand : cand / base;
    if (worse_ratio > factor) row->mark = SB_MARK_WORSE;
    else if (worse_ratio < 1 / factor) row->mark = SB_MARK_BETTER;
    else row->mark = SB_MARK_UNCHANGED;
    if (row->mark != SB_MARK_UNCHANGED) sb_gate_note(row, "deterministic accounting: no test needed");
}

int sb_gate_status(const sb_gate_row *rows, int n)
{
    int regressed = 0;
    for (int i = 0; i < n; i++) {
        if (rows[i].mark == SB_MARK_TOO_FEW || rows[i].mark == SB_MARK_MISSING) return 2;
        if (rows[i].mark == SB_MARK_WORSE || rows[i].mark == SB_MARK_NEWLY_FAILING) regressed = 1;
    }
    return regressed;
}

const char *sb_gate_verdict(int status)
{
    return status == 0 ? "passed" : status == 1 ? "regressed" : "incomparable";
}
