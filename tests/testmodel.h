/*
** testmodel.h: small models and batches for the engine's tests. A model's
** parameters are moved off their initialisation (LayerNorm gains of exactly 1
** and zero biases hide mistakes that any other values show), and a batch is
** random tokens with, optionally, some positions left unscored.
*/
#ifndef SB_TESTMODEL_H
#define SB_TESTMODEL_H

#include "testutil.h"
#include "core/model.h"
#include "core/rng.h"

/* A model of c for batches up to B x T, every parameter moved by scale times
** a normal draw from seed ("perturb" stream). Fails the test when c is refused. */
static inline sb_model *test_model_perturbed(const sb_config *c, int B, int T, uint64_t seed, double scale)
{
    char err[SB_ERR_LEN] = "";
    sb_model *m = sb_model_create(c, B, T, seed, 0, err, sizeof err);
    if (!m) print_error("%s\n", err);
    assert_non_null(m);
    sb_rng r;
    sb_rng_seed(&r, seed, "perturb");
    for (long i = 0; i < sb_model_n_params(m); i++) sb_model_params(m)[i] += (real)(scale * sb_rng_normal(&r));
    return m;
}

/* n tokens and targets below vocab drawn from seed ("batch" stream); with
** unscored, every third target from the second is -1 (not scored). */
static inline void test_batch(int *tok, int *tgt, int n, int vocab, uint64_t seed, int unscored)
{
    sb_rng r;
    sb_rng_seed(&r, seed, "batch");
    for (int i = 0; i < n; i++) {
        tok[i] = (int)sb_rng_below(&r, (uint32_t)vocab);
        tgt[i] = unscored && i % 3 == 1 ? -1 : (int)sb_rng_below(&r, (uint32_t)vocab);
    }
}

#endif
