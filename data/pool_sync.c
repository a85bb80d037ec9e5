/* pool_sync.c: see pool_sync.h. */
#define _POSIX_C_SOURCE 200809L
#include "pool_sync.h"
#include "pool_int.h"
#include "../core/date.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *kind_names[SYNC_NKINDS] = {
    "conversations", "runs", "predictions", "labels", "edge_marks", "undos",
    "programs", "notes", "assignments",
};

/* The local table of the kinds that have uids in sync_ids. */
/* (labels, edge marks and notes carry their own uid column: schema 4) */
static const char *kind_table[SYNC_NKINDS] = {
    NULL, "runs", "predictions", NULL, NULL, NULL, "programs", NULL, NULL,
};

static const pool_sync_kind kind_order[SYNC_NKINDS] = {
    SYNC_CONVERSATIONS, SYNC_RUNS, SYNC_PREDICTIONS, SYNC_LABELS, SYNC_EDGES,
    SYNC_NOTES, SYNC_ASSIGNMENTS, SYNC_UNDOS, SYNC_PROGRAMS,
};

const char *pool_sync_kind_name(pool_sync_kind k)
{
    return (unsigned)k < SYNC_NKINDS ? kind_names[k] : "?";
}

pool_sync_kind pool_sync_kind_nth(int i)
{
    return kind_order[i >= 0 && i < SYNC_NKINDS ? i : 0];
}

/* An assignment's uid (see pool_sync.h) as SQL over alias a and
 * conversation c. */
#define ASSIGN_UID "length(CAST(a.reviewer AS BLOB)) || ':' || a.reviewer || c.id"

int pool_sync_cache(pool *p, char *err)
{
    return pool_exec(p, "PRAGMA cache_size = -262144", err);   /* KiB: 256 MB */
}

int pool_sync_assign_uids(pool *p, char *err)
{
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = pool_exec(p, "UPDATE labels SET uid = lower(hex(randomblob(16)))"
                          " WHERE uid IS NULL; UPDATE edge_marks SET uid ="
                          " lower(hex(randomblob(16))) WHERE uid IS NULL;", err) == 0;
    for (int k = 0; k < SYNC_NKINDS && ok; k++) {
        if (!kind_table[k]) continue;
        char sql[400];
        snprintf(sql, sizeof sql,
                 "INSERT INTO sync_ids(uid, kind, local_id) SELECT"
                 " lower(hex(randomblob(16))), %d, t.id FROM %s t WHERE NOT EXISTS"
                 " (SELECT 1 FROM sync_ids s WHERE s.kind = %d AND s.local_id = t.id)",
                 k, kind_table[k], k);
        ok = pool_exec(p, sql, err) == 0;
    }
    return pool_tx_close(p, ok, err);
}

void pool_sync_uids_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

int pool_sync_local_uids(pool *p, pool_sync_kind k, char ***out, size_t *n,
                         char *err)
{
    *out = NULL;
    *n = 0;
    char sql[400];
    if (k == SYNC_CONVERSATIONS)
        snprintf(sql, sizeof sql,
                 "SELECT id || '@' || content_hash FROM conversations UNION"
                 " SELECT uid FROM sync_ids WHERE kind = %d ORDER BY 1", k);
    else if (k == SYNC_UNDOS)
        snprintf(sql, sizeof sql,
                 "SELECT 'undo:' || uid FROM labels WHERE undone_at IS NOT NULL"
                 " UNION ALL SELECT 'undo:' || uid FROM edge_marks WHERE"
                 " undone_at IS NOT NULL UNION ALL SELECT 'undo:' || uid FROM"
                 " notes WHERE undone_at IS NOT NULL ORDER BY 1");
    else if (k == SYNC_LABELS || k == SYNC_EDGES || k == SYNC_NOTES)
        snprintf(sql, sizeof sql, "SELECT uid FROM %s ORDER BY 1",
                 k == SYNC_LABELS ? "labels" : k == SYNC_EDGES ? "edge_marks" : "notes");
    else if (k == SYNC_ASSIGNMENTS)
        snprintf(sql, sizeof sql, "SELECT " ASSIGN_UID " FROM assignments a"
                 " JOIN conversations c ON c.cid = a.cid ORDER BY 1");
    else
        snprintf(sql, sizeof sql,
                 "SELECT uid FROM sync_ids WHERE kind = %d ORDER BY 1", k);
    sqlite3_stmt *s = pool_prepare(p, sql, err);
    if (!s) return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 1024;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        (*out)[(*n)++] = xstrdup((const char *)sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        pool_sync_uids_free(*out, *n);
        *out = NULL;
        *n = 0;
        return pool_sql_err(p, "read uids", err);
    }
    return 0;
}

