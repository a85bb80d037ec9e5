/* pool.c: opening, migrations, transactions, conversations, runs, cache and
 * maintenance. See pool.h for the contract. */
#define _POSIX_C_SOURCE 200809L
#include "pool_int.h"
#include "../core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Schema version 1. Messages of a conversation are stored contiguously and
 * addressed by a rowid range (msg_first..msg_last): no second index on the
 * biggest table, so imports stay fast. The columns after imported_at are the
 * conversation's current state, derived from predictions/labels/edge_marks
 * and kept in step in the same transaction (windowed lists sort on them). */
static const char *schema_v1 =
    "CREATE TABLE conversations("
    " cid INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " seller_id TEXT NOT NULL,"
    " meta TEXT,"
    " n_messages INTEGER NOT NULL,"
    " msg_first INTEGER, msg_last INTEGER,"
    " first_ts INTEGER, last_ts INTEGER,"
    " content_hash TEXT NOT NULL,"
    " source TEXT,"
    " imported_at INTEGER NOT NULL,"
    " pred_id INTEGER, model_overall REAL,"
    " label_id INTEGER, human_overall REAL,"
    " diff REAL,"
    " status INTEGER NOT NULL DEFAULT 0," /* 0 unscored 1 to review 2 reviewed 3 skipped */
    " edge INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE messages("
    " mid INTEGER PRIMARY KEY,"
    " cid INTEGER NOT NULL,"
    " ts INTEGER NOT NULL,"
    " sender TEXT NOT NULL,"
    " role INTEGER NOT NULL CHECK(role BETWEEN 0 AND 2),"
    " text TEXT NOT NULL);"
    "CREATE TABLE runs("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " backend TEXT, model TEXT, program_id INTEGER,"
    " params TEXT, summary TEXT,"
    " started_at INTEGER NOT NULL, finished_at INTEGER);"
    "CREATE TABLE predictions("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER REFERENCES runs(id),"
    " cid INTEGER NOT NULL REFERENCES conversations(cid) ON DELETE CASCADE,"
    " scores TEXT NOT NULL, overall REAL,"
    " rationale TEXT, reasoning TEXT, raw TEXT,"
    " status TEXT NOT NULL CHECK(status IN ('ok','partial','failed')),"
    " error TEXT, model TEXT, program_id INTEGER,"
    " tokens INTEGER, latency_ms REAL,"
    " created_at INTEGER NOT NULL);"
    "CREATE INDEX predictions_cid ON predictions(cid, id);"
    "CREATE INDEX predictions_run ON predictions(run_id, cid);"
    "CREATE TABLE labels("
    " id INTEGER PRIMARY KEY,"
    " cid INTEGER NOT NULL REFERENCES conversations(cid) ON DELETE CASCADE,"
    " reviewer TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK(status IN ('accepted','corrected','skipped')),"
    " scores TEXT NOT NULL, overall REAL, note TEXT,"
    " created_at INTEGER NOT NULL, undone_at INTEGER);"
    "CREATE INDEX labels_cid ON labels(cid, id);"
    "CREATE INDEX labels_created ON labels(created_at);"
    "CREATE TABLE edge_marks("
    " id INTEGER PRIMARY KEY,"
    " cid INTEGER NOT NULL REFERENCES conversations(cid) ON DELETE CASCADE,"
    " reviewer TEXT NOT NULL, marked INTEGER NOT NULL, note TEXT,"
    " created_at INTEGER NOT NULL);"
    "CREATE INDEX edge_marks_cid ON edge_marks(cid, id);"
    "CREATE TABLE programs("
    " id INTEGER PRIMARY KEY,"
    " created_at INTEGER NOT NULL,"
    " state TEXT NOT NULL, metric TEXT, val_score REAL, model TEXT,"
    " trainset TEXT, note TEXT, n_demos INTEGER NOT NULL DEFAULT 0,"
    " is_best INTEGER NOT NULL DEFAULT 0);"
    "CREATE UNIQUE INDEX programs_best ON programs(is_best) WHERE is_best = 1;"
    "CREATE TABLE llm_cache("
    " key TEXT PRIMARY KEY, response TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE INDEX conv_seller ON conversations(seller_id, id);"
    "CREATE INDEX conv_status ON conversations(status, id);"
    "CREATE INDEX conv_model ON conversations(model_overall, id);"
    "CREATE INDEX conv_human ON conversations(human_overall, id);"
    "CREATE INDEX conv_diff ON conversations(diff, id);"
    "CREATE INDEX conv_nmsg ON conversations(n_messages, id);"
    "CREATE INDEX conv_edge ON conversations(edge, id);";

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

