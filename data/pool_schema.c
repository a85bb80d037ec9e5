/* pool_schema.c: the pool's schema and its PRAGMA user_version
 * migrations (see pool_int.h: pool_migrate). */
#define _POSIX_C_SOURCE 200809L
#include "pool_int.h"
#include "../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Schema version 3: a text index for the queue's search.
 *
 * conv_search is an FTS5 trigram index with one document per conversation:
 * its id, seller and messages, one per line, ASCII-lowercased (conv_doc, a
 * view, is the external content: the text is not stored twice). Lowercasing
 * in the document and in the query, with a case-sensitive tokenizer, gives
 * exactly the semantics of the unindexed search (LIKE: ASCII letters fold,
 * nothing else), so an indexed and an unindexed conversation match the same
 * terms. A phrase query of trigrams with positions (detail=full) is an exact
 * substring test: no row has to be read back to confirm a match.
 *
 * The index is filled behind imports, not by them (it costs about twice
 * what the import itself does): search_state.upto is the highest cid
 * indexed; conversations above it are searched by a scan until `curate
 * index` or the workbench's background indexer reaches them. A conversation
 * at or below upto whose content changes is re-indexed by put_convo in the
 * same transaction, and any replaced conversation bumps search_state.gen
 * (a connection's cached matches of a term are then stale).
 *
 * conv_state: the filter columns by cid, so a search's matches (a set of
 * cids) are tested against a tab's filter with a narrow index lookup each. */
static const char *schema_v3 =
    "CREATE VIEW conv_doc(cid, doc) AS SELECT c.cid, lower(c.id || char(10) ||"
    " c.seller_id || char(10) || coalesce((SELECT group_concat(m.text, char(10))"
    " FROM messages m WHERE m.mid BETWEEN c.msg_first AND c.msg_last AND"
    " m.cid = c.cid), '')) FROM conversations c;"
    "CREATE VIRTUAL TABLE conv_search USING fts5(doc, content='conv_doc',"
    " content_rowid='cid', tokenize='trigram case_sensitive 1', columnsize=0);"
    /* Fewer, larger merges while it is filled in many small transactions:
     * a fifth faster to build, no slower to query (measured). */
    "INSERT INTO conv_search(conv_search, rank) VALUES('automerge', 8);"
    "CREATE TABLE search_state(upto INTEGER NOT NULL, gen INTEGER NOT NULL);"
    "INSERT INTO search_state VALUES(0, 0);"
    "CREATE INDEX conv_state ON conversations(cid, status, edge, pred_id, diff,"
    " seller_id);";

/* Schema version 4: the review model (labels, edge marks and notes as
 * events for a team; the journal behind undo).
 *
 * Every event row gets a globally unique uid (128-bit random hex) so that a
 * later sync can exchange events idempotently. A label records the
 * prediction (and run) it reviewed, its role (review | adjudication) and
 * nullable rationale/comment columns. Edge marks can be undone (the
 * current mark is the latest not undone). notes: free notes on a
 * conversation. actions: the journal of each reviewer's actions in order;
 * undo flags a row undone (undone_by = the 'undo' row that did it).
 * Existing labels and edge marks are journaled in the order they were
 * made, so they can be undone like new ones. */
