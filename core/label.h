/* label.h: what a reviewer's save means, decided once for both faces
 * (the workbench and `curate label`). Pure: no pool, no screen.
 *
 * The reviewer works on label_values ("yours"). Before any edit they
 * equal the model's values, its overall included. Changing a part makes
 * the overall follow the rubric formula (rubric_overall_from) unless the
 * reviewer typed the overall; parts that are all back at the model's
 * values (and an overall not typed) give the model's overall again, so
 * "yours" is the model's values exactly when nothing differs.
 *
 * label_decide turns an action into what is stored:
 *   accept: the reviewed prediction's scores verbatim -> accepted;
 *   save:   "yours" equal to the model's values (so always when untouched
 *           from the model's) -> accepted, the same verbatim scores; else
 *           the values shown as "yours" -> corrected (a save continuing an
 *           earlier correction, untouched, stores that correction again);
 *   skip:   no scores -> skipped. */
#ifndef CURATE_LABEL_H
#define CURATE_LABEL_H

#include "rubric.h"

/* A label's status. Stored as its name; compared as this enum. */
typedef enum {
    LABEL_NONE = 0,       /* no label */
    LABEL_ACCEPTED,
    LABEL_CORRECTED,
    LABEL_SKIPPED
} label_status;

/* Whose label: a reviewer's own review, or an adjudication of a conflict
 * between reviewers (written by the team review, later). */
typedef enum { LABEL_ROLE_REVIEW = 0, LABEL_ROLE_ADJUDICATION } label_role;

/* "accepted", "corrected", "skipped" ("" for LABEL_NONE). */
const char *label_status_name(label_status s);
/* The enum of a stored name; LABEL_NONE when s is none of them. */
label_status label_status_parse(const char *s);
const char *label_role_name(label_role r);
label_role label_role_parse(const char *s);

typedef struct {
    scoreset model;       /* the reviewed prediction's scores (may be empty) */
    int has_model;
    scoreset yours;       /* what the screen shows as "yours" */
    int touched;          /* any edit since label_values_init */
    int overall_typed;    /* the reviewer typed the overall */
} label_values;

/* Starts from the model's scores (model NULL: none, "yours" empty).
 * start, when not NULL, is an earlier label of this reviewer to continue
 * from (its values become "yours", counted as untouched). */
void label_values_init(label_values *v, const rubric *r,
                        const scoreset *model, const scoreset *start);
/* Sets field fi to value (validated: clamped to the range, rounded);
 * *clamped (may be NULL) says the value was outside the range. Returns 0,
 * or -1 when fi is not a score field. */
int label_values_set(label_values *v, const rubric *r, int fi,
                      double value, int *clamped);
/* Field fi back to the model's value (the overall: back to following the
 * parts). */
void label_values_reset(label_values *v, const rubric *r, int fi);
/* 1 when "yours" differs from the model's values (a save would be
 * "corrected"). */
int label_values_differ(const label_values *v, const rubric *r);

/* 1 when a and b hold the same value (in cents) or both none in every
 * scored field. */
int label_scores_equal(const rubric *r, const scoreset *a, const scoreset *b);

typedef enum { LABEL_DO_ACCEPT = 0, LABEL_DO_SAVE, LABEL_DO_SKIP } label_action;

typedef struct {
    label_status status;
    scoreset scores;      /* what the label stores (empty when skipped) */
} label_decision;

/* What action means over v. Returns 0 and *out, or -1 + err (ERR_MAX)
 * naming the field: accept without model scores, or a score part with no
 * value. */
int label_decide(const rubric *r, const label_values *v,
                  label_action action, label_decision *out, char *err);

/* The reviewer's texts on a label: the rationale (the screen prefills the
 * model's) and a free comment. The status is decided by the scores alone,
 * as in Prodigy and Argilla, where an edited text answer does not make the
 * scores a correction: a changed rationale with the model's scores is
 * "accepted" (those scores, verbatim) and carries the reviewer's rationale.
 *
 * What a label stores as its rationale: yours when written and different
 * from the model's (ignoring leading/trailing white space), else NULL: the
 * model's stands (exports then give the model's). A skip stores none. */
const char *label_rationale_decide(label_action action, const char *model,
                                   const char *yours);
/* The comment stored: NULL when c is NULL or only white space. */
const char *label_comment_decide(const char *c);

#endif
