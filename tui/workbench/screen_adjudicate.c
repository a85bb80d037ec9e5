/* screen_adjudicate.c: a lead settles a conflict between reviewers (the
 * queue's Conflicts tab, Enter). It is a review screen (ui_review.h): the
 * same conversation pane and the same editing of "yours" (core/label.h),
 * here the adjudicated values; its own keys and scores panel: per field
 * each reviewer's value, the model's, the spread with the consensus
 * rule's verdict, the consensus and the adjudicated value. Saving is
 * team_adjudicate, the use case `curate adjudicate` calls. */
#define _POSIX_C_SOURCE 200809L
#include "ui_review.h"
#include "../app/team.h"
#include "../term/sanitize.h"
#include "../../core/date.h"
#include "../../core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    review_screen rv;            /* first: a review screen */
    team_case tc;                /* the open conversation's labels and verdict */
    char source[160];            /* whose values the adjudicated column holds
                                    ("" while nothing was picked) */
    scoreset adopted;            /* those values, to tell an edit after */
    int pend_then;               /* a leave waiting for save / discard / stay */
} adj_screen;

#define VW 6                     /* columns of one value ("10.00" and a gap) */
#define MAX_PICK 9               /* reviewers 1-9 have a key */

/* ---- loading ---- */

/* Unsaved: the adjudicated values differ from what was loaded. */
static int dirty(const ui *u, const review_screen *rv)
{
    return rv->it.v.touched && !label_scores_equal(u->r, &rv->start, &rv->it.v.yours);
}

/* After every load: the case, and the adjudicated column starting from
 * the latest adjudication, else from the model's values (as on the
 * review screen), nothing picked yet. */
static void adj_loaded(ui *u, review_screen *rv)
{
    adj_screen *a = (adj_screen *)rv;
    char err[ERR_MAX];
    team_case_clear(&a->tc);
    if (team_case_open(u->p, u->r, rv->it.conv_id, &a->tc, err) < 0)
        ui_error(u, "%s", err);
    const scoreset *model = rv->it.has_pred ? &rv->it.pr.scores : NULL;
    label_values_init(&rv->it.v, u->r, model,
                      a->tc.has_adjudication ? &a->tc.adjudication.scores : NULL);
    rv->start = rv->it.v.yours;
    a->source[0] = 0;
}

/* After a change elsewhere: unsaved adjudicated values stay (as on the
 * review screen), and so does whose they are. */
static void adj_reload(ui *u, screen *s)
{
    adj_screen *a = (adj_screen *)s;
    char source[sizeof a->source];
    snprintf(source, sizeof source, "%s", a->source);
    scoreset adopted = a->adopted;
    review_screen_reload(u, &a->rv);
    if (dirty(u, &a->rv)) {
        snprintf(a->source, sizeof a->source, "%s", source);
        a->adopted = adopted;
    }
}

/* ---- adopting and saving ---- */

static void adopt(ui *u, adj_screen *a, const scoreset *s, const char *whose)
{
    review_screen *rv = &a->rv;
    label_values_init(&rv->it.v, u->r, rv->it.has_pred ? &rv->it.pr.scores : NULL, s);
    rv->it.v.touched = 1;
    a->adopted = rv->it.v.yours;
    snprintf(a->source, sizeof a->source, "%s", whose);
    ui_status(u, "adjudicated values = %s; Enter saves the adjudication", whose);
}

static void adopt_reviewer(ui *u, adj_screen *a, int k)
{
    /* the numbered columns: the reviewers with a label, skips left out */
    int seen = 0;
    for (size_t i = 0; i < a->tc.n; i++) {
        const team_case_label *l = &a->tc.labels[i];
        if (l->skipped) continue;
        if (++seen == k) {
            char whose[160];
            snprintf(whose, sizeof whose, "%s's label", l->reviewer);
            adopt(u, a, &l->scores, whose);
            return;
        }
    }
    ui_error(u, "no reviewer %d here (%d with a label)", k, seen);
}

/* The next conflict in the list after the open one (it has left the
 * list), else the first; 1 and *id (caller frees) / *pos, or 0. */
