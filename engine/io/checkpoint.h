/*
** checkpoint.h: models in safetensors files, and their AdamW state in files
** of their own.
**
** A checkpoint is a standard safetensors file: each unique tensor stored once
** under its table name ("attn.0.wq", in PyTorch's (out, in) layout), and a
** header whose __metadata__ has "format" = "pt" (what the safetensors and
** transformers loaders expect) and the project's own keys under
** "sharebench.": "sharebench.format" (2), "sharebench.content" ("weights"),
** every configuration key as "sharebench.config.<key>", the resolved maps
** ("sharebench.sharing.attn" = "0,0,1,1", ".ffn", ".kv"). The optimizer state
** is a second file (content "optimizer"): "<name>.exp_avg" and
** "<name>.exp_avg_sq" for every tensor (PyTorch's names for AdamW's moments),
** the step as "sharebench.optim.step", and the same configuration keys.
** Files of the first format ("format" = "sharebench-1", keys "config.*",
** moments "optim.m.<name>" in the checkpoint itself) still load.
*/
#ifndef SB_CHECKPOINT_H
#define SB_CHECKPOINT_H

#include "core/model.h"
#include "core/adamw.h"

/* Save m's weights to path, atomically. extra is a NULL-terminated list of
** key, value pairs added to the metadata (may be NULL; name them
** "sharebench.<something>"). Returns 0, or -1 with a message naming the file. */
int sb_checkpoint_save(const char *path, const sb_model *m, const char *const *extra, char *err, size_t errlen);

/* Save o's moments and step for model m to path, atomically, as a file of
** its own. Returns 0, or -1 with a message naming the file. */
int sb_checkpoint_save_optim(const char *path, const sb_model *m, const sb_adamw *o, char *err, size_t errlen);

/* Save m for deployment, atomically: each block matrix in the smallest of
** dense ("NAME"), sparse ("NAME.mask", a bit per entry, and "NAME.values",
** the nonzero values), int8 ("NAME.qweight" codes with "NAME.scale" per row
** and "NAME.act_scale", when m is quantised: quant.h) or sparse int8
** ("NAME.mask" and "NAME.qvalues"), so that no name holds anything but the
** dense tensor of its shape; everything else dense. Loads with
** sb_checkpoint_load. Returns 0, or -1 with a message naming the file. */
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

/* The configuration an optimizer state file (sb_checkpoint_save_optim) was
** saved for. Returns 0, or -1 with a message naming the file and the key. */
int sb_checkpoint_optim_config(const char *path, sb_config *c, char *err, size_t errlen);

/* Load the weights into m, which must have been built from the checkpoint's
** configuration: every tensor present, with its shape and dtype. Compressed
** checkpoints load too: sparse tensors are expanded, and int8 ones make m a
** quantised model with exactly the stored codes and scales (its float weights
** their dequantised values); a plain checkpoint leaves m unquantised. Returns
** 0, or -1 with a message naming the file and the tensor; m is unchanged on
** error. */
int sb_checkpoint_load(const char *path, sb_model *m, char *err, size_t errlen);

/* Load AdamW's moments and step for m into o: from a file written by
** sb_checkpoint_save_optim, or from a first-format checkpoint that holds
** them. Returns 0, or -1 with a message naming the file and the tensor; o is
** unchanged on error. */
int sb_checkpoint_load_optim(const char *path, const sb_model *m, sb_adamw *o, char *err, size_t errlen);

#endif
