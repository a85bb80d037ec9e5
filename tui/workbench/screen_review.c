/* screen_review.c: the review screen's state, keys and saving. The
 * conversation is on the left, the scores on the right (drawing in
 * screen_review_draw.c). Every save is one pool call (one transaction). */
#define _POSIX_C_SOURCE 200809L
#include "ui_review.h"
#include "../term/sanitize.h"
#include "../../core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const ui_help review_help[] = {
    {"", "Review"},
    {"a", "accept the model's scores as they are, save, next to review"},
    {"Enter", "save your values (corrected if any differs from the model's,"
              " else accepted) and go to the next to review"},
    {"j k  Up Down", "pick a score field"},
    {"+  -", "raise / lower the picked field by 0.5"},
    {"0-9 .", "type a value (e.g. 7, 7.5); Enter or Tab commits it, Esc"
              " cancels; Tab also moves to the next field"},
    {"Backspace", "while typing: delete a character"},
    {"=", "reset the picked field to the model's value (overall: back to"
          " the formula)"},
    {"s", "skip this conversation (recorded as skipped), next to review"},
    {"e", "mark / unmark as an edge case, with a one-line note"},
    {"u", "undo the last save (the label is retracted; history is kept)"},
    {"n  p", "next / previous conversation in the list"},
    {"r", "re-score this conversation now (background)"},
    {"PgUp PgDn  Space", "scroll the conversation by a page"},
    {"J K", "scroll the conversation by a line"},
    {"Home End", "start / end of the conversation"},
    {"[  ]", "scroll the rationale and reasoning"},
    {"q  Esc", "back to the queue"},
    {"", "The overall follows the rubric formula unless you type or change"
         " it; a model overall that disagrees with its parts by more than"
         " 0.5 is highlighted (!)."},
    {NULL, NULL},
};

int review_formula(const ui *u, const scoreset *sc, double *out)
{
    return rubric_overall_from(u->r, sc, out) == 0;
}

static int overall_idx(ui *u) { return rubric_overall_index(u->r); }

/* The reviewer's overall follows the formula unless typed. */
static void recompute(ui *u, review_screen *rv)
{
    int oi = overall_idx(u);
    if (oi < 0 || rv->overall_typed) return;
    double v;
    if (review_formula(u, &rv->mine, &v)) {
        rv->mine.v[oi] = v;
        rv->mine.set[oi] = 1;
    } else {
        rv->mine.set[oi] = 0;
    }
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
    convo *c = pool_get_convo_window_new(u->p, rv->id, first, REVIEW_WINDOW,
                                         &total, err);
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
    prediction_clear(&rv->pr);
    label_clear(&rv->lb);
    rv->has_pred = rv->has_label = 0;
}

static void init_mine(ui *u, review_screen *rv)
{
    int oi = overall_idx(u);
    memset(&rv->mine, 0, sizeof rv->mine);
    rv->overall_typed = 0;
    if (rv->has_label && strcmp(rv->lb.status, "skipped") != 0) {
        rv->mine = rv->lb.scores;
        double f;
        if (oi >= 0 && rv->mine.set[oi] && review_formula(u, &rv->mine, &f) &&
            fabs(f - rv->mine.v[oi]) > 0.005)
            rv->overall_typed = 1;
    } else if (rv->has_pred) {
        for (int i = 0; i < rv->nfields; i++) {
            int fi = rv->fields[i];
            if (fi == oi) continue;
            rv->mine.v[fi] = rv->pr.scores.v[fi];
            rv->mine.set[fi] = rv->pr.scores.set[fi];
        }
    }
    recompute(u, rv);
}

/* Loads conversation id (position idx in the list). 0 or -1 (shown). */
static int load(ui *u, review_screen *rv, const char *id, int64_t idx)
{
    char err[ERR_MAX];
    int64_t total;
    convo *c = pool_get_convo_window_new(u->p, id, 0, REVIEW_WINDOW, &total, err);
    if (!c) {
        ui_error(u, "%s", err);
        return -1;
    }
    free_convo(rv);
    rv->total_msgs = total;
    rv->scroll_to_msg = -1;
    set_window(rv, c, 0);
    snprintf(rv->id, sizeof rv->id, "%s", id);
    rv->idx = idx;
    int rc = pool_get_prediction(u->p, u->r, id, 0, &rv->pr, err);
    if (rc < 0) ui_error(u, "%s", err);
    rv->has_pred = rc == 1;
    rc = pool_get_label(u->p, u->r, id, &rv->lb, err);
    if (rc < 0) ui_error(u, "%s", err);
    rv->has_label = rc == 1;
    rc = pool_get_edge(u->p, id, rv->edge_note, sizeof rv->edge_note, err);
    if (rc < 0) ui_error(u, "%s", err);
    rv->edge = rc == 1;
    rv->typing = 0;
    rv->conv_scroll = rv->right_scroll = 0;
    init_mine(u, rv);
    return 0;
}

