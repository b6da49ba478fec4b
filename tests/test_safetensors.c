/*
** test_safetensors.c: the safetensors reader and writer (engine/io/safetensors.c).
**
** A round trip of several dtypes, a scalar, an empty tensor and metadata,
** byte for byte; then a table of malformed files written as raw bytes, every
** truncation of a valid file and random header corruption, each of which must
** be refused with a message naming the file and the problem; then failing
** writes, which must leave an existing file at the path untouched.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "io/safetensors.h"
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];   /* per-run temporary directory */

static void mkpath(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

/* No temporary file of path's (path.tmpXXXXXX) is left in its directory. */
static void no_tmp_left(const char *path)
{
    const char *base = strrchr(path, '/') + 1;
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s.tmp", base);
    DIR *d = opendir(dir);
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, prefix, strlen(prefix))) fail_msg("temporary file left: %s", e->d_name);
    closedir(d);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    if (len)
        assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long sz = ftell(fp);
    assert_true(sz >= 0);
    rewind(fp);
    unsigned char *buf = malloc((size_t)sz + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)sz, fp), (size_t)sz);
    fclose(fp);
    *len = (size_t)sz;
    return buf;
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* A safetensors file with the given header text and datalen bytes of data. */
static void write_st_raw(const char *path, const char *header, size_t datalen)
{
    size_t hl = strlen(header);
    unsigned char *buf = calloc(1, 8 + hl + datalen);
    assert_non_null(buf);
    put_le64(buf, hl);
    memcpy(buf + 8, header, hl);
    for (size_t i = 0; i < datalen; i++)
        buf[8 + hl + i] = (unsigned char)(i * 7 + 1);
    write_bytes(path, buf, 8 + hl + datalen);
    free(buf);
}

/* sb_st_open(path) must fail with a message naming path and holding each fragment. */
static void expect_open_fails_as(const char *label, const char *path, const char *frag1, const char *frag2)
{
    char err[512] = "";
    sb_st_file *f = sb_st_open(path, err, sizeof err);
    if (f) {
        sb_st_close(f);
        fail_msg("%s: opened, expected an error with '%s'", path, frag1 ? frag1 : "");
    }
    if (!strstr(err, path) || (frag1 && !strstr(err, frag1)) || (frag2 && !strstr(err, frag2)))
        fail_msg("%s: message \"%s\" lacks the path or '%s' / '%s'", label, err, frag1 ? frag1 : "", frag2 ? frag2 : "");
}

#define expect_open_fails(path, frag1, frag2) expect_open_fails_as(path, path, frag1, frag2)

/* ------------------------------------------------------------- round trip */

static float f32a[6] = { 1.5f, -2.25f, 3e-8f, 4e20f, -0.0f, 6.0f };
static int8_t i8a[3] = { -128, 0, 127 };              /* odd size: what follows is unaligned */
static double f64a[4] = { 3.141592653589793, -1e300, 5e-324, 0.1 };
static int32_t i32a[3] = { 2147483647, -2147483647 - 1, 42 };
static float scalar = 0.75f;
static uint16_t bf16a[2] = { 0x3f80, 0xbf80 };

#define NT 7
static sb_st_tensor sample[NT];
static const sb_st_meta sample_meta[] = {
    { "format", "pt" },
    { "note", "a \"quoted\" \\ value\nwith a newline, tabs\t and \xc3\xa9" },
    { "empty", "" },
};

static void init_sample(void)
{
    sample[0] = (sb_st_tensor){ .name = "attn.0.wq", .dtype = "F32", .ndim = 2, .shape = { 2, 3 }, .data = f32a };
    sample[1] = (sb_st_tensor){ .name = "bytes", .dtype = "I8", .ndim = 1, .shape = { 3 }, .data = i8a };
    sample[2] = (sb_st_tensor){ .name = "f64", .dtype = "F64", .ndim = 1, .shape = { 4 }, .data = f64a };
    sample[3] = (sb_st_tensor){ .name = "ids", .dtype = "I32", .ndim = 2, .shape = { 3, 1 }, .data = i32a };
    sample[4] = (sb_st_tensor){ .name = "scale", .dtype = "F32", .ndim = 0, .data = &scalar };
    sample[5] = (sb_st_tensor){ .name = "empty", .dtype = "F32", .ndim = 2, .shape = { 3, 0 }, .data = NULL };
    sample[6] = (sb_st_tensor){ .name = "a.bf16", .dtype = "BF16", .ndim = 1, .shape = { 2 }, .data = bf16a };
}

