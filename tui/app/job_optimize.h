/* job_optimize.h: an optimisation run wired to the pool: the glue between
 * the core optimiser (core/bootstrap.h, core/metric.h; no SQL) and the pool
 * + scorer (no optimiser), shared by `curate optimize` and the workbench's
 * background job, as job_score.h is for scoring.
 *
 * One run: choose the training and validation sets from the reviewed pool,
 * record a run of kind "optimize", compile a candidate program with
 * BootstrapFewShot (random search with candidates > 0), evaluate it and the
 * current best on the same validation set, store the candidate (the new
 * best only if it scores strictly higher) and finish the run with the
 * decision. Predictions go through the scorer with the LLM cache in the
 * pool; nothing is printed: the caller hears of each step through log()
 * and progress(), all called on the thread that called job_optimize_run(),
 * which must own the pool connection (a TUI thread opens its own). */
#ifndef CURATE_JOB_OPTIMIZE_H
#define CURATE_JOB_OPTIMIZE_H

#include <stddef.h>
#include <stdint.h>

#include "../../core/bootstrap.h"
#include "../../core/llm.h"
#include "../../core/metric.h"
#include "../../core/scorer.h"
#include "../../data/pool.h"

/* ---- what the caller hears ---- */

typedef struct job_optimize_result job_optimize_result;

typedef enum {
    JOB_OPT_EV_SETS,         /* the sets are chosen: res's set fields */
    JOB_OPT_EV_STARTED,      /* the run is recorded: res->run_id, backend,
                                model, baseline_id */
    JOB_OPT_EV_BOOTSTRAP,    /* the optimiser's own event: bs */
    JOB_OPT_EV_DECIDED       /* the candidate is stored: res's decision
                                fields (the run is finished right after) */
} job_optimize_event_kind;

typedef struct {
    job_optimize_event_kind kind;
    const job_optimize_result *res;   /* filled so far; never NULL */
    const bs_event *bs;               /* JOB_OPT_EV_BOOTSTRAP, else NULL */
} job_optimize_event;

typedef enum {
    JOB_OPT_PHASE_SETS,       /* choosing and loading the sets */
    JOB_OPT_PHASE_BOOTSTRAP,  /* a candidate walks the training set */
    JOB_OPT_PHASE_EVALUATE,   /* a candidate on the validation set */
    JOB_OPT_PHASE_BASELINE,   /* the current best on the validation set */
    JOB_OPT_PHASE_DONE        /* evaluated; storing and deciding */
} job_optimize_phase;

/* A progress bar: done/total counts steps, a step being one training
 * example walked by a bootstrapping candidate (the rest of the walk counts
 * as done when it stops early) or one validation prediction. total is
 * exact from the first report on. */
typedef struct {
    job_optimize_phase phase;
    int cand_seed;              /* candidate built or evaluated (BOOTSTRAP,
                                   EVALUATE); see job_optimize_candidate_name */
    size_t cand, ncands;        /* 1-based candidate number, candidates */
    size_t done, total;
    size_t accepted, rejected;  /* bootstrap attempts judged so far */
    size_t errors;              /* bootstrap attempts that failed */
    size_t failed;              /* validation predictions that failed */
    size_t requests, cache_hits;   /* model requests, cache answers */
    double elapsed_s;
} job_optimize_progress;

/* ---- options ---- */

