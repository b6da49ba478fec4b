/*
** suite.h: suites, plain text files naming tasks to run together.
**
** One task a line: its name, then optionally its knobs ("copy len=8",
** "recall pairs=4,eval=500"; knobs may be separated by commas or spaces).
** '#' starts a comment; blank lines are ignored. The shipped suites live in
** suites/ (installed: share/sharebench/suites/): smoke.suite (fast, for CI), standard.suite (all twelve
** categories) and full.suite (every task); users can write their own.
*/
#ifndef SB_SUITE_H
#define SB_SUITE_H

#include <stddef.h>

#define SB_SUITE_NAME 64        /* room for a task name */
#define SB_SUITE_KNOBS 128      /* room for a knob string */

/* Load a suite file into names and knobs (normalised to "a=1,b=2", "" for none), at most max
   tasks. Returns the number of tasks, or -1 with "file:line: what" for an unknown task, bad knob,
   too long a line or too many tasks (and "file: ..." when the file cannot be read or is empty).
   Tasks are checked by name and knobs only; no data is loaded. */
int sb_suite_load(const char *path, char names[][SB_SUITE_NAME], char knobs[][SB_SUITE_KNOBS], int max,
                  char *err, size_t errlen);
/* Find a suite: `name` itself when it is a readable file, else $SHAREBENCH_SUITES/name.suite when
   that variable is set and the file is there, else dir/name.suite (the shipped suites: the caller
   says where they are). 0 with the path, or -1 with a message listing the suites found. */
int sb_suite_find(const char *name, const char *dir, char *path, size_t pathlen, char *err, size_t errlen);

#endif
