/*
** model.c: a transformer with shared blocks, built: its tensor table, its
** parameters and activations carved from one buffer each, the memory plan,
** creation and initialisation, lookup, and copying or remapping parameters
** between models. The forward pass is model_forward.c, the backward
** model_backward.c; the three share the inside of sb_model through
** model_internal.h.
**
** Layout. Every unique tensor is a row of a table (name, shape, offset); the
** parameters, gradients and optimizer moments are each one buffer indexed by
** the same offsets. Blocks (attention, key/value, feed-forward) are numbered
** by the sharing map; per-depth views hold pointers into them, so a depth
** reads its block's weights and adds its gradient into its block's gradient.
**
** Depth slots. When per-depth contributions are needed (tracking, lowrank,
** hyper, or a depth gradient rescaling) every depth gets a slot laid out like
** one attention + key/value + feed-forward block. Backward writes each depth's
** gradient into its slot; reduce_depths() (model_backward.c) then forms the
** contributions to the shared weights and sums them (rescaled when asked). For
** lowrank and hyper a second set of slots holds each depth's effective
** weights, built at the start of the forward (model_forward.c): W_l = W + B_l
** A_l (Bae et al. 2025) or W_l = diag(r_l) W diag(s_l) with (r_l, s_l) = 1 +
** MLP(z_l) (functional sharing, as Subformer's per-layer modulation, generated
** like HyperFormer's weights).
**
** Shared blocks. The weight gradient of a matrix whose block serves several
** depths is one product over all of them: dW = sum_l dY_l^T X_l is dY^T X
** with the depths' rows stacked, K = depths x B x T rows instead of one
** product of B x T rows per depth, which runs nearer the BLAS's peak and
** reads and writes dW once. So the inputs of the block matrices are laid out
** one array per kind over every depth, its depths in block order (grouped by
** block, then by depth), the output gradients of such matrices are kept per
** depth in the same order, and the backward leaves their weight gradients to
** one pass after the last depth (deferred_weight_grads, model_backward.c).
** Only where one depth's product is small (under DEFER_FLOPS: S1's and S2's,
** not S3's, whose products of 2048 rows already run at the BLAS's rate, so
** that keeping every depth's output gradients, (depths - 1) x B x T x (3C + F)
** more floats, buys nothing there); not with per-depth contributions
** (tracking, lowrank, hyper, gradient rescaling), which need each depth's
** product apart, nor for factorised matrices.
*/
#include "model_internal.h"
#include "ops.h"
#include "rng.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>

const char *const sb_comp_names[SB_COMP_COUNT] = {
    "embedding", "embedding projection", "position", "attention", "key/value", "feed-forward",
    "layernorm", "per-layer scale/bias", "low-rank corrections", "hypernetwork", "basis coefficients", "router", "pooler", "head"
};

/* ---------------------------------------------------------------- layout */

static int add_tensor(sb_model *m, int comp, int block, int layer, int rows, int cols, const char *fmt, ...)
{
    if (m->nt == m->cap) {
        int cap = m->cap ? 2 * m->cap : 64;
        sb_tensor *t = realloc(m->tensors, sizeof *t * cap);
        if (!t) return -1;
        m->tensors = t;
        m->cap = cap;
    }
    sb_tensor *t = &m->tensors[m->nt];
    memset(t, 0, sizeof *t);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->name, sizeof t->name, fmt, ap);
    va_end(ap);
    t->ndim = cols ? 2 : 1;
    t->shape[0] = rows;
    t->shape[1] = cols ? cols : 1;
    t->numel = (long)rows * (cols ? cols : 1);
    t->offset = m->n_params;
    t->comp = comp;
    t->block = block;
    t->layer = layer;
    t->decay = cols != 0; /* nanoGPT's rule: decay matrices, not vectors */
    t->uses = 1;
    t->slot_off = -1;
    m->n_params += t->numel;
    return m->nt++;
}

static int is_kv(int k) { return k == M_WK || k == M_WV; }
int sb_mat_part(int k) { return is_kv(k) ? 1 : (k == M_W1 || k == M_W2) ? 2 : 0; }

/* Add the tensors of one block of a part (0 attention, 1 key/value, 2 feed-forward)
** and record their offsets inside a depth slot (the same for every block).
** mu[j]: the depths computing with the part's matrix j; a matrix none computes
** with is left out (v_share's values, attn_reuse's queries and keys), its
** place in the slot kept so the others' offsets stay those of a whole block. */
static int add_block(sb_model *m, int part, int b, int uses, const int mu[2])
{
    static const int parts[3][2] = { { M_WQ, M_WO }, { M_WK, M_WV }, { M_W1, M_W2 } };
    static const char *const prefix[3] = { "attn", "kv", "ffn" };
    static const int comp[3] = { SB_COMP_ATTN, SB_COMP_KV, SB_COMP_FFN };
    long start = m->n_params, skipped = 0;
    for (int j = 0; j < 2; j++) {
        int k = parts[part][j], O = sb_mat_out(m, k), I = sb_mat_in(m, k), first = m->nt;
        if (!mu[j]) {
            skipped += ((m->fmask >> k & 1) ? (long)m->Rf * ((m->basis ? 0 : O) + I) : (long)O * I) + O;
            continue;
        }
        long base = m->part_off[part] + skipped - start;   /* slot offset = base + the tensor's offset */
        if (m->fmask >> k & 1) {
            /* factor:R: W = U Vt, U (O,R) and Vt (R,I), each a linear layer in PyTorch's layout; basis:R: Vt alone,
            ** the basis its depths share (their U are theirs: build_tensors) */
            int tu = m->basis ? 0 : add_tensor(m, comp[part], b, -1, O, m->Rf, "%s.%d.%s.u", prefix[part], b, mat_names[k]);
            int tv = add_tensor(m, comp[part], b, -1, m->Rf, I, "%s.%d.%s.vt", prefix[part], b, mat_names[k]);
            if (tu < 0 || tv < 0) return -1;
            if (!m->basis) m->u_off[k] = base + m->tensors[tu].offset;
            m->vt_off[k] = base + m->tensors[tv].offset;
        } else {
            int tw = add_tensor(m, comp[part], b, -1, O, I, "%s.%d.%s", prefix[part], b, mat_names[k]);
            if (tw < 0) return -1;
            m->mat_off[k] = base + m->tensors[tw].offset;
        }
        int tb = add_tensor(m, comp[part], b, -1, O, 0, "%s.%d.%s", prefix[part], b, bias_names[k]);
        if (tb < 0) return -1;
        m->bias_off[k] = base + m->tensors[tb].offset;
        for (int i = first; i < m->nt; i++) {
            m->tensors[i].uses = mu[j];
            m->tensors[i].slot_off = base + m->tensors[i].offset;
        }
    }
    if (part != 1 && m->c.ln_shared) {
        long base = m->part_off[part] + skipped - start;
        int tw = add_tensor(m, SB_COMP_LAYERNORM, b, -1, m->C, 0, "%s.%d.ln.w", prefix[part], b);
        int tb = add_tensor(m, SB_COMP_LAYERNORM, b, -1, m->C, 0, "%s.%d.ln.b", prefix[part], b);
        if (tw < 0 || tb < 0) return -1;
        m->ln_off[part ? 1 : 0] = base + m->tensors[tw].offset;
        for (int i = tw; i <= tb; i++) {
            m->tensors[i].uses = uses;
            m->tensors[i].slot_off = base + m->tensors[i].offset;
        }
    }
    return 0;
}

