/* pool_review.c: predictions, the append-only label history and edge
 * marks, and the derived per-conversation state they feed. */
#define _POSIX_C_SOURCE 200809L
#include "pool_int.h"
#include "pool_team.h"
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
    free(l->uid);
    free(l->conv_id);
    free(l->reviewer);
    free(l->note);
    free(l->rationale);
    free(l->comment);
    memset(l, 0, sizeof *l);
}

void pool_action_clear(pool_action *a)
{
    free(a->uid);
    free(a->conv_id);
    free(a->reviewer);
    free(a->batch_what);
    memset(a, 0, sizeof *a);
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
        "            AND undone_at IS NULL ORDER BY id DESC LIMIT 1) "
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
    /* several reviewers: the consensus decides (data/pool_team.h) */
    return pool_team_refresh(p, cid, err);
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

int pool_refresh_after_prediction(pool *p, int64_t cid, int64_t pid, int has,
                                  double overall, char *err)
{
    return refresh_after_prediction(p, cid, pid, has, overall, err);
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
        " created_at, json_fallback) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err);
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
    sqlite3_bind_int(s, 15, pr->json_fallback != 0);
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

#define PRED_COLS "p.id, p.run_id, p.scores, p.rationale, p.reasoning, " \
    "p.raw, p.status, p.error, p.model, p.program_id, p.tokens, " \
    "p.latency_ms, p.created_at, p.json_fallback"

/* Steps s (finalized here) and reads a prediction: 1, 0 none, -1. */
static int read_prediction(pool *p, const rubric *r, sqlite3_stmt *s,
                           prediction *out, char *err)
{
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
    out->json_fallback = sqlite3_column_int(s, 13);
    sqlite3_finalize(s);
    return 1;
}

int pool_get_prediction(pool *p, const rubric *r, const char *conv_id,
                        int64_t run_id, prediction *out, char *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT " PRED_COLS " FROM predictions p JOIN conversations c ON"
        " c.cid = p.cid WHERE c.id = ?1 AND (?2 = 0 OR p.run_id = ?2) "
        "ORDER BY ?2 = 0 AND p.id IS c.pred_id DESC, p.id DESC LIMIT 1", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, conv_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, run_id);
    return read_prediction(p, r, s, out, err);
}

int pool_last_failure(pool *p, const char *conv_id, char **error, char *err)
{
    *error = NULL;
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT p.status = 'failed', p.error FROM predictions p JOIN"
        " conversations c ON c.cid = p.cid WHERE c.id = ? ORDER BY p.id DESC"
        " LIMIT 1", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, conv_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s), failed = 0;
    if (rc == SQLITE_ROW && (failed = sqlite3_column_int(s, 0)))
        *error = pool_col_strdup(s, 1);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return pool_sql_err(p, "last failure", err);
    return failed;
}

int64_t pool_last_action_id(pool *p, char *err)
{
    sqlite3_stmt *s = pool_prepare(p, "SELECT coalesce(max(id), 0) FROM actions", err);
    if (!s) return -1;
    int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    if (id < 0) pool_sql_err(p, "journal", err);
    return id;
}

int pool_reviewer_activity(pool *p, const char *reviewer, int64_t since,
                           int64_t after_id, pool_activity *out, char *err)
{
    memset(out, 0, sizeof *out);
    /* One range of an index either way: the session's rows by id
     * (actions_reviewer), a day's by time (actions_reviewer_time, schema
     * 16), not a walk of everything the reviewer ever did. */
    char sql[512];
    snprintf(sql, sizeof sql,
        "SELECT a.kind, count(DISTINCT CASE WHEN l.status = 'corrected' THEN"
        " a.cid END), count(DISTINCT a.cid) FROM actions a INDEXED BY %s"
        " LEFT JOIN labels l ON a.kind = 'label' AND l.id = a.ref"
        " WHERE a.reviewer = ?1 AND a.created_at >= ?2 AND a.id > ?3"
        " AND a.undone_at IS NULL"
        " AND a.kind IN ('label', 'skip', 'edge_mark') GROUP BY 1",
        after_id > 0 ? "actions_reviewer" : "actions_reviewer_time");
    sqlite3_stmt *s = pool_prepare(p, sql, err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, reviewer ? reviewer : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, since);
    sqlite3_bind_int64(s, 3, after_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(s, 0);
        int64_t n = sqlite3_column_int64(s, 2);
        if (!kind) continue;
        if (!strcmp(kind, "label")) {
            out->labels += n;
            out->corrections += sqlite3_column_int64(s, 1);
        } else if (!strcmp(kind, "skip")) {
            out->skips += n;
        } else {
            out->edges += n;
        }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "activity", err);
    return 0;
}

