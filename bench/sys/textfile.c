/*
** textfile.c: text input files read whole, once (see textfile.h).
*/
#include "textfile.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *sb_text_read(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    /* fopen opens a directory for reading; reading it fails with EISDIR */
    if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory, not a file", path);
        fclose(f);
        return NULL;
    }
    size_t n = 0, cap = 0;
    char *buf = NULL;
    int oom = 0;
    for (;;) {
        if (n + 1 >= cap) {   /* room for more and the terminator */
            char *b = realloc(buf, cap ? 2 * cap : 4096);
            if (!b) { oom = 1; break; }
            buf = b;
            cap = cap ? 2 * cap : 4096;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0 || n > max) break;
    }
    int read_error = ferror(f), e = errno;
    fclose(f);
    if (oom || read_error || n > max) {
        if (oom) snprintf(err, errlen, "%s: out of memory", path);
        else if (read_error) snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
        else snprintf(err, errlen, "%s: larger than %zu bytes, more than a file of this kind holds", path, max);
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    const char *nul = memchr(buf, 0, n);
    if (nul) {
        long line = 1;
        for (const char *p = buf; p < nul; p++) line += *p == '\n';
        snprintf(err, errlen, "%s:%ld: a NUL byte: not a text file (the value would end there)", path, line);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* The length of the well-formed UTF-8 sequence at s (at most n bytes), 0 when
** there is none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!len || len > n) return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    /* the second byte's range excludes overlong forms, surrogates and code points past U+10FFFF */
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
        return 0;
    return len;
}

long sb_utf8_invalid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(u + i, n - i);
        if (!k) return (long)i;
        i += k;
    }
    return -1;
}

char *sb_utf8_repair(const char *s, int *replaced)
{
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1), *o = out;
    *replaced = 0;
    if (!out) return NULL;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        if (k) {
            memcpy(o, s + i, k);
            o += k;
            i += k;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);   /* U+FFFD REPLACEMENT CHARACTER */
            o += 3;
            i++;
            ++*replaced;
        }
    }
    *o = 0;
    return out;
}
