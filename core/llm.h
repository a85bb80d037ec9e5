/* llm.h: an OpenAI-compatible /chat/completions client (vLLM, llama.cpp
 * server, Ollama, OpenAI) on the libcurl multi interface.
 *
 * One client owns one multi handle and a pool of reusable easy handles, so
 * connections are kept alive across requests and batches. A batch runs on
 * the calling thread: requests are pulled from the caller as slots free up,
 * each one ends in exactly one completion callback (on the calling thread),
 * with retries (exponential backoff with jitter, Retry-After honoured) on
 * connection errors, timeouts and HTTP 429, 500, 502, 503, 504. Other HTTP
 * errors fail at once with the server's message. The API key is only ever
 * sent in the Authorization header: no error message or returned string
 * contains it. Everything received (answers, error bodies, model ids) has
 * the key and any "Bearer <token>" replaced by "***" before a caller sees
 * it, so an endpoint that echoes the request cannot get the key stored or
 * shown.
 *
 * Endpoints: base_url may name several base URLs (replicas of one model),
 * separated by commas and/or white space. Each endpoint has its own
 * adaptive limit of requests in flight (AIMD, below); a request goes to the
 * endpoint with the lowest in-flight/limit ratio; an endpoint that cannot
 * be reached (or fails 3 times in a row) is taken out for 1 s, doubling up
 * to 30 s, and then probed with one request. A retry may go to another
 * endpoint.
 *
 * Adaptive limit (per endpoint, 1..concurrency): it starts at 4 and grows by
 * 2 per answer until the first sign of congestion, then by 4/limit per
 * answer (only while the limit is in use); it halves on a congestion error
 * (connection refused, reset or timed out, a total timeout, HTTP 429, 502,
 * 503, 504) and shrinks by a tenth when the smoothed latency exceeds 4x the
 * endpoint's lowest recent latency; at most one decrease per round trip.
 * The connect timeout is adaptive too: 8x the slowest connect seen so far
 * on that endpoint, at least 0.25 s, at most connect_timeout, so a dropped
 * SYN costs a quick retry (not counted against `retries`), not a stall.
 *
 * libcurl is loaded (dlopen of libcurl.so.4) and initialised on first use:
 * llm_client_new() and llm_list_models() call llm_global_init() themselves
 * (it is idempotent and thread-safe); call llm_global_cleanup() at exit. */
#ifndef CURATE_LLM_H
#define CURATE_LLM_H

#include <stddef.h>

/* Settings. String fields are owned (malloc'd) by the config: set them with
 * llm_config_set(), free them with llm_config_clear(). */
typedef struct {
    char *base_url;          /* e.g. "http://127.0.0.1:8000/v1"; several
                                separated by commas or spaces */
    char *model;
    char *api_key;           /* NULL or "" = no Authorization header */
    double temperature;      /* default 0 */
    int max_tokens;          /* default 1024 */
    double connect_timeout;  /* seconds, default 10 */
    double timeout;          /* seconds per attempt, default 120 */
    int retries;             /* extra attempts after the first, default 4 */
    int concurrency;         /* most requests in flight per endpoint, the
                                cap of the adaptive limit; default 8 */
    int fixed;               /* 1: exactly `concurrency` in flight per
                                endpoint and the configured connect
                                timeout (no adaptation); default 0 */
    int json_schema;         /* send response_format json_schema (the caller
                                builds it, see prompt.h); default 0 */
    double backoff_base;     /* seconds, first retry delay, default 0.5 */
    double backoff_max;      /* seconds, cap of the backoff, default 30 */
    double retry_after_max;  /* seconds, cap on Retry-After, default 60 */
    int rollout_id;          /* DSPy 3.x's LM rollout_id: not sent, only
                                part of the cache key; 0 = none */
} llm_config;

void llm_config_init(llm_config *c);               /* the defaults */
/* Fills base_url / model / api_key from CURATE_LLM_URL, CURATE_LLM_MODEL,
 * CURATE_LLM_API_KEY, falling back to OPENAI_BASE_URL / OPENAI_API_KEY, for
 * each variable that is set and non-empty. Callers apply flags afterwards. */
void llm_config_from_env(llm_config *c);
/* Replaces *field with a copy of value (NULL clears it). */
void llm_config_set(char **field, const char *value);
/* Deep copy of src into dst (dst is overwritten, not cleared). */
void llm_config_copy(llm_config *dst, const llm_config *src);
void llm_config_clear(llm_config *c);
/* 0 when the config can be used (base_url and model set, numbers sane),
 * else -1 + err naming what is missing. */
int llm_config_check(const llm_config *c, char *err);

/* The base URLs of a base_url list (commas and/or white space between
 * them; empty items skipped), each without trailing '/'. Returns the count
 * (0 for NULL/empty) and *urls (caller frees with llm_urls_free). */
size_t llm_urls_split(const char *list, char ***urls);
void llm_urls_free(char **urls, size_t n);

/* Loads and initialises libcurl once per process: 0, or -1 + err (the
 * library is missing or would not initialise). */
int llm_global_init(char *err);
/* At exit: libcurl's clean-up if it was loaded. */
void llm_global_cleanup(void);

typedef struct llm_client llm_client;

