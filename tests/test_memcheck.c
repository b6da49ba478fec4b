/*
** test_memcheck.c: memory needs against the memory available (bench/run/memcheck.c):
** sizes as users write them; the memory available read from /proc/meminfo
** and from cgroup v1 and v2 limits (fake trees under a temporary directory:
** a limit, a lower limit on a parent, "max", v1's unlimited value, a cgroup
** namespace); a run's need equal to the engine's plan computed here
** independently, with the gradient-noise analysis' tracking copies and their
** moments and a distillation teacher (trained in the run or loaded) counted
** from models built here; refusals that give both figures; --jobs cells at
** once; every cell over the budget flagged.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp */
#endif
#include "testutil.h"
#include "run/memcheck.h"
#include "report/budget.h"
#include "spec/spec.h"
#include "task.h"
#include "run/runner.h"
#include "io/checkpoint.h"
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

/* The plan sb_runner_check finds for s (it must pass). */
static sb_runner_plan plan_of(const sb_spec *s)
{
    sb_runner_plan p;
    char err[512];
    if (sb_runner_check(s, &p, err, sizeof err)) print_error("%s\n", err);
    assert_int_equal(sb_runner_check(s, &p, err, sizeof err), 0);
    return p;
}

static double need_of(const sb_spec *s, int threads)
{
    sb_runner_plan p = plan_of(s);
    sb_mem_need n;
    char err[512];
    assert_int_equal(sb_mem_need_of(s, &p, threads, &n, err, sizeof err), 0);
    return n.total;
}

/* A built model's bytes: parameters, gradients, activations, scratch (and AdamW moments). */
static double built_bytes(const sb_config *c, int B, int T, int track, int with_optim, long *moments_len)
{
    char err[512];
    sb_model *m = sb_model_create(c, B, T, 1, track, err, sizeof err);
    assert_non_null(m);
    sb_memory mem;
    sb_model_memory(m, &mem);
    /* what bench/run/analyze.c's moments hold: every unique parameter, and each depth's use of a shared block */
    long len = sb_model_n_params(m);
    for (int i = 0; i < sb_model_tensor_count(m); i++) {
        const sb_tensor *t = sb_model_tensor(m, i);
        if (t->block >= 0 && t->uses > 1) len += (long)t->uses * t->numel;
    }
    if (moments_len) *moments_len = len;
    double b = (double)mem.params + mem.grads + mem.acts + mem.scratch + (with_optim ? 2.0 * mem.params : 0);
    sb_model_free(m);
    return b;
}

