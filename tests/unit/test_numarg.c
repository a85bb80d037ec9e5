/* test_numarg.c: the strict number parser behind every number option
 * (issue 13: atoi/atof read "1e3" as 1, "99999999999" as 1215752191,
 * "1e309" as inf, "2m" as 2, "abc" as 0). */
#include "test.h"
#include "../../core/numarg.h"
#include "../../core/util.h"

#include <stdint.h>

TEST(numarg_int_strict)
{
    char err[ERR_MAX];
    int64_t v = -1;
    CHECK(numarg_int("--max-tokens", "1000", 1, 1000000, &v, err) == 0 && v == 1000);
    CHECK(numarg_int("--n", "+7", 0, 10, &v, err) == 0 && v == 7);
    CHECK(numarg_int("--n", "-3", -5, 10, &v, err) == 0 && v == -3);
    CHECK(numarg_int("--n", "0", 0, 0, &v, err) == 0 && v == 0);
    CHECK(numarg_int("--n", "9223372036854775807", 0, INT64_MAX, &v, err) == 0 &&
          v == INT64_MAX);
    static const char *bad[] = {"", " 5", "5 ", "1e3", "2m", "abc", "0x10",
                                "5.0", "+", "-", "1_000", "99999999999999999999",
                                "\xff", "5\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        v = 42;
        CHECK_MSG(numarg_int("--max-tokens", bad[i], 1, INT64_MAX, &v, err) == -1,
                  "'%s' accepted", bad[i]);
        CHECK(v == 42);
        CHECK_MSG(strstr(err, "--max-tokens") && strstr(err, "allowed 1.."),
                  "message: %s", err);
    }
    /* in form, out of range: the range is named */
    CHECK(numarg_int("--max-tokens", "99999999999", 1, 1000000, &v, err) == -1);
    CHECK_STR(err, "--max-tokens: '99999999999' is not within range; allowed 1..1000000");
    /* the value is quoted safely */
    CHECK(numarg_int("--offset", "\x1b]0;x\x07", 0, 10, &v, err) == -1);
    CHECK(!strchr(err, 0x1b) && !strchr(err, 0x07) && strstr(err, "\\x1b]0;x\\x07"));
}

TEST(numarg_real_strict)
{
    char err[ERR_MAX];
    double d = -1;
    CHECK(numarg_real("--temperature", "0.7", 0, 2, &d, err) == 0 && d == 0.7);
    CHECK(numarg_real("--t", ".5", 0, 2, &d, err) == 0 && d == 0.5);
    CHECK(numarg_real("--t", "3.", 0, 5, &d, err) == 0 && d == 3);
    CHECK(numarg_real("--t", "1e-3", 0, 5, &d, err) == 0 && d == 0.001);
    CHECK(numarg_real("--t", "-0", -1, 5, &d, err) == 0 && d == 0 && !signbit(d));
    static const char *bad[] = {"", "1e309", "-1e309", "inf", "nan", "INF",
                                "0x1p3", "2m", "abc", " 1", "1 ", "1e", "1e+",
                                ".", "1,5", "1..2", "--1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        d = 42;
        CHECK_MSG(numarg_real("--timeout", bad[i], 0.001, 86400, &d, err) == -1,
                  "'%s' accepted", bad[i]);
        CHECK(d == 42);
        CHECK_MSG(strstr(err, "--timeout") && strstr(err, "allowed 0.001..86400"),
                  "message: %s", err);
    }
    CHECK(numarg_real("--temperature", "3", 0, 2, &d, err) == -1);
    CHECK_STR(err, "--temperature: '3' is not within range; allowed 0..2");
}

TEST(numarg_utc_offset_strict)
{
    char err[ERR_MAX];
    int m = -1;
    CHECK(numarg_utc_offset("--tz-offset", "+01:00", &m, err) == 0 && m == 60);
    CHECK(numarg_utc_offset("--tz-offset", "-05:30", &m, err) == 0 && m == -330);
    CHECK(numarg_utc_offset("--tz-offset", "+14:00", &m, err) == 0 && m == 840);
    CHECK(numarg_utc_offset("--tz-offset", "3", &m, err) == 0 && m == 180);
    CHECK(numarg_utc_offset("--tz-offset", "00:00", &m, err) == 0 && m == 0);
    static const char *bad[] = {"", "+1:5", "+01:60", "+15:00", "+14:30",
                                "+01:00x", "+01:", "1h", "abc", "+001:00",
                                "+01:000", " +01:00"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        m = 42;
        CHECK_MSG(numarg_utc_offset("--tz-offset", bad[i], &m, err) == -1,
                  "'%s' accepted", bad[i]);
        CHECK(m == 42 && strstr(err, "--tz-offset"));
    }
}