static int uses_of(const int *map, int n, int b)
{
    int u = 0;
    for (int i = 0; i < n; i++) u += map[i] == b;
    return u;
}

/* The depths computing with each matrix of block b of a part: all the block's depths, except that values are
** computed where v_src[i] == i (v_share) and queries and keys where a_src[i] == i (attn_reuse). */
static void matrix_uses(const sb_sharing *sh, int part, int b, int mu[2])
{
    const int *map = part == 0 ? sh->attn : part == 1 ? sh->kv : sh->ffn;
    mu[0] = mu[1] = 0;
    for (int i = 0; i < sh->layers; i++)
        if (map[i] == b) {
            mu[0] += part == 2 || sh->a_src[i] == i;      /* wq, wk, w1 */
            mu[1] += part != 1 || sh->v_src[i] == i;      /* wo, wv, w2 */
        }
}

/* Build the tensor table. Returns 0, or -1 on allocation failure. */
static int build_tensors(sb_model *m)
{
    const sb_config *c = &m->c;
    int N = m->N, C = m->C, E = m->E, NB = c->rel_buckets;
    m->t_tok = add_tensor(m, SB_COMP_EMBED, -1, -1, m->V, E, "embed.tok");
    m->t_pos = c->pos == SB_POS_LEARNED ? add_tensor(m, SB_COMP_EMBED, -1, -1, m->P, E, "embed.pos") : -1;
    m->t_type = c->type_vocab ? add_tensor(m, SB_COMP_EMBED, -1, -1, c->type_vocab, E, "embed.type") : -1;
    m->t_eln_w = c->embed_ln ? add_tensor(m, SB_COMP_EMBED, -1, -1, E, 0, "embed.ln.w") : -1;
    m->t_eln_b = c->embed_ln ? add_tensor(m, SB_COMP_EMBED, -1, -1, E, 0, "embed.ln.b") : -1;
    m->t_eproj_w = E != C ? add_tensor(m, SB_COMP_EMBED_PROJ, -1, -1, C, E, "embed.proj.w") : -1;
    m->t_eproj_b = E != C ? add_tensor(m, SB_COMP_EMBED_PROJ, -1, -1, C, 0, "embed.proj.b") : -1;
    m->t_relbias = c->pos == SB_POS_RELBIAS ? add_tensor(m, SB_COMP_POSITION, -1, -1, NB, m->NH, "pos.relbias") : -1;
    /* slot parts: attention, key/value, feed-forward */
    long ln = c->ln_shared ? 2L * C : 0, mn[M_COUNT];
    for (int k = 0; k < M_COUNT; k++)   /* a matrix's parameters: O x I, or R (O + I) when factorised */
        mn[k] = (m->fmask >> k & 1) ? (long)m->Rf * (sb_mat_out(m, k) + sb_mat_in(m, k)) : (long)sb_mat_out(m, k) * sb_mat_in(m, k);
    m->part_off[0] = 0;
    m->part_off[1] = mn[M_WQ] + mn[M_WO] + 2L * C + ln;
    m->part_off[2] = m->part_off[1] + mn[M_WK] + mn[M_WV] + 2L * m->Ckv;
    m->slot = m->part_off[2] + mn[M_W1] + mn[M_W2] + m->F + C + ln;
    for (int part = 0; part < 3; part++) {
        const int *map = part == 0 ? m->sh.attn : part == 1 ? m->sh.kv : m->sh.ffn;
        for (int b = 0, nb = part == 0 ? m->sh.n_attn : part == 1 ? m->sh.n_kv : m->sh.n_ffn; b < nb; b++) {
            int mu[2];
            matrix_uses(&m->sh, part, b, mu);
            if (add_block(m, part, b, uses_of(map, N, b), mu)) return -1;
        }
    }
    for (int l = 0; l < N; l++) {
        if (!c->ln_shared) {
            add_tensor(m, SB_COMP_LAYERNORM, -1, l, C, 0, "layer.%d.ln1.w", l);
            add_tensor(m, SB_COMP_LAYERNORM, -1, l, C, 0, "layer.%d.ln1.b", l);
            add_tensor(m, SB_COMP_LAYERNORM, -1, l, C, 0, "layer.%d.ln2.w", l);
            add_tensor(m, SB_COMP_LAYERNORM, -1, l, C, 0, "layer.%d.ln2.b", l);
        }
        if (c->layerscale) {
            add_tensor(m, SB_COMP_LAYER, -1, l, C, 0, "layer.%d.ls1", l);
            add_tensor(m, SB_COMP_LAYER, -1, l, C, 0, "layer.%d.ls2", l);
        }
        if (c->layer_pos_bias) add_tensor(m, SB_COMP_LAYER, -1, l, NB, m->NH, "layer.%d.posbias", l);
    }
    if (m->R)
        for (int l = 0; l < N; l++)
            for (int k = 0; k < M_COUNT; k++) {
                if ((is_kv(k) && m->sh.kv[l] < 0) || (k == M_WV && m->sh.v_src[l] != l)) continue;
                add_tensor(m, SB_COMP_LOWRANK, -1, l, m->R, sb_mat_in(m, k), "layer.%d.lora.%s.a", l, mat_names[k]);
                add_tensor(m, SB_COMP_LOWRANK, -1, l, sb_mat_out(m, k), m->R, "layer.%d.lora.%s.b", l, mat_names[k]);
            }
    if (m->basis)   /* Basis Sharing: W_l = U_l Vt, each depth's coefficients over its block's basis */
        for (int l = 0; l < N; l++)
            for (int k = 0; k < M_COUNT; k++) {
                if ((is_kv(k) && m->sh.kv[l] < 0) || (k == M_WV && m->sh.v_src[l] != l)) continue;
                if (add_tensor(m, SB_COMP_BASIS, -1, l, sb_mat_out(m, k), m->Rf, "layer.%d.basis.%s.u", l, mat_names[k]) < 0) return -1;
            }
    m->t_hz = m->t_hw1 = m->t_hb1 = m->t_hw2 = m->t_hb2 = -1;
    if (m->D) {
        m->M = 0;
        for (int k = 0; k < M_COUNT; k++) {
            m->mod_off[k][0] = m->M;
            m->mod_off[k][1] = m->M + sb_mat_out(m, k);
            m->M += sb_mat_out(m, k) + sb_mat_in(m, k);
        }
        m->t_hz = add_tensor(m, SB_COMP_HYPER, -1, -1, N, m->D, "hyper.z");
        m->t_hw1 = add_tensor(m, SB_COMP_HYPER, -1, -1, m->D, m->D, "hyper.w1");
        m->t_hb1 = add_tensor(m, SB_COMP_HYPER, -1, -1, m->D, 0, "hyper.b1");
        m->t_hw2 = add_tensor(m, SB_COMP_HYPER, -1, -1, m->M, m->D, "hyper.w2");
        m->t_hb2 = add_tensor(m, SB_COMP_HYPER, -1, -1, m->M, 0, "hyper.b2");
    }
    /* mor: the router of Mixture-of-Recursions, r scores of the core's input (mor.c) */
    m->t_router = m->sh.mor ? add_tensor(m, SB_COMP_ROUTER, -1, -1, m->sh.loops, C, "mor.router") : -1;
    /* act: the Universal Transformer's halting unit, sigmoid(w . s + b) (act.c) */
    m->t_halt_w = m->sh.act ? add_tensor(m, SB_COMP_ROUTER, -1, -1, 1, C, "act.halt.w") : -1;
    m->t_halt_b = m->sh.act ? add_tensor(m, SB_COMP_ROUTER, -1, -1, 1, 0, "act.halt.b") : -1;
    m->t_lnf_w = c->final_ln ? add_tensor(m, SB_COMP_LAYERNORM, -1, -1, C, 0, "final.ln.w") : -1;
    m->t_lnf_b = c->final_ln ? add_tensor(m, SB_COMP_LAYERNORM, -1, -1, C, 0, "final.ln.b") : -1;
    m->t_pool_w = c->pooler ? add_tensor(m, SB_COMP_POOLER, -1, -1, C, C, "pooler.w") : -1;
    m->t_pool_b = c->pooler ? add_tensor(m, SB_COMP_POOLER, -1, -1, C, 0, "pooler.b") : -1;
    m->t_hproj_w = c->tied && E != C ? add_tensor(m, SB_COMP_HEAD, -1, -1, E, C, "head.proj.w") : -1;
    m->t_hproj_b = c->tied && E != C ? add_tensor(m, SB_COMP_HEAD, -1, -1, E, 0, "head.proj.b") : -1;
    m->t_head_w = !c->tied ? add_tensor(m, SB_COMP_HEAD, -1, -1, m->V, C, "head.w") : -1;
    return m->tensors ? 0 : -1;
}

