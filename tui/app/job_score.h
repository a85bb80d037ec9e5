/* job_score.h: a scoring run wired to the pool: the glue between the core
 * scorer (no SQL) and the pool (no LLM), shared by `curate score` and the
 * workbench's background job. One run row, one prediction per result (each
 * its own transaction), the LLM cache in the pool. */
#ifndef CURATE_JOB_SCORE_H
#define CURATE_JOB_SCORE_H

#include "../../core/llm.h"
#include "../../core/scorer.h"
#include "../../data/pool.h"

typedef struct {
    scorer_backend backend;
    const llm_config *llm;     /* SCORER_LLM */
    const char *program;       /* "best" (default), "none" or a program id */
    int no_cache;
    void (*progress)(const score_progress *p, void *ctx);
    int (*cancel)(void *ctx);
    void *ctx;
} job_score_opts;

/* Picks the backend when none was asked for: the LLM when an endpoint is
 * configured (CURATE_LLM_URL / OPENAI_BASE_URL), else the heuristic. */
scorer_backend job_score_default_backend(const llm_config *c);

/* Loads the program named by spec ("best", "none", an id) into *out
 * (NULL for none or when "best" and there is no best). *program_id gets its
 * id (0 none). Returns 0 or -1 + err. Caller frees *out. */
int job_score_load_program(pool *p, const rubric *r, const char *spec,
                           program **out, int64_t *program_id, char *err);

/* Scores ids[0..n) as a new run. *run_id gets the run; sum the summary
 * (the caller calls score_summary_clear() on it). The run ends "done",
 * "interrupted" (cancelled) or "failed"; its stored summary lists each
 * endpoint's requests, errors and mean latency. */
int job_score_run(pool *p, const rubric *r, const job_score_opts *o,
                  char *const *ids, size_t n, int64_t *run_id,
                  score_summary *sum, char *err);

/* Scorer callbacks (scorer_job.get_convo, cache_get, cache_put) over the
 * pool: ctx must point to a struct whose first member is the pool *. */
convo *job_pool_get_convo(const char *id, void *ctx, char *err);
int job_pool_cache_get(const char *key, char **response, void *ctx);
int job_pool_cache_put(const char *key, const char *response, void *ctx);

/* Collects the ids matching a filter (caller frees with job_ids_free). */
int job_ids_from_filter(pool *p, const pool_filter *f, char ***ids,
                        size_t *n, char *err);
void job_ids_free(char **ids, size_t n);

#endif
