/*
** claims.c: the claims file (INI, read by libinih) and the checks that
** evaluate a claim against a set of runs (see claims.h and bench/claims.txt).
*/
#include "claims.h"
#include "sys/textfile.h"
#include "budget.h"
#include "results/metrics.h"
#include "results/series.h"
#include "core/model.h"
#include "stats/multiple.h"
#include "stats/stats.h"
#include "sys/fmt.h"
#include <fnmatch.h>
#include <gsl/gsl_cdf.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = { "not measured", "supported", "contradicted", "inconclusive" };

const char *sb_claim_status_name(sb_claim_status s)
{
    return s >= 0 && s <= SB_CLAIM_INCONCLUSIVE ? status_names[s] : "?";
}

/* ---- check syntax ---- */

typedef struct {
    const char *name;
    const char *const keys[8];   /* accepted keys; "*model" accepts model keys too */
    const char *const required[5];
} check_def;

static const check_def checks[] = {
    { "compare", { "metric", "a", "b", "better", "min", "alpha", "task", NULL }, { "metric", "a", NULL } },
    { "within", { "metric", "a", "b", "margin", "alpha", "task", NULL }, { "metric", "a", "b", "margin" } },
    { "reduction", { "a", "b", "min", "max", "metric", "preset", "*model", NULL }, { "a", "min", "max", NULL } },
    { "length", { "a", "b", "min_ratio", "preset", "batch", "budget", "*model", NULL }, { "a", "min_ratio", NULL } },
    { "depth", { "series", "a", "grad_scale", NULL }, { "series", NULL } },
    { "untestable", { "reason", NULL }, { "reason", NULL } },
};
#define NCHECKS (int)(sizeof checks / sizeof checks[0])

typedef struct {
    char name[32];
    int n;
    char key[16][32];
    char val[16][200];
} args;

/* The numbers a check takes, and their ranges: a check is read once, so a
** value that cannot work is refused with the file, not met in the middle of a
** report. 1 with a message when key's value is not such a number. */
static int bad_number(const char *key, const char *v, char *err, size_t errlen)
{
    static const struct {
        const char *key;
        double lo, hi;
        int whole;
    } numbers[] = {
        { "batch", 1, 65536, 1 }, { "alpha", 1e-12, 1, 0 }, { "min", -1e9, 1e9, 0 }, { "max", -1e9, 1e9, 0 },
        { "min_ratio", 0, 1e9, 0 }, { "margin", 1e-6, 10, 0 },
    };
    double x;
    char *end;
    if (!strcmp(key, "budget")) {
        if (!sb_budget_parse_size(v, &x)) return 0;
        snprintf(err, errlen, "budget='%s': expected a size such as 512MiB or 2G", v);
        return 1;
    }
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        if (strcmp(key, numbers[i].key)) continue;
        x = strtod(v, &end);
        if (end != v && !*end && isfinite(x) && x >= numbers[i].lo && x <= numbers[i].hi && (!numbers[i].whole || x == floor(x)))
            return 0;
        snprintf(err, errlen, "%s='%s': expected a %s from %g to %g", key, v, numbers[i].whole ? "whole number" : "number",
                 numbers[i].lo, numbers[i].hi);
        return 1;
    }
    return 0;
}

