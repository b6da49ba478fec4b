/*
** act.c: the Universal Transformer's adaptive computation time (declared in
** model_internal.h), the modifier +act of loop:P,K,C: the core's r loops are
** recurrence steps, and each token halts when its halting probabilities sum
** past 1 - 0.01, its output the steps' states weighted by them.
**
** The definition is Dehghani et al.'s code (2019, "Universal Transformers",
** arXiv 1807.03819; tensor2tensor's universal_transformer_util.py,
** adaptive_universal_transformer, act_type "basic", after Graves 2016, arXiv
** 1603.08983), with their defaults: threshold 1 - act_epsilon = 0.99, the
** halting unit's bias starting at act_halting_bias_init = 1, the ponder loss
** act_loss_weight 0.01 x mean(n_updates + remainders). At step j, from the
** state s_j entering it (s_0 the core's input):
**   p = sigmoid(w . s_j + b); running = h < 1
**   halted = running and h + p running > 0.99; running = running and h + p running <= 0.99
**   h += p running; rem += halted (1 - h); h += halted rem; n += running + halted
**   u = p running + halted rem;  s_{j+1} = f(s_j) for every token;  y_j = u s_{j+1} + (1 - u) y_{j-1}, y_{-1} = 0
** and the coda reads y_{r-1}. The comparisons are constants for the
** gradient, which reaches w and b through p in u and in the remainders. As
** their code does, every token's state goes on being transformed after it
** halts (it stays a key and value for the tokens still running) and a token
** still running after r steps is not forced to halt. Their position and
** step signals added at every step are not (the engine's positions enter
** once). Causal: p reads the token's own state, which causal attention
** computes from earlier positions; decoding reproduces the forward.
*/
#include "model_internal.h"
#include "ops.h"
#include <math.h>
#include <string.h>

#define THRESHOLD ((real)0.99)   /* 1 - act_epsilon */
#define PONDER 0.01             /* act_loss_weight */

int sb_act_mixes(const sb_sharing *s, int l)
{
    return s->act && l == s->loop_prelude + s->loop_core * s->loops;
}

/* The step j whose first depth is l, -1 when l starts none. */
static int step_at(const sb_sharing *s, int l)
{
    int j = l - s->loop_prelude;
    return s->act && j >= 0 && j < s->loop_core * s->loops && j % s->loop_core == 0 ? j / s->loop_core : -1;
}

/* The step j whose last depth is l, -1 when l ends none. */
static int step_ending(const sb_sharing *s, int l)
{
    int j = l - s->loop_prelude + 1;
    return s->act && j > 0 && j <= s->loop_core * s->loops && j % s->loop_core == 0 ? j / s->loop_core - 1 : -1;
}

void sb_act_before(sb_model *m, int l, int R)
{
    const sb_sharing *s = &m->sh;
    int j = step_at(s, l), C = m->C;
    if (j < 0) {
        if (sb_act_mixes(s, l)) {   /* the coda reads the weighted states */
            const sb_config *c = &m->c;
            layer_acts *a = &m->la[l];
            memcpy(a->x, m->act_y + (long)(s->loops - 1) * R * C, sizeof(real) * R * C);
            if (!c->post_ln) layernorm_forward(a->a, a->ln1_mean, a->ln1_rstd, a->x, m->lp[l].ln1w, m->lp[l].ln1b, R, C, c->ln_eps);
        }
        return;
    }
    const real *w = P(m, m->t_halt_w), b = P(m, m->t_halt_b)[0], *x = m->la[l].x;
    real *p = m->act_p + (long)j * R, *u = m->act_u + (long)j * R, *run = m->act_run + (long)j * R, *hal = m->act_halt + (long)j * R;
    if (j == 0) { memset(m->act_h, 0, sizeof(real) * R); memset(m->act_rem, 0, sizeof(real) * R); memset(m->act_n, 0, sizeof(real) * R); }
    for (long t = 0; t < R; t++) {
        real a = b, h = m->act_h[t];
        for (int i = 0; i < C; i++) a += w[i] * x[t * C + i];
        p[t] = 1 / (1 + R_EXP(-a));
        real running = h < 1;
        hal[t] = (h + p[t] * running > THRESHOLD) * running;
        run[t] = (h + p[t] * running <= THRESHOLD) * running;
        m->act_h[t] = h += p[t] * run[t];
        m->act_rem[t] += hal[t] * (1 - h);
        m->act_h[t] += hal[t] * m->act_rem[t];
        m->act_n[t] += run[t] + hal[t];
        u[t] = p[t] * run[t] + hal[t] * m->act_rem[t];
    }
}

