/* ui.c: the workbench's main loop, layout, screen stack, status line,
 * one-line prompt and one-key question, help overlay, undo (through the
 * pool's journal) and --timing log. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "ui_keys.h"
#include "../term/sanitize.h"
#include "../app/review.h"
#include "../../core/util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

static volatile sig_atomic_t got_sigint;

static void on_sigint(int sig) { (void)sig; got_sigint = 1; }

/* ---- screen stack ---- */

void ui_push(ui *u, screen *s)
{
    if (!s) return;
    s->below = u->top;
    s->gen = u->gen;
    u->top = s;
}

void ui_pop(ui *u)
{
    screen *s = u->top;
    if (!s) return;
    u->top = s->below;
    u->popped_at = u->nkeys;
    const char *cur = s->current ? s->current(s) : NULL;
    char *id = xstrdup(cur);
    s->destroy(s);
    if (u->top && u->top->gen != u->gen && u->top->reload) {
        u->top->reload(u, u->top);
        u->top->gen = u->gen;
    }
    if (u->top && id && u->top->follow) u->top->follow(u, u->top, id);
    free(id);
}

void ui_changed(ui *u) { u->gen++; }

/* ---- status and log ---- */

static void vstatus(ui *u, int err, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char *clean = sanitize_new(msg, (size_t)-1, 0);
    snprintf(u->status, sizeof u->status, "%s", clean);
    free(clean);
    u->status_attr = err ? A_UI_ERR : A_UI_OK;
    ui_log_add(u, err, msg);
}

void ui_status(ui *u, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vstatus(u, 0, fmt, ap);
    va_end(ap);
}

void ui_error(ui *u, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vstatus(u, 1, fmt, ap);
    va_end(ap);
    beep();
}

/* ---- undo ---- */

int ui_undo(ui *u, char **conv_id)
{
    char err[ERR_MAX], what[ERR_MAX];
    pool_action a;
    *conv_id = NULL;
    int rc = review_undo(u->p, u->o->reviewer, NULL, 0, &a, what, err);
    if (rc < 0) {
        ui_error(u, "undo: %s", err);
        return -1;
    }
    if (rc == 0) {
        ui_status(u, "%s", what);
        return 0;
    }
    ui_changed(u);
    ui_status(u, "%s", what);
    *conv_id = a.conv_id;
    a.conv_id = NULL;
    pool_action_clear(&a);
    return 1;
}

/* ---- one-key question ---- */

void ui_ask(ui *u, screen *s, const char *question, ui_ask_fn done)
{
    u->ask.active = 1;
    snprintf(u->ask.question, sizeof u->ask.question, "%s", question);
    u->ask.done = done;
    u->ask.s = s;
}

/* ---- prompt ---- */

void ui_prompt(ui *u, screen *s, const char *text, const char *init,
               ui_prompt_fn done)
{
    u->prompt.active = 1;
    snprintf(u->prompt.label, sizeof u->prompt.label, "%s", text);
    u->prompt.len = 0;
    if (init) {
        size_t n;
        wchar_t *w = sanitize_wide_new(init, 0, &n);
        if (n > UI_PROMPT_MAX - 1) n = UI_PROMPT_MAX - 1;
        memcpy(u->prompt.buf, w, n * sizeof *w);
        u->prompt.len = n;
        free(w);
    }
    u->prompt.cur = u->prompt.len;
    u->prompt.done = done;
    u->prompt.s = s;
}

static char *wide_text(const wchar_t *w, size_t n)
{
    sbuf b = {0};
    for (size_t i = 0; i < n; i++) {
        char mb[4];
        sbuf_addn(&b, mb, (size_t)utf8_encode((uint32_t)w[i], mb));
    }
    return b.s ? sbuf_take(&b) : xstrdup("");
}

static char *prompt_text(ui *u) { return wide_text(u->prompt.buf, u->prompt.len); }

char *ui_prompt_echo_new(const char *init)
{
    size_t n;
    wchar_t *w = sanitize_wide_new(init ? init : "", 0, &n);
    if (n > UI_PROMPT_MAX - 1) n = UI_PROMPT_MAX - 1;
    char *t = wide_text(w, n);
    free(w);
    return t;
}

