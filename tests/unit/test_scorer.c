/* test_scorer.c: the scoring job end to end through its callbacks, with the
 * heuristic backend and with the LLM backend against the loopback server
 * (cache hits on a second run, demos in the prompt, json_schema, partial
 * answers, store errors, cancel). */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "srv.h"
#include "../../core/scorer.h"
#include "../../core/util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <unistd.h>

#define T0 1714557600

/* The loopback server: tests/unit/srv.h. */

/* ---------------------------------------------------------------- fixture */

#define NCONV 6
#define MAXRES 16

typedef struct {
    /* stored results */
    int n;
    char ids[MAXRES][32];
    score_result res[MAXRES];
    /* cache */
    int ncache, puts, gets;
    char keys[MAXRES][LLM_CACHE_KEY_LEN + 1];
    char *vals[MAXRES];
    /* behaviour */
    int fail_store_after;       /* -1 never */
    double cancel_at;
    int progress_calls;
    size_t last_done;
} fixture;

static convo *make_convo(const char *id)
{
    convo *c = convo_new(id, "seller-1");
    int k = atoi(id + 1);
    convo_add_msg(c, T0, "Ana", ROLE_CUSTOMER, "Hi, I need a hotel in Porto");
    convo_add_msg(c, T0 + 60 * (k + 1) * (k + 1), "Rui", ROLE_SELLER,
                  "Sure, sending options");
    convo_add_msg(c, T0 + 7200, "Ana", ROLE_CUSTOMER,
                  k % 2 ? "Still waiting, this is ridiculous" : "Great, thanks!");
    return c;
}

static convo *get_convo(const char *id, void *ctx, char *err)
{
    (void)ctx;
    if (id[0] != 'c') {
        err_set(err, "no conversation '%s'", id);
        return NULL;
    }
    return make_convo(id);
}

static int cache_get(const char *key, char **response, void *ctx)
{
    fixture *f = ctx;
    f->gets++;
    for (int i = 0; i < f->ncache; i++)
        if (strcmp(f->keys[i], key) == 0) {
            *response = xstrdup(f->vals[i]);
            return 1;
        }
    return 0;
}

static int cache_put(const char *key, const char *response, void *ctx)
{
    fixture *f = ctx;
    f->puts++;
    if (f->ncache >= MAXRES) return -1;
    snprintf(f->keys[f->ncache], sizeof f->keys[0], "%s", key);
    f->vals[f->ncache++] = xstrdup(response);
    return 0;
}

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

static int store(const char *id, const score_result *r, void *ctx, char *err)
{
    fixture *f = ctx;
    if (f->fail_store_after >= 0 && f->n >= f->fail_store_after) {
        err_set(err, "disk full");
        return -1;
    }
    if (f->n >= MAXRES) return -1;
    int i = f->n++;
    snprintf(f->ids[i], sizeof f->ids[i], "%s", id);
    score_result *d = &f->res[i];
    *d = *r;
    d->rationale = dup_or_null(r->rationale);
    d->reasoning = dup_or_null(r->reasoning);
    d->raw = dup_or_null(r->raw);
    d->status = dup_or_null(r->status);
    d->error = dup_or_null(r->error);
    d->model = dup_or_null(r->model);
    return 0;
}

static void on_progress(const score_progress *p, void *ctx)
{
    fixture *f = ctx;
    f->progress_calls++;
    f->last_done = p->done;
}

static int on_cancel(void *ctx)
{
    fixture *f = ctx;
    return f->cancel_at > 0 && date_mono() >= f->cancel_at;
}

static void fixture_init(fixture *f)
{
    memset(f, 0, sizeof *f);
    f->fail_store_after = -1;
}

static void fixture_reset_results(fixture *f)
{
    for (int i = 0; i < f->n; i++) score_result_clear(&f->res[i]);
    f->n = 0;
    f->progress_calls = 0;
}

static void fixture_free(fixture *f)
{
    fixture_reset_results(f);
    for (int i = 0; i < f->ncache; i++) free(f->vals[i]);
    f->ncache = 0;
}

static const score_result *result_for(const fixture *f, const char *id)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->ids[i], id) == 0) return &f->res[i];
    return NULL;
}

static scorer_job make_job(const rubric *r, fixture *f)
{
    scorer_job j;
    memset(&j, 0, sizeof j);
    j.r = r;
    j.get_convo = get_convo;
    j.cache_get = cache_get;
    j.cache_put = cache_put;
    j.store = store;
    j.progress = on_progress;
    j.cancel = on_cancel;
    j.ctx = f;
    return j;
}

