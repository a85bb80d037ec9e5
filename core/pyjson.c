/* pyjson.c: see pyjson.h. */
#include "pyjson.h"
#include "utf8.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

/* ---------------------------------------------------------------- out */

static void add_u(sbuf *b, unsigned v)
{
    sbuf_addf(b, "\\u%04x", v);
}

void pyjson_dump_string(sbuf *b, const char *s, int ensure_ascii)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    sbuf_addc(b, '"');
    while (n) {
        unsigned c = *p;
        const char *esc = NULL;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        }
        if (esc) {
            sbuf_add(b, esc);
            p++, n--;
            continue;
        }
        if (c < 0x20) {
            add_u(b, c);
            p++, n--;
            continue;
        }
        if (!ensure_ascii || (c >= 0x20 && c <= 0x7e)) {
            sbuf_addc(b, (char)c);
            p++, n--;
            continue;
        }
        uint32_t cp;
        int len = utf8_decode(p, n, &cp);
        if (len <= 0) {           /* not UTF-8: U+FFFD, as a decode would */
            cp = 0xFFFD;
            len = 1;
        }
        if (cp > 0xFFFF) {
            cp -= 0x10000;
            add_u(b, 0xD800 + (cp >> 10));
            add_u(b, 0xDC00 + (cp & 0x3FF));
        } else {
            add_u(b, cp);
        }
        p += len;
        n -= (size_t)len;
    }
    sbuf_addc(b, '"');
}

/* ---------------------------------------------------------------- Python text */

