/*
** fmt.h: numbers for people: counts with thousands separators, bytes with
** binary units, durations for progress lines; text in a Markdown table.
*/
#ifndef SB_FMT_H
#define SB_FMT_H

#include <stddef.h>
#include <stdio.h>

/* Format n with thousands separators into out ("11,683,584"). Returns out. */
char *sb_fmt_count(long n, char *out, size_t len);
/* Format a byte count with a binary unit ("44.6 MiB"). Returns out. */
char *sb_fmt_bytes(double bytes, char *out, size_t len);
/* A count with a decimal unit, three significant digits ("1.23 M", "35.2 k"; "-" when not finite): FLOPs per token. Returns out. */
char *sb_fmt_si(double x, char *out, size_t len);
/* A duration of s seconds for progress lines: "MM:SS", or "H:MM:SS" from an hour. */
void sb_fmt_time(double s, char *out, size_t len);
/* Write s as the text of a Markdown table cell: pipes escaped, line breaks
** (CR or LF) as spaces, so a cell never ends its row early. */
void sb_fmt_md_cell(FILE *f, const char *s);

#endif
