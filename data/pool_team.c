/* pool_team.c: see pool_team.h. */
#define _POSIX_C_SOURCE 200809L
#include "pool_team.h"
#include "pool_int.h"
#include "../core/date.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

typedef struct {
    pool_team_label *v;
    size_t n, cap;
} label_vec;

static void labels_reset(label_vec *lv)
{
    for (size_t i = 0; i < lv->n; i++) free((char *)lv->v[i].reviewer);
    lv->n = 0;
}

/* The one rule for which labels count, for the units and the consensus
 * alike: label l2 of conversation c2, not undone and not stale (made on
 * the conversation's current content; NULL hash: made before hashes). */
#define LABEL_CURRENT \
    "l2.undone_at IS NULL AND NOT (l2.content_hash IS NOT NULL AND" \
    " l2.content_hash <> c2.content_hash)"

/* Every conversation's units, or (conv_id non-NULL) that one's. */
static int each_unit(pool *p, const rubric *r, const char *conv_id,
                     int (*fn)(const pool_team_unit *u, void *ctx),
                     void *ctx, char *err)
{
    /* The latest label per (conversation, reviewer, role) not undone. */
    sqlite3_stmt *s = pool_prepare(p, conv_id
        ? "SELECT c.id, pr.scores, l.reviewer, l.status, l.scores, l.id,"
          " l.created_at, l.role = 'adjudication' AS adj"
          " FROM (SELECT max(l2.id) AS id FROM labels l2 JOIN conversations c2"
          "       ON c2.cid = l2.cid WHERE c2.id = ?1 AND " LABEL_CURRENT
          "       GROUP BY l2.reviewer, l2.role) m"
          " JOIN labels l ON l.id = m.id"
          " JOIN conversations c ON c.cid = l.cid"
          " LEFT JOIN predictions pr ON pr.id = c.pred_id"
          " ORDER BY l.reviewer, adj"
        : "SELECT c.id, pr.scores, l.reviewer, l.status, l.scores, l.id,"
          " l.created_at, l.role = 'adjudication' AS adj"
          " FROM (SELECT max(l2.id) AS id FROM labels l2 JOIN conversations c2"
          "       ON c2.cid = l2.cid WHERE " LABEL_CURRENT
          "       GROUP BY l2.cid, l2.reviewer, l2.role) m"
          " JOIN labels l ON l.id = m.id"
          " JOIN conversations c ON c.cid = l.cid"
          " LEFT JOIN predictions pr ON pr.id = c.pred_id"
          " ORDER BY c.id, l.reviewer, adj", err);
    if (!s) return -1;
    if (conv_id) pool_bind_text(s, 1, conv_id);
    label_vec lv = {0};
    char *cur = NULL;
    pool_team_unit u;
    memset(&u, 0, sizeof u);
    int rc, stop = 0, bad = 0;
    char e2[ERR_MAX];
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(s, 0);
        if (cur && strcmp(cur, id) != 0) {
            u.conv_id = cur;
            u.labels = lv.v;
            u.n = lv.n;
            stop = fn(&u, ctx);
            labels_reset(&lv);
            free(cur);
            cur = NULL;
            if (stop) break;
        }
        if (!cur) {
            cur = xstrdup(id);
            memset(&u, 0, sizeof u);
            const char *ms = (const char *)sqlite3_column_text(s, 1);
            if (ms && rubric_scores_from_json(r, ms, &u.model, e2) == 0) u.has_model = 1;
        }
        if (lv.n == lv.cap) {
            lv.cap = lv.cap ? lv.cap * 2 : 8;
            lv.v = xrealloc(lv.v, lv.cap * sizeof *lv.v);
        }
        pool_team_label *l = &lv.v[lv.n];
        memset(l, 0, sizeof *l);
        l->reviewer = xstrdup((const char *)sqlite3_column_text(s, 2));
        l->skipped = !strcmp((const char *)sqlite3_column_text(s, 3), "skipped");
        l->id = sqlite3_column_int64(s, 5);
        l->created_at = sqlite3_column_int64(s, 6);
        l->adjudication = sqlite3_column_int(s, 7);
        lv.n++;
        const char *ls = (const char *)sqlite3_column_text(s, 4);
        if (!l->skipped && rubric_scores_from_json(r, ls ? ls : "{}", &l->scores, e2) < 0) {
            err_set(err, "label %lld of '%s': %s", (long long)l->id, cur, e2);
            bad = 1;
            break;
        }
    }
    if (!stop && !bad && cur && rc == SQLITE_DONE) {
        u.conv_id = cur;
        u.labels = lv.v;
        u.n = lv.n;
        fn(&u, ctx);
    }
    labels_reset(&lv);
    free(lv.v);
    free(cur);
    sqlite3_finalize(s);
    if (bad) return -1;
    return stop || rc == SQLITE_DONE ? 0 : pool_sql_err(p, "read labels", err);
}

