/*
** fuzz_runpack.c: runs as bytes (sb_run_unpack in bench/results/runpack.c), as rank 0
** of a distributed sweep reads what a worker sends: unpacked, then committed
** to a database (a new one in memory each time, as a store's file would take
** it) and packed again; what packs must unpack to a run that packs the same.
*/
#include "fuzz.h"
#include "results/runpack.h"
#include "results/store.h"
#include <stdlib.h>
#include <string.h>

int sb_fuzz_runpack(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    sb_run *r = sb_run_unpack(data, size, err, errlen);
    if (!r) return -1;
    sb_store *st = sb_store_open(":memory:", 0, err, errlen);
    long id = st ? sb_store_commit(st, r, err, errlen) : -1;
    sb_store_close(st);
    /* a run packs into bytes that unpack to a run packing the same again */
    size_t n1, n2;
    void *p1 = sb_run_pack(r, &n1), *p2 = NULL;
    sb_run *again = p1 ? sb_run_unpack(p1, n1, NULL, 0) : NULL;
    if (p1 && (!again || !(p2 = sb_run_pack(again, &n2)) || n1 != n2 || memcmp(p1, p2, n1))) __builtin_trap();
    free(p1);
    free(p2);
    sb_run_free(again);
    sb_run_free(r);
    return id < 0 ? -1 : 0;
}

SB_FUZZ_MAIN(runpack)
