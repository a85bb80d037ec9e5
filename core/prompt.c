/* prompt.c: see prompt.h. Text layout follows the ChatAdapter of r->dspy.version
 * (format_field_description, format_field_structure, format_task_description,
 * format_user_message_content, format_assistant_message_content) and
 * Adapter.format_demos. */
#include "prompt.h"
#include "pyjson.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REASONING "reasoning"
#define INCOMPLETE_PREFIX \
    "This is an example of the task, though some input or output fields " \
    "are not supplied."
#define MISSING_EXAMPLE "Not supplied for this particular example. "
#define MISSING_HISTORY "Not supplied for this conversation history message. "

/* ---------------------------------------------------------------- text */

static int py_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* Python's str.strip() (ASCII whitespace), into a new string. */
static char *strip_new(const char *s, size_t n)
{
    while (n && py_space(*s)) { s++; n--; }
    while (n && py_space(s[n - 1])) n--;
    return xstrndup(s, n);
}

static char *sbuf_strip_take(sbuf *b)
{
    char *s = sbuf_take(b);
    char *t = strip_new(s, strlen(s));
    free(s);
    return t;
}

/* Splits text into lines as Python's str.splitlines() does for \n, \r\n
 * and \r; calls fn for each line. */
static void each_line(const char *s, void (*fn)(const char *, size_t, void *),
                      void *ctx)
{
    while (*s) {
        size_t n = strcspn(s, "\r\n");
        fn(s, n, ctx);
        s += n;
        if (*s == '\r' && s[1] == '\n') s += 2;
        else if (*s) s++;
    }
}

typedef struct { size_t margin; int any; const char *ref; size_t reflen; } dedent_state;

static int blank_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return 0;
    return 1;
}

static void dedent_scan(const char *s, size_t n, void *ctx)
{
    dedent_state *st = ctx;
    if (blank_line(s, n)) return;
    size_t ws = 0;
    while (ws < n && (s[ws] == ' ' || s[ws] == '\t')) ws++;
    if (!st->any) {
        st->any = 1;
        st->ref = s;
        st->margin = ws;
        return;
    }
    size_t k = 0;
    while (k < st->margin && k < ws && s[k] == st->ref[k]) k++;
    st->margin = k;
}

typedef struct { sbuf *out; size_t margin; } objective_state;

static void objective_line(const char *s, size_t n, void *ctx)
{
    objective_state *st = ctx;
    sbuf_add(st->out, "\n        ");
    if (blank_line(s, n)) return;       /* textwrap.dedent empties these */
    sbuf_addn(st->out, s + st->margin, n - st->margin);
}

/* ---------------------------------------------------------------- system */

static void describe_field(sbuf *b, int idx, const char *name,
                           const char *desc)
{
    /* DSPy 2.6.26+ and 3.x write ": " even when the description is empty
     * (ChainOfThought's reasoning). */
    sbuf_addf(b, "%d. `%s` (str): %s", idx, name, desc ? desc : "");
}

/* get_field_description_string: the lines joined, then .strip(): an empty
 * description on the last field loses the space after its ':'. */
static void strip_tail(sbuf *b, size_t from)
{
    while (b->len > from && py_space(b->s[b->len - 1])) b->s[--b->len] = '\0';
}

static void field_description(sbuf *b, const rubric *r)
{
    int n = 0;
    sbuf_add(b, "Your input fields are:\n");
    size_t from = b->len;
    for (size_t i = 0; i < r->nfields; i++) {
        if (r->fields[i].kind != FIELD_INPUT) continue;
        if (n) sbuf_addc(b, '\n');
        describe_field(b, ++n, r->fields[i].name, r->fields[i].desc);
    }
    strip_tail(b, from);
    sbuf_add(b, "\nYour output fields are:\n");
    from = b->len;
    /* ChainOfThought's reasoning has desc "${reasoning}": DSPy omits it. */
    describe_field(b, 1, REASONING, NULL);
    n = 1;
    for (size_t i = 0; i < r->nfields; i++) {
        if (!rubric_is_output(&r->fields[i])) continue;
        sbuf_addc(b, '\n');
        describe_field(b, ++n, r->fields[i].name, r->fields[i].desc);
    }
    strip_tail(b, from);
}

