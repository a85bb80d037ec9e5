/* import_jsonl.c: JSONL conversations (see import.h). One object per line,
 * parsed in place with cJSON (no copy of the file), validated field by
 * field; the first error stops the import with "FILE:LINE: field PATH: ...".
 * One convo is reused across lines so its message array is allocated once. */
#define _POSIX_C_SOURCE 200809L
#include "import.h"
#include "../core/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *json_type(const cJSON *v)
{
    if (cJSON_IsString(v)) return "string";
    if (cJSON_IsNumber(v)) return "number";
    if (cJSON_IsObject(v)) return "object";
    if (cJSON_IsArray(v)) return "array";
    if (cJSON_IsBool(v)) return "boolean";
    if (cJSON_IsNull(v)) return "null";
    return "invalid value";
}

/* Where we are, for error messages. */
typedef struct fast_scratch fast_scratch;

typedef struct {
    const char *src;
    size_t line;
    char *err;
    long msg;           /* index in messages[] being read, or -1 */
    fast_scratch *fs;   /* buffers of the fast path, reused across lines */
} where;

/* The path of field key for error messages, built only on error (building
 * it for every field of every message was a tenth of the import time). */
typedef struct { char s[80]; } path_buf;

static const char *path_of(const where *w, const char *key, path_buf *b)
{
    if (w->msg < 0) return key;
    if (key) snprintf(b->s, sizeof b->s, "messages[%ld].%s", w->msg, key);
    else snprintf(b->s, sizeof b->s, "messages[%ld]", w->msg);
    return b->s;
}

/* Quotes at most 40 bytes of an offending value, cut on a UTF-8 boundary,
 * so one bad field cannot fill the whole error line. The message goes to a
 * terminal: C0 controls (ESC...), DEL, C1 and bidi controls and invalid
 * bytes appear as \xNN / \uNNNN instead of acting on it. Returns out. */
typedef struct { char s[256]; } quote_buf;

static const char *quote(const char *s, quote_buf *q)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, o = 0;
    while (i < n && o + 8 < sizeof q->s) {
        uint32_t cp;
        int d = utf8_decode(u + i, n - i, &cp);
        size_t k = d ? (size_t)d : 1;
        if (i + k > 40) { memcpy(q->s + o, "...", 3); o += 3; break; }
        if (!d || cp < 0x20 || cp == 0x7F) {
            o += (size_t)snprintf(q->s + o, sizeof q->s - o, "\\x%02x", u[i]);
            i++;
            continue;
        }
        if ((cp >= 0x80 && cp < 0xA0) || (cp >= 0x202A && cp <= 0x202E) ||
            (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029) {
            o += (size_t)snprintf(q->s + o, sizeof q->s - o, "\\u%04x", (unsigned)cp);
        } else {
            memcpy(q->s + o, s + i, k);
            o += k;
        }
        i += k;
    }
    q->s[o] = '\0';
    return q->s;
}

static int bad_type(const where *w, const char *key, const cJSON *v,
                    const char *want)
{
    path_buf pb;
    const char *path = path_of(w, key, &pb);
    if (!v)
        err_set(w->err, "%s:%zu: field %s: missing", w->src, w->line, path);
    else
        err_set(w->err, "%s:%zu: field %s: expected %s, got %s", w->src,
                w->line, path, want, json_type(v));
    return -1;
}

/* A required string field, valid UTF-8; non-empty when nonempty is set. */
static int get_string(const where *w, const cJSON *obj, const char *key,
                      int nonempty, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v) || !v->valuestring)
        return bad_type(w, key, v, "a string");
    size_t n = strlen(v->valuestring);
    size_t bad = utf8_bad_at(v->valuestring, n);
    path_buf pb;
    if (bad < n) {
        err_set(w->err, "%s:%zu: field %s: invalid UTF-8 at byte %zu",
                w->src, w->line, path_of(w, key, &pb), bad + 1);
        return -1;
    }
    if (nonempty && n == 0) {
        err_set(w->err, "%s:%zu: field %s: empty", w->src, w->line,
                path_of(w, key, &pb));
        return -1;
    }
    *out = v->valuestring;
    return 0;
}

/* id: a non-empty string, or an integer (kept exact: doubles hold integers
 * up to 2^53 exactly, beyond that the id would silently change). */
static int get_id(const where *w, const cJSON *root, char *buf, size_t bufsz,
                  const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d) || d != floor(d) || fabs(d) >= 9007199254740992.0) {
            err_set(w->err, "%s:%zu: field id: number %g is not an exact "
                    "integer; write the id as a string", w->src, w->line, d);
            return -1;
        }
        snprintf(buf, bufsz, "%.0f", d);
        *out = buf;
        return 0;
    }
    if (!cJSON_IsString(v)) return bad_type(w, "id", v, "a string or an integer");
    return get_string(w, root, "id", 1, out);
}

