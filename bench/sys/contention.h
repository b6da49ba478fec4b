/*
** contention.h: is this process getting the CPUs it asks for? On a shared
** machine other processes slow a run by the whole, which no calibration at
** the start sees; these are the signals a run records so that its timings
** can be trusted or left out: the process's CPU time against the wall clock,
** the runnable tasks against the cores (/proc/loadavg), and the machine's
** busy and stolen time (/proc/stat) less this process's own.
*/
#ifndef SB_CONTENTION_H
#define SB_CONTENTION_H

/* A moment: the monotonic clock, the process's CPU time (every thread), and
** the machine's busy, stolen and total time from /proc/stat (seconds; NAN
** where /proc cannot be read). */
typedef struct {
    double wall, cpu, busy, steal, total;
} sb_cpu_moment;

void sb_cpu_moment_now(sb_cpu_moment *m);

/* The process's CPU time in seconds, every thread (NAN when unavailable). */
double sb_cpu_time(void);

/* The runnable tasks on the machine now (the first number of /proc/loadavg's
** fourth field, this process's running thread included); -1 when unreadable. */
int sb_run_queue(void);

/* Between two moments: the process's CPU seconds per wall second; the cores
** other processes kept busy on average (machine busy time less this
** process's CPU time, over the wall time; NAN without /proc/stat); the share
** of CPU time stolen by the hypervisor (NAN without /proc/stat). */
typedef struct {
    double wall, cpu, cpu_per_wall, other_cores, steal_fraction;
} sb_cpu_span;

void sb_cpu_span_of(const sb_cpu_moment *a, const sb_cpu_moment *b, sb_cpu_span *s);

/* Was a stretch of work contended: more runnable tasks than cores at its start
** or end (rq_start, rq_end; -1 unknown counts as not), or the process on a CPU
** less than 80% of its wall time (cpu_per_wall)? A step keeps at least one
** thread busy throughout, so less means it waited for a CPU. */
int sb_contended(int rq_start, int rq_end, int cores, double cpu_per_wall);

#endif
