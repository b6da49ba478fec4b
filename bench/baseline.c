/*
** baseline.c: baseline files (format in baseline.h): writing one from a set
** of runs, loading one into an in-memory store, and `sharebench baseline`.
** CSV is read and quoted by libcsv (Debian's libcsv-dev).
*/
#include "baseline.h"
#include "atomicfile.h"
#include "cli.h"
#include <csv.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_DB "results/sharebench.db"
#define FORMAT "sharebench-baseline 1"

/* ---- writing ---- */

/* A field, quoted (by libcsv) only when it must be: a comma, quote, line
** break, or a blank at either end (libcsv trims those when unquoted). */
static void put_field(FILE *f, const char *s)
{
    size_t n = strlen(s);
    if (n && (strpbrk(s, ",\"\r\n") || s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        csv_fwrite(f, s, n);
    else
        fputs(s, f);
}

/* The shortest %g that reads back as the same double. */
static void fmt_real(char *buf, size_t len, double x)
{
    if (isnan(x)) { snprintf(buf, len, "nan"); return; }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) return;
    }
}

static void put_row(FILE *f, int run, const char *kind, const char *key, const char *step, const char *layer,
                    const char *head, const char *value)
{
    fprintf(f, "%d,%s,", run, kind);
    put_field(f, key);
    fprintf(f, ",%s,%s,%s,", step, layer, head);
    put_field(f, value);
    fputs("\r\n", f);
}

/* Every series point of run r named in the list, by metric, layer, head, step. */
static int put_series(FILE *f, const sb_runset *s, const sb_rs_run *r, int num, const char *list, char *err, size_t errlen)
{
    char names[1024];
    snprintf(names, sizeof names, "%s", list);
    sqlite3 *db = sb_runset_db(s);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT step, layer, head, value FROM series WHERE run_id = ?1 AND metric = ?2"
                           " ORDER BY layer, head, step",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", s->source, sqlite3_errmsg(db));
        return -1;
    }
    char *save = NULL;
    for (char *name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, r->id);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            char step[32], layer[16], head[16], value[32];
            snprintf(step, sizeof step, "%lld", (long long)sqlite3_column_int64(st, 0));
            snprintf(layer, sizeof layer, "%d", sqlite3_column_int(st, 1));
            snprintf(head, sizeof head, "%d", sqlite3_column_int(st, 2));
            if (sqlite3_column_type(st, 3) == SQLITE_NULL) snprintf(value, sizeof value, "nan");
            else snprintf(value, sizeof value, "%.6g", sqlite3_column_double(st, 3));
            put_row(f, num, "series", name, step, layer, head, value);
        }
        if (rc != SQLITE_DONE) {
            snprintf(err, errlen, "%s: %s", s->source, sqlite3_errmsg(db));
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

int sb_baseline_write(const sb_runset *s, const char *series, const char *path, char *err, size_t errlen)
{
    sb_atomic a;
    if (sb_atomic_open(&a, path, err, errlen)) return -1;
    FILE *f = a.f;
    fputs("run,kind,key,step,layer,head,value\r\n", f);
    put_row(f, 0, "meta", "format", "", "", "", FORMAT);
    /* the sweeps the runs belong to, for the gate's default selection */
    char sweeps[1024] = "";
    for (int i = 0; i < s->nruns; i++) {
        const char *w = s->runs[i].sweep;
        char pad[80];
        snprintf(pad, sizeof pad, " %s ", w);
        char spaced[1100];
        snprintf(spaced, sizeof spaced, " %s ", sweeps);
        if (*w && !strstr(spaced, pad) && strlen(sweeps) + strlen(w) + 2 < sizeof sweeps)
            snprintf(sweeps + strlen(sweeps), sizeof sweeps - strlen(sweeps), "%s%s", sweeps[0] ? " " : "", w);
    }
    put_row(f, 0, "meta", "sweep", "", "", "", sweeps);
    put_row(f, 0, "meta", "series", "", "", "", series);
    int num = 0;
    for (int g = 0; g < s->ngroups; g++) {
        const sb_rs_group *G = &s->groups[g];
        for (int k = 0; k < G->nrun; k++) {
            const sb_rs_run *r = &s->runs[G->run[k]];
            char buf[64];
            num++;
            /* the runs table's columns, as store.h names them (not id) */
            const struct { const char *name, *value; } cols[] = {
                { "cell", r->cell },       { "config_hash", r->config_hash }, { "sweep", r->sweep }, { "task", r->task },       { "sharing", r->sharing },
                { "status", r->status },   { "error", r->error }, { "started", r->started }, { "ended", r->ended },
                { "code_version", r->code_version }, { "host", r->host }, { "cpu", r->cpu },  { "blas", r->blas },
            };
            for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
                if (*cols[c].value) put_row(f, num, "run", cols[c].name, "", "", "", cols[c].value);
            snprintf(buf, sizeof buf, "%ld", r->seed);
            put_row(f, num, "run", "seed", "", "", "", buf);
            if (r->diverged_step >= 0) {
                snprintf(buf, sizeof buf, "%ld", r->diverged_step);
                put_row(f, num, "run", "diverged_step", "", "", "", buf);
            }
            if (isfinite(r->wall_seconds)) {
                fmt_real(buf, sizeof buf, r->wall_seconds);
                put_row(f, num, "run", "wall_seconds", "", "", "", buf);
            }
            snprintf(buf, sizeof buf, "%d", r->cores);
            put_row(f, num, "run", "cores", "", "", "", buf);
            snprintf(buf, sizeof buf, "%d", r->threads);
            put_row(f, num, "run", "threads", "", "", "", buf);
            for (int i = 0; i < r->nparams; i++) put_row(f, num, "param", r->pkey[i], "", "", "", r->pval[i]);
            for (int i = 0; i < r->nmetrics; i++) {
                fmt_real(buf, sizeof buf, r->mval[i]);
                put_row(f, num, "metric", r->mkey[i], "", "", "", buf);
            }
            if (*series && put_series(f, s, r, num, series, err, errlen)) {
                sb_atomic_abort(&a);
                return -1;
            }
        }
    }
    return sb_atomic_commit(&a, err, errlen);
}

/* ---- loading ---- */

enum { C_RUN, C_KIND, C_KEY, C_STEP, C_LAYER, C_HEAD, C_VALUE, NCOLS };
static const char *const col_names[NCOLS] = { "run", "kind", "key", "step", "layer", "head", "value" };

typedef struct {
    const char *path;
    char *field[NCOLS];
    int nfield;
    long row;               /* records read, the header being 1 */
    sb_run **runs;          /* by number - 1 */
    long nruns;
    int failed, format_seen, oom;
    char *err;
    size_t errlen;
} loader;

static void fail_at(loader *L, const char *fmt, const char *a, const char *b)
{
    if (L->failed) return;
    L->failed = 1;
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a, b);
    snprintf(L->err, L->errlen, "%s: row %ld: %s", L->path, L->row, msg);
}

