/* prompt.h: DSPy ChatAdapter prompts (the layout of r->dspy, core/dspy.h) for a rubric run
 * through ChainOfThought, and parsing the model's answer back.
 *
 * The signature is the rubric with a `reasoning` output field (description
 * "${reasoning}", so DSPy shows no description for it) put before the
 * rubric's outputs. Every field is a `str` field: demo values are strings as
 * a model wrote them. Messages:
 *
 *   system     field descriptions, field structure, task description
 *   user/asst  one pair per demo; demos missing a field ("incomplete", e.g.
 *              labeled demos without reasoning) come first, as DSPy orders
 *              them, with its "This is an example of the task, though some
 *              input or output fields are not supplied." prefix and
 *              "Not supplied for this particular example. " values
 *   user       the real input, ending with "Respond with the corresponding
 *              output fields, starting with the field `[[ ## reasoning ## ]]`,
 *              then ..., and then ending with the marker for
 *              `[[ ## completed ## ]]`."
 *
 * JSONAdapter (the second request DSPy sends when ChatAdapter's answer
 * cannot be parsed, core/dspy.h): the same turns, but the system message's
 * structure part shows the outputs as a JSON object, each demo's answer is
 * json.dumps(outputs, indent=2) (ensure_ascii in 2.6), and the real input
 * ends with "Respond with a JSON object in the following order of fields:
 * `reasoning`, then `...`." Its answer is read by prompt_parse_json_answer.
 */
#ifndef CURATE_PROMPT_H
#define CURATE_PROMPT_H

#include <cjson/cJSON.h>

#include "convo.h"
#include "program.h"
#include "rubric.h"

/* The system message text. Caller frees. */
char *prompt_system_new(const rubric *r);

/* The content of a user message for the given input values (indexed by
 * rubric field; NULL = absent, left out as DSPy does). prefix may be NULL;
 * main_request adds the output-requirements sentence. Caller frees. */
char *prompt_user_content_new(const rubric *r, char *const *values,
                              const char *prefix, int main_request);

/* The content of an assistant message for a demo: every output field
 * (reasoning first), a missing one as missing_msg, then
 * "\n\n[[ ## completed ## ]]\n". Caller frees. */
char *prompt_assistant_content_new(const rubric *r, const demo *d,
                                   const char *missing_msg);

/* Input values for a conversation, by rubric field index: `conversation`
 * gets the transcript, `seller_id` the seller, any other input field a
 * string (or number) of the same name from the conversation's meta_json.
 * Fills values[0..RUBRIC_MAX_FIELDS); free with prompt_inputs_clear(). */
void prompt_inputs_for_convo(const rubric *r, const convo *c,
                             char *values[RUBRIC_MAX_FIELDS]);
void prompt_inputs_clear(char *values[RUBRIC_MAX_FIELDS]);

/* The whole message list as a cJSON array of {"role","content"} objects:
 * system, the program's demos (pg may be NULL), the real input last.
 * Caller frees with cJSON_Delete(). */
cJSON *prompt_messages_new(const rubric *r, const program *pg,
                           char *const *inputs);
/* Same, serialised compactly (what is sent and hashed). Caller frees. */
char *prompt_messages_json_new(const rubric *r, const program *pg,
                               char *const *inputs);
/* The same text in two parts, for a run that sends many requests with one
 * rubric and program: the head (system message and demos, the same for
 * every request: build it once) and head + the final user message of
 * inputs. prompt_messages_json_join_new(prompt_messages_head_json_new(r,
 * pg), r, inputs) equals prompt_messages_json_new(r, pg, inputs).
 * Caller frees both. */
char *prompt_messages_head_json_new(const rubric *r, const program *pg);
char *prompt_messages_json_join_new(const char *head, const rubric *r,
                                    char *const *inputs);

/* JSONAdapter.format of r->dspy.version: the message list, and the same
 * serialised compactly (what the fallback request sends). Caller frees
 * (cJSON_Delete / free). */
