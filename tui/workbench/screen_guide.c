/* screen_guide.c: the guidelines screen (g on the review screen): the
 * rubric's guidelines for reviewers (rubric_guidelines_text_new, the same
 * text `curate show --guidelines` prints), wrapped to the window as plain
 * text, scrollable. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "ui_keys.h"
#include "../term/sanitize.h"
#include "../../core/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    screen base;
    wchar_t *text;        /* sanitised, newlines kept */
    size_t len;
    ui_span *spans;       /* wrapped lines for spans_w columns */
    size_t nspans;
    int spans_w;
    int scroll, rows;
} guide_screen;

static void guide_draw(ui *u, screen *s, int top, int rows)
{
    guide_screen *g = (guide_screen *)s;
    int w = COLS - 4;
    if (g->spans_w != w) {
        free(g->spans);
        g->spans = ui_wrap_new(g->text, g->len, w > 4 ? w : 4, &g->nspans);
        g->spans_w = w;
    }
    g->rows = rows;
    int max = (int)g->nspans - rows;
    if (g->scroll > max) g->scroll = max;
    if (g->scroll < 0) g->scroll = 0;
    for (int i = 0; i < rows && (size_t)(g->scroll + i) < g->nspans; i++) {
        const ui_span *sp = &g->spans[g->scroll + i];
        const wchar_t *line = g->text + sp->start;
        /* Markdown headings stand out; everything else is plain text. */
        int attr = sp->len && line[0] == L'#' ? ui_attr(u, A_UI_HEAD) : UI_PLAIN;
        ui_putw(u, top + i, 2, w, line, sp->len, attr);
    }
    if ((int)g->nspans > rows)
        ui_putf(u, top + rows - 1, COLS - 16, 16, ui_attr(u, A_UI_DIM),
                " %d/%zu ", g->scroll + rows < (int)g->nspans
                ? g->scroll + rows : (int)g->nspans, g->nspans);
}

static int page(const guide_screen *g) { return g->rows > 2 ? g->rows - 2 : 1; }
static int g_down(ui *u, screen *s, ui_key k) { ((guide_screen *)s)->scroll++; return 1; }
static int g_up(ui *u, screen *s, ui_key k) { ((guide_screen *)s)->scroll--; return 1; }
static int g_pgdn(ui *u, screen *s, ui_key k)
{
    guide_screen *g = (guide_screen *)s;
    g->scroll += page(g);
    return 1;
}
static int g_pgup(ui *u, screen *s, ui_key k)
{
    guide_screen *g = (guide_screen *)s;
    g->scroll -= page(g);
    return 1;
}
static int g_home(ui *u, screen *s, ui_key k) { ((guide_screen *)s)->scroll = 0; return 1; }
static int g_end(ui *u, screen *s, ui_key k) { ((guide_screen *)s)->scroll = 1 << 30; return 1; }
static int g_close(ui *u, screen *s, ui_key k) { ui_pop(u); return 1; }

static const ui_keydef guide_keys[] = {
    {0, 0, NULL, "Guidelines", ""},
    {'j', 0, g_down, "scroll down a line", NULL},
    {KEY_DOWN, 1, g_down, NULL, NULL},
    {'k', 0, g_up, "scroll up a line", NULL},
    {KEY_UP, 1, g_up, NULL, NULL},
    {KEY_NPAGE, 1, g_pgdn, "scroll down a page", NULL},
    {' ', 0, g_pgdn, NULL, NULL},
    {KEY_PPAGE, 1, g_pgup, "scroll up a page", NULL},
    {KEY_HOME, 1, g_home, "top", NULL},
    {KEY_END, 1, g_end, "bottom", NULL},
    {'g', 0, g_close, "close the guidelines (also q, Esc)", NULL},
    UI_KEYS_END,
};

static void guide_mouse(ui *u, screen *s, const MEVENT *ev)
{
    guide_screen *g = (guide_screen *)s;
    if (ev->bstate & BUTTON4_PRESSED) g->scroll -= 3;
    else if (ev->bstate & BUTTON5_PRESSED) g->scroll += 3;
    (void)u;
}

static void guide_destroy(screen *s)
{
    guide_screen *g = (guide_screen *)s;
    free(g->text);
    free(g->spans);
    free(g);
}

screen *screen_guide_new(ui *u)
{
    guide_screen *g = xcalloc(1, sizeof *g);
    g->base.title = "Guidelines";
    g->base.hint = "j/k PgUp/PgDn scroll  g or q back  ? help";
    g->base.keys = guide_keys;
    g->base.draw = guide_draw;
    g->base.mouse = guide_mouse;
    g->base.destroy = guide_destroy;
    char *t = rubric_guidelines_text_new(u->r);
    g->text = sanitize_wide_new(t, SAN_KEEP_NL, &g->len);
    free(t);
    return &g->base;
}