/* ------------------------------------------------------ documents */

/* Column i as a JSON value: text, integer, real or null. */
static cJSON *col_json(sqlite3_stmt *s, int i)
{
    switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER: return cJSON_CreateNumber((double)sqlite3_column_int64(s, i));
    case SQLITE_FLOAT: return cJSON_CreateNumber(sqlite3_column_double(s, i));
    case SQLITE_NULL: return cJSON_CreateNull();
    default: return cJSON_CreateString((const char *)sqlite3_column_text(s, i));
    }
}

/* A document from one row: uid, then each column under its name. The
 * statement's ?1 is uid, ?2 and ?3 b2 and b3 (when not NULL). */
static cJSON *row_doc_by(pool *p, const char *sql, const char *uid,
                         const char *b2, const char *b3, char *err)
{
    sqlite3_stmt *s = pool_stmt_sql(p, sql, err);
    if (!s) return NULL;
    sqlite3_bind_text(s, 1, uid, -1, SQLITE_STATIC);
    if (b2) sqlite3_bind_text(s, 2, b2, -1, SQLITE_STATIC);
    if (b3) sqlite3_bind_text(s, 3, b3, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    cJSON *d = NULL;
    if (rc == SQLITE_ROW) {
        d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "uid", uid);
        for (int i = 0; i < sqlite3_column_count(s); i++)
            cJSON_AddItemToObject(d, sqlite3_column_name(s, i), col_json(s, i));
    } else if (rc == SQLITE_DONE) {
        err_set(err, "no local item '%s'", uid);
    } else {
        pool_sql_err(p, "read item", err);
    }
    sqlite3_reset(s);
    return d;
}

static cJSON *row_doc(pool *p, const char *sql, const char *uid, char *err)
{
    return row_doc_by(p, sql, uid, NULL, NULL, err);
}

/* An assignment's uid into its reviewer and conversation id (caller
 * frees both). 0 or -1 + err. */
static int assign_uid_split(const char *uid, char **reviewer, char **conv,
                            char *err)
{
    char *end;
    long n = strtol(uid, &end, 10);
    if (end == uid || *end != ':' || n <= 0 || (size_t)n >= strlen(end + 1)) {
        err_set(err, "bad assignment uid '%.80s'", uid);
        return -1;
    }
    *reviewer = xstrndup(end + 1, (size_t)n);
    *conv = xstrdup(end + 1 + n);
    return 0;
}

static cJSON *conv_doc(pool *p, const char *uid, char *err)
{
    const char *at = strrchr(uid, '@');
    if (!at || strlen(at + 1) != 16) {    /* ID@ + 16 hex digits */
        err_set(err, "bad conversation uid '%s'", uid);
        return NULL;
    }
    char *id = xstrndup(uid, (size_t)(at - uid));
    convo *c = pool_get_convo_new(p, id, err);
    /* by id (its index), then the hash must be the one asked for */
    cJSON *d = c ? row_doc(p, "SELECT id, content_hash AS hash, seller_id, meta,"
                              " source, imported_at FROM conversations WHERE"
                              " id = substr(?1, 1, length(?1) - 17) AND"
                              " content_hash = substr(?1, -16)", uid, err) : NULL;
    if (d) {
        cJSON *msgs = cJSON_AddArrayToObject(d, "messages");
        for (size_t i = 0; i < c->nmsgs; i++) {
            cJSON *m = cJSON_CreateArray();
            cJSON_AddItemToArray(m, cJSON_CreateNumber((double)c->msgs[i].ts));
            cJSON_AddItemToArray(m, cJSON_CreateString(c->msgs[i].sender));
            cJSON_AddItemToArray(m, cJSON_CreateNumber(c->msgs[i].role));
            cJSON_AddItemToArray(m, cJSON_CreateString(c->msgs[i].text));
            cJSON_AddItemToArray(msgs, m);
        }
    }
    convo_free(c);
    free(id);
    return d;
}

