/*
** lease.h: which process is running which cell, kept in the results
** database's leases table (store.h, schema version 2), so that sweeps of one
** file started at once share its cells: a sweep takes a cell's lease before it
** runs the cell and gives it back once the run is stored, and no sweep runs a
** cell whose result another stored, or whose lease a live process holds.
**
** A lease names its process by host, pid, start time and boot, so that a
** process that died (kill -9, a crash, a reboot) holds nothing: its leases
** are stale, and the next sweep that reaches the cell takes it over. A lease
** taken on another host is stale too: SQLite's write-ahead log works only
** among the processes of one host (https://sqlite.org/wal.html), so no
** process elsewhere can be writing this database. (Containers that share a
** database file see each other's leases hold only where they share the
** host name and the process namespace; otherwise each takes the other's
** leases for stale, and a cell may run in both, as before leases.)
*/
#ifndef SB_LEASE_H
#define SB_LEASE_H

#include "store.h"

/* A process holding (or having held) a lease. */
typedef struct {
    char host[256];
    long pid;
    long long start;      /* the process's start, clock ticks after boot (/proc/PID/stat); -1 unknown */
    char boot[64];        /* the boot's id (/proc/sys/kernel/random/boot_id) */
    char taken[32];       /* when the lease was taken, UTC */
} sb_lease_holder;

/* This process. */
void sb_lease_self(sb_lease_holder *me);

/* 1 when the holder is this process or another live one on this host, 0 when
** it is gone (dead, its pid reused, rebooted since, or of another host). */
int sb_lease_alive(const sb_lease_holder *h);

enum { SB_LEASE_TAKEN, SB_LEASE_DONE, SB_LEASE_HELD };

/* Take the lease of cell for this process, in one write transaction with the
** look at what is stored: SB_LEASE_DONE when a run of the cell has an id above
** after (stored since the caller started), or, with results set, when a run
** of it finished or diverged (--resume); SB_LEASE_HELD when a live process
** holds it (*holder filled); else SB_LEASE_TAKEN, with *took_over set (and
** *holder the previous holder) when a stale lease was replaced. -1 with a
** message on error. A database of schema version 1 is upgraded on open. */
int sb_lease_take(sb_store *s, const char *cell, const char *sweep, long after, int results, sb_lease_holder *holder,
                  int *took_over, char *err, size_t errlen);

/* Give back this process's lease of cell (none held: nothing done). 0, or -1
** with a message. */
int sb_lease_release(sb_store *s, const char *cell, char *err, size_t errlen);

/* Who holds the lease of cell: 1 with *holder filled when a live process
** does, 0 when none does (or the lease is stale), -1 with a message on error.
** Reads only (a read-only store of schema version 1 has no leases). */
int sb_lease_holder_of(sb_store *s, const char *cell, sb_lease_holder *holder, char *err, size_t errlen);

/* The highest run id stored (0 when none), to tell later runs from earlier:
** -1 with a message on error. */
long sb_lease_last_run(sb_store *s, char *err, size_t errlen);

#endif
