/*
** machine.h: where numbers come from: the machine, the BLAS, the code version.
*/
#ifndef SB_MACHINE_H
#define SB_MACHINE_H

#include <stddef.h>

typedef struct {
    char cpu[128], host[64], blas[320], version[64];
    int cores;
} sb_machine;

/* Fill in the machine's facts (CPU model from /proc/cpuinfo, online cores,
** OpenBLAS's build configuration and kernels with what start-up set for them
** (cpuenv.h), the git commit the binary was built from). */
void sb_machine_read(sb_machine *m);

/* Use n threads for OpenMP loops and OpenBLAS (n <= 0: all cores). */
void sb_machine_threads(int n);

/* Seconds from a monotonic clock. */
double sb_now(void);

/* A duration of s seconds for progress lines: "MM:SS", or "H:MM:SS" from an hour. */
void sb_fmt_time(double s, char *out, size_t len);

/* UTC time as ISO 8601, "2026-11-23T02:15:00Z". */
void sb_utc(char *out, size_t len);

/* This machine's single-precision matrix-multiply rate right now (GFLOP/s,
** median of repeated 256x256x256 products on the current threads): the
** calibration that makes speeds measured on different machines comparable. */
double sb_gemm_gflops(void);

/* Peak resident memory of this process so far, in bytes. */
long sb_peak_rss(void);

#endif
