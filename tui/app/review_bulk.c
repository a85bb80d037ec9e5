/* review_bulk.c: see review_bulk.h. */
#define _POSIX_C_SOURCE 200809L
#include "review_bulk.h"
#include "review.h"
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

/* Ids in the pool's order (BINARY, so strcmp finds them again). */
typedef struct {
    char **v;
    size_t n, cap;
} idlist;

static int idlist_add(const char *id, void *ctx)
{
    idlist *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = xstrdup(id);
    return 0;
}

static void idlist_free(idlist *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int idlist_has(const idlist *l, const char *id)
{
    return l->n && bsearch(&id, l->v, l->n, sizeof *l->v, cmp_id) != NULL;
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

/* Opens each conversation of view f (ids read first: the walk writes) and
 * calls fn with why it would or would not be accepted. *matched: how many
 * the view holds. 0 or -1 + err. */
static int walk(pool *p, const rubric *r, const char *reviewer,
                const pool_filter *f, walk_fn fn, void *ctx,
                review_bulk_progress progress, void *pctx, int64_t *matched,
                char *err)
{
    idlist ids = {0}, conflicts = {0};
    int rc = pool_each_id(p, f, idlist_add, &ids, err);
    if (rc == 0) rc = pool_team_each_conflict(p, idlist_add, &conflicts, err);
    if (rc == 0 && conflicts.n)
        qsort(conflicts.v, conflicts.n, sizeof *conflicts.v, cmp_id);
    *matched = (int64_t)ids.n;
    for (size_t i = 0; rc == 0 && i < ids.n; i++) {
        if (progress && progress(pctx, (int64_t)i, (int64_t)ids.n)) {
            err_set(err, "cancelled: nothing was accepted");
            rc = -1;
            break;
        }
        review_item it;
        if (review_open(p, r, reviewer, ids.v[i], &it, err) < 0) {
            rc = -1;
            break;
        }
        rc = fn(p, &it, classify(&it, idlist_has(&conflicts, ids.v[i])), ctx, err);
        review_item_clear(&it);
    }
    if (rc == 0 && progress) progress(pctx, (int64_t)ids.n, (int64_t)ids.n);
    idlist_free(&ids);
    idlist_free(&conflicts);
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
