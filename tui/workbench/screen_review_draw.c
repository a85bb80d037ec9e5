/* screen_review_draw.c: drawing of the review screen: the conversation
 * (timestamps, senders coloured by role, wrapped UTF-8, day changes and
 * long gaps marked) and the scores panel. */
#define _POSIX_C_SOURCE 200809L
#include "ui_review.h"
#include "../term/sanitize.h"
#include "../../core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GAP_MARK_SECS 3600      /* mark reply gaps of an hour or more */

void review_lines_free(review_screen *rv)
{
    free(rv->lines);
    rv->lines = NULL;
    rv->nlines = 0;
    rv->lines_w = 0;
}

static void add_line(review_screen *rv, size_t *cap, int kind, size_t msg,
                     size_t start, size_t len)
{
    if (rv->nlines == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        rv->lines = xrealloc(rv->lines, *cap * sizeof *rv->lines);
    }
    rv_line *l = &rv->lines[rv->nlines++];
    l->kind = kind;
    l->msg = msg;
    l->start = start;
    l->len = len;
}

static int day_of(int64_t ts)
{
    time_t t = (time_t)ts;
    struct tm tm;
    localtime_r(&t, &tm);
    return tm.tm_year * 400 + tm.tm_yday;
}

static void build_lines(review_screen *rv, int width)
{
    review_lines_free(rv);
    size_t cap = 0;
    rv->lines_w = width;
    const convo *c = rv->c;
    for (size_t i = 0; i < c->nmsgs; i++) {
        if (i == 0 || day_of(c->msgs[i].ts) != day_of(c->msgs[i - 1].ts))
            add_line(rv, &cap, RL_DATE, i, 0, 0);
        if (i > 0 && c->msgs[i].ts - c->msgs[i - 1].ts >= GAP_MARK_SECS)
            add_line(rv, &cap, RL_GAP, i, 0, 0);
        add_line(rv, &cap, RL_HEAD, i, 0, 0);
        size_t n;
        ui_span *sp = ui_wrap_new(rv->wtext[i], rv->wlen[i], width - 2, &n);
        for (size_t k = 0; k < n; k++)
            add_line(rv, &cap, RL_TEXT, i, sp[k].start, sp[k].len);
        free(sp);
    }
    if (c->nmsgs == 0) add_line(rv, &cap, RL_BLANK, 0, 0, 0);
}

static int role_attr(ui *u, msg_role r)
{
    switch (r) {
    case ROLE_SELLER: return ui_attr(u, A_UI_SELLER);
    case ROLE_SYSTEM: return ui_attr(u, A_UI_SYSTEM);
    default: return ui_attr(u, A_UI_CUSTOMER);
    }
}

static void draw_conv_line(ui *u, review_screen *rv, const rv_line *l, int y,
                           int w)
{
    const convo_msg *m = rv->c->nmsgs ? &rv->c->msgs[l->msg] : NULL;
    char buf[160];
    struct tm tm;
    time_t t = m ? (time_t)m->ts : 0;
    localtime_r(&t, &tm);
    switch (l->kind) {
    case RL_DATE:
        strftime(buf, sizeof buf, "%a %Y-%m-%d", &tm);
        ui_rule(u, y, 0, w, buf, ui_attr(u, A_UI_DIM));
        break;
    case RL_GAP: {
        char gap[32];
        ui_fmt_gap(m->ts - rv->c->msgs[l->msg - 1].ts, gap, sizeof gap);
        snprintf(buf, sizeof buf, "%s later", gap);
        ui_rule(u, y, 0, w, buf, ui_attr(u, A_UI_WARN));
        break;
    }
    case RL_HEAD: {
        strftime(buf, sizeof buf, "%H:%M ", &tm);
        int x = ui_put(u, y, 0, w, buf, ui_attr(u, A_UI_DIM));
        /* No sender (a WhatsApp system line): the role is the name, not
         * "18:01  (system)". */
        if (!m->sender[0]) {
            ui_put(u, y, x, w - x, convo_role_name(m->role), role_attr(u, m->role));
            break;
        }
        x += ui_put(u, y, x, w - x, m->sender, role_attr(u, m->role));
        snprintf(buf, sizeof buf, " (%s)", convo_role_name(m->role));
        ui_put(u, y, x, w - x, buf, ui_attr(u, A_UI_DIM));
        break;
    }
    case RL_TEXT:
        ui_putw(u, y, 2, w - 2, rv->wtext[l->msg] + l->start, l->len, UI_PLAIN);
        break;
    case RL_BLANK:
        ui_put(u, y, 2, w - 2, "(no messages)", ui_attr(u, A_UI_DIM));
        break;
    }
}