cJSON *pool_sync_doc_new(pool *p, pool_sync_kind k, const char *uid, char *err)
{
    switch (k) {
    case SYNC_CONVERSATIONS: return conv_doc(p, uid, err);
    case SYNC_RUNS:
        return row_doc(p, "SELECT r.kind, r.status, r.backend, r.model, r.params,"
                          " r.summary, r.started_at, r.finished_at FROM sync_ids s"
                          " JOIN runs r ON r.id = s.local_id WHERE s.uid = ?1", uid, err);
    case SYNC_PREDICTIONS:
        return row_doc(p, "SELECT (SELECT uid FROM sync_ids WHERE kind = 1 AND"
                          " local_id = pr.run_id) AS run, c.id AS conv,"
                          " c.content_hash AS hash, pr.scores, pr.overall,"
                          " pr.rationale, pr.reasoning, pr.raw, pr.status, pr.error,"
                          " pr.model, pr.tokens, pr.latency_ms, pr.created_at,"
                          " pr.json_fallback"
                          " FROM sync_ids s JOIN predictions pr ON pr.id = s.local_id"
                          " JOIN conversations c ON c.cid = pr.cid WHERE s.uid = ?1",
                       uid, err);
    case SYNC_LABELS:
        /* pred, run: the reviewed prediction's and run's uids; hash: the
         * content the label was made on (stale when it differs) */
        return row_doc(p, "SELECT c.id AS conv, l.reviewer, l.role, l.status,"
                          " l.scores, l.overall, l.note, l.rationale, l.comment,"
                          " (SELECT uid FROM sync_ids WHERE kind = 2 AND local_id ="
                          " l.pred_id) AS pred, (SELECT uid FROM sync_ids WHERE"
                          " kind = 1 AND local_id = l.run_id) AS run, l.created_at,"
                          " l.content_hash AS hash FROM labels l JOIN conversations c"
                          " ON c.cid = l.cid WHERE l.uid = ?1", uid, err);
    case SYNC_EDGES:
        return row_doc(p, "SELECT c.id AS conv, e.reviewer, e.marked, e.note,"
                          " e.created_at FROM edge_marks e JOIN conversations c ON"
                          " c.cid = e.cid WHERE e.uid = ?1", uid, err);
    case SYNC_UNDOS:
        return row_doc(p, "SELECT uid AS target, 'label' AS what, undone_at FROM"
                          " labels WHERE uid = substr(?1, 6) AND undone_at IS NOT NULL"
                          " UNION ALL SELECT uid, 'edge', undone_at FROM edge_marks"
                          " WHERE uid = substr(?1, 6) AND undone_at IS NOT NULL"
                          " UNION ALL SELECT uid, 'note', undone_at FROM notes"
                          " WHERE uid = substr(?1, 6) AND undone_at IS NOT NULL",
                       uid, err);
    case SYNC_NOTES:
        return row_doc(p, "SELECT c.id AS conv, n.reviewer, n.text, n.created_at"
                          " FROM notes n JOIN conversations c ON c.cid = n.cid"
                          " WHERE n.uid = ?1", uid, err);
    case SYNC_ASSIGNMENTS: {
        char *conv, *reviewer;
        if (assign_uid_split(uid, &reviewer, &conv, err) < 0) return NULL;
        cJSON *d = row_doc_by(p, "SELECT c.id AS conv, a.reviewer, a.created_at FROM"
                                 " assignments a JOIN conversations c ON c.cid = a.cid"
                                 " WHERE c.id = ?2 AND a.reviewer = ?3", uid, conv,
                              reviewer, err);
        free(conv);
        free(reviewer);
        return d;
    }
    case SYNC_PROGRAMS:
        return row_doc(p, "SELECT g.created_at, g.state, g.metric, g.val_score,"
                          " g.model, g.trainset, g.note, g.n_demos FROM sync_ids s"
                          " JOIN programs g ON g.id = s.local_id WHERE s.uid = ?1",
                       uid, err);
    default:
        err_set(err, "unknown item kind %d", (int)k);
        return NULL;
    }
}

