/*
** grid.c: sweep files (INI through libinih) expanded into cells.
*/
#include "grid.h"
#include "core/sharing.h"
#include "suite.h"
#include "sys/textfile.h"
#include "sys/datadir.h"
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <errno.h>

#define MAX_ENTRIES 128
/* far more than any sweep file holds: every key, every value, their comments */
#define SB_GRID_MAX_FILE (4L << 20)
#define MAX_ITEMS 64

typedef struct {
    char key[64];
    char *items[MAX_ITEMS];
    int n, line;    /* line 0: from the command line, which a cell applies after the file */
} entry;

struct sb_grid {
    char name[64], path[SB_PATH_LEN];
    entry e[MAX_ENTRIES];
    int n;
};

/* A line libinih hands to the handler: not blank, not a comment, not a
** section header. */
typedef struct {
    int line;       /* its number in the file */
    int indented;   /* a continuation of the key above it when it starts with a blank */
} content_line;

typedef struct {
    sb_grid *g;
    char *err;
    size_t errlen;
    content_line *lines;      /* the file's content lines, in order: the k-th handler call is lines[k] */
    int nlines, next;
    char section[64], name[64];   /* of the last entry, to tell a continuation line */
} parse_ctx;

static int is_train_key(const char *key)
{
    for (const char *const *k = sb_spec_train_keys(); *k; k++)
        if (!strcmp(*k, key) && strcmp(key, "preset")) return 1;
    return 0;
}

static int is_model_key(const char *key)
{
    if (!strcmp(key, "preset")) return 1;
    for (const char *const *k = sb_config_keys(); *k; k++)
        if (!strcmp(*k, key)) return 1;
    return 0;
}

static void free_entry(entry *e)
{
    for (int i = 0; i < e->n; i++) free(e->items[i]);
    e->n = 0;
}

/* Split value on white space into e's items. -1 when there are too many. */
static int split(entry *e, const char *value)
{
    const char *p = value;
    while (*p) {
        while (isspace((unsigned char)*p)) p++;
        if (!*p) break;
        const char *q = p;
        while (*q && !isspace((unsigned char)*q)) q++;
        if (e->n == MAX_ITEMS) return -1;
        e->items[e->n++] = strndup(p, (size_t)(q - p));
        p = q;
    }
    return 0;
}

/* Set key to value's items (append: add them to the key's items, for a
** continuation line), each checked on a scratch spec; the grid is changed
** only when every item is good and the grid stays within its limit. */
static int put(sb_grid *g, const char *key, const char *value, int line, int append, const char *where, char *err,
               size_t errlen)
{
    entry *e = NULL, t = { .n = 0, .line = line };
    for (int i = 0; i < g->n; i++)
        if (!strcmp(g->e[i].key, key)) e = &g->e[i];
    if (!e && g->n == MAX_ENTRIES) { snprintf(err, errlen, "%s: more than %d keys", where, MAX_ENTRIES); return -1; }
    snprintf(t.key, sizeof t.key, "%s", key);
    int first = 0, rc = -1;
    long cells = 1;
    if (append && e) {
        t.line = e->line;
        for (first = 0; first < e->n; first++)
            if (!(t.items[t.n++] = strdup(e->items[first]))) { snprintf(err, errlen, "%s: out of memory", where); goto out; }
    }
    if (split(&t, value)) { snprintf(err, errlen, "%s: key '%s' lists more than %d values", where, key, MAX_ITEMS); goto out; }
    if (t.n == first) { snprintf(err, errlen, "%s: key '%s' has no value", where, key); goto out; }
    for (int i = 0; i < g->n; i++)   /* saturating: see sb_grid_count */
        if (&g->e[i] != e) cells = cells > SB_GRID_MAX_CELLS ? cells : cells * g->e[i].n;
    if (cells * t.n > SB_GRID_MAX_CELLS) {
        snprintf(err, errlen, "%s: key '%s': the grid would have more than %ld cells", where, key, SB_GRID_MAX_CELLS);
        goto out;
    }
    for (int i = first; i < t.n; i++) {
        sb_spec s;
        char inner[SB_ERR_LEN];
        sb_spec_default(&s);
        if (sb_spec_set(&s, key, t.items[i], inner, sizeof inner)) {
            snprintf(err, errlen, "%s: %s", where, inner);
            goto out;
        }
        /* a sharing specification's syntax, which needs no model; the rest when the cells are checked */
        if (sb_sharing_check(key, t.items[i], inner, sizeof inner)) {
            snprintf(err, errlen, "%s: %s", where, inner);
            goto out;
        }
    }
    if (!e) e = &g->e[g->n++];
    else free_entry(e);
    *e = t;
    return 0;
out:
    free_entry(&t);
    return rc;
}

