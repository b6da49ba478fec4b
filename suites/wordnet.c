/*
** wordnet.c: line-by-line readers for the WordNet 3.0 data, index and
** lexnames files (see wordnet.h; formats from wndb(5WN), lexnames(5WN)).
*/
#include "wordnet.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const lexnames[SB_WN_LEXNAMES] = {
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling",
    "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object", "noun.person",
    "noun.phenomenon", "noun.plant", "noun.possession", "noun.process", "noun.quantity", "noun.relation",
    "noun.shape", "noun.state", "noun.substance", "noun.time", "verb.body", "verb.change", "verb.cognition",
    "verb.communication", "verb.competition", "verb.consumption", "verb.contact", "verb.creation",
    "verb.emotion", "verb.motion", "verb.perception", "verb.possession", "verb.social", "verb.stative",
    "verb.weather", "adj.ppl",
};

const char *sb_wn_lexname(int n) { return n >= 0 && n < SB_WN_LEXNAMES ? lexnames[n] : NULL; }

const char *sb_wn_dir(void)
{
    const char *d = getenv("WNSEARCHDIR");
    return d && *d ? d : "/usr/share/wordnet";
}

int sb_wn_path(const char *file, char *path, size_t pathlen, char *err, size_t errlen)
{
    int w = snprintf(path, pathlen, "%s/%s", sb_wn_dir(), file);
    if (w < 0 || (size_t)w >= pathlen) {
        snprintf(err, errlen, "WordNet directory path too long: %s", sb_wn_dir());
        return -1;
    }
    if (access(path, R_OK)) {
        snprintf(err, errlen,
                 "WordNet file %s is missing or unreadable: install the Debian package wordnet-base "
                 "(apt-get install wordnet-base), or set WNSEARCHDIR to a WordNet 3.0 database directory",
                 path);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ line reading */

typedef struct {
    const char *path;
    FILE *f;
    char *buf;
    size_t cap;
    long line, offset;          /* number and byte offset of the current line */
    long next;                  /* byte offset of the line after it */
    char *err;
    size_t errlen;
} reader;

static int fail(reader *r, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->err, r->errlen, "%s:%ld: %s", r->path, r->line, msg);
    return -1;
}

static int open_reader(reader *r, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->path = path, r->err = err, r->errlen = errlen;
    r->f = fopen(path, "r");
    if (!r->f) {
        snprintf(err, errlen, "cannot open %s", path);
        return -1;
    }
    return 0;
}

static void close_reader(reader *r)
{
    if (r->f) fclose(r->f);
    free(r->buf);
}

/* Next line without its newline: 1, 0 at end of file, -1 on error (truncated last line, NUL). */
static int next_line(reader *r)
{
    ssize_t n = getline(&r->buf, &r->cap, r->f);
    if (n < 0) {
        if (ferror(r->f)) return fail(r, "read error");
        return 0;
    }
    r->line++;
    r->offset = r->next;
    r->next += n;
    if ((size_t)n != strlen(r->buf)) return fail(r, "NUL byte in line");
    if (r->buf[n - 1] != '\n') return fail(r, "truncated line (no newline at end of file)");
    r->buf[n - 1] = 0;
    return 1;
}

/* The next space-separated field (NUL-terminated in place), or NULL at the end of the line. */
static char *field(char **p)
{
    char *s = *p;
    if (!*s) return NULL;
    char *e = strchr(s, ' ');
    if (e) *e = 0, *p = e + 1;
    else *p = s + strlen(s);
    return s;
}

/* Parse s as exactly `width` digits in base (width 0: any number of digits, at least one). */
static int number(const char *s, int width, int base, long *v)
{
    if (!s || !*s || (width && (int)strlen(s) != width) || strlen(s) > 12) return -1;
    long x = 0;
    for (; *s; s++) {
        int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 :
                *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : 99;
        if (d >= base) return -1;
        x = x * base + d;
    }
    *v = x;
    return 0;
}

static int is_pos(int c) { return c == 'n' || c == 'v' || c == 'a' || c == 's' || c == 'r'; }

/* What to do with each entry of a data or index file: parse it (for part of
** speech pos, 0 for any), then hand it to the caller's function (when given). */
typedef struct {
    char pos;
    sb_wn_synset_fn synset;
    sb_wn_index_fn index;
    void *ctx;
} visit;

/* Every entry line of a data or index file (lines that start with two spaces
** are its licence), read into entry, a buffer of size bytes, by each. The
** number of entries, or -1 with a message (each's nonzero return stops the
** reading; a negative one is an error). */
static long read_entries(const char *path, size_t size, int (*each)(reader *r, void *entry, const visit *v), const visit *v,
                         char *err, size_t errlen)
{
    reader r;
    void *entry = malloc(size);
    long count = 0;
    int rc;
    if (!entry) {
        snprintf(err, errlen, "out of memory reading %s", path);
        return -1;
    }
    if (open_reader(&r, path, err, errlen)) {
        free(entry);
        return -1;
    }
    while ((rc = next_line(&r)) > 0) {
        if (!strncmp(r.buf, "  ", 2)) continue;
        if (!r.buf[0]) {
            rc = fail(&r, "empty line");
            break;
        }
        if ((rc = each(&r, entry, v))) break;
        count++;
    }
    close_reader(&r);
    free(entry);
    return rc < 0 ? -1 : count;
}

/* ------------------------------------------------------------ data files */

static int parse_synset(reader *r, char pos, sb_wn_synset *s)
{
    char *p = r->buf, *f;
    long v;
    memset(s, 0, sizeof *s);
    s->path = r->path, s->line = r->line;
    f = field(&p);
    if (number(f, 8, 10, &v)) return fail(r, "synset_offset '%s' is not 8 decimal digits", f ? f : "");
    if (v != r->offset) return fail(r, "synset_offset %s does not match the line's byte offset %ld", f, r->offset);
    s->offset = v;
    f = field(&p);
    if (number(f, 2, 10, &v)) return fail(r, "lex_filenum '%s' is not 2 decimal digits", f ? f : "");
    if (v >= SB_WN_LEXNAMES) return fail(r, "lex_filenum %s out of range 00..%d", f, SB_WN_LEXNAMES - 1);
    s->lex_filenum = (int)v;
    f = field(&p);
    if (!f || strlen(f) != 1 || !is_pos(f[0])) return fail(r, "ss_type '%s' is not one of n v a s r", f ? f : "");
    s->ss_type = f[0];
    if (pos && (s->ss_type == 's' ? 'a' : s->ss_type) != pos)
        return fail(r, "ss_type %c in a file of part of speech %c", s->ss_type, pos);
    f = field(&p);
    if (number(f, 2, 16, &v) || v < 1) return fail(r, "w_cnt '%s' is not 2 hexadecimal digits >= 01", f ? f : "");
    s->w_cnt = (int)v;
    for (int i = 0; i < s->w_cnt; i++) {
        if (!(s->words[i] = field(&p)) || !*s->words[i] || !strcmp(s->words[i], "|"))
            return fail(r, "line ends before word %d of w_cnt %d", i + 1, s->w_cnt);
        f = field(&p);
        if (number(f, 1, 16, &v)) return fail(r, "lex_id '%s' of word %d is not 1 hexadecimal digit", f ? f : "", i + 1);
        s->lex_ids[i] = (int)v;
    }
    f = field(&p);
    if (number(f, 3, 10, &v)) return fail(r, "p_cnt '%s' is not 3 decimal digits", f ? f : "");
    s->p_cnt = (int)v;
    for (int i = 0; i < s->p_cnt; i++) {
        char *sym = field(&p), *off = field(&p), *ps = field(&p), *st = field(&p);
        if (!st) return fail(r, "line ends before pointer %d of p_cnt %d", i + 1, s->p_cnt);
        if (!*sym || strlen(sym) > 2 || !strcmp(sym, "|")) return fail(r, "pointer %d: bad symbol '%s'", i + 1, sym);
        if (number(off, 8, 10, &v)) return fail(r, "pointer %d: offset '%s' is not 8 decimal digits", i + 1, off);
        if (strlen(ps) != 1 || !is_pos(ps[0])) return fail(r, "pointer %d: pos '%s' is not one of n v a s r", i + 1, ps);
        if (number(st, 4, 16, &v)) return fail(r, "pointer %d: source/target '%s' is not 4 hexadecimal digits", i + 1, st);
    }
    if (s->ss_type == 'v') {
        f = field(&p);
        if (number(f, 2, 10, &v)) return fail(r, "f_cnt '%s' is not 2 decimal digits", f ? f : "");
        s->f_cnt = (int)v;
        for (int i = 0; i < s->f_cnt; i++) {
            char *plus = field(&p), *fn = field(&p), *wn = field(&p);
            if (!wn) return fail(r, "line ends before frame %d of f_cnt %d", i + 1, s->f_cnt);
            if (strcmp(plus, "+") || number(fn, 2, 10, &v) || number(wn, 2, 16, &v))
                return fail(r, "frame %d is not '+ f_num w_num'", i + 1);
        }
    }
    f = field(&p);
    if (!f || strcmp(f, "|")) return fail(r, "missing gloss separator '|' (found '%s')", f ? f : "end of line");
    char *e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) *--e = 0;
    s->gloss = p;
    return 0;
}

