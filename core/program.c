/* program.c: see program.h.
 *
 * The state JSON is written byte for byte as the chosen DSPy release's
 * Module.save() writes it (r->dspy.version, core/dspy.h): 2.6.27 writes
 * `ujson.dumps(state, indent=2, ensure_ascii=False)` (dspy/primitives/
 * module.py), 3.3 `orjson.dumps(state, OPT_INDENT_2 | OPT_APPEND_NEWLINE)`
 * (dspy/primitives/base_module.py). Both are Python's json.dumps(indent=2,
 * ensure_ascii=False) layout (2-space indent, "," line ends, ": " after
 * keys, "[]"/"{}" when empty, non-ASCII kept as UTF-8, \" \\ \n \r \t \b \f
 * and \u00XX for the other control characters); ujson also escapes "/" as
 * "\/" and writes no trailing newline, orjson ends with one. Golden files
 * captured from the release trees: tests/fixtures/dspy/. A small JSON parser (own, not cJSON, so numbers keep
 * their source text: Python's str() tells 8 from 8.0) reads states written
 * by DSPy 2.6 / 3.x (json, ujson or orjson) or by curate. */
#define _POSIX_C_SOURCE 200809L
#include "program.h"
#include "dspy.h"
#include "pyjson.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REASONING_NAME "reasoning"
#define REASONING_DESC "${reasoning}"
#define DEP_PYTHON "3.11"
#define DEP_CLOUDPICKLE "3.1"
#define MAX_DEPTH 128

/* ------------------------------------------------------------ programs */

program *program_new(void)
{
    return xcalloc(1, sizeof(program));
}

void demo_clear(demo *d)
{
    if (!d) return;
    for (int i = 0; i < RUBRIC_MAX_FIELDS; i++) free(d->values[i]);
    free(d->reasoning);
    free(d->conv_id);
    free(d->src);
    memset(d, 0, sizeof *d);
}

void program_free(program *pg)
{
    if (!pg) return;
    for (size_t i = 0; i < pg->ndemos; i++) demo_clear(&pg->demos[i]);
    free(pg->demos);
    free(pg->warnings);
    free(pg);
}

void program_add_demo(program *pg, const demo *d)
{
    if (pg->ndemos == pg->cap) {
        pg->cap = pg->cap ? pg->cap * 2 : 8;
        pg->demos = xrealloc(pg->demos, pg->cap * sizeof *pg->demos);
    }
    demo *n = &pg->demos[pg->ndemos++];
    memset(n, 0, sizeof *n);
    for (int i = 0; i < RUBRIC_MAX_FIELDS; i++)
        n->values[i] = xstrdup(d->values[i]);
    n->reasoning = xstrdup(d->reasoning);
    n->augmented = d->augmented;
    n->conv_id = xstrdup(d->conv_id);
    n->src = xstrdup(d->src);
}

/* ------------------------------------------------------- JSON values */

typedef enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval jval;
struct jval {
    jtype t;
    char *key;          /* member name when inside an object */
    size_t klen;
    char *s;            /* J_STR: decoded UTF-8 (may hold NULs); J_NUM: token */
    size_t slen;
    jval *kids;         /* J_ARR items, J_OBJ members in order */
    size_t n, cap;
};

static void jval_clear(jval *v)
{
    for (size_t i = 0; i < v->n; i++) jval_clear(&v->kids[i]);
    free(v->kids);
    free(v->key);
    free(v->s);
    memset(v, 0, sizeof *v);
}

/* Appends a child (key may be NULL in arrays). The pointer stays valid
 * until the next child is added to the same parent. */
static jval *jadd(jval *parent, const char *key, jtype t)
{
    if (parent->n == parent->cap) {
        parent->cap = parent->cap ? parent->cap * 2 : 4;
        parent->kids = xrealloc(parent->kids, parent->cap * sizeof(jval));
    }
    jval *k = &parent->kids[parent->n++];
    memset(k, 0, sizeof *k);
    k->t = t;
    if (key) {
        k->klen = strlen(key);
        k->key = xstrndup(key, k->klen);
    }
    return k;
}

