/*
** cli.c: helpers shared by the subcommands (messages, model options, formatting).
*/
#include "cli.h"
#include "core/suggest.h"
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

int sb_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sharebench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return SB_EXIT_USAGE;
}

void sb_cli_opts_init(sb_cli_opts *o, const char *cmd, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->cmd = cmd, o->argc = argc, o->argv = argv;
    optind = 1;
    opterr = 0;
}

static const char *long_name(const struct option *longopts, int val)
{
    for (const struct option *l = longopts; l && l->name; l++)
        if (l->val == val) return l->name;
    return NULL;
}

int sb_cli_opt_bad(sb_cli_opts *o, int opt, const struct option *longopts)
{
    /* the element getopt stopped at (optind has moved past it) */
    const char *at = optind > 0 && optind - 1 < o->argc ? o->argv[optind - 1] : "?";
    const char *name;
    if (opt == '?') {
        if (optopt && optopt != '?' && strncmp(at, "--", 2))
            sb_usage_error("%s: unknown option '-%c' (see sharebench %s --help)", o->cmd, optopt, o->cmd);
        else {
            /* "did you mean": among the long options, without the dashes and any =VALUE */
            const char *names[128], *guess;
            char word[64];
            int n = 0;
            for (const struct option *l = longopts; l && l->name && n < 127; l++) names[n++] = l->name;
            names[n] = NULL;
            snprintf(word, sizeof word, "%.*s", (int)strcspn(at + strspn(at, "-"), "="), at + strspn(at, "-"));
            if ((guess = sb_suggest(word, names)))
                sb_usage_error("%s: unknown option '%s' (did you mean '--%s'? see sharebench %s --help)", o->cmd, at, guess, o->cmd);
            else
                sb_usage_error("%s: unknown option '%s' (see sharebench %s --help)", o->cmd, at, o->cmd);
        }
        return 1;
    }
    if (opt == ':') {
        if ((name = long_name(longopts, optopt)) && !strncmp(at, "--", 2))
            sb_usage_error("%s: option '--%s' needs a value (see sharebench %s --help)", o->cmd, name, o->cmd);
        else
            sb_usage_error("%s: option '%s' needs a value (see sharebench %s --help)", o->cmd, at, o->cmd);
        return 1;
    }
    if (o->seen[opt & 255]++) {
        if ((name = long_name(longopts, opt)))
            sb_usage_error("%s: option '--%s' given twice", o->cmd, name);
        else
            sb_usage_error("%s: option '-%c' given twice", o->cmd, opt);
        return 1;
    }
    return 0;
}

int sb_cli_verbosity(const sb_cli_opts *o)
{
    if (o->seen['q'] && o->seen['v']) {
        sb_usage_error("%s: --quiet and --verbose together: give one", o->cmd);
        return SB_VERBOSITY_BAD;
    }
    return o->seen['q'] ? -1 : o->seen['v'] ? 1 : 0;
}

void sb_cli_default_db_dir(const char *db)
{
    if (db && !strcmp(db, "results/sharebench.db")) mkdir("results", 0777);   /* EEXIST is fine; another error shows at open */
}

int sb_cli_parse_long(const char *text, long lo, long hi, long *v)
{
    char *end;
    if (!text || !((*text >= '0' && *text <= '9') || ((*text == '-' || *text == '+') && text[1] >= '0' && text[1] <= '9')))
        return -1;
    errno = 0;
    long x = strtol(text, &end, 10);
    if (*end || errno || x < lo || x > hi) return -1;
    *v = x;
    return 0;
}

int sb_cli_assignments_once(const char *cmd, char *const *a, int n)
{
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(a[i], '=');
        if (!eq || eq == a[i]) return sb_usage_error("%s: '%s' is not an option or KEY=VALUE (see sharebench %s --help)", cmd, a[i], cmd);
        for (int j = 0; j < i; j++) {
            const char *e2 = strchr(a[j], '=');
            if (e2 - a[j] == eq - a[i] && !strncmp(a[i], a[j], (size_t)(eq - a[i])))
                return sb_usage_error("%s: key '%.*s' given twice ('%s' and '%s')", cmd, (int)(eq - a[i]), a[i], a[j], a[i]);
        }
    }
    return 0;
}

int sb_cli_assign(sb_config *c, const char *a, char *err, size_t errlen)
{
    const char *eq = strchr(a, '=');
    char key[64];
    if (!eq || eq == a || (size_t)(eq - a) >= sizeof key) {
        snprintf(err, errlen, "'%s' is not KEY=VALUE", a);
        return -1;
    }
    snprintf(key, sizeof key, "%.*s", (int)(eq - a), a);
    return sb_config_set(c, key, eq + 1, err, errlen);
}
