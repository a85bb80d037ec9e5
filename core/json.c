/* json.c: see json.h. */
#include "json.h"
#include "xalloc.h"

#include <cjson/cJSON.h>

char *json_text_new(const cJSON *j, int pretty)
{
    char *t = pretty ? cJSON_Print(j) : cJSON_PrintUnformatted(j);
    char *out = xstrdup(t ? t : "null");
    cJSON_free(t);
    return out;
}
