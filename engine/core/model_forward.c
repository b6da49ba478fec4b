/*
** model_forward.c: the forward pass of a model that model.c built: each
** depth's effective weights (lowrank, hyper), the embeddings, the depths
** (with the hooks of mor.c, act.c and lckv.c), the head and the loss, and the
** logits again for a caller that needs them. Decoding (kvcache.c) runs the
** same pieces on its rows: a block matrix's product, a depth's tail after
** its attention, a loop's injection and the attention bias (model_internal.h).
** The backward that reads these activations is model_backward.c.
**
** Block matrices. Every product with a block matrix goes through
** sb_block_forward / block_backward: a dense matrix, a factorised one
** (factor:R stores U and Vt and runs x Vt^T then U, two products), or int8
** products once the model is quantised (quant.c).
**
** Layer (pre-LN):  h = x + ls1 * Attn(LN1(x));   x' = h + ls2 * FFN(LN2(h))
** Layer (post-LN): h = LN1(x + ls1 * Attn(x));   x' = LN2(h + ls2 * FFN(h))
*/
#include "model_internal.h"
#include "ops.h"
#include <string.h>

/* ------------------------------------------------------ effective weights */

/* hyper: modulation m_l = b2 + W2 tanh(W1 z_l + b1), (N,M); r, s = 1 + m_l. */
static void hyper_forward(sb_model *m)
{
    linear_forward(m->hyp_h, P(m, m->t_hz), P(m, m->t_hw1), P(m, m->t_hb1), m->N, m->D, m->D);
    for (long i = 0; i < (long)m->N * m->D; i++) m->hyp_h[i] = R_TANH(m->hyp_h[i]);
    linear_forward(m->hyp_m, m->hyp_h, P(m, m->t_hw2), P(m, m->t_hb2), m->N, m->D, m->M);
}

/* Build each depth's effective weights from its block and its correction. */
void sb_model_materialise(sb_model *m)
{
    if (m->D) hyper_forward(m);
    for (int l = 0; l < m->N; l++)
        for (int k = 0; k < M_COUNT; k++) {
            if (!m->lp[l].w[k]) continue;
            int O = sb_mat_out(m, k), I = sb_mat_in(m, k);
            real *eff = m->lp[l].w[k];
            const real *base = m->lp[l].b[k] - (long)O * I;  /* the block's matrix precedes its bias */
            if (m->R) {
                memcpy(eff, base, sizeof(real) * O * I);
                sb_gemm('N', 'N', O, I, m->R, 1, m->lp[l].lb[k], m->R, m->lp[l].la[k], I, 1, eff, I);
            } else {
                const real *r = m->hyp_m + (long)l * m->M + m->mod_off[k][0], *s = m->hyp_m + (long)l * m->M + m->mod_off[k][1];
                #pragma omp parallel for schedule(static)
                for (int o = 0; o < O; o++)
                    for (int i = 0; i < I; i++) eff[(long)o * I + i] = (1 + r[o]) * base[(long)o * I + i] * (1 + s[i]);
            }
        }
}

/* ---------------------------------------------------------------- forward */

void sb_model_fill_bias(sb_model *m, int l, int T, int Tk)
{
    const real *rb = P(m, m->t_relbias), *pb = m->lp[l].posbias;
    int NH = m->NH;
    for (int h = 0; h < NH; h++)
        for (int i = 0; i < T; i++)
            for (int j = 0; j < Tk; j++) {
                int bk = m->bucket[j - (Tk - T + i) + m->Tmax - 1];
                m->bias[((long)h * T + i) * Tk + j] = (rb ? rb[bk * NH + h] : 0) + (pb ? pb[bk * NH + h] : 0);
            }
}

/* y = x + s * a, with s a per-channel scale or 1. */
static void residual_forward(real *y, const real *x, const real *a, const real *s, long R, int C)
{
    #pragma omp parallel for schedule(static) if (R * C >= 1 << 14)
    for (long r = 0; r < R; r++)
        for (int i = 0; i < C; i++) y[r * C + i] = x[r * C + i] + (s ? s[i] : 1) * a[r * C + i];
}

void sb_block_forward(sb_model *m, int l, int k, real *y, const real *x, const real *b, int R)
{
    const layer_view *p = &m->lp[l];
    if (m->q && m->q_forward(m, l, k, y, x, b, R)) return;
    if (p->w[k]) {
        linear_forward(y, x, p->w[k], b, R, sb_mat_in(m, k), sb_mat_out(m, k));
    } else {
        /* two products through rank R, so a factorised matrix is cheaper to run as well as to store */
        linear_forward(m->la[l].ft[k], x, p->vt[k], NULL, R, sb_mat_in(m, k), m->Rf);
        linear_forward(y, m->la[l].ft[k], p->u[k], b, R, m->Rf, sb_mat_out(m, k));
    }
}

