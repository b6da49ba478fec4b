/*
** runset.c: recorded runs in memory, grouped into configurations (see
** runset.h). Reads with plain SQL on the store's schema.
*/
#include "runset.h"
#include "spec/spec.h"
#include <sqlite3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_text(const unsigned char *s)
{
    return strdup(s ? (const char *)s : "");
}

int sb_rs_ignored_param(const char *key)
{
    static const char *const ignored[] = { "seed", "threads", "save", "sweep" };
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        if (!strcmp(key, ignored[i])) return 1;
    return 0;
}

static void free_run(sb_rs_run *r)
{
    free(r->cell); free(r->config_hash); free(r->sweep); free(r->task); free(r->sharing); free(r->status); free(r->error);
    free(r->started); free(r->ended); free(r->code_version); free(r->host); free(r->cpu); free(r->blas);
    for (int i = 0; i < r->nparams; i++) { free(r->pkey[i]); free(r->pval[i]); }
    for (int i = 0; i < r->nmetrics; i++) free(r->mkey[i]);
    free(r->pkey); free(r->pval); free(r->mkey); free(r->mval); free(r->config);
}

void sb_runset_free(sb_runset *s)
{
    if (!s) return;
    for (int i = 0; i < s->nruns; i++) free_run(&s->runs[i]);
    for (int i = 0; i < s->nspeed; i++) free_run(&s->speed[i]);
    for (int g = 0; g < s->ngroups; g++) {
        free(s->groups[g].task); free(s->groups[g].sharing); free(s->groups[g].config);
        free(s->groups[g].label); free(s->groups[g].run); free(s->groups[g].timing);
    }
    free(s->runs);
    free(s->speed);
    free(s->groups);
    sb_store_close(s->store);
    free(s);
}

struct sqlite3 *sb_runset_db(const sb_runset *s)
{
    return sb_store_db(s->store);
}

static int bsearch_key(char *const *keys, int n, const char *key)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(keys[mid], key);
        if (!c) return mid;
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

double sb_rs_metric_key(const sb_rs_run *r, const char *key)
{
    int i = bsearch_key(r->mkey, r->nmetrics, key);
    return i < 0 ? NAN : r->mval[i];
}

double sb_rs_metric(const sb_rs_run *r, sb_metric_id id)
{
    return sb_rs_metric_key(r, sb_metric_key(id));
}

int sb_rs_has_metric(const sb_rs_run *r, sb_metric_id id)
{
    return bsearch_key(r->mkey, r->nmetrics, sb_metric_key(id)) >= 0;
}

const char *sb_rs_param(const sb_rs_run *r, const char *key)
{
    int i = bsearch_key(r->pkey, r->nparams, key);
    return i < 0 ? NULL : r->pval[i];
}

int sb_rs_finished(const sb_rs_run *r)
{
    return !strcmp(r->status, "finished");
}

double sb_rs_group_mean(const sb_runset *s, const sb_rs_group *g, sb_metric_id id)
{
    double sum = 0;
    int n = 0;
    for (int k = 0; k < g->nrun; k++) {
        const sb_rs_run *r = &s->runs[g->run[k]];
        double v = sb_rs_metric(r, id);
        if (sb_rs_finished(r) && isfinite(v)) { sum += v; n++; }
    }
    return n ? sum / n : NAN;
}

void sb_rs_distinct(const sb_runset *s, size_t off, char *out, size_t len)
{
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < s->nruns; i++) {
        const char *v = *(char *const *)((const char *)&s->runs[i] + off);
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) seen = !strcmp(*(char *const *)((const char *)&s->runs[j] + off), v);
        if (!seen && *v && o < len) o += (size_t)snprintf(out + o, len - o, "%s%s", o ? ", " : "", v);
    }
    if (!out[0]) snprintf(out, len, "unknown");
}

int sb_rs_pairs(const sb_runset *s, const sb_rs_group *ref, const sb_rs_group *g, const char *key, double *xref,
                double *xg, int max)
{
    int n = 0;
    for (int k = 0; k < g->nrun && n < max; k++) {
        const sb_rs_run *r = &s->runs[g->run[k]];
        if (!sb_rs_finished(r) || !isfinite(sb_rs_metric_key(r, key))) continue;
        for (int j = 0; j < ref->nrun && n < max; j++) {
            const sb_rs_run *q = &s->runs[ref->run[j]];
            if (q->seed == r->seed && sb_rs_finished(q) && isfinite(sb_rs_metric_key(q, key))) {
                xref[n] = sb_rs_metric_key(q, key);
                xg[n] = sb_rs_metric_key(r, key);
                n++;
            }
        }
    }
    return n;
}