static void prompt_key(ui *u, ui_key k)
{
    size_t *len = &u->prompt.len, *cur = &u->prompt.cur;
    wchar_t *buf = u->prompt.buf;
    if (!k.fkey && k.ch == 27) { u->prompt.active = 0; return; }
    if (!k.fkey && (k.ch == '\n' || k.ch == '\r')) {
        u->prompt.active = 0;
        char *text = prompt_text(u);
        u->prompt.done(u, u->prompt.s, text);
        free(text);
        return;
    }
    if ((k.fkey && k.ch == KEY_BACKSPACE) || (!k.fkey && (k.ch == 127 || k.ch == 8))) {
        if (*cur > 0) {
            memmove(buf + *cur - 1, buf + *cur, (*len - *cur) * sizeof *buf);
            (*cur)--, (*len)--;
        }
    } else if (k.fkey && k.ch == KEY_DC) {
        if (*cur < *len) {
            memmove(buf + *cur, buf + *cur + 1, (*len - *cur - 1) * sizeof *buf);
            (*len)--;
        }
    } else if (k.fkey && k.ch == KEY_LEFT) { if (*cur > 0) (*cur)--; }
    else if (k.fkey && k.ch == KEY_RIGHT) { if (*cur < *len) (*cur)++; }
    else if ((k.fkey && k.ch == KEY_HOME) || (!k.fkey && k.ch == 1)) *cur = 0;
    else if ((k.fkey && k.ch == KEY_END) || (!k.fkey && k.ch == 5)) *cur = *len;
    else if (!k.fkey && k.ch == 21) *len = *cur = 0;          /* Ctrl-U */
    else if (!k.fkey && !sanitize_cp_unsafe((uint32_t)k.ch, 0) &&
             *len < UI_PROMPT_MAX - 1) {
        memmove(buf + *cur + 1, buf + *cur, (*len - *cur) * sizeof *buf);
        buf[(*cur)++] = (wchar_t)k.ch;
        (*len)++;
    }
}

/* ---- help overlay ---- */

static const ui_keydef global_keys[];

/* The help of what is on screen: the menu's keys when it is open, else the
 * top screen's; then the keys that work everywhere. */
static void help_collect(ui *u, ui_help_lines *h)
{
    if (u->menu_open) {
        ui_menu_help(h);
    } else if (u->top) {
        ui_keys_help(u->top->keys, h);
    }
    ui_keys_help(global_keys, h);
}

/* Draws (or, with draw 0, only counts) the help rows: each entry's keys
 * and its description wrapped to the box; returns the number of rows. The
 * key column is as wide as the widest keys (up to half the box); longer
 * keys get a line of their own, never a cut. */
static int help_rows(ui *u, int y, int x, int w, int first, int nrows,
                     int draw)
{
    ui_help_lines h = {0};
    help_collect(u, &h);
    int kw = 0;
    for (size_t i = 0; i < h.n; i++) {
        if (h.v[i].head) continue;
        size_t n;
        wchar_t *wk = sanitize_wide_new(h.v[i].label, 0, &n);
        int cw = ui_swidth(wk, n);
        free(wk);
        if (cw <= (w - 8) / 2 && cw > kw) kw = cw;
    }
    int row = 0;
    for (size_t i = 0; i < h.n; i++) {
        const ui_help_line *r = &h.v[i];
        int dx = r->head ? 2 : 3 + kw + 2, dw = w - dx - 2;
        size_t kn;
        wchar_t *wk = sanitize_wide_new(r->label, 0, &kn);
        if (!r->head && ui_swidth(wk, kn) > kw) {   /* keys on their own line */
            int yy = row - first;
            if (draw && yy >= 0 && yy < nrows)
                ui_putw(u, y + yy, x + 3, w - 5, wk, kn, A_BOLD);
            row++;
            free(wk);
            wk = NULL;
        }
        size_t wn, nl;
        wchar_t *wd = sanitize_wide_new(r->desc, 0, &wn);
        ui_span *sp = ui_wrap_new(wd, wn, dw > 4 ? dw : 4, &nl);
        for (size_t k = 0; k < nl; k++, row++) {
            int yy = row - first;
            if (!draw || yy < 0 || yy >= nrows) continue;
            if (k == 0 && wk && !r->head) ui_putw(u, y + yy, x + 3, kw, wk, kn, A_BOLD);
            ui_putw(u, y + yy, x + dx, dw, wd + sp[k].start, sp[k].len,
                    r->head ? ui_attr(u, A_UI_HEAD) : UI_PLAIN);
        }
        free(sp);
        free(wd);
        free(wk);
    }
    ui_help_lines_clear(&h);
    return row;
}