void review_draw_conversation(ui *u, review_screen *rv, int top, int rows, int w)
{
    if (rv->lines_w != w) build_lines(rv, w);
    rv->conv_rows = rows - 1;
    if (rv->scroll_to_msg >= 0) {     /* the window moved: find the message */
        int64_t want = rv->scroll_to_msg - rv->win_first;
        size_t li = 0;
        while (li < rv->nlines && (int64_t)rv->lines[li].msg < want) li++;
        long s = (long)li + rv->scroll_adjust;
        rv->conv_scroll = s > 1 << 30 ? 1 << 30 : (int)s;
        rv->scroll_to_msg = -1;
    }
    int max = (int)rv->nlines - rv->conv_rows;
    if (rv->conv_scroll > max) rv->conv_scroll = max;
    if (rv->conv_scroll < 0) rv->conv_scroll = 0;
    int mw = 0;
    int windowed = rv->total_msgs > (int64_t)rv->c->nmsgs;
    if ((int)rv->nlines > rv->conv_rows || windowed) {  /* where we are */
        char more[48];
        int below = (int)rv->nlines - rv->conv_rows - rv->conv_scroll;
        int pct;
        if (windowed) {         /* by messages: the lines are the window's */
            size_t last = (size_t)(rv->conv_scroll + rv->conv_rows - 1);
            if (last >= rv->nlines) last = rv->nlines ? rv->nlines - 1 : 0;
            int64_t m = rv->win_first + (rv->nlines ? (int64_t)rv->lines[last].msg : 0) + 1;
            pct = (int)(100.0 * (double)m / (double)rv->total_msgs);
            if (m < rv->total_msgs) below = 1;
        } else {
            pct = (int)(100.0 * (rv->conv_scroll + rv->conv_rows) / rv->nlines);
        }
        snprintf(more, sizeof more, " %d%%%s", pct,
                 below > 0 && w >= 60 ? " PgDn more" : "");
        mw = (int)strlen(more);
        ui_put(u, top, w - mw, mw, more, ui_attr(u, A_UI_DIM));
    }
    char n[32], pos[32];
    ui_fmt_count(rv->total_msgs, n, sizeof n);    /* all, not the window */
    ui_fmt_count(rv->idx + 1, pos, sizeof pos);
    /* Id and seller may be long: each cut with an ellipsis, so that the
     * counts after them stay on screen. */
    int avail = w - mw;
    char tail[96];
    snprintf(tail, sizeof tail, " | %s %s | #%s", n,
             ui_plural(rv->total_msgs, "msg", "msgs"), pos);
    /* The id first: all but "  seller ", 8 columns of seller and the counts. */
    const char *seller = rv->c->seller_id ? rv->c->seller_id : "?";
    int sl = (int)strlen(seller) < 8 ? (int)strlen(seller) : 8;
    int idw = avail - 9 - sl - (int)strlen(tail);
    if (idw < 16) idw = avail < 16 ? avail : 16;
    int x = ui_put_cut(u, top, 0, idw, rv->it.conv_id, A_BOLD);
    x += ui_put(u, top, x, avail - x, "  seller ", UI_PLAIN);
    int sw = avail - x - (int)strlen(tail);
    x += ui_put_cut(u, top, x, sw > 4 ? sw : avail - x, seller, UI_PLAIN);
    ui_put(u, top, x, avail - x, tail, UI_PLAIN);
    for (int i = 0; i < rv->conv_rows; i++) {
        size_t li = (size_t)(rv->conv_scroll + i);
        if (li >= rv->nlines) break;
        draw_conv_line(u, rv, &rv->lines[li], top + 1 + i, w);
    }
}

