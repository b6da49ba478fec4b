/*
** test_metrics.c: the metric registry (bench/results/metrics.c): every row
** filled and well formed, no key shadowed by another, patterns matched and
** filled as metrics.h says, misspelt names not found, what the writers record
** through it read back under the same keys, and every metric and series the
** claims file names known to it. (tests/e2e_metrics.sh checks the keys a
** fresh sweep stores against `sharebench metrics`.)
*/
#include "testutil.h"
#include "results/metrics.h"
#include "results/store.h"
#include "report/claims.h"
#include <sqlite3.h>

/* An instance of a pattern: each <word> as "w1", "w2", ..., a <word...> as "x.y". */
static void instance(const char *pattern, char *out, size_t len)
{
    size_t o = 0;
    int n = 0;
    for (const char *p = pattern; *p && o + 8 < len;) {
        if (*p == '<') {
            const char *e = strchr(p, '>');
            int rest = e - p > 4 && !strncmp(e - 3, "...", 3);
            o += (size_t)snprintf(out + o, len - o, rest ? "x.y" : "w%d", ++n);
            p = e + 1;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = 0;
}

static void check_table(const sb_metric_info *(*info)(int), int n, int (*lookup)(const char *))
{
    for (int i = 0; i < n; i++) {
        const sb_metric_info *m = info(i);
        assert_non_null(m);
        if (!m->key) {
            print_error("entry %d has no row in the table\n", i);
            fail();
        }
        assert_true(*m->unit);
        assert_true(m->what && strlen(m->what) > 10);
        if (m->what[strlen(m->what) - 1] != '.') {
            print_error("%s: its sentence does not end with a full stop\n", m->key);
            fail();
        }
        assert_true(m->kind >= SB_KIND_EXACT && m->kind <= SB_KIND_MEASURED);
        assert_true(m->better >= SB_BETTER_HIGHER && m->better <= SB_BETTER_NEITHER);
        /* parts: words, or <word>, or a last <word...> */
        for (const char *p = m->key; *p;) {
            size_t pn = *p == '<' ? (size_t)(strchr(p, '>') - p) + 1 : strcspn(p, ".");
            assert_true(pn > 0);
            if (p[0] == '<') {
                assert_int_equal(p[pn - 1], '>');
                if (pn > 5 && !strncmp(p + pn - 4, "...>", 4)) assert_int_equal(p[pn], 0);
            } else {
                for (size_t k = 0; k < pn; k++) assert_true(strchr("abcdefghijklmnopqrstuvwxyz0123456789_", p[k]));
            }
            p += pn + (p[pn] == '.');
        }
        /* an instance of the key finds this entry, not an earlier one */
        char key[256];
        instance(m->key, key, sizeof key);
        if (lookup(key) != i) {
            print_error("%s: its instance %s is found as entry %d, not %d\n", m->key, key, lookup(key), i);
            fail();
        }
        /* and no other key is the same */
        for (int j = 0; j < i; j++) assert_string_not_equal(info(j)->key, m->key);
    }
}

static const sb_metric_info *metric_at(int i) { return sb_metric_info_of((sb_metric_id)i); }
static const sb_metric_info *series_at(int i) { return sb_series_info_of((sb_series_id)i); }

static void test_every_row(void **state)
{
    (void)state;
    check_table(metric_at, SB_M_COUNT, sb_metric_lookup);
    check_table(series_at, SB_S_COUNT, sb_series_lookup);
    assert_null(sb_metric_info_of(SB_M_COUNT));
    assert_null(sb_series_info_of(SB_S_COUNT));
    assert_string_equal(sb_kind_name(SB_KIND_TIMING), "timing");
    assert_string_equal(sb_better_name(SB_BETTER_TASK), "task");
}

static void test_lookup(void **state)
{
    (void)state;
    assert_int_equal(sb_metric_lookup("test"), SB_M_TEST);
    assert_int_equal(sb_metric_lookup("test_long"), SB_M_TEST_LONG);
    assert_int_equal(sb_metric_lookup("test.accuracy"), SB_M_TEST_BY_METRIC);
    assert_int_equal(sb_metric_lookup("test_long.bpc"), SB_M_TEST_LONG_BY_METRIC);
    assert_int_equal(sb_metric_lookup("analysis_seconds.pgd"), SB_M_ANALYSIS_SECONDS_PGD);
    assert_int_equal(sb_metric_lookup("hotflip.clean_accuracy"), SB_M_HOTFLIP_CLEAN_ACCURACY);
    assert_int_equal(sb_series_lookup("grad.attn.trace_cov"), SB_S_GRAD_DEPTH_TRACE_COV);
    assert_int_equal(sb_series_lookup("grad.ffn.trace_cov.block"), SB_S_GRAD_BLOCK_TRACE_COV);
    assert_int_equal(sb_series_lookup("grad.trace_cov"), SB_S_GRAD_TRACE_COV);
    assert_int_equal(sb_series_lookup("sparsity"), SB_S_SPARSITY);
    assert_int_equal(sb_series_lookup("sparsity.attn.wq.u"), SB_S_SPARSITY_OF_TENSOR);
    assert_int_equal(sb_series_lookup("factor_error.layer.lora.wq.a"), SB_S_FACTOR_ERROR_OF_TENSOR);
    /* misspelt, in the other table, parts missing or extra: not found */
    static const char *const unknown[] = { "tset", "Test", "test.", "test..accuracy", "test.acc uracy", "analysis_seconds.",
                                           "analysis_seconds.nothing", "grad.attn.trace_cov", "step_ms", "", "params_unique.x" };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        if (sb_metric_lookup(unknown[i]) >= 0) {
            print_error("metric '%s' found as %d\n", unknown[i], sb_metric_lookup(unknown[i]));
            fail();
        }
    static const char *const unknown_series[] = { "grad.attn", "grad.attn.trace_cov.blocks", "grad.<block>.trace_cov", "sparsity.",
                                                  "sparsity.attn.", "test", "attn.js.x", "pgd" };
    for (size_t i = 0; i < sizeof unknown_series / sizeof unknown_series[0]; i++)
        if (sb_series_lookup(unknown_series[i]) >= 0) {
            print_error("series '%s' found as %d\n", unknown_series[i], sb_series_lookup(unknown_series[i]));
            fail();
        }
    assert_int_equal(sb_metric_lookup(NULL), -1);
}

static void test_patterns(void **state)
{
    (void)state;
    char out[64];
    assert_true(sb_key_matches("a.<b>.c", "a.x_1-2.c"));
    assert_false(sb_key_matches("a.<b>.c", "a.x.y.c"));
    assert_false(sb_key_matches("a.<b>.c", "a..c"));
    assert_true(sb_key_matches("a.<b...>", "a.x"));
    assert_true(sb_key_matches("a.<b...>", "a.x.y.z"));
    assert_false(sb_key_matches("a.<b...>", "a"));
    assert_false(sb_key_matches("a.<b...>", "a.x..z"));
    assert_true(sb_key_matches("plain", "plain"));
    assert_false(sb_key_matches("plain", "plainer"));
    assert_int_equal(sb_key_fill("grad.<block>.sqnorm.block", "kv", out, sizeof out), 0);
    assert_string_equal(out, "grad.kv.sqnorm.block");
    assert_int_equal(sb_key_fill("sparsity.<tensor...>", "attn.wq.u", out, sizeof out), 0);
    assert_string_equal(out, "sparsity.attn.wq.u");
    assert_int_equal(sb_key_fill("test", NULL, out, sizeof out), 0);
    assert_string_equal(out, "test");
    /* words that do not fit: -1, the part left as it is */
    assert_int_equal(sb_key_fill("grad.<block>.sqnorm", NULL, out, sizeof out), -1);
    assert_string_equal(out, "grad.<block>.sqnorm");
    assert_int_equal(sb_key_fill("grad.<block>.sqnorm", "attn.kv", out, sizeof out), -1);
    assert_int_equal(sb_key_fill("test", "x", out, sizeof out), -1);
    assert_int_equal(sb_key_fill("grad.<block>.sqnorm", "attn", out, 8), -1);
    /* LIKE patterns, escaped */
    assert_int_equal(sb_series_like(SB_S_GRAD_DEPTH_TRACE_COV, out, sizeof out), 0);
    assert_string_equal(out, "grad.%.trace\\_cov");
    assert_int_equal(sb_series_like(SB_S_ATTN_JS, out, sizeof out), 0);
    assert_string_equal(out, "attn.js");
    assert_int_equal(sb_series_like(SB_S_STEP_MS, out, 4), -1);
    assert_true(sb_series_like_known("grad.%.trace_cov"));
    assert_true(sb_series_like_known("grad.%.sqnorm.block"));
    assert_true(sb_series_like_known("attn.js"));
    assert_false(sb_series_like_known("grad.%.tracecov"));
    assert_false(sb_series_like_known("grad.%.%.%.%"));
    assert_false(sb_series_like_known("nothing"));
}

/* What sb_put_* record, read back from a store under the registry's keys. */
static void test_recorded(void **state)
{
    (void)state;
    char dir[256], path[300], err[512];
    assert_int_equal(test_tmpdir_make(dir, sizeof dir, "metrics"), 0);
    snprintf(path, sizeof path, "%s/m.db", dir);
    sb_store *st = sb_store_open(path, 0, err, sizeof err);
    assert_non_null(st);
    sb_run *r = sb_run_new();
    static const char *const cols[][2] = { { "cell", "c" }, { "config_hash", "h" }, { "task", "copy" }, { "sharing", "none" },
                                           { "seed", "1" }, { "status", "finished" }, { "started", "t0" }, { "ended", "t1" } };
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) assert_int_equal(sb_run_set(r, cols[i][0], cols[i][1]), 0);
    assert_int_equal(sb_put_metric(r, SB_M_TEST, 0.5), 0);
    assert_int_equal(sb_put_metric_of(r, SB_M_TEST_BY_METRIC, "exact", 0.25), 0);
    assert_int_equal(sb_put_point(r, SB_S_TRAIN_LOSS, 3, -1, -1, 1.5), 0);
    assert_int_equal(sb_put_point_of(r, SB_S_GRAD_BLOCK_BSIMPLE_AVG, "ffn", 7, 2, -1, 9), 0);
    /* a pattern without its words: -1, and recorded under a key no entry matches */
    assert_int_equal(sb_put_metric(r, SB_M_VALID_BY_METRIC, 1), -1);
    assert_true(sb_store_commit(st, r, err, sizeof err) > 0);
    sb_run_free(r);
    sb_store_close(st);
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT key FROM metrics UNION ALL SELECT metric FROM series ORDER BY 1", -1, &q, NULL),
                     SQLITE_OK);
    static const char *const want[] = { "grad.ffn.bsimple_avg.block", "test", "test.exact", "train_loss", "valid.<metric>" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(sqlite3_step(q), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(q, 0), want[i]);
    }
    assert_int_equal(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    sqlite3_close(db);
    assert_int_equal(sb_metric_lookup("valid.<metric>"), -1);
    assert_int_equal(test_tmpdir_remove(dir), 0);
}

/* The claims file names metrics and series: each is one the registry knows
** (sb_claims_load refuses any other), and a made-up one is refused. */
static void test_claims_names(void **state)
{
    (void)state;
    sb_claims c;
    char err[512], dir[256], path[300];
    assert_int_equal(sb_claims_load("bench/claims.txt", &c, err, sizeof err), 0);
    assert_true(c.n > 5);
    sb_claims_free(&c);
    assert_int_equal(test_tmpdir_make(dir, sizeof dir, "claims"), 0);
    snprintf(path, sizeof path, "%s/c.txt", dir);
    static const char *const bad[][2] = { { "compare metric=tset a=all b=none", "tset" },
                                          { "reduction a=all b=none metric=params_uniq min=0 max=1", "params_uniq" },
                                          { "depth series=grad.%.trace_kov a=shared", "grad.%.trace_kov" } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "[x]\nclaim = y\ncheck = %s\n", bad[i][0]);
        fclose(f);
        assert_int_equal(sb_claims_load(path, &c, err, sizeof err), -1);
        assert_mentions(err, bad[i][1]);
        assert_mentions(err, "sharebench metrics");
    }
    assert_int_equal(test_tmpdir_remove(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row), cmocka_unit_test(test_lookup), cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_recorded), cmocka_unit_test(test_claims_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