/* ts: ISO-8601 text or epoch seconds. Years 1..9999 only: a value past
 * that is almost always milliseconds, which we say. */
static int get_ts(const where *w, const cJSON *msg, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, "ts");
    path_buf pb;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d) || d < -62135596800.0 || d > 253402300799.0) {
            err_set(w->err, "%s:%zu: field %s: %g is out of range for epoch "
                    "seconds%s", w->src, w->line, path_of(w, "ts", &pb), d,
                    d > 253402300799.0 ? " (milliseconds?)" : "");
            return -1;
        }
        *out = (int64_t)floor(d);
        return 0;
    }
    if (!cJSON_IsString(v) || !v->valuestring)
        return bad_type(w, "ts", v, "an ISO-8601 string or epoch seconds");
    if (date_parse_iso8601(v->valuestring, out) != 0) {
        quote_buf q;
        err_set(w->err, "%s:%zu: field %s: '%s' is not an ISO-8601 time "
                "(like 2024-05-01T10:02:03Z)", w->src, w->line,
                path_of(w, "ts", &pb), quote(v->valuestring, &q));
        return -1;
    }
    if (*out < -62135596800LL || *out > 253402300799LL) {  /* "0000-..." */
        quote_buf q;
        err_set(w->err, "%s:%zu: field %s: '%s' is out of range (years "
                "1..9999)", w->src, w->line, path_of(w, "ts", &pb),
                quote(v->valuestring, &q));
        return -1;
    }
    return 0;
}

static int add_message(const where *w0, convo *c, const cJSON *msg, size_t i)
{
    where mw = *w0, *w = &mw;
    mw.msg = (long)i;
    if (!cJSON_IsObject(msg)) return bad_type(w, NULL, msg, "an object");
    int64_t ts;
    const char *from, *role_s, *text;
    msg_role role;
    if (get_ts(w, msg, &ts)) return -1;
    if (get_string(w, msg, "from", 0, &from)) return -1;
    if (get_string(w, msg, "role", 0, &role_s)) return -1;
    if (convo_role_parse(role_s, &role) != 0) {
        path_buf pb;
        quote_buf q;
        err_set(w->err, "%s:%zu: field %s: '%s' is not one of customer, "
                "seller, system", w->src, w->line, path_of(w, "role", &pb),
                quote(role_s, &q));
        return -1;
    }
    if (get_string(w, msg, "text", 0, &text)) return -1;
    convo_add_msg(c, ts, from, role, text);
    return 0;
}

/* Empties c for the next line, keeping its message array. */
/* Fills c from one parsed line. */
static int fill_convo(const where *w, const cJSON *root, convo *c)
{
    if (!cJSON_IsObject(root)) {
        err_set(w->err, "%s:%zu: expected a JSON object, got %s", w->src,
                w->line, json_type(root));
        return -1;
    }
    char idbuf[32];
    const char *id, *seller;
    if (get_id(w, root, idbuf, sizeof idbuf, &id)) return -1;
    if (get_string(w, root, "seller_id", 1, &seller)) return -1;
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(root, "messages");
    if (!cJSON_IsArray(msgs)) return bad_type(w, "messages", msgs, "an array");
    if (!msgs->child) {
        err_set(w->err, "%s:%zu: field messages: empty (a conversation needs "
                "at least one message)", w->src, w->line);
        return -1;
    }
    c->id = xstrdup(id);
    c->seller_id = xstrdup(seller);
    size_t i = 0;
    for (const cJSON *m = msgs->child; m; m = m->next, i++)
        if (add_message(w, c, m, i)) return -1;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "meta");
    if (meta && !cJSON_IsNull(meta)) {
        if (!cJSON_IsObject(meta)) return bad_type(w, "meta", meta, "an object");
        char *s = cJSON_PrintUnformatted(meta);
        if (!s) {
            err_set(w->err, "%s:%zu: field meta: cannot print", w->src, w->line);
            return -1;
        }
        size_t n = strlen(s);
        if (utf8_bad_at(s, n) < n) {
            cJSON_free(s);
            err_set(w->err, "%s:%zu: field meta: invalid UTF-8", w->src,
                    w->line);
            return -1;
        }
        c->meta_json = xstrdup(s);   /* ours to free() whatever cJSON's hooks */
        cJSON_free(s);
    }
    return 0;
}

