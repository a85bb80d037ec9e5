/* screen_review.c: the review screen's state, keys and saving. The
 * conversation is on the left, the scores on the right (drawing in
 * screen_review_draw.c). What a save means and what it writes are the
 * review use cases' (app/review.h, core/label.h), shared with the CLI. */
#define _POSIX_C_SOURCE 200809L
#include "ui_review.h"
#include "../term/sanitize.h"
#include "../../core/util.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


int review_formula(const ui *u, const scoreset *sc, double *out)
{
    return rubric_overall_from(u->r, sc, out) == 0;
}

static void free_window(review_screen *rv)
{
    review_lines_free(rv);
    if (rv->c) {
        for (size_t i = 0; i < rv->c->nmsgs; i++) free(rv->wtext[i]);
        convo_free(rv->c);
        rv->c = NULL;
    }
    free(rv->wtext);
    free(rv->wlen);
    rv->wtext = NULL;
    rv->wlen = NULL;
}

/* Holds c (owned) as the window starting at message first. */
static void set_window(review_screen *rv, convo *c, int64_t first)
{
    free_window(rv);
    rv->c = c;
    rv->win_first = first;
    rv->wtext = xcalloc(c->nmsgs ? c->nmsgs : 1, sizeof *rv->wtext);
    rv->wlen = xcalloc(c->nmsgs ? c->nmsgs : 1, sizeof *rv->wlen);
    for (size_t i = 0; i < c->nmsgs; i++)
        rv->wtext[i] = sanitize_wide_new(c->msgs[i].text, SAN_KEEP_NL,
                                         &rv->wlen[i]);
}

/* Moves the window to start at message first (clamped); 0 or -1 (shown). */
static int move_window(ui *u, review_screen *rv, int64_t first)
{
    if (first > rv->total_msgs - REVIEW_WINDOW) first = rv->total_msgs - REVIEW_WINDOW;
    if (first < 0) first = 0;
    if (first == rv->win_first && rv->c) return 0;
    char err[ERR_MAX];
    int64_t total;
    convo *c = pool_get_convo_window_new(u->p, rv->it.conv_id, first,
                                         REVIEW_WINDOW, &total, err);
    if (!c) {
        ui_error(u, "%s", err);
        return -1;
    }
    rv->total_msgs = total;
    set_window(rv, c, first);
    return 0;
}

static void free_convo(review_screen *rv)
{
    free_window(rv);
    review_item_clear(&rv->it);
}

/* Loads conversation id (position idx in the list). 0 or -1 (shown). */
static int load(ui *u, review_screen *rv, const char *id, int64_t idx)
{
    char err[ERR_MAX];
    review_item it;
    if (review_open(u->p, u->r, u->o->reviewer, id, &it, err) < 0) {
        ui_error(u, "%s", err);
        return -1;
    }
    int64_t total;
    convo *c = pool_get_convo_window_new(u->p, id, 0, REVIEW_WINDOW, &total, err);
    if (!c) {
        review_item_clear(&it);
        ui_error(u, "%s", err);
        return -1;
    }
    /* Each conversation opens on the first field (a reload keeps it). */
    if (!rv->it.conv_id || strcmp(rv->it.conv_id, id) != 0) rv->sel = 0;
    free_convo(rv);
    rv->it = it;
    rv->start = it.v.yours;
    rv->text_edited = 0;
    rv->total_msgs = total;
    rv->scroll_to_msg = -1;
    set_window(rv, c, 0);
    rv->idx = idx;
    rv->typing = 0;
    rv->conv_scroll = rv->right_scroll = 0;
    if (rv->loaded) rv->loaded(u, rv);
    return 0;
}

/* Unsaved edits: "yours" is not what it was when the conversation was
 * opened. */
static int scores_dirty(const ui *u, const review_screen *rv)
{
    return rv->it.v.touched &&
           !label_scores_equal(u->r, &rv->start, &rv->it.v.yours);
}

/* ... or an edited rationale or comment. */
static int dirty(const ui *u, const review_screen *rv)
{
    return scores_dirty(u, rv) || rv->text_edited;
}

/* Reloads the open conversation's prediction/label/edge (after a save
 * elsewhere or a finished job), keeping unsaved edits when the prediction
 * under review did not change. */
static void review_reload(ui *u, screen *s)
{
    review_screen *rv = (review_screen *)s;
    int64_t old_pred = rv->it.has_pred ? rv->it.pr.id : 0;
    int64_t old_seen = rv->it.seen;
    label_values keep = rv->it.v;
    scoreset keep_start = rv->start;
    int keep_text = rv->text_edited;
    char *keep_why = rv->it.rationale ? xstrdup(rv->it.rationale) : NULL;
    char *keep_comment = rv->it.comment ? xstrdup(rv->it.comment) : NULL;
    int scroll = rv->conv_scroll, was_dirty = dirty(u, rv);
    int64_t first = rv->win_first;
    char *id = xstrdup(rv->it.conv_id);
    if (load(u, rv, id, rv->idx) == 0) {
        if (first > 0) move_window(u, rv, first);
        rv->conv_scroll = scroll;
        if ((rv->it.has_pred ? rv->it.pr.id : 0) == old_pred && was_dirty) {
            rv->it.v = keep;
            rv->start = keep_start;
            rv->it.seen = old_seen;   /* still "since it was opened" */
            if (keep_text) {
                review_set_rationale(&rv->it, keep_why);
                review_set_comment(&rv->it, keep_comment);
                rv->text_edited = 1;
            }
        }
    }
    free(keep_why);
    free(keep_comment);
    free(id);
}

