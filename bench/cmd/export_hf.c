/*
** export_hf.c: `sharebench export-hf`: a checkpoint as a Hugging Face
** transformers directory (engine/io/hf.h does the mapping). --reference also
** writes what sharebench itself computes for a fixed batch, so an export can
** be checked wherever transformers runs (tests/hf_check.py does, with NumPy
** or with transformers).
*/
#include "commands.h"
#include "cli/cli.h"
#include "core/rng.h"
#include "io/checkpoint.h"
#include "io/hf.h"
#include "io/safetensors.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The batch of the reference file: 2 sequences of up to 32 tokens. */
enum { REF_B = 2, REF_T = 32 };

static void export_help(FILE *f)
{
    fprintf(f, "usage: sharebench export-hf CHECKPOINT DIR [--reference] [--quiet]\n\n"
               "Write CHECKPOINT (from sharebench run --save) as a Hugging Face transformers model:\n"
               "DIR/config.json and DIR/model.safetensors, which transformers' from_pretrained loads.\n"
               "  causal models (pre-LN, learned positions)  -> GPT2LMHeadModel, one layer per depth\n"
               "                                               (shared blocks unrolled, tied embeddings kept)\n"
               "  encoders (post-LN, embedding LayerNorm)    -> AlbertModel, depths with the same weights\n"
               "                                               kept once as ALBERT's layer groups; sharebench's\n"
               "                                               head in DIR/sharebench_head.safetensors\n"
               "Anything without a counterpart in transformers is refused, naming the key.\n\n"
               "  --reference  also write DIR/sharebench_reference.safetensors: a batch of token ids\n"
               "               (input_ids), sharebench's logits for it and, for ALBERT, its last hidden state\n"
               "  --quiet      no closing line\n\n"
               "example: sharebench export-hf results/copy.safetensors results/copy-hf --reference\n"
               "exit status: 0 written, 2 bad input (nothing written)\n");
}

/* --reference, --quiet and --help. 1 after --help, -1 on an error, 0 to go on. */
static int options(const char *cmd, int argc, char **argv, int *reference, int *quiet)
{
    static const struct option opts[] = {
        { "reference", no_argument, NULL, 'r' }, { "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
    };
    int opt;
    sb_cli_opts co;
    sb_cli_opts_init(&co, cmd, argc, argv);
    while ((opt = getopt_long(argc, argv, SB_CLI_SHORT("h"), opts, NULL)) != -1) {
        if (sb_cli_opt_bad(&co, opt, opts)) return -1;
        if (opt == 'h') { export_help(stdout); return 1; }
        if (opt == 'r') *reference = 1;
        if (opt == 'q') *quiet = 1;
    }
    if (argc - optind != 2) {
        sb_usage_error("%s: expected two arguments, got %d (see sharebench %s --help)", cmd, argc - optind, cmd);
        return -1;
    }
    return 0;
}

/* sharebench's own outputs for a fixed batch, beside the export. */
static int write_reference(sb_model *m, int family, const char *dir, char *err, size_t errlen)
{
    const sb_config *c = sb_model_config(m);
    int B, T, V = c->vocab, C = c->width;
    sb_model_capacity(m, &B, &T);
    int *tok = malloc(sizeof(int) * B * T);
    int64_t *ids = malloc(sizeof(int64_t) * B * T);
    real *logits = malloc(sizeof(real) * B * T * V);
    float *lf = malloc(sizeof(float) * B * T * V), *hf = malloc(sizeof(float) * B * T * C);
    int rc = -1;
    if (!tok || !ids || !logits || !lf || !hf) { snprintf(err, errlen, "out of memory for the reference batch"); goto out; }
    sb_rng r;
    sb_rng_seed(&r, 1, "export-hf reference");
    for (int i = 0; i < B * T; i++) ids[i] = tok[i] = (int)sb_rng_below(&r, (uint32_t)V);
    sb_model_forward(m, tok, NULL, NULL, NULL, B, T);
    sb_model_logits(m, logits);
    for (long i = 0; i < (long)B * T * V; i++) lf[i] = (float)logits[i];
    const real *h = sb_model_layer_output(m, c->layers - 1);
    for (long i = 0; i < (long)B * T * C; i++) hf[i] = (float)h[i];
    sb_st_tensor ts[3] = {
        { .name = "input_ids", .dtype = "I64", .ndim = 2, .shape = { B, T }, .data = ids },
        { .name = "logits", .dtype = "F32", .ndim = 3, .shape = { B, T, V }, .data = lf },
        { .name = "last_hidden_state", .dtype = "F32", .ndim = 3, .shape = { B, T, C }, .data = hf },
    };
    const sb_st_meta meta[] = { { "format", "pt" }, { "sharebench.family", family == SB_HF_GPT2 ? "gpt2" : "albert" } };
    char path[4200];
    snprintf(path, sizeof path, "%s/sharebench_reference.safetensors", dir);
    rc = sb_st_write(path, ts, family == SB_HF_ALBERT ? 3 : 2, meta, 2, err, errlen);
out:
    free(tok); free(ids); free(logits); free(lf); free(hf);
    return rc;
}

int sb_cmd_export_hf(int argc, char **argv)
{
    int reference = 0, quiet = 0, rc = options("export-hf", argc, argv, &reference, &quiet);
    if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
    const char *ckpt = argv[optind], *dir = argv[optind + 1];
    char err[SB_ERR_LEN];
    sb_config c;
    if (sb_checkpoint_config(ckpt, &c, err, sizeof err)) return sb_usage_error("export-hf: %s", err);
    sb_model *m = sb_model_create(&c, REF_B, c.max_len < REF_T ? c.max_len : REF_T, 1, 0, err, sizeof err);
    if (!m) return sb_usage_error("export-hf: %s: %s", ckpt, err);
    int family, layers;
    if (sb_checkpoint_load(ckpt, m, err, sizeof err) || (family = sb_hf_family(m, err, sizeof err)) < 0 ||
        sb_hf_export(m, dir, ckpt, &layers, err, sizeof err) || (reference && write_reference(m, family, dir, err, sizeof err))) {
        sb_model_free(m);
        return sb_usage_error("export-hf: %s: %s", ckpt, err);
    }
    if (!quiet)
        printf("export-hf: wrote %s: %s, %d layer%s for %d depths (sharing %s): config.json, model.safetensors%s%s\n", dir,
               family == SB_HF_GPT2 ? "GPT2LMHeadModel" : "AlbertModel", layers, layers > 1 ? "s" : "", c.layers, c.sharing,
               family == SB_HF_ALBERT ? ", sharebench_head.safetensors" : "", reference ? ", sharebench_reference.safetensors" : "");
    sb_model_free(m);
    return fflush(stdout) ? SB_EXIT_USAGE : SB_EXIT_OK;
}
