/*
** mor.c: Mixture-of-Recursions (declared in model_internal.h, which defines it), token-choice (+mor) and
** expert-choice (+mor_expert): the routers, the key masks of the recursions, the mixtures, and their backward.
*/
#include "model_internal.h"
#include "ops.h"
#include <math.h>
#include <string.h>

/* The authors' token-choice configuration (their conf/pretrain ..._mor_token_softmax_bal_loss_coeff_0.1_linear_zloss_1e-5):
** the balancing loss sum_k P_k f_k (Switch Transformer's, f_k = r x the fraction of tokens choosing k, a constant) and
** the router z-loss mean (logsumexp z)^2 join the loss with these weights, as means over every position (their code
** divides both by the fraction of positions scored, 1 in their language modelling; the tasks here score fewer). */
#define BAL_COEFF 0.1
#define Z_COEFF 1e-5
#define MASKED ((real)-1e30)   /* a key of a token sitting out: exp underflows to exactly 0 */

/* Expert-choice (+mor_expert), as their model/mor_model/expert_choice_router.py defines it, with the configuration
** ..._mor_expert_linear_alpha_0.1_sigmoid_aux_loss_0.001 (no z-loss; alpha and the coefficient as their config generator
** reads them from such a name; the name is their README's example, their stored configuration files were not read) and
** the capacities their config sets when none
** is given, (r - j) / r at recursion j (util/config.py: "str((num_recursion - i) / num_recursion)"):
**   recursion j has its own linear router without bias on its input X_j: z_j = w_j . X_j, gate g_j = EC_ALPHA sigmoid(z_j);
**   training: of the tokens selected at j - 1 (all at j = 0), each sequence's k_j = max(1, int((r-j)/r T)) of largest z_j
**   go on (top-k over the whole sequence, later positions included: not causal; ties to the earlier position);
**   X_{j+1} = X_j + g_j f(X_j) for them, X_j for the others (f: the core's K depths with their residuals, over the
**   selected tokens alone: the others are masked as keys), the coda reading X_r;
**   the auxiliary loss, their "aux_loss" sampling: EC_AUX sum_j BCE(z_j, selected at j) over the candidates of j,
**   divided by their number (their bs x candidates), which trains sigmoid(z_j) >= 0.5 to predict the top-k;
**   evaluation and decoding (sb_model_set_causal_routing): a candidate goes on iff sigmoid(z_j) >= 0.5, its own state
**   alone deciding (causal). Recursion 0's capacity is 1: every token runs it under both rules (their threshold would
**   drop tokens there; we keep the capacity). The capacity warm-up (their cap_warmup_step, cosine from 1) is not done. */
#define EC_ALPHA 0.1
#define EC_AUX 0.001

static int ec_start(const sb_sharing *s, int l);
static void ec_before(sb_model *m, int l, int B, int T);
static void ec_backward(sb_model *m, int l);

int sb_mor_mixes(const sb_sharing *s, int l)
{
    if (s->mor_expert) return ec_start(s, l) > 0;   /* every recursion after the first reads X_j, the coda X_r */
    return s->mor && l == s->loop_prelude + s->loop_core * s->loops;
}

int sb_mor_recursion(const sb_sharing *s, int l)
{
    int j = l - s->loop_prelude;
    return s->mor && j >= 0 && j < s->loop_core * s->loops ? j / s->loop_core : -1;
}

void sb_mor_route(sb_model *m, int R)
{
    int r = m->sh.loops, C = m->C;
    const real *h1 = m->la[m->sh.loop_prelude].x;
    linear_forward(m->mor_logits, h1, P(m, m->t_router), NULL, R, C, r);
    double count[SB_MAX_LAYERS] = {0}, psum[SB_MAX_LAYERS] = {0}, z2 = 0;
    for (int t = 0; t < R; t++) {
        const real *z = m->mor_logits + (long)t * r;
        real *p = m->mor_probs + (long)t * r, mx = z[0], sum = 0;
        int best = 0;
        for (int k = 1; k < r; k++) mx = z[k] > mx ? z[k] : mx;
        for (int k = 0; k < r; k++) sum += p[k] = R_EXP(z[k] - mx);
        for (int k = 0; k < r; k++) {
            p[k] /= sum;
            if (p[k] > p[best]) best = k;   /* the first of equal maxima (ties have probability zero) */
            psum[k] += p[k];
        }
        double lse = mx + log((double)sum);
        z2 += lse * lse;
        m->mor_depth[t] = (real)best;
        m->mor_gate[t] = p[best];
        count[best]++;
    }
    m->mor_bal = 0;
    for (int k = 0; k < r; k++) m->mor_bal += BAL_COEFF * (psum[k] / R) * (r * count[k] / R);
    m->mor_zloss = Z_COEFF * z2 / R;
    for (int k = 0; k < r; k++) m->mor_chose[k] += count[k];
}

