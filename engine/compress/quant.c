/*
** quant.c: post-training int8 quantisation of the block matrices (quant.h),
** on top of the int8 kernels (int8.h) and the model's block-matrix product
** (sb_block_forward in model_forward.c, which hands quantised products here).
**
** State is kept per table tensor (a unique matrix), never per depth, so a
** block shared by N depths has one set of codes and scales; only the
** activation scales may differ by depth (act=depth). A factorised matrix
** (factor:R) is two quantised products, x Vt^T and then U.
*/
#include "quant.h"
#include "int8.h"
#include "core/model_internal.h"
#include "core/ops.h"
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

const char *const sb_qact_names[SB_QACT_COUNT] = { "block", "depth", "dynamic" };

typedef struct {
    int O, I;
    int8_t *packed;           /* sb_q8_rows(O) x sb_q8_cols(I) */
    float *scale;             /* O: per output channel */
    int32_t *rowsum;          /* sb_q8_rows(O): sum of each row's codes, for the zero point */
    float *amax;              /* N: largest |x| seen at each depth while calibrating */
    float *act;               /* N: activation scale at each depth (the same at every depth for act=block) */
    double err;               /* relative Frobenius error of the codes */
} qmat;

struct sb_quant {
    int act, calibrating, ready, enabled;
    int nt, N;
    qmat **mat;               /* by table index; NULL for tensors that are not quantised */
    long rows;                /* calibration rows observed */
    uint8_t *xq;              /* scratch for products of a few rows (outside parallel regions) */
    int32_t *acc;
};

/* The tensors quantised: the matrices of the attention, key/value and feed-forward blocks. */
static int quantisable(const sb_tensor *t)
{
    return t->ndim == 2 && t->block >= 0 && (t->comp == SB_COMP_ATTN || t->comp == SB_COMP_KV || t->comp == SB_COMP_FFN);
}

static void free_mat(qmat *q)
{
    if (!q) return;
    free(q->packed); free(q->scale); free(q->rowsum); free(q->amax); free(q->act);
    free(q);
}

static void sb_quant_free(struct sb_quant *q)
{
    if (!q) return;
    for (int i = 0; i < q->nt; i++) free_mat(q->mat[i]);
    free(q->mat); free(q->xq); free(q->acc);
    free(q);
}

int sb_quant_check(const sb_sharing *sh, char *err, size_t errlen)
{
    char term[64];
    if (!sb_sharing_weights_term(sh, term, sizeof term)) return 0;
    snprintf(err, errlen, "quant=int8 with sharing modifier %s: it builds every depth's weights at run time, so there is no unique "
             "tensor to quantise once; not supported", term);
    return -1;
}

static struct sb_quant *new_state(sb_model *m, int act, char *err, size_t errlen)
{
    if (act < 0 || act >= SB_QACT_COUNT) { snprintf(err, errlen, "quantisation: unknown activation mode %d", act); return NULL; }
    if (sb_quant_check(&m->sh, err, errlen)) return NULL;
    struct sb_quant *q = calloc(1, sizeof *q);
    if (q) q->mat = calloc((size_t)m->nt, sizeof *q->mat);
    if (!q || !q->mat) { free(q); snprintf(err, errlen, "out of memory for the quantisation state"); return NULL; }
    q->act = act; q->nt = m->nt; q->N = m->N;
    for (int i = 0; i < m->nt; i++) {
        const sb_tensor *t = &m->tensors[i];
        if (!quantisable(t)) continue;
        if (t->shape[1] > SB_Q8_MAX_IN) {
            snprintf(err, errlen, "quant=int8: tensor %s has %d inputs; the int8 kernel sums at most %d exactly in 32 bits", t->name,
                     t->shape[1], SB_Q8_MAX_IN);
            sb_quant_free(q);
            return NULL;
        }
        qmat *qm = calloc(1, sizeof *qm);
        if (qm) {
            qm->O = t->shape[0]; qm->I = t->shape[1];
            qm->amax = calloc((size_t)m->N, sizeof *qm->amax);
            qm->act = calloc((size_t)m->N, sizeof *qm->act);
        }
        q->mat[i] = qm;
        if (!qm || !qm->amax || !qm->act) { sb_quant_free(q); snprintf(err, errlen, "out of memory for the quantisation state"); return NULL; }
    }
    return q;
}

