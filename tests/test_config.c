/*
** test_config.c: configuration fields by key (engine/core/config.c).
**
** sb_config_set / sb_config_get round-trip good values for every key listed
** by sb_config_keys; bad values (non-numbers, out of range, unknown enum
** names, unknown keys) are refused with a message naming key and value and
** leave the configuration untouched. sb_sharing_resolve (the check of a
** whole configuration) refuses heads not
** dividing the width, kv_heads not dividing heads, RoPE with an odd head
** width, embed > width, out-of-range fields written directly and a bad
** sharing specification, a factor:R rank that stores no less than the matrix
** or combined with per-depth weights, each message naming the value. sb_config_hash is
** stable for equal configurations and changes when any single key changes.
** Every preset of sb_config_presets validates; an unknown one is refused
** with the known names.
*/
#include "testutil.h"
#include "core/config.h"
#include "core/sharing.h"
#include "core/suggest.h"

/* ---------------------------------------------------------------- tables */

typedef struct {
    const char *key;
    char kind;                  /* 'i' int, 'b' bool, 'f' float, 'e' enum, 's' string */
    const char *good[6];        /* accepted values, NULL-terminated */
    const char *bad[12];        /* refused values, NULL-terminated */
} keyspec;

#define NONNUM "abc", "", "1.5", "12x", " ", "0x10", "99999999999999999999"
static const keyspec specs[] = {
    { "vocab", 'i', { "2", "256", "50257", "16777216", NULL }, { NONNUM, "1", "16777217", "-5", NULL } },
    { "max_len", 'i', { "1", "512", "1048576", NULL }, { NONNUM, "0", "1048577", NULL } },
    { "width", 'i', { "1", "768", "65536", NULL }, { NONNUM, "0", "65537", NULL } },
    { "embed", 'i', { "0", "128", "65536", NULL }, { NONNUM, "-1", "65537", NULL } },
    { "layers", 'i', { "1", "12", "64", NULL }, { NONNUM, "0", "65", NULL } },
    { "heads", 'i', { "1", "12", "4096", NULL }, { NONNUM, "0", "4097", NULL } },
    { "kv_heads", 'i', { "0", "1", "4096", NULL }, { NONNUM, "-1", "4097", NULL } },
    { "ffn", 'i', { "1", "3072", "1048576", NULL }, { NONNUM, "0", "1048577", NULL } },
    { "causal", 'b', { "0", "1", NULL }, { NONNUM, "2", "-1", "yes", NULL } },
    { "post_ln", 'b', { "0", "1", NULL }, { NONNUM, "2", "-1", "true", NULL } },
    { "type_vocab", 'i', { "0", "2", "65536", NULL }, { NONNUM, "-1", "65537", NULL } },
    { "embed_ln", 'b', { "0", "1", NULL }, { NONNUM, "2", NULL } },
    { "final_ln", 'b', { "0", "1", NULL }, { NONNUM, "2", NULL } },
    { "pos", 'e', { "learned", "rope", "relbias", "none", NULL }, { "bogus", "", "ROPE", "rope ", "1", "absolute", NULL } },
    { "rel_buckets", 'i', { "2", "32", "4096", NULL }, { NONNUM, "1", "4097", NULL } },
    { "rel_max_dist", 'i', { "2", "128", "1048576", NULL }, { NONNUM, "1", "1048577", NULL } },
    { "layer_pos_bias", 'b', { "0", "1", NULL }, { NONNUM, "2", NULL } },
    { "layerscale", 'b', { "0", "1", NULL }, { NONNUM, "2", NULL } },
    { "tied", 'b', { "0", "1", NULL }, { NONNUM, "2", NULL } },
    { "pooler", 'b', { "0", "1", NULL }, { NONNUM, "2", NULL } },
    { "ln_shared", 'b', { "0", "1", NULL }, { NONNUM, "2", NULL } },
    { "grad_scale", 'e', { "none", "mean", "norm", NULL }, { "bogus", "", "Mean", "0", NULL } },
    { "ln_eps", 'f', { "1e-05", "1e-12", "1", "0.5", NULL }, { "abc", "", "1e", "nan", "inf", "0", "-1e-5", "1.5", NULL } },
    { "init_std", 'f', { "0", "0.02", "10", NULL }, { "abc", "", "nan", "-inf", "-0.1", "10.5", "0.1x", NULL } },
    { "layerscale_init", 'f', { "0", "0.1", "1", NULL }, { "abc", "", "nan", "-1", "11", NULL } },
    { "rope_base", 'f', { "1", "10000", "500000", "1000000000", NULL }, { "abc", "", "nan", "0.5", "2e9", "inf", NULL } },
    { "sharing", 's', { "none", "cycle:3+lowrank:4", "progressive:all", "", NULL }, { NULL } },
    { "sharing_attn", 's', { "all", "cycle:2", "", NULL }, { NULL } },
    { "sharing_ffn", 's', { "sequence:2", "all+untie:1", "", NULL }, { NULL } },
    { "factor", 'i', { "0", "4", "65536", NULL }, { NONNUM, "-1", "65537", NULL } },
    { "factor_mats", 's', { "all", "ffn", "wq,wo", NULL }, { NULL } },
};
#define NSPECS (sizeof specs / sizeof specs[0])

