/*
** atomicfile.h: files that readers see whole or not at all: written to a
** temporary file beside the target and renamed over it once complete, so a
** failure or a kill leaves the old file (or none), never half a new one.
*/
#ifndef SB_ATOMICFILE_H
#define SB_ATOMICFILE_H

#include <stdio.h>
#include <stddef.h>

typedef struct {
    FILE *f;             /* write here */
    char path[4096];     /* the target */
    char tmp[4096];      /* the temporary file beside it */
} sb_atomic;

/* Create the temporary file for path (mode as a new file would get). Returns
** 0, or -1 with a message naming path. */
int sb_atomic_open(sb_atomic *a, const char *path, char *err, size_t errlen);

/* Flush, sync and rename the temporary file over the target. Returns 0, or -1
** with a message naming the target (the temporary file is removed then). */
int sb_atomic_commit(sb_atomic *a, char *err, size_t errlen);

/* Give up: close and remove the temporary file. */
void sb_atomic_abort(sb_atomic *a);

/* Write len bytes to path atomically. 0, or -1 with a message. */
int sb_atomic_write(const char *path, const void *data, size_t len, char *err, size_t errlen);

#endif
