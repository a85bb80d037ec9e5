/* test_dspy_golden.c: curate against bytes captured from real DSPy release
 * trees (tests/fixtures/dspy/NOTE.md): ChatAdapter.format prompts, the
 * ChatAdapter.parse verdicts, Module.save states, per --dspy version; and
 * states saved by DSPy 2.6.0-3.3 imported and written back. Run from the
 * repository root. */
#include "test.h"
#include "../../core/program.h"
#include "../../core/prompt.h"
#include "../../core/util.h"
#include "../../core/file.h"

#include <stdlib.h>

#define GOLD "tests/fixtures/dspy/"

static char *gold(const char *rel)
{
    char err[ERR_MAX], path[256];
    size_t len;
    snprintf(path, sizeof path, GOLD "%s", rel);
    char *s = file_read_new(path, &len, err);
    if (!s) fprintf(stderr, "    %s\n", err);
    return s;
}

static int same_bytes(const char *what, const char *got, const char *want)
{
    if (!got || !want) return 0;
    size_t i = 0;
    while (got[i] && got[i] == want[i]) i++;
    if (got[i] == want[i]) return 1;
    fprintf(stderr, "    %s: first difference at byte %zu: got \"%.60s\", "
            "want \"%.60s\"\n", what, i, got + i, want + i);
    return 0;
}

/* demos.json (the demos the capture gave DSPy) as curate's own program:
 * the values of the rubric's fields, extra keys left out. */
static program *demos_program(const rubric *r, int skip_extra_key_demos)
{
    char *text = gold("demos.json");
    cJSON *arr = cJSON_Parse(text);
    free(text);
    program *pg = program_new();
    const cJSON *o;
    cJSON_ArrayForEach(o, arr) {
        if (skip_extra_key_demos &&
            cJSON_GetObjectItemCaseSensitive(o, "conversation_id"))
            continue;
        demo d = {0};
        const cJSON *kv;
        cJSON_ArrayForEach(kv, o) {
            int fi = rubric_field_index(r, kv->string);
            if (!strcmp(kv->string, "augmented")) d.augmented = cJSON_IsTrue(kv);
            else if (!strcmp(kv->string, "reasoning"))
                d.reasoning = xstrdup(kv->valuestring);
            else if (fi >= 0) d.values[fi] = xstrdup(kv->valuestring);
        }
        program_add_demo(pg, &d);
        demo_clear(&d);
    }
    cJSON_Delete(arr);
    return pg;
}

static void golden_inputs(const rubric *r, char *in[RUBRIC_MAX_FIELDS])
{
    char *text = gold("inputs.json");
    cJSON *o = cJSON_Parse(text);
    free(text);
    memset(in, 0, sizeof(char *) * RUBRIC_MAX_FIELDS);
    for (size_t i = 0; i < r->nfields; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, r->fields[i].name);
        if (cJSON_IsString(v)) in[i] = xstrdup(v->valuestring);
    }
    cJSON_Delete(o);
}

/* Compares curate's messages for (ver, program) with a golden file:
 * ChatAdapter's, or JSONAdapter's (json: the fallback's second request). */
static int messages_match(dspy_version ver, const char *release,
                          const char *file, int with_demos, int json)
{
    rubric *r = rubric_default_new();
    r->dspy.version = ver;
    program *pg = with_demos ? demos_program(r, 0) : NULL;
    char *in[RUBRIC_MAX_FIELDS];
    golden_inputs(r, in);
    cJSON *got = json ? prompt_json_messages_new(r, pg, in)
                      : prompt_messages_new(r, pg, in);
    char rel[128];
    snprintf(rel, sizeof rel, "%s/%s", release, file);
    char *text = gold(rel);
    cJSON *want = cJSON_Parse(text);
    int ok = want && cJSON_GetArraySize(got) == cJSON_GetArraySize(want);
    if (!ok)
        fprintf(stderr, "    %s: %d messages, DSPy %s sent %d\n", rel,
                cJSON_GetArraySize(got), release, cJSON_GetArraySize(want));
    for (int i = 0; ok && i < cJSON_GetArraySize(want); i++) {
        const cJSON *g = cJSON_GetArrayItem(got, i), *w = cJSON_GetArrayItem(want, i);
        ok = same_bytes(rel, cJSON_GetObjectItem(g, "role")->valuestring,
                        cJSON_GetObjectItem(w, "role")->valuestring) &&
             same_bytes(rel, cJSON_GetObjectItem(g, "content")->valuestring,
                        cJSON_GetObjectItem(w, "content")->valuestring);
    }
    /* What is sent is the serialised form of the same list. */
    char *sent = json ? prompt_json_messages_json_new(r, pg, in)
                      : prompt_messages_json_new(r, pg, in);
    char *ser = cJSON_PrintUnformatted(got);
    ok = ok && same_bytes("serialised", sent, ser);
    free(sent);
    cJSON_free(ser);
    cJSON_Delete(want);
    cJSON_Delete(got);
    free(text);
    prompt_inputs_clear(in);
    program_free(pg);
    rubric_free(r);
    return ok;
}

