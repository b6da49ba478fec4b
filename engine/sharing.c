/*
** sharing.c: parse sharing specifications into per-depth block maps.
**
** Every named scheme is a function from depth i (0-indexed) of N to a block
** in [0,K). The definitions are the ones of ../shared/REFERENCE.md section 1:
**   sequence:K   k = ceil(N/K) layers per block, block floor(i/k)       (Takase & Kiyono)
**   cycle:K      block i mod K                                          (Takase & Kiyono)
**   cycle_rev:K  i mod K for i < N-K, then K-1 down to 0                (Takase & Kiyono)
**   all / attn / ffn: one block everywhere, for both or one sublayer   (ALBERT)
** A scheme whose K leaves a block unused, or does not fit the depth, is
** refused with the K values that would fit.
*/
#include "sharing.h"
#include "suggest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <limits.h>

/* Parse a whole positive decimal integer; -1 when it is not one. */
static int parse_count(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < 0 || v > INT_MAX) return -1;
    return (int)v;
}

/* " (did you mean 'cycle:2'?)" for a mistyped term such as "cylce:2", else "". */
static const char *term_hint(const char *term, int base_only, char *out, size_t len)
{
    static const char *const all[] = { "none", "all", "attn", "ffn", "sequence", "cycle", "cycle_rev", "map", "untie",
                                       "lowrank", "hyper", "kv_share", "progressive", NULL };
    static const char *const bases[] = { "none", "all", "sequence", "cycle", "cycle_rev", "map", NULL };
    char name[64];
    const char *colon = strchr(term, ':');
    snprintf(name, sizeof name, "%.*s", colon ? (int)(colon - term) : (int)strlen(term), term);
    const char *s = sb_suggest(name, base_only ? bases : all);
    if (s) snprintf(out, len, " (did you mean '%s%s'?)", s, colon ? colon : "");
    else if (len) out[0] = 0;
    return out;
}

static int seq_blocks(int n, int k) { int per = (n + k - 1) / k; return (n + per - 1) / per; }

/* The K values of sequence:K that use every block for depth n, as "1, 2, 3". */
static void seq_fits(int n, char *out, size_t len)
{
    size_t w = 0;
    out[0] = 0;
    for (int k = 1; k <= n && w < len; k++)
        if (seq_blocks(n, k) == k) w += snprintf(out + w, len - w, "%s%d", w ? ", " : "", k);
}

int sb_sharing_base_map(const char *term, int n, int *map, int *nblocks, char *err, size_t errlen)
{
    const char *colon = strchr(term, ':');
    size_t nl = colon ? (size_t)(colon - term) : strlen(term);
    const char *arg = colon ? colon + 1 : NULL;
    if (n < 1 || n > SB_MAX_LAYERS) {
        snprintf(err, errlen, "layers=%d: depth must be between 1 and %d", n, SB_MAX_LAYERS);
        return -1;
    }
    if (!arg && (!strcmp(term, "none"))) {
        for (int i = 0; i < n; i++) map[i] = i;
        *nblocks = n;
        return 0;
    }
    if (!arg && !strcmp(term, "all")) {
        for (int i = 0; i < n; i++) map[i] = 0;
        *nblocks = 1;
        return 0;
    }
    if (arg && nl == 3 && !strncmp(term, "map", 3)) {
        int count = 0, maxb = -1, used[SB_MAX_LAYERS] = {0};
        for (const char *tok = arg; count <= n;) {
            const char *comma = strchr(tok, ',');
            size_t len = comma ? (size_t)(comma - tok) : strlen(tok);
            char num[16];
            snprintf(num, sizeof num, "%.*s", (int)(len < 15 ? len : 15), tok);
            int b = len < 15 ? parse_count(num) : -1;
            if (b < 0 || b >= SB_MAX_LAYERS) {
                snprintf(err, errlen, "sharing '%s': block index '%.*s' is not a whole number from 0 to %d", term, (int)len, tok, SB_MAX_LAYERS - 1);
                return -1;
            }
            if (count < n) { map[count] = b; used[b] = 1; if (b > maxb) maxb = b; }
            count++;
            if (!comma) break;
            tok = comma + 1;
        }
        if (count != n) {
            snprintf(err, errlen, "sharing '%s': the map lists %s%d block indices but the model has %d layers; give exactly one index per layer",
                     term, count > n ? "more than " : "", count > n ? n : count, n);
            return -1;
        }
        for (int b = 0; b <= maxb; b++)
            if (!used[b]) {
                snprintf(err, errlen, "sharing '%s': block %d is never used; number the blocks 0 to %d without gaps", term, b, maxb);
                return -1;
            }
        *nblocks = maxb + 1;
        return 0;
    }
    if (arg && ((nl == 8 && !strncmp(term, "sequence", 8)) || (nl == 5 && !strncmp(term, "cycle", 5)) ||
                (nl == 9 && !strncmp(term, "cycle_rev", 9)))) {
        int k = parse_count(arg);
        if (k < 1 || k > n) {
            snprintf(err, errlen, "sharing '%s': K='%s' must be a whole number from 1 to the depth %d", term, arg, n);
            return -1;
        }
        if (nl == 8) {
            if (seq_blocks(n, k) != k) {
                char fits[256];
                seq_fits(n, fits, sizeof fits);
                snprintf(err, errlen, "sharing '%s': with %d layers, ceil(%d/%d)=%d layers per block use only %d blocks, not %d; K values that fit: %s",
                         term, n, n, k, (n + k - 1) / k, seq_blocks(n, k), k, fits);
                return -1;
            }
            int per = (n + k - 1) / k;
            for (int i = 0; i < n; i++) map[i] = i / per;
        } else if (nl == 5) {
            for (int i = 0; i < n; i++) map[i] = i % k;
        } else {
            for (int i = 0; i < n - k; i++) map[i] = i % k;
            for (int i = n - k; i < n; i++) map[i] = n - 1 - i;
        }
        *nblocks = k;
        return 0;
    }
    char hint[96];
    snprintf(err, errlen, "sharing term '%s' is not a map%s; known: none, all, sequence:K, cycle:K, cycle_rev:K, map:I,J,...", term,
             term_hint(term, 1, hint, sizeof hint));
    return -1;
}

