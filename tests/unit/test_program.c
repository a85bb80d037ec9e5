/* test_program.c: the DSPy program state JSON: golden bytes (fixtures made
 * by tests/fixtures/programs/make_fixtures.py the way DSPy 2.6 writes them),
 * round trips, DSPy 2.6 / 3.x states, signature checks, numbers in demos,
 * escaping, malformed input. Run from the repository root. */
#include "test.h"
#include "../../core/program.h"
#include "../../core/util.h"

#include <stdlib.h>

#define FIX "tests/fixtures/programs/"

static char *fixture(const char *name)
{
    char err[ERR_MAX];
    size_t len;
    char path[256];
    snprintf(path, sizeof path, FIX "%s", name);
    char *s = file_read_new(path, &len, err);
    if (!s) fprintf(stderr, "    %s\n", err);
    return s;
}

static int fi(const rubric *r, const char *name)
{
    return rubric_field_index(r, name);
}

/* The known program of make_fixtures.py. */
static program *known_program(const rubric *r)
{
    program *pg = program_new();
    demo d = {0};
    d.augmented = 1;
    d.values[fi(r, "conversation")] = xstrdup(
        "[2024-05-01 10:02] Customer (Ana): Hi! Is the 7:30 flight to S\xc3\xa3o Paulo "
        "still on? \"urgent\"\n[2024-05-01 10:09] Seller (Bruno): Yes \xe2\x80\x94 confirmed "
        "\xe2\x9c\x88\xef\xb8\x8f see https://example.com/b?id=1&x=2 <ok>\n"
        "[2024-05-01 10:10] Customer (Ana): thanks \xf0\x9f\x98\x80 \\o/");
    d.values[fi(r, "seller_id")] = xstrdup("seller-042");
    d.reasoning = xstrdup("The seller answered within 7 minutes,\tconfirmed and linked "
                          "the booking.\x01 Tone: positive\xe2\x80\xa8" "end");
    d.values[fi(r, "responsiveness_score")] = xstrdup("8.5");
    d.values[fi(r, "customer_negative_score")] = xstrdup("1");
    d.values[fi(r, "conversational_trend_score")] = xstrdup("7.0");
    d.values[fi(r, "overall_seller_score")] = xstrdup("8.05");
    d.values[fi(r, "score_rationale")] =
        xstrdup("Fast, clear reply; customer pleased.\r\nNo complaints.\b\f\x1f\x7f");
    d.conv_id = xstrdup("c-1");
    program_add_demo(pg, &d);
    demo_clear(&d);
    d.values[fi(r, "conversation")] = xstrdup(
        "[2024-05-02 08:00] Customer (Li): \xe4\xbd\xa0\xe5\xa5\xbd, my refund??\n"
        "[2024-05-03 19:45] Seller (Mo): sorry for the delay");
    d.values[fi(r, "seller_id")] = xstrdup("seller/7");
    d.values[fi(r, "responsiveness_score")] = xstrdup("3");
    d.values[fi(r, "customer_negative_score")] = xstrdup("6.5");
    d.values[fi(r, "conversational_trend_score")] = xstrdup("4");
    d.values[fi(r, "overall_seller_score")] = xstrdup("3.75");
    program_add_demo(pg, &d);
    demo_clear(&d);
    return pg;
}

/* Reports the first differing byte of two texts. */
static int same_bytes(const char *got, const char *want)
{
    if (!got || !want) return 0;
    size_t i = 0;
    while (got[i] && got[i] == want[i]) i++;
    if (got[i] == want[i]) return 1;
    fprintf(stderr, "    first difference at byte %zu: got \"%.40s\", want \"%.40s\"\n",
            i, got + i, want + i);
    return 0;
}

TEST(program_state_golden_bytes)
{
    rubric *r = rubric_default_new();
    r->dspy.version = DSPY_V26;   /* the fixtures are 2.6.27's bytes */
    program *pg = known_program(r);
    char *got = program_state_json_new(pg, r);
    char *want = fixture("golden_state.json");
    CHECK(want != NULL);
    CHECK(same_bytes(got, want));
    free(got);
    free(want);
    program_free(pg);
    rubric_free(r);
}