static void on_field(void *s, size_t len, void *data)
{
    loader *L = data;
    if (L->nfield < NCOLS) {
        char *c = malloc(len + 1);
        if (!c) { L->oom = 1; return; }
        memcpy(c, s ? s : "", len);
        c[len] = 0;
        L->field[L->nfield] = c;
    }
    L->nfield++;
}

static int parse_long(const char *s, long *v)
{
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    return !*s || *end || errno;
}

static void on_row(int term, void *data)
{
    loader *L = data;
    (void)term;
    L->row++;
    char **f = L->field;
    if (L->failed || L->oom) goto done;
    if (L->nfield != NCOLS) {
        char n[32];
        snprintf(n, sizeof n, "%d", L->nfield);
        fail_at(L, "%s fields, expected 7 (run,kind,key,step,layer,head,value)%s", n,
                L->row == 1 ? ": not a sharebench baseline" : "");
        goto done;
    }
    if (L->row == 1) {
        for (int c = 0; c < NCOLS; c++)
            if (strcmp(f[c], col_names[c])) {
                fail_at(L, "header '%s' where '%s' was expected: not a sharebench baseline", f[c], col_names[c]);
                break;
            }
        goto done;
    }
    long run;
    if (parse_long(f[C_RUN], &run) || run < 0 || run > 10000000) {
        fail_at(L, "run '%s': expected a run number from 0", f[C_RUN], "");
        goto done;
    }
    if (!strcmp(f[C_KIND], "meta")) {
        if (!strcmp(f[C_KEY], "format")) {
            if (strcmp(f[C_VALUE], FORMAT)) fail_at(L, "format '%s': this sharebench reads '%s'", f[C_VALUE], FORMAT);
            L->format_seen = 1;
        }
        goto done;
    }
    if (!L->format_seen) {
        fail_at(L, "no format row before the first run: not a sharebench baseline%s%s", "", "");
        goto done;
    }
    if (run < 1) {
        fail_at(L, "run 0 holds only meta rows, not '%s'%s", f[C_KIND], "");
        goto done;
    }
    if (run > L->nruns) {
        sb_run **p = realloc(L->runs, sizeof *p * (size_t)run);
        if (!p) { L->oom = 1; goto done; }
        for (long i = L->nruns; i < run; i++) p[i] = NULL;
        L->runs = p;
        L->nruns = run;
    }
    if (!L->runs[run - 1] && !(L->runs[run - 1] = sb_run_new())) { L->oom = 1; goto done; }
    sb_run *r = L->runs[run - 1];
    if (!strcmp(f[C_KIND], "run")) {
        if (sb_run_set(r, f[C_KEY], f[C_VALUE])) fail_at(L, "run column '%s' = '%s': unknown column or bad value", f[C_KEY], f[C_VALUE]);
    } else if (!strcmp(f[C_KIND], "param")) {
        if (sb_run_param(r, f[C_KEY], f[C_VALUE])) L->oom = 1;
    } else if (!strcmp(f[C_KIND], "metric") || !strcmp(f[C_KIND], "series")) {
        char *end;
        double v = strtod(f[C_VALUE], &end);
        if (!*f[C_VALUE] || *end) {
            fail_at(L, "%s: value '%s' is not a number", f[C_KEY], f[C_VALUE]);
            goto done;
        }
        if (!*f[C_KEY]) {
            fail_at(L, "%s row without a key%s", f[C_KIND], "");
            goto done;
        }
        if (f[C_KIND][0] == 'm') {
            if (sb_run_metric(r, f[C_KEY], v)) L->oom = 1;
        } else {
            long step, layer, head;
            if (parse_long(f[C_STEP], &step) || parse_long(f[C_LAYER], &layer) || parse_long(f[C_HEAD], &head) ||
                layer < -1 || head < -1 || layer > 1000000 || head > 1000000) {
                fail_at(L, "series %s: step, layer and head must be whole numbers (layer, head -1 when not applicable)%s",
                        f[C_KEY], "");
                goto done;
            }
            if (sb_run_series(r, f[C_KEY], step, (int)layer, (int)head, v)) L->oom = 1;
        }
    } else {
        fail_at(L, "kind '%s': expected meta, run, param, metric or series%s", f[C_KIND], "");
    }
done:
    for (int c = 0; c < NCOLS && c < L->nfield; c++) free(f[c]);
    memset(L->field, 0, sizeof L->field);
    L->nfield = 0;
}