static int next_conflict(ui *u, review_screen *rv, char **id, int64_t *pos)
{
    char err[ERR_MAX];
    pool_row rows[2];
    int64_t from[2] = {rv->idx, 0};
    for (int t = 0; t < 2; t++) {
        int n = pool_list(u->p, &rv->f, from[t], 2, rows, err);
        if (n < 0) { ui_error(u, "%s", err); return 0; }
        int found = 0;
        for (int i = 0; i < n && !found; i++)
            if (strcmp(rows[i].id, rv->it.conv_id) != 0) {
                *id = xstrdup(rows[i].id);
                *pos = from[t] + i;
                found = 1;
            }
        pool_rows_clear(rows, n);
        if (found) return 1;
    }
    return 0;
}

static int save(ui *u, adj_screen *a, int supersede);

enum { THEN_POP, THEN_NEXT, THEN_PREV, THEN_QUIT, THEN_NONE };
static void then_do(ui *u, adj_screen *a, int then);

/* "Another reviewer labeled it since you opened it": y saves anyway. */
static void supersede_answer(ui *u, screen *s, int key)
{
    adj_screen *a = (adj_screen *)s;
    int then = a->pend_then;
    if (key != 'y' && key != 'Y')
        ui_status(u, "not saved: your adjudicated values are still on screen");
    else if (save(u, a, 1) == 0 && (then == THEN_POP || then == THEN_QUIT))
        then_do(u, a, then);
}

/* Saves the adjudicated column as it shows (the overall too) and opens
 * the next conflict; with none left it stays, showing the result. Asks
 * first (unless supersede) when another reviewer, e.g. another lead,
 * labeled it since it was opened, as the review screen does. 0 saved,
 * 1 asking, -1 not saved. */
static int save(ui *u, adj_screen *a, int supersede)
{
    review_screen *rv = &a->rv;
    if (!a->source[0] && !rv->it.v.touched) {
        int ncol = 0;
        for (size_t i = 0; i < a->tc.n; i++) ncol += !a->tc.labels[i].skipped;
        ui_error(u, "pick the adjudicated values first: 1-%d a reviewer's label,"
                 " m the model's, or t to type a value",
                 ncol < 1 ? 1 : ncol > MAX_PICK ? MAX_PICK : ncol);
        return -1;
    }
    team_set sets[RUBRIC_MAX_FIELDS];
    size_t n = 0;
    int oi = rubric_overall_index(u->r);
    for (int i = 0; i < rv->nfields; i++) {
        int fi = rv->fields[i];
        if (rv->it.v.yours.set[fi]) {
            sets[n++] = (team_set){fi, rv->it.v.yours.v[fi]};
        } else if (fi != oi) {      /* (no model, nobody's value taken) */
            rv->sel = i;
            ui_error(u, "give %s a value first (t types it, or adopt a label)",
                     u->r->fields[fi].name);
            return -1;
        }
    }
    char err[ERR_MAX];
    int64_t lid;
    int rc = team_adjudicate(u->p, u->r, u->o->reviewer, rv->it.conv_id, NULL, sets,
                             n, NULL, supersede ? -1 : rv->it.seen, &lid, err);
    if (rc == POOL_SUPERSEDES) {
        char q[ERR_MAX + 128];
        snprintf(q, sizeof q, "%s since you opened it: save your adjudication"
                 " too? y yes, other key no (theirs is kept; the latest"
                 " adjudication decides)", err);
        ui_ask(u, &rv->base, q, supersede_answer);
        return 1;
    }
    if (rc < 0) {
        ui_error(u, "not saved: %s", err);
        return -1;
    }
    ui_changed(u);
    rv->base.gen = u->gen;
    char done[sizeof u->status];
    int edited = a->source[0] && !label_scores_equal(u->r, &a->adopted, &rv->it.v.yours);
    snprintf(done, sizeof done, "adjudicated %s: label #%lld by %s%s%s%s (u undoes)",
             rv->it.conv_id, (long long)lid, u->o->reviewer,
             a->source[0] ? ", from " : "", a->source, edited ? ", edited" : "");
    char *id = NULL;
    int64_t pos;
    if (next_conflict(u, rv, &id, &pos)) {
        review_screen_load(u, rv, id, pos);
        ui_status(u, "%s; next conflict", done);
    } else {
        char *cur = xstrdup(rv->it.conv_id);
        review_screen_load(u, rv, cur, rv->idx);
        free(cur);
        ui_status(u, "%s; no conflicts left", done);
    }
    free(id);
    return 0;
}

