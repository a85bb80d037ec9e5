/* export_pool.h: the human-verified examples of the pool as DSPy Example
 * dicts, for other optimizers (MIPROv2, fine-tuning) and annotation tools.
 *
 * One object per example, keys in this order:
 *   the rubric's input fields   "conversation" (the transcript the model
 *                               sees), "seller_id", ...
 *   the label's score fields    the current human label, every scored field
 *                               (incl. the overall) that is set: by default
 *                               strings like a demo's ("8.5", "7", "6.25":
 *                               2 decimals at most, no trailing zeros), with
 *                               numeric = 1 JSON numbers (8.5, 7, 6.25)
 *   the first text output      e.g. "score_rationale": the label's
 *                               rationale when the reviewer wrote one,
 *                               else the model's (of the prediction the
 *                               label reviewed); absent when neither has
 *                               one (other text outputs are not exported)
 *   "conversation_id", "reviewer", "status" ("accepted" | "corrected"),
 *   "edge_note"                 only for curated edge cases ("" if no note)
 * In Python: dspy.Example(**d).with_inputs("conversation", "seller_id"). */
#ifndef CURATE_EXPORT_POOL_H
#define CURATE_EXPORT_POOL_H

#include <stdint.h>
#include "pool.h"
#include "../core/util.h"

typedef enum {
    EXPORT_REVIEWED = 0,   /* every conversation with a current, non-skipped label */
    EXPORT_EDGE,           /* only the curated edge cases among those */
    EXPORT_TRAINSET,       /* the conversations of a program's training set */
    EXPORT_VIEW            /* those of a view (the filter language of
                              `curate list`, a queue's tab + filter +
                              search) that have a current, non-skipped
                              label, in id order */
} export_pool_sel;

typedef struct {
    export_pool_sel sel;
    int64_t program_id;    /* EXPORT_TRAINSET: its program (0 = current best) */
    const pool_filter *view;   /* EXPORT_VIEW: the view (its sort is ignored) */
    int json_array;        /* 0: JSON Lines; 1: one JSON array */
    int numeric;           /* label scores as JSON numbers, not strings */
} export_pool_opts;

/* Index of the rubric's first text output (where a label's rationale
 * goes), or -1. */
int export_pool_text_field(const rubric *r);
/* The rationale an example of label l carries: l's own when the reviewer
 * wrote one, else the reviewed prediction's; *out malloc'd or NULL when
 * neither has one. 0 or -1 + err. */
int export_pool_rationale(pool *p, const rubric *r, const label *l,
                          char **out, char *err);

#define EXPORT_POOL_DEFAULT_JSONL "curate_examples.jsonl"
#define EXPORT_POOL_DEFAULT_JSON "curate_examples.json"

/* Appends the examples to out (JSONL: one compact object per line; array:
 * "[\n  {...},\n  {...}\n]\n"). *n gets the number written, *skipped (may
 * be NULL) the listed conversations left out because they have no current
 * non-skipped label (or no longer exist). 0 or -1 + err. */
int export_pool_examples(pool *p, const rubric *r, const export_pool_opts *o,
                         sbuf *out, int *n, int *skipped, char *err);

#endif
