/*
** fuzz_wn_data.c: WordNet data files (data.noun, data.verb, ...; suites/wordnet.c),
** read by the reader with every field of every synset looked at, then as the
** tasks built on them read them (supersense and lm open a WordNet directory
** whose data.noun is the input).
*/
#include "fuzz.h"
#include "wordnet.h"
#include "task.h"
#include <string.h>

static int touch(const sb_wn_synset *s, void *ctx, char *err, size_t errlen)
{
    size_t *sum = ctx;
    (void)err, (void)errlen;
    for (int i = 0; i < s->w_cnt; i++) *sum += strlen(s->words[i]) + (size_t)s->lex_ids[i];
    *sum += strlen(s->gloss) + strlen(s->path) + (size_t)s->lex_filenum;
    if (!sb_wn_lexname(s->lex_filenum)) __builtin_trap();
    return 0;
}

int sb_fuzz_wn_data(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    size_t sum = 0;
    const char *path = sb_fuzz_write("data.any", data, size, err, errlen);
    if (!path) return -1;
    long n = sb_wn_read_data(path, 0, touch, &sum, err, errlen);
    if (sb_fuzz_wordnet("data.noun", data, size, err, errlen)) return -1;
    static const char *const tasks[] = { "supersense", "lm" };
    char terr[1024];
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++) {
        sb_task *t = sb_task_open(tasks[i], NULL, 1, terr, sizeof terr);
        if (!t && !terr[0]) __builtin_trap();   /* refused without a message */
        sb_task_close(t);
    }
    sb_fuzz_wordnet_done();
    return n < 0 ? -1 : 0;
}

SB_FUZZ_MAIN(wn_data)