/* ---- scores panel ---- */

static void field_label(ui *u, int fi, char *out, size_t n)
{
    const char *name = u->r->fields[fi].name;
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s", name);
    size_t l = strlen(tmp);
    if (l > 6 && strcmp(tmp + l - 6, "_score") == 0) tmp[l - 6] = 0;
    char *p = rubric_prefix_new(tmp);
    size_t pl = strlen(p);
    if (pl && p[pl - 1] == ':') p[pl - 1] = 0;
    snprintf(out, n, "%s", p);
    free(p);
}

/* Does the model's overall disagree with its own parts by > 0.5? */
static int model_overall_off(ui *u, review_screen *rv, double *parts)
{
    int oi = rubric_overall_index(u->r);
    const prediction *pr = &rv->it.pr;
    if (oi < 0 || !rv->it.has_pred || !pr->scores.set[oi]) return 0;
    if (!review_formula(u, &pr->scores, parts)) return 0;
    return fabs(*parts - pr->scores.v[oi]) > 0.5;
}

static void draw_field(ui *u, review_screen *rv, int i, int y, int x, int w)
{
    int fi = rv->fields[i];
    const rubric_field *f = &u->r->fields[fi];
    int sel = i == rv->sel, oi = rubric_overall_index(u->r);
    int barw = w >= 44 ? 10 : w >= 36 ? 5 : 4;   /* room for the field keys */
    int namew = w - 2 - 7 - 7 - barw - 1;
    if (sel) ui_fill(y, x, w, ui_attr(u, A_UI_SEL));
    int base = sel ? ui_attr(u, A_UI_SEL) : UI_PLAIN;
    ui_put(u, y, x, 2, sel ? (u->ascii ? ">" : "\u25b8") : " ", base);
    /* The field's own key before its name (none: reached with j/k). */
    char key[4] = "  ";
    if (rv->field_key[i]) key[0] = (char)rv->field_key[i];
    ui_put(u, y, x + 2, 2, key, base | (int)A_BOLD | (int)A_UNDERLINE);
    x += 2;
    namew -= 2;
    char name[128];
    field_label(u, fi, name, sizeof name);
    if (!f->higher_is_better && f->kind == FIELD_SCORE)
        strncat(name, u->ascii ? " (lower=better)" : " \u2193", sizeof name - strlen(name) - 1);
    size_t nl;
    wchar_t *wn = sanitize_wide_new(name, 0, &nl);
    if (ui_swidth(wn, nl) > namew && namew > 1) {   /* "Conversational T…" */
        nl = ui_fit(wn, nl, namew - 1);
        wn[nl++] = u->ascii ? L'~' : 0x2026;
    }
    ui_putw(u, y, x + 2, namew, wn, nl, fi == oi ? base | (int)A_BOLD : base);
    free(wn);
    char v[32];
    const scoreset *model = &rv->it.pr.scores, *mine = &rv->it.v.yours;
    ui_fmt_score(model->v[fi], rv->it.has_pred && model->set[fi], v, sizeof v);
    double parts;
    int off = fi == oi && model_overall_off(u, rv, &parts);
    char mv[40];
    snprintf(mv, sizeof mv, "%6s%s", v, off ? "!" : " ");
    ui_put(u, y, x + 2 + namew, 7, mv,
           off ? ui_attr(u, A_UI_ERR) : sel ? base : ui_attr(u, A_UI_MODEL));
    int ya;
    if (sel && rv->typing) {
        snprintf(mv, sizeof mv, "%5s_", rv->typed);
        ya = ui_attr(u, A_UI_TYPED);
    } else {
        ui_fmt_score(mine->v[fi], mine->set[fi], v, sizeof v);
        int changed = mine->set[fi] && (!rv->it.has_pred || !model->set[fi] ||
                      fabs(mine->v[fi] - model->v[fi]) > 0.005);
        snprintf(mv, sizeof mv, "%6s%s", v,
                 fi == oi && rv->it.v.overall_typed ? "*" : " ");
        ya = changed ? ui_attr(u, A_UI_TYPED) : sel ? base : ui_attr(u, A_UI_HUMAN);
    }
    ui_put(u, y, x + 2 + namew + 7, 7, mv, ya);
    x -= 2;
    if (mine->set[fi])
        ui_draw_bar(u, y, x + w - barw, barw, mine->v[fi], f->lo, f->hi,
                    sel ? base : ui_attr(u, A_UI_HUMAN));
}

