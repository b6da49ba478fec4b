/*
** table.c: the stored runs as a table of typed cells (table.h). The wide
** form reads the union of keys first, then walks the runs, filling each run's
** param and metric slots from two prepared statements (one row of values in
** memory at a time, so a large export stays small); the long and series forms
** are one query each.
*/
#include "table.h"
#include "spec/spec.h"
#include <sqlite3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The runs selected; ?1..?4 task, sharing, status, sweep (NULL: any); ?5 limit (-1: none). */
#define SELECTED_RUNS                                                                                          \
    "SELECT r.id FROM runs r WHERE (?1 IS NULL OR r.task = ?1) AND (?2 IS NULL OR r.sharing = ?2)"            \
    " AND (?3 IS NULL OR r.status = ?3) AND (?4 IS NULL OR r.sweep = ?4) ORDER BY r.id LIMIT ?5"

static const char *const long_names[] = { "run_id", "sweep", "task", "sharing", "seed", "status", "kind", "key", "value", "text" };
static const char *const series_names[] = { "run_id", "sweep", "task", "sharing", "seed", "metric", "step", "layer", "head", "value" };

struct sb_table {
    sqlite3 *db;
    sb_table_form form;
    sqlite3_stmt *rows;       /* runs (wide), or the long or series rows */
    sqlite3_stmt *pst, *mst;  /* wide: one run's params and metrics */
    int nr, np, nm;           /* wide: columns of runs, param keys, metric keys */
    char **names;             /* wide: every column's name, owned */
    sqlite3_value **slot;     /* wide: the current run's params then metrics */
    int ncols;
    sb_cell *cells;
};

static int prepare(sqlite3 *db, const char *sql, const sb_listing_filter *f, sqlite3_stmt **st)
{
    const char *filter[4] = { f->task, f->sharing, f->status, f->sweep };
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) return -1;
    for (int i = 0; i < 4; i++)
        if (filter[i]) sqlite3_bind_text(*st, i + 1, filter[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(*st, 5, f->limit < 0 ? -1 : f->limit);
    return 0;
}

/* Append the sorted, distinct keys of params or metrics over the selected
** runs to t->names, each prefixed ("param." or "metric."); *n the count. */
static int union_keys(sb_table *t, int metrics, const sb_listing_filter *f, int *n, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc;
    const char *sql = metrics ? "SELECT DISTINCT key FROM metrics WHERE run_id IN (" SELECTED_RUNS ") ORDER BY key"
                              : "SELECT DISTINCT key FROM params WHERE run_id IN (" SELECTED_RUNS ") ORDER BY key";
    *n = 0;
    if (prepare(t->db, sql, f, &st)) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(t->db));
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        char *name, **grown = realloc(t->names, (size_t)(t->ncols + 1) * sizeof *t->names);
        if (!grown) break;
        t->names = grown;
        if (!k || !(name = malloc(strlen(k) + 8))) break;
        sprintf(name, "%s%s", metrics ? "metric." : "param.", k);
        t->names[t->ncols++] = name;
        (*n)++;
    }
    if (rc != SQLITE_DONE) snprintf(err, errlen, "%s", rc == SQLITE_ROW ? "out of memory" : sqlite3_errmsg(t->db));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int open_wide(sb_table *t, const sb_listing_filter *f, char *err, size_t errlen)
{
    if (prepare(t->db, "SELECT r.* FROM runs r WHERE r.id IN (" SELECTED_RUNS ") ORDER BY r.id", f, &t->rows) ||
        sqlite3_prepare_v2(t->db, "SELECT key, value FROM params WHERE run_id = ?1", -1, &t->pst, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(t->db, "SELECT key, value FROM metrics WHERE run_id = ?1", -1, &t->mst, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(t->db));
        return -1;
    }
    t->nr = sqlite3_column_count(t->rows);
    /* copies: a column name lives only until the statement is reprepared */
    if (!(t->names = calloc((size_t)t->nr + 1, sizeof *t->names))) goto oom;
    for (; t->ncols < t->nr; t->ncols++)
        if (!(t->names[t->ncols] = strdup(sqlite3_column_name(t->rows, t->ncols)))) goto oom;
    if (union_keys(t, 0, f, &t->np, err, errlen) || union_keys(t, 1, f, &t->nm, err, errlen)) return -1;
    if (!(t->slot = calloc((size_t)(t->np + t->nm) + 1, sizeof *t->slot))) goto oom;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* bsearch's comparison: a bare key against a prefixed name ("param.lr").
** Same order as SQLite's ORDER BY key (bytewise), the prefix being common. */
static int cmp_key(const void *key, const void *name)
{
    return strcmp(*(const char *const *)key, strchr(*(char *const *)name, '.') + 1);
}

/* Keep the values of run id's params or metrics (st) in the slots matching
** keys[0..n). 0, or -1 (*oom set when out of memory). */
static int fetch_kv(sqlite3_stmt *st, sqlite3_int64 id, char **keys, int n, sqlite3_value **slot, int *oom)
{
    int rc;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        char **hit = k && n ? bsearch(&k, keys, (size_t)n, sizeof *keys, cmp_key) : NULL;
        if (!hit) continue;
        /* a damaged database can repeat a (run, key) its primary key forbids: the last one counts */
        sqlite3_value_free(slot[hit - keys]);
        if (!(slot[hit - keys] = sqlite3_value_dup(sqlite3_column_value(st, 1)))) {
            *oom = 1;
            return -1;
        }
    }
    return rc == SQLITE_DONE ? 0 : -1;
}

/* A value as SQLite stored it. */
static void cell_of(sb_cell *c, sqlite3_value *v)
{
    c->type = SB_CELL_NULL;
    if (!v) return;
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER: c->type = SB_CELL_INT, c->i = sqlite3_value_int64(v); break;
    case SQLITE_FLOAT: c->type = SB_CELL_REAL, c->x = sqlite3_value_double(v); break;
    case SQLITE_NULL: break;
    default: c->type = SB_CELL_TEXT, c->text = (const char *)sqlite3_value_text(v); break;
    }
}

