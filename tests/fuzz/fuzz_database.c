/*
** fuzz_database.c: results databases (SQLite, bench/results/store.c), whatever their
** bytes: read as list, export, gate and report read them (a read-only store,
** a set of runs), checked as `sharebench check` checks them, then opened for
** writing and a run committed, as `sharebench run --db FILE` does, and
** checked again.
*/
#include "results/source.h"
#include "fuzz.h"
#include "results/store.h"
#include "results/runset.h"
#include "results/check.h"
#include "cli/cli.h"
#include "cmd/commands.h"
#include <stdio.h>

static int commit_one(const char *path, char *err, size_t errlen)
{
    sb_store *st = sb_store_open(path, 0, err, errlen);
    if (!st) return -1;
    int has = sb_store_has_cell(st, "0123456789abcdef", err, errlen);
    sb_run *r = sb_run_new();
    static const char *const cols[][2] = {
        { "cell", "0123456789abcdef" }, { "config_hash", "00" }, { "task", "copy" }, { "sharing", "none" },
        { "seed", "1" }, { "status", "finished" }, { "started", "2024-01-01T00:00:00Z" }, { "ended", "2024-01-01T00:00:01Z" },
    };
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) sb_run_set(r, cols[i][0], cols[i][1]);
    sb_run_param(r, "steps", "1");
    sb_run_metric(r, "test", 0.5);
    sb_run_series(r, "train_loss", 0, -1, -1, 1.0);
    long id = has < 0 ? -1 : sb_store_commit(st, r, err, errlen);
    sb_run_free(r);
    sb_store_close(st);
    return id < 0 ? -1 : 0;
}

int sb_fuzz_database(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    const char *path = sb_fuzz_write("results.db", data, size, err, errlen);
    if (!path) return -1;
    int rc = 0;
    sb_runset *s = sb_runset_open(path, NULL, err, errlen);
    if (!s) rc = -1;
    else {
        rc = sb_fuzz_gate_self(s, err, errlen);
        sb_runset_free(s);
    }
    const char *list[] = { "list", "--db", path };
    const char *csv[] = { "export", "--db", path };
    const char *json[] = { "export", "--db", path, "--format", "json" };
    const char *series[] = { "export", "--db", path, "--series" };
    sb_fuzz_quiet(sb_cmd_list, 3, list);
    sb_fuzz_quiet(sb_cmd_export, 3, csv);
    sb_fuzz_quiet(sb_cmd_export, 5, json);
    sb_fuzz_quiet(sb_cmd_export, 4, series);
    sb_check_result cr;
    char cerr[1024];
    sb_check_db(path, NULL, 0, &cr, cerr, sizeof cerr);
    /* the writer; a refusal counts only when the readers accepted the file */
    char werr[1024];
    if (commit_one(path, werr, sizeof werr) && !rc) {
        snprintf(err, errlen, "%s", werr);
        rc = -1;
    }
    sb_check_db(path, NULL, 0, &cr, cerr, sizeof cerr);
    return rc;
}

SB_FUZZ_MAIN(database)
