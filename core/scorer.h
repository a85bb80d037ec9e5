/* scorer.h: the scoring job. Given a rubric, a program (or none), a backend
 * (LLM or the heuristic baseline) and conversation ids, it pulls each
 * conversation through a callback, checks the response cache (LLM), runs
 * the requests (LLM: concurrently through llm.h), parses and validates the
 * answers, and hands every result to a store callback. As DSPy's
 * ChatAdapter, an answer that lacks a field is asked again through
 * JSONAdapter (the JSON fallback: one more request, when core/dspy.h says
 * DSPy would, unless r->dspy.no_json_fallback); the result is then that
 * answer's (score_result.fallback). No SQL here: the
 * caller wires the callbacks to the pool. The TUI runs it on a background
 * thread, the CLI in the foreground; all callbacks run on the thread that
 * called scorer_run(). */
#ifndef CURATE_SCORER_H
#define CURATE_SCORER_H

#include <stddef.h>

#include "convo.h"
#include "llm.h"
#include "program.h"
#include "rubric.h"

typedef enum { SCORER_HEURISTIC = 0, SCORER_LLM } scorer_backend;

/* What a result may hold (issue 13: a 20 MB answer was stored three
 * times, as raw, in the cache and as the rationale). An answer longer than
 * SCORER_RAW_MAX is kept as its first SCORER_RAW_MAX bytes (cut on a UTF-8
 * boundary, then SCORER_CUT_MARK) and never cached, so it is stored once,
 * bounded; rationale and reasoning are cut the same way at
 * SCORER_TEXT_MAX. Answers under the bounds (all real scoring answers:
 * a few kB) are kept whole, in the prediction and the cache. */
#define SCORER_RAW_MAX ((size_t)256 << 10)
#define SCORER_TEXT_MAX ((size_t)64 << 10)
#define SCORER_CUT_MARK " [... cut by curate]"

/* One conversation's result (the CLI turns it into a pool prediction).
 * Strings are owned; the store callback copies what it keeps. */
typedef struct {
    scoreset scores;       /* validated score fields and overall */
    char *rationale;       /* text fields joined; may be NULL */
    char *reasoning;       /* may be NULL */
    char *raw;             /* the model's raw answer; NULL for heuristic or
                              when no answer came back */
    char *status;          /* "ok", "partial", "failed" */
    char *error;           /* reason when not ok; may be NULL */
    char *model;           /* model name or "heuristic-v1" */
    int tokens;            /* total tokens (0 when cached) */
    int attempts;          /* HTTP attempts (0 cached or heuristic) */
    int requests;          /* requests sent: 1, 2 with the JSON fallback
                              (0 when every answer came from the cache) */
    int cached;            /* no request sent: answered from the cache */
    int fallback;          /* the answer is JSONAdapter's (the second
                              request DSPy sends when ChatAdapter's answer
                              lacks a field; core/dspy.h says when) */
    long http_status;
    double latency_ms;
} score_result;

void score_result_clear(score_result *res);   /* frees the strings */

typedef struct {
    size_t done, total;    /* done = results handed to store + failures */
    size_t ok, partial, failed, retried, cache_hits;
    size_t fallbacks;      /* results that came through the JSON fallback */
    long tokens;
    double elapsed_s;
    int limit;             /* LLM: the client's live adaptive limit (sum
                              over endpoints); 0 for the heuristic */
} score_progress;

/* One endpoint's share of a run (LLM backend). */
typedef struct {
    char *url;             /* owned; user:password@ masked as ***@ */
    size_t attempts, ok, errors;
    double mean_latency_ms;  /* over ok attempts; 0 if none */
    int max_limit;         /* highest adaptive limit reached */
} score_endpoint;

typedef struct {
    size_t total, ok, partial, failed, retried, cache_hits;
    size_t fallbacks;      /* results that came through the JSON fallback */
    size_t not_run;        /* not scored because of a cancel or an abort */
    long tokens;
    double wall_s, rps;    /* rps: results per second of wall time */
    int interrupted;       /* cancelled (or aborted by a store error) */
    char last_error[256];  /* the last failure's reason, "" if none */
    score_endpoint *endpoints;  /* LLM: per endpoint (owned, see
                                   score_summary_clear); NULL otherwise */
    size_t nendpoints;
} score_summary;

/* Frees what a summary owns (the endpoints) and zeroes them. */
void score_summary_clear(score_summary *s);

typedef struct {
    const rubric *r;
    const program *pg;         /* demos for the prompt; NULL = none */
    scorer_backend backend;
    const llm_config *llm;     /* SCORER_LLM: settings (json_schema etc.) */
    llm_client *client;        /* optional: reuse this client (keeps its
                                  connections); else one is made from llm */
    int no_cache;              /* bypass cache_get (results still put) */

    /* Returns the conversation (scorer frees it with convo_free) or NULL +
     * err; a missing one counts as failed and the job goes on. */
    convo *(*get_convo)(const char *id, void *ctx, char *err);
    /* Optional. 1 hit (*response malloc'd; scorer frees), 0 miss, -1 error
     * (treated as a miss). */
    int (*cache_get)(const char *key, char **response, void *ctx);
    /* Optional. Called with answers that parsed ok or partial, and with
     * ChatAdapter answers the JSON fallback followed (DSPy's cache keeps
     * them too: a rerun sends nothing). */
    int (*cache_put)(const char *key, const char *response, void *ctx);
    /* Stores a result. Returning -1 + err aborts the job: nothing more is
     * sent, scorer_run returns -1 with err. */
    int (*store)(const char *conv_id, const score_result *res, void *ctx,
                 char *err);
    /* Optional, after every result. */
    void (*progress)(const score_progress *p, void *ctx);
    /* Optional: non-zero stops the job (in-flight requests are abandoned,
     * finished results are kept). Checked at least every 100 ms. */
    int (*cancel)(void *ctx);
    void *ctx;
} scorer_job;

/* Scores ids[0..n). Returns 0 (also when cancelled: see
 * sum->interrupted), or -1 + err when the job could not run (bad rubric for
 * the heuristic, bad LLM config) or a store failed. sum may be NULL; when
 * given, the caller calls score_summary_clear() on it afterwards. */
int scorer_run(const scorer_job *job, char *const *ids, size_t n,
               score_summary *sum, char *err);

/* Scores one conversation with the heuristic baseline into res (for
 * callers that have the conversation in hand). 0 or -1 + err. */
int scorer_heuristic_one(const rubric *r, const convo *c, score_result *res,
                         char *err);

#endif
