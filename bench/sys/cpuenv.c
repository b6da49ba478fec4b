/*
** cpuenv.c: the start-up step behind cpuenv.h: cpuid against the core
** OpenBLAS chose, and one re-execution with the environment that fixes it.
**
** The table of OpenBLAS's core names is its own (driver/others/dynamic.c,
** corename[]); a name it does not hold is a newer OpenBLAS's, which knows
** better than this table, and is left alone.
*/
#include "cpuenv.h"
#include "core/gemm.h"
#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <unistd.h>
#include <cblas.h>

#define MARK_NOTE "SB_CPUENV"        /* set on the re-executed process: what start-up changed */
#define MARK_WAIT "SB_CPUENV_WAIT"   /* set when start-up (not the user) set the wait policy */

static const char *note = "";

static unsigned long long xgetbv0(void)
{
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (unsigned long long)hi << 32 | lo;
}

void sb_cpu_features_read(sb_cpu_features *f)
{
    unsigned a, b, c, d;
    memset(f, 0, sizeof *f);
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    f->sse3 = c & 1;
    f->ssse3 = c >> 9 & 1;
    f->sse41 = c >> 19 & 1;
    f->sse42 = c >> 20 & 1;
    /* AVX registers count only when the OS saves them (OSXSAVE, then XCR0's SSE and AVX state) */
    unsigned long long xcr0 = (c >> 27 & 1) ? xgetbv0() : 0;
    int os_avx = (xcr0 & 0x6) == 0x6, os_avx512 = os_avx && (xcr0 & 0xe0) == 0xe0;
    f->avx = os_avx && (c >> 28 & 1);
    f->fma = os_avx && (c >> 12 & 1);
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    f->avx2 = os_avx && (b >> 5 & 1);
    f->avx512f = os_avx512 && (b >> 16 & 1);
    f->avx512dq = os_avx512 && (b >> 17 & 1);
    f->avx512cd = os_avx512 && (b >> 28 & 1);
    f->avx512bw = os_avx512 && (b >> 30 & 1);
    f->avx512vl = os_avx512 && (b >> 31 & 1);
}

int sb_cpu_isa(const sb_cpu_features *f)
{
    /* what OpenBLAS's own dynamic.c asks of each core's kernels */
    if (f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq && f->avx512cd && f->avx2 && f->fma) return SB_ISA_AVX512;
    if (f->avx2 && f->fma) return SB_ISA_AVX2;
    if (f->avx) return SB_ISA_AVX;
    if (f->sse42 && f->sse41 && f->ssse3) return SB_ISA_SSE42;
    return SB_ISA_SSE3;
}

const char *sb_blas_core_for(int isa)
{
    static const char *const names[] = { "PRESCOTT", "NEHALEM", "SANDYBRIDGE", "HASWELL", "SKYLAKEX" };
    return isa >= SB_ISA_SSE3 && isa <= SB_ISA_AVX512 ? names[isa] : NULL;
}

int sb_blas_core_isa(const char *corename)
{
    static const struct { const char *name; int isa; } cores[] = {
        { "Unknown", SB_ISA_SSE3 }, { "Katmai", SB_ISA_SSE3 }, { "Coppermine", SB_ISA_SSE3 }, { "Northwood", SB_ISA_SSE3 },
        { "Prescott", SB_ISA_SSE3 }, { "Banias", SB_ISA_SSE3 }, { "Atom", SB_ISA_SSE3 }, { "Core2", SB_ISA_SSE3 },
        { "Penryn", SB_ISA_SSE3 }, { "Dunnington", SB_ISA_SSE3 }, { "Athlon", SB_ISA_SSE3 }, { "Opteron", SB_ISA_SSE3 },
        { "Opteron_SSE3", SB_ISA_SSE3 }, { "Barcelona", SB_ISA_SSE3 }, { "Nano", SB_ISA_SSE3 }, { "Bobcat", SB_ISA_SSE3 },
        { "Nehalem", SB_ISA_SSE42 }, { "Sandybridge", SB_ISA_AVX }, { "Bulldozer", SB_ISA_AVX }, { "Piledriver", SB_ISA_AVX },
        { "Steamroller", SB_ISA_AVX }, { "Excavator", SB_ISA_AVX }, { "Haswell", SB_ISA_AVX2 }, { "Zen", SB_ISA_AVX2 },
        { "SkylakeX", SB_ISA_AVX512 }, { "Cooperlake", SB_ISA_AVX512 }, { "SapphireRapids", SB_ISA_AVX512 },
    };
    for (size_t i = 0; corename && i < sizeof cores / sizeof cores[0]; i++)
        if (!strcasecmp(corename, cores[i].name)) return cores[i].isa;
    return SB_ISA_UNKNOWN;
}

