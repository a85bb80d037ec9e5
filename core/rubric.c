/* rubric.c: see rubric.h. */
#include "rubric.h"
#include "file.h"
#include "utf8.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The built-in rubric's field descriptions are the DSPy signature's
 * (DESIGN.md): they are in every prompt and in the canonical JSON every
 * existing pool was labeled under, so they stay; what a new reviewer
 * needs beyond them is here, never sent to the model. */
#define GUIDELINES_DEFAULT \
    "\"# Scoring a travel seller's WhatsApp conversation\\n\\n" \
    "Score what the seller did, from the whole transcript. Use the full 0-10 range: " \
    "5 is an ordinary conversation, not a safe default.\\n\\n" \
    "## Responsiveness (higher is better)\\n" \
    "How fast and how reliably the seller answered. 10: every message answered within " \
    "minutes, questions acknowledged at once, promises kept (\\\"I'll send the quote\\\" " \
    "and the quote came). 5: replies within hours, some questions left for later. " \
    "0: the customer was ignored for a day or more, or never got what was promised.\\n\\n" \
    "## Customer negative (LOWER is better)\\n" \
    "How much frustration, complaint or negative sentiment the customer showed. " \
    "0: none at all. 5: clear annoyance (\\\"still waiting\\\", repeated questions). " \
    "10: anger, threats to cancel, a formal complaint. Score the customer's feelings, " \
    "even when the seller is not to blame.\\n\\n" \
    "## Conversational trend (higher is better)\\n" \
    "Did the customer's mood improve from the first messages to the last? " \
    "10: started upset or unsure and ended happy. 5: no change. 0: started fine and " \
    "ended upset.\\n\\n" \
    "## Overall\\n" \
    "Follows the parts: 40% responsiveness + 30% (10 - negative) + 30% trend. " \
    "Type it only when the formula misjudges the conversation, and say why in the " \
    "rationale.\\n\\n" \
    "## Rationale and comment\\n" \
    "The rationale is the reasoning a training example carries: one or two sentences " \
    "naming the evidence (\\\"replied after 9 hours; customer complained twice\\\"). " \
    "Rewrite the model's when it is wrong. A comment is for the team (doubts, data " \
    "problems) and is never exported as reasoning.\""

static const char *default_rubric_json =
    "{\"name\": \"ChatAnalysisSignature\","
    " \"instructions\": \"Analyze a travel seller's WhatsApp conversation and score their performance.\","
    " \"fields\": ["
    "  {\"name\": \"conversation\", \"kind\": \"input\", \"description\": \"The full WhatsApp conversation transcript\"},"
    "  {\"name\": \"seller_id\", \"kind\": \"input\", \"description\": \"Seller identifier\"},"
    "  {\"name\": \"responsiveness_score\", \"kind\": \"score\", \"weight\": 0.4,"
    "   \"description\": \"Score 0-10: response time, acknowledgment speed, follow-through\"},"
    "  {\"name\": \"customer_negative_score\", \"kind\": \"score\", \"weight\": 0.3, \"higher_is_better\": false,"
    "   \"description\": \"Score 0-10: customer frustration, complaints, negative sentiment\"},"
    "  {\"name\": \"conversational_trend_score\", \"kind\": \"score\", \"weight\": 0.3,"
    "   \"description\": \"Score 0-10: did customer sentiment improve through the conversation\"},"
    "  {\"name\": \"overall_seller_score\", \"kind\": \"overall\","
    "   \"description\": \"Weighted score 0-10: 40% responsiveness + 30% negative + 30% trend\"},"
    "  {\"name\": \"score_rationale\", \"kind\": \"text\", \"description\": \"Brief reasoning for the scores given\"}"
    " ], \"guidelines\": " GUIDELINES_DEFAULT "}";

rubric *rubric_default_new(void)
{
    char err[ERR_MAX];
    return rubric_parse_new(default_rubric_json, "built-in rubric", err);
}