static void jadd_str(jval *parent, const char *key, const char *s)
{
    jval *k = jadd(parent, key, J_STR);
    k->slen = strlen(s);
    k->s = xstrndup(s, k->slen);
}

/* The last member named key (Python's json keeps the last duplicate). */
static const jval *jget(const jval *obj, const char *key)
{
    if (!obj || obj->t != J_OBJ) return NULL;
    size_t kl = strlen(key);
    for (size_t i = obj->n; i-- > 0;)
        if (obj->kids[i].klen == kl && memcmp(obj->kids[i].key, key, kl) == 0)
            return &obj->kids[i];
    return NULL;
}

static const char *jtype_name(jtype t)
{
    switch (t) {
    case J_NULL: return "null";
    case J_FALSE: case J_TRUE: return "a boolean";
    case J_NUM: return "a number";
    case J_STR: return "a string";
    case J_ARR: return "an array";
    default: return "an object";
    }
}

/* -------------------------------------------------------------- UTF-8 */

/* Length (1-4) of the valid UTF-8 sequence at s (n bytes left), or 0. */
static int utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    int len;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
    else return 0;
    if ((size_t)len > n) return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static void utf8_put(sbuf *b, unsigned cp)
{
    char o[4];
    if (cp < 0x80) {
        sbuf_addc(b, (char)cp);
    } else if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        sbuf_addn(b, o, 2);
    } else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        sbuf_addn(b, o, 3);
    } else {
        o[0] = (char)(0xf0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[3] = (char)(0x80 | (cp & 0x3f));
        sbuf_addn(b, o, 4);
    }
}

/* A short, terminal-safe rendering of untrusted text for error messages:
 * ASCII printable kept, anything else as \xNN, cut at 60 bytes. */
static const char *show(const char *s, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 8 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= 60) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7f) out[o++] = (char)c;
        else o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
    }
    out[o] = '\0';
    return out;
}

/* ------------------------------------------------------------- parser */

typedef struct {
    const char *start, *p, *end;
    char *err;
    int failed;
} jparser;

static void jp_fail(jparser *jp, const char *what)
{
    if (jp->failed) return;
    jp->failed = 1;
    int line = 1, col = 1;
    for (const char *q = jp->start; q < jp->p && q < jp->end; q++) {
        if (*q == '\n') { line++; col = 1; }
        else col++;
    }
    err_set(jp->err, "not valid JSON: line %d column %d: %s", line, col, what);
}

static void jp_ws(jparser *jp)
{
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
                               *jp->p == '\n' || *jp->p == '\r'))
        jp->p++;
}

