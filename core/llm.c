/* llm.c: see llm.h. One multi handle per client, easy handles reused from
 * an idle pool, poll() on the sockets libcurl names (no busy loop).
 * libcurl is loaded with dlopen on first use (see llm_global_init), so the
 * commands that make no request do not pay for it and its 30 libraries at
 * start. */
#define _POSIX_C_SOURCE 200809L
#include "llm.h"
#include "llm_int.h"
#include "util.h"

#include "dl.h"

#include <cjson/cJSON.h>
/* Calls go through the table below: no type-checking macros around the
 * names. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <pthread.h>
#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_RESPONSE ((size_t)32 << 20)
#define POLL_MS 100

/* ---------------------------------------------------------------- libcurl */

/* Every libcurl function llm.c calls: one list, from which the table and
 * the names to look up both come. */
#define CURL_SYMBOLS(X) \
    X(curl_global_init) X(curl_global_cleanup) X(curl_easy_init) \
    X(curl_easy_cleanup) X(curl_easy_setopt) X(curl_easy_getinfo) \
    X(curl_easy_perform) X(curl_easy_strerror) X(curl_multi_init) \
    X(curl_multi_cleanup) X(curl_multi_setopt) X(curl_multi_add_handle) \
    X(curl_multi_remove_handle) X(curl_multi_socket_action) \
    X(curl_multi_info_read) X(curl_multi_strerror) X(curl_slist_append) \
    X(curl_slist_free_all)

typedef struct {
#define CURL_MEMBER(f) __typeof__(&f) f;
    CURL_SYMBOLS(CURL_MEMBER)
#undef CURL_MEMBER
} curl_api;

static const dl_sym curl_syms[] = {
#define CURL_ENTRY(f) {#f, offsetof(curl_api, f)},
    CURL_SYMBOLS(CURL_ENTRY)
#undef CURL_ENTRY
};

/* Loaded once per process (pthread_once: the workbench's jobs run on
 * threads), read-only afterwards; cu stays NULL if loading failed. */
static curl_api curl_table;
static const curl_api *cu;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char curl_load_err[ERR_MAX];

static void curl_load(void)
{
    if (dl_load("libcurl.so.4", curl_syms,
                sizeof curl_syms / sizeof curl_syms[0], &curl_table,
                curl_load_err) < 0)
        return;
    CURLcode rc = curl_table.curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        err_set(curl_load_err, "curl_global_init: %s",
                curl_table.curl_easy_strerror(rc));
        return;
    }
    cu = &curl_table;
}

int llm_global_init(char *err)
{
    pthread_once(&curl_once, curl_load);
    if (!cu) {
        err_set(err, "%s (Debian package libcurl4)",
                curl_load_err);
        return -1;
    }
    return 0;
}

void llm_global_cleanup(void)
{
    if (cu) cu->curl_global_cleanup();
}