void rubric_free(rubric *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nfields; i++) {
        free(r->fields[i].name);
        free(r->fields[i].desc);
    }
    free(r->name);
    free(r->instructions);
    free(r->guidelines);
    free(r);
}

static const char *kind_names[] = {"input", "score", "overall", "text"};

/* Bound on range ends and weights: keeps every score, weighted sum and
 * rounding (value * 100) finite. */
#define RANGE_MAX 1e9

static int valid_name(const char *s)
{
    if (!s || !*s || !(isalpha((unsigned char)*s) || *s == '_')) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

/* Untrusted text for an error message (printed to a terminal): printable
 * ASCII kept, any other byte as \xNN, cut after 40 bytes. */
static const char *show(const char *s, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; s[i] && o + 8 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= 40) { memcpy(out + o, "...", 3); o += 3; break; }
        if (c >= 0x20 && c < 0x7f) out[o++] = (char)c;
        else o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
    }
    out[o] = '\0';
    return out;
}

static int parse_field(rubric_field *f, const cJSON *j, const char *src,
                       int idx, char *err)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(j, "description");
    if (!cJSON_IsObject(j) || !cJSON_IsString(name) ||
        !valid_name(name->valuestring)) {
        err_set(err, "%s: fields[%d].name: expected an identifier", src, idx);
        return -1;
    }
    const char *fn = name->valuestring;
    if (!cJSON_IsString(kind)) {
        err_set(err, "%s: fields[%d] (%s).kind: expected one of input, score, "
                "overall, text", src, idx, fn);
        return -1;
    }
    int k = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(kind->valuestring, kind_names[i]) == 0) k = i;
    if (k < 0) {
        char q[200];
        err_set(err, "%s: fields[%d] (%s).kind: '%s' is not one of input, "
                "score, overall, text", src, idx, fn,
                show(kind->valuestring, q, sizeof q));
        return -1;
    }
    if (desc && !cJSON_IsString(desc)) {
        err_set(err, "%s: fields[%d] (%s).description: expected a string",
                src, idx, fn);
        return -1;
    }
    f->kind = (field_kind)k;
    f->lo = 0;
    f->hi = 10;
    f->weight = 0;
    f->higher_is_better = 1;
    const cJSON *range = cJSON_GetObjectItemCaseSensitive(j, "range");
    if (range) {
        if (!cJSON_IsArray(range) || cJSON_GetArraySize(range) != 2 ||
            !cJSON_IsNumber(cJSON_GetArrayItem(range, 0)) ||
            !cJSON_IsNumber(cJSON_GetArrayItem(range, 1)) ||
            !(fabs(cJSON_GetArrayItem(range, 0)->valuedouble) <= RANGE_MAX) ||
            !(fabs(cJSON_GetArrayItem(range, 1)->valuedouble) <= RANGE_MAX) ||
            cJSON_GetArrayItem(range, 0)->valuedouble >=
                cJSON_GetArrayItem(range, 1)->valuedouble) {
            err_set(err, "%s: fields[%d] (%s).range: expected [lo, hi] with "
                    "lo < hi, both within +-1e9", src, idx, fn);
            return -1;
        }
        f->lo = cJSON_GetArrayItem(range, 0)->valuedouble;
        f->hi = cJSON_GetArrayItem(range, 1)->valuedouble;
    }
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "weight");
    if (w) {
        if (!cJSON_IsNumber(w) || !(w->valuedouble >= 0) ||
            !(w->valuedouble <= RANGE_MAX) || f->kind != FIELD_SCORE) {
            err_set(err, "%s: fields[%d] (%s).weight: expected a number from 0 "
                    "to 1e9 on a score field", src, idx, fn);
            return -1;
        }
        f->weight = w->valuedouble;
    }
    const cJSON *hib = cJSON_GetObjectItemCaseSensitive(j, "higher_is_better");
    if (hib) {
        if (!cJSON_IsBool(hib)) {
            err_set(err, "%s: fields[%d] (%s).higher_is_better: expected true "
                    "or false", src, idx, fn);
            return -1;
        }
        f->higher_is_better = cJSON_IsTrue(hib);
    }
    f->name = xstrdup(fn);
    f->desc = xstrdup(desc ? desc->valuestring : "");
    return 0;
}

