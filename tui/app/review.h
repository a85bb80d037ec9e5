/* review.h: the review use cases, shared by the workbench's review screen
 * and the CLI (`curate label`, `curate edge`, `curate note`, `curate
 * undo`): open a conversation for review, save (accept / save yours /
 * skip), edge mark and unmark, note, undo. The decision over the values
 * is core/label.h's; the events and the journal are the pool's. Every
 * call that writes is one pool transaction. */
#ifndef CURATE_APP_REVIEW_H
#define CURATE_APP_REVIEW_H

#include "../../core/label.h"
#include "../../data/pool.h"

/* A conversation as one reviewer has it open. */
typedef struct {
    char *conv_id;
    prediction pr;        /* the prediction under review (latest) */
    int has_pred;
    label current;        /* the conversation's current label, any reviewer */
    int has_current;
    label own;            /* this reviewer's own latest label */
    int has_own;
    int64_t seen;         /* newest label id when opened (supersede check) */
    int edge;             /* edge case mark in force */
    char *edge_note;      /* its note, or NULL */
    char *note;           /* latest note, or NULL */
    char *note_by;
    label_values v;       /* "yours": the model's values, or the reviewer's
                             own earlier label (not a skip) */
    char *rationale;      /* yours (owned): NULL = the model's stands; from
                             your own earlier label when it has one */
    char *comment;        /* yours (owned), or NULL */
} review_item;

/* Opens conv_id for reviewer: 0, or -1 + err ("no conversation 'X'"). The
 * item is cleared first; review_item_clear frees it. */
int review_open(pool *p, const rubric *r, const char *reviewer,
                const char *conv_id, review_item *it, char *err);
void review_item_clear(review_item *it);

typedef struct {
    int64_t label_id;
    label_status status;
    double overall;       /* the stored overall, when has_overall */
    int has_overall;
} review_saved;

/* Saves it by action (label.h): accept stores the prediction under review
 * by its id, verbatim. it->rationale and it->comment go with the label as
 * label_rationale_decide / label_comment_decide say (a skip keeps the
 * comment, no rationale). note may be NULL. supersede 0: a label by another
 * reviewer newer than it->seen refuses with POOL_SUPERSEDES (err says who;
 * nothing written; ask, then call again with supersede 1; the other label
 * stays in the history either way). Returns 0 and *out, POOL_SUPERSEDES,
 * or -1 + err. */
int review_save(pool *p, const rubric *r, const char *reviewer,
                const review_item *it, label_action action, const char *note,
                int supersede, review_saved *out, char *err);

/* Marks (on) or unmarks conv_id as an edge case (note may be NULL). */
int review_edge(pool *p, const char *reviewer, const char *conv_id, int on,
                const char *note, char *err);
/* A note on conv_id. */
int review_note(pool *p, const char *reviewer, const char *conv_id,
                const char *text, char *err);

/* Reverts reviewer's own most recent action not yet undone (conv_id
 * non-NULL: on that conversation; labels_only: a label or skip); a bulk
 * accept (review_bulk.h) is reverted whole unless conv_id is given.
 * Returns 1 with *undone (caller clears) and what (ERR_MAX) saying what
 * was reverted, e.g. "undone: corrected label #12 of c-0004" (a lead's
 * adjudication: "undone: adjudication #13 of c-0004") or "undone:
 * the whole batch #3, 40 actions (to review, seller S-1)"; 0 nothing of
 * this reviewer's to undo (what says so); -1 + err. */
int review_undo(pool *p, const char *reviewer, const char *conv_id,
                int labels_only, pool_action *undone, char *what, char *err);

/* Sets it->rationale / it->comment to a copy of text (NULL clears). */
void review_set_rationale(review_item *it, const char *text);
void review_set_comment(review_item *it, const char *text);

/* The rationale a label of it would store (label.h), or NULL. */
const char *review_rationale(const review_item *it, label_action action);

/* "accepted prediction #N of run R" (or "... (no run)"), "corrected",
 * "skipped" for l, into buf. */
void review_describe(const label *l, char *buf, size_t n);

#endif
