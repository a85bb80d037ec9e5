/* cli.c: helpers shared by the headless commands. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../term/sanitize.h"
#include "../../core/numarg.h"
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

/* Whether f is a terminal, asked once per stream (list prints many rows). */
static int is_tty(FILE *f)
{
    static int known[3], tty[3];
    int fd = fileno(f);
    if (fd < 0) return 0;
    if (fd > 2) return isatty(fd);
    if (!known[fd]) { tty[fd] = isatty(fd); known[fd] = 1; }
    return tty[fd];
}

char *cli_clean_new(FILE *f, const char *s, int one_line)
{
    unsigned flags = (one_line ? 0 : SAN_KEEP_NL | SAN_KEEP_TAB) |
                     (is_tty(f) ? 0 : SAN_PIPE);
    return sanitize_new(s ? s : "", (size_t)-1, flags);
}

void cli_puts(FILE *f, const char *s)
{
    if (!s) return;
    char *clean = cli_clean_new(f, s, 0);
    fputs(clean, f);
    free(clean);
}

void cli_printf(FILE *f, const char *fmt, ...)
{
    sbuf b = {0};
    va_list ap;
    va_start(ap, fmt);
    char small[512];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        cli_puts(f, small);
        return;
    }
    b.cap = (size_t)n + 1;
    b.s = xmalloc(b.cap);
    va_start(ap, fmt);
    vsnprintf(b.s, b.cap, fmt, ap);
    va_end(ap);
    cli_puts(f, b.s);
    sbuf_free(&b);
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts)
{
    /* A leading ':' makes getopt return ':' for a missing value; it goes
     * after a '+' (stop at the first non-option). */
    char so[64];
    int plus = shortopts[0] == '+';
    snprintf(so, sizeof so, "%s:%s", plus ? "+" : "", shortopts + plus);
    opterr = 0;
    int c = getopt_long(argc, argv, so, longopts, NULL);
    if (c != '?' && c != ':') return c;
    const char *a = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    char name[80];
    if (a[0] == '-' && a[1] == '-')
        snprintf(name, sizeof name, "%.*s", (int)strcspn(a, "="), a);
    else if (optopt > 0 && optopt < 128)
        snprintf(name, sizeof name, "-%c", optopt);
    else
        snprintf(name, sizeof name, "%.60s", a);
    const char *sep = *cmd ? ": " : "";
    if (c == ':') cli_error("%s%soption '%s' needs a value", cmd, sep, name);
    else cli_error("%s%sunknown option '%s'", cmd, sep, name);
    return '?';
}

int cli_int_opt(const char *cmd, const char *opt, const char *val,
                int64_t lo, int64_t hi, int64_t *out)
{
    char err[ERR_MAX];
    if (numarg_int(opt, val, lo, hi, out, err) == 0) return 0;
    cli_error("%s%s%s", cmd, *cmd ? ": " : "", err);
    return -1;
}

int cli_real_opt(const char *cmd, const char *opt, const char *val,
                 double lo, double hi, double *out)
{
    char err[ERR_MAX];
    if (numarg_real(opt, val, lo, hi, out, err) == 0) return 0;
    cli_error("%s%s%s", cmd, *cmd ? ": " : "", err);
    return -1;
}

int cli_text_opt(const char *cmd, const char *opt, const char *val)
{
    if (!val) return 0;
    const char *sep = *cmd ? ": " : "";
    size_t n = strlen(val), bad = utf8_bad_at(val, n);
    if (bad < n) {
        cli_error("%s%s%s: not valid UTF-8 (byte %zu); nothing stored", cmd,
                  sep, opt, bad + 1);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)val[i];
        if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f) {
            cli_error("%s%s%s: control character 0x%02x at byte %zu; "
                      "nothing stored", cmd, sep, opt, ch, i + 1);
            return -1;
        }
    }
    return 0;
}

int cli_rubric_check(pool *p, const cli_globals *g, int store)
{
    char err[ERR_MAX];
    char *stored = NULL;
    int rc = pool_meta_get(p, "rubric", &stored, err);
    if (rc < 0) {
        cli_error("%s", err);
        return -1;
    }
    if (rc == 0) {
        /* First use: the pool is labeled under this rubric from now on. */
        char *json = rubric_to_json_new(g->r);
        int ok = !store || pool_meta_set(p, "rubric", json, err) == 0;
        free(json);
        if (!ok) cli_error("%s", err);
        return ok ? 0 : -1;
    }
    rubric *pr = rubric_parse_new(stored, "the pool's rubric", err);
    free(stored);
    if (!pr) {
        cli_error("%s: %s", pool_path(p), err);
        return -1;
    }
    char diff[ERR_MAX];
    int differs = rubric_diff(pr, g->r, diff, sizeof diff);
    rubric_free(pr);
    if (!differs) return 0;
    cli_error("%s: the pool is labeled under another rubric than %s (%s): "
              "nothing was changed; give the pool's rubric (`curate rubric` "
              "prints it), or switch the pool with `curate --rubric FILE "
              "rubric migrate`", pool_path(p),
              g->rubric_path ? g->rubric_path : "the built-in one", diff);
    return -1;
}

