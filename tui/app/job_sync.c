/* job_sync.c: see job_sync.h. */
#define _POSIX_C_SOURCE 200809L
#include "job_sync.h"
#include "../../core/date.h"
#include "../../core/err.h"
#include "../../core/xalloc.h"
#include "../../data/team_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char **v;
    size_t n;
} uidset;

static void uidset_free(uidset *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* a \ b, both sorted: pointers into a (not copies). */
static char **set_minus(const uidset *a, const uidset *b, size_t *n)
{
    char **out = xmalloc((a->n ? a->n : 1) * sizeof *out);
    size_t i = 0, j = 0;
    *n = 0;
    while (i < a->n) {
        int c = j < b->n ? strcmp(a->v[i], b->v[j]) : -1;
        if (c < 0) out[(*n)++] = a->v[i++];
        else if (c > 0) j++;
        else { i++; j++; }
    }
    return out;
}

static int cancelled(const job_sync_opts *o)
{
    return o->cancel && o->cancel(o->ctx);
}

static void progress(const job_sync_opts *o, const char *stage, int64_t done,
                     int64_t total)
{
    if (o->progress) o->progress(stage, done, total, o->ctx);
}

/* ------------------------------------------------------------- push */

static int push_kind(pool *p, team_store *ts, pool_sync_kind k, char **missing,
                     size_t n, const job_sync_opts *o, job_sync_summary *sum,
                     char *err)
{
    const char *name = pool_sync_kind_name(k);
    cJSON **docs = xmalloc(JOB_SYNC_BATCH * sizeof *docs);
    int rc = 0;
    char stage[64];
    snprintf(stage, sizeof stage, "push %s", name);
    for (size_t at = 0; at < n && rc == 0; at += JOB_SYNC_BATCH) {
        if (cancelled(o)) { sum->cancelled = 1; break; }
        size_t m = n - at < JOB_SYNC_BATCH ? n - at : JOB_SYNC_BATCH, got = 0;
        for (size_t i = 0; i < m; i++) {
            docs[got] = pool_sync_doc_new(p, k, missing[at + i], err);
            if (!docs[got]) { rc = -1; break; }
            got++;
        }
        int64_t big = 0;
        if (rc == 0) rc = team_store_insert(ts, name, docs, got, &big, err);
        for (size_t i = 0; i < got; i++) cJSON_Delete(docs[i]);
        if (rc == 0) {
            sum->pushed[k] += (int64_t)got - big;
            sum->too_large[k] += big;
            progress(o, stage, (int64_t)(at + m), (int64_t)n);
        }
    }
    free(docs);
    return rc;
}

/* ------------------------------------------------------------- pull */

typedef struct {
    pool *p;
    pool_sync_kind k;
    char **want;               /* sorted */
    size_t nwant;
    int filter;                /* a whole-collection read: keep only wanted */
    int collect;               /* keep all, apply after sorting */
    cJSON **docs;
    size_t n, cap;
    int64_t applied, waiting, total_done;
    const job_sync_opts *o;
    job_sync_summary *sum;
    int failed;
    char *err;
    char stage[64];
} pull_ctx;

static int apply_batch(pull_ctx *c)
{
    if (!c->n) return 0;
    int rc = pool_begin(c->p, c->err);
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        pool_sync_result r;
        rc = pool_sync_apply(c->p, c->k, c->docs[i], &r, c->err);
        if (rc == 0 && r == SYNC_APPLIED) c->applied++;
        if (rc == 0 && r == SYNC_WAITING) c->waiting++;
    }
    if (rc == 0) rc = pool_commit(c->p, c->err);
    else pool_rollback(c->p);
    for (size_t i = 0; i < c->n; i++) cJSON_Delete(c->docs[i]);
    c->total_done += (int64_t)c->n;
    c->n = 0;
    if (rc == 0) progress(c->o, c->stage, c->total_done, (int64_t)c->nwant);
    return rc;
}