char *pyjson_number_str_new(const char *tok)
{
    if (!strcmp(tok, "NaN")) return xstrdup("nan");
    if (!strcmp(tok, "Infinity")) return xstrdup("inf");
    if (!strcmp(tok, "-Infinity")) return xstrdup("-inf");
    if (!strpbrk(tok, ".eE")) {
        const char *d = tok[0] == '-' ? tok + 1 : tok;
        if (strcmp(d, "0") == 0) return xstrdup("0");
        return xstrdup(tok);
    }
    double x = strtod(tok, NULL);
    if (isinf(x)) return xstrdup(x < 0 ? "-inf" : "inf");
    sbuf b = {0};
    if (signbit(x)) { sbuf_addc(&b, '-'); x = -x; }
    if (x == 0) { sbuf_add(&b, "0.0"); return sbuf_take(&b); }
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
        if (strtod(buf, NULL) == x) break;
    }
    /* buf: d[.ddd]e[+-]XX */
    char digits[32];
    size_t nd = 0;
    char *e = strchr(buf, 'e');
    for (char *q = buf; q < e; q++)
        if (*q >= '0' && *q <= '9' && nd < sizeof digits - 1) digits[nd++] = *q;
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = '\0';
    int exp10 = atoi(e + 1);
    int decpt = exp10 + 1;
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            sbuf_add(&b, "0.");
            for (int i = 0; i < -decpt; i++) sbuf_addc(&b, '0');
            sbuf_add(&b, digits);
        } else if ((size_t)decpt >= nd) {
            sbuf_add(&b, digits);
            for (size_t i = nd; i < (size_t)decpt; i++) sbuf_addc(&b, '0');
            sbuf_add(&b, ".0");
        } else {
            sbuf_addn(&b, digits, (size_t)decpt);
            sbuf_addc(&b, '.');
            sbuf_add(&b, digits + decpt);
        }
    } else {
        sbuf_addc(&b, digits[0]);
        if (nd > 1) {
            sbuf_addc(&b, '.');
            sbuf_add(&b, digits + 1);
        }
        sbuf_addf(&b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
    return sbuf_take(&b);
}

int pyjson_hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* Characters str.isprintable() calls unprintable, as far as answers go:
 * controls, DEL, C1, NBSP, soft hyphen, the line/paragraph separators. */
static int py_unprintable(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad ||
           cp == 0x2028 || cp == 0x2029;
}

/* repr() of a str. */
static void py_repr_str(sbuf *b, const char *s)
{
    char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    sbuf_addc(b, q);
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    while (n) {
        uint32_t cp;
        int len = utf8_decode(p, n, &cp);
        if (len <= 0) { cp = *p; len = 1; }
        if (cp == '\\') sbuf_add(b, "\\\\");
        else if (cp == (uint32_t)q) { sbuf_addc(b, '\\'); sbuf_addc(b, q); }
        else if (cp == '\t') sbuf_add(b, "\\t");
        else if (cp == '\n') sbuf_add(b, "\\n");
        else if (cp == '\r') sbuf_add(b, "\\r");
        else if (py_unprintable(cp) && cp <= 0xff) sbuf_addf(b, "\\x%02x", cp);
        else if (py_unprintable(cp)) sbuf_addf(b, "\\u%04x", cp);
        else sbuf_addn(b, (const char *)p, (size_t)len);
        p += len;
        n -= (size_t)len;
    }
    sbuf_addc(b, q);
}

/* ---------------------------------------------------------------- in */

typedef struct {
    const char *p, *end;
    int depth;
} reader;

static void skip_ws(reader *r)
{
    while (r->p < r->end &&
           (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static void add_cp(sbuf *b, uint32_t cp)
{
    char u[4];
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    sbuf_addn(b, u, (size_t)utf8_encode(cp, u));
}

/* A string at r->p ('"'), decoded into out. */
static int read_string(reader *r, sbuf *out)
{
    r->p++;
    while (r->p < r->end && *r->p != '"') {
        if (*r->p != '\\') {
            const char *q = r->p;
            while (q < r->end && *q != '"' && *q != '\\') q++;
            sbuf_addn(out, r->p, (size_t)(q - r->p));
            r->p = q;
            continue;
        }
        if (r->end - r->p < 2) return -1;
        char e = r->p[1];
        r->p += 2;
        switch (e) {
        case '"': sbuf_addc(out, '"'); break;
        case '\\': sbuf_addc(out, '\\'); break;
        case '/': sbuf_addc(out, '/'); break;
        case 'b': sbuf_addc(out, '\b'); break;
        case 'f': sbuf_addc(out, '\f'); break;
        case 'n': sbuf_addc(out, '\n'); break;
        case 'r': sbuf_addc(out, '\r'); break;
        case 't': sbuf_addc(out, '\t'); break;
        case 'u': {
            unsigned hi, lo;
            if (r->end - r->p < 4 || pyjson_hex4(r->p, &hi) < 0) return -1;
            r->p += 4;
            uint32_t cp = hi;
            if (hi >= 0xD800 && hi <= 0xDBFF && r->end - r->p >= 6 &&
                r->p[0] == '\\' && r->p[1] == 'u' &&
                pyjson_hex4(r->p + 2, &lo) == 0 && lo >= 0xDC00 &&
                lo <= 0xDFFF) {
                cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                r->p += 6;
            }
            add_cp(out, cp);
            break;
        }
        default: return -1;
        }
    }
    if (r->p >= r->end) return -1;
    r->p++;
    return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int read_number(reader *r, sbuf *out)
{
    const char *s = r->p, *q = s;
    if (q < r->end && *q == '-') q++;
    if (q >= r->end || !is_digit(*q)) return -1;
    while (q < r->end && is_digit(*q)) q++;
    if (q < r->end && *q == '.') {
        q++;
        if (q >= r->end || !is_digit(*q)) return -1;
        while (q < r->end && is_digit(*q)) q++;
    }
    if (q < r->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < r->end && (*q == '+' || *q == '-')) q++;
        if (q >= r->end || !is_digit(*q)) return -1;
        while (q < r->end && is_digit(*q)) q++;
    }
    r->p = q;
    char *tok = xstrndup(s, (size_t)(q - s));
    char *str = pyjson_number_str_new(tok);
    sbuf_add(out, str);
    free(str);
    free(tok);
    return 0;
}

static int literal(reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || strncmp(r->p, word, n)) return 0;
    r->p += n;
    return 1;
}

static int read_members(reader *r, pyjson_obj *o, int top);

/* A value into out: str(value) when top, else repr(value). */
static int read_value(reader *r, sbuf *out, int top)
{
    skip_ws(r);
    if (r->p >= r->end) return -1;
    char c = *r->p;
    if (c == '"') {
        if (top) return read_string(r, out);
        sbuf s = {0};
        int rc = read_string(r, &s);
        if (rc == 0) py_repr_str(out, s.s ? s.s : "");
        sbuf_free(&s);
        return rc;
    }
    if (c == '{') {
        pyjson_obj o = {0};
        if (read_members(r, &o, 0) < 0) {
            pyjson_obj_clear(&o);
            return -1;
        }
        sbuf_addc(out, '{');
        for (size_t i = 0; i < o.n; i++) {
            if (i) sbuf_add(out, ", ");
            py_repr_str(out, o.keys[i]);
            sbuf_add(out, ": ");
            sbuf_add(out, o.vals[i]);
        }
        sbuf_addc(out, '}');
        pyjson_obj_clear(&o);
        return 0;
    }
    if (c == '[') {
        if (++r->depth > MAX_DEPTH) return -1;
        r->p++;
        sbuf_addc(out, '[');
        int first = 1;
        for (;;) {
            skip_ws(r);
            if (r->p < r->end && *r->p == ']') { r->p++; break; }
            if (!first) {
                if (r->p >= r->end || *r->p != ',') return -1;
                r->p++;
                skip_ws(r);
                if (r->p < r->end && *r->p == ']') { r->p++; break; }
                sbuf_add(out, ", ");
            }
            if (read_value(r, out, 0) < 0) return -1;
            first = 0;
        }
        sbuf_addc(out, ']');
        r->depth--;
        return 0;
    }
    if (literal(r, "true")) { sbuf_add(out, "True"); return 0; }
    if (literal(r, "false")) { sbuf_add(out, "False"); return 0; }
    if (literal(r, "null")) { sbuf_add(out, "None"); return 0; }
    return read_number(r, out);
}

static void obj_set(pyjson_obj *o, char *key, char *val)
{
    for (size_t i = 0; i < o->n; i++)
        if (!strcmp(o->keys[i], key)) {   /* a dict keeps the last value */
            free(o->vals[i]);
            o->vals[i] = val;
            free(key);
            return;
        }
    o->keys = xrealloc(o->keys, (o->n + 1) * sizeof *o->keys);
    o->vals = xrealloc(o->vals, (o->n + 1) * sizeof *o->vals);
    o->keys[o->n] = key;
    o->vals[o->n++] = val;
}

/* An object at r->p ('{'): its members into o. */
static int read_members(reader *r, pyjson_obj *o, int top)
{
    if (++r->depth > MAX_DEPTH) return -1;
    r->p++;
    int first = 1;
    for (;;) {
        skip_ws(r);
        if (r->p < r->end && *r->p == '}') { r->p++; break; }
        if (!first) {
            if (r->p >= r->end || *r->p != ',') return -1;
            r->p++;
            skip_ws(r);
            if (r->p < r->end && *r->p == '}') { r->p++; break; }
        }
        if (r->p >= r->end || *r->p != '"') return -1;
        sbuf k = {0}, v = {0};
        if (read_string(r, &k) < 0) { sbuf_free(&k); return -1; }
        skip_ws(r);
        if (r->p >= r->end || *r->p != ':') { sbuf_free(&k); return -1; }
        r->p++;
        if (read_value(r, &v, top) < 0) {
            sbuf_free(&k);
            sbuf_free(&v);
            return -1;
        }
        obj_set(o, sbuf_take(&k), sbuf_take(&v));
        first = 0;
    }
    r->depth--;
    return 0;
}

int pyjson_parse_object(const char *s, size_t n, pyjson_obj *out)
{
    memset(out, 0, sizeof *out);
    reader r = {s, s + n, 0};
    skip_ws(&r);
    if (r.p >= r.end || *r.p != '{' || read_members(&r, out, 1) < 0) {
        pyjson_obj_clear(out);
        return -1;
    }
    skip_ws(&r);
    if (r.p != r.end) {
        pyjson_obj_clear(out);
        return -1;
    }
    return 0;
}

void pyjson_obj_clear(pyjson_obj *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->keys[i]);
        free(o->vals[i]);
    }
    free(o->keys);
    free(o->vals);
    memset(o, 0, sizeof *o);
}

const char *pyjson_balanced_end(const char *p)
{
    size_t depth = 0;
    for (; *p; p++) {
        if (*p == '{') depth++;
        else if (*p == '}' && depth && --depth == 0) return p + 1;
    }
    return NULL;
}

const char *pyjson_object_end(const char *p)
{
    size_t depth = 0;
    int in_str = 0;
    for (; *p; p++) {
        if (in_str) {
            if (*p == '\\' && p[1]) p++;
            else if (*p == '"') in_str = 0;
        } else if (*p == '"') {
            in_str = 1;
        } else if (*p == '{') {
            depth++;
        } else if (*p == '}' && depth && --depth == 0) {
            return p + 1;
        }
    }
    return NULL;
}