static int sb_quant_block_forward(sb_model *m, int l, int k, real *y, const real *x, const real *b, int R);

/* Give the model an int8 state and the hooks through which its core uses it. */
static int attach(sb_model *m, int act, char *err, size_t errlen)
{
    if (!(m->q = new_state(m, act, err, errlen))) return -1;
    m->q_forward = sb_quant_block_forward;
    m->q_free = sb_quant_free;
    return 0;
}

int sb_quant_begin(sb_model *m, int act, char *err, size_t errlen)
{
    if (m->q) { snprintf(err, errlen, "quantisation: the model is already quantised or calibrating"); return -1; }
    if (attach(m, act, err, errlen)) return -1;
    m->q->calibrating = 1;
    return 0;
}

static void observe(struct sb_quant *q, qmat *qm, int l, const real *x, int R)
{
    real mx = qm->amax[l];
    for (long i = 0; i < (long)R * qm->I; i++) {
        real a = R_FABS(x[i]);
        if (a > mx) mx = a;
    }
    qm->amax[l] = (float)mx;
    q->rows += R;
}

/* Weight codes, scales, row sums and the packed layout of qm from w (O,I). */
static int quantise_weights(qmat *qm, real *w)
{
    int O = qm->O, I = qm->I;
    int8_t *codes = malloc((size_t)O * I);
    qm->packed = malloc((size_t)sb_q8_rows(O) * sb_q8_cols(I));
    qm->scale = malloc(sizeof *qm->scale * O);
    qm->rowsum = calloc((size_t)sb_q8_rows(O), sizeof *qm->rowsum);
    if (!codes || !qm->packed || !qm->scale || !qm->rowsum) { free(codes); return -1; }
    double e2 = 0, w2 = 0;
    for (int o = 0; o < O; o++) {
        real *row = w + (long)o * I;
        double mx = 0;
        for (int i = 0; i < I; i++) mx = R_FABS(row[i]) > mx ? R_FABS(row[i]) : mx;
        float s = mx > 0 ? (float)(mx / 127) : 1.0f;   /* an all-zero row (pruned) codes to zeros under any scale */
        if (!(s >= FLT_MIN)) s = FLT_MIN;
        qm->scale[o] = s;
        for (int i = 0; i < I; i++) {
            double v = (double)row[i] / s;
            long c = lrint(v);
            c = c > 127 ? 127 : c < -127 ? -127 : c;
            codes[(long)o * I + i] = (int8_t)c;
            qm->rowsum[o] += (int32_t)c;
            real dq = (real)((float)c * s);
            e2 += ((double)row[i] - dq) * ((double)row[i] - dq);
            w2 += (double)row[i] * row[i];
            row[i] = dq;   /* the float weights become what the int8 model uses */
        }
    }
    qm->err = w2 > 0 ? sqrt(e2 / w2) : 0;
    sb_q8_pack(qm->packed, codes, O, I);
    free(codes);
    return 0;
}

/* Scratch for products of a few rows, sized for the largest quantised matrix. */
static int size_scratch(struct sb_quant *q)
{
    int maxI = 4, maxO = 16;
    for (int i = 0; i < q->nt; i++)
        if (q->mat[i]) {
            if (sb_q8_cols(q->mat[i]->I) > maxI) maxI = sb_q8_cols(q->mat[i]->I);
            if (sb_q8_rows(q->mat[i]->O) > maxO) maxO = sb_q8_rows(q->mat[i]->O);
        }
    q->xq = malloc((size_t)maxI);
    q->acc = malloc(sizeof *q->acc * maxO);
    return q->xq && q->acc ? 0 : -1;
}

/* The depths that use table tensor t. */
static int used_at(const sb_model *m, const sb_tensor *t, int l)
{
    const int *map = t->comp == SB_COMP_KV ? m->sh.kv : t->comp == SB_COMP_FFN ? m->sh.ffn : m->sh.attn;
    return map[l] == t->block;
}

