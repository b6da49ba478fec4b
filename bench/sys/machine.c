/*
** machine.c: machine facts recorded with every run, threads, peak memory.
*/
#include "machine.h"
#include "cpuenv.h"
#include "provenance.h"
#include "core/gemm.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <omp.h>
#include <cblas.h>
#include <stdlib.h>

void sb_machine_read(sb_machine *m)
{
    memset(m, 0, sizeof *m);
    snprintf(m->cpu, sizeof m->cpu, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(m->cpu, sizeof m->cpu, "%s", strchr(line, ':') + 2);
            m->cpu[strcspn(m->cpu, "\n")] = 0;
            break;
        }
    if (f) fclose(f);
    m->cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (gethostname(m->host, sizeof m->host)) snprintf(m->host, sizeof m->host, "unknown");
    /* with what start-up set, so a run's record says which kernels ran and why */
    const char *env = sb_cpuenv_note();
    char gemm[160];
    sb_gemm_describe(gemm, sizeof gemm);
    snprintf(m->blas, sizeof m->blas, "%s%s%s; %s", openblas_get_config(), *env ? "; set by sharebench: " : "", env, gemm);
    snprintf(m->version, sizeof m->version, "%s src:%s", sb_build_describe, sb_build_source_hash);
}

void sb_machine_threads(int n)
{
    if (n <= 0) n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

long sb_peak_rss(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss * 1024L;
}

