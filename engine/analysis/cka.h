/*
** cka.h: similarity of two representations of the same examples: linear
** centred kernel alignment (CKA) in the plain form of Kornblith et al. (2019)
** and in the debiased form built on the unbiased HSIC estimator of Nguyen et
** al. (2021, "Do wide and deep networks learn the same things?", arXiv
** 2010.15327).
**
** A representation is a matrix (n,p) in double, one row per example (here a
** token position), the same rows in the same order for every representation
** compared. Plain CKA centres the columns and is
**     CKA = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F);
** debiased CKA replaces each HSIC by the unbiased estimator over the Gram
** matrices K = X X^T, L = Y Y^T with zeroed diagonals,
**     HSIC_u = [tr(KL) + (1'K1)(1'L1)/((n-1)(n-2)) - 2/(n-2) 1'KL1] / (n(n-3)),
** computed here without forming the n x n Gram matrices (O(n p^2), not O(n^2 p)).
** The plain form is biased upwards at small n; the debiased one can be
** negative, and is NAN when a self-similarity is not positive or n < 4.
*/
#ifndef SB_CKA_H
#define SB_CKA_H

/* Plain linear CKA (Kornblith et al.) of X (n,p) and Y (n,q), columns centred
** inside. NAN when either representation is constant. */
double sb_cka_linear(const double *X, int p, const double *Y, int q, int n);

/* Debiased linear CKA: HSIC_u(K,L) / sqrt(HSIC_u(K,K) HSIC_u(L,L)) with
** Nguyen et al.'s unbiased HSIC, from the features. NAN when n < 4 or a
** self-HSIC is not positive. */
double sb_cka_unbiased(const double *X, int p, const double *Y, int q, int n);

/* Nguyen et al.'s unbiased HSIC of two Gram matrices K, L (n,n) exactly as
** the formula reads (their diagonals are ignored, as if zeroed). O(n^2); the
** reference the feature-space computation is tested against. NAN when n < 4. */
double sb_hsic_unbiased_gram(const double *K, const double *L, int n);

/* Every pair among R representations of the same n rows, each (n,p): linear
** and unbiased (R,R), symmetric, both triangles and the diagonal filled
** (either may be NULL). Allocates its work once. Returns 0, or -1 when out
** of memory. */
int sb_cka_matrix(const double *const *reps, int R, int n, int p, double *linear, double *unbiased);

#endif
