/*
** contention.c: the contention signals of contention.h, from clock_gettime
** and /proc.
*/
#include "contention.h"
#include "clock.h"
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* /proc/stat's first line: cpu user nice system idle iowait irq softirq steal ... (clock ticks) */
static void proc_stat(double *busy, double *steal, double *total)
{
    *busy = *steal = *total = NAN;
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return;
    unsigned long long v[8] = { 0 };
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n < 7) return;
    double hz = (double)sysconf(_SC_CLK_TCK);
    /* busy: user, nice, system, irq, softirq (guest time is inside user) */
    *busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / hz;
    *steal = (double)v[7] / hz;
    *total = (double)(v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7]) / hz;
}

double sb_cpu_time(void)
{
    struct timespec ts;
    return clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) ? NAN : ts.tv_sec + ts.tv_nsec * 1e-9;
}

void sb_cpu_moment_now(sb_cpu_moment *m)
{
    m->wall = sb_now();
    m->cpu = sb_cpu_time();
    proc_stat(&m->busy, &m->steal, &m->total);
}

int sb_run_queue(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f) return -1;
    double l1, l5, l15;
    int running, total;
    int n = fscanf(f, "%lf %lf %lf %d/%d", &l1, &l5, &l15, &running, &total);
    fclose(f);
    return n == 5 ? running : -1;
}

void sb_cpu_span_of(const sb_cpu_moment *a, const sb_cpu_moment *b, sb_cpu_span *s)
{
    s->wall = b->wall - a->wall;
    s->cpu = b->cpu - a->cpu;
    s->cpu_per_wall = s->wall > 0 ? s->cpu / s->wall : NAN;
    double busy = b->busy - a->busy, total = b->total - a->total;
    s->other_cores = s->wall > 0 ? fmax(0, (busy - s->cpu) / s->wall) : NAN;
    s->steal_fraction = total > 0 ? (b->steal - a->steal) / total : NAN;
}

int sb_contended(int rq_start, int rq_end, int cores, double cpu_per_wall)
{
    return rq_start > cores || rq_end > cores || cpu_per_wall < 0.8;
}
