/*
** taskfigs.h: the figures of one task in the report, each drawn by a script
** of plots/ from data files it writes beside the figure: training and
** validation curves, quality against unique parameters (the frontier joined),
** speed and memory, and, when the analyses ran, gradient noise per depth,
** head diversity, layer similarity (CKA) and accuracy under attack.
*/
#ifndef SB_TASKFIGS_H
#define SB_TASKFIGS_H

#include "figures.h"
#include "groupstat.h"
#include "results/runset.h"

/* A task's figures, in the order drawn: each PNG's name, its kind (the claims
** file's figure kinds) and whether it was drawn; and the analyses the runs
** did not record, in words ("gradient noise, head diversity"). */
#define SB_TASK_FIGS 10
typedef struct {
    char name[SB_TASK_FIGS][160];
    char kind[SB_TASK_FIGS][16];
    int drawn[SB_TASK_FIGS];
    int n;
    char not_measured[256];
} sb_task_figs;

/* Add a figure of kind drawn as name.png (ignored when tf is full). */
void sb_task_figs_add(sb_task_figs *tf, const char *kind, const char *name, int drawn);

/* Draw the figures of task (st: the statistics of every group of s) into
** fig's directory; one_run: s holds one run (no frontier or speed bars, which
** compare configurations). */
void sb_task_figures(const sb_runset *s, const sb_gstat *st, sb_figures *fig, const char *task, int one_run, sb_task_figs *tf);

/* The caption of a figure kind ("curves", "pareto", ...), "" when unknown. */
const char *sb_task_fig_caption(const char *kind);

#endif