/* Parses a string at jp->p (on the opening quote) into *out / *outlen. */
static int jp_string(jparser *jp, char **out, size_t *outlen)
{
    sbuf b = {0};
    jp->p++;
    for (;;) {
        if (jp->p >= jp->end) { jp_fail(jp, "unterminated string"); break; }
        unsigned char c = (unsigned char)*jp->p;
        if (c == '"') {
            jp->p++;
            *outlen = b.len;
            *out = b.s ? b.s : xstrdup("");
            return 0;
        }
        if (c < 0x20) { jp_fail(jp, "control character in a string"); break; }
        if (c == '\\') {
            if (jp->p + 1 >= jp->end) { jp_fail(jp, "unterminated string"); break; }
            char e = jp->p[1];
            jp->p += 2;
            switch (e) {
            case '"': sbuf_addc(&b, '"'); continue;
            case '\\': sbuf_addc(&b, '\\'); continue;
            case '/': sbuf_addc(&b, '/'); continue;
            case 'b': sbuf_addc(&b, '\b'); continue;
            case 'f': sbuf_addc(&b, '\f'); continue;
            case 'n': sbuf_addc(&b, '\n'); continue;
            case 'r': sbuf_addc(&b, '\r'); continue;
            case 't': sbuf_addc(&b, '\t'); continue;
            case 'u': break;
            default:
                jp->p -= 2;
                jp_fail(jp, "invalid escape in a string");
                sbuf_free(&b);
                return -1;
            }
            unsigned cp;
            if (jp->end - jp->p < 4 || pyjson_hex4(jp->p, &cp) < 0) {
                jp_fail(jp, "invalid \\u escape");
                break;
            }
            jp->p += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                unsigned lo;
                if (jp->end - jp->p >= 6 && jp->p[0] == '\\' && jp->p[1] == 'u' &&
                    pyjson_hex4(jp->p + 2, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
                    jp->p += 6;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else {
                    jp_fail(jp, "lone UTF-16 surrogate in a \\u escape");
                    break;
                }
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                jp_fail(jp, "lone UTF-16 surrogate in a \\u escape");
                break;
            }
            utf8_put(&b, cp);
            continue;
        }
        int n = utf8_len((const unsigned char *)jp->p, (size_t)(jp->end - jp->p));
        if (n == 0) { jp_fail(jp, "invalid UTF-8"); break; }
        sbuf_addn(&b, jp->p, (size_t)n);
        jp->p += n;
    }
    sbuf_free(&b);
    return -1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int jp_number(jparser *jp, jval *v)
{
    const char *s = jp->p, *q = s;
    if (q < jp->end && *q == '-') q++;
    if (q >= jp->end || !is_digit(*q)) { jp_fail(jp, "expected a value"); return -1; }
    if (*q == '0') q++;
    else while (q < jp->end && is_digit(*q)) q++;
    if (q < jp->end && *q == '.') {
        q++;
        if (q >= jp->end || !is_digit(*q)) { jp->p = q; jp_fail(jp, "invalid number"); return -1; }
        while (q < jp->end && is_digit(*q)) q++;
    }
    if (q < jp->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < jp->end && (*q == '+' || *q == '-')) q++;
        if (q >= jp->end || !is_digit(*q)) { jp->p = q; jp_fail(jp, "invalid number"); return -1; }
        while (q < jp->end && is_digit(*q)) q++;
    }
    v->t = J_NUM;
    v->slen = (size_t)(q - s);
    v->s = xstrndup(s, v->slen);
    jp->p = q;
    return 0;
}

static int jp_value(jparser *jp, jval *v, int depth);

static int jp_container(jparser *jp, jval *v, int depth, int obj)
{
    if (depth > MAX_DEPTH) { jp_fail(jp, "nested too deeply"); return -1; }
    v->t = obj ? J_OBJ : J_ARR;
    char close = obj ? '}' : ']';
    jp->p++;
    jp_ws(jp);
    if (jp->p < jp->end && *jp->p == close) { jp->p++; return 0; }
    for (;;) {
        char *key = NULL;
        size_t klen = 0;
        if (obj) {
            jp_ws(jp);
            if (jp->p >= jp->end || *jp->p != '"') {
                jp_fail(jp, "expected a property name in double quotes");
                return -1;
            }
            if (jp_string(jp, &key, &klen) < 0) return -1;
            jp_ws(jp);
            if (jp->p >= jp->end || *jp->p != ':') {
                free(key);
                jp_fail(jp, "expected ':' after a property name");
                return -1;
            }
            jp->p++;
        }
        jval *k = jadd(v, NULL, J_NULL);
        k->key = key;
        k->klen = klen;
        if (jp_value(jp, k, depth + 1) < 0) return -1;
        jp_ws(jp);
        if (jp->p < jp->end && *jp->p == ',') { jp->p++; continue; }
        if (jp->p < jp->end && *jp->p == close) { jp->p++; return 0; }
        jp_fail(jp, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        return -1;
    }
}

static int jp_lit(jparser *jp, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(jp->end - jp->p) >= n && memcmp(jp->p, lit, n) == 0) {
        jp->p += n;
        return 0;
    }
    jp_fail(jp, "expected a value");
    return -1;
}

static int jp_value(jparser *jp, jval *v, int depth)
{
    jp_ws(jp);
    if (jp->p >= jp->end) { jp_fail(jp, "expected a value"); return -1; }
    switch (*jp->p) {
    case '{': return jp_container(jp, v, depth, 1);
    case '[': return jp_container(jp, v, depth, 0);
    case '"':
        v->t = J_STR;
        return jp_string(jp, &v->s, &v->slen);
    case 't': v->t = J_TRUE; return jp_lit(jp, "true");
    case 'f': v->t = J_FALSE; return jp_lit(jp, "false");
    case 'n': v->t = J_NULL; return jp_lit(jp, "null");
    case 'N': case 'I':
        /* Python's json writes NaN and Infinity: read them, so the demo
         * check can name the field instead of a parse error */
        v->t = J_NUM;
        if (jp_lit(jp, *jp->p == 'N' ? "NaN" : "Infinity") < 0) return -1;
        v->s = xstrdup(jp->p[-1] == 'N' ? "NaN" : "Infinity");
        v->slen = strlen(v->s);
        return 0;
    case '-':
        if (jp->end - jp->p >= 9 && !memcmp(jp->p, "-Infinity", 9)) {
            jp->p += 9;
            v->t = J_NUM;
            v->s = xstrdup("-Infinity");
            v->slen = 9;
            return 0;
        }
        return jp_number(jp, v);
    default: return jp_number(jp, v);
    }
}

/* Parses a whole document (a UTF-8 BOM is skipped). 0 or -1 + err. */
static int json_parse(const char *text, size_t len, jval *out, char *err)
{
    memset(out, 0, sizeof *out);
    jparser jp = {text, text, text + len, err, 0};
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) jp.p += 3;
    if (jp_value(&jp, out, 0) == 0) {
        jp_ws(&jp);
        if (jp.p < jp.end) jp_fail(&jp, "extra data after the JSON value");
    }
    if (jp.failed) {
        jval_clear(out);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ emitter */

static void emit_str(sbuf *b, const char *s, size_t len, int slash)
{
    static const char hex[] = "0123456789abcdef";
    sbuf_addc(b, '"');
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '/': if (slash) esc = "\\/"; break;   /* ujson's escape_forward_slashes */
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default: break;
        }
        if (esc) {
            sbuf_add(b, esc);
            i++;
        } else if (c < 0x20) {
            char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            sbuf_add(b, u);
            i++;
        } else if (c < 0x80) {
            sbuf_addc(b, (char)c);
            i++;
        } else {
            int n = utf8_len((const unsigned char *)s + i, len - i);
            if (n == 0) {   /* invalid UTF-8 never leaves: U+FFFD */
                sbuf_add(b, "\xef\xbf\xbd");
                i++;
            } else {
                sbuf_addn(b, s + i, (size_t)n);
                i += (size_t)n;
            }
        }
    }
    sbuf_addc(b, '"');
}