/* Python's inspect.cleandoc (ASCII whitespace): DSPy's
 * Signature.instructions is cleandoc(__doc__), so the prompt and the saved
 * state both carry this form. Tabs expand to 8 columns; the first line is
 * left-stripped, the others lose the common indentation of the non-blank
 * ones after the first; leading and trailing empty lines go. */
static char *cleandoc_new(const char *doc)
{
    sbuf t = {0};
    size_t col = 0;
    for (const char *p = doc; *p; p++) {
        if (*p == '\t') {
            do sbuf_addc(&t, ' '); while (++col % 8);
        } else {
            sbuf_addc(&t, *p);
            col = *p == '\n' ? 0 : col + 1;
        }
    }
    char *text = t.s ? t.s : xstrdup("");
    /* split into lines */
    size_t n = 1;
    for (char *p = text; *p; p++) n += *p == '\n';
    char **ln = xcalloc(n, sizeof *ln);
    size_t k = 0;
    ln[k++] = text;
    for (char *p = text; *p; p++)
        if (*p == '\n') { *p = '\0'; ln[k++] = p + 1; }
    size_t margin = (size_t)-1;
    for (size_t i = 1; i < n; i++) {
        size_t ws = strspn(ln[i], " \t\r\v\f");
        if (ln[i][ws] && ws < margin) margin = ws;
    }
    ln[0] += strspn(ln[0], " \t\r\v\f");
    for (size_t i = 1; i < n && margin != (size_t)-1; i++) {
        size_t len = strlen(ln[i]);
        ln[i] += len < margin ? len : margin;
    }
    size_t lo = 0, hi = n;
    while (hi > lo && !*ln[hi - 1]) hi--;
    while (lo < hi && !*ln[lo]) lo++;
    sbuf out = {0};
    for (size_t i = lo; i < hi; i++) {
        if (i > lo) sbuf_addc(&out, '\n');
        sbuf_add(&out, ln[i]);
    }
    free(ln);
    free(text);
    return out.s ? out.s : xstrdup("");
}

/* A guidelines value that names a file: one line ending in .md or
 * .markdown (any case). */
static int names_file(const char *s)
{
    if (strchr(s, '\n')) return 0;
    size_t n = strlen(s);
    return (n > 3 && strcasecmp(s + n - 3, ".md") == 0) ||
           (n > 9 && strcasecmp(s + n - 9, ".markdown") == 0);
}

#define GUIDELINES_MAX (1 << 20)

/* The "guidelines" key of root into r->guidelines; dir (may be NULL: the
 * current directory) is where a named file is read from. 0 or -1 + err. */
static int parse_guidelines(rubric *r, const cJSON *root, const char *src,
                            const char *dir, char *err)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(root, "guidelines");
    if (!g || cJSON_IsNull(g)) return 0;
    if (!cJSON_IsString(g) || !*g->valuestring) {
        err_set(err, "%s: guidelines: expected text or the path of a Markdown "
                "file (.md), relative to the rubric file", src);
        return -1;
    }
    char *text;
    size_t len;
    char q[200];
    if (names_file(g->valuestring)) {
        sbuf path = {0};
        if (dir && *dir && g->valuestring[0] != '/')
            sbuf_addf(&path, "%s/", dir);
        sbuf_add(&path, g->valuestring);
        char ferr[ERR_MAX];
        text = file_read_new(path.s, &len, ferr);
        if (!text) {
            err_set(err, "%s: guidelines: cannot read '%s' (%s)", src,
                    show(g->valuestring, q, sizeof q), ferr);
            sbuf_free(&path);
            return -1;
        }
        sbuf_free(&path);
    } else {
        text = xstrdup(g->valuestring);
        len = strlen(text);
    }
    const char *what = names_file(g->valuestring) ? "the file" : "the text";
    size_t bad = utf8_bad_at(text, len);
    if (len > GUIDELINES_MAX || bad < len || strlen(text) != len) {
        if (len > GUIDELINES_MAX)
            err_set(err, "%s: guidelines: %s is larger than 1 MiB", src, what);
        else
            err_set(err, "%s: guidelines: %s is not UTF-8 text (byte %zu)",
                    src, what, (bad < len ? bad : strlen(text)) + 1);
        free(text);
        return -1;
    }
    r->guidelines = text;
    return 0;
}

