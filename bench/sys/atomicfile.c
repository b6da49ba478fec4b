/*
** atomicfile.c: output files written whole, respecting what is at the path
** (see atomicfile.h).
*/
#include "atomicfile.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* Where and how path is to be written: a->target, a->stream, and *mode
** (the permissions to give a new file, those of the file replaced). */
static int resolve(sb_atomic *a, const char *path, mode_t *mode, char *err, size_t errlen)
{
    struct stat l, st;
    mode_t mask = umask(0);
    umask(mask);
    *mode = 0666 & ~mask;
    if (lstat(path, &l)) {
        if (errno != ENOENT) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return -1;
        }
        snprintf(a->target, sizeof a->target, "%s", path);   /* a new file */
        return 0;
    }
    if (stat(path, &st)) {
        if (S_ISLNK(l.st_mode) && errno == ENOENT)
            snprintf(err, errlen, "%s: a symbolic link to a file that does not exist: not writing through it", path);
        else
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        /* written as it is (a magic link such as /dev/stdout names a pipe, not a path) */
        snprintf(a->target, sizeof a->target, "%s", path);
        a->stream = 1;
        return 0;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: %s: refusing to write over it", path, kind_of(st.st_mode));
        return -1;
    }
    if (access(path, W_OK)) {   /* rename would replace a file this user may not write */
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    *mode = st.st_mode & 07777;
    if (!S_ISLNK(l.st_mode)) {
        snprintf(a->target, sizeof a->target, "%s", path);
        return 0;
    }
    char real[PATH_MAX];
    if (!realpath(path, real)) {
        snprintf(err, errlen, "%s: cannot follow the link: %s", path, strerror(errno));
        return -1;
    }
    snprintf(a->target, sizeof a->target, "%s", real);
    return 0;
}

int sb_atomic_open(sb_atomic *a, const char *path, char *err, size_t errlen)
{
    mode_t mode;
    memset(a, 0, sizeof *a);
    if (snprintf(a->path, sizeof a->path, "%s", path) >= (int)sizeof a->path) {
        snprintf(err, errlen, "%.200s...: path too long", path);
        return -1;
    }
    if (resolve(a, path, &mode, err, errlen)) return -1;
    if (a->stream) {
        if (!(a->f = tmpfile())) {
            snprintf(err, errlen, "%s: cannot make a temporary file to hold the output: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (snprintf(a->tmp, sizeof a->tmp, "%s.tmp.XXXXXX", a->target) >= (int)sizeof a->tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        a->tmp[0] = 0;
        return -1;
    }
    int fd = mkstemp(a->tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create a file beside it: %s", path, strerror(errno));
        a->tmp[0] = 0;
        return -1;
    }
    if (fchmod(fd, mode)) { /* mkstemp made 0600; not fatal */ }
    if (!(a->f = fdopen(fd, "w"))) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        unlink(a->tmp);
        a->tmp[0] = 0;
        return -1;
    }
    return 0;
}

/* Copy the held output to the stream. 0, or -1 with errno set. */
static int copy_out(sb_atomic *a)
{
    char buf[65536];
    int fd = open(a->target, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return -1;
    rewind(a->f);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a->f)) > 0)
        for (size_t done = 0; done < n;) {
            ssize_t w = write(fd, buf + done, n - done);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                int e = w < 0 ? errno : EIO;
                close(fd);
                errno = e;
                return -1;
            }
            done += (size_t)w;
        }
    if (ferror(a->f)) {
        close(fd);
        errno = EIO;
        return -1;
    }
    return close(fd);
}

int sb_atomic_commit(sb_atomic *a, char *err, size_t errlen)
{
    int bad = fflush(a->f) || ferror(a->f) || (!a->stream && fsync(fileno(a->f)));
    int e = errno;
    if (!bad && a->stream && copy_out(a)) bad = 1, e = errno;
    if (fclose(a->f) && !bad) {
        bad = 1;
        e = errno;
    }
    a->f = NULL;
    if (!bad && !a->stream && rename(a->tmp, a->target)) bad = 1, e = errno;
    if (a->tmp[0]) unlink(a->tmp);   /* after a rename, gone already */
    a->tmp[0] = 0;
    if (bad) {
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
    a->tmp[0] = 0;
}

int sb_scratch_open(const char *path, char *err, size_t errlen)
{
    struct stat st;
    /* O_NOFOLLOW: a link is refused (ELOOP); O_NONBLOCK: a FIFO without a
    ** reader is refused (ENXIO) rather than waited on */
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0666);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, errno == ELOOP ? "a symbolic link: not written through" : strerror(errno));
        return -1;
    }
    if (fstat(fd, &st)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: %s: refusing to write to it", path,
                 S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISCHR(st.st_mode) ? "a character device" : kind_of(st.st_mode));
        close(fd);
        return -1;
    }
    if (ftruncate(fd, 0) || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
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

int sb_mkdir_p(const char *dir)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, 0777) && errno != EEXIST) return -1;
            *s = '/';
        }
    return mkdir(p, 0777) && errno != EEXIST ? -1 : 0;
}