void sb_mor_mix(sb_model *m, int l, int R)
{
    const sb_config *c = &m->c;
    layer_acts *a = &m->la[l];
    const real *h1 = m->la[m->sh.loop_prelude].x;
    int C = m->C;
    for (long t = 0; t < R; t++)
        for (int i = 0; i < C; i++) a->x[t * C + i] = h1[t * C + i] + m->mor_gate[t] * m->mor_sel[t * C + i];
    if (!c->post_ln) layernorm_forward(a->a, a->ln1_mean, a->ln1_rstd, a->x, m->lp[l].ln1w, m->lp[l].ln1b, R, C, c->ln_eps);
}

void sb_mor_before(sb_model *m, int l, int B, int T)
{
    const sb_sharing *s = &m->sh;
    int R = B * T, j = sb_mor_recursion(s, l);
    if (!s->mor) return;
    if (s->mor_expert) { ec_before(m, l, B, T); return; }
    if (l == s->loop_prelude) sb_mor_route(m, R);
    if (j > 0 && (l - s->loop_prelude) % s->loop_core == 0)
        for (int t = 0; t < R; t++) m->mor_kbias[t] = m->mor_depth[t] >= j ? 0 : MASKED;
    if (sb_mor_mixes(s, l)) sb_mor_mix(m, l, R);
}

/* With recursive key/value sharing (mor_kv_share) the keys are recursion 0's, of every token: none is masked. */
const real *sb_mor_key_bias(const sb_model *m, int l)
{
    return sb_mor_recursion(&m->sh, l) > 0 && !m->sh.mor_kv_share ? m->mor_kbias : NULL;
}

const real *sb_mor_cache_bias(const sb_model *m, int l, const real *depth, int n, real *out)
{
    int j = sb_mor_recursion(&m->sh, l);
    if (j <= 0 || m->sh.mor_kv_share) return NULL;
    for (int s = 0; s < n; s++) out[s] = depth[s] >= j ? 0 : MASKED;
    return out;
}

void sb_mor_after(sb_model *m, int l, int R)
{
    const sb_sharing *s = &m->sh;
    int j = sb_mor_recursion(s, l), C = m->C;
    if (j < 0 || s->mor_expert || (l - s->loop_prelude + 1) % s->loop_core) return;   /* not a recursion's last depth */
    for (long t = 0; t < R; t++)
        if ((int)m->mor_depth[t] == j) memcpy(m->mor_sel + t * C, m->la[l].out + t * C, sizeof(real) * C);
}

/* At the mixture depth: dF is g_res. dH1 = dF plus the router's share, dS_t = g_t dF_t, and dg_t = dF_t . S_t through
** the softmax, with the balancing and z losses' gradients; g_res becomes the gradient of the last recursion's output. */
static void mix_backward(sb_model *m)
{
    int r = m->sh.loops, C = m->C, R = m->B * m->T;
    const real *h1 = m->la[m->sh.loop_prelude].x;
    double count[SB_MAX_LAYERS] = {0};
    for (int t = 0; t < R; t++) count[(int)m->mor_depth[t]]++;
    memcpy(m->g_mor_h1, m->g_res, sizeof(real) * R * C);
    for (long t = 0; t < R; t++) {
        const real *df = m->g_res + t * C, *sel = m->mor_sel + t * C, *p = m->mor_probs + t * r, *z = m->mor_logits + t * r;
        real *dsel = m->g_mor_sel + t * C, *dz = m->g_mor_z + t * r, g = m->mor_gate[t], dg = 0;
        int best = (int)m->mor_depth[t];
        for (int i = 0; i < C; i++) { dg += df[i] * sel[i]; dsel[i] = g * df[i]; }
        /* u_k = dL/dp_k: the gate's, the balancing loss's BAL_COEFF f_k / R, the z-loss's through lse (its own softmax) */
        double u[SB_MAX_LAYERS], pu = 0, mx = z[0], lse = 0;
        for (int k = 1; k < r; k++) mx = z[k] > mx ? z[k] : mx;
        for (int k = 0; k < r; k++) lse += exp(z[k] - mx);
        lse = mx + log(lse);
        for (int k = 0; k < r; k++) {
            u[k] = (k == best ? dg : 0) + BAL_COEFF * (r * count[k] / R) / R;
            pu += p[k] * u[k];
        }
        for (int k = 0; k < r; k++) dz[k] = (real)(p[k] * (u[k] - pu) + Z_COEFF * 2 * lse * p[k] / R);
    }
    linear_backward(m->g_mor_h1, 1, G(m, m->t_router), NULL, m->g_mor_z, h1, P(m, m->t_router), R, C, r);
    for (long t = 0; t < R; t++)
        if ((int)m->mor_depth[t] == r - 1) memcpy(m->g_res + t * C, m->g_mor_sel + t * C, sizeof(real) * C);
        else memset(m->g_res + t * C, 0, sizeof(real) * C);
}

