/* cmd_optimize.c: `curate optimize`: BootstrapFewShot (core/bootstrap.h)
 * wired to the pool and the scorer. Picks the training and validation sets
 * from the reviewed pool, compiles a candidate program, evaluates it and
 * the current best on the same validation set, stores the candidate (the
 * new best only if it scores strictly higher) and records a run of kind
 * "optimize". Exit: 0 improved, 1 error, 3 not improved, 130 interrupted. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "job_score.h"
#include "sanitize.h"
#include "../core/bootstrap.h"
#include "../core/prompt.h"
#include "../core/util.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_INTERRUPTED 130

static const char *optimize_usage =
    "usage: curate optimize [OPTIONS]\n"
    "BootstrapFewShot (DSPy) with the score-diversity metric: builds a\n"
    "training set from the reviewed pool, bootstraps few-shot demos with the\n"
    "model, evaluates the candidate and the current best on held-out\n"
    "reviewed examples and keeps the candidate as the new best only if it\n"
    "scores higher. Every run is recorded.\n"
    "Sets:\n"
    "  --edge N              edge cases in the training set (default 5)\n"
    "  --sample N            reviewed examples sampled across the human\n"
    "                        overall score, low/mid/high evenly (default 15)\n"
    "  --val N               held-out validation examples (default 10)\n"
    "  --seed S              seed for every random choice (default 0); the\n"
    "                        same seed rebuilds the same program\n"
    "Bootstrapping:\n"
    "  --max-bootstrapped N  bootstrapped demos at most (default 8)\n"
    "  --max-labeled N       labeled demos: the teacher's, and the fill\n"
    "                        (default 5)\n"
    "  --threshold T         accept a demo when metric >= T (recommended\n"
    "                        0.7; default: any value above 0, as DSPy)\n"
    "  --metric M            diversity (default) or accuracy\n"
    "  --candidates K        random search: zero-shot, labeled-only,\n"
    "                        unshuffled and K shuffled candidates, the best\n"
    "                        on the validation set kept (default 0: plain\n"
    "                        BootstrapFewShot)\n"
    "  --max-rounds N        attempts per example (default 1)\n"
    "  --max-errors N        failed predictions before giving up (default 10)\n"
    "Model:\n"
    "  --backend llm|heuristic  default: llm when an endpoint is configured\n"
    "  --url URL --model NAME   endpoint (env CURATE_LLM_URL, CURATE_LLM_MODEL)\n"
    "  --concurrency N          requests in flight (default 8)\n"
    "  --no-cache               do not answer from the response cache\n"
    "Exit status: 0 improved, 1 error, 3 not improved, 130 interrupted.\n";

/* ---- options ---- */

typedef struct {
    bs_select_opts sel;
    bs_options bs;
    const char *backend;
    llm_config cfg;
    int no_cache;
} opt_args;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int cancel_cb(void *ctx)
{
    (void)ctx;
    return interrupted;
}

