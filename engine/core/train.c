/*
** train.c: the training step and sharing changes during training (progressive
** merging, untying for fine-tuning), on top of model.c and adamw.c.
*/
#include "train.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

double sb_train_step(sb_model *m, sb_adamw *o, const int *tokens, const int *types, const int *targets,
                     int B, int T, double *grad_norm)
{
    double loss = sb_model_forward(m, tokens, types, targets, NULL, B, T);
    double norm = NAN;
    if (isfinite(loss)) {
        sb_model_backward(m);
        norm = sb_adamw_step(o, m);
    }
    if (grad_norm) *grad_norm = norm;
    return isfinite(norm) ? loss : NAN;
}

int sb_reshare(sb_model **m, sb_adamw *o, const char *spec, int B, int T, uint64_t seed, char *err, size_t errlen)
{
    sb_config c = *sb_model_config(*m);
    if (strlen(spec) >= sizeof c.sharing) { snprintf(err, errlen, "sharing '%.40s...' is too long", spec); return -1; }
    snprintf(c.sharing, sizeof c.sharing, "%s", spec);
    c.sharing_attn[0] = c.sharing_ffn[0] = 0;
    sb_model *n = sb_model_create(&c, B, T, seed, 0, err, errlen);
    if (!n) return -1;
    sb_adamw no;
    if (sb_adamw_init(&no, &o->c, sb_model_n_params(n))) {
        sb_model_free(n);
        snprintf(err, errlen, "out of memory for the optimizer state");
        return -1;
    }
    if (sb_model_remap(*m, o->m, o->v, n, no.m, no.v, err, errlen)) {
        sb_adamw_free(&no);
        sb_model_free(n);
        return -1;
    }
    no.t = o->t;
    sb_adamw_free(o);
    *o = no;
    sb_model_free(*m);
    *m = n;
    return 0;
}
