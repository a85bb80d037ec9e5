/* pool.c: opening, transactions, conversations, runs, cache and
 * maintenance (the schema and its migrations: pool_schema.c). See pool.h
 * for the contract. */
#define _POSIX_C_SOURCE 200809L
#include "pool_int.h"
#include "../core/outfile.h"
#include "../core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int pool_sql_err(pool *p, const char *what, char *err)
{
    int code = sqlite3_errcode(p->db);
    if (code == SQLITE_FULL)
        err_set(err, "%s: %s: disk full: nothing was written", p->path, what);
    else if (code == SQLITE_READONLY)
        err_set(err, "%s: %s: the pool is read-only", p->path, what);
    else if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        err_set(err, "%s: %s: the pool stayed busy (another curate is "
                "writing); try again", p->path, what);
    else
        err_set(err, "%s: %s: %s", p->path, what, sqlite3_errmsg(p->db));
    return -1;
}

sqlite3_stmt *pool_prepare(pool *p, const char *sql, char *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(p->db, sql, -1, &s, NULL) != SQLITE_OK) {
        pool_sql_err(p, "prepare", err);
        return NULL;
    }
    return s;
}

sqlite3_stmt *pool_stmt(pool *p, int slot, const char *sql, char *err)
{
    if (!p->st[slot]) {
        if (sqlite3_prepare_v3(p->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                               &p->st[slot], NULL) != SQLITE_OK) {
            pool_sql_err(p, "prepare", err);
            return NULL;
        }
    } else {
        sqlite3_reset(p->st[slot]);
        sqlite3_clear_bindings(p->st[slot]);
    }
    return p->st[slot];
}

sqlite3_stmt *pool_stmt_sql(pool *p, const char *sql, char *err)
{
    for (int i = 0; i < POOL_KEPT; i++)
        if (p->kept[i].sql && !strcmp(p->kept[i].sql, sql)) {
            sqlite3_reset(p->kept[i].s);
            sqlite3_clear_bindings(p->kept[i].s);
            return p->kept[i].s;
        }
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v3(p->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
                           NULL) != SQLITE_OK) {
        pool_sql_err(p, "prepare", err);
        return NULL;
    }
    /* a statement still stepping (an outer caller's) is not replaced */
    unsigned i = p->kept_next++ % POOL_KEPT;
    for (int tries = 1; p->kept[i].s && sqlite3_stmt_busy(p->kept[i].s) &&
                        tries < POOL_KEPT; tries++)
        i = p->kept_next++ % POOL_KEPT;
    if (p->kept[i].s && sqlite3_stmt_busy(p->kept[i].s)) {
        sqlite3_finalize(s);
        err_set(err, "prepare: every kept statement is in use");
        return NULL;
    }
    sqlite3_finalize(p->kept[i].s);
    free(p->kept[i].sql);
    p->kept[i].sql = xstrdup(sql);
    p->kept[i].s = s;
    return s;
}

void pool_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v) sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(s, i);
}

char *pool_col_strdup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? xstrdup((const char *)t) : NULL;
}

