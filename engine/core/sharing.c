/*
** sharing.c: the sharing module (sharing.h): the language of sharing
** specifications as two tables, its one parser, and the resolution of a
** configuration's specification into per-depth block maps.
**
** A base map is a function from depth i (0-indexed) of N to a block; its row
** says what follows its name (nothing, K, or map:'s list) and which sublayers
** it maps. The definitions are those of Takase & Kiyono (2021, "Lessons on
** Parameter Sharing across Layers in Transformers", arXiv 2104.06022) and
** their code, and of ALBERT (Lan et al. 2020, arXiv 1909.11942):
**   sequence:K   k = ceil(N/K) layers per block, block floor(i/k)       (Takase & Kiyono)
**   cycle:K      block i mod K                                          (Takase & Kiyono)
**   cycle_rev:K  i mod K for i < N-K, then K-1 down to 0                (Takase & Kiyono)
**   all / attn / ffn: one block everywhere, for both or one sublayer   (ALBERT)
**   loop:P,K,C   P prelude blocks, a core of K looped (N-P-C)/K times, C coda blocks
**                (Yang et al. 2023, arXiv 2311.12424; Geiping et al. 2025, arXiv 2502.05171)
** A map must use every block it numbers: a K that leaves one unused, or does
** not fit the depth, is refused with the K values that would fit.
**
** A modifier's row says the range of its value, where the value goes in
** sb_sharing, and what it changes (CH_*), which decides where it may appear
** and what it excludes; a modifier that changes the maps brings the function
** that does it. What a modifier does to the model itself is the model's.
**
** Parsing (parse) needs no model; resolving checks what depends on one: a
** value against the depth or widths, a map's length.
*/
#include "sharing.h"
#include "suggest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>

/* ------------------------------------------------------------ base maps */

enum { ARG_NONE, ARG_K, ARG_LIST, ARG_LOOP }; /* what follows a base map's name */
enum { SUB_ATTN = 1, SUB_FFN = 2, SUB_BOTH = 3 };
static const char *const arg_names[] = { "", "K", "I,J,...", "P,K,C" };

typedef struct {
    const char *name;
    int arg;                                  /* ARG_*: nothing, K from 1 to the depth, one block index per depth, or loop's P,K,C */
    int sublayers;                            /* SUB_*: what it maps; the other sublayer keeps a block per depth */
    int (*map)(int i, int n, const int *arg); /* the block of depth i of n; arg[0] is K, or arg is map:'s list */
    const char *what;                         /* one line, for help and messages */
} base_def;

static int map_none(int i, int n, const int *a) { (void)n, (void)a; return i; }
static int map_all(int i, int n, const int *a) { (void)i, (void)n, (void)a; return 0; }
static int map_sequence(int i, int n, const int *a) { return i / ((n + a[0] - 1) / a[0]); }
static int map_cycle(int i, int n, const int *a) { (void)n; return i % a[0]; }
static int map_cycle_rev(int i, int n, const int *a) { return i < n - a[0] ? i % a[0] : n - 1 - i; }
static int map_list(int i, int n, const int *a) { (void)n; return a[i]; }
/* loop:P,K,C: P prelude blocks, a core of K blocks looped r = (N-P-C)/K times, C coda blocks */
static int map_loop(int i, int n, const int *a)
{
    return i < a[0] ? i : i >= n - a[2] ? a[0] + a[1] + i - (n - a[2]) : a[0] + (i - a[0]) % a[1];
}

static const base_def bases[] = {
    { "none", ARG_NONE, SUB_BOTH, map_none, "every depth its own blocks" },
    { "all", ARG_NONE, SUB_BOTH, map_all, "one block at every depth; ALBERT" },
    { "attn", ARG_NONE, SUB_ATTN, map_all, "one attention block at every depth, feed-forward blocks per depth; ALBERT" },
    { "ffn", ARG_NONE, SUB_FFN, map_all, "one feed-forward block at every depth, attention blocks per depth; ALBERT" },
    { "sequence", ARG_K, SUB_BOTH, map_sequence, "K blocks, each for ceil(N/K) consecutive depths; Takase & Kiyono" },
    { "cycle", ARG_K, SUB_BOTH, map_cycle, "block i mod K at depth i; Takase & Kiyono" },
    { "cycle_rev", ARG_K, SUB_BOTH, map_cycle_rev, "i mod K, then the last K depths K-1 down to 0; Takase & Kiyono" },
    { "map", ARG_LIST, SUB_BOTH, map_list, "block I at depth 0, J at depth 1, ...: blocks numbered from 0 without gaps" },
    { "loop", ARG_LOOP, SUB_BOTH, map_loop,
      "P prelude depths, a core of K depths looped (N-P-C)/K times with the prelude's output added at each loop's start, "
      "C coda depths; Yang et al. 2023, Geiping et al. 2025" },
};
#define NBASES ((int)(sizeof bases / sizeof bases[0]))

/* ------------------------------------------------------------ modifiers */

/* What a modifier changes, which decides where it may appear. */
enum {
    CH_MAPS = 1,    /* which block each depth uses: applied to the maps, so a per-sublayer map may carry it */
    CH_KV = 2,      /* where keys and values are computed: the whole model's, in 'sharing' only */
    CH_WEIGHTS = 4, /* each depth's weights built at run time from its block: no stored matrix per block
                    ** to factorise, quantise or average (factor, int8 and progressive refuse it); one
                    ** such modifier at a time; without a base map it shares 'all' */
};

typedef struct {
    const char *name, *arg;     /* "lowrank", "R"; arg NULL: the modifier takes no value (mor), on as 1 */
    int lo, hi;                 /* the values some model takes */
    int (*most)(const sb_config *c, char *why, size_t len);   /* the largest c takes, and why; NULL: hi */
    size_t off;                 /* its value in sb_sharing */
    int off_value;              /* the value that changes nothing, also when absent */
    int changes;                /* CH_* */
    void (*apply)(int *map, int n, int v);   /* CH_MAPS: its change to one map (renumbered after) */
    const char *what;           /* one line, for help and messages */
    const char *shows;          /* sb_sharing_describe's line when on (%d: its value), or NULL */
} mod_def;

static int most_depth(const sb_config *c, char *why, size_t len)
{
    snprintf(why, len, "the depth");
    return c->layers;
}

static int most_rank(const sb_config *c, char *why, size_t len)
{
    int lim = c->width < c->ffn ? c->width : c->ffn;
    snprintf(why, len, "below the %s %d", c->width <= c->ffn ? "width" : "feed-forward width ffn", lim);
    return lim - 1;
}

/* untie:K: the last k depths get blocks of their own. */
static void untie_last(int *map, int n, int k)
{
    int next = 0;
    for (int i = 0; i < n; i++) if (map[i] + 1 > next) next = map[i] + 1;
    for (int i = n - k; i < n; i++) map[i] = next++;
}

