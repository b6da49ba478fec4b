/*
** source.c: opening a database or a baseline file as a run set (source.h).
*/
#include "source.h"
#include "baseline.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

sb_runset *sb_runset_open(const char *path, const sb_rs_filter *f, char *err, size_t errlen)
{
    size_t n = strlen(path);
    sb_store *st;
    if (n > 4 && !strcmp(path + n - 4, ".csv")) {
        st = sb_baseline_load(path, err, errlen);
    } else {
        struct stat sbuf;
        if (stat(path, &sbuf) != 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return NULL;
        }
        st = sb_store_open(path, 1, err, errlen);
    }
    if (!st) return NULL;
    return sb_runset_from_store(st, path, f, err, errlen);
}