static int each_synset(reader *r, void *entry, const visit *v)
{
    int rc = parse_synset(r, v->pos, entry);
    return rc || !v->synset ? rc : v->synset(entry, v->ctx, r->err, r->errlen);
}

long sb_wn_read_data(const char *path, char pos, sb_wn_synset_fn fn, void *ctx, char *err, size_t errlen)
{
    visit v = { pos, fn, NULL, ctx };
    return read_entries(path, sizeof(sb_wn_synset), each_synset, &v, err, errlen);
}

/* ------------------------------------------------------------ index files */

static int parse_index(reader *r, char pos, sb_wn_index_entry *e)
{
    char *p = r->buf, *f;
    long v;
    e->path = r->path, e->line = r->line;
    if (!(e->lemma = field(&p)) || !*e->lemma) return fail(r, "missing lemma");
    f = field(&p);
    if (!f || strlen(f) != 1 || !strchr("nvar", f[0])) return fail(r, "pos '%s' is not one of n v a r", f ? f : "");
    e->pos = f[0];
    if (pos && e->pos != pos) return fail(r, "pos %c in a file of part of speech %c", e->pos, pos);
    f = field(&p);
    if (number(f, 0, 10, &v) || v < 1 || v > 9999) return fail(r, "synset_cnt '%s' is not a number >= 1", f ? f : "");
    e->synset_cnt = (int)v;
    f = field(&p);
    if (number(f, 0, 10, &v) || v > 99) return fail(r, "p_cnt '%s' is not a number", f ? f : "");
    e->p_cnt = (int)v;
    for (int i = 0; i < e->p_cnt; i++) {
        f = field(&p);
        if (!f || !*f || strlen(f) > 2) return fail(r, "line ends before pointer symbol %d of p_cnt %d", i + 1, e->p_cnt);
    }
    f = field(&p);
    if (number(f, 0, 10, &v)) return fail(r, "sense_cnt '%s' is not a number", f ? f : "");
    e->sense_cnt = (int)v;
    if (e->sense_cnt != e->synset_cnt) return fail(r, "sense_cnt %d differs from synset_cnt %d", e->sense_cnt, e->synset_cnt);
    f = field(&p);
    if (number(f, 0, 10, &v) || v > e->sense_cnt) return fail(r, "tagsense_cnt '%s' is not a number <= sense_cnt", f ? f : "");
    e->tagsense_cnt = (int)v;
    e->n_offsets = 0;
    for (int i = 0; i < e->synset_cnt; i++) {
        f = field(&p);
        if (!f || !*f) return fail(r, "line ends before synset_offset %d of synset_cnt %d", i + 1, e->synset_cnt);
        if (number(f, 8, 10, &v)) return fail(r, "synset_offset '%s' is not 8 decimal digits", f);
        if (i < SB_WN_MAX_OFFSETS) e->offsets[e->n_offsets++] = v;
    }
    while ((f = field(&p)))
        if (*f) return fail(r, "more synset offsets than synset_cnt %d ('%s')", e->synset_cnt, f);
    return 0;
}