static void need_is_the_plan(void **state)
{
    (void)state;
    char err[1024];
    sb_mem_need n;
    sb_spec s = tiny_spec(8, 0);
    sb_runner_plan plan = plan_of(&s);
    assert_int_equal(sb_mem_need_of(&s, &plan, 2, &n, err, sizeof err), 0);
    /* the same plan, computed here: the tiny preset with the task's vocabulary and longest sequence */
    sb_task *t = sb_task_open("copy", "len=6", 1, err, sizeof err);
    assert_non_null(t);
    const sb_task_info *info = sb_task_get_info(t);
    sb_config c;
    assert_int_equal(sb_config_preset(&c, "tiny", err, sizeof err), 0);
    c.vocab = info->vocab;
    c.max_len = info->long_length > info->length ? info->long_length : info->length;
    int T = info->length;
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
    assert_close(n.teacher, 0, 0);
    assert_close(n.total, n.step_total, 1e-12);
    /* analyses on, blocks shared: one batch-1 tracking copy per thread (up to
    ** grad_samples / 2), each with two doubles of moments per parameter and per
    ** depth's use of a shared block */
    sb_spec a = tiny_spec(8, 1);
    assert_int_equal(sb_spec_set(&a, "sharing", "all", err, sizeof err), 0);
    sb_runner_plan ap = plan_of(&a);
    sb_mem_need n2, n3;
    assert_int_equal(sb_mem_need_of(&a, &ap, 2, &n2, err, sizeof err), 0);
    assert_int_equal(sb_mem_need_of(&a, &ap, 1, &n3, err, sizeof err), 0);
    sb_config ac = c;
    snprintf(ac.sharing, sizeof ac.sharing, "all");
    long len;
    double copy = built_bytes(&ac, 1, T, 1, 0, &len);
    long unique;
    assert_int_equal(sb_model_plan(&ac, 1, T, 1, &unique, NULL, err, sizeof err), 0);
    assert_true(len > unique);   /* the shared blocks' per-depth part is there */
    assert_close(n3.analysis, copy + 2.0 * sizeof(double) * len, 1e-12);
    assert_close(n2.analysis, 2 * n3.analysis, 1e-12);
    assert_close(n2.total, n2.step_total + n2.analysis, 1e-12);
    /* a teacher trained in the run (train:none): the run's model unshared at
    ** the task's length, its AdamW moments, three logits buffers and two
    ** per-position losses */
    sb_spec d = tiny_spec(8, 0);
    assert_int_equal(sb_spec_set(&d, "sharing", "all", err, sizeof err), 0);
    assert_int_equal(sb_spec_set(&d, "teacher", "train:none", err, sizeof err), 0);
    sb_runner_plan dp = plan_of(&d);
    sb_mem_need nd;
    assert_int_equal(sb_mem_need_of(&d, &dp, 1, &nd, err, sizeof err), 0);
    double buffers = 3.0 * 8 * T * c.vocab * sizeof(real) + 2.0 * 8 * T * sizeof(double);
    double trained = built_bytes(&c, 8, T, 0, 1, NULL) + buffers;
    assert_close(nd.teacher, trained, 1e-12);
    assert_close(nd.total, nd.step_total + nd.teacher, 1e-12);
    /* a teacher from a checkpoint (here a wider model): no moments */
    sb_config wide = c;
    wide.width = 2 * c.width;
    wide.ffn = 2 * c.ffn;
    sb_model *w = sb_model_create(&wide, 1, T, 1, 0, err, sizeof err);
    assert_non_null(w);
    char path[300];
    snprintf(path, sizeof path, "%s/teacher.safetensors", root);
    assert_int_equal(sb_checkpoint_save(path, w, NULL, err, sizeof err), 0);
    sb_model_free(w);
    assert_int_equal(sb_spec_set(&d, "teacher", path, err, sizeof err), 0);
    dp = plan_of(&d);
    assert_int_equal(sb_mem_need_of(&d, &dp, 1, &nd, err, sizeof err), 0);
    assert_close(nd.teacher, built_bytes(&wide, 8, T, 0, 0, NULL) + buffers, 1e-12);
    /* a refusal names the teacher's share */
    const sb_runner_plan *pp = &dp;
    assert_int_equal(sb_memcheck_cells(&d, &pp, 1, 1, 1, nd.total - 1, NULL, err, sizeof err), -1);
    assert_mentions(err, "the distillation teacher");
    assert_int_equal(sb_memcheck_cells(&d, &pp, 1, 1, 1, nd.total, NULL, err, sizeof err), 0);
    /* a looped model evaluated at 3 loops (test_loops): that model of 5 depths too, without moments */
    sb_spec l = tiny_spec(8, 0);
    static const char *const lk[][2] = { { "layers", "4" }, { "ln_shared", "1" }, { "sharing", "loop:1,1,1" }, { "test_loops", "3" } };
    for (size_t i = 0; i < sizeof lk / sizeof lk[0]; i++) assert_int_equal(sb_spec_set(&l, lk[i][0], lk[i][1], err, sizeof err), 0);
    sb_runner_plan lp = plan_of(&l);
    sb_mem_need nl;
    assert_int_equal(sb_mem_need_of(&l, &lp, 1, &nl, err, sizeof err), 0);
    sb_config lc = c;
    lc.layers = 5;
    lc.ln_shared = 1;
    snprintf(lc.sharing, sizeof lc.sharing, "loop:1,1,1");
    assert_close(nl.models, built_bytes(&lc, 8, c.max_len, 0, 0, NULL), 1e-12);
    assert_close(nl.total, nl.step_total + nl.models, 1e-12);
}

