/*
** memcheck.h: refusing, before any work starts, runs whose memory need is
** above the memory available (or a --mem-budget), so that a configuration too
** large for the machine gets a message with both figures instead of being
** killed by the kernel's out-of-memory killer part way through.
**
** The need is the engine's own accounting (sb_model_plan) of the model the run
** builds: parameters, gradients, AdamW moments, activations and backward
** scratch of one training step at the run's batch and longest sequence, plus
** the batch-1 tracking copies the gradient-noise analysis makes (one per
** thread, each with its gradient moments) and a distillation teacher (a whole
** model at the run's batch and length, with AdamW moments when trained in the
** run, and the distillation's logits buffers). The memory available is
** MemAvailable of /proc/meminfo, lowered to what the memory limit of the
** process's control group leaves (cgroup v1 or v2, every level up to the
** root), since that limit is what a container's out-of-memory killer enforces.
*/
#ifndef SB_MEMCHECK_H
#define SB_MEMCHECK_H

#include "spec/spec.h"
#include "core/model.h"
#include "runner.h"

/* Bytes available to a new run, read under proc_root and sys_root ("/proc" and
** "/sys/fs/cgroup" normally; other roots for tests). what gets where the
** figure comes from, for messages ("MemAvailable in /proc/meminfo", "the memory
** limit of cgroup /x"). -1 when /proc/meminfo cannot be read. */
double sb_mem_available_at(const char *proc_root, const char *sys_root, char *what, size_t whatlen);
double sb_mem_available(char *what, size_t whatlen);

/* What one run needs, in bytes. */
typedef struct {
    sb_memory step;      /* the training step, as the engine accounts it */
    double step_total;   /* its parameters + gradients + moments + activations + scratch */
    double analysis;     /* the gradient-noise analysis' tracking copies and their moments (0 without analyses) */
    double teacher;      /* the distillation teacher, its AdamW moments (teacher=train:) and buffers (0 without) */
    double models;       /* other models the run builds: the looped model at test_loops or at every number of loops
                         ** train_loops=sampled may draw, the trained model kept for convert=svd (0 without) */
    double total;        /* step_total + analysis + teacher + models */
    int batch, length;   /* the step's shape */
} sb_mem_need;

/* The need of a run of s with threads threads, whose model and task are plan
** (from sb_runner_check). 0, or -1 with a message when a model cannot be
** planned (or a teacher checkpoint read). */
int sb_mem_need_of(const sb_spec *s, const sb_runner_plan *plan, int threads, sb_mem_need *need, char *err, size_t errlen);

/* Check n cells (cell i's plan is plans[i], from sb_runner_check), run jobs at
** a time with threads threads each, against budget bytes (0: the memory
** available, and no check when that is unknown): every cell alone, and the
** jobs largest together. 0, or -1 with a message naming the cell (for n > 1
** its number and label), its need broken down and the budget with where it
** comes from. over, when not NULL, gets n flags: 1 for each cell that alone
** needs more than the budget (every cell is then checked, the message names
** the first). */
int sb_memcheck_cells(const sb_spec *cells, const sb_runner_plan *const *plans, long n, int jobs, int threads, double budget,
                      char *over, char *err, size_t errlen);

#endif
