/*
** sharing.h: which depth uses which parameter block: the sharing module.
**
** A sharing specification is a string of terms joined by '+':
**   one base map:  none | all | attn | ffn | sequence:K | cycle:K | cycle_rev:K | map:I,J,... | loop:P,K,C
**   modifiers:     untie:K  lowrank:R  hyper:D  basis:R  kv_share:S  v_share:S  attn_reuse:S  yoco:W  mor  mor_expert  mor_kv_share  act
**                  lckv:W
**                  (each at most once)
**   or alone:      progressive[:TARGET]   (start untied, merge into TARGET later)
** Two tables in sharing.c, one row per base map and per modifier, are the
** language (sb_sharing_syntax lists them); nothing outside sharing.c parses
** it. A configuration's specification (its keys sharing, sharing_attn,
** sharing_ffn) is resolved once, by sb_sharing_resolve, into an sb_sharing:
** one map per sublayer (attention, feed-forward, and the key/value
** projections, which cross-layer attention can skip) and the modifiers'
** values. The resolution, not the string, is what the model, memory plans,
** analyses, compression checks and `sharebench params` receive.
**
** Definitions follow the papers: Takase & Kiyono 2021 (arXiv 2104.06022) for
** sequence/cycle/cycle_rev, ALBERT (Lan et al. 2020, arXiv 1909.11942) for
** all/attn/ffn, Relaxed Recursive Transformers (Bae et al. 2025, arXiv
** 2410.20672) for lowrank, Cross-Layer Attention (Brandon et al. 2024, arXiv
** 2405.12981) for kv_share, SVFormer (Zhou et al. 2024, "Value Residual Learning",
** arXiv 2410.17897) for v_share:N, Basis Sharing (Wang et al. 2024, arXiv
** 2410.03765) for basis:R, Xiao et al. 2019 ("Sharing Attention Weights for
** Fast Transformer", IJCAI; the plain form of LiSA, arXiv 2408.01890) for
** attn_reuse:S; You Only Cache Once (Sun et al. 2024, arXiv 2405.05254) for
** yoco:W; looped depth with input injection (loop:P,K,C) as
** Yang et al. 2023 (arXiv 2311.12424) and Geiping et al. 2025 (arXiv 2502.05171);
** loop:P,K,C+mor as token-choice Mixture-of-Recursions (Bae et al. 2025, arXiv 2507.10524; mor.c),
** loop:P,K,C+act as the Universal Transformer's halting (Dehghani et al. 2019, arXiv 1807.03819; act.c),
** lckv:W as Layer-Condensed KV Cache (Wu & Tu 2024, arXiv 2405.10637; lckv.c).
*/
#ifndef SB_SHARING_H
#define SB_SHARING_H

#include "config.h"

typedef struct {
    int layers;                 /* N */
    int attn[SB_MAX_LAYERS];    /* attention block at each depth */
    int ffn[SB_MAX_LAYERS];     /* feed-forward block at each depth */
    int kv[SB_MAX_LAYERS];      /* key/value block at each depth, -1 where the depth reuses keys and values */
    int kv_src[SB_MAX_LAYERS];  /* the depth whose keys and values each depth attends with */
    int v_src[SB_MAX_LAYERS];   /* the depth whose values each depth attends with (kv_src, or v_share's); a depth computes
                                ** values when v_src[i] == i, with its key/value block's wv */
    int a_src[SB_MAX_LAYERS];   /* the depth whose attention map each depth applies (attn_reuse); a depth computes
                                ** queries, keys and its map when a_src[i] == i */
    int n_attn, n_ffn, n_kv;    /* unique blocks of each kind */
    /* the modifiers' values, each written by its row of sharing.c's table */
    int untie;                  /* K of untie:K, 0 when off (already applied to the maps) */
    int lowrank;                /* R of lowrank:R, 0 when off */
    int hyper;                  /* D of hyper:D, 0 when off */
    int basis;                  /* R of basis:R, 0 when off */
    int kv_share;               /* S of kv_share:S, 1 when off */
    int v_share;                /* S of v_share:S (values only), 1 when off */
    int attn_reuse;             /* S of attn_reuse:S (attention maps), 1 when off */
    int yoco;                   /* W of yoco:W, the self-decoder's sliding window (0: full causal attention), -1 when off */
    int mor;                    /* 1 with +mor: the loops are recursions of per-token depth (mor.c), no injection */
    int mor_expert;             /* 1 with +mor_expert: mor with expert-choice routing (mor.c); sets mor too */
    int mor_kv_share;           /* 1 with +mor_kv_share: mor's later recursions reuse the first's keys and values */
    int act;                    /* 1 with +act: the loops are recurrence steps with per-token halting (act.c), no injection */
    int lckv;                   /* W of lckv:W, its warmup depths, -1 when off */
    int progressive;            /* 1 when the model starts untied and merges into `target` */
    int loops;                  /* loop:P,K,C: r, the core's loops (0 when the model is not looped) */
    int loop_prelude, loop_core, loop_coda;   /* P, K, C */
    char target[SB_SPEC_LEN];   /* the specification progressive merging moves to */
    unsigned long long config;  /* sb_config_hash of the configuration resolved (sb_sharing_for) */
} sb_sharing;

