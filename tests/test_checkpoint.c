/*
** test_checkpoint.c: models in safetensors: a loaded model's outputs are
** bit-identical to the saved one's, each unique tensor is stored once,
** optimizer state round-trips, and truncated, corrupt or mismatched files get
** an error naming the file and leave the model untouched.
*/
#include "testutil.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "core/train.h"
#include "core/rng.h"
#include <unistd.h>

enum { B = 3, T = 7 };
static char dir[96];

static int setup(void **state) { (void)state; return test_tmpdir_make(dir, sizeof dir, "ckpt"); }
static int teardown(void **state) { (void)state; return test_tmpdir_remove(dir); }

static void cfg(sb_config *c, const char *sharing)
{
    sb_config_default(c);
    c->vocab = 17; c->max_len = 8; c->width = 16; c->layers = 4; c->heads = 2; c->ffn = 24;
    snprintf(c->sharing, sizeof c->sharing, "%s", sharing);
}

static void batch(int *tok, int *tgt)
{
    for (int i = 0; i < B * T; i++) { tok[i] = (i * 7 + 3) % 17; tgt[i] = (i * 5 + 1) % 17; }
}

static void round_trip(void **state)
{
    (void)state;
    static const char *const modes[] = { "none", "all", "cycle_rev:2", "cycle:2+lowrank:3", "hyper:4", "all+kv_share:2", NULL };
    for (int k = 0; modes[k]; k++) {
        sb_config c, back;
        char err[SB_ERR_LEN], path[128];
        cfg(&c, modes[k]);
        c.pos = k % 2 ? SB_POS_ROPE : SB_POS_LEARNED;
        sb_model *m = sb_model_create(&c, B, T, 42, 0, err, sizeof err);
        sb_adamw_config oc;
        sb_adamw_config_default(&oc);
        sb_adamw o;
        sb_adamw_init(&o, &oc, sb_model_n_params(m));
        int tok[B * T], tgt[B * T];
        batch(tok, tgt);
        for (int s = 0; s < 3; s++) sb_train_step(m, &o, tok, NULL, tgt, B, T, NULL);
        snprintf(path, sizeof path, "%s/m%d.safetensors", dir, k);
        assert_int_equal(sb_checkpoint_save(path, m, &o, NULL, err, sizeof err), 0);
        /* each unique tensor once, plus its two moments */
        sb_st_file *f = sb_st_open(path, err, sizeof err);
        assert_non_null(f);
        assert_int_equal(sb_st_count(f), 3 * sb_model_tensor_count(m));
        assert_string_equal(sb_st_meta_get(f, "config.sharing"), modes[k]);
        sb_st_close(f);
        assert_int_equal(sb_checkpoint_config(path, &back, err, sizeof err), 0);
        assert_true(sb_config_hash(&back) == sb_config_hash(&c));
        sb_model *m2 = sb_model_create(&back, B, T, 99, 0, err, sizeof err);
        sb_adamw o2;
        sb_adamw_init(&o2, &oc, sb_model_n_params(m2));
        assert_int_equal(sb_checkpoint_load(path, m2, &o2, err, sizeof err), 0);
        assert_int_equal(o2.t, 3);
        double l1 = sb_model_forward(m, tok, NULL, tgt, NULL, B, T), l2 = sb_model_forward(m2, tok, NULL, tgt, NULL, B, T);
        assert_true(l1 == l2);
        assert_memory_equal(sb_model_probs(m), sb_model_probs(m2), sizeof(real) * B * T * c.vocab);
        /* and training continues identically */
        double a = sb_train_step(m, &o, tok, NULL, tgt, B, T, NULL), b = sb_train_step(m2, &o2, tok, NULL, tgt, B, T, NULL);
        assert_true(a == b);
        assert_memory_equal(sb_model_params(m), sb_model_params(m2), sizeof(real) * sb_model_n_params(m));
        sb_adamw_free(&o); sb_adamw_free(&o2);
        sb_model_free(m); sb_model_free(m2);
    }
}

static void bad_files(void **state)
{
    (void)state;
    sb_config c, other;
    char err[SB_ERR_LEN], path[128], bad[128];
    cfg(&c, "cycle:2");
    sb_model *m = sb_model_create(&c, B, T, 1, 0, err, sizeof err);
    snprintf(path, sizeof path, "%s/good.safetensors", dir);
    assert_int_equal(sb_checkpoint_save(path, m, NULL, NULL, err, sizeof err), 0);
    real *before = malloc(sizeof(real) * sb_model_n_params(m));
    memcpy(before, sb_model_params(m), sizeof(real) * sb_model_n_params(m));
    /* a model with another sharing is refused */
    cfg(&other, "all");
    sb_model *o = sb_model_create(&other, B, T, 1, 0, err, sizeof err);
    assert_int_equal(sb_checkpoint_load(path, o, NULL, err, sizeof err), -1);
    assert_mentions(err, "good.safetensors");
    sb_model_free(o);
    /* truncated at many lengths: an error, never a crash, and the model untouched */
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    char *bytes = malloc(size);
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fread(bytes, 1, size, f), size);
    fclose(f);
    snprintf(bad, sizeof bad, "%s/bad.safetensors", dir);
    for (long cut = 0; cut < size; cut += 1 + cut / 3) {
        f = fopen(bad, "wb");
        fwrite(bytes, 1, cut, f);
        fclose(f);
        assert_int_equal(sb_checkpoint_load(bad, m, NULL, err, sizeof err), -1);
        assert_mentions(err, "bad.safetensors");
    }
    /* a metadata value that is not a valid configuration */
    char *p = memmem(bytes, size, "\"config.heads\":\"2\"", 18);
    assert_non_null(p);
    p[16] = '3';
    f = fopen(bad, "wb");
    fwrite(bytes, 1, size, f);
    fclose(f);
    assert_int_equal(sb_checkpoint_load(bad, m, NULL, err, sizeof err), -1);
    assert_mentions(err, "heads");
    p[16] = '2';
    /* a tensor missing: rename one in the header */
    p = memmem(bytes, size, "\"attn.1.wq\"", 11);
    assert_non_null(p);
    p[6] = '7';
    f = fopen(bad, "wb");
    fwrite(bytes, 1, size, f);
    fclose(f);
    assert_int_equal(sb_checkpoint_load(bad, m, NULL, err, sizeof err), -1);
    assert_mentions(err, "attn.1.wq");
    assert_memory_equal(before, sb_model_params(m), sizeof(real) * sb_model_n_params(m));
    /* not a sharebench file, and a missing file */
    assert_int_equal(sb_checkpoint_load("/nonexistent/x.safetensors", m, NULL, err, sizeof err), -1);
    assert_mentions(err, "/nonexistent/x.safetensors");
    free(bytes);
    free(before);
    sb_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(bad_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
