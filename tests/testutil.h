/*
** testutil.h: what every cmocka test of sharebench includes.
*/
#ifndef SB_TESTUTIL_H
#define SB_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

/* Assert |a - b| <= tol * max(1, |a|, |b|), printing both on failure. */
#define assert_close(a, b, tol)                                                                     \
    do {                                                                                            \
        double _a = (double)(a), _b = (double)(b), _s = fabs(_a) > fabs(_b) ? fabs(_a) : fabs(_b); \
        if (!(fabs(_a - _b) <= (tol) * (_s > 1 ? _s : 1))) {                                        \
            print_error("%s = %.12g, %s = %.12g, differ by more than %g relative\n", #a, _a, #b, _b, \
                        (double)(tol));                                                             \
            fail();                                                                                 \
        }                                                                                           \
    } while (0)

/* Assert that a message contains a fragment, printing the message on failure. */
#define assert_mentions(msg, frag)                                                                  \
    do {                                                                                            \
        if (!strstr((msg), (frag))) {                                                               \
            print_error("message \"%s\" does not mention \"%s\"\n", (msg), (frag));                 \
            fail();                                                                                 \
        }                                                                                           \
    } while (0)

/* Make a fresh directory $TMPDIR/sb-NAME-XXXXXX (/tmp without TMPDIR) into
** dir, of len bytes. 0, or -1. */
static inline int test_tmpdir_make(char *dir, size_t len, const char *name)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, len, "%s/sb-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
    return mkdtemp(dir) ? 0 : -1;
}

/* Remove a directory made by test_tmpdir_make and all it holds. 0, or -1. */
static inline int test_tmpdir_remove(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