int pool_exec(pool *p, const char *sql, char *err)
{
    char *msg = NULL;
    if (sqlite3_exec(p->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        err_set(err, "%s: %s", p->path, msg ? msg : sqlite3_errmsg(p->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int pool_tx_open(pool *p, char *err)
{
    if (p->tx_depth > 0) return 0;
    if (sqlite3_exec(p->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return pool_sql_err(p, "begin", err);
    return 0;
}

int pool_tx_close(pool *p, int ok, char *err)
{
    if (p->tx_depth > 0) return ok ? 0 : -1;
    if (!ok) {
        sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    if (sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        pool_sql_err(p, "commit", err);
        sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int pool_begin(pool *p, char *err)
{
    if (p->tx_depth == 0) {
        if (sqlite3_exec(p->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return pool_sql_err(p, "begin", err);
        if (p->bulk.live && pool_bulk_tx_begin(p, err) < 0) {
            sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    p->tx_depth++;
    return 0;
}

int pool_commit(pool *p, char *err)
{
    if (p->tx_depth == 0) return 0;
    if (--p->tx_depth > 0) return 0;
    int rc = 0;
    if (p->bulk.fresh && pool_bulk_tx_commit(p, err) < 0) {
        sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
        p->bulk.last_cid = p->bulk.tx_cid;
        return -1;
    }
    if (sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        pool_sql_err(p, "commit", err);
        sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
        rc = -1;
    }
    return rc;
}

void pool_rollback(pool *p)
{
    if (p->tx_depth == 0) return;
    p->tx_depth = 0;
    if (p->bulk.fresh) {
        p->bulk.fresh = 0;
        p->bulk.last_cid = p->bulk.tx_cid;
        pool_bulk_counts_drop(p);
    }
    sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
    /* a batch begun in it is gone with it */
    p->batch = 0;
    free(p->batch_reviewer);
    p->batch_reviewer = NULL;
}

/* Statement journals stay in memory. A statement that fires triggers
 * inside a caller's transaction (a stored prediction: score_agg,
 * conv_counts, a dozen list indexes) keeps a statement journal, a copy of
 * every page it touches before the change; SQLite's default spills it to a
 * temp file past 64 KiB, which made the file system the biggest cost of
 * scoring (open, write, unlink per result). A finite threshold above the
 * default is no option: with SQLite 3.40 a journal that spills past it
 * fails the statement with "database or disk is full" (seen with a 4 MiB
 * threshold on a 21,000-row UPDATE firing the score_agg triggers). Memory
 * grows only with the pages one statement changes. Process-wide, so set
 * once, before SQLite initialises (ignored if something initialised it). */
#define STMT_JOURNAL_SPILL (-1)

static pthread_once_t sqlite_setup_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, STMT_JOURNAL_SPILL);
    /* No allocation statistics: with them every SQLite allocation takes a
     * global mutex (a tenth of an import's time once a second thread,
     * the import's file check, exists). Nothing reads them. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Waits for another writer by polling every millisecond, for 15 s at most.
 * sqlite3_busy_timeout() backs off to 100 ms sleeps, and a writer that
 * commits and begins again in a loop (a scoring job) would starve it: a
 * reviewer's save could then fail with "busy" although the lock was free
 * between every batch. */
static int busy_wait(void *ctx, int count)
{
    (void)ctx;
    if (count >= 15000) return 0;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    return 1;
}

/* A pool is a regular file (or a symlink to one): anything else, such as
 * /dev/null or a directory, is refused before SQLite creates a journal
 * beside it. 0, or -1 + err. */
static int check_pool_path(const char *path, char *err)
{
    struct stat st;
    if (!path || !*path) {
        err_set(err, "no pool file given (empty path)");
        return -1;
    }
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        err_set(err, "%s: not a regular file (%s); a pool is an SQLite file: "
                "give its path with --db", path,
                S_ISDIR(st.st_mode) ? "a directory"
                : S_ISCHR(st.st_mode) ? "a character device"
                : S_ISBLK(st.st_mode) ? "a block device"
                : S_ISFIFO(st.st_mode) ? "a FIFO"
                : S_ISSOCK(st.st_mode) ? "a socket" : "a special file");
        return -1;
    }
    return 0;
}

static pool *open_common(const char *path, int flags, char *err)
{
    if (check_pool_path(path, err) < 0) return NULL;
    pthread_once(&sqlite_setup_once, sqlite_setup);
    pool *p = xcalloc(1, sizeof *p);
    p->path = xstrdup(path);
    if (sqlite3_open_v2(path, &p->db, flags, NULL) != SQLITE_OK) {
        err_set(err, "%s: cannot open pool: %s", path,
                p->db ? sqlite3_errmsg(p->db) : "out of memory");
        pool_close(p);
        return NULL;
    }
    sqlite3_extended_result_codes(p->db, 0);
    sqlite3_busy_handler(p->db, busy_wait, NULL);
    if (pool_search_register(p, err) < 0) {
        pool_close(p);
        return NULL;
    }
    return p;
}

/* What a file holds, found by reading only (nothing is written before a
 * file is known to be a pool or empty). A pool is recognised by its
 * application_id (schema 5 on) or, for pools made before that, by
 * application_id 0, a user_version of 1 or more and the core tables. */
typedef enum { FILE_EMPTY, FILE_POOL, FILE_FOREIGN } file_kind;

static int pragma_int(pool *p, const char *sql, int *out)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(p->db, sql, -1, &s, NULL) != SQLITE_OK) return -1;
    int rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int classify(pool *p, file_kind *kind, char *err)
{
    int app, ver, objs, core;
    if (pragma_int(p, "PRAGMA application_id", &app) < 0 ||
        pragma_int(p, "PRAGMA user_version", &ver) < 0 ||
        pragma_int(p, "SELECT count(*) FROM sqlite_master", &objs) < 0 ||
        pragma_int(p, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                   " AND name IN ('conversations', 'messages', 'predictions',"
                   " 'labels', 'runs')", &core) < 0) {
        if (sqlite3_errcode(p->db) == SQLITE_NOTADB)
            err_set(err, "%s: not a curate pool (not an SQLite database); "
                    "nothing was changed", p->path);
        else
            pool_sql_err(p, "open", err);
        return -1;
    }
    if (app == POOL_APP_ID) *kind = FILE_POOL;
    else if (app == 0 && ver == 0 && objs == 0) *kind = FILE_EMPTY;
    else if (app == 0 && ver >= 1 && core == 5) *kind = FILE_POOL;
    else *kind = FILE_FOREIGN;
    return 0;
}

static void foreign_err(const char *path, char *err)
{
    err_set(err, "%s: not a curate pool (an SQLite database of something "
            "else); nothing was changed", path);
}

static int runs_sweep(pool *p, char *err);

/* create: a missing or empty file becomes a new pool (init, import, demo);
 * otherwise the file must already be a pool. */
static pool *open_rw(const char *path, int create, int mutex, char *err)
{
    /* Create the file ourselves with mode 0600: it holds months of human
     * work and model output nobody else should read. Only when it does not
     * exist: open()+close() of a pool this process already has open (the
     * TUI's background jobs open a second connection) would release every
     * POSIX lock SQLite holds on it, and another process could then
     * checkpoint and delete the WAL under us (lost writes). */
    struct stat st;
    int fd;
    if (check_pool_path(path, err) < 0) return NULL;
    if (stat(path, &st) == 0) {
        if (access(path, W_OK) == 0) fd = INT_MAX;   /* exists, writable */
        else fd = -1;
    } else if (!create) {
        err_set(err, "no pool at %s (`curate init`, `curate import` or "
                "`curate demo` creates one; --db or CURATE_DB names another)",
                path);
        return NULL;
    } else {
        fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd < 0 && errno == EEXIST) fd = INT_MAX;
    }
    if (fd < 0) {
        if (errno == EACCES || errno == EROFS) {
            /* Maybe it exists and is read-only: say so clearly below. */
            fd = open(path, O_RDONLY);
            if (fd < 0) {
                err_set(err, "%s: cannot open pool: %s", path, strerror(errno));
                return NULL;
            }
            close(fd);
            err_set(err, "%s: the pool is read-only (%s); nothing was "
                    "changed", path, strerror(EACCES));
            return NULL;
        }
        err_set(err, "%s: cannot create pool: %s", path, strerror(errno));
        return NULL;
    }
    if (fd != INT_MAX) close(fd);
    pool *p = open_common(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                          mutex, err);
    if (!p) return NULL;
    file_kind kind;
    if (classify(p, &kind, err) < 0) {
        pool_close(p);
        return NULL;
    }
    if (kind == FILE_FOREIGN || (kind == FILE_EMPTY && !create)) {
        if (kind == FILE_FOREIGN) foreign_err(path, err);
        else err_set(err, "%s: empty file, not a curate pool (`curate init` "
                     "makes it one)", path);
        pool_close(p);
        return NULL;
    }
    char e2[ERR_MAX];
    sqlite3_stmt *s = pool_prepare(p, "PRAGMA journal_mode=WAL", e2);
    if (!s || sqlite3_step(s) != SQLITE_ROW) {
        if (s) sqlite3_finalize(s);
        pool_sql_err(p, "open", err);
        pool_close(p);
        return NULL;
    }
    sqlite3_finalize(s);
    if (pool_exec(p, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", err) < 0 ||
        pool_migrate(p, err) < 0) {
        pool_close(p);
        return NULL;
    }
    /* Housekeeping, never a reason to fail an open (the pool may be busy
     * with a long write): the next open tries again. */
    runs_sweep(p, e2);
    pool_bulk_repair(p, e2);
    return p;
}

pool *pool_open(const char *path, char *err)
{
    return open_rw(path, 1, SQLITE_OPEN_FULLMUTEX, err);
}

pool *pool_open_unshared(const char *path, char *err)
{
    return open_rw(path, 1, SQLITE_OPEN_NOMUTEX, err);
}

pool *pool_open_existing(const char *path, char *err)
{
    return open_rw(path, 0, SQLITE_OPEN_FULLMUTEX, err);
}

/* A file: URI naming path (for immutable=1): '%', '?' and '#' escaped. */
static char *file_uri_new(const char *path)
{
    sbuf b = {0};
    sbuf_add(&b, "file:");
    for (const char *c = path; *c; c++) {
        if (*c == '%' || *c == '?' || *c == '#') sbuf_addf(&b, "%%%02X", (unsigned char)*c);
        else sbuf_addc(&b, *c);
    }
    sbuf_add(&b, "?immutable=1");
    return sbuf_take(&b);
}

pool *pool_open_readonly(const char *path, char *err)
{
    pool *p = open_common(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX,
                          err);
    if (!p) return NULL;
    file_kind kind;
    int rc = classify(p, &kind, err);
    if (rc < 0 && (sqlite3_errcode(p->db) == SQLITE_CANTOPEN ||
                   sqlite3_errcode(p->db) == SQLITE_READONLY)) {
        /* A WAL pool in a folder we may not write to: SQLite cannot make
         * the -shm it coordinates readers and writers with, so the file
         * is read as immutable (only a writer with more rights than ours
         * could change it meanwhile, and then this read may be stale). */
        pool_close(p);
        char *uri = file_uri_new(path);
        p = open_common(uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
                        SQLITE_OPEN_FULLMUTEX, err);
        free(uri);
        if (!p) return NULL;
        free(p->path);
        p->path = xstrdup(path);
        rc = classify(p, &kind, err);
    }
    if (rc < 0) {
        pool_close(p);
        return NULL;
    }
    if (kind != FILE_POOL) {
        if (kind == FILE_FOREIGN) foreign_err(path, err);
        else err_set(err, "%s: empty file, not a curate pool", path);
        pool_close(p);
        return NULL;
    }
    sqlite3_stmt *s = pool_prepare(p, "PRAGMA user_version", err);
    int v = s && sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    if (s) sqlite3_finalize(s);
    if (v > 0 && (v < POOL_SCHEMA_VERSION || pool_search_parts_missing(p))) {
        err_set(err, "%s: the pool has schema %d and needs an upgrade to %d, "
                "which a read-only open cannot do: run any curate command "
                "that writes (e.g. `curate init`) once", path, v,
                POOL_SCHEMA_VERSION);
        pool_close(p);
        return NULL;
    }
    if (v > POOL_SCHEMA_VERSION) {
        err_set(err, "%s: this pool was written by a newer curate (schema %d; "
                "this curate knows up to %d): upgrade curate; nothing was "
                "changed", path, v, POOL_SCHEMA_VERSION);
        pool_close(p);
        return NULL;
    }
    return p;
}

void pool_close(pool *p)
{
    if (!p) return;
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(p->st[i]);
    for (int i = 0; i < POOL_KEPT; i++) {
        sqlite3_finalize(p->kept[i].s);
        free(p->kept[i].sql);
    }
    free(p->anchor.sig);
    for (int i = 0; i < 2; i++) {
        free(p->anchor.key[i].s);
        free(p->anchor.key[i].id);
    }
    free(p->hits.term);
    free(p->hits.bits);
    free(p->batch_reviewer);
    pool_bulk_counts_drop(p);
    if (p->tx_depth > 0) sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(p->db);
    free(p->path);
    free(p);
}

const char *pool_path(const pool *p) { return p->path; }

/* ---- conversations ---- */

int64_t pool_cid(pool *p, const char *id, char *err)
{
    sqlite3_stmt *s = pool_stmt(p, ST_CONV_CID,
                                "SELECT cid FROM conversations WHERE id = ?",
                                err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    int64_t cid = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return pool_sql_err(p, "lookup", err);
    return cid;
}

int pool_has_convo(pool *p, const char *id)
{
    char err[ERR_MAX];
    return pool_cid(p, id, err) > 0;
}

/* Messages of a conversation get consecutive explicit rowids after the
 * current maximum: the writer holds the write lock (BEGIN IMMEDIATE), so
 * nobody else can take them, and the range is known before anything is
 * written (no second UPDATE of the conversation row). */
static int64_t next_mid(pool *p, char *err)
{
    sqlite3_stmt *s = pool_stmt(p, ST_MSG_MAXMID,
                                "SELECT coalesce(max(mid), 0) FROM messages",
                                err);
    if (!s) return -1;
    int64_t m = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_reset(s);
    if (m < 0) return pool_sql_err(p, "next message id", err);
    return m + 1;
}

static int insert_messages(pool *p, const convo *c, int64_t cid,
                           int64_t first, char *err)
{
    sqlite3_stmt *s = pool_stmt(p, ST_MSG_INSERT,
        "INSERT INTO messages(mid, cid, ts, sender, role, text) "
        "VALUES(?,?,?,?,?,?)", err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 2, cid);
    for (size_t i = 0; i < c->nmsgs; i++) {
        const convo_msg *m = &c->msgs[i];
        sqlite3_bind_int64(s, 1, first + (int64_t)i);
        sqlite3_bind_int64(s, 3, m->ts);
        sqlite3_bind_text(s, 4, m->sender, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 5, (int)m->role);
        sqlite3_bind_text(s, 6, m->text, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) return pool_sql_err(p, "insert message", err);
    }
    return 0;
}

/* Binds msg_first/msg_last: NULL for a conversation without messages. */
static void bind_range(sqlite3_stmt *s, int i, const convo *c, int64_t first)
{
    if (c->nmsgs) {
        sqlite3_bind_int64(s, i, first);
        sqlite3_bind_int64(s, i + 1, first + (int64_t)c->nmsgs - 1);
    } else {
        sqlite3_bind_null(s, i);
        sqlite3_bind_null(s, i + 1);
    }
}

static int put_convo(pool *p, const convo *c, uint64_t h, const char *source,
                     int *changed, char *err)
{
    char hash[17];
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, h >>= 4) hash[i] = hex[h & 15];
    hash[16] = '\0';
    sqlite3_stmt *s = pool_stmt(p, ST_CONV_GET_HASH,
        "SELECT cid, content_hash, msg_first, msg_last FROM conversations "
        "WHERE id = ?", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, c->id, -1, SQLITE_STATIC);
    /* A fresh bulk transaction: the pool holds only what this load
     * stored, and the file has no id twice: new. */
    int fresh = p->bulk.fresh;
    int rc = fresh ? SQLITE_DONE : sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        int64_t cid = sqlite3_column_int64(s, 0);
        int same = strcmp((const char *)sqlite3_column_text(s, 1), hash) == 0;
        int64_t f0 = sqlite3_column_int64(s, 2), l0 = sqlite3_column_int64(s, 3);
        sqlite3_reset(s);
        if (same) { *changed = 0; return 0; }
        int indexed;
        if (pool_search_drop(p, cid, &indexed, err) < 0) return -1;
        sqlite3_stmt *d = pool_stmt(p, ST_MSG_DELETE,
            "DELETE FROM messages WHERE mid BETWEEN ? AND ? AND cid = ?", err);
        if (!d) return -1;
        sqlite3_bind_int64(d, 1, f0);
        sqlite3_bind_int64(d, 2, l0);
        sqlite3_bind_int64(d, 3, cid);
        rc = sqlite3_step(d);
        sqlite3_reset(d);
        if (rc != SQLITE_DONE) return pool_sql_err(p, "replace messages", err);
        int64_t first = next_mid(p, err);
        if (first < 0 || insert_messages(p, c, cid, first, err) < 0) return -1;
        sqlite3_stmt *u = pool_stmt(p, ST_CONV_UPDATE,
            "UPDATE conversations SET seller_id=?, meta=?, n_messages=?, "
            "msg_first=?, msg_last=?, first_ts=?, last_ts=?, content_hash=?, "
            "source=? WHERE cid=?", err);
        if (!u) return -1;
        sqlite3_bind_text(u, 1, c->seller_id, -1, SQLITE_STATIC);
        pool_bind_text(u, 2, c->meta_json);
        sqlite3_bind_int64(u, 3, (int64_t)c->nmsgs);
        bind_range(u, 4, c, first);
        sqlite3_bind_int64(u, 6, c->nmsgs ? c->msgs[0].ts : 0);
        sqlite3_bind_int64(u, 7, c->nmsgs ? c->msgs[c->nmsgs - 1].ts : 0);
        sqlite3_bind_text(u, 8, hash, -1, SQLITE_STATIC);
        pool_bind_text(u, 9, source);
        sqlite3_bind_int64(u, 10, cid);
        rc = sqlite3_step(u);
        sqlite3_reset(u);
        if (rc != SQLITE_DONE) return pool_sql_err(p, "update conversation", err);
        if (indexed && pool_search_add(p, cid, err) < 0) return -1;
        /* Its labels were made on the old content: stale now. */
        if (pool_refresh_state(p, cid, err) < 0) return -1;
        *changed = 1;
        return 0;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "lookup conversation", err);
    int64_t first = fresh ? p->bulk.next_mid : next_mid(p, err);
    if (first < 0) return -1;
    sqlite3_stmt *ins = pool_stmt(p, ST_CONV_INSERT,
        "INSERT INTO conversations(id, seller_id, meta, n_messages, msg_first,"
        " msg_last, first_ts, last_ts, content_hash, source, imported_at) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?)", err);
    if (!ins) return -1;
    sqlite3_bind_text(ins, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, c->seller_id, -1, SQLITE_STATIC);
    pool_bind_text(ins, 3, c->meta_json);
    sqlite3_bind_int64(ins, 4, (int64_t)c->nmsgs);
    bind_range(ins, 5, c, first);
    sqlite3_bind_int64(ins, 7, c->nmsgs ? c->msgs[0].ts : 0);
    sqlite3_bind_int64(ins, 8, c->nmsgs ? c->msgs[c->nmsgs - 1].ts : 0);
    sqlite3_bind_text(ins, 9, hash, -1, SQLITE_STATIC);
    pool_bind_text(ins, 10, source);
    sqlite3_bind_int64(ins, 11, date_now());
    rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "insert conversation", err);
    int64_t cid = sqlite3_last_insert_rowid(p->db);
    if (fresh) {            /* counted in memory (pool_bulk_count) */
        p->bulk.last_cid = cid;
        p->bulk.next_mid = first + (int64_t)c->nmsgs;
        if (pool_bulk_count(p, c->seller_id, (int64_t)c->nmsgs, err) < 0 ||
            insert_messages(p, c, cid, first, err) < 0) return -1;
        *changed = 2;
        return 0;
    }
    /* New: unscored, no label, no edge mark (see schema v2). */
    sqlite3_stmt *k = pool_stmt(p, ST_COUNTS_ADD,
        "INSERT INTO conv_counts VALUES(?, 0, 0, 0, 1, ?) ON CONFLICT(seller_id,"
        " status, edge, scored) DO UPDATE SET n = n + 1, msgs = msgs + excluded.msgs",
        err);
    if (!k) return -1;
    sqlite3_bind_text(k, 1, c->seller_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(k, 2, (int64_t)c->nmsgs);
    rc = sqlite3_step(k);
    sqlite3_reset(k);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "count conversation", err);
    if (insert_messages(p, c, cid, first, err) < 0) return -1;
    *changed = 2;
    return 0;
}

int pool_put_convo_hashed(pool *p, const convo *c, uint64_t hash,
                          const char *source, int *changed, char *err)
{
    int dummy;
    if (!changed) changed = &dummy;
    if (!c->id || !*c->id) {
        err_set(err, "conversation without an id");
        return -1;
    }
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = put_convo(p, c, hash, source, changed, err) == 0;
    return pool_tx_close(p, ok, err);
}

int pool_put_convo(pool *p, const convo *c, const char *source, int *changed,
                   char *err)
{
    return pool_put_convo_hashed(p, c, convo_content_hash(c), source, changed,
                                 err);
}

/* The conversation's header and messages [off, off + max) in order (max
 * < 0: all); *total (may be NULL) gets how many it has. */
static convo *get_convo(pool *p, const char *id, int64_t off, int64_t max,
                        int64_t *total, char *err)
{
    /* Kept prepared: scoring loads every conversation it sends. Both are
     * reset before returning, so no read transaction stays open. */
    sqlite3_stmt *s = pool_stmt(p, ST_CONV_GET,
        "SELECT cid, seller_id, meta, msg_first, msg_last FROM conversations "
        "WHERE id = ?", err);
    if (!s) return NULL;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE) err_set(err, "no conversation '%s'", id);
        else pool_sql_err(p, "get conversation", err);
        sqlite3_reset(s);
        return NULL;
    }
    convo *c = convo_new(id, (const char *)sqlite3_column_text(s, 1));
    c->meta_json = pool_col_strdup(s, 2);
    int64_t cid = sqlite3_column_int64(s, 0);
    int64_t first = sqlite3_column_int64(s, 3), last = sqlite3_column_int64(s, 4);
    sqlite3_reset(s);
    if (total) {
        sqlite3_stmt *t = pool_prepare(p, "SELECT count(*) FROM messages "
                                       "WHERE mid BETWEEN ? AND ? AND cid = ?", err);
        if (!t) { convo_free(c); return NULL; }
        sqlite3_bind_int64(t, 1, first);
        sqlite3_bind_int64(t, 2, last);
        sqlite3_bind_int64(t, 3, cid);
        rc = sqlite3_step(t);
        *total = rc == SQLITE_ROW ? sqlite3_column_int64(t, 0) : 0;
        sqlite3_finalize(t);
        if (rc != SQLITE_ROW) {
            pool_sql_err(p, "count messages", err);
            convo_free(c);
            return NULL;
        }
    }
    int window = max >= 0;
    s = window ? pool_prepare(p, "SELECT ts, sender, role, text FROM messages "
                              "WHERE mid BETWEEN ? AND ? AND cid = ? ORDER BY mid "
                              "LIMIT ? OFFSET ?", err)
               : pool_stmt(p, ST_MSG_RANGE, "SELECT ts, sender, role, text FROM messages "
                           "WHERE mid BETWEEN ? AND ? AND cid = ? ORDER BY mid", err);
    if (!s) { convo_free(c); return NULL; }
    sqlite3_bind_int64(s, 1, first);
    sqlite3_bind_int64(s, 2, last);
    sqlite3_bind_int64(s, 3, cid);
    if (window) {
        sqlite3_bind_int64(s, 4, max);
        sqlite3_bind_int64(s, 5, off > 0 ? off : 0);
    }
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        convo_add_msg(c, sqlite3_column_int64(s, 0),
                      (const char *)sqlite3_column_text(s, 1),
                      (msg_role)sqlite3_column_int(s, 2),
                      (const char *)sqlite3_column_text(s, 3));
    if (rc != SQLITE_DONE) pool_sql_err(p, "get messages", err);
    if (window) sqlite3_finalize(s);
    else sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        convo_free(c);
        return NULL;
    }
    return c;
}

convo *pool_get_convo_new(pool *p, const char *id, char *err)
{
    return get_convo(p, id, 0, -1, NULL, err);
}

convo *pool_get_convo_window_new(pool *p, const char *id, int64_t off,
                                 int64_t max, int64_t *total, char *err)
{
    return get_convo(p, id, off, max < 0 ? 0 : max, total, err);
}

/* ---- runs ---- */

/* Who owns a run: this process, told apart from a later process with the
 * same pid by its start time, and from a process before a reboot by the
 * boot id. */
typedef struct {
    int64_t pid, start;
    char boot[64];
    char host[256];
} run_owner;

/* Start time of process pid in clock ticks since boot (field 22 of
 * /proc/PID/stat), or -1. */
static int64_t proc_start_time(int64_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *c = strrchr(buf, ')');   /* the command name may hold spaces */
    if (!c) return -1;
    /* After ")": state (field 3) ... starttime (field 22). */
    int field = 2;
    for (c++; *c && field < 22; c++)
        if (*c == ' ') field++;
    return *c ? strtoll(c, NULL, 10) : -1;
}

static void owner_self(run_owner *o)
{
    memset(o, 0, sizeof *o);
    o->pid = (int64_t)getpid();
    o->start = proc_start_time(o->pid);
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (f) {
        if (!fgets(o->boot, sizeof o->boot, f)) o->boot[0] = '\0';
        o->boot[strcspn(o->boot, "\n")] = '\0';
        fclose(f);
    }
    if (gethostname(o->host, sizeof o->host - 1) != 0) o->host[0] = '\0';
}

/* 0 when the process (pid, its start time, boot id, host) is certainly
 * gone, 1 when it may be running (it is, or it is on another host, where
 * we cannot look). */
static int owner_alive_of(const run_owner *self, int64_t pid, int64_t start,
                          const char *boot, const char *host)
{
    if (host && *host && *self->host && strcmp(host, self->host) != 0) return 1;
    if (boot && *boot && *self->boot && strcmp(boot, self->boot) != 0) return 0;
    if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH)) return 0;
    int64_t now_start = proc_start_time(pid);
    if (now_start >= 0 && start >= 0 && now_start != start) return 0;
    return 1;
}

/* The same for a run's row (owner_pid, _start, _boot, _host in columns
 * 1-4); a run that recorded no owner is gone. */
static int owner_alive(const run_owner *self, sqlite3_stmt *s)
{
    if (sqlite3_column_type(s, 1) == SQLITE_NULL) return 0;
    return owner_alive_of(self, sqlite3_column_int64(s, 1),
                          sqlite3_column_int64(s, 2),
                          (const char *)sqlite3_column_text(s, 3),
                          (const char *)sqlite3_column_text(s, 4));
}

void pool_owner_text(char *buf, size_t n)
{
    run_owner o;
    owner_self(&o);
    snprintf(buf, n, "%lld %lld %s %s", (long long)o.pid, (long long)o.start,
             o.boot[0] ? o.boot : "-", o.host[0] ? o.host : "-");
}

int pool_owner_text_alive(const char *text)
{
    long long pid, start;
    char boot[64], host[256];
    if (sscanf(text, "%lld %lld %63s %255s", &pid, &start, boot, host) != 4)
        return 0;
    run_owner self;
    owner_self(&self);
    return owner_alive_of(&self, pid, start, strcmp(boot, "-") ? boot : "",
                          strcmp(host, "-") ? host : "");
}

/* Marks interrupted every run left "running" by a process that is gone
 * (killed with SIGKILL, or a crash): on each writable open, a few rows. */
static int runs_sweep(pool *p, char *err)
{
    sqlite3_stmt *s = pool_prepare(p, "SELECT id, owner_pid, owner_start, "
        "owner_boot, owner_host FROM runs WHERE status = 'running'", err);
    if (!s) return -1;
    run_owner self;
    owner_self(&self);
    int64_t *dead = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (owner_alive(&self, s)) continue;
        if (n == cap) dead = xrealloc(dead, (cap = cap ? 2 * cap : 8) * sizeof *dead);
        dead[n++] = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        free(dead);
        return pool_sql_err(p, "check runs", err);
    }
    int ok = 1;
    if (n) {
        ok = pool_tx_open(p, err) == 0;
        sqlite3_stmt *u = ok ? pool_prepare(p, "UPDATE runs SET status = "
            "'interrupted', finished_at = ?2 WHERE id = ?1 AND status = "
            "'running'", err) : NULL;
        if (ok && !u) {
            pool_tx_close(p, 0, err);
            ok = 0;
        } else if (ok) {
            for (size_t i = 0; i < n && ok; i++) {
                sqlite3_bind_int64(u, 1, dead[i]);
                sqlite3_bind_int64(u, 2, date_now());
                ok = sqlite3_step(u) == SQLITE_DONE;
                sqlite3_reset(u);
            }
            if (!ok) pool_sql_err(p, "mark runs interrupted", err);
            sqlite3_finalize(u);
            ok = pool_tx_close(p, ok, err) == 0;
        }
    }
    free(dead);
    return ok ? 0 : -1;
}

int pool_run_start(pool *p, const char *kind, const char *backend,
                   const char *model, int64_t program_id,
                   const char *params_json, int64_t *run_id, char *err)
{
    run_owner o;
    owner_self(&o);
    sqlite3_stmt *s = pool_prepare(p,
        "INSERT INTO runs(kind, status, backend, model, program_id, params, "
        "started_at, owner_pid, owner_start, owner_boot, owner_host) "
        "VALUES(?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)", err);
    if (!s) return -1;
    pool_bind_text(s, 1, kind);
    pool_bind_text(s, 2, backend);
    pool_bind_text(s, 3, model);
    if (program_id > 0) sqlite3_bind_int64(s, 4, program_id);
    pool_bind_text(s, 5, params_json);
    sqlite3_bind_int64(s, 6, date_now());
    sqlite3_bind_int64(s, 7, o.pid);
    sqlite3_bind_int64(s, 8, o.start);
    pool_bind_text(s, 9, o.boot);
    pool_bind_text(s, 10, o.host);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "start run", err);
    *run_id = sqlite3_last_insert_rowid(p->db);
    return 0;
}

int pool_run_finish(pool *p, int64_t run_id, const char *status,
                    const char *summary_json, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "UPDATE runs SET status=?, summary=?, finished_at=? WHERE id=?", err);
    if (!s) return -1;
    pool_bind_text(s, 1, status);
    pool_bind_text(s, 2, summary_json);
    sqlite3_bind_int64(s, 3, date_now());
    sqlite3_bind_int64(s, 4, run_id);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "finish run", err);
    return 0;
}

