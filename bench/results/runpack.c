/*
** runpack.c: a run's record as bytes and back (runpack.h), for the MPI sweep's
** workers to hand finished runs to rank 0, which stores them.
**
** Hand-written rather than cJSON: JSON has no NaN (a metric of NaN, stored as
** NULL, would become something else), prints doubles as text (three times the
** bytes for long series) and would need parsing back with every check this
** reader makes anyway. Layout: the magic, then
**   u32 columns, each: u8 set, [str];   u32 params, each: str key, u8 set, [str value]
**   u32 metrics, each: str key, f64;    u32 names, each: str
**   u64 points, each: u32 name, i32 layer, i32 head, i64 step, f64 value
** with str = u32 length + bytes (no terminator), numbers in host byte order.
*/
#include "runpack.h"
#include "record_internal.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char pack_magic[8] = { 's', 'b', 'r', 'u', 'n', '0', '1', '\n' };

typedef struct {
    unsigned char *p;
    size_t n, cap;
    int oom;
} packer;

static void put(packer *k, const void *v, size_t n)
{
    if (k->oom) return;
    if (k->n + n > k->cap) {
        size_t c = k->cap ? k->cap : 4096;
        while (c < k->n + n) c *= 2;
        unsigned char *q = realloc(k->p, c);
        if (!q) { k->oom = 1; return; }
        k->p = q;
        k->cap = c;
    }
    memcpy(k->p + k->n, v, n);
    k->n += n;
}

static void put_u32(packer *k, uint32_t v) { put(k, &v, sizeof v); }

static void put_str(packer *k, const char *s)
{
    size_t n = strlen(s);
    if (n > UINT32_MAX) { k->oom = 1; return; }
    put_u32(k, (uint32_t)n);
    put(k, s, n);
}

void *sb_run_pack(const sb_run *r, size_t *len)
{
    packer k = { NULL, 0, 0, 0 };
    uint8_t set;
    if (!r) return NULL;
    put(&k, pack_magic, sizeof pack_magic);
    put_u32(&k, SB_RUN_NCOLUMNS);
    for (int i = 0; i < SB_RUN_NCOLUMNS; i++) {
        set = r->col[i] != NULL;
        put(&k, &set, 1);
        if (set) put_str(&k, r->col[i]);
    }
    put_u32(&k, (uint32_t)r->nparams);
    for (size_t i = 0; i < r->nparams; i++) {
        put_str(&k, r->params[i].key);
        set = r->params[i].value != NULL;
        put(&k, &set, 1);
        if (set) put_str(&k, r->params[i].value);
    }
    put_u32(&k, (uint32_t)r->nmetrics);
    for (size_t i = 0; i < r->nmetrics; i++) {
        put_str(&k, r->metrics[i].key);
        put(&k, &r->metrics[i].value, sizeof(double));
    }
    put_u32(&k, (uint32_t)r->nnames);
    for (size_t i = 0; i < r->nnames; i++) put_str(&k, r->names[i]);
    uint64_t np = r->nseries;
    put(&k, &np, sizeof np);
    for (size_t i = 0; i < r->nseries; i++) {
        const sb_point *p = &r->series[i];
        uint32_t name = (uint32_t)p->name;
        int32_t layer = p->layer, head = p->head;
        int64_t step = p->step;
        put_u32(&k, name);
        put(&k, &layer, sizeof layer);
        put(&k, &head, sizeof head);
        put(&k, &step, sizeof step);
        put(&k, &p->value, sizeof p->value);
    }
    if (k.oom || r->nparams > UINT32_MAX || r->nmetrics > UINT32_MAX || r->nnames > UINT32_MAX) {
        free(k.p);
        return NULL;
    }
    *len = k.n;
    return k.p;
}

typedef struct {
    const unsigned char *p;
    size_t n, at;
    const char *what;   /* the part being read, for the message */
} unpacker;

static int get(unpacker *u, void *v, size_t n)
{
    if (n > u->n - u->at) return -1;
    memcpy(v, u->p + u->at, n);
    u->at += n;
    return 0;
}

