/* llm.c: see llm.h. One multi handle per client, easy handles reused from
 * an idle pool, curl_multi_poll() for waiting (no busy loop). */
#define _POSIX_C_SOURCE 200809L
#include "llm.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_RESPONSE ((size_t)32 << 20)
#define POLL_MS 100
#define MSG_MAX 300

/* ---------------------------------------------------------------- config */

void llm_config_init(llm_config *c)
{
    memset(c, 0, sizeof *c);
    c->temperature = 0;
    c->max_tokens = 1024;
    c->connect_timeout = 10;
    c->timeout = 120;
    c->retries = 4;
    c->concurrency = 8;
    c->backoff_base = 0.5;
    c->backoff_max = 30;
    c->retry_after_max = 60;
}

void llm_config_set(char **field, const char *value)
{
    char *copy = xstrdup(value);
    free(*field);
    *field = copy;
}

static const char *env_first(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (v && *v) return v;
    v = b ? getenv(b) : NULL;
    return v && *v ? v : NULL;
}

void llm_config_from_env(llm_config *c)
{
    const char *v;
    if ((v = env_first("CURATE_LLM_URL", "OPENAI_BASE_URL")))
        llm_config_set(&c->base_url, v);
    if ((v = env_first("CURATE_LLM_MODEL", NULL)))
        llm_config_set(&c->model, v);
    if ((v = env_first("CURATE_LLM_API_KEY", "OPENAI_API_KEY")))
        llm_config_set(&c->api_key, v);
}

void llm_config_copy(llm_config *dst, const llm_config *src)
{
    *dst = *src;
    dst->base_url = xstrdup(src->base_url);
    dst->model = xstrdup(src->model);
    dst->api_key = xstrdup(src->api_key);
}

void llm_config_clear(llm_config *c)
{
    free(c->base_url);
    free(c->model);
    free(c->api_key);
    c->base_url = c->model = c->api_key = NULL;
}

int llm_config_check(const llm_config *c, char *err)
{
    if (!c->base_url || !*c->base_url) {
        err_set(err, "no LLM endpoint: set CURATE_LLM_URL (e.g. "
                "http://127.0.0.1:8000/v1) or --url");
        return -1;
    }
    if (strncmp(c->base_url, "http://", 7) != 0 &&
        strncmp(c->base_url, "https://", 8) != 0) {
        err_set(err, "LLM URL must start with http:// or https://");
        return -1;
    }
    if (!c->model || !*c->model) {
        err_set(err, "no LLM model: set CURATE_LLM_MODEL or --model");
        return -1;
    }
    if (c->concurrency < 1 || c->concurrency > 1024 || c->retries < 0 ||
        c->max_tokens < 1 || !(c->timeout > 0) || !(c->connect_timeout > 0) ||
        !(c->temperature >= 0)) {
        err_set(err, "LLM settings out of range (concurrency 1-1024, "
                "retries >= 0, max_tokens >= 1, timeouts > 0)");
        return -1;
    }
    return 0;
}

int llm_global_init(char *err)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        err_set(err, "curl_global_init: %s", curl_easy_strerror(rc));
        return -1;
    }
    return 0;
}

void llm_global_cleanup(void) { curl_global_cleanup(); }

const char *llm_status_name(llm_status s)
{
    static const char *const names[] = {"ok", "http", "network", "timeout",
                                        "response", "cancelled"};
    return (unsigned)s < 6 ? names[s] : "?";
}

/* ---------------------------------------------------------------- text */

/* A copy of text (received from the server) with the API key and any
 * bearer token ("Bearer <token>", as an echoed Authorization header reads)
 * replaced by "***": an endpoint that echoes the request must not get the
 * key into predictions, the response cache, program demos or exports.
 * Caller frees. */
static char *scrub_secrets_new(const char *text, size_t n, const char *key,
                               size_t *outlen)
{
    static const char tok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                              "0123456789-._~+/=";
    size_t kl = key ? strlen(key) : 0;
    sbuf b = {0};
    size_t i = 0;
    while (i < n) {
        const char *p = text + i;
        if (kl && *p == key[0] && n - i >= kl && memcmp(p, key, kl) == 0) {
            sbuf_add(&b, "***");
            i += kl;
            continue;
        }
        if ((*p | 0x20) == 'b' && n - i > 6 && strncasecmp(p, "bearer", 6) == 0) {
            size_t sp = 6, tl = 0;
            while (i + sp < n && (p[sp] == ' ' || p[sp] == '\t')) sp++;
            while (i + sp + tl < n && p[sp + tl] && strchr(tok, p[sp + tl])) tl++;
            if (sp > 6 && tl >= 8) {
                sbuf_addn(&b, p, sp);
                sbuf_add(&b, "***");
                i += sp + tl;
                continue;
            }
        }
        sbuf_addc(&b, *p);
        i++;
    }
    if (outlen) *outlen = b.len;
    return sbuf_take(&b);
}

