/* llm_config.c: the LLM client's settings (see llm.h): defaults, the
 * environment, the endpoint list, and the check before a run. */
#define _POSIX_C_SOURCE 200809L
#include "llm.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
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

size_t llm_urls_split(const char *list, char ***urls)
{
    size_t n = 0, cap = 0;
    char **out = NULL;
    const char *p = list ? list : "";
    for (;;) {
        while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n' ||
               *p == '\r')
            p++;
        if (!*p) break;
        size_t k = strcspn(p, ", \t\n\r");
        size_t m = k;
        while (m && p[m - 1] == '/') m--;
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            out = xrealloc(out, cap * sizeof *out);
        }
        out[n] = xmalloc(m + 1);
        memcpy(out[n], p, m);
        out[n][m] = '\0';
        n++;
        p += k;
    }
    *urls = out;
    return n;
}

void llm_urls_free(char **urls, size_t n)
{
    for (size_t i = 0; i < n; i++) free(urls[i]);
    free(urls);
}

int llm_config_check(const llm_config *c, char *err)
{
    char **urls;
    size_t nurls = llm_urls_split(c->base_url, &urls);
    if (!nurls) {
        err_set(err, "no LLM endpoint: set CURATE_LLM_URL (e.g. "
                "http://127.0.0.1:8000/v1) or --url");
        return -1;
    }
    for (size_t i = 0; i < nurls; i++)
        if (strncmp(urls[i], "http://", 7) != 0 &&
            strncmp(urls[i], "https://", 8) != 0) {
            err_set(err, "LLM URL %zu of %zu must start with http:// or "
                    "https://", i + 1, nurls);
            llm_urls_free(urls, nurls);
            return -1;
        }
    llm_urls_free(urls, nurls);
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
