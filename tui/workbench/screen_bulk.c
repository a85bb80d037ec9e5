/* screen_bulk.c: bulk accept of the queue's view (A on the queue, or the
 * actions menu): the preview (review_bulk.h: the view in words, how many
 * are accepted, why the others are left alone, a sample with the model's
 * overall), then y accepts them all in the background, as one
 * transaction and one batch that u undoes whole. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "ui_keys.h"
#include "../app/review_bulk.h"
#include "../../core/util.h"

#include <stdlib.h>
#include <string.h>

/* ---- the job ---- */

typedef struct {
    ui_view view;
    int64_t want;           /* what the preview said */
} bulk_arg;

static void bulk_arg_free(void *arg)
{
    bulk_arg *a = arg;
    ui_view_clear(&a->view);
    free(a);
}

static int bulk_progress(void *ctx, int64_t done, int64_t total)
{
    ui_job_ctx *c = ctx;
    ui_job_progress(c, (long)done, (long)total, 0, "accepting (X cancels: nothing is kept)");
    return atomic_load(&c->cancel);
}

static int bulk_job(ui_job_ctx *c)
{
    bulk_arg *a = c->arg;
    review_bulk_result res;
    if (review_bulk_accept(c->p, c->o->r, c->o->reviewer, &a->view.f,
                           bulk_progress, c, &res, c->err) < 0) {
        if (!atomic_load(&c->cancel)) return -1;
        /* X: rolled back whole; the status line says "cancelled" */
        ui_job_log(c, "bulk accept cancelled: nothing was accepted");
        c->err[0] = 0;
        return 0;
    }
    if (res.batch == 0)
        ui_job_log(c, "bulk accept: nothing to accept (the pool changed since "
                   "the preview)");
    else
        ui_job_log(c, "bulk accept: %lld conversations accepted as batch #%lld%s;"
                   " u undoes the whole batch", (long long)res.n[BULK_ACCEPT],
                   (long long)res.batch,
                   res.n[BULK_ACCEPT] != a->want ? " (the pool changed since the "
                   "preview)" : "");
    return 0;
}

/* ---- the preview screen ---- */

typedef struct {
    screen base;
    ui_view view;
    review_bulk_plan plan;
    char *text;             /* review_bulk_plan_text */
} bulk_screen;

static void bulk_draw(ui *u, screen *s, int top, int rows)
{
    bulk_screen *b = (bulk_screen *)s;
    int y = top + 1;
    ui_put(u, y++, 2, COLS - 4, "Bulk accept: every conversation of the "
           "queue's view whose prediction is ok", A_BOLD);
    y++;
    const char *line = b->text;
    while (line && *line && y < top + rows - 3) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        char *one = xstrndup(line, n);
        ui_put(u, y++, 2, COLS - 4, one, UI_PLAIN);
        free(one);
        line = nl ? nl + 1 : NULL;
    }
    y++;
    if (b->plan.n[BULK_ACCEPT] > 0)
        ui_putf(u, y, 2, COLS - 4, ui_attr(u, A_UI_WARN) | A_BOLD,
                "y accepts these %lld as yours (one batch: u undoes it all)"
                "   n / Esc cancels", (long long)b->plan.n[BULK_ACCEPT]);
    else
        ui_put(u, y, 2, COLS - 4, "Nothing to accept in this view.   q / Esc "
               "goes back", ui_attr(u, A_UI_DIM));
}

static int b_yes(ui *u, screen *s, ui_key k)
{
    bulk_screen *b = (bulk_screen *)s;
    if (b->plan.n[BULK_ACCEPT] == 0) {
        ui_pop(u);
        return 1;
    }
    bulk_arg *a = xcalloc(1, sizeof *a);
    ui_view_copy(&a->view, &b->view.f);
    a->want = b->plan.n[BULK_ACCEPT];
    ui_pop(u);
    ui_job_start(u, "Bulk accept", bulk_job, a, bulk_arg_free);
    return 1;
}

static int b_no(ui *u, screen *s, ui_key k)
{
    ui_pop(u);
    ui_status(u, "bulk accept cancelled: nothing was accepted");
    return 1;
}

static const ui_keydef bulk_keys[] = {
    {0, 0, NULL, "Bulk accept", ""},
    {'y', 0, b_yes, "accept them all (in the background; X cancels, keeping none)", NULL},
    {'n', 0, b_no, "cancel: nothing is accepted", NULL},
    {27, 0, b_no, NULL, NULL},
    {'q', 0, b_no, NULL, NULL},
    UI_KEYS_END,
};

static void bulk_destroy(screen *s)
{
    bulk_screen *b = (bulk_screen *)s;
    ui_view_clear(&b->view);
    review_bulk_plan_clear(&b->plan);
    free(b->text);
    free(b);
}

void ui_action_bulk_accept(ui *u)
{
    const pool_filter *f = ui_queue_view(u);
    if (!f) {
        ui_error(u, "bulk accept: open the queue first (its tab, filter and "
                 "search make the view)");
        return;
    }
    if (ui_job_running(u)) {
        ui_error(u, "an action is running (X cancels it)");
        return;
    }
    bulk_screen *b = xcalloc(1, sizeof *b);
    ui_view_copy(&b->view, f);
    char err[ERR_MAX];
    if (review_bulk_plan_make(u->p, u->r, u->o->reviewer, &b->view.f, &b->plan,
                              err) < 0) {
        ui_error(u, "bulk accept: %s", err);
        bulk_destroy(&b->base);
        return;
    }
    sbuf t = {0};
    review_bulk_plan_text(&b->plan, &t);
    b->text = sbuf_take(&t);
    b->base.title = "Bulk accept";
    b->base.hint = "y accept all  n/Esc cancel  ? help";
    b->base.keys = bulk_keys;
    b->base.draw = bulk_draw;
    b->base.destroy = bulk_destroy;
    ui_push(u, &b->base);
}