static void emit_indent(sbuf *b, int level)
{
    for (int i = 0; i < level; i++) sbuf_add(b, "  ");
}

static void emit(sbuf *b, const jval *v, int level, int slash)
{
    switch (v->t) {
    case J_NULL: sbuf_add(b, "null"); return;
    case J_TRUE: sbuf_add(b, "true"); return;
    case J_FALSE: sbuf_add(b, "false"); return;
    case J_NUM: sbuf_addn(b, v->s, v->slen); return;
    case J_STR: emit_str(b, v->s, v->slen, slash); return;
    case J_ARR:
    case J_OBJ:
        break;
    }
    int obj = v->t == J_OBJ;
    if (v->n == 0) {
        sbuf_add(b, obj ? "{}" : "[]");
        return;
    }
    sbuf_add(b, obj ? "{\n" : "[\n");
    for (size_t i = 0; i < v->n; i++) {
        emit_indent(b, level + 1);
        if (obj) {
            emit_str(b, v->kids[i].key, v->kids[i].klen, slash);
            sbuf_add(b, ": ");
        }
        emit(b, &v->kids[i], level + 1, slash);
        sbuf_add(b, i + 1 < v->n ? ",\n" : "\n");
    }
    emit_indent(b, level);
    sbuf_addc(b, obj ? '}' : ']');
}

/* ------------------------------------------------------------- writer */

