/*
** atomicfile.c: whole-or-nothing file writes (see atomicfile.h).
*/
#include "atomicfile.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sb_atomic_open(sb_atomic *a, const char *path, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    if (snprintf(a->path, sizeof a->path, "%s", path) >= (int)sizeof a->path ||
        snprintf(a->tmp, sizeof a->tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof a->tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    int fd = mkstemp(a->tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create a file beside it: %s", path, strerror(errno));
        return -1;
    }
    mode_t mask = umask(0); /* mkstemp makes 0600; give the file the usual permissions */
    umask(mask);
    if (fchmod(fd, 0666 & ~mask)) { /* not fatal */ }
    if (!(a->f = fdopen(fd, "w"))) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        unlink(a->tmp);
        return -1;
    }
    return 0;
}

int sb_atomic_commit(sb_atomic *a, char *err, size_t errlen)
{
    int bad = fflush(a->f) || ferror(a->f) || fsync(fileno(a->f));
    int e = errno;
    if (fclose(a->f) && !bad) {
        bad = 1;
        e = errno;
    }
    a->f = NULL;
    if (bad || rename(a->tmp, a->path)) {
        if (!bad) e = errno;
        unlink(a->tmp);
        snprintf(err, errlen, "%s: cannot write: %s", a->path, strerror(e));
        return -1;
    }
    return 0;
}

void sb_atomic_abort(sb_atomic *a)
{
    if (a->f) fclose(a->f);
    a->f = NULL;
    if (a->tmp[0]) unlink(a->tmp);
}

int sb_atomic_write(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    sb_atomic a;
    if (sb_atomic_open(&a, path, err, errlen)) return -1;
    if (len && fwrite(data, 1, len, a.f) != len) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        sb_atomic_abort(&a);
        return -1;
    }
    return sb_atomic_commit(&a, err, errlen);
}
