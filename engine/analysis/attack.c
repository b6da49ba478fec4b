/*
** attack.c: embedding-space PGD (FreeLB's step and projection, per example
** or per position), HotFlip and random token substitution, with
** example-level correctness (see attack.h).
** Buffers are allocated once per call; statistics are summed in double.
*/
#include "attack.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <float.h>

static int embed_width(const sb_model *m)
{
    const sb_config *c = sb_model_config(m);
    return c->embed ? c->embed : c->width;
}

int sb_example_correct(const real *probs, const int *targets, int V, int T, const sb_attack_rules *r)
{
    int lo = 0, hi = V, scored = 0;
    if (r && r->answer_hi > r->answer_lo && r->answer_lo >= 0 && r->answer_hi <= V) lo = r->answer_lo, hi = r->answer_hi;
    for (int t = 0; t < T; t++) {
        int y = targets[t];
        if (y < 0) continue;
        scored = 1;
        const real *p = probs + (long)t * V;
        int best = lo;
        for (int v = lo + 1; v < hi; v++)
            if (p[v] > p[best]) best = v;
        if (best != y) return 0;
    }
    return scored ? 1 : -1;
}

double sb_embed_mean_norm(sb_model *m, const unsigned char *allowed)
{
    int E = embed_width(m), V = sb_model_config(m)->vocab, ti = sb_model_tensor_find(m, "embed.tok");
    if (ti < 0) return NAN;
    const real *w = sb_model_params(m) + sb_model_tensor(m, ti)->offset;
    double s = 0;
    long k = 0;
    for (int v = 0; v < V; v++) {
        if (allowed && !allowed[v]) continue;
        double q = 0;
        for (int i = 0; i < E; i++) q += (double)w[(long)v * E + i] * w[(long)v * E + i];
        s += sqrt(q);
        k++;
    }
    return k ? s / k : NAN;
}

/* KL(p || q) over V entries, natural log, q floored so a zero never makes it infinite. */
static double kl(const real *p, const real *q, int V)
{
    double s = 0;
    for (int v = 0; v < V; v++)
        if (p[v] > 0) s += p[v] * (log((double)p[v]) - log(fmax((double)q[v], DBL_MIN)));
    return s;
}

const char *const sb_pgd_ball_names[SB_PGD_BALL_COUNT] = { "example", "position" };

/* The attacked positions of example b (all T without a mask). */
static int attacked(const unsigned char *mask, int b, int T)
{
    int P = 0;
    for (int t = 0; t < T; t++) P += !mask || mask[(long)b * T + t];
    return P;
}

/* Squared L2 norm of the attacked rows (of width E) of x over positions [p0, p1). */
static double sqnorm(const real *x, const unsigned char *mask, long p0, long p1, int E)
{
    double s = 0;
    for (long p = p0; p < p1; p++) {
        if (mask && !mask[p]) continue;
        for (int i = 0; i < E; i++) s += (double)x[p * E + i] * x[p * E + i];
    }
    return s;
}

/* x[p0..p1) *= s on the attacked rows. */
static void scale(real *x, const unsigned char *mask, long p0, long p1, int E, double s)
{
    for (long p = p0; p < p1; p++) {
        if (mask && !mask[p]) continue;
        for (int i = 0; i < E; i++) x[p * E + i] = (real)(x[p * E + i] * s);
    }
}

/* The units the ball bounds: one example, or one position. */
static void unit_range(int ball, int T, long u, long *p0, long *p1)
{
    *p0 = ball == SB_PGD_EXAMPLE ? u * T : u;
    *p1 = ball == SB_PGD_EXAMPLE ? *p0 + T : u + 1;
}

double sb_pgd_radius(const unsigned char *mask, int b, int T, double eps, int ball)
{
    return ball == SB_PGD_EXAMPLE ? eps * sqrt((double)attacked(mask, b, T)) : eps;
}