static void field_structure(sbuf *b, const rubric *r)
{
    sbuf_add(b, "All interactions will be structured in the following way, "
                "with the appropriate values filled in.");
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_INPUT)
            sbuf_addf(b, "\n\n[[ ## %s ## ]]\n{%s}", r->fields[i].name,
                      r->fields[i].name);
    sbuf_add(b, "\n\n[[ ## " REASONING " ## ]]\n{" REASONING "}");
    for (size_t i = 0; i < r->nfields; i++)
        if (rubric_is_output(&r->fields[i]))
            sbuf_addf(b, "\n\n[[ ## %s ## ]]\n{%s}", r->fields[i].name,
                      r->fields[i].name);
    sbuf_add(b, "\n\n[[ ## completed ## ]]");
}

static void task_description(sbuf *b, const rubric *r)
{
    dedent_state ds = {0};
    each_line(r->instructions, dedent_scan, &ds);
    objective_state os = {b, ds.margin};
    sbuf_add(b, "In adhering to this structure, your objective is: ");
    each_line(r->instructions, objective_line, &os);
}

/* JSONAdapter.format_field_structure: inputs as ChatAdapter shows them,
 * outputs as json.dumps(indent=2) of {name: "{name}"}. */
static void json_dump_fields(sbuf *b, const rubric *r, const demo *d,
                             const char *missing);

static void json_field_structure(sbuf *b, const rubric *r)
{
    sbuf_add(b, "All interactions will be structured in the following way, "
                "with the appropriate values filled in.\n\n"
                "Inputs will have the following structure:");
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_INPUT)
            sbuf_addf(b, "\n\n[[ ## %s ## ]]\n{%s}", r->fields[i].name,
                      r->fields[i].name);
    sbuf_add(b, "\n\nOutputs will be a JSON object with the following "
                "fields.\n\n");
    json_dump_fields(b, r, NULL, NULL);
}

static char *system_new(const rubric *r, int json)
{
    sbuf b = {0};
    field_description(&b, r);
    sbuf_addc(&b, '\n');
    if (json) json_field_structure(&b, r);
    else field_structure(&b, r);
    sbuf_addc(&b, '\n');
    task_description(&b, r);
    return sbuf_take(&b);
}

char *prompt_system_new(const rubric *r)
{
    return system_new(r, 0);
}

/* ---------------------------------------------------------------- turns */

static void output_requirements(sbuf *b, const rubric *r)
{
    sbuf_add(b, "Respond with the corresponding output fields, starting with "
                "the field `[[ ## " REASONING " ## ]]`");
    for (size_t i = 0; i < r->nfields; i++)
        if (rubric_is_output(&r->fields[i]))
            sbuf_addf(b, ", then `[[ ## %s ## ]]`", r->fields[i].name);
    sbuf_add(b, ", and then ending with the marker for "
                "`[[ ## completed ## ]]`.");
}

/* JSONAdapter.user_message_output_requirements */
static void json_output_requirements(sbuf *b, const rubric *r)
{
    sbuf_add(b, "Respond with a JSON object in the following order of "
                "fields: `" REASONING "`");
    for (size_t i = 0; i < r->nfields; i++)
        if (rubric_is_output(&r->fields[i]))
            sbuf_addf(b, ", then `%s`", r->fields[i].name);
    sbuf_addc(b, '.');
}

/* format_user_message_content of ChatAdapter (json = 0) or JSONAdapter. */
static char *user_content_new(const rubric *r, char *const *values,
                              const char *prefix, int main_request, int json)
{
    /* DSPy: "\n\n".join([prefix, *fields, requirements?, suffix]).strip() */
    sbuf b = {0};
    sbuf_add(&b, prefix ? prefix : "");
    for (size_t i = 0; i < r->nfields; i++) {
        if (r->fields[i].kind != FIELD_INPUT || !values[i]) continue;
        sbuf_addf(&b, "\n\n[[ ## %s ## ]]\n", r->fields[i].name);
        sbuf_add(&b, values[i]);
    }
    if (main_request) {
        sbuf_add(&b, "\n\n");
        if (json) json_output_requirements(&b, r);
        else output_requirements(&b, r);
    }
    sbuf_add(&b, "\n\n");
    return sbuf_strip_take(&b);
}

