/* test_prompt.c: DSPy ChatAdapter layout (golden text), answer parsing,
 * JSON schema. */
#include "test.h"
#include "../../core/prompt.h"
#include "../../core/util.h"

#include <stdlib.h>

static const char *tiny_json =
    "{\"name\": \"Tiny\", \"instructions\": \"Rate the seller.\\nBe fair.\","
    " \"fields\": ["
    "  {\"name\": \"conversation\", \"kind\": \"input\", \"description\": \"The chat\"},"
    "  {\"name\": \"seller_id\", \"kind\": \"input\", \"description\": \"Seller identifier\"},"
    "  {\"name\": \"speed_score\", \"kind\": \"score\", \"weight\": 1,"
    "   \"description\": \"Score 0-10: speed\"},"
    "  {\"name\": \"note\", \"kind\": \"text\"}"
    " ]}";

static const char *tiny_system =
    "Your input fields are:\n"
    "1. `conversation` (str): The chat\n"
    "2. `seller_id` (str): Seller identifier\n"
    "Your output fields are:\n"
    "1. `reasoning` (str): \n"
    "2. `speed_score` (str): Score 0-10: speed\n"
    "3. `note` (str):\n"
    "All interactions will be structured in the following way, with the "
    "appropriate values filled in.\n"
    "\n"
    "[[ ## conversation ## ]]\n{conversation}\n\n"
    "[[ ## seller_id ## ]]\n{seller_id}\n\n"
    "[[ ## reasoning ## ]]\n{reasoning}\n\n"
    "[[ ## speed_score ## ]]\n{speed_score}\n\n"
    "[[ ## note ## ]]\n{note}\n\n"
    "[[ ## completed ## ]]\n"
    "In adhering to this structure, your objective is: \n"
    "        Rate the seller.\n"
    "        Be fair.";

static rubric *tiny(void)
{
    char err[ERR_MAX];
    rubric *r = rubric_parse_new(tiny_json, "tiny", err);
    if (!r) fprintf(stderr, "tiny rubric: %s\n", err);
    return r;
}

static const char *msg_content(const cJSON *arr, int i, const char **role)
{
    const cJSON *m = cJSON_GetArrayItem(arr, i);
    *role = cJSON_GetObjectItem(m, "role")->valuestring;
    return cJSON_GetObjectItem(m, "content")->valuestring;
}

TEST(prompt_system_golden)
{
    rubric *r = tiny();
    CHECK(r);
    char *s = prompt_system_new(r);
    CHECK_STR(s, tiny_system);
    free(s);
    rubric_free(r);
}

TEST(prompt_messages_golden_with_demos)
{
    rubric *r = tiny();
    CHECK(r);
    /* A bootstrapped demo first, a labeled one second: DSPy puts the
     * incomplete (labeled, no reasoning) demo first. */
    demo d[2];
    memset(d, 0, sizeof d);
    d[0].values[0] = "C2"; d[0].values[1] = "s2";
    d[0].values[2] = "9.5"; d[0].values[3] = "very quick";
    d[0].reasoning = "Fast replies."; d[0].augmented = 1;
    d[1].values[0] = "C1"; d[1].values[1] = "s1";
    d[1].values[2] = "8"; d[1].values[3] = "quick";
    program pg = {d, 2, 2, 0, DSPY_V3, NULL};
    char *inputs[RUBRIC_MAX_FIELDS] = {"REAL\nline 2", "s3"};
    cJSON *msgs = prompt_messages_new(r, &pg, inputs);
    CHECK(cJSON_GetArraySize(msgs) == 6);
    const char *role, *c;
    c = msg_content(msgs, 0, &role);
    CHECK_STR(role, "system");
    CHECK_STR(c, tiny_system);
    c = msg_content(msgs, 1, &role);
    CHECK_STR(role, "user");
    CHECK_STR(c, "This is an example of the task, though some input or output "
                 "fields are not supplied.\n\n"
                 "[[ ## conversation ## ]]\nC1\n\n[[ ## seller_id ## ]]\ns1");
    c = msg_content(msgs, 2, &role);
    CHECK_STR(role, "assistant");
    CHECK_STR(c, "[[ ## reasoning ## ]]\nNot supplied for this particular "
                 "example. \n\n[[ ## speed_score ## ]]\n8\n\n"
                 "[[ ## note ## ]]\nquick\n\n[[ ## completed ## ]]\n");
    c = msg_content(msgs, 3, &role);
    CHECK_STR(role, "user");
    CHECK_STR(c, "[[ ## conversation ## ]]\nC2\n\n[[ ## seller_id ## ]]\ns2");
    c = msg_content(msgs, 4, &role);
    CHECK_STR(role, "assistant");
    CHECK_STR(c, "[[ ## reasoning ## ]]\nFast replies.\n\n"
                 "[[ ## speed_score ## ]]\n9.5\n\n"
                 "[[ ## note ## ]]\nvery quick\n\n[[ ## completed ## ]]\n");
    c = msg_content(msgs, 5, &role);
    CHECK_STR(role, "user");
    CHECK_STR(c, "[[ ## conversation ## ]]\nREAL\nline 2\n\n"
                 "[[ ## seller_id ## ]]\ns3\n\n"
                 "Respond with the corresponding output fields, starting with "
                 "the field `[[ ## reasoning ## ]]`, then "
                 "`[[ ## speed_score ## ]]`, then `[[ ## note ## ]]`, and then "
                 "ending with the marker for `[[ ## completed ## ]]`.");
    cJSON_Delete(msgs);
    rubric_free(r);
}

