/* ui_actions.c: the actions menu (x): background actions (scoring,
 * optimising, exporting) as they exist in this build. Each entry wraps a
 * core function in a ui_job (ui_job.c). */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "ui_keys.h"
#include "../app/job_score.h"
#include "../../core/util.h"

#include <stdlib.h>
#include <string.h>

/* ---- scoring (job_score.h: the same glue `curate score` uses) ---- */

typedef struct {
    pool_filter f;
    char *one;             /* a single conversation, or NULL */
    llm_config llm;
    scorer_backend backend;
    int no_cache;
} score_arg;

static void score_arg_free(void *arg)
{
    score_arg *a = arg;
    llm_config_clear(&a->llm);
    free(a->one);
    free(a);
}

static void score_progress_cb(const score_progress *sp, void *ctx)
{
    ui_job_ctx *c = ctx;
    char what[128];
    if (sp->limit > 0)
        snprintf(what, sizeof what, "%zu ok, %zu partial, %zu cached, "
                 "%zu retried, limit %d", sp->ok, sp->partial, sp->cache_hits,
                 sp->retried, sp->limit);
    else
        snprintf(what, sizeof what, "%zu ok, %zu partial, %zu cached, "
                 "%zu retried", sp->ok, sp->partial, sp->cache_hits,
                 sp->retried);
    ui_job_progress(c, (long)sp->done, (long)sp->total, (long)sp->failed, what);
}

static int score_cancel_cb(void *ctx)
{
    ui_job_ctx *c = ctx;
    return atomic_load(&c->cancel);
}

static int score_job(ui_job_ctx *c)
{
    score_arg *a = c->arg;
    char **ids = NULL;
    size_t n = 0;
    if (a->one) {
        ids = xmalloc(sizeof *ids);
        ids[0] = xstrdup(a->one);
        n = 1;
    } else if (job_ids_from_filter(c->p, &a->f, &ids, &n, c->err) < 0) {
        return -1;
    }
    if (n == 0) {
        job_ids_free(ids, n);
        snprintf(c->err, sizeof c->err, "nothing to score");
        return -1;
    }
    ui_job_progress(c, 0, (long)n, 0, "starting");
    job_score_opts o = {
        .backend = a->backend, .llm = &a->llm, .program = "best",
        .no_cache = a->no_cache, .progress = score_progress_cb,
        .cancel = score_cancel_cb, .ctx = c,
    };
    int64_t run_id = 0;
    score_summary sum;
    memset(&sum, 0, sizeof sum);
    /* The rubric is read-only and outlives the job (ui_job_free joins). */
    int rc = job_score_run(c->p, c->o->r, &o, ids, n, &run_id, &sum, c->err);
    job_ids_free(ids, n);
    if (rc == 0) {
        ui_job_log(c, "run %lld: %zu scored (%zu ok, %zu partial, %zu failed, "
                   "%zu cached, %zu via JSON fallback, %zu not run) in %.1fs%s%s",
                   (long long)run_id, sum.total, sum.ok, sum.partial, sum.failed,
                   sum.cache_hits, sum.fallbacks,
                   sum.not_run, sum.wall_s, sum.last_error[0] ? "; last error: " : "",
                   sum.last_error);
        if (sum.failed && sum.last_error[0])
            snprintf(c->err, sizeof c->err, "last error: %s", sum.last_error);
        for (size_t i = 0; sum.nendpoints > 1 && i < sum.nendpoints; i++) {
            const score_endpoint *e = &sum.endpoints[i];
            ui_job_log(c, "  endpoint %s: %zu requests, %zu errors, "
                       "%.0f ms mean, limit up to %d", e->url, e->attempts,
                       e->errors, e->mean_latency_ms, e->max_limit);
        }
    }
    score_summary_clear(&sum);
    return rc;
}

static void score_start(ui *u, const char *name, const pool_filter *f,
                        const char *one, int no_cache)
{
    score_arg *a = xcalloc(1, sizeof *a);
    if (f) a->f = *f;
    a->f.search = NULL;
    a->f.seller = NULL;
    a->one = xstrdup(one);
    llm_config_init(&a->llm);
    llm_config_from_env(&a->llm);
    a->backend = job_score_default_backend(&a->llm);
    a->no_cache = no_cache;
    char err[ERR_MAX];
    if (a->backend == SCORER_LLM && llm_config_check(&a->llm, err) < 0) {
        ui_error(u, "%s: %s", name, err);
        score_arg_free(a);
        return;
    }
    char title[160];
    snprintf(title, sizeof title, "%s (%s)", name,
             a->backend == SCORER_LLM ? (a->llm.model ? a->llm.model : "llm")
                                      : "heuristic");
    ui_job_start(u, title, score_job, a, score_arg_free);
}

