/* cmd_optimize.c: `curate optimize`: the options, the printing and the
 * exit status around job_optimize_run() (job_optimize.h), which picks the
 * training and validation sets from the reviewed pool, compiles a
 * candidate program with BootstrapFewShot (core/bootstrap.h), evaluates it
 * and the current best on the same validation set, stores the candidate
 * (the new best only if it scores strictly higher) and records a run of
 * kind "optimize". Exit: 0 improved, 1 error, 3 not improved, 130
 * interrupted. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../app/job_optimize.h"
#include "../app/job_score.h"
#include "../term/sanitize.h"
#include "../../core/util.h"

#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_INTERRUPTED 130

const char cmd_optimize_usage[] =
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
    "  --min-gain G          replace the best only when the paired gain exceeds G\n"
    "                        (default: 2 standard errors of the paired differences)\n"
    "  --max-errors N        failed predictions before giving up (default: DSPy's,\n"
    "                        10 for --dspy 3, 5 for --dspy 2.6)\n"
    "Model:\n"
    "  --backend llm|heuristic  default: llm when an endpoint is configured\n"
    "  --url URL --model NAME   endpoint (env CURATE_LLM_URL, CURATE_LLM_MODEL)\n"
    "  --concurrency N          requests in flight (default 8)\n"
    "  --no-cache               do not answer from the response cache\n"
    "Exit status: 0 improved, 1 error, 3 not improved, 130 interrupted.\n";

/* ---- options ---- */

