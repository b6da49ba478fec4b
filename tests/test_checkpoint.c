/*
** test_checkpoint.c: models in safetensors: a loaded model's outputs are
** bit-identical to the saved one's, each unique tensor is stored once under
** its own name with the standard "format: pt" metadata, optimizer state
** round-trips through a file of its own, first-format files still load, and
** truncated, corrupt, mismatched or swapped files get an error naming the
** file and leave the model untouched.
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
        char opath[128];
        snprintf(path, sizeof path, "%s/m%d.safetensors", dir, k);
        snprintf(opath, sizeof opath, "%s/m%d.optim.safetensors", dir, k);
        assert_int_equal(sb_checkpoint_save(path, m, NULL, err, sizeof err), 0);
        assert_int_equal(sb_checkpoint_save_optim(opath, m, &o, err, sizeof err), 0);
        /* the weights alone, each unique tensor once, under the metadata loaders expect */
        sb_st_file *f = sb_st_open(path, err, sizeof err);
        assert_non_null(f);
        assert_int_equal(sb_st_count(f), sb_model_tensor_count(m));
        assert_string_equal(sb_st_meta_get(f, "format"), "pt");
        assert_string_equal(sb_st_meta_get(f, "sharebench.content"), "weights");
        assert_string_equal(sb_st_meta_get(f, "sharebench.config.sharing"), modes[k]);
        assert_null(sb_st_meta_get(f, "config.sharing"));
        sb_st_close(f);
        /* the moments apart, under PyTorch's names */
        f = sb_st_open(opath, err, sizeof err);
        assert_non_null(f);
        assert_int_equal(sb_st_count(f), 2 * sb_model_tensor_count(m));
        assert_non_null(sb_st_find(f, "embed.tok.exp_avg"));
        assert_non_null(sb_st_find(f, "embed.tok.exp_avg_sq"));
        assert_string_equal(sb_st_meta_get(f, "sharebench.optim.step"), "3");
        sb_st_close(f);
        assert_int_equal(sb_checkpoint_config(path, &back, err, sizeof err), 0);
        assert_true(sb_config_hash(&back) == sb_config_hash(&c));
        sb_model *m2 = sb_model_create(&back, B, T, 99, 0, err, sizeof err);
        sb_adamw o2;
        sb_adamw_init(&o2, &oc, sb_model_n_params(m2));
        assert_int_equal(sb_checkpoint_load(path, m2, err, sizeof err), 0);
        assert_int_equal(sb_checkpoint_load_optim(opath, m2, &o2, err, sizeof err), 0);
        assert_int_equal(o2.t, 3);
        /* one for the other is refused, saying which file is which */
        assert_int_equal(sb_checkpoint_config(opath, &back, err, sizeof err), -1);
        assert_mentions(err, "--save-optim");
        assert_int_equal(sb_checkpoint_load_optim(path, m2, &o2, err, sizeof err), -1);
        assert_mentions(err, "optimizer state");
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
    assert_int_equal(sb_checkpoint_save(path, m, NULL, err, sizeof err), 0);
    real *before = malloc(sizeof(real) * sb_model_n_params(m));
    memcpy(before, sb_model_params(m), sizeof(real) * sb_model_n_params(m));
    /* a model with another sharing is refused */
    cfg(&other, "all");
    sb_model *o = sb_model_create(&other, B, T, 1, 0, err, sizeof err);
    assert_int_equal(sb_checkpoint_load(path, o, err, sizeof err), -1);
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
        assert_int_equal(sb_checkpoint_load(bad, m, err, sizeof err), -1);
        assert_mentions(err, "bad.safetensors");
    }
    /* a metadata value that is not a valid configuration */
    char *p = memmem(bytes, size, "\"sharebench.config.heads\":\"2\"", 29);
    assert_non_null(p);
    p[27] = '3';
    f = fopen(bad, "wb");
    fwrite(bytes, 1, size, f);
    fclose(f);
    assert_int_equal(sb_checkpoint_load(bad, m, err, sizeof err), -1);
    assert_mentions(err, "heads");
    p[27] = '2';
    /* a tensor missing: rename one in the header */
    p = memmem(bytes, size, "\"attn.1.wq\"", 11);
    assert_non_null(p);
    p[6] = '7';
    f = fopen(bad, "wb");
    fwrite(bytes, 1, size, f);
    fclose(f);
    assert_int_equal(sb_checkpoint_load(bad, m, err, sizeof err), -1);
    assert_mentions(err, "attn.1.wq");
    assert_memory_equal(before, sb_model_params(m), sizeof(real) * sb_model_n_params(m));
    /* not a sharebench file, and a missing file */
    assert_int_equal(sb_checkpoint_load("/nonexistent/x.safetensors", m, err, sizeof err), -1);
    assert_mentions(err, "/nonexistent/x.safetensors");
    free(bytes);
    free(before);
    sb_model_free(m);
}

