/*
** analyze.c: the run's analyses (see analyze.h): gradient noise during
** training, then head diversity, CKA, PGD, HotFlip and random substitution
** after it, each recorded into the run and timed.
*/
#include "analyze.h"
#include "results/metrics.h"
#include "sys/machine.h"
#include "analysis/gradnoise.h"
#include "analysis/headdiv.h"
#include "analysis/cka.h"
#include "analysis/attack.h"
#include "core/rng.h"
#include "sys/clock.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <errno.h>
#include <omp.h>

#define MAX_LIST 16
#define VOCAB_SCAN 256   /* training examples whose attackable tokens make the substitution vocabulary */

struct sb_analysis {
    const sb_task_info *info;
    int T, B, steps;
    int grad_points, attn_n, cka_n, attack_n, pgd_steps, pgd_ball, hotflip_budget;
    double eps[MAX_LIST], rates[MAX_LIST];
    int neps, nrates;
    /* gradient statistics: the sequences, and the sums over points for the averages */
    int grad_n;
    int *g_tok, *g_typ, *g_tgt;
    double model_tr, model_g2;
    double depth_tr[SB_MAX_LAYERS][SB_GK_COUNT], depth_g2[SB_MAX_LAYERS][SB_GK_COUNT];
    int depth_has[SB_MAX_LAYERS][SB_GK_COUNT], layers;
    double block_tr[SB_GK_COUNT][SB_MAX_LAYERS], block_g2[SB_GK_COUNT][SB_MAX_LAYERS];
    int blocks[SB_GK_COUNT];
    char block_sharing[SB_SPEC_LEN];   /* the sharing the block sums are for */
    int points_done, last_point;
    double grad_seconds;
    /* tracking copies of the model, one per thread, and their moments: kept from
    ** point to point (made again when the sharing changes) */
    sb_model *copies[16];
    sb_moments work[16];
    int ncopies;
    char copies_sharing[SB_SPEC_LEN];
    /* the fixed test examples (the first fixed_n) and the substitution vocabulary */
    int fixed_n;
    int *f_tok, *f_typ, *f_tgt;
    unsigned char *vocab;              /* (info->vocab) */
};