/* Reloads the open conversation's prediction/label/edge (after a save
 * elsewhere or a finished job), keeping unsaved edits when nothing
 * changed underneath. */
static void review_reload(ui *u, screen *s)
{
    review_screen *rv = (review_screen *)s;
    int64_t old_pred = rv->pr.id, old_label = rv->lb.id;
    scoreset keep = rv->mine;
    int keep_typed = rv->overall_typed, scroll = rv->conv_scroll;
    int64_t first = rv->win_first;
    char id[128];
    snprintf(id, sizeof id, "%s", rv->id);
    if (load(u, rv, id, rv->idx) < 0) return;
    if (first > 0) move_window(u, rv, first);
    rv->conv_scroll = scroll;
    if (rv->pr.id == old_pred && rv->lb.id == old_label) {
        rv->mine = keep;
        rv->overall_typed = keep_typed;
    }
}

/* ---- navigation ---- */

/* Finds the next conversation to review after the open one in the list it
 * came from, else the first to review in the pool. 1 found, 0 none. */
static int next_to_review(ui *u, review_screen *rv, char *id, int64_t *idx)
{
    char err[ERR_MAX];
    pool_row rows[64];
    for (int64_t off = rv->idx; off < rv->idx + 4096; off += 64) {
        int n = pool_list(u->p, &rv->f, off, 64, rows, err);
        if (n < 0) { ui_error(u, "%s", err); return 0; }
        for (int i = 0; i < n; i++) {
            if (strcmp(rows[i].id, rv->id) != 0 &&
                strcmp(rows[i].status, "to review") == 0) {
                memcpy(id, rows[i].id, sizeof rows[i].id);
                *idx = off + i;
                return 1;
            }
        }
        if (n < 64) break;
    }
    /* Nothing after it in this list: the first to review anywhere. */
    pool_filter f = rv->f;
    f.kind = FILTER_TO_REVIEW;
    f.search = NULL;
    f.seller = NULL;
    int n = pool_list(u->p, &f, 0, 2, rows, err);
    for (int i = 0; i < n; i++) {
        if (strcmp(rows[i].id, rv->id) != 0) {
            rv->f = f;
            rv->search[0] = 0;
            memcpy(id, rows[i].id, sizeof rows[i].id);
            *idx = i;
            return 1;
        }
    }
    return 0;
}

static void go_next_to_review(ui *u, review_screen *rv)
{
    char id[128];
    int64_t idx;
    if (next_to_review(u, rv, id, &idx)) {
        load(u, rv, id, idx);
    } else {
        review_reload(u, &rv->base);
        ui_status(u, "%s | nothing left to review", u->status);
    }
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
        int i = (n > 0 && strcmp(rows[0].id, rv->id) == 0) ? 1 : 0;
        if (i >= n) { ui_status(u, "this is the last conversation in the list"); return; }
        load(u, rv, rows[i].id, at + i);
    } else {
        if (at <= 0) { ui_status(u, "this is the first conversation in the list"); return; }
        int n = pool_list(u->p, &rv->f, at - 1, 1, rows, err);
        if (n < 0) { ui_error(u, "%s", err); return; }
        if (n == 0) return;
        load(u, rv, rows[0].id, at - 1);
    }
}

/* ---- saving ---- */

static int differs(ui *u, review_screen *rv)
{
    if (!rv->has_pred) return 1;
    for (int i = 0; i < rv->nfields; i++) {
        int fi = rv->fields[i];
        if (rv->mine.set[fi] != rv->pr.scores.set[fi]) return 1;
        if (rv->mine.set[fi] && fabs(rv->mine.v[fi] - rv->pr.scores.v[fi]) > 0.005)
            return 1;
    }
    (void)u;
    return 0;
}

static int save(ui *u, review_screen *rv, const char *status,
                const scoreset *sc)
{
    char err[ERR_MAX];
    int64_t lid;
    if (pool_add_label(u->p, u->r, rv->id, u->o->reviewer, status, sc, NULL,
                       &lid, err) < 0) {
        ui_error(u, "not saved: %s", err);
        return -1;
    }
    ui_undo_push(u, lid, rv->id);
    ui_changed(u);
    rv->base.gen = u->gen;
    ui_status(u, "saved %s as %s (u undoes)", rv->id, status);
    return 0;
}