/* A base-map term by its name (its argument is checked when the map is built). */
static int is_base(const char *t)
{
    static const char *const names[] = { "none", "all", "attn", "ffn", "sequence:", "cycle:", "cycle_rev:", "map:", NULL };
    for (int i = 0; names[i]; i++) {
        size_t n = strlen(names[i]);
        if (names[i][n - 1] == ':' ? !strncmp(t, names[i], n) : !strcmp(t, names[i])) return 1;
    }
    return 0;
}

/* Give the last k depths blocks of their own, then renumber in order of first use. */
static void untie_last(int *map, int n, int k)
{
    int next = 0;
    for (int i = 0; i < n; i++) if (map[i] + 1 > next) next = map[i] + 1;
    for (int i = n - k; i < n; i++) map[i] = next++;
}

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

/* Resolve a full specification (without per-sublayer overrides). */
static int resolve_spec(const char *spec, const sb_config *c, sb_sharing *s, char *err, size_t errlen)
{
    int n = c->layers;
    char buf[SB_SPEC_LEN];
    const char *base = NULL;
    int untie = 0, both = 1, attn_only = 0, ffn_only = 0;
    memset(s, 0, sizeof *s);
    s->layers = n;
    s->kv_share = 1;
    if (strlen(spec) >= sizeof buf) { snprintf(err, errlen, "sharing '%.40s...' is too long", spec); return -1; }
    if (!strncmp(spec, "progressive", 11) && (spec[11] == 0 || spec[11] == ':')) {
        sb_config target = *c;
        sb_sharing ts;
        if (spec[11] && !spec[12]) {
            snprintf(err, errlen, "sharing '%s': progressive: needs a target after the colon (for example progressive:cycle:2), or none at all for 'all'", spec);
            return -1;
        }
        snprintf(target.sharing, sizeof target.sharing, "%s", spec[11] ? spec + 12 : "all");
        if (!strncmp(target.sharing, "progressive", 11)) {
            snprintf(err, errlen, "sharing '%s': the target of progressive cannot itself be progressive", spec);
            return -1;
        }
        target.sharing_attn[0] = target.sharing_ffn[0] = 0;
        if (resolve_spec(target.sharing, &target, &ts, err, errlen)) return -1;
        if (ts.lowrank || ts.hyper) {
            snprintf(err, errlen, "sharing '%s': progressive merges plain blocks; its target cannot use lowrank or hyper", spec);
            return -1;
        }
        for (int i = 0; i < n; i++) s->attn[i] = s->ffn[i] = i;
        s->n_attn = s->n_ffn = n;
        s->progressive = 1;
        s->kv_share = ts.kv_share;
        snprintf(s->target, sizeof s->target, "%s", target.sharing);
        goto kv;
    }
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *t = strtok_r(buf, "+", &save); t; t = strtok_r(NULL, "+", &save)) {
        const char *arg = strchr(t, ':') ? strchr(t, ':') + 1 : NULL;
        int v = arg ? parse_count(arg) : -1;
        if (!strncmp(t, "lowrank:", 8)) {
            int lim = c->width < c->ffn ? c->width : c->ffn;
            if (v < 1 || v >= lim) {
                snprintf(err, errlen, "sharing '%s': rank R='%s' must be a whole number from 1 to %d (below the %s %d)", spec, arg,
                         lim - 1, c->width <= c->ffn ? "width" : "feed-forward width ffn", lim);
                return -1;
            }
            s->lowrank = v;
        } else if (!strncmp(t, "hyper:", 6)) {
            if (v < 1 || v > 4096) {
                snprintf(err, errlen, "sharing '%s': layer-embedding width D='%s' must be a whole number from 1 to 4096", spec, arg);
                return -1;
            }
            s->hyper = v;
        } else if (!strncmp(t, "kv_share:", 9)) {
            if (v < 1 || v > n) {
                snprintf(err, errlen, "sharing '%s': S='%s' must be a whole number from 1 to the depth %d", spec, arg, n);
                return -1;
            }
            s->kv_share = v;
        } else if (!strncmp(t, "untie:", 6)) {
            if (v < 0 || v > n) {
                snprintf(err, errlen, "sharing '%s': K='%s' must be a whole number from 0 to the depth %d", spec, arg, n);
                return -1;
            }
            untie = v;
        } else if (!strcmp(t, "progressive") || !strncmp(t, "progressive:", 12)) {
            snprintf(err, errlen, "sharing '%s': progressive must stand alone, as progressive or progressive:TARGET", spec);
            return -1;
        } else if (!is_base(t)) {
            char hint[96];
            snprintf(err, errlen, "sharing '%s': unknown term '%s'%s; known: none, all, attn, ffn, sequence:K, cycle:K, cycle_rev:K, "
                     "map:I,J,..., untie:K, lowrank:R, hyper:D, kv_share:S, progressive[:TARGET]", spec, t,
                     term_hint(t, 0, hint, sizeof hint));
            return -1;
        } else {
            if (base) {
                snprintf(err, errlen, "sharing '%s': two base maps ('%s' and '%s'); give one", spec, base, t);
                return -1;
            }
            base = t;
        }
    }
    if (!base) base = (s->lowrank || s->hyper) ? "all" : "none";
    if (s->lowrank && s->hyper) {
        snprintf(err, errlen, "sharing '%s': lowrank and hyper are alternatives; choose one", spec);
        return -1;
    }
    if (!strcmp(base, "attn")) { both = 0; attn_only = 1; }
    else if (!strcmp(base, "ffn")) { both = 0; ffn_only = 1; }
    if (both) {
        if (sb_sharing_base_map(base, n, s->attn, &s->n_attn, err, errlen)) {
            /* name the whole spec when the term came from a composite */
            if (strcmp(base, spec)) {
                char inner[SB_ERR_LEN];
                snprintf(inner, sizeof inner, "%s", err);
                snprintf(err, errlen, "%s (in '%s')", inner, spec);
            }
            return -1;
        }
        memcpy(s->ffn, s->attn, sizeof s->attn);
        s->n_ffn = s->n_attn;
    } else {
        for (int i = 0; i < n; i++) {
            s->attn[i] = attn_only ? 0 : i;
            s->ffn[i] = ffn_only ? 0 : i;
        }
        s->n_attn = attn_only ? 1 : n;
        s->n_ffn = ffn_only ? 1 : n;
    }
    if (untie) {
        untie_last(s->attn, n, untie);
        untie_last(s->ffn, n, untie);
        s->n_attn = renumber(s->attn, n);
        s->n_ffn = renumber(s->ffn, n);
    }
