/* job_optimize.c: see job_optimize.h. */
#define _POSIX_C_SOURCE 200809L
#include "job_optimize.h"
#include "job_score.h"
#include "../../core/prompt.h"
#include "../../core/score.h"
#include "../../core/util.h"
#include "../../data/export_pool.h"
#include "../../data/pool_team.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void job_optimize_opts_init(job_optimize_opts *o)
{
    bs_options bs;
    bs_options_init(&bs);
    memset(o, 0, sizeof *o);
    o->edge = 5;
    o->sample = 15;
    o->val = 10;
    o->max_bootstrapped = bs.max_bootstrapped;
    o->max_labeled = bs.max_labeled;
    o->max_rounds = bs.max_rounds;
    o->max_errors = 0;   /* the chosen DSPy's default, at run time */
    o->threshold = bs.threshold;
    o->metric = bs.metric;
    o->candidates = bs.candidates;
    o->backend = SCORER_HEURISTIC;
}

void job_optimize_result_clear(job_optimize_result *res)
{
    free(res->model);
    memset(res, 0, sizeof *res);
}

const char *job_optimize_candidate_name(int cand_seed)
{
    switch (cand_seed) {
    case -3: return "zero-shot";
    case -2: return "labeled only";
    case -1: return "unshuffled";
    default: return "shuffled";
    }
}

/* ---- the state of a run, the callbacks' ctx ---- */

typedef struct {
    pool *p;                 /* first: see job_pool_get_convo */
    const rubric *r;
    const job_optimize_opts *o;
    job_optimize_result *res;
    llm_client *client;        /* round 0 (kept alive between batches) */
    /* the group being scored */
    const bs_call *calls;
    bs_prediction *out;
    const size_t *idx;
    size_t nidx;
    unsigned char *filled;
    /* progress */
    job_optimize_progress pr;
    size_t base;               /* steps of the phases already finished */
    size_t ntrain, nval;
    double t0;
} glue;

static int cancelled(void *ctx)
{
    const glue *g = ctx;
    return g->o->cancel ? g->o->cancel(g->o->ctx) : 0;
}

static void emit(glue *g, job_optimize_event_kind kind, const bs_event *bs)
{
    if (!g->o->log) return;
    job_optimize_event ev = {.kind = kind, .res = g->res, .bs = bs};
    g->o->log(&ev, g->o->ctx);
}

static void report(glue *g)
{
    if (!g->o->progress) return;
    g->pr.requests = g->res->requests;
    g->pr.cache_hits = g->res->cache_hits;
    g->pr.elapsed_s = date_mono() - g->t0;
    if (g->pr.done > g->pr.total) g->pr.done = g->pr.total;
    g->o->progress(&g->pr, g->o->ctx);
}

/* A phase of `steps` steps is over. */
static void phase_done(glue *g, size_t steps)
{
    g->base += steps;
    g->pr.done = g->base;
}

/* Steps of the whole run: every bootstrapping candidate walks the training
 * set; every candidate evaluated and the baseline make nval predictions. */
static void progress_start(glue *g, size_t ntrain, size_t nval)
{
    const job_optimize_opts *o = g->o;
    size_t k = o->candidates;
    g->ntrain = ntrain;
    g->nval = nval;
    g->pr.ncands = k ? k + 3 : 1;
    size_t walks = k ? k + 1 : 1;     /* seeds -1..K-1 bootstrap */
    size_t evals = g->pr.ncands + 1;  /* each candidate, and the baseline */
    g->pr.total = walks * ntrain + evals * nval;
    g->pr.phase = JOB_OPT_PHASE_SETS;
    report(g);
}

/* ---- the predict callback: the scorer over the pool ---- */

/* The heuristic writes no text: its demo gets the scores as text and the
 * rationale as reasoning, so the program is still a valid DSPy state. */
static void heuristic_demo(const rubric *r, const bs_example *ex,
                           const score_result *res, demo *d)
{
    prompt_answer a;
    memset(&a, 0, sizeof a);
    for (size_t i = 0; i < r->nfields; i++) {
        char buf[SCORE_TEXT_MAX];
        if (rubric_is_scored(&r->fields[i]) && res->scores.set[i]) {
            score_format(res->scores.v[i], buf, sizeof buf);
            a.raw[i] = xstrdup(buf);
        } else if (r->fields[i].kind == FIELD_TEXT && res->rationale) {
            a.raw[i] = xstrdup(res->rationale);
        }
    }
    a.reasoning = xstrdup(res->rationale);
    prompt_demo_from_answer(r, ex->inputs, &a, d);
    prompt_answer_clear(&a);
}

/* A usable result becomes a prediction with the demo as the model wrote
 * it (the raw answer parsed again for the per-field strings). */