/* -------------------------------------------------------- applying */

/* Field accessors: a string (NULL when absent or null), a number. */
static const char *jstr(const cJSON *d, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jnum(const cJSON *d, const char *k, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, k);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return 0;
    *out = v->valuedouble;
    return 1;
}

/* Binds field k of d: string, number (integral ones as integers) or null. */
static void bind_field(sqlite3_stmt *s, int i, const cJSON *d, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, k);
    if (cJSON_IsString(v)) sqlite3_bind_text(s, i, v->valuestring, -1, SQLITE_TRANSIENT);
    else if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
        double x = v->valuedouble;
        if (x == floor(x) && fabs(x) < 9e15) sqlite3_bind_int64(s, i, (int64_t)x);
        else sqlite3_bind_double(s, i, x);
    } else sqlite3_bind_null(s, i);
}

/* Local row of uid in sync_ids: 1 + *id (0 when seen without a row), 0
 * none, -1 error. */
static int uid_local(pool *p, const char *uid, int64_t *id, char *err)
{
    sqlite3_stmt *s = pool_stmt_sql(p, "SELECT local_id FROM sync_ids WHERE uid = ?", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, uid, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s), found = 0;
    if (rc == SQLITE_ROW) {
        found = 1;
        *id = sqlite3_column_int64(s, 0);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return pool_sql_err(p, "read uid", err);
    return found;
}

static int uid_record(pool *p, const char *uid, int kind, int64_t id, char *err)
{
    sqlite3_stmt *s = pool_stmt_sql(p, "INSERT INTO sync_ids(uid, kind, local_id)"
                                      " VALUES(?, ?, ?)", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, uid, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, kind);
    if (id > 0) sqlite3_bind_int64(s, 3, id);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "record uid", err);
}

/* Runs an INSERT whose parameters are npre integers (0 binds NULL), then
 * fields of d. Returns the new rowid or -1. */
static int64_t insert_doc(pool *p, const char *sql, const cJSON *d,
                          const char *const *fields, const int64_t *pre,
                          int npre, char *err)
{
    sqlite3_stmt *s = pool_stmt_sql(p, sql, err);
    if (!s) return -1;
    int i = 1;
    for (int k = 0; k < npre; k++, i++)
        if (pre[k]) sqlite3_bind_int64(s, i, pre[k]);
    for (const char *const *f = fields; *f; f++) bind_field(s, i++, d, *f);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "store item", err);
    return sqlite3_last_insert_rowid(p->db);
}

