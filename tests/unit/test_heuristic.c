/* test_heuristic.c: the heuristic-v1 baseline orders crafted conversations
 * sensibly, is deterministic, and refuses rubrics it does not know. */
#include "test.h"
#include "../../core/heuristic.h"
#include "../../core/util.h"

#include <stdlib.h>

#define T0 1714557600   /* 2024-05-01 10:00 UTC */

static convo *fast_friendly(void)
{
    convo *c = convo_new("fast", "S1");
    convo_add_msg(c, T0, "Ana", ROLE_CUSTOMER,
                  "Hi! I'd like to book a trip to Lisbon in June");
    convo_add_msg(c, T0 + 90, "Rui", ROLE_SELLER,
                  "Hello Ana, sure! Which dates work for you?");
    convo_add_msg(c, T0 + 300, "Ana", ROLE_CUSTOMER, "June 3 to 10, two adults");
    convo_add_msg(c, T0 + 420, "Rui", ROLE_SELLER,
                  "Here are three options with prices.");
    convo_add_msg(c, T0 + 900, "Ana", ROLE_CUSTOMER,
                  "Great, the second one is perfect. Thanks!");
    convo_add_msg(c, T0 + 960, "Rui", ROLE_SELLER, "Booked, confirmation sent.");
    convo_add_msg(c, T0 + 1200, "Ana", ROLE_CUSTOMER,
                  "Amazing service, thank you so much!");
    convo_add_msg(c, T0 + 1260, "Rui", ROLE_SELLER, "Enjoy Lisbon!");
    return c;
}

static convo *slow_angry(void)
{
    convo *c = convo_new("slow", "S2");
    convo_add_msg(c, T0, "Bob", ROLE_CUSTOMER,
                  "Hello, any news about my booking?");
    convo_add_msg(c, T0 + 5 * 3600, "Eva", ROLE_SELLER, "Checking.");
    convo_add_msg(c, T0 + 6 * 3600, "Bob", ROLE_CUSTOMER,
                  "Still waiting for my refund, this is ridiculous");
    convo_add_msg(c, T0 + 20 * 3600, "Eva", ROLE_SELLER,
                  "We are looking into it.");
    convo_add_msg(c, T0 + 21 * 3600, "Bob", ROLE_CUSTOMER,
                  "Terrible service. I want to cancel everything. "
                  "Unacceptable!!!");
    convo_add_msg(c, T0 + 22 * 3600, "Bob", ROLE_CUSTOMER, "Hello???");
    return c;
}

static int idx(const rubric *r, const char *name)
{
    return rubric_field_index(r, name);
}

TEST(heuristic_orders_fast_friendly_above_slow_angry)
{
    rubric *r = rubric_default_new();
    convo *a = fast_friendly(), *b = slow_angry();
    scoreset sa, sb;
    char *ra = NULL, *rb = NULL, err[ERR_MAX];
    heuristic_detail da, db;
    CHECK(heuristic_score(r, a, &sa, &ra, &da, err) == 0);
    CHECK(heuristic_score(r, b, &sb, &rb, &db, err) == 0);
    int resp = idx(r, "responsiveness_score"),
        neg = idx(r, "customer_negative_score"),
        trend = idx(r, "conversational_trend_score"),
        all = idx(r, "overall_seller_score");
    for (int i = 2; i <= 5; i++) CHECK(sa.set[i] && sb.set[i]);
    CHECK_MSG(sa.v[resp] >= 9 && sb.v[resp] <= 4, "resp %g vs %g",
              sa.v[resp], sb.v[resp]);
    CHECK_MSG(sa.v[neg] <= 1 && sb.v[neg] >= 7, "neg %g vs %g", sa.v[neg],
              sb.v[neg]);
    CHECK_MSG(sa.v[trend] > 5 && sb.v[trend] < 5, "trend %g vs %g",
              sa.v[trend], sb.v[trend]);
    CHECK_MSG(sa.v[all] >= 8 && sb.v[all] <= 3, "overall %g vs %g",
              sa.v[all], sb.v[all]);
    double expect;
    CHECK(rubric_overall_from(r, &sa, &expect) == 0);
    CHECK_NEAR(sa.v[all], expect, 1e-9);
    CHECK(da.replies == 4 && !da.unanswered_at_end);
    CHECK_NEAR(da.median_gap_s, 75, 1e-9);      /* gaps 90 120 60 60 */
    CHECK_NEAR(da.max_gap_s, 120, 1e-9);
    CHECK(db.unanswered_at_end == 1);
    CHECK_MSG(strstr(ra, "median seller reply 1m (max 2m)") &&
              strstr(ra, "sentiment improved"), "%s", ra);
    CHECK_MSG(strstr(rb, "unanswered") && strstr(rb, "sentiment worsened"),
              "%s", rb);
    CHECK(!strchr(ra, '\n'));
    free(ra);
    free(rb);
    convo_free(a);
    convo_free(b);
    rubric_free(r);
}

