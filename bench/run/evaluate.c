/*
** evaluate.c: a model scored on a split of its task (see evaluate.h).
*/
#include "evaluate.h"
#include <math.h>
#include <string.h>

int sb_evaluate(sb_model *m, sb_task *task, int split, long n, int B, int *tok, int *typ, int *tgt, sb_score *sc,
                double *loss)
{
    const sb_task_info *info = sb_task_get_info(task);
    int T = split == SB_SPLIT_TEST_LONG ? info->long_length : info->length;
    double total = 0;
    long scored = 0;
    memset(sc, 0, sizeof *sc);
    if (n > info->split_size[split]) n = info->split_size[split];
    for (long first = 0; first < n; first += B) {
        int b = n - first < B ? (int)(n - first) : B;
        if (sb_task_examples(task, split, first, b, tok, typ, tgt)) return -1;
        long count = 0;
        for (long p = 0; p < (long)b * T; p++) count += tgt[p] >= 0;
        /* the forward's loss is the mean over this batch's scored positions */
        double l = sb_model_forward(m, tok, typ, tgt, NULL, b, T);
        if (count) total += l * count;
        scored += count;
        sb_score_add(sc, info, sb_model_probs(m), tgt, b, T);
    }
    *loss = scored ? total / scored : NAN;
    return 0;
}
