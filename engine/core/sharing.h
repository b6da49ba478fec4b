/*
** sharing.h: which depth uses which parameter block.
**
** A sharing specification is a string of terms joined by '+':
**   a base map:  none | all | attn | ffn | sequence:K | cycle:K | cycle_rev:K | map:0,1,1,2
**   modifiers:   untie:K  lowrank:R  hyper:D  kv_share:S
**   or alone:    progressive[:TARGET]   (start untied, merge into TARGET later)
** It resolves into one map per sublayer (attention, feed-forward, and the
** key/value projections, which cross-layer attention can skip). Definitions
** follow the papers: Takase & Kiyono 2021 (arXiv 2104.06022) for
** sequence/cycle/cycle_rev, ALBERT (Lan et al. 2020, arXiv 1909.11942) for
** all/attn/ffn, Relaxed Recursive Transformers (Bae et al. 2025, arXiv
** 2410.20672) for lowrank, Cross-Layer Attention (Brandon et al. 2024, arXiv
** 2405.12981) for kv_share).
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
    int n_attn, n_ffn, n_kv;    /* unique blocks of each kind */
    int lowrank;                /* R of lowrank:R, 0 when off */
    int hyper;                  /* D of hyper:D, 0 when off */
    int kv_share;               /* S of kv_share:S, 1 when off */
    int progressive;            /* 1 when the model starts untied and merges into `target` */
    char target[SB_SPEC_LEN];   /* the specification progressive merging moves to */
} sb_sharing;

/* Resolve the configuration's sharing (sharing, sharing_attn, sharing_ffn) for
** its depth and width. Returns 0, or -1 with a message naming the term and
** what would fit. */
int sb_sharing_resolve(const sb_config *c, sb_sharing *s, char *err, size_t errlen);

/* Resolve one base-map term ("cycle:3", "map:0,1,1") for n layers into map[n];
** *nblocks gets the number of unique blocks. Returns 0, or -1 with a message. */
int sb_sharing_base_map(const char *term, int n, int *map, int *nblocks, char *err, size_t errlen);

/* One line per sublayer, e.g. "attn: 0 1 2 0 1 2", for `sharebench params`. */
void sb_sharing_describe(const sb_sharing *s, char *out, size_t len);

#endif