static void fill_prediction(const glue *g, const bs_example *ex,
                            const score_result *res, bs_prediction *out)
{
    out->ok = strcmp(res->status, "ok") == 0;
    out->scores = res->scores;
    if (!out->ok) {
        out->error = xstrdup(res->error ? res->error : res->status);
        return;
    }
    if (res->raw) {
        /* JSONAdapter's answer (the fallback, or --json-schema's) is JSON */
        prompt_answer a;
        prompt_parse_answer(g->r, res->raw, &a);
        if (res->fallback || a.format == ANSWER_FMT_NONE) {
            prompt_answer_clear(&a);
            prompt_parse_json_answer(g->r, res->raw, &a);
        }
        prompt_demo_from_answer(g->r, ex->inputs, &a, &out->d);
        prompt_answer_clear(&a);
    } else {
        heuristic_demo(g->r, ex, res, &out->d);
    }
    out->d.conv_id = xstrdup(ex->conv_id);
}

/* Results come back by conversation id, in completion order: each goes to
 * the first call of the group with that id still unfilled. */
static int store_cb(const char *conv_id, const score_result *res, void *ctx,
                    char *err)
{
    glue *g = ctx;
    (void)err;
    /* a JSON fallback is one more request, as in DSPy */
    if (res->cached) g->res->cache_hits++;
    g->res->requests += (size_t)res->requests;
    if (res->fallback) g->res->fallbacks++;
    for (size_t k = 0; k < g->nidx; k++) {
        size_t i = g->idx[k];
        if (g->filled[i] || strcmp(g->calls[i].ex->conv_id, conv_id)) continue;
        fill_prediction(g, g->calls[i].ex, res, &g->out[i]);
        g->filled[i] = 1;
        if (g->pr.phase == JOB_OPT_PHASE_EVALUATE ||
            g->pr.phase == JOB_OPT_PHASE_BASELINE) {
            g->pr.done++;
            if (!g->out[i].ok) g->pr.failed++;
        }
        break;
    }
    report(g);
    return 0;
}

/* One scorer run for the calls idx[] that share a program and a round.
 * Round r > 0 is asked as the chosen DSPy's BootstrapFewShot asks it, with
 * a fresh client: 2.6 at temperature 0.7 + 0.001 r, 3.x at 1.0 with
 * rollout_id r (core/dspy.h), each to get past the cache. */
static int score_group(glue *g, const size_t *idx, size_t n, char *err)
{
    const job_optimize_opts *o = g->o;
    const bs_call *first = &g->calls[idx[0]];
    char **ids = xcalloc(n, sizeof *ids);
    for (size_t k = 0; k < n; k++) ids[k] = g->calls[idx[k]].ex->conv_id;
    llm_config round_cfg;
    memset(&round_cfg, 0, sizeof round_cfg);
    if (first->round > 0 && o->llm) {
        llm_config_copy(&round_cfg, o->llm);
        dspy_version v = g->r->dspy.version;
        round_cfg.temperature = dspy_round_temperature(v, first->round);
        if (dspy_round_rollout_id(v)) round_cfg.rollout_id = first->round;
    }
    g->idx = idx;
    g->nidx = n;
    scorer_job job = {
        .r = g->r, .pg = first->pg, .backend = o->backend,
        .llm = first->round > 0 ? &round_cfg : o->llm,
        .client = first->round > 0 ? NULL : g->client,
        .no_cache = o->no_cache, .get_convo = job_pool_get_convo,
        .cache_get = job_pool_cache_get, .cache_put = job_pool_cache_put,
        .store = store_cb,
        .cancel = cancelled, .ctx = g,
    };
    score_summary sum;
    int rc = scorer_run(&job, ids, n, &sum, err);
    if (first->round > 0 && o->llm) llm_config_clear(&round_cfg);
    free(ids);
    if (rc == 0 && cancelled(g)) {
        err_set(err, "interrupted");
        rc = -1;
    }
    for (size_t k = 0; rc == 0 && k < n; k++) {
        size_t i = idx[k];
        if (g->filled[i]) continue;
        g->out[i].ok = 0;
        g->out[i].error = xstrdup(sum.last_error[0] ? sum.last_error
                                                    : "not scored");
        g->filled[i] = 1;
    }
    score_summary_clear(&sum);
    return rc;
}

/* bs_predict_fn: calls are grouped by (program, round), each group one
 * scorer run, so the scorer's concurrency applies within a group. */