/* ---- navigation ---- */

/* Finds the next conversation to review after the open one in the list it
 * came from, else the first to review in the pool. 1 found (*id malloc'd),
 * 0 none. */
static int next_to_review(ui *u, review_screen *rv, char **id, int64_t *idx)
{
    char err[ERR_MAX];
    pool_row rows[64];
    for (int64_t off = rv->idx; off < rv->idx + 4096; off += 64) {
        int n = pool_list(u->p, &rv->f, off, 64, rows, err);
        if (n < 0) { ui_error(u, "%s", err); return 0; }
        int found = 0;
        for (int i = 0; i < n && !found; i++) {
            if (strcmp(rows[i].id, rv->it.conv_id) != 0 &&
                rows[i].status == CONV_TO_REVIEW) {
                *id = xstrdup(rows[i].id);
                *idx = off + i;
                found = 1;
            }
        }
        pool_rows_clear(rows, n);
        if (found) return 1;
        if (n < 64) break;
    }
    /* Nothing after it in this list: the first to review anywhere. */
    pool_filter f = rv->f;
    f.kind = FILTER_TO_REVIEW;
    f.search = NULL;
    f.seller = NULL;
    int n = pool_list(u->p, &f, 0, 2, rows, err), found = 0;
    for (int i = 0; i < n && !found; i++) {
        if (strcmp(rows[i].id, rv->it.conv_id) != 0) {
            rv->f = f;
            rv->search[0] = 0;
            *id = xstrdup(rows[i].id);
            *idx = i;
            found = 1;
        }
    }
    if (n > 0) pool_rows_clear(rows, n);
    return found;
}

static void go_next_to_review(ui *u, review_screen *rv)
{
    char *id;
    int64_t idx;
    if (next_to_review(u, rv, &id, &idx)) {
        load(u, rv, id, idx);
        free(id);
    } else {
        char keep[sizeof u->status];
        snprintf(keep, sizeof keep, "%s", u->status);
        review_reload(u, &rv->base);
        ui_status(u, "%s | nothing left to review", keep);
    }
}

/* Where conversation id is in the list, near the open one's position;
 * -1 when it is not there. */
static int64_t position_of(ui *u, review_screen *rv, const char *id)
{
    char err[ERR_MAX];
    int64_t pos;
    int rc = pool_list_find(u->p, &rv->f, id, rv->idx, 256, &pos, err);
    if (rc < 0) ui_error(u, "%s", err);
    return rc == 1 ? pos : -1;
}

/* n / p: the neighbour in the list (the open one may have left it). */
static void step(ui *u, review_screen *rv, int dir)
{
    char err[ERR_MAX];
    pool_row rows[2];
    int64_t at = rv->idx;
    if (dir > 0) {
        int n = pool_list(u->p, &rv->f, at, 2, rows, err);
        if (n < 0) { ui_error(u, "%s", err); return; }
        int i = (n > 0 && strcmp(rows[0].id, rv->it.conv_id) == 0) ? 1 : 0;
        if (i >= n) ui_status(u, "this is the last conversation in the list");
        else load(u, rv, rows[i].id, at + i);
        pool_rows_clear(rows, n);
    } else {
        if (at <= 0) { ui_status(u, "this is the first conversation in the list"); return; }
        int n = pool_list(u->p, &rv->f, at - 1, 1, rows, err);
        if (n < 0) { ui_error(u, "%s", err); return; }
        if (n > 0) load(u, rv, rows[0].id, at - 1);
        pool_rows_clear(rows, n);
    }
}

/* ---- saving and leaving ---- */

/* What follows a save, or an answered "unsaved edits" question. */
enum { THEN_NEXT_TO_REVIEW, THEN_POP, THEN_STEP_NEXT, THEN_STEP_PREV,
       THEN_QUIT, THEN_ACCEPT, THEN_STAY };

static void save(ui *u, review_screen *rv, label_action action, int then,
                 int supersede);

/* Does then. THEN_POP destroys rv: nothing may touch it afterwards. */
static void then_do(ui *u, review_screen *rv, int then)
{
    switch (then) {
    case THEN_NEXT_TO_REVIEW: go_next_to_review(u, rv); break;
    case THEN_POP: ui_pop(u); break;
    case THEN_STEP_NEXT: step(u, rv, 1); break;
    case THEN_STEP_PREV: step(u, rv, -1); break;
    case THEN_QUIT: u->quit = 1; break;
    case THEN_ACCEPT: save(u, rv, LABEL_DO_ACCEPT, THEN_NEXT_TO_REVIEW, 0); break;
    default: break;
    }
}

