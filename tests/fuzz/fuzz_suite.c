/*
** fuzz_suite.c: suite files (suites/suite.c), loaded as `suite = FILE` in a
** sweep file loads them: every task named and its knobs checked.
*/
#include "fuzz.h"
#include "suite.h"
#include <string.h>

enum { MAX_TASKS = 64 };

int sb_fuzz_suite(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    static char names[MAX_TASKS][SB_SUITE_NAME], knobs[MAX_TASKS][SB_SUITE_KNOBS];
    const char *path = sb_fuzz_write("fuzz.suite", data, size, err, errlen);
    if (!path) return -1;
    int n = sb_suite_load(path, names, knobs, MAX_TASKS, err, errlen);
    if (n < 0) return -1;
    /* every name and knob string is a terminated string within its slot */
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) >= SB_SUITE_NAME || strlen(knobs[i]) >= SB_SUITE_KNOBS) __builtin_trap();
    return 0;
}

SB_FUZZ_MAIN(suite)