char *prompt_user_content_new(const rubric *r, char *const *values,
                              const char *prefix, int main_request)
{
    return user_content_new(r, values, prefix, main_request, 0);
}

char *prompt_assistant_content_new(const rubric *r, const demo *d,
                                   const char *missing_msg)
{
    sbuf b = {0};
    const char *miss = missing_msg ? missing_msg : "None";
    sbuf_add(&b, "[[ ## " REASONING " ## ]]\n");
    sbuf_add(&b, d->reasoning ? d->reasoning : miss);
    for (size_t i = 0; i < r->nfields; i++) {
        if (!rubric_is_output(&r->fields[i])) continue;
        sbuf_addf(&b, "\n\n[[ ## %s ## ]]\n", r->fields[i].name);
        sbuf_add(&b, d->values[i] ? d->values[i] : miss);
    }
    char *body = sbuf_strip_take(&b);
    /* DSPy 3.0+ ends a demo's answer with the completed marker; 2.6 not. */
    if (!dspy_demo_completed_marker(r->dspy.version)) return body;
    sbuf_add(&b, body);
    sbuf_add(&b, "\n\n[[ ## completed ## ]]\n");
    free(body);
    return sbuf_take(&b);
}

/* json.dumps({field: value}, indent=2) over the output fields (reasoning
 * first); d NULL: the placeholders "{field}" of the field structure.
 * ensure_ascii as the version's json.dumps call has it (2.6: on). */
static void json_dump_fields(sbuf *b, const rubric *r, const demo *d,
                             const char *missing)
{
    int ascii = r->dspy.version == DSPY_V26;
    sbuf_add(b, "{\n  ");
    pyjson_dump_string(b, REASONING, ascii);
    sbuf_add(b, ": ");
    if (d) pyjson_dump_string(b, d->reasoning ? d->reasoning : missing, ascii);
    else pyjson_dump_string(b, "{" REASONING "}", ascii);
    for (size_t i = 0; i < r->nfields; i++) {
        if (!rubric_is_output(&r->fields[i])) continue;
        sbuf_add(b, ",\n  ");
        pyjson_dump_string(b, r->fields[i].name, ascii);
        sbuf_add(b, ": ");
        if (d) {
            pyjson_dump_string(b, d->values[i] ? d->values[i] : missing, ascii);
        } else {
            char *ph = xmalloc(strlen(r->fields[i].name) + 3);
            sprintf(ph, "{%s}", r->fields[i].name);
            pyjson_dump_string(b, ph, ascii);
            free(ph);
        }
    }
    sbuf_add(b, "\n}");
}

static char *json_assistant_content_new(const rubric *r, const demo *d,
                                        const char *missing_msg)
{
    sbuf b = {0};
    json_dump_fields(&b, r, d, missing_msg ? missing_msg : "None");
    return sbuf_take(&b);
}

/* ---------------------------------------------------------------- demos */

static int demo_complete(const rubric *r, const demo *d)
{
    if (!d->reasoning) return 0;
    for (size_t i = 0; i < r->nfields; i++)
        if (!d->values[i]) return 0;
    return 1;
}

static int demo_usable(const rubric *r, const demo *d)
{
    int in = 0, out = d->reasoning != NULL;
    for (size_t i = 0; i < r->nfields; i++) {
        if (!d->values[i]) continue;
        if (r->fields[i].kind == FIELD_INPUT) in = 1;
        else out = 1;
    }
    return in && out;
}

static void add_message(cJSON *arr, const char *role, char *content)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", role);
    cJSON_AddStringToObject(m, "content", content);
    cJSON_AddItemToArray(arr, m);
    free(content);
}

