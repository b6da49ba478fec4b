/*
** untie_at.h: selective untying at the depths the shared model's own
** measurements choose (untie_by=grad or heads with init_from and
** sharing=...+untie:K), in place of untie:K's last K depths.
**
** At the untie point the model loaded from the checkpoint, or when its
** sharing is not the run's without untie:K a copy averaged into that, is
** scored on the first untie_samples sequences of the task's training split
** (engine/analysis/untie.h: relative gradient norms, or summed head
** importance); the loaded model is then reshared to the explicit map with
** the K best-scoring depths untied (sb_sharing_untie_at), weights and AdamW
** moments carried over as untie_by=last carries them to the last K. The choice depends on the checkpoint, the task's data (data_seed)
** and the keys alone, not on the seed. The run records the depths as its
** param untie_depths ("1,3"), the scores per depth as untie_scores, and the
** specification applied as sharing_applied; a checkpoint it saves holds that
** map.
*/
#ifndef SB_UNTIE_AT_H
#define SB_UNTIE_AT_H

#include "spec/spec.h"
#include "results/record.h"
#include "core/model.h"
#include "core/adamw.h"
#include "task.h"
#include <stdio.h>

/* Untie *m's depths as s->untie_by chooses, on sequences of length T of task,
** the new model built for batches B x Tmax. *m and opt are replaced. Records
** the params on r and a line on log (may be NULL). Returns 0, or -1 with a
** message. */
int sb_untie_measured(const sb_spec *s, sb_task *task, int T, sb_model **m, sb_adamw *opt, int B, int Tmax, sb_run *r, FILE *log,
                      char *err, size_t errlen);

#endif
