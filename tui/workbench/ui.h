/* ui.h: the ncurses workbench. main() calls ui_run() for `curate` with no
 * subcommand or `curate tui`. */
#ifndef CURATE_UI_H
#define CURATE_UI_H

#include "../../core/rubric.h"
#include "../../data/pool.h"

typedef struct {
    const char *db_path;      /* the pool file (already opened as p) */
    pool *p;                  /* main-thread connection */
    const rubric *r;
    const char *reviewer;
    const char *rubric_path;  /* --rubric FILE or NULL (background jobs) */
    int timing;               /* --timing: log draw/key timings to stderr */
    int no_color;             /* NO_COLOR set or --no-color */
} ui_opts;

/* The pool_meta key of reviewer's daily goal ("goal.NAME"), into buf:
 * `curate tui --goal N` sets it, the workbench shows it. */
void ui_goal_key(const char *reviewer, char *buf, size_t n);

/* Runs the workbench until the user quits. Returns the exit status. */
int ui_run(const ui_opts *o);

#endif
