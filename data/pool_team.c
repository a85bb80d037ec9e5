/* pool_team.c: see pool_team.h. */
#define _POSIX_C_SOURCE 200809L
#include "pool_team.h"
#include "pool_int.h"
#include "../core/date.h"

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

int pool_team_each_unit(pool *p, const rubric *r,
                        int (*fn)(const pool_team_unit *u, void *ctx),
                        void *ctx, char *err)
{
    /* The latest label per (conversation, reviewer, role) not undone. */
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT c.id, pr.scores, l.reviewer, l.status, l.scores, l.id,"
        " l.created_at, l.role = 'adjudication' AS adj"
        " FROM (SELECT max(id) AS id FROM labels WHERE undone_at IS NULL"
        "       GROUP BY cid, reviewer, role) m"
        " JOIN labels l ON l.id = m.id"
        " JOIN conversations c ON c.cid = l.cid"
        " LEFT JOIN predictions pr ON pr.id = c.pred_id"
        " ORDER BY c.id, l.reviewer, adj", err);
    if (!s) return -1;
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
        "SELECT c.id, a.reviewer, EXISTS(SELECT 1 FROM labels l WHERE"
        " l.cid = a.cid AND l.reviewer = a.reviewer AND l.undone_at IS NULL)"
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