static void help_draw(ui *u)
{
    int w = COLS - 4 < 90 ? COLS - 4 : 90, h = LINES - 2;
    int x = (COLS - w) / 2, y = 1;
    ui_box(u, y, x, h, w, "Help - every key (? or q closes)");
    int inner = h - 2;
    int n = help_rows(u, 0, x, w, 0, 0, 0);
    if (u->help_scroll > n - inner) u->help_scroll = n - inner;
    if (u->help_scroll < 0) u->help_scroll = 0;
    help_rows(u, y + 1, x, w, u->help_scroll, inner, 1);
    if (n > inner)
        ui_putf(u, y + h - 1, x + w - 18, 16, UI_PLAIN, " j/k %d/%d ",
                u->help_scroll + inner < n ? u->help_scroll + inner : n, n);
}

static void help_key(ui *u, ui_key k)
{
    int page = LINES - 4;
    if ((k.fkey && k.ch == KEY_DOWN) || (!k.fkey && k.ch == 'j')) u->help_scroll++;
    else if ((k.fkey && k.ch == KEY_UP) || (!k.fkey && k.ch == 'k')) u->help_scroll--;
    else if ((k.fkey && k.ch == KEY_NPAGE) || (!k.fkey && k.ch == ' ')) u->help_scroll += page;
    else if (k.fkey && k.ch == KEY_PPAGE) u->help_scroll -= page;
    else if (k.fkey && k.ch == KEY_RESIZE) return;
    else u->help_open = 0;
}

/* ---- frame ---- */

static void draw_title(ui *u)
{
    int a = ui_attr(u, A_UI_TITLE);
    ui_fill(0, 0, COLS, a);
    char left[256];
    snprintf(left, sizeof left, " curate | %s", u->top ? u->top->title : "");
    int used = ui_put(u, 0, 0, COLS, left, a);
    char right[512];
    snprintf(right, sizeof right, "%s%s%s%s%s | %s | ? help ", u->index_label,
             u->index_label[0] ? " | " : "", u->synced_label,
             u->synced_label[0] ? " | " : "",
             u->o->db_path ? u->o->db_path : pool_path(u->p),
             u->o->reviewer ? u->o->reviewer : "");
    size_t n;
    wchar_t *w = sanitize_wide_new(right, 0, &n);
    int rw = ui_swidth(w, n);
    if (rw > COLS - used - 2) {
        snprintf(right, sizeof right, "%s%s? help ", u->index_label,
                 u->index_label[0] ? " | " : "");
        free(w);
        w = sanitize_wide_new(right, 0, &n);
        rw = ui_swidth(w, n);
    }
    ui_putw(u, 0, COLS - rw, rw, w, n, a);
    free(w);
}

static void draw_status(ui *u)
{
    int y = LINES - 1;
    ui_fill(y, 0, COLS, UI_PLAIN);
    if (u->ask.active) {
        ui_put(u, y, 0, COLS, u->ask.question, ui_attr(u, A_UI_WARN) | A_BOLD);
        return;
    }
    if (u->prompt.active) {
        /* The label whole when it leaves 24 columns to type in; else cut
         * with an ellipsis and a ": " kept after it, so it never runs into
         * what is typed. */
        int lw, lmax = COLS - 24 > COLS / 2 ? COLS - 24 : COLS / 2;
        size_t ln;
        wchar_t *wl = sanitize_wide_new(u->prompt.label, 0, &ln);
        if (ui_swidth(wl, ln) > lmax) {
            lw = ui_put_cut(u, y, 0, lmax - 2, u->prompt.label, A_BOLD);
            lw += ui_put(u, y, lw, 2, ": ", A_BOLD);
        } else {
            lw = ui_putw(u, y, 0, lmax, wl, ln, A_BOLD);
        }
        free(wl);
        int avail = COLS - lw - 1;
        size_t start = 0;
        while (start < u->prompt.cur &&
               ui_swidth(u->prompt.buf + start, u->prompt.cur - start) >= avail)
            start++;
        ui_putw(u, y, lw, avail, u->prompt.buf + start, u->prompt.len - start,
                UI_PLAIN);
        move(y, lw + ui_swidth(u->prompt.buf + start, u->prompt.cur - start));
        curs_set(1);
        return;
    }
    curs_set(0);
    if (u->status[0])
        ui_put(u, y, 0, COLS, u->status, ui_attr(u, u->status_attr));
    else if (u->top && u->top->hint)
        ui_put(u, y, 0, COLS, u->top->hint, ui_attr(u, A_UI_DIM));
}