static void supersede_answer(ui *u, screen *s, int key)
{
    review_screen *rv = (review_screen *)s;
    if (key == 'y' || key == 'Y')
        save(u, rv, rv->pend_action, rv->pend_then, 1);
    else
        ui_status(u, "not saved: your values are still on screen");
}

static void save(ui *u, review_screen *rv, label_action action, int then,
                 int supersede)
{
    char err[ERR_MAX];
    review_saved sv;
    int rc = review_save(u->p, u->r, u->o->reviewer, &rv->it, action, NULL,
                         supersede, &sv, err);
    if (rc == POOL_SUPERSEDES) {
        char q[ERR_MAX + 128];
        snprintf(q, sizeof q, "%s since you opened it: save yours too? y yes,"
                 " other key no (theirs is kept; the consensus decides)", err);
        rv->pend_action = action;
        rv->pend_then = then;
        ui_ask(u, &rv->base, q, supersede_answer);
        return;
    }
    if (rc < 0) {
        ui_error(u, "not saved: %s", err);
        return;
    }
    ui_changed(u);
    rv->base.gen = u->gen;
    /* Saved: nothing is unsaved now, also when no next one opens and this
     * one stays on screen (was: its edits still counted as unsaved, and
     * leaving asked to save them again). */
    rv->start = rv->it.v.yours;
    rv->it.v.touched = 0;
    rv->text_edited = 0;
    const char *with = review_rationale(&rv->it, action)
        ? (label_comment_decide(rv->it.comment) ? ", your rationale and comment"
                                                : ", your rationale")
        : label_comment_decide(rv->it.comment) ? ", your comment" : "";
    if (sv.status == LABEL_ACCEPTED && rv->it.has_pred)
        ui_status(u, "saved %s as accepted: prediction #%lld%s (u undoes)",
                  rv->it.conv_id, (long long)rv->it.pr.id, with);
    else
        ui_status(u, "saved %s as %s%s (u undoes)", rv->it.conv_id,
                  label_status_name(sv.status), with);
    then_do(u, rv, then);
}

static void save_mine(ui *u, review_screen *rv, int then)
{
    int oi = rubric_overall_index(u->r);
    for (int i = 0; i < rv->nfields; i++) {
        int fi = rv->fields[i];
        if (fi != oi && !rv->it.v.yours.set[fi]) {
            rv->sel = i;
            ui_error(u, "give %s a value first (type it, or + / -)",
                     u->r->fields[fi].name);
            return;
        }
    }
    save(u, rv, LABEL_DO_SAVE, then, 0);
}

static void leave_answer(ui *u, screen *s, int key)
{
    review_screen *rv = (review_screen *)s;
    int then = rv->pend_then;
    if (key == 's' || key == 'S') {
        /* a: saving yours replaces accepting. */
        save_mine(u, rv, then == THEN_ACCEPT ? THEN_NEXT_TO_REVIEW : then);
    } else if (key == 'd' || key == 'D') {
        label_values_init(&rv->it.v, u->r,
                          rv->it.has_pred ? &rv->it.pr.scores : NULL, NULL);
        rv->start = rv->it.v.yours;
        if (rv->text_edited) {
            review_set_rationale(&rv->it, rv->it.has_own ? rv->it.own.rationale : NULL);
            review_set_comment(&rv->it, rv->it.has_own ? rv->it.own.comment : NULL);
            rv->text_edited = 0;
        }
        ui_status(u, "edits discarded");
        then_do(u, rv, then);
    } else {
        ui_status(u, "still here: your edits are kept");
    }
}

/* Leaving the conversation (or accepting over edits): asks save / discard
 * / stay when there are unsaved edits, else does then. */
static void leave(ui *u, review_screen *rv, int then)
{
    if (!dirty(u, rv)) {
        then_do(u, rv, then);
        return;
    }
    char q[1024];
    snprintf(q, sizeof q, "Unsaved edits to %s: s save yours, d discard%s, "
             "any other key stays", rv->it.conv_id,
             then == THEN_ACCEPT ? " and accept the model's" : "");
    rv->pend_then = then;
    ui_ask(u, &rv->base, q, leave_answer);
}

static int review_quit(ui *u, screen *s)
{
    review_screen *rv = (review_screen *)s;
    if (!dirty(u, rv)) return 0;
    leave(u, rv, THEN_QUIT);
    return 1;
}

static void accept(ui *u, review_screen *rv)
{
    if (!rv->it.has_pred) {
        ui_error(u, "no model scores to accept: type your values and press Enter");
        return;
    }
    /* Your rationale and comment go with the model's scores; only edited
     * scores, which accepting would drop, ask first. */
    if (!scores_dirty(u, rv)) {
        save(u, rv, LABEL_DO_ACCEPT, THEN_NEXT_TO_REVIEW, 0);
        return;
    }
    leave(u, rv, THEN_ACCEPT);
}

static void skip(ui *u, review_screen *rv)
{
    save(u, rv, LABEL_DO_SKIP, THEN_NEXT_TO_REVIEW, 0);
}

/* u: undo this reviewer's latest action; open the conversation it was on
 * at its place in the list. */
