/*
** text.h: characters as tokens, and item splits, for the real-text tasks.
**
** Text is lower-cased and mapped to a 53-token character vocabulary: 0 PAD,
** 1 end of text (also the separator before a label), 2 space, 3..28 a-z,
** 29..38 0-9, 39..51 the punctuation " ; ( ) - , ' . : ` ? ! /, and 52 for
** any other byte. Labels of classification tasks follow at 53.
** Items (glosses, words) go to splits by a hash of their text with a fixed
** key: 80% train, 10% valid, 10% test, the same for every seed, and equal
** texts always to the same split.
*/
#ifndef SU_TEXT_H
#define SU_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define SU_CHAR_VOCAB 53
#define SU_CHAR_END 1

/* The token of byte c. */
int su_char_token(unsigned char c);
/* The split (SB_SPLIT_TRAIN, _VALID or _TEST) of an item with this text. */
int su_text_split(const char *s, size_t n);
/* The item's fixed order key within its split (a hash independent of the split's). */
uint64_t su_text_order(const char *s, size_t n);

#endif
