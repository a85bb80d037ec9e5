/* cmd_index.c: `curate index`: fills the search index behind imports (see
 * pool.h, "the search index"). A cron job runs it after `curate import`;
 * the workbench does the same in the background when it opens. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../term/ui_text.h"
#include "../../core/util.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct {
    int tty;
    double last;
} index_bar;

static int progress_cb(void *ctx, int64_t done, int64_t total)
{
    index_bar *b = ctx;
    double now = date_mono();
    if (b->tty && (done >= total || now - b->last >= 0.1)) {
        b->last = now;
        fprintf(stderr, "\rindexing for search: %lld/%lld conversations (%d%%) ",
                (long long)done, (long long)total,
                total ? (int)(100 * done / total) : 100);
        fflush(stderr);
    }
    return interrupted;
}

const char cmd_index_usage[] =
    "usage: curate index [--status | --rebuild]\n"
    "Brings the search index up to date: the conversations imported since\n"
    "it last ran are indexed, about 16,000 messages per transaction (the\n"
    "workbench and other commands keep working meanwhile). Until then a\n"
    "search finds the same conversations, by a slower scan.\n"
    "  --status    print how many conversations the index covers\n"
    "  --rebuild   empty the index and index every conversation again\n"
    "Ctrl-C stops after the current transaction and keeps what is done\n"
    "(exit 130).\n";

int cmd_index(const cli_globals *g, int argc, char **argv)
{
    static const struct option lo[] = {
        {"status", no_argument, NULL, 's'},
        {"rebuild", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int status = 0, rebuild = 0, c;
    while ((c = cli_getopt("index", argc, argv, "h", lo)) != -1) {
        if (c == 's') status = 1;
        else if (c == 'r') rebuild = 1;
        else if (c == 'h') { fputs(cmd_index_usage, stdout); return EXIT_OK; }
        else { fputs(cmd_index_usage, stderr); return EXIT_USAGE; }
    }
    if (optind < argc || (status && rebuild)) {
        if (optind < argc) cli_error("index: unexpected argument '%s'", argv[optind]);
        else cli_error("index: --status and --rebuild exclude each other");
        fputs(cmd_index_usage, stderr);
        return EXIT_USAGE;
    }
    char err[ERR_MAX];
    pool_search_state st;
    if (status) {
        pool *p = cli_open_pool_readonly(g);
        if (!p) return EXIT_ERR;
        int rc = pool_search_get_state(p, &st, err);
        pool_close(p);
        if (rc < 0) {
            cli_error("index: %s", err);
            return EXIT_ERR;
        }
        printf("search index: %lld of %lld %s indexed%s\n",
               (long long)st.indexed, (long long)st.conversations,
               ui_plural(st.conversations, "conversation", "conversations"),
               st.indexed < st.conversations ? " (run `curate index`)" : "");
        return EXIT_OK;
    }
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    if (rebuild && pool_search_reset(p, err) < 0) {
        cli_error("index: %s", err);
        pool_close(p);
        return EXIT_ERR;
    }
    index_bar b = {.tty = isatty(STDERR_FILENO) && !g->quiet};
    /* SIGHUP (a lost terminal) stops it as cleanly as Ctrl-C. */
    struct sigaction sa, old_int, old_term, old_hup;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    double t0 = date_mono();
    int64_t n = pool_search_index(p, progress_cb, &b, err);
    double dt = date_mono() - t0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    if (b.tty && n > 0) fputc('\n', stderr);
    int rc = n < 0 ? -1 : pool_search_get_state(p, &st, err);
    pool_close(p);
    if (rc < 0) {
        cli_error("index: %s", err);
        return EXIT_ERR;
    }
    if (!g->quiet || interrupted)
        printf("search index: %lld %s indexed in %.1f s%s; %lld of "
               "%lld covered\n", (long long)n,
               ui_plural(n, "conversation", "conversations"), dt,
               interrupted ? " (interrupted)" : "", (long long)st.indexed,
               (long long)st.conversations);
    return interrupted ? 130 : EXIT_OK;
}
