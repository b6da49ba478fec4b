/*
** factor.c: truncated SVD and alternating least squares of weight matrices,
** and building a factorised model from a dense one (factor.h).
**
** Everything runs in double whatever `real` is: the decompositions are done
** once per matrix, and their accuracy is what is being measured. LAPACK comes
** from OpenBLAS (Debian's libopenblas0 carries the LAPACK routines), called
** through the Fortran interface declared below (Debian ships no C header for
** it without LAPACKE), with the hidden string-length arguments gfortran
** expects.
*/
#include "factor.h"
#include "core/rng.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s, double *u, const int *ldu,
             double *vt, const int *ldvt, double *work, const int *lwork, int *iwork, int *info, size_t jobz_len);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b, const int *ldb,
             int *info, size_t uplo_len);

/* Make component j of U (O,R) and Vt (R,I) equally long; the product is unchanged. */
static void balance(double *U, double *Vt, int O, int I, int R)
{
    for (int j = 0; j < R; j++) {
        double nu = 0, nv = 0;
        for (int o = 0; o < O; o++) nu += U[(long)o * R + j] * U[(long)o * R + j];
        for (int i = 0; i < I; i++) nv += Vt[(long)j * I + i] * Vt[(long)j * I + i];
        if (nu <= 0 || nv <= 0) continue;
        double f = sqrt(sqrt(nv / nu));
        for (int o = 0; o < O; o++) U[(long)o * R + j] *= f;
        for (int i = 0; i < I; i++) Vt[(long)j * I + i] /= f;
    }
}

static void store(real *dst, const double *src, long n)
{
    for (long i = 0; i < n; i++) dst[i] = (real)src[i];
}

int sb_factor_svd(const real *A, int O, int I, int R, real *U, real *Vt, char *err, size_t errlen)
{
    int k = O < I ? O : I;
    if (R < 1 || R > k) { snprintf(err, errlen, "SVD: rank %d of a %d x %d matrix: expected 1 to %d", R, O, I, k); return -1; }
    /* the row-major (O,I) buffer is the column-major (I,O) matrix A^T = Ua S VTa, so A = VTa^T S Ua^T */
    double *a = malloc(sizeof *a * O * (size_t)I), *s = malloc(sizeof *s * k), *ua = malloc(sizeof *ua * I * (size_t)k),
           *vta = malloc(sizeof *vta * k * (size_t)O), *du = malloc(sizeof *du * O * (size_t)R), *dv = malloc(sizeof *dv * R * (size_t)I);
    int *iw = malloc(sizeof *iw * 8 * (size_t)k), info = 0, lwork = -1;
    double wq = 0, *work = NULL;
    int rc = -1;
    if (!a || !s || !ua || !vta || !du || !dv || !iw) { snprintf(err, errlen, "SVD: out of memory for a %d x %d matrix", O, I); goto out; }
    for (long i = 0; i < (long)O * I; i++) a[i] = A[i];
    dgesdd_("S", &I, &O, a, &I, s, ua, &I, vta, &k, &wq, &lwork, iw, &info, 1);
    lwork = (int)wq;
    if (info || !(work = malloc(sizeof *work * (size_t)(lwork > 1 ? lwork : 1)))) {
        snprintf(err, errlen, "SVD: workspace query failed (info %d)", info);
        goto out;
    }
    dgesdd_("S", &I, &O, a, &I, s, ua, &I, vta, &k, work, &lwork, iw, &info, 1);
    if (info) { snprintf(err, errlen, "SVD of a %d x %d matrix did not converge (LAPACK dgesdd info %d)", O, I, info); goto out; }
    for (int j = 0; j < R; j++) {
        double r = sqrt(s[j]);
        for (int o = 0; o < O; o++) du[(long)o * R + j] = vta[j + (long)o * k] * r;
        for (int i = 0; i < I; i++) dv[(long)j * I + i] = ua[i + (long)j * I] * r;
    }
    store(U, du, (long)O * R);
    store(Vt, dv, (long)R * I);
    rc = 0;
out:
    free(a); free(s); free(ua); free(vta); free(du); free(dv); free(iw); free(work);
    return rc;
}