TEST(program_state_golden_empty)
{
    rubric *r = rubric_default_new();
    r->dspy.version = DSPY_V26;   /* the fixtures are 2.6.27's bytes */
    program *pg = program_new();
    char *got = program_state_json_new(pg, r);
    char *want = fixture("golden_empty.json");
    CHECK(want != NULL);
    CHECK(same_bytes(got, want));
    /* NULL program writes the same empty state */
    char *got2 = program_state_json_new(NULL, r);
    CHECK(same_bytes(got2, want));
    free(got2);
    free(got);
    free(want);
    program_free(pg);
    rubric_free(r);
}

TEST(program_state_key_order)
{
    rubric *r = rubric_default_new();
    r->dspy.version = DSPY_V26;   /* the fixtures are 2.6.27's bytes */
    program *pg = known_program(r);
    char *s = program_state_json_new(pg, r);
    const char *keys[] = {"\"analyze.predict\": {", "\"traces\": []", "\"train\": []",
                          "\"demos\": [", "\"augmented\": true", "\"conversation\":",
                          "\"seller_id\":", "\"reasoning\":", "\"responsiveness_score\":",
                          "\"score_rationale\":", "\"signature\": {", "\"instructions\":",
                          "\"fields\": [", "\"prefix\": \"Conversation:\"",
                          "\"prefix\": \"Seller Id:\"",
                          "\"prefix\": \"Reasoning: Let's think step by step in order to\"",
                          "\"description\": \"${reasoning}\"",
                          "\"prefix\": \"Responsiveness Score:\"",
                          "\"prefix\": \"Score Rationale:\"", "\"lm\": null",
                          "\"metadata\": {", "\"dependency_versions\": {",
                          "\"python\": \"3.11\"", "\"dspy\": \"2.6.27\"",
                          "\"cloudpickle\": \"3.1\"", NULL};
    const char *at = s;
    for (int i = 0; keys[i]; i++) {
        const char *f = strstr(at, keys[i]);
        CHECK_MSG(f != NULL, "key %s missing or out of order", keys[i]);
        at = f;
    }
    /* the labeled demo has neither augmented nor reasoning */
    const char *d2 = strstr(s, "\"seller_id\": \"seller\\/7\"");
    CHECK(d2 != NULL);
    const char *d2start = d2;
    while (d2start > s && *d2start != '{') d2start--;
    const char *d2end = strchr(d2, '}');
    CHECK(d2end != NULL);
    char *demo2 = xstrndup(d2start, (size_t)(d2end - d2start));
    CHECK(!strstr(demo2, "augmented"));
    CHECK(!strstr(demo2, "reasoning"));
    CHECK(!strstr(demo2, "score_rationale"));
    free(demo2);
    CHECK(s[strlen(s) - 1] == '}');   /* no trailing newline, as ujson */
    free(s);
    program_free(pg);
    rubric_free(r);
}

TEST(program_roundtrip_golden)
{
    rubric *r = rubric_default_new();
    r->dspy.version = DSPY_V26;   /* the fixtures are 2.6.27's bytes */
    char err[ERR_MAX] = "";
    char *want = fixture("golden_state.json");
    CHECK(want != NULL);
    program *pg = program_from_state_json_new(want, r, err);
    CHECK_MSG(pg != NULL, "%s", err);
    CHECK(pg->ndemos == 2);
    CHECK(pg->demos[0].augmented == 1);
    CHECK(pg->demos[1].augmented == 0);
    CHECK(pg->demos[1].reasoning == NULL);
    CHECK(pg->demos[1].values[fi(r, "score_rationale")] == NULL);
    CHECK_STR(pg->demos[1].values[fi(r, "seller_id")], "seller/7");
    CHECK_STR(pg->demos[0].values[fi(r, "conversational_trend_score")], "7.0");
    CHECK(strstr(pg->demos[0].reasoning, "\x01 Tone") != NULL);
    char *again = program_state_json_new(pg, r);
    CHECK(same_bytes(again, want));
    /* and once more: parse -> write is a fixed point */
    program *pg2 = program_from_state_json_new(again, r, err);
    CHECK(pg2 != NULL);
    char *third = program_state_json_new(pg2, r);
    CHECK(same_bytes(third, want));
    free(third);
    program_free(pg2);
    free(again);
    program_free(pg);
    free(want);
    rubric_free(r);
}

