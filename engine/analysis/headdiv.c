/*
** headdiv.c: attention-head diversity (Clark et al. 2019 JS head distance),
** head entropy and head importance (Michel et al. 2019); see headdiv.h.
** Everything is summed in double.
*/
#include "headdiv.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* p ln(p/m), 0 when p = 0 */
static double plogpm(double p, double m) { return p > 0 ? p * log(p / m) : 0; }

double sb_js_divergence(const double *p, const double *q, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) {
        double m = 0.5 * (p[i] + q[i]);
        s += 0.5 * plogpm(p[i], m) + 0.5 * plogpm(q[i], m);
    }
    return s;
}

double sb_js_smoothed(const real *a, const real *b, int n)
{
    double s = 0, u = 0.001 / n;
    for (int i = 0; i < n; i++) {
        double p = 0.999 * a[i] + u, q = 0.999 * b[i] + u, m = 0.5 * (p + q);
        s += 0.5 * plogpm(p, m) + 0.5 * plogpm(q, m);
    }
    return s;
}

double sb_attn_entropy(const real *a, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        if (a[i] > 0) s -= a[i] * log((double)a[i]);
    return s;
}

int sb_headdiv_init(sb_headdiv *h, int N, int NH)
{
    memset(h, 0, sizeof *h);
    h->N = N; h->NH = NH;
    h->js_sum = calloc((size_t)N, sizeof(double));
    h->queries = calloc((size_t)N, sizeof(long));
    h->ent_sum = calloc((size_t)N * NH, sizeof(double));
    h->imp_sum = calloc((size_t)N * NH, sizeof(double));
    if (!h->js_sum || !h->queries || !h->ent_sum || !h->imp_sum) { sb_headdiv_free(h); return -1; }
    return 0;
}

void sb_headdiv_free(sb_headdiv *h)
{
    free(h->js_sum); free(h->queries); free(h->ent_sum); free(h->imp_sum);
    h->js_sum = h->ent_sum = h->imp_sum = NULL;
    h->queries = NULL;
}

void sb_headdiv_add_attention(sb_headdiv *h, int l, const real *att, const unsigned char *valid, int B, int T, int causal)
{
    int NH = h->NH, pairs = NH * (NH - 1) / 2;
    double js = 0;
    long q = 0;
    /* att (B,NH,T,T): row t of head k sees keys 0..t (causal) or 0..T-1 */
    #pragma omp parallel for reduction(+ : js, q) schedule(static)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int n = causal ? t + 1 : T;
            if ((valid && !valid[b * T + t]) || n < 2) continue;   /* one key: nothing a head can choose */
            const real *rows = att + ((long)b * NH * T + t) * T;   /* head k's row: rows + k*T*T */
            double s = 0;
            for (int i = 0; i < NH; i++)
                for (int j = i + 1; j < NH; j++) s += sb_js_smoothed(rows + (long)i * T * T, rows + (long)j * T * T, n);
            if (pairs) js += s / pairs;
            q++;
        }
    h->js_sum[l] += js;
    for (int k = 0; k < NH; k++) {
        double e = 0;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) {
                int n = causal ? t + 1 : T;
                if ((valid && !valid[b * T + t]) || n < 2) continue;
                e += sb_attn_entropy(att + (((long)b * NH + k) * T + t) * T, n);
            }
        h->ent_sum[l * NH + k] += e;
    }
    h->queries[l] += q;
}

void sb_headdiv_add(sb_headdiv *h, const sb_model *m, const int *targets, const unsigned char *valid, int B, int T)
{
    int N = h->N, NH = h->NH, causal = sb_model_config(m)->causal;
    for (int l = 0; l < N; l++) sb_headdiv_add_attention(h, l, sb_model_attention(m, l), valid, B, T, causal);
    /* importance: the gate gradient is d(batch mean loss)/dg per example, i.e.
    ** (1/count) sum over the example's scored positions; times count/n_b it is
    ** the gradient of the example's own mean loss */
    long count = 0;
    for (int i = 0; i < B * T; i++) count += targets[i] >= 0;
    for (int b = 0; b < B; b++) {
        long nb = 0;
        for (int t = 0; t < T; t++) nb += targets[b * T + t] >= 0;
        if (!nb) continue;
        double scale = (double)count / nb;
        for (int l = 0; l < N; l++) {
            const real *g = sb_model_head_gate_grad(m, l);
            for (int k = 0; k < NH; k++) h->imp_sum[l * NH + k] += fabs(g[b * NH + k] * scale);
        }
        h->examples++;
    }
}

void sb_headdiv_result(const sb_headdiv *h, double *js, double *entropy, double *importance, double *raw)
{
    int N = h->N, NH = h->NH;
    for (int l = 0; l < N; l++) {
        if (js) js[l] = h->queries[l] && NH > 1 ? h->js_sum[l] / h->queries[l] : NAN;
        double norm = 0;
        for (int k = 0; k < NH; k++) {
            double imp = h->examples ? h->imp_sum[l * NH + k] / h->examples : NAN;
            if (entropy) entropy[l * NH + k] = h->queries[l] ? h->ent_sum[l * NH + k] / h->queries[l] : NAN;
            if (raw) raw[l * NH + k] = imp;
            norm += imp * imp;
        }
        norm = sqrt(norm);
        for (int k = 0; importance && k < NH; k++)
            importance[l * NH + k] = norm > 0 ? h->imp_sum[l * NH + k] / h->examples / norm : NAN;
    }
}
