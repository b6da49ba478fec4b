/*
** figures.c: running gnuplot on the scripts of plots/ (see figures.h). Runs
** it directly (fork and exec, no shell), so paths need no shell quoting.
*/
#include "figures.h"
#include "sys/atomicfile.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const scripts[] = { "style.gp", "term.gp",     "curves.gp", "pareto.gp", "resources.gp",
                                       "budget.gp", "gradnoise.gp", "heads.gp",  "cka.gp",    "attack.gp",
                                       "compress.gp", "matched.gp" };

int sb_figures_check(const char *plotdir, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", plotdir, scripts[i]);
        if (access(p, R_OK)) {
            snprintf(err, errlen, "%s: %s (the figure scripts; --plots DIR names their directory)", p, strerror(errno));
            return 0;
        }
    }
    return 1;
}

void sb_figures_quote(const char *text, char *out, size_t len)
{
    size_t o = 0;
    if (len < 3) return;
    out[o++] = '\'';
    for (; *text && o + 3 < len; text++) {
        if (*text == '\'') out[o++] = '\'';
        out[o++] = *text;
    }
    out[o++] = '\'';
    out[o] = 0;
}

FILE *sb_figures_data(const sb_figures *f, const char *name, char *path, size_t len)
{
    char err[512];
    snprintf(path, len, "%s/%s", f->outdir, name);
    /* a regular file only: a link, FIFO or device in its place is refused,
    ** not written through (atomicfile.h's sb_scratch_open) */
    int fd = sb_scratch_open(path, err, sizeof err);
    FILE *fp = fd < 0 ? NULL : fdopen(fd, "w");
    if (fd >= 0 && !fp) close(fd);
    return fp;
}

void sb_figures_words(const char *const *labels, int n, char *out, size_t len)
{
    char words[4096] = "";
    size_t o = 0;
    for (int i = 0; i < n && o < sizeof words; i++) {
        char m[160];
        snprintf(m, sizeof m, "%s", labels[i]);
        /* gnuplot's word() splits at spaces: a label's spaces become no-break
        ** spaces (UTF-8 C2 A0), which it keeps and the legend shows as spaces */
        char *p = m, nb[480];
        size_t k = 0;
        for (; *p && k + 3 < sizeof nb; p++) {
            if (*p == ' ') { nb[k++] = (char)0xC2; nb[k++] = (char)0xA0; }
            else nb[k++] = *p;
        }
        nb[k] = 0;
        o += (size_t)snprintf(words + o, sizeof words - o, "%s%s", i ? " " : "", nb);
    }
    sb_figures_quote(words, out, len);
}

int sb_figures_draw(sb_figures *f, const char *script, const char *name, const char *vars)
{
    if (f->missing_gnuplot) return -1;
    char out[4096], qplot[4200], qout[4200], path[4200], script_path[4200], errfile[4200];
    snprintf(out, sizeof out, "%s/%s", f->outdir, name);
    sb_figures_quote(f->plotdir, qplot, sizeof qplot);
    sb_figures_quote(out, qout, sizeof qout);
    size_t n = strlen(vars) + strlen(qplot) + strlen(qout) + 64;
    char *assign = malloc(n);
    if (!assign) return -1;
    snprintf(assign, n, "plotdir=%s; out=%s; %s", qplot, qout, vars);
    snprintf(script_path, sizeof script_path, "%s/%s", f->plotdir, script);
    snprintf(errfile, sizeof errfile, "%s/%s.log", f->outdir, name);
    /* gnuplot writes out.png and out.svg itself: never over a FIFO or a
    ** device (it would block on one, or replace what it is) */
    for (int k = 0; k < 2; k++) {
        struct stat ls;
        snprintf(path, sizeof path, "%s.%s", out, k ? "svg" : "png");
        if (!lstat(path, &ls) && !S_ISREG(ls.st_mode) && !S_ISLNK(ls.st_mode)) {
            snprintf(f->last_error, sizeof f->last_error, "%.400s: not a regular file: refusing to draw over it", path);
            f->failed++;
            free(assign);
            return -1;
        }
    }
    snprintf(path, sizeof path, "%s.png", out);
    unlink(path);
    char why[512];
    int logfd = sb_scratch_open(errfile, why, sizeof why);
    if (logfd < 0) {
        snprintf(f->last_error, sizeof f->last_error, "%s", why);
        f->failed++;
        free(assign);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(f->last_error, sizeof f->last_error, "fork: %s", strerror(errno));
        close(logfd);
        free(assign);
        return -1;
    }
    if (pid == 0) {
        dup2(logfd, 2);
        dup2(logfd, 1);
        close(logfd);
        execlp("gnuplot", "gnuplot", "-e", assign, script_path, (char *)NULL);
        _exit(127);
    }
    close(logfd);
    free(assign);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    struct stat sb;
    if (code == 127) {
        f->missing_gnuplot = 1;
        snprintf(f->last_error, sizeof f->last_error, "gnuplot could not be run (install gnuplot-nox)");
        f->failed++;
        return -1;
    }
    if (code != 0 || stat(path, &sb) || sb.st_size == 0) {
        char msg[400] = "";
        FILE *e = fopen(errfile, "r");
        if (e) {
            size_t k = fread(msg, 1, sizeof msg - 1, e);
            msg[k] = 0;
            fclose(e);
        }
        for (char *p = msg; *p; p++)
            if (*p == '\n') *p = ' ';
        snprintf(f->last_error, sizeof f->last_error, "%s: gnuplot exit %d: %s", script, code, msg);
        f->failed++;
        return -1;
    }
    unlink(errfile);
    f->drawn++;
    return 0;
}
