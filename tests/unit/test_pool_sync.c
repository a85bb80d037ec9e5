/* test_pool_sync.c: the pool's side of sync: a pool's items as documents
 * applied to another pool give the same items (twice: nothing more); items
 * whose conversation is missing wait; malformed documents are refused
 * with a message naming the item, and store nothing. */
#include "test.h"
#include "tpool.h"
#include "../../core/util.h"
#include "../../data/pool_sync.h"
#include "../../data/pool_team.h"

#include <stdlib.h>

static int64_t count(pool *p, const char *what)
{
    /* through the local uids: what sync sees */
    char **v, err[ERR_MAX];
    size_t n;
    pool_sync_kind k = SYNC_NKINDS;
    for (int i = 0; i < SYNC_NKINDS; i++)
        if (!strcmp(pool_sync_kind_name((pool_sync_kind)i), what)) k = (pool_sync_kind)i;
    if (k == SYNC_NKINDS || pool_sync_local_uids(p, k, &v, &n, err) < 0) return -1;
    pool_sync_uids_free(v, n);
    return (int64_t)n;
}

/* Copies every item of a into b through documents; returns applied. */
static int copy_all(pool *a, pool *b, int64_t *applied, int64_t *waiting)
{
    char err[ERR_MAX];
    *applied = *waiting = 0;
    if (pool_sync_assign_uids(a, err) < 0) return -1;
    for (int i0 = 0; i0 < SYNC_NKINDS; i0++) {
        pool_sync_kind k = pool_sync_kind_nth(i0);
        char **v;
        size_t n;
        if (pool_sync_local_uids(a, k, &v, &n, err) < 0) return -1;
        for (size_t i = 0; i < n; i++) {
            cJSON *d = pool_sync_doc_new(a, k, v[i], err);
            pool_sync_result r;
            if (!d || pool_sync_apply(b, k, d, &r, err) < 0) {
                fprintf(stderr, "    %s\n", err);
                cJSON_Delete(d);
                pool_sync_uids_free(v, n);
                return -1;
            }
            *applied += r == SYNC_APPLIED;
            *waiting += r == SYNC_WAITING;
            cJSON_Delete(d);
        }
        pool_sync_uids_free(v, n);
    }
    return 0;
}

TEST(pool_sync_documents_roundtrip)
{
    char err[ERR_MAX];
    rubric *r = rubric_default_new();
    pool *a = tpool_open("a.db"), *b = tpool_open("b.db");
    CHECK(a && b);
    for (int i = 0; i < 3; i++) {
        char id[32];
        snprintf(id, sizeof id, "c-%d@x", i);   /* an '@' in the id too */
        convo *c = convo_new(id, "seller");
        convo_add_msg(c, 1700000000 + i, "Ann", ROLE_CUSTOMER, "hello \"there\"\n");
        convo_add_msg(c, 1700000100 + i, "Bob", ROLE_SELLER, "ol\xc3\xa1");
        CHECK(pool_put_convo(a, c, "test", NULL, err) == 0);
        convo_free(c);
        scoreset s = {0};
        s.v[2] = 7.5; s.set[2] = 1;
        s.v[3] = 2; s.set[3] = 1;
        s.v[4] = 6; s.set[4] = 1;
        CHECK_MSG(pool_add_label(a, r, id, "ann", LABEL_CORRECTED, &s, "n", NULL, err) == 0, "%s", err);
    }
    int64_t lid;
    scoreset s = {0};
    s.v[2] = 1; s.set[2] = 1; s.v[3] = 1; s.set[3] = 1; s.v[4] = 1; s.set[4] = 1;
    CHECK(pool_add_label(a, r, "c-0@x", "bob", LABEL_CORRECTED, &s, NULL, &lid, err) == 0);
    pool_action ua;
    CHECK(pool_undo_last(a, "bob", "c-0@x", 1, &ua, err) == 1);
    CHECK(ua.ref == lid);
    pool_action_clear(&ua);
    CHECK(pool_set_edge(a, "c-1@x", "ann", 1, "edge", err) == 0);
    /* notes (one undone) and assignments, a reviewer of several bytes per
     * character and an id with ':' in it (the assignment's uid) */
    CHECK(pool_add_note(a, "c-2@x", "ann", "first", err) == 0);
    CHECK(pool_add_note(a, "c-0@x", "bob", "second", err) == 0);
    CHECK(pool_add_note(a, "c-1@x", "bob", "gone", err) == 0);
    CHECK(pool_undo_last(a, "bob", NULL, 0, &ua, err) == 1);
    pool_action_clear(&ua);
    CHECK(pool_team_assign(a, "c-1@x", "Jos\xc3\xa9:3", err) == 0);
    CHECK(pool_team_assign(a, "c-2@x", "ann", err) == 0);
    int64_t applied, waiting;
    CHECK(copy_all(a, b, &applied, &waiting) == 0);
    CHECK(waiting == 0);
    CHECK(count(b, "conversations") == 3 && count(b, "labels") == 4 &&
          count(b, "edge_marks") == 1 && count(b, "undos") == 2 &&
          count(b, "notes") == 3 && count(b, "assignments") == 2);
    /* (which of two notes is the latest is sync's order: sync.sh) */
    char *text = NULL, *who = NULL;
    CHECK(pool_get_note(b, "c-2@x", &text, &who, err) == 1);
    CHECK_STR(text, "first");
    CHECK_STR(who, "ann");
    free(text);
    free(who);
    CHECK(pool_get_note(b, "c-0@x", &text, &who, err) == 1);
    CHECK_STR(text, "second");
    CHECK_STR(who, "bob");
    free(text);
    free(who);
    CHECK(pool_get_note(b, "c-1@x", &text, NULL, err) == 0);   /* undone there too */
    free(text);
    label l;
    CHECK(pool_get_label(b, r, "c-0@x", &l, err) == 1);
    CHECK_STR(l.reviewer, "ann");           /* bob's was undone there too */
    double v = l.scores.v[2];
    label_clear(&l);
    CHECK_NEAR(v, 7.5, 1e-9);
    convo *c = pool_get_convo_new(b, "c-2@x", err);
    CHECK(c && c->nmsgs == 2);
    CHECK_STR(c->msgs[0].text, "hello \"there\"\n");
    CHECK_STR(c->msgs[1].text, "ol\xc3\xa1");
    convo_free(c);
    char *note = NULL;
    CHECK(pool_get_edge(b, "c-1@x", &note, err) == 1);
    CHECK_STR(note, "edge");
    free(note);
    /* again: nothing more, both ways */
    CHECK(copy_all(a, b, &applied, &waiting) == 0);
    CHECK(applied == 0);
    CHECK(copy_all(b, a, &applied, &waiting) == 0);
    CHECK(applied == 0);
    pool_close(a);
    pool_close(b);
    rubric_free(r);
}

