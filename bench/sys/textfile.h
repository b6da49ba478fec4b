/*
** textfile.h: a text input file read whole, once: the sweep, run and claims
** files. Once, so that a file that can be read only once (a pipe,
** /dev/stdin, a process substitution) reads as it would from a disk; whole,
** so that a parser (libinih's ini_parse_string) sees exactly its bytes. What
** would otherwise be misread is refused with the file (and line) named: a
** directory, a NUL byte (C strings would end the value there), a file too
** large for a text of its kind. Their values must be UTF-8 too (JSON, HTML
** and the reports need it): the parsers check each value with
** sb_utf8_invalid, so that the first error in the file is the one reported.
*/
#ifndef SB_TEXTFILE_H
#define SB_TEXTFILE_H

#include <stddef.h>

/* Read path whole (at most max bytes). Returns the text, NUL-terminated
** (*len bytes before the terminator; free it), or NULL with a message naming
** the file, and the line of a NUL byte. */
char *sb_text_read(const char *path, size_t max, size_t *len, char *err, size_t errlen);

/* The offset of the first byte of s[0..n) that is not part of a well-formed
** UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing above
** U+10FFFF), or -1 when all of it is UTF-8. */
long sb_utf8_invalid(const char *s, size_t n);

/* A copy of s with every byte that is not UTF-8 replaced by U+FFFD, for
** writers of formats that must be UTF-8 (JSON) given text from a database
** made elsewhere; *replaced gets the count. NULL when out of memory. */
char *sb_utf8_repair(const char *s, int *replaced);

#endif