/* The same for an error message in place (NUL-terminated, ERR_MAX). */
static void scrub_err(char *msg, const char *key)
{
    char *clean = scrub_secrets_new(msg, strlen(msg), key, NULL);
    snprintf(msg, ERR_MAX, "%s", clean);
    free(clean);
}

/* Copies s (n bytes) as one line: control characters become spaces,
 * truncated to max bytes with "...". */
static void one_line(char *out, size_t outlen, const char *s, size_t n,
                     size_t max)
{
    size_t k = 0, lim = n < max ? n : max;
    while (lim && (s[0] == ' ' || s[0] == '\n' || s[0] == '\r')) {
        s++; n--; lim--;
    }
    for (size_t i = 0; i < lim && k + 4 < outlen; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[k++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
    while (k && out[k - 1] == ' ') k--;
    if (n > max && k + 4 < outlen) { memcpy(out + k, "...", 3); k += 3; }
    out[k] = '\0';
}

/* The message of an error body: {"object":"error","message":..},
 * {"error":{"message":..}}, {"error":".."}, {"detail":".."}, else the body
 * itself (shortened). Empty when the body is empty. */
static void error_body_message(const char *body, size_t len, char *out,
                               size_t outlen)
{
    out[0] = '\0';
    if (!body || !len) return;
    cJSON *j = cJSON_ParseWithLength(body, len);
    const char *msg = NULL;
    if (cJSON_IsObject(j)) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "detail");
        const cJSON *em = cJSON_GetObjectItemCaseSensitive(e, "message");
        if (cJSON_IsString(em)) msg = em->valuestring;
        else if (cJSON_IsString(m)) msg = m->valuestring;
        else if (cJSON_IsString(e)) msg = e->valuestring;
        else if (cJSON_IsString(d)) msg = d->valuestring;
    }
    if (msg) one_line(out, outlen, msg, strlen(msg), MSG_MAX);
    else one_line(out, outlen, body, len, 200);
    cJSON_Delete(j);
}

static char *json_string_new(const char *s)
{
    cJSON *j = cJSON_CreateString(s ? s : "");
    char *out = json_text_new(j, 0);
    cJSON_Delete(j);
    return out;
}

/* Shortest "%g" text that reads back as v. */
static void fmt_double(char *out, size_t n, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, v);
        if (strtod(out, NULL) == v) return;
    }
}

static char *join_url(const char *base, const char *path)
{
    size_t n = strlen(base);
    while (n && base[n - 1] == '/') n--;
    sbuf b = {0};
    sbuf_addn(&b, base, n);
    if (strcmp(path, "/chat/completions") == 0 && n >= 17 &&
        strncmp(base + n - 17, "/chat/completions", 17) == 0)
        return sbuf_take(&b);
    sbuf_add(&b, path);
    return sbuf_take(&b);
}

/* Response bodies go into an sbuf, at most MAX_RESPONSE bytes (more ends
 * the transfer with CURLE_WRITE_ERROR). */
static size_t on_write(char *p, size_t sz, size_t n, void *ud)
{
    sbuf *b = ud;
    if (b->len + sz * n > MAX_RESPONSE) return 0;
    sbuf_addn(b, p, sz * n);
    return sz * n;
}

/* ---------------------------------------------------------------- client */

struct llm_client {
    llm_config cfg;
    char *url;                 /* .../chat/completions */
    char *body_head;           /* {"model":"..","messages": */
    char *body_tail;           /* ,"temperature":..,"max_tokens":.. */
    CURLM *multi;
    CURL **idle;
    int nidle, nidle_cap;
    struct curl_slist *headers;
    rng rng;
    /* Sockets libcurl wants watched (CURLMOPT_SOCKETFUNCTION) and its timer
     * (CURLMOPT_TIMERFUNCTION, absolute date_mono() time, < 0 = none). */
    struct pollfd *fds, *snap;   /* snap: copy polled while fds changes */
    int nfds, capfds;
    double timer_at;
};