int pool_last_done_summary(pool *p, const char *kind, char **out, char *err)
{
    *out = NULL;
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT summary FROM runs WHERE kind = ? AND status = 'done' "
        "ORDER BY id DESC LIMIT 1", err);
    if (!s) return -1;
    pool_bind_text(s, 1, kind);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *out = pool_col_strdup(s, 0);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return pool_sql_err(p, "read the last run", err);
    return 0;
}

int pool_list_runs(pool *p, const char *kind, pool_run *out, int max,
                   char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT r.id, r.kind, r.status, coalesce(r.backend,''), "
        "coalesce(r.model,''), coalesce(r.program_id,0), r.started_at, "
        "coalesce(r.finished_at,0), "
        "(SELECT count(*) FROM predictions WHERE run_id = r.id) "
        "FROM runs r WHERE ?1 IS NULL OR r.kind = ?1 ORDER BY r.id DESC "
        "LIMIT ?2", err);
    if (!s) return -1;
    pool_bind_text(s, 1, kind);
    sqlite3_bind_int(s, 2, max);
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < max) {
        pool_run *r = &out[n++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(s, 0);
        snprintf(r->kind, sizeof r->kind, "%s", sqlite3_column_text(s, 1));
        snprintf(r->status, sizeof r->status, "%s", sqlite3_column_text(s, 2));
        snprintf(r->backend, sizeof r->backend, "%s", sqlite3_column_text(s, 3));
        snprintf(r->model, sizeof r->model, "%s", sqlite3_column_text(s, 4));
        r->program_id = sqlite3_column_int64(s, 5);
        r->started_at = sqlite3_column_int64(s, 6);
        r->finished_at = sqlite3_column_int64(s, 7);
        r->npred = sqlite3_column_int64(s, 8);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return pool_sql_err(p, "list runs", err);
    return n;
}

/* ---- cache ---- */

int pool_cache_get(pool *p, const char *key, char **response, char *err)
{
    sqlite3_stmt *s = pool_stmt(p, ST_CACHE_GET,
        "SELECT response FROM llm_cache WHERE key = ?", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *response = pool_col_strdup(s, 0);
        sqlite3_reset(s);
        return 1;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "cache", err);
    return 0;
}

int pool_cache_put(pool *p, const char *key, const char *response, char *err)
{
    sqlite3_stmt *s = pool_stmt(p, ST_CACHE_PUT,
        "INSERT OR REPLACE INTO llm_cache(key, response, created_at) "
        "VALUES(?,?,?)", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, response, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, date_now());
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "cache", err);
    return 0;
}

