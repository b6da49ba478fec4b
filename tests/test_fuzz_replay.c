/*
** test_fuzz_replay.c: the fuzz targets' inputs replayed in the ordinary build
** (and under SANITIZE=1), without libFuzzer: every seed of every target's
** corpus (tests/fuzz/corpus/NAME/) is a valid file and must be accepted; every
** input a fuzzer once failed on (tests/fuzz/regressions/NAME/) must now be
** handled as tests/fuzz/regressions/NAME/EXPECT says: "FILE accepted" or
** "FILE refused TEXT", the message containing TEXT. A refusal always has a
** message. Prints the number of files replayed.
**
** `test_fuzz_replay TARGET FILE...` instead prints what the target does with
** each file ("accepted", or "refused: MESSAGE"): the line for an EXPECT file.
*/
#include "testutil.h"
#include "fuzz.h"
#include <dirent.h>
#include <sys/stat.h>

static const struct {
    const char *name;
    sb_fuzz_fn fn;
} targets[] = {
    { "config", sb_fuzz_config },       { "suite", sb_fuzz_suite },     { "safetensors", sb_fuzz_safetensors },
    { "baseline", sb_fuzz_baseline },   { "database", sb_fuzz_database }, { "wn_data", sb_fuzz_wn_data },
    { "wn_index", sb_fuzz_wn_index },   { "wn_lexnames", sb_fuzz_wn_lexnames }, { "claims", sb_fuzz_claims },
    { "runpack", sb_fuzz_runpack },     { "meminfo", sb_fuzz_meminfo },
};
#define NTARGETS (int)(sizeof targets / sizeof targets[0])

static long replayed;

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = NULL;
    size_t cap = 0;
    *n = 0;
    for (;;) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 4096;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t r = fread(buf + *n, 1, cap - *n, f);
        if (!r) break;
        *n += r;
    }
    fclose(f);
    return buf;
}

/* The names of the regular files in dir, sorted; NULL-terminated, *n of them. */
static char **files_in(const char *dir, int *n)
{
    struct dirent **list;
    int k = scandir(dir, &list, NULL, alphasort);
    char **names = calloc((size_t)(k > 0 ? k : 0) + 1, sizeof *names);
    assert_non_null(names);
    *n = 0;
    for (int i = 0; i < k; i++) {
        char path[1024];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
        if (list[i]->d_name[0] != '.' && strcmp(list[i]->d_name, "EXPECT") && !stat(path, &st) && S_ISREG(st.st_mode))
            names[(*n)++] = strdup(list[i]->d_name);
        free(list[i]);
    }
    if (k > 0) free(list);
    return names;
}

static void free_names(char **names)
{
    for (char **p = names; *p; p++) free(*p);
    free(names);
}

static int replay(int t, const char *dir, const char *file, char *err, size_t errlen)
{
    char path[1024];
    size_t n;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    uint8_t *data = read_all(path, &n);
    err[0] = 0;
    int rc = targets[t].fn(data, n, err, errlen);
    free(data);
    replayed++;
    if (rc) {
        if (!err[0]) print_error("%s: refused without a message\n", path);
        assert_true(err[0] != 0);
    }
    return rc;
}

static void seeds_accepted(void **state)
{
    (void)state;
    for (int t = 0; t < NTARGETS; t++) {
        char dir[256], err[2048];
        int n;
        snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", targets[t].name);
        char **names = files_in(dir, &n);
        if (!n) print_error("%s: no seed files\n", dir);
        assert_true(n > 0);
        for (int i = 0; i < n; i++)
            if (replay(t, dir, names[i], err, sizeof err)) {
                print_error("%s/%s: a seed (a valid file) was refused: %s\n", dir, names[i], err);
                fail();
            }
        free_names(names);
    }
}

static void regressions_as_expected(void **state)
{
    (void)state;
    long checked = 0;
    for (int t = 0; t < NTARGETS; t++) {
        char dir[256], expect[300], line[1024], err[2048];
        int n;
        snprintf(dir, sizeof dir, "tests/fuzz/regressions/%s", targets[t].name);
        char **names = files_in(dir, &n);
        snprintf(expect, sizeof expect, "%s/EXPECT", dir);
        FILE *f = fopen(expect, "r");
        if (n && !f) print_error("%s: %d inputs but no EXPECT file\n", dir, n);
        assert_true(!n || f);
        int listed = 0;
        while (f && fgets(line, sizeof line, f)) {
            char file[256], verdict[16];
            int used = 0;
            line[strcspn(line, "\n")] = 0;
            if (!line[0] || line[0] == '#') continue;
            assert_int_equal(sscanf(line, "%255s %15s %n", file, verdict, &used), 2);
            const char *text = line + used;
            int rc = replay(t, dir, file, err, sizeof err);
            if (!strcmp(verdict, "accepted")) {
                if (rc) print_error("%s/%s: expected accepted, refused: %s\n", dir, file, err);
                assert_int_equal(rc, 0);
            } else {
                assert_string_equal(verdict, "refused");
                if (!rc) print_error("%s/%s: expected refused (%s), accepted\n", dir, file, text);
                assert_int_equal(rc, -1);
                assert_mentions(err, text);
            }
            listed++;
            checked++;
        }
        if (f) fclose(f);
        if (listed != n) print_error("%s: %d inputs, %d listed in EXPECT\n", dir, n, listed);
        assert_int_equal(listed, n);
        free_names(names);
    }
    printf("replayed %ld inputs (%ld regressions) through %d fuzz targets\n", replayed, checked, NTARGETS);
}

/* test_fuzz_replay TARGET FILE...: one EXPECT line per file. */
static int show(int argc, char **argv)
{
    int t = 0;
    while (t < NTARGETS && strcmp(targets[t].name, argv[1])) t++;
    if (t == NTARGETS) {
        fprintf(stderr, "no fuzz target '%s'\n", argv[1]);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        size_t n;
        char err[2048] = "";
        uint8_t *data = read_all(argv[i], &n);
        int rc = targets[t].fn(data, n, err, sizeof err);
        free(data);
        const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        if (rc) printf("%s refused %s\n", base, err);
        else printf("%s accepted\n", base);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2) return show(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seeds_accepted),
        cmocka_unit_test(regressions_as_expected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
