/*
** test_sharing.c: the sharing specifications of engine/core/sharing.c.
**
** The named maps (sequence:K, cycle:K, cycle_rev:K of Takase & Kiyono 2021)
** are recomputed here from the paper's written definitions (arXiv 2104.06022)
** for N = 6 and 7 layers and every K from 1 to N, and compared with
** sb_sharing_base_map and sb_sharing_resolve (attention, feed-forward and
** key/value maps and their unique-block counts). sequence:K with an unused
** block must be refused with the K values that fit. Then the ALBERT maps
** (none, all, attn, ffn), explicit map:..., loop:P,K,C (looped depth and its
** injection depths), the modifiers untie:K, lowrank:R, hyper:D, basis:R,
** kv_share:S (Cross-Layer Attention), v_share:S (SVFormer) and mor (Mixture-of-Recursions), progressive[:TARGET], the
** sharing_attn / sharing_ffn overrides, sb_sharing_describe, and every
** refusal (empty terms and repeated modifiers too): each returns -1 with a
** message naming the offending value.
*/
#include "testutil.h"
#include "core/sharing.h"
#include "core/config.h"
#include "core/model.h"

/* ---------------------------------------------------------------- helpers */

/* The definitions, written independently of the engine. Each fills map[n]
** and returns the number of distinct blocks actually used. */
static int distinct(const int *map, int n)
{
    int seen[2 * SB_MAX_LAYERS] = {0}, count = 0;
    for (int i = 0; i < n; i++)
        if (!seen[map[i]]) { seen[map[i]] = 1; count++; }
    return count;
}

static int def_sequence(int n, int k, int *map)
{
    int per = n / k + (n % k != 0);     /* ceil(N/K) layers per block */
    for (int i = 0; i < n; i++) map[i] = i / per;
    return distinct(map, n);
}

static int def_cycle(int n, int k, int *map)
{
    for (int i = 0; i < n; i++) map[i] = i % k;
    return distinct(map, n);
}

static int def_cycle_rev(int n, int k, int *map)
{
    /* i mod K for the first N-K layers; the last K layers use K-1 down to 0 */
    for (int i = 0; i < n; i++) map[i] = i < n - k ? i % k : (k - 1) - (i - (n - k));
    return distinct(map, n);
}

static void print_map(const char *label, const int *map, int n)
{
    char buf[4 * SB_MAX_LAYERS + 32];
    size_t w = (size_t)snprintf(buf, sizeof buf, "%s:", label);
    for (int i = 0; i < n && w < sizeof buf; i++) w += (size_t)snprintf(buf + w, sizeof buf - w, " %d", map[i]);
    print_error("%s\n", buf);
}

/* Compare two maps, printing both on a mismatch. */
static void assert_map(const int *got, const int *want, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        if (got[i] != want[i]) {
            print_error("%s differs at depth %d\n", what, i);
            print_map("  got ", got, n);
            print_map("  want", want, n);
            fail();
        }
}

static void config_for(sb_config *c, int layers, const char *sharing)
{
    sb_config_default(c);
    c->layers = layers;
    snprintf(c->sharing, sizeof c->sharing, "%s", sharing);
}

/* Resolve and insist on success. */
static void resolve_ok(const sb_config *c, sb_sharing *s)
{
    char err[SB_ERR_LEN] = "";
    int rc = sb_sharing_resolve(c, s, err, sizeof err);
    if (rc) print_error("sharing='%s' attn='%s' ffn='%s' layers=%d refused: %s\n", c->sharing, c->sharing_attn,
                        c->sharing_ffn, c->layers, err);
    assert_int_equal(rc, 0);
    assert_int_equal(s->layers, c->layers);
}

/* Resolve and insist on a refusal: -1 and a message that mentions `frag`. */
static void resolve_refused(const sb_config *c, const char *frag, char *err, size_t errlen)
{
    sb_sharing s;
    err[0] = 0;
    int rc = sb_sharing_resolve(c, &s, err, errlen);
    if (rc != -1) print_error("sharing='%s' attn='%s' ffn='%s' layers=%d was accepted (rc %d)\n", c->sharing,
                              c->sharing_attn, c->sharing_ffn, c->layers, rc);
    assert_int_equal(rc, -1);
    assert_true(strlen(err) > 0);
    assert_mentions(err, frag);
}

static void refused(int layers, const char *sharing, const char *frag)
{
    sb_config c;
    char err[SB_ERR_LEN];
    config_for(&c, layers, sharing);
    resolve_refused(&c, frag, err, sizeof err);
}

static void base_refused(const char *term, int n, const char *frag, char *err, size_t errlen)
{
    int map[SB_MAX_LAYERS], nb = -7;
    err[0] = 0;
    int rc = sb_sharing_base_map(term, n, map, &nb, err, errlen);
    if (rc != -1) print_error("base map '%s' for %d layers was accepted\n", term, n);
    assert_int_equal(rc, -1);
    assert_true(strlen(err) > 0);
    assert_mentions(err, term);
    assert_mentions(err, frag);
}

/* The key/value map must follow the Cross-Layer Attention definition for
** period S over the attention map: depth i produces keys and values when
** i % S == 0, reuses those of depth i - i % S otherwise, and producers with
** the same attention block share one key/value block. */
static void check_kv(const sb_sharing *s, int S)
{
    int n = s->layers, ids[2 * SB_MAX_LAYERS];
    for (int b = 0; b < 2 * SB_MAX_LAYERS; b++) ids[b] = -1;
    int count = 0;
    assert_int_equal(s->kv_share, S);
    for (int i = 0; i < n; i++) {
        assert_int_equal(s->kv_src[i], i - i % S);
        if (i % S) {
            if (s->kv[i] != -1) print_error("depth %d should reuse keys/values (kv=-1), got %d\n", i, s->kv[i]);
            assert_int_equal(s->kv[i], -1);
            continue;
        }
        assert_in_range(s->kv[i], 0, SB_MAX_LAYERS - 1);
        int a = s->attn[i];
        if (ids[a] < 0) ids[a] = s->kv[i], count++;
        else assert_int_equal(s->kv[i], ids[a]);   /* same attention block, same kv block */
    }
    /* distinct attention blocks among producers get distinct kv blocks */
    for (int a = 0; a < 2 * SB_MAX_LAYERS; a++)
        for (int b = a + 1; b < 2 * SB_MAX_LAYERS; b++)
            if (ids[a] >= 0 && ids[b] >= 0) assert_int_not_equal(ids[a], ids[b]);
    assert_int_equal(s->n_kv, count);
    for (int i = 0; i < n; i++) if (s->kv[i] >= 0) assert_in_range(s->kv[i], 0, count - 1);
}

/* Parse the whole numbers that follow the last occurrence of "fit" in msg. */
static int numbers_after_fit(const char *msg, int *out, int max)
{
    const char *p = NULL;
    for (const char *q = strstr(msg, "fit"); q; q = strstr(q + 1, "fit")) p = q;
    if (!p) return -1;
    int count = 0;
    while (*p && count < max) {
        if (*p >= '0' && *p <= '9') {
            char *end;
            out[count++] = (int)strtol(p, &end, 10);
            p = end;
        } else {
            p++;
        }
    }
    return count;
}

/* ------------------------------------------------------ named base maps */

typedef int (*def_fn)(int n, int k, int *map);

static void check_named(const char *name, def_fn def, int n, int k)
{
    char term[64], err[SB_ERR_LEN];
    int want[SB_MAX_LAYERS], got[SB_MAX_LAYERS], nb = -1;
    snprintf(term, sizeof term, "%s:%d", name, k);
    int used = def(n, k, want);
    assert_true(used <= k);
    if (used != k) return;   /* refusals are checked in sequence_refusals */

    err[0] = 0;
    int rc = sb_sharing_base_map(term, n, got, &nb, err, sizeof err);
    if (rc) print_error("%s on %d layers refused: %s\n", term, n, err);
    assert_int_equal(rc, 0);
    assert_int_equal(nb, k);
    assert_map(got, want, n, term);

    sb_config c;
    sb_sharing s;
    config_for(&c, n, term);
    resolve_ok(&c, &s);
    assert_map(s.attn, want, n, term);
    assert_map(s.ffn, want, n, term);
    assert_int_equal(s.n_attn, k);
    assert_int_equal(s.n_ffn, k);
    assert_int_equal(s.lowrank, 0);
    assert_int_equal(s.hyper, 0);
    assert_int_equal(s.progressive, 0);
    check_kv(&s, 1);
    assert_int_equal(s.n_kv, k);
}

static void named_maps(void **state)
{
    (void)state;
    for (int n = 6; n <= 7; n++)
        for (int k = 1; k <= n; k++) {
            check_named("sequence", def_sequence, n, k);
            check_named("cycle", def_cycle, n, k);
            check_named("cycle_rev", def_cycle_rev, n, k);
        }
}

