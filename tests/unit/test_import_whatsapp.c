/* test_import_whatsapp.c: WhatsApp exports (fixtures under
 * tests/fixtures/whatsapp/, one per phone format), date-order detection,
 * roles, stable ids, every malformed case with its FILE:LINE, and
 * import_detect(). */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "../../core/util.h"
#include "../../data/import.h"

#include <stdlib.h>

#define NNBSP "\xE2\x80\xAF"
#define LRM "\xE2\x80\x8E"

/* The parser lends the convo to the callback: keep a deep copy. */
static int keep(const convo *c, void *ctx, char *err)
{
    convo **out = ctx;
    convo *d = convo_new(c->id, c->seller_id);
    for (size_t i = 0; i < c->nmsgs; i++)
        convo_add_msg(d, c->msgs[i].ts, c->msgs[i].sender, c->msgs[i].role,
                      c->msgs[i].text);
    convo_free(*out);
    *out = d;
    return 0;
}

static int64_t iso(const char *s)
{
    int64_t t = -1;
    date_parse_iso8601(s, &t);
    return t;
}

/* Imports text (src names it in errors); *out gets the conversation. */
static int wa_text(const char *text, size_t len, const char *src,
                   const char *seller, import_date_order order, convo **out,
                   char *err)
{
    const char *sellers[] = {seller};
    import_wa_opts o = {.sellers = sellers, .nsellers = seller ? 1 : 0,
                        .order = order};
    *out = NULL;
    err[0] = '\0';
    return import_whatsapp(text, len, src, &o, keep, out, err);
}

/* Imports tests/fixtures/whatsapp/NAME; errors name the file as NAME. */
static int wa_fixture(const char *name, const char *seller,
                      import_date_order order, convo **out, char *err)
{
    char path[256];
    size_t len;
    snprintf(path, sizeof path, "tests/fixtures/whatsapp/%s", name);
    char *data = file_read_new(path, &len, err);
    if (!data) { *out = NULL; return -2; }
    int rc = wa_text(data, len, name, seller, order, out, err);
    free(data);
    return rc;
}

static int wa_str(const char *text, const char *seller, convo **out, char *err)
{
    return wa_text(text, strlen(text), "chat.txt", seller, DATE_AUTO, out, err);
}

TEST(wa_android_24h_dmy)
{
    char err[ERR_MAX];
    convo *c;
    CHECK_MSG(wa_fixture("android_24h_dmy.txt", "Ana (Travel Co)", DATE_AUTO,
                         &c, err) == 0, "%s", err);
    CHECK(c->nmsgs == 11);
    CHECK_STR(c->seller_id, "Ana (Travel Co)");
    CHECK(strncmp(c->id, "wa-", 3) == 0 && strlen(c->id) == 19);
    CHECK(c->msgs[0].role == ROLE_SYSTEM);
    CHECK_STR(c->msgs[0].sender, "");
    CHECK(strncmp(c->msgs[0].text, "Messages and calls are end-to-end", 33) == 0);
    CHECK(c->msgs[0].ts == iso("2023-12-28T18:41:00Z"));
    CHECK_STR(c->msgs[1].sender, "John Smith");
    CHECK(c->msgs[1].role == ROLE_CUSTOMER);
    CHECK(c->msgs[3].role == ROLE_SELLER);
    CHECK(c->msgs[3].ts == iso("2023-12-29T09:12:00Z"));
    CHECK_STR(c->msgs[4].text,
              "The package includes:\n- return flights LHR-LIS\n"
              "- 4 nights at Hotel Alfama Patio, breakfast included\n\n"
              "- airport transfers and a Sintra day trip\nTotal: 1,180 EUR for two.");
    CHECK_STR(c->msgs[5].text, "<media omitted>");
    CHECK(c->msgs[5].role == ROLE_SELLER);
    CHECK_STR(c->msgs[10].text, "Booked! Confirmation number TC-48213. Happy new year!");
    CHECK(c->msgs[10].ts == iso("2023-12-31T10:03:00Z"));
    convo_free(c);
}

