/*
** ci.h: the regression gate's result for CI systems: JUnit XML (one test case
** per configuration and metric, which every CI server reads), and GitHub
** Actions workflow commands (an annotation per regressed row).
*/
#ifndef SB_CI_H
#define SB_CI_H

#include "gate.h"
#include <stdio.h>

/* Write the result as JUnit XML: a test suite "sharebench gate" with one test
** case per row (classname the configuration, name the metric); worse and newly
** failing rows fail, missing, too few and not measurable rows are errors, the
** rest pass; each case's system-out says the values, change, p and mark.
** 0, or -1 when the stream fails. */
int sb_gate_junit(FILE *f, const sb_gate_result *res);

/* Write GitHub Actions workflow commands: ::error per worse or newly failing
** row, ::warning per missing, too-few or not-measurable row, each titled with
** the configuration and metric, then a ::notice with the verdict. 0, or -1. */
int sb_gate_github(FILE *f, const sb_gate_result *res);

#endif