static void add_demo(cJSON *arr, const rubric *r, const demo *d,
                     int complete, int json)
{
    const char *miss = complete ? MISSING_HISTORY : MISSING_EXAMPLE;
    add_message(arr, "user",
                user_content_new(r, d->values,
                                 complete ? NULL : INCOMPLETE_PREFIX, 0, json));
    add_message(arr, "assistant",
                json ? json_assistant_content_new(r, d, miss)
                     : prompt_assistant_content_new(r, d, miss));
}

/* Everything before the final user message, for ChatAdapter (json = 0)
 * or JSONAdapter. */
static cJSON *messages_head_new(const rubric *r, const program *pg, int json)
{
    cJSON *arr = cJSON_CreateArray();
    add_message(arr, "system", system_new(r, json));
    /* Adapter.format_demos: incomplete demos first, then complete ones. */
    for (int pass = 0; pg && pass < 2; pass++)
        for (size_t i = 0; i < pg->ndemos; i++) {
            const demo *d = &pg->demos[i];
            int complete = demo_complete(r, d);
            if (complete != pass) continue;
            if (!complete && !demo_usable(r, d)) continue;
            add_demo(arr, r, d, complete, json);
        }
    return arr;
}

cJSON *prompt_messages_new(const rubric *r, const program *pg,
                           char *const *inputs)
{
    cJSON *arr = messages_head_new(r, pg, 0);
    add_message(arr, "user", prompt_user_content_new(r, inputs, NULL, 1));
    return arr;
}

cJSON *prompt_json_messages_new(const rubric *r, const program *pg,
                                char *const *inputs)
{
    cJSON *arr = messages_head_new(r, pg, 1);
    add_message(arr, "user", user_content_new(r, inputs, NULL, 1, 1));
    return arr;
}

char *prompt_json_messages_json_new(const rubric *r, const program *pg,
                                    char *const *inputs)
{
    cJSON *arr = prompt_json_messages_new(r, pg, inputs);
    char *s = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    char *out = xstrdup(s);
    cJSON_free(s);
    return out;
}

/* s as a JSON string, escaped exactly as cJSON_PrintUnformatted does:
 * \" \\ \b \f \n \r \t, other bytes below 0x20 as \u00xx, the rest
 * (UTF-8 included) as they are. */
static void json_string(sbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *run = p;
    sbuf_addc(b, '"');
    for (; *p; p++) {
        if (*p > 31 && *p != '"' && *p != '\\') continue;
        sbuf_addn(b, (const char *)run, (size_t)(p - run));
        run = p + 1;
        char e[7] = {'\\', 0, 0, 0, 0, 0, 0};
        switch (*p) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            e[1] = 'u'; e[2] = '0'; e[3] = '0';
            e[4] = hex[*p >> 4]; e[5] = hex[*p & 15];
            sbuf_addn(b, e, 6);
            continue;
        }
        sbuf_addn(b, e, 2);
    }
    sbuf_addn(b, (const char *)run, (size_t)(p - run));
    sbuf_addc(b, '"');
}

char *prompt_messages_head_json_new(const rubric *r, const program *pg)
{
    /* cJSON's "[{..},{..}]" without the closing bracket, plus the comma
     * the final message follows. */
    cJSON *arr = messages_head_new(r, pg, 0);
    char *s = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    sbuf b = {0};
    size_t n = strlen(s);
    sbuf_addn(&b, s, n - 1);
    if (n > 2) sbuf_addc(&b, ',');
    cJSON_free(s);
    return sbuf_take(&b);
}

char *prompt_messages_json_join_new(const char *head, const rubric *r,
                                    char *const *inputs)
{
    char *content = prompt_user_content_new(r, inputs, NULL, 1);
    sbuf b = {0};
    sbuf_add(&b, head);
    sbuf_add(&b, "{\"role\":\"user\",\"content\":");
    json_string(&b, content);
    sbuf_add(&b, "}]");
    free(content);
    return sbuf_take(&b);
}

char *prompt_messages_json_new(const rubric *r, const program *pg,
                               char *const *inputs)
{
    char *head = prompt_messages_head_json_new(r, pg);
    char *out = prompt_messages_json_join_new(head, r, inputs);
    free(head);
    return out;
}

/* ---------------------------------------------------------------- inputs */