/* A count option: a whole number >= min. */
static int parse_count(const char *name, const char *s, size_t min,
                       size_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end || v < (long long)min || v > 100000) {
        cli_error("optimize: --%s: expected a whole number >= %zu, got '%s'",
                  name, min, s);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static int parse_args(opt_args *a, int argc, char **argv)
{
    enum { O_EDGE = 256, O_SAMPLE, O_VAL, O_MAXB, O_MAXL, O_THR, O_METRIC,
           O_CAND, O_SEED, O_BACKEND, O_CONC, O_NOCACHE, O_URL, O_MODEL,
           O_ROUNDS, O_ERRORS };
    static const struct option lo[] = {
        {"edge", required_argument, NULL, O_EDGE},
        {"sample", required_argument, NULL, O_SAMPLE},
        {"val", required_argument, NULL, O_VAL},
        {"max-bootstrapped", required_argument, NULL, O_MAXB},
        {"max-labeled", required_argument, NULL, O_MAXL},
        {"threshold", required_argument, NULL, O_THR},
        {"metric", required_argument, NULL, O_METRIC},
        {"candidates", required_argument, NULL, O_CAND},
        {"seed", required_argument, NULL, O_SEED},
        {"backend", required_argument, NULL, O_BACKEND},
        {"concurrency", required_argument, NULL, O_CONC},
        {"no-cache", no_argument, NULL, O_NOCACHE},
        {"url", required_argument, NULL, O_URL},
        {"model", required_argument, NULL, O_MODEL},
        {"max-rounds", required_argument, NULL, O_ROUNDS},
        {"max-errors", required_argument, NULL, O_ERRORS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    size_t conc = (size_t)a->cfg.concurrency, seed = 0;
    int c, rc = 0;
    char *end;
    while (rc == 0 && (c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_EDGE: rc = parse_count("edge", optarg, 0, &a->sel.edge); break;
        case O_SAMPLE: rc = parse_count("sample", optarg, 0, &a->sel.sample); break;
        case O_VAL: rc = parse_count("val", optarg, 1, &a->sel.val); break;
        case O_MAXB:
            rc = parse_count("max-bootstrapped", optarg, 0,
                             &a->bs.max_bootstrapped);
            break;
        case O_MAXL:
            rc = parse_count("max-labeled", optarg, 0, &a->bs.max_labeled);
            break;
        case O_CAND:
            rc = parse_count("candidates", optarg, 0, &a->bs.candidates);
            break;
        case O_ROUNDS:
            rc = parse_count("max-rounds", optarg, 1, &a->bs.max_rounds);
            break;
        case O_ERRORS:
            rc = parse_count("max-errors", optarg, 1, &a->bs.max_errors);
            break;
        case O_CONC: rc = parse_count("concurrency", optarg, 1, &conc); break;
        case O_SEED: rc = parse_count("seed", optarg, 0, &seed); break;
        case O_THR:
            a->bs.threshold = strtod(optarg, &end);
            if (!*optarg || *end || !isfinite(a->bs.threshold)) {
                cli_error("optimize: --threshold: expected a number, "
                          "got '%s'", optarg);
                rc = -1;
            }
            break;
        case O_METRIC:
            if (metric_parse(optarg, &a->bs.metric) < 0) {
                cli_error("optimize: --metric must be diversity or accuracy");
                rc = -1;
            }
            break;
        case O_BACKEND:
            if (strcmp(optarg, "llm") && strcmp(optarg, "heuristic")) {
                cli_error("optimize: --backend must be llm or heuristic");
                rc = -1;
            }
            a->backend = optarg;
            break;
        case O_NOCACHE: a->no_cache = 1; break;
        case O_URL: llm_config_set(&a->cfg.base_url, optarg); break;
        case O_MODEL: llm_config_set(&a->cfg.model, optarg); break;
        case 'h': fputs(optimize_usage, stdout); return 1;
        default: fputs(optimize_usage, stderr); return -1;
        }
    }
    if (rc == 0 && optind < argc) {
        cli_error("optimize: unexpected argument '%s'", argv[optind]);
        rc = -1;
    }
    a->cfg.concurrency = (int)conc;
    a->sel.seed = a->bs.seed = seed;
    return rc;
}

/* ---- the predict callback: the scorer over the pool ---- */

typedef struct {
    pool *p;
    const rubric *r;
    scorer_backend be;
    const llm_config *cfg;
    llm_client *client;        /* round 0 (kept alive between batches) */
    int no_cache;
    /* the group being scored */
    const bs_call *calls;
    bs_prediction *out;
    const size_t *idx;
    size_t nidx;
    unsigned char *filled;
    size_t requests, cache_hits;
} glue;

static convo *get_convo(const char *id, void *ctx, char *err)
{
    glue *g = ctx;
    return pool_get_convo_new(g->p, id, err);
}

static int cache_get(const char *key, char **response, void *ctx)
{
    glue *g = ctx;
    char err[ERR_MAX];
    return pool_cache_get(g->p, key, response, err);
}

static int cache_put(const char *key, const char *response, void *ctx)
{
    glue *g = ctx;
    char err[ERR_MAX];
    return pool_cache_put(g->p, key, response, err);
}

/* The heuristic writes no text: its demo gets the scores as text and the
 * rationale as reasoning, so the program is still a valid DSPy state. */
static void heuristic_demo(const rubric *r, const bs_example *ex,
                           const score_result *res, demo *d)
{
    prompt_answer a;
    memset(&a, 0, sizeof a);
    for (size_t i = 0; i < r->nfields; i++) {
        char buf[32];
        if (rubric_is_scored(&r->fields[i]) && res->scores.set[i]) {
            snprintf(buf, sizeof buf, "%.1f", res->scores.v[i]);
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
        prompt_answer a;
        prompt_parse_answer(g->r, res->raw, &a);
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
    if (res->cached) g->cache_hits++;
    else if (res->attempts > 0) g->requests++;
    for (size_t k = 0; k < g->nidx; k++) {
        size_t i = g->idx[k];
        if (g->filled[i] || strcmp(g->calls[i].ex->conv_id, conv_id)) continue;
        fill_prediction(g, g->calls[i].ex, res, &g->out[i]);
        g->filled[i] = 1;
        break;
    }
    return 0;
}

/* One scorer run for the calls idx[] that share a program and a round.
 * Round r > 0 is asked at temperature 0.7 + 0.001 r with a fresh client,
 * as DSPy's BootstrapFewShot does to get past the cache. */
static int score_group(glue *g, const size_t *idx, size_t n, char *err)
{
    const bs_call *first = &g->calls[idx[0]];
    char **ids = xcalloc(n, sizeof *ids);
    for (size_t k = 0; k < n; k++) ids[k] = g->calls[idx[k]].ex->conv_id;
    llm_config round_cfg;
    memset(&round_cfg, 0, sizeof round_cfg);
    if (first->round > 0 && g->cfg) {
        llm_config_copy(&round_cfg, g->cfg);
        round_cfg.temperature = 0.7 + 0.001 * first->round;
    }
    g->idx = idx;
    g->nidx = n;
    scorer_job job = {
        .r = g->r, .pg = first->pg, .backend = g->be,
        .llm = first->round > 0 ? &round_cfg : g->cfg,
        .client = first->round > 0 ? NULL : g->client,
        .no_cache = g->no_cache, .get_convo = get_convo,
        .cache_get = cache_get, .cache_put = cache_put, .store = store_cb,
        .cancel = cancel_cb, .ctx = g,
    };
    score_summary sum;
    int rc = scorer_run(&job, ids, n, &sum, err);
    if (first->round > 0 && g->cfg) llm_config_clear(&round_cfg);
    free(ids);
    if (rc == 0 && interrupted) {
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
    return rc;
}

/* ---- loading the sets ---- */

typedef struct {
    pool_example *pool_ex;
    int npool;
    bs_item *items;
    bs_split split;
    bs_example *train, *val;
} sets;

static void sets_clear(sets *s)
{
    for (size_t i = 0; s->train && i < s->split.ntrain; i++) {
        free(s->train[i].conv_id);
        prompt_inputs_clear(s->train[i].inputs);
    }
    for (size_t i = 0; s->val && i < s->split.nval; i++) {
        free(s->val[i].conv_id);
        prompt_inputs_clear(s->val[i].inputs);
    }
    free(s->train);
    free(s->val);
    free(s->items);
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
    if (rc == 0) err_set(err, "%s: no current label", id);
    if (rc <= 0) return -1;
    ex->gold = l.scores;
    label_clear(&l);
    return 0;
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

static int load_sets(pool *p, const rubric *r, opt_args *a, sets *s,
                     char *err)
{
    memset(s, 0, sizeof *s);
    s->npool = pool_reviewed_examples(p, &s->pool_ex, err);
    if (s->npool < 0) return -1;
    size_t n = (size_t)s->npool;
    s->items = xcalloc(n ? n : 1, sizeof *s->items);
    for (size_t i = 0; i < n; i++)
        s->items[i] = (bs_item){s->pool_ex[i].conv_id,
                                s->pool_ex[i].human_overall,
                                s->pool_ex[i].edge};
    overall_range(r, &a->sel.lo, &a->sel.hi);
    if (bs_select(s->items, n, &a->sel, &s->split, err) < 0) return -1;
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
    return 0;
}

/* ---- printing ---- */

static const char *cand_name(int seed)
{
    switch (seed) {
    case -3: return "zero-shot";
    case -2: return "labeled only";
    case -1: return "unshuffled";
    default: return "shuffled";
    }
}

static void print_sets(const sets *s, const opt_args *a)
{
    const bs_split *sp = &s->split;
    printf("reviewed examples: %d\n", s->npool);
    printf("training set: %zu examples: %zu edge case%s + %zu sampled "
           "(low %zu of %zu, mid %zu of %zu, high %zu of %zu)\n",
           sp->ntrain, sp->n_edge, sp->n_edge == 1 ? "" : "s",
           sp->ntrain - sp->n_edge, sp->bin_taken[0], sp->bin_avail[0],
           sp->bin_taken[1], sp->bin_avail[1], sp->bin_taken[2],
           sp->bin_avail[2]);
    printf("validation set: %zu examples (seed %llu)\n", sp->nval,
           (unsigned long long)a->sel.seed);
}

static void log_cb(void *ctx, const bs_event *ev)
{
    (void)ctx;
    switch (ev->kind) {
    case BS_EV_CANDIDATE:
        if (ev->cand_seed >= -1)
            printf("candidate %d (%s): bootstrapping up to %zu demos\n",
                   ev->cand_seed, cand_name(ev->cand_seed),
                   ev->max_bootstrapped);
        else
            printf("candidate %d (%s)\n", ev->cand_seed,
                   cand_name(ev->cand_seed));
        break;
    case BS_EV_ATTEMPT: {
        /* ids and model/server errors are data: sanitised for the terminal */
        char *id = sanitize_new(ev->conv_id, (size_t)-1, 0);
        char *why = sanitize_new(ev->error ? ev->error : "failed", (size_t)-1, 0);
        if (ev->failed)
            printf("  attempt %-3zu %-24s error     %s\n", ev->example + 1,
                   id, why);
        else
            printf("  attempt %-3zu %-24s %-9s %.3f%s\n", ev->example + 1,
                   id, ev->accepted ? "accepted" : "rejected", ev->value,
                   ev->round ? " (retry round)" : "");
        free(id);
        free(why);
        break;
    }
    case BS_EV_BUILT:
        printf("  demos: %zu bootstrapped + %zu labeled\n", ev->n_augmented,
               ev->n_labeled);
        break;
    case BS_EV_EVALUATED:
        printf("  validation score %.4f (%zu failed)\n", ev->report->mean,
               ev->report->failed);
        break;
    }
    fflush(stdout);
}

static void fmt_opt(char *buf, size_t n, int has, double v, const char *f)
{
    if (has) snprintf(buf, n, f, v);
    else snprintf(buf, n, "n/a");
}

static void print_reports(const rubric *r, const metric_report *before,
                          const metric_report *after)
{
    printf("per field, before -> after:\n");
    printf("%-28s %-15s %-15s %s\n", "field", "MAE", "sd", "Spearman");
    for (size_t f = 0; f < r->nfields; f++) {
        if (!rubric_is_scored(&r->fields[f])) continue;
        const metric_field_stats *b = &before->field[f], *x = &after->field[f];
        char sb[16], sa[16], mb[16], ma[16];
        fmt_opt(sb, sizeof sb, b->has_spearman, b->spearman, "%.2f");
        fmt_opt(sa, sizeof sa, x->has_spearman, x->spearman, "%.2f");
        fmt_opt(mb, sizeof mb, b->n > 0, b->mae, "%.2f");
        fmt_opt(ma, sizeof ma, x->n > 0, x->mae, "%.2f");
        printf("%-28s %5s -> %-6s %5.2f -> %-6.2f %5s -> %s\n",
               r->fields[f].name, mb, ma, b->sd, x->sd, sb, sa);
    }
}

/* ---- storing ---- */

static char *ids_json_new(const bs_example *ex, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(ex[i].conv_id));
    char *t = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    char *s = xstrdup(t);
    cJSON_free(t);
    return s;
}

static char *params_json_new(const opt_args *a, const char *backend)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "edge", (double)a->sel.edge);
    cJSON_AddNumberToObject(o, "sample", (double)a->sel.sample);
    cJSON_AddNumberToObject(o, "val", (double)a->sel.val);
    cJSON_AddNumberToObject(o, "max_bootstrapped", (double)a->bs.max_bootstrapped);
    cJSON_AddNumberToObject(o, "max_labeled", (double)a->bs.max_labeled);
    cJSON_AddNumberToObject(o, "max_rounds", (double)a->bs.max_rounds);
    if (a->bs.threshold != 0)
        cJSON_AddNumberToObject(o, "threshold", a->bs.threshold);
    else
        cJSON_AddNullToObject(o, "threshold");
    cJSON_AddStringToObject(o, "metric", metric_name(a->bs.metric));
    cJSON_AddNumberToObject(o, "candidates", (double)a->bs.candidates);
    cJSON_AddNumberToObject(o, "seed", (double)a->bs.seed);
    cJSON_AddStringToObject(o, "backend", backend);
    cJSON_AddBoolToObject(o, "no_cache", a->no_cache);
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *s = xstrdup(t);
    cJSON_free(t);
    return s;
}

/* Everything a later reader of the run needs: the decision, both
 * validation reports, the bootstrap counts and the set composition. */
typedef struct {
    int improved;
    int64_t program_id, baseline_id;
    const metric_report *cand, *base;
    const bs_result *res;
    const bs_split *split;
} outcome;

static void add_report(cJSON *o, const char *k, const rubric *r,
                       const metric_report *rep)
{
    char *js = metric_report_json_new(r, rep);
    cJSON_AddItemToObject(o, k, cJSON_Parse(js));
    free(js);
}

static char *summary_json_new(const rubric *r, const outcome *oc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "improved", oc->improved);
    cJSON_AddNumberToObject(o, "program_id", (double)oc->program_id);
    if (oc->baseline_id)
        cJSON_AddNumberToObject(o, "baseline_program_id",
                                (double)oc->baseline_id);
    else
        cJSON_AddNullToObject(o, "baseline_program_id");
    add_report(o, "candidate", r, oc->cand);
    add_report(o, "baseline", r, oc->base);
    cJSON_AddNumberToObject(o, "candidate_seed", oc->res->cand_seed);
    cJSON_AddNumberToObject(o, "bootstrapped", (double)oc->res->n_augmented);
    cJSON_AddNumberToObject(o, "labeled", (double)oc->res->n_labeled);
    cJSON_AddNumberToObject(o, "attempts", (double)oc->res->attempts);
    cJSON_AddNumberToObject(o, "accepted", (double)oc->res->accepted);
    cJSON_AddNumberToObject(o, "rejected", (double)oc->res->rejected);
    cJSON_AddNumberToObject(o, "errors", (double)oc->res->errors);
    cJSON *t = cJSON_AddObjectToObject(o, "train");
    cJSON_AddNumberToObject(t, "n", (double)oc->split->ntrain);
    cJSON_AddNumberToObject(t, "edge", (double)oc->split->n_edge);
    cJSON *bins = cJSON_AddArrayToObject(t, "bins");
    for (int b = 0; b < BS_BINS; b++)
        cJSON_AddItemToArray(
            bins, cJSON_CreateNumber((double)oc->split->bin_taken[b]));
    cJSON_AddNumberToObject(o, "val", (double)oc->split->nval);
    char *js = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *s = xstrdup(js);
    cJSON_free(js);
    return s;
}

static int store_program(pool *p, const rubric *r, const sets *s,
                         const bs_result *res, const metric_report *cand,
                         const char *model, int64_t run_id, int make_best,
                         int64_t *id, char *err)
{
    pool_program pp;
    memset(&pp, 0, sizeof pp);
    pp.state_json = program_state_json_new(res->pg, r);
    pp.metric = (char *)metric_name(cand->metric);
    pp.val_score = cand->mean;
    pp.model = (char *)model;
    pp.trainset_json = ids_json_new(s->train, s->split.ntrain);
    char note[160];
    snprintf(note, sizeof note, "optimize run %lld: candidate %d (%s), "
             "%zu bootstrapped + %zu labeled", (long long)run_id,
             res->cand_seed, cand_name(res->cand_seed), res->n_augmented,
             res->n_labeled);
    pp.note = note;
    pp.n_demos = (int)res->pg->ndemos;
    int rc = pool_put_program(p, &pp, make_best, id, err);
    free(pp.state_json);
    free(pp.trainset_json);
    return rc;
}

/* ---- the run ---- */

typedef struct {
    pool *p;
    const rubric *r;
    opt_args *a;
    glue g;
    sets s;
    program *best;
    int64_t best_id, run_id;
    const char *backend, *model;
    bs_result res;
    metric_report cand, base;
} run;

/* Compiles and evaluates; fills R->res, R->cand, R->base. */
static int compile_and_evaluate(run *R, char *err)
{
    const rubric *r = R->r;
    bs_options *o = &R->a->bs;
    if (bs_compile(r, o, R->s.train, R->s.split.ntrain, R->s.val,
                   R->s.split.nval, predict_cb, log_cb, &R->g, &R->res,
                   err) < 0)
        return -1;
    if (!R->res.evaluated &&
        bs_evaluate(r, o->metric, R->res.pg, R->s.val, R->s.split.nval,
                    predict_cb, &R->g, &R->cand, err) < 0)
        return -1;
    if (R->res.evaluated) R->cand = R->res.val;
    if (bs_evaluate(r, o->metric, R->best, R->s.val, R->s.split.nval,
                    predict_cb, &R->g, &R->base, err) < 0)
        return -1;
    if (R->cand.failed == R->cand.n && R->base.failed == R->base.n) {
        err_set(err, "every validation prediction failed: is the model "
                "reachable? (see curate score)");
        return -1;
    }
    return 0;
}

static void print_decision(const run *R, int improved, int64_t id)
{
    char base[64];
    if (R->best_id) snprintf(base, sizeof base, "current best (program %lld)",
                             (long long)R->best_id);
    else snprintf(base, sizeof base, "zero-shot (no best yet)");
    printf("validation (%zu examples, metric %s):\n", R->s.split.nval,
           metric_name(R->a->bs.metric));
    printf("  candidate  %.4f  (%zu demos: %zu bootstrapped + %zu labeled; "
           "%zu failed)\n", R->cand.mean, R->res.pg->ndemos,
           R->res.n_augmented, R->res.n_labeled, R->cand.failed);
    printf("  %s  %.4f  (%zu failed)\n", base, R->base.mean, R->base.failed);
    print_reports(R->r, &R->base, &R->cand);
    if (improved)
        printf("decision: improved (%.4f > %.4f): program %lld is the new "
               "best\n", R->cand.mean, R->base.mean, (long long)id);
    else if (R->best_id)
        printf("decision: not improved (%.4f <= %.4f): program %lld stored, "
               "program %lld stays the best\n", R->cand.mean, R->base.mean,
               (long long)id, (long long)R->best_id);
    else
        printf("decision: not improved (%.4f <= %.4f): program %lld stored, "
               "no best program set\n", R->cand.mean, R->base.mean,
               (long long)id);
}

/* "Scores higher" is strict (as DSPy's random search keeps the first of
 * equal candidates); the margin only absorbs floating-point noise. */
#define IMPROVEMENT_EPS 1e-9

static int finish(run *R, char *err)
{
    int improved = R->cand.mean > R->base.mean + IMPROVEMENT_EPS;
    int64_t id = 0;
    if (store_program(R->p, R->r, &R->s, &R->res, &R->cand, R->model,
                      R->run_id, improved, &id, err) < 0)
        return -1;
    print_decision(R, improved, id);
    outcome oc = {.improved = improved, .program_id = id,
                  .baseline_id = R->best_id, .cand = &R->cand,
                  .base = &R->base, .res = &R->res, .split = &R->s.split};
    char *js = summary_json_new(R->r, &oc);
    int rc = pool_run_finish(R->p, R->run_id, "done", js, err);
    free(js);
    if (rc < 0) return -1;
    return improved ? EXIT_OK : EXIT_NOT_IMPROVED;
}

static int start(run *R, char *err)
{
    if (load_sets(R->p, R->r, R->a, &R->s, err) < 0) return -1;
    print_sets(&R->s, R->a);
    if (job_score_load_program(R->p, R->r, "best", &R->best, &R->best_id,
                               err) < 0)
        return -1;
    char *params = params_json_new(R->a, R->backend);
    int rc = pool_run_start(R->p, "optimize", R->backend, R->model,
                            R->best_id, params, &R->run_id, err);
    free(params);
    if (rc < 0) return -1;
    printf("run %lld: backend %s (%s), metric %s, threshold ",
           (long long)R->run_id, R->backend, R->model,
           metric_name(R->a->bs.metric));
    if (R->a->bs.threshold != 0) printf("%.3f", R->a->bs.threshold);
    else printf("none (any value > 0)");
    printf(", up to %zu bootstrapped + %zu labeled demos\n",
           R->a->bs.max_bootstrapped, R->a->bs.max_labeled);
    fflush(stdout);
    return 0;
}

static int optimize(run *R)
{
    char err[ERR_MAX] = "";
    int rc = start(R, err);
    if (rc == 0) rc = compile_and_evaluate(R, err);
    if (rc == 0) rc = finish(R, err);
    if (rc >= 0) return rc;
    int intr = interrupted != 0;
    if (R->run_id) {
        char e2[ERR_MAX];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "error", err);
        char *js = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        pool_run_finish(R->p, R->run_id, intr ? "interrupted" : "failed", js,
                        e2);
        cJSON_free(js);
    }
    char *clean = sanitize_new(err, (size_t)-1, 0);
    cli_error("optimize: %s", clean);
    free(clean);
    return intr ? EXIT_INTERRUPTED : EXIT_ERR;
}

static int check_backend(opt_args *a, scorer_backend *be, const rubric *r)
{
    char err[ERR_MAX];
    *be = a->backend ? (strcmp(a->backend, "llm") ? SCORER_HEURISTIC
                                                  : SCORER_LLM)
                     : job_score_default_backend(&a->cfg);
    if (*be == SCORER_LLM && llm_config_check(&a->cfg, err) < 0) {
        cli_error("optimize: %s", err);
        return -1;
    }
    (void)r;
    return 0;
}

int cmd_optimize(const cli_globals *g, int argc, char **argv)
{
    opt_args a;
    memset(&a, 0, sizeof a);
    a.sel = (bs_select_opts){.edge = 5, .sample = 15, .val = 10};
    bs_options_init(&a.bs);
    llm_config_init(&a.cfg);
    llm_config_from_env(&a.cfg);
    int pr = parse_args(&a, argc, argv);
    scorer_backend be;
    if (pr != 0 || check_backend(&a, &be, g->r) < 0) {
        llm_config_clear(&a.cfg);
        return pr > 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (be == SCORER_LLM) a.bs.lookahead = (size_t)a.cfg.concurrency;
    a.bs.cancel = cancel_cb;
    pool *p = cli_open_pool(g);
    if (!p) {
        llm_config_clear(&a.cfg);
        return EXIT_ERR;
    }
    run R;
    memset(&R, 0, sizeof R);
    R.p = p;
    R.r = g->r;
    R.a = &a;
    R.backend = be == SCORER_LLM ? "llm" : "heuristic";
    R.model = be == SCORER_LLM ? a.cfg.model : "heuristic-v1";
    R.g = (glue){.p = p, .r = g->r, .be = be, .cfg = &a.cfg,
                 .no_cache = a.no_cache};
    char err[ERR_MAX];
    int rc = EXIT_ERR;
    if (be == SCORER_LLM && !(R.g.client = llm_client_new(&a.cfg, err))) {
        cli_error("optimize: %s", err);
    } else {
        struct sigaction sa, old_int, old_term;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        rc = optimize(&R);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    llm_client_free(R.g.client);
    bs_result_clear(&R.res);
    program_free(R.best);
    sets_clear(&R.s);
    pool_close(p);
    llm_config_clear(&a.cfg);
    return rc;
}
