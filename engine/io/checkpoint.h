/*
** checkpoint.h: models (and optionally their AdamW moments) in safetensors files.
**
** Each unique tensor is stored once under its table name ("attn.0.wq"); the
** moments, when saved, as "optim.m.<name>" and "optim.v.<name>". The header's
** __metadata__ carries every configuration key as "config.<key>", the resolved
** maps ("sharing.attn" = "0,0,1,1", "sharing.ffn", "sharing.kv"), the format
** ("format" = "sharebench-1"), the seed and the optimizer step. Python opens it
** with safetensors or with tests/torch_check.py's twenty-line reader.
*/
#ifndef SB_CHECKPOINT_H
#define SB_CHECKPOINT_H

#include "core/model.h"
#include "core/adamw.h"

/* Save m (and o's moments when o is not NULL) to path, atomically. extra is a
** NULL-terminated list of key, value pairs added to the metadata (may be NULL).
** Returns 0, or -1 with a message naming the file. */
int sb_checkpoint_save(const char *path, const sb_model *m, const sb_adamw *o, const char *const *extra,
                       char *err, size_t errlen);

/* Save m for deployment, atomically: no optimizer state; each block matrix
** in the smallest of dense, sparse (a bitmask and the nonzero values), int8
** (codes, per-row scales and activation scales, when m is quantised: quant.h)
** or sparse int8; everything else dense. Loads with sb_checkpoint_load.
** Returns 0, or -1 with a message naming the file. */
int sb_checkpoint_save_compressed(const char *path, const sb_model *m, const char *const *extra, char *err, size_t errlen);

/* Read the configuration a checkpoint was saved with. Returns 0, or -1 with a
** message naming the file and the key. */
int sb_checkpoint_config(const char *path, sb_config *c, char *err, size_t errlen);

/* Check a checkpoint whole, for checks before work starts: its configuration,
** and every tensor a model of that configuration needs (present, with its
** shape and dtype, compressed forms included) and no other, by loading it
** into the smallest such model (the memory of its parameters, three times).
** Returns 0, or -1 with a message naming the file and the tensor. */
int sb_checkpoint_check(const char *path, char *err, size_t errlen);

/* Load the weights (and, when o is not NULL and the file has them, the moments
** and step) into m, which must have been built from the checkpoint's
** configuration: every tensor present, with its shape and dtype. Compressed
** checkpoints load too: sparse tensors are expanded, and int8 ones make m a
** quantised model with exactly the stored codes and scales (its float weights
** their dequantised values); a plain checkpoint leaves m unquantised. Returns
** 0, or -1 with a message naming the file and the tensor; m is unchanged on
** error. */
int sb_checkpoint_load(const char *path, sb_model *m, sb_adamw *o, char *err, size_t errlen);

#endif