TEST(wa_android_2digit_year_accents_emoji)
{
    char err[ERR_MAX];
    convo *c;
    /* Seller names match case-insensitively, and surrounding spaces go. */
    CHECK_MSG(wa_fixture("android_2digit_year.txt", "  lisboa viagens \xE2\x9C\x88\xEF\xB8\x8F ",
                         DATE_AUTO, &c, err) == 0, "%s", err);
    CHECK(c->nmsgs == 8);
    CHECK_STR(c->seller_id, "Lisboa Viagens \xE2\x9C\x88\xEF\xB8\x8F");   /* as in the file */
    CHECK(c->msgs[1].ts == iso("2024-03-14T09:12:00Z"));
    CHECK_STR(c->msgs[1].sender, "Mar\xC3\xAD" "a Jos\xC3\xA9 \xF0\x9F\x8C\x8D");
    CHECK(c->msgs[1].role == ROLE_CUSTOMER);
    CHECK(c->msgs[3].role == ROLE_SELLER);
    CHECK(c->msgs[7].ts == iso("2024-03-15T19:02:00Z"));
    convo_free(c);
}

TEST(wa_android_12h_us_narrow_nbsp)
{
    char err[ERR_MAX];
    convo *c;
    CHECK_MSG(wa_fixture("android_12h_us.txt", "Sunny Trips", DATE_AUTO, &c, err) == 0,
              "%s", err);
    CHECK(c->nmsgs == 9);
    CHECK(c->msgs[0].ts == iso("2024-03-14T21:05:00Z"));   /* 3/14: month first */
    CHECK(c->msgs[3].ts == iso("2024-03-15T00:10:00Z"));   /* 12:10 AM */
    CHECK_STR(c->msgs[3].text, "<attached: IMG-20240314-WA0003.jpg>\n"
              "This is the itinerary a friend did last year, something like that");
    CHECK(c->msgs[6].ts == iso("2024-03-15T12:30:00Z"));   /* 12:30 PM */
    CHECK(c->msgs[4].role == ROLE_SELLER);
    CHECK_STR(c->msgs[8].sender, "Sunny Trips");
    convo_free(c);
}

TEST(wa_ios_24h_lrm_attached)
{
    char err[ERR_MAX];
    convo *c;
    CHECK_MSG(wa_fixture("ios_24h.txt", "Ana (Travel Co)", DATE_AUTO, &c, err) == 0,
              "%s", err);
    CHECK(c->nmsgs == 8);
    /* iOS puts the contact's name on the encryption notice. */
    CHECK(c->msgs[0].role == ROLE_SYSTEM);
    CHECK_STR(c->msgs[0].sender, "");
    CHECK(strncmp(c->msgs[0].text, "Messages and calls", 18) == 0);
    CHECK(c->msgs[0].ts == iso("2023-12-31T21:05:09Z"));
    CHECK_STR(c->msgs[3].sender, "Sofia Almeida");
    CHECK_STR(c->msgs[3].text, "<attached: 00000012-PHOTO-2023-12-31-21-07-41.jpg>");
    CHECK_STR(c->msgs[4].text, "Hi Sofia! Tonight is very tight, but I have one double "
              "room at Pousada de Lisboa.\nIt's 420 \xE2\x82\xAC for the night, breakfast included.");
    CHECK(c->msgs[4].role == ROLE_SELLER);
    CHECK_STR(c->msgs[6].text, "<media omitted>");
    CHECK(c->msgs[7].ts == iso("2023-12-31T21:31:00Z"));
    convo_free(c);
}

TEST(wa_ios_12h)
{
    char err[ERR_MAX];
    convo *c;
    CHECK_MSG(wa_fixture("ios_12h.txt", "Rui @ Go Lisbon", DATE_AUTO, &c, err) == 0,
              "%s", err);
    CHECK(c->nmsgs == 6);
    CHECK_STR(c->msgs[0].sender, "Zo\xC3\xAB M\xC3\xBCller");
    CHECK(c->msgs[0].ts == iso("2023-12-31T21:05:09Z"));
    CHECK_STR(c->msgs[2].text, "<media omitted>");
    CHECK(c->msgs[3].ts == iso("2024-01-01T08:15:20Z"));
    CHECK(c->msgs[4].role == ROLE_SELLER);
    CHECK_STR(c->msgs[4].text, "Happy new year Zo\xC3\xAB, and sorry! It's 11am, meeting "
              "point at Time Out Market entrance.\nI've fixed the email template, thanks "
              "for flagging it.");
    convo_free(c);
}