static int pull_doc(cJSON *doc, void *vctx)
{
    pull_ctx *c = vctx;
    if (c->filter) {
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(doc, "uid");
        const char *key = cJSON_IsString(u) ? u->valuestring : NULL;
        if (!key || !bsearch(&key, c->want, c->nwant, sizeof *c->want, cmp_str)) {
            cJSON_Delete(doc);
            return 0;
        }
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : JOB_SYNC_BATCH;
        c->docs = xrealloc(c->docs, c->cap * sizeof *c->docs);
    }
    c->docs[c->n++] = doc;
    if (!c->collect && c->n >= JOB_SYNC_BATCH) {
        if (cancelled(c->o)) { c->sum->cancelled = 1; return 1; }
        if (apply_batch(c) < 0) { c->failed = 1; return 1; }
    }
    return 0;
}

/* Oldest first (then by uid), so local ids follow time. */
static int cmp_created(const void *a, const void *b)
{
    const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
    const cJSON *tx = cJSON_GetObjectItemCaseSensitive(x, "created_at");
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(y, "created_at");
    double dx = cJSON_IsNumber(tx) ? tx->valuedouble : 0;
    double dy = cJSON_IsNumber(ty) ? ty->valuedouble : 0;
    if (dx != dy) return dx < dy ? -1 : 1;
    const cJSON *ux = cJSON_GetObjectItemCaseSensitive(x, "uid");
    const cJSON *uy = cJSON_GetObjectItemCaseSensitive(y, "uid");
    return strcmp(cJSON_IsString(ux) ? ux->valuestring : "",
                  cJSON_IsString(uy) ? uy->valuestring : "");
}

static int pull_kind(pool *p, team_store *ts, pool_sync_kind k, char **missing,
                     size_t n, size_t store_n, const job_sync_opts *o,
                     job_sync_summary *sum, char *err)
{
    pull_ctx c;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.k = k;
    c.want = missing;
    c.nwant = n;
    c.o = o;
    c.sum = sum;
    c.err = err;
    /* applied oldest first: the latest (prediction, label, mark, note) by
     * local id is then the latest in time, as on the pool that made it */
    c.collect = k == SYNC_PREDICTIONS || k == SYNC_LABELS || k == SYNC_EDGES ||
                k == SYNC_NOTES;
    snprintf(c.stage, sizeof c.stage, "pull %s", pool_sync_kind_name(k));
    const char *name = pool_sync_kind_name(k);
    int rc = 0;
    /* most of the collection wanted: one pass over it beats $in lookups */
    if (n * 2 > store_n) {
        c.filter = 1;
        rc = team_store_fetch(ts, name, NULL, 0, 1, pull_doc, &c, err);
    } else {
        for (size_t at = 0; at < n && rc == 0 && !c.failed && !sum->cancelled;
             at += JOB_SYNC_BATCH) {
            size_t m = n - at < JOB_SYNC_BATCH ? n - at : JOB_SYNC_BATCH;
            rc = team_store_fetch(ts, name, missing + at, m, 0, pull_doc, &c, err);
        }
    }
    if (c.failed) rc = -1;
    if (rc == 0 && c.collect && c.n) {
        qsort(c.docs, c.n, sizeof *c.docs, cmp_created);
        cJSON **all = c.docs;
        size_t total = c.n;
        c.docs = NULL;
        c.n = c.cap = 0;
        for (size_t at = 0; at < total; at++) {
            if (rc == 0) {
                if (c.n == c.cap) {
                    c.cap = JOB_SYNC_BATCH;
                    c.docs = xrealloc(c.docs, c.cap * sizeof *c.docs);
                }
                c.docs[c.n++] = all[at];
                if (c.n >= JOB_SYNC_BATCH) {
                    if (cancelled(o)) { sum->cancelled = 1; rc = 1; }
                    else rc = apply_batch(&c);
                }
            } else {
                cJSON_Delete(all[at]);
            }
        }
        free(all);
        if (rc == 1) rc = 0;
    }
    if (rc == 0 && !sum->cancelled) rc = apply_batch(&c);
    for (size_t i = 0; i < c.n; i++) cJSON_Delete(c.docs[i]);
    free(c.docs);
    sum->pulled[k] += c.applied;
    sum->waiting += c.waiting;
    return rc;
}

