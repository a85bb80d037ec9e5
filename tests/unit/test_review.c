/* test_review.c: the review use cases (tui/app/review.h) and the pool's
 * events and journal under them, on real SQLite files. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "tpool.h"
#include "../../core/util.h"
#include "../../tui/app/review.h"

#include <sqlite3.h>
#include <stdlib.h>

static const rubric *rub(void)
{
    static rubric *r;
    if (!r) r = rubric_default_new();
    return r;
}

static void put(pool *p, const char *id)
{
    char err[ERR_MAX];
    convo *c = convo_new(id, "S-1");
    convo_add_msg(c, 1700000000, "Ana", ROLE_CUSTOMER, "hello");
    if (pool_put_convo(p, c, "t", NULL, err) < 0) fprintf(stderr, "%s\n", err);
    convo_free(c);
}

/* A prediction of run (0 none) with parts a, b, c and overall ov. */
static int64_t predict(pool *p, const char *id, int64_t run, double a,
                       double b, double c, double ov)
{
    const rubric *r = rub();
    char err[ERR_MAX];
    prediction pr = {0};
    const char *names[4] = {"responsiveness_score", "customer_negative_score",
                            "conversational_trend_score", "overall_seller_score"};
    double v[4] = {a, b, c, ov};
    for (int i = 0; i < 4; i++) {
        int fi = rubric_field_index(r, names[i]);
        pr.scores.v[fi] = v[i];
        pr.scores.set[fi] = 1;
    }
    pr.status = "ok";
    pr.model = "m";
    pr.run_id = run;
    int64_t pid = 0;
    if (pool_put_prediction(p, r, id, &pr, &pid, err) < 0) fprintf(stderr, "%s\n", err);
    return pid;
}

static int64_t count(pool *p, const char *sql)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' \"%s\"", pool_path(p), sql);
    FILE *f = popen(cmd, "r");
    long long n = -1;
    if (f) {
        if (fscanf(f, "%lld", &n) != 1) n = -1;
        pclose(f);
    }
    return n;
}

TEST(review_accept_stores_the_reviewed_prediction_verbatim)
{
    const rubric *r = rub();
    pool *p = tpool_open("r.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    int64_t run1, run2;
    put(p, "c1");
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &run1, err) == 0);
    int64_t pa = predict(p, "c1", run1, 7, 5, 5.5, 6.3);
    review_item it;
    CHECK(review_open(p, r, "ann", "c1", &it, err) == 0);
    CHECK(it.has_pred && it.pr.id == pa);
    /* A re-score lands while the reviewer looks at prediction pa. */
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &run2, err) == 0);
    predict(p, "c1", run2, 1, 1, 1, 1);
    review_saved sv;
    CHECK_MSG(review_save(p, r, "ann", &it, LABEL_DO_ACCEPT, NULL, 0, &sv, err) == 0, "%s", err);
    CHECK(sv.status == LABEL_ACCEPTED && sv.has_overall);
    CHECK_NEAR(sv.overall, 6.3, 1e-9);   /* the model's, not the formula's 5.95 */
    review_item_clear(&it);
    label l;
    CHECK(pool_get_label(p, r, "c1", &l, err) == 1);
    CHECK(l.pred_id == pa && l.run_id == run1 && l.status == LABEL_ACCEPTED);
    CHECK(l.role == LABEL_ROLE_REVIEW && l.uid && strlen(l.uid) == 32);
    CHECK_NEAR(l.scores.v[rubric_field_index(r, "responsiveness_score")], 7, 1e-9);
    char what[96];
    review_describe(&l, what, sizeof what);
    char want[96];
    snprintf(want, sizeof want, "accepted prediction #%lld of run %lld",
             (long long)pa, (long long)run1);
    CHECK_STR(what, want);
    label_clear(&l);
    CHECK(count(p, "SELECT count(*) FROM labels l JOIN predictions p ON p.id = l.pred_id"
                   " WHERE l.scores = p.scores AND l.overall = p.overall") == 1);
    pool_close(p);
}