void sb_pgd_project(real *delta, const unsigned char *mask, int B, int T, int E, double eps, int ball)
{
    long units = ball == SB_PGD_EXAMPLE ? B : (long)B * T;
    for (long u = 0; u < units; u++) {
        long p0, p1;
        unit_range(ball, T, u, &p0, &p1);
        double r = sb_pgd_radius(mask, (int)(p0 / T), T, eps, ball), n = sqrt(sqnorm(delta, mask, p0, p1, E));
        /* scale a little inside so rounding of the float product cannot leave the ball */
        if (n > r) scale(delta, mask, p0, p1, E, r > 0 ? r / n * (1 - 1e-6) : 0);
    }
}

/* FreeLB's ascent: delta += alpha g/||g|| per unit (example or position),
** over the attacked rows, with alpha = ratio times the unit's radius. */
static void ascend(real *delta, const real *g, const unsigned char *mask, int B, int T, int E, double eps, double ratio, int ball)
{
    long units = ball == SB_PGD_EXAMPLE ? B : (long)B * T;
    for (long u = 0; u < units; u++) {
        long p0, p1;
        unit_range(ball, T, u, &p0, &p1);
        double gn = sqrt(sqnorm(g, mask, p0, p1, E)), a = ratio * sb_pgd_radius(mask, (int)(p0 / T), T, eps, ball);
        if (!(gn > 0)) continue;
        for (long p = p0; p < p1; p++) {
            if (mask && !mask[p]) continue;
            for (int i = 0; i < E; i++) delta[p * E + i] += (real)(a * g[p * E + i] / gn);
        }
    }
}

int sb_pgd_attack(sb_model *m, const int *tokens, const int *types, const int *targets, const unsigned char *mask,
                  int B, int T, const double *eps, int neps, int steps, double alpha_ratio, int ball,
                  const sb_attack_rules *r, real *delta_out, sb_pgd_stats *st, char *err, size_t errlen)
{
    int E = embed_width(m), V = sb_model_config(m)->vocab;
    long BT = (long)B * T;
    real *delta = malloc(sizeof(real) * (size_t)BT * E);   /* (B,T,E) */
    real *clean = malloc(sizeof(real) * (size_t)BT * V);   /* (B,T,V) clean output distributions */
    int *clean_ok = malloc(sizeof(int) * (size_t)B);        /* (B) clean correctness, -1 unscored */
    int rc = -1;
    if (ball < 0 || ball >= SB_PGD_BALL_COUNT) { snprintf(err, errlen, "PGD: unknown ball %d", ball); goto out; }
    if (!delta || !clean || !clean_ok) { snprintf(err, errlen, "PGD: out of memory"); goto out; }
    double l0 = sb_model_forward(m, tokens, types, targets, NULL, B, T);
    if (!isfinite(l0)) { snprintf(err, errlen, "PGD: non-finite clean loss"); goto out; }
    memcpy(clean, sb_model_probs(m), sizeof(real) * (size_t)BT * V);
    for (int b = 0; b < B; b++) clean_ok[b] = sb_example_correct(clean + (long)b * T * V, targets + (long)b * T, V, T, r);
    for (int e = 0; e < neps; e++) {
        memset(delta, 0, sizeof(real) * (size_t)BT * E);
        for (int k = 0; k < steps; k++) {
            double l = sb_model_forward(m, tokens, types, targets, delta, B, T);
            if (!isfinite(l)) { snprintf(err, errlen, "PGD: non-finite loss at step %d", k); goto out; }
            sb_model_backward(m);
            ascend(delta, sb_model_embed_grad(m), mask, B, T, E, eps[e], alpha_ratio / steps, ball);
            sb_pgd_project(delta, mask, B, T, E, eps[e], ball);
        }
        double l1 = sb_model_forward(m, tokens, types, targets, delta, B, T);
        if (!isfinite(l1)) { snprintf(err, errlen, "PGD: non-finite loss under attack"); goto out; }
        const real *adv = sb_model_probs(m);
        for (int b = 0; b < B; b++) {
            const int *tg = targets + (long)b * T;
            if (clean_ok[b] < 0) continue;
            st[e].examples++;
            st[e].clean_correct += clean_ok[b];
            st[e].correct += sb_example_correct(adv + (long)b * T * V, tg, V, T, r) == 1;
            for (int t = 0; t < T; t++) {
                if (tg[t] < 0) continue;
                st[e].kl_sum += kl(clean + ((long)b * T + t) * V, adv + ((long)b * T + t) * V, V);
                st[e].kl_positions++;
            }
        }
        st[e].loss_clean = l0;
        st[e].loss_adv = l1;
    }
    if (delta_out) memcpy(delta_out, delta, sizeof(real) * (size_t)BT * E);
    rc = 0;
out:
    free(delta); free(clean); free(clean_ok);
    return rc;
}

