/* test_util.c: ISO-8601 parsing, atomic writes, the seeded PRNG. */
#include "test.h"
#include "../../core/util.h"

#include <stdlib.h>

TEST(util_iso8601_forms)
{
    int64_t t;
    CHECK(util_parse_iso8601("2024-05-01T10:02:03Z", &t) == 0 && t == 1714557723);
    CHECK(util_parse_iso8601("2024-05-01T12:02:03+02:00", &t) == 0 && t == 1714557723);
    CHECK(util_parse_iso8601("2024-05-01T10:02:03.250Z", &t) == 0 && t == 1714557723);
    CHECK(util_parse_iso8601("2024-05-01 10:02", &t) == 0 && t == 1714557720);
    CHECK(util_parse_iso8601("2024-02-29T00:00:00Z", &t) == 0);
    const char *bad[] = {"2024-02-31T00:00:00Z", "2023-02-29T00:00:00Z",
                         "2024-04-31", "2024-13-01", "2024-05-01T25:00Z",
                         "2024-05-01T10:00+99:99", "2024-05-01T10:00Zjunk",
                         "yesterday", "", NULL};
    for (int i = 0; bad[i]; i++)
        CHECK_MSG(util_parse_iso8601(bad[i], &t) == -1, "'%s' accepted", bad[i]);
}

TEST(util_atomic_write_and_read)
{
    char err[ERR_MAX], path[512];
    snprintf(path, sizeof path, "%s/out.json", test_tmpdir());
    CHECK(util_write_file_atomic(path, "{\"a\": 1}", 8, err) == 0);
    size_t len;
    char *back = util_read_file_new(path, &len, err);
    CHECK(back && len == 8 && !strcmp(back, "{\"a\": 1}"));
    free(back);
    CHECK(util_write_file_atomic("/nonexistent-dir/x", "x", 1, err) == -1);
    CHECK(strstr(err, "/nonexistent-dir/x") != NULL);
    CHECK(util_read_file_new("/nonexistent-dir/x", NULL, err) == NULL);
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