void prompt_inputs_for_convo(const rubric *r, const convo *c,
                             char *values[RUBRIC_MAX_FIELDS])
{
    memset(values, 0, sizeof(char *) * RUBRIC_MAX_FIELDS);
    cJSON *meta = c->meta_json ? cJSON_Parse(c->meta_json) : NULL;
    for (size_t i = 0; i < r->nfields; i++) {
        const char *name = r->fields[i].name;
        if (r->fields[i].kind != FIELD_INPUT) continue;
        if (strcmp(name, "conversation") == 0) {
            values[i] = convo_transcript_new(c);
        } else if (strcmp(name, "seller_id") == 0) {
            values[i] = xstrdup(c->seller_id ? c->seller_id : "");
        } else {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, name);
            if (cJSON_IsString(v)) {
                values[i] = xstrdup(v->valuestring);
            } else if (cJSON_IsNumber(v)) {
                char num[64];
                snprintf(num, sizeof num, "%.15g", v->valuedouble);
                values[i] = xstrdup(num);
            }
        }
    }
    cJSON_Delete(meta);
}

void prompt_inputs_clear(char *values[RUBRIC_MAX_FIELDS])
{
    for (int i = 0; i < RUBRIC_MAX_FIELDS; i++) {
        free(values[i]);
        values[i] = NULL;
    }
}

/* ---------------------------------------------------------------- schema */

cJSON *prompt_json_schema_new(const rubric *r)
{
    cJSON *rf = cJSON_CreateObject();
    cJSON_AddStringToObject(rf, "type", "json_schema");
    cJSON *js = cJSON_AddObjectToObject(rf, "json_schema");
    cJSON_AddStringToObject(js, "name", r->name ? r->name : "answer");
    cJSON *schema = cJSON_AddObjectToObject(js, "schema");
    cJSON_AddStringToObject(schema, "type", "object");
    cJSON *props = cJSON_AddObjectToObject(schema, "properties");
    cJSON *req = cJSON_CreateArray();
    cJSON *p = cJSON_AddObjectToObject(props, REASONING);
    cJSON_AddStringToObject(p, "type", "string");
    cJSON_AddItemToArray(req, cJSON_CreateString(REASONING));
    for (size_t i = 0; i < r->nfields; i++) {
        const rubric_field *f = &r->fields[i];
        if (!rubric_is_output(f)) continue;
        p = cJSON_AddObjectToObject(props, f->name);
        if (rubric_is_scored(f)) {
            cJSON_AddStringToObject(p, "type", "number");
            cJSON_AddNumberToObject(p, "minimum", f->lo);
            cJSON_AddNumberToObject(p, "maximum", f->hi);
        } else {
            cJSON_AddStringToObject(p, "type", "string");
        }
        cJSON_AddItemToArray(req, cJSON_CreateString(f->name));
    }
    cJSON_AddItemToObject(schema, "required", req);
    cJSON_AddFalseToObject(schema, "additionalProperties");
    return rf;
}

char *prompt_response_format_json_new(const rubric *r)
{
    cJSON *rf = prompt_json_schema_new(r);
    char *out = json_text_new(rf, 0);
    cJSON_Delete(rf);
    return out;
}

/* ---------------------------------------------------------------- parsing */

typedef struct {
    const char *start, *end;      /* the marker with its decorations */
    const char *name;
    size_t namelen;
} marker;

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* Matches "[[ ## name ## ]]" (any blanks) at p; returns its end or NULL. */
static const char *match_marker(const char *p, marker *m)
{
    if (p[0] != '[' || p[1] != '[') return NULL;
    p = skip_blanks(p + 2);
    if (p[0] != '#' || p[1] != '#') return NULL;
    p = skip_blanks(p + 2);
    m->name = p;
    while (isalnum((unsigned char)*p) || *p == '_') p++;
    m->namelen = (size_t)(p - m->name);
    if (!m->namelen) return NULL;
    p = skip_blanks(p);
    if (p[0] != '#' || p[1] != '#') return NULL;
    p = skip_blanks(p + 2);
    if (p[0] != ']' || p[1] != ']') return NULL;
    return p + 2;
}

/* Finds the next marker at or after p. Its span takes in markdown around it
 * on the same line ("**", "###", "__", a trailing ':'). */
