/*
** fuzz_util.c: what the fuzz targets share: a scratch directory for the input
** files, and running a subcommand with its output discarded.
*/
#include "fuzz.h"
#include "results/runset.h"
#include "gate/gate.h"
#include "gate/tables.h"
#include "gate/ci.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ftw.h>
#include <sys/stat.h>

static char scratch[512];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_scratch(void)
{
    nftw(scratch, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

const char *sb_fuzz_write(const char *name, const uint8_t *data, size_t size, char *err, size_t errlen)
{
    static char path[1024];
    static const char *const sidecars[] = { "", "-wal", "-shm", "-journal" };
    if (!scratch[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(scratch, sizeof scratch, "%s/sb-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(scratch)) {
            snprintf(err, errlen, "%s: cannot make a scratch directory: %s", scratch, strerror(errno));
            scratch[0] = 0;
            return NULL;
        }
        atexit(remove_scratch);
    }
    for (size_t i = 0; i < sizeof sidecars / sizeof sidecars[0]; i++) {
        snprintf(path, sizeof path, "%s/%s%s", scratch, name, sidecars[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    size_t done = 0;
    while (fd >= 0 && done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        done += (size_t)w;
    }
    if (fd < 0 || done < size) {
        snprintf(err, errlen, "%s: cannot write the input: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    close(fd);
    return path;
}

int sb_fuzz_quiet(int (*cmd)(int, char **), int argc, const char *const *argv)
{
    char *args[32];
    int n = argc < 31 ? argc : 31, rc;
    for (int i = 0; i < n; i++) args[i] = (char *)argv[i];
    args[n] = NULL;
    /* Standard error stays: a sanitizer's report goes there (libFuzzer's
    ** -close_fd_mask quiets the commands' messages and keeps the reports). */
    fflush(stdout);
    int out = dup(1), null = open("/dev/null", O_WRONLY);
    if (out >= 0 && null >= 0) dup2(null, 1);
    rc = cmd(n, args);
    fflush(stdout);
    if (out >= 0 && null >= 0) dup2(out, 1);
    if (out >= 0) close(out);
    if (null >= 0) close(null);
    return rc;
}

int sb_fuzz_gate_self(const void *runset, char *err, size_t errlen)
{
    const sb_runset *s = runset;
    sb_gate_options o;
    sb_gate_result res;
    sb_gate_defaults(&o);
    if (sb_gate_compare(s, s, &o, &res, err, errlen)) return -1;
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        sb_gate_markdown(null, s, s, &o, &res);
        sb_gate_json(null, s, s, &o, &res);
        sb_gate_junit(null, &res);
        sb_gate_github(null, &res);
        fclose(null);
    }
    sb_gate_result_free(&res);
    return 0;
}

/* One synset or lemma of each file, at the byte offsets the formats demand. */
static const char *const wordnet_files[][2] = {
    { "data.noun", "00000000 03 n 01 entity 0 000 | that which is perceived to have its own existence\n" },
    { "data.verb", "00000000 29 v 01 breathe 0 000 01 + 02 00 | draw air into, and expel out of, the lungs\n" },
    { "data.adj", "00000000 00 a 01 able 0 000 | having the necessary means or skill\n" },
    { "data.adv", "00000000 02 r 01 very 0 000 | to a high degree\n" },
    { "index.noun", "entity n 1 0 1 0 00000000\n" },
    { "index.verb", "breathe v 1 0 1 0 00000000\n" },
    { "index.adj", "able a 1 0 1 0 00000000\n" },
    { "index.adv", "very r 1 0 1 0 00000000\n" },
};

static char *saved_wnsearchdir;

int sb_fuzz_wordnet(const char *file, const uint8_t *data, size_t size, char *err, size_t errlen)
{
    char name[64], dir[600];
    if (!sb_fuzz_write("wordnet.probe", data, 0, err, errlen)) return -1;   /* makes the scratch directory */
    snprintf(dir, sizeof dir, "%s/wordnet", scratch);
    mkdir(dir, 0755);
    for (size_t i = 0; i < sizeof wordnet_files / sizeof wordnet_files[0]; i++) {
        if (!strcmp(file, wordnet_files[i][0])) continue;
        snprintf(name, sizeof name, "wordnet/%s", wordnet_files[i][0]);
        if (!sb_fuzz_write(name, (const uint8_t *)wordnet_files[i][1], strlen(wordnet_files[i][1]), err, errlen))
            return -1;
    }
    char lexnames[700];
    snprintf(lexnames, sizeof lexnames, "%s/lexnames", dir);
    unlink(lexnames);   /* Debian ships none; only the lexnames target writes one */
    snprintf(name, sizeof name, "wordnet/%s", file);
    if (!sb_fuzz_write(name, data, size, err, errlen)) return -1;
    const char *old = getenv("WNSEARCHDIR");
    saved_wnsearchdir = old ? strdup(old) : NULL;
    setenv("WNSEARCHDIR", dir, 1);
    return 0;
}

void sb_fuzz_wordnet_done(void)
{
    if (saved_wnsearchdir) setenv("WNSEARCHDIR", saved_wnsearchdir, 1);
    else unsetenv("WNSEARCHDIR");
    free(saved_wnsearchdir);
    saved_wnsearchdir = NULL;
}
