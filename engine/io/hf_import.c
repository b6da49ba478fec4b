/*
** hf_import.c: a transformers GPT-2 or ALBERT directory as a sharebench model
** (see hf.h). The architecture comes from config.json (keys as transformers'
** GPT2Config and AlbertConfig name them), the sharing from ALBERT's layer
** groups (none for GPT-2), the weights from model.safetensors with or without
** the task model's prefix ("transformer.", "albert."), in float32, float16 or
** bfloat16. Anything the engine cannot compute exactly is refused (another
** activation, relative positions, cross-attention) or, for ALBERT's
** masked-LM head, said in the note.
*/
#include "hf.h"
#include "core/model_internal.h"
#include "safetensors.h"
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- config.json ---- */

/* A number of config.json (def when absent or null; -1 with a message when not a number). */
static int num(const cJSON *j, const char *key, double def, double *v, const char *path, char *err, size_t errlen)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!x || cJSON_IsNull(x)) { *v = def; return 0; }
    if (!cJSON_IsNumber(x)) { snprintf(err, errlen, "%s: \"%s\" is not a number", path, key); return -1; }
    *v = x->valuedouble;
    return 0;
}

static const char *str(const cJSON *j, const char *key, const char *def)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsString(x) ? x->valuestring : def;
}

static int flag(const cJSON *j, const char *key, int def)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsBool(x) ? cJSON_IsTrue(x) : def;
}