/* ---- leaving ---- */

static void then_do(ui *u, adj_screen *a, int then)
{
    switch (then) {
    case THEN_POP: ui_pop(u); break;     /* a is gone afterwards */
    case THEN_NEXT: review_screen_step(u, &a->rv, 1); break;
    case THEN_PREV: review_screen_step(u, &a->rv, -1); break;
    case THEN_QUIT: u->quit = 1; break;
    }
}

static void leave_answer(ui *u, screen *s, int key)
{
    adj_screen *a = (adj_screen *)s;
    if (key == 's' || key == 'S') {
        int then = a->pend_then;
        /* saving moves on by itself; only leaving the screen remains */
        if (save(u, a, 0) == 0 && (then == THEN_POP || then == THEN_QUIT)) then_do(u, a, then);
    } else if (key == 'd' || key == 'D') {
        adj_loaded(u, &a->rv);
        ui_status(u, "adjudication discarded");
        then_do(u, a, a->pend_then);
    } else {
        ui_status(u, "still here: the adjudicated values are kept");
    }
}

static void leave(ui *u, adj_screen *a, int then)
{
    if (!dirty(u, &a->rv)) {
        then_do(u, a, then);
        return;
    }
    char q[1024];
    snprintf(q, sizeof q, "Unsaved adjudication of %s: s save it, d discard,"
             " any other key stays", a->rv.it.conv_id);
    a->pend_then = then;
    ui_ask(u, &a->rv.base, q, leave_answer);
}

static int adj_quit(ui *u, screen *s)
{
    adj_screen *a = (adj_screen *)s;
    if (!dirty(u, &a->rv)) return 0;
    leave(u, a, THEN_QUIT);
    return 1;
}

/* ---- keys ---- */

static void start_typing(review_screen *rv)
{
    rv->typing = 1;
    rv->typed[0] = 0;
}

#define ADJ_KEY_FN(name, body) \
    static int name(ui *u, screen *s, ui_key k) \
    { \
        adj_screen *a = (adj_screen *)s; \
        review_screen *rv = &a->rv; \
        if (!(rv->typing && review_screen_typing_key(u, rv, k))) { body; } \
        (void)a; (void)rv; (void)u; (void)k; \
        return 1; \
    }
ADJ_KEY_FN(k_pick, adopt_reviewer(u, a, k.ch - '0'))
ADJ_KEY_FN(k_model, rv->it.has_pred ? adopt(u, a, &rv->it.pr.scores, "the model's values")
                                    : ui_error(u, "no model scores here"))
ADJ_KEY_FN(k_save, a->pend_then = THEN_NONE; save(u, a, 0))
ADJ_KEY_FN(k_type, start_typing(rv))
ADJ_KEY_FN(k_reset, review_screen_reset_field(u, rv))
ADJ_KEY_FN(k_undo, review_screen_undo(u, rv))
ADJ_KEY_FN(k_next, leave(u, a, THEN_NEXT))
ADJ_KEY_FN(k_prev, leave(u, a, THEN_PREV))
ADJ_KEY_FN(k_back, leave(u, a, THEN_POP))
#undef ADJ_KEY_FN

