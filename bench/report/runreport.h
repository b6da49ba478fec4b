/*
** runreport.h: `sharebench report --run ID`: one run in depth, where the
** comparison report averages over seeds: its record (status, code, machine),
** its results with the test split's standard errors, its sharing maps, its
** parameters and the memory of a training step, its curves and its per-depth
** analyses (gradient noise, head diversity, CKA, accuracy under attack) as
** the run recorded them, and every key it ran with. OUT/NAME.md,
** OUT/NAME.html and the figures in OUT/NAME-figures/, whole or not at all.
*/
#ifndef SB_RUNREPORT_H
#define SB_RUNREPORT_H

#include "report.h"

/* Write the report of run id of o->db (o->filter, claims and budget unused).
** 0 with *out filled in, or -1 with a message (no such run, unreadable
** input: nothing written). */
int sb_report_run_write(const sb_report_options *o, long id, sb_report_outcome *out, char *err, size_t errlen);

#endif
