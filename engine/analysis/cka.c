/*
** cka.c: linear CKA, plain (Kornblith et al. 2019) and debiased (unbiased
** HSIC of Nguyen et al. 2021), in double precision (see cka.h).
**
** In feature space, with K = X X^T and L = Y Y^T (n,n), x_i the rows of X:
**   tr(KL)          = ||X^T Y||_F^2                      (one GEMM, (p,n)x(n,q))
**   tr(K~L~)        = tr(KL) - sum_i |x_i|^2 |y_i|^2      (zeroed diagonals)
**   1'K~1           = |sum_i x_i|^2 - sum_i |x_i|^2
**   (K~1)_i         = x_i . sum_j x_j - |x_i|^2,  1'K~L~1 = (K~1) . (L~1)
** so neither form needs the n x n Gram matrices.
*/
#include "cka.h"
#include "core/real.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* What one representation contributes to every pair: its centred copy (n,p),
** row norms^2 (n), (K~1) (n), 1'K~1, and its self-terms. */
typedef struct {
    double *x, *rowsq, *k1;
    double one_k_one;
    double self_f;        /* ||X^T X||_F^2 of the centred copy */
    double self_hsic_u;   /* HSIC_u(K, K) */
} rep;

static int rep_init(rep *r, const double *X, int n, int p)
{
    r->x = malloc(sizeof(double) * (size_t)n * p);
    r->rowsq = malloc(sizeof(double) * (size_t)n);
    r->k1 = malloc(sizeof(double) * (size_t)n);
    double *mean = calloc((size_t)p, sizeof(double)), *sum = calloc((size_t)p, sizeof(double));
    if (!r->x || !r->rowsq || !r->k1 || !mean || !sum) { free(mean); free(sum); return -1; }
    /* centre the columns */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < p; j++) mean[j] += X[(size_t)i * p + j];
    for (int j = 0; j < p; j++) mean[j] /= n;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < p; j++) {
            double v = X[(size_t)i * p + j] - mean[j];
            r->x[(size_t)i * p + j] = v;
            sum[j] += v;   /* zero up to rounding; kept so the formulas hold as written */
        }
    double ssum = 0, tot = 0;
    for (int j = 0; j < p; j++) ssum += sum[j] * sum[j];
    for (int i = 0; i < n; i++) {
        const double *ci = r->x + (size_t)i * p;
        double sq = 0, dot = 0;
        for (int j = 0; j < p; j++) { sq += ci[j] * ci[j]; dot += ci[j] * sum[j]; }
        r->rowsq[i] = sq;
        r->k1[i] = dot - sq;
        tot += sq;
    }
    r->one_k_one = ssum - tot;
    free(mean); free(sum);
    return 0;
}

static void rep_free(rep *r)
{
    free(r->x); free(r->rowsq); free(r->k1);
}

/* ||A^T B||_F^2 for A (n,p), B (n,q); work holds p*q doubles. */
static double cross_f2(const double *A, int p, const double *B, int q, int n, double *work)
{
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, p, q, n, 1.0, A, p, B, q, 0.0, work, q);
    double s = 0;
    for (long i = 0; i < (long)p * q; i++) s += work[i] * work[i];
    return s;
}

/* Nguyen et al.'s HSIC_u from the feature-space terms of a pair. */
static double hsic_u(const rep *a, const rep *b, double f, int n)
{
    if (n < 4) return NAN;
    double diag = 0, kl1 = 0;
    for (int i = 0; i < n; i++) { diag += a->rowsq[i] * b->rowsq[i]; kl1 += a->k1[i] * b->k1[i]; }
    double nn = n;
    return ((f - diag) + a->one_k_one * b->one_k_one / ((nn - 1) * (nn - 2)) - 2.0 / (nn - 2) * kl1) / (nn * (nn - 3));
}

static double ratio(double num, double da, double db)
{
    double d = da * db;
    if (!(da > 0) || !(db > 0) || !(d > 0)) return NAN;   /* guard the square root (HSIC_u can be negative) */
    return num / sqrt(d);
}

/* Both forms for one pair; either output may be NULL. */
static int pair(const double *X, int p, const double *Y, int q, int n, double *lin, double *unb)
{
    rep a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int big = p > q ? p : q;
    double *work = malloc(sizeof(double) * (size_t)big * big);
    int rc = -1;
    if (!work || rep_init(&a, X, n, p) || rep_init(&b, Y, n, q)) goto out;
    double faa = cross_f2(a.x, p, a.x, p, n, work), fbb = cross_f2(b.x, q, b.x, q, n, work);
    double fab = cross_f2(a.x, p, b.x, q, n, work);
    if (lin) *lin = ratio(fab, faa, fbb);
    if (unb) *unb = ratio(hsic_u(&a, &b, fab, n), hsic_u(&a, &a, faa, n), hsic_u(&b, &b, fbb, n));
    rc = 0;
out:
    rep_free(&a); rep_free(&b); free(work);
    return rc;
}

double sb_cka_linear(const double *X, int p, const double *Y, int q, int n)
{
    double v = NAN;
    if (n < 2 || pair(X, p, Y, q, n, &v, NULL)) return NAN;
    return v;
}

double sb_cka_unbiased(const double *X, int p, const double *Y, int q, int n)
{
    double v = NAN;
    if (n < 4 || pair(X, p, Y, q, n, NULL, &v)) return NAN;
    return v;
}

double sb_hsic_unbiased_gram(const double *K, const double *L, int n)
{
    if (n < 4) return NAN;
    double tr = 0, ok = 0, ol = 0, kl1 = 0;
    for (int i = 0; i < n; i++) {
        double ki = 0, li = 0;   /* (K~1)_i, (L~1)_i */
        for (int j = 0; j < n; j++) {
            if (i == j) continue;
            tr += K[(size_t)i * n + j] * L[(size_t)j * n + i];
            ki += K[(size_t)i * n + j];
            li += L[(size_t)i * n + j];
        }
        ok += ki; ol += li; kl1 += ki * li;   /* 1'K~L~1 = sum_i (K~1)_i (L~1)_i for symmetric K~ */
    }
    double nn = n;
    return (tr + ok * ol / ((nn - 1) * (nn - 2)) - 2.0 / (nn - 2) * kl1) / (nn * (nn - 3));
}

int sb_cka_matrix(const double *const *reps, int R, int n, int p, double *linear, double *unbiased)
{
    rep *r = calloc((size_t)R, sizeof *r);
    double *work = malloc(sizeof(double) * (size_t)p * p);
    int rc = -1, made = 0;
    if (!r || !work) goto out;
    for (; made < R; made++)
        if (rep_init(&r[made], reps[made], n, p)) { made++; goto out; }
    for (int a = 0; a < R; a++) {
        r[a].self_f = cross_f2(r[a].x, p, r[a].x, p, n, work);
        r[a].self_hsic_u = hsic_u(&r[a], &r[a], r[a].self_f, n);
    }
    for (int a = 0; a < R; a++)
        for (int b = a; b < R; b++) {
            double f = a == b ? r[a].self_f : cross_f2(r[a].x, p, r[b].x, p, n, work);
            if (linear) linear[a * R + b] = linear[b * R + a] = ratio(f, r[a].self_f, r[b].self_f);
            if (unbiased)
                unbiased[a * R + b] = unbiased[b * R + a] =
                    ratio(hsic_u(&r[a], &r[b], f, n), r[a].self_hsic_u, r[b].self_hsic_u);
        }
    rc = 0;
out:
    for (int a = 0; r && a < made; a++) rep_free(&r[a]);
    free(r); free(work);
    return rc;
}
