/*
** test_evaluate.c: a split's evaluation (bench/run/evaluate.c) against a
** direct computation, one example at a time: the loss is the mean over
** every scored position (not the mean of the batches' means, which counts a
** short last batch as much as a full one), the scores are the examples',
** and the split's size caps n. Copy's strings vary in length, so examples
** have different numbers of scored positions.
*/
#include "testutil.h"
#include "run/evaluate.h"
#include "core/rng.h"

enum { B = 3 };

static void weighted_by_scored_positions(void **state)
{
    (void)state;
    char err[SB_ERR_LEN] = "";
    sb_task *task = sb_task_open("copy", "eval=7", 1, err, sizeof err);   /* 7 examples: batches of 3, 3 and 1 */
    if (!task) print_error("%s\n", err);
    assert_non_null(task);
    const sb_task_info *info = sb_task_get_info(task);
    sb_config c;
    sb_config_default(&c);
    c.vocab = info->vocab; c.max_len = info->long_length; c.width = 16; c.layers = 2; c.heads = 2; c.ffn = 32;
    sb_model *m = sb_model_create(&c, B, info->long_length, 7, 0, err, sizeof err);
    assert_non_null(m);
    sb_rng r;
    sb_rng_seed(&r, 2, "eval");
    real *p = sb_model_params(m);
    for (long i = 0; i < sb_model_n_params(m); i++) p[i] += (real)(0.2 * sb_rng_normal(&r));   /* losses that differ by example */
    size_t sz = sizeof(int) * B * (size_t)info->long_length;
    int *tok = malloc(sz), *typ = malloc(sz), *tgt = malloc(sz);
    assert_true(tok && typ && tgt);
    static const int splits[] = { SB_SPLIT_TEST, SB_SPLIT_TEST_LONG };
    for (int k = 0; k < 2; k++) {
        int split = splits[k], T = split == SB_SPLIT_TEST_LONG ? info->long_length : info->length;
        long n = info->split_size[split];
        assert_int_equal(n, 7);
        sb_score sc;
        double loss;
        assert_int_equal(sb_evaluate(m, task, split, 100, B, tok, typ, tgt, &sc, &loss), 0);
        /* one example at a time: sum of per-position losses over scored positions */
        double total = 0, batch_means = 0;
        long scored = 0, correct = 0, counts[7];
        for (long i = 0; i < n; i++) {
            assert_int_equal(sb_task_examples(task, split, i, 1, tok, typ, tgt), 0);
            double l = sb_model_forward(m, tok, typ, tgt, NULL, 1, T);
            sb_score one = { 0 };
            sb_score_add(&one, info, sb_model_probs(m), tgt, 1, T);
            counts[i] = one.positions;
            total += l * one.positions;
            scored += one.positions;
            correct += one.correct;
        }
        /* what the mean of the batches' means gives, for the figure */
        for (long first = 0; first < n; first += B) {
            int b = n - first < B ? (int)(n - first) : B;
            assert_int_equal(sb_task_examples(task, split, first, b, tok, typ, tgt), 0);
            batch_means += sb_model_forward(m, tok, typ, tgt, NULL, b, T) / ((n + B - 1) / B);
        }
        printf("  %s: scored positions per example %ld %ld %ld %ld %ld %ld %ld; loss %.6f (mean of batch means %.6f)\n",
               sb_split_name(split), counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6],
               total / scored, batch_means);
        assert_int_equal(sc.positions, scored);
        assert_int_equal(sc.correct, correct);
        assert_int_equal(sc.examples, n);
        assert_close(loss, total / scored, 1e-5);
        assert_true(fabs(batch_means - total / scored) > 1e-3);   /* the test can tell the two apart */
    }
    free(tok); free(typ); free(tgt);
    sb_model_free(m);
    sb_task_close(task);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(weighted_by_scored_positions) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
