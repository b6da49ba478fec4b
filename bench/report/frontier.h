/*
** frontier.h: the report's comparison of sharing and compression on the
** quality-per-byte frontier, per task: every configuration classed as the
** reference (no sharing, no compression), sharing alone, compression alone
** (factor:R, pruning, int8, distillation) or both; its bytes on disk (the
** compressed checkpoint the run wrote) and in memory (what inference holds),
** its test quality against the reference with the same other keys (paired by
** seed, with its interval and Benjamini-Hochberg adjusted p), int8's quality
** change, sparsity; the frontier (each configuration significantly better
** than the best smaller one, or the smallest); and the figure
** plots/compress.gp draws.
*/
#ifndef SB_FRONTIER_H
#define SB_FRONTIER_H

#include "doc.h"
#include "figures.h"
#include "results/runset.h"

/* 1 when a run used compression or distillation (from its params; absent keys are their defaults). */
int sb_frontier_compressed(const sb_rs_run *r);

/* Write the section for task into d when any of its runs compressed, drawing
** OUT/compress-TASK.png; *drawn (may be NULL) gets 1 when the figure was
** drawn, and figname its name without extension. Returns 1 when the section
** was written, 0 when the task has no compressed runs. */
int sb_frontier_section(sb_doc *d, const sb_runset *s, sb_figures *fig, const char *task, char *figname, size_t len, int *drawn);

#endif