int sb_quant_finish(sb_model *m, sb_quant_stats *st, char *err, size_t errlen)
{
    struct sb_quant *q = m->q;
    if (!q || !q->calibrating) { snprintf(err, errlen, "quantisation: sb_quant_begin was not called"); return -1; }
    if (q->act != SB_QACT_DYNAMIC && q->rows == 0) {
        snprintf(err, errlen, "quantisation: no calibration batch was run, so act=%s has no activation ranges", sb_qact_names[q->act]);
        return -1;
    }
    sb_quant_stats s;
    memset(&s, 0, sizeof s);
    s.act = q->act;
    s.rows_observed = q->rows;
    double e2 = 0, w2 = 0;
    int seen[3][SB_MAX_LAYERS * 4] = { { 0 } };
    for (int i = 0; i < m->nt; i++) {
        qmat *qm = q->mat[i];
        if (!qm) continue;
        const sb_tensor *t = &m->tensors[i];
        real *w = m->params + t->offset;
        double n2 = 0;
        for (long j = 0; j < t->numel; j++) n2 += (double)w[j] * w[j];
        if (quantise_weights(qm, w)) { snprintf(err, errlen, "out of memory quantising %s", t->name); return -1; }
        e2 += qm->err * qm->err * n2;
        w2 += n2;
        /* activation scales: the largest |x| over the depths using the block (block), or each depth's (depth) */
        float pooled = 0;
        for (int l = 0; l < m->N; l++)
            if (used_at(m, t, l) && qm->amax[l] > pooled) pooled = qm->amax[l];
        for (int l = 0; l < m->N; l++) {
            float a = q->act == SB_QACT_DEPTH ? qm->amax[l] : pooled;
            qm->act[l] = used_at(m, t, l) && a / 127 >= FLT_MIN ? a / 127 : FLT_MIN;
        }
        s.tensors++;
        s.uses += t->uses;
        s.bytes_float += t->numel * (long)sizeof(float);
        s.bytes_int8 += (long)sb_q8_rows(qm->O) * sb_q8_cols(qm->I) + 4L * qm->O + 4L * sb_q8_rows(qm->O) +
                        4L * (q->act == SB_QACT_DEPTH ? t->uses : q->act == SB_QACT_BLOCK);
        int part = t->comp == SB_COMP_ATTN ? 0 : t->comp == SB_COMP_KV ? 1 : 2;
        if (t->block < SB_MAX_LAYERS * 4 && !seen[part][t->block]) {
            seen[part][t->block] = 1;
            s.blocks[part]++;
            s.calibrations += q->act == SB_QACT_DEPTH ? t->uses : 1;
            s.calibrations_per_layer += t->uses;
        }
    }
    s.weight_error = w2 > 0 ? sqrt(e2 / w2) : 0;
    if (size_scratch(q)) { snprintf(err, errlen, "out of memory for the int8 scratch"); return -1; }
    q->calibrating = 0;
    q->ready = q->enabled = 1;
    if (st) *st = s;
    return 0;
}

int sb_quant_active(const sb_model *m) { return m->q && m->q->ready && m->q->enabled; }

void sb_quant_enable(sb_model *m, int on)
{
    if (m->q && m->q->ready) m->q->enabled = on ? 1 : 0;
}

int sb_quant_act(const sb_model *m) { return m->q && m->q->ready ? m->q->act : -1; }

double sb_quant_tensor_error(const sb_model *m, int ti)
{
    if (!m->q || !m->q->ready || ti < 0 || ti >= m->q->nt || !m->q->mat[ti]) return NAN;
    return m->q->mat[ti]->err;
}

long sb_quant_inference_bytes(const sb_model *m)
{
    long bytes = 0;
    for (int i = 0; i < m->nt; i++) {
        const qmat *qm = m->q && m->q->ready ? m->q->mat[i] : NULL;
        if (!qm) { bytes += m->tensors[i].numel * (long)sizeof(real); continue; }
        int n_act = m->q->act == SB_QACT_DEPTH ? m->tensors[i].uses : m->q->act == SB_QACT_BLOCK;
        bytes += (long)sb_q8_rows(qm->O) * sb_q8_cols(qm->I) + 4L * qm->O + 4L * sb_q8_rows(qm->O) + 4L * n_act;
    }
    return bytes;
}

/* The activation scale of row x: the calibrated one, or its own (act=dynamic). */
static float row_scale(const struct sb_quant *q, const qmat *qm, int l, const real *x)
{
    if (q->act != SB_QACT_DYNAMIC) return qm->act[l];
    real mx = 0;
    for (int i = 0; i < qm->I; i++) mx = R_FABS(x[i]) > mx ? R_FABS(x[i]) : mx;
    return mx / 127 >= FLT_MIN ? (float)(mx / 127) : FLT_MIN;
}