static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp,
                     void *socketp)
{
    (void)e;
    (void)socketp;
    llm_client *c = userp;
    int i = 0;
    while (i < c->nfds && c->fds[i].fd != fd) i++;
    if (what == CURL_POLL_REMOVE) {
        if (i < c->nfds) c->fds[i] = c->fds[--c->nfds];
        return 0;
    }
    if (i == c->nfds) {
        if (c->nfds == c->capfds) {
            c->capfds = c->capfds ? c->capfds * 2 : 16;
            c->fds = xrealloc(c->fds, (size_t)c->capfds * sizeof *c->fds);
            c->snap = xrealloc(c->snap, (size_t)c->capfds * sizeof *c->snap);
        }
        c->nfds++;
    }
    c->fds[i].fd = fd;
    c->fds[i].events = (short)((what & CURL_POLL_IN ? POLLIN : 0) |
                               (what & CURL_POLL_OUT ? POLLOUT : 0));
    c->fds[i].revents = 0;
    return 0;
}

static int on_timer(CURLM *m, long ms, void *userp)
{
    (void)m;
    llm_client *c = userp;
    c->timer_at = ms < 0 ? -1 : date_mono() + (double)ms / 1000.0;
    return 0;
}

static struct curl_slist *make_headers(const char *key)
{
    struct curl_slist *h = NULL, *t;
    h = curl_slist_append(h, "Content-Type: application/json");
    if ((t = curl_slist_append(h, "Accept: application/json"))) h = t;
    if ((t = curl_slist_append(h, "Expect:"))) h = t;
    if (key && *key) {
        sbuf b = {0};
        sbuf_addf(&b, "Authorization: Bearer %s", key);
        if ((t = curl_slist_append(h, b.s))) h = t;
        memset(b.s, 0, b.len);
        sbuf_free(&b);
    }
    return h;
}

llm_client *llm_client_new(const llm_config *cfg, char *err)
{
    if (llm_config_check(cfg, err) < 0) return NULL;
    llm_client *c = xcalloc(1, sizeof *c);
    llm_config_copy(&c->cfg, cfg);
    c->url = join_url(cfg->base_url, "/chat/completions");
    char *model = json_string_new(cfg->model);
    sbuf b = {0};
    sbuf_addf(&b, "{\"model\":%s,\"messages\":", model);
    c->body_head = sbuf_take(&b);
    free(model);
    char temp[64];
    fmt_double(temp, sizeof temp, cfg->temperature);
    sbuf_addf(&b, ",\"temperature\":%s,\"max_tokens\":%d", temp,
              cfg->max_tokens);
    c->body_tail = sbuf_take(&b);
    c->headers = make_headers(cfg->api_key);
    c->multi = curl_multi_init();
    if (!c->multi || !c->headers) {
        err_set(err, "could not initialise libcurl (llm_global_init?)");
        llm_client_free(c);
        return NULL;
    }
    long conc = cfg->concurrency;
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, conc);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, conc);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    c->timer_at = -1;
    c->nidle_cap = cfg->concurrency;
    c->idle = xcalloc((size_t)c->nidle_cap, sizeof *c->idle);
    rng_seed(&c->rng, (uint64_t)(date_mono() * 1e9) ^
                      ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c);
    return c;
}

void llm_client_free(llm_client *c)
{
    if (!c) return;
    for (int i = 0; i < c->nidle; i++) curl_easy_cleanup(c->idle[i]);
    free(c->idle);
    if (c->multi) curl_multi_cleanup(c->multi);
    free(c->fds);
    free(c->snap);
    curl_slist_free_all(c->headers);
    if (c->cfg.api_key) memset(c->cfg.api_key, 0, strlen(c->cfg.api_key));
    llm_config_clear(&c->cfg);
    free(c->url);
    free(c->body_head);
    free(c->body_tail);
    free(c);
}

const llm_config *llm_client_config(const llm_client *c) { return &c->cfg; }

static void easy_common(CURL *e, const llm_config *cfg,
                        struct curl_slist *headers)
{
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(cfg->connect_timeout * 1000));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout * 1000));
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
}

static CURL *easy_get(llm_client *c)
{
    if (c->nidle) return c->idle[--c->nidle];
    CURL *e = curl_easy_init();
    if (!e) return NULL;
    easy_common(e, &c->cfg, c->headers);
    curl_easy_setopt(e, CURLOPT_URL, c->url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    return e;
}

static void easy_put(llm_client *c, CURL *e)
{
    /* No pointers into a finished job stay behind in an idle handle. */
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(e, CURLOPT_PRIVATE, NULL);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, NULL);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, NULL);
    if (c->nidle < c->nidle_cap) c->idle[c->nidle++] = e;
    else curl_easy_cleanup(e);
}

