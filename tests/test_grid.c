/*
** test_grid.c: sweep files and run specs: grid expansion (product, order,
** preset first), cell hashing (equal specs equal cells, every result-changing
** key changes it, threads do not), every bad-input case with the file,
** line and key in its message, and the limits (cells in a grid, tasks from
** suites) that keep a typo from becoming a runaway grid; a file read once
** (a pipe); command-line overrides winning over the file.
*/
#include "testutil.h"
#include "spec/grid.h"
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[96];

static int setup(void **state) { (void)state; return test_tmpdir_make(dir, sizeof dir, "grid"); }
static int teardown(void **state) { (void)state; return test_tmpdir_remove(dir); }

static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void expansion(void **state)
{
    (void)state;
    char err[SB_ERR_LEN];
    const char *p = write_file("g.ini",
                               "# comment\n[sweep]\nname = demo\n[run]\ntask = copy reverse\nseed = 1 2 3\nsteps = 7\n"
                               "[model]\nsharing = none map:0,1\nwidth = 32\npreset = tiny\n");
    sb_grid *g = sb_grid_load(p, err, sizeof err);
    if (!g) print_error("%s\n", err);
    assert_non_null(g);
    assert_string_equal(sb_grid_name(g), "demo");
    assert_int_equal(sb_grid_count(g), 2 * 3 * 2);
    sb_spec s;
    /* the first axis varies slowest: cell 0 copy/1/none, cell 1 copy/1/map, cell 2 copy/2/none ... */
    static const char *tasks[] = { "copy", "reverse" };
    static const char *shar[] = { "none", "map:0,1" };
    for (long i = 0; i < 12; i++) {
        assert_int_equal(sb_grid_cell(g, i, &s, err, sizeof err), 0);
        assert_string_equal(s.task, tasks[i / 6]);
        assert_int_equal(s.seed, 1 + (i / 2) % 3);
        assert_string_equal(s.model.sharing, shar[i % 2]);
        assert_int_equal(s.steps, 7);
        /* the preset came first although written last, so width=32 survives it */
        assert_int_equal(s.model.width, 32);
        assert_int_equal(s.model.layers, 2);
        assert_string_equal(s.sweep, "demo");
    }
    char what[256];
    sb_grid_describe(g, 3, what, sizeof what);
    assert_string_equal(what, "task=copy seed=2 sharing=map:0,1");
    /* command-line overrides reach every cell */
    assert_int_equal(sb_grid_override(g, "steps=3", err, sizeof err), 0);
    assert_int_equal(sb_grid_cell(g, 11, &s, err, sizeof err), 0);
    assert_int_equal(s.steps, 3);
    assert_int_equal(sb_grid_override(g, "stepz=3", err, sizeof err), -1);
    assert_mentions(err, "stepz");
    sb_grid_free(g);
}

static void cells(void **state)
{
    (void)state;
    sb_spec a, b;
    char ca[17], cb[17], err[SB_ERR_LEN];
    sb_spec_default(&a);
    sb_spec_set(&a, "task", "copy", err, sizeof err);
    b = a;
    sb_spec_cell(&a, ca);
    sb_spec_cell(&b, cb);
    assert_string_equal(ca, cb);
    /* not part of a run's identity */
    sb_spec_set(&b, "threads", "7", err, sizeof err);
    sb_spec_set(&b, "sweep", "other", err, sizeof err);
    sb_spec_cell(&b, cb);
    assert_string_equal(ca, cb);
    /* every training key that changes results, and any model key, changes the cell */
    static const char *const changes[][2] = {
        { "task", "sort" }, { "knobs", "len=9" }, { "steps", "301" }, { "batch", "8" }, { "lr", "0.002" },
        { "warmup", "5" }, { "weight_decay", "0.2" }, { "clip", "2" }, { "seed", "2" }, { "data_seed", "3" },
        { "eval_examples", "100" }, { "merge_at", "10" }, { "init_from", "x.safetensors" }, { "sharing", "all" },
        { "width", "64" }, { "pos", "rope" }, { "min_lr_ratio", "0.5" },
    };
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
        b = a;
        assert_int_equal(sb_spec_set(&b, changes[i][0], changes[i][1], err, sizeof err), 0);
        sb_spec_cell(&b, cb);
        if (!strcmp(ca, cb)) { print_error("changing %s does not change the cell\n", changes[i][0]); fail(); }
    }
}

