/*
** real.h: the engine's floating-point type.
**
** The engine is written once against `real` and compiled twice: as float
** (the product, fast) and, with -DSB_DOUBLE, as double, so the tests can
** check gradients by finite differences to a tight tolerance. Every math
** call and BLAS call goes through the macros below so the two builds differ
** only here.
*/
#ifndef SB_REAL_H
#define SB_REAL_H

#include <math.h>
#include <cblas.h>
/* OpenBLAS's config pulls in <complex.h>, whose macro I would break every `int I`. */
#undef I

#ifdef SB_DOUBLE
typedef double real;
#define R_EXP exp
#define R_LOG log
#define R_SQRT sqrt
#define R_TANH tanh
#define R_FABS fabs
#define R_COS cos
#define R_SIN sin
#define R_POW pow
#define SB_DTYPE_NAME "F64"
#define sb_cblas_gemm cblas_dgemm
#define sb_cblas_gemv cblas_dgemv
#else
typedef float real;
#define R_EXP expf
#define R_LOG logf
#define R_SQRT sqrtf
#define R_TANH tanhf
#define R_FABS fabsf
#define R_COS cosf
#define R_SIN sinf
#define R_POW powf
#define SB_DTYPE_NAME "F32"
#define sb_cblas_gemm cblas_sgemm
#define sb_cblas_gemv cblas_sgemv
#endif

/* glibc's vector math library (libmvec, linked through libm) has vector
** variants of these; declaring them lets loops under `omp simd` call them
** eight or sixteen lanes at a time without -ffast-math's other changes. */
#pragma omp declare simd notinbranch
extern float expf(float);
#pragma omp declare simd notinbranch
extern float tanhf(float);
#pragma omp declare simd notinbranch
extern double exp(double);
#pragma omp declare simd notinbranch
extern double tanh(double);

/* Row-major C(M,N) = alpha * op(A) op(B) + beta * C, op given by ta/tb ('N' or 'T').
** lda, ldb, ldc are the row strides of A, B, C as stored. Through OpenBLAS or
** oneDNN by shape (gemm.c, gemm.h). */
void sb_gemm(char ta, char tb, int M, int N, int K, real alpha, const real *A, int lda, const real *B, int ldb,
             real beta, real *C, int ldc);

/* y(M) = A(M,N) x(N) + beta * y, A row-major and contiguous. */
static inline void sb_gemv(int M, int N, const real *A, const real *x, real beta, real *y)
{
    sb_cblas_gemv(CblasRowMajor, CblasNoTrans, M, N, 1, A, N, x, 1, beta, y, 1);
}

#endif
