/* test_util.c: core's small helpers: ISO-8601 parsing, atomic writes, the
 * seeded PRNG, the UTF-8 decoder and the one score formatter (and that
 * prompts, workbench and exports all write a score with it). */
#include "test.h"
#include "../../core/bootstrap.h"
#include "../../core/score.h"
#include "../../core/util.h"
#include "../../tui/term/ui_text.h"

#include <math.h>

#include <stdlib.h>
#include <time.h>

TEST(util_iso8601_forms)
{
    int64_t t;
    CHECK(date_parse_iso8601("2024-05-01T10:02:03Z", &t) == 0 && t == 1714557723);
    CHECK(date_parse_iso8601("2024-05-01T12:02:03+02:00", &t) == 0 && t == 1714557723);
    CHECK(date_parse_iso8601("2024-05-01T10:02:03.250Z", &t) == 0 && t == 1714557723);
    CHECK(date_parse_iso8601("2024-05-01 10:02", &t) == 0 && t == 1714557720);
    CHECK(date_parse_iso8601("2024-02-29T00:00:00Z", &t) == 0);
    const char *bad[] = {"2024-02-31T00:00:00Z", "2023-02-29T00:00:00Z",
                         "2024-04-31", "2024-13-01", "2024-05-01T25:00Z",
                         "2024-05-01T10:00+99:99", "2024-05-01T10:00Zjunk",
                         "yesterday", "", NULL};
    for (int i = 0; bad[i]; i++)
        CHECK_MSG(date_parse_iso8601(bad[i], &t) == -1, "'%s' accepted", bad[i]);
}

TEST(date_local_midnight_in_the_days_own_offset)
{
    /* A POSIX TZ rule needs no tzdata: New York, DST from the second
     * Sunday of March. */
    char *old = getenv("TZ") ? xstrdup(getenv("TZ")) : NULL;
    setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
    tzset();
    int64_t t;
    /* 2024-03-10 12:00Z is 08:00 EDT on the day DST starts: its midnight
     * was still EST (05:00Z). */
    date_parse_iso8601("2024-03-10T12:00:00Z", &t);
    CHECK(date_local_midnight(t) == 1710046800);          /* 2024-03-10T05:00Z */
    /* 2024-07-01 03:00Z is still June 30 in New York (EDT). */
    date_parse_iso8601("2024-07-01T03:00:00Z", &t);
    CHECK(date_local_midnight(t) == 1719720000);          /* 2024-06-30T04:00Z */
    setenv("TZ", "UTC0", 1);
    tzset();
    CHECK(date_local_midnight(t) == 1719792000);          /* 2024-07-01T00:00Z */
    if (old) setenv("TZ", old, 1); else unsetenv("TZ");
    tzset();
    free(old);
}

TEST(util_atomic_write_and_read)
{
    char err[ERR_MAX], path[512];
    snprintf(path, sizeof path, "%s/out.json", test_tmpdir());
    CHECK(file_write_atomic(path, "{\"a\": 1}", 8, err) == 0);
    size_t len;
    char *back = file_read_new(path, &len, err);
    CHECK(back && len == 8 && !strcmp(back, "{\"a\": 1}"));
    free(back);
    CHECK(file_write_atomic("/nonexistent-dir/x", "x", 1, err) == -1);
    CHECK(strstr(err, "/nonexistent-dir/x") != NULL);
    CHECK(file_read_new("/nonexistent-dir/x", NULL, err) == NULL);
}

TEST(util_rng_is_seeded)
{
    rng a, b;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    for (int i = 0; i < 100; i++) CHECK(rng_next(&a) == rng_next(&b));
    rng_seed(&b, 43);
    CHECK(rng_next(&a) != rng_next(&b));
    for (int i = 0; i < 1000; i++) {
        double u = rng_unit(&a);
        CHECK(u >= 0 && u < 1);
        CHECK(rng_below(&a, 7) < 7);
    }
}

TEST(score_format_forms)
{
    static const struct { double v; const char *want; } tab[] = {
        {8, "8.0"}, {8.5, "8.5"}, {7.25, "7.25"}, {10, "10.0"}, {0, "0.0"},
        {-0.001, "0.0"}, {-0.0, "0.0"}, {6.499999, "6.5"}, {7.125, "7.13"},
        {-2.5, "-2.5"}, {100, "100.0"}, {3.1, "3.1"},
    };
    char b[SCORE_TEXT_MAX];
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        score_format(tab[i].v, b, sizeof b);
        CHECK_MSG(!strcmp(b, tab[i].want), "%g -> '%s', want '%s'", tab[i].v,
                  b, tab[i].want);
    }
    score_format(NAN, b, sizeof b);
    CHECK_STR(b, "-");
    score_format(1e300, b, 8);                  /* cut, not overrun */
    CHECK(strlen(b) == 7);
}

/* The three places that write a score as text (a labeled demo in a DSPy
 * program, the review screen, the exports, which call score_format
 * directly) agree for every value a rubric can store. */
TEST(score_format_is_the_one_formatter)
{
    rubric *r = rubric_default_new();
    int fi = rubric_field_index(r, "responsiveness_score");
    bs_example ex;
    memset(&ex, 0, sizeof ex);
    ex.conv_id = "c";
    for (int k = 0; k <= 1000; k++) {
        double v = k / 100.0;
        ex.gold.v[fi] = v;
        ex.gold.set[fi] = 1;
        demo d;
        bs_labeled_demo(r, &ex, &d);
        char a[SCORE_TEXT_MAX], w[SCORE_TEXT_MAX];
        score_format(v, a, sizeof a);
        ui_fmt_score(v, 1, w, sizeof w);
        CHECK_MSG(d.values[fi] && !strcmp(d.values[fi], a) && !strcmp(w, a),
                  "%g: demo '%s', workbench '%s', score_format '%s'", v,
                  d.values[fi] ? d.values[fi] : "(null)", w, a);
        demo_clear(&d);
    }
    rubric_free(r);
}

TEST(utf8_decode_encode_validate)
{
    uint32_t cp;
    char u[4];
    for (uint32_t c = 0; c <= 0x10FFFF; c += (c < 0x800 ? 1 : 97)) {
        if (c >= 0xD800 && c <= 0xDFFF) continue;
        int n = utf8_encode(c, u);
        CHECK(n == (c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4));
        CHECK(utf8_decode((const unsigned char *)u, (size_t)n, &cp) == n &&
              cp == c);
        if (n > 1) CHECK(utf8_decode((const unsigned char *)u, (size_t)n - 1, &cp) == 0);
    }
    CHECK(utf8_decode((const unsigned char *)"\xC0\xAF", 2, &cp) == 0); /* overlong */
    CHECK(utf8_decode((const unsigned char *)"\xED\xA0\x80", 3, &cp) == 0); /* surrogate */
    CHECK(utf8_decode((const unsigned char *)"\xF4\x90\x80\x80", 4, &cp) == 0); /* > U+10FFFF */
    CHECK(utf8_bad_at("ab\xE2\x82\xAC", 5) == 5);
    CHECK(utf8_bad_at("ab\xE2\x82", 4) == 2);
    CHECK(utf8_bad_at("ab\0c", 4) == 2);             /* NUL is not text */
    CHECK(utf8_bad_at("a\xFF", 2) == 1);
}
