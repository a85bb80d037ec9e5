/* llm_int.h: what the llm*.c files share and nobody else uses
 * (llm_text.c: text received from servers and written into requests). */
#ifndef CURATE_LLM_INT_H
#define CURATE_LLM_INT_H

#include <stddef.h>

/* Longest error message kept from a server's answer, in bytes. */
#define LLM_MSG_MAX 300

/* A copy of text (n bytes, received from the server) with the API key and
 * any bearer token replaced by "***"; *outlen (may be NULL) its length.
 * Caller frees. */
char *llm_text_scrub_new(const char *text, size_t n, const char *key,
                         size_t *outlen);
/* The same for an error message in place (NUL-terminated, ERR_MAX). */
void llm_text_scrub_err(char *msg, const char *key);
/* s (n bytes) as one line into out: control characters become spaces,
 * cut to max bytes with "...". */
void llm_text_one_line(char *out, size_t outlen, const char *s, size_t n,
                       size_t max);
/* The message of an error body ({"object":"error","message":..},
 * {"error":{"message":..}}, {"error":".."}, {"detail":".."}, else the body
 * shortened) into out; empty for an empty body. */
void llm_text_error_message(const char *body, size_t len, char *out,
                            size_t outlen);
/* s as a JSON string literal (quotes included). Caller frees. */
char *llm_text_json_string_new(const char *s);
/* v with the fewest digits that read back as v ("0.7", not
 * "0.69999999999999996"), as requests and the cache key write it. */
void llm_text_fmt_double(char *out, size_t n, double v);
/* base (trailing slashes dropped) followed by path; a base that already
 * ends in /chat/completions is kept as it is for that path. Caller frees. */
char *llm_text_join_url(const char *base, const char *path);

#endif
