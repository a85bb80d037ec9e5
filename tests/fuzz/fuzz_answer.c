/* fuzz_answer.c: the LLM answer parser (prompt_parse_answer in
 * core/prompt.c). Input: the content of a model's reply, in DSPy
 * ChatAdapter `[[ ## field ## ]]` form, JSON, or anything else a model or
 * a hostile endpoint may send.
 *
 * Parsed against two rubrics (the built-in one and a 1-5 one with a
 * non-default range, a reversed score and two text fields). Invariants:
 * status agrees with the number of valid score fields (ok: all, partial:
 * some, failed: none), error is NULL exactly when ok, every set score is a
 * scored field's and is finite and within its range (DESIGN.md: "clamp to
 * the field's range"), raw values only for output fields, a computed
 * overall only when the model's was missing or invalid. The answer then
 * becomes a bootstrapped demo which must survive the DSPy state JSON round
 * trip (program_state_json_new -> program_from_state_json_new) unchanged
 * when its text is valid UTF-8. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz.h"
#include "../../core/prompt.h"

#include <math.h>

static const char *ans_rubric2_json =
    "{\"name\": \"SupportSignature\", \"instructions\": \"Rate the reply.\","
    " \"fields\": ["
    "  {\"name\": \"ticket\", \"kind\": \"input\"},"
    "  {\"name\": \"agentName\", \"kind\": \"input\", \"description\": \"who\"},"
    "  {\"name\": \"clarity\", \"kind\": \"score\", \"range\": [1, 5], \"weight\": 2},"
    "  {\"name\": \"rudeness\", \"kind\": \"score\", \"range\": [1, 5], \"weight\": 1,"
    "   \"higher_is_better\": false},"
    "  {\"name\": \"overall\", \"kind\": \"overall\", \"range\": [1, 5]},"
    "  {\"name\": \"summary\", \"kind\": \"text\"},"
    "  {\"name\": \"advice\", \"kind\": \"text\"}"
    " ]}";

static int ans_same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void ans_check(const rubric *r, const char *content)
{
    prompt_answer a;
    prompt_parse_answer(r, content, &a);
    FUZZ_CHECK(a.status == ANSWER_OK || a.status == ANSWER_PARTIAL ||
               a.status == ANSWER_FAILED);
    FUZZ_CHECK(a.format == ANSWER_FMT_NONE || a.format == ANSWER_FMT_MARKERS ||
               a.format == ANSWER_FMT_JSON);
    FUZZ_CHECK((a.status == ANSWER_OK) == (a.error == NULL));
    if (a.error) FUZZ_CHECK(a.error[0] != '\0');
    int nscore = 0, nvalid = 0;
    for (size_t i = 0; i < RUBRIC_MAX_FIELDS; i++) {
        if (i >= r->nfields) {
            FUZZ_CHECK(!a.raw[i] && !a.scores.set[i]);
            continue;
        }
        const rubric_field *f = &r->fields[i];
        if (!rubric_is_output(f)) FUZZ_CHECK(!a.raw[i]);
        if (f->kind == FIELD_SCORE) {
            nscore++;
            if (a.scores.set[i]) nvalid++;
        }
        if (a.scores.set[i]) {
            FUZZ_CHECK(rubric_is_scored(f));
            FUZZ_CHECK(isfinite(a.scores.v[i]) && a.scores.v[i] >= f->lo &&
                       a.scores.v[i] <= f->hi);
            if (f->kind == FIELD_SCORE) FUZZ_CHECK(a.raw[i] != NULL);
        }
    }
    if (a.format == ANSWER_FMT_NONE) FUZZ_CHECK(a.status == ANSWER_FAILED);
    FUZZ_CHECK(a.status != ANSWER_OK || nvalid == nscore);
    /* ok needs every output field (ChatAdapter.parse) */
    int all_out = a.reasoning != NULL;
    for (size_t i = 0; i < r->nfields; i++)
        if (rubric_is_output(&r->fields[i]) && !a.raw[i]) all_out = 0;
    FUZZ_CHECK(a.status != ANSWER_OK || all_out);
    FUZZ_CHECK(a.status != ANSWER_PARTIAL ||
               (nvalid > 0 && (nvalid < nscore || !all_out)));
    FUZZ_CHECK(a.status != ANSWER_FAILED || nvalid == 0);
    int oi = rubric_overall_index(r);
    if (a.overall_computed) {
        FUZZ_CHECK(oi >= 0 && a.scores.set[oi]);
        FUZZ_CHECK(nvalid == nscore);
    }
    (void)prompt_status_name(a.status);

    char *t = prompt_answer_text_new(r, &a);
    free(t);

    /* As a bootstrapped demo, through the DSPy state JSON and back. */
    char *inputs[RUBRIC_MAX_FIELDS] = {0};
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_INPUT) inputs[i] = "in";
    demo d;
    prompt_demo_from_answer(r, inputs, &a, &d);
    FUZZ_CHECK(d.augmented == 1);
    int utf8 = !d.reasoning || fuzz_str_utf8(d.reasoning);
    for (int i = 0; i < RUBRIC_MAX_FIELDS; i++)
        if (d.values[i] && !fuzz_str_utf8(d.values[i])) utf8 = 0;
    program *pg = program_new();
    program_add_demo(pg, &d);
    char *s = program_state_json_new(pg, r);
    FUZZ_CHECK(s && fuzz_str_utf8(s));
    char err[ERR_MAX];
    program *back = s ? program_from_state_json_new(s, r, err) : NULL;
    if (!back) fprintf(stderr, "reload failed: %s\n", err);
    FUZZ_CHECK(back && back->ndemos == 1);
    if (back && back->ndemos == 1 && utf8) {
        const demo *e = &back->demos[0];
        FUZZ_CHECK(e->augmented == 1);
        FUZZ_CHECK(ans_same_str(e->reasoning, d.reasoning));
        for (int i = 0; i < RUBRIC_MAX_FIELDS; i++)
            FUZZ_CHECK(ans_same_str(e->values[i], d.values[i]));
    }
    /* The demo as the model would see it in a later prompt. */
    char *ac = prompt_assistant_content_new(r, &d, "missing");
    FUZZ_CHECK(ac != NULL);
    free(ac);
    program_free(back);
    free(s);
    program_free(pg);
    demo_clear(&d);
    prompt_answer_clear(&a);
}

static void fuzz_answer_one(const uint8_t *data, size_t size)
{
    char *content = fuzz_cstr(data, size);
    char err[ERR_MAX];
    rubric *r1 = rubric_default_new();
    rubric *r2 = rubric_parse_new(ans_rubric2_json, "fuzz rubric", err);
    FUZZ_CHECK(r1 && r2);
    if (r1) ans_check(r1, content);
    if (r2) ans_check(r2, content);
    rubric_free(r1);
    rubric_free(r2);
    free(content);
}

#ifndef FUZZ_UNIT
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_answer_one(data, size);
    return 0;
}
#endif
