/*
** torch_export.c: the engine's half of the PyTorch cross-check (tests/torch_check.py).
**
** Usage: torch_export OUTDIR
**
** For every configuration in the table below (each sharing mode and each
** architecture switch, at toy sizes) it builds a model, moves every parameter
** off its initial value (so zero-initialised LoRA B and hypernetwork W2 matter),
** saves it with sb_checkpoint_save to OUTDIR/NAME.safetensors, runs one forward
** and backward on a fixed batch and writes what the engine computed to
** OUTDIR/NAME.grads.safetensors: the batch ("tokens", "types", "targets", I32
** [B,T]), the "loss" (F64 scalar), the "probs" [B,T,V], "grad.<tensor>" for
** every tensor and "embed_grad" [B,T,E]; for the distill=T,alpha entries the
** loss is the distillation loss against random "teacher_logits" [B,T,V]
** (stored, with "distill" = "T alpha" in the metadata). OUTDIR/list.txt names the
** configurations, one a line. torch_check.py rebuilds each model in PyTorch
** from the checkpoint alone and compares. Exits non-zero with a message on
** any error.
*/
#include "core/model.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "core/rng.h"
#include "compress/distill.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { B = 2, T = 6 };

/* Small sizes every configuration starts from; each entry then sets its own keys. */
static const char *const base_keys =
    "vocab=13 max_len=8 width=16 heads=2 layers=4 ffn=24 rel_buckets=8 rel_max_dist=16";

static const struct { const char *name, *keys; } configs[] = {
    { "none", "sharing=none" },
    { "all", "sharing=all" },
    { "attn", "sharing=attn" },
    { "ffn", "sharing=ffn" },
    { "sequence2", "sharing=sequence:2" },
    { "cycle2", "sharing=cycle:2" },
    { "cycle_rev2", "sharing=cycle_rev:2" },
    { "map0110", "sharing=map:0,1,1,0" },
    { "untie", "sharing=all+untie:1" },
    { "cycle2_lowrank2", "sharing=cycle:2+lowrank:2" },
    { "lowrank_kv_share", "sharing=all+lowrank:3+kv_share:2" },
    { "hyper3", "sharing=hyper:3" },
    { "hyper_kv_share_nopos", "sharing=cycle:2+hyper:2+kv_share:2 pos=none" },
    { "all_kv_share2", "sharing=all+kv_share:2" },
    { "progressive", "sharing=progressive:all+kv_share:2" },
    { "gqa_rope", "sharing=none heads=4 kv_heads=2 pos=rope" },
    { "mqa_rope_cycle", "sharing=cycle:2+kv_share:2 heads=4 kv_heads=1 pos=rope rope_base=100" },
    { "relbias_lpb_ls", "sharing=cycle:2 pos=relbias rel_buckets=6 rel_max_dist=10 layer_pos_bias=1 layerscale=1" },
    { "relbias_encoder", "sharing=sequence:2 pos=relbias rel_max_dist=5 causal=0 heads=4 kv_heads=2 layer_pos_bias=1 ln_shared=1" },
    { "albert", "sharing=all causal=0 post_ln=1 final_ln=0 type_vocab=2 embed_ln=1 pooler=1 embed=8 ln_shared=1" },
    { "bert_untied", "sharing=none causal=0 post_ln=1 final_ln=0 type_vocab=2 embed_ln=1 pooler=1 tied=0" },
    { "untied_factorised", "sharing=cycle:2 tied=0 embed=8 type_vocab=3" },
    { "overrides", "sharing=none sharing_attn=cycle:2 sharing_ffn=map:0,1,1,0" },
    { "overrides_kv", "sharing=cycle_rev:2+kv_share:2 sharing_attn=sequence:2 sharing_ffn=all" },
    { "gradscale_mean", "sharing=cycle:2 grad_scale=mean ln_shared=1" },
    { "gradscale_norm", "sharing=all+lowrank:2 grad_scale=norm" },
    { "factor_cycle", "sharing=cycle:2 factor=3" },
    { "factor_kv_share", "sharing=all+kv_share:2 factor=2 factor_mats=wq,ffn heads=4 kv_heads=2" },
    { "factor_untie_encoder", "sharing=all+untie:1 factor=4 factor_mats=attn causal=0 post_ln=1 final_ln=0 pos=rope" },
    { "loop", "sharing=loop:1,1,1" },
    { "loop_no_prelude_post_ln", "sharing=loop:0,1,1 causal=0 post_ln=1 final_ln=0 ln_shared=1 embed=8" },
    { "loop_kv_share_rope", "sharing=loop:0,2,0+kv_share:2 pos=rope heads=4 kv_heads=2" },
    { "mor_middle_cycle", "sharing=loop:1,1,1+mor layers=5" },
    { "mor_no_prelude_rope_post_ln", "sharing=loop:0,2,1+mor layers=7 pos=rope heads=4 kv_heads=2 post_ln=1 final_ln=0 ln_shared=1" },
    { "mor_expert_middle_cycle", "sharing=loop:1,1,1+mor_expert layers=5" },
    { "mor_expert_no_prelude_rope_post_ln", "sharing=loop:0,2,1+mor_expert layers=7 pos=rope heads=4 kv_heads=2 post_ln=1 final_ln=0 ln_shared=1" },
    { "mor_kv_share", "sharing=loop:0,2,1+mor+mor_kv_share layers=7 pos=rope" },
    { "act_middle_cycle", "sharing=loop:1,1,1+act layers=6 halt_bias=-0.8" },
    { "act_no_prelude_rope_post_ln", "sharing=loop:0,2,1+act layers=7 pos=rope heads=4 kv_heads=2 post_ln=1 final_ln=0 ln_shared=1" },
    { "svformer", "sharing=v_share:4 pos=rope heads=4 kv_heads=2" },
    { "v_share_cycle_lowrank", "sharing=cycle:2+lowrank:2+v_share:2" },
    { "v_share_all_post_ln_norm", "sharing=all+v_share:2 causal=0 post_ln=1 final_ln=0 grad_scale=norm ln_shared=1" },
    { "basis_sequence", "sharing=sequence:2+basis:3" },
    { "basis_v_share_gqa_norm", "sharing=basis:2+v_share:2 heads=4 kv_heads=2 grad_scale=norm" },
    { "attn_reuse_rope_gqa", "sharing=attn_reuse:2 pos=rope heads=4 kv_heads=2" },
    { "attn_reuse_cycle_relbias_ls", "sharing=cycle:2+attn_reuse:4 pos=relbias rel_buckets=6 rel_max_dist=10 layer_pos_bias=1 layerscale=1" },
    { "attn_reuse_factor", "sharing=sequence:2+attn_reuse:2 factor=2 factor_mats=wq,wk,wo,ffn" },
    { "attn_reuse_encoder_post_ln_norm", "sharing=all+attn_reuse:3 causal=0 post_ln=1 final_ln=0 grad_scale=norm ln_shared=1" },
    { "basis_untie_encoder", "sharing=all+untie:1+basis:3 causal=0 post_ln=1 final_ln=0 pos=rope" },
    { "yoco_window_rope_gqa", "sharing=yoco:3 pos=rope heads=4 kv_heads=2" },
    { "yoco_cycle_relbias_norm", "sharing=cycle:2+yoco:2 pos=relbias layer_pos_bias=1 grad_scale=norm" },
    { "yoco_lowrank_encoder", "sharing=all+lowrank:2+yoco:0 causal=0 post_ln=1 final_ln=0" },
    { "lckv_rope_gqa", "sharing=lckv:2 layers=5 pos=rope heads=4 kv_heads=2" },
    { "lckv_cycle_post_ln_ls", "sharing=cycle:2+lckv:0 layers=4 post_ln=1 final_ln=0 layerscale=1 ln_shared=1" },
    { "distill_all", "sharing=all distill=2,0.3" },
    { "distill_factor", "sharing=cycle:2 factor=3 distill=0.5,0.8" },
};
#define NCONFIGS (int)(sizeof configs / sizeof configs[0])

