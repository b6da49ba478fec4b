/*
** gradnoise.c: McCandlish et al.'s two-batch gradient noise estimator and
** Liu et al.'s GSNR from per-sequence gradients, per depth, block and model
** (see gradnoise.h).
**
** Layout of the moments: entries [0, n_params) are the model's gradient
** buffer (blocks and the whole model are ranges of it); after them, for
** every depth l and kind K it draws from, the depth's contributions to the
** tensors of its kind-K block, one segment per tensor of a shared block (a
** block with one user has its gradient as that user's contribution, so its
** segment is its range of the gradient). Tensors whose gradient is zero by
** construction get no segment and are in no range.
*/
#include "gradnoise.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

const char *const sb_grad_kind_names[SB_GK_COUNT] = { "attn", "kv", "ffn" };

void sb_gns_two_batch(double small_sq, double big_sq, double b_small, double b_big, double *g2, double *trace)
{
    *g2 = (b_big * big_sq - b_small * small_sq) / (b_big - b_small);
    *trace = (small_sq - big_sq) / (1.0 / b_small - 1.0 / b_big);
}

double sb_gns_average(const double *trace, const double *g2, int points)
{
    double num = 0, den = 0;
    for (int i = 0; i < points; i++) { num += trace[i]; den += g2[i]; }
    return den > 0 ? num / den : NAN;
}

int sb_moments_init(sb_moments *mo, long len)
{
    mo->len = len;
    mo->n = 0;
    mo->mean = calloc((size_t)(len > 0 ? len : 1), sizeof(double));
    mo->m2 = calloc((size_t)(len > 0 ? len : 1), sizeof(double));
    if (!mo->mean || !mo->m2) { sb_moments_free(mo); return -1; }
    return 0;
}

void sb_moments_free(sb_moments *mo)
{
    free(mo->mean); free(mo->m2);
    mo->mean = mo->m2 = NULL;
}

void sb_moments_next(sb_moments *mo) { mo->n++; }

void sb_moments_reset(sb_moments *mo) { mo->n = 0; }   /* the first sample overwrites */

long sb_gradnoise_len(const sb_model *m)
{
    sb_memory mem;
    sb_model_memory(m, &mem);   /* the per-depth part as memory plans count it (bench/run/memcheck.c) */
    return sb_model_n_params(m) + mem.shared_every;
}

void sb_moments_add(sb_moments *mo, long off, const real *x, long len)
{
    double inv = 1.0 / mo->n;
    double *mean = mo->mean + off, *m2 = mo->m2 + off;
    if (mo->n == 1) {   /* the first sample: no need for zeroed memory */
        for (long i = 0; i < len; i++) { mean[i] = x[i]; m2[i] = 0; }
        return;
    }
    #pragma omp parallel for schedule(static) if (len > 65536)
    for (long i = 0; i < len; i++) {
        double d = (double)x[i] - mean[i];
        mean[i] += d * inv;
        m2[i] += d * ((double)x[i] - mean[i]);
    }
}

void sb_moments_merge(sb_moments *a, const sb_moments *b)
{
    if (!b->n) return;
    if (!a->n) {
        memcpy(a->mean, b->mean, sizeof(double) * (size_t)a->len);
        memcpy(a->m2, b->m2, sizeof(double) * (size_t)a->len);
        a->n = b->n;
        return;
    }
    double na = a->n, nb = b->n, n = na + nb;
    for (long i = 0; i < a->len; i++) {
        double d = b->mean[i] - a->mean[i];
        a->mean[i] += d * nb / n;
        a->m2[i] += b->m2[i] + d * d * na * nb / n;
    }
    a->n += b->n;
}

double sb_gsnr_unbiased(double m, double s2, int n)
{
    return (double)(n - 3) / (n - 1) * m * m / s2 - 1.0 / n;
}

int sb_grad_zero_by_construction(const sb_model *m, int i)
{
    const sb_tensor *t = sb_model_tensor(m, i);
    size_t len = strlen(t->name);
    return t->comp == SB_COMP_KV && len > 3 && !strcmp(t->name + len - 3, ".bk") && sb_model_config(m)->pos != SB_POS_ROPE;
}

