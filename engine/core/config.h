/*
** config.h: a transformer's architecture and its sharing, as plain values.
**
** A configuration is everything needed to build a model: sizes, switches and
** the sharing specification (see sharing.h). Every field has a key so that
** configuration files, checkpoint metadata and the results store all speak
** the same names (sb_config_set / sb_config_get). Batch size and sequence
** length are not part of it: they size the activations, not the model.
*/
#ifndef SB_CONFIG_H
#define SB_CONFIG_H

#include <stddef.h>

#define SB_MAX_LAYERS 64
#define SB_SPEC_LEN 256
#define SB_ERR_LEN 512

enum { SB_POS_LEARNED = 0, SB_POS_ROPE = 1, SB_POS_RELBIAS = 2, SB_POS_NONE = 3 };
enum { SB_GRADSCALE_NONE = 0, SB_GRADSCALE_MEAN = 1, SB_GRADSCALE_NORM = 2 };

typedef struct {
    int vocab;          /* V: vocabulary size */
    int max_len;        /* P: positions the model has (learned table size, RoPE/bias range) */
    int width;          /* C (H in ALBERT's notation): residual stream width */
    int embed;          /* E: embedding width; E < C factorises with an E->C projection */
    int layers;         /* N: depth */
    int heads;          /* NH: query heads */
    int kv_heads;       /* G: key/value heads (G = NH ordinary, 1 < G < NH grouped, 1 multi-query) */
    int ffn;            /* F: feed-forward width */
    int causal;         /* 1 decoder (causal mask), 0 encoder (bidirectional) */
    int post_ln;        /* 0 pre-LN (GPT-2), 1 post-LN (BERT/ALBERT) */
    int type_vocab;     /* token types (0 none, 2 for BERT/ALBERT) */
    int embed_ln;       /* LayerNorm on the embeddings (width E) */
    int final_ln;       /* LayerNorm after the last layer (pre-LN models) */
    int pos;            /* SB_POS_*: learned absolute, RoPE, T5 relative bias, none */
    int rel_buckets;    /* T5 relative-position buckets */
    int rel_max_dist;   /* T5 max distance */
    int layer_pos_bias; /* learnable per-layer relative-position attention bias */
    int layerscale;     /* per-layer learned residual scales (CaiT LayerScale) */
    int tied;           /* output head tied to the token embedding (Press & Wolf) */
    int pooler;         /* dense+tanh on position 0 before the head (BERT/ALBERT) */
    int ln_shared;      /* LayerNorms shared with their block (ALBERT, Takase) or per layer */
    int grad_scale;     /* SB_GRADSCALE_*: depth-based rescaling of a shared weight's contributions */
    float ln_eps;
    float init_std;
    float layerscale_init;
    float rope_base;
    char sharing[SB_SPEC_LEN];      /* both sublayers, e.g. "cycle:3+lowrank:4" */
    char sharing_attn[SB_SPEC_LEN]; /* optional override of the attention map */
    char sharing_ffn[SB_SPEC_LEN];  /* optional override of the feed-forward map */
    int factor;                     /* R: block matrices stored as W = U V^T of rank R (0: dense) */
    char factor_mats[SB_SPEC_LEN];  /* which matrices factor applies to: all, attn, ffn or a list wq,wk,... */
} sb_config;

/* Fill with the defaults: a small pre-LN causal model, 4 layers of width 128. */
void sb_config_default(sb_config *c);

/* Load a named preset (see sb_config_presets). Returns 0, or -1 with a message. */
int sb_config_preset(sb_config *c, const char *name, char *err, size_t errlen);

/* NULL-terminated list of preset names. */
const char *const *sb_config_presets(void);

/* Set one field from its key and textual value. Returns 0, or -1 with a message
** naming the key and value and saying what would be accepted. */
int sb_config_set(sb_config *c, const char *key, const char *value, char *err, size_t errlen);

/* What `sharebench keys` says about a key: its type, the values it takes, a sentence. */
typedef struct {
    const char *key;
    const char *type;      /* "integer", "0 or 1", "number", "word" or "text" */
    char range[160];       /* "1 to 65536", or the words it takes; empty for free text */
    const char *help;
} sb_key_info;

/* Describe the i-th model key (sb_config_keys order). 0, or -1 past the last. */
int sb_config_key_info(int i, sb_key_info *k);

/* Write a field's value as text. Returns 0, or -1 for an unknown key. */
int sb_config_get(const sb_config *c, const char *key, char *out, size_t outlen);

/* NULL-terminated list of all keys, in a stable order (for hashing, metadata, export). */
const char *const *sb_config_keys(void);

/* 1 when key was added after the first checkpoint format and value is its
** default: such keys are left out of hashes at their default, and a
** checkpoint or stored run that lacks them means the default, so identities
** recorded before they existed do not change. 0 otherwise. */
int sb_config_key_default(const char *key, const char *value);

/* The block matrices factor:R applies to, as a bit per matrix in the order
** wq wk wv wo w1 w2 (bit 0 = wq); -1 with a message when factor_mats is not
** understood. */
int sb_config_factor_mask(const sb_config *c, char *err, size_t errlen);

/* Check the configuration's own values: each within its range, heads dividing
** the width, key/value heads dividing the heads, factor_mats understood and
** factor:R smaller than the matrices it factorises. The sharing is checked by
** sharing.h's sb_sharing_resolve, which calls this first. Returns 0, or -1
** with a message naming the value and what would fit. */
int sb_config_check(const sb_config *c, char *err, size_t errlen);

/* Write a float as the shortest text that reads back exactly ("0.02"). */
void sb_format_float(char *out, size_t len, float v);

/* Stable 64-bit hash of every key's value (the configuration's identity). */
unsigned long long sb_config_hash(const sb_config *c);

#endif
