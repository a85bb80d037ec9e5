/* test_job_optimize.c: the optimisation outcome the workbench shows from a
 * run's stored summary. */
#include "test.h"
#include "../../core/rubric.h"
#include "../../tui/app/job_optimize.h"

#include <stdlib.h>

TEST(optimize_outcome_counts_requests_and_fallbacks)
{
    rubric *r = rubric_default_new();
    char *t = job_optimize_outcome_new(r,
        "{\"improved\": false, \"val\": 3, \"requests\": 16, "
        "\"cache_hits\": 2, \"json_fallbacks\": 8, "
        "\"candidate\": {\"mean\": 0.7, \"metric\": \"diversity\"}, "
        "\"baseline\": {\"mean\": 0.7}}");
    CHECK(t && strstr(t, "Requests: 16 sent, 2 answered from the cache; 8 "
                         "through the JSON fallback\n"));
    free(t);
    /* a run stored before the counts existed: no such line */
    t = job_optimize_outcome_new(r, "{\"improved\": true, \"val\": 3}");
    CHECK(t && !strstr(t, "Requests:"));
    free(t);
    rubric_free(r);
}
