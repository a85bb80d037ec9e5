/* pool_int.h: internals shared by the pool_*.c files. Not a contract. */
#ifndef CURATE_POOL_INT_H
#define CURATE_POOL_INT_H

#include <sqlite3.h>
#include "pool.h"
#include "../core/util.h"

/* PRAGMA application_id of a curate pool (0x43555241, "CURA"; written
 * by schema step 5). */
#define POOL_APP_ID 1129665089

/* Prepared statements kept for the life of the connection (hot paths). */
enum {
    ST_CONV_GET_HASH, ST_CONV_INSERT, ST_CONV_UPDATE, ST_MSG_INSERT,
    ST_MSG_DELETE, ST_CONV_CID, ST_CACHE_GET, ST_CACHE_PUT, ST_PRED_INSERT,
    ST_CONV_SET_PRED, ST_MSG_MAXMID, ST_REFRESH, ST_LABEL_INSERT,
    ST_EDGE_INSERT, ST_COUNTS_ADD, ST_COUNTS_BULK, ST_DATA_VERSION, ST_CONV_GET,
    ST_MSG_RANGE, ST_REFRESH_PRED, ST_SEARCH_UPTO, ST_SEARCH_DROP,
    ST_SEARCH_ADD, ST_SEARCH_GEN, ST_ACTION_INSERT, ST_COUNT
};

/* How many statements pool_stmt_sql keeps. */
#define POOL_KEPT 48
/* Sellers a bulk transaction counts in memory before it adds them to
 * conv_counts (a power of two: the table is probed by hash). */
#define POOL_BULK_SELLERS 256

/* The sort key of a list row: the sort column's value and the id. */
typedef struct {
    int type;              /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_NULL */
    int64_t i;
    double d;
    char *s;               /* the text value (owned), or NULL */
    char *id;              /* owned */
} pool_list_key;

/* Where the last window of a list was (pool_query.c): the next window of
 * the same list starts from there instead of an OFFSET from the top. */
typedef struct {
    char *sig;             /* the list's query and parameters; NULL = none */
    int64_t data_version, changes;   /* the pool as it was then */
    int64_t off[2];        /* positions of the first and the last row */
    pool_list_key key[2];
} pool_list_anchor;

struct pool {
    sqlite3 *db;
    char *path;
    int tx_depth;          /* pool_begin nesting; >0 = caller's transaction */
    sqlite3_stmt *st[ST_COUNT];
    /* pool_stmt_sql's statements, by SQL text; replaced round-robin */
    struct { char *sql; sqlite3_stmt *s; } kept[POOL_KEPT];
    unsigned kept_next;
    pool_list_anchor anchor;
    /* This connection's bulk load (pool_bulk.c). In a transaction where
     * no other writer has stored a conversation since the load began
     * (fresh), put_convo knows every id is new and where the next message
     * rowid is, and the new conversations are counted per seller in
     * memory (counts, at most POOL_BULK_SELLERS sellers, owned) and added
     * to conv_counts when the table fills and at commit. */
    struct {
        int live, fresh;
        int64_t last_cid;   /* the last conversation it stored (0: none) */
        int64_t tx_cid;     /* last_cid when the transaction began */
        int64_t next_mid;
        struct { char *seller; int64_t n, msgs; } counts[POOL_BULK_SELLERS];
        int ncounts;
    } bulk;
    /* The batch open on this connection (pool_batch_begin), 0 = none, and
     * whose actions it takes. */
    int64_t batch;
    char *batch_reviewer;
    /* The matches of the last searched term (pool_search_hits), for the
     * pool's content as it was then: one bit per cid. */
    struct {
        char *term;
        int64_t upto, gen, max_cid, n;
        unsigned char *bits;
    } hits;
};

/* Returns the cached statement for slot, preparing sql the first time;
 * reset and cleared of bindings. NULL + err on failure. */
sqlite3_stmt *pool_stmt(pool *p, int slot, const char *sql, char *err);
/* The statement for sql, kept for the connection (by its text) and
 * prepared the first time: for statements run once per item in a loop
 * (sync applies 100,000s; preparing one that writes conversations
 * compiles the schema's triggers) that have no slot above. Reset and
 * cleared of bindings; the caller resets it after use and never
 * finalizes it. A statement still stepping must not be asked for again
 * (nested use): it would be reset under its user. NULL + err. */
sqlite3_stmt *pool_stmt_sql(pool *p, const char *sql, char *err);
/* Prepares a one-off statement (caller finalizes). */
sqlite3_stmt *pool_prepare(pool *p, const char *sql, char *err);
/* Joins the caller's transaction or opens one (BEGIN IMMEDIATE). */
int pool_tx_open(pool *p, char *err);
/* Commits (ok) or rolls back (!ok) what pool_tx_open opened. Returns 0 or -1. */
int pool_tx_close(pool *p, int ok, char *err);
int pool_sql_err(pool *p, const char *what, char *err);
/* Runs SQL text (several statements). 0 or -1 + err. */
int pool_exec(pool *p, const char *sql, char *err);
/* Brings the schema to POOL_SCHEMA_VERSION (pool_schema.c); refuses a pool
 * from a newer curate. 0 or -1 + err. */
int pool_migrate(pool *p, char *err);
/* The SQL of schema steps 2 and 8 (pool_schema_agg.c: list indexes,
 * conv_counts, score_agg and their triggers), for pool_migrate to run;
 * the caller frees it. */
char *pool_schema_v2_new(void);
char *pool_schema_v8_new(void);
/* 1 when the search index is still schema 3's (one document per
 * conversation) in a pool an early schema-5 build wrote: pool_migrate
 * repairs it; a read-only open must refuse it. */