int sb_rs_higher_is_better(const sb_rs_run *r)
{
    const char *m = sb_rs_param(r, "metric");
    return !(m && !strcmp(m, "bpc"));
}

/* Read the params (or metrics) of run r; keys come sorted from SQL (bytewise,
** as strcmp). */
static int read_kv(sqlite3 *db, sb_rs_run *r, int metrics)
{
    sqlite3_stmt *st;
    const char *sql = metrics ? "SELECT key, value FROM metrics WHERE run_id = ?1 ORDER BY key COLLATE BINARY"
                              : "SELECT key, value FROM params WHERE run_id = ?1 ORDER BY key COLLATE BINARY";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_int64(st, 1, r->id);
    int cap = 0, n = 0, rc;
    char **keys = NULL, **vals = NULL;
    double *nums = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **k = realloc(keys, sizeof *k * (size_t)cap);
            if (k) keys = k;
            void *v = metrics ? (void *)realloc(nums, sizeof *nums * (size_t)cap) : (void *)realloc(vals, sizeof *vals * (size_t)cap);
            if (v) {
                if (metrics) nums = v;
                else vals = v;
            }
            if (!k || !v) { rc = SQLITE_NOMEM; break; }
        }
        keys[n] = dup_text(sqlite3_column_text(st, 0));
        if (metrics) nums[n] = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
        else vals[n] = dup_text(sqlite3_column_text(st, 1));
        n++;
    }
    sqlite3_finalize(st);
    if (metrics) { r->mkey = keys; r->mval = nums; r->nmetrics = n; }
    else { r->pkey = keys; r->pval = vals; r->nparams = n; }
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The config text of a run: its result-changing params, sorted. A key added
** after older runs were recorded, at its default, is left out, so those runs
** and new ones at the default are one configuration. */
static char *config_of(const sb_rs_run *r)
{
    size_t len = 1;
    for (int i = 0; i < r->nparams; i++) len += strlen(r->pkey[i]) + strlen(r->pval[i]) + 2;
    char *c = malloc(len), *o = c;
    if (!c) return NULL;
    *o = 0;
    for (int i = 0; i < r->nparams; i++)
        if (!sb_rs_ignored_param(r->pkey[i]) && !sb_spec_key_default(r->pkey[i], r->pval[i]))
            o += sprintf(o, "%s=%s\n", r->pkey[i], r->pval[i]);
    return c;
}

static const sb_runset *sort_set;

/* Task alphabetical, then none first, then more unique parameters first, then
** sharing, then the config text. */
static int cmp_group(const void *a, const void *b)
{
    const sb_rs_group *x = a, *y = b;
    int c = strcmp(x->task, y->task);
    if (c) return c;
    int xn = !strcmp(x->sharing, "none"), yn = !strcmp(y->sharing, "none");
    if (xn != yn) return yn - xn;
    double px = x->nrun ? sb_rs_metric(&sort_set->runs[x->run[0]], SB_M_PARAMS_UNIQUE) : NAN;
    double py = y->nrun ? sb_rs_metric(&sort_set->runs[y->run[0]], SB_M_PARAMS_UNIQUE) : NAN;
    if (isfinite(px) && isfinite(py) && px != py) return px > py ? -1 : 1;
    c = strcmp(x->sharing, y->sharing);
    return c ? c : strcmp(x->config, y->config);
}

static int cmp_seed(const void *a, const void *b)
{
    const sb_rs_run *x = &sort_set->runs[*(const int *)a], *y = &sort_set->runs[*(const int *)b];
    return (x->seed > y->seed) - (x->seed < y->seed);
}

/* Append to a group's label the params in which it differs from another group
** of the same task and sharing. */
static int label_groups(sb_runset *s)
{
    for (int g = 0; g < s->ngroups; g++) {
        sb_rs_group *G = &s->groups[g];
        char buf[1024];
        int len = snprintf(buf, sizeof buf, "%s %s", G->task, G->sharing), extra = 0;
        const sb_rs_run *r = &s->runs[G->run[0]];
        for (int i = 0; i < r->nparams; i++) {
            const char *k = r->pkey[i];
            if (sb_rs_ignored_param(k) || !strcmp(k, "task") || !strcmp(k, "sharing")) continue;
            int differs = 0;
            for (int h = 0; h < s->ngroups && !differs; h++) {
                const sb_rs_group *H = &s->groups[h];
                if (h == g || strcmp(H->task, G->task) || strcmp(H->sharing, G->sharing)) continue;
                const char *v = sb_rs_param(&s->runs[H->run[0]], k);
                differs = v ? strcmp(v, r->pval[i]) != 0 : !sb_spec_key_default(k, r->pval[i]);
            }
            if (differs && len < (int)sizeof buf)
                len += snprintf(buf + len, sizeof buf - (size_t)len, "%s%s=%s", extra++ ? " " : " (", k, r->pval[i]);
        }
        if (extra && len < (int)sizeof buf) snprintf(buf + len, sizeof buf - (size_t)len, ")");
        if (!(G->label = strdup(buf))) return -1;
    }
    return 0;
}