/* The worked examples of Takase & Kiyono's maps (N=6, K=3), written out literally. */
static void reference_examples(void **state)
{
    (void)state;
    static const int seq[6] = { 0, 0, 1, 1, 2, 2 }, cyc[6] = { 0, 1, 2, 0, 1, 2 }, rev[6] = { 0, 1, 2, 2, 1, 0 };
    int got[SB_MAX_LAYERS], nb;
    char err[SB_ERR_LEN];
    assert_int_equal(sb_sharing_base_map("sequence:3", 6, got, &nb, err, sizeof err), 0);
    assert_map(got, seq, 6, "sequence:3");
    assert_int_equal(nb, 3);
    assert_int_equal(sb_sharing_base_map("cycle:3", 6, got, &nb, err, sizeof err), 0);
    assert_map(got, cyc, 6, "cycle:3");
    assert_int_equal(nb, 3);
    assert_int_equal(sb_sharing_base_map("cycle_rev:3", 6, got, &nb, err, sizeof err), 0);
    assert_map(got, rev, 6, "cycle_rev:3");
    assert_int_equal(nb, 3);

    /* and my own definitions agree with the examples */
    int mine[6];
    def_sequence(6, 3, mine); assert_map(mine, seq, 6, "def_sequence");
    def_cycle(6, 3, mine); assert_map(mine, cyc, 6, "def_cycle");
    def_cycle_rev(6, 3, mine); assert_map(mine, rev, 6, "def_cycle_rev");

    /* N=7 spot checks */
    static const int rev73[7] = { 0, 1, 2, 0, 2, 1, 0 }, seq74[7] = { 0, 0, 1, 1, 2, 2, 3 };
    assert_int_equal(sb_sharing_base_map("cycle_rev:3", 7, got, &nb, err, sizeof err), 0);
    assert_map(got, rev73, 7, "cycle_rev:3 on 7");
    assert_int_equal(sb_sharing_base_map("sequence:4", 7, got, &nb, err, sizeof err), 0);
    assert_map(got, seq74, 7, "sequence:4 on 7");
    assert_int_equal(nb, 4);
    /* MobileLLM's immediate repetition is sequence with K = N/2 */
    assert_int_equal(sb_sharing_base_map("sequence:3", 6, got, &nb, err, sizeof err), 0);
    for (int i = 0; i < 6; i++) assert_int_equal(got[i], i / 2);
}

/* sequence:K leaving a block unused is refused, naming the term and listing
** exactly the K values that fit. */
static void sequence_refusals(void **state)
{
    (void)state;
    int refusals = 0;
    for (int n = 6; n <= 7; n++) {
        int fits[SB_MAX_LAYERS], nfits = 0, tmp[SB_MAX_LAYERS];
        for (int k = 1; k <= n; k++)
            if (def_sequence(n, k, tmp) == k) fits[nfits++] = k;
        for (int k = 1; k <= n; k++) {
            int per = (n + k - 1) / k;
            if ((n + per - 1) / per == k) continue;   /* ceil(N/ceil(N/K)) == K: fits */
            assert_true(def_sequence(n, k, tmp) < k);
            refusals++;
            char term[32], err[SB_ERR_LEN];
            snprintf(term, sizeof term, "sequence:%d", k);
            for (int via = 0; via < 2; via++) {
                if (via == 0) {
                    base_refused(term, n, term, err, sizeof err);
                } else {
                    sb_config c;
                    config_for(&c, n, term);
                    resolve_refused(&c, term, err, sizeof err);
                }
                int listed[SB_MAX_LAYERS];
                int nl = numbers_after_fit(err, listed, SB_MAX_LAYERS);
                if (nl != nfits) print_error("message \"%s\" should list %d fitting K values\n", err, nfits);
                assert_int_equal(nl, nfits);
                for (int j = 0; j < nfits; j++) assert_int_equal(listed[j], fits[j]);
            }
        }
    }
    assert_int_equal(refusals, 2 + 2);   /* N=6: K=4,5; N=7: K=5,6 */
}

/* K outside 1..N or not a number, for every named scheme. */
static void named_bad_k(void **state)
{
    (void)state;
    static const char *names[] = { "sequence", "cycle", "cycle_rev" };
    static const char *bad[] = { "0", "7", "8", "100", "-1", "x", "", "2.5", "3x", "99999999999999999999" };
    char term[64], err[SB_ERR_LEN];
    for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
            snprintf(term, sizeof term, "%s:%s", names[a], bad[b]);
            base_refused(term, 6, term, err, sizeof err);
            refused(6, term, term);
        }
    /* depth itself out of range */
    int got[SB_MAX_LAYERS], nb;
    assert_int_equal(sb_sharing_base_map("cycle:1", 0, got, &nb, err, sizeof err), -1);
    assert_mentions(err, "layers=0");
    assert_int_equal(sb_sharing_base_map("cycle:1", SB_MAX_LAYERS + 1, got, &nb, err, sizeof err), -1);
    assert_mentions(err, "layers=65");
    /* the largest depth works */
    assert_int_equal(sb_sharing_base_map("cycle_rev:5", SB_MAX_LAYERS, got, &nb, err, sizeof err), 0);
    int want[SB_MAX_LAYERS];
    def_cycle_rev(SB_MAX_LAYERS, 5, want);
    assert_map(got, want, SB_MAX_LAYERS, "cycle_rev:5 on 64");
}

/* ----------------------------------------------------------- ALBERT maps */

static void albert_maps(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;
    int ident[SB_MAX_LAYERS], zero[SB_MAX_LAYERS] = {0};
    for (int i = 0; i < SB_MAX_LAYERS; i++) ident[i] = i;

    for (int n = 1; n <= 7; n++) {
        config_for(&c, n, "none");
        resolve_ok(&c, &s);
        assert_map(s.attn, ident, n, "none attn");
        assert_map(s.ffn, ident, n, "none ffn");
        assert_int_equal(s.n_attn, n);
        assert_int_equal(s.n_ffn, n);
        check_kv(&s, 1);

        config_for(&c, n, "");   /* empty means none */
        resolve_ok(&c, &s);
        assert_map(s.attn, ident, n, "empty attn");
        assert_int_equal(s.n_ffn, n);

        config_for(&c, n, "all");
        resolve_ok(&c, &s);
        assert_map(s.attn, zero, n, "all attn");
        assert_map(s.ffn, zero, n, "all ffn");
        assert_int_equal(s.n_attn, 1);
        assert_int_equal(s.n_ffn, 1);
        check_kv(&s, 1);
        assert_int_equal(s.n_kv, 1);

        config_for(&c, n, "attn");   /* attention shared, feed-forward independent */
        resolve_ok(&c, &s);
        assert_map(s.attn, zero, n, "attn attn");
        assert_map(s.ffn, ident, n, "attn ffn");
        assert_int_equal(s.n_attn, 1);
        assert_int_equal(s.n_ffn, n);
        check_kv(&s, 1);

        config_for(&c, n, "ffn");
        resolve_ok(&c, &s);
        assert_map(s.attn, ident, n, "ffn attn");
        assert_map(s.ffn, zero, n, "ffn ffn");
        assert_int_equal(s.n_attn, n);
        assert_int_equal(s.n_ffn, 1);
        check_kv(&s, 1);
        assert_int_equal(s.n_kv, n);
    }
    /* the base-map function knows none and all */
    int got[SB_MAX_LAYERS], nb;
    char err[SB_ERR_LEN];
    assert_int_equal(sb_sharing_base_map("none", 6, got, &nb, err, sizeof err), 0);
    assert_map(got, ident, 6, "base none");
    assert_int_equal(nb, 6);
    assert_int_equal(sb_sharing_base_map("all", 6, got, &nb, err, sizeof err), 0);
    assert_map(got, zero, 6, "base all");
    assert_int_equal(nb, 1);
    /* none/all take no argument */
    refused(6, "all:2", "all:2");
    refused(6, "none:1", "none:1");
    refused(6, "attn:2", "attn:2");
}

/* ---------------------------------------------------------- explicit maps */

