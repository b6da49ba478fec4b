/*
** suite.c: loading and finding suite files (see suite.h).
*/
#include "suite.h"
#include "task.h"
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parse one line (comment already cut) into name and normalised knobs; 0 blank, 1 task, -1 error. */
static int parse_line(char *line, char *name, char *knobs, char *msg, size_t msglen)
{
    char *p = line;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) return 0;
    char *e = p;
    while (*e && !isspace((unsigned char)*e)) e++;
    if (e - p >= SB_SUITE_NAME) {
        snprintf(msg, msglen, "task name longer than %d characters", SB_SUITE_NAME - 1);
        return -1;
    }
    memcpy(name, p, (size_t)(e - p));
    name[e - p] = 0;
    size_t n = 0;
    for (p = e; *p; p++) {
        char c = isspace((unsigned char)*p) ? ',' : *p;
        if (c == ',' && (n == 0 || knobs[n - 1] == ',')) continue;
        if (n + 1 >= SB_SUITE_KNOBS) {
            snprintf(msg, msglen, "knobs longer than %d characters", SB_SUITE_KNOBS - 1);
            return -1;
        }
        knobs[n++] = c;
    }
    while (n && knobs[n - 1] == ',') n--;
    knobs[n] = 0;
    return 1;
}

int sb_suite_load(const char *path, char names[][SB_SUITE_NAME], char knobs[][SB_SUITE_KNOBS], int max,
                  char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open suite file", path);
        return -1;
    }
    char *line = NULL, msg[512];
    size_t cap = 0;
    long lineno = 0;
    int count = 0, rc = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if ((size_t)n != strlen(line)) {   /* C strings would end the line there */
            snprintf(err, errlen, "%s:%ld: a NUL byte: not a text file", path, lineno);
            rc = -1;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char name[SB_SUITE_NAME], kn[SB_SUITE_KNOBS];
        int r = parse_line(line, name, kn, msg, sizeof msg);
        if (r == 0) continue;
        if (r > 0 && count >= max) snprintf(msg, sizeof msg, "more than %d tasks", max), r = -1;
        if (r > 0 && sb_task_check(name, kn, msg, sizeof msg)) r = -1;
        if (r < 0) {
            snprintf(err, errlen, "%s:%ld: %s", path, lineno, msg);
            rc = -1;
            break;
        }
        strcpy(names[count], name);
        strcpy(knobs[count], kn);
        count++;
    }
    if (!rc && ferror(f)) {   /* a directory, an I/O error */
        snprintf(err, errlen, "%s: cannot read suite file: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    if (!rc && !count) {
        snprintf(err, errlen, "%s: no tasks in suite file", path);
        rc = -1;
    }
    return rc ? -1 : count;
}

/* The suites in dir, as "a, b, c", into list. */
static void list_suites(const char *dir, char *list, size_t len)
{
    char pattern[1024];
    size_t used = 0;
    glob_t g;
    list[0] = 0;
    snprintf(pattern, sizeof pattern, "%s/*.suite", dir);
    if (glob(pattern, 0, NULL, &g)) return;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *b = strrchr(g.gl_pathv[i], '/');
        b = b ? b + 1 : g.gl_pathv[i];
        int n = (int)(strlen(b) - strlen(".suite"));
        int k = snprintf(list + used, len - used, "%s%.*s", used ? ", " : "", n, b);
        if (k > 0 && (size_t)k < len - used) used += (size_t)k;
    }
    globfree(&g);
}

int sb_suite_find(const char *name, const char *dir, char *path, size_t pathlen, char *err, size_t errlen)
{
    const char *env = getenv("SHAREBENCH_SUITES");
    if (!access(name, R_OK) && !strchr(name, '\n')) {
        snprintf(path, pathlen, "%s", name);
        return 0;
    }
    int w;
    if (env && *env && (w = snprintf(path, pathlen, "%s/%s.suite", env, name)) > 0 && (size_t)w < pathlen && !access(path, R_OK))
        return 0;
    w = snprintf(path, pathlen, "%s/%s.suite", dir, name);
    if (w > 0 && (size_t)w < pathlen && !access(path, R_OK)) return 0;
    char shipped[512], own[512] = "";
    list_suites(dir, shipped, sizeof shipped);
    if (env && *env) list_suites(env, own, sizeof own);
    snprintf(err, errlen, "no suite '%s': not a readable file and no %s/%s.suite (suites there: %s)%s%s%s%s", name, dir, name,
             shipped[0] ? shipped : "none", env && *env ? "; in $SHAREBENCH_SUITES (" : "", env && *env ? env : "",
             env && *env ? "): " : "", env && *env ? (own[0] ? own : "none") : "");
    return -1;
}