/* suite = NAME ...: the task axis becomes the suites' tasks, each as NAME:KNOBS. */
static int put_suite(sb_grid *g, const char *value, int line, int append, const char *where, char *err, size_t errlen)
{
    entry names = { .n = 0 };
    char tasks[64][SB_SUITE_NAME], knobs[64][SB_SUITE_KNOBS], path[SB_PATH_LEN], inner[SB_ERR_LEN];
    /* room for the most tasks an axis takes, each "name:knobs " */
    const size_t cap = MAX_ITEMS * (SB_SUITE_NAME + SB_SUITE_KNOBS + 2) + 1;
    char *items = calloc(1, cap);
    size_t w = 0;
    int rc = -1, total = 0;
    if (!items || split(&names, value)) { snprintf(err, errlen, "%s: too many suites", where); goto out; }
    char shipped[SB_PATH_LEN];
    sb_data_path("suites", shipped, sizeof shipped, inner, sizeof inner);   /* when missing, ./suites: named in the message */
    for (int i = 0; i < names.n; i++) {
        int n;
        if (sb_suite_find(names.items[i], shipped, path, sizeof path, inner, sizeof inner) ||
            (n = sb_suite_load(path, tasks, knobs, 64, inner, sizeof inner)) < 0) {
            snprintf(err, errlen, "%s: suite '%s': %s", where, names.items[i], inner);
            goto out;
        }
        if ((total += n) > MAX_ITEMS) {
            snprintf(err, errlen, "%s: the suites list more than %d tasks", where, MAX_ITEMS);
            goto out;
        }
        for (int t = 0; t < n; t++)
            w += (size_t)snprintf(items + w, cap - w, "%s%s%s%s", w ? " " : "", tasks[t], knobs[t][0] ? ":" : "", knobs[t]);
    }
    rc = put(g, "task", items, line, append, where, err, errlen);
out:
    free_entry(&names);
    free(items);
    return rc;
}

/* The entry for key, or NULL. */
static const entry *find_entry(const sb_grid *g, const char *key)
{
    for (int i = 0; i < g->n; i++)
        if (!strcmp(g->e[i].key, key)) return &g->e[i];
    return NULL;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    parse_ctx *c = user;
    content_line at = c->next < c->nlines ? c->lines[c->next] : (content_line){ 0, 0 };
    c->next++;
    /* an indented line below a key continues its list (libinih passes it as the same key again) */
    int cont = at.indented && !strcmp(section, c->section) && !strcmp(name, c->name);
    snprintf(c->section, sizeof c->section, "%s", section);
    snprintf(c->name, sizeof c->name, "%s", name);
    char where[SB_PATH_LEN + 64];
    snprintf(where, sizeof where, "%s:%d", c->g->path, at.line);
    if (!strcmp(section, "sweep")) {
        if (strcmp(name, "name")) { snprintf(c->err, c->errlen, "%s: unknown key '%s' in [sweep] (known: name)", where, name); return 0; }
        if (c->g->name[0]) { snprintf(c->err, c->errlen, "%s: key 'name' given twice in [sweep]", where); return 0; }
        long bad = sb_utf8_invalid(value, strlen(value));   /* stored with every run, exported as JSON */
        if (bad >= 0) {
            snprintf(c->err, c->errlen, "%s: name: byte 0x%02X at position %ld of the value is not UTF-8 text", where,
                     (unsigned char)value[bad], bad + 1);
            return 0;
        }
        snprintf(c->g->name, sizeof c->g->name, "%s", value);
        return 1;
    }
    int suite = !strcmp(section, "run") && !strcmp(name, "suite");
    const entry *e = find_entry(c->g, suite ? "task" : name);
    if (!cont && e) {
        if (suite || !strcmp(name, "task"))
            snprintf(c->err, c->errlen, "%s: the task axis given twice (task or suite, also on line %d)", where, e->line);
        else
            snprintf(c->err, c->errlen, "%s: key '%s' given twice (also on line %d; a long list continues on indented "
                     "lines below its key)", where, name, e->line);
        return 0;
    }
    if (suite) return put_suite(c->g, value, at.line, cont, where, c->err, c->errlen) ? 0 : 1;
    if (!strcmp(section, "run")) {
        if (!is_train_key(name)) {
            snprintf(c->err, c->errlen, "%s: '%s' is not a training key%s", where, name,
                     is_model_key(name) ? " (it is a model key: put it under [model])" : "; see 'sharebench run --help'");
            return 0;
        }
    } else if (!strcmp(section, "model")) {
        if (!is_model_key(name)) {
            snprintf(c->err, c->errlen, "%s: '%s' is not a model key%s", where, name,
                     is_train_key(name) ? " (it is a training key: put it under [run])" : "; see the README's model keys");
            return 0;
        }
    } else {
        snprintf(c->err, c->errlen, "%s: unknown section [%s] (known: [sweep], [run], [model])", where, section);
        return 0;
    }
    return put(c->g, name, value, at.line, cont, where, c->err, c->errlen) ? 0 : 1;
}