static int each_index(reader *r, void *entry, const visit *v)
{
    int rc = parse_index(r, v->pos, entry);
    return rc || !v->index ? rc : v->index(entry, v->ctx, r->err, r->errlen);
}

long sb_wn_read_index(const char *path, char pos, sb_wn_index_fn fn, void *ctx, char *err, size_t errlen)
{
    visit v = { pos, NULL, fn, ctx };
    return read_entries(path, sizeof(sb_wn_index_entry), each_index, &v, err, errlen);
}

/* ------------------------------------------------------------ lexnames */

int sb_wn_read_lexnames(const char *path, char names[SB_WN_LEXNAMES][32], char *err, size_t errlen)
{
    reader r;
    int rc, count = 0;
    if (open_reader(&r, path, err, errlen)) return -1;
    while ((rc = next_line(&r)) > 0) {
        char *num = r.buf, *name = strchr(num, '\t'), *cat = name ? strchr(name + 1, '\t') : NULL;
        long n, c;
        if (!cat) {
            rc = fail(&r, "not three tab-separated fields");
            break;
        }
        *name++ = 0, *cat++ = 0;
        if (number(num, 2, 10, &n) || n >= SB_WN_LEXNAMES) {
            rc = fail(&r, "file number '%s' is not 00..%d", num, SB_WN_LEXNAMES - 1);
            break;
        }
        if (!*name || strlen(name) >= 32 || strchr(name, ' ')) {
            rc = fail(&r, "bad file name '%s'", name);
            break;
        }
        if (number(cat, 1, 10, &c) || c < 1 || c > 4) {
            rc = fail(&r, "syntactic category '%s' is not 1..4", cat);
            break;
        }
        strcpy(names[n], name);
        count++;
    }
    close_reader(&r);
    return rc < 0 ? -1 : count;
}