static int predict_cb(void *ctx, const bs_call *calls, size_t n,
                      bs_prediction *out, char *err)
{
    glue *g = ctx;
    g->calls = calls;
    g->out = out;
    g->filled = xcalloc(n, 1);
    unsigned char *grouped = xcalloc(n, 1);
    size_t *idx = xcalloc(n, sizeof *idx);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (grouped[i]) continue;
        size_t m = 0;
        for (size_t j = i; j < n; j++) {
            if (grouped[j] || calls[j].pg != calls[i].pg ||
                calls[j].round != calls[i].round)
                continue;
            grouped[j] = 1;
            idx[m++] = j;
        }
        rc = score_group(g, idx, m, err);
    }
    free(idx);
    free(grouped);
    free(g->filled);
    g->filled = NULL;
    g->nidx = 0;
    return rc;
}

/* bs_log_fn: the optimiser's events, passed on, and the progress. */
static void log_cb(void *ctx, const bs_event *ev)
{
    glue *g = ctx;
    job_optimize_progress *pr = &g->pr;
    switch (ev->kind) {
    case BS_EV_CANDIDATE:
        pr->cand++;
        pr->cand_seed = ev->cand_seed;
        /* zero-shot and labeled-only are built without a walk */
        pr->phase = ev->cand_seed >= -1 ? JOB_OPT_PHASE_BOOTSTRAP
                                        : JOB_OPT_PHASE_EVALUATE;
        break;
    case BS_EV_ATTEMPT:
        if (ev->failed) pr->errors++;
        else if (ev->accepted) pr->accepted++;
        else pr->rejected++;
        if (g->base + ev->example + 1 > pr->done)
            pr->done = g->base + ev->example + 1;
        break;
    case BS_EV_BUILT:
        if (ev->cand_seed >= -1) phase_done(g, g->ntrain);
        /* random search evaluates every candidate inside the compile */
        pr->phase = JOB_OPT_PHASE_EVALUATE;
        break;
    case BS_EV_EVALUATED:
        phase_done(g, g->nval);
        break;
    }
    emit(g, JOB_OPT_EV_BOOTSTRAP, ev);
    report(g);
}

/* ---- loading the sets ---- */

typedef struct {
    pool_example *pool_ex;
    int npool;
    bs_item *items;
    bs_split split;
    bs_example *train, *val;
    char **prev_val;          /* the last done run's validation split */
    size_t nprev_val;
} sets;

static void sets_clear(sets *s)
{
    for (size_t i = 0; s->train && i < s->split.ntrain; i++) {
        free(s->train[i].conv_id);
        free(s->train[i].rationale);
        prompt_inputs_clear(s->train[i].inputs);
    }
    for (size_t i = 0; s->val && i < s->split.nval; i++) {
        free(s->val[i].conv_id);
        free(s->val[i].rationale);
        prompt_inputs_clear(s->val[i].inputs);
    }
    free(s->train);
    free(s->val);
    free(s->items);
    for (size_t i = 0; i < s->nprev_val; i++) free(s->prev_val[i]);
    free(s->prev_val);
    bs_split_clear(&s->split);
    if (s->pool_ex) pool_examples_free(s->pool_ex, s->npool);
    memset(s, 0, sizeof *s);
}

static int load_example(pool *p, const rubric *r, const char *id,
                        bs_example *ex, char *err)
{
    memset(ex, 0, sizeof *ex);
    ex->conv_id = xstrdup(id);
    convo *c = pool_get_convo_new(p, id, err);
    if (!c) return -1;
    prompt_inputs_for_convo(r, c, ex->inputs);
    convo_free(c);
    label l;
    int rc = pool_get_label(p, r, id, &l, err);
    /* several reviewers: their consensus (a conflict has none) */
    if (rc == 1) {
        rc = pool_team_adjust_label(p, r, id, &l.scores, err);
        if (rc <= 0) label_clear(&l);
    }
    if (rc == 0) err_set(err, "%s: no current label", id);
    if (rc <= 0) return -1;
    ex->gold = l.scores;
    /* A labeled demo carries the rationale an export gives (export_pool.h). */
    rc = export_pool_rationale(p, r, &l, &ex->rationale, err);
    label_clear(&l);
    return rc;
}

/* The range the score bins split: the overall field's, else the first
 * score field's. */
static void overall_range(const rubric *r, double *lo, double *hi)
{
    int o = rubric_overall_index(r);
    for (size_t i = 0; o < 0 && i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_SCORE) o = (int)i;
    *lo = o >= 0 ? r->fields[o].lo : 0;
    *hi = o >= 0 ? r->fields[o].hi : 10;
}

/* The validation split the last finished run recorded ("val_split"), so
 * this run keeps it (it only grows). */
