/* scorer.c: see scorer.h. */
#include "scorer.h"
#include "heuristic.h"
#include "prompt.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void score_result_clear(score_result *res)
{
    free(res->rationale);
    free(res->reasoning);
    free(res->raw);
    free(res->status);
    free(res->error);
    free(res->model);
    memset(res, 0, sizeof *res);
}

void score_summary_clear(score_summary *s)
{
    for (size_t i = 0; i < s->nendpoints; i++) free(s->endpoints[i].url);
    free(s->endpoints);
    s->endpoints = NULL;
    s->nendpoints = 0;
}

/* ---------------------------------------------------------------- state */

typedef struct {
    const scorer_job *job;
    char *const *ids;
    size_t n, pos;
    score_progress pr;
    score_summary *sum;
    double t0;
    int aborted;               /* a store failed */
    char abort_err[ERR_MAX];
    /* LLM only */
    const llm_config *cfg;
    llm_client *client;
    char *response_format;     /* json_schema, or NULL */
    char *messages_head;       /* system message and demos, built once */
    struct pending **queue;    /* JSON fallback requests waiting to be sent */
    size_t nqueue, capqueue;
} run_state;

/* A conversation in flight: what done() needs to finish it. stage 0 is
 * ChatAdapter's request, stage 1 JSONAdapter's (the fallback); the
 * request figures add up over both. */
typedef struct pending {
    const char *id;
    int stage;
    char *messages;
    char *inputs[RUBRIC_MAX_FIELDS];   /* kept for the fallback's prompt */
    char key[LLM_CACHE_KEY_LEN + 1];
    char *chat_raw;            /* stage 1: ChatAdapter's answer, if any */
    char *chat_error;          /* stage 1: why it did not do */
    int tokens, attempts, requests;
    long http_status;
    double latency_ms;
} pending;

static int is_cancelled(run_state *s)
{
    return s->aborted || (s->job->cancel && s->job->cancel(s->job->ctx));
}

static void note_failure(run_state *s, const char *id, const char *why)
{
    snprintf(s->sum->last_error, sizeof s->sum->last_error, "%s: %s", id,
             why ? why : "failed");
}

static void progress(run_state *s)
{
    s->pr.elapsed_s = date_mono() - s->t0;
    if (s->client) s->pr.limit = llm_client_limit(s->client);
    if (s->job->progress) s->job->progress(&s->pr, s->job->ctx);
}

/* Counts a result and hands it to store; takes no ownership. */
static void deliver(run_state *s, const char *id, const score_result *res)
{
    s->pr.done++;
    if (strcmp(res->status, "ok") == 0) s->pr.ok++;
    else if (strcmp(res->status, "partial") == 0) s->pr.partial++;
    else s->pr.failed++;
    if (res->attempts > (res->requests ? res->requests : 1)) s->pr.retried++;
    if (res->cached) s->pr.cache_hits++;
    if (res->fallback) s->pr.fallbacks++;
    s->pr.tokens += res->tokens;
    if (strcmp(res->status, "ok") != 0) note_failure(s, id, res->error);
    if (!s->aborted) {
        char err[ERR_MAX] = "";
        if (s->job->store(id, res, s->job->ctx, err) < 0) {
            s->aborted = 1;
            snprintf(s->abort_err, sizeof s->abort_err, "%s",
                     err[0] ? err : "storing a result failed");
        }
    }
    progress(s);
}

/* A conversation that could not be loaded: failed, not stored. */
static void fail_unloaded(run_state *s, const char *id, const char *why)
{
    s->pr.done++;
    s->pr.failed++;
    note_failure(s, id, why);
    progress(s);
}

/* ---------------------------------------------------------------- heuristic */

int scorer_heuristic_one(const rubric *r, const convo *c, score_result *res,
                         char *err)
{
    memset(res, 0, sizeof *res);
    if (heuristic_score(r, c, &res->scores, &res->rationale, NULL, err) < 0)
        return -1;
    res->status = xstrdup("ok");
    res->model = xstrdup(HEURISTIC_MODEL);
    return 0;
}