static const keyspec *spec_of(const char *key)
{
    for (size_t i = 0; i < NSPECS; i++)
        if (!strcmp(specs[i].key, key)) return &specs[i];
    return NULL;
}

static void set_ok(sb_config *c, const char *key, const char *value)
{
    char err[SB_ERR_LEN] = "";
    int rc = sb_config_set(c, key, value, err, sizeof err);
    if (rc) print_error("%s='%s' refused: %s\n", key, value, err);
    assert_int_equal(rc, 0);
}

static void validate_ok(const sb_config *c, const char *what)
{
    char err[SB_ERR_LEN] = "";
    sb_sharing s;
    int rc = sb_sharing_resolve(c, &s, err, sizeof err);
    if (rc) print_error("%s does not validate: %s\n", what, err);
    assert_int_equal(rc, 0);
}

/* Validation fails with -1 and a message mentioning every fragment given. */
static void validate_refused(const sb_config *c, const char *frag1, const char *frag2)
{
    char err[SB_ERR_LEN] = "";
    sb_sharing s;
    int rc = sb_sharing_resolve(c, &s, err, sizeof err);
    if (rc != -1) print_error("configuration accepted; expected a refusal naming '%s'\n", frag1);
    assert_int_equal(rc, -1);
    assert_true(strlen(err) > 0);
    assert_mentions(err, frag1);
    if (frag2) assert_mentions(err, frag2);
}

/* ------------------------------------------------------------ the keys */

/* The table above covers exactly the keys the engine lists, each once. */
static void keys_cover_table(void **state)
{
    (void)state;
    const char *const *keys = sb_config_keys();
    size_t n = 0;
    for (; keys[n]; n++) {
        if (!spec_of(keys[n])) print_error("key '%s' has no test values\n", keys[n]);
        assert_non_null(spec_of(keys[n]));
        for (size_t j = 0; j < n; j++) assert_string_not_equal(keys[j], keys[n]);
        char out[SB_SPEC_LEN + 32];
        sb_config c;
        sb_config_default(&c);
        assert_int_equal(sb_config_get(&c, keys[n], out, sizeof out), 0);
    }
    assert_int_equal(n, NSPECS);
    /* the list is stable between calls */
    const char *const *again = sb_config_keys();
    for (size_t i = 0; i < n; i++) assert_string_equal(keys[i], again[i]);
    assert_null(again[n]);
}

