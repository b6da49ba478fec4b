/*
** config.c: configuration defaults, presets, and reading/writing fields by key.
**
** One table describes every field (key, type, range), so that setting from
** text, printing, hashing and checkpoint metadata cannot drift apart.
*/
#include "config.h"
#include "rng.h"
#include "suggest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <errno.h>
#include <math.h>

enum { T_INT, T_BOOL, T_FLOAT, T_STR, T_ENUM };

typedef struct {
    const char *key;
    int type;
    size_t off;
    double lo, hi;                 /* inclusive range for numbers */
    const char *const *names;      /* for T_ENUM */
    const char *help;
    const char *later;             /* keys added after the first format: the default's text, else NULL */
} field;

static const char *const pos_names[] = { "learned", "rope", "relbias", "none", NULL };
static const char *const gs_names[] = { "none", "mean", "norm", NULL };

#define F(k, t, lo, hi, names, help) { #k, t, offsetof(sb_config, k), lo, hi, names, help, NULL }
#define FL(k, t, lo, hi, help, def) { #k, t, offsetof(sb_config, k), lo, hi, NULL, help, def }
static const field fields[] = {
    F(vocab, T_INT, 2, 1 << 24, NULL, "vocabulary size V"),
    F(max_len, T_INT, 1, 1 << 20, NULL, "positions the model has"),
    F(width, T_INT, 1, 1 << 16, NULL, "model width C"),
    F(embed, T_INT, 0, 1 << 16, NULL, "embedding width E (0: same as width)"),
    F(layers, T_INT, 1, SB_MAX_LAYERS, NULL, "depth N"),
    F(heads, T_INT, 1, 4096, NULL, "query heads"),
    F(kv_heads, T_INT, 0, 4096, NULL, "key/value heads (0: same as heads)"),
    F(ffn, T_INT, 1, 1 << 20, NULL, "feed-forward width"),
    F(causal, T_BOOL, 0, 1, NULL, "1 decoder, 0 encoder"),
    F(post_ln, T_BOOL, 0, 1, NULL, "1 post-LN (BERT), 0 pre-LN (GPT-2)"),
    F(type_vocab, T_INT, 0, 1 << 16, NULL, "token types (0: none)"),
    F(embed_ln, T_BOOL, 0, 1, NULL, "LayerNorm on the embeddings"),
    F(final_ln, T_BOOL, 0, 1, NULL, "LayerNorm after the last layer"),
    F(pos, T_ENUM, 0, 0, pos_names, "positions: learned, rope, relbias, none"),
    F(rel_buckets, T_INT, 2, 4096, NULL, "relative-position buckets"),
    F(rel_max_dist, T_INT, 2, 1 << 20, NULL, "relative-position max distance"),
    F(layer_pos_bias, T_BOOL, 0, 1, NULL, "learnable per-layer position bias"),
    F(layerscale, T_BOOL, 0, 1, NULL, "per-layer learned residual scale"),
    F(tied, T_BOOL, 0, 1, NULL, "output head tied to the token embedding"),
    F(pooler, T_BOOL, 0, 1, NULL, "dense+tanh pooler on position 0"),
    F(ln_shared, T_BOOL, 0, 1, NULL, "LayerNorms shared with their block"),
    F(grad_scale, T_ENUM, 0, 0, gs_names, "depth rescaling of shared gradients: none, mean, norm"),
    F(ln_eps, T_FLOAT, 1e-30, 1, NULL, "LayerNorm epsilon"),
    F(init_std, T_FLOAT, 0, 10, NULL, "initialisation standard deviation"),
    F(layerscale_init, T_FLOAT, 0, 10, NULL, "initial LayerScale value"),
    F(rope_base, T_FLOAT, 1, 1e9, NULL, "RoPE base"),
    F(sharing, T_STR, 0, 0, NULL, "sharing specification, e.g. cycle:2 or all+untie:2"),
    F(sharing_attn, T_STR, 0, 0, NULL, "the attention sublayers' map, overriding sharing's"),
    F(sharing_ffn, T_STR, 0, 0, NULL, "the feed-forward sublayers' map, overriding sharing's"),
    FL(factor, T_INT, 0, 65536, "rank R of the factorised block matrices W = U V^T (0: dense)", "0"),
    FL(factor_mats, T_STR, 0, 0, "matrices factor applies to: all, attn, ffn, or a list of wq,wk,wv,wo,w1,w2", "all"),
};
#undef F
#undef FL
#define NFIELDS (sizeof fields / sizeof fields[0])

