/*
** memcheck.c: memory needs against the memory available (see memcheck.h).
*/
#include "memcheck.h"
#include "runner.h"
#include "analyze.h"
#include "compress.h"
#include "sys/fmt.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the memory available ---- */

/* The number after "key" (and spaces, a colon) in a key/value file such as
** /proc/meminfo or memory.stat; -1 when absent. */
static double file_key(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    char line[256];
    double v = -1;
    size_t kl = strlen(key);
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl) && (line[kl] == ' ' || line[kl] == ':' || line[kl] == '\t')) {
            char *p = line + kl + (line[kl] == ':'), *end;
            double x = strtod(p, &end);
            /* a size: "nan", "inf" or a negative number is no figure to compare with */
            if (end != p && isfinite(x) && x >= 0) v = strstr(end, "kB") ? x * 1024 : x;
            break;
        }
    fclose(f);
    return v;
}

/* The single number of a file such as memory.max; -1 when absent or "max". */
static double file_number(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[64], *end;
    double v = -1;
    if (!f) return -1;
    if (fgets(line, sizeof line, f)) {
        double x = strtod(line, &end);
        if (end != line && isfinite(x) && x >= 0) v = x;
    }
    fclose(f);
    return v;
}

/* What the limit of one cgroup directory leaves: limit - (usage - inactive
** file pages, which the kernel reclaims before killing); -1 when unlimited. */
static double cgroup_room(const char *dir, int v2)
{
    char p[2200];
    snprintf(p, sizeof p, "%s/%s", dir, v2 ? "memory.max" : "memory.limit_in_bytes");
    double limit = file_number(p);
    if (limit < 0 || limit >= 0x1p60) return -1;   /* "max", or v1's page-rounded LONG_MAX */
    snprintf(p, sizeof p, "%s/%s", dir, v2 ? "memory.current" : "memory.usage_in_bytes");
    double usage = file_number(p);
    snprintf(p, sizeof p, "%s/memory.stat", dir);
    double inactive = file_key(p, v2 ? "inactive_file" : "total_inactive_file");
    if (usage < 0) usage = 0;
    if (inactive > 0 && inactive < usage) usage -= inactive;
    return limit > usage ? limit - usage : 0;
}

/* The least room over the process's cgroup and its ancestors, for the
** hierarchy mounted at mount (v2: the unified one; v1: the memory one). */
static double cgroup_least(const char *mount, const char *path, int v2, char *where, size_t wlen)
{
    char dir[2100], rel[1024];
    double least = -1;
    snprintf(rel, sizeof rel, "%s", path);
    for (;;) {
        snprintf(dir, sizeof dir, "%s%s", mount, strcmp(rel, "/") ? rel : "");
        double room = cgroup_room(dir, v2);
        if (room >= 0 && (least < 0 || room < least)) {
            least = room;
            snprintf(where, wlen, "the memory limit of cgroup %s", rel);
        }
        char *slash = strrchr(rel, '/');
        if (!slash || slash == rel) {
            if (!strcmp(rel, "/")) break;
            strcpy(rel, "/");
            continue;
        }
        *slash = 0;
    }
    return least;
}

double sb_mem_available_at(const char *proc_root, const char *sys_root, char *what, size_t whatlen)
{
    char p[2100], line[1024], where[1200] = "";
    snprintf(p, sizeof p, "%s/meminfo", proc_root);
    double avail = file_key(p, "MemAvailable");
    if (avail < 0) return -1;
    snprintf(what, whatlen, "MemAvailable in /proc/meminfo");
    /* the control group: "0::/path" (v2) or "N:memory:/path" / "N:cpu,memory:/path" (v1) */
    snprintf(p, sizeof p, "%s/self/cgroup", proc_root);
    FILE *f = fopen(p, "r");
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2) continue;
        *c1 = *c2 = 0;
        const char *ctrl = c1 + 1, *path = c2 + 1;
        int v2 = !strcmp(line, "0") && !*ctrl;
        int v1 = !v2 && (!strcmp(ctrl, "memory") || strstr(ctrl, ",memory") || !strncmp(ctrl, "memory,", 7));
        if (!v1 && !v2) continue;
        char mount[1024];
        snprintf(mount, sizeof mount, "%s%s", sys_root, v2 ? "" : "/memory");
        /* in a cgroup namespace the path may not exist under the mount: the
        ** mount's root is then the process's own group */
        snprintf(p, sizeof p, "%s%s", mount, path);
        FILE *probe = fopen(p, "r");
        const char *use = probe ? path : "/";
        if (probe) fclose(probe);
        double room = cgroup_least(mount, use, v2, where, sizeof where);
        if (room >= 0 && room < avail) {
            avail = room;
            snprintf(what, whatlen, "%s", where);
        }
    }
    if (f) fclose(f);
    return avail;
}