void sb_layer_tail_forward(sb_model *m, int l, int R)
{
    const sb_config *c = &m->c;
    int C = m->C;
    real eps = c->ln_eps;
    layer_acts *a = &m->la[l];
    layer_view *p = &m->lp[l];
    sb_block_forward(m, l, M_WO, a->ao, a->attv, p->b[M_WO], R);
    if (c->post_ln)
        residual_layernorm_forward(a->z1, a->h1, a->ln1_mean, a->ln1_rstd, a->x, a->ao, p->ls1, p->ln1w, p->ln1b, R, C, eps);
    else
        residual_layernorm_forward(a->z1, a->f, a->ln2_mean, a->ln2_rstd, a->x, a->ao, p->ls1, p->ln2w, p->ln2b, R, C, eps);
    sb_block_forward(m, l, M_W1, a->fc, a->f, NULL, R);
    bias_gelu_forward(a->fcg, a->fc, p->b[M_W1], R, m->F);
    sb_block_forward(m, l, M_W2, a->fo, a->fcg, p->b[M_W2], R);
    if (c->post_ln) {
        residual_layernorm_forward(a->z2, a->out, a->ln2_mean, a->ln2_rstd, a->h1, a->fo, p->ls2, p->ln2w, p->ln2b, R, C, eps);
    } else if (l + 1 < m->N && !sb_sharing_injects(&m->sh, l + 1) && !sb_mor_mixes(&m->sh, l + 1) &&
               !sb_act_mixes(&m->sh, l + 1)) {
        /* pre-LN: the LayerNorm that reads this output is the next depth's first (unless the input is injected or mixed first) ... */
        layer_acts *n = &m->la[l + 1];
        residual_layernorm_forward(a->z2, n->a, n->ln1_mean, n->ln1_rstd, a->h1, a->fo, p->ls2, m->lp[l + 1].ln1w,
                                   m->lp[l + 1].ln1b, R, C, eps);
    } else if (l + 1 == m->N && c->final_ln) {
        /* ... or the final one */
        residual_layernorm_forward(a->z2, m->lnf, m->lnf_mean, m->lnf_rstd, a->h1, a->fo, p->ls2, P(m, m->t_lnf_w),
                                   P(m, m->t_lnf_b), R, C, eps);
    } else {
        residual_forward(a->z2, a->h1, a->fo, p->ls2, R, C);
    }
}

void sb_layer_inject(sb_model *m, int l, int R)
{
    const sb_config *c = &m->c;
    layer_acts *a = &m->la[l];
    int P = m->sh.loop_prelude;
    const real *e = P ? m->la[P - 1].out : m->x0;
    residual_forward(a->x, m->la[l - 1].out, e, NULL, R, m->C);
    if (!c->post_ln) layernorm_forward(a->a, a->ln1_mean, a->ln1_rstd, a->x, m->lp[l].ln1w, m->lp[l].ln1b, R, m->C, c->ln_eps);
}