static size_t sample_bytes(int i)
{
    size_t n = sb_st_dtype_size(sample[i].dtype);
    for (int d = 0; d < sample[i].ndim; d++)
        n *= (size_t)sample[i].shape[d];
    return n;
}

/* Write the sample to name; return its path in path. */
static void write_sample(char *path, size_t n, const char *name)
{
    char err[512] = "";
    init_sample();
    mkpath(path, n, name);
    int rc = sb_st_write(path, sample, NT, sample_meta, 3, err, sizeof err);
    if (rc != 0)
        fail_msg("sb_st_write: %s", err);
}

static void test_dtype_size(void **state)
{
    (void)state;
    assert_int_equal(sb_st_dtype_size("F64"), 8);
    assert_int_equal(sb_st_dtype_size("F32"), 4);
    assert_int_equal(sb_st_dtype_size("F16"), 2);
    assert_int_equal(sb_st_dtype_size("BF16"), 2);
    assert_int_equal(sb_st_dtype_size("I64"), 8);
    assert_int_equal(sb_st_dtype_size("I32"), 4);
    assert_int_equal(sb_st_dtype_size("I16"), 2);
    assert_int_equal(sb_st_dtype_size("I8"), 1);
    assert_int_equal(sb_st_dtype_size("U8"), 1);
    assert_int_equal(sb_st_dtype_size("BOOL"), 1);
    assert_int_equal(sb_st_dtype_size("f32"), 0);
    assert_int_equal(sb_st_dtype_size("F3"), 0);
    assert_int_equal(sb_st_dtype_size(""), 0);
    assert_int_equal(sb_st_dtype_size(NULL), 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    char path[256], err[512] = "";
    write_sample(path, sizeof path, "rt.safetensors");

    /* the raw layout: padded header, data 8-byte aligned and contiguous */
    size_t len;
    unsigned char *raw = read_all(path, &len);
    uint64_t hlen = get_le64(raw);
    assert_int_equal(hlen % 8, 0);
    assert_true(8 + hlen <= len);
    size_t total = 0;
    for (int i = 0; i < NT; i++)
        total += sample_bytes(i);
    assert_int_equal(len, 8 + hlen + total);
    char *hdr = strndup((char *)raw + 8, hlen);
    assert_non_null(hdr);
    assert_int_equal(hdr[0], '{');
    char *meta_at = strstr(hdr, "\"__metadata__\"");
    assert_non_null(meta_at);
    char *prev = meta_at;
    for (int i = 0; i < NT; i++) {   /* tensors in the given order, after the metadata */
        char key[64];
        snprintf(key, sizeof key, "\"%s\":{", sample[i].name);
        char *at = strstr(hdr, key);
        if (!at || at <= prev)
            fail_msg("tensor %s missing or out of order in header %s", sample[i].name, hdr);
        prev = at;
    }
    assert_non_null(strstr(hdr, "\"data_offsets\":[0,24]"));
    size_t off = 8 + hlen;
    for (int i = 0; i < NT; i++) {
        if (sample_bytes(i))
            assert_memory_equal(raw + off, sample[i].data, sample_bytes(i));
        off += sample_bytes(i);
    }
    free(hdr);
    free(raw);

    sb_st_file *f = sb_st_open(path, err, sizeof err);
    if (!f)
        fail_msg("sb_st_open: %s", err);
    assert_int_equal(sb_st_count(f), NT);
    for (int i = 0; i < NT; i++) {
        const sb_st_tensor *t = sb_st_get(f, i);
        assert_non_null(t);
        assert_string_equal(t->name, sample[i].name);
        assert_string_equal(t->dtype, sample[i].dtype);
        assert_int_equal(t->ndim, sample[i].ndim);
        for (int d = 0; d < t->ndim; d++)
            assert_int_equal(t->shape[d], sample[i].shape[d]);
        assert_non_null(t->data);
        if (sample_bytes(i)) {
            unsigned char *copy = malloc(sample_bytes(i));   /* callers memcpy out */
            assert_non_null(copy);
            memcpy(copy, t->data, sample_bytes(i));
            assert_memory_equal(copy, sample[i].data, sample_bytes(i));
            free(copy);
        }
        assert_ptr_equal(sb_st_find(f, sample[i].name), t);
    }
    /* the first tensor starts at an 8-byte aligned offset in the file */
    assert_int_equal(((uintptr_t)sb_st_get(f, 0)->data) % 8, 0);
    assert_null(sb_st_get(f, -1));
    assert_null(sb_st_get(f, NT));
    assert_null(sb_st_find(f, "missing"));
    assert_null(sb_st_find(f, "attn.0"));
    assert_null(sb_st_find(f, NULL));
    for (int i = 0; i < 3; i++)
        assert_string_equal(sb_st_meta_get(f, sample_meta[i].key), sample_meta[i].value);
    assert_null(sb_st_meta_get(f, "missing"));
    assert_null(sb_st_meta_get(f, NULL));
    sb_st_close(f);
    sb_st_close(NULL);
    assert_int_equal(sb_st_count(NULL), 0);

    /* no tmp file left behind */
    no_tmp_left(path);
    unlink(path);
}

static void test_empty_file(void **state)
{
    (void)state;
    char path[256], err[512] = "";
    mkpath(path, sizeof path, "none.safetensors");
    assert_int_equal(sb_st_write(path, NULL, 0, NULL, 0, err, sizeof err), 0);
    size_t len;
    unsigned char *raw = read_all(path, &len);
    assert_int_equal(len, 16);                      /* "{}" padded to 8 */
    assert_int_equal(get_le64(raw), 8);
    assert_memory_equal(raw + 8, "{}      ", 8);
    free(raw);
    sb_st_file *f = sb_st_open(path, err, sizeof err);
    if (!f)
        fail_msg("sb_st_open: %s", err);
    assert_int_equal(sb_st_count(f), 0);
    assert_null(sb_st_find(f, "x"));
    assert_null(sb_st_meta_get(f, "x"));
    sb_st_close(f);
    unlink(path);
}

/* Files from other writers: no padding, unknown entry keys, gaps, whitespace. */
static void test_foreign_files(void **state)
{
    (void)state;
    char path[256], err[512] = "";
    mkpath(path, sizeof path, "foreign.safetensors");
    write_st_raw(path,
                 " {\"b\": {\"shape\": [1], \"dtype\": \"U8\", \"data_offsets\": [4, 5], \"extra\": null},\n"
                 "  \"a\": {\"dtype\": \"I16\", \"shape\": [], \"data_offsets\": [1, 3]},"
                 "  \"z\": {\"dtype\": \"F32\", \"shape\": [0, 1e2], \"data_offsets\": [5, 5]}} \n",
                 6);
    sb_st_file *f = sb_st_open(path, err, sizeof err);
    if (!f)
        fail_msg("sb_st_open: %s", err);
    assert_int_equal(sb_st_count(f), 3);
    assert_string_equal(sb_st_get(f, 0)->name, "b");
    assert_string_equal(sb_st_get(f, 1)->name, "a");
    const sb_st_tensor *a = sb_st_find(f, "a");
    assert_non_null(a);
    assert_int_equal(a->ndim, 0);
    unsigned char v[2];
    memcpy(v, a->data, 2);
    assert_int_equal(v[0], 1 * 7 + 1);
    assert_int_equal(v[1], 2 * 7 + 1);
    assert_int_equal(sb_st_find(f, "z")->shape[1], 100);
    sb_st_close(f);
    unlink(path);
}

/* ------------------------------------------------------- malformed files */

typedef struct {
    const char *label;
    const char *header;     /* JSON text; NULL: raw bytes below */
    size_t datalen;
    const char *frag1, *frag2;
} bad_case;

#define F32A(off) "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" off "}"

static const bad_case bad_cases[] = {
    { "empty header", "", 0, "not valid JSON", NULL },
    { "invalid JSON", "{\"a\":", 0, "not valid JSON", NULL },
    { "invalid JSON 2", "{\"a\":{\"dtype\":\"F32\",}}", 0, "not valid JSON", NULL },
    { "unterminated string", "{\"a", 0, "not valid JSON", NULL },
    { "not an object", "[1,2]", 0, "not a JSON object", NULL },
    { "a string", "\"x\"", 0, "not a JSON object", NULL },
    { "trailing bytes", "{} x", 0, "after the JSON object", NULL },
    { "two objects", "{}{}", 0, "after the JSON object", NULL },
    { "entry not an object", "{\"a\":5}", 0, "tensor 'a'", "not an object" },
    { "entry is an array", "{\"a\":[]}", 0, "tensor 'a'", "not an object" },
    { "wrong dtype", "{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'a'",
      "unknown dtype 'F33'" },
    { "lower-case dtype", "{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'a'",
      "unknown dtype" },
    { "dtype not a string", "{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'a'", "dtype" },
    { "dtype missing", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'a'", "dtype" },
    { "negative shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,8]}}", 8, "tensor 'w'",
      "non-negative integer" },
    { "fractional shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "tensor 'w'",
      "non-negative integer" },
    { "huge shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,4]}}", 4, "tensor 'w'",
      "non-negative integer" },
    { "string shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8, "tensor 'w'",
      "non-negative integer" },
    { "shape not an array", "{\"w\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8, "tensor 'w'",
      "shape" },
    { "shape missing", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "tensor 'w'", "shape" },
    { "too many dims", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}", 1,
      "tensor 'w'", "more than 8 dimensions" },
    { "numel overflow", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,0]}}",
      0, "tensor 'w'", "too large" },
    { "bytes overflow", "{\"w\":{\"dtype\":\"F64\",\"shape\":[2147483648,2147483648],\"data_offsets\":[0,0]}}", 0,
      "tensor 'w'", "shape [2147483648,2147483648] of F64 is too large" },
    { "offsets missing", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "tensor 'w'", "data_offsets" },
    { "one offset", "{\"w\":" F32A("[0]") "}", 4, "tensor 'w'", "data_offsets" },
    { "three offsets", "{\"w\":" F32A("[0,4,4]") "}", 4, "tensor 'w'", "data_offsets" },
    { "negative offset", "{\"w\":" F32A("[-4,0]") "}", 4, "tensor 'w'", "data_offsets" },
    { "string offset", "{\"w\":" F32A("[\"0\",4]") "}", 4, "tensor 'w'", "data_offsets" },
    { "offsets object", "{\"w\":" F32A("{\"a\":0,\"b\":4}") "}", 4, "tensor 'w'", "data_offsets" },
    { "begin after end", "{\"w\":" F32A("[4,0]") "}", 4, "tensor 'w'", "begin is after end" },
    { "beyond data", "{\"w\":" F32A("[0,4]") "}", 3, "tensor 'w'", "beyond the data (3 bytes)" },
    { "far beyond data", "{\"w\":" F32A("[9007199254740988,9007199254740992]") "}", 4, "tensor 'w'", "beyond" },
    { "offsets mismatch", "{\"attn.0.wq\":{\"dtype\":\"F32\",\"shape\":[5,6],\"data_offsets\":[0,100]}}", 120,
      "tensor 'attn.0.wq': data_offsets [0,100] do not match shape [5,6] of F32 (120 bytes)", NULL },
    { "scalar mismatch", "{\"s\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,4]}}", 8, "tensor 's'",
      "do not match shape [] of F64 (8 bytes)" },
    { "overlap", "{\"a\":" F32A("[0,4]") ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[2,10]}}", 10,
      "overlap", "'a'" },
    { "same offsets", "{\"a\":" F32A("[4,8]") ",\"b\":" F32A("[4,8]") "}", 8, "overlap", NULL },
    { "nested overlap",
      "{\"big\":{\"dtype\":\"U8\",\"shape\":[12],\"data_offsets\":[0,12]},\"c\":" F32A("[8,12]") ",\"d\":" F32A(
          "[4,8]") "}",
      12, "overlap", "'big'" },
    { "non-string metadata", "{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ key 'k'", "not a string" },
    { "null metadata value", "{\"__metadata__\":{\"ok\":\"x\",\"k\":null}}", 0, "__metadata__ key 'k'",
      "not a string" },
    { "metadata not an object", "{\"__metadata__\":\"x\"}", 0, "__metadata__", "not an object" },
    { "duplicate metadata key", "{\"__metadata__\":{\"k\":\"1\",\"j\":\"0\",\"k\":\"2\"}}", 0, "duplicate", "'k'" },
    { "duplicate __metadata__", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "duplicate", "__metadata__" },
    { "duplicate tensor", "{\"a\":" F32A("[0,4]") ",\"b\":" F32A("[4,8]") ",\"a\":" F32A("[8,12]") "}", 12,
      "duplicate tensor 'a'", NULL },
    { "duplicate entry key", "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
      "tensor 'a'", "duplicate key 'dtype'" },
    /* an escaped NUL would end the name in C: "a\u0000b" would load as tensor 'a' */
    { "escaped NUL in a name", "{\"a\\u0000b\":" F32A("[0,4]") "}", 4, "NUL character", "at byte 3" },
    { "escaped NUL in metadata", "{\"__metadata__\":{\"k\":\"x\\u0000y\"}}", 0, "NUL character", NULL },
};

