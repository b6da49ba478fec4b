/*
** model_backward.c: the backward pass of a model that model.c built, through
** the activations of its last forward (model_forward.c): from the gradient of
** the loss (or of given logits) through the head, the depths (with the
** backward hooks of mor.c, act.c and lckv.c) and the embeddings into the
** gradient buffer. Shared blocks' weight gradients that wait for one product
** over all their depths come after the last depth (deferred_weight_grads;
** when and why: model.c's "Shared blocks"), and where per-depth contributions
** are kept, each depth's slot is reduced into the block gradients at the end
** (reduce_depths; model.c's "Depth slots").
*/
#include "model_internal.h"
#include "ops.h"
#include <string.h>

/* The gradient into the branch a of y = x + s * a: dy itself when there is no
** scale (no copy), else s * dy written into da; ds += the row sum of dy * a,
** each thread summing its own channels in row order. */
static const real *residual_backward(real *da, real *ds, const real *dy, const real *a, const real *s, long R, int C)
{
    if (!s) return dy;
    #pragma omp parallel if (R * C >= 1 << 14)
    {
        #pragma omp for schedule(static) nowait
        for (long r = 0; r < R; r++)
            for (int i = 0; i < C; i++) da[r * C + i] = s[i] * dy[r * C + i];
        long lo, hi;
        sb_thread_range(C, &lo, &hi);
        for (long r = 0; r < R; r++)
            for (long i = lo; i < hi; i++) ds[i] += dy[r * C + i] * a[r * C + i];
    }
    return da;
}

/* memset, in parallel pieces when large: the gradient buffer of a big model
** is zeroed every step, and one core does not reach the memory's bandwidth. */
void sb_zero(real *p, long n)
{
    enum { PIECE = 1 << 16 };
    #pragma omp parallel for schedule(static) if (n >= 4 * PIECE)
    for (long i = 0; i < n; i += PIECE) memset(p + i, 0, sizeof(real) * (n - i < PIECE ? n - i : PIECE));
}

/* Scatter the attention-bias gradient (NH,T,T) into the bucket tables. */
static void bias_backward(sb_model *m, int l, int T)
{
    real *rb = G(m, m->t_relbias), *pb = m->lg[l].posbias;
    for (int h = 0; h < m->NH; h++)
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++) {
                int bk = m->bucket[j - i + m->Tmax - 1];
                real d = m->g_bias[((long)h * T + i) * T + j];
                if (rb) rb[bk * m->NH + h] += d;
                if (pb) pb[bk * m->NH + h] += d;
            }
}

/* The backward of sb_block_forward: dx (R, in) = dy W + dx_beta dx; the
** matrix's (or its factors') and the bias's gradients accumulate, or, for a
** matrix whose weight gradient waits (m->defer), are left to
** deferred_weight_grads. An int8 model's backward runs through its float
** weights (the straight-through estimator: the dequantised weights, at the
** int8 forward's activations). */
static void block_backward(sb_model *m, int l, int k, real *dx, real dx_beta, const real *dy, const real *x, int R)
{
    const layer_view *p = &m->lp[l], *g = &m->lg[l];
    int O = sb_mat_out(m, k), I = sb_mat_in(m, k);
    if (p->w[k]) {
        int d = m->defer[k];
        linear_backward(dx, dx_beta, d ? NULL : g->w[k], d ? NULL : g->b[k], dy, x, p->w[k], R, I, O);
    } else {
        linear_backward(m->g_ft, 0, g->u[k], g->b[k], dy, m->la[l].ft[k], p->u[k], R, m->Rf, O);
        linear_backward(dx, dx_beta, g->vt[k], NULL, m->g_ft, x, p->vt[k], R, I, m->Rf);
    }
}

/* memcpy, in parallel pieces when large (as sb_zero). */
static void copy(real *dst, const real *src, long n)
{
    enum { PIECE = 1 << 16 };
    #pragma omp parallel for schedule(static) if (n >= 4 * PIECE)
    for (long i = 0; i < n; i += PIECE) memcpy(dst + i, src + i, sizeof(real) * (n - i < PIECE ? n - i : PIECE));
}

/* dy as the output gradient of matrix k at a depth: a copy kept in keep (the
** depth's slice) when k's weight gradient waits, dy itself otherwise. */
static const real *kept(sb_model *m, int k, real *keep, const real *dy, long n)
{
    if (!m->defer[k]) return dy;
    if (keep != dy) copy(keep, dy, n);
    return keep;
}