static real *take(sb_model *m, long n)
{
    long o = m->cursor;
    m->cursor += n;
    return m->arena ? m->arena + o : NULL;
}

/* Slice i of n reals of an array carved for every depth (NULL while counting). */
static real *slice(const sb_model *m, real *base, long i, long n)
{
    return m->arena ? base + i * n : NULL;
}

/* Where depth l comes in the block order of part (0 attention, 1 key/value,
** 2 feed-forward); 0 for a depth without a key/value block of its own. */
static int block_pos(const sb_model *m, int part, int l)
{
    for (int i = 0; i < m->n_ord[part]; i++)
        if (m->ord[part][i] == l) return i;
    return 0;
}

/* A weight-gradient product of fewer FLOPs than this, one depth's, waits to
** be one product over its block's depths. Off (0) until it is shown to pay:
** it costs (depths - 1) x B x T x (3C + F) floats of scratch (15% more
** training memory for the smoke sweep's shared modes, more than `none` needs
** at S1), and on one and two threads it measured no faster; its purpose is
** many cores (1L << 29 keeps S1's and S2's products, not S3's), where it is
** not yet measured. The double-precision build the tests use turns it on
** (-DSB_DEFER_FLOPS), so tests/test_model_f64.c checks the path. */
#ifdef SB_DEFER_FLOPS
#define DEFER_FLOPS SB_DEFER_FLOPS
#else
#define DEFER_FLOPS 0L
#endif

/* Each part's depths in block order, and which matrices' weight gradients wait
** for all their depths: those of a part with a block used at several depths,
** whose product at one depth is under DEFER_FLOPS, unless per-depth
** contributions are kept or the matrix is factorised; for the matrices reading
** LN1's or LN2's output, not post-LN (whose inputs are the residual stream, not
** laid out in block order). */
static void order_depths(sb_model *m)
{
    long rows = (long)m->Bmax * m->Tmax;
    for (int part = 0; part < 3; part++) {
        const int *map = part == 0 ? m->sh.attn : part == 1 ? m->sh.kv : m->sh.ffn;
        int nb = part == 0 ? m->sh.n_attn : part == 1 ? m->sh.n_kv : m->sh.n_ffn, n = 0, shared = 0;
        for (int b = 0; b < nb; b++) {
            int uses = 0;
            for (int l = 0; l < m->N; l++)
                if (map[l] == b) { m->ord[part][n++] = l; uses++; }
            shared |= uses > 1;
        }
        m->n_ord[part] = n;
        for (int k = 0; k < M_COUNT; k++)
            if (sb_mat_part(k) == part)
                m->defer[k] = shared && 2 * rows * sb_mat_out(m, k) * sb_mat_in(m, k) < DEFER_FLOPS && !m->depth_mode &&
                              !(m->fmask >> k & 1) && !(m->c.post_ln && k != M_WO && k != M_W2) &&
                              !(k == M_WV && m->sh.v_share > 1) &&   /* value depths are not the key/value part's order */
                              !((k == M_WQ || k == M_WK) && m->sh.attn_reuse > 1) &&  /* nor the depths computing maps */
                              m->sh.lckv < 0;   /* lckv runs its depths' backward once per graded pass */
    }
}