/* y = s * scale[o] * (acc - 128 rowsum) + b: the zero point off, back to real. */
static void dequantise(const qmat *qm, float s, real *y, const int32_t *acc, const real *b)
{
    for (int o = 0; o < qm->O; o++) y[o] = (real)((float)(acc[o] - 128 * qm->rowsum[o]) * (s * qm->scale[o])) + (b ? b[o] : 0);
}

/* y (R,O) = the int8 product of x (R,I) with qm at depth l, plus b (may be NULL). */
static void q8_linear(struct sb_quant *q, const qmat *qm, int l, real *y, const real *x, const real *b, int R)
{
    int O = qm->O, I = qm->I, I4 = sb_q8_cols(I), O16 = sb_q8_rows(O);
    if (R <= 4) {
        /* a few rows (decoding): one after the other, each product split over the threads */
        for (int r = 0; r < R; r++) {
            float s = row_scale(q, qm, l, x + (long)r * I);
            sb_q8_quantise_row(q->xq, x + (long)r * I, I, s);
            sb_q8_gemv(q->acc, qm->packed, q->xq, O, I, 1);
            dequantise(qm, s, y + (long)r * O, q->acc, b);
        }
        return;
    }
    /* many rows: chunks of CHUNK over the threads, each chunk's rows against each group of weights in cache */
    enum { CHUNK = 64 };
    #pragma omp parallel
    {
        uint8_t *xq = malloc((size_t)CHUNK * I4);
        int32_t *acc = malloc(sizeof *acc * CHUNK * O16);
        float s[CHUNK];
        #pragma omp for schedule(static)
        for (int r0 = 0; r0 < R; r0 += CHUNK) {
            int n = R - r0 < CHUNK ? R - r0 : CHUNK;
            if (!xq || !acc) {   /* out of memory: visible in the output, never silent */
                for (long i = (long)r0 * O; i < (long)(r0 + n) * O; i++) y[i] = NAN;
                continue;
            }
            for (int r = 0; r < n; r++) {
                s[r] = row_scale(q, qm, l, x + (long)(r0 + r) * I);
                sb_q8_quantise_row(xq + (long)r * I4, x + (long)(r0 + r) * I, I, s[r]);
            }
            sb_q8_gemm(acc, O16, qm->packed, xq, I4, n, O, I);
            for (int r = 0; r < n; r++) dequantise(qm, s[r], y + (long)(r0 + r) * O, acc + (long)r * O16, b);
        }
        free(xq);
        free(acc);
    }
}

/* One block matrix product when the model is quantised or calibrating, which
** sb_quant_begin installs as the model's q_forward. Returns 1 when it computed
** y, 0 when the float path should. */
static int sb_quant_block_forward(sb_model *m, int l, int k, real *y, const real *x, const real *b, int R)
{
    struct sb_quant *q = m->q;
    const layer_view *p = &m->lp[l];
    int ti = p->ti[k], fac = p->w[k] == NULL;
    real *ft = m->la[l].ft[k];
    if (q->calibrating) {
        if (!fac) { observe(q, q->mat[ti], l, x, R); return 0; }
        /* a factorised matrix: the second product's input is x Vt^T */
        observe(q, q->mat[ti + 1], l, x, R);
        linear_forward(ft, x, p->vt[k], NULL, R, sb_mat_in(m, k), m->Rf);
        observe(q, q->mat[ti], l, ft, R);
        linear_forward(y, ft, p->u[k], b, R, m->Rf, sb_mat_out(m, k));
        return 1;
    }
    if (!q->ready || !q->enabled) return 0;
    if (!fac) {
        q8_linear(q, q->mat[ti], l, y, x, b, R);
    } else {
        q8_linear(q, q->mat[ti + 1], l, ft, x, NULL, R);
        q8_linear(q, q->mat[ti], l, y, ft, b, R);
    }
    return 1;
}

/* ------------------------------------------------------------ checkpoints */