/* The number of each line libinih will hand to the handler (it passes
** none), and a line too long for it refused by its number (libinih reads at
** most INI_MAX_LINE - 1 characters at a time and would take the rest of a
** longer line for a line of its own). 0, or -1 with a message. */
static int scan_lines(const char *path, const char *text, parse_ctx *c, char *err, size_t errlen)
{
    int number = 0, alloc = 0, below_key = 0;
    for (const char *at = text; *at;) {
        const char *eol = strchr(at, '\n'), *next = eol ? eol + 1 : at + strlen(at);
        size_t len = (size_t)(next - at);
        number++;
        while (len && (at[len - 1] == '\n' || at[len - 1] == '\r')) len--;
        if (len > INI_MAX_LINE - 2) {
            snprintf(err, errlen, "%s:%d: line of %zu characters, longer than the %d the INI reader takes; continue a long "
                     "list on indented lines below its key", path, number, len, INI_MAX_LINE - 2);
            return -1;
        }
        const char *p = at, *end = at + len;
        at = next;
        if (number == 1 && len >= 3 && !strncmp(p, "\xEF\xBB\xBF", 3)) p += 3;   /* libinih skips a UTF-8 byte order mark */
        const char *q = p;
        while (q < end && isspace((unsigned char)*q)) q++;
        if (q == end || *q == ';' || *q == '#') continue;
        /* as libinih: an indented line below a key continues it, even one
        ** that starts with '['; any other '[' line opens a section */
        if (*q == '[' && !(q > p && below_key)) {
            below_key = 0;
            continue;
        }
        below_key = 1;
        if (c->nlines == alloc) {
            alloc = alloc ? 2 * alloc : 64;
            content_line *l = realloc(c->lines, sizeof *l * (size_t)alloc);
            if (!l) { snprintf(err, errlen, "%s: out of memory", path); return -1; }
            c->lines = l;
        }
        c->lines[c->nlines++] = (content_line){ number, q > p };
    }
    return 0;
}

sb_grid *sb_grid_single(void)
{
    sb_grid *g = calloc(1, sizeof *g);
    return g;
}

