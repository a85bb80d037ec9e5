/* cmd_sync.c: curate sync: the pool and the team store in MongoDB
 * exchange what the other lacks (tui/app/job_sync.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../app/job_sync.h"
#include "../../core/date.h"
#include "../../core/err.h"
#include "../../data/export_mongo.h"
#include "../../data/team_store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void show_progress(const char *stage, int64_t done, int64_t total, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "\r%-24s %lld/%lld", stage, (long long)done, (long long)total);
    if (done >= total) fputc('\n', stderr);
}

static int sync_status(const cli_globals *g)
{
    pool *p = cli_open_pool_readonly(g);
    if (!p) return EXIT_ERR;
    char err[ERR_MAX], *at = NULL, *store = NULL;
    int rc = pool_meta_get(p, "sync_last", &at, err) < 0 ? -1 : 0;
    if (rc == 0) rc = pool_meta_get(p, "sync_store", &store, err) < 0 ? -1 : 0;
    pool_close(p);
    if (rc < 0) { cli_error("%s", err); return EXIT_ERR; }
    if (!at) {
        cli_printf(stdout, "never synced\n");
    } else {
        char when[40];
        date_iso8601(strtoll(at, NULL, 10), when, sizeof when);
        cli_printf(stdout, "last synced %s with %s\n", when, store ? store : "?");
    }
    free(at);
    free(store);
    return EXIT_OK;
}

const char cmd_sync_usage[] =
    "usage: curate sync [--uri URI] [--database DB] [--prefix P] [--progress]\n"
    "       curate sync --status\n"
    "Exchanges the pool's conversations, predictions and runs, labels, edge\n"
    "marks, notes, assignments, undos, programs and the current-best choice\n"
    "with the team store in MongoDB: what the store lacks is pushed, what the\n"
    "pool lacks is pulled. Nothing is overwritten: several reviewers' labels\n"
    "of a conversation all stay (the consensus rule decides). Running it\n"
    "again changes nothing; an interrupted sync is finished by the next one.\n"
    "  --uri URI       the store (else CURATE_MONGO_URI; prefer the variable:\n"
    "                  arguments are visible in ps)\n"
    "  --database DB   default: the URI's /DB, else curate\n"
    "  --prefix P      collection name prefix (default team_)\n"
    "  --status        when this pool last synced, and with which store\n";

int cmd_sync(const cli_globals *g, int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(cmd_sync_usage, stdout);
        return EXIT_OK;
    }
    static const struct option lo[] = {
        {"uri", required_argument, NULL, 'u'},
        {"database", required_argument, NULL, 'd'},
        {"prefix", required_argument, NULL, 'p'},
        {"status", no_argument, NULL, 's'},
        {"progress", no_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    job_sync_opts o = {0};
    int status = 0, prog = 0, c;
    while ((c = cli_getopt("sync", argc, argv, "", lo)) != -1) {
        if (c == 'u') o.uri = optarg;
        else if (c == 'd') o.database = optarg;
        else if (c == 'p') o.prefix = optarg;
        else if (c == 's') status = 1;
        else if (c == 'P') prog = 1;
        else { fputs(cmd_sync_usage, stderr); return EXIT_USAGE; }
    }
    if (optind < argc) {
        cli_error("sync: unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    if (status) return sync_status(g);
    if (!o.uri) o.uri = getenv("CURATE_MONGO_URI");
    if (!o.uri || !*o.uri) {
        cli_error("sync: no MongoDB URI: give --uri or set CURATE_MONGO_URI");
        return EXIT_USAGE;
    }
    if (prog) o.progress = show_progress;
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    export_mongo_init();
    job_sync_summary s;
    char err[ERR_MAX];
    int rc = job_sync_run(p, &o, &s, err);
    export_mongo_cleanup();
    pool_close(p);
    if (rc < 0) {
        cli_error("sync: %s (what was exchanged before stays; run it again)", err);
        return EXIT_ERR;
    }
    if (!g->quiet) {
        cli_printf(stdout, "synced with %s (%s)\n", s.shown, s.where);
        for (int i = 0; i < SYNC_NKINDS; i++) {
            pool_sync_kind k = pool_sync_kind_nth(i);
            cli_printf(stdout, "  %-14s pushed %lld, pulled %lld\n",
                       pool_sync_kind_name(k), (long long)s.pushed[k],
                       (long long)s.pulled[k]);
        }
        if (s.best_pushed) cli_printf(stdout, "  best program: this pool's choice pushed\n");
        if (s.best_pulled) cli_printf(stdout, "  best program: the team's choice taken\n");
        for (int k = 0; k < SYNC_NKINDS; k++)
            if (s.too_large[k])
                cli_printf(stdout, "  %lld %s too large for one MongoDB document (16 MiB)"
                           " stay on this pool only\n", (long long)s.too_large[k],
                           pool_sync_kind_name((pool_sync_kind)k));
        if (s.waiting)
            cli_printf(stdout, "  %lld items wait for their conversation or run (next sync)\n",
                       (long long)s.waiting);
    }
    return EXIT_OK;
}