static const char *schema_v4 =
    "ALTER TABLE labels ADD COLUMN uid TEXT;"
    "ALTER TABLE labels ADD COLUMN role TEXT NOT NULL DEFAULT 'review'"
    " CHECK(role IN ('review','adjudication'));"
    "ALTER TABLE labels ADD COLUMN pred_id INTEGER;"
    "ALTER TABLE labels ADD COLUMN run_id INTEGER;"
    "ALTER TABLE labels ADD COLUMN rationale TEXT;"
    "ALTER TABLE labels ADD COLUMN comment TEXT;"
    "UPDATE labels SET uid = lower(hex(randomblob(16)));"
    "CREATE UNIQUE INDEX labels_uid ON labels(uid);"
    "CREATE INDEX labels_reviewer ON labels(cid, reviewer, id);"
    "ALTER TABLE edge_marks ADD COLUMN uid TEXT;"
    "ALTER TABLE edge_marks ADD COLUMN undone_at INTEGER;"
    "UPDATE edge_marks SET uid = lower(hex(randomblob(16)));"
    "CREATE UNIQUE INDEX edge_marks_uid ON edge_marks(uid);"
    "CREATE TABLE notes("
    " id INTEGER PRIMARY KEY,"
    " uid TEXT NOT NULL UNIQUE,"
    " cid INTEGER NOT NULL REFERENCES conversations(cid) ON DELETE CASCADE,"
    " reviewer TEXT NOT NULL, text TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, undone_at INTEGER);"
    "CREATE INDEX notes_cid ON notes(cid, id);"
    "CREATE TABLE actions("
    " id INTEGER PRIMARY KEY,"
    " uid TEXT NOT NULL UNIQUE,"
    " reviewer TEXT NOT NULL,"
    " kind TEXT NOT NULL CHECK(kind IN ('label','skip','edge_mark',"
    "  'edge_unmark','note','undo')),"
    " cid INTEGER NOT NULL REFERENCES conversations(cid) ON DELETE CASCADE,"
    " ref INTEGER,"          /* labels/edge_marks/notes id; undo: actions id */
    " created_at INTEGER NOT NULL,"
    " undone_at INTEGER, undone_by INTEGER);"
    "CREATE INDEX actions_reviewer ON actions(reviewer, id);"
    "CREATE INDEX actions_cid ON actions(cid, id);"
    "INSERT INTO actions(uid, reviewer, kind, cid, ref, created_at, undone_at)"
    " SELECT lower(hex(randomblob(16))), reviewer, kind, cid, id, created_at,"
    " undone_at FROM (SELECT reviewer, CASE status WHEN 'skipped' THEN 'skip'"
    " ELSE 'label' END AS kind, cid, id, created_at, undone_at, 0 AS t"
    " FROM labels UNION ALL SELECT reviewer, CASE marked WHEN 1 THEN"
    " 'edge_mark' ELSE 'edge_unmark' END, cid, id, created_at, NULL, 1"
    " FROM edge_marks) ORDER BY created_at, t, id;";

/* Schema version 5: hardening (issue 13).
 *
 * 1. application_id marks the file as a curate pool (pool.c recognises a
 *    pool by it, or, for pools made before it, by user_version and the
 *    core tables), so no command converts somebody else's database.
 * 2. runs.owner_*: the process that runs it (pid, its start time in clock
 *    ticks since boot, the boot id, the host), so an open can tell a run
 *    whose process died (kill -9, a lost terminal) from one that is live.
 *    Runs left "running" by a curate that did not record an owner are
 *    marked interrupted here.
 * 3. labels.content_hash: the conversation's content hash the label was
 *    made on. A label whose hash differs from the conversation's is stale
 *    (the content changed on re-import): it stays in the history but is
 *    no longer the conversation's label. Existing labels get their
 *    conversation's current hash.
 * 4. pool_meta: key/value facts about the pool: 'rubric' (the canonical
 *    JSON of the rubric its labels and predictions were made under),
 *    'made_by' ('demo' for a pool `curate demo` created).
 * 5. The search index's documents are parts of a conversation, not the
 *    whole: SEARCH_PART messages each (the first part also holds the id and
 *    the seller), rowid = cid * 2^20 + part. Filling the index then takes
 *    memory for one part, whatever the size of a conversation (one of a
 *    million messages took 480 MB as one document). A search term never
 *    holds a line break, and the parts are split between messages, so a
 *    conversation matches exactly when one of its parts does. The index is
 *    rebuilt from empty (`curate index`; scans answer meanwhile). */
/* Messages per search document (a text constant: it is spliced into SQL);
 * must stay below 2^20 (the part number's bits of a rowid). */
#define SEARCH_PART "1024"
/* The conversation's sender names, each once, a line each (schema 16): the
 * first part of its document holds them (a line break ends a non-empty
 * list). */
#define SEARCH_SENDERS \
    "coalesce((SELECT group_concat(s, char(10)) || char(10) FROM (SELECT" \
    " DISTINCT m.sender AS s FROM messages m WHERE m.mid BETWEEN c.msg_first" \
    " AND c.msg_last AND m.cid = c.cid AND m.sender <> '')), '')"