static rubric *parse_in(const char *json, const char *src, const char *dir,
                        char *err);

rubric *rubric_parse_new(const char *json, const char *src, char *err)
{
    return parse_in(json, src, NULL, err);
}

static rubric *parse_in(const char *json, const char *src, const char *dir,
                        char *err)
{
    cJSON *root = cJSON_Parse(json);
    if (!root || !cJSON_IsObject(root)) {
        err_set(err, "%s: not a JSON object (%s)", src,
                root ? "wrong type" : "parse error");
        cJSON_Delete(root);
        return NULL;
    }
    rubric *r = xcalloc(1, sizeof *r);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(root, "instructions");
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(root, "fields");
    if (!cJSON_IsString(ins) || !*ins->valuestring) {
        err_set(err, "%s: instructions: expected a non-empty string", src);
        goto fail;
    }
    if (name && !cJSON_IsString(name)) {
        err_set(err, "%s: name: expected a string", src);
        goto fail;
    }
    if (!cJSON_IsArray(fields) || cJSON_GetArraySize(fields) == 0) {
        err_set(err, "%s: fields: expected a non-empty array", src);
        goto fail;
    }
    if (cJSON_GetArraySize(fields) > RUBRIC_MAX_FIELDS) {
        err_set(err, "%s: fields: at most %d fields", src, RUBRIC_MAX_FIELDS);
        goto fail;
    }
    r->name = xstrdup(name ? name->valuestring : "ChatAnalysisSignature");
    r->instructions = cleandoc_new(ins->valuestring);
    int idx = 0, seen_output = 0, nscore = 0, noverall = 0, ninput = 0;
    double wsum = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, fields) {
        rubric_field *rf = &r->fields[r->nfields];
        if (parse_field(rf, f, src, idx, err) < 0) goto fail;
        r->nfields++;
        for (size_t i = 0; i + 1 < r->nfields; i++)
            if (strcmp(r->fields[i].name, rf->name) == 0) {
                err_set(err, "%s: fields[%d]: duplicate field name '%s'", src,
                        idx, rf->name);
                goto fail;
            }
        if (strcmp(rf->name, "reasoning") == 0) {
            err_set(err, "%s: fields[%d]: 'reasoning' is reserved (added by "
                    "ChainOfThought)", src, idx);
            goto fail;
        }
        if (rf->kind == FIELD_INPUT) {
            if (seen_output) {
                err_set(err, "%s: fields[%d] (%s): inputs must come before "
                        "outputs", src, idx, rf->name);
                goto fail;
            }
            ninput++;
        } else {
            seen_output = 1;
        }
        if (rf->kind == FIELD_SCORE) { nscore++; wsum += rf->weight; }
        if (rf->kind == FIELD_OVERALL) noverall++;
        idx++;
    }
    if (ninput == 0 || nscore == 0) {
        err_set(err, "%s: fields: need at least one input and one score field",
                src);
        goto fail;
    }
    if (noverall > 1) {
        err_set(err, "%s: fields: at most one overall field", src);
        goto fail;
    }
    if (noverall == 1 && wsum <= 0) {
        err_set(err, "%s: fields: an overall field needs score weights that "
                "sum to more than 0", src);
        goto fail;
    }
    if (parse_guidelines(r, root, src, dir, err) < 0) goto fail;
    cJSON_Delete(root);
    return r;