static void layer_backward(sb_model *m, int l)
{
    const sb_config *c = &m->c;
    int B = m->B, T = m->T, C = m->C, BT = B * T;
    layer_acts *a = &m->la[l];
    layer_view *p = &m->lp[l], *g = &m->lg[l];
    real *dfc = m->g_fcd[l], *dq = m->g_qd[l];
    /* g_res holds dL/d(out). Feed-forward half: dz2 in dz2. */
    real *dz2 = m->g_res;
    if (c->post_ln) {
        sb_zero(m->g_1, (long)BT * C);
        layernorm_backward(m->g_1, g->ln2w, g->ln2b, m->g_res, a->z2, p->ln2w, a->ln2_mean, a->ln2_rstd, BT, C);
        dz2 = m->g_1;
    }
    const real *dfo = residual_backward(m->g_fod[l] ? m->g_fod[l] : m->g_o, g->ls2, dz2, a->fo, p->ls2, BT, C); /* dh1 = dz2 + ... */
    dfo = kept(m, M_W2, m->g_fod[l], dfo, (long)BT * C);
    block_backward(m, l, M_W2, dfc, 0, dfo, a->fcg, BT);
    gelu_backward(dfc, a->fc, dfc, (long)BT * m->F);                 /* in place */
    if (c->post_ln) {
        /* f = h1: its gradient adds straight into dh1 (g_1) */
        block_backward(m, l, M_W1, m->g_1, 1, dfc, a->f, BT);
    } else {
        block_backward(m, l, M_W1, m->g_a, 0, dfc, a->f, BT);
        layernorm_backward(m->g_res, g->ln2w, g->ln2b, m->g_a, a->h1, p->ln2w, a->ln2_mean, a->ln2_rstd, BT, C);
    }
    /* attention half: dh1 is g_1 (post) or g_res (pre); make dz1 live in g_res */
    if (c->post_ln) {
        sb_zero(m->g_res, (long)BT * C);
        layernorm_backward(m->g_res, g->ln1w, g->ln1b, m->g_1, a->z1, p->ln1w, a->ln1_mean, a->ln1_rstd, BT, C);
    }
    const real *dao = residual_backward(m->g_aod[l] ? m->g_aod[l] : m->g_o, g->ls1, m->g_res, a->ao, p->ls1, BT, C);
    dao = kept(m, M_WO, m->g_aod[l], dao, (long)BT * C);
    block_backward(m, l, M_WO, m->g_attv, 0, dao, a->attv, BT);
    real *gate = m->g_gate + (long)l * m->Bmax * m->NH;
    int src = m->sh.a_src[l];
    if (src != l) {
        /* attn_reuse: the map's gradient into g_attr, for depth src; the group's deepest depth (the first here) overwrites it */
        int deepest = l + 1 == m->N || m->sh.a_src[l + 1] != src;
        attention_reuse_backward(m->g_v[l], m->g_attr, deepest ? 0 : 1, gate, m->g_attv, a->att, a->v, a->attv, B, T, m->NH, m->G, m->hd);
        block_backward(m, l, M_WV, m->g_a, 0, m->g_v[l], a->a, BT);
        if (c->post_ln) axpy(m->g_res, m->g_a, 1, (long)BT * C);
        else layernorm_backward(m->g_res, g->ln1w, g->ln1b, m->g_a, a->x, p->ln1w, a->ln1_mean, a->ln1_rstd, BT, C);
        return;
    }
    const real *dp_in = m->g_attr && l + 1 < m->N && m->sh.a_src[l + 1] == l ? m->g_attr : NULL;
    if (m->g_bias) sb_zero(m->g_bias, (long)m->NH * T * T);
    attention_backward(dq, m->g_k[l], m->g_v[l], m->g_att, m->g_bias, gate,
                       m->g_attv, a->att, a->q, a->k, a->v, a->attv, dp_in, B, T, m->NH, m->G, m->hd, c->causal,
                       sb_sharing_window(&m->sh, l));
    if (m->g_bias) bias_backward(m, l, T);
    if (m->rope_cos) rope_backward(dq, m->rope_cos, m->rope_sin, B, T, m->NH, m->hd, C, 0);
    block_backward(m, l, M_WQ, m->g_a, 0, dq, a->a, BT);
    if (p->b[M_WK]) {
        /* every depth reusing these keys and values is deeper, so its share is already in */
        if (m->rope_cos) rope_backward(m->g_k[l], m->rope_cos, m->rope_sin, B, T, m->G, m->hd, m->Ckv, 0);
        block_backward(m, l, M_WK, m->g_a, 1, m->g_k[l], a->a, BT);
        if (p->b[M_WV]) block_backward(m, l, M_WV, m->g_a, 1, m->g_v[l], a->a, BT);
    }
    if (c->post_ln) axpy(m->g_res, m->g_a, 1, (long)BT * C);
    else layernorm_backward(m->g_res, g->ln1w, g->ln1b, m->g_a, a->x, p->ln1w, a->ln1_mean, a->ln1_rstd, BT, C);
}