TEST(prompt_default_rubric_layout)
{
    rubric *r = rubric_default_new();
    CHECK(r);
    char *s = prompt_system_new(r);
    CHECK(strncmp(s, "Your input fields are:\n1. `conversation` (str): The "
                     "full WhatsApp conversation transcript\n2. `seller_id` "
                     "(str): Seller identifier\nYour output fields are:\n1. "
                     "`reasoning` (str): \n2. `responsiveness_score` (str): "
                     "Score 0-10: response time", 200) == 0);
    CHECK(strstr(s, "\n[[ ## completed ## ]]\nIn adhering to this structure, "
                    "your objective is: \n        Analyze a travel seller's "
                    "WhatsApp conversation and score their performance."));
    CHECK(strstr(s, "6. `score_rationale` (str): Brief reasoning"));
    free(s);
    char *in[RUBRIC_MAX_FIELDS] = {"hi", "S1"};
    char *json = prompt_messages_json_new(r, NULL, in);
    cJSON *arr = cJSON_Parse(json);
    CHECK(cJSON_GetArraySize(arr) == 2);
    const char *role;
    const char *u = msg_content(arr, 1, &role);
    CHECK(strstr(u, "starting with the field `[[ ## reasoning ## ]]`, then "
                    "`[[ ## responsiveness_score ## ]]`, then "
                    "`[[ ## customer_negative_score ## ]]`, then "
                    "`[[ ## conversational_trend_score ## ]]`, then "
                    "`[[ ## overall_seller_score ## ]]`, then "
                    "`[[ ## score_rationale ## ]]`, and then ending with the "
                    "marker for `[[ ## completed ## ]]`."));
    cJSON_Delete(arr);
    free(json);
    rubric_free(r);
}

TEST(prompt_instructions_dedent)
{
    char err[ERR_MAX];
    rubric *r = rubric_parse_new(
        "{\"instructions\": \"\\n    Line one.\\n      Indented.\\n\\n    End.\\n\","
        " \"fields\": [{\"name\": \"x\", \"kind\": \"input\"},"
        " {\"name\": \"s\", \"kind\": \"score\"}]}", "t", err);
    CHECK_MSG(r, "%s", err);
    char *s = prompt_system_new(r);
    /* DSPy's instructions are inspect.cleandoc'd (checked against 3.3.1) */
    const char *want = "your objective is: \n        Line one.\n"
                       "          Indented.\n        \n        End.";
    CHECK_MSG(strstr(s, want) && strlen(strstr(s, want)) == strlen(want),
              "%s", s);
    CHECK(strstr(s, "1. `x` (str):\nYour output fields are:\n"
                    "1. `reasoning` (str): \n2. `s` (str):\nAll"));
    free(s);
    rubric_free(r);
}