static char *ids[NCONV + 1] = {"c0", "c1", "c2", "c3", "c4", "c5", "x-missing"};

/* ---------------------------------------------------------------- heuristic */

TEST(scorer_heuristic_end_to_end)
{
    rubric *r = rubric_default_new();
    fixture f;
    fixture_init(&f);
    scorer_job job = make_job(r, &f);
    job.backend = SCORER_HEURISTIC;
    score_summary sum;
    char err[ERR_MAX] = "";
    int rc = scorer_run(&job, ids, NCONV + 1, &sum, err);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK(f.n == NCONV);
    CHECK(sum.total == NCONV + 1 && sum.ok == NCONV && sum.failed == 1);
    CHECK(!sum.interrupted && sum.not_run == 0);
    CHECK_MSG(strstr(sum.last_error, "x-missing: no conversation"), "%s",
              sum.last_error);
    CHECK(f.progress_calls == NCONV + 1 && f.last_done == NCONV + 1);
    const score_result *a = result_for(&f, "c0"), *b = result_for(&f, "c5");
    CHECK(a && b);
    CHECK_STR(a->model, "heuristic-v1");
    CHECK_STR(a->status, "ok");
    CHECK(a->rationale && a->raw == NULL && a->tokens == 0);
    CHECK(a->scores.set[5] && b->scores.set[5]);
    CHECK_MSG(a->scores.v[5] > b->scores.v[5], "%g vs %g", a->scores.v[5],
              b->scores.v[5]);
    CHECK(f.gets == 0 && f.puts == 0);
    score_summary_clear(&sum);
    fixture_free(&f);
    rubric_free(r);
}

TEST(scorer_heuristic_refuses_custom_rubric)
{
    char err[ERR_MAX] = "";
    rubric *r = rubric_parse_new(
        "{\"instructions\": \"x\", \"fields\": ["
        "{\"name\": \"conversation\", \"kind\": \"input\"},"
        "{\"name\": \"tone_score\", \"kind\": \"score\"}]}", "t", err);
    CHECK(r);
    fixture f;
    fixture_init(&f);
    scorer_job job = make_job(r, &f);
    CHECK(scorer_run(&job, ids, 2, NULL, err) == -1);
    CHECK(strstr(err, "heuristic scorer only knows the built-in rubric"));
    CHECK(f.n == 0);
    rubric_free(r);
}

/* ---------------------------------------------------------------- llm */

static void llm_cfg(llm_config *c, const srv *s)
{
    llm_config_init(c);
    llm_config_set(&c->base_url, s->v1);
    llm_config_set(&c->model, "test-model");
    c->backoff_base = 0.01;
    c->backoff_max = 0.05;
    c->concurrency = 4;
    c->timeout = 10;
}