/* Split "NAME k=v k=v" (untestable's reason takes the rest of the line). */
static int parse_check(const char *text, args *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    const char *p = text;
    while (*p == ' ') p++;
    size_t n = strcspn(p, " ");
    if (!n || n >= sizeof a->name) {
        snprintf(err, errlen, "check '%s': no check name", text);
        return -1;
    }
    memcpy(a->name, p, n);
    p += n;
    const check_def *d = NULL;
    for (int i = 0; i < NCHECKS; i++)
        if (!strcmp(checks[i].name, a->name)) d = &checks[i];
    if (!d) {
        snprintf(err, errlen, "check '%s': unknown check '%s' (known: compare, within, reduction, length, depth, untestable)", text, a->name);
        return -1;
    }
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *eq = strchr(p, '=');
        size_t kl = eq ? (size_t)(eq - p) : 0;
        if (!eq || !kl || kl >= sizeof a->key[0] || memchr(p, ' ', kl) || a->n == 16) {
            snprintf(err, errlen, "check '%s': '%.*s' is not KEY=VALUE", text, (int)strcspn(p, " "), p);
            return -1;
        }
        memcpy(a->key[a->n], p, kl);
        const char *v = eq + 1;
        size_t span = !strcmp(a->key[a->n], "reason") ? strlen(v) : strcspn(v, " ");
        memcpy(a->val[a->n], v, span < sizeof a->val[0] ? span : sizeof a->val[0] - 1);
        p = v + span;
        int known = 0;
        for (int k = 0; d->keys[k] && !known; k++) {
            if (!strcmp(d->keys[k], a->key[a->n])) known = 1;
            else if (!strcmp(d->keys[k], "*model")) {
                sb_config c;
                char e2[SB_ERR_LEN];
                sb_config_default(&c);
                for (const char *const *mk = sb_config_keys(); *mk && !known; mk++)
                    if (!strcmp(*mk, a->key[a->n])) {
                        if (sb_config_set(&c, *mk, a->val[a->n], e2, sizeof e2)) {
                            snprintf(err, errlen, "check '%s': %s", text, e2);
                            return -1;
                        }
                        known = 1;
                    }
            }
        }
        if (!known) {
            snprintf(err, errlen, "check '%s': %s takes no key '%s'", text, a->name, a->key[a->n]);
            return -1;
        }
        if (bad_number(a->key[a->n], a->val[a->n], err, errlen)) {
            char inner[256];
            snprintf(inner, sizeof inner, "%s", err);
            snprintf(err, errlen, "check '%s': %s", text, inner);
            return -1;
        }
        /* names of what runs store: from the registry, so a misspelt one is refused, not read as missing data */
        if (!strcmp(a->key[a->n], "metric") && sb_metric_lookup(a->val[a->n]) < 0) {
            snprintf(err, errlen, "check '%s': metric '%s' is not one sharebench records (sharebench metrics lists them)", text,
                     a->val[a->n]);
            return -1;
        }
        if (!strcmp(a->key[a->n], "series") && !sb_series_like_known(a->val[a->n])) {
            snprintf(err, errlen, "check '%s': series '%s' matches no series sharebench records (a varying part as %%; "
                     "sharebench metrics lists them)", text, a->val[a->n]);
            return -1;
        }
        a->n++;
    }
    for (int r = 0; d->required[r]; r++) {
        int has = 0;
        for (int i = 0; i < a->n; i++) has |= !strcmp(a->key[i], d->required[r]);
        if (!has) {
            snprintf(err, errlen, "check '%s': %s needs %s=...", text, a->name, d->required[r]);
            return -1;
        }
    }
    return 0;
}

static const char *arg(const args *a, const char *key, const char *dflt)
{
    for (int i = 0; i < a->n; i++)
        if (!strcmp(a->key[i], key)) return a->val[i];
    return dflt;
}

static double arg_num(const args *a, const char *key, double dflt)
{
    const char *v = arg(a, key, NULL);
    return v ? strtod(v, NULL) : dflt;
}

/* ---- the file ---- */

