/* cli.c: helpers shared by the headless commands. */
#include "cli.h"
#include "../term/sanitize.h"
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
