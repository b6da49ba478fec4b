/*
** params.c: `sharebench params`: exact parameter counts per component, unique
** under the sharing and counted at every depth, the sharing maps, and the
** bytes of parameters, gradients, AdamW state and activations of one step,
** all from the engine's own layout (sb_model_plan), nothing estimated; and
** the analytic FLOPs per token of a forward and of a training step
** (core/flops.h).
*/
#include "commands.h"
#include "cli/cli.h"
#include "core/model.h"
#include "core/flops.h"
#include "sys/fmt.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>

static void help(FILE *f)
{
    char terms[4096];   /* sb_sharing_syntax: one line a term, about 2.3 kB today */
    sb_sharing_syntax(terms, sizeof terms);
    fprintf(f,
            "usage: sharebench params [--preset NAME] [--batch B] [--length T] [KEY=VALUE ...]\n\n"
            "Print the parameter count of a model per component, unique under its sharing and\n"
            "counted at every depth, its sharing maps, the memory of one training step and its\n"
            "analytic FLOPs per token (forward and training; Kaplan et al.'s convention).\n\n"
            "  --preset NAME   start from a preset (tiny, small, bert-base, gpt2-small, albert-base,\n"
            "                  albert-large, albert-xlarge, albert-xxlarge); default: small\n"
            "  --batch B       batch size for the activation memory (default 8)\n"
            "  --length T      sequence length for the activation memory (default: max_len)\n"
            "  KEY=VALUE       set a model key, e.g. sharing=cycle:3 layers=6 width=256\n\n"
            "sharing=SPEC, sharing_attn=SPEC, sharing_ffn=SPEC, for depth i of N:\n%s\n"
            "example: sharebench params --preset albert-base sharing=none\n", terms);
}

int sb_cmd_params(int argc, char **argv)
{
    static const struct option opts[] = {
        { "preset", required_argument, NULL, 'p' }, { "batch", required_argument, NULL, 'b' },
        { "length", required_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
    };
    sb_config c;
    char err[SB_ERR_LEN];
    int B = 8, T = 0, opt;
    long v;
    sb_config_default(&c);
    sb_cli_opts co;
    sb_cli_opts_init(&co, "params", argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return SB_EXIT_USAGE;
        switch (opt) {
        case 'p':
            if (sb_config_preset(&c, optarg, err, sizeof err)) return sb_usage_error("params: %s", err);
            break;
        case 'b':
            if (sb_cli_parse_long(optarg, 1, 1 << 20, &v)) return sb_usage_error("params: --batch '%s': expected a whole number from 1 to 1048576", optarg);
            B = (int)v;
            break;
        case 'l':
            if (sb_cli_parse_long(optarg, 1, 1 << 20, &v)) return sb_usage_error("params: --length '%s': expected a whole number from 1 to 1048576", optarg);
            T = (int)v;
            break;
        case 'h': help(stdout); return SB_EXIT_OK;
        }
    }
    if (sb_cli_assignments_once("params", argv + optind, argc - optind)) return SB_EXIT_USAGE;
    for (int i = optind; i < argc; i++)
        if (sb_cli_assign(&c, argv[i], err, sizeof err)) return sb_usage_error("params: %s", err);
    if (!T) T = c.max_len;
    char a[32], b[32], d[32];
    sb_flops fl;
    long n, tu = 0, te = 0;
    sb_memory mem;
    sb_sharing sh;
    if (sb_sharing_resolve(&c, &sh, err, sizeof err)) return sb_usage_error("params: %s", err);
    if (sb_model_plan_with(&c, &sh, B, T, 0, &n, &mem, err, sizeof err) || sb_flops_per_token(&c, &sh, B, T, &fl, err, sizeof err))
        return sb_usage_error("params: %s", err);
    printf("%-24s %16s %16s\n", "component", "unique", "at every depth");
    for (int k = 0; k < SB_COMP_COUNT; k++) {
        if (!mem.comp[k]) continue;
        printf("%-24s %16s %16s\n", sb_comp_names[k], sb_fmt_count(mem.comp[k], a, sizeof a),
               sb_fmt_count(mem.comp_every[k], b, sizeof b));
        tu += mem.comp[k];
        te += mem.comp_every[k];
    }
    printf("%-24s %16s %16s\n", "total", sb_fmt_count(tu, a, sizeof a), sb_fmt_count(te, b, sizeof b));
    printf("%-24s %16s\n", "backbone (without head)", sb_fmt_count(tu - mem.comp[SB_COMP_HEAD], a, sizeof a));
    printf("unique / at every depth: %.3f (%.1f%% fewer)\n\n", (double)tu / te, 100.0 * (te - tu) / te);
    char maps[2048];
    sb_sharing_describe(&sh, maps, sizeof maps);
    printf("sharing '%s'\n%s\n", c.sharing, maps);
    printf("memory of one training step at batch %d, length %d (float32):\n", B, T);
    printf("  parameters        %12s\n", sb_fmt_bytes((double)mem.params, a, sizeof a));
    printf("  gradients         %12s\n", sb_fmt_bytes((double)mem.grads, a, sizeof a));
    printf("  AdamW moments     %12s\n", sb_fmt_bytes((double)mem.optim, a, sizeof a));
    printf("  activations       %12s\n", sb_fmt_bytes((double)mem.acts, a, sizeof a));
    printf("  backward scratch  %12s\n", sb_fmt_bytes((double)mem.scratch, a, sizeof a));
    printf("  total             %12s\n",
           sb_fmt_bytes((double)(mem.params + mem.grads + mem.optim + mem.acts + mem.scratch), d, sizeof d));
    printf("\nFLOPs per token at batch %d, length %d:\n", B, T);
    printf("  forward           %12s\n", sb_fmt_count((long)(fl.forward + 0.5), a, sizeof a));
    printf("  training step     %12s\n", sb_fmt_count((long)(fl.train + 0.5), a, sizeof a));
    return SB_EXIT_OK;
}
