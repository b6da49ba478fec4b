/*
** model_internal.h: the inside of sb_model, shared by the engine files that
** work on its buffers directly: core/model.c (layout), core/model_forward.c
** and core/model_backward.c (the passes), core/kvcache.c (decoding) and
** compress/quant.c (the int8 block products).
** Private to engine/ (tools/check-layers refuses it elsewhere); the public
** interface is model.h.
*/
#ifndef SB_MODEL_INTERNAL_H
#define SB_MODEL_INTERNAL_H

#include "model.h"

enum { M_WQ, M_WK, M_WV, M_WO, M_W1, M_W2, M_COUNT };
static const char *const mat_names[M_COUNT] = { "wq", "wk", "wv", "wo", "w1", "w2" };
static const char *const bias_names[M_COUNT] = { "bq", "bk", "bv", "bo", "b1", "b2" };

/* Pointers of one depth into parameters (or gradients). */
typedef struct {
    real *w[M_COUNT], *b[M_COUNT];   /* NULL for keys/values at depths that reuse them; w NULL when factorised */
    real *u[M_COUNT], *vt[M_COUNT];  /* factor:R: W = U Vt, U (out,R), Vt (R,in); NULL when dense; basis:R: U the depth's */
    int ti[M_COUNT];                 /* table index of the matrix (of U when factorised, Vt follows), -1 when absent */
    real *la[M_COUNT], *lb[M_COUNT]; /* low-rank A (R,in) and B (out,R) */
    real *ln1w, *ln1b, *ln2w, *ln2b, *ls1, *ls2, *posbias;
} layer_view;

/* Activations of one depth, (B,T,.) each. */
typedef struct {
    real *x;                 /* input (alias of the previous depth's output) */
    real *a, *ln1_mean, *ln1_rstd;
    real *q, *k, *v;         /* k, v: this depth's own or its source's */
    real *att, *attv, *ao, *z1, *h1;
    real *f, *ln2_mean, *ln2_rstd, *fc, *fcg, *fo, *z2;
    real *ft[M_COUNT];       /* factor:R: x Vt^T of each factorised matrix, (B,T,R) */
    real *out;               /* the depth's output: z2 (pre-LN) or LN2(z2) (post-LN) */
} layer_acts;

struct sb_model {
    sb_config c;
    sb_sharing sh;
    int Bmax, Tmax, N, C, E, V, F, NH, G, hd, Ckv, P, R, D, M;
    int Rf, fmask;           /* factor:R (or basis:R) and the matrices it applies to (bit k for matrix k) */
    int basis;               /* basis:R: a block keeps its matrices' Vt (the basis), each depth its own U */
    /* int8 state, owned by compress/quant.c, NULL when the model is not
    ** quantised. The core knows no compression: quant.c installs the block
    ** product that replaces the float one (q_forward, 0 when it declines)
    ** and the state's destructor with the state. */
    struct sb_quant *q;
    int (*q_forward)(sb_model *m, int l, int k, real *y, const real *x, const real *b, int R);
    void (*q_free)(struct sb_quant *q);
    int depth_mode, track, pos_bias_any;
    sb_tensor *tensors;
    int nt, cap;
    long n_params;
    real *params, *grads;
    long cursor;             /* carving position while laying out activations */
    real *arena;             /* activations and scratch, NULL while only counting */
    long n_acts, n_scratch;
    /* depth slots */
    long slot, mat_off[M_COUNT], bias_off[M_COUNT], ln_off[2]; /* offsets inside a slot */
    long u_off[M_COUNT], vt_off[M_COUNT];                      /* factorised matrices' U and Vt inside a slot */
    long part_off[3];        /* attention, key/value, feed-forward parts of a slot */
    real *eff, *dgrad;       /* N slots each (NULL when unused) */
    int mod_off[M_COUNT][2]; /* hyper: row and column scale offsets inside M */
    layer_view lp[SB_MAX_LAYERS], lg[SB_MAX_LAYERS];
    layer_acts la[SB_MAX_LAYERS];
    /* global tensors: indices into the table, -1 when absent */
    int t_tok, t_pos, t_type, t_eln_w, t_eln_b, t_eproj_w, t_eproj_b, t_relbias, t_hz, t_hw1, t_hb1,
        t_hw2, t_hb2, t_lnf_w, t_lnf_b, t_pool_w, t_pool_b, t_hproj_w, t_hproj_b, t_head_w;
    /* activations outside the layers */
    real *x0, *emb_tok, *emb, *emb_n, *emb_mean, *emb_rstd;
    real *lnf, *lnf_mean, *lnf_rstd, *pool_in, *pooled, *head_in, *he, *probs, *losses, *bias;
    real *hyp_h, *hyp_m;     /* (N,D), (N,M) */
    /* backward scratch */
    real *g_res, *g_1, *g_a, *g_o, *g_attv, *g_q, *g_att, *g_attr, *g_fc, *g_e, *g_emb, *g_tok, *g_he,
        *g_logits, *g_bias, *g_gate, *g_head_in, *g_m, *g_pool, *g_ft;
    real *g_inj;             /* loop: the gradient of the prelude's output summed over the loops it is injected at */
    /* mor (mor.c): the router's logits and probabilities (B,T,r), each token's last recursion and gate, the key mask of
    ** a recursion, the outputs F mixes in; their gradients; the last forward's auxiliary losses */
    int t_router;
    real *mor_logits, *mor_probs, *mor_depth, *mor_gate, *mor_kbias, *mor_sel, *g_mor_h1, *g_mor_sel, *g_mor_z;
    double mor_bal, mor_zloss;
    int mor_causal;   /* mor_expert: 1 routes by the causal threshold (evaluation), 0 by top-k (training) */
    double mor_chose[SB_MAX_LAYERS];   /* tokens routed to each last recursion (act: of each step count) since sb_model_depth_reset */
    /* act (act.c): the halting unit, each step's p, u and running and halted flags (r,B,T), the halting sums,
    ** remainders and step counts (B,T), the weighted states y_j (r,B,T,C); their gradients */
    int t_halt_w, t_halt_b;
    real *act_p, *act_u, *act_run, *act_halt, *act_h, *act_rem, *act_n, *act_y, *g_act, *g_act_out, *g_act_u;
    double act_ponder;       /* the last forward's ponder loss, 0.01 mean(steps + remainder) */
    /* lckv (lckv.c): each graded pass's keys and values as the condensed depths read them (SB_LCKV_B pairs of (B,T,Ckv),
    ** shifted one position on), the key mask hiding slot 0; the gradients of the keys and values read, and of the group's input */
    real *lck_kin, *lck_kbias, *lck_gk, *lck_gv, *lck_gx;
    real *g_k[SB_MAX_LAYERS], *g_v[SB_MAX_LAYERS];
    /* shared blocks' weight gradients, one product over all their depths (laid out in model.c, run in model_backward.c) */
    int defer[M_COUNT];      /* 1 when matrix k's weight gradient waits for every depth's */
    int ord[3][SB_MAX_LAYERS], n_ord[3]; /* per part: the depths that run it, in block order */
    real *g_qd[SB_MAX_LAYERS], *g_aod[SB_MAX_LAYERS], *g_fcd[SB_MAX_LAYERS], *g_fod[SB_MAX_LAYERS];
                             /* each depth's output gradient of wq, wo, w1, w2 (wk, wv: g_k, g_v) */
    int *bucket;             /* relative-position bucket of (j - i + Tmax - 1) */
    real *rope_cos, *rope_sin;
    int *tok, *typ, *tgt;    /* copies of the last forward's inputs */
    int B, T, count, has_targets;
};


