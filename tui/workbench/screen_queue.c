/* screen_queue.c: the queue: a windowed list of conversations (only the
 * visible rows are fetched with pool_list), tabs as filters, search, sort
 * by any column, counters. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "ui_keys.h"
#include "../../core/score.h"
#include "../app/review.h"
#include "../../core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The tabs, in screen order (number keys 1.. follow it): one row each. */
typedef struct {
    pool_filter_kind kind;
    const char *name;     /* on wide terminals */
    const char *short_name;
    const char *empty;    /* shown when the tab (without a search) is empty */
} queue_tab;

static const queue_tab tabs[] = {
    {FILTER_TO_REVIEW, "To review", "Review",
     "Nothing to review: every scored conversation has a label. "
     "Score more with x (actions) or see the All tab."},
    {FILTER_REVIEWED, "Reviewed", "Done", "No conversation has a label yet."},
    {FILTER_EDGE, "Edge cases", "Edge",
     "No edge cases (e marks the selected conversation as one)."},
    {FILTER_DISAGREE, "Disagree", "Diff",
     "No conversation where model and human differ by the threshold "
     "(- lowers it)."},
    {FILTER_ALL, "All", "All", "No conversations in this tab."},
    /* After All, so that 1-5 stay what they were. Skipped: this
     * reviewer's own skips, as Argilla's Discarded and Prodigy's ignored
     * answers are per annotator. */
    {FILTER_SKIPPED, "Skipped", "Skip",
     "You have skipped nothing (s in the review screen skips; u undoes)."},
    {FILTER_FAILED, "Failed", "Fail",
     "No conversation whose latest scoring failed."},
    /* for leads: Enter adjudicates (screen_adjudicate.c); shown while
     * there are conflicts (tab_hidden) */
    {FILTER_CONFLICT, "Conflicts", "Confl",
     "No conflicts: where several reviewers labeled a conversation, they "
     "agree within the tolerance or a lead has adjudicated."},
};
#define NTABS ((int)(sizeof tabs / sizeof tabs[0]))

typedef struct {
    screen base;
    pool_filter f;
    int tab;
    char search[256];
    char *seller;                  /* only this seller's conversations, or NULL */
    int mine;                      /* only the reviewer's assignments (curate assign) */
    double disagree;
    int64_t total;                 /* rows of the current filter */
    int64_t tabcount[NTABS];       /* without the search */
    /* what tabcount and today were read for (tab_counts) */
    int counts_valid;
    pool_stamp counts_stamp;
    int64_t counts_day;
    pool_filter counts_f;          /* its strings: q->seller, the reviewer's */
    int64_t reviewed, to_review, today, all;
    ui_progress prog;              /* this reviewer's (ui_session.c) */
    int64_t cur, top;              /* absolute positions */
    pool_row *rows;                /* the fetched window */
    int nrows, cap;
    int64_t win_top;
    int win_valid;
    int vis;                       /* list rows on screen at the last draw */
    int list_y;                    /* screen row of the first list row */
    int tabs_y, head_y;
    int tab_x[NTABS + 1];
    int col_x[9];
    char *sel_id;                  /* the edge prompt's conversation */
    /* The selected row's edge note and scoring failure (the detail line),
     * read for detail_id at detail_gen. */
    char *detail_id;
    unsigned detail_gen;
    int detail_edge, detail_failed;
    char *detail_note, *detail_error;
} queue_screen;

static const char *col_name[8] = {
    "id", "seller", "msgs", "model", "human", "|diff|", "status", "edge",
};

/* The tab showing kind (every kind used here has one). */
static int tab_of(pool_filter_kind kind)
{
    for (int i = 0; i < NTABS; i++)
        if (tabs[i].kind == kind) return i;
    return 0;
}