static char *field_desc_new(const rubric_field *f)
{
    if (f->desc && *f->desc) return xstrdup(f->desc);
    sbuf b = {0};
    sbuf_addf(&b, "${%s}", f->name);   /* DSPy's default desc */
    return sbuf_take(&b);
}

static void add_sig_field(jval *fields, const char *prefix, const char *desc)
{
    jval *f = jadd(fields, NULL, J_OBJ);
    jadd_str(f, "prefix", prefix);
    jadd_str(f, "description", desc);
}

char *program_state_json_new(const program *pg, const rubric *r)
{
    dspy_version ver = r->dspy.version;
    jval root = {.t = J_OBJ};
    jval *ap = jadd(&root, PROGRAM_PREDICTOR, J_OBJ);
    jadd(ap, "traces", J_ARR);
    jadd(ap, "train", J_ARR);
    jval *demos = jadd(ap, "demos", J_ARR);
    for (size_t k = 0; pg && k < pg->ndemos; k++) {
        const demo *d = &pg->demos[k];
        jval *o = jadd(demos, NULL, J_OBJ);
        if (d->src) {
            /* An imported demo goes back as it came: its key order, extra
             * keys and number values are DSPy's, not ours. */
            jval parsed;
            char e[ERR_MAX];
            if (json_parse(d->src, strlen(d->src), &parsed, e) == 0) {
                if (parsed.t == J_OBJ) {
                    *o = parsed;
                    continue;
                }
                jval_clear(&parsed);
            }
        }
        if (d->augmented) jadd(o, "augmented", J_TRUE);
        for (size_t i = 0; i < r->nfields; i++)
            if (r->fields[i].kind == FIELD_INPUT && d->values[i])
                jadd_str(o, r->fields[i].name, d->values[i]);
        if (d->reasoning) jadd_str(o, REASONING_NAME, d->reasoning);
        for (size_t i = 0; i < r->nfields; i++)
            if (r->fields[i].kind != FIELD_INPUT && d->values[i])
                jadd_str(o, r->fields[i].name, d->values[i]);
    }
    jval *sig = jadd(ap, "signature", J_OBJ);
    jadd_str(sig, "instructions", r->instructions ? r->instructions : "");
    jval *fields = jadd(sig, "fields", J_ARR);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            add_sig_field(fields, dspy_reasoning_prefix(ver), REASONING_DESC);
        for (size_t i = 0; i < r->nfields; i++) {
            if ((r->fields[i].kind == FIELD_INPUT) != (pass == 0)) continue;
            char *prefix = rubric_prefix_new(r->fields[i].name);
            char *desc = field_desc_new(&r->fields[i]);
            add_sig_field(fields, prefix, desc);
            free(prefix);
            free(desc);
        }
    }
    jadd(ap, "lm", J_NULL);
    jval *meta = jadd(&root, "metadata", J_OBJ);
    jval *deps = jadd(meta, "dependency_versions", J_OBJ);
    jadd_str(deps, "python", DEP_PYTHON);
    jadd_str(deps, "dspy", dspy_release(ver));
    jadd_str(deps, "cloudpickle", DEP_CLOUDPICKLE);
    sbuf b = {0};
    emit(&b, &root, 0, dspy_state_escapes_slash(ver));
    if (dspy_state_trailing_newline(ver)) sbuf_addc(&b, '\n');
    jval_clear(&root);
    return sbuf_take(&b);
}

/* ------------------------------------------------------------- reader */

static int same(const jval *v, const char *s)
{
    return v->slen == strlen(s) && memcmp(v->s, s, v->slen) == 0;
}

/* The prefixes a state's signature must have, in order (NULL for the
 * reasoning field). Caller frees. */
static size_t expected_prefixes(const rubric *r, char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_INPUT)
            out[n++] = rubric_prefix_new(r->fields[i].name);
    out[n++] = NULL;    /* reasoning: either release's prefix */
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind != FIELD_INPUT)
            out[n++] = rubric_prefix_new(r->fields[i].name);
    return n;
}

