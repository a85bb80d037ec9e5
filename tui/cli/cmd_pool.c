/* cmd_pool.c: headless pool commands: init, import, stats, list, show,
 * label, edge, backup. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../../core/util.h"
#include "../../data/import.h"

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
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    if (!g->quiet) printf("pool ready: %s (schema %d)\n", g->db_path,
                          POOL_SCHEMA_VERSION);
    pool_close(p);
    return EXIT_OK;
}

/* ---- import ---- */

typedef struct {
    pool *p;
    const char *src;
    long added, changed, same, msgs;
    char *last_id;          /* the last conversation's id (owned) */
} import_ctx;

static int import_one(const convo *c, void *vctx, char *err)
{
    import_ctx *ic = vctx;
    int changed;
    if (pool_put_convo(ic->p, c, ic->src, &changed, err) < 0) return -1;
    if (changed == 2) ic->added++;
    else if (changed == 1) ic->changed++;
    else ic->same++;
    ic->msgs += (long)c->nmsgs;
    free(ic->last_id);
    ic->last_id = xstrdup(c->id);
    return 0;
}

const char cmd_import_usage[] =
    "usage: curate import [OPTIONS] FILE...\n"
    "Imports conversations: JSONL (one conversation per line) or WhatsApp\n"
    "chat exports (.txt). One transaction per file: a malformed file stores\n"
    "nothing and is reported as FILE:LINE. Re-importing changes nothing.\n"
    "  --format jsonl|whatsapp   force the format (default: detect)\n"
    "  --seller NAME             (WhatsApp) the seller's name; repeatable\n"
    "  --seller-id ID            (WhatsApp) seller id (default: the name)\n"
    "  --id ID                   (WhatsApp) conversation id (default: stable hash)\n"
    "  --date-order auto|dmy|mdy (WhatsApp) day or month first (default auto)\n"
    "  --tz-offset +HH:MM        (WhatsApp) the phone's UTC offset (default 0)\n";

static int parse_tz(const char *s, int *out)
{
    int sign = 1, h = 0, m = 0;
    if (*s == '+' || *s == '-') sign = *s++ == '-' ? -1 : 1;
    if (sscanf(s, "%d:%d", &h, &m) < 1 || h > 14 || m > 59) return -1;
    *out = sign * (h * 60 + m);
    return 0;
}