void sb_mor_backward(sb_model *m, int l)
{
    const sb_sharing *s = &m->sh;
    int C = m->C, R = m->B * m->T, j = sb_mor_recursion(s, l);
    if (!s->mor) return;
    if (s->mor_expert) { ec_backward(m, l); return; }
    if (sb_mor_mixes(s, l)) mix_backward(m);
    /* the start of recursion j >= 1: the tokens that finished at j - 1 read its input (the previous output) in F */
    if (j > 0 && (l - s->loop_prelude) % s->loop_core == 0)
        for (long t = 0; t < R; t++)
            if ((int)m->mor_depth[t] == j - 1) axpy(m->g_res + t * C, m->g_mor_sel + t * C, 1, C);
    if (l == s->loop_prelude) axpy(m->g_res, m->g_mor_h1, 1, (long)R * C);
}

double sb_model_mean_depth(const sb_model *m, double *active)
{
    int r = m->sh.loops;
    double n = 0, mean = 0, at = 0;
    if (!m->sh.mor && !m->sh.act) return 0;
    for (int k = 0; k < r; k++) n += m->mor_chose[k];
    if (!n) return 0;
    for (int k = r - 1; k >= 0; k--) {
        at += m->mor_chose[k];
        if (active) active[k] = at / n;   /* tokens whose depth reaches recursion k */
        mean += at / n;
    }
    return mean;
}

double sb_model_aux_loss(const sb_model *m)
{
    return m->sh.mor ? m->mor_bal + m->mor_zloss : m->sh.act ? m->act_ponder : 0;
}

void sb_model_depth_reset(sb_model *m)
{
    memset(m->mor_chose, 0, sizeof m->mor_chose);
}

/* j when depth l is recursion j's first (j = r: the coda's first, which reads X_r); -1 otherwise or without mor_expert */
static int ec_start(const sb_sharing *s, int l)
{
    int d = l - s->loop_prelude;
    return s->mor_expert && d >= 0 && d <= s->loop_core * s->loops && d % s->loop_core == 0 ? d / s->loop_core : -1;
}

static real sigm(real z) { return 1 / (1 + R_EXP(-z)); }

/* Recursion j's router on X_j = la[l].x over B sequences of T rows, and its choice: mor_depth[t] = j for the tokens
** going on (mor_depth holds each token's last recursion so far), the auxiliary loss into mor_bal. */
static void ec_route(sb_model *m, int l, int j, int B, int T)
{
    int r = m->sh.loops, C = m->C, R = B * T, k = (int)((double)(r - j) / r * T);
    const real *x = m->la[l].x, *w = P(m, m->t_router) + (long)j * C;
    real *z = m->mor_logits, *d = m->mor_depth;
    for (long t = 0; t < R; t++) {
        real s = 0;
        for (int i = 0; i < C; i++) s += w[i] * x[t * C + i];
        z[t * r + j] = s;
    }
    if (k < 1) k = 1;
    if (j == 0) for (int t = 0; t < R; t++) d[t] = 0;   /* capacity 1 */
    else for (int b = 0; b < B; b++)
        for (int t = b * T; t < (b + 1) * T; t++) {
            if (d[t] < j - 1) continue;   /* not a candidate: left at j - 1 or before */
            int rank = 0;
            if (m->mor_causal) rank = z[t * r + j] >= 0 ? 0 : k;   /* sigmoid(z) >= 0.5 */
            else for (int u = b * T; u < (b + 1) * T; u++)   /* candidates ahead of t: larger z, or equal and earlier */
                rank += d[u] >= j - 1 && (z[u * r + j] > z[t * r + j] || (z[u * r + j] == z[t * r + j] && u < t));
            if (rank < k) d[t] = j;   /* a token ranked after t keeps d >= j - 1, so later ranks see the same candidates */
        }
    double bce = 0, n = 0;
    for (int t = 0; t < R; t++)
        if (j == 0 || d[t] >= j - 1) {
            double zz = z[t * r + j];
            bce += (zz > 0 ? zz + log1p(exp(-zz)) : log1p(exp(zz))) - (d[t] >= j ? zz : 0);
            n++;
        }
    if (j == 0) m->mor_bal = m->mor_zloss = 0;
    if (n) m->mor_bal += EC_AUX * bce / n;   /* the causal rule may leave recursion j no candidate */
}