static void bad_input(void **state)
{
    (void)state;
    static const struct { const char *text, *frag1, *frag2; } cases[] = {
        { "[run]\ntask = copy\nstepz = 3\n", ":3:", "stepz" },
        { "[run]\ntask = copy\nsteps = many\n", ":3:", "steps='many'" },
        { "[run]\ntask = copy\nsteps = -4\n", ":3:", "steps='-4'" },
        { "[run]\ntask = copy\n[model]\nwidth = 64\nsharing = cycle:2 bogus:1\n", ":5:", "bogus" },
        { "[run]\ntask = copy\nwidth = 64\n", ":3:", "put it under [model]" },
        { "[model]\nsteps = 64\n[run]\ntask = copy\n", ":2:", "put it under [run]" },
        { "[runs]\ntask = copy\n", ":2:", "[runs]" },
        { "[run]\ntask copy\n", ":2:", "not INI" },
        { "[run]\ntask = copy\n[model]\nheads = 5\n", "cell 1", "heads=5" },
        { "[run]\ntask = copy\n[model]\nlayers = 3\nsharing = none cycle:4\n", "cell 2", "cycle:4" },
        /* the sharing's syntax on its line, before any cell (sharing.c's check, no model invented) */
        { "[run]\ntask = copy\n[model]\nsharing = none cycle:2+\n", ":4:", "sharing='cycle:2+'" },
        { "[run]\ntask = copy\n[model]\nsharing = all+untie:1+untie:2\n", ":4:", "twice" },
        { "[run]\ntask = copy\n[model]\nsharing = cycle:0\n", ":4:", "cycle:0" },
        { "[run]\ntask = copy\n[model]\nsharing_attn = all lowrank:4\n", ":4:", "sharing_attn='lowrank:4'" },
        { "[sweep]\nlabel = x\n", ":2:", "label" },
        { "[run]\nsteps = 3\n", "cell 1", "no task" },
    };
    char err[SB_ERR_LEN];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu.ini", i);
        const char *p = write_file(name, cases[i].text);
        sb_grid *g = sb_grid_load(p, err, sizeof err);
        if (g) { print_error("case %zu accepted:\n%s", i, cases[i].text); fail(); }
        assert_mentions(err, name);
        assert_mentions(err, cases[i].frag1);
        assert_mentions(err, cases[i].frag2);
    }
    assert_null(sb_grid_load("/nonexistent/sweep.ini", err, sizeof err));
    assert_mentions(err, "/nonexistent/sweep.ini");
}

/* "key = 8 16 ... 8n", sixteen values a line, the rest on indented continuation lines */
static void axis(char *out, size_t len, const char *key, int n)
{
    size_t w = (size_t)snprintf(out, len, "%s =", key);
    for (int i = 1; i <= n && w < len; i++)
        w += (size_t)snprintf(out + w, len - w, "%s %d", i > 1 && i % 16 == 1 ? "\n   " : "", 8 * i);
    if (w < len) snprintf(out + w, len - w, "\n");
}

