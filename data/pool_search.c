/* pool_search.c: the search index (schema 3, see pool_schema.c): keeping
 * it in step when a stored conversation changes, answering a term (the
 * matches that pool_query.c's lists and counts test rows against), its
 * state, and filling it behind imports. */
#define _POSIX_C_SOURCE 200809L
#include "pool_int.h"
#include "../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One indexing transaction: about this many messages (under 0.1 s of
 * work, so a reviewer's save never waits long), at most this many
 * conversations. */
#define INDEX_TX_MESSAGES 16384
#define INDEX_TX_CONVS 4000

static int64_t upto(pool *p, char *err)
{
    sqlite3_stmt *s = pool_stmt(p, ST_SEARCH_UPTO,
                                "SELECT upto FROM search_state", err);
    if (!s) return -1;
    int64_t u = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_reset(s);
    if (u < 0) return pool_sql_err(p, "search state", err);
    return u;
}

/* ---- keeping it in step ---- */

int pool_search_drop(pool *p, int64_t cid, int *was, char *err)
{
    *was = 0;
    sqlite3_stmt *g = pool_stmt(p, ST_SEARCH_GEN,
                                "UPDATE search_state SET gen = gen + 1", err);
    if (!g) return -1;
    int rc = sqlite3_step(g);
    sqlite3_reset(g);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "search state", err);
    int64_t u = upto(p, err);
    if (u < 0) return -1;
    if (cid > u) return 0;
    /* External content: the index forgets exactly the tokens of the
     * document as the view gives it now, before the messages change. */
    sqlite3_stmt *s = pool_stmt(p, ST_SEARCH_DROP,
        "INSERT INTO conv_search(conv_search, rowid, doc) "
        "SELECT 'delete', rid, doc FROM conv_doc WHERE cid = ?", err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, cid);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "search index", err);
    *was = 1;
    return 0;
}

int pool_search_add(pool *p, int64_t cid, char *err)
{
    sqlite3_stmt *s = pool_stmt(p, ST_SEARCH_ADD,
        "INSERT INTO conv_search(rowid, doc) "
        "SELECT rid, doc FROM conv_doc WHERE cid = ?", err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, cid);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "search index", err);
    return 0;
}

/* ---- searching ---- */

int pool_search_indexed(const char *term)
{
    /* Invalid UTF-8 cannot be in the (validated) text, and the tokenizer
     * and LIKE would read it differently: the scan decides. */
    size_t len = strlen(term);
    if (strchr(term, '\n') || utf8_bad_at(term, len) != len) return 0;
    int chars = 0;
    for (const unsigned char *c = (const unsigned char *)term; *c; c++)
        if ((*c & 0xC0) != 0x80) chars++;
    return chars >= 3;
}

void pool_search_scan_sql(sbuf *b, const char *a)
{
    sbuf_addf(b, "(%s.seller_id LIKE ?2 ESCAPE '\\' OR %s.id LIKE ?2 ESCAPE"
                 " '\\' OR EXISTS (SELECT 1 FROM messages m WHERE m.mid BETWEEN"
                 " %s.msg_first AND %s.msg_last AND m.cid = %s.cid AND (m.text"
                 " LIKE ?2 ESCAPE '\\' OR m.sender LIKE ?2 ESCAPE '\\')))",
              a, a, a, a, a);
}

char *pool_search_like_new(const char *term)
{
    sbuf pat = {0};
    sbuf_addc(&pat, '%');
    for (const char *c = term; *c; c++) {
        if (*c == '%' || *c == '_' || *c == '\\') sbuf_addc(&pat, '\\');
        sbuf_addc(&pat, *c);
    }
    sbuf_addc(&pat, '%');
    return sbuf_take(&pat);
}

/* The index's query for term: one FTS5 phrase, the term in double quotes
 * (quotes doubled), lowercased like the documents. */
static char *match_query_new(const char *term)
{
    sbuf q = {0};
    sbuf_addc(&q, '"');
    for (const char *c = term; *c; c++) {
        if (*c == '"') sbuf_addc(&q, '"');
        sbuf_addc(&q, *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c);
    }
    sbuf_addc(&q, '"');
    return sbuf_take(&q);
}

