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

/* Rows [0, n) against tiles: for each group of four tiles (whose weights then
** stay in cache) every four rows at once, 16 accumulators; remainders one row
** or one tile at a time. */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void gemm_vnni(int32_t *acc, int lda, const int8_t *packed, const uint8_t *xq, int ldx, int n, int G, int nt)
{
    int t = 0;
    for (; t + 4 <= nt; t += 4) {
        const int8_t *p = packed + (long)t * G * 64;
        int r0 = 0;
        for (; r0 + 4 <= n; r0 += 4) {
            /* sixteen named accumulators: an array indexed in loops would live on the stack */
            __m512i a00 = _mm512_setzero_si512(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00,
                    a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            const uint8_t *x0 = xq + (long)r0 * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx;
            for (int g = 0; g < G; g++) {
                __m512i w0 = _mm512_loadu_si512(p + (long)g * 64), w1 = _mm512_loadu_si512(p + ((long)G + g) * 64),
                        w2 = _mm512_loadu_si512(p + (2L * G + g) * 64), w3 = _mm512_loadu_si512(p + (3L * G + g) * 64);
                int32_t v;
#define ROW(xr, b0, b1, b2, b3)                          \
    memcpy(&v, xr + 4 * g, 4);                            \
    {                                                     \
        __m512i xb = _mm512_set1_epi32(v);                \
        b0 = _mm512_dpbusd_epi32(b0, xb, w0);             \
        b1 = _mm512_dpbusd_epi32(b1, xb, w1);             \
        b2 = _mm512_dpbusd_epi32(b2, xb, w2);             \
        b3 = _mm512_dpbusd_epi32(b3, xb, w3);             \
    }
                ROW(x0, a00, a01, a02, a03)
                ROW(x1, a10, a11, a12, a13)
                ROW(x2, a20, a21, a22, a23)
                ROW(x3, a30, a31, a32, a33)
#undef ROW
            }
            int32_t *c0 = acc + (long)r0 * lda + 16 * t, *c1 = c0 + lda, *c2 = c1 + lda, *c3 = c2 + lda;
            _mm512_storeu_si512(c0, a00); _mm512_storeu_si512(c0 + 16, a01); _mm512_storeu_si512(c0 + 32, a02); _mm512_storeu_si512(c0 + 48, a03);
            _mm512_storeu_si512(c1, a10); _mm512_storeu_si512(c1 + 16, a11); _mm512_storeu_si512(c1 + 32, a12); _mm512_storeu_si512(c1 + 48, a13);
            _mm512_storeu_si512(c2, a20); _mm512_storeu_si512(c2 + 16, a21); _mm512_storeu_si512(c2 + 32, a22); _mm512_storeu_si512(c2 + 48, a23);
            _mm512_storeu_si512(c3, a30); _mm512_storeu_si512(c3 + 16, a31); _mm512_storeu_si512(c3 + 32, a32); _mm512_storeu_si512(c3 + 48, a33);
        }
        for (; r0 < n; r0++) tiles_vnni(acc + (long)r0 * lda, packed, xq + (long)r0 * ldx, G, t, t + 4);
    }
    for (int r = 0; r < n && t < nt; r++) tiles_vnni(acc + (long)r * lda, packed, xq + (long)r * ldx, G, t, nt);
}

static int portable_only;

void sb_q8_set_portable(int on) { portable_only = on; }

int sb_q8_fast(void)
{
#ifdef HAVE_VNNI_KERNEL
    static int fast = -1;
    if (fast < 0) {
        __builtin_cpu_init();
        fast = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
    }
    return fast && !portable_only;
#else
    return 0;
#endif
}

void sb_q8_gemv_portable(int32_t *acc, const int8_t *packed, const uint8_t *xq, int O, int I)
{
    tiles_portable(acc, packed, xq, sb_q8_cols(I) / 4, 0, sb_q8_rows(O) / 16);
}

void sb_q8_gemm(int32_t *acc, int lda, const int8_t *packed, const uint8_t *xq, int ldx, int n, int O, int I)
{
    int G = sb_q8_cols(I) / 4, nt = sb_q8_rows(O) / 16;
#ifdef HAVE_VNNI_KERNEL
    if (sb_q8_fast()) {
        gemm_vnni(acc, lda, packed, xq, ldx, n, G, nt);
        return;
    }
#endif
    for (int r = 0; r < n; r++) tiles_portable(acc + (long)r * lda, packed, xq + (long)r * ldx, G, 0, nt);
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
