/*
** test_memcheck.c: memory needs against the memory available (bench/memcheck.c):
** sizes as users write them; the memory available read from /proc/meminfo
** and from cgroup v1 and v2 limits (fake trees under a temporary directory:
** a limit, a lower limit on a parent, "max", v1's unlimited value, a cgroup
** namespace); a run's need equal to the engine's plan computed here
** independently; refusals that give both figures; --jobs cells at once.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp */
#endif
#include "testutil.h"
#include "memcheck.h"
#include "budget.h"
#include "spec.h"
#include "task.h"
#include <sys/stat.h>
#include <unistd.h>

static char root[200];

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/sb_memcheck_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) ? -1 : 0;
}

/* Write text to root/rel, making its directories. */
static void put(const char *rel, const char *text)
{
    char path[512], cmd[600];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void clear(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'/proc '%s'/sys", root, root);
    assert_int_equal(system(cmd), 0);
}

static double available(char *what, size_t len)
{
    char proc[300], sys[300];
    snprintf(proc, sizeof proc, "%s/proc", root);
    snprintf(sys, sizeof sys, "%s/sys", root);
    return sb_mem_available_at(proc, sys, what, len);
}

static void sizes(void **state)
{
    (void)state;
    static const struct { const char *text; double bytes; } good[] = {
        { "512M", 512.0 * 1048576 }, { "2G", 2.0 * 1073741824 }, { "1.5GiB", 1.5 * 1073741824 }, { "100MB", 1e8 },
        { "1K", 1024 }, { "3k", 3072 }, { "1000000", 1e6 }, { "4t", 4.0 * 1099511627776.0 }, { "2gb", 2e9 },
    };
    static const char *const bad[] = { "", "M", "abc", "-1G", "0", "1X", "inf", "nan", "1e400", "1 G", "1GiBs" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double b = -1;
        if (sb_budget_parse_size(good[i].text, &b)) print_error("'%s' refused\n", good[i].text);
        assert_int_equal(sb_budget_parse_size(good[i].text, &b), 0);
        assert_close(b, good[i].bytes, 1e-12);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double b;
        if (!sb_budget_parse_size(bad[i], &b)) print_error("'%s' accepted as %g\n", bad[i], b);
        assert_int_equal(sb_budget_parse_size(bad[i], &b), -1);
    }
}

static void meminfo_only(void **state)
{
    (void)state;
    char what[256];
    clear();
    assert_true(available(what, sizeof what) < 0);   /* no /proc/meminfo: unknown */
    put("proc/meminfo", "MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    8000000 kB\n");
    assert_close(available(what, sizeof what), 8000000.0 * 1024, 1e-12);
    assert_mentions(what, "MemAvailable");
}

static void cgroup_v2(void **state)
{
    (void)state;
    char what[256];
    clear();
    put("proc/meminfo", "MemAvailable:    8000000 kB\n");
    put("proc/self/cgroup", "0::/a/b\n");
    put("sys/a/b/memory.max", "1000000000\n");
    put("sys/a/b/memory.current", "600000000\n");
    put("sys/a/b/memory.stat", "anon 400000000\nfile 200000000\ninactive_file 100000000\nactive_file 100000000\n");
    put("sys/a/memory.max", "max\n");
    /* room: 1e9 - (6e8 - 1e8 reclaimable) */
    assert_close(available(what, sizeof what), 5e8, 1e-12);
    assert_mentions(what, "cgroup /a/b");
    /* a parent's lower limit governs */
    put("sys/a/memory.max", "400000000\n");
    put("sys/a/memory.current", "300000000\n");
    assert_close(available(what, sizeof what), 1e8, 1e-12);
    assert_mentions(what, "cgroup /a");
    /* no limits anywhere: MemAvailable */
    put("sys/a/memory.max", "max\n");
    put("sys/a/b/memory.max", "max\n");
    assert_close(available(what, sizeof what), 8000000.0 * 1024, 1e-12);
    assert_mentions(what, "MemAvailable");
    /* a limit above what the machine has left changes nothing */
    put("sys/a/b/memory.max", "100000000000\n");
    assert_close(available(what, sizeof what), 8000000.0 * 1024, 1e-12);
}

static void cgroup_v1(void **state)
{
    (void)state;
    char what[256];
    clear();
    put("proc/meminfo", "MemAvailable:    8000000 kB\n");
    put("proc/self/cgroup", "9:name=systemd:/\n4:memory:/x\n2:cpu,cpuacct:/\n");
    put("sys/memory/x/memory.limit_in_bytes", "2000000000\n");
    put("sys/memory/x/memory.usage_in_bytes", "1500000000\n");
    put("sys/memory/x/memory.stat", "cache 600000000\ninactive_file 1\ntotal_inactive_file 500000000\n");
    put("sys/memory/memory.limit_in_bytes", "9223372036854771712\n");   /* unlimited, page-rounded */
    assert_close(available(what, sizeof what), 2e9 - (1.5e9 - 5e8), 1e-12);
    assert_mentions(what, "cgroup /x");
    /* in a cgroup namespace the listed path does not exist under the mount: its root is ours */
    clear();
    put("proc/meminfo", "MemAvailable:    8000000 kB\n");
    put("proc/self/cgroup", "4:cpu,memory:/elsewhere/job\n");
    put("sys/memory/memory.limit_in_bytes", "3000000000\n");
    put("sys/memory/memory.usage_in_bytes", "1000000000\n");
    assert_close(available(what, sizeof what), 2e9, 1e-12);
    put("sys/memory/memory.limit_in_bytes", "9223372036854771712\n");
    assert_close(available(what, sizeof what), 8000000.0 * 1024, 1e-12);
}

/* A small run's spec: the copy task and the tiny preset. */
static sb_spec tiny_spec(int batch, int analysis)
{
    sb_spec s;
    char err[512], b[16];
    sb_spec_default(&s);
    assert_int_equal(sb_spec_set(&s, "preset", "tiny", err, sizeof err), 0);
    assert_int_equal(sb_spec_set(&s, "task", "copy", err, sizeof err), 0);
    assert_int_equal(sb_spec_set(&s, "knobs", "len=6", err, sizeof err), 0);
    snprintf(b, sizeof b, "%d", batch);
    assert_int_equal(sb_spec_set(&s, "batch", b, err, sizeof err), 0);
    assert_int_equal(sb_spec_set(&s, "analysis", analysis ? "1" : "0", err, sizeof err), 0);
    return s;
}

static void need_is_the_plan(void **state)
{
    (void)state;
    char err[512];
    sb_mem_need n;
    sb_spec s = tiny_spec(8, 0);
    assert_int_equal(sb_mem_need_of(&s, 2, &n, err, sizeof err), 0);
    /* the same plan, computed here: the tiny preset with the task's vocabulary and longest sequence */
    sb_task *t = sb_task_open("copy", "len=6", 1, err, sizeof err);
    assert_non_null(t);
    const sb_task_info *info = sb_task_get_info(t);
    sb_config c;
    assert_int_equal(sb_config_preset(&c, "tiny", err, sizeof err), 0);
    c.vocab = info->vocab;
    c.max_len = info->long_length > info->length ? info->long_length : info->length;
    sb_task_close(t);
    long np;
    sb_memory m;
    assert_int_equal(sb_model_plan(&c, 8, c.max_len, 0, &np, &m, err, sizeof err), 0);
    assert_int_equal(n.batch, 8);
    assert_int_equal(n.length, c.max_len);
    assert_int_equal(m.params, n.step.params);
    assert_int_equal(m.acts, n.step.acts);
    assert_int_equal(m.scratch, n.step.scratch);
    assert_close(n.step_total, (double)m.params + m.grads + m.optim + m.acts + m.scratch, 1e-12);
    assert_close(n.analysis, 0, 0);
    assert_close(n.total, n.step_total, 1e-12);
    /* analyses on: one batch-1 tracking copy per thread, up to grad_samples / 2 */
    sb_spec a = tiny_spec(8, 1);
    sb_mem_need n2, n3;
    assert_int_equal(sb_mem_need_of(&a, 2, &n2, err, sizeof err), 0);
    assert_int_equal(sb_mem_need_of(&a, 1, &n3, err, sizeof err), 0);
    assert_true(n3.analysis > 0);
    assert_close(n2.analysis, 2 * n3.analysis, 1e-12);
    assert_close(n2.total, n2.step_total + n2.analysis, 1e-12);
}

static void refusals(void **state)
{
    (void)state;
    char err[1024];
    sb_spec cells[3] = { tiny_spec(8, 0), tiny_spec(8, 0), tiny_spec(64, 0) };
    sb_mem_need small, big;
    assert_int_equal(sb_mem_need_of(&cells[0], 1, &small, err, sizeof err), 0);
    assert_int_equal(sb_mem_need_of(&cells[2], 1, &big, err, sizeof err), 0);
    assert_true(big.total > small.total);
    /* one cell over a budget: both figures, the breakdown */
    assert_int_equal(sb_memcheck_cells(cells, 1, 1, 1, 1024, err, sizeof err), -1);
    assert_mentions(err, "copy sharing=none");
    assert_mentions(err, "needs ");
    assert_mentions(err, "activations");
    assert_mentions(err, "more than the --mem-budget of 1.0 KiB");
    assert_int_equal(sb_memcheck_cells(cells, 1, 1, 1, big.total, err, sizeof err), 0);
    /* the third cell alone is over: named by its number */
    assert_int_equal(sb_memcheck_cells(cells, 3, 1, 1, (small.total + big.total) / 2, err, sizeof err), -1);
    assert_mentions(err, "cell 3 (");
    /* each fits, but two at once do not */
    double budget = big.total + small.total / 2;
    assert_int_equal(sb_memcheck_cells(cells, 3, 1, 1, budget, err, sizeof err), 0);
    assert_int_equal(sb_memcheck_cells(cells, 3, 2, 1, budget, err, sizeof err), -1);
    assert_mentions(err, "with --jobs 2");
    assert_mentions(err, "cells 3 and 1");
    assert_int_equal(sb_memcheck_cells(cells, 3, 2, 1, big.total + small.total, err, sizeof err), 0);
    /* the machine's own memory: a tiny run fits, an absurd one names MemAvailable (or a cgroup) */
    assert_int_equal(sb_memcheck_cells(cells, 1, 1, 1, 0, err, sizeof err), 0);
    sb_spec huge = tiny_spec(4096, 0);
    assert_int_equal(sb_spec_set(&huge, "width", "8192", err, sizeof err), 0);
    assert_int_equal(sb_spec_set(&huge, "ffn", "32768", err, sizeof err), 0);
    assert_int_equal(sb_spec_set(&huge, "layers", "32", err, sizeof err), 0);
    assert_int_equal(sb_memcheck_cells(&huge, 1, 1, 1, 0, err, sizeof err), -1);
    assert_mentions(err, "available (");
    /* a spec that cannot be built is an error too, with its reason */
    sb_spec bad = tiny_spec(8, 0);
    assert_int_equal(sb_spec_set(&bad, "max_len", "3", err, sizeof err), 0);
    assert_int_equal(sb_memcheck_cells(&bad, 1, 1, 1, 0, err, sizeof err), -1);
    assert_mentions(err, "max_len=3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes),
        cmocka_unit_test(meminfo_only),
        cmocka_unit_test(cgroup_v2),
        cmocka_unit_test(cgroup_v1),
        cmocka_unit_test(need_is_the_plan),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
