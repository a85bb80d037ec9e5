/* pool_bulk.c: a bulk load into a pool without conversations builds the
 * conversations' secondary indexes (the list indexes, conv_state) once at
 * the end instead of row by row (see pool.h: pool_bulk_begin).
 *
 * Why: a conversation row carries a dozen list indexes; kept row by row
 * they cost as much as the messages themselves, and with ids in no
 * particular order (random B-tree inserts into a small page cache) more
 * than the whole rest of the import (measured: 1.9 of 3.8 s of CPU for
 * 100,000 conversations in shuffled order; built at the end, 0.5 s).
 *
 * What is dropped is read from sqlite_master (whatever full indexes the
 * schema has, a later step's too; the partial ones stay, see take_out)
 * and kept in pool_meta ('bulk_indexes', with
 * 'bulk_owner': the process doing the load), in the same transaction as
 * the drop: an import killed midway leaves a pool whose next writable
 * open, seeing the owner gone, builds them (pool_bulk_repair). Meanwhile
 * every query still answers (SQLite scans instead); only slower. */
#define _POSIX_C_SOURCE 200809L
#include "pool_int.h"
#include "../core/hash.h"
#include "../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_SQL "bulk_indexes"
#define KEY_OWNER "bulk_owner"
/* The page cache while the indexes are built (KiB; see build). */
#define BUILD_CACHE_KIB 8192

static int64_t one_int(pool *p, const char *sql, char *err)
{
    sqlite3_stmt *s = pool_prepare(p, sql, err);
    if (!s) return -1;
    int rc = sqlite3_step(s);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return pool_sql_err(p, "bulk load", err);
    return v;
}

/* Only into a pool without conversations, and not while another load's
 * indexes are still out: 1 when it may begin, 0, or -1. */
static int64_t may_begin(pool *p, char *err)
{
    return one_int(p, "SELECT NOT EXISTS (SELECT 1 FROM conversations) AND"
                   " NOT EXISTS (SELECT 1 FROM pool_meta WHERE key = '"
                   KEY_SQL "')", err);
}

/* Inside the transaction: records the indexes and drops them. */
static int take_out(pool *p, char *err)
{
    sqlite3_stmt *s = pool_prepare(p, "SELECT name, sql FROM sqlite_master"
        " WHERE type = 'index' AND tbl_name = 'conversations' AND sql IS NOT"
        " NULL ORDER BY rowid", err);
    if (!s) return -1;
    sbuf create = {0}, drop = {0};
    int rc, n = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        const char *sql = (const char *)sqlite3_column_text(s, 1);
        /* A partial index stays: a new conversation (unscored, no label,
         * no conflict) is in none of them, so the load never touches it,
         * and building it at the end would still scan the table. */
        const char *ix = strstr(sql, "INDEX ");
        if (!ix || strstr(sql, " WHERE ")) continue;
        /* "CREATE [UNIQUE] INDEX name ..." -> "... INDEX IF NOT EXISTS
         * name ...": a repair racing the load's own end is harmless. */
        ix += 6;
        sbuf_addn(&create, sql, (size_t)(ix - sql));
        sbuf_addf(&create, "IF NOT EXISTS %s;\n", ix);
        char *d = sqlite3_mprintf("DROP INDEX \"%w\";", name);
        sbuf_add(&drop, d);
        sqlite3_free(d);
        n++;
    }
    sqlite3_finalize(s);
    int ok = rc == SQLITE_DONE;
    if (!ok) pool_sql_err(p, "bulk load", err);
    char owner[POOL_OWNER_MAX];
    pool_owner_text(owner, sizeof owner);
    if (ok && n)
        ok = pool_meta_set(p, KEY_SQL, create.s, err) == 0 &&
             pool_meta_set(p, KEY_OWNER, owner, err) == 0 &&
             pool_exec(p, drop.s, err) == 0;
    sbuf_free(&create);
    sbuf_free(&drop);
    return ok ? (n > 0) : -1;
}