/* Carve activations, then scratch, from the arena (or only count when it is NULL). */
static void carve(sb_model *m)
{
    const sb_config *c = &m->c;
    long BT = (long)m->Bmax * m->Tmax, BC = BT * m->C, BE = BT * m->E, BF = BT * m->F, BK = BT * m->Ckv;
    long att = (long)m->Bmax * m->NH * m->Tmax * m->Tmax;
    m->cursor = 0;
    m->emb_tok = take(m, BE);
    m->emb = take(m, BE);
    m->emb_n = c->embed_ln ? take(m, BE) : m->emb;
    m->emb_mean = c->embed_ln ? take(m, BT) : NULL;
    m->emb_rstd = c->embed_ln ? take(m, BT) : NULL;
    m->x0 = take(m, BC);
    real *x = m->x0;
    /* the block matrices' inputs, each kind one array over the depths in block order */
    real *in_a = c->post_ln ? NULL : take(m, m->N * BC), *in_attv = take(m, m->N * BC);
    real *in_f = c->post_ln ? NULL : take(m, m->N * BC), *in_fcg = take(m, m->N * BF);
    for (int l = 0; l < m->N; l++) {
        layer_acts *a = &m->la[l];
        if (sb_sharing_injects(&m->sh, l) || sb_mor_mixes(&m->sh, l) || sb_act_mixes(&m->sh, l)) x = take(m, BC);   /* the previous output plus the prelude's, or mor's mixture */
        a->x = x;
        a->a = c->post_ln ? x : slice(m, in_a, block_pos(m, 0, l), BC);
        a->ln1_mean = take(m, BT);
        a->ln1_rstd = take(m, BT);
        a->q = take(m, BC);
        /* lckv's depths below the top one: the carried keys and values, pointed to each pass (lckv.c) */
        a->k = m->sh.kv[l] >= 0 ? take(m, BK) : m->sh.kv_src[l] > l ? NULL : m->la[m->sh.kv_src[l]].k;
        a->v = m->sh.v_src[l] == l ? take(m, BK) : m->sh.v_src[l] > l ? NULL : m->la[m->sh.v_src[l]].v;
        a->att = m->sh.a_src[l] == l ? take(m, att) : m->la[m->sh.a_src[l]].att;   /* attn_reuse: the map's depth's */
        a->attv = slice(m, in_attv, block_pos(m, 0, l), BC);
        a->ao = take(m, BC);
        a->z1 = take(m, BC);
        a->h1 = c->post_ln ? take(m, BC) : a->z1;
        a->f = c->post_ln ? a->h1 : slice(m, in_f, block_pos(m, 2, l), BC);
        a->ln2_mean = take(m, BT);
        a->ln2_rstd = take(m, BT);
        a->fc = take(m, BF);
        a->fcg = slice(m, in_fcg, block_pos(m, 2, l), BF);
        a->fo = take(m, BC);
        a->z2 = take(m, BC);
        a->out = c->post_ln ? take(m, BC) : a->z2;
        for (int k = 0; k < M_COUNT; k++)
            a->ft[k] = (m->fmask >> k & 1) && (!is_kv(k) || m->sh.kv[l] >= 0) ? take(m, BT * m->Rf) : NULL;
        x = a->out;
    }
    m->lnf = c->final_ln ? take(m, BC) : x;
    m->lnf_mean = c->final_ln ? take(m, BT) : NULL;
    m->lnf_rstd = c->final_ln ? take(m, BT) : NULL;
    m->pool_in = c->pooler ? take(m, (long)m->Bmax * m->C) : NULL;
    m->pooled = c->pooler ? take(m, (long)m->Bmax * m->C) : NULL;
    m->head_in = c->pooler ? take(m, BC) : m->lnf;
    m->he = m->t_hproj_w >= 0 ? take(m, BE) : m->head_in;
    m->probs = take(m, BT * m->V);
    m->losses = take(m, BT);
    m->bias = m->pos_bias_any ? take(m, (long)m->NH * m->Tmax * m->Tmax) : NULL;
    long BR = m->sh.mor ? BT * m->sh.loops : 0;
    m->mor_logits = m->sh.mor ? take(m, BR) : NULL;
    m->mor_probs = m->sh.mor ? take(m, BR) : NULL;
    m->mor_depth = m->sh.mor ? take(m, BT) : NULL;
    m->mor_gate = m->sh.mor ? take(m, BT) : NULL;
    m->mor_kbias = m->sh.mor ? take(m, BT) : NULL;
    m->mor_sel = m->sh.mor ? take(m, BC) : NULL;
    long BA = m->sh.act ? BT * m->sh.loops : 0;
    m->act_p = m->sh.act ? take(m, BA) : NULL;
    m->act_u = m->sh.act ? take(m, BA) : NULL;
    m->act_run = m->sh.act ? take(m, BA) : NULL;
    m->act_halt = m->sh.act ? take(m, BA) : NULL;
    m->act_h = m->sh.act ? take(m, BT) : NULL;
    m->act_rem = m->sh.act ? take(m, BT) : NULL;
    m->act_n = m->sh.act ? take(m, BT) : NULL;
    m->act_y = m->sh.act ? take(m, BA * m->C) : NULL;
    int lck = m->sh.lckv >= 0;
    m->lck_kin = lck ? take(m, 2L * SB_LCKV_B * BK) : NULL;
    m->lck_kbias = lck ? take(m, BT) : NULL;
    m->hyp_h = m->D ? take(m, (long)m->N * m->D) : NULL;
    m->hyp_m = m->D ? take(m, (long)m->N * m->M) : NULL;
    m->n_acts = m->cursor;
    /* backward scratch */
    m->g_res = take(m, BC);
    m->g_1 = take(m, BC);
    m->g_a = take(m, BC);
    m->g_o = take(m, BC);
    m->g_attv = take(m, BC);
    /* output gradients: per depth in block order where the weight gradient waits, else one scratch */
    m->g_q = m->defer[M_WQ] ? NULL : take(m, BC);
    m->g_fc = m->defer[M_W1] ? NULL : take(m, BF);
    real *gq = m->defer[M_WQ] ? take(m, m->N * BC) : NULL, *gao = m->defer[M_WO] ? take(m, m->N * BC) : NULL;
    real *gfc = m->defer[M_W1] ? take(m, m->N * BF) : NULL, *gfo = m->defer[M_W2] ? take(m, m->N * BC) : NULL;
    real *gk = take(m, m->n_ord[1] * BK), *gv = take(m, m->n_ord[1] * BK);
    m->lck_gk = lck ? take(m, BK) : NULL;
    m->lck_gv = lck ? take(m, BK) : NULL;
    m->lck_gx = lck ? take(m, BC) : NULL;
    for (int l = 0; l < m->N; l++) {
        m->g_qd[l] = gq ? slice(m, gq, block_pos(m, 0, l), BC) : m->g_q;
        m->g_aod[l] = gao ? slice(m, gao, block_pos(m, 0, l), BC) : NULL;
        m->g_fcd[l] = gfc ? slice(m, gfc, block_pos(m, 2, l), BF) : m->g_fc;
        m->g_fod[l] = gfo ? slice(m, gfo, block_pos(m, 2, l), BC) : NULL;
        m->g_k[l] = m->sh.kv[l] >= 0 ? slice(m, gk, block_pos(m, 1, l), BK) : m->sh.kv_src[l] > l ? m->lck_gk : m->g_k[m->sh.kv_src[l]];
        m->g_v[l] = m->sh.v_src[l] == l ? slice(m, gv, block_pos(m, 1, l), BK) : m->sh.v_src[l] > l ? m->lck_gv : m->g_v[m->sh.v_src[l]];
    }
    m->g_att = take(m, att);
    m->g_attr = m->sh.attn_reuse > 1 ? take(m, att) : NULL;
    m->g_e = take(m, BE);
    m->g_emb = take(m, BE);
    m->g_tok = take(m, BE);
    m->g_he = take(m, BE);
    m->g_head_in = take(m, BC);
    m->g_logits = take(m, BT * m->V);
    m->g_bias = m->pos_bias_any ? take(m, (long)m->NH * m->Tmax * m->Tmax) : NULL;
    m->g_gate = take(m, (long)m->N * m->Bmax * m->NH);
    m->g_m = m->D ? take(m, m->M + 2L * m->D) : NULL;
    m->g_pool = c->pooler ? take(m, 2L * m->Bmax * m->C) : NULL;
    m->g_ft = m->Rf ? take(m, BT * m->Rf) : NULL;
    m->g_inj = m->sh.loops > 1 && !m->sh.mor ? take(m, BC) : NULL;
    m->g_mor_h1 = m->sh.mor ? take(m, BC) : NULL;
    m->g_mor_sel = m->sh.mor ? take(m, BC) : NULL;
    m->g_mor_z = m->sh.mor ? take(m, BR) : NULL;
    m->g_act = m->sh.act ? take(m, BC) : NULL;
    m->g_act_out = m->sh.act ? take(m, BA * m->C) : NULL;
    m->g_act_u = m->sh.act ? take(m, BA) : NULL;
    m->eff = (m->R || m->D) ? take(m, m->slot * m->N) : NULL;
    m->dgrad = m->depth_mode ? take(m, m->slot * m->N) : NULL;
    m->n_scratch = m->cursor - m->n_acts;
}

