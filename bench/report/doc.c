/*
** doc.c: Markdown and self-contained HTML side by side (see doc.h).
*/
#include "doc.h"
#include "sys/fmt.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Text escaped for HTML; Markdown's **strong** marks become <strong>. */
static void html_text(FILE *f, const char *s)
{
    int strong = 0;
    for (; *s; s++) {
        if (s[0] == '*' && s[1] == '*') {
            fputs(strong ? "</strong>" : "<strong>", f);
            strong = !strong;
            s++;
        } else if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
    if (strong) fputs("</strong>", f);
}

static void close_list(sb_doc *d)
{
    if (!d->in_list) return;
    fputs("\n", d->md);
    fputs("</ul>\n", d->html);
    d->in_list = 0;
}

void sb_doc_begin(sb_doc *d, const char *title)
{
    d->in_list = 0;
    fprintf(d->md, "# %s\n\n", title);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", d->html);
    html_text(d->html, title);
    fputs("</title>\n<style>\n"
          "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\n"
          "table{border-collapse:collapse;margin:1em 0;font-size:0.9em}\n"
          "th,td{border:1px solid #ccc;padding:0.3em 0.6em}th{background:#f2f2f2}\n"
          "td.r{text-align:right;font-variant-numeric:tabular-nums}\n"
          "figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}\n"
          "figcaption{font-size:0.9em;color:#555}\n"
          "nav ul{columns:2}\n"
          "h2{border-bottom:1px solid #ddd;padding-bottom:0.2em;margin-top:2em}\n"
          ".supported{color:#1a7f37;font-weight:bold}.contradicted{color:#b3261e;font-weight:bold}\n"
          ".inconclusive{color:#9a6700;font-weight:bold}.notmeasured{color:#666;font-weight:bold}\n"
          "</style>\n</head>\n<body>\n<h1>", d->html);
    html_text(d->html, title);
    fputs("</h1>\n", d->html);
}

void sb_doc_end(sb_doc *d)
{
    close_list(d);
    fputs("</body>\n</html>\n", d->html);
}

/* One block of formatted text: in Markdown between md_open and md_close, in
** HTML escaped between html_open and html_close; an item opens the list, any
** other block closes it. Nothing is written when out of memory. */
static void block(sb_doc *d, int item, const char *md_open, const char *md_close, const char *html_open, const char *html_close,
                  const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) return;
    if (!item) close_list(d);
    else if (!d->in_list) {
        fputs("<ul>\n", d->html);
        d->in_list = 1;
    }
    fprintf(d->md, "%s%s%s", md_open, s, md_close);
    fputs(html_open, d->html);
    html_text(d->html, s);
    fputs(html_close, d->html);
    free(s);
}

void sb_doc_heading(sb_doc *d, int level, const char *id, const char *fmt, ...)
{
    char md[4200], open[4200], close[24]; /* ids are anchors of a few words */
    snprintf(md, sizeof md, "%s%s%s%.*s ", id ? "<a id=\"" : "", id ? id : "", id ? "\"></a>\n" : "", level + 1, "####");
    snprintf(open, sizeof open, "<h%d%s%s%s>", level + 1, id ? " id=\"" : "", id ? id : "", id ? "\"" : "");
    snprintf(close, sizeof close, "</h%d>\n", level + 1);
    va_list ap;
    va_start(ap, fmt);
    block(d, 0, md, "\n\n", open, close, fmt, ap);
    va_end(ap);
}

void sb_doc_para(sb_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    block(d, 0, "", "\n\n", "<p>", "</p>\n", fmt, ap);
    va_end(ap);
}

void sb_doc_item(sb_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    block(d, 1, "- ", "\n", "<li>", "</li>\n", fmt, ap);
    va_end(ap);
}

static const char *table_align;

void sb_doc_table(sb_doc *d, int n, const char *const *header, const char *align)
{
    close_list(d);
    table_align = align;
    fputs("|", d->md);
    for (int i = 0; i < n; i++) {
        fputc(' ', d->md);
        sb_fmt_md_cell(d->md, header[i]);
        fputs(" |", d->md);
    }
    fputs("\n|", d->md);
    for (int i = 0; i < n; i++) fputs(align[i] == 'r' ? "--:|" : "---|", d->md);
    fputs("\n", d->md);
    fputs("<table>\n<tr>", d->html);
    for (int i = 0; i < n; i++) {
        fputs("<th>", d->html);
        html_text(d->html, header[i]);
        fputs("</th>", d->html);
    }
    fputs("</tr>\n", d->html);
}

