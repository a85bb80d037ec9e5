/* ui_int.h: internals shared by the workbench's files (ui*.c, screen_*.c).
 * Not a contract outside tui/.
 *
 * The workbench is a stack of screens over one ncurses stdscr. Every frame
 * is drawn from scratch (erase + draw; ncurses sends only the difference):
 * row 0 title bar, rows 1..LINES-2 the top screen (one row less while a
 * background job shows its progress), last row the status line or prompt.
 * Overlays (help, actions menu) are drawn on top. All text from data goes
 * through ui_put/ui_putw, which sanitise it (sanitize.h). */
#ifndef CURATE_UI_INT_H
#define CURATE_UI_INT_H

#define _XOPEN_SOURCE_EXTENDED 1
#include <ncurses.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <wchar.h>

#include "ui.h"
#include "../term/ui_text.h"
#include "../../core/util.h"

typedef struct ui ui;
typedef struct screen screen;
typedef struct ui_job ui_job;
typedef struct ui_indexer ui_indexer;

/* Key event: ch is a character (fkey 0) or a KEY_* code (fkey 1). */
typedef struct { int ch, fkey; } ui_key;

/* What a key does: returns 1 when it used the key, 0 to let the global
 * keys see it. */
typedef int (*ui_key_fn)(ui *u, screen *s, ui_key k);

/* One row of a screen's key table (ui_keys.c), the one list from which
 * both its key handling and its part of the ? overlay come:
 *   {ch, fkey, fn, help}      the key, what it does, the help text;
 *   {ch, fkey, fn, NULL}      another key for the action of the row above
 *                             (shown on that row's help line);
 *   {0, 0, NULL, help, label} a help line that is not a key ("click"), or
 *                             with label "" a section heading.
 * Ends with a row of zeros (UI_KEYS_END). */
typedef struct {
    int ch, fkey;
    ui_key_fn fn;
    const char *help;
    const char *label;
} ui_keydef;
#define UI_KEYS_END {0, 0, NULL, NULL, NULL}

struct screen {
    const char *title;
    const char *hint;      /* key hints for the status line when idle */
    const ui_keydef *keys; /* key table: key handling and help */
    /* Draws into rows [top, top + rows) of stdscr, full width. */
    void (*draw)(ui *u, screen *s, int top, int rows);
    /* Keys not in the table (NULL: none). Returns 1 when the key was
     * used, 0 to let global keys see it. */
    int (*key)(ui *u, screen *s, ui_key k);
    /* Mouse event in the screen's area (may be NULL). */
    void (*mouse)(ui *u, screen *s, const MEVENT *ev);
    /* The pool changed (save elsewhere, job finished): refetch. */
    void (*reload)(ui *u, screen *s);
    void (*destroy)(screen *s);
    /* The conversation the screen is about, or NULL (may be NULL). */
    const char *(*current)(screen *s);
    /* Put the cursor on conversation conv_id if the screen lists it: after
     * an undo, and when the screen above it closes (may be NULL). */
    void (*follow)(ui *u, screen *s, const char *conv_id);
    /* Quitting (SIGINT), this screen on top or under it: 1 when it asks
     * first (unsaved edits) and sets u->quit itself once answered (may be
     * NULL). */
    int (*quit)(ui *u, screen *s);
    screen *below;
    unsigned gen;          /* u->gen when last loaded */
};

#define UI_PLAIN ((int)A_NORMAL)

/* Semantic attributes, mapped to colours or to bold/reverse/underline. */
enum {
    A_UI_NORMAL = 0, A_UI_TITLE, A_UI_SEL, A_UI_HEAD, A_UI_TAB,
    A_UI_TAB_ON, A_UI_CUSTOMER, A_UI_SELLER, A_UI_SYSTEM, A_UI_DIM,
    A_UI_WARN, A_UI_ERR, A_UI_OK, A_UI_MODEL, A_UI_HUMAN, A_UI_TYPED,
    A_UI_COUNT
};

#define UI_LOG_MAX 500
#define UI_PROMPT_MAX 4096     /* characters the one-line prompt holds */