TEST(wa_bom_crlf_trailing_blank_lines)
{
    char err[ERR_MAX];
    convo *c;
    CHECK_MSG(wa_fixture("android_bom_crlf.txt", "Ana (Travel Co)", DATE_AUTO, &c, err) == 0,
              "%s", err);
    CHECK(c->nmsgs == 4);
    CHECK_STR(c->msgs[0].sender, "Peter Novak");
    CHECK(c->msgs[0].ts == iso("2024-05-02T14:20:00Z"));   /* undecidable: day first */
    CHECK_STR(c->msgs[1].text, "Booking ref TC-50977");
    CHECK_STR(c->msgs[3].text, "Great, thank you!");
    convo_free(c);
    /* The same in a string: CR inside a multi-line message goes too. */
    const char *t = "\xEF\xBB\xBF" LRM "[02/05/2024, 14:20:00] Peter: line one\r\nline two\r\n\r\n";
    CHECK_MSG(wa_str(t, "Peter", &c, err) == 0, "%s", err);
    CHECK(c->nmsgs == 1);
    CHECK_STR(c->msgs[0].text, "line one\nline two");
    convo_free(c);
}

TEST(wa_group_system_lines)
{
    char err[ERR_MAX];
    convo *c;
    CHECK_MSG(wa_fixture("android_group.txt", "Ana (Travel Co)", DATE_AUTO, &c, err) == 0,
              "%s", err);
    CHECK(c->nmsgs == 11);
    static const int system[] = {0, 1, 2, 3, 6, 10};
    for (size_t i = 0; i < sizeof system / sizeof *system; i++) {
        CHECK_MSG(c->msgs[system[i]].role == ROLE_SYSTEM, "message %d", system[i]);
        CHECK_STR(c->msgs[system[i]].sender, "");
    }
    CHECK_STR(c->msgs[1].text, "Ana (Travel Co) created group \"Lisbon May 2024\"");
    CHECK_STR(c->msgs[3].text, "Emma Smith joined using this group's invite link");
    /* A colon inside the quoted subject does not make a sender. */
    CHECK_STR(c->msgs[6].text, "John Smith changed the subject from \"Lisbon May 2024\" "
              "to \"Lisbon: 17-21 May\"");
    /* Android wraps phone numbers in U+202A ... U+202C: stripped. */
    CHECK_STR(c->msgs[5].sender, "+351 912 345 678");
    CHECK(c->msgs[5].role == ROLE_CUSTOMER);
    CHECK(c->msgs[4].role == ROLE_SELLER);
    CHECK_STR(c->msgs[9].text, "\xF0\x9F\x91\x8D");
    convo_free(c);
    /* The participants are the people who wrote something. */
    CHECK(wa_fixture("android_group.txt", NULL, DATE_AUTO, &c, err) == -1);
    CHECK_STR(err, "android_group.txt: who is the seller? Participants: \"Ana (Travel Co)\", "
              "\"+351 912 345 678\", \"Emma Smith\". Use --seller NAME");
}

TEST(wa_date_order_undecidable_and_forced)
{
    char err[ERR_MAX];
    convo *c;
    /* 05/06/2024 with a 24-hour clock: day first by default. */
    CHECK_MSG(wa_fixture("undecidable.txt", "Ana (Travel Co)", DATE_AUTO, &c, err) == 0, "%s", err);
    CHECK(c->msgs[0].ts == iso("2024-06-05T10:15:00Z"));
    convo_free(c);
    CHECK(wa_fixture("undecidable.txt", "Ana (Travel Co)", DATE_MDY, &c, err) == 0);
    CHECK(c->msgs[0].ts == iso("2024-05-06T10:15:00Z"));
    convo_free(c);
    CHECK(wa_fixture("undecidable.txt", "Ana (Travel Co)", DATE_DMY, &c, err) == 0);
    CHECK(c->msgs[0].ts == iso("2024-06-05T10:15:00Z"));
    convo_free(c);
    /* 6/5/24 with "am"/"pm": a US phone, month first. */
    CHECK_MSG(wa_fixture("undecidable_12h.txt", "Sunny Trips", DATE_AUTO, &c, err) == 0, "%s", err);
    CHECK(c->msgs[0].ts == iso("2024-06-05T10:15:00Z"));
    CHECK(c->msgs[2].ts == iso("2024-06-05T13:02:00Z"));
    convo_free(c);
    CHECK(wa_fixture("undecidable_12h.txt", "Sunny Trips", DATE_DMY, &c, err) == 0);
    CHECK(c->msgs[0].ts == iso("2024-05-06T10:15:00Z"));
    convo_free(c);
    /* Forcing an order the file contradicts: an impossible date, named. */
    CHECK(wa_fixture("android_24h_dmy.txt", "Ana (Travel Co)", DATE_MDY, &c, err) == -1);
    CHECK_STR(err, "android_24h_dmy.txt:1: bad date '28/12/2023' (read as month/day/year)");
    CHECK(wa_fixture("android_12h_us.txt", "Sunny Trips", DATE_DMY, &c, err) == -1);
    CHECK_STR(err, "android_12h_us.txt:1: bad date '3/14/24' (read as day/month/year)");
    CHECK(c == NULL);
}