int pool_bulk_begin(pool *p, char *err)
{
    if (p->tx_depth > 0) {
        err_set(err, "pool_bulk_begin: inside a transaction");
        return -1;
    }
    int64_t may = may_begin(p, err);
    if (may <= 0) return may < 0 ? -1 : 0;
    /* A rollback journal while the pool is filled: pages are written once
     * (a WAL writes each twice, to the log and again when checkpointed)
     * and nothing needs to be journaled for pages past the old end of the
     * file. Only possible with no other connection; else the WAL stays. */
    char e2[ERR_MAX];
    pool_exec(p, "PRAGMA journal_mode = DELETE", e2);
    if (pool_begin(p, err) < 0) return -1;
    int rc = may_begin(p, err);            /* again, under the write lock */
    if (rc > 0) rc = take_out(p, err);
    if (rc < 0) {
        pool_rollback(p);
        return -1;
    }
    if (pool_commit(p, err) < 0) return -1;
    if (rc > 0) {
        pool_bulk_counts_drop(p);
        memset(&p->bulk, 0, sizeof p->bulk);
        p->bulk.live = 1;
    } else {                /* another writer came first: WAL as before */
        pool_exec(p, "PRAGMA journal_mode = WAL", e2);
    }
    return rc;
}

int pool_bulk_tx_begin(pool *p, char *err)
{
    p->bulk.fresh = 0;
    p->bulk.tx_cid = p->bulk.last_cid;
    int64_t top = one_int(p, "SELECT coalesce(max(cid), 0) FROM conversations", err);
    if (top < 0) return -1;
    if (top != p->bulk.last_cid) {      /* another writer stored some */
        p->bulk.live = 0;
        return 0;
    }
    int64_t mid = one_int(p, "SELECT coalesce(max(mid), 0) FROM messages", err);
    if (mid < 0) return -1;
    p->bulk.next_mid = mid + 1;
    p->bulk.fresh = 1;
    return 0;
}

/* ---- counts ----
 * A fresh transaction counts its new conversations per seller in memory
 * and adds each seller's count to conv_counts once (when the table fills,
 * and at commit), in the same transaction: a GROUP BY over the stored rows
 * at commit sorted them all (measured: 30 ms of 1.2 s for 100,000). */

void pool_bulk_counts_drop(pool *p)
{
    for (int i = 0; i < POOL_BULK_SELLERS; i++) {
        free(p->bulk.counts[i].seller);
        p->bulk.counts[i].seller = NULL;
    }
    p->bulk.ncounts = 0;
}

/* Adds the counts to conv_counts and forgets them. */
static int counts_flush(pool *p, char *err)
{
    if (p->bulk.ncounts == 0) return 0;
    /* New conversations: unscored, no label, no edge mark (schema 2). */
    sqlite3_stmt *s = pool_stmt(p, ST_COUNTS_BULK, "INSERT INTO conv_counts"
        " VALUES(?, 0, 0, 0, ?, ?) ON CONFLICT(seller_id, status, edge,"
        " scored) DO UPDATE SET n = n + excluded.n, msgs = msgs +"
        " excluded.msgs", err);
    if (!s) return -1;
    int rc = SQLITE_DONE;
    for (int i = 0; i < POOL_BULK_SELLERS && rc == SQLITE_DONE; i++) {
        if (!p->bulk.counts[i].seller) continue;
        sqlite3_bind_text(s, 1, p->bulk.counts[i].seller, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, p->bulk.counts[i].n);
        sqlite3_bind_int64(s, 3, p->bulk.counts[i].msgs);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
    }
    pool_bulk_counts_drop(p);
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "count conversations", err);
}

