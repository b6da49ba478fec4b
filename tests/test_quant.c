/*
** test_quant.c: int8 quantisation (engine/compress/int8.c, engine/compress/quant.c) and
** compressed checkpoints (engine/io/checkpoint.c).
**
** The int8 kernel's integer sums equal a direct computation exactly, on the
** VNNI path and the portable one alike, one row or several at once, at sizes
** that need padding; the
** dequantised product is within the quantisation error bound of the float
** product, |y - y8| <= s_x/2 sum|w| + s_w/2 sum|x8| (plus float rounding).
** A quantised model quantises each unique tensor once: K calibrations for K
** unique blocks per sublayer (N per sublayer with per-depth activation
** scales); its loss stays close to the float model's, decoding with the
** key/value cache matches its full forward, and its float weights are the
** dequantised codes. Compressed checkpoints (int8, sparse, sparse int8,
** factorised) round-trip bit for bit, are smaller, and malformed ones are
** refused with the file and tensor named, leaving the model as it was.
*/
#include "testmodel.h"
#include "compress/int8.h"
#include "compress/quant.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "core/kvcache.h"
#include <sys/stat.h>
#include <unistd.h>

static char dir[96];

static int setup(void **state) { (void)state; return test_tmpdir_make(dir, sizeof dir, "quant"); }
static int teardown(void **state) { (void)state; return test_tmpdir_remove(dir); }

/* ------------------------------------------------------------- the kernel */

static void kernel_bound(void **state)
{
    (void)state;
    static const int dims[][2] = { { 37, 45 }, { 16, 4 }, { 64, 512 }, { 5, 3 } };
    sb_rng r, r8;
    sb_rng_seed(&r, 1, "kernel");
    sb_rng_seed(&r8, 2, "rows");
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
        int O = dims[d][0], I = dims[d][1], O16 = sb_q8_rows(O);
        float *w = malloc(sizeof(float) * O * I), *sw = malloc(sizeof(float) * O);
        real *x = malloc(sizeof(real) * I);
        int8_t *q = malloc((size_t)O * I), *packed = malloc((size_t)O16 * sb_q8_cols(I)), *back = malloc((size_t)O * I);
        uint8_t *xq = malloc((size_t)sb_q8_cols(I));
        int32_t *acc = malloc(sizeof(int32_t) * O16), *acc2 = malloc(sizeof(int32_t) * O16);
        for (int i = 0; i < O * I; i++) w[i] = (float)(0.1 * sb_rng_normal(&r));
        for (int i = 0; i < I; i++) x[i] = (real)sb_rng_normal(&r);
        for (int o = 0; o < O; o++) {
            float mx = 0;
            for (int i = 0; i < I; i++) mx = fabsf(w[o * I + i]) > mx ? fabsf(w[o * I + i]) : mx;
            sw[o] = mx / 127;
            for (int i = 0; i < I; i++) q[o * I + i] = (int8_t)lrint(w[o * I + i] / sw[o]);
        }
        sb_q8_pack(packed, q, O, I);
        sb_q8_unpack(back, packed, O, I);
        assert_memory_equal(back, q, (size_t)O * I);
        float mx = 0;
        for (int i = 0; i < I; i++) mx = fabsf((float)x[i]) > mx ? fabsf((float)x[i]) : mx;
        float sx = mx / 127;
        assert_int_equal(sb_q8_quantise_row(xq, x, I, sx), 0);
        for (int i = I; i < sb_q8_cols(I); i++) assert_int_equal(xq[i], 128);
        sb_q8_gemv(acc, packed, xq, O, I, 1);
        sb_q8_gemv_portable(acc2, packed, xq, O, I);
        assert_memory_equal(acc, acc2, sizeof(int32_t) * O);
        /* several rows at once (a multiple of four and a remainder): the same sums as one row at a time */
        enum { NR = 7 };
        uint8_t *x4 = malloc((size_t)NR * sb_q8_cols(I));
        int32_t *a4 = malloc(sizeof(int32_t) * NR * O16), *one = malloc(sizeof(int32_t) * O16);
        for (int r = 0; r < NR; r++)
            for (int i = 0; i < sb_q8_cols(I); i++) x4[r * sb_q8_cols(I) + i] = r ? (uint8_t)sb_rng_below(&r8, 256) : xq[i];
        sb_q8_gemm(a4, O16, packed, x4, sb_q8_cols(I), NR, O, I);
        for (int r = 0; r < NR; r++) {
            sb_q8_gemv_portable(one, packed, x4 + r * sb_q8_cols(I), O, I);
            assert_memory_equal(a4 + r * O16, one, sizeof(int32_t) * O);
        }
        free(x4); free(a4); free(one);
        double worst = 0, mean = 0;
        for (int o = 0; o < O; o++) {
            long exact = 0, rowsum = 0;
            double y = 0, sumw = 0, sumx8 = 0, sumwx = 0;
            for (int i = 0; i < I; i++) {
                exact += (long)q[o * I + i] * xq[i];
                rowsum += q[o * I + i];
                y += (double)w[o * I + i] * x[i];
                sumw += fabs(w[o * I + i]);
                sumx8 += fabs((xq[i] - 128.0) * sx);
                sumwx += fabs(w[o * I + i] * x[i]);
            }
            assert_int_equal(acc[o], exact);
            double y8 = (double)(float)(acc[o] - 128 * rowsum) * ((double)sx * sw[o]);
            double bound = sx / 2 * sumw + sw[o] / 2 * sumx8 + 1e-5 * sumwx;
            if (!(fabs(y - y8) <= bound)) print_error("%dx%d row %d: float %.8g, int8 %.8g, bound %.3g\n", O, I, o, y, y8, bound);
            assert_true(fabs(y - y8) <= bound);
            worst = fmax(worst, fabs(y - y8) / bound);
            mean += fabs(y - y8) / O;
        }
        assert_true(mean > 0);         /* it is quantised: not the float product */
        assert_true(worst < 1);
        free(w); free(sw); free(x); free(q); free(packed); free(back); free(xq); free(acc); free(acc2);
    }
    if (!sb_q8_fast()) fprintf(stderr, "(this CPU has no AVX-512 VNNI: only the portable path ran)\n");
}