static void limits(void **state)
{
    (void)state;
    char text[4096], a[512], b[512], c[512], err[SB_ERR_LEN];
    axis(a, sizeof a, "seed", 64);
    axis(b, sizeof b, "data_seed", 64);
    axis(c, sizeof c, "width", 25);
    /* 64 x 64 x 25 = 102,400 cells: refused at the line that passes the limit (width's second line) */
    snprintf(text, sizeof text, "[run]\ntask = copy\n%s%s[model]\n%s", a, b, c);
    assert_null(sb_grid_load(write_file("huge.ini", text), err, sizeof err));
    assert_mentions(err, "huge.ini:13:");
    assert_mentions(err, "more than 100000 cells");
    /* 64 x 64 = 4,096 (lists on continuation lines): fine, and an override
    ** that would pass the limit is refused and changes nothing */
    snprintf(text, sizeof text, "[run]\ntask = copy\n%s%s", a, b);
    sb_grid *g = sb_grid_load(write_file("big.ini", text), err, sizeof err);
    assert_non_null(g);
    assert_int_equal(sb_grid_count(g), 4096);
    char over[600] = "width=";
    for (int i = 1; i <= 25; i++) snprintf(over + strlen(over), sizeof over - strlen(over), "%s%d", i > 1 ? " " : "", 8 * i);
    assert_int_equal(sb_grid_override(g, over, err, sizeof err), -1);
    assert_mentions(err, "command line");
    assert_mentions(err, "more than 100000 cells");
    assert_int_equal(sb_grid_count(g), 4096);
    sb_grid_free(g);
    /* suites: at most 64 tasks on the task axis (full.suite has 14) */
    assert_null(sb_grid_load(write_file("suites.ini", "[run]\nsuite = suites/full.suite suites/full.suite suites/full.suite "
                                                       "suites/full.suite suites/full.suite\n"), err, sizeof err));
    assert_mentions(err, "suites.ini:2:");
    assert_mentions(err, "more than 64 tasks");
    /* a line longer than the INI reader takes: refused by its number, not misread */
    char longline[400];
    snprintf(longline, sizeof longline, "[run]\ntask = copy\n# %0250d\nsteps = 3\n", 0);
    assert_null(sb_grid_load(write_file("long.ini", longline), err, sizeof err));
    assert_mentions(err, "long.ini:3:");
    assert_mentions(err, "line of 252 characters");
    /* a key given twice, and the task axis given as both task and suite */
    assert_null(sb_grid_load(write_file("twice.ini", "[run]\ntask = copy\nsteps = 3\n\nsteps = 4\n"), err, sizeof err));
    assert_mentions(err, "twice.ini:5:");
    assert_mentions(err, "key 'steps' given twice (also on line 3");
    assert_null(sb_grid_load(write_file("both.ini", "[run]\ntask = copy\nsuite = smoke\n"), err, sizeof err));
    assert_mentions(err, "both.ini:3:");
    assert_mentions(err, "task or suite");
    /* continuation lines extend the list of the key above, after comments and blank lines too */
    g = sb_grid_load(write_file("cont.ini", "[run]\ntask = copy\nseed = 1 2\n  3\n# a comment\n\n  4 5\n[model]\nsharing = none\n  all\n"),
                     err, sizeof err);
    assert_non_null(g);
    assert_int_equal(sb_grid_count(g), 10);
    sb_grid_free(g);
    /* an indented "[...]" below a key is part of its list, not a section: the line numbers after it stay right */
    assert_null(sb_grid_load(write_file("bracket.ini", "[run]\ntask = copy\nseed = 1\n  [2]\nsteps = 5\n"), err, sizeof err));
    assert_mentions(err, "bracket.ini:4:");
}

/* A file read once, whole: a pipe reads as a disk file does, and what would
** be misread (a directory, a NUL byte, a name that is not UTF-8) is refused
** naming the file and line. */
static void read_once(void **state)
{
    (void)state;
    static const char text[] = "[sweep]\nname = piped\n[run]\ntask = copy\nseed = 1 2 3\n[model]\npreset = tiny\n";
    char fifo[200], err[SB_ERR_LEN];
    snprintf(fifo, sizeof fifo, "%s/sweep.fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {   /* the writer: once, as a shell pipe or process substitution would */
        FILE *f = fopen(fifo, "w");
        fputs(text, f);
        fclose(f);
        _exit(0);
    }
    sb_grid *g = sb_grid_load(fifo, err, sizeof err);
    int ws;
    waitpid(p, &ws, 0);
    if (!g) print_error("%s\n", err);
    assert_non_null(g);
    assert_string_equal(sb_grid_name(g), "piped");
    assert_int_equal(sb_grid_count(g), 3);
    sb_grid_free(g);
    unlink(fifo);
    /* a directory: said, not "no task given" */
    assert_null(sb_grid_load(dir, err, sizeof err));
    assert_mentions(err, "is a directory");
    /* a NUL byte would end the value there (steps = 3 read for "3\0 junk") */
    const char *p2 = write_file("nul.ini", "[run]\ntask = copy\n");
    FILE *f = fopen(p2, "a");
    fwrite("steps = 3\0 junk\n", 1, 17, f);
    fclose(f);
    assert_null(sb_grid_load(p2, err, sizeof err));
    assert_mentions(err, "nul.ini:3:");
    assert_mentions(err, "NUL byte");
    /* a sweep name that is not UTF-8 (it is stored with each run and exported as JSON) */
    assert_null(sb_grid_load(write_file("latin1.ini", "[sweep]\nname = caf\xe9\n[run]\ntask = copy\n"), err, sizeof err));
    assert_mentions(err, "latin1.ini:2:");
    assert_mentions(err, "not UTF-8");
}

