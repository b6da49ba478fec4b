/*
** export.c: `sharebench export`: the runs of the results database (store.h)
** as CSV (RFC 4180) or JSON, one row per run with every column of runs, then
** every param as param.<key> and every metric as metric.<key>; or in long
** form (--long), one row per run and metric or param, carrying the run's
** identity; or, with --series, the series points with the run's identity.
** For analysis outside sharebench (pandas, R, spreadsheets). Values are
** typed: metrics and numeric keys as numbers, words as text. Text that is not
** valid UTF-8 is written with U+FFFD in place of each bad byte, so the output
** is always valid JSON (and UTF-8 CSV). Read-only on the database; takes the
** filters of `list`. JSON objects are printed by cJSON one row at a time, so
** a large export never holds more than one row in memory.
*/
#include "commands.h"
#include "cli/cli.h"
#include "results/store.h"
#include "sys/atomicfile.h"
#include "sys/textfile.h"
#include "spec/spec.h"
#include <sqlite3.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>


static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench export [--db FILE] [--format csv|json] [--long | --series] [-o FILE]\n"
            "                         [--task T] [--sharing S] [--status S] [--sweep NAME] [--limit N]\n\n"
            "Write the recorded runs, one row each: every column of the runs table, then each\n"
            "configuration key as param.<key> and each scalar metric as metric.<key> (over the\n"
            "runs selected, sorted; empty in CSV and null in JSON when a run lacks one).\n"
            "With --long, one row per run and metric or key instead (tidy data): run_id, sweep,\n"
            "task, sharing, seed, status, kind (metric or param), key, value (a number) and text\n"
            "(for keys whose value is a word). With --series, the series points of the selected\n"
            "runs (run_id, sweep, task, sharing, seed, metric, step, layer, head, value; layer and\n"
            "head -1 when not applicable). Numbers are JSON numbers; text that is not valid UTF-8\n"
            "has U+FFFD in place of each bad byte.\n\n"
            "  --db FILE          the results database (default " SB_DEFAULT_DB ")\n"
            "  --format csv|json  CSV per RFC 4180 (CRLF line ends, a header row) or a JSON array\n"
            "                     of objects (default csv)\n"
            "  --long             one row per run and metric or key\n"
            "  --series           export the series points instead of the runs\n"
            "  -o, --output FILE  write to FILE, replaced whole only once complete (default: standard output)\n"
            "  --task T, --sharing S, --status S, --sweep NAME, --limit N\n"
            "                     select runs as sharebench list does\n\n"
            "example: sharebench export --format json --task copy -o results/copy.json\n");
}

/* The runs selected; ?1..?4 task, sharing, status, sweep (NULL: any); ?5 limit (-1: none). */
#define SELECTED_RUNS                                                                                          \
    "SELECT r.id FROM runs r WHERE (?1 IS NULL OR r.task = ?1) AND (?2 IS NULL OR r.sharing = ?2)"            \
    " AND (?3 IS NULL OR r.status = ?3) AND (?4 IS NULL OR r.sweep = ?4) ORDER BY r.id LIMIT ?5"

typedef struct {
    const char *filter[4];
    long limit;
} selection;

/* ---- output: CSV or JSON, row by row ---- */

typedef struct {
    FILE *f;
    int json;
    int ncols, col;
    const char **names; /* of the columns, for the JSON keys and the CSV header */
    long rows;
    cJSON *obj; /* the JSON row being built */
    int oom;
    long repaired; /* texts not UTF-8, written to JSON with U+FFFD for the bad bytes */
} writer;

/* Output text must be UTF-8 (JSON requires it); a database made elsewhere
** (or edited) may hold other bytes. s, or when it is not UTF-8 a copy in
** *fixed with U+FFFD in place of the bad bytes (counted, and said at the
** end); NULL when out of memory. */
static const char *utf8_text(writer *w, const char *s, char **fixed)
{
    int bad;
    *fixed = NULL;
    if (sb_utf8_invalid(s, strlen(s)) < 0) return s;
    if (!(*fixed = sb_utf8_repair(s, &bad))) w->oom = 1;
    w->repaired++;
    return *fixed;
}

static void csv_text(FILE *f, const char *s)
{
    /* RFC 4180: quote a field holding a comma, a quote or a line break, doubling its quotes. An
    ** empty string is written "" so that it differs from a missing value. */
    if (*s && !strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* The shortest %g that reads back as the same double, as cJSON prints numbers. */
static void csv_real(FILE *f, double x)
{
    char buf[32];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) break;
    }
    fputs(buf, f);
}

