/* dspy.h: the DSPy release curate is exact to (`--dspy VERSION`, env
 * CURATE_DSPY). Everything that differs between the supported releases is
 * answered here, so prompts, states, parsing and bootstrapping ask one place:
 *
 *                         2.6 (2.6.26-2.6.27)        3 (3.3, default), 3.2
 *   demo assistant turn   no completed marker        ends "\n\n[[ ## completed ## ]]\n"
 *   state writer          ujson: "/" as "\/", no     orjson: "/" kept, trailing
 *                         trailing newline           newline
 *   reasoning prefix      "Reasoning: Let's think    "Reasoning:"
 *                         step by step in order to"
 *   metadata dspy         "2.6.27"                   "3.3.1"
 *   bootstrap rounds > 0  temperature 0.7+0.001*r    temperature 1.0 + rollout_id
 *   max_errors default    5                          10
 *   JSON fallback after   any error but a context-   3: a parse error or an
 *   a ChatAdapter call    window one (HTTP errors    empty answer (never
 *                         too); not an empty answer  after an LM error);
 *                                                    3.2: as 2.6
 *   fallback demo JSON    ensure_ascii               UTF-8 kept
 *   fallback's parse      first {...}                json_repair first
 * 3.2 (3.2.0-3.2.1) is 3 in everything but the fallback's "after" row.
 * (captured from the release trees: tests/fixtures/dspy/NOTE.md). */
#ifndef CURATE_DSPY_H
#define CURATE_DSPY_H

typedef enum {
    DSPY_V3 = 0,      /* the default: DSPy 3.3 */
    DSPY_V26,         /* DSPy 2.6.26-2.6.27 */
    DSPY_V32          /* DSPy 3.2: 3.3 but for when the JSON fallback runs */
} dspy_version;

/* What a rubric is formatted, saved and parsed for (rubric.dspy). */
typedef struct {
    dspy_version version;
    int chosen;            /* set by --dspy / CURATE_DSPY (not the default):
                              exports follow it rather than the release a
                              stored state names */
    int no_json_fallback;  /* --no-json-fallback: an answer that is not in
                              ChatAdapter's format fails (no JSONAdapter) */
} dspy_target;

/* Parses "2.6", "2.6.26", "2.6.27" (2.6), "3", "3.3", "3.3.x" (3), "3.2",
 * "3.2.x" (3.2). 0, or -1 + err naming what is accepted. */
int dspy_version_parse(const char *s, dspy_version *out, char *err);
const char *dspy_version_name(dspy_version v);      /* "2.6" / "3" / "3.2" */
/* The release a state's metadata names ("2.6.27" / "3.3.1" / "3.2.1"). */
const char *dspy_release(dspy_version v);
/* The version family of a release string from a state's metadata
 * ("2.6.16" -> DSPY_V26, "3.2.1" -> DSPY_V32, "3.0.4" -> DSPY_V3); -1
 * when it is none of them. */
int dspy_family_of_release(const char *release, dspy_version *out);

/* ChainOfThought's reasoning prefix in the saved signature. Both are
 * accepted on load. */
const char *dspy_reasoning_prefix(dspy_version v);
#define DSPY_REASONING_PREFIX_26 "Reasoning: Let's think step by step in order to"
#define DSPY_REASONING_PREFIX_3 "Reasoning:"

/* True when a demo's assistant turn ends with the completed marker. */
int dspy_demo_completed_marker(dspy_version v);
/* State bytes: "/" escaped as "\/" (ujson); trailing newline (orjson). */
int dspy_state_escapes_slash(dspy_version v);
int dspy_state_trailing_newline(dspy_version v);

/* BootstrapFewShot: the temperature of a round > 0 and whether such a
 * round carries a fresh rollout_id; the max_errors default. */
double dspy_round_temperature(dspy_version v, int round);
int dspy_round_rollout_id(dspy_version v);
int dspy_max_errors_default(dspy_version v);

/* When ChatAdapter.__call__ retries through JSONAdapter (one more request,
 * unless no_json_fallback): after an answer that does not parse (always);
 * after an LM error (HTTP error, time-out, network: 2.6 only, and not when
 * the context window was exceeded); after an empty answer (3.x only: 2.6
 * takes it as every field None). */
int dspy_fallback_after_lm_error(dspy_version v);
int dspy_fallback_after_empty(dspy_version v);

#endif