static int check_signature(const jval *sig, const rubric *r, char *err)
{
    char a[256], b[256];
    if (!sig) {
        err_set(err, "not a DSPy 2.6+ program state: \"%s\" has no \"signature\"",
                PROGRAM_PREDICTOR);
        return -1;
    }
    if (sig->t != J_OBJ) {
        err_set(err, "\"signature\" is %s, expected an object", jtype_name(sig->t));
        return -1;
    }
    const jval *ins = jget(sig, "instructions");
    if (!ins || ins->t != J_STR) {
        err_set(err, "\"signature\" has no \"instructions\" string");
        return -1;
    }
    const jval *fields = jget(sig, "fields");
    if (!fields || fields->t != J_ARR) {
        err_set(err, "\"signature\" has no \"fields\" array");
        return -1;
    }
    char *want[RUBRIC_MAX_FIELDS + 1];
    size_t nwant = expected_prefixes(r, want);
    int rc = 0;
    size_t n = fields->n > nwant ? fields->n : nwant;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i >= fields->n) {
            err_set(err, "state is for another signature: it has %zu fields, "
                    "rubric expects %zu (field %zu '%s' is missing)",
                    fields->n, nwant, i + 1,
                    want[i] ? want[i] : DSPY_REASONING_PREFIX_3);
            rc = -1;
            break;
        }
        const jval *f = &fields->kids[i];
        const jval *pf = jget(f, "prefix");
        if (f->t != J_OBJ || !pf || pf->t != J_STR) {
            err_set(err, "signature field %zu has no \"prefix\" string", i + 1);
            rc = -1;
            break;
        }
        if (i >= nwant) {
            err_set(err, "state is for another signature: it has %zu fields, "
                    "rubric expects %zu (field %zu is '%s')", fields->n, nwant,
                    i + 1, show(pf->s, pf->slen, a, sizeof a));
            rc = -1;
            break;
        }
        if (!want[i]) {
            if (!same(pf, DSPY_REASONING_PREFIX_3) &&
                !same(pf, DSPY_REASONING_PREFIX_26)) {
                err_set(err, "state is for another signature: field %zu is "
                        "'%s', rubric expects '%s' (DSPy 3.2+) or '%s' (DSPy "
                        "2.6-3.1)", i + 1, show(pf->s, pf->slen, a, sizeof a),
                        DSPY_REASONING_PREFIX_3, DSPY_REASONING_PREFIX_26);
                rc = -1;
            }
        } else if (!same(pf, want[i])) {
            err_set(err, "state is for another signature: field %zu is '%s', "
                    "rubric expects '%s'", i + 1,
                    show(pf->s, pf->slen, a, sizeof a),
                    show(want[i], strlen(want[i]), b, sizeof b));
            rc = -1;
        }
    }
    for (size_t i = 0; i < nwant; i++) free(want[i]);
    return rc;
}

/* A demo value: a string, or a number as Python's str() writes it. */
static int demo_value(const jval *v, size_t k, char **out, char *err)
{
    char a[256];
    free(*out);
    *out = NULL;
    if (v->t == J_NULL) return 0;   /* None: treated as absent */
    if (v->t == J_NUM) {
        *out = pyjson_number_str_new(v->s);
        return 0;
    }
    if (v->t != J_STR) {
        err_set(err, "demo %zu \"%s\": expected a string or a number, got %s",
                k + 1, show(v->key, v->klen, a, sizeof a), jtype_name(v->t));
        return -1;
    }
    if (memchr(v->s, '\0', v->slen)) {
        err_set(err, "demo %zu \"%s\": contains a NUL character", k + 1,
                show(v->key, v->klen, a, sizeof a));
        return -1;
    }
    *out = xstrndup(v->s, v->slen);
    return 0;
}