/* Files of the first format (format sharebench-1, the moments inside: the fuzz
** corpus keeps two, written before this format) still load, weights and moments. */
static void first_format(void **state)
{
    (void)state;
    static const char *const files[] = { "tests/fuzz/corpus/safetensors/tiny-none.safetensors",
                                         "tests/fuzz/corpus/safetensors/tiny-cycle.safetensors", NULL };
    if (access(files[0], R_OK)) {
        print_message("skipped: run from the repository root to read the first-format files\n");
        skip();
    }
    for (int k = 0; files[k]; k++) {
        sb_config c;
        char err[SB_ERR_LEN];
        assert_int_equal(sb_checkpoint_config(files[k], &c, err, sizeof err), 0);
        sb_model *m = sb_model_create(&c, 1, 4, 7, 0, err, sizeof err);
        assert_non_null(m);
        sb_adamw_config oc;
        sb_adamw_config_default(&oc);
        sb_adamw o;
        sb_adamw_init(&o, &oc, sb_model_n_params(m));
        assert_int_equal(sb_checkpoint_load(files[k], m, err, sizeof err), 0);
        assert_int_equal(sb_checkpoint_load_optim(files[k], m, &o, err, sizeof err), 0);
        assert_int_equal(o.t, 2);   /* make_corpus.sh trained them 2 steps */
        double sq = 0;
        for (long i = 0; i < o.n; i++) sq += (double)o.v[i];
        assert_true(sq > 0);
        /* saved again, they are this format, and load to the same weights */
        char path[128];
        snprintf(path, sizeof path, "%s/again.safetensors", dir);
        assert_int_equal(sb_checkpoint_save(path, m, NULL, err, sizeof err), 0);
        sb_model *m2 = sb_model_create(&c, 1, 4, 8, 0, err, sizeof err);
        assert_int_equal(sb_checkpoint_load(path, m2, err, sizeof err), 0);
        assert_memory_equal(sb_model_params(m), sb_model_params(m2), sizeof(real) * sb_model_n_params(m));
        sb_adamw_free(&o);
        sb_model_free(m);
        sb_model_free(m2);
    }
}

/* Optimizer state for another model, or of another size, is refused and changes nothing. */
static void optim_mismatch(void **state)
{
    (void)state;
    sb_config a, b;
    char err[SB_ERR_LEN], path[128];
    cfg(&a, "none");
    cfg(&b, "all");
    sb_model *ma = sb_model_create(&a, B, T, 1, 0, err, sizeof err), *mb = sb_model_create(&b, B, T, 1, 0, err, sizeof err);
    sb_adamw_config oc;
    sb_adamw_config_default(&oc);
    sb_adamw oa, ob;
    sb_adamw_init(&oa, &oc, sb_model_n_params(ma));
    sb_adamw_init(&ob, &oc, sb_model_n_params(mb));
    oa.t = 5;
    ob.t = 9;
    snprintf(path, sizeof path, "%s/a.optim.safetensors", dir);
    assert_int_equal(sb_checkpoint_save_optim(path, ma, &oa, err, sizeof err), 0);
    assert_int_equal(sb_checkpoint_load_optim(path, mb, &ob, err, sizeof err), -1);
    assert_mentions(err, "different configuration");
    assert_int_equal(ob.t, 9);
    assert_int_equal(sb_checkpoint_load_optim(path, ma, &ob, err, sizeof err), -1);
    assert_mentions(err, "moments");
    assert_int_equal(ob.t, 9);
    sb_adamw_free(&oa); sb_adamw_free(&ob);
    sb_model_free(ma); sb_model_free(mb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(bad_files),
        cmocka_unit_test(first_format),
        cmocka_unit_test(optim_mismatch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
