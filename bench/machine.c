/*
** machine.c: machine facts recorded with every run, threads, clocks.
*/
#include "machine.h"
#include "stats.h"
#include "cpuenv.h"
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <omp.h>
#include <cblas.h>
#include <stdlib.h>

#ifndef SB_VERSION
#define SB_VERSION "unknown"
#endif

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
    snprintf(m->blas, sizeof m->blas, "%s%s%s", openblas_get_config(), *env ? "; set by sharebench: " : "", env);
    snprintf(m->version, sizeof m->version, "%s", SB_VERSION);
}

void sb_machine_threads(int n)
{
    if (n <= 0) n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

double sb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void sb_fmt_time(double s, char *out, size_t len)
{
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(out, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(out, len, "%02ld:%02ld", t / 60, t % 60);
}

void sb_utc(char *out, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

long sb_peak_rss(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss * 1024L;
}

double sb_gemm_gflops(void)
{
    enum { N = 256, REPS = 9 };
    float *a = malloc(sizeof(float) * N * N * 3);
    if (!a) return 0;
    float *b = a + N * N, *c = b + N * N;
    for (int i = 0; i < 2 * N * N; i++) a[i] = (float)((i * 7919) % 101) / 101.0f;
    double t[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = sb_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1, a, N, b, N, 0, c, N);
        t[r] = sb_now() - t0;
    }
    free(a);
    return 2.0 * N * N * N / sb_stats_median(t, REPS) / 1e9;
}
