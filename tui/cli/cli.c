/* cli.c: helpers shared by the headless commands. */
#include "cli.h"
#include "../term/sanitize.h"
#include "../../core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_error(const char *fmt, ...)
{
    /* Messages quote ids, names, paths and server replies: bytes from
     * elsewhere, so the whole line goes through the sanitiser. */
    char buf[2 * ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *clean = sanitize_new(buf, (size_t)-1, 0);
    fprintf(stderr, "curate: %s\n", clean);
    free(clean);
}

pool *cli_open_pool(const cli_globals *g)
{
    char err[ERR_MAX];
    pool *p = pool_open(g->db_path, err);
    if (!p) cli_error("%s", err);
    return p;
}

pool *cli_open_pool_readonly(const cli_globals *g)
{
    char err[ERR_MAX];
    if (access(g->db_path, F_OK) != 0) {
        cli_error("no pool at %s (`curate init` creates one; --db or CURATE_DB "
                  "name another)", g->db_path);
        return NULL;
    }
    pool *p = pool_open_readonly(g->db_path, err);
    if (!p) cli_error("%s", err);
    return p;
}

/* ---- the command table ---- */

const cli_command cli_commands[] = {
    {"tui", "", "open the workbench (the default)", cmd_tui_usage, cmd_tui},
    {"init", "", "create the pool (default ./curate.db)", cmd_init_usage,
     cmd_init},
    {"import", "FILE...", "import JSONL or WhatsApp .txt conversations",
     cmd_import_usage, cmd_import},
    {"stats", "", "counts and per-field score statistics", cmd_stats_usage,
     cmd_stats},
    {"list", "[--filter F]", "list conversations", cmd_list_usage, cmd_list},
    {"show", "ID", "transcript, model scores and labels", cmd_show_usage,
     cmd_show},
    {"label", "ID --set F=V...", "record a human label", cmd_label_usage,
     cmd_label},
    {"edge", "ID [--note T|--off]", "mark or unmark a boundary edge case",
     cmd_edge_usage, cmd_edge},
    {"score", "[...]", "score conversations (LLM or heuristic)",
     cmd_score_usage, cmd_score},
    {"models", "", "list the endpoint's models", cmd_models_usage, cmd_models},
    {"optimize", "[...]", "BootstrapFewShot with the diversity metric",
     cmd_optimize_usage, cmd_optimize},
    {"programs", "[show|use ID]", "the optimised program store",
     cmd_programs_usage, cmd_programs},
    {"export", "json|mongo|pool", "export a demo set or the labeled pool",
     cmd_export_usage, cmd_export},
    {"import-program", "json|mongo", "load a DSPy program state",
     cmd_import_program_usage, cmd_import_program},
    {"demo", "[--reset]", "fill the pool with realistic sample data",
     cmd_demo_usage, cmd_demo},
    {"backup", "FILE", "online backup of the pool", cmd_backup_usage,
     cmd_backup},
    {"index", "[--status|--rebuild]", "bring the search index up to date",
     cmd_index_usage, cmd_index},
    {NULL, NULL, NULL, NULL, NULL},
};

const cli_command *cli_command_find(const char *name)
{
    for (const cli_command *c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

int cli_wants_help(int argc, char **argv)
{
    return argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
}

void cli_help_print(FILE *f)
{
    fputs("usage: curate [GLOBAL OPTIONS] [COMMAND [ARGS]]\n"
          "\n"
          "Curate human-verified examples for few-shot LLM scoring "
          "(DSPy-compatible).\n"
          "With no command, opens the review workbench (TUI).\n"
          "\n"
          "Commands:\n", f);
    int w = 0;
    for (const cli_command *c = cli_commands; c->name; c++) {
        int n = (int)(strlen(c->name) + (*c->args ? 1 + strlen(c->args) : 0));
        if (n > w) w = n;
    }
    for (const cli_command *c = cli_commands; c->name; c++) {
        char head[128];
        snprintf(head, sizeof head, "%s%s%s", c->name, *c->args ? " " : "",
                 c->args);
        fprintf(f, "  %-*s  %s\n", w, head, c->summary);
    }
}
