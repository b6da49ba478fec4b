/*
** grid.h: sweep and run files, and the grid of cells a sweep expands into.
**
** Files are INI, read by libinih:
**     [sweep]            name = albert-ablation
**     [run]              task = copy reverse        (training keys)
**                        seed = 1 2 3
**     [model]            preset = small             (model keys and preset)
**                        sharing = none attn ffn all
** `suite = smoke` in [run] makes the task axis the suite's tasks (suites/NAME.suite),
** each with its knobs (task = NAME:KNOBS). A value with several
** whitespace-separated items is an axis; the grid is the
** product of the axes in the order they appear (the first varies slowest).
** Sharing specifications contain commas (map:0,1,1) but never spaces, which
** is why lists are space-separated.
*/
#ifndef SB_GRID_H
#define SB_GRID_H

#include "spec.h"

typedef struct sb_grid sb_grid;

/* The most cells a grid may have: every cell is checked before anything runs,
** and a grid past this is a typo (a list where one value was meant), not a plan. */
#define SB_GRID_MAX_CELLS 100000L

/* Read a sweep (or run) file. Every value of every axis is checked on a
** scratch spec, and every cell is validated, before anything runs. NULL with a
** message naming the file, line and key (or the cell) on error. */
sb_grid *sb_grid_load(const char *path, char *err, size_t errlen);

/* An empty grid of one cell, for `sharebench run` without a file. */
sb_grid *sb_grid_single(void);

/* Apply KEY=VALUE to every cell (command-line overrides). 0, or -1 with a message. */
int sb_grid_override(sb_grid *g, const char *assignment, char *err, size_t errlen);

void sb_grid_free(sb_grid *g);

/* The sweep's name ([sweep] name, else the file's base name). */
const char *sb_grid_name(const sb_grid *g);

/* Number of cells, and cell i (0 <= i < count) as a full spec. */
long sb_grid_count(const sb_grid *g);
int sb_grid_cell(const sb_grid *g, long i, sb_spec *out, char *err, size_t errlen);

/* What distinguishes cell i: "task=copy sharing=all seed=2" (the axes' values). */
void sb_grid_describe(const sb_grid *g, long i, char *out, size_t len);

#endif