static void llm_cache_roundtrip(srv *s)
{
    rubric *r = rubric_default_new();
    llm_config cfg;
    llm_cfg(&cfg, s);
    fixture f;
    fixture_init(&f);
    scorer_job job = make_job(r, &f);
    job.backend = SCORER_LLM;
    job.llm = &cfg;
    score_summary sum;
    char err[ERR_MAX] = "";
    int rc = scorer_run(&job, ids, NCONV + 1, &sum, err);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK(sum.ok == NCONV && sum.failed == 1 && sum.cache_hits == 0);
    CHECK(sum.tokens > 0 && sum.rps > 0 && !sum.interrupted);
    CHECK(f.n == NCONV && f.puts == NCONV);
    CHECK(srv_stat(s, "requests") == NCONV);
    const score_result *a = result_for(&f, "c3");
    CHECK(a);
    CHECK_STR(a->status, "ok");
    CHECK_STR(a->model, "test-model");
    CHECK(a->raw && strstr(a->raw, "[[ ## completed ## ]]"));
    CHECK(a->reasoning && a->rationale);
    CHECK(a->tokens > 0 && a->attempts == 1 && !a->cached);
    CHECK(a->http_status == 200);
    for (int i = 2; i <= 5; i++) CHECK(a->scores.set[i]);
    scoreset first = a->scores;

    /* second run: every answer from the cache, no request sent */
    fixture_reset_results(&f);
    score_summary_clear(&sum);
    rc = scorer_run(&job, ids, NCONV, &sum, err);
    CHECK(rc == 0 && sum.ok == NCONV && sum.cache_hits == NCONV);
    CHECK(sum.tokens == 0);
    CHECK(srv_stat(s, "requests") == NCONV);
    a = result_for(&f, "c3");
    CHECK(a && a->cached && a->attempts == 0);
    CHECK(memcmp(&a->scores, &first, sizeof first) == 0);

    /* no_cache: sent again */
    fixture_reset_results(&f);
    job.no_cache = 1;
    score_summary_clear(&sum);
    rc = scorer_run(&job, ids, 2, &sum, err);
    CHECK(rc == 0 && sum.cache_hits == 0 && sum.ok == 2);
    CHECK(srv_stat(s, "requests") == NCONV + 2);

    /* a different program (demos) changes the prompt: cache miss, and the
     * demo is in the request */
    fixture_reset_results(&f);
    job.no_cache = 0;
    demo d;
    memset(&d, 0, sizeof d);
    d.values[0] = "[2024-05-01 10:00] Customer (X): hi";
    d.values[1] = "s9";
    d.values[2] = "9";
    d.values[3] = "1";
    d.values[4] = "8";
    program pg = {&d, 1, 1, 0, DSPY_V3, NULL};
    job.pg = &pg;
    cJSON_Delete(srv_http(s, "/reset", "{}"));
    score_summary_clear(&sum);
    rc = scorer_run(&job, ids, 1, &sum, err);
    CHECK(rc == 0 && sum.cache_hits == 0 && sum.ok == 1);
    cJSON *reqs = srv_http(s, "/requests", NULL);
    cJSON *msgs = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "body"), "messages");
    CHECK(cJSON_GetArraySize(msgs) == 4);
    const char *demo_user = cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1),
                                                "content")->valuestring;
    CHECK(strstr(demo_user, "This is an example of the task"));
    cJSON_Delete(reqs);
    score_summary_clear(&sum);
    fixture_free(&f);
    llm_config_clear(&cfg);
    rubric_free(r);
}

TEST(scorer_llm_end_to_end_with_cache)
{
    srv s;
    llm_global_init(NULL);
    CHECK(srv_start(&s, "--mode good") == 0);
    llm_cache_roundtrip(&s);
    srv_stop(&s);
    llm_global_cleanup();
}

static void llm_bad_answers(srv *s)
{
    rubric *r = rubric_default_new();
    llm_config cfg;
    llm_cfg(&cfg, s);
    cfg.json_schema = 1;
    cfg.retries = 0;
    fixture f;
    fixture_init(&f);
    scorer_job job = make_job(r, &f);
    job.backend = SCORER_LLM;
    job.llm = &cfg;
    score_summary sum;
    char err[ERR_MAX] = "";
    /* non-numeric: "seven"/"high" alternate, so some fields stay valid */
    int rc = scorer_run(&job, ids, 2, &sum, err);
    CHECK(rc == 0 && f.n == 2);
    CHECK(sum.partial + sum.failed == 2 && sum.ok == 0);
    const score_result *a = result_for(&f, "c0");
    CHECK(a && a->raw && a->error && strstr(a->error, "non-numeric"));
    /* response_format was sent */
    cJSON *reqs = srv_http(s, "/requests", NULL);
    cJSON *rf = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "body"),
        "response_format");
    CHECK(rf && strcmp(cJSON_GetObjectItem(rf, "type")->valuestring,
                       "json_schema") == 0);
    cJSON_Delete(reqs);

    /* garbage: failed, kept raw; ChatAdapter's answer is cached (the
     * fallback followed it, as DSPy's cache keeps it), the fallback's
     * failed answer is not */
    cJSON_Delete(srv_http(s, "/control", "{\"mode\":\"garbage\"}"));
    fixture_reset_results(&f);
    int puts = f.puts;
    job.no_cache = 1;
    score_summary_clear(&sum);
    rc = scorer_run(&job, ids, 2, &sum, err);
    CHECK(rc == 0 && sum.failed == 2);
    a = result_for(&f, "c1");
    CHECK(a && strcmp(a->status, "failed") == 0);
    CHECK_STR(a->raw, "I think it's fine lol");
    /* neither ChatAdapter's request nor the JSON fallback's parsed */
    CHECK_STR(a->error, "ChatAdapter: not a JSON object; JSON fallback: "
                        "not a JSON object");
    CHECK(a->fallback && a->requests == 2);
    CHECK(f.puts == puts + 2);

    /* HTTP 500: failed with the server's message, no raw */
    cJSON_Delete(srv_http(s, "/control", "{\"mode\":\"500\"}"));
    fixture_reset_results(&f);
    score_summary_clear(&sum);
    rc = scorer_run(&job, ids, 1, &sum, err);
    CHECK(rc == 0 && sum.failed == 1 && f.n == 1);
    CHECK(f.res[0].raw == NULL && f.res[0].http_status == 500);
    CHECK_MSG(strstr(f.res[0].error, "HTTP 500: upstream failure"), "%s",
              f.res[0].error);
    CHECK(strstr(sum.last_error, "c0: HTTP 500"));
    score_summary_clear(&sum);
    fixture_free(&f);
    llm_config_clear(&cfg);
    rubric_free(r);
}

