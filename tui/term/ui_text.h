/* ui_text.h: pure text helpers of the workbench (no ncurses): display
 * widths, wrapping, number and duration formats, bars, the compression
 * alarm. Internal to tui/. */
#ifndef CURATE_UI_TEXT_H
#define CURATE_UI_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

/* Display width of one character: wcwidth(), with non-printable (< 0)
 * counted as 1 (the drawing layer shows U+FFFD or '?' for them). */
int ui_cwidth(wchar_t c);
/* Display width of s[0..n). */
int ui_swidth(const wchar_t *s, size_t n);
/* Number of leading characters of s[0..n) that fit in width columns. */
size_t ui_fit(const wchar_t *s, size_t n, int width);

/* One wrapped line: s[start .. start+len). */
typedef struct { size_t start, len; } ui_span;

/* Wraps s[0..n) to lines of at most width columns (width >= 1): '\n'
 * forces a break; lines break after the last space that fits, else
 * mid-word; spaces at a soft break are dropped. Always returns at least
 * one line. Caller frees the array; *nlines gets its length. */
ui_span *ui_wrap_new(const wchar_t *s, size_t n, int width, size_t *nlines);

/* "45m", "3h12m", "2d4h" for a gap of secs (>= 0). */
void ui_fmt_gap(int64_t secs, char *out, size_t outlen);
/* score_format (core/score.h: "7.0", "7.5", "7.25"), or "-" when !has. */
void ui_fmt_score(double v, int has, char *out, size_t outlen);
/* Group thousands: 100000 -> "100,000". */
void ui_fmt_count(int64_t n, char *out, size_t outlen);
/* A count in at most 5 columns: "99999", then "250k", "1.0M", "12M",
 * "1.2G": a column never shows a cut number (1,000,000 cut to 5 cells
 * read "10000"). */
void ui_fmt_count5(int64_t n, char *out, size_t outlen);

/* The word that agrees with n: one when n is 1, else many ("1 message",
 * "0 messages", "3 messages"). The one helper for counts in words. */
const char *ui_plural(int64_t n, const char *one, const char *many);

/* Parses what a reviewer typed for a score ("7", "7.5", ".5", "10").
 * Returns 1 and *out, or 0 when not a number. */
int ui_parse_typed(const char *s, double *out);

/* A horizontal bar of frac (0..1) over width cells with eighth blocks
 * (ascii: '#' cells). Writes at most width characters + NUL into out
 * (room for width + 1). */
void ui_bar(double frac, int width, int ascii, wchar_t *out);

/* The compression alarm: the largest sum of window consecutive bins.
 * Returns it and sets *start to the first bin of that window (the lowest
 * such window on ties). nbins >= 1; window clipped to [1, nbins]. */
int64_t ui_max_window(const int64_t *bins, int nbins, int window, int *start);

#endif