/* Text lines of the panel below the fields, wrapped to w: a heading and
 * its body. Draws those inside [y0, y0 + rows) after skipping *skip lines;
 * returns the number of lines it has (drawn or not). */
static int text_block(ui *u, const char *head, const char *body, int y0,
                      int rows, int x, int w, int *line, int skip, int attr)
{
    int count = 0;
    if (head) {
        int li = *line - skip;
        if (li >= 0 && li < rows) ui_rule(u, y0 + li, x, w, head, ui_attr(u, A_UI_DIM));
        (*line)++, count++;
    }
    if (!body || !*body) return count;
    size_t n, nl;
    wchar_t *wb = sanitize_wide_new(body, SAN_KEEP_NL, &n);
    ui_span *sp = ui_wrap_new(wb, n, w - 1, &nl);
    for (size_t k = 0; k < nl; k++, (*line)++, count++) {
        int li = *line - skip;
        if (li >= 0 && li < rows)
            ui_putw(u, y0 + li, x + 1, w - 1, wb + sp[k].start, sp[k].len, attr);
    }
    free(sp);
    free(wb);
    return count;
}

static void draw_state(ui *u, review_screen *rv, int y0, int rows, int x,
                       int w, int *line)
{
    char buf[4096];   /* display only: wrapped below */
    double parts;
    int skip = rv->right_scroll;
    if (model_overall_off(u, rv, &parts)) {
        int oi = rubric_overall_index(u->r);
        snprintf(buf, sizeof buf, "! model overall %.2f disagrees with its "
                 "parts (formula: %.2f)", rv->it.pr.scores.v[oi], parts);
        text_block(u, NULL, buf, y0, rows, x, w, line, skip, ui_attr(u, A_UI_ERR));
    }
    const review_item *it = &rv->it;
    if (!it->has_pred) {
        text_block(u, NULL, "not scored yet: type your values, or r to score",
                   y0, rows, x, w, line, skip, ui_attr(u, A_UI_WARN));
    } else {
        snprintf(buf, sizeof buf, "model: prediction #%lld of run %lld, %s, %s%s%s%s",
                 (long long)it->pr.id, (long long)it->pr.run_id,
                 it->pr.model ? it->pr.model : "?",
                 it->pr.status ? it->pr.status : "?",
                 it->pr.error ? ": " : "", it->pr.error ? it->pr.error : "",
                 it->pr.json_fallback ? ", via the JSON fallback" : "");
        text_block(u, NULL, buf, y0, rows, x, w, line, skip, ui_attr(u, A_UI_DIM));
    }
    if (it->has_current) {
        char when[32], what[96];
        date_iso8601(it->current.created_at, when, sizeof when);
        review_describe(&it->current, what, sizeof what);
        snprintf(buf, sizeof buf, "label: %s by %s at %s", what,
                 it->current.reviewer, when);
    } else {
        snprintf(buf, sizeof buf, "label: none yet (to review)");
    }
    text_block(u, NULL, buf, y0, rows, x, w, line, skip, UI_PLAIN);
    if (it->has_own && it->has_current && it->own.id != it->current.id) {
        char what[96];
        review_describe(&it->own, what, sizeof what);
        snprintf(buf, sizeof buf, "yours: %s (label #%lld)", what,
                 (long long)it->own.id);
        text_block(u, NULL, buf, y0, rows, x, w, line, skip, UI_PLAIN);
    }
    if (it->edge) {
        snprintf(buf, sizeof buf, "%s edge case%s%s", u->ascii ? "E" : "\u2605",
                 it->edge_note ? ": " : "", it->edge_note ? it->edge_note : "");
        text_block(u, NULL, buf, y0, rows, x, w, line, skip, ui_attr(u, A_UI_WARN));
    }
    if (it->note) {
        snprintf(buf, sizeof buf, "note by %s: %s", it->note_by ? it->note_by : "?",
                 it->note);
        text_block(u, NULL, buf, y0, rows, x, w, line, skip, UI_PLAIN);
    }
}

