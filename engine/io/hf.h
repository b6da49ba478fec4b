/*
** hf.h: models as Hugging Face transformers stores them: a directory with
** config.json and model.safetensors that transformers' own classes load, and
** back. Two families have a counterpart in transformers:
**   GPT-2 (GPT2LMHeadModel): causal, pre-LN, learned positions, a final
**     LayerNorm, no factorised embeddings; shared blocks are unrolled into
**     one layer per depth (GPT-2 has no sharing), tied embeddings stay tied;
**   ALBERT (AlbertModel): bidirectional, post-LN, embedding LayerNorm; the
**     depths that hold identical weights become ALBERT's layer groups
**     (num_hidden_groups, inner_group_num), so an `all`-shared encoder is one
**     ALBERT layer. sharebench's head (a projection to the embedding width,
**     tied to the embeddings, position 0 through the pooler) is not ALBERT's
**     masked-LM head (dense, GELU, LayerNorm, output bias), so it goes to
**     sharebench_head.safetensors beside the model, and config.json says how
**     the logits follow from AlbertModel's output.
** Weights follow transformers' layouts: Linear (out, in), GPT-2's Conv1D
** (in, out) with c_attn holding query, key and value side by side; the GELU is
** the tanh form ("gelu_new"), LayerNorm epsilon is the model's ln_eps.
** Everything else (rotary or relative positions, grouped or shared keys and
** values, post-LN decoders, pre-LN encoders, int8) is refused with the key
** that has no counterpart. Per-depth corrections (lowrank, hyper),
** factorised matrices and LayerScale are multiplied out: the exported
** weights compute the same function.
*/
#ifndef SB_HF_H
#define SB_HF_H

#include "core/model.h"

enum { SB_HF_GPT2 = 1, SB_HF_ALBERT = 2 };

/* The transformers family m maps onto (SB_HF_GPT2 or SB_HF_ALBERT), or -1 with
** a message naming the key that has no counterpart there. */
int sb_hf_family(const sb_model *m, char *err, size_t errlen);

/* Write dir/config.json and dir/model.safetensors (and, for ALBERT,
** dir/sharebench_head.safetensors) for m, creating dir when missing and
** replacing those files whole. source names the checkpoint in config.json
** (may be NULL). *layers_out gets the layers written (GPT-2: the depth;
** ALBERT: the distinct layers kept). Returns 0, or -1 with a message. */
int sb_hf_export(sb_model *m, const char *dir, const char *source, int *layers_out, char *err, size_t errlen);

/* Read a transformers GPT-2 or ALBERT directory (config.json and
** model.safetensors in float32, float16 or bfloat16; ALBERT's head from
** sharebench_head.safetensors, else from a masked-LM head's dense layer) into
** a new model, built for batches of B sequences of T tokens. note gets what
** the conversion could not carry exactly ("" when it is exact). Returns the
** model, or NULL with a message naming the file, key or tensor. */
sb_model *sb_hf_import(const char *dir, int B, int T, char *note, size_t notelen, char *err, size_t errlen);

#endif