static int run_heuristic(run_state *s, char *err)
{
    const scorer_job *job = s->job;
    if (heuristic_check_rubric(job->r, err) < 0) return -1;
    for (; s->pos < s->n; s->pos++) {
        if (is_cancelled(s)) break;
        const char *id = s->ids[s->pos];
        char e[ERR_MAX] = "";
        convo *c = job->get_convo(id, job->ctx, e);
        if (!c) {
            fail_unloaded(s, id, e[0] ? e : "could not load conversation");
            continue;
        }
        double t = date_mono();
        score_result res;
        if (scorer_heuristic_one(job->r, c, &res, e) == 0) {
            res.latency_ms = (date_mono() - t) * 1000.0;
            deliver(s, id, &res);
        } else {
            fail_unloaded(s, id, e);
        }
        score_result_clear(&res);
        convo_free(c);
    }
    return 0;
}

/* ---------------------------------------------------------------- llm */

/* Cuts an owned string longer than max bytes to at most max (on a UTF-8
 * boundary) followed by SCORER_CUT_MARK. Returns s (reallocated). */
static char *cut_text(char *s, size_t max)
{
    if (!s) return NULL;
    size_t n = strlen(s);
    if (n <= max) return s;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
    s = xrealloc(s, max + sizeof SCORER_CUT_MARK);
    memcpy(s + max, SCORER_CUT_MARK, sizeof SCORER_CUT_MARK);
    return s;
}

/* Fills res from a parsed answer (a is left for the caller to clear). */
static void result_from_parsed(run_state *s, const char *content,
                               prompt_answer *a, score_result *res)
{
    const rubric *r = s->job->r;
    res->scores = a->scores;
    res->rationale = cut_text(prompt_answer_text_new(r, a), SCORER_TEXT_MAX);
    res->reasoning = cut_text(a->reasoning, SCORER_TEXT_MAX);
    a->reasoning = NULL;
    res->raw = content && strlen(content) > SCORER_RAW_MAX
                   ? cut_text(xstrdup(content), SCORER_RAW_MAX)
                   : xstrdup(content);
    res->status = xstrdup(prompt_status_name(a->status));
    res->error = a->error;
    a->error = NULL;
    res->model = xstrdup(s->cfg->model);
}

static void pending_free(pending *p)
{
    free(p->messages);
    prompt_inputs_clear(p->inputs);
    free(p->chat_raw);
    free(p->chat_error);
    free(p);
}

/* Hands the result of p to store (with the request figures of every
 * stage) and frees p. */
static void finish(run_state *s, pending *p, score_result *res)
{
    res->tokens += p->tokens;
    res->attempts += p->attempts;
    res->requests += p->requests;
    res->cached = res->requests == 0;
    if (p->http_status) res->http_status = p->http_status;
    res->latency_ms += p->latency_ms;
    res->fallback = p->stage == 1;
    if (!res->model) res->model = xstrdup(s->cfg->model);
    deliver(s, p->id, res);
    score_result_clear(res);
    pending_free(p);
}

static void fail_with(run_state *s, pending *p, const char *why)
{
    score_result res;
    memset(&res, 0, sizeof res);
    res.status = xstrdup("failed");
    res.error = xstrdup(why);
    res.raw = p->chat_raw;          /* ChatAdapter's answer, if any */
    p->chat_raw = NULL;
    finish(s, p, &res);
}

static int try_cache(run_state *s, pending *p, char **resp)
{
    const scorer_job *job = s->job;
    *resp = NULL;
    if (job->no_cache || !job->cache_get) return 0;
    if (job->cache_get(p->key, resp, job->ctx) != 1 || !*resp) {
        free(*resp);
        *resp = NULL;
        return 0;
    }
    return 1;
}