static int group_runs(sb_runset *s)
{
    for (int i = 0; i < s->nruns; i++) {
        sb_rs_run *r = &s->runs[i];
        int g = sb_rs_group_find(s, r->config);
        if (g < 0) {
            sb_rs_group *G = realloc(s->groups, sizeof *G * (size_t)(s->ngroups + 1));
            if (!G) return -1;
            s->groups = G;
            G = &s->groups[s->ngroups];
            memset(G, 0, sizeof *G);
            G->task = strdup(r->task);
            G->sharing = strdup(r->sharing);
            G->config = strdup(r->config);
            if (!G->task || !G->sharing || !G->config) return -1;
            g = s->ngroups++;
        }
        sb_rs_group *G = &s->groups[g];
        /* runs come by id: a later run of the same seed replaces the earlier */
        int k = 0;
        while (k < G->nrun && s->runs[G->run[k]].seed != r->seed) k++;
        if (k < G->nrun) {
            G->run[k] = i;
            G->superseded++;
        } else {
            int *p = realloc(G->run, sizeof *p * (size_t)(G->nrun + 1));
            if (!p) return -1;
            G->run = p;
            G->run[G->nrun++] = i;
        }
    }
    sort_set = s;
    for (int g = 0; g < s->ngroups; g++) qsort(s->groups[g].run, (size_t)s->groups[g].nrun, sizeof(int), cmp_seed);
    if (s->ngroups) qsort(s->groups, (size_t)s->ngroups, sizeof *s->groups, cmp_group);
    for (int g = 0; g < s->ngroups; g++)
        for (int k = 0; k < s->groups[g].nrun; k++) s->runs[s->groups[g].run[k]].group = g;
    /* runs superseded keep the group index of their configuration */
    for (int i = 0; i < s->nruns; i++) s->runs[i].group = sb_rs_group_find(s, s->runs[i].config);
    return label_groups(s);
}

/* Hold the timing runs of sweep --speed-pass apart from the runs, before
** they are grouped: they time a configuration, they are none. */
static int take_timing_runs(sb_runset *s)
{
    /* room for all first, so that nothing moves when memory runs out */
    if (!(s->speed = malloc(sizeof *s->speed * (size_t)(s->nruns + 1)))) return -1;
    int k = 0;
    for (int i = 0; i < s->nruns; i++) {
        const char *of = sb_rs_param(&s->runs[i], "speed_of");
        if (of && *of) s->speed[s->nspeed++] = s->runs[i];
        else s->runs[k++] = s->runs[i];
    }
    s->nruns = k;
    return 0;
}

/* Each timing run to the configuration of the cell it names (its group, -1
** when that cell's run is not in the set). */
static int attach_timing_runs(sb_runset *s)
{
    for (int t = 0; t < s->nspeed; t++) {
        const char *of = sb_rs_param(&s->speed[t], "speed_of");
        int g = -1;
        for (int i = 0; i < s->nruns && g < 0; i++)
            if (!strcmp(s->runs[i].cell, of)) g = s->runs[i].group;
        s->speed[t].group = g;
        if (g < 0) continue;
        sb_rs_group *G = &s->groups[g];
        int *p = realloc(G->timing, sizeof *p * (size_t)(G->ntiming + 1));
        if (!p) return -1;
        G->timing = p;
        G->timing[G->ntiming++] = t;
    }
    return 0;
}

int *sb_rs_task_groups(const sb_runset *s, const char *task, int *n)
{
    int *idx = malloc(sizeof *idx * (size_t)(s->ngroups + 1));
    *n = 0;
    if (!idx) return NULL;
    for (int g = 0; g < s->ngroups; g++)
        if (!strcmp(s->groups[g].task, task)) idx[(*n)++] = g;
    return idx;
}

int sb_rs_group_find(const sb_runset *s, const char *config)
{
    for (int g = 0; g < s->ngroups; g++)
        if (!strcmp(s->groups[g].config, config)) return g;
    return -1;
}

