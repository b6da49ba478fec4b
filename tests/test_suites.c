/*
** test_suites.c: the benchmark tasks, suites and scorer (suites/).
**
** Every task opens and describes itself sanely (tokens, types and targets
** in range, padding unscored). Examples are deterministic (same seed, same
** bytes; another seed, other bytes) and index-addressed (an example is the
** same whatever batch it comes in; indices wrap). Splits are disjoint (no
** valid or test sequence equals a train sequence, by hash sets over whole
** splits). Balanced tasks are balanced (parity, agreement, wellformed; listops
** values uniform). Every generated example's answer is recomputed by a
** checker written here from the task's definition (sort, stack, evaluator,
** lookup, grammar), and WordNet examples are checked against the files
** parsed here independently. test_long sequences are longer than every
** train sequence. Knobs are parsed and bad ones refused with messages;
** suite files parse, malformed ones are refused naming file:line. Scores
** match closed forms on hand-made probabilities. WordNet tasks are skipped
** with a message when /usr/share/wordnet is absent.
*/
#include "testutil.h"
#include "task.h"
#include "suite.h"
#include <ctype.h>
#include <float.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

static const char *const generated[] = { "copy", "reverse", "sort", "recall", "induction", "dyck", "wellformed",
                                         "listops", "modadd", "parity", "agreement", NULL };
static const char *const real[] = { "lm", "supersense", "morph", NULL };

static int have_wordnet(void)
{
    const char *d = getenv("WNSEARCHDIR");
    char p[1024];
    snprintf(p, sizeof p, "%s/data.noun", d && *d ? d : "/usr/share/wordnet");
    return access(p, R_OK) == 0;
}

#define SKIP_WITHOUT_WORDNET()                                                                      \
    do {                                                                                            \
        if (!have_wordnet()) {                                                                      \
            print_message("skipped: WordNet is not installed (apt-get install wordnet-base)\n");    \
            skip();                                                                                 \
        }                                                                                           \
    } while (0)

static sb_task *open_ok(const char *name, const char *knobs, uint64_t seed)
{
    char err[512] = "";
    sb_task *t = sb_task_open(name, knobs, seed, err, sizeof err);
    if (!t) print_error("sb_task_open(%s, %s): %s\n", name, knobs ? knobs : "", err);
    assert_non_null(t);
    return t;
}

typedef struct { int B, T; int *tok, *typ, *tgt; } batch;

static batch fetch(sb_task *t, int split, long first, int B)
{
    const sb_task_info *in = sb_task_get_info(t);
    batch b = { B, split == SB_SPLIT_TEST_LONG ? in->long_length : in->length, NULL, NULL, NULL };
    size_t n = (size_t)b.B * b.T;
    b.tok = malloc(n * sizeof(int)), b.typ = malloc(n * sizeof(int)), b.tgt = malloc(n * sizeof(int));
    assert_true(b.tok && b.typ && b.tgt);
    int rc = sb_task_examples(t, split, first, B, b.tok, b.typ, b.tgt);
    if (rc) print_error("%s %s: %s\n", in->name, sb_split_name(split), sb_task_error(t));
    assert_int_equal(rc, 0);
    return b;
}

static void drop(batch *b) { free(b->tok), free(b->typ), free(b->tgt); }

static int *row(const batch *b, int *a, int i) { return a + (size_t)i * b->T; }

/* Content length: positions before the PAD tail. */
static int content(const int *tok, int T)
{
    int n = T;
    while (n > 0 && tok[n - 1] == 0) n--;
    return n;
}

static uint64_t hash_row(const int *a, int n)
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < n; i++) { h ^= (uint64_t)(uint32_t)a[i]; h *= 1099511628211ULL; h ^= h >> 29; }
    return h ^ (uint64_t)n;
}

/* An open-addressing set of 64-bit hashes. */
typedef struct { uint64_t *slot; size_t cap; } hset;

static hset hset_new(size_t n)
{
    hset s = { NULL, 16 };
    while (s.cap < 2 * n) s.cap *= 2;
    s.slot = calloc(s.cap, sizeof *s.slot);
    assert_non_null(s.slot);
    return s;
}

static void hset_add(hset *s, uint64_t h)
{
    h |= 1;
    size_t i = h & (s->cap - 1);
    while (s->slot[i] && s->slot[i] != h) i = (i + 1) & (s->cap - 1);
    s->slot[i] = h;
}

static int hset_has(const hset *s, uint64_t h)
{
    h |= 1;
    size_t i = h & (s->cap - 1);
    while (s->slot[i]) {
        if (s->slot[i] == h) return 1;
        i = (i + 1) & (s->cap - 1);
    }
    return 0;
}

/* ---------------------------------------------------------------- info and ranges */

static void check_ranges(sb_task *t, int split, int n)
{
    const sb_task_info *in = sb_task_get_info(t);
    batch b = fetch(t, split, 0, n);
    int scored_examples = 0;
    for (int i = 0; i < n; i++) {
        const int *tok = row(&b, b.tok, i), *typ = row(&b, b.typ, i), *tgt = row(&b, b.tgt, i);
        int c = content(tok, b.T), scored = 0;
        for (int j = 0; j < b.T; j++) {
            assert_in_range(tok[j], 0, in->vocab - 1);
            assert_in_range(typ[j], 0, in->n_types ? in->n_types - 1 : 0);
            assert_true(tgt[j] == -1 || (tgt[j] >= in->answer_lo && tgt[j] < in->answer_hi));
            if (j < c) assert_int_not_equal(tok[j], 0);       /* PAD only as the tail */
            if (j >= c && in->causal) assert_int_equal(tgt[j], -1);
            scored += tgt[j] >= 0;
            if (tgt[j] >= 0 && in->causal && j + 1 < b.T) assert_int_equal(tgt[j], tok[j + 1]);
        }
        if (!in->causal) {                                    /* labels never appear as tokens */
            for (int j = 0; j < b.T; j++)
                if (tgt[j] >= 0) assert_int_equal(j, c - 1);
        }
        scored_examples += scored > 0;
    }
    assert_int_equal(scored_examples, n);
    drop(&b);
}

static void test_every_task_opens(void **state)
{
    (void)state;
    const char *const *names = sb_task_names();
    int count = 0;
    for (int i = 0; names[i]; i++, count++) {
        int wn = 0;
        for (int k = 0; real[k]; k++) wn |= !strcmp(real[k], names[i]);
        if (wn && !have_wordnet()) {
            print_message("skipped %s: WordNet is not installed\n", names[i]);
            continue;
        }
        sb_task *t = open_ok(names[i], NULL, 1);
        const sb_task_info *in = sb_task_get_info(t);
        assert_string_equal(in->name, names[i]);
        assert_true(strlen(in->category) > 0 && strlen(in->description) > 10);
        assert_non_null(sb_metric_name(in->metric));
        assert_true(in->vocab >= 3 && in->length >= 2);
        if (!wn) assert_true(in->vocab <= 64);
        if (in->long_length) assert_true(in->long_length > in->length);
        else assert_int_equal(in->split_size[SB_SPLIT_TEST_LONG], 0);
        if (!wn) assert_true(in->long_length > 0);            /* every generated task has test_long */
        assert_true(in->answer_lo >= 0 && in->answer_hi > in->answer_lo && in->answer_hi <= in->vocab);
        if (in->metric == SB_METRIC_BPC) assert_close(in->chance, log2(in->vocab), 1e-12);
        else assert_true(in->chance > 0 && in->chance < 1);
        if (!wn) assert_close(in->chance, 1.0 / (in->answer_hi - in->answer_lo), 1e-12);   /* uniform among answers */
        for (int s = 0; s < SB_SPLIT_COUNT; s++) {
            if (!in->split_size[s]) continue;
            check_ranges(t, s, in->split_size[s] < 300 ? (int)in->split_size[s] : 300);
        }
        if (!wn) {
            assert_int_equal(in->split_size[SB_SPLIT_TRAIN], 20000);
            assert_int_equal(in->split_size[SB_SPLIT_TEST], 1000);
        }
        char kn[256];
        assert_true(sb_task_knobs(t, kn, sizeof kn) > 0);
        assert_mentions(kn, "train=");
        char err[256];
        assert_int_equal(sb_task_check(names[i], kn, err, sizeof err), 0);   /* the record re-parses */
        sb_task_close(t);
    }
    assert_int_equal(count, 14);
    sb_task_close(NULL);
}