cJSON *prompt_json_messages_new(const rubric *r, const program *pg,
                                char *const *inputs);
char *prompt_json_messages_json_new(const rubric *r, const program *pg,
                                    char *const *inputs);
/* The response_format of the fallback request: JSON mode. (DSPy 3.x asks
 * for a json_schema only for models litellm knows to support one, never
 * for a vLLM model name; 2.6.27 builds its schema with a pydantic call
 * that fails on pydantic >= 2.11.4 and then asks for JSON mode: see the
 * README.) */
#define PROMPT_JSON_MODE_FORMAT "{\"type\":\"json_object\"}"

/* response_format for vLLM/OpenAI structured outputs:
 * {"type":"json_schema","json_schema":{"name":..,"schema":{"type":"object",
 *  "properties":{"reasoning":{"type":"string"}, score: {"type":"number",
 *  "minimum":lo,"maximum":hi}, text: {"type":"string"}},
 *  "required":[...],"additionalProperties":false}}}. Caller frees. */
cJSON *prompt_json_schema_new(const rubric *r);
char *prompt_response_format_json_new(const rubric *r);   /* caller frees */

/* ---- parsing an answer ---- */

typedef enum {
    ANSWER_OK = 0,      /* every score field valid */
    ANSWER_PARTIAL,     /* some score fields valid */
    ANSWER_FAILED       /* none */
} answer_status;

typedef enum {
    ANSWER_FMT_NONE = 0, ANSWER_FMT_MARKERS, ANSWER_FMT_JSON
} answer_format;

typedef struct {
    /* The value of each output field as the model wrote it (trimmed), by
     * rubric field index; NULL when missing. */
    char *raw[RUBRIC_MAX_FIELDS];
    char *reasoning;          /* NULL when missing */
    scoreset scores;          /* validated scores and overall */
    int overall_computed;     /* overall missing/invalid: filled from parts */
    answer_status status;
    answer_format format;
    int missing;              /* an output field (reasoning or text too) is
                                 missing: DSPy's adapter.parse raises here
                                 (a non-numeric score is not that: DSPy's
                                 fields are str) */
    char *error;              /* reasons when not ok ("missing field X; ..."),
                                 NULL when ok */
} prompt_answer;

/* Parses content as ChatAdapter: `[[ ## field ## ]]` sections (first
 * occurrence wins) up to `[[ ## completed ## ]]` (optional; extra
 * whitespace and markdown bold or headings around markers tolerated).
 * JSON is not read here (that is the JSON fallback's second request).
 * Never fails: a hopeless answer is ANSWER_FAILED with a reason. Clear
 * out with prompt_answer_clear(). */
void prompt_parse_answer(const rubric *r, const char *content,
                         prompt_answer *out);
/* Parses content as JSONAdapter.parse of r->dspy.version (core/pyjson.h
 * for how values become text): 2.6 reads the first balanced {...}; 3.x
 * the object json_repair finds in the whole text (of several objects
 * with the same keys, the last), else the first {...}. Keys must name an
 * output field exactly; other keys are ignored; a missing field makes the
 * answer incomplete (missing = 1) as DSPy's parse error. format is
 * ANSWER_FMT_JSON when an object was read. */
void prompt_parse_json_answer(const rubric *r, const char *content,
                              prompt_answer *out);
void prompt_answer_clear(prompt_answer *a);
const char *prompt_status_name(answer_status s);   /* "ok", "partial", ... */

/* Text fields of an answer joined into one string (one field: its value;
 * several: "name: value" lines), or NULL when none. Caller frees. */
char *prompt_answer_text_new(const rubric *r, const prompt_answer *a);

/* Fills d (zeroed first) with a bootstrapped demo from an answer: the
 * inputs copied from inputs, reasoning and raw output strings from a,
 * augmented = 1. Free with demo_clear(). */
void prompt_demo_from_answer(const rubric *r, char *const *inputs,
                             const prompt_answer *a, demo *d);

#endif