/* "0.1,0.25,1" into v; 0, or -1 with a message naming the key. */
static int parse_list(const char *key, const char *text, double lo, double hi, double *v, int *n, char *err, size_t errlen)
{
    *n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        errno = 0;
        double x = strtod(p, &end);
        if (end == p || errno || !isfinite(x) || x < lo || x > hi || (*end && *end != ',')) {
            snprintf(err, errlen, "%s='%s': expected a comma-separated list of numbers from %g to %g", key, text, lo, hi);
            return -1;
        }
        if (*n == MAX_LIST) {
            snprintf(err, errlen, "%s='%s': at most %d values", key, text, MAX_LIST);
            return -1;
        }
        v[(*n)++] = x;
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* The SB_PGD_* ball pgd_ball names; -1 with a message when none. */
static int pgd_ball(const sb_spec *s, char *err, size_t errlen)
{
    for (int b = 0; b < SB_PGD_BALL_COUNT; b++)
        if (!strcmp(s->pgd_ball, sb_pgd_ball_names[b])) return b;
    snprintf(err, errlen, "pgd_ball='%s': expected example or position", s->pgd_ball);
    return -1;
}

int sb_analysis_check(const sb_spec *s, char *err, size_t errlen)
{
    double v[MAX_LIST];
    int n;
    if (parse_list("pgd_eps", s->pgd_eps, 0, 100, v, &n, err, errlen)) return -1;
    if (parse_list("randsub_rates", s->randsub_rates, 0, 1, v, &n, err, errlen)) return -1;
    return pgd_ball(s, err, errlen) < 0 ? -1 : 0;
}

/* n examples of a split from index 0 into freshly allocated arrays. */
static int fetch(sb_task *task, int split, int n, int T, int **tok, int **typ, int **tgt, char *err, size_t errlen)
{
    size_t sz = sizeof(int) * (size_t)(n > 0 ? n : 1) * T;
    *tok = malloc(sz); *typ = malloc(sz); *tgt = malloc(sz);
    if (!*tok || !*typ || !*tgt) { snprintf(err, errlen, "analysis: out of memory for %d examples", n); return -1; }
    if (n > 0 && sb_task_examples(task, split, 0, n, *tok, *typ, *tgt)) {
        snprintf(err, errlen, "analysis: %s", sb_task_error(task));
        return -1;
    }
    return 0;
}

/* Positions that may be attacked: not padding, and for causal tasks not an
** answer shown to the model (token t when position t-1 is scored). */
static int attackable(const sb_task_info *info, const int *tok, const int *tgt, int T, long p)
{
    int t = (int)(p % T);
    if (tok[p] == 0) return 0;
    return !(info->causal && t > 0 && tgt[p - 1] >= 0);
}

static int max3(int a, int b, int c) { return a > b ? (a > c ? a : c) : (b > c ? b : c); }

sb_analysis *sb_analysis_new(const sb_spec *s, sb_task *task, char *err, size_t errlen)
{
    if (errlen) err[0] = 0;
    if (sb_analysis_check(s, err, errlen)) return NULL;
    sb_analysis *a = calloc(1, sizeof *a);
    if (!a) { snprintf(err, errlen, "analysis: out of memory"); return NULL; }
    a->info = sb_task_get_info(task);
    a->T = a->info->length;
    a->B = s->batch;
    a->steps = s->steps;
    a->grad_points = s->grad_points;
    a->grad_n = s->grad_points > 0 ? s->grad_samples : 0;
    a->attn_n = s->attn_examples;
    a->cka_n = s->cka_examples;
    a->attack_n = s->attack_examples;
    a->pgd_steps = s->pgd_steps;
    a->hotflip_budget = s->hotflip_budget;
    a->last_point = -1;
    a->pgd_ball = pgd_ball(s, err, errlen);
    parse_list("pgd_eps", s->pgd_eps, 0, 100, a->eps, &a->neps, err, errlen);
    parse_list("randsub_rates", s->randsub_rates, 0, 1, a->rates, &a->nrates, err, errlen);
    a->fixed_n = max3(a->attn_n, a->cka_n, a->attack_n);
    int V = a->info->vocab, T = a->T;
    int *tok = NULL, *typ = NULL, *tgt = NULL;
    if (fetch(task, SB_SPLIT_TRAIN, a->grad_n, T, &a->g_tok, &a->g_typ, &a->g_tgt, err, errlen) ||
        fetch(task, SB_SPLIT_TEST, a->fixed_n, T, &a->f_tok, &a->f_typ, &a->f_tgt, err, errlen) ||
        fetch(task, SB_SPLIT_TRAIN, VOCAB_SCAN, T, &tok, &typ, &tgt, err, errlen) ||
        !(a->vocab = calloc((size_t)V, 1))) {
        if (!err[0]) snprintf(err, errlen, "analysis: out of memory");
        free(tok); free(typ); free(tgt);
        sb_analysis_free(a);
        return NULL;
    }
    for (long p = 0; p < (long)VOCAB_SCAN * T; p++)
        if (attackable(a->info, tok, tgt, T, p) && tok[p] > 0 && tok[p] < V) a->vocab[tok[p]] = 1;
    free(tok); free(typ); free(tgt);
    return a;
}

void sb_analysis_free(sb_analysis *a)
{
    if (!a) return;
    free(a->g_tok); free(a->g_typ); free(a->g_tgt);
    free(a->f_tok); free(a->f_typ); free(a->f_tgt);
    free(a->vocab);
    for (int w = 0; w < a->ncopies; w++) { sb_model_free(a->copies[w]); sb_moments_free(&a->work[w]); }
    free(a);
}

int sb_analysis_grad_due(const sb_analysis *a, int step)
{
    int P = a->grad_points;
    if (P <= 0 || a->grad_n < 2 || step == a->last_point) return 0;
    if (P == 1) return step == a->steps;
    for (int k = 0; k < P; k++)
        if ((int)lround((double)k * a->steps / (P - 1)) == step) return 1;
    return 0;
}

/* ------------------------------------------------------------ gradients */

/* The series of a gradient statistic's four numbers: a depth's contribution, a block's, the model's. */
enum { OF_DEPTH, OF_BLOCK, OF_MODEL };
static const sb_series_id stat_series[3][4] = {
    [OF_DEPTH] = { SB_S_GRAD_DEPTH_SQNORM, SB_S_GRAD_DEPTH_TRACE_COV, SB_S_GRAD_DEPTH_GSNR, SB_S_GRAD_DEPTH_BSIMPLE },
    [OF_BLOCK] = { SB_S_GRAD_BLOCK_SQNORM, SB_S_GRAD_BLOCK_TRACE_COV, SB_S_GRAD_BLOCK_GSNR, SB_S_GRAD_BLOCK_BSIMPLE },
    [OF_MODEL] = { SB_S_GRAD_SQNORM, SB_S_GRAD_TRACE_COV, SB_S_GRAD_GSNR, SB_S_GRAD_BSIMPLE },
};

/* Record g's finite numbers at (step, layer); block names the kind of block (NULL for the model). */
static void put_stat(sb_run *r, int of, const char *block, int step, int layer, const sb_gradstat *g)
{
    double v[] = { g->g2, g->trace, g->gsnr, g->bsimple };
    for (int i = 0; i < 4; i++)
        if (isfinite(v[i])) sb_put_point_of(r, stat_series[of][i], block, step, layer, -1, v[i]);
}

/* How many tracking copies measure grad_n sequences on threads threads: one
** per thread, each taking a share of the sequences: one sequence is too
** little work to share among threads (on a busy machine every parallel region
** of a B = 1 pass would wait for a descheduled thread). */
static int tracking_copies(int threads, int grad_n)
{
    int nm = threads;
    if (nm > grad_n / 2) nm = grad_n / 2;
    if (nm > 16) nm = 16;
    return nm < 1 ? 1 : nm;
}

int sb_analysis_memory(const sb_spec *s, const sb_config *c, const sb_sharing *sh, int T, int threads, double *bytes, char *err,
                       size_t errlen)
{
    long n;
    sb_memory cm;
    *bytes = 0;
    if (!s->analysis || s->grad_points <= 0) return 0;
    if (sb_model_plan_with(c, sh, 1, T, 1, &n, &cm, err, errlen)) return -1;
    /* each copy's moments: two doubles per entry of sb_gradnoise_len, the parameters and the shared blocks' per-depth uses */
    *bytes = tracking_copies(threads, s->grad_samples) *
             ((double)cm.params + (double)cm.grads + (double)cm.acts + (double)cm.scratch +
              2.0 * sizeof(double) * ((double)n + (double)cm.shared_every));
    return 0;
}

/* The tracking copies for m's configuration, made once (and again after a
** sharing change), with their moments. 0, or -1 with a message. */
static int ensure_copies(sb_analysis *a, const sb_model *m, char *err, size_t errlen)
{
    const sb_config *c = sb_model_config(m);
    if (a->ncopies && !strcmp(a->copies_sharing, c->sharing)) return 0;
    for (int w = 0; w < a->ncopies; w++) { sb_model_free(a->copies[w]); sb_moments_free(&a->work[w]); }
    a->ncopies = 0;
    int nm = tracking_copies(omp_get_max_threads(), a->grad_n);
    /* made by the threads that use them, at the same time (initialisation and
    ** first touch of the memory are most of a measurement's fixed cost) */
    char msg[16][SB_ERR_LEN];
    int bad = 0;
    memset(a->work, 0, sizeof a->work);
    #pragma omp parallel for num_threads(nm) schedule(static, 1) reduction(+ : bad)
    for (int w = 0; w < nm; w++) {
        msg[w][0] = 0;
        a->copies[w] = sb_model_create_with(c, sb_model_sharing(m), 1, a->T, 1, 1, msg[w], sizeof msg[w]);
        if (a->copies[w] && sb_moments_init(&a->work[w], sb_gradnoise_len(a->copies[w])))
            snprintf(msg[w], sizeof msg[w], "analysis: out of memory for the gradient moments");
        bad += msg[w][0] != 0;
    }
    a->ncopies = nm;
    if (bad) {
        for (int w = 0; w < nm; w++)
            if (msg[w][0]) { snprintf(err, errlen, "%s", msg[w]); break; }
        for (int w = 0; w < nm; w++) { sb_model_free(a->copies[w]); a->copies[w] = NULL; sb_moments_free(&a->work[w]); }
        a->ncopies = 0;
        return -1;
    }
    snprintf(a->copies_sharing, sizeof a->copies_sharing, "%s", c->sharing);
    return 0;
}

int sb_analysis_gradients(sb_analysis *a, sb_run *r, const sb_model *m, int step, char *err, size_t errlen)
{
    double t0 = sb_now();
    const sb_config *c = sb_model_config(m);
    sb_gradnoise *g = malloc(sizeof *g);
    int rc = -1;
    if (!g) { snprintf(err, errlen, "analysis: out of memory"); goto out; }
    if (ensure_copies(a, m, err, errlen)) goto out;
    for (int w = 0; w < a->ncopies; w++)
        if (sb_model_remap(m, NULL, NULL, a->copies[w], NULL, NULL, err, errlen)) goto out;
    if (sb_gradnoise_measure(a->copies, a->ncopies, a->work, a->g_tok, a->g_typ, a->g_tgt, a->grad_n, a->T, g, err, errlen))
        goto out;
    /* per depth, per block, the model */
    for (int l = 0; l < g->layers; l++)
        for (int k = 0; k < SB_GK_COUNT; k++) {
            if (!g->has[l][k]) continue;
            put_stat(r, OF_DEPTH, sb_grad_kind_names[k], step, l, &g->depth[l][k]);
            a->depth_tr[l][k] += g->depth[l][k].trace;
            a->depth_g2[l][k] += g->depth[l][k].g2;
            a->depth_has[l][k] = 1;
        }
    a->layers = g->layers;
    /* block sums restart when the sharing changed (progressive merging) */
    if (strcmp(a->block_sharing, c->sharing)) {
        memset(a->block_tr, 0, sizeof a->block_tr);
        memset(a->block_g2, 0, sizeof a->block_g2);
        snprintf(a->block_sharing, sizeof a->block_sharing, "%s", c->sharing);
    }
    for (int k = 0; k < SB_GK_COUNT; k++) {
        a->blocks[k] = g->blocks[k];
        for (int b = 0; b < g->blocks[k] && b < SB_MAX_LAYERS; b++) {
            put_stat(r, OF_BLOCK, sb_grad_kind_names[k], step, b, &g->block[k][b]);
            a->block_tr[k][b] += g->block[k][b].trace;
            a->block_g2[k][b] += g->block[k][b].g2;
        }
    }
    put_stat(r, OF_MODEL, NULL, step, -1, &g->model);
    a->model_tr += g->model.trace;
    a->model_g2 += g->model.g2;
    a->points_done++;
    a->last_point = step;
    rc = 0;
out:
    free(g);
    a->grad_seconds += sb_now() - t0;
    return rc;
}

/* The noise scales averaged over the points: tr(S) and |G|^2 averaged separately, then divided. */
static void record_grad_averages(sb_analysis *a, sb_run *r)
{
    if (!a->points_done) return;
    double v = sb_gns_average(&a->model_tr, &a->model_g2, 1);
    if (isfinite(v)) sb_put_metric(r, SB_M_GRAD_NOISE_SCALE, v);
    for (int l = 0; l < a->layers; l++)
        for (int k = 0; k < SB_GK_COUNT; k++) {
            if (!a->depth_has[l][k]) continue;
            v = sb_gns_average(&a->depth_tr[l][k], &a->depth_g2[l][k], 1);
            if (isfinite(v)) sb_put_point_of(r, SB_S_GRAD_DEPTH_BSIMPLE_AVG, sb_grad_kind_names[k], a->last_point, l, -1, v);
        }
    for (int k = 0; k < SB_GK_COUNT; k++)
        for (int b = 0; b < a->blocks[k] && b < SB_MAX_LAYERS; b++) {
            v = sb_gns_average(&a->block_tr[k][b], &a->block_g2[k][b], 1);
            if (isfinite(v)) sb_put_point_of(r, SB_S_GRAD_BLOCK_BSIMPLE_AVG, sb_grad_kind_names[k], a->last_point, b, -1, v);
        }
    sb_put_metric(r, SB_M_ANALYSIS_SECONDS_GRAD, a->grad_seconds);
}

/* ------------------------------------------------------- heads and CKA */

static void valid_mask(const int *tok, long n, unsigned char *valid)
{
    for (long p = 0; p < n; p++) valid[p] = tok[p] != 0;
}

static int heads(sb_analysis *a, sb_run *r, sb_model *m, int step, char *err, size_t errlen)
{
    int N = sb_model_config(m)->layers, NH = sb_model_config(m)->heads, T = a->T;
    sb_headdiv h;
    double *js = malloc(sizeof(double) * N), *ent = malloc(sizeof(double) * N * NH), *imp = malloc(sizeof(double) * N * NH);
    unsigned char *valid = malloc((size_t)a->B * T);
    int rc = -1;
    if (sb_headdiv_init(&h, N, NH) || !js || !ent || !imp || !valid) { snprintf(err, errlen, "heads: out of memory"); goto out; }
    for (int first = 0; first < a->attn_n; first += a->B) {
        int b = a->attn_n - first < a->B ? a->attn_n - first : a->B;
        const int *tok = a->f_tok + (long)first * T, *tgt = a->f_tgt + (long)first * T;
        if (!isfinite(sb_model_forward(m, tok, a->f_typ + (long)first * T, tgt, NULL, b, T))) {
            snprintf(err, errlen, "heads: non-finite loss");
            goto out;
        }
        sb_model_backward(m);
        valid_mask(tok, (long)b * T, valid);
        sb_headdiv_add(&h, m, tgt, valid, b, T);
    }
    sb_headdiv_result(&h, js, ent, imp, NULL);
    double div = 0;
    int nd = 0;
    for (int l = 0; l < N; l++) {
        double em = 0;
        if (isfinite(js[l])) { sb_put_point(r, SB_S_ATTN_JS, step, l, -1, js[l]); div += js[l]; nd++; }
        for (int k = 0; k < NH; k++) {
            if (isfinite(ent[l * NH + k])) sb_put_point(r, SB_S_ATTN_ENTROPY, step, l, k, ent[l * NH + k]);
            if (isfinite(imp[l * NH + k])) sb_put_point(r, SB_S_ATTN_IMPORTANCE, step, l, k, imp[l * NH + k]);
            em += ent[l * NH + k] / NH;
        }
        if (isfinite(em)) sb_put_point(r, SB_S_ATTN_ENTROPY_MEAN, step, l, -1, em);
    }
    if (nd) sb_put_metric(r, SB_M_HEAD_DIVERSITY, div / nd);
    rc = 0;
out:
    sb_headdiv_free(&h);
    free(js); free(ent); free(imp); free(valid);
    return rc;
}

static int cka(sb_analysis *a, sb_run *r, sb_model *m, int step, char *err, size_t errlen)
{
    int N = sb_model_config(m)->layers, C = sb_model_config(m)->width, T = a->T, R = 2 * N + 1;
    long rows = 0;
    for (long p = 0; p < (long)a->cka_n * T; p++) rows += a->f_tok[p] != 0;
    /* reps 0..N: outputs of depths -1..N-1; reps N+1..2N: updates of depths 0..N-1 */
    double **rep = calloc((size_t)R, sizeof *rep);
    double *lin = malloc(sizeof(double) * (size_t)R * R), *unb = malloc(sizeof(double) * (size_t)R * R);
    int rc = -1;
    if (!rep || !lin || !unb) { snprintf(err, errlen, "CKA: out of memory"); goto out; }
    if (rows < 4) { snprintf(err, errlen, "CKA: %ld positions, need at least 4", rows); goto out; }
    for (int i = 0; i < R; i++)
        if (!(rep[i] = malloc(sizeof(double) * (size_t)rows * C))) { snprintf(err, errlen, "CKA: out of memory for %ld x %d", rows, C); goto out; }
    long row = 0;
    for (int first = 0; first < a->cka_n; first += a->B) {
        int b = a->cka_n - first < a->B ? a->cka_n - first : a->B;
        const int *tok = a->f_tok + (long)first * T;
        sb_model_forward(m, tok, a->f_typ + (long)first * T, NULL, NULL, b, T);
        for (long p = 0; p < (long)b * T; p++) {
            if (!tok[p]) continue;
            for (int l = -1; l < N; l++) {
                const real *o = sb_model_layer_output(m, l) + p * C;
                double *dst = rep[l + 1] + row * C;
                for (int i = 0; i < C; i++) dst[i] = o[i];
                if (l < 0) continue;
                const real *in = sb_model_layer_output(m, l - 1) + p * C;
                double *du = rep[N + 1 + l] + row * C;
                for (int i = 0; i < C; i++) du[i] = (double)o[i] - in[i];
            }
            row++;
        }
    }
    /* one matrix over all 2N+1 representations; the output x update cross terms are not recorded */
    if (sb_cka_matrix((const double *const *)rep, R, (int)rows, C, lin, unb)) { snprintf(err, errlen, "CKA: out of memory"); goto out; }
    double adj = 0;
    int nadj = 0;
    for (int i = 0; i <= N; i++)
        for (int j = 0; j <= N; j++) {
            if (isfinite(lin[i * R + j])) sb_put_point(r, SB_S_CKA_LINEAR, step, i - 1, j - 1, lin[i * R + j]);
            if (isfinite(unb[i * R + j])) sb_put_point(r, SB_S_CKA_UNBIASED, step, i - 1, j - 1, unb[i * R + j]);
            if (j == i + 1 && isfinite(unb[i * R + j])) { adj += unb[i * R + j]; nadj++; }
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int u = N + 1 + i, v = N + 1 + j;
            if (isfinite(lin[u * R + v])) sb_put_point(r, SB_S_CKA_UPDATE_LINEAR, step, i, j, lin[u * R + v]);
            if (isfinite(unb[u * R + v])) sb_put_point(r, SB_S_CKA_UPDATE_UNBIASED, step, i, j, unb[u * R + v]);
        }
    if (nadj) sb_put_metric(r, SB_M_CKA_ADJACENT, adj / nadj);
    rc = 0;
out:
    for (int i = 0; rep && i < R; i++) free(rep[i]);
    free(rep); free(lin); free(unb);
    return rc;
}

/* -------------------------------------------------------------- attacks */

/* The attackable positions of examples [first, first+b) of the fixed set. */
static void attack_mask(const sb_analysis *a, int first, int b, unsigned char *mask)
{
    const int *tok = a->f_tok + (long)first * a->T, *tgt = a->f_tgt + (long)first * a->T;
    for (long p = 0; p < (long)b * a->T; p++) mask[p] = (unsigned char)attackable(a->info, tok, tgt, a->T, p);
}

/* PGD, HotFlip and random substitution; each part runs even if one before it
** failed. Returns 0, or -1 with the first failure's message. */
static int attacks(sb_analysis *a, sb_run *r, sb_model *m, char *err, size_t errlen)
{
    int T = a->T, V = sb_model_config(m)->vocab;
    unsigned char *allowed = calloc((size_t)V, 1), *mask = malloc((size_t)a->B * T);
    int bad = 0;
    if (!allowed || !mask) { snprintf(err, errlen, "attacks: out of memory"); bad = 1; goto out; }
    memcpy(allowed, a->vocab, (size_t)(a->info->vocab < V ? a->info->vocab : V));
    sb_attack_rules rules = { a->info->answer_lo, a->info->answer_hi, allowed };
    char msg[SB_ERR_LEN] = "";
    /* PGD over the epsilon grid, scaled by the mean token-embedding norm; step 2.5 radius / steps */
    double t0 = sb_now(), norm = sb_embed_mean_norm(m, allowed);
    if (a->neps && isfinite(norm)) {
        sb_pgd_stats st[MAX_LIST];
        double eps[MAX_LIST];
        memset(st, 0, sizeof st);
        for (int e = 0; e < a->neps; e++) eps[e] = a->eps[e] * norm;
        sb_put_metric(r, SB_M_EMBED_MEAN_NORM, norm);
        for (int first = 0; first < a->attack_n && !msg[0]; first += a->B) {
            int b = a->attack_n - first < a->B ? a->attack_n - first : a->B;
            attack_mask(a, first, b, mask);
            sb_pgd_attack(m, a->f_tok + (long)first * T, a->f_typ + (long)first * T, a->f_tgt + (long)first * T, mask,
                          b, T, eps, a->neps, a->pgd_steps, 2.5, a->pgd_ball, &rules, NULL, st, msg, sizeof msg);
        }
        for (int e = 0; e < a->neps && !msg[0]; e++) {
            sb_put_point(r, SB_S_PGD_EPS, e, -1, -1, a->eps[e]);
            if (st[e].examples) sb_put_point(r, SB_S_PGD_ACCURACY, e, -1, -1, (double)st[e].correct / st[e].examples);
            if (st[e].kl_positions) sb_put_point(r, SB_S_PGD_KL, e, -1, -1, st[e].kl_sum / st[e].kl_positions);
        }
        sb_put_metric(r, SB_M_ANALYSIS_SECONDS_PGD, sb_now() - t0);
    }
    if (msg[0] && !bad++) snprintf(err, errlen, "%s", msg);
    msg[0] = 0;
    /* HotFlip */
    t0 = sb_now();
    if (a->hotflip_budget > 0) {
        sb_hotflip_stats st = { 0 };
        for (int first = 0; first < a->attack_n && !msg[0]; first += a->B) {
            int b = a->attack_n - first < a->B ? a->attack_n - first : a->B;
            attack_mask(a, first, b, mask);
            sb_hotflip_attack(m, a->f_tok + (long)first * T, a->f_typ + (long)first * T, a->f_tgt + (long)first * T, mask,
                              b, T, a->hotflip_budget, &rules, NULL, &st, msg, sizeof msg);
        }
        if (!msg[0] && st.examples) {
            long attacked = st.successes + st.failures;
            sb_put_metric(r, SB_M_HOTFLIP_CLEAN_ACCURACY, (double)(st.examples - st.skipped) / st.examples);
            sb_put_metric(r, SB_M_HOTFLIP_ACCURACY_UNDER_ATTACK, (double)st.failures / st.examples);
            sb_put_metric(r, SB_M_HOTFLIP_SKIPPED, (double)st.skipped);
            if (attacked) sb_put_metric(r, SB_M_HOTFLIP_SUCCESS_RATE, (double)st.successes / attacked);
            if (st.successes) sb_put_metric(r, SB_M_HOTFLIP_PERTURBED_FRACTION, st.perturbed_sum / st.successes);
            if (st.examples > st.skipped) sb_put_metric(r, SB_M_HOTFLIP_QUERIES, (double)st.queries / (st.examples - st.skipped));
        }
        sb_put_metric(r, SB_M_ANALYSIS_SECONDS_HOTFLIP, sb_now() - t0);
    }
    if (msg[0] && !bad++) snprintf(err, errlen, "%s", msg);
    msg[0] = 0;
    /* random substitution: the same draws for every model (the seed is the rate's index) */
    t0 = sb_now();
    for (int k = 0; k < a->nrates && !msg[0]; k++) {
        sb_rng rng;
        sb_rng_seed(&rng, (uint64_t)k, "randsub");
        long n = 0, correct = 0;
        for (int first = 0; first < a->attack_n && !msg[0]; first += a->B) {
            int b = a->attack_n - first < a->B ? a->attack_n - first : a->B;
            attack_mask(a, first, b, mask);
            sb_randsub_eval(m, a->f_tok + (long)first * T, a->f_typ + (long)first * T, a->f_tgt + (long)first * T, mask,
                            b, T, a->rates[k], &rng, &rules, NULL, &n, &correct, msg, sizeof msg);
        }
        if (msg[0]) break;
        sb_put_point(r, SB_S_RANDSUB_RATE, k, -1, -1, a->rates[k]);
        if (n) sb_put_point(r, SB_S_RANDSUB_ACCURACY, k, -1, -1, (double)correct / n);
    }
    if (a->nrates) sb_put_metric(r, SB_M_ANALYSIS_SECONDS_RANDSUB, sb_now() - t0);
    if (msg[0] && !bad++) snprintf(err, errlen, "%s", msg);
out:
    free(allowed); free(mask);
    return bad ? -1 : 0;
}

int sb_analysis_final(sb_analysis *a, sb_run *r, sb_model *m, int step, char *err, size_t errlen)
{
    int failed = 0;
    char msg[SB_ERR_LEN];
    record_grad_averages(a, r);
    if (a->attn_n > 0) {
        double t0 = sb_now();
        if (heads(a, r, m, step, msg, sizeof msg) && !failed++) snprintf(err, errlen, "%s", msg);
        sb_put_metric(r, SB_M_ANALYSIS_SECONDS_HEADS, sb_now() - t0);
    }
    if (a->cka_n > 0) {
        double t0 = sb_now();
        if (cka(a, r, m, step, msg, sizeof msg) && !failed++) snprintf(err, errlen, "%s", msg);
        sb_put_metric(r, SB_M_ANALYSIS_SECONDS_CKA, sb_now() - t0);
    }
    if (a->attack_n > 0 && attacks(a, r, m, msg, sizeof msg) && !failed++) snprintf(err, errlen, "%s", msg);
    return failed ? -1 : 0;
}