static int exec(pool *p, const char *sql, char *err)
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
    }
    p->tx_depth++;
    return 0;
}

int pool_commit(pool *p, char *err)
{
    if (p->tx_depth == 0) return 0;
    if (--p->tx_depth > 0) return 0;
    int rc = 0;
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
    sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Schema version 2: scale.
 *
 * 1. The list indexes carry the filter columns (status, edge, diff, pred_id)
 *    after (sort column, id), so a windowed list walks one index in order
 *    and tests its filter on the index entry alone: no temp B-tree sort, no
 *    table lookup for the rows an OFFSET skips. The status tabs sorted by a
 *    score have their own (status, score, id) indexes; the edge-case tab
 *    (a small set by nature) is read from its index and sorted.
 * 2. conv_counts: conversations and messages per (seller, status, edge,
 *    scored), and score_agg: how many current scores have each value, per
 *    (run, kind, field, seller). Both are kept in step by triggers in the
 *    same transaction as the change, so counts, statistics and histograms
 *    read a few hundred rows instead of the pool. One exception: a new
 *    conversation is counted by put_convo itself, because a trigger on that
 *    INSERT would make SQLite keep a statement journal (a copy of every page
 *    the insert touches), which halved the import speed.
 *    score_agg kinds: 0 model (run_id 0: the conversation's current
 *    prediction; run_id R: its latest prediction of run R), 1 human (the
 *    current label when it is not skipped; run_id 0 only), 2 |model - human|
 *    for each model row that has a human label. Predictions and labels are
 *    append-only (labels are undone by flag), which the triggers rely on. */
#define SCORE_TYPES "IN ('integer','real')"

/* One upsert adding sign x the scores of prediction pred (kind 0), label
 * lab (kind 1) or both (kind 2) to score_agg under run and seller, when
 * cond holds. from/pre add tables the expressions may name. */
static void agg_stmt(sbuf *b, const char *run, int kind, const char *pred,
                     const char *lab, const char *seller, const char *sign,
                     const char *cond, const char *from)
{
    sbuf_add(b, "INSERT INTO score_agg(run_id, kind, field, seller_id, value, n) ");
    if (kind == 0)
        sbuf_addf(b, "SELECT %s, 0, a.key, %s, a.value, %s FROM %s predictions pr,"
                     " json_each(pr.scores) a WHERE pr.id = %s AND a.type "
                     SCORE_TYPES, run, seller, sign, from, pred);
    else if (kind == 1)
        sbuf_addf(b, "SELECT %s, 1, a.key, %s, a.value, %s FROM %s labels lb,"
                     " json_each(lb.scores) a WHERE lb.id = %s AND a.type "
                     SCORE_TYPES, run, seller, sign, from, lab);
    else
        sbuf_addf(b, "SELECT %s, 2, a.key, %s, round(abs(a.value - h.value), 4),"
                     " %s FROM %s predictions pr, json_each(pr.scores) a, labels lb,"
                     " json_each(lb.scores) h WHERE pr.id = %s AND lb.id = %s"
                     " AND a.key = h.key AND a.type " SCORE_TYPES " AND h.type "
                     SCORE_TYPES, run, seller, sign, from, pred, lab);
    sbuf_addf(b, " AND (%s) ON CONFLICT(run_id, kind, field, seller_id, value)"
                 " DO UPDATE SET n = n + excluded.n;", cond);
}

/* The contributions of one conversation row (o = "old" or "new") with the
 * given sign: run 0 model, human and difference; with runs set, also
 * those of each run's latest prediction (model only when seller changed
 * is the caller's business: it passes cond). */
static void agg_conv(sbuf *b, const char *o, const char *sign,
                     const char *runs_cond, const char *model_runs_cond)
{
    char pred[32], lab[32], sel[32], st2[48], cond[320];
    snprintf(pred, sizeof pred, "%s.pred_id", o);
    snprintf(lab, sizeof lab, "%s.label_id", o);
    snprintf(sel, sizeof sel, "%s.seller_id", o);
    snprintf(st2, sizeof st2, "%s.status = 2", o);
    agg_stmt(b, "0", 0, pred, NULL, sel, sign, "1", "");
    agg_stmt(b, "0", 1, NULL, lab, sel, sign, st2, "");
    agg_stmt(b, "0", 2, pred, lab, sel, sign, st2, "");
    char from[200];
    snprintf(from, sizeof from, "(SELECT run_id, max(id) AS id FROM predictions"
             " WHERE cid = %s.cid AND run_id IS NOT NULL GROUP BY run_id) lp,", o);
    snprintf(cond, sizeof cond, "%s", model_runs_cond);
    agg_stmt(b, "lp.run_id", 0, "lp.id", NULL, sel, sign, cond, from);
    snprintf(cond, sizeof cond, "(%s) AND %s", runs_cond, st2);
    agg_stmt(b, "lp.run_id", 2, "lp.id", lab, sel, sign, cond, from);
}

static char *schema_v2_new(void)
{
    sbuf b = {0};
    /* List indexes: (sort column, id, filter columns). */
    sbuf_add(&b,
        "DROP INDEX conv_seller; DROP INDEX conv_status; DROP INDEX conv_model;"
        "DROP INDEX conv_human; DROP INDEX conv_diff; DROP INDEX conv_nmsg;"
        "DROP INDEX conv_edge;"
        "CREATE INDEX conv_l_id ON conversations(id, status, edge, diff, pred_id);"
        "CREATE INDEX conv_l_seller ON conversations(seller_id, id, status, edge, diff, pred_id);"
        "CREATE INDEX conv_l_nmsg ON conversations(n_messages, id, status, edge, diff, pred_id);"
        "CREATE INDEX conv_l_model ON conversations(model_overall, id, status, edge, diff, pred_id);"
        "CREATE INDEX conv_l_human ON conversations(human_overall, id, status, edge, diff, pred_id);"
        "CREATE INDEX conv_l_diff ON conversations(diff, id, status, edge, pred_id);"
        "CREATE INDEX conv_l_status ON conversations(status, id, edge, diff, pred_id);"
        "CREATE INDEX conv_l_edge ON conversations(edge, id, status, diff, pred_id);"
        /* The queue's main tabs (status 1 and 2) sorted by a score: with
         * the plain index a window would first walk past every row without
         * a score (NULLs sort first) or of the other status. */
        "CREATE INDEX conv_s_model ON conversations(status, model_overall, id, edge, diff, pred_id);"
        "CREATE INDEX conv_s_human ON conversations(status, human_overall, id, edge, diff, pred_id);"
        "CREATE INDEX conv_s_diff ON conversations(status, diff, id, edge, pred_id);");
    /* Counts. */
    static const char *counts_key =
        "seller_id = X.seller_id AND status = X.status AND edge = X.edge AND "
        "scored = (X.pred_id IS NOT NULL)";
    sbuf_add(&b,
        "CREATE TABLE conv_counts("
        " seller_id TEXT NOT NULL, status INTEGER NOT NULL,"
        " edge INTEGER NOT NULL, scored INTEGER NOT NULL,"
        " n INTEGER NOT NULL, msgs INTEGER NOT NULL,"
        " PRIMARY KEY(seller_id, status, edge, scored)) WITHOUT ROWID;"
        "INSERT INTO conv_counts SELECT seller_id, status, edge,"
        " pred_id IS NOT NULL, count(*), sum(n_messages) FROM conversations"
        " WHERE 1 GROUP BY 1, 2, 3, 4;");
    const char *add_new =
        "INSERT INTO conv_counts VALUES(new.seller_id, new.status, new.edge,"
        " new.pred_id IS NOT NULL, 1, new.n_messages)"
        " ON CONFLICT(seller_id, status, edge, scored) DO UPDATE SET"
        " n = n + 1, msgs = msgs + excluded.msgs;";
    sbuf sub = {0};
    for (const char *c = counts_key; *c; c++) {
        if (*c == 'X') sbuf_add(&sub, "old");
        else sbuf_addc(&sub, *c);
    }
    sbuf_addf(&b, "CREATE TRIGGER conv_counts_upd AFTER UPDATE OF seller_id,"
                  " status, edge, pred_id, n_messages ON conversations WHEN"
                  " old.seller_id IS NOT new.seller_id OR old.status IS NOT"
                  " new.status OR old.edge IS NOT new.edge OR"
                  " (old.pred_id IS NULL) <> (new.pred_id IS NULL) OR"
                  " old.n_messages IS NOT new.n_messages BEGIN"
                  " UPDATE conv_counts SET n = n - 1, msgs = msgs - old.n_messages"
                  " WHERE %s; %s END;", sub.s, add_new);
    sbuf_addf(&b, "CREATE TRIGGER conv_counts_del AFTER DELETE ON conversations"
                  " BEGIN UPDATE conv_counts SET n = n - 1,"
                  " msgs = msgs - old.n_messages WHERE %s; END;", sub.s);
    sbuf_free(&sub);
    /* Score distributions. */
    sbuf_add(&b,
        "CREATE TABLE score_agg("
        " run_id INTEGER NOT NULL, kind INTEGER NOT NULL, field TEXT NOT NULL,"
        " seller_id TEXT NOT NULL, value REAL NOT NULL, n INTEGER NOT NULL,"
        " PRIMARY KEY(run_id, kind, field, seller_id, value)) WITHOUT ROWID;");
    /* Filled from the current state, one statement per part. */
    sbuf_add(&b,
        "INSERT INTO score_agg SELECT 0, 0, a.key, c.seller_id, a.value, count(*)"
        " FROM conversations c JOIN predictions pr ON pr.id = c.pred_id,"
        " json_each(pr.scores) a WHERE a.type " SCORE_TYPES " GROUP BY 3, 4, 5;"
        "INSERT INTO score_agg SELECT 0, 1, a.key, c.seller_id, a.value, count(*)"
        " FROM conversations c JOIN labels lb ON lb.id = c.label_id,"
        " json_each(lb.scores) a WHERE c.status = 2 AND a.type " SCORE_TYPES
        " GROUP BY 3, 4, 5;"
        "INSERT INTO score_agg SELECT 0, 2, a.key, c.seller_id,"
        " round(abs(a.value - h.value), 4), count(*) FROM conversations c"
        " JOIN predictions pr ON pr.id = c.pred_id JOIN labels lb ON"
        " lb.id = c.label_id, json_each(pr.scores) a, json_each(lb.scores) h"
        " WHERE c.status = 2 AND a.key = h.key AND a.type " SCORE_TYPES
        " AND h.type " SCORE_TYPES " GROUP BY 3, 4, 5;"
        "INSERT INTO score_agg SELECT lp.run_id, 0, a.key, c.seller_id, a.value,"
        " count(*) FROM (SELECT run_id, cid, max(id) AS id FROM predictions"
        " WHERE run_id IS NOT NULL GROUP BY run_id, cid) lp JOIN conversations c"
        " ON c.cid = lp.cid JOIN predictions pr ON pr.id = lp.id,"
        " json_each(pr.scores) a WHERE a.type " SCORE_TYPES
        " GROUP BY 1, 3, 4, 5;"
        "INSERT INTO score_agg SELECT lp.run_id, 2, a.key, c.seller_id,"
        " round(abs(a.value - h.value), 4), count(*) FROM (SELECT run_id, cid,"
        " max(id) AS id FROM predictions WHERE run_id IS NOT NULL"
        " GROUP BY run_id, cid) lp JOIN conversations c ON c.cid = lp.cid"
        " JOIN predictions pr ON pr.id = lp.id JOIN labels lb ON"
        " lb.id = c.label_id, json_each(pr.scores) a, json_each(lb.scores) h"
        " WHERE c.status = 2 AND a.key = h.key AND a.type " SCORE_TYPES
        " AND h.type " SCORE_TYPES " GROUP BY 1, 3, 4, 5;");
    /* A conversation's state changed (pool_refresh_state, re-import). */
    const char *human_chg = "old.label_id IS NOT new.label_id OR old.status IS"
                            " NOT new.status OR old.seller_id IS NOT new.seller_id";
    sbuf_add(&b, "CREATE TRIGGER score_agg_conv AFTER UPDATE OF pred_id,"
                 " label_id, status, seller_id ON conversations WHEN"
                 " old.pred_id IS NOT new.pred_id OR old.label_id IS NOT"
                 " new.label_id OR old.status IS NOT new.status OR"
                 " old.seller_id IS NOT new.seller_id BEGIN ");
    agg_conv(&b, "old", "-1", human_chg, "old.seller_id IS NOT new.seller_id");
    agg_conv(&b, "new", "1", human_chg, "old.seller_id IS NOT new.seller_id");
    sbuf_add(&b, "END;");
    sbuf_add(&b, "CREATE TRIGGER score_agg_conv_del BEFORE DELETE ON conversations BEGIN ");
    agg_conv(&b, "old", "-1", "1", "1");
    sbuf_add(&b, "END;");
    /* A prediction of a run replaces the conversation's previous one of
     * that run (run 0 follows from the state update that comes next). */
    sbuf_add(&b, "CREATE TRIGGER score_agg_pred AFTER INSERT ON predictions"
                 " WHEN new.run_id IS NOT NULL BEGIN ");
    const char *conv = "conversations c,";
    const char *prev = "(SELECT max(id) FROM predictions WHERE run_id = new.run_id"
                       " AND cid = new.cid AND id < new.id)";
    char sel_prev[256];
    snprintf(sel_prev, sizeof sel_prev, "%s", prev);
    agg_stmt(&b, "new.run_id", 0, sel_prev, NULL, "c.seller_id", "-1",
             "c.cid = new.cid", conv);
    agg_stmt(&b, "new.run_id", 2, sel_prev, "c.label_id", "c.seller_id", "-1",
             "c.cid = new.cid AND c.status = 2", conv);
    agg_stmt(&b, "new.run_id", 0, "new.id", NULL, "c.seller_id", "1",
             "c.cid = new.cid", conv);
    agg_stmt(&b, "new.run_id", 2, "new.id", "c.label_id", "c.seller_id", "1",
             "c.cid = new.cid AND c.status = 2", conv);
    sbuf_add(&b, "END;");
    return sbuf_take(&b);
}

/* Schema 2 as an early development build wrote it counted new
 * conversations with a trigger (which put_convo now does itself: they
 * would count twice) and lacked the conv_s_* indexes. Such a pool is
 * brought to the final schema 2: one cheap look at sqlite_master per open. */
static int repair_early_v2(pool *p, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND"
        " name = 'conv_counts_ins') + (SELECT count(*) = 0 FROM sqlite_master"
        " WHERE type = 'index' AND name = 'conv_s_diff')", err);
    if (!s) return -1;
    int early = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0;
    sqlite3_finalize(s);
    if (!early) return 0;
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = exec(p,
        "DROP TRIGGER IF EXISTS conv_counts_ins;"
        "CREATE INDEX IF NOT EXISTS conv_s_model ON conversations(status, model_overall, id, edge, diff, pred_id);"
        "CREATE INDEX IF NOT EXISTS conv_s_human ON conversations(status, human_overall, id, edge, diff, pred_id);"
        "CREATE INDEX IF NOT EXISTS conv_s_diff ON conversations(status, diff, id, edge, pred_id);"
        "DELETE FROM conv_counts;"
        "INSERT INTO conv_counts SELECT seller_id, status, edge,"
        " pred_id IS NOT NULL, count(*), sum(n_messages) FROM conversations"
        " WHERE 1 GROUP BY 1, 2, 3, 4;", err) == 0;
    return pool_tx_close(p, ok, err);
}

