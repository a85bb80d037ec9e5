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

/* A pulled document, its kind and the keys it is sorted by. */
typedef struct {
    cJSON *doc;
    pool_sync_kind k;
    const char *conv, *uid;    /* into doc; "" when absent */
    double at;                 /* created_at, 0 when absent */
} pulled;

typedef struct {
    pool *p;
    pool_sync_kind k;          /* the kind being read */
    char **want;               /* sorted */
    size_t nwant;
    int filter;                /* a whole-collection read: keep only wanted */
    int collect;               /* keep all, apply after sorting */
    int defer;                 /* one state refresh per conversation and batch */
    pulled *docs;
    size_t n, cap;
    int64_t applied[SYNC_NKINDS], waiting, total_done, total;
    const job_sync_opts *o;
    job_sync_summary *sum;
    int failed;
    char *err;
    char stage[64];
} pull_ctx;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int apply_batch(pull_ctx *c)
{
    if (!c->n) return 0;
    int64_t *dirty = c->defer ? xmalloc(c->n * sizeof *dirty) : NULL;
    size_t nd = 0;
    int rc = pool_begin(c->p, c->err);
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        pool_sync_result r;
        int64_t cid = 0;
        rc = c->defer ? pool_sync_apply_deferred(c->p, c->docs[i].k, c->docs[i].doc, &r,
                                                 &cid, c->err)
                      : pool_sync_apply(c->p, c->docs[i].k, c->docs[i].doc, &r, c->err);
        if (rc == 0 && r == SYNC_APPLIED) c->applied[c->docs[i].k]++;
        if (rc == 0 && r == SYNC_WAITING) c->waiting++;
        if (rc == 0 && cid) dirty[nd++] = cid;
    }
    /* the state of each conversation touched, once, in the same transaction */
    if (nd) qsort(dirty, nd, sizeof *dirty, cmp_i64);
    for (size_t i = 0; i < nd && rc == 0; i++)
        if (i == 0 || dirty[i] != dirty[i - 1]) rc = pool_sync_refresh(c->p, dirty[i], c->err);
    free(dirty);
    if (rc == 0) rc = pool_commit(c->p, c->err);
    else pool_rollback(c->p);
    for (size_t i = 0; i < c->n; i++) cJSON_Delete(c->docs[i].doc);
    c->total_done += (int64_t)c->n;
    c->n = 0;
    if (rc == 0) progress(c->o, c->stage, c->total_done, c->total);
    return rc;
}

static const char *doc_text(const cJSON *d, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void add_doc(pull_ctx *c, cJSON *doc)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : JOB_SYNC_BATCH;
        c->docs = xrealloc(c->docs, c->cap * sizeof *c->docs);
    }
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(doc, "created_at");
    c->docs[c->n++] = (pulled){doc, c->k, doc_text(doc, "conv"), doc_text(doc, "uid"),
                               cJSON_IsNumber(at) ? at->valuedouble : 0};
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
    add_doc(c, doc);
    if (!c->collect && c->n >= JOB_SYNC_BATCH) {
        if (cancelled(c->o)) { c->sum->cancelled = 1; return 1; }
        if (apply_batch(c) < 0) { c->failed = 1; return 1; }
    }
    return 0;
}

/* Oldest first (then by uid), so local ids follow time. */
static int cmp_created(const void *a, const void *b)
{
    const pulled *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return strcmp(x->uid, y->uid);
}

/* By conversation, then kind (predictions before the labels that name
 * them), then oldest first: within a conversation local ids follow time,
 * and a batch refreshes each conversation once. */
static int cmp_conv(const void *a, const void *b)
{
    const pulled *x = a, *y = b;
    int c = strcmp(x->conv, y->conv);
    if (c) return c;
    if (x->k != y->k) return x->k < y->k ? -1 : 1;
    return cmp_created(a, b);
}