sb_runset *sb_runset_from_store(sb_store *store, const char *source, const sb_rs_filter *f, char *err, size_t errlen)
{
    sb_runset *s = calloc(1, sizeof *s);
    if (!s) {
        sb_store_close(store);
        snprintf(err, errlen, "%s: out of memory", source);
        return NULL;
    }
    s->store = store;
    snprintf(s->source, sizeof s->source, "%s", source);
    sqlite3 *db = sb_store_db(store);
    sqlite3_stmt *st = NULL;
    int rc;
    /* One snapshot for everything read, even while a sweep writes. */
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    if (sqlite3_prepare_v2(db,
                           "SELECT id, cell, sweep, task, sharing, seed, status, error, started, ended, code_version,"
                           " host, cpu, cores, threads, blas, config_hash, diverged_step, wall_seconds FROM runs"
                           " WHERE (?1 IS NULL OR sweep = ?1) AND (?2 IS NULL OR task = ?2) AND (?3 IS NULL OR sharing = ?3)"
                           " ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        goto sqlfail;
    if (f && f->sweep) sqlite3_bind_text(st, 1, f->sweep, -1, SQLITE_STATIC);
    if (f && f->task) sqlite3_bind_text(st, 2, f->task, -1, SQLITE_STATIC);
    if (f && f->sharing) sqlite3_bind_text(st, 3, f->sharing, -1, SQLITE_STATIC);
    int cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (s->nruns == cap) {
            cap = cap ? 2 * cap : 64;
            sb_rs_run *p = realloc(s->runs, sizeof *p * (size_t)cap);
            if (!p) goto oom;
            s->runs = p;
        }
        sb_rs_run *r = &s->runs[s->nruns++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(st, 0);
        r->cell = dup_text(sqlite3_column_text(st, 1));
        r->sweep = dup_text(sqlite3_column_text(st, 2));
        r->task = dup_text(sqlite3_column_text(st, 3));
        r->sharing = dup_text(sqlite3_column_text(st, 4));
        r->seed = sqlite3_column_int64(st, 5);
        r->status = dup_text(sqlite3_column_text(st, 6));
        r->error = dup_text(sqlite3_column_text(st, 7));
        r->started = dup_text(sqlite3_column_text(st, 8));
        r->ended = dup_text(sqlite3_column_text(st, 9));
        r->code_version = dup_text(sqlite3_column_text(st, 10));
        r->host = dup_text(sqlite3_column_text(st, 11));
        r->cpu = dup_text(sqlite3_column_text(st, 12));
        r->cores = sqlite3_column_int(st, 13);
        r->threads = sqlite3_column_int(st, 14);
        r->blas = dup_text(sqlite3_column_text(st, 15));
        r->config_hash = dup_text(sqlite3_column_text(st, 16));
        r->diverged_step = sqlite3_column_type(st, 17) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 17);
        r->wall_seconds = sqlite3_column_type(st, 18) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 18);
        if (!r->cell || !r->config_hash || !r->sweep || !r->task || !r->sharing || !r->status || !r->error || !r->started || !r->ended ||
            !r->code_version || !r->host || !r->cpu || !r->blas)
            goto oom;
    }
    if (rc != SQLITE_DONE) goto sqlfail;
    sqlite3_finalize(st);
    st = NULL;
    for (int i = 0; i < s->nruns; i++) {
        if (read_kv(db, &s->runs[i], 0) || read_kv(db, &s->runs[i], 1)) goto sqlfail;
        if (!(s->runs[i].config = config_of(&s->runs[i]))) goto oom;
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (take_timing_runs(s) || group_runs(s) || attach_timing_runs(s)) goto oom;
    return s;
sqlfail:
    snprintf(err, errlen, "%s: %s", source, sqlite3_errmsg(db));
    goto fail;
oom:
    snprintf(err, errlen, "%s: out of memory", source);
fail:
    sqlite3_finalize(st);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sb_runset_free(s);
    return NULL;
}


int sb_rs_same_but_sharing(const char *x, const char *y)
{
    while (*x || *y) {
        while (!strncmp(x, "sharing=", 8)) x = strchr(x, '\n') + 1;
        while (!strncmp(y, "sharing=", 8)) y = strchr(y, '\n') + 1;
        if (!*x || !*y) return !*x && !*y;
        const char *ex = strchr(x, '\n'), *ey = strchr(y, '\n');
        if (ex - x != ey - y || strncmp(x, y, (size_t)(ex - x))) return 0;
        x = ex + 1;
        y = ey + 1;
    }
    return 1;
}