int pool_get_prediction_id(pool *p, const rubric *r, int64_t pred_id,
                           prediction *out, char *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT " PRED_COLS " FROM predictions p WHERE p.id = ?1", err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, pred_id);
    return read_prediction(p, r, s, out, err);
}

/* ---- the journal ---- */

static const char *const action_sql[] = {"label", "skip", "edge_mark",
                                         "edge_unmark", "note", "undo"};
static const char *const action_names[] = {"label", "skip", "edge mark",
                                           "edge unmark", "note", "undo"};

const char *pool_action_name(pool_action_kind k)
{
    return k >= ACTION_LABEL && k <= ACTION_UNDO ? action_names[k] : "?";
}

static pool_action_kind action_parse(const char *s)
{
    for (int i = ACTION_LABEL; s && i <= ACTION_UNDO; i++)
        if (strcmp(s, action_sql[i]) == 0) return (pool_action_kind)i;
    return ACTION_UNDO;
}

/* Appends a journal row (inside the caller's transaction). */
static int journal(pool *p, const char *reviewer, pool_action_kind k,
                   int64_t cid, int64_t ref, int64_t now, int64_t *id,
                   char *err)
{
    sqlite3_stmt *s = pool_stmt(p, ST_ACTION_INSERT,
        "INSERT INTO actions(uid, reviewer, kind, cid, ref, created_at, batch)"
        " VALUES(lower(hex(randomblob(16))), ?, ?, ?, ?, ?, ?)", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, action_sql[k], -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, cid);
    sqlite3_bind_int64(s, 4, ref);
    sqlite3_bind_int64(s, 5, now);
    /* an undo is never part of a batch: it is the batch's undoing */
    if (p->batch > 0 && k != ACTION_UNDO && !strcmp(reviewer, p->batch_reviewer))
        sqlite3_bind_int64(s, 6, p->batch);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "journal", err);
    if (id) *id = sqlite3_last_insert_rowid(p->db);
    return 0;
}

static int need_reviewer(const char *reviewer, char *err)
{
    if (reviewer && *reviewer) return 0;
    err_set(err, "no reviewer name (use --reviewer or CURATE_REVIEWER)");
    return -1;
}

/* ---- labels ---- */

/* POOL_SUPERSEDES when another reviewer's label (not undone) is newer
 * than seen; 0 when none; -1 on error. */
static int check_supersede(pool *p, int64_t cid, const char *conv_id,
                           const char *reviewer, int64_t seen, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT id, reviewer, created_at, status, role FROM labels WHERE cid = ?1"
        " AND id > ?2 AND reviewer <> ?3 AND undone_at IS NULL"
        " ORDER BY id DESC LIMIT 1", err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, cid);
    sqlite3_bind_int64(s, 2, seen);
    sqlite3_bind_text(s, 3, reviewer, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s), out = 0;
    if (rc == SQLITE_ROW) {
        char when[32];
        date_iso8601(sqlite3_column_int64(s, 2), when, sizeof when);
        if (label_role_parse((const char *)sqlite3_column_text(s, 4)) ==
            LABEL_ROLE_ADJUDICATION)
            err_set(err, "%s adjudicated '%s' at %s (adjudication #%lld)",
                    (const char *)sqlite3_column_text(s, 1), conv_id, when,
                    (long long)sqlite3_column_int64(s, 0));
        else
            err_set(err, "%s labeled '%s' as %s at %s (label #%lld)",
                    (const char *)sqlite3_column_text(s, 1), conv_id,
                    (const char *)sqlite3_column_text(s, 3), when,
                    (long long)sqlite3_column_int64(s, 0));
        out = POOL_SUPERSEDES;
    } else if (rc != SQLITE_DONE) {
        out = pool_sql_err(p, "check labels", err);
    }
    sqlite3_finalize(s);
    return out;
}