fail:
    cJSON_Delete(root);
    rubric_free(r);
    return NULL;
}

rubric *rubric_load_new(const char *path, char *err)
{
    char *text = file_read_new(path, NULL, err);
    if (!text) return NULL;
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, (size_t)(slash - path + (slash == path))) : NULL;
    rubric *r = parse_in(text, path, dir, err);
    free(dir);
    free(text);
    return r;
}

char *rubric_to_json_new(const rubric *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "name", r->name);
    cJSON_AddStringToObject(root, "instructions", r->instructions);
    cJSON *arr = cJSON_AddArrayToObject(root, "fields");
    for (size_t i = 0; i < r->nfields; i++) {
        const rubric_field *f = &r->fields[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", f->name);
        cJSON_AddStringToObject(o, "kind", kind_names[f->kind]);
        cJSON_AddStringToObject(o, "description", f->desc);
        if (rubric_is_scored(f) && (f->lo != 0 || f->hi != 10)) {
            cJSON *rg = cJSON_AddArrayToObject(o, "range");
            cJSON_AddItemToArray(rg, cJSON_CreateNumber(f->lo));
            cJSON_AddItemToArray(rg, cJSON_CreateNumber(f->hi));
        }
        if (f->kind == FIELD_SCORE) {
            cJSON_AddNumberToObject(o, "weight", f->weight);
            if (!f->higher_is_better)
                cJSON_AddFalseToObject(o, "higher_is_better");
        }
        cJSON_AddItemToArray(arr, o);
    }
    char *out = json_text_new(root, 1);
    cJSON_Delete(root);
    return out;
}

/* Appends one difference to out (at most three, then "..."). */
static void diff_add(char *out, size_t n, int *count, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void diff_add(char *out, size_t n, int *count, const char *fmt, ...)
{
    size_t len = strlen(out);
    if (len + 8 >= n) return;
    if (++*count > 3) {
        if (*count == 4) snprintf(out + len, n - len, "; ...");
        return;
    }
    if (*count > 1) len += (size_t)snprintf(out + len, n - len, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + len, n - len, fmt, ap);
    va_end(ap);
}

/* The names of a's fields that b lacks, comma-separated, into buf. */
static int missing_names(const rubric *a, const rubric *b, char *buf, size_t n)
{
    int count = 0;
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < a->nfields && len + 8 < n; i++) {
        if (rubric_field_index(b, a->fields[i].name) >= 0) continue;
        len += (size_t)snprintf(buf + len, n - len, "%s'%s'", count ? ", " : "",
                                a->fields[i].name);
        count++;
    }
    return count;
}

