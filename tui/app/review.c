/* review.c: see review.h. */
#define _POSIX_C_SOURCE 200809L
#include "review.h"
#include "../../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void review_item_clear(review_item *it)
{
    free(it->conv_id);
    prediction_clear(&it->pr);
    label_clear(&it->current);
    label_clear(&it->own);
    free(it->edge_note);
    free(it->note);
    free(it->note_by);
    free(it->rationale);
    free(it->comment);
    memset(it, 0, sizeof *it);
}

int review_open(pool *p, const rubric *r, const char *reviewer,
                const char *conv_id, review_item *it, char *err)
{
    memset(it, 0, sizeof *it);
    if (!pool_has_convo(p, conv_id)) {
        err_set(err, "no conversation '%s'", conv_id);
        return -1;
    }
    it->conv_id = xstrdup(conv_id);
    int rc = pool_get_prediction(p, r, conv_id, 0, &it->pr, err);
    if (rc >= 0) { it->has_pred = rc == 1; rc = pool_get_label(p, r, conv_id, &it->current, err); }
    if (rc >= 0) { it->has_current = rc == 1; rc = pool_get_own_label(p, r, conv_id, reviewer, &it->own, err); }
    if (rc >= 0) { it->has_own = rc == 1; rc = pool_get_edge(p, conv_id, &it->edge_note, err); }
    if (rc >= 0) { it->edge = rc == 1; rc = pool_get_note(p, conv_id, &it->note, &it->note_by, err); }
    int64_t seen = rc >= 0 ? pool_newest_label_id(p, conv_id, err) : -1;
    if (seen < 0) {
        review_item_clear(it);
        return -1;
    }
    it->seen = seen;
    const label *start = it->has_own && it->own.status != LABEL_SKIPPED
                             ? &it->own : NULL;
    label_values_init(&it->v, r, it->has_pred ? &it->pr.scores : NULL,
                      start ? &start->scores : NULL);
    if (it->has_own) {
        review_set_rationale(it, it->own.rationale);
        review_set_comment(it, it->own.comment);
    }
    return 0;
}

void review_set_rationale(review_item *it, const char *text)
{
    free(it->rationale);
    it->rationale = text ? xstrdup(text) : NULL;
}

void review_set_comment(review_item *it, const char *text)
{
    free(it->comment);
    it->comment = text ? xstrdup(text) : NULL;
}

const char *review_rationale(const review_item *it, label_action action)
{
    return label_rationale_decide(action, it->has_pred ? it->pr.rationale : NULL,
                                  it->rationale);
}

int review_save(pool *p, const rubric *r, const char *reviewer,
                const review_item *it, label_action action, const char *note,
                int supersede, review_saved *out, char *err)
{
    memset(out, 0, sizeof *out);
    label_decision d;
    if (label_decide(r, &it->v, action, &d, err) < 0) return -1;
    label_new in = {
        .conv_id = it->conv_id, .reviewer = reviewer,
        .role = LABEL_ROLE_REVIEW, .status = d.status, .scores = &d.scores,
        .note = note, .pred_id = it->has_pred ? it->pr.id : 0,
        .rationale = review_rationale(it, action),
        .comment = label_comment_decide(it->comment),
        .seen = supersede ? -1 : it->seen,
    };
    int rc = pool_put_label(p, r, &in, &out->label_id, err);
    if (rc < 0) return rc;
    out->status = d.status;
    label l;
    if (pool_get_label(p, r, it->conv_id, &l, NULL) == 1) {
        int oi = rubric_overall_index(r);
        if (l.id == out->label_id && oi >= 0 && l.scores.set[oi]) {
            out->has_overall = 1;
            out->overall = l.scores.v[oi];
        }
        label_clear(&l);
    }
    return 0;
}

int review_edge(pool *p, const char *reviewer, const char *conv_id, int on,
                const char *note, char *err)
{
    return pool_set_edge(p, conv_id, reviewer, on, note && *note ? note : NULL,
                         err);
}

int review_note(pool *p, const char *reviewer, const char *conv_id,
                const char *text, char *err)
{
    return pool_add_note(p, conv_id, reviewer, text, err);
}

int review_undo(pool *p, const char *reviewer, const char *conv_id,
                int labels_only, pool_action *undone, char *what, char *err)
{
    int rc = pool_undo_last(p, reviewer, conv_id, labels_only, undone, err);
    if (rc == 0) {
        err_set(what, "nothing of %s's to undo%s%s", reviewer,
                conv_id ? " on " : "", conv_id ? conv_id : "");
    } else if (rc == 1 && undone->batch_n > 0) {
        err_set(what, "undone: the whole batch #%lld, %lld action%s (%s)",
                (long long)undone->batch, (long long)undone->batch_n,
                undone->batch_n == 1 ? "" : "s",
                undone->batch_what ? undone->batch_what : "bulk accept");
    } else if (rc == 1) {
        if (undone->kind == ACTION_LABEL && undone->role == LABEL_ROLE_ADJUDICATION)
            err_set(what, "undone: adjudication #%lld of %s",
                    (long long)undone->ref, undone->conv_id);
        else if (undone->kind == ACTION_LABEL || undone->kind == ACTION_SKIP)
            err_set(what, "undone: %s label #%lld of %s",
                    label_status_name(undone->status), (long long)undone->ref,
                    undone->conv_id);
        else
            err_set(what, "undone: %s of %s", pool_action_name(undone->kind),
                    undone->conv_id);
        if (undone->batch > 0) {
            size_t n = strlen(what);
            snprintf(what + n, ERR_MAX - n, " (one of batch #%lld; the rest "
                     "stays)", (long long)undone->batch);
        }
    }
    return rc;
}

void review_describe(const label *l, char *buf, size_t n)
{
    if (l->status == LABEL_ACCEPTED && l->pred_id > 0) {
        if (l->run_id > 0)
            snprintf(buf, n, "accepted prediction #%lld of run %lld",
                     (long long)l->pred_id, (long long)l->run_id);
        else
            snprintf(buf, n, "accepted prediction #%lld (no run)",
                     (long long)l->pred_id);
    } else if (l->status == LABEL_CORRECTED && l->pred_id > 0) {
        snprintf(buf, n, "corrected prediction #%lld", (long long)l->pred_id);
    } else {
        snprintf(buf, n, "%s", label_status_name(l->status));
    }
}