static void undo(ui *u, review_screen *rv)
{
    char *id;
    if (ui_undo(u, &id) != 1) return;
    char keep[sizeof u->status];
    snprintf(keep, sizeof keep, "%s", u->status);
    int64_t pos = position_of(u, rv, id);
    load(u, rv, id, pos >= 0 ? pos : rv->idx);
    rv->base.gen = u->gen;
    snprintf(u->status, sizeof u->status, "%s", keep);
    free(id);
}

static void edge_done(ui *u, screen *s, const char *text)
{
    review_screen *rv = (review_screen *)s;
    char err[ERR_MAX];
    if (review_edge(u->p, u->o->reviewer, rv->it.conv_id, 1, text, err) < 0) {
        ui_error(u, "edge case: %s", err);
        return;
    }
    rv->it.edge = 1;
    free(rv->it.edge_note);
    rv->it.edge_note = text[0] ? xstrdup(text) : NULL;
    ui_changed(u);
    rv->base.gen = u->gen;
    ui_status(u, "%s marked as an edge case (u undoes)", rv->it.conv_id);
}

static void toggle_edge(ui *u, review_screen *rv)
{
    if (!rv->it.edge) {
        ui_prompt(u, &rv->base, "Edge case note (Enter marks, Esc cancels): ",
                  NULL, edge_done);
        return;
    }
    char err[ERR_MAX];
    if (review_edge(u->p, u->o->reviewer, rv->it.conv_id, 0, NULL, err) < 0) {
        ui_error(u, "edge case: %s", err);
        return;
    }
    rv->it.edge = 0;
    free(rv->it.edge_note);
    rv->it.edge_note = NULL;
    ui_changed(u);
    rv->base.gen = u->gen;
    ui_status(u, "%s is no longer an edge case (u undoes)", rv->it.conv_id);
}

static void note_done(ui *u, screen *s, const char *text)
{
    review_screen *rv = (review_screen *)s;
    char err[ERR_MAX];
    if (!text[0]) { ui_status(u, "no note added"); return; }
    if (review_note(u->p, u->o->reviewer, rv->it.conv_id, text, err) < 0) {
        ui_error(u, "note: %s", err);
        return;
    }
    free(rv->it.note);
    free(rv->it.note_by);
    rv->it.note = xstrdup(text);
    rv->it.note_by = xstrdup(u->o->reviewer);
    ui_changed(u);
    rv->base.gen = u->gen;
    ui_status(u, "note added to %s (u undoes)", rv->it.conv_id);
}

/* ---- rationale and comment ---- */

static void rationale_done(ui *u, screen *s, const char *text)
{
    review_screen *rv = (review_screen *)s;
    /* The model's left as it was prefilled (one line, maybe cut) is not
     * an edit: the model's stands, whole. */
    char *echo = ui_prompt_echo_new(rv->it.has_pred ? rv->it.pr.rationale : NULL);
    int unchanged = rv->it.has_pred && rv->it.pr.rationale && !strcmp(echo, text);
    free(echo);
    review_set_rationale(&rv->it, unchanged ? NULL : text);
    rv->text_edited = 1;
    if (review_rationale(&rv->it, LABEL_DO_SAVE))
        ui_status(u, "your rationale is set: Enter or a saves it with the label");
    else
        ui_status(u, "rationale as the model's: the model's stands");
}

static void edit_rationale(ui *u, review_screen *rv)
{
    const char *init = rv->it.rationale ? rv->it.rationale
                     : rv->it.has_pred ? rv->it.pr.rationale : NULL;
    ui_prompt(u, &rv->base, "Rationale (Enter sets, Ctrl-U clears, Esc cancels): ",
              init, rationale_done);
}

static void comment_done(ui *u, screen *s, const char *text)
{
    review_screen *rv = (review_screen *)s;
    review_set_comment(&rv->it, label_comment_decide(text));
    rv->text_edited = 1;
    ui_status(u, rv->it.comment ? "comment set: Enter, a or s saves it with the label"
                                : "comment cleared");
}

static void edit_comment(ui *u, review_screen *rv)
{
    ui_prompt(u, &rv->base, "Comment (Enter sets, Esc cancels): ",
              rv->it.comment, comment_done);
}

/* ---- editing values ---- */

static void set_value(ui *u, review_screen *rv, int fi, double v)
{
    const rubric_field *f = &u->r->fields[fi];
    int clamped = 0;
    if (label_values_set(&rv->it.v, u->r, fi, v, &clamped) < 0) return;
    if (clamped)
        ui_status(u, "%s: %.2f is outside %g-%g, set to %.2f", f->name, v,
                  f->lo, f->hi, rv->it.v.yours.v[fi]);
}

static void bump(ui *u, review_screen *rv, double d)
{
    int fi = rv->fields[rv->sel];
    const scoreset *y = &rv->it.v.yours;
    double v = y->set[fi] ? y->v[fi]
             : (u->r->fields[fi].lo + u->r->fields[fi].hi) / 2;
    set_value(u, rv, fi, v + d);
}

