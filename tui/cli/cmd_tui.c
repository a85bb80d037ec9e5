/* cmd_tui.c: `curate` / `curate tui`: the workbench, when there is a
 * terminal to draw it on. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../workbench/ui.h"
#include "../../core/numarg.h"
#include "../../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cmd_tui_usage[] =
    "usage: curate [GLOBAL OPTIONS] [tui [--goal N]]\n"
    "Opens the review workbench on the pool (`curate init`, `import` or `demo`\n"
    "create one). It needs a terminal on stdin and stdout; from cron, a pipe\n"
    "or a script use the subcommands instead (curate --help). Inside, ? lists\n"
    "every key.\n"
    "  --goal N   your daily goal: N labels a day, shown with a bar next to\n"
    "             your progress; kept in the pool for this reviewer (0\n"
    "             removes it)\n";

/* Which of stdin/stdout is not a terminal, or NULL when both are. Without
 * this check, curses reads end-of-file forever from /dev/null or a pipe
 * (100% CPU, nothing on screen). */
static const char *not_a_terminal(void)
{
    if (!isatty(STDIN_FILENO)) return "stdin";
    if (!isatty(STDOUT_FILENO)) return "stdout";
    return NULL;
}

int cmd_tui(const cli_globals *g, int argc, char **argv)
{
    const char *goal = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--goal") && i + 1 < argc) {
            goal = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--goal"))
            cli_error("tui: --goal needs a number of labels a day");
        else
            cli_error("tui: unexpected argument '%s'", argv[i]);
        fputs(cmd_tui_usage, stderr);
        return EXIT_USAGE;
    }
    int64_t n = 0;
    char err[ERR_MAX];
    if (goal && numarg_int("--goal", goal, 0, 100000, &n, err) < 0) {
        cli_error("tui: %s", err);
        return EXIT_USAGE;
    }
    if (goal && !g->reviewer) {
        cli_error("tui: --goal is a reviewer's own: set --reviewer or "
                  "CURATE_REVIEWER");
        return EXIT_USAGE;
    }
    /* The pool first: a missing or foreign file is refused (and named)
     * whatever the terminal; opening creates nothing. */
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    const char *which = not_a_terminal();
    if (which) {
        cli_error("the workbench needs a terminal, and %s is not one (a pipe, "
                  "a file, /dev/null, cron); for scripts use the subcommands "
                  "(curate --help)", which);
        pool_close(p);
        return EXIT_ERR;
    }
    if (goal) {
        char key[256], val[32];
        ui_goal_key(g->reviewer, key, sizeof key);
        snprintf(val, sizeof val, "%lld", (long long)n);
        if (pool_meta_set(p, key, n > 0 ? val : NULL, err) < 0) {
            cli_error("tui: %s", err);
            pool_close(p);
            return EXIT_ERR;
        }
    }
    ui_opts o = {
        .db_path = g->db_path, .p = p, .r = g->r, .reviewer = g->reviewer,
        .rubric_path = g->rubric_path, .timing = g->timing,
        .no_color = g->no_color,
    };
    int rc = ui_run(&o);
    pool_close(p);
    return rc;
}
