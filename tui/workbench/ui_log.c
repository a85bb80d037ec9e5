/* ui_log.c: the message log (a ring of the last UI_LOG_MAX messages) and
 * its view (L). */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
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

static const ui_help log_help[] = {
    {"", "Log view"},
    {"j k  Up Down", "scroll by a line"},
    {"PgUp PgDn", "scroll by a page"},
    {"Home End  g G", "oldest / newest"},
    {NULL, NULL},
};

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

static int log_key(ui *u, screen *s, ui_key k)
{
    log_screen *ls = (log_screen *)s;
    int page = LINES - 4;
    if (k.fkey) {
        switch (k.ch) {
        case KEY_UP: ls->scroll++; return 1;
        case KEY_DOWN: ls->scroll--; return 1;
        case KEY_PPAGE: ls->scroll += page; return 1;
        case KEY_NPAGE: ls->scroll -= page; return 1;
        case KEY_HOME: ls->scroll = u->log_n; return 1;
        case KEY_END: ls->scroll = 0; return 1;
        }
        return 0;
    }
    switch (k.ch) {
    case 'k': ls->scroll++; return 1;
    case 'j': ls->scroll--; return 1;
    case 'g': ls->scroll = u->log_n; return 1;
    case 'G': ls->scroll = 0; return 1;
    case ' ': ls->scroll -= page; return 1;
    case 'L': ui_pop(u); return 1;
    }
    return 0;
}

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
    ls->base.help = log_help;
    ls->base.draw = log_draw;
    ls->base.key = log_key;
    ls->base.mouse = log_mouse;
    ls->base.destroy = log_destroy;
    return &ls->base;
}
