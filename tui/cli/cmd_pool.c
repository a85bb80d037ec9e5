/* cmd_pool.c: headless pool commands: init, import, stats, list, show,
 * label, edge, backup. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../term/ui_text.h"
#include "../../data/pool_team.h"
#include "../../core/numarg.h"
#include "../../core/util.h"
#include "../../data/import_file.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARG_HELP(usage)                                                    \
    do {                                                                   \
        if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) { \
            fputs(usage, stdout);                                          \
            return EXIT_OK;                                                \
        }                                                                  \
    } while (0)

const char cmd_init_usage[] =
    "usage: curate init\nCreates (or migrates) the pool file.\n";

int cmd_init(const cli_globals *g, int argc, char **argv)
{
    ARG_HELP(cmd_init_usage);
    if (argc > 1) {
        cli_error("init: unexpected argument '%s'", argv[1]);
        return EXIT_USAGE;
    }
    pool *p = cli_create_pool(g);
    if (!p) return EXIT_ERR;
    if (!g->quiet) cli_printf(stdout, "pool ready: %s (schema %d)\n", g->db_path,
                          POOL_SCHEMA_VERSION);
    pool_close(p);
    return EXIT_OK;
}

/* ---- import ---- */

const char cmd_import_usage[] =
    "usage: curate import [OPTIONS] FILE...\n"
    "Imports conversations: JSONL (one conversation per line) or WhatsApp\n"
    "chat exports (.txt). A malformed file stores nothing and is reported as\n"
    "FILE:LINE (the whole file is checked first); a big file is stored in\n"
    "transactions of about half a second, so reviewers can save meanwhile.\n"
    "Re-importing changes nothing; an import that was killed is completed.\n"
    "  --batch N                 at most N conversations per transaction\n"
    "  --format jsonl|whatsapp   force the format (default: detect)\n"
    "  --seller NAME             (WhatsApp) the seller's name; repeatable\n"
    "  --seller-id ID            (WhatsApp) seller id (default: the name)\n"
    "  --id ID                   (WhatsApp) conversation id (default: stable hash)\n"
    "  --date-order auto|dmy|mdy (WhatsApp) day or month first (default auto)\n"
    "  --tz-offset +HH:MM        (WhatsApp) the phone's UTC offset (default 0)\n";