static void draw_frame(ui *u)
{
    erase();
    if (COLS < 20 || LINES < 5) {
        mvaddstr(0, 0, "curate: window too small");
        refresh();
        return;
    }
    screen *s = u->top;
    if (s && s->gen != u->gen && s->reload) {
        s->reload(u, s);
        s->gen = u->gen;
    }
    draw_title(u);
    int rows = LINES - 2;
    if (ui_job_running(u) || u->job) {
        rows--;
        ui_job_draw(u, LINES - 2);
    }
    if (s) s->draw(u, s, 1, rows);
    if (u->menu_open) ui_menu_draw(u);
    if (u->help_open) help_draw(u);
    draw_status(u);
    refresh();
}

/* ---- keys ---- */

static int g_help(ui *u, screen *s, ui_key k)
{
    u->help_open = 1;
    u->help_scroll = 0;
    return 1;
}

/* ---- quitting ----
 * q on the queue quits at once, as in htop and tig, except when quitting
 * would cost something or was likely not meant: a background job is
 * running (quitting stops it), or the key before it already went back
 * from a screen (q q from the review screen: tig would exit, which is the
 * accident reviewers report). Then it asks. A screen with unsaved edits
 * asks first itself (screen.quit). Ctrl-C quits the same way from any
 * screen; a second Ctrl-C while asked quits. */

static void quit_answer(ui *u, screen *s, int key)
{
    u->quit_asking = 0;
    if (key == 'y' || key == 'Y') u->quit = 1;
    else ui_status(u, "not quitting");
}

static void quit_or_ask(ui *u, int double_q)
{
    char summary[256], q[512];
    if (!ui_job_running(u) && !double_q) { u->quit = 1; return; }
    ui_session_summary(u, summary, sizeof summary);
    snprintf(q, sizeof q, "%s Quit curate? y quits, any other key stays (%s)",
             ui_job_running(u) ? "A background job is running: quitting stops"
                                 " it (what it finished is kept)."
                               : "", summary);
    u->quit_asking = 1;
    ui_ask(u, u->top, q[0] == ' ' ? q + 1 : q, quit_answer);
}

/* Ctrl-C: unsaved edits ask first (that screen's own question), then as
 * q on the queue. */
static void quit_interrupt(ui *u)
{
    if (u->quit_asking) { u->quit = 1; return; }
    for (screen *s = u->top; s; s = s->below)
        if (s->quit && s->quit(u, s)) return;
    quit_or_ask(u, 0);
}

static int g_back(ui *u, screen *s, ui_key k)
{
    if (u->top && u->top->below) ui_pop(u);
    else if (k.ch == 27) ui_status(u, "q quits the workbench");
    else quit_or_ask(u, u->popped_at + 1 == u->nkeys);
    return 1;
}

static int g_dist(ui *u, screen *s, ui_key k) { ui_push(u, screen_dist_new(u, NULL)); return 1; }
static int g_programs(ui *u, screen *s, ui_key k) { ui_push(u, screen_programs_new(u)); return 1; }
static int g_log(ui *u, screen *s, ui_key k) { ui_push(u, screen_log_new(u)); return 1; }
static int g_team(ui *u, screen *s, ui_key k) { ui_push(u, screen_team_new(u)); return 1; }

static int g_menu(ui *u, screen *s, ui_key k)
{
    u->menu_open = 1;
    u->menu_sel = 0;
    return 1;
}

static int g_cancel(ui *u, screen *s, ui_key k)
{
    if (ui_job_running(u)) ui_job_cancel(u);
    else ui_status(u, "no background action is running");
    return 1;
}

static int g_undo(ui *u, screen *s, ui_key k)
{
    char *id;
    if (ui_undo(u, &id) == 1 && u->top && u->top->follow)
        u->top->follow(u, u->top, id);
    free(id);
    return 1;
}

static int g_reload(ui *u, screen *s, ui_key k)
{
    ui_changed(u);
    ui_status(u, "reloaded");
    return 1;
}

static int g_redraw(ui *u, screen *s, ui_key k) { clearok(curscr, TRUE); return 1; }