int sb_cpuenv_decide(const sb_cpu_features *f, const char *chosen, int user_coretype, int user_wait, sb_cpuenv_plan *plan)
{
    static const char *const isa_names[] = { "SSE3", "SSE4.2", "AVX", "AVX2", "AVX-512" };
    memset(plan, 0, sizeof *plan);
    int want = sb_cpu_isa(f), got = sb_blas_core_isa(chosen);
    size_t n = 0;
    if (!user_coretype && got != SB_ISA_UNKNOWN && got < want) {
        snprintf(plan->coretype, sizeof plan->coretype, "%s", sb_blas_core_for(want));
        n += snprintf(plan->note, sizeof plan->note, "OPENBLAS_CORETYPE=%s (OpenBLAS chose its %s kernels on this %s CPU)",
                      plan->coretype, chosen, isa_names[want]);
    }
    if (!user_wait) {
        plan->set_wait = 1;
        snprintf(plan->note + n, sizeof plan->note - n, "%sOMP_WAIT_POLICY=passive", n ? "; " : "");
    }
    return plan->coretype[0] || plan->set_wait;
}

void sb_cpuenv_start(char **argv)
{
    const char *done = getenv(MARK_NOTE);
    if (done) { note = done; return; }   /* this is the re-executed process */
    sb_cpu_features f;
    sb_cpuenv_plan plan;
    sb_cpu_features_read(&f);
    /* OPENBLAS_CORETYPE is read only by a build that carries every core (DYNAMIC_ARCH) */
    int fixed = !strstr(openblas_get_config(), "DYNAMIC_ARCH");
    if (!sb_cpuenv_decide(&f, openblas_get_corename(), fixed || getenv("OPENBLAS_CORETYPE") != NULL,
                          getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT"), &plan))
        return;
    if (plan.coretype[0]) setenv("OPENBLAS_CORETYPE", plan.coretype, 1);
    if (plan.set_wait) { setenv("OMP_WAIT_POLICY", "passive", 1); setenv(MARK_WAIT, "1", 1); }
    setenv(MARK_NOTE, plan.note, 1);
    fflush(NULL);
    execv("/proc/self/exe", argv);
    /* still here: run as we are, but not silently on lesser kernels */
    if (plan.coretype[0])
        fprintf(stderr, "sharebench: warning: could not re-execute itself (%s) to set %s; set it yourself for the faster kernels\n",
                strerror(errno), plan.note);
    unsetenv(MARK_WAIT);
    if (plan.coretype[0]) unsetenv("OPENBLAS_CORETYPE");
    if (plan.set_wait) unsetenv("OMP_WAIT_POLICY");
    unsetenv(MARK_NOTE);
}

int sb_cpuenv_kernels(char *out, size_t len)
{
    static const char *const isa_names[] = { "SSE3", "SSE4.2", "AVX", "AVX2", "AVX-512" };
    sb_cpu_features f;
    sb_cpu_features_read(&f);
    const char *core = openblas_get_corename(), *user = getenv("OPENBLAS_CORETYPE");
    int want = sb_cpu_isa(&f), got = sb_blas_core_isa(core), ok = got == SB_ISA_UNKNOWN || got >= want;
    /* oneDNN picks its kernels from cpuid's features, so it knows newer CPUs;
    ** its generation is checked all the same, as it makes the larger products */
    const char *dnnl_name;
    int dnnl = sb_gemm_onednn_isa(&dnnl_name);   /* 0 SSE4.1 ... 3 AVX-512: one below SB_ISA_SSE42 ... */
    int dnnl_ok = sb_gemm_current() == SB_GEMM_OPENBLAS || dnnl + SB_ISA_SSE42 >= want;
    int n = snprintf(out, len, "oneDNN's %s kernels%s, OpenBLAS's %s kernels on this %s CPU", dnnl_name,
                     dnnl_ok ? "" : " (lesser)", core, isa_names[want]);
    ok &= dnnl_ok;
    if (n < 0 || (size_t)n >= len) return ok;
    if (!ok && user && !strstr(note, "OPENBLAS_CORETYPE"))
        snprintf(out + n, len - n, ": lesser kernels, as OPENBLAS_CORETYPE=%s in the environment asks (unset it, or set %s)",
                 user, sb_blas_core_for(want));
    else if (!ok)
        snprintf(out + n, len - n, ": lesser kernels, and this OpenBLAS cannot switch (not built with DYNAMIC_ARCH)");
    else if (*note)
        snprintf(out + n, len - n, " (set by sharebench at start: %s)", note);
    return ok;
}

const char *sb_cpuenv_note(void) { return note; }

int sb_cpuenv_wait_added(void) { return getenv(MARK_WAIT) != NULL; }
