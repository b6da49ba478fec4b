/*
** keys.c: `sharebench keys`: every key a run or a sweep takes, with its type,
** the values it takes, its default and a sentence, from the tables that parse
** them (bench/spec/spec.c for the run keys, engine/core/config.c for the model keys),
** so the list cannot drift from what is accepted.
*/
#include "commands.h"
#include "cli/cli.h"
#include "spec/spec.h"
#include "core/suggest.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void help(FILE *f)
{
    fprintf(f, "usage: sharebench keys [--names] [KEY ...]\n\n"
               "List every run key (the [run] section of sweep files, options of sharebench run) and every\n"
               "model key (the [model] section; stored in checkpoints and the database): its type, the\n"
               "values it takes, its default (the small preset's, for model keys) and what it means.\n"
               "Any key is given as KEY=VALUE on the command line of run, sweep and params.\n\n"
               "  --names   the key names alone, one a line (for scripts and shell completion)\n"
               "  KEY ...   only these keys\n\n"
               "example: sharebench keys width sharing\n");
}

typedef struct {
    sb_key_info info;
    char def[SB_PATH_LEN];
    int model;
} row;

/* Every key: the run keys, then the model keys; returns the count. */
static int all_rows(row *rows, int cap)
{
    sb_spec s;
    sb_spec_default(&s);
    int n = 0;
    for (int i = 0; n < cap && !sb_spec_key_info(i, &rows[n].info); i++, n++) {
        sb_spec_get(&s, rows[n].info.key, rows[n].def, sizeof rows[n].def);
        rows[n].model = 0;
    }
    for (int i = 0; n < cap && !sb_config_key_info(i, &rows[n].info); i++, n++) {
        sb_config_get(&s.model, rows[n].info.key, rows[n].def, sizeof rows[n].def);
        rows[n].model = 1;
    }
    return n;
}

/* Values lists longer than this go after the sentence, so the table stays narrow. */
enum { VALUES_COLUMN = 24 };

static void print_rows(const row *r, int n, const int *pick)
{
    int w[4] = { 3, 4, 6, 7 };
    for (int i = 0; i < n; i++) {
        if (!pick[i]) continue;
        int range = (int)strlen(r[i].info.range);
        int l[4] = { (int)strlen(r[i].info.key), (int)strlen(r[i].info.type), range > VALUES_COLUMN ? 6 : range, (int)strlen(r[i].def) };
        for (int k = 0; k < 4; k++) if (l[k] > w[k]) w[k] = l[k];
    }
    for (int model = 0, shown = 0; model < 2; model++) {
        int any = 0;
        for (int i = 0; i < n; i++) any |= pick[i] && r[i].model == model;
        if (!any) continue;
        printf("%s%s\n", shown++ ? "\n" : "", model ? "model keys ([model] in sweep files; kept in checkpoints):"
                                                    : "run keys ([run] in sweep files):");
        printf("  %-*s  %-*s  %-*s  %-*s  %s\n", w[0], "key", w[1], "type", w[2], "values", w[3], "default", "meaning");
        for (int i = 0; i < n; i++) {
            if (!pick[i] || r[i].model != model) continue;
            int long_list = (int)strlen(r[i].info.range) > VALUES_COLUMN;
            printf("  %-*s  %-*s  %-*s  %-*s  %s", w[0], r[i].info.key, w[1], r[i].info.type, w[2], long_list ? "below" : r[i].info.range,
                   w[3], r[i].def[0] ? r[i].def : "-", r[i].info.help);
            if (long_list) printf(" (one of: %s)", r[i].info.range);
            putchar('\n');
        }
    }
}

int sb_cmd_keys(int argc, char **argv)
{
    static const struct option opts[] = {
        { "names", no_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
    };
    int opt, names_only = 0;
    sb_cli_opts co;
    sb_cli_opts_init(&co, "keys", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return SB_EXIT_USAGE;
        if (opt == 'h') { help(stdout); return SB_EXIT_OK; }
        if (opt == 'n') names_only = 1;
    }
    static row rows[256];
    static int pick[256];
    const char *names[257];
    int n = all_rows(rows, 256);
    for (int i = 0; i < n; i++) names[i] = rows[i].info.key, pick[i] = optind == argc;
    names[n] = NULL;
    for (int a = optind; a < argc; a++) {
        int found = 0;
        for (int i = 0; i < n; i++)
            if (!strcmp(argv[a], rows[i].info.key)) pick[i] = found = 1;
        char hint[96];
        if (!found)
            return sb_usage_error("keys: unknown key '%s'%s", argv[a], sb_suggest_text(argv[a], names, hint, sizeof hint));
    }
    if (names_only) {
        for (int i = 0; i < n; i++)
            if (pick[i]) puts(rows[i].info.key);
    } else {
        print_rows(rows, n, pick);
    }
    return fflush(stdout) ? SB_EXIT_USAGE : SB_EXIT_OK;
}
