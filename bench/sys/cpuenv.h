/*
** cpuenv.h: the start-up step that puts sharebench on the right kernels.
**
** OpenBLAS (Debian's build carries kernels for every x86-64 generation and
** picks one at load time) can fail to recognise a CPU newer than itself and
** fall back to a lesser core: 0.3.21 runs its generic SSE3 "Prescott" kernels
** on Sapphire Rapids and its AVX2 "Haswell" kernels on AMD's AVX-512 parts,
** silently, at a half to a fifth of the speed. And libgomp's default wait
** policy spins its threads at every barrier, which on a machine whose cores
** other programs load slows two-thread runs ten times and more.
**
** Both are read once, when the libraries load, from the environment. So at
** start sharebench compares the core OpenBLAS chose with what cpuid says this
** CPU (and its operating system) supports, and when OpenBLAS fell back, or the
** wait policy is unset, it executes itself again, once, with
** OPENBLAS_CORETYPE and OMP_WAIT_POLICY=passive set (a marker variable stops
** a second time). What the user set explicitly is never changed.
*/
#ifndef SB_CPUENV_H
#define SB_CPUENV_H

#include <stddef.h>

/* The instruction sets that decide which OpenBLAS kernels a CPU can run, from
** cpuid, each only when the operating system also saves its registers. */
typedef struct {
    int sse3, ssse3, sse41, sse42, avx, avx2, fma, avx512f, avx512bw, avx512vl, avx512dq, avx512cd;
} sb_cpu_features;

/* Kernel generations, in order: what a core's kernels need. */
enum { SB_ISA_UNKNOWN = -1, SB_ISA_SSE3, SB_ISA_SSE42, SB_ISA_AVX, SB_ISA_AVX2, SB_ISA_AVX512 };

/* What start-up decided: the core type to set ("" for none), whether to set the
** wait policy, and a sentence for the run's record ("" when nothing changed). */
typedef struct {
    char coretype[32];
    int set_wait;
    char note[160];
} sb_cpuenv_plan;

/* This CPU's features, from cpuid and xgetbv. */
void sb_cpu_features_read(sb_cpu_features *f);

/* The best kernel generation features f can run. */
int sb_cpu_isa(const sb_cpu_features *f);

/* The OPENBLAS_CORETYPE that runs generation isa's kernels ("SKYLAKEX",
** "HASWELL", "SANDYBRIDGE", "NEHALEM", "PRESCOTT"). */
const char *sb_blas_core_for(int isa);

/* The generation of an OpenBLAS core name as openblas_get_corename() gives it
** (any case), or SB_ISA_UNKNOWN for a name this table does not know (a newer
** OpenBLAS's core, left alone). */
int sb_blas_core_isa(const char *corename);

/* Decide, from the CPU's features, the core OpenBLAS chose and whether the
** user set OPENBLAS_CORETYPE and OMP_WAIT_POLICY. Returns 1 when the process
** should run again with the plan's environment, 0 when it runs as it is. */
int sb_cpuenv_decide(const sb_cpu_features *f, const char *chosen, int user_coretype, int user_wait, sb_cpuenv_plan *plan);

/* The start-up step: decide, and when needed set the variables and the marker
** and execute /proc/self/exe with argv again (returns only when it need not,
** or when that fails). Call first in main, before any thread starts. */
void sb_cpuenv_start(char **argv);

/* What start-up changed, for `bench` and each run's record: "" when nothing,
** else e.g. "OPENBLAS_CORETYPE=SKYLAKEX (OpenBLAS chose its Haswell kernels on
** this AVX-512 CPU); OMP_WAIT_POLICY=passive". */
const char *sb_cpuenv_note(void);

/* A sentence on the kernels running now into out: OpenBLAS's core, the CPU's
** best generation, and why they differ where they do. Returns 1 when the
** kernels are this CPU's best (or a core this table does not know), 0 when
** lesser ones run (the user's OPENBLAS_CORETYPE, or an OpenBLAS that cannot
** switch). */
int sb_cpuenv_kernels(char *out, size_t len);

/* 1 when start-up (not the user) set the wait policy: a foreign program
** started from here (the PyTorch peer) then runs without it, as its users run it. */
int sb_cpuenv_wait_added(void);

#endif