/* Apply "key=value key=value ..." to c. Returns 0, or -1 with a message. */
static int apply_keys(sb_config *c, const char *keys, char *err, size_t errlen)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", keys);
    for (char *save = NULL, *kv = strtok_r(buf, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) { snprintf(err, errlen, "'%s' is not key=value", kv); return -1; }
        *eq = 0;
        if (!strcmp(kv, "distill") || !strcmp(kv, "halt_bias")) continue;   /* the exporter's own keys: T,alpha; act's bias */
        if (sb_config_set(c, kv, eq + 1, err, errlen)) return -1;
    }
    return 0;
}

static int export_one(const char *dir, const char *name, const char *keys, char *err, size_t errlen)
{
    sb_config c;
    sb_config_default(&c);
    if (apply_keys(&c, base_keys, err, errlen) || apply_keys(&c, keys, err, errlen)) return -1;
    sb_model *m = sb_model_create(&c, B, T, 1234, 0, err, errlen);
    if (!m) return -1;
    /* every parameter off its initial value */
    sb_rng r;
    sb_rng_seed(&r, 99, name);
    real *p = sb_model_params(m);
    for (long i = 0; i < sb_model_n_params(m); i++) p[i] += (real)(0.15 * sb_rng_normal(&r));
    /* halt_bias=V: act's halting bias set to V, so that tokens halt at several steps or run past the last */
    const char *hb = strstr(keys, "halt_bias=");
    int th = sb_model_tensor_find(m, "act.halt.b");
    if (hb && th >= 0) p[sb_model_tensor(m, th)->offset] = (real)atof(hb + 10);

    char path[4096];
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
    if (sb_checkpoint_save(path, m, NULL, err, errlen)) { sb_model_free(m); return -1; }

    int tok[B * T], typ[B * T], tgt[B * T];
    sb_rng_seed(&r, 17, "batch");
    for (int i = 0; i < B * T; i++) {
        tok[i] = (int)sb_rng_below(&r, (uint32_t)c.vocab);
        typ[i] = c.type_vocab ? (int)sb_rng_below(&r, (uint32_t)c.type_vocab) : 0;
        tgt[i] = (i % 4 == 2) ? -1 : (int)sb_rng_below(&r, (uint32_t)c.vocab);
    }
    double loss = sb_model_forward(m, tok, c.type_vocab ? typ : NULL, tgt, NULL, B, T);
    /* distill=T,alpha: the loss against random teacher logits instead of the task loss */
    const char *dk = strstr(keys, "distill=");
    double temp = 0, alpha = 0;
    real *zt = malloc(sizeof(real) * B * T * c.vocab), *zs = malloc(sizeof(real) * B * T * c.vocab),
         *dz = malloc(sizeof(real) * B * T * c.vocab);
    if (!zt || !zs || !dz) { free(zt); free(zs); free(dz); sb_model_free(m); snprintf(err, errlen, "out of memory"); return -1; }
    if (dk && sscanf(dk, "distill=%lf,%lf", &temp, &alpha) == 2) {
        for (int i = 0; i < B * T * c.vocab; i++) zt[i] = (real)(2 * sb_rng_normal(&r));
        sb_model_logits(m, zs);
        loss = sb_distill_loss(zs, zt, tgt, B * T, c.vocab, (real)temp, (real)alpha, dz, NULL, NULL);
        sb_model_backward_logits(m, dz);
    } else {
        dk = NULL;
        sb_model_backward(m);
    }

    int nt = sb_model_tensor_count(m), n = nt + 6 + (dk != NULL), rc = 0;
    int E = c.embed ? c.embed : c.width;
    sb_st_tensor *ts = calloc((size_t)n, sizeof *ts);
    char (*names)[64] = calloc((size_t)nt, sizeof *names);
    if (!ts || !names) {
        snprintf(err, errlen, "out of memory");
        free(ts); free(names); free(zt); free(zs); free(dz); sb_model_free(m);
        return -1;
    }
    const int *ints[3] = { tok, typ, tgt };
    const char *int_names[3] = { "tokens", "types", "targets" };
    for (int k = 0; k < 3; k++)
        ts[k] = (sb_st_tensor){ .name = int_names[k], .dtype = "I32", .ndim = 2, .shape = { B, T }, .data = ints[k] };
    ts[3] = (sb_st_tensor){ .name = "loss", .dtype = "F64", .ndim = 0, .data = &loss };
    ts[4] = (sb_st_tensor){ .name = "probs", .dtype = SB_DTYPE_NAME, .ndim = 3, .shape = { B, T, c.vocab },
                            .data = sb_model_probs(m) };
    ts[5] = (sb_st_tensor){ .name = "embed_grad", .dtype = SB_DTYPE_NAME, .ndim = 3, .shape = { B, T, E },
                            .data = sb_model_embed_grad(m) };
    const real *g = sb_model_grads(m);
    for (int i = 0; i < nt; i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        snprintf(names[i], sizeof names[i], "grad.%s", t->name);
        ts[6 + i] = (sb_st_tensor){ .name = names[i], .dtype = SB_DTYPE_NAME, .ndim = t->ndim,
                                    .shape = { t->shape[0], t->shape[1] }, .data = g + t->offset };
    }
    char dv[64];
    if (dk) {
        ts[6 + nt] = (sb_st_tensor){ .name = "teacher_logits", .dtype = SB_DTYPE_NAME, .ndim = 3, .shape = { B, T, c.vocab }, .data = zt };
        snprintf(dv, sizeof dv, "%.17g %.17g", temp, alpha);
    }
    snprintf(path, sizeof path, "%s/%s.grads.safetensors", dir, name);
    sb_st_meta meta[2] = { { "config", keys }, { "distill", dv } };
    rc = sb_st_write(path, ts, n, meta, dk ? 2 : 1, err, errlen);
    free(ts);
    free(names);
    free(zt); free(zs); free(dz);
    sb_model_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    char path[4096], err[SB_ERR_LEN] = "";
    snprintf(path, sizeof path, "%s/list.txt", argv[1]);
    FILE *list = fopen(path, "w");
    if (!list) {
        perror(path);
        return 1;
    }
    for (int i = 0; i < NCONFIGS; i++) {
        if (export_one(argv[1], configs[i].name, configs[i].keys, err, sizeof err)) {
            fprintf(stderr, "torch_export: %s: %s\n", configs[i].name, err);
            fclose(list);
            return 1;
        }
        fprintf(list, "%s\n", configs[i].name);
    }
    if (fclose(list)) {
        perror(path);
        return 1;
    }
    return 0;
}