void sb_gradstat_ranges(const sb_moments *mo, const long *offs, const long *lens, int nr, sb_gradstat *out)
{
    int n = mo->n;
    double small = 0, big = 0, gsnr = 0;
    long used = 0, size = 0;
    for (int r = 0; r < nr; r++) {
        const double *mean = mo->mean + offs[r], *m2 = mo->m2 + offs[r];
        for (long i = 0; i < lens[r]; i++) {
            double mu2 = mean[i] * mean[i];
            big += mu2;
            small += mu2 + m2[i] / n;   /* mean of x^2 = mean^2 + (population variance) */
            if (m2[i] > 0 && n >= 4) {
                gsnr += sb_gsnr_unbiased(mean[i], m2[i] / (n - 1), n);
                used++;
            }
        }
        size += lens[r];
    }
    memset(out, 0, sizeof *out);
    out->small_sq = small;
    out->big_sq = big;
    out->size = size;
    if (n >= 2) sb_gns_two_batch(small, big, 1, n, &out->g2, &out->trace);
    else out->g2 = out->trace = NAN;
    out->bsimple = out->g2 > 0 ? out->trace / out->g2 : NAN;
    out->gsnr = used ? gsnr / used : NAN;
    out->gsnr_n = used;
}

int sb_grad_kind(const sb_tensor *t)
{
    if (!strncmp(t->name, "kv.", 3)) return SB_GK_KV;
    if (!strncmp(t->name, "ffn.", 4)) return SB_GK_FFN;
    return SB_GK_ATTN;
}

static int block_of(const sb_sharing *sh, int kind, int l)
{
    return kind == SB_GK_KV ? sh->kv[l] : kind == SB_GK_FFN ? sh->ffn[l] : sh->attn[l];
}

/* The depth segments of worker w's sequences [lo, hi) into its moments; 0, or -1 with a message. */
static int accumulate(sb_model *m, const int *tokens, const int *types, const int *targets, int lo, int hi, int T,
                      const int *seg_t, const int *seg_l, const long *seg_off, const long *seg_len, int nseg,
                      sb_moments *mo, char *err, size_t errlen)
{
    long np = sb_model_n_params(m);
    for (int i = lo; i < hi; i++) {
        const int *tg = targets + (long)i * T;
        int scored = 0;
        for (int t = 0; t < T; t++) scored += tg[t] >= 0;
        if (!scored) continue;
        double loss = sb_model_forward(m, tokens + (long)i * T, types ? types + (long)i * T : NULL, tg, NULL, 1, T);
        if (!isfinite(loss)) { snprintf(err, errlen, "gradient noise: non-finite loss on sequence %d", i); return -1; }
        sb_model_backward(m);
        sb_moments_next(mo);
        const real *g = sb_model_grads(m);
        sb_moments_add(mo, 0, g, np);
        for (int q = 0; q < nseg; q++) {
            const sb_tensor *t = sb_model_tensor(m, seg_t[q]);
            if (t->uses == 1) continue;   /* already in, as the gradient */
            const real *c = sb_model_contribution(m, seg_t[q], seg_l[q]);
            if (!c) {
                snprintf(err, errlen, "gradient noise: no per-depth contribution for %s (create the model with track_depth=1)", t->name);
                return -1;
            }
            sb_moments_add(mo, seg_off[q], c, seg_len[q]);
        }
    }
    return 0;
}