static void explicit_maps(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;
    char err[SB_ERR_LEN];
    int got[SB_MAX_LAYERS], nb;

    static const int m5[5] = { 0, 1, 1, 1, 2 };
    assert_int_equal(sb_sharing_base_map("map:0,1,1,1,2", 5, got, &nb, err, sizeof err), 0);
    assert_map(got, m5, 5, "map:0,1,1,1,2");
    assert_int_equal(nb, 3);
    config_for(&c, 5, "map:0,1,1,1,2");
    resolve_ok(&c, &s);
    assert_map(s.attn, m5, 5, "map attn");
    assert_map(s.ffn, m5, 5, "map ffn");
    assert_int_equal(s.n_attn, 3);
    assert_int_equal(s.n_ffn, 3);
    check_kv(&s, 1);

    /* a map may reuse blocks out of order (the Subformer sandwich: ends unshared) */
    static const int sand[6] = { 0, 1, 1, 1, 1, 2 };
    config_for(&c, 6, "map:0,1,1,1,1,2");
    resolve_ok(&c, &s);
    assert_map(s.attn, sand, 6, "sandwich");
    assert_int_equal(s.n_attn, 3);
    static const int back[6] = { 2, 1, 0, 0, 1, 2 };
    config_for(&c, 6, "map:2,1,0,0,1,2");
    resolve_ok(&c, &s);
    assert_map(s.attn, back, 6, "map:2,1,0,0,1,2");
    assert_int_equal(s.n_attn, 3);
    check_kv(&s, 1);

    /* wrong length, both ways */
    base_refused("map:0,1,1,1,2", 6, "5", err, sizeof err);
    assert_mentions(err, "6");
    refused(6, "map:0,1,1,1,2", "map:0,1,1,1,2");
    base_refused("map:0,1,1,1,2,2,2", 6, "6", err, sizeof err);
    refused(6, "map:0,1,1,1,2,2,2", "map:0,1,1,1,2,2,2");
    refused(6, "map:", "map:");
    /* gaps: block 1 never used */
    base_refused("map:0,2,2,2,2,2", 6, "1", err, sizeof err);
    refused(6, "map:0,2,2,2,2,2", "map:0,2,2,2,2,2");
    refused(6, "map:1,1,1,1,1,1", "map:1,1,1,1,1,1");   /* block 0 never used */
    /* non-numbers and negatives name the bad entry */
    base_refused("map:0,a,1,1,2,2", 6, "'a'", err, sizeof err);
    base_refused("map:0,1,1,1,2,x2", 6, "'x2'", err, sizeof err);
    base_refused("map:0,1.5,1,1,2,2", 6, "'1.5'", err, sizeof err);
    base_refused("map:0,-1,1,1,2,2", 6, "'-1'", err, sizeof err);
    base_refused("map:0,1,1,1,2,64", 6, "'64'", err, sizeof err);
    refused(6, "map:0,-1,1,1,2,2", "-1");
    refused(6, "map:0,a,1,1,2,2", "map:0,a,1,1,2,2");
    /* a map in a composite: the message names the term and the composite */
    refused(6, "map:0,1,1,1,2+kv_share:2", "map:0,1,1,1,2");
    config_for(&c, 6, "map:0,0,1,1,2,2+kv_share:2");
    resolve_ok(&c, &s);
    check_kv(&s, 2);
    assert_int_equal(s.n_kv, 3);
}

/* An empty entry is not a block index: "0,,1,1,2" lists five entries, one of
** them empty, and must not be read as the four-layer map 0,1,1,2. */
static void explicit_map_empty_entry(void **state)
{
    (void)state;
    char err[SB_ERR_LEN];
    base_refused("map:0,,1,1,2", 4, "map:0,,1,1,2", err, sizeof err);
    base_refused("map:0,1,1,2,", 4, "map:0,1,1,2,", err, sizeof err);
}

/* ----------------------------------------------------------------- untie */

/* Give the last K depths fresh blocks, then number the blocks by first use. */
static int def_untie(int *map, int n, int k)
{
    int next = 0, remap[2 * SB_MAX_LAYERS], count = 0;
    for (int i = 0; i < n; i++) if (map[i] >= next) next = map[i] + 1;
    for (int i = n - k; i < n; i++) map[i] = next++;
    for (int i = 0; i < 2 * SB_MAX_LAYERS; i++) remap[i] = -1;
    for (int i = 0; i < n; i++) {
        if (remap[map[i]] < 0) remap[map[i]] = count++;
        map[i] = remap[map[i]];
    }
    return count;
}

static void untie(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;

    static const int lit[6] = { 0, 0, 0, 0, 1, 2 };
    config_for(&c, 6, "all+untie:2");
    resolve_ok(&c, &s);
    assert_map(s.attn, lit, 6, "all+untie:2 attn");
    assert_map(s.ffn, lit, 6, "all+untie:2 ffn");
    assert_int_equal(s.n_attn, 3);
    assert_int_equal(s.n_ffn, 3);
    check_kv(&s, 1);

    /* order of terms does not matter */
    config_for(&c, 6, "untie:2+all");
    resolve_ok(&c, &s);
    assert_map(s.attn, lit, 6, "untie:2+all attn");

    /* attn + untie: attention 0,0,0,0,1,2, feed-forward stays independent */
    config_for(&c, 6, "attn+untie:2");
    resolve_ok(&c, &s);
    assert_map(s.attn, lit, 6, "attn+untie:2 attn");
    for (int i = 0; i < 6; i++) assert_int_equal(s.ffn[i], i);
    assert_int_equal(s.n_ffn, 6);

    /* every K for a few bases, against the definition */
    static const char *bases[] = { "all", "none", "cycle:2", "cycle_rev:3", "sequence:3", "map:0,1,1,1,1,2" };
    for (size_t b = 0; b < sizeof bases / sizeof *bases; b++)
        for (int k = 0; k <= 6; k++) {
            char spec[64];
            int want[SB_MAX_LAYERS], nb;
            char err[SB_ERR_LEN];
            snprintf(spec, sizeof spec, "%s+untie:%d", bases[b], k);
            assert_int_equal(sb_sharing_base_map(bases[b], 6, want, &nb, err, sizeof err), 0);
            int nwant = def_untie(want, 6, k);
            config_for(&c, 6, spec);
            resolve_ok(&c, &s);
            assert_map(s.attn, want, 6, spec);
            assert_map(s.ffn, want, 6, spec);
            assert_int_equal(s.n_attn, nwant);
            assert_int_equal(s.n_ffn, nwant);
            if (k == 6) assert_int_equal(nwant, 6);
            check_kv(&s, 1);
        }

    refused(6, "all+untie:7", "7");
    refused(6, "all+untie:7", "all+untie:7");
    refused(6, "all+untie:-1", "-1");
    refused(6, "all+untie:x", "x");
    refused(6, "all+untie:", "all+untie:");
}

/* --------------------------------------------------------------- lowrank */

static void lowrank(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;

    /* lowrank alone implies base 'all' */
    config_for(&c, 6, "lowrank:4");
    resolve_ok(&c, &s);
    assert_int_equal(s.lowrank, 4);
    assert_int_equal(s.hyper, 0);
    for (int i = 0; i < 6; i++) assert_int_equal(s.attn[i], 0), assert_int_equal(s.ffn[i], 0);
    assert_int_equal(s.n_attn, 1);
    assert_int_equal(s.n_ffn, 1);

    /* with a base map (Relaxed Recursive Transformers: CYCLE plus per-depth LoRA) */
    config_for(&c, 6, "cycle:2+lowrank:8");
    resolve_ok(&c, &s);
    assert_int_equal(s.lowrank, 8);
    int want[6];
    def_cycle(6, 2, want);
    assert_map(s.attn, want, 6, "cycle:2+lowrank:8");
    assert_int_equal(s.n_attn, 2);

    /* R = width - 1 is the largest accepted */
    config_for(&c, 6, "lowrank:127");
    resolve_ok(&c, &s);
    assert_int_equal(s.lowrank, 127);

    /* R >= width: the message names R and the width */
    char err[SB_ERR_LEN];
    config_for(&c, 6, "lowrank:100");
    c.width = 96;
    c.ffn = 384;
    resolve_refused(&c, "100", err, sizeof err);
    assert_mentions(err, "96");
    config_for(&c, 6, "lowrank:128");
    resolve_refused(&c, "lowrank:128", err, sizeof err);
    assert_mentions(err, "128");
    refused(6, "lowrank:0", "lowrank:0");
    refused(6, "lowrank:x", "lowrank:x");
    refused(6, "lowrank:-3", "-3");
    refused(6, "lowrank", "lowrank");   /* needs R */
    /* lowrank and hyper are alternatives */
    refused(6, "lowrank:4+hyper:8", "lowrank:4+hyper:8");
}

/* When the feed-forward width is the smaller one, the limit is the
** feed-forward width and the message must not call it the model width. */
static void lowrank_limit_names_ffn(void **state)
{
    (void)state;
    sb_config c;
    char err[SB_ERR_LEN];
    config_for(&c, 6, "lowrank:100");
    c.width = 128;
    c.ffn = 64;
    resolve_refused(&c, "100", err, sizeof err);
    assert_mentions(err, "64");
    assert_mentions(err, "ffn");
}

/* ----------------------------------------------------------------- hyper */