static void reset_field(ui *u, review_screen *rv)
{
    label_values_reset(&rv->it.v, u->r, rv->fields[rv->sel]);
}

/* 0, or -1 when what was typed is not a number (said). */
static int commit_typed(ui *u, review_screen *rv)
{
    rv->typing = 0;
    double v;
    if (!rv->typed[0]) return 0;
    if (!ui_parse_typed(rv->typed, &v)) {
        ui_error(u, "'%s' is not a number", rv->typed);
        return -1;
    }
    set_value(u, rv, rv->fields[rv->sel], v);
    return 0;
}

static void move_sel(review_screen *rv, int d)
{
    rv->sel += d;
    if (rv->sel < 0) rv->sel = 0;
    if (rv->sel >= rv->nfields) rv->sel = rv->nfields - 1;
}

/* Keys while a value is being typed. Returns 1 when used. */
static int typing_key(ui *u, review_screen *rv, ui_key k)
{
    size_t len = strlen(rv->typed);
    if (!k.fkey && ((k.ch >= '0' && k.ch <= '9') || k.ch == '.')) {
        if (len + 1 < sizeof rv->typed) {
            rv->typed[len] = (char)k.ch;
            rv->typed[len + 1] = 0;
        }
        return 1;
    }
    if ((k.fkey && k.ch == KEY_BACKSPACE) || (!k.fkey && (k.ch == 127 || k.ch == 8))) {
        if (len > 0) rv->typed[len - 1] = 0;
        if (len <= 1) rv->typing = 0;
        return 1;
    }
    if (!k.fkey && k.ch == 27) { rv->typing = 0; return 1; }
    /* Enter commits and, through the key table, saves (one key, not two);
     * a value that is no number stays on screen, nothing saved. */
    if ((!k.fkey && (k.ch == '\r' || k.ch == '\n')) || (k.fkey && k.ch == KEY_ENTER))
        return commit_typed(u, rv) < 0;
    if (!k.fkey && k.ch == '\t') { commit_typed(u, rv); move_sel(rv, 1); return 1; }
    if (k.fkey && k.ch == KEY_BTAB) { commit_typed(u, rv); move_sel(rv, -1); return 1; }
    if ((k.fkey && k.ch == KEY_DOWN) || (!k.fkey && k.ch == 'j')) {
        commit_typed(u, rv); move_sel(rv, 1); return 1;
    }
    if ((k.fkey && k.ch == KEY_UP) || (!k.fkey && k.ch == 'k')) {
        commit_typed(u, rv); move_sel(rv, -1); return 1;
    }
    if (k.fkey && k.ch == KEY_RESIZE) return 0;
    /* Any other key: commit what was typed, then act on the key. */
    commit_typed(u, rv);
    return 0;
}

/* Scrolls the conversation by d lines; past either end of the window,
 * the window moves (the message at the top stays where it was). */
static void scroll_conv(ui *u, review_screen *rv, int d)
{
    int target = rv->conv_scroll + d;
    int max = (int)rv->nlines - rv->conv_rows;
    int64_t top = rv->nlines ? rv->win_first +
        (int64_t)rv->lines[rv->conv_scroll < (int)rv->nlines ? rv->conv_scroll : 0].msg
        : rv->win_first;
    int after = rv->win_first + (int64_t)rv->c->nmsgs < rv->total_msgs;
    if (rv->nlines && ((target > max && after) || (target < 0 && rv->win_first > 0))) {
        /* Keep the top message and scroll the rest from it. */
        int64_t first = target > max ? top - REVIEW_WINDOW / 4
                                     : top - REVIEW_WINDOW * 3 / 4;
        if (move_window(u, rv, first) == 0) {
            rv->scroll_to_msg = top;
            rv->scroll_adjust = d;
        }
        return;
    }
    rv->conv_scroll = target;
    if (rv->conv_scroll > max) rv->conv_scroll = max;
    if (rv->conv_scroll < 0) rv->conv_scroll = 0;
}

static void conv_home(ui *u, review_screen *rv)
{
    if (rv->win_first > 0) move_window(u, rv, 0);
    rv->scroll_to_msg = -1;
    rv->conv_scroll = 0;
}

static void conv_end(ui *u, review_screen *rv)
{
    if (rv->win_first + (int64_t)rv->c->nmsgs < rv->total_msgs &&
        move_window(u, rv, rv->total_msgs - REVIEW_WINDOW) == 0) {
        rv->scroll_to_msg = rv->total_msgs - 1;
        rv->scroll_adjust = 1 << 30;
        return;
    }
    rv->conv_scroll = 1 << 30;       /* clamped when drawn */
}

static void scroll_right(review_screen *rv, int d)
{
    rv->right_scroll += d;
    int max = rv->right_total - rv->right_rows;
    if (rv->right_scroll > max) rv->right_scroll = max;
    if (rv->right_scroll < 0) rv->right_scroll = 0;
}

static void rescore(ui *u, review_screen *rv);

/* A field's own key: pick that field (a value being typed is committed
 * first, as when moving with j/k). */
