/*
** safetensors.c: read and write the safetensors format (Hugging Face).
**
** Writing builds the JSON header with cJSON (tensors in the caller's order,
** "__metadata__" first as the reference writer does), pads it with spaces so
** the data starts at an 8-byte aligned file offset, and goes through a
** temporary file beside it (path.tmpXXXXXX), fsync and rename so a crash never
** leaves a half-written file under path; a link is written through, and a
** FIFO, device or directory at path is refused, never replaced.
**
** Reading loads the whole file into one buffer and checks everything before
** returning: the file is untrusted input (it is fuzzed), so every length and
** offset is checked against the buffer and every product against overflow.
** Tensor names are copied and owned by the sb_st_file; dtype strings point to
** this module's static table; data pointers point into the file buffer and
** stay valid until sb_st_close.
**
** Alignment: data pointers are only as aligned as their offset in the file.
** Files written here start the data at an 8-byte aligned offset and the read
** buffer comes from malloc, so our own files give 8-byte aligned data for the
** first tensor, but the format does not align individual tensors and other
** writers need not pad at all. Callers must memcpy the data out (or convert
** element by element through memcpy) rather than cast data to float * etc.
*/
#include "safetensors.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_HEADER (100u << 20)        /* larger headers are refused as absurd */
#define MAX_JSON_INT 9007199254740992.0 /* 2^53: every integer below is exact in a double */
#define NAMEFMT "%.200s"                /* names are truncated in messages */

struct sb_st_file {
    unsigned char *buf;           /* the whole file, plus a NUL */
    size_t size;
    int n;
    sb_st_tensor *t;              /* file order */
    const sb_st_tensor **byname;  /* sorted by name, for sb_st_find */
    int nmeta;
    sb_st_meta *meta;             /* file order */
};

static const struct {
    const char *name;
    size_t size;
} dtypes[] = {
    { "F64", 8 }, { "F32", 4 }, { "F16", 2 }, { "BF16", 2 },
    { "I64", 8 }, { "I32", 4 }, { "I16", 2 }, { "I8", 1 },
    { "U64", 8 }, { "U32", 4 }, { "U16", 2 }, { "U8", 1 },
    { "BOOL", 1 }, { "F8_E4M3", 1 }, { "F8_E5M2", 1 },
};

__attribute__((format(printf, 3, 4)))
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The canonical (static) name of dtype, or NULL when unknown. */
static const char *dtype_lookup(const char *dtype, size_t *size)
{
    if (!dtype)
        return NULL;
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strcmp(dtype, dtypes[i].name) == 0) {
            if (size)
                *size = dtypes[i].size;
            return dtypes[i].name;
        }
    return NULL;
}

size_t sb_st_dtype_size(const char *dtype)
{
    size_t size = 0;
    return dtype_lookup(dtype, &size) ? size : 0;
}

/* numel(shape) * elemsize into *bytes; -1 when it does not fit in 64 bits. */
static int tensor_bytes(const int64_t *shape, int ndim, size_t elemsize, uint64_t *bytes)
{
    uint64_t numel = 1;
    for (int i = 0; i < ndim; i++)
        if (shape[i] == 0) {
            *bytes = 0;
            return 0;
        }
    for (int i = 0; i < ndim; i++)
        if (__builtin_mul_overflow(numel, (uint64_t)shape[i], &numel))
            return -1;
    if (__builtin_mul_overflow(numel, (uint64_t)elemsize, bytes))
        return -1;
    return 0;
}