static const ui_keydef global_keys[] = {
    {0, 0, NULL, "Everywhere", ""},
    {'?', 0, g_help, "this help (j/k, PgUp/PgDn scroll it; any other key closes)", NULL},
    {KEY_F(1), 1, g_help, NULL, NULL},
    {'q', 0, g_back, "back to the previous screen; quit from the queue (asks "
                     "while a job runs, or right after going back)", NULL},
    {27, 0, g_back, NULL, NULL},
    {'d', 0, g_dist, "distribution view: model vs human scores", NULL},
    {'P', 0, g_programs, "programs view: optimised few-shot programs", NULL},
    {'L', 0, g_log, "log view: messages and errors", NULL},
    {'T', 0, g_team, "team view: per reviewer figures, assignments left, agreement", NULL},
    {'x', 0, g_menu, "actions menu (scoring, ...) - run in the background", NULL},
    {'X', 0, g_cancel, "cancel the running background action", NULL},
    {'u', 0, g_undo, "undo your own most recent action (label, skip, edge mark or"
                     " unmark, note), also one made earlier or with `curate`; says"
                     " what it reverted", NULL},
    {'R', 0, g_reload, "reload from the pool (changes by other processes)", NULL},
    {12, 0, g_redraw, "redraw the screen", NULL},
    {0, 0, NULL, "click to select, click again to open, wheel to scroll", "mouse"},
    UI_KEYS_END,
};

const ui_keydef *ui_global_keys(void) { return global_keys; }

static void dispatch(ui *u, ui_key k)
{
    if (k.fkey && k.ch == KEY_RESIZE) { clearok(curscr, TRUE); return; }
    u->nkeys++;
    if (u->ask.active) {
        u->ask.active = 0;
        u->ask.done(u, u->ask.s, k.fkey ? -k.ch : k.ch);
        return;
    }
    if (u->prompt.active) { prompt_key(u, k); return; }
    u->status[0] = 0;
    if (u->help_open) { help_key(u, k); return; }
    if (u->menu_open) { ui_menu_key(u, k); return; }
    if (k.fkey && k.ch == KEY_MOUSE) {
        MEVENT ev;
        if (getmouse(&ev) == OK && u->top && u->top->mouse)
            u->top->mouse(u, u->top, &ev);
        return;
    }
    if (u->top && ui_keys_run(u->top->keys, u, u->top, k)) return;
    if (u->top && u->top->key && u->top->key(u, u->top, k)) return;
    if (!ui_keys_run(global_keys, u, u->top, k) && !(k.fkey && k.ch == KEY_RESIZE))
        ui_status(u, "key not used here: press ? for the list of keys");
}

/* ---- when the pool last synced (title bar) ---- */

/* Re-reads it every few seconds (a sync may run in another process) and
 * when forced (a sync job ended). Returns 1 when the label changed. */
static int synced_tick(ui *u, int force)
{
    if (!force && date_mono() - u->synced_checked < 5) return 0;
    char lab[sizeof u->synced_label] = "", *at = NULL, e2[ERR_MAX];
    if (pool_meta_get(u->p, "sync_last", &at, e2) == 1 && at) {
        time_t t = (time_t)strtoll(at, NULL, 10);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(lab, sizeof lab, "synced %Y-%m-%d %H:%M", &tm);
    }
    free(at);
    u->synced_checked = date_mono();
    int changed = strcmp(lab, u->synced_label) != 0;
    snprintf(u->synced_label, sizeof u->synced_label, "%s", lab);
    return changed;
}

/* ---- the background search indexer ---- */

/* Every tick: its progress into the title bar; when it has finished, or
 * when this process changed the pool (an import), whether there is more to
 * index. Returns 1 when the title bar changed. */
static int index_tick(ui *u)
{
    char lab[sizeof u->index_label] = "";
    if (u->indexer && !ui_indexer_poll(u, u->indexer, lab, sizeof lab)) {
        ui_indexer_free(u->indexer);
        u->indexer = NULL;
        u->index_gen = u->gen;
    }
    if (!u->indexer && u->index_gen != u->gen) {
        u->index_gen = u->gen;
        u->indexer = ui_indexer_start_new(u);
        if (u->indexer) snprintf(lab, sizeof lab, "indexing for search 0%%");
    }
    int changed = strcmp(lab, u->index_label) != 0;
    snprintf(u->index_label, sizeof u->index_label, "%s", lab);
    return changed;
}

/* ---- timing ---- */

static void timing_open(ui *u)
{
    if (!u->o->timing) return;
    const char *path = getenv("CURATE_TIMING_LOG");
    if (path && *path) {
        u->timing = fopen(path, "a");
        u->timing_own = u->timing != NULL;
    }
    if (!u->timing) u->timing = stderr;
}

