/*
** checkpoint.c: map a model's tensor table onto safetensors (see checkpoint.h).
**
** Compressed checkpoints store a block matrix in the smallest of four forms:
** dense float, "NAME"; sparse float, "NAME.mask" (U8, bit i of byte i/8, low
** bit first, set where the entry is nonzero) with "NAME.values" the nonzero
** values in order; int8, "NAME.qweight" (I8 codes, shape of the matrix) with
** "NAME.scale" (F32, one per row) and "NAME.act_scale" (F32, the activation
** scales: 1, or one per depth for act=depth, none for dynamic); sparse int8,
** the mask with "NAME.qvalues", the nonzero codes. The first format kept the
** values and codes under "NAME" itself; the loader takes both formats (and
** plain checkpoints), checks each piece against the others and the model, and
** names file and tensor.
*/
#include "checkpoint.h"
#include "safetensors.h"
#include "compress/quant.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_META 96
#define FORMAT 2            /* sharebench.format of the files written */

static void map_text(const int *map, int n, char *out, size_t len)
{
    size_t w = 0;
    out[0] = 0;
    for (int i = 0; i < n && w < len; i++) w += snprintf(out + w, len - w, "%s%d", i ? "," : "", map[i]);
}

/* The metadata every file carries (format, content, configuration, maps, the
** caller's extra pairs) into keys/values; returns the count. */
static int build_meta(const sb_model *m, const char *content, const char *const *extra, char (*keys)[64],
                      char (*values)[SB_SPEC_LEN + 32], sb_st_meta *meta)
{
    int nmeta = 0;
    const sb_config *c = sb_model_config(m);
    const sb_sharing *sh = sb_model_sharing(m);
    snprintf(keys[nmeta], 64, "format");
    snprintf(values[nmeta++], SB_SPEC_LEN + 32, "pt");
    snprintf(keys[nmeta], 64, "sharebench.format");
    snprintf(values[nmeta++], SB_SPEC_LEN + 32, "%d", FORMAT);
    snprintf(keys[nmeta], 64, "sharebench.content");
    snprintf(values[nmeta++], SB_SPEC_LEN + 32, "%s", content);
    for (const char *const *k = sb_config_keys(); *k && nmeta < MAX_META - 8; k++, nmeta++) {
        snprintf(keys[nmeta], 64, "sharebench.config.%s", *k);
        sb_config_get(c, *k, values[nmeta], SB_SPEC_LEN + 32);
    }
    const int *maps[3] = { sh->attn, sh->ffn, sh->kv };
    const char *mapk[3] = { "sharebench.sharing.attn", "sharebench.sharing.ffn", "sharebench.sharing.kv" };
    for (int i = 0; i < 3; i++, nmeta++) {
        snprintf(keys[nmeta], 64, "%s", mapk[i]);
        map_text(maps[i], sh->layers, values[nmeta], SB_SPEC_LEN + 32);
    }
    for (int i = 0; extra && extra[i] && extra[i + 1] && nmeta < MAX_META; i += 2, nmeta++) {
        snprintf(keys[nmeta], 64, "%s", extra[i]);
        snprintf(values[nmeta], SB_SPEC_LEN + 32, "%s", extra[i + 1]);
    }
    for (int i = 0; i < nmeta; i++) { meta[i].key = keys[i]; meta[i].value = values[i]; }
    return nmeta;
}