TEST(program_parse_dspy26_numbers)
{
    rubric *r = rubric_default_new();
    r->dspy.version = DSPY_V26;   /* the fixtures are 2.6.27's bytes */
    char err[ERR_MAX] = "";
    char *s = fixture("dspy26_state.json");
    CHECK(s != NULL);
    program *pg = program_from_state_json_new(s, r, err);
    free(s);
    CHECK_MSG(pg != NULL, "%s", err);
    CHECK(pg->ndemos == 2);
    demo *a = &pg->demos[0], *b = &pg->demos[1];
    CHECK(!a->augmented && !a->reasoning);
    CHECK_STR(a->values[fi(r, "seller_id")], "s1");
    CHECK_STR(a->values[fi(r, "responsiveness_score")], "8.5");
    CHECK_STR(a->values[fi(r, "customer_negative_score")], "7");
    CHECK_STR(a->values[fi(r, "conversational_trend_score")], "8.0");
    CHECK_STR(a->values[fi(r, "overall_seller_score")], "1e-05");
    CHECK(b->augmented);
    CHECK_STR(b->reasoning, "42");
    CHECK_STR(b->values[fi(r, "responsiveness_score")], "9");
    CHECK_STR(b->values[fi(r, "customer_negative_score")], "-0.0");
    CHECK_STR(b->values[fi(r, "conversational_trend_score")], "1e+16");
    CHECK_STR(b->values[fi(r, "overall_seller_score")], "123456789012345678901");
    CHECK_STR(b->values[fi(r, "score_rationale")], "0.1");
    /* written back as they came: numbers stay numbers */
    char *w = program_state_json_new(pg, r);
    CHECK(strstr(w, "\"responsiveness_score\": 8.5"));
    CHECK(strstr(w, "\"overall_seller_score\": 1e-05") || strstr(w, "\"overall_seller_score\": 1e-5"));
    free(w);
    program_free(pg);
    rubric_free(r);
}

/* str() of each JSON number, as Python prints it (checked with CPython 3.11). */
TEST(program_python_number_str)
{
    static const char *cases[][2] = {
        {"1e-7", "1e-07"}, {"1.5e300", "1.5e+300"}, {"0.0001", "0.0001"},
        {"123.456", "123.456"}, {"1e15", "1000000000000000.0"}, {"1e16", "1e+16"},
        {"5e-324", "5e-324"}, {"1.7976931348623157e308", "1.7976931348623157e+308"},
        {"1e400", "inf"}, {"-1e400", "-inf"}, {"-1.25", "-1.25"}, {"100.0", "100.0"},
        {"2.5e-5", "2.5e-05"}, {"0.5", "0.5"}, {"1E2", "100.0"}, {"-0", "0"},
        {"-0.0", "-0.0"}, {"0.1", "0.1"}, {"0.30000000000000004", "0.30000000000000004"},
        {"12345678.9", "12345678.9"}, {"9007199254740993", "9007199254740993"},
        {"1.0000000000000002", "1.0000000000000002"},
        {"123456789012345680000.0", "1.2345678901234568e+20"}, {"0.00012", "0.00012"},
        {"1e-4", "0.0001"}, {"99999999999999999999", "99999999999999999999"},
        {"3.14159e0", "3.14159"}, {"1e+2", "100.0"}, {"0e0", "0.0"},
        {"1.23456789012e-8", "1.23456789012e-08"}, {"8", "8"}, {"8.50", "8.5"},
    };
    rubric *r = rubric_default_new();
    r->dspy.version = DSPY_V26;   /* the fixtures are 2.6.27's bytes */
    char *empty = fixture("golden_empty.json");
    CHECK(empty != NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* a number no score can be is refused now (issue 13) */
        if (strstr(cases[i][1], "inf")) continue;
        sbuf b = {0};
        const char *at = strstr(empty, "\"demos\": []");
        sbuf_addn(&b, empty, (size_t)(at - empty));
        sbuf_addf(&b, "\"demos\": [{\"responsiveness_score\": %s}]", cases[i][0]);
        sbuf_add(&b, at + strlen("\"demos\": []"));
        char err[ERR_MAX] = "";
        program *pg = program_from_state_json_new(b.s, r, err);
        sbuf_free(&b);
        CHECK_MSG(pg != NULL, "%s: %s", cases[i][0], err);
        CHECK_MSG(pg->ndemos == 1 && pg->demos[0].values[fi(r, "responsiveness_score")] &&
                      !strcmp(pg->demos[0].values[fi(r, "responsiveness_score")], cases[i][1]),
                  "%s -> '%s', wanted '%s'", cases[i][0],
                  pg->demos[0].values[fi(r, "responsiveness_score")], cases[i][1]);
        program_free(pg);
    }
    free(empty);
    rubric_free(r);
}