static void set_get_roundtrip(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSPECS; i++) {
        const keyspec *k = &specs[i];
        for (int g = 0; k->good[g]; g++) {
            sb_config c, before;
            char out[SB_SPEC_LEN + 32], out2[SB_SPEC_LEN + 32];
            sb_config_default(&c);
            set_ok(&c, k->key, k->good[g]);
            assert_int_equal(sb_config_get(&c, k->key, out, sizeof out), 0);
            if (k->kind == 'f') {
                /* text may differ ("1e-05" vs "9.99999975e-06"); the float must not */
                float want = (float)strtod(k->good[g], NULL), got = (float)strtod(out, NULL);
                if (want != got) print_error("%s: set '%s', got '%s'\n", k->key, k->good[g], out);
                assert_true(want == got);
            } else {
                assert_string_equal(out, k->good[g]);
            }
            /* setting what get printed changes nothing */
            before = c;
            set_ok(&c, k->key, out);
            assert_int_equal(sb_config_get(&c, k->key, out2, sizeof out2), 0);
            assert_string_equal(out, out2);
            assert_int_equal(sb_config_hash(&c), sb_config_hash(&before));
            /* and no other key moved */
            sb_config d;
            sb_config_default(&d);
            for (const char *const *key = sb_config_keys(); *key; key++) {
                if (!strcmp(*key, k->key)) continue;
                char a[SB_SPEC_LEN + 32], b[SB_SPEC_LEN + 32];
                sb_config_get(&c, *key, a, sizeof a);
                sb_config_get(&d, *key, b, sizeof b);
                assert_string_equal(a, b);
            }
        }
    }
    /* typed checks of the stored values */
    sb_config c;
    sb_config_default(&c);
    set_ok(&c, "pos", "rope");
    assert_int_equal(c.pos, SB_POS_ROPE);
    set_ok(&c, "pos", "relbias");
    assert_int_equal(c.pos, SB_POS_RELBIAS);
    set_ok(&c, "pos", "none");
    assert_int_equal(c.pos, SB_POS_NONE);
    set_ok(&c, "grad_scale", "norm");
    assert_int_equal(c.grad_scale, SB_GRADSCALE_NORM);
    set_ok(&c, "layers", "12");
    assert_int_equal(c.layers, 12);
    set_ok(&c, "ln_eps", "1e-12");
    assert_true(c.ln_eps == 1e-12f);
    set_ok(&c, "sharing", "cycle:3+lowrank:4");
    assert_string_equal(c.sharing, "cycle:3+lowrank:4");
    /* the longest string that fits */
    char longest[SB_SPEC_LEN];
    memset(longest, 'x', SB_SPEC_LEN - 1);
    longest[SB_SPEC_LEN - 1] = 0;
    set_ok(&c, "sharing_ffn", longest);
    assert_string_equal(c.sharing_ffn, longest);
}