void ui_action_score_one(ui *u, const char *conv_id)
{
    if (!conv_id) {
        ui_error(u, "no conversation selected");
        return;
    }
    score_start(u, "Re-score", NULL, conv_id, 1);
}

static void act_score_selected(ui *u)
{
    ui_action_score_one(u, ui_current_conv(u));
}

static void act_score_unscored(ui *u)
{
    pool_filter f = {.kind = FILTER_UNSCORED};
    score_start(u, "Score unscored", &f, NULL, 0);
}

static void act_score_to_review(ui *u)
{
    pool_filter f = {.kind = FILTER_TO_REVIEW};
    score_start(u, "Re-score to review", &f, NULL, 0);
}

static void act_score_all(ui *u)
{
    pool_filter f = {.kind = FILTER_ALL};
    score_start(u, "Score all", &f, NULL, 0);
}

static const char *need_selection(ui *u)
{
    return ui_current_conv(u) ? NULL : "select a conversation first";
}

static const char *busy(ui *u)
{
    return ui_job_running(u) ? "an action is running (X cancels it)" : NULL;
}

static void act_export_json(ui *u) { ui_action_export(u, 0, 0); }
static void act_export_mongo(ui *u) { ui_action_export(u, 0, 1); }

static const char *mongo_idle(ui *u)
{
    const char *b = busy(u);
    return b ? b : ui_export_mongo_unavailable(u);
}

static const char *need_sel_idle(ui *u)
{
    const char *b = busy(u);
    return b ? b : need_selection(u);
}

static const char *need_view_idle(ui *u)
{
    const char *b = busy(u);
    return b ? b : ui_queue_view(u) ? NULL : "open the queue first";
}

typedef struct {
    int key;
    const char *label;
    /* NULL when available, else why not (shown greyed). */
    const char *(*unavailable)(ui *u);
    void (*start)(ui *u);
} ui_action;

static const ui_action actions[] = {
    {'s', "Score the selected conversation (fresh, no cache)", need_sel_idle,
     act_score_selected},
    {'u', "Score every unscored conversation", busy, act_score_unscored},
    {'t', "Re-score the conversations to review (a new run)", busy,
     act_score_to_review},
    {'a', "Score all conversations (a new run, for before/after)", busy,
     act_score_all},
    {'o', "Optimise: BootstrapFewShot, kept only if it beats the best", busy,
     ui_action_optimize},
    {'e', "Export the best program as DSPy JSON (a file)", busy,
     act_export_json},
    {'m', "Export the best program to MongoDB (CURATE_MONGO_URI)", mongo_idle,
     act_export_mongo},
    {'l', "Export the reviewed examples as JSONL (DSPy Example dicts)", busy,
     ui_action_export_pool},
    {'v', "Export the queue's view (tab, filter, search) as JSONL", need_view_idle,
     ui_action_export_view},
    {'b', "Bulk accept the queue's view (ok predictions; preview first)",
     need_view_idle, ui_action_bulk_accept},
    {'i', "Import a program state from a DSPy JSON file", busy,
     ui_action_import_program},
    {'g', "Import the program state from MongoDB (CURATE_MONGO_URI)",
     mongo_idle, ui_action_import_mongo},
    {'y', "Sync with the team store in MongoDB (CURATE_MONGO_URI)", mongo_idle,
     ui_action_sync},
    {0, NULL, NULL, NULL},
};

static int nactions(void)
{
    int n = 0;
    while (actions[n].label) n++;
    return n;
}

const char *ui_current_conv(ui *u)
{
    screen *s = u->top;
    while (s) {
        if (s->title && !strcmp(s->title, "Review")) return screen_review_current(s);
        if (s->title && !strcmp(s->title, "Queue")) return screen_queue_selected(s);
        s = s->below;
    }
    return NULL;
}