const char *llm_status_name(llm_status s)
{
    static const char *const names[] = {"ok", "http", "network", "timeout",
                                        "response", "cancelled"};
    return (unsigned)s < 6 ? names[s] : "?";
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

/* One base URL and its adaptive state (see llm.h). Times are date_mono()
 * seconds. */
typedef struct {
    char *base;                /* base URL, no trailing '/' */
    char *url;                 /* .../chat/completions */
    double limit;              /* adaptive, 1..cfg.concurrency */
    int max_limit;
    int in_flight;
    int in_use;                /* the limit was in use when the answers
                                  now handled came in (drain), however
                                  many of them came at once */
    int slow_start;            /* no congestion seen yet */
    double last_cut;           /* attempts started before it do not cut */
    double lat_min[2];         /* lowest latency, this and the last window */
    double lat_win_at;         /* when this window started */
    double lat_ewma;           /* smoothed latency of ok attempts */
    double connect_max;        /* slowest connect seen, 0 = none yet */
    double down_until;         /* > now: out of rotation */
    double down_for;           /* the next time out */
    int fails_in_row;
    size_t attempts, ok, errors;
    double lat_sum_ms;
} endpoint;

#define LIMIT_START 4
#define LAT_TOLERANCE 4.0      /* smoothed latency / lowest: queueing */
#define LAT_WINDOW_S 10.0
#define CONNECT_MIN_S 0.25
#define CONNECT_FACTOR 8.0
#define DOWN_MIN_S 1.0
#define DOWN_MAX_S 30.0
#define DOWN_AFTER_FAILS 3
#define FAST_RETRIES_MAX 16

struct llm_client {
    llm_config cfg;
    endpoint *ep;
    size_t nep;
    int max_flight;            /* concurrency x endpoints */
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
    int nfds, capfds, capsnap;
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
    h = cu->curl_slist_append(h, "Content-Type: application/json");
    if ((t = cu->curl_slist_append(h, "Accept: application/json"))) h = t;
    if ((t = cu->curl_slist_append(h, "Expect:"))) h = t;
    if (key && *key) {
        sbuf b = {0};
        sbuf_addf(&b, "Authorization: Bearer %s", key);
        if ((t = cu->curl_slist_append(h, b.s))) h = t;
        memset(b.s, 0, b.len);
        sbuf_free(&b);
    }
    return h;
}

llm_client *llm_client_new(const llm_config *cfg, char *err)
{
    if (llm_config_check(cfg, err) < 0 || llm_global_init(err) < 0)
        return NULL;
    llm_client *c = xcalloc(1, sizeof *c);
    llm_config_copy(&c->cfg, cfg);
    char **urls;
    c->nep = llm_urls_split(cfg->base_url, &urls);
    c->ep = xcalloc(c->nep, sizeof *c->ep);
    for (size_t i = 0; i < c->nep; i++) {
        endpoint *e = &c->ep[i];
        e->base = urls[i];
        e->url = llm_text_join_url(urls[i], "/chat/completions");
        e->limit = LIMIT_START < cfg->concurrency && !cfg->fixed
                       ? LIMIT_START : cfg->concurrency;
        e->max_limit = (int)e->limit;
        e->slow_start = 1;
        e->lat_min[0] = e->lat_min[1] = -1;
        e->lat_ewma = -1;
        e->last_cut = -1;
        e->down_for = DOWN_MIN_S;
    }
    free(urls);
    c->max_flight = cfg->concurrency * (int)c->nep;
    char *model = llm_text_json_string_new(cfg->model);
    sbuf b = {0};
    sbuf_addf(&b, "{\"model\":%s,\"messages\":", model);
    c->body_head = sbuf_take(&b);
    free(model);
    char temp[64];
    llm_text_fmt_double(temp, sizeof temp, cfg->temperature);
    sbuf_addf(&b, ",\"temperature\":%s,\"max_tokens\":%d", temp,
              cfg->max_tokens);
    c->body_tail = sbuf_take(&b);
    c->headers = make_headers(cfg->api_key);
    c->multi = cu->curl_multi_init();
    if (!c->multi || !c->headers) {
        err_set(err, "could not initialise libcurl (llm_global_init?)");
        llm_client_free(c);
        return NULL;
    }
    cu->curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      (long)cfg->concurrency);
    cu->curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->max_flight);
    cu->curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    cu->curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    cu->curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    cu->curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    c->timer_at = -1;
    c->nidle_cap = c->max_flight;
    c->idle = xcalloc((size_t)c->nidle_cap, sizeof *c->idle);
    rng_seed(&c->rng, (uint64_t)(date_mono() * 1e9) ^
                      ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c);
    return c;
}

void llm_client_free(llm_client *c)
{
    if (!c) return;
    for (int i = 0; i < c->nidle; i++) cu->curl_easy_cleanup(c->idle[i]);
    free(c->idle);
    if (c->multi) cu->curl_multi_cleanup(c->multi);
    free(c->fds);
    free(c->snap);
    cu->curl_slist_free_all(c->headers);
    if (c->cfg.api_key) memset(c->cfg.api_key, 0, strlen(c->cfg.api_key));
    llm_config_clear(&c->cfg);
    for (size_t i = 0; i < c->nep; i++) {
        free(c->ep[i].base);
        free(c->ep[i].url);
    }
    free(c->ep);
    free(c->body_head);
    free(c->body_tail);
    free(c);
}