typedef struct {
    sb_claims *out;
    const char *path;
    char *err;
    size_t errlen;
    int failed;
} loader;

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    loader *L = user;
    sb_claims *cs = L->out;
    /* claims are written into the reports (Markdown, HTML): UTF-8 only */
    if (sb_utf8_invalid(section, strlen(section)) >= 0 || sb_utf8_invalid(value, strlen(value)) >= 0) {
        snprintf(L->err, L->errlen, "%s: [%s]: %s: not UTF-8 text", L->path, section, name);
        L->failed = 1;
        return 0;
    }
    if (!*section) {
        snprintf(L->err, L->errlen, "%s: '%s' before the first [claim] section", L->path, name);
        L->failed = 1;
        return 0;
    }
    if (!cs->n || strcmp(cs->claim[cs->n - 1].id, section)) {
        for (int i = 0; i < cs->n; i++)
            if (!strcmp(cs->claim[i].id, section)) {
                snprintf(L->err, L->errlen, "%s: claim [%s] appears twice", L->path, section);
                L->failed = 1;
                return 0;
            }
        sb_claim *p = realloc(cs->claim, sizeof *p * (size_t)(cs->n + 1));
        if (!p) return 0;
        cs->claim = p;
        memset(&p[cs->n], 0, sizeof *p);
        snprintf(p[cs->n].id, sizeof p[cs->n].id, "%s", section);
        cs->n++;
    }
    sb_claim *c = &cs->claim[cs->n - 1];
    if (!strcmp(name, "claim") || !strcmp(name, "source") || !strcmp(name, "figure") || !strcmp(name, "published") ||
        !strcmp(name, "scale")) {
        char *dst = !strcmp(name, "claim") ? c->text : !strcmp(name, "source") ? c->source : !strcmp(name, "figure") ? c->figure
                  : !strcmp(name, "published") ? c->published : c->scale;
        size_t cap = !strcmp(name, "claim") ? sizeof c->text : !strcmp(name, "source") ? sizeof c->source
                   : !strcmp(name, "figure") ? sizeof c->figure : !strcmp(name, "published") ? sizeof c->published : sizeof c->scale;
        size_t len = strlen(dst);
        snprintf(dst + len, cap - len, "%s%s", len ? " " : "", value); /* indented lines continue it */
    } else if (!strcmp(name, "check")) {
        args a;
        char e2[512];
        if (c->nchecks == SB_CLAIM_MAX_CHECKS) {
            snprintf(L->err, L->errlen, "%s: [%s]: more than %d checks", L->path, section, SB_CLAIM_MAX_CHECKS);
            L->failed = 1;
            return 0;
        }
        if (parse_check(value, &a, e2, sizeof e2)) {
            snprintf(L->err, L->errlen, "%s: [%s]: %s", L->path, section, e2);
            L->failed = 1;
            return 0;
        }
        snprintf(c->check[c->nchecks++], sizeof c->check[0], "%s", value);
    } else if (!strcmp(name, "figures")) {
        static const char *const kinds[] = { "curves", "pareto", "resources", "budget", "gradnoise",
                                             "heads",  "cka",    "attack",    "compress", "matched" };
        char list[128], *save = NULL;
        snprintf(list, sizeof list, "%s", value);
        for (char *k = strtok_r(list, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
            int known = 0;
            for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) known |= !strcmp(kinds[i], k);
            if (!known) {
                snprintf(L->err, L->errlen,
                         "%s: [%s]: figures: unknown kind '%s' (curves, pareto, resources, budget, gradnoise, heads, cka, attack, compress, matched)",
                         L->path, section, k);
                L->failed = 1;
                return 0;
            }
        }
        snprintf(c->figures, sizeof c->figures, "%s", value);
    } else {
        snprintf(L->err, L->errlen, "%s: [%s]: unknown key '%s' (claim, source, figure, published, scale, check, figures)", L->path, section, name);
        L->failed = 1;
        return 0;
    }
    return 1;
}

int sb_claims_load(const char *path, sb_claims *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    loader L = { out, path, err, errlen, 0 };
    /* the first error's line and message go together (libinih otherwise reads
    ** on and reports the first bad line, while a later handler call writes the message) */
    ini_stop_on_first_error = 1;
    size_t len;
    char *text = sb_text_read(path, 4L << 20, &len, err, errlen);   /* once; a directory or a NUL byte refused */
    if (!text) return -1;
    int rc = ini_parse_string(text, on_entry, &L);
    free(text);
    if (rc == -2 || rc == -1) snprintf(err, errlen, "%s: out of memory", path);
    else if (rc > 0 && !L.failed)
        snprintf(err, errlen, "%s:%d: not KEY = VALUE or [section] (lines are limited to 199 characters)", path, rc);
    else if (L.failed && rc > 0) {
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s", err);
        /* name the line: "file: ..." -> "file:N: ..." */
        size_t pl = strlen(path);
        if (!strncmp(tmp, path, pl) && tmp[pl] == ':') snprintf(err, errlen, "%s:%d%s", path, rc, tmp + pl);
    }
    if (rc == 0)
        for (int i = 0; i < out->n; i++)
            if (!out->claim[i].text[0] || !out->claim[i].nchecks) {
                snprintf(err, errlen, "%s: [%s] needs a claim = ... and at least one check = ...", path, out->claim[i].id);
                rc = 1;
                break;
            }
    if (rc) {
        sb_claims_free(out);
        return -1;
    }
    return 0;
}

