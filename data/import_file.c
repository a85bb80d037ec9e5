/* import_file.c: see import_file.h. */
#define _POSIX_C_SOURCE 200809L
#include "import_file.h"
#include "import_feed.h"
#include "../core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The first bytes of the file, for import_detect. */
static int detect(const char *path, char *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    char head[4096];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    int fmt = import_detect(path, head, n);
    if (!fmt) {
        err_set(err, "%s: unknown format (use --format jsonl|whatsapp)", path);
        return -1;
    }
    return fmt;
}

void import_file_stats_clear(import_file_stats *st)
{
    for (int k = 0; k < IMPORT_STALE_NAMED; k++) {
        free(st->stale_ids[k]);
        st->stale_ids[k] = NULL;
    }
    free(st->last_id);
    st->last_id = NULL;
}

/* Counts a stored conversation; a changed one's labels became stale. */
static int count(pool *p, import_file_stats *st, const convo *c, int changed,
                 char *err)
{
    if (changed == 2) st->added++;
    else if (changed == 1) st->changed++;
    else st->same++;
    st->msgs += (long)c->nmsgs;
    free(st->last_id);
    st->last_id = xstrdup(c->id);
    if (changed != 1) return 0;
    int n = pool_stale_labels(p, c->id, err);
    if (n < 0) return -1;
    if (n > 0) {
        if (st->stale_convs < IMPORT_STALE_NAMED)
            st->stale_ids[st->stale_convs] = xstrdup(c->id);
        st->stale_convs++;
        st->stale_labels += n;
    }
    return 0;
}

/* ---- WhatsApp: one conversation, one transaction ---- */

typedef struct {
    pool *p;
    const char *src;
    import_file_stats *st;
} wa_ctx;

static int wa_one(const convo *c, void *vctx, char *err)
{
    wa_ctx *w = vctx;
    int changed;
    if (pool_put_convo(w->p, c, w->src, &changed, err) < 0) return -1;
    return count(w->p, w->st, c, changed, err);
}

static int import_wa(pool *p, const char *path, const import_wa_opts *wa,
                     import_file_stats *st, char *err)
{
    size_t len;
    char *data = file_read_new(path, &len, err);
    if (!data) return -1;
    import_wa_opts none = {0};
    wa_ctx w = {p, path, st};
    int rc = pool_begin(p, err);
    if (rc == 0) {
        rc = import_whatsapp(data, len, path, wa ? wa : &none, wa_one, &w, err);
        if (rc == 0) rc = pool_commit(p, err);
        else pool_rollback(p);
    }
    free(data);
    if (rc == 0) {
        st->batches = 1;
        st->stored = st->added + st->changed + st->same;
    } else {                          /* rolled back: nothing happened */
        import_file_stats_clear(st);
        memset(st, 0, sizeof *st);
    }
    return rc;
}

/* ---- JSONL: validate all, then store in bounded transactions ---- */

/* 1 when the first MiB of the file holds no line end. */
static int huge_lines(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char *buf = xmalloc((size_t)1 << 20);
    size_t n = fread(buf, 1, (size_t)1 << 20, f);
    fclose(f);
    int huge = n == ((size_t)1 << 20) && !memchr(buf, '\n', n);
    free(buf);
    return huge;
}

/* Ends the open transaction and, between two, lets others in: writers
 * waiting for the lock poll every millisecond (pool.c). */
static int batch_end(pool *p, import_file_stats *st, long n, char *err)
{
    if (pool_commit(p, err) < 0) return -1;
    st->batches++;
    st->stored += n;
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    return 0;
}

/* Stores the file's conversations. The check of the whole file is the
 * feed's (import_feed.h), beside the first transaction, which is only
 * committed once the whole file passed: reading the file twice costs
 * the parser's spare time, not twice the time. huge: the file's lines are
 * huge (a conversation of millions of messages): it is parsed inline and
 * checked first, alone, before anything is read to store (two such lines
 * in memory at once, one in each pass, or a parsing thread's copy of one,
 * would double the peak). */
static int store(pool *p, const char *path, const import_file_opts *o,
                 int huge, import_file_stats *st, char *err)
{
    import_feed *r = import_feed_open(path, !huge, 1, err);
    if (!r) return -1;
    if (huge && import_feed_check_wait(r, err) < 0) {
        import_feed_close(r);
        return -1;
    }
    const convo *c;
    uint64_t hash;
    size_t line;
    int got, in_tx = 0, bulk = -1;
    long n = 0;
    double t0 = 0;
    double tw = date_mono();
    while ((got = import_feed_next(r, &c, &hash, &line, err)) == 1) {
        double ts = date_mono();
        st->t_wait += ts - tw;
        if (!in_tx) {
            /* Into a pool without conversations: the list indexes are
             * built once at the end (pool.h). */
            if (bulk < 0 && (bulk = pool_bulk_begin(p, err)) < 0) { got = -1; break; }
            if (pool_begin(p, err) < 0) { got = -1; break; }
            in_tx = 1;
            n = 0;
            t0 = date_mono();
        }
        int changed;
        if (pool_put_convo_hashed(p, c, hash, path, &changed, err) < 0 ||
            count(p, st, c, changed, err) < 0) {
            char e2[ERR_MAX];
            snprintf(e2, sizeof e2, "%s:%zu: %s", path, line, err);
            snprintf(err, ERR_MAX, "%s", e2);
            got = -1;
            break;
        }
        n++;
        tw = date_mono();
        st->t_store += tw - ts;
        /* Nothing is committed before the whole file passed: until then
         * the first transaction goes on (waiting for the check would
         * hold it open just as long, storing nothing). */
        if (((o && o->batch > 0 && n >= o->batch) ||
             date_mono() - t0 >= IMPORT_BATCH_S) && import_feed_check_done(r)) {
            if (import_feed_check_wait(r, err) < 0) { got = -1; break; }
            in_tx = 0;
            if (batch_end(p, st, n, err) < 0) { got = -1; break; }
            double tc = date_mono();
            st->t_store += tc - tw;
            tw = tc;
        }
    }
    char e2[ERR_MAX];
    if (got < 0) {
        if (in_tx) pool_rollback(p);
        /* A malformed line: the check's message (the same line, worded
         * the same) is the one to show. */
        if (import_feed_check_wait(r, e2) < 0) err_set(err, "%s", e2);
        import_feed_close(r);
        /* What earlier transactions stored gets its indexes (nothing to
         * do when the first one was rolled back: its drop was too). */
        if (bulk > 0) pool_bulk_end(p, e2);
        return -1;
    }
    int checked = import_feed_check_wait(r, err);
    import_feed_close(r);
    if (checked < 0) {
        if (in_tx) pool_rollback(p);
        if (bulk > 0) pool_bulk_end(p, e2);
        return -1;
    }
    double tc = date_mono();
    if (in_tx && batch_end(p, st, n, err) < 0) {
        if (bulk > 0) pool_bulk_end(p, e2);
        return -1;
    }
    double ti = date_mono();
    st->t_store += ti - tc;
    int rc = bulk > 0 ? pool_bulk_end(p, err) : 0;
    st->t_index = date_mono() - ti;
    return rc;
}

int import_file(pool *p, const char *path, const import_file_opts *opts,
                import_file_stats *st, char *err)
{
    import_file_stats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    int fmt = opts && opts->format ? (int)opts->format : detect(path, err);
    if (fmt < 0) return -1;
    if (fmt == IMPORT_WHATSAPP)
        return import_wa(p, path, opts ? opts->wa : NULL, st, err);
    return store(p, path, opts, huge_lines(path), st, err);
}
