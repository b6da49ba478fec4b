/*
** train.h: one training step, and changing a model's sharing while it trains.
*/
#ifndef SB_TRAIN_H
#define SB_TRAIN_H

#include "model.h"
#include "adamw.h"

/* Forward, backward and one AdamW update on a batch. Returns the loss before
** the update; *grad_norm (when not NULL) gets the gradient norm. A non-finite
** loss or gradient leaves the parameters unchanged (the caller records the
** run as diverged). */
double sb_train_step(sb_model *m, sb_adamw *o, const int *tokens, const int *types, const int *targets,
                     int B, int T, double *grad_norm);

/* Replace *m by a model with the sharing specification spec (same architecture,
** same batch and length), carrying weights and AdamW moments over with
** sb_model_remap: merging averages (progressive), untying copies (untie:K).
** New tensors start from seed. On error *m and *o are unchanged. */
int sb_reshare(sb_model **m, sb_adamw *o, const char *spec, int B, int T, uint64_t seed, char *err, size_t errlen);

#endif