sb_grid *sb_grid_load(const char *path, char *err, size_t errlen)
{
    sb_grid *g = calloc(1, sizeof *g);
    if (!g) { snprintf(err, errlen, "out of memory"); return NULL; }
    snprintf(g->path, sizeof g->path, "%s", path);
    parse_ctx c = { .g = g, .err = err, .errlen = errlen };
    /* read once: a pipe or /dev/stdin can be read only once */
    size_t len;
    char *text = sb_text_read(path, SB_GRID_MAX_FILE, &len, err, errlen);
    if (!text || scan_lines(path, text, &c, err, errlen)) {
        free(text);
        free(c.lines);
        free(g);
        return NULL;
    }
    err[0] = 0;
    ini_stop_on_first_error = 1;
    int rc = ini_parse_string(text, handler, &c);
    free(text);
    free(c.lines);
    if (rc) {
        if (!err[0] && rc > 0) snprintf(err, errlen, "%s:%d: not INI (expected [section] or key = value)", path, rc);
        else if (!err[0]) snprintf(err, errlen, "%s: out of memory", path);
        sb_grid_free(g);
        return NULL;
    }
    if (!g->name[0]) {
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        snprintf(g->name, sizeof g->name, "%.*s", (int)(strchr(base, '.') ? strchr(base, '.') - base : (long)strlen(base)), base);
    }
    /* every cell must be buildable before anything runs */
    for (long i = 0; i < sb_grid_count(g); i++) {
        sb_spec s;
        char inner[SB_ERR_LEN];
        if (sb_grid_cell(g, i, &s, inner, sizeof inner) || sb_spec_validate(&s, inner, sizeof inner)) {
            char label[256];
            sb_spec_label(&s, label, sizeof label);
            snprintf(err, errlen, "%s: cell %ld (%s): %s", path, i + 1, label, inner);
            sb_grid_free(g);
            return NULL;
        }
    }
    return g;
}

int sb_grid_override(sb_grid *g, const char *a, char *err, size_t errlen)
{
    const char *eq = strchr(a, '=');
    char key[64];
    if (!eq || eq == a || (size_t)(eq - a) >= sizeof key) { snprintf(err, errlen, "'%s' is not KEY=VALUE", a); return -1; }
    snprintf(key, sizeof key, "%.*s", (int)(eq - a), a);
    if (!strcmp(key, "suite")) return put_suite(g, eq + 1, 0, 0, "command line", err, errlen);
    if (!is_train_key(key) && !is_model_key(key)) {
        sb_spec s;
        sb_spec_default(&s);
        return sb_spec_set(&s, key, eq + 1, err, errlen);   /* for its message */
    }
    return put(g, key, eq + 1, 0, 0, "command line", err, errlen);
}

void sb_grid_free(sb_grid *g)
{
    if (!g) return;
    for (int i = 0; i < g->n; i++) free_entry(&g->e[i]);
    free(g);
}

const char *sb_grid_name(const sb_grid *g) { return g->name; }

long sb_grid_count(const sb_grid *g)
{
    long n = 1;
    /* saturates past the limit, so that a product of many axes cannot overflow */
    for (int i = 0; i < g->n; i++) n = n > SB_GRID_MAX_CELLS ? n : n * g->e[i].n;
    return n;
}

int sb_grid_cell(const sb_grid *g, long idx, sb_spec *s, char *err, size_t errlen)
{
    long pick[MAX_ENTRIES], rest = idx;
    for (int i = g->n - 1; i >= 0; i--) { pick[i] = rest % g->e[i].n; rest /= g->e[i].n; }
    sb_spec_default(s);
    snprintf(s->sweep, sizeof s->sweep, "%s", g->name);
    /* the preset first: it resets the model; then the file's keys; then the
    ** command line's, so that an override wins where two keys set one thing
    ** (task=copy:len=8 and the file's knobs = len=4 both set the knobs) */
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < g->n; i++) {
            int preset = !strcmp(g->e[i].key, "preset");
            if (pass == 0 ? !preset : preset || (pass == 2) != (g->e[i].line == 0)) continue;
            if (sb_spec_set(s, g->e[i].key, g->e[i].items[pick[i]], err, errlen)) return -1;
        }
    return 0;
}

void sb_grid_describe(const sb_grid *g, long idx, char *out, size_t len)
{
    size_t w = 0;
    long rest = idx, pick[MAX_ENTRIES];
    out[0] = 0;
    for (int i = g->n - 1; i >= 0; i--) { pick[i] = rest % g->e[i].n; rest /= g->e[i].n; }
    for (int i = 0; i < g->n && w < len; i++)
        if (g->e[i].n > 1) w += snprintf(out + w, len - w, "%s%s=%s", w ? " " : "", g->e[i].key, g->e[i].items[pick[i]]);
}
