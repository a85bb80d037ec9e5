/* import_jsonl.c: JSONL conversations (see import.h). One object per line,
 * parsed in place with cJSON (no copy of the file), validated field by
 * field; the first error stops the import with "FILE:LINE: field PATH: ...".
 * One convo is reused across lines so its message array is allocated once. */
#define _POSIX_C_SOURCE 200809L
#include "import.h"
#include "../core/util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rejects malformed UTF-8 (overlongs, surrogates, > U+10FFFF) and NUL.
 * Returns the offset of the first bad byte, or n when the text is valid. */
static size_t utf8_bad_at(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c >= 0x01 && c < 0x80) { i++; continue; }
        size_t k;
        unsigned min, cp;
        if (c >= 0xC2 && c <= 0xDF) { k = 1; min = 0x80; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { k = 2; min = 0x800; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { k = 3; min = 0x10000; cp = c & 0x07; }
        else return i;
        if (n - i <= k) return i;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += k + 1;
    }
    return n;
}

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
typedef struct {
    const char *src;
    size_t line;
    char *err;
    long msg;           /* index in messages[] being read, or -1 */
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
 * so one bad field cannot fill the whole error line. */
static int quote_len(const char *s)
{
    size_t n = strlen(s);
    if (n <= 40) return (int)n;
    n = 40;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    return (int)n;
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
    if (util_parse_iso8601(v->valuestring, out) != 0) {
        const char *s = v->valuestring;
        int ok = utf8_bad_at(s, strlen(s)) == strlen(s);
        err_set(w->err, "%s:%zu: field %s: '%.*s' is not an ISO-8601 time "
                "(like 2024-05-01T10:02:03Z)", w->src, w->line,
                path_of(w, "ts", &pb),
                ok ? quote_len(s) : 0, s);
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
        err_set(w->err, "%s:%zu: field %s: '%.*s' is not one of customer, "
                "seller, system", w->src, w->line, path_of(w, "role", &pb),
                quote_len(role_s), role_s);
        return -1;
    }
    if (get_string(w, msg, "text", 0, &text)) return -1;
    convo_add_msg(c, ts, from, role, text);
    return 0;
}

/* Empties c for the next line, keeping its message array. */
static void convo_reset(convo *c)
{
    for (size_t i = 0; i < c->nmsgs; i++) {
        free(c->msgs[i].sender);
        free(c->msgs[i].text);
    }
    c->nmsgs = 0;
    free(c->id);
    free(c->seller_id);
    free(c->meta_json);
    c->id = c->seller_id = c->meta_json = NULL;
}

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
    uint64_t h = util_fnv1a(id, n, FNV_SEED);
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

/* Parses one non-blank line into c. */
static int parse_line(const where *w, const char *s, size_t n, convo *c)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(s, n, &end, 0);
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

int import_jsonl(const char *data, size_t len, const char *src, import_fn fn,
                 void *ctx, char *err)
{
    where w = {src ? src : "(input)", 0, err, -1};
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
        w.line++;
        if (n && s[n - 1] == '\r') n--;
        if (is_blank(s, n)) continue;
        convo_reset(c);
        if (parse_line(&w, s, n, c) != 0) { rc = -1; break; }
        size_t first = id_set_add(&ids, c->id, w.line);
        if (first) {
            err_set(err, "%s:%zu: duplicate id '%.*s' (first on line %zu)",
                    w.src, w.line, quote_len(c->id), c->id, first);
            rc = -1;
            break;
        }
        if (err) err[0] = '\0';
        if (fn && fn(c, ctx, err) != 0) {
            if (err && !err[0])
                err_set(err, "%s:%zu: import stopped", w.src, w.line);
            rc = -1;
        }
    }
    convo_free(c);
    id_set_free(&ids);
    return rc;
}