TEST(wa_dots_and_spanish_ampm)
{
    char err[ERR_MAX];
    convo *c;
    CHECK_MSG(wa_fixture("android_dots.txt", "Ana (Travel Co)", DATE_AUTO, &c, err) == 0, "%s", err);
    CHECK(c->nmsgs == 3);
    CHECK(c->msgs[0].ts == iso("2023-12-31T21:05:00Z"));
    CHECK(c->msgs[2].ts == iso("2024-01-01T10:02:00Z"));
    CHECK_STR(c->msgs[1].text, "Hallo Jonas, ja, f\xC3\xBCr den 10.-14. M\xC3\xA4rz gibt es noch Pl\xC3\xA4tze.");
    convo_free(c);
    CHECK_MSG(wa_fixture("android_es_ampm.txt", "Ana (Travel Co)", DATE_AUTO, &c, err) == 0, "%s", err);
    CHECK(c->nmsgs == 3);
    CHECK(c->msgs[0].ts == iso("2023-12-31T21:05:00Z"));   /* p. m. */
    CHECK(c->msgs[1].ts == iso("2023-12-31T23:40:00Z"));
    CHECK(c->msgs[2].ts == iso("2024-01-01T00:15:00Z"));   /* 12:15 a. m. */
    CHECK_STR(c->msgs[2].sender, "Luc\xC3\xAD" "a Fern\xC3\xA1ndez");
    convo_free(c);
}

TEST(wa_malformed_fixtures)
{
    char err[ERR_MAX];
    convo *c;
    CHECK(wa_fixture("bad_date.txt", "Ana (Travel Co)", DATE_AUTO, &c, err) == -1);
    CHECK_STR(err, "bad_date.txt:3: bad date '32/01/2023'");
    CHECK(wa_fixture("bad_time.txt", "Ana (Travel Co)", DATE_AUTO, &c, err) == -1);
    CHECK_STR(err, "bad_time.txt:2: bad time '25:05'");
    CHECK(wa_fixture("mixed_order.txt", "Ana (Travel Co)", DATE_AUTO, &c, err) == -1);
    CHECK_STR(err, "mixed_order.txt:4: dates mix day-first and month-first "
              "(line 2 has '13/01/2024', line 4 has '01/14/2024')");
    CHECK(wa_fixture("not_whatsapp.txt", "Ana (Travel Co)", DATE_AUTO, &c, err) == -1);
    CHECK_STR(err, "not_whatsapp.txt:1: not a WhatsApp chat export (no line starts with a date)");
    CHECK(wa_fixture("bad_utf8.txt", "Ana (Travel Co)", DATE_AUTO, &c, err) == -1);
    CHECK_STR(err, "bad_utf8.txt:3: invalid UTF-8 at column 36");
    /* Format errors come before the seller question. */
    CHECK(wa_fixture("bad_date.txt", NULL, DATE_AUTO, &c, err) == -1);
    CHECK_STR(err, "bad_date.txt:3: bad date '32/01/2023'");
    CHECK(c == NULL);
}