/* The scores and overall of prediction pred_id of conversation cid, for
 * an accepted label: 0 (*scores malloc'd; *has_ov, *ov) or -1 + err. */
static int pred_scores(pool *p, int64_t pred_id, int64_t cid,
                       const char *conv_id, char **scores, int *has_ov,
                       double *ov, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT scores, overall, cid FROM predictions WHERE id = ?", err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, pred_id);
    int rc = sqlite3_step(s), out = -1;
    if (rc == SQLITE_ROW && sqlite3_column_int64(s, 2) == cid) {
        *scores = pool_col_strdup(s, 0);
        *has_ov = sqlite3_column_type(s, 1) != SQLITE_NULL;
        *ov = sqlite3_column_double(s, 1);
        out = 0;
    } else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        err_set(err, "prediction #%lld is not one of '%s'",
                (long long)pred_id, conv_id);
    } else {
        pool_sql_err(p, "get prediction", err);
    }
    sqlite3_finalize(s);
    return out;
}

int pool_put_label(pool *p, const rubric *r, const label_new *in,
                   int64_t *label_id, char *err)
{
    if (in->status != LABEL_ACCEPTED && in->status != LABEL_CORRECTED &&
        in->status != LABEL_SKIPPED) {
        err_set(err, "a label is accepted, corrected or skipped");
        return -1;
    }
    if (need_reviewer(in->reviewer, err) < 0) return -1;
    if (in->status == LABEL_ACCEPTED && in->pred_id <= 0 && !in->scores) {
        err_set(err, "accepted: no prediction and no scores");
        return -1;
    }
    /* Validate every score and fill the overall from the parts unless the
     * reviewer typed it. */
    scoreset s;
    memset(&s, 0, sizeof s);
    if (in->status != LABEL_SKIPPED && in->scores) s = *in->scores;
    for (size_t i = 0; i < r->nfields; i++) {
        if (!rubric_is_scored(&r->fields[i])) { s.set[i] = 0; continue; }
        if (s.set[i] && !rubric_validate_value(&r->fields[i], s.v[i], &s.v[i]))
            s.set[i] = 0;
    }
    int oi = rubric_overall_index(r);
    if (in->status != LABEL_SKIPPED && oi >= 0 && !s.set[oi] &&
        rubric_overall_from(r, &s, &s.v[oi]) == 0)
        s.set[oi] = 1;
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = 0, has;
    double ov = 0;
    char *scores = NULL;
    sqlite3_stmt *st = NULL;
    int64_t cid = need_cid(p, in->conv_id, err), now = date_now();
    if (cid < 0) goto done;
    if (in->seen >= 0) {
        int rc = check_supersede(p, cid, in->conv_id, in->reviewer, in->seen, err);
        if (rc < 0) {
            pool_tx_close(p, 0, NULL);
            return rc;
        }
    }
    if (in->status == LABEL_ACCEPTED && in->pred_id > 0) {
        /* Verbatim: the reviewed prediction's own scores and overall. */
        if (pred_scores(p, in->pred_id, cid, in->conv_id, &scores, &has, &ov,
                        err) < 0)
            goto done;
    } else {
        scores = rubric_scores_to_json_new(r, &s);
        ov = overall_of(r, &s, &has);
        if (in->status == LABEL_SKIPPED) has = 0;
    }
    st = pool_stmt(p, ST_LABEL_INSERT,
        "INSERT INTO labels(uid, cid, reviewer, role, status, scores, overall,"
        " note, rationale, comment, pred_id, run_id, created_at, content_hash)"
        " VALUES(lower(hex(randomblob(16))), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
        " ?9, ?10, (SELECT run_id FROM predictions WHERE id = ?10), ?11,"
        " (SELECT content_hash FROM conversations WHERE cid = ?1))", err);
    if (!st) goto done;
    sqlite3_bind_int64(st, 1, cid);
    sqlite3_bind_text(st, 2, in->reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, label_role_name(in->role), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, label_status_name(in->status), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, scores, -1, SQLITE_STATIC);
    if (has) sqlite3_bind_double(st, 6, ov);
    pool_bind_text(st, 7, in->note);
    pool_bind_text(st, 8, in->rationale);
    pool_bind_text(st, 9, in->comment);
    if (in->pred_id > 0) sqlite3_bind_int64(st, 10, in->pred_id);
    sqlite3_bind_int64(st, 11, now);
    if (sqlite3_step(st) != SQLITE_DONE) {
        pool_sql_err(p, "store label", err);
        goto done;
    }
    int64_t lid = sqlite3_last_insert_rowid(p->db);
    if (label_id) *label_id = lid;
    ok = journal(p, in->reviewer, in->status == LABEL_SKIPPED ? ACTION_SKIP
                 : ACTION_LABEL, cid, lid, now, NULL, err) == 0 &&
         pool_refresh_state(p, cid, err) == 0;
done:
    if (st) sqlite3_reset(st);
    free(scores);
    return pool_tx_close(p, ok, err);
}

