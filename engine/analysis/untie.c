/*
** untie.c: the depths to untie, chosen from measurements of the shared
** model (untie.h): relative gradient norms per depth (Lee et al. 2023) and
** summed head importance (Michel et al. 2019).
*/
#include "untie.h"
#include "gradnoise.h"
#include "headdiv.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int sb_untie_choose(const double *score, const int *shared, int n, int k, int *depths)
{
    int taken[SB_MAX_LAYERS] = {0};
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int l = n - 1; l >= 0; l--) {
            if (!shared[l] || taken[l]) continue;
            /* the first seen (deepest) wins ties; NAN only when nothing else is left */
            if (best < 0 || (isnan(score[best]) && !isnan(score[l])) || score[l] > score[best]) best = l;
        }
        if (best < 0) return -1;
        taken[best] = 1;
    }
    for (int l = 0, j = 0; l < n; l++)
        if (taken[l]) depths[j++] = l;
    return 0;
}

/* The squared norm of the parameters of depth l's blocks, over the tensors gradnoise's per-depth statistics cover. */
static double block_sqnorm(const sb_model *m, int l)
{
    const sb_sharing *sh = sb_model_sharing(m);
    const real *p = sb_model_params((sb_model *)m);
    double s = 0;
    for (int i = 0; i < sb_model_tensor_count(m); i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        if (t->block < 0 || sb_grad_zero_by_construction(m, i)) continue;
        int k = sb_grad_kind(t), b = k == SB_GK_KV ? sh->kv[l] : k == SB_GK_FFN ? sh->ffn[l] : sh->attn[l];
        if (t->block != b) continue;
        for (long j = 0; j < t->numel; j++) s += (double)p[t->offset + j] * p[t->offset + j];
    }
    return s;
}

int sb_untie_grad_scores(const sb_model *m, const int *tokens, const int *types, const int *targets, int n, int T, double *score,
                         char *err, size_t errlen)
{
    const sb_sharing *sh = sb_model_sharing(m);
    sb_model *copy = sb_model_create_with(sb_model_config(m), sh, 1, T, 1, 1, err, errlen);
    sb_gradnoise *g = malloc(sizeof *g);
    int rc = -1;
    if (!copy || !g) {
        if (!g) snprintf(err, errlen, "untie: out of memory");
        goto out;
    }
    if (sb_model_remap(m, NULL, NULL, copy, NULL, NULL, err, errlen) ||
        sb_gradnoise_measure(&copy, 1, NULL, tokens, types, targets, n, T, g, err, errlen)) goto out;
    for (int l = 0; l < sh->layers; l++) {
        double num = 0, den = block_sqnorm(m, l);
        for (int k = 0; k < SB_GK_COUNT; k++)
            if (g->has[l][k]) num += g->depth[l][k].big_sq;
        score[l] = den > 0 ? sqrt(num / den) : NAN;
    }
    rc = 0;
out:
    sb_model_free(copy);
    free(g);
    return rc;
}

int sb_untie_head_scores(sb_model *m, const int *tokens, const int *types, const int *targets, int n, int T, double *score,
                         char *err, size_t errlen)
{
    int N = sb_model_config(m)->layers, NH = sb_model_config(m)->heads, cap, tcap;
    sb_headdiv h;
    double *raw = malloc(sizeof(double) * (size_t)N * NH);
    int rc = -1;
    sb_model_capacity(m, &cap, &tcap);
    if (sb_headdiv_init(&h, N, NH) || !raw) { snprintf(err, errlen, "untie: out of memory"); goto out; }
    if (T > tcap) { snprintf(err, errlen, "untie: sequences of %d tokens, the model takes %d", T, tcap); goto out; }
    for (int first = 0; first < n; first += cap) {
        int b = n - first < cap ? n - first : cap;
        long o = (long)first * T;
        if (!isfinite(sb_model_forward(m, tokens + o, types ? types + o : NULL, targets + o, NULL, b, T))) {
            snprintf(err, errlen, "untie: non-finite loss on examples %d to %d", first, first + b - 1);
            goto out;
        }
        sb_model_backward(m);
        sb_headdiv_add(&h, m, targets + o, NULL, b, T);
    }
    if (!h.examples) { snprintf(err, errlen, "untie: no example with a scored position among %d", n); goto out; }
    sb_headdiv_result(&h, NULL, NULL, NULL, raw);
    for (int l = 0; l < N; l++) {
        score[l] = 0;
        for (int k = 0; k < NH; k++) score[l] += raw[l * NH + k];
    }
    rc = 0;
out:
    sb_headdiv_free(&h);
    free(raw);
    return rc;
}