TEST(wa_malformed_strings)
{
    char err[ERR_MAX];
    convo *c = NULL;
    CHECK(wa_str("", "A", &c, err) == -1);
    CHECK_STR(err, "chat.txt:1: not a WhatsApp chat export (no line starts with a date)");
    CHECK(wa_str("\n\n", "A", &c, err) == -1);
    CHECK_STR(err, "chat.txt:1: not a WhatsApp chat export (no line starts with a date)");
    CHECK(wa_str("\nChat title\n01/02/2024, 10:00 - A: hi\n", "A", &c, err) == -1);
    CHECK_STR(err, "chat.txt:2: not a WhatsApp chat export (line 2 does not start with a date)");
    CHECK(wa_str("31/01/2024, 10:00 - A: hi\n31/02/2024, 10:00 - A: hi\n", "A", &c, err) == -1);
    CHECK_STR(err, "chat.txt:2: bad date '31/02/2024' (read as day/month/year)");
    CHECK(wa_str("29/02/2023, 10:00 - A: no leap day\n", "A", &c, err) == -1);
    CHECK_STR(err, "chat.txt:1: bad date '29/02/2023' (read as day/month/year)");
    CHECK(wa_str("13/13/2024, 10:00 - A: hi\n", "A", &c, err) == -1);
    CHECK_STR(err, "chat.txt:1: bad date '13/13/2024'");
    CHECK(wa_str("01/00/2024, 10:00 - A: hi\n", "A", &c, err) == -1);
    CHECK_STR(err, "chat.txt:1: bad date '01/00/2024'");
    CHECK(wa_str("1/2/24, 13:05 PM - A: hi\n", "A", &c, err) == -1);
    CHECK_STR(err, "chat.txt:1: bad time '13:05 PM'");
    CHECK(wa_str("[1/2/24, 10:61:00] A: hi\n", "A", &c, err) == -1);
    CHECK_STR(err, "chat.txt:1: bad time '10:61:00'");
    CHECK(wa_str("01/02/2024, 10:00 - A: ok\n01/02/2024, 10:01 - A: caf\xC3(\n", "A", &c, err) == -1);
    CHECK_STR(err, "chat.txt:2: invalid UTF-8 at column 27");
    /* A NUL byte means a binary file, not text. */
    CHECK(wa_text("01/02/2024, 10:00 - A: a NUL\0 here\n", 35, "chat.txt", "A",
                  DATE_AUTO, &c, err) == -1);
    CHECK_STR(err, "chat.txt:1: invalid UTF-8 at column 29");
    CHECK(c == NULL);
}

TEST(wa_leap_day_and_names)
{
    char err[ERR_MAX];
    convo *c;
    const char *t =
        "29/02/2024, 23:59 - Dr: Who: the name ends at the first colon\n"
        "29/02/2024, 23:59 - " LRM "Ana" LRM " : hi " LRM "there\n"
        LRM "continued after a mark\n"
        "01/03/2024, 00:00 - Ana: <attached: " LRM "Itinerary.pdf>\n"
        "01/03/2024, 00:01 - Ana: Itinerary.pdf \xE2\x80\xA2 3 pages " LRM "document omitted\n"
        "01/03/2024, 00:02 - Ana:  \n"
        "indented second line\n";
    CHECK_MSG(wa_str(t, "ana", &c, err) == 0, "%s", err);
    CHECK(c->nmsgs == 5);
    CHECK(c->msgs[0].ts == iso("2024-02-29T23:59:00Z"));
    CHECK_STR(c->msgs[0].sender, "Dr");
    CHECK_STR(c->msgs[0].text, "Who: the name ends at the first colon");
    CHECK_STR(c->msgs[1].sender, "Ana");
    CHECK(c->msgs[1].role == ROLE_SELLER);
    CHECK_STR(c->msgs[1].text, "hi " LRM "there\ncontinued after a mark");
    CHECK_STR(c->msgs[2].text, "<attached: Itinerary.pdf>");
    CHECK_STR(c->msgs[3].text, "<media omitted>");
    CHECK_STR(c->msgs[4].text, "indented second line");
    convo_free(c);
}