static int next_marker(const char *text, const char *p, marker *m)
{
    for (const char *q = strstr(p, "[["); q; q = strstr(q + 1, "[[")) {
        const char *e = match_marker(q, m);
        if (!e) continue;
        const char *s = q;
        while (s > p && s > text && strchr(" \t*#_", s[-1])) s--;
        while (*e && strchr("*_:", *e)) e++;
        m->start = s;
        m->end = e;
        return 1;
    }
    return 0;
}

static int name_is(const char *name, size_t n, const char *want)
{
    if (strlen(want) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)name[i]) != tolower((unsigned char)want[i]))
            return 0;
    return 1;
}

/* Field index for a name, -2 for reasoning, -3 for completed, -1 unknown. */
static int field_for(const rubric *r, const char *name, size_t n)
{
    if (name_is(name, n, REASONING)) return -2;
    if (name_is(name, n, "completed")) return -3;
    for (size_t i = 0; i < r->nfields; i++)
        if (rubric_is_output(&r->fields[i]) &&
            name_is(name, n, r->fields[i].name))
            return (int)i;
    return -1;
}

static void set_value(prompt_answer *a, int idx, char *v)
{
    char **slot = idx == -2 ? &a->reasoning : idx >= 0 ? &a->raw[idx] : NULL;
    if (slot && !*slot) {      /* first occurrence wins */
        *slot = v;
        return;
    }
    free(v);
}

static int parse_markers(const rubric *r, const char *text, prompt_answer *a)
{
    marker m, nx;
    if (!next_marker(text, text, &m)) return 0;
    for (;;) {
        int idx = field_for(r, m.name, m.namelen);
        if (idx == -3) break;
        int more = next_marker(text, m.end, &nx);
        const char *end = more ? nx.start : m.end + strlen(m.end);
        set_value(a, idx, strip_new(m.end, (size_t)(end - m.end)));
        if (!more) break;
        m = nx;
    }
    return 1;
}

/* A score value with markdown/quotes around it removed. Caller frees. */
static char *clean_score_text(const char *s)
{
    size_t n = strlen(s);
    while (n && (strchr("*`\"'_", *s) || py_space(*s))) { s++; n--; }
    while (n && (strchr("*`\"'_", s[n - 1]) || py_space(s[n - 1]))) n--;
    return xstrndup(s, n);
}

static void add_reason(sbuf *why, const char *fmt, const char *name,
                       const char *val)
{
    if (why->len) sbuf_add(why, "; ");
    if (val) {
        /* Quote at most 40 bytes of the value, on one line. */
        char q[48];
        size_t k = 0;
        for (; val[k] && k < 40; k++)
            q[k] = (val[k] == '\n' || val[k] == '\r') ? ' ' : val[k];
        q[k] = '\0';
        sbuf_addf(why, fmt, name, q, val[k] ? "..." : "");
    } else {
        sbuf_addf(why, fmt, name);
    }
}

static void validate_scores(const rubric *r, prompt_answer *a, sbuf *why,
                            int *nscore, int *nvalid)
{
    for (size_t i = 0; i < r->nfields; i++) {
        const rubric_field *f = &r->fields[i];
        if (!rubric_is_scored(f)) continue;
        if (f->kind == FIELD_SCORE) (*nscore)++;
        if (!a->raw[i]) {
            if (f->kind == FIELD_SCORE)
                add_reason(why, "missing field %s", f->name, NULL);
            continue;
        }
        char *t = clean_score_text(a->raw[i]);
        a->scores.set[i] =
            (unsigned char)rubric_validate_score(f, t, &a->scores.v[i]);
        free(t);
        if (a->scores.set[i]) {
            if (f->kind == FIELD_SCORE) (*nvalid)++;
        } else if (f->kind == FIELD_SCORE) {
            add_reason(why, "non-numeric %s: '%s%s'", f->name, a->raw[i]);
        }
    }
}