static void pick_field(review_screen *rv, ui_key k)
{
    for (int i = 0; i < rv->nfields; i++)
        if (rv->field_key[i] == k.ch) rv->sel = i;
}

/* ---- the key table: key handling and the ? overlay ---- */

/* Every row's action first lets a value being typed have the key (Tab,
 * Enter, Esc, j/k commit or cancel it; any other key commits it first). */
static review_screen *typed_first(ui *u, screen *s, ui_key k, int *used)
{
    review_screen *rv = (review_screen *)s;
    *used = rv->typing && typing_key(u, rv, k);
    return rv;
}

static int page_of(const review_screen *rv)
{
    return rv->conv_rows > 2 ? rv->conv_rows - 2 : 1;
}

/* One action per function; each returns 1 (the key was used). */
#define REVIEW_KEY_FN(name, body) \
    static int name(ui *u, screen *s, ui_key k) \
    { \
        int used; \
        review_screen *rv = typed_first(u, s, k, &used); \
        if (!used) { body; } \
        (void)rv; (void)u; \
        return 1; \
    }
REVIEW_KEY_FN(k_accept, accept(u, rv))
REVIEW_KEY_FN(k_save, save_mine(u, rv, THEN_NEXT_TO_REVIEW))
REVIEW_KEY_FN(k_down, move_sel(rv, 1))
REVIEW_KEY_FN(k_up, move_sel(rv, -1))
REVIEW_KEY_FN(k_raise, bump(u, rv, 0.5))
REVIEW_KEY_FN(k_lower, bump(u, rv, -0.5))
REVIEW_KEY_FN(k_reset, reset_field(u, rv))
REVIEW_KEY_FN(k_skip, skip(u, rv))
REVIEW_KEY_FN(k_edge, toggle_edge(u, rv))
REVIEW_KEY_FN(k_note, ui_prompt(u, &rv->base, "Note (Enter adds, Esc cancels): ",
                                NULL, note_done))
REVIEW_KEY_FN(k_undo, undo(u, rv))
REVIEW_KEY_FN(k_next, leave(u, rv, THEN_STEP_NEXT))
REVIEW_KEY_FN(k_prev, leave(u, rv, THEN_STEP_PREV))
REVIEW_KEY_FN(k_rescore, rescore(u, rv))
REVIEW_KEY_FN(k_pgdn, scroll_conv(u, rv, page_of(rv)))
REVIEW_KEY_FN(k_pgup, scroll_conv(u, rv, -page_of(rv)))
REVIEW_KEY_FN(k_line_down, scroll_conv(u, rv, 1))
REVIEW_KEY_FN(k_line_up, scroll_conv(u, rv, -1))
REVIEW_KEY_FN(k_home, conv_home(u, rv))
REVIEW_KEY_FN(k_end, conv_end(u, rv))
REVIEW_KEY_FN(k_right_down, scroll_right(rv, 3))
REVIEW_KEY_FN(k_right_up, scroll_right(rv, -3))
REVIEW_KEY_FN(k_back, leave(u, rv, THEN_POP))

/* REVIEW_FIELD_KEYS' and REVIEW_CONV_KEYS' actions (ui_review.h), the
 * adjudication screen's too. */
int review_key_down(ui *u, screen *s, ui_key k) { return k_down(u, s, k); }
int review_key_up(ui *u, screen *s, ui_key k) { return k_up(u, s, k); }
int review_key_raise(ui *u, screen *s, ui_key k) { return k_raise(u, s, k); }
int review_key_lower(ui *u, screen *s, ui_key k) { return k_lower(u, s, k); }
int review_key_pgdn(ui *u, screen *s, ui_key k) { return k_pgdn(u, s, k); }
int review_key_pgup(ui *u, screen *s, ui_key k) { return k_pgup(u, s, k); }
int review_key_line_down(ui *u, screen *s, ui_key k) { return k_line_down(u, s, k); }
int review_key_line_up(ui *u, screen *s, ui_key k) { return k_line_up(u, s, k); }
int review_key_home(ui *u, screen *s, ui_key k) { return k_home(u, s, k); }
int review_key_end(ui *u, screen *s, ui_key k) { return k_end(u, s, k); }
REVIEW_KEY_FN(k_rationale, edit_rationale(u, rv))
REVIEW_KEY_FN(k_comment, edit_comment(u, rv))
REVIEW_KEY_FN(k_guide, ui_push(u, screen_guide_new(u)))
REVIEW_KEY_FN(k_field, pick_field(rv, k))
#undef REVIEW_KEY_FN