/* ---------------------------------------------------------------- jobs */

typedef struct {
    llm_request req;
    size_t index;
    char *body;
    size_t body_len;
    int attempts;
    double t_first, t_ready;
    sbuf resp;
    CURL *easy;
    int slot;                  /* index in batch.flight while in flight */
    char curl_err[CURL_ERROR_SIZE];
    /* outcome of the last attempt */
    llm_status status;
    long http;
    char err[ERR_MAX];
} job;

typedef struct {
    llm_client *c;
    llm_next_fn next;
    llm_done_fn done;
    llm_cancel_fn cancel;
    void *ctx;
    llm_batch_stats st;
    job **flight;              /* in flight, [0, nflight) */
    int nflight;
    job **waiting;             /* waiting for a retry */
    size_t nwaiting, capwaiting;
    size_t next_index;
    int exhausted, cancelled;
} batch;


static job *job_new(batch *b, const llm_request *req)
{
    llm_client *c = b->c;
    job *j = xcalloc(1, sizeof *j);
    j->req = *req;
    j->index = b->next_index++;
    sbuf body = {0};
    sbuf_add(&body, c->body_head);
    sbuf_add(&body, req->messages_json ? req->messages_json : "[]");
    sbuf_add(&body, c->body_tail);
    if (req->response_format) {
        sbuf_add(&body, ",\"response_format\":");
        sbuf_add(&body, req->response_format);
    }
    sbuf_addc(&body, '}');
    j->body_len = body.len;
    j->body = sbuf_take(&body);
    j->slot = -1;
    b->st.submitted++;
    return j;
}

static void job_free(job *j)
{
    free(j->body);
    sbuf_free(&j->resp);
    free(j);
}

static int job_start(batch *b, job *j, char *err)
{
    llm_client *c = b->c;
    CURL *e = easy_get(c);
    if (!e) {
        err_set(err, "curl_easy_init failed");
        return -1;
    }
    j->resp.len = 0;
    if (j->resp.s) j->resp.s[0] = '\0';
    j->curl_err[0] = '\0';
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body_len);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &j->resp);
    curl_easy_setopt(e, CURLOPT_PRIVATE, j);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->curl_err);
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        err_set(err, "curl_multi_add_handle failed");
        return -1;
    }
    j->easy = e;
    if (!j->attempts) j->t_first = date_mono();
    j->attempts++;
    if (j->attempts == 2) b->st.retried++;
    if (j->attempts > 1) b->st.retries++;
    j->slot = b->nflight;
    b->flight[b->nflight++] = j;
    if (b->nflight > b->st.max_in_flight) b->st.max_in_flight = b->nflight;
    return 0;
}

/* Detaches j from the multi handle and the in-flight list. */
static void job_detach(batch *b, job *j)
{
    curl_multi_remove_handle(b->c->multi, j->easy);
    easy_put(b->c, j->easy);
    j->easy = NULL;
    job *last = b->flight[--b->nflight];
    b->flight[j->slot] = last;
    last->slot = j->slot;
    j->slot = -1;
}

/* Calls done for j (content NULL unless OK) and frees it. */
static void job_report(batch *b, job *j, const char *content,
                       const char *finish, const int tokens[3])
{
    llm_result r = {0};
    r.status = j->status;
    r.content = content;
    r.finish_reason = finish;
    if (tokens) {
        r.prompt_tokens = tokens[0];
        r.completion_tokens = tokens[1];
        r.total_tokens = tokens[2];
    }
    r.http_status = j->http;
    if (j->status != LLM_OK) {
        scrub_err(j->err, b->c->cfg.api_key);
        r.error = j->err;
    }
    r.attempts = j->attempts;
    r.latency_ms = j->attempts ? (date_mono() - j->t_first) * 1000.0 : 0;
    r.index = j->index;
    r.user = j->req.user;
    if (j->status == LLM_OK) {
        b->st.ok++;
        b->st.tokens += r.total_tokens;
    } else if (j->status == LLM_CANCELLED) {
        b->st.cancelled++;
    } else {
        b->st.failed++;
    }
    if (b->done) b->done(&r, b->ctx);
    job_free(j);
}

static void report_cancelled(batch *b, job *j)
{
    j->status = LLM_CANCELLED;
    err_set(j->err, "cancelled");
    job_report(b, j, NULL, NULL, NULL);
}

