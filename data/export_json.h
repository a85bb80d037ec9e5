/* export_json.h: the program store <-> DSPy program state JSON (the file
 * `dspy.Module.save("x.json")` writes and `ChatAnalyzer().load("x.json")`
 * reads; layout in core/program.h). Files are the caller's business: this
 * module moves validated state text in and out of the pool. */
#ifndef CURATE_EXPORT_JSON_H
#define CURATE_EXPORT_JSON_H

#include <stdint.h>
#include "pool.h"
#include "../core/program.h"

/* The default file name of `curate export json` (the type name the
 * MongoDB export uses, so both name the same thing). */
#define EXPORT_JSON_DEFAULT_FILE "chat_analyzer_optimizer.json"

/* Parses "best" (-> 0) or a positive program id. 0 or -1 + err. */
int export_parse_program_ref(const char *s, int64_t *id, char *err);

/* The state JSON of program id (0 = the current best), re-validated
 * against r and re-written by program_state_json_new, i.e. byte for byte
 * what Module.save() writes: of release r->dspy when r->dspy.chosen, else
 * of the release the stored state names (what it was optimised for). meta (may be NULL) receives the
 * row without its state, n_demos being the state's demo count (caller
 * calls pool_program_clear). Caller frees
 * the result; NULL + err ("no program 7", "no current best program ...",
 * "program 7: state is for another signature: ..."). */
char *export_program_state_new(pool *p, const rubric *r, int64_t id,
                               pool_program *meta, char *err);

typedef struct {
    const char *note;      /* e.g. "imported from FILE"; may be NULL */
    const char *model;     /* may be NULL */
    int64_t created_at;    /* 0 = now */
    int make_best;         /* also make it the current best */
    char **warnings;       /* optional out: what to tell the user about the
                              state (lines, malloc'd) or NULL */
} import_opts;

/* Validates a state written by DSPy (2.6 / 3.x) or curate against r and
 * stores it as a new program (metric "imported", no validation score,
 * state re-written as Module.save of the release its metadata names (else
 * r->dspy) writes it; demos as they came, extra keys included). Nothing is stored on error.
 * Returns 0 with *id and *ndemos (either may be NULL) or -1 + err. */
int import_program_state(pool *p, const rubric *r, const char *json,
                         const import_opts *o, int64_t *id, int *ndemos,
                         char *err);

#endif