static const char *schema_v5 =
    "PRAGMA application_id = 1129665089;"   /* 0x43555241, "CURA" */
    "ALTER TABLE runs ADD COLUMN owner_pid INTEGER;"
    "ALTER TABLE runs ADD COLUMN owner_start INTEGER;"
    "ALTER TABLE runs ADD COLUMN owner_boot TEXT;"
    "ALTER TABLE runs ADD COLUMN owner_host TEXT;"
    "UPDATE runs SET status = 'interrupted', finished_at ="
    " coalesce(finished_at, CAST(strftime('%s', 'now') AS INTEGER))"
    " WHERE status = 'running';"
    "ALTER TABLE labels ADD COLUMN content_hash TEXT;"
    "UPDATE labels SET content_hash = (SELECT content_hash FROM conversations c"
    " WHERE c.cid = labels.cid);"
    "CREATE TABLE pool_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    /* A pool made by an older `curate demo` (nothing but its data) is
     * recognised as a demo pool, so `make demo` can still reset it. */
    "INSERT INTO pool_meta SELECT 'made_by', 'demo' WHERE EXISTS (SELECT 1"
    " FROM conversations) AND NOT EXISTS (SELECT 1 FROM conversations WHERE"
    " source IS NOT 'demo') AND NOT EXISTS (SELECT 1 FROM labels WHERE"
    " reviewer <> 'demo') AND NOT EXISTS (SELECT 1 FROM edge_marks WHERE"
    " reviewer <> 'demo');";

/* Part 5 of schema 5, also applied on its own to a pool whose schema 5
 * was written by an early build without it (see repair_search_parts). */
static const char *schema_v5_search =
    "DROP TABLE IF EXISTS conv_search; DROP VIEW IF EXISTS conv_doc;"
    /* Most conversations are one part: read as before, in one pass; only
     * the long ones are cut (each part found by its first message). */
    "CREATE VIEW conv_doc(rid, doc, cid) AS"
    " SELECT c.cid * 1048576, lower(c.id || char(10) || c.seller_id ||"
    " char(10) || " SEARCH_SENDERS " || coalesce((SELECT group_concat(m.text, char(10)) FROM messages m"
    " WHERE m.mid BETWEEN c.msg_first AND c.msg_last AND m.cid = c.cid), '')),"
    " c.cid FROM conversations c WHERE c.n_messages <= " SEARCH_PART
    " UNION ALL"
    " SELECT c.cid * 1048576 + (m0.mid - c.msg_first) / " SEARCH_PART ","
    " lower(CASE WHEN m0.mid = c.msg_first THEN c.id || char(10) || c.seller_id"
    " || char(10) || " SEARCH_SENDERS " ELSE '' END || (SELECT group_concat(m.text, char(10)) FROM"
    " messages m WHERE m.mid BETWEEN m0.mid AND min(m0.mid + " SEARCH_PART " - 1,"
    " c.msg_last) AND m.cid = c.cid)), c.cid"
    /* CROSS JOIN and +m0.cid: walk c, then m0 by its rowid range (the
     * planner otherwise scans messages or builds an index on m0.cid). */
    " FROM conversations c CROSS JOIN messages m0 ON m0.mid BETWEEN c.msg_first AND"
    " c.msg_last AND +m0.cid = c.cid WHERE c.n_messages > " SEARCH_PART
    " AND (m0.mid - c.msg_first) % " SEARCH_PART " = 0;"
    "CREATE VIRTUAL TABLE conv_search USING fts5(doc, content='conv_doc',"
    " content_rowid='rid', tokenize='trigram case_sensitive 1', columnsize=0);"
    "INSERT INTO conv_search(conv_search, rank) VALUES('automerge', 8);"
    "UPDATE search_state SET upto = 0, gen = gen + 1;";

/* Schema version 11: team review. assignments: which reviewer is to
 * review which conversation (curate assign), one row per pair, kept once
 * done (done = the reviewer has a label of it). sync_ids: see
 * data/pool_sync.h. IF NOT EXISTS: tests
 * take a pool back to an older version by hand and upgrade it again. */