static void save_mine(ui *u, review_screen *rv)
{
    int oi = overall_idx(u);
    for (int i = 0; i < rv->nfields; i++) {
        int fi = rv->fields[i];
        if (fi != oi && !rv->mine.set[fi]) {
            rv->sel = i;
            ui_error(u, "give %s a value first (type it, or + / -)",
                     u->r->fields[fi].name);
            return;
        }
    }
    scoreset sc = rv->mine;
    if (oi >= 0 && !rv->overall_typed) sc.set[oi] = 0;  /* pool: formula */
    const char *status = differs(u, rv) ? "corrected" : "accepted";
    if (save(u, rv, status, &sc) == 0) go_next_to_review(u, rv);
}

static void accept(ui *u, review_screen *rv)
{
    if (!rv->has_pred) {
        ui_error(u, "no model scores to accept: type your values and press Enter");
        return;
    }
    for (int i = 0; i < rv->nfields; i++) {
        int fi = rv->fields[i];
        if (!rv->pr.scores.set[fi] && fi != overall_idx(u)) {
            ui_error(u, "the model gave no %s: type it and press Enter",
                     u->r->fields[fi].name);
            return;
        }
    }
    if (save(u, rv, "accepted", &rv->pr.scores) == 0) go_next_to_review(u, rv);
}

static void skip(ui *u, review_screen *rv)
{
    scoreset none;
    memset(&none, 0, sizeof none);
    if (save(u, rv, "skipped", &none) == 0) go_next_to_review(u, rv);
}

static void undo(ui *u, review_screen *rv)
{
    char id[128];
    if (ui_undo_pop(u, id) != 1) return;
    if (strcmp(id, rv->id) == 0) review_reload(u, &rv->base);
    else load(u, rv, id, rv->idx > 0 ? rv->idx - 1 : 0);
    rv->base.gen = u->gen;
}

static void edge_done(ui *u, screen *s, const char *text)
{
    review_screen *rv = (review_screen *)s;
    char err[ERR_MAX];
    if (pool_set_edge(u->p, rv->id, u->o->reviewer, 1, text[0] ? text : NULL,
                      err) < 0) {
        ui_error(u, "edge case: %s", err);
        return;
    }
    rv->edge = 1;
    snprintf(rv->edge_note, sizeof rv->edge_note, "%s", text);
    ui_changed(u);
    rv->base.gen = u->gen;
    ui_status(u, "%s marked as an edge case", rv->id);
}

static void toggle_edge(ui *u, review_screen *rv)
{
    if (!rv->edge) {
        ui_prompt(u, &rv->base, "Edge case note (Enter marks, Esc cancels): ",
                  NULL, edge_done);
        return;
    }
    char err[ERR_MAX];
    if (pool_set_edge(u->p, rv->id, u->o->reviewer, 0, NULL, err) < 0) {
        ui_error(u, "edge case: %s", err);
        return;
    }
    rv->edge = 0;
    rv->edge_note[0] = 0;
    ui_changed(u);
    rv->base.gen = u->gen;
    ui_status(u, "%s is no longer an edge case", rv->id);
}

/* ---- editing values ---- */

static void set_value(ui *u, review_screen *rv, int fi, double v)
{
    const rubric_field *f = &u->r->fields[fi];
    double clean;
    if (!rubric_validate_value(f, v, &clean)) return;
    if (clean != v)
        ui_status(u, "%s: %.2f is outside %g-%g, set to %.2f", f->name, v,
                  f->lo, f->hi, clean);
    rv->mine.v[fi] = clean;
    rv->mine.set[fi] = 1;
    if (fi == overall_idx(u)) rv->overall_typed = 1;
    recompute(u, rv);
}

static void bump(ui *u, review_screen *rv, double d)
{
    int fi = rv->fields[rv->sel];
    double v = rv->mine.set[fi] ? rv->mine.v[fi]
             : rv->pr.scores.set[fi] ? rv->pr.scores.v[fi]
             : (u->r->fields[fi].lo + u->r->fields[fi].hi) / 2;
    set_value(u, rv, fi, v + d);
}

static void reset_field(ui *u, review_screen *rv)
{
    int fi = rv->fields[rv->sel];
    if (fi == overall_idx(u)) {
        rv->overall_typed = 0;
    } else {
        rv->mine.v[fi] = rv->pr.scores.v[fi];
        rv->mine.set[fi] = rv->pr.scores.set[fi];
    }
    recompute(u, rv);
}