static void set_refuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSPECS; i++) {
        const keyspec *k = &specs[i];
        for (int b = 0; k->bad[b]; b++) {
            sb_config c, before;
            char err[SB_ERR_LEN] = "", frag[SB_ERR_LEN];
            sb_config_default(&c);
            before = c;
            int rc = sb_config_set(&c, k->key, k->bad[b], err, sizeof err);
            if (rc != -1) print_error("%s='%s' was accepted\n", k->key, k->bad[b]);
            assert_int_equal(rc, -1);
            assert_true(strlen(err) > 0);
            snprintf(frag, sizeof frag, "'%s'", k->bad[b]);   /* the value, quoted */
            assert_mentions(err, k->key);
            assert_mentions(err, frag);
            assert_memory_equal(&c, &before, sizeof c);   /* nothing changed */
        }
    }
    /* enum refusals list the accepted names */
    sb_config c;
    char err[SB_ERR_LEN];
    sb_config_default(&c);
    assert_int_equal(sb_config_set(&c, "pos", "absolute", err, sizeof err), -1);
    assert_mentions(err, "learned");
    assert_mentions(err, "rope");
    assert_mentions(err, "relbias");
    assert_int_equal(sb_config_set(&c, "grad_scale", "sum", err, sizeof err), -1);
    assert_mentions(err, "mean");
    assert_mentions(err, "norm");
    /* number refusals say the range */
    assert_int_equal(sb_config_set(&c, "layers", "65", err, sizeof err), -1);
    assert_mentions(err, "64");

    /* unknown keys: named, the closest known key suggested, and where the list of keys is */
    static const char *unknown[] = { "vocabulary", "Width", "", "layers ", "sharing_kv" };
    for (size_t u = 0; u < sizeof unknown / sizeof *unknown; u++) {
        char big[4096] = "", frag[64];
        sb_config before = c;
        assert_int_equal(sb_config_set(&c, unknown[u], "1", big, sizeof big), -1);
        snprintf(frag, sizeof frag, "'%s'", unknown[u]);
        assert_mentions(big, frag);
        assert_mentions(big, "sharebench keys");
        assert_true(strlen(big) < 200);   /* short enough never to be cut inside a longer message */
        if (u == 1) assert_mentions(big, "did you mean 'width'?");
        if (u == 2) assert_null(strstr(big, "did you mean"));
        assert_memory_equal(&c, &before, sizeof c);
        char out[64];
        assert_int_equal(sb_config_get(&c, unknown[u], out, sizeof out), -1);
    }

    /* a string too long for the field is refused, naming the key */
    char toolong[SB_SPEC_LEN + 1];
    memset(toolong, 'y', SB_SPEC_LEN);
    toolong[SB_SPEC_LEN] = 0;
    sb_config before = c;
    assert_int_equal(sb_config_set(&c, "sharing", toolong, err, sizeof err), -1);
    assert_mentions(err, "sharing");
    assert_memory_equal(&c, &before, sizeof c);

    /* small error buffers are never overrun (ASan checks) */
    for (size_t len = 1; len < 80; len += 3) {
        char *e = malloc(len);
        assert_non_null(e);
        assert_int_equal(sb_config_set(&c, "no_such_key", "1", e, len), -1);
        assert_true(strlen(e) < len);
        assert_int_equal(sb_config_set(&c, "pos", "bogus", e, len), -1);
        assert_true(strlen(e) < len);
        assert_int_equal(sb_config_set(&c, "width", "x", e, len), -1);
        assert_true(strlen(e) < len);
        free(e);
    }
}

/* ------------------------------------------------------------- validate */