static void fill_overall(const rubric *r, prompt_answer *a)
{
    int oi = rubric_overall_index(r);
    if (oi < 0 || a->scores.set[oi]) return;
    double v;
    if (rubric_overall_from(r, &a->scores, &v) == 0) {
        a->scores.v[oi] = v;
        a->scores.set[oi] = 1;
        a->overall_computed = 1;
    }
}

/* Validates what was read into out and sets status, missing and error. */
static void finish_answer(const rubric *r, prompt_answer *out)
{
    sbuf why = {0};
    int nscore = 0, nvalid = 0;
    validate_scores(r, out, &why, &nscore, &nvalid);
    /* Both adapters' parse raises unless every output field is there
     * (reasoning and text fields too): such an answer is never ok. */
    int missing = !out->reasoning;
    if (!out->reasoning) add_reason(&why, "missing field %s", REASONING, NULL);
    for (size_t i = 0; i < r->nfields; i++) {
        const rubric_field *f = &r->fields[i];
        if (!rubric_is_output(f) || out->raw[i]) continue;
        missing = 1;
        if (f->kind != FIELD_SCORE)   /* score fields: said above */
            add_reason(&why, "missing field %s", f->name, NULL);
    }
    fill_overall(r, out);
    out->missing = missing;
    out->status = nvalid == nscore && !missing ? ANSWER_OK
                  : nvalid ? ANSWER_PARTIAL : ANSWER_FAILED;
    if (out->status != ANSWER_OK) out->error = sbuf_take(&why);
    else sbuf_free(&why);
}

static int blank_text(const char *text)
{
    while (py_space(*text)) text++;
    return !*text;
}

/* out as a failed answer; the text to read, or NULL (out->error set)
 * when there is none. */
static const char *answer_start(const char *content, prompt_answer *out)
{
    memset(out, 0, sizeof *out);
    out->status = ANSWER_FAILED;
    out->missing = 1;
    const char *text = content ? content : "";
    if (blank_text(text)) {
        out->error = xstrdup("empty response");
        return NULL;
    }
    return text;
}

void prompt_parse_answer(const rubric *r, const char *content,
                         prompt_answer *out)
{
    const char *text = answer_start(content, out);
    if (!text) return;
    if (!parse_markers(r, text, out)) {
        out->error = xstrdup("no [[ ## ]] markers");
        return;
    }
    out->format = ANSWER_FMT_MARKERS;
    finish_answer(r, out);
}

/* ---------------------------------------------------------------- JSONAdapter.parse */

/* The {...} spans of text, left to right, not overlapping: at most max
 * of them into spans[] (start, end pairs); returns the count. end finds
 * where one closes: the regex's way or json_repair's. */
static size_t object_spans(const char *text, const char **spans, size_t max,
                           const char *(*end)(const char *))
{
    size_t n = 0;
    for (const char *p = strchr(text, '{'); p && n < max; ) {
        const char *e = end(p);
        if (!e) {               /* never closes: the pattern tries the next '{' */
            p = strchr(p + 1, '{');
            continue;
        }
        spans[2 * n] = p;
        spans[2 * n + 1] = e;
        n++;
        p = strchr(e, '{');
    }
    return n;
}

static int same_keys(const pyjson_obj *a, const pyjson_obj *b)
{
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++) {
        size_t j = 0;
        while (j < b->n && strcmp(a->keys[i], b->keys[j])) j++;
        if (j == b->n) return 0;
    }
    return 1;
}

/* The object JSONAdapter.parse reads from text. 2.6: the first balanced
 * {...} (the regex), then json_repair on it. 3.x: json_repair on the
 * whole text first: one object, or several objects one after another
 * with the same keys (json_repair keeps the last, as a correction); any
 * other mix is a list to json_repair, and then the regex's first {...}.
 * (3.2 reads as 3.x.) */
#define MAX_SPANS 16
static int span_object(const char *const *sp, size_t k, pyjson_obj *o)
{
    return pyjson_parse_object(sp[2 * k], (size_t)(sp[2 * k + 1] - sp[2 * k]), o);
}

/* json_repair's reading of the whole text (3.x): one object, or the last
 * of several with the same keys one after another: 0. -1 when it would
 * not give a dict (the regex's turn), -2 when it gives one curate cannot
 * read: an object that never closes, which json_repair closes itself
 * (DSPy then fails for want of the fields, as curate does). */
