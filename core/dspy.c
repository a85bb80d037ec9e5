/* dspy.c: see dspy.h. */
#include "dspy.h"
#include "err.h"

#include <string.h>

/* A release string of the family: prefix, then nothing or ".digits". */
static int in_family(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(s, prefix, n) != 0) return 0;
    if (!s[n]) return 1;
    if (s[n] != '.' || !s[n + 1]) return 0;
    for (const char *p = s + n + 1; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    return 1;
}

int dspy_version_parse(const char *s, dspy_version *out, char *err)
{
    if (s && (!strcmp(s, "2.6") || !strcmp(s, "2.6.26") ||
              !strcmp(s, "2.6.27"))) {
        *out = DSPY_V26;
        return 0;
    }
    if (s && (!strcmp(s, "3") || in_family(s, "3.3"))) {
        *out = DSPY_V3;
        return 0;
    }
    if (s && in_family(s, "3.2")) {
        *out = DSPY_V32;
        return 0;
    }
    err_set(err, "--dspy: unknown DSPy version '%s' (use 2.6 for "
            "2.6.26-2.6.27, 3 for 3.3, or 3.2 for 3.2.0-3.2.1)", s ? s : "");
    return -1;
}

const char *dspy_version_name(dspy_version v)
{
    return v == DSPY_V26 ? "2.6" : v == DSPY_V32 ? "3.2" : "3";
}

const char *dspy_release(dspy_version v)
{
    return v == DSPY_V26 ? "2.6.27" : v == DSPY_V32 ? "3.2.1" : "3.3.1";
}

int dspy_family_of_release(const char *release, dspy_version *out)
{
    if (!release) return -1;
    if (!strncmp(release, "2.6", 3) && (!release[3] || release[3] == '.')) {
        *out = DSPY_V26;
        return 0;
    }
    if (!strncmp(release, "3.2", 3) && (!release[3] || release[3] == '.')) {
        *out = DSPY_V32;
        return 0;
    }
    if (release[0] == '3' && (!release[1] || release[1] == '.')) {
        *out = DSPY_V3;
        return 0;
    }
    return -1;
}

const char *dspy_reasoning_prefix(dspy_version v)
{
    return v == DSPY_V26 ? DSPY_REASONING_PREFIX_26 : DSPY_REASONING_PREFIX_3;
}

int dspy_demo_completed_marker(dspy_version v) { return v != DSPY_V26; }
int dspy_state_escapes_slash(dspy_version v) { return v == DSPY_V26; }
int dspy_state_trailing_newline(dspy_version v) { return v != DSPY_V26; }

double dspy_round_temperature(dspy_version v, int round)
{
    /* 2.6: 0.7 + 0.001 * round; 3.x: 1.0 (a rollout_id keeps the cache
     * from answering the same again). */
    return v == DSPY_V26 ? 0.7 + 0.001 * round : 1.0;
}

int dspy_round_rollout_id(dspy_version v) { return v != DSPY_V26; }
int dspy_max_errors_default(dspy_version v) { return v == DSPY_V26 ? 5 : 10; }

/* 2.6 and 3.2 catch every exception but ContextWindowExceededError; 3.3
 * re-raises every LMError and raises on an empty answer. */
int dspy_fallback_after_lm_error(dspy_version v) { return v != DSPY_V3; }
int dspy_fallback_after_empty(dspy_version v) { return v == DSPY_V3; }