/* Applies what c collected, sorted by cmp, in batches. */
static int apply_collected(pull_ctx *c, int (*cmp)(const void *, const void *))
{
    int rc = 0;
    if (c->n) qsort(c->docs, c->n, sizeof *c->docs, cmp);
    pulled *all = c->docs;
    size_t total = c->n;
    c->total = (int64_t)total;
    c->docs = NULL;
    c->n = c->cap = 0;
    for (size_t at = 0; at < total; at++) {
        if (rc == 0) {
            if (c->n == c->cap) {
                c->cap = JOB_SYNC_BATCH;
                c->docs = xrealloc(c->docs, c->cap * sizeof *c->docs);
            }
            c->docs[c->n++] = all[at];
            if (c->n >= JOB_SYNC_BATCH) {
                if (cancelled(c->o)) { c->sum->cancelled = 1; rc = 1; }
                else rc = apply_batch(c);
            }
        } else {
            cJSON_Delete(all[at].doc);
        }
    }
    free(all);
    if (rc == 0) rc = apply_batch(c);
    return rc == 1 ? 0 : rc;
}

static void pull_end(pull_ctx *c)
{
    for (size_t i = 0; i < c->n; i++) cJSON_Delete(c->docs[i].doc);
    free(c->docs);
    c->docs = NULL;
    c->n = c->cap = 0;
    for (int k = 0; k < SYNC_NKINDS; k++) c->sum->pulled[k] += c->applied[k];
    c->sum->waiting += c->waiting;
}

/* Reads what the pool lacks of kind k into c: conversations, runs,
 * assignments, undos and programs are applied as they stream (c->collect
 * 0), the others collected. */
static int fetch_kind(team_store *ts, pull_ctx *c, pool_sync_kind k, char **missing,
                      size_t n, size_t store_n, char *err)
{
    c->k = k;
    c->want = missing;
    c->nwant = n;
    c->total += (int64_t)n;
    int rc = 0;
    const char *name = pool_sync_kind_name(k);
    /* most of the collection wanted: one pass over it beats $in lookups */
    c->filter = n * 2 > store_n;
    if (c->filter) {
        rc = team_store_fetch(ts, name, NULL, 0, 1, pull_doc, c, err);
    } else {
        for (size_t at = 0; at < n && rc == 0 && !c->failed && !c->sum->cancelled;
             at += JOB_SYNC_BATCH) {
            size_t m = n - at < JOB_SYNC_BATCH ? n - at : JOB_SYNC_BATCH;
            rc = team_store_fetch(ts, name, missing + at, m, 0, pull_doc, c, err);
        }
    }
    return c->failed ? -1 : rc;
}

static void pull_init(pull_ctx *c, pool *p, const job_sync_opts *o,
                      job_sync_summary *sum, char *err, const char *stage)
{
    memset(c, 0, sizeof *c);
    c->p = p;
    c->o = o;
    c->sum = sum;
    c->err = err;
    snprintf(c->stage, sizeof c->stage, "pull %s", stage);
}

/* Predictions, labels and edge marks are one group: read all three, then
 * applied by conversation, each conversation's state refreshed once per
 * batch (in a first pull most conversations get a prediction and labels:
 * their state once, not once per item; the schema's triggers make each
 * refresh the costly part). */
static int in_group(pool_sync_kind k)
{
    return k == SYNC_PREDICTIONS || k == SYNC_LABELS || k == SYNC_EDGES;
}

static int pull_kind(pool *p, team_store *ts, pool_sync_kind k, char **missing,
                     size_t n, size_t store_n, const job_sync_opts *o,
                     job_sync_summary *sum, pull_ctx *group, char *err)
{
    if (in_group(k)) {
        group->collect = group->defer = 1;
        int rc = fetch_kind(ts, group, k, missing, n, store_n, err);
        if (rc == 0 && k == SYNC_EDGES && !sum->cancelled) rc = apply_collected(group, cmp_conv);
        return rc;
    }
    pull_ctx c;
    pull_init(&c, p, o, sum, err, pool_sync_kind_name(k));
    /* a note is shown as the latest: applied oldest first */
    c.collect = k == SYNC_NOTES;
    int rc = fetch_kind(ts, &c, k, missing, n, store_n, err);
    if (rc == 0 && c.collect && !sum->cancelled) rc = apply_collected(&c, cmp_created);
    else if (rc == 0 && !sum->cancelled) rc = apply_batch(&c);
    pull_end(&c);
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
    pull_ctx group;
    pull_init(&group, p, o, sum, err, "predictions, labels, edge marks");
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
                rc = pull_kind(p, ts, k, pull, nq, remote.n, o, sum, &group, err);
            free(push);
            free(pull);
        }
        uidset_free(&local);
        uidset_free(&remote);
    }
    pull_end(&group);
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
