/*
** text.c: the character vocabulary and item splits (see text.h).
*/
#include "text.h"
#include "rand.h"
#include "task.h"
#include <string.h>

static const char punct[] = "\";()-,'.:`?!/";

int su_char_token(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
    if (c >= 'a' && c <= 'z') return 3 + (c - 'a');
    if (c >= '0' && c <= '9') return 29 + (c - '0');
    if (c == ' ') return 2;
    if (c == '\n') return SU_CHAR_END;
    const char *p = c ? strchr(punct, c) : NULL;
    return p ? 39 + (int)(p - punct) : 52;
}

#define SPLIT_KEY 0x5368617265426e63ULL   /* "ShareBnc": fixed, so splits do not move with the seed */
#define ORDER_KEY 0x4f72646572536571ULL

int su_text_split(const char *s, size_t n)
{
    uint64_t b = su_hash_bytes(SPLIT_KEY, s, n) % 10;
    return b < 8 ? SB_SPLIT_TRAIN : b == 8 ? SB_SPLIT_VALID : SB_SPLIT_TEST;
}

uint64_t su_text_order(const char *s, size_t n) { return su_hash_bytes(ORDER_KEY, s, n); }