static const char *schema_v11 =
    "CREATE TABLE IF NOT EXISTS assignments("
    " cid INTEGER NOT NULL REFERENCES conversations(cid) ON DELETE CASCADE,"
    " reviewer TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " PRIMARY KEY(cid, reviewer)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS assignments_reviewer ON assignments(reviewer, cid);"
    /* curate sync (data/pool_sync.h): each local row's global uid, and
     * items seen in the store but not kept (local_id NULL) */
    "CREATE TABLE IF NOT EXISTS sync_ids("
    " uid TEXT PRIMARY KEY, kind INTEGER NOT NULL, local_id INTEGER) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX IF NOT EXISTS sync_ids_local ON sync_ids(kind, local_id)"
    " WHERE local_id IS NOT NULL;";

/* Schema version 16: the reviewer's day.
 * 1. The search documents hold the conversation's sender names
 *    (SEARCH_SENDERS in schema_v5_search, applied again here): `/García`
 *    finds a customer of that name. The index is rebuilt from empty
 *    (`curate index` or the workbench, in the background; scans answer
 *    meanwhile). Imports are untouched: they never fill the index.
 * 2. predictions_failed, labels_skipped: partial indexes over the (few)
 *    failed predictions and skips, from which the Failed and Skipped tabs
 *    are read; nothing is added to the index for the other rows.
 * 3. actions_reviewer_time: a reviewer's actions of one day (the progress
 *    line's "12 today") are one index range, not everything they ever did. */
static const char *schema_v16 =
    "CREATE INDEX IF NOT EXISTS predictions_failed ON predictions(cid)"
    " WHERE status = 'failed';"
    "CREATE INDEX IF NOT EXISTS labels_skipped ON labels(reviewer, cid)"
    " WHERE status = 'skipped';"
    "CREATE INDEX IF NOT EXISTS actions_reviewer_time ON actions(reviewer,"
    " created_at);";

/* Schema version 17: batches (issue 17, bulk accept). A batch is one bulk
 * action of a reviewer (kind 'bulk accept', what: its filter in words, n:
 * the actions it holds); each journal row it wrote names it in
 * actions.batch, so one undo reverts the whole batch. Written to be
 * applied again harmlessly (see pool_migrate). */
static const char *schema_v17 =
    "CREATE TABLE IF NOT EXISTS batches("
    " id INTEGER PRIMARY KEY,"
    " uid TEXT NOT NULL UNIQUE,"
    " reviewer TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " what TEXT,"
    " n INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL);";

/* Schema version 18 (issue 15, import speed): the status tabs' score
 * indexes hold only the rows of those tabs (status 1, to review, and 2,
 * reviewed; the only filters list_index reads them for). A conversation
 * that is not scored yet (status 0, every row of a fresh import) or
 * skipped is in none of them, so an import builds three indexes fewer and
 * scoring or skipping touches three fewer entries. SQLite uses such an
 * index for `status = 1` or `status = 2` (the OR names each). Likewise the
 * disagreement index holds only the rows with a field difference (a model
 * and a human score): it is only read for `fdiff >= ?`, which implies it.
 * And a prediction records whether its answer came through the JSON
 * fallback (predictions.json_fallback, added in pool_migrate). */
#define CONV_S_INDEXES \
    "CREATE INDEX IF NOT EXISTS conv_s_model ON conversations(status," \
    " model_overall, id, edge, diff, pred_id) WHERE status = 1 OR status = 2;" \
    "CREATE INDEX IF NOT EXISTS conv_s_human ON conversations(status," \
    " human_overall, id, edge, diff, pred_id) WHERE status = 1 OR status = 2;" \
    "CREATE INDEX IF NOT EXISTS conv_s_diff ON conversations(status, diff," \
    " id, edge, pred_id) WHERE status = 1 OR status = 2;"
static const char *schema_v18 =
    "DROP INDEX IF EXISTS conv_s_model; DROP INDEX IF EXISTS conv_s_human;"
    " DROP INDEX IF EXISTS conv_s_diff;" CONV_S_INDEXES
    "DROP INDEX IF EXISTS conv_l_fdiff;"
    "CREATE INDEX conv_l_fdiff ON conversations(fdiff, id, status, edge,"
    " pred_id) WHERE fdiff IS NOT NULL;";

