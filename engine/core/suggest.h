/*
** suggest.h: "did you mean": the known name closest to a mistyped one, for
** the messages that refuse an unknown key, task, sharing mode, preset or
** command. Closeness is the optimal string alignment distance (Levenshtein's
** insertions, deletions and substitutions, plus swaps of two neighbouring
** letters, so 'widht' is one edit from 'width').
*/
#ifndef SB_SUGGEST_H
#define SB_SUGGEST_H

#include <stddef.h>

/* The name of names (NULL-terminated) closest to word, when close enough to be
** a likely typo (at most 1 edit for words of up to 4 characters, 2 up to 8, 3
** beyond), else NULL. Ties go to the first in the list. */
const char *sb_suggest(const char *word, const char *const *names);

/* " (did you mean 'NAME'?)" into out when sb_suggest finds a name, else "". Returns out. */
const char *sb_suggest_text(const char *word, const char *const *names, char *out, size_t len);

#endif