void sb_doc_row(sb_doc *d, int n, const char *const *cells)
{
    fputs("|", d->md);
    for (int i = 0; i < n; i++) {
        fputc(' ', d->md);
        sb_fmt_md_cell(d->md, cells[i]);
        fputs(" |", d->md);
    }
    fputs("\n", d->md);
    fputs("<tr>", d->html);
    for (int i = 0; i < n; i++) {
        fputs(table_align && table_align[i] == 'r' ? "<td class=\"r\">" : "<td>", d->html);
        html_text(d->html, cells[i]);
        fputs("</td>", d->html);
    }
    fputs("</tr>\n", d->html);
}

void sb_doc_table_end(sb_doc *d)
{
    fputs("\n", d->md);
    fputs("</table>\n", d->html);
}

/* Base64 (RFC 4648) for the embedded PNGs: 20 lines here rather than a new
** library (GLib or OpenSSL) for one function. */
static void base64(FILE *out, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        fputc(tab[v >> 18], out);
        fputc(tab[(v >> 12) & 63], out);
        fputc(tab[(v >> 6) & 63], out);
        fputc(tab[v & 63], out);
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
        fputc(tab[v >> 18], out);
        fputc(tab[(v >> 12) & 63], out);
        fputc(i + 1 < n ? tab[(v >> 6) & 63] : '=', out);
        fputc('=', out);
    }
}

void sb_doc_figure(sb_doc *d, const char *name, const char *id, const char *caption)
{
    close_list(d);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", d->figpath, name);
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n = -1;
    if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) && (buf = malloc((size_t)n)) &&
        fread(buf, 1, (size_t)n, f) != (size_t)n)
        n = -1;
    if (f) fclose(f);
    if (n <= 0 || !buf) {
        free(buf);
        sb_doc_para(d, "(Figure %s was not drawn: %s is missing; is gnuplot installed?)", name, path);
        return;
    }
    char svg[4096];
    snprintf(svg, sizeof svg, "%.*s.svg", (int)(strlen(name) > 4 ? strlen(name) - 4 : 0), name);
    fprintf(d->md, "<a id=\"%s\"></a>\n![%s](%s/%s)\n\n*%s* (vector: [%s](%s/%s))\n\n", id, caption, d->figdir, name, caption, svg,
            d->figdir, svg);
    fprintf(d->html, "<figure id=\"%s\"><img alt=\"", id);
    html_text(d->html, caption);
    fputs("\" src=\"data:image/png;base64,", d->html);
    base64(d->html, buf, (size_t)n);
    fputs("\"><figcaption>", d->html);
    html_text(d->html, caption);
    fputs("</figcaption></figure>\n", d->html);
    free(buf);
}

void sb_doc_links(sb_doc *d, const char *lead, int n, const char *const *names, const char *const *ids,
                  const char *const *texts)
{
    close_list(d);
    fprintf(d->md, "%s: ", lead);
    fputs("<p>", d->html);
    html_text(d->html, lead);
    fputs(": ", d->html);
    for (int i = 0; i < n; i++) {
        fprintf(d->md, "%s[%s](%s/%s)", i ? ", " : "", texts[i], d->figdir, names[i]);
        fprintf(d->html, "%s<a href=\"#%s\">", i ? ", " : "", ids[i]);
        html_text(d->html, texts[i]);
        fputs("</a>", d->html);
    }
    fputs("\n\n", d->md);
    fputs("</p>\n", d->html);
}

void sb_doc_raw(sb_doc *d, const char *md, const char *html)
{
    close_list(d);
    fputs(md, d->md);
    fputs(html, d->html);
}

void sb_doc_toc(sb_doc *d, int n, const char *const *ids, const char *const *texts)
{
    close_list(d);
    fputs("<nav>\n<ul>\n", d->html);
    for (int i = 0; i < n; i++) {
        fprintf(d->md, "- [%s](#%s)\n", texts[i], ids[i]);
        fprintf(d->html, "<li><a href=\"#%s\">", ids[i]);
        html_text(d->html, texts[i]);
        fputs("</a></li>\n", d->html);
    }
    fputs("\n", d->md);
    fputs("</ul>\n</nav>\n", d->html);
}

int sb_doc_files_open(sb_doc_files *f, const char *md, const char *html, const char *figdir, const char *figpath, char *err,
                      size_t errlen)
{
    if (sb_atomic_open(&f->md, md, err, errlen)) return -1;
    if (sb_atomic_open(&f->html, html, err, errlen)) {
        sb_atomic_abort(&f->md);
        return -1;
    }
    f->d = (sb_doc){ f->md.f, f->html.f, figdir, figpath, 0 };
    return 0;
}

int sb_doc_files_commit(sb_doc_files *f, char *err, size_t errlen)
{
    if (sb_atomic_commit(&f->md, err, errlen)) {
        sb_atomic_abort(&f->html);
        return -1;
    }
    return sb_atomic_commit(&f->html, err, errlen);
}

void sb_doc_files_abort(sb_doc_files *f)
{
    sb_atomic_abort(&f->md);
    sb_atomic_abort(&f->html);
}