static void test_malformed(void **state)
{
    (void)state;
    char path[256];
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        char name[64];
        snprintf(name, sizeof name, "bad%zu.safetensors", i);
        mkpath(path, sizeof path, name);
        write_st_raw(path, c->header, c->datalen);
        expect_open_fails_as(c->label, path, c->frag1, c->frag2);
        unlink(path);
    }
}

/* Bad header lengths, written as raw bytes. */
static void test_bad_lengths(void **state)
{
    (void)state;
    char path[256];
    unsigned char buf[32] = { 0 };
    mkpath(path, sizeof path, "len.safetensors");

    write_bytes(path, "abcde", 5);
    expect_open_fails(path, "5 bytes, too short", NULL);
    write_bytes(path, "", 0);
    expect_open_fails(path, "0 bytes, too short", NULL);

    put_le64(buf, 1000);
    memcpy(buf + 8, "{}", 2);
    write_bytes(path, buf, 10);
    expect_open_fails(path, "header length 1000 exceeds the file", NULL);

    put_le64(buf, 3);       /* one byte more than the file holds */
    write_bytes(path, buf, 10);
    expect_open_fails(path, "header length 3 exceeds the file (2 bytes", NULL);

    put_le64(buf, 200u << 20);
    write_bytes(path, buf, 10);
    expect_open_fails(path, "header length 209715200 is over the", "limit");

    put_le64(buf, UINT64_MAX);
    write_bytes(path, buf, 10);
    expect_open_fails(path, "over the", "limit");

    put_le64(buf, (uint64_t)1 << 63);
    write_bytes(path, buf, 8);
    expect_open_fails(path, "over the", "limit");

    put_le64(buf, 0);       /* empty header */
    write_bytes(path, buf, 8);
    expect_open_fails(path, "not valid JSON", NULL);

    put_le64(buf, 4);       /* a NUL byte inside the header */
    memcpy(buf + 8, "{}\0 ", 4);
    write_bytes(path, buf, 12);
    expect_open_fails(path, "a NUL character (at byte 2)", NULL);

    /* not a file */
    expect_open_fails(dir, "not a regular file", NULL);
    mkpath(path, sizeof path, "does-not-exist.safetensors");
    expect_open_fails(path, "cannot open", NULL);

    /* no message buffer: must not crash */
    assert_null(sb_st_open(path, NULL, 0));
    char small[8];
    assert_null(sb_st_open(path, small, sizeof small));
    assert_int_equal(small[7], '\0');
}