static const mod_def mods[] = {
    { "untie", "K", 0, SB_MAX_LAYERS, most_depth, offsetof(sb_sharing, untie), 0, CH_MAPS, untie_last,
      "the last K depths get blocks of their own (fine-tuning: weights and moments copied)", NULL },
    { "lowrank", "R", 1, INT_MAX, most_rank, offsetof(sb_sharing, lowrank), 0, CH_WEIGHTS, NULL,
      "per-depth rank-R corrections W_l = W + B_l A_l of every block matrix; Relaxed Recursive Transformers",
      "plus per-depth rank-%d corrections W_l = W + B_l A_l\n" },
    { "hyper", "D", 1, 4096, NULL, offsetof(sb_sharing, hyper), 0, CH_WEIGHTS, NULL,
      "per-depth row and column scales from a hypernetwork of layer embeddings of width D",
      "plus per-depth row/column modulation from a hypernetwork of layer embeddings (D=%d)\n" },
    { "basis", "R", 1, INT_MAX, most_rank, offsetof(sb_sharing, basis), 0, CH_WEIGHTS, NULL,
      "W_l = U_l V: each depth's coefficients U_l over its block's shared basis V of rank R, trained from scratch; Basis Sharing",
      "as W_l = U_l V: per-depth coefficients U_l (out x %d) over each block's shared basis V\n" },
    { "kv_share", "S", 1, SB_MAX_LAYERS, most_depth, offsetof(sb_sharing, kv_share), 1, CH_KV, NULL,
      "keys and values computed every S depths, reused by the S-1 after; Cross-Layer Attention",
      "keys/values computed every %d layers (^ = reused)\n" },
    { "v_share", "S", 1, SB_MAX_LAYERS, most_depth, offsetof(sb_sharing, v_share), 1, CH_KV, NULL,
      "values computed every S depths, reused by the S-1 after, keys at every depth; v_share:N is SVFormer (the first layer's values)",
      "values computed every %d layers, keys at every layer (v: ^ = reused)\n" },
    { "attn_reuse", "S", 1, SB_MAX_LAYERS, most_depth, offsetof(sb_sharing, attn_reuse), 1, CH_KV, NULL,
      "attention maps (softmax probabilities) computed every S depths, reused per head by the S-1 after, which compute only values "
      "and outputs; Xiao et al. 2019",
      "attention maps computed every %d layers, reused per head (map: ^ = reused)\n" },
    { "yoco", "W", 0, INT_MAX, NULL, offsetof(sb_sharing, yoco), -1, CH_KV, NULL,
      "lower N/2 depths over a sliding window of W positions (0: all before), upper ones on depth N/2's keys and values; "
      "You Only Cache Once (YOCO)", NULL },
    { "mor", NULL, 1, 1, NULL, offsetof(sb_sharing, mor), 0, CH_KV, NULL,
      "loop:P,K,C's r loops as recursions of per-token depth: a router on the core's input picks each token's number of "
      "recursions, the others sit out (token-choice Mixture-of-Recursions, Bae et al. 2025); replaces the input injection",
      "mor: token-choice routing, each token 1 to r recursions of the core (recursion-wise key/value caching)\n" },
    { "mor_expert", NULL, 1, 1, NULL, offsetof(sb_sharing, mor_expert), 0, CH_KV, NULL,
      "mor with expert-choice routing: at recursion j the top (r-j)/r of each sequence's tokens still running continue, "
      "gated by 0.1 sigmoid; evaluation and decoding keep a token while its router's sigmoid >= 0.5 (Bae et al. 2025)",
      "mor: expert-choice routing, recursion j keeping the top (r-j)/r of each sequence in training, sigmoid >= 0.5 in "
      "evaluation and decoding (recursion-wise key/value caching)\n" },
    { "mor_kv_share", NULL, 1, 1, NULL, offsetof(sb_sharing, mor_kv_share), 0, CH_KV, NULL,
      "with mor or mor_expert: MoR's recursive key/value sharing, every recursion after the first attending to the first "
      "recursion's keys and values of every earlier token, computing none of its own (Bae et al. 2025)",
      "mor: recursive key/value sharing in place of recursion-wise caching, recursions 2 to r attending to the first's keys "
      "and values of every token\n" },
    { "act", NULL, 1, 1, NULL, offsetof(sb_sharing, act), 0, CH_KV, NULL,
      "loop:P,K,C's r loops as recurrence steps with the Universal Transformer's adaptive computation time: each token halts "
      "when its halting probabilities pass 0.99, the coda reading the steps' states weighted by them (Dehghani et al. 2019); "
      "replaces the input injection",
      "act: adaptive computation time, each token halting after 1 to r steps of the core (Universal Transformer)\n" },
    { "lckv", "W", 0, INT_MAX, NULL, offsetof(sb_sharing, lckv), -1, CH_KV, NULL,
      "W warmup depths (W - W/2 at the bottom, W/2 at the top) with their own keys and values, the others' queries on the top "
      "condensed depth's keys and values, trained by 7 + 2 iterations; Layer-Condensed KV Cache (LCKV)", NULL },
};
#define NMODS ((int)(sizeof mods / sizeof mods[0]))

static int *mod_value(sb_sharing *s, int k) { return (int *)((char *)s + mods[k].off); }
static int mod_get(const sb_sharing *s, int k) { return *(const int *)((const char *)s + mods[k].off); }

/* ------------------------------------------------------------- messages */