TEST(scorer_llm_partial_failed_and_schema)
{
    srv s;
    llm_global_init(NULL);
    CHECK(srv_start(&s, "--mode non-numeric") == 0);
    llm_bad_answers(&s);
    srv_stop(&s);
    llm_global_cleanup();
}

static void llm_store_error_and_cancel(srv *s)
{
    rubric *r = rubric_default_new();
    llm_config cfg;
    llm_cfg(&cfg, s);
    cfg.concurrency = 1;
    fixture f;
    fixture_init(&f);
    f.fail_store_after = 2;
    scorer_job job = make_job(r, &f);
    job.backend = SCORER_LLM;
    job.llm = &cfg;
    job.no_cache = 1;
    score_summary sum;
    char err[ERR_MAX] = "";
    int rc = scorer_run(&job, ids, NCONV, &sum, err);
    CHECK(rc == -1);
    CHECK_STR(err, "disk full");
    CHECK(f.n == 2 && sum.interrupted && sum.not_run > 0);
    CHECK(srv_stat(s, "requests") == 3);          /* nothing sent after the failure */

    /* cancel while requests hang in the server's latency */
    cJSON_Delete(srv_http(s, "/control", "{\"latency_ms\": 3000}"));
    fixture_reset_results(&f);
    f.fail_store_after = -1;
    cfg.concurrency = 4;
    f.cancel_at = date_mono() + 0.3;
    double t0 = date_mono();
    score_summary_clear(&sum);
    rc = scorer_run(&job, ids, NCONV, &sum, err);
    double dt = date_mono() - t0;
    CHECK(rc == 0 && sum.interrupted && f.n == 0);
    CHECK(sum.not_run == NCONV);
    CHECK_MSG(dt < 2.5, "took %.2fs", dt);
    score_summary_clear(&sum);
    fixture_free(&f);
    llm_config_clear(&cfg);
    rubric_free(r);
}

TEST(scorer_llm_store_error_and_cancel)
{
    srv s;
    llm_global_init(NULL);
    CHECK(srv_start(&s, "--mode good") == 0);
    llm_store_error_and_cancel(&s);
    srv_stop(&s);
    llm_global_cleanup();
}

TEST(scorer_llm_needs_config)
{
    rubric *r = rubric_default_new();
    fixture f;
    fixture_init(&f);
    scorer_job job = make_job(r, &f);
    job.backend = SCORER_LLM;
    llm_config cfg;
    llm_config_init(&cfg);
    job.llm = &cfg;
    char err[ERR_MAX] = "";
    CHECK(scorer_run(&job, ids, 1, NULL, err) == -1);
    CHECK(strstr(err, "CURATE_LLM_URL"));
    rubric_free(r);
}

/* Issue 13: a 1 MB answer (a 20 MB one in the report) was stored three
 * times: raw, in the cache and as the rationale. Now it is kept once, cut
 * to SCORER_RAW_MAX, its texts to SCORER_TEXT_MAX, and not cached. */