static void quantise_row(void **state)
{
    (void)state;
    real x[7] = { 0.5, 1.5, -0.5, -2.5, 300, -300, 127.49 };
    uint8_t xq[8];
    /* round half to even, clip to +-127, shift by 128 */
    assert_int_equal(sb_q8_quantise_row(xq, x, 7, 1.0f), 2);
    const int want[8] = { 128, 130, 128, 126, 255, 1, 255, 128 };
    for (int i = 0; i < 8; i++) assert_int_equal(xq[i], want[i]);
}

/* ------------------------------------------------------------ the model */

enum { B = 3, T = 7 };

static void cfg(sb_config *c, const char *sharing)
{
    sb_config_default(c);
    c->vocab = 17; c->max_len = 8; c->width = 16; c->layers = 4; c->heads = 2; c->ffn = 24;
    snprintf(c->sharing, sizeof c->sharing, "%s", sharing);
}

static sb_model *make(const sb_config *c, uint64_t seed) { return test_model_perturbed(c, B, T, seed, 0.1); }

static void batch(int *tok, int *tgt, uint64_t seed) { test_batch(tok, tgt, B * T, 17, seed, 0); }

/* Calibrate on two batches and quantise. */
static void quantise(sb_model *m, int act, sb_quant_stats *st)
{
    char err[SB_ERR_LEN] = "";
    int tok[B * T], tgt[B * T];
    assert_int_equal(sb_quant_begin(m, act, err, sizeof err), 0);
    for (int k = 0; k < 2; k++) {
        batch(tok, tgt, 100 + k);
        sb_model_forward(m, tok, NULL, tgt, NULL, B, T);
    }
    int rc = sb_quant_finish(m, st, err, sizeof err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
}

static void calibrations(void **state)
{
    (void)state;
    static const struct { const char *sharing; int act, blocks[3], calib, per_layer; } cases[] = {
        { "cycle:2", SB_QACT_BLOCK, { 2, 2, 2 }, 6, 12 },
        { "cycle:2", SB_QACT_DEPTH, { 2, 2, 2 }, 12, 12 },
        { "all", SB_QACT_BLOCK, { 1, 1, 1 }, 3, 12 },
        { "none", SB_QACT_BLOCK, { 4, 4, 4 }, 12, 12 },
        { "all+kv_share:2", SB_QACT_BLOCK, { 1, 1, 1 }, 3, 10 },
        { "all", SB_QACT_DYNAMIC, { 1, 1, 1 }, 3, 12 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sb_config c;
        cfg(&c, cases[i].sharing);
        sb_model *m = make(&c, 3);
        sb_quant_stats st;
        quantise(m, cases[i].act, &st);
        for (int p = 0; p < 3; p++) assert_int_equal(st.blocks[p], cases[i].blocks[p]);
        assert_int_equal(st.calibrations, cases[i].calib);
        assert_int_equal(st.calibrations_per_layer, cases[i].per_layer);
        assert_int_equal(st.tensors, 2 * (st.blocks[0] + st.blocks[1] + st.blocks[2]));
        assert_int_equal(st.clipped, 0);
        assert_true(st.weight_error > 0 && st.weight_error < 0.02);
        /* int8 codes with scales: a little over a quarter of the float bytes */
        assert_true(st.bytes_int8 < st.bytes_float / 2);
        sb_model_free(m);
    }
}

static void quantised_model(void **state)
{
    (void)state;
    static const char *const sharings[] = { "cycle:2", "all+kv_share:2", "none" };
    for (int s = 0; s < 3; s++)
        for (int act = 0; act < SB_QACT_COUNT; act++) {
            sb_config c;
            cfg(&c, sharings[s]);
            if (s == 2) { c.factor = 3; strcpy(c.factor_mats, "ffn,wq"); }   /* factorised matrices: two int8 products */
            sb_model *m = make(&c, 5);
            int tok[B * T], tgt[B * T];
            batch(tok, tgt, 7);
            double lf = sb_model_forward(m, tok, NULL, tgt, NULL, B, T);
            quantise(m, act, NULL);
            assert_true(sb_quant_active(m));
            double l8 = sb_model_forward(m, tok, NULL, tgt, NULL, B, T);
            if (!(fabs(l8 - lf) < 0.02 * lf)) print_error("%s act=%s: float loss %.6f, int8 %.6f\n", sharings[s], sb_qact_names[act], lf, l8);
            assert_true(fabs(l8 - lf) < 0.02 * lf);
            assert_true(l8 != lf);
            /* the portable kernel gives the same model outputs, bit for bit */
            real *p8 = malloc(sizeof(real) * B * T * 17);
            memcpy(p8, sb_model_probs(m), sizeof(real) * B * T * 17);
            sb_q8_set_portable(1);
            assert_true(sb_model_forward(m, tok, NULL, tgt, NULL, B, T) == l8);
            assert_memory_equal(sb_model_probs(m), p8, sizeof(real) * B * T * 17);
            sb_q8_set_portable(0);
            free(p8);
            /* the float weights are now the dequantised codes: the float path differs only by activation rounding */
            sb_quant_enable(m, 0);
            assert_false(sb_quant_active(m));
            double ld = sb_model_forward(m, tok, NULL, tgt, NULL, B, T);
            assert_true(fabs(ld - l8) < 0.01 * lf);
            sb_quant_enable(m, 1);
            for (int i = 0; i < sb_model_tensor_count(m); i++) {
                const sb_tensor *t = sb_model_tensor(m, i);
                double e = sb_quant_tensor_error(m, i);
                int8_t *codes = malloc((size_t)t->numel);
                float *scale = malloc(sizeof(float) * t->shape[0]), act8[8];
                int n_act;
                if (isnan(e)) {
                    assert_int_equal(sb_quant_get(m, i, codes, scale, act8, &n_act), -1);
                } else {
                    assert_int_equal(sb_quant_get(m, i, codes, scale, act8, &n_act), 0);
                    assert_int_equal(n_act, act == SB_QACT_DEPTH ? 4 : act == SB_QACT_BLOCK ? 1 : 0);
                    for (long j = 0; j < t->numel; j++) {
                        real w = sb_model_params(m)[t->offset + j];
                        assert_true(w == (real)((float)codes[j] * scale[j / t->shape[1]]));
                        assert_true(codes[j] >= -127 && codes[j] <= 127);
                    }
                }
                free(codes);
                free(scale);
            }
            /* decoding through the cache runs the same int8 products */
            sb_model_forward(m, tok, NULL, NULL, NULL, B, T);
            real *full = malloc(sizeof(real) * B * T * 17);
            memcpy(full, sb_model_probs(m), sizeof(real) * B * T * 17);
            char err[SB_ERR_LEN];
            sb_kvcache *kc = sb_kvcache_create(m, B, T, err, sizeof err);
            assert_non_null(kc);
            for (int t = 0; t < T; t++) {
                int step[B];
                for (int b = 0; b < B; b++) step[b] = tok[b * T + t];
                const real *p = sb_decode_step(kc, step);
                for (int b = 0; b < B; b++)
                    for (int v = 0; v < 17; v++) assert_close(p[b * 17 + v], full[(b * T + t) * 17 + v], 2e-5);
            }
            sb_kvcache_free(kc);
            free(full);
            sb_model_free(m);
        }
}

static void refusals(void **state)
{
    (void)state;
    sb_config c;
    char err[SB_ERR_LEN] = "";
    cfg(&c, "cycle:2+lowrank:2");
    sb_model *m = make(&c, 1);
    assert_int_equal(sb_quant_begin(m, SB_QACT_BLOCK, err, sizeof err), -1);
    assert_mentions(err, "lowrank");
    sb_model_free(m);
    cfg(&c, "all");
    m = make(&c, 1);
    assert_int_equal(sb_quant_begin(m, SB_QACT_BLOCK, err, sizeof err), 0);
    assert_int_equal(sb_quant_begin(m, SB_QACT_BLOCK, err, sizeof err), -1);
    assert_int_equal(sb_quant_finish(m, NULL, err, sizeof err), -1);   /* nothing observed */
    assert_mentions(err, "calibration");
    sb_model_free(m);
}

/* ------------------------------------------------------- checkpoints */

/* Bytes of a safetensors file's data, after its JSON header. */
static long data_bytes(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char h[8];
    struct stat s;
    assert_non_null(f);
    assert_int_equal(fread(h, 1, 8, f), 8);
    fclose(f);
    long n = 0;
    for (int i = 7; i >= 0; i--) n = n * 256 + h[i];
    return stat(path, &s) ? -1 : (long)s.st_size - 8 - n;
}

/* Zero every other entry of each block matrix (as pruning would). */
static void sparsify(sb_model *m)
{
    for (int i = 0; i < sb_model_tensor_count(m); i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        if (t->ndim == 2 && t->block >= 0)
            for (long j = 0; j < t->numel; j += 2) sb_model_params(m)[t->offset + j] = 0;
    }
}

static void round_trip_one(const char *name, const char *sharing, int factor, int sparse, int act)
{
    sb_config c;
    char err[SB_ERR_LEN] = "", path[256], plain[256];
    cfg(&c, sharing);
    c.factor = factor;
    sb_model *m = make(&c, 9), *n = make(&c, 10);
    if (sparse) sparsify(m);
    if (act >= 0) quantise(m, act, NULL);
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
    snprintf(plain, sizeof plain, "%s/%s-plain.safetensors", dir, name);
    assert_int_equal(sb_checkpoint_save_compressed(path, m, NULL, err, sizeof err), 0);
    assert_int_equal(sb_checkpoint_save(plain, m, NULL, err, sizeof err), 0);
    /* a tensor's own name holds only its dense float form: compressed forms have names of their own */
    sb_st_file *sf = sb_st_open(path, err, sizeof err);
    assert_non_null(sf);
    for (int i = 0; i < sb_model_tensor_count(m); i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        const sb_st_tensor *st = sb_st_find(sf, t->name);
        if (!st) continue;
        assert_string_equal(st->dtype, SB_DTYPE_NAME);
        assert_int_equal(st->ndim, t->ndim);
        assert_int_equal(st->shape[0], t->shape[0]);
        if (t->ndim == 2) assert_int_equal(st->shape[1], t->shape[1]);
    }
    if (sb_model_tensor_find(m, "ffn.0.w1") >= 0) {
        char qn[96];
        snprintf(qn, sizeof qn, "ffn.0.w1%s", sparse ? (act >= 0 ? ".qvalues" : ".values") : act >= 0 ? ".qweight" : "");
        assert_non_null(sb_st_find(sf, qn));
    }
    sb_st_close(sf);
    /* int8 keeps a quarter of the block matrices' bytes plus a 4-byte scale per row (rows of 16 to 24 here:
    ** saves over 60%; U's rows of rank 3 are mostly scale: over 40%); half-zero ones stored sparse keep half
    ** plus a bit per entry (over 40%), sparse int8 both */
    long blocks = 0;
    for (int i = 0; i < sb_model_tensor_count(m); i++)
        if (sb_model_tensor(m, i)->ndim == 2 && sb_model_tensor(m, i)->block >= 0) blocks += sb_model_tensor(m, i)->numel * (long)sizeof(real);
    double saved = (double)(data_bytes(plain) - data_bytes(path)) / blocks, want = act >= 0 ? (sparse ? 0.75 : factor ? 0.4 : 0.6) : sparse ? 0.4 : 0;
    if (!(saved >= want)) print_error("%s: saves %.3f of the block matrices' bytes, expected at least %.2f\n", name, saved, want);
    assert_true(saved >= want);
    if (act < 0 && !sparse) assert_true(saved == 0);
    int rc = sb_checkpoint_load(path, n, err, sizeof err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(sb_quant_active(n), act >= 0);
    assert_int_equal(sb_quant_act(n), act);
    assert_memory_equal(sb_model_params(n), sb_model_params(m), sizeof(real) * sb_model_n_params(m));
    int tok[B * T], tgt[B * T];
    batch(tok, tgt, 3);
    sb_model_forward(m, tok, NULL, tgt, NULL, B, T);
    sb_model_forward(n, tok, NULL, tgt, NULL, B, T);
    assert_memory_equal(sb_model_probs(n), sb_model_probs(m), sizeof(real) * B * T * 17);
    /* a plain checkpoint loaded over it makes it a float model again */
    assert_int_equal(sb_checkpoint_load(plain, n, err, sizeof err), 0);
    assert_false(sb_quant_active(n));
    sb_model_free(m);
    sb_model_free(n);
}

static void checkpoints_round_trip(void **state)
{
    (void)state;
    round_trip_one("int8", "cycle:2", 0, 0, SB_QACT_BLOCK);
    round_trip_one("int8-depth", "all+kv_share:2", 0, 0, SB_QACT_DEPTH);
    round_trip_one("int8-dynamic", "none", 0, 0, SB_QACT_DYNAMIC);
    round_trip_one("sparse", "cycle:2", 0, 1, -1);
    round_trip_one("sparse-int8", "all", 0, 1, SB_QACT_BLOCK);
    round_trip_one("factor-int8", "all", 3, 0, SB_QACT_BLOCK);
    round_trip_one("dense", "all", 0, 0, -1);
}

/* Rewrite path's tensors to out, with `drop` left out and `change` (a name)
** given dtype/shape/data of replacement when not NULL (and its name, when it has one). */
static void rewrite(const char *path, const char *out, const char *drop, const char *change, const sb_st_tensor *replacement)
{
    char err[SB_ERR_LEN];
    sb_st_file *f = sb_st_open(path, err, sizeof err);
    assert_non_null(f);
    int n = sb_st_count(f), k = 0;
    sb_st_tensor *ts = calloc((size_t)n, sizeof *ts);
    for (int i = 0; i < n; i++) {
        const sb_st_tensor *t = sb_st_get(f, i);
        if (drop && !strcmp(t->name, drop)) continue;
        ts[k] = *t;
        if (change && !strcmp(t->name, change)) {
            ts[k] = *replacement;
            ts[k].name = replacement->name ? replacement->name : t->name;
        }
        k++;
    }
    static const char *keys[] = { "format", "sharebench.format", "sharebench.content", "sharebench.quant.act", NULL };
    sb_st_meta meta[96];
    int nm = 0;
    for (const char *const *ck = sb_config_keys(); *ck; ck++) {
        static char kb[64][64];
        snprintf(kb[nm], 64, "sharebench.config.%s", *ck);
        if (sb_st_meta_get(f, kb[nm])) { meta[nm].key = kb[nm]; meta[nm].value = sb_st_meta_get(f, kb[nm]); nm++; }
    }
    for (int i = 0; keys[i]; i++)
        if (sb_st_meta_get(f, keys[i]) && !(drop && !strcmp(drop, keys[i]))) {
            meta[nm].key = keys[i];
            meta[nm].value = sb_st_meta_get(f, keys[i]);
            nm++;
        }
    assert_int_equal(sb_st_write(out, ts, k, meta, nm, err, sizeof err), 0);
    free(ts);
    sb_st_close(f);
}

static void checkpoints_refused(void **state)
{
    (void)state;
    sb_config c;
    char err[SB_ERR_LEN] = "", path[256], bad[256];
    cfg(&c, "all");
    sb_model *m = make(&c, 9), *n = make(&c, 10);
    sparsify(m);
    quantise(m, SB_QACT_BLOCK, NULL);
    snprintf(path, sizeof path, "%s/good.safetensors", dir);
    snprintf(bad, sizeof bad, "%s/bad.safetensors", dir);
    assert_int_equal(sb_checkpoint_save_compressed(path, m, NULL, err, sizeof err), 0);
    real *before = malloc(sizeof(real) * sb_model_n_params(n));
    memcpy(before, sb_model_params(n), sizeof(real) * sb_model_n_params(n));
    float scale4[4] = { 1, 1, 1, 1 }, negative[16];
    for (int i = 0; i < 16; i++) negative[i] = -1;
    int8_t codes[17 * 16] = { 0 };
    uint8_t mask[2] = { 0xff, 0xff };
    const struct {
        const char *drop, *change;
        sb_st_tensor repl;
        const char *frag1, *frag2;
    } cases[] = {
        { "attn.0.wq.scale", NULL, { 0 }, "attn.0.wq.scale", "missing" },
        { NULL, "attn.0.wq.scale", { .dtype = "F32", .ndim = 1, .shape = { 4 }, .data = scale4 }, "attn.0.wq.scale", "F32 [16]" },
        { NULL, "attn.0.wq.scale", { .dtype = "F32", .ndim = 1, .shape = { 16 }, .data = negative }, "attn.0.wq", "scale" },
        { NULL, "ffn.0.w1.act_scale", { .dtype = "F32", .ndim = 1, .shape = { 4 }, .data = negative }, "ffn.0.w1", "activation scales" },
        { NULL, "attn.0.wo.mask", { .dtype = "U8", .ndim = 1, .shape = { 2 }, .data = mask }, "attn.0.wo.mask", "U8 [32]" },
        { NULL, "attn.0.wo.qvalues", { .dtype = "I8", .ndim = 1, .shape = { 3 }, .data = codes }, "attn.0.wo", "mask keeps" },
        { NULL, "attn.0.wo.qvalues", { .name = "attn.0.wo.values", .dtype = "I8", .ndim = 1, .shape = { 3 }, .data = codes },
          "attn.0.wo.values", "expected F32" },
        { NULL, "attn.0.wo.mask", { .name = "attn.0.wo", .dtype = "F32", .ndim = 1, .shape = { 4 }, .data = scale4 },
          "attn.0.wo", "stored twice" },
        { NULL, "embed.tok", { .name = "embed.tok.qweight", .dtype = "I8", .ndim = 2, .shape = { 17, 16 }, .data = codes }, "embed.tok",
          "only block matrices" },
        { NULL, "embed.tok", { .dtype = "I8", .ndim = 2, .shape = { 17, 16 }, .data = codes }, "embed.tok", "expected F32" },
        { "sharebench.quant.act", NULL, { 0 }, "quant.act", "int8" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rewrite(path, bad, cases[i].drop, cases[i].change, &cases[i].repl);
        err[0] = 0;
        assert_int_equal(sb_checkpoint_load(bad, n, err, sizeof err), -1);
        assert_mentions(err, bad);
        assert_mentions(err, cases[i].frag1);
        assert_mentions(err, cases[i].frag2);
        assert_memory_equal(sb_model_params(n), before, sizeof(real) * sb_model_n_params(n));
        assert_false(sb_quant_active(n));
    }
    free(before);
    sb_model_free(m);
    sb_model_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kernel_bound), cmocka_unit_test(quantise_row), cmocka_unit_test(calibrations),
        cmocka_unit_test(quantised_model), cmocka_unit_test(refusals), cmocka_unit_test(checkpoints_round_trip),
        cmocka_unit_test(checkpoints_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
