/*
** fuzz_config.c: sweep and run files (INI, bench/spec/grid.c). What `sharebench
** sweep` does before any work: load the file, expand its cells, label and hash
** them, and check the first cells against their tasks and a memory budget
** (fixed here), as `sharebench run --config` and `sweep` do.
*/
#include "fuzz.h"
#include "spec/grid.h"
#include "run/runner.h"
#include "run/memcheck.h"
#include <stdio.h>

/* A fixed budget, not the memory this machine has free: the same input must
** give the same answer on a loaded CI machine. */
#define FUZZ_MEM_BUDGET (1024.0 * 1024 * 1024 * 1024)

/* Cells checked fully per input: a task is opened for each (its data made),
** which is what makes an input slow; the expansion itself is checked for all. */
enum { CHECKED_CELLS = 2, LABELLED_CELLS = 256 };

int sb_fuzz_config(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    const char *path = sb_fuzz_write("sweep.ini", data, size, err, errlen);
    if (!path) return -1;
    sb_grid *g = sb_grid_load(path, err, errlen);
    if (!g) return -1;
    long n = sb_grid_count(g);
    int rc = 0;
    for (long i = 0; i < n && i < LABELLED_CELLS && !rc; i++) {
        sb_spec s;
        sb_runner_plan plan;
        const sb_runner_plan *pp = &plan;
        char cell[17], label[256], what[512];
        if (sb_grid_cell(g, i, &s, err, errlen)) { rc = -1; break; }
        sb_spec_cell(&s, cell);
        sb_spec_label(&s, label, sizeof label);
        sb_grid_describe(g, i, what, sizeof what);
        if (i < CHECKED_CELLS && (sb_runner_check(&s, &plan, err, errlen) ||
                                  sb_memcheck_cells(&s, &pp, 1, 1, 1, FUZZ_MEM_BUDGET, NULL, err, errlen)))
            rc = -1;
    }
    sb_grid_free(g);
    return rc;
}

SB_FUZZ_MAIN(config)
