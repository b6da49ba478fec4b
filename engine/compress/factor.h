/*
** factor.h: low-rank factorisation of weight matrices, W ~ U Vt with rank R.
**
** A model with factor=R (config.h) stores its block matrices as U (out,R)
** and Vt (R,in) and trains them directly (model_forward.c runs x Vt^T, then U). This
** module obtains the factors from a trained dense matrix instead: by the
** truncated SVD (the best rank-R approximation in the Frobenius norm,
** Eckart-Young; LAPACK's dgesdd), or by alternating least squares as the seed
** documents describe (fix V, solve for U; fix U, solve for V), for
** comparison. Both report the relative reconstruction error ||W - U Vt||_F /
** ||W||_F. Factors are balanced: component j of U and of Vt have equal norms.
*/
#ifndef SB_FACTOR_H
#define SB_FACTOR_H

#include "core/model.h"

enum { SB_FACTOR_SVD, SB_FACTOR_ALS };

/* Truncated SVD of A (O,I), row-major: U (O,R) = U_R sqrt(S_R), Vt (R,I) =
** sqrt(S_R) V_R^T, for 1 <= R <= min(O,I). Returns 0, or -1 with a message
** (LAPACK failed to converge, out of memory). */
int sb_factor_svd(const real *A, int O, int I, int R, real *U, real *Vt, char *err, size_t errlen);

/* Alternating least squares from a Gaussian start drawn from seed: iters
** sweeps of U = A V (V^T V)^-1 then V^T = (U^T U)^-1 U^T A (Cholesky, with a
** ridge of 1e-14 of the Gram matrix's mean diagonal so a rank-deficient A
** still solves). Returns 0, or -1 with a message. */
int sb_factor_als(const real *A, int O, int I, int R, int iters, uint64_t seed, real *U, real *Vt, char *err, size_t errlen);

/* ||A - U Vt||_F / ||A||_F (0 for A = 0), in double. */
double sb_factor_error(const real *A, int O, int I, int R, const real *U, const real *Vt);

/* Fill dst, a model with factor=R, from src, the same model dense (their
** configurations may differ only in factor and factor_mats): each factorised
** matrix from src's matrix by method (SB_FACTOR_SVD or _ALS with iters
** sweeps), every other tensor copied. errors (dst's tensor count, may be
** NULL) gets each factorised matrix's relative error at its U tensor's index
** and NAN elsewhere; *overall (may be NULL) the error over all of them,
** sqrt(sum ||W - U Vt||^2 / sum ||W||^2). Returns 0, or -1 with a message. */
int sb_factor_model(const sb_model *src, sb_model *dst, int method, int iters, uint64_t seed, double *errors, double *overall,
                    char *err, size_t errlen);

#endif