/* Ids seen so far, to catch a duplicate within the file: open addressing
 * over one string arena (no allocation per conversation). */
typedef struct {
    uint64_t h;
    size_t off, line;   /* line 0: empty slot */
} id_slot;

typedef struct {
    id_slot *slots;
    size_t cap, n;
    sbuf arena;
} id_set;

static void id_set_free(id_set *s)
{
    free(s->slots);
    sbuf_free(&s->arena);
}

/* Inserts id seen on line; returns 0, or the earlier line of a duplicate. */
static size_t id_set_add(id_set *s, const char *id, size_t line)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 1024;
        id_slot *ns = xcalloc(ncap, sizeof *ns);
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slots[i].line) continue;
            size_t j = s->slots[i].h & (ncap - 1);
            while (ns[j].line) j = (j + 1) & (ncap - 1);
            ns[j] = s->slots[i];
        }
        free(s->slots);
        s->slots = ns;
        s->cap = ncap;
    }
    size_t n = strlen(id);
    uint64_t h = hash_fnv1a(id, n, HASH_FNV_SEED);
    size_t j = h & (s->cap - 1);
    for (; s->slots[j].line; j = (j + 1) & (s->cap - 1))
        if (s->slots[j].h == h && strcmp(s->arena.s + s->slots[j].off, id) == 0)
            return s->slots[j].line;
    s->slots[j].h = h;
    s->slots[j].off = s->arena.len;
    s->slots[j].line = line;
    sbuf_addn(&s->arena, id, n + 1);   /* keeps the NUL: ids end-to-end */
    s->n++;
    return 0;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

/* ---- fast path ----
 * Most lines are well formed. fast_line reads such a line in one pass
 * without building a cJSON tree (no allocation per value, no key search):
 * strict JSON only, the fields of the happy path with the right types. On
 * anything else (a syntax error, a surprising type, an escape it does not
 * handle, a duplicate key, a value the checks reject) it gives up and the
 * cJSON path below reads the line again and words the error, so the
 * result of an import, errors included, is the same as with cJSON alone
 * (build with -DIMPORT_JSONL_NO_FAST to compare). A quarter of the import
 * time went to cJSON's allocations and key lookups. */

typedef struct {
    int64_t ts;
    size_t from, text;      /* offsets into the arena */
    msg_role role;
} fast_msg;

struct fast_scratch {
    sbuf arena;             /* decoded strings, each NUL-terminated */
    fast_msg *msgs;
    size_t nmsgs, cap;
    int borrowed;           /* the reused convo's message strings point
                               into arena (not owned) */
};

/* Empties the reused convo for the next line. Read by the fast path, its
 * message strings point into the scratch arena (valid until the next
 * line: the import_fn contract): two allocations a message fewer. */
static void convo_reset(convo *c, fast_scratch *fs)
{
    for (size_t i = 0; !fs->borrowed && i < c->nmsgs; i++) {
        free(c->msgs[i].sender);
        free(c->msgs[i].text);
    }
    fs->borrowed = 0;
    c->nmsgs = 0;
    free(c->id);
    free(c->seller_id);
    free(c->meta_json);
    c->id = c->seller_id = c->meta_json = NULL;
}

typedef struct {
    const char *p, *e;
    fast_scratch *fs;
    int depth;
} fcur;

static void fast_scratch_free(fast_scratch *fs)
{
    sbuf_free(&fs->arena);
    free(fs->msgs);
}

static int f_ws(fcur *k)
{
    while (k->p < k->e && (*k->p == ' ' || *k->p == '\t' || *k->p == '\r' ||
                           *k->p == '\n'))
        k->p++;
    return k->p < k->e;
}

static int f_hex4(fcur *k, unsigned *out)
{
    if (k->e - k->p < 4) return 0;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = k->p[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9') v |= (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f') v |= (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F') v |= (unsigned)(ch - 'A' + 10);
        else return 0;
    }
    k->p += 4;
    *out = v;
    return 1;
}

static int f_str(fcur *k, size_t *off, size_t *len);

/* ---- strict checks ----
 * What cJSON lets through and would store wrongly: a NUL (raw, or \u0000,
 * which cJSON decodes and which then cuts the string: "refund of 500\u0000
 * EUR" would be stored as "refund of 500", and ids "n2\u0000x" and
 * "n2\u0000y" would collide), a \u escape that is no character (a lone
 * UTF-16 surrogate), and a key given twice in one object (cJSON keeps the
 * first, silently). Run on the lines the fast path hands to cJSON and on
 * meta objects; a line with a syntax error is left to cJSON's message. */