TEST(prompt_inputs_for_convo_fills_fields)
{
    rubric *r = rubric_default_new();
    convo *c = convo_new("c1", "seller-9");
    convo_add_msg(c, 1714557720, "Ana", ROLE_CUSTOMER, "Hi there");
    char *in[RUBRIC_MAX_FIELDS];
    prompt_inputs_for_convo(r, c, in);
    CHECK(in[0] && strstr(in[0], "Hi there"));
    CHECK_STR(in[1], "seller-9");
    CHECK(in[2] == NULL);
    prompt_inputs_clear(in);
    convo_free(c);
    rubric_free(r);
}

/* ---------------------------------------------------------------- parsing */

#define GOOD_MARKERS                                                    \
    "[[ ## reasoning ## ]]\nThe seller was quick.\n\n"                  \
    "[[ ## responsiveness_score ## ]]\n8\n\n"                           \
    "[[ ## customer_negative_score ## ]]\n2.5\n\n"                      \
    "[[ ## conversational_trend_score ## ]]\n7\n\n"                     \
    "[[ ## overall_seller_score ## ]]\n7.55\n\n"                        \
    "[[ ## score_rationale ## ]]\nFast and friendly.\n\n"               \
    "[[ ## completed ## ]]\n"

static void parse(const char *text, prompt_answer *a)
{
    rubric *r = rubric_default_new();
    prompt_parse_answer(r, text, a);
    rubric_free(r);
}

static void parse_json(const char *text, prompt_answer *a)
{
    rubric *r = rubric_default_new();
    prompt_parse_json_answer(r, text, a);
    rubric_free(r);
}

TEST(parse_markers_ok)
{
    prompt_answer a;
    parse(GOOD_MARKERS, &a);
    CHECK(a.status == ANSWER_OK);
    CHECK(a.format == ANSWER_FMT_MARKERS);
    CHECK(a.error == NULL);
    CHECK_STR(a.reasoning, "The seller was quick.");
    CHECK_STR(a.raw[2], "8");
    CHECK_STR(a.raw[3], "2.5");
    CHECK(a.scores.set[2] && a.scores.set[3] && a.scores.set[4] &&
          a.scores.set[5]);
    CHECK_NEAR(a.scores.v[3], 2.5, 1e-9);
    CHECK_NEAR(a.scores.v[5], 7.55, 1e-9);
    CHECK(!a.overall_computed);
    CHECK_STR(a.raw[6], "Fast and friendly.");
    rubric *r = rubric_default_new();
    char *t = prompt_answer_text_new(r, &a);
    rubric_free(r);
    CHECK_STR(t, "Fast and friendly.");
    free(t);
    CHECK_STR(prompt_status_name(a.status), "ok");
    prompt_answer_clear(&a);
}

TEST(parse_markers_bold_headings_no_completed)
{
    prompt_answer a;
    parse("Sure! Here you go.\n\n**[[ ## reasoning ## ]]**\nThinking...\n\n"
          "### [[ ## responsiveness_score ## ]]\n**9**\n\n"
          "**[[ ## customer_negative_score ## ]]**: 1\n"
          "[[  ##  conversational_trend_score  ##  ]]   \n  `6.5`  \n"
          "[[ ## score_rationale ## ]]\nok then", &a);
    /* a missing output field fails ChatAdapter.parse: never ok */
    CHECK(a.status == ANSWER_PARTIAL);
    CHECK_STR(a.error, "missing field overall_seller_score");
    CHECK_STR(a.reasoning, "Thinking...");
    CHECK_NEAR(a.scores.v[2], 9, 1e-9);
    CHECK_NEAR(a.scores.v[3], 1, 1e-9);
    CHECK_NEAR(a.scores.v[4], 6.5, 1e-9);
    CHECK_STR(a.raw[6], "ok then");
    /* overall missing: computed from the parts (0.4*9 + 0.3*9 + 0.3*6.5) */
    CHECK(a.overall_computed && a.scores.set[5]);
    CHECK_NEAR(a.scores.v[5], 8.25, 1e-9);
    prompt_answer_clear(&a);
}

TEST(parse_first_occurrence_and_stop_at_completed)
{
    prompt_answer a;
    parse("[[ ## responsiveness_score ## ]]\n4\n[[ ## responsiveness_score ## ]]\n9\n"
          "[[ ## customer_negative_score ## ]]\n3\n"
          "[[ ## conversational_trend_score ## ]]\n5\n"
          "[[ ## completed ## ]]\n[[ ## score_rationale ## ]]\nafter end", &a);
    CHECK(a.status == ANSWER_PARTIAL);
    CHECK_STR(a.error, "missing field reasoning; missing field "
                       "overall_seller_score; missing field score_rationale");
    CHECK_NEAR(a.scores.v[2], 4, 1e-9);
    CHECK(a.raw[6] == NULL);
    CHECK(a.reasoning == NULL);
    prompt_answer_clear(&a);
}