int rubric_diff(const rubric *a, const rubric *b, char *out, size_t n)
{
    out[0] = '\0';
    char *ja = rubric_to_json_new(a), *jb = rubric_to_json_new(b);
    int same = strcmp(ja, jb) == 0;
    free(ja);
    free(jb);
    if (same) return 0;
    int k = 0;
    char names[512];
    int m = missing_names(b, a, names, sizeof names);
    if (m) diff_add(out, n, &k, "field%s %s only in the new rubric", m > 1 ? "s" : "", names);
    m = missing_names(a, b, names, sizeof names);
    if (m) diff_add(out, n, &k, "field%s %s only in the pool's", m > 1 ? "s" : "", names);
    for (size_t i = 0; i < a->nfields; i++) {
        const rubric_field *f = &a->fields[i];
        int j = rubric_field_index(b, f->name);
        if (j < 0) continue;
        const rubric_field *g = &b->fields[j];
        if (f->kind != g->kind)
            diff_add(out, n, &k, "field '%s': kind %s -> %s", f->name,
                     kind_names[f->kind], kind_names[g->kind]);
        else if (f->lo != g->lo || f->hi != g->hi)
            diff_add(out, n, &k, "field '%s': range %g-%g -> %g-%g", f->name,
                     f->lo, f->hi, g->lo, g->hi);
        else if (f->kind == FIELD_SCORE && f->weight != g->weight)
            diff_add(out, n, &k, "field '%s': weight %g -> %g", f->name,
                     f->weight, g->weight);
        else if (f->kind == FIELD_SCORE && f->higher_is_better != g->higher_is_better)
            diff_add(out, n, &k, "field '%s': higher_is_better %s -> %s", f->name,
                     f->higher_is_better ? "true" : "false",
                     g->higher_is_better ? "true" : "false");
        else if (strcmp(f->desc, g->desc) != 0)
            diff_add(out, n, &k, "field '%s': other description", f->name);
        else if ((size_t)j != i)
            diff_add(out, n, &k, "field '%s': other position", f->name);
    }
    if (strcmp(a->instructions, b->instructions) != 0)
        diff_add(out, n, &k, "other instructions");
    if (!k) diff_add(out, n, &k, "other name");
    return 1;
}

int rubric_field_index(const rubric *r, const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (strcmp(r->fields[i].name, name) == 0) return (int)i;
    return -1;
}

int rubric_overall_index(const rubric *r)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_OVERALL) return (int)i;
    return -1;
}

int rubric_is_scored(const rubric_field *f)
{
    return f->kind == FIELD_SCORE || f->kind == FIELD_OVERALL;
}

int rubric_is_output(const rubric_field *f) { return f->kind != FIELD_INPUT; }

static double round2(double v) { return round(v * 100.0) / 100.0; }

int rubric_validate_value(const rubric_field *f, double v, double *out)
{
    if (!isfinite(v)) return 0;
    if (v < f->lo) v = f->lo;
    if (v > f->hi) v = f->hi;
    *out = round2(v);
    /* Rounding must not leave the range (lo, hi with 3+ decimals). */
    if (*out < f->lo) *out = f->lo;
    if (*out > f->hi) *out = f->hi;
    if (*out == 0) *out = 0; /* no negative zero */
    return 1;
}

int rubric_validate_score(const rubric_field *f, const char *text, double *out)
{
    if (!text) return 0;
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    /* Accept a plain decimal number only: strtod would also take "inf",
     * "nan" and hex, which no rubric means. */
    const char *q = p;
    if (*q == '+' || *q == '-') q++;
    int digits = 0;
    while (isdigit((unsigned char)*q)) { q++; digits++; }
    if (*q == '.') {
        q++;
        while (isdigit((unsigned char)*q)) { q++; digits++; }
    }
    if (!digits) return 0;
    char *end;
    double v = strtod(p, &end);
    if (end != q) return 0;
    /* A decimal comma ("7,5" as many locales write it) is 7.5 when it is
     * unambiguous: one comma right after whole digits, 1 or 2 digits
     * after it, no dot, nothing numeric following. "7,500", "7,5,3",
     * "7.5,5" are refused rather than cut to 7. */
    if (*q == ',' && isdigit((unsigned char)q[1])) {
        const char *c = q + 1, *d = c;
        while (isdigit((unsigned char)*d)) d++;
        int has_dot = memchr(p, '.', (size_t)(q - p)) != NULL;
        if (has_dot || d - c > 2 || *d == ',' || *d == '.') return 0;
        char buf[64];
        int n = snprintf(buf, sizeof buf, "%.*s.%.*s", (int)(q - p), p,
                         (int)(d - c), c);
        if (n <= 0 || (size_t)n >= sizeof buf) return 0;
        v = strtod(buf, NULL);
        q = d;
    }
    while (*q == ' ' || *q == '\t') q++;
    /* "8/10" means 8 on a 10-point scale; "8.5 / 10" too. */
    if (*q == '/') {
        q++;
        while (isspace((unsigned char)*q)) q++;
        char *e2;
        double den = strtod(q, &e2);
        if (e2 == q || den <= 0) return 0;
        q = e2;
        if (den != f->hi) v = f->lo + v / den * (f->hi - f->lo);
        while (*q == ' ' || *q == '\t') q++;
    }
    if (*q && *q != '\n' && *q != '\r') {
        /* Trailing words ("8 - good") are tolerated only after a line break
         * or a separator; anything else is not a number. */
        if (!(*q == ',' || *q == ';' || *q == '(' || *q == '-' ||
              *q == ':'))
            return 0;
    }
    return rubric_validate_value(f, v, out);
}