/* ---------------------------------------------------------------- determinism and addressing */

static int same(const batch *a, const batch *b)
{
    size_t n = (size_t)a->B * a->T * sizeof(int);
    return !memcmp(a->tok, b->tok, n) && !memcmp(a->typ, b->typ, n) && !memcmp(a->tgt, b->tgt, n);
}

static void test_determinism(void **state)
{
    (void)state;
    for (int i = 0; generated[i]; i++) {
        sb_task *a = open_ok(generated[i], NULL, 42), *b = open_ok(generated[i], NULL, 42), *c = open_ok(generated[i], NULL, 43);
        for (int s = 0; s < SB_SPLIT_COUNT; s++) {
            batch x = fetch(a, s, 0, 64), y = fetch(b, s, 0, 64), z = fetch(c, s, 0, 64);
            assert_true(same(&x, &y));
            assert_false(same(&x, &z));
            drop(&x), drop(&y), drop(&z);
        }
        sb_task_close(a), sb_task_close(b), sb_task_close(c);
    }
}

static void test_determinism_wordnet(void **state)
{
    (void)state;
    SKIP_WITHOUT_WORDNET();
    for (int i = 0; real[i]; i++) {
        sb_task *a = open_ok(real[i], NULL, 42), *b = open_ok(real[i], NULL, 42), *c = open_ok(real[i], NULL, 43);
        for (int s = 0; s < SB_SPLIT_COUNT; s++) {
            if (!sb_task_get_info(a)->split_size[s]) continue;
            batch x = fetch(a, s, 0, 64), y = fetch(b, s, 0, 64), z = fetch(c, s, 0, 64);
            assert_true(same(&x, &y));
            if (s == SB_SPLIT_TRAIN) assert_false(same(&x, &z));   /* the seed orders train */
            else assert_true(same(&x, &z));                        /* evaluation sets are fixed */
            drop(&x), drop(&y), drop(&z);
        }
        assert_memory_equal(sb_task_get_info(a)->split_size, sb_task_get_info(c)->split_size, sizeof(long) * SB_SPLIT_COUNT);
        sb_task_close(a), sb_task_close(b), sb_task_close(c);
    }
}

static void check_addressing(sb_task *t)
{
    const sb_task_info *in = sb_task_get_info(t);
    for (int s = 0; s < SB_SPLIT_COUNT; s++) {
        long n = in->split_size[s];
        if (!n) continue;
        batch big = fetch(t, s, 95, 30);
        for (int i = 0; i < 30; i += 7) {                 /* alone, or first of another batch */
            batch one = fetch(t, s, 95 + i, 1), other = fetch(t, s, 95 + i, 3);
            assert_memory_equal(one.tok, row(&big, big.tok, i), sizeof(int) * big.T);
            assert_memory_equal(one.tgt, row(&big, big.tgt, i), sizeof(int) * big.T);
            assert_memory_equal(one.typ, row(&big, big.typ, i), sizeof(int) * big.T);
            assert_memory_equal(other.tok, one.tok, sizeof(int) * big.T);
            drop(&one), drop(&other);
        }
        batch wrap = fetch(t, s, n + 95, 2), neg = fetch(t, s, -1, 2), last = fetch(t, s, n - 1, 1), first = fetch(t, s, 0, 1);
        assert_memory_equal(wrap.tok, big.tok, sizeof(int) * 2 * big.T);
        assert_memory_equal(neg.tok, last.tok, sizeof(int) * big.T);
        assert_memory_equal(row(&neg, neg.tok, 1), first.tok, sizeof(int) * big.T);
        /* types may be NULL */
        int *tok = malloc(sizeof(int) * 2 * big.T), *tgt = malloc(sizeof(int) * 2 * big.T);
        assert_int_equal(sb_task_examples(t, s, 95, 2, tok, NULL, tgt), 0);
        assert_memory_equal(tok, big.tok, sizeof(int) * 2 * big.T);
        assert_memory_equal(tgt, big.tgt, sizeof(int) * 2 * big.T);
        free(tok), free(tgt);
        drop(&big), drop(&wrap), drop(&neg), drop(&last), drop(&first);
    }
}

static void test_index_addressing(void **state)
{
    (void)state;
    for (int i = 0; generated[i]; i++) {
        sb_task *t = open_ok(generated[i], NULL, 5);
        check_addressing(t);
        sb_task_close(t);
    }
    if (have_wordnet())
        for (int i = 0; real[i]; i++) {
            sb_task *t = open_ok(real[i], NULL, 5);
            check_addressing(t);
            sb_task_close(t);
        }
    sb_task *t = open_ok("copy", NULL, 5);
    int tok[40], tgt[40];
    assert_int_equal(sb_task_examples(t, 7, 0, 1, tok, NULL, tgt), -1);
    assert_mentions(sb_task_error(t), "split");
    assert_int_equal(sb_task_examples(t, SB_SPLIT_TEST, 0, 1, tok, NULL, tgt), 0);
    assert_string_equal(sb_task_error(t), "");
    sb_task_close(t);
}

/* ---------------------------------------------------------------- disjointness */

static void check_disjoint(sb_task *t, int chunk)
{
    const sb_task_info *in = sb_task_get_info(t);
    long ntrain = in->split_size[SB_SPLIT_TRAIN];
    hset train = hset_new((size_t)ntrain), valid = hset_new((size_t)in->split_size[SB_SPLIT_VALID]);
    for (long f = 0; f < ntrain; f += chunk) {
        int B = (int)(ntrain - f < chunk ? ntrain - f : chunk);
        batch b = fetch(t, SB_SPLIT_TRAIN, f, B);
        for (int i = 0; i < B; i++) hset_add(&train, hash_row(row(&b, b.tok, i), b.T));
        drop(&b);
    }
    batch v = fetch(t, SB_SPLIT_VALID, 0, (int)in->split_size[SB_SPLIT_VALID]);
    batch te = fetch(t, SB_SPLIT_TEST, 0, (int)in->split_size[SB_SPLIT_TEST]);
    long clash = 0;
    for (int i = 0; i < v.B; i++) {
        uint64_t h = hash_row(row(&v, v.tok, i), v.T);
        clash += hset_has(&train, h);
        hset_add(&valid, h);
    }
    for (int i = 0; i < te.B; i++) {
        uint64_t h = hash_row(row(&te, te.tok, i), te.T);
        clash += hset_has(&train, h) + hset_has(&valid, h);
    }
    if (clash) print_error("%s: %ld valid/test sequences also in train or valid\n", in->name, clash);
    assert_int_equal(clash, 0);
    drop(&v), drop(&te);
    free(train.slot), free(valid.slot);
}

