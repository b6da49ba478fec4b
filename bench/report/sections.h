/*
** sections.h: the sections of the report's document (doc.h), in the order
** report.c writes them: where the numbers come from (the runs, the machine,
** the statistics), the summary (claims counted, each task's frontier), a
** section per task (its table, figures and, when it compressed, the frontier
** of sharing against compression), the longest sequence within the memory
** budget, and the claims with their evidence and figures.
*/
#ifndef SB_SECTIONS_H
#define SB_SECTIONS_H

#include "claims.h"
#include "doc.h"
#include "figures.h"
#include "groupstat.h"
#include "taskfigs.h"
#include "results/runset.h"

/* The runs: counts and seeds, in one paragraph. */
void sb_section_sources(sb_doc *d, const sb_runset *s, const char *db, const char *sweep);

/* The machine and code the runs used, and the statistics of the report. */
void sb_section_machine(sb_doc *d, const sb_runset *s);

/* One table across tasks: every configuration (rows) against none on every
** task (columns), with interval, adjusted p and verdict. */
void sb_section_across(sb_doc *d, const sb_runset *s, const sb_gstat *st, const char *const *tasks, int ntasks);

/* The summary: the tests made (family: how many were adjusted together), the
** tasks not learned, each learned task's frontier, ties, dominated and
** at-chance configurations (st's verdicts filled by sb_verdicts), the claims by
** status (count[status]). */
void sb_section_summary(sb_doc *d, const sb_runset *s, const sb_gstat *st, const char *const *tasks, int ntasks,
                        const int count[4], int family);

/* A task: its table of configurations, its figures (drawn into fig, listed in
** tf) and its compression frontier when it has compressed runs. */
void sb_section_task(sb_doc *d, const sb_runset *s, const sb_gstat *st, sb_figures *fig, const char *task, sb_task_figs *tf);

/* The longest sequence within budget bytes of every configuration and the
** figure of the first task's models. */
void sb_section_budget(sb_doc *d, const sb_runset *s, const sb_gstat *st, sb_figures *fig, const char *first_task, double budget);

/* The claims of path: each one the runs of s measure in full (the claim's
** figure, the published one, what was measured, the verdict, the scale, the
** figures of its kinds: tasks[t]'s in figs[t], the budget figures in fig's
** directory); those about a named model from the engine's accounting, with
** the bert-base table; those not measured in one closing line. */
void sb_section_claims(sb_doc *d, const sb_runset *s, const sb_claims *claims, const char *path, const sb_claim_status *status,
                       char *const *evidence, const char *const *tasks, const sb_task_figs *figs, int ntasks, sb_figures *fig);

#endif