static void hyper(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;
    config_for(&c, 6, "hyper:8");
    resolve_ok(&c, &s);
    assert_int_equal(s.hyper, 8);
    assert_int_equal(s.lowrank, 0);
    assert_int_equal(s.n_attn, 1);   /* alone, it implies 'all' */
    assert_int_equal(s.n_ffn, 1);
    config_for(&c, 6, "cycle:3+hyper:1");
    resolve_ok(&c, &s);
    assert_int_equal(s.hyper, 1);
    assert_int_equal(s.n_attn, 3);
    config_for(&c, 6, "hyper:4096");
    resolve_ok(&c, &s);
    assert_int_equal(s.hyper, 4096);
    refused(6, "hyper:0", "hyper:0");
    refused(6, "hyper:4097", "4097");
    refused(6, "hyper:abc", "abc");
    refused(6, "all+hyper:", "all+hyper:");
}

/* -------------------------------------------------------------- kv_share */

static void kv_share(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;

    config_for(&c, 6, "all+kv_share:2");
    resolve_ok(&c, &s);
    static const int kv_all[6] = { 0, -1, 0, -1, 0, -1 }, src2[6] = { 0, 0, 2, 2, 4, 4 };
    assert_map(s.kv, kv_all, 6, "all+kv_share:2 kv");
    assert_map(s.kv_src, src2, 6, "all+kv_share:2 kv_src");
    assert_int_equal(s.n_kv, 1);
    assert_int_equal(s.kv_share, 2);

    config_for(&c, 6, "none+kv_share:2");
    resolve_ok(&c, &s);
    static const int kv_none[6] = { 0, -1, 1, -1, 2, -1 };
    assert_map(s.kv, kv_none, 6, "none+kv_share:2 kv");
    assert_map(s.kv_src, src2, 6, "none+kv_share:2 kv_src");
    assert_int_equal(s.n_kv, 3);
    assert_int_equal(s.n_attn, 6);   /* kv sharing leaves the attention map alone */

    /* kv_share alone: base none */
    config_for(&c, 6, "kv_share:3");
    resolve_ok(&c, &s);
    assert_int_equal(s.n_attn, 6);
    check_kv(&s, 3);
    assert_int_equal(s.n_kv, 2);

    /* every S against the definition, over several bases and both depths */
    static const char *bases[] = { "none", "all", "attn", "ffn", "cycle:2", "cycle_rev:3", "sequence:2", "all+untie:2" };
    for (int n = 6; n <= 7; n++)
        for (size_t b = 0; b < sizeof bases / sizeof *bases; b++)
            for (int S = 1; S <= n; S++) {
                char spec[64];
                snprintf(spec, sizeof spec, "%s+kv_share:%d", bases[b], S);
                config_for(&c, n, spec);
                resolve_ok(&c, &s);
                check_kv(&s, S);
                /* the attention map itself is that of the base */
                sb_sharing plain;
                config_for(&c, n, bases[b]);
                resolve_ok(&c, &plain);
                assert_map(s.attn, plain.attn, n, spec);
                assert_map(s.ffn, plain.ffn, n, spec);
            }

    refused(6, "all+kv_share:0", "kv_share:0");
    refused(6, "all+kv_share:7", "7");
    refused(6, "all+kv_share:two", "two");
}

/* ------------------------------------------------------------------ yoco */

/* YOCO (Sun et al. 2024): the lower floor(N/2) depths their own keys and values, the upper all depth floor(N/2)'s; the
** window only at the lower depths */
static void yoco(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;
    config_for(&c, 6, "yoco:4");
    resolve_ok(&c, &s);
    static const int kv6[6] = { 0, 1, 2, 3, -1, -1 }, src6[6] = { 0, 1, 2, 3, 3, 3 };
    assert_map(s.kv, kv6, 6, "yoco:4 kv");
    assert_map(s.kv_src, src6, 6, "yoco:4 kv_src");
    assert_map(s.v_src, src6, 6, "yoco:4 v_src");
    assert_int_equal(s.n_kv, 4);
    assert_int_equal(s.n_attn, 6);
    for (int l = 0; l < 6; l++) assert_int_equal(sb_sharing_window(&s, l), l < 3 ? 4 : 0);
    /* odd depth: 2 self-decoder depths, 3 cross-decoder depths on depth 2's; a shared block keeps one key/value block */
    config_for(&c, 5, "all+yoco:0");
    resolve_ok(&c, &s);
    static const int kv5[5] = { 0, 0, 0, -1, -1 }, src5[5] = { 0, 1, 2, 2, 2 };
    assert_map(s.kv, kv5, 5, "all+yoco:0 kv");
    assert_map(s.kv_src, src5, 5, "all+yoco:0 kv_src");
    assert_int_equal(s.n_kv, 1);
    for (int l = 0; l < 5; l++) assert_int_equal(sb_sharing_window(&s, l), 0);
    /* off: no window anywhere */
    config_for(&c, 6, "none");
    resolve_ok(&c, &s);
    assert_int_equal(s.yoco, -1);
    assert_int_equal(sb_sharing_window(&s, 0), 0);

    refused(6, "yoco:2+kv_share:2", "give one");
    refused(6, "yoco:2+v_share:2", "give one");
    refused(6, "yoco:2+attn_reuse:2", "give one");
    refused(6, "loop:1,2,1+yoco:0", "with loop");
    refused(1, "yoco:0", "at least 2 layers");
    refused(6, "yoco:-1", "yoco:-1");
    config_for(&c, 6, "yoco:3");
    c.causal = 0;
    char err[SB_ERR_LEN];
    resolve_refused(&c, "causal=0", err, sizeof err);
    c.causal = 0;
    strcpy(c.sharing, "yoco:0");
    resolve_ok(&c, &s);
}

/* ------------------------------------------------------------------ lckv */

/* Layer-Condensed KV Cache (Wu & Tu 2024): W - W/2 warmup depths below, W/2 above, the condensed depths between on the
** top one's keys and values (their layer_types "0_6_6_6_6_6_6_7" is lckv:2 at 8 layers) */
static void lckv(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;
    int lo, top;
    config_for(&c, 8, "lckv:2");
    resolve_ok(&c, &s);
    static const int kv8[8] = { 0, -1, -1, -1, -1, -1, 1, 2 }, src8[8] = { 0, 6, 6, 6, 6, 6, 6, 7 };
    assert_map(s.kv, kv8, 8, "lckv:2 kv");
    assert_map(s.kv_src, src8, 8, "lckv:2 kv_src");
    assert_map(s.v_src, src8, 8, "lckv:2 v_src");
    assert_true(sb_sharing_lckv(&s, &lo, &top));
    assert_int_equal(lo, 1);
    assert_int_equal(top, 6);
    /* odd W: the extra warmup depth at the bottom; W = 0: every depth on the top one's; a shared block */
    config_for(&c, 6, "all+lckv:3");
    resolve_ok(&c, &s);
    static const int src6[6] = { 0, 1, 4, 4, 4, 5 };
    assert_map(s.kv_src, src6, 6, "all+lckv:3 kv_src");
    assert_int_equal(s.n_kv, 1);
    config_for(&c, 3, "lckv:0");
    resolve_ok(&c, &s);
    static const int src3[3] = { 2, 2, 2 };
    assert_map(s.kv_src, src3, 3, "lckv:0 kv_src");
    config_for(&c, 6, "none");
    resolve_ok(&c, &s);
    assert_false(sb_sharing_lckv(&s, &lo, &top));

    refused(6, "lckv:2+kv_share:2", "give one");
    refused(6, "lckv:2+yoco:0", "give one");
    refused(6, "loop:1,2,1+lckv:0", "give one");
    refused(4, "lckv:3", "W values that fit: 0 to 2");
    config_for(&c, 6, "lckv:2");
    c.causal = 0;
    char err[SB_ERR_LEN];
    resolve_refused(&c, "causal=0", err, sizeof err);
    config_for(&c, 6, "lckv:2");
    c.pos = SB_POS_RELBIAS;
    resolve_refused(&c, "relative position bias", err, sizeof err);
}

/* ----------------------------------------------------------- progressive */

