/* pool_review.c: predictions, the append-only label history and edge
 * marks, and the derived per-conversation state they feed. */
#define _POSIX_C_SOURCE 200809L
#include "pool_int.h"
#include "../core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void prediction_clear(prediction *pr)
{
    free(pr->rationale);
    free(pr->reasoning);
    free(pr->raw);
    free(pr->status);
    free(pr->error);
    free(pr->model);
    memset(pr, 0, sizeof *pr);
}

void label_clear(label *l)
{
    free(l->note);
    memset(l, 0, sizeof *l);
}

/* status: 0 unscored, 1 to review, 2 reviewed, 3 skipped. The model
 * columns follow the latest complete ("ok") prediction, or without one the
 * latest partial one: a failed or partial re-score never hides an earlier
 * complete one, and a conversation with only failures stays "unscored" so
 * `curate score --unscored` retries it. The label is the latest one not
 * undone and not stale (made on the conversation's current content, see
 * schema 5; NULL: made before labels recorded it). */
int pool_refresh_state(pool *p, int64_t cid, char *err)
{
    /* Kept prepared: the schema's triggers (counts, score distributions)
     * are compiled into this statement, which is too costly per call. */
    char sql[4096];
    snprintf(sql, sizeof sql,
        "WITH pr AS (SELECT id, overall FROM predictions WHERE cid = ?1 "
        "            AND status <> 'failed' "
        "            ORDER BY status = 'ok' DESC, id DESC LIMIT 1),"
        "     lb AS (SELECT id, overall, status FROM labels "
        "            WHERE cid = ?1 AND undone_at IS NULL AND (content_hash "
        "            IS NULL OR content_hash = (SELECT content_hash FROM "
        "            conversations WHERE cid = ?1)) "
        "            ORDER BY id DESC LIMIT 1),"
        "     em AS (SELECT marked FROM edge_marks WHERE cid = ?1 "
        "            ORDER BY id DESC LIMIT 1) "
        "UPDATE conversations SET "
        " pred_id = (SELECT id FROM pr), model_overall = (SELECT overall FROM pr),"
        " label_id = (SELECT id FROM lb),"
        " human_overall = (SELECT overall FROM lb WHERE status <> 'skipped'),"
        " diff = abs((SELECT overall FROM pr) - "
        "            (SELECT overall FROM lb WHERE status <> 'skipped')),"
        " (fdiff, fdiff_field) = " POOL_FDIFF_SQL ","
        " status = CASE (SELECT status FROM lb) WHEN 'skipped' THEN 3 "
        "   WHEN 'accepted' THEN 2 WHEN 'corrected' THEN 2 "
        "   ELSE (CASE WHEN (SELECT id FROM pr) IS NULL THEN 0 ELSE 1 END) END,"
        " edge = coalesce((SELECT marked FROM em), 0) "
        "WHERE cid = ?1",
        "(SELECT overall FROM pr) IS NOT NULL AND"
        " (SELECT overall FROM lb WHERE status <> 'skipped') IS NOT NULL",
        "(SELECT id FROM pr)", "(SELECT id FROM lb)");
    sqlite3_stmt *s = pool_stmt(p, ST_REFRESH, sql, err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, cid);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "update state", err);
    return 0;
}

/* pool_refresh_state after a complete ("ok") prediction pid of cid was
 * stored, in the same transaction: pid is then the latest complete
 * prediction (ids only grow), and labels and edge marks are untouched, so
 * the derived columns follow without looking anything up: the model
 * columns become pid's, the difference is taken against the current
 * human overall, and an unscored conversation (status 0: no label in
 * force) becomes "to review" while reviewed and skipped ones stay. The
 * same result as pool_refresh_state (test_pool_state.c checks it) at a
 * fraction of the cost, which matters for scoring: one per result. */
static int refresh_after_prediction(pool *p, int64_t cid, int64_t pid,
                                    int has, double overall, char *err)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
        "UPDATE conversations SET pred_id = ?2, model_overall = ?3,"
        " diff = abs(?3 - human_overall),"
        " (fdiff, fdiff_field) = " POOL_FDIFF_SQL ","
        " status = CASE status WHEN 0 THEN 1 ELSE status END "
        "WHERE cid = ?1", "?3 IS NOT NULL AND conversations.human_overall IS NOT NULL",
        "?2", "conversations.label_id");
    sqlite3_stmt *s = pool_stmt(p, ST_REFRESH_PRED, sql, err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, cid);
    sqlite3_bind_int64(s, 2, pid);
    if (has) sqlite3_bind_double(s, 3, overall);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "update state", err);
    return 0;
}