/* Write tensors k of the model's table (k: 0 weights, 1 and 2 the moments of o)
** with the metadata of content and extra. */
static int save_table(const char *path, const sb_model *m, const sb_adamw *o, const char *const *extra, char *err, size_t errlen)
{
    int nt = sb_model_tensor_count(m), nout = o ? 2 * nt : nt;
    sb_st_tensor *ts = calloc((size_t)nout, sizeof *ts);
    char (*names)[64] = calloc((size_t)nout, sizeof *names);
    char (*values)[SB_SPEC_LEN + 32] = calloc(MAX_META, sizeof *values);
    char (*keys)[64] = calloc(MAX_META, sizeof *keys);
    sb_st_meta meta[MAX_META];
    if (!ts || !names || !values || !keys) {
        free(ts); free(names); free(values); free(keys);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    const real *p = sb_model_params((sb_model *)m);
    for (int k = 0; k < (o ? 2 : 1); k++)
        for (int i = 0; i < nt; i++) {
            const sb_tensor *t = sb_model_tensor(m, i);
            sb_st_tensor *s = &ts[k * nt + i];
            snprintf(names[k * nt + i], 64, "%s%s", t->name, !o ? "" : k == 0 ? ".exp_avg" : ".exp_avg_sq");
            s->name = names[k * nt + i];
            s->dtype = SB_DTYPE_NAME;
            s->ndim = t->ndim;
            s->shape[0] = t->shape[0];
            s->shape[1] = t->shape[1];
            s->data = (!o ? p : k == 0 ? o->m : o->v) + t->offset;
        }
    int nmeta = build_meta(m, o ? "optimizer" : "weights", extra, keys, values, meta);
    int rc = sb_st_write(path, ts, nout, meta, nmeta, err, errlen);
    free(ts); free(names); free(values); free(keys);
    return rc;
}

int sb_checkpoint_save(const char *path, const sb_model *m, const char *const *extra, char *err, size_t errlen)
{
    return save_table(path, m, NULL, extra, err, errlen);
}

int sb_checkpoint_save_optim(const char *path, const sb_model *m, const sb_adamw *o, char *err, size_t errlen)
{
    char step[32];
    snprintf(step, sizeof step, "%d", o->t);
    const char *extra[] = { "sharebench.optimizer", "adamw", "sharebench.optim.step", step, NULL };
    return save_table(path, m, o, extra, err, errlen);
}

/* Append a tensor to a list being written; name is copied into names. */
static sb_st_tensor *add_out(sb_st_tensor *ts, char (*names)[64], int *n, const char *name, const char *suffix, const char *dtype,
                             int ndim, long d0, long d1, const void *data)
{
    sb_st_tensor *s = &ts[*n];
    snprintf(names[*n], 64, "%s%s", name, suffix);
    *s = (sb_st_tensor){ .name = names[*n], .dtype = dtype, .ndim = ndim, .shape = { d0, d1 }, .data = data };
    (*n)++;
    return s;
}

/* The block matrices (the tensors pruning and quantisation act on). */
static int block_matrix(const sb_tensor *t)
{
    return t->ndim == 2 && t->block >= 0 && (t->comp == SB_COMP_ATTN || t->comp == SB_COMP_KV || t->comp == SB_COMP_FFN);
}

int sb_checkpoint_save_compressed(const char *path, const sb_model *m, const char *const *extra, char *err, size_t errlen)
{
    int nt = sb_model_tensor_count(m), nout = 0, nbuf = 0, N = sb_model_config(m)->layers;
    sb_st_tensor *ts = calloc((size_t)4 * nt, sizeof *ts);
    char (*names)[64] = calloc((size_t)4 * nt, sizeof *names);
    void **bufs = calloc((size_t)4 * nt, sizeof *bufs);
    char (*values)[SB_SPEC_LEN + 32] = calloc(MAX_META, sizeof *values);
    char (*keys)[64] = calloc(MAX_META, sizeof *keys);
    sb_st_meta meta[MAX_META];
    int rc = -1;
    if (!ts || !names || !bufs || !values || !keys) { snprintf(err, errlen, "%s: out of memory", path); goto out; }
    const real *p = sb_model_params((sb_model *)m);
    for (int i = 0; i < nt; i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        const real *w = p + t->offset;
        int8_t *codes = NULL;
        float *scale = NULL, *act = NULL;
        int n_act = 0, q = 0;
        if (block_matrix(t)) {
            codes = malloc((size_t)t->numel);
            scale = malloc(sizeof *scale * t->shape[0]);
            act = malloc(sizeof *act * N);
            bufs[nbuf++] = codes; bufs[nbuf++] = scale; bufs[nbuf++] = act;
            if (!codes || !scale || !act) { snprintf(err, errlen, "%s: out of memory", path); goto out; }
            q = sb_quant_get(m, i, codes, scale, act, &n_act) == 0;
        }
        long nnz = 0;
        for (long j = 0; j < t->numel; j++) nnz += q ? codes[j] != 0 : w[j] != 0;
        long esize = q ? 1 : (long)sizeof(real), dense = t->numel * esize, sparse = (t->numel + 7) / 8 + nnz * esize;
        if (block_matrix(t) && sparse < dense) {
            uint8_t *mask = calloc((size_t)(t->numel + 7) / 8, 1);
            char *vals = malloc((size_t)(nnz ? nnz : 1) * esize);
            bufs[nbuf++] = mask; bufs[nbuf++] = vals;
            if (!mask || !vals) { snprintf(err, errlen, "%s: out of memory", path); goto out; }
            long k = 0;
            for (long j = 0; j < t->numel; j++)
                if (q ? codes[j] != 0 : w[j] != 0) {
                    mask[j / 8] |= (uint8_t)(1u << (j % 8));
                    memcpy(vals + k * esize, q ? (const void *)(codes + j) : (const void *)(w + j), (size_t)esize);
                    k++;
                }
            add_out(ts, names, &nout, t->name, q ? ".qvalues" : ".values", q ? "I8" : SB_DTYPE_NAME, 1, nnz, 0, vals);
            add_out(ts, names, &nout, t->name, ".mask", "U8", 1, (t->numel + 7) / 8, 0, mask);
        } else {
            add_out(ts, names, &nout, t->name, q ? ".qweight" : "", q ? "I8" : SB_DTYPE_NAME, t->ndim, t->shape[0], t->shape[1],
                    q ? (const void *)codes : (const void *)w);
        }
        if (q) {
            add_out(ts, names, &nout, t->name, ".scale", "F32", 1, t->shape[0], 0, scale);
            if (n_act) add_out(ts, names, &nout, t->name, ".act_scale", "F32", 1, n_act, 0, act);
        }
    }
    int nmeta = build_meta(m, "weights", extra, keys, values, meta);
    if (sb_quant_act(m) >= 0 && nmeta < MAX_META) {
        snprintf(keys[nmeta], 64, "sharebench.quant.act");
        snprintf(values[nmeta], SB_SPEC_LEN + 32, "%s", sb_qact_names[sb_quant_act(m)]);
        meta[nmeta].key = keys[nmeta];
        meta[nmeta].value = values[nmeta];
        nmeta++;
    }
    rc = sb_st_write(path, ts, nout, meta, nmeta, err, errlen);
out:
    for (int i = 0; bufs && i < nbuf; i++) free(bufs[i]);
    free(ts); free(names); free(bufs); free(values); free(keys);
    return rc;
}

/* The format of an open file, checked against what it must hold (want:
** "weights" or "optimizer"): FORMAT, 1 for the first format, or -1 with a message. */
static int file_format(const sb_st_file *f, const char *path, const char *want, char *err, size_t errlen)
{
    const char *fmt = sb_st_meta_get(f, "format"), *ver = sb_st_meta_get(f, "sharebench.format");
    const char *content = sb_st_meta_get(f, "sharebench.content");
    if (fmt && !strcmp(fmt, "sharebench-1")) {
        if (!strcmp(want, "optimizer") && !sb_st_meta_get(f, "optim.step")) {
            snprintf(err, errlen, "%s: holds no optimizer state (a first-format checkpoint saved without it)", path);
            return -1;
        }
        return 1;
    }
    if (!ver) {
        snprintf(err, errlen, "%s: not a sharebench checkpoint (its metadata has no 'sharebench.format'%s)", path,
                 sb_st_find(f, "wte.weight") || sb_st_find(f, "transformer.wte.weight") || sb_st_find(f, "embeddings.word_embeddings.weight") ||
                 sb_st_find(f, "albert.embeddings.word_embeddings.weight")
                     ? "; it looks like a Hugging Face model: sharebench import-hf DIR FILE converts GPT-2 and ALBERT" : "");
        return -1;
    }
    char *end;
    long v = strtol(ver, &end, 10);
    if (*end || end == ver || v < 2 || v > FORMAT) {
        snprintf(err, errlen, "%s: sharebench.format '%s': this sharebench reads formats 1 to %d (a newer sharebench wrote it?)", path, ver,
                 FORMAT);
        return -1;
    }
    if (!content || strcmp(content, want)) {
        snprintf(err, errlen, "%s: holds %s, not %s%s", path, content ? content : "nothing named in 'sharebench.content'",
                 !strcmp(want, "weights") ? "a model's weights" : "optimizer state",
                 content && !strcmp(content, "optimizer") ? " (the weights are in the file --save wrote; this is --save-optim's)"
                 : content && !strcmp(content, "weights") ? " (the optimizer state is in the file --save-optim wrote)" : "");
        return -1;
    }
    return (int)v;
}

/* The configuration in an open file of format version. */
static int read_config(const sb_st_file *f, const char *path, int version, sb_config *c, char *err, size_t errlen)
{
    sb_config_default(c);
    for (const char *const *k = sb_config_keys(); *k; k++) {
        char key[80], inner[SB_ERR_LEN], def[SB_SPEC_LEN + 32];
        snprintf(key, sizeof key, "%sconfig.%s", version == 1 ? "" : "sharebench.", *k);
        const char *v = sb_st_meta_get(f, key);
        sb_config_get(c, *k, def, sizeof def);
        if (!v && sb_config_key_default(*k, def)) continue;   /* a key newer than the file: its default */
        if (!v) { snprintf(err, errlen, "%s: metadata key '%s' is missing", path, key); return -1; }
        if (sb_config_set(c, *k, v, inner, sizeof inner)) { snprintf(err, errlen, "%s: metadata %s", path, inner); return -1; }
    }
    char inner[SB_ERR_LEN];
    sb_sharing sh;
    if (sb_sharing_resolve(c, &sh, inner, sizeof inner)) {
        snprintf(err, errlen, "%s: configuration does not validate: %s", path, inner);
        return -1;
    }
    return 0;
}

/* Open path, check its format and content, read its configuration and check
** it against m's when m is given. The file, *version set; NULL with a message. */
static sb_st_file *open_checked(const char *path, const char *want, const sb_model *m, sb_config *c, int *version, char *err,
                                size_t errlen)
{
    sb_st_file *f = sb_st_open(path, err, errlen);
    if (!f) return NULL;
    if ((*version = file_format(f, path, want, err, errlen)) < 0 || read_config(f, path, *version, c, err, errlen)) {
        sb_st_close(f);
        return NULL;
    }
    if (m && sb_config_hash(c) != sb_config_hash(sb_model_config(m))) {
        snprintf(err, errlen, "%s: saved with a different configuration than the model it is loaded into", path);
        sb_st_close(f);
        return NULL;
    }
    return f;
}

int sb_checkpoint_config(const char *path, sb_config *c, char *err, size_t errlen)
{
    int version;
    sb_st_file *f = open_checked(path, "weights", NULL, c, &version, err, errlen);
    sb_st_close(f);
    return f ? 0 : -1;
}

int sb_checkpoint_optim_config(const char *path, sb_config *c, char *err, size_t errlen)
{
    int version;
    sb_st_file *f = open_checked(path, "optimizer", NULL, c, &version, err, errlen);
    sb_st_close(f);
    return f ? 0 : -1;
}

static void shape_text(char *out, size_t len, int ndim, const int64_t *shape)
{
    out[0] = 0;
    for (int d = 0; d < ndim && d < 4; d++) snprintf(out + strlen(out), len - strlen(out), "%s%lld", d ? "," : "", (long long)shape[d]);
}

/* int8 state of one tensor as read, installed once everything has been checked. */
typedef struct {
    int8_t *codes;
    float *scale, *act;
    int n_act;
} qread;

static void qread_free(qread *q)
{
    free(q->codes); free(q->scale); free(q->act);
    memset(q, 0, sizeof *q);
}

/* A small F32 vector "name" of n values (n < 0: any length, returned in *n). */
static const sb_st_tensor *take_f32(const sb_st_file *f, const char *path, const char *name, long *n, char *err, size_t errlen)
{
    const sb_st_tensor *s = sb_st_find(f, name);
    if (!s) { snprintf(err, errlen, "%s: tensor '%s' is missing", path, name); return NULL; }
    if (strcmp(s->dtype, "F32") || s->ndim != 1 || (*n >= 0 && s->shape[0] != *n)) {
        char have[64];
        shape_text(have, sizeof have, s->ndim, s->shape);
        snprintf(err, errlen, "%s: tensor '%s' is %s [%s], expected F32 [%ld]", path, name, s->dtype, have, *n);
        return NULL;
    }
    *n = (long)s->shape[0];
    return s;
}

/* Read the stored tensor `name` into dst after checking everything about it:
** dense in this build's float type, or, when compressed is allowed and t is a
** block matrix, sparse (name.mask) and/or int8 (name.scale, name.act_scale),
** whose codes and scales go to q (dst gets their dequantised values); the
** values and codes under the names of the file's format (version 1: "name"
** itself). *pieces gets the number of file tensors it used. */
static int take_tensor(const sb_st_file *f, int version, const char *path, const char *name, const sb_tensor *t, real *dst,
                       int compressed, qread *q, int *pieces, char *err, size_t errlen)
{
    char mname[96], nm[96];
    snprintf(mname, sizeof mname, "%s.mask", name);
    const sb_st_tensor *s = sb_st_find(f, name), *mk = sb_st_find(f, mname);
    int i8 = s && !strcmp(s->dtype, "I8");
    if (version != 1) {
        /* each form under its own name: the dense tensor, or int8 codes, sparse values, sparse codes */
        static const char *const suffix[] = { "", ".qweight", ".values", ".qvalues" };
        int form = s ? 0 : -1;
        for (int k = 1; k < 4; k++) {
            snprintf(nm, sizeof nm, "%s%s", name, suffix[k]);
            const sb_st_tensor *x = sb_st_find(f, nm);
            if (!x) continue;
            if (form >= 0) {
                snprintf(err, errlen, "%s: tensor '%s' is stored twice ('%s%s' and '%s')", path, name, name, suffix[form], nm);
                return -1;
            }
            s = x, form = k;
        }
        i8 = form == 1 || form == 3;
        if (s && (mk != NULL) != (form >= 2)) {
            snprintf(err, errlen, "%s: tensor '%s%s': %s", path, name, suffix[form],
                     mk ? "a mask goes with sparse values (.values or .qvalues), not a dense tensor" : "sparse values need their mask");
            return -1;
        }
        if (s && strcmp(s->dtype, i8 ? "I8" : SB_DTYPE_NAME)) {
            snprintf(err, errlen, "%s: tensor '%s%s' is %s, expected %s", path, name, suffix[form], s->dtype, i8 ? "I8" : SB_DTYPE_NAME);
            return -1;
        }
    }
    if (!s) { snprintf(err, errlen, "%s: tensor '%s' is missing", path, name); return -1; }
    int block = t->ndim == 2 && t->block >= 0 && (t->comp == SB_COMP_ATTN || t->comp == SB_COMP_KV || t->comp == SB_COMP_FFN);
    if (!i8 && strcmp(s->dtype, SB_DTYPE_NAME)) {
        snprintf(err, errlen, "%s: tensor '%s' is %s, this build reads %s (or I8 with its scales)", path, name, s->dtype, SB_DTYPE_NAME);
        return -1;
    }
    if ((i8 || mk) && (!compressed || !block)) {
        snprintf(err, errlen, "%s: tensor '%s' is stored %s, which only block matrices' weights may be", path, name,
                 i8 ? "as int8" : "sparse (it has a mask)");
        return -1;
    }
    long numel = t->numel, nnz = numel, esize = i8 ? 1 : (long)sizeof(real);
    *pieces = 1;
    if (mk) {
        if (strcmp(mk->dtype, "U8") || mk->ndim != 1 || mk->shape[0] != (numel + 7) / 8) {
            snprintf(err, errlen, "%s: tensor '%s' must be U8 [%ld] (a bit per entry of %s)", path, mname, (numel + 7) / 8, name);
            return -1;
        }
        const uint8_t *bits = mk->data;   /* bytes: any alignment is fine */
        nnz = 0;
        for (long j = 0; j < numel; j++) nnz += bits[j / 8] >> (j % 8) & 1;
        if (numel % 8 && bits[numel / 8] >> (numel % 8)) {
            snprintf(err, errlen, "%s: tensor '%s' has bits set past the %ld entries of %s", path, mname, numel, name);
            return -1;
        }
        if (s->ndim != 1 || s->shape[0] != nnz) {
            char have[64];
            shape_text(have, sizeof have, s->ndim, s->shape);
            snprintf(err, errlen, "%s: tensor '%s' has shape [%s], its mask keeps %ld entries", path, name, have, nnz);
            return -1;
        }
        (*pieces)++;
    } else {
        int same = s->ndim == t->ndim;
        for (int d = 0; d < t->ndim && same; d++) same = s->shape[d] == t->shape[d];
        if (!same) {
            char have[64] = "", want[64] = "";
            shape_text(have, sizeof have, s->ndim, s->shape);
            for (int d = 0; d < t->ndim; d++) snprintf(want + strlen(want), sizeof want - strlen(want), "%s%d", d ? "," : "", t->shape[d]);
            snprintf(err, errlen, "%s: tensor '%s' has shape [%s], the model expects [%s]", path, name, have, want);
            return -1;
        }
    }
    const sb_st_tensor *sc = NULL, *ac = NULL;
    long O = t->shape[0], n_act = -1;
    if (i8) {
        snprintf(nm, sizeof nm, "%s.scale", name);
        if (!(sc = take_f32(f, path, nm, &O, err, errlen))) return -1;
        snprintf(nm, sizeof nm, "%s.act_scale", name);
        if (sb_st_find(f, nm) && !(ac = take_f32(f, path, nm, &n_act, err, errlen))) return -1;
        *pieces += 1 + (ac != NULL);
        q->codes = malloc((size_t)numel);
        q->scale = malloc(sizeof *q->scale * O);
        q->act = malloc(sizeof *q->act * (ac ? n_act : 1));
        if (!q->codes || !q->scale || !q->act) { snprintf(err, errlen, "%s: out of memory", path); return -1; }
        memcpy(q->scale, sc->data, sizeof *q->scale * O);
        if (ac) memcpy(q->act, ac->data, sizeof *q->act * n_act);
        q->n_act = ac ? (int)n_act : 0;
    }
    /* the values, expanded from the mask when sparse; data may be unaligned: memcpy */
    const char *v = s->data;
    for (long j = 0, k = 0; j < numel; j++) {
        int kept = !mk || (((const uint8_t *)mk->data)[j / 8] >> (j % 8) & 1);
        if (i8) {
            int8_t c = kept ? (int8_t)v[k * esize] : 0;
            q->codes[j] = c;
            dst[j] = (real)((float)c * q->scale[j / t->shape[1]]);
        } else if (kept) {
            memcpy(dst + j, v + k * esize, (size_t)esize);
        } else {
            dst[j] = 0;
        }
        k += kept;
    }
    return 0;
}

int sb_checkpoint_check(const char *path, char *err, size_t errlen)
{
    sb_config c;
    if (sb_checkpoint_config(path, &c, err, errlen)) return -1;
    /* loaded, as a run loads it, into the smallest model of its configuration
    ** (batch 1, length 1): the same checks, and no others to keep in step */
    sb_model *m = sb_model_create(&c, 1, 1, 1, 0, err, errlen);
    if (!m) return -1;
    int rc = sb_checkpoint_load(path, m, err, errlen);
    sb_model_free(m);
    return rc;
}

int sb_checkpoint_load(const char *path, sb_model *m, char *err, size_t errlen)
{
    sb_config c;
    int version;
    sb_st_file *f = open_checked(path, "weights", m, &c, &version, err, errlen);
    if (!f) return -1;
    long n = sb_model_n_params(m);
    int nt = sb_model_tensor_count(m), pieces = 0, nq = 0, act = -1;
    const char *qkey = version == 1 ? "quant.act" : "sharebench.quant.act", *qact = sb_st_meta_get(f, qkey);
    real *buf = malloc(sizeof(real) * n * 2);   /* the new values, then the old parameters */
    qread *qs = calloc((size_t)nt, sizeof *qs);
    int rc = buf && qs ? 0 : -1;
    if (rc) snprintf(err, errlen, "%s: out of memory", path);
    for (int a = 0; qact && a < SB_QACT_COUNT; a++)
        if (!strcmp(qact, sb_qact_names[a])) act = a;
    if (!rc && qact && act < 0) {
        snprintf(err, errlen, "%s: metadata %s is '%s', not block, depth or dynamic", path, qkey, qact);
        rc = -1;
    }
    for (int i = 0; i < nt && !rc; i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        int used = 0;
        rc = take_tensor(f, version, path, t->name, t, buf + t->offset, 1, &qs[i], &used, err, errlen);
        pieces += used;
        nq += qs[i].codes != NULL;
        if (!rc && qs[i].codes && act < 0) {
            snprintf(err, errlen, "%s: tensor '%s' is int8 but the metadata has no %s", path, t->name, qkey);
            rc = -1;
        }
    }
    /* a first-format checkpoint may hold the moments too */
    int stored = pieces + (version == 1 && sb_st_meta_get(f, "optim.step") ? 2 * nt : 0);
    if (!rc && sb_st_count(f) != stored) {
        snprintf(err, errlen, "%s: has %d tensors, the model's %d tensors make %d", path, sb_st_count(f), nt, stored);
        rc = -1;
    }
    if (!rc && act >= 0 && !nq) {
        snprintf(err, errlen, "%s: metadata %s is set but no tensor is int8", path, qkey);
        rc = -1;
    }
    if (!rc) {
        real *old = buf + n;
        memcpy(old, sb_model_params(m), sizeof(real) * n);
        memcpy(sb_model_params(m), buf, sizeof(real) * n);
        sb_quant_drop(m);
        char inner[SB_ERR_LEN] = "";
        for (int i = 0; i < nt && !rc; i++)
            if (qs[i].codes) rc = sb_quant_install(m, act, i, qs[i].codes, qs[i].scale, qs[i].act, qs[i].n_act, inner, sizeof inner);
        if (!rc && nq) rc = sb_quant_install_done(m, inner, sizeof inner);
        if (rc) {
            snprintf(err, errlen, "%s: %s", path, inner);
            sb_quant_drop(m);
            memcpy(sb_model_params(m), old, sizeof(real) * n);
        }
    }
    for (int i = 0; qs && i < nt; i++) qread_free(&qs[i]);
    free(qs);
    free(buf);
    sb_st_close(f);
    return rc;
}

int sb_checkpoint_load_optim(const char *path, const sb_model *m, sb_adamw *o, char *err, size_t errlen)
{
    sb_config c;
    int version;
    if (o->n != sb_model_n_params(m)) {
        snprintf(err, errlen, "%s: the optimizer has %ld moments, the model %ld parameters", path, o->n, sb_model_n_params(m));
        return -1;
    }
    sb_st_file *f = open_checked(path, "optimizer", m, &c, &version, err, errlen);
    if (!f) return -1;
    long n = o->n, step;
    int nt = sb_model_tensor_count(m), rc = 0;
    const char *skey = version == 1 ? "optim.step" : "sharebench.optim.step", *st = sb_st_meta_get(f, skey);
    char *end = NULL;
    step = st ? strtol(st, &end, 10) : -1;
    if (!st || *end || end == st || step < 0 || step > 2000000000L) {
        snprintf(err, errlen, "%s: metadata %s is '%s', expected the steps taken (a whole number)", path, skey, st ? st : "missing");
        rc = -1;
    }
    real *buf = rc ? NULL : malloc(sizeof(real) * n * 2);
    if (!rc && !buf) { snprintf(err, errlen, "%s: out of memory", path); rc = -1; }
    for (int k = 0; k < 2 && !rc; k++)
        for (int i = 0; i < nt && !rc; i++) {
            const sb_tensor *t = sb_model_tensor(m, i);
            char name[96];
            int used;
            qread none = { 0 };
            if (version == 1) snprintf(name, sizeof name, "optim.%c.%s", k ? 'v' : 'm', t->name);
            else snprintf(name, sizeof name, "%s.%s", t->name, k ? "exp_avg_sq" : "exp_avg");
            rc = take_tensor(f, version, path, name, t, buf + k * n + t->offset, 0, &none, &used, err, errlen);
        }
    if (!rc && version != 1 && sb_st_count(f) != 2 * nt) {
        snprintf(err, errlen, "%s: has %d tensors, the model's %d tensors make %d", path, sb_st_count(f), nt, 2 * nt);
        rc = -1;
    }
    if (!rc) {
        memcpy(o->m, buf, sizeof(real) * n);
        memcpy(o->v, buf + n, sizeof(real) * n);
        o->t = (int)step;
    }
    free(buf);
    sb_st_close(f);
    return rc;
}
