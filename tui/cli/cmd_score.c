/* cmd_score.c: `curate score` and `curate models`. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../app/job_score.h"
#include "../../core/util.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int cancel_cb(void *ctx)
{
    (void)ctx;
    return interrupted;
}

typedef struct {
    int tty;
    double last;
} bar;

static void progress_cb(const score_progress *sp, void *ctx)
{
    bar *b = ctx;
    if (!b->tty) return;
    double now = date_mono();
    if (sp->done < sp->total && now - b->last < 0.1) return;
    b->last = now;
    int width = 30, fill = sp->total ? (int)(width * sp->done / sp->total) : 0;
    double rate = sp->elapsed_s > 0 ? sp->done / sp->elapsed_s : 0;
    double eta = rate > 0 ? (sp->total - sp->done) / rate : 0;
    char bars[64];
    for (int i = 0; i < width; i++) bars[i] = i < fill ? '#' : '.';
    bars[width] = '\0';
    char lim[32] = "";
    if (sp->limit > 0) snprintf(lim, sizeof lim, "  limit %d", sp->limit);
    fprintf(stderr, "\r[%s] %zu/%zu  %.1f/s  ETA %d:%02d  failed %zu  cached %zu%s ",
            bars, sp->done, sp->total, rate, (int)eta / 60, (int)eta % 60,
            sp->failed, sp->cache_hits, lim);
    fflush(stderr);
}

const char cmd_score_usage[] =
    "usage: curate score [WHICH] [OPTIONS]\n"
    "Scores conversations and stores each result as a prediction of a new run.\n"
    "WHICH (default --unscored):\n"
    "  --unscored | --all | --ids A,B,... | --filter F\n"
    "Options:\n"
    "  --backend llm|heuristic  default: llm when an endpoint is configured\n"
    "                           (CURATE_LLM_URL / OPENAI_BASE_URL), else the\n"
    "                           offline baseline heuristic-v1\n"
    "  --program best|ID|none   demos to use (default: the current best)\n"
    "  --url URL --model NAME   endpoint (env CURATE_LLM_URL, CURATE_LLM_MODEL;\n"
    "                           key from CURATE_LLM_API_KEY or OPENAI_API_KEY);\n"
    "                           several replicas: URLs separated by commas\n"
    "                           or spaces, each request to the least loaded\n"
    "  --concurrency N          most requests in flight per endpoint (default\n"
    "                           8); fewer while the server shows congestion\n"
    "  --temperature T --max-tokens N --timeout SECONDS --retries N\n"
    "  --fixed                  keep exactly --concurrency requests in flight\n"
    "                           (no adaptive limit; for comparisons)\n"
    "  --json-schema            ask for a JSON answer (vLLM structured outputs)\n"
    "  --no-cache               do not answer from the response cache\n"
    "Ctrl-C stops cleanly: finished results are kept, the run is marked\n"
    "interrupted (exit 130).\n";

static int parse_ids(char *list, char ***ids, size_t *n)
{
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (!*tok) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *ids = xrealloc(*ids, cap * sizeof **ids);
        }
        (*ids)[(*n)++] = xstrdup(tok);
    }
    return *n ? 0 : -1;
}

int cmd_score(const cli_globals *g, int argc, char **argv)
{
    enum { O_UNSCORED = 256, O_ALL, O_IDS, O_FILTER, O_BACKEND, O_PROGRAM,
           O_URL, O_MODEL, O_CONC, O_TEMP, O_MAXTOK, O_TIMEOUT, O_RETRIES,
           O_SCHEMA, O_NOCACHE, O_FIXED };
    static const struct option lo[] = {
        {"unscored", no_argument, NULL, O_UNSCORED},
        {"all", no_argument, NULL, O_ALL},
        {"ids", required_argument, NULL, O_IDS},
        {"filter", required_argument, NULL, O_FILTER},
        {"backend", required_argument, NULL, O_BACKEND},
        {"program", required_argument, NULL, O_PROGRAM},
        {"url", required_argument, NULL, O_URL},
        {"model", required_argument, NULL, O_MODEL},
        {"concurrency", required_argument, NULL, O_CONC},
        {"temperature", required_argument, NULL, O_TEMP},
        {"max-tokens", required_argument, NULL, O_MAXTOK},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"retries", required_argument, NULL, O_RETRIES},
        {"json-schema", no_argument, NULL, O_SCHEMA},
        {"fixed", no_argument, NULL, O_FIXED},
        {"no-cache", no_argument, NULL, O_NOCACHE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    llm_config cfg;
    llm_config_init(&cfg);
    llm_config_from_env(&cfg);
    pool_filter f;
    char err[ERR_MAX];
    pool_filter_parse("unscored", &f, err);
    char *idlist = NULL;
    const char *backend = NULL, *program_spec = "best";
    int no_cache = 0, c, rc = EXIT_USAGE;
    int64_t iv;
    while ((c = cli_getopt("score", argc, argv, "h", lo)) != -1) {
        switch (c) {
        case O_UNSCORED: pool_filter_parse("unscored", &f, err); break;
        case O_ALL: pool_filter_parse("all", &f, err); break;
        case O_IDS: free(idlist); idlist = xstrdup(optarg); break;
        case O_FILTER:
            if (pool_filter_parse(optarg, &f, err) < 0 ||
                pool_filter_check(&f, g->r, err) < 0) { cli_error("score: %s", err); goto out; }
            break;
        case O_BACKEND:
            if (strcmp(optarg, "llm") && strcmp(optarg, "heuristic")) {
                cli_error("score: --backend must be llm or heuristic");
                goto out;
            }
            backend = optarg;
            break;
        case O_PROGRAM: program_spec = optarg; break;
        case O_URL: llm_config_set(&cfg.base_url, optarg); break;
        case O_MODEL: llm_config_set(&cfg.model, optarg); break;
        case O_CONC:
            if (cli_int_opt("score", "--concurrency", optarg, 1, 1024, &iv) < 0) goto out;
            cfg.concurrency = (int)iv;
            break;
        case O_TEMP:
            if (cli_real_opt("score", "--temperature", optarg, 0, 2, &cfg.temperature) < 0) goto out;
            break;
        case O_MAXTOK:
            if (cli_int_opt("score", "--max-tokens", optarg, 1, 1000000, &iv) < 0) goto out;
            cfg.max_tokens = (int)iv;
            break;
        case O_TIMEOUT:   /* seconds: "2m" is refused, not read as 2 */
            if (cli_real_opt("score", "--timeout", optarg, 0.001, 86400, &cfg.timeout) < 0) goto out;
            break;
        case O_RETRIES:
            if (cli_int_opt("score", "--retries", optarg, 0, 100, &iv) < 0) goto out;
            cfg.retries = (int)iv;
            break;
        case O_SCHEMA: cfg.json_schema = 1; break;
        case O_FIXED: cfg.fixed = 1; break;
        case O_NOCACHE: no_cache = 1; break;
        case 'h': fputs(cmd_score_usage, stdout); rc = EXIT_OK; goto out;
        default: fputs(cmd_score_usage, stderr); goto out;
        }
    }
    if (optind < argc) {
        cli_error("score: unexpected argument '%s'", argv[optind]);
        goto out;
    }
    scorer_backend be = backend ? (strcmp(backend, "llm") ? SCORER_HEURISTIC
                                                          : SCORER_LLM)
                                : job_score_default_backend(&cfg);
    if (be == SCORER_LLM && llm_config_check(&cfg, err) < 0) {
        cli_error("score: %s", err);
        goto out;
    }
    rc = EXIT_ERR;
    pool *p = cli_open_pool(g);
    if (!p) goto out;
    char **ids = NULL;
    size_t n = 0;
    if (idlist) {
        if (parse_ids(idlist, &ids, &n) < 0) {
            cli_error("score: --ids: no ids given");
            rc = EXIT_USAGE;
            pool_close(p);
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            if (!pool_has_convo(p, ids[i])) {
                cli_error("score: no conversation '%s'", ids[i]);
                job_ids_free(ids, n);
                pool_close(p);
                goto out;
            }
    } else if (job_ids_from_filter(p, &f, &ids, &n, err) < 0) {
        cli_error("score: %s", err);
        pool_close(p);
        goto out;
    }
    if (n == 0) {
        if (!g->quiet) printf("nothing to score\n");
        rc = EXIT_OK;
        pool_close(p);
        goto out;
    }
    bar b = {.tty = isatty(STDERR_FILENO) && !g->quiet};
    job_score_opts o = {.backend = be, .llm = &cfg, .program = program_spec,
                        .no_cache = no_cache, .progress = progress_cb,
                        .cancel = cancel_cb, .ctx = &b};
    /* A lost terminal (SIGHUP) ends the run as cleanly as Ctrl-C. */
    struct sigaction sa, old, old_term, old_hup;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    int64_t run = 0;
    score_summary s;
    int jr = job_score_run(p, g->r, &o, ids, n, &run, &s, err);
    sigaction(SIGINT, &old, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    if (b.tty) fputc('\n', stderr);
    job_ids_free(ids, n);
    pool_close(p);
    if (jr < 0) {
        score_summary_clear(&s);
        cli_error("score: %s", err);
        goto out;
    }
    cli_printf(stdout, "run %lld %s: %zu scored: ok %zu, partial %zu, failed %zu, "
           "retried %zu, cache hits %zu, JSON fallback %zu, tokens %ld, "
           "%.1f s, %.1f req/s%s\n",
           (long long)run, s.interrupted ? "interrupted" : "done",
           s.ok + s.partial + s.failed, s.ok, s.partial, s.failed, s.retried,
           s.cache_hits, s.fallbacks, s.tokens, s.wall_s, s.rps,
           be == SCORER_LLM ? "" : " (heuristic-v1 baseline)");
    /* One line per endpoint when there are several (one is the line
     * above). */
    for (size_t i = 0; s.nendpoints > 1 && i < s.nendpoints; i++) {
        const score_endpoint *e = &s.endpoints[i];
        printf("  endpoint %s: %zu requests, %zu ok, %zu errors, %.0f ms "
               "mean latency, limit up to %d\n", e->url, e->attempts, e->ok,
               e->errors, e->mean_latency_ms, e->max_limit);
    }
    score_summary_clear(&s);
    if (s.failed && s.last_error[0])
        cli_error("score: last failure: %s", s.last_error);
    rc = s.interrupted ? 130 : (s.failed && !s.ok && !s.partial) ? EXIT_ERR
                                                                 : EXIT_OK;
out:
    free(idlist);
    llm_config_clear(&cfg);
    return rc;
}

const char cmd_models_usage[] =
    "usage: curate models [--url URL]\nLists the endpoint's models (GET /models).\n";

int cmd_models(const cli_globals *g, int argc, char **argv)
{
    static const struct option lo[] = {
        {"url", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    llm_config cfg;
    llm_config_init(&cfg);
    llm_config_from_env(&cfg);
    int c, rc = EXIT_ERR;
    while ((c = cli_getopt("models", argc, argv, "h", lo)) != -1) {
        if (c == 'u') llm_config_set(&cfg.base_url, optarg);
        else {
            fputs(cmd_models_usage, c == 'h' ? stdout : stderr);
            llm_config_clear(&cfg);
            return c == 'h' ? EXIT_OK : EXIT_USAGE;
        }
    }
    char err[ERR_MAX];
    char **ids = NULL;
    size_t n = 0;
    if (!cfg.base_url || !*cfg.base_url) {
        cli_error("models: no endpoint: set CURATE_LLM_URL or --url");
        rc = EXIT_USAGE;
    } else if (llm_list_models(&cfg, &ids, &n, err) < 0) {
        cli_error("models: %s", err);
    } else {
        for (size_t i = 0; i < n; i++) cli_printf(stdout, "%s\n", ids[i]);
        llm_models_free(ids, n);
        rc = EXIT_OK;
    }
    (void)g;
    llm_config_clear(&cfg);
    return rc;
}