static int64_t need_cid(pool *p, const char *conv_id, char *err)
{
    int64_t cid = pool_cid(p, conv_id, err);
    if (cid == 0) err_set(err, "no conversation '%s'", conv_id);
    return cid > 0 ? cid : -1;
}

static double overall_of(const rubric *r, const scoreset *s, int *has)
{
    int oi = rubric_overall_index(r);
    *has = 0;
    if (oi >= 0 && s->set[oi]) { *has = 1; return s->v[oi]; }
    double v;
    if (rubric_overall_from(r, s, &v) == 0) { *has = 1; return v; }
    return 0;
}

/* ---- predictions ---- */

int pool_put_prediction(pool *p, const rubric *r, const char *conv_id,
                        const prediction *pr, int64_t *pred_id, char *err)
{
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = 0;
    int64_t cid = need_cid(p, conv_id, err);
    char *scores = rubric_scores_to_json_new(r, &pr->scores);
    sqlite3_stmt *s = NULL;
    if (cid < 0) goto done;
    s = pool_stmt(p, ST_PRED_INSERT,
        "INSERT INTO predictions(run_id, cid, scores, overall, rationale, "
        "reasoning, raw, status, error, model, program_id, tokens, latency_ms,"
        " created_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err);
    if (!s) goto done;
    if (pr->run_id > 0) sqlite3_bind_int64(s, 1, pr->run_id);
    sqlite3_bind_int64(s, 2, cid);
    sqlite3_bind_text(s, 3, scores, -1, SQLITE_STATIC);
    /* The model's own overall is what the queue shows; the formula is
     * only a fallback when the model gave none. */
    int has;
    double ov = overall_of(r, &pr->scores, &has);
    if (has) sqlite3_bind_double(s, 4, ov);
    pool_bind_text(s, 5, pr->rationale);
    pool_bind_text(s, 6, pr->reasoning);
    pool_bind_text(s, 7, pr->raw);
    pool_bind_text(s, 8, pr->status ? pr->status : "ok");
    pool_bind_text(s, 9, pr->error);
    pool_bind_text(s, 10, pr->model);
    if (pr->program_id > 0) sqlite3_bind_int64(s, 11, pr->program_id);
    sqlite3_bind_int(s, 12, pr->tokens);
    sqlite3_bind_double(s, 13, pr->latency_ms);
    sqlite3_bind_int64(s, 14, pr->created_at ? pr->created_at : date_now());
    if (sqlite3_step(s) != SQLITE_DONE) {
        pool_sql_err(p, "store prediction", err);
        sqlite3_reset(s);
        goto done;
    }
    sqlite3_reset(s);
    int64_t id = sqlite3_last_insert_rowid(p->db);
    if (pred_id) *pred_id = id;
    /* A failed prediction changes no state, a partial one only when there
     * is no complete one: the full refresh (rare) decides. */
    if (pr->status && strcmp(pr->status, "ok") != 0)
        ok = pool_refresh_state(p, cid, err) == 0;
    else
        ok = refresh_after_prediction(p, cid, id, has, ov, err) == 0;
done:
    free(scores);
    return pool_tx_close(p, ok, err);
}

int pool_get_prediction(pool *p, const rubric *r, const char *conv_id,
                        int64_t run_id, prediction *out, char *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT p.id, p.run_id, p.scores, p.rationale, p.reasoning, p.raw, "
        "p.status, p.error, p.model, p.program_id, p.tokens, p.latency_ms, "
        "p.created_at FROM predictions p JOIN conversations c ON c.cid = p.cid"
        " WHERE c.id = ?1 AND (?2 = 0 OR p.run_id = ?2) "
        "ORDER BY ?2 = 0 AND p.id IS c.pred_id DESC, p.id DESC LIMIT 1", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, conv_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, run_id);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(s);
        return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "get prediction", err);
    }
    out->id = sqlite3_column_int64(s, 0);
    out->run_id = sqlite3_column_int64(s, 1);
    rubric_scores_from_json(r, (const char *)sqlite3_column_text(s, 2),
                            &out->scores, NULL);
    out->rationale = pool_col_strdup(s, 3);
    out->reasoning = pool_col_strdup(s, 4);
    out->raw = pool_col_strdup(s, 5);
    out->status = pool_col_strdup(s, 6);
    out->error = pool_col_strdup(s, 7);
    out->model = pool_col_strdup(s, 8);
    out->program_id = sqlite3_column_int64(s, 9);
    out->tokens = sqlite3_column_int(s, 10);
    out->latency_ms = sqlite3_column_double(s, 11);
    out->created_at = sqlite3_column_int64(s, 12);
    sqlite3_finalize(s);
    return 1;
}