static void commit_typed(ui *u, review_screen *rv)
{
    rv->typing = 0;
    double v;
    if (!rv->typed[0]) return;
    if (!ui_parse_typed(rv->typed, &v)) {
        ui_error(u, "'%s' is not a number", rv->typed);
        return;
    }
    set_value(u, rv, rv->fields[rv->sel], v);
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
    if ((!k.fkey && (k.ch == '\r' || k.ch == '\n')) || (k.fkey && k.ch == KEY_ENTER)) {
        commit_typed(u, rv);
        return 1;
    }
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

static int review_fkey(ui *u, review_screen *rv, int ch)
{
    int page = rv->conv_rows > 2 ? rv->conv_rows - 2 : 1;
    switch (ch) {
    case KEY_DOWN: move_sel(rv, 1); return 1;
    case KEY_UP: move_sel(rv, -1); return 1;
    case KEY_NPAGE: scroll_conv(u, rv, page); return 1;
    case KEY_PPAGE: scroll_conv(u, rv, -page); return 1;
    case KEY_HOME: conv_home(u, rv); return 1;
    case KEY_END: conv_end(u, rv); return 1;
    case KEY_ENTER: save_mine(u, rv); return 1;
    case KEY_BTAB: move_sel(rv, -1); return 1;
    case KEY_LEFT: ui_pop(u); return 1;
    }
    return 0;
}

static int review_key(ui *u, screen *s, ui_key k)
{
    review_screen *rv = (review_screen *)s;
    if (rv->typing && typing_key(u, rv, k)) return 1;
    if (k.fkey) return review_fkey(u, rv, k.ch);
    int page = rv->conv_rows > 2 ? rv->conv_rows - 2 : 1;
    if ((k.ch >= '0' && k.ch <= '9') || k.ch == '.') {
        rv->typing = 1;
        rv->typed[0] = (char)k.ch;
        rv->typed[1] = 0;
        return 1;
    }
    switch (k.ch) {
    case 'j': move_sel(rv, 1); return 1;
    case 'k': move_sel(rv, -1); return 1;
    case '\t': move_sel(rv, 1); return 1;
    case '+': bump(u, rv, 0.5); return 1;
    case '-': bump(u, rv, -0.5); return 1;
    case '=': reset_field(u, rv); return 1;
    case 'a': accept(u, rv); return 1;
    case '\r': case '\n': save_mine(u, rv); return 1;
    case 's': skip(u, rv); return 1;
    case 'e': toggle_edge(u, rv); return 1;
    case 'u': undo(u, rv); return 1;
    case 'n': step(u, rv, 1); return 1;
    case 'p': step(u, rv, -1); return 1;
    case 'r': rescore(u, rv); return 1;
    case ' ': case 6: scroll_conv(u, rv, page); return 1;
    case 2: scroll_conv(u, rv, -page); return 1;
    case 'J': scroll_conv(u, rv, 1); return 1;
    case 'K': scroll_conv(u, rv, -1); return 1;
    case ']': scroll_right(rv, 3); return 1;
    case '[': scroll_right(rv, -3); return 1;
    case 'h': ui_pop(u); return 1;
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
    ui_action_score_one(u, rv->id);
}

/* ---- life cycle ---- */

static void review_destroy(screen *s)
{
    review_screen *rv = (review_screen *)s;
    free_convo(rv);
    free(rv);
}

const char *screen_review_current(screen *s)
{
    return ((review_screen *)s)->id;
}

screen *screen_review_new(ui *u, const pool_filter *f, int64_t idx,
                          const char *id)
{
    review_screen *rv = xcalloc(1, sizeof *rv);
    rv->base.title = "Review";
    rv->base.hint = "a accept  Enter save+next  j/k field  +/- 0.5  digits type"
                    "  s skip  e edge  u undo  n/p next/prev  ? help  q back";
    rv->base.help = review_help;
    rv->base.draw = review_draw;
    rv->base.key = review_key;
    rv->base.mouse = review_mouse;
    rv->base.reload = review_reload;
    rv->base.destroy = review_destroy;
    rv->f = *f;
    if (f->search) {
        snprintf(rv->search, sizeof rv->search, "%s", f->search);
        rv->f.search = rv->search;
    }
    rv->f.seller = NULL;
    for (size_t i = 0; i < u->r->nfields; i++)
        if (rubric_is_scored(&u->r->fields[i])) rv->fields[rv->nfields++] = (int)i;
    if (load(u, rv, id, idx) < 0) {
        review_destroy(&rv->base);
        return NULL;
    }
    return &rv->base;
}
