/*
** clock.h: time for measurements (a monotonic clock) and for records (UTC).
*/
#ifndef SB_CLOCK_H
#define SB_CLOCK_H

#include <stddef.h>

/* Seconds from a monotonic clock. */
double sb_now(void);

/* UTC time as ISO 8601, "2026-11-23T02:15:00Z". */
void sb_utc(char *out, size_t len);

#endif
