/*
** atomicfile.h: the one way sharebench writes an output file (-o, --markdown,
** --json, a report): readers see it whole or not at all, and what is at the
** path is respected.
**
** - A regular file (or none): written to a temporary file beside it and
**   renamed over it once complete, so a failure or a kill leaves the old file
**   (or none), never half a new one; the old file's permissions are kept.
** - A symbolic link: written through it, to the file it names (the link
**   stays); a link to nothing is refused, as cp refuses it.
** - A FIFO or a character device (/dev/stdout, a pipe, /dev/null): never
**   replaced; the output is kept in a temporary file and written to it once
**   complete, so a failure writes nothing there.
** - A directory, a block device, a socket, a file this user may not write:
**   refused, naming the path.
*/
#ifndef SB_ATOMICFILE_H
#define SB_ATOMICFILE_H

#include <stdio.h>
#include <stddef.h>

typedef struct {
    FILE *f;             /* write here */
    char path[4096];     /* the path given */
    char target[4096];   /* the file written: path, or the file a link names */
    char tmp[4096];      /* the temporary file beside the target ("" for a stream) */
    int stream;          /* 1: a FIFO or a character device, written at commit */
} sb_atomic;

/* Prepare to write path (see above). Returns 0, or -1 with a message naming
** path when it cannot or must not be written. */
int sb_atomic_open(sb_atomic *a, const char *path, char *err, size_t errlen);

/* Make the output visible: rename the temporary file over the target (after
** flushing and syncing it), or copy it to the stream. Returns 0, or -1 with a
** message naming the path (nothing changed at the path then, but for a
** stream's partial write). */
int sb_atomic_commit(sb_atomic *a, char *err, size_t errlen);

/* Give up: close and remove the temporary file; nothing is written. */
void sb_atomic_abort(sb_atomic *a);

/* Write len bytes to path atomically. 0, or -1 with a message. */
int sb_atomic_write(const char *path, const void *data, size_t len, char *err, size_t errlen);

/* Open a working file a command makes in its own output directory (a
** figure's data, gnuplot's log) for writing, created or emptied: a regular
** file only; a link, FIFO, device or directory in its place is refused rather
** than written through, blocked on or replaced. Returns the descriptor, or -1
** with a message naming path. */
int sb_scratch_open(const char *path, char *err, size_t errlen);

/* Make directory dir and any missing parents (mode 0777 before the umask), as
** mkdir -p does; an existing one is fine. 0, or -1 with errno set. */
int sb_mkdir_p(const char *dir);

#endif
