/* test_rubric.c: rubric loading, score validation, overall formula,
 * DSPy prefixes. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "../../core/prompt.h"
#include "../../core/rubric.h"
#include "../../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static double v(const rubric *r, const char *field, const char *text, int *ok)
{
    double out = -99;
    *ok = rubric_validate_score(&r->fields[rubric_field_index(r, field)], text, &out);
    return out;
}

TEST(rubric_default_fields)
{
    rubric *r = rubric_default_new();
    CHECK(r != NULL);
    CHECK(r->nfields == 7);
    CHECK_STR(r->fields[0].name, "conversation");
    CHECK(r->fields[0].kind == FIELD_INPUT);
    int ni = rubric_field_index(r, "customer_negative_score");
    CHECK(ni == 3);
    CHECK(r->fields[ni].higher_is_better == 0);
    CHECK_NEAR(r->fields[2].weight, 0.4, 1e-9);
    CHECK(rubric_overall_index(r) == 5);
    CHECK(r->fields[6].kind == FIELD_TEXT);
    CHECK_STR(r->instructions, "Analyze a travel seller's WhatsApp conversation and score their performance.");
    rubric_free(r);
}

TEST(rubric_validate_numbers)
{
    rubric *r = rubric_default_new();
    int ok;
    CHECK_NEAR(v(r, "responsiveness_score", "7", &ok), 7, 1e-9); CHECK(ok);
    CHECK_NEAR(v(r, "responsiveness_score", "7.456", &ok), 7.46, 1e-9); CHECK(ok);
    CHECK_NEAR(v(r, "responsiveness_score", " 8.0 ", &ok), 8, 1e-9); CHECK(ok);
    CHECK_NEAR(v(r, "responsiveness_score", "8/10", &ok), 8, 1e-9); CHECK(ok);
    CHECK_NEAR(v(r, "responsiveness_score", "4/5", &ok), 8, 1e-9); CHECK(ok);
    CHECK_NEAR(v(r, "responsiveness_score", "14", &ok), 10, 1e-9); CHECK(ok);
    CHECK_NEAR(v(r, "responsiveness_score", "-3", &ok), 0, 1e-9); CHECK(ok);
    CHECK_NEAR(v(r, "responsiveness_score", "8.5\nbecause fast", &ok), 8.5, 1e-9); CHECK(ok);
    CHECK_NEAR(v(r, "responsiveness_score", ".5", &ok), 0.5, 1e-9); CHECK(ok);
    rubric_free(r);
}

TEST(rubric_validate_non_numbers)
{
    rubric *r = rubric_default_new();
    int ok;
    const char *bad[] = {"seven", "", "   ", "NaN", "nan", "inf", "-inf",
                         "Infinity", "0x10", "8 points", "high", "1e400", NULL};
    for (int i = 0; bad[i]; i++) {
        v(r, "responsiveness_score", bad[i], &ok);
        CHECK_MSG(!ok, "'%s' should be NULL", bad[i]);
    }
    v(r, "responsiveness_score", NULL, &ok);
    CHECK(!ok);
    rubric_free(r);
}

TEST(rubric_overall_orientation)
{
    rubric *r = rubric_default_new();
    scoreset s = {0};
    s.v[2] = 8; s.set[2] = 1;   /* responsiveness */
    s.v[3] = 2; s.set[3] = 1;   /* negativity: higher is worse -> 10-2 */
    s.v[4] = 6; s.set[4] = 1;   /* trend */
    double o;
    CHECK(rubric_overall_from(r, &s, &o) == 0);
    CHECK_NEAR(o, 0.4 * 8 + 0.3 * 8 + 0.3 * 6, 1e-9);
    s.set[4] = 0;
    CHECK(rubric_overall_from(r, &s, &o) == -1);
    rubric_free(r);
}