int pool_add_label(pool *p, const rubric *r, const char *conv_id,
                   const char *reviewer, label_status status,
                   const scoreset *sc, const char *note, int64_t *label_id,
                   char *err)
{
    label_new in = {.conv_id = conv_id, .reviewer = reviewer,
                    .status = status, .scores = sc, .note = note, .seen = -1};
    return pool_put_label(p, r, &in, label_id, err);
}

static void read_label(const rubric *r, sqlite3_stmt *s, label *l)
{
    memset(l, 0, sizeof *l);
    l->id = sqlite3_column_int64(s, 0);
    l->conv_id = pool_col_strdup(s, 1);
    l->reviewer = pool_col_strdup(s, 2);
    l->status = label_status_parse((const char *)sqlite3_column_text(s, 3));
    rubric_scores_from_json(r, (const char *)sqlite3_column_text(s, 4),
                            &l->scores, NULL);
    l->note = pool_col_strdup(s, 5);
    l->created_at = sqlite3_column_int64(s, 6);
    l->undone = sqlite3_column_type(s, 7) != SQLITE_NULL;
    l->uid = pool_col_strdup(s, 8);
    l->role = label_role_parse((const char *)sqlite3_column_text(s, 9));
    l->pred_id = sqlite3_column_int64(s, 10);
    l->run_id = sqlite3_column_int64(s, 11);
    l->rationale = pool_col_strdup(s, 12);
    l->comment = pool_col_strdup(s, 13);
    /* The stored overall column is the label's overall (verbatim from
     * the prediction when accepted). */
    int oi = rubric_overall_index(r);
    if (oi >= 0 && sqlite3_column_type(s, 14) != SQLITE_NULL &&
        l->status != LABEL_SKIPPED) {
        l->scores.v[oi] = sqlite3_column_double(s, 14);
        l->scores.set[oi] = 1;
    }
    l->stale = sqlite3_column_int(s, 15);
}

/* Stale: made on content the conversation no longer has (schema 5). */
#define LABEL_STALE "(l.content_hash IS NOT NULL AND " \
                    "l.content_hash <> c.content_hash)"
#define LABEL_COLS "l.id, c.id, l.reviewer, l.status, l.scores, l.note, " \
                   "l.created_at, l.undone_at, l.uid, l.role, l.pred_id, " \
                   "l.run_id, l.rationale, l.comment, l.overall, " LABEL_STALE

/* Steps s (finalized here) for one label: 1, 0 none, -1. */
static int one_label(pool *p, const rubric *r, sqlite3_stmt *s, label *out,
                     char *err)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) read_label(r, s, out);
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW) return 1;
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "get label", err);
}

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
    return one_label(p, r, s, out, err);
}

