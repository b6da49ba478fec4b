/*
** import_hf.c: `sharebench import-hf`: a Hugging Face transformers GPT-2 or
** ALBERT directory as a sharebench checkpoint (engine/io/hf.h does the
** mapping), to start a sharing experiment from a published architecture.
*/
#include "commands.h"
#include "cli/cli.h"
#include "io/checkpoint.h"
#include "io/hf.h"
#include "sys/fmt.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void import_help(FILE *f)
{
    fprintf(f, "usage: sharebench import-hf DIR CHECKPOINT [--quiet]\n\n"
               "Read a Hugging Face transformers GPT-2 or ALBERT model (DIR/config.json and\n"
               "DIR/model.safetensors, float32, float16 or bfloat16) into a sharebench checkpoint:\n"
               "the architecture and the weights, so that sharebench run --init-from CHECKPOINT\n"
               "--sharing ... starts a sharing experiment from it. ALBERT's layer groups become a\n"
               "sharing map; what cannot be carried exactly is said on standard error.\n\n"
               "  --quiet  no closing line\n\n"
               "example: sharebench import-hf gpt2-dir results/gpt2.safetensors\n"
               "exit status: 0 written, 2 bad input (nothing written)\n");
}

/* --quiet and --help. 1 after --help, -1 on an error, 0 to go on. */
static int options(int argc, char **argv, int *quiet)
{
    static const struct option opts[] = { { "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
    int opt;
    sb_cli_opts co;
    sb_cli_opts_init(&co, "import-hf", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return -1;
        if (opt == 'h') { import_help(stdout); return 1; }
        if (opt == 'q') *quiet = 1;
    }
    if (argc - optind != 2) {
        sb_usage_error("import-hf: expected two arguments, got %d (see sharebench import-hf --help)", argc - optind);
        return -1;
    }
    return 0;
}

int sb_cmd_import_hf(int argc, char **argv)
{
    int quiet = 0, rc = options(argc, argv, &quiet);
    if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
    const char *dir = argv[optind], *out = argv[optind + 1];
    char err[SB_ERR_LEN], note[1024];
    sb_model *m = sb_hf_import(dir, 1, 1, note, sizeof note, err, sizeof err);
    if (!m) return sb_usage_error("import-hf: %s", err);
    const char *extra[] = { "sharebench.imported_from", dir, NULL };
    if (sb_checkpoint_save(out, m, extra, err, sizeof err)) {
        sb_model_free(m);
        return sb_usage_error("import-hf: %s", err);
    }
    const sb_config *c = sb_model_config(m);
    char count[32];
    if (note[0]) fprintf(stderr, "import-hf: note: %s\n", note);
    if (!quiet)
        printf("import-hf: wrote %s: %s, %d layers of width %d, sharing %s, %s parameters\n", out, c->causal ? "GPT-2" : "ALBERT",
               c->layers, c->width, c->sharing, sb_fmt_count(sb_model_n_params(m), count, sizeof count));
    sb_model_free(m);
    return fflush(stdout) ? SB_EXIT_USAGE : SB_EXIT_OK;
}