double sb_mem_available(char *what, size_t whatlen)
{
    return sb_mem_available_at("/proc", "/sys/fs/cgroup", what, whatlen);
}

/* ---- what a run needs ---- */

static double plan_total(const sb_memory *m)
{
    return (double)m->params + (double)m->grads + (double)m->optim + (double)m->acts + (double)m->scratch;
}

/* The models a run builds beside its own (runner.c, loops.c): each without AdamW moments (they share the run's). */
static int other_models(const sb_spec *s, const sb_runner_plan *plan, sb_mem_need *need, char *err, size_t errlen)
{
    const sb_sharing *sh = &plan->sharing;
    double own = need->step_total - (double)need->step.optim;
    if (!strcmp(s->convert, "svd")) need->models += own;   /* the trained model, until converted */
    if (!sh->loops) return 0;
    int sampled = !strcmp(s->train_loops, "sampled"), most = (SB_MAX_LAYERS - sh->loop_prelude - sh->loop_coda) / sh->loop_core;
    int hi = sampled ? (3 * sh->loops < most ? 3 * sh->loops : most) : s->test_loops;
    for (int r = 1; r <= hi; r++) {
        if (r == sh->loops || (!sampled && r != s->test_loops)) continue;
        sb_config c = plan->model;
        sb_sharing rsh;
        sb_memory m;
        long n;
        c.layers = sh->loop_prelude + sh->loop_core * r + sh->loop_coda;
        if (sb_sharing_resolve(&c, &rsh, err, errlen) || sb_model_plan_with(&c, &rsh, s->batch, plan->Tmax, 0, &n, &m, err, errlen))
            return -1;
        need->models += plan_total(&m) - (double)m.optim;
    }
    return 0;
}

int sb_mem_need_of(const sb_spec *s, const sb_runner_plan *plan, int threads, sb_mem_need *need, char *err, size_t errlen)
{
    long n;
    const sb_config *c = &plan->model;
    memset(need, 0, sizeof *need);
    need->batch = s->batch, need->length = plan->Tmax;
    if (sb_model_plan_with(c, &plan->sharing, s->batch, plan->Tmax, 0, &n, &need->step, err, errlen)) return -1;
    need->step_total = plan_total(&need->step);
    /* what the analyses and a distillation teacher add, as the files that allocate it count it */
    if (sb_analysis_memory(s, c, &plan->sharing, plan->T, threads, &need->analysis, err, errlen)) return -1;
    if (sb_compress_teacher_memory(s, c, plan->T, &need->teacher, err, errlen)) return -1;
    if (other_models(s, plan, need, err, errlen)) return -1;
    need->total = need->step_total + need->analysis + need->teacher + need->models;
    return 0;
}