static void test_splits_disjoint(void **state)
{
    (void)state;
    for (int i = 0; generated[i]; i++) {
        sb_task *t = open_ok(generated[i], NULL, 11);
        check_disjoint(t, 2000);
        sb_task_close(t);
    }
    /* a small example space: every short copy string is somewhere, never in two splits */
    sb_task *t = open_ok("copy", "len=4,alpha=4", 11);
    check_disjoint(t, 2000);
    sb_task_close(t);
}

static void test_splits_disjoint_wordnet(void **state)
{
    (void)state;
    SKIP_WITHOUT_WORDNET();
    sb_task *t = open_ok("supersense", NULL, 3);
    check_disjoint(t, 4000);
    sb_task_close(t);
    t = open_ok("morph", "balanced=0", 3);
    check_disjoint(t, 4000);
    sb_task_close(t);
}

/* ---------------------------------------------------------------- balance */

static void count_labels(const char *name, const char *knobs, int split, int n, long *count, int base, int k)
{
    sb_task *t = open_ok(name, knobs, 9);
    batch b = fetch(t, split, 0, n);
    for (int i = 0; i < n; i++) {
        const int *tgt = row(&b, b.tgt, i);
        int label = -1;
        for (int j = 0; j < b.T; j++)
            if (tgt[j] >= 0) label = tgt[j];
        assert_in_range(label, base, base + k - 1);
        count[label - base]++;
    }
    drop(&b);
    sb_task_close(t);
}

static void test_label_balance(void **state)
{
    (void)state;
    struct { const char *name; int base, k; } tasks[] = { { "parity", 2, 2 }, { "agreement", 45, 2 }, { "wellformed", 6, 2 },
                                                          { "listops", 2, 10 } };
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
        for (int s = 0; s < SB_SPLIT_COUNT; s++) {
            long count[10] = { 0 };
            count_labels(tasks[i].name, NULL, s, 1000, count, tasks[i].base, tasks[i].k);
            for (int l = 0; l < tasks[i].k; l++) assert_int_equal(count[l], 1000 / tasks[i].k);
        }
}

/* ---------------------------------------------------------------- independent checkers */