/* Check a configuration as a whole and resolve its sharing: its own values
** first (sb_config_check), then its specification and per-sublayer maps
** against its depth and widths, and the keys the sharing constrains (factor).
** This is the one check a configuration needs before a model is built from
** it. Returns 0, or -1 with a message naming the key, its value and what
** would be accepted or would fit. */
int sb_sharing_resolve(const sb_config *c, sb_sharing *s, char *err, size_t errlen);

/* 1 when s is sb_sharing_resolve's resolution of c (the same values of every
** key), 0 otherwise: a changed configuration must be resolved again. */
int sb_sharing_for(const sb_sharing *s, const sb_config *c);

/* The syntax of a sharing key's value, without a model: known terms, their
** arguments' form and the values any model could take, one base map, each
** modifier once, no empty term, what a per-sublayer map (sharing_attn,
** sharing_ffn) may hold. Keys other than sharing, sharing_attn and
** sharing_ffn pass. Returns 0, or -1 with a message naming the key, the
** value and what is accepted. */
int sb_sharing_check(const char *key, const char *value, char *err, size_t errlen);

/* Resolve one base-map term ("cycle:3", "map:0,1,1") for n layers into map[n];
** *nblocks gets the number of unique blocks. Returns 0, or -1 with a message. */
int sb_sharing_base_map(const char *term, int n, int *map, int *nblocks, char *err, size_t errlen);

/* 1 with the term (e.g. "lowrank:4") of the modifier that builds each depth's
** weights at run time from its block, 0 when none does. Such a model has no
** single stored matrix per block: nothing to factorise, quantise once or
** average. */
int sb_sharing_weights_term(const sb_sharing *s, char *term, size_t len);

/* 1 when depth l of a looped model (loop:P,K,C) starts a loop after the
** first, where the prelude's output (the embedding when P = 0) is added to
** the residual stream: l = P + j K for 1 <= j < r; 0 otherwise (always 0 with mor or act). */
int sb_sharing_injects(const sb_sharing *s, int l);

/* LCKV's iterations in training and on a whole sequence: m passes without
** gradients, then b with (the authors' defaults, forward_passes and backward_passes). */
#define SB_LCKV_M 7
#define SB_LCKV_B 2

/* 1 with lckv:W: depths lo..top are the condensed group, those below top
** attending to depth top's keys and values of earlier positions (W - W/2
** warmup depths below, W/2 above: Wu & Tu's sandwich); 0 when off. */
int sb_sharing_lckv(const sb_sharing *s, int *lo, int *top);

/* The sliding window of depth l's attention in positions (its keys i-W+1..i):
** yoco:W's self-decoder depths (the lower N/2); 0, no window, elsewhere. */
int sb_sharing_window(const sb_sharing *s, int l);

/* shared[l] = 1 when depth l's attention or feed-forward block is used at
** another depth too (untying it gives the depth a block of its own), else 0.
** Returns how many depths share. */
int sb_sharing_shared_depths(const sb_sharing *s, int *shared);

/* Selective untying at chosen depths (the fine-tuning runner's untie_by):
** base gets c's specification without its untie:K (the shared model the
** depths are chosen on, "all+kv_share:2" of "all+untie:2+kv_share:2") and *k
** its K. Refused (-1 with a message) without untie:K, for progressive, with
** a per-sublayer map, and for base maps of one sublayer (attn, ffn) or with
** input injection (loop), which one map:I,J,... cannot say. */
int sb_sharing_untie_base(const sb_config *c, char *base, size_t len, int *k, char *err, size_t errlen);

/* The explicit specification of c's untie:K applied at the k given depths in
** place of the last K: "map:..." (blocks numbered in order of first use)
** followed by c's other modifiers, so that a checkpoint saved from it reads
** back with the same maps. Each depth must share its block in the base map.
** Returns 0, or -1 with a message. */
int sb_sharing_untie_at(const sb_config *c, const int *depths, int k, char *spec, size_t len, char *err, size_t errlen);

/* One line per sublayer, e.g. "attn: 0 1 2 0 1 2", for `sharebench params`. */
void sb_sharing_describe(const sb_sharing *s, char *out, size_t len);

/* The accepted terms, one line each with what they do (for help texts). */
void sb_sharing_syntax(char *out, size_t len);

#endif
