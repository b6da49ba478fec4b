/*
** tables.h: the regression gate's result written out: a Markdown report (a
** table with one mark per row, the options and what the sets were) for
** people and CI summaries, and the same data as JSON for programs.
*/
#ifndef SB_TABLES_H
#define SB_TABLES_H

#include "gate.h"
#include <stdio.h>

/* Write the result as a Markdown report (a table with one mark per row) or as
** JSON (the same data). 0, or -1 when out of memory. */
int sb_gate_markdown(FILE *f, const sb_runset *base, const sb_runset *cand, const sb_gate_options *o,
                     const sb_gate_result *res);
int sb_gate_json(FILE *f, const sb_runset *base, const sb_runset *cand, const sb_gate_options *o,
                 const sb_gate_result *res);

#endif