/* X_j = X_{j-1} + g_{j-1} f(X_{j-1}) for the tokens selected at j - 1, X_{j-1} for the others, into depth l's input */
static void ec_mix(sb_model *m, int l, int j, int R)
{
    const sb_config *c = &m->c;
    layer_acts *a = &m->la[l];
    int r = m->sh.loops, C = m->C;
    const real *xp = m->la[l - m->sh.loop_core].x, *f = m->la[l - 1].out;
    for (long t = 0; t < R; t++) {
        real g = m->mor_depth[t] >= j - 1 ? EC_ALPHA * sigm(m->mor_logits[t * r + j - 1]) : 0;
        for (int i = 0; i < C; i++) a->x[t * C + i] = xp[t * C + i] + (g ? g * f[t * C + i] : 0);
    }
    if (!c->post_ln) layernorm_forward(a->a, a->ln1_mean, a->ln1_rstd, a->x, m->lp[l].ln1w, m->lp[l].ln1b, R, C, c->ln_eps);
}

/* Before depth l on B sequences of T positions: the mixture at a recursion's start, its router, its key mask. */
static void ec_before(sb_model *m, int l, int B, int T)
{
    int j = ec_start(&m->sh, l), r = m->sh.loops, R = B * T;
    if (j < 0) return;
    if (j > 0) ec_mix(m, l, j, R);
    if (j < r) ec_route(m, l, j, B, T);
    if (j > 0 && j < r)
        for (int t = 0; t < R; t++) m->mor_kbias[t] = m->mor_depth[t] >= j ? 0 : MASKED;
    if (j == r)
        for (int t = 0; t < R; t++) m->mor_chose[(int)m->mor_depth[t]]++;
}

void sb_model_set_causal_routing(sb_model *m, int on)
{
    m->mor_causal = on;
}

void sb_mor_decode_before(sb_model *m, int l, int B, real *depth, long stride)
{
    const sb_sharing *s = &m->sh;
    if (s->mor_expert) {
        int causal = m->mor_causal;
        m->mor_causal = 1;   /* one position: top-k over the sequence does not exist */
        ec_before(m, l, B, 1);
        m->mor_causal = causal;
        if (ec_start(s, l) >= 0 && ec_start(s, l) < s->loops)
            for (int b = 0; b < B; b++) depth[b * stride] = m->mor_depth[b];
        return;
    }
    if (l == s->loop_prelude) {
        sb_mor_route(m, B);
        for (int b = 0; b < B; b++) depth[b * stride] = m->mor_depth[b];
    }
    if (sb_mor_mixes(s, l)) sb_mor_mix(m, l, B);
}

/* After depth l's backward (g_res = dL/dX_j at recursion j's first depth): X_j's other uses, the skip to X_{j+1}
** (g_mor_h1) and router j (its dz_j in g_mor_z, from the mixture at j + 1); then, for j >= 1, the mixture's split:
** dX_{j-1} skip = dX_j, d f_{j-1} = g dX_j (the selected), dz_{j-1} = (dX_j . f) EC_ALPHA s (1 - s) plus the
** auxiliary loss's EC_AUX (s - selected) / candidates. */
static void ec_backward(sb_model *m, int l)
{
    int j = ec_start(&m->sh, l), r = m->sh.loops, C = m->C, R = m->B * m->T;
    real *g = m->g_res, *dz = m->g_mor_z;
    const real *d = m->mor_depth, *z = m->mor_logits;
    if (j < 0) return;
    if (j < r) {
        const real *x = m->la[l].x, *w = P(m, m->t_router) + (long)j * C;
        real *gw = G(m, m->t_router) + (long)j * C;
        axpy(g, m->g_mor_h1, 1, (long)R * C);
        for (long t = 0; t < R; t++) {
            real e = dz[t * r + j];
            if (!e) continue;
            axpy(g + t * C, w, e, C);
            axpy(gw, x + t * C, e, C);
        }
    }
    if (j == 0) return;
    const real *f = m->la[l - 1].out;
    double n = 0;
    for (int t = 0; t < R; t++) n += j == 1 || d[t] >= j - 2;   /* recursion j - 1's candidates */
    memcpy(m->g_mor_h1, g, sizeof(real) * R * C);
    for (long t = 0; t < R; t++) {
        real s = sigm(z[t * r + j - 1]), e = 0, *gt = g + t * C;
        int sel = d[t] >= j - 1;
        if (sel) {
            real dg = 0;
            for (int i = 0; i < C; i++) dg += gt[i] * f[t * C + i];
            e = dg * EC_ALPHA * s * (1 - s);
            for (int i = 0; i < C; i++) gt[i] *= EC_ALPHA * s;
        } else memset(gt, 0, sizeof(real) * C);
        if (j == 1 || d[t] >= j - 2) e += (real)(EC_AUX * (s - sel) / n);
        dz[t * r + j - 1] = e;
    }
}
