/* ui_files.c: the workbench's file actions, in the background, as the CLI
 * does them: the labeled pool as DSPy Example dicts (`curate export pool`)
 * and a program state loaded from a file (`curate import-program json`). */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "../../data/export_json.h"
#include "../../data/export_pool.h"
#include "../../core/outfile.h"
#include "../../core/util.h"

#include <stdlib.h>
#include <string.h>

static int pool_export_job(ui_job_ctx *c)
{
    const char *path = c->arg;
    export_pool_opts o = {.sel = EXPORT_REVIEWED};
    sbuf out = {0};
    int n = 0, skipped = 0;
    ui_job_progress(c, 0, 1, 0, "reading the reviewed examples");
    int rc = export_pool_examples(c->p, c->o->r, &o, &out, &n, &skipped, c->err);
    if (rc == 0)
        rc = outfile_write_all(path, out.s ? out.s : "", out.len, 0, c->err);
    if (rc == 0) {
        ui_job_log(c, "%d reviewed examples written to %s (DSPy Example "
                   "dicts, JSONL)", n, path);
        ui_job_progress(c, 1, 1, 0, "done");
    }
    sbuf_free(&out);
    return rc;
}

/* The queue's view, as `curate export pool --filter`. */
typedef struct {
    ui_view view;
    char *path;
} view_export_arg;

static void view_export_arg_free(void *arg)
{
    view_export_arg *a = arg;
    ui_view_clear(&a->view);
    free(a->path);
    free(a);
}

static int view_export_job(ui_job_ctx *c)
{
    view_export_arg *a = c->arg;
    export_pool_opts o = {.sel = EXPORT_VIEW, .view = &a->view.f};
    sbuf out = {0}, what = {0};
    int n = 0, skipped = 0;
    ui_job_progress(c, 0, 1, 0, "reading the view's examples");
    int rc = export_pool_examples(c->p, c->o->r, &o, &out, &n, &skipped, c->err);
    if (rc == 0)
        rc = outfile_write_all(a->path, out.s ? out.s : "", out.len, 0, c->err);
    if (rc == 0) {
        pool_filter_describe(&a->view.f, &what);
        ui_job_log(c, "%d examples of the view (%s) written to %s (DSPy "
                   "Example dicts, JSONL); %d without a current label left "
                   "out", n, what.s, a->path, skipped);
        ui_job_progress(c, 1, 1, 0, "done");
    }
    sbuf_free(&what);
    sbuf_free(&out);
    return rc;
}

static ui_view pending_view;   /* the view an export prompt is for */

static void view_path_done(ui *u, screen *s, const char *text)
{
    (void)s;
    if (!text[0]) {
        ui_error(u, "export: no file name");
        ui_view_clear(&pending_view);
        return;
    }
    view_export_arg *a = xcalloc(1, sizeof *a);
    a->view = pending_view;          /* its strings move to the job */
    memset(&pending_view, 0, sizeof pending_view);
    a->path = xstrdup(text);
    ui_job_start(u, "Export view", view_export_job, a, view_export_arg_free);
}

void ui_action_export_view(ui *u)
{
    const pool_filter *f = ui_queue_view(u);
    if (!f) {
        ui_error(u, "export view: open the queue first");
        return;
    }
    ui_view_clear(&pending_view);
    ui_view_copy(&pending_view, f);
    /* (the prompt's label is short: the log line names the view) */
    ui_prompt(u, u->top, "Export the queue's view to: ",
              EXPORT_POOL_DEFAULT_JSONL, view_path_done);
}

static int import_job(ui_job_ctx *c)
{
    const char *path = c->arg;
    ui_job_progress(c, 0, 1, 0, "reading the state");
    char *json = file_read_new(path, NULL, c->err);
    if (!json) return -1;
    char note[600];
    snprintf(note, sizeof note, "imported from %s", path);
    import_opts o = {.note = note};
    int64_t id = 0;
    int ndemos = 0;
    /* Validated against the rubric; nothing is stored on error. */
    int rc = import_program_state(c->p, c->o->r, json, &o, &id, &ndemos, c->err);
    free(json);
    if (rc == 0) {
        ui_job_log(c, "program %lld: imported from %s (%d %s); P lists it, "
                   "b there makes it the best", (long long)id, path, ndemos,
                   ui_plural(ndemos, "demo", "demos"));
        ui_job_progress(c, 1, 1, 0, "done");
    }
    return rc;
}

static void pool_path_done(ui *u, screen *s, const char *text)
{
    (void)s;
    if (!text[0]) {
        ui_error(u, "export: no file name");
        return;
    }
    ui_job_start(u, "Export pool", pool_export_job, xstrdup(text), free);
}

static void import_path_done(ui *u, screen *s, const char *text)
{
    (void)s;
    if (!text[0]) {
        ui_error(u, "import: no file name");
        return;
    }
    ui_job_start(u, "Import program", import_job, xstrdup(text), free);
}

void ui_action_export_pool(ui *u)
{
    ui_prompt(u, u->top, "Export reviewed examples to: ",
              EXPORT_POOL_DEFAULT_JSONL, pool_path_done);
}

void ui_action_import_program(ui *u)
{
    ui_prompt(u, u->top, "Import program state (DSPy JSON): ", "",
              import_path_done);
}
