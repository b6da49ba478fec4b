/*
** budget.h: the longest sequence whose training step fits a memory budget,
** from the engine's exact accounting (sb_model_plan: parameters, gradients,
** AdamW moments, activations and backward scratch of one step), to test the
** claim that sharing lets longer sequences fit.
*/
#ifndef SB_BUDGET_H
#define SB_BUDGET_H

#include "core/config.h"
#include "results/runset.h"

/* The longest sequence the report and the claims look for (the binary
** search's upper end); a sequence that still fits is shown as this and more. */
#define SB_BUDGET_MAX_T (1L << 17)

/* Bytes of one training step of configuration c at batch B and length T (the
** model given max_len = T positions). -1 with a message when c cannot be built. */
double sb_budget_step_bytes(const sb_config *c, int B, long T, char *err, size_t errlen);

/* The longest T in [1, max_T] whose step fits in budget bytes (binary search;
** the step's bytes grow with T), 0 when not even T = 1 fits, -1 with a message
** when c cannot be built. */
long sb_budget_longest(const sb_config *c, int B, double budget, long max_T, char *err, size_t errlen);

/* The model configuration a run recorded (its params that are model keys).
** 0, or -1 with a message naming the key and value. */
int sb_budget_config_of(const sb_rs_run *r, sb_config *c, char *err, size_t errlen);

/* Parse a size: "512MiB", "16GiB", "1.5GB", "1000000" (bytes); one-letter
** units are binary, as ulimit and sort -S take them ("512M" = 512 MiB). 0, or -1. */
int sb_budget_parse_size(const char *text, double *bytes);

#endif