/* ---------------------------------------------------------------- outcome */

/* Transient transport errors (not: bad URL, DNS, response too large). */
static int curl_retryable(CURLcode rc)
{
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
           rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR ||
           rc == CURLE_RECV_ERROR || rc == CURLE_PARTIAL_FILE ||
           rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM ||
           rc == CURLE_SSL_CONNECT_ERROR;
}

static int http_retryable(long code)
{
    return code == 429 || code == 500 || code == 502 || code == 503 ||
           code == 504;
}

static void classify_curl_error(job *j, CURLcode rc, const llm_config *cfg)
{
    char detail[CURL_ERROR_SIZE + 64];
    const char *what = j->curl_err[0] ? j->curl_err : curl_easy_strerror(rc);
    one_line(detail, sizeof detail, what, strlen(what), CURL_ERROR_SIZE);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        j->status = LLM_ERR_TIMEOUT;
        err_set(j->err, "timed out (connect %gs, total %gs): %s",
                cfg->connect_timeout, cfg->timeout, detail);
    } else if (rc == CURLE_WRITE_ERROR) {
        j->status = LLM_ERR_RESPONSE;
        err_set(j->err, "response larger than %zu MB", MAX_RESPONSE >> 20);
    } else {
        j->status = LLM_ERR_NETWORK;
        err_set(j->err, "connection error: %s", detail);
    }
}

static void classify_http_error(job *j)
{
    char msg[MSG_MAX + 8];
    error_body_message(j->resp.s, j->resp.len, msg, sizeof msg);
    j->status = LLM_ERR_HTTP;
    if (msg[0]) err_set(j->err, "HTTP %ld: %s", j->http, msg);
    else err_set(j->err, "HTTP %ld", j->http);
}

static double retry_delay(llm_client *c, const job *j, double retry_after)
{
    const llm_config *cfg = &c->cfg;
    double d = cfg->backoff_base * pow(2.0, j->attempts - 1);
    if (d > cfg->backoff_max) d = cfg->backoff_max;
    d *= 0.5 + 0.5 * rng_unit(&c->rng);          /* equal jitter */
    if (retry_after > 0) {
        double ra = retry_after < cfg->retry_after_max ? retry_after
                                                       : cfg->retry_after_max;
        if (ra > d) d = ra;
    }
    return d;
}

static void schedule_retry(batch *b, job *j, double retry_after)
{
    j->t_ready = date_mono() + retry_delay(b->c, j, retry_after);
    if (b->nwaiting == b->capwaiting) {
        b->capwaiting = b->capwaiting ? b->capwaiting * 2 : 16;
        b->waiting = xrealloc(b->waiting, b->capwaiting * sizeof *b->waiting);
    }
    b->waiting[b->nwaiting++] = j;
}

static void give_up_note(job *j)
{
    if (j->attempts <= 1) return;
    size_t n = strlen(j->err);
    snprintf(j->err + n, sizeof j->err - n, " (gave up after %d attempts)",
             j->attempts);
}

/* Reports a 2xx response: the content, or LLM_ERR_RESPONSE. */
static void finish_ok(batch *b, job *j)
{
    cJSON *root = cJSON_ParseWithLength(j->resp.s ? j->resp.s : "",
                                        j->resp.len);
    const cJSON *ch = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(root, "choices"), 0);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(ch, "message");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    const cJSON *fin = cJSON_GetObjectItemCaseSensitive(ch, "finish_reason");
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    static const char *const names[3] = {"prompt_tokens",
                                         "completion_tokens", "total_tokens"};
    int tokens[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(usage, names[i]);
        if (cJSON_IsNumber(t) && t->valuedouble >= 0 && t->valuedouble < 1e9)
            tokens[i] = (int)t->valuedouble;
    }
    if (!tokens[2]) tokens[2] = tokens[0] + tokens[1];
    if (cJSON_IsString(content)) {
        j->status = LLM_OK;
        /* the body was scrubbed on arrival; the decoded text again, for a
         * key written with JSON escapes */
        const char *cv = content->valuestring;
        char *clean = scrub_secrets_new(cv, strlen(cv), b->c->cfg.api_key, NULL);
        job_report(b, j, clean, cJSON_IsString(fin) ? fin->valuestring : NULL,
                   tokens);
        free(clean);
    } else {
        char m[MSG_MAX + 8];
        j->status = LLM_ERR_RESPONSE;
        if (!j->resp.len) {
            err_set(j->err, "empty response body (HTTP %ld)", j->http);
        } else if (!root) {
            error_body_message(j->resp.s, j->resp.len, m, sizeof m);
            err_set(j->err, "response is not JSON: %s", m);
        } else if (cJSON_GetObjectItemCaseSensitive(root, "error")) {
            error_body_message(j->resp.s, j->resp.len, m, sizeof m);
            err_set(j->err, "server error: %s", m);
        } else {
            err_set(j->err, "response has no choices[0].message.content");
        }
        job_report(b, j, NULL, NULL, NULL);
    }
    cJSON_Delete(root);
}

