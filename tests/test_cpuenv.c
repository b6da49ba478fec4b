/*
** test_cpuenv.c: the start-up step's decisions (cpuenv.h): which kernel
** generation a CPU's features allow, which generation an OpenBLAS core name
** runs, when sharebench sets OPENBLAS_CORETYPE and the wait policy, and that
** the user's own settings win. The feature sets are those of real CPUs, not
** this machine's; the one check of this machine compares cpuid with the
** kernel's own reading of it (/proc/cpuinfo's flags).
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sys/cpuenv.h"

/* Sapphire Rapids and AMD Zen 4/5: every AVX-512 subset OpenBLAS's SkylakeX kernels use */
static const sb_cpu_features avx512 = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
/* Haswell to Alder Lake, Zen 1-3 */
static const sb_cpu_features avx2 = { 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0 };

static void isa_from_features(void **state)
{
    (void)state;
    assert_int_equal(sb_cpu_isa(&avx512), SB_ISA_AVX512);
    assert_int_equal(sb_cpu_isa(&avx2), SB_ISA_AVX2);
    sb_cpu_features knl = avx512;   /* Knights Landing: AVX-512F without BW, VL, DQ */
    knl.avx512bw = knl.avx512vl = knl.avx512dq = 0;
    assert_int_equal(sb_cpu_isa(&knl), SB_ISA_AVX2);
    sb_cpu_features snb = avx2;     /* Sandy Bridge: AVX without AVX2 and FMA */
    snb.avx2 = snb.fma = 0;
    assert_int_equal(sb_cpu_isa(&snb), SB_ISA_AVX);
    sb_cpu_features nofma = avx2;   /* AVX2 alone is not enough for the Haswell kernels */
    nofma.fma = 0;
    assert_int_equal(sb_cpu_isa(&nofma), SB_ISA_AVX);
    sb_cpu_features nhm = { 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
    assert_int_equal(sb_cpu_isa(&nhm), SB_ISA_SSE42);
    sb_cpu_features old = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    assert_int_equal(sb_cpu_isa(&old), SB_ISA_SSE3);
    assert_string_equal(sb_blas_core_for(SB_ISA_AVX512), "SKYLAKEX");
    assert_string_equal(sb_blas_core_for(SB_ISA_AVX2), "HASWELL");
    assert_string_equal(sb_blas_core_for(SB_ISA_AVX), "SANDYBRIDGE");
    assert_null(sb_blas_core_for(SB_ISA_UNKNOWN));
}

static void core_names(void **state)
{
    (void)state;
    assert_int_equal(sb_blas_core_isa("Prescott"), SB_ISA_SSE3);
    assert_int_equal(sb_blas_core_isa("Unknown"), SB_ISA_SSE3);
    assert_int_equal(sb_blas_core_isa("Nehalem"), SB_ISA_SSE42);
    assert_int_equal(sb_blas_core_isa("Sandybridge"), SB_ISA_AVX);
    assert_int_equal(sb_blas_core_isa("Haswell"), SB_ISA_AVX2);
    assert_int_equal(sb_blas_core_isa("zen"), SB_ISA_AVX2);          /* any case */
    assert_int_equal(sb_blas_core_isa("SKYLAKEX"), SB_ISA_AVX512);
    assert_int_equal(sb_blas_core_isa("Cooperlake"), SB_ISA_AVX512);
    assert_int_equal(sb_blas_core_isa("SapphireRapids"), SB_ISA_AVX512);
    assert_int_equal(sb_blas_core_isa("Zen5"), SB_ISA_UNKNOWN);       /* a newer OpenBLAS's: left alone */
    assert_int_equal(sb_blas_core_isa(NULL), SB_ISA_UNKNOWN);
}

static void decisions(void **state)
{
    (void)state;
    sb_cpuenv_plan p;
    /* OpenBLAS 0.3.21 on Sapphire Rapids: generic SSE3 kernels */
    assert_int_equal(sb_cpuenv_decide(&avx512, "Prescott", 0, 0, &p), 1);
    assert_string_equal(p.coretype, "SKYLAKEX");
    assert_int_equal(p.set_wait, 1);
    assert_non_null(strstr(p.note, "OPENBLAS_CORETYPE=SKYLAKEX (OpenBLAS chose its Prescott kernels on this AVX-512 CPU)"));
    assert_non_null(strstr(p.note, "OMP_WAIT_POLICY=passive"));
    /* on an AVX-512 AMD EPYC: Haswell; the user set the wait policy, which stays */
    assert_int_equal(sb_cpuenv_decide(&avx512, "Haswell", 0, 1, &p), 1);
    assert_string_equal(p.coretype, "SKYLAKEX");
    assert_int_equal(p.set_wait, 0);
    assert_null(strstr(p.note, "OMP_WAIT_POLICY"));
    /* the user's OPENBLAS_CORETYPE wins, even a lesser one */
    assert_int_equal(sb_cpuenv_decide(&avx512, "Haswell", 1, 0, &p), 1);
    assert_string_equal(p.coretype, "");
    assert_string_equal(p.note, "OMP_WAIT_POLICY=passive");
    /* the right kernels and the user's wait policy: nothing to do, nothing said */
    assert_int_equal(sb_cpuenv_decide(&avx512, "SkylakeX", 0, 1, &p), 0);
    assert_string_equal(p.note, "");
    assert_int_equal(sb_cpuenv_decide(&avx2, "Haswell", 0, 1, &p), 0);
    assert_int_equal(sb_cpuenv_decide(&avx2, "Zen", 0, 1, &p), 0);
    /* a core this table does not know is a newer OpenBLAS's choice */
    assert_int_equal(sb_cpuenv_decide(&avx512, "Zen5", 0, 1, &p), 0);
    /* on an AVX2 CPU the generic kernels are raised to Haswell's */
    assert_int_equal(sb_cpuenv_decide(&avx2, "Prescott", 0, 1, &p), 1);
    assert_string_equal(p.coretype, "HASWELL");
}

/* cpuid as read here against the kernel's flags for this machine's first CPU */
static void this_machine(void **state)
{
    (void)state;
    /* under valgrind cpuid answers for valgrind's CPU (no AVX-512), /proc/cpuinfo for the host */
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload")) skip();
    sb_cpu_features f;
    sb_cpu_features_read(&f);
    FILE *in = fopen("/proc/cpuinfo", "r");
    if (!in) skip();
    char line[8192], flags[8192] = "";
    while (fgets(line, sizeof line, in))
        if (!strncmp(line, "flags", 5)) { snprintf(flags, sizeof flags, " %s", strchr(line, ':') + 1); break; }
    fclose(in);
    if (!flags[0]) skip();
    flags[strcspn(flags, "\n")] = ' ';
    const struct { const char *flag; int have; } fs[] = {
        { " pni ", f.sse3 }, { " ssse3 ", f.ssse3 }, { " sse4_2 ", f.sse42 }, { " avx ", f.avx }, { " avx2 ", f.avx2 },
        { " fma ", f.fma }, { " avx512f ", f.avx512f }, { " avx512bw ", f.avx512bw }, { " avx512vl ", f.avx512vl },
    };
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) {
        if ((strstr(flags, fs[i].flag) != NULL) != fs[i].have) fail_msg("cpuid and /proc/cpuinfo differ on%s", fs[i].flag);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(isa_from_features),
        cmocka_unit_test(core_names),
        cmocka_unit_test(decisions),
        cmocka_unit_test(this_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