static int load_prev_val(pool *p, sets *s, char *err)
{
    char *js = NULL;
    if (pool_last_done_summary(p, "optimize", &js, err) < 0) return -1;
    cJSON *o = js ? cJSON_Parse(js) : NULL;
    free(js);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "val_split"), *it;
    if (!cJSON_IsArray(a)) a = NULL;
    size_t n = a ? (size_t)cJSON_GetArraySize(a) : 0;
    s->prev_val = xcalloc(n ? n : 1, sizeof *s->prev_val);
    cJSON_ArrayForEach(it, a)
        if (cJSON_IsString(it))
            s->prev_val[s->nprev_val++] = xstrdup(it->valuestring);
    cJSON_Delete(o);
    return 0;
}

static int load_sets(pool *p, const rubric *r, const job_optimize_opts *o,
                     sets *s, job_optimize_result *res, char *err)
{
    memset(s, 0, sizeof *s);
    if (load_prev_val(p, s, err) < 0) return -1;
    s->npool = pool_reviewed_examples(p, &s->pool_ex, err);
    if (s->npool < 0) return -1;
    size_t n = (size_t)s->npool;
    res->reviewed = n;
    s->items = xcalloc(n ? n : 1, sizeof *s->items);
    for (size_t i = 0; i < n; i++)
        s->items[i] = (bs_item){s->pool_ex[i].conv_id,
                                s->pool_ex[i].human_overall,
                                s->pool_ex[i].edge};
    bs_select_opts sel = {.edge = o->edge, .sample = o->sample,
                          .val = o->val, .seed = o->seed,
                          .prev_val = (const char *const *)s->prev_val,
                          .nprev_val = s->nprev_val};
    overall_range(r, &sel.lo, &sel.hi);
    if (bs_select(s->items, n, &sel, &s->split, err) < 0) {
        res->missing = s->split.missing;
        return -1;
    }
    s->train = xcalloc(s->split.ntrain, sizeof *s->train);
    s->val = xcalloc(s->split.nval, sizeof *s->val);
    for (size_t i = 0; i < s->split.ntrain; i++)
        if (load_example(p, r, s->items[s->split.train[i]].conv_id,
                         &s->train[i], err) < 0)
            return -1;
    for (size_t i = 0; i < s->split.nval; i++)
        if (load_example(p, r, s->items[s->split.val[i]].conv_id,
                         &s->val[i], err) < 0)
            return -1;
    const bs_split *sp = &s->split;
    res->ntrain = sp->ntrain;
    res->n_edge = sp->n_edge;
    res->nval = sp->nval;
    memcpy(res->bin_taken, sp->bin_taken, sizeof res->bin_taken);
    memcpy(res->bin_avail, sp->bin_avail, sizeof res->bin_avail);
    return 0;
}

/* ---- storing ---- */

/* o as compact text; o is freed. Caller frees the text. */
static char *json_take_text_new(cJSON *o)
{
    char *s = json_text_new(o, 0);
    cJSON_Delete(o);
    return s;
}

static char *ids_json_new(const bs_example *ex, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(ex[i].conv_id));
    return json_take_text_new(a);
}

static char *params_json_new(const job_optimize_opts *o, const rubric *r,
                             const char *backend)
{
    cJSON *j = cJSON_CreateObject();
    /* the DSPy release the prompts, parse rules and state follow */
    cJSON_AddStringToObject(j, "dspy", dspy_release(r->dspy.version));
    cJSON_AddBoolToObject(j, "json_fallback", !r->dspy.no_json_fallback);
    cJSON_AddNumberToObject(j, "edge", (double)o->edge);
    cJSON_AddNumberToObject(j, "sample", (double)o->sample);
    cJSON_AddNumberToObject(j, "val", (double)o->val);
    cJSON_AddNumberToObject(j, "max_bootstrapped", (double)o->max_bootstrapped);
    cJSON_AddNumberToObject(j, "max_labeled", (double)o->max_labeled);
    cJSON_AddNumberToObject(j, "max_rounds", (double)o->max_rounds);
    cJSON_AddNumberToObject(j, "max_errors", (double)(o->max_errors
        ? o->max_errors : (size_t)dspy_max_errors_default(r->dspy.version)));
    if (o->threshold != 0)
        cJSON_AddNumberToObject(j, "threshold", o->threshold);
    else
        cJSON_AddNullToObject(j, "threshold");
    cJSON_AddStringToObject(j, "metric", metric_name(o->metric));
    cJSON_AddNumberToObject(j, "candidates", (double)o->candidates);
    cJSON_AddNumberToObject(j, "seed", (double)o->seed);
    cJSON_AddStringToObject(j, "backend", backend);
    cJSON_AddBoolToObject(j, "no_cache", o->no_cache);
    return json_take_text_new(j);
}

