/*
** metrics.c: `sharebench metrics`: the metric registry (results/metrics.h)
** printed: every metric and series key the runs store, with its unit, which
** direction is better, its kind and what it means: the data dictionary of an
** export. As text (default), CSV (RFC 4180, as export writes) or JSON.
*/
#include "commands.h"
#include "cli/cli.h"
#include "results/metrics.h"
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void help(FILE *f)
{
    fprintf(f,
            "usage: sharebench metrics [--format text|csv|json]\n\n"
            "Print every metric (one value a run: table metrics, export's metric.KEY columns) and\n"
            "every series (points of a run by step, layer and head: export --series) that sharebench\n"
            "records, with its unit, which direction is better, its kind and what it means.\n\n"
            "  --format F   text (default), csv (table,key,unit,better,kind,description) or json\n\n"
            "A key part written <word> stands for one word (grad.<block>.sqnorm: grad.attn.sqnorm),\n"
            "a last part <word...> for one or more joined by dots. Kinds: exact (deterministic counts,\n"
            "compared exactly), quality (varies with the seed), timing (noisy: compared over\n"
            "repetitions), measured (by the operating system). Better: higher, lower, task (the\n"
            "task's headline metric decides: lower for bpc), key (the metric named in the key\n"
            "decides), neither.\n\n"
            "example: sharebench metrics --format csv > metrics.csv\n");
}

typedef const sb_metric_info *(*entry_fn)(int i);
static const sb_metric_info *metric_at(int i) { return sb_metric_info_of((sb_metric_id)i); }
static const sb_metric_info *series_at(int i) { return sb_series_info_of((sb_series_id)i); }

static const struct {
    const char *table, *title;
    entry_fn at;
    int n;
} tables[] = {
    { "metric", "Metrics: one value a run (table metrics; export: the column metric.KEY)", metric_at, SB_M_COUNT },
    { "series", "Series: points of a run at (step, layer, head), -1 where not applicable (table series; export --series)",
      series_at, SB_S_COUNT },
};

static void text(void)
{
    int kw = 3, uw = 4;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (int i = 0; i < tables[t].n; i++) {
            const sb_metric_info *m = tables[t].at(i);
            if ((int)strlen(m->key) > kw) kw = (int)strlen(m->key);
            if ((int)strlen(m->unit) > uw) uw = (int)strlen(m->unit);
        }
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        printf("%s%s\n\n%-*s  %-*s  %-7s  %-8s  %s\n", t ? "\n" : "", tables[t].title, kw, "key", uw, "unit", "better", "kind",
               "meaning");
        for (int i = 0; i < tables[t].n; i++) {
            const sb_metric_info *m = tables[t].at(i);
            printf("%-*s  %-*s  %-7s  %-8s  %s\n", kw, m->key, uw, m->unit, sb_better_name(m->better), sb_kind_name(m->kind), m->what);
        }
    }
}

/* An RFC 4180 field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(const char *s, const char *end)
{
    if (!strpbrk(s, ",\"\r\n")) fputs(s, stdout);
    else {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"') putchar('"');
            putchar(*s);
        }
        putchar('"');
    }
    fputs(end, stdout);
}

static void csv(void)
{
    fputs("table,key,unit,better,kind,description\r\n", stdout);
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (int i = 0; i < tables[t].n; i++) {
            const sb_metric_info *m = tables[t].at(i);
            csv_field(tables[t].table, ",");
            csv_field(m->key, ",");
            csv_field(m->unit, ",");
            csv_field(sb_better_name(m->better), ",");
            csv_field(sb_kind_name(m->kind), ",");
            csv_field(m->what, "\r\n");
        }
}

static int json(void)
{
    cJSON *all = cJSON_CreateArray();
    for (size_t t = 0; all && t < sizeof tables / sizeof tables[0]; t++)
        for (int i = 0; i < tables[t].n; i++) {
            const sb_metric_info *m = tables[t].at(i);
            cJSON *o = cJSON_CreateObject();
            if (!o) continue;
            cJSON_AddStringToObject(o, "table", tables[t].table);
            cJSON_AddStringToObject(o, "key", m->key);
            cJSON_AddStringToObject(o, "unit", m->unit);
            cJSON_AddStringToObject(o, "better", sb_better_name(m->better));
            cJSON_AddStringToObject(o, "kind", sb_kind_name(m->kind));
            cJSON_AddStringToObject(o, "description", m->what);
            cJSON_AddItemToArray(all, o);
        }
    char *s = all ? cJSON_Print(all) : NULL;
    cJSON_Delete(all);
    if (!s) return -1;
    puts(s);
    cJSON_free(s);
    return 0;
}

int sb_cmd_metrics(int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
    };
    const char *format = "text";
    int opt;
    sb_cli_opts co;
    sb_cli_opts_init(&co, "metrics", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return SB_EXIT_USAGE;
        switch (opt) {
        case 'f':
            if (strcmp(optarg, "text") && strcmp(optarg, "csv") && strcmp(optarg, "json"))
                return sb_usage_error("metrics: --format '%s': expected text, csv or json", optarg);
            format = optarg;
            break;
        case 'h': help(stdout); return SB_EXIT_OK;
        }
    }
    if (optind < argc) return sb_usage_error("metrics: unexpected argument '%s' (see sharebench metrics --help)", argv[optind]);
    if (!strcmp(format, "csv")) csv();
    else if (!strcmp(format, "json")) {
        if (json()) return sb_usage_error("metrics: out of memory");
    } else text();
    if (fflush(stdout) || ferror(stdout)) return sb_usage_error("metrics: cannot write to standard output");
    return SB_EXIT_OK;
}