static const field *find(const char *key)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (!strcmp(fields[i].key, key)) return &fields[i];
    return NULL;
}

const char *const *sb_config_keys(void)
{
    static const char *keys[NFIELDS + 1];
    for (size_t i = 0; i < NFIELDS; i++) keys[i] = fields[i].key;
    keys[NFIELDS] = NULL;
    return keys;
}

void sb_config_default(sb_config *c)
{
    memset(c, 0, sizeof *c);
    c->vocab = 256;
    c->max_len = 256;
    c->width = 128;
    c->embed = 0;
    c->layers = 4;
    c->heads = 4;
    c->kv_heads = 0;
    c->ffn = 512;
    c->causal = 1;
    c->post_ln = 0;
    c->final_ln = 1;
    c->pos = SB_POS_LEARNED;
    c->rel_buckets = 32;
    c->rel_max_dist = 128;
    c->tied = 1;
    c->ln_eps = 1e-5f;
    c->init_std = 0.02f;
    c->layerscale_init = 0.1f;
    c->rope_base = 10000.0f;
    strcpy(c->sharing, "none");
    strcpy(c->factor_mats, "all");
}

/* Published architectures. Parameter counts are checked by tests/test_params.c
** against the totals Hugging Face reports for the backbone (embeddings, layers,
** pooler): bert-base 109,482,240; gpt2-small 124,439,808; albert-base 11,683,584;
** albert-large 17,683,968; albert-xlarge 58,724,864; albert-xxlarge 222,595,584. */
static void bert_like(sb_config *c, int v, int w, int e, int n, int h, int f)
{
    c->vocab = v; c->max_len = 512; c->width = w; c->embed = e; c->layers = n;
    c->heads = h; c->ffn = f; c->causal = 0; c->post_ln = 1; c->final_ln = 0;
    c->type_vocab = 2; c->embed_ln = 1; c->pooler = 1; c->tied = 1; c->ln_eps = 1e-12f;
}

static const char *const preset_names[] = {
    "tiny", "small", "bert-base", "gpt2-small", "albert-base", "albert-large", "albert-xlarge", "albert-xxlarge", NULL
};

const char *const *sb_config_presets(void) { return preset_names; }

int sb_config_preset(sb_config *c, const char *name, char *err, size_t errlen)
{
    sb_config_default(c);
    if (!strcmp(name, "tiny")) {
        c->width = 32; c->layers = 2; c->heads = 2; c->ffn = 64; c->max_len = 64; c->vocab = 32;
    } else if (!strcmp(name, "small")) {
        /* the default */
    } else if (!strcmp(name, "bert-base")) {
        bert_like(c, 30522, 768, 0, 12, 12, 3072);
    } else if (!strcmp(name, "gpt2-small")) {
        c->vocab = 50257; c->max_len = 1024; c->width = 768; c->layers = 12; c->heads = 12; c->ffn = 3072;
    } else if (!strncmp(name, "albert-", 7)) {
        const char *s = name + 7;
        if (!strcmp(s, "base")) bert_like(c, 30000, 768, 128, 12, 12, 3072);
        else if (!strcmp(s, "large")) bert_like(c, 30000, 1024, 128, 24, 16, 4096);
        else if (!strcmp(s, "xlarge")) bert_like(c, 30000, 2048, 128, 24, 16, 8192);
        else if (!strcmp(s, "xxlarge")) bert_like(c, 30000, 4096, 128, 12, 64, 16384);
        else goto unknown;
        c->ln_shared = 1;
        strcpy(c->sharing, "all");
    } else {
        goto unknown;
    }
    return 0;
unknown:;
    char hint[96];
    size_t w = (size_t)snprintf(err, errlen, "unknown preset '%s'%s; known:", name, sb_suggest_text(name, preset_names, hint, sizeof hint));
    for (int i = 0; preset_names[i] && w < errlen; i++) w += snprintf(err + w, errlen - w, " %s", preset_names[i]);
    return -1;
}