/* "[5,6]" into buf (which holds at least 24 * SB_ST_MAX_DIMS bytes). */
static void fmt_shape(char *buf, size_t len, const int64_t *shape, int ndim)
{
    size_t k = 0;
    k += (size_t)snprintf(buf + k, len - k, "[");
    for (int i = 0; i < ndim && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%" PRId64, i ? "," : "", shape[i]);
    if (k < len)
        snprintf(buf + k, len - k, "]");
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_tensor_name(const void *a, const void *b)
{
    return strcmp((*(const sb_st_tensor *const *)a)->name, (*(const sb_st_tensor *const *)b)->name);
}

static int cmp_meta_key(const void *a, const void *b)
{
    return strcmp((*(const sb_st_meta *const *)a)->key, (*(const sb_st_meta *const *)b)->key);
}

/* ---------------------------------------------------------------- writing */

/* A JSON integer written exactly (cJSON would print large doubles as 1e+15). */
static cJSON *json_int(uint64_t v)
{
    char s[32];
    snprintf(s, sizeof s, "%" PRIu64, v);
    return cJSON_CreateRaw(s);
}

/* Add item to obj (or arr when key is NULL); frees item and returns 0 on failure. */
static int json_add(cJSON *parent, const char *key, cJSON *item)
{
    if (!item)
        return 0;
    cJSON_bool ok = key ? cJSON_AddItemToObject(parent, key, item) : cJSON_AddItemToArray(parent, item);
    if (!ok)
        cJSON_Delete(item);
    return ok ? 1 : 0;
}

/* Check the caller's tensors and metadata; fills bytes[i]. */
static int check_write_args(const char *path, const sb_st_tensor *tensors, int n, const sb_st_meta *meta,
                            int nmeta, uint64_t *bytes, char *err, size_t errlen)
{
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        const sb_st_tensor *t = &tensors[i];
        size_t es = 0;
        if (!t->name) {
            seterr(err, errlen, "%s: tensor %d has no name", path, i);
            return -1;
        }
        if (strcmp(t->name, "__metadata__") == 0) {
            seterr(err, errlen, "%s: tensor %d: the name '__metadata__' is reserved", path, i);
            return -1;
        }
        if (!dtype_lookup(t->dtype, &es)) {
            seterr(err, errlen, "%s: tensor '" NAMEFMT "': unknown dtype '%.32s'", path, t->name,
                   t->dtype ? t->dtype : "(null)");
            return -1;
        }
        if (t->ndim < 0 || t->ndim > SB_ST_MAX_DIMS) {
            seterr(err, errlen, "%s: tensor '" NAMEFMT "': ndim %d outside 0..%d", path, t->name, t->ndim,
                   SB_ST_MAX_DIMS);
            return -1;
        }
        for (int d = 0; d < t->ndim; d++)
            if (t->shape[d] < 0) {
                seterr(err, errlen, "%s: tensor '" NAMEFMT "': shape dimension %d is negative (%" PRId64 ")",
                       path, t->name, d, t->shape[d]);
                return -1;
            }
        if (tensor_bytes(t->shape, t->ndim, es, &bytes[i]) < 0 || bytes[i] > SIZE_MAX ||
            __builtin_add_overflow(total, bytes[i], &total)) {
            seterr(err, errlen, "%s: tensor '" NAMEFMT "': too large", path, t->name);
            return -1;
        }
        if (bytes[i] > 0 && !t->data) {
            seterr(err, errlen, "%s: tensor '" NAMEFMT "': data is NULL", path, t->name);
            return -1;
        }
    }
    for (int i = 0; i < nmeta; i++)
        if (!meta[i].key || !meta[i].value) {
            seterr(err, errlen, "%s: metadata entry %d has a NULL key or value", path, i);
            return -1;
        }

    /* duplicates, by sorting copies of the names */
    int m = n > nmeta ? n : nmeta, rc = 0;
    const char **names = malloc((size_t)(m > 0 ? m : 1) * sizeof *names);
    if (!names) {
        seterr(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        int k = pass == 0 ? n : nmeta;
        for (int i = 0; i < k; i++)
            names[i] = pass == 0 ? tensors[i].name : meta[i].key;
        qsort(names, (size_t)k, sizeof *names, cmp_str);
        for (int i = 1; i < k; i++)
            if (strcmp(names[i - 1], names[i]) == 0) {
                seterr(err, errlen, "%s: duplicate %s '" NAMEFMT "'", path,
                       pass == 0 ? "tensor name" : "metadata key", names[i]);
                rc = -1;
                break;
            }
    }
    free(names);
    return rc;
}

/* The header JSON text, unpadded; NULL when out of memory. */
static char *build_header(const sb_st_tensor *tensors, int n, const sb_st_meta *meta, int nmeta,
                          const uint64_t *bytes)
{
    cJSON *root = cJSON_CreateObject();
    char *text = NULL;
    if (!root)
        return NULL;
    if (nmeta > 0) {
        cJSON *m = cJSON_CreateObject();
        if (!json_add(root, "__metadata__", m))
            goto done;
        for (int i = 0; i < nmeta; i++)
            if (!json_add(m, meta[i].key, cJSON_CreateString(meta[i].value)))
                goto done;
    }
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        const sb_st_tensor *t = &tensors[i];
        cJSON *e = cJSON_CreateObject(), *shape, *offs;
        if (!json_add(root, t->name, e) || !json_add(e, "dtype", cJSON_CreateString(dtype_lookup(t->dtype, NULL))))
            goto done;
        if (!json_add(e, "shape", shape = cJSON_CreateArray()))
            goto done;
        for (int d = 0; d < t->ndim; d++)
            if (!json_add(shape, NULL, json_int((uint64_t)t->shape[d])))
                goto done;
        if (!json_add(e, "data_offsets", offs = cJSON_CreateArray()) || !json_add(offs, NULL, json_int(off)) ||
            !json_add(offs, NULL, json_int(off + bytes[i])))
            goto done;
        off += bytes[i];
    }
    text = cJSON_PrintUnformatted(root);
done:
    cJSON_Delete(root);
    return text;
}

static mode_t current_umask(void)
{
    mode_t m = umask(0);
    umask(m);
    return m;
}

/* Best effort: make the rename durable by syncing the directory holding path. */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    if (!dir)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int sb_st_write(const char *path, const sb_st_tensor *tensors, int n, const sb_st_meta *meta, int nmeta,
                char *err, size_t errlen)
{
    if (!path || !*path) {
        seterr(err, errlen, "safetensors: empty path");
        return -1;
    }
    if (n < 0 || nmeta < 0 || (n > 0 && !tensors) || (nmeta > 0 && !meta)) {
        seterr(err, errlen, "%s: invalid tensor or metadata list (n=%d, nmeta=%d)", path, n, nmeta);
        return -1;
    }
    uint64_t *bytes = malloc((size_t)(n > 0 ? n : 1) * sizeof *bytes);
    char *text = NULL, *tmp = NULL, *target = NULL;
    FILE *fp = NULL;
    int rc = -1, created = 0;
    if (!bytes) {
        seterr(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if (check_write_args(path, tensors, n, meta, nmeta, bytes, err, errlen) < 0)
        goto done;
    /* Where: path, or the file a link names (written through: the link
    ** stays); a FIFO, a device or a directory is never replaced. */
    struct stat lst, tst;
    if (!lstat(path, &lst)) {
        if (stat(path, &tst)) {
            seterr(err, errlen, "%s: %s", path, errno == ENOENT ? "a symbolic link to a file that does not exist" : strerror(errno));
            goto done;
        }
        if (!S_ISREG(tst.st_mode)) {
            seterr(err, errlen, "%s: not a regular file: refusing to write a checkpoint over it", path);
            goto done;
        }
        if (S_ISLNK(lst.st_mode) && !(target = realpath(path, NULL))) {
            seterr(err, errlen, "%s: cannot follow the link: %s", path, strerror(errno));
            goto done;
        }
    }
    const char *dest = target ? target : path;
    text = build_header(tensors, n, meta, nmeta, bytes);
    size_t plen = strlen(dest);
    tmp = malloc(plen + 12);
    if (!text || !tmp) {
        seterr(err, errlen, "%s: out of memory", path);
        goto done;
    }
    /* a name of its own: two processes saving to one path do not share it */
    snprintf(tmp, plen + 12, "%s.tmpXXXXXX", dest);
    int tfd = mkstemp(tmp);
    if (tfd < 0) {
        seterr(err, errlen, "%s: cannot create %s: %s", path, tmp, strerror(errno));
        goto done;
    }
    created = 1;
    if (fchmod(tfd, 0666 & ~current_umask())) { /* mkstemp made 0600; not fatal */ }

    size_t hlen = strlen(text), pad = (8 - hlen % 8) % 8;
    unsigned char lenbuf[8];
    static const char spaces[8] = "        ";
    put_le64(lenbuf, (uint64_t)(hlen + pad));

    fp = fdopen(tfd, "wb");
    if (!fp) {
        seterr(err, errlen, "%s: cannot create %s: %s", path, tmp, strerror(errno));
        close(tfd);
        goto done;
    }
    int ok = fwrite(lenbuf, 1, 8, fp) == 8 && fwrite(text, 1, hlen, fp) == hlen && fwrite(spaces, 1, pad, fp) == pad;
    for (int i = 0; ok && i < n; i++)
        if (bytes[i] > 0)
            ok = fwrite(tensors[i].data, 1, (size_t)bytes[i], fp) == (size_t)bytes[i];
    ok = ok && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
    int e = errno;
    if (fclose(fp) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    fp = NULL;
    if (!ok) {
        seterr(err, errlen, "%s: writing %s failed: %s", path, tmp, strerror(e));
        goto done;
    }
    if (rename(tmp, dest) != 0) {
        seterr(err, errlen, "%s: cannot rename %s to it: %s", path, tmp, strerror(errno));
        goto done;
    }
    created = 0;
    sync_dir(dest);
    rc = 0;
done:
    if (created)
        unlink(tmp);
    free(target);
    free(tmp);
    free(text);
    free(bytes);
    return rc;
}

/* ---------------------------------------------------------------- reading */

/* A JSON number that is an integer in [0, 2^53]. */
static int json_uint(const cJSON *it, uint64_t *out)
{
    if (!cJSON_IsNumber(it))
        return -1;
    double d = it->valuedouble;
    if (!(d >= 0 && d <= MAX_JSON_INT))
        return -1;
    uint64_t v = (uint64_t)d;
    if ((double)v != d)
        return -1;
    *out = v;
    return 0;
}

static int parse_meta(sb_st_file *f, const char *path, const cJSON *obj, char *err, size_t errlen)
{
    if (!cJSON_IsObject(obj)) {
        seterr(err, errlen, "%s: __metadata__ is not an object", path);
        return -1;
    }
    int k = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        if (++k == INT32_MAX) {
            seterr(err, errlen, "%s: __metadata__ has too many entries", path);
            return -1;
        }
    f->meta = calloc((size_t)(k > 0 ? k : 1), sizeof *f->meta);
    const sb_st_meta **sorted = malloc((size_t)(k > 0 ? k : 1) * sizeof *sorted);
    int rc = -1;
    if (!f->meta || !sorted) {
        seterr(err, errlen, "%s: out of memory", path);
        goto done;
    }
    for (const cJSON *c = obj->child; c; c = c->next) {
        const char *key = c->string ? c->string : "";
        if (!cJSON_IsString(c) || !c->valuestring) {
            seterr(err, errlen, "%s: __metadata__ key '" NAMEFMT "': value is not a string", path, key);
            goto done;
        }
        sb_st_meta *m = &f->meta[f->nmeta];
        m->key = strdup(key);
        m->value = strdup(c->valuestring);
        f->nmeta++;
        if (!m->key || !m->value) {
            seterr(err, errlen, "%s: out of memory", path);
            goto done;
        }
        sorted[f->nmeta - 1] = m;
    }
    qsort(sorted, (size_t)f->nmeta, sizeof *sorted, cmp_meta_key);
    for (int i = 1; i < f->nmeta; i++)
        if (strcmp(sorted[i - 1]->key, sorted[i]->key) == 0) {
            seterr(err, errlen, "%s: __metadata__: duplicate key '" NAMEFMT "'", path, sorted[i]->key);
            goto done;
        }
    rc = 0;
done:
    free(sorted);
    return rc;
}

/* One tensor entry into t (name already set); begin/end are its data offsets. */
static int parse_tensor(sb_st_tensor *t, const cJSON *e, size_t datasize, const char *path, uint64_t *begin,
                        uint64_t *end, char *err, size_t errlen)
{
    const char *name = t->name;
    if (!cJSON_IsObject(e)) {
        seterr(err, errlen, "%s: tensor '" NAMEFMT "': entry is not an object", path, name);
        return -1;
    }
    const cJSON *dt = NULL, *shape = NULL, *offs = NULL;
    for (const cJSON *c = e->child; c; c = c->next) {
        const cJSON **slot = NULL;
        if (!c->string)
            continue;
        if (strcmp(c->string, "dtype") == 0)
            slot = &dt;
        else if (strcmp(c->string, "shape") == 0)
            slot = &shape;
        else if (strcmp(c->string, "data_offsets") == 0)
            slot = &offs;
        else
            continue;                               /* unknown keys are ignored, as the reference does */
        if (*slot) {
            seterr(err, errlen, "%s: tensor '" NAMEFMT "': duplicate key '%s'", path, name, c->string);
            return -1;
        }
        *slot = c;
    }

    size_t es = 0;
    if (!cJSON_IsString(dt) || !dt->valuestring) {
        seterr(err, errlen, "%s: tensor '" NAMEFMT "': dtype missing or not a string", path, name);
        return -1;
    }
    if (!(t->dtype = dtype_lookup(dt->valuestring, &es))) {
        seterr(err, errlen, "%s: tensor '" NAMEFMT "': unknown dtype '%.32s'", path, name, dt->valuestring);
        return -1;
    }

    if (!cJSON_IsArray(shape)) {
        seterr(err, errlen, "%s: tensor '" NAMEFMT "': shape missing or not an array", path, name);
        return -1;
    }
    t->ndim = 0;
    for (const cJSON *c = shape->child; c; c = c->next) {
        uint64_t v;
        if (t->ndim == SB_ST_MAX_DIMS) {
            seterr(err, errlen, "%s: tensor '" NAMEFMT "': shape has more than %d dimensions", path, name,
                   SB_ST_MAX_DIMS);
            return -1;
        }
        if (json_uint(c, &v) < 0) {
            if (cJSON_IsNumber(c))
                seterr(err, errlen, "%s: tensor '" NAMEFMT "': shape dimension %d (%g) is not a non-negative integer",
                       path, name, t->ndim, c->valuedouble);
            else
                seterr(err, errlen, "%s: tensor '" NAMEFMT "': shape dimension %d is not a non-negative integer",
                       path, name, t->ndim);
            return -1;
        }
        t->shape[t->ndim++] = (int64_t)v;
    }
    char sh[24 * SB_ST_MAX_DIMS + 4];
    fmt_shape(sh, sizeof sh, t->shape, t->ndim);
    uint64_t bytes;
    if (tensor_bytes(t->shape, t->ndim, es, &bytes) < 0) {
        seterr(err, errlen, "%s: tensor '" NAMEFMT "': shape %s of %s is too large", path, name, sh, t->dtype);
        return -1;
    }

    uint64_t b = 0, en = 0;
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 || json_uint(offs->child, &b) < 0 ||
        json_uint(offs->child->next, &en) < 0) {
        seterr(err, errlen, "%s: tensor '" NAMEFMT "': data_offsets missing or not two non-negative integers", path,
               name);
        return -1;
    }
    if (b > en) {
        seterr(err, errlen, "%s: tensor '" NAMEFMT "': data_offsets [%" PRIu64 ",%" PRIu64 "]: begin is after end",
               path, name, b, en);
        return -1;
    }
    if (en > datasize) {
        seterr(err, errlen,
               "%s: tensor '" NAMEFMT "': data_offsets [%" PRIu64 ",%" PRIu64 "] reach beyond the data (%zu bytes)",
               path, name, b, en, datasize);
        return -1;
    }
    if (en - b != bytes) {
        seterr(err, errlen,
               "%s: tensor '" NAMEFMT "': data_offsets [%" PRIu64 ",%" PRIu64 "] do not match shape %s of %s (%" PRIu64
               " bytes)",
               path, name, b, en, sh, t->dtype, bytes);
        return -1;
    }
    *begin = b;
    *end = en;
    return 0;
}

typedef struct {
    uint64_t begin, end;
    int i;
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Parse and check the header of the file in f->buf. */
static int parse(sb_st_file *f, const char *path, char *err, size_t errlen)
{
    if (f->size < 8) {
        seterr(err, errlen, "%s: file is %zu bytes, too short for the 8-byte header length", path, f->size);
        return -1;
    }
    uint64_t hlen = get_le64(f->buf);
    if (hlen > MAX_HEADER) {
        seterr(err, errlen, "%s: header length %" PRIu64 " is over the %u-byte limit", path, hlen, MAX_HEADER);
        return -1;
    }
    if (hlen > f->size - 8) {
        seterr(err, errlen, "%s: header length %" PRIu64 " exceeds the file (%zu bytes after the length)", path, hlen,
               f->size - 8);
        return -1;
    }
    const char *hdr = (const char *)f->buf + 8, *endp = NULL;
    const unsigned char *data = f->buf + 8 + hlen;
    size_t datasize = f->size - 8 - (size_t)hlen;

    /* a NUL, raw or escaped (\u0000), would end a name or value early in C:
    ** "attn.0.wq\u0000x" would load as attn.0.wq */
    for (uint64_t i = 0; i < hlen; i++) {
        if (!hdr[i] || (hdr[i] == '\\' && i + 5 < hlen && hdr[i + 1] == 'u' && !memcmp(hdr + i + 2, "0000", 4))) {
            seterr(err, errlen, "%s: header has a NUL character (at byte %" PRIu64 "): not a name or value", path, i);
            return -1;
        }
        if (hdr[i] == '\\') i++;   /* the escaped character: never the start of an escape */
    }
    cJSON *root = cJSON_ParseWithLengthOpts(hdr, (size_t)hlen, &endp, 0);
    if (!root) {
        size_t at = endp && endp >= hdr && endp <= hdr + hlen ? (size_t)(endp - hdr) : 0;
        seterr(err, errlen, "%s: header is not valid JSON (error near byte %zu of %" PRIu64 ")", path, at, hlen);
        return -1;
    }
    int rc = -1;
    span *spans = NULL;
    size_t at = endp && endp >= hdr && endp <= hdr + hlen ? (size_t)(endp - hdr) : (size_t)hlen;
    for (; at < hlen; at++)
        if (!strchr(" \t\r\n", hdr[at]) || !hdr[at]) {
            seterr(err, errlen, "%s: header has bytes after the JSON object (at byte %zu of %" PRIu64 ")", path, at,
                   hlen);
            goto done;
        }
    if (!cJSON_IsObject(root)) {
        seterr(err, errlen, "%s: header is not a JSON object", path);
        goto done;
    }

    int n = 0;
    const cJSON *metaobj = NULL;
    for (const cJSON *c = root->child; c; c = c->next) {
        if (c->string && strcmp(c->string, "__metadata__") == 0) {
            if (metaobj) {
                seterr(err, errlen, "%s: duplicate key '__metadata__'", path);
                goto done;
            }
            metaobj = c;
        } else if (++n == INT32_MAX) {
            seterr(err, errlen, "%s: too many tensors", path);
            goto done;
        }
    }
    if (metaobj && parse_meta(f, path, metaobj, err, errlen) < 0)
        goto done;

    size_t cap = (size_t)(n > 0 ? n : 1);
    f->t = calloc(cap, sizeof *f->t);
    f->byname = malloc(cap * sizeof *f->byname);
    spans = malloc(cap * sizeof *spans);
    if (!f->t || !f->byname || !spans) {
        seterr(err, errlen, "%s: out of memory", path);
        goto done;
    }
    for (const cJSON *c = root->child; c; c = c->next) {
        if (c == metaobj)
            continue;
        sb_st_tensor *t = &f->t[f->n];
        if (!(t->name = strdup(c->string ? c->string : ""))) {
            seterr(err, errlen, "%s: out of memory", path);
            goto done;
        }
        f->n++;
        uint64_t b, e;
        if (parse_tensor(t, c, datasize, path, &b, &e, err, errlen) < 0)
            goto done;
        t->data = data + b;
        spans[f->n - 1] = (span){ b, e, f->n - 1 };
        f->byname[f->n - 1] = t;
    }

    qsort(f->byname, (size_t)f->n, sizeof *f->byname, cmp_tensor_name);
    for (int i = 1; i < f->n; i++)
        if (strcmp(f->byname[i - 1]->name, f->byname[i]->name) == 0) {
            seterr(err, errlen, "%s: duplicate tensor '" NAMEFMT "'", path, f->byname[i]->name);
            goto done;
        }

    /* Overlaps: in order of begin, each non-empty tensor must start at or after
    ** the furthest end of the non-empty tensors before it. */
    qsort(spans, (size_t)f->n, sizeof *spans, cmp_span);
    const span *far = NULL;
    for (int i = 0; i < f->n; i++) {
        const span *s = &spans[i];
        if (s->begin == s->end)
            continue;
        if (far && s->begin < far->end) {
            seterr(err, errlen,
                   "%s: tensor '" NAMEFMT "': data_offsets [%" PRIu64 ",%" PRIu64 "] overlap tensor '" NAMEFMT
                   "' [%" PRIu64 ",%" PRIu64 "]",
                   path, f->t[s->i].name, s->begin, s->end, f->t[far->i].name, far->begin, far->end);
            goto done;
        }
        if (!far || s->end > far->end)
            far = s;
    }
    rc = 0;
done:
    free(spans);
    cJSON_Delete(root);
    return rc;
}

sb_st_file *sb_st_open(const char *path, char *err, size_t errlen)
{
    if (!path) {
        seterr(err, errlen, "safetensors: NULL path");
        return NULL;
    }
    sb_st_file *f = calloc(1, sizeof *f);
    if (!f) {
        seterr(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0) {
        seterr(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        seterr(err, errlen, "%s: not a regular file", path);
        goto fail;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size >= SIZE_MAX) {
        seterr(err, errlen, "%s: file too large", path);
        goto fail;
    }
    f->size = (size_t)st.st_size;
    /* One extra NUL after the file, so no parser can run off the buffer. */
    if (!(f->buf = malloc(f->size + 1))) {
        seterr(err, errlen, "%s: out of memory reading %zu bytes", path, f->size);
        goto fail;
    }
    size_t got = fread(f->buf, 1, f->size, fp);
    if (got != f->size) {
        seterr(err, errlen, "%s: read %zu of %zu bytes: %s", path, got, f->size,
               ferror(fp) ? strerror(errno) : "file shrank while reading");
        goto fail;
    }
    f->buf[f->size] = 0;
    fclose(fp);
    fp = NULL;
    if (parse(f, path, err, errlen) < 0)
        goto fail;
    return f;
fail:
    if (fp)
        fclose(fp);
    sb_st_close(f);
    return NULL;
}

void sb_st_close(sb_st_file *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n; i++)
        free((char *)f->t[i].name);
    for (int i = 0; i < f->nmeta; i++) {
        free((char *)f->meta[i].key);
        free((char *)f->meta[i].value);
    }
    free(f->t);
    free(f->byname);
    free(f->meta);
    free(f->buf);
    free(f);
}

int sb_st_count(const sb_st_file *f)
{
    return f ? f->n : 0;
}

const sb_st_tensor *sb_st_get(const sb_st_file *f, int i)
{
    return f && i >= 0 && i < f->n ? &f->t[i] : NULL;
}

static int cmp_find(const void *key, const void *elem)
{
    return strcmp((const char *)key, (*(const sb_st_tensor *const *)elem)->name);
}

const sb_st_tensor *sb_st_find(const sb_st_file *f, const char *name)
{
    if (!f || !name || f->n == 0)
        return NULL;
    const sb_st_tensor *const *p = bsearch(name, f->byname, (size_t)f->n, sizeof *f->byname, cmp_find);
    return p ? *p : NULL;
}

const char *sb_st_meta_get(const sb_st_file *f, const char *key)
{
    if (!f || !key)
        return NULL;
    for (int i = 0; i < f->nmeta; i++)
        if (strcmp(f->meta[i].key, key) == 0)
            return f->meta[i].value;
    return NULL;
}
