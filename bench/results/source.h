/*
** source.h: a set of runs from a path, whichever kind of file it names: a
** results database (store.h) or a baseline file (baseline.h). The commands
** that compare (report, gate, claims) take either.
*/
#ifndef SB_SOURCE_H
#define SB_SOURCE_H

#include "runset.h"

/* Read the runs of a results database, or of a baseline file when path ends in
** ".csv". NULL with a message naming the file on error (no such file, not a
** database, a malformed baseline). An empty selection is not an error. */
sb_runset *sb_runset_open(const char *path, const sb_rs_filter *f, char *err, size_t errlen);

#endif