const llm_config *llm_client_config(const llm_client *c) { return &c->cfg; }

size_t llm_client_endpoints(const llm_client *c) { return c->nep; }

static int ep_is_down(const endpoint *e, double now)
{
    return e->down_until > now;
}

void llm_client_endpoint_stats(const llm_client *c, size_t i,
                               llm_endpoint_stats *out)
{
    const endpoint *e = &c->ep[i];
    memset(out, 0, sizeof *out);
    out->url = e->base;
    out->attempts = e->attempts;
    out->ok = e->ok;
    out->errors = e->errors;
    out->latency_ms_sum = e->lat_sum_ms;
    out->limit = (int)e->limit;
    out->max_limit = e->max_limit;
    out->in_flight = e->in_flight;
    out->down = ep_is_down(e, date_mono());
}

int llm_client_limit(const llm_client *c)
{
    double now = date_mono();
    int sum = 0;
    for (size_t i = 0; i < c->nep; i++)
        if (!ep_is_down(&c->ep[i], now)) sum += (int)c->ep[i].limit;
    return sum;
}

static void easy_common(CURL *e, const llm_config *cfg,
                        struct curl_slist *headers)
{
    cu->curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    cu->curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    cu->curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(cfg->connect_timeout * 1000));
    cu->curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout * 1000));
    cu->curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    cu->curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    cu->curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
}

static CURL *easy_get(llm_client *c)
{
    if (c->nidle) return c->idle[--c->nidle];
    CURL *e = cu->curl_easy_init();
    if (!e) return NULL;
    easy_common(e, &c->cfg, c->headers);
    cu->curl_easy_setopt(e, CURLOPT_POST, 1L);
    return e;
}

static void easy_put(llm_client *c, CURL *e)
{
    /* No pointers into a finished job stay behind in an idle handle. */
    cu->curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
    cu->curl_easy_setopt(e, CURLOPT_PRIVATE, NULL);
    cu->curl_easy_setopt(e, CURLOPT_WRITEDATA, NULL);
    cu->curl_easy_setopt(e, CURLOPT_POSTFIELDS, NULL);
    if (c->nidle < c->nidle_cap) c->idle[c->nidle++] = e;
    else cu->curl_easy_cleanup(e);
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
    int ep;                    /* endpoint of the current attempt, -1 */
    int fast;                  /* attempts that ended in an adaptive
                                  connect timeout */
    double t_attempt;          /* start of the current attempt */
    double connect_to;         /* its connect timeout, seconds */
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
    j->ep = -1;
    b->st.submitted++;
    return j;
}

static void job_free(job *j)
{
    free(j->body);
    sbuf_free(&j->resp);
    free(j);
}

/* ---------------------------------------------------------------- limits */

/* How many requests endpoint e may have in flight now: 0 while it is out
 * of rotation, 1 while it is probed after that, else its limit. */
static int ep_cap(const endpoint *e, double now)
{
    if (ep_is_down(e, now)) return 0;
    if (e->fails_in_row >= DOWN_AFTER_FAILS && e->down_until > 0) return 1;
    return (int)e->limit;
}

/* The least loaded endpoint with a free slot (lowest in_flight / limit),
 * or -1 when all are full or out. When every endpoint is out of rotation,
 * they are all used as if in it: the retries and their backoff then
 * decide, as with one endpoint, instead of waiting out the time outs. */
static int ep_pick(const llm_client *c)
{
    double now = date_mono(), best = 2;
    int pick = -1, all_down = 1;
    for (size_t i = 0; i < c->nep; i++)
        if (!ep_is_down(&c->ep[i], now)) all_down = 0;
    for (size_t i = 0; i < c->nep; i++) {
        const endpoint *e = &c->ep[i];
        int cap = all_down ? (int)e->limit : ep_cap(e, now);
        if (e->in_flight >= cap) continue;
        double load = (double)e->in_flight / cap;
        if (load < best) {
            best = load;
            pick = (int)i;
        }
    }
    return pick;
}