TEST(parse_json_plain_and_fenced)
{
    prompt_answer a;
    parse_json("{\"reasoning\": \"r\", \"responsiveness_score\": 8.5, "
          "\"customer_negative_score\": \"2\", "
          "\"conversational_trend_score\": 7, \"overall_seller_score\": 7.9, "
          "\"score_rationale\": \"fine\"}", &a);
    CHECK(a.status == ANSWER_OK);
    CHECK(a.format == ANSWER_FMT_JSON);
    CHECK_STR(a.raw[2], "8.5");
    CHECK_STR(a.raw[3], "2");
    CHECK_STR(a.reasoning, "r");
    CHECK_NEAR(a.scores.v[5], 7.9, 1e-9);
    prompt_answer_clear(&a);

    parse_json("Here is the analysis:\n```json\n{\"responsiveness_score\": 3,"
          " \"customer_negative_score\": 9, \"conversational_trend_score\": 1,"
          " \"score_rationale\": \"slow {and} bad\"}\n```\nHope it helps.", &a);
    CHECK(a.status == ANSWER_PARTIAL);   /* no reasoning, no overall */
    CHECK(a.format == ANSWER_FMT_JSON);
    CHECK_NEAR(a.scores.v[4], 1, 1e-9);
    CHECK_STR(a.raw[6], "slow {and} bad");
    CHECK(a.missing);
    prompt_answer_clear(&a);

    /* ChatAdapter's parse does not read JSON: that is the fallback's */
    parse("{\"reasoning\": \"r\", \"responsiveness_score\": 8}", &a);
    CHECK(a.status == ANSWER_FAILED && a.missing);
    CHECK_STR(a.error, "no [[ ## ]] markers");
    prompt_answer_clear(&a);
}

TEST(parse_missing_fields_partial)
{
    prompt_answer a;
    parse("[[ ## reasoning ## ]]\nx\n[[ ## responsiveness_score ## ]]\n8\n"
          "[[ ## completed ## ]]", &a);
    CHECK(a.status == ANSWER_PARTIAL);
    CHECK_STR(prompt_status_name(a.status), "partial");
    CHECK(a.error && strstr(a.error, "missing field customer_negative_score"));
    CHECK(strstr(a.error, "missing field conversational_trend_score"));
    CHECK(a.scores.set[2] && !a.scores.set[3] && !a.scores.set[4]);
    CHECK(!a.scores.set[5]);     /* overall cannot be computed */
    prompt_answer_clear(&a);
}

TEST(parse_garbage_and_empty_failed)
{
    prompt_answer a;
    parse("I think it's fine lol", &a);
    CHECK(a.status == ANSWER_FAILED);
    CHECK_STR(a.error, "no [[ ## ]] markers");
    prompt_answer_clear(&a);
    parse_json("I think it's fine lol", &a);
    CHECK(a.status == ANSWER_FAILED && a.missing);
    CHECK_STR(a.error, "not a JSON object");
    prompt_answer_clear(&a);
    parse("", &a);
    CHECK(a.status == ANSWER_FAILED);
    CHECK_STR(a.error, "empty response");
    prompt_answer_clear(&a);
    parse(NULL, &a);
    CHECK(a.status == ANSWER_FAILED);
    prompt_answer_clear(&a);
    parse("{\"unrelated\": 1} [[ ## nope", &a);
    CHECK(a.status == ANSWER_FAILED);
    prompt_answer_clear(&a);
    parse("{\"responsiveness_score\": ", &a);      /* truncated JSON */
    CHECK(a.status == ANSWER_FAILED);
    prompt_answer_clear(&a);
}

