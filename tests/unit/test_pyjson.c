/* test_pyjson.c: JSON as DSPy's JSONAdapter writes and reads it (Python's
 * json.dumps, str() of what json_repair returns), beyond the golden files
 * of test_dspy_golden.c. The expected strings are what CPython 3.11 gives
 * (json.dumps(s) / str(json.loads(...)["a"])). */
#include "test.h"
#include "../../core/pyjson.h"

#include <stdlib.h>

static char *dump(const char *s, int ascii)
{
    sbuf b = {0};
    pyjson_dump_string(&b, s, ascii);
    return sbuf_take(&b);
}

/* str() of the value of "a" in text, or NULL when it is not an object. */
static char *value_of(const char *text)
{
    pyjson_obj o;
    if (pyjson_parse_object(text, strlen(text), &o) < 0) return NULL;
    char *v = NULL;
    for (size_t i = 0; i < o.n; i++)
        if (!strcmp(o.keys[i], "a")) v = o.vals[i], o.vals[i] = NULL;
    pyjson_obj_clear(&o);
    return v;
}

#define VALUE_IS(text, want)                                            \
    do {                                                                \
        char *v_ = value_of(text);                                      \
        CHECK_MSG(v_ && !strcmp(v_, want), "%s -> %s, want %s", text,   \
                  v_ ? v_ : "(not an object)", want);                   \
        free(v_);                                                       \
    } while (0)

TEST(pyjson_dumps_as_python)
{
    char *s = dump("caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\ \x7f\x01", 1);
    CHECK_STR(s, "\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\u007f\\u0001\"");
    free(s);
    s = dump("caf\xc3\xa9 \xf0\x9f\x98\x80 \x7f\x01\t", 0);
    CHECK_STR(s, "\"caf\xc3\xa9 \xf0\x9f\x98\x80 \x7f\\u0001\\t\"");
    free(s);
}

TEST(pyjson_values_as_python_str)
{
    VALUE_IS("{\"a\": 1e16}", "1e+16");
    VALUE_IS("{\"a\": 1.5e15}", "1500000000000000.0");
    VALUE_IS("{\"a\": 0.0001}", "0.0001");
    VALUE_IS("{\"a\": 0.00001}", "1e-05");
    VALUE_IS("{\"a\": -0.0}", "-0.0");
    VALUE_IS("{\"a\": 0.30000000000000004}", "0.30000000000000004");
    VALUE_IS("{\"a\": 123456789.0}", "123456789.0");
    VALUE_IS("{\"a\": 5e-324}", "5e-324");
    VALUE_IS("{\"a\": -0}", "0");
    VALUE_IS("{\"a\": 123456789012345678901234}", "123456789012345678901234");
    VALUE_IS("{\"a\": [\"x\\ny\", \"\\u00a0\", {\"k\": null}]}",
             "['x\\ny', '\\xa0', {'k': None}]");
    VALUE_IS("{\"a\": \"it's \\\"q\\\"\"}", "it's \"q\"");
    VALUE_IS("{\"a\": [\"it's \\\"q\\\"\"]}", "['it\\'s \"q\"']");
    VALUE_IS("{\"a\": \"\\ud83d\\ude00\"}", "\xf0\x9f\x98\x80");
    VALUE_IS("{\"a\": 1, \"a\": 2,}", "2");             /* json_repair */
    CHECK(value_of("{\"a\": 1") == NULL);               /* not repaired */
    CHECK(value_of("{\"a\": 1} x") == NULL);
    CHECK(value_of("[{\"a\": 1}]") == NULL);
}

TEST(pyjson_balanced_as_the_regex)
{
    const char *t = "x {a {b} c} {d}";
    const char *e = pyjson_balanced_end(strchr(t, '{'));
    CHECK(e && !strcmp(e, " {d}"));
    CHECK(pyjson_balanced_end("{ {a} ") == NULL);
    e = pyjson_balanced_end("{\"s\": \"}\"} tail");   /* strings count too */
    CHECK(e && !strcmp(e, "\"} tail"));
}
