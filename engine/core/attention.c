/*
** attention.c: multi-head scaled dot-product attention with grouped key/value
** heads (G = NH ordinary, 1 < G < NH grouped-query, G = 1 multi-query).
**
** Per (batch, head) the scores are GEMMs (T,hd)x(hd,Tk), the softmax a row
** loop, and the output GEMMs (T,Tk)x(Tk,hd); OpenBLAS runs single-threaded
** inside the OpenMP loop. Under a causal mask the queries go in blocks of
** rows, and a block multiplies only the keys up to its last row, skipping
** most of the masked upper triangle (at T = 256, 44% of the attention
** products). The backward loops over (batch, key/value group) so the query
** heads sharing a group add into its dk, dv without races and in a fixed order.
** A depth reusing another's map (attn_reuse) only applies it to its values;
** the map's gradient from such depths joins the computing depth's before its
** softmax backward.
** A sliding window of W positions (window > 0, causal only) lets query i see
** keys i-W+1..i, as the self-decoder of YOCO (Sun et al. 2024, arXiv
** 2405.05254; their flash_attn window_size=(W-1, 0)); a block of queries then
** multiplies only the keys from its first row's window start.
*/
#include "ops.h"
#include <string.h>

/* The gradient of a head's gate (its output scaled by g, at g = 1): the
** head's output gradient against its output over its T rows of stride C. */
static real head_gate_grad(const real *doh, const real *oh, int T, int C, int hd)
{
    real s = 0;
    for (int t = 0; t < T; t++)
        for (int d = 0; d < hd; d++) s += doh[(long)t * C + d] * oh[(long)t * C + d];
    return s;
}

/* Rows of queries per block: small enough to skip most of the triangle,
** large enough to keep the GEMMs efficient. */
static int query_block(int T, int causal)
{
    return !causal ? T : T > 128 ? 32 : 16;
}

/* The first key query row i (of T, against Tk keys) sees: 0, or its window's start. */
static int first_key(int i, int T, int Tk, int causal, int window)
{
    int f = causal && window > 0 ? i + (Tk - T) - window + 1 : 0;
    return f > 0 ? f : 0;
}

/* In place: row (n) = softmax(row + bias + kbias) over columns first..last, 0 elsewhere. */
static void softmax_row(real *restrict row, const real *restrict bias, const real *restrict kbias, int first, int last, int n)
{
    if (bias) {
        #pragma omp simd
        for (int j = first; j <= last; j++) row[j] += bias[j];
    }
    if (kbias) {
        #pragma omp simd
        for (int j = first; j <= last; j++) row[j] += kbias[j];
    }
    real mx = row[first], sum = 0;
    #pragma omp simd reduction(max : mx)
    for (int j = first; j <= last; j++) mx = row[j] > mx ? row[j] : mx;
    #pragma omp simd reduction(+ : sum)
    for (int j = first; j <= last; j++) { row[j] = R_EXP(row[j] - mx); sum += row[j]; }
    real inv = 1 / sum;
    #pragma omp simd
    for (int j = first; j <= last; j++) row[j] *= inv;
    if (first > 0) memset(row, 0, sizeof(real) * first);
    if (last + 1 < n) memset(row + last + 1, 0, sizeof(real) * (n - last - 1));
}

void attention_forward(real *out, real *att, const real *q, const real *k, const real *v, const real *bias,
                       const real *kbias, int B, int T, int Tk, int NH, int G, int hd, int causal, int window)
{
    int C = NH * hd, Ck = G * hd, off = Tk - T, qb = query_block(T, causal);
    real scale = 1 / R_SQRT((real)hd);
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            int g = h * G / NH;
            const real *qh = q + (long)b * T * C + h * hd;
            const real *kh = k + (long)b * Tk * Ck + g * hd;
            const real *vh = v + (long)b * Tk * Ck + g * hd;
            real *P = att + ((long)b * NH + h) * T * Tk;
            for (int i0 = 0; i0 < T; i0 += qb) {
                int n = T - i0 < qb ? T - i0 : qb;
                int keys = causal ? i0 + n + off : Tk;   /* keys the block's last row sees */
                int k0 = first_key(i0, T, Tk, causal, window);   /* and the first its first row sees */
                real *Pb = P + (long)i0 * Tk;
                sb_gemm('N', 'T', n, keys - k0, hd, scale, qh + (long)i0 * C, C, kh + (long)k0 * Ck, Ck, 0, Pb + k0, Tk);
                for (int i = i0; i < i0 + n; i++)
                    softmax_row(P + (long)i * Tk, bias ? bias + ((long)h * T + i) * Tk : NULL, kbias ? kbias + (long)b * Tk : NULL,
                                first_key(i, T, Tk, causal, window), causal ? i + off : Tk - 1, Tk);
                sb_gemm('N', 'N', n, hd, keys - k0, 1, Pb + k0, Tk, vh + (long)k0 * Ck, Ck, 0, out + ((long)b * T + i0) * C + h * hd, C);
            }
        }
}

