/* ui_review.h: state of the review screen, shared by screen_review.c
 * (loading, keys, saving) and screen_review_draw.c (drawing). */
#ifndef CURATE_UI_REVIEW_H
#define CURATE_UI_REVIEW_H

#include "ui_int.h"
#include "../app/review.h"

/* One display line of the conversation pane. */
enum { RL_DATE, RL_GAP, RL_HEAD, RL_TEXT, RL_BLANK };
typedef struct {
    int kind;
    size_t msg;          /* message index (RL_HEAD, RL_TEXT, RL_GAP) */
    size_t start, len;   /* span of the message's wide text (RL_TEXT) */
} rv_line;

typedef struct review_screen review_screen;
struct review_screen {
    screen base;
    /* Called after a conversation is loaded (open, n/p, undo, reload):
     * the adjudication screen reads the case there (may be NULL). */
    void (*loaded)(ui *u, review_screen *rv);
    pool_filter f;               /* the list the review was opened from */
    char search[256];
    int64_t idx;                 /* position of the open one in that list */

    review_item it;              /* the open conversation, "yours" in it.v */
    scoreset start;              /* "yours" as loaded: edits = differences */
    /* The conversation's messages [win_first, win_first + c->nmsgs) of
     * total_msgs: a window, so a conversation of a million messages is
     * not held whole (REVIEW_WINDOW messages at a time). */
    convo *c;
    int64_t win_first, total_msgs;
    int64_t scroll_to_msg;       /* >= 0: message to put at the top once
                                    the window's lines are built */
    int scroll_adjust;           /* lines to scroll from there */
    wchar_t **wtext;             /* sanitised text per message */
    size_t *wlen;

    /* A save waiting for an answer (supersede?) or a leave waiting for
     * save / discard / stay. */
    label_action pend_action;
    int pend_then;

    int fields[RUBRIC_MAX_FIELDS];  /* scored field indexes, rubric order */
    int nfields;
    int sel;                     /* index into fields; 0 on each opening */
    /* Each score field's direct key (review_field_keys) and its help line;
     * keytab is the screen's key table: these rows, then the fixed ones. */
    int field_key[RUBRIC_MAX_FIELDS];
    char *field_help[RUBRIC_MAX_FIELDS];
    ui_keydef *keytab;
    char hint[256];
    int text_edited;             /* rationale or comment edited, unsaved */
    char typed[16];
    int typing;

    rv_line *lines;              /* conversation lines for lines_w */
    size_t nlines;
    int lines_w;
    int conv_scroll, conv_rows;
    int right_scroll, right_rows, right_total;
    int fields_y;                /* screen row of the first field (mouse) */
    int split_x;
};

/* Messages held at a time; the window moves as the reviewer scrolls. */
#define REVIEW_WINDOW 2000

/* screen_review.c, for the adjudication screen (screen_adjudicate.c),
 * which is a review screen with its own keys and scores panel: the same
 * conversation pane, the same editing of "yours" (it.v). */
/* The list f (copied) and the score fields, into rv (zeroed). */
void review_screen_setup(ui *u, review_screen *rv, const pool_filter *f);
/* review_screen_setup, then loads id: 0, or -1 (shown). */
int review_screen_open(ui *u, review_screen *rv, const pool_filter *f,
                       int64_t idx, const char *id);
/* Frees what rv holds (not rv). */
void review_screen_free(review_screen *rv);
int review_screen_load(ui *u, review_screen *rv, const char *id, int64_t idx);
/* Reloads after a change elsewhere, keeping unsaved edits. */
void review_screen_reload(ui *u, review_screen *rv);
/* A key while a value is being typed (Tab, Enter, Esc, j/k...): 1 used. */
int review_screen_typing_key(ui *u, review_screen *rv, ui_key k);
void review_screen_reset_field(ui *u, review_screen *rv);
/* The conversation by d lines (past the window's ends it moves). */
void review_screen_scroll(ui *u, review_screen *rv, int d);
/* The score fields' and the conversation pane's keys, rows of both
 * screens' key tables (a value being typed is committed first, as for
 * every row). */
int review_key_down(ui *u, screen *s, ui_key k);
int review_key_up(ui *u, screen *s, ui_key k);
int review_key_raise(ui *u, screen *s, ui_key k);
int review_key_lower(ui *u, screen *s, ui_key k);
#define REVIEW_FIELD_KEYS \
    {'j', 0, review_key_down, "pick the next score field", NULL}, \
    {KEY_DOWN, 1, review_key_down, NULL, NULL}, \
    {'\t', 0, review_key_down, NULL, NULL}, \
    {'k', 0, review_key_up, "pick the previous score field", NULL}, \
    {KEY_UP, 1, review_key_up, NULL, NULL}, \
    {KEY_BTAB, 1, review_key_up, NULL, NULL}, \
    {'+', 0, review_key_raise, "raise the picked field by 0.5", NULL}, \
    {'-', 0, review_key_lower, "lower the picked field by 0.5", NULL}
int review_key_pgdn(ui *u, screen *s, ui_key k);
int review_key_pgup(ui *u, screen *s, ui_key k);
int review_key_line_down(ui *u, screen *s, ui_key k);
int review_key_line_up(ui *u, screen *s, ui_key k);
int review_key_home(ui *u, screen *s, ui_key k);
int review_key_end(ui *u, screen *s, ui_key k);
#define REVIEW_CONV_KEYS \
    {KEY_NPAGE, 1, review_key_pgdn, "scroll the conversation down a page", NULL}, \
    {' ', 0, review_key_pgdn, NULL, NULL}, \
    {6, 0, review_key_pgdn, NULL, NULL}, \
    {KEY_PPAGE, 1, review_key_pgup, "scroll the conversation up a page", NULL}, \
    {2, 0, review_key_pgup, NULL, NULL}, \
    {'J', 0, review_key_line_down, "scroll the conversation down a line", NULL}, \
    {'K', 0, review_key_line_up, "scroll the conversation up a line", NULL}, \
    {KEY_HOME, 1, review_key_home, "start of the conversation", NULL}, \
    {KEY_END, 1, review_key_end, "end of the conversation", NULL}
/* n / p: the neighbour in the list. */
void review_screen_step(ui *u, review_screen *rv, int dir);
/* u: undoes this reviewer's latest action, opens the conversation. */
void review_screen_undo(ui *u, review_screen *rv);
/* Chooses each score field's key, deterministic from the rubric. First
 * pass, fields in rubric order: the first free initial of the words of the
 * name without a trailing "_score" (lower case, then upper case:
 * "customer_negative_score" -> c, n, C, N). Second pass, for fields still
 * without one: the first free other letter of the name (lower case, then
 * upper case). A key of a row of fixed or global is never chosen; a field
 * left with none (every letter taken) gets 0 and is reached with j/k. */
void review_field_keys(const rubric *r, const int *fields, int nfields,
                       const ui_keydef *fixed, const ui_keydef *global,
                       int *keys);

/* screen_review_draw.c */
/* A field as the scores panel names it: "Responsiveness" for
 * responsiveness_score. */
void review_field_name(ui *u, int fi, char *out, size_t n);
/* The conversation pane: header line and messages, w columns wide. */
void review_draw_conversation(ui *u, review_screen *rv, int top, int rows, int w);
void review_draw(ui *u, screen *s, int top, int rows);
/* Frees the conversation lines (rebuilt on the next draw). */
void review_lines_free(review_screen *rv);
/* The overall computed from the parts of sc by the rubric formula;
 * returns 1 and *out or 0 when a part is missing. */
int review_formula(const ui *u, const scoreset *sc, double *out);

#endif
