/*
** int8.h: the int8 matrix products of quantised inference (quant.h).
**
** A weight matrix W (O,I) is held as int8 codes q with one float scale per
** output row (symmetric: W ~ scale[o] * q[o][i]), packed for the kernel.
** An input row x (I) is quantised to unsigned bytes with one scale s and a
** zero point of 128 (x ~ s * (xq - 128)), because the fast instruction
** (AVX-512 VNNI vpdpbusd) multiplies unsigned by signed bytes; the products
** are summed exactly in int32 and the zero point is taken off with the
** weight rows' sums. Integer arithmetic is exact, so the portable path and
** the VNNI path give the same bits; the VNNI path is chosen at run time
** when the CPU has it.
*/
#ifndef SB_INT8_H
#define SB_INT8_H

#include "core/real.h"
#include <stdint.h>

/* Packed sizes: rows padded to a multiple of 16, inputs to a multiple of 4. */
static inline int sb_q8_rows(int O) { return (O + 15) / 16 * 16; }
static inline int sb_q8_cols(int I) { return (I + 3) / 4 * 4; }

/* Pack codes w (O,I), row-major, into packed (sb_q8_rows(O) * sb_q8_cols(I)
** bytes): tiles of 16 rows, each a run of 64-byte groups holding 4
** consecutive inputs of the 16 rows. Padding is zero. */
void sb_q8_pack(int8_t *packed, const int8_t *w, int O, int I);

/* The codes back in row-major order (O,I). */
void sb_q8_unpack(int8_t *w, const int8_t *packed, int O, int I);

/* Quantise x (I) with scale s (> 0) into xq (sb_q8_cols(I) bytes, padding
** 128): xq = clamp(round(x / s), -127, 127) + 128, rounding half to even.
** Returns the number of clipped entries (those rounding beyond +-127). */
int sb_q8_quantise_row(uint8_t *xq, const real *x, int I, float s);

/* acc (sb_q8_rows(O)) = sum_i packed[o][i] * xq[i], exact in int32 (|I| <=
** SB_Q8_MAX_IN keeps every sum in range). parallel: split the rows over the
** threads (call it outside a parallel region then). */
#define SB_Q8_MAX_IN 65536
void sb_q8_gemv(int32_t *acc, const int8_t *packed, const uint8_t *xq, int O, int I, int parallel);

/* The same through the portable C loop only (for tests against the fast path). */
void sb_q8_gemv_portable(int32_t *acc, const int8_t *packed, const uint8_t *xq, int O, int I);

/* n rows at once: acc + r * lda (sb_q8_rows(O) each) for the rows xq + r *
** ldx, r < n; the same sums as n sb_q8_gemv, with the weights of 64 outputs
** kept in cache while four rows at a time go past them (the batched
** forward). Serial. */
void sb_q8_gemm(int32_t *acc, int lda, const int8_t *packed, const uint8_t *xq, int ldx, int n, int O, int I);

/* 1 when sb_q8_gemv runs the AVX-512 VNNI kernel on this CPU. */
int sb_q8_fast(void);

/* on = 1: run the portable path even on a CPU with VNNI (tests, comparisons); 0: back to the fast path. */
void sb_q8_set_portable(int on);

#endif