/* A string of the packed bytes as a new C string, or NULL when truncated or out of memory. */
static char *get_str(unpacker *u)
{
    uint32_t n;
    if (get(u, &n, sizeof n) || n > u->n - u->at) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    memcpy(s, u->p + u->at, n);
    s[n] = 0;
    u->at += n;
    if (strlen(s) != n) { free(s); return NULL; }   /* a NUL inside: not text we packed */
    return s;
}

sb_run *sb_run_unpack(const void *buf, size_t len, char *err, size_t errlen)
{
    unpacker u = { buf, len, 0, "its header" };
    char magic[sizeof pack_magic], *a = NULL, *b = NULL;
    uint32_t count;
    uint64_t points;
    uint8_t set;
    sb_run *r = sb_run_new();
    if (!r || !buf) goto fail;
    if (get(&u, magic, sizeof magic) || memcmp(magic, pack_magic, sizeof magic)) {
        snprintf(err, errlen, "not a packed run (no 'sbrun01' header)");
        sb_run_free(r);
        return NULL;
    }
    if (get(&u, &count, sizeof count)) goto fail;
    if (count != SB_RUN_NCOLUMNS) {
        snprintf(err, errlen, "packed run has %u columns where this sharebench has %d (different versions?)", count, SB_RUN_NCOLUMNS);
        sb_run_free(r);
        return NULL;
    }
    u.what = "its columns";
    for (int i = 0; i < SB_RUN_NCOLUMNS; i++) {
        if (get(&u, &set, 1)) goto fail;
        if (!set) continue;
        if (!(a = get_str(&u))) goto fail;
        sb_run_set(r, sb_run_columns[i].name, a);   /* a bad number is marked, and refused at commit */
        if (!r->col[i]) goto fail;
        free(a);
        a = NULL;
    }
    u.what = "its params";
    if (get(&u, &count, sizeof count)) goto fail;
    for (uint32_t i = 0; i < count; i++) {
        if (!(a = get_str(&u)) || get(&u, &set, 1) || (set && !(b = get_str(&u))) || sb_run_param(r, a, b)) goto fail;
        free(a); free(b);
        a = b = NULL;
    }
    u.what = "its metrics";
    if (get(&u, &count, sizeof count)) goto fail;
    for (uint32_t i = 0; i < count; i++) {
        double v;
        if (!(a = get_str(&u)) || get(&u, &v, sizeof v) || sb_run_metric(r, a, v)) goto fail;
        free(a);
        a = NULL;
    }
    u.what = "its series";
    uint32_t nnames;
    if (get(&u, &nnames, sizeof nnames) || nnames > (u.n - u.at) / sizeof(uint32_t)) goto fail;
    char **names = calloc(nnames ? nnames : 1, sizeof *names);
    if (!names) goto fail;
    uint32_t got = 0;
    while (got < nnames && (names[got] = get_str(&u))) got++;
    int ok = got == nnames && !get(&u, &points, sizeof points) && points <= (u.n - u.at) / 28;
    for (uint64_t i = 0; ok && i < points; i++) {
        uint32_t name;
        int32_t layer, head;
        int64_t step;
        double v;
        ok = !get(&u, &name, sizeof name) && !get(&u, &layer, sizeof layer) && !get(&u, &head, sizeof head) &&
             !get(&u, &step, sizeof step) && !get(&u, &v, sizeof v) && name < nnames &&
             !sb_run_series(r, names[name], (long)step, layer, head, v);
    }
    for (uint32_t i = 0; i < got; i++) free(names[i]);
    free(names);
    if (!ok) goto fail;
    if (u.at != u.n) {
        snprintf(err, errlen, "packed run has %zu bytes after its end", u.n - u.at);
        sb_run_free(r);
        return NULL;
    }
    return r;
fail:
    free(a);
    free(b);
    sb_run_free(r);
    snprintf(err, errlen, "packed run cut short or damaged in %s (byte %zu of %zu)", u.what, u.at, len);
    return NULL;
}