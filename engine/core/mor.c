/*
** mor.c: token-choice Mixture-of-Recursions (declared in model_internal.h, which defines it): the router, the key
** masks of the recursions, the mixture the coda reads, and their backward.
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

int sb_mor_mixes(const sb_sharing *s, int l)
{
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
    if (l == s->loop_prelude) sb_mor_route(m, R);
    if (j > 0 && (l - s->loop_prelude) % s->loop_core == 0)
        for (int t = 0; t < R; t++) m->mor_kbias[t] = m->mor_depth[t] >= j ? 0 : MASKED;
    if (sb_mor_mixes(s, l)) sb_mor_mix(m, l, R);
}

const real *sb_mor_key_bias(const sb_model *m, int l)
{
    return sb_mor_recursion(&m->sh, l) > 0 ? m->mor_kbias : NULL;
}

const real *sb_mor_cache_bias(const sb_model *m, int l, const real *depth, int n, real *out)
{
    int j = sb_mor_recursion(&m->sh, l);
    if (j <= 0) return NULL;
    for (int s = 0; s < n; s++) out[s] = depth[s] >= j ? 0 : MASKED;
    return out;
}

void sb_mor_after(sb_model *m, int l, int R)
{
    const sb_sharing *s = &m->sh;
    int j = sb_mor_recursion(s, l), C = m->C;
    if (j < 0 || (l - s->loop_prelude + 1) % s->loop_core) return;   /* not a recursion's last depth */
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