/* Every proper prefix of a valid file fails cleanly, with the right reason. */
static void test_truncated(void **state)
{
    (void)state;
    char path[256], cut[256];
    write_sample(path, sizeof path, "full.safetensors");
    mkpath(cut, sizeof cut, "cut.safetensors");
    size_t len;
    unsigned char *raw = read_all(path, &len);
    uint64_t hlen = get_le64(raw);
    for (size_t l = 0; l < len; l++) {
        write_bytes(cut, raw, l);
        if (l < 8)
            expect_open_fails(cut, "too short", NULL);
        else if (l < 8 + hlen)
            expect_open_fails(cut, "exceeds the file", NULL);
        else
            expect_open_fails(cut, "beyond the data", NULL);
    }
    write_bytes(cut, raw, len);   /* and the whole file is fine */
    sb_st_file *f = sb_st_open(cut, NULL, 0);
    assert_non_null(f);
    sb_st_close(f);
    free(raw);
    unlink(cut);
    unlink(path);
}

/* Random corruption of the header and the length: never crash (ASan/UBSan
** watch), and either open consistently or fail with a message. */
static void test_corrupted(void **state)
{
    (void)state;
    char path[256], bad[256];
    write_sample(path, sizeof path, "orig.safetensors");
    mkpath(bad, sizeof bad, "corrupt.safetensors");
    size_t len;
    unsigned char *raw = read_all(path, &len);
    unsigned char *buf = malloc(len);
    assert_non_null(buf);
    uint64_t hlen = get_le64(raw);
    static const unsigned char alphabet[] = "{}[]\":,0123456789-.eE \\u\x00\xff" "FIUB";
    uint32_t s = 12345;
    int opened = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(buf, raw, len);
        int flips = 1 + it % 4;
        for (int k = 0; k < flips; k++) {
            s = s * 1103515245u + 12345u;
            size_t at = (s >> 8) % (8 + hlen);
            s = s * 1103515245u + 12345u;
            buf[at] = (s >> 16) & 1 ? alphabet[(s >> 8) % (sizeof alphabet - 1)] : (unsigned char)(s >> 8);
        }
        write_bytes(bad, buf, len);
        char err[512] = "";
        sb_st_file *f = sb_st_open(bad, err, sizeof err);
        if (f) {
            opened++;
            volatile unsigned sum = 0;
            for (int i = 0; i < sb_st_count(f); i++) {
                const sb_st_tensor *t = sb_st_get(f, i);
                size_t n = sb_st_dtype_size(t->dtype);
                assert_true(n > 0);
                assert_true(t->ndim >= 0 && t->ndim <= SB_ST_MAX_DIMS);
                for (int d = 0; d < t->ndim; d++)
                    n *= (size_t)t->shape[d];
                for (size_t j = 0; j < n; j++)   /* every byte readable (ASan checks) */
                    sum += ((const unsigned char *)t->data)[j];
                assert_ptr_equal(sb_st_find(f, t->name), t);
            }
            (void)sum;
            sb_st_close(f);
        } else if (!strstr(err, bad)) {
            fail_msg("message \"%s\" does not name the file", err);
        }
    }
    print_message("  %d of 3000 corrupted files still opened\n", opened);
    free(buf);
    free(raw);
    unlink(bad);
    unlink(path);
}

