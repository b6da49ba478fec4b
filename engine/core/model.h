/*
** model.h: a transformer whose layers draw their weights from shared blocks.
**
** A model is built from a configuration (config.h) for a maximum batch B and
** length T. At creation it lays out, once: the unique parameters and their
** gradients (one buffer each, tensors named as in checkpoints), the
** activations of one step, and the backward scratch; nothing is allocated in
** a step. Which depth uses which block is the resolved sharing (sharing.h).
**
** What analyses need is exposed: attention probabilities, every layer's output,
** the gradient with respect to the token embeddings, a per-head gate gradient,
** and, when tracking is on, each depth's separate contribution to a shared
** block's gradient.
*/
#ifndef SB_MODEL_H
#define SB_MODEL_H

#include "config.h"
#include "sharing.h"
#include "real.h"
#include <stdint.h>

/* Which part of the model a tensor belongs to, for accounting. */
enum {
    SB_COMP_EMBED, SB_COMP_EMBED_PROJ, SB_COMP_POSITION, SB_COMP_ATTN, SB_COMP_KV, SB_COMP_FFN,
    SB_COMP_LAYERNORM, SB_COMP_LAYER, SB_COMP_LOWRANK, SB_COMP_HYPER, SB_COMP_BASIS, SB_COMP_ROUTER, SB_COMP_POOLER, SB_COMP_HEAD,
    SB_COMP_COUNT
};
/* Names of the components, indexed by SB_COMP_*. */
extern const char *const sb_comp_names[SB_COMP_COUNT];

typedef struct {
    char name[48];   /* checkpoint key, e.g. "attn.0.wq", "layer.3.ln1.w" */
    int ndim;        /* 1 or 2 */
    int shape[2];
    long offset;     /* into the parameter (and gradient, moment) buffers */
    long numel;
    int comp;        /* SB_COMP_* */
    int block;       /* block index for attn/kv/ffn block tensors, -1 otherwise */
    int layer;       /* depth for per-layer tensors, -1 otherwise */
    int decay;       /* 1 when AdamW weight decay applies (matrices) */
    int uses;        /* depth positions that use it */
    long slot_off;   /* offset inside a depth slot for block tensors, -1 otherwise */
} sb_tensor;

/* Memory of one training step, in bytes, from the layout (exact, not estimated). */
typedef struct {
    long params, grads, optim;   /* unique parameters, their gradients, AdamW moments */
    long acts;                   /* activations kept for the backward */
    long scratch;                /* backward scratch and per-depth buffers */
    long total_params;           /* parameters counting every depth's use of a shared block */
    long shared_every;           /* parameters of blocks used at several depths, counted at each use */
    long comp[SB_COMP_COUNT];        /* unique parameters per component */
    long comp_every[SB_COMP_COUNT];  /* parameters per component counting every depth's use */
} sb_memory;

typedef struct sb_model sb_model;

/* Build a model for batches up to B sequences of up to T tokens (T <= max_len),
** initialised from seed. track_depth keeps each depth's gradient contribution
** to shared blocks (costs one unshared copy of the blocks). Returns NULL with a
** message when the configuration cannot be built. Resolves c's sharing
** (sb_sharing_resolve); sb_model_create_with takes a resolution already made,
** sh of c, so that a caller building several models resolves once. */
sb_model *sb_model_create(const sb_config *c, int B, int T, uint64_t seed, int track_depth,
                          char *err, size_t errlen);
sb_model *sb_model_create_with(const sb_config *c, const sb_sharing *sh, int B, int T, uint64_t seed,
                               int track_depth, char *err, size_t errlen);
void sb_model_free(sb_model *m);

/* Exact sizes for a configuration without building it: unique parameter count
** and the memory of one step at B, T. Returns 0, or -1 with a message.
** sb_model_plan_with takes c's resolved sharing, as sb_model_create_with. */
int sb_model_plan(const sb_config *c, int B, int T, int track_depth, long *n_params, sb_memory *mem,
                  char *err, size_t errlen);
int sb_model_plan_with(const sb_config *c, const sb_sharing *sh, int B, int T, int track_depth, long *n_params,
                       sb_memory *mem, char *err, size_t errlen);

const sb_config *sb_model_config(const sb_model *m);
/* The batch and length the model was built for (the most a forward may take). */
void sb_model_capacity(const sb_model *m, int *B, int *T);
const sb_sharing *sb_model_sharing(const sb_model *m);

/* Tensors of the unique parameters, in layout order. */
int sb_model_tensor_count(const sb_model *m);
const sb_tensor *sb_model_tensor(const sb_model *m, int i);
/* Index of the tensor called name, or -1. */
int sb_model_tensor_find(const sb_model *m, const char *name);

