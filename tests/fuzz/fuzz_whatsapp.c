/* fuzz_whatsapp.c: the WhatsApp export importer (data/import_whatsapp.c)
 * and import_detect(). Input: the bytes of a .txt export.
 *
 * Each input is imported three ways: with no seller (must fail, listing
 * the participants), with the first named sender as the seller and the
 * date order detected, and with the last named sender, a forced date order,
 * a time zone and an explicit id. Invariants on every conversation handed
 * to the callback: id and seller id non-empty UTF-8, at least one message,
 * every sender/text valid UTF-8 without NUL, a named sender on every
 * customer/seller message, at least one seller message, timestamps within
 * the years an export can write (2000-2099 +- a day), a default id of the
 * form "wa-" + 16 hex digits; on failure an error message that is one line
 * of UTF-8 with no control characters (it is printed to a terminal). */
#define _POSIX_C_SOURCE 200809L
#include "fuzz.h"
#include "../../data/import.h"

typedef struct {
    int calls;
    int want_default_id;
    const char *seller;     /* the seller name given (to match case-folded) */
} wa_ctx;

static int wa_check(const convo *c, void *ctx, char *err)
{
    wa_ctx *x = ctx;
    x->calls++;
    FUZZ_CHECK(c->id && c->id[0] && fuzz_str_utf8(c->id));
    FUZZ_CHECK(c->seller_id && c->seller_id[0] && fuzz_str_utf8(c->seller_id));
    FUZZ_CHECK(c->nmsgs >= 1);
    if (x->want_default_id && c->id) {
        FUZZ_CHECK(strlen(c->id) == 19 && strncmp(c->id, "wa-", 3) == 0 &&
                   strspn(c->id + 3, "0123456789abcdef") == 16);
    }
    size_t nseller = 0;
    for (size_t i = 0; i < c->nmsgs; i++) {
        const convo_msg *m = &c->msgs[i];
        FUZZ_CHECK(m->sender && fuzz_str_utf8(m->sender));
        FUZZ_CHECK(m->text && fuzz_str_utf8(m->text));
        FUZZ_CHECK(m->role == ROLE_CUSTOMER || m->role == ROLE_SELLER ||
                   m->role == ROLE_SYSTEM);
        if (m->role != ROLE_SYSTEM) FUZZ_CHECK(m->sender && m->sender[0]);
        if (m->role == ROLE_SELLER) nseller++;
        /* Years 2000..2099 (2-digit years are 20YY; 4-digit ones are
         * whatever was written: allow 0..9999), tz within +-14h. */
        FUZZ_CHECK(m->ts >= -62167219200LL - 14 * 3600 &&
                   m->ts <= 253402300799LL + 14 * 3600);
    }
    FUZZ_CHECK(nseller >= 1);
    char *t = convo_transcript_new(c);
    FUZZ_CHECK(t != NULL);
    free(t);
    (void)convo_content_hash(c);
    (void)err;
    return 0;
}

/* The sender name of the first (last) "header - Name: text" line, as the
 * user would type it after reading the error listing participants. */
static size_t pick_name(const char *s, size_t n, int last, char *out,
                        size_t outsz)
{
    size_t found = 0, pos = 0;
    while (pos < n) {
        const char *line = s + pos;
        const char *nl = memchr(line, '\n', n - pos);
        size_t ln = nl ? (size_t)(nl - line) : n - pos;
        pos += ln + 1;
        const char *a = NULL;
        for (size_t i = 0; i + 2 < ln && i < 48; i++) {
            if (line[i] == ']' && line[i + 1] == ' ') { a = line + i + 2; break; }
            if (line[i] == ' ' && line[i + 1] == '-' && line[i + 2] == ' ') {
                a = line + i + 3;
                break;
            }
        }
        if (!a) continue;
        size_t rest = ln - (size_t)(a - line), k;
        for (k = 0; k + 1 < rest; k++)
            if (a[k] == ':' && a[k + 1] == ' ') break;
        if (k == 0 || k + 1 >= rest || k >= outsz) continue;
        memcpy(out, a, k);
        out[k] = '\0';
        found = k;
        if (!last) break;
    }
    return found;
}

static void import_once(const char *data, size_t size,
                        const import_wa_opts *o, int default_id)
{
    char err[ERR_MAX];
    wa_ctx x = {0, default_id, NULL};
    memset(err, 0x55, sizeof err);
    err[ERR_MAX - 1] = '\0';
    int rc = import_whatsapp(data, size, "chat.txt", o, wa_check, &x, err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc == 0) FUZZ_CHECK(x.calls == 1);
    else {
        FUZZ_CHECK(x.calls == 0);
        fuzz_check_err(err);
    }
}

static void fuzz_whatsapp_one(const uint8_t *d, size_t size)
{
    const char *data = (const char *)d;
    char name[64];

    (void)import_detect("chat.txt", data, size);
    (void)import_detect(NULL, data, size);
    (void)import_detect("x.jsonl", data, size);

    /* No seller: always fails (which participant is the seller?). */
    import_wa_opts none = {0};
    char err[ERR_MAX];
    FUZZ_CHECK(import_whatsapp(data, size, "chat.txt", &none, NULL, NULL,
                               err) == -1);
    fuzz_check_err(err);
    FUZZ_CHECK(import_whatsapp(data, size, NULL, NULL, NULL, NULL, err) == -1);

    if (pick_name(data, size, 0, name, sizeof name)) {
        const char *sel[1] = {name};
        import_wa_opts o = {.sellers = sel, .nsellers = 1};
        import_once(data, size, &o, 1);
    }
    if (pick_name(data, size, 1, name, sizeof name)) {
        const char *sel[2] = {name, name};
        import_wa_opts o = {.sellers = sel, .nsellers = 2,
                            .order = size % 2 ? DATE_DMY : DATE_MDY,
                            .tz_offset_min = size % 3 ? 330 : -600,
                            .id = "fuzz-id", .seller_id = "S"};
        import_once(data, size, &o, 0);
    }
    {   /* a seller who is not a participant */
        const char *sel[1] = {"Nobody Here"};
        import_wa_opts o = {.sellers = sel, .nsellers = 1};
        import_once(data, size, &o, 1);
    }
}

#ifndef FUZZ_UNIT
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_whatsapp_one(data, size);
    return 0;
}
#endif