typedef struct {
    size_t obj;           /* which object (numbered in order of opening) */
    size_t off, len;      /* the decoded key in the scratch arena */
    const char *text;     /* = arena + off, once the arena stops moving */
    size_t col;           /* where it starts, 1-based */
} strict_key;

static int key_cmp(const void *a, const void *b)
{
    const strict_key *x = a, *y = b;
    if (x->obj != y->obj) return x->obj < y->obj ? -1 : 1;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    int c = memcmp(x->text, y->text, x->len);
    if (c) return c;
    return x->col < y->col ? -1 : x->col > y->col;
}

/* Checks the string at s[*i] (a '"') and moves *i past it. 0, or -1
 * with err filled. */
static int strict_str(const where *w, const char *s, size_t n, size_t *i,
                      size_t base_col)
{
    size_t j = *i + 1;
    while (j < n && s[j] != '"') {
        if (s[j] == '\\' && j + 1 < n) {
            if (s[j + 1] != 'u') {
                j += 2;
                continue;
            }
            fcur k = {s + j + 2, s + n, NULL, 0};
            unsigned cp, lo = 0;
            size_t col = base_col + j + 1;
            if (!f_hex4(&k, &cp)) {
                err_set(w->err, "%s:%zu: column %zu: invalid escape: \\u "
                        "needs four hex digits", w->src, w->line, col);
                return -1;
            }
            if (cp == 0) {
                err_set(w->err, "%s:%zu: column %zu: \\u0000 (NUL) in a "
                        "string: not allowed (it would cut the text there)",
                        w->src, w->line, col);
                return -1;
            }
            int hi = cp >= 0xD800 && cp <= 0xDBFF;
            if (hi && k.e - k.p >= 6 && k.p[0] == '\\' && k.p[1] == 'u') {
                k.p += 2;
                if (!f_hex4(&k, &lo)) lo = 0;
            }
            if ((cp >= 0xDC00 && cp <= 0xDFFF) ||
                (hi && (lo < 0xDC00 || lo > 0xDFFF))) {
                err_set(w->err, "%s:%zu: column %zu: invalid escape \\u%04X "
                        "(a lone UTF-16 surrogate: not a character)", w->src,
                        w->line, col, cp);
                return -1;
            }
            j = (size_t)(k.p - s);
            continue;
        }
        if (s[j] == '\0') {
            err_set(w->err, "%s:%zu: column %zu: NUL byte in a string: not "
                    "allowed (it would cut the text there)", w->src, w->line,
                    base_col + j + 1);
            return -1;
        }
        j++;
    }
    *i = j < n ? j + 1 : n;
    return 0;
}

static int strict_check(const where *w, const char *s, size_t n,
                        size_t base_col)
{
    fast_scratch ks = {0};     /* decoded keys */
    strict_key *keys = NULL;
    size_t nkeys = 0, kcap = 0;
    size_t *stack = NULL, depth = 0, scap = 0, nobj = 0;
    unsigned char *is_obj = NULL;
    int want_key = 0, rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        char ch = s[i];
        if (ch == '"') {
            size_t start = i;
            rc = strict_str(w, s, n, &i, base_col);
            if (rc == 0 && depth && is_obj[depth - 1] && want_key) {
                /* Decoded as cJSON would ("a" and "\u0061" are one key);
                 * a key f_str refuses (a raw control byte) is kept as is. */
                fcur k = {s + start, s + n, &ks, 0};
                size_t off, len;
                if (!f_str(&k, &off, &len)) {
                    off = ks.arena.len;
                    len = i - start;
                    sbuf_addn(&ks.arena, s + start, len);
                    ks.arena.len++;
                }
                if (nkeys == kcap)
                    keys = xrealloc(keys, (kcap = kcap ? 2 * kcap : 16) * sizeof *keys);
                keys[nkeys++] = (strict_key){stack[depth - 1], off, len, NULL,
                                             base_col + start + 1};
                want_key = 0;
            }
            continue;
        }
        if (ch == '\0') {
            err_set(w->err, "%s:%zu: column %zu: NUL byte: not allowed",
                    w->src, w->line, base_col + i + 1);
            rc = -1;
        } else if (ch == '{' || ch == '[') {
            if (depth == scap) {
                scap = scap ? 2 * scap : 16;
                stack = xrealloc(stack, scap * sizeof *stack);
                is_obj = xrealloc(is_obj, scap);
            }
            is_obj[depth] = ch == '{';
            stack[depth++] = nobj++;
            want_key = ch == '{';
        } else if (ch == '}' || ch == ']') {
            if (depth) depth--;
            want_key = 0;
        } else if (ch == ',') {
            want_key = depth && is_obj[depth - 1];
        }
        i++;
    }
    for (size_t k = 0; k < nkeys; k++) keys[k].text = ks.arena.s + keys[k].off;
    if (rc == 0 && nkeys > 1) {
        qsort(keys, nkeys, sizeof *keys, key_cmp);
        for (size_t k = 1; k < nkeys; k++) {
            const strict_key *a = &keys[k - 1], *b = &keys[k];
            if (a->obj != b->obj || a->len != b->len ||
                memcmp(a->text, b->text, a->len))
                continue;
            quote_buf q;
            err_set(w->err, "%s:%zu: duplicate key \"%s\" in one object "
                    "(columns %zu and %zu)", w->src, w->line,
                    quote(a->text, &q), a->col, b->col);
            rc = -1;
            break;
        }
    }
    free(stack);
    free(is_obj);
    free(keys);
    fast_scratch_free(&ks);
    return rc;
}