int sb_config_set(sb_config *c, const char *key, const char *value, char *err, size_t errlen)
{
    const field *f = find(key);
    char *end;
    if (!f) {
        char hint[96];
        snprintf(err, errlen, "unknown model key '%s'%s; 'sharebench keys' lists every key", key,
                 sb_suggest_text(key, sb_config_keys(), hint, sizeof hint));
        return -1;
    }
    void *p = (char *)c + f->off;
    errno = 0;
    switch (f->type) {
    case T_INT:
    case T_BOOL: {
        long v = strtol(value, &end, 10);
        if (!*value || *end || errno || v < f->lo || v > f->hi) {
            if (f->type == T_BOOL) snprintf(err, errlen, "%s='%s': expected 0 or 1", key, value);
            else snprintf(err, errlen, "%s='%s': expected a whole number from %.0f to %.0f (%s)", key, value, f->lo, f->hi, f->help);
            return -1;
        }
        *(int *)p = (int)v;
        return 0;
    }
    case T_FLOAT: {
        double v = strtod(value, &end);
        if (!*value || *end || errno || !isfinite(v) || v < f->lo || v > f->hi) {
            snprintf(err, errlen, "%s='%s': expected a number from %g to %g (%s)", key, value, f->lo, f->hi, f->help);
            return -1;
        }
        *(float *)p = (float)v;
        return 0;
    }
    case T_ENUM:
        for (int i = 0; f->names[i]; i++)
            if (!strcmp(f->names[i], value)) { *(int *)p = i; return 0; }
        {
            size_t w = (size_t)snprintf(err, errlen, "%s='%s': expected one of", key, value);
            for (int i = 0; f->names[i] && w < errlen; i++) w += snprintf(err + w, errlen - w, " %s", f->names[i]);
        }
        return -1;
    case T_STR:
        if (strlen(value) >= SB_SPEC_LEN) {
            snprintf(err, errlen, "%s='%.40s...': value is longer than %d characters", key, value, SB_SPEC_LEN - 1);
            return -1;
        }
        snprintf((char *)p, SB_SPEC_LEN, "%s", value);
        return 0;
    }
    return -1;
}

int sb_config_key_info(int i, sb_key_info *k)
{
    static const char *const types[] = { "integer", "0 or 1", "number", "text", "word" };
    if (i < 0 || (size_t)i >= NFIELDS) return -1;
    const field *f = &fields[i];
    k->key = f->key;
    k->type = types[f->type];
    k->help = f->help;
    k->range[0] = 0;
    if (f->type == T_INT) snprintf(k->range, sizeof k->range, "%.0f to %.0f", f->lo, f->hi);
    else if (f->type == T_FLOAT) snprintf(k->range, sizeof k->range, "%g to %g", f->lo, f->hi);
    else if (f->type == T_ENUM)
        for (int j = 0, w = 0; f->names[j] && w < (int)sizeof k->range; j++)
            w += snprintf(k->range + w, sizeof k->range - (size_t)w, "%s%s", j ? ", " : "", f->names[j]);
    return 0;
}

int sb_config_get(const sb_config *c, const char *key, char *out, size_t outlen)
{
    const field *f = find(key);
    if (!f) return -1;
    const void *p = (const char *)c + f->off;
    switch (f->type) {
    case T_INT: case T_BOOL: snprintf(out, outlen, "%d", *(const int *)p); break;
    case T_FLOAT: sb_format_float(out, outlen, *(const float *)p); break;
    case T_ENUM: snprintf(out, outlen, "%s", f->names[*(const int *)p]); break;
    case T_STR: snprintf(out, outlen, "%s", (const char *)p); break;
    }
    return 0;
}

void sb_format_float(char *out, size_t len, float v)
{
    /* the shortest %g that reads back as the same float: 0.02, not 0.0199999996 */
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(out, len, "%.*g", prec, v);
        if (strtof(out, NULL) == v) return;
    }
}

int sb_config_key_default(const char *key, const char *value)
{
    const field *f = find(key);
    return f && f->later && !strcmp(f->later, value);
}

