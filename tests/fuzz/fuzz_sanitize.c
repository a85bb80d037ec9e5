/* fuzz_sanitize.c: terminal-text sanitising (tui/sanitize.c). Input: any
 * bytes, as they may arrive in a message, a name or a model's answer.
 *
 * For each flag combination, sanitize_new's output (explicit length and
 * NUL-terminated forms) must be valid UTF-8 with no byte 0x1b, no other C0
 * control (except '\n' with SAN_KEEP_NL and '\t' with SAN_KEEP_TAB), no
 * DEL, no C1 control U+0080..U+009F, no bidi control U+202A..U+202E /
 * U+2066..U+2069, no U+2028/U+2029, no U+FFFE/U+FFFF; sanitising it again
 * changes nothing; input that is already safe comes out unchanged. The
 * wide form holds the same code points. utf8_decode agrees with a
 * strict reference decoder. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz.h"
#include "../../core/utf8.h"
#include "../../tui/term/sanitize.h"

#include <wchar.h>

/* 1 when the valid UTF-8 s[0..n) has no code point that must not reach a
 * terminal under flags. */
static int san_safe(const char *s, size_t n, unsigned flags)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        int k = utf8_decode(u + i, n - i, &cp);
        if (k <= 0) return 0;
        if (cp == 0x1b || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) return 0;
        if (cp < 0x20 && !(cp == '\n' && (flags & SAN_KEEP_NL)) &&
            !(cp == '\t' && (flags & SAN_KEEP_TAB)))
            return 0;
        if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
            cp == 0x2028 || cp == 0x2029 || cp == 0xfffe || cp == 0xffff)
            return 0;
        i += (size_t)k;
    }
    return 1;
}

static void san_check(const char *s, size_t n, unsigned flags)
{
    char *out = sanitize_new(s, n, flags);
    FUZZ_CHECK(out != NULL);
    if (!out) return;
    size_t on = strlen(out);
    FUZZ_CHECK(fuzz_utf8_valid(out, on, 0));
    FUZZ_CHECK(!memchr(out, 0x1b, on));
    for (size_t i = 0; i + 1 < on; i++)      /* C1 controls as UTF-8 */
        FUZZ_CHECK(!((unsigned char)out[i] == 0xc2 &&
                     (unsigned char)out[i + 1] >= 0x80 &&
                     (unsigned char)out[i + 1] <= 0x9f));
    FUZZ_CHECK(san_safe(out, on, flags));
    /* Idempotent: placeholders are themselves safe. */
    char *again = sanitize_new(out, on, flags);
    FUZZ_CHECK(again && strcmp(again, out) == 0);
    free(again);
    /* Safe input is kept byte for byte. */
    if (fuzz_utf8_valid(s, n, 0) && san_safe(s, n, flags))
        FUZZ_CHECK(on == n && memcmp(out, s, n) == 0);
    free(out);
}

/* SAN_PIPE (output to a pipe or file): bytes kept, but no control: no C0
 * (except '\n' / '\t' when kept), no DEL, no C1 code point, no raw byte
 * 0x80..0x9F outside a valid sequence; safe UTF-8 text comes out as is. */
static void san_check_pipe(const char *s, size_t n, unsigned flags)
{
    char *out = sanitize_new(s, n, flags | SAN_PIPE);
    size_t on = strlen(out), i = 0;
    const unsigned char *u = (const unsigned char *)out;
    while (i < on) {
        uint32_t cp;
        int k = utf8_decode(u + i, on - i, &cp);
        if (k <= 0) {   /* a kept invalid byte: never a C1 one */
            FUZZ_CHECK(!(u[i] >= 0x80 && u[i] <= 0x9f));
            i++;
            continue;
        }
        FUZZ_CHECK(cp != 0x1b && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f));
        if (cp < 0x20)
            FUZZ_CHECK((cp == '\n' && (flags & SAN_KEEP_NL)) ||
                       (cp == '\t' && (flags & SAN_KEEP_TAB)));
        i += (size_t)k;
    }
    if (fuzz_utf8_valid(s, n, 0) && san_safe(s, n, flags))
        FUZZ_CHECK(on == n && memcmp(out, s, n) == 0);
    free(out);
}

static void fuzz_sanitize_one(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    for (unsigned flags = 0; flags < 4; flags++) san_check(s, size, flags);
    for (unsigned flags = 0; flags < 4; flags++) san_check_pipe(s, size, flags);

    /* NUL-terminated form: up to the first NUL. */
    char *c = fuzz_cstr(data, size);
    size_t clen = strlen(c);
    char *a = sanitize_new(c, (size_t)-1, SAN_KEEP_NL);
    char *b = sanitize_new(c, clen, SAN_KEEP_NL);
    FUZZ_CHECK(a && b && strcmp(a, b) == 0);

    /* Wide form: the code points of the sanitised text. */
    size_t wn = 0;
    wchar_t *w = sanitize_wide_new(c, SAN_KEEP_NL, &wn);
    FUZZ_CHECK(w != NULL);
    if (w && b) {
        const unsigned char *u = (const unsigned char *)b;
        size_t i = 0, k = 0, bn = strlen(b);
        while (i < bn && k < wn) {
            uint32_t cp;
            int len = utf8_decode(u + i, bn - i, &cp);
            FUZZ_CHECK(len > 0);
            if (len <= 0) break;
            FUZZ_CHECK((uint32_t)w[k] == cp);
            i += (size_t)len;
            k++;
        }
        FUZZ_CHECK(i == bn && k == wn && w[wn] == 0);
    }
    free(w);
    free(a);
    free(b);
    free(c);
    char *e = sanitize_new(NULL, 5, 0);
    FUZZ_CHECK(e && e[0] == '\0');
    free(e);

    /* The decoder against the reference validator, at every offset. */
    for (size_t i = 0; i < size && i < 64; i++) {
        uint32_t cp = 0;
        int k = utf8_decode(data + i, size - i, &cp);
        FUZZ_CHECK(k >= 0 && k <= 4);
        if (k > 0) {
            FUZZ_CHECK(fuzz_utf8_valid(s + i, (size_t)k, 1));
        } else {   /* no 1..4 byte prefix is a valid character */
            for (size_t l = 1; l <= 4 && l <= size - i; l++)
                FUZZ_CHECK(!fuzz_utf8_valid(s + i, l, 1));
        }
    }
}

#ifndef FUZZ_UNIT
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_sanitize_one(data, size);
    return 0;
}
#endif