int sb_gradnoise_measure(sb_model *const *models, int nm, sb_moments *work, const int *tokens, const int *types,
                         const int *targets, int n, int T, sb_gradnoise *out, char *err, size_t errlen)
{
    sb_model *m = models[0];
    const sb_sharing *sh = sb_model_sharing(m);
    int N = sh->layers, nt = sb_model_tensor_count(m);
    long np = sb_model_n_params(m);
    memset(out, 0, sizeof *out);
    out->layers = N;
    out->blocks[SB_GK_ATTN] = sh->n_attn;
    out->blocks[SB_GK_KV] = sh->n_kv;
    out->blocks[SB_GK_FFN] = sh->n_ffn;
    if (nm < 1) nm = 1;
    /* segments: (depth, kind) -> the block tensors it uses; (kind, block) -> ranges of the gradient */
    int nseg = 0;
    for (int i = 0; i < nt; i++)
        if (sb_model_tensor(m, i)->block >= 0) nseg += sb_model_tensor(m, i)->uses;
    int *seg_t = malloc(sizeof(int) * (size_t)(nseg + 1)), *seg_l = malloc(sizeof(int) * (size_t)(nseg + 1));
    long *seg_off = malloc(sizeof(long) * (size_t)(nseg + 1)), *seg_len = malloc(sizeof(long) * (size_t)(nseg + 1));
    long *boff = malloc(sizeof(long) * (size_t)(nt + 1)), *blen = malloc(sizeof(long) * (size_t)(nt + 1));
    sb_moments *mo = work ? work : calloc((size_t)nm, sizeof *mo);
    char *msgs = calloc((size_t)nm, SB_ERR_LEN);
    int rc = -1;
    if (!seg_t || !seg_l || !seg_off || !seg_len || !boff || !blen || !mo || !msgs) { snprintf(err, errlen, "gradient noise: out of memory"); goto out; }
    long len = np;
    int s = 0;
    for (int l = 0; l < N; l++)
        for (int k = 0; k < SB_GK_COUNT; k++) {
            int b = block_of(sh, k, l);
            out->has[l][k] = b >= 0;
            for (int i = 0; i < nt && b >= 0; i++) {
                const sb_tensor *t = sb_model_tensor(m, i);
                if (t->block != b || sb_grad_kind(t) != k || sb_grad_zero_by_construction(m, i)) continue;
                if (s >= nseg) { snprintf(err, errlen, "gradient noise: tensor uses disagree with the sharing map"); goto out; }
                seg_t[s] = i; seg_l[s] = l; seg_len[s] = t->numel;
                if (t->uses == 1) seg_off[s] = t->offset;   /* one user: its contribution is the gradient */
                else seg_off[s] = len, len += t->numel;
                s++;
            }
        }
    nseg = s;
    for (int w = 0; w < nm; w++) {
        if (work) {
            if (work[w].len < len) { snprintf(err, errlen, "gradient noise: work moments of %ld entries, need %ld", work[w].len, len); goto out; }
            sb_moments_reset(&work[w]);
        } else if (sb_moments_init(&mo[w], len)) {
            snprintf(err, errlen, "gradient noise: out of memory for %ld moments", len);
            goto out;
        }
    }
    /* one sequence at a time; copy w takes sequences [w n/nm, (w+1) n/nm) */
    int failed = 0;
    #pragma omp parallel for num_threads(nm) schedule(static, 1) reduction(+ : failed)
    for (int w = 0; w < nm; w++) {
        if (nm > 1) omp_set_num_threads(1);   /* this thread's nested loops run on it alone */
        int lo = (int)((long)w * n / nm), hi = (int)((long)(w + 1) * n / nm);
        failed += accumulate(models[w], tokens, types, targets, lo, hi, T, seg_t, seg_l, seg_off, seg_len, nseg, &mo[w],
                             msgs + (size_t)w * SB_ERR_LEN, SB_ERR_LEN) != 0;
    }
    if (failed) {
        for (int w = 0; w < nm; w++)
            if (msgs[(size_t)w * SB_ERR_LEN]) { snprintf(err, errlen, "%s", msgs + (size_t)w * SB_ERR_LEN); break; }
        goto out;
    }
    for (int w = 1; w < nm; w++) sb_moments_merge(&mo[0], &mo[w]);
    if (mo[0].n < 2) { snprintf(err, errlen, "gradient noise: %d sequences with a scored position, need at least 2", mo[0].n); goto out; }
    out->n = mo[0].n;
    /* the model: every tensor but those zero by construction, adjacent ones as one range */
    int nr = 0;
    for (int i = 0; i < nt; i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        if (sb_grad_zero_by_construction(m, i)) continue;
        if (nr && boff[nr - 1] + blen[nr - 1] == t->offset) blen[nr - 1] += t->numel;
        else boff[nr] = t->offset, blen[nr] = t->numel, nr++;
    }
    sb_gradstat_ranges(&mo[0], boff, blen, nr, &out->model);
    /* per depth and kind: its segments follow each other */
    for (int q = 0; q < nseg;) {
        int l = seg_l[q], k = sb_grad_kind(sb_model_tensor(m, seg_t[q])), e = q;
        while (e < nseg && seg_l[e] == l && sb_grad_kind(sb_model_tensor(m, seg_t[e])) == k) e++;
        sb_gradstat_ranges(&mo[0], seg_off + q, seg_len + q, e - q, &out->depth[l][k]);
        q = e;
    }
    /* per block: the ranges of its tensors in the gradient */
    for (int k = 0; k < SB_GK_COUNT; k++)
        for (int b = 0; b < out->blocks[k] && b < SB_MAX_LAYERS; b++) {
            nr = 0;
            for (int i = 0; i < nt; i++) {
                const sb_tensor *t = sb_model_tensor(m, i);
                if (t->block == b && sb_grad_kind(t) == k && !sb_grad_zero_by_construction(m, i)) { boff[nr] = t->offset; blen[nr] = t->numel; nr++; }
            }
            sb_gradstat_ranges(&mo[0], boff, blen, nr, &out->block[k][b]);
        }
    rc = 0;
out:
    if (!work) {
        for (int w = 0; mo && w < nm; w++) sb_moments_free(&mo[w]);
        free(mo);
    }
    free(msgs);
    free(seg_t); free(seg_l); free(seg_off); free(seg_len); free(boff); free(blen);
    return rc;
}