int pool_get_own_label(pool *p, const rubric *r, const char *conv_id,
                       const char *reviewer, label *out, char *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT " LABEL_COLS " FROM labels l JOIN conversations c "
        "ON c.cid = l.cid WHERE c.id = ? AND l.reviewer = ? AND"
        " l.undone_at IS NULL AND NOT " LABEL_STALE
        " ORDER BY l.id DESC LIMIT 1", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, conv_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, reviewer ? reviewer : "", -1, SQLITE_STATIC);
    return one_label(p, r, s, out, err);
}

int64_t pool_newest_label_id(pool *p, const char *conv_id, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT coalesce(max(l.id), 0) FROM labels l JOIN conversations c"
        " ON c.cid = l.cid WHERE c.id = ?", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, conv_id, -1, SQLITE_STATIC);
    int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0)
                                              : pool_sql_err(p, "labels", err);
    sqlite3_finalize(s);
    return v;
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
    if (need_reviewer(reviewer, err) < 0) return -1;
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = 0;
    sqlite3_stmt *s = NULL;
    int64_t cid = need_cid(p, conv_id, err), now = date_now();
    if (cid < 0) goto done;
    s = pool_stmt(p, ST_EDGE_INSERT, "INSERT INTO edge_marks(uid, cid,"
                  " reviewer, marked, note, created_at) VALUES("
                  "lower(hex(randomblob(16))),?,?,?,?,?)", err);
    if (!s) goto done;
    sqlite3_bind_int64(s, 1, cid);
    pool_bind_text(s, 2, reviewer);
    sqlite3_bind_int(s, 3, on ? 1 : 0);
    pool_bind_text(s, 4, note);
    sqlite3_bind_int64(s, 5, now);
    if (sqlite3_step(s) != SQLITE_DONE) {
        pool_sql_err(p, "mark edge case", err);
        goto done;
    }
    ok = journal(p, reviewer, on ? ACTION_EDGE_MARK : ACTION_EDGE_UNMARK, cid,
                 sqlite3_last_insert_rowid(p->db), now, NULL, err) == 0 &&
         pool_refresh_state(p, cid, err) == 0;
done:
    if (s) sqlite3_reset(s);
    return pool_tx_close(p, ok, err);
}

int pool_get_edge(pool *p, const char *conv_id, char **note, char *err)
{
    if (note) *note = NULL;
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT e.marked, e.note FROM edge_marks e "
        "JOIN conversations c ON c.cid = e.cid WHERE c.id = ? AND"
        " e.undone_at IS NULL ORDER BY e.id DESC LIMIT 1", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, conv_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s), on = 0;
    if (rc == SQLITE_ROW) {
        on = sqlite3_column_int(s, 0);
        if (on && note) *note = pool_col_strdup(s, 1);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return pool_sql_err(p, "get edge", err);
    return on;
}

/* ---- notes ---- */

int pool_add_note(pool *p, const char *conv_id, const char *reviewer,
                  const char *text, char *err)
{
    if (need_reviewer(reviewer, err) < 0) return -1;
    if (!text || !*text) {
        err_set(err, "an empty note");
        return -1;
    }
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = 0;
    int64_t cid = need_cid(p, conv_id, err), now = date_now();
    sqlite3_stmt *s = cid < 0 ? NULL : pool_prepare(p,
        "INSERT INTO notes(uid, cid, reviewer, text, created_at)"
        " VALUES(lower(hex(randomblob(16))), ?, ?, ?, ?)", err);
    if (s) {
        sqlite3_bind_int64(s, 1, cid);
        sqlite3_bind_text(s, 2, reviewer, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, now);
        if (sqlite3_step(s) != SQLITE_DONE) pool_sql_err(p, "store note", err);
        else ok = journal(p, reviewer, ACTION_NOTE, cid,
                          sqlite3_last_insert_rowid(p->db), now, NULL, err) == 0;
        sqlite3_finalize(s);
    }
    return pool_tx_close(p, ok, err);
}