static void progressive(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;

    config_for(&c, 6, "progressive");
    resolve_ok(&c, &s);
    assert_int_equal(s.progressive, 1);
    for (int i = 0; i < 6; i++) assert_int_equal(s.attn[i], i), assert_int_equal(s.ffn[i], i);
    assert_int_equal(s.n_attn, 6);
    assert_int_equal(s.n_ffn, 6);
    assert_string_equal(s.target, "all");
    check_kv(&s, 1);

    config_for(&c, 6, "progressive:cycle:2");
    resolve_ok(&c, &s);
    assert_int_equal(s.progressive, 1);
    for (int i = 0; i < 6; i++) assert_int_equal(s.attn[i], i), assert_int_equal(s.ffn[i], i);
    assert_int_equal(s.n_attn, 6);
    assert_string_equal(s.target, "cycle:2");

    /* a composite target; kv sharing applies from the start */
    config_for(&c, 6, "progressive:all+kv_share:2");
    resolve_ok(&c, &s);
    assert_string_equal(s.target, "all+kv_share:2");
    assert_int_equal(s.n_attn, 6);
    check_kv(&s, 2);
    assert_int_equal(s.n_kv, 3);

    /* an unresolvable target names itself */
    refused(6, "progressive:cycle:9", "cycle:9");
    refused(6, "progressive:sequence:4", "sequence:4");
    refused(6, "progressive:bogus", "bogus");
    refused(6, "progressive:progressive", "progressive:progressive");
    refused(6, "progressive:cycle:2+lowrank:4", "progressive:cycle:2+lowrank:4");
    refused(6, "progressive:hyper:4", "progressive:hyper:4");
    /* combined with other terms */
    refused(6, "progressive+all", "progressive+all");
    refused(6, "all+progressive", "all+progressive");
    refused(6, "cycle:2+progressive:all", "cycle:2+progressive:all");
    refused(6, "kv_share:2+progressive", "kv_share:2+progressive");
    /* combined with the per-sublayer overrides */
    char err[SB_ERR_LEN];
    config_for(&c, 6, "progressive");
    strcpy(c.sharing_attn, "all");
    resolve_refused(&c, "progressive", err, sizeof err);
    assert_mentions(err, "sharing_attn");
    config_for(&c, 6, "progressive:cycle:2");
    strcpy(c.sharing_ffn, "all");
    resolve_refused(&c, "progressive:cycle:2", err, sizeof err);
    assert_mentions(err, "sharing_ffn");
}

/* ------------------------------------------------ combinations and names */

static void two_bases_and_unknown(void **state)
{
    (void)state;
    char err[SB_ERR_LEN];
    sb_config c;
    static const char *pairs[][3] = {
        { "all+cycle:2", "all", "cycle:2" },
        { "none+all", "none", "all" },
        { "cycle:2+cycle:3", "cycle:2", "cycle:3" },
        { "attn+ffn", "attn", "ffn" },
        { "map:0,0,1,1,2,2+sequence:3+lowrank:4", "map:0,0,1,1,2,2", "sequence:3" },
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        config_for(&c, 6, pairs[i][0]);
        resolve_refused(&c, pairs[i][1], err, sizeof err);
        assert_mentions(err, pairs[i][2]);
    }

    static const char *unknown[] = { "bogus", "cycles:2", "cycle", "sequence", "Cycle:2", "al", "map", "all ", "bogus:3" };
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        config_for(&c, 6, unknown[i]);
        resolve_refused(&c, unknown[i], err, sizeof err);
        static const char *known[] = { "none", "all", "attn", "ffn", "sequence", "cycle", "cycle_rev", "map" };
        for (size_t k = 0; k < sizeof known / sizeof *known; k++) assert_mentions(err, known[k]);
    }
    /* an unknown term inside a composite names the term and the composite */
    config_for(&c, 6, "bogus+kv_share:2");
    resolve_refused(&c, "'bogus'", err, sizeof err);
    assert_mentions(err, "bogus+kv_share:2");
    /* an over-long specification is refused, not overrun */
    char longspec[600];
    memset(longspec, 'a', sizeof longspec - 1);
    longspec[sizeof longspec - 1] = 0;
    int map[SB_MAX_LAYERS], nb;
    assert_int_equal(sb_sharing_base_map(longspec, 6, map, &nb, err, sizeof err), -1);
    assert_true(strlen(err) > 0 && strlen(err) < sizeof err);
}

/* A misspelt modifier is answered with the known modifiers as well as the
** known base maps: "kvshare:2" should point at kv_share:S. */
static void unknown_lists_modifiers(void **state)
{
    (void)state;
    char err[SB_ERR_LEN];
    sb_config c;
    config_for(&c, 6, "kvshare:2");
    resolve_refused(&c, "kvshare:2", err, sizeof err);
    static const char *mods[] = { "untie", "lowrank", "hyper", "kv_share", "progressive" };
    for (size_t k = 0; k < sizeof mods / sizeof *mods; k++) assert_mentions(err, mods[k]);
}

/* An unknown term after a base map is still an unknown name: the message
** must list the known names, not report "two base maps". */
static void unknown_after_base(void **state)
{
    (void)state;
    char err[SB_ERR_LEN];
    sb_config c;
    config_for(&c, 6, "all+kvshare:2");
    resolve_refused(&c, "kvshare:2", err, sizeof err);
    static const char *known[] = { "none", "sequence", "cycle_rev", "map" };
    for (size_t k = 0; k < sizeof known / sizeof *known; k++) assert_mentions(err, known[k]);
}

/* ------------------------------------------------------------- overrides */