TEST(heuristic_deterministic)
{
    rubric *r = rubric_default_new();
    convo *b = slow_angry();
    scoreset s1, s2;
    char *r1, *r2;
    CHECK(heuristic_score(r, b, &s1, &r1, NULL, NULL) == 0);
    CHECK(heuristic_score(r, b, &s2, &r2, NULL, NULL) == 0);
    CHECK(memcmp(&s1, &s2, sizeof s1) == 0);
    CHECK_STR(r1, r2);
    free(r1);
    free(r2);
    convo_free(b);
    rubric_free(r);
}

static double neg_of(const rubric *r, const char *customer_text)
{
    convo *c = convo_new("x", "S");
    convo_add_msg(c, T0, "C", ROLE_CUSTOMER, customer_text);
    convo_add_msg(c, T0 + 60, "S", ROLE_SELLER, "ok");
    scoreset s;
    heuristic_score(r, c, &s, NULL, NULL, NULL);
    convo_free(c);
    return s.v[rubric_field_index(r, "customer_negative_score")];
}

TEST(heuristic_lexicon_languages_and_phrases)
{
    rubric *r = rubric_default_new();
    CHECK(neg_of(r, "Hello, how are you") == 0);
    CHECK(neg_of(r, "P\xc3\xa9ssimo atendimento, quero reembolso") > 3);
    CHECK(neg_of(r, "Servicio p\xc3\xa9simo, quiero cancelar, inaceptable") > 4);
    CHECK(neg_of(r, "TERRIBLE. WORST agency ever") > 5);
    CHECK(neg_of(r, "no problem at all") == 0);
    CHECK(neg_of(r, "I am not happy") > 0);
    CHECK(neg_of(r, "still no answer from you") > neg_of(r, "no answer"));
    rubric_free(r);
}

TEST(heuristic_edge_conversations)
{
    rubric *r = rubric_default_new();
    scoreset s;
    char *why = NULL;
    convo *empty = convo_new("e", "S");
    CHECK(heuristic_score(r, empty, &s, &why, NULL, NULL) == 0);
    CHECK(s.set[2] && s.set[3] && s.set[4] && s.set[5]);
    CHECK_NEAR(s.v[4], 5, 1e-9);
    CHECK(strstr(why, "no customer messages"));
    free(why);
    convo_free(empty);

    convo *ignored = convo_new("i", "S");
    convo_add_msg(ignored, T0, "C", ROLE_CUSTOMER, "Hi?");
    convo_add_msg(ignored, T0 + 86400, "C", ROLE_CUSTOMER, "Anyone?");
    CHECK(heuristic_score(r, ignored, &s, &why, NULL, NULL) == 0);
    CHECK(s.v[2] <= 1);
    CHECK(strstr(why, "never replied"));
    free(why);
    convo_free(ignored);

    /* timestamps going backwards (bad import) do not give negative gaps */
    convo *back = convo_new("b", "S");
    convo_add_msg(back, T0 + 500, "C", ROLE_CUSTOMER, "Hi");
    convo_add_msg(back, T0, "S", ROLE_SELLER, "Hello");
    CHECK(heuristic_score(r, back, &s, NULL, NULL, NULL) == 0);
    CHECK(s.v[2] >= 9);
    convo_free(back);
    rubric_free(r);
}

TEST(heuristic_refuses_other_rubrics)
{
    char err[ERR_MAX] = "";
    rubric *r = rubric_parse_new(
        "{\"instructions\": \"x\", \"fields\": ["
        "{\"name\": \"conversation\", \"kind\": \"input\"},"
        "{\"name\": \"empathy_score\", \"kind\": \"score\", \"weight\": 1}]}",
        "t", err);
    CHECK(r);
    convo *c = fast_friendly();
    scoreset s;
    char *why = NULL;
    CHECK(heuristic_check_rubric(r, err) == -1);
    CHECK(heuristic_score(r, c, &s, &why, NULL, err) == -1);
    CHECK(strstr(err, "heuristic scorer only knows the built-in rubric"));
    CHECK(why == NULL);
    convo_free(c);
    rubric_free(r);
    r = rubric_default_new();
    CHECK(heuristic_check_rubric(r, err) == 0);
    rubric_free(r);
}

/* A long conversation is scored, and the same way every time (its speed is
 * a `make bench` figure, not a timed unit test). */
TEST(heuristic_long_conversation_is_stable)
{
    rubric *r = rubric_default_new();
    convo *c = convo_new("big", "S");
    for (int i = 0; i < 2000; i++)
        convo_add_msg(c, T0 + i * 60, "x", i % 2 ? ROLE_SELLER : ROLE_CUSTOMER,
                      "Thanks, but I am still waiting for the refund, "
                      "this delay is ridiculous and the hotel was great");
    scoreset s1, s2;
    int rc1 = heuristic_score(r, c, &s1, NULL, NULL, NULL);
    int rc2 = heuristic_score(r, c, &s2, NULL, NULL, NULL);
    size_t nf = r->nfields;
    convo_free(c);
    rubric_free(r);
    CHECK(rc1 == 0 && rc2 == 0);
    for (size_t i = 0; i < nf; i++)
        CHECK(s1.set[i] == s2.set[i] && (!s1.set[i] || s1.v[i] == s2.v[i]));
}