static const ui_keydef review_keys[] = {
    {0, 0, NULL, "Review", ""},
    {'a', 0, k_accept, "accept: store the model's prediction as it is (its"
                       " overall too), next to review; asks first when you"
                       " have edits", NULL},
    {'\r', 0, k_save, "save what \"yours\" shows (corrected when it differs"
                      " from the model's values, else accepted) and go to"
                      " the next to review", NULL},
    {'\n', 0, k_save, NULL, NULL},
    {KEY_ENTER, 1, k_save, NULL, NULL},
    REVIEW_FIELD_KEYS,
    {0, 0, NULL, "type a value (e.g. 7, 7.5) for the picked field; moving"
                 " to another field (its key, j/k, Tab) commits it, Enter"
                 " commits it and saves, Esc cancels", "0-9 ."},
    {0, 0, NULL, "while typing: delete a character", "Backspace"},
    {'=', 0, k_reset, "reset the picked field to the model's value (overall:"
                      " back to following the parts)", NULL},
    {'s', 0, k_skip, "skip this conversation (recorded as skipped), next to"
                     " review", NULL},
    {'e', 0, k_edge, "mark / unmark as an edge case, with a one-line note",
     NULL},
    {'w', 0, k_rationale, "write your rationale (why these scores; starts as"
                          " the model's): saved with the label, exported as"
                          " the example's rationale", NULL},
    {'C', 0, k_comment, "add a comment to your label (for the team; a skip"
                        " keeps it too)", NULL},
    {'g', 0, k_guide, "the guidelines: instructions, every field's range and"
                      " description, the rubric's guidelines text", NULL},
    {'N', 0, k_note, "add a note to this conversation", NULL},
    {'u', 0, k_undo, "undo your own most recent action (label, skip, edge"
                     " mark or unmark, note) and open the conversation it"
                     " was on", NULL},
    {'n', 0, k_next, "next conversation in the list", NULL},
    {'p', 0, k_prev, "previous conversation in the list", NULL},
    {'r', 0, k_rescore, "re-score this conversation now (background)", NULL},
    REVIEW_CONV_KEYS,
    {']', 0, k_right_down, "scroll the rationale and reasoning down", NULL},
    {'[', 0, k_right_up, "scroll the rationale and reasoning up", NULL},
    {'q', 0, k_back, "back to the queue", NULL},
    {27, 0, k_back, NULL, NULL},
    {'h', 0, k_back, NULL, NULL},
    {KEY_LEFT, 1, k_back, NULL, NULL},
    {0, 0, NULL, "\"yours\" starts as the model's values (or your own"
                 " earlier label). Changing a part makes the overall follow"
                 " the rubric formula unless you type it (*). Leaving with"
                 " unsaved edits asks: save, discard or stay. A model overall"
                 " that disagrees with its parts by more than 0.5 is"
                 " highlighted (!). A rationale of yours with the model's"
                 " scores is still accepted (the status follows the scores).", ""},
    UI_KEYS_END,
};

/* 1 when ch is some row's key (not an F-key) in t. */
static int taken_in(const ui_keydef *t, int ch)
{
    for (; t && (t->fn || t->help || t->label); t++)
        if (t->fn && !t->fkey && t->ch == ch) return 1;
    return 0;
}

static int key_free(int ch, const ui_keydef *fixed, const ui_keydef *global,
                    const int *keys, int n)
{
    if (taken_in(fixed, ch) || taken_in(global, ch)) return 0;
    for (int i = 0; i < n; i++)
        if (keys[i] == ch) return 0;
    return 1;
}

void review_field_keys(const rubric *r, const int *fields, int nfields,
                       const ui_keydef *fixed, const ui_keydef *global,
                       int *keys)
{
    for (int i = 0; i < nfields; i++) keys[i] = 0;
    for (int i = 0; i < nfields; i++) {      /* initials of the words */
        const char *name = r->fields[fields[i]].name;
        size_t n = strlen(name);
        if (n > 6 && strcmp(name + n - 6, "_score") == 0) n -= 6;
        for (int upper = 0; upper < 2 && !keys[i]; upper++)
            for (size_t k = 0; k < n && !keys[i]; k++) {
                if (!isalpha((unsigned char)name[k]) ||
                    (k > 0 && name[k - 1] != '_'))
                    continue;
                int ch = upper ? toupper((unsigned char)name[k])
                               : tolower((unsigned char)name[k]);
                if (key_free(ch, fixed, global, keys, nfields)) keys[i] = ch;
            }
    }
    for (int i = 0; i < nfields; i++) {      /* then any letter of the name */
        const char *name = r->fields[fields[i]].name;
        for (int upper = 0; upper < 2 && !keys[i]; upper++)
            for (size_t k = 0; name[k] && !keys[i]; k++) {
                if (!isalpha((unsigned char)name[k])) continue;
                int ch = upper ? toupper((unsigned char)name[k])
                               : tolower((unsigned char)name[k]);
                if (key_free(ch, fixed, global, keys, nfields)) keys[i] = ch;
            }
    }
}

/* The screen's key table: a row per field key, then review_keys; the
 * hint names the field keys. */
