/*
** machine.h: where numbers come from: the machine, the BLAS, the code version;
** threads and peak memory.
*/
#ifndef SB_MACHINE_H
#define SB_MACHINE_H

#include <stddef.h>

typedef struct {
    char cpu[128], host[64], blas[512], version[64];
    int cores;
} sb_machine;

/* Fill in the machine's facts (CPU model from /proc/cpuinfo, online cores,
** OpenBLAS's build configuration and kernels with what start-up set for them
** (cpuenv.h), the version the binary was built from (provenance.h): "COMMIT[-dirty]
** src:HASH", the hash of the sources compiled in). */
void sb_machine_read(sb_machine *m);

/* Use n threads for OpenMP loops and OpenBLAS (n <= 0: all cores). */
void sb_machine_threads(int n);

/* Peak resident memory of this process so far, in bytes. */
long sb_peak_rss(void);

#endif