static void fetch_window(ui *u, queue_screen *q)
{
    char err[ERR_MAX];
    int want = q->vis > 0 ? q->vis : 1;
    if (want > q->cap) {
        q->cap = want;
        q->rows = xrealloc(q->rows, (size_t)q->cap * sizeof *q->rows);
    }
    pool_rows_clear(q->rows, q->nrows);
    q->nrows = 0;
    int n = pool_list(u->p, &q->f, q->top, want, q->rows, err);
    if (n < 0) {
        ui_error(u, "%s", err);
        n = 0;
    }
    q->nrows = n;
    q->win_top = q->top;
    q->win_valid = 1;
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Whether the tab counts read for g hold for f: the same terms beside the
 * tab (the search is never one of them). */
static int same_terms(const pool_filter *f, const pool_filter *g)
{
    return f->disagree == g->disagree && same_str(f->seller, g->seller) &&
           same_str(f->assigned_to, g->assigned_to) &&
           same_str(f->skipped_by, g->skipped_by);
}

/* The tab counts and "reviewed today", read again only when the pool (its
 * stamp), the day or the terms changed: a tab switch on an unchanged pool
 * reads none of them. */
static void tab_counts(ui *u, queue_screen *q, const pool_filter *f)
{
    char err[ERR_MAX];
    pool_stamp now;
    int64_t day = ui_today_start();
    int stamped = pool_stamp_get(u->p, &now, err) == 0;
    if (stamped && q->counts_valid && q->counts_day == day &&
        pool_stamp_same(&now, &q->counts_stamp) && same_terms(f, &q->counts_f))
        return;
    int ok = stamped;
    pool_filter t = *f;
    for (int i = 0; i < NTABS; i++) {
        t.kind = tabs[i].kind;
        q->tabcount[i] = pool_count(u->p, &t, err);
        if (q->tabcount[i] < 0) ok = 0;
    }
    /* reviewed today: labels of today in this pool (as curate stats);
     * alone, not the whole statistics (which cost 24 ms on 100k). */
    int64_t today = pool_reviewed_since(u->p, day, err);
    if (today < 0) { ui_error(u, "%s", err); ok = 0; }
    else q->today = today;
    q->counts_valid = ok;
    q->counts_stamp = now;
    q->counts_day = day;
    q->counts_f = *f;
}

static void counts(ui *u, queue_screen *q)
{
    char err[ERR_MAX];
    pool_filter f = q->f;
    f.search = NULL;
    f.skipped_by = u->o->reviewer;
    tab_counts(u, q, &f);
    q->to_review = q->tabcount[tab_of(FILTER_TO_REVIEW)];
    q->reviewed = q->tabcount[tab_of(FILTER_REVIEWED)];
    q->all = q->tabcount[tab_of(FILTER_ALL)];
    if (q->f.search) q->total = pool_count(u->p, &q->f, err);
    else q->total = q->tabcount[q->tab];
    if (q->total < 0) { ui_error(u, "%s", err); q->total = 0; }
    if (ui_progress_get(u, &q->prog, err) < 0) ui_error(u, "%s", err);
}

static void apply_filter(ui *u, queue_screen *q)
{
    memset(&q->f, 0, sizeof q->f);
    q->f.kind = tabs[q->tab].kind;
    q->f.disagree = q->disagree;
    q->f.search = q->search[0] ? q->search : NULL;
    q->f.seller = q->seller;
    q->f.assigned_to = q->mine ? u->o->reviewer : NULL;
    q->f.skipped_by = u->o->reviewer;
}

static void queue_reload(ui *u, screen *s)
{
    queue_screen *q = (queue_screen *)s;
    counts(u, q);
    if (q->cur >= q->total) q->cur = q->total - 1;
    if (q->cur < 0) q->cur = 0;
    q->win_valid = 0;
}

static void set_filter(ui *u, queue_screen *q)
{
    pool_sort_kind sort = q->f.sort;
    int desc = q->f.desc;
    apply_filter(u, q);
    q->f.sort = sort;
    q->f.desc = desc;
    q->cur = q->top = 0;
    queue_reload(u, &q->base);
}

static void ensure_visible(queue_screen *q)
{
    if (q->vis < 1) return;
    if (q->cur < q->top) q->top = q->cur;
    if (q->cur >= q->top + q->vis) q->top = q->cur - q->vis + 1;
    if (q->top > q->total - q->vis) q->top = q->total - q->vis;
    if (q->top < 0) q->top = 0;
}

/* ---- drawing ---- */

/* This reviewer's progress, then the pool's counters as room allows:
 * "tester: 12 today · 38/h · 106 left  [bar] 12/50 | pool: ...". */
static void draw_counters(ui *u, queue_screen *q, int y)
{
    const ui_progress *g = &q->prog;
    char t[32], r[32], l[32], a[32], b[32], c[32], d[32];
    ui_fmt_count(g->today.labels, t, sizeof t);
    if (g->per_hour >= 0) snprintf(r, sizeof r, "%.0f/h", g->per_hour);
    else snprintf(r, sizeof r, "-/h");
    ui_fmt_count(g->left, l, sizeof l);
    const char *dot = u->ascii ? " - " : " \u00b7 ";
    int x = 1;
    if (u->o->reviewer)
        x += ui_putf(u, y, x, COLS - x - 1, A_BOLD, "%s: ", u->o->reviewer);
    x += ui_putf(u, y, x, COLS - x - 1, A_BOLD, "%s today%s%s%s%s left",
                 t, dot, r, dot, l);
    if (g->goal > 0 && x + 30 < COLS) {
        wchar_t bar[11];
        double frac = (double)g->today.labels / (double)g->goal;
        ui_bar(frac > 1 ? 1 : frac, 10, u->ascii, bar);
        for (size_t i = wcslen(bar); i < 10; i++) bar[i] = u->ascii ? L'.' : L'\u2591';
        bar[10] = 0;
        x += 2 + ui_put(u, y, x + 2, COLS - x - 3, "goal ", A_BOLD);
        x += ui_putw(u, y, x, 10, bar, 10, ui_attr(u, frac >= 1 ? A_UI_OK : A_UI_HUMAN));
        ui_fmt_count(g->goal, a, sizeof a);
        x += 1 + ui_putf(u, y, x + 1, COLS - x - 2, A_BOLD, "%s/%s%s", t, a,
                         frac >= 1 ? " reached" : "");
    }
    ui_fmt_count(q->to_review, a, sizeof a);
    ui_fmt_count(q->reviewed, b, sizeof b);
    ui_fmt_count(q->today, c, sizeof c);
    ui_fmt_count(q->all, d, sizeof d);
    if (q->seller)
        x += 3 + ui_putf(u, y, x + 3, COLS - x - 4, ui_attr(u, A_UI_WARN),
                         "seller: %s", q->seller);
    if (q->mine)
        x += 3 + ui_putf(u, y, x + 3, COLS - x - 4, ui_attr(u, A_UI_WARN),
                         "assigned to you (a: all)");
    if (q->f.search)
        x += 3 + ui_putf(u, y, x + 3, COLS - x - 4, ui_attr(u, A_UI_WARN),
                         "search: \"%s\"", q->search);
    /* The pool's figures (everyone's) when they fit whole. */
    char pool_line[256];
    snprintf(pool_line, sizeof pool_line, "pool: %s today | %s reviewed | %s "
             "to review | %s %s", c, b, a, d,
             ui_plural(q->all, "conversation", "conversations"));
    if (x + 3 + (int)strlen(pool_line) < COLS)
        ui_put(u, y, x + 3, COLS - x - 4, pool_line, ui_attr(u, A_UI_DIM));
}

/* Tab i's label in one of four forms, widest first: " 1 To review (5) ",
 * "1 To review (5)", "1 Review(5)", "1(5)" (? names them). Returns its
 * width and the gap. */
enum { TAB_PADDED, TAB_PLAIN, TAB_SHORT, TAB_NUMBER };
static int tab_label(queue_screen *q, int i, int form, char *t, size_t n)
{
    char cnt[32];
    ui_fmt_count(q->tabcount[i], cnt, sizeof cnt);
    const char *name = form == TAB_SHORT ? tabs[i].short_name : tabs[i].name;
    const char *pad = form == TAB_PADDED ? " " : "";
    if (form == TAB_NUMBER)
        snprintf(t, n, "%d(%s)", i + 1, cnt);
    else if (tabs[i].kind == FILTER_DISAGREE) {
        char thr[SCORE_TEXT_MAX];         /* 1.25 shows as 1.25, not 1.2 */
        score_format(q->disagree, thr, sizeof thr);
        snprintf(t, n, form == TAB_SHORT ? "%s%d %s>=%s(%s)%s" : "%s%d %s >=%s (%s)%s",
                 pad, i + 1, name, thr, cnt, pad);
    } else
        snprintf(t, n, form == TAB_SHORT ? "%s%d %s(%s)%s" : "%s%d %s (%s)%s",
                 pad, i + 1, name, cnt, pad);
    return (int)strlen(t) + 1;
}

/* The Conflicts tab shows when there are conflicts (or it is open): a
 * pool without team review keeps the other tabs' room. */
static int tab_hidden(const queue_screen *q, int i)
{
    return tabs[i].kind == FILTER_CONFLICT && q->tabcount[i] == 0 && q->tab != i;
}

static void draw_tabs(ui *u, queue_screen *q, int y)
{
    char t[96];
    /* Narrower forms, tab by tab from the last one on, until the row fits
     * with room for the position; the numbers alone only when even the
     * short names do not fit without it; a hidden tab takes no room. */
    int form[NTABS], width = 1;
    for (int i = 0; i < NTABS; i++) {
        form[i] = TAB_PADDED;
        if (!tab_hidden(q, i)) width += tab_label(q, i, form[i], t, sizeof t);
    }
    for (int f = TAB_PLAIN; f <= TAB_NUMBER; f++)
        for (int i = NTABS - 1; i >= 0 && width > COLS - (f == TAB_NUMBER ? 1 : 12); i--) {
            if (tab_hidden(q, i)) continue;
            width -= tab_label(q, i, form[i], t, sizeof t);
            form[i] = f;
            width += tab_label(q, i, form[i], t, sizeof t);
        }
    int x = 1;
    for (int i = 0; i < NTABS; i++) {
        q->tab_x[i] = x;
        if (tab_hidden(q, i)) continue;
        tab_label(q, i, form[i], t, sizeof t);
        x += ui_put(u, y, x, COLS - x, t,
                    ui_attr(u, i == q->tab ? A_UI_TAB_ON : A_UI_TAB));
        x += 1;
    }
    q->tab_x[NTABS] = x;
}

/* Column layout for the current width: x of each column and widths. */
static void layout(queue_screen *q, int *w)
{
    /* Each as wide as its title plus the sort arrow. */
    static const int fixed[8] = {0, 0, 5, 6, 6, 7, 10, 5};
    int used = 2;
    for (int i = 2; i < 8; i++) used += fixed[i] + 1;
    int flex = COLS - used - 2;
    if (flex < 10) flex = 10;
    w[0] = flex * 55 / 100;
    w[1] = flex - w[0];
    /* Wide terminals: keep columns close, and room for "differs most". */
    if (w[0] > 31) w[0] = 31;
    if (w[1] > 23) w[1] = 23;
    for (int i = 2; i < 8; i++) w[i] = fixed[i];
    int x = 2;
    for (int i = 0; i < 8; i++) {
        q->col_x[i] = x;
        x += w[i] + 1;
    }
    q->col_x[8] = x;
}

static void draw_header(ui *u, queue_screen *q, int y, const int *w)
{
    int a = ui_attr(u, A_UI_HEAD);
    ui_fill(y, 0, COLS, a);
    for (int i = 0; i < 8; i++) {
        char t[32];
        const char *arrow = u->ascii ? (q->f.desc ? "v" : "^")
                                     : (q->f.desc ? "\u25bc" : "\u25b2");
        snprintf(t, sizeof t, "%s%s", col_name[i],
                 (int)q->f.sort == i ? arrow : "");
        int rightalign = i >= 2 && i <= 5;
        int x = q->col_x[i];
        if (rightalign) {
            int tl = (int)strlen(col_name[i]) + ((int)q->f.sort == i);
            if (tl < w[i]) x += w[i] - tl;
        }
        ui_put(u, y, x, w[i], t, a);
    }
    /* Disagreements: which field differs most (any field counts). */
    if (tabs[q->tab].kind == FILTER_DISAGREE && q->col_x[8] + 12 < COLS)
        ui_put(u, y, q->col_x[8] + 1, COLS - q->col_x[8] - 2, "differs most", a);
}

static void num_cell(ui *u, int y, int x, int w, double v, int has, int attr)
{
    char t[32];
    if (has) snprintf(t, sizeof t, "%*.2f", w, v);
    else snprintf(t, sizeof t, "%*s", w, "-");
    ui_put(u, y, x, w, t, attr);
}

static int status_attr(ui *u, conv_status st)
{
    if (st == CONV_TO_REVIEW) return ui_attr(u, A_UI_WARN);
    if (st == CONV_REVIEWED) return ui_attr(u, A_UI_OK);
    return ui_attr(u, A_UI_DIM);
}

static void draw_row(ui *u, queue_screen *q, int y, const pool_row *r,
                     const int *w, int sel)
{
    int base = sel ? ui_attr(u, A_UI_SEL) : 0;
    if (sel) ui_fill(y, 0, COLS, base);
    if (sel) ui_put(u, y, 0, 2, u->ascii ? ">" : "\u25b8", base);
    ui_put_cut(u, y, q->col_x[0], w[0], r->id, base);
    ui_put_cut(u, y, q->col_x[1], w[1], r->seller_id, base);
    char t[32], cnt[16];
    ui_fmt_count5(r->nmsgs, cnt, sizeof cnt);
    snprintf(t, sizeof t, "%*s", w[2], cnt);
    ui_put(u, y, q->col_x[2], w[2], t, base);
    num_cell(u, y, q->col_x[3], w[3], r->model_overall, r->has_model, base);
    num_cell(u, y, q->col_x[4], w[4], r->human_overall, r->has_human, base);
    int both = r->has_model && r->has_human;
    double diff = both ? fabs(r->model_overall - r->human_overall) : 0;
    int da = base;
    if (both && diff >= q->disagree && !sel) da = ui_attr(u, A_UI_WARN);
    num_cell(u, y, q->col_x[5], w[5], diff, both, da);
    ui_put(u, y, q->col_x[6], w[6], conv_status_name(r->status),
           sel ? base : status_attr(u, r->status));
    if (r->edge)
        ui_put(u, y, q->col_x[7] + 1, w[7], u->ascii ? "E" : "\u2605",
               sel ? base : ui_attr(u, A_UI_WARN));
    if (tabs[q->tab].kind == FILTER_DISAGREE && r->has_fdiff &&
        q->col_x[8] + 12 < COLS) {
        /* The field's name, or its first word when the name does not fit. */
        int room = COLS - q->col_x[8] - 2;
        int len = (int)strlen(r->fdiff_field);
        if (len + 6 > room && strchr(r->fdiff_field, '_'))
            len = (int)(strchr(r->fdiff_field, '_') - r->fdiff_field);
        ui_putf(u, y, q->col_x[8] + 1, room, sel ? base : ui_attr(u, A_UI_WARN),
                "%5.2f %.*s", r->fdiff, len, r->fdiff_field);
    }
}

static void draw_empty(ui *u, queue_screen *q, int y)
{
    const char *msg;
    if (q->all == 0)
        msg = "The pool is empty. Import conversations with `curate import "
              "FILE.jsonl` (or `curate demo` for sample data), then R.";
    else if (q->f.search)
        msg = "No conversation in this tab matches the search (c clears it).";
    else
        msg = tabs[q->tab].empty;
    ui_put(u, y, 2, COLS - 4, msg, ui_attr(u, A_UI_DIM));
}

/* The detail line's facts for the selected row r (read again when the
 * selection or the pool changed). */
static void detail_load(ui *u, queue_screen *q, const pool_row *r)
{
    if (q->detail_id && !strcmp(q->detail_id, r->id) && q->detail_gen == u->gen)
        return;
    free(q->detail_id);
    free(q->detail_note);
    free(q->detail_error);
    q->detail_note = q->detail_error = NULL;
    q->detail_id = xstrdup(r->id);
    q->detail_gen = u->gen;
    char err[ERR_MAX];
    q->detail_edge = r->edge && pool_get_edge(u->p, r->id, &q->detail_note, err) == 1;
    q->detail_failed = pool_last_failure(u->p, r->id, &q->detail_error, err) == 1;
}

/* Under the list: the selected conversation's edge note and why its
 * latest scoring failed, when it has either (sanitised by ui_put). */
static void draw_detail(ui *u, queue_screen *q, int y)
{
    int64_t i = q->cur - q->win_top;
    if (!q->win_valid || i < 0 || i >= q->nrows) return;
    detail_load(u, q, &q->rows[i]);
    int x = 1;
    if (q->detail_edge)
        x += 2 + ui_putf(u, y, x, COLS - x - 1, ui_attr(u, A_UI_WARN),
                         "%s edge case: %s", u->ascii ? "E" : "\u2605",
                         q->detail_note && *q->detail_note ? q->detail_note
                                                           : "(no note)");
    if (q->detail_failed && x < COLS - 4)
        ui_putf(u, y, x, COLS - x - 1, ui_attr(u, A_UI_ERR),
                "%s latest scoring failed: %s", u->ascii ? "x" : "\u2717",
                q->detail_error && *q->detail_error ? q->detail_error
                                                    : "(no reason recorded)");
}

static void queue_draw(ui *u, screen *s, int top, int rows)
{
    queue_screen *q = (queue_screen *)s;
    int w[8];
    layout(q, w);
    draw_counters(u, q, top);
    q->tabs_y = top + 1;
    draw_tabs(u, q, q->tabs_y);
    q->head_y = top + 2;
    draw_header(u, q, q->head_y, w);
    q->list_y = top + 3;
    int vis = rows - 4;              /* and the detail line under the list */
    if (vis < 1) vis = 1;
    if (vis != q->vis) { q->vis = vis; q->win_valid = 0; }
    ensure_visible(q);
    if (!q->win_valid || q->win_top != q->top) fetch_window(u, q);
    if (q->nrows == 0) {
        draw_empty(u, q, q->list_y + 1);
        return;
    }
    for (int i = 0; i < q->nrows && i < vis; i++) {
        int sel = q->top + i == q->cur;
        draw_row(u, q, q->list_y + i, &q->rows[i], w, sel);
    }
    draw_detail(u, q, top + rows - 1);
    /* Where the selection is, right of the tabs. */
    char pos[80], a[32], b[32];
    ui_fmt_count(q->cur + 1, a, sizeof a);
    ui_fmt_count(q->total, b, sizeof b);
    snprintf(pos, sizeof pos, " %s/%s ", a, b);
    int pl = (int)strlen(pos);
    if (q->tab_x[NTABS] + pl < COLS)
        ui_put(u, q->tabs_y, COLS - pl, pl, pos, ui_attr(u, A_UI_DIM));
}

/* ---- keys ---- */

static void move_to(queue_screen *q, int64_t pos)
{
    if (pos >= q->total) pos = q->total - 1;
    if (pos < 0) pos = 0;
    q->cur = pos;
}

static void open_selected(ui *u, queue_screen *q)
{
    int64_t i = q->cur - q->win_top;
    if (!q->win_valid || i < 0 || i >= q->nrows) return;
    /* a conflict opens for adjudication (a lead settles it) */
    if (tabs[q->tab].kind == FILTER_CONFLICT)
        ui_push(u, screen_adjudicate_new(u, &q->f, q->cur, q->rows[i].id));
    else
        ui_push(u, screen_review_new(u, &q->f, q->cur, q->rows[i].id));
}

static void search_done(ui *u, screen *s, const char *text)
{
    queue_screen *q = (queue_screen *)s;
    snprintf(q->search, sizeof q->search, "%s", text);
    set_filter(u, q);
    if (q->search[0]) {
        char n[32];
        ui_fmt_count(q->total, n, sizeof n);
        ui_status(u, "search \"%s\": %s in %s", q->search, n, tabs[q->tab].name);
    }
}

static void threshold_done(ui *u, screen *s, const char *text)
{
    queue_screen *q = (queue_screen *)s;
    double v;
    if (!ui_parse_typed(text, &v) || v < 0) {
        ui_error(u, "threshold: '%s' is not a number >= 0", text);
        return;
    }
    q->disagree = v;
    set_filter(u, q);
}

static void edge_done(ui *u, screen *s, const char *text)
{
    queue_screen *q = (queue_screen *)s;
    char err[ERR_MAX];
    if (review_edge(u->p, u->o->reviewer, q->sel_id, 1, text, err) < 0) {
        ui_error(u, "edge case: %s", err);
        return;
    }
    ui_changed(u);
    ui_status(u, "%s marked as an edge case (u undoes)", q->sel_id);
}

static void toggle_edge(ui *u, queue_screen *q)
{
    int64_t i = q->cur - q->win_top;
    if (!q->win_valid || i < 0 || i >= q->nrows) return;
    free(q->sel_id);
    q->sel_id = xstrdup(q->rows[i].id);
    if (!q->rows[i].edge) {
        ui_prompt(u, &q->base, "Edge case note (Enter marks, Esc cancels): ",
                  NULL, edge_done);
        return;
    }
    char err[ERR_MAX];
    if (review_edge(u->p, u->o->reviewer, q->sel_id, 0, NULL, err) < 0) {
        ui_error(u, "edge case: %s", err);
        return;
    }
    ui_changed(u);
    ui_status(u, "%s is no longer an edge case (u undoes)", q->sel_id);
}

static void set_tab(ui *u, queue_screen *q, int t)
{
    q->tab = (t + NTABS) % NTABS;
    set_filter(u, q);
}

static void sort_by(ui *u, queue_screen *q, int col, int toggle)
{
    if (toggle && (int)q->f.sort == col) q->f.desc = !q->f.desc;
    else q->f.sort = (pool_sort_kind)col;
    q->cur = q->top = 0;
    q->win_valid = 0;
    ui_status(u, "sorted by %s, %s", col_name[q->f.sort],
              q->f.desc ? "descending" : "ascending");
}

/* ---- keys: the one table (queue_keys) for handling and help ---- */

static int page_of(const queue_screen *q) { return q->vis > 1 ? q->vis - 1 : 1; }
static int q_down(ui *u, screen *s, ui_key k) { queue_screen *q = (queue_screen *)s; move_to(q, q->cur + 1); return 1; }
static int q_up(ui *u, screen *s, ui_key k) { queue_screen *q = (queue_screen *)s; move_to(q, q->cur - 1); return 1; }
static int q_pgdn(ui *u, screen *s, ui_key k) { queue_screen *q = (queue_screen *)s; move_to(q, q->cur + page_of(q)); return 1; }
static int q_pgup(ui *u, screen *s, ui_key k) { queue_screen *q = (queue_screen *)s; move_to(q, q->cur - page_of(q)); return 1; }
static int q_first(ui *u, screen *s, ui_key k) { move_to((queue_screen *)s, 0); return 1; }
static int q_last(ui *u, screen *s, ui_key k) { queue_screen *q = (queue_screen *)s; move_to(q, q->total - 1); return 1; }
static int q_open(ui *u, screen *s, ui_key k) { open_selected(u, (queue_screen *)s); return 1; }
static int q_tab_n(ui *u, screen *s, ui_key k)
{
    if (k.ch - '1' >= NTABS) return 0;
    if (tab_hidden((queue_screen *)s, k.ch - '1')) {   /* as if not there */
        ui_status(u, "no conflicts between reviewers: the %s tab shows when"
                  " there are some", tabs[k.ch - '1'].name);
        return 1;
    }
    set_tab(u, (queue_screen *)s, k.ch - '1');
    return 1;
}
/* Tab / Shift-Tab: the next shown tab that way. */
static void tab_step(ui *u, queue_screen *q, int d)
{
    int t = q->tab;
    do t = (t + d + NTABS) % NTABS; while (tab_hidden(q, t));
    set_tab(u, q, t);
}

static int q_tab_next(ui *u, screen *s, ui_key k) { tab_step(u, (queue_screen *)s, 1); return 1; }
static int q_tab_prev(ui *u, screen *s, ui_key k) { tab_step(u, (queue_screen *)s, -1); return 1; }

static int q_search(ui *u, screen *s, ui_key k)
{
    queue_screen *q = (queue_screen *)s;
    ui_prompt(u, s, "Search (seller, id, text): ", q->search, search_done);
    return 1;
}

static int q_clear(ui *u, screen *s, ui_key k)
{
    queue_screen *q = (queue_screen *)s;
    q->search[0] = 0;
    set_filter(u, q);
    return 1;
}

static int q_sort_next(ui *u, screen *s, ui_key k) { queue_screen *q = (queue_screen *)s; sort_by(u, q, ((int)q->f.sort + 1) % 8, 0); return 1; }
static int q_sort_rev(ui *u, screen *s, ui_key k) { queue_screen *q = (queue_screen *)s; sort_by(u, q, (int)q->f.sort, 1); return 1; }
/* F1-F8 sort by the columns in screen order (again: reverse). */
static int q_sort_col(ui *u, screen *s, ui_key k) { sort_by(u, (queue_screen *)s, k.ch - KEY_F(1), 1); return 1; }

static int q_thr_up(ui *u, screen *s, ui_key k)
{
    queue_screen *q = (queue_screen *)s;
    q->disagree += 0.5;
    set_filter(u, q);
    return 1;
}

static int q_thr_down(ui *u, screen *s, ui_key k)
{
    queue_screen *q = (queue_screen *)s;
    if (q->disagree >= 0.5) q->disagree -= 0.5;
    set_filter(u, q);
    return 1;
}

static int q_thr_type(ui *u, screen *s, ui_key k)
{
    queue_screen *q = (queue_screen *)s;
    char init[SCORE_TEXT_MAX];
    score_format(q->disagree, init, sizeof init);
    ui_prompt(u, s, "Disagreement threshold: ", init, threshold_done);
    return 1;
}

static int q_edge(ui *u, screen *s, ui_key k) { toggle_edge(u, (queue_screen *)s); return 1; }
static int q_bulk(ui *u, screen *s, ui_key k) { ui_action_bulk_accept(u); return 1; }

static int q_mine(ui *u, screen *s, ui_key k)
{
    queue_screen *q = (queue_screen *)s;
    q->mine = !q->mine;
    set_filter(u, q);
    ui_status(u, q->mine ? "your assignments only (a shows everything)"
                         : "everything (a: your assignments only)");
    return 1;
}

static const ui_keydef queue_keys[] = {
    {0, 0, NULL, "Queue", ""},
    {'\r', 0, q_open, "open the selected conversation for review", NULL},
    {'\n', 0, q_open, NULL, NULL},
    {KEY_ENTER, 1, q_open, NULL, NULL},
    {'l', 0, q_open, NULL, NULL},
    {KEY_RIGHT, 1, q_open, NULL, NULL},
    /* Digits beyond the last tab do nothing (q_tab_n). */
    {'1', 0, q_tab_n, "the tab of that number, as the tab row shows it (the"
                      " Conflicts tab: Enter adjudicates)", NULL},
    {'2', 0, q_tab_n, NULL, NULL},
    {'3', 0, q_tab_n, NULL, NULL},
    {'4', 0, q_tab_n, NULL, NULL},
    {'5', 0, q_tab_n, NULL, NULL},
    {'6', 0, q_tab_n, NULL, NULL},
    {'7', 0, q_tab_n, NULL, NULL},
    {'8', 0, q_tab_n, NULL, NULL},
    {'9', 0, q_tab_n, NULL, NULL},
    {'\t', 0, q_tab_next, "next tab", NULL},
    {KEY_BTAB, 1, q_tab_prev, "previous tab", NULL},
    {'/', 0, q_search, "search seller, id and message text (empty clears)", NULL},
    {'c', 0, q_clear, "clear the search", NULL},
    {'o', 0, q_sort_next, "sort by the next column", NULL},
    {'O', 0, q_sort_rev, "reverse the sort order", NULL},
    {KEY_F(1), 1, q_sort_col, "sort by column 1-8 (id ... edge); again reverses", NULL},
    {KEY_F(2), 1, q_sort_col, NULL, NULL},
    {KEY_F(3), 1, q_sort_col, NULL, NULL},
    {KEY_F(4), 1, q_sort_col, NULL, NULL},
    {KEY_F(5), 1, q_sort_col, NULL, NULL},
    {KEY_F(6), 1, q_sort_col, NULL, NULL},
    {KEY_F(7), 1, q_sort_col, NULL, NULL},
    {KEY_F(8), 1, q_sort_col, NULL, NULL},
    {'+', 0, q_thr_up, "disagreement threshold up by 0.5", NULL},
    {'-', 0, q_thr_down, "disagreement threshold down by 0.5", NULL},
    {'t', 0, q_thr_type, "type the disagreement threshold", NULL},
    {'e', 0, q_edge, "mark / unmark the selected conversation as an edge case", NULL},
    {'A', 0, q_bulk, "bulk accept: every conversation of this view whose prediction is ok (preview first)", NULL},
    {'a', 0, q_mine, "your assignments only / everything (starts on yours when you have some)", NULL},
    {'j', 0, q_down, "move the selection down", NULL},
    {KEY_DOWN, 1, q_down, NULL, NULL},
    {'k', 0, q_up, "move the selection up", NULL},
    {KEY_UP, 1, q_up, NULL, NULL},
    {KEY_NPAGE, 1, q_pgdn, "page down", NULL},
    {6, 0, q_pgdn, NULL, NULL},
    {' ', 0, q_pgdn, NULL, NULL},
    {KEY_PPAGE, 1, q_pgup, "page up", NULL},
    {2, 0, q_pgup, NULL, NULL},
    {KEY_HOME, 1, q_first, "first row", NULL},
    {'g', 0, q_first, NULL, NULL},
    {KEY_END, 1, q_last, "last row", NULL},
    {'G', 0, q_last, NULL, NULL},
    {0, 0, NULL, "select / open; click a column title to sort", "click  wheel"},
    UI_KEYS_END,
};

static void queue_mouse(ui *u, screen *s, const MEVENT *ev)
{
    queue_screen *q = (queue_screen *)s;
    if (ev->bstate & BUTTON4_PRESSED) { move_to(q, q->cur - 3); return; }
    if (ev->bstate & BUTTON5_PRESSED) { move_to(q, q->cur + 3); return; }
    if (!(ev->bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))) return;
    if (ev->y == q->tabs_y) {
        for (int i = 0; i < NTABS; i++)
            if (ev->x >= q->tab_x[i] && ev->x < q->tab_x[i + 1]) set_tab(u, q, i);
        return;
    }
    if (ev->y == q->head_y) {
        for (int i = 0; i < 8; i++)
            if (ev->x >= q->col_x[i] && ev->x < q->col_x[i + 1])
                sort_by(u, q, i, 1);
        return;
    }
    int i = ev->y - q->list_y;
    if (i < 0 || i >= q->nrows) return;
    if (q->top + i == q->cur) open_selected(u, q);
    else move_to(q, q->top + i);
}