void sb_claims_free(sb_claims *c)
{
    free(c->claim);
    memset(c, 0, sizeof *c);
}

/* ---- evaluation ---- */

typedef struct {
    int support, contradict, inconclusive, measured;
    char *ev;
    size_t len;
    /* a compare check's comparisons, judged together once all are made */
    int npend;
    struct {
        double p;
        int good, big_enough;   /* in the claimed direction; by at least min */
        double d, se, mb;       /* within: mean difference a - b, its standard error, b's mean */
        int df;
        char text[320];
    } pend[64];
} tally;

static void say(tally *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(tally *t, const char *fmt, ...)
{
    size_t n = strlen(t->ev);
    if (n + 4 >= t->len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->ev + n, t->len - n, fmt, ap);
    va_end(ap);
}

static int mode_matches(const char *sharing, const char *pattern, const char *b)
{
    if (!strcmp(pattern, "shared")) return strcmp(sharing, b) != 0;
    return fnmatch(pattern, sharing, 0) == 0;
}

static const sb_rs_run *finished_run(const sb_runset *s, const sb_rs_group *g)
{
    for (int k = 0; k < g->nrun; k++)
        if (sb_rs_finished(&s->runs[g->run[k]])) return &s->runs[g->run[k]];
    return NULL;
}

/* The pairs of (a, b) groups of a check: same task and keys, a's sharing
** matching the pattern, b's equal to b. Calls fn for each. */
typedef void (*pair_fn)(const sb_runset *s, const sb_rs_group *ga, const sb_rs_group *gb, const args *a, tally *t, void *ctx);

static void for_pairs(const sb_runset *s, const args *a, tally *t, pair_fn fn, void *ctx)
{
    const char *pa = arg(a, "a", "shared"), *b = arg(a, "b", "none"), *task = arg(a, "task", NULL);
    for (int i = 0; i < s->ngroups; i++) {
        const sb_rs_group *ga = &s->groups[i];
        if (!mode_matches(ga->sharing, pa, b) || (task && strcmp(ga->task, task))) continue;
        for (int j = 0; j < s->ngroups; j++) {
            const sb_rs_group *gb = &s->groups[j];
            if (j != i && !strcmp(gb->sharing, b) && !strcmp(gb->task, ga->task) && sb_rs_same_but_sharing(ga->config, gb->config))
                fn(s, ga, gb, a, t, ctx);
        }
    }
}

/* 1 when task is a line of list. */
static int listed(const char *list, const char *task)
{
    size_t n = strlen(task);
    for (const char *p = list; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, task, n) && (p[n] == '\n' || !p[n])) return 1;
    return 0;
}

/* A task at chance (a line of unlearned) says nothing about its quality
** metric m under sharing: 1 when so, said once in the evidence. */
static int quality_unlearned(const sb_rs_group *ga, const char *m, tally *t, const char *unlearned)
{
    int id = sb_metric_lookup(m);
    if (id < 0 || sb_metric_info_of(id)->kind != SB_KIND_QUALITY || !listed(unlearned, ga->task)) return 0;
    char said[300];
    snprintf(said, sizeof said, "%s: not learned at this budget", ga->task);
    if (!strstr(t->ev, said)) say(t, "%s, its quality left out. ", said);
    return 1;
}

static void compare_pair(const sb_runset *s, const sb_rs_group *ga, const sb_rs_group *gb, const args *a, tally *t, void *ctx)
{
    const char *m = arg(a, "metric", sb_metric_key(SB_M_TEST)), *better = arg(a, "better", "task");
    if (quality_unlearned(ga, m, t, ctx)) return;
    double min = arg_num(a, "min", NAN);
    double xa[256], xb[256];
    int n = sb_rs_pairs(s, gb, ga, m, xb, xa, 256);
    if (n < 2) {
        if (n || ga->nrun) say(t, "%s: %s against %s: %d seed%s with %s in both, too few for a paired test. ", ga->task, ga->sharing,
                               gb->sharing, n, n == 1 ? "" : "s", m);
        return;
    }
    /* the task's direction: every run of a configuration records the same metric param */
    int higher = !strcmp(better, "task") ? sb_rs_higher_is_better(finished_run(s, ga)) : !strcmp(better, "higher");
    sb_ttest r;
    sb_stats_paired_t(xb, xa, n, 0.95, &r);
    double mb = sb_stats_mean(xb, n), rel = r.mean / mb, sign = higher ? 1 : -1;
    if (t->npend == 64) return;
    t->pend[t->npend].p = r.p_two;
    t->pend[t->npend].good = sign * r.mean > 0;
    t->pend[t->npend].big_enough = isnan(min) || sign * rel >= min;
    snprintf(t->pend[t->npend].text, sizeof t->pend[0].text,
             "%s: %s against %s: %s changes by %+.4g [95%% interval %+.4g, %+.4g] (%+.1f%%) over %d seeds", ga->task, ga->sharing,
             gb->sharing, m, r.mean, r.lo, r.hi, 100 * rel, n);
    t->npend++;
}