int rubric_overall_from(const rubric *r, const scoreset *s, double *out)
{
    /* Each part as a share of its own range (flipped where higher is
     * worse), weighted, then placed on the overall's range: parts and
     * overall may use different scales. */
    double sum = 0, wsum = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        const rubric_field *f = &r->fields[i];
        if (f->kind != FIELD_SCORE) continue;
        if (!s->set[i]) return -1;
        double share = (s->v[i] - f->lo) / (f->hi - f->lo);
        if (!f->higher_is_better) share = 1 - share;
        sum += f->weight * share;
        wsum += f->weight;
    }
    if (wsum <= 0) return -1;
    int oi = rubric_overall_index(r);
    double lo = oi >= 0 ? r->fields[oi].lo : 0, hi = oi >= 0 ? r->fields[oi].hi : 10;
    double v = lo + sum / wsum * (hi - lo);
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    *out = round2(v);
    return 0;
}

char *rubric_scores_to_json_new(const rubric *r, const scoreset *s)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < r->nfields; i++) {
        if (!rubric_is_scored(&r->fields[i])) continue;
        if (s->set[i])
            cJSON_AddNumberToObject(o, r->fields[i].name, s->v[i]);
        else
            cJSON_AddNullToObject(o, r->fields[i].name);
    }
    char *out = json_text_new(o, 0);
    cJSON_Delete(o);
    return out;
}

int rubric_scores_from_json(const rubric *r, const char *json, scoreset *s,
                            char *err)
{
    memset(s, 0, sizeof *s);
    if (!json) return 0;
    cJSON *o = cJSON_Parse(json);
    if (!cJSON_IsObject(o)) {
        err_set(err, "scores: not a JSON object");
        cJSON_Delete(o);
        return -1;
    }
    for (size_t i = 0; i < r->nfields; i++) {
        if (!rubric_is_scored(&r->fields[i])) continue;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, r->fields[i].name);
        if (cJSON_IsNumber(v))
            s->set[i] = (unsigned char)rubric_validate_value(
                &r->fields[i], v->valuedouble, &s->v[i]);
        else if (cJSON_IsString(v))
            s->set[i] = (unsigned char)rubric_validate_score(
                &r->fields[i], v->valuestring, &s->v[i]);
    }
    cJSON_Delete(o);
    return 0;
}

/* One re.sub(r"(X)(Y)", r"\1_\2", s) step of DSPy's infer_prefix, for
 * single-character classes X and Y (matches do not overlap: the scan goes
 * on after a match). */
static char *sub_pair(const char *s, int (*x)(int), int (*y)(int))
{
    sbuf b = {0};
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        sbuf_addc(&b, s[i]);
        if (i + 1 < n && x((unsigned char)s[i]) && y((unsigned char)s[i + 1])) {
            sbuf_addc(&b, '_');
            sbuf_addc(&b, s[++i]);
        }
    }
    return sbuf_take(&b);
}

static int is_any(int c) { return c != '\n'; }
static int is_lower_digit(int c) { return islower(c) || isdigit(c); }