/* Refuse a shape whose buffers could not be counted in longs (nor allocated on
** any machine): estimated in doubles first, every buffer carve() takes at its
** largest, so that the exact counts that follow cannot overflow. */
static int too_large(const sb_config *c, int B, int T, char *err, size_t errlen)
{
    double BT = (double)B * T, C = c->width, F = c->ffn, N = c->layers, H = c->heads;
    double E = c->embed ? c->embed : C, slot = 4 * C * C + 2 * C * F + 10 * C + 2 * F;
    double params = (double)c->vocab * E + E * C + ((double)c->max_len + c->type_vocab) * C + 3 * N * slot;
    double acts = N * (20 * BT * C + 4 * BT * F + 2 * B * H * (double)T * T + 8 * BT) + 8 * BT * E +
                  2 * BT * c->vocab + 2 * H * (double)T * T + 2 * N * slot;
    double bytes = (4 * params + acts) * sizeof(real);
    if (bytes < 0x1p56) return 0;
    snprintf(err, errlen, "batch=%d, length=%d with width=%d, layers=%d, vocab=%d: one training step would need about %.0f PiB, "
             "more than any machine has", B, T, c->width, c->layers, c->vocab, bytes / 0x1p50);
    return -1;
}

/* Fill the sizes of a model without allocating its buffers. */
static int setup(sb_model *m, const sb_config *c, const sb_sharing *sh, int B, int T, int track, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    if (!sb_sharing_for(sh, c)) {
        snprintf(err, errlen, "sharing='%s': resolved for another configuration; resolve this one (sb_sharing_resolve)", c->sharing);
        return -1;
    }
    if (B < 1 || T < 1) { snprintf(err, errlen, "batch=%d, length=%d: both must be at least 1", B, T); return -1; }
    if (T > c->max_len) {
        snprintf(err, errlen, "length %d is above the %d positions the model has (max_len); raise max_len or shorten the sequences", T, c->max_len);
        return -1;
    }
    if (too_large(c, B, T, err, errlen)) return -1;
    m->c = *c;
    m->sh = *sh;
    m->Bmax = B; m->Tmax = T; m->N = c->layers; m->C = c->width; m->E = c->embed ? c->embed : c->width;
    m->V = c->vocab; m->F = c->ffn; m->NH = c->heads; m->G = c->kv_heads ? c->kv_heads : c->heads;
    m->hd = m->C / m->NH; m->Ckv = m->G * m->hd; m->P = c->max_len; m->R = m->sh.lowrank; m->D = m->sh.hyper;
    m->basis = m->sh.basis > 0;
    m->Rf = m->basis ? m->sh.basis : c->factor;
    m->fmask = m->basis ? (1 << M_COUNT) - 1 : c->factor ? sb_config_factor_mask(c, err, errlen) : 0;
    m->track = track;
    m->depth_mode = track || m->R || m->D || c->grad_scale != SB_GRADSCALE_NONE;
    m->pos_bias_any = c->pos == SB_POS_RELBIAS || c->layer_pos_bias;
    if (build_tensors(m)) { snprintf(err, errlen, "out of memory building the tensor table"); return -1; }
    order_depths(m);
    carve(m);
    return 0;
}