static void validate(void **state)
{
    (void)state;
    sb_config c;
    sb_config_default(&c);
    validate_ok(&c, "the default");

    sb_config_default(&c);
    c.heads = 3;   /* 128 % 3 != 0 */
    validate_refused(&c, "heads=3", "128");
    sb_config_default(&c);
    c.width = 100; c.heads = 8;
    validate_refused(&c, "heads=8", "100");

    sb_config_default(&c);
    c.kv_heads = 3;   /* 4 % 3 != 0 */
    validate_refused(&c, "kv_heads=3", "4");
    sb_config_default(&c);
    c.kv_heads = 8;   /* more key/value heads than query heads */
    validate_refused(&c, "kv_heads=8", NULL);
    sb_config_default(&c);
    c.kv_heads = 2;
    validate_ok(&c, "kv_heads=2");
    c.kv_heads = 1;
    validate_ok(&c, "kv_heads=1 (multi-query)");
    c.kv_heads = 4;
    validate_ok(&c, "kv_heads=heads");

    sb_config_default(&c);
    c.pos = SB_POS_ROPE; c.width = 12; c.heads = 4;   /* head width 3 */
    validate_refused(&c, "rope", "3");
    c.width = 16;   /* head width 4 */
    validate_ok(&c, "rope with even head width");
    c.pos = SB_POS_LEARNED; c.width = 12;   /* odd head width is fine without RoPE */
    validate_ok(&c, "learned positions with odd head width");

    sb_config_default(&c);
    c.embed = 256;
    validate_refused(&c, "embed=256", "128");
    c.embed = 128;
    validate_ok(&c, "embed = width");
    c.embed = 64;
    validate_ok(&c, "embed < width");

    /* bad sharing, each naming the value */
    static const char *bad_sharing[] = { "cycle:9", "sequence:3", "bogus", "lowrank:128", "map:0,1,1", "all+untie:5" };
    for (size_t i = 0; i < sizeof bad_sharing / sizeof *bad_sharing; i++) {
        sb_config_default(&c);   /* 4 layers, width 128 */
        strcpy(c.sharing, bad_sharing[i]);
        validate_refused(&c, bad_sharing[i], NULL);
    }
    sb_config_default(&c);
    strcpy(c.sharing_attn, "cycle:9");
    validate_refused(&c, "cycle:9", "sharing_attn");
    sb_config_default(&c);
    strcpy(c.sharing, "sequence:2+kv_share:2");
    strcpy(c.sharing_ffn, "cycle:2");
    validate_ok(&c, "sequence:2+kv_share:2 with an ffn override");

    /* factor:R: below what stores less than the matrix, not with per-depth weights, known matrices */
    sb_config_default(&c);   /* width 128, ffn 512: wq 128 x 128 takes rank up to 63 */
    c.factor = 63;
    validate_ok(&c, "factor=63");
    c.factor = 64;
    validate_refused(&c, "factor=64", "at most 63");
    strcpy(c.factor_mats, "ffn");   /* w1 512 x 128: up to 102 */
    validate_ok(&c, "factor=64 on the feed-forward matrices");
    strcpy(c.factor_mats, "wq,bogus");
    validate_refused(&c, "factor_mats='wq,bogus'", "bogus");
    strcpy(c.factor_mats, "all");
    c.factor = 8;
    strcpy(c.sharing, "cycle:2+lowrank:2");
    validate_refused(&c, "factor=8", "lowrank");
    strcpy(c.sharing, "progressive:all");
    validate_refused(&c, "factor=8", "progressive");

    /* fields written directly, bypassing sb_config_set, are range-checked */
    struct { const char *frag; void (*poke)(sb_config *); } direct[] = {
        { "layers=0", NULL }, { "layers=65", NULL }, { "heads=0", NULL }, { "width=-5", NULL },
        { "vocab=1", NULL }, { "causal=2", NULL }, { "ln_eps=0", NULL }, { "init_std=-1", NULL },
        { "kv_heads=-2", NULL }, { "ffn=0", NULL },
    };
    for (size_t i = 0; i < sizeof direct / sizeof *direct; i++) {
        sb_config_default(&c);
        switch (i) {
        case 0: c.layers = 0; break;
        case 1: c.layers = 65; break;
        case 2: c.heads = 0; break;   /* must not divide by zero */
        case 3: c.width = -5; break;
        case 4: c.vocab = 1; break;
        case 5: c.causal = 2; break;
        case 6: c.ln_eps = 0; break;
        case 7: c.init_std = -1; break;
        case 8: c.kv_heads = -2; break;
        case 9: c.ffn = 0; break;
        }
        validate_refused(&c, direct[i].frag, NULL);
    }
    sb_config_default(&c);
    c.rope_base = NAN;
    validate_refused(&c, "rope_base", "nan");

    /* small error buffers are never overrun */
    sb_config_default(&c);
    c.heads = 3;
    for (size_t len = 1; len < 80; len += 3) {
        char *e = malloc(len);
        assert_non_null(e);
        sb_sharing s;
        assert_int_equal(sb_sharing_resolve(&c, &s, e, len), -1);
        assert_true(strlen(e) < len);
        free(e);
    }
}

/* Enumerated fields written directly out of range must be refused too:
** sb_config_get and sb_config_hash index the names table with them. */
static void validate_enum_range(void **state)
{
    (void)state;
    sb_config c;
    sb_config_default(&c);
    c.pos = 4;   /* one past "none" */
    validate_refused(&c, "pos", "4");
    sb_config_default(&c);
    c.grad_scale = -1;
    validate_refused(&c, "grad_scale", "-1");
}

/* ----------------------------------------------------------------- hash */