sb_store *sb_baseline_load(const char *path, char *err, size_t errlen)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct csv_parser p;
    loader L = { .path = path, .err = err, .errlen = errlen };
    sb_store *st = NULL;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) {
        fclose(in);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    char buf[65536];
    size_t n;
    while (!L.failed && !L.oom && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (csv_parse(&p, buf, n, on_field, on_row, &L) != n) {
            if (!L.failed) {
                L.row++;
                fail_at(&L, "malformed CSV: %s%s", csv_strerror(csv_error(&p)), "");
            }
            break;
        }
    int read_error = ferror(in);
    fclose(in);
    if (!L.failed && !L.oom && csv_fini(&p, on_field, on_row, &L)) fail_at(&L, "malformed CSV at the end: %s%s", csv_strerror(csv_error(&p)), "");
    csv_free(&p);
    for (int c = 0; c < NCOLS; c++) free(L.field[c]);
    if (read_error && !L.failed) {
        snprintf(err, errlen, "%s: read error", path);
        L.failed = 1;
    }
    if (L.oom && !L.failed) {
        snprintf(err, errlen, "%s: out of memory", path);
        L.failed = 1;
    }
    if (!L.failed && L.row == 0) {
        snprintf(err, errlen, "%s: empty file, not a sharebench baseline", path);
        L.failed = 1;
    }
    if (!L.failed && !L.format_seen) {
        snprintf(err, errlen, "%s: no format row: not a sharebench baseline", path);
        L.failed = 1;
    }
    if (!L.failed && !(st = sb_store_open(":memory:", 0, err, errlen))) L.failed = 1;
    for (long i = 0; i < L.nruns && !L.failed; i++) {
        char e2[512];
        if (!L.runs[i]) continue; /* numbers may skip */
        if (sb_store_commit(st, L.runs[i], e2, sizeof e2) < 0) {
            snprintf(err, errlen, "%s: run %ld: %s", path, i + 1, e2);
            L.failed = 1;
        }
    }
    for (long i = 0; i < L.nruns; i++) sb_run_free(L.runs[i]);
    free(L.runs);
    if (L.failed) {
        sb_store_close(st);
        return NULL;
    }
    return st;
}

/* ---- the command ---- */

static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench baseline [--db FILE] [--sweep NAME] [--task T] [--series LIST] [-o FILE]\n\n"
            "Write the runs of a database as a baseline for `sharebench gate`: a CSV file, one\n"
            "value per row (each run's columns, configuration keys, scalar metrics and the\n"
            "series the gate's speed test needs), meant to be committed under results/baseline/\n"
            "so that a change to it shows in review. Of a seed run more than once in a\n"
            "configuration, the latest run is written.\n\n"
            "  --db FILE        the results database (default " DEFAULT_DB ")\n"
            "  --sweep NAME     only runs of sweep NAME (needed when the database holds several sweeps)\n"
            "  --task T         only runs of task T\n"
            "  --series LIST    comma-separated series to keep (default " SB_BASELINE_SERIES "; '' for none)\n"
            "  -o, --output F   the file to write (default results/baseline/SWEEP.csv), replaced whole\n\n"
            "example: sharebench baseline --db results/sharebench.db --sweep smoke\n"
            "exit status: 0 written, 2 bad input (nothing written)\n");
}