int sb_model_plan(const sb_config *c, int B, int T, int track, long *n_params, sb_memory *mem, char *err, size_t errlen)
{
    sb_sharing sh;
    return sb_sharing_resolve(c, &sh, err, errlen) ? -1 : sb_model_plan_with(c, &sh, B, T, track, n_params, mem, err, errlen);
}

int sb_model_plan_with(const sb_config *c, const sb_sharing *sh, int B, int T, int track, long *n_params, sb_memory *mem,
                       char *err, size_t errlen)
{
    sb_model *m = calloc(1, sizeof *m);
    if (!m) { snprintf(err, errlen, "out of memory"); return -1; }
    int rc = setup(m, c, sh, B, T, track, err, errlen);
    if (!rc) {
        if (n_params) *n_params = m->n_params;
        if (mem) sb_model_memory(m, mem);
    }
    free(m->tensors);
    free(m);
    return rc;
}

void sb_model_memory(const sb_model *m, sb_memory *mem)
{
    mem->params = m->n_params * (long)sizeof(real);
    mem->grads = mem->params;
    mem->optim = 2 * mem->params;
    mem->acts = m->n_acts * (long)sizeof(real);
    mem->scratch = m->n_scratch * (long)sizeof(real);
    mem->total_params = mem->shared_every = 0;
    memset(mem->comp, 0, sizeof mem->comp);
    memset(mem->comp_every, 0, sizeof mem->comp_every);
    for (int i = 0; i < m->nt; i++) {
        const sb_tensor *t = &m->tensors[i];
        mem->total_params += t->numel * t->uses;
        if (t->block >= 0 && t->uses > 1) mem->shared_every += t->numel * t->uses;
        mem->comp[t->comp] += t->numel;
        mem->comp_every[t->comp] += t->numel * t->uses;
    }
}

/* Per-depth views: parameters, and where each depth's gradient goes. */
static void bind_views(sb_model *m)
{
    for (int l = 0; l < m->N; l++) {
        layer_view *p = &m->lp[l], *g = &m->lg[l];
        memset(p, 0, sizeof *p);
        memset(g, 0, sizeof *g);
        for (int k = 0; k < M_COUNT; k++) {
            int part = sb_mat_part(k);
            int blk = part == 0 ? m->sh.attn[l] : part == 1 ? m->sh.kv[l] : m->sh.ffn[l];
            p->ti[k] = g->ti[k] = -1;
            if (blk < 0 || (k == M_WV && m->sh.v_src[l] != l) || ((k == M_WQ || k == M_WK) && m->sh.a_src[l] != l)) continue;
            char name[48];
            int fac = m->fmask >> k & 1;
            snprintf(name, sizeof name, "%s.%d.%s%s", part == 0 ? "attn" : part == 1 ? "kv" : "ffn", blk, mat_names[k],
                     !fac ? "" : m->basis ? ".vt" : ".u");
            int ti = sb_model_tensor_find(m, name);
            const sb_tensor *t = &m->tensors[ti], *tb = &m->tensors[ti + 1 + (fac && !m->basis)];   /* the bias follows its matrix */
            p->ti[k] = g->ti[k] = ti;
            p->b[k] = m->params + tb->offset;
            g->b[k] = m->grads + tb->offset;
            if (fac && m->basis) {
                snprintf(name, sizeof name, "layer.%d.basis.%s.u", l, mat_names[k]);
                long uo = m->tensors[sb_model_tensor_find(m, name)].offset;
                p->u[k] = m->params + uo;   /* the depth's own: its gradient never goes through the depth slots */
                g->u[k] = m->grads + uo;
                p->vt[k] = m->params + t->offset;
                g->vt[k] = m->grads + t->offset;
            } else if (fac) {
                p->u[k] = m->params + t->offset;
                p->vt[k] = m->params + t[1].offset;
                g->u[k] = m->grads + t->offset;
                g->vt[k] = m->grads + t[1].offset;
            } else {
                p->w[k] = m->params + t->offset;
                g->w[k] = m->grads + t->offset;
            }
            if (m->eff) p->w[k] = m->eff + l * m->slot + m->mat_off[k];
            if (m->dgrad) {
                if (fac) {
                    if (!m->basis) g->u[k] = m->dgrad + l * m->slot + m->u_off[k];
                    g->vt[k] = m->dgrad + l * m->slot + m->vt_off[k];
                } else {
                    g->w[k] = m->dgrad + l * m->slot + m->mat_off[k];
                }
                g->b[k] = m->dgrad + l * m->slot + m->bias_off[k];
            }
            if (m->R) {
                snprintf(name, sizeof name, "layer.%d.lora.%s.a", l, mat_names[k]);
                int ia = sb_model_tensor_find(m, name);
                p->la[k] = m->params + m->tensors[ia].offset;
                g->la[k] = m->grads + m->tensors[ia].offset;
                p->lb[k] = m->params + m->tensors[ia + 1].offset;
                g->lb[k] = m->grads + m->tensors[ia + 1].offset;
            }
        }
        char name[48];
        if (m->c.ln_shared) {
            int ia, ifn;
            snprintf(name, sizeof name, "attn.%d.ln.w", m->sh.attn[l]);
            ia = sb_model_tensor_find(m, name);
            snprintf(name, sizeof name, "ffn.%d.ln.w", m->sh.ffn[l]);
            ifn = sb_model_tensor_find(m, name);
            p->ln1w = m->params + m->tensors[ia].offset; p->ln1b = p->ln1w + m->C;
            p->ln2w = m->params + m->tensors[ifn].offset; p->ln2b = p->ln2w + m->C;
            if (m->dgrad) {
                g->ln1w = m->dgrad + l * m->slot + m->ln_off[0];
                g->ln2w = m->dgrad + l * m->slot + m->ln_off[1];
            } else {
                g->ln1w = m->grads + m->tensors[ia].offset;
                g->ln2w = m->grads + m->tensors[ifn].offset;
            }
            g->ln1b = g->ln1w + m->C; g->ln2b = g->ln2w + m->C;
        } else {
            snprintf(name, sizeof name, "layer.%d.ln1.w", l);
            long o = m->tensors[sb_model_tensor_find(m, name)].offset; /* ln1.w ln1.b ln2.w ln2.b in a row */
            p->ln1w = m->params + o; p->ln1b = p->ln1w + m->C; p->ln2w = p->ln1b + m->C; p->ln2b = p->ln2w + m->C;
            g->ln1w = m->grads + o; g->ln1b = g->ln1w + m->C; g->ln2w = g->ln1b + m->C; g->ln2b = g->ln2w + m->C;
        }
        if (m->c.layerscale) {
            snprintf(name, sizeof name, "layer.%d.ls1", l);
            long o = m->tensors[sb_model_tensor_find(m, name)].offset;
            p->ls1 = m->params + o; p->ls2 = p->ls1 + m->C;
            g->ls1 = m->grads + o; g->ls2 = g->ls1 + m->C;
        }
        if (m->c.layer_pos_bias) {
            snprintf(name, sizeof name, "layer.%d.posbias", l);
            long o = m->tensors[sb_model_tensor_find(m, name)].offset;
            p->posbias = m->params + o;
            g->posbias = m->grads + o;
        }
    }
}