void sb_act_after(sb_model *m, int l, int R)
{
    int j = step_ending(&m->sh, l), C = m->C;
    if (j < 0) return;
    const real *u = m->act_u + (long)j * R, *out = m->la[l].out, *prev = j ? m->act_y + (long)(j - 1) * R * C : NULL;
    real *y = m->act_y + (long)j * R * C;
    for (long t = 0; t < R; t++)
        for (int i = 0; i < C; i++) y[t * C + i] = u[t] * out[t * C + i] + (prev ? (1 - u[t]) * prev[t * C + i] : 0);
    if (j == m->sh.loops - 1) {   /* the tokens' recurrence steps, for sb_model_mean_depth, and the ponder loss */
        double sum = 0;
        for (long t = 0; t < R; t++) {
            m->mor_chose[(int)m->act_n[t] - 1]++;
            sum += m->act_n[t] + m->act_rem[t];
        }
        m->act_ponder = PONDER * sum / R;
    }
}

/* At the mixture depth: the gradient of every y_j and u_j from dL/dy_{r-1} (g_res), back through the weighting; each
** step's u_j gradient into du (r, R). */
static void mix_backward(sb_model *m)
{
    int r = m->sh.loops, C = m->C, R = m->B * m->T;
    real *dy = m->g_act;
    memcpy(dy, m->g_res, sizeof(real) * R * C);
    for (int j = r - 1; j >= 0; j--) {
        const real *u = m->act_u + (long)j * R, *out = m->la[m->sh.loop_prelude + (j + 1) * m->sh.loop_core - 1].out;
        const real *prev = j ? m->act_y + (long)(j - 1) * R * C : NULL;
        real *dout = m->g_act_out + (long)j * R * C, *du = m->g_act_u + (long)j * R;
        for (long t = 0; t < R; t++) {
            real d = 0;
            for (int i = 0; i < C; i++) {
                d += dy[t * C + i] * (out[t * C + i] - (prev ? prev[t * C + i] : 0));
                dout[t * C + i] = u[t] * dy[t * C + i];
                dy[t * C + i] *= 1 - u[t];
            }
            du[t] = d;
        }
    }
    /* dL/dp_i = running_i (du_i - du_k - PONDER/R) for a token halted at step k (its remainder 1 - sum of the running
    ** steps' p enters u_k and the ponder loss), running_i du_i for one still running */
    for (long t = 0; t < R; t++) {
        real dhalt = 0;   /* du_k of the step that halted t, and the ponder loss's share, once it is known */
        for (int j = r - 1; j >= 0; j--) {
            long at = (long)j * R + t;
            real run = m->act_run[at], p = m->act_p[at];
            if (m->act_halt[at]) dhalt = m->g_act_u[at] + PONDER / R;
            real dp = run * (m->g_act_u[at] - dhalt);
            m->g_act_u[at] = dp * p * (1 - p);   /* now dL/da_j, the halting unit's pre-activation */
        }
    }
    /* the last step's output reaches the loss through the mixture alone (the coda reads y) */
    memcpy(m->g_res, m->g_act_out + (long)(r - 1) * R * C, sizeof(real) * R * C);
}

void sb_act_backward(sb_model *m, int l)
{
    const sb_sharing *s = &m->sh;
    int R = m->B * m->T, C = m->C, j;
    if (!s->act) return;
    if (sb_act_mixes(s, l)) mix_backward(m);
    if ((j = step_at(s, l)) >= 0) {
        /* the halting unit read s_j, this depth's input: its gradient, and w's and b's */
        const real *x = m->la[l].x, *w = P(m, m->t_halt_w), *da = m->g_act_u + (long)j * R;
        real *gw = G(m, m->t_halt_w), *gb = G(m, m->t_halt_b);
        for (long t = 0; t < R; t++) {
            gb[0] += da[t];
            for (int i = 0; i < C; i++) { gw[i] += da[t] * x[t * C + i]; m->g_res[t * C + i] += da[t] * w[i]; }
        }
        /* the step before ended at the depth before: its output's share in the mixture */
        if (j > 0) axpy(m->g_res, m->g_act_out + (long)(j - 1) * R * C, 1, (long)R * C);
    }
}