static void queue_push(run_state *s, pending *p)
{
    if (s->nqueue == s->capqueue) {
        s->capqueue = s->capqueue ? 2 * s->capqueue : 8;
        s->queue = xrealloc(s->queue, s->capqueue * sizeof *s->queue);
    }
    s->queue[s->nqueue++] = p;
}

static pending *queue_pop(run_state *s)
{
    if (!s->nqueue) return NULL;
    pending *p = s->queue[0];
    memmove(s->queue, s->queue + 1, --s->nqueue * sizeof *s->queue);
    return p;
}

/* JSONAdapter's answer: the result. */
static void json_answer(run_state *s, pending *p, const char *content,
                        int from_cache)
{
    const rubric *r = s->job->r;
    prompt_answer a;
    prompt_parse_json_answer(r, content, &a);
    if (!from_cache && a.status != ANSWER_FAILED && s->job->cache_put &&
        strlen(content) <= SCORER_RAW_MAX)
        s->job->cache_put(p->key, content, s->job->ctx);
    score_result res;
    memset(&res, 0, sizeof res);
    result_from_parsed(s, content, &a, &res);
    if (a.status != ANSWER_OK) {
        /* both answers' reasons: the fallback's last (it decides) */
        char *why = res.error;
        sbuf b = {0};
        sbuf_addf(&b, "ChatAdapter: %s; JSON fallback: %s",
                  p->chat_error ? p->chat_error : "failed",
                  why ? why : "failed");
        free(why);
        res.error = sbuf_take(&b);
    }
    prompt_answer_clear(&a);
    finish(s, p, &res);
}

/* ChatAdapter did not do (why): DSPy asks again through JSONAdapter. The
 * second request is built, answered from the cache or queued for
 * llm_next. Takes p. */
static void start_fallback(run_state *s, pending *p, const char *raw,
                           const char *why)
{
    const rubric *r = s->job->r;
    p->stage = 1;
    free(p->messages);
    p->messages = prompt_json_messages_json_new(r, s->job->pg, p->inputs);
    p->chat_raw = raw ? xstrdup(raw) : NULL;
    p->chat_error = xstrdup(why);
    llm_cache_key(s->cfg->base_url, s->cfg->model, p->messages,
                  s->cfg->temperature, s->cfg->max_tokens,
                  PROMPT_JSON_MODE_FORMAT, s->cfg->rollout_id, p->key);
    char *resp;
    if (try_cache(s, p, &resp)) {
        json_answer(s, p, resp, 1);
        free(resp);
        return;
    }
    queue_push(s, p);
}

static int fallback_on(const run_state *s)
{
    return !s->job->r->dspy.no_json_fallback;
}

/* ChatAdapter's answer: the result, or the JSON fallback when DSPy would
 * take it (an output field missing; an empty answer in 3.x). Takes p. */
static void chat_answer(run_state *s, pending *p, const char *content,
                        int from_cache)
{
    const rubric *r = s->job->r;
    prompt_answer a;
    prompt_parse_answer(r, content, &a);
    if (a.format == ANSWER_FMT_NONE && s->cfg->json_schema) {
        /* --json-schema asked this request for JSON itself */
        prompt_answer_clear(&a);
        prompt_parse_json_answer(r, content, &a);
    }
    int empty = a.format == ANSWER_FMT_NONE && a.error &&
                !strcmp(a.error, "empty response");
    int fallback = a.missing && fallback_on(s) &&
                   (!empty || dspy_fallback_after_empty(r->dspy.version));
    /* An answer the fallback follows is kept too, as DSPy's cache keeps
     * it: a rerun then costs no request at all. */
    if (!from_cache && (a.status != ANSWER_FAILED || fallback) &&
        s->job->cache_put && strlen(content) <= SCORER_RAW_MAX)
        s->job->cache_put(p->key, content, s->job->ctx);
    if (fallback) {
        start_fallback(s, p, content, a.error);
        prompt_answer_clear(&a);
        return;
    }
    score_result res;
    memset(&res, 0, sizeof res);
    result_from_parsed(s, content, &a, &res);
    prompt_answer_clear(&a);
    finish(s, p, &res);
}