/* The comparisons of a compare check judged together: their p-values
** adjusted by Benjamini-Hochberg over the check, each read at alpha. */
static void judge_pending(tally *t, double alpha)
{
    double p[64];
    for (int i = 0; i < t->npend; i++) p[i] = t->pend[i].p;
    if (t->npend && sb_stats_bh(p, t->npend, p) < 0) return;
    for (int i = 0; i < t->npend; i++) {
        int sig = p[i] <= alpha, good = t->pend[i].good;
        const char *verdict;
        t->measured++;
        if (sig && good && t->pend[i].big_enough) { t->support++; verdict = "supports"; }
        else if (sig) { t->contradict++; verdict = "contradicts"; }
        else { t->inconclusive++; verdict = "not significant"; }
        say(t, "%s, q = %.2g: %s. ", t->pend[i].text, p[i], verdict);
    }
    if (t->npend > 1) say(t, "(q: p adjusted over these %d comparisons by Benjamini-Hochberg.) ", t->npend);
    t->npend = 0;
}

/* An equivalence check's comparison: a's metric against b's, paired by seed;
** judged with the check's other comparisons (judge_within). */
static void within_pair(const sb_runset *s, const sb_rs_group *ga, const sb_rs_group *gb, const args *a, tally *t, void *ctx)
{
    const char *m = arg(a, "metric", sb_metric_key(SB_M_TEST));
    if (quality_unlearned(ga, m, t, ctx)) return;
    double xa[256], xb[256], d[256];
    int n = sb_rs_pairs(s, gb, ga, m, xb, xa, 256);
    if (n < 2) {
        if (n || ga->nrun) say(t, "%s: %s against %s: %d seed%s with %s in both, too few for a paired test. ", ga->task, ga->sharing,
                               gb->sharing, n, n == 1 ? "" : "s", m);
        return;
    }
    if (t->npend == 64) return;
    for (int i = 0; i < n; i++) d[i] = xa[i] - xb[i];
    sb_summary sd;
    sb_stats_summary(d, n, 0.95, &sd);
    t->pend[t->npend].d = sd.mean;
    t->pend[t->npend].se = sd.sd / sqrt(n);
    t->pend[t->npend].df = n - 1;
    t->pend[t->npend].mb = sb_stats_mean(xb, n);
    snprintf(t->pend[t->npend].text, sizeof t->pend[0].text, "%s: %s against %s: %s changes by %+.4g over %d seeds", ga->task,
             ga->sharing, gb->sharing, m, sd.mean, n);
    t->npend++;
}

/* The comparisons of a within check: each relative change (a - b) / b with an
** interval at 1 - alpha/k for k comparisons (Bonferroni: they hold together),
** b's mean taken as known. Supports when the interval lies inside +-margin (two
** one-sided tests at alpha/2k each), contradicts when it lies wholly outside,
** else undecided. */
static void judge_within(tally *t, double margin, double alpha)
{
    int k = t->npend;
    for (int i = 0; i < k; i++) {
        double mb = fabs(t->pend[i].mb), tq = gsl_cdf_tdist_Pinv(1 - alpha / (2.0 * k), t->pend[i].df);
        double lo = (t->pend[i].d - tq * t->pend[i].se) / mb, hi = (t->pend[i].d + tq * t->pend[i].se) / mb;
        const char *verdict;
        t->measured++;
        if (!(mb > 0)) { t->inconclusive++; verdict = "undecided (b's mean is 0)"; }
        else if (lo >= -margin && hi <= margin) { t->support++; verdict = "supports"; }
        else if (lo > margin || hi < -margin) { t->contradict++; verdict = "contradicts"; }
        else { t->inconclusive++; verdict = "undecided"; }
        say(t, "%s, relative change %+.1f%% [%.4g%% interval %+.1f%%, %+.1f%%] against a margin of +-%.4g%%: %s. ", t->pend[i].text,
            100 * t->pend[i].d / (mb > 0 ? mb : 1), 100 * (1 - alpha / k), 100 * lo, 100 * hi, 100 * margin, verdict);
    }
    if (k > 1) say(t, "(intervals at 1 - %.2g/%d: Bonferroni over these %d comparisons.) ", alpha, k, k);
    t->npend = 0;
}