/* The rubric check after an open; closes p when it fails. */
static pool *checked(pool *p, const cli_globals *g, int store)
{
    if (p && cli_rubric_check(p, g, store) < 0) {
        pool_close(p);
        return NULL;
    }
    return p;
}

pool *cli_open_pool(const cli_globals *g)
{
    char err[ERR_MAX];
    pool *p = pool_open_existing(g->db_path, err);
    if (!p) cli_error("%s", err);
    return checked(p, g, 1);
}

pool *cli_create_pool(const cli_globals *g)
{
    char err[ERR_MAX];
    pool *p = pool_open(g->db_path, err);
    if (!p) cli_error("%s", err);
    return checked(p, g, 1);
}

pool *cli_create_pool_unshared(const cli_globals *g)
{
    char err[ERR_MAX];
    pool *p = pool_open_unshared(g->db_path, err);
    if (!p) cli_error("%s", err);
    return checked(p, g, 1);
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
    return checked(p, g, 0);
}

pool *cli_open_pool_read(const cli_globals *g)
{
    /* The folder too: a WAL pool writes its -wal and -shm beside it. */
    char *dir = xstrdup(g->db_path);
    char *slash = strrchr(dir, '/');
    if (slash) slash[slash == dir ? 1 : 0] = '\0';
    int writable = access(g->db_path, W_OK) == 0 &&
                   access(slash ? dir : ".", W_OK) == 0;
    free(dir);
    if (access(g->db_path, F_OK) == 0 && !writable)
        return cli_open_pool_readonly(g);
    return cli_open_pool(g);
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
    {"show", "ID|--guidelines", "transcript, model scores and labels; the guidelines", cmd_show_usage,
     cmd_show},
    {"label", "ID --accept|--set F=V...|--skip", "record your label (--filter F: bulk accept)",
     cmd_label_usage, cmd_label},
    {"edge", "ID [--note T|--off]", "mark or unmark a boundary edge case",
     cmd_edge_usage, cmd_edge},
    {"note", "ID TEXT", "add a note to a conversation", cmd_note_usage,
     cmd_note},
    {"undo", "", "revert your own latest review action", cmd_undo_usage,
     cmd_undo},
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
    {"report", "[-o FILE]", "a self-contained HTML report for the team",
     cmd_report_usage, cmd_report},
    {"index", "[--status|--rebuild]", "bring the search index up to date",
     cmd_index_usage, cmd_index},
    {"agreement", "[--field F]", "how far reviewers agree (alpha, MAE, Spearman)",
     cmd_agreement_usage, cmd_agreement},
    {"rubric", "[show|migrate]", "the rubric the pool is labeled under",
     cmd_rubric_usage, cmd_rubric},
    {"assign", "--to a,b [--overlap N]", "spread conversations over reviewers",
     cmd_assign_usage, cmd_assign},
    {"sync", "[--uri URI]", "exchange the pool with the team store (MongoDB)",
     cmd_sync_usage, cmd_sync},
    {"consensus", "[--tolerance T]", "the conflicts between reviewers; the tolerance",
     cmd_consensus_usage, cmd_consensus},
    {"adjudicate", "ID --take R", "a lead settles a conflict (or --set F=V...)",
     cmd_adjudicate_usage, cmd_adjudicate},
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

void cli_usage(const char *usage, FILE *f)
{
    fputs(usage, f);
    if (!strstr(usage, "--filter")) return;
    sbuf b = {0};
    pool_filter_help(&b);
    fprintf(f, "\nF, the filter language (the same in list, label, export, score, "
            "assign):\n%s", b.s);
    sbuf_free(&b);
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
    /* The synopsis column as wide as the widest that fits 26 columns; a
     * longer synopsis gets its own line (80-column terminals). */
    int w = 0;
    for (const cli_command *c = cli_commands; c->name; c++) {
        int n = (int)(strlen(c->name) + (*c->args ? 1 + strlen(c->args) : 0));
        if (n > w && n <= 26) w = n;
    }
    for (const cli_command *c = cli_commands; c->name; c++) {
        char head[128];
        snprintf(head, sizeof head, "%s%s%s", c->name, *c->args ? " " : "",
                 c->args);
        if ((int)strlen(head) > w) fprintf(f, "  %s\n  %-*s  %s\n", head, w, "", c->summary);
        else fprintf(f, "  %-*s  %s\n", w, head, c->summary);
    }}
