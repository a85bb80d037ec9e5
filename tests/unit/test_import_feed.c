/* test_import_feed.c: the parsing thread of curate import hands over the
 * conversations the reader gives, in order, with their line numbers and
 * content hashes, across block boundaries; an error comes after the
 * conversations before it, worded as the reader words it, and stays. Its
 * whole-file check reaches the end of the file while the storer holds the
 * first conversation (the ring full), and says what the reader says. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "../../core/util.h"
#include "../../data/import_feed.h"

#include <stdlib.h>

/* n conversations (a blank line every 7th, a meta every 5th, up to 9
 * messages), then tail (may be NULL). */
static const char *write_jsonl(const char *name, int n, const char *tail)
{
    sbuf b = {0};
    for (int i = 0; i < n; i++) {
        if (i % 7 == 3) sbuf_add(&b, "\n");
        sbuf_addf(&b, "{\"id\": \"c-%d\", \"seller_id\": \"S-%d\", \"messages\": [", i, i % 4);
        for (int j = 0; j <= i % 9; j++)
            sbuf_addf(&b, "%s{\"ts\": %d, \"from\": \"f%d\", \"role\": \"%s\", "
                      "\"text\": \"t %d \\u00e9 %d\"}", j ? "," : "", 1700000000 + j, j,
                      j % 2 ? "seller" : "customer", i, j);
        sbuf_addf(&b, "]%s}\n", i % 5 == 0 ? ", \"meta\": {\"k\": 1}" : "");
    }
    if (tail) sbuf_add(&b, tail);
    const char *path = test_write_file(name, b.s);
    sbuf_free(&b);
    return path;
}

static int same_convo(const convo *a, const convo *b)
{
    if (strcmp(a->id, b->id) || strcmp(a->seller_id, b->seller_id) ||
        (!a->meta_json) != (!b->meta_json) ||
        (a->meta_json && strcmp(a->meta_json, b->meta_json)) || a->nmsgs != b->nmsgs)
        return 0;
    for (size_t i = 0; i < a->nmsgs; i++)
        if (a->msgs[i].ts != b->msgs[i].ts || a->msgs[i].role != b->msgs[i].role ||
            strcmp(a->msgs[i].sender, b->msgs[i].sender) ||
            strcmp(a->msgs[i].text, b->msgs[i].text))
            return 0;
    return 1;
}

/* The feed (threaded or not) against the plain reader, conversation by
 * conversation; returns how many, or -1 after a mismatch (test failed). */
static long compare(const char *path, int threaded, int check, char *ferr,
                    char *rerr)
{
    char err[ERR_MAX];
    import_jsonl_reader *r = import_jsonl_open(path, err);
    import_feed *f = import_feed_open(path, threaded, check, err);
    if (!r || !f) return -1;
    long n = 0;
    int gr, gf;
    for (;;) {
        const convo *a, *b;
        uint64_t h;
        size_t line;
        gr = import_jsonl_next(r, &a, rerr);
        gf = import_feed_next(f, &b, &h, &line, ferr);
        if (gr != gf) break;
        if (gr != 1) break;
        if (!same_convo(a, b) || h != convo_content_hash(a) ||
            line != import_jsonl_line(r)) {
            gr = 99;
            break;
        }
        n++;
    }
    /* the end stays the end */
    const convo *b;
    uint64_t h;
    size_t line;
    char e2[ERR_MAX];
    int again = import_feed_next(f, &b, &h, &line, e2);
    import_jsonl_close(r);
    import_feed_close(f);
    return gr == gf && again == gf ? n : -1;
}

TEST(feed_hands_over_what_the_reader_reads)
{
    /* 1000 conversations: several blocks of FEED_BLOCK_CONVS */
    const char *path = write_jsonl("many.jsonl", 1000, NULL);
    for (int k = 0; k < 4; k++) {
        int threaded = k & 1, check = k >> 1;
        char ferr[ERR_MAX] = "", rerr[ERR_MAX] = "";
        long n = compare(path, threaded, check, ferr, rerr);
        CHECK_MSG(n == 1000, "threaded %d check %d: %ld conversations alike",
                  threaded, check, n);
    }
}