static void judge_range(tally *t, double v, double lo, double hi, const char *what)
{
    t->measured++;
    int in = v >= lo && v <= hi;
    if (in) t->support++;
    else t->contradict++;
    say(t, "%s: %.1f%% (exact; the check accepts %.0f%% to %.0f%%): %s. ", what, 100 * v, 100 * lo, 100 * hi, in ? "supports" : "contradicts");
}

/* A preset model with the check's model keys and the given sharing. */
static int preset_config(const args *a, const char *sharing, sb_config *c, char *err, size_t errlen)
{
    sb_config_default(c);
    if (sb_config_preset(c, arg(a, "preset", ""), err, errlen)) return -1;
    for (int i = 0; i < a->n; i++)
        for (const char *const *mk = sb_config_keys(); *mk; mk++)
            if (!strcmp(*mk, a->key[i]) && sb_config_set(c, *mk, a->val[i], err, errlen)) return -1;
    return sb_config_set(c, "sharing", sharing, err, errlen);
}

static void reduction_pair(const sb_runset *s, const sb_rs_group *ga, const sb_rs_group *gb, const args *a, tally *t, void *ctx)
{
    (void)ctx;
    const sb_rs_run *ra = finished_run(s, ga), *rb = finished_run(s, gb);
    const char *m = arg(a, "metric", sb_metric_key(SB_M_PARAMS_UNIQUE));
    if (!ra || !rb || !(sb_rs_metric_key(rb, m) > 0)) return;
    char what[256];
    snprintf(what, sizeof what, "%s: %s of %s against %s, 1 - ratio", ga->task, m, ga->sharing, gb->sharing);
    judge_range(t, 1 - sb_rs_metric_key(ra, m) / sb_rs_metric_key(rb, m), arg_num(a, "min", 0), arg_num(a, "max", 1), what);
}

static void length_pair(const sb_runset *s, const sb_rs_group *ga, const sb_rs_group *gb, const args *a, tally *t, void *ctx)
{
    double budget = *(const double *)ctx;
    const sb_rs_run *ra = finished_run(s, ga), *rb = finished_run(s, gb);
    sb_config ca, cb;
    char e[SB_ERR_LEN], sz[32];
    if (!ra || !rb || sb_budget_config_of(ra, &ca, e, sizeof e) || sb_budget_config_of(rb, &cb, e, sizeof e)) return;
    const char *bs = sb_rs_param(ra, "batch");
    int B = bs ? atoi(bs) : 8;
    long la = sb_budget_longest(&ca, B, budget, SB_BUDGET_MAX_T, e, sizeof e), lb = sb_budget_longest(&cb, B, budget, SB_BUDGET_MAX_T, e, sizeof e);
    if (la <= 0 || lb <= 0) return;
    double ratio = (double)la / (double)lb, want = arg_num(a, "min_ratio", 2);
    t->measured++;
    if (ratio >= want) t->support++;
    else t->contradict++;
    say(t, "%s: at batch %d and %s, %s fits %ld tokens, %s %ld: x%.2f (claimed x%.2f or more): %s. ", ga->task, B,
        sb_fmt_bytes(budget, sz, sizeof sz), ga->sharing, la, gb->sharing, lb, ratio, want,
        ratio >= want ? "supports" : "contradicts");
}

