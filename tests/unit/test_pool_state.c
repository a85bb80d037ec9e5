/* test_pool_state.c: the cheap state update after a stored prediction
 * (pool_review.c) gives what the full pool_refresh_state derives, counts
 * and score distributions included, whatever the conversation's history. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "../../core/util.h"
#include "../../data/pool_int.h"

#include <stdlib.h>

/* Every derived column, conv_counts and score_agg as one text. */
static char *snapshot_new(pool *p)
{
    static const char *sql =
        "SELECT (SELECT group_concat(x, ';') FROM (SELECT cid || '|' ||"
        " quote(pred_id) || '|' || quote(model_overall) || '|' ||"
        " quote(label_id) || '|' || quote(human_overall) || '|' ||"
        " quote(diff) || '|' || quote(fdiff) || '|' || quote(fdiff_field)"
        " || '|' || status || '|' || edge AS x FROM conversations"
        " ORDER BY cid)) || ' / ' || (SELECT group_concat(x, ';') FROM"
        " (SELECT seller_id || '|' || status || '|' || edge || '|' || scored"
        " || '|' || n || '|' || msgs AS x FROM conv_counts WHERE n <> 0"
        " ORDER BY 1)) || ' / ' || (SELECT group_concat(x, ';') FROM"
        " (SELECT run_id || '|' || kind || '|' || field || '|' || seller_id"
        " || '|' || value || '|' || n AS x FROM score_agg WHERE n <> 0"
        " ORDER BY 1))";
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(p->db, sql, -1, &s, NULL) != SQLITE_OK) return NULL;
    char *out = NULL;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        out = xstrdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return out;
}

/* After put_prediction: refreshing every conversation in full changes
 * nothing. */
static int state_is_full_refresh(pool *p)
{
    char err[ERR_MAX];
    char *before = snapshot_new(p);
    if (!before || pool_begin(p, err) < 0) { free(before); return 0; }
    int ok = 1;
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(p->db, "SELECT cid FROM conversations", -1, &s, NULL);
    while (s && sqlite3_step(s) == SQLITE_ROW)
        if (pool_refresh_state(p, sqlite3_column_int64(s, 0), err) < 0) ok = 0;
    sqlite3_finalize(s);
    char *after = snapshot_new(p);
    pool_rollback(p);
    ok = ok && s && after && strcmp(before, after) == 0;
    if (!ok) fprintf(stderr, "put_prediction: %s\nfull refresh:   %s\n",
                     before, after ? after : "(none)");
    free(before);
    free(after);
    return ok;
}

static void put_convo(pool *p, const char *id, const char *seller)
{
    char err[ERR_MAX];
    convo *c = convo_new(id, seller);
    convo_add_msg(c, 1700000000, "John", ROLE_CUSTOMER, "Is the tour on?");
    convo_add_msg(c, 1700000060, "Ana", ROLE_SELLER, "Yes");
    pool_put_convo(p, c, "t", NULL, err);
    convo_free(c);
}

static int predict(pool *p, const rubric *r, const char *id, int64_t run,
                   char *status, double base, int with_overall)
{
    char err[ERR_MAX];
    prediction pr = {0};
    for (size_t i = 0; i < r->nfields; i++) {
        if (!rubric_is_scored(&r->fields[i])) continue;
        if ((int)i == rubric_overall_index(r) && !with_overall) continue;
        pr.scores.v[i] = base + (double)i * 0.5;
        pr.scores.set[i] = !with_overall && i == 2 ? 0 : 1;
    }
    pr.status = status;
    pr.model = "m";
    pr.run_id = run;
    pr.raw = "raw";
    return pool_put_prediction(p, r, id, &pr, NULL, err);
}

TEST(pool_prediction_state_matches_full_refresh)
{
    char path[512], err[ERR_MAX];
    snprintf(path, sizeof path, "%s/state.db", test_tmpdir());
    pool *p = pool_open(path, err);
    CHECK_MSG(p, "%s", err);
    rubric *r = rubric_default_new();
    const char *ids[] = {"plain", "accepted", "corrected", "skipped", "edge",
                         "undone", "relabel", "failed", "other-seller"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        put_convo(p, ids[i], i == 8 ? "S-2" : "S-1");
    scoreset h = {0};
    for (size_t i = 0; i < r->nfields; i++)
        if (rubric_is_scored(&r->fields[i])) { h.v[i] = 5; h.set[i] = 1; }
    int64_t l;
    CHECK(pool_add_label(p, r, "accepted", "ann", LABEL_ACCEPTED, &h, NULL, NULL, err) == 0);
    CHECK(pool_add_label(p, r, "corrected", "ann", LABEL_CORRECTED, &h, "x", NULL, err) == 0);
    CHECK(pool_add_label(p, r, "skipped", "ann", LABEL_SKIPPED, &h, NULL, NULL, err) == 0);
    CHECK(pool_set_edge(p, "edge", "ann", 1, "odd", err) == 0);
    CHECK(pool_add_label(p, r, "undone", "ann", LABEL_ACCEPTED, &h, NULL, &l, err) == 0);
    pool_action a;
    CHECK(pool_undo_last(p, "ann", NULL, 0, &a, err) == 1);
    CHECK(a.ref == l);
    pool_action_clear(&a);
    /* An undone edge mark: the state follows the mark before it. */
    CHECK(pool_set_edge(p, "edge", "ann", 0, NULL, err) == 0);
    CHECK(pool_undo_last(p, "ann", NULL, 0, &a, err) == 1);
    CHECK(a.kind == ACTION_EDGE_UNMARK);
    pool_action_clear(&a);
    CHECK(state_is_full_refresh(p));

    int64_t run1, run2;
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &run1, err) == 0);
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &run2, err) == 0);
    /* One by one (own transactions), then as scoring does: in a batch. */
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        CHECK(predict(p, r, ids[i], run1, i == 7 ? "failed" : "ok", 6, 1) == 0);
        CHECK_MSG(state_is_full_refresh(p), "after %s", ids[i]);
    }
    CHECK(pool_add_label(p, r, "relabel", "bo", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    CHECK(pool_begin(p, err) == 0);
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        char *st = i % 3 == 0 ? "partial" : i == 7 ? "failed" : "ok";
        CHECK(predict(p, r, ids[i], run2, st, 3 + (double)i, i % 2) == 0);
        CHECK(predict(p, r, ids[i], 0, "ok", 2, 1) == 0);
    }
    CHECK(pool_commit(p, err) == 0);
    CHECK(state_is_full_refresh(p));
    /* A failed prediction after usable ones keeps the usable one. */
    CHECK(predict(p, r, "plain", run2, "failed", 9, 1) == 0);
    CHECK(state_is_full_refresh(p));
    rubric_free(r);
    pool_close(p);
}