/* Decodes the string at k->p into the arena: *off its start, *len its
 * length (the NUL after it not counted). */
static int f_str(fcur *k, size_t *off, size_t *len)
{
    if (k->p >= k->e || *k->p != '"') return 0;
    k->p++;
    sbuf *a = &k->fs->arena;
    *off = a->len;
    const char *run = k->p;
    for (;;) {
        if (k->p >= k->e) return 0;
        unsigned char ch = (unsigned char)*k->p;
        if (ch == '"') break;
        if (ch < 0x20) return 0;
        if (ch != '\\') { k->p++; continue; }
        if (k->p > run) sbuf_addn(a, run, (size_t)(k->p - run));
        if (++k->p >= k->e) return 0;
        char e = *k->p++;
        switch (e) {
        case '"': case '\\': case '/': sbuf_addc(a, e); break;
        case 'b': sbuf_addc(a, '\b'); break;
        case 'f': sbuf_addc(a, '\f'); break;
        case 'n': sbuf_addc(a, '\n'); break;
        case 'r': sbuf_addc(a, '\r'); break;
        case 't': sbuf_addc(a, '\t'); break;
        case 'u': {
            unsigned cp, lo;
            if (!f_hex4(k, &cp) || cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
                return 0;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (k->e - k->p < 6 || k->p[0] != '\\' || k->p[1] != 'u') return 0;
                k->p += 2;
                if (!f_hex4(k, &lo) || lo < 0xDC00 || lo > 0xDFFF) return 0;
                cp = 0x10000 + (((cp & 0x3FF) << 10) | (lo & 0x3FF));
            }
            char u[4];
            size_t n;
            if (cp < 0x80) { u[0] = (char)cp; n = 1; }
            else if (cp < 0x800) {
                u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 0x3F)); n = 2;
            } else if (cp < 0x10000) {
                u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
            } else {
                u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F));
                n = 4;
            }
            sbuf_addn(a, u, n);
            break;
        }
        default: return 0;
        }
        run = k->p;
    }
    sbuf_addn(a, run, (size_t)(k->p - run));   /* also NUL-terminates */
    k->p++;
    *len = a->len - *off;
    a->len++;   /* keep the NUL: strings end to end */
    return 1;
}

/* A strict JSON number (cJSON reads the same text with strtod). */
static int f_num(fcur *k, double *v)
{
    const char *s = k->p;
#define DIGITS(min)                                                        \
    do {                                                                   \
        const char *d0_ = k->p;                                            \
        while (k->p < k->e && *k->p >= '0' && *k->p <= '9') k->p++;        \
        if (k->p - d0_ < (min)) return 0;                                  \
    } while (0)
    if (k->p < k->e && *k->p == '-') k->p++;
    if (k->p < k->e && *k->p == '0') k->p++;
    else DIGITS(1);
    if (k->p < k->e && *k->p == '.') { k->p++; DIGITS(1); }
    if (k->p < k->e && (*k->p == 'e' || *k->p == 'E')) {
        k->p++;
        if (k->p < k->e && (*k->p == '+' || *k->p == '-')) k->p++;
        DIGITS(1);
    }
#undef DIGITS
    size_t n = (size_t)(k->p - s);
    char buf[64];
    if (n >= sizeof buf) return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (v) *v = strtod(buf, NULL);
    return 1;
}

static int f_lit(fcur *k, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(k->e - k->p) < n || memcmp(k->p, w, n)) return 0;
    k->p += n;
    return 1;
}

