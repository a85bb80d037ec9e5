/* ui_export.c: exporting a program from the workbench, in the background:
 * its DSPy state JSON to a file (export_json.h) or to MongoDB
 * (export_mongo.h, URI from CURATE_MONGO_URI), as `curate export` does. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "../app/job_sync.h"
#include "../../data/export_json.h"
#include "../../data/export_mongo.h"
#include "../../core/outfile.h"
#include "../../core/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t program_id;    /* 0 = the current best */
    char *path;            /* file export, or NULL for MongoDB */
    char *uri;
} export_arg;

static int mongo_ready;    /* export_mongo_init() done in this process */

static void export_arg_free(void *arg)
{
    export_arg *a = arg;
    free(a->path);
    free(a->uri);
    free(a);
}

static int export_job(ui_job_ctx *c)
{
    export_arg *a = c->arg;
    pool_program meta;
    memset(&meta, 0, sizeof meta);
    ui_job_progress(c, 0, 1, 0, "reading the program");
    char *state = export_program_state_new(c->p, c->o->r, a->program_id, &meta,
                                           c->err);
    if (!state) return -1;
    int rc;
    if (a->path) {
        rc = outfile_write_all(a->path, state, strlen(state), 0, c->err);
        if (rc == 0)
            ui_job_log(c, "program %lld (%d %s) written to %s",
                       (long long)meta.id, meta.n_demos,
                       ui_plural(meta.n_demos, "demo", "demos"), a->path);
    } else {
        mongo_target t = {.uri = a->uri};
        mongo_result res;
        memset(&res, 0, sizeof res);
        ui_job_progress(c, 0, 1, 0, "writing to MongoDB");
        rc = export_mongo_put(&t, state, meta.created_at, meta.n_demos, &res,
                              c->err);
        if (rc == 0)
            ui_job_log(c, "program %lld (%d %s) %s %s at %s",
                       (long long)meta.id, meta.n_demos,
                       ui_plural(meta.n_demos, "demo", "demos"),
                       res.inserted ? "inserted into" : "replaced in", res.where,
                       res.uri);
    }
    if (rc == 0) ui_job_progress(c, 1, 1, 0, "done");
    free(state);
    pool_program_clear(&meta);
    return rc;
}

static void start(ui *u, int64_t id, const char *path, const char *uri)
{
    export_arg *a = xcalloc(1, sizeof *a);
    a->program_id = id;
    a->path = xstrdup(path);
    a->uri = xstrdup(uri);
    ui_job_start(u, path ? "Export JSON" : "Export MongoDB", export_job, a,
                 export_arg_free);
}

static void path_done(ui *u, screen *s, const char *text)
{
    (void)s;
    if (!text[0]) {
        ui_error(u, "export: no file name");
        return;
    }
    start(u, u->pending_program, text, NULL);
}

const char *ui_export_mongo_unavailable(ui *u)
{
    (void)u;
    const char *uri = getenv("CURATE_MONGO_URI");
    return uri && *uri ? NULL : "set CURATE_MONGO_URI first";
}

void ui_action_export(ui *u, int64_t program_id, int mongo)
{
    if (ui_job_running(u)) {
        ui_error(u, "an action is running (X cancels it)");
        return;
    }
    u->pending_program = program_id;
    if (!mongo) {
        ui_prompt(u, u->top, "Export to file: ", EXPORT_JSON_DEFAULT_FILE,
                  path_done);
        return;
    }
    const char *why = ui_export_mongo_unavailable(u);
    if (why) {
        ui_error(u, "export to MongoDB: %s", why);
        return;
    }
    if (!mongo_ready) {
        export_mongo_init();
        mongo_ready = 1;
    }
    start(u, program_id, NULL, getenv("CURATE_MONGO_URI"));
}

/* The program state production runs, back into the store (as `curate
 * import-program mongo`): validated against the rubric, not made best. */
static int mongo_import_job(ui_job_ctx *c)
{
    mongo_target t = {.uri = c->arg};
    mongo_result res;
    memset(&res, 0, sizeof res);
    int64_t at = 0;
    ui_job_progress(c, 0, 1, 0, "reading from MongoDB");
    char *state = export_mongo_get_state_new(&t, &at, &res, c->err);
    if (!state) return -1;
    char note[900];
    snprintf(note, sizeof note, "imported from %s type %s at %s", res.where,
             MONGO_DEFAULT_TYPE, res.uri);
    import_opts o = {.note = note, .created_at = at};
    int64_t id = 0;
    int ndemos = 0;
    int rc = import_program_state(c->p, c->o->r, state, &o, &id, &ndemos,
                                  c->err);
    free(state);
    if (rc == 0) {
        ui_job_log(c, "program %lld: %s (%d %s); P lists it", (long long)id,
                   note, ndemos, ui_plural(ndemos, "demo", "demos"));
        ui_job_progress(c, 1, 1, 0, "done");
    }
    return rc;
}

void ui_action_import_mongo(ui *u)
{
    const char *why = ui_export_mongo_unavailable(u);
    if (why) {
        ui_error(u, "import from MongoDB: %s", why);
        return;
    }
    if (!mongo_ready) {
        export_mongo_init();
        mongo_ready = 1;
    }
    ui_job_start(u, "Import MongoDB", mongo_import_job,
                 xstrdup(getenv("CURATE_MONGO_URI")), free);
}

/* ---- sync with the team store (job_sync.h, as `curate sync`) ---- */

static void sync_progress_cb(const char *stage, int64_t done, int64_t total, void *ctx)
{
    ui_job_progress(ctx, (long)done, (long)total, 0, stage);
}

static int sync_cancel_cb(void *ctx)
{
    ui_job_ctx *c = ctx;
    return atomic_load(&c->cancel);
}

static int sync_job(ui_job_ctx *c)
{
    job_sync_opts o = {.uri = c->arg, .progress = sync_progress_cb,
                       .cancel = sync_cancel_cb, .ctx = c};
    job_sync_summary s;
    ui_job_progress(c, 0, 1, 0, "connecting");
    if (job_sync_run(c->p, &o, &s, c->err) < 0) return -1;
    int64_t pushed = 0, pulled = 0, big = 0;
    for (int k = 0; k < SYNC_NKINDS; k++) {
        pushed += s.pushed[k];
        pulled += s.pulled[k];
        big += s.too_large[k];
    }
    ui_job_log(c, "%s with %s: %lld items pushed, %lld pulled (%lld labels in)%s%s",
               s.cancelled ? "sync stopped" : "synced", s.shown, (long long)pushed,
               (long long)pulled, (long long)s.pulled[SYNC_LABELS],
               s.waiting ? "; some wait for their conversation" : "",
               big ? "; some too large for MongoDB (16 MiB) stay here" : "");
    ui_job_progress(c, 1, 1, 0, "done");
    return 0;
}

void ui_action_sync(ui *u)
{
    const char *why = ui_export_mongo_unavailable(u);
    if (why) {
        ui_error(u, "sync: %s", why);
        return;
    }
    if (!mongo_ready) {
        export_mongo_init();
        mongo_ready = 1;
    }
    ui_job_start(u, "Sync", sync_job, xstrdup(getenv("CURATE_MONGO_URI")), free);
}

void ui_export_cleanup(void)
{
    if (mongo_ready) export_mongo_cleanup();
    mongo_ready = 0;
}
