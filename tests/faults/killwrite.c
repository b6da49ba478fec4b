/*
** killwrite.c: a fault injector for the crash tests (tests/e2e_faults.sh),
** loaded with LD_PRELOAD into a sharebench process. It counts the writes and
** syncs the process makes to files whose path starts with $SB_KILL_PATH (the
** database, its -wal and -journal) and, at the $SB_KILL_AT-th, writes only
** the first half of that write (a torn write) and kills the process with
** SIGKILL: a power cut in the middle of a database write, at a chosen point.
** With SB_KILL_AT=0 nothing is killed and the count is written to
** $SB_KILL_COUNT at exit, so a test can try every point of a commit in turn.
** (SQLite's own crash tests do the same with a VFS; preloading needs no change
** to the program under test.)
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static long seen;

/* 1 when fd is open on a file under $SB_KILL_PATH. */
static int watched(int fd)
{
    const char *prefix = getenv("SB_KILL_PATH");
    char link[64], path[PATH_MAX];
    if (!prefix || !*prefix) return 0;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0) return 0;
    path[n] = 0;
    return !strncmp(path, prefix, strlen(prefix));
}

static void report(void)
{
    const char *out = getenv("SB_KILL_COUNT");
    FILE *f = out ? fopen(out, "w") : NULL;
    if (f) {
        fprintf(f, "%ld\n", seen);
        fclose(f);
    }
}

__attribute__((constructor)) static void init(void)
{
    const char *at = getenv("SB_KILL_AT");
    if (at && !strcmp(at, "0")) atexit(report);
}

/* Called before each watched operation; nbytes of a write (0 for a sync).
** Returns the bytes to write, or -1 to go on as usual. */
static long fault(int fd, size_t nbytes)
{
    if (!watched(fd)) return -1;
    const char *at = getenv("SB_KILL_AT");
    long k = at ? atol(at) : 0;
    if (++seen == k) return (long)(nbytes / 2);
    return -1;
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t write(int fd, const void *buf, size_t n)
{
    long cut = fault(fd, n);
    if (cut >= 0) {
        if (cut) REAL(write)(fd, buf, (size_t)cut);
        raise(SIGKILL);
    }
    return REAL(write)(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    long cut = fault(fd, n);
    if (cut >= 0) {
        if (cut) REAL(pwrite)(fd, buf, (size_t)cut, off);
        raise(SIGKILL);
    }
    return REAL(pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    long cut = fault(fd, n);
    if (cut >= 0) {
        if (cut) REAL(pwrite64)(fd, buf, (size_t)cut, off);
        raise(SIGKILL);
    }
    return REAL(pwrite64)(fd, buf, n, off);
}

int fsync(int fd)
{
    if (fault(fd, 0) >= 0) raise(SIGKILL);
    return REAL(fsync)(fd);
}

int fdatasync(int fd)
{
    if (fault(fd, 0) >= 0) raise(SIGKILL);
    return REAL(fdatasync)(fd);
}
