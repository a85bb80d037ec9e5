/* test_pool_tabs.c: the queue's Skipped and Failed tabs (FILTER_SKIPPED,
 * FILTER_FAILED, schema 16), sender names in the search, and schema 16 on
 * an older pool. Each list is checked against what the pool's rows say. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "tpool.h"
#include "../../core/rubric.h"
#include "../../core/util.h"
#include "../../data/pool.h"

#include <sqlite3.h>
#include <stdlib.h>

static int put(pool *p, const char *id, const char *sender)
{
    char err[ERR_MAX];
    convo *c = convo_new(id, "S-1");
    convo_add_msg(c, 1700000000, sender, ROLE_CUSTOMER, "Is the tour on?");
    convo_add_msg(c, 1700000060, "Ana", ROLE_SELLER, "Yes");
    int rc = pool_put_convo(p, c, "t", NULL, err);
    convo_free(c);
    return rc;
}

static int predict(pool *p, const rubric *r, const char *id, const char *status)
{
    char err[ERR_MAX];
    prediction pr = {0};
    if (strcmp(status, "failed") != 0)
        for (size_t i = 0; i < r->nfields; i++)
            if (rubric_is_scored(&r->fields[i])) { pr.scores.v[i] = 5; pr.scores.set[i] = 1; }
    pr.status = (char *)status;
    pr.error = strcmp(status, "failed") == 0 ? "HTTP 500" : NULL;
    pr.model = "m";
    return pool_put_prediction(p, r, id, &pr, NULL, err);
}

/* The ids of the list f, in order, joined by spaces ("" when empty); and
 * the count must agree. */
static char *ids_new(pool *p, pool_filter f)
{
    char err[ERR_MAX];
    pool_row rows[32];
    int n = pool_list(p, &f, 0, 32, rows, err);
    int64_t c = pool_count(p, &f, err);
    sbuf b = {0};
    sbuf_add(&b, "");
    for (int i = 0; i < n; i++) sbuf_addf(&b, "%s%s", i ? " " : "", rows[i].id);
    if (n > 0) pool_rows_clear(rows, n);
    if (c != n) sbuf_addf(&b, " (count %lld != %d)", (long long)c, n);
    return sbuf_take(&b);
}

