/*
** convert.h: a trained model converted into a shared one with per-depth
** low-rank corrections, as Relaxed Recursive Transformers do (Bae et al.
** 2025, ICLR, arXiv 2410.20672, section 3: the shared block initialised from
** the trained layers, each depth's LoRA from the truncated SVD of the
** residual between its trained matrix and the shared one).
**
** The shared blocks come first (sb_reshare / sb_model_remap: each block the
** mean of the trained matrices of the depths it serves, the paper's
** "Average" initialisation); this module then sets each depth's correction
** B_l A_l to the best rank-R approximation of W_l - W (Eckart-Young), so
** that W + B_l A_l is as near the trained W_l as rank R allows. Biases and
** other vectors stay as the remap left them (the block's mean).
*/
#ifndef SB_CONVERT_H
#define SB_CONVERT_H

#include "core/model.h"

/* Set the low-rank corrections of dst (sharing with lowrank:R, blocks already
** the remapped means) from src, the trained model of the same architecture
** (its own sharing, usually none): for every depth and block matrix, B_l =
** U_R sqrt(S_R) and A_l = sqrt(S_R) V_R^T of the residual W_l - W. *error
** (may be NULL) gets sqrt(sum ||W_l - (W + B_l A_l)||^2 / sum ||W_l||^2)
** over every depth's matrices: how far the converted model starts from the
** trained one. Returns 0, or -1 with a message (dst without lowrank, a
** tensor missing or of another shape, an SVD that failed). */
int sb_convert_relaxed(const sb_model *src, sb_model *dst, double *error, char *err, size_t errlen);

/* Set the bases and coefficients of dst (sharing with basis:R) from src, the
** trained model of the same architecture, as Basis Sharing does (Wang et al.
** 2024, arXiv 2410.03765, section 3: the matrices of a group of layers
** concatenated and factorised by one truncated SVD): for each block and
** matrix, the trained W_l of the depths the block serves stacked, [W_l1;
** W_l2; ...] = U S V^T truncated at R, the block's basis V^T scaled by
** sqrt(S_R), each depth's coefficients its rows of U_R sqrt(S_R). (The
** paper's SVD is weighted by calibration activations; this one is the
** plain, Frobenius-optimal one.) Biases stay the remap's mean. *error as
** for sb_convert_relaxed. Returns 0, or -1 with a message. */
int sb_convert_basis(const sb_model *src, sb_model *dst, double *error, char *err, size_t errlen);

#endif