/* Solve G X = B for X (R, n) in place of B, G (R,R) symmetric positive
** (definite after the ridge): Cholesky. -1 when it is not. */
static int spd_solve(double *G, double *B, int R, int n)
{
    double tr = 0;
    for (int j = 0; j < R; j++) tr += G[(long)j * R + j];
    double ridge = 1e-14 * (tr > 0 ? tr / R : 1);
    for (int j = 0; j < R; j++) G[(long)j * R + j] += ridge;
    int info = 0;
    /* symmetric, so row- and column-major agree for G; B (R,n) row-major is (n,R) column-major: solve
    ** with B^T, i.e. X^T G = B^T, which for symmetric G is the same system transposed */
    dpotrf_("L", &R, G, &R, &info, 1);
    if (info) return -1;
    double *bt = malloc(sizeof *bt * R * (size_t)n);
    if (!bt) return -1;
    for (int j = 0; j < R; j++)
        for (int c = 0; c < n; c++) bt[j + (long)c * R] = B[(long)j * n + c];   /* column-major (R, n) */
    dpotrs_("L", &R, &n, G, &R, bt, &R, &info, 1);
    for (int j = 0; j < R; j++)
        for (int c = 0; c < n; c++) B[(long)j * n + c] = bt[j + (long)c * R];
    free(bt);
    return info ? -1 : 0;
}

int sb_factor_als(const real *A, int O, int I, int R, int iters, uint64_t seed, real *U, real *Vt, char *err, size_t errlen)
{
    int k = O < I ? O : I;
    if (R < 1 || R > k || iters < 1) {
        snprintf(err, errlen, "ALS: rank %d of a %d x %d matrix with %d sweeps: expected rank 1 to %d and at least one sweep", R, O, I,
                 iters, k);
        return -1;
    }
    double *a = malloc(sizeof *a * O * (size_t)I), *u = malloc(sizeof *u * O * (size_t)R), *v = malloc(sizeof *v * R * (size_t)I),
           *g = malloc(sizeof *g * R * (size_t)R), *ut = malloc(sizeof *ut * R * (size_t)O);
    int rc = -1;
    if (!a || !u || !v || !g || !ut) { snprintf(err, errlen, "ALS: out of memory for a %d x %d matrix", O, I); goto out; }
    for (long i = 0; i < (long)O * I; i++) a[i] = A[i];
    sb_rng r;
    sb_rng_seed(&r, seed, "als");
    for (long i = 0; i < (long)R * I; i++) v[i] = sb_rng_normal(&r);
    for (int it = 0; it < iters; it++) {
        /* U^T = (V^T V)^-1 V^T A^T: G = Vt Vt^T, right side Vt A^T (R,O) */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, R, I, 1, v, I, v, I, 0, g, R);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, O, I, 1, v, I, a, I, 0, ut, O);
        if (spd_solve(g, ut, R, O)) goto singular;
        for (int o = 0; o < O; o++)
            for (int j = 0; j < R; j++) u[(long)o * R + j] = ut[(long)j * O + o];
        /* Vt = (U^T U)^-1 U^T A */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, R, R, O, 1, u, R, u, R, 0, g, R);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, R, I, O, 1, u, R, a, I, 0, v, I);
        if (spd_solve(g, v, R, I)) goto singular;
    }
    balance(u, v, O, I, R);
    store(U, u, (long)O * R);
    store(Vt, v, (long)R * I);
    rc = 0;
    goto out;
singular:
    snprintf(err, errlen, "ALS: a Gram matrix of the %d x %d matrix is not positive definite even with the ridge", O, I);
out:
    free(a); free(u); free(v); free(g); free(ut);
    return rc;
}