static const ui_keydef adj_keys[] = {
    {0, 0, NULL, "Adjudicate", ""},
    {'1', 0, k_pick, "adopt reviewer 1-9's label (the numbered columns) as the"
                     " adjudicated values", NULL},
    {'2', 0, k_pick, NULL, NULL}, {'3', 0, k_pick, NULL, NULL},
    {'4', 0, k_pick, NULL, NULL}, {'5', 0, k_pick, NULL, NULL},
    {'6', 0, k_pick, NULL, NULL}, {'7', 0, k_pick, NULL, NULL},
    {'8', 0, k_pick, NULL, NULL}, {'9', 0, k_pick, NULL, NULL},
    {'m', 0, k_model, "adopt the model's values", NULL},
    {'\r', 0, k_save, "save the adjudicated values as the adjudication (as"
                      " curate adjudicate does), then the next conflict", NULL},
    {'\n', 0, k_save, NULL, NULL},
    {KEY_ENTER, 1, k_save, NULL, NULL},
    {'t', 0, k_type, "type a value for the picked field (digits, .; Enter or"
                     " Tab commits, Esc cancels)", NULL},
    REVIEW_FIELD_KEYS,
    {'=', 0, k_reset, "the picked field back to the model's value (overall:"
                      " back to following the parts)", NULL},
    {'u', 0, k_undo, "undo your own most recent action (an adjudication too)"
                     " and open the conversation it was on", NULL},
    {'n', 0, k_next, "next conversation in the list", NULL},
    {'p', 0, k_prev, "previous conversation in the list", NULL},
    REVIEW_CONV_KEYS,
    {'q', 0, k_back, "back to the queue", NULL},
    {27, 0, k_back, NULL, NULL},
    {'h', 0, k_back, NULL, NULL},
    {KEY_LEFT, 1, k_back, NULL, NULL},
    {0, 0, NULL, "Each reviewer's latest label, the model's values, the spread"
                 " between reviewers (! beyond the pool's tolerance: the fields"
                 " that make the conflict), the consensus and the adjudicated"
                 " values, which are saved as shown. Leaving with an unsaved"
                 " adjudication asks: save, discard or stay.", ""},
    UI_KEYS_END,
};

/* Keys outside the table: the rest of typing (digits, '.', Backspace). */
static int adj_key(ui *u, screen *s, ui_key k)
{
    review_screen *rv = &((adj_screen *)s)->rv;
    return rv->typing && review_screen_typing_key(u, rv, k);
}

static void adj_mouse(ui *u, screen *s, const MEVENT *ev)
{
    review_screen *rv = &((adj_screen *)s)->rv;
    if (ev->bstate & BUTTON4_PRESSED) { review_screen_scroll(u, rv, -3); return; }
    if (ev->bstate & BUTTON5_PRESSED) { review_screen_scroll(u, rv, 3); return; }
    if ((ev->bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) && ev->x > rv->split_x) {
        int i = ev->y - rv->fields_y;
        if (i >= 0 && i < rv->nfields) rv->sel = i;
    }
}

/* ---- drawing ---- */

static void cell(ui *u, int y, int x, double v, int has, const char *mark, int attr)
{
    char t[32], out[40];
    ui_fmt_score(v, has, t, sizeof t);
    snprintf(out, sizeof out, "%5s%s", t, mark);
    ui_put(u, y, x, VW, out, attr);
}

/* Wrapped text at (*y, x), w wide, up to the row limit. */
static void para(ui *u, int *y, int limit, int x, int w, const char *text, int attr)
{
    size_t n, nl;
    wchar_t *wb = sanitize_wide_new(text, 0, &n);
    ui_span *sp = ui_wrap_new(wb, n, w, &nl);
    for (size_t k = 0; k < nl && *y < limit; k++, (*y)++)
        ui_putw(u, *y, x, w, wb + sp[k].start, sp[k].len, attr);
    free(sp);
    free(wb);
}