TEST(feed_error_after_the_good_ones)
{
    const char *path = write_jsonl("bad.jsonl", 600, "{\"id\": \"x\", \"seller_id\": \"S\", "
                                   "\"messages\": [{\"ts\": \"never\"}]}\n");
    for (int k = 0; k < 4; k++) {
        int threaded = k & 1, check = k >> 1;
        char ferr[ERR_MAX] = "", rerr[ERR_MAX] = "";
        long n = compare(path, threaded, check, ferr, rerr);
        CHECK_MSG(n == 600, "threaded %d check %d: %ld conversations before"
                  " the error", threaded, check, n);
        CHECK_STR(ferr, rerr);
        CHECK(strstr(ferr, "bad.jsonl:") != NULL);
    }
}

TEST(feed_closed_early)
{
    /* the storer stops (an SQL error) while the parser is ahead */
    const char *path = write_jsonl("early.jsonl", 3000, NULL);
    char err[ERR_MAX];
    import_feed *f = import_feed_open(path, 1, 1, err);
    CHECK(f != NULL);
    const convo *c;
    uint64_t h;
    size_t line;
    CHECK(import_feed_next(f, &c, &h, &line, err) == 1);
    CHECK_STR(c->id, "c-0");
    CHECK(line == 1);
    import_feed_close(f);
    CHECK(import_feed_open("/nonexistent/x.jsonl", 1, 1, err) == NULL);
    CHECK(strstr(err, "/nonexistent/x.jsonl") != NULL);
}

/* More conversations than the ring holds: the parser fills it and, the
 * storer holding the first conversation, checks the rest of the file. */
#define RING_PAST (FEED_BLOCKS * FEED_BLOCK_CONVS + 1500)

TEST(feed_check_reaches_the_end_while_the_ring_is_full)
{
    /* (test_write_file's path is its own buffer: the first one copied) */
    char *good = xstrdup(write_jsonl("cgood.jsonl", RING_PAST, NULL));
    const char *bad = write_jsonl("cbad.jsonl", RING_PAST, "{\"id\": \"x\","
                                  " \"seller_id\": \"S\", \"messages\": []}\n");
    char rerr[ERR_MAX] = "";
    import_jsonl_reader *r = import_jsonl_open(bad, rerr);
    const convo *rc;
    while (r && import_jsonl_next(r, &rc, rerr) == 1) {}
    import_jsonl_close(r);
    CHECK(strstr(rerr, "cbad.jsonl:") != NULL);
    for (int threaded = 0; threaded <= 1; threaded++) {
        for (int b = 0; b <= 1; b++) {
            char err[ERR_MAX] = "";
            import_feed *f = import_feed_open(b ? bad : good, threaded, 1, err);
            CHECK(f != NULL);
            const convo *c;
            uint64_t h;
            size_t line;
            CHECK(import_feed_next(f, &c, &h, &line, err) == 1);
            CHECK_STR(c->id, "c-0");
            int rc2 = import_feed_check_wait(f, err);
            CHECK_MSG(rc2 == (b ? -1 : 0), "threaded %d bad %d: check %d (%s)",
                      threaded, b, rc2, err);
            CHECK(import_feed_check_done(f));
            if (b) CHECK_STR(err, rerr);
            /* the same again, and the storer still gets the rest */
            char e2[ERR_MAX] = "";
            CHECK(import_feed_check_wait(f, e2) == rc2);
            CHECK(import_feed_next(f, &c, &h, &line, err) == 1);
            CHECK_STR(c->id, "c-1");
            import_feed_close(f);
        }
    }
    /* without a check: nothing to wait for */
    char err[ERR_MAX];
    import_feed *f = import_feed_open(bad, 1, 0, err);
    CHECK(f != NULL && import_feed_check_done(f));
    CHECK(import_feed_check_wait(f, err) == 0);
    import_feed_close(f);
    free(good);
}