/* Evaluate tokens: forward (and backward when grad), then each example's correctness into ok. */
static int evaluate(sb_model *m, const int *tok, const int *types, const int *targets, int B, int T, int grad,
                    const sb_attack_rules *r, int *ok)
{
    int V = sb_model_config(m)->vocab;
    double l = sb_model_forward(m, tok, types, targets, NULL, B, T);
    if (!isfinite(l)) return -1;
    if (grad) sb_model_backward(m);
    const real *p = sb_model_probs(m);
    for (int b = 0; b < B; b++) ok[b] = sb_example_correct(p + (long)b * T * V, targets + (long)b * T, V, T, r);
    return 0;
}

enum { HF_OUT, HF_ACTIVE, HF_DONE };

int sb_hotflip_attack(sb_model *m, const int *tokens, const int *types, const int *targets, const unsigned char *mask,
                      int B, int T, int budget, const sb_attack_rules *r, int *adv_out, sb_hotflip_stats *st,
                      char *err, size_t errlen)
{
    int E = embed_width(m), V = sb_model_config(m)->vocab, ti = sb_model_tensor_find(m, "embed.tok");
    long BT = (long)B * T;
    int *cur = malloc(sizeof(int) * (size_t)BT), *ok = malloc(sizeof(int) * (size_t)B);   /* (B,T) tokens now, (B) */
    int *state = malloc(sizeof(int) * (size_t)B), *changes = calloc((size_t)B, sizeof(int));
    int *attackable = calloc((size_t)B, sizeof(int));      /* (B) positions the mask allows */
    unsigned char *flipped = calloc((size_t)BT, 1);         /* (B,T) */
    real *score = malloc(sizeof(real) * (size_t)T * V);    /* (T,V) E_v . dL/de_t of one example */
    int rc = -1;
    if (!cur || !ok || !state || !changes || !attackable || !flipped || !score) { snprintf(err, errlen, "HotFlip: out of memory"); goto out; }
    if (ti < 0) { snprintf(err, errlen, "HotFlip: the model has no token embedding"); goto out; }
    const real *wte = sb_model_params(m) + sb_model_tensor(m, ti)->offset;
    memcpy(cur, tokens, sizeof(int) * (size_t)BT);
    if (evaluate(m, cur, types, targets, B, T, budget > 0, r, ok)) { snprintf(err, errlen, "HotFlip: non-finite clean loss"); goto out; }
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) attackable[b] += !mask || mask[(long)b * T + t];
        state[b] = ok[b] < 0 ? HF_OUT : HF_ACTIVE;
        if (ok[b] < 0) continue;
        st->examples++;
        if (!ok[b]) { st->skipped++; state[b] = HF_OUT; continue; }
        st->queries++;   /* the clean evaluation */
    }
    for (int it = 0; it < budget; it++) {
        int any = 0;
        const real *g = sb_model_embed_grad(m);
        for (int b = 0; b < B; b++) {
            if (state[b] != HF_ACTIVE) continue;
            /* score[t][v] = E_v . g_t for every position, one GEMM (T,E)x(E,V) */
            sb_gemm('N', 'T', T, V, E, 1, g + (long)b * T * E, E, wte, E, 0, score, V);
            double best = -INFINITY;
            int bt = -1, bv = -1;
            for (int t = 0; t < T; t++) {
                long p = (long)b * T + t;
                if ((mask && !mask[p]) || flipped[p]) continue;
                const real *s = score + (long)t * V;
                double base = s[cur[p]];
                for (int v = 0; v < V; v++) {
                    if (v == cur[p] || (r && r->allowed && !r->allowed[v])) continue;
                    if (s[v] - base > best) { best = s[v] - base; bt = t; bv = v; }
                }
            }
            if (bt < 0) { st->failures++; state[b] = HF_DONE; continue; }   /* nothing left to flip */
            cur[(long)b * T + bt] = bv;
            flipped[(long)b * T + bt] = 1;
            changes[b]++;
            st->queries++;
            any = 1;
        }
        if (!any) break;
        if (evaluate(m, cur, types, targets, B, T, it + 1 < budget, r, ok)) { snprintf(err, errlen, "HotFlip: non-finite loss"); goto out; }
        for (int b = 0; b < B; b++)
            if (state[b] == HF_ACTIVE && ok[b] == 0) {
                st->successes++;
                st->perturbed_sum += attackable[b] ? (double)changes[b] / attackable[b] : 0;
                state[b] = HF_DONE;
            }
    }
    for (int b = 0; b < B; b++)
        if (state[b] == HF_ACTIVE) st->failures++;
    if (adv_out) memcpy(adv_out, cur, sizeof(int) * (size_t)BT);
    rc = 0;