/* The split's size range [lo, hi] of a generated task with knob n (min lo for the short splits). */
static void range_of(int split, int n, int min, int *lo, int *hi)
{
    if (split == SB_SPLIT_TEST_LONG) *lo = n + 1, *hi = 2 * n;
    else *lo = min, *hi = n;
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* copy, reverse with len=10, alpha=12, sort with len=10, alpha=24 (distinct): x SEP f(x). */
static void check_transduction(const char *name, int split, const int *tok, const int *typ, const int *tgt, int T)
{
    int n = 0, lo, hi, y[64];
    while (n < T && tok[n] != 1) n++;
    range_of(split, 10, 1, &lo, &hi);
    assert_in_range(n, lo, hi);
    int sorting = !strcmp(name, "sort");
    for (int i = 0; i < n; i++) {
        assert_in_range(tok[i], 2, sorting ? 25 : 13);
        for (int k = 0; k < i && sorting; k++) assert_int_not_equal(tok[k], tok[i]);
    }
    memcpy(y, tok, sizeof(int) * n);
    if (!strcmp(name, "reverse"))
        for (int i = 0; i < n; i++) y[i] = tok[n - 1 - i];
    if (!strcmp(name, "sort")) qsort(y, (size_t)n, sizeof(int), cmp_int);
    assert_int_equal(content(tok, T), 2 * n + 1);
    for (int j = 0; j < T; j++) {
        int want = j >= n && j < 2 * n ? y[j - n] : -1;
        assert_int_equal(tgt[j], want);
        assert_int_equal(typ[j], j >= n && j <= 2 * n);
        if (j > n && j <= 2 * n) assert_int_equal(tok[j], y[j - n - 1]);
    }
}

/* recall with pairs=6: K = 16 keys 2..17, values 18..33. */
static void check_recall(int split, const int *tok, const int *typ, const int *tgt, int T)
{
    int n = 0, lo, hi, value[64], asked[64] = { 0 };
    for (int k = 0; k < 64; k++) value[k] = -1;
    while (n < T && tok[n] != 1) n++;
    assert_int_equal(n % 2, 0);
    int p = n / 2;
    range_of(split, 6, 1, &lo, &hi);
    assert_in_range(p, lo, hi);
    for (int i = 0; i < p; i++) {
        int k = tok[2 * i], v = tok[2 * i + 1];
        assert_in_range(k, 2, 17);
        assert_in_range(v, 18, 33);
        assert_int_equal(value[k], -1);                  /* distinct keys */
        value[k] = v;
    }
    assert_int_equal(content(tok, T), 4 * p + 1);
    for (int j = 0; j < T; j++) {
        int want = -1;
        if (j > n && j <= 4 * p && (j - n) % 2 == 1) {
            int q = tok[j];
            assert_in_range(q, 2, 17);
            assert_true(value[q] >= 0);
            assert_int_equal(asked[q]++, 0);             /* every key once */
            want = value[q];
            assert_int_equal(tok[j + 1], want);
        }
        assert_int_equal(tgt[j], want);
        assert_int_equal(typ[j], j >= n && j <= 4 * p);
    }
}

/* induction with len=20, span=3: A = 24 symbols 1..24. */
static void check_induction(int split, const int *tok, const int *tgt, int T)
{
    int n = content(tok, T), lo, hi, span = 3;
    range_of(split, 20, 2 * span + 1, &lo, &hi);
    assert_in_range(n, lo, hi);
    for (int j = 0; j < T; j++) {
        if (j < n - span || j > n - 2) {
            assert_int_equal(tgt[j], -1);
            continue;
        }
        int at = -1, seen = 0;                          /* the earlier occurrence, which must be unique */
        for (int i = 0; i < n - span; i++)
            if (tok[i] == tok[j]) at = i, seen++;
        assert_int_equal(seen, 1);
        assert_int_equal(tgt[j], tok[at + 1]);
        assert_int_equal(tok[j + 1], tok[at + 1]);
    }
}

/* dyck with len=16: a well-formed string over ( [ ) ] = 2 3 4 5; every closing bracket is scored
   at the position before it, and is the partner of the innermost open bracket. */
static void check_dyck(int split, const int *tok, const int *tgt, int T)
{
    int n = content(tok, T), lo, hi, stack[128], d = 0;
    assert_int_equal(n % 2, 0);
    range_of(split, 8, 1, &lo, &hi);
    assert_in_range(n / 2, lo, hi);
    for (int i = 0; i < T; i++) {
        int want = -1;
        if (i < n) {
            assert_in_range(tok[i], 2, 5);
            if (tok[i] == 2 || tok[i] == 3) stack[d++] = tok[i];
            else assert_int_equal(stack[--d] + 2, tok[i]);
        }
        if (i + 1 < n && (tok[i + 1] == 4 || tok[i + 1] == 5)) want = stack[d - 1] + 2;
        assert_int_equal(tgt[i], want);
    }
    assert_int_equal(d, 0);
}

/* wellformed with len=16: ( [ ) ] = 2 3 4 5, labels 6 ill-formed, 7 well-formed. */
static void check_wellformed(int split, const int *tok, const int *tgt, int T)
{
    int n = content(tok, T) - 1, lo, hi, stack[128], d = 0, ok = 1;
    assert_int_equal(tok[n], 1);
    assert_int_equal(n % 2, 0);
    range_of(split, 8, 1, &lo, &hi);
    assert_in_range(n / 2, lo, hi);
    for (int i = 0; i < n; i++) {
        assert_in_range(tok[i], 2, 5);
        if (tok[i] == 2 || tok[i] == 3) stack[d++] = tok[i];
        else if (d && stack[d - 1] == tok[i] - 2) d--;
        else ok = 0;
    }
    ok = ok && d == 0;
    assert_int_equal(tgt[n], ok ? 7 : 6);
}

/* listops: a recursive evaluator of the token sequence; returns the value, advances *p. */
static int eval(const int *tok, int *p, int *depth)
{
    int t = tok[(*p)++];
    if (t >= 2 && t <= 11) {
        *depth = 0;
        return t - 2;
    }
    assert_in_range(t, 12, 15);
    int v[64] = { 0 }, k = 0, dmax = 0;
    while (tok[*p] != 16) {
        int d;
        v[k++] = eval(tok, p, &d);
        if (d > dmax) dmax = d;
    }
    (*p)++;
    *depth = dmax + 1;
    assert_in_range(k, 2, 4);
    int mx = v[0], mn = v[0], sum = 0;
    for (int i = 0; i < k; i++) mx = v[i] > mx ? v[i] : mx, mn = v[i] < mn ? v[i] : mn, sum += v[i];
    if (t == 12) return mx;
    if (t == 13) return mn;
    if (t == 15) return sum % 10;
    int s[4];
    memcpy(s, v, sizeof(int) * k);
    qsort(s, (size_t)k, sizeof(int), cmp_int);
    return s[(k - 1) / 2];
}

/* listops with depth=2: length at most 32 (test_long: 33..64, depth 3..4). */
static void check_listops(int split, const int *tok, const int *tgt, int T)
{
    int n = content(tok, T) - 1, p = 0, depth;
    assert_int_equal(tok[n], 1);
    int v = eval(tok, &p, &depth);
    assert_int_equal(p, n);
    assert_int_equal(tgt[n], 2 + v);
    if (split == SB_SPLIT_TEST_LONG) assert_in_range(n, 33, 64), assert_in_range(depth, 3, 4);
    else assert_in_range(n, 1, 32), assert_in_range(depth, 1, 2);
}

/* modadd with terms=7, mod=9: residues 2..10. */
static void check_modadd(int split, const int *tok, const int *typ, const int *tgt, int T)
{
    int n = 0, lo, hi, sum = 0;
    while (tok[n] != 1) n++;
    range_of(split, 7, 1, &lo, &hi);
    assert_in_range(n, lo, hi);
    assert_int_equal(content(tok, T), 2 * n + 1);
    for (int i = 0; i < n; i++) {
        assert_in_range(tok[i], 2, 10);
        sum = (sum + tok[i] - 2) % 9;
        assert_int_equal(tgt[n + i], 2 + sum);
        assert_int_equal(tok[n + 1 + i], 2 + sum);
        assert_int_equal(typ[n + 1 + i], 1);
    }
}

/* parity with len=12. */
static void check_parity(int split, const int *tok, const int *tgt, int T)
{
    int n = content(tok, T) - 1, lo, hi, p = 0;
    range_of(split, 12, 1, &lo, &hi);
    assert_in_range(n, lo, hi);
    assert_int_equal(tok[n], 1);
    for (int i = 0; i < n; i++) assert_in_range(tok[i], 2, 3), p ^= tok[i] - 2;
    assert_int_equal(tgt[n], 2 + p);
}

/* agreement with attractors=3, from the grammar; counts nouns opposing the subject. */
enum { THE = 2, THAT = 3, COMMA = 4 };
static int is_prep(int t) { return t >= 5 && t <= 8; }
static int is_noun(int t) { return t >= 9 && t <= 28; }
static int is_verb(int t) { return t >= 29 && t <= 44; }
static int number_of(int t) { return (t - (is_noun(t) ? 9 : 29)) % 2; }

static void check_agreement(int split, const int *tok, const int *tgt, int T, long *opposed, long *others)
{
    int p = 0, pre = 0, lo, hi, k = 0;
    while (is_prep(tok[p])) {
        assert_int_equal(tok[p + 1], THE);
        assert_true(is_noun(tok[p + 2]));
        p += 3, pre++;
    }
    assert_in_range(pre, 0, 2);
    int pre_nouns[2] = { 0 };
    for (int i = 0; i < pre; i++) pre_nouns[i] = tok[3 * i + 2];
    if (pre) assert_int_equal(tok[p++], COMMA);
    assert_int_equal(tok[p++], THE);
    assert_true(is_noun(tok[p]));
    int subj = number_of(tok[p++]), recent = subj;
    for (int i = 0; i < pre; i++) *opposed += number_of(pre_nouns[i]) != subj, ++*others;
    while (tok[p] != 1) {
        int noun;
        if (is_prep(tok[p])) {
            assert_int_equal(tok[p + 1], THE);
            noun = tok[p + 2];
            p += 3;
        } else {
            assert_int_equal(tok[p], THAT);
            if (tok[p + 1] == THE) {                    /* object relative: that the N V */
                noun = tok[p + 2];
                assert_true(is_verb(tok[p + 3]));
                assert_int_equal(number_of(tok[p + 3]), number_of(noun));
            } else {                                    /* subject relative: that V the N */
                assert_true(is_verb(tok[p + 1]));
                assert_int_equal(number_of(tok[p + 1]), recent);
                assert_int_equal(tok[p + 2], THE);
                noun = tok[p + 3];
            }
            p += 4;
        }
        assert_true(is_noun(noun));
        recent = number_of(noun);
        *opposed += recent != subj, ++*others;
        k++;
    }
    range_of(split, 3, 1, &lo, &hi);
    assert_in_range(k, lo, hi);
    assert_int_equal(content(tok, T), p + 1);
    assert_int_equal(tgt[p], 45 + subj);
}

static void test_answers_recomputed(void **state)
{
    (void)state;
    struct { const char *name, *knobs; } tasks[] = {
        { "copy", "len=10,alpha=12" }, { "reverse", "len=10,alpha=12" }, { "sort", "len=10,alpha=24" },
        { "recall", "pairs=6" }, { "induction", "len=20,span=3" }, { "dyck", "len=16" }, { "wellformed", "len=16" },
        { "listops", "depth=2" },
        { "modadd", "terms=7,mod=9" }, { "parity", "len=12" }, { "agreement", "attractors=3" },
    };
    for (size_t k = 0; k < sizeof tasks / sizeof tasks[0]; k++) {
        const char *name = tasks[k].name;
        sb_task *t = open_ok(name, tasks[k].knobs, 77);
        long opposed = 0, others = 0;
        for (int s = 0; s < SB_SPLIT_COUNT; s++) {
            int n = s == SB_SPLIT_TRAIN ? 3000 : 1000;
            batch b = fetch(t, s, 0, n);
            for (int i = 0; i < n; i++) {
                const int *tok = row(&b, b.tok, i), *typ = row(&b, b.typ, i), *tgt = row(&b, b.tgt, i);
                if (!strcmp(name, "copy") || !strcmp(name, "reverse") || !strcmp(name, "sort"))
                    check_transduction(name, s, tok, typ, tgt, b.T);
                else if (!strcmp(name, "recall")) check_recall(s, tok, typ, tgt, b.T);
                else if (!strcmp(name, "induction")) check_induction(s, tok, tgt, b.T);
                else if (!strcmp(name, "dyck")) check_dyck(s, tok, tgt, b.T);
                else if (!strcmp(name, "wellformed")) check_wellformed(s, tok, tgt, b.T);
                else if (!strcmp(name, "listops")) check_listops(s, tok, tgt, b.T);
                else if (!strcmp(name, "modadd")) check_modadd(s, tok, typ, tgt, b.T);
                else if (!strcmp(name, "parity")) check_parity(s, tok, tgt, b.T);
                else check_agreement(s, tok, tgt, b.T, &opposed, &others);
            }
            drop(&b);
        }
        if (!strcmp(name, "agreement")) assert_close((double)opposed / others, 0.75, 0.03);
        sb_task_close(t);
    }
}

/* ---------------------------------------------------------------- WordNet answers */

/* The character of a gloss byte as the tasks map it (lower case, '#' outside the vocabulary). */
static char norm(char c)
{
    c = (char)tolower((unsigned char)c);
    return (c && strchr("abcdefghijklmnopqrstuvwxyz0123456789 \";()-,'.:`?!/", c)) ? c : '#';
}

/* Decode a task's character tokens (3..28 a-z, 29..38 0-9, 2 space, 39.. punctuation). */
static void decode(const int *tok, int n, char *out)
{
    static const char punct[] = "\";()-,'.:`?!/";
    for (int i = 0; i < n; i++) {
        int t = tok[i];
        out[i] = t == 2 ? ' ' : t >= 3 && t < 29 ? (char)('a' + t - 3) : t >= 29 && t < 39 ? (char)('0' + t - 29) :
                 t >= 39 && t < 52 ? punct[t - 39] : t == 1 ? '\n' : '#';
    }
    out[n] = 0;
}

/* A string -> 64-bit mask map (open addressing, keys owned). */
typedef struct { char **key; uint64_t *mask; size_t cap; } smap;

static smap smap_new(size_t cap)
{
    smap m = { calloc(cap, sizeof(char *)), calloc(cap, sizeof(uint64_t)), cap };
    assert_true(m.key && m.mask);
    return m;
}

static size_t smap_slot(const smap *m, const char *k)
{
    size_t i = 1469598103934665603ULL;
    for (const char *c = k; *c; c++) i = (i ^ (unsigned char)*c) * 1099511628211ULL;
    i &= m->cap - 1;
    while (m->key[i] && strcmp(m->key[i], k)) i = (i + 1) & (m->cap - 1);
    return i;
}

static void smap_or(smap *m, const char *k, uint64_t bits)
{
    size_t i = smap_slot(m, k);
    if (!m->key[i]) m->key[i] = strdup(k);
    m->mask[i] |= bits;
}

static uint64_t smap_get(const smap *m, const char *k) { return m->mask[smap_slot(m, k)]; }

static void smap_free(smap *m)
{
    for (size_t i = 0; i < m->cap; i++) free(m->key[i]);
    free(m->key), free(m->mask);
}

static void test_supersense_answers(void **state)
{
    (void)state;
    SKIP_WITHOUT_WORDNET();
    static const char *const files[] = { "data.noun", "data.verb", "data.adj", "data.adv" };
    const char *dir = getenv("WNSEARCHDIR") && *getenv("WNSEARCHDIR") ? getenv("WNSEARCHDIR") : "/usr/share/wordnet";
    smap m = smap_new(1 << 18);
    int len = 64;
    for (int f = 0; f < 4; f++) {                      /* definition text -> classes, parsed here */
        char path[1024], *line = NULL;
        size_t cap = 0;
        snprintf(path, sizeof path, "%s/%s", dir, files[f]);
        FILE *fp = fopen(path, "r");
        assert_non_null(fp);
        while (getline(&line, &cap, fp) > 0) {
            if (line[0] == ' ') continue;
            int lex = atoi(line + 9);
            char *g = strstr(line, " | ");
            assert_non_null(g);
            g += 3;
            char def[2048];
            int n = 0;
            while (g[n] && g[n] != '"' && g[n] != '\n') def[n] = norm(g[n]), n++;
            while (n && (def[n - 1] == ' ' || def[n - 1] == ';')) n--;
            if (n > len - 1) n = len - 1;
            def[n] = 0;
            if (n) smap_or(&m, def, 1ULL << lex);
        }
        free(line);
        fclose(fp);
    }
    sb_task *t = open_ok("supersense", "len=64", 1);
    const sb_task_info *in = sb_task_get_info(t);
    assert_int_equal(in->vocab, 53 + 45);
    long freq[45] = { 0 };
    for (int s = 0; s < 3; s++) {
        int n = (int)(in->split_size[s] < 5000 ? in->split_size[s] : 5000);
        batch b = fetch(t, s, 0, n);
        for (int i = 0; i < n; i++) {
            const int *tok = row(&b, b.tok, i), *tgt = row(&b, b.tgt, i);
            int c = content(tok, b.T) - 1;
            char text[1100];
            assert_int_equal(tok[c], 1);
            decode(tok, c, text);
            int label = tgt[c] - 53;
            assert_in_range(label, 0, 44);
            if (s == SB_SPLIT_TEST) freq[label]++;
            if (!(smap_get(&m, text) >> label & 1)) print_error("'%s' is not of class %d\n", text, label);
            assert_true(smap_get(&m, text) >> label & 1);
        }
        drop(&b);
    }
    /* chance: the majority rate; the largest class on the test sample is about that */
    long best = 0;
    for (int l = 0; l < 45; l++) best = freq[l] > best ? freq[l] : best;
    assert_true(in->chance > 0.05 && in->chance < 0.3);
    assert_close(in->chance, (double)best / 5000, 0.05);
    sb_task_close(t);
    smap_free(&m);
}

static void test_morph_answers(void **state)
{
    (void)state;
    SKIP_WITHOUT_WORDNET();
    static const char *const files[] = { "index.noun", "index.verb", "index.adj", "index.adv" };
    const char *dir = getenv("WNSEARCHDIR") && *getenv("WNSEARCHDIR") ? getenv("WNSEARCHDIR") : "/usr/share/wordnet";
    smap m = smap_new(1 << 18);                        /* lemma -> senses per part of speech, 16 bits each */
    for (int f = 0; f < 4; f++) {
        char path[1024], *line = NULL, lemma[512], pos;
        size_t cap = 0;
        int senses;
        snprintf(path, sizeof path, "%s/%s", dir, files[f]);
        FILE *fp = fopen(path, "r");
        assert_non_null(fp);
        while (getline(&line, &cap, fp) > 0) {
            if (line[0] == ' ') continue;
            assert_int_equal(sscanf(line, "%511s %c %d", lemma, &pos, &senses), 3);
            if (strchr(lemma, '_')) continue;
            for (char *c = lemma; *c; c++) *c = norm(*c);
            smap_or(&m, lemma, (uint64_t)senses << (16 * f));
        }
        free(line);
        fclose(fp);
    }
    for (int balanced = 0; balanced < 2; balanced++) {
        sb_task *t = open_ok("morph", balanced ? NULL : "balanced=0", 1);
        const sb_task_info *in = sb_task_get_info(t);
        long total[4] = { 0 };
        for (int s = 0; s < 3; s++) {
            int n = (int)in->split_size[s];
            batch b = fetch(t, s, 0, n);
            for (int i = 0; i < n; i++) {
                const int *tok = row(&b, b.tok, i), *tgt = row(&b, b.tgt, i);
                int c = content(tok, b.T) - 1;
                char word[64];
                assert_in_range(c, 1, 23);
                decode(tok, c, word);
                uint64_t senses = smap_get(&m, word);
                int best = 0;
                for (int p = 1; p < 4; p++)
                    if ((senses >> (16 * p) & 0xFFFF) > (senses >> (16 * best) & 0xFFFF)) best = p;
                assert_true(senses != 0);
                assert_int_equal(tgt[c], 53 + best);
                total[best]++;
            }
            drop(&b);
        }
        if (balanced) {
            for (int p = 1; p < 4; p++) assert_int_equal(total[p], total[0]);
            assert_true(in->chance > 0.2 && in->chance < 0.3);
        } else {
            assert_true(total[0] > total[1] + total[2] + total[3]);   /* nouns dominate */
            assert_true(in->chance > 0.5);
        }
        sb_task_close(t);
    }
    smap_free(&m);
}

static void test_lm_windows(void **state)
{
    (void)state;
    SKIP_WITHOUT_WORDNET();
    sb_task *t = open_ok("lm", "len=32", 1);
    sb_task *w = open_ok("lm", "len=256", 1);
    const sb_task_info *in = sb_task_get_info(t);
    assert_int_equal(in->long_length, 64);
    assert_int_equal(in->split_size[SB_SPLIT_TEST], 2000);
    batch v = fetch(t, SB_SPLIT_TEST, 0, 200), l = fetch(t, SB_SPLIT_TEST_LONG, 0, 2);
    for (int i = 0; i < 200; i++) {
        const int *tok = row(&v, v.tok, i), *tgt = row(&v, v.tgt, i);
        for (int j = 0; j + 1 < 32; j++) assert_int_equal(tgt[j], tok[j + 1]);
        if (i + 1 < 200) assert_int_equal(tgt[31], row(&v, v.tok, i + 1)[0]);   /* one stream */
    }
    /* test_long windows cover the same stream at twice the length */
    assert_memory_equal(l.tok, v.tok, sizeof(int) * 64);
    assert_memory_equal(l.tgt, v.tgt, sizeof(int) * 64);
    drop(&v), drop(&l);
    sb_task_close(t);
    /* glosses: no whole gloss of a test window occurs whole in a train window (windows of 256) */
    hset train = hset_new(1 << 19);
    long ntrain = sb_task_get_info(w)->split_size[SB_SPLIT_TRAIN], ngloss = 0, clash = 0;
    for (long f = 0; f < ntrain; f += 4000) {
        int B = (int)(ntrain - f < 4000 ? ntrain - f : 4000);
        batch b = fetch(w, SB_SPLIT_TRAIN, f, B);
        for (int i = 0; i < B; i++) {
            const int *tok = row(&b, b.tok, i);
            for (int a = 0; a < 256; a++) {
                if (tok[a] != 1) continue;
                for (int e = a + 1; e < 256; e++)
                    if (tok[e] == 1) {
                        hset_add(&train, hash_row(tok + a + 1, e - a - 1));
                        break;
                    }
            }
        }
        drop(&b);
    }
    batch te = fetch(w, SB_SPLIT_TEST, 0, 2000);
    for (int i = 0; i < 2000; i++) {
        const int *tok = row(&te, te.tok, i);
        for (int a = 0; a < 256; a++) {
            if (tok[a] != 1) continue;
            for (int e = a + 1; e < 256; e++)
                if (tok[e] == 1) {
                    clash += hset_has(&train, hash_row(tok + a + 1, e - a - 1));
                    ngloss++;
                    break;
                }
        }
    }
    assert_true(ngloss > 1000);
    assert_int_equal(clash, 0);
    free(train.slot);
    drop(&te);
    sb_task_close(w);
}

/* ---------------------------------------------------------------- test_long */

static void test_long_is_longer(void **state)
{
    (void)state;
    for (int i = 0; generated[i]; i++) {
        sb_task *t = open_ok(generated[i], NULL, 21);
        const sb_task_info *in = sb_task_get_info(t);
        int longest = 0, shortest = 1 << 30;
        for (long f = 0; f < in->split_size[SB_SPLIT_TRAIN]; f += 5000) {
            batch b = fetch(t, SB_SPLIT_TRAIN, f, 5000);
            for (int k = 0; k < b.B; k++) {
                int c = content(row(&b, b.tok, k), b.T);
                longest = c > longest ? c : longest;
            }
            drop(&b);
        }
        batch l = fetch(t, SB_SPLIT_TEST_LONG, 0, (int)in->split_size[SB_SPLIT_TEST_LONG]);
        for (int k = 0; k < l.B; k++) {
            int c = content(row(&l, l.tok, k), l.T);
            shortest = c < shortest ? c : shortest;
        }
        if (shortest <= longest) print_error("%s: test_long %d <= train %d\n", generated[i], shortest, longest);
        assert_true(shortest > longest);
        assert_true(longest <= in->length && shortest <= in->long_length);
        drop(&l);
        sb_task_close(t);
    }
}

/* ---------------------------------------------------------------- knobs */

static void refused(const char *name, const char *knobs, const char *frag1, const char *frag2)
{
    char err[512] = "";
    sb_task *t = sb_task_open(name, knobs, 1, err, sizeof err);
    assert_null(t);
    assert_mentions(err, frag1);
    if (frag2) assert_mentions(err, frag2);
    char err2[512] = "";
    assert_int_equal(sb_task_check(name, knobs, err2, sizeof err2), -1);
    assert_string_equal(err, err2);
}

static void test_knobs(void **state)
{
    (void)state;
    sb_task *t = open_ok("copy", "len=12", 1);
    assert_int_equal(sb_task_get_info(t)->length, 25);
    assert_int_equal(sb_task_get_info(t)->long_length, 49);
    sb_task_close(t);
    t = open_ok("copy", " len = 12 , alpha=8 ,train=300, eval=40 ", 1);
    const sb_task_info *in = sb_task_get_info(t);
    assert_int_equal(in->vocab, 10);
    assert_close(in->chance, 1.0 / 8, 1e-12);
    assert_int_equal(in->split_size[SB_SPLIT_TRAIN], 300);
    assert_int_equal(in->split_size[SB_SPLIT_VALID], 40);
    assert_int_equal(in->split_size[SB_SPLIT_TEST_LONG], 40);
    char kn[128];
    sb_task_knobs(t, kn, sizeof kn);
    assert_string_equal(kn, "len=12,alpha=8,train=300,eval=40");
    sb_task_close(t);
    t = open_ok("recall", "pairs=20", 1);
    assert_int_equal(sb_task_get_info(t)->vocab, 2 + 2 * 40);
    assert_int_equal(sb_task_get_info(t)->long_length, 161);
    sb_task_close(t);
    t = open_ok("copy", "", 1);
    sb_task_close(t);

    refused("copy", "foo=1", "unknown knob 'foo'", "accepted: len, alpha, train, eval");
    refused("copy", "len=abc", "len=abc", "1..256");
    refused("copy", "len=0", "len=0", "1..256");
    refused("copy", "len=257", "len=257", "1..256");
    refused("copy", "len=1.5", "len=1.5", NULL);
    refused("copy", "len=", "len=", NULL);
    refused("copy", "len=99999999999999999999", "len=", NULL);
    refused("copy", "len", "'len' has no value", NULL);
    refused("copy", "len=5,len=6", "len given twice", NULL);
    refused("copy", "len=5,,alpha=3", "empty knob", NULL);
    refused("copy", "len=5,", "empty knob", NULL);
    refused("copy", "train=0", "train=0", NULL);
    refused("listops", "len=5", "unknown knob 'len'", "accepted: depth");
    refused("morph", "balanced=2", "balanced=2", "0..1");
    refused("sort", "len=30", "alpha=48 must be at least 2*len = 60", NULL);
    refused("bogus", NULL, "unknown task 'bogus'", "copy, reverse");
    refused(NULL, NULL, "unknown task", NULL);
    refused("induction", "len=6,span=3", "len=6 must be at least 2*span+1 = 7", NULL);

    char help[1024];
    assert_int_equal(sb_task_knob_help("copy", help, sizeof help), 0);
    assert_mentions(help, "len=1..256 (default 16)");
    assert_mentions(help, "alpha=2..62 (default 16)");
    assert_mentions(help, "train=N");
    assert_int_equal(sb_task_knob_help("bogus", help, sizeof help), -1);
    char tiny[8];
    assert_int_equal(sb_task_knob_help("copy", tiny, sizeof tiny), 0);   /* cut to fit */
    assert_true(strlen(tiny) == 7 && !strncmp(tiny, "len=1..", 7));

    assert_string_equal(sb_split_name(SB_SPLIT_TEST_LONG), "test_long");
    assert_null(sb_split_name(4));
    assert_string_equal(sb_metric_name(SB_METRIC_BPC), "bpc");
    assert_null(sb_metric_name(-1));
}

static void test_too_few_examples(void **state)
{
    (void)state;
    /* copy of one symbol out of two: two sequences in all, so some split may get none */
    int found = 0;
    for (uint64_t seed = 1; seed < 20 && !found; seed++) {
        sb_task *t = open_ok("copy", "len=1,alpha=2", seed);
        int tok[3], tgt[3];
        for (int s = 0; s < 3 && !found; s++)
            if (sb_task_examples(t, s, 0, 1, tok, NULL, tgt)) {
                assert_mentions(sb_task_error(t), "too few distinct examples");
                found = 1;
            }
        sb_task_close(t);
    }
    assert_true(found);
}

static void test_missing_wordnet(void **state)
{
    (void)state;
    char *old = getenv("WNSEARCHDIR") ? strdup(getenv("WNSEARCHDIR")) : NULL;
    setenv("WNSEARCHDIR", "/nonexistent/wordnet", 1);
    char err[512];
    const char *names[] = { "lm", "supersense", "morph" }, *file[] = { "data.noun", "data.noun", "index.noun" };
    for (int i = 0; i < 3; i++) {
        assert_null(sb_task_open(names[i], NULL, 1, err, sizeof err));
        assert_mentions(err, "wordnet-base");
        assert_mentions(err, file[i]);
        assert_mentions(err, "/nonexistent/wordnet");
        assert_int_equal(sb_task_check(names[i], NULL, err, sizeof err), 0);   /* checking loads nothing */
    }
    if (old) setenv("WNSEARCHDIR", old, 1), free(old);
    else unsetenv("WNSEARCHDIR");
}

/* ---------------------------------------------------------------- suites */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void suite_refused(const char *text, int max, const char *frag1, const char *frag2)
{
    char path[] = "/tmp/sb_suiteXXXXXX", names[8][SB_SUITE_NAME], knobs[8][SB_SUITE_KNOBS], err[512] = "";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, text);
    assert_int_equal(sb_suite_load(path, names, knobs, max, err, sizeof err), -1);
    assert_mentions(err, path);
    assert_mentions(err, frag1);
    if (frag2) assert_mentions(err, frag2);
    unlink(path);
}