typedef struct {
    /* sets (bs_select) */
    size_t edge;                /* edge cases in training (default 5) */
    size_t sample;              /* stratified training examples (15) */
    size_t val;                 /* validation examples, >= 1 (10) */
    uint64_t seed;              /* every random choice (0) */
    /* bootstrapping (bs_options) */
    size_t max_bootstrapped;    /* 8 */
    size_t max_labeled;         /* 5 */
    size_t max_rounds;          /* attempts per example, >= 1 (1) */
    size_t max_errors;          /* failed predictions tolerated; 0 = the
                                   DSPy default of r->dspy (2.6: 5, 3: 10) */
    double threshold;           /* 0 = none: any value > 0 passes */
    metric_kind metric;         /* METRIC_DIVERSITY */
    size_t candidates;          /* 0 = BootstrapFewShot, K = random search */
    /* the decision: the candidate replaces the best only when its mean
     * paired gain over the best on the same validation examples exceeds
     * the margin: min_gain when has_min_gain, else 2 standard errors of
     * the paired differences (JOB_OPT_NOISE_SE) */
    int has_min_gain;
    double min_gain;            /* --min-gain */
    /* the model */
    scorer_backend backend;     /* see job_score_default_backend */
    const llm_config *llm;      /* SCORER_LLM: checked by the caller
                                   (llm_config_check); its concurrency
                                   bounds each batch (the bootstrap never
                                   asks ahead of what it still needs) */
    int no_cache;               /* do not answer from the response cache */
    /* callbacks, all optional, all with ctx */
    void (*log)(const job_optimize_event *ev, void *ctx);
    void (*progress)(const job_optimize_progress *p, void *ctx);
    int (*cancel)(void *ctx);   /* non-zero stops the run (polled often) */
    void *ctx;
} job_optimize_opts;

#define JOB_OPT_NOISE_SE 2.0   /* default margin, in standard errors */

/* The defaults above; backend heuristic, no llm, no callbacks. */
void job_optimize_opts_init(job_optimize_opts *o);

/* ---- the outcome ---- */

struct job_optimize_result {
    /* sets (from JOB_OPT_EV_SETS) */
    size_t reviewed;                /* reviewed examples in the pool */
    size_t ntrain, n_edge, nval;    /* n_edge: edge cases in training */
    size_t bin_taken[BS_BINS];      /* sampled per bin: low, mid, high */
    size_t bin_avail[BS_BINS];      /* available per bin */
    size_t missing;                 /* selection failed: label this many
                                       more (err says so too) */
    /* the run (from JOB_OPT_EV_STARTED) */
    int64_t run_id;                 /* 0 until recorded */
    int64_t baseline_id;            /* the best before the run, 0 none
                                       (the baseline is zero-shot) */
    const char *backend;            /* "llm" | "heuristic" (static) */
    char *model;                    /* model name or "heuristic-v1" */
    /* the decision (from JOB_OPT_EV_DECIDED) */
    int decided;
    int improved;                   /* the candidate is the new best */
    int64_t program_id;             /* the stored candidate */
    int cand_seed;                  /* which candidate was kept */
    size_t n_demos, n_augmented, n_labeled;
    size_t attempts, accepted, rejected, errors;  /* over all candidates */
    metric_report after;            /* the candidate on validation */
    metric_report before;           /* the baseline on validation */
    double gain, gain_se;           /* paired: mean(candidate - baseline)
                                       per example, and its standard error */
    double margin;                  /* what gain had to exceed */
    int margin_given;               /* margin is --min-gain */
    /* how it went */
    size_t requests, cache_hits;    /* a JSON fallback is a request more */
    size_t fallbacks;               /* answers through the JSON fallback */
    int interrupted;                /* cancelled: the run is "interrupted" */
};

/* Runs one optimisation (see the top of this file). Returns 0 when the
 * candidate was stored and the run finished "done" (out->improved says
 * whether it became the best), or -1 + err: the run, if it was recorded,
 * is finished "failed", or "interrupted" when cancel() asked
 * (out->interrupted). *out is filled either way; free it with
 * job_optimize_result_clear(). err may contain data (ids, model errors):
 * sanitise it for a terminal. */
int job_optimize_run(pool *p, const rubric *r, const job_optimize_opts *o,
                     job_optimize_result *out, char *err);

void job_optimize_result_clear(job_optimize_result *res);

/* The outcome of an optimisation as text lines for a reader: the
 * decision, the validation metric before -> after and per score field
 * MAE, sd and Spearman before -> after, from the summary JSON the run
 * stored (runs.summary). Caller frees; NULL when summary_json is not one. */
char *job_optimize_outcome_new(const rubric *r, const char *summary_json);

/* "zero-shot" (-3), "labeled only" (-2), "unshuffled" (-1), "shuffled". */
const char *job_optimize_candidate_name(int cand_seed);

#endif