static void draw_scores(ui *u, review_screen *rv, int top, int rows, int x,
                        int w)
{
    int barw = w >= 44 ? 10 : w >= 36 ? 5 : 4;   /* room for the field keys */
    int namew = w - 2 - 7 - 7 - barw - 1;
    int ha = ui_attr(u, A_UI_HEAD);
    ui_fill(top, x, w, ha);
    ui_put(u, top, x + 2, namew, "Scores", ha);
    ui_put(u, top, x + 2 + namew, 7, "  model", ha);
    ui_put(u, top, x + 2 + namew + 7, 7, "  yours", ha);
    rv->fields_y = top + 1;
    int y = top + 1;
    for (int i = 0; i < rv->nfields && y < top + rows; i++, y++)
        draw_field(u, rv, i, y, x, w);
    /* The picked field's description, always on screen (g: all of them). */
    if (y < top + rows && rv->nfields > 0) {
        const rubric_field *f = &u->r->fields[rv->fields[rv->sel]];
        ui_put_cut(u, y, x + 1, w - 1,
                   *f->desc ? f->desc : "(no description: g for the guidelines)",
                   ui_attr(u, A_UI_DIM));
    }
    y++;
    int avail = top + rows - y;
    if (avail <= 0) return;
    rv->right_rows = avail;
    int line = 0, skip = rv->right_scroll;
    draw_state(u, rv, y, avail, x, w, &line);
    if (rv->it.has_pred) {
        text_block(u, "Rationale", rv->it.pr.rationale ? rv->it.pr.rationale : "(none)",
                   y, avail, x, w, &line, skip, UI_PLAIN);
    }
    /* What a save stores with the label: your rationale, your comment. */
    const char *why = review_rationale(&rv->it, LABEL_DO_SAVE);
    if (why)
        text_block(u, "Your rationale (w)", why, y, avail, x, w, &line, skip,
                   ui_attr(u, A_UI_HUMAN));
    if (rv->it.comment)
        text_block(u, "Your comment (C)", rv->it.comment, y, avail, x, w,
                   &line, skip, ui_attr(u, A_UI_HUMAN));
    if (rv->it.has_pred && rv->it.pr.reasoning && *rv->it.pr.reasoning)
        text_block(u, "Reasoning", rv->it.pr.reasoning, y, avail, x, w, &line,
                   skip, ui_attr(u, A_UI_DIM));
    rv->right_total = line;
    if (line > avail)
        ui_putf(u, top + rows - 1, x + w - 12, 12, ui_attr(u, A_UI_DIM),
                " [ ] %d/%d ", skip + avail < line ? skip + avail : line, line);
}

void review_draw(ui *u, screen *s, int top, int rows)
{
    review_screen *rv = (review_screen *)s;
    int lw = COLS * (COLS < 100 ? 50 : 55) / 100;
    if (COLS - lw < 34) lw = COLS - 34;
    if (lw < 20) lw = 20;
    rv->split_x = lw;
    review_draw_conversation(u, rv, top, rows, lw);
    for (int y = top; y < top + rows; y++)
        mvaddch(y, lw, u->ascii ? '|' : ACS_VLINE);
    draw_scores(u, rv, top, rows, lw + 2, COLS - lw - 2);
}

void review_field_name(ui *u, int fi, char *out, size_t n)
{
    field_label(u, fi, out, n);
}
