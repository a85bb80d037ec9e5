/* fuzz_rubric.c: the rubric loader (core/rubric.c). Input: a rubric JSON
 * document (what --rubric FILE reads).
 *
 * A rejected rubric must come with a terminal-safe one-line message. An
 * accepted one must be what DESIGN.md promises: 1..RUBRIC_MAX_FIELDS
 * uniquely named identifier fields (none named "reasoning"), inputs before
 * outputs, at least one input and one score, at most one overall, finite
 * ranges lo < hi and finite weights >= 0 on scores. It must survive
 * rubric_to_json_new -> rubric_parse_new unchanged. Every score that
 * validation lets through (text or number) is finite and within the
 * field's range; the weighted overall of in-range scores is finite and
 * within the scores' ranges; scores survive the JSON round trip. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz.h"
#include "../../core/rubric.h"

#include <ctype.h>
#include <math.h>

static int rb_ident(const char *s)
{
    if (!s || !*s || !(isalpha((unsigned char)*s) || *s == '_')) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

static int rb_in_range(const rubric_field *f, double v)
{
    return isfinite(v) && v >= f->lo && v <= f->hi;
}

/* cJSON prints a double with 15 significant digits when that reads back
 * within DBL_EPSILON (not exactly): allow that much. */
static int rb_close(double x, double y)
{
    return fabs(x - y) <= 4 * 2.220446049250313e-16 * fmax(fabs(x), fabs(y));
}

static void rb_check_same(const rubric *a, const rubric *b)
{
    FUZZ_CHECK(a->nfields == b->nfields);
    FUZZ_CHECK(strcmp(a->name, b->name) == 0);
    FUZZ_CHECK(strcmp(a->instructions, b->instructions) == 0);
    for (size_t i = 0; i < a->nfields && i < b->nfields; i++) {
        const rubric_field *x = &a->fields[i], *y = &b->fields[i];
        FUZZ_CHECK(strcmp(x->name, y->name) == 0);
        FUZZ_CHECK(strcmp(x->desc, y->desc) == 0);
        FUZZ_CHECK(x->kind == y->kind);
        if (rubric_is_scored(x))
            FUZZ_CHECK(rb_close(x->lo, y->lo) && rb_close(x->hi, y->hi));
        if (x->kind == FIELD_SCORE) {
            FUZZ_CHECK(rb_close(x->weight, y->weight));
            FUZZ_CHECK(x->higher_is_better == y->higher_is_better);
        }
    }
}

static void rb_check_scores(const rubric *r)
{
    static const char *texts[] = {
        "0", "5", "10", "-3", "8/10", "7.5 / 10", "100", "1e3", " 9.99 ",
        "3/5", "4/0", "-1/-2", "nan", "inf", "0x10", "8 - good", "9.999",
        "1000000000000000000000", "-0", "0.005", "2/3", "1/1e308",
    };
    double vals[] = {0, -1, 1e308, -1e308, 0.004999, 5.555, 1e-320};
    for (size_t i = 0; i < r->nfields; i++) {
        const rubric_field *f = &r->fields[i];
        if (!rubric_is_scored(f)) continue;
        double v;
        for (size_t k = 0; k < sizeof texts / sizeof *texts; k++)
            if (rubric_validate_score(f, texts[k], &v))
                FUZZ_CHECK(rb_in_range(f, v));
        for (size_t k = 0; k < sizeof vals / sizeof *vals; k++)
            if (rubric_validate_value(f, vals[k], &v))
                FUZZ_CHECK(rb_in_range(f, v));
        double ends[3] = {f->lo, f->hi, f->lo / 2 + f->hi / 2};
        for (int k = 0; k < 3; k++) {
            FUZZ_CHECK(rubric_validate_value(f, ends[k], &v));
            FUZZ_CHECK(rb_in_range(f, v));
        }
    }
    /* Overall of in-range scores: all low, all high, alternating. */
    for (int pat = 0; pat < 3; pat++) {
        scoreset s;
        memset(&s, 0, sizeof s);
        for (size_t i = 0; i < r->nfields; i++) {
            const rubric_field *f = &r->fields[i];
            if (f->kind != FIELD_SCORE) continue;
            double raw = pat == 0 ? f->lo : pat == 1 ? f->hi
                         : (i % 2 ? f->lo : f->hi);
            s.set[i] = (unsigned char)rubric_validate_value(f, raw, &s.v[i]);
        }
        double o;
        if (rubric_overall_from(r, &s, &o) == 0) {
            /* placed on the overall field's range (0-10 without one), not
             * the parts' (a [0,5] overall over [1,5] parts reaches 0) */
            int ov = rubric_overall_index(r);
            double olo = ov >= 0 ? r->fields[ov].lo : 0;
            double ohi = ov >= 0 ? r->fields[ov].hi : 10;
            FUZZ_CHECK(isfinite(o));
            FUZZ_CHECK(o >= olo - 0.005 && o <= ohi + 0.005);
        }
        /* scoreset -> JSON -> scoreset */
        int oi = rubric_overall_index(r);
        if (oi >= 0)
            s.set[oi] = (unsigned char)rubric_validate_value(
                &r->fields[oi], r->fields[oi].lo, &s.v[oi]);
        char *j = rubric_scores_to_json_new(r, &s);
        scoreset t;
        char err[ERR_MAX];
        FUZZ_CHECK(j && rubric_scores_from_json(r, j, &t, err) == 0);
        for (size_t i = 0; j && i < r->nfields; i++) {
            if (!rubric_is_scored(&r->fields[i])) continue;
            FUZZ_CHECK(t.set[i] == s.set[i]);
            if (t.set[i] && s.set[i]) FUZZ_CHECK(t.v[i] == s.v[i]);
        }
        free(j);
    }
}