static void check_depth(const sb_runset *s, const args *a, tally *t)
{
    const char *pattern = arg(a, "series", ""), *pa = arg(a, "a", "shared"), *gs = arg(a, "grad_scale", "none");
    double d[1024];
    int n = 0;
    for (int g = 0; g < s->ngroups; g++) {
        const sb_rs_group *G = &s->groups[g];
        if (!mode_matches(G->sharing, pa, "none")) continue;
        for (int k = 0; k < G->nrun && n < 1024; k++) {
            const sb_rs_run *r = &s->runs[G->run[k]];
            const char *rgs = sb_rs_param(r, "grad_scale");
            if (!sb_rs_finished(r) || strcmp(rgs ? rgs : "none", gs)) continue;
            double v[SB_MAX_LAYERS];
            char e[256];
            int nl = sb_rs_depth_profile(s, r, pattern, v, SB_MAX_LAYERS, e, sizeof e);
            if (nl >= 2 && v[0] > 0 && v[nl - 1] > 0) d[n++] = log(v[nl - 1] / v[0]);
        }
    }
    if (n < 2) {
        say(t, "no per-depth series %s in %s runs with grad_scale=%s%s. ", pattern, pa, gs, n ? " beyond one run" : "");
        return;
    }
    double zero[1024] = { 0 };
    sb_ttest r;
    sb_stats_paired_t(zero, d, n, 0.95, &r);
    t->measured++;
    const char *verdict = "not significant";
    if (r.p_two <= 0.05 && r.mean > 0) { t->support++; verdict = "supports"; }
    else if (r.p_two <= 0.05) { t->contradict++; verdict = "contradicts"; }
    else t->inconclusive++;
    say(t, "%s, last depth against first over %d runs: x%.2f (geometric mean), p = %.2g: %s. ", pattern, n, exp(r.mean), r.p_two,
        verdict);
}

/* What a check that found no data needed, in words. */
static void say_missing(tally *t, const args *a)
{
    const char *pa = arg(a, "a", "shared"), *b = arg(a, "b", "none");
    const char *modes = !strcmp(pa, "shared") ? "a shared mode" : pa;
    if (!strcmp(a->name, "compare") || !strcmp(a->name, "within"))
        say(t, "Not measured: it needs finished runs of %s%s and of %s on one task, two seeds or more of each, recording %s. ",
            strchr(modes, '*') ? "a mode matching " : "", modes, b, arg(a, "metric", "test"));
    else if (!strcmp(a->name, "reduction"))
        say(t, "Not measured: it needs finished runs of %s and of %s with the same other keys, recording %s. ", modes, b,
            arg(a, "metric", sb_metric_key(SB_M_PARAMS_UNIQUE)));
    else if (!strcmp(a->name, "length"))
        say(t, "Not measured: it needs finished runs of %s and of %s with the same other keys. ", modes, b);
}

int sb_claim_from_accounting(const sb_claim *c)
{
    int any = 0;
    for (int i = 0; i < c->nchecks; i++) {
        if (!strncmp(c->check[i], "untestable", 10)) continue;
        if (!strstr(c->check[i], "preset=")) return 0;
        any = 1;
    }
    return any;
}

