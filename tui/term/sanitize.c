/* sanitize.c: see sanitize.h. */
#include "sanitize.h"
#include "../../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sanitize_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (n == 0) return 0;
    unsigned char c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    int len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; v = c & 0x07; min = 0x10000; }
    else return 0;
    if ((size_t)len > n) return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

int sanitize_cp_unsafe(uint32_t cp, unsigned flags)
{
    if (cp == '\n') return !(flags & SAN_KEEP_NL);
    if (cp == '\t') return !(flags & SAN_KEEP_TAB);
    if (cp < 0x20 || cp == 0x7F) return 1;
    if (cp >= 0x80 && cp <= 0x9F) return 1;
    if (flags & SAN_PIPE) return 0;
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
        return 1;
    if (cp == 0x2028 || cp == 0x2029) return 1;
    if (cp == 0xFFFE || cp == 0xFFFF) return 1;
    return 0;
}

static void add_cp(sbuf *b, uint32_t cp)
{
    char u[4];
    if (cp < 0x80) {
        sbuf_addc(b, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        sbuf_addn(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        sbuf_addn(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        sbuf_addn(b, u, 4);
    }
}

/* The visible stand-in for an unsafe code point. */
static void add_placeholder(sbuf *b, uint32_t cp)
{
    if (cp == '\t') sbuf_addc(b, ' ');
    else if (cp < 0x20) add_cp(b, 0x2400 + cp);       /* ␀ .. ␟, ␛ */
    else if (cp == 0x7F) add_cp(b, 0x2421);           /* ␡ */
    else sbuf_addf(b, "\\u%04x", (unsigned)cp);
}

char *sanitize_new(const char *s, size_t len, unsigned flags)
{
    sbuf b = {0};
    if (!s) return sbuf_take(&b);
    if (len == (size_t)-1) len = strlen(s);
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        int n = sanitize_utf8_decode(u + i, len - i, &cp);
        if (n == 0) {
            if ((flags & SAN_PIPE) && !(u[i] >= 0x80 && u[i] <= 0x9F))
                sbuf_addc(&b, (char)u[i]);
            else
                sbuf_addf(&b, "\\x%02x", u[i]);
            i++;
            continue;
        }
        if (sanitize_cp_unsafe(cp, flags)) add_placeholder(&b, cp);
        else sbuf_addn(&b, s + i, (size_t)n);
        i += (size_t)n;
    }
    return sbuf_take(&b);
}

wchar_t *sanitize_wide_new(const char *s, unsigned flags, size_t *outlen)
{
    char *clean = sanitize_new(s, (size_t)-1, flags);
    size_t n = strlen(clean), k = 0, i = 0;
    wchar_t *w = xmalloc((n + 1) * sizeof *w);
    const unsigned char *u = (const unsigned char *)clean;
    while (i < n) {
        uint32_t cp;
        int len = sanitize_utf8_decode(u + i, n - i, &cp);
        if (len == 0) { cp = 0xFFFD; len = 1; }   /* cannot happen */
        w[k++] = (wchar_t)cp;
        i += (size_t)len;
    }
    w[k] = 0;
    free(clean);
    if (outlen) *outlen = k;
    return w;
}