/* Skips any value, checking its syntax. */
static int f_skip(fcur *k)
{
    if (k->p >= k->e) return 0;
    char ch = *k->p;
    if (ch == '"') {
        size_t off, len;
        if (!f_str(k, &off, &len)) return 0;
        k->fs->arena.len = off;
        return 1;
    }
    if (ch == '-' || (ch >= '0' && ch <= '9')) return f_num(k, NULL);
    if (ch == 't') return f_lit(k, "true");
    if (ch == 'f') return f_lit(k, "false");
    if (ch == 'n') return f_lit(k, "null");
    if (ch != '{' && ch != '[') return 0;
    if (++k->depth > 64) return 0;
    char close = ch == '{' ? '}' : ']';
    k->p++;
    if (!f_ws(k)) return 0;
    if (*k->p == close) { k->p++; k->depth--; return 1; }
    for (;;) {
        if (close == '}') {
            size_t off, len;
            if (!f_str(k, &off, &len)) return 0;
            k->fs->arena.len = off;
            if (!f_ws(k) || *k->p != ':') return 0;
            k->p++;
            if (!f_ws(k)) return 0;
        }
        if (!f_skip(k) || !f_ws(k)) return 0;
        if (*k->p == ',') { k->p++; if (!f_ws(k)) return 0; continue; }
        if (*k->p != close) return 0;
        k->p++;
        k->depth--;
        return 1;
    }
}

/* Reads "key": and says which of names it is (index+1), 0 for another. */
static int f_key(fcur *k, const char *const *names)
{
    size_t off, len;
    if (!f_str(k, &off, &len)) return -1;
    const char *key = k->fs->arena.s + off;
    int which = 0;
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == len && !memcmp(key, names[i], len)) which = i + 1;
    k->fs->arena.len = off;
    if (!f_ws(k) || *k->p != ':') return -1;
    k->p++;
    if (!f_ws(k)) return -1;
    return which;
}

/* After a member: ',' (1, more follow), the closing char (0) or bad (-1). */
static int f_next(fcur *k, char close)
{
    if (!f_ws(k)) return -1;
    if (*k->p == close) { k->p++; return 0; }
    if (*k->p != ',') return -1;
    k->p++;
    return f_ws(k) ? 1 : -1;
}

static int f_message(fcur *k)
{
    static const char *const names[] = {"ts", "from", "role", "text", NULL};
    fast_scratch *fs = k->fs;
    fast_msg m;
    int seen = 0;
    if (*k->p != '{') return 0;
    k->p++;
    if (!f_ws(k) || *k->p == '}') return 0;
    for (int more = 1; more;) {
        int which = f_key(k, names);
        if (which < 0 || (which && (seen & 1 << which))) return 0;
        seen |= which ? 1 << which : 0;
        size_t off, len;
        switch (which) {
        case 1:
            if (*k->p == '"') {
                if (!f_str(k, &off, &len) ||
                    date_parse_iso8601(fs->arena.s + off, &m.ts) != 0 ||
                    m.ts < -62135596800LL || m.ts > 253402300799LL)
                    return 0;
                fs->arena.len = off;
            } else {
                double d;
                if (!f_num(k, &d) || !isfinite(d) || d < -62135596800.0 ||
                    d > 253402300799.0)
                    return 0;
                m.ts = (int64_t)floor(d);
            }
            break;
        case 2:
            if (!f_str(k, &m.from, &len) ||
                utf8_bad_at(fs->arena.s + m.from, len) < len)
                return 0;
            break;
        case 3:
            if (!f_str(k, &off, &len) ||
                convo_role_parse(fs->arena.s + off, &m.role) != 0)
                return 0;
            fs->arena.len = off;
            break;
        case 4:
            if (!f_str(k, &m.text, &len) ||
                utf8_bad_at(fs->arena.s + m.text, len) < len)
                return 0;
            break;
        default:
            return 0;   /* another key: cJSON's path checks it is not a
                           duplicate (strict_check) */
        }
        if ((more = f_next(k, '}')) < 0) return 0;
    }
    if (seen != (1 << 1 | 1 << 2 | 1 << 3 | 1 << 4)) return 0;
    if (fs->nmsgs == fs->cap) {
        fs->cap = fs->cap ? fs->cap * 2 : 64;
        fs->msgs = xrealloc(fs->msgs, fs->cap * sizeof *fs->msgs);
    }
    fs->msgs[fs->nmsgs++] = m;
    return 1;
}

