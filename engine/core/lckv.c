/*
** lckv.c: Layer-Condensed KV Cache (Wu & Tu 2024, "Layer-Condensed KV Cache
** for Efficient Inference of Large Language Models", arXiv 2405.10637), the
** sharing lckv:W, as the authors' code trains it (whyNLP/LCKV,
** models/modeling_lckv.py, utils.py's iteration_plan; their layer_types
** "0_6_6_6_6_6_6_7" is lckv:2 at 8 layers).
**
** Depths lo..top are condensed: each depth below top pairs its queries with
** depth top's keys and values of the earlier positions (the diagonal masked:
** position i's own top entry does not exist yet when its lower depths run;
** the first position sees no key, and its attention output is 0, as their
** flash-attention path's zero row), and depth top attends to its own keys
** and values as usual. The warmup depths (below lo, above top) are standard.
**
** Training (and any full-sequence forward) resolves the dependence on later
** depths by iteration in parallel over the sequence: from zero keys and
** values, SB_LCKV_M passes of depths lo..top without gradients, then
** SB_LCKV_B with; each pass starts from the same input (the output of depth
** lo - 1) and reads the top keys and values of the pass before. Only the
** last pass's output goes on to the depths above, so the earlier passes are
** needed only for depth top's keys and values: those passes stop there (their
** code computes depth top whole and discards it, which changes nothing but
** FLOPs). The backward chains the graded passes through the carried keys and
** values: the last pass from the activations of the forward, each earlier
** graded pass recomputed from its input keys and values (kept) and
** backpropagated from the gradient its keys and values received.
**
** The masked diagonal, in the engine's causal attention: the carried keys and
** values are stored shifted one position on (slot j + 1 holds position j,
** slot 0 zeros, masked by a per-key -1e30), so query i's causal keys 0..i
** are positions 0..i-1; the first query has only the masked zero slot, and
** its output is that slot's value, 0. The keys carry RoPE at their own
** positions already, which the shift does not move; a relative bias would
** see shifted distances and is refused (sharing.c).
*/
#include "model_internal.h"
#include "ops.h"
#include <string.h>

/* The keys (or values) as the depths below the top read them: src (B,T,Ck) one position on, slot 0 zeros. */
static void shift_on(real *dst, const real *src, int B, int T, int Ck)
{
    for (int b = 0; b < B; b++) {
        memset(dst + (long)b * T * Ck, 0, sizeof(real) * Ck);
        memcpy(dst + ((long)b * T + 1) * Ck, src + (long)b * T * Ck, sizeof(real) * (T - 1) * Ck);
    }
}

/* Its backward: position j's gradient is slot j + 1's; the last position is read by no one. */
static void shift_back(real *dst, const real *src, int B, int T, int Ck)
{
    for (int b = 0; b < B; b++) {
        memcpy(dst + (long)b * T * Ck, src + ((long)b * T + 1) * Ck, sizeof(real) * (T - 1) * Ck);
        memset(dst + ((long)b * T + T - 1) * Ck, 0, sizeof(real) * Ck);
    }
}

/* Graded pass g's input keys (v = 0) or values (v = 1). */
static real *kin(const sb_model *m, int g, int v)
{
    return m->lck_kin + (2L * g + v) * m->Bmax * m->Tmax * m->Ckv;
}

/* Point the depths below the top at pass g's input keys and values. */
static void point(sb_model *m, int lo, int top, int g)
{
    for (int l = lo; l < top; l++) {
        m->la[l].k = kin(m, g, 0);
        m->la[l].v = kin(m, g, 1);
    }
}

/* One condensed depth of a full forward, as model_forward.c's loop runs a plain depth (lckv excludes what else that loop
** does: injection, routing, halting, map reuse, a position bias), with the key mask at the depths below the top. */
static void depth_forward(sb_model *m, int l, int B, int T)
{
    const sb_config *c = &m->c;
    layer_acts *a = &m->la[l];
    layer_view *p = &m->lp[l];
    int BT = B * T;
    sb_block_forward(m, l, M_WQ, a->q, a->a, p->b[M_WQ], BT);
    if (p->b[M_WK]) {   /* depth top */
        sb_block_forward(m, l, M_WK, a->k, a->a, p->b[M_WK], BT);
        sb_block_forward(m, l, M_WV, a->v, a->a, p->b[M_WV], BT);
        if (m->rope_cos) rope_forward(a->k, m->rope_cos, m->rope_sin, B, T, m->G, m->hd, m->Ckv, 0);
    }
    if (m->rope_cos) rope_forward(a->q, m->rope_cos, m->rope_sin, B, T, m->NH, m->hd, m->C, 0);
    attention_forward(a->attv, a->att, a->q, a->k, a->v, NULL, p->b[M_WK] ? NULL : m->lck_kbias, B, T, T, m->NH, m->G,
                      m->hd, c->causal, 0);
    sb_layer_tail_forward(m, l, BT);
}

