/* main.c: curate's entry point: global options, then a subcommand or the
 * workbench. */
#define _POSIX_C_SOURCE 200809L
#include "cli/cli.h"
#include "../core/llm.h"
#include "../core/util.h"

#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURATE_VERSION "0.1.0"

/* The global options: the one list from which getopt's table and the
 * "Global options" part of --help are both made. */
enum { OPT_DB = 256, OPT_RUBRIC, OPT_REVIEWER, OPT_TIMING, OPT_NOCOLOR,
       OPT_DSPY, OPT_NOJSON };
static const struct {
    const char *name;
    int has_arg;
    int val;
    const char *shown;        /* as --help shows it */
    const char *help;
} global_opts[] = {
    {"db", required_argument, OPT_DB, "--db PATH",
     "the pool file (env CURATE_DB; default ./curate.db)"},
    {"rubric", required_argument, OPT_RUBRIC, "--rubric FILE",
     "scoring rubric JSON (default: built-in travel seller)"},
    {"reviewer", required_argument, OPT_REVIEWER, "--reviewer NAME",
     "reviewer name (env CURATE_REVIEWER, else $USER)"},
    {"dspy", required_argument, OPT_DSPY, "--dspy VERSION",
     "DSPy to match: 3 (default), 3.2 or 2.6 (env CURATE_DSPY)"},
    {"no-json-fallback", no_argument, OPT_NOJSON, "--no-json-fallback",
     "no JSONAdapter retry (env CURATE_NO_JSON_FALLBACK=1)"},
    {"timing", no_argument, OPT_TIMING, "--timing",
     "(TUI) log key-to-screen timings to stderr"},
    {"no-color", no_argument, OPT_NOCOLOR, "--no-color",
     "(TUI) no colours (also env NO_COLOR)"},
    {"quiet", no_argument, 'q', "-q, --quiet", "less output"},
    {"help", no_argument, 'h', "-h, --help",
     "this help; `curate COMMAND --help` for a command"},
    {"version", no_argument, 'V', "-V, --version", "print the version"},
};
#define NGLOBAL (sizeof global_opts / sizeof global_opts[0])

static void help_print(FILE *f)
{
    cli_help_print(f);
    fputs("\nGlobal options:\n", f);
    for (size_t i = 0; i < NGLOBAL; i++)
        fprintf(f, "  %-18s  %s\n", global_opts[i].shown, global_opts[i].help);
    fputs("\nExit status: 0 ok, 1 error, 2 usage error, 3 optimize found no "
          "improvement.\n", f);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    cli_globals g = {0};
    g.db_path = getenv("CURATE_DB");
    g.reviewer = getenv("CURATE_REVIEWER");
    const char *reviewer_from = "CURATE_REVIEWER";
    if (!g.reviewer || !*g.reviewer) {
        g.reviewer = getenv("USER");
        reviewer_from = "USER";
    }
    if (!g.reviewer || !*g.reviewer) g.reviewer = "reviewer";
    /* CURATE_NO_JSON_FALLBACK: any value but "" and "0" turns it off */
    const char *nojson_env = getenv("CURATE_NO_JSON_FALLBACK");
    int no_json_fallback = nojson_env && *nojson_env && strcmp(nojson_env, "0");
    int dspy_opt = 0;
    const char *dspy = getenv("CURATE_DSPY");
    struct option opts[NGLOBAL + 1];
    for (size_t i = 0; i < NGLOBAL; i++)
        opts[i] = (struct option){global_opts[i].name, global_opts[i].has_arg,
                                  NULL, global_opts[i].val};
    opts[NGLOBAL] = (struct option){NULL, 0, NULL, 0};
    /* "+" stops at the first non-option: the subcommand parses the rest. */
    int c;
    while ((c = cli_getopt("", argc, argv, "+qhV", opts)) != -1) {
        switch (c) {
        case OPT_DB:
            if (!*optarg) {
                /* an unset variable in a script: never fall back to
                 * ./curate.db silently */
                cli_error("--db: empty path (give the pool file, or leave "
                          "--db out for ./curate.db)");
                return EXIT_USAGE;
            }
            g.db_path = optarg;
            break;
        case OPT_RUBRIC: g.rubric_path = optarg; break;
        case OPT_REVIEWER: g.reviewer = optarg; reviewer_from = "--reviewer"; break;
        case OPT_TIMING: g.timing = 1; break;
        case OPT_NOCOLOR: g.no_color = 1; break;
        case OPT_DSPY: dspy = optarg; dspy_opt = 1; break;
        case OPT_NOJSON: no_json_fallback = 1; break;
        case 'q': g.quiet = 1; break;
        case 'h': help_print(stdout); return EXIT_OK;
        case 'V': printf("curate %s\n", CURATE_VERSION); return EXIT_OK;
        default: help_print(stderr); return EXIT_USAGE;
        }
    }
    if (getenv("NO_COLOR") && *getenv("NO_COLOR")) g.no_color = 1;
    if (!g.db_path || !*g.db_path) g.db_path = "curate.db";
    if (cli_text_opt("", reviewer_from, g.reviewer) < 0) return EXIT_USAGE;
    char err[ERR_MAX];
    dspy_target target = {DSPY_V3, 0, no_json_fallback};
    if (dspy && *dspy) {
        if (dspy_version_parse(dspy, &target.version, err) < 0) {
            cli_error("%s%s", err, dspy_opt ? "" : " (from CURATE_DSPY)");
            return EXIT_USAGE;
        }
        target.chosen = 1;
    }
    g.r = g.rubric_path ? rubric_load_new(g.rubric_path, err)
                        : rubric_default_new();
    if (!g.r) {
        cli_error("%s", err);
        return EXIT_USAGE;
    }
    g.r->dspy = target;
    /* libcurl and libmongoc are loaded by the commands that use them
     * (llm.h, export_mongo.h): nothing else pays for them at start. */
    /* No command: the workbench, as `curate tui`. */
    static char tui_name[] = "tui";
    char *tui_argv[] = {tui_name, NULL};
    int sub_argc = optind < argc ? argc - optind : 1;
    char **sub_argv = optind < argc ? argv + optind : tui_argv;
    const cli_command *cmd = cli_command_find(sub_argv[0]);
    int rc;
    if (!cmd) {
        cli_error("unknown command '%s' (see curate --help)", sub_argv[0]);
        rc = EXIT_USAGE;
    } else if (cli_wants_help(sub_argc, sub_argv)) {
        /* Before the command runs: help never opens (or creates) a pool. */
        cli_usage(cmd->usage, stdout);
        rc = EXIT_OK;
    } else {
        optind = 0; /* glibc: 0 fully resets getopt for the command */
        rc = cmd->fn(&g, sub_argc, sub_argv);
    }
    llm_global_cleanup();
    rubric_free(g.r);
    return rc;
}