/* 1: c holds the line's conversation; 0: let the cJSON path decide. */
static int fast_line(const char *s, size_t n, convo *c, fast_scratch *fs)
{
    static const char *const names[] = {"id", "seller_id", "messages", "meta",
                                        NULL};
    fcur k = {s, s + n, fs, 0};
    fs->arena.len = 0;
    fs->nmsgs = 0;
    size_t id = 0, id_len = 0, seller = 0, seller_len = 0;
    const char *meta = NULL, *meta_end = NULL;
    int seen = 0;
    if (!f_ws(&k) || *k.p != '{') return 0;
    k.p++;
    if (!f_ws(&k) || *k.p == '}') return 0;
    for (int more = 1; more;) {
        int which = f_key(&k, names);
        if (which < 0 || (which && (seen & 1 << which))) return 0;
        seen |= which ? 1 << which : 0;
        switch (which) {
        case 1:
            if (!f_str(&k, &id, &id_len) || id_len == 0) return 0;
            break;
        case 2:
            if (!f_str(&k, &seller, &seller_len) || seller_len == 0) return 0;
            break;
        case 3:
            if (*k.p != '[') return 0;
            k.p++;
            if (!f_ws(&k) || *k.p == ']') return 0;
            for (int m = 1; m;)
                if (!f_message(&k) || (m = f_next(&k, ']')) < 0) return 0;
            break;
        case 4:
            meta = k.p;
            if (!f_skip(&k)) return 0;
            meta_end = k.p;
            break;
        default:
            return 0;   /* as in f_message */
        }
        if ((more = f_next(&k, '}')) < 0) return 0;
    }
    while (k.p < k.e && (*k.p == ' ' || *k.p == '\t' || *k.p == '\r')) k.p++;
    const int required = 1 << 1 | 1 << 2 | 1 << 3;   /* meta is optional */
    if (k.p != k.e || (seen & required) != required) return 0;
    const char *a = fs->arena.s;
    if (utf8_bad_at(a + id, id_len) < id_len ||
        utf8_bad_at(a + seller, seller_len) < seller_len)
        return 0;
    char *meta_json = NULL;
    if (meta && *meta != 'n') {
        char e[ERR_MAX];
        where mw = {"", 0, e, -1, NULL};
        if (*meta != '{' || strict_check(&mw, meta, (size_t)(meta_end - meta), 0) < 0)
            return 0;
        cJSON *mo = cJSON_ParseWithLength(meta, (size_t)(meta_end - meta));
        char *t = mo ? cJSON_PrintUnformatted(mo) : NULL;
        cJSON_Delete(mo);
        if (!t) return 0;
        size_t tn = strlen(t);
        if (utf8_bad_at(t, tn) < tn) { cJSON_free(t); return 0; }
        meta_json = xstrdup(t);
        cJSON_free(t);
    }
    c->id = xstrdup(a + id);
    c->seller_id = xstrdup(a + seller);
    c->meta_json = meta_json;
    if (c->cap < fs->nmsgs) {
        c->cap = fs->nmsgs;
        c->msgs = xrealloc(c->msgs, c->cap * sizeof *c->msgs);
    }
    for (size_t i = 0; i < fs->nmsgs; i++) {
        const fast_msg *m = &fs->msgs[i];
        convo_msg *cm = &c->msgs[i];
        cm->ts = m->ts;
        cm->sender = (char *)(a + m->from);
        cm->role = m->role;
        cm->text = (char *)(a + m->text);
    }
    c->nmsgs = fs->nmsgs;
    fs->borrowed = 1;
    return 1;
}

/* Parses one non-blank line into c. */
static int parse_line(const where *w, const char *s, size_t n, convo *c)
{
#ifndef IMPORT_JSONL_NO_FAST
    if (fast_line(s, n, c, w->fs)) return 0;
#endif
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(s, n, &end, 0);
    /* A NUL or a bad \u escape is named even where cJSON fails on it. */
    if (strict_check(w, s, n, 0) < 0) {
        cJSON_Delete(root);
        return -1;
    }
    if (!root) {
        size_t col = end && end >= s && end <= s + n ? (size_t)(end - s) + 1 : 1;
        err_set(w->err, "%s:%zu: invalid JSON at column %zu", w->src, w->line,
                col);
        return -1;
    }
    /* cJSON stops after the first value: anything but spaces is garbage. */
    size_t used = (size_t)(end - s);
    if (!is_blank(end, n - used)) {
        while (end[0] == ' ' || end[0] == '\t') end++;
        err_set(w->err, "%s:%zu: invalid JSON at column %zu (text after the "
                "object)", w->src, w->line, (size_t)(end - s) + 1);
        cJSON_Delete(root);
        return -1;
    }
    int rc = fill_convo(w, root, c);
    cJSON_Delete(root);
    return rc;
}

/* One line of a file (n bytes at s, no '\n'): 1 with the conversation in
 * c, 0 for a blank line, -1 + w->err. */