void attention_backward(real *dq, real *dk, real *dv, real *datt, real *dbias, real *gate,
                        const real *dout, const real *att, const real *q, const real *k, const real *v,
                        const real *out, const real *dp_in, int B, int T, int NH, int G, int hd, int causal, int window)
{
    int C = NH * hd, Ck = G * hd, per = NH / G, qb = query_block(T, causal);
    real scale = 1 / R_SQRT((real)hd);
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int g = 0; g < G; g++)
            for (int h = g * per; h < (g + 1) * per; h++) {
                const real *doh = dout + (long)b * T * C + h * hd;
                const real *qh = q + (long)b * T * C + h * hd;
                const real *kh = k + (long)b * T * Ck + g * hd;
                const real *vh = v + (long)b * T * Ck + g * hd;
                real *dkh = dk + (long)b * T * Ck + g * hd, *dvh = dv + (long)b * T * Ck + g * hd;
                const real *P = att + ((long)b * NH + h) * T * T;
                real *dS = datt + ((long)b * NH + h) * T * T;
                const real *dpi = dp_in ? dp_in + ((long)b * NH + h) * T * T : NULL;
                if (gate) gate[b * NH + h] += head_gate_grad(doh, out + (long)b * T * C + h * hd, T, C, hd);
                for (int i0 = 0; i0 < T; i0 += qb) {
                    int n = T - i0 < qb ? T - i0 : qb, keys = causal ? i0 + n : T, k0 = first_key(i0, T, T, causal, window);
                    const real *Pb = P + (long)i0 * T, *dob = doh + (long)i0 * C;
                    real *dSb = dS + (long)i0 * T;
                    /* dP = dO V^T, then dS = P * (dP - rowsum(dP * P)) in place */
                    sb_gemm('N', 'T', n, keys - k0, hd, 1, dob, C, vh + (long)k0 * Ck, Ck, 0, dSb + k0, T);
                    for (int i = i0; i < i0 + n; i++) {
                        real *row = dS + (long)i * T, dot = 0;
                        const real *pr = P + (long)i * T;
                        int first = first_key(i, T, T, causal, window), last = causal ? i : T - 1;
                        if (dpi) {
                            #pragma omp simd
                            for (int j = first; j <= last; j++) row[j] += dpi[(long)i * T + j];
                        }
                        #pragma omp simd reduction(+ : dot)
                        for (int j = first; j <= last; j++) dot += row[j] * pr[j];
                        #pragma omp simd
                        for (int j = first; j <= last; j++) row[j] = pr[j] * (row[j] - dot);
                        if (first > 0) memset(row, 0, sizeof(real) * first);
                        if (last + 1 < T) memset(row + last + 1, 0, sizeof(real) * (T - last - 1));
                    }
                    sb_gemm('T', 'N', keys - k0, hd, n, 1, Pb + k0, T, dob, C, 1, dvh + (long)k0 * Ck, Ck);
                    sb_gemm('N', 'N', n, hd, keys - k0, scale, dSb + k0, T, kh + (long)k0 * Ck, Ck, 0,
                            dq + ((long)b * T + i0) * C + h * hd, C);
                    sb_gemm('T', 'N', keys - k0, hd, n, scale, dSb + k0, T, qh + (long)i0 * C, C, 1, dkh + (long)k0 * Ck, Ck);
                }
            }
    if (dbias) {
        #pragma omp parallel for schedule(static)
        for (int h = 0; h < NH; h++)
            for (int b = 0; b < B; b++) {
                const real *dS = datt + ((long)b * NH + h) * T * T;
                real *db = dbias + (long)h * T * T;
                for (long i = 0; i < (long)T * T; i++) db[i] += dS[i];
            }
    }
}

void attention_reuse_forward(real *out, const real *att, const real *v, int B, int T, int Tk, int NH, int G, int hd)
{
    int C = NH * hd, Ck = G * hd;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            sb_gemm('N', 'N', T, hd, Tk, 1, att + ((long)b * NH + h) * T * Tk, Tk, v + (long)b * Tk * Ck + h * G / NH * hd, Ck, 0,
                    out + (long)b * T * C + h * hd, C);
}

void attention_reuse_backward(real *dv, real *dp, real beta, real *gate, const real *dout, const real *att, const real *v,
                              const real *out, int B, int T, int NH, int G, int hd)
{
    int C = NH * hd, Ck = G * hd, per = NH / G;
    /* over (batch, group), as attention_backward, so the heads of a group add into its dv in a fixed order */
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int g = 0; g < G; g++)
            for (int h = g * per; h < (g + 1) * per; h++) {
                const real *doh = dout + (long)b * T * C + h * hd, *vh = v + (long)b * T * Ck + g * hd;
                const real *P = att + ((long)b * NH + h) * T * T;
                if (gate) gate[b * NH + h] += head_gate_grad(doh, out + (long)b * T * C + h * hd, T, C, hd);
                sb_gemm('N', 'T', T, T, hd, 1, doh, C, vh, Ck, beta, dp + ((long)b * NH + h) * T * T, T);
                sb_gemm('T', 'N', T, hd, T, 1, P, T, doh, C, 1, dv + (long)b * T * Ck + g * hd, Ck);
            }
}