static void hit_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const pool *p = sqlite3_user_data(ctx);
    int64_t cid = sqlite3_value_int64(argv[0]);
    sqlite3_result_int(ctx, p->hits.bits && cid >= 0 && cid <= p->hits.max_cid &&
                            (p->hits.bits[cid >> 3] >> (cid & 7) & 1));
}

int pool_search_register(pool *p, char *err)
{
    if (sqlite3_create_function(p->db, "curate_search_hit", 1, SQLITE_UTF8,
                                p, hit_fn, NULL, NULL) != SQLITE_OK)
        return pool_sql_err(p, "open", err);
    return 0;
}

/* Rows of temp.search_hits: the n cids in list (n <= POOL_SEARCH_LISTED),
 * or none. */
static int list_hits(pool *p, const int64_t *list, int64_t n, char *err)
{
    if (pool_exec(p, "CREATE TEMP TABLE IF NOT EXISTS search_hits("
                     "cid INTEGER PRIMARY KEY); DELETE FROM temp.search_hits;",
                  err) < 0)
        return -1;
    if (n == 0 || n > POOL_SEARCH_LISTED) return 0;
    sqlite3_stmt *s = pool_prepare(p, "INSERT INTO temp.search_hits VALUES(?)", err);
    if (!s) return -1;
    int rc = SQLITE_DONE;
    for (int64_t i = 0; i < n && rc == SQLITE_DONE; i++) {
        sqlite3_bind_int64(s, 1, list[i]);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "search", err);
    return 0;
}

int64_t pool_search_hits(pool *p, const char *term, char *err)
{
    /* The content's version: what the index covers, the replacements so
     * far, the newest conversation (imports only add after it). */
    sqlite3_stmt *v = pool_prepare(p,
        "SELECT upto, gen, (SELECT coalesce(max(cid), 0) FROM conversations)"
        " FROM search_state", err);
    if (!v) return -1;
    int rc = sqlite3_step(v);
    int64_t u = sqlite3_column_int64(v, 0), gen = sqlite3_column_int64(v, 1),
            max_cid = sqlite3_column_int64(v, 2);
    sqlite3_finalize(v);
    if (rc != SQLITE_ROW) return pool_sql_err(p, "search state", err);
    if (p->hits.term && !strcmp(p->hits.term, term) && p->hits.upto == u &&
        p->hits.gen == gen && p->hits.max_cid == max_cid)
        return p->hits.n;
    free(p->hits.term);
    free(p->hits.bits);
    memset(&p->hits, 0, sizeof p->hits);
    /* The index for what it covers, a scan after it (nothing once the
     * indexer has caught up); a bit per match, and the first ones listed. */
    sbuf q = {0};
    /* A document is a part of a conversation: rowid >> 20 is its cid. */
    sbuf_add(&q, "SELECT rowid >> 20 FROM conv_search WHERE conv_search MATCH ?1"
                 " UNION ALL SELECT t.cid FROM conversations t WHERE t.cid > ?3"
                 " AND ");
    pool_search_scan_sql(&q, "t");
    sqlite3_stmt *s = pool_prepare(p, q.s, err);
    sbuf_free(&q);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, match_query_new(term), -1, free);
    sqlite3_bind_text(s, 2, pool_search_like_new(term), -1, free);
    sqlite3_bind_int64(s, 3, u);
    unsigned char *bits = xcalloc((size_t)(max_cid >> 3) + 1, 1);
    int64_t *list = xmalloc(sizeof *list * (POOL_SEARCH_LISTED + 1));
    int64_t n = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t cid = sqlite3_column_int64(s, 0);
        /* Imported since max_cid was read (another snapshot): left out
         * now; the next call sees the new max_cid and starts again. */
        if (cid < 0 || cid > max_cid) continue;
        if (bits[cid >> 3] >> (cid & 7) & 1) continue;   /* another part */
        bits[cid >> 3] |= (unsigned char)(1u << (cid & 7));
        if (n <= POOL_SEARCH_LISTED) list[n] = cid;
        n++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE || list_hits(p, list, n, err) < 0) {
        if (rc != SQLITE_DONE) pool_sql_err(p, "search", err);
        free(bits);
        free(list);
        return -1;
    }
    free(list);
    p->hits.term = xstrdup(term);
    p->hits.bits = bits;
    p->hits.upto = u;
    p->hits.gen = gen;
    p->hits.max_cid = max_cid;
    p->hits.n = n;
    return n;
}

