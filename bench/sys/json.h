/*
** json.h: JSON values as sharebench writes them (cJSON): text from the
** database or the command line may hold bytes that are not UTF-8, which
** JSON forbids, so they become U+FFFD; non-finite numbers, which JSON
** cannot hold, become null. Used by the gate's and compare's JSON outputs.
*/
#ifndef SB_JSON_H
#define SB_JSON_H

#include <cjson/cJSON.h>

/* s as a JSON string (U+FFFD for each byte that begins no valid UTF-8
** sequence); NULL when out of memory. */
cJSON *sb_json_text(const char *s);

/* x as a JSON number, or null when x is NaN or infinite. */
cJSON *sb_json_number(double x);

#endif
