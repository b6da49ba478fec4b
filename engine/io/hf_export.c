/*
** hf_export.c: a model as a transformers directory (see hf.h). Each depth's
** weights are read as the forward uses them (its block's matrices, with
** per-depth corrections applied, factors multiplied, LayerScale folded into
** the output projections), then written in the family's names and layouts.
*/
#include "hf.h"
#include "core/model_internal.h"
#include "compress/quant.h"
#include "safetensors.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sb_hf_family(const sb_model *m, char *err, size_t errlen)
{
    const sb_config *c = &m->c;
    const char *gpt = "GPT-2", *albert = "ALBERT";
    const char *fam = c->causal ? gpt : albert;
#define REFUSE(...) do { int n_ = snprintf(err, errlen, __VA_ARGS__); (void)n_; return -1; } while (0)
    if (c->causal && c->post_ln)
        REFUSE("causal=1 with post_ln=1: transformers' decoders here (GPT-2) are pre-LN; there is no post-LN causal family to export to");
    if (!c->causal && !c->post_ln)
        REFUSE("causal=0 with post_ln=0: transformers' encoders here (ALBERT) are post-LN; a pre-LN encoder has no counterpart");
    if (c->pos != SB_POS_LEARNED)
        REFUSE("pos=%s: %s has learned absolute positions only", c->pos == SB_POS_ROPE ? "rope" : c->pos == SB_POS_RELBIAS ? "relbias" : "none", fam);
    if (c->layer_pos_bias) REFUSE("layer_pos_bias=1: %s has no per-layer position bias", fam);
    if ((c->kv_heads ? c->kv_heads : c->heads) != c->heads)
        REFUSE("kv_heads=%d with heads=%d: %s has as many key/value heads as query heads", c->kv_heads, c->heads, fam);
    if (m->sh.kv_share > 1)
        REFUSE("sharing '%s': kv_share lets a depth reuse another's keys and values; %s computes them at every layer", c->sharing, fam);
    if (m->sh.v_share > 1)
        REFUSE("sharing '%s': v_share lets a depth reuse another's values; %s computes them at every layer", c->sharing, fam);
    if (m->sh.attn_reuse > 1)
        REFUSE("sharing '%s': attn_reuse lets a depth reuse another's attention map; %s computes one at every layer", c->sharing, fam);
    if (m->sh.yoco >= 0)
        REFUSE("sharing '%s': yoco's upper half attends with one global key/value cache%s; %s computes keys and values at every "
               "layer over all positions", c->sharing, m->sh.yoco > 0 ? " and its lower half through a sliding window" : "", fam);
    if (m->sh.lckv >= 0)
        REFUSE("sharing '%s': lckv's condensed layers attend to the top one's keys and values of earlier positions; %s computes "
               "keys and values at every layer", c->sharing, fam);
    if (m->sh.progressive)
        REFUSE("sharing '%s': a progressive model still to merge; export the trained model (after the merge)", c->sharing);
    if (m->sh.mor)
        REFUSE("sharing '%s': Mixture-of-Recursions routes each token through its own number of recursions; %s runs every layer "
               "for every token", c->sharing, fam);
    if (m->sh.loops > 1)
        REFUSE("sharing '%s': a looped model adds its prelude's output at each loop's start; %s has no input injection", c->sharing, fam);
    if (m->q) REFUSE("an int8 model: %s runs in float; export the float checkpoint the run trained (--save without quant)", fam);
    if (c->causal) {
        if (!c->final_ln) REFUSE("final_ln=0: GPT-2 ends with a LayerNorm (ln_f)");
        if (c->embed && c->embed != c->width) REFUSE("embed=%d with width=%d: GPT-2 has no factorised embeddings", c->embed, c->width);
        if (c->type_vocab) REFUSE("type_vocab=%d: GPT-2 has no token-type table (it reuses the token embeddings)", c->type_vocab);
        if (c->embed_ln) REFUSE("embed_ln=1: GPT-2 has no LayerNorm on the embeddings");
        if (c->pooler) REFUSE("pooler=1: GPT-2 has no pooler");
        return SB_HF_GPT2;
    }
    if (c->final_ln) REFUSE("final_ln=1: ALBERT has no LayerNorm after its post-LN layers");
    if (!c->embed_ln) REFUSE("embed_ln=0: ALBERT normalises its embeddings (a LayerNorm of width embed)");
    return SB_HF_ALBERT;
#undef REFUSE
}