static void overrides(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;
    char err[SB_ERR_LEN];

    config_for(&c, 6, "none");
    strcpy(c.sharing_attn, "all");
    strcpy(c.sharing_ffn, "cycle:2");
    resolve_ok(&c, &s);
    int want[6];
    for (int i = 0; i < 6; i++) assert_int_equal(s.attn[i], 0);
    def_cycle(6, 2, want);
    assert_map(s.ffn, want, 6, "ffn override");
    assert_int_equal(s.n_attn, 1);
    assert_int_equal(s.n_ffn, 2);
    check_kv(&s, 1);   /* keys and values follow the attention override */
    assert_int_equal(s.n_kv, 1);

    /* only one override: the other sublayer keeps the base */
    config_for(&c, 6, "cycle:3");
    strcpy(c.sharing_ffn, "sequence:2");
    resolve_ok(&c, &s);
    def_cycle(6, 3, want);
    assert_map(s.attn, want, 6, "attn from base");
    def_sequence(6, 2, want);
    assert_map(s.ffn, want, 6, "ffn override sequence:2");
    assert_int_equal(s.n_attn, 3);
    assert_int_equal(s.n_ffn, 2);

    /* overrides keep the base's modifiers and may carry untie */
    config_for(&c, 6, "all+kv_share:2");
    strcpy(c.sharing_attn, "none");
    resolve_ok(&c, &s);
    for (int i = 0; i < 6; i++) assert_int_equal(s.attn[i], i), assert_int_equal(s.ffn[i], 0);
    check_kv(&s, 2);
    assert_int_equal(s.n_kv, 3);

    config_for(&c, 6, "lowrank:4");
    strcpy(c.sharing_ffn, "all+untie:2");
    resolve_ok(&c, &s);
    assert_int_equal(s.lowrank, 4);
    static const int lit[6] = { 0, 0, 0, 0, 1, 2 };
    assert_map(s.ffn, lit, 6, "ffn all+untie:2");
    assert_int_equal(s.n_ffn, 3);

    config_for(&c, 6, "none");
    strcpy(c.sharing_attn, "map:0,1,1,1,1,0");
    resolve_ok(&c, &s);
    static const int m[6] = { 0, 1, 1, 1, 1, 0 };
    assert_map(s.attn, m, 6, "attn map override");
    assert_int_equal(s.n_attn, 2);
    check_kv(&s, 1);

    /* overrides carrying modifiers, or naming a sublayer, are refused */
    static const char *bad[] = { "all+lowrank:4", "lowrank:4", "hyper:8", "cycle:2+kv_share:2", "kv_share:2",
                                 "progressive", "progressive:all", "attn", "ffn" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        for (int which = 0; which < 2; which++) {
            config_for(&c, 6, "none");
            strcpy(which ? c.sharing_ffn : c.sharing_attn, bad[i]);
            resolve_refused(&c, bad[i], err, sizeof err);
            assert_mentions(err, which ? "sharing_ffn" : "sharing_attn");
        }
    /* an override that does not fit names itself and its key */
    static const char *unfit[] = { "cycle:9", "sequence:4", "map:0,1", "bogus", "all+untie:7" };
    for (size_t i = 0; i < sizeof unfit / sizeof *unfit; i++)
        for (int which = 0; which < 2; which++) {
            config_for(&c, 6, "all");
            strcpy(which ? c.sharing_ffn : c.sharing_attn, unfit[i]);
            resolve_refused(&c, unfit[i], err, sizeof err);
            assert_mentions(err, which ? "sharing_ffn" : "sharing_attn");
        }
}

/* ------------------------------------------------------------- describe */

static void describe(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;
    char out[2048];

    config_for(&c, 6, "all+untie:2+kv_share:2");
    resolve_ok(&c, &s);
    sb_sharing_describe(&s, out, sizeof out);
    assert_mentions(out, "attn");
    assert_mentions(out, "ffn");
    assert_mentions(out, "kv");
    assert_mentions(out, "0 0 0 0 1 2");
    assert_mentions(out, "0 ^ 0 ^ 1 ^");
    assert_mentions(out, "(3 unique)");
    assert_mentions(out, "2");

    config_for(&c, 6, "cycle_rev:3+lowrank:4");
    resolve_ok(&c, &s);
    sb_sharing_describe(&s, out, sizeof out);
    assert_mentions(out, "0 1 2 2 1 0");
    assert_mentions(out, "rank-4");

    config_for(&c, 6, "sequence:3+hyper:16");
    resolve_ok(&c, &s);
    sb_sharing_describe(&s, out, sizeof out);
    assert_mentions(out, "0 0 1 1 2 2");
    assert_mentions(out, "16");

    config_for(&c, 7, "yoco:16");
    resolve_ok(&c, &s);
    sb_sharing_describe(&s, out, sizeof out);
    assert_mentions(out, "kv   (4 unique): 0 1 2 3 ^ ^ ^");
    assert_mentions(out, "self-decoder depths 0-2 (a sliding window of 16 positions), cross-decoder depths 3-6 on depth 3's");
    config_for(&c, 4, "yoco:0");
    resolve_ok(&c, &s);
    sb_sharing_describe(&s, out, sizeof out);
    assert_mentions(out, "self-decoder depths 0-1 (full causal attention)");

    config_for(&c, 6, "progressive:cycle:2");
    resolve_ok(&c, &s);
    sb_sharing_describe(&s, out, sizeof out);
    assert_mentions(out, "0 1 2 3 4 5");
    assert_mentions(out, "cycle:2");

    config_for(&c, 6, "none");
    strcpy(c.sharing_attn, "all");
    strcpy(c.sharing_ffn, "cycle:2");
    resolve_ok(&c, &s);
    sb_sharing_describe(&s, out, sizeof out);
    assert_mentions(out, "attn (1 unique): 0 0 0 0 0 0");
    assert_mentions(out, "0 1 0 1 0 1");

    /* small buffers are truncated, terminated and never overrun */
    config_for(&c, SB_MAX_LAYERS, "none+kv_share:3+lowrank:4");
    resolve_ok(&c, &s);
    for (size_t len = 1; len < 700; len += 7) {
        char *buf = malloc(len);   /* exact size, so ASan sees any overrun */
        assert_non_null(buf);
        sb_sharing_describe(&s, buf, len);
        assert_true(strlen(buf) < len);
        free(buf);
    }
}

/* ------------------------------------------------ every refusal is -1 */

/* Refusals with a small error buffer must stay inside it (ASan checks). */
static void small_error_buffers(void **state)
{
    (void)state;
    static const char *bad[] = { "sequence:4", "bogus", "map:0,2,2,2,2,2", "all+untie:7", "lowrank:999",
                                 "progressive+all", "all+cycle:2", "kv_share:0", "progressive:cycle:9" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        for (size_t len = 1; len < 64; len += 5) {
            sb_config c;
            sb_sharing s;
            config_for(&c, 6, bad[i]);
            char *err = malloc(len);
            assert_non_null(err);
            assert_int_equal(sb_sharing_resolve(&c, &s, err, len), -1);
            assert_true(strlen(err) < len);
            free(err);
        }
}


/* --------------------------------------------------- malformed and syntax */

/* Terms are joined by single '+', none at either end; each modifier comes
** once; numbers are digits only. Each malformed specification is refused by
** the syntax check and by resolution, naming the specification. */
static void malformed(void **state)
{
    (void)state;
    static const struct { const char *spec, *frag; } bad[] = {
        { "+", "empty term" }, { "cycle:2+", "empty term" }, { "+all", "empty term" }, { "all++untie:1", "empty term" },
        { "progressive:all+", "empty term" }, { "progressive:+all", "empty term" },
        { "all+untie:1+untie:2", "untie is given twice" }, { "kv_share:2+all+kv_share:2", "kv_share is given twice" },
        { "lowrank:2+lowrank:2", "lowrank is given twice" }, { "untie:0+untie:0", "untie is given twice" },
        { "hyper:4+all+hyper:8", "hyper is given twice" }, { "cycle:2++untie:1", "empty term" },
        { "cycle: 2", "' 2'" }, { "cycle:+2", "K=''" }, { "all+untie:1x", "'1x'" }, { "map:0, 1", "' 1'" },
    };
    char err[SB_ERR_LEN];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        if (sb_sharing_check("sharing", bad[i].spec, err, sizeof err) != -1) print_error("'%s' passed the syntax check\n", bad[i].spec);
        assert_int_equal(sb_sharing_check("sharing", bad[i].spec, err, sizeof err), -1);
        assert_mentions(err, bad[i].spec);
        assert_mentions(err, bad[i].frag);
        refused(6, bad[i].spec, bad[i].frag);
    }
    /* and in a per-sublayer override, which goes through the same parser */
    sb_config c;
    config_for(&c, 6, "none");
    snprintf(c.sharing_attn, sizeof c.sharing_attn, "all+");
    resolve_refused(&c, "empty term", err, sizeof err);
}

/* The syntax check needs no model and is exactly "some depth takes it" for
** specifications whose fit depends on the depth alone: whatever it refuses,
** every depth from 1 to SB_MAX_LAYERS refuses, and whatever it accepts here,
** some depth resolves. */
static void check_agrees_with_resolve(void **state)
{
    (void)state;
    static const char *specs[] = {
        "none", "", "all", "attn", "ffn", "cycle:3", "sequence:5", "cycle_rev:64", "cycle:65", "cycle:0", "map:0,1,1,2", "map:0,2",
        "map:", "map:1", "untie:3", "all+untie:64", "all+untie:65", "lowrank:4", "lowrank:0", "hyper:4096", "hyper:4097",
        "kv_share:64", "kv_share:65", "kv_share:0", "progressive", "progressive:", "progressive:cycle:2+kv_share:2",
        "progressive:progressive", "progressive:lowrank:2", "cycle:2+progressive", "cycle:2+", "+", "all+cycle:2",
        "lowrank:2+hyper:2", "bogus", "all:1", "cycle", "untie", "all+untie:1+untie:1", "map:0,1,1,2+untie:2+kv_share:2",
    };
    char err[SB_ERR_LEN], e2[SB_ERR_LEN];
    int accepted = 0, refusals = 0;
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        int syntax = sb_sharing_check("sharing", specs[i], err, sizeof err), some = 0;
        for (int n = 1; n <= SB_MAX_LAYERS && !some; n++) {
            sb_config c;
            sb_sharing s;
            config_for(&c, n, specs[i]);
            some = !sb_sharing_resolve(&c, &s, e2, sizeof e2);
        }
        if ((syntax == 0) != some)
            print_error("'%s': syntax check %d, some depth resolves: %d (%s)\n", specs[i], syntax, some, syntax ? err : e2);
        assert_int_equal(syntax == 0, some);
        if (syntax) assert_mentions(err, "sharing=");
        accepted += some;
        refusals += !some;
    }
    assert_true(accepted >= 10 && refusals >= 10);   /* both sides exercised */
}

/* sharing_attn and sharing_ffn hold a base map of both sublayers and the
** modifiers that change maps (untie:K) only; other keys are not the
** sharing module's. */
static void check_keys(void **state)
{
    (void)state;
    char err[SB_ERR_LEN];
    assert_int_equal(sb_sharing_check("sharing_attn", "all+untie:2", err, sizeof err), 0);
    assert_int_equal(sb_sharing_check("sharing_ffn", "map:0,1,0", err, sizeof err), 0);
    assert_int_equal(sb_sharing_check("sharing_ffn", "", err, sizeof err), 0);
    static const char *bad[] = { "lowrank:4", "kv_share:2", "hyper:2", "progressive", "progressive:all", "attn", "ffn", "cycle:2+" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(sb_sharing_check("sharing_ffn", bad[i], err, sizeof err), -1);
        assert_mentions(err, "sharing_ffn");
        assert_mentions(err, bad[i]);
    }
    assert_int_equal(sb_sharing_check("width", "+", err, sizeof err), 0);
}

