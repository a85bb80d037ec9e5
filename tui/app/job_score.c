/* job_score.c: see job_score.h. */
#define _POSIX_C_SOURCE 200809L
#include "job_score.h"
#include "../../core/numarg.h"
#include "../../core/util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

scorer_backend job_score_default_backend(const llm_config *c)
{
    return c && c->base_url && *c->base_url ? SCORER_LLM : SCORER_HEURISTIC;
}

int job_score_load_program(pool *p, const rubric *r, const char *spec,
                           program **out, int64_t *program_id, char *err)
{
    *out = NULL;
    *program_id = 0;
    if (spec && !strcmp(spec, "none")) return 0;
    int64_t id = 0;
    if (spec && strcmp(spec, "best") != 0) {
        char e2[ERR_MAX];
        if (numarg_int("--program", spec, 1, INT64_MAX, &id, e2) < 0) {
            err_set(err, "%s (or best, none)", e2);
            return -1;
        }
    }
    pool_program pg;
    int rc = pool_get_program(p, id, &pg, err);
    if (rc < 0) return -1;
    if (rc == 0) {
        if (id == 0) return 0; /* no best yet: zero-shot */
        err_set(err, "no program %lld (see curate programs)", (long long)id);
        return -1;
    }
    *out = program_from_state_json_new(pg.state_json, r, err);
    *program_id = pg.id;
    pool_program_clear(&pg);
    return *out ? 0 : -1;
}

typedef struct {
    pool *p;                 /* first: see job_pool_get_convo */
    const rubric *r;
    const job_score_opts *o;
    int in_tx, pending;      /* an open batch of stored results */
    double tx_start;
    int64_t run_id, program_id;
} glue;

/* The glue structs of scoring and optimising start with their pool *:
 * a pointer to a struct is a pointer to its first member. */
convo *job_pool_get_convo(const char *id, void *ctx, char *err)
{
    pool *p = *(pool **)ctx;
    return pool_get_convo_new(p, id, err);
}

int job_pool_cache_get(const char *key, char **response, void *ctx)
{
    pool *p = *(pool **)ctx;
    char err[ERR_MAX];
    return pool_cache_get(p, key, response, err);
}

int job_pool_cache_put(const char *key, const char *response, void *ctx)
{
    pool *p = *(pool **)ctx;
    char err[ERR_MAX];
    return pool_cache_put(p, key, response, err);
}

/* Results are committed in small batches (one transaction per
 * STORE_BATCH results or STORE_LAG_S seconds, whichever comes first): a
 * transaction per result costs more CPU than the request itself. A crash
 * loses at most the last fraction of a second of results, never a label. */
#define STORE_BATCH 32
#define STORE_LAG_S 0.2

static int flush(glue *g, char *err)
{
    if (!g->in_tx) return 0;
    g->in_tx = 0;
    int rc = pool_commit(g->p, err);
    /* Leave the write lock free for a moment: reviewers waiting to save
     * (polling every millisecond, see pool.c) get in between batches. */
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    return rc;
}

static int store(const char *conv_id, const score_result *res, void *ctx,
                 char *err)
{
    glue *g = ctx;
    prediction pr;
    memset(&pr, 0, sizeof pr);
    pr.scores = res->scores;
    pr.rationale = res->rationale;
    pr.reasoning = res->reasoning;
    pr.raw = res->raw;
    pr.status = res->status;
    pr.error = res->error;
    pr.model = res->model;
    pr.program_id = g->program_id;
    pr.run_id = g->run_id;
    pr.tokens = res->tokens;
    pr.latency_ms = res->latency_ms;
    pr.json_fallback = res->fallback;
    if (!g->in_tx) {
        if (pool_begin(g->p, err) < 0) return -1;
        g->in_tx = 1;
        g->tx_start = date_mono();
        g->pending = 0;
    }
    /* A conversation deleted meanwhile is not a reason to stop the run. */
    if (pool_put_prediction(g->p, g->r, conv_id, &pr, NULL, err) < 0 &&
        pool_has_convo(g->p, conv_id)) {
        char e2[ERR_MAX];
        flush(g, e2);   /* keep what the batch already holds */
        return -1;
    }
    if (++g->pending >= STORE_BATCH || date_mono() - g->tx_start > STORE_LAG_S)
        return flush(g, err);
    return 0;
}

static void progress(const score_progress *sp, void *ctx)
{
    glue *g = ctx;
    if (g->o->progress) g->o->progress(sp, g->o->ctx);
}

/* Polled by the scorer at least every 100 ms: also where a batch that has
 * waited too long for its next result is committed, so a slow endpoint
 * never holds the pool's write lock against the reviewers. */
static int cancel(void *ctx)
{
    glue *g = ctx;
    char err[ERR_MAX];
    if (g->in_tx && date_mono() - g->tx_start > STORE_LAG_S) flush(g, err);
    return g->o->cancel ? g->o->cancel(g->o->ctx) : 0;
}

