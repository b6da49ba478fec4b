/*
** fuzz_wn_lexnames.c: WordNet lexnames files (suites/wordnet.c), read by the
** reader, then as the supersense task reads one where it exists.
*/
#include "fuzz.h"
#include "wordnet.h"
#include "task.h"
#include <string.h>

int sb_fuzz_wn_lexnames(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    char names[SB_WN_LEXNAMES][32];
    memset(names, 0, sizeof names);
    const char *path = sb_fuzz_write("lexnames.any", data, size, err, errlen);
    if (!path) return -1;
    int n = sb_wn_read_lexnames(path, names, err, errlen);
    for (int i = 0; n >= 0 && i < SB_WN_LEXNAMES; i++)
        if (strnlen(names[i], 32) == 32) __builtin_trap();   /* a name without its terminator */
    if (sb_fuzz_wordnet("lexnames", data, size, err, errlen)) return -1;
    char terr[1024];
    sb_task *t = sb_task_open("supersense", NULL, 1, terr, sizeof terr);
    if (!t && !terr[0]) __builtin_trap();
    sb_task_close(t);
    sb_fuzz_wordnet_done();
    return n < 0 ? -1 : 0;
}

SB_FUZZ_MAIN(wn_lexnames)
