/* cli.c: helpers shared by the headless commands. */
#include "cli.h"
#include "../core/util.h"

#include <stdarg.h>
#include <stdio.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("curate: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

pool *cli_open_pool(const cli_globals *g)
{
    char err[ERR_MAX];
    pool *p = pool_open(g->db_path, err);
    if (!p) cli_error("%s", err);
    return p;
}
