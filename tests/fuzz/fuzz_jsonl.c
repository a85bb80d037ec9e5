/* fuzz_jsonl.c: the JSONL importer (data/import_jsonl.c). Input: the bytes
 * of a .jsonl file.
 *
 * Invariants on every conversation handed to the callback: id and seller
 * id non-empty valid UTF-8, at least one message, every sender/text valid
 * UTF-8, a known role, timestamps within years 1..9999, meta (when set) a
 * JSON object, ids unique within the file; when the import succeeds, one
 * callback per non-blank line. On failure: no more callbacks after it, and
 * an error message that is one line of UTF-8 without control characters.
 * A second pass stops the import from the callback after the first
 * conversation: -1 with a message.
 *
 * Differential (FUZZ_JSONL_DIFF, set by tests/fuzz/run): import_jsonl has
 * a fast path that must give the same result as its cJSON path, errors
 * included; tests/fuzz/run links a second copy of data/import_jsonl.c
 * built with -DIMPORT_JSONL_NO_FAST as import_jsonl_nofast, and every
 * input must produce the same return code, error message and
 * conversations (byte for byte) through both. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz.h"
#include "../../data/import.h"

#include <cjson/cJSON.h>

#define JL_MAX_IDS 256

typedef struct {
    size_t calls;
    int stop_after;             /* 0: never stop */
    char *ids[JL_MAX_IDS];
    size_t nids;
} jl_ctx;

static int jl_check(const convo *c, void *ctx, char *err)
{
    jl_ctx *x = ctx;
    x->calls++;
    FUZZ_CHECK(c->id && c->id[0] && fuzz_str_utf8(c->id));
    FUZZ_CHECK(c->seller_id && c->seller_id[0] && fuzz_str_utf8(c->seller_id));
    FUZZ_CHECK(c->nmsgs >= 1);
    for (size_t i = 0; i < c->nmsgs; i++) {
        const convo_msg *m = &c->msgs[i];
        FUZZ_CHECK(m->sender && fuzz_str_utf8(m->sender));
        FUZZ_CHECK(m->text && fuzz_str_utf8(m->text));
        FUZZ_CHECK(m->role == ROLE_CUSTOMER || m->role == ROLE_SELLER ||
                   m->role == ROLE_SYSTEM);
        FUZZ_CHECK(m->ts >= -62135596800LL &&      /* 0001-01-01 */
                   m->ts <= 253402300799LL);       /* 9999-12-31 */
    }
    if (c->meta_json) {
        FUZZ_CHECK(fuzz_str_utf8(c->meta_json));
        cJSON *o = cJSON_Parse(c->meta_json);
        FUZZ_CHECK(cJSON_IsObject(o));
        cJSON_Delete(o);
    }
    if (c->id && x->stop_after == 0) {
        for (size_t i = 0; i < x->nids; i++)
            FUZZ_CHECK(strcmp(x->ids[i], c->id) != 0);
        if (x->nids < JL_MAX_IDS) x->ids[x->nids++] = strdup(c->id);
    }
    char *t = convo_transcript_new(c);
    FUZZ_CHECK(t != NULL);
    free(t);
    (void)convo_content_hash(c);
    if (x->stop_after && x->calls >= (size_t)x->stop_after) {
        if (x->calls % 2) err[0] = '\0';    /* importer supplies a message */
        else err_set(err, "stopped by the fuzzer");
        return -1;
    }
    return 0;
}

#ifdef FUZZ_JSONL_DIFF
int import_jsonl_nofast(const char *data, size_t len, const char *src,
                        import_fn fn, void *ctx, char *err);

/* Every field of every conversation, in one string, to compare runs. */
static int jl_dump(const convo *c, void *ctx, char *err)
{
    sbuf *b = ctx;
    sbuf_addf(b, "id=%s\nseller=%s\nmeta=%s\n", c->id, c->seller_id,
              c->meta_json ? c->meta_json : "(none)");
    for (size_t i = 0; i < c->nmsgs; i++) {
        const convo_msg *m = &c->msgs[i];
        sbuf_addf(b, "%lld|%d|%zu:", (long long)m->ts, (int)m->role,
                  strlen(m->sender));
        sbuf_add(b, m->sender);
        sbuf_addf(b, "|%zu:", strlen(m->text));
        sbuf_add(b, m->text);
        sbuf_addc(b, '\n');
    }
    (void)err;
    return 0;
}

static void jl_diff(const char *data, size_t size)
{
    sbuf a = {0}, b = {0};
    char ea[ERR_MAX] = "", eb[ERR_MAX] = "";
    int ra = import_jsonl(data, size, "d.jsonl", jl_dump, &a, ea);
    int rb = import_jsonl_nofast(data, size, "d.jsonl", jl_dump, &b, eb);
    if (ra != rb || strcmp(ea, eb) != 0 ||
        strcmp(a.s ? a.s : "", b.s ? b.s : "") != 0)
        fprintf(stderr, "fast path: rc %d, err '%s'\n%s\n"
                "cJSON path: rc %d, err '%s'\n%s\n", ra, ea,
                a.s ? a.s : "", rb, eb, b.s ? b.s : "");
    FUZZ_CHECK(ra == rb);
    FUZZ_CHECK(ra == 0 || strcmp(ea, eb) == 0);
    FUZZ_CHECK(strcmp(a.s ? a.s : "", b.s ? b.s : "") == 0);
    sbuf_free(&a);
    sbuf_free(&b);
}
#endif

static size_t nonblank_lines(const char *s, size_t n)
{
    size_t count = 0, pos = 0;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) pos = 3;
    while (pos < n) {
        const char *l = s + pos;
        const char *nl = memchr(l, '\n', n - pos);
        size_t ln = nl ? (size_t)(nl - l) : n - pos;
        pos += ln + (nl ? 1 : 0);
        if (ln && l[ln - 1] == '\r') ln--;
        for (size_t i = 0; i < ln; i++)
            if (l[i] != ' ' && l[i] != '\t' && l[i] != '\r') { count++; break; }
    }
    return count;
}

static void fuzz_jsonl_one(const uint8_t *d, size_t size)
{
    const char *data = (const char *)d;
    char err[ERR_MAX];
    jl_ctx x = {0};

    (void)import_detect("in.jsonl", data, size);
    (void)import_detect(NULL, data, size);

    int rc = import_jsonl(data, size, "in.jsonl", jl_check, &x, err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc == 0) FUZZ_CHECK(x.calls == nonblank_lines(data, size));
    else fuzz_check_err(err);
    for (size_t i = 0; i < x.nids; i++) free(x.ids[i]);

    if (rc == 0 && x.calls > 0) {
        jl_ctx y = {0};
        y.stop_after = 1;
        int rcs = import_jsonl(data, size, NULL, jl_check, &y, err);
        FUZZ_CHECK(rcs == -1 && y.calls == 1);
        fuzz_check_err(err);
    }
    /* No callback: a dry-run validation gives the same verdict. */
    int rc2 = import_jsonl(data, size, "in.jsonl", NULL, NULL, err);
    FUZZ_CHECK(rc2 == rc);
#ifdef FUZZ_JSONL_DIFF
    jl_diff(data, size);
#endif
}

#ifndef FUZZ_UNIT
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_jsonl_one(data, size);
    return 0;
}
#endif
