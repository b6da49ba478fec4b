/*
** runpack.h: a run's record (record.h) as bytes, to hand it to another
** process that stores it (the MPI sweep: a worker sends each finished run to
** rank 0). Numbers travel as the machine's own bytes: every process must run
** on the same architecture (as MPI jobs of one binary do).
*/
#ifndef SB_RUNPACK_H
#define SB_RUNPACK_H

#include "record.h"
#include <stddef.h>

/* A malloc'd buffer of *len bytes holding the whole run, or NULL when out of memory. */
void *sb_run_pack(const sb_run *r, size_t *len);

/* The run rebuilt from such bytes, or NULL with a message when they are not
** one whole packed run (cut short, damaged, bytes after its end, another
** version's layout). */
sb_run *sb_run_unpack(const void *buf, size_t len, char *err, size_t errlen);

#endif