static void test_suite_files(void **state)
{
    (void)state;
    char path[] = "/tmp/sb_suiteXXXXXX", names[8][SB_SUITE_NAME], knobs[8][SB_SUITE_KNOBS], err[512] = "";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "# a comment\n\n  copy len=8   # trailing comment\nrecall\tpairs=4, eval=100\n"
                     "agreement attractors=2 train=50\nmorph\n");
    int n = sb_suite_load(path, names, knobs, 8, err, sizeof err);
    if (n < 0) print_error("%s\n", err);
    assert_int_equal(n, 4);
    assert_string_equal(names[0], "copy"), assert_string_equal(knobs[0], "len=8");
    assert_string_equal(names[1], "recall"), assert_string_equal(knobs[1], "pairs=4,eval=100");
    assert_string_equal(names[2], "agreement"), assert_string_equal(knobs[2], "attractors=2,train=50");
    assert_string_equal(names[3], "morph"), assert_string_equal(knobs[3], "");
    unlink(path);

    suite_refused("copy\n# fine\nbogus len=3\n", 8, ":3: unknown task 'bogus'", "tasks: lm");
    suite_refused("copy\ncopy foo=3\n", 8, ":2: task copy: unknown knob 'foo'", NULL);
    suite_refused("copy len=x\n", 8, ":1: task copy: knob len=x", NULL);
    suite_refused("copy\nsort len=30\n", 8, ":2: task sort: alpha=48 must be at least 2*len", NULL);
    suite_refused("copy\nsort\nreverse\n", 2, ":3: more than 2 tasks", NULL);
    suite_refused("# nothing\n\n", 8, "no tasks", NULL);
    char longname[200];
    memset(longname, 'x', 100), longname[100] = '\n', longname[101] = 0;
    suite_refused(longname, 8, ":1: task name longer than", NULL);
    assert_int_equal(sb_suite_load("/nonexistent.suite", names, knobs, 8, err, sizeof err), -1);
    assert_mentions(err, "/nonexistent.suite: cannot open");
}