/* A client for cfg (copied). NULL + err on a bad config. */
llm_client *llm_client_new(const llm_config *cfg, char *err);
void llm_client_free(llm_client *c);
const llm_config *llm_client_config(const llm_client *c);

/* One request: the strings must stay valid until its completion callback. */
typedef struct {
    const char *messages_json;    /* JSON array of {"role","content"} */
    const char *response_format;  /* JSON object text, or NULL */
    void *user;                   /* handed back in the result */
} llm_request;

typedef enum {
    LLM_OK = 0,
    LLM_ERR_HTTP,         /* HTTP error status (non-retryable or retries
                             exhausted) */
    LLM_ERR_NETWORK,      /* could not connect, connection reset, ... */
    LLM_ERR_TIMEOUT,      /* connect or total timeout */
    LLM_ERR_RESPONSE,     /* HTTP 2xx but not a chat completion */
    LLM_CANCELLED         /* the batch was cancelled first */
} llm_status;

const char *llm_status_name(llm_status s);         /* "ok", "http", ... */

/* Pointers are valid during the callback only. */
typedef struct {
    llm_status status;
    const char *content;        /* LLM_OK: choices[0].message.content */
    const char *finish_reason;  /* may be NULL */
    int prompt_tokens, completion_tokens, total_tokens;
    long http_status;           /* of the last attempt, 0 if none */
    const char *error;          /* not OK: one line, never the API key */
    int attempts;               /* 0 when cancelled before being sent */
    double latency_ms;          /* first send to completion, incl. retries */
    size_t index;               /* 0-based order of submission */
    void *user;
} llm_result;

typedef void (*llm_done_fn)(const llm_result *res, void *ctx);
/* Fills *req with the next request and returns 1, or returns 0 when there
 * are none now. Called only when a slot is free; called again after a
 * request completes (a done callback may make more work), so the batch
 * ends when it returns 0 with nothing in flight. */
typedef int (*llm_next_fn)(llm_request *req, void *ctx);
/* Returns non-zero to cancel: nothing more is pulled, requests in flight
 * are aborted and reported LLM_CANCELLED. Checked at least every 100 ms. */
typedef int (*llm_cancel_fn)(void *ctx);

typedef struct {
    size_t submitted, ok, failed, cancelled;
    size_t retried;             /* requests that needed more than 1 attempt */
    size_t retries;             /* extra attempts in all */
    size_t fast_retries;        /* of them: after an adaptive connect
                                   timeout (not counted against retries) */
    int max_in_flight;
    long tokens;                /* total_tokens over OK results */
    double wall_s;
    int interrupted;            /* cancel() said stop */
} llm_batch_stats;

/* Runs requests pulled from next() until it returns 0 and all are done, or
 * until cancelled. cancel and st may be NULL. Returns 0 (individual failures
 * are reported through done), -1 + err if the batch could not run. */
int llm_run(llm_client *c, llm_next_fn next, llm_done_fn done,
            llm_cancel_fn cancel, void *ctx, llm_batch_stats *st, char *err);
/* Same over an array; every request gets exactly one callback (the ones
 * never sent because of a cancel are reported LLM_CANCELLED). */
int llm_run_batch(llm_client *c, const llm_request *reqs, size_t n,
                  llm_done_fn done, llm_cancel_fn cancel, void *ctx,
                  llm_batch_stats *st, char *err);

/* Per endpoint, since the client was made. */
typedef struct {
    const char *url;            /* base URL; valid while the client lives */
    size_t attempts;            /* HTTP attempts sent */
    size_t ok;                  /* 2xx answers */
    size_t errors;              /* failed attempts (any cause) */
    double latency_ms_sum;      /* over ok attempts */
    int limit;                  /* adaptive limit now */
    int max_limit;              /* highest it reached */
    int in_flight;
    int down;                   /* out of rotation now */
} llm_endpoint_stats;

/* Number of endpoints, and a snapshot of endpoint i (0-based). */
size_t llm_client_endpoints(const llm_client *c);
void llm_client_endpoint_stats(const llm_client *c, size_t i,
                               llm_endpoint_stats *out);
/* The live limit: the sum of the limits of the endpoints in rotation. */
int llm_client_limit(const llm_client *c);

/* GET {base_url}/models (the first URL of a list): the model ids. Returns 0 and *ids (caller frees
 * with llm_models_free) / *n, or -1 + err. */
int llm_list_models(const llm_config *cfg, char ***ids, size_t *n,
                    char *err);
void llm_models_free(char **ids, size_t n);

/* Cache key of a request: 32 lowercase hex digits (two 64-bit FNV-1a hashes
 * with different seeds) over the endpoints, model, messages, temperature,
 * max_tokens and response_format (NULL = none). endpoints is a base_url
 * list taken as a set (order, duplicates and trailing '/' do not matter):
 * the replicas of one run share the cache, another server (or another set
 * of replicas) with the same model name does not. rollout_id (0 = none)
 * makes its own entry, as DSPy 3.x's bootstrap rounds need. */
#define LLM_CACHE_KEY_LEN 32
void llm_cache_key(const char *endpoints, const char *model,
                   const char *messages_json,
                   double temperature, int max_tokens,
                   const char *response_format, int rollout_id,
                   char out[LLM_CACHE_KEY_LEN + 1]);

#endif