/* ---- labels ---- */

static int valid_status(const char *s)
{
    return s && (!strcmp(s, "accepted") || !strcmp(s, "corrected") ||
                 !strcmp(s, "skipped"));
}

int pool_add_label(pool *p, const rubric *r, const char *conv_id,
                   const char *reviewer, const char *status,
                   const scoreset *sc, const char *note, int64_t *label_id,
                   char *err)
{
    if (!valid_status(status)) {
        err_set(err, "status '%s' is not one of accepted, corrected, skipped",
                status ? status : "");
        return -1;
    }
    if (!reviewer || !*reviewer) {
        err_set(err, "no reviewer name (use --reviewer or CURATE_REVIEWER)");
        return -1;
    }
    /* Validate every score and fill the overall from the parts unless the
     * reviewer typed it. */
    scoreset s = *sc;
    for (size_t i = 0; i < r->nfields; i++) {
        if (!rubric_is_scored(&r->fields[i])) { s.set[i] = 0; continue; }
        if (s.set[i] && !rubric_validate_value(&r->fields[i], s.v[i], &s.v[i]))
            s.set[i] = 0;
    }
    int oi = rubric_overall_index(r);
    if (oi >= 0 && !s.set[oi] && rubric_overall_from(r, &s, &s.v[oi]) == 0)
        s.set[oi] = 1;
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = 0;
    char *scores = rubric_scores_to_json_new(r, &s);
    sqlite3_stmt *st = NULL;
    int64_t cid = need_cid(p, conv_id, err);
    if (cid < 0) goto done;
    st = pool_stmt(p, ST_LABEL_INSERT,
        "INSERT INTO labels(cid, reviewer, status, scores, overall, note, "
        "created_at, content_hash) VALUES(?1,?2,?3,?4,?5,?6,?7,"
        " (SELECT content_hash FROM conversations WHERE cid = ?1))", err);
    if (!st) goto done;
    sqlite3_bind_int64(st, 1, cid);
    sqlite3_bind_text(st, 2, reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, scores, -1, SQLITE_STATIC);
    int has;
    double ov = overall_of(r, &s, &has);
    if (has) sqlite3_bind_double(st, 5, ov);
    pool_bind_text(st, 6, note);
    sqlite3_bind_int64(st, 7, date_now());
    if (sqlite3_step(st) != SQLITE_DONE) {
        pool_sql_err(p, "store label", err);
        goto done;
    }
    if (label_id) *label_id = sqlite3_last_insert_rowid(p->db);
    ok = pool_refresh_state(p, cid, err) == 0;
done:
    if (st) sqlite3_reset(st);
    free(scores);
    return pool_tx_close(p, ok, err);
}

static void read_label(const rubric *r, sqlite3_stmt *s, label *l)
{
    memset(l, 0, sizeof *l);
    l->id = sqlite3_column_int64(s, 0);
    snprintf(l->conv_id, sizeof l->conv_id, "%s", sqlite3_column_text(s, 1));
    snprintf(l->reviewer, sizeof l->reviewer, "%s", sqlite3_column_text(s, 2));
    snprintf(l->status, sizeof l->status, "%s", sqlite3_column_text(s, 3));
    rubric_scores_from_json(r, (const char *)sqlite3_column_text(s, 4),
                            &l->scores, NULL);
    l->note = pool_col_strdup(s, 5);
    l->created_at = sqlite3_column_int64(s, 6);
    l->undone = sqlite3_column_type(s, 7) != SQLITE_NULL;
    l->stale = sqlite3_column_int(s, 8);
}

/* Stale: made on content the conversation no longer has (schema 5). */
#define LABEL_STALE "(l.content_hash IS NOT NULL AND " \
                    "l.content_hash <> c.content_hash)"