int pool_team_each_unit(pool *p, const rubric *r,
                        int (*fn)(const pool_team_unit *u, void *ctx),
                        void *ctx, char *err)
{
    return each_unit(p, r, NULL, fn, ctx, err);
}

int pool_team_unit_of(pool *p, const rubric *r, const char *conv_id,
                      int (*fn)(const pool_team_unit *u, void *ctx),
                      void *ctx, char *err)
{
    return each_unit(p, r, conv_id, fn, ctx, err);
}

int pool_team_each_event(pool *p,
                         int (*fn)(const char *reviewer, int64_t created_at,
                                   int skipped, void *ctx),
                         void *ctx, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT reviewer, created_at, status = 'skipped' FROM labels"
        " WHERE undone_at IS NULL ORDER BY reviewer, created_at, id", err);
    if (!s) return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (fn((const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1),
               sqlite3_column_int(s, 2), ctx)) { rc = SQLITE_DONE; break; }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "read labels", err);
}

int pool_team_each_assignment(pool *p,
                              int (*fn)(const char *conv_id,
                                        const char *reviewer, int done,
                                        void *ctx),
                              void *ctx, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT c.id, a.reviewer, EXISTS(SELECT 1 FROM labels l2 JOIN"
        " conversations c2 ON c2.cid = l2.cid WHERE l2.cid = a.cid AND"
        " l2.reviewer = a.reviewer AND " LABEL_CURRENT ")"
        " FROM assignments a JOIN conversations c ON c.cid = a.cid"
        " ORDER BY c.id, a.reviewer", err);
    if (!s) return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (fn((const char *)sqlite3_column_text(s, 0),
               (const char *)sqlite3_column_text(s, 1),
               sqlite3_column_int(s, 2), ctx)) { rc = SQLITE_DONE; break; }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "read assignments", err);
}

int pool_team_assign(pool *p, const char *conv_id, const char *reviewer,
                     char *err)
{
    if (pool_tx_open(p, err) < 0) return -1;
    int64_t cid = pool_cid(p, conv_id, err);
    int ok = cid > 0;
    if (cid == 0) err_set(err, "no conversation '%s'", conv_id);
    sqlite3_stmt *s = ok ? pool_prepare(p,
        "INSERT OR IGNORE INTO assignments(cid, reviewer, created_at)"
        " VALUES(?1, ?2, ?3)", err) : NULL;
    if (s) {
        sqlite3_bind_int64(s, 1, cid);
        pool_bind_text(s, 2, reviewer);
        sqlite3_bind_int64(s, 3, date_now());
        if (sqlite3_step(s) != SQLITE_DONE) ok = pool_sql_err(p, "assign", err) == 0;
        sqlite3_finalize(s);
    } else {
        ok = 0;
    }
    return pool_tx_close(p, ok, err) < 0 || !ok ? -1 : 0;
}

/* ------------------------------------------------------- consensus */

/* Each reviewer's latest label of cid, not undone and not stale. */
#define LATEST_PER_REVIEWER \
    "SELECT l.id, l.status = 'skipped', l.scores, l.overall," \
    " l.role = 'adjudication' FROM labels l" \
    " WHERE l.id IN (SELECT max(l2.id) FROM labels l2 JOIN conversations c2" \
    "  ON c2.cid = l2.cid WHERE l2.cid = ?1 AND " LABEL_CURRENT \
    "  GROUP BY l2.reviewer, l2.role) ORDER BY l.id"

typedef struct {
    consensus_label *v;
    cJSON **json;              /* each label's parsed scores (owns key names) */
    int64_t *ids;
    size_t n;
    rubric r;                  /* the rubric (given, or made of the keys) */
    int own_rubric;
} latest_set;

static void latest_free(latest_set *ls)
{
    for (size_t i = 0; i < ls->n; i++) cJSON_Delete(ls->json[i]);
    free(ls->json);
    free(ls->v);
    free(ls->ids);
}

