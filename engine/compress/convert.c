/*
** convert.c: a trained model converted into a shared one (convert.h):
** Relaxed Recursive Transformers' per-depth LoRA from the truncated SVD of
** each residual, Basis Sharing's bases from one SVD of a group's stacked
** matrices.
*/
#include "convert.h"
#include "factor.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

static const char *const mats[6] = { "wq", "wk", "wv", "wo", "w1", "w2" };

/* The tensor of depth l's matrix k in m (its block's under m's sharing),
** with suffix after its name ("" the matrix, ".vt" a basis:R model's basis),
** or NULL when the depth has none. */
static const sb_tensor *depth_tensor(const sb_model *m, int l, int k, const char *suffix)
{
    const sb_sharing *sh = sb_model_sharing(m);
    int kv = k == 1 || k == 2, b = kv ? sh->kv[l] : k >= 4 ? sh->ffn[l] : sh->attn[l];
    if (b < 0 || (k == 2 && sh->v_src[l] != l)) return NULL;
    char name[48];
    snprintf(name, sizeof name, "%s.%d.%s%s", kv ? "kv" : k >= 4 ? "ffn" : "attn", b, mats[k], suffix);
    int i = sb_model_tensor_find(m, name);
    return i < 0 ? NULL : sb_model_tensor(m, i);
}

int sb_convert_relaxed(const sb_model *src, sb_model *dst, double *error, char *err, size_t errlen)
{
    int R = sb_model_sharing(dst)->lowrank, N = sb_model_config(dst)->layers;
    if (!R) { snprintf(err, errlen, "convert: the model to fill has no low-rank corrections (sharing '%s'; give +lowrank:R)",
                       sb_model_config(dst)->sharing); return -1; }
    if (sb_model_config(src)->layers != N) {
        snprintf(err, errlen, "convert: the trained model has %d layers, the shared one %d", sb_model_config(src)->layers, N);
        return -1;
    }
    const real *sp = sb_model_params((sb_model *)src);
    real *dp = sb_model_params(dst);
    double e2 = 0, w2 = 0;
    for (int l = 0; l < N; l++)
        for (int k = 0; k < 6; k++) {
            const sb_tensor *w = depth_tensor(dst, l, k, ""), *wl = depth_tensor(src, l, k, "");
            if (!w) continue;
            char name[48];
            snprintf(name, sizeof name, "layer.%d.lora.%s.a", l, mats[k]);
            int ia = sb_model_tensor_find(dst, name);
            if (!wl || ia < 0 || wl->numel != w->numel) {
                snprintf(err, errlen, "convert: depth %d's %s is %s", l, mats[k],
                         !wl ? "missing from the trained model (or reuses another depth's)" : ia < 0 ? "without its correction" : "of another shape");
                return -1;
            }
            const sb_tensor *ta = sb_model_tensor(dst, ia), *tb = sb_model_tensor(dst, ia + 1);
            int O = w->shape[0], I = w->shape[1];
            real *d = malloc(sizeof(real) * w->numel);
            if (!d) { snprintf(err, errlen, "convert: out of memory"); return -1; }
            for (long q = 0; q < w->numel; q++) d[q] = sp[wl->offset + q] - dp[w->offset + q];
            /* B (O,R) and A (R,I): the balanced factors of the rank-R truncated SVD */
            char inner[SB_ERR_LEN / 2];
            if (sb_factor_svd(d, O, I, R, dp + tb->offset, dp + ta->offset, inner, sizeof inner)) {
                snprintf(err, errlen, "convert: depth %d's %s: %s", l, mats[k], inner);
                free(d);
                return -1;
            }
            double n2 = 0, r = sb_factor_error(d, O, I, R, dp + tb->offset, dp + ta->offset);
            for (long q = 0; q < w->numel; q++) n2 += (double)d[q] * d[q];
            e2 += r * r * n2;
            for (long q = 0; q < w->numel; q++) w2 += (double)sp[wl->offset + q] * sp[wl->offset + q];
            free(d);
        }
    if (error) *error = w2 > 0 ? sqrt(e2 / w2) : 0;
    return 0;
}