int pool_get_note(pool *p, const char *conv_id, char **text,
                  char **reviewer, char *err)
{
    *text = NULL;
    if (reviewer) *reviewer = NULL;
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT n.text, n.reviewer FROM notes n JOIN conversations c ON"
        " c.cid = n.cid WHERE c.id = ? AND n.undone_at IS NULL"
        " ORDER BY n.id DESC LIMIT 1", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, conv_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *text = pool_col_strdup(s, 0);
        if (reviewer) *reviewer = pool_col_strdup(s, 1);
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW) return 1;
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "get note", err);
}

/* ---- undo ---- */

static int flag_undone(pool *p, const char *table, int64_t id, int64_t now,
                       char *err)
{
    char sql[96];
    snprintf(sql, sizeof sql, "UPDATE %s SET undone_at = ? WHERE id = ?"
             " AND undone_at IS NULL", table);
    sqlite3_stmt *s = pool_prepare(p, sql, err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, id);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "undo", err);
}

/* Reverts action row id (kind, ref, on cid) in the caller's transaction:
 * the row it wrote flagged undone, an 'undo' journaled, the action marked,
 * the derived state refreshed. 0 or -1 + err. */
static int undo_one(pool *p, const char *reviewer, int64_t id,
                    pool_action_kind kind, int64_t ref, int64_t cid,
                    int64_t now, char *err)
{
    int64_t uid_row = 0;
    const char *table = kind == ACTION_LABEL || kind == ACTION_SKIP ? "labels"
                        : kind == ACTION_NOTE ? "notes" : "edge_marks";
    if (flag_undone(p, table, ref, now, err) < 0 ||
        journal(p, reviewer, ACTION_UNDO, cid, id, now, &uid_row, err) < 0)
        return -1;
    sqlite3_stmt *s = pool_prepare(p, "UPDATE actions SET undone_at = ?,"
                                   " undone_by = ? WHERE id = ?", err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, uid_row);
    sqlite3_bind_int64(s, 3, id);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "undo", err);
    return pool_refresh_state(p, cid, err);
}

/* The rest of batch (every action of it not undone), after the one undone
 * already: *n gets how many in all, *what the batch in words. 0 or -1. */
static int undo_batch_rest(pool *p, const char *reviewer, int64_t batch,
                           int64_t now, int64_t *n, char **what, char *err)
{
    *n = 1;
    sqlite3_stmt *s = pool_prepare(p, "SELECT what FROM batches WHERE id = ?", err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, batch);
    if (sqlite3_step(s) == SQLITE_ROW) *what = pool_col_strdup(s, 0);
    sqlite3_finalize(s);
    /* Read first, then write: the statement never walks rows it changes. */
    s = pool_prepare(p, "SELECT id, kind, ref, cid FROM actions WHERE"
                     " batch = ?1 AND reviewer = ?2 AND undone_at IS NULL"
                     " ORDER BY id DESC", err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, batch);
    sqlite3_bind_text(s, 2, reviewer, -1, SQLITE_STATIC);
    size_t cnt = 0, cap = 0;
    int64_t (*rows)[4] = NULL;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 256;
            rows = xrealloc(rows, cap * sizeof *rows);
        }
        rows[cnt][0] = sqlite3_column_int64(s, 0);
        rows[cnt][1] = action_parse((const char *)sqlite3_column_text(s, 1));
        rows[cnt][2] = sqlite3_column_int64(s, 2);
        rows[cnt][3] = sqlite3_column_int64(s, 3);
        cnt++;
    }
    sqlite3_finalize(s);
    int out = rc == SQLITE_DONE ? 0 : pool_sql_err(p, "undo", err);
    for (size_t i = 0; i < cnt && out == 0; i++)
        out = undo_one(p, reviewer, rows[i][0], (pool_action_kind)rows[i][1],
                       rows[i][2], rows[i][3], now, err);
    free(rows);
    *n += (int64_t)cnt;
    return out;
}