char *rubric_prefix_new(const char *name)
{
    /* DSPy's infer_prefix (dspy/signatures/signature.py, 2.6 and 3.x):
     *   s1 = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
     *   s2 = re.sub("([a-z0-9])([A-Z])", r"\1_\2", s1)
     *   s3 = re.sub(r"([a-zA-Z])(\d)", r"\1_\2", s2)
     *   s4 = re.sub(r"(\d)([a-zA-Z])", r"\1_\2", s3)
     *   " ".join(w if w.isupper() else w.capitalize() for w in s4.split("_"))
     * Empty words (leading, trailing or doubled '_') stay, as spaces.
     * Names are ASCII identifiers (rubric_parse_new checks). */
    sbuf b1 = {0};
    size_t n = strlen(name);
    for (size_t i = 0; i < n;) {
        if (i + 2 < n && is_any((unsigned char)name[i]) &&
            isupper((unsigned char)name[i + 1]) &&
            islower((unsigned char)name[i + 2])) {
            sbuf_addc(&b1, name[i]);
            sbuf_addc(&b1, '_');
            sbuf_addc(&b1, name[i + 1]);
            i += 2;
            while (i < n && islower((unsigned char)name[i]))
                sbuf_addc(&b1, name[i++]);
        } else {
            sbuf_addc(&b1, name[i++]);
        }
    }
    char *s1 = sbuf_take(&b1);
    char *s2 = sub_pair(s1, is_lower_digit, isupper);
    char *s3 = sub_pair(s2, isalpha, isdigit);
    char *s4 = sub_pair(s3, isdigit, isalpha);
    sbuf out = {0};
    for (const char *w = s4;;) {
        size_t k = strcspn(w, "_");
        int upper = 0, lower = 0;
        for (size_t j = 0; j < k; j++) {
            upper |= isupper((unsigned char)w[j]) != 0;
            lower |= islower((unsigned char)w[j]) != 0;
        }
        for (size_t j = 0; j < k; j++) {
            char c = w[j];
            if (!(upper && !lower))      /* not w.isupper(): capitalize */
                c = (char)(j == 0 ? toupper((unsigned char)c)
                                  : tolower((unsigned char)c));
            sbuf_addc(&out, c);
        }
        if (!w[k]) break;
        sbuf_addc(&out, ' ');
        w += k + 1;
    }
    sbuf_add(&out, ":");
    free(s1);
    free(s2);
    free(s3);
    free(s4);
    return sbuf_take(&out);
}

static void range_text(sbuf *b, const rubric_field *f)
{
    sbuf_addf(b, "%g-%g", f->lo, f->hi);
}

char *rubric_guidelines_text_new(const rubric *r)
{
    sbuf b = {0};
    sbuf_addf(&b, "Instructions: %s\n\nScore fields:\n", r->instructions);
    for (size_t i = 0; i < r->nfields; i++) {
        const rubric_field *f = &r->fields[i];
        if (!rubric_is_scored(f)) continue;
        sbuf_addf(&b, "  %s (", f->name);
        range_text(&b, f);
        if (f->kind == FIELD_OVERALL)
            sbuf_add(&b, ", the overall: follows the weighted parts");
        else
            sbuf_addf(&b, ", %s is better, weight %g",
                      f->higher_is_better ? "higher" : "lower", f->weight);
        sbuf_addf(&b, ")\n    %s\n", *f->desc ? f->desc : "(no description)");
    }
    int ntext = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        const rubric_field *f = &r->fields[i];
        if (f->kind != FIELD_TEXT) continue;
        if (!ntext++) sbuf_add(&b, "\nText outputs:\n");
        sbuf_addf(&b, "  %s\n    %s\n", f->name,
                  *f->desc ? f->desc : "(no description)");
    }
    if (r->guidelines) sbuf_addf(&b, "\nGuidelines:\n%s\n", r->guidelines);
    return sbuf_take(&b);
}
