/*
** gemm.h: which library makes the engine's matrix products.
**
** Every product of the engine goes through sb_gemm (real.h). In the float
** engine a product large enough goes to oneDNN, whose just-in-time kernels
** know every x86-64 generation by its cpuid features and made the training
** step's products 1.05x to 3x as fast as OpenBLAS (README: Performance);
** smaller ones (attention's per-head products, made one per thread inside a
** parallel region) stay with OpenBLAS, faster there. The double-precision
** engine of the tests uses OpenBLAS throughout.
*/
#ifndef SB_GEMM_H
#define SB_GEMM_H

#include <stddef.h>

typedef enum {
    SB_GEMM_AUTO,       /* by shape: oneDNN from SB_GEMM_ONEDNN_MIN multiply-adds, OpenBLAS below (the default) */
    SB_GEMM_OPENBLAS,   /* OpenBLAS for every product */
    SB_GEMM_ONEDNN      /* oneDNN for every product */
} sb_gemm_lib;

/* Products of M*N*K at least this go to oneDNN under SB_GEMM_AUTO: every
** linear layer of the reference shapes, none of attention's per-head ones. */
#define SB_GEMM_ONEDNN_MIN (1L << 20)

/* Sets the library for every later product of this process. Not thread-safe:
** call it before training (the command sets it from SHAREBENCH_GEMM at start). */
void sb_gemm_use(sb_gemm_lib lib);
sb_gemm_lib sb_gemm_current(void);

/* Its name for the command line and records: "auto", "openblas", "onednn";
** sb_gemm_parse returns -1 for anything else. */
const char *sb_gemm_name(sb_gemm_lib lib);
int sb_gemm_parse(const char *name);

/* The widest instructions oneDNN's kernels use on this CPU: 0 SSE4.1, 1 AVX,
** 2 AVX2, 3 AVX-512 (-1 in the double-precision engine, which has no oneDNN),
** and their name ("AVX-512 AMX"). */
int sb_gemm_onednn_isa(const char **name);

/* One line for a run's record: the libraries in use, oneDNN's version and
** the instruction set its kernels use on this CPU. */
void sb_gemm_describe(char *out, size_t len);

#endif