static void add_report(cJSON *o, const char *k, const rubric *r,
                       const metric_report *rep)
{
    char *js = metric_report_json_new(r, rep);
    cJSON_AddItemToObject(o, k, cJSON_Parse(js));
    free(js);
}

/* Everything a later reader of the run needs: the decision, both
 * validation reports, the bootstrap counts and the set composition. */
static char *summary_json_new(const rubric *r, const job_optimize_result *x)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "improved", x->improved);
    cJSON_AddNumberToObject(o, "program_id", (double)x->program_id);
    if (x->baseline_id)
        cJSON_AddNumberToObject(o, "baseline_program_id",
                                (double)x->baseline_id);
    else
        cJSON_AddNullToObject(o, "baseline_program_id");
    add_report(o, "candidate", r, &x->after);
    add_report(o, "baseline", r, &x->before);
    cJSON *pg = cJSON_AddObjectToObject(o, "paired");
    cJSON_AddNumberToObject(pg, "gain", x->gain);
    cJSON_AddNumberToObject(pg, "se", x->gain_se);
    cJSON_AddNumberToObject(pg, "n", (double)x->nval);
    cJSON_AddNumberToObject(pg, "margin", x->margin);
    cJSON_AddStringToObject(pg, "margin_from", x->margin_given ? "--min-gain"
                                                               : "2 SE");
    cJSON_AddNumberToObject(o, "candidate_seed", x->cand_seed);
    cJSON_AddNumberToObject(o, "bootstrapped", (double)x->n_augmented);
    cJSON_AddNumberToObject(o, "labeled", (double)x->n_labeled);
    cJSON_AddNumberToObject(o, "attempts", (double)x->attempts);
    cJSON_AddNumberToObject(o, "accepted", (double)x->accepted);
    cJSON_AddNumberToObject(o, "rejected", (double)x->rejected);
    cJSON_AddNumberToObject(o, "errors", (double)x->errors);
    cJSON_AddNumberToObject(o, "requests", (double)x->requests);
    cJSON_AddNumberToObject(o, "cache_hits", (double)x->cache_hits);
    cJSON_AddNumberToObject(o, "json_fallbacks", (double)x->fallbacks);
    cJSON *t = cJSON_AddObjectToObject(o, "train");
    cJSON_AddNumberToObject(t, "n", (double)x->ntrain);
    cJSON_AddNumberToObject(t, "edge", (double)x->n_edge);
    cJSON *bins = cJSON_AddArrayToObject(t, "bins");
    for (int b = 0; b < BS_BINS; b++)
        cJSON_AddItemToArray(bins,
                             cJSON_CreateNumber((double)x->bin_taken[b]));
    cJSON_AddNumberToObject(o, "val", (double)x->nval);
    return json_take_text_new(o);
}

static int store_program(pool *p, const rubric *r, const sets *s,
                         const bs_result *bs, const job_optimize_result *x,
                         int make_best, int64_t *id, char *err)
{
    pool_program pp;
    memset(&pp, 0, sizeof pp);
    pp.state_json = program_state_json_new(bs->pg, r);
    pp.metric = (char *)metric_name(x->after.metric);
    pp.val_score = x->after.mean;
    pp.model = x->model;
    pp.trainset_json = ids_json_new(s->train, s->split.ntrain);
    char note[160];
    snprintf(note, sizeof note, "optimize run %lld: candidate %d (%s), "
             "%zu bootstrapped + %zu labeled", (long long)x->run_id,
             bs->cand_seed, job_optimize_candidate_name(bs->cand_seed),
             bs->n_augmented, bs->n_labeled);
    pp.note = note;
    pp.n_demos = (int)bs->pg->ndemos;
    int rc = pool_put_program(p, &pp, make_best, id, err);
    free(pp.state_json);
    free(pp.trainset_json);
    return rc;
}

/* ---- the run ---- */

typedef struct {
    glue g;
    sets s;
    bs_options bs;
    program *best;
    bs_result res;
    double *cand_v, *base_v;   /* per validation example, for the pairing */
    bs_example *eval;          /* the validation examples in neither
                                  program's training set or demos (shallow
                                  copies of s.val's) */
    size_t neval;
    char *best_train;          /* the best's recorded training ids (JSON) */
} run;

