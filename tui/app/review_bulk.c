/* review_bulk.c: see review_bulk.h. */
#define _POSIX_C_SOURCE 200809L
#include "review_bulk.h"
#include "review.h"
#include "job_score.h"
#include "../../data/pool_team.h"
#include "../../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reason_names[BULK_NREASONS] = {
    "to accept", "no prediction", "prediction partial or failed",
    "already labeled or skipped by you", "in conflict between reviewers",
};

const char *review_bulk_reason_name(review_bulk_reason r)
{
    return r >= 0 && r < BULK_NREASONS ? reason_names[r] : "?";
}

static review_bulk_reason classify(const review_item *it, int conflict)
{
    if (!it->has_pred) return BULK_NO_PREDICTION;
    if (!it->pr.status || strcmp(it->pr.status, "ok") != 0) return BULK_NOT_OK;
    if (it->has_own) return BULK_OWN_LABEL;
    if (conflict) return BULK_CONFLICT;
    return BULK_ACCEPT;
}

typedef int (*walk_fn)(pool *p, const review_item *it, review_bulk_reason why,
                       void *ctx, char *err);

/* Whether the reviewers of it (open, with a current label) are in
 * conflict: 1, 0, or -1 + err. */
static int in_conflict(pool *p, const rubric *r, const review_item *it,
                       char *err)
{
    if (!it->has_current) return 0;
    scoreset s = it->current.scores;
    int rc = pool_team_adjust_label(p, r, it->conv_id, &s, err);
    return rc < 0 ? -1 : rc == 0;
}

/* Opens each conversation of view f (ids read first: the walk writes) and
 * calls fn with why it would or would not be accepted. *matched: how many
 * the view holds. 0 or -1 + err. */
static int walk(pool *p, const rubric *r, const char *reviewer,
                const pool_filter *f, walk_fn fn, void *ctx,
                review_bulk_progress progress, void *pctx, int64_t *matched,
                char *err)
{
    char **ids = NULL;
    size_t n = 0;
    int rc = job_ids_from_filter(p, f, &ids, &n, err);
    *matched = (int64_t)n;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (progress && progress(pctx, (int64_t)i, (int64_t)n)) {
            err_set(err, "cancelled: nothing was accepted");
            rc = -1;
            break;
        }
        review_item it;
        if (review_open(p, r, reviewer, ids[i], &it, err) < 0) {
            rc = -1;
            break;
        }
        int conflict = in_conflict(p, r, &it, err);
        rc = conflict < 0 ? -1 : fn(p, &it, classify(&it, conflict), ctx, err);
        review_item_clear(&it);
    }
    if (rc == 0 && progress) progress(pctx, (int64_t)n, (int64_t)n);
    job_ids_free(ids, n);
    return rc;
}

typedef struct {
    const rubric *r;
    review_bulk_plan *pl;
} plan_ctx;

static int plan_one(pool *p, const review_item *it, review_bulk_reason why,
                    void *ctx, char *err)
{
    plan_ctx *c = ctx;
    review_bulk_plan *pl = c->pl;
    pl->n[why]++;
    if (why == BULK_ACCEPT && pl->nsample < REVIEW_BULK_SAMPLE) {
        int oi = rubric_overall_index(c->r);
        pl->sample[pl->nsample].id = xstrdup(it->conv_id);
        if (oi >= 0 && it->pr.scores.set[oi]) {
            pl->sample[pl->nsample].has = 1;
            pl->sample[pl->nsample].overall = it->pr.scores.v[oi];
        }
        pl->nsample++;
    }
    return 0;
}

int review_bulk_plan_make(pool *p, const rubric *r, const char *reviewer,
                          const pool_filter *f, review_bulk_plan *out,
                          char *err)
{
    memset(out, 0, sizeof *out);
    if (!reviewer || !*reviewer) {
        err_set(err, "no reviewer name (use --reviewer or CURATE_REVIEWER)");
        return -1;
    }
    sbuf w = {0};
    pool_filter_describe(f, &w);
    out->what = sbuf_take(&w);
    plan_ctx c = {r, out};
    int rc = walk(p, r, reviewer, f, plan_one, &c, NULL, NULL, &out->matched,
                  err);
    if (rc < 0) review_bulk_plan_clear(out);
    return rc;
}

void review_bulk_plan_clear(review_bulk_plan *pl)
{
    for (int i = 0; i < pl->nsample; i++) free(pl->sample[i].id);
    free(pl->what);
    memset(pl, 0, sizeof *pl);
}

void review_bulk_plan_text(const review_bulk_plan *pl, sbuf *out)
{
    sbuf_addf(out, "view: %s (%lld conversation%s)\n", pl->what,
              (long long)pl->matched, pl->matched == 1 ? "" : "s");
    sbuf_addf(out, "to accept: %lld (the model's scores verbatim, as the "
              "accept key does)\n", (long long)pl->n[BULK_ACCEPT]);
    for (int k = 1; k < BULK_NREASONS; k++)
        if (pl->n[k])
            sbuf_addf(out, "left alone: %lld %s\n", (long long)pl->n[k],
                      reason_names[k]);
    for (int i = 0; i < pl->nsample; i++) {
        char ov[32] = "-";
        if (pl->sample[i].has) snprintf(ov, sizeof ov, "%.2f", pl->sample[i].overall);
        sbuf_addf(out, "  %s  model overall %s\n", pl->sample[i].id, ov);
    }
    if (pl->n[BULK_ACCEPT] > pl->nsample)
        sbuf_addf(out, "  ... and %lld more\n",
                  (long long)(pl->n[BULK_ACCEPT] - pl->nsample));
}

typedef struct {
    const rubric *r;
    const char *reviewer;
    review_bulk_result *res;
} accept_ctx;

static int accept_one(pool *p, const review_item *it, review_bulk_reason why,
                      void *ctx, char *err)
{
    accept_ctx *a = ctx;
    a->res->n[why]++;
    if (why != BULK_ACCEPT) return 0;
    review_saved sv;
    /* Opened inside this transaction: nobody can have labeled it since
     * (no supersede to ask about). */
    return review_save(p, a->r, a->reviewer, it, LABEL_DO_ACCEPT, NULL, 0,
                       &sv, err) < 0 ? -1 : 0;
}

int review_bulk_accept(pool *p, const rubric *r, const char *reviewer,
                       const pool_filter *f, review_bulk_progress progress,
                       void *ctx, review_bulk_result *out, char *err)
{
    memset(out, 0, sizeof *out);
    if (!reviewer || !*reviewer) {
        err_set(err, "no reviewer name (use --reviewer or CURATE_REVIEWER)");
        return -1;
    }
    sbuf w = {0};
    pool_filter_describe(f, &w);
    if (pool_begin(p, err) < 0) {
        sbuf_free(&w);
        return -1;
    }
    int rc = pool_batch_begin(p, reviewer, "bulk accept", w.s, &out->batch, err);
    sbuf_free(&w);
    accept_ctx a = {r, reviewer, out};
    if (rc == 0)
        rc = walk(p, r, reviewer, f, accept_one, &a, progress, ctx,
                  &out->matched, err);
    if (rc == 0 && out->n[BULK_ACCEPT] == 0) {
        /* nothing to accept: no empty batch either */
        pool_rollback(p);
        out->batch = 0;
        return 0;
    }
    if (rc == 0) rc = pool_batch_end(p, err);
    if (rc == 0) rc = pool_commit(p, err);
    else pool_rollback(p);
    if (rc < 0) {
        int64_t matched = out->matched;
        memset(out, 0, sizeof *out);
        out->matched = matched;
    }
    return rc;
}