static double ep_connect_timeout(const llm_client *c, const endpoint *e)
{
    double t = c->cfg.connect_timeout;
    if (e->connect_max > 0 && !c->cfg.fixed) {
        double a = CONNECT_FACTOR * e->connect_max;
        if (a < CONNECT_MIN_S) a = CONNECT_MIN_S;
        if (a < t) t = a;
    }
    return t;
}

static void ep_cut(endpoint *e, const job *j, double factor, double now)
{
    if (j->t_attempt < e->last_cut) return;   /* one cut per round trip */
    e->limit *= factor;
    if (e->limit < 1) e->limit = 1;
    e->last_cut = now;
    e->slow_start = 0;
}

static void ep_grow(endpoint *e, int cap)
{
    if (!e->in_use) return;            /* limit not in use */
    e->limit += e->slow_start ? 2 : 4 / e->limit;
    if (e->limit > cap) e->limit = cap;
    if ((int)e->limit > e->max_limit) e->max_limit = (int)e->limit;
}

/* Connect time of the attempt (s, 0 when the connection was reused or
 * never made), for the adaptive connect timeout. */
static double attempt_connect_s(CURL *easy)
{
    curl_off_t tc = 0, ta = 0;
    cu->curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &tc);
    cu->curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &ta);
    return (double)(ta > tc ? ta : tc) / 1e6;
}

typedef enum { OUT_OK, OUT_CONGESTION, OUT_ERROR } outcome;

/* Feeds one attempt's outcome into its endpoint's limit and rotation. */
static void ep_feedback(llm_client *c, const job *j, outcome o,
                        int unreachable, int dropped, double connect_s)
{
    endpoint *e = &c->ep[j->ep];
    double now = date_mono();
    if (c->cfg.fixed) {                /* counts only */
        if (o == OUT_OK) {
            e->ok++;
            e->lat_sum_ms += (now - j->t_attempt) * 1000.0;
        } else {
            e->errors++;
        }
        return;
    }
    if (connect_s > 0) {
        /* Smoothed, and an outlier (a SYN retransmitted) counts at most 4x
         * the estimate so far. */
        if (e->connect_max > 0 && connect_s > 4 * e->connect_max)
            connect_s = 4 * e->connect_max;
        e->connect_max = e->connect_max > 0
                             ? e->connect_max + (connect_s - e->connect_max) / 8
                             : connect_s;
    }
    if (o == OUT_OK) {
        double lat = now - j->t_attempt;
        e->ok++;
        e->lat_sum_ms += lat * 1000.0;
        if (e->fails_in_row >= DOWN_AFTER_FAILS && e->down_until > 0) {
            e->limit = LIMIT_START < c->cfg.concurrency ? LIMIT_START
                                                        : c->cfg.concurrency;
            e->slow_start = 1;          /* back in rotation: grow again */
        }
        e->fails_in_row = 0;
        e->down_until = 0;
        e->down_for = DOWN_MIN_S;
        if (now - e->lat_win_at > LAT_WINDOW_S) {
            e->lat_min[1] = e->lat_min[0];
            e->lat_min[0] = -1;
            e->lat_win_at = now;
        }
        if (e->lat_min[0] < 0 || lat < e->lat_min[0]) e->lat_min[0] = lat;
        double base = e->lat_min[0];
        if (e->lat_min[1] >= 0 && e->lat_min[1] < base) base = e->lat_min[1];
        e->lat_ewma = e->lat_ewma < 0 ? lat : 0.8 * e->lat_ewma + 0.2 * lat;
        if (e->lat_ewma > LAT_TOLERANCE * base)
            ep_cut(e, j, 0.9, now);
        else
            ep_grow(e, c->cfg.concurrency);
        return;
    }
    e->errors++;
    if (o == OUT_CONGESTION) ep_cut(e, j, 0.5, now);
    /* The server answered (it is up), or a connection attempt was dropped
     * by a full listen backlog (it is up and busy): nothing to take out. */
    if (o == OUT_ERROR || dropped) return;
    e->fails_in_row++;
    /* With one endpoint there is nowhere else to go: backoff and the limit
     * do the work. */
    if (c->nep > 1 && (unreachable || e->fails_in_row >= DOWN_AFTER_FAILS)) {
        if (e->fails_in_row < DOWN_AFTER_FAILS)
            e->fails_in_row = DOWN_AFTER_FAILS;
        e->down_until = now + e->down_for;
        e->down_for = e->down_for * 2 < DOWN_MAX_S ? e->down_for * 2
                                                   : DOWN_MAX_S;
    }
}