static void timing_key_name(ui_key k, char *out, size_t n)
{
    if (k.fkey) {
        const char *kn = keyname(k.ch);
        snprintf(out, n, "%s", kn ? kn : "?");
    } else if (k.ch > 32 && k.ch < 127) {
        snprintf(out, n, "%c", k.ch);
    } else {
        snprintf(out, n, "0x%x", (unsigned)k.ch);
    }
}

/* ---- init / run ---- */

static void ui_free(ui *u)
{
    while (u->top) {
        screen *s = u->top;
        u->top = s->below;
        s->destroy(s);
    }
    ui_log_free(u);
    if (u->timing_own) fclose(u->timing);
}

static int utf8_locale(void)
{
    const char *cs = NULL;
    const char *v = getenv("LC_ALL");
    if (!v || !*v) v = getenv("LC_CTYPE");
    if (!v || !*v) v = getenv("LANG");
    cs = v;
    return MB_CUR_MAX > 1 || (cs && (strstr(cs, "UTF-8") || strstr(cs, "utf8")));
}

/* True when stdin can never give a key again (the terminal hung up or
 * was closed): get_wch then returns ERR without waiting. */
static int input_gone(void)
{
    struct pollfd pf = {.fd = STDIN_FILENO, .events = POLLIN};
    return poll(&pf, 1, 0) > 0 && (pf.revents & (POLLHUP | POLLERR | POLLNVAL));
}

int ui_run(const ui_opts *o)
{
    int gone = 0;
    double t_start = date_mono();
    ui *u = xcalloc(1, sizeof *u);
    u->o = o;
    u->p = o->p;
    u->r = o->r;
    u->ascii = !utf8_locale();
    timing_open(u);
    struct sigaction sa = {0}, old_sa;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old_sa);
    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        fputs("curate: cannot start the terminal UI (is TERM set?)\n", stderr);
        sigaction(SIGINT, &old_sa, NULL);
        if (u->timing_own) fclose(u->timing);
        free(u);
        return 1;
    }
    set_term(scr);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    mousemask(ALL_MOUSE_EVENTS, NULL);
    mouseinterval(0);
    ui_colors_init(u);
    ui_session_start(u);
    ui_push(u, screen_queue_new(u));
    draw_frame(u);
    if (u->timing) {
        fprintf(u->timing, "startup ms=%.3f\n", (date_mono() - t_start) * 1000);
        fflush(u->timing);
    }
    /* After the first frame: the start is not slowed by it. */
    u->index_gen = u->gen + 1;
    synced_tick(u, 1);
    if (index_tick(u)) draw_frame(u);
    while (!u->quit) {
        timeout(ui_job_running(u) || u->indexer ? 100 : 500);
        wint_t ch;
        int rc = get_wch(&ch);
        double t0 = date_mono();
        if (got_sigint) {
            /* A screen with unsaved edits (also one under the top) asks
             * first. */
            got_sigint = 0;
            quit_interrupt(u);
            if (u->quit) break;
            draw_frame(u);
            continue;
        }
        if (rc == ERR && input_gone()) {
            gone = 1;         /* a hung-up terminal reads ERR at once, forever */
            break;
        }
        if (rc == ERR) {
            int was = u->job != NULL;
            ui_job_poll(u);
            int synced = synced_tick(u, was && !u->job);
            if (index_tick(u) || synced || was || u->job) draw_frame(u);
            continue;
        }
        ui_key k = {(int)ch, rc == KEY_CODE_YES};
        dispatch(u, k);
        ui_job_poll(u);
        if (u->quit) break;
        index_tick(u);
        draw_frame(u);
        if (u->timing) {
            char kn[32];
            timing_key_name(k, kn, sizeof kn);
            fprintf(u->timing, "key=%s ms=%.3f\n", kn, (date_mono() - t0) * 1000);
            fflush(u->timing);
        }
    }
    char summary[256];
    ui_session_summary(u, summary, sizeof summary);
    ui_job_free(u);
    ui_indexer_free(u->indexer);
    ui_export_cleanup();
    endwin();
    delscreen(scr);
    if (!gone) printf("curate: %s\n", summary);
    sigaction(SIGINT, &old_sa, NULL);
    ui_free(u);
    free(u);
    if (gone) {
        fputs("curate: the terminal went away (end of input): workbench "
              "closed\n", stderr);
        return 1;
    }
    return 0;
}