static char *summary_json_new(const score_summary *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "total", (double)s->total);
    cJSON_AddNumberToObject(o, "ok", (double)s->ok);
    cJSON_AddNumberToObject(o, "partial", (double)s->partial);
    cJSON_AddNumberToObject(o, "failed", (double)s->failed);
    cJSON_AddNumberToObject(o, "retried", (double)s->retried);
    cJSON_AddNumberToObject(o, "cache_hits", (double)s->cache_hits);
    cJSON_AddNumberToObject(o, "json_fallbacks", (double)s->fallbacks);
    cJSON_AddNumberToObject(o, "not_run", (double)s->not_run);
    cJSON_AddNumberToObject(o, "tokens", (double)s->tokens);
    cJSON_AddNumberToObject(o, "wall_s", s->wall_s);
    if (s->last_error[0]) cJSON_AddStringToObject(o, "last_error", s->last_error);
    if (s->nendpoints) {
        cJSON *eps = cJSON_AddArrayToObject(o, "endpoints");
        for (size_t i = 0; i < s->nendpoints; i++) {
            const score_endpoint *e = &s->endpoints[i];
            cJSON *je = cJSON_CreateObject();
            cJSON_AddStringToObject(je, "url", e->url);
            cJSON_AddNumberToObject(je, "requests", (double)e->attempts);
            cJSON_AddNumberToObject(je, "ok", (double)e->ok);
            cJSON_AddNumberToObject(je, "errors", (double)e->errors);
            cJSON_AddNumberToObject(je, "mean_latency_ms",
                                    round(e->mean_latency_ms * 10) / 10);
            cJSON_AddNumberToObject(je, "max_limit", e->max_limit);
            cJSON_AddItemToArray(eps, je);
        }
    }
    char *out = json_text_new(o, 0);
    cJSON_Delete(o);
    return out;
}

int job_score_run(pool *p, const rubric *r, const job_score_opts *o,
                  char *const *ids, size_t n, int64_t *run_id,
                  score_summary *sum, char *err)
{
    glue g = {.p = p, .r = r, .o = o};
    score_summary local;
    if (!sum) sum = &local;
    memset(sum, 0, sizeof *sum);
    program *pg = NULL;
    if (job_score_load_program(p, r, o->program, &pg, &g.program_id, err) < 0)
        return -1;
    const char *backend = o->backend == SCORER_LLM ? "llm" : "heuristic";
    const char *model = o->backend == SCORER_LLM && o->llm ? o->llm->model
                                                           : "heuristic-v1";
    /* Settings that shape the answers, never the key. */
    char params[512];
    snprintf(params, sizeof params,
             "{\"backend\":\"%s\",\"n\":%zu,\"no_cache\":%s,\"temperature\":%g,"
             "\"max_tokens\":%d,\"concurrency\":%d,\"dspy\":\"%s\","
             "\"json_fallback\":%s}", backend, n,
             o->no_cache ? "true" : "false",
             o->llm ? o->llm->temperature : 0.0, o->llm ? o->llm->max_tokens : 0,
             o->llm ? o->llm->concurrency : 1,
             dspy_release(r->dspy.version),
             r->dspy.no_json_fallback ? "false" : "true");
    if (pool_run_start(p, "score", backend, model, g.program_id, params,
                       &g.run_id, err) < 0) {
        program_free(pg);
        return -1;
    }
    if (run_id) *run_id = g.run_id;
    scorer_job job = {
        .r = r, .pg = pg, .backend = o->backend, .llm = o->llm,
        .no_cache = o->no_cache, .get_convo = job_pool_get_convo,
        .cache_get = job_pool_cache_get, .cache_put = job_pool_cache_put,
        .store = store,
        .progress = progress, .cancel = cancel, .ctx = &g,
    };
    int rc = scorer_run(&job, ids, n, sum, err);
    char e3[ERR_MAX];
    if (flush(&g, e3) < 0 && rc == 0) {
        snprintf(err, ERR_MAX, "%s", e3);
        rc = -1;
    }
    char *js = summary_json_new(sum);
    char e2[ERR_MAX];
    pool_run_finish(p, g.run_id, rc < 0 ? "failed"
                                 : sum->interrupted ? "interrupted" : "done",
                    js, e2);
    free(js);
    if (sum == &local) score_summary_clear(&local);
    program_free(pg);
    return rc;
}

typedef struct {
    char **ids;
    size_t n, cap;
} idvec;

static int add_id(const char *id, void *ctx)
{
    idvec *v = ctx;
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 256;
        v->ids = xrealloc(v->ids, v->cap * sizeof *v->ids);
    }
    v->ids[v->n++] = xstrdup(id);
    return 0;
}

int job_ids_from_filter(pool *p, const pool_filter *f, char ***ids,
                        size_t *n, char *err)
{
    idvec v = {0};
    if (pool_each_id(p, f, add_id, &v, err) < 0) {
        job_ids_free(v.ids, v.n);
        return -1;
    }
    *ids = v.ids;
    *n = v.n;
    return 0;
}

void job_ids_free(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++) free(ids[i]);
    free(ids);
}