TEST(program_parse_dspy3)
{
    rubric *r = rubric_default_new();
    r->dspy.version = DSPY_V26;   /* the fixtures are 2.6.27's bytes */
    char err[ERR_MAX] = "";
    char *s = fixture("dspy3_state.json");
    CHECK(s != NULL);
    program *pg = program_from_state_json_new(s, r, err);
    free(s);
    CHECK_MSG(pg != NULL, "%s", err);
    /* same demos as the golden program: written back in the 2.6 bytes */
    char *w = program_state_json_new(pg, r);
    char *want = fixture("golden_state.json");
    CHECK(same_bytes(w, want));
    free(w);
    free(want);
    program_free(pg);
    s = fixture("dspy3_no_lm.json");
    CHECK(s != NULL);
    pg = program_from_state_json_new(s, r, err);
    free(s);
    CHECK_MSG(pg != NULL, "no lm / traces / train: %s", err);
    CHECK(pg->ndemos == 1);
    w = program_state_json_new(pg, r);
    CHECK(strstr(w, "\"traces\": [],\n    \"train\": [],"));
    CHECK(strstr(w, "\"lm\": null\n"));
    free(w);
    program_free(pg);
    rubric_free(r);
}

TEST(program_signature_mismatch)
{
    rubric *r = rubric_default_new();
    r->dspy.version = DSPY_V26;   /* the fixtures are 2.6.27's bytes */
    char err[ERR_MAX] = "";
    char *s = fixture("other_signature.json");
    CHECK(s != NULL);
    program *pg = program_from_state_json_new(s, r, err);
    free(s);
    CHECK(pg == NULL);
    CHECK_STR(err, "state is for another signature: field 4 is 'Sentiment Score:', "
                   "rubric expects 'Responsiveness Score:'");
    /* one field fewer / one more */
    char *g = fixture("golden_empty.json");
    CHECK(g != NULL);
    char *cut = strstr(g, ",\n        {\n          \"prefix\": \"Score Rationale:\"");
    CHECK(cut != NULL);
    char *end = strstr(cut, "}\n      ]");
    CHECK(end != NULL);
    sbuf b = {0};
    sbuf_addn(&b, g, (size_t)(cut - g));
    sbuf_add(&b, end + 1);
    pg = program_from_state_json_new(b.s, r, err);
    CHECK(pg == NULL);
    CHECK_STR(err, "state is for another signature: it has 7 fields, rubric "
                   "expects 8 (field 8 'Score Rationale:' is missing)");
    sbuf_free(&b);
    char *last = strstr(g, "}\n      ]");
    sbuf_addn(&b, g, (size_t)(last - g) + 1);
    sbuf_add(&b, ", {\"prefix\": \"Extra:\", \"description\": \"x\"}");
    sbuf_add(&b, last + 1);
    pg = program_from_state_json_new(b.s, r, err);
    CHECK(pg == NULL);
    CHECK_STR(err, "state is for another signature: it has 9 fields, rubric "
                   "expects 8 (field 9 is 'Extra:')");
    sbuf_free(&b);
    /* a Predict (no reasoning) signature */
    char *rs = strstr(g, "{\n          \"prefix\": \"Reasoning:");
    CHECK(rs != NULL);
    char *rend = strstr(rs, "},\n") + 3;
    sbuf_addn(&b, g, (size_t)(rs - g));
    sbuf_add(&b, rend);
    pg = program_from_state_json_new(b.s, r, err);
    CHECK(pg == NULL);
    CHECK(strstr(err, "field 3 is 'Responsiveness Score:', rubric expects "
                      "'Reasoning:' (DSPy 3.2+) or 'Reasoning: Let's think step "
                      "by step in order to' (DSPy 2.6-3.1)"));
    sbuf_free(&b);
    free(g);
    rubric_free(r);
}

