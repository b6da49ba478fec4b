/*
** validate.c: the whole-configuration check of validate.h.
*/
#include "validate.h"
#include "sharing.h"
#include <stdio.h>

int sb_config_validate(const sb_config *c, char *err, size_t errlen)
{
    if (sb_config_check(c, err, errlen)) return -1;
    sb_sharing s;
    if (sb_sharing_resolve(c, &s, err, errlen)) return -1;
    int mask = sb_config_factor_mask(c, err, errlen);
    if (mask < 0) return -1;
    if (c->factor) {
        if (s.lowrank || s.hyper) {
            snprintf(err, errlen, "factor=%d with sharing '%s': lowrank and hyper build each depth's weights from the block's "
                     "matrix, which factor:R replaces by U V^T; use one or the other", c->factor, c->sharing);
            return -1;
        }
        if (s.progressive) {
            snprintf(err, errlen, "factor=%d with sharing '%s': progressive merging averages weights, and the average of factors "
                     "U, V is not the average of the matrices U V^T; train factor:R under the target sharing instead", c->factor, c->sharing);
            return -1;
        }
        /* factors that are not smaller than the matrix save nothing */
        int C = c->width, F = c->ffn, Ckv = (c->kv_heads ? c->kv_heads : c->heads) * (c->width / c->heads);
        int outs[6] = { C, Ckv, Ckv, C, F, C }, ins[6] = { C, C, C, C, C, F };
        static const char *const mats[] = { "wq", "wk", "wv", "wo", "w1", "w2" };
        for (int k = 0; k < 6; k++) {
            long most = ((long)outs[k] * ins[k] - 1) / (outs[k] + ins[k]);
            if ((mask >> k & 1) && c->factor > most) {
                snprintf(err, errlen, "factor=%d: %s is %d x %d, and rank %d factors (%ld parameters) are not smaller than the "
                         "matrix (%ld); pick factor at most %ld, or leave %s out of factor_mats", c->factor, mats[k], outs[k], ins[k],
                         c->factor, (long)c->factor * (outs[k] + ins[k]), (long)outs[k] * ins[k], most, mats[k]);
                return -1;
            }
        }
    }
    return 0;
}
