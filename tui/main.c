/* main.c: curate's entry point: global options, then a subcommand or the
 * workbench. */
#define _POSIX_C_SOURCE 200809L
#include "cli/cli.h"
#include "workbench/ui.h"
#include "../core/llm.h"
#include "../core/util.h"

#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURATE_VERSION "0.1.0"

static const char *usage_text =
    "usage: curate [GLOBAL OPTIONS] [COMMAND [ARGS]]\n"
    "\n"
    "Curate human-verified examples for few-shot LLM scoring (DSPy-compatible).\n"
    "With no command, opens the review workbench (TUI).\n"
    "\n"
    "Commands:\n"
    "  tui                      open the workbench (the default)\n"
    "  init                     create the pool (default ./curate.db)\n"
    "  import FILE...           import JSONL or WhatsApp .txt conversations\n"
    "  stats                    counts and per-field score statistics\n"
    "  list [--filter F]        list conversations\n"
    "  show ID                  transcript, model scores and labels\n"
    "  label ID --accept|--set F=V...|--skip  record your label\n"
    "  edge ID [--note T|--off] mark or unmark a boundary edge case\n"
    "  note ID TEXT             add a note to a conversation\n"
    "  undo                     revert your own latest review action\n"
    "  score [...]              score conversations (LLM or heuristic)\n"
    "  models                   list the endpoint's models\n"
    "  optimize [...]           BootstrapFewShot with the diversity metric\n"
    "  programs [show|use ID]   the optimised program store\n"
    "  export json|mongo|pool   export a demo set or the labeled pool\n"
    "  import-program json|mongo  load a DSPy program state\n"
    "  demo [--reset]           fill the pool with realistic sample data\n"
    "  backup FILE              online backup of the pool\n"
    "  report [-o FILE]         a self-contained HTML report for the team\n"
    "  index [--status|--rebuild]  bring the search index up to date\n"
    "  rubric [show|migrate]    the rubric the pool is labeled under\n"
    "  agreement [--field F]    how far reviewers agree (alpha, MAE, Spearman)\n"
    "  assign --to a,b [--overlap N]  spread conversations over reviewers\n"
    "\n"
    "Global options:\n"
    "  --db PATH          the pool file (env CURATE_DB; default ./curate.db)\n"
    "  --rubric FILE      scoring rubric JSON (default: built-in travel seller)\n"
    "  --reviewer NAME    reviewer name (env CURATE_REVIEWER, else $USER)\n"
    "  --dspy VERSION     DSPy release to be exact to: 3 (3.2-3.3, default) or\n"
    "                     2.6 (2.6.26-2.6.27) (env CURATE_DSPY; README \"DSPy versions\")\n"
    "  --no-json-fallback an answer not in ChatAdapter's format fails (no JSON parse)\n"
    "  --timing           (TUI) log key-to-screen timings to stderr\n"
    "  --no-color         (TUI) no colours (also env NO_COLOR)\n"
    "  -q, --quiet        less output\n"
    "  -h, --help         this help; `curate COMMAND --help` for a command\n"
    "  -V, --version      print the version\n"
    "\n"
    "Exit status: 0 ok, 1 error, 2 usage error, 3 optimize found no improvement.\n";

static const struct {
    const char *name;
    int (*fn)(const cli_globals *, int, char **);
} commands[] = {
    {"init", cmd_init},       {"import", cmd_import},
    {"stats", cmd_stats},     {"list", cmd_list},
    {"show", cmd_show},       {"label", cmd_label},
    {"edge", cmd_edge},       {"demo", cmd_demo},
    {"note", cmd_note},       {"undo", cmd_undo},
    {"backup", cmd_backup},   {"index", cmd_index},
    {"export", cmd_export},   {"import-program", cmd_import_program},
    {"programs", cmd_programs},   {"score", cmd_score},
    {"models", cmd_models},   {"optimize", cmd_optimize},
    {"rubric", cmd_rubric},
    {"agreement", cmd_agreement}, {"assign", cmd_assign},
    {"report", cmd_report},
};

static int run_tui(cli_globals *g, int timing, int no_color)
{
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    ui_opts o = {
        .db_path = g->db_path, .p = p, .r = g->r, .reviewer = g->reviewer,
        .rubric_path = g->rubric_path, .timing = timing,
        .no_color = no_color || (getenv("NO_COLOR") && *getenv("NO_COLOR")),
    };
    int rc = ui_run(&o);
    pool_close(p);
    return rc;
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
    int timing = 0, no_color = 0, no_json_fallback = 0, dspy_opt = 0;
    const char *dspy = getenv("CURATE_DSPY");
    enum { OPT_DB = 256, OPT_RUBRIC, OPT_REVIEWER, OPT_TIMING, OPT_NOCOLOR,
           OPT_DSPY, OPT_NOJSON };
    static const struct option opts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"rubric", required_argument, NULL, OPT_RUBRIC},
        {"reviewer", required_argument, NULL, OPT_REVIEWER},
        {"timing", no_argument, NULL, OPT_TIMING},
        {"no-color", no_argument, NULL, OPT_NOCOLOR},
        {"dspy", required_argument, NULL, OPT_DSPY},
        {"no-json-fallback", no_argument, NULL, OPT_NOJSON},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
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
        case OPT_TIMING: timing = 1; break;
        case OPT_NOCOLOR: no_color = 1; break;
        case OPT_DSPY: dspy = optarg; dspy_opt = 1; break;
        case OPT_NOJSON: no_json_fallback = 1; break;
        case 'q': g.quiet = 1; break;
        case 'h': fputs(usage_text, stdout); return EXIT_OK;
        case 'V': printf("curate %s\n", CURATE_VERSION); return EXIT_OK;
        default: fputs(usage_text, stderr); return EXIT_USAGE;
        }
    }
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
    int rc;
    if (optind >= argc || strcmp(argv[optind], "tui") == 0) {
        rc = run_tui(&g, timing, no_color);
        llm_global_cleanup();
        rubric_free(g.r);
        return rc;
    }
    const char *cmd = argv[optind];
    int sub = optind;
    rc = -1;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) == 0) {
            optind = 0; /* glibc: 0 fully resets getopt for the command */
            rc = commands[i].fn(&g, argc - sub, argv + sub);
            break;
        }
    }
    if (rc < 0) {
        cli_error("unknown command '%s' (see curate --help)", cmd);
        rc = EXIT_USAGE;
    }
    llm_global_cleanup();
    rubric_free(g.r);
    return rc;
}