static int read_demo(const jval *o, size_t k, const rubric *r, demo *d,
                     sbuf *warn, char *err)
{
    char a[256];
    memset(d, 0, sizeof *d);
    if (o->t != J_OBJ) {
        err_set(err, "demo %zu is %s, expected an object", k + 1, jtype_name(o->t));
        return -1;
    }
    for (size_t m = 0; m < o->n; m++) {
        const jval *v = &o->kids[m];
        int fi = -1;
        if (strlen(v->key) == v->klen) fi = rubric_field_index(r, v->key);
        if (v->klen == 9 && memcmp(v->key, "augmented", 9) == 0) {
            if (v->t != J_TRUE && v->t != J_FALSE) {
                err_set(err, "demo %zu \"augmented\": expected true or false, got %s",
                        k + 1, jtype_name(v->t));
                return -1;
            }
            d->augmented = v->t == J_TRUE;
        } else if (v->klen == strlen(REASONING_NAME) &&
                   memcmp(v->key, REASONING_NAME, v->klen) == 0 && fi < 0) {
            if (demo_value(v, k, &d->reasoning, err) < 0) return -1;
        } else if (fi >= 0) {
            if (demo_value(v, k, &d->values[fi], err) < 0) return -1;
        }
        /* Any other key (e.g. conversation_id from a pool export) is
         * DSPy's business: it stays in src and is written back. */
    }
    int any = d->reasoning != NULL;
    unsigned char num[RUBRIC_MAX_FIELDS] = {0};   /* the value was a number */
    for (size_t m = 0; m < o->n; m++)
        if (o->kids[m].t == J_NUM && strlen(o->kids[m].key) == o->kids[m].klen) {
            int fi = rubric_field_index(r, o->kids[m].key);
            if (fi >= 0) num[fi] = 1;
        }
    for (size_t i = 0; i < r->nfields; i++) {
        const rubric_field *f = &r->fields[i];
        if (!d->values[i]) continue;
        any = 1;
        if (!rubric_is_scored(f)) continue;
        /* NaN / inf: no score at all; a finite number outside the range
         * (1e308, -3): said, as a score validation would clamp it */
        char *end;
        const char *v = d->values[i];
        while (*v == ' ') v++;
        double x = strtod(v, &end);
        while (*end == ' ') end++;
        if (end == v || *end) continue;
        if (!isfinite(x) && num[i]) {   /* NaN, Infinity, 1e400 */
            err_set(err, "demo %zu \"%s\": %s is not a score (the field "
                    "is %g-%g)", k + 1, f->name, show(v, strlen(v), a, sizeof a),
                    f->lo, f->hi);
            return -1;
        }
        if ((!isfinite(x) || x < f->lo || x > f->hi) && warn)
            sbuf_addf(warn, "demo %zu \"%s\": %s is outside the field's "
                      "range %g-%g\n", k + 1, f->name,
                      show(v, strlen(v), a, sizeof a), f->lo, f->hi);
    }
    if (!any) {
        err_set(err, "demo %zu is empty: it has none of the signature's "
                "fields", k + 1);
        return -1;
    }
    sbuf b = {0};
    emit(&b, o, 0, 0);
    d->src = sbuf_take(&b);
    return 0;
}