/* Builds the messages and cache key for conversation id; NULL when it
 * could not be loaded (already counted). */
static pending *prepare(run_state *s, const char *id)
{
    const scorer_job *job = s->job;
    char e[ERR_MAX] = "";
    convo *c = job->get_convo(id, job->ctx, e);
    if (!c) {
        fail_unloaded(s, id, e[0] ? e : "could not load conversation");
        return NULL;
    }
    pending *p = xcalloc(1, sizeof *p);
    p->id = id;
    prompt_inputs_for_convo(job->r, c, p->inputs);
    p->messages = prompt_messages_json_join_new(s->messages_head, job->r,
                                                p->inputs);
    convo_free(c);
    llm_cache_key(s->cfg->base_url, s->cfg->model, p->messages, s->cfg->temperature,
                  s->cfg->max_tokens, s->response_format, s->cfg->rollout_id,
                  p->key);
    return p;
}

static int llm_next(llm_request *req, void *ctx)
{
    run_state *s = ctx;
    for (;;) {
        if (is_cancelled(s)) return 0;
        pending *p = queue_pop(s);
        if (!p) {
            if (s->pos >= s->n) return 0;
            const char *id = s->ids[s->pos++];
            if (!(p = prepare(s, id))) continue;
            char *resp;
            if (try_cache(s, p, &resp)) {
                chat_answer(s, p, resp, 1);
                free(resp);
                continue;
            }
        }
        req->messages_json = p->messages;
        req->response_format = p->stage ? PROMPT_JSON_MODE_FORMAT
                                        : s->response_format;
        req->user = p;
        return 1;
    }
}

/* litellm's ContextWindowExceededError: an error whose message says the
 * context window was exceeded (vLLM: "This model's maximum context length
 * is ..."); DSPy 2.6 never falls back after one. */
static int context_window_error(const char *msg)
{
    static const char *const marks[] = {
        "maximum context length", "context_length_exceeded",
        "context length exceeded", "Input is too long", "prompt is too long",
    };
    for (size_t i = 0; msg && i < sizeof marks / sizeof marks[0]; i++)
        if (strstr(msg, marks[i])) return 1;
    return 0;
}

static void llm_done(const llm_result *r, void *ctx)
{
    run_state *s = ctx;
    pending *p = r->user;
    if (r->status == LLM_CANCELLED) {
        pending_free(p);
        return;
    }
    p->tokens += r->total_tokens;
    p->attempts += r->attempts;
    if (r->attempts > 0) p->requests++;
    p->http_status = r->http_status;
    p->latency_ms += r->latency_ms;
    if (r->status == LLM_OK) {
        if (p->stage) json_answer(s, p, r->content, 0);
        else chat_answer(s, p, r->content, 0);
        return;
    }
    const char *why = r->error ? r->error : llm_status_name(r->status);
    if (p->stage == 0 && fallback_on(s) &&
        dspy_fallback_after_lm_error(s->job->r->dspy.version) &&
        !context_window_error(why)) {
        start_fallback(s, p, NULL, why);
        return;
    }
    if (p->stage == 0) {
        fail_with(s, p, why);
        return;
    }
    sbuf b = {0};
    sbuf_addf(&b, "ChatAdapter: %s; JSON fallback: %s",
              p->chat_error ? p->chat_error : "failed", why);
    char *msg = sbuf_take(&b);
    fail_with(s, p, msg);
    free(msg);
}

static int llm_cancel(void *ctx) { return is_cancelled(ctx); }

/* A copy of url with any user:password@ masked (it is printed and stored
 * in the run's summary). */