static int apply_conv(pool *p, const char *uid, const cJSON *d,
                      pool_sync_result *res, char *err)
{
    const char *id = jstr(d, "id"), *hash = jstr(d, "hash"), *seller = jstr(d, "seller_id");
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(d, "messages");
    double imported;
    if (!id || !*id || !hash || !seller || !cJSON_IsArray(msgs) ||
        !jnum(d, "imported_at", &imported)) {
        err_set(err, "conversation %s: needs id, hash, seller_id, imported_at"
                " and messages", uid);
        return -1;
    }
    int64_t dummy;
    int seen = uid_local(p, uid, &dummy, err);
    if (seen < 0) return -1;
    if (seen) { *res = SYNC_PRESENT; return 0; }
    /* the local version, if any */
    sqlite3_stmt *s = pool_stmt_sql(p, "SELECT content_hash, imported_at FROM"
                                      " conversations WHERE id = ?", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s), have = rc == SQLITE_ROW;
    int same = have && !strcmp((const char *)sqlite3_column_text(s, 0), hash);
    int64_t local_at = have ? sqlite3_column_int64(s, 1) : 0;
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return pool_sql_err(p, "read conversation", err);
    if (same) { *res = SYNC_PRESENT; return 0; }
    if (have && (int64_t)imported <= local_at) {    /* ours is newer: seen */
        *res = SYNC_APPLIED;
        return uid_record(p, uid, SYNC_CONVERSATIONS, 0, err);
    }
    convo *c = convo_new(id, seller);
    const char *meta = jstr(d, "meta");
    if (meta) c->meta_json = xstrdup(meta);
    const cJSON *m;
    int bad = 0;
    cJSON_ArrayForEach(m, msgs) {
        const cJSON *ts = cJSON_GetArrayItem(m, 0), *who = cJSON_GetArrayItem(m, 1),
                    *role = cJSON_GetArrayItem(m, 2), *text = cJSON_GetArrayItem(m, 3);
        if (!cJSON_IsNumber(ts) || !cJSON_IsString(who) || !cJSON_IsNumber(role) ||
            role->valueint < 0 || role->valueint > 2 || !cJSON_IsString(text)) {
            bad = 1;
            break;
        }
        convo_add_msg(c, (int64_t)ts->valuedouble, who->valuestring,
                      (msg_role)role->valueint, text->valuestring);
    }
    if (bad) {
        err_set(err, "conversation %s: a message is not [ts, sender, role 0-2, text]", uid);
        convo_free(c);
        return -1;
    }
    int changed;
    rc = pool_put_convo(p, c, jstr(d, "source"), &changed, err);
    convo_free(c);
    if (rc < 0) return -1;
    /* the content must be what its hash says, and keeps its import time */
    s = pool_stmt_sql(p, "UPDATE conversations SET imported_at = ?2 WHERE id = ?1"
                        " AND content_hash = ?3", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (int64_t)imported);
    sqlite3_bind_text(s, 3, hash, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "update conversation", err);
    if (sqlite3_changes(p->db) != 1) {
        err_set(err, "conversation %s: its messages do not match its content hash", uid);
        return -1;
    }
    *res = SYNC_APPLIED;
    return 0;
}

/* cid of the document's "conv" (0: not here). */
static int64_t doc_cid(pool *p, const cJSON *d, const char *uid, char *err)
{
    const char *conv = jstr(d, "conv");
    if (!conv) {
        err_set(err, "%s: no \"conv\"", uid);
        return -1;
    }
    return pool_cid(p, conv, err);
}

/* An assignment: kept once per (conversation, reviewer), as the table
 * keeps it (INSERT OR IGNORE); its uid must be the one its fields make. */
static int apply_assignment(pool *p, const char *uid, const cJSON *d,
                            pool_sync_result *res, char *err)
{
    const char *conv = jstr(d, "conv"), *reviewer = jstr(d, "reviewer");
    double at;
    char *want_conv = NULL, *want_rev = NULL;
    if (!conv || !reviewer || !*reviewer || !jnum(d, "created_at", &at) ||
        assign_uid_split(uid, &want_rev, &want_conv, NULL) < 0 ||
        strcmp(want_conv, conv) != 0 || strcmp(want_rev, reviewer) != 0) {
        free(want_conv);
        free(want_rev);
        err_set(err, "assignment %.80s: needs conv, reviewer and created_at, and"
                " a uid made of them", uid);
        return -1;
    }
    free(want_conv);
    free(want_rev);
    int64_t cid = pool_cid(p, conv, err);
    if (cid < 0) return -1;
    if (cid == 0) { *res = SYNC_WAITING; return 0; }
    sqlite3_stmt *s = pool_stmt_sql(p, "INSERT OR IGNORE INTO assignments(cid,"
                                       " reviewer, created_at) VALUES(?, ?, ?)", err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, cid);
    sqlite3_bind_text(s, 2, reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (int64_t)at);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "store assignment", err);
    *res = sqlite3_changes(p->db) ? SYNC_APPLIED : SYNC_PRESENT;
    return 0;
}