/* The weight gradients that waited (m->defer): per matrix, its depths in block
** order; consecutive depths of one block whose inputs and output gradients
** lie back to back (every depth at the batch and length the model was built
** for) make one product over all their rows. */
static void deferred_weight_grads(sb_model *m)
{
    long R = (long)m->B * m->T;
    for (int k = 0; k < M_COUNT; k++) {
        if (!m->defer[k]) continue;
        int part = sb_mat_part(k), O = sb_mat_out(m, k), I = sb_mat_in(m, k), n = m->n_ord[part];
        const int *map = part == 0 ? m->sh.attn : part == 1 ? m->sh.kv : m->sh.ffn;
        const real *xs[SB_MAX_LAYERS], *dys[SB_MAX_LAYERS];
        for (int i = 0; i < n; i++) {
            int l = m->ord[part][i];
            layer_acts *a = &m->la[l];
            xs[i] = k == M_WO ? a->attv : k == M_W1 ? a->f : k == M_W2 ? a->fcg : a->a;
            dys[i] = k == M_WQ ? m->g_qd[l] : k == M_WK ? m->g_k[l] : k == M_WV ? m->g_v[l] : k == M_WO ? m->g_aod[l]
                   : k == M_W1 ? m->g_fcd[l] : m->g_fod[l];
        }
        for (int i = 0, j; i < n; i = j) {
            int l = m->ord[part][i];
            for (j = i + 1; j < n && map[m->ord[part][j]] == map[l] && xs[j] == xs[j - 1] + R * I && dys[j] == dys[j - 1] + R * O; j++)
                ;
            linear_backward(NULL, 0, m->lg[l].w[k], m->lg[l].b[k], dys[i], xs[i], NULL, (int)(R * (j - i)), I, O);
        }
    }
}

static double sumsq(const real *x, long n)
{
    double s = 0;
    for (long i = 0; i < n; i++) s += (double)x[i] * x[i];
    return s;
}