static int start(run *R, char *err)
{
    glue *g = &R->g;
    job_optimize_result *x = g->res;
    if (load_sets(g->p, g->r, g->o, &R->s, x, err) < 0) return -1;
    progress_start(g, R->s.split.ntrain, R->s.split.nval);
    emit(g, JOB_OPT_EV_SETS, NULL);
    if (job_score_load_program(g->p, g->r, "best", &R->best, &x->baseline_id,
                               err) < 0)
        return -1;
    if (x->baseline_id) {
        pool_program bp;
        if (pool_get_program(g->p, x->baseline_id, &bp, err) < 0) return -1;
        R->best_train = bp.trainset_json ? xstrdup(bp.trainset_json) : NULL;
        pool_program_clear(&bp);
    }
    char *params = params_json_new(g->o, g->r, x->backend);
    int rc = pool_run_start(g->p, "optimize", x->backend, x->model,
                            x->baseline_id, params, &x->run_id, err);
    free(params);
    if (rc < 0) return -1;
    emit(g, JOB_OPT_EV_STARTED, NULL);
    return 0;
}

/* Whether ex is one of pg's demos (the same inputs). */
static int is_demo_of(const rubric *r, const program *pg, const bs_example *ex)
{
    for (size_t k = 0; pg && k < pg->ndemos; k++) {
        int same = 1, any = 0;
        for (size_t i = 0; i < r->nfields && same; i++) {
            if (r->fields[i].kind != FIELD_INPUT) continue;
            const char *a = pg->demos[k].values[i], *b = ex->inputs[i];
            if (!a || !b) { same = a == b; continue; }
            same = strcmp(a, b) == 0;
            any = 1;
        }
        if (same && any) return 1;
    }
    return 0;
}

static int in_ids_json(const char *ids_json, const char *id)
{
    cJSON *a = ids_json ? cJSON_Parse(ids_json) : NULL;
    const cJSON *it, *arr = cJSON_IsArray(a) ? a : NULL;
    int found = 0;
    cJSON_ArrayForEach(it, arr)
        if (cJSON_IsString(it) && strcmp(it->valuestring, id) == 0) found = 1;
    cJSON_Delete(a);
    return found;
}

/* Both programs are judged only on validation examples that are in
 * neither one's training set or demos: the best's recorded training ids
 * and either program's demos (by their inputs) are left out. */
static void pick_eval(run *R)
{
    const sets *s = &R->s;
    size_t n = s->split.nval;
    R->eval = xcalloc(n ? n : 1, sizeof *R->eval);
    R->neval = 0;
    for (size_t i = 0; i < n; i++) {
        const bs_example *ex = &s->val[i];
        if (in_ids_json(R->best_train, ex->conv_id) ||
            is_demo_of(R->g.r, R->best, ex) || is_demo_of(R->g.r, R->res.pg, ex))
            continue;
        R->eval[R->neval++] = *ex;
    }
}

/* Compiles and evaluates; fills R->res, x->after, x->before. */
static int compile_and_evaluate(run *R, char *err)
{
    glue *g = &R->g;
    job_optimize_result *x = g->res;
    const sets *s = &R->s;
    /* Random search chooses among its candidates on the training set
     * (DSPy's `valset or trainset`), never on the examples that then
     * decide keep-or-not. */
    if (bs_compile(g->r, &R->bs, s->train, s->split.ntrain, NULL, 0,
                   predict_cb, log_cb, g, &R->res, err) < 0)
        return -1;
    pick_eval(R);
    size_t nv = R->neval;
    x->nval = nv;
    R->cand_v = xcalloc(nv ? nv : 1, sizeof *R->cand_v);
    R->base_v = xcalloc(nv ? nv : 1, sizeof *R->base_v);
    /* Per example, for the paired comparison (random search's own pass
     * gave only the mean; its requests are in the cache). */
    g->pr.phase = JOB_OPT_PHASE_EVALUATE;
    report(g);
    if (bs_evaluate_each(g->r, R->bs.metric, R->res.pg, R->eval, nv,
                         predict_cb, g, &x->after, R->cand_v, err) < 0)
        return -1;
    phase_done(g, g->nval);
    g->pr.phase = JOB_OPT_PHASE_BASELINE;
    report(g);
    if (bs_evaluate_each(g->r, R->bs.metric, R->best, R->eval, nv,
                         predict_cb, g, &x->before, R->base_v, err) < 0)
        return -1;
    phase_done(g, g->nval);
    g->pr.phase = JOB_OPT_PHASE_DONE;
    report(g);
    if (x->after.failed == x->after.n && x->before.failed == x->before.n) {
        err_set(err, "every validation prediction failed: is the model "
                "reachable? (see curate score)");
        return -1;
    }
    return 0;
}

/* The validation split (kept by the next run) and the ids both programs
 * were judged on. */
