/*
** figures.h: drawing the report's figures: gnuplot runs a script of plots/
** (one per kind of figure) on data files the report wrote, and the script
** writes the figure as PNG and SVG.
*/
#ifndef SB_FIGURES_H
#define SB_FIGURES_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    const char *plotdir;      /* the scripts (plots/) */
    const char *outdir;       /* where figures and their data go */
    int missing_gnuplot;      /* set once gnuplot could not be started */
    int drawn, failed;
    char last_error[512];
} sb_figures;

/* 1 when plotdir holds every script the report uses, else 0 with a message
** naming the missing script. */
int sb_figures_check(const char *plotdir, char *err, size_t errlen);

/* Run plotdir/script with the assignments vars (gnuplot syntax, e.g.
** "data='x.dat'; modes='none all'"; plotdir and out are set first, out being
** outdir/name without extension). 0 when name.png was drawn, -1 otherwise
** (the reason in last_error; gnuplot missing is remembered and not retried). */
int sb_figures_draw(sb_figures *f, const char *script, const char *name, const char *vars);

/* Quote text as a gnuplot single-quoted string ('' for a quote) into out. */
void sb_figures_quote(const char *text, char *out, size_t len);

/* A figure's data file outdir/name opened for writing, its path in path; NULL
** when it cannot be created or something other than a regular file is in its
** place (the figure is then not drawn). */
FILE *sb_figures_data(const sb_figures *f, const char *name, char *path, size_t len);

/* n labels as one gnuplot string of words, each label's spaces as no-break spaces ("none
** cycle:2 all"), quoted, into out: how the scripts take the modes of a figure. */
void sb_figures_words(const char *const *labels, int n, char *out, size_t len);

#endif