/* An attempt of j ended with rc: report it, or schedule a retry. */
static void job_finished(batch *b, job *j, CURLcode rc)
{
    long code = 0;
    curl_off_t ra = -1;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
#if LIBCURL_VERSION_NUM >= 0x074200
    curl_easy_getinfo(j->easy, CURLINFO_RETRY_AFTER, &ra);
#endif
    job_detach(b, j);
    j->http = code;
    /* Everything received is scrubbed before anything reads it: answers,
     * error bodies (before they are shortened, which could cut a key in
     * two) and whatever gets stored or shown from them. */
    if (j->resp.len) {
        size_t len;
        char *clean = scrub_secrets_new(j->resp.s, j->resp.len,
                                        b->c->cfg.api_key, &len);
        sbuf_free(&j->resp);
        j->resp.s = clean;
        j->resp.len = len;
        j->resp.cap = len + 1;
    }
    int retryable;
    if (rc != CURLE_OK) {
        classify_curl_error(j, rc, &b->c->cfg);
        retryable = curl_retryable(rc);
    } else if (code >= 200 && code < 300) {
        finish_ok(b, j);
        return;
    } else {
        classify_http_error(j);
        retryable = http_retryable(code);
    }
    if (retryable && j->attempts <= b->c->cfg.retries && !b->cancelled) {
        schedule_retry(b, j, ra > 0 ? (double)ra : 0);
        return;
    }
    if (retryable) give_up_note(j);
    job_report(b, j, NULL, NULL, NULL);
}

/* ---------------------------------------------------------------- loop */

static void cancel_all(batch *b)
{
    b->cancelled = 1;
    b->st.interrupted = 1;
    while (b->nflight) {
        job *j = b->flight[b->nflight - 1];
        job_detach(b, j);
        report_cancelled(b, j);
    }
    for (size_t i = 0; i < b->nwaiting; i++) report_cancelled(b, b->waiting[i]);
    b->nwaiting = 0;
}

static int start_due_retries(batch *b, char *err)
{
    double now = date_mono();
    for (size_t i = 0; i < b->nwaiting;) {
        job *j = b->waiting[i];
        if (b->nflight >= b->c->cfg.concurrency) break;
        if (j->t_ready > now) { i++; continue; }
        b->waiting[i] = b->waiting[--b->nwaiting];
        if (job_start(b, j, err) < 0) {
            report_cancelled(b, j);
            return -1;
        }
    }
    return 0;
}

static int pull_new(batch *b, char *err)
{
    while (!b->exhausted && !b->cancelled &&
           b->nflight < b->c->cfg.concurrency) {
        llm_request req = {0};
        if (!b->next(&req, b->ctx)) {
            b->exhausted = 1;
            break;
        }
        job *j = job_new(b, &req);
        if (job_start(b, j, err) < 0) {
            report_cancelled(b, j);
            return -1;
        }
    }
    return 0;
}