#define LABEL_COLS "l.id, c.id, l.reviewer, l.status, l.scores, l.note, " \
                   "l.created_at, l.undone_at, " LABEL_STALE

int pool_get_label(pool *p, const rubric *r, const char *conv_id, label *out,
                   char *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT " LABEL_COLS " FROM labels l JOIN conversations c "
        "ON c.cid = l.cid WHERE c.id = ? AND l.undone_at IS NULL "
        "AND NOT " LABEL_STALE " ORDER BY l.id DESC LIMIT 1", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, conv_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) read_label(r, s, out);
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW) return 1;
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "get label", err);
}

int pool_undo_label(pool *p, int64_t label_id, char *err)
{
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = 0;
    sqlite3_stmt *s = pool_prepare(p,
        "UPDATE labels SET undone_at = ? WHERE id = ? AND undone_at IS NULL "
        "RETURNING cid", err);
    if (s) {
        sqlite3_bind_int64(s, 1, date_now());
        sqlite3_bind_int64(s, 2, label_id);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            int64_t cid = sqlite3_column_int64(s, 0);
            sqlite3_finalize(s);
            s = NULL;
            ok = pool_refresh_state(p, cid, err) == 0;
        } else if (rc == SQLITE_DONE) {
            err_set(err, "label %lld does not exist or is already undone",
                    (long long)label_id);
        } else {
            pool_sql_err(p, "undo label", err);
        }
        if (s) sqlite3_finalize(s);
    }
    return pool_tx_close(p, ok, err);
}

int pool_label_history(pool *p, const rubric *r, const char *conv_id,
                       int (*fn)(const label *l, void *ctx), void *ctx,
                       char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT " LABEL_COLS " FROM labels l JOIN conversations c "
        "ON c.cid = l.cid WHERE c.id = ? ORDER BY l.id", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, conv_id, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        label l;
        read_label(r, s, &l);
        int stop = fn(&l, ctx);
        label_clear(&l);
        if (stop) { rc = SQLITE_DONE; break; }
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "label history", err);
}

/* ---- edge marks ---- */

int pool_set_edge(pool *p, const char *conv_id, const char *reviewer, int on,
                  const char *note, char *err)
{
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = 0;
    sqlite3_stmt *s = NULL;
    int64_t cid = need_cid(p, conv_id, err);
    if (cid < 0) goto done;
    s = pool_stmt(p, ST_EDGE_INSERT, "INSERT INTO edge_marks(cid, reviewer, "
                  "marked, note, created_at) VALUES(?,?,?,?,?)", err);
    if (!s) goto done;
    sqlite3_bind_int64(s, 1, cid);
    pool_bind_text(s, 2, reviewer ? reviewer : "");
    sqlite3_bind_int(s, 3, on ? 1 : 0);
    pool_bind_text(s, 4, note);
    sqlite3_bind_int64(s, 5, date_now());
    if (sqlite3_step(s) != SQLITE_DONE) {
        pool_sql_err(p, "mark edge case", err);
        goto done;
    }
    ok = pool_refresh_state(p, cid, err) == 0;
done:
    if (s) sqlite3_reset(s);
    return pool_tx_close(p, ok, err);
}

int pool_get_edge(pool *p, const char *conv_id, char *note, size_t notelen,
                  char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT e.marked, coalesce(e.note, '') FROM edge_marks e "
        "JOIN conversations c ON c.cid = e.cid WHERE c.id = ? "
        "ORDER BY e.id DESC LIMIT 1", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, conv_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s), on = 0;
    if (rc == SQLITE_ROW) {
        on = sqlite3_column_int(s, 0);
        if (note && notelen)
            snprintf(note, notelen, "%s", on ? (const char *)sqlite3_column_text(s, 1) : "");
    } else if (note && notelen) {
        note[0] = '\0';
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return pool_sql_err(p, "get edge", err);
    return on;
}

int pool_stale_labels(pool *p, const char *conv_id, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT count(*) FROM labels l JOIN conversations c ON c.cid = l.cid"
        " WHERE c.id = ? AND l.undone_at IS NULL AND " LABEL_STALE, err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, conv_id, -1, SQLITE_STATIC);
    int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_finalize(s);
    if (n < 0) return pool_sql_err(p, "stale labels", err);
    return n;
}