#define CHECK_IDS(p, f, want)                                   \
    do {                                                        \
        char *got_ = ids_new(p, f);                             \
        int same_ = strcmp(got_, want) == 0;                    \
        if (!same_) test_fail(__FILE__, __LINE__, "%s: \"%s\" != \"%s\"", \
                              #f, got_, want);                  \
        free(got_);                                             \
        if (!same_) return;                                     \
    } while (0)

TEST(tabs_skipped_per_reviewer_and_failed)
{
    pool *p = tpool_open("tabs.db");
    CHECK(p != NULL);
    rubric *r = rubric_default_new();
    char err[ERR_MAX];
    const char *ids[] = {"a", "b", "c", "d", "e", "f"};
    for (int i = 0; i < 6; i++) CHECK(put(p, ids[i], "John") == 0);
    for (int i = 0; i < 6; i++) CHECK(predict(p, r, ids[i], "ok") == 0);
    scoreset none = {0};
    /* ann skips a, b, c; bo skips d; ann then labels b (no longer her skip)
     * and undoes her skip of c. */
    CHECK(pool_add_label(p, r, "a", "ann", LABEL_SKIPPED, &none, NULL, NULL, err) == 0);
    CHECK(pool_add_label(p, r, "b", "ann", LABEL_SKIPPED, &none, NULL, NULL, err) == 0);
    CHECK(pool_add_label(p, r, "d", "bo", LABEL_SKIPPED, &none, NULL, NULL, err) == 0);
    CHECK(pool_add_label(p, r, "c", "ann", LABEL_SKIPPED, &none, NULL, NULL, err) == 0);
    pool_action a;
    CHECK(pool_undo_last(p, "ann", "c", 0, &a, err) == 1);
    pool_action_clear(&a);
    CHECK(pool_add_label(p, r, "b", "ann", LABEL_ACCEPTED, NULL, NULL, NULL, err) == 0 ||
          pool_add_label(p, r, "b", "ann", LABEL_CORRECTED, &none, NULL, NULL, err) == 0);
    pool_filter f = {.kind = FILTER_SKIPPED, .skipped_by = "ann"};
    CHECK_IDS(p, f, "a");
    f.skipped_by = "bo";
    CHECK_IDS(p, f, "d");
    f.skipped_by = "nobody";
    CHECK_IDS(p, f, "");
    f.skipped_by = NULL;            /* the pool's state */
    CHECK_IDS(p, f, "a d");
    f.skipped_by = "ann";           /* with a seller, a search, descending */
    f.seller = "S-1";
    f.search = "tour";
    f.desc = 1;
    CHECK_IDS(p, f, "a");

    /* e fails; f fails, then succeeds (no longer failed); a succeeded,
     * then a re-score fails (failed: its latest attempt). */
    CHECK(predict(p, r, "e", "failed") == 0);
    CHECK(predict(p, r, "f", "failed") == 0);
    CHECK(predict(p, r, "f", "ok") == 0);
    CHECK(predict(p, r, "a", "failed") == 0);
    pool_filter g = {.kind = FILTER_FAILED};
    CHECK_IDS(p, g, "a e");
    g.desc = 1;
    g.sort = SORT_ID;
    CHECK_IDS(p, g, "e a");
    g.search = "zzz";
    CHECK_IDS(p, g, "");
    /* The CLI's filter language names them too. */
    pool_filter h;
    CHECK(pool_filter_parse("failed", &h, err) == 0 && h.kind == FILTER_FAILED);
    CHECK(pool_filter_parse("skipped", &h, err) == 0 && h.kind == FILTER_SKIPPED);
    rubric_free(r);
    pool_close(p);
}

/* The windowed list reused the last window's anchor across `a` (only the
 * reviewer's assignments / everything): the second list started at the
 * first one's first row. */
TEST(tabs_assignment_toggle_keeps_the_top)
{
    pool *p = tpool_open("assign.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    const char *ids[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) CHECK(put(p, ids[i], "John") == 0);
    CHECK(test_sh("sqlite3 '%s' \"INSERT INTO assignments SELECT cid, 'ann', 0"
                  " FROM conversations WHERE id = 'b'\"", pool_path(p)) == 0);
    pool_filter f = {.kind = FILTER_ALL, .assigned_to = "ann"};
    CHECK_IDS(p, f, "b");
    f.assigned_to = NULL;
    CHECK_IDS(p, f, "a b c");
    (void)err;
    pool_close(p);
}

static int64_t count_search(pool *p, const char *term)
{
    char err[ERR_MAX];
    pool_filter f = {.kind = FILTER_ALL, .search = term};
    return pool_count(p, &f, err);
}

TEST(search_finds_sender_names)
{
    pool *p = tpool_open("senders.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    CHECK(put(p, "c1", "Mar\xc3\xad" "a Garc\xc3\xad" "a") == 0);
    CHECK(put(p, "c2", "Garc\xc3\xad" "a") == 0);
    CHECK(put(p, "c3", "John") == 0);
    /* Scanned (no index yet), then indexed: the same answers. Accents as
     * the search treats them everywhere: ASCII letters in any case, other
     * characters as written. */
    for (int pass = 0; pass < 2; pass++) {
        CHECK_MSG(count_search(p, "Garc\xc3\xad" "a") == 2, "pass %d", pass);
        CHECK_MSG(count_search(p, "garc\xc3\xad" "a") == 2, "pass %d", pass);
        CHECK_MSG(count_search(p, "mar\xc3\xad" "a g") == 1, "pass %d", pass);
        CHECK_MSG(count_search(p, "Garcia") == 0, "pass %d", pass);
        CHECK_MSG(count_search(p, "john") == 1, "pass %d", pass);
        if (pass == 0) CHECK(pool_search_index(p, NULL, NULL, err) == 3);
    }
    pool_close(p);
}

/* A pool of schema 11 (no sender names in its index, no schema 16
 * indexes) is upgraded: the index starts again, and finds senders; the
 * same for a pool whose version is past 16 but lacks the step (numbered
 * below a step of another branch). */
TEST(schema16_upgrades_older_pools)
{
    char err[ERR_MAX];
    for (int v = 0; v < 2; v++) {
        char name[32];
        snprintf(name, sizeof name, "old%d.db", v);
        pool *p = tpool_open(name);
        CHECK(p != NULL);
        CHECK(put(p, "c1", "Garc\xc3\xad" "a") == 0);
        CHECK(pool_search_index(p, NULL, NULL, err) == 1);
        char path[512];
        snprintf(path, sizeof path, "%s", pool_path(p));
        pool_close(p);
        /* Back to the schema 11 document: without the senders. */
        CHECK(test_sh("sqlite3 '%s' \"DROP INDEX predictions_failed; DROP INDEX"
                      " labels_skipped; DROP INDEX actions_reviewer_time; DROP TABLE conv_search; DROP VIEW conv_doc;"
                      " CREATE VIEW conv_doc(rid, doc, cid) AS SELECT cid * 1048576,"
                      " lower(id || char(10) || seller_id), cid FROM conversations;"
                      " CREATE VIRTUAL TABLE conv_search USING fts5(doc, content="
                      "'conv_doc', content_rowid='rid', tokenize='trigram"
                      " case_sensitive 1', columnsize=0);"
                      " INSERT INTO conv_search(rowid, doc) SELECT rid, doc FROM conv_doc;"
                      " PRAGMA user_version = %d\"", path,
                      v == 0 ? 11 : POOL_SCHEMA_VERSION) == 0);
        p = pool_open(path, err);
        CHECK_MSG(p, "%s", err);
        pool_search_state st;
        CHECK(pool_search_get_state(p, &st, err) == 0);
        CHECK_MSG(st.indexed == 0, "v%d: indexed %lld", v, (long long)st.indexed);
        CHECK(count_search(p, "garc\xc3\xad" "a") == 1);
        CHECK(pool_search_index(p, NULL, NULL, err) == 1);
        CHECK(count_search(p, "garc\xc3\xad" "a") == 1);
        CHECK(test_sh("sqlite3 '%s' \"SELECT 1 FROM sqlite_master WHERE name ="
                      " 'labels_skipped'\" | grep -q 1", path) == 0);
        pool_close(p);
    }
}

/* The reviewer's progress and session summary come from the journal:
 * each conversation once per kind, undone actions and other reviewers'
 * left out, a session's rows only after its start. */
TEST(activity_counts_the_journal)
{
    pool *p = tpool_open("act.db");
    CHECK(p != NULL);
    rubric *r = rubric_default_new();
    char err[ERR_MAX];
    const char *ids[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++) CHECK(put(p, ids[i], "John") == 0);
    scoreset h = {0};
    for (size_t i = 0; i < r->nfields; i++)
        if (rubric_is_scored(&r->fields[i])) { h.v[i] = 5; h.set[i] = 1; }
    CHECK(pool_add_label(p, r, "e", "ann", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    int64_t start = pool_last_action_id(p, err);
    CHECK(start > 0);
    CHECK(pool_add_label(p, r, "a", "ann", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    CHECK(pool_add_label(p, r, "b", "ann", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    CHECK(pool_add_label(p, r, "b", "ann", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    CHECK(pool_add_label(p, r, "c", "ann", LABEL_SKIPPED, &h, NULL, NULL, err) == 0);
    CHECK(pool_set_edge(p, "d", "ann", 1, "odd", err) == 0);
    CHECK(pool_add_label(p, r, "d", "bo", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    CHECK(pool_add_label(p, r, "d", "ann", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    pool_action a;
    CHECK(pool_undo_last(p, "ann", NULL, 0, &a, err) == 1);   /* d's label */
    pool_action_clear(&a);
    pool_activity s, all;
    CHECK(pool_reviewer_activity(p, "ann", 0, start, &s, err) == 0);
    CHECK_MSG(s.labels == 2 && s.corrections == 2 && s.skips == 1 && s.edges == 1,
              "session %lld %lld %lld %lld", (long long)s.labels,
              (long long)s.corrections, (long long)s.skips, (long long)s.edges);
    CHECK(pool_reviewer_activity(p, "ann", 0, 0, &all, err) == 0);
    CHECK(all.labels == 3 && all.skips == 1);
    CHECK(pool_reviewer_activity(p, "bo", 0, start, &s, err) == 0);
    CHECK(s.labels == 1 && s.skips == 0 && s.edges == 0);
    /* since: a time after everything counts nothing */
    CHECK(pool_reviewer_activity(p, "ann", INT64_C(4000000000), 0, &s, err) == 0);
    CHECK(s.labels == 0);
    rubric_free(r);
    pool_close(p);
}

/* The queue's "N today" (pool_reviewed_since, read through
 * labels_created) against the same count with no index to choose, after
 * each kind of write: import, scoring, accept, correction, skip, undo, a
 * changed conversation (its label goes stale), a bulk accept and its
 * undo. */
static int64_t reviewed_direct(pool *p, int64_t since)
{
    sqlite3 *db;
    if (sqlite3_open_v2(pool_path(p), &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return -2;
    sqlite3_stmt *s;
    int64_t n = -3;
    if (sqlite3_prepare_v2(db, "SELECT count(DISTINCT l.cid) FROM labels l"
            " NOT INDEXED JOIN conversations c NOT INDEXED ON c.cid = l.cid"
            " WHERE l.created_at >= ?1 AND l.undone_at IS NULL AND l.status"
            " <> 'skipped' AND c.status = 2", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, since);
        if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return n;
}

#define CHECK_TODAY(p, since, want)                                        \
    do {                                                                   \
        int64_t got_ = pool_reviewed_since(p, since, err);                 \
        int64_t ref_ = reviewed_direct(p, since);                          \
        CHECK_MSG(got_ == ref_ && got_ == (want),                          \
                  "reviewed since %lld: %lld, direct count %lld, want %d", \
                  (long long)(since), (long long)got_, (long long)ref_, want); \
    } while (0)

TEST(reviewed_today_matches_a_direct_count)
{
    pool *p = tpool_open("today.db");
    CHECK(p != NULL);
    rubric *r = rubric_default_new();
    char err[ERR_MAX];
    int64_t day = date_now() - 3600;
    const char *ids[] = {"a", "b", "c", "d", "e", "f"};
    for (int i = 0; i < 6; i++) CHECK(put(p, ids[i], "John") == 0);
    CHECK_TODAY(p, day, 0);
    for (int i = 0; i < 6; i++) CHECK(predict(p, r, ids[i], "ok") == 0);
    CHECK_TODAY(p, day, 0);
    scoreset h = {0};
    for (size_t i = 0; i < r->nfields; i++)
        if (rubric_is_scored(&r->fields[i])) { h.v[i] = 4; h.set[i] = 1; }
    CHECK(pool_add_label(p, r, "a", "ann", LABEL_ACCEPTED, &h, NULL, NULL, err) == 0);
    CHECK(pool_add_label(p, r, "b", "ann", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    CHECK(pool_add_label(p, r, "b", "bo", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    CHECK_TODAY(p, day, 2);
    CHECK_TODAY(p, date_now() + 3600, 0);   /* nothing after now */
    CHECK(pool_add_label(p, r, "c", "ann", LABEL_SKIPPED, &h, NULL, NULL, err) == 0);
    CHECK_TODAY(p, day, 2);                 /* a skip is not a review */
    pool_action a;
    CHECK(pool_undo_last(p, "ann", NULL, 0, &a, err) == 1);   /* c's skip */
    pool_action_clear(&a);
    CHECK(pool_undo_last(p, "ann", NULL, 0, &a, err) == 1);   /* b's (bo's stays) */
    pool_action_clear(&a);
    CHECK_TODAY(p, day, 2);
    CHECK(pool_undo_last(p, "ann", NULL, 0, &a, err) == 1);   /* a's */
    pool_action_clear(&a);
    CHECK_TODAY(p, day, 1);
    /* b changes: bo's label is of the old content, b is to review again */
    convo *c = convo_new("b", "S-1");
    convo_add_msg(c, 1700000000, "John", ROLE_CUSTOMER, "Is the tour still on?");
    int changed = 0;
    CHECK(pool_put_convo(p, c, "t", &changed, err) == 0 && changed);
    convo_free(c);
    CHECK_TODAY(p, day, 0);
    /* a bulk accept: one batch, one undo */
    int64_t batch;
    CHECK(pool_begin(p, err) == 0);
    CHECK(pool_batch_begin(p, "ann", "accept", "d e f", &batch, err) == 0);
    for (int i = 3; i < 6; i++)
        CHECK(pool_add_label(p, r, ids[i], "ann", LABEL_ACCEPTED, &h, NULL, NULL, err) == 0);
    CHECK(pool_batch_end(p, err) == 0);
    CHECK(pool_commit(p, err) == 0);
    CHECK_TODAY(p, day, 3);
    CHECK(pool_undo_last(p, "ann", NULL, 0, &a, err) == 1);
    pool_action_clear(&a);
    CHECK_TODAY(p, day, 0);
    rubric_free(r);
    pool_close(p);
}
