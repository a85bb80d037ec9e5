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

/* Runs the workbench until the user quits. Returns the exit status. */
int ui_run(const ui_opts *o);

#endif
