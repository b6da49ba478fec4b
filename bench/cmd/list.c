/*
** list.c: `sharebench list`: one line per run recorded in the results
** database (store.h), with its main metrics, for a quick look at what a sweep
** has done. Read-only: it never creates or changes the database. `sharebench
** export` takes the same filters and writes everything.
*/
#include "commands.h"
#include "cli/cli.h"
#include "results/listing.h"
#include "sys/fmt.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <errno.h>
#include <unistd.h>


static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench list [--db FILE] [--task T] [--sharing S] [--status S] [--sweep NAME] [--limit N]\n\n"
            "Print one line per recorded run: id, status, sweep, task, sharing, seed, its main\n"
            "metrics (test, test_long, train_tokens_per_s, params_unique) when recorded, and\n"
            "its wall-clock seconds, each column in one number format. Filters match exactly\n"
            "and combine. A timing run of a sweep's speed pass (sweep --speed-pass) says\n"
            "\"(timing run)\" after its sharing: its test figures are a short loop's. For every\n"
            "metric and key, typed, use sharebench export.\n\n"
            "  --db FILE      the results database (default " SB_DEFAULT_DB ")\n"
            "  --task T       only runs of task T\n"
            "  --sharing S    only runs with sharing S (as recorded, e.g. cycle:3)\n"
            "  --status S     only runs that ended S: finished, failed or diverged\n"
            "  --sweep NAME   only runs of sweep NAME\n"
            "  --limit N      at most N runs, the first by id\n\n"
            "example: sharebench list --task copy --status finished\n");
}

/* The metrics shown, in this order, when at least one listed run has them. */
static const sb_metric_id shown_metrics[] = { SB_M_TEST, SB_M_TEST_LONG, SB_M_TRAIN_TOKENS_PER_S, SB_M_PARAMS_UNIQUE };
enum { NMETRICS = 4, NFIXED = 6, NCOLS = NFIXED + NMETRICS + 1 };

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

/* The text of a number cell, allocated; "" when not recorded; NULL when out of memory. */
static char *number_cell(int col, double x)
{
    char num[64] = "";
    if (isnan(x)) num[0] = 0;
    else if (col == NFIXED + 2) snprintf(num, sizeof num, "%.0f", x);     /* tokens per second */
    else if (col == NFIXED + 3 && isfinite(x) && fabs(x) < 1e18) sb_fmt_count((long)x, num, sizeof num);   /* parameters */
    else if (col == NCOLS - 1) snprintf(num, sizeof num, "%.1f", x);      /* wall seconds */
    else snprintf(num, sizeof num, "%.17g", x);                            /* test metrics: see metric_column */
    return printable(num);
}

/* The rows listed: n rows of NCOLS cells. */
typedef struct {
    char **cells;
    size_t n, cap;
} rows;

static int add_row(void *ctx, const sb_listing_row *r)
{
    rows *t = ctx;
    if (t->n == t->cap) {
        size_t c = t->cap ? 2 * t->cap : 64;
        void *p = realloc(t->cells, c * NCOLS * sizeof *t->cells);
        if (!p) return 1;
        t->cells = p;
        t->cap = c;
    }
    char **cell = &t->cells[t->n++ * NCOLS], id[32], seed[32], sharing[1100];
    snprintf(id, sizeof id, "%lld", r->id);
    snprintf(seed, sizeof seed, "%lld", r->seed);
    /* a timing run's test figures are those of a short loop: said beside its sharing */
    snprintf(sharing, sizeof sharing, "%.1024s%s", r->sharing ? r->sharing : "", r->timing ? " (timing run)" : "");
    const char *text[NFIXED] = { id, r->status, r->sweep, r->task, sharing, seed };
    int oom = 0;
    for (int c = 0; c < NFIXED; c++) oom |= !(cell[c] = printable(text[c] ? text[c] : ""));
    for (int c = 0; c < NMETRICS; c++) oom |= !(cell[NFIXED + c] = number_cell(NFIXED + c, r->metric[c]));
    oom |= !(cell[NCOLS - 1] = number_cell(NCOLS - 1, r->wall_seconds));
    return oom;
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
    const char *db = SB_DEFAULT_DB, *filter[4] = { NULL, NULL, NULL, NULL }; /* task, sharing, status, sweep */
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

    /* All rows first: the column widths depend on every row. */
    const char *header[NCOLS] = { "id", "status", "sweep", "task", "sharing", "seed" };
    for (int i = 0; i < NMETRICS; i++) header[NFIXED + i] = sb_metric_key(shown_metrics[i]);
    header[NCOLS - 1] = "wall_s";
    sb_listing_filter lf = { filter[0], filter[1], filter[2], filter[3], limit };
    rows t = { NULL, 0, 0 };
    int rc = sb_listing(s, &lf, shown_metrics, NMETRICS, add_row, &t, err, sizeof err);
    sb_store_close(s);
    char **cells = t.cells;
    size_t n = t.n;
    int width[NCOLS], present[NCOLS];
    if (rc) {
        sb_usage_error("list: %s: %s", db, rc > 0 ? "out of memory" : err);
        free_cells(cells, n * NCOLS);
        return SB_EXIT_USAGE;
    }
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