/* Depth top's keys and values alone (a pass before the last), from its input
** (pre-LN: LN1, which depth top - 1 ran). */
static void top_kv(sb_model *m, int top, int B, int T)
{
    layer_acts *a = &m->la[top];
    layer_view *p = &m->lp[top];
    int BT = B * T;
    sb_block_forward(m, top, M_WK, a->k, a->a, p->b[M_WK], BT);
    sb_block_forward(m, top, M_WV, a->v, a->a, p->b[M_WV], BT);
    if (m->rope_cos) rope_forward(a->k, m->rope_cos, m->rope_sin, B, T, m->G, m->hd, m->Ckv, 0);
}

/* The backward of top_kv: m->g_res = dL/d(depth top's input) from g_k[top], g_v[top]. */
static void top_kv_backward(sb_model *m, int top)
{
    const sb_config *c = &m->c;
    layer_acts *a = &m->la[top];
    layer_view *p = &m->lp[top], *g = &m->lg[top];
    int B = m->B, T = m->T, BT = B * T;
    if (m->rope_cos) rope_backward(m->g_k[top], m->rope_cos, m->rope_sin, B, T, m->G, m->hd, m->Ckv, 0);
    sb_block_backward(m, top, M_WK, m->g_a, 0, m->g_k[top], a->a, BT);
    sb_block_backward(m, top, M_WV, m->g_a, 1, m->g_v[top], a->a, BT);
    memset(m->g_res, 0, sizeof(real) * BT * m->C);
    if (c->post_ln) axpy(m->g_res, m->g_a, 1, (long)BT * m->C);
    else layernorm_backward(m->g_res, g->ln1w, g->ln1b, m->g_a, a->x, p->ln1w, a->ln1_mean, a->ln1_rstd, BT, m->C);
}

/* One pass of depths lo..top reading graded-pass buffer g; whole (the last) or up to top's keys and values. */
static void pass(sb_model *m, int lo, int top, int g, int whole, int B, int T)
{
    point(m, lo, top, g);
    for (int l = lo; l < top; l++) depth_forward(m, l, B, T);
    if (whole) depth_forward(m, top, B, T);
    else top_kv(m, top, B, T);
}

void sb_lckv_forward(sb_model *m, int B, int T)
{
    int lo, top, n = SB_LCKV_M + SB_LCKV_B, Ck = m->Ckv;
    sb_sharing_lckv(&m->sh, &lo, &top);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < T; j++) m->lck_kbias[(long)b * T + j] = j ? 0 : (real)-1e30;
    memset(kin(m, 0, 0), 0, sizeof(real) * B * T * Ck);   /* the first pass's keys and values: zeros, as their cache's */
    memset(kin(m, 0, 1), 0, sizeof(real) * B * T * Ck);
    for (int i = 0; i < n; i++) {
        /* the passes without gradients all read and then overwrite buffer 0; graded pass g reads buffer g */
        int g = i < SB_LCKV_M ? 0 : i - SB_LCKV_M, next = i + 1 < SB_LCKV_M ? 0 : i + 1 - SB_LCKV_M;
        pass(m, lo, top, g, i + 1 == n, B, T);
        if (i + 1 < n) {
            shift_on(kin(m, next, 0), m->la[top].k, B, T, Ck);
            shift_on(kin(m, next, 1), m->la[top].v, B, T, Ck);
        }
    }
}

void sb_lckv_backward(sb_model *m)
{
    int lo, top, B = m->B, T = m->T, Ck = m->Ckv;
    long BK = (long)B * T * Ck, BC = (long)B * T * m->C;
    sb_sharing_lckv(&m->sh, &lo, &top);
    /* the last pass, whose activations the forward left */
    memset(m->lck_gk, 0, sizeof(real) * BK);
    memset(m->lck_gv, 0, sizeof(real) * BK);
    for (int l = top; l >= lo; l--) sb_layer_backward(m, l);
    memcpy(m->lck_gx, m->g_res, sizeof(real) * BC);
    for (int g = SB_LCKV_B - 2; g >= 0; g--) {
        /* pass g's top keys and values get what pass g + 1's lower depths sent back */
        shift_back(m->g_k[top], m->lck_gk, B, T, Ck);
        shift_back(m->g_v[top], m->lck_gv, B, T, Ck);
        pass(m, lo, top, g, 0, B, T);   /* recomputed from its input keys and values */
        memset(m->lck_gk, 0, sizeof(real) * BK);
        memset(m->lck_gv, 0, sizeof(real) * BK);
        top_kv_backward(m, top);
        for (int l = top - 1; l >= lo; l--) sb_layer_backward(m, l);
        axpy(m->lck_gx, m->g_res, 1, BC);   /* every graded pass reads the same input */
    }
    memcpy(m->g_res, m->lck_gx, sizeof(real) * BC);
    point(m, lo, top, SB_LCKV_B - 1);
}