int sb_cmd_baseline(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' },     { "sweep", required_argument, NULL, 'w' },
        { "task", required_argument, NULL, 't' },   { "series", required_argument, NULL, 's' },
        { "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *db = DEFAULT_DB, *out = NULL, *series = SB_BASELINE_SERIES;
    sb_rs_filter flt = { NULL, NULL, NULL };
    char err[1024], path[4096];
    int opt;
    sb_cli_opts co;
    sb_cli_opts_init(&co, "baseline", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("ho:"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return SB_EXIT_USAGE;
        switch (opt) {
        case 'd': db = optarg; break;
        case 'w': flt.sweep = optarg; break;
        case 't': flt.task = optarg; break;
        case 's':
            if (strlen(optarg) > 900) return sb_usage_error("baseline: --series: list too long");
            series = optarg;
            break;
        case 'o': out = optarg; break;
        case 'h': help(stdout); return SB_EXIT_OK;
        }
    }
    if (optind < argc) return sb_usage_error("baseline: unexpected argument '%s' (see sharebench baseline --help)", argv[optind]);
    size_t dl = strlen(db);
    if (dl > 4 && !strcmp(db + dl - 4, ".csv"))
        return sb_usage_error("baseline: --db %s: expected a results database, not a baseline file", db);
    sb_runset *s = sb_runset_open(db, &flt, err, sizeof err);
    if (!s) return sb_usage_error("baseline: %s", err);
    if (!s->nruns) {
        sb_runset_free(s);
        return sb_usage_error("baseline: %s: no runs%s%s%s", db, flt.sweep || flt.task ? " match" : "",
                              flt.sweep ? " --sweep " : "", flt.sweep ? flt.sweep : "");
    }
    const char *sweep = s->runs[0].sweep;
    for (int i = 1; i < s->nruns; i++)
        if (strcmp(s->runs[i].sweep, sweep)) {
            sb_usage_error("baseline: %s holds runs of several sweeps ('%s', '%s'); choose one with --sweep NAME", db, sweep,
                           s->runs[i].sweep);
            sb_runset_free(s);
            return SB_EXIT_USAGE;
        }
    if (!out) {
        snprintf(path, sizeof path, "results/baseline/%s.csv", *sweep ? sweep : "runs");
        out = path;
        mkdir("results", 0777);
        mkdir("results/baseline", 0777);
    }
    int failed = 0, seeds_min = 1 << 30, seeds_max = 0, superseded = 0;
    for (int g = 0; g < s->ngroups; g++) {
        const sb_rs_group *G = &s->groups[g];
        if (G->nrun < seeds_min) seeds_min = G->nrun;
        if (G->nrun > seeds_max) seeds_max = G->nrun;
        superseded += G->superseded;
        for (int k = 0; k < G->nrun; k++) failed += !sb_rs_finished(&s->runs[G->run[k]]);
    }
    if (sb_baseline_write(s, series, out, err, sizeof err)) {
        sb_runset_free(s);
        return sb_usage_error("baseline: %s", err);
    }
    int counted = s->nruns - superseded;
    /* the file written is the result: its summary on standard output */
    printf("baseline: wrote %s: %d runs of %d configurations (%d", out, counted, s->ngroups, seeds_min);
    if (seeds_max != seeds_min) printf(" to %d", seeds_max);
    printf(" seeds each)%s%s from %s", *sweep ? " of sweep " : "", sweep, db);
    if (superseded) printf("; %d earlier runs of the same seeds left out", superseded);
    putchar('\n');
    if (failed) fprintf(stderr, "sharebench: baseline: warning: %d of the runs did not finish (failed or diverged); the gate treats them as failing in the baseline\n", failed);
    if (fflush(stdout)) {
        sb_runset_free(s);
        return sb_usage_error("baseline: cannot write to standard output");
    }
    sb_runset_free(s);
    return SB_EXIT_OK;
}