static int migrate(pool *p, char *err)
{
    sqlite3_stmt *s = pool_prepare(p, "PRAGMA user_version", err);
    if (!s) return -1;
    int v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_finalize(s);
    if (v > POOL_SCHEMA_VERSION) {
        err_set(err, "%s: this pool was written by a newer curate (schema %d; "
                "this curate knows up to %d): upgrade curate; nothing was "
                "changed", p->path, v, POOL_SCHEMA_VERSION);
        return -1;
    }
    if (v == POOL_SCHEMA_VERSION) return repair_early_v2(p, err);
    /* All steps run in one transaction with the user_version bump; the
     * version is read again under the write lock in case another process
     * migrated meanwhile. */
    if (pool_tx_open(p, err) < 0) return -1;
    s = pool_prepare(p, "PRAGMA user_version", err);
    if (!s) return pool_tx_close(p, 0, err);
    v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_finalize(s);
    if (v >= POOL_SCHEMA_VERSION) return pool_tx_close(p, 1, err);
    int ok = 1;
    if (v < 1) ok = exec(p, schema_v1, err) == 0;
    if (ok && v < 2) {
        char *v2 = schema_v2_new();
        ok = exec(p, v2, err) == 0;
        free(v2);
    }
    if (ok) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
                 POOL_SCHEMA_VERSION);
        ok = exec(p, sql, err) == 0;
    }
    return pool_tx_close(p, ok, err);
}

