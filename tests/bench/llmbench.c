/* llmbench.c: the LLM client alone (core/llm.c over libcurl multi), no
 * pool: N chat requests with realistic ChatAdapter prompts at concurrency C
 * against an OpenAI-compatible server. Prints wall seconds, CPU seconds
 * (user + sys of this process) and the number of OK answers, so the client's
 * own CPU per request can be told apart from the pool's.
 *
 *   llmbench URL N C */
#define _POSIX_C_SOURCE 200809L
#include "../../core/llm.h"
#include "../../core/prompt.h"
#include "../../core/util.h"
#include "../../data/demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static size_t ok;

static void done(const llm_result *res, void *ctx)
{
    (void)ctx;
    if (res->status == LLM_OK) ok++;
}

/* The process's CPU time, user and system, to the nanosecond: getrusage
 * counts in scheduler ticks, too coarse for 100 requests. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fputs("usage: llmbench URL N CONCURRENCY\n", stderr);
        return 2;
    }
    size_t n = (size_t)atol(argv[2]);
    char err[ERR_MAX];
    rubric *r = rubric_default_new();
    /* The prompts are built before the clock starts: this measures the
     * client, `curate score` the whole path. */
    char **msgs = xcalloc(n, sizeof *msgs);
    llm_request *reqs = xcalloc(n, sizeof *reqs);
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "b-%zu", i);
        convo *c = demo_convo_new(i + 1, id, NULL);
        char *inputs[RUBRIC_MAX_FIELDS] = {0};
        prompt_inputs_for_convo(r, c, inputs);
        msgs[i] = prompt_messages_json_new(r, NULL, inputs);
        prompt_inputs_clear(inputs);
        convo_free(c);
        reqs[i].messages_json = msgs[i];
    }
    if (llm_global_init(err) < 0) { fprintf(stderr, "%s\n", err); return 1; }
    llm_config cfg;
    llm_config_init(&cfg);
    llm_config_set(&cfg.base_url, argv[1]);
    llm_config_set(&cfg.model, "bench-model");
    cfg.concurrency = atoi(argv[3]);
    llm_client *cl = llm_client_new(&cfg, err);
    if (!cl) { fprintf(stderr, "%s\n", err); return 1; }
    double c0 = cpu_s(), t0 = date_mono();
    llm_batch_stats st;
    if (llm_run_batch(cl, reqs, n, done, NULL, NULL, &st, err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("%.3f %.6f %zu\n", date_mono() - t0, cpu_s() - c0, ok);
    llm_client_free(cl);
    llm_config_clear(&cfg);
    llm_global_cleanup();
    for (size_t i = 0; i < n; i++) free(msgs[i]);
    free(msgs);
    free(reqs);
    rubric_free(r);
    return 0;
}