typedef struct {
    job_optimize_opts o;
    const char *backend;
    llm_config cfg;
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

/* A count option: a whole number in min..100000. */
static int parse_count(const char *name, const char *s, size_t min,
                       size_t *out)
{
    char opt[64];
    int64_t v;
    snprintf(opt, sizeof opt, "--%s", name);
    if (cli_int_opt("optimize", opt, s, (int64_t)min, 100000, &v) < 0) return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_args(opt_args *a, int argc, char **argv)
{
    enum { O_EDGE = 256, O_SAMPLE, O_VAL, O_MAXB, O_MAXL, O_THR, O_METRIC,
           O_CAND, O_SEED, O_BACKEND, O_CONC, O_NOCACHE, O_URL, O_MODEL,
           O_ROUNDS, O_ERRORS, O_MINGAIN };
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
        {"min-gain", required_argument, NULL, O_MINGAIN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    job_optimize_opts *o = &a->o;
    size_t conc = (size_t)a->cfg.concurrency, seed = 0;
    int c, rc = 0;
    while (rc == 0 && (c = cli_getopt("optimize", argc, argv, "h", lo)) != -1) {
        switch (c) {
        case O_EDGE: rc = parse_count("edge", optarg, 0, &o->edge); break;
        case O_SAMPLE: rc = parse_count("sample", optarg, 0, &o->sample); break;
        case O_VAL: rc = parse_count("val", optarg, 1, &o->val); break;
        case O_MAXB:
            rc = parse_count("max-bootstrapped", optarg, 0,
                             &o->max_bootstrapped);
            break;
        case O_MAXL:
            rc = parse_count("max-labeled", optarg, 0, &o->max_labeled);
            break;
        case O_CAND:
            rc = parse_count("candidates", optarg, 0, &o->candidates);
            break;
        case O_ROUNDS:
            rc = parse_count("max-rounds", optarg, 1, &o->max_rounds);
            break;
        case O_ERRORS:
            rc = parse_count("max-errors", optarg, 1, &o->max_errors);
            break;
        case O_CONC: rc = parse_count("concurrency", optarg, 1, &conc); break;
        case O_SEED: rc = parse_count("seed", optarg, 0, &seed); break;
        case O_THR:
            rc = cli_real_opt("optimize", "--threshold", optarg, 0, 1,
                              &o->threshold);
            break;
        case O_MINGAIN:
            rc = cli_real_opt("optimize", "--min-gain", optarg, 0, 1,
                              &o->min_gain);
            o->has_min_gain = rc == 0;
            break;
        case O_METRIC:
            if (metric_parse(optarg, &o->metric) < 0) {
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
        case O_NOCACHE: o->no_cache = 1; break;
        case O_URL: llm_config_set(&a->cfg.base_url, optarg); break;
        case O_MODEL: llm_config_set(&a->cfg.model, optarg); break;
        case 'h': fputs(cmd_optimize_usage, stdout); return 1;
        default: fputs(cmd_optimize_usage, stderr); return -1;
        }
    }
    if (rc == 0 && optind < argc) {
        cli_error("optimize: unexpected argument '%s'", argv[optind]);
        rc = -1;
    }
    a->cfg.concurrency = (int)conc;
    o->seed = seed;
    return rc;
}

static int check_backend(opt_args *a)
{
    char err[ERR_MAX];
    job_optimize_opts *o = &a->o;
    o->backend = a->backend ? (strcmp(a->backend, "llm") ? SCORER_HEURISTIC
                                                         : SCORER_LLM)
                            : job_score_default_backend(&a->cfg);
    if (o->backend == SCORER_LLM && llm_config_check(&a->cfg, err) < 0) {
        cli_error("optimize: %s", err);
        return -1;
    }
    return 0;
}

/* ---- printing: the job's log ---- */

static void print_sets(const job_optimize_result *x, const job_optimize_opts *o)
{
    printf("reviewed examples: %zu\n", x->reviewed);
    printf("training set: %zu examples: %zu edge case%s + %zu sampled "
           "(low %zu of %zu, mid %zu of %zu, high %zu of %zu)\n",
           x->ntrain, x->n_edge, x->n_edge == 1 ? "" : "s",
           x->ntrain - x->n_edge, x->bin_taken[0], x->bin_avail[0],
           x->bin_taken[1], x->bin_avail[1], x->bin_taken[2],
           x->bin_avail[2]);
    printf("validation set: %zu examples (seed %llu)\n", x->nval,
           (unsigned long long)o->seed);
}

static void print_start(const job_optimize_result *x,
                        const job_optimize_opts *o)
{
    cli_printf(stdout, "run %lld: backend %s (%s), metric %s, threshold ",
           (long long)x->run_id, x->backend, x->model,
           metric_name(o->metric));
    if (o->threshold != 0) printf("%.3f", o->threshold);
    else printf("none (any value > 0)");
    printf(", up to %zu bootstrapped + %zu labeled demos\n",
           o->max_bootstrapped, o->max_labeled);
}

static void print_bs_event(const bs_event *ev)
{
    const char *name = job_optimize_candidate_name(ev->cand_seed);
    switch (ev->kind) {
    case BS_EV_CANDIDATE:
        if (ev->cand_seed >= -1)
            printf("candidate %d (%s): bootstrapping up to %zu demos\n",
                   ev->cand_seed, name, ev->max_bootstrapped);
        else
            printf("candidate %d (%s)\n", ev->cand_seed, name);
        break;
    case BS_EV_ATTEMPT: {
        /* ids and model/server errors are data: sanitised for the terminal */
        char *id = cli_clean_new(stdout, ev->conv_id, 1);
        char *why = cli_clean_new(stdout, ev->error ? ev->error : "failed", 1);
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

static void print_decision(const rubric *r, const job_optimize_result *x,
                           const job_optimize_opts *o)
{
    char base[64];
    if (x->baseline_id) snprintf(base, sizeof base, "current best (program %lld)",
                                 (long long)x->baseline_id);
    else snprintf(base, sizeof base, "zero-shot (no best yet)");
    printf("validation (%zu examples, metric %s):\n", x->nval,
           metric_name(o->metric));
    printf("  candidate  %.4f  (%zu demos: %zu bootstrapped + %zu labeled; "
           "%zu failed)\n", x->after.mean, x->n_demos, x->n_augmented,
           x->n_labeled, x->after.failed);
    printf("  %s  %.4f  (%zu failed)\n", base, x->before.mean,
           x->before.failed);
    print_reports(r, &x->before, &x->after);
    /* a JSON fallback costs a request more, as in DSPy */
    printf("requests: %zu sent, %zu answered from the cache; %zu answer%s "
           "through the JSON fallback\n", x->requests, x->cache_hits,
           x->fallbacks, x->fallbacks == 1 ? "" : "s");
    /* the paired comparison that decides (README "Keep-if-better") */
    char margin[64];
    if (x->margin_given) snprintf(margin, sizeof margin, "--min-gain %.4f", x->margin);
    else snprintf(margin, sizeof margin, "2 SE = %.4f", x->margin);
    printf("gain: %+.4f \xc2\xb1 %.4f (paired, n=%zu); needs > %s\n", x->gain,
           x->gain_se, x->nval, margin);
    if (x->improved)
        printf("decision: improved (%.4f > %.4f): program %lld is the new "
               "best\n", x->after.mean, x->before.mean,
               (long long)x->program_id);
    else if (x->baseline_id)
        printf("decision: not improved (gain %+.4f within the margin; %.4f vs "
               "%.4f): program %lld stored, program %lld stays the best\n",
               x->gain, x->after.mean, x->before.mean,
               (long long)x->program_id, (long long)x->baseline_id);
    else
        printf("decision: not improved (gain %+.4f within the margin; %.4f vs "
               "%.4f): program %lld stored, no best program set\n", x->gain,
               x->after.mean, x->before.mean, (long long)x->program_id);
    if (o->threshold == 0 && x->attempts > 0 && x->accepted + x->errors == x->attempts)
        printf("note: no --threshold: every bootstrapped prediction that parsed "
               "passed (%zu of %zu attempts): the %s metric is a float in [0, 1], "
               "and without a threshold any value above 0 passes, as in DSPy; "
               "--threshold T keeps only demos scoring >= T\n",
               x->accepted, x->attempts, metric_name(o->metric));
}

typedef struct {
    const rubric *r;
    const job_optimize_opts *o;
} printer;

/* Flushed where a later line may come from stderr (the run has begun). */
static void log_cb(const job_optimize_event *ev, void *ctx)
{
    const printer *pr = ctx;
    switch (ev->kind) {
    case JOB_OPT_EV_SETS: print_sets(ev->res, pr->o); break;
    case JOB_OPT_EV_STARTED:
        print_start(ev->res, pr->o);
        fflush(stdout);
        break;
    case JOB_OPT_EV_BOOTSTRAP:
        print_bs_event(ev->bs);
        fflush(stdout);
        break;
    case JOB_OPT_EV_DECIDED: print_decision(pr->r, ev->res, pr->o); break;
    }
}

/* ---- the command ---- */

int cmd_optimize(const cli_globals *g, int argc, char **argv)
{
    opt_args a;
    memset(&a, 0, sizeof a);
    job_optimize_opts_init(&a.o);
    llm_config_init(&a.cfg);
    llm_config_from_env(&a.cfg);
    int pr = parse_args(&a, argc, argv);
    if (pr != 0 || check_backend(&a) < 0) {
        llm_config_clear(&a.cfg);
        return pr > 0 ? EXIT_OK : EXIT_USAGE;
    }
    pool *p = cli_open_pool(g);
    if (!p) {
        llm_config_clear(&a.cfg);
        return EXIT_ERR;
    }
    printer out = {.r = g->r, .o = &a.o};
    a.o.llm = &a.cfg;
    a.o.log = log_cb;
    a.o.cancel = cancel_cb;
    a.o.ctx = &out;
    /* SIGHUP (a lost terminal) stops it as cleanly as Ctrl-C. */
    struct sigaction sa, old_int, old_term, old_hup;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    job_optimize_result res;
    char err[ERR_MAX] = "";
    int jr = job_optimize_run(p, g->r, &a.o, &res, err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    int rc = res.improved ? EXIT_OK : EXIT_NOT_IMPROVED;
    if (jr < 0) {
        cli_error("optimize: %s", err);
        rc = res.interrupted ? EXIT_INTERRUPTED : EXIT_ERR;
    }
    job_optimize_result_clear(&res);
    pool_close(p);
    llm_config_clear(&a.cfg);
    return rc;
}
