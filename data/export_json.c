/* export_json.c: see export_json.h. */
#define _POSIX_C_SOURCE 200809L
#include "export_json.h"
#include "../core/numarg.h"
#include "../core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int export_parse_program_ref(const char *s, int64_t *id, char *err)
{
    if (!s || !*s || strcmp(s, "best") == 0) {
        *id = 0;
        return 0;
    }
    char e2[ERR_MAX];
    if (numarg_int("program", s, 1, INT64_MAX, id, e2) < 0) {
        err_set(err, "%s: expected 'best' or a program id", e2);
        return -1;
    }
    return 0;
}

char *export_program_state_new(pool *p, const rubric *r, int64_t id,
                               pool_program *meta, char *err)
{
    pool_program pg;
    int rc = pool_get_program(p, id, &pg, err);
    if (rc < 0) return NULL;
    if (rc == 0) {
        if (id == 0)
            err_set(err, "no current best program (see `curate programs`; "
                    "`curate optimize` makes one, `curate import-program` "
                    "loads one)");
        else
            err_set(err, "no program %lld (see `curate programs`)", (long long)id);
        return NULL;
    }
    char perr[ERR_MAX];
    program *prog = program_from_state_json_new(pg.state_json, r, perr);
    char *out = NULL;
    if (!prog) {
        err_set(err, "program %lld: %s", (long long)pg.id, perr);
    } else {
        rubric as = *r;   /* the stored state's release unless one was chosen */
        if (!r->dspy.chosen && prog->has_dspy) as.dspy.version = prog->dspy;
        out = program_state_json_new(prog, &as);
        pg.n_demos = (int)prog->ndemos;   /* what the state holds */
        program_free(prog);
    }
    if (out && meta) {
        free(pg.state_json);
        pg.state_json = NULL;
        *meta = pg;
    } else {
        pool_program_clear(&pg);
    }
    return out;
}

int import_program_state(pool *p, const rubric *r, const char *json,
                         const import_opts *o, int64_t *id, int *ndemos,
                         char *err)
{
    program *prog = program_from_state_json_new(json, r, err);
    if (!prog) return -1;
    if (o && o->warnings)
        *o->warnings = prog->warnings ? xstrdup(prog->warnings) : NULL;
    /* Stored in the bytes of the release that wrote it (when it says),
     * so it is exported again as it came. */
    rubric as = *r;
    if (prog->has_dspy) as.dspy.version = prog->dspy;
    pool_program pg = {0};
    pg.state_json = program_state_json_new(prog, &as);
    pg.metric = "imported";
    pg.val_score = 0;
    pg.model = (char *)(o && o->model ? o->model : NULL);
    pg.note = (char *)(o && o->note ? o->note : NULL);
    pg.trainset_json = NULL;
    pg.n_demos = (int)prog->ndemos;
    pg.created_at = o && o->created_at ? o->created_at : date_now();
    int64_t nid = 0;
    int rc = pool_put_program(p, &pg, o && o->make_best, &nid, err);
    free(pg.state_json);
    if (rc == 0) {
        if (id) *id = nid;
        if (ndemos) *ndemos = (int)prog->ndemos;
    }
    program_free(prog);
    return rc < 0 ? -1 : 0;
}
