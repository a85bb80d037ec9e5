/* cli.c: helpers shared by the headless commands. */
#include "cli.h"
#include "sanitize.h"
#include "../core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("curate: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Paths and SQLite messages may carry bytes from elsewhere: sanitised. */
static void error_clean(const char *msg)
{
    char *c = sanitize_new(msg, (size_t)-1, 0);
    cli_error("%s", c);
    free(c);
}

pool *cli_open_pool(const cli_globals *g)
{
    char err[ERR_MAX];
    pool *p = pool_open(g->db_path, err);
    if (!p) error_clean(err);
    return p;
}

pool *cli_open_pool_readonly(const cli_globals *g)
{
    char err[ERR_MAX];
    if (access(g->db_path, F_OK) != 0) {
        char *c = sanitize_new(g->db_path, (size_t)-1, 0);
        cli_error("no pool at %s (`curate init` creates one; --db or CURATE_DB "
                  "name another)", c);
        free(c);
        return NULL;
    }
    pool *p = pool_open_readonly(g->db_path, err);
    if (!p) error_clean(err);
    return p;
}
