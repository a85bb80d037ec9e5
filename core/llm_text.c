/* llm_text.c: the LLM client's text helpers (llm_int.h): secrets scrubbed
 * from what a server sends, error bodies to one line, URLs and numbers as
 * requests write them. */
#define _POSIX_C_SOURCE 200809L
#include "llm_int.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* A copy of text (received from the server) with the API key and any
 * bearer token ("Bearer <token>", as an echoed Authorization header reads)
 * replaced by "***": an endpoint that echoes the request must not get the
 * key into predictions, the response cache, program demos or exports.
 * Caller frees. */
char *llm_text_scrub_new(const char *text, size_t n, const char *key,
                               size_t *outlen)
{
    const char tok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                              "0123456789-._~+/=";
    size_t kl = key ? strlen(key) : 0;
    sbuf b = {0};
    size_t i = 0;
    while (i < n) {
        const char *p = text + i;
        if (kl && *p == key[0] && n - i >= kl && memcmp(p, key, kl) == 0) {
            sbuf_add(&b, "***");
            i += kl;
            continue;
        }
        if ((*p | 0x20) == 'b' && n - i > 6 && strncasecmp(p, "bearer", 6) == 0) {
            size_t sp = 6, tl = 0;
            while (i + sp < n && (p[sp] == ' ' || p[sp] == '\t')) sp++;
            while (i + sp + tl < n && p[sp + tl] && strchr(tok, p[sp + tl])) tl++;
            if (sp > 6 && tl >= 8) {
                sbuf_addn(&b, p, sp);
                sbuf_add(&b, "***");
                i += sp + tl;
                continue;
            }
        }
        sbuf_addc(&b, *p);
        i++;
    }
    if (outlen) *outlen = b.len;
    return sbuf_take(&b);
}

/* The same for an error message in place (NUL-terminated, ERR_MAX). */
void llm_text_scrub_err(char *msg, const char *key)
{
    char *clean = llm_text_scrub_new(msg, strlen(msg), key, NULL);
    snprintf(msg, ERR_MAX, "%s", clean);
    free(clean);
}

/* Copies s (n bytes) as one line: control characters become spaces,
 * truncated to max bytes with "...". */
void llm_text_one_line(char *out, size_t outlen, const char *s, size_t n,
                     size_t max)
{
    size_t k = 0, lim = n < max ? n : max;
    while (lim && (s[0] == ' ' || s[0] == '\n' || s[0] == '\r')) {
        s++; n--; lim--;
    }
    for (size_t i = 0; i < lim && k + 4 < outlen; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[k++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
    while (k && out[k - 1] == ' ') k--;
    if (n > max && k + 4 < outlen) { memcpy(out + k, "...", 3); k += 3; }
    out[k] = '\0';
}

/* The message of an error body: {"object":"error","message":..},
 * {"error":{"message":..}}, {"error":".."}, {"detail":".."}, else the body
 * itself (shortened). Empty when the body is empty. */
void llm_text_error_message(const char *body, size_t len, char *out,
                               size_t outlen)
{
    out[0] = '\0';
    if (!body || !len) return;
    cJSON *j = cJSON_ParseWithLength(body, len);
    const char *msg = NULL;
    if (cJSON_IsObject(j)) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "detail");
        const cJSON *em = cJSON_GetObjectItemCaseSensitive(e, "message");
        if (cJSON_IsString(em)) msg = em->valuestring;
        else if (cJSON_IsString(m)) msg = m->valuestring;
        else if (cJSON_IsString(e)) msg = e->valuestring;
        else if (cJSON_IsString(d)) msg = d->valuestring;
    }
    if (msg) llm_text_one_line(out, outlen, msg, strlen(msg), LLM_MSG_MAX);
    else llm_text_one_line(out, outlen, body, len, 200);
    cJSON_Delete(j);
}

char *llm_text_json_string_new(const char *s)
{
    cJSON *j = cJSON_CreateString(s ? s : "");
    char *out = json_text_new(j, 0);
    cJSON_Delete(j);
    return out;
}

/* Shortest "%g" text that reads back as v. */
void llm_text_fmt_double(char *out, size_t n, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, v);
        if (strtod(out, NULL) == v) return;
    }
}

char *llm_text_join_url(const char *base, const char *path)
{
    size_t n = strlen(base);
    while (n && base[n - 1] == '/') n--;
    sbuf b = {0};
    sbuf_addn(&b, base, n);
    if (strcmp(path, "/chat/completions") == 0 && n >= 17 &&
        strncmp(base + n - 17, "/chat/completions", 17) == 0)
        return sbuf_take(&b);
    sbuf_add(&b, path);
    return sbuf_take(&b);
}