static int chat_prompt_matches(dspy_version ver, const char *release,
                               const char *file, int with_demos)
{
    return messages_match(ver, release, file, with_demos, 0);
}

static int json_prompt_matches(dspy_version ver, const char *release,
                               const char *file, int with_demos)
{
    return messages_match(ver, release, file, with_demos, 1);
}

TEST(dspy_golden_prompts_2_6)
{
    CHECK(chat_prompt_matches(DSPY_V26, "2.6.27", "prompt_zero.json", 0));
    CHECK(chat_prompt_matches(DSPY_V26, "2.6.27", "prompt_demos.json", 1));
}

TEST(dspy_golden_prompts_3)
{
    CHECK(chat_prompt_matches(DSPY_V3, "3.3.1", "prompt_zero.json", 0));
    CHECK(chat_prompt_matches(DSPY_V3, "3.3.1", "prompt_demos.json", 1));
    CHECK(chat_prompt_matches(DSPY_V32, "3.2.1", "prompt_zero.json", 0));
    CHECK(chat_prompt_matches(DSPY_V32, "3.2.1", "prompt_demos.json", 1));
    /* 3.0-3.1 send the same prompts as 3.x */
    CHECK(chat_prompt_matches(DSPY_V3, "3.0.4", "prompt_demos.json", 1));
    CHECK(chat_prompt_matches(DSPY_V3, "3.1.3", "prompt_demos.json", 1));
}

/* The state curate writes for its own program equals Module.save's. */
static int own_state_matches(dspy_version ver, const char *release)
{
    rubric *r = rubric_default_new();
    r->dspy.version = ver;
    program *pg = demos_program(r, 1);
    char rel[128];
    snprintf(rel, sizeof rel, "%s/state_own.json", release);
    char *want = gold(rel), *got = program_state_json_new(pg, r);
    int ok = same_bytes(rel, got, want);
    free(got);
    free(want);
    snprintf(rel, sizeof rel, "%s/state_empty.json", release);
    want = gold(rel);
    got = program_state_json_new(NULL, r);
    ok = ok && same_bytes(rel, got, want);
    free(got);
    free(want);
    program_free(pg);
    rubric_free(r);
    return ok;
}

TEST(dspy_golden_states_written)
{
    CHECK(own_state_matches(DSPY_V26, "2.6.27"));
    CHECK(own_state_matches(DSPY_V3, "3.3.1"));
    CHECK(own_state_matches(DSPY_V32, "3.2.1"));
}

/* A DSPy-written state imported and written back for version ver equals
 * the golden file `expect` (the same file for 2.6.27 / 3.3.1; 2.6.27's for
 * older 2.6 releases, whose ensure_ascii escapes and metadata curate
 * writes the 2.6.27 way: README "DSPy versions"). */
static int reexport_matches(const char *release, dspy_version ver,
                            const char *expect_release, const char *file)
{
    char err[ERR_MAX], rel[128];
    rubric *r = rubric_default_new();
    r->dspy.version = ver;
    snprintf(rel, sizeof rel, "%s/%s", release, file);
    char *in = gold(rel);
    program *pg = in ? program_from_state_json_new(in, r, err) : NULL;
    if (!pg) fprintf(stderr, "    %s: %s\n", rel, in ? err : "missing");
    snprintf(rel, sizeof rel, "%s/%s", expect_release, file);
    char *want = gold(rel), *got = pg ? program_state_json_new(pg, r) : NULL;
    int ok = pg && same_bytes(rel, got, want);
    free(got);
    free(want);
    free(in);
    program_free(pg);
    rubric_free(r);
    return ok;
}