int cmd_import(const cli_globals *g, int argc, char **argv)
{
    ARG_HELP(cmd_import_usage);
    enum { O_FORMAT = 256, O_SELLER, O_SELLER_ID, O_ID, O_DATE, O_TZ,
           O_BATCH };
    static const struct option lo[] = {
        {"format", required_argument, NULL, O_FORMAT},
        {"batch", required_argument, NULL, O_BATCH},
        {"seller", required_argument, NULL, O_SELLER},
        {"seller-id", required_argument, NULL, O_SELLER_ID},
        {"id", required_argument, NULL, O_ID},
        {"date-order", required_argument, NULL, O_DATE},
        {"tz-offset", required_argument, NULL, O_TZ},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int format = 0, c;
    char tzerr[ERR_MAX];
    int64_t batch = 0;
    const char *sellers[32];
    import_wa_opts wa = {0};
    wa.sellers = sellers;
    while ((c = cli_getopt("import", argc, argv, "h", lo)) != -1) {
        switch (c) {
        case O_FORMAT:
            if (!strcmp(optarg, "jsonl")) format = 1;
            else if (!strcmp(optarg, "whatsapp")) format = 2;
            else { cli_error("import: --format must be jsonl or whatsapp"); return EXIT_USAGE; }
            break;
        case O_SELLER:
            if (wa.nsellers == 32) { cli_error("import: too many --seller"); return EXIT_USAGE; }
            if (cli_text_opt("import", "--seller", optarg) < 0) return EXIT_USAGE;
            sellers[wa.nsellers++] = optarg;
            break;
        case O_BATCH:
            if (cli_int_opt("import", "--batch", optarg, 1, INT32_MAX,
                            &batch) < 0)
                return EXIT_USAGE;
            break;
        case O_SELLER_ID:
            if (cli_text_opt("import", "--seller-id", optarg) < 0) return EXIT_USAGE;
            wa.seller_id = optarg;
            break;
        case O_ID:
            if (cli_text_opt("import", "--id", optarg) < 0) return EXIT_USAGE;
            wa.id = optarg;
            break;
        case O_DATE:
            if (!strcmp(optarg, "dmy")) wa.order = DATE_DMY;
            else if (!strcmp(optarg, "mdy")) wa.order = DATE_MDY;
            else if (!strcmp(optarg, "auto")) wa.order = DATE_AUTO;
            else { cli_error("import: --date-order must be auto, dmy or mdy"); return EXIT_USAGE; }
            break;
        case O_TZ:
            if (numarg_utc_offset("--tz-offset", optarg, &wa.tz_offset_min, tzerr) < 0) {
                cli_error("import: %s", tzerr);
                return EXIT_USAGE;
            }
            break;
        case 'h': fputs(cmd_import_usage, stdout); return EXIT_OK;
        default: fputs(cmd_import_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_error("import: no file given");
        fputs(cmd_import_usage, stderr);
        return EXIT_USAGE;
    }
    if (wa.id && argc - optind > 1) {
        cli_error("import: --id applies to one file only");
        return EXIT_USAGE;
    }
    pool *p = cli_create_pool_unshared(g);   /* its threads only parse */
    if (!p) return EXIT_ERR;
    int failed = 0;
    for (int i = optind; i < argc; i++) {
        char err[ERR_MAX] = "";
        const char *path = argv[i];
        import_date_order guessed = DATE_AUTO;
        wa.guessed = &guessed;
        import_file_opts io = {.format = (import_format)format, .wa = &wa,
                               .batch = (long)batch};
        import_file_stats st;
        int rc = import_file(p, path, &io, &st, err);
        if (st.stale_convs) {
            /* Labels no longer describe what is stored: say which. */
            sbuf ids = {0};
            for (long k = 0; k < st.stale_convs && k < IMPORT_STALE_NAMED; k++)
                sbuf_addf(&ids, "%s%s", k ? ", " : "", st.stale_ids[k]);
            if (st.stale_convs > IMPORT_STALE_NAMED)
                sbuf_addf(&ids, " and %ld more",
                          st.stale_convs - IMPORT_STALE_NAMED);
            cli_printf(stdout, "%s: %ld conversation%s changed content; %ld "
                       "label%s made on the old content %s stale (kept in the "
                       "history, no longer used; back to review): %s\n", path,
                       st.stale_convs, st.stale_convs == 1 ? "" : "s",
                       st.stale_labels, st.stale_labels == 1 ? "" : "s",
                       st.stale_labels == 1 ? "is" : "are", ids.s);
            sbuf_free(&ids);
        }
        /* Not quiet-able: a wrong guess misdates every message. */
        if (rc == 0 && guessed != DATE_AUTO)
            cli_error("%s: no date tells whether the day or the month comes "
                      "first (all are 12 or less): read as %s%s; if that is "
                      "wrong, correct it in place with: curate import "
                      "--date-order %s --id %s ...", path,
                      guessed == DATE_MDY ? "month/day/year" : "day/month/year",
                      guessed == DATE_MDY ? " (a 12-hour clock, as US phones "
                                            "write)" : "",
                      guessed == DATE_MDY ? "dmy" : "mdy",
                      st.last_id ? st.last_id : "ID");
        import_file_stats_clear(&st);
        if (rc < 0) {
            cli_error("%s", err);
            if (!g->quiet && st.stored)
                cli_error("%s: %ld conversations were stored before the "
                          "error; import the file again to complete it",
                          path, st.stored);
            else if (!g->quiet)
                cli_error("%s: nothing imported from this file", path);
            failed++;
            continue;
        }
        if (g->timing)
            cli_printf(stderr, "import timing: %s: waiting for parsed input "
                    "%.3f s, storing %.3f s, building indexes %.3f s\n",
                    path, st.t_wait, st.t_store, st.t_index);
        long total = st.added + st.changed + st.same;
        if (!g->quiet)
            cli_printf(stdout, "%s: %ld %s (%ld new, %ld changed, "
                       "%ld unchanged), %ld %s\n", path, total,
                       ui_plural(total, "conversation", "conversations"),
                       st.added, st.changed, st.same, st.msgs,
                       ui_plural(st.msgs, "message", "messages"));
    }
    /* New conversations wait for the search index (see pool.h): say how
     * to catch it up, once. */
    pool_search_state st;
    char err[ERR_MAX];
    if (!g->quiet && pool_search_get_state(p, &st, err) == 0 &&
        st.indexed < st.conversations)
        printf("search index: %lld conversation%s not indexed yet (`curate "
               "index`, or the workbench does it in the background; searches "
               "find them meanwhile, more slowly)\n",
               (long long)(st.conversations - st.indexed),
               st.conversations - st.indexed == 1 ? "" : "s");
    pool_close(p);
    return failed ? EXIT_ERR : EXIT_OK;
}

/* ---- stats ---- */

static void print_agg(const char *what, const pool_agg *a)
{
    if (a->n == 0) { printf("  %-6s  n=0\n", what); return; }
    printf("  %-6s  n=%-7lld mean %5.2f  sd %4.2f  min %5.2f  max %5.2f\n",
           what, (long long)a->n, a->mean, a->sd, a->min, a->max);
}

const char cmd_stats_usage[] =
    "usage: curate stats [--run ID] [--seller ID]\n"
    "       curate stats --by-reviewer [--tolerance T]\n"
    "Counts and per-field mean/sd/min/max of model and human scores, and\n"
    "the mean absolute error model vs human.\n"
    "--by-reviewer: per reviewer, labels today and in all, labels per hour\n"
    "over their last session (pauses under 30 minutes), share skipped, and\n"
    "conversations in conflict they labeled (tolerance T, default the pool's).\n";

int cmd_stats(const cli_globals *g, int argc, char **argv)
{
    ARG_HELP(cmd_stats_usage);
    static const struct option lo[] = {
        {"run", required_argument, NULL, 'r'},
        {"seller", required_argument, NULL, 's'},
        {"by-reviewer", no_argument, NULL, 'b'},
        {"tolerance", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    int64_t run = 0;
    const char *seller = NULL;
    int c, by_reviewer = 0;
    double tolerance = -1;   /* the pool's */
    while ((c = cli_getopt("stats", argc, argv, "", lo)) != -1) {
        if (c == 'r') {
            if (cli_int_opt("stats", "--run", optarg, 1, INT64_MAX, &run) < 0) return EXIT_USAGE;
        } else if (c == 's') seller = optarg;
        else if (c == 'b') by_reviewer = 1;
        else if (c == 't') {
            if (cli_real_opt("stats", "--tolerance", optarg, 0, 1e9, &tolerance) < 0) return EXIT_USAGE;
        }
        else { fputs(cmd_stats_usage, stderr); return EXIT_USAGE; }
    }
    pool *p = cli_open_pool_read(g);
    if (!p) return EXIT_ERR;
    if (by_reviewer) {
        int rc = cli_print_reviewers(g, p, tolerance);
        pool_close(p);
        return rc < 0 ? EXIT_ERR : EXIT_OK;
    }
    pool_stats st;
    char err[ERR_MAX];
    if (pool_get_stats(p, g->r, run, seller, &st, err) < 0) {
        cli_error("%s", err);
        pool_close(p);
        return EXIT_ERR;
    }
    cli_printf(stdout, "pool: %s\n", g->db_path);
    printf("conversations %lld  messages %lld  scored %lld  reviewed %lld  "
           "skipped %lld  edge cases %lld  programs %lld  runs %lld  "
           "reviewed today %lld\n",
           (long long)st.conversations, (long long)st.messages,
           (long long)st.scored, (long long)st.reviewed, (long long)st.skipped,
           (long long)st.edge, (long long)st.programs, (long long)st.runs,
           (long long)st.reviewed_today);
    int64_t conflicts = pool_team_conflicts(p, err);
    if (conflicts > 0)
        printf("conflicts %lld: reviewers disagree (beyond the tolerance); left out of "
               "training sets and exports until they agree or a lead adjudicates\n",
               (long long)conflicts);
    pool_search_state ss;
    if (pool_search_get_state(p, &ss, err) == 0)
        printf("search index: %lld of %lld conversations%s\n",
               (long long)ss.indexed, (long long)ss.conversations,
               ss.indexed < ss.conversations ? " (run `curate index`)" : "");
    for (size_t i = 0; i < g->r->nfields; i++) {
        if (!rubric_is_scored(&g->r->fields[i])) continue;
        printf("%s\n", g->r->fields[i].name);
        print_agg("model", &st.model[i]);
        print_agg("human", &st.human[i]);
        if (st.abs_err[i].n)
            printf("  MAE     %.2f over %lld reviewed\n", st.abs_err[i].mean,
                   (long long)st.abs_err[i].n);
    }
    pool_close(p);
    return EXIT_OK;
}

/* ---- list ---- */

static int parse_sort(const char *s, pool_sort_kind *out)
{
    static const char *names[] = {"id", "seller", "messages", "model",
                                  "human", "diff", "status", "edge"};
    for (int i = 0; i < 8; i++)
        if (!strcmp(s, names[i])) { *out = (pool_sort_kind)i; return 0; }
    return -1;
}

const char cmd_list_usage[] =
    "usage: curate list [--filter F...] [--search TEXT] [--sort COL] [--desc]\n"
    "                   [--limit N] [--offset N]\n"
    "  --filter F    a term of the filter language below; repeat it to\n"
    "                combine terms (all must hold), e.g. --filter reviewed\n"
    "                --filter reviewer=ann --filter since=2026-03-01\n"
    "  COL: id, seller, messages, model, human, diff, status, edge\n";

int cmd_list(const cli_globals *g, int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        cli_usage(cmd_list_usage, stdout);
        return EXIT_OK;
    }
    static const struct option lo[] = {
        {"filter", required_argument, NULL, 'f'},
        {"search", required_argument, NULL, 's'},
        {"sort", required_argument, NULL, 'o'},
        {"desc", no_argument, NULL, 'd'},
        {"limit", required_argument, NULL, 'n'},
        {"offset", required_argument, NULL, 'O'},
        {NULL, 0, NULL, 0},
    };
    pool_filter f;
    char err[ERR_MAX];
    pool_filter_parse(NULL, &f, err);
    const char *search = NULL;
    pool_sort_kind sort = SORT_ID;
    int desc = 0, c;
    int64_t limit = 50, offset = 0;
    while ((c = cli_getopt("list", argc, argv, "", lo)) != -1) {
        switch (c) {
        case 'f':
            if (pool_filter_add(optarg, &f, err) < 0 ||
                pool_filter_check(&f, g->r, err) < 0) { cli_error("list: %s", err); return EXIT_USAGE; }
            break;
        case 's': search = optarg; break;
        case 'o':
            if (parse_sort(optarg, &sort) < 0) { cli_error("list: unknown --sort '%s'", optarg); return EXIT_USAGE; }
            break;
        case 'd': desc = 1; break;
        case 'n':
            if (cli_int_opt("list", "--limit", optarg, 1, 100000, &limit) < 0) return EXIT_USAGE;
            break;
        case 'O':
            if (cli_int_opt("list", "--offset", optarg, 0, INT64_MAX, &offset) < 0) return EXIT_USAGE;
            break;
        default: fputs(cmd_list_usage, stderr); return EXIT_USAGE;
        }
    }
    if (search && f.search) {
        cli_error("list: --search is given with --filter search= too");
        return EXIT_USAGE;
    }
    if (search) f.search = search;
    f.sort = sort;
    f.desc = desc;
    pool *p = cli_open_pool_read(g);
    if (!p) return EXIT_ERR;
    pool_row *rows = xcalloc((size_t)limit, sizeof *rows);
    int n = pool_list(p, &f, offset, (int)limit, rows, err);
    if (n < 0) {
        cli_error("%s", err);
        free(rows);
        pool_close(p);
        return EXIT_ERR;
    }
    printf("%-24s %-16s %5s %6s %6s %5s %-10s %-4s %s\n", "ID", "SELLER", "MSGS",
           "MODEL", "HUMAN", "DIFF", "STATUS", "EDGE", "DIFFERS MOST");
    for (int i = 0; i < n; i++) {
        char m[16] = "-", h[16] = "-", d[16] = "-";
        if (rows[i].has_model) snprintf(m, sizeof m, "%.2f", rows[i].model_overall);
        if (rows[i].has_human) snprintf(h, sizeof h, "%.2f", rows[i].human_overall);
        if (rows[i].has_model && rows[i].has_human) {
            double df = rows[i].model_overall - rows[i].human_overall;
            snprintf(d, sizeof d, "%.2f", df < 0 ? -df : df);
        }
        char most[96] = "";
        if (rows[i].has_fdiff)
            snprintf(most, sizeof most, "%s %.2f", rows[i].fdiff_field, rows[i].fdiff);
        cli_printf(stdout, "%-24s %-16s %5d %6s %6s %5s %-10s %-4s %s\n", rows[i].id,
               rows[i].seller_id, rows[i].nmsgs, m, h, d, conv_status_name(rows[i].status),
               rows[i].edge ? "edge" : "", most);
    }
    /* A listing that stops at --limit says so (on stderr: stdout stays
     * the rows), with how to see the rest. */
    int64_t total = n == limit || offset > 0 ? pool_count(p, &f, err) : offset + n;
    if (total < 0) {
        cli_error("%s", err);
        pool_rows_clear(rows, n);
        free(rows);
        pool_close(p);
        return EXIT_ERR;
    }
    if (offset + n < total)
        cli_error("list: rows %lld-%lld of %lld shown; --offset %lld for the "
                  "next, --limit N for more at once", (long long)offset + 1,
                  (long long)(offset + n), (long long)total,
                  (long long)(offset + n));
    pool_rows_clear(rows, n);
    free(rows);
    pool_close(p);
    return EXIT_OK;
}
