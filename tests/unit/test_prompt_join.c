/* test_prompt_join.c: the scoring fast paths give the very bytes of the
 * plain ones: messages built from a cached head (prompt.c) and the
 * one-pass cache key (llm.c). */
#include "test.h"
#include "../../core/llm.h"
#include "../../core/prompt.h"
#include "../../core/util.h"

#include <stdio.h>
#include <stdlib.h>

static char *cjson_text_new(const rubric *r, const program *pg,
                            char *const *inputs)
{
    cJSON *arr = prompt_messages_new(r, pg, inputs);
    char *t = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    char *out = xstrdup(t);
    cJSON_free(t);
    return out;
}

TEST(prompt_join_equals_cjson_text)
{
    rubric *r = rubric_default_new();
    CHECK(r);
    /* Every byte value 1..255 (escapes, DEL, UTF-8 and stray bytes). */
    char all[256];
    for (int i = 1; i < 256; i++) all[i - 1] = (char)i;
    all[255] = '\0';
    demo d[2];
    memset(d, 0, sizeof d);
    d[0].values[0] = "C2 \"quoted\"\t\\ tab"; d[0].values[1] = "s2";
    d[0].values[2] = "9.5"; d[0].reasoning = "Fast\r\nreplies \xe2\x9c\x93";
    d[1].values[0] = all; d[1].values[1] = "s1"; d[1].values[2] = "8";
    program pg = {d, 2, 2, 0, DSPY_V3, NULL};
    char *cases[][RUBRIC_MAX_FIELDS] = {
        {"hi", "S1"},
        {all, "S\x01\x1f\x7f"},
        {"", NULL},
        {"line 1\nline 2\b\f end \xf0\x9f\x91\x8d", "\"S\"\\"},
    };
    for (int withpg = 0; withpg < 2; withpg++) {
        const program *g = withpg ? &pg : NULL;
        char *head = prompt_messages_head_json_new(r, g);
        for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
            char *want = cjson_text_new(r, g, cases[k]);
            char *joined = prompt_messages_json_join_new(head, r, cases[k]);
            char *plain = prompt_messages_json_new(r, g, cases[k]);
            CHECK_MSG(strcmp(want, joined) == 0, "case %zu, demos %d", k, withpg);
            CHECK_MSG(strcmp(want, plain) == 0, "case %zu, demos %d", k, withpg);
            free(want);
            free(joined);
            free(plain);
        }
        free(head);
    }
    rubric_free(r);
}

/* The key as first defined: hash_fnv1a over each part, once per lane. */
static void ref_part(uint64_t h[2], const char *s)
{
    char len[32];
    int k = s ? snprintf(len, sizeof len, "%zu:", strlen(s))
              : snprintf(len, sizeof len, "-:");
    for (int i = 0; i < 2; i++) {
        h[i] = hash_fnv1a(len, (size_t)k, h[i]);
        if (s) h[i] = hash_fnv1a(s, strlen(s), h[i]);
    }
}

/* v2: the endpoint (one here) before the model. */
static void ref_key(const char *model, const char *msgs, const char *num,
                    const char *rf, char out[LLM_CACHE_KEY_LEN + 1])
{
    uint64_t h[2] = {HASH_FNV_SEED, 0x6c62272e07bb0142ULL};
    ref_part(h, "curate-llm-v2");
    ref_part(h, "http://127.0.0.1:8000/v1");
    ref_part(h, "|");
    ref_part(h, model);
    ref_part(h, msgs);
    ref_part(h, num);
    ref_part(h, rf);
    snprintf(out, LLM_CACHE_KEY_LEN + 1, "%016llx%016llx",
             (unsigned long long)h[0], (unsigned long long)h[1]);
}

TEST(llm_cache_key_unchanged)
{
    char a[LLM_CACHE_KEY_LEN + 1], b[LLM_CACHE_KEY_LEN + 1];
    llm_cache_key("http://127.0.0.1:8000/v1/", "m", "[1]", 0, 1024, NULL, 0, a);
    ref_key("m", "[1]", "t=0;m=1024", NULL, b);
    CHECK_STR(a, b);
    llm_cache_key("http://127.0.0.1:8000/v1", "test-model", "[{\"role\":\"user\",\"content\":\"\xc3\xa9\"}]",
                  0.7, 256, "{\"type\":\"json_schema\"}", 0, a);
    ref_key("test-model", "[{\"role\":\"user\",\"content\":\"\xc3\xa9\"}]",
            "t=0.7;m=256", "{\"type\":\"json_schema\"}", b);
    CHECK_STR(a, b);
    /* A fixed value: keys of existing caches stay valid (v2 since issue
     * 13: v1 keys did not name the endpoint, so they are not trusted). */
    llm_cache_key("http://127.0.0.1:8000/v1/", "m", "[1]", 0, 1024, NULL, 0, a);
    CHECK_STR(a, "eb3058a771e7a01f484ce29975254636");
}