/* ---- maintenance ---- */

int pool_backup(pool *p, const char *dest, char *err)
{
    /* Into a temporary file beside dest, renamed when complete: a backup
     * killed midway leaves no file named dest (an empty one with a hot
     * journal would look like a backup and block the next one). */
    outfile of;
    if (outfile_open(&of, dest, OUTFILE_NO_REPLACE, err) < 0) return -1;
    outfile_close_fd(&of);   /* SQLite writes it; our fd would drop its locks */
    sqlite3 *out = NULL;
    /* NOFOLLOW: the temporary name must still be our file when SQLite
     * opens it again by name */
    if (sqlite3_open_v2(of.tmp, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
                        NULL) != SQLITE_OK) {
        err_set(err, "%s: %s", dest, out ? sqlite3_errmsg(out) : "out of memory");
        sqlite3_close(out);
        outfile_abort(&of);
        return -1;
    }
    sqlite3_backup *b = sqlite3_backup_init(out, "main", p->db, "main");
    int rc = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
    if (b) sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        err_set(err, "%s: backup failed: %s", dest, sqlite3_errmsg(out));
        sqlite3_close(out);
        sbuf j = {0};
        sbuf_addf(&j, "%s-journal", of.tmp);
        unlink(j.s);
        sbuf_free(&j);
        outfile_abort(&of);
        return -1;
    }
    if (sqlite3_close(out) != SQLITE_OK) {
        err_set(err, "%s: backup failed: %s", dest, sqlite3_errmsg(out));
        outfile_abort(&of);
        return -1;
    }
    return outfile_commit(&of, err);
}

int pool_integrity_check(pool *p, char *err)
{
    sqlite3_stmt *s = pool_prepare(p, "PRAGMA integrity_check", err);
    if (!s) return -1;
    int ok = sqlite3_step(s) == SQLITE_ROW &&
             strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
    if (!ok) err_set(err, "%s: integrity check failed: %s", p->path,
                     sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0) : "?");
    sqlite3_finalize(s);
    return ok ? 0 : -1;
}