/* A command-line override wins over the file wherever two keys set one
** thing: task=NAME:KNOBS over the file's knobs, knobs= over the file's
** task=NAME:KNOBS; the cell is the one the same values in the file give. */
static void overrides_win(void **state)
{
    (void)state;
    char err[SB_ERR_LEN], want[17], got[17];
    sb_spec s;
    sb_grid *g = sb_grid_load(write_file("k6.ini", "[run]\ntask = copy\nknobs = len=6\n[model]\npreset = tiny\n"), err, sizeof err);
    assert_non_null(g);
    assert_int_equal(sb_grid_cell(g, 0, &s, err, sizeof err), 0);
    sb_spec_cell(&s, want);
    sb_grid_free(g);
    /* the file says len=4; the command line copy:len=6 */
    g = sb_grid_load(write_file("k4.ini", "[run]\ntask = copy\nknobs = len=4\n[model]\npreset = tiny\n"), err, sizeof err);
    assert_non_null(g);
    assert_int_equal(sb_grid_override(g, "task=copy:len=6", err, sizeof err), 0);
    assert_int_equal(sb_grid_cell(g, 0, &s, err, sizeof err), 0);
    assert_string_equal(s.knobs, "len=6");
    sb_spec_cell(&s, got);
    assert_string_equal(got, want);
    sb_grid_free(g);
    /* the file's knobs after its task, or before it: the same */
    g = sb_grid_load(write_file("k4b.ini", "[run]\nknobs = len=4\ntask = copy\n[model]\npreset = tiny\n"), err, sizeof err);
    assert_non_null(g);
    assert_int_equal(sb_grid_override(g, "task=copy:len=6", err, sizeof err), 0);
    assert_int_equal(sb_grid_cell(g, 0, &s, err, sizeof err), 0);
    assert_string_equal(s.knobs, "len=6");
    sb_grid_free(g);
    /* the file says copy:len=4; the command line knobs=len=6 */
    g = sb_grid_load(write_file("t4.ini", "[run]\ntask = copy:len=4\n[model]\npreset = tiny\n"), err, sizeof err);
    assert_non_null(g);
    assert_int_equal(sb_grid_override(g, "knobs=len=6", err, sizeof err), 0);
    assert_int_equal(sb_grid_cell(g, 0, &s, err, sizeof err), 0);
    assert_string_equal(s.knobs, "len=6");
    sb_spec_cell(&s, got);
    assert_string_equal(got, want);
    sb_grid_free(g);
    /* a suite's tasks carry their knobs too (smoke's copy: len=8) */
    g = sb_grid_load(write_file("k4c.ini", "[run]\ntask = copy\nknobs = len=4\n[model]\npreset = tiny\n"), err, sizeof err);
    assert_non_null(g);
    assert_int_equal(sb_grid_override(g, "suite=smoke", err, sizeof err), 0);
    assert_int_equal(sb_grid_cell(g, 0, &s, err, sizeof err), 0);
    assert_string_equal(s.task, "copy");
    assert_string_equal(s.knobs, "len=8");
    sb_grid_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(expansion), cmocka_unit_test(cells), cmocka_unit_test(bad_input),
                                        cmocka_unit_test(limits), cmocka_unit_test(read_once), cmocka_unit_test(overrides_win) };
    return cmocka_run_group_tests(tests, setup, teardown);
}
