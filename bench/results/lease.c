/*
** lease.c: cells' leases in the results database (see lease.h). A process
** is told from others by host, pid, start time and boot id, read from /proc
** (Linux), so a pid the kernel reused for another process does not inherit
** its leases; where /proc cannot be read the pid alone decides.
*/
#include "lease.h"
#include <sqlite3.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The state and start time of process pid from /proc/PID/stat (fields 3 and
** 22; the command name, field 2, may hold spaces and parentheses, so count
** from its closing parenthesis). 0, or -1 when it cannot be read. */
static int proc_stat(long pid, char *state, long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p || sscanf(p + 1, " %c", state) != 1) return -1;
    /* field 22 is the 20th after the parenthesis (fields 3..22) */
    for (int field = 3; field < 22 && p; field++) p = strchr(p + 1, ' ');
    return p && sscanf(p + 1, "%lld", start) == 1 ? 0 : -1;
}

static void boot_id(char *out, size_t len)
{
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    out[0] = 0;
    if (!f) return;
    if (fgets(out, (int)len, f)) out[strcspn(out, "\n")] = 0;
    fclose(f);
}

void sb_lease_self(sb_lease_holder *me)
{
    char state;
    memset(me, 0, sizeof *me);
    if (gethostname(me->host, sizeof me->host - 1)) snprintf(me->host, sizeof me->host, "unknown");
    me->pid = (long)getpid();
    if (proc_stat(me->pid, &state, &me->start)) me->start = -1;
    boot_id(me->boot, sizeof me->boot);
    time_t now = time(NULL);
    strftime(me->taken, sizeof me->taken, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
}

int sb_lease_alive(const sb_lease_holder *h)
{
    sb_lease_holder me;
    char state;
    long long start;
    sb_lease_self(&me);
    if (strcmp(h->host, me.host)) return 0;
    if (h->boot[0] && me.boot[0] && strcmp(h->boot, me.boot)) return 0;
    if (h->pid <= 0 || (kill((pid_t)h->pid, 0) && errno != EPERM)) return 0;
    if (proc_stat(h->pid, &state, &start)) return 1;   /* no /proc: the pid alone */
    return state != 'Z' && (h->start < 0 || start == h->start);
}

static int same_process(const sb_lease_holder *a, const sb_lease_holder *b)
{
    return a->pid == b->pid && a->start == b->start && !strcmp(a->host, b->host) && !strcmp(a->boot, b->boot);
}

static void copy_text(char *dst, size_t len, const unsigned char *t)
{
    snprintf(dst, len, "%s", t ? (const char *)t : "");
}

/* The lease of cell as stored: 1 with *h filled, 0 when there is none, -1 on error. */
static int read_lease(sqlite3 *db, const char *cell, sb_lease_holder *h)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT host, pid, proc_start, boot_id, taken FROM leases WHERE cell = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, cell, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), found = rc == SQLITE_ROW;
    if (found) {
        memset(h, 0, sizeof *h);
        copy_text(h->host, sizeof h->host, sqlite3_column_text(st, 0));
        h->pid = (long)sqlite3_column_int64(st, 1);
        h->start = sqlite3_column_int64(st, 2);
        copy_text(h->boot, sizeof h->boot, sqlite3_column_text(st, 3));
        copy_text(h->taken, sizeof h->taken, sqlite3_column_text(st, 4));
    }
    sqlite3_finalize(st);
    return found ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int sb_lease_take(sb_store *s, const char *cell, const char *sweep, long after, int results, sb_lease_holder *holder,
                  int *took_over, char *err, size_t errlen)
{
    sqlite3 *db = sb_store_db(s);
    sqlite3_stmt *st = NULL;
    sb_lease_holder me, old;
    int rc = -1, done = 0;
    *took_over = 0;
    sb_lease_self(&me);
    if (sb_store_begin(s, err, errlen)) return -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT EXISTS(SELECT 1 FROM runs WHERE cell = ?1 AND"
                           " (id > ?2 OR (?3 AND status IN ('finished', 'diverged'))))",
                           -1, &st, NULL) != SQLITE_OK)
        goto sqlfail;
    sqlite3_bind_text(st, 1, cell, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int(st, 3, results);
    if (sqlite3_step(st) != SQLITE_ROW) goto sqlfail;
    done = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (done) {
        rc = SB_LEASE_DONE;
        goto end;
    }
    int has = read_lease(db, cell, &old);
    if (has < 0) goto sqlfail;
    if (has && !same_process(&old, &me) && sb_lease_alive(&old)) {
        *holder = old;
        rc = SB_LEASE_HELD;
        goto end;
    }
    if (has && !same_process(&old, &me)) {
        *holder = old;
        *took_over = 1;
    }
    if (sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO leases(cell, sweep, host, pid, proc_start, boot_id, taken)"
                           " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &st, NULL) != SQLITE_OK)
        goto sqlfail;
    sqlite3_bind_text(st, 1, cell, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sweep ? sweep : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, me.host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, me.pid);
    sqlite3_bind_int64(st, 5, me.start);
    sqlite3_bind_text(st, 6, me.boot, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, me.taken, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) goto sqlfail;
    sqlite3_finalize(st);
    st = NULL;
    rc = SB_LEASE_TAKEN;
end:
    if (sb_store_commit_tx(s, err, errlen)) return -1;
    return rc;
sqlfail:
    snprintf(err, errlen, "%s: taking the lease of cell %s: %s", sb_store_path(s), cell, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sb_store_rollback(s);
    return -1;
}

int sb_lease_release(sb_store *s, const char *cell, char *err, size_t errlen)
{
    sqlite3 *db = sb_store_db(s);
    sqlite3_stmt *st = NULL;
    sb_lease_holder me;
    sb_lease_self(&me);
    if (sb_store_begin(s, err, errlen)) return -1;
    if (sqlite3_prepare_v2(db, "DELETE FROM leases WHERE cell = ?1 AND host = ?2 AND pid = ?3 AND proc_start = ?4", -1, &st,
                           NULL) != SQLITE_OK)
        goto sqlfail;
    sqlite3_bind_text(st, 1, cell, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, me.host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, me.pid);
    sqlite3_bind_int64(st, 4, me.start);
    if (sqlite3_step(st) != SQLITE_DONE) goto sqlfail;
    sqlite3_finalize(st);
    return sb_store_commit_tx(s, err, errlen);
sqlfail:
    snprintf(err, errlen, "%s: giving back the lease of cell %s: %s", sb_store_path(s), cell, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sb_store_rollback(s);
    return -1;
}

int sb_lease_holder_of(sb_store *s, const char *cell, sb_lease_holder *holder, char *err, size_t errlen)
{
    if (sb_store_version(s) < 2) return 0;
    int has = read_lease(sb_store_db(s), cell, holder);
    if (has < 0) {
        snprintf(err, errlen, "%s: reading the lease of cell %s: %s", sb_store_path(s), cell, sqlite3_errmsg(sb_store_db(s)));
        return -1;
    }
    return has && sb_lease_alive(holder);
}

long sb_lease_last_run(sb_store *s, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    long id = -1;
    if (sqlite3_prepare_v2(sb_store_db(s), "SELECT coalesce(max(id), 0) FROM runs", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        id = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (id < 0) snprintf(err, errlen, "%s: %s", sb_store_path(s), sqlite3_errmsg(sb_store_db(s)));
    return id;
}