TEST(dspy_golden_states_reimported)
{
    static const char *files[] = {"state.json", "state_own.json", "state_empty.json"};
    for (int i = 0; i < 3; i++) {
        CHECK(reexport_matches("2.6.27", DSPY_V26, "2.6.27", files[i]));
        CHECK(reexport_matches("3.3.1", DSPY_V3, "3.3.1", files[i]));
        CHECK(reexport_matches("2.6.25", DSPY_V26, "2.6.27", files[i]));
        CHECK(reexport_matches("2.6.24", DSPY_V26, "2.6.27", files[i]));
        CHECK(reexport_matches("2.6.16", DSPY_V26, "2.6.27", files[i]));
        CHECK(reexport_matches("2.6.0", DSPY_V26, "2.6.27", files[i]));
        /* Across versions: a 2.6 state written for 3 is 3.3.1's. */
        CHECK(reexport_matches("2.6.27", DSPY_V3, "3.3.1", files[i]));
        CHECK(reexport_matches("3.3.1", DSPY_V26, "2.6.27", files[i]));
        CHECK(reexport_matches("3.2.1", DSPY_V32, "3.2.1", files[i]));
        CHECK(reexport_matches("3.3.1", DSPY_V32, "3.2.1", files[i]));
        /* 3.0-3.1 states (the long reasoning prefix) come back as the
         * chosen release writes them */
        CHECK(reexport_matches("3.0.4", DSPY_V3, "3.3.1", files[i]));
        CHECK(reexport_matches("3.1.3", DSPY_V3, "3.3.1", files[i]));
    }
}

/* A 3.3.1 state's demos come through: the extra key conversation_id is
 * kept, the prompt is the one DSPy builds from the same state. */
TEST(dspy_golden_import_prompt)
{
    char err[ERR_MAX];
    rubric *r = rubric_default_new();
    char *in = gold("3.3.1/state.json");
    program *pg = program_from_state_json_new(in, r, err);
    free(in);
    CHECK_MSG(pg, "%s", err);
    int kept = pg->ndemos == 4 && pg->demos[2].src &&
               strstr(pg->demos[2].src, "\"conversation_id\": \"c-3\"");
    char *inputs[RUBRIC_MAX_FIELDS];
    golden_inputs(r, inputs);
    cJSON *got = prompt_messages_new(r, pg, inputs);
    char *text = gold("3.3.1/prompt_demos.json");
    cJSON *want = cJSON_Parse(text);
    char *a = cJSON_PrintUnformatted(got), *b = cJSON_PrintUnformatted(want);
    int same = same_bytes("import prompt", a, b);
    cJSON_free(a);
    cJSON_free(b);
    cJSON_Delete(got);
    cJSON_Delete(want);
    free(text);
    prompt_inputs_clear(inputs);
    program_free(pg);
    rubric_free(r);
    CHECK(kept);
    CHECK(same);
}

/* ChatAdapter.parse's (json: JSONAdapter.parse's) verdict on each
 * captured completion: curate's answer is ok exactly when DSPy's parse
 * returns, with the same values. */
static int verdicts_match(dspy_version ver, const char *release, int json)
{
    rubric *r = rubric_default_new();
    r->dspy.version = ver;
    char rel[128];
    snprintf(rel, sizeof rel, "%s/%s", release,
             json ? "json_parse.json" : "parse.json");
    char *text = gold(rel);
    cJSON *cases = cJSON_Parse(text);
    free(text);
    int ok = cases != NULL, i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) {
        const char *completion =
            cJSON_GetObjectItem(c, "completion")->valuestring;
        int want_ok = cJSON_IsTrue(cJSON_GetObjectItem(c, "ok"));
        prompt_answer a;
        if (json) prompt_parse_json_answer(r, completion, &a);
        else prompt_parse_answer(r, completion, &a);
        /* DSPy's fields are str: its parse returns when every field is
         * there (curate's own check of the scores comes after) */
        int got_ok = !a.missing;
        if (got_ok != want_ok) {
            fprintf(stderr, "    %s case %d: curate %s, DSPy %s (%s)\n", rel, i,
                    got_ok ? "ok" : "fails", want_ok ? "ok" : "fails",
                    a.error ? a.error : "");
            ok = 0;
        }
        const cJSON *f, *fields = want_ok ? cJSON_GetObjectItem(c, "fields") : NULL;
        cJSON_ArrayForEach(f, fields) {
            int fi = rubric_field_index(r, f->string);
            const char *got = !strcmp(f->string, "reasoning") ? a.reasoning
                              : fi >= 0 ? a.raw[fi] : NULL;
            if (!got || strcmp(got, f->valuestring)) {
                fprintf(stderr, "    %s case %d: %s is \"%s\", DSPy \"%s\"\n",
                        rel, i, f->string, got ? got : "(none)", f->valuestring);
                ok = 0;
            }
        }
        prompt_answer_clear(&a);
        i++;
    }
    cJSON_Delete(cases);
    rubric_free(r);
    return ok;
}

