/* tpool.c: see tpool.h. */
#define _POSIX_C_SOURCE 200809L
#include "tpool.h"
#include "test.h"
#include "../../core/util.h"

pool *tpool_open(const char *name)
{
    char path[512], err[ERR_MAX];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    pool *p = pool_open(path, err);
    if (!p) fprintf(stderr, "%s\n", err);
    return p;
}