/* ---- a depth's weights, as its forward uses them ---- */

/* Depth l's matrix k (out, in) into w (float) and its bias into b: the dense
** matrix (or this depth's effective one: lowrank, hyper), or U Vt of a
** factorised one; wo and w2 times the depth's LayerScale, which multiplies
** their output. */
static void depth_matrix(const sb_model *m, int l, int k, float *w, float *b)
{
    const layer_view *p = &m->lp[l];
    int O = sb_mat_out(m, k), I = sb_mat_in(m, k), R = m->Rf;
    const real *ls = k == M_WO ? p->ls1 : k == M_W2 ? p->ls2 : NULL;
    for (int o = 0; o < O; o++) {
        double s = ls ? (double)ls[o] : 1;
        for (int i = 0; i < I; i++) {
            double x;
            if (p->w[k]) {
                x = p->w[k][(long)o * I + i];
            } else {
                x = 0;
                for (int r = 0; r < R; r++) x += (double)p->u[k][(long)o * R + r] * p->vt[k][(long)r * I + i];
            }
            w[(long)o * I + i] = (float)(s * x);
        }
        b[o] = (float)(s * p->b[k][o]);
    }
}

static void to_float(float *dst, const real *src, long n)
{
    for (long i = 0; i < n; i++) dst[i] = (float)src[i];
}

/* One depth's weights in one buffer: the six matrices and their biases, then
** the two LayerNorms. Depths that hold the same bytes are the same layer. */
typedef struct {
    long off_w[M_COUNT], off_b[M_COUNT], off_ln, size;
} layer_layout;

static void layout_of(const sb_model *m, layer_layout *L)
{
    long o = 0;
    for (int k = 0; k < M_COUNT; k++) {
        L->off_w[k] = o;
        o += (long)sb_mat_out(m, k) * sb_mat_in(m, k);
        L->off_b[k] = o;
        o += sb_mat_out(m, k);
    }
    L->off_ln = o;
    L->size = o + 4L * m->C;
}

static void depth_weights(const sb_model *m, const layer_layout *L, int l, float *buf)
{
    const layer_view *p = &m->lp[l];
    for (int k = 0; k < M_COUNT; k++) depth_matrix(m, l, k, buf + L->off_w[k], buf + L->off_b[k]);
    to_float(buf + L->off_ln, p->ln1w, m->C);
    to_float(buf + L->off_ln + m->C, p->ln1b, m->C);
    to_float(buf + L->off_ln + 2L * m->C, p->ln2w, m->C);
    to_float(buf + L->off_ln + 3L * m->C, p->ln2b, m->C);
}

/* ---- writing ---- */

/* Tensors being assembled: names and buffers owned here. */
typedef struct {
    sb_st_tensor *t;
    char (*names)[96];
    float **bufs;
    int n, cap, oom;
} tlist;

