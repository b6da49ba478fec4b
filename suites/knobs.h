/*
** knobs.h: parsing a task's knob overrides ("len=12,pairs=8").
**
** Knobs are integer parameters with a default and an inclusive range. Every
** task accepts its own knobs plus the generic train=N and eval=N.
*/
#ifndef SU_KNOBS_H
#define SU_KNOBS_H

#include <stddef.h>

#define SU_MAX_KNOBS 6          /* task-specific knobs per task */

/* A knob: an integer parameter of a task, with a default and an inclusive range. */
typedef struct {
    const char *name;
    long def, min, max;
    const char *help;
} su_knob;

/* Parse `knobs` (NULL or "" for defaults; "name=value" items separated by commas, spaces allowed
   around them) for task `task` with knob specs `specs` (NULL-name terminated): vals[i] gets the
   value of specs[i] (its default when absent), *train and *eval the generic knobs (0 when absent).
   0, or -1 with a message naming the task, the knob and what is accepted. */
int su_knobs_parse(const char *task, const su_knob *specs, const char *knobs, long *vals, long *train,
                   long *eval, char *err, size_t errlen);
/* Describe the knobs of specs plus the generic ones into buf, one "name=min..max (default d): help"
   per knob separated by "; ". Returns the length snprintf would write. */
int su_knobs_help(const su_knob *specs, char *buf, size_t len);

#endif