/* Turn each depth's slot into its contribution to the shared weights, then sum
** the contributions into the block gradients, rescaled as configured. */
static void reduce_depths(sb_model *m)
{
    int N = m->N;
    /* corrections first: lowrank and hyper gradients come from the effective-weight gradient */
    for (int l = 0; l < N; l++)
        for (int k = 0; k < M_COUNT; k++) {
            if (!m->lp[l].w[k] || !m->eff) continue;
            int O = sb_mat_out(m, k), I = sb_mat_in(m, k);
            real *dW = m->dgrad + l * m->slot + m->mat_off[k];
            if (m->R) {
                /* W_l = W + B A: dB += dW A^T, dA += B^T dW, and dW is W's contribution as it is */
                sb_gemm('N', 'T', O, m->R, I, 1, dW, I, m->lp[l].la[k], I, 1, m->lg[l].lb[k], m->R);
                sb_gemm('T', 'N', m->R, I, O, 1, m->lp[l].lb[k], m->R, dW, I, 1, m->lg[l].la[k], I);
            } else {
                /* W_l = diag(1+r) W diag(1+s): dr_o = sum_i dW W (1+s), ds_i = sum_o dW W (1+r) */
                const real *base = m->lp[l].b[k] - (long)O * I;
                const real *r = m->hyp_m + (long)l * m->M + m->mod_off[k][0], *s = m->hyp_m + (long)l * m->M + m->mod_off[k][1];
                real *dr = m->g_m + m->mod_off[k][0], *ds = m->g_m + m->mod_off[k][1];
                for (int o = 0; o < O; o++) dr[o] = 0;
                for (int i = 0; i < I; i++) ds[i] = 0;
                for (int o = 0; o < O; o++)
                    for (int i = 0; i < I; i++) {
                        real gw = dW[(long)o * I + i] * base[(long)o * I + i];
                        dr[o] += gw * (1 + s[i]);
                        ds[i] += gw * (1 + r[o]);
                        dW[(long)o * I + i] *= (1 + r[o]) * (1 + s[i]);
                    }
                /* through m_l = b2 + W2 h_l, h_l = tanh(W1 z_l + b1), one matrix at a time */
                const real *h = m->hyp_h + (long)l * m->D;
                real *dh = m->g_m + m->M;
                for (int d = 0; d < m->D; d++) dh[d] = 0;
                int seg[2][2] = { { m->mod_off[k][0], O }, { m->mod_off[k][1], I } };
                for (int sgi = 0; sgi < 2; sgi++)
                    for (int j = seg[sgi][0]; j < seg[sgi][0] + seg[sgi][1]; j++) {
                        real dmj = m->g_m[j];
                        G(m, m->t_hb2)[j] += dmj;
                        for (int d = 0; d < m->D; d++) {
                            G(m, m->t_hw2)[(long)j * m->D + d] += dmj * h[d];
                            dh[d] += dmj * P(m, m->t_hw2)[(long)j * m->D + d];
                        }
                    }
                const real *z = P(m, m->t_hz) + (long)l * m->D;
                for (int d = 0; d < m->D; d++) {
                    real dpre = dh[d] * (1 - h[d] * h[d]);
                    G(m, m->t_hb1)[d] += dpre;
                    for (int e = 0; e < m->D; e++) {
                        G(m, m->t_hw1)[(long)d * m->D + e] += dpre * z[e];
                        G(m, m->t_hz)[(long)l * m->D + e] += dpre * P(m, m->t_hw1)[(long)d * m->D + e];
                    }
                }
            }
        }
    /* then sum every block tensor's contributions into its gradient */
    for (int i = 0; i < m->nt; i++) {
        const sb_tensor *t = &m->tensors[i];
        if (t->slot_off < 0) continue;
        double norms[SB_MAX_LAYERS], mean = 0;
        int users = 0;
        for (int l = 0; l < N; l++) {
            const real *ct = sb_model_contribution(m, i, l);
            norms[l] = ct ? sqrt(sumsq(ct, t->numel)) : 0;
            if (ct) { mean += norms[l]; users++; }
        }
        mean = users ? mean / users : 0;
        real *gt = m->grads + t->offset;
        for (int l = 0; l < N; l++) {
            const real *ct = sb_model_contribution(m, i, l);
            if (!ct) continue;
            double s = 1;
            if (m->c.grad_scale == SB_GRADSCALE_MEAN) s = 1.0 / t->uses;
            else if (m->c.grad_scale == SB_GRADSCALE_NORM) s = norms[l] > 0 ? mean / norms[l] : 0;
            for (long j = 0; j < t->numel; j++) gt[j] += (real)s * ct[j];
        }
    }
}

static void backward_from_logits(sb_model *m);

void sb_model_backward(sb_model *m)
{
    crossentropy_backward(m->g_logits, m->probs, m->tgt, m->B * m->T, m->V, m->count ? (real)1 / m->count : 0);
    backward_from_logits(m);
}

void sb_model_backward_logits(sb_model *m, const real *dlogits)
{
    memcpy(m->g_logits, dlogits, sizeof(real) * m->B * m->T * m->V);
    backward_from_logits(m);
}