/* A new tensor of d0 x d1 floats (d1 = 0: a vector) named fmt; its buffer, or NULL. */
static float *add(tlist *L, long d0, long d1, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static float *add(tlist *L, long d0, long d1, const char *fmt, ...)
{
    if (L->oom) return NULL;
    if (L->n == L->cap) {
        int cap = L->cap ? 2 * L->cap : 64;
        void *a = realloc(L->t, sizeof *L->t * cap), *b = a ? realloc(L->names, sizeof *L->names * cap) : NULL,
             *c = b ? realloc(L->bufs, sizeof *L->bufs * cap) : NULL;
        if (a) L->t = a;
        if (b) L->names = b;
        if (c) L->bufs = c;
        if (!c) { L->oom = 1; return NULL; }
        L->cap = cap;
    }
    float *buf = malloc(sizeof(float) * (size_t)d0 * (d1 ? d1 : 1));
    if (!buf) { L->oom = 1; return NULL; }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(L->names[L->n], sizeof L->names[L->n], fmt, ap);
    va_end(ap);
    L->bufs[L->n] = buf;
    L->t[L->n] = (sb_st_tensor){ .name = L->names[L->n], .dtype = "F32", .ndim = d1 ? 2 : 1, .shape = { d0, d1 }, .data = buf };
    L->n++;
    return buf;
}

static void tlist_free(tlist *L)
{
    for (int i = 0; i < L->n; i++) free(L->bufs[i]);
    free(L->t); free(L->names); free(L->bufs);
    memset(L, 0, sizeof *L);
}

/* Copy a model tensor (by table index) into a new output tensor. */
static void put(tlist *L, const sb_model *m, int ti, const char *name)
{
    const sb_tensor *t = &m->tensors[ti];
    float *b = add(L, t->shape[0], t->ndim == 2 ? t->shape[1] : 0, "%s", name);
    if (b) to_float(b, m->params + t->offset, t->numel);
}

/* out (I, O) = w^T for w (O, I): Linear's layout to Conv1D's. */
static void transpose(float *out, const float *w, int O, int I)
{
    for (int o = 0; o < O; o++)
        for (int i = 0; i < I; i++) out[(long)i * O + o] = w[(long)o * I + i];
}

static int write_json(const char *dir, const char *file, cJSON *j, char *err, size_t errlen)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    char *text = cJSON_Print(j);
    FILE *f = text ? fopen(tmp, "w") : NULL;
    int bad = !f || fputs(text, f) < 0 || fputc('\n', f) < 0 || fflush(f) || fsync(fileno(f));
    if (f && fclose(f)) bad = 1;
    cJSON_free(text);
    if (bad || rename(tmp, path)) {
        snprintf(err, errlen, "%s: cannot write: %s", path, text ? strerror(errno) : "out of memory");
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* A float as the shortest text that reads back as it (1e-05, not 9.99999974737875e-06). */
static void add_float(cJSON *j, const char *key, float v)
{
    char text[32];
    sb_format_float(text, sizeof text, v);
    cJSON_AddItemToObject(j, key, cJSON_CreateRaw(text));
}

/* The provenance block every config.json carries under "sharebench". */
static cJSON *provenance(const sb_model *m, const char *source, const char *note)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "source", source ? source : "");
    cJSON_AddStringToObject(s, "sharing", m->c.sharing);
    cJSON_AddNumberToObject(s, "depth", m->N);
    cJSON_AddStringToObject(s, "note", note);
    return s;
}

