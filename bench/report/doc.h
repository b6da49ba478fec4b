/*
** doc.h: a document written as Markdown and as self-contained HTML at once
** (the report): headings, paragraphs, lists, tables and figures. In the HTML,
** figures are embedded as base64 PNG and the style is inline, so the file
** opens anywhere without network access; the Markdown links the PNG files.
*/
#ifndef SB_DOC_H
#define SB_DOC_H

#include "sys/atomicfile.h"
#include <stdio.h>

typedef struct {
    FILE *md, *html;
    const char *figdir;     /* the figures' directory, as the Markdown links it (relative) */
    const char *figpath;    /* the same directory as this process reaches it */
    int in_list;
} sb_doc;

/* A document's two files, each put in place whole once complete (atomicfile.h). */
typedef struct {
    sb_doc d;
    sb_atomic md, html;
} sb_doc_files;

/* Open the Markdown and HTML files of a document whose figures lie in
** figdir (as the Markdown links it) and figpath (as this process reaches
** it). 0, or -1 with a message (nothing left open). */
int sb_doc_files_open(sb_doc_files *f, const char *md, const char *html, const char *figdir, const char *figpath, char *err,
                      size_t errlen);

/* Put both files in place, the Markdown first. 0, or -1 with a message
** (a file not yet in place is dropped). */
int sb_doc_files_commit(sb_doc_files *f, char *err, size_t errlen);

/* Drop both files. */
void sb_doc_files_abort(sb_doc_files *f);

/* Start both files (the HTML head with its style) with a title. */
void sb_doc_begin(sb_doc *d, const char *title);
/* Close the HTML. */
void sb_doc_end(sb_doc *d);

/* A heading of level 1 to 3, with an anchor id for links (may be NULL). */
void sb_doc_heading(sb_doc *d, int level, const char *id, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A paragraph of plain text (escaped for HTML, **strong** marked up; in Markdown as is). */
void sb_doc_para(sb_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An item of a bulleted list (the list opens at the first item, closes at the next other element). */
void sb_doc_item(sb_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A table: the header's cells, then rows of n cells. align: 'l' or 'r' per column. */
void sb_doc_table(sb_doc *d, int n, const char *const *header, const char *align);
void sb_doc_row(sb_doc *d, int n, const char *const *cells);
void sb_doc_table_end(sb_doc *d);

/* A figure: name is the PNG's file name inside figdir; id its anchor. When
** the PNG is missing, a line says the figure was not drawn, and why. */
void sb_doc_figure(sb_doc *d, const char *name, const char *id, const char *caption);

/* A paragraph "lead: link, link, ...": links to figures, by anchor in the HTML
** and by file in the Markdown. names[i] is the PNG inside figdir, ids[i] its
** anchor, texts[i] the link's text. */
void sb_doc_links(sb_doc *d, const char *lead, int n, const char *const *names, const char *const *ids,
                  const char *const *texts);

/* A table of contents: links to the anchors ids[0..n) with their texts. */
void sb_doc_toc(sb_doc *d, int n, const char *const *ids, const char *const *texts);

/* Raw HTML and Markdown, written as given (for marked-up status words). */
void sb_doc_raw(sb_doc *d, const char *md, const char *html);

#endif