int cmd_import(const cli_globals *g, int argc, char **argv)
{
    ARG_HELP(cmd_import_usage);
    enum { O_FORMAT = 256, O_SELLER, O_SELLER_ID, O_ID, O_DATE, O_TZ };
    static const struct option lo[] = {
        {"format", required_argument, NULL, O_FORMAT},
        {"seller", required_argument, NULL, O_SELLER},
        {"seller-id", required_argument, NULL, O_SELLER_ID},
        {"id", required_argument, NULL, O_ID},
        {"date-order", required_argument, NULL, O_DATE},
        {"tz-offset", required_argument, NULL, O_TZ},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int format = 0, c;
    const char *sellers[32];
    import_wa_opts wa = {0};
    wa.sellers = sellers;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_FORMAT:
            if (!strcmp(optarg, "jsonl")) format = 1;
            else if (!strcmp(optarg, "whatsapp")) format = 2;
            else { cli_error("import: --format must be jsonl or whatsapp"); return EXIT_USAGE; }
            break;
        case O_SELLER:
            if (wa.nsellers == 32) { cli_error("import: too many --seller"); return EXIT_USAGE; }
            sellers[wa.nsellers++] = optarg;
            break;
        case O_SELLER_ID: wa.seller_id = optarg; break;
        case O_ID: wa.id = optarg; break;
        case O_DATE:
            if (!strcmp(optarg, "dmy")) wa.order = DATE_DMY;
            else if (!strcmp(optarg, "mdy")) wa.order = DATE_MDY;
            else if (!strcmp(optarg, "auto")) wa.order = DATE_AUTO;
            else { cli_error("import: --date-order must be auto, dmy or mdy"); return EXIT_USAGE; }
            break;
        case O_TZ:
            if (parse_tz(optarg, &wa.tz_offset_min) < 0) {
                cli_error("import: --tz-offset '%s': expected +HH:MM", optarg);
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
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    int failed = 0;
    for (int i = optind; i < argc; i++) {
        char err[ERR_MAX] = "";
        size_t len;
        const char *path = argv[i];
        char *data = file_read_new(path, &len, err);
        if (!data) { cli_error("%s", err); failed++; continue; }
        int fmt = format ? format : import_detect(path, data, len);
        import_ctx ic = {.p = p, .src = path};
        import_date_order guessed = DATE_AUTO;
        wa.guessed = &guessed;
        int rc = -1;
        if (fmt == 0) {
            err_set(err, "%s: unknown format (use --format jsonl|whatsapp)", path);
        } else if (pool_begin(p, err) == 0) {
            rc = fmt == 1 ? import_jsonl(data, len, path, import_one, &ic, err)
                          : import_whatsapp(data, len, path, &wa, import_one,
                                            &ic, err);
            if (rc == 0) rc = pool_commit(p, err);
            else pool_rollback(p);
        }
        free(data);
        if (rc < 0) {
            cli_error("%s", err);
            if (!g->quiet) fprintf(stderr, "curate: %s: nothing imported from this file\n", path);
            free(ic.last_id);
            failed++;
            continue;
        }
        /* Not quiet-able: a wrong guess misdates every message. */
        if (fmt == 2 && guessed != DATE_AUTO && rc == 0)
            cli_error("%s: no date tells whether the day or the month comes "
                      "first (all are 12 or less): read as %s%s; if that is "
                      "wrong, correct it in place with: curate import "
                      "--date-order %s --id %s ...", path,
                      guessed == DATE_MDY ? "month/day/year" : "day/month/year",
                      guessed == DATE_MDY ? " (a 12-hour clock, as US phones "
                                            "write)" : "",
                      guessed == DATE_MDY ? "dmy" : "mdy",
                      ic.last_id ? ic.last_id : "ID");
        free(ic.last_id);
        if (!g->quiet)
            printf("%s: %ld conversation%s (%ld new, %ld changed, %ld unchanged), "
                   "%ld messages\n", path, ic.added + ic.changed + ic.same,
                   ic.added + ic.changed + ic.same == 1 ? "" : "s", ic.added,
                   ic.changed, ic.same, ic.msgs);
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
    "Counts and per-field mean/sd/min/max of model and human scores, and\n"
    "the mean absolute error model vs human.\n";

int cmd_stats(const cli_globals *g, int argc, char **argv)
{
    ARG_HELP(cmd_stats_usage);
    static const struct option lo[] = {
        {"run", required_argument, NULL, 'r'},
        {"seller", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    int64_t run = 0;
    const char *seller = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'r') run = atoll(optarg);
        else if (c == 's') seller = optarg;
        else { fputs(cmd_stats_usage, stderr); return EXIT_USAGE; }
    }
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    pool_stats st;
    char err[ERR_MAX];
    if (pool_get_stats(p, g->r, run, seller, &st, err) < 0) {
        cli_error("%s", err);
        pool_close(p);
        return EXIT_ERR;
    }
    printf("pool: %s\n", g->db_path);
    printf("conversations %lld  messages %lld  scored %lld  reviewed %lld  "
           "skipped %lld  edge cases %lld  programs %lld  runs %lld  "
           "reviewed today %lld\n",
           (long long)st.conversations, (long long)st.messages,
           (long long)st.scored, (long long)st.reviewed, (long long)st.skipped,
           (long long)st.edge, (long long)st.programs, (long long)st.runs,
           (long long)st.reviewed_today);
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
    "usage: curate list [--filter F] [--search TEXT] [--sort COL] [--desc]\n"
    "                   [--limit N] [--offset N]\n"
    "  F: to-review, reviewed, edge, disagree[:T], unscored, scored, all,\n"
    "     seller=ID\n"
    "  COL: id, seller, messages, model, human, diff, status, edge\n";

int cmd_list(const cli_globals *g, int argc, char **argv)
{
    ARG_HELP(cmd_list_usage);
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
    long limit = 50;
    int64_t offset = 0;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (pool_filter_parse(optarg, &f, err) < 0) { cli_error("%s", err); return EXIT_USAGE; }
            break;
        case 's': search = optarg; break;
        case 'o':
            if (parse_sort(optarg, &sort) < 0) { cli_error("list: unknown --sort '%s'", optarg); return EXIT_USAGE; }
            break;
        case 'd': desc = 1; break;
        case 'n': limit = atol(optarg); break;
        case 'O': offset = atoll(optarg); break;
        default: fputs(cmd_list_usage, stderr); return EXIT_USAGE;
        }
    }
    if (limit <= 0 || limit > 100000) { cli_error("list: --limit must be 1..100000"); return EXIT_USAGE; }
    if (search) f.search = search;
    f.sort = sort;
    f.desc = desc;
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    pool_row *rows = xcalloc((size_t)limit, sizeof *rows);
    int n = pool_list(p, &f, offset, (int)limit, rows, err);
    if (n < 0) {
        cli_error("%s", err);
        free(rows);
        pool_close(p);
        return EXIT_ERR;
    }
    printf("%-24s %-16s %5s %6s %6s %5s %-10s %s\n", "ID", "SELLER", "MSGS",
           "MODEL", "HUMAN", "DIFF", "STATUS", "EDGE");
    for (int i = 0; i < n; i++) {
        char m[16] = "-", h[16] = "-", d[16] = "-";
        if (rows[i].has_model) snprintf(m, sizeof m, "%.2f", rows[i].model_overall);
        if (rows[i].has_human) snprintf(h, sizeof h, "%.2f", rows[i].human_overall);
        if (rows[i].has_model && rows[i].has_human) {
            double df = rows[i].model_overall - rows[i].human_overall;
            snprintf(d, sizeof d, "%.2f", df < 0 ? -df : df);
        }
        printf("%-24s %-16s %5d %6s %6s %5s %-10s %s\n", rows[i].id,
               rows[i].seller_id, rows[i].nmsgs, m, h, d, rows[i].status,
               rows[i].edge ? "edge" : "");
    }
    /* A listing that stops at --limit says so (on stderr: stdout stays
     * the rows), with how to see the rest. */
    int64_t total = n == limit || offset > 0 ? pool_count(p, &f, err) : offset + n;
    if (total < 0) {
        cli_error("%s", err);
        free(rows);
        pool_close(p);
        return EXIT_ERR;
    }
    if (offset + n < total)
        cli_error("list: rows %lld-%lld of %lld shown; --offset %lld for the "
                  "next, --limit N for more at once", (long long)offset + 1,
                  (long long)(offset + n), (long long)total,
                  (long long)(offset + n));
    free(rows);
    pool_close(p);
    return EXIT_OK;
}
