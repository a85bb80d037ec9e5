/* program.h: a few-shot program (the demos of ChatAnalyzer.analyze) and its
 * state JSON exactly as dspy.Module.save() writes it (DESIGN.md):
 *
 *   {"analyze.predict": {"traces": [], "train": [], "demos": [...],
 *                        "signature": {"instructions": ..., "fields": [...]},
 *                        "lm": null},
 *    "metadata": {"dependency_versions": {...}}}
 */
#ifndef CURATE_PROGRAM_H
#define CURATE_PROGRAM_H

#include <stddef.h>
#include "dspy.h"
#include "rubric.h"

#define PROGRAM_PREDICTOR "analyze.predict"

/* One demo: values as strings, as a model wrote them, by rubric field index
 * (NULL = absent). Bootstrapped demos have reasoning and augmented = 1;
 * labeled demos have neither. */
typedef struct {
    char *values[RUBRIC_MAX_FIELDS];
    char *reasoning;
    int augmented;
    char *conv_id;     /* where it came from (not part of the DSPy state) */
    char *src;         /* an imported demo: the object as read (key order,
                          extra keys such as conversation_id, numbers),
                          written back as it is; NULL for curate's own */
} demo;

typedef struct {
    demo *demos;
    size_t ndemos, cap;
    int has_dspy;          /* read from a state naming its DSPy release: */
    dspy_version dspy;     /* metadata.dependency_versions.dspy's family */
    char *warnings;        /* read: what the caller should say (lines), or
                              NULL; freed by program_free */
} program;

/* The most a state may be (bytes) and hold (demos): larger ones are
 * refused before anything is built from them (README). */
#define PROGRAM_STATE_MAX (16u << 20)
#define PROGRAM_MAX_DEMOS 10000

program *program_new(void);              /* empty; free with program_free */
void program_free(program *pg);
/* Appends a deep copy of d. */
void program_add_demo(program *pg, const demo *d);
void demo_clear(demo *d);                /* frees d's strings */

/* The DSPy state JSON exactly as Module.save() of release r->dspy writes
 * it (core/dspy.h: "/" escaping, trailing newline, reasoning prefix,
 * metadata.dependency_versions). Caller frees. */
char *program_state_json_new(const program *pg, const rubric *r);

/* Parses a state written by DSPy 2.6.0-3.3 or by curate (either reasoning
 * prefix, ensure_ascii or not, with or without metadata/lm/traces). Checks
 * that it is a ChatAnalyzer state whose signature fields match the rubric
 * (prefixes and order); demo values are kept as strings (numbers as
 * Python's str() writes them), each demo's object in demo.src. Refused,
 * naming the demo and field: an empty demo, a score value that is a number
 * outside the field's range (NaN, 1e308), another predictor, more than
 * PROGRAM_STATE_MAX bytes or PROGRAM_MAX_DEMOS demos. Instructions other
 * than the rubric's are a warning (pg->warnings). NULL + err. */
program *program_from_state_json_new(const char *json, const rubric *r,
                                     char *err);

#endif