static void hash(void **state)
{
    (void)state;
    sb_config a, b;
    sb_config_default(&a);
    sb_config_default(&b);
    unsigned long long h = sb_config_hash(&a);
    assert_true(h == sb_config_hash(&a));
    assert_true(h == sb_config_hash(&b));

    /* bytes after a string's terminator are not part of the identity */
    memset(b.sharing_attn, 'z', sizeof b.sharing_attn);
    b.sharing_attn[0] = 0;
    memset(b.sharing + 5, 'q', sizeof b.sharing - 5);   /* "none\0qqqq..." */
    b.sharing[sizeof b.sharing - 1] = 0;
    assert_string_equal(b.sharing, "none");
    assert_true(h == sb_config_hash(&b));

    /* the same values set through keys give the same hash */
    sb_config_default(&b);
    set_ok(&b, "layers", "4");
    set_ok(&b, "pos", "learned");
    set_ok(&b, "ln_eps", "1e-5");
    assert_true(h == sb_config_hash(&b));

    /* any single key changed changes the hash; restoring it restores the hash */
    int changed = 0;
    for (const char *const *key = sb_config_keys(); *key; key++) {
        const keyspec *k = spec_of(*key);
        assert_non_null(k);
        char orig[SB_SPEC_LEN + 32];
        assert_int_equal(sb_config_get(&a, *key, orig, sizeof orig), 0);
        int done = 0;
        for (int g = 0; k->good[g] && !done; g++) {
            sb_config c = a;
            char now[SB_SPEC_LEN + 32];
            set_ok(&c, *key, k->good[g]);
            sb_config_get(&c, *key, now, sizeof now);
            if (!strcmp(now, orig)) continue;
            if (sb_config_hash(&c) == h) print_error("hash unchanged when %s goes from '%s' to '%s'\n", *key, orig, now);
            assert_true(sb_config_hash(&c) != h);
            set_ok(&c, *key, orig);
            assert_true(sb_config_hash(&c) == h);
            done = 1;
        }
        if (!done) print_error("no alternative value for %s\n", *key);
        assert_true(done);
        changed++;
    }
    assert_int_equal(changed, (int)NSPECS);

    /* every pair of different values of one key hash differently */
    for (size_t i = 0; i < NSPECS; i++)
        for (int g1 = 0; specs[i].good[g1]; g1++)
            for (int g2 = g1 + 1; specs[i].good[g2]; g2++) {
                sb_config c1 = a, c2 = a;
                set_ok(&c1, specs[i].key, specs[i].good[g1]);
                set_ok(&c2, specs[i].key, specs[i].good[g2]);
                assert_true(sb_config_hash(&c1) != sb_config_hash(&c2));
            }

    /* values do not bleed between keys: sharing_attn=all vs sharing_ffn=all */
    sb_config c1 = a, c2 = a;
    strcpy(c1.sharing_attn, "all");
    strcpy(c2.sharing_ffn, "all");
    assert_true(sb_config_hash(&c1) != sb_config_hash(&c2));
}

/* -------------------------------------------------------------- presets */

