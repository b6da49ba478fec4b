/*
** kvcache.h: token-by-token decoding with a key/value cache.
**
** The cache holds keys and values only for the depths that compute them, so
** cross-layer attention (kv_share:S) divides it by S and grouped-query heads by
** heads/kv_heads: bytes = 2 * (N/S) * G * hd * T * B * 4 (Brandon et al. 2024);
** attention-map reuse (attn_reuse:S) keeps keys only at the N/S depths that
** compute maps, values at every depth. YOCO (yoco:W, Sun et al. 2024) keeps
** the N/2 self-decoder depths' keys and values, over their last W positions
** when W > 0, and one global key/value pair for the cross-decoder:
** bytes = 2 (floor(N/2) min(W, T) + T) G hd B 4 (min(W, T) = T when W = 0).
** Layer-Condensed KV Cache (lckv:W, Wu & Tu 2024) keeps the W warmup depths'
** and the top condensed depth's: bytes = 2 (W + 1) G hd T B 4.
** A decoding step feeds one token per sequence and returns the next-token
** distribution; it matches the full forward pass at that position (lckv: at
** positions below 7 + 2, where its iterated forward is exact; decoding is the
** sequential model the iteration approximates).
*/
#ifndef SB_KVCACHE_H
#define SB_KVCACHE_H

#include "model.h"

typedef struct sb_kvcache sb_kvcache;

/* A cache for B sequences of up to T positions (B and T at most the model's
** batch and length). Returns NULL with a message for an encoder (bidirectional)
** model or sizes out of range. */
sb_kvcache *sb_kvcache_create(sb_model *m, int B, int T, char *err, size_t errlen);
void sb_kvcache_free(sb_kvcache *kc);

/* Forget every position (start new sequences). Rebuilds effective weights. */
void sb_kvcache_reset(sb_kvcache *kc);

/* Positions filled so far, and the cache's size in bytes. */
int sb_kvcache_len(const sb_kvcache *kc);
long sb_kvcache_bytes(const sb_kvcache *kc);

/* Feed tokens (B), one per sequence, at the next position. Returns the
** probabilities of the next token (B,V), or NULL when the cache is full. */
const real *sb_decode_step(sb_kvcache *kc, const int *tokens);

#endif
