/*
** items.c: labelled text items in splits (see items.h).
*/
#include "items.h"
#include "text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int su_items_add(su_items *it, const unsigned char *tok, int n, int label)
{
    if (it->n == it->cap) {
        long cap = it->cap ? 2 * it->cap : 4096;
        long *off = realloc(it->off, (size_t)cap * sizeof *off);
        if (off) it->off = off;
        int *len = realloc(it->len, (size_t)cap * sizeof *len);
        if (len) it->len = len;
        int *lab = realloc(it->label, (size_t)cap * sizeof *lab);
        if (lab) it->label = lab;
        if (!off || !len || !lab) return -1;
        it->cap = cap;
    }
    if (it->text_len + (size_t)n > it->text_cap) {
        size_t cap = it->text_cap ? 2 * it->text_cap : 1 << 20;
        while (cap < it->text_len + (size_t)n) cap *= 2;
        unsigned char *t = realloc(it->text, cap);
        if (!t) return -1;
        it->text = t, it->text_cap = cap;
    }
    if (n > 0) memcpy(it->text + it->text_len, tok, (size_t)n);   /* an empty item may come before any text */
    it->off[it->n] = (long)it->text_len;
    it->len[it->n] = n;
    it->label[it->n] = label;
    it->text_len += (size_t)n;
    if (label >= it->n_labels) it->n_labels = label + 1;
    it->n++;
    return 0;
}

typedef struct { uint64_t key; long item; } keyed;

static int by_key(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key ? 1 : x->item < y->item ? -1 : x->item > y->item;
}

int su_items_finish(su_items *it, sb_task *t, char *err, size_t errlen)
{
    keyed *k = malloc((size_t)(it->n ? it->n : 1) * sizeof *k);
    if (!k) {
        snprintf(err, errlen, "task %s: out of memory", t->info.name);
        return -1;
    }
    for (int s = 0; s < 3; s++) {
        long m = 0;
        for (long i = 0; i < it->n; i++) {
            const char *txt = (const char *)it->text + it->off[i];
            if (su_text_split(txt, (size_t)it->len[i]) != s) continue;
            uint64_t key = su_text_order(txt, (size_t)it->len[i]);
            if (s == SB_SPLIT_TRAIN) key = su_mix64(key ^ su_mix64(t->seed + 0x7261696eULL));
            k[m].key = key, k[m].item = i, m++;
        }
        qsort(k, (size_t)m, sizeof *k, by_key);
        long cap = s == SB_SPLIT_TRAIN ? t->train : t->eval;
        if (cap && m > cap) m = cap;
        it->split_items[s] = malloc((size_t)(m ? m : 1) * sizeof(long));
        if (!it->split_items[s]) {
            free(k);
            snprintf(err, errlen, "task %s: out of memory", t->info.name);
            return -1;
        }
        for (long i = 0; i < m; i++) it->split_items[s][i] = k[i].item;
        it->split_count[s] = m;
        t->info.split_size[s] = m;
        if (!m) {
            free(k);
            snprintf(err, errlen, "task %s: no items in the %s split", t->info.name, sb_split_name(s));
            return -1;
        }
    }
    free(k);
    long *freq = calloc((size_t)it->n_labels + 1, sizeof *freq);
    if (!freq) {
        snprintf(err, errlen, "task %s: out of memory", t->info.name);
        return -1;
    }
    int major = 0;
    for (long i = 0; i < it->split_count[SB_SPLIT_TRAIN]; i++) freq[it->label[it->split_items[SB_SPLIT_TRAIN][i]]]++;
    for (int l = 1; l < it->n_labels; l++)
        if (freq[l] > freq[major]) major = l;
    long hits = 0;
    for (long i = 0; i < it->split_count[SB_SPLIT_TEST]; i++) hits += it->label[it->split_items[SB_SPLIT_TEST][i]] == major;
    t->info.chance = (double)hits / it->split_count[SB_SPLIT_TEST];
    free(freq);
    t->info.split_size[SB_SPLIT_TEST_LONG] = 0;
    return 0;
}

int su_items_fetch(const su_items *it, int split, long index, int label_base, int T, int *tok, int *tgt)
{
    if (split < 0 || split > 2 || index < 0 || index >= it->split_count[split]) return -1;
    long item = it->split_items[split][index];
    int n = it->len[item];
    if (n + 1 > T) return -1;
    for (int i = 0; i < n; i++) tok[i] = it->text[it->off[item] + i];
    tok[n] = SU_CHAR_END;
    tgt[n] = label_base + it->label[item];
    return 0;
}

void su_items_free(su_items *it)
{
    free(it->text);
    free(it->off);
    free(it->len);
    free(it->label);
    for (int s = 0; s < 3; s++) free(it->split_items[s]);
    memset(it, 0, sizeof *it);
}