static void refusals(void **state)
{
    (void)state;
    char err[1024];
    sb_spec cells[3] = { tiny_spec(8, 0), tiny_spec(8, 0), tiny_spec(64, 0) };
    sb_runner_plan plan = plan_of(&cells[0]);
    const sb_runner_plan *plans[3] = { &plan, &plan, &plan };   /* the batch is not in the plan */
    double small = need_of(&cells[0], 1), big = need_of(&cells[2], 1);
    assert_true(big > small);
    /* one cell over a budget: both figures, the breakdown */
    assert_int_equal(sb_memcheck_cells(cells, plans, 1, 1, 1, 1024, NULL, err, sizeof err), -1);
    assert_mentions(err, "copy sharing=none");
    assert_mentions(err, "needs ");
    assert_mentions(err, "activations");
    assert_mentions(err, "more than the --mem-budget of 1.0 KiB");
    assert_int_equal(sb_memcheck_cells(cells, plans, 1, 1, 1, big, NULL, err, sizeof err), 0);
    /* the third cell alone is over: named by its number, flagged alone */
    char over[3] = { 9, 9, 9 };
    assert_int_equal(sb_memcheck_cells(cells, plans, 3, 1, 1, (small + big) / 2, NULL, err, sizeof err), -1);
    assert_mentions(err, "cell 3 (");
    assert_int_equal(sb_memcheck_cells(cells, plans, 3, 1, 1, (small + big) / 2, over, err, sizeof err), -1);
    assert_mentions(err, "cell 3 (");
    assert_int_equal(over[0], 0);
    assert_int_equal(over[1], 0);
    assert_int_equal(over[2], 1);
    /* every cell over: the message names the first, all are flagged */
    assert_int_equal(sb_memcheck_cells(cells, plans, 3, 1, 1, small / 2, over, err, sizeof err), -1);
    assert_mentions(err, "cell 1 (");
    assert_true(over[0] == 1 && over[1] == 1 && over[2] == 1);
    /* each fits, but two at once do not */
    double budget = big + small / 2;
    assert_int_equal(sb_memcheck_cells(cells, plans, 3, 1, 1, budget, NULL, err, sizeof err), 0);
    assert_int_equal(sb_memcheck_cells(cells, plans, 3, 2, 1, budget, over, err, sizeof err), -1);
    assert_mentions(err, "with --jobs 2");
    assert_mentions(err, "cells 3 and 1");
    assert_true(over[0] == 0 && over[1] == 0 && over[2] == 0);
    assert_int_equal(sb_memcheck_cells(cells, plans, 3, 2, 1, big + small, NULL, err, sizeof err), 0);
    /* the machine's own memory: a tiny run fits, an absurd one names MemAvailable (or a cgroup) */
    assert_int_equal(sb_memcheck_cells(cells, plans, 1, 1, 1, 0, NULL, err, sizeof err), 0);
    sb_spec huge = tiny_spec(4096, 0);
    assert_int_equal(sb_spec_set(&huge, "width", "8192", err, sizeof err), 0);
    assert_int_equal(sb_spec_set(&huge, "ffn", "32768", err, sizeof err), 0);
    assert_int_equal(sb_spec_set(&huge, "layers", "32", err, sizeof err), 0);
    sb_runner_plan hp = plan_of(&huge);
    const sb_runner_plan *hpp = &hp;
    assert_int_equal(sb_memcheck_cells(&huge, &hpp, 1, 1, 1, 0, NULL, err, sizeof err), -1);
    assert_mentions(err, "available (");
    /* a spec that cannot be built is refused by the check, with its reason */
    sb_spec bad = tiny_spec(8, 0);
    assert_int_equal(sb_spec_set(&bad, "max_len", "3", err, sizeof err), 0);
    assert_int_equal(sb_runner_check(&bad, NULL, err, sizeof err), -1);
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