kv:
    {
        int prod[SB_MAX_LAYERS], np = 0;
        for (int i = 0; i < n; i++) {
            s->kv_src[i] = i - i % s->kv_share;
            if (i % s->kv_share == 0) { s->kv[i] = s->attn[i]; prod[np++] = i; }
            else s->kv[i] = -1;
        }
        /* renumber kv blocks over the producing depths only */
        int tmp[SB_MAX_LAYERS];
        for (int j = 0; j < np; j++) tmp[j] = s->kv[prod[j]];
        s->n_kv = renumber(tmp, np);
        for (int j = 0; j < np; j++) s->kv[prod[j]] = tmp[j];
    }
    return 0;
}

/* Apply a per-sublayer override: a base map (with optional untie) only. */
static int override_map(const char *spec, const sb_config *c, int *map, int *nblocks, const char *key,
                        char *err, size_t errlen)
{
    sb_sharing o;
    if (resolve_spec(spec, c, &o, err, errlen)) {
        char inner[SB_ERR_LEN];
        snprintf(inner, sizeof inner, "%s", err);
        snprintf(err, errlen, "%s: %s", key, inner);
        return -1;
    }
    if (o.lowrank || o.hyper || o.kv_share != 1 || o.progressive) {
        snprintf(err, errlen, "%s='%s': a per-sublayer map takes a base map and untie:K only; put lowrank, hyper, kv_share and progressive in 'sharing'", key, spec);
        return -1;
    }
    if (!strcmp(spec, "attn") || !strcmp(spec, "ffn")) {
        snprintf(err, errlen, "%s='%s': give a map for this sublayer (for example all or cycle:2), not the name of a sublayer", key, spec);
        return -1;
    }
    memcpy(map, o.attn, sizeof o.attn);
    *nblocks = o.n_attn;
    return 0;
}

