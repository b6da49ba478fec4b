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
#include "results/table.h"
#include "sys/atomicfile.h"
#include "sys/textfile.h"
#include "spec/spec.h"
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

/* ---- output: CSV or JSON, row by row ---- */

typedef struct {
    FILE *f;
    int json;
    int ncols, col;
    const sb_table *table; /* its column names are the JSON keys and the CSV header */
    long rows;
    cJSON *obj; /* the JSON row being built */
    int oom;
    long repaired; /* texts not UTF-8, written with U+FFFD for the bad bytes */
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
    const char *key = item && w->obj ? utf8_text(w, sb_table_column(w->table, w->col), &fixed) : NULL;
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

/* A cell of the table, as its type says. */
static void w_cell(writer *w, const sb_cell *c)
{
    switch (c->type) {
    case SB_CELL_NULL: w_null(w); break;
    case SB_CELL_INT: w_int(w, c->i); break;
    case SB_CELL_REAL: w_real(w, c->x); break;
    case SB_CELL_TEXT: w_text(w, c->text); break;
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

static void w_start(writer *w, const sb_table *t)
{
    w->table = t;
    if (w->json) return;
    for (int c = 0; c < w->ncols; c++) {
        char *fixed;
        const char *name = utf8_text(w, sb_table_column(t, c), &fixed);
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

/* The whole table: a header (CSV), the rows, the end (JSON). */
static int write_table(sb_table *t, writer *w, char *err, size_t errlen)
{
    const sb_cell *cells;
    int rc;
    w->ncols = sb_table_columns(t);
    w_start(w, t);
    while (!w->oom && (rc = sb_table_next(t, &cells, err, errlen)) == 1) {
        w_begin_row(w);
        for (int c = 0; c < w->ncols; c++) w_cell(w, &cells[c]);
        w_end_row(w);
    }
    if (w->oom) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (rc) return -1;
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
    sb_listing_filter sel = { NULL, NULL, NULL, NULL, -1 };
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
        case 't': sel.task = optarg; break;
        case 's': sel.sharing = optarg; break;
        case 'S':
            if (strcmp(optarg, "finished") && strcmp(optarg, "failed") && strcmp(optarg, "diverged"))
                return sb_usage_error("export: --status '%s': expected finished, failed or diverged", optarg);
            sel.status = optarg;
            break;
        case 'w': sel.sweep = optarg; break;
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
    sb_table *t = sb_table_open(s, series ? SB_TABLE_SERIES : tidy ? SB_TABLE_LONG : SB_TABLE_WIDE, &sel, err, sizeof err);
    if (!t) {
        sb_store_close(s);
        return sb_usage_error("export: %s: %s", db, err);
    }
    /* -o FILE: whole or not at all, and never over a device (atomicfile.h) */
    FILE *f = stdout;
    sb_atomic a;
    if (out) {
        if (sb_atomic_open(&a, out, err, sizeof err)) {
            sb_table_close(t);
            sb_store_close(s);
            return sb_usage_error("export: %s", err);
        }
        f = a.f;
    }
    writer w = { f, json, 0, 0, NULL, 0, NULL, 0, 0 };
    int rc = write_table(t, &w, err, sizeof err);
    sb_table_close(t);
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
                         sel.task || sel.sharing || sel.status || sel.sweep ? " match" : "");
    return SB_EXIT_OK;
}