/* "12.3 GiB (training step at batch 16, length 64: parameters ..., ...; analysis copies ...)" */
static void describe(const sb_mem_need *n, char *out, size_t len)
{
    char t[32], p[32], g[32], o[32], a[32], s[32], an[32];
    snprintf(out, len, "%s (the engine's accounting of a training step at batch %d, length %d: parameters %s, gradients %s, "
             "AdamW moments %s, activations %s, backward scratch %s",
             sb_fmt_bytes(n->total, t, sizeof t), n->batch, n->length, sb_fmt_bytes((double)n->step.params, p, sizeof p),
             sb_fmt_bytes((double)n->step.grads, g, sizeof g), sb_fmt_bytes((double)n->step.optim, o, sizeof o),
             sb_fmt_bytes((double)n->step.acts, a, sizeof a), sb_fmt_bytes((double)n->step.scratch, s, sizeof s));
    size_t w = strlen(out);
    if (n->analysis > 0 && w < len)
        snprintf(out + w, len - w, "; the gradient-noise analysis' tracking copies and their moments %s",
                 sb_fmt_bytes(n->analysis, an, sizeof an));
    w = strlen(out);
    if (n->teacher > 0 && w < len)
        snprintf(out + w, len - w, "; the distillation teacher %s", sb_fmt_bytes(n->teacher, an, sizeof an));
    w = strlen(out);
    if (n->models > 0 && w < len)
        snprintf(out + w, len - w, "; the models at other loops or kept for conversion %s", sb_fmt_bytes(n->models, an, sizeof an));
    w = strlen(out);
    if (w < len) snprintf(out + w, len - w, ")");
}

int sb_memcheck_cells(const sb_spec *cells, const sb_runner_plan *const *plans, long n, int jobs, int threads, double budget,
                      char *over, char *err, size_t errlen)
{
    char from[1200], need_text[1024], have[32], label[256];
    if (over) memset(over, 0, (size_t)(n > 0 ? n : 0));
    if (budget > 0) {
        char b[32];
        snprintf(from, sizeof from, "the --mem-budget of %s", sb_fmt_bytes(budget, b, sizeof b));
    } else {
        char what[1100];
        budget = sb_mem_available(what, sizeof what);
        if (budget < 0) return 0;   /* not Linux: nothing to compare with */
        snprintf(from, sizeof from, "the %s available (%s)", sb_fmt_bytes(budget, have, sizeof have), what);
    }
    double *needs = calloc((size_t)(n > 0 ? n : 1), sizeof *needs);
    int rc = 0;
    if (!needs) {
        snprintf(err, errlen, "out of memory checking %ld cells", n);
        return -1;
    }
    for (long i = 0; i < n; i++) {
        sb_mem_need need;
        if (sb_mem_need_of(&cells[i], plans[i], threads, &need, err, errlen)) { rc = -1; goto out; }
        needs[i] = need.total;
        if (need.total > budget) {
            if (!rc) {
                describe(&need, need_text, sizeof need_text);
                sb_spec_label(&cells[i], label, sizeof label);
                if (n > 1) snprintf(err, errlen, "cell %ld (%s) needs %s, more than %s", i + 1, label, need_text, from);
                else snprintf(err, errlen, "%s needs %s, more than %s", label, need_text, from);
            }
            rc = -1;
            if (!over) goto out;
            over[i] = 1;
        }
    }
    /* cells running at once: the jobs largest together */
    if (!rc && jobs > 1 && n > 1) {
        long a = -1, b = -1, top = jobs < n ? jobs : n;
        double sum = 0;
        char *used = calloc((size_t)n, 1);
        if (!used) {
            snprintf(err, errlen, "out of memory checking %ld cells run %d at once", n, jobs);
            rc = -1;
            goto out;
        }
        for (long j = 0; j < top; j++) {
            long best = -1;
            for (long i = 0; i < n; i++)
                if (!used[i] && (best < 0 || needs[i] > needs[best])) best = i;
            used[best] = 1;
            sum += needs[best];
            if (j == 0) a = best;
            if (j == 1) b = best;
        }
        free(used);
        if (sum > budget) {
            char s[32];
            snprintf(err, errlen, "with --jobs %d, %ld cells may run at once; the largest (cells %ld and %ld%s) need %s together, "
                     "more than %s; run fewer jobs at once", jobs, top, a + 1, b + 1, top > 2 ? ", ..." : "",
                     sb_fmt_bytes(sum, s, sizeof s), from);
            rc = -1;
        }
    }
out:
    free(needs);
    return rc;
}