static void w_begin_row(writer *w)
{
    w->col = 0;
    if (w->json && !(w->obj = cJSON_CreateObject())) w->oom = 1;
}

static void w_sep(writer *w)
{
    if (!w->json && w->col) fputc(',', w->f);
}

static void w_add(writer *w, cJSON *item)
{
    char *fixed = NULL;
    const char *key = item && w->obj ? utf8_text(w, w->names[w->col], &fixed) : NULL;
    if (!item) w->oom = 1;
    else if (key) cJSON_AddItemToObject(w->obj, key, item);
    else cJSON_Delete(item);
    free(fixed);
}

static void w_null(writer *w)
{
    w_sep(w);
    if (w->json) w_add(w, cJSON_CreateNull());
    w->col++;
}

static void w_int(writer *w, long long v)
{
    w_sep(w);
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    /* Raw: exact beyond 2^53, where a double (cJSON's numbers) would round. */
    if (w->json) w_add(w, cJSON_CreateRaw(buf));
    else fputs(buf, w->f);
    w->col++;
}

static void w_real(writer *w, double v)
{
    w_sep(w);
    if (w->json) w_add(w, cJSON_CreateNumber(v)); /* cJSON writes null for NaN and infinities */
    else csv_real(w->f, v);
    w->col++;
}

static void w_text(writer *w, const char *v)
{
    w_sep(w);
    char *fixed;
    const char *t = utf8_text(w, v, &fixed);
    if (!t) w->oom = 1;
    else if (w->json) w_add(w, cJSON_CreateString(t));
    else csv_text(w->f, t);
    free(fixed);
    w->col++;
}

/* A cell of a query, as the type SQLite stored it. */
static void w_column(writer *w, sqlite3_stmt *st, int col)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL: w_null(w); break;
    case SQLITE_INTEGER: w_int(w, sqlite3_column_int64(st, col)); break;
    case SQLITE_FLOAT: w_real(w, sqlite3_column_double(st, col)); break;
    default: w_text(w, (const char *)sqlite3_column_text(st, col)); break;
    }
}

static void w_end_row(writer *w)
{
    if (!w->json) {
        fputs("\r\n", w->f);
    } else if (w->obj) {
        char *text = cJSON_PrintUnformatted(w->obj);
        if (text) fprintf(w->f, "%s  %s", w->rows ? ",\n" : "[\n", text);
        else w->oom = 1;
        cJSON_free(text);
        cJSON_Delete(w->obj);
        w->obj = NULL;
    }
    w->rows++;
}

static void w_start(writer *w)
{
    if (w->json) return;
    for (int c = 0; c < w->ncols; c++) {
        char *fixed;
        const char *name = utf8_text(w, w->names[c], &fixed);
        if (c) fputc(',', w->f);
        if (name) csv_text(w->f, name);
        free(fixed);
    }
    fputs("\r\n", w->f);
}

static void w_finish(writer *w)
{
    if (w->json) fputs(w->rows ? "\n]\n" : "[]\n", w->f);
}

/* ---- queries ---- */