TEST(pool_sync_waits_and_refuses)
{
    char err[ERR_MAX];
    pool *b = tpool_open("b.db");
    CHECK(b);
    pool_sync_result res;
    /* a label of a conversation that has not arrived: waits, not recorded */
    cJSON *d = cJSON_Parse("{\"uid\":\"u1\",\"conv\":\"later\",\"reviewer\":\"ann\","
                           "\"status\":\"accepted\",\"scores\":\"{}\",\"overall\":null,"
                           "\"note\":null,\"created_at\":5}");
    CHECK(pool_sync_apply(b, SYNC_LABELS, d, &res, err) == 0 && res == SYNC_WAITING);
    CHECK(count(b, "labels") == 0);
    cJSON_Delete(d);
    /* a conversation whose messages do not match its hash */
    d = cJSON_Parse("{\"uid\":\"x@0000000000000000\",\"id\":\"x\",\"hash\":\"0000000000000000\","
                    "\"seller_id\":\"s\",\"imported_at\":1,\"messages\":[[1,\"a\",0,\"hi\"]]}");
    CHECK(pool_sync_apply(b, SYNC_CONVERSATIONS, d, &res, err) < 0);
    CHECK_MSG(strstr(err, "x@0000000000000000") && strstr(err, "content hash"), "%s", err);
    CHECK(!pool_has_convo(b, "x"));
    cJSON_Delete(d);
    /* a message that is not [ts, sender, role, text] */
    d = cJSON_Parse("{\"uid\":\"y@1\",\"id\":\"y\",\"hash\":\"1\",\"seller_id\":\"s\","
                    "\"imported_at\":1,\"messages\":[[1,\"a\",7,\"hi\"]]}");
    CHECK(pool_sync_apply(b, SYNC_CONVERSATIONS, d, &res, err) < 0);
    CHECK_MSG(strstr(err, "y@1") && strstr(err, "message"), "%s", err);
    CHECK(!pool_has_convo(b, "y"));
    cJSON_Delete(d);
    /* an assignment whose uid is not the one its fields make */
    d = cJSON_Parse("{\"uid\":\"3:bobc-1\",\"conv\":\"c-1\",\"reviewer\":\"ann\","
                    "\"created_at\":5}");
    CHECK(pool_sync_apply(b, SYNC_ASSIGNMENTS, d, &res, err) < 0);
    CHECK_MSG(strstr(err, "assignment 3:bobc-1") && strstr(err, "uid"), "%s", err);
    cJSON_Delete(d);
    d = cJSON_Parse("{\"id\":\"z\"}");
    CHECK(pool_sync_apply(b, SYNC_CONVERSATIONS, d, &res, err) < 0);
    CHECK_MSG(strstr(err, "without a uid"), "%s", err);
    cJSON_Delete(d);
    pool_close(b);
}

/* The newest import of a conversation wins on both pools. */
TEST(pool_sync_conversation_versions)
{
    char err[ERR_MAX];
    pool *a = tpool_open("a.db"), *b = tpool_open("b.db");
    CHECK(a && b);
    convo *c = convo_new("v", "s");
    convo_add_msg(c, 1, "a", ROLE_CUSTOMER, "first");
    CHECK(pool_put_convo(a, c, NULL, NULL, err) == 0);
    convo_free(c);
    int64_t applied, waiting;
    CHECK(copy_all(a, b, &applied, &waiting) == 0 && applied == 1);
    /* b re-imports a changed version, later */
    c = convo_new("v", "s");
    convo_add_msg(c, 1, "a", ROLE_CUSTOMER, "second");
    CHECK(pool_put_convo(b, c, NULL, NULL, err) == 0);
    convo_free(c);
    CHECK(test_sh("sqlite3 '%s/b.db' \"UPDATE conversations SET imported_at = imported_at + 100\"",
                  test_tmpdir()) == 0);
    CHECK(copy_all(b, a, &applied, &waiting) == 0);   /* a takes the newer */
    CHECK(copy_all(a, b, &applied, &waiting) == 0);   /* b keeps it: a's old one is seen */
    convo *ca = pool_get_convo_new(a, "v", err), *cb = pool_get_convo_new(b, "v", err);
    CHECK(ca && cb);
    CHECK_STR(ca->msgs[0].text, "second");
    CHECK_STR(cb->msgs[0].text, "second");
    convo_free(ca);
    convo_free(cb);
    CHECK(copy_all(a, b, &applied, &waiting) == 0 && applied == 0);
    CHECK(copy_all(b, a, &applied, &waiting) == 0 && applied == 0);
    pool_close(a);
    pool_close(b);
}
