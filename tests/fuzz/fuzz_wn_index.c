/*
** fuzz_wn_index.c: WordNet index files (index.noun, ...; suites/wordnet.c), read
** by the reader with every field of every lemma looked at, then as the morph
** task reads them (a WordNet directory whose index.noun is the input).
*/
#include "fuzz.h"
#include "wordnet.h"
#include "task.h"
#include <string.h>

static int touch(const sb_wn_index_entry *e, void *ctx, char *err, size_t errlen)
{
    long *sum = ctx;
    (void)err, (void)errlen;
    if (e->n_offsets > SB_WN_MAX_OFFSETS || e->n_offsets > e->synset_cnt) __builtin_trap();
    for (int i = 0; i < e->n_offsets; i++) *sum += e->offsets[i];
    *sum += (long)strlen(e->lemma) + e->pos + e->p_cnt + e->tagsense_cnt;
    return 0;
}

int sb_fuzz_wn_index(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    long sum = 0;
    const char *path = sb_fuzz_write("index.any", data, size, err, errlen);
    if (!path) return -1;
    long n = sb_wn_read_index(path, 0, touch, &sum, err, errlen);
    if (sb_fuzz_wordnet("index.noun", data, size, err, errlen)) return -1;
    char terr[1024];
    sb_task *t = sb_task_open("morph", NULL, 1, terr, sizeof terr);
    if (!t && !terr[0]) __builtin_trap();
    sb_task_close(t);
    sb_fuzz_wordnet_done();
    return n < 0 ? -1 : 0;
}

SB_FUZZ_MAIN(wn_index)
