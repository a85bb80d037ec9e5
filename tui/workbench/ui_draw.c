/* ui_draw.c: drawing primitives of the workbench: colours (degrading to
 * bold/reverse/underline on monochrome terminals and with NO_COLOR) and
 * clipped, sanitised text output. */
#include "ui_int.h"
#include "../term/sanitize.h"
#include "../../core/util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void ui_colors_init(ui *u)
{
    int mono[A_UI_COUNT] = {
        [A_UI_NORMAL] = A_NORMAL, [A_UI_TITLE] = A_REVERSE,
        [A_UI_SEL] = A_REVERSE, [A_UI_HEAD] = A_BOLD | A_UNDERLINE,
        [A_UI_TAB] = A_NORMAL, [A_UI_TAB_ON] = A_REVERSE | A_BOLD,
        [A_UI_CUSTOMER] = A_BOLD, [A_UI_SELLER] = A_BOLD | A_UNDERLINE,
        [A_UI_SYSTEM] = A_DIM, [A_UI_DIM] = A_DIM, [A_UI_WARN] = A_BOLD,
        [A_UI_ERR] = A_BOLD | A_REVERSE, [A_UI_OK] = A_BOLD,
        [A_UI_MODEL] = A_NORMAL, [A_UI_HUMAN] = A_BOLD,
        [A_UI_TYPED] = A_UNDERLINE | A_BOLD,
    };
    memcpy(u->attrs, mono, sizeof mono);
    if (u->o->no_color || !has_colors()) return;
    start_color();
    int bg = -1;
    if (use_default_colors() == ERR) bg = COLOR_BLACK;
    static const struct { int which, fg, extra; } map[] = {
        {A_UI_TITLE, COLOR_CYAN, A_REVERSE | A_BOLD},
        {A_UI_HEAD, COLOR_YELLOW, A_BOLD},
        {A_UI_TAB_ON, COLOR_CYAN, A_REVERSE | A_BOLD},
        {A_UI_CUSTOMER, COLOR_CYAN, A_BOLD},
        {A_UI_SELLER, COLOR_GREEN, A_BOLD},
        {A_UI_SYSTEM, COLOR_MAGENTA, 0},
        {A_UI_WARN, COLOR_YELLOW, A_BOLD},
        {A_UI_ERR, COLOR_RED, A_BOLD},
        {A_UI_OK, COLOR_GREEN, A_BOLD},
        {A_UI_MODEL, COLOR_BLUE, A_BOLD},
        {A_UI_HUMAN, COLOR_GREEN, A_BOLD},
        {A_UI_TYPED, COLOR_YELLOW, A_BOLD | A_UNDERLINE},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        short pair = (short)(i + 1);
        if (pair >= COLOR_PAIRS) break;
        init_pair(pair, (short)map[i].fg, (short)bg);
        u->attrs[map[i].which] = (int)COLOR_PAIR(pair) | map[i].extra;
    }
}

int ui_attr(ui *u, int which)
{
    return which >= 0 && which < A_UI_COUNT ? u->attrs[which] : UI_PLAIN;
}

int ui_putw(ui *u, int y, int x, int w, const wchar_t *s, size_t n, int attr)
{
    if (w <= 0 || y < 0 || y >= LINES || x >= COLS) return 0;
    if (x + w > COLS) w = COLS - x;
    wchar_t buf[512];
    size_t k = 0;
    int used = 0;
    for (size_t i = 0; i < n && k + 2 < sizeof buf / sizeof buf[0]; i++) {
        wchar_t c = s[i];
        int cw = wcwidth(c);
        if (cw < 0) { c = u->ascii ? L'?' : 0xFFFD; cw = 1; }
        /* A combining mark with nothing to combine with: give it a base. */
        if (cw == 0 && k == 0) { buf[k++] = L' '; used++; }
        if (used + cw > w) break;
        buf[k++] = c;
        used += cw;
    }
    attr_t old;
    short pair;
    attr_get(&old, &pair, NULL);
    attrset(attr);
    mvaddnwstr(y, x, buf, (int)k);
    attr_set(old, pair, NULL);
    return used;
}

int ui_put(ui *u, int y, int x, int w, const char *s, int attr)
{
    if (w <= 0 || !s) return 0;
    size_t n;
    wchar_t *ws = sanitize_wide_new(s, 0, &n);
    int used = ui_putw(u, y, x, w, ws, n, attr);
    free(ws);
    return used;
}

int ui_put_cut(ui *u, int y, int x, int w, const char *s, int attr)
{
    if (w <= 0 || !s) return 0;
    size_t n;
    wchar_t *ws = sanitize_wide_new(s, 0, &n);
    if (ui_swidth(ws, n) > w && w > 1) {     /* "demo-00…": it goes on */
        n = ui_fit(ws, n, w - 1);
        ws = xrealloc(ws, (n + 2) * sizeof *ws);
        ws[n++] = u->ascii ? L'~' : 0x2026;
        ws[n] = 0;
    }
    int used = ui_putw(u, y, x, w, ws, n, attr);
    free(ws);
    return used;
}

int ui_putf(ui *u, int y, int x, int w, int attr, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return ui_put(u, y, x, w, buf, attr);
}

void ui_fill(int y, int x, int w, int attr)
{
    if (y < 0 || y >= LINES || w <= 0) return;
    if (x + w > COLS) w = COLS - x;
    attr_t old;
    short pair;
    attr_get(&old, &pair, NULL);
    attrset(attr);
    mvhline(y, x, ' ', w);
    attr_set(old, pair, NULL);
}

void ui_draw_bar(ui *u, int y, int x, int w, double v, double lo, double hi,
                 int attr)
{
    if (w <= 0) return;
    wchar_t bar[256];
    if (w > 255) w = 255;
    double frac = hi > lo ? (v - lo) / (hi - lo) : 0;
    ui_bar(frac, w, u->ascii, bar);
    ui_putw(u, y, x, w, bar, wcslen(bar), attr);
}

void ui_rule(ui *u, int y, int x, int w, const char *text, int attr)
{
    if (w <= 0) return;
    attr_t old;
    short pair;
    attr_get(&old, &pair, NULL);
    attrset(attr);
    mvhline(y, x, u->ascii ? '-' : ACS_HLINE, w);
    attr_set(old, pair, NULL);
    if (text && *text) {
        size_t n;
        wchar_t *ws = sanitize_wide_new(text, 0, &n);
        int tw = ui_swidth(ws, n) + 2;
        if (tw > w - 4) tw = w - 4;
        int tx = x + (w - tw) / 2;
        if (tw > 2) {
            ui_fill(y, tx, tw, attr);
            ui_putw(u, y, tx + 1, tw - 2, ws, n, attr);
        }
        free(ws);
    }
}

void ui_box(ui *u, int y, int x, int h, int w, const char *title)
{
    if (h < 2 || w < 2) return;
    for (int i = 0; i < h; i++) ui_fill(y + i, x, w, UI_PLAIN);
    WINDOW *bw = derwin(stdscr, h, w, y, x);
    if (bw) {
        if (u->ascii) wborder(bw, '|', '|', '-', '-', '+', '+', '+', '+');
        else box(bw, 0, 0);
        delwin(bw);
    }
    if (title) {
        char t[256];
        snprintf(t, sizeof t, " %s ", title);
        ui_put(u, y, x + 2, w - 4, t, A_BOLD);
    }
}