/* A metric or param value: numbers as numbers (a param by its key's type:
** params are stored as text), anything else as text. */
static void value_of(sb_cell *c, const char *param_key, sqlite3_value *v)
{
    char *end;
    cell_of(c, v);
    if (c->type == SB_CELL_INT) c->type = SB_CELL_REAL, c->x = (double)c->i;
    if (c->type != SB_CELL_TEXT || !param_key || !*c->text || !sb_spec_key_is_number(param_key)) return;
    double x = strtod(c->text, &end);
    if (!*end && isfinite(x)) c->type = SB_CELL_REAL, c->x = x;   /* else a damaged row's word: kept as text */
}

sb_table *sb_table_open(sb_store *s, sb_table_form form, const sb_listing_filter *f, char *err, size_t errlen)
{
    sb_table *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->db = sb_store_db(s);
    t->form = form;
    /* one read transaction: the keys and the rows come from the same snapshot */
    if (sqlite3_exec(t->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(t->db));
        free(t);
        return NULL;
    }
    int bad;
    if (form == SB_TABLE_WIDE) bad = open_wide(t, f, err, errlen);
    else if (form == SB_TABLE_LONG) {
        t->ncols = (int)(sizeof long_names / sizeof *long_names);
        bad = prepare(t->db,
                      "SELECT * FROM ("
                      " SELECT r.id, r.sweep, r.task, r.sharing, r.seed, r.status, 'metric' AS kind, m.key, m.value, 0 AS ord"
                      " FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.id IN (" SELECTED_RUNS ")"
                      " UNION ALL"
                      " SELECT r.id, r.sweep, r.task, r.sharing, r.seed, r.status, 'param', p.key, p.value, 1"
                      " FROM params p JOIN runs r ON r.id = p.run_id WHERE r.id IN (" SELECTED_RUNS "))"
                      " ORDER BY 1, ord, 8",
                      f, &t->rows);
    } else {
        t->ncols = (int)(sizeof series_names / sizeof *series_names);
        bad = prepare(t->db,
                      "SELECT s.run_id, r.sweep, r.task, r.sharing, r.seed, s.metric, s.step, s.layer, s.head, s.value"
                      " FROM series s JOIN runs r ON r.id = s.run_id WHERE s.run_id IN (" SELECTED_RUNS ")"
                      " ORDER BY s.run_id, s.metric, s.step, s.layer, s.head",
                      f, &t->rows);
    }
    if (bad && form != SB_TABLE_WIDE) snprintf(err, errlen, "%s", sqlite3_errmsg(t->db));
    if (!bad && !(t->cells = calloc((size_t)t->ncols + 1, sizeof *t->cells))) {
        snprintf(err, errlen, "out of memory");
        bad = 1;
    }
    if (bad) {
        sb_table_close(t);
        return NULL;
    }
    return t;
}

