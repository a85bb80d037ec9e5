/* review_bulk.h: bulk accept, "accept every conversation in this view
 * whose prediction is ok", for the queue (A) and `curate label --accept
 * --filter`. A plan first (the preview: how many, why the others are left
 * alone, a sample), then the accept itself.
 *
 * A conversation of the view is accepted when it has a prediction under
 * review whose status is "ok" (parsed whole: not partial, not failed), the
 * reviewer has no label of it (not undone, not stale; a skip counts: it
 * was a decision), and its reviewers are not in conflict (that is the
 * lead's to settle). Each accept is review_save(LABEL_DO_ACCEPT), the same
 * use case as one accept on the review screen, so the rows are the same.
 * The whole batch is one transaction and one batch of the journal
 * (pool_batch_begin): it is stored whole or not at all, and one undo
 * (`u`, `curate undo`) reverts all of it. */
#ifndef CURATE_APP_REVIEW_BULK_H
#define CURATE_APP_REVIEW_BULK_H

#include "../../data/pool.h"

typedef enum {
    BULK_ACCEPT = 0,        /* ok: accepted */
    BULK_NO_PREDICTION,
    BULK_NOT_OK,            /* its prediction is partial or failed */
    BULK_OWN_LABEL,         /* the reviewer labeled or skipped it already */
    BULK_CONFLICT,          /* its reviewers disagree */
    BULK_NREASONS
} review_bulk_reason;

/* "to accept", "no prediction", "prediction partial or failed",
 * "already labeled or skipped by you", "in conflict between reviewers". */
const char *review_bulk_reason_name(review_bulk_reason r);

#define REVIEW_BULK_SAMPLE 5

typedef struct {
    int64_t matched;                   /* conversations in the view */
    int64_t n[BULK_NREASONS];          /* n[BULK_ACCEPT]: to accept */
    struct {
        char *id;
        double overall;                /* the model's overall, if has */
        int has;
    } sample[REVIEW_BULK_SAMPLE];      /* the first ones to accept */
    int nsample;
    char *what;                        /* the filter in words */
} review_bulk_plan;

/* Progress: done of total conversations looked at; non-zero cancels
 * (review_bulk_accept then stores nothing). May be NULL. */
typedef int (*review_bulk_progress)(void *ctx, int64_t done, int64_t total);

/* The preview of a bulk accept of view f by reviewer: reads only. 0 and
 * *out (review_bulk_plan_clear frees it), or -1 + err. */
int review_bulk_plan_make(pool *p, const rubric *r, const char *reviewer,
                          const pool_filter *f, review_bulk_plan *out,
                          char *err);
void review_bulk_plan_clear(review_bulk_plan *pl);
/* The preview as text, for both faces: "view: ...", the count to accept
 * and of the rest by reason, the sample with model overalls, one item a
 * line (untrusted ids: the caller sanitises when it prints). */
void review_bulk_plan_text(const review_bulk_plan *pl, sbuf *out);

typedef struct {
    int64_t batch;                     /* its batch id (0: nothing accepted) */
    int64_t matched;
    int64_t n[BULK_NREASONS];          /* n[BULK_ACCEPT]: accepted */
} review_bulk_result;

/* Accepts what review_bulk_plan_make would show now (the pool may have
 * changed since the preview), in one transaction. Nothing to accept
 * writes nothing (out->batch 0). Returns 0 and *out; -1 + err when
 * anything failed or progress cancelled ("cancelled: nothing was
 * accepted"): then nothing was stored. */
int review_bulk_accept(pool *p, const rubric *r, const char *reviewer,
                       const pool_filter *f, review_bulk_progress progress,
                       void *ctx, review_bulk_result *out, char *err);

#endif