TEST(wa_ampm_spellings)
{
    static const char *const pm[] = {" PM", "\xC2\xA0PM", NNBSP "pm", " p.m.",
                                     " P.M.", "\xC2\xA0p.\xC2\xA0m.", "PM"};
    for (size_t i = 0; i < sizeof pm / sizeof *pm; i++) {
        char text[128], err[ERR_MAX];
        convo *c;
        snprintf(text, sizeof text, "12/31/23, 9:05%s - Ana: Hi\n"
                 "[12/31/23, 9:06:07%s] Ana: iOS form\n", pm[i], pm[i]);
        CHECK_MSG(wa_str(text, "Ana", &c, err) == 0, "case %zu: %s", i, err);
        CHECK(c->msgs[0].ts == iso("2023-12-31T21:05:00Z"));
        CHECK(c->msgs[1].ts == iso("2023-12-31T21:06:07Z"));
        CHECK_STR(c->msgs[0].text, "Hi");
        convo_free(c);
    }
}

TEST(wa_participants_and_unknown_seller)
{
    char err[ERR_MAX];
    convo *c;
    CHECK(wa_fixture("android_24h_dmy.txt", NULL, DATE_AUTO, &c, err) == -1);
    CHECK_STR(err, "android_24h_dmy.txt: who is the seller? Participants: \"John Smith\", "
              "\"Ana (Travel Co)\". Use --seller NAME");
    CHECK(wa_fixture("ios_24h.txt", "Bob", DATE_AUTO, &c, err) == -1);
    CHECK_STR(err, "ios_24h.txt: seller \"Bob\" is not a participant. Participants: "
              "\"Sofia Almeida\", \"Ana (Travel Co)\". Use --seller NAME");
    /* No opts at all behaves like no seller. */
    const char *t = "01/02/2024, 10:00 - A: hi\n";
    CHECK(import_whatsapp(t, strlen(t), "x.txt", NULL, keep, &c, err) == -1);
    CHECK_STR(err, "x.txt: who is the seller? Participants: \"A\". Use --seller NAME");
    /* Only system lines: nobody to name. */
    CHECK(wa_str("01/02/2024, 10:00 - A created group \"x\"\n", NULL, &c, err) == -1);
    CHECK_STR(err, "chat.txt: who is the seller? Participants: (none). Use --seller NAME");
    /* Many participants: the list is cut, the advice stays. */
    sbuf b = {0};
    for (int i = 0; i < 60; i++)
        sbuf_addf(&b, "01/02/2024, 10:%02d - Traveller number %d: hi\n", i, i);
    CHECK(wa_str(b.s, NULL, &c, err) == -1);
    sbuf_free(&b);
    CHECK(strstr(err, " more. Use --seller NAME") != NULL);
}

TEST(wa_several_sellers_and_overrides)
{
    char err[ERR_MAX];
    convo *c = NULL;
    const char *sellers[] = {"Emma Smith", "Ana (Travel Co)"};
    import_wa_opts o = {.sellers = sellers, .nsellers = 2, .seller_id = "travelco",
                        .id = "lisbon-group-1", .tz_offset_min = 60};
    size_t len;
    char *data = file_read_new("tests/fixtures/whatsapp/android_group.txt", &len, err);
    CHECK_MSG(data, "%s", err);
    int rc = import_whatsapp(data, len, "g.txt", &o, keep, &c, err);
    free(data);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK_STR(c->id, "lisbon-group-1");
    CHECK_STR(c->seller_id, "travelco");
    CHECK(c->msgs[4].role == ROLE_SELLER);
    CHECK(c->msgs[7].role == ROLE_SELLER);   /* Emma too */
    CHECK(c->msgs[5].role == ROLE_CUSTOMER);
    CHECK(c->msgs[0].ts == iso("2024-04-10T11:00:00Z"));   /* 12:00 at UTC+1 */
    convo_free(c);
}

static int get_id_as(const char *text, const char *seller, int tz,
                     const char *seller_id, char *id)
{
    const char *sellers[] = {seller};
    import_wa_opts o = {.sellers = sellers, .nsellers = 1, .tz_offset_min = tz,
                        .seller_id = seller_id};
    char err[ERR_MAX];
    convo *c = NULL;
    int rc = import_whatsapp(text, strlen(text), "any-name.txt", &o, keep, &c, err);
    if (rc == 0) snprintf(id, 32, "%s", c->id);
    convo_free(c);
    return rc;
}

static int get_id(const char *text, const char *seller, int tz, char *id)
{
    return get_id_as(text, seller, tz, NULL, id);
}