/* Parameter and gradient pointers of table entry t (NULL for t < 0). */
static inline real *P(sb_model *m, int t) { return t < 0 ? NULL : m->params + m->tensors[t].offset; }
static inline real *G(sb_model *m, int t) { return t < 0 ? NULL : m->grads + m->tensors[t].offset; }

/* Output and input width of block matrix k (M_WQ ... M_W2). */
static inline int sb_mat_out(const sb_model *m, int k) { return k == M_WK || k == M_WV ? m->Ckv : k == M_W1 ? m->F : m->C; }
static inline int sb_mat_in(const sb_model *m, int k) { return k == M_W2 ? m->F : m->C; }

/* The part of block matrix k: 0 attention (wq, wo), 1 key/value (wk, wv), 2 feed-forward (w1, w2). */
int sb_mat_part(int k);

/* memset of n reals, in parallel pieces when large (model_backward.c; model.c's remap uses it too). */
void sb_zero(real *p, long n);

/* y (R, out) = x W^T + b for block matrix k at depth l, whatever its form:
** dense, factorised (y = (x Vt^T) U^T, two products, keeping x Vt^T for the
** backward), or int8 when the model is quantised (quant.c); b may be NULL.
** Shared by the full forward and decoding. */
void sb_block_forward(sb_model *m, int l, int k, real *y, const real *x, const real *b, int R);

/* Build each depth's effective weights (lowrank, hyper) from the current parameters. */
void sb_model_materialise(sb_model *m);

/* Depth l after its attention (la[l].attv filled), on R rows: the output
** projection, residual and LayerNorm, feed-forward, and the residual fused with
** the LayerNorm that reads it (pre-LN: the next depth's first, or the final
** one). Shared by the full forward and decoding. */
void sb_layer_tail_forward(sb_model *m, int l, int R);

/* Depth l's backward; m->g_res holds dL/d(its output) and gets dL/d(its input). */
void sb_layer_backward(sb_model *m, int l);

/* The backward of sb_block_forward: dx (R, in) = dy W + dx_beta dx, the weight gradients accumulated. */
void sb_block_backward(sb_model *m, int l, int k, real *dx, real dx_beta, const real *dy, const real *x, int R);

/* A looped model's depth l that starts a loop after the first (sb_sharing_injects),
** on R rows: its input is the previous depth's output plus the prelude's
** (Yang et al.'s additive injection), then LN1 when pre-LN. Shared by the
** full forward and decoding. */
void sb_layer_inject(sb_model *m, int l, int R);