int pool_search_parts_missing(pool *p);
/* Internal id (rowid) of a conversation, 0 if none, -1 on error. */
int64_t pool_cid(pool *p, const char *id, char *err);
/* Recomputes the denormalised status columns of conversation cid. */
int pool_refresh_state(pool *p, int64_t cid, char *err);
/* The same, after prediction pid of cid with status "ok" was stored (the
 * latest: ids only grow) and nothing else of cid changed; has/overall: its
 * overall. Cheaper (pool_review.c: refresh_after_prediction). */
int pool_refresh_after_prediction(pool *p, int64_t cid, int64_t pid, int has,
                                  double overall, char *err);
/* The largest field disagreement (schema 8): SQL yielding one row
 * (round(|model - human|, 4), field) over the score fields that both
 * prediction PRED and label LAB have (printf arguments: a condition, then
 * PRED and LAB as SQL expressions), the largest first (ties: the field
 * name); no row when the label is skipped, either is missing, or the
 * condition fails. Callers pass "both overalls exist", so fdiff is set
 * exactly when diff is (the list filters rely on it). */
#define POOL_FDIFF_SQL \
    "(SELECT round(abs(a.value - h.value), 4), a.key FROM predictions pr," \
    " json_each(pr.scores) a, labels lb, json_each(lb.scores) h" \
    " WHERE (%s) AND pr.id = %s AND lb.id = %s AND lb.status <> 'skipped'" \
    " AND a.key = h.key AND a.type IN ('integer','real')" \
    " AND h.type IN ('integer','real') ORDER BY 1 DESC, 2 LIMIT 1)"
/* score_agg kind 4 (schema 8) counts (model, human) pairs of a field for
 * Spearman: the pair is one exact number, (x100 + OFF) * BASE + (y100 +
 * OFF) with x100, y100 the scores times 100 (scores have 2 decimals), so
 * any score in (-50000, 50000) round-trips (the code stays below 2^53). */
#define POOL_PAIR_OFF 5000000
#define POOL_PAIR_BASE 10000000
#define POOL_PAIR_SQL \
    "((CAST(round(a.value * 100) AS INTEGER) + 5000000) * 10000000 +" \
    " CAST(round(h.value * 100) AS INTEGER) + 5000000)"
/* score_agg kinds 5 (model) and 6 (human, scored conversations) count,
 * for run 0 and all sellers (seller_id ''), each score by the UTC day of
 * its conversation's first message, as one number: day * POOL_PAIR_BASE +
 * x100 + POOL_PAIR_OFF (the trend reads these instead of every score). */
#define POOL_DAY_SQL(o) \
    "((" o ".first_ts / 86400) * 10000000 + CAST(round(a.value * 100) AS INTEGER)" \
    " + 5000000)"
/* Binds a string or NULL. */
void pool_bind_text(sqlite3_stmt *s, int i, const char *v);
char *pool_col_strdup(sqlite3_stmt *s, int i);
/* put_convo's side of the search index (pool_search.c): before a stored
 * conversation's content changes, pool_search_drop takes it out of the
 * index if it is in (*was = 1); after the change, pool_search_add puts the
 * new content in. */
int pool_search_drop(pool *p, int64_t cid, int *was, char *err);
int pool_search_add(pool *p, int64_t cid, char *err);
/* Searches (pool_search.c, for pool_query.c). A term of 3 characters or
 * more of valid UTF-8 without a line break is answered by the index (1),
 * else by a scan
 * (0): pool_search_scan_sql writes the scan's condition on conversation
 * alias a, with ?2 bound to pool_search_like_new(term) (caller frees). */
int pool_search_indexed(const char *term);
void pool_search_scan_sql(sbuf *b, const char *a);
char *pool_search_like_new(const char *term);
/* The conversations an indexed term matches, kept while the pool's content
 * (not its labels or scores) is unchanged: SQL then tests a row with
 * curate_search_hit(cid), and when there are at most POOL_SEARCH_LISTED of
 * them they are also the rows of the connection's temp.search_hits(cid)
 * (to be read by rowid). Returns how many, or -1. */
#define POOL_SEARCH_LISTED 20000
int64_t pool_search_hits(pool *p, const char *term, char *err);
/* This process as text ("pid start boot host", at most POOL_OWNER_MAX
 * bytes), and whether the process such a text names may be running (0:
 * certainly gone; as for runs: pid, start time, boot id, host). */
#define POOL_OWNER_MAX 400
void pool_owner_text(char *buf, size_t n);
int pool_owner_text_alive(const char *text);
/* A bulk load's indexes left out by a process that is gone (killed
 * midway): built again (pool_bulk.c; every writable open). 0 or -1. */
int pool_bulk_repair(pool *p, char *err);
/* A transaction begins or ends on a connection with a live bulk load:
 * finds whether it is fresh (0 or -1); counts its conversations (before
 * COMMIT; 0 or -1). */
int pool_bulk_tx_begin(pool *p, char *err);
int pool_bulk_tx_commit(pool *p, char *err);
/* A fresh transaction's new conversation of seller with nmsgs messages,
 * counted (see bulk above). 0 or -1. */
int pool_bulk_count(pool *p, const char *seller, int64_t nmsgs, char *err);
/* Forgets the counts not yet added (the transaction is rolled back). */
void pool_bulk_counts_drop(pool *p);
/* 1 while a bulk load has the conversations' indexes out: queries must
 * not name them (INDEXED BY). */
int pool_bulk_pending(pool *p);
/* Registers curate_search_hit() on the connection (pool_open). */
int pool_search_register(pool *p, char *err);

#endif
