/*
** record.c: a run's record assembled in memory (record.h). Rows are appended
** to arrays that double as they fill; nothing is checked against the
** database here: the store refuses what it cannot write, naming it.
*/
#include "record_internal.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const sb_run_column sb_run_columns[SB_RUN_NCOLUMNS] = {
    { "cell", 'T', 1 },         { "config_hash", 'T', 1 }, { "sweep", 'T', 0 },        { "task", 'T', 1 },
    { "sharing", 'T', 1 },      { "seed", 'I', 1 },        { "status", 'T', 1 },       { "error", 'T', 0 },
    { "diverged_step", 'I', 0 }, { "started", 'T', 1 },    { "ended", 'T', 1 },        { "wall_seconds", 'R', 0 },
    { "code_version", 'T', 0 }, { "host", 'T', 0 },        { "cpu", 'T', 0 },          { "cores", 'I', 0 },
    { "threads", 'I', 0 },      { "blas", 'T', 0 },
};

/* Array p (n elements of size sz, capacity *cap) with room for one more:
** p itself, or a larger copy, or NULL when out of memory (p left as it was). */
static void *grow(void *p, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap) return p;
    size_t c = *cap ? *cap * 2 : 16;
    if (c > SIZE_MAX / sz) return NULL;
    void *q = realloc(p, c * sz);
    if (q) *cap = c;
    return q;
}

sb_run *sb_run_new(void)
{
    return calloc(1, sizeof(sb_run));
}

void sb_run_free(sb_run *r)
{
    if (!r) return;
    for (int i = 0; i < SB_RUN_NCOLUMNS; i++) free(r->col[i]);
    for (size_t i = 0; i < r->nparams; i++) free(r->params[i].key), free(r->params[i].value);
    for (size_t i = 0; i < r->nmetrics; i++) free(r->metrics[i].key);
    for (size_t i = 0; i < r->nnames; i++) free(r->names[i]);
    free(r->params);
    free(r->metrics);
    free(r->names);
    free(r->series);
    free(r);
}

int sb_run_parse_int(const char *v, long long *out)
{
    char *end;
    if (!*v || *v == ' ' || *v == '\t' || *v == '\n') return -1;
    errno = 0;
    *out = strtoll(v, &end, 10);
    return *end || errno ? -1 : 0;
}

int sb_run_parse_real(const char *v, double *out)
{
    char *end;
    if (!*v || *v == ' ' || *v == '\t' || *v == '\n') return -1;
    errno = 0;
    *out = strtod(v, &end);
    return *end || !isfinite(*out) ? -1 : 0;
}

int sb_run_column_index(const char *name)
{
    for (int i = 0; i < SB_RUN_NCOLUMNS; i++)
        if (!strcmp(sb_run_columns[i].name, name)) return i;
    return -1;
}

int sb_run_set(sb_run *r, const char *column, const char *value)
{
    int i = r && column ? sb_run_column_index(column) : -1;
    char *copy = NULL;
    long long n;
    double x;
    if (i < 0) return -1;
    if (value && !(copy = strdup(value))) return -1;
    free(r->col[i]);
    r->col[i] = copy;
    /* A bad number is kept with a mark rather than dropped, so the commit
    ** refuses the run naming the column and value even if this -1 is ignored. */
    r->bad[i] = value && ((sb_run_columns[i].type == 'I' && sb_run_parse_int(value, &n)) ||
                          (sb_run_columns[i].type == 'R' && sb_run_parse_real(value, &x)));
    return r->bad[i] ? -1 : 0;
}

const char *sb_run_get(const sb_run *r, const char *column)
{
    int i = r && column ? sb_run_column_index(column) : -1;
    return i < 0 ? NULL : r->col[i];
}

int sb_run_param(sb_run *r, const char *key, const char *value)
{
    sb_kv kv = { NULL, NULL }, *a;
    if (!r || !key || !(a = grow(r->params, r->nparams, &r->capparams, sizeof *a))) return -1;
    r->params = a;
    if (!(kv.key = strdup(key)) || (value && !(kv.value = strdup(value)))) {
        free(kv.key);
        return -1;
    }
    r->params[r->nparams++] = kv;
    return 0;
}

int sb_run_metric(sb_run *r, const char *key, double value)
{
    char *k;
    sb_scalar *a;
    if (!r || !key || !(a = grow(r->metrics, r->nmetrics, &r->capmetrics, sizeof *a))) return -1;
    r->metrics = a;
    if (!(k = strdup(key))) return -1;
    r->metrics[r->nmetrics].key = k;
    r->metrics[r->nmetrics++].value = value;
    return 0;
}

size_t sb_run_param_count(const sb_run *r) { return r ? r->nparams : 0; }
size_t sb_run_metric_count(const sb_run *r) { return r ? r->nmetrics : 0; }

const char *sb_run_param_at(const sb_run *r, size_t i, const char **value)
{
    if (!r || i >= r->nparams) return NULL;
    *value = r->params[i].value;
    return r->params[i].key;
}

const char *sb_run_metric_at(const sb_run *r, size_t i, double *value)
{
    if (!r || i >= r->nmetrics) return NULL;
    *value = r->metrics[i].value;
    return r->metrics[i].key;
}

int sb_run_metric_get(const sb_run *r, const char *key, double *value)
{
    for (size_t i = r ? r->nmetrics : 0; i-- > 0;)
        if (!strcmp(r->metrics[i].key, key)) {
            *value = r->metrics[i].value;
            return 0;
        }
    return -1;
}

int sb_run_series(sb_run *r, const char *metric, long step, int layer, int head, double value)
{
    size_t name;
    sb_point *a;
    char **names;
    if (!r || !metric || !(a = grow(r->series, r->nseries, &r->capseries, sizeof *a))) return -1;
    r->series = a;
    /* Points usually come in runs of one metric: try the last name first. */
    if (r->nnames && !strcmp(r->names[r->lastname], metric)) name = r->lastname;
    else {
        for (name = 0; name < r->nnames && strcmp(r->names[name], metric); name++) {}
        if (name == r->nnames) {
            if (r->nnames >= INT_MAX || !(names = grow(r->names, r->nnames, &r->capnames, sizeof *names))) return -1;
            r->names = names;
            if (!(names[name] = strdup(metric))) return -1;
            r->nnames++;
        }
        r->lastname = name;
    }
    r->series[r->nseries++] = (sb_point){ (int)name, layer, head, step, value };
    return 0;
}