static int prepare(sqlite3 *db, const char *sql, const selection *sel, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) return -1;
    for (int i = 0; i < 4; i++)
        if (sel->filter[i]) sqlite3_bind_text(*st, i + 1, sel->filter[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(*st, 5, sel->limit);
    return 0;
}

/* The sorted, distinct keys of table ("params" or "metrics") over the selected
** runs, each prefixed ("param." or "metric."). -1 on error, with a message. */
static int union_keys(sqlite3 *db, int metrics, const selection *sel, char ***keys, int *n, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int rc, cap = 0;
    const char *sql = metrics ? "SELECT DISTINCT key FROM metrics WHERE run_id IN (" SELECTED_RUNS ") ORDER BY key"
                              : "SELECT DISTINCT key FROM params WHERE run_id IN (" SELECTED_RUNS ") ORDER BY key";
    *keys = NULL;
    *n = 0;
    if (prepare(db, sql, sel, &st)) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        char *name;
        if (*n == cap) {
            void *p = realloc(*keys, (size_t)(cap ? 2 * cap : 32) * sizeof **keys);
            if (!p) break;
            *keys = p;
            cap = cap ? 2 * cap : 32;
        }
        if (!k || !(name = malloc(strlen(k) + 8))) break;
        sprintf(name, "%s%s", metrics ? "metric." : "param.", k);
        (*keys)[(*n)++] = name;
    }
    if (rc != SQLITE_DONE) snprintf(err, errlen, "%s", rc == SQLITE_ROW ? "out of memory" : sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* bsearch's comparison: a bare key against a prefixed name ("param.lr").
** Same order as SQLite's ORDER BY key (bytewise), the prefix being common. */
static int cmp_key(const void *key, const void *name)
{
    return strcmp(*(const char *const *)key, strchr(*(char *const *)name, '.') + 1);
}

/* Keep the values of run id's params or metrics in the slots matching
** keys[0..n). -1 on error (*oom set when out of memory). */
static int fetch_kv(sqlite3_stmt *st, sqlite3_int64 id, char **keys, int n, sqlite3_value **slot, int *oom)
{
    int rc;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        char **hit = k ? bsearch(&k, keys, (size_t)n, sizeof *keys, cmp_key) : NULL;
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

/* A param's text as a number, when its key holds numbers and the text is
** one: 1 with *x, else 0 (a word, or text a damaged row made not a number). */
static int param_number(const char *key, const char *text, double *x)
{
    char *end;
    if (!key || !text || !*text || !sb_spec_key_is_number(key)) return 0;
    *x = strtod(text, &end);
    return !*end && isfinite(*x);
}

/* The value of a param or metric kept by fetch_kv: numbers as numbers (a
** param by its key's type, key without the "param." prefix), text as text. */
static void w_value(writer *w, const char *key, sqlite3_value *v)
{
    double x;
    if (!v || sqlite3_value_type(v) == SQLITE_NULL) w_null(w);
    else if (sqlite3_value_type(v) == SQLITE_INTEGER || sqlite3_value_type(v) == SQLITE_FLOAT)
        w_real(w, sqlite3_value_double(v));
    else if (param_number(key, (const char *)sqlite3_value_text(v), &x)) w_real(w, x);
    else w_text(w, (const char *)sqlite3_value_text(v));
}

static int export_runs(sqlite3 *db, const selection *sel, writer *w, char *err, size_t errlen)
{
    char **pkeys = NULL, **mkeys = NULL, **names = NULL;
    sqlite3_value **slot = NULL;
    sqlite3_stmt *runs = NULL, *pst = NULL, *mst = NULL;
    int np = 0, nm = 0, nr = 0, rc = SQLITE_DONE, status = -1;

    if (union_keys(db, 0, sel, &pkeys, &np, err, errlen) || union_keys(db, 1, sel, &mkeys, &nm, err, errlen))
        goto done;
    if (prepare(db, "SELECT r.* FROM runs r WHERE r.id IN (" SELECTED_RUNS ") ORDER BY r.id", sel, &runs) ||
        sqlite3_prepare_v2(db, "SELECT key, value FROM params WHERE run_id = ?1", -1, &pst, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT key, value FROM metrics WHERE run_id = ?1", -1, &mst, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        goto done;
    }
    nr = sqlite3_column_count(runs);
    /* Copies: a column name lives only until the statement is reprepared. */
    names = calloc((size_t)nr + 1, sizeof *names);
    slot = calloc((size_t)(np + nm) + 1, sizeof *slot);
    w->names = malloc((size_t)(nr + np + nm) * sizeof *w->names);
    for (int c = 0; names && c < nr; c++) names[c] = strdup(sqlite3_column_name(runs, c));
    for (int c = 0; names && c < nr; c++) w->oom |= !names[c];
    if (!names || !slot || !w->names || w->oom) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int c = 0; c < nr; c++) w->names[c] = names[c];
    for (int k = 0; k < np; k++) w->names[nr + k] = pkeys[k];
    for (int k = 0; k < nm; k++) w->names[nr + np + k] = mkeys[k];
    w->ncols = nr + np + nm;
    w_start(w);
    while ((rc = sqlite3_step(runs)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(runs, 0);
        if ((np && fetch_kv(pst, id, pkeys, np, slot, &w->oom)) || (nm && fetch_kv(mst, id, mkeys, nm, slot + np, &w->oom))) {
            snprintf(err, errlen, "%s", w->oom ? "out of memory" : sqlite3_errmsg(db));
            goto done;
        }
        w_begin_row(w);
        for (int c = 0; c < nr; c++) w_column(w, runs, c);
        for (int k = 0; k < np + nm; k++) {
            w_value(w, k < np ? pkeys[k] + strlen("param.") : NULL, slot[k]);
            sqlite3_value_free(slot[k]);
            slot[k] = NULL;
        }
        w_end_row(w);
        if (w->oom) break;
    }
    if (w->oom) snprintf(err, errlen, "out of memory");
    else if (rc != SQLITE_DONE) snprintf(err, errlen, "%s", sqlite3_errmsg(db));
    else {
        w_finish(w);
        status = 0;
    }
done:
    if (slot)
        for (int k = 0; k < np + nm; k++) sqlite3_value_free(slot[k]);
    for (int k = 0; k < np; k++) free(pkeys[k]);
    for (int k = 0; k < nm; k++) free(mkeys[k]);
    for (int c = 0; names && c < nr; c++) free(names[c]);
    free(pkeys);
    free(mkeys);
    free(names);
    free((void *)w->names);
    w->names = NULL;
    free(slot);
    sqlite3_finalize(runs);
    sqlite3_finalize(pst);
    sqlite3_finalize(mst);
    return status;
}

/* Long form: one row per run and metric, then per run and param, each with the
** run's identity; value a number (metrics, numeric params), text a word. */
static int export_long(sqlite3 *db, const selection *sel, writer *w, char *err, size_t errlen)
{
    static const char *names[] = { "run_id", "sweep", "task", "sharing", "seed", "status", "kind", "key", "value", "text" };
    enum { N = sizeof names / sizeof names[0] };
    sqlite3_stmt *st;
    int rc;
    if (prepare(db,
                "SELECT * FROM ("
                " SELECT r.id, r.sweep, r.task, r.sharing, r.seed, r.status, 'metric' AS kind, m.key, m.value, 0 AS ord"
                " FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.id IN (" SELECTED_RUNS ")"
                " UNION ALL"
                " SELECT r.id, r.sweep, r.task, r.sharing, r.seed, r.status, 'param', p.key, p.value, 1"
                " FROM params p JOIN runs r ON r.id = p.run_id WHERE r.id IN (" SELECTED_RUNS "))"
                " ORDER BY 1, ord, 8",
                sel, &st)) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        return -1;
    }
    w->names = names;
    w->ncols = N;
    w_start(w);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && !w->oom) {
        w_begin_row(w);
        for (int c = 0; c < 8; c++) w_column(w, st, c);
        const char *key = (const char *)sqlite3_column_text(st, 7), *text = (const char *)sqlite3_column_text(st, 8);
        int type = sqlite3_column_type(st, 8), metric = sqlite3_column_int(st, 9) == 0;
        double x;
        if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) w_real(w, sqlite3_column_double(st, 8)), w_null(w);
        else if (!metric && param_number(key, text, &x)) w_real(w, x), w_null(w);
        else if (type == SQLITE_NULL) w_null(w), w_null(w);
        else w_null(w), w_text(w, text);
        w_end_row(w);
    }
    if (w->oom || rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s", w->oom ? "out of memory" : sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    w_finish(w);
    return 0;
}

static int export_series(sqlite3 *db, const selection *sel, writer *w, char *err, size_t errlen)
{
    /* each point with its run's identity, so that no use needs a join */
    static const char *names[] = { "run_id", "sweep", "task", "sharing", "seed", "metric", "step", "layer", "head", "value" };
    enum { N = sizeof names / sizeof names[0] };
    sqlite3_stmt *st;
    int rc;
    if (prepare(db,
                "SELECT s.run_id, r.sweep, r.task, r.sharing, r.seed, s.metric, s.step, s.layer, s.head, s.value"
                " FROM series s JOIN runs r ON r.id = s.run_id WHERE s.run_id IN (" SELECTED_RUNS ")"
                " ORDER BY s.run_id, s.metric, s.step, s.layer, s.head",
                sel, &st)) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        return -1;
    }
    w->names = names;
    w->ncols = N;
    w_start(w);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && !w->oom) {
        w_begin_row(w);
        for (int c = 0; c < N; c++) w_column(w, st, c);
        w_end_row(w);
    }
    if (w->oom || rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s", w->oom ? "out of memory" : sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    w_finish(w);
    return 0;
}

/* ---- the command ---- */

int sb_cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' },     { "format", required_argument, NULL, 'f' },
        { "series", no_argument, NULL, 'r' },       { "output", required_argument, NULL, 'o' },
        { "long", no_argument, NULL, 'L' },
        { "task", required_argument, NULL, 't' },   { "sharing", required_argument, NULL, 's' },
        { "status", required_argument, NULL, 'S' }, { "sweep", required_argument, NULL, 'w' },
        { "limit", required_argument, NULL, 'n' },  { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *db = SB_DEFAULT_DB, *out = NULL;
    selection sel = { { NULL, NULL, NULL, NULL }, -1 };
    int json = 0, series = 0, tidy = 0, opt;
    char *end, err[1024];
    sb_cli_opts co;
    sb_cli_opts_init(&co, "export", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("ho:"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return SB_EXIT_USAGE;
        switch (opt) {
        case 'd': db = optarg; break;
        case 'f':
            if (!strcmp(optarg, "csv")) json = 0;
            else if (!strcmp(optarg, "json")) json = 1;
            else return sb_usage_error("export: --format '%s': expected csv or json", optarg);
            break;
        case 'r': series = 1; break;
        case 'L': tidy = 1; break;
        case 'o': out = optarg; break;
        case 't': sel.filter[0] = optarg; break;
        case 's': sel.filter[1] = optarg; break;
        case 'S':
            if (strcmp(optarg, "finished") && strcmp(optarg, "failed") && strcmp(optarg, "diverged"))
                return sb_usage_error("export: --status '%s': expected finished, failed or diverged", optarg);
            sel.filter[2] = optarg;
            break;
        case 'w': sel.filter[3] = optarg; break;
        case 'n':
            sel.limit = strtol(optarg, &end, 10);
            if (*end || end == optarg || sel.limit < 1 || sel.limit > 1000000000L)
                return sb_usage_error("export: --limit '%s': expected a whole number from 1 to 1000000000", optarg);
            break;
        case 'h': help(stdout); return SB_EXIT_OK;
        }
    }
    if (optind < argc) return sb_usage_error("export: unexpected argument '%s' (see sharebench export --help)", argv[optind]);
    if (out && !strcmp(out, "-")) out = NULL;
    if (series && tidy) return sb_usage_error("export: --long and --series together: give one (series points are long already)");

    /* Reading never creates it (sb_store_open read-only); say where runs come from. */
    if (access(db, F_OK) != 0 && errno == ENOENT)
        return sb_usage_error("export: %s: no such file (sharebench run and sweep record runs there; --db FILE reads another)",
                              db);
    sb_store *s = sb_store_open(db, 1, err, sizeof err);
    if (!s) return sb_usage_error("export: %s", err);
    sqlite3 *sq = sb_store_db(s);
    /* One read transaction: the keys and the rows come from the same snapshot
    ** even while a sweep is writing. */
    if (sqlite3_exec(sq, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        sb_usage_error("export: %s: %s", db, sqlite3_errmsg(sq));
        sb_store_close(s);
        return SB_EXIT_USAGE;
    }
    /* -o FILE: whole or not at all, and never over a device (atomicfile.h) */
    FILE *f = stdout;
    sb_atomic a;
    if (out) {
        if (sb_atomic_open(&a, out, err, sizeof err)) {
            sb_usage_error("export: %s", err);
            sb_store_close(s);
            return SB_EXIT_USAGE;
        }
        f = a.f;
    }
    writer w = { f, json, 0, 0, NULL, 0, NULL, 0, 0 };
    int rc = series ? export_series(sq, &sel, &w, err, sizeof err)
             : tidy ? export_long(sq, &sel, &w, err, sizeof err)
                    : export_runs(sq, &sel, &w, err, sizeof err);
    sqlite3_exec(sq, "COMMIT", NULL, NULL, NULL);
    sb_store_close(s);
    if (rc) {
        if (out) sb_atomic_abort(&a);
        return sb_usage_error("export: %s: %s", db, err);
    }
    if (out) {
        if (sb_atomic_commit(&a, err, sizeof err)) return sb_usage_error("export: %s", err);
    } else if (fflush(stdout) || ferror(stdout))
        return sb_usage_error("export: cannot write to standard output: %s", strerror(errno));
    if (w.repaired)
        fprintf(stderr, "sharebench: export: warning: %ld text%s in %s %s not UTF-8: written with U+FFFD in place of the bad "
                "bytes (CSV and JSON here are UTF-8)\n", w.repaired, w.repaired == 1 ? "" : "s", db, w.repaired == 1 ? "is" : "are");
    if (!w.rows) fprintf(stderr, "sharebench: export: no %s in %s%s\n", series ? "series points" : "runs", db,
                         sel.filter[0] || sel.filter[1] || sel.filter[2] || sel.filter[3] ? " match" : "");
    return SB_EXIT_OK;
}