double sb_factor_error(const real *A, int O, int I, int R, const real *U, const real *Vt)
{
    double e2 = 0, a2 = 0;
    for (int o = 0; o < O; o++)
        for (int i = 0; i < I; i++) {
            double w = 0;
            for (int j = 0; j < R; j++) w += (double)U[(long)o * R + j] * Vt[(long)j * I + i];
            double d = A[(long)o * I + i] - w;
            e2 += d * d;
            a2 += (double)A[(long)o * I + i] * A[(long)o * I + i];
        }
    return a2 > 0 ? sqrt(e2 / a2) : 0;
}

int sb_factor_model(const sb_model *src, sb_model *dst, int method, int iters, uint64_t seed, double *errors, double *overall,
                    char *err, size_t errlen)
{
    const sb_config *cs = sb_model_config(src), *cd = sb_model_config(dst);
    for (const char *const *k = sb_config_keys(); *k; k++) {
        char va[SB_SPEC_LEN + 32], vb[SB_SPEC_LEN + 32];
        if (!strncmp(*k, "factor", 6)) continue;
        sb_config_get(cs, *k, va, sizeof va);
        sb_config_get(cd, *k, vb, sizeof vb);
        if (strcmp(va, vb)) {
            snprintf(err, errlen, "factorise: the models differ in %s (%s and %s), not only in factor", *k, va, vb);
            return -1;
        }
    }
    const real *sp = sb_model_params((sb_model *)src);
    real *dp = sb_model_params(dst);
    double e2 = 0, a2 = 0;
    for (int i = 0; i < sb_model_tensor_count(dst); i++) {
        const sb_tensor *t = sb_model_tensor(dst, i);
        size_t len = strlen(t->name);
        if (errors) errors[i] = NAN;
        if (len > 3 && !strcmp(t->name + len - 3, ".vt")) continue;   /* made with its .u */
        int fac = len > 2 && !strcmp(t->name + len - 2, ".u");
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(fac ? len - 2 : len), t->name);
        int j = sb_model_tensor_find(src, name);
        const sb_tensor *s = j >= 0 ? sb_model_tensor(src, j) : NULL;
        if (!s) { snprintf(err, errlen, "factorise: the dense model has no tensor %s", name); return -1; }
        if (!fac) {
            if (s->numel != t->numel) { snprintf(err, errlen, "factorise: tensor %s differs in size", name); return -1; }
            memcpy(dp + t->offset, sp + s->offset, sizeof(real) * t->numel);
            continue;
        }
        const sb_tensor *tv = sb_model_tensor(dst, i + 1);
        int O = s->shape[0], I = s->shape[1], R = t->shape[1];
        if (s->ndim != 2 || t->shape[0] != O || tv->shape[1] != I) {
            snprintf(err, errlen, "factorise: %s is not a %d x %d matrix in the dense model", name, O, I);
            return -1;
        }
        char inner[SB_ERR_LEN];
        int rc = method == SB_FACTOR_ALS ? sb_factor_als(sp + s->offset, O, I, R, iters, seed ^ (uint64_t)i, dp + t->offset, dp + tv->offset,
                                                         inner, sizeof inner)
                                         : sb_factor_svd(sp + s->offset, O, I, R, dp + t->offset, dp + tv->offset, inner, sizeof inner);
        if (rc) { snprintf(err, errlen, "factorise %s: %s", name, inner); return -1; }
        double e = sb_factor_error(sp + s->offset, O, I, R, dp + t->offset, dp + tv->offset), n2 = 0;
        for (long q = 0; q < s->numel; q++) n2 += (double)sp[s->offset + q] * sp[s->offset + q];
        e2 += e * e * n2;
        a2 += n2;
        if (errors) errors[i] = e;
    }
    if (overall) *overall = a2 > 0 ? sqrt(e2 / a2) : 0;
    return 0;
}