/* Schema 2 as an early development build wrote it counted new
 * conversations with a trigger (which put_convo now does itself: they
 * would count twice) and lacked the conv_s_* indexes. Such a pool is
 * brought to the final schema 2: one cheap look at sqlite_master per open. */
static int repair_early_v2(pool *p, char *err)
{
    /* A bulk load has conv_s_diff out on purpose (pool_bulk.c). */
    if (pool_bulk_pending(p)) return 0;
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND"
        " name = 'conv_counts_ins') + (SELECT count(*) = 0 FROM sqlite_master"
        " WHERE type = 'index' AND name = 'conv_s_diff')", err);
    if (!s) return -1;
    int early = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0;
    sqlite3_finalize(s);
    if (!early) return 0;
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = pool_exec(p,
        "DROP TRIGGER IF EXISTS conv_counts_ins;"
        CONV_S_INDEXES
        "DELETE FROM conv_counts;"
        "INSERT INTO conv_counts SELECT seller_id, status, edge,"
        " pred_id IS NOT NULL, count(*), sum(n_messages) FROM conversations"
        " WHERE 1 GROUP BY 1, 2, 3, 4;", err) == 0;
    return pool_tx_close(p, ok, err);
}

static int has_column(pool *p, const char *table, const char *col)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT 1 FROM pragma_table_info('%s') WHERE name = '%s'",
             table, col);
    sqlite3_stmt *s = pool_prepare(p, sql, NULL);
    if (!s) return 0;
    int has = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return has;
}

/* Schema 17's column of the journal (actions.batch), when the journal is
 * there and lacks it (schema 4 may come later: repair_missing_v4). */
static int add_batch_column(pool *p, char *err)
{
    if (!has_column(p, "actions", "id") || has_column(p, "actions", "batch"))
        return 0;
    return pool_exec(p, "ALTER TABLE actions ADD COLUMN batch INTEGER"
                        " REFERENCES batches(id);"
                        "CREATE INDEX actions_batch ON actions(batch, id)"
                        " WHERE batch IS NOT NULL;", err);
}

/* Schema 4 is numbered below steps that other branches added first (5,
 * 8, 11): a pool a build without it brought to a higher version lacks it.
 * Such a pool gets the step now (its tables are missing: all of it is,
 * steps being one transaction each); one cheap look per open. */
static int repair_missing_v4(pool *p, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT count(*) = 0 FROM sqlite_master WHERE type = 'table' AND"
        " name = 'actions'", err);
    if (!s) return -1;
    int missing = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (!missing) return 0;
    if (pool_tx_open(p, err) < 0) return -1;
    s = pool_prepare(p, "SELECT count(*) = 0 FROM sqlite_master WHERE"
                        " type = 'table' AND name = 'actions'", err);
    int ok = s != NULL;
    missing = ok && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
    if (s) sqlite3_finalize(s);
    if (ok && missing) ok = pool_exec(p, schema_v4, err) == 0 &&
                            pool_exec(p, schema_v17, err) == 0 &&
                            add_batch_column(p, err) == 0;
    return pool_tx_close(p, ok, err);
}

/* Schema 16 may likewise be numbered below a step another branch added
 * first: a pool without its index gets the step now (one cheap look per
 * open). */
static int repair_missing_v16(pool *p, char *err)
{
    static const char *look = "SELECT count(*) = 0 FROM sqlite_master WHERE"
                              " type = 'index' AND name = 'predictions_failed'";
    sqlite3_stmt *s = pool_prepare(p, look, err);
    if (!s) return -1;
    int missing = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (!missing) return 0;
    if (pool_tx_open(p, err) < 0) return -1;
    s = pool_prepare(p, look, err);
    int ok = s != NULL;
    missing = ok && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
    if (s) sqlite3_finalize(s);
    if (ok && missing) ok = pool_exec(p, schema_v16, err) == 0 &&
                            pool_exec(p, schema_v5_search, err) == 0;
    return pool_tx_close(p, ok, err);
}