int pool_bulk_count(pool *p, const char *seller, int64_t nmsgs, char *err)
{
    /* At most three quarters full: a probe always ends at a free slot. */
    if (p->bulk.ncounts >= POOL_BULK_SELLERS / 4 * 3 && counts_flush(p, err) < 0)
        return -1;
    uint64_t h = hash_fnv1a(seller, strlen(seller), HASH_FNV_SEED);
    unsigned i = (unsigned)h & (POOL_BULK_SELLERS - 1);
    while (p->bulk.counts[i].seller && strcmp(p->bulk.counts[i].seller, seller))
        i = (i + 1) & (POOL_BULK_SELLERS - 1);
    if (!p->bulk.counts[i].seller) {
        p->bulk.counts[i].seller = xstrdup(seller);
        p->bulk.counts[i].n = p->bulk.counts[i].msgs = 0;
        p->bulk.ncounts++;
    }
    p->bulk.counts[i].n++;
    p->bulk.counts[i].msgs += nmsgs;
    return 0;
}

int pool_bulk_tx_commit(pool *p, char *err)
{
    p->bulk.fresh = 0;
    return counts_flush(p, err);
}

/* Builds what KEY_SQL holds and forgets it, in one transaction (or the
 * caller's). */
static int build(pool *p, const char *sql, char *err)
{
    /* A page cache of BUILD_CACHE_KIB while the indexes are built: each
     * index is one scan of the table and one sort; with SQLite's default
     * 2 MB every sort of 100,000 entries spilled to a temporary file and
     * every scan read the table back page by page (measured, 100,000
     * conversations: 0.41 s -> 0.34 s; 4, 8 and 16 MB alike within noise,
     * peak RSS 38, 38 and 43 MB against 34-36 before). A fixed bound, so
     * import memory still does not grow with the pool (import_batches.sh). */
    char e2[ERR_MAX], set[64];
    sqlite3_stmt *q = pool_prepare(p, "PRAGMA cache_size", e2);
    int had = q && sqlite3_step(q) == SQLITE_ROW;    /* else left as is */
    int64_t cache = had ? sqlite3_column_int64(q, 0) : 0;
    if (q) sqlite3_finalize(q);
    snprintf(set, sizeof set, "PRAGMA cache_size = -%d", BUILD_CACHE_KIB);
    if (had) pool_exec(p, set, e2);
    int outer = p->tx_depth > 0;
    int rc = pool_begin(p, err);
    if (rc == 0) {
        int ok = pool_exec(p, sql, err) == 0 &&
                 pool_meta_set(p, KEY_SQL, NULL, err) == 0 &&
                 pool_meta_set(p, KEY_OWNER, NULL, err) == 0;
        rc = ok ? pool_commit(p, err) : -1;
        if (!ok && !outer) pool_rollback(p);
        else if (!ok) p->tx_depth--;
    }
    snprintf(set, sizeof set, "PRAGMA cache_size = %lld", (long long)cache);
    if (had) pool_exec(p, set, e2);
    return rc;
}

int pool_bulk_end(pool *p, char *err)
{
    pool_bulk_counts_drop(p);
    memset(&p->bulk, 0, sizeof p->bulk);
    char *sql = NULL;
    int rc = pool_meta_get(p, KEY_SQL, &sql, err);
    if (rc > 0) rc = build(p, sql, err);
    free(sql);
    /* Back to the WAL (best effort: with another connection open it
     * waits for the next open, which always asks for it). */
    char e2[ERR_MAX];
    if (p->tx_depth == 0) pool_exec(p, "PRAGMA journal_mode = WAL", e2);
    return rc < 0 ? -1 : 0;
}

int pool_bulk_pending(pool *p)
{
    char e[ERR_MAX];
    return one_int(p, "SELECT EXISTS (SELECT 1 FROM pool_meta WHERE key = '"
                   KEY_SQL "')", e) > 0;
}

int pool_bulk_repair(pool *p, char *err)
{
    char *sql = NULL, *owner = NULL;
    int rc = pool_meta_get(p, KEY_SQL, &sql, err);
    if (rc > 0) rc = pool_meta_get(p, KEY_OWNER, &owner, err);
    if (rc >= 0 && sql && !(owner && pool_owner_text_alive(owner)))
        rc = build(p, sql, err);
    free(sql);
    free(owner);
    return rc < 0 ? -1 : 0;
}
