/*
** list.c: `sharebench list`: one line per run recorded in the results
** database (store.h), with its main metrics, for a quick look at what a sweep
** has done. Read-only: it never creates or changes the database. `sharebench
** export` takes the same filters and writes everything.
*/
#include "cli.h"
#include "store.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <errno.h>
#include <unistd.h>
#include <math.h>

#define DEFAULT_DB "results/sharebench.db"

static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench list [--db FILE] [--task T] [--sharing S] [--status S] [--sweep NAME] [--limit N]\n\n"
            "Print one line per recorded run: id, status, sweep, task, sharing, seed, its main\n"
            "metrics (test, test_long, train_tokens_per_s, params_unique) when recorded, and\n"
            "its wall-clock seconds, each column in one number format. Filters match exactly\n"
            "and combine. For every metric and key, typed, use sharebench export.\n\n"
            "  --db FILE      the results database (default " DEFAULT_DB ")\n"
            "  --task T       only runs of task T\n"
            "  --sharing S    only runs with sharing S (as recorded, e.g. cycle:3)\n"
            "  --status S     only runs that ended S: finished, failed or diverged\n"
            "  --sweep NAME   only runs of sweep NAME\n"
            "  --limit N      at most N runs, the first by id\n\n"
            "example: sharebench list --task copy --status finished\n");
}

/* The metrics shown, in this order, when at least one listed run has them. */
static const char *const shown_metrics[] = { "test", "test_long", "train_tokens_per_s", "params_unique" };
enum { NMETRICS = 4, NFIXED = 6, NCOLS = NFIXED + NMETRICS + 1 };

static const char list_sql[] =
    "SELECT r.id, r.status, r.sweep, r.task, r.sharing, r.seed,"
    " (SELECT value FROM metrics WHERE run_id = r.id AND key = ?6),"
    " (SELECT value FROM metrics WHERE run_id = r.id AND key = ?7),"
    " (SELECT value FROM metrics WHERE run_id = r.id AND key = ?8),"
    " (SELECT value FROM metrics WHERE run_id = r.id AND key = ?9),"
    " r.wall_seconds"
    " FROM runs r"
    " WHERE (?1 IS NULL OR r.task = ?1) AND (?2 IS NULL OR r.sharing = ?2)"
    " AND (?3 IS NULL OR r.status = ?3) AND (?4 IS NULL OR r.sweep = ?4)"
    " ORDER BY r.id LIMIT ?5";

/* A copy of v for one line of a table: control characters (a newline in an
** error message) shown as C escapes. NULL when out of memory. */
static char *printable(const char *v)
{
    char *out = malloc(4 * strlen(v) + 1), *o = out;
    if (!out) return NULL;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '\n') o += sprintf(o, "\\n");
        else if (*p == '\t') o += sprintf(o, "\\t");
        else if (*p < 0x20 || *p == 0x7f) o += sprintf(o, "\\x%02x", *p);
        else *o++ = (char)*p;
    }
    *o = 0;
    return out;
}

/* Columns a string takes on a terminal: UTF-8 continuation bytes take none
** (wide characters are rare in run names; they would misalign a little). */
static int columns_of(const char *v)
{
    int n = 0;
    for (; *v; v++) n += ((unsigned char)*v & 0xc0) != 0x80;
    return n;
}

/* The text of one cell, allocated; NULL when out of memory. */
static char *format_cell(sqlite3_stmt *st, int col)
{
    double x = sqlite3_column_double(st, col);
    char num[64] = "";
    const char *v = num;
    if (sqlite3_column_type(st, col) == SQLITE_NULL) v = "";
    else if (col < NFIXED) v = (const char *)sqlite3_column_text(st, col);
    else if (col == NFIXED + 2) snprintf(num, sizeof num, "%.0f", x);     /* tokens per second */
    else if (col == NFIXED + 3) sb_fmt_count((long)x, num, sizeof num);   /* parameters */
    else if (col == NCOLS - 1) snprintf(num, sizeof num, "%.1f", x);      /* wall seconds */
    else snprintf(num, sizeof num, "%.17g", x);                            /* test metrics: see metric_column */
    return printable(v ? v : "");
}

/* One format for a whole column of test metrics, so their points line up:
** four decimals, or (a value too small or too large for them) three
** significant digits in exponent form for every row. 0, or -1 when out of memory. */
static int metric_column(char **cells, size_t n, int col)
{
    int sci = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = cells[i * NCOLS + col];
        double x = fabs(strtod(v, NULL));
        if (*v && x != 0 && (x < 1e-3 || x >= 1e6)) sci = 1;
    }
    for (size_t i = 0; i < n; i++) {
        char **v = &cells[i * NCOLS + col], num[64], *copy;
        if (!**v) continue;
        snprintf(num, sizeof num, sci ? "%.2e" : "%.4f", strtod(*v, NULL));
        if (!(copy = strdup(num))) return -1;
        free(*v);
        *v = copy;
    }
    return 0;
}

static void free_cells(char **cells, size_t n)
{
    for (size_t i = 0; i < n; i++) free(cells[i]);
    free(cells);
}