/* Every message opens with the key and its whole value, then, when the value
** has several terms, the term at fault. */
static int fail(char *err, size_t errlen, const char *key, const char *whole, const char *term, const char *fmt, ...)
{
    size_t w = (size_t)snprintf(err, errlen, "%s='%s': ", key, whole);
    if (term && strcmp(term, whole) && w < errlen) w += (size_t)snprintf(err + w, errlen - w, "%s: ", term);
    if (w < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + w, errlen - w, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* "base maps none, all, ...; modifiers untie:K, ...; alone progressive[:TARGET]", from the tables. */
static void known_terms(char *out, size_t len)
{
    size_t w = (size_t)snprintf(out, len, "base maps");
    for (int b = 0; b < NBASES && w < len; b++)
        w += (size_t)snprintf(out + w, len - w, "%s %s%s%s", b ? "," : "", bases[b].name, bases[b].arg ? ":" : "", arg_names[bases[b].arg]);
    for (int k = 0; k < NMODS && w < len; k++)
        w += (size_t)snprintf(out + w, len - w, "%s %s%s%s", k ? "," : "; modifiers", mods[k].name, mods[k].arg ? ":" : "",
                              mods[k].arg ? mods[k].arg : "");
    if (w < len) snprintf(out + w, len - w, "; alone progressive[:TARGET]");
}

/* The modifiers whose change bits include (or, with want 0, exclude) `changes`, as "untie:K" or "lowrank, hyper". */
static void mods_with(int changes, int want, int with_arg, char *out, size_t len)
{
    size_t w = 0;
    out[0] = 0;
    for (int k = 0; k < NMODS && w < len; k++)
        if (!!(mods[k].changes & changes) == want)
            w += (size_t)snprintf(out + w, len - w, "%s%s%s%s", w ? ", " : "", mods[k].name, with_arg && mods[k].arg ? ":" : "",
                                  with_arg && mods[k].arg ? mods[k].arg : "");
}

/* "a whole number from 1 to 6 (the depth)" */
static void range_text(char *out, size_t len, int lo, int hi, const char *why)
{
    if (hi == INT_MAX) snprintf(out, len, "a whole number, at least %d", lo);
    else snprintf(out, len, "a whole number from %d to %d%s%s%s", lo, hi, why ? " (" : "", why ? why : "", why ? ")" : "");
}

/* ---------------------------------------------------------------- parse */

/* A specification parsed, before any model: its base map and argument, and
** each modifier's value. */
typedef struct {
    const base_def *base;           /* NULL when none is given */
    char base_term[SB_SPEC_LEN];    /* as written */
    int arg[SB_MAX_LAYERS], narg;   /* K, or map:'s indices */
    int given[NMODS], value[NMODS];
    int progressive;                /* progressive[:TARGET]; the terms above are TARGET's */
    char target[SB_SPEC_LEN];
} parsed;

/* A whole decimal number of digits only (no sign, space or anything else); -1 when s[0..len) is not one. */
static long digits(const char *s, size_t len)
{
    long v = 0;
    if (!len || len > 10) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v > INT_MAX ? -1 : v;
}

/* map:I,J,...: block indices, numbered from 0 without gaps. */
static int parse_list(const char *key, const char *whole, const char *term, const char *arg, parsed *p, char *err,
                      size_t errlen)
{
    int used[SB_MAX_LAYERS] = {0}, top = -1;
    p->narg = 0;
    for (const char *tok = arg;;) {
        const char *comma = strchr(tok, ',');
        size_t len = comma ? (size_t)(comma - tok) : strlen(tok);
        long b = digits(tok, len);
        if (b < 0 || b >= SB_MAX_LAYERS)
            return fail(err, errlen, key, whole, term, "block index '%.*s' is not a whole number from 0 to %d", (int)len, tok, SB_MAX_LAYERS - 1);
        if (p->narg == SB_MAX_LAYERS)
            return fail(err, errlen, key, whole, term, "more than %d block indices, and no model is deeper", SB_MAX_LAYERS);
        p->arg[p->narg++] = (int)b;
        used[b] = 1;
        if (b > top) top = (int)b;
        if (!comma) break;
        tok = comma + 1;
    }
    for (int b = 0; b <= top; b++)
        if (!used[b]) return fail(err, errlen, key, whole, term, "block %d is never used; number the blocks 0 to %d without gaps", b, top);
    return 0;
}

/* loop:P,K,C: three whole numbers, the core K at least 1; the whole model's, never a sublayer's. */
static int parse_loop(const char *key, const char *whole, const char *term, const char *arg, int sub, parsed *p, char *err,
                      size_t errlen)
{
    static const char *const what[3] = { "P (prelude depths)", "K (core depths)", "C (coda depths)" };
    if (sub) return fail(err, errlen, key, whole, term, "loop shapes the whole model (its input injection too); put it in 'sharing'");
    const char *tok = arg;
    for (int j = 0; j < 3; j++) {
        const char *comma = strchr(tok, ',');
        size_t len = comma ? (size_t)(comma - tok) : strlen(tok);
        long v = digits(tok, len);
        if (v < (j == 1) || v > SB_MAX_LAYERS)
            return fail(err, errlen, key, whole, term, "%s='%.*s' must be a whole number from %d to %d; give loop:P,K,C", what[j], (int)len,
                        tok, j == 1, SB_MAX_LAYERS);
        if ((j < 2) != !!comma) return fail(err, errlen, key, whole, term, "loop takes three numbers, loop:P,K,C (for example loop:1,2,1)");
        p->arg[j] = (int)v;
        tok = comma ? comma + 1 : tok;
    }
    p->narg = 3;
    return 0;
}

/* " (did you mean 'cycle:2'?)" for a mistyped term such as "cylce:2" (its
** name, nl characters, against every term's), else "". Returns out. */
static const char *term_hint(const char *t, size_t nl, char *out, size_t len)
{
    const char *names[NBASES + NMODS + 2], *s;
    char name[64];
    int n = 0;
    for (int b = 0; b < NBASES; b++) names[n++] = bases[b].name;
    for (int k = 0; k < NMODS; k++) names[n++] = mods[k].name;
    names[n++] = "progressive";
    names[n] = NULL;
    snprintf(name, sizeof name, "%.*s", (int)nl, t);
    if ((s = sb_suggest(name, names))) snprintf(out, len, " (did you mean '%s%s'?)", s, t + nl);
    else if (len) out[0] = 0;
    return out;
}

/* One term t of whole, a base map or a modifier, into p. sub: a per-sublayer map. */
static int parse_term(const char *key, const char *whole, const char *t, int sub, parsed *p, char *err, size_t errlen)
{
    const char *colon = strchr(t, ':'), *arg = colon ? colon + 1 : NULL;
    size_t nl = colon ? (size_t)(colon - t) : strlen(t);
    char known[320], list[128];
    if (nl == 11 && !strncmp(t, "progressive", 11))
        return fail(err, errlen, key, whole, t, "progressive must stand alone, as progressive or progressive:TARGET");
    for (int b = 0; b < NBASES; b++) {
        const base_def *d = &bases[b];
        if (strlen(d->name) != nl || strncmp(t, d->name, nl)) continue;
        if ((d->arg == ARG_NONE) != !arg) known_terms(known, sizeof known);
        if (d->arg == ARG_NONE && arg) return fail(err, errlen, key, whole, t, "%s takes no argument; known: %s", d->name, known);
        if (d->arg != ARG_NONE && !arg)
            return fail(err, errlen, key, whole, t, "%s needs its argument, as %s:%s; known: %s", d->name, d->name, arg_names[d->arg], known);
        if (sub && d->sublayers != SUB_BOTH)
            return fail(err, errlen, key, whole, t, "give a map for this sublayer (for example all or cycle:2), not the name of a sublayer");
        if (p->base) return fail(err, errlen, key, whole, NULL, "two base maps ('%s' and '%s'); give one", p->base_term, t);
        if (d->arg == ARG_K) {
            long k = digits(arg, strlen(arg));
            if (k < 1 || k > SB_MAX_LAYERS)
                return fail(err, errlen, key, whole, t, "K='%s' must be a whole number from 1 to the depth (at most %d)", arg, SB_MAX_LAYERS);
            p->arg[0] = (int)k;
            p->narg = 1;
        } else if (d->arg == ARG_LIST && parse_list(key, whole, t, arg, p, err, errlen)) {
            return -1;
        } else if (d->arg == ARG_LOOP && parse_loop(key, whole, t, arg, sub, p, err, errlen)) {
            return -1;
        }
        p->base = d;
        snprintf(p->base_term, sizeof p->base_term, "%s", t);
        return 0;
    }
    for (int k = 0; k < NMODS; k++) {
        const mod_def *d = &mods[k];
        if (strlen(d->name) != nl || strncmp(t, d->name, nl)) continue;
        if (!d->arg && arg) return fail(err, errlen, key, whole, t, "%s takes no value; give it as %s (%s)", d->name, d->name, d->what);
        if (d->arg && !arg) return fail(err, errlen, key, whole, t, "%s needs its value, as %s:%s (%s)", d->name, d->name, d->arg, d->what);
        if (sub && !(d->changes & CH_MAPS)) {
            char other[128];
            mods_with(CH_MAPS, 1, 1, list, sizeof list);
            mods_with(CH_MAPS, 0, 0, other, sizeof other);
            return fail(err, errlen, key, whole, NULL, "a per-sublayer map takes a base map and %s only; put %s and progressive in 'sharing'",
                        list, other);
        }
        if (p->given[k]) return fail(err, errlen, key, whole, NULL, "%s is given twice; give each modifier once", d->name);
        long v = arg ? digits(arg, strlen(arg)) : 1;
        if (v < d->lo || v > d->hi) {
            range_text(list, sizeof list, d->lo, d->hi, NULL);
            return fail(err, errlen, key, whole, t, "%s='%s' must be %s", d->arg, arg, list);
        }
        p->given[k] = 1;
        p->value[k] = (int)v;
        return 0;
    }
    known_terms(known, sizeof known);
    return fail(err, errlen, key, whole, NULL, "unknown term '%s'%s; known: %s", t, term_hint(t, nl, list, sizeof list), known);
}

/* Terms joined by single '+' in text (whole, or progressive's target in whole). */
static int parse_terms(const char *key, const char *whole, const char *text, int sub, parsed *p, char *err, size_t errlen)
{
    char t[SB_SPEC_LEN];
    for (const char *s = text;;) {
        const char *plus = strchr(s, '+');
        size_t len = plus ? (size_t)(plus - s) : strlen(s);
        if (!len) return fail(err, errlen, key, whole, NULL, "an empty term; join terms by single '+', with none at either end");
        snprintf(t, sizeof t, "%.*s", (int)len, s);
        if (parse_term(key, whole, t, sub, p, err, errlen)) return -1;
        if (!plus) break;
        s = plus + 1;
    }
    for (int k = 0, first = -1; k < NMODS; k++) {
        if (!p->given[k] || !(mods[k].changes & CH_WEIGHTS)) continue;
        if (first >= 0)
            return fail(err, errlen, key, whole, NULL, "%s:%d and %s:%d both build each depth's weights from its block; choose one",
                        mods[first].name, p->value[first], mods[k].name, p->value[k]);
        first = k;
    }
    return 0;
}

static int is_progressive(const char *s) { return !strncmp(s, "progressive", 11) && (!s[11] || s[11] == ':'); }

/* Parse key's value spec into p (sub: a per-sublayer map, sharing_attn or
** sharing_ffn). The empty specification has no terms: no sharing, or no
** override. */
static int parse(const char *key, const char *spec, int sub, parsed *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (strlen(spec) >= SB_SPEC_LEN) {
        snprintf(err, errlen, "%s='%.40s...': longer than %d characters", key, spec, SB_SPEC_LEN - 1);
        return -1;
    }
    if (!*spec) return 0;
    if (!is_progressive(spec)) return parse_terms(key, spec, spec, sub, p, err, errlen);
    const char *target = spec[11] ? spec + 12 : "all";
    if (sub) return fail(err, errlen, key, spec, NULL, "a per-sublayer map cannot be progressive; put progressive in 'sharing'");
    if (!*target)
        return fail(err, errlen, key, spec, NULL, "progressive: needs a target after the colon (for example progressive:cycle:2), "
                                                  "or none at all for 'all'");
    if (is_progressive(target)) return fail(err, errlen, key, spec, NULL, "the target of progressive cannot itself be progressive");
    if (parse_terms(key, spec, target, 0, p, err, errlen)) return -1;
    if (p->base && p->base->arg == ARG_LOOP)
        return fail(err, errlen, key, spec, NULL, "progressive merges an untied model's depths; a looped model (%s) starts tied", p->base_term);
    for (int k = 0; k < NMODS; k++)
        if (p->given[k] && (mods[k].changes & CH_WEIGHTS))
            return fail(err, errlen, key, spec, NULL, "progressive merges plain blocks by averaging them; its target cannot use %s:%d",
                        mods[k].name, p->value[k]);
    p->progressive = 1;
    snprintf(p->target, sizeof p->target, "%s", target);
    return 0;
}

/* -------------------------------------------------------------- resolve */

static const base_def *base_named(const char *name)
{
    for (int b = 0; b < NBASES; b++)
        if (!strcmp(bases[b].name, name)) return &bases[b];
    return NULL;
}

/* Number the blocks of map[n] in order of first use; returns how many. */
static int renumber(int *map, int n)
{
    int remap[2 * SB_MAX_LAYERS], count = 0;
    for (int i = 0; i < 2 * SB_MAX_LAYERS; i++) remap[i] = -1;
    for (int i = 0; i < n; i++) {
        if (remap[map[i]] < 0) remap[map[i]] = count++;
        map[i] = remap[map[i]];
    }
    return count;
}

/* Fill map[n] from base d; the blocks it uses, or -1 when one falls outside
** [0, SB_MAX_LAYERS) (a map function's fault). *top: the largest. */
static int fill(const base_def *d, const int *arg, int n, int *map, int *top)
{
    int used[SB_MAX_LAYERS] = {0}, count = 0;
    *top = -1;
    for (int i = 0; i < n; i++) {
        int v = d->map(i, n, arg);
        if (v < 0 || v >= SB_MAX_LAYERS) return -1;
        map[i] = v;
        count += !used[v];
        used[v] = 1;
        if (v > *top) *top = v;
    }
    return count;
}

/* Base map d with its argument for depth n into map[n], *nb its blocks; -1
** with a message when the argument does not fit the depth or leaves a block
** unused (then with the K values that fit). */
static int build_base(const char *key, const char *whole, const char *term, const base_def *d, const int *arg, int narg, int n,
                      int *map, int *nb, char *err, size_t errlen)
{
    int top;
    if (d->arg == ARG_K && arg[0] > n)
        return fail(err, errlen, key, whole, term, "K=%d must be a whole number from 1 to the depth %d", arg[0], n);
    if (d->arg == ARG_LOOP && (n - arg[0] - arg[2] < arg[1] || (n - arg[0] - arg[2]) % arg[1])) {
        char fits[128];
        size_t w = 0;
        for (int r = 1, l; (l = arg[0] + arg[1] * r + arg[2]) <= SB_MAX_LAYERS && r <= 4; r++)
            w += (size_t)snprintf(fits + w, sizeof fits - w, "%s%d", w ? ", " : "", l);
        return fail(err, errlen, key, whole, term, "with %d layers the core of %d does not loop a whole number of times: layers must be "
                    "P + K r + C for r >= 1 loops (%s, ...)", n, arg[1], w ? fits : "none fits");
    }
    if (d->arg == ARG_LIST && narg != n)
        return fail(err, errlen, key, whole, term, "the map lists %d block indices but the model has %d layers; give exactly one index per layer",
                    narg, n);
    int used = fill(d, arg, n, map, &top), blocks = d->arg == ARG_K ? arg[0] : d->arg == ARG_LOOP ? arg[0] + arg[1] + arg[2] : top + 1;
    if (used < 0 || top >= blocks)
        return fail(err, errlen, key, whole, term, "the map function of %s gives a block outside 0 to %d", d->name, blocks - 1);
    if (used < blocks && d->arg == ARG_K) {
        char fits[256];
        size_t w = 0;
        fits[0] = 0;
        for (int k = 1, tmp[SB_MAX_LAYERS], t; k <= n && w < sizeof fits; k++)
            if (fill(d, &k, n, tmp, &t) == k && t < k) w += (size_t)snprintf(fits + w, sizeof fits - w, "%s%d", w ? ", " : "", k);
        return fail(err, errlen, key, whole, term, "with %d layers it uses only %d of its %d blocks (%s:K: %s); K values that fit: %s", n,
                    used, blocks, d->name, d->what, fits);
    }
    int seen[SB_MAX_LAYERS] = {0};
    for (int i = 0; i < n; i++) seen[map[i]] = 1;
    for (int b = 0; b < blocks; b++)
        if (!seen[b]) return fail(err, errlen, key, whole, term, "block %d is never used; number the blocks 0 to %d without gaps", b, top);
    *nb = blocks;
    return 0;
}

/* Each modifier's value within what c takes. */
static int check_values(const char *key, const char *whole, const parsed *p, const sb_config *c, char *err, size_t errlen)
{
    for (int k = 0; k < NMODS; k++) {
        char why[64], range[160];
        int most = p->given[k] && mods[k].most ? mods[k].most(c, why, sizeof why) : INT_MAX;
        if (!p->given[k] || p->value[k] <= most) continue;
        range_text(range, sizeof range, mods[k].lo, most, why);
        return fail(err, errlen, key, whole, NULL, "%s:%d: %s=%d must be %s", mods[k].name, p->value[k], mods[k].arg, p->value[k], range);
    }
    return 0;
}

/* The map of base d (p's, or one standing in for it) for c's depth with p's
** modifiers that change maps applied: map[N], *nb its blocks. */
static int build_map(const char *key, const char *whole, const parsed *p, const base_def *d, const sb_config *c, int *map, int *nb,
                     char *err, size_t errlen)
{
    int n = c->layers, changed = 0;
    if (build_base(key, whole, p->base == d ? p->base_term : d->name, d, p->arg, p->narg, n, map, nb, err, errlen)) return -1;
    for (int k = 0; k < NMODS; k++)
        if (p->given[k] && mods[k].apply && p->value[k] != mods[k].off_value) {
            mods[k].apply(map, n, p->value[k]);
            changed = 1;
        }
    if (changed) *nb = renumber(map, n);
    return 0;
}

/* Keys and values: kv_src, the depth each depth takes them from, is one map
** for every mode moving them: with kv_share:S depth i - i % S, the next S-1
** reusing a producer's (Cross-Layer Attention); with yoco the lower half its
** own and the upper half depth N/2's, computed once from the self-decoder's
** output (Sun et al. 2024, their CrossDecoder's k_proj and v_proj); with
** lckv the condensed depths below the top one its (Wu & Tu 2024). The
** producers (kv_src[i] == i) have key/value blocks following their attention
** blocks, numbered over the producers only. */
static void kv_maps(sb_sharing *s)
{
    int prod[SB_MAX_LAYERS], tmp[SB_MAX_LAYERS], np = 0, half = s->layers / 2;
    for (int i = 0; i < s->layers; i++) {
        int lo, top;
        if (sb_sharing_lckv(s, &lo, &top)) s->kv_src[i] = i >= lo && i < top ? top : i;
        else s->kv_src[i] = s->yoco >= 0 ? (i < half ? i : half) : i - i % s->kv_share;
        if (s->mor_kv_share && i >= s->loop_prelude + s->loop_core && i < s->loop_prelude + s->loop_core * s->loops)
            s->kv_src[i] = s->loop_prelude + (i - s->loop_prelude) % s->loop_core;   /* recursion 0's depth of the same place */
        if (s->kv_src[i] == i) { prod[np] = i; tmp[np++] = s->attn[i]; }
        else s->kv[i] = -1;
    }
    s->n_kv = renumber(tmp, np);
    for (int j = 0; j < np; j++) s->kv[prod[j]] = tmp[j];
    /* values: from the same depth as the keys, or with v_share:S every S depths (Zhou et al.'s SVFormer at S = N) */
    for (int i = 0; i < s->layers; i++) s->v_src[i] = s->v_share > 1 ? i - i % s->v_share : s->kv_src[i];
    /* attention maps: every S depths (Xiao et al. 2019, "Sharing Attention Weights for Fast Transformer", IJCAI) */
    for (int i = 0; i < s->layers; i++) s->a_src[i] = i - i % s->attn_reuse;
}

/* A per-sublayer map (sharing_attn, sharing_ffn) in place of the one in map. */
static int override(const char *key, const char *value, const sb_config *c, int *map, int *nb, char *err, size_t errlen)
{
    parsed o;
    if (parse(key, value, 1, &o, err, errlen) || check_values(key, value, &o, c, err, errlen)) return -1;
    return build_map(key, value, &o, o.base ? o.base : base_named("none"), c, map, nb, err, errlen);
}

int sb_sharing_resolve(const sb_config *c, sb_sharing *s, char *err, size_t errlen)
{
    parsed p;
    int n = c->layers, map[SB_MAX_LAYERS], nb, weights = 0;
    if (sb_config_check(c, err, errlen)) return -1;
    if (parse("sharing", c->sharing, 0, &p, err, errlen) || check_values("sharing", c->sharing, &p, c, err, errlen)) return -1;
    memset(s, 0, sizeof *s);
    s->layers = n;
    for (int k = 0; k < NMODS; k++) {
        /* progressive starts with every depth's own blocks: its target's map changes wait for the merge */
        int on = p.given[k] && !(p.progressive && (mods[k].changes & CH_MAPS));
        *mod_value(s, k) = on ? p.value[k] : mods[k].off_value;
        weights |= p.given[k] && (mods[k].changes & CH_WEIGHTS);
    }
    const base_def *d = p.base ? p.base : base_named(weights ? "all" : "none");
    if (build_map("sharing", c->sharing, &p, d, c, map, &nb, err, errlen)) return -1;   /* progressive: its target fits */
    for (int j = 0; j < 2; j++) {
        int *to = j ? s->ffn : s->attn, *count = j ? &s->n_ffn : &s->n_attn;
        if (p.progressive) {
            for (int i = 0; i < n; i++) to[i] = i;
            *count = n;
        } else if (d->sublayers & (j ? SUB_FFN : SUB_ATTN)) {
            memcpy(to, map, sizeof map);
            *count = nb;
        } else if (build_map("sharing", c->sharing, &p, base_named("none"), c, to, count, err, errlen)) {
            return -1;   /* a sublayer the base map leaves keeps a block per depth, changed by the same modifiers */
        }
    }
    s->progressive = p.progressive;
    snprintf(s->target, sizeof s->target, "%s", p.target);
    if (d->arg == ARG_LOOP) {
        s->loop_prelude = p.arg[0];
        s->loop_core = p.arg[1];
        s->loop_coda = p.arg[2];
        s->loops = (n - p.arg[0] - p.arg[2]) / p.arg[1];
    }
    if (p.progressive && (c->sharing_attn[0] || c->sharing_ffn[0]))
        return fail(err, errlen, "sharing", c->sharing, NULL, "progressive cannot be combined with %s='%s'",
                    c->sharing_attn[0] ? "sharing_attn" : "sharing_ffn", c->sharing_attn[0] ? c->sharing_attn : c->sharing_ffn);
    if (c->sharing_attn[0] && override("sharing_attn", c->sharing_attn, c, s->attn, &s->n_attn, err, errlen)) return -1;
    if (c->sharing_ffn[0] && override("sharing_ffn", c->sharing_ffn, c, s->ffn, &s->n_ffn, err, errlen)) return -1;
    if (s->kv_share > 1 && s->v_share > 1)
        return fail(err, errlen, "sharing", c->sharing, NULL, "kv_share:%d and v_share:%d: give one; kv_share reuses keys and values "
                    "together, v_share values alone", s->kv_share, s->v_share);
    if (s->yoco >= 0) {
        /* YOCO is one way of placing keys and values: it replaces the other modes that move them, and a looped model's depth
        ** changes under test_loops, moving the half; its window masks positions, which an encoder's attention does not order */
        const char *other = s->kv_share > 1 ? "kv_share" : s->v_share > 1 ? "v_share"
                            : s->attn_reuse > 1 ? "attn_reuse" : s->loops ? "loop" : NULL;
        if (other)
            return fail(err, errlen, "sharing", c->sharing, NULL, "yoco:%d with %s: give one; yoco places every depth's keys and "
                        "values itself (the lower half its own, the upper half one global cache)", s->yoco, other);
        if (n < 2)
            return fail(err, errlen, "sharing", c->sharing, NULL, "yoco:%d with layers=%d: needs at least 2 layers, a self-decoder "
                        "and a cross-decoder", s->yoco, n);
        if (s->yoco > 0 && !c->causal)
            return fail(err, errlen, "sharing", c->sharing, NULL, "yoco:%d with causal=0: a sliding window needs a causal model; "
                        "use yoco:0 (full attention in the self-decoder)", s->yoco);
    }
    char term[64];
    /* attn_reuse keeps every depth's values and drops the reusing depths' queries and keys: it is refused with the modes that
    ** move keys or values between depths, or build each depth's weights (their per-depth queries and keys would be unused) */
    if (s->attn_reuse > 1 && (s->kv_share > 1 || s->v_share > 1))
        return fail(err, errlen, "sharing", c->sharing, NULL, "attn_reuse:%d with %s:%d: give one; attn_reuse reuses a depth's attention "
                    "map, the others its keys or values", s->attn_reuse, s->kv_share > 1 ? "kv_share" : "v_share",
                    s->kv_share > 1 ? s->kv_share : s->v_share);
    if (s->attn_reuse > 1 && (sb_sharing_weights_term(s, term, sizeof term) || s->loops || s->progressive))
        return fail(err, errlen, "sharing", c->sharing, NULL, "attn_reuse:%d with %s: not supported; attn_reuse combines with the base "
                    "maps none, all, attn, ffn, sequence, cycle, cycle_rev and map", s->attn_reuse,
                    s->loops ? "loop" : s->progressive ? "progressive" : term);
    /* mor and act: the loop's r loops are the recursions, and the coda's first depth reads their mixture (mor.c, act.c) */
    if (s->mor_expert && s->mor)
        return fail(err, errlen, "sharing", c->sharing, NULL, "mor and mor_expert: give one; mor_expert is mor with expert-choice routing");
    s->mor |= s->mor_expert;
    if (s->mor_kv_share && !s->mor)
        return fail(err, errlen, "sharing", c->sharing, NULL, "mor_kv_share without mor: it shares keys and values between "
                    "Mixture-of-Recursions' recursions; add +mor or +mor_expert");
    const char *how = s->mor ? "mor routes each token through 1 to r loops" : "act halts each token after 1 to r loops";
    if (s->mor && s->act)
        return fail(err, errlen, "sharing", c->sharing, NULL, "mor and act: give one; both decide each token's number of loops");
    if ((s->mor || s->act) && (!s->loops || s->loops < 2 || !s->loop_coda))
        return fail(err, errlen, "sharing", c->sharing, NULL, "%s of loop:P,K,C's core: it needs a looped base map with r >= 2 loops "
                    "and a coda of C >= 1 depths to read the mixture (for example loop:1,1,1 with 4 layers, Bae et al.'s "
                    "Middle-Cycle)", how);
    if ((s->mor || s->act) && (s->kv_share > 1 || s->v_share > 1 || s->attn_reuse > 1 || sb_sharing_weights_term(s, term, sizeof term)))
        return fail(err, errlen, "sharing", c->sharing, NULL, "%s with %s: not supported; %s combines with loop:P,K,C alone",
                    s->mor ? "mor" : "act", s->kv_share > 1 ? "kv_share" : s->v_share > 1 ? "v_share" : s->attn_reuse > 1 ?
                    "attn_reuse" : term, s->mor ? "mor" : "act");
    if (s->lckv >= 0) {
        /* LCKV places keys and values itself, and its iterated training assumes one fixed stack of depths over an ordered
        ** sequence whose positions shift by one (the diagonal left out) without a relative bias */
        const char *other = s->kv_share > 1 ? "kv_share" : s->v_share > 1 ? "v_share" : s->attn_reuse > 1 ? "attn_reuse"
                            : s->yoco >= 0 ? "yoco" : s->loops ? "loop" : s->progressive ? "progressive" : NULL;
        if (other)
            return fail(err, errlen, "sharing", c->sharing, NULL, "lckv:%d with %s: give one; lckv places every depth's keys and "
                        "values itself (the condensed depths on the top one's)", s->lckv, other);
        if (n - s->lckv < 2)
            return fail(err, errlen, "sharing", c->sharing, NULL, "lckv:%d with layers=%d: needs at least 2 condensed depths besides "
                        "the %d warmup ones; W values that fit: 0 to %d", s->lckv, n, s->lckv, n - 2);
        if (!c->causal)
            return fail(err, errlen, "sharing", c->sharing, NULL, "lckv:%d with causal=0: the condensed depths read the top depth "
                        "of earlier positions only, which needs a causal model", s->lckv);
        if (c->pos == SB_POS_RELBIAS || c->layer_pos_bias)
            return fail(err, errlen, "sharing", c->sharing, NULL, "lckv:%d with a relative position bias (pos=relbias or "
                        "layer_pos_bias=1): not supported; use pos=learned, rope or none", s->lckv);
    }
    kv_maps(s);
    if (c->factor && sb_sharing_weights_term(s, term, sizeof term))
        return fail(err, errlen, "sharing", c->sharing, NULL, "%s with factor=%d: %s builds each depth's weights from the block's matrix, "
                    "which factor:R replaces by U V^T; use one or the other", term, c->factor, term);
    if (c->factor && s->progressive)
        return fail(err, errlen, "sharing", c->sharing, NULL, "progressive with factor=%d: merging averages weights, and the average of "
                    "factors U, V is not the average of the matrices U V^T; train factor:R under the target sharing instead", c->factor);
    s->config = sb_config_hash(c);
    return 0;
}

int sb_sharing_for(const sb_sharing *s, const sb_config *c)
{
    return s->layers == c->layers && s->config == sb_config_hash(c);
}

int sb_sharing_check(const char *key, const char *value, char *err, size_t errlen)
{
    parsed p;
    int sub = !strcmp(key, "sharing_attn") || !strcmp(key, "sharing_ffn");
    if (!sub && strcmp(key, "sharing")) return 0;
    return parse(key, value, sub, &p, err, errlen);
}

int sb_sharing_base_map(const char *term, int n, int *map, int *nblocks, char *err, size_t errlen)
{
    parsed p;
    char known[320];
    if (n < 1 || n > SB_MAX_LAYERS) {
        snprintf(err, errlen, "layers=%d: depth must be between 1 and %d", n, SB_MAX_LAYERS);
        return -1;
    }
    if (parse("sharing", term, 0, &p, err, errlen)) return -1;
    if (!p.base || p.base->sublayers != SUB_BOTH || strchr(term, '+') || p.progressive) {
        known_terms(known, sizeof known);
        return fail(err, errlen, "sharing", term, NULL, "not one base map of both sublayers; known: %s", known);
    }
    return build_base("sharing", term, term, p.base, p.arg, p.narg, n, map, nblocks, err, errlen);
}

int sb_sharing_injects(const sb_sharing *s, int l)
{
    int j = s->loops && !s->mor && !s->act ? l - s->loop_prelude : -1;   /* mor routes, act halts, in place of the injection */
    return j > 0 && j % s->loop_core == 0 && j / s->loop_core < s->loops;
}

int sb_sharing_lckv(const sb_sharing *s, int *lo, int *top)
{
    if (s->lckv < 0) return 0;
    *lo = s->lckv - s->lckv / 2;
    *top = s->layers - 1 - s->lckv / 2;
    return 1;
}

int sb_sharing_window(const sb_sharing *s, int l)
{
    return s->yoco > 0 && l < s->layers / 2 ? s->yoco : 0;
}

int sb_sharing_weights_term(const sb_sharing *s, char *term, size_t len)
{
    for (int k = 0; k < NMODS; k++)
        if ((mods[k].changes & CH_WEIGHTS) && mod_get(s, k) != mods[k].off_value) {
            snprintf(term, len, "%s:%d", mods[k].name, mod_get(s, k));
            return 1;
        }
    return 0;
}

void sb_sharing_describe(const sb_sharing *s, char *out, size_t len)
{
    size_t w = 0;
    const int *maps[3] = { s->attn, s->ffn, s->kv };
    const char *names[3] = { "attn", "ffn ", "kv  " };
    int counts[3] = { s->n_attn, s->n_ffn, s->n_kv };
    out[0] = 0;
    for (int m = 0; m < 5 && w < len; m++) {
        if (m == 4) {   /* attention maps (attn_reuse): the depths computing them */
            if (s->attn_reuse <= 1) break;
            w += (size_t)snprintf(out + w, len - w, "map :");
            for (int i = 0; i < s->layers && w < len; i++)
                w += s->a_src[i] == i ? (size_t)snprintf(out + w, len - w, " %d", i) : (size_t)snprintf(out + w, len - w, " ^");
            if (w < len) w += (size_t)snprintf(out + w, len - w, "\n");
            break;
        }
        if (m == 3) {   /* values apart from keys (v_share): the key/value block of each depth computing them */
            if (s->v_share <= 1) continue;
            w += (size_t)snprintf(out + w, len - w, "v   :");
            for (int i = 0; i < s->layers && w < len; i++)
                w += s->v_src[i] == i ? (size_t)snprintf(out + w, len - w, " %d", s->kv[i]) : (size_t)snprintf(out + w, len - w, " ^");
            if (w < len) w += (size_t)snprintf(out + w, len - w, "\n");
            break;
        }
        w += (size_t)snprintf(out + w, len - w, "%s (%d unique):", names[m], counts[m]);
        for (int i = 0; i < s->layers && w < len; i++) {
            if (maps[m][i] < 0) w += (size_t)snprintf(out + w, len - w, " ^");
            else w += (size_t)snprintf(out + w, len - w, " %d", maps[m][i]);
        }
        if (w < len) w += (size_t)snprintf(out + w, len - w, "\n");
    }
    for (int k = 0; k < NMODS && w < len; k++)
        if (mods[k].shows && mod_get(s, k) != mods[k].off_value && !(s->mor_expert && mods[k].off == offsetof(sb_sharing, mor)))
            w += (size_t)snprintf(out + w, len - w, mods[k].shows, mod_get(s, k));   /* mor_expert's line, not token-choice's */
    if (w < len && s->loops && s->act)
        w += (size_t)snprintf(out + w, len - w, "loop: %d prelude, a core of %d run for 1 to %d steps until each token halts, %d coda "
                              "depths; depth %d reads the weighted states\n", s->loop_prelude, s->loop_core, s->loops, s->loop_coda,
                              s->loop_prelude + s->loop_core * s->loops);
    else if (w < len && s->loops && s->mor_expert) {
        w += (size_t)snprintf(out + w, len - w, "loop: %d prelude, a core of %d run 1 to %d times per token as its routers pick, %d coda "
                              "depths; depths", s->loop_prelude, s->loop_core, s->loops, s->loop_coda);
        for (int j = 1; j <= s->loops && w < len; j++) w += (size_t)snprintf(out + w, len - w, " %d", s->loop_prelude + j * s->loop_core);
        if (w < len) w += (size_t)snprintf(out + w, len - w, " read the gated mixtures X + g f(X)\n");
    } else if (w < len && s->loops && s->mor)
        w += (size_t)snprintf(out + w, len - w, "loop: %d prelude, a core of %d run 1 to %d times per token as its router picks, %d coda "
                              "depths; depth %d reads the mixture\n", s->loop_prelude, s->loop_core, s->loops, s->loop_coda,
                              s->loop_prelude + s->loop_core * s->loops);
    else if (w < len && s->loops) {
        w += (size_t)snprintf(out + w, len - w, "loop: %d prelude, a core of %d looped %d times, %d coda depths; the prelude's output "
                              "added at depths", s->loop_prelude, s->loop_core, s->loops, s->loop_coda);
        for (int l = 0; l < s->layers && w < len; l++)
            if (sb_sharing_injects(s, l)) w += (size_t)snprintf(out + w, len - w, " %d", l);
        if (w < len) w += (size_t)snprintf(out + w, len - w, "%s\n", s->loops > 1 ? "" : " (none: one loop)");
    }
    if (w < len && s->yoco >= 0) {
        int h = s->layers / 2;
        char win[48] = "full causal attention";
        if (s->yoco > 0) snprintf(win, sizeof win, "a sliding window of %d positions", s->yoco);
        w += (size_t)snprintf(out + w, len - w, "yoco: self-decoder depths 0-%d (%s), cross-decoder depths %d-%d on depth %d's keys "
                              "and values (one global cache)\n", h - 1, win, h, s->layers - 1, h);
    }
    int lo, top;
    if (w < len && sb_sharing_lckv(s, &lo, &top))
        w += (size_t)snprintf(out + w, len - w, "lckv: warmup depths %d bottom, %d top; depths %d-%d attend to depth %d's keys and "
                              "values of earlier positions, depth %d to its own; training runs depths %d-%d %d + %d times\n",
                              lo, s->layers - 1 - top, lo, top - 1, top, top, lo, top, SB_LCKV_M, SB_LCKV_B);
    if (w < len && s->progressive) snprintf(out + w, len - w, "progressive: starts untied, merges into '%s'\n", s->target);
}

void sb_sharing_syntax(char *out, size_t len)
{
    char term[32], maps[128], weights[128];
    mods_with(CH_MAPS, 1, 1, maps, sizeof maps);
    mods_with(CH_WEIGHTS, 1, 0, weights, sizeof weights);
    size_t w = (size_t)snprintf(out, len, "terms joined by '+' (sharing_attn and sharing_ffn: a base map and %s only)\n"
                                "one base map (when none is given: all with %s, else none):\n", maps, weights);
    for (int b = 0; b < NBASES && w < len; b++) {
        snprintf(term, sizeof term, "%s%s%s", bases[b].name, bases[b].arg ? ":" : "", arg_names[bases[b].arg]);
        w += (size_t)snprintf(out + w, len - w, "  %-22s %s\n", term, bases[b].what);
    }
    if (w < len) w += (size_t)snprintf(out + w, len - w, "then modifiers, each at most once:\n");
    for (int k = 0; k < NMODS && w < len; k++) {
        snprintf(term, sizeof term, "+%s%s%s", mods[k].name, mods[k].arg ? ":" : "", mods[k].arg ? mods[k].arg : "");
        w += (size_t)snprintf(out + w, len - w, "  %-22s %s\n", term, mods[k].what);
    }
    if (w < len)
        snprintf(out + w, len - w, "or alone:\n  %-22s %s\n", "progressive[:TARGET]",
                 "every depth its own blocks, merged into TARGET (default all) during training");
}

/* ---------------------------------------------------- untying chosen depths */

/* p's modifiers other than untie, each as "+name:value", into out. */
static void other_mods(const parsed *p, char *out, size_t len)
{
    size_t w = 0;
    out[0] = 0;
    for (int k = 0; k < NMODS && w < len; k++)
        if (p->given[k] && mods[k].apply != untie_last) w += (size_t)snprintf(out + w, len - w, "+%s:%d", mods[k].name, p->value[k]);
}

/* c's specification parsed, refused unless its untie:K can be applied at chosen depths. */
static int untie_parsed(const sb_config *c, parsed *p, const base_def **d, int *k, char *err, size_t errlen)
{
    int u = -1;
    if (parse("sharing", c->sharing, 0, p, err, errlen) || check_values("sharing", c->sharing, p, c, err, errlen)) return -1;
    for (int j = 0; j < NMODS; j++)
        if (mods[j].apply == untie_last) u = j;
    if (u < 0 || !p->given[u] || !p->value[u])
        return fail(err, errlen, "sharing", c->sharing, NULL, "has no untie:K whose depths could be chosen");
    if (p->progressive)
        return fail(err, errlen, "sharing", c->sharing, NULL, "progressive unties nothing at the start; untie:K's depths are chosen for "
                    "a fine-tuning target");
    if (c->sharing_attn[0] || c->sharing_ffn[0])
        return fail(err, errlen, "sharing", c->sharing, NULL, "the depths of untie:K are chosen for one map of both sublayers; %s='%s' "
                    "overrides one", c->sharing_attn[0] ? "sharing_attn" : "sharing_ffn", c->sharing_attn[0] ? c->sharing_attn : c->sharing_ffn);
    int weights = 0;
    for (int j = 0; j < NMODS; j++) weights |= p->given[j] && (mods[j].changes & CH_WEIGHTS);
    *d = p->base ? p->base : base_named(weights ? "all" : "none");
    if ((*d)->sublayers != SUB_BOTH || (*d)->arg == ARG_LOOP)
        return fail(err, errlen, "sharing", c->sharing, (*d)->name, "the depths of untie:K are chosen on a map of both sublayers (none, "
                    "all, sequence, cycle, cycle_rev, map); %s %s", (*d)->name,
                    (*d)->arg == ARG_LOOP ? "also injects its input at loop starts, which a map cannot say" : "maps one sublayer only");
    *k = p->value[u];
    return 0;
}

int sb_sharing_shared_depths(const sb_sharing *s, int *shared)
{
    int ua[SB_MAX_LAYERS] = {0}, uf[SB_MAX_LAYERS] = {0}, count = 0;
    for (int l = 0; l < s->layers; l++) ua[s->attn[l]]++, uf[s->ffn[l]]++;
    for (int l = 0; l < s->layers; l++) count += shared[l] = ua[s->attn[l]] > 1 || uf[s->ffn[l]] > 1;
    return count;
}

int sb_sharing_untie_base(const sb_config *c, char *base, size_t len, int *k, char *err, size_t errlen)
{
    parsed p;
    const base_def *d;
    char rest[SB_SPEC_LEN];
    if (untie_parsed(c, &p, &d, k, err, errlen)) return -1;
    other_mods(&p, rest, sizeof rest);
    if ((size_t)snprintf(base, len, "%s%s", p.base ? p.base_term : d->name, rest) >= len)
        return fail(err, errlen, "sharing", c->sharing, NULL, "its form without untie is longer than %zu characters", len - 1);
    return 0;
}

int sb_sharing_untie_at(const sb_config *c, const int *depths, int k, char *spec, size_t len, char *err, size_t errlen)
{
    parsed p;
    const base_def *d;
    int n = c->layers, map[SB_MAX_LAYERS], nb, uses[SB_MAX_LAYERS] = {0}, want, next;
    char rest[SB_SPEC_LEN];
    if (untie_parsed(c, &p, &d, &want, err, errlen)) return -1;
    if (k != want) return fail(err, errlen, "sharing", c->sharing, NULL, "unties %d depths, %d given", want, k);
    if (build_base("sharing", c->sharing, p.base ? p.base_term : d->name, d, p.arg, p.narg, n, map, &nb, err, errlen)) return -1;
    for (int i = 0; i < n; i++) uses[map[i]]++;
    next = nb;
    for (int j = 0; j < k; j++) {
        int l = depths[j];
        if (l < 0 || l >= n) return fail(err, errlen, "sharing", c->sharing, NULL, "depth %d to untie is outside 0 to %d", l, n - 1);
        if (map[l] >= nb) return fail(err, errlen, "sharing", c->sharing, NULL, "depth %d is given twice to untie", l);
        if (uses[map[l]] < 2) return fail(err, errlen, "sharing", c->sharing, NULL, "depth %d already has a block of its own", l);
        map[l] = next++;
    }
    renumber(map, n);
    size_t w = (size_t)snprintf(spec, len, "map:");
    for (int i = 0; i < n && w < len; i++) w += (size_t)snprintf(spec + w, len - w, "%s%d", i ? "," : "", map[i]);
    other_mods(&p, rest, sizeof rest);
    if (w < len) w += (size_t)snprintf(spec + w, len - w, "%s", rest);
    if (w >= len || w >= SB_SPEC_LEN)
        return fail(err, errlen, "sharing", c->sharing, NULL, "its map with depths untied is longer than %d characters", SB_SPEC_LEN - 1);
    return 0;
}
