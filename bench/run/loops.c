/*
** loops.c: looped training with the loops drawn per step (loops.h).
*/
#include "loops.h"
#include "stats/draw.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb_loops {
    sb_model *m;                      /* the model trained, at its own loops */
    sb_model *at[SB_MAX_LAYERS + 1];  /* the same looped p times, built when first drawn */
    int B, T, cap;
    uint64_t seed;
    sb_draw *g;
};

sb_loops *sb_loops_new(sb_model *m, int B, int T, uint64_t seed, char *err, size_t errlen)
{
    const sb_sharing *sh = sb_model_sharing(m);
    if (!sh->loops) {
        snprintf(err, errlen, "train_loops=sampled: the model is not looped (sharing '%s'); give sharing=loop:P,K,C", sb_model_config(m)->sharing);
        return NULL;
    }
    if (sh->mor) {   /* its router scores exactly r recursions */
        snprintf(err, errlen, "train_loops=sampled with sharing '%s': mor's router chooses among a fixed r recursions; use "
                 "train_loops=fixed", sb_model_config(m)->sharing);
        return NULL;
    }
    sb_loops *l = calloc(1, sizeof *l);
    if (l) l->g = sb_draw_new(seed);
    if (!l || !l->g) { free(l); snprintf(err, errlen, "out of memory"); return NULL; }
    l->m = m; l->B = B; l->T = T; l->seed = seed;
    int most = (SB_MAX_LAYERS - sh->loop_prelude - sh->loop_coda) / sh->loop_core;
    l->cap = 3 * sh->loops < most ? 3 * sh->loops : most;
    return l;
}

void sb_loops_free(sb_loops *l)
{
    if (!l) return;
    for (int p = 0; p <= SB_MAX_LAYERS; p++) sb_model_free(l->at[p]);
    sb_draw_free(l->g);
    free(l);
}

int sb_loops_draw(sb_loops *l, int r)
{
    double sigma = 0.5;
    int p = (int)sb_draw_lognormal_poisson(l->g, log((double)r) - sigma * sigma / 2, sigma);
    return p < l->cap ? p : l->cap;
}

sb_model *sb_loops_step(sb_loops *l, int *loops, char *err, size_t errlen)
{
    const sb_sharing *sh = sb_model_sharing(l->m);
    int p = *loops = sb_loops_draw(l, sh->loops);
    if (p == sh->loops) return l->m;
    if (!l->at[p]) {
        sb_config c = *sb_model_config(l->m);
        sb_sharing tsh;
        c.layers = sh->loop_prelude + sh->loop_core * p + sh->loop_coda;
        if (sb_sharing_resolve(&c, &tsh, err, errlen)) return NULL;
        if (!(l->at[p] = sb_model_create_with(&c, &tsh, l->B, l->T, l->seed, 0, err, errlen))) return NULL;
        /* the same tensors at the same offsets, so AdamW's moments, indexed by offset, serve every draw */
        int same = sb_model_n_params(l->at[p]) == sb_model_n_params(l->m) && sb_model_tensor_count(l->at[p]) == sb_model_tensor_count(l->m);
        for (int i = 0; same && i < sb_model_tensor_count(l->m); i++)
            same = !strcmp(sb_model_tensor(l->at[p], i)->name, sb_model_tensor(l->m, i)->name) &&
                   sb_model_tensor(l->at[p], i)->offset == sb_model_tensor(l->m, i)->offset;
        if (!same) {
            snprintf(err, errlen, "train_loops=sampled: the model looped %d times has other tensors than at %d loops (tensors of its "
                     "depths' own); set ln_shared=1 and leave per-depth tensors off",
                     p, sh->loops);
            return NULL;
        }
    }
    if (sb_model_copy_named(l->m, l->at[p], err, errlen)) return NULL;
    return l->at[p];
}

void sb_loops_done(sb_loops *l, sb_model *stepped)
{
    if (stepped != l->m) memcpy(sb_model_params(l->m), sb_model_params(stepped), sizeof(real) * sb_model_n_params(l->m));
}