typedef void (*ui_prompt_fn)(ui *u, screen *s, const char *text);
typedef void (*ui_ask_fn)(ui *u, screen *s, int key);

struct ui {
    const ui_opts *o;
    pool *p;
    const rubric *r;
    int attrs[A_UI_COUNT];
    int ascii;             /* locale is not UTF-8: ASCII bars and marks */
    screen *top;
    int quit;
    unsigned gen;          /* bumped whenever this process changes the pool */

    char status[512];
    int status_attr;

    struct {
        int active;
        char label[64];
        wchar_t buf[UI_PROMPT_MAX];
        size_t len, cur;
        ui_prompt_fn done;
        screen *s;
    } prompt;

    int help_open, help_scroll;
    int menu_open, menu_sel;

    struct { char *text; int64_t t; int err; } log[UI_LOG_MAX];
    int log_n, log_head;   /* ring buffer */

    struct {
        int active;
        char question[1024];
        ui_ask_fn done;
        screen *s;
    } ask;

    FILE *timing;          /* --timing log, or NULL */
    int timing_own;        /* fclose at exit */

    ui_job *job;           /* running or finished background job, or NULL */
    ui_indexer *indexer;   /* the background search indexer, or NULL */
    char index_label[64];  /* its progress for the title bar, or "" */
    char synced_label[48]; /* "synced HH:MM" (curate sync), or "" */
    double synced_checked; /* when synced_label was last read (date_mono) */
    unsigned index_gen;    /* gen when the index was last found caught up */
    int64_t pending_program;   /* program of an export waiting for a prompt */
    /* The session (ui_session.c) and quitting (ui.c). */
    double session_start;      /* date_mono() */
    int64_t session_after;     /* the journal's last id at the start */
    int64_t goal;              /* labels a day (0: none), pool_meta goal.REVIEWER */
    /* The progress as last read from the pool (ui_progress_get): reused
     * while the pool's stamp and the day are the same. */
    int prog_valid;
    pool_stamp prog_stamp;
    int64_t prog_day;
    pool_activity prog_today, prog_session;
    int64_t prog_left;
    unsigned nkeys;            /* keys dispatched so far */
    unsigned popped_at;        /* nkeys when a screen was last popped */
    int quit_asking;           /* the "quit?" question is showing */
};

