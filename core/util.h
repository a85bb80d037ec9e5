/* util.h: small helpers shared by every module: error messages, growable
 * strings, time. No global state. */
#ifndef CURATE_UTIL_H
#define CURATE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>

/* Every fallible function takes `char *err` pointing at ERR_MAX bytes (or
 * NULL) and fills it with a one-line message the caller shows. */
#define ERR_MAX 512

void err_set(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Growable NUL-terminated string. Zero-initialise (`sbuf b = {0};`), append,
 * then take ownership of b.s (free()) or call sbuf_free(). */
typedef struct {
    char *s;
    size_t len, cap;
} sbuf;

void sbuf_add(sbuf *b, const char *s);
void sbuf_addn(sbuf *b, const char *s, size_t n);
void sbuf_addf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sbuf_addc(sbuf *b, char c);
void sbuf_free(sbuf *b);
/* Returns b->s (never NULL, "" when empty) and leaves b empty; caller frees. */
char *sbuf_take(sbuf *b);

/* Allocation wrappers that abort on out-of-memory (nothing sensible to do). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);            /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);

/* Wall clock, seconds since the epoch (UTC). */
int64_t util_now(void);
/* Monotonic clock in seconds, for measuring durations. */
double util_mono(void);
/* Formats epoch seconds as "YYYY-MM-DDTHH:MM:SSZ" into out (>= 21 bytes). */
void util_iso8601(int64_t t, char *out, size_t outlen);
/* Parses ISO-8601 ("2024-05-01T10:02:03Z", "+02:00" offsets, fractional
 * seconds, "2024-05-01 10:02") into epoch seconds. Returns 0 or -1. */
int util_parse_iso8601(const char *s, int64_t *out);

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; may be negative). */
int64_t util_days_from_civil(int64_t y, int m, int d);
/* Days in month m (1-12) of year y. */
int util_days_in_month(int y, int m);

/* 64-bit FNV-1a, used for stable ids and cache keys. */
uint64_t util_fnv1a(const void *data, size_t n, uint64_t seed);
#define FNV_SEED 0xcbf29ce484222325ULL

/* j as JSON text (pretty: cJSON's indented form, else compact), to be
 * released with free() whatever allocator cJSON was built with. Caller
 * frees; j stays the caller's. */
struct cJSON;
char *util_json_text_new(const struct cJSON *j, int pretty);

/* Reads f to its end (name labels errors); caller frees. NULL + err. */
char *util_read_stream_new(FILE *f, const char *name, size_t *len, char *err);
/* Reads a whole file; caller frees. NULL + err on failure. */
char *util_read_file_new(const char *path, size_t *len, char *err);

/* Writes data to path atomically: outfile_write_all(path, data, len, 0,
 * err) (core/outfile.h: exclusive temp file, no symlinks or special files
 * replaced, mode and owner kept, new files 0600). 0 or -1 + err. */
int util_write_file_atomic(const char *path, const char *data, size_t len,
                           char *err);

/* Offset of the first byte of s[0..n) that is not valid UTF-8 (overlong
 * forms, surrogates, > U+10FFFF, truncated sequences) or is NUL; n when the
 * text is valid. */
size_t util_utf8_bad_at(const char *s, size_t n);

/* Deterministic PRNG (splitmix64), for seeded sampling. */
typedef struct { uint64_t s; } rng;
void rng_seed(rng *r, uint64_t seed);
uint64_t rng_next(rng *r);
double rng_unit(rng *r);                 /* [0,1) */
size_t rng_below(rng *r, size_t n);      /* [0,n) ; n > 0 */

#endif
