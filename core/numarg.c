/* numarg.c: see numarg.h. */
#define _POSIX_C_SOURCE 200809L
#include "numarg.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The value as it may be quoted in a message: printable ASCII as is,
 * everything else \xNN, at most 40 input bytes. */
static void quote(char *out, size_t n, const char *s)
{
    size_t k = 0, i = 0;
    for (; s[i] && i < 40 && k + 5 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[k++] = (char)c;
        } else {
            snprintf(out + k, n - k, "\\x%02x", c);
            k += 4;
        }
    }
    if (s[i] && k + 4 < n) { memcpy(out + k, "...", 3); k += 3; }
    out[k] = '\0';
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

int numarg_int(const char *name, const char *s, int64_t lo, int64_t hi,
               int64_t *out, char *err)
{
    char q[200];
    const char *p = s ? s : "";
    if (*p == '+' || *p == '-') p++;
    int ok = is_digit(*p);
    while (is_digit(*p)) p++;
    if (*p) ok = 0;
    long long v = 0;
    if (ok) {
        errno = 0;
        v = strtoll(s, NULL, 10);
        if (errno == ERANGE) ok = 0;
    }
    if (!ok || v < lo || v > hi) {
        quote(q, sizeof q, s ? s : "");
        err_set(err, "%s: '%s' is not %s; allowed %lld..%lld", name, q,
                ok ? "within range" : "a whole number", (long long)lo,
                (long long)hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* Shortest %g form of a bound, for messages. */
static void fmt_bound(char *out, size_t n, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, n, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, v);
        if (strtod(out, NULL) == v) return;
    }
}

int numarg_real(const char *name, const char *s, double lo, double hi,
                double *out, char *err)
{
    char q[200], a[40], b[40];
    const char *p = s ? s : "";
    if (*p == '+' || *p == '-') p++;
    int digits = 0;
    while (is_digit(*p)) { p++; digits++; }
    if (*p == '.') {
        p++;
        while (is_digit(*p)) { p++; digits++; }
    }
    int ok = digits > 0;
    if (ok && (*p == 'e' || *p == 'E')) {
        p++;
        if (*p == '+' || *p == '-') p++;
        ok = is_digit(*p);
        while (is_digit(*p)) p++;
    }
    if (*p) ok = 0;
    double v = 0;
    if (ok) {
        errno = 0;
        v = strtod(s, NULL);
        if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1)) ok = 0;
        if (v == 0) v = 0;   /* no negative zero */
    }
    if (!ok || !(v >= lo && v <= hi)) {
        quote(q, sizeof q, s ? s : "");
        fmt_bound(a, sizeof a, lo);
        fmt_bound(b, sizeof b, hi);
        err_set(err, "%s: '%s' is not %s; allowed %s..%s", name, q,
                ok ? "within range" : "a finite decimal number", a, b);
        return -1;
    }
    *out = v;
    return 0;
}

int numarg_utc_offset(const char *name, const char *s, int *minutes,
                      char *err)
{
    const char *p = s ? s : "";
    int sign = 1;
    if (*p == '+' || *p == '-') sign = *p++ == '-' ? -1 : 1;
    int h = 0, m = 0, nh = 0, nm = 0, ok = 1;
    while (is_digit(*p) && nh < 3) { h = h * 10 + (*p++ - '0'); nh++; }
    if (*p == ':') {
        p++;
        while (is_digit(*p) && nm < 3) { m = m * 10 + (*p++ - '0'); nm++; }
        if (nm != 2) ok = 0;
    }
    if (*p || nh < 1 || nh > 2 || h > 14 || m > 59 || (h == 14 && m > 0))
        ok = 0;
    if (!ok) {
        char q[200];
        quote(q, sizeof q, s ? s : "");
        err_set(err, "%s: '%s' is not a UTC offset; expected +HH:MM within "
                "-14:00..+14:00", name, q);
        return -1;
    }
    *minutes = sign * (h * 60 + m);
    return 0;
}