TEST(rubric_scores_json_roundtrip)
{
    rubric *r = rubric_default_new();
    scoreset s = {0}, t;
    s.v[2] = 8.25; s.set[2] = 1;
    s.v[5] = 7; s.set[5] = 1;
    char *j = rubric_scores_to_json_new(r, &s);
    CHECK(strstr(j, "\"customer_negative_score\":null") != NULL);
    CHECK(rubric_scores_from_json(r, j, &t, NULL) == 0);
    free(j);
    CHECK(t.set[2] && t.v[2] == 8.25);
    CHECK(!t.set[3]);
    CHECK(t.set[5] && t.v[5] == 7);
    rubric_free(r);
}

TEST(rubric_prefixes_like_dspy)
{
    const char *cases[][2] = {
        {"seller_id", "Seller Id:"},
        {"responsiveness_score", "Responsiveness Score:"},
        {"customer_negative_score", "Customer Negative Score:"},
        {"score_rationale", "Score Rationale:"},
        {"conversation", "Conversation:"},
        {"sellerID", "Seller ID:"},
        {"camelCaseName", "Camel Case Name:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = rubric_prefix_new(cases[i][0]);
        CHECK_STR(p, cases[i][1]);
        free(p);
    }
}

TEST(rubric_load_errors_name_the_field)
{
    char err[ERR_MAX];
    rubric *r = rubric_parse_new("{\"instructions\":\"x\",\"fields\":[{\"name\":\"a\",\"kind\":\"input\"},"
                                 "{\"name\":\"s\",\"kind\":\"sore\"}]}", "r.json", err);
    CHECK(r == NULL);
    CHECK(strstr(err, "r.json: fields[1] (s).kind") != NULL);
    r = rubric_parse_new("{\"fields\":[]}", "r.json", err);
    CHECK(r == NULL && strstr(err, "instructions") != NULL);
    r = rubric_parse_new("not json", "r.json", err);
    CHECK(r == NULL && strstr(err, "r.json: not a JSON object") != NULL);
    r = rubric_parse_new("{\"instructions\":\"x\",\"fields\":[{\"name\":\"s\",\"kind\":\"score\"},"
                         "{\"name\":\"a\",\"kind\":\"input\"}]}", "r.json", err);
    CHECK(r == NULL && strstr(err, "inputs must come before outputs") != NULL);
    r = rubric_parse_new("{\"instructions\":\"x\",\"fields\":[{\"name\":\"a\",\"kind\":\"input\"},"
                         "{\"name\":\"s\",\"kind\":\"score\",\"range\":[5,1]}]}", "r.json", err);
    CHECK(r == NULL && strstr(err, "range") != NULL);
}

TEST(rubric_custom_roundtrip)
{
    char err[ERR_MAX];
    const char *js = "{\"name\":\"Support\",\"instructions\":\"Rate support.\",\"fields\":["
                     "{\"name\":\"ticket\",\"kind\":\"input\",\"description\":\"t\"},"
                     "{\"name\":\"empathy\",\"kind\":\"score\",\"weight\":1,\"range\":[1,5]},"
                     "{\"name\":\"overall\",\"kind\":\"overall\",\"range\":[1,5]}]}";
    rubric *r = rubric_parse_new(js, "support.json", err);
    CHECK_MSG(r != NULL, "%s", err);
    int ok;
    double x = v(r, "empathy", "9", &ok);
    CHECK(ok && x == 5);
    char *out = rubric_to_json_new(r);
    rubric *r2 = rubric_parse_new(out, "again", err);
    free(out);
    CHECK(r2 && r2->nfields == 3 && r2->fields[1].lo == 1 && r2->fields[1].hi == 5);
    rubric_free(r2);
    rubric_free(r);
}

TEST(rubric_overall_across_scales)
{
    char err[ERR_MAX];
    rubric *r = rubric_parse_new("{\"instructions\":\"x\",\"fields\":["
        "{\"name\":\"t\",\"kind\":\"input\"},"
        "{\"name\":\"a\",\"kind\":\"score\",\"weight\":1,\"range\":[0,100]},"
        "{\"name\":\"b\",\"kind\":\"score\",\"weight\":1,\"range\":[1,5],\"higher_is_better\":false},"
        "{\"name\":\"o\",\"kind\":\"overall\"}]}", "scales", err);
    CHECK_MSG(r != NULL, "%s", err);
    scoreset s = {0};
    s.v[1] = 90; s.set[1] = 1;   /* 0.9 of its range */
    s.v[2] = 2; s.set[2] = 1;    /* 0.25 of 1-5, worse when higher: 0.75 */
    double o;
    CHECK(rubric_overall_from(r, &s, &o) == 0);
    CHECK_NEAR(o, 8.25, 1e-9);   /* on the overall's 0-10 */
    rubric_free(r);
}

/* The pool records its rubric; rubric_diff says what another one changes. */
TEST(rubric_diff_names_differences)
{
    char err[ERR_MAX], d[ERR_MAX];
    rubric *a = rubric_default_new(), *b = rubric_default_new();
    CHECK(rubric_diff(a, b, d, sizeof d) == 0);
    CHECK_STR(d, "");
    rubric *c = rubric_parse_new(
        "{\"name\": \"S\", \"instructions\": \"Rate.\", \"fields\": ["
        "{\"name\": \"conversation\", \"kind\": \"input\", \"description\": \"The full WhatsApp conversation transcript\"},"
        "{\"name\": \"quality\", \"kind\": \"score\", \"weight\": 1, \"description\": \"q\"}]}",
        "c.json", err);
    CHECK_MSG(c != NULL, "%s", err);
    CHECK(rubric_diff(a, c, d, sizeof d) == 1);
    CHECK_MSG(strncmp(d, "field 'quality' only in the new rubric; fields 'seller_id', "
                         "'responsiveness_score', ", 62) == 0, "%s", d);
    /* One range changed. */
    int i = rubric_field_index(b, "customer_negative_score");
    b->fields[i].hi = 5;
    CHECK(rubric_diff(a, b, d, sizeof d) == 1);
    CHECK_STR(d, "field 'customer_negative_score': range 0-10 -> 0-5");
    rubric_free(a);
    rubric_free(b);
    rubric_free(c);
}

/* Issue 13: "7,5" was cut to 7 (the comma read as a separator). An
 * unambiguous decimal comma is 7.5; an ambiguous one is no number (NULL,
 * the raw text kept), never a truncated value. */
TEST(rubric_decimal_comma)
{
    rubric *r = rubric_default_new();
    int ok;
    CHECK_NEAR(v(r, "responsiveness_score", "7,5", &ok), 7.5, 1e-9); CHECK(ok);
    CHECK_NEAR(v(r, "responsiveness_score", " 8,25 ", &ok), 8.25, 1e-9); CHECK(ok);
    CHECK_NEAR(v(r, "responsiveness_score", "7,5/10", &ok), 7.5, 1e-9); CHECK(ok);
    CHECK_NEAR(v(r, "responsiveness_score", "7,5\nbecause", &ok), 7.5, 1e-9); CHECK(ok);
    CHECK_NEAR(v(r, "responsiveness_score", "-0,5", &ok), 0, 1e-9); CHECK(ok);
    /* a comma then words stays a separator */
    CHECK_NEAR(v(r, "responsiveness_score", "7, good", &ok), 7, 1e-9); CHECK(ok);
    static const char *ambiguous[] = {"7,500", "7,5,3", "7.5,5", "7,5.1",
                                      "1,000"};
    for (size_t i = 0; i < sizeof ambiguous / sizeof *ambiguous; i++) {
        v(r, "responsiveness_score", ambiguous[i], &ok);
        CHECK_MSG(!ok, "'%s' accepted", ambiguous[i]);
    }
    rubric_free(r);
}

/* The "guidelines" key (issue 17): text, or a Markdown file beside the
 * rubric; never part of the task (canonical JSON, diff). */
TEST(rubric_guidelines_text_file_and_errors)
{
    char err[ERR_MAX];
    const char *head = "{\"instructions\":\"Rate.\",\"fields\":["
                       "{\"name\":\"t\",\"kind\":\"input\"},"
                       "{\"name\":\"empathy_score\",\"kind\":\"score\",\"weight\":1,"
                       "\"description\":\"0-10 empathy\",\"range\":[0,5]},"
                       "{\"name\":\"why\",\"kind\":\"text\",\"description\":\"reasons\"}]";
    char js[1024];
    snprintf(js, sizeof js, "%s, \"guidelines\": \"Be kind.\\nScore 5 for warmth.\"}", head);
    rubric *r = rubric_parse_new(js, "r.json", err);
    CHECK_MSG(r && r->guidelines && !strcmp(r->guidelines, "Be kind.\nScore 5 for warmth."), "%s", err);
    char *t = rubric_guidelines_text_new(r);
    CHECK(strstr(t, "Instructions: Rate.\n"));
    CHECK_MSG(strstr(t, "  empathy_score (0-5, higher is better, weight 1)\n    0-10 empathy\n"), "%s", t);
    CHECK(strstr(t, "  why\n    reasons\n"));
    CHECK(strstr(t, "Guidelines:\nBe kind.\nScore 5 for warmth.\n"));
    free(t);
    /* not the task: the canonical JSON (what a pool records) leaves it out */
    char *canon = rubric_to_json_new(r);
    CHECK(!strstr(canon, "guidelines") && !strstr(canon, "Be kind"));
    snprintf(js, sizeof js, "%s}", head);
    rubric *plain = rubric_parse_new(js, "p.json", err);
    char diff[256];
    CHECK(plain && rubric_diff(plain, r, diff, sizeof diff) == 0);
    rubric_free(plain);
    free(canon);
    rubric_free(r);

    /* a Markdown file, relative to the rubric file's folder */
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/gl", test_tmpdir());
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/guide.md", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("# Guide\n\n**Empathy**: warmth.\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/rubric.json", dir);
    f = fopen(path, "w");
    fprintf(f, "%s, \"guidelines\": \"guide.md\"}", head);
    fclose(f);
    r = rubric_load_new(path, err);
    CHECK_MSG(r && r->guidelines && !strcmp(r->guidelines, "# Guide\n\n**Empathy**: warmth.\n"), "%s", err);
    rubric_free(r);
    /* errors name the file and the key */
    f = fopen(path, "w");
    fprintf(f, "%s, \"guidelines\": \"missing.md\"}", head);
    fclose(f);
    r = rubric_load_new(path, err);
    CHECK(r == NULL);
    CHECK_MSG(strstr(err, "rubric.json: guidelines: cannot read 'missing.md'"), "%s", err);
    snprintf(js, sizeof js, "%s, \"guidelines\": 3}", head);
    r = rubric_parse_new(js, "r.json", err);
    CHECK(r == NULL && strstr(err, "r.json: guidelines: expected text or the path"));
    snprintf(js, sizeof js, "%s, \"guidelines\": \"bad \xff text\"}", head);
    r = rubric_parse_new(js, "r.json", err);
    CHECK_MSG(r == NULL && strstr(err, "r.json: guidelines: the text is not UTF-8"), "%s", err);
    /* the built-in rubric carries guidelines for a new reviewer; they
     * never reach the model (the system prompt is the signature's) */
    r = rubric_default_new();
    CHECK(r && r->guidelines && strstr(r->guidelines, "LOWER is better"));
    char *sys = prompt_system_new(r);
    CHECK(sys && !strstr(sys, "LOWER is better") && !strstr(sys, "Guidelines"));
    free(sys);
    rubric_free(r);
}
