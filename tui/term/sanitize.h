/* sanitize.h: terminal-text sanitising. Every string that reaches the
 * screen and came from data (conversation text, names, ids, model output,
 * notes, JSON) passes through here first. Pure functions, no locale.
 *
 * What is replaced by a visible placeholder (never passed through raw):
 *   - C0 controls and DEL: ESC -> "␛", others -> Control Pictures
 *     (U+2400 + c: "␀".."␟", DEL -> "␡"). TAB -> one space unless
 *     SAN_KEEP_TAB; LF kept only with SAN_KEEP_NL (else "␊"); CR -> "␍".
 *     An escape sequence thus becomes visible text: "\x1b]52;c;..\x07" ->
 *     "␛]52;c;..␇"; the terminal never sees an ESC from data.
 *   - C1 controls U+0080..U+009F (incl. CSI U+009B, OSC U+009D) -> "\u009b".
 *   - Bidi embedding/override/isolate controls U+202A..U+202E,
 *     U+2066..U+2069, and U+2028/U+2029 separators -> "\u202e" style.
 *   - Invalid UTF-8 (stray continuation bytes, truncated sequences,
 *     overlong forms, surrogates, > U+10FFFF) -> "\xNN" per bad byte.
 *   - Non-characters U+FFFE/U+FFFF -> "\ufffe".
 * Everything else (printable ASCII, valid UTF-8 incl. emoji, ZWJ
 * sequences, combining marks, CJK) is kept as is. */
#ifndef CURATE_SANITIZE_H
#define CURATE_SANITIZE_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

enum {
    SAN_KEEP_NL = 1,     /* keep '\n' (text that the caller wraps) */
    SAN_KEEP_TAB = 2,    /* keep '\t' (caller expands it) */
    /* Output to a pipe or file: keep the bytes (bidi controls, invalid
     * UTF-8, non-characters) except controls: C0, DEL, C1 (U+0080..U+009F)
     * and the raw bytes 0x80..0x9F (C1 to an 8-bit terminal) are still
     * replaced, so a human-readable line never carries an escape sequence
     * to whatever later shows it. */
    SAN_PIPE = 4
};

/* Sanitises len bytes of s (len = (size_t)-1: up to NUL). Returns a new
 * NUL-terminated valid UTF-8 string; caller frees. NULL in -> "". */
char *sanitize_new(const char *s, size_t len, unsigned flags);

/* True when code point cp would be replaced by sanitize_new(flags). */
int sanitize_cp_unsafe(uint32_t cp, unsigned flags);

/* Sanitises s and decodes it to a new wide string (caller frees); sets
 * *outlen to its length when non-NULL. */
wchar_t *sanitize_wide_new(const char *s, unsigned flags, size_t *outlen);

#endif
