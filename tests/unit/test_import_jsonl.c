/* test_import_jsonl.c: the JSONL importer: good input in its variants
 * (ISO and epoch times, numeric ids, meta, BOM, CRLF, blank lines) and
 * every rejection with its exact "FILE:LINE: field ..." message. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "../../core/util.h"
#include "../../data/import.h"

#include <stdlib.h>

/* The parser lends each convo to the callback; keep deep copies. */
typedef struct {
    convo *c[4096];
    size_t n;
    int stop_at;        /* when > 0: fail on the stop_at-th conversation */
} got;

static int collect(const convo *c, void *ctx, char *err)
{
    got *g = ctx;
    if (g->stop_at && (int)g->n + 1 == g->stop_at) {
        err_set(err, "callback says no");
        return -1;
    }
    if (g->n == sizeof g->c / sizeof *g->c) return 0;
    convo *d = convo_new(c->id, c->seller_id);
    d->meta_json = xstrdup(c->meta_json);
    for (size_t i = 0; i < c->nmsgs; i++)
        convo_add_msg(d, c->msgs[i].ts, c->msgs[i].sender, c->msgs[i].role,
                      c->msgs[i].text);
    g->c[g->n++] = d;
    return 0;
}

static void got_free(got *g)
{
    for (size_t i = 0; i < g->n; i++) convo_free(g->c[i]);
    g->n = 0;
}

static int64_t iso(const char *s)
{
    int64_t t = -1;
    date_parse_iso8601(s, &t);
    return t;
}

static int run(const char *text, got *g, char *err)
{
    return import_jsonl(text, strlen(text), "t.jsonl", collect, g, err);
}

/* A valid conversation line, for context around a bad one. */
#define GOOD "{\"id\":\"ok-1\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0," \
             "\"from\":\"a\",\"role\":\"customer\",\"text\":\"hi\"}]}\n"

TEST(jsonl_good_fixture)
{
    char err[ERR_MAX] = "";
    size_t len;
    char *data = file_read_new("tests/fixtures/jsonl/travel.jsonl", &len, err);
    CHECK_MSG(data, "%s", err);
    got g = {0};
    int rc = import_jsonl(data, len, "travel.jsonl", collect, &g, err);
    free(data);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK(g.n == 3);
    const convo *a = g.c[0], *b = g.c[1], *c = g.c[2];
    CHECK_STR(a->id, "lis-0001");
    CHECK_STR(a->seller_id, "travelco-ana");
    CHECK(a->nmsgs == 4);
    CHECK(a->msgs[0].ts == iso("2024-02-01T09:12:00Z"));
    CHECK(a->msgs[2].ts == iso("2024-02-01T12:45:10Z"));   /* +01:00 */
    CHECK(a->msgs[3].ts == iso("2024-02-01T14:02:00Z"));
    CHECK_STR(a->msgs[1].sender, "Ana");
    CHECK(a->msgs[1].role == ROLE_SELLER);
    CHECK(a->msgs[0].role == ROLE_CUSTOMER);
    CHECK_STR(a->msgs[3].text, "Yes, +35 EUR per night.\nShall I book it?");
    CHECK_STR(a->meta_json, "{\"channel\":\"whatsapp\",\"destination\":"
              "\"Lisbon\",\"tags\":[\"city break\",\"couple\"]}");
    CHECK_STR(b->id, "1002");                  /* numeric id */
    CHECK(b->meta_json == NULL);
    CHECK(b->msgs[0].ts == 1710450300);        /* epoch seconds */
    CHECK_STR(b->msgs[1].text, "Any update? It's been two days \xF0\x9F\x98\xA0");
    CHECK(c->meta_json == NULL);               /* "meta": null */
    CHECK(c->msgs[0].role == ROLE_SYSTEM);
    CHECK_STR(c->msgs[0].sender, "");
    CHECK_STR(c->msgs[1].sender, "Mar\xC3\xAD" "a Jos\xC3\xA9");
    got_free(&g);
}

