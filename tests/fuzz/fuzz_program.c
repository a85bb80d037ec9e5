/* fuzz_program.c: the program-state loader (program_from_state_json_new in
 * core/program.c), against the built-in rubric. Input: a state JSON file
 * (as dspy.Module.save() or curate writes it, or a MongoDB document's
 * "state").
 *
 * A rejected state comes with a terminal-safe one-line message. An
 * accepted one: every demo value and reasoning is valid UTF-8 without NUL
 * and sits at a rubric field index, augmented is 0/1; the program writes
 * back to valid UTF-8 state JSON which loads again to the same demos and
 * writes byte-identical JSON (a fixed point). */
#define _POSIX_C_SOURCE 200809L
#include "fuzz.h"
#include "../../core/program.h"

static int pg_same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void pg_check(const program *pg, const rubric *r)
{
    for (size_t k = 0; k < pg->ndemos; k++) {
        const demo *d = &pg->demos[k];
        FUZZ_CHECK(d->augmented == 0 || d->augmented == 1);
        if (d->reasoning) FUZZ_CHECK(fuzz_str_utf8(d->reasoning));
        for (size_t i = 0; i < RUBRIC_MAX_FIELDS; i++) {
            if (!d->values[i]) continue;
            FUZZ_CHECK(i < r->nfields);
            FUZZ_CHECK(fuzz_str_utf8(d->values[i]));
        }
    }
}

static void pg_check_same(const program *a, const program *b)
{
    FUZZ_CHECK(a->ndemos == b->ndemos);
    for (size_t k = 0; k < a->ndemos && k < b->ndemos; k++) {
        const demo *x = &a->demos[k], *y = &b->demos[k];
        FUZZ_CHECK(x->augmented == y->augmented);
        FUZZ_CHECK(pg_same_str(x->reasoning, y->reasoning));
        for (int i = 0; i < RUBRIC_MAX_FIELDS; i++)
            FUZZ_CHECK(pg_same_str(x->values[i], y->values[i]));
    }
}

static void fuzz_program_one(const uint8_t *data, size_t size)
{
    rubric *r = rubric_default_new();
    FUZZ_CHECK(r != NULL);
    if (!r) return;
    char *text = fuzz_cstr(data, size);
    char err[ERR_MAX];
    program *pg = program_from_state_json_new(text, r, err);
    free(text);
    if (!pg) {
        fuzz_check_err(err);
        rubric_free(r);
        return;
    }
    pg_check(pg, r);
    char *s1 = program_state_json_new(pg, r);
    FUZZ_CHECK(s1 && fuzz_str_utf8(s1));
    program *pg2 = s1 ? program_from_state_json_new(s1, r, err) : NULL;
    if (!pg2) fprintf(stderr, "reload failed: %s\n", err);
    FUZZ_CHECK(pg2 != NULL);
    if (pg2) {
        pg_check_same(pg, pg2);
        char *s2 = program_state_json_new(pg2, r);
        FUZZ_CHECK(s2 && s1 && strcmp(s1, s2) == 0);
        free(s2);
    }
    /* program_add_demo deep-copies. */
    program *pg3 = program_new();
    for (size_t k = 0; k < pg->ndemos; k++) program_add_demo(pg3, &pg->demos[k]);
    pg_check_same(pg, pg3);
    program_free(pg3);
    program_free(pg2);
    free(s1);
    program_free(pg);
    rubric_free(r);
}

#ifndef FUZZ_UNIT
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_program_one(data, size);
    return 0;
}
#endif
