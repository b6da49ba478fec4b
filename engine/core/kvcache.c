/*
** kvcache.c: decoding one position at a time against cached keys and values.
** It reuses the model's activation buffers with T = 1 and the same operations
** as the full forward; attention runs per sequence because the cache keeps
** each sequence's keys contiguous over its T positions, or over the last W
** positions at depths attending through a sliding window (yoco:W). lckv's
** condensed depths read the top one's cache of the earlier positions, as the
** sequential computation its full forward iterates toward.
*/
#include "kvcache.h"
#include "model_internal.h"
#include "ops.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb_kvcache {
    sb_model *m;
    int B, T, len;
    real *k[SB_MAX_LAYERS], *v[SB_MAX_LAYERS];   /* (B,slots,Ckv) at producing depths, else aliases */
    int slots[SB_MAX_LAYERS];                    /* positions kept: T, or a sliding window's W (yoco:W) */
    real *store;
    real *depth, *kb;        /* mor: each cached position's last recursion (B,T), one sequence's key mask (T) */
    long bytes;
};

sb_kvcache *sb_kvcache_create(sb_model *m, int B, int T, char *err, size_t errlen)
{
    if (!m->c.causal) { snprintf(err, errlen, "decoding needs a causal model; this one is bidirectional (causal=0)"); return NULL; }
    if (B < 1 || B > m->Bmax || T < 1 || T > m->Tmax) {
        snprintf(err, errlen, "cache for batch %d, length %d: the model was built for batch %d, length %d", B, T, m->Bmax, m->Tmax);
        return NULL;
    }
    sb_kvcache *kc = calloc(1, sizeof *kc);
    long per = (long)B * T * m->Ckv;
    if (kc) kc->store = calloc((size_t)(2 * per * m->N), sizeof(real));   /* at most a key and a value per depth */
    if (kc && m->sh.mor) {
        kc->depth = calloc((size_t)B * T, sizeof(real));
        kc->kb = calloc((size_t)T, sizeof(real));
    }
    if (!kc || !kc->store || (m->sh.mor && (!kc->depth || !kc->kb))) {
        if (kc) { free(kc->store); free(kc->depth); free(kc->kb); }
        free(kc);
        snprintf(err, errlen, "out of memory for the key/value cache"); return NULL; }
    kc->m = m; kc->B = B; kc->T = T;
    long used = 0;   /* reals cached: keys and values where depths compute them (kv_share, v_share, yoco; attn_reuse: no keys) */
    for (int l = 0; l < m->N; l++) {
        int w = sb_sharing_window(&m->sh, l);
        kc->slots[l] = w > 0 && w < T ? w : T;   /* a sliding window keeps its last W positions (YOCO's self-decoder) */
        long size = (long)B * kc->slots[l] * m->Ckv;
        if (m->sh.a_src[l] != l) kc->k[l] = NULL;
        else if (m->sh.kv[l] >= 0) { kc->k[l] = kc->store + used; used += size; }
        else kc->k[l] = kc->k[m->sh.kv_src[l]];
        if (m->sh.v_src[l] == l) { kc->v[l] = kc->store + used; used += size; }
        else kc->v[l] = kc->v[m->sh.v_src[l]];
    }
    for (int l = 0; l < m->N; l++)   /* lckv: the depths below the top condensed one read its cache, laid out after them */
        if (m->sh.kv_src[l] > l) { kc->k[l] = kc->k[m->sh.kv_src[l]]; kc->v[l] = kc->v[m->sh.kv_src[l]]; }
    kc->bytes = used * (long)sizeof(real);
    sb_kvcache_reset(kc);
    return kc;
}

void sb_kvcache_free(sb_kvcache *kc)
{
    if (!kc) return;
    free(kc->store);
    free(kc->depth);
    free(kc->kb);
    free(kc);
}

void sb_kvcache_reset(sb_kvcache *kc)
{
    kc->len = 0;
    if (kc->m->eff) sb_model_materialise(kc->m);
}

int sb_kvcache_len(const sb_kvcache *kc) { return kc->len; }
long sb_kvcache_bytes(const sb_kvcache *kc) { return kc->bytes; }