int sb_quant_get(const sb_model *m, int ti, int8_t *codes, float *scale, float *act, int *n_act)
{
    if (!m->q || !m->q->ready || ti < 0 || ti >= m->q->nt || !m->q->mat[ti]) return -1;
    const qmat *qm = m->q->mat[ti];
    const sb_tensor *t = &m->tensors[ti];
    sb_q8_unpack(codes, qm->packed, qm->O, qm->I);
    memcpy(scale, qm->scale, sizeof *scale * qm->O);
    *n_act = 0;
    if (m->q->act == SB_QACT_DEPTH) {
        for (int l = 0; l < m->N; l++) act[l] = qm->act[l];
        *n_act = m->N;
    } else if (m->q->act == SB_QACT_BLOCK) {
        for (int l = 0; l < m->N; l++)
            if (used_at(m, t, l)) { act[0] = qm->act[l]; break; }
        *n_act = 1;
    }
    return 0;
}

int sb_quant_install(sb_model *m, int act, int ti, const int8_t *codes, const float *scale, const float *acts, int n_act,
                     char *err, size_t errlen)
{
    if (!m->q && attach(m, act, err, errlen)) return -1;
    struct sb_quant *q = m->q;
    const sb_tensor *t = ti >= 0 && ti < m->nt ? &m->tensors[ti] : NULL;
    if (q->act != act || q->ready || q->calibrating) {
        snprintf(err, errlen, "tensor %s: quantisation mode %s does not match the model's", t ? t->name : "?", sb_qact_names[act]);
        return -1;
    }
    if (!t || !q->mat[ti]) {
        snprintf(err, errlen, "tensor %s: stored as int8, but the model does not quantise it (only block matrices are)", t ? t->name : "?");
        return -1;
    }
    int want = act == SB_QACT_DEPTH ? m->N : act == SB_QACT_BLOCK ? 1 : 0;
    if (n_act != want) {
        snprintf(err, errlen, "tensor %s: %d activation scales for act=%s, expected %d", t->name, n_act, sb_qact_names[act], want);
        return -1;
    }
    qmat *qm = q->mat[ti];
    for (int o = 0; o < qm->O; o++)
        if (!(scale[o] > 0) || !isfinite(scale[o])) {
            snprintf(err, errlen, "tensor %s: weight scale %d is %g, not a positive number", t->name, o, scale[o]);
            return -1;
        }
    for (int i = 0; i < n_act; i++)
        if (!(acts[i] > 0) || !isfinite(acts[i])) {
            snprintf(err, errlen, "tensor %s: activation scale %d is %g, not a positive number", t->name, i, acts[i]);
            return -1;
        }
    free(qm->packed); free(qm->scale); free(qm->rowsum);
    qm->packed = malloc((size_t)sb_q8_rows(qm->O) * sb_q8_cols(qm->I));
    qm->scale = malloc(sizeof *qm->scale * qm->O);
    qm->rowsum = calloc((size_t)sb_q8_rows(qm->O), sizeof *qm->rowsum);
    if (!qm->packed || !qm->scale || !qm->rowsum) { snprintf(err, errlen, "out of memory for tensor %s", t->name); return -1; }
    sb_q8_pack(qm->packed, codes, qm->O, qm->I);
    memcpy(qm->scale, scale, sizeof *scale * qm->O);
    real *w = m->params + t->offset;
    for (int o = 0; o < qm->O; o++)
        for (int i = 0; i < qm->I; i++) {
            int8_t c = codes[(long)o * qm->I + i];
            qm->rowsum[o] += c;
            w[(long)o * qm->I + i] = (real)((float)c * scale[o]);
        }
    for (int l = 0; l < m->N; l++) qm->act[l] = act == SB_QACT_DEPTH ? acts[l] : act == SB_QACT_BLOCK ? acts[0] : FLT_MIN;
    qm->err = NAN;   /* the float weights it came from are gone */
    return 0;
}

int sb_quant_install_done(sb_model *m, char *err, size_t errlen)
{
    struct sb_quant *q = m->q;
    if (!q) return 0;
    for (int i = 0; i < q->nt; i++)
        if (q->mat[i] && !q->mat[i]->packed) {
            snprintf(err, errlen, "tensor %s: the other block matrices are int8, this one has no int8 codes", m->tensors[i].name);
            return -1;
        }
    if (size_scratch(q)) { snprintf(err, errlen, "out of memory for the int8 scratch"); return -1; }
    q->ready = q->enabled = 1;
    return 0;
}

void sb_quant_drop(sb_model *m)
{
    sb_quant_free(m->q);
    m->q = NULL;
}