program *program_from_state_json_new(const char *json, const rubric *r,
                                     char *err)
{
    char a[256];
    if (!json) {
        err_set(err, "no state");
        return NULL;
    }
    size_t len = strlen(json);
    if (len > PROGRAM_STATE_MAX) {
        err_set(err, "the state is %zu bytes: at most %u MiB are accepted",
                len, PROGRAM_STATE_MAX >> 20);
        return NULL;
    }
    jval root;
    if (json_parse(json, len, &root, err) < 0) return NULL;
    program *pg = NULL;
    if (root.t != J_OBJ) {
        err_set(err, "not a DSPy program state: the top level is %s, expected "
                "an object", jtype_name(root.t));
        goto out;
    }
    const jval *ap = jget(&root, PROGRAM_PREDICTOR);
    if (!ap) {
        sbuf keys = {0};
        for (size_t i = 0; i < root.n && keys.len < 200; i++) {
            if (root.kids[i].klen == 8 && !memcmp(root.kids[i].key, "metadata", 8))
                continue;
            sbuf_addf(&keys, "%s\"%s\"", keys.len ? ", " : "",
                      show(root.kids[i].key, root.kids[i].klen, a, sizeof a));
        }
        err_set(err, "not a ChatAnalyzer state (analyze = dspy.ChainOfThought): "
                "no \"%s\" predictor%s%s%s", PROGRAM_PREDICTOR,
                keys.len ? " (it has " : "", keys.len ? keys.s : "",
                keys.len ? ")" : "");
        sbuf_free(&keys);
        goto out;
    }
    if (ap->t != J_OBJ) {
        err_set(err, "\"%s\" is %s, expected an object", PROGRAM_PREDICTOR,
                jtype_name(ap->t));
        goto out;
    }
    if (!jget(ap, "signature") &&
        (jget(ap, "signature_instructions") || jget(ap, "extended_signature"))) {
        err_set(err, "a DSPy 2.5 state (\"signature_instructions\") is not "
                "supported: load and save it with DSPy 2.6 or later");
        goto out;
    }
    const jval *demos = jget(ap, "demos");
    if (!demos || demos->t != J_ARR) {
        err_set(err, "\"%s\" has no \"demos\" array", PROGRAM_PREDICTOR);
        goto out;
    }
    static const char *lists[] = {"traces", "train"};
    for (int i = 0; i < 2; i++) {
        const jval *l = jget(ap, lists[i]);
        if (l && l->t != J_ARR) {
            err_set(err, "\"%s\" is %s, expected an array", lists[i],
                    jtype_name(l->t));
            goto out;
        }
    }
    const jval *lm = jget(ap, "lm");   /* missing is tolerated on read */
    if (lm && lm->t != J_NULL && lm->t != J_OBJ) {
        err_set(err, "\"lm\" is %s, expected null or an object", jtype_name(lm->t));
        goto out;
    }
    for (size_t i = 0; i < root.n; i++) {
        const jval *kv = &root.kids[i];
        if ((kv->klen == 8 && !memcmp(kv->key, "metadata", 8)) ||
            (kv->klen == strlen(PROGRAM_PREDICTOR) &&
             !memcmp(kv->key, PROGRAM_PREDICTOR, kv->klen)))
            continue;
        err_set(err, "the state has another predictor \"%s\": ChatAnalyzer "
                "has only \"%s\"", show(kv->key, kv->klen, a, sizeof a),
                PROGRAM_PREDICTOR);
        goto out;
    }
    if (demos->n > PROGRAM_MAX_DEMOS) {
        err_set(err, "the state has %zu demos: at most %d are accepted",
                demos->n, PROGRAM_MAX_DEMOS);
        goto out;
    }
    if (check_signature(jget(ap, "signature"), r, err) < 0) goto out;
    pg = program_new();
    const jval *ins = jget(jget(ap, "signature"), "instructions");
    sbuf warns = {0};
    if (r->instructions && !same(ins, r->instructions))
        sbuf_add(&warns, "the state's instructions differ from the rubric's: "
                 "curate prompts and saves with the rubric's (--rubric to use "
                 "others)\n");
    const jval *rel = jget(jget(jget(&root, "metadata"), "dependency_versions"),
                           "dspy");
    if (rel && rel->t == J_STR && !memchr(rel->s, '\0', rel->slen))
        pg->has_dspy = dspy_family_of_release(rel->s, &pg->dspy) == 0;
    for (size_t k = 0; k < demos->n; k++) {
        demo d;
        if (read_demo(&demos->kids[k], k, r, &d, &warns, err) < 0) {
            demo_clear(&d);
            program_free(pg);
            sbuf_free(&warns);
            pg = NULL;
            goto out;
        }
        if (pg->ndemos == pg->cap) {
            pg->cap = pg->cap ? pg->cap * 2 : 8;
            pg->demos = xrealloc(pg->demos, pg->cap * sizeof *pg->demos);
        }
        pg->demos[pg->ndemos++] = d;   /* takes ownership */
    }
    if (warns.len) {
        warns.s[--warns.len] = '\0';   /* the last newline */
        pg->warnings = sbuf_take(&warns);
    } else {
        sbuf_free(&warns);
    }
out:
    jval_clear(&root);
    return pg;
}