const real *sb_decode_step(sb_kvcache *kc, const int *tokens)
{
    sb_model *m = kc->m;
    const sb_config *c = &m->c;
    int B = kc->B, C = m->C, E = m->E, pos = kc->len, Ck = m->Ckv;
    if (pos >= kc->T) return NULL;
    const real *wte = P(m, m->t_tok), *wpe = P(m, m->t_pos), *wtt = P(m, m->t_type);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < E; i++)
            m->emb[(long)b * E + i] = wte[(long)tokens[b] * E + i] + (wpe ? wpe[(long)pos * E + i] : 0) + (wtt ? wtt[i] : 0);
    if (c->embed_ln) layernorm_forward(m->emb_n, m->emb_mean, m->emb_rstd, m->emb, P(m, m->t_eln_w), P(m, m->t_eln_b), B, E, c->ln_eps);
    if (E != C) linear_forward(m->x0, m->emb_n, P(m, m->t_eproj_w), P(m, m->t_eproj_b), B, E, C);
    else memcpy(m->x0, m->emb_n, sizeof(real) * B * C);
    if (!c->post_ln) {
        layer_acts *a = &m->la[0];
        layernorm_forward(a->a, a->ln1_mean, a->ln1_rstd, a->x, m->lp[0].ln1w, m->lp[0].ln1b, B, C, c->ln_eps);
    }
    for (int l = 0; l < m->N; l++) {
        layer_acts *a = &m->la[l];
        layer_view *p = &m->lp[l];
        if (sb_sharing_injects(&m->sh, l)) sb_layer_inject(m, l, B);
        if (m->sh.mor) sb_mor_decode_before(m, l, B, kc->depth + pos, kc->T);   /* this position's depth, for the later key masks */
        if (m->sh.act) sb_act_before(m, l, B);
        if (m->sh.a_src[l] != l) {
            /* attn_reuse: this depth's value appended, under the map its map depth has just written for this token */
            sb_block_forward(m, l, M_WV, m->g_v[l], a->a, p->b[M_WV], B);
            for (int b = 0; b < B; b++) {
                memcpy(kc->v[l] + ((long)b * kc->T + pos) * Ck, m->g_v[l] + (long)b * Ck, sizeof(real) * Ck);
                attention_reuse_forward(a->attv + (long)b * C, a->att + (long)b * m->NH * (pos + 1),
                                        kc->v[l] + (long)b * kc->T * Ck, 1, 1, pos + 1, m->NH, m->G, m->hd);
            }
            sb_layer_tail_forward(m, l, B);
            continue;
        }
        sb_block_forward(m, l, M_WQ, a->q, a->a, p->b[M_WQ], B);
        if (m->rope_cos) rope_forward(a->q, m->rope_cos, m->rope_sin, B, 1, m->NH, m->hd, C, pos);
        /* the keys this position sees: all before it, or a window's last S; a full window's slots move down one to make
        ** room (positions pos-S+1..pos in order), so a relative bias sees the distances it would in the full forward */
        int S = kc->slots[m->sh.kv_src[l]], nk = pos < S ? pos + 1 : S, at = nk - 1;
        if (m->sh.kv_src[l] > l) {
            /* lckv: the top condensed depth's keys and values of the positions before this one (Wu & Tu's decoding, the
            ** diagonal masked); the first position sees none, and its attention output is 0 as in the full forward */
            nk = pos;
            if (!nk) memset(a->attv, 0, sizeof(real) * B * C);
        }
        if (p->b[M_WK]) {
            /* this depth's new key and value, appended to each sequence's cache */
            sb_block_forward(m, l, M_WK, m->g_k[l], a->a, p->b[M_WK], B);
            if (p->b[M_WV]) sb_block_forward(m, l, M_WV, m->g_v[l], a->a, p->b[M_WV], B);
            if (m->rope_cos) rope_forward(m->g_k[l], m->rope_cos, m->rope_sin, B, 1, m->G, m->hd, Ck, pos);
            for (int b = 0; b < B; b++) {
                real *kb = kc->k[l] + (long)b * S * Ck, *vb = kc->v[l] + (long)b * S * Ck;
                if (pos >= S) {
                    memmove(kb, kb + Ck, sizeof(real) * (S - 1) * Ck);
                    if (p->b[M_WV]) memmove(vb, vb + Ck, sizeof(real) * (S - 1) * Ck);
                }
                memcpy(kb + (long)at * Ck, m->g_k[l] + (long)b * Ck, sizeof(real) * Ck);
                if (p->b[M_WV]) memcpy(vb + (long)at * Ck, m->g_v[l] + (long)b * Ck, sizeof(real) * Ck);
            }
        }
        if (m->bias) sb_model_fill_bias(m, l, 1, nk);
        for (int b = 0; b < B && nk; b++)
            attention_forward(a->attv + (long)b * C, a->att + (long)b * m->NH * nk, a->q + (long)b * C,
                              kc->k[l] + (long)b * S * Ck, kc->v[l] + (long)b * S * Ck, m->bias,
                              m->sh.mor ? sb_mor_cache_bias(m, l, kc->depth + (long)b * kc->T, nk, kc->kb) : NULL, 1, 1, nk,
                              m->NH, m->G, m->hd, 1, 0);
        sb_layer_tail_forward(m, l, B);
        sb_mor_after(m, l, B);
        if (m->sh.act) sb_act_after(m, l, B);
    }
    if (c->final_ln && c->post_ln) {
        const real *last = m->la[m->N - 1].out;
        layernorm_forward(m->lnf, m->lnf_mean, m->lnf_rstd, last, P(m, m->t_lnf_w), P(m, m->t_lnf_b), B, C, c->ln_eps);
    }
    if (m->t_hproj_w >= 0) linear_forward(m->he, m->head_in, P(m, m->t_hproj_w), P(m, m->t_hproj_b), B, C, E);
    linear_forward(m->probs, m->he, c->tied ? wte : P(m, m->t_head_w), NULL, B, c->tied ? E : C, m->V);
    int count;
    crossentropy_forward(m->probs, m->losses, NULL, B, m->V, &count);
    kc->len++;
    return m->probs;
}
