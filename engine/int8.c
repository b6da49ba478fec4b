/*
** int8.c: packing, row quantisation and the int8 matrix-vector product (int8.h).
**
** Written here rather than taken from a library. The candidates in Debian 12:
** OpenBLAS has no integer GEMM; oneDNN (libdnnl-dev 2.6) has an int8 matmul,
** but at one row, which is what decoding a token is, it was slower on the
** project's machine (AMD EPYC, AVX-512 VNNI, one thread, u8 x s8 -> f32 with
** per-channel scales, its brgemm kernel): 5.4 us for 512 x 512, 18.8 us for
** 2048 x 512, 13.6 us for 512 x 2048, against 2.5, 10.9 and 11.8 us for the
** kernel below (and 21, 141 and 133 us for OpenBLAS's float GEMV), and it
** would add a large C++ dependency for one loop.
**
** Layout: output rows in tiles of 16; for each group of 4 inputs a tile holds
** 64 bytes, row r's 4 codes at bytes 4r..4r+3. vpdpbusd multiplies the 4
** unsigned input bytes (broadcast to every lane) by each row's 4 signed codes
** and adds the sums to that row's int32 lane, so a tile's 16 outputs build up
** in one register with no horizontal sums; four tiles run together to hide
** the instruction's latency.
*/
#include "int8.h"
#include <string.h>
#include <omp.h>

void sb_q8_pack(int8_t *packed, const int8_t *w, int O, int I)
{
    int O16 = sb_q8_rows(O), G = sb_q8_cols(I) / 4;
    memset(packed, 0, (size_t)O16 * G * 4);
    for (int o = 0; o < O; o++)
        for (int i = 0; i < I; i++)
            packed[((long)(o / 16) * G + i / 4) * 64 + (o % 16) * 4 + i % 4] = w[(long)o * I + i];
}

void sb_q8_unpack(int8_t *w, const int8_t *packed, int O, int I)
{
    int G = sb_q8_cols(I) / 4;
    for (int o = 0; o < O; o++)
        for (int i = 0; i < I; i++)
            w[(long)o * I + i] = packed[((long)(o / 16) * G + i / 4) * 64 + (o % 16) * 4 + i % 4];
}

int sb_q8_quantise_row(uint8_t *xq, const real *x, int I, float s)
{
    const float inv = 1.0f / s, magic = 12582912.0f;   /* 1.5 * 2^23: adding it rounds to an integer, half to even */
    int clipped = 0;
    #pragma omp simd reduction(+:clipped)
    for (int i = 0; i < I; i++) {
        float v = (float)x[i] * inv;
        clipped += v >= 127.5f || v <= -127.5f;   /* rounds beyond +-127 */
        v = v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v;
        xq[i] = (uint8_t)((int)((v + magic) - magic) + 128);
    }
    for (int i = I; i < sb_q8_cols(I); i++) xq[i] = 128;
    return clipped;
}

/* Tiles [t0, t1) of the product, portable C: the compiler vectorises the lane loop. */
static void tiles_portable(int32_t *acc, const int8_t *packed, const uint8_t *xq, int G, int t0, int t1)
{
    for (int t = t0; t < t1; t++) {
        int32_t lane[16] = { 0 };
        const int8_t *p = packed + (long)t * G * 64;
        for (int g = 0; g < G; g++, p += 64)
            for (int r = 0; r < 16; r++)
                lane[r] += p[4 * r] * xq[4 * g] + p[4 * r + 1] * xq[4 * g + 1] + p[4 * r + 2] * xq[4 * g + 2] +
                           p[4 * r + 3] * xq[4 * g + 3];
        memcpy(acc + 16 * t, lane, sizeof lane);
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_VNNI_KERNEL 1

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void tiles_vnni(int32_t *acc, const int8_t *packed, const uint8_t *xq, int G, int t0, int t1)
{
    int t = t0;
    for (; t + 4 <= t1; t += 4) {
        const int8_t *p = packed + (long)t * G * 64;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        for (int g = 0; g < G; g++) {
            int32_t x4;
            memcpy(&x4, xq + 4 * g, 4);
            __m512i xb = _mm512_set1_epi32(x4);
            a0 = _mm512_dpbusd_epi32(a0, xb, _mm512_loadu_si512(p + (long)g * 64));
            a1 = _mm512_dpbusd_epi32(a1, xb, _mm512_loadu_si512(p + ((long)G + g) * 64));
            a2 = _mm512_dpbusd_epi32(a2, xb, _mm512_loadu_si512(p + (2L * G + g) * 64));
            a3 = _mm512_dpbusd_epi32(a3, xb, _mm512_loadu_si512(p + (3L * G + g) * 64));
        }
        _mm512_storeu_si512(acc + 16 * t, a0);
        _mm512_storeu_si512(acc + 16 * t + 16, a1);
        _mm512_storeu_si512(acc + 16 * t + 32, a2);
        _mm512_storeu_si512(acc + 16 * t + 48, a3);
    }
    for (; t < t1; t++) {
        const int8_t *p = packed + (long)t * G * 64;
        __m512i a = _mm512_setzero_si512();
        for (int g = 0; g < G; g++) {
            int32_t x4;
            memcpy(&x4, xq + 4 * g, 4);
            a = _mm512_dpbusd_epi32(a, _mm512_set1_epi32(x4), _mm512_loadu_si512(p + (long)g * 64));
        }
        _mm512_storeu_si512(acc + 16 * t, a);
    }
}
#endif

int sb_q8_fast(void)
{
#ifdef HAVE_VNNI_KERNEL
    static int fast = -1;
    if (fast < 0) {
        __builtin_cpu_init();
        fast = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
    }
    return fast;
#else
    return 0;
#endif
}

void sb_q8_gemv_portable(int32_t *acc, const int8_t *packed, const uint8_t *xq, int O, int I)
{
    tiles_portable(acc, packed, xq, sb_q8_cols(I) / 4, 0, sb_q8_rows(O) / 16);
}

void sb_q8_gemv(int32_t *acc, const int8_t *packed, const uint8_t *xq, int O, int I, int parallel)
{
    int G = sb_q8_cols(I) / 4, nt = sb_q8_rows(O) / 16, fast = sb_q8_fast();
    /* groups of 4 tiles per thread; a short product stays on one thread */
    #pragma omp parallel if (parallel && (long)O * I >= 1 << 17)
    {
        int nth = omp_get_num_threads(), me = omp_get_thread_num(), quads = (nt + 3) / 4;
        int t0 = 4 * (quads * me / nth), t1 = 4 * (quads * (me + 1) / nth);
        if (t1 > nt) t1 = nt;
        if (t0 < t1) {
#ifdef HAVE_VNNI_KERNEL
            if (fast) tiles_vnni(acc, packed, xq, G, t0, t1);
            else
#endif
                tiles_portable(acc, packed, xq, G, t0, t1);
        }
    }
    (void)fast;
}