/* A whole number of config.json in [lo, hi] into *out. */
static int whole(const cJSON *j, const char *key, double def, long lo, long hi, int *out, const char *path, char *err, size_t errlen)
{
    double v;
    if (num(j, key, def, &v, path, err, errlen)) return -1;
    if (v != (double)(long)v || v < lo || v > hi) {
        snprintf(err, errlen, "%s: \"%s\" is %g, expected a whole number from %ld to %ld", path, key, v, lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static cJSON *read_json(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, errlen, "%s: cannot open (a transformers model directory has config.json and model.safetensors)", path); return NULL; }
    char *text = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            char *t = realloc(text, cap = 2 * cap + 8192);
            if (!t || cap > (64u << 20)) { free(t ? t : text); fclose(f); snprintf(err, errlen, "%s: too large for a config", path); return NULL; }
            text = t;
        }
        size_t k = fread(text + n, 1, 4096, f);
        n += k;
        if (k < 4096) break;
    }
    fclose(f);
    text[n] = 0;
    cJSON *j = cJSON_ParseWithLength(text, n);
    free(text);
    if (!cJSON_IsObject(j)) {
        snprintf(err, errlen, "%s: not a JSON object", path);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static int gelu_tanh(const char *act) { return act && (!strcmp(act, "gelu_new") || !strcmp(act, "gelu_pytorch_tanh")); }

/* ---- tensors ---- */

/* IEEE half and bfloat16 to float. */
static float half_to_float(uint16_t h)
{
    uint32_t s = (uint32_t)(h >> 15) << 31, e = h >> 10 & 31, m = h & 1023, bits;
    if (e == 31) bits = s | 0x7f800000u | m << 13;
    else if (e) bits = s | (e + 112) << 23 | m << 13;
    else if (!m) bits = s;
    else {   /* subnormal: normalise */
        e = 113;
        while (!(m & 1024)) m <<= 1, e--;
        bits = s | e << 23 | (m & 1023) << 13;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

typedef struct {
    sb_st_file *f;
    const char *path, *prefix;   /* the weights file, and the prefix its names carry */
    unsigned char *taken;        /* per tensor of the file: read */
} source;

static int source_open(source *s, const char *path, char *err, size_t errlen)
{
    s->path = path;
    s->prefix = "";
    if (!(s->f = sb_st_open(path, err, errlen))) return -1;
    if (!(s->taken = calloc((size_t)sb_st_count(s->f) + 1, 1))) { snprintf(err, errlen, "out of memory"); return -1; }
    return 0;
}

static void source_close(source *s)
{
    sb_st_close(s->f);
    free(s->taken);
}

/* Mark the file's tensor named full as read (those left are reported). */
static void mark(source *s, const char *full)
{
    for (int i = 0; i < sb_st_count(s->f); i++)
        if (!strcmp(sb_st_get(s->f, i)->name, full)) s->taken[i] = 1;
}

/* The tensor named full as floats, checked to be rows x cols (cols 0: a
** vector); a malloc'd buffer, or NULL with a message. */
static float *take_full(source *s, const char *full, long rows, long cols, char *err, size_t errlen)
{
    const sb_st_tensor *t = sb_st_find(s->f, full);
    if (!t) { snprintf(err, errlen, "%s: tensor '%s' is missing", s->path, full); return NULL; }
    if (t->ndim != (cols ? 2 : 1) || t->shape[0] != rows || (cols && t->shape[1] != cols)) {
        char have[64], want[64];
        snprintf(have, sizeof have, t->ndim > 1 ? "%lld,%lld" : "%lld", (long long)t->shape[0], t->ndim > 1 ? (long long)t->shape[1] : 0LL);
        snprintf(want, sizeof want, cols ? "%ld,%ld" : "%ld", rows, cols);
        snprintf(err, errlen, "%s: tensor '%s' has shape [%s], config.json makes it [%s]", s->path, full, have, want);
        return NULL;
    }
    long n = rows * (cols ? cols : 1);
    float *out = malloc(sizeof(float) * (size_t)(n ? n : 1));
    if (!out) { snprintf(err, errlen, "out of memory"); return NULL; }
    const unsigned char *p = t->data;
    for (long i = 0; i < n; i++) {
        if (!strcmp(t->dtype, "F32")) memcpy(&out[i], p + 4 * i, 4);
        else if (!strcmp(t->dtype, "F64")) { double d; memcpy(&d, p + 8 * i, 8); out[i] = (float)d; }
        else if (!strcmp(t->dtype, "F16")) { uint16_t h; memcpy(&h, p + 2 * i, 2); out[i] = half_to_float(h); }
        else if (!strcmp(t->dtype, "BF16")) { uint16_t h; memcpy(&h, p + 2 * i, 2); uint32_t b = (uint32_t)h << 16; memcpy(&out[i], &b, 4); }
        else {
            snprintf(err, errlen, "%s: tensor '%s' is %s; sharebench reads F32, F64, F16 and BF16 weights", s->path, full, t->dtype);
            free(out);
            return NULL;
        }
    }
    mark(s, full);
    return out;
}

/* take_full of name under the file's prefix. */
static float *take(source *s, const char *name, long rows, long cols, char *err, size_t errlen)
{
    char full[192];
    snprintf(full, sizeof full, "%s%s", s->prefix, name);
    return take_full(s, full, rows, cols, err, errlen);
}

/* Put floats into the model's tensor `name` (its table entry must have n values). */
static int set(sb_model *m, const char *name, const float *v, int transpose_rows, char *err, size_t errlen)
{
    int i = sb_model_tensor_find(m, name);
    if (i < 0) { snprintf(err, errlen, "internal: the model has no tensor '%s'", name); return -1; }
    const sb_tensor *t = &m->tensors[i];
    real *p = m->params + t->offset;
    if (transpose_rows) {   /* v is (in, out) = Conv1D's layout of this (out, in) matrix */
        int O = t->shape[0], I = t->shape[1];
        for (int o = 0; o < O; o++)
            for (int k = 0; k < I; k++) p[(long)o * I + k] = v[(long)k * O + o];
    } else {
        for (long k = 0; k < t->numel; k++) p[k] = v[k];
    }
    return 0;
}

/* take + set, the common case; prefixed 0: from is the full name (a head beside the base model). */
static int copy_as(source *s, int prefixed, sb_model *m, const char *from, const char *to, long rows, long cols, int conv, char *err,
                   size_t errlen)
{
    float *v = prefixed ? take(s, from, rows, cols, err, errlen) : take_full(s, from, rows, cols, err, errlen);
    if (!v) return -1;
    int rc = set(m, to, v, conv, err, errlen);
    free(v);
    return rc;
}

static int copy(source *s, sb_model *m, const char *from, const char *to, long rows, long cols, int conv, char *err, size_t errlen)
{
    return copy_as(s, 1, m, from, to, rows, cols, conv, err, errlen);
}

/* ---- GPT-2 ---- */

static int gpt2_config(const cJSON *j, const char *path, sb_config *c, char *err, size_t errlen)
{
    double eps, std;
    const char *act = str(j, "activation_function", "gelu_new");
    if (!gelu_tanh(act)) {
        snprintf(err, errlen, "%s: activation_function '%s': sharebench's GELU is the tanh form (gelu_new, gelu_pytorch_tanh)", path, act);
        return -1;
    }
    if (!flag(j, "scale_attn_weights", 1) || flag(j, "scale_attn_by_inverse_layer_idx", 0) || flag(j, "add_cross_attention", 0)) {
        snprintf(err, errlen, "%s: scale_attn_weights false, scale_attn_by_inverse_layer_idx or add_cross_attention: attention "
                 "sharebench does not compute", path);
        return -1;
    }
    sb_config_default(c);
    c->causal = 1; c->post_ln = 0; c->final_ln = 1; c->pos = SB_POS_LEARNED; c->ln_shared = 0;
    if (whole(j, "vocab_size", 50257, 2, 1 << 24, &c->vocab, path, err, errlen) ||
        whole(j, "n_positions", 1024, 1, 1 << 20, &c->max_len, path, err, errlen) ||
        whole(j, "n_embd", 768, 1, 1 << 16, &c->width, path, err, errlen) ||
        whole(j, "n_layer", 12, 1, SB_MAX_LAYERS, &c->layers, path, err, errlen) ||
        whole(j, "n_head", 12, 1, 4096, &c->heads, path, err, errlen) ||
        whole(j, "n_inner", 4.0 * c->width, 1, 1 << 20, &c->ffn, path, err, errlen) ||
        num(j, "layer_norm_epsilon", 1e-5, &eps, path, err, errlen) || num(j, "initializer_range", 0.02, &std, path, err, errlen))
        return -1;
    c->ln_eps = (float)eps;
    c->init_std = (float)std;
    c->tied = flag(j, "tie_word_embeddings", 1);
    return 0;
}

static int gpt2_weights(source *s, sb_model *m, char *err, size_t errlen)
{
    int C = m->C, F = m->F, V = m->V;
    char from[128], to[64];
    if (copy(s, m, "wte.weight", "embed.tok", V, C, 0, err, errlen) || copy(s, m, "wpe.weight", "embed.pos", m->P, C, 0, err, errlen) ||
        copy(s, m, "ln_f.weight", "final.ln.w", C, 0, 0, err, errlen) || copy(s, m, "ln_f.bias", "final.ln.b", C, 0, 0, err, errlen))
        return -1;
    for (int l = 0; l < m->N; l++) {
        static const char *const lnk[4][2] = { { "ln_1.weight", "ln1.w" }, { "ln_1.bias", "ln1.b" }, { "ln_2.weight", "ln2.w" }, { "ln_2.bias", "ln2.b" } };
        for (int k = 0; k < 4; k++) {
            snprintf(from, sizeof from, "h.%d.%s", l, lnk[k][0]);
            snprintf(to, sizeof to, "layer.%d.%s", l, lnk[k][1]);
            if (copy(s, m, from, to, C, 0, 0, err, errlen)) return -1;
        }
        /* c_attn: (C, 3C), query, key, value side by side */
        snprintf(from, sizeof from, "h.%d.attn.c_attn.weight", l);
        float *w = take(s, from, C, 3L * C, err, errlen), *part = w ? malloc(sizeof(float) * C * C) : NULL;
        snprintf(from, sizeof from, "h.%d.attn.c_attn.bias", l);
        float *b = part ? take(s, from, 3L * C, 0, err, errlen) : NULL;
        int rc = b ? 0 : -1;
        static const char *const qkv[3][2] = { { "attn.%d.wq", "attn.%d.bq" }, { "kv.%d.wk", "kv.%d.bk" }, { "kv.%d.wv", "kv.%d.bv" } };
        for (int k = 0; k < 3 && !rc; k++) {
            for (int i = 0; i < C; i++) memcpy(part + (long)i * C, w + (long)i * 3 * C + (long)k * C, sizeof(float) * C);
            snprintf(to, sizeof to, qkv[k][0], l);
            rc = set(m, to, part, 1, err, errlen);
            snprintf(to, sizeof to, qkv[k][1], l);
            if (!rc) rc = set(m, to, b + (long)k * C, 0, err, errlen);
        }
        free(w); free(part); free(b);
        if (rc) return -1;
        static const struct { const char *hf, *w, *b; int in, out; } conv[] = {
            { "attn.c_proj", "attn.%d.wo", "attn.%d.bo", 0, 0 }, { "mlp.c_fc", "ffn.%d.w1", "ffn.%d.b1", 0, 1 }, { "mlp.c_proj", "ffn.%d.w2", "ffn.%d.b2", 1, 0 },
        };
        for (int k = 0; k < 3; k++) {
            int I = conv[k].in ? F : C, O = conv[k].out ? F : C;
            snprintf(from, sizeof from, "h.%d.%s.weight", l, conv[k].hf);
            snprintf(to, sizeof to, conv[k].w, l);
            if (copy(s, m, from, to, I, O, 1, err, errlen)) return -1;
            snprintf(from, sizeof from, "h.%d.%s.bias", l, conv[k].hf);
            snprintf(to, sizeof to, conv[k].b, l);
            if (copy(s, m, from, to, O, 0, 0, err, errlen)) return -1;
        }
    }
    /* lm_head sits beside the transformer, not in it */
    if (!m->c.tied && copy_as(s, 0, m, "lm_head.weight", "head.w", V, C, 0, err, errlen)) return -1;
    return 0;
}

/* ---- ALBERT ---- */

typedef struct {
    int L, G, inner, pooler, head;   /* head: 1 sharebench's, 2 a masked-LM head's dense layer, 0 none */
} albert_shape;

static int albert_config(const cJSON *j, const char *path, sb_config *c, albert_shape *a, char *err, size_t errlen)
{
    double eps, std;
    const char *act = str(j, "hidden_act", "gelu_new"), *pe = str(j, "position_embedding_type", "absolute");
    if (!gelu_tanh(act)) {
        snprintf(err, errlen, "%s: hidden_act '%s': sharebench's GELU is the tanh form (gelu_new, gelu_pytorch_tanh)%s", path, act,
                 !strcmp(act, "gelu") ? "; ALBERT v2 checkpoints use gelu_new" : "");
        return -1;
    }
    if (strcmp(pe, "absolute")) {
        snprintf(err, errlen, "%s: position_embedding_type '%s': sharebench imports absolute positions", path, pe);
        return -1;
    }
    sb_config_default(c);
    c->causal = 0; c->post_ln = 1; c->final_ln = 0; c->embed_ln = 1; c->pos = SB_POS_LEARNED; c->ln_shared = 1;
    int E;
    if (whole(j, "vocab_size", 30000, 2, 1 << 24, &c->vocab, path, err, errlen) ||
        whole(j, "embedding_size", 128, 1, 1 << 16, &E, path, err, errlen) ||
        whole(j, "hidden_size", 4096, 1, 1 << 16, &c->width, path, err, errlen) ||
        whole(j, "num_hidden_layers", 12, 1, SB_MAX_LAYERS, &a->L, path, err, errlen) ||
        whole(j, "num_hidden_groups", 1, 1, SB_MAX_LAYERS, &a->G, path, err, errlen) ||
        whole(j, "inner_group_num", 1, 1, SB_MAX_LAYERS, &a->inner, path, err, errlen) ||
        whole(j, "num_attention_heads", 64, 1, 4096, &c->heads, path, err, errlen) ||
        whole(j, "intermediate_size", 16384, 1, 1 << 20, &c->ffn, path, err, errlen) ||
        whole(j, "max_position_embeddings", 512, 1, 1 << 20, &c->max_len, path, err, errlen) ||
        whole(j, "type_vocab_size", 2, 1, 1 << 16, &c->type_vocab, path, err, errlen) ||
        num(j, "layer_norm_eps", 1e-12, &eps, path, err, errlen) || num(j, "initializer_range", 0.02, &std, path, err, errlen))
        return -1;
    if (a->L % a->G || a->L * a->inner > SB_MAX_LAYERS) {
        snprintf(err, errlen, "%s: num_hidden_layers %d, num_hidden_groups %d, inner_group_num %d: sharebench takes groups that "
                 "divide the layers, and at most %d depths", path, a->L, a->G, a->inner, SB_MAX_LAYERS);
        return -1;
    }
    if (E > c->width) {
        snprintf(err, errlen, "%s: embedding_size %d is above hidden_size %d", path, E, c->width);
        return -1;
    }
    c->embed = E;
    c->layers = a->L * a->inner;
    c->ln_eps = (float)eps;
    c->init_std = (float)std;
    c->tied = 1;
    /* depth i*inner + k runs layer k of group i / (L / G): the map of those layers */
    int per = a->L / a->G, all = 1, none = 1;
    size_t w = (size_t)snprintf(c->sharing, sizeof c->sharing, "map:");
    for (int d = 0; d < c->layers; d++) {
        int blk = d / a->inner / per * a->inner + d % a->inner;
        all &= blk == 0, none &= blk == d;
        if (w < sizeof c->sharing) w += (size_t)snprintf(c->sharing + w, sizeof c->sharing - w, "%s%d", d ? "," : "", blk);
    }
    if (all) strcpy(c->sharing, "all");
    else if (none) strcpy(c->sharing, "none");
    return 0;
}

static int albert_weights(source *s, source *head, sb_model *m, const albert_shape *a, char *note, size_t notelen, char *err,
                          size_t errlen)
{
    int C = m->C, E = m->E, F = m->F, V = m->V, TV = m->c.type_vocab;
    char from[160], to[64];
    if (copy(s, m, "embeddings.word_embeddings.weight", "embed.tok", V, E, 0, err, errlen) ||
        copy(s, m, "embeddings.position_embeddings.weight", "embed.pos", m->P, E, 0, err, errlen) ||
        (TV && copy(s, m, "embeddings.token_type_embeddings.weight", "embed.type", TV, E, 0, err, errlen)) ||
        copy(s, m, "embeddings.LayerNorm.weight", "embed.ln.w", E, 0, 0, err, errlen) ||
        copy(s, m, "embeddings.LayerNorm.bias", "embed.ln.b", E, 0, 0, err, errlen))
        return -1;
    if (!TV) mark(s, "embeddings.token_type_embeddings.weight"), mark(s, "albert.embeddings.token_type_embeddings.weight");   /* one zero row, dropped */
    if (E < C) {
        if (copy(s, m, "encoder.embedding_hidden_mapping_in.weight", "embed.proj.w", C, E, 0, err, errlen) ||
            copy(s, m, "encoder.embedding_hidden_mapping_in.bias", "embed.proj.b", C, 0, 0, err, errlen))
            return -1;
    } else {
        /* no projection in the engine when E = C: ALBERT's must then be the identity */
        float *w = take(s, "encoder.embedding_hidden_mapping_in.weight", C, E, err, errlen), *b = w ? take(s, "encoder.embedding_hidden_mapping_in.bias", C, 0, err, errlen) : NULL;
        int ident = b != NULL;
        for (long i = 0; ident && i < (long)C * E; i++) ident = w[i] == (i / E == i % E);
        for (int i = 0; ident && i < C; i++) ident = b[i] == 0;
        free(w); free(b);
        if (!b) return -1;
        if (!ident) {
            snprintf(err, errlen, "%s: embedding_size equals hidden_size and embedding_hidden_mapping_in is not the identity: sharebench "
                     "maps embeddings to the width only when embedding_size is smaller", s->path);
            return -1;
        }
    }
    static const struct { const char *hf, *w, *b; int out, in; } lin[] = {
        { "attention.query", "attn.%d.wq", "attn.%d.bq", 0, 0 }, { "attention.key", "kv.%d.wk", "kv.%d.bk", 0, 0 },
        { "attention.value", "kv.%d.wv", "kv.%d.bv", 0, 0 }, { "attention.dense", "attn.%d.wo", "attn.%d.bo", 0, 0 },
        { "ffn", "ffn.%d.w1", "ffn.%d.b1", 1, 0 }, { "ffn_output", "ffn.%d.w2", "ffn.%d.b2", 0, 1 },
    };
    static const char *const lns[4][2] = { { "attention.LayerNorm.weight", "attn.%d.ln.w" }, { "attention.LayerNorm.bias", "attn.%d.ln.b" },
                                           { "full_layer_layer_norm.weight", "ffn.%d.ln.w" }, { "full_layer_layer_norm.bias", "ffn.%d.ln.b" } };
    for (int g = 0; g < a->G; g++)
        for (int k = 0; k < a->inner; k++) {
            int blk = g * a->inner + k;
            for (int j = 0; j < 6; j++) {
                int O = lin[j].out ? F : C, I = lin[j].in ? F : C;
                snprintf(from, sizeof from, "encoder.albert_layer_groups.%d.albert_layers.%d.%s.weight", g, k, lin[j].hf);
                snprintf(to, sizeof to, lin[j].w, blk);
                if (copy(s, m, from, to, O, I, 0, err, errlen)) return -1;
                snprintf(from, sizeof from, "encoder.albert_layer_groups.%d.albert_layers.%d.%s.bias", g, k, lin[j].hf);
                snprintf(to, sizeof to, lin[j].b, blk);
                if (copy(s, m, from, to, O, 0, 0, err, errlen)) return -1;
            }
            for (int j = 0; j < 4; j++) {
                snprintf(from, sizeof from, "encoder.albert_layer_groups.%d.albert_layers.%d.%s", g, k, lns[j][0]);
                snprintf(to, sizeof to, lns[j][1], blk);
                if (copy(s, m, from, to, C, 0, 0, err, errlen)) return -1;
            }
        }
    if (a->pooler && (copy(s, m, "pooler.weight", "pooler.w", C, C, 0, err, errlen) || copy(s, m, "pooler.bias", "pooler.b", C, 0, 0, err, errlen)))
        return -1;
    /* the head: sharebench's own (export-hf wrote it), else a masked-LM head's dense layer */
    if (E < C && a->head == 1 &&
        (copy(head, m, "head.proj.weight", "head.proj.w", E, C, 0, err, errlen) || copy(head, m, "head.proj.bias", "head.proj.b", E, 0, 0, err, errlen)))
        return -1;
    if (a->head == 2 && E < C) {
        if (copy_as(s, 0, m, "predictions.dense.weight", "head.proj.w", E, C, 0, err, errlen) ||
            copy_as(s, 0, m, "predictions.dense.bias", "head.proj.b", E, 0, 0, err, errlen))
            return -1;
        snprintf(note, notelen, "the masked-LM head's dense layer became the head's projection; its GELU, LayerNorm and output bias "
                 "have no counterpart in sharebench's head: its logits differ until fine-tuned");
    } else if (a->head == 0) {
        snprintf(note, notelen, "no head in the directory (AlbertModel alone): the head%s keeps its initial values",
                 E < C ? "'s projection" : "");
    }
    return 0;
}

/* ---- the directory ---- */

sb_model *sb_hf_import(const char *dir, int B, int T, char *note, size_t notelen, char *err, size_t errlen)
{
    char cpath[4200], wpath[4200], hpath[4200];
    snprintf(cpath, sizeof cpath, "%s/config.json", dir);
    snprintf(wpath, sizeof wpath, "%s/model.safetensors", dir);
    snprintf(hpath, sizeof hpath, "%s/sharebench_head.safetensors", dir);
    note[0] = 0;
    cJSON *j = read_json(cpath, err, errlen);
    if (!j) return NULL;
    sb_config c;
    albert_shape a = { 0 };
    const char *type = str(j, "model_type", "");
    int gpt2 = !strcmp(type, "gpt2"), rc;
    if (!gpt2 && strcmp(type, "albert")) {
        snprintf(err, errlen, "%s: model_type '%s': sharebench imports gpt2 and albert", cpath, type);
        cJSON_Delete(j);
        return NULL;
    }
    rc = gpt2 ? gpt2_config(j, cpath, &c, err, errlen) : albert_config(j, cpath, &c, &a, err, errlen);
    const cJSON *sb = cJSON_GetObjectItemCaseSensitive(j, "sharebench");
    int pooled0 = sb ? flag(sb, "pooled_position_0", 0) : -1;
    cJSON_Delete(j);
    if (rc) return NULL;
    if (access(wpath, R_OK)) {
        char idx[4300], bin[4300];
        snprintf(idx, sizeof idx, "%s.index.json", wpath);
        snprintf(bin, sizeof bin, "%s/pytorch_model.bin", dir);
        snprintf(err, errlen, "%s: cannot read it%s", wpath,
                 !access(idx, R_OK) ? ": the model is sharded (model.safetensors.index.json); sharebench reads one model.safetensors"
                 : !access(bin, R_OK) ? ": only pytorch_model.bin is there; save the model again with save_pretrained(dir) from transformers 4.35 or later (safetensors)"
                                      : "");
        return NULL;
    }
    source s = { 0 }, h = { 0 };
    sb_model *m = NULL;
    if (source_open(&s, wpath, err, errlen)) goto fail;
    const char *pre = gpt2 ? "transformer." : "albert.", *probe = gpt2 ? "transformer.wte.weight" : "albert.embeddings.word_embeddings.weight";
    if (sb_st_find(s.f, probe)) s.prefix = pre;
    if (!gpt2) {
        char full[96];
        snprintf(full, sizeof full, "%spooler.weight", s.prefix);
        /* a pooler: as export-hf says, else when the directory has one */
        c.pooler = a.pooler = pooled0 >= 0 ? pooled0 : sb_st_find(s.f, full) != NULL;
        if (!a.pooler) {
            mark(&s, full);   /* export-hf's zero pooler of a model without one */
            snprintf(full, sizeof full, "%spooler.bias", s.prefix);
            mark(&s, full);
        }
        if (!access(hpath, R_OK) && source_open(&h, hpath, err, errlen)) goto fail;
        a.head = h.f ? 1 : sb_st_find(s.f, "predictions.dense.weight") ? 2 : 0;
        if (h.f && sb_st_find(h.f, "head.weight")) c.tied = 0;
        /* one token type whose row is all zero adds nothing: no type table */
        snprintf(full, sizeof full, "%sembeddings.token_type_embeddings.weight", s.prefix);
        const sb_st_tensor *tt = sb_st_find(s.f, full);
        if (c.type_vocab == 1 && tt && !strcmp(tt->dtype, "F32") && tt->ndim == 2) {
            int zero = 1;
            for (long i = 0; i < 4 * tt->shape[0] * tt->shape[1] && zero; i++) zero = !((const unsigned char *)tt->data)[i];
            if (zero) c.type_vocab = 0;
        }
        if (c.embed == c.width) c.embed = 0;
    }
    char inner[SB_ERR_LEN];
    sb_sharing sh;
    if (sb_sharing_resolve(&c, &sh, inner, sizeof inner)) {
        snprintf(err, errlen, "%s: the architecture does not make a sharebench model: %s", cpath, inner);
        goto fail;
    }
    if (!(m = sb_model_create(&c, B, T < c.max_len ? T : c.max_len, 1, 0, err, errlen))) goto fail;
    rc = gpt2 ? gpt2_weights(&s, m, err, errlen) : albert_weights(&s, &h, m, &a, note, notelen, err, errlen);
    if (rc) goto fail;
    if (!c.tied && !gpt2 && copy(&h, m, "head.weight", "head.w", m->V, m->C, 0, err, errlen)) goto fail;
    int unused = 0;
    for (int i = 0; i < sb_st_count(s.f); i++) unused += !s.taken[i];
    if (unused) {
        /* buffers (attn.bias) and task heads (predictions, sop_classifier): said, not refused */
        size_t w = strlen(note);
        int shown = 0;
        if (w < notelen) w += (size_t)snprintf(note + w, notelen - w, "%s%d tensors of %s not used (", w ? "; " : "", unused, wpath);
        for (int i = 0; i < sb_st_count(s.f) && w < notelen; i++)
            if (!s.taken[i] && shown++ < 3) w += (size_t)snprintf(note + w, notelen - w, "%s%s", shown > 1 ? ", " : "", sb_st_get(s.f, i)->name);
        if (w < notelen) snprintf(note + w, notelen - w, "%s)", unused > 3 ? ", ..." : "");
    }
    source_close(&s);
    source_close(&h);
    return m;
fail:
    sb_model_free(m);
    source_close(&s);
    source_close(&h);
    return NULL;
}
