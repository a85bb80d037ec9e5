/* ui_keys.c: key tables (ui_int.h: ui_keydef): dispatch, key names, and
 * the help lines made from the same rows. */
#include "ui_int.h"
#include "ui_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ui_keys_run(const ui_keydef *t, ui *u, screen *s, ui_key k)
{
    for (; t && (t->fn || t->help || t->label); t++)
        if (t->fn && t->ch == k.ch && !t->fkey == !k.fkey) return t->fn(u, s, k);
    return 0;
}

void ui_key_name(ui_key k, char *out, size_t n)
{
    static const struct { int ch; const char *name; } fkeys[] = {
        {KEY_UP, "Up"}, {KEY_DOWN, "Down"}, {KEY_LEFT, "Left"},
        {KEY_RIGHT, "Right"}, {KEY_PPAGE, "PgUp"}, {KEY_NPAGE, "PgDn"},
        {KEY_HOME, "Home"}, {KEY_END, "End"}, {KEY_BTAB, "Shift-Tab"},
        {KEY_BACKSPACE, "Backspace"}, {KEY_DC, "Del"}, {KEY_ENTER, "Enter"},
        {KEY_IC, "Ins"},
    };
    if (k.fkey) {
        for (size_t i = 0; i < sizeof fkeys / sizeof fkeys[0]; i++)
            if (fkeys[i].ch == k.ch) { snprintf(out, n, "%s", fkeys[i].name); return; }
        if (k.ch >= KEY_F(1) && k.ch <= KEY_F(63)) {
            snprintf(out, n, "F%d", k.ch - KEY_F0);
            return;
        }
        const char *kn = keyname(k.ch);
        snprintf(out, n, "%s", kn ? kn : "?");
        return;
    }
    switch (k.ch) {
    case '\r': case '\n': snprintf(out, n, "Enter"); return;
    case ' ': snprintf(out, n, "Space"); return;
    case '\t': snprintf(out, n, "Tab"); return;
    case 27: snprintf(out, n, "Esc"); return;
    case 127: case 8: snprintf(out, n, "Backspace"); return;
    }
    if (k.ch > 0 && k.ch < 27) snprintf(out, n, "Ctrl-%c", 'A' + k.ch - 1);
    else if (k.ch > 32 && k.ch < 127) snprintf(out, n, "%c", k.ch);
    else snprintf(out, n, "U+%04X", (unsigned)k.ch);
}

static void add_line(ui_help_lines *h, char *keys, const char *desc, int head)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 32;
        h->v = xrealloc(h->v, h->cap * sizeof *h->v);
    }
    h->v[h->n++] = (ui_help_line){keys, desc, head};
}

void ui_keys_help(const ui_keydef *t, ui_help_lines *h)
{
    sbuf line = {0};
    const char *desc = NULL;
    char last[32] = "";
    for (; t && (t->fn || t->help || t->label); t++) {
        if (!t->fn) {                       /* heading or a help-only line */
            if (desc) add_line(h, sbuf_take(&line), desc, 0);
            desc = NULL;
            add_line(h, xstrdup(t->label ? t->label : ""), t->help,
                     !t->label || !*t->label);
            continue;
        }
        char name[32];
        ui_key_name((ui_key){t->ch, t->fkey}, name, sizeof name);
        if (t->help) {                      /* a new action */
            if (desc) add_line(h, sbuf_take(&line), desc, 0);
            sbuf_free(&line);
            desc = t->help;
            sbuf_add(&line, name);
        } else if (desc && strcmp(last, name) != 0) { /* \r, \n: one Enter */
            sbuf_add(&line, "  ");
            sbuf_add(&line, name);
        }
        snprintf(last, sizeof last, "%s", name);
    }
    if (desc) add_line(h, sbuf_take(&line), desc, 0);
    sbuf_free(&line);
}

void ui_help_lines_clear(ui_help_lines *h)
{
    for (size_t i = 0; i < h->n; i++) free(h->v[i].label);
    free(h->v);
    memset(h, 0, sizeof *h);
}