TEST(jsonl_bad_role_fixture)
{
    char err[ERR_MAX] = "";
    size_t len;
    char *data = file_read_new("tests/fixtures/jsonl/bad_role.jsonl", &len, err);
    CHECK_MSG(data, "%s", err);
    got g = {0};
    int rc = import_jsonl(data, len, "bad_role.jsonl", collect, &g, err);
    free(data);
    CHECK(rc == -1);
    CHECK(g.n == 1);   /* the caller rolls back what was handed over */
    got_free(&g);
    CHECK_STR(err, "bad_role.jsonl:2: field messages[3].role: 'buyer' is not "
              "one of customer, seller, system");
}

/* One bad line after a good one: the exact message, line 2. */
static const struct { const char *line, *want; } bad_fields[] = {
    {"{\"seller_id\":\"s\",\"messages\":[]}", "t.jsonl:2: field id: missing"},
    {"{\"id\":\"\",\"seller_id\":\"s\"}", "t.jsonl:2: field id: empty"},
    {"{\"id\":true,\"seller_id\":\"s\"}",
     "t.jsonl:2: field id: expected a string or an integer, got boolean"},
    {"{\"id\":1.5,\"seller_id\":\"s\"}",
     "t.jsonl:2: field id: number 1.5 is not an exact integer; write the id as a string"},
    {"{\"id\":\"x\",\"messages\":[]}", "t.jsonl:2: field seller_id: missing"},
    {"{\"id\":\"x\",\"seller_id\":7}",
     "t.jsonl:2: field seller_id: expected a string, got number"},
    {"{\"id\":\"x\",\"seller_id\":\"s\"}", "t.jsonl:2: field messages: missing"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":{}}",
     "t.jsonl:2: field messages: expected an array, got object"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[]}",
     "t.jsonl:2: field messages: empty (a conversation needs at least one message)"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[\"hi\"]}",
     "t.jsonl:2: field messages[0]: expected an object, got string"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[{\"from\":\"a\",\"role\":\"seller\",\"text\":\"t\"}]}",
     "t.jsonl:2: field messages[0].ts: missing"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[{\"ts\":\"yesterday\",\"from\":\"a\",\"role\":\"seller\",\"text\":\"t\"}]}",
     "t.jsonl:2: field messages[0].ts: 'yesterday' is not an ISO-8601 time (like 2024-05-01T10:02:03Z)"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[{\"ts\":false,\"from\":\"a\",\"role\":\"seller\",\"text\":\"t\"}]}",
     "t.jsonl:2: field messages[0].ts: expected an ISO-8601 string or epoch seconds, got boolean"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[{\"ts\":1714557723000,\"from\":\"a\",\"role\":\"seller\",\"text\":\"t\"}]}",
     "t.jsonl:2: field messages[0].ts: 1.71456e+12 is out of range for epoch seconds (milliseconds?)"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,\"role\":\"seller\",\"text\":\"t\"}]}",
     "t.jsonl:2: field messages[0].from: missing"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,\"from\":5,\"role\":\"seller\",\"text\":\"t\"}]}",
     "t.jsonl:2: field messages[0].from: expected a string, got number"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,\"from\":\"a\",\"text\":\"t\"}]}",
     "t.jsonl:2: field messages[0].role: missing"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,\"from\":\"a\",\"role\":\"Seller\",\"text\":\"t\"}]}",
     "t.jsonl:2: field messages[0].role: 'Seller' is not one of customer, seller, system"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,\"from\":\"a\",\"role\":\"seller\"}]}",
     "t.jsonl:2: field messages[0].text: missing"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,\"from\":\"a\",\"role\":\"seller\",\"text\":null}]}",
     "t.jsonl:2: field messages[0].text: expected a string, got null"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,\"from\":\"a\",\"role\":\"seller\",\"text\":\"t\"},"
     "{\"ts\":0,\"from\":\"a\",\"role\":\"seller\",\"text\":\"t\"},{\"ts\":0,\"from\":\"a\",\"role\":\"seller\",\"text\":\"t\"},"
     "{\"ts\":0,\"from\":\"b\",\"role\":\"buyer\",\"text\":\"t\"}]}",
     "t.jsonl:2: field messages[3].role: 'buyer' is not one of customer, seller, system"},
    {"{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,\"from\":\"a\",\"role\":\"seller\",\"text\":\"t\"}],\"meta\":[1]}",
     "t.jsonl:2: field meta: expected an object, got array"},
    {"[1,2]", "t.jsonl:2: expected a JSON object, got array"},
};

TEST(jsonl_each_bad_field)
{
    for (size_t i = 0; i < sizeof bad_fields / sizeof *bad_fields; i++) {
        char err[ERR_MAX] = "", text[1024];
        snprintf(text, sizeof text, GOOD "%s\n" GOOD, bad_fields[i].line);
        got g = {0};
        int rc = run(text, &g, err);
        size_t n = g.n;
        got_free(&g);
        CHECK_MSG(rc == -1, "case %zu accepted", i);
        CHECK_MSG(n == 1, "case %zu: %zu conversations before the error", i, n);
        CHECK_STR(err, bad_fields[i].want);
    }
}

TEST(jsonl_invalid_json)
{
    char err[ERR_MAX] = "";
    got g = {0};
    CHECK(run("{\"id\": \"a\", \"seller_id\": }\n", &g, err) == -1);
    CHECK_STR(err, "t.jsonl:1: invalid JSON at column 26");
    CHECK(run(GOOD "\n{\"id\": \"a\"\n", &g, err) == -1);   /* cut short */
    CHECK(strncmp(err, "t.jsonl:3: invalid JSON at column ", 34) == 0);
    CHECK(run("{\"id\":\"a\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,\"from\":"
              "\"a\",\"role\":\"seller\",\"text\":\"t\"}]}  xyz\n", &g, err) == -1);
    CHECK_STR(err, "t.jsonl:1: invalid JSON at column 89 (text after the object)");
    CHECK(run("not json at all", &g, err) == -1);
    CHECK_STR(err, "t.jsonl:1: invalid JSON at column 1");
    got_free(&g);
}

TEST(jsonl_duplicate_id)
{
    char err[ERR_MAX] = "";
    got g = {0};
    CHECK(run(GOOD "\n" GOOD, &g, err) == -1);
    CHECK_STR(err, "t.jsonl:3: duplicate id 'ok-1' (first on line 1)");
    got_free(&g);
    /* A numeric id and its string form are the same id. */
    const char *t =
        "{\"id\":7,\"seller_id\":\"s\",\"messages\":[{\"ts\":0,\"from\":\"a\",\"role\":\"seller\",\"text\":\"t\"}]}\n"
        "{\"id\":\"7\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,\"from\":\"a\",\"role\":\"seller\",\"text\":\"t\"}]}\n";
    CHECK(run(t, &g, err) == -1);
    CHECK_STR(err, "t.jsonl:2: duplicate id '7' (first on line 1)");
    got_free(&g);
}

TEST(jsonl_many_lines_unique_ids)
{
    sbuf b = {0};
    for (int i = 0; i < 3000; i++)
        sbuf_addf(&b, "{\"id\":\"c%d\",\"seller_id\":\"s\",\"messages\":[{\"ts\":%d,"
                  "\"from\":\"a\",\"role\":\"customer\",\"text\":\"m\"},{\"ts\":%d,"
                  "\"from\":\"b\",\"role\":\"seller\",\"text\":\"r\"}]}\n", i, i, i + 60);
    sbuf_add(&b, "{\"id\":\"c1234\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,"
             "\"from\":\"a\",\"role\":\"customer\",\"text\":\"m\"}]}\n");
    char err[ERR_MAX] = "";
    got g = {0};
    int rc = run(b.s, &g, err);
    sbuf_free(&b);
    size_t n = g.n;
    got_free(&g);
    CHECK(rc == -1);
    CHECK(n == 3000);
    CHECK_STR(err, "t.jsonl:3001: duplicate id 'c1234' (first on line 1235)");
}

TEST(jsonl_bom_crlf_blank_lines)
{
    const char *t =
        "\xEF\xBB\xBF{\"id\":\"a\",\"seller_id\":\"s\",\"messages\":[{\"ts\":\"2024-05-01T10:02:03Z\","
        "\"from\":\"Ana\",\"role\":\"seller\",\"text\":\"Ol\xC3\xA1\"}]}\r\n"
        "\r\n"
        "   \t \r\n"
        "{\"id\":\"b\",\"seller_id\":\"s\",\"messages\":[{\"ts\":1,\"from\":\"x\",\"role\":\"customer\",\"text\":\"y\"}]}";
    char err[ERR_MAX] = "";
    got g = {0};
    CHECK_MSG(run(t, &g, err) == 0, "%s", err);
    CHECK(g.n == 2);
    CHECK_STR(g.c[0]->id, "a");
    CHECK_STR(g.c[0]->msgs[0].text, "Ol\xC3\xA1");
    CHECK(g.c[0]->msgs[0].ts == iso("2024-05-01T10:02:03Z"));
    CHECK_STR(g.c[1]->id, "b");
    got_free(&g);
    /* Blank lines still count for the line number. */
    CHECK(run(GOOD "\r\n\r\n{\"id\":\"q\"}\r\n", &g, err) == -1);
    CHECK_STR(err, "t.jsonl:4: field seller_id: missing");
    got_free(&g);
    /* Empty input: nothing to import, not an error. */
    CHECK(run("", &g, err) == 0 && g.n == 0);
    CHECK(run("\n\r\n  \n", &g, err) == 0 && g.n == 0);
}

TEST(jsonl_invalid_utf8)
{
    static const char *bad[] = {"ab\xFF", "\xC0\xAF", "\xED\xA0\x80",
                                "\xE2\x82", "\xF4\x90\x80\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[512], err[ERR_MAX] = "";
        snprintf(text, sizeof text, "{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":"
                 "[{\"ts\":0,\"from\":\"a\",\"role\":\"seller\",\"text\":\"%s\"}]}", bad[i]);
        got g = {0};
        CHECK_MSG(run(text, &g, err) == -1, "case %zu accepted", i);
        got_free(&g);
        CHECK_MSG(strncmp(err, "t.jsonl:1: field messages[0].text: invalid UTF-8 at byte ", 57) == 0,
                  "%s", err);
    }
    /* A 4-byte emoji and escaped surrogate pairs are fine. */
    char err[ERR_MAX] = "";
    got g = {0};
    CHECK_MSG(run("{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,\"from\":"
                  "\"\xF0\x9F\x8C\x8D\",\"role\":\"seller\",\"text\":\"\\ud83d\\ude00\"}]}",
                  &g, err) == 0, "%s", err);
    CHECK_STR(g.c[0]->msgs[0].text, "\xF0\x9F\x98\x80");
    got_free(&g);
    CHECK(run("{\"id\":\"x\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,\"from\":\"a\","
              "\"role\":\"seller\",\"text\":\"t\"}],\"meta\":{\"k\":\"\xFE\"}}", &g, err) == -1);
    CHECK_STR(err, "t.jsonl:1: field meta: invalid UTF-8");
    got_free(&g);
}

/* The input need not be NUL-terminated: parse exactly len bytes (ASan
 * flags a read past the end of this exact-size buffer). */
TEST(jsonl_exact_length_buffer)
{
    const char *t = GOOD "{\"id\":\"z\",\"seller_id\":\"s\",\"messages\":[{\"ts\":12,"
                    "\"from\":\"a\",\"role\":\"customer\",\"text\":\"end\"}],\"meta\":{\"n\":1}}";
    size_t n = strlen(t);
    char *buf = xmalloc(n);
    memcpy(buf, t, n);
    char err[ERR_MAX] = "";
    got g = {0};
    int rc = import_jsonl(buf, n, "t.jsonl", collect, &g, err);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK(g.n == 2);
    CHECK_STR(g.c[1]->meta_json, "{\"n\":1}");
    got_free(&g);
    /* Cut inside the last object: an error, not a read past the end. */
    rc = import_jsonl(buf, n - 3, "t.jsonl", collect, &g, err);
    free(buf);
    got_free(&g);
    CHECK(rc == -1);
    CHECK(strncmp(err, "t.jsonl:2: invalid JSON at column ", 34) == 0);
}

TEST(jsonl_callback_stops)
{
    char err[ERR_MAX] = "";
    got g = {.stop_at = 2};
    const char *t = GOOD "{\"id\":\"ok-2\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,"
                    "\"from\":\"a\",\"role\":\"customer\",\"text\":\"hi\"}]}\n";
    CHECK(run(t, &g, err) == -1);
    CHECK(g.n == 1);
    got_free(&g);
    CHECK_STR(err, "callback says no");
}

TEST(jsonl_ids_and_ts_forms)
{
    const char *t =
        "{\"id\":-42,\"seller_id\":\"s\",\"messages\":[{\"ts\":1714557723.9,\"from\":\"a\","
        "\"role\":\"customer\",\"text\":\"\"},{\"ts\":\"2024-05-01 10:02\",\"from\":\"\","
        "\"role\":\"system\",\"text\":\"x\"}],\"extra\":{\"ignored\":true}}\n"
        "{\"id\":9007199254740993,\"seller_id\":\"s\",\"messages\":[{\"ts\":0,\"from\":\"a\","
        "\"role\":\"customer\",\"text\":\"\"}]}\n";
    char err[ERR_MAX] = "";
    got g = {0};
    CHECK(run(t, &g, err) == -1);
    CHECK(g.n == 1);
    CHECK_STR(g.c[0]->id, "-42");
    CHECK(g.c[0]->msgs[0].ts == 1714557723);
    CHECK(g.c[0]->msgs[1].ts == iso("2024-05-01T10:02:00Z"));
    CHECK_STR(g.c[0]->msgs[0].text, "");
    got_free(&g);
    CHECK(strncmp(err, "t.jsonl:2: field id: number ", 28) == 0);
}

/* Issue 13: cJSON decodes \u0000 to a NUL that cuts the string ("refund of
 * 500\u0000 EUR" was stored as "refund of 500"; ids "n2\u0000x" and
 * "n2\u0000y" collided), and lone surrogates and repeated keys went
 * through unnoticed. Each is now an error naming the line. */
#define LINE_TEXT(t) "{\"id\":\"n1\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0," \
                     "\"from\":\"a\",\"role\":\"customer\",\"text\":\"" t "\"}]}\n"

TEST(jsonl_nul_and_bad_escapes_rejected)
{
    char err[ERR_MAX] = "";
    got g = {0};
    CHECK(run(GOOD LINE_TEXT("refund of 500\\u0000 EUR"), &g, err) == -1);
    CHECK_STR(err, "t.jsonl:2: column 98: \\u0000 (NUL) in a string: not "
                   "allowed (it would cut the text there)");
    got_free(&g);
    CHECK(run("{\"id\":\"n2\\u0000x\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,"
              "\"from\":\"a\",\"role\":\"customer\",\"text\":\"t\"}]}\n", &g, err) == -1);
    CHECK_MSG(strstr(err, "t.jsonl:1: column 10: \\u0000 (NUL)") == err, "%s", err);
    got_free(&g);
    /* A raw NUL byte inside the text. */
    static const char raw[] = "{\"id\":\"n3\",\"seller_id\":\"s\",\"messages\":[{"
        "\"ts\":0,\"from\":\"a\",\"role\":\"customer\",\"text\":\"a\0b\"}]}\n";
    CHECK(import_jsonl(raw, sizeof raw - 1, "t.jsonl", collect, &g, err) == -1);
    CHECK_MSG(strstr(err, "t.jsonl:1: column 86: NUL byte") == err, "%s", err);
    got_free(&g);
    /* Lone surrogates: a low one, a high one alone, a high one followed by
     * something that is not a low one. */
    const char *lone[] = {LINE_TEXT("x\\uDC00y"), LINE_TEXT("x\\uD83Dy"),
                          LINE_TEXT("x\\uD83D\\u0041")};
    const char *want[] = {"\\uDC00", "\\uD83D", "\\uD83D"};
    for (int i = 0; i < 3; i++) {
        CHECK(run(lone[i], &g, err) == -1);
        CHECK_MSG(strstr(err, "t.jsonl:1: column 86: invalid escape ") == err &&
                  strstr(err, want[i]) && strstr(err, "lone UTF-16 surrogate"),
                  "%s", err);
        got_free(&g);
    }
    CHECK(run(LINE_TEXT("x\\u12G4"), &g, err) == -1);
    CHECK_STR(err, "t.jsonl:1: column 86: invalid escape: \\u needs four hex digits");
    got_free(&g);
    /* A valid pair and other escapes still pass, decoded. */
    CHECK(run(LINE_TEXT("ok \\uD83D\\uDE00 \\u00e9\\n"), &g, err) == 0);
    CHECK(g.n == 1 && strcmp(g.c[0]->msgs[0].text, "ok \xF0\x9F\x98\x80 \xC3\xA9\n") == 0);
    got_free(&g);
}

TEST(jsonl_duplicate_keys_rejected)
{
    char err[ERR_MAX] = "";
    got g = {0};
    /* The same key twice at the top, in a message (also written as an
     * escape), in meta, and an unknown key twice. */
    CHECK(run("{\"id\":\"a\",\"seller_id\":\"s\",\"id\":\"b\",\"messages\":[{\"ts\":0,"
              "\"from\":\"a\",\"role\":\"customer\",\"text\":\"t\"}]}\n", &g, err) == -1);
    CHECK_STR(err, "t.jsonl:1: duplicate key \"id\" in one object (columns 2 and 27)");
    got_free(&g);
    CHECK(run(GOOD "{\"id\":\"a\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,"
              "\"from\":\"a\",\"role\":\"customer\",\"text\":\"t\",\"t\\u0065xt\":\"u\"}]}\n",
              &g, err) == -1);
    CHECK_MSG(strstr(err, "t.jsonl:2: duplicate key \"text\"") == err, "%s", err);
    got_free(&g);
    CHECK(run("{\"id\":\"a\",\"seller_id\":\"s\",\"messages\":[{\"ts\":0,"
              "\"from\":\"a\",\"role\":\"customer\",\"text\":\"t\"}],"
              "\"meta\":{\"k\":1,\"k\":2}}\n", &g, err) == -1);
    CHECK_MSG(strstr(err, "t.jsonl:1: duplicate key \"k\"") == err, "%s", err);
    got_free(&g);
    CHECK(run("{\"id\":\"a\",\"x\":1,\"seller_id\":\"s\",\"x\":2,\"messages\":[{\"ts\":0,"
              "\"from\":\"a\",\"role\":\"customer\",\"text\":\"t\"}]}\n", &g, err) == -1);
    CHECK_MSG(strstr(err, "t.jsonl:1: duplicate key \"x\"") == err, "%s", err);
    got_free(&g);
    /* The same key in two different objects is fine, as are extra keys. */
    CHECK(run("{\"id\":\"a\",\"x\":{\"k\":1},\"seller_id\":\"s\",\"messages\":[{\"ts\":0,"
              "\"from\":\"a\",\"role\":\"customer\",\"text\":\"t\",\"k\":[{\"k\":1},{\"k\":2}]}],"
              "\"meta\":{\"k\":1,\"id\":2}}\n", &g, err) == 0);
    CHECK(g.n == 1);
    got_free(&g);
}