/* Statement journals stay in memory up to this size. A statement that
 * fires triggers inside a caller's transaction (a stored prediction:
 * score_agg, conv_counts, a dozen list indexes) keeps a statement journal,
 * a copy of every page it touches; SQLite's default spills it to a temp
 * file past 64 KiB, which made the file system the biggest cost of
 * scoring (open, write, unlink per result). Only statements bigger than
 * this still go to a file. A process-wide setting, so set once, before
 * SQLite initialises (ignored if something initialised it earlier). */
#define STMT_JOURNAL_SPILL (4 << 20)

static pthread_once_t sqlite_setup_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, STMT_JOURNAL_SPILL);
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

static pool *open_common(const char *path, int flags, char *err)
{
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
    return p;
}

pool *pool_open(const char *path, char *err)
{
    /* Create the file ourselves with mode 0600: it holds months of human
     * work and model output nobody else should read. Only when it does not
     * exist: open()+close() of a pool this process already has open (the
     * TUI's background jobs open a second connection) would release every
     * POSIX lock SQLite holds on it, and another process could then
     * checkpoint and delete the WAL under us (lost writes). */
    struct stat st;
    int fd;
    if (stat(path, &st) == 0) {
        if (access(path, W_OK) == 0) fd = INT_MAX;   /* exists, writable */
        else fd = -1;
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
                          SQLITE_OPEN_FULLMUTEX, err);
    if (!p) return NULL;
    char e2[ERR_MAX];
    sqlite3_stmt *s = pool_prepare(p, "PRAGMA journal_mode=WAL", e2);
    if (!s || sqlite3_step(s) != SQLITE_ROW) {
        if (s) sqlite3_finalize(s);
        if (sqlite3_errcode(p->db) == SQLITE_NOTADB)
            err_set(err, "%s: not a curate pool (not an SQLite database)",
                    path);
        else
            pool_sql_err(p, "open", err);
        pool_close(p);
        return NULL;
    }
    sqlite3_finalize(s);
    if (exec(p, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", err) < 0 ||
        migrate(p, err) < 0) {
        pool_close(p);
        return NULL;
    }
    return p;
}

pool *pool_open_readonly(const char *path, char *err)
{
    pool *p = open_common(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX,
                          err);
    if (!p) return NULL;
    sqlite3_stmt *s = pool_prepare(p, "PRAGMA user_version", err);
    int v = s && sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    if (s) sqlite3_finalize(s);
    if (v > 0 && v < POOL_SCHEMA_VERSION) {
        err_set(err, "%s: the pool has schema %d and needs an upgrade to %d, "
                "which a read-only open cannot do: run any curate command "
                "that writes (e.g. `curate init`) once", path, v,
                POOL_SCHEMA_VERSION);
        pool_close(p);
        return NULL;
    }
    if (v != POOL_SCHEMA_VERSION) {
        err_set(err, "%s: not a curate pool of schema %d (found %d)", path,
                POOL_SCHEMA_VERSION, v);
        pool_close(p);
        return NULL;
    }
    return p;
}

void pool_close(pool *p)
{
    if (!p) return;
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(p->st[i]);
    free(p->anchor.sig);
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

static int put_convo(pool *p, const convo *c, const char *source, int *changed,
                     char *err)
{
    char hash[17];
    static const char hex[] = "0123456789abcdef";
    uint64_t h = convo_content_hash(c);
    for (int i = 15; i >= 0; i--, h >>= 4) hash[i] = hex[h & 15];
    hash[16] = '\0';
    sqlite3_stmt *s = pool_stmt(p, ST_CONV_GET_HASH,
        "SELECT cid, content_hash, msg_first, msg_last FROM conversations "
        "WHERE id = ?", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, c->id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        int64_t cid = sqlite3_column_int64(s, 0);
        int same = strcmp((const char *)sqlite3_column_text(s, 1), hash) == 0;
        int64_t f0 = sqlite3_column_int64(s, 2), l0 = sqlite3_column_int64(s, 3);
        sqlite3_reset(s);
        if (same) { *changed = 0; return 0; }
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
        *changed = 1;
        return 0;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "lookup conversation", err);
    int64_t first = next_mid(p, err);
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
    sqlite3_bind_int64(ins, 11, util_now());
    rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "insert conversation", err);
    int64_t cid = sqlite3_last_insert_rowid(p->db);
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

int pool_put_convo(pool *p, const convo *c, const char *source, int *changed,
                   char *err)
{
    int dummy;
    if (!changed) changed = &dummy;
    if (!c->id || !*c->id) {
        err_set(err, "conversation without an id");
        return -1;
    }
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = put_convo(p, c, source, changed, err) == 0;
    return pool_tx_close(p, ok, err);
}

convo *pool_get_convo_new(pool *p, const char *id, char *err)
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
    s = pool_stmt(p, ST_MSG_RANGE, "SELECT ts, sender, role, text FROM messages "
                  "WHERE mid BETWEEN ? AND ? AND cid = ? ORDER BY mid", err);
    if (!s) { convo_free(c); return NULL; }
    sqlite3_bind_int64(s, 1, first);
    sqlite3_bind_int64(s, 2, last);
    sqlite3_bind_int64(s, 3, cid);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        convo_add_msg(c, sqlite3_column_int64(s, 0),
                      (const char *)sqlite3_column_text(s, 1),
                      (msg_role)sqlite3_column_int(s, 2),
                      (const char *)sqlite3_column_text(s, 3));
    if (rc != SQLITE_DONE) {
        pool_sql_err(p, "get messages", err);
        sqlite3_reset(s);
        convo_free(c);
        return NULL;
    }
    sqlite3_reset(s);
    return c;
}

/* ---- runs ---- */

int pool_run_start(pool *p, const char *kind, const char *backend,
                   const char *model, int64_t program_id,
                   const char *params_json, int64_t *run_id, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "INSERT INTO runs(kind, status, backend, model, program_id, params, "
        "started_at) VALUES(?, 'running', ?, ?, ?, ?, ?)", err);
    if (!s) return -1;
    pool_bind_text(s, 1, kind);
    pool_bind_text(s, 2, backend);
    pool_bind_text(s, 3, model);
    if (program_id > 0) sqlite3_bind_int64(s, 4, program_id);
    pool_bind_text(s, 5, params_json);
    sqlite3_bind_int64(s, 6, util_now());
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
    sqlite3_bind_int64(s, 3, util_now());
    sqlite3_bind_int64(s, 4, run_id);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "finish run", err);
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
    sqlite3_bind_int64(s, 3, util_now());
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "cache", err);
    return 0;
}

/* ---- maintenance ---- */

int pool_backup(pool *p, const char *dest, char *err)
{
    sqlite3 *out = NULL;
    int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        err_set(err, "%s: %s", dest, errno == EEXIST ? "already exists "
                "(refusing to overwrite)" : strerror(errno));
        return -1;
    }
    close(fd);
    if (sqlite3_open(dest, &out) != SQLITE_OK) {
        err_set(err, "%s: %s", dest, out ? sqlite3_errmsg(out) : "out of memory");
        sqlite3_close(out);
        unlink(dest);
        return -1;
    }
    sqlite3_backup *b = sqlite3_backup_init(out, "main", p->db, "main");
    int rc = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
    if (b) sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        err_set(err, "%s: backup failed: %s", dest, sqlite3_errmsg(out));
        sqlite3_close(out);
        unlink(dest);
        return -1;
    }
    sqlite3_close(out);
    return 0;
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
