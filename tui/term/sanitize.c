/* sanitize.c: see sanitize.h. */
#include "sanitize.h"
#include "../../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    sbuf_addn(b, u, (size_t)utf8_encode(cp, u));
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
        int n = utf8_decode(u + i, len - i, &cp);
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
        int len = utf8_decode(u + i, n - i, &cp);
        if (len == 0) { cp = 0xFFFD; len = 1; }   /* cannot happen */
        w[k++] = (wchar_t)cp;
        i += (size_t)len;
    }
    w[k] = 0;
    free(clean);
    if (outlen) *outlen = k;
    return w;
}