int pool_undo_last(pool *p, const char *reviewer, const char *conv_id,
                   int labels_only, pool_action *undone, char *err)
{
    memset(undone, 0, sizeof *undone);
    if (need_reviewer(reviewer, err) < 0) return -1;
    if (pool_tx_open(p, err) < 0) return -1;
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT a.id, a.uid, a.kind, c.id, a.reviewer, a.ref, a.created_at,"
        " a.cid, l.status, a.batch, l.role FROM actions a JOIN conversations c ON"
        " c.cid = a.cid"
        " LEFT JOIN labels l ON a.kind IN ('label', 'skip') AND l.id = a.ref"
        " WHERE a.reviewer = ?1 AND a.undone_at IS NULL AND a.kind <> 'undo'"
        " AND (?2 IS NULL OR c.id = ?2)"
        " AND (?3 = 0 OR a.kind IN ('label', 'skip'))"
        " ORDER BY a.id DESC LIMIT 1", err);
    if (!s) return pool_tx_close(p, 0, err);
    sqlite3_bind_text(s, 1, reviewer, -1, SQLITE_STATIC);
    pool_bind_text(s, 2, conv_id);
    sqlite3_bind_int(s, 3, labels_only);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) {
            pool_sql_err(p, "undo", err);
            return pool_tx_close(p, 0, err);
        }
        return pool_tx_close(p, 1, err) < 0 ? -1 : 0;
    }
    undone->id = sqlite3_column_int64(s, 0);
    undone->uid = pool_col_strdup(s, 1);
    undone->kind = action_parse((const char *)sqlite3_column_text(s, 2));
    undone->conv_id = pool_col_strdup(s, 3);
    undone->reviewer = pool_col_strdup(s, 4);
    undone->ref = sqlite3_column_int64(s, 5);
    undone->created_at = sqlite3_column_int64(s, 6);
    int64_t cid = sqlite3_column_int64(s, 7);
    undone->status = label_status_parse((const char *)sqlite3_column_text(s, 8));
    undone->batch = sqlite3_column_int64(s, 9);
    undone->role = label_role_parse((const char *)sqlite3_column_text(s, 10));
    sqlite3_finalize(s);
    int64_t now = date_now();
    int ok = undo_one(p, reviewer, undone->id, undone->kind, undone->ref, cid,
                      now, err) == 0;
    /* One undo for a whole batch; on one conversation only its own part. */
    if (ok && undone->batch > 0 && !conv_id)
        ok = undo_batch_rest(p, reviewer, undone->batch, now, &undone->batch_n,
                             &undone->batch_what, err) == 0;
    if (pool_tx_close(p, ok, err) < 0) {
        pool_action_clear(undone);
        return -1;
    }
    return 1;
}

/* ---- batches ---- */

int pool_batch_begin(pool *p, const char *reviewer, const char *kind,
                     const char *what, int64_t *id, char *err)
{
    if (need_reviewer(reviewer, err) < 0) return -1;
    if (p->tx_depth == 0 || p->batch > 0) {
        err_set(err, "a batch is begun inside pool_begin, one at a time");
        return -1;
    }
    sqlite3_stmt *s = pool_prepare(p, "INSERT INTO batches(uid, reviewer,"
        " kind, what, created_at) VALUES(lower(hex(randomblob(16))), ?, ?, ?, ?)",
        err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
    pool_bind_text(s, 3, what);
    sqlite3_bind_int64(s, 4, date_now());
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return pool_sql_err(p, "begin batch", err);
    p->batch = sqlite3_last_insert_rowid(p->db);
    p->batch_reviewer = xstrdup(reviewer);
    if (id) *id = p->batch;
    return 0;
}

int pool_batch_end(pool *p, char *err)
{
    if (p->batch <= 0) return 0;
    sqlite3_stmt *s = pool_prepare(p, "UPDATE batches SET n = (SELECT count(*)"
        " FROM actions WHERE batch = ?1) WHERE id = ?1", err);
    int rc = SQLITE_ERROR;
    if (s) {
        sqlite3_bind_int64(s, 1, p->batch);
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
    }
    p->batch = 0;
    free(p->batch_reviewer);
    p->batch_reviewer = NULL;
    if (!s) return -1;
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "end batch", err);
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