/* Starts the next attempt of j on endpoint epi. */
static int job_start(batch *b, job *j, int epi, char *err)
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
    cu->curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body);
    cu->curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body_len);
    cu->curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    cu->curl_easy_setopt(e, CURLOPT_WRITEDATA, &j->resp);
    cu->curl_easy_setopt(e, CURLOPT_PRIVATE, j);
    cu->curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->curl_err);
    endpoint *ep = &c->ep[epi];
    j->connect_to = ep_connect_timeout(c, ep);
    cu->curl_easy_setopt(e, CURLOPT_URL, ep->url);
    cu->curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(j->connect_to * 1000));
    if (cu->curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        cu->curl_easy_cleanup(e);
        err_set(err, "curl_multi_add_handle failed");
        return -1;
    }
    j->easy = e;
    j->t_attempt = date_mono();
    if (!j->attempts) j->t_first = j->t_attempt;
    j->ep = epi;
    ep->in_flight++;
    ep->attempts++;
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
    cu->curl_multi_remove_handle(b->c->multi, j->easy);
    easy_put(b->c, j->easy);
    j->easy = NULL;
    b->c->ep[j->ep].in_flight--;
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
        llm_text_scrub_err(j->err, b->c->cfg.api_key);
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

/* Answers that say "too much load" (500 is more often a bug than load). */
static int http_congestion(long code)
{
    return code == 429 || code == 502 || code == 503 || code == 504;
}

static void classify_curl_error(job *j, CURLcode rc, const llm_config *cfg)
{
    char detail[CURL_ERROR_SIZE + 64];
    const char *what = j->curl_err[0] ? j->curl_err : cu->curl_easy_strerror(rc);
    llm_text_one_line(detail, sizeof detail, what, strlen(what), CURL_ERROR_SIZE);
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
    char msg[LLM_MSG_MAX + 8];
    llm_text_error_message(j->resp.s, j->resp.len, msg, sizeof msg);
    j->status = LLM_ERR_HTTP;
    if (msg[0]) err_set(j->err, "HTTP %ld: %s", j->http, msg);
    else err_set(j->err, "HTTP %ld", j->http);
}

static double retry_delay(llm_client *c, const job *j, double retry_after)
{
    const llm_config *cfg = &c->cfg;
    double d = cfg->backoff_base * pow(2.0, j->attempts - j->fast - 1);
    if (d > cfg->backoff_max) d = cfg->backoff_max;
    d *= 0.5 + 0.5 * rng_unit(&c->rng);          /* equal jitter */
    if (retry_after > 0) {
        double ra = retry_after < cfg->retry_after_max ? retry_after
                                                       : cfg->retry_after_max;
        if (ra > d) d = ra;
    }
    return d;
}

/* Queues j for another attempt at j->t_ready. */
static void schedule_retry_at(batch *b, job *j)
{
    if (b->nwaiting == b->capwaiting) {
        b->capwaiting = b->capwaiting ? b->capwaiting * 2 : 16;
        b->waiting = xrealloc(b->waiting, b->capwaiting * sizeof *b->waiting);
    }
    b->waiting[b->nwaiting++] = j;
}