static void presets(void **state)
{
    (void)state;
    const char *const *names = sb_config_presets();
    assert_non_null(names);
    int n = 0;
    unsigned long long hashes[64];
    for (; names[n]; n++) {
        sb_config c;
        char err[SB_ERR_LEN] = "";
        memset(&c, 0xA5, sizeof c);   /* the preset must fill every field */
        int rc = sb_config_preset(&c, names[n], err, sizeof err);
        if (rc) print_error("preset %s: %s\n", names[n], err);
        assert_int_equal(rc, 0);
        validate_ok(&c, names[n]);
        sb_sharing s;
        assert_int_equal(sb_sharing_resolve(&c, &s, err, sizeof err), 0);
        /* every key reads back and sets back unchanged */
        sb_config d = c;
        for (const char *const *key = sb_config_keys(); *key; key++) {
            char v[SB_SPEC_LEN + 32];
            assert_int_equal(sb_config_get(&c, *key, v, sizeof v), 0);
            set_ok(&d, *key, v);
        }
        assert_true(sb_config_hash(&c) == sb_config_hash(&d));
        assert_true(n < 64);
        hashes[n] = sb_config_hash(&c);
        for (int j = 0; j < n; j++) assert_true(hashes[j] != hashes[n]);   /* presets are distinct */
    }
    assert_true(n >= 1);

    /* spot checks of published shapes */
    sb_config c;
    char err[SB_ERR_LEN];
    assert_int_equal(sb_config_preset(&c, "albert-base", err, sizeof err), 0);
    assert_string_equal(c.sharing, "all");
    assert_int_equal(c.layers, 12);
    assert_int_equal(c.embed, 128);
    assert_int_equal(c.width, 768);
    assert_int_equal(sb_config_preset(&c, "bert-base", err, sizeof err), 0);
    assert_string_equal(c.sharing, "none");
    assert_int_equal(c.layers, 12);
    assert_int_equal(sb_config_preset(&c, "small", err, sizeof err), 0);
    sb_config def;
    sb_config_default(&def);
    assert_true(sb_config_hash(&c) == sb_config_hash(&def));

    static const char *unknown[] = { "bogus", "albert-huge", "albert-", "", "Tiny", "bert-base " };
    for (size_t u = 0; u < sizeof unknown / sizeof *unknown; u++) {
        char big[1024] = "", frag[64];
        assert_int_equal(sb_config_preset(&c, unknown[u], big, sizeof big), -1);
        snprintf(frag, sizeof frag, "'%s'", unknown[u]);
        assert_mentions(big, frag);
        for (int j = 0; names[j]; j++) assert_mentions(big, names[j]);
    }
    for (size_t len = 1; len < 80; len += 3) {
        char *e = malloc(len);
        assert_non_null(e);
        assert_int_equal(sb_config_preset(&c, "bogus", e, len), -1);
        assert_true(strlen(e) < len);
        free(e);
    }
}

/* "Did you mean": typos of every kind within the limit, nothing for unrelated
** words, and the key table's description for `sharebench keys`. */
static void suggestions(void **state)
{
    (void)state;
    static const char *const names[] = { "width", "layers", "heads", "kv_heads", "sharing", "sharing_attn", "cycle", NULL };
    static const struct { const char *word, *want; } cases[] = {
        { "widht", "width" },        /* two letters swapped: one edit */
        { "widths", "width" },       /* one added */
        { "layer", "layers" },       /* one missing */
        { "hedas", "heads" },
        { "kv_head", "kv_heads" },
        { "sharing_atn", "sharing_attn" },
        { "cylce", "cycle" },
        { "zzz", NULL },             /* nothing close */
        { "wid", NULL },             /* two edits from width: too many for three letters */
        { "", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = sb_suggest(cases[i].word, names);
        if (!cases[i].want) assert_null(got);
        else {
            assert_non_null(got);
            assert_string_equal(got, cases[i].want);
        }
    }
    char text[64];
    assert_string_equal(sb_suggest_text("widht", names, text, sizeof text), " (did you mean 'width'?)");
    assert_string_equal(sb_suggest_text("zzz", names, text, sizeof text), "");
    /* every key described: a type, a sentence, a range for numbers, the words for enums */
    sb_key_info k;
    int n = 0;
    for (; !sb_config_key_info(n, &k); n++) {
        assert_string_equal(k.key, sb_config_keys()[n]);
        assert_true(strlen(k.help) > 5);
        if (!strcmp(k.type, "integer") || !strcmp(k.type, "number")) assert_non_null(strstr(k.range, " to "));
    }
    assert_null(sb_config_keys()[n]);
    assert_int_equal(sb_config_key_info(n, &k), -1);
    assert_int_equal(sb_config_key_info(5, &k), 0);   /* heads */
    assert_string_equal(k.range, "1 to 4096");
    int pos = 0;
    while (strcmp(sb_config_keys()[pos], "pos")) pos++;
    assert_int_equal(sb_config_key_info(pos, &k), 0);
    assert_string_equal(k.range, "learned, rope, relbias, none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_cover_table),
        cmocka_unit_test(set_get_roundtrip),
        cmocka_unit_test(set_refuses),
        cmocka_unit_test(validate),
        cmocka_unit_test(validate_enum_range),
        cmocka_unit_test(hash),
        cmocka_unit_test(presets),
        cmocka_unit_test(suggestions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