/* The resolution carries what consumers ask of it: which modifier builds
** per-depth weights, and which configuration it was resolved for; a model is
** not built from another configuration's resolution. */
static void resolution_travels(void **state)
{
    (void)state;
    sb_config c, d;
    sb_sharing s;
    char term[32], err[SB_ERR_LEN];
    static const struct { const char *spec, *term; } w[] = {
        { "cycle:2+lowrank:4", "lowrank:4" }, { "hyper:8", "hyper:8" }, { "all+kv_share:2", NULL }, { "progressive", NULL },
    };
    for (size_t i = 0; i < sizeof w / sizeof *w; i++) {
        config_for(&c, 6, w[i].spec);
        resolve_ok(&c, &s);
        assert_int_equal(sb_sharing_weights_term(&s, term, sizeof term), w[i].term != NULL);
        if (w[i].term) assert_string_equal(term, w[i].term);
    }
    config_for(&c, 6, "cycle:2+lowrank:4");
    resolve_ok(&c, &s);
    assert_true(sb_sharing_for(&s, &c));
    d = c, d.width = 64;
    assert_false(sb_sharing_for(&s, &d));
    d = c, d.layers = 4;
    assert_false(sb_sharing_for(&s, &d));
    d = c, strcpy(d.sharing, "cycle:3+lowrank:4");
    assert_false(sb_sharing_for(&s, &d));
    d = c, d.vocab = 99;   /* any key: the resolution is of one configuration */
    assert_false(sb_sharing_for(&s, &d));
    assert_null(sb_model_create_with(&d, &s, 2, 8, 1, 0, err, sizeof err));
    assert_mentions(err, "another configuration");
    sb_model *m = sb_model_create_with(&c, &s, 2, 8, 1, 0, err, sizeof err);
    assert_non_null(m);
    assert_int_equal(sb_model_sharing(m)->lowrank, 4);
    assert_int_equal(sb_model_sharing(m)->n_attn, 2);
    sb_model_free(m);
}

/* The help text lists every term the parser takes, one line each, and small
** buffers are never overrun. */
/* loop:P,K,C (Yang et al. 2023; Geiping et al. 2025): prelude, a core looped
** r = (N-P-C)/K times, coda, written again from the definition (unrolled, the
** core's block j at every loop) for N = 6 and 7 and every P, K, C that fit;
** the depths where the prelude's output is injected, P + jK for 1 <= j < r;
** and the refusals. */
static void loop_maps(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;
    char spec[64], err[SB_ERR_LEN];
    int checked = 0;
    for (int n = 6; n <= 7; n++)
        for (int P = 0; P <= n; P++)
            for (int C = 0; P + C < n; C++)
                for (int K = 1; K <= n - P - C; K++) {
                    int r = (n - P - C) / K, want[SB_MAX_LAYERS], d = 0, inj = 0;
                    snprintf(spec, sizeof spec, "loop:%d,%d,%d", P, K, C);
                    config_for(&c, n, spec);
                    if ((n - P - C) % K) {
                        resolve_refused(&c, "does not loop a whole number of times", err, sizeof err);
                        continue;
                    }
                    for (int i = 0; i < P; i++) want[d++] = i;
                    for (int loop = 0; loop < r; loop++)
                        for (int j = 0; j < K; j++) want[d++] = P + j;
                    for (int i = 0; i < C; i++) want[d++] = P + K + i;
                    assert_int_equal(d, n);
                    resolve_ok(&c, &s);
                    assert_map(s.attn, want, n, spec);
                    assert_map(s.ffn, want, n, spec);
                    assert_int_equal(s.n_attn, P + K + C);
                    assert_int_equal(s.loops, r);
                    for (int i = 0; i < n; i++) {
                        int starts = i > P && i < P + r * K && (i - P) % K == 0;
                        assert_int_equal(sb_sharing_injects(&s, i), starts);
                        inj += starts;
                    }
                    assert_int_equal(inj, r - 1);
                    checked++;
                }
    assert_true(checked > 50);
    config_for(&c, 6, "all");
    resolve_ok(&c, &s);
    for (int i = 0; i < 6; i++) assert_int_equal(sb_sharing_injects(&s, i), 0);
    refused(8, "loop:1,2", "loop takes three numbers");
    refused(8, "loop:1,2,1,1", "loop takes three numbers");
    refused(8, "loop:1,0,1", "K (core depths)='0'");
    refused(8, "loop", "loop needs its argument");
    refused(7, "loop:1,2,1", "(4, 6, 8, 10, ...)");
    refused(8, "progressive:loop:1,2,1", "a looped model (loop:1,2,1) starts tied");
    config_for(&c, 6, "none");
    snprintf(c.sharing_attn, sizeof c.sharing_attn, "loop:1,2,1");
    resolve_refused(&c, "loop shapes the whole model", err, sizeof err);
    char out[1024];
    config_for(&c, 8, "loop:1,2,1");
    resolve_ok(&c, &s);
    sb_sharing_describe(&s, out, sizeof out);
    assert_mentions(out, "attn (4 unique): 0 1 2 1 2 1 2 3\n");
    assert_mentions(out, "a core of 2 looped 3 times, 1 coda depths; the prelude's output added at depths 3 5\n");
}

/* loop:P,K,C+mor (Mixture-of-Recursions, Bae et al. 2025, arXiv 2507.10524):
** the loop's map, no injection, the coda's first depth reads the mixture;
** refused without a loop of r >= 2 and a coda, with a value, and with the
** modes that move keys and values between depths or build per-depth weights. */
static void mor(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;
    char out[1024];
    static const int map[6] = { 0, 1, 2, 1, 2, 3 };
    config_for(&c, 6, "loop:1,2,1+mor");
    resolve_ok(&c, &s);
    assert_int_equal(s.mor, 1);
    assert_int_equal(s.loops, 2);
    assert_map(s.attn, map, 6, "loop:1,2,1+mor attn");
    for (int l = 0; l < 6; l++) assert_int_equal(sb_sharing_injects(&s, l), 0);   /* routing replaces the injection */
    sb_sharing_describe(&s, out, sizeof out);
    assert_mentions(out, "a core of 2 run 1 to 2 times per token as its router picks, 1 coda depths; depth 5 reads the mixture\n");
    config_for(&c, 6, "loop:1,2,1");
    resolve_ok(&c, &s);
    assert_int_equal(s.mor, 0);
    assert_int_equal(sb_sharing_injects(&s, 3), 1);
    refused(6, "loop:1,2,1+mor:2", "mor takes no value");
    refused(6, "all+mor", "needs a looped base map");
    refused(6, "loop:0,3,0+mor", "a coda of C >= 1");
    refused(5, "loop:1,3,1+mor", "r >= 2");
    refused(6, "loop:1,2,1+mor+kv_share:2", "mor with kv_share");
    refused(6, "loop:1,2,1+mor+lowrank:2", "mor with lowrank:2");
    refused(6, "loop:1,2,1+mor+mor", "mor is given twice");
    /* mor_expert: mor with expert-choice routing, every recursion after the first and the coda reading a mixture */
    config_for(&c, 6, "loop:1,2,1+mor_expert");
    resolve_ok(&c, &s);
    assert_int_equal(s.mor, 1);
    assert_int_equal(s.mor_expert, 1);
    for (int l = 0; l < 6; l++) assert_int_equal(sb_sharing_injects(&s, l), 0);
    sb_sharing_describe(&s, out, sizeof out);
    assert_mentions(out, "mor: expert-choice routing");
    assert_mentions(out, "1 coda depths; depths 3 5 read the gated mixtures X + g f(X)\n");
    assert_null(strstr(out, "token-choice"));
    refused(6, "loop:1,2,1+mor+mor_expert", "mor and mor_expert: give one");
    /* mor_kv_share: the later recursions' depths take recursion 0's keys and values (kv: 0 1 2 ^ ^ 3) */
    static const int kv_src[6] = { 0, 1, 2, 1, 2, 5 };
    config_for(&c, 6, "loop:1,2,1+mor_expert+mor_kv_share");
    resolve_ok(&c, &s);
    for (int l = 0; l < 6; l++) assert_int_equal(s.kv_src[l], kv_src[l]);
    refused(6, "loop:1,2,1+mor_kv_share", "mor_kv_share without mor");
    refused(6, "loop:1,2,1+mor_expert+act", "mor and act: give one");
    refused(6, "loop:1,2,1+mor_expert+kv_share:2", "mor with kv_share");
    /* act (the Universal Transformer's halting, Dehghani et al. 2019): the same shape, the same refusals, not with mor */
    config_for(&c, 6, "loop:1,2,1+act");
    resolve_ok(&c, &s);
    assert_int_equal(s.act, 1);
    for (int l = 0; l < 6; l++) assert_int_equal(sb_sharing_injects(&s, l), 0);
    sb_sharing_describe(&s, out, sizeof out);
    assert_mentions(out, "a core of 2 run for 1 to 2 steps until each token halts, 1 coda depths; depth 5 reads the weighted states\n");
    refused(6, "loop:1,2,1+act+mor", "mor and act: give one");
    refused(6, "loop:0,3,0+act", "a coda of C >= 1");
    refused(6, "loop:1,2,1+act+v_share:2", "act with v_share");
}