static void draw_panel(ui *u, adj_screen *a, int top, int rows, int x, int w)
{
    review_screen *rv = &a->rv;
    const team_case *tc = &a->tc;
    int oi = rubric_overall_index(u->r);
    /* the numbered reviewers (skips are listed below, not numbered) */
    const team_case_label *col[MAX_PICK];
    int ncol = 0, nlab = 0;
    for (size_t i = 0; i < tc->n; i++)
        if (!tc->labels[i].skipped) {
            if (ncol < MAX_PICK) col[ncol++] = &tc->labels[i];
            nlab++;
        }
    int shown = ncol, namew;
    while ((namew = w - 2 - VW * (shown + 4)) < 8 && shown > 0) shown--;
    int ha = ui_attr(u, A_UI_HEAD);
    ui_fill(top, x, w, ha);
    ui_put(u, top, x + 2, namew, "Field", ha);
    int cx = x + 2 + namew;
    for (int c = 0; c < shown; c++, cx += VW) {
        char h[64];
        snprintf(h, sizeof h, "%d %s", c + 1, col[c]->reviewer);
        ui_put_cut(u, top, cx, VW - 1, h, ha);
    }
    ui_put(u, top, cx, VW, "model", ha);
    ui_put(u, top, cx + VW, VW, "sprd", ha);
    ui_put(u, top, cx + 2 * VW, VW, "cons", ha);
    ui_put(u, top, cx + 3 * VW, VW, "adjud", ha);
    rv->fields_y = top + 1;
    int y = top + 1, limit = top + rows;
    for (int i = 0; i < rv->nfields && y < limit; i++, y++) {
        int fi = rv->fields[i], sel = i == rv->sel;
        int base = sel ? ui_attr(u, A_UI_SEL) : UI_PLAIN;
        int warn = tc->cons.beyond[fi];
        if (sel) ui_fill(y, x, w, base);
        ui_put(u, y, x, 2, sel ? (u->ascii ? ">" : "\u25b8") : " ", base);
        char name[128];
        review_field_name(u, fi, name, sizeof name);
        ui_put_cut(u, y, x + 2, namew - 1, name, fi == oi ? base | (int)A_BOLD : base);
        cx = x + 2 + namew;
        for (int c = 0; c < shown; c++, cx += VW)
            cell(u, y, cx, col[c]->scores.v[fi], col[c]->scores.set[fi], " ",
                 sel ? base : warn ? ui_attr(u, A_UI_WARN) : UI_PLAIN);
        cell(u, y, cx, rv->it.pr.scores.v[fi], rv->it.has_pred && rv->it.pr.scores.set[fi],
             " ", sel ? base : ui_attr(u, A_UI_MODEL));
        cell(u, y, cx + VW, tc->cons.spread.v[fi], tc->cons.spread.set[fi], warn ? "!" : " ",
             warn ? ui_attr(u, A_UI_WARN) : sel ? base : ui_attr(u, A_UI_DIM));
        cell(u, y, cx + 2 * VW, tc->cons.scores.v[fi], tc->cons.scores.set[fi], " ",
             sel ? base : ui_attr(u, A_UI_OK));
        if (sel && rv->typing) {
            char t[32];
            snprintf(t, sizeof t, "%4s_", rv->typed);
            ui_put(u, y, cx + 3 * VW, VW, t, ui_attr(u, A_UI_TYPED));
        } else {
            const scoreset *yv = &rv->it.v.yours;
            cell(u, y, cx + 3 * VW, yv->v[fi], yv->set[fi],
                 fi == oi && rv->it.v.overall_typed ? "*" : " ",
                 rv->it.v.touched ? ui_attr(u, A_UI_TYPED) : sel ? base : ui_attr(u, A_UI_HUMAN));
        }
    }
    y++;
    char buf[1024];
    const consensus_result *cr = &tc->cons;
    if (cr->status == CONSENSUS_CONFLICT && cr->worst_field >= 0)
        snprintf(buf, sizeof buf, "conflict: %s differs by %.2f (tolerance %g)", u->r->fields[cr->worst_field].name,
                 cr->worst_spread, tc->tolerance);
    else if (cr->status == CONSENSUS_ADJUDICATED)
        snprintf(buf, sizeof buf, "adjudicated by %s (label #%lld)",
                 tc->adjudication.reviewer, (long long)tc->adjudication.label_id);
    else
        snprintf(buf, sizeof buf, "consensus: %s (tolerance %g)",
                 consensus_status_name(cr->status), tc->tolerance);
    para(u, &y, limit, x + 1, w - 1, buf,
         cr->status == CONSENSUS_CONFLICT ? ui_attr(u, A_UI_WARN) : ui_attr(u, A_UI_OK));
    sbuf fl = {0};
    for (int i = 0; i < rv->nfields; i++)
        if (cr->beyond[rv->fields[i]])
            sbuf_addf(&fl, "%s%s", fl.s ? ", " : "", u->r->fields[rv->fields[i]].name);
    if (fl.s) {
        snprintf(buf, sizeof buf, "beyond the tolerance: %s", fl.s);
        para(u, &y, limit, x + 1, w - 1, buf, ui_attr(u, A_UI_WARN));
    }
    sbuf_free(&fl);
    if (shown < nlab) {
        snprintf(buf, sizeof buf, "%d of %d reviewers' columns shown: widen the"
                 " terminal for the rest", shown, nlab);
        para(u, &y, limit, x + 1, w - 1, buf, ui_attr(u, A_UI_WARN));
    }
    y++;
    int n = 0;
    for (size_t i = 0; i < tc->n && y < limit; i++) {
        const team_case_label *l = &tc->labels[i];
        char when[32];
        date_iso8601(l->created_at, when, sizeof when);
        if (l->skipped)
            snprintf(buf, sizeof buf, "-  %s skipped it (%s)", l->reviewer, when);
        else
            snprintf(buf, sizeof buf, "%d  %s: label #%lld, %s", ++n, l->reviewer,
                     (long long)l->label_id, when);
        para(u, &y, limit, x + 1, w - 1, buf, UI_PLAIN);
    }
    y++;
    if (a->source[0])
        /* not saved yet whatever they equal: a save reloads, clearing it */
        snprintf(buf, sizeof buf, "adjudicated values: %s%s; not saved yet (Enter)",
                 a->source,
                 label_scores_equal(u->r, &a->adopted, &rv->it.v.yours) ? "" : ", edited");
    else if (rv->it.v.touched)
        snprintf(buf, sizeof buf, "adjudicated values: typed; not saved yet (Enter)");
    else
        snprintf(buf, sizeof buf, "pick: 1-%d a reviewer's label, m the model's,"
                 " t types a value; Enter saves", ncol ? ncol : 1);
    para(u, &y, limit, x + 1, w - 1, buf, ui_attr(u, A_UI_DIM));
    if (rv->it.has_pred && rv->it.pr.rationale && y + 1 < limit) {
        y++;
        ui_rule(u, y++, x, w, "Model's rationale", ui_attr(u, A_UI_DIM));
        para(u, &y, limit, x + 1, w - 1, rv->it.pr.rationale, UI_PLAIN);
    }
}

