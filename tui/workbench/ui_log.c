/* ui_log.c: the message log (a ring of the last UI_LOG_MAX messages) and
 * its view (L). */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "ui_keys.h"
#include "../../core/util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void ui_log_add(ui *u, int err, const char *msg)
{
    int i;
    if (u->log_n < UI_LOG_MAX) {
        i = (u->log_head + u->log_n) % UI_LOG_MAX;
        u->log_n++;
    } else {
        i = u->log_head;
        u->log_head = (u->log_head + 1) % UI_LOG_MAX;
        free(u->log[i].text);
    }
    u->log[i].text = xstrdup(msg);
    u->log[i].t = date_now();
    u->log[i].err = err;
}

void ui_log_free(ui *u)
{
    for (int k = 0; k < u->log_n; k++)
        free(u->log[(u->log_head + k) % UI_LOG_MAX].text);
    u->log_n = 0;
}

typedef struct {
    screen base;
    int scroll;      /* lines from the bottom */
} log_screen;

static void log_draw(ui *u, screen *s, int top, int rows)
{
    log_screen *ls = (log_screen *)s;
    if (u->log_n == 0) {
        ui_put(u, top + 1, 2, COLS - 4, "No messages yet.", ui_attr(u, A_UI_DIM));
        return;
    }
    if (ls->scroll > u->log_n - rows) ls->scroll = u->log_n - rows;
    if (ls->scroll < 0) ls->scroll = 0;
    int last = u->log_n - 1 - ls->scroll;
    int first = last - rows + 1;
    if (first < 0) first = 0;
    for (int k = first, y = top; k <= last; k++, y++) {
        int i = (u->log_head + k) % UI_LOG_MAX;
        struct tm tm;
        time_t t = (time_t)u->log[i].t;
        localtime_r(&t, &tm);
        char ts[16];
        strftime(ts, sizeof ts, "%H:%M:%S", &tm);
        ui_put(u, y, 1, 9, ts, ui_attr(u, A_UI_DIM));
        ui_put(u, y, 10, COLS - 11, u->log[i].text,
               u->log[i].err ? ui_attr(u, A_UI_ERR) : UI_PLAIN);
    }
}

/* The scroll is counted in lines from the newest, at the bottom. */
static int l_older(ui *u, screen *s, ui_key k) { ((log_screen *)s)->scroll++; return 1; }
static int l_newer(ui *u, screen *s, ui_key k) { ((log_screen *)s)->scroll--; return 1; }
static int l_pgup(ui *u, screen *s, ui_key k) { ((log_screen *)s)->scroll += LINES - 4; return 1; }
static int l_pgdn(ui *u, screen *s, ui_key k) { ((log_screen *)s)->scroll -= LINES - 4; return 1; }
static int l_oldest(ui *u, screen *s, ui_key k) { ((log_screen *)s)->scroll = u->log_n; return 1; }
static int l_newest(ui *u, screen *s, ui_key k) { ((log_screen *)s)->scroll = 0; return 1; }
static int l_close(ui *u, screen *s, ui_key k) { ui_pop(u); return 1; }

static const ui_keydef log_keys[] = {
    {0, 0, NULL, "Log view", ""},
    {'k', 0, l_older, "scroll up a line (older)", NULL},
    {KEY_UP, 1, l_older, NULL, NULL},
    {'j', 0, l_newer, "scroll down a line (newer)", NULL},
    {KEY_DOWN, 1, l_newer, NULL, NULL},
    {KEY_PPAGE, 1, l_pgup, "scroll up a page", NULL},
    {KEY_NPAGE, 1, l_pgdn, "scroll down a page", NULL},
    {' ', 0, l_pgdn, NULL, NULL},
    {KEY_HOME, 1, l_oldest, "oldest", NULL},
    {'g', 0, l_oldest, NULL, NULL},
    {KEY_END, 1, l_newest, "newest", NULL},
    {'G', 0, l_newest, NULL, NULL},
    {'L', 0, l_close, "close the log view", NULL},
    UI_KEYS_END,
};

static void log_mouse(ui *u, screen *s, const MEVENT *ev)
{
    log_screen *ls = (log_screen *)s;
    if (ev->bstate & BUTTON4_PRESSED) ls->scroll += 3;
    else if (ev->bstate & BUTTON5_PRESSED) ls->scroll -= 3;
    (void)u;
}

static void log_destroy(screen *s) { free(s); }

screen *screen_log_new(ui *u)
{
    (void)u;
    log_screen *ls = xcalloc(1, sizeof *ls);
    ls->base.title = "Log";
    ls->base.hint = "j/k scroll  g/G oldest/newest  q back  ? help";
    ls->base.keys = log_keys;
    ls->base.draw = log_draw;
    ls->base.mouse = log_mouse;
    ls->base.destroy = log_destroy;
    return &ls->base;
}
