/*
** testdb.h: what the tests of the results database share (beside
** testutil.h): a fresh directory holding the database, and SQL run on it
** through a plain SQLite connection, as a crash or a hand edit would.
*/
#ifndef SB_TESTDB_H
#define SB_TESTDB_H

#include "testutil.h"
#include <sqlite3.h>

typedef struct {
    char dir[256];    /* a fresh directory (test_tmpdir_make) */
    char db[300];     /* dir/results.db, not yet made */
} test_db_fixture;

/* A cmocka setup's work: a test_db_fixture named for the test into *state.
** 0, or -1. */
static inline int test_db_setup(void **state, const char *name)
{
    test_db_fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    if (test_tmpdir_make(f->dir, sizeof f->dir, name)) {
        free(f);
        return -1;
    }
    snprintf(f->db, sizeof f->db, "%s/results.db", f->dir);
    *state = f;
    return 0;
}

/* Run sql on the database at path, failing the test with SQLite's message. */
static inline void test_db_exec(const char *path, const char *sql)
{
    sqlite3 *db;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        print_error("%s: %s\n", sql, msg);
        fail();
    }
    sqlite3_close(db);
}

#endif