int sb_convert_basis(const sb_model *src, sb_model *dst, double *error, char *err, size_t errlen)
{
    const sb_sharing *sh = sb_model_sharing(dst);
    int R = sh->basis, N = sb_model_config(dst)->layers;
    if (!R) { snprintf(err, errlen, "convert: the model to fill shares no bases (sharing '%s'; give +basis:R)", sb_model_config(dst)->sharing); return -1; }
    if (sb_model_config(src)->layers != N) {
        snprintf(err, errlen, "convert: the trained model has %d layers, the shared one %d", sb_model_config(src)->layers, N);
        return -1;
    }
    const real *sp = sb_model_params((sb_model *)src);
    real *dp = sb_model_params(dst);
    double e2 = 0, w2 = 0;
    for (int i = 0; i < sb_model_tensor_count(dst); i++) {
        const sb_tensor *vt = sb_model_tensor(dst, i);
        size_t len = strlen(vt->name);
        if (vt->block < 0 || len < 3 || strcmp(vt->name + len - 3, ".vt")) continue;
        int k = 0;
        for (char suffix[8]; k < 6; k++) {   /* "attn.0.wq.vt": matrix wq */
            snprintf(suffix, sizeof suffix, ".%s.vt", mats[k]);
            if (len > strlen(suffix) && !strcmp(vt->name + len - strlen(suffix), suffix)) break;
        }
        if (k == 6) continue;
        /* the depths this block's matrix serves, in order */
        int depths[SB_MAX_LAYERS], n = 0;
        for (int l = 0; l < N; l++) {
            const sb_tensor *w = depth_tensor(dst, l, k, ".vt");
            if (w == vt) depths[n++] = l;
        }
        int O = 0, I = vt->shape[1];
        const sb_tensor *wl[SB_MAX_LAYERS], *ul[SB_MAX_LAYERS];
        for (int j = 0; j < n; j++) {
            char name[48];
            snprintf(name, sizeof name, "layer.%d.basis.%s.u", depths[j], mats[k]);
            int iu = sb_model_tensor_find(dst, name);
            wl[j] = depth_tensor(src, depths[j], k, "");
            ul[j] = iu < 0 ? NULL : sb_model_tensor(dst, iu);
            if (!wl[j] || !ul[j] || wl[j]->shape[1] != I || wl[j]->shape[0] != ul[j]->shape[0]) {
                snprintf(err, errlen, "convert: depth %d's %s is %s", depths[j], mats[k], !wl[j] ? "missing from the trained model"
                         : !ul[j] ? "without its coefficients" : "of another shape");
                return -1;
            }
            O = ul[j]->shape[0];
        }
        if (!n) continue;
        /* [W_l1; W_l2; ...] (n O x I) = U Vt at rank R: Vt the basis, U's rows the depths' coefficients */
        real *a = malloc(sizeof(real) * n * O * I), *u = malloc(sizeof(real) * n * O * R);
        if (!a || !u) { free(a); free(u); snprintf(err, errlen, "convert: out of memory"); return -1; }
        for (int j = 0; j < n; j++) memcpy(a + (long)j * O * I, sp + wl[j]->offset, sizeof(real) * O * I);
        char inner[SB_ERR_LEN / 2];
        if (R > (n * O < I ? n * O : I)) {
            snprintf(err, errlen, "convert: %s: basis:%d is above the rank %d of its %d stacked matrices", vt->name, R, n * O < I ? n * O : I, n);
            free(a); free(u);
            return -1;
        }
        if (sb_factor_svd(a, n * O, I, R, u, dp + vt->offset, inner, sizeof inner)) {
            snprintf(err, errlen, "convert: %s: %s", vt->name, inner);
            free(a); free(u);
            return -1;
        }
        for (int j = 0; j < n; j++) memcpy(dp + ul[j]->offset, u + (long)j * O * R, sizeof(real) * O * R);
        double r = sb_factor_error(a, n * O, I, R, u, dp + vt->offset), a2 = 0;
        for (long q = 0; q < (long)n * O * I; q++) a2 += (double)a[q] * a[q];
        e2 += r * r * a2;
        w2 += a2;
        free(a); free(u);
    }
    if (error) *error = w2 > 0 ? sqrt(e2 / w2) : 0;
    return 0;
}
