/* fuzz_numarg.c: the strict number parser of every number option
 * (core/numarg.c). Input: any bytes, as a user may type them.
 *
 * Invariants: an accepted value lies within the range, is finite, and the
 * text is nothing but a plain decimal number (checked against an
 * independent grammar: sign, digits, for reals a fraction and exponent);
 * an accepted integer prints back to the same digits (no silent
 * wrap-around); a refusal leaves *out untouched and gives a safe one-line
 * message (fuzz_check_err) naming the option and the allowed range; the
 * UTC offset is within +-14:00. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz.h"
#include "../../core/numarg.h"

#include <math.h>

static int digit(char c) { return c >= '0' && c <= '9'; }

/* 1 when s is [+-]digits */
static int int_grammar(const char *s)
{
    if (*s == '+' || *s == '-') s++;
    if (!digit(*s)) return 0;
    while (digit(*s)) s++;
    return *s == '\0';
}

/* 1 when s is [+-](digits[.digits*] | .digits)([eE][+-]digits)? */
static int real_grammar(const char *s)
{
    if (*s == '+' || *s == '-') s++;
    int d = 0;
    while (digit(*s)) { s++; d++; }
    if (*s == '.') { s++; while (digit(*s)) { s++; d++; } }
    if (!d) return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (!digit(*s)) return 0;
        while (digit(*s)) s++;
    }
    return *s == '\0';
}

static void fuzz_numarg_one(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    char err[ERR_MAX];
    static const int64_t ranges[][2] = {
        {1, 1000000}, {0, INT64_MAX}, {INT64_MIN, INT64_MAX}, {-5, 5}};
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++) {
        int64_t v = 12345;
        err[0] = '\0';
        int rc = numarg_int("--n", s, ranges[i][0], ranges[i][1], &v, err);
        if (rc == 0) {
            FUZZ_CHECK(int_grammar(s));
            FUZZ_CHECK(v >= ranges[i][0] && v <= ranges[i][1]);
            char back[32];
            snprintf(back, sizeof back, "%lld", (long long)v);
            /* same value: strip sign and leading zeros of the input */
            const char *p = s + (*s == '+' || *s == '-');
            while (*p == '0' && p[1]) p++;
            const char *b = back + (back[0] == '-');
            FUZZ_CHECK(strcmp(p, b) == 0 || (v == 0 && strcmp(p, "0") == 0));
        } else {
            FUZZ_CHECK(rc == -1 && v == 12345);
            fuzz_check_err(err);
            FUZZ_CHECK(strstr(err, "--n: ") == err && strstr(err, "allowed "));
        }
    }
    static const double rr[][2] = {{0, 2}, {0.001, 86400}, {-1e308, 1e308}};
    for (size_t i = 0; i < sizeof rr / sizeof *rr; i++) {
        double d = 12345;
        err[0] = '\0';
        int rc = numarg_real("--t", s, rr[i][0], rr[i][1], &d, err);
        if (rc == 0) {
            FUZZ_CHECK(real_grammar(s));
            FUZZ_CHECK(isfinite(d) && d >= rr[i][0] && d <= rr[i][1]);
            FUZZ_CHECK(!(d == 0 && signbit(d)));
        } else {
            FUZZ_CHECK(rc == -1 && d == 12345);
            fuzz_check_err(err);
            FUZZ_CHECK(strstr(err, "--t: ") == err && strstr(err, "allowed "));
        }
    }
    int m = 12345;
    err[0] = '\0';
    if (numarg_utc_offset("--tz-offset", s, &m, err) == 0) {
        FUZZ_CHECK(m >= -14 * 60 && m <= 14 * 60);
    } else {
        FUZZ_CHECK(m == 12345);
        fuzz_check_err(err);
    }
    free(s);
}

#ifndef FUZZ_UNIT
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_numarg_one(data, size);
    return 0;
}
#endif