TEST(review_second_reviewer_is_asked_before_superseding)
{
    const rubric *r = rub();
    pool *p = tpool_open("s.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    put(p, "c1");
    predict(p, "c1", 0, 7, 5, 5.5, 6.3);
    review_item ann, bob;
    CHECK(review_open(p, r, "ann", "c1", &ann, err) == 0);
    CHECK(review_open(p, r, "bob", "c1", &bob, err) == 0);
    review_saved sv;
    CHECK(review_save(p, r, "bob", &bob, LABEL_DO_SKIP, NULL, 0, &sv, err) == 0);
    CHECK(review_save(p, r, "ann", &ann, LABEL_DO_SAVE, NULL, 0, &sv, err) == POOL_SUPERSEDES);
    CHECK_MSG(strstr(err, "bob labeled 'c1' as skipped") != NULL, "%s", err);
    CHECK(count(p, "SELECT count(*) FROM labels") == 1);
    CHECK(count(p, "SELECT count(*) FROM actions") == 1);
    CHECK(review_save(p, r, "ann", &ann, LABEL_DO_SAVE, NULL, 1, &sv, err) == 0);
    /* bob's own later save on what he opened: ann's is newer, asked too. */
    CHECK(review_save(p, r, "bob", &bob, LABEL_DO_ACCEPT, NULL, 0, &sv, err) == POOL_SUPERSEDES);
    review_item_clear(&ann);
    review_item_clear(&bob);
    /* Each reviewer's own latest label is theirs; the derived state is the
     * latest not undone. */
    label l;
    CHECK(pool_get_own_label(p, r, "c1", "bob", &l, err) == 1);
    CHECK(l.status == LABEL_SKIPPED);
    label_clear(&l);
    CHECK(pool_get_label(p, r, "c1", &l, err) == 1);
    CHECK_STR(l.reviewer, "ann");
    label_clear(&l);
    CHECK(count(p, "SELECT status FROM conversations") == 2);
    pool_close(p);
}

TEST(review_undo_is_each_reviewers_own_journal)
{
    const rubric *r = rub();
    pool *p = tpool_open("u.db");
    CHECK(p != NULL);
    char err[ERR_MAX], what[ERR_MAX];
    put(p, "c1");
    put(p, "c2");
    predict(p, "c1", 0, 7, 5, 5.5, 6.3);
    predict(p, "c2", 0, 3, 5, 5.5, 4);
    review_item it;
    review_saved sv;
    CHECK(review_open(p, r, "ann", "c1", &it, err) == 0);
    CHECK(review_save(p, r, "ann", &it, LABEL_DO_ACCEPT, NULL, 0, &sv, err) == 0);
    review_item_clear(&it);
    CHECK(review_edge(p, "ann", "c2", 1, "odd", err) == 0);
    CHECK(review_edge(p, "ann", "c2", 0, NULL, err) == 0);
    CHECK(review_note(p, "bob", "c2", "bob's note", err) == 0);
    pool_action a;
    /* Bob's undo reverts bob's note, never ann's actions. */
    CHECK(review_undo(p, "bob", NULL, 0, &a, what, err) == 1);
    CHECK(a.kind == ACTION_NOTE);
    CHECK_STR(what, "undone: note of c2");
    pool_action_clear(&a);
    CHECK(review_undo(p, "bob", NULL, 0, &a, what, err) == 0);
    CHECK_STR(what, "nothing of bob's to undo");
    /* Ann's: the edge unmark first (the mark comes back), then the mark,
     * then the label (not the label first, as the screen stack did). */
    CHECK(review_undo(p, "ann", NULL, 0, &a, what, err) == 1);
    CHECK(a.kind == ACTION_EDGE_UNMARK);
    pool_action_clear(&a);
    CHECK(pool_get_edge(p, "c2", NULL, err) == 1);
    CHECK(count(p, "SELECT edge FROM conversations WHERE id = 'c2'") == 1);
    CHECK(review_undo(p, "ann", NULL, 0, &a, what, err) == 1);
    CHECK(a.kind == ACTION_EDGE_MARK);
    pool_action_clear(&a);
    CHECK(pool_get_edge(p, "c2", NULL, err) == 0);
    CHECK(review_undo(p, "ann", NULL, 0, &a, what, err) == 1);
    CHECK(a.kind == ACTION_LABEL && a.status == LABEL_ACCEPTED);
    CHECK_STR(a.conv_id, "c1");
    pool_action_clear(&a);
    CHECK(count(p, "SELECT status FROM conversations WHERE id = 'c1'") == 1);
    /* Nothing deleted; who undid what and when is recorded. */
    CHECK(count(p, "SELECT count(*) FROM labels") == 1);
    CHECK(count(p, "SELECT count(*) FROM edge_marks WHERE undone_at IS NOT NULL") == 2);
    CHECK(count(p, "SELECT count(*) FROM notes WHERE undone_at IS NOT NULL") == 1);
    CHECK(count(p, "SELECT count(*) FROM actions a JOIN actions u ON u.id = a.undone_by"
                   " WHERE u.kind = 'undo' AND u.ref = a.id AND u.reviewer = a.reviewer"
                   " AND a.undone_at = u.created_at") == 4);
    CHECK(count(p, "SELECT count(DISTINCT uid) FROM actions") == 8);
    pool_close(p);
}

/* A pool without schema 4 (labels and marks, no journal; a build without
 * the step took it to a higher version) gets it on open: every event gets
 * a uid and a journal row in the order it was made, so the old ones can be
 * undone like new ones. */
TEST(review_pool_without_schema_v4_is_upgraded_with_a_journal)
{
    const rubric *r = rub();
    pool *p = tpool_open("v3.db");
    CHECK(p != NULL);
    char err[ERR_MAX], path[512];
    put(p, "c1");
    put(p, "c2");
    scoreset h = {0};
    for (size_t i = 0; i < r->nfields; i++)
        if (rubric_is_scored(&r->fields[i])) { h.v[i] = 5; h.set[i] = 1; }
    CHECK(pool_add_label(p, r, "c1", "ann", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    CHECK(pool_set_edge(p, "c2", "ann", 1, "x", err) == 0);
    CHECK(pool_add_label(p, r, "c2", "ann", LABEL_SKIPPED, &h, NULL, NULL, err) == 0);
    snprintf(path, sizeof path, "%s", pool_path(p));
    pool_close(p);
    sqlite3 *db;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, tpool_down_v4, NULL, NULL, NULL) == SQLITE_OK);
    /* Made in three different seconds (within one, the journal cannot
     * tell a label from a mark: labels go first). */
    CHECK(sqlite3_exec(db, "UPDATE labels SET created_at = 1000 * id;"
                           " UPDATE edge_marks SET created_at = 1500;",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    p = pool_open(path, err);
    CHECK_MSG(p != NULL, "%s", err);
    CHECK(count(p, "SELECT count(DISTINCT uid) FROM labels") == 2);
    CHECK(count(p, "SELECT count(DISTINCT uid) FROM edge_marks") == 1);
    CHECK(count(p, "SELECT count(*) FROM actions") == 3);
    CHECK(count(p, "PRAGMA user_version") == POOL_SCHEMA_VERSION);
    pool_action a;
    CHECK(pool_undo_last(p, "ann", NULL, 0, &a, err) == 1);
    CHECK(a.kind == ACTION_SKIP);
    pool_action_clear(&a);
    CHECK(pool_undo_last(p, "ann", NULL, 0, &a, err) == 1);
    CHECK(a.kind == ACTION_EDGE_MARK);
    pool_action_clear(&a);
    CHECK(pool_undo_last(p, "ann", "c1", 1, &a, err) == 1);
    CHECK(a.kind == ACTION_LABEL);
    pool_action_clear(&a);
    CHECK(count(p, "SELECT count(*) FROM conversations WHERE status <> 0 OR edge <> 0") == 0);
    pool_close(p);
}

/* Rationale and comment (issue 17) go with the label; a rationale with the
 * model's scores is accepted; a skip keeps its comment; reopening continues
 * from your own label's texts. */
TEST(review_rationale_and_comment_are_stored_with_the_label)
{
    const rubric *r = rub();
    pool *p = tpool_open("why.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    put(p, "c1");
    put(p, "c2");
    int64_t pa = predict(p, "c1", 0, 7, 5, 5.5, 6.3);
    predict(p, "c2", 0, 7, 5, 5.5, 6.3);
    review_item it;
    CHECK(review_open(p, r, "ann", "c1", &it, err) == 0);
    review_set_rationale(&it, "Replied after 9 hours.");
    review_set_comment(&it, "check the timestamps");
    review_saved sv;
    CHECK_MSG(review_save(p, r, "ann", &it, LABEL_DO_SAVE, NULL, 0, &sv, err) == 0, "%s", err);
    CHECK(sv.status == LABEL_ACCEPTED);
    review_item_clear(&it);
    label l;
    CHECK(pool_get_label(p, r, "c1", &l, err) == 1);
    CHECK(l.status == LABEL_ACCEPTED && l.pred_id == pa);
    CHECK_STR(l.rationale, "Replied after 9 hours.");
    CHECK_STR(l.comment, "check the timestamps");
    label_clear(&l);
    /* reopened: yours continues from your label */
    CHECK(review_open(p, r, "ann", "c1", &it, err) == 0);
    CHECK_STR(it.rationale, "Replied after 9 hours.");
    CHECK_STR(it.comment, "check the timestamps");
    review_item_clear(&it);
    /* the model's rationale unchanged is not stored as the reviewer's */
    CHECK(review_open(p, r, "ann", "c2", &it, err) == 0);
    review_set_rationale(&it, it.pr.rationale);
    review_set_comment(&it, "unsure");
    CHECK(review_save(p, r, "ann", &it, LABEL_DO_SKIP, NULL, 0, &sv, err) == 0);
    review_item_clear(&it);
    CHECK(pool_get_label(p, r, "c2", &l, err) == 1);
    CHECK(l.status == LABEL_SKIPPED && l.rationale == NULL);
    CHECK_STR(l.comment, "unsure");
    label_clear(&l);
    pool_close(p);
}