static int field_of(rubric *r, const char *name, int add)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (!strcmp(r->fields[i].name, name)) return (int)i;
    if (!add || r->nfields >= RUBRIC_MAX_FIELDS) return -1;
    r->fields[r->nfields].name = (char *)name;   /* points into a cJSON */
    r->fields[r->nfields].kind = FIELD_SCORE;
    return (int)r->nfields++;
}

/* Reads the latest labels of cid; r NULL: fields are the scores' keys,
 * plus the overall column as "\1overall". */
static int latest_read(pool *p, const rubric *r, int64_t cid, latest_set *ls,
                       char *err)
{
    memset(ls, 0, sizeof *ls);
    if (r) ls->r = *r;
    ls->own_rubric = !r;
    sqlite3_stmt *s = pool_stmt_sql(p, LATEST_PER_REVIEWER, err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, cid);
    size_t cap = 0;
    int rc;
    static const char overall_name[] = "\001overall";
    if (!r) field_of(&ls->r, overall_name, 1);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (ls->n == cap) {
            cap = cap ? cap * 2 : 4;
            ls->v = xrealloc(ls->v, cap * sizeof *ls->v);
            ls->json = xrealloc(ls->json, cap * sizeof *ls->json);
            ls->ids = xrealloc(ls->ids, cap * sizeof *ls->ids);
        }
        consensus_label *l = &ls->v[ls->n];
        memset(l, 0, sizeof *l);
        l->order = sqlite3_column_int64(s, 0);
        l->skipped = sqlite3_column_int(s, 1);
        l->role = sqlite3_column_int(s, 4) ? CONSENSUS_ROLE_ADJUDICATION
                                           : CONSENSUS_ROLE_REVIEW;
        ls->ids[ls->n] = l->order;
        const char *text = (const char *)sqlite3_column_text(s, 2);
        cJSON *j = text ? cJSON_Parse(text) : NULL;
        ls->json[ls->n++] = j;
        if (l->skipped) continue;
        const cJSON *it;
        cJSON_ArrayForEach(it, j) {
            if (!cJSON_IsNumber(it) || !it->string) continue;
            int f = field_of(&ls->r, it->string, !r);
            if (f < 0 || !rubric_is_scored(&ls->r.fields[f])) continue;
            l->scores.v[f] = it->valuedouble;
            l->scores.set[f] = 1;
        }
        if (!r && sqlite3_column_type(s, 3) != SQLITE_NULL) {
            l->scores.v[0] = sqlite3_column_double(s, 3);
            l->scores.set[0] = 1;
        }
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        latest_free(ls);
        return pool_sql_err(p, "read labels", err);
    }
    return 0;
}

double pool_team_tolerance(pool *p)
{
    char *v = NULL, e2[ERR_MAX];
    double t = CONSENSUS_DEFAULT_TOLERANCE;
    if (pool_meta_get(p, "consensus_tolerance", &v, e2) == 1 && v) {
        char *end;
        double x = strtod(v, &end);
        if (end != v && !*end && x >= 0) t = x;
    }
    free(v);
    return t;
}

int pool_team_consensus(pool *p, const rubric *r, int64_t cid,
                        consensus_result *out, char *err)
{
    latest_set ls;
    if (latest_read(p, r, cid, &ls, err) < 0) return -1;
    consensus_decide(&ls.r, ls.v, ls.n, pool_team_tolerance(p), out);
    latest_free(&ls);
    return 0;
}

