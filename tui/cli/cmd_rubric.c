/* cmd_rubric.c: `curate rubric [show|migrate]`: the rubric the pool is
 * labeled under, and the explicit switch to another one. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_rubric_usage[] =
    "usage: curate rubric [show]\n"
    "       curate --rubric FILE rubric migrate\n"
    "The pool records the rubric its labels and predictions were made under\n"
    "(on first use); a command under another --rubric is refused.\n"
    "  show      print the pool's rubric (JSON, as --rubric reads it)\n"
    "  migrate   make the --rubric FILE (or the built-in one) the pool's\n"
    "            rubric; stored labels and predictions keep their values,\n"
    "            fields the new rubric lacks are no longer shown\n";

int cmd_rubric(const cli_globals *g, int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "show";
    if (!strcmp(what, "-h") || !strcmp(what, "--help")) {
        fputs(cmd_rubric_usage, stdout);
        return EXIT_OK;
    }
    if (argc > 2 || (strcmp(what, "show") && strcmp(what, "migrate"))) {
        cli_error("rubric: expected show or migrate, got '%s'", argc > 2 ? argv[2] : what);
        fputs(cmd_rubric_usage, stderr);
        return EXIT_USAGE;
    }
    char err[ERR_MAX];
    if (!strcmp(what, "show")) {
        /* Not through cli_open_pool_readonly: its rubric check would
         * refuse exactly when this is needed. */
        pool *p = pool_open_readonly(g->db_path, err);
        if (!p) {
            cli_error("%s", err);
            return EXIT_ERR;
        }
        char *json = NULL;
        int rc = pool_meta_get(p, "rubric", &json, err);
        if (rc < 0) cli_error("%s", err);
        else if (rc == 0) printf("(no rubric recorded yet: the first command "
                                 "that writes records its --rubric)\n");
        else {
            cli_puts(stdout, json);
            if (!*json || json[strlen(json) - 1] != '\n') putchar('\n');
        }
        free(json);
        pool_close(p);
        return rc < 0 ? EXIT_ERR : EXIT_OK;
    }
    /* migrate: open without the check it would fail. */
    pool *p = pool_open_existing(g->db_path, err);
    if (!p) {
        cli_error("%s", err);
        return EXIT_ERR;
    }
    char *stored = NULL;
    int rc = pool_meta_get(p, "rubric", &stored, err);
    char diff[ERR_MAX] = "";
    if (rc == 1) {
        rubric *old = rubric_parse_new(stored, "the pool's rubric", err);
        if (old) {
            if (!rubric_diff(old, g->r, diff, sizeof diff)) rc = 2;
            rubric_free(old);
        }
        /* An unreadable stored rubric is replaced like any other. */
    }
    free(stored);
    char *json = rc < 0 || rc == 2 ? NULL : rubric_to_json_new(g->r);
    if (json && pool_meta_set(p, "rubric", json, err) < 0) rc = -1;
    free(json);
    if (rc < 0) cli_error("rubric: %s", err);
    else if (rc == 2)
        cli_printf(stdout, "%s: the pool's rubric is already this one\n", g->db_path);
    else
        cli_printf(stdout, "%s: the pool's rubric is now %s%s%s%s\n", g->db_path,
                   g->rubric_path ? g->rubric_path : "the built-in one",
                   diff[0] ? " (" : "", diff, diff[0] ? ")" : "");
    pool_close(p);
    return rc < 0 ? EXIT_ERR : EXIT_OK;
}