static void build_keys(ui *u, review_screen *rv)
{
    review_field_keys(u->r, rv->fields, rv->nfields, review_keys,
                      ui_global_keys(), rv->field_key);
    size_t nfixed = 0;
    while (review_keys[nfixed].fn || review_keys[nfixed].help ||
           review_keys[nfixed].label)
        nfixed++;
    rv->keytab = xcalloc((size_t)rv->nfields + nfixed + 2, sizeof *rv->keytab);
    size_t n = 0;
    rv->keytab[n++] = (ui_keydef){0, 0, NULL, "Score fields: its key, the"
                                  " digits, Enter saves", ""};
    sbuf keys = {0};
    for (int i = 0; i < rv->nfields; i++) {
        if (!rv->field_key[i]) continue;
        sbuf h = {0};
        sbuf_addf(&h, "pick %s (then type its value)",
                  u->r->fields[rv->fields[i]].name);
        rv->field_help[i] = sbuf_take(&h);
        rv->keytab[n++] = (ui_keydef){rv->field_key[i], 0, k_field,
                                      rv->field_help[i], NULL};
        sbuf_addf(&keys, "%s%c", keys.len ? "/" : "", rv->field_key[i]);
    }
    for (size_t i = 0; i < nfixed; i++) rv->keytab[n++] = review_keys[i];
    rv->keytab[n] = (ui_keydef)UI_KEYS_END;
    snprintf(rv->hint, sizeof rv->hint, "a accept  %s field, digits, Enter"
             " save  s skip  e edge  w rationale  C comment  g guidelines"
             "  u undo  n/p  ? help  q back", keys.s ? keys.s : "j/k");
    sbuf_free(&keys);
}

/* Keys outside the table: the rest of typing (digits, Backspace) and a
 * digit that starts typing a value. */
static int review_key(ui *u, screen *s, ui_key k)
{
    review_screen *rv = (review_screen *)s;
    if (rv->typing && typing_key(u, rv, k)) return 1;
    if (!k.fkey && ((k.ch >= '0' && k.ch <= '9') || k.ch == '.')) {
        rv->typing = 1;
        rv->typed[0] = (char)k.ch;
        rv->typed[1] = 0;
        return 1;
    }
    return 0;
}

static void review_mouse(ui *u, screen *s, const MEVENT *ev)
{
    review_screen *rv = (review_screen *)s;
    int right = ev->x > rv->split_x;
    if (ev->bstate & BUTTON4_PRESSED) {
        if (right) scroll_right(rv, -3); else scroll_conv(u, rv, -3);
        return;
    }
    if (ev->bstate & BUTTON5_PRESSED) {
        if (right) scroll_right(rv, 3); else scroll_conv(u, rv, 3);
        return;
    }
    if ((ev->bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) && right) {
        int i = ev->y - rv->fields_y;
        if (i >= 0 && i < rv->nfields) rv->sel = i;
    }
    (void)u;
}

/* ---- re-scoring (background) ---- */

static void rescore(ui *u, review_screen *rv)
{
    ui_action_score_one(u, rv->it.conv_id);
}

/* ---- life cycle ---- */

static void review_destroy(screen *s)
{
    review_screen *rv = (review_screen *)s;
    free_convo(rv);
    for (int i = 0; i < rv->nfields; i++) free(rv->field_help[i]);
    free(rv->keytab);
    free(rv);
}

const char *screen_review_current(screen *s)
{
    return ((review_screen *)s)->it.conv_id;
}

void review_screen_setup(ui *u, review_screen *rv, const pool_filter *f)
{
    rv->f = *f;
    if (f->search) {
        snprintf(rv->search, sizeof rv->search, "%s", f->search);
        rv->f.search = rv->search;
    }
    rv->f.seller = NULL;
    for (size_t i = 0; i < u->r->nfields; i++)
        if (rubric_is_scored(&u->r->fields[i])) rv->fields[rv->nfields++] = (int)i;
}

int review_screen_open(ui *u, review_screen *rv, const pool_filter *f,
                       int64_t idx, const char *id)
{
    review_screen_setup(u, rv, f);
    return load(u, rv, id, idx);
}

void review_screen_free(review_screen *rv) { free_convo(rv); }
int review_screen_load(ui *u, review_screen *rv, const char *id, int64_t idx) { return load(u, rv, id, idx); }
void review_screen_reload(ui *u, review_screen *rv) { review_reload(u, &rv->base); }
int review_screen_typing_key(ui *u, review_screen *rv, ui_key k) { return typing_key(u, rv, k); }
void review_screen_reset_field(ui *u, review_screen *rv) { reset_field(u, rv); }
void review_screen_scroll(ui *u, review_screen *rv, int d) { scroll_conv(u, rv, d); }
void review_screen_step(ui *u, review_screen *rv, int dir) { step(u, rv, dir); }
void review_screen_undo(ui *u, review_screen *rv) { undo(u, rv); }

screen *screen_review_new(ui *u, const pool_filter *f, int64_t idx,
                          const char *id)
{
    review_screen *rv = xcalloc(1, sizeof *rv);
    rv->base.title = "Review";
    rv->base.hint = rv->hint;
    rv->base.draw = review_draw;
    rv->base.key = review_key;
    rv->base.mouse = review_mouse;
    rv->base.reload = review_reload;
    rv->base.destroy = review_destroy;
    rv->base.current = screen_review_current;
    rv->base.quit = review_quit;
    review_screen_setup(u, rv, f);
    build_keys(u, rv);
    rv->base.keys = rv->keytab;
    if (load(u, rv, id, idx) < 0) {
        review_destroy(&rv->base);
        return NULL;
    }
    return &rv->base;
}