double sb_model_forward(sb_model *m, const int *tokens, const int *types, const int *targets,
                        const real *embed_delta, int B, int T)
{
    const sb_config *c = &m->c;
    int C = m->C, E = m->E, BT = B * T;
    m->B = B; m->T = T; m->has_targets = targets != NULL;
    memcpy(m->tok, tokens, sizeof(int) * BT);
    if (types) memcpy(m->typ, types, sizeof(int) * BT); else memset(m->typ, 0, sizeof(int) * BT);
    if (targets) memcpy(m->tgt, targets, sizeof(int) * BT); else for (int i = 0; i < BT; i++) m->tgt[i] = -1;
    if (m->eff) sb_model_materialise(m);
    /* embeddings (B,T,E) */
    const real *wte = P(m, m->t_tok), *wpe = P(m, m->t_pos), *wtt = P(m, m->t_type);
    #pragma omp parallel for schedule(static)
    for (int r = 0; r < BT; r++) {
        const real *te = wte + (long)m->tok[r] * E;
        real *et = m->emb_tok + (long)r * E, *e = m->emb + (long)r * E;
        for (int i = 0; i < E; i++) et[i] = te[i] + (embed_delta ? embed_delta[(long)r * E + i] : 0);
        for (int i = 0; i < E; i++) e[i] = et[i] + (wpe ? wpe[(long)(r % T) * E + i] : 0) + (wtt ? wtt[(long)m->typ[r] * E + i] : 0);
    }
    if (c->embed_ln) layernorm_forward(m->emb_n, m->emb_mean, m->emb_rstd, m->emb, P(m, m->t_eln_w), P(m, m->t_eln_b), BT, E, c->ln_eps);
    if (E != C) linear_forward(m->x0, m->emb_n, P(m, m->t_eproj_w), P(m, m->t_eproj_b), BT, E, C);
    else memcpy(m->x0, m->emb_n, sizeof(real) * BT * C);
    /* layers; a pre-LN depth's first LayerNorm was run by the depth before it */
    if (!c->post_ln) {
        layer_acts *a = &m->la[0];
        layernorm_forward(a->a, a->ln1_mean, a->ln1_rstd, a->x, m->lp[0].ln1w, m->lp[0].ln1b, BT, C, c->ln_eps);
    }
    int lo, top, lck = sb_sharing_lckv(&m->sh, &lo, &top);
    for (int l = 0; l < m->N; l++) {
        if (lck && l == lo) {   /* LCKV's condensed depths, iterated (lckv.c) */
            sb_lckv_forward(m, B, T);
            l = top;
            continue;
        }
        layer_acts *a = &m->la[l];
        layer_view *p = &m->lp[l];
        if (sb_sharing_injects(&m->sh, l)) sb_layer_inject(m, l, BT);
        sb_mor_before(m, l, B, T);
        if (m->sh.act) sb_act_before(m, l, BT);
        if (m->sh.a_src[l] != l) {   /* attn_reuse: values alone, under the map of an earlier depth */
            sb_block_forward(m, l, M_WV, a->v, a->a, p->b[M_WV], BT);
            attention_reuse_forward(a->attv, a->att, a->v, B, T, T, m->NH, m->G, m->hd);
            sb_layer_tail_forward(m, l, BT);
            continue;
        }
        sb_block_forward(m, l, M_WQ, a->q, a->a, p->b[M_WQ], BT);
        if (p->b[M_WK]) {   /* this depth computes keys and values */
            sb_block_forward(m, l, M_WK, a->k, a->a, p->b[M_WK], BT);
            if (p->b[M_WV]) sb_block_forward(m, l, M_WV, a->v, a->a, p->b[M_WV], BT);
            if (m->rope_cos) rope_forward(a->k, m->rope_cos, m->rope_sin, B, T, m->G, m->hd, m->Ckv, 0);
        }
        if (m->rope_cos) rope_forward(a->q, m->rope_cos, m->rope_sin, B, T, m->NH, m->hd, C, 0);
        if (m->bias) sb_model_fill_bias(m, l, T, T);
        attention_forward(a->attv, a->att, a->q, a->k, a->v, m->bias, sb_mor_key_bias(m, l), B, T, T, m->NH, m->G, m->hd, c->causal,
                          sb_sharing_window(&m->sh, l));
        sb_layer_tail_forward(m, l, BT);
        sb_mor_after(m, l, BT);
        if (m->sh.act) sb_act_after(m, l, BT);
    }
    /* head */
    const real *last = m->la[m->N - 1].out;
    if (c->final_ln && c->post_ln) layernorm_forward(m->lnf, m->lnf_mean, m->lnf_rstd, last, P(m, m->t_lnf_w), P(m, m->t_lnf_b), BT, C, c->ln_eps);
    if (c->pooler) {
        memcpy(m->head_in, m->lnf, sizeof(real) * BT * C);
        for (int b = 0; b < B; b++) memcpy(m->pool_in + (long)b * C, m->lnf + (long)b * T * C, sizeof(real) * C);
        linear_forward(m->pooled, m->pool_in, P(m, m->t_pool_w), P(m, m->t_pool_b), B, C, C);
        for (int b = 0; b < B; b++)
            for (int i = 0; i < C; i++) {
                m->pooled[(long)b * C + i] = R_TANH(m->pooled[(long)b * C + i]);
                m->head_in[(long)b * T * C + i] = m->pooled[(long)b * C + i];
            }
    }
    if (m->t_hproj_w >= 0) linear_forward(m->he, m->head_in, P(m, m->t_hproj_w), P(m, m->t_hproj_b), BT, C, E);
    linear_forward(m->probs, m->he, c->tied ? wte : P(m, m->t_head_w), NULL, BT, c->tied ? E : C, m->V);
    return crossentropy_forward(m->probs, m->losses, m->tgt, BT, m->V, &m->count);
}

/* ----------------------------------------------------------------- logits */

void sb_model_logits(sb_model *m, real *out)
{
    const sb_config *c = &m->c;
    /* the forward's own product, on the same rows: the same bits */
    linear_forward(out, m->he, c->tied ? P(m, m->t_tok) : P(m, m->t_head_w), NULL, m->B * m->T, c->tied ? m->E : m->C, m->V);
}