TEST(wa_stable_ids)
{
    const char *short_export =
        "10/04/2024, 12:00 - John: Hi, Lisbon in May?\n"
        "10/04/2024, 12:05 - Ana: Yes!\n";
    const char *longer_export =
        "10/04/2024, 12:00 - John: Hi, Lisbon in May?\n"
        "10/04/2024, 12:05 - Ana: Yes! From 17 May.\n"
        "11/04/2024, 09:00 - John: Booking it\n";
    char a[32], b[32], x[32];
    CHECK(get_id(short_export, "Ana", 0, a) == 0);
    CHECK(get_id(short_export, "Ana", 0, b) == 0);
    CHECK_STR(a, b);                                   /* re-import */
    CHECK(get_id(longer_export, "Ana", 0, b) == 0);
    CHECK_STR(a, b);                                   /* longer export */
    CHECK(get_id(short_export, "Ana", 120, b) == 0);
    CHECK_STR(a, b);                                   /* --tz does not matter */
    CHECK(get_id(short_export, "ANA", 0, b) == 0);
    CHECK_STR(a, b);                                   /* nor the seller's case */
    CHECK(get_id_as(short_export, "Ana", 0, "S-LIS-1", b) == 0);
    CHECK_STR(a, b);                                   /* nor --seller-id */
    CHECK(get_id_as(short_export, "Ana", 0, "S-OTHER", x) == 0);
    CHECK_STR(b, x);
    CHECK(get_id(short_export, "John", 0, x) == 0);
    CHECK(strcmp(a, x) != 0);                          /* another seller */
    CHECK(get_id("10/04/2024, 12:01 - John: Hi, Lisbon in May?\n"
                 "10/04/2024, 12:05 - Ana: Yes!\n", "Ana", 0, x) == 0);
    CHECK(strcmp(a, x) != 0);                          /* another first message */
    CHECK(get_id("10/04/2024, 12:00 - Mary: Hi, Lisbon in May?\n"
                 "10/04/2024, 12:05 - Ana: Yes!\n", "Ana", 0, x) == 0);
    CHECK(strcmp(a, x) != 0);                          /* another customer */
    CHECK(strncmp(a, "wa-", 3) == 0 && strlen(a) == 19);
    CHECK(strspn(a + 3, "0123456789abcdef") == 16);
}

static int refuse(const convo *c, void *ctx, char *err)
{
    if (ctx) err_set(err, "%s", (const char *)ctx);
    return -1;
}

TEST(wa_callback_stops)
{
    char err[ERR_MAX] = "";
    const char *sellers[] = {"A"};
    import_wa_opts o = {.sellers = sellers, .nsellers = 1};
    const char *t = "01/02/2024, 10:00 - A: hi\n";
    CHECK(import_whatsapp(t, strlen(t), "x.txt", &o, NULL, NULL, err) == 0);
    CHECK(import_whatsapp(t, strlen(t), "x.txt", &o, refuse, "pool is busy", err) == -1);
    CHECK_STR(err, "pool is busy");
    CHECK(import_whatsapp(t, strlen(t), "x.txt", &o, refuse, NULL, err) == -1);
    CHECK_STR(err, "x.txt: import stopped");
}

TEST(import_detect_formats)
{
    const char *wa = "31/12/2023, 21:05 - Ana: hi\n";
    const char *ios = "\xEF\xBB\xBF" LRM "[12/31/23, 9:05:09" NNBSP "PM] Ana: hi\n";
    const char *js = "\xEF\xBB\xBF  \n {\"id\":1}\n";
    CHECK(import_detect("a.jsonl", "", 0) == 1);
    CHECK(import_detect("dir/A.NDJSON", "x", 1) == 1);
    CHECK(import_detect("conversations", js, strlen(js)) == 1);
    CHECK(import_detect("WhatsApp Chat with Ana.txt", "whatever", 8) == 2);
    CHECK(import_detect("export", wa, strlen(wa)) == 2);
    CHECK(import_detect(NULL, ios, strlen(ios)) == 2);
    CHECK(import_detect("a.csv", "id,seller\n", 10) == 0);
    CHECK(import_detect(NULL, NULL, 0) == 0);
    CHECK(import_detect("notes", "31/12/2023 was a good day\n", 26) == 0);
    /* The first line only: a date further down does not count. */
    CHECK(import_detect("notes", "hello\n31/12/2023, 21:05 - A: b\n", 32) == 0);
}
