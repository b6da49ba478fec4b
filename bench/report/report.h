/*
** report.h: `sharebench report`, the comparison report of a sweep or a set of
** runs: OUT/NAME.md, OUT/NAME.html (self-contained, figures embedded) and the
** figures as PNG and SVG with their data in OUT/NAME-figures/ (see report.c
** for the sections, plots/ for the figures, bench/claims.txt for the claims).
*/
#ifndef SB_REPORT_H
#define SB_REPORT_H

#include "results/runset.h"

typedef struct {
    const char *db;            /* a results database or a baseline file */
    sb_rs_filter filter;       /* the runs reported */
    const char *outdir, *name; /* OUT and NAME */
    const char *claims_path;   /* the claims file */
    const char *plotdir;       /* the gnuplot scripts */
    const char *title;         /* NULL: "sharebench report: sweep NAME" */
    double budget;             /* bytes, for the longest-sequence table */
} sb_report_options;

typedef struct {
    char md[4096], html[4096], figdir[4096];   /* what was written */
    int nruns, ngroups;        /* runs and configurations reported */
    int drawn, failed;         /* figures drawn and not drawn */
    char last_error[256];      /* why the last figure was not drawn */
} sb_report_outcome;

/* Write the report. Everything is checked before anything is written; the
** two documents appear whole or not at all. 0 with *out filled in, or -1 with
** a message (bad input, nothing written). */
int sb_report_write(const sb_report_options *o, sb_report_outcome *out, char *err, size_t errlen);

#endif