/* T5's relative-position bucket (Raffel et al. 2020, as in Hugging Face's T5Attention). */
static int t5_bucket(int rel, int bidirectional, int nb, int max_dist)
{
    int ret = 0;
    if (bidirectional) {
        nb /= 2;
        if (rel > 0) ret += nb;
        rel = rel < 0 ? -rel : rel;
    } else {
        rel = rel < 0 ? -rel : 0;
    }
    int max_exact = nb / 2;
    if (rel < max_exact) return ret + rel;
    int large = max_exact + (int)(logf((float)rel / max_exact) / logf((float)max_dist / max_exact) * (nb - max_exact));
    return ret + (large < nb - 1 ? large : nb - 1);
}

static void init_params(sb_model *m, uint64_t seed)
{
    const sb_config *c = &m->c;
    for (int i = 0; i < m->nt; i++) {
        const sb_tensor *t = &m->tensors[i];
        real *p = m->params + t->offset;
        const char *leaf = strrchr(t->name, '.') + 1;
        double std = c->init_std, fill = 0;
        int normal = t->ndim == 2;
        if (!strcmp(leaf, "wo") || !strcmp(leaf, "w2")) std = c->init_std / sqrt(2.0 * m->N); /* GPT-2 residual scaling */
        if (t->comp == SB_COMP_LAYERNORM && leaf[0] == 'w') fill = 1;
        if (!strncmp(leaf, "ls", 2)) fill = c->layerscale_init;
        if (strstr(t->name, "posbias") || strstr(t->name, "relbias")) normal = 0;
        if (m->basis && (t->comp == SB_COMP_BASIS || !strcmp(leaf, "vt"))) {
            /* basis:R from scratch: V (R x in) of variance 1/R, U_l of the dense model's, so W_l = U_l V starts as a dense
            ** layer would (variance R x 1/R x std^2), with GPT-2's residual scaling for wo and w2 */
            int resid = strstr(t->name, ".wo.") || strstr(t->name, ".w2.");
            std = leaf[0] == 'v' ? 1.0 / sqrt((double)m->Rf) : resid ? c->init_std / sqrt(2.0 * m->N) : c->init_std;
        }
        if (t->comp == SB_COMP_LOWRANK) {               /* LoRA: A random, B zero, so W_l = W at start */
            normal = leaf[0] == 'a';
            std = 1.0 / sqrt((double)t->shape[1]);
        }
        if (t->comp == SB_COMP_ROUTER && t->ndim == 1) fill = 1;   /* act's halting bias: act_halting_bias_init */
        if (t->comp == SB_COMP_HYPER) {                 /* modulation starts at exactly 1 */
            normal = !strcmp(leaf, "z") || !strcmp(leaf, "w1");
            std = !strcmp(leaf, "z") ? 1.0 : 1.0 / sqrt((double)m->D);
        }
        sb_rng r;
        sb_rng_seed(&r, seed, t->name);
        for (long j = 0; j < t->numel; j++) p[j] = (real)(normal ? std * sb_rng_normal(&r) : fill);
    }
}

sb_model *sb_model_create(const sb_config *c, int B, int T, uint64_t seed, int track_depth, char *err, size_t errlen)
{
    sb_sharing sh;
    return sb_sharing_resolve(c, &sh, err, errlen) ? NULL : sb_model_create_with(c, &sh, B, T, seed, track_depth, err, errlen);
}

sb_model *sb_model_create_with(const sb_config *c, const sb_sharing *sh, int B, int T, uint64_t seed, int track_depth, char *err,
                               size_t errlen)
{
    sb_model *m = calloc(1, sizeof *m);
    if (!m) { snprintf(err, errlen, "out of memory"); return NULL; }
    if (setup(m, c, sh, B, T, track_depth, err, errlen)) { free(m->tensors); free(m); return NULL; }
    long ncur = m->cursor;
    m->params = calloc((size_t)m->n_params, sizeof(real));
    m->grads = calloc((size_t)m->n_params, sizeof(real));
    m->arena = calloc((size_t)ncur, sizeof(real));
    m->bucket = calloc(2 * (size_t)T, sizeof(int));
    m->tok = calloc((size_t)B * T, sizeof(int));
    m->typ = calloc((size_t)B * T, sizeof(int));
    m->tgt = calloc((size_t)B * T, sizeof(int));
    int half = m->hd / 2;
    if (c->pos == SB_POS_ROPE) {
        m->rope_cos = calloc((size_t)m->P * half, sizeof(real));
        m->rope_sin = calloc((size_t)m->P * half, sizeof(real));
    }
    if (!m->params || !m->grads || !m->arena || !m->bucket || !m->tok || !m->typ || !m->tgt ||
        (c->pos == SB_POS_ROPE && (!m->rope_cos || !m->rope_sin))) {
        snprintf(err, errlen, "out of memory: the model needs %.1f MiB", (2.0 * m->n_params + ncur) * sizeof(real) / 1048576.0);
        sb_model_free(m);
        return NULL;
    }
    carve(m);
    bind_views(m);
    for (int d = 0; d < 2 * T - 1; d++) m->bucket[d] = t5_bucket(d - (T - 1), !c->causal, c->rel_buckets, c->rel_max_dist);
    for (int p = 0; p < m->P && m->rope_cos; p++)
        for (int i = 0; i < half; i++) {
            double th = p * pow(c->rope_base, -2.0 * i / m->hd);
            m->rope_cos[(long)p * half + i] = (real)cos(th);
            m->rope_sin[(long)p * half + i] = (real)sin(th);
        }
    init_params(m, seed);
    return m;
}

