/*
** cli.h: what the sharebench subcommands share: exit statuses, messages,
** option parsing, and the model options every command that builds a model
** accepts. Used by the commands (bench/cmd) and the MPI command bodies.
*/
#ifndef SB_CLI_H
#define SB_CLI_H

#include "core/config.h"

/* The results database the commands read and write unless --db names another. */
#define SB_DEFAULT_DB "results/sharebench.db"

/* A number's macro as text, for help texts: "up to " SB_STR(SB_CHECK_SHOWN). */
#define SB_XSTR(x) #x
#define SB_STR(x) SB_XSTR(x)

/* Exit statuses, as well-known command-line tools use them. */
enum { SB_EXIT_OK = 0, SB_EXIT_CHECK = 1, SB_EXIT_USAGE = 2 };

/* Print a message to standard error prefixed with "sharebench: " and return SB_EXIT_USAGE. */
int sb_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Option parsing the same way in every subcommand (getopt_long with a
** leading ':' in the short options, so a missing value is told from an
** unknown option): an unknown option, a missing value and an option given
** twice are each refused with a message naming the option. Use:
**     sb_cli_opts o;
**     sb_cli_opts_init(&o, "list", argc, argv);
**     while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
**         if (sb_cli_opt_bad(&o, opt, opts)) return SB_EXIT_USAGE;
**         ...
** sb_cli_opts_init also resets getopt (optind = 1, opterr = 0). */
struct option;
typedef struct {
    const char *cmd;
    int argc;
    char **argv;
    unsigned char seen[256];
} sb_cli_opts;
#define SB_CLI_SHORT(s) ":" s
void sb_cli_opts_init(sb_cli_opts *o, const char *cmd, int argc, char **argv);
/* 1 (after printing the message) when opt is an error or a repeat, else 0. */
int sb_cli_opt_bad(sb_cli_opts *o, int opt, const struct option *longopts);

/* --quiet and --verbose, which every long-running command takes as
** { "quiet", no_argument, NULL, 'q' } and { "verbose", no_argument, NULL, 'v' }:
** -1 quiet, 0 neither, 1 verbose, or SB_VERBOSITY_BAD (after the message)
** when both were given. */
enum { SB_VERBOSITY_BAD = -2 };
int sb_cli_verbosity(const sb_cli_opts *o);

/* Before a command writes runs to db: when db is the default database
** (results/sharebench.db), make its directory in the current one, so that a
** first run works from any directory. Other paths are the user's to make. */
void sb_cli_default_db_dir(const char *db);

/* Parse a whole number in [lo, hi] written in decimal, nothing else (no
** blanks, no trailing text, no overflow). 0 with *v, or -1. */
int sb_cli_parse_long(const char *text, long lo, long hi, long *v);

/* KEY=VALUE assignments of a command line: refuse one that is not KEY=VALUE
** or whose key comes twice (also as one of the options named in keys of the
** options given, e.g. --steps and steps=5). 0, or SB_EXIT_USAGE after the message. */
int sb_cli_assignments_once(const char *cmd, char *const *assignments, int n);

/* Apply one model option, a KEY=VALUE assignment. Returns 0, or -1 with a message. */
int sb_cli_assign(sb_config *c, const char *assignment, char *err, size_t errlen);

#endif
