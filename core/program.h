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
} demo;

typedef struct {
    demo *demos;
    size_t ndemos, cap;
} program;

program *program_new(void);              /* empty; free with program_free */
void program_free(program *pg);
/* Appends a deep copy of d. */
void program_add_demo(program *pg, const demo *d);
void demo_clear(demo *d);                /* frees d's strings */

/* The DSPy state JSON (2-space indent, key order as DSPy writes it).
 * Caller frees. */
char *program_state_json_new(const program *pg, const rubric *r);

/* Parses a state written by DSPy or by curate. Checks that it is a
 * ChatAnalyzer state whose signature fields match the rubric (prefixes and
 * order); demo values are kept as strings. NULL + err naming the key. */
program *program_from_state_json_new(const char *json, const rubric *r,
                                     char *err);

#endif