/* ------------------------------------------------------------- best */

static int sync_best(pool *p, team_store *ts, job_sync_summary *sum, char *err)
{
    char *local = NULL, *remote = NULL, *last = NULL;
    int64_t set_at;
    int rc = pool_sync_best(p, &local, err);
    if (rc == 0) rc = team_store_get_best(ts, &remote, &set_at, err);
    if (rc == 0) rc = pool_meta_get(p, "sync_best", &last, err) < 0 ? -1 : 0;
    const char *now_best = local;
    if (rc == 0) {
        int local_changed = local && (!last || strcmp(local, last) != 0);
        if (local_changed && (!remote || strcmp(local, remote) != 0)) {
            rc = team_store_put_best(ts, local, date_now(), err);
            sum->best_pushed = rc == 0;
        } else if (remote && (!local || strcmp(local, remote) != 0)) {
            int r = pool_sync_set_best(p, remote, err);
            if (r < 0) rc = -1;
            else if (r == 0) { sum->best_pulled = 1; now_best = remote; }
        }
    }
    if (rc == 0 && now_best) rc = pool_meta_set(p, "sync_best", now_best, err);
    free(local);
    free(remote);
    free(last);
    return rc;
}

/* -------------------------------------------------------------- run */

int job_sync_run(pool *p, const job_sync_opts *o, job_sync_summary *sum,
                 char *err)
{
    memset(sum, 0, sizeof *sum);
    const char *names[SYNC_NKINDS + 1];
    for (int k = 0; k < SYNC_NKINDS; k++) names[k] = pool_sync_kind_name((pool_sync_kind)k);
    names[SYNC_NKINDS] = "meta";
    team_store_target t = {.uri = o->uri, .database = o->database, .prefix = o->prefix};
    team_store *ts = team_store_open_new(&t, names, SYNC_NKINDS + 1, err);
    if (!ts) return -1;
    snprintf(sum->shown, sizeof sum->shown, "%s", team_store_shown(ts));
    snprintf(sum->where, sizeof sum->where, "%s", team_store_where(ts));
    int rc = pool_sync_cache(p, err);
    if (rc == 0) rc = pool_sync_assign_uids(p, err);
    for (int i = 0; i < SYNC_NKINDS && rc == 0 && !sum->cancelled; i++) {
        pool_sync_kind k = pool_sync_kind_nth(i);
        uidset local = {0}, remote = {0};
        rc = pool_sync_local_uids(p, k, &local.v, &local.n, err);
        if (rc == 0) rc = team_store_uids(ts, names[k], &remote.v, &remote.n, err);
        if (rc == 0) {
            size_t np, nq;
            char **push = set_minus(&local, &remote, &np);
            char **pull = set_minus(&remote, &local, &nq);
            rc = push_kind(p, ts, k, push, np, o, sum, err);
            if (rc == 0 && !sum->cancelled)
                rc = pull_kind(p, ts, k, pull, nq, remote.n, o, sum, err);
            free(push);
            free(pull);
        }
        uidset_free(&local);
        uidset_free(&remote);
    }
    if (rc == 0 && !sum->cancelled) rc = sync_best(p, ts, sum, err);
    if (rc == 0 && !sum->cancelled) {
        char now[32];
        snprintf(now, sizeof now, "%lld", (long long)date_now());
        rc = pool_meta_set(p, "sync_last", now, err);
        if (rc == 0) rc = pool_meta_set(p, "sync_store", sum->shown, err);
    }
    team_store_free(ts);
    return rc;
}