/* The additive attention bias (NH,T,Tk) of depth l into m->bias, for T queries
** that are the last T of Tk positions. */
void sb_model_fill_bias(sb_model *m, int l, int T, int Tk);

/* Mixture-of-Recursions (mor.c) with token-choice routing (Bae et al. 2025,
** "Mixture-of-Recursions: Learning Dynamic Recursive Depths for Adaptive
** Token-Level Computation", arXiv 2507.10524), the modifier +mor of
** loop:P,K,C: the core's r loops are recursions, and each token goes through
** 1 to r of them, as a router on the core's input decides.
**
** The definition is the authors' code (model/mor_model/token_choice_router.py,
** their "token" configuration: a linear router without bias, softmax, alpha 1,
** top-1, weighted gating, the balancing loss at 0.1 and the z-loss at 1e-5):
**   p_t = softmax(W_r H1_t)            H1: the residual stream entering the core
**   i_t = argmax_k p_t,k, g_t = p_t,i_t (a constant choice; the gradient flows through g_t)
**   S^0 = H1, S^{j+1} = f(S^j) over the tokens with i_t >= j, f the core's K
**   depths with their residuals; the coda reads F_t = H1_t + g_t S^{i_t+1}_t.
** Token-choice: a token's depth depends only on its own state, which a causal
** prelude computes from earlier positions, so training, evaluation and
** decoding are causal by construction. Expert-choice (+mor_expert, defined in
** mor.c) trains by top-k over each sequence, which is not causal, and
** evaluates and decodes by its router's threshold. At recursion j a token
** attends only to the earlier tokens still active at j (recursion-wise
** key/value caching, the paper's default; +mor_kv_share: its recursive KV
** sharing, recursion 0's keys and values of every token, unmasked).
**
** The engine computes densely: every token runs every recursion, and the
** tokens that sit out are masked as keys (an additive -1e30 per key) and
** their own results discarded, which is the routed function exactly. The
** FLOPs the routed model needs are sb_flops_routed's (flops.h).
*/

/* 1 when depth l of s reads the routed mixture F (the coda's first depth). */
int sb_mor_mixes(const sb_sharing *s, int l);

/* Before depth l runs on the R rows (B sequences of T positions) of a full
** forward: at the core's first depth the router, at a recursion's first depth
** the key mask of its active tokens, at the mixture depth F (and LN1 when pre-LN). */
void sb_mor_before(sb_model *m, int l, int B, int T);

/* The per-key additive mask (B,T) of depth l in a full forward, NULL where every token is active. */
const real *sb_mor_key_bias(const sb_model *m, int l);

/* After depth l on R rows: at a recursion's last depth, the outputs of the tokens finishing there. */
void sb_mor_after(sb_model *m, int l, int R);

/* The router on R rows of the core's input (decoding: R = B, one position each). */
void sb_mor_route(sb_model *m, int R);

/* Decoding, before depth l on B rows of one position: the routing (the position's
** last recursion so far into depth[b * stride]) and the mixture, as sb_mor_before
** does in a full forward; expert-choice by the causal threshold rule. */
void sb_mor_decode_before(sb_model *m, int l, int B, real *depth, long stride);

/* F into depth l's input on R rows (l: the mixture depth), LN1 when pre-LN. */
void sb_mor_mix(sb_model *m, int l, int R);

/* Decoding: the key mask of depth l over n cached positions whose last
** recursions are depth[0..n), into out; NULL where every token is active. */
const real *sb_mor_cache_bias(const sb_model *m, int l, const real *depth, int n, real *out);

/* The recursion depth l belongs to (0 to r-1), -1 outside the core. */
int sb_mor_recursion(const sb_sharing *s, int l);

/* In the backward, after depth l's (m->g_res is dL/d input of l): the
** mixture's and router's gradients (with the balancing and z losses) at the
** mixture depth, the finishing tokens' gradient at each recursion's start. */
void sb_mor_backward(sb_model *m, int l);

/* The Universal Transformer's adaptive computation time (act.c, sharing +act):
** the halting unit at each step's first depth l (before it runs, on R rows),
** the weighted state after its last; the coda's first depth (sb_act_mixes)
** reads the weighted states; and their backward after depth l's. */
int sb_act_mixes(const sb_sharing *s, int l);
void sb_act_before(sb_model *m, int l, int R);
void sb_act_after(sb_model *m, int l, int R);
void sb_act_backward(sb_model *m, int l);

/* Layer-Condensed KV Cache (lckv.c, sharing lckv:W; Wu & Tu 2024, arXiv
** 2405.10637): the condensed depths lo..top (sb_sharing_lckv) of a full
** forward, iterated SB_LCKV_M + SB_LCKV_B times from the same input with the
** top depth's keys and values carried between passes; their backward through
** the SB_LCKV_B graded passes, called in place of depths top..lo's (m->g_res
** in and out as sb_layer_backward's). */
void sb_lckv_forward(sb_model *m, int B, int T);
void sb_lckv_backward(sb_model *m);

#endif
