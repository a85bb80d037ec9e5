/* test_pool_search.c: the search index (schema 3). The oracle is the scan
 * (what a pool without an index answers): an unindexed, a half-indexed and
 * a fully indexed pool must give the same counts and the same lists for
 * every kind of term, filter and sort, and stay so when conversations are
 * replaced or the index is rebuilt. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "tpool.h"
#include "../../core/util.h"
#include "../../data/pool.h"

#include <sqlite3.h>
#include <stdlib.h>

/* Conversation i of a varied pool: mixed case, accents, emoji, CJK, the
 * LIKE wildcards, a backslash and a double quote, a multi-line message. */
static convo *varied(int i)
{
    static const char *texts[] = {
        "Hi, is the Lisbon tour available?",
        "LISBON by night: 50% off today",
        "ÇA VA? ça va très bien, merci",
        "refund_please \\ now",
        "He said \"wait\" twice",
        "東京タワー tickets 🙂🙂🙂",
        "first line\nsecond line",
        "plain words only",
    };
    char id[32], seller[16];
    snprintf(id, sizeof id, "conv-%04d", i);
    snprintf(seller, sizeof seller, "S-%c%c", 'A' + i % 3, i % 5 == 0 ? 'x' : 'y');
    convo *c = convo_new(id, seller);
    int n = 1 + i % 9;
    for (int k = 0; k < n; k++)
        convo_add_msg(c, 1700000000 + k * 60,
                      k % 2 ? "Ana" : i % 7 == 3 ? "Mar\xc3\xad" "a Garc\xc3\xad" "a" : "Jo",
                      k % 2 ? ROLE_SELLER : ROLE_CUSTOMER,
                      texts[(i * 7 + k * 3) % 8]);
    return c;
}

static void fill(pool *p, int n)
{
    char err[ERR_MAX];
    CHECK(pool_begin(p, err) == 0);
    for (int i = 0; i < n; i++) {
        convo *c = varied(i);
        CHECK_MSG(pool_put_convo(p, c, "t", NULL, err) == 0, "%s", err);
        convo_free(c);
    }
    CHECK(pool_commit(p, err) == 0);
}

static const char *terms[] = {
    "lisbon", "LISBON", "Lis", "li", "S-Bx", "s-by", "conv-0017", "0017",
    "50% off", "refund_", "_", "%", "\\ now", "\"wait\"", "ça", "ÇA",
    "très", "🙂🙂", "東京タ", "line\nsecond", "first line", "zzz-absent",
    "va?", "e l", "o ", "\xff\xfe" "ab", "tr\xc3", "\xc3\xa7" "a va",
    /* sender names (schema 16) */
    "Garc\xc3\xad" "a", "garc\xc3\xad" "a", "GARC\xc3\x8d" "A", "a Gar", "Ana", "jo",
};
#define NTERMS (sizeof terms / sizeof *terms)

static const pool_filter_kind kinds[] = {FILTER_ALL, FILTER_EDGE,
                                         FILTER_UNSCORED, FILTER_TO_REVIEW};

/* Every answer for every term, filter, seller and sort, as one string. */
static char *answers(pool *p)
{
    char err[ERR_MAX];
    sbuf b = {0};
    pool_row rows[64];
    for (size_t t = 0; t < NTERMS; t++)
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
            for (int sel = 0; sel < 2; sel++)
                for (int so = 0; so < 3; so++) {
                    pool_filter f = {0};
                    f.kind = kinds[k];
                    f.search = terms[t];
                    f.seller = sel ? "S-Ax" : NULL;
                    f.sort = so == 0 ? SORT_ID : so == 1 ? SORT_MESSAGES : SORT_SELLER;
                    f.desc = so == 1;
                    int64_t n = pool_count(p, &f, err);
                    sbuf_addf(&b, "%zu/%zu/%d/%d: %lld:", t, k, sel, so, (long long)n);
                    /* The top, a middle window and the last rows. */
                    int64_t offs[3] = {0, n / 2, n > 5 ? n - 5 : 0};
                    for (int o = 0; o < 3; o++) {
                        int got = pool_list(p, &f, offs[o], 64, rows, err);
                        sbuf_addf(&b, " [%d]", got);
                        for (int i = 0; i < got; i++) sbuf_addf(&b, " %s", rows[i].id);
                        if (got > 0) pool_rows_clear(rows, got);
                    }
                    sbuf_addc(&b, '\n');
                }
    return sbuf_take(&b);
}