static int export_gpt2(sb_model *m, const char *dir, const char *source, char *err, size_t errlen)
{
    const sb_config *c = &m->c;
    int C = m->C, F = m->F, N = m->N;
    tlist L = { 0 };
    float *w = malloc(sizeof(float) * (size_t)C * (F > C ? F : C)), *b = malloc(sizeof(float) * (F > C ? F : C));
    put(&L, m, m->t_tok, "transformer.wte.weight");
    put(&L, m, m->t_pos, "transformer.wpe.weight");
    for (int l = 0; l < N && w && b && !L.oom; l++) {
        const layer_view *p = &m->lp[l];
        float *x;
        if ((x = add(&L, C, 0, "transformer.h.%d.ln_1.weight", l))) to_float(x, p->ln1w, C);
        if ((x = add(&L, C, 0, "transformer.h.%d.ln_1.bias", l))) to_float(x, p->ln1b, C);
        float *qkv = add(&L, C, 3L * C, "transformer.h.%d.attn.c_attn.weight", l), *qkvb = add(&L, 3L * C, 0, "transformer.h.%d.attn.c_attn.bias", l);
        for (int k = M_WQ; k <= M_WV && qkv && qkvb; k++) {
            /* Conv1D (in, out): row i holds input i's weights to q, then k, then v */
            depth_matrix(m, l, k, w, b);
            for (int o = 0; o < C; o++)
                for (int i = 0; i < C; i++) qkv[(long)i * 3 * C + (long)k * C + o] = w[(long)o * C + i];
            memcpy(qkvb + (long)k * C, b, sizeof(float) * C);
        }
        static const struct { int k; const char *name; } convs[] = { { M_WO, "attn.c_proj" }, { M_W1, "mlp.c_fc" }, { M_W2, "mlp.c_proj" } };
        for (int j = 0; j < 3; j++) {
            int k = convs[j].k, O = sb_mat_out(m, k), I = sb_mat_in(m, k);
            depth_matrix(m, l, k, w, b);
            if ((x = add(&L, I, O, "transformer.h.%d.%s.weight", l, convs[j].name))) transpose(x, w, O, I);
            if ((x = add(&L, O, 0, "transformer.h.%d.%s.bias", l, convs[j].name))) memcpy(x, b, sizeof(float) * O);
        }
        if ((x = add(&L, C, 0, "transformer.h.%d.ln_2.weight", l))) to_float(x, p->ln2w, C);
        if ((x = add(&L, C, 0, "transformer.h.%d.ln_2.bias", l))) to_float(x, p->ln2b, C);
    }
    put(&L, m, m->t_lnf_w, "transformer.ln_f.weight");
    put(&L, m, m->t_lnf_b, "transformer.ln_f.bias");
    if (!c->tied) put(&L, m, m->t_head_w, "lm_head.weight");   /* tied: transformers ties lm_head to wte itself */
    free(w);
    free(b);
    int rc = -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    const sb_st_meta meta[] = { { "format", "pt" } };
    if (L.oom || !w || !b) snprintf(err, errlen, "out of memory for the exported weights");
    else rc = sb_st_write(path, L.t, L.n, meta, 1, err, errlen);
    tlist_free(&L);
    if (rc) return -1;

    cJSON *j = cJSON_CreateObject(), *arch = cJSON_AddArrayToObject(j, "architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString("GPT2LMHeadModel"));
    cJSON_AddStringToObject(j, "model_type", "gpt2");
    cJSON_AddNumberToObject(j, "vocab_size", m->V);
    cJSON_AddNumberToObject(j, "n_positions", m->P);
    cJSON_AddNumberToObject(j, "n_embd", C);
    cJSON_AddNumberToObject(j, "n_layer", N);
    cJSON_AddNumberToObject(j, "n_head", m->NH);
    cJSON_AddNumberToObject(j, "n_inner", F);
    cJSON_AddStringToObject(j, "activation_function", "gelu_new");
    add_float(j, "layer_norm_epsilon", c->ln_eps);
    add_float(j, "initializer_range", c->init_std);
    cJSON_AddNumberToObject(j, "resid_pdrop", 0);
    cJSON_AddNumberToObject(j, "embd_pdrop", 0);
    cJSON_AddNumberToObject(j, "attn_pdrop", 0);
    cJSON_AddBoolToObject(j, "scale_attn_weights", 1);
    cJSON_AddBoolToObject(j, "scale_attn_by_inverse_layer_idx", 0);
    cJSON_AddBoolToObject(j, "reorder_and_upcast_attn", 0);
    cJSON_AddBoolToObject(j, "tie_word_embeddings", c->tied);
    cJSON_AddNullToObject(j, "bos_token_id");
    cJSON_AddNullToObject(j, "eos_token_id");
    cJSON_AddStringToObject(j, "dtype", "float32");
    char note[256];
    snprintf(note, sizeof note, "%d depths of %d unique attention and %d feed-forward blocks, unrolled to one GPT-2 layer per depth",
             N, m->sh.n_attn, m->sh.n_ffn);
    cJSON_AddItemToObject(j, "sharebench", provenance(m, source, note));
    rc = write_json(dir, "config.json", j, err, errlen);
    cJSON_Delete(j);
    return rc;
}

/* ALBERT's layer groups for per-depth layer ids: depth i*inner + k runs layer
** k of group i / (L / G), L = N / inner. The (G, inner) with the fewest
** layers that reproduces every depth; G = N, inner = 1 always does. */
static void albert_groups(const int *id, int N, int *G_out, int *inner_out)
{
    int bestG = N, bestI = 1;
    for (int inner = 1; inner <= N; inner++) {
        if (N % inner) continue;
        int L = N / inner;
        for (int G = 1; G <= L; G++) {
            if (L % G || G * inner >= bestG * bestI) continue;
            int ok = 1, per = L / G;
            for (int d = 0; d < N && ok; d++) {
                int i = d / inner, k = d % inner, first = (i / per) * per * inner + k;
                ok = id[d] == id[first];
            }
            if (ok) bestG = G, bestI = inner;
        }
    }
    *G_out = bestG, *inner_out = bestI;
}

static int export_albert(sb_model *m, const char *dir, const char *source, int *layers_out, char *err, size_t errlen)
{
    const sb_config *c = &m->c;
    int C = m->C, E = m->E, F = m->F, N = m->N, id[SB_MAX_LAYERS], nuniq = 0, rc = -1;
    layer_layout LL;
    layout_of(m, &LL);
    float *uniq[SB_MAX_LAYERS] = { 0 }, *tmp = malloc(sizeof(float) * LL.size);
    tlist L = { 0 };
    char path[4200];
    /* the distinct layers, by their bytes */
    for (int d = 0; d < N && tmp; d++) {
        depth_weights(m, &LL, d, tmp);
        id[d] = -1;
        for (int u = 0; u < nuniq && id[d] < 0; u++)
            if (!memcmp(uniq[u], tmp, sizeof(float) * LL.size)) id[d] = u;
        if (id[d] < 0) {
            id[d] = nuniq;
            uniq[nuniq++] = tmp;
            tmp = malloc(sizeof(float) * LL.size);
        }
    }
    if (!tmp) { snprintf(err, errlen, "out of memory for the exported weights"); goto out; }
    int G, inner;
    albert_groups(id, N, &G, &inner);
    int per = N / inner / G;
    float *x;
    put(&L, m, m->t_tok, "embeddings.word_embeddings.weight");
    put(&L, m, m->t_pos, "embeddings.position_embeddings.weight");
    if (m->t_type >= 0) put(&L, m, m->t_type, "embeddings.token_type_embeddings.weight");
    else if ((x = add(&L, 1, E, "embeddings.token_type_embeddings.weight"))) memset(x, 0, sizeof(float) * E);   /* one type, adding 0 */
    put(&L, m, m->t_eln_w, "embeddings.LayerNorm.weight");
    put(&L, m, m->t_eln_b, "embeddings.LayerNorm.bias");
    if (m->t_eproj_w >= 0) {
        put(&L, m, m->t_eproj_w, "encoder.embedding_hidden_mapping_in.weight");
        put(&L, m, m->t_eproj_b, "encoder.embedding_hidden_mapping_in.bias");
    } else {
        /* ALBERT always maps E to H: with E = H, the identity */
        if ((x = add(&L, C, E, "encoder.embedding_hidden_mapping_in.weight")))
            for (long i = 0; i < (long)C * E; i++) x[i] = i / E == i % E;
        if ((x = add(&L, C, 0, "encoder.embedding_hidden_mapping_in.bias"))) memset(x, 0, sizeof(float) * C);
    }
    static const struct { int k; const char *name; } lin[] = {
        { M_WQ, "attention.query" }, { M_WK, "attention.key" }, { M_WV, "attention.value" }, { M_WO, "attention.dense" },
        { M_W1, "ffn" }, { M_W2, "ffn_output" },
    };
    for (int g = 0; g < G; g++)
        for (int k = 0; k < inner; k++) {
            const float *src = uniq[id[g * per * inner + k]];
            char pre[96];
            snprintf(pre, sizeof pre, "encoder.albert_layer_groups.%d.albert_layers.%d", g, k);
            for (int j = 0; j < 6; j++) {
                int mk = lin[j].k, O = sb_mat_out(m, mk), I = sb_mat_in(m, mk);
                if ((x = add(&L, O, I, "%s.%s.weight", pre, lin[j].name))) memcpy(x, src + LL.off_w[mk], sizeof(float) * O * I);
                if ((x = add(&L, O, 0, "%s.%s.bias", pre, lin[j].name))) memcpy(x, src + LL.off_b[mk], sizeof(float) * O);
            }
            if ((x = add(&L, C, 0, "%s.attention.LayerNorm.weight", pre))) memcpy(x, src + LL.off_ln, sizeof(float) * C);
            if ((x = add(&L, C, 0, "%s.attention.LayerNorm.bias", pre))) memcpy(x, src + LL.off_ln + C, sizeof(float) * C);
            if ((x = add(&L, C, 0, "%s.full_layer_layer_norm.weight", pre))) memcpy(x, src + LL.off_ln + 2L * C, sizeof(float) * C);
            if ((x = add(&L, C, 0, "%s.full_layer_layer_norm.bias", pre))) memcpy(x, src + LL.off_ln + 3L * C, sizeof(float) * C);
        }
    if (m->t_pool_w >= 0) {
        put(&L, m, m->t_pool_w, "pooler.weight");
        put(&L, m, m->t_pool_b, "pooler.bias");
    } else {
        /* AlbertModel always has a pooler; sharebench's model has none, so its output is unused */
        if ((x = add(&L, C, C, "pooler.weight"))) memset(x, 0, sizeof(float) * C * C);
        if ((x = add(&L, C, 0, "pooler.bias"))) memset(x, 0, sizeof(float) * C);
    }
    const sb_st_meta meta[] = { { "format", "pt" } };
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (L.oom) { snprintf(err, errlen, "out of memory for the exported weights"); goto out; }
    if (sb_st_write(path, L.t, L.n, meta, 1, err, errlen)) goto out;
    tlist_free(&L);
    /* sharebench's head, which AlbertMLMHead is not */
    if (m->t_hproj_w >= 0) {
        put(&L, m, m->t_hproj_w, "head.proj.weight");
        put(&L, m, m->t_hproj_b, "head.proj.bias");
    }
    if (m->t_head_w >= 0) put(&L, m, m->t_head_w, "head.weight");
    snprintf(path, sizeof path, "%s/sharebench_head.safetensors", dir);
    if (L.oom) { snprintf(err, errlen, "out of memory for the exported weights"); goto out; }
    if (sb_st_write(path, L.t, L.n, meta, 1, err, errlen)) goto out;

    cJSON *j = cJSON_CreateObject(), *arch = cJSON_AddArrayToObject(j, "architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString("AlbertModel"));
    cJSON_AddStringToObject(j, "model_type", "albert");
    cJSON_AddNumberToObject(j, "vocab_size", m->V);
    cJSON_AddNumberToObject(j, "embedding_size", E);
    cJSON_AddNumberToObject(j, "hidden_size", C);
    cJSON_AddNumberToObject(j, "num_hidden_layers", N / inner);
    cJSON_AddNumberToObject(j, "num_hidden_groups", G);
    cJSON_AddNumberToObject(j, "inner_group_num", inner);
    cJSON_AddNumberToObject(j, "num_attention_heads", m->NH);
    cJSON_AddNumberToObject(j, "intermediate_size", F);
    cJSON_AddStringToObject(j, "hidden_act", "gelu_new");
    cJSON_AddNumberToObject(j, "hidden_dropout_prob", 0);
    cJSON_AddNumberToObject(j, "attention_probs_dropout_prob", 0);
    cJSON_AddNumberToObject(j, "classifier_dropout_prob", 0);
    cJSON_AddNumberToObject(j, "max_position_embeddings", m->P);
    cJSON_AddNumberToObject(j, "type_vocab_size", c->type_vocab ? c->type_vocab : 1);
    add_float(j, "initializer_range", c->init_std);
    add_float(j, "layer_norm_eps", c->ln_eps);
    cJSON_AddStringToObject(j, "position_embedding_type", "absolute");
    cJSON_AddStringToObject(j, "dtype", "float32");
    char note[512];
    snprintf(note, sizeof note, "%d depths, %d distinct layers kept as %d group%s of %d; logits = (h @ head.proj.weight^T + "
             "head.proj.bias) @ embeddings.word_embeddings.weight^T, h being last_hidden_state%s (sharebench_head.safetensors; "
             "head.weight instead when untied)", N, nuniq, G, G > 1 ? "s" : "", inner,
             c->pooler ? " with position 0 replaced by pooler_output" : "");
    cJSON *prov = provenance(m, source, note);
    cJSON_AddBoolToObject(prov, "pooled_position_0", c->pooler);
    cJSON_AddBoolToObject(prov, "tied", c->tied);
    cJSON_AddItemToObject(j, "sharebench", prov);
    rc = write_json(dir, "config.json", j, err, errlen);
    cJSON_Delete(j);
    *layers_out = G * inner;
out:
    tlist_free(&L);
    for (int u = 0; u < nuniq; u++) free(uniq[u]);
    free(tmp);
    return rc;
}

int sb_hf_export(sb_model *m, const char *dir, const char *source, int *layers_out, char *err, size_t errlen)
{
    int fam = sb_hf_family(m, err, errlen);
    if (fam < 0) return -1;
    if (mkdir(dir, 0777) && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create the directory: %s", dir, strerror(errno));
        return -1;
    }
    if (m->eff) sb_model_materialise(m);   /* lowrank, hyper: each depth's own weights */
    *layers_out = m->N;
    return fam == SB_HF_GPT2 ? export_gpt2(m, dir, source, err, errlen) : export_albert(m, dir, source, layers_out, err, errlen);
}
