/*
** quant.h: post-training int8 quantisation of a model's block matrices.
**
** Weights: symmetric, one scale per output channel (row), scale = max |w| /
** 127, codes round(w / scale). Activations (the input of each matrix):
** symmetric with a zero point of 128 in unsigned bytes (int8.h), one scale
** calibrated from the largest |x| seen over a few batches, per unique block
** (`block`, the default: a shared block is calibrated once, from every depth
** that uses it), per depth (`depth`), or taken from each row at run time
** (`dynamic`, no calibration). This is PyTorch's default scheme for linear
** layers (per-channel symmetric weights, min-max observers).
**
** Every unique tensor is quantised once, whatever the number of depths using
** it, and the count is returned, so the claim that shared weights are
** calibrated once is measured rather than assumed. Embeddings, the head and
** LayerNorms stay in float (as usual: they are small and sensitive). After
** quantisation the forward (and key/value-cache decoding) runs every block
** matrix product in int8; the float parameters are replaced by their
** dequantised values (scale * code), so everything else reading them (the
** backward of analyses and attacks, the straight-through estimator) sees the
** weights the int8 model uses. lowrank and hyper build per-depth weights at
** run time and are refused.
*/
#ifndef SB_QUANT_H
#define SB_QUANT_H

#include "core/model.h"

enum { SB_QACT_BLOCK, SB_QACT_DEPTH, SB_QACT_DYNAMIC, SB_QACT_COUNT };
/* "block", "depth", "dynamic". */
extern const char *const sb_qact_names[SB_QACT_COUNT];

typedef struct {
    int act;                     /* SB_QACT_* */
    int tensors;                 /* unique matrices quantised, each once */
    int uses;                    /* their uses over the depths */
    int blocks[3];               /* unique attention, key/value, feed-forward blocks quantised */
    int calibrations;            /* blocks calibrated: each unique block once (block, dynamic), or each depth's use (depth) */
    int calibrations_per_layer;  /* what quantising every layer's blocks separately would take: the depth uses of blocks */
    long rows_observed;          /* calibration input rows seen (summed over matrices and depths) */
    long clipped;                /* calibration values beyond the activation range (0 by construction; checked) */
    long bytes_float;            /* the quantised matrices as float */
    long bytes_int8;             /* as int8 codes, with their scales and row sums */
    double weight_error;         /* ||W - scale q||_F / ||W||_F over every quantised matrix */
} sb_quant_stats;

/* Start calibrating: from now on every forward records, for each block
** matrix and depth, the largest |input|. Refused (-1 with a message) for a
** sharing sb_quant_check refuses, inputs wider than SB_Q8_MAX_IN, or a model
** already quantised. */
int sb_quant_begin(sb_model *m, int act, char *err, size_t errlen);

/* Whether a model of this sharing can be quantised, as sb_quant_begin
** decides, for checks before any model is built: not when a modifier builds
** each depth's weights at run time (sb_sharing_weights_term). 0, or -1 with
** a message naming the modifier. */
int sb_quant_check(const sb_sharing *sh, char *err, size_t errlen);

/* Quantise every unique block matrix once: weight codes and scales, the
** activation scales from what was observed (each at least the smallest
** positive normal float), the int8 kernels' packed layout; then replace the
** float weights by their dequantised values and switch the model's products
** to int8. st (may be NULL) gets the counts. Returns 0, or -1 with a message
** (no calibration begun, or an activation mode needing observations and none
** seen). */
int sb_quant_finish(sb_model *m, sb_quant_stats *st, char *err, size_t errlen);

/* 1 when the model's products run in int8 (quantised and enabled). */
int sb_quant_active(const sb_model *m);

/* Run the products in int8 (1) or in float with the dequantised weights (0),
** for side-by-side measurements; nothing is recomputed. */
void sb_quant_enable(sb_model *m, int on);

/* The activation mode of a quantised model, or -1. */
int sb_quant_act(const sb_model *m);

/* Relative Frobenius error ||W - scale q|| / ||W|| of table tensor ti when it
** was quantised, else NAN. */
double sb_quant_tensor_error(const sb_model *m, int ti);

/* Bytes the int8 inference path holds for the weights: int8 codes, their
** scales and row sums, activation scales, and every other tensor in float.
** For a model that is not quantised: its float parameters. */
long sb_quant_inference_bytes(const sb_model *m);

/* For checkpoints (checkpoint.c): table tensor ti's int8 state. codes (O,I)
** row-major, scale (O), act (1 or N values, n_act). Returns 0, or -1 when ti
** is not quantised. */
int sb_quant_get(const sb_model *m, int ti, int8_t *codes, float *scale, float *act, int *n_act);

/* Install int8 state read from a checkpoint for tensor ti (codes, scales, n_act
** activation scales: 1 for block or dynamic, N for depth), with the mode act;
** the float weights become scale * code. Returns 0, or -1 with a message
** naming the tensor (not a block matrix, mode mismatch, non-positive scales). */
int sb_quant_install(sb_model *m, int act, int ti, const int8_t *codes, const float *scale, const float *acts, int n_act,
                     char *err, size_t errlen);
/* After every quantised tensor is installed: switch the model to int8.
** Returns 0, or -1 with a message naming a block matrix left without codes. */
int sb_quant_install_done(sb_model *m, char *err, size_t errlen);

/* Forget the quantisation (the float weights keep their dequantised values). */
void sb_quant_drop(sb_model *m);

#endif