static int jsonl_line(where *w, id_set *ids, const char *s, size_t n,
                      convo *c)
{
    w->line++;
    if (n && s[n - 1] == '\r') n--;
    if (is_blank(s, n)) return 0;
    convo_reset(c, w->fs);
    if (parse_line(w, s, n, c) != 0) return -1;
    size_t first = id_set_add(ids, c->id, w->line);
    if (first) {
        quote_buf q;
        err_set(w->err, "%s:%zu: duplicate id '%s' (first on line %zu)",
                w->src, w->line, quote(c->id, &q), first);
        return -1;
    }
    return 1;
}

int import_jsonl(const char *data, size_t len, const char *src, import_fn fn,
                 void *ctx, char *err)
{
    fast_scratch fs = {0};
    where w = {src ? src : "(input)", 0, err, -1, &fs};
    id_set ids = {0};
    convo *c = convo_new(NULL, NULL);
    int rc = 0;
    size_t pos = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) pos = 3;
    while (pos < len && rc == 0) {
        const char *s = data + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        int got = jsonl_line(&w, &ids, s, n, c);
        if (got < 0) { rc = -1; break; }
        if (!got) continue;
        if (err) err[0] = '\0';
        if (fn && fn(c, ctx, err) != 0) {
            if (err && !err[0])
                err_set(err, "%s:%zu: import stopped", w.src, w.line);
            rc = -1;
        }
    }
    convo_reset(c, &fs);
    convo_free(c);
    id_set_free(&ids);
    fast_scratch_free(&fs);
    return rc;
}

/* ---- streaming ---- */

struct import_jsonl_reader {
    FILE *f;
    char *src;
    char *buf;              /* [start, len) not yet consumed */
    size_t cap, len, start;
    int eof, bom_checked;
    fast_scratch fs;
    where w;
    id_set ids;
    convo *c;
};

#define READ_CHUNK ((size_t)1 << 20)

import_jsonl_reader *import_jsonl_open(const char *path, char *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    import_jsonl_reader *r = xcalloc(1, sizeof *r);
    r->f = f;
    r->src = xstrdup(path);
    r->cap = READ_CHUNK;
    r->buf = xmalloc(r->cap);
    r->c = convo_new(NULL, NULL);
    r->w.src = r->src;
    r->w.msg = -1;
    r->w.fs = &r->fs;
    return r;
}

/* Reads more of the file: 0, or -1 + err (read error, or the line being
 * read is longer than IMPORT_LINE_MAX). */
static int reader_fill(import_jsonl_reader *r, char *err)
{
    if (r->start) {
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
    }
    if (r->len > IMPORT_LINE_MAX) {    /* all of it one unfinished line */
        err_set(err, "%s:%zu: line longer than %zu MiB (a conversation "
                "that big is refused)", r->src, r->w.line + 1,
                IMPORT_LINE_MAX >> 20);
        return -1;
    }
    if (r->cap - r->len < READ_CHUNK / 2) {
        r->cap *= 2;
        r->buf = xrealloc(r->buf, r->cap);
    }
    size_t got = fread(r->buf + r->len, 1, r->cap - r->len, r->f);
    r->len += got;
    if (got == 0) {
        if (ferror(r->f)) {
            err_set(err, "%s: read error: %s", r->src, strerror(errno));
            return -1;
        }
        r->eof = 1;
    }
    if (!r->bom_checked && (r->len >= 3 || r->eof)) {
        r->bom_checked = 1;
        if (r->len >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
            r->start = 3;
    }
    return 0;
}

int import_jsonl_next(import_jsonl_reader *r, const convo **c, char *err)
{
    r->w.err = err;
    for (;;) {
        char *s = r->buf + r->start;
        size_t avail = r->len - r->start;
        char *nl = r->bom_checked ? memchr(s, '\n', avail) : NULL;
        size_t n;
        if (nl) {
            n = (size_t)(nl - s);
            r->start += n + 1;
        } else if (r->eof) {
            if (!avail) return 0;
            n = avail;
            r->start = r->len;
        } else {
            if (reader_fill(r, err) < 0) return -1;
            continue;
        }
        int got = jsonl_line(&r->w, &r->ids, s, n, r->c);
        if (got < 0) return -1;
        if (got) {
            *c = r->c;
            return 1;
        }
    }
}

size_t import_jsonl_line(const import_jsonl_reader *r) { return r->w.line; }

void import_jsonl_close(import_jsonl_reader *r)
{
    if (!r) return;
    fclose(r->f);
    free(r->src);
    free(r->buf);
    convo_reset(r->c, &r->fs);
    convo_free(r->c);
    id_set_free(&r->ids);
    fast_scratch_free(&r->fs);
    free(r);
}