/* Handles finished transfers. */
static void drain(batch *b)
{
    int left;
    CURLMsg *m;
    while ((m = curl_multi_info_read(b->c->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        char *priv = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        job *j = (job *)priv;
        CURLcode rc = m->data.result;
        if (j) job_finished(b, j, rc);
    }
}

/* How long to wait in poll(): until curl's timer, the next retry, or
 * POLL_MS (cancel checks), whichever comes first. */
static int poll_timeout(const batch *b)
{
    double now = date_mono(), t = POLL_MS / 1000.0;
    if (b->c->timer_at >= 0 && b->c->timer_at - now < t)
        t = b->c->timer_at - now;
    if (b->nflight < b->c->cfg.concurrency)
        for (size_t i = 0; i < b->nwaiting; i++)
            if (b->waiting[i]->t_ready - now < t)
                t = b->waiting[i]->t_ready - now;
    return t <= 0 ? 0 : (int)(t * 1000.0) + 1;
}

static int socket_action(batch *b, curl_socket_t fd, int mask, char *err)
{
    int running = 0;
    CURLMcode mc = curl_multi_socket_action(b->c->multi, fd, mask, &running);
    if (mc != CURLM_OK) {
        err_set(err, "curl_multi_socket_action: %s", curl_multi_strerror(mc));
        return -1;
    }
    return 0;
}

/* Waits for socket activity or a timeout and lets curl act on it. Only the
 * sockets that are ready are handed to curl (no per-transfer scan). */
static int wait_and_act(batch *b, char *err)
{
    llm_client *c = b->c;
    int n = c->nfds;
    struct pollfd *snap = c->snap;
    if (n) memcpy(snap, c->fds, (size_t)n * sizeof *snap);
    int ready = poll(snap, (nfds_t)n, poll_timeout(b));
    if (ready < 0 && errno != EINTR) {
        err_set(err, "poll: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; ready > 0 && i < n; i++) {
        short re = snap[i].revents;
        if (!re) continue;
        int mask = (re & (POLLIN | POLLHUP) ? CURL_CSELECT_IN : 0) |
                   (re & POLLOUT ? CURL_CSELECT_OUT : 0) |
                   (re & (POLLERR | POLLNVAL) ? CURL_CSELECT_ERR : 0);
        if (socket_action(b, snap[i].fd, mask, err) < 0) return -1;
    }
    if (c->timer_at >= 0 && date_mono() >= c->timer_at) {
        c->timer_at = -1;
        if (socket_action(b, CURL_SOCKET_TIMEOUT, 0, err) < 0) return -1;
    }
    return 0;
}

static int batch_loop(batch *b, char *err)
{
    for (;;) {
        if (!b->cancelled && b->cancel && b->cancel(b->ctx)) cancel_all(b);
        if (!b->cancelled &&
            (start_due_retries(b, err) < 0 || pull_new(b, err) < 0))
            return -1;
        if (!b->nflight && !b->nwaiting && (b->exhausted || b->cancelled))
            return 0;
        if (wait_and_act(b, err) < 0) return -1;
        drain(b);
    }
}

int llm_run(llm_client *c, llm_next_fn next, llm_done_fn done,
            llm_cancel_fn cancel, void *ctx, llm_batch_stats *st, char *err)
{
    batch b = {0};
    b.c = c;
    b.next = next;
    b.done = done;
    b.cancel = cancel;
    b.ctx = ctx;
    b.flight = xcalloc((size_t)c->cfg.concurrency, sizeof *b.flight);
    double t0 = date_mono();
    int rc = batch_loop(&b, err);
    if (rc < 0) {
        /* Report what is still pending so callers can free their data. */
        char keep[ERR_MAX];
        snprintf(keep, sizeof keep, "%s", err ? err : "batch failed");
        cancel_all(&b);
        err_set(err, "%s", keep);
    }
    b.st.wall_s = date_mono() - t0;
    if (st) *st = b.st;
    free(b.flight);
    free(b.waiting);
    return rc;
}

/* ---------------------------------------------------------------- array */

typedef struct {
    const llm_request *reqs;
    size_t n, pos;
    llm_done_fn done;
    llm_cancel_fn cancel;
    void *ctx;
} array_src;

static int array_next(llm_request *req, void *ctx)
{
    array_src *a = ctx;
    if (a->pos >= a->n) return 0;
    *req = a->reqs[a->pos];
    req->user = (void *)&a->reqs[a->pos];   /* mapped back in array_done */
    a->pos++;
    return 1;
}

static void array_done(const llm_result *res, void *ctx)
{
    array_src *a = ctx;
    llm_result r = *res;
    const llm_request *req = res->user;
    r.user = req->user;
    r.index = (size_t)(req - a->reqs);
    if (a->done) a->done(&r, a->ctx);
}

static int array_cancel(void *ctx)
{
    array_src *a = ctx;
    return a->cancel ? a->cancel(a->ctx) : 0;
}

int llm_run_batch(llm_client *c, const llm_request *reqs, size_t n,
                  llm_done_fn done, llm_cancel_fn cancel, void *ctx,
                  llm_batch_stats *st, char *err)
{
    array_src a = {reqs, n, 0, done, cancel, ctx};
    llm_batch_stats local;
    int rc = llm_run(c, array_next, array_done, array_cancel, &a, &local,
                     err);
    for (; a.pos < n; a.pos++) {        /* never sent: cancelled */
        llm_result r = {0};
        r.status = LLM_CANCELLED;
        r.error = "cancelled";
        r.index = a.pos;
        r.user = reqs[a.pos].user;
        local.cancelled++;
        if (done) done(&r, ctx);
    }
    if (st) *st = local;
    return rc;
}

/* ---------------------------------------------------------------- models */

static int parse_models(const char *body, size_t len, const char *key,
                        char ***ids, size_t *n, char *err)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!cJSON_IsArray(data)) {
        err_set(err, "GET /models: response has no \"data\" array");
        cJSON_Delete(root);
        return -1;
    }
    size_t cnt = 0, cap = (size_t)cJSON_GetArraySize(data);
    char **out = xcalloc(cap ? cap : 1, sizeof *out);
    const cJSON *m;
    cJSON_ArrayForEach(m, data) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
        if (cJSON_IsString(id))
            out[cnt++] = scrub_secrets_new(id->valuestring,
                                           strlen(id->valuestring), key, NULL);
    }
    cJSON_Delete(root);
    *ids = out;
    *n = cnt;
    return 0;
}

