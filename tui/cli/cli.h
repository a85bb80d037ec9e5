/* cli.h: the headless subcommands. Each cmd_* gets the global options and
 * its own argv (argv[0] is the subcommand name) and returns an exit status:
 * 0 ok, 1 error, 2 usage error (and 3 "not improved" for optimize). */
#ifndef CURATE_CLI_H
#define CURATE_CLI_H

#include "../../core/rubric.h"
#include "../../data/pool.h"

enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2, EXIT_NOT_IMPROVED = 3 };

typedef struct {
    const char *db_path;
    const char *rubric_path;
    const char *reviewer;
    rubric *r;
    int quiet;
} cli_globals;

/* Opens the existing pool named by g for writing (a missing file or one
 * that is not a curate pool is refused). Prints the error and returns NULL
 * on failure. */
pool *cli_open_pool(const cli_globals *g);
/* Opens the pool named by g, creating it when missing (init, import,
 * demo). Prints the error and returns NULL on failure. */
pool *cli_create_pool(const cli_globals *g);
/* Opens an existing pool read-only (exports, listings): says plainly when
 * there is none. Prints the error and returns NULL on failure. */
pool *cli_open_pool_readonly(const cli_globals *g);
/* For commands that only read (stats, list, show): the pool opened for
 * writing when it and its folder are writable (so an older schema is
 * upgraded and dead runs are swept), else read-only. */
pool *cli_open_pool_read(const cli_globals *g);
/* The pool records the rubric it is labeled under (pool_meta "rubric"):
 * stored on first use (when store is set), and a different --rubric is
 * refused naming what differs, until `curate rubric migrate`. Every
 * cli_open_* does this. 0, or -1 after printing why. */
int cli_rubric_check(pool *p, const cli_globals *g, int store);
/* Prints "curate: <msg>" to stderr, sanitised (no control sequences). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_init(const cli_globals *g, int argc, char **argv);
int cmd_import(const cli_globals *g, int argc, char **argv);
int cmd_stats(const cli_globals *g, int argc, char **argv);
int cmd_list(const cli_globals *g, int argc, char **argv);
int cmd_show(const cli_globals *g, int argc, char **argv);
int cmd_label(const cli_globals *g, int argc, char **argv);
int cmd_edge(const cli_globals *g, int argc, char **argv);
int cmd_demo(const cli_globals *g, int argc, char **argv);
int cmd_backup(const cli_globals *g, int argc, char **argv);
int cmd_index(const cli_globals *g, int argc, char **argv);
int cmd_score(const cli_globals *g, int argc, char **argv);
int cmd_models(const cli_globals *g, int argc, char **argv);
int cmd_optimize(const cli_globals *g, int argc, char **argv);
int cmd_programs(const cli_globals *g, int argc, char **argv);
int cmd_export(const cli_globals *g, int argc, char **argv);
int cmd_import_program(const cli_globals *g, int argc, char **argv);
int cmd_rubric(const cli_globals *g, int argc, char **argv);

#endif