/* Replaces the empty demos of golden_empty.json by demos_json. */
static program *parse_with_demos(const rubric *r, const char *demos_json, char *err)
{
    char *g = fixture("golden_empty.json");
    if (!g) return NULL;
    sbuf b = {0};
    const char *at = strstr(g, "[]");
    at = strstr(at + 2, "[]");   /* traces, train, then demos */
    at = strstr(at + 2, "[]");
    sbuf_addn(&b, g, (size_t)(at - g));
    sbuf_add(&b, demos_json);
    sbuf_add(&b, at + 2);
    program *pg = program_from_state_json_new(b.s, r, err);
    sbuf_free(&b);
    free(g);
    return pg;
}

TEST(program_demo_errors)
{
    rubric *r = rubric_default_new();
    r->dspy.version = DSPY_V26;   /* the fixtures are 2.6.27's bytes */
    char err[ERR_MAX] = "";
    /* a key DSPy does not know is DSPy's business: kept and written back */
    program *pg = parse_with_demos(r, "[{\"conversation\": \"x\", \"dspy_uuid\": \"u\"}]", err);
    CHECK_MSG(pg != NULL, "%s", err);
    char *w = program_state_json_new(pg, r);
    CHECK(strstr(w, "\"conversation\": \"x\",\n        \"dspy_uuid\": \"u\"\n"));
    free(w);
    program_free(pg);
    pg = parse_with_demos(r, "[{\"conversation\": \"x\"}, {\"seller_id\": true}]", err);
    CHECK(pg == NULL);
    CHECK_STR(err, "demo 2 \"seller_id\": expected a string or a number, got a boolean");
    pg = parse_with_demos(r, "[{\"conversation\": [\"x\"]}]", err);
    CHECK(pg == NULL);
    CHECK(strstr(err, "got an array"));
    pg = parse_with_demos(r, "[{\"conversation\": \"a\\u0000b\"}]", err);
    CHECK(pg == NULL);
    CHECK(strstr(err, "NUL"));
    pg = parse_with_demos(r, "[{\"augmented\": \"yes\"}]", err);
    CHECK(pg == NULL);
    CHECK(strstr(err, "\"augmented\": expected true or false"));
    pg = parse_with_demos(r, "[\"not an object\"]", err);
    CHECK(pg == NULL);
    CHECK_STR(err, "demo 1 is a string, expected an object");
    /* null = absent; duplicate keys: the last wins (as Python's json) */
    pg = parse_with_demos(r, "[{\"conversation\": \"a\", \"seller_id\": null, "
                             "\"conversation\": \"b\", \"augmented\": false}]", err);
    CHECK_MSG(pg != NULL, "%s", err);
    CHECK_STR(pg->demos[0].values[fi(r, "conversation")], "b");
    CHECK(pg->demos[0].values[fi(r, "seller_id")] == NULL);
    CHECK(pg->demos[0].augmented == 0);
    program_free(pg);
    rubric_free(r);
}

