/* ui_index.c: the workbench's background search indexer. When the pool has
 * conversations the search index does not cover yet (a fresh import), a
 * thread with its own pool connection fills it (pool_search_index, short
 * transactions) while the reviewer works; searches meanwhile give the same
 * answers, more slowly. The title bar shows how far it is. Quitting stops it
 * after its current transaction; the next start (or `curate index`) goes
 * on from there. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "../../core/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct ui_indexer {
    pthread_t th;
    pthread_mutex_t mu;
    char *db_path;
    double started;
    /* under mu */
    int64_t done, total;
    int stop, finished, failed;
    char err[ERR_MAX];
};

static int progress(void *ctx, int64_t done, int64_t total)
{
    ui_indexer *ix = ctx;
    pthread_mutex_lock(&ix->mu);
    ix->done = done;
    ix->total = total;
    int stop = ix->stop;
    pthread_mutex_unlock(&ix->mu);
    return stop;
}

static void *indexer_main(void *arg)
{
    ui_indexer *ix = arg;
    char err[ERR_MAX] = "";
    int64_t n = -1;
    pool *p = pool_open_existing(ix->db_path, err);
    if (p) {
        n = pool_search_index(p, progress, ix, err);
        pool_close(p);
    }
    pthread_mutex_lock(&ix->mu);
    ix->finished = 1;
    ix->failed = n < 0;
    if (n < 0) snprintf(ix->err, sizeof ix->err, "%s", err);
    pthread_mutex_unlock(&ix->mu);
    return NULL;
}

ui_indexer *ui_indexer_start_new(ui *u)
{
    char err[ERR_MAX];
    pool_search_state st;
    if (pool_search_get_state(u->p, &st, err) < 0 ||
        st.indexed >= st.conversations)
        return NULL;
    ui_indexer *ix = xcalloc(1, sizeof *ix);
    pthread_mutex_init(&ix->mu, NULL);
    ix->db_path = xstrdup(u->o->db_path ? u->o->db_path : pool_path(u->p));
    ix->total = st.conversations - st.indexed;
    ix->started = date_mono();
    if (pthread_create(&ix->th, NULL, indexer_main, ix) != 0) {
        pthread_mutex_destroy(&ix->mu);
        free(ix->db_path);
        free(ix);
        return NULL;
    }
    return ix;
}

int ui_indexer_poll(ui *u, ui_indexer *ix, char *out, size_t n)
{
    pthread_mutex_lock(&ix->mu);
    int64_t done = ix->done, total = ix->total;
    int finished = ix->finished, failed = ix->failed;
    char err[ERR_MAX];
    snprintf(err, sizeof err, "%s", ix->err);
    pthread_mutex_unlock(&ix->mu);
    if (!finished) {
        snprintf(out, n, "indexing for search %d%%",
                 total > 0 ? (int)(100 * done / total) : 0);
        return 1;
    }
    char msg[ERR_MAX + 128];
    if (failed)
        snprintf(msg, sizeof msg, "search index: %s (searches still work, by "
                 "a scan; `curate index` retries)", err);
    else
        snprintf(msg, sizeof msg, "search index: %lld %s indexed in %.1f s",
                 (long long)done, ui_plural(done, "conversation", "conversations"),
                 date_mono() - ix->started);
    ui_log_add(u, failed, msg);
    out[0] = 0;
    return 0;
}

void ui_indexer_free(ui_indexer *ix)
{
    if (!ix) return;
    pthread_mutex_lock(&ix->mu);
    ix->stop = 1;
    pthread_mutex_unlock(&ix->mu);
    pthread_join(ix->th, NULL);
    pthread_mutex_destroy(&ix->mu);
    free(ix->db_path);
    free(ix);
}
