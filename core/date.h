/* date.h: clocks and calendar dates. Everything stored or printed is UTC;
 * the one exception is date_local_midnight, the reviewer's "today" (the
 * only reader of the TZ environment). */
#ifndef CURATE_DATE_H
#define CURATE_DATE_H

#include <stddef.h>
#include <stdint.h>

/* Wall clock, seconds since the epoch (UTC). */
int64_t date_now(void);
/* Epoch seconds of the local midnight that starts the day holding t:
 * what "today" means in progress and per-reviewer counts. */
int64_t date_local_midnight(int64_t t);
/* Monotonic clock in seconds, for measuring durations. */
double date_mono(void);
/* Formats epoch seconds as "YYYY-MM-DDTHH:MM:SSZ" into out (>= 21 bytes). */
void date_iso8601(int64_t t, char *out, size_t outlen);
/* Parses ISO-8601 ("2024-05-01T10:02:03Z", "+02:00" offsets, fractional
 * seconds, "2024-05-01 10:02") into epoch seconds. Returns 0 or -1. */
int date_parse_iso8601(const char *s, int64_t *out);

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; may be negative). */
int64_t date_days_from_civil(int64_t y, int m, int d);
/* Days in month m (1-12) of year y. */
int date_days_in_month(int y, int m);

#endif