/* ---- state and filling ---- */

int pool_search_get_state(pool *p, pool_search_state *st, char *err)
{
    /* Cheap when the index is caught up: the total from conv_counts, the
     * pending ones a rowid range after upto. */
    memset(st, 0, sizeof *st);
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT (SELECT coalesce(sum(n), 0) FROM conv_counts),"
        " (SELECT count(*) FROM conversations WHERE cid > u.upto)"
        " FROM search_state u", err);
    if (!s) return -1;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        st->conversations = sqlite3_column_int64(s, 0);
        st->indexed = st->conversations - sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW) return pool_sql_err(p, "search state", err);
    return 0;
}

/* The last cid of the next transaction's share after u: whole
 * conversations up to INDEX_TX_MESSAGES messages (at least one). 0 when
 * everything is indexed, -1 on error; *nconv: how many conversations. */
static int64_t chunk_end(pool *p, int64_t u, int64_t *nconv, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT cid, n_messages FROM conversations WHERE cid > ? ORDER BY cid",
        err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, u);
    int64_t end = 0, msgs = 0;
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t m = sqlite3_column_int64(s, 1);
        if (n > 0 && (msgs + m > INDEX_TX_MESSAGES || n >= INDEX_TX_CONVS)) break;
        end = sqlite3_column_int64(s, 0);
        msgs += m;
        n++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return pool_sql_err(p, "search index", err);
    *nconv = n;
    return end;
}

/* One transaction: the share after upto, then upto moves past it.
 * Returns conversations indexed (0 = nothing left) or -1. */
static int64_t index_step(pool *p, char *err)
{
    if (pool_tx_open(p, err) < 0) return -1;
    int64_t n = 0, nconv = 0;
    int64_t u = upto(p, err), end = u < 0 ? -1 : chunk_end(p, u, &nconv, err);
    int ok = end >= 0;
    if (ok && end > 0) {
        sqlite3_stmt *s = pool_prepare(p,
            "INSERT INTO conv_search(rowid, doc) SELECT rid, doc FROM conv_doc"
            " WHERE cid > ?1 AND cid <= ?2", err);
        ok = s != NULL;
        if (ok) {
            sqlite3_bind_int64(s, 1, u);
            sqlite3_bind_int64(s, 2, end);
            ok = sqlite3_step(s) == SQLITE_DONE;
            if (!ok) pool_sql_err(p, "search index", err);
            sqlite3_finalize(s);
        }
        if (ok) n = nconv;
        sqlite3_stmt *w = ok ? pool_prepare(p, "UPDATE search_state SET upto = ?", err) : NULL;
        ok = w != NULL;
        if (ok) {
            sqlite3_bind_int64(w, 1, end);
            ok = sqlite3_step(w) == SQLITE_DONE;
            if (!ok) pool_sql_err(p, "search index", err);
            sqlite3_finalize(w);
        }
    }
    if (pool_tx_close(p, ok, err) < 0) return -1;
    return n;
}

int64_t pool_search_index(pool *p,
                          int (*progress)(void *ctx, int64_t done, int64_t total),
                          void *ctx, char *err)
{
    if (p->tx_depth > 0) {
        err_set(err, "%s: the search index is filled in its own transactions",
                p->path);
        return -1;
    }
    pool_search_state st;
    if (pool_search_get_state(p, &st, err) < 0) return -1;
    int64_t total = st.conversations - st.indexed, done = 0;
    for (;;) {
        int64_t n = index_step(p, err);
        if (n < 0) return -1;
        if (n == 0) break;
        done += n;
        /* Conversations imported meanwhile join the work. */
        if (done > total) total = done;
        if (progress && progress(ctx, done, total)) break;
    }
    return done;
}

int pool_search_reset(pool *p, char *err)
{
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = pool_exec(p,
        "INSERT INTO conv_search(conv_search) VALUES('delete-all');"
        "UPDATE search_state SET upto = 0;", err) == 0;
    return pool_tx_close(p, ok, err);
}