static void test_shipped_suites(void **state)
{
    (void)state;
    char path[512], err[512], names[64][SB_SUITE_NAME], knobs[64][SB_SUITE_KNOBS];
    if (access("suites/standard.suite", R_OK)) {
        print_message("skipped: run from the repository root to check suites/*.suite\n");
        skip();
    }
    assert_int_equal(sb_suite_find("standard", "suites", path, sizeof path, err, sizeof err), 0);
    assert_string_equal(path, "suites/standard.suite");
    int n = sb_suite_load(path, names, knobs, 64, err, sizeof err);
    assert_true(n >= 12);
    const char *cats[64];
    int ncat = 0;
    for (int i = 0; i < n; i++) {             /* twelve distinct categories, default sizes */
        assert_string_equal(knobs[i], "");
        char e2[256];
        const char *c = NULL;
        int wn = 0;
        for (int k = 0; real[k]; k++) wn |= !strcmp(real[k], names[i]);
        if (wn && !have_wordnet()) continue;
        sb_task *t = sb_task_open(names[i], NULL, 1, e2, sizeof e2);
        assert_non_null(t);
        c = sb_task_get_info(t)->category;
        int dup = 0;
        for (int k = 0; k < ncat; k++) dup |= !strcmp(cats[k], c);
        if (!dup) cats[ncat++] = c;
        sb_task_close(t);
    }
    if (have_wordnet()) assert_int_equal(ncat, 12);
    assert_int_equal(sb_suite_find("smoke", "suites", path, sizeof path, err, sizeof err), 0);
    n = sb_suite_load(path, names, knobs, 64, err, sizeof err);
    assert_in_range(n, 3, 4);
    assert_int_equal(sb_suite_find("full", "suites", path, sizeof path, err, sizeof err), 0);
    assert_int_equal(sb_suite_load(path, names, knobs, 64, err, sizeof err), 14);
    assert_int_equal(sb_suite_find("suites/smoke.suite", "suites", path, sizeof path, err, sizeof err), 0);
    assert_string_equal(path, "suites/smoke.suite");
    assert_int_equal(sb_suite_find("nosuch", "suites", path, sizeof path, err, sizeof err), -1);
    assert_mentions(err, "no suite 'nosuch'");
    assert_mentions(err, "smoke");
    /* $SHAREBENCH_SUITES adds the user's own suites; the shipped ones stay found */
    char dir[256], own[300];
    assert_int_equal(test_tmpdir_make(dir, sizeof dir, "suites"), 0);
    snprintf(own, sizeof own, "%s/mine.suite", dir);
    FILE *f = fopen(own, "w");
    assert_non_null(f);
    fputs("copy len=4\n", f);
    fclose(f);
    setenv("SHAREBENCH_SUITES", dir, 1);
    assert_int_equal(sb_suite_find("mine", "suites", path, sizeof path, err, sizeof err), 0);
    assert_string_equal(path, own);
    assert_int_equal(sb_suite_find("smoke", "suites", path, sizeof path, err, sizeof err), 0);
    assert_string_equal(path, "suites/smoke.suite");
    assert_int_equal(sb_suite_find("theirs", "suites", path, sizeof path, err, sizeof err), -1);
    assert_mentions(err, "mine");
    unsetenv("SHAREBENCH_SUITES");
    test_tmpdir_remove(dir);
}

