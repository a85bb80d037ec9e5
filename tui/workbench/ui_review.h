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

typedef struct {
    screen base;
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
} review_screen;

/* Messages held at a time; the window moves as the reviewer scrolls. */
#define REVIEW_WINDOW 2000

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
void review_draw(ui *u, screen *s, int top, int rows);
/* Frees the conversation lines (rebuilt on the next draw). */
void review_lines_free(review_screen *rv);
/* The overall computed from the parts of sc by the rubric formula;
 * returns 1 and *out or 0 when a part is missing. */
int review_formula(const ui *u, const scoreset *sc, double *out);

#endif