static int stop_after_one(void *ctx, int64_t done, int64_t total)
{
    (void)done;
    (void)total;
    return ++*(int *)ctx >= 1;
}

static int fts_ok(pool *p)
{
    return test_sh("sqlite3 '%s' \"INSERT INTO conv_search(conv_search) "
                   "VALUES('integrity-check')\"", pool_path(p)) == 0;
}

TEST(search_index_answers_like_the_scan)
{
    pool *p = tpool_open("s.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    fill(p, 5000);   /* about 25,000 messages: two indexing transactions */
    CHECK(pool_set_edge(p, "conv-0017", "t", 1, NULL, err) == 0);
    CHECK(pool_set_edge(p, "conv-0030", "t", 1, NULL, err) == 0);
    pool_search_state st;
    CHECK(pool_search_get_state(p, &st, err) == 0);
    CHECK(st.indexed == 0 && st.conversations == 5000);
    char *scan = answers(p);

    /* Spot checks of the semantics the scan defines: ASCII letters fold,
     * other letters do not; wildcards are literal; no match across
     * messages. */
    pool_filter f = {0};
    f.search = "lisbon";
    int64_t lis = pool_count(p, &f, err);
    f.search = "LISBON by";
    CHECK(pool_count(p, &f, err) > 0 && pool_count(p, &f, err) < lis);
    f.search = "ça va";
    int64_t low = pool_count(p, &f, err);
    f.search = "ÇA VA";
    CHECK(low > 0 && pool_count(p, &f, err) == low);  /* both in the same text */
    f.search = "ÇA va très";
    CHECK(pool_count(p, &f, err) == 0);
    f.search = "line\nsecond";
    CHECK(pool_count(p, &f, err) > 0);
    f.search = "only\nHi";         /* the end of one message, the next one */
    CHECK(pool_count(p, &f, err) == 0);
    f.search = "S-Bx";
    CHECK(pool_count(p, &f, err) == 333);   /* i % 3 == 1 and i % 5 == 0 */

    /* Half-indexed: one transaction, then stopped. */
    int calls = 0;
    int64_t n = pool_search_index(p, stop_after_one, &calls, err);
    CHECK_MSG(n > 0 && n < 5000, "%lld %s", (long long)n, err);
    CHECK(pool_search_get_state(p, &st, err) == 0);
    CHECK(st.indexed == n);
    char *half = answers(p);
    CHECK(strcmp(scan, half) == 0);

    /* Fully indexed. */
    n = pool_search_index(p, NULL, NULL, err);
    CHECK(n == 5000 - st.indexed);
    CHECK(pool_search_get_state(p, &st, err) == 0);
    CHECK(st.indexed == 5000);
    CHECK(pool_search_index(p, NULL, NULL, err) == 0);   /* nothing left */
    char *full = answers(p);
    CHECK(strcmp(scan, full) == 0);
    CHECK(fts_ok(p));

    /* The index is really used: a term is answered from conv_search, not
     * by a scan, once the scan's way to find it is gone. */
    CHECK(test_sh("sqlite3 '%s' \"SELECT count(*) FROM conv_search WHERE "
                  "conv_search MATCH '\\\"lisbon\\\"'\" | grep -qx %lld",
                  pool_path(p), (long long)lis) == 0);
    free(scan);
    free(half);
    free(full);
    pool_close(p);
}

TEST(search_index_follows_replaced_conversations)
{
    pool *p = tpool_open("r.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    fill(p, 40);
    CHECK(pool_search_index(p, NULL, NULL, err) == 40);
    pool_filter f = {0};
    f.search = "conv-0007";
    CHECK(pool_count(p, &f, err) == 1);
    /* A second connection keeps the matches of "lisbon" (cached per
     * connection): they must follow the change made through p. */
    char path2[512];
    snprintf(path2, sizeof path2, "%s", pool_path(p));
    pool *p2 = pool_open(path2, err);
    CHECK(p2 != NULL);
    pool_filter fl = {0};
    fl.search = "lisbon";
    int64_t lis_before = pool_count(p2, &fl, err);
    CHECK(pool_count(p, &fl, err) == lis_before);
    /* conv-0007 comes again with new words and a new seller. */
    convo *c = convo_new("conv-0007", "S-NEW");
    convo_add_msg(c, 1700000000, "Jo", ROLE_CUSTOMER, "Porto wine cellar visit?");
    int changed = -1;
    CHECK(pool_put_convo(p, c, "t", &changed, err) == 0);
    CHECK(changed == 1);
    convo_free(c);
    f.search = "porto wine";
    CHECK(pool_count(p, &f, err) == 1);
    f.search = "s-new";
    CHECK(pool_count(p, &f, err) == 1);
    f.search = "conv-0007";
    CHECK(pool_count(p, &f, err) == 1);
    CHECK(fts_ok(p));
    /* Its old words are gone from it (the index forgot them). */
    {
        pool *q = tpool_open("r2.db");
        fill(q, 40);
        f.search = "lisbon";
        int64_t all = pool_count(q, &f, err);
        convo *o = varied(7);
        int had = 0;
        for (size_t k = 0; k < o->nmsgs; k++)
            if (strstr(o->msgs[k].text, "Lisbon") || strstr(o->msgs[k].text, "LISBON"))
                had = 1;
        convo_free(o);
        CHECK(pool_count(p, &f, err) == all - had);
        CHECK(had && pool_count(p2, &fl, err) == lis_before - 1);
        pool_close(q);
    }
    /* A new conversation: the cached matches grow. */
    c = convo_new("conv-new", "S-A");
    convo_add_msg(c, 1700000000, "Jo", ROLE_CUSTOMER, "Lisbon again");
    CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
    convo_free(c);
    CHECK(pool_count(p2, &fl, err) == lis_before);
    pool_close(p2);
    /* A replaced conversation not yet indexed stays out of the index until
     * the indexer reaches it, and is found by the scan meanwhile. */
    c = varied(100);
    CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
    convo_free(c);
    c = convo_new("conv-0100", "S-A");
    convo_add_msg(c, 1700000000, "Jo", ROLE_CUSTOMER, "Madeira levada walk");
    CHECK(pool_put_convo(p, c, "t", &changed, err) == 0);
    CHECK(changed == 1);
    convo_free(c);
    f.search = "levada";
    CHECK(pool_count(p, &f, err) == 1);
    CHECK(pool_search_index(p, NULL, NULL, err) == 2);
    CHECK(pool_count(p, &f, err) == 1);
    CHECK(fts_ok(p));

    /* Rebuild: empty, then everything again; same answers. */
    CHECK(pool_search_reset(p, err) == 0);
    pool_search_state st;
    CHECK(pool_search_get_state(p, &st, err) == 0);
    CHECK(st.indexed == 0 && st.conversations == 42);
    CHECK(pool_count(p, &f, err) == 1);
    CHECK(pool_search_index(p, NULL, NULL, err) == 42);
    CHECK(pool_count(p, &f, err) == 1);
    CHECK(fts_ok(p));
    pool_close(p);
}

/* Many matches: the list walks its sort index (no sorting of every match)
 * and still pages, jumps to the end and counts exactly. */
TEST(search_index_many_matches)
{
    pool *p = tpool_open("m.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    CHECK(pool_begin(p, err) == 0);
    for (int i = 0; i < 20500; i++) {
        char id[32];
        snprintf(id, sizeof id, "m%05d", i);
        convo *c = convo_new(id, "S-1");
        convo_add_msg(c, 1700000000, "Jo", ROLE_CUSTOMER,
                      i % 41 ? "common words here" : "common and rare words");
        CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
        convo_free(c);
    }
    CHECK(pool_commit(p, err) == 0);
    CHECK(pool_search_index(p, NULL, NULL, err) == 20500);
    pool_filter f = {0};
    f.search = "common";
    CHECK(pool_count(p, &f, err) == 20500);
    pool_row rows[10] = {{0}};
    pool_rows_clear(rows, 10);
    CHECK(pool_list(p, &f, 20495, 10, rows, err) == 5);
    CHECK_STR(rows[4].id, "m20499");
    pool_rows_clear(rows, 10);
    CHECK(pool_list(p, &f, 10000, 10, rows, err) == 10);
    CHECK_STR(rows[0].id, "m10000");
    f.desc = 1;
    pool_rows_clear(rows, 10);
    CHECK(pool_list(p, &f, 0, 10, rows, err) == 10);
    CHECK_STR(rows[0].id, "m20499");
    f.desc = 0;
    /* Under filters: the filter's side is walked, each row tested. */
    CHECK(pool_set_edge(p, "m00041", "t", 1, NULL, err) == 0);
    CHECK(pool_set_edge(p, "m00042", "t", 1, NULL, err) == 0);
    f.kind = FILTER_EDGE;
    CHECK(pool_count(p, &f, err) == 2);
    pool_rows_clear(rows, 10);
    CHECK(pool_list(p, &f, 0, 10, rows, err) == 2);
    CHECK_STR(rows[1].id, "m00042");
    f.kind = FILTER_UNSCORED;
    CHECK(pool_count(p, &f, err) == 20500);
    f.kind = FILTER_TO_REVIEW;
    CHECK(pool_count(p, &f, err) == 0);
    pool_rows_clear(rows, 10);
    CHECK(pool_list(p, &f, 0, 10, rows, err) == 0);
    f.kind = FILTER_ALL;
    f.seller = "S-1";
    CHECK(pool_count(p, &f, err) == 20500);
    f.seller = NULL;
    f.search = "rare";
    f.kind = FILTER_EDGE;
    CHECK(pool_count(p, &f, err) == 1);   /* m00041 */
    f.kind = FILTER_ALL;
    CHECK(pool_count(p, &f, err) == 500);   /* i = 0, 41, ..., 20459 */
    pool_rows_clear(rows, 10);
    CHECK(pool_list(p, &f, 499, 10, rows, err) == 1);
    CHECK_STR(rows[0].id, "m20459");
    pool_rows_clear(rows, 10);
    pool_close(p);
}

/* A schema 2 pool gains the (empty) index when opened for writing; its
 * searches work at once, by the scan, and by the index once filled. */
TEST(search_index_upgrade_from_v2)
{
    pool *p = tpool_open("u.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    fill(p, 30);
    char path[512];
    snprintf(path, sizeof path, "%s", pool_path(p));
    pool_close(p);
    sqlite3 *db;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, tpool_down_v4, NULL, NULL, NULL) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "DROP TABLE conv_search; DROP VIEW conv_doc;"
                           " DROP TABLE search_state; DROP INDEX conv_state;"
                           " DROP INDEX conv_l_fdiff;"
                           " ALTER TABLE conversations DROP COLUMN fdiff;"
                           " ALTER TABLE conversations DROP COLUMN fdiff_field;"
                           " ALTER TABLE runs DROP COLUMN owner_pid;"
                           " ALTER TABLE runs DROP COLUMN owner_start;"
                           " ALTER TABLE runs DROP COLUMN owner_boot;"
                           " ALTER TABLE runs DROP COLUMN owner_host;"
                           " ALTER TABLE labels DROP COLUMN content_hash;"
                           " DROP TABLE pool_meta; PRAGMA application_id = 0;"
                           " PRAGMA user_version = 2;",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    p = pool_open_readonly(path, err);
    CHECK(p == NULL);
    p = pool_open(path, err);
    CHECK_MSG(p != NULL, "%s", err);
    pool_filter f = {0};
    f.search = "tour";
    int64_t n = pool_count(p, &f, err);
    CHECK(n > 0);
    CHECK(pool_search_index(p, NULL, NULL, err) == 30);
    CHECK(pool_count(p, &f, err) == n);
    CHECK(fts_ok(p));
    pool_close(p);
}
