/*
** flops.c: analytic FLOPs per token (flops.h): the products of one forward
** summed over the depths as the sharing maps them, the backward twice that.
*/
#include "flops.h"
#include <stdio.h>

/* A product of an (out x in) matrix with one row: 2 out in FLOPs; 2 R (out + in) when factorised to rank R. */
static double mat(long out, long in, int factored, int R)
{
    return factored ? 2.0 * R * (out + in) : 2.0 * out * in;
}

int sb_flops_per_token(const sb_config *c, const sb_sharing *sh, int B, int T, sb_flops *f, char *err, size_t errlen)
{
    if (B < 1 || T < 1) { snprintf(err, errlen, "batch=%d, length=%d: both must be at least 1", B, T); return -1; }
    if (!sb_sharing_for(sh, c)) {
        snprintf(err, errlen, "sharing='%s': resolved for another configuration; resolve this one (sb_sharing_resolve)", c->sharing);
        return -1;
    }
    /* factor:R on the matrices it names, basis:R on all (x V^T, then the depth's U) */
    int fmask = sh->basis ? 63 : c->factor ? sb_config_factor_mask(c, err, errlen) : 0, R = sh->basis ? sh->basis : c->factor;
    if (fmask < 0) return -1;
    long C = c->width, E = c->embed ? c->embed : c->width, F = c->ffn, V = c->vocab, N = c->layers;
    long Ckv = (long)(c->kv_heads ? c->kv_heads : c->heads) * (C / c->heads);
    /* the block matrices in the engine's order wq wk wv wo w1 w2: out, in */
    const long out[6] = { C, Ckv, Ckv, C, F, C }, in[6] = { C, C, C, C, C, F };
    double ctx = c->causal ? (T + 1) / 2.0 : T, blocks = 0, built = 0, tokens = (double)B * T, depth[SB_MAX_LAYERS] = { 0 };
    for (int l = 0; l < N; l++)
        for (int k = 0; k < 6; k++) {
            if ((k == 1 || k == 2) && sh->kv[l] < 0) continue;   /* keys and values reused (kv_share) */
            if (k == 2 && sh->v_src[l] != l) continue;           /* values reused (v_share) */
            if (k <= 1 && sh->a_src[l] != l) continue;           /* no queries or keys under a reused map (attn_reuse) */
            depth[l] += mat(out[k], in[k], fmask >> k & 1, R);
            blocks += mat(out[k], in[k], fmask >> k & 1, R);
            if (sh->lowrank) built += 2.0 * out[k] * in[k] * sh->lowrank;   /* W + B_l A_l: (out x R)(R x in) */
            if (sh->hyper) built += 2.0 * out[k] * in[k];                  /* diag(1+r) W diag(1+s): two products a weight */
        }
    if (sh->hyper) {
        /* the hypernetwork over the N layer embeddings: D -> D, then D -> M (M: a row and a column scale per matrix) */
        double M = 0;
        for (int k = 0; k < 6; k++) M += out[k] + in[k];
        built += 2.0 * N * sh->hyper * (sh->hyper + M);
    }
    double attn = 0;                                  /* QK^T and att V: 2 C ctx each, over the query heads; att V alone */
    for (int l = 0; l < N; l++) {                     /* under a reused map (attn_reuse) */
        /* a sliding window of W keys (yoco:W's self-decoder): min(i+1, W) keys at position i, the mean over T */
        long W = sb_sharing_window(sh, l);
        double seen = W > 0 && W < T ? (W * (W + 1) / 2.0 + (double)(T - W) * W) / T : ctx;
        attn += (sh->a_src[l] == l ? 4.0 : 2.0) * C * seen;
        depth[l] += (sh->a_src[l] == l ? 4.0 : 2.0) * C * seen;
    }
    double outside = (E != C ? 2.0 * E * C : 0)      /* the embedding projection */
                     + (c->pooler ? 2.0 * C * C / T : 0)   /* the pooler, on one position per sequence */
                     + (c->tied ? 2.0 * E * V + (E != C ? 2.0 * C * E : 0) : 2.0 * C * V)   /* the head */
                     + (sh->mor || sh->act ? 2.0 * C * sh->loops : 0);   /* mor's router; act's halting unit at each step */
    f->blocks = blocks;
    f->attn = attn;
    f->weights = built / tokens;
    f->forward = blocks + attn + outside + f->weights;
    f->train = 3 * f->forward;
    int lo, top;
    if (sb_sharing_lckv(sh, &lo, &top)) {
        /* LCKV's training (lckv.c): the passes before the last run depths lo..top-1 and depth top's key and value products,
        ** SB_LCKV_M + SB_LCKV_B - 1 of them; the graded ones before the last are recomputed in the backward, and their
        ** backward is twice that */
        double pass = mat(out[1], in[1], fmask >> 1 & 1, R) + mat(out[2], in[2], fmask >> 2 & 1, R);
        for (int l = lo; l < top; l++) pass += depth[l];
        f->train += (SB_LCKV_M + SB_LCKV_B - 1) * pass + 3.0 * (SB_LCKV_B - 1) * pass;
    }
    return 0;
}

int sb_flops_routed(const sb_config *c, const sb_sharing *sh, int B, int T, const double *active, double *forward, char *err,
                    size_t errlen)
{
    sb_flops f;
    if (sb_flops_per_token(c, sh, B, T, &f, err, errlen)) return -1;
    *forward = f.forward;
    if (!sh->mor) return 0;
    /* the core's depths at recursion k: every block product for the fraction a_k of tokens running it, and attention
    ** for a_k of the queries against a_k of the keys each sees (recursion-wise caching); mor excludes other key/value
    ** reuse and the per-depth weights, so every depth's products are the same */
    int fmask = c->factor ? sb_config_factor_mask(c, err, errlen) : 0;
    if (fmask < 0) return -1;
    long C = c->width, F = c->ffn, Ckv = (long)(c->kv_heads ? c->kv_heads : c->heads) * (C / c->heads);
    const long out[6] = { C, Ckv, Ckv, C, F, C }, in[6] = { C, C, C, C, C, F };
    double depth = 0, ctx = c->causal ? (T + 1) / 2.0 : T, attn = 4.0 * C * ctx;
    for (int k = 0; k < 6; k++)   /* recursive key/value sharing (mor_kv_share): recursions 1.. compute no keys or values */
        if (!(sh->mor_kv_share && (k == 1 || k == 2))) depth += mat(out[k], in[k], fmask >> k & 1, c->factor);
    for (int j = 0; j < sh->loops; j++)   /* recursion 0 runs every token; with mor_kv_share its keys serve a_j's queries */
        *forward -= sh->loop_core * ((1 - active[j]) * depth + (1 - (sh->mor_kv_share ? active[j] : active[j] * active[j])) * attn);
    /* expert-choice (mor_expert): recursion j's router scores only recursion j - 1's selected tokens */
    for (int j = 1; sh->mor_expert && j < sh->loops; j++) *forward -= 2.0 * C * (1 - active[j - 1]);
    return 0;
}