/* One statement without parameters, kept prepared (once per item). */
static int exec_kept(pool *p, const char *sql, char *err)
{
    sqlite3_stmt *s = pool_stmt_sql(p, sql, err);
    if (!s) return -1;
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, sql, err);
}

/* One item is all or nothing, inside the caller's transaction or not:
 * a savepoint within pool_begin (so the pool calls it makes join it). */
static int item_open(pool *p, char *err)
{
    if (pool_begin(p, err) < 0) return -1;
    if (exec_kept(p, "SAVEPOINT sync_item", err) < 0) {
        pool_rollback(p);
        return -1;
    }
    return 0;
}

static int item_close(pool *p, int ok, char *err)
{
    if (!ok) exec_kept(p, "ROLLBACK TO sync_item", NULL);
    if (exec_kept(p, "RELEASE sync_item", ok ? err : NULL) < 0) ok = 0;
    if (pool_commit(p, ok ? err : NULL) < 0) ok = 0;
    return ok ? 0 : -1;
}

/* pool_sync_apply; defer: the conversation whose state must follow goes
 * to *dirty instead of being refreshed here. */
static int apply_doc(pool *p, pool_sync_kind k, const cJSON *d,
                     pool_sync_result *res, int defer, int64_t *dirty, char *err)
{
    const char *uid = jstr(d, "uid");
    if (!uid || !*uid) {
        err_set(err, "a %s document without a uid", pool_sync_kind_name(k));
        return -1;
    }
    if (item_open(p, err) < 0) return -1;
    int ok = 0;
    int64_t local = 0;
    *res = SYNC_PRESENT;
    if (k == SYNC_CONVERSATIONS) {
        ok = apply_conv(p, uid, d, res, err) == 0;
        return item_close(p, ok, err);
    }
    if (k == SYNC_UNDOS) {
        const char *target = jstr(d, "target");
        double at;
        if (!target || !jnum(d, "undone_at", &at)) {
            err_set(err, "undo %s: needs target and undone_at", uid);
            return item_close(p, 0, err);
        }
        /* what was undone: "label" (the default), "edge" or "note" */
        const char *what = jstr(d, "what");
        const char *table = !what ? "labels" : !strcmp(what, "edge") ? "edge_marks"
                          : !strcmp(what, "note") ? "notes" : "labels";
        char sql[200];
        snprintf(sql, sizeof sql, "UPDATE %s SET undone_at = ?2 WHERE uid = ?1 AND"
                 " undone_at IS NULL RETURNING cid", table);
        sqlite3_stmt *s = pool_stmt_sql(p, sql, err);
        ok = s != NULL;
        if (s) {
            sqlite3_bind_text(s, 1, target, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, (int64_t)at);
            int rc = sqlite3_step(s);
            int64_t cid = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
            sqlite3_reset(s);
            if (rc != SQLITE_ROW && rc != SQLITE_DONE) ok = pool_sql_err(p, "undo", err) == 0;
            else if (cid) {
                *res = SYNC_APPLIED;
                /* a note is no part of the conversation's state */
                if (strcmp(table, "notes") == 0) ;
                else if (defer) *dirty = cid;
                else ok = pool_refresh_state(p, cid, err) == 0;
            } else {
                /* not here yet, or undone already */
                snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE uid = ?", table);
                sqlite3_stmt *e = pool_stmt_sql(p, sql, err);
                ok = e != NULL;
                if (e) {
                    sqlite3_bind_text(e, 1, target, -1, SQLITE_STATIC);
                    if (sqlite3_step(e) != SQLITE_ROW) *res = SYNC_WAITING;
                    sqlite3_reset(e);
                }
            }
        }
        return item_close(p, ok, err);
    }
    if (k == SYNC_ASSIGNMENTS) {
        ok = apply_assignment(p, uid, d, res, err) == 0;
        return item_close(p, ok, err);
    }
    if (k == SYNC_LABELS || k == SYNC_EDGES || k == SYNC_NOTES) {
        sqlite3_stmt *e = pool_stmt_sql(p, k == SYNC_LABELS
            ? "SELECT 1 FROM labels WHERE uid = ?" : k == SYNC_EDGES
            ? "SELECT 1 FROM edge_marks WHERE uid = ?" : "SELECT 1 FROM notes WHERE uid = ?",
            err);
        if (!e) return item_close(p, 0, err);
        sqlite3_bind_text(e, 1, uid, -1, SQLITE_STATIC);
        int here = sqlite3_step(e) == SQLITE_ROW;
        sqlite3_reset(e);
        if (here) return item_close(p, 1, err);
    } else {
        int f0 = uid_local(p, uid, &local, err);
        if (f0 != 0) return item_close(p, f0 > 0, err);   /* here already, or error */
    }
    int64_t cid = 0, id = 0;
    ok = 1;
    if (k == SYNC_PREDICTIONS || k == SYNC_LABELS || k == SYNC_EDGES || k == SYNC_NOTES) {
        cid = doc_cid(p, d, uid, err);
        if (cid < 0) return item_close(p, 0, err);
        if (cid == 0) { *res = SYNC_WAITING; return item_close(p, 1, err); }
    }
    switch (k) {
    case SYNC_RUNS: {
        static const char *const f_[] = {"kind", "status", "backend", "model",
                                         "params", "summary", "started_at",
                                         "finished_at", NULL};
        id = insert_doc(p, "INSERT INTO runs(kind, status, backend, model, params,"
                           " summary, started_at, finished_at) VALUES(?,?,?,?,?,?,"
                           "?,?)", d, f_, NULL, 0, err);
        break;
    }
    case SYNC_PREDICTIONS: {
        int64_t run = 0;
        const char *ru = jstr(d, "run");
        if (ru) {
            int g = uid_local(p, ru, &run, err);
            if (g < 0) { ok = 0; break; }
            if (g == 0) { *res = SYNC_WAITING; return item_close(p, 1, err); }
        }
        /* json_fallback: absent in a store an older curate wrote */
        static const char *const f_[] = {"scores", "overall", "rationale",
                                         "reasoning", "raw", "status", "error",
                                         "model", "tokens", "latency_ms",
                                         "created_at", "json_fallback", NULL};
        int64_t pre[2] = {cid, run};
        id = insert_doc(p, "INSERT INTO predictions(cid, run_id, scores, overall,"
                           " rationale, reasoning, raw, status, error, model, tokens,"
                           " latency_ms, created_at, json_fallback) VALUES(?,?,?,?,"
                           "?,?,?,?,?,?,?,?,?,coalesce(?, 0))", d, f_, pre, 2, err);
        break;
    }
    case SYNC_LABELS: {
        /* the reviewed prediction and its run, if they are here */
        int64_t pred = 0, run = 0;
        const char *pu = jstr(d, "pred"), *ru = jstr(d, "run");
        if ((pu && uid_local(p, pu, &pred, err) < 0) ||
            (ru && uid_local(p, ru, &run, err) < 0)) {
            ok = 0;
            break;
        }
        static const char *const f_[] = {"uid", "reviewer", "role", "status",
                                         "scores", "overall", "note", "rationale",
                                         "comment", "created_at", "hash", NULL};
        int64_t pre[3] = {cid, pred, run};
        id = insert_doc(p, "INSERT INTO labels(cid, pred_id, run_id, uid, reviewer,"
                           " role, status, scores, overall, note, rationale, comment,"
                           " created_at, content_hash) VALUES(?,?,?,?,?,coalesce(?,"
                           " 'review'),?,?,?,?,?,?,?,?)", d, f_, pre, 3, err);
        break;
    }
    case SYNC_EDGES: {
        static const char *const f_[] = {"uid", "reviewer", "marked", "note",
                                         "created_at", NULL};
        id = insert_doc(p, "INSERT INTO edge_marks(cid, uid, reviewer, marked, note,"
                           " created_at) VALUES(?,?,?,?,?,?)", d, f_, &cid, 1, err);
        break;
    }
    case SYNC_NOTES: {
        /* a pulled note is not in this pool's undo journal (as a label) */
        if (!jstr(d, "reviewer") || !jstr(d, "text") || !cJSON_IsNumber(
                cJSON_GetObjectItemCaseSensitive(d, "created_at"))) {
            err_set(err, "note %s: needs reviewer, text and created_at", uid);
            id = -1;
            break;
        }
        static const char *const f_[] = {"uid", "reviewer", "text", "created_at", NULL};
        id = insert_doc(p, "INSERT INTO notes(cid, uid, reviewer, text, created_at)"
                           " VALUES(?,?,?,?,?)", d, f_, &cid, 1, err);
        cid = 0;                      /* no state of the conversation follows */
        break;
    }
    case SYNC_PROGRAMS: {
        static const char *const f_[] = {"created_at", "state", "metric",
                                         "val_score", "model", "trainset", "note",
                                         "n_demos", NULL};
        id = insert_doc(p, "INSERT INTO programs(created_at, state, metric,"
                           " val_score, model, trainset, note, n_demos)"
                           " VALUES(?,?,?,?,?,?,?,?)", d, f_, NULL, 0, err);
        break;
    }
    default:
        err_set(err, "unknown item kind %d", (int)k);
        id = -1;
    }
    if (!ok || id < 0) return item_close(p, 0, err);
    if (kind_table[k]) ok = uid_record(p, uid, (int)k, id, err) == 0;
    const char *st = jstr(d, "status");
    double ov = 0;
    int has_ov = jnum(d, "overall", &ov);
    if (ok && cid && defer)
        *dirty = cid;
    else if (ok && k == SYNC_PREDICTIONS && st && !strcmp(st, "ok"))
        ok = pool_refresh_after_prediction(p, cid, id, has_ov, ov, err) == 0;
    else if (ok && cid) ok = pool_refresh_state(p, cid, err) == 0;
    if (ok) *res = SYNC_APPLIED;
    return item_close(p, ok, err) < 0 || !ok ? -1 : 0;
}

