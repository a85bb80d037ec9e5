/* cmd_demo.c: `curate demo`: fill the pool with realistic sample data. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../../core/util.h"
#include "../../data/demo.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cmd_demo_usage[] =
    "usage: curate demo [--reset] [--count N] [--seed S]\n"
    "Adds sample travel-seller conversations (ids demo-NNNN): most scored\n"
    "by a simulated hedging model (\"demo-simulated-7b\"), about a third\n"
    "of those labeled by reviewer \"demo\", a few marked as edge cases.\n"
    "  --reset   delete the pool file first (a fresh demo pool)\n";

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
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'r': reset = 1; break;
        case 'n': o.conversations = atoi(optarg); break;
        case 's': o.seed = strtoull(optarg, NULL, 10); break;
        case 'h': fputs(cmd_demo_usage, stdout); return EXIT_OK;
        default: fputs(cmd_demo_usage, stderr); return EXIT_USAGE;
        }
    }
    if (o.conversations <= 0 || o.conversations > 1000000) {
        cli_error("demo: --count must be 1..1000000");
        return EXIT_USAGE;
    }
    if (reset) {
        const char *sfx[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s%s", g->db_path, sfx[i]);
            unlink(path);
        }
    }
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    char err[ERR_MAX];
    int rc = demo_fill(p, g->r, &o, err);
    if (rc < 0) cli_error("demo: %s", err);
    else if (!g->quiet)
        printf("demo pool ready: %s (%d conversations)\n", g->db_path,
               o.conversations);
    pool_close(p);
    return rc < 0 ? EXIT_ERR : EXIT_OK;
}
