/* rubric.h: the scoring task as data (a DSPy signature): instructions,
 * input fields, score fields with range/orientation/weight, an overall and
 * free-text outputs. Score validation and the overall formula live here. */
#ifndef CURATE_RUBRIC_H
#define CURATE_RUBRIC_H

#include <stddef.h>

#include "dspy.h"

#define RUBRIC_MAX_FIELDS 24

typedef enum {
    FIELD_INPUT = 0,   /* e.g. conversation, seller_id */
    FIELD_SCORE,       /* a dimension score */
    FIELD_OVERALL,     /* weighted overall of the score fields (at most one) */
    FIELD_TEXT         /* free-text output, e.g. score_rationale */
} field_kind;

typedef struct {
    char *name;
    char *desc;
    field_kind kind;
    double lo, hi;          /* range, default 0-10 (scores and overall) */
    double weight;          /* FIELD_SCORE only */
    int higher_is_better;   /* FIELD_SCORE only, default 1 */
} rubric_field;

typedef struct {
    char *name;             /* e.g. "ChatAnalysisSignature" */
    char *instructions;
    rubric_field fields[RUBRIC_MAX_FIELDS];
    size_t nfields;         /* declaration order: inputs first, then outputs */
    dspy_target dspy;       /* the DSPy release this signature is formatted,
                               saved and parsed for (--dspy; default 3) */
    char *guidelines;       /* longer guidelines for reviewers, or NULL: the
                               rubric's "guidelines" key, text or the
                               Markdown file it names. Never in a prompt, a
                               program state, the canonical JSON or a diff:
                               it guides people, it is not the task */
} rubric;

/* The built-in travel-seller rubric (with reviewer guidelines). Caller
 * frees with rubric_free(). */
rubric *rubric_default_new(void);
/* Parses/validates a rubric JSON document; src names it in messages. A
 * "guidelines" key holds text, or the path of a Markdown file (a single
 * line ending in .md or .markdown), read relative to the current
 * directory; errors name src and the key ("R: guidelines: cannot read
 * 'x.md': ..."). */
rubric *rubric_parse_new(const char *json, const char *src, char *err);
/* Reads and parses the rubric file at path; a guidelines file is read
 * relative to path's folder. */
rubric *rubric_load_new(const char *path, char *err);
void rubric_free(rubric *r);
/* Rubric as JSON text (the same format rubric_parse_new reads). Caller frees. */
char *rubric_to_json_new(const rubric *r);

/* Compares rubric a (e.g. the one a pool is labeled under) with b: 0 when
 * they define the same task (the same canonical JSON), else 1 with out
 * naming the first differences, e.g. "field 'quality' only in the new
 * rubric; field 'wait_score': range 0-10 -> 0-5". */
int rubric_diff(const rubric *a, const rubric *b, char *out, size_t n);

/* Index of a field by name, or -1. */
int rubric_field_index(const rubric *r, const char *name);
/* Index of the overall field, or -1. */
int rubric_overall_index(const rubric *r);
/* True for FIELD_SCORE and FIELD_OVERALL. */
int rubric_is_scored(const rubric_field *f);
/* True for outputs (SCORE, OVERALL, TEXT). */
int rubric_is_output(const rubric_field *f);

/* Score validation (DESIGN.md): parse a number from text (" 8.0 ", "8/10"
 * -> 8), clamp to the field's range, round to 2 decimals. Returns 1 and sets
 * *out when valid; 0 when the text is not a number (NULL score). */
int rubric_validate_score(const rubric_field *f, const char *text, double *out);
/* Same for an already numeric value (NaN/inf -> 0). */
int rubric_validate_value(const rubric_field *f, double v, double *out);

/* Scores over a rubric: one slot per field index; set[i] says present. */
typedef struct {
    double v[RUBRIC_MAX_FIELDS];
    unsigned char set[RUBRIC_MAX_FIELDS];
} scoreset;

/* Weighted overall from the score fields: each as a share of its range
 * (10 - value on 0-10 where higher is worse), weighted, placed on the
 * overall field's range (0-10 without one), rounded to 2 decimals.
 * Returns 0 and *out, or -1 if any score is missing. */
int rubric_overall_from(const rubric *r, const scoreset *s, double *out);

/* scoreset <-> JSON object text {"field": 8.5 | null, ...} over the scored
 * fields. to_json: caller frees. from_json: returns 0 or -1 + err. */
char *rubric_scores_to_json_new(const rubric *r, const scoreset *s);
int rubric_scores_from_json(const rubric *r, const char *json, scoreset *s,
                            char *err);

/* Everything a reviewer needs to score by r, as plain text lines: the
 * instructions, each score field (name, range, orientation, weight) with
 * its description, the text outputs, then the guidelines text (Markdown
 * kept as written). The workbench's guidelines screen and `curate show
 * --guidelines` both print this. Caller frees. */
char *rubric_guidelines_text_new(const rubric *r);

/* DSPy's infer_prefix(name) + ":"  ("seller_id" -> "Seller Id:"). Caller frees. */
char *rubric_prefix_new(const char *name);

#endif