int pool_search_parts_missing(pool *p)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(p->db, "SELECT (SELECT count(*) FROM sqlite_master"
            " WHERE name = 'conv_doc') > 0 AND (SELECT count(*) FROM"
            " pragma_table_info('conv_doc') WHERE name = 'rid') = 0", -1, &s,
            NULL) != SQLITE_OK)
        return 0;
    int missing = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return missing;
}

/* A pool whose schema 5 came from an early build has the search index of
 * schema 3 (one document per conversation): bring it to parts (the index
 * starts empty again; scans answer meanwhile). One cheap look per open. */
static int repair_search_parts(pool *p, char *err)
{
    if (!pool_search_parts_missing(p)) return 0;
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = !pool_search_parts_missing(p) ||
             pool_exec(p, schema_v5_search, err) == 0;
    return pool_tx_close(p, ok, err);
}


int pool_migrate(pool *p, char *err)
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
    if (v == POOL_SCHEMA_VERSION)
        return repair_early_v2(p, err) < 0 || repair_search_parts(p, err) < 0
               || repair_missing_v4(p, err) < 0 ? -1 : repair_missing_v16(p, err);
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
    if (v < 1) ok = pool_exec(p, schema_v1, err) == 0;
    if (ok && v < 2) {
        char *v2 = pool_schema_v2_new();
        ok = pool_exec(p, v2, err) == 0;
        free(v2);
    }
    if (ok && v < 3) ok = pool_exec(p, schema_v3, err) == 0;
    if (ok && v < 4) ok = pool_exec(p, schema_v4, err) == 0;
    if (ok && v < 5) ok = pool_exec(p, schema_v5, err) == 0 &&
                          pool_exec(p, schema_v5_search, err) == 0;
    if (ok && v < 8) {
        char *v8 = pool_schema_v8_new();
        ok = pool_exec(p, v8, err) == 0;
        free(v8);
    }
    if (ok && v < 11) ok = pool_exec(p, schema_v11, err) == 0;
    /* conversations.consensus (core/consensus.h's status of its reviewers'
     * labels, kept by pool_refresh_state): added only when missing, since
     * tests take pools back to older versions by hand */
    if (ok && v < 11 && !has_column(p, "conversations", "consensus"))
        ok = pool_exec(p, "ALTER TABLE conversations ADD COLUMN consensus"
                          " INTEGER NOT NULL DEFAULT 0;", err) == 0;
    /* 14: the conflicts (consensus 3) by id, so the queue's Conflicts tab
     * and its count read a few index entries, not every conversation */
    if (ok && v < 14)
        ok = pool_exec(p, "CREATE INDEX IF NOT EXISTS conv_conflict ON"
                          " conversations(id) WHERE consensus = 3;", err) == 0;
    if (ok && v < 16) ok = pool_exec(p, schema_v16, err) == 0 &&
                           (v < 5 || pool_exec(p, schema_v5_search, err) == 0);
    if (ok && v < 17) ok = pool_exec(p, schema_v17, err) == 0;
    if (ok && v < 17) ok = add_batch_column(p, err) == 0;
    if (ok && v < 18) ok = pool_exec(p, schema_v18, err) == 0;
    /* 18: predictions.json_fallback, whether the answer stored is
     * JSONAdapter's (the JSON fallback's); added only when missing, as
     * consensus above */
    if (ok && v < 18 && !has_column(p, "predictions", "json_fallback"))
        ok = pool_exec(p, "ALTER TABLE predictions ADD COLUMN json_fallback"
                          " INTEGER NOT NULL DEFAULT 0;", err) == 0;
    if (ok) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
                 POOL_SCHEMA_VERSION);
        ok = pool_exec(p, sql, err) == 0;
    }
    if (pool_tx_close(p, ok, err) < 0) return -1;
    if (v == 2 && repair_early_v2(p, err) < 0) return -1;
    if (repair_search_parts(p, err) < 0) return -1;
    if (v >= 4 && repair_missing_v4(p, err) < 0) return -1;
    return v >= 16 ? repair_missing_v16(p, err) : 0;
}