int sb_claim_evaluate(const sb_claim *c, const sb_runset *s, double budget, const char *unlearned, sb_claim_status *status,
                      char *evidence, size_t len, char *err, size_t errlen)
{
    int sup = 0, con = 0, inc = 0, measured = 0;
    evidence[0] = 0;
    for (int i = 0; i < c->nchecks; i++) {
        args a;
        if (parse_check(c->check[i], &a, err, errlen)) return -1;
        tally t;
        memset(&t, 0, sizeof t);
        t.ev = evidence;
        t.len = len;
        if (!strcmp(a.name, "untestable")) {
            say(&t, "Not measurable here: %s. ", arg(&a, "reason", ""));
        } else if (!strcmp(a.name, "compare")) {
            for_pairs(s, &a, &t, compare_pair, (void *)unlearned);
            judge_pending(&t, arg_num(&a, "alpha", 0.05));
        } else if (!strcmp(a.name, "within")) {
            for_pairs(s, &a, &t, within_pair, (void *)unlearned);
            judge_within(&t, arg_num(&a, "margin", 0.05), arg_num(&a, "alpha", 0.05));
        } else if (!strcmp(a.name, "reduction") || !strcmp(a.name, "length")) {
            if (arg(&a, "preset", NULL)) {
                sb_config ca, cb;
                char e[SB_ERR_LEN];
                const char *ma = arg(&a, "a", "all"), *mb = arg(&a, "b", "none");
                if (preset_config(&a, ma, &ca, e, sizeof e) || preset_config(&a, mb, &cb, e, sizeof e)) {
                    say(&t, "preset %s: %s. ", arg(&a, "preset", ""), e);
                } else if (a.name[0] == 'r') {
                    long na, nb;
                    sb_memory xa, xb;
                    if (sb_model_plan(&ca, 1, ca.max_len, 0, &na, &xa, e, sizeof e) ||
                        sb_model_plan(&cb, 1, cb.max_len, 0, &nb, &xb, e, sizeof e)) {
                        say(&t, "preset %s: %s. ", arg(&a, "preset", ""), e);
                    } else {
                        const char *m = arg(&a, "metric", sb_metric_key(SB_M_PARAMS_UNIQUE));
                        int optim = sb_metric_lookup(m) == SB_M_BYTES_OPTIM;
                        double va = optim ? (double)xa.optim : (double)na, vb = optim ? (double)xb.optim : (double)nb;
                        char what[256];
                        snprintf(what, sizeof what, "the %s preset (%d layers, engine accounting): %s of %s against %s, 1 - ratio",
                                 arg(&a, "preset", ""), ca.layers, m, ma, mb);
                        judge_range(&t, 1 - va / vb, arg_num(&a, "min", 0), arg_num(&a, "max", 1), what);
                    }
                } else {
                    double bud = budget;
                    const char *bt = arg(&a, "budget", NULL);
                    if (bt) sb_budget_parse_size(bt, &bud);
                    int B = (int)arg_num(&a, "batch", 8);
                    long la = sb_budget_longest(&ca, B, bud, SB_BUDGET_MAX_T, e, sizeof e);
                    long lb = la < 0 ? -1 : sb_budget_longest(&cb, B, bud, SB_BUDGET_MAX_T, e, sizeof e);
                    char sz[32];
                    if (la < 0 || lb < 0) say(&t, "preset %s: %s. ", arg(&a, "preset", ""), e);
                    else if (lb == 0) say(&t, "the %s preset with %s does not fit %s at batch %d even at length 1. ",
                                          arg(&a, "preset", ""), mb, sb_fmt_bytes(bud, sz, sizeof sz), B);
                    else {
                        double ratio = (double)la / (double)lb, want = arg_num(&a, "min_ratio", 2);
                        t.measured++;
                        if (ratio >= want) t.support++;
                        else t.contradict++;
                        say(&t, "the %s preset (%d layers, engine accounting) at batch %d and %s: %s fits %ld tokens, %s %ld: "
                                "x%.2f (claimed x%.2f or more): %s. ",
                            arg(&a, "preset", ""), ca.layers, B, sb_fmt_bytes(bud, sz, sizeof sz), ma, la, mb, lb, ratio, want,
                            ratio >= want ? "supports" : "contradicts");
                    }
                }
            } else {
                double bud = budget;
                const char *bt = arg(&a, "budget", NULL);
                if (bt) sb_budget_parse_size(bt, &bud);
                for_pairs(s, &a, &t, a.name[0] == 'r' ? reduction_pair : length_pair, &bud);
            }
        } else if (!strcmp(a.name, "depth")) {
            check_depth(s, &a, &t);
        }
        if (!t.measured && strcmp(a.name, "untestable") && strlen(evidence) + 80 < len && !strstr(evidence, "too few") &&
            !strstr(evidence, "not learned at this budget"))
            say_missing(&t, &a);
        measured += t.measured > 0;
        /* a check's verdict: its comparisons combined */
        if (t.measured) {
            if (t.support && !t.contradict && t.support >= t.inconclusive) sup++;
            else if (t.contradict && !t.support) con++;
            else inc++;
        }
    }
    if (!measured) *status = SB_CLAIM_NOT_MEASURED;
    else if (sup && !con && !inc) *status = SB_CLAIM_SUPPORTED;
    else if (con && !sup) *status = SB_CLAIM_CONTRADICTED;
    else *status = SB_CLAIM_INCONCLUSIVE;
    size_t n = strlen(evidence);
    while (n && evidence[n - 1] == ' ') evidence[--n] = 0;
    return 0;
}