static void queue_destroy(screen *s)
{
    queue_screen *q = (queue_screen *)s;
    pool_rows_clear(q->rows, q->nrows);
    free(q->rows);
    free(q->sel_id);
    free(q->seller);
    free(q->detail_id);
    free(q->detail_note);
    free(q->detail_error);
    free(q);
}

const pool_filter *screen_queue_filter(screen *s)
{
    return s && s->draw == queue_draw ? &((queue_screen *)s)->f : NULL;
}

const char *screen_queue_selected(screen *s)
{
    queue_screen *q = (queue_screen *)s;
    int64_t i = q->cur - q->win_top;
    if (!q->win_valid || i < 0 || i >= q->nrows) return NULL;
    return q->rows[i].id;
}

/* The cursor onto conv_id when this list has it near the cursor (after
 * an undo, or back from the review screen); else it stays where it is. */
static void queue_follow(ui *u, screen *s, const char *conv_id)
{
    queue_screen *q = (queue_screen *)s;
    char err[ERR_MAX];
    int64_t pos;
    int rc = pool_list_find(u->p, &q->f, conv_id, q->cur,
                            (q->vis > 0 ? q->vis : 40) + 256, &pos, err);
    if (rc < 0) ui_error(u, "%s", err);
    if (rc == 1) q->cur = pos;
}