static char *url_masked_new(const char *url)
{
    const char *auth = strstr(url, "//");
    auth = auth ? auth + 2 : url;
    size_t alen = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *q = auth; q < auth + alen; q++)
        if (*q == '@') at = q;
    if (!at) return xstrdup(url);
    sbuf b = {0};
    sbuf_addn(&b, url, (size_t)(auth - url));
    sbuf_add(&b, "***");
    sbuf_add(&b, at);
    return sbuf_take(&b);
}

static void endpoints_summary(score_summary *sum, const llm_client *c)
{
    score_summary_clear(sum);
    size_t n = llm_client_endpoints(c);
    sum->endpoints = xcalloc(n ? n : 1, sizeof *sum->endpoints);
    sum->nendpoints = n;
    for (size_t i = 0; i < n; i++) {
        llm_endpoint_stats es;
        llm_client_endpoint_stats(c, i, &es);
        score_endpoint *e = &sum->endpoints[i];
        e->url = url_masked_new(es.url);
        e->attempts = es.attempts;
        e->ok = es.ok;
        e->errors = es.errors;
        e->mean_latency_ms = es.ok ? es.latency_ms_sum / (double)es.ok : 0;
        e->max_limit = es.max_limit;
    }
}

static int run_llm(run_state *s, char *err)
{
    const scorer_job *job = s->job;
    llm_client *client = job->client;
    if (!client && !job->llm) {
        err_set(err, "LLM backend without LLM settings");
        return -1;
    }
    if (!client && !(client = llm_client_new(job->llm, err))) return -1;
    s->cfg = llm_client_config(client);
    if (s->cfg->json_schema)
        s->response_format = prompt_response_format_json_new(job->r);
    s->messages_head = prompt_messages_head_json_new(job->r, job->pg);
    llm_batch_stats st;
    s->client = client;
    int rc = llm_run(client, llm_next, llm_done, llm_cancel, s, &st, err);
    /* fallbacks never sent (cancelled): not run */
    for (size_t i = 0; i < s->nqueue; i++) pending_free(s->queue[i]);
    free(s->queue);
    s->queue = NULL;
    s->nqueue = s->capqueue = 0;
    endpoints_summary(s->sum, client);
    s->client = NULL;
    free(s->response_format);
    s->response_format = NULL;
    free(s->messages_head);
    s->messages_head = NULL;
    if (client != job->client) llm_client_free(client);
    return rc;
}

/* ---------------------------------------------------------------- run */

int scorer_run(const scorer_job *job, char *const *ids, size_t n,
               score_summary *sum, char *err)
{
    score_summary local;
    memset(&local, 0, sizeof local);
    if (!sum) sum = &local;
    memset(sum, 0, sizeof *sum);
    sum->total = n;
    if (!job->r || !job->get_convo || !job->store) {
        err_set(err, "scorer: rubric, get_convo and store are required");
        return -1;
    }
    run_state s;
    memset(&s, 0, sizeof s);
    s.job = job;
    s.ids = ids;
    s.n = n;
    s.sum = sum;
    s.pr.total = n;
    s.t0 = date_mono();
    int rc = job->backend == SCORER_LLM ? run_llm(&s, err)
                                        : run_heuristic(&s, err);
    sum->ok = s.pr.ok;
    sum->partial = s.pr.partial;
    sum->failed = s.pr.failed;
    sum->retried = s.pr.retried;
    sum->cache_hits = s.pr.cache_hits;
    sum->fallbacks = s.pr.fallbacks;
    sum->tokens = s.pr.tokens;
    sum->wall_s = date_mono() - s.t0;
    sum->rps = sum->wall_s > 0 ? (double)s.pr.done / sum->wall_s : 0;
    sum->not_run = n - s.pr.done;
    sum->interrupted = s.pr.done < n;
    score_summary_clear(&local);
    if (s.aborted) {
        err_set(err, "%s", s.abort_err);
        return -1;
    }
    return rc;
}