int pool_sync_apply(pool *p, pool_sync_kind k, const cJSON *d,
                    pool_sync_result *res, char *err)
{
    return apply_doc(p, k, d, res, 0, NULL, err);
}

int pool_sync_apply_deferred(pool *p, pool_sync_kind k, const cJSON *d,
                             pool_sync_result *res, int64_t *cid, char *err)
{
    *cid = 0;
    return apply_doc(p, k, d, res, 1, cid, err);
}

int pool_sync_refresh(pool *p, int64_t cid, char *err)
{
    return pool_refresh_state(p, cid, err);
}

/* ------------------------------------------------ best, settings */

int pool_sync_best(pool *p, char **uid, char *err)
{
    *uid = NULL;
    sqlite3_stmt *s = pool_prepare(p, "SELECT s.uid FROM programs g JOIN sync_ids s"
                                      " ON s.kind = 6 AND s.local_id = g.id"
                                      " WHERE g.is_best = 1", err);
    if (!s) return -1;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *uid = xstrdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : pool_sql_err(p, "read best", err);
}

int pool_sync_set_best(pool *p, const char *uid, char *err)
{
    int64_t id = 0;
    int f = uid_local(p, uid, &id, err);
    if (f < 0) return -1;
    if (f == 0 || id == 0) return 1;
    return pool_set_best_program(p, id, err);
}