screen *screen_queue_new(ui *u)
{
    queue_screen *q = xcalloc(1, sizeof *q);
    q->base.title = "Queue";
    /* The tab keys as many as the table has. */
    static char hint[160];
    snprintf(hint, sizeof hint, "Enter review  1-%d tabs  / search  o/O sort  "
             "e edge  d distribution  P programs  x actions  ? help  q quit", NTABS);
    q->base.hint = hint;
    q->base.keys = queue_keys;
    q->base.draw = queue_draw;
    q->base.mouse = queue_mouse;
    q->base.reload = queue_reload;
    q->base.destroy = queue_destroy;
    q->base.current = screen_queue_selected;
    q->base.follow = queue_follow;
    q->disagree = 2.0;
    q->tab = 0;
    /* A reviewer with assignments (curate assign) sees theirs first. */
    pool_filter mf = {.kind = FILTER_TO_REVIEW, .assigned_to = u->o->reviewer};
    char e2[ERR_MAX];
    q->mine = u->o->reviewer && pool_count(u->p, &mf, e2) > 0;
    apply_filter(u, q);
    queue_reload(u, &q->base);
    /* Nothing to review: start on All so the reviewer sees the pool. */
    if (q->to_review == 0 && q->all > 0) set_tab(u, q, tab_of(FILTER_ALL));
    return &q->base;
}

screen *screen_queue_seller_new(ui *u, const char *seller)
{
    screen *s = screen_queue_new(u);
    queue_screen *q = (queue_screen *)s;
    q->base.title = "Seller's conversations";
    q->seller = xstrdup(seller);
    set_tab(u, q, tab_of(FILTER_ALL));
    queue_reload(u, s);
    return s;
}