static char *summary_with_val_new(const rubric *r, const job_optimize_result *x,
                                  const run *R)
{
    char *js = summary_json_new(r, x);
    cJSON *o = cJSON_Parse(js);
    free(js);
    cJSON *split = cJSON_AddArrayToObject(o, "val_split");
    for (size_t i = 0; i < R->s.split.nval; i++)
        cJSON_AddItemToArray(split, cJSON_CreateString(R->s.val[i].conv_id));
    cJSON *ids = cJSON_AddArrayToObject(o, "val_ids");
    for (size_t i = 0; i < R->neval; i++)
        cJSON_AddItemToArray(ids, cJSON_CreateString(R->eval[i].conv_id));
    return json_take_text_new(o);
}

/* Beyond the margin, floating-point noise never decides. */
#define IMPROVEMENT_EPS 1e-9

static int finish(run *R, char *err)
{
    glue *g = &R->g;
    job_optimize_result *x = g->res;
    const bs_result *b = &R->res;
    /* Paired on the same examples: noise common to both programs cancels;
     * what is left must exceed 2 standard errors (or --min-gain). */
    bs_paired_gain(R->cand_v, R->base_v, R->neval, &x->gain,
                   &x->gain_se);
    x->margin_given = g->o->has_min_gain;
    x->margin = g->o->has_min_gain ? g->o->min_gain
                                   : JOB_OPT_NOISE_SE * x->gain_se;
    int improved = x->gain > x->margin + IMPROVEMENT_EPS;
    int64_t id = 0;
    if (store_program(g->p, g->r, &R->s, b, x, improved, &id, err) < 0)
        return -1;
    x->decided = 1;
    x->improved = improved;
    x->program_id = id;
    x->cand_seed = b->cand_seed;
    x->n_demos = b->pg->ndemos;
    x->n_augmented = b->n_augmented;
    x->n_labeled = b->n_labeled;
    x->attempts = b->attempts;
    x->accepted = b->accepted;
    x->rejected = b->rejected;
    x->errors = b->errors;
    emit(g, JOB_OPT_EV_DECIDED, NULL);
    char *js = summary_with_val_new(g->r, x, R);
    int rc = pool_run_finish(g->p, x->run_id, "done", js, err);
    free(js);
    return rc < 0 ? -1 : 0;
}

static void record_failure(run *R, const char *err)
{
    glue *g = &R->g;
    job_optimize_result *x = g->res;
    x->interrupted = cancelled(g) != 0;
    if (!x->run_id) return;
    char e2[ERR_MAX];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", err);
    char *js = json_take_text_new(o);
    pool_run_finish(g->p, x->run_id, x->interrupted ? "interrupted" : "failed",
                    js, e2);
    free(js);
}

int job_optimize_run(pool *p, const rubric *r, const job_optimize_opts *o,
                     job_optimize_result *out, char *err)
{
    memset(out, 0, sizeof *out);
    int llm = o->backend == SCORER_LLM;
    out->backend = llm ? "llm" : "heuristic";
    out->model = xstrdup(llm ? (o->llm ? o->llm->model : NULL)
                             : "heuristic-v1");
    run R;
    memset(&R, 0, sizeof R);
    R.g = (glue){.p = p, .r = r, .o = o, .res = out, .t0 = date_mono()};
    bs_options_init(&R.bs);
    R.bs.max_bootstrapped = o->max_bootstrapped;
    R.bs.max_labeled = o->max_labeled;
    R.bs.max_rounds = o->max_rounds;
    R.bs.max_errors = o->max_errors ? o->max_errors
                                    : (size_t)dspy_max_errors_default(r->dspy.version);
    R.bs.threshold = o->threshold;
    R.bs.metric = o->metric;
    R.bs.candidates = o->candidates;
    R.bs.seed = o->seed;
    R.bs.cancel = cancelled;
    if (llm && !o->llm) {
        err_set(err, "no LLM configuration");
        return -1;
    }
    /* No speculative attempts (issue 15): the window is what is still
     * needed, so a run where every attempt passes sends one request per
     * attempt, as DSPy's sequential loop does. */
    if (llm && !(R.g.client = llm_client_new(o->llm, err))) return -1;
    int rc = start(&R, err);
    if (rc == 0) rc = compile_and_evaluate(&R, err);
    if (rc == 0) rc = finish(&R, err);
    if (rc < 0) record_failure(&R, err);
    llm_client_free(R.g.client);
    bs_result_clear(&R.res);
    free(R.cand_v);
    free(R.base_v);
    free(R.eval);
    free(R.best_train);
    program_free(R.best);
    sets_clear(&R.s);
    return rc;
}

