/*
** untie_at.c: untie:K at the depths the shared model's measurements choose
** (untie_at.h).
*/
#include "untie_at.h"
#include "analysis/untie.h"
#include "core/train.h"
#include <stdlib.h>
#include <string.h>

int sb_untie_measured(const sb_spec *s, sb_task *task, int T, sb_model **m, sb_adamw *opt, int B, int Tmax, sb_run *r, FILE *log,
                      char *err, size_t errlen)
{
    char base[SB_SPEC_LEN], spec[SB_SPEC_LEN], text[SB_MAX_LAYERS * 16];
    int k, n = s->untie_samples, N = sb_model_config(*m)->layers, shared[SB_MAX_LAYERS], depths[SB_MAX_LAYERS], rc = -1;
    double score[SB_MAX_LAYERS];
    sb_model *on = NULL;   /* the base model measured, when the checkpoint's sharing is not the base */
    size_t sz = sizeof(int) * (size_t)n * T;
    int *tok = malloc(sz), *typ = malloc(sz), *tgt = malloc(sz);
    if (!tok || !typ || !tgt) { snprintf(err, errlen, "untie: out of memory for %d sequences", n); goto out; }
    if (sb_sharing_untie_base(&s->model, base, sizeof base, &k, err, errlen)) goto out;
    /* the shared model the depths are chosen on: the checkpoint's, or a copy averaged into the base when it differs
    ** (the checkpoint itself is then reshared straight to the chosen map, as untie_by=last reshares it to the last K) */
    if (strcmp(sb_model_config(*m)->sharing, base)) {
        sb_config bc = *sb_model_config(*m);
        snprintf(bc.sharing, sizeof bc.sharing, "%s", base);
        bc.sharing_attn[0] = bc.sharing_ffn[0] = 0;
        if (!(on = sb_model_create(&bc, B, Tmax, (uint64_t)s->seed, 0, err, errlen)) ||
            sb_model_remap(*m, NULL, NULL, on, NULL, NULL, err, errlen)) goto out;
    }
    if (sb_task_examples(task, SB_SPLIT_TRAIN, 0, n, tok, typ, tgt)) { snprintf(err, errlen, "untie: %s", sb_task_error(task)); goto out; }
    if (!strcmp(s->untie_by, "grad") ? sb_untie_grad_scores(on ? on : *m, tok, typ, tgt, n, T, score, err, errlen)
                                     : sb_untie_head_scores(on ? on : *m, tok, typ, tgt, n, T, score, err, errlen)) goto out;
    sb_sharing_shared_depths(sb_model_sharing(on ? on : *m), shared);
    if (sb_untie_choose(score, shared, N, k, depths)) {
        snprintf(err, errlen, "untie: sharing '%s' shares fewer than %d depths", base, k);
        goto out;
    }
    if (sb_sharing_untie_at(&s->model, depths, k, spec, sizeof spec, err, errlen) ||
        sb_reshare(m, opt, spec, B, Tmax, (uint64_t)s->seed, err, errlen)) goto out;
    size_t w = 0;
    for (int j = 0; j < k; j++) w += (size_t)snprintf(text + w, sizeof text - w, "%s%d", j ? "," : "", depths[j]);
    sb_run_param(r, "untie_depths", text);
    if (log) fprintf(log, "  untie_by=%s: depths %s untied (%s)\n", s->untie_by, text, spec);
    w = 0;
    for (int l = 0; l < N; l++) w += (size_t)snprintf(text + w, sizeof text - w, "%s%.6g", l ? "," : "", score[l]);
    sb_run_param(r, "untie_scores", text);
    sb_run_param(r, "sharing_applied", spec);
    rc = 0;
out:
    sb_model_free(on);
    free(tok); free(typ); free(tgt);
    return rc;
}
