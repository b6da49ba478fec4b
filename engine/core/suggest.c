/*
** suggest.c: the closest known name to a mistyped one (see suggest.h).
** Written out rather than taken from a library: Debian has no small C library
** for edit distances, and the distance is a dozen lines (the names compared
** are keys and task names, a few dozen characters at most).
*/
#include "suggest.h"
#include <stdio.h>
#include <string.h>

enum { MAXLEN = 64 };

/* Optimal string alignment distance between a and b (each cut at MAXLEN). */
static int distance(const char *a, const char *b)
{
    int n = (int)strnlen(a, MAXLEN), m = (int)strnlen(b, MAXLEN);
    int d[MAXLEN + 1][MAXLEN + 1];
    for (int i = 0; i <= n; i++) d[i][0] = i;
    for (int j = 0; j <= m; j++) d[0][j] = j;
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1], best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

const char *sb_suggest(const char *word, const char *const *names)
{
    size_t len = word ? strlen(word) : 0;
    if (!len || len > MAXLEN || !names) return NULL;
    int limit = len <= 4 ? 1 : len <= 8 ? 2 : 3, best = limit + 1;
    const char *pick = NULL;
    for (int i = 0; names[i]; i++) {
        int dist = distance(word, names[i]);
        if (dist < best && strcmp(word, names[i])) best = dist, pick = names[i];
    }
    return pick;
}

const char *sb_suggest_text(const char *word, const char *const *names, char *out, size_t len)
{
    const char *s = sb_suggest(word, names);
    if (s) snprintf(out, len, " (did you mean '%s'?)", s);
    else if (len) out[0] = 0;
    return out;
}
