/* cmd_demo.c: `curate demo`: fill the pool with realistic sample data. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../../core/util.h"
#include "../../data/demo.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char cmd_demo_usage[] =
    "usage: curate demo [--reset] [--count N] [--seed S]\n"
    "Adds sample travel-seller conversations (ids demo-NNNN): most scored\n"
    "by a simulated hedging model (\"demo-simulated-7b\"), about a third\n"
    "of those labeled by reviewer \"demo\", a few marked as edge cases.\n"
    "  --reset   empty the pool first (only a pool made by `curate demo`\n"
    "            holding no labels by other reviewers)\n";

int cmd_demo(const cli_globals *g, int argc, char **argv)
{
    static const struct option lo[] = {
        {"reset", no_argument, NULL, 'r'},
        {"count", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    demo_opts o = {.conversations = 240, .scored = 0.75, .labeled = 0.35,
                   .seed = 42};
    int reset = 0, c;
    int64_t iv;
    while ((c = cli_getopt("demo", argc, argv, "h", lo)) != -1) {
        switch (c) {
        case 'r': reset = 1; break;
        case 'n':
            if (cli_int_opt("demo", "--count", optarg, 1, 1000000, &iv) < 0) return EXIT_USAGE;
            o.conversations = (int)iv;
            break;
        case 's':
            if (cli_int_opt("demo", "--seed", optarg, 0, INT64_MAX, &iv) < 0) return EXIT_USAGE;
            o.seed = (uint64_t)iv;
            break;
        case 'h': fputs(cmd_demo_usage, stdout); return EXIT_OK;
        default: fputs(cmd_demo_usage, stderr); return EXIT_USAGE;
        }
    }
    /* A missing or empty file becomes a demo pool, marked as one: only
     * such a pool may be reset, and the reset empties it inside the
     * database (nothing unlinked under another process). */
    struct stat st;
    int fresh = stat(g->db_path, &st) != 0 || st.st_size == 0;
    pool *p = cli_create_pool(g);
    if (!p) return EXIT_ERR;
    char err[ERR_MAX];
    int rc = pool_begin(p, err);
    if (rc == 0 && fresh) rc = pool_meta_set(p, "made_by", "demo", err);
    if (rc == 0 && reset && !fresh) rc = pool_meta_reset_demo(p, err);
    if (rc == 0) rc = demo_fill(p, g->r, &o, err);
    if (rc == 0) rc = pool_commit(p, err);
    else pool_rollback(p);
    if (rc < 0) cli_error("demo: %s", err);
    else if (!g->quiet)
        cli_printf(stdout, "demo pool ready: %s (%d conversations)\n", g->db_path,
               o.conversations);
    pool_close(p);
    return rc < 0 ? EXIT_ERR : EXIT_OK;
}
