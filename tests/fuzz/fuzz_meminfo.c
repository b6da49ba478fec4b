/*
** fuzz_meminfo.c: the files the memory check reads (bench/run/memcheck.c):
** /proc/meminfo, /proc/self/cgroup, and a cgroup's memory.max,
** memory.current and memory.stat (v2) or memory.limit_in_bytes,
** memory.usage_in_bytes and memory.stat (v1). The input is split at NUL
** bytes into those files, in that order, under a scratch proc and sys
** directory; the memory available must come out as -1 (unknown) or a
** finite size of at least 0, whatever they hold.
*/
#include "fuzz.h"
#include "run/memcheck.h"
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const files[] = {
    "proc/meminfo", "proc/self/cgroup", "sys/memory.max", "sys/memory.current", "sys/memory.stat",
    "sys/memory/memory.limit_in_bytes", "sys/memory/memory.usage_in_bytes", "sys/memory/memory.stat",
};

int sb_fuzz_meminfo(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    char dir[1024], proc[1100], sys[1100], what[512] = "";
    const char *probe = sb_fuzz_write("meminfo.probe", data, 0, err, errlen);   /* makes the scratch directory */
    if (!probe) return -1;
    snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(probe, '/') - probe), probe);
    static const char *const dirs[] = { "proc", "proc/self", "sys", "sys/memory" };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(proc, sizeof proc, "%s/%s", dir, dirs[i]);
        mkdir(proc, 0755);
    }
    size_t at = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const uint8_t *part = data + (at < size ? at : size), *end = at < size ? memchr(part, 0, size - at) : NULL;
        size_t n = at < size ? (end ? (size_t)(end - part) : size - at) : 0;
        if (!sb_fuzz_write(files[i], part, n, err, errlen)) return -1;
        at += n + 1;
    }
    snprintf(proc, sizeof proc, "%s/proc", dir);
    snprintf(sys, sizeof sys, "%s/sys", dir);
    double avail = sb_mem_available_at(proc, sys, what, sizeof what);
    if (!(avail == -1 || (isfinite(avail) && avail >= 0))) __builtin_trap();
    if (avail < 0) {
        snprintf(err, errlen, "%s/meminfo: no MemAvailable: the memory available is unknown", proc);
        return -1;
    }
    return 0;
}

SB_FUZZ_MAIN(meminfo)