int llm_list_models(const llm_config *cfg, char ***ids, size_t *n,
                    char *err)
{
    *ids = NULL;
    *n = 0;
    if (!cfg->base_url || !*cfg->base_url) {
        err_set(err, "no LLM endpoint: set CURATE_LLM_URL or --url");
        return -1;
    }
    CURL *e = curl_easy_init();
    struct curl_slist *h = make_headers(cfg->api_key);
    char *url = join_url(cfg->base_url, "/models");
    sbuf body = {0};
    char cerr[CURL_ERROR_SIZE] = "";
    int rc = -1;
    if (!e || !h) {
        err_set(err, "could not initialise libcurl");
        goto out;
    }
    easy_common(e, cfg, h);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, cerr);
    CURLcode cc = curl_easy_perform(e);
    long code = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    if (cc != CURLE_OK) {
        err_set(err, "GET /models: %s", cerr[0] ? cerr : curl_easy_strerror(cc));
    } else if (code < 200 || code >= 300) {
        char msg[MSG_MAX + 8];
        size_t cl;
        char *clean = scrub_secrets_new(body.s ? body.s : "", body.len,
                                        cfg->api_key, &cl);
        error_body_message(clean, cl, msg, sizeof msg);
        free(clean);
        err_set(err, "GET /models: HTTP %ld%s%s", code, msg[0] ? ": " : "",
                msg);
    } else {
        rc = parse_models(body.s ? body.s : "", body.len, cfg->api_key, ids, n,
                          err);
    }
out:
    if (err && rc < 0) scrub_err(err, cfg->api_key);
    if (e) curl_easy_cleanup(e);
    curl_slist_free_all(h);
    free(url);
    sbuf_free(&body);
    return rc;
}

void llm_models_free(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++) free(ids[i]);
    free(ids);
}

/* ---------------------------------------------------------------- cache */

/* hash_fnv1a over both lanes in one pass (the same values: two
 * independent multiply chains, each byte read once). */
static void fnv1a_2(uint64_t h[2], const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    uint64_t a = h[0], b = h[1];
    for (size_t i = 0; i < n; i++) {
        a = (a ^ p[i]) * 0x100000001b3ULL;
        b = (b ^ p[i]) * 0x100000001b3ULL;
    }
    h[0] = a;
    h[1] = b;
}

static void hash_part(uint64_t h[2], const char *s)
{
    char len[32];
    size_t n = s ? strlen(s) : 0;
    int k = s ? snprintf(len, sizeof len, "%zu:", n)
              : snprintf(len, sizeof len, "-:");
    fnv1a_2(h, len, (size_t)k);
    if (s) fnv1a_2(h, s, n);
}

void llm_cache_key(const char *model, const char *messages_json,
                   double temperature, int max_tokens,
                   const char *response_format,
                   char out[LLM_CACHE_KEY_LEN + 1])
{
    uint64_t h[2] = {HASH_FNV_SEED, 0x6c62272e07bb0142ULL};
    char num[64], t[48];
    fmt_double(t, sizeof t, temperature);
    snprintf(num, sizeof num, "t=%s;m=%d", t, max_tokens);
    hash_part(h, "curate-llm-v1");
    hash_part(h, model);
    hash_part(h, messages_json);
    hash_part(h, num);
    hash_part(h, response_format);
    snprintf(out, LLM_CACHE_KEY_LEN + 1, "%016llx%016llx",
             (unsigned long long)h[0], (unsigned long long)h[1]);
}