out:
    free(cur); free(ok); free(state); free(changes); free(attackable); free(flipped); free(score);
    return rc;
}

int sb_randsub_eval(sb_model *m, const int *tokens, const int *types, const int *targets, const unsigned char *mask,
                    int B, int T, double rate, sb_rng *rng, const sb_attack_rules *r, int *adv_out, long *examples,
                    long *correct, char *err, size_t errlen)
{
    int V = sb_model_config(m)->vocab;
    long BT = (long)B * T;
    int *cur = malloc(sizeof(int) * (size_t)BT), *ids = malloc(sizeof(int) * (size_t)V), *ok = malloc(sizeof(int) * (size_t)B);
    int *index = malloc(sizeof(int) * (size_t)V);
    int rc = -1, nid = 0;
    if (!cur || !ids || !ok || !index) { snprintf(err, errlen, "random substitution: out of memory"); goto out; }
    for (int v = 0; v < V; v++) {
        index[v] = -1;
        if (!r || !r->allowed || r->allowed[v]) index[v] = nid, ids[nid++] = v;
    }
    memcpy(cur, tokens, sizeof(int) * (size_t)BT);
    for (long p = 0; p < BT; p++) {
        if (mask && !mask[p]) continue;
        /* two draws per position whatever happens, so the positions substituted at a rate
        ** are the same for every model; the new token is uniform among the allowed ones
        ** other than the current one */
        int c = cur[p] >= 0 && cur[p] < V ? index[cur[p]] : -1;
        int bound = c >= 0 ? nid - 1 : nid;
        double u = sb_rng_uniform(rng);
        uint32_t pick = sb_rng_below(rng, bound > 0 ? (uint32_t)bound : 1);
        if (u >= rate || bound < 1) continue;
        cur[p] = ids[c >= 0 && (int)pick >= c ? pick + 1 : pick];
    }
    if (evaluate(m, cur, types, targets, B, T, 0, r, ok)) { snprintf(err, errlen, "random substitution: non-finite loss"); goto out; }
    for (int b = 0; b < B; b++) {
        if (ok[b] < 0) continue;
        (*examples)++;
        *correct += ok[b];
    }
    if (adv_out) memcpy(adv_out, cur, sizeof(int) * (size_t)BT);
    rc = 0;
out:
    free(cur); free(ids); free(ok); free(index);
    return rc;
}