TEST(program_state_errors)
{
    rubric *r = rubric_default_new();
    r->dspy.version = DSPY_V26;   /* the fixtures are 2.6.27's bytes */
    char err[ERR_MAX];
    static const struct { const char *json, *want; } cases[] = {
        {"", "not valid JSON: line 1 column 1: expected a value"},
        {"{\"a\": 1,}", "not valid JSON: line 1 column 9: expected a property name in double quotes"},
        {"{\n  \"a\": tru}", "not valid JSON: line 2 column 8: expected a value"},
        {"[1, 2]", "not a DSPy program state: the top level is an array, expected an object"},
        {"{} x", "not valid JSON: line 1 column 4: extra data after the JSON value"},
        {"{\"x\": Nan}", "not valid JSON: line 1 column 7: expected a value"},
        {"{\"a\": \"\x01\"}", "not valid JSON: line 1 column 8: control character in a string"},
        {"{\"a\": \"\xff\"}", "not valid JSON: line 1 column 8: invalid UTF-8"},
        {"{\"a\": \"\\ud800\"}", "not valid JSON: line 1 column 14: lone UTF-16 surrogate in a \\u escape"},
        {"{\"a\": \"\\q\"}", "not valid JSON: line 1 column 8: invalid escape in a string"},
        {"{\"a\": 01}", "not valid JSON: line 1 column 8: expected ',' or '}'"},
        {"{\"a\": 1.}", "not valid JSON: line 1 column 9: invalid number"},
        {"{\"analyze\": {}, \"metadata\": {}}",
         "not a ChatAnalyzer state (analyze = dspy.ChainOfThought): no \"analyze.predict\" "
         "predictor (it has \"analyze\")"},
        {"{\"analyze.predict\": []}", "\"analyze.predict\" is an array, expected an object"},
        {"{\"analyze.predict\": {\"signature\": {}}}", "\"analyze.predict\" has no \"demos\" array"},
        {"{\"analyze.predict\": {\"demos\": []}}",
         "not a DSPy 2.6+ program state: \"analyze.predict\" has no \"signature\""},
        {"{\"analyze.predict\": {\"demos\": [], \"signature_instructions\": \"x\", "
         "\"extended_signature_instructions\": \"y\"}}",
         "a DSPy 2.5 state (\"signature_instructions\") is not supported: load and save "
         "it with DSPy 2.6 or later"},
        {"{\"analyze.predict\": {\"demos\": [], \"lm\": 3, \"signature\": {}}}",
         "\"lm\" is a number, expected null or an object"},
        {"{\"analyze.predict\": {\"demos\": [], \"train\": {}, \"signature\": {}}}",
         "\"train\" is an object, expected an array"},
        {"{\"analyze.predict\": {\"demos\": [], \"signature\": {\"fields\": []}}}",
         "\"signature\" has no \"instructions\" string"},
        {"{\"analyze.predict\": {\"demos\": [], \"signature\": {\"instructions\": \"i\"}}}",
         "\"signature\" has no \"fields\" array"},
        {"{\"analyze.predict\": {\"demos\": [], \"signature\": {\"instructions\": \"i\", "
         "\"fields\": [{\"description\": \"d\"}]}}}",
         "signature field 1 has no \"prefix\" string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        program *pg = program_from_state_json_new(cases[i].json, r, err);
        CHECK_MSG(pg == NULL, "case %zu parsed", i);
        CHECK_MSG(strcmp(err, cases[i].want) == 0, "case %zu: got '%s', wanted '%s'", i,
                  err, cases[i].want);
    }
    CHECK(program_from_state_json_new(NULL, r, err) == NULL);
    rubric_free(r);
}

TEST(program_parse_robust)
{
    rubric *r = rubric_default_new();
    r->dspy.version = DSPY_V26;   /* the fixtures are 2.6.27's bytes */
    char err[ERR_MAX];
    char *g = fixture("golden_state.json");
    CHECK(g != NULL);
    size_t n = strlen(g);
    /* every truncation fails cleanly (and leaks nothing, under ASan) */
    for (size_t i = 0; i < n; i++) {
        char *t = xstrndup(g, i);
        program *pg = program_from_state_json_new(t, r, err);
        CHECK_MSG(pg == NULL, "truncated at %zu parsed", i);
        free(t);
    }
    /* a UTF-8 BOM and surrounding whitespace are fine */
    sbuf b = {0};
    sbuf_add(&b, "\xef\xbb\xbf \n");
    sbuf_add(&b, g);
    sbuf_add(&b, "\n\n");
    program *pg = program_from_state_json_new(b.s, r, err);
    CHECK_MSG(pg != NULL, "%s", err);
    program_free(pg);
    sbuf_free(&b);
    /* deep nesting is refused, not a stack overflow */
    for (int i = 0; i < 100000; i++) sbuf_addc(&b, '[');
    pg = program_from_state_json_new(b.s, r, err);
    CHECK(pg == NULL);
    CHECK(strstr(err, "nested too deeply"));
    sbuf_free(&b);
    free(g);
    rubric_free(r);
}

TEST(program_escaping)
{
    rubric *r = rubric_default_new();
    r->dspy.version = DSPY_V26;   /* the fixtures are 2.6.27's bytes */
    program *pg = program_new();
    demo d = {0};
    /* every control character, quote, backslash, slash, DEL, U+2028,
     * an emoji and invalid UTF-8 */
    sbuf v = {0};
    for (int c = 1; c < 0x20; c++) sbuf_addc(&v, (char)c);
    sbuf_add(&v, "\"\\/\x7f\xe2\x80\xa8\xf0\x9f\x98\x80|\xff|\xc3|\xed\xa0\x80|");
    d.values[fi(r, "seller_id")] = sbuf_take(&v);
    program_add_demo(pg, &d);
    demo_clear(&d);
    char *s = program_state_json_new(pg, r);
    const char *want =
        "\"seller_id\": \"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n"
        "\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016"
        "\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\\\"\\\\\\/"
        "\x7f\xe2\x80\xa8\xf0\x9f\x98\x80|\xef\xbf\xbd|\xef\xbf\xbd|"
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\"";
    CHECK_MSG(strstr(s, want) != NULL, "%s", s);
    /* and it reads back as the same text (invalid bytes now U+FFFD) */
    char err[ERR_MAX];
    program *back = program_from_state_json_new(s, r, err);
    CHECK_MSG(back != NULL, "%s", err);
    const char *sv = back->demos[0].values[fi(r, "seller_id")];
    CHECK(sv[0] == 1 && sv[31] == '"' && sv[32] == '\\' && sv[33] == '/');
    program_free(back);
    free(s);
    program_free(pg);
    rubric_free(r);
}

TEST(program_custom_rubric)
{
    char err[ERR_MAX];
    rubric *r = rubric_parse_new(
        "{\"name\": \"TicketSig\", \"instructions\": \"Rate the ticket.\\nBe fair.\","
        " \"fields\": [{\"name\": \"ticketText\", \"kind\": \"input\", \"description\": \"t\"},"
        "  {\"name\": \"HTTP_status\", \"kind\": \"input\"},"
        "  {\"name\": \"quality\", \"kind\": \"score\", \"weight\": 1, \"description\": \"q\"},"
        "  {\"name\": \"overall\", \"kind\": \"overall\", \"description\": \"o\"}]}",
        "test", err);
    CHECK_MSG(r != NULL, "%s", err);
    program *pg = program_new();
    char *s = program_state_json_new(pg, r);
    CHECK(strstr(s, "\"instructions\": \"Rate the ticket.\\nBe fair.\""));
    CHECK(strstr(s, "{\n          \"prefix\": \"Ticket Text:\",\n          \"description\": \"t\"\n        }"));
    CHECK(strstr(s, "\"prefix\": \"HTTP Status:\",\n          \"description\": \"${HTTP_status}\""));
    const char *a = strstr(s, "HTTP Status:"), *b = strstr(s, "Reasoning:"),
               *c = strstr(s, "\"Quality:\""), *d = strstr(s, "\"Overall:\"");
    CHECK(a && b && c && d && a < b && b < c && c < d);
    program *back = program_from_state_json_new(s, r, err);
    CHECK_MSG(back != NULL, "%s", err);
    program_free(back);
    /* and the default rubric refuses it */
    rubric *def = rubric_default_new();
    CHECK(program_from_state_json_new(s, def, err) == NULL);
    CHECK_STR(err, "state is for another signature: field 1 is 'Ticket Text:', "
                   "rubric expects 'Conversation:'");
    rubric_free(def);
    free(s);
    program_free(pg);
    rubric_free(r);
}

/* Issue 13: what import-program once accepted without a word. */
TEST(program_refuses_or_warns_precisely)
{
    rubric *r = rubric_default_new();
    char err[ERR_MAX] = "";
    program *pg = parse_with_demos(r, "[{\"conversation\": \"a\", \"responsiveness_score\": \"8\"}, {}]", err);
    CHECK(pg == NULL);
    CHECK_STR(err, "demo 2 is empty: it has none of the signature's fields");
    pg = parse_with_demos(r, "[{\"conversation\": \"a\", \"responsiveness_score\": NaN}]", err);
    CHECK(pg == NULL);
    CHECK_STR(err, "demo 1 \"responsiveness_score\": nan is not a score (the field is 0-10)");
    pg = parse_with_demos(r, "[{\"conversation\": \"a\", \"overall_seller_score\": -Infinity}]", err);
    CHECK(pg == NULL);
    CHECK(strstr(err, "demo 1 \"overall_seller_score\": -inf is not a score"));
    pg = parse_with_demos(r, "[{\"conversation\": \"a\", \"responsiveness_score\": 1e308}]", err);
    CHECK_MSG(pg != NULL, "%s", err);
    CHECK_STR(pg->warnings, "demo 1 \"responsiveness_score\": 1e+308 is outside "
                            "the field's range 0-10");
    program_free(pg);
    pg = parse_with_demos(r, "[{\"conversation\": \"a\", \"responsiveness_score\": \"8\"}]", err);
    CHECK(pg != NULL && pg->warnings == NULL);
    program_free(pg);
    /* another predictor, other instructions */
    char *g = fixture("golden_empty.json");
    CHECK(g != NULL);
    sbuf b = {0};
    sbuf_add(&b, "{\"other.predict\": {},");
    sbuf_add(&b, g + 1);
    pg = program_from_state_json_new(b.s, r, err);
    CHECK(pg == NULL);
    CHECK_STR(err, "the state has another predictor \"other.predict\": "
                   "ChatAnalyzer has only \"analyze.predict\"");
    sbuf_free(&b);
    const char *ins = strstr(g, "Analyze a travel");
    CHECK(ins != NULL);
    sbuf_addn(&b, g, (size_t)(ins - g));
    sbuf_add(&b, "Rate harshly. ");
    sbuf_add(&b, ins);
    pg = program_from_state_json_new(b.s, r, err);
    CHECK_MSG(pg != NULL, "%s", err);
    CHECK(pg->warnings && strstr(pg->warnings, "the state's instructions differ"));
    program_free(pg);
    sbuf_free(&b);
    free(g);
    /* refused up front: beyond PROGRAM_STATE_MAX bytes */
    size_t big = PROGRAM_STATE_MAX + 2;
    char *huge = xmalloc(big + 1);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    huge[big] = '\0';
    pg = program_from_state_json_new(huge, r, err);
    free(huge);
    CHECK(pg == NULL);
    CHECK(strstr(err, "at most 16 MiB are accepted"));
    rubric_free(r);
}