/* Everything of the backward below the logits, whose gradient is in g_logits. */
static void backward_from_logits(sb_model *m)
{
    const sb_config *c = &m->c;
    int B = m->B, T = m->T, C = m->C, E = m->E, BT = B * T;
    sb_zero(m->grads, m->n_params);
    if (m->dgrad) sb_zero(m->dgrad, m->slot * m->N);
    sb_zero(m->g_gate, (long)m->N * m->Bmax * m->NH);
    for (int l = 0; l < m->N; l++)
        if (m->sh.kv[l] >= 0) { sb_zero(m->g_k[l], (long)BT * m->Ckv); sb_zero(m->g_v[l], (long)BT * m->Ckv); }
    /* head */
    const real *wte = P(m, m->t_tok);
    real *dhead_in = m->t_hproj_w >= 0 ? m->g_he : m->g_head_in;
    linear_backward(dhead_in, 0, c->tied ? G(m, m->t_tok) : G(m, m->t_head_w), NULL, m->g_logits, m->he,
                    c->tied ? wte : P(m, m->t_head_w), BT, c->tied ? E : C, m->V);
    if (m->t_hproj_w >= 0) {
        linear_backward(m->g_head_in, 0, G(m, m->t_hproj_w), G(m, m->t_hproj_b), m->g_he, m->head_in, P(m, m->t_hproj_w), BT, C, E);
    }
    if (c->pooler) {
        real *dpre = m->g_pool, *dpin = m->g_pool + (long)B * C;
        for (int b = 0; b < B; b++)
            for (int i = 0; i < C; i++) {
                real y = m->pooled[(long)b * C + i];
                dpre[(long)b * C + i] = m->g_head_in[(long)b * T * C + i] * (1 - y * y);
                m->g_head_in[(long)b * T * C + i] = 0;
            }
        linear_backward(dpin, 0, G(m, m->t_pool_w), G(m, m->t_pool_b), dpre, m->pool_in, P(m, m->t_pool_w), B, C, C);
        for (int b = 0; b < B; b++) axpy(m->g_head_in + (long)b * T * C, dpin + (long)b * C, 1, C);
    }
    if (c->final_ln) {
        sb_zero(m->g_res, (long)BT * C);
        layernorm_backward(m->g_res, G(m, m->t_lnf_w), G(m, m->t_lnf_b), m->g_head_in, m->la[m->N - 1].out,
                           P(m, m->t_lnf_w), m->lnf_mean, m->lnf_rstd, BT, C);
    } else {
        memcpy(m->g_res, m->g_head_in, sizeof(real) * BT * C);
    }
    /* a looped model: the injected input's gradient is every loop's, added where the core first reads it */
    if (m->g_inj) sb_zero(m->g_inj, (long)BT * C);
    int lo, top, lck = sb_sharing_lckv(&m->sh, &lo, &top);
    for (int l = m->N - 1; l >= 0; l--) {
        if (lck && l == top) {   /* LCKV's condensed depths, through its graded passes (lckv.c) */
            sb_lckv_backward(m);
            l = lo;
            continue;
        }
        layer_backward(m, l);
        sb_mor_backward(m, l);
        sb_act_backward(m, l);
        if (!m->g_inj) continue;
        if (sb_sharing_injects(&m->sh, l)) axpy(m->g_inj, m->g_res, 1, (long)BT * C);
        if (l == m->sh.loop_prelude) axpy(m->g_res, m->g_inj, 1, (long)BT * C);
    }
    deferred_weight_grads(m);
    /* embeddings */
    real *de = m->g_res;
    if (E != C) {
        linear_backward(m->g_e, 0, G(m, m->t_eproj_w), G(m, m->t_eproj_b), m->g_res, m->emb_n, P(m, m->t_eproj_w), BT, E, C);
        de = m->g_e;
    }
    if (c->embed_ln) {
        sb_zero(m->g_emb, (long)BT * E);
        layernorm_backward(m->g_emb, G(m, m->t_eln_w), G(m, m->t_eln_b), de, m->emb, P(m, m->t_eln_w), m->emb_mean, m->emb_rstd, BT, E);
        de = m->g_emb;
    }
    memcpy(m->g_tok, de, sizeof(real) * BT * E);
    real *dwte = G(m, m->t_tok), *dwpe = G(m, m->t_pos), *dwtt = G(m, m->t_type);
    for (int r = 0; r < BT; r++) {   /* serial: rows may share a token, and the sum order must not vary */
        const real *d = de + (long)r * E;
        axpy(dwte + (long)m->tok[r] * E, d, 1, E);
        if (dwpe) axpy(dwpe + (long)(r % T) * E, d, 1, E);
        if (dwtt) axpy(dwtt + (long)m->typ[r] * E, d, 1, E);
    }
    if (m->dgrad) reduce_depths(m);
}

/* For lckv.c: a depth's backward, and a block matrix's. */
void sb_layer_backward(sb_model *m, int l) { layer_backward(m, l); }

void sb_block_backward(sb_model *m, int l, int k, real *dx, real dx_beta, const real *dy, const real *x, int R)
{
    block_backward(m, l, k, dx, dx_beta, dy, x, R);
}