static void llm_huge_answer(srv *s)
{
    rubric *r = rubric_default_new();
    llm_config cfg;
    llm_cfg(&cfg, s);
    size_t big = (size_t)1 << 20;
    sbuf b = {0};
    sbuf_add(&b, "{\"mode\":\"script\",\"script\":[{\"status\":200,\"content\":\""
                 "[[ ## reasoning ## ]]\\n");
    for (size_t i = 0; i < big / 2; i++) sbuf_addc(&b, i % 64 ? 'r' : ' ');
    sbuf_add(&b, "\\n\\n[[ ## responsiveness_score ## ]]\\n7\\n\\n"
                 "[[ ## customer_negative_score ## ]]\\n3\\n\\n"
                 "[[ ## conversational_trend_score ## ]]\\n6\\n\\n"
                 "[[ ## overall_seller_score ## ]]\\n6.5\\n\\n"
                 "[[ ## score_rationale ## ]]\\n");
    for (size_t i = 0; i < big / 2; i++) sbuf_addc(&b, i % 64 ? 't' : ' ');
    sbuf_add(&b, "\\n\\n[[ ## completed ## ]]\"}]}");
    cJSON_Delete(srv_http(s, "/control", b.s));
    sbuf_free(&b);
    fixture f;
    fixture_init(&f);
    scorer_job job = make_job(r, &f);
    job.backend = SCORER_LLM;
    job.llm = &cfg;
    score_summary sum;
    char err[ERR_MAX] = "";
    int rc = scorer_run(&job, ids, 1, &sum, err);
    CHECK_MSG(rc == 0 && f.n == 1, "%s", err);
    const score_result *a = result_for(&f, "c0");
    CHECK(a && a->raw && strcmp(a->status, "ok") == 0);
    size_t mark = strlen(SCORER_CUT_MARK);
    if (a && a->raw) {
        size_t n = strlen(a->raw);
        CHECK_MSG(n <= SCORER_RAW_MAX + mark && n > SCORER_RAW_MAX / 2,
                  "raw %zu bytes", n);
        CHECK(strcmp(a->raw + n - mark, SCORER_CUT_MARK) == 0);
        CHECK(a->rationale && strlen(a->rationale) <= SCORER_TEXT_MAX + mark);
        CHECK(a->reasoning && strlen(a->reasoning) <= SCORER_TEXT_MAX + mark);
    }
    CHECK_MSG(f.puts == 0, "cached %d answers", f.puts);
    score_summary_clear(&sum);
    fixture_free(&f);
    llm_config_clear(&cfg);
    rubric_free(r);
}

TEST(scorer_llm_huge_answer_stored_once_bounded)
{
    srv s;
    llm_global_init(NULL);
    CHECK(srv_start(&s, "--mode good") == 0);
    llm_huge_answer(&s);
    srv_stop(&s);
    llm_global_cleanup();
}

/* ---------------------------------------------------------------- JSON fallback */

/* The requests the server saw, newest last (caller frees). */
static cJSON *requests_seen(const srv *s) { return srv_http(s, "/requests", NULL); }

static const char *req_system(const cJSON *rec)
{
    const cJSON *msgs = cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "body"),
                                            "messages");
    return cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "content")->valuestring;
}

static int run_llm_job(const rubric *r, const srv *s, fixture *f, int n,
                       score_summary *sum)
{
    llm_config cfg;
    llm_cfg(&cfg, s);
    cfg.retries = 0;
    scorer_job job = make_job(r, f);
    job.backend = SCORER_LLM;
    job.llm = &cfg;
    char err[ERR_MAX] = "";
    int rc = scorer_run(&job, ids, (size_t)n, sum, err);
    llm_config_clear(&cfg);
    return rc;
}

TEST(scorer_json_fallback_second_request)
{
    srv s;
    llm_global_init(NULL);
    CHECK(srv_start(&s, "--mode json-fallback") == 0);
    rubric *r = rubric_default_new();   /* --dspy 3 */
    fixture f;
    fixture_init(&f);
    score_summary sum;
    CHECK(run_llm_job(r, &s, &f, 2, &sum) == 0);
    CHECK(sum.ok == 2 && sum.fallbacks == 2);
    CHECK(srv_stat(&s, "requests") == 4);    /* one more per answer */
    const score_result *a = result_for(&f, "c0");
    CHECK(a && a->fallback && a->requests == 2 && !a->cached);
    CHECK(a && a->raw && a->raw[0] == '{' && a->reasoning);
    /* the second request is JSONAdapter's: its prompt and JSON mode */
    cJSON *reqs = requests_seen(&s);
    int chat = 0, json = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, reqs) {
        const cJSON *rf = cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "body"),
                                              "response_format");
        if (strstr(req_system(rec), "Outputs will be a JSON object")) {
            json++;
            CHECK(rf && !strcmp(cJSON_GetObjectItem(rf, "type")->valuestring,
                                "json_object"));
        } else {
            chat++;
            CHECK(rf == NULL);
        }
    }
    CHECK(chat == 2 && json == 2);
    cJSON_Delete(reqs);
    score_summary_clear(&sum);

    /* a rerun: both answers from the cache, nothing sent */
    fixture_reset_results(&f);
    CHECK(run_llm_job(r, &s, &f, 2, &sum) == 0);
    CHECK(sum.ok == 2 && sum.fallbacks == 2 && sum.cache_hits == 2);
    CHECK(srv_stat(&s, "requests") == 4);
    score_summary_clear(&sum);

    /* --no-json-fallback: one request, ChatAdapter's parse failure */
    r->dspy.no_json_fallback = 1;
    fixture_reset_results(&f);
    fixture_free(&f);
    CHECK(run_llm_job(r, &s, &f, 1, &sum) == 0);
    CHECK(sum.failed == 1 && sum.fallbacks == 0);
    CHECK(srv_stat(&s, "requests") == 5);
    a = result_for(&f, "c0");
    CHECK(a && !a->fallback && a->requests == 1);
    CHECK(a && a->error && !strcmp(a->error, "no [[ ## ]] markers"));
    score_summary_clear(&sum);
    fixture_free(&f);
    rubric_free(r);
    srv_stop(&s);
    llm_global_cleanup();
}