static void schedule_retry(batch *b, job *j, double retry_after)
{
    j->t_ready = date_mono() + retry_delay(b->c, j, retry_after);
    schedule_retry_at(b, j);
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
        char *clean = llm_text_scrub_new(cv, strlen(cv), b->c->cfg.api_key, NULL);
        job_report(b, j, clean, cJSON_IsString(fin) ? fin->valuestring : NULL,
                   tokens);
        free(clean);
    } else {
        char m[LLM_MSG_MAX + 8];
        j->status = LLM_ERR_RESPONSE;
        if (!j->resp.len) {
            err_set(j->err, "empty response body (HTTP %ld)", j->http);
        } else if (!root) {
            llm_text_error_message(j->resp.s, j->resp.len, m, sizeof m);
            err_set(j->err, "response is not JSON: %s", m);
        } else if (cJSON_GetObjectItemCaseSensitive(root, "error")) {
            llm_text_error_message(j->resp.s, j->resp.len, m, sizeof m);
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
    cu->curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
#if LIBCURL_VERSION_NUM >= 0x074200
    cu->curl_easy_getinfo(j->easy, CURLINFO_RETRY_AFTER, &ra);
#endif
    double connect_s = attempt_connect_s(j->easy);
    job_detach(b, j);
    j->http = code;
    llm_client *c = b->c;
    /* Everything received is scrubbed before anything reads it: answers,
     * error bodies (before they are shortened, which could cut a key in
     * two) and whatever gets stored or shown from them. */
    if (j->resp.len) {
        size_t len;
        char *clean = llm_text_scrub_new(j->resp.s, j->resp.len,
                                        c->cfg.api_key, &len);
        sbuf_free(&j->resp);
        j->resp.s = clean;
        j->resp.len = len;
        j->resp.cap = len + 1;
    }
    int retryable, fast = 0;
    if (rc != CURLE_OK) {
        classify_curl_error(j, rc, &c->cfg);
        retryable = curl_retryable(rc);
        /* Not connected within an adaptive connect timeout shorter than
         * the configured one: most likely a dropped SYN (a full listen
         * backlog). Try again at once on a new connection. */
        double took = date_mono() - j->t_attempt;
        fast = rc == CURLE_OPERATION_TIMEDOUT && connect_s == 0 &&
               j->connect_to < c->cfg.connect_timeout &&
               took < c->cfg.timeout * 0.9 && j->fast < FAST_RETRIES_MAX;
        ep_feedback(c, j, retryable ? OUT_CONGESTION : OUT_ERROR,
                    rc == CURLE_COULDNT_CONNECT, fast, connect_s);
    } else if (code >= 200 && code < 300) {
        ep_feedback(c, j, OUT_OK, 0, 0, connect_s);
        finish_ok(b, j);
        return;
    } else {
        classify_http_error(j);
        retryable = http_retryable(code);
        ep_feedback(c, j, http_congestion(code) ? OUT_CONGESTION
                                                : OUT_ERROR, 0, 0, connect_s);
    }
    if (fast && !b->cancelled) {
        j->fast++;
        b->st.fast_retries++;
        j->t_ready = date_mono();
        schedule_retry_at(b, j);
        return;
    }
    if (retryable && j->attempts - j->fast <= c->cfg.retries &&
        !b->cancelled) {
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
        if (j->t_ready > now) { i++; continue; }
        int ep = ep_pick(b->c);
        if (ep < 0) break;
        b->waiting[i] = b->waiting[--b->nwaiting];
        if (job_start(b, j, ep, err) < 0) {
            report_cancelled(b, j);
            return -1;
        }
    }
    return 0;
}

static int pull_new(batch *b, char *err)
{
    int ep;
    while (!b->exhausted && !b->cancelled && (ep = ep_pick(b->c)) >= 0) {
        llm_request req = {0};
        if (!b->next(&req, b->ctx)) {
            b->exhausted = 1;
            break;
        }
        job *j = job_new(b, &req);
        if (job_start(b, j, ep, err) < 0) {
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
    for (size_t i = 0; i < b->c->nep; i++) {
        endpoint *e = &b->c->ep[i];
        e->in_use = e->in_flight + 1 >= (int)e->limit;
    }
    while ((m = cu->curl_multi_info_read(b->c->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        char *priv = NULL;
        cu->curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        job *j = (job *)priv;
        CURLcode rc = m->data.result;
        if (j) job_finished(b, j, rc);
        /* a completion may make more work (the scorer's JSON fallback):
         * ask next() again */
        b->exhausted = 0;
    }
}

/* How long to wait in poll(): until curl's timer, the next retry, or
 * POLL_MS (cancel checks), whichever comes first. */
static int poll_timeout(const batch *b)
{
    double now = date_mono(), t = POLL_MS / 1000.0;
    if (b->c->timer_at >= 0 && b->c->timer_at - now < t)
        t = b->c->timer_at - now;
    if (b->nwaiting && ep_pick(b->c) >= 0)
        for (size_t i = 0; i < b->nwaiting; i++)
            if (b->waiting[i]->t_ready - now < t)
                t = b->waiting[i]->t_ready - now;
    return t <= 0 ? 0 : (int)(t * 1000.0) + 1;
}

static int socket_action(batch *b, curl_socket_t fd, int mask, char *err)
{
    int running = 0;
    CURLMcode mc = cu->curl_multi_socket_action(b->c->multi, fd, mask, &running);
    if (mc != CURLM_OK) {
        err_set(err, "curl_multi_socket_action: %s", cu->curl_multi_strerror(mc));
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
    /* Grown here, never in on_socket: curl adds sockets while the loop
     * below walks the copy (a realloc there freed it under the loop). */
    if (n > c->capsnap) {
        c->capsnap = c->capfds;
        c->snap = xrealloc(c->snap, (size_t)c->capsnap * sizeof *c->snap);
    }
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
    b.flight = xcalloc((size_t)c->max_flight, sizeof *b.flight);
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
            out[cnt++] = llm_text_scrub_new(id->valuestring,
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
    char **urls;
    size_t nurls = llm_urls_split(cfg->base_url, &urls);
    if (!nurls) {
        err_set(err, "no LLM endpoint: set CURATE_LLM_URL or --llm-url");
        return -1;
    }
    if (llm_global_init(err) < 0) {
        llm_urls_free(urls, nurls);
        return -1;
    }
    char *url = llm_text_join_url(urls[0], "/models");
    llm_urls_free(urls, nurls);
    CURL *e = cu->curl_easy_init();
    struct curl_slist *h = make_headers(cfg->api_key);
    sbuf body = {0};
    char cerr[CURL_ERROR_SIZE] = "";
    int rc = -1;
    if (!e || !h) {
        err_set(err, "could not initialise libcurl");
        goto out;
    }
    easy_common(e, cfg, h);
    cu->curl_easy_setopt(e, CURLOPT_URL, url);
    cu->curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    cu->curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
    cu->curl_easy_setopt(e, CURLOPT_ERRORBUFFER, cerr);
    CURLcode cc = cu->curl_easy_perform(e);
    long code = 0;
    cu->curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    if (cc != CURLE_OK) {
        err_set(err, "GET /models: %s", cerr[0] ? cerr : cu->curl_easy_strerror(cc));
    } else if (code < 200 || code >= 300) {
        char msg[LLM_MSG_MAX + 8];
        size_t cl;
        char *clean = llm_text_scrub_new(body.s ? body.s : "", body.len,
                                        cfg->api_key, &cl);
        llm_text_error_message(clean, cl, msg, sizeof msg);
        free(clean);
        err_set(err, "GET /models: HTTP %ld%s%s", code, msg[0] ? ": " : "",
                msg);
    } else {
        rc = parse_models(body.s ? body.s : "", body.len, cfg->api_key, ids, n,
                          err);
    }
out:
    if (err && rc < 0) llm_text_scrub_err(err, cfg->api_key);
    if (e) cu->curl_easy_cleanup(e);
    cu->curl_slist_free_all(h);
    free(url);
    sbuf_free(&body);
    return rc;
}

void llm_models_free(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++) free(ids[i]);
    free(ids);
}