int sb_sharing_resolve(const sb_config *c, sb_sharing *s, char *err, size_t errlen)
{
    if (resolve_spec(c->sharing[0] ? c->sharing : "none", c, s, err, errlen)) return -1;
    if ((c->sharing_attn[0] || c->sharing_ffn[0]) && s->progressive) {
        snprintf(err, errlen, "sharing '%s': progressive cannot be combined with sharing_attn or sharing_ffn", c->sharing);
        return -1;
    }
    if (c->sharing_attn[0]) {
        if (override_map(c->sharing_attn, c, s->attn, &s->n_attn, "sharing_attn", err, errlen)) return -1;
        /* keys and values follow the attention map */
        int prod[SB_MAX_LAYERS], np = 0, tmp[SB_MAX_LAYERS];
        for (int i = 0; i < c->layers; i++)
            if (s->kv[i] >= 0) { prod[np] = i; tmp[np++] = s->attn[i]; }
        s->n_kv = renumber(tmp, np);
        for (int j = 0; j < np; j++) s->kv[prod[j]] = tmp[j];
    }
    if (c->sharing_ffn[0] && override_map(c->sharing_ffn, c, s->ffn, &s->n_ffn, "sharing_ffn", err, errlen)) return -1;
    return 0;
}

void sb_sharing_describe(const sb_sharing *s, char *out, size_t len)
{
    size_t w = 0;
    const int *maps[3] = { s->attn, s->ffn, s->kv };
    const char *names[3] = { "attn", "ffn ", "kv  " };
    int counts[3] = { s->n_attn, s->n_ffn, s->n_kv };
    out[0] = 0;
    for (int m = 0; m < 3 && w < len; m++) {
        w += snprintf(out + w, len - w, "%s (%d unique):", names[m], counts[m]);
        for (int i = 0; i < s->layers && w < len; i++) {
            if (maps[m][i] < 0) w += snprintf(out + w, len - w, " ^");
            else w += snprintf(out + w, len - w, " %d", maps[m][i]);
        }
        if (w < len) w += snprintf(out + w, len - w, "\n");
    }
    if (w < len && s->lowrank) w += snprintf(out + w, len - w, "plus per-depth rank-%d corrections W_l = W + B_l A_l\n", s->lowrank);
    if (w < len && s->hyper) w += snprintf(out + w, len - w, "plus per-depth row/column modulation from a hypernetwork of layer embeddings (D=%d)\n", s->hyper);
    if (w < len && s->kv_share > 1) w += snprintf(out + w, len - w, "keys/values computed every %d layers (^ = reused)\n", s->kv_share);
    if (w < len && s->progressive) snprintf(out + w, len - w, "progressive: starts untied, merges into '%s'\n", s->target);
}