TEST(parse_out_of_range_clamped_and_fractions)
{
    prompt_answer a;
    parse("[[ ## responsiveness_score ## ]]\n14\n"
          "[[ ## customer_negative_score ## ]]\n-3\n"
          "[[ ## conversational_trend_score ## ]]\n8/10\n"
          "[[ ## overall_seller_score ## ]]\n7.456\n", &a);
    CHECK(a.status == ANSWER_PARTIAL);   /* no reasoning, no rationale */
    CHECK_NEAR(a.scores.v[2], 10, 1e-9);
    CHECK_NEAR(a.scores.v[3], 0, 1e-9);
    CHECK_NEAR(a.scores.v[4], 8, 1e-9);
    CHECK_NEAR(a.scores.v[5], 7.46, 1e-9);
    CHECK_STR(a.raw[2], "14");         /* raw kept as written */
    prompt_answer_clear(&a);
}

TEST(parse_non_numeric_null_with_reason)
{
    prompt_answer a;
    parse("[[ ## responsiveness_score ## ]]\nseven\n"
          "[[ ## customer_negative_score ## ]]\nhigh\n"
          "[[ ## conversational_trend_score ## ]]\n6\n"
          "[[ ## overall_seller_score ## ]]\nn/a\n", &a);
    CHECK(a.status == ANSWER_PARTIAL);
    CHECK(!a.scores.set[2] && !a.scores.set[3] && a.scores.set[4]);
    CHECK(!a.scores.set[5]);
    CHECK_MSG(strstr(a.error, "non-numeric responsiveness_score: 'seven'"),
              "%s", a.error);
    CHECK(strstr(a.error, "non-numeric customer_negative_score: 'high'"));
    CHECK_STR(a.raw[2], "seven");
    prompt_answer_clear(&a);

    parse("[[ ## responsiveness_score ## ]]\nseven\n"
          "[[ ## customer_negative_score ## ]]\nhigh\n", &a);
    CHECK(a.status == ANSWER_FAILED);
    prompt_answer_clear(&a);
}

TEST(parse_demo_from_answer)
{
    prompt_answer a;
    rubric *r = rubric_default_new();
    prompt_parse_answer(r, GOOD_MARKERS, &a);
    char *in[RUBRIC_MAX_FIELDS] = {"conv text", "S1"};
    demo d;
    prompt_demo_from_answer(r, in, &a, &d);
    CHECK(d.augmented == 1);
    CHECK_STR(d.values[0], "conv text");
    CHECK_STR(d.values[2], "8");
    CHECK_STR(d.reasoning, "The seller was quick.");
    for (int i = 0; i < RUBRIC_MAX_FIELDS; i++) free(d.values[i]);
    free(d.reasoning);
    prompt_answer_clear(&a);
    rubric_free(r);
}

TEST(prompt_json_schema_shape)
{
    rubric *r = rubric_default_new();
    char *s = prompt_response_format_json_new(r);
    cJSON *j = cJSON_Parse(s);
    CHECK(j);
    CHECK_STR(cJSON_GetObjectItem(j, "type")->valuestring, "json_schema");
    cJSON *js = cJSON_GetObjectItem(j, "json_schema");
    CHECK_STR(cJSON_GetObjectItem(js, "name")->valuestring,
              "ChatAnalysisSignature");
    cJSON *sc = cJSON_GetObjectItem(js, "schema");
    CHECK_STR(cJSON_GetObjectItem(sc, "type")->valuestring, "object");
    cJSON *props = cJSON_GetObjectItem(sc, "properties");
    CHECK(cJSON_GetArraySize(props) == 6);
    CHECK_STR(props->child->string, "reasoning");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "reasoning"),
                                  "type")->valuestring, "string");
    cJSON *rs = cJSON_GetObjectItem(props, "responsiveness_score");
    CHECK_STR(cJSON_GetObjectItem(rs, "type")->valuestring, "number");
    CHECK(cJSON_GetObjectItem(rs, "minimum")->valuedouble == 0);
    CHECK(cJSON_GetObjectItem(rs, "maximum")->valuedouble == 10);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "score_rationale"),
                                  "type")->valuestring, "string");
    cJSON *req = cJSON_GetObjectItem(sc, "required");
    CHECK(cJSON_GetArraySize(req) == 6);
    CHECK_STR(cJSON_GetArrayItem(req, 0)->valuestring, "reasoning");
    CHECK_STR(cJSON_GetArrayItem(req, 5)->valuestring, "score_rationale");
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(sc, "additionalProperties")));
    cJSON_Delete(j);
    free(s);
    rubric_free(r);
}