void sb_model_free(sb_model *m)
{
    if (!m) return;
    free(m->tensors); free(m->params); free(m->grads); free(m->arena); free(m->bucket);
    free(m->tok); free(m->typ); free(m->tgt); free(m->rope_cos); free(m->rope_sin);
    if (m->q) m->q_free(m->q);
    free(m);
}

const sb_config *sb_model_config(const sb_model *m) { return &m->c; }
const sb_sharing *sb_model_sharing(const sb_model *m) { return &m->sh; }
void sb_model_capacity(const sb_model *m, int *B, int *T) { *B = m->Bmax; *T = m->Tmax; }
int sb_model_tensor_count(const sb_model *m) { return m->nt; }
const sb_tensor *sb_model_tensor(const sb_model *m, int i) { return &m->tensors[i]; }
long sb_model_n_params(const sb_model *m) { return m->n_params; }
real *sb_model_params(sb_model *m) { return m->params; }
real *sb_model_grads(sb_model *m) { return m->grads; }
const real *sb_model_probs(const sb_model *m) { return m->probs; }
const real *sb_model_attention(const sb_model *m, int l) { return m->la[l].att; }
const real *sb_model_layer_output(const sb_model *m, int l) { return l < 0 ? m->x0 : m->la[l].out; }
const real *sb_model_embed_grad(const sb_model *m) { return m->g_tok; }
const real *sb_model_head_gate_grad(const sb_model *m, int l) { return m->g_gate + (long)l * m->Bmax * m->NH; }

int sb_model_tensor_find(const sb_model *m, const char *name)
{
    for (int i = 0; i < m->nt; i++)
        if (!strcmp(m->tensors[i].name, name)) return i;
    return -1;
}

static int block_at(const sb_model *m, const sb_tensor *t, int depth)
{
    if (t->block < 0) return -1;
    /* values used only where the depth computes them (v_share), queries and keys where it computes its map (attn_reuse) */
    int map = strstr(t->name, ".wq") || strstr(t->name, ".bq") || strstr(t->name, ".wk") || strstr(t->name, ".bk");
    if (map && m->sh.a_src[depth] != depth) return -1;
    if (t->comp == SB_COMP_KV) {
        int values = strstr(t->name, ".wv") || strstr(t->name, ".bv");
        return values && m->sh.v_src[depth] != depth ? -1 : m->sh.kv[depth];
    }
    if (t->comp == SB_COMP_FFN || (t->comp == SB_COMP_LAYERNORM && !strncmp(t->name, "ffn", 3))) return m->sh.ffn[depth];
    return m->sh.attn[depth];
}

const real *sb_model_contribution(const sb_model *m, int i, int depth)
{
    const sb_tensor *t = &m->tensors[i];
    if (!m->dgrad || t->slot_off < 0 || block_at(m, t, depth) != t->block) return NULL;
    return m->dgrad + depth * m->slot + t->slot_off;
}

/* ----------------------------------------------------------------- remap */

int sb_model_copy_named(const sb_model *src, sb_model *dst, char *err, size_t errlen)
{
    for (int i = 0; i < dst->nt; i++) {
        const sb_tensor *t = &dst->tensors[i];
        int j = sb_model_tensor_find(src, t->name);
        if (j < 0 || src->tensors[j].numel != t->numel) {
            snprintf(err, errlen, "tensor %s (%ld values) of the model to fill is %s the source model", t->name, t->numel,
                     j < 0 ? "not in" : "of another size in");
            return -1;
        }
        memcpy(dst->params + t->offset, src->params + src->tensors[j].offset, sizeof(real) * t->numel);
    }
    return 0;
}

int sb_model_remap(const sb_model *src, const real *src_m, const real *src_v, sb_model *dst, real *dst_m,
                   real *dst_v, char *err, size_t errlen)
{
    for (const char *const *k = sb_config_keys(); *k; k++) {
        char va[SB_SPEC_LEN + 32], vb[SB_SPEC_LEN + 32];
        if (!strncmp(*k, "sharing", 7)) continue;
        sb_config_get(&src->c, *k, va, sizeof va);
        sb_config_get(&dst->c, *k, vb, sizeof vb);
        if (strcmp(va, vb)) {
            snprintf(err, errlen, "remap: the models differ in %s (%s and %s), not only in their sharing", *k, va, vb);
            return -1;
        }
    }
    const real *sbuf[3] = { src->params, src_m, src_v };
    real *dbuf[3] = { dst->params, dst_m, dst_v };
    int nbuf = src_m && src_v && dst_m && dst_v ? 3 : 1;
    for (int i = 0; i < dst->nt; i++) {
        const sb_tensor *t = &dst->tensors[i];
        if (t->block < 0) {
            int j = sb_model_tensor_find(src, t->name);
            if (j >= 0 && src->tensors[j].numel == t->numel)
                for (int q = 0; q < nbuf; q++)
                    memcpy(dbuf[q] + t->offset, sbuf[q] + src->tensors[j].offset, sizeof(real) * t->numel);
            continue;
        }
        /* the mean over the depths this block serves of what src used there */
        const char *kind = t->name, *leaf = strchr(strchr(t->name, '.') + 1, '.');
        int uses = 0;
        for (int q = 0; q < nbuf; q++) sb_zero(dbuf[q] + t->offset, t->numel);
        for (int l = 0; l < dst->N; l++) {
            if (block_at(dst, t, l) != t->block) continue;
            int sb = block_at(src, t, l);
            if (sb < 0) continue;
            char name[48];
            snprintf(name, sizeof name, "%.*s.%d%s", (int)(strchr(kind, '.') - kind), kind, sb, leaf);
            int j = sb_model_tensor_find(src, name);
            if (j < 0) continue;
            for (int q = 0; q < nbuf; q++) axpy(dbuf[q] + t->offset, sbuf[q] + src->tensors[j].offset, 1, t->numel);
            uses++;
        }
        for (int q = 0; q < nbuf && uses > 1; q++)
            for (long e = 0; e < t->numel; e++) dbuf[q][t->offset + e] /= uses;
    }
    return 0;
}
