/* cli.h: the headless subcommands. Each cmd_* gets the global options and
 * its own argv (argv[0] is the subcommand name) and returns an exit status:
 * 0 ok, 1 error, 2 usage error (and 3 "not improved" for optimize). */
#ifndef CURATE_CLI_H
#define CURATE_CLI_H

#include "../../core/rubric.h"
#include "../../data/pool.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2, EXIT_NOT_IMPROVED = 3 };

typedef struct {
    const char *db_path;
    const char *rubric_path;
    const char *reviewer;
    rubric *r;             /* r->dspy: --dspy / CURATE_DSPY */
    int quiet;
    int timing;               /* --timing (workbench) */
    int no_color;             /* --no-color or NO_COLOR (workbench) */
} cli_globals;

/* One subcommand: the only list of them. main() dispatches through it,
 * `curate --help` prints it, `curate NAME --help` prints its usage. */
typedef struct {
    const char *name;         /* "import" */
    const char *args;         /* synopsis after the name in --help: "FILE..." */
    const char *summary;      /* one line for curate --help */
    const char *usage;        /* the full text for curate NAME --help */
    int (*fn)(const cli_globals *g, int argc, char **argv);
} cli_command;

/* The table, ended by a row with name NULL. */
extern const cli_command cli_commands[];

/* The command called name, or NULL. */
const cli_command *cli_command_find(const char *name);
/* Writes a command's usage text to f; a command that takes --filter gets
 * the filter language after it (pool_filter_help, the one table). */
void cli_usage(const char *usage, FILE *f);
/* Writes `curate --help` (synopsis, the command table, global options,
 * exit statuses) to f. */
void cli_help_print(FILE *f);
/* True when argv[1] asks for help (-h, --help): then the dispatcher
 * prints the command's usage instead of running it. */
int cli_wants_help(int argc, char **argv);

/* Opens the existing pool named by g for writing (a missing file or one
 * that is not a curate pool is refused). Prints the error and returns NULL
 * on failure. */
pool *cli_open_pool(const cli_globals *g);
/* Opens the pool named by g, creating it when missing (init, import,
 * demo). Prints the error and returns NULL on failure. */
pool *cli_create_pool(const cli_globals *g);
/* The same for a command whose pool one thread uses (import: see
 * pool_open_unshared). */
pool *cli_create_pool_unshared(const cli_globals *g);
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

/* The one way the commands print text that holds data (ids, sellers,
 * reviewers, notes, paths, model ids, server messages): formats like
 * fprintf, then writes it to f through the sanitiser. On a terminal every
 * unsafe byte becomes a visible placeholder (tui/term/sanitize.h); to a
 * pipe or file the bytes are kept except controls (SAN_PIPE), so no line
 * carries an escape sequence either way. Newlines and tabs are kept. */
void cli_printf(FILE *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* cli_printf(f, "%s", s) without the formatting (s NULL: nothing). */
void cli_puts(FILE *f, const char *s);
/* s (NULL: "") as cli_puts would write it to f; one_line: newlines and
 * tabs are replaced too (table cells). Caller frees. */
char *cli_clean_new(FILE *f, const char *s, int one_line);

/* getopt_long for a command: never prints getopt's own messages (they
 * quote the argument raw); an unknown option or a missing value is
 * reported through cli_error as "CMD: unknown option '--x'" (naming the
 * option, never its value) and returned as '?'. */
/* (cmd "" for the global options: no prefix.) */
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/* Number options, through the one strict parser (core/numarg.h). On a bad
 * value: prints "CMD: --OPT: 'VALUE' is not ...; allowed LO..HI" and
 * returns -1 (the caller exits EXIT_USAGE). */
int cli_int_opt(const char *cmd, const char *opt, const char *val,
                int64_t lo, int64_t hi, int64_t *out);
int cli_real_opt(const char *cmd, const char *opt, const char *val,
                 double lo, double hi, double *out);
/* A text option that is stored (a reviewer, a note, an id): -1 with a
 * message naming the option when it is not valid UTF-8 or holds a control
 * character other than newline and tab, as the importers refuse. */
int cli_text_opt(const char *cmd, const char *opt, const char *val);

int cmd_init(const cli_globals *g, int argc, char **argv);
int cmd_import(const cli_globals *g, int argc, char **argv);
int cmd_stats(const cli_globals *g, int argc, char **argv);
int cmd_list(const cli_globals *g, int argc, char **argv);
int cmd_show(const cli_globals *g, int argc, char **argv);
int cmd_label(const cli_globals *g, int argc, char **argv);
int cmd_edge(const cli_globals *g, int argc, char **argv);
int cmd_note(const cli_globals *g, int argc, char **argv);
int cmd_undo(const cli_globals *g, int argc, char **argv);
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
int cmd_agreement(const cli_globals *g, int argc, char **argv);
int cmd_assign(const cli_globals *g, int argc, char **argv);
int cmd_sync(const cli_globals *g, int argc, char **argv);
int cmd_consensus(const cli_globals *g, int argc, char **argv);
int cmd_adjudicate(const cli_globals *g, int argc, char **argv);
/* curate stats --by-reviewer's table (cmd_team.c; tolerance < 0: the
 * pool's): 0, or -1 (printed). */
int cli_print_reviewers(const cli_globals *g, pool *p, double tolerance);
int cmd_report(const cli_globals *g, int argc, char **argv);
/* The workbench (tui/cli/cmd_tui.c): refuses without a terminal. */
int cmd_tui(const cli_globals *g, int argc, char **argv);

/* Each command's usage text, defined next to its function. */
extern const char cmd_tui_usage[], cmd_init_usage[], cmd_import_usage[],
    cmd_stats_usage[], cmd_list_usage[], cmd_show_usage[], cmd_label_usage[],
    cmd_edge_usage[], cmd_demo_usage[], cmd_backup_usage[], cmd_index_usage[],
    cmd_score_usage[], cmd_models_usage[], cmd_optimize_usage[],
    cmd_programs_usage[], cmd_export_usage[], cmd_import_program_usage[],
    cmd_agreement_usage[], cmd_assign_usage[], cmd_report_usage[],
    cmd_note_usage[], cmd_undo_usage[], cmd_sync_usage[], cmd_consensus_usage[],
    cmd_adjudicate_usage[], cmd_rubric_usage[];

#endif