static int parse_matches(dspy_version ver, const char *release)
{
    return verdicts_match(ver, release, 0);
}

static int json_parse_matches(dspy_version ver, const char *release)
{
    return verdicts_match(ver, release, 1);
}

TEST(dspy_golden_parse)
{
    CHECK(parse_matches(DSPY_V26, "2.6.27"));
    CHECK(parse_matches(DSPY_V3, "3.3.1"));
    CHECK(parse_matches(DSPY_V32, "3.2.1"));
}

/* ---- the JSON fallback (JSONAdapter) ---- */

TEST(dspy_golden_json_prompts)
{
    CHECK(json_prompt_matches(DSPY_V26, "2.6.27", "json_prompt_zero.json", 0));
    CHECK(json_prompt_matches(DSPY_V26, "2.6.27", "json_prompt_demos.json", 1));
    CHECK(json_prompt_matches(DSPY_V3, "3.3.1", "json_prompt_zero.json", 0));
    CHECK(json_prompt_matches(DSPY_V3, "3.3.1", "json_prompt_demos.json", 1));
    CHECK(json_prompt_matches(DSPY_V32, "3.2.1", "json_prompt_zero.json", 0));
    CHECK(json_prompt_matches(DSPY_V32, "3.2.1", "json_prompt_demos.json", 1));
    /* 3.0-3.1 (no value of their own): JSONAdapter prompts as 2.6.27's */
    CHECK(json_prompt_matches(DSPY_V26, "3.0.4", "json_prompt_demos.json", 1));
    CHECK(json_prompt_matches(DSPY_V26, "3.1.3", "json_prompt_demos.json", 1));
}

TEST(dspy_golden_json_parse)
{
    CHECK(json_parse_matches(DSPY_V26, "2.6.27"));
    CHECK(json_parse_matches(DSPY_V3, "3.3.1"));
    CHECK(json_parse_matches(DSPY_V32, "3.2.1"));
    /* 3.0.x reads the answer as 2.6 does, 3.1 as 3.x */
    CHECK(json_parse_matches(DSPY_V26, "3.0.4"));
    CHECK(json_parse_matches(DSPY_V3, "3.1.3"));
}

/* The --dspy values and the family of a state's release. */
TEST(dspy_version_values)
{
    char err[ERR_MAX];
    dspy_version v;
    CHECK(dspy_version_parse("3", &v, err) == 0 && v == DSPY_V3);
    CHECK(dspy_version_parse("3.3.1", &v, err) == 0 && v == DSPY_V3);
    CHECK(dspy_version_parse("3.2", &v, err) == 0 && v == DSPY_V32);
    CHECK(dspy_version_parse("3.2.0", &v, err) == 0 && v == DSPY_V32);
    CHECK(dspy_version_parse("2.6", &v, err) == 0 && v == DSPY_V26);
    CHECK(dspy_version_parse("3.1", &v, err) < 0);
    CHECK(strstr(err, "3.2 for 3.2.0-3.2.1"));
    CHECK(dspy_family_of_release("3.2.1", &v) == 0 && v == DSPY_V32);
    CHECK(dspy_family_of_release("3.0.4", &v) == 0 && v == DSPY_V3);
    CHECK(dspy_family_of_release("3.3.0", &v) == 0 && v == DSPY_V3);
    CHECK(!strcmp(dspy_release(DSPY_V32), "3.2.1"));
    /* 3.2 is 3.3 but for when the JSON fallback runs */
    CHECK(dspy_fallback_after_lm_error(DSPY_V32) && !dspy_fallback_after_lm_error(DSPY_V3));
    CHECK(!dspy_fallback_after_empty(DSPY_V32) && dspy_fallback_after_empty(DSPY_V3));
}