static void adj_draw(ui *u, screen *s, int top, int rows)
{
    adj_screen *a = (adj_screen *)s;
    /* the panel wants every reviewer's column (up to 9) and 12 columns of
     * field name; the conversation keeps at least a quarter */
    int ncol = 0;
    for (size_t i = 0; i < a->tc.n; i++) ncol += !a->tc.labels[i].skipped;
    if (ncol > MAX_PICK) ncol = MAX_PICK;
    int want = 2 + 2 + 14 + VW * (ncol + 4);
    int lw = COLS * 45 / 100;
    if (COLS - lw < want) lw = COLS - want;
    if (lw < COLS / 4) lw = COLS / 4;
    if (lw < 20) lw = 20;
    a->rv.split_x = lw;
    review_draw_conversation(u, &a->rv, top, rows, lw);
    for (int y = top; y < top + rows; y++)
        mvaddch(y, lw, u->ascii ? '|' : ACS_VLINE);
    draw_panel(u, a, top, rows, lw + 2, COLS - lw - 2);
}

/* ---- life cycle ---- */

static void adj_destroy(screen *s)
{
    adj_screen *a = (adj_screen *)s;
    team_case_clear(&a->tc);
    review_screen_free(&a->rv);
    free(a);
}

static const char *adj_current(screen *s)
{
    return ((adj_screen *)s)->rv.it.conv_id;
}

screen *screen_adjudicate_new(ui *u, const pool_filter *f, int64_t idx,
                              const char *id)
{
    adj_screen *a = xcalloc(1, sizeof *a);
    screen *b = &a->rv.base;
    b->title = "Adjudicate";
    b->hint = "1-9 adopt a reviewer  m model  t type  j/k field  +/- 0.5"
              "  Enter save  u undo  n/p next/prev  ? help  q back";
    b->keys = adj_keys;
    b->draw = adj_draw;
    b->key = adj_key;
    b->mouse = adj_mouse;
    b->reload = adj_reload;
    b->destroy = adj_destroy;
    b->current = adj_current;
    b->quit = adj_quit;
    a->rv.loaded = adj_loaded;
    if (review_screen_open(u, &a->rv, f, idx, id) < 0) {
        adj_destroy(b);
        return NULL;
    }
    return b;
}