static void fuzz_rubric_one(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    char err[ERR_MAX];
    rubric *r = rubric_parse_new(text, "rubric.json", err);
    free(text);
    if (!r) {
        fuzz_check_err(err);
        return;
    }
    FUZZ_CHECK(r->name && r->instructions && r->instructions[0]);
    FUZZ_CHECK(r->nfields >= 1 && r->nfields <= RUBRIC_MAX_FIELDS);
    int seen_output = 0, ninput = 0, nscore = 0, noverall = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        const rubric_field *f = &r->fields[i];
        FUZZ_CHECK(rb_ident(f->name) && strcmp(f->name, "reasoning") != 0);
        FUZZ_CHECK(f->desc != NULL);
        FUZZ_CHECK(rubric_field_index(r, f->name) == (int)i);
        FUZZ_CHECK(f->kind >= FIELD_INPUT && f->kind <= FIELD_TEXT);
        if (f->kind == FIELD_INPUT) { FUZZ_CHECK(!seen_output); ninput++; }
        else seen_output = 1;
        if (f->kind == FIELD_SCORE) {
            nscore++;
            FUZZ_CHECK(isfinite(f->weight) && f->weight >= 0);
        }
        if (f->kind == FIELD_OVERALL) noverall++;
        if (rubric_is_scored(f))
            FUZZ_CHECK(isfinite(f->lo) && isfinite(f->hi) && f->lo < f->hi);
        char *p = rubric_prefix_new(f->name);
        /* DSPy's infer_prefix + ":" (checked against DSPy in the unit
         * tests): words, no '_' left, one ':' at the end. */
        FUZZ_CHECK(p && strlen(p) >= 1 && p[strlen(p) - 1] == ':' &&
                   !strchr(p, '_') && strchr(p, ':') == p + strlen(p) - 1);
        free(p);
    }
    FUZZ_CHECK(ninput >= 1 && nscore >= 1 && noverall <= 1);
    FUZZ_CHECK((noverall == 1) == (rubric_overall_index(r) >= 0));

    char *j = rubric_to_json_new(r);
    FUZZ_CHECK(j != NULL);
    rubric *r2 = j ? rubric_parse_new(j, "round trip", err) : NULL;
    if (!r2) fprintf(stderr, "round trip failed: %s\n%s\n", err, j ? j : "");
    FUZZ_CHECK(r2 != NULL);
    if (r2) rb_check_same(r, r2);
    rubric_free(r2);
    free(j);

    rb_check_scores(r);
    rubric_free(r);
}

#ifndef FUZZ_UNIT
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_rubric_one(data, size);
    return 0;
}
#endif