static int whole_text_object(const char *text, pyjson_obj *obj)
{
    const char *open = strchr(text, '{');
    if (open && !pyjson_object_end(open)) return -2;
    const char *sp[2 * MAX_SPANS];
    size_t n = object_spans(text, sp, MAX_SPANS, pyjson_object_end);
    if (n == 1) return span_object(sp, 0, obj);
    if (n < 2 || memchr(text, '[', (size_t)(sp[0] - text))) return -1;
    pyjson_obj first = {0};
    int sequence = span_object(sp, 0, &first) == 0;
    for (size_t k = 1; sequence && k < n; k++) {
        const char *gap = sp[2 * k - 1];
        while (gap < sp[2 * k] && *gap != ',' && *gap != '[') gap++;
        pyjson_obj o = {0};
        sequence = gap == sp[2 * k] && span_object(sp, k, &o) == 0 &&
                   same_keys(&first, &o);
        pyjson_obj_clear(&o);
    }
    pyjson_obj_clear(&first);
    return sequence ? span_object(sp, n - 1, obj) : -1;
}

static int json_answer_object(const rubric *r, const char *text,
                              pyjson_obj *obj)
{
    if (r->dspy.version != DSPY_V26) {
        int rc = whole_text_object(text, obj);
        if (rc != -1) return rc == 0 ? 0 : -1;
    }
    const char *sp[2];
    if (!object_spans(text, sp, 1, pyjson_balanced_end)) return -1;
    return span_object(sp, 0, obj);
}

void prompt_parse_json_answer(const rubric *r, const char *content,
                              prompt_answer *out)
{
    const char *text = answer_start(content, out);
    if (!text) return;
    pyjson_obj obj;
    if (json_answer_object(r, text, &obj) < 0) {
        out->error = xstrdup("not a JSON object");
        return;
    }
    out->format = ANSWER_FMT_JSON;
    /* keys name output fields exactly (case matters); others are dropped */
    for (size_t k = 0; k < obj.n; k++) {
        const char *key = obj.keys[k];
        char **slot = NULL;
        if (!strcmp(key, REASONING)) slot = &out->reasoning;
        for (size_t i = 0; !slot && i < r->nfields; i++)
            if (rubric_is_output(&r->fields[i]) && !strcmp(key, r->fields[i].name))
                slot = &out->raw[i];
        if (!slot) continue;
        *slot = obj.vals[k];
        obj.vals[k] = NULL;
    }
    pyjson_obj_clear(&obj);
    finish_answer(r, out);
}

void prompt_answer_clear(prompt_answer *a)
{
    for (int i = 0; i < RUBRIC_MAX_FIELDS; i++) free(a->raw[i]);
    free(a->reasoning);
    free(a->error);
    memset(a, 0, sizeof *a);
}

const char *prompt_status_name(answer_status s)
{
    switch (s) {
    case ANSWER_OK: return "ok";
    case ANSWER_PARTIAL: return "partial";
    default: return "failed";
    }
}

char *prompt_answer_text_new(const rubric *r, const prompt_answer *a)
{
    int ntext = 0;
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_TEXT && a->raw[i]) ntext++;
    if (!ntext) return NULL;
    sbuf b = {0};
    for (size_t i = 0; i < r->nfields; i++) {
        if (r->fields[i].kind != FIELD_TEXT || !a->raw[i]) continue;
        if (b.len) sbuf_addc(&b, '\n');
        if (ntext > 1) sbuf_addf(&b, "%s: ", r->fields[i].name);
        sbuf_add(&b, a->raw[i]);
    }
    return sbuf_take(&b);
}

void prompt_demo_from_answer(const rubric *r, char *const *inputs,
                             const prompt_answer *a, demo *d)
{
    memset(d, 0, sizeof *d);
    for (size_t i = 0; i < r->nfields; i++)
        d->values[i] = xstrdup(r->fields[i].kind == FIELD_INPUT ? inputs[i]
                                                                : a->raw[i]);
    d->reasoning = xstrdup(a->reasoning);
    d->augmented = 1;
}