/* v_share:S: values at depths i with i % S == 0, reused by the S-1 after,
** keys at every depth; v_share:N is SVFormer (Zhou et al. 2024, arXiv
** 2410.17897: every layer attends with the first layer's values). */
static void v_share(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;
    char err[SB_ERR_LEN], out[1024];
    for (int S = 1; S <= 6; S++) {
        char spec[32];
        snprintf(spec, sizeof spec, "cycle:2+v_share:%d", S);
        config_for(&c, 6, spec);
        resolve_ok(&c, &s);
        assert_int_equal(s.v_share, S);
        assert_int_equal(s.kv_share, 1);
        for (int i = 0; i < 6; i++) {
            assert_int_equal(s.kv[i], i % 2);        /* keys: every depth, with its attention block */
            assert_int_equal(s.kv_src[i], i);
            assert_int_equal(s.v_src[i], i / S * S); /* values: the last depth at a multiple of S */
        }
    }
    config_for(&c, 6, "none");
    resolve_ok(&c, &s);
    for (int i = 0; i < 6; i++) assert_int_equal(s.v_src[i], i);
    config_for(&c, 6, "kv_share:3");
    resolve_ok(&c, &s);
    for (int i = 0; i < 6; i++) assert_int_equal(s.v_src[i], i / 3 * 3);   /* with the keys */
    config_for(&c, 6, "v_share:6");
    resolve_ok(&c, &s);
    sb_sharing_describe(&s, out, sizeof out);
    assert_mentions(out, "kv   (6 unique): 0 1 2 3 4 5\nv   : 0 ^ ^ ^ ^ ^\n");
    assert_mentions(out, "values computed every 6 layers");
    refused(6, "v_share:7", "must be a whole number from 1 to 6");
    refused(6, "all+kv_share:2+v_share:3", "kv_share:2 and v_share:3: give one");
    config_for(&c, 6, "none");
    snprintf(c.sharing_attn, sizeof c.sharing_attn, "all+v_share:2");
    resolve_refused(&c, "put", err, sizeof err);
}

/* attn_reuse:S (Xiao et al. 2019, "Sharing Attention Weights for Fast
** Transformer"): maps at depths i with i % S == 0, applied by the S-1 after;
** the weight maps unchanged; refused with the modes moving keys or values and
** those building each depth's weights. */
static void attn_reuse(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;
    char err[SB_ERR_LEN], out[1024];
    for (int S = 1; S <= 6; S++) {
        char spec[32];
        snprintf(spec, sizeof spec, "cycle:2+attn_reuse:%d", S);
        config_for(&c, 6, spec);
        resolve_ok(&c, &s);
        assert_int_equal(s.attn_reuse, S);
        for (int i = 0; i < 6; i++) {
            assert_int_equal(s.attn[i], i % 2);      /* the weight maps are the base map's */
            assert_int_equal(s.kv[i], i % 2);
            assert_int_equal(s.v_src[i], i);
            assert_int_equal(s.a_src[i], i / S * S);
        }
    }
    config_for(&c, 6, "none");
    resolve_ok(&c, &s);
    for (int i = 0; i < 6; i++) assert_int_equal(s.a_src[i], i);
    config_for(&c, 6, "attn_reuse:3");
    resolve_ok(&c, &s);
    sb_sharing_describe(&s, out, sizeof out);
    assert_mentions(out, "kv   (6 unique): 0 1 2 3 4 5\nmap : 0 ^ ^ 3 ^ ^\n");
    assert_mentions(out, "attention maps computed every 3 layers");
    refused(6, "attn_reuse:7", "must be a whole number from 1 to 6");
    refused(6, "all+kv_share:2+attn_reuse:2", "attn_reuse:2 with kv_share:2: give one");
    refused(6, "v_share:3+attn_reuse:2", "attn_reuse:2 with v_share:3: give one");
    refused(6, "cycle:2+lowrank:2+attn_reuse:2", "attn_reuse:2 with lowrank:2: not supported");
    refused(6, "loop:1,2,1+attn_reuse:2", "attn_reuse:2 with loop: not supported");
    refused(6, "progressive:all+attn_reuse:2", "attn_reuse:2 with progressive: not supported");
    config_for(&c, 6, "none");
    snprintf(c.sharing_attn, sizeof c.sharing_attn, "all+attn_reuse:2");
    resolve_refused(&c, "put", err, sizeof err);
}

/* basis:R (Basis Sharing, arXiv 2410.03765): alone it shares one basis over
** every depth (all); with a base map each block's depths form a group; it
** builds each depth's weights, so factor, progressive and a second such
** modifier are refused, and R stays below the smaller width. */
static void basis(void **state)
{
    (void)state;
    sb_config c;
    sb_sharing s;
    char err[SB_ERR_LEN], term[64];
    static const int all0[4] = { 0, 0, 0, 0 }, seq2[4] = { 0, 0, 1, 1 };
    config_for(&c, 4, "basis:8");
    resolve_ok(&c, &s);
    assert_int_equal(s.basis, 8);
    assert_map(s.attn, all0, 4, "basis:8 attn");
    assert_int_equal(sb_sharing_weights_term(&s, term, sizeof term), 1);
    assert_string_equal(term, "basis:8");
    config_for(&c, 4, "sequence:2+basis:8");
    resolve_ok(&c, &s);
    assert_map(s.ffn, seq2, 4, "sequence:2+basis:8 ffn");
    refused(4, "basis:128", "below the width 128");
    refused(4, "basis:4+lowrank:2", "both build each depth's weights");
    refused(4, "progressive:basis:4", "cannot use basis:4");
    config_for(&c, 4, "basis:4");
    c.factor = 2;
    resolve_refused(&c, "basis:4 with factor=2", err, sizeof err);
}

static void syntax_lists_every_term(void **state)
{
    (void)state;
    char out[4096], err[SB_ERR_LEN];
    sb_sharing_syntax(out, sizeof out);
    static const char *terms[] = { "none", "all", "attn", "ffn", "sequence:K", "cycle:K", "cycle_rev:K", "map:I,J,...",
                                   "loop:P,K,C",
                                   "+untie:K", "+lowrank:R", "+hyper:D", "+basis:R", "+kv_share:S", "+v_share:S", "+attn_reuse:S", "+yoco:W",
                                   "+mor", "+mor_expert", "+mor_kv_share", "+act", "+lckv:W",
                                   "progressive[:TARGET]" };
    int lines = 0;
    for (const char *p = out; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, (int)(sizeof terms / sizeof *terms) + 4);   /* and four headings */
    for (size_t i = 0; i < sizeof terms / sizeof *terms; i++) {
        char line[64];
        snprintf(line, sizeof line, "\n  %s ", terms[i]);
        assert_mentions(out, line);
        /* and the parser takes it (K, R, D, S as 2; the list as a map of two depths) */
        char spec[64];
        const char *t = terms[i][0] == '+' ? terms[i] + 1 : terms[i];
        snprintf(spec, sizeof spec, "%.*s", (int)strcspn(t, "[:"), t);
        if (strchr(t, ':') && !strstr(t, "[:")) strcat(spec, strstr(t, "I,J") ? ":0,1" : strstr(t, "P,K") ? ":1,2,1" : ":2");
        if (sb_sharing_check("sharing", spec, err, sizeof err)) print_error("'%s' refused: %s\n", spec, err);
        assert_int_equal(sb_sharing_check("sharing", spec, err, sizeof err), 0);
    }
    for (size_t len = 1; len < 900; len += 13) {
        char *buf = malloc(len);
        assert_non_null(buf);
        sb_sharing_syntax(buf, len);
        assert_true(strlen(buf) < len);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_examples),
        cmocka_unit_test(named_maps),
        cmocka_unit_test(sequence_refusals),
        cmocka_unit_test(named_bad_k),
        cmocka_unit_test(albert_maps),
        cmocka_unit_test(explicit_maps),
        cmocka_unit_test(explicit_map_empty_entry),
        cmocka_unit_test(untie),
        cmocka_unit_test(lowrank),
        cmocka_unit_test(lowrank_limit_names_ffn),
        cmocka_unit_test(hyper),
        cmocka_unit_test(kv_share),
        cmocka_unit_test(yoco), cmocka_unit_test(lckv),
        cmocka_unit_test(progressive),
        cmocka_unit_test(two_bases_and_unknown),
        cmocka_unit_test(unknown_lists_modifiers),
        cmocka_unit_test(unknown_after_base),
        cmocka_unit_test(overrides),
        cmocka_unit_test(describe),
        cmocka_unit_test(small_error_buffers),
        cmocka_unit_test(malformed),
        cmocka_unit_test(check_agrees_with_resolve),
        cmocka_unit_test(check_keys),
        cmocka_unit_test(resolution_travels),
        cmocka_unit_test(loop_maps),
        cmocka_unit_test(mor),
        cmocka_unit_test(v_share),
        cmocka_unit_test(attn_reuse),
        cmocka_unit_test(basis),
        cmocka_unit_test(syntax_lists_every_term),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