int pool_team_refresh(pool *p, int64_t cid, char *err)
{
    latest_set ls;
    if (latest_read(p, NULL, cid, &ls, err) < 0) return -1;
    consensus_result c;
    consensus_decide(&ls.r, ls.v, ls.n, pool_team_tolerance(p), &c);
    int64_t latest = 0;   /* the label that stands for it: the adjudication, or the latest */
    for (size_t i = 0; i < ls.n; i++)
        if (!ls.v[i].skipped && (c.status != CONSENSUS_ADJUDICATED ||
                                 ls.v[i].role == CONSENSUS_ROLE_ADJUDICATION))
            latest = ls.ids[i];
    size_t reviewers = ls.n;
    latest_free(&ls);
    const char *sql;
    if (reviewers < 2 || c.status == CONSENSUS_NONE)   /* as the SQL decided */
        sql = "UPDATE conversations SET consensus = ?2 WHERE cid = ?1"
              " AND consensus IS NOT ?2";
    else if (c.status == CONSENSUS_CONFLICT)
        sql = "UPDATE conversations SET consensus = ?2, label_id = NULL,"
              " human_overall = NULL, diff = NULL, fdiff = NULL, fdiff_field = NULL,"
              " status = CASE WHEN pred_id IS NULL THEN 0 ELSE 1 END WHERE cid = ?1";
    else
        sql = "UPDATE conversations SET consensus = ?2, label_id = ?3,"
              " human_overall = ?4, diff = abs(model_overall - ?4), status = 2"
              " WHERE cid = ?1";
    sqlite3_stmt *s = pool_stmt_sql(p, sql, err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, cid);
    sqlite3_bind_int(s, 2, reviewers < 2 ? (c.status == CONSENSUS_SINGLE) : (int)c.status);
    if (reviewers >= 2 && (c.status == CONSENSUS_SINGLE || c.status == CONSENSUS_AGREED ||
                           c.status == CONSENSUS_ADJUDICATED)) {
        sqlite3_bind_int64(s, 3, latest);
        if (c.scores.set[0]) sqlite3_bind_double(s, 4, c.scores.v[0]);
    }
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "update consensus", err);
}

int64_t pool_team_conflicts(pool *p, char *err)
{
    sqlite3_stmt *s = pool_prepare(p, "SELECT count(*) FROM conversations"
                                      " WHERE consensus = 3", err);
    if (!s) return -1;
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    if (n < 0) pool_sql_err(p, "count conflicts", err);
    return n;
}

int pool_team_adjust_label(pool *p, const rubric *r, const char *conv_id,
                           scoreset *scores, char *err)
{
    sqlite3_stmt *s = pool_prepare(p, "SELECT cid, consensus FROM conversations"
                                      " WHERE id = ?", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, conv_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    int64_t cid = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    int cons = rc == SQLITE_ROW ? sqlite3_column_int(s, 1) : 0;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return pool_sql_err(p, "read consensus", err);
    if (cons == CONSENSUS_CONFLICT) return 0;
    if (cons != CONSENSUS_AGREED && cons != CONSENSUS_ADJUDICATED) return 1;
    consensus_result c;
    if (pool_team_consensus(p, r, cid, &c, err) < 0) return -1;
    if (c.status == CONSENSUS_AGREED || c.status == CONSENSUS_ADJUDICATED)
        *scores = c.scores;
    return c.status == CONSENSUS_CONFLICT ? 0 : 1;
}

int pool_team_set_tolerance(pool *p, double tolerance, int64_t *changed,
                            char *err)
{
    *changed = 0;
    if (pool_begin(p, err) < 0) return -1;
    char v[64];
    snprintf(v, sizeof v, "%.17g", tolerance);
    int ok = pool_meta_set(p, "consensus_tolerance", v, err) == 0;
    sqlite3_stmt *s = ok ? pool_prepare(p,
        "SELECT cid, consensus FROM conversations WHERE cid IN (SELECT cid FROM"
        " labels WHERE undone_at IS NULL GROUP BY cid HAVING count(DISTINCT"
        " reviewer) >= 2)", err) : NULL;
    ok = s != NULL;
    int rc = SQLITE_DONE;
    while (ok && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t cid = sqlite3_column_int64(s, 0);
        int before = sqlite3_column_int(s, 1);
        ok = pool_refresh_state(p, cid, err) == 0;
        sqlite3_stmt *g = ok ? pool_prepare(p, "SELECT consensus FROM conversations"
                                               " WHERE cid = ?", err) : NULL;
        if (g) {
            sqlite3_bind_int64(g, 1, cid);
            if (sqlite3_step(g) == SQLITE_ROW && sqlite3_column_int(g, 0) != before)
                (*changed)++;
            sqlite3_finalize(g);
        } else {
            ok = 0;
        }
    }
    if (ok && rc != SQLITE_DONE) ok = pool_sql_err(p, "read conversations", err) == 0;
    sqlite3_finalize(s);
    if (!ok) {
        pool_rollback(p);
        return -1;
    }
    return pool_commit(p, err);
}

int pool_team_each_conflict(pool *p, int (*fn)(const char *conv_id, void *ctx),
                            void *ctx, char *err)
{
    sqlite3_stmt *s = pool_prepare(p, "SELECT id FROM conversations WHERE"
                                      " consensus = 3 ORDER BY id", err);
    if (!s) return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (fn((const char *)sqlite3_column_text(s, 0), ctx)) { rc = SQLITE_DONE; break; }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "list conflicts", err);
}
