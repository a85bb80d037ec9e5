/* fuzz.h: shared by the fuzz targets (tests/fuzz/fuzz_*.c).
 *
 * Each target defines `static void fuzz_<name>_one(const uint8_t *, size_t)`
 * and, unless FUZZ_UNIT is defined, the libFuzzer entry point calling it.
 * tests/unit/test_fuzz_regress.c defines FUZZ_UNIT and #includes every
 * target, so `make test` replays tests/fuzz/regress and tests/fuzz/corpus
 * through the same code (and the same invariant checks) without clang.
 *
 * FUZZ_CHECK(cond): an invariant. Under libFuzzer a failure prints and
 * aborts (a crash libFuzzer saves); under FUZZ_UNIT it prints and counts
 * (fuzz_nfail) so the unit test can fail without killing the runner. */
#ifndef CURATE_FUZZ_H
#define CURATE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/util.h"

#ifdef FUZZ_UNIT
static int fuzz_nfail, fuzz_quiet;
#endif

static inline void fuzz_fail(const char *file, int line, const char *what)
{
#ifdef FUZZ_UNIT
    if (!fuzz_quiet)
#endif
        fprintf(stderr, "fuzz invariant failed: %s:%d: %s\n", file, line,
                what);
#ifdef FUZZ_UNIT
    fuzz_nfail++;
#else
    abort();
#endif
}

#define FUZZ_CHECK(c)                                                   \
    do {                                                                \
        if (!(c)) fuzz_fail(__FILE__, __LINE__, #c);                    \
    } while (0)

/* A NUL-terminated copy of the input (the parsers take C strings). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Strict UTF-8 (no overlongs, surrogates, > U+10FFFF); NUL allowed only
 * when nul_ok. 1 when the n bytes at s are valid. */
static inline int fuzz_utf8_valid(const char *s, size_t n, int nul_ok)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c == 0 && !nul_ok) return 0;
        if (c < 0x80) { i++; continue; }
        size_t k;
        unsigned min, cp;
        if (c >= 0xC2 && c <= 0xDF) { k = 1; min = 0x80; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { k = 2; min = 0x800; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { k = 3; min = 0x10000; cp = c & 0x07; }
        else return 0;
        if (n - i <= k) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}

static inline int fuzz_str_utf8(const char *s)
{
    return s && fuzz_utf8_valid(s, strlen(s), 0);
}

/* An error message as curate prints it (util.h: "a one-line message the
 * caller shows"): non-empty, NUL-terminated within ERR_MAX, no C0 controls
 * (newline, ESC), DEL or C1 controls (U+0080..U+009F), valid UTF-8 except
 * that a message cut at ERR_MAX - 1 bytes may end inside a character. Text
 * quoted from hostile input must not smuggle escape sequences to stderr. */
static inline void fuzz_check_err(const char *err)
{
    size_t n = strnlen(err, ERR_MAX);
    FUZZ_CHECK(n > 0 && n < ERR_MAX);
    if (n >= ERR_MAX) return;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)err[i];
        FUZZ_CHECK(b >= 0x20 && b != 0x7f);
        if (b == 0xC2 && i + 1 < n) {
            unsigned char c = (unsigned char)err[i + 1];
            FUZZ_CHECK(!(c >= 0x80 && c <= 0x9f));
        }
    }
    int ok = fuzz_utf8_valid(err, n, 0);
    for (size_t cut = 1; !ok && n == ERR_MAX - 1 && cut <= 3; cut++)
        ok = fuzz_utf8_valid(err, n - cut, 0);
    FUZZ_CHECK(ok);
}

#endif