/* ---------------------------------------------------------------- writing */

static int file_equals(const char *path, const void *data, size_t len)
{
    size_t got;
    unsigned char *raw = read_all(path, &got);
    int eq = got == len && memcmp(raw, data, len) == 0;
    free(raw);
    return eq;
}

static void test_write_errors(void **state)
{
    (void)state;
    char path[400], err[512];
    init_sample();

    /* an unwritable path */
    const char *nowhere = "/nonexistent-dir/x.safetensors";
    err[0] = 0;
    assert_int_equal(sb_st_write(nowhere, sample, NT, sample_meta, 3, err, sizeof err), -1);
    assert_non_null(strstr(err, nowhere));
    assert_non_null(strstr(err, "No such file or directory"));
    assert_int_equal(sb_st_write(nowhere, sample, NT, NULL, 0, NULL, 0), -1);

    /* invalid arguments are refused with a message, before anything is written */
    mkpath(path, sizeof path, "args.safetensors");
    static const char old[] = "previous contents";
    write_bytes(path, old, sizeof old);
    struct {
        sb_st_tensor t[2];
        int n;
        const char *frag;
    } bad[] = {
        { { { .name = "x", .dtype = "F33", .ndim = 1, .shape = { 1 }, .data = f32a } }, 1, "unknown dtype 'F33'" },
        { { { .name = "x", .dtype = NULL, .ndim = 1, .shape = { 1 }, .data = f32a } }, 1, "unknown dtype" },
        { { { .name = NULL, .dtype = "F32", .ndim = 1, .shape = { 1 }, .data = f32a } }, 1, "no name" },
        { { { .name = "x", .dtype = "F32", .ndim = 1, .shape = { -1 }, .data = f32a } }, 1, "negative" },
        { { { .name = "x", .dtype = "F32", .ndim = 9, .shape = { 1 }, .data = f32a } }, 1, "ndim 9" },
        { { { .name = "x", .dtype = "F32", .ndim = -1, .shape = { 1 }, .data = f32a } }, 1, "ndim -1" },
        { { { .name = "x", .dtype = "F32", .ndim = 1, .shape = { 2 }, .data = NULL } }, 1, "data is NULL" },
        { { { .name = "x", .dtype = "F32", .ndim = 3, .shape = { 1 << 30, 1 << 30, 1 << 30 }, .data = f32a } }, 1,
          "too large" },
        { { { .name = "__metadata__", .dtype = "F32", .ndim = 1, .shape = { 1 }, .data = f32a } }, 1, "reserved" },
        { { { .name = "x", .dtype = "F32", .ndim = 1, .shape = { 1 }, .data = f32a },
            { .name = "x", .dtype = "F32", .ndim = 1, .shape = { 1 }, .data = f32a } },
          2, "duplicate tensor name 'x'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        assert_int_equal(sb_st_write(path, bad[i].t, bad[i].n, NULL, 0, err, sizeof err), -1);
        if (!strstr(err, path) || !strstr(err, bad[i].frag))
            fail_msg("case %zu: message \"%s\" lacks the path or '%s'", i, err, bad[i].frag);
        assert_true(file_equals(path, old, sizeof old));
        no_tmp_left(path);
    }
    static const sb_st_meta dupmeta[] = { { "k", "1" }, { "k", "2" } }, nullmeta[] = { { "k", NULL } };
    assert_int_equal(sb_st_write(path, sample, 1, dupmeta, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "duplicate metadata key 'k'"));
    assert_int_equal(sb_st_write(path, sample, 1, nullmeta, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "metadata"));
    assert_int_equal(sb_st_write(path, sample, -1, NULL, 0, err, sizeof err), -1);
    assert_int_equal(sb_st_write(path, NULL, 1, NULL, 0, err, sizeof err), -1);
    assert_int_equal(sb_st_write(path, sample, 1, NULL, 1, err, sizeof err), -1);
    assert_int_equal(sb_st_write(NULL, sample, 1, NULL, 0, err, sizeof err), -1);
    assert_int_equal(sb_st_write("", sample, 1, NULL, 0, err, sizeof err), -1);
    assert_true(file_equals(path, old, sizeof old));

    /* the temporary file cannot be created (its name, 10 bytes longer, is past NAME_MAX) */
    char longpath[400], name[256];
    memset(name, 'n', 250);
    name[250] = 0;
    mkpath(longpath, sizeof longpath, name);
    write_bytes(longpath, old, sizeof old);
    err[0] = 0;
    assert_int_equal(sb_st_write(longpath, sample, NT, sample_meta, 3, err, sizeof err), -1);
    assert_non_null(strstr(err, longpath));
    assert_true(file_equals(longpath, old, sizeof old));
    no_tmp_left(longpath);
    unlink(longpath);

    /* what is not a regular file is never replaced: a FIFO, a directory, a
    ** link to nothing; a link to a file is written through */
    char other[400], link[400];
    mkpath(other, sizeof other, "fifo.safetensors");
    assert_int_equal(mkfifo(other, 0600), 0);
    assert_int_equal(sb_st_write(other, sample, NT, sample_meta, 3, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a regular file"));
    struct stat lst;
    assert_int_equal(lstat(other, &lst), 0);
    assert_true(S_ISFIFO(lst.st_mode));
    unlink(other);
    mkpath(other, sizeof other, "adir.safetensors");
    assert_int_equal(mkdir(other, 0700), 0);
    assert_int_equal(sb_st_write(other, sample, NT, sample_meta, 3, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a regular file"));
    rmdir(other);
    mkpath(link, sizeof link, "dangling.safetensors");
    assert_int_equal(symlink("nowhere.safetensors", link), 0);
    assert_int_equal(sb_st_write(link, sample, NT, sample_meta, 3, err, sizeof err), -1);
    assert_non_null(strstr(err, "does not exist"));
    mkpath(other, sizeof other, "nowhere.safetensors");
    assert_int_equal(access(other, F_OK), -1);
    unlink(link);
    mkpath(other, sizeof other, "real.safetensors");
    write_bytes(other, old, sizeof old);
    mkpath(link, sizeof link, "link.safetensors");
    assert_int_equal(symlink("real.safetensors", link), 0);
    assert_int_equal(sb_st_write(link, sample, NT, sample_meta, 3, err, sizeof err), 0);
    assert_int_equal(lstat(link, &lst), 0);
    assert_true(S_ISLNK(lst.st_mode));
    sb_st_file *through = sb_st_open(other, err, sizeof err);
    assert_non_null(through);
    assert_int_equal(sb_st_count(through), NT);
    sb_st_close(through);
    no_tmp_left(other);
    unlink(link);
    unlink(other);

    /* the write fails half way (file size limit): tmp removed, old file intact */
    static unsigned char big[1 << 16];
    sb_st_tensor bigt = { .name = "big", .dtype = "U8", .ndim = 1, .shape = { sizeof big }, .data = big };
    struct rlimit saved, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    if (saved.rlim_cur == RLIM_INFINITY || saved.rlim_cur > 4096) {
        void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
        lim = saved;
        lim.rlim_cur = 4096;
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        err[0] = 0;
        int rc = sb_st_write(path, &bigt, 1, NULL, 0, err, sizeof err);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
        signal(SIGXFSZ, oldsig);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, "File too large"));
        assert_true(file_equals(path, old, sizeof old));
        no_tmp_left(path);
    }

    /* and a successful write replaces it */
    assert_int_equal(sb_st_write(path, &bigt, 1, NULL, 0, err, sizeof err), 0);
    sb_st_file *f = sb_st_open(path, err, sizeof err);
    assert_non_null(f);
    assert_int_equal(sb_st_count(f), 1);
    assert_memory_equal(sb_st_get(f, 0)->data, big, sizeof big);
    sb_st_close(f);
    no_tmp_left(path);
    unlink(path);
}

/* ------------------------------------------------------------------ setup */

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_tree(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sb_st_test.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    remove_tree(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtype_size),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_foreign_files),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_bad_lengths),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupted),
        cmocka_unit_test(test_write_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