void ui_menu_draw(ui *u)
{
    int n = nactions();
    int w = COLS - 4 < 70 ? COLS - 4 : 70;
    llm_config c;
    llm_config_init(&c);
    llm_config_from_env(&c);
    int llm = job_score_default_backend(&c) == SCORER_LLM;
    /* Rows: border, blank, the actions, blank, the scorer, its URL (when
     * there is one), border. */
    int h = (n ? n : 2) + 5 + (llm && c.base_url);
    int x = (COLS - w) / 2, y = 3;
    ui_box(u, y, x, h, w, "Actions (Enter runs, q closes, ? help)");
    if (n == 0) {
        ui_put(u, y + 2, x + 2, w - 4, "No background actions in this build "
               "yet: scoring, optimising and exporting appear here as their "
               "modules land.", ui_attr(u, A_UI_DIM));
        llm_config_clear(&c);
        return;
    }
    if (u->menu_sel >= n) u->menu_sel = n - 1;
    ui_putf(u, y + 3 + n, x + 2, w - 4, ui_attr(u, A_UI_DIM), "scorer: %s%s%s",
            llm ? "LLM " : "heuristic baseline (set CURATE_LLM_URL for an LLM)",
            llm && c.model ? c.model : "", llm && c.base_url ? " at " : "");
    if (llm && c.base_url)
        ui_put(u, y + 4 + n, x + 4, w - 6, c.base_url, ui_attr(u, A_UI_DIM));
    llm_config_clear(&c);
    for (int i = 0; i < n; i++) {
        const char *why = actions[i].unavailable ? actions[i].unavailable(u) : NULL;
        int a = i == u->menu_sel ? ui_attr(u, A_UI_SEL) : UI_PLAIN;
        if (why) a |= A_DIM;
        ui_fill(y + 2 + i, x + 1, w - 2, a);
        ui_putf(u, y + 2 + i, x + 2, w - 4, a, "%c  %s%s%s", actions[i].key,
                actions[i].label, why ? "  - " : "", why ? why : "");
    }
}

static void run(ui *u, int i)
{
    const char *why = actions[i].unavailable ? actions[i].unavailable(u) : NULL;
    if (why) {
        ui_error(u, "%s: %s", actions[i].label, why);
        return;
    }
    u->menu_open = 0;
    actions[i].start(u);
}

/* The menu's own keys; each action's letter (actions[]) runs it. */
static int m_down(ui *u, screen *s, ui_key k)
{
    if (u->menu_sel < nactions() - 1) u->menu_sel++;
    return 1;
}

static int m_up(ui *u, screen *s, ui_key k)
{
    if (u->menu_sel > 0) u->menu_sel--;
    return 1;
}

static int m_run(ui *u, screen *s, ui_key k)
{
    if (nactions()) run(u, u->menu_sel);
    return 1;
}

static int m_close(ui *u, screen *s, ui_key k)
{
    u->menu_open = 0;
    return 1;
}

static int m_help(ui *u, screen *s, ui_key k)
{
    u->help_open = 1;           /* over the menu, which stays open */
    u->help_scroll = 0;
    return 1;
}

static const ui_keydef menu_keys[] = {
    {0, 0, NULL, "Actions menu (x)", ""},
    {'j', 0, m_down, "move the highlight down / up", NULL},
    {KEY_DOWN, 1, m_down, NULL, NULL},
    {'k', 0, m_up, NULL, NULL},
    {KEY_UP, 1, m_up, NULL, NULL},
    {'\r', 0, m_run, "run the highlighted action", NULL},
    {'\n', 0, m_run, NULL, NULL},
    {KEY_ENTER, 1, m_run, NULL, NULL},
    {'q', 0, m_close, "close the menu", NULL},
    {27, 0, m_close, NULL, NULL},
    {'x', 0, m_close, NULL, NULL},
    {'?', 0, m_help, "this help", NULL},
    {KEY_F(1), 1, m_help, NULL, NULL},
    UI_KEYS_END,
};

void ui_menu_help(ui_help_lines *h)
{
    ui_keys_help(menu_keys, h);
    for (int i = 0; actions[i].label; i++) {
        char key[2] = {(char)actions[i].key, 0};
        ui_keydef row[] = {{actions[i].key, 0, NULL, actions[i].label, key},
                           UI_KEYS_END};
        ui_keys_help(row, h);
    }
}

int ui_menu_key(ui *u, ui_key k)
{
    if (ui_keys_run(menu_keys, u, NULL, k)) return 1;
    for (int i = 0; !k.fkey && actions[i].label; i++)
        if (actions[i].key == k.ch) { run(u, i); return 1; }
    return 1;
}
