/*
** datadir.c: finding the data files sharebench ships (see datadir.h).
*/
#include "datadir.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>

/* An item's place in a checkout, where it differs from the share directory's. */
static void source_layout(const char *item, char *out, size_t len)
{
    static const char *const under_bench[] = { "claims.txt", "sweeps", "peers", NULL };
    for (int i = 0; under_bench[i]; i++) {
        size_t n = strlen(under_bench[i]);
        if (!strncmp(item, under_bench[i], n) && (!item[n] || item[n] == '/')) {
            snprintf(out, len, "bench/%s", item);
            return;
        }
    }
    snprintf(out, len, "%s", item);
}

/* The directory of the running executable, or "" when /proc cannot say. */
static void exe_dir(char *out, size_t len)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    out[0] = 0;
    if (n <= 0) return;
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (slash) *slash = 0;
    if (snprintf(out, len, "%s", buf) >= (int)len) out[0] = 0;
}

/* Candidate roots in order, each with its layout (1: share directory, 0: source). */
typedef struct {
    char root[PATH_MAX + 64];
    int share;
} place;

static int places(place *p)
{
    char bin[PATH_MAX];
    int n = 0;
    exe_dir(bin, sizeof bin);
    if (bin[0] && snprintf(p[n].root, sizeof p[n].root, "%s/../share/sharebench", bin) < (int)sizeof p[n].root) p[n++].share = 1;
    /* a checkout: build/release/sharebench, or a test program one level deeper */
    for (int up = 2; bin[0] && up <= 3; up++) {
        char marker[PATH_MAX + 96];
        if (snprintf(p[n].root, sizeof p[n].root, "%s/..%s", bin, up == 3 ? "/../.." : "/..") >= (int)sizeof p[n].root) break;
        if (snprintf(marker, sizeof marker, "%s/bench/claims.txt", p[n].root) < (int)sizeof marker && !access(marker, R_OK)) {
            p[n++].share = 0;
            break;
        }
    }
    const char *env = getenv("SHAREBENCH_DATA");
    if (env && *env && snprintf(p[n].root, sizeof p[n].root, "%s", env) < (int)sizeof p[n].root) p[n++].share = 1;
    strcpy(p[n].root, ".");
    p[n++].share = 0;
    return n;
}

int sb_data_path(const char *item, char *out, size_t len, char *err, size_t errlen)
{
    place p[5];
    int n = places(p);
    char rel[PATH_MAX];
    size_t w = (size_t)snprintf(err, errlen, "%s: not found in", item);
    for (int i = 0; i < n; i++) {
        if (p[i].share) snprintf(rel, sizeof rel, "%s", item);
        else source_layout(item, rel, sizeof rel);
        int k = strcmp(p[i].root, ".") ? snprintf(out, len, "%s/%s", p[i].root, rel) : snprintf(out, len, "%s", rel);
        if (k > 0 && (size_t)k < len && !access(out, R_OK)) return 0;
        if (w < errlen) w += (size_t)snprintf(err + w, errlen - w, "%s %s", i ? "," : "", out);
    }
    if (w < errlen) snprintf(err + w, errlen - w, " (set SHAREBENCH_DATA to the directory holding sharebench's data)");
    return -1;
}

int sb_data_dir(char *out, size_t len)
{
    char path[PATH_MAX + 64], err[4096];
    if (sb_data_path("claims.txt", path, sizeof path, err, sizeof err)) return -1;
    char *real = realpath(path, NULL);   /* .../claims.txt, or a checkout's .../bench/claims.txt */
    if (!real) return -1;
    *strrchr(real, '/') = 0;
    size_t n = strlen(real);
    if (n >= 6 && !strcmp(real + n - 6, "/bench")) real[n - 6] = 0;
    snprintf(out, len, "%s", real);
    free(real);
    return 0;
}