int sb_cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' },     { "task", required_argument, NULL, 't' },
        { "sharing", required_argument, NULL, 's' }, { "status", required_argument, NULL, 'S' },
        { "sweep", required_argument, NULL, 'w' },   { "limit", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 }
    };
    const char *db = DEFAULT_DB, *filter[4] = { NULL, NULL, NULL, NULL }; /* task, sharing, status, sweep */
    long limit = -1;
    char *end, err[1024];
    int opt;
    sb_cli_opts co;
    sb_cli_opts_init(&co, "list", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return SB_EXIT_USAGE;
        switch (opt) {
        case 'd': db = optarg; break;
        case 't': filter[0] = optarg; break;
        case 's': filter[1] = optarg; break;
        case 'S':
            if (strcmp(optarg, "finished") && strcmp(optarg, "failed") && strcmp(optarg, "diverged"))
                return sb_usage_error("list: --status '%s': expected finished, failed or diverged", optarg);
            filter[2] = optarg;
            break;
        case 'w': filter[3] = optarg; break;
        case 'n':
            limit = strtol(optarg, &end, 10);
            if (*end || end == optarg || limit < 1 || limit > 1000000000L)
                return sb_usage_error("list: --limit '%s': expected a whole number from 1 to 1000000000", optarg);
            break;
        case 'h': help(stdout); return SB_EXIT_OK;
        }
    }
    if (optind < argc) return sb_usage_error("list: unexpected argument '%s' (see sharebench list --help)", argv[optind]);

    /* Reading never creates it (sb_store_open read-only); say where runs come from. */
    if (access(db, F_OK) != 0 && errno == ENOENT)
        return sb_usage_error("list: %s: no such file (sharebench run and sweep record runs there; --db FILE reads another)",
                              db);
    sb_store *s = sb_store_open(db, 1, err, sizeof err);
    if (!s) return sb_usage_error("list: %s", err);
    sqlite3 *sq = sb_store_db(s);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(sq, list_sql, -1, &st, NULL) != SQLITE_OK) {
        sb_usage_error("list: %s: %s", db, sqlite3_errmsg(sq));
        sb_store_close(s);
        return SB_EXIT_USAGE;
    }
    for (int i = 0; i < 4; i++)
        if (filter[i]) sqlite3_bind_text(st, i + 1, filter[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, limit);
    for (int i = 0; i < NMETRICS; i++) sqlite3_bind_text(st, 6 + i, shown_metrics[i], -1, SQLITE_STATIC);

    /* All rows first: the column widths depend on every row. */
    static const char *const header[NCOLS] = { "id", "status", "sweep", "task", "sharing", "seed", "test",
                                               "test_long", "train_tokens_per_s", "params_unique", "wall_s" };
    char **cells = NULL; /* n rows of NCOLS */
    size_t n = 0, cap = 0;
    int rc, width[NCOLS], present[NCOLS];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t c = cap ? 2 * cap : 64;
            void *p = realloc(cells, c * NCOLS * sizeof *cells);
            if (!p) {
                rc = SQLITE_NOMEM;
                break;
            }
            cells = p;
            cap = c;
        }
        for (int c = 0; c < NCOLS; c++)
            if (!(cells[n * NCOLS + c] = format_cell(st, c))) rc = SQLITE_NOMEM;
        n++;
        if (rc == SQLITE_NOMEM) break;
    }
    if (rc != SQLITE_DONE) {
        sb_usage_error("list: %s: %s", db, rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(sq));
        free_cells(cells, n * NCOLS);
        sqlite3_finalize(st);
        sb_store_close(s);
        return SB_EXIT_USAGE;
    }
    sqlite3_finalize(st);
    sb_store_close(s);
    if (metric_column(cells, n, NFIXED) || metric_column(cells, n, NFIXED + 1)) {
        free_cells(cells, n * NCOLS);
        return sb_usage_error("list: out of memory");
    }

    for (int c = 0; c < NCOLS; c++) {
        width[c] = columns_of(header[c]);
        present[c] = c < NFIXED || c == NCOLS - 1;
        for (size_t i = 0; i < n; i++) {
            int w = columns_of(cells[i * NCOLS + c]);
            if (w) present[c] = 1;
            if (w > width[c]) width[c] = w;
        }
    }
    /* Numbers to the right, text to the left; no trailing blanks. */
    size_t linecap = 1;
    for (int c = 0; c < NCOLS; c++) linecap += 2 + (size_t)width[c] * 4; /* 4: bytes of a UTF-8 character */
    char *line = malloc(linecap);
    if (!line) {
        free_cells(cells, n * NCOLS);
        return sb_usage_error("list: out of memory");
    }
    for (size_t i = 0; i <= n; i++) {
        size_t len = 0;
        for (int c = 0; c < NCOLS; c++) {
            if (!present[c]) continue;
            const char *v = i ? cells[(i - 1) * NCOLS + c] : header[c];
            int pad = width[c] - columns_of(v), text = c >= 1 && c <= 4;
            const char *sep = len ? "  " : "";
            if (text) len += (size_t)snprintf(line + len, linecap - len, "%s%s%*s", sep, v, pad, "");
            else len += (size_t)snprintf(line + len, linecap - len, "%s%*s%s", sep, pad, "", v);
        }
        while (len && line[len - 1] == ' ') len--;
        line[len] = 0;
        puts(line);
    }
    free(line);
    free_cells(cells, n * NCOLS);
    if (!n) fprintf(stderr, "sharebench: list: no runs in %s%s\n", db,
                    filter[0] || filter[1] || filter[2] || filter[3] ? " match" : "");
    if (fflush(stdout) || ferror(stdout)) return sb_usage_error("list: cannot write the listing to standard output");
    return SB_EXIT_OK;
}