/* ---------------------------------------------------------------- scorer */

static void test_scorer(void **state)
{
    (void)state;
    sb_task_info info = { .vocab = 4 };
    /* 2 examples x 3 positions x 4 tokens */
    const float probs[2 * 3 * 4] = {
        0.1f, 0.6f, 0.2f, 0.1f,   /* target 1: right, p = 0.6 */
        0.5f, 0.1f, 0.2f, 0.2f,   /* target 2: wrong, p = 0.2 */
        0.25f, 0.25f, 0.25f, 0.25f, /* unscored */
        0.3f, 0.3f, 0.2f, 0.2f,   /* target 0: a tie goes to the lowest id, right, p = 0.3 */
        0.0f, 0.0f, 0.0f, 1.0f,   /* target 3: right, p = 1 */
        0.0f, 1.0f, 0.0f, 0.0f,   /* target 0: wrong, p = 0, floored at FLT_MIN */
    };
    const int targets[6] = { 1, 2, -1, 0, 3, 0 };
    sb_score s;
    memset(&s, 0, sizeof s);
    assert_true(isnan(sb_score_value(&s, SB_METRIC_ACCURACY)));
    assert_true(isnan(sb_score_stderr(&s, SB_METRIC_EXACT)));
    sb_score_add(&s, &info, probs, targets, 2, 3);
    assert_int_equal(s.positions, 5);
    assert_int_equal(s.correct, 3);
    assert_int_equal(s.examples, 2);
    assert_int_equal(s.exact, 0);
    assert_close(sb_score_value(&s, SB_METRIC_ACCURACY), 3.0 / 5, 1e-12);
    assert_close(sb_score_value(&s, SB_METRIC_EXACT), 0.0, 1e-12);
    double floor_bits = -log2((double)FLT_MIN);
    double bpc = (-log2(0.6f) - log2(0.2f) - log2(0.3f) - 0 + floor_bits) / 5;
    assert_close(floor_bits, 126.0, 1e-12);
    assert_close(sb_score_value(&s, SB_METRIC_BPC), bpc, 1e-6);
    assert_true(isnan(sb_score_value(&s, 7)));
    /* standard errors: ratio estimator with x = (1, 2), n = (2, 3), R = 3/5 */
    double R = 0.6, ss = (1 - R * 2) * (1 - R * 2) + (2 - R * 3) * (2 - R * 3);
    assert_close(sb_score_stderr(&s, SB_METRIC_ACCURACY), sqrt(ss / 2) / 2.5, 1e-12);
    assert_close(sb_score_stderr(&s, SB_METRIC_EXACT), 0.0, 1e-12);
    /* a uniform model: bpc = log2(V), accuracy of a single scored position = 1/V under a fair tie rule */
    sb_score u;
    memset(&u, 0, sizeof u);
    float flat[8 * 4];
    int tg[8];
    for (int i = 0; i < 32; i++) flat[i] = 0.25f;
    for (int i = 0; i < 8; i++) tg[i] = i % 4;
    sb_score_add(&u, &info, flat, tg, 8, 1);
    assert_close(sb_score_value(&u, SB_METRIC_BPC), 2.0, 1e-6);
    assert_close(sb_score_value(&u, SB_METRIC_ACCURACY), 0.25, 1e-12);
    assert_close(sb_score_value(&u, SB_METRIC_EXACT), 0.25, 1e-12);
    assert_close(sb_score_stderr(&u, SB_METRIC_EXACT), sqrt(0.25 * 0.75 / 7), 1e-12);
    assert_close(sb_score_stderr(&u, SB_METRIC_ACCURACY), sqrt(0.25 * 0.75 / 7), 1e-12);
    assert_close(sb_score_stderr(&u, SB_METRIC_BPC), 0.0, 1e-9);
    /* the argmax is taken among the answers only: with answers 2..3 the first row's target 2 wins */
    sb_task_info two = { .vocab = 4, .answer_lo = 2, .answer_hi = 4 };
    const float p1[4] = { 0.7f, 0.1f, 0.15f, 0.05f };
    const int t2[1] = { 2 }, t3[1] = { 3 };
    sb_score r;
    memset(&r, 0, sizeof r);
    sb_score_add(&r, &two, p1, t2, 1, 1);
    sb_score_add(&r, &two, p1, t3, 1, 1);
    sb_score_add(&r, &info, p1, t2, 1, 1);                   /* full vocabulary: token 0 wins */
    assert_int_equal(r.correct, 1);
    assert_int_equal(r.positions, 3);
    assert_close(r.nll_sum, -log2(0.15f) - log2(0.05f) - log2(0.15f), 1e-9);   /* p not renormalised */
    /* rows with no scored position do not count as examples */
    int none[3] = { -1, -1, -1 };
    sb_score_add(&u, &info, probs, none, 1, 3);
    assert_int_equal(u.examples, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_task_opens),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_determinism_wordnet),
        cmocka_unit_test(test_index_addressing),
        cmocka_unit_test(test_splits_disjoint),
        cmocka_unit_test(test_splits_disjoint_wordnet),
        cmocka_unit_test(test_label_balance),
        cmocka_unit_test(test_answers_recomputed),
        cmocka_unit_test(test_supersense_answers),
        cmocka_unit_test(test_morph_answers),
        cmocka_unit_test(test_lm_windows),
        cmocka_unit_test(test_long_is_longer),
        cmocka_unit_test(test_knobs),
        cmocka_unit_test(test_too_few_examples),
        cmocka_unit_test(test_missing_wordnet),
        cmocka_unit_test(test_suite_files),
        cmocka_unit_test(test_shipped_suites),
        cmocka_unit_test(test_scorer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
