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

/* A baseline file (results/baseline.h) NAME.csv in a fresh directory made by
** test_tmpdir_make into dir (of len bytes), opened for writing with its
** header and format rows written; its path into path. NULL on failure. */
static inline FILE *test_baseline_open(char *dir, size_t len, char *path, size_t plen, const char *name)
{
    if (test_tmpdir_make(dir, len, name)) return NULL;
    snprintf(path, plen, "%s/%s.csv", dir, name);
    FILE *f = fopen(path, "w");
    if (f) fprintf(f, "run,kind,key,step,layer,head,value\n0,meta,format,,,,sharebench-baseline 1\n");
    return f;
}

/* The rows of one configuration of a baseline file: three finished runs
** (seeds 1 to 3, ids from *nrun + 1 on) of task and sharing, their metric
** accuracy on 256 test examples, test v[seed - 1], chance 0.1 and params
** unique parameters. Returns the first run's id (a caller adds rows of its
** own to each run after). */
static inline int test_baseline_config(FILE *f, int *nrun, const char *task, const char *sharing, double params, const double v[3])
{
    for (int seed = 1; seed <= 3; seed++) {
        int id = ++*nrun;
        fprintf(f, "%d,run,cell,,,,c%d\n%d,run,config_hash,,,,h%s%s\n%d,run,task,,,,%s\n%d,run,sharing,,,,%s\n", id, id, id, task,
                sharing, id, task, id, sharing);
        fprintf(f, "%d,run,status,,,,finished\n%d,run,seed,,,,%d\n%d,run,started,,,,s\n%d,run,ended,,,,e\n", id, id, seed, id, id);
        fprintf(f, "%d,param,task,,,,%s\n%d,param,sharing,,,,%s\n%d,param,metric,,,,accuracy\n%d,param,test_examples,,,,256\n", id, task,
                id, sharing, id, id);
        fprintf(f, "%d,metric,test,,,,%.17g\n%d,metric,chance,,,,0.1\n%d,metric,params_unique,,,,%g\n", id, v[seed - 1], id, id, params);
    }
    return *nrun - 2;
}

#endif