/* When the fallback happens differs: 2.6 also after an LM error (not a
 * context-window one) and never after an empty answer; 3.x after an
 * empty answer and never after an LM error. */
TEST(scorer_json_fallback_when_per_version)
{
    srv s;
    llm_global_init(NULL);
    CHECK(srv_start(&s, "--mode json-fallback-500") == 0);
    rubric *r = rubric_default_new();
    fixture f;
    fixture_init(&f);
    score_summary sum;
    /* 3.x: HTTP 500 -> failed, no second request */
    CHECK(run_llm_job(r, &s, &f, 1, &sum) == 0);
    CHECK(sum.failed == 1 && sum.fallbacks == 0);
    CHECK(srv_stat(&s, "requests") == 1);
    score_summary_clear(&sum);
    /* 2.6: HTTP 500 -> JSONAdapter's request answers */
    r->dspy.version = DSPY_V26;
    fixture_free(&f);          /* no cache across steps */
    CHECK(run_llm_job(r, &s, &f, 1, &sum) == 0);
    CHECK(sum.ok == 1 && sum.fallbacks == 1);
    CHECK(srv_stat(&s, "requests") == 3);
    score_summary_clear(&sum);
    /* 2.6: a context-window error is not retried through JSONAdapter */
    srv_control(&s, "{\"mode\":\"400\"}");
    fixture_free(&f);          /* no cache across steps */
    CHECK(run_llm_job(r, &s, &f, 1, &sum) == 0);
    CHECK(sum.failed == 1 && sum.fallbacks == 0);
    CHECK(srv_stat(&s, "requests") == 4);
    score_summary_clear(&sum);
    /* empty answers: 2.6 takes them as they are, 3.x asks JSONAdapter */
    srv_control(&s, "{\"mode\":\"empty\"}");
    fixture_free(&f);          /* no cache across steps */
    CHECK(run_llm_job(r, &s, &f, 1, &sum) == 0);
    CHECK(sum.failed == 1 && sum.fallbacks == 0);
    CHECK(srv_stat(&s, "requests") == 5);
    score_summary_clear(&sum);
    r->dspy.version = DSPY_V3;
    fixture_free(&f);          /* no cache across steps */
    CHECK(run_llm_job(r, &s, &f, 1, &sum) == 0);
    CHECK(sum.failed == 1 && sum.fallbacks == 1);
    CHECK(srv_stat(&s, "requests") == 7);
    score_summary_clear(&sum);
    /* 3.2 is 2.6 here: no fallback after an empty answer ... */
    r->dspy.version = DSPY_V32;
    fixture_free(&f);
    CHECK(run_llm_job(r, &s, &f, 1, &sum) == 0);
    CHECK(sum.failed == 1 && sum.fallbacks == 0);
    CHECK(srv_stat(&s, "requests") == 8);
    score_summary_clear(&sum);
    /* ... and one after an HTTP error */
    srv_control(&s, "{\"mode\":\"json-fallback-500\"}");
    fixture_free(&f);
    CHECK(run_llm_job(r, &s, &f, 1, &sum) == 0);
    CHECK(sum.ok == 1 && sum.fallbacks == 1);
    CHECK(srv_stat(&s, "requests") == 10);
    score_summary_clear(&sum);
    fixture_free(&f);
    rubric_free(r);
    srv_stop(&s);
    llm_global_cleanup();
}
