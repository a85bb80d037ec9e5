/* llm_cache.c: the response cache's key (see llm.h: llm_cache_key). */
#define _POSIX_C_SOURCE 200809L
#include "llm.h"
#include "llm_int.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ---------------------------------------------------------------- cache */

/* hash_fnv1a over both lanes in one pass (the same values: two
 * independent multiply chains, each byte read once). */
static void fnv1a_2(uint64_t h[2], const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    uint64_t a = h[0], b = h[1];
    for (size_t i = 0; i < n; i++) {
        a = (a ^ p[i]) * 0x100000001b3ULL;
        b = (b ^ p[i]) * 0x100000001b3ULL;
    }
    h[0] = a;
    h[1] = b;
}

static void hash_part(uint64_t h[2], const char *s)
{
    char len[32];
    size_t n = s ? strlen(s) : 0;
    int k = s ? snprintf(len, sizeof len, "%zu:", n)
              : snprintf(len, sizeof len, "-:");
    fnv1a_2(h, len, (size_t)k);
    if (s) fnv1a_2(h, s, n);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void llm_cache_key(const char *endpoints, const char *model,
                   const char *messages_json,
                   double temperature, int max_tokens,
                   const char *response_format, int rollout_id,
                   char out[LLM_CACHE_KEY_LEN + 1])
{
    uint64_t h[2] = {HASH_FNV_SEED, 0x6c62272e07bb0142ULL};
    char num[64], t[48];
    llm_text_fmt_double(t, sizeof t, temperature);
    snprintf(num, sizeof num, "t=%s;m=%d", t, max_tokens);
    hash_part(h, "curate-llm-v2");
    char **urls;
    size_t n = llm_urls_split(endpoints, &urls);
    if (n > 1) qsort(urls, n, sizeof *urls, cmp_str);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(urls[i], urls[i - 1]) != 0)
            hash_part(h, urls[i]);
    llm_urls_free(urls, n);
    hash_part(h, "|");
    hash_part(h, model);
    hash_part(h, messages_json);
    hash_part(h, num);
    hash_part(h, response_format);
    if (rollout_id) {
        snprintf(num, sizeof num, "rollout=%d", rollout_id);
        hash_part(h, num);
    }
    snprintf(out, LLM_CACHE_KEY_LEN + 1, "%016llx%016llx",
             (unsigned long long)h[0], (unsigned long long)h[1]);
}