/* "0.85 -> 0.71" for key k of field f in both reports. */
static void before_after(sbuf *b, const cJSON *base, const cJSON *cand,
                         const char *field, const char *k)
{
    const cJSON *v[2];
    const cJSON *rep[2] = {base, cand};
    for (int i = 0; i < 2; i++)
        v[i] = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(rep[i], "fields"), field), k);
    char t[2][16];
    for (int i = 0; i < 2; i++) {
        if (cJSON_IsNumber(v[i])) snprintf(t[i], sizeof t[i], "%.2f", v[i]->valuedouble);
        else snprintf(t[i], sizeof t[i], "-");
    }
    sbuf_addf(b, "  %5s -> %-5s ", t[0], t[1]);
}

char *job_optimize_outcome_new(const rubric *r, const char *summary_json)
{
    cJSON *o = summary_json ? cJSON_Parse(summary_json) : NULL;
    if (!cJSON_IsObject(o)) { cJSON_Delete(o); return NULL; }
    const cJSON *cand = cJSON_GetObjectItemCaseSensitive(o, "candidate");
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(o, "baseline");
    const cJSON *cm = cJSON_GetObjectItemCaseSensitive(cand, "mean");
    const cJSON *bm = cJSON_GetObjectItemCaseSensitive(base, "mean");
    const cJSON *met = cJSON_GetObjectItemCaseSensitive(cand, "metric");
    const cJSON *nv = cJSON_GetObjectItemCaseSensitive(o, "val");
    const cJSON *bid = cJSON_GetObjectItemCaseSensitive(o, "baseline_program_id");
    sbuf b = {0};
    sbuf_addf(&b, "Decision: %s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "improved"))
              ? "the candidate gained more than the noise margin: it is the new current best"
              : "not better than the current best by more than the noise margin, which stays (the candidate is stored)");
    sbuf_addf(&b, "Validation %s on %d examples: ", cJSON_IsString(met) ?
              met->valuestring : "metric", cJSON_IsNumber(nv) ? nv->valueint : 0);
    if (cJSON_IsNumber(bm)) sbuf_addf(&b, "%.4f", bm->valuedouble);
    else sbuf_add(&b, "-");
    sbuf_add(&b, " before (");
    if (cJSON_IsNumber(bid)) sbuf_addf(&b, "program %d", bid->valueint);
    else sbuf_add(&b, "zero-shot");
    sbuf_add(&b, ") -> ");
    if (cJSON_IsNumber(cm)) sbuf_addf(&b, "%.4f", cm->valuedouble);
    else sbuf_add(&b, "-");
    sbuf_add(&b, " after\n");
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(o, "paired");
    const cJSON *pgn = cJSON_GetObjectItemCaseSensitive(pr, "gain");
    const cJSON *pse = cJSON_GetObjectItemCaseSensitive(pr, "se");
    const cJSON *pn = cJSON_GetObjectItemCaseSensitive(pr, "n");
    const cJSON *pm = cJSON_GetObjectItemCaseSensitive(pr, "margin");
    const cJSON *pf = cJSON_GetObjectItemCaseSensitive(pr, "margin_from");
    if (cJSON_IsNumber(pgn) && cJSON_IsNumber(pse) && cJSON_IsNumber(pn) &&
        cJSON_IsNumber(pm))
        sbuf_addf(&b, "Gain %+.4f \xc2\xb1 %.4f (paired, n=%d); needs > %.4f (%s)\n",
                  pgn->valuedouble, pse->valuedouble, pn->valueint,
                  pm->valuedouble, cJSON_IsString(pf) ? pf->valuestring : "");
    sbuf_add(&b, "\n");
    sbuf_addf(&b, "%-28s %-15s %-15s %-15s\n", "field", "  MAE", "  sd", "  Spearman");
    for (size_t i = 0; i < r->nfields; i++) {
        if (!rubric_is_scored(&r->fields[i])) continue;
        sbuf_addf(&b, "%-28s", r->fields[i].name);
        before_after(&b, base, cand, r->fields[i].name, "mae");
        before_after(&b, base, cand, r->fields[i].name, "sd");
        before_after(&b, base, cand, r->fields[i].name, "spearman");
        sbuf_add(&b, "\n");
    }
    /* runs stored before the JSON fallback have no such figures */
    const cJSON *nreq = cJSON_GetObjectItemCaseSensitive(o, "requests");
    const cJSON *nhit = cJSON_GetObjectItemCaseSensitive(o, "cache_hits");
    const cJSON *nfb = cJSON_GetObjectItemCaseSensitive(o, "json_fallbacks");
    if (cJSON_IsNumber(nreq) && cJSON_IsNumber(nhit) && cJSON_IsNumber(nfb))
        sbuf_addf(&b, "Requests: %d sent, %d answered from the cache; %d "
                  "through the JSON fallback\n", nreq->valueint,
                  nhit->valueint, nfb->valueint);
    cJSON_Delete(o);
    return sbuf_take(&b);
}