int sb_table_columns(const sb_table *t)
{
    return t->ncols;
}

const char *sb_table_column(const sb_table *t, int c)
{
    return t->form == SB_TABLE_WIDE ? t->names[c] : t->form == SB_TABLE_LONG ? long_names[c] : series_names[c];
}

int sb_table_next(sb_table *t, const sb_cell **cells, char *err, size_t errlen)
{
    int rc = sqlite3_step(t->rows), oom = 0;
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) goto fail;
    sb_cell *c = t->cells;
    if (t->form == SB_TABLE_WIDE) {
        sqlite3_int64 id = sqlite3_column_int64(t->rows, 0);
        char **pkeys = t->names + t->nr, **mkeys = pkeys + t->np;
        for (int k = 0; k < t->np + t->nm; k++) {
            sqlite3_value_free(t->slot[k]);
            t->slot[k] = NULL;
        }
        if (fetch_kv(t->pst, id, pkeys, t->np, t->slot, &oom) || fetch_kv(t->mst, id, mkeys, t->nm, t->slot + t->np, &oom))
            goto fail;
        for (int k = 0; k < t->nr; k++) cell_of(&c[k], sqlite3_column_value(t->rows, k));
        for (int k = 0; k < t->np + t->nm; k++)
            value_of(&c[t->nr + k], k < t->np ? pkeys[k] + strlen("param.") : NULL, t->slot[k]);
    } else if (t->form == SB_TABLE_LONG) {
        for (int k = 0; k < 8; k++) cell_of(&c[k], sqlite3_column_value(t->rows, k));
        int metric = sqlite3_column_int(t->rows, 9) == 0;
        const char *key = (const char *)sqlite3_column_text(t->rows, 7);
        value_of(&c[8], metric ? NULL : key, sqlite3_column_value(t->rows, 8));
        /* value a number, text a word: one type per column */
        c[9].type = SB_CELL_NULL;
        if (c[8].type == SB_CELL_TEXT) c[9] = c[8], c[8].type = SB_CELL_NULL;
    } else
        for (int k = 0; k < t->ncols; k++) cell_of(&c[k], sqlite3_column_value(t->rows, k));
    *cells = c;
    return 1;
fail:
    snprintf(err, errlen, "%s", oom ? "out of memory" : sqlite3_errmsg(t->db));
    return -1;
}

void sb_table_close(sb_table *t)
{
    if (!t) return;
    sqlite3_finalize(t->rows);
    sqlite3_finalize(t->pst);
    sqlite3_finalize(t->mst);
    sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL);
    if (t->slot)
        for (int k = 0; k < t->np + t->nm; k++) sqlite3_value_free(t->slot[k]);
    if (t->names)
        for (int k = 0; k < t->ncols; k++) free(t->names[k]);
    free(t->names);
    free(t->slot);
    free(t->cells);
    free(t);
}
