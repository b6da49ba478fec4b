/*
** fuzz_baseline.c: gate baselines (CSV, bench/cmd/baseline.c), read as `sharebench
** gate --baseline FILE` reads them: loaded into a set of runs, compared with
** itself by the gate, and its Markdown, JSON, JUnit and GitHub reports written.
*/
#include "results/source.h"
#include "fuzz.h"
#include "results/runset.h"

int sb_fuzz_baseline(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    const char *path = sb_fuzz_write("baseline.csv", data, size, err, errlen);
    if (!path) return -1;
    sb_runset *s = sb_runset_open(path, NULL, err, errlen);
    if (!s) return -1;
    int rc = sb_fuzz_gate_self(s, err, errlen);
    sb_runset_free(s);
    return rc;
}

SB_FUZZ_MAIN(baseline)
