/* json.h: cJSON text that can be released with free(). */
#ifndef CURATE_JSON_H
#define CURATE_JSON_H

struct cJSON;

/* j as JSON text (pretty: cJSON's indented form, else compact), to be
 * released with free() whatever allocator cJSON was built with. Caller
 * frees; j stays the caller's. */
char *json_text_new(const struct cJSON *j, int pretty);

#endif