/* The parameter, gradient buffers (n_params reals each). */
long sb_model_n_params(const sb_model *m);
real *sb_model_params(sb_model *m);
real *sb_model_grads(sb_model *m);
void sb_model_memory(const sb_model *m, sb_memory *mem);

/* Forward over tokens (B,T); types (B,T) may be NULL; targets (B,T) with -1 for
** unscored positions may be NULL (no loss). embed_delta (B,T,E), when not NULL,
** is added to the token embeddings (adversarial perturbations). Returns the
** mean cross-entropy over scored positions (nats). */
double sb_model_forward(sb_model *m, const int *tokens, const int *types, const int *targets,
                        const real *embed_delta, int B, int T);

/* Gradients of the last forward's mean loss: zeroes and fills the gradient
** buffer, the token-embedding gradient, the head-gate gradients and, when
** tracking, the per-depth contributions. Needs targets in the forward. */
void sb_model_backward(sb_model *m);

/* The same backward from a given gradient of the loss with respect to the
** logits (B,T,V) of the last forward, in place of the cross-entropy's (for
** other losses on the logits: distillation). */
void sb_model_backward_logits(sb_model *m, const real *dlogits);

/* The logits (B,T,V) of the last forward into out (the forward keeps only the
** probabilities): the head's product again, on the same rows, so the same values. */
void sb_model_logits(sb_model *m, real *out);

/* Output probabilities (B,T,V) of the last forward. */
const real *sb_model_probs(const sb_model *m);
/* Attention probabilities (B,NH,T,T) of depth l in the last forward (row stride T); at lckv's depths reading the top
** one's keys, over those keys one position on (key j + 1 is position j, key 0 a masked zero, all of position 0's row). */
const real *sb_model_attention(const sb_model *m, int l);
/* Residual stream (B,T,C) after depth l (l = -1: the input to depth 0). */
const real *sb_model_layer_output(const sb_model *m, int l);
/* dL/d(token embedding) (B,T,E) of the last backward. */
const real *sb_model_embed_grad(const sb_model *m);
/* dL/dg for a gate g = 1 on each head's output, (B,NH) for depth l, per example. */
const real *sb_model_head_gate_grad(const sb_model *m, int l);
/* Depth l's contribution (in the tensor's shape) to the gradient of block tensor
** i, or NULL when tracking is off or depth l does not use that tensor. For
** lowrank and hyper this is the contribution to the shared base weight. */
const real *sb_model_contribution(const sb_model *m, int i, int depth);

/* Mixture-of-Recursions (sharing +mor; with +act, the Universal Transformer's
** recurrence steps until halting, its ponder time): the mean number of recursions per
** token (from 1 to r) over the forwards and decoding steps since the model was
** built or sb_model_depth_reset, and, when active is not NULL, the fraction of
** those tokens that reach each recursion k = 0..r-1 (active[0] = 1); 0 for a
** model without mor or act, or before any forward. */
double sb_model_mean_depth(const sb_model *m, double *active);
void sb_model_depth_reset(sb_model *m);

/* Expert-choice Mixture-of-Recursions (sharing +mor_expert): on (1), the
** forwards route by the causal rule, a token going on while its router's
** sigmoid is >= 0.5 (evaluation; decoding always does); off (0, the default),
** by each sequence's top-k (training). No effect on other models. */
void sb_model_set_causal_routing(sb_model *m, int on);

/* The auxiliary losses of the last forward that sb_model_backward
** differentiates besides the cross-entropy the forward returns: mor's
** balancing and z losses, act's ponder loss; 0 for other models. */
double sb_model_aux_loss(const sb_model *m);

/* Copy the weights (and AdamW moments when both given) of src into dst, whose
** configuration may differ from src's in sharing only. Each block of dst takes
** the mean of the src weights used at the depths it serves: merging averages
** (progressive), untying copies (untie:K). Tensors dst has and src lacks keep
** their initial values. Returns 0, or -1 with a message. */
int sb_model_remap(const sb_model *src, const real *src_m, const real *src_v, sb_model *dst, real *dst_m,
                   real *dst_v, char *err, size_t errlen);

/* Copy every parameter of dst from src's tensor of the same name and shape
** (a looped model into the same model looped another number of times: the
** blocks are the same tensors). Returns 0, or -1 with a message naming the
** first tensor of dst that src lacks. */
int sb_model_copy_named(const sb_model *src, sb_model *dst, char *err, size_t errlen);

#endif