int sb_config_factor_mask(const sb_config *c, char *err, size_t errlen)
{
    static const char *const mats[] = { "wq", "wk", "wv", "wo", "w1", "w2" };
    char buf[SB_SPEC_LEN];
    int mask = 0;
    snprintf(buf, sizeof buf, "%s", c->factor_mats);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int bit = -1;
        if (!strcmp(t, "all")) bit = 0x3f;
        else if (!strcmp(t, "attn")) bit = 0x0f;
        else if (!strcmp(t, "ffn")) bit = 0x30;
        for (int k = 0; k < 6 && bit < 0; k++)
            if (!strcmp(t, mats[k])) bit = 1 << k;
        if (bit < 0) {
            snprintf(err, errlen, "factor_mats='%s': '%s' is not all, attn, ffn or one of wq wk wv wo w1 w2", c->factor_mats, t);
            return -1;
        }
        mask |= bit;
    }
    if (!mask) {
        snprintf(err, errlen, "factor_mats='%s': names no matrix (all, attn, ffn, or a list of wq,wk,wv,wo,w1,w2)", c->factor_mats);
        return -1;
    }
    return mask;
}

unsigned long long sb_config_hash(const sb_config *c)
{
    uint64_t h = 0;
    char v[SB_SPEC_LEN + 32];
    for (size_t i = 0; i < NFIELDS; i++) {
        sb_config_get(c, fields[i].key, v, sizeof v);
        if (fields[i].later && !strcmp(fields[i].later, v)) continue;   /* identities from before the key stay */
        h = sb_hash_str(h, fields[i].key);
        h = sb_hash_str(h, "=");
        h = sb_hash_str(h, v);
        h = sb_hash_str(h, "\n");
    }
    return h;
}

int sb_config_check(const sb_config *c, char *err, size_t errlen)
{
    char v[SB_SPEC_LEN + 32];
    /* every number within its field's range (files may bypass sb_config_set) */
    for (size_t i = 0; i < NFIELDS; i++) {
        const field *f = &fields[i];
        const void *p = (const char *)c + f->off;
        double x = f->type == T_FLOAT ? *(const float *)p : (f->type == T_STR ? 0 : *(const int *)p);
        if (f->type == T_ENUM) {
            int n = 0, v = *(const int *)p;
            while (f->names[n]) n++;
            if (v < 0 || v >= n) {
                snprintf(err, errlen, "%s=%d is not one of the %d values of %s", f->key, v, n, f->help);
                return -1;
            }
        }
        if ((f->type == T_INT || f->type == T_BOOL || f->type == T_FLOAT) && !(x >= f->lo && x <= f->hi)) {
            sb_config_get(c, f->key, v, sizeof v);
            snprintf(err, errlen, "%s=%s is out of range %g to %g (%s)", f->key, v, f->lo, f->hi, f->help);
            return -1;
        }
    }
    if (c->width % c->heads) {
        snprintf(err, errlen, "heads=%d does not divide width=%d; pick heads among the divisors of the width", c->heads, c->width);
        return -1;
    }
    int g = c->kv_heads ? c->kv_heads : c->heads;
    if (g > c->heads || c->heads % g) {
        snprintf(err, errlen, "kv_heads=%d must divide heads=%d (1 for multi-query, heads for ordinary attention)", g, c->heads);
        return -1;
    }
    if (c->pos == SB_POS_ROPE && (c->width / c->heads) % 2) {
        snprintf(err, errlen, "pos=rope needs an even head width; width/heads = %d", c->width / c->heads);
        return -1;
    }
    if (c->embed > c->width) {
        snprintf(err, errlen, "embed=%d is larger than width=%d; factorisation needs E <= C", c->embed, c->width);
        return -1;
    }
    int mask = sb_config_factor_mask(c, err, errlen);
    if (mask < 0) return -1;
    /* factors that are not smaller than the matrix save nothing */
    int C = c->width, F = c->ffn, Ckv = g * (c->width / c->heads);
    int outs[6] = { C, Ckv, Ckv, C, F, C }, ins[6] = { C, C, C, C, C, F };
    static const char *const mats[] = { "wq", "wk", "wv", "wo", "w1", "w2" };
    for (int k = 0; k < 6 && c->factor; k++) {
        long most = ((long)outs[k] * ins[k] - 1) / (outs[k] + ins[k]);
        if ((mask >> k & 1) && c->factor > most) {
            snprintf(err, errlen, "factor=%d: %s is %d x %d, and rank %d factors (%ld parameters) are not smaller than the "
                     "matrix (%ld); pick factor at most %ld, or leave %s out of factor_mats", c->factor, mats[k], outs[k], ins[k],
                     c->factor, (long)c->factor * (outs[k] + ins[k]), (long)outs[k] * ins[k], most, mats[k]);
            return -1;
        }
    }
    return 0;
}