/* ---- ui.c ---- */
void ui_push(ui *u, screen *s);
void ui_pop(ui *u);
/* Shows msg in the status line and records it in the log view. */
void ui_status(ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ui_error(ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Opens the one-line prompt; done(u, s, text) runs on Enter (not on Esc).
 * init pre-fills it (may be NULL). */
void ui_prompt(ui *u, screen *s, const char *label, const char *init,
               ui_prompt_fn done);
/* The text the prompt hands to done when init is left untouched (init as
 * it can be shown on one line, at most UI_PROMPT_MAX - 1 characters), so a
 * caller can tell "unchanged" from an edit. Caller frees. */
char *ui_prompt_echo_new(const char *init);
/* The pool was changed by this process: every screen reloads when drawn. */
void ui_changed(ui *u);
/* Asks a one-key question in the status line; the next key goes to
 * done(u, s, key) (Esc: 27), whatever it is. */
void ui_ask(ui *u, screen *s, const char *question, ui_ask_fn done);
/* Undoes this reviewer's own most recent action in the pool (the journal,
 * app/review.h) and says what it reverted. Returns 1 and *conv_id (the
 * conversation it was on; caller frees), 0 nothing to undo, -1 error
 * (shown). */
int ui_undo(ui *u, char **conv_id);
/* The keys that work on every screen (the global key table), for a screen
 * that makes keys of its own and must not take these. */
const ui_keydef *ui_global_keys(void);

/* ---- ui_draw.c ---- */
void ui_colors_init(ui *u);
/* Draws UTF-8 text from data, sanitised, clipped to w columns, at (y, x).
 * Returns the columns used. */
int ui_put(ui *u, int y, int x, int w, const char *s, int attr);
/* ui_put for text that may be longer than w (ids, names): when it is, the
 * last column is an ellipsis ("~" in ASCII), so a cut is never silent. */
int ui_put_cut(ui *u, int y, int x, int w, const char *s, int attr);
/* Same for already sanitised wide text s[0..n). */
int ui_putw(ui *u, int y, int x, int w, const wchar_t *s, size_t n, int attr);
/* printf-style ui_put. */
int ui_putf(ui *u, int y, int x, int w, int attr, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Fills w columns with spaces in attr. */
void ui_fill(int y, int x, int w, int attr);
/* A bar for value v in [lo, hi] over w cells. */
void ui_draw_bar(ui *u, int y, int x, int w, double v, double lo, double hi,
                 int attr);
/* A box outline at (y, x) of h x w, cleared inside, with a title. */
void ui_box(ui *u, int y, int x, int h, int w, const char *title);
/* A horizontal rule with centred text: "── text ──". */
void ui_rule(ui *u, int y, int x, int w, const char *text, int attr);
int ui_attr(ui *u, int which);

/* ---- ui_session.c: this reviewer's progress and the session summary ---- */
typedef struct {
    pool_activity today;       /* since local midnight */
    pool_activity session;     /* since the workbench opened */
    double per_hour;           /* session labels an hour; < 0: none yet */
    int64_t left;              /* to review in their assignments, or the pool's */
    int64_t goal;              /* 0: none */
} ui_progress;

/* Starts the session clock and reads the reviewer's daily goal. */
void ui_session_start(ui *u);
/* This reviewer's figures now: 0, or -1 + err. */
int ui_progress_get(ui *u, ui_progress *out, char *err);
/* The start of the reviewer's local day (epoch seconds): "today". */
int64_t ui_today_start(void);
/* "12 labels (3 corrected), 2 skips, 1 edge case in 25 min" into buf. */
void ui_session_summary(ui *u, char *buf, size_t n);

/* ---- ui_log.c ---- */
void ui_log_add(ui *u, int err, const char *msg);
void ui_log_free(ui *u);
screen *screen_log_new(ui *u);

/* ---- screens ---- */
screen *screen_queue_new(ui *u);
/* Opens the review screen on conversation id at position idx of the list
 * defined by f (the queue's filter; copied). */
screen *screen_review_new(ui *u, const pool_filter *f, int64_t idx,
                          const char *id);
/* The adjudication of conversation id at position idx of the list f
 * (the queue's Conflicts tab): screen_adjudicate.c. */
screen *screen_adjudicate_new(ui *u, const pool_filter *f, int64_t idx,
                              const char *id);
/* The team view: per reviewer figures and agreement (screen_team.c). */
screen *screen_team_new(ui *u);
/* The queue's current selection (for actions), or NULL. */
const char *screen_queue_selected(screen *s);
/* The view s shows (its tab, filter and search) when s is a queue (the
 * queue or a seller's), else NULL. Valid while s is. */
const pool_filter *screen_queue_filter(screen *s);
/* The conversation open in a review screen. */
const char *screen_review_current(screen *s);
screen *screen_dist_new(ui *u, const char *seller);
/* The seller list (match: an id prefix, any case, or NULL), figures of
 * run_id (0: latest predictions). */
screen *screen_sellers_new(ui *u, const char *match, int64_t run_id);
/* The trend of one seller (NULL: all) for run_id. */
screen *screen_trend_new(ui *u, const char *seller, int64_t run_id);
/* The queue restricted to one seller's conversations. */
screen *screen_queue_seller_new(ui *u, const char *seller);
screen *screen_programs_new(ui *u);
/* The rubric's guidelines for reviewers (rubric_guidelines_text_new),
 * wrapped, scrollable. */
screen *screen_guide_new(ui *u);
/* One program: its optimisation's outcome, its demos, its state JSON. */
screen *screen_program_new(ui *u, int64_t id);

/* ---- ui_job.c ---- */
/* Starts fn on a background thread with its own pool connection; at most
 * one job at a time (returns -1 + ui_error when one runs). */
typedef struct {
    atomic_int cancel;      /* set by the UI; the job polls it */
    pool *p;                /* the job's own connection */
    const ui_opts *o;
    void *arg;
    char err[ERR_MAX];
    int64_t open_program;   /* set by the job: shown when it ends well */
} ui_job_ctx;
/* Progress report from the job thread (thread-safe). */
void ui_job_progress(ui_job_ctx *c, long done, long total, long failed,
                     const char *what);
/* Appends a line to the log view from the job thread (thread-safe). */
void ui_job_log(ui_job_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* fn returns 0 ok or -1 with c->err; free_arg(arg) runs after it. */
int ui_job_start(ui *u, const char *name, int (*fn)(ui_job_ctx *c),
                 void *arg, void (*free_arg)(void *arg));
int ui_job_running(ui *u);
/* Main thread, every tick: collects log lines and the end of a job. */
void ui_job_poll(ui *u);
/* Draws the progress row at y. */
void ui_job_draw(ui *u, int y);
void ui_job_cancel(ui *u);
/* At exit: cancels and joins. */
void ui_job_free(ui *u);

/* ---- ui_index.c ---- */
/* Starts the background search indexer when the pool has conversations the
 * search index does not cover yet; NULL when there is nothing to do. */
ui_indexer *ui_indexer_start_new(ui *u);
/* Main thread, every tick: 1 while it runs (label: its progress), 0 once it
 * has finished (the outcome is logged); the caller then frees it. */
int ui_indexer_poll(ui *u, ui_indexer *ix, char *label, size_t n);
/* Stops it after its current transaction, joins and frees. */
void ui_indexer_free(ui_indexer *ix);

/* ---- ui_actions.c ---- */
/* The actions menu (x): draws/handles keys while u->menu_open. */
void ui_menu_draw(ui *u);
int ui_menu_key(ui *u, ui_key k);
/* The conversation the top screen is about (review: the open one; queue:
 * the selected row), or NULL. */
const char *ui_current_conv(ui *u);
/* ---- ui_files.c ---- */
/* Ask for a file name, then export the reviewed examples (JSONL) or import
 * a program state, in the background. */
void ui_action_export_pool(ui *u);
void ui_action_import_program(ui *u);
/* Imports the program state stored in MongoDB (CURATE_MONGO_URI). */
void ui_action_import_mongo(ui *u);
/* Sync with the team store (CURATE_MONGO_URI) as a background job, as
 * `curate sync` does (tui/app/job_sync.h). */
void ui_action_sync(ui *u);
/* ---- ui_view.c ---- */
/* A view that owns its strings (a copy of a queue's). */
typedef struct {
    pool_filter f;
    char *own[5];
} ui_view;
void ui_view_copy(ui_view *v, const pool_filter *f);
void ui_view_clear(ui_view *v);
/* The view of the queue nearest the top of the stack, or NULL. */
const pool_filter *ui_queue_view(ui *u);
/* ---- screen_bulk.c ---- */
/* Bulk accept of the queue's view: the preview screen, then (y) the batch
 * in the background. */
void ui_action_bulk_accept(ui *u);
/* ---- ui_files.c ---- */
/* Ask for a file name, then export the labeled conversations of the
 * queue's view (JSONL), as `curate export pool --filter` does. */
void ui_action_export_view(ui *u);
/* ---- ui_optimize.c ---- */
/* Runs `curate optimize` with its defaults as a background job. */
void ui_action_optimize(ui *u);
/* ---- ui_export.c ---- */
/* Exports program_id (0 = best) as DSPy JSON to a file (asks its name) or
 * to MongoDB (CURATE_MONGO_URI), in the background. */
void ui_action_export(ui *u, int64_t program_id, int mongo);
const char *ui_export_mongo_unavailable(ui *u);
/* At exit: libmongoc clean-up if an export used it. */
void ui_export_cleanup(void);
/* Re-scores one conversation in the background (review screen's r). */
void ui_action_score_one(ui *u, const char *conv_id);

#endif
