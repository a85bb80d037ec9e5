/* ui_keys.h: key tables (ui_keydef, ui_int.h): each screen's one list of
 * {key, action, help}; the key handling and the ? overlay both read it. */
#ifndef CURATE_UI_KEYS_H
#define CURATE_UI_KEYS_H

#include "ui_int.h"

/* Runs the action of k's row in t: its result (1 used, 0 not), or 0 when
 * no row has k. */
int ui_keys_run(const ui_keydef *t, ui *u, screen *s, ui_key k);

/* k as help shows it: "j", "Enter", "PgUp", "Ctrl-F", "F3", "Shift-Tab". */
void ui_key_name(ui_key k, char *out, size_t n);

/* Help lines: the keys of one action ("j  Down") and what it does. */
typedef struct {
    char *label;          /* owned */
    const char *desc;
    int head;             /* a section heading: desc only */
} ui_help_line;
typedef struct {
    ui_help_line *v;
    size_t n, cap;
} ui_help_lines;

/* Appends t's help lines to h (keys of one action joined on one line). */
void ui_keys_help(const ui_keydef *t, ui_help_lines *h);
void ui_help_lines_clear(ui_help_lines *h);

/* The actions menu's help lines (ui_actions.c): its keys and each
 * action's letter. */
void ui_menu_help(ui_help_lines *h);

#endif
