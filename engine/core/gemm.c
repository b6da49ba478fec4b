/*
** gemm.c: one matrix product, through the library fastest at its shape.
**
** OpenBLAS threads each product across all cores and packs both operands,
** which at the small shapes of these models leaves much of the time in
** packing and barriers (S1's products ran at 140-500 GFLOP/s on 16 cores);
** oneDNN's sgemm, JIT-compiled for the CPU it finds, made one S1 step's
** products in a third of OpenBLAS's time there, S2's in half, S3's in 0.9
** (0.6, 0.9 and 0.95 on 2 cores; tools/gemm_libs.c, README: The matrix-multiply
** libraries). Attention's per-head products are tiny and made one per thread
** inside a parallel region, where OpenBLAS's single-threaded path was the
** faster: the split is by size (SB_GEMM_ONEDNN_MIN). Both libraries run on
** libgomp's threads, so one thread count (omp_set_num_threads) serves both.
** The double-precision engine (tests) has only OpenBLAS: oneDNN has no dgemm.
*/
#include "gemm.h"
#include "real.h"
#include <stdio.h>
#include <string.h>
#ifndef SB_DOUBLE
#include <oneapi/dnnl/dnnl.h>
#endif

static sb_gemm_lib gemm_lib = SB_GEMM_AUTO;

void sb_gemm_use(sb_gemm_lib lib) { gemm_lib = lib; }
sb_gemm_lib sb_gemm_current(void) { return gemm_lib; }

static const char *const names[] = { "auto", "openblas", "onednn" };

const char *sb_gemm_name(sb_gemm_lib lib) { return names[lib]; }

int sb_gemm_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (!strcmp(name, names[i])) return i;
    return -1;
}

void sb_gemm(char ta, char tb, int M, int N, int K, real alpha, const real *A, int lda, const real *B, int ldb,
             real beta, real *C, int ldc)
{
#ifndef SB_DOUBLE
    /* oneDNN refuses nothing the engine asks; were it to, OpenBLAS makes the product */
    if (gemm_lib == SB_GEMM_ONEDNN || (gemm_lib == SB_GEMM_AUTO && (long)M * N * K >= SB_GEMM_ONEDNN_MIN))
        if (dnnl_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) == dnnl_success) return;
#endif
    sb_cblas_gemm(CblasRowMajor, ta == 'T' ? CblasTrans : CblasNoTrans, tb == 'T' ? CblasTrans : CblasNoTrans, M, N, K,
                  alpha, A, lda, B, ldb, beta, C, ldc);
}

int sb_gemm_onednn_isa(const char **name)
{
#ifdef SB_DOUBLE
    if (name) *name = "none";
    return -1;
#else
    static const struct { dnnl_cpu_isa_t isa; int level; const char *name; } isas[] = {
        { dnnl_cpu_isa_avx512_core_amx, 3, "AVX-512 AMX" }, { dnnl_cpu_isa_avx512_core_bf16, 3, "AVX-512 BF16" },
        { dnnl_cpu_isa_avx512_core_vnni, 3, "AVX-512 VNNI" }, { dnnl_cpu_isa_avx512_core, 3, "AVX-512" },
        { dnnl_cpu_isa_avx512_mic_4ops, 3, "AVX-512 (Xeon Phi)" }, { dnnl_cpu_isa_avx512_mic, 3, "AVX-512 (Xeon Phi)" },
        { dnnl_cpu_isa_avx2_vnni, 2, "AVX2 VNNI" }, { dnnl_cpu_isa_avx2, 2, "AVX2" }, { dnnl_cpu_isa_avx, 1, "AVX" },
    };
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++)
        if (isa == isas[i].isa) {
            if (name) *name = isas[i].name;
            return isas[i].level;
        }
    if (name) *name = "SSE4.1";
    return 0;
#endif
}

void sb_gemm_describe(char *out, size_t len)
{
#ifdef SB_DOUBLE
    snprintf(out, len, "OpenBLAS for every product (double precision)");
#else
    const dnnl_version_t *v = dnnl_version();
    const char *isa;
    sb_gemm_onednn_isa(&isa);
    if (gemm_lib == SB_GEMM_OPENBLAS)
        snprintf(out, len, "products: OpenBLAS for all (SHAREBENCH_GEMM=openblas)");
    else if (gemm_lib == SB_GEMM_ONEDNN)
        snprintf(out, len, "products: oneDNN %d.%d.%d (this CPU: %s) for all (SHAREBENCH_GEMM=onednn)", v->major, v->minor, v->patch, isa);
    else
        snprintf(out, len, "products: oneDNN %d.%d.%d (this CPU: %s) from 2^20 multiply-adds, OpenBLAS below", v->major,
                 v->minor, v->patch, isa);
#endif
}
