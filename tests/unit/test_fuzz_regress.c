/* test_fuzz_regress.c: replays every input under tests/fuzz/regress/<target>/
 * (crashes the fuzzers found, kept as regression tests) and
 * tests/fuzz/corpus/<target>/ (the seeds) through the fuzz targets' own
 * entry points and invariant checks, under the normal ASan/UBSan unit build,
 * so `make test` catches a regression without clang or libFuzzer.
 * Paths are relative to the repository root, where the unit runner runs.
 *
 * The targets are #included with FUZZ_UNIT defined: an invariant failure
 * prints and counts (fuzz_nfail) instead of aborting. Note: the Makefile
 * tracks headers, not these .c files; after editing tests/fuzz/fuzz_*.c,
 * touch this file (or `make clean`) so the unit build picks it up. */
#define _POSIX_C_SOURCE 200809L
#define FUZZ_UNIT 1
#include "test.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/fuzz_whatsapp.c"
#include "../fuzz/fuzz_jsonl.c"
#include "../fuzz/fuzz_answer.c"
#include "../fuzz/fuzz_rubric.c"
#include "../fuzz/fuzz_program.c"
#include "../fuzz/fuzz_sanitize.c"
#include "../fuzz/fuzz_numarg.c"

typedef void (*fuzz_entry)(const uint8_t *, size_t);

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs fn on every regular file in dir (sorted, dot files skipped).
 * Returns the number of files, or -1 when dir cannot be opened; the names
 * of inputs that broke an invariant are printed. */
static int replay_dir(const char *dir, fuzz_entry fn)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
            if (!names) abort();
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, name_cmp);
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        char path[1024], err[ERR_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len = 0;
        char *data = file_read_new(path, &len, err);
        if (data) {   /* a directory or unreadable entry is skipped */
            int before = fuzz_nfail;
            fn((const uint8_t *)data, len);
            if (fuzz_nfail != before)
                fprintf(stderr, "    fuzz input %s broke an invariant\n", path);
            free(data);
            count++;
        }
        free(names[i]);
    }
    free(names);
    return count;
}

/* The corpus must exist (a missing one means the test ran from the wrong
 * directory); regress/ may be empty. */
static void replay_target(const char *target, fuzz_entry fn)
{
    char dir[256];
    int before = fuzz_nfail;
    snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", target);
    int nseed = replay_dir(dir, fn);
    CHECK_MSG(nseed > 0, "no seeds in %s (run from the repository root)", dir);
    snprintf(dir, sizeof dir, "tests/fuzz/regress/%s", target);
    (void)replay_dir(dir, fn);
    CHECK_MSG(fuzz_nfail == before, "%d fuzz invariant failure(s) replaying %s",
              fuzz_nfail - before, target);
}

TEST(fuzz_regress_whatsapp) { replay_target("whatsapp", fuzz_whatsapp_one); }
TEST(fuzz_regress_jsonl) { replay_target("jsonl", fuzz_jsonl_one); }
TEST(fuzz_regress_answer) { replay_target("answer", fuzz_answer_one); }
TEST(fuzz_regress_rubric) { replay_target("rubric", fuzz_rubric_one); }
TEST(fuzz_regress_program) { replay_target("program", fuzz_program_one); }
TEST(fuzz_regress_sanitize) { replay_target("sanitize", fuzz_sanitize_one); }
TEST(fuzz_regress_numarg) { replay_target("numarg", fuzz_numarg_one); }

/* The invariant machinery itself: a broken invariant is counted, not
 * ignored (and does not abort the unit runner). */
TEST(fuzz_regress_invariant_counts)
{
    int before = fuzz_nfail;
    fuzz_quiet = 1;
    FUZZ_CHECK(1 == 2);
    CHECK(fuzz_nfail == before + 1);
    fuzz_nfail = before;
    char ok[] = "in.jsonl:3: field id: missing";
    fuzz_check_err(ok);
    CHECK(fuzz_nfail == before);
    char bad[] = "names: \"\x1b]0;x\x07\"";
    fuzz_check_err(bad);
    fuzz_quiet = 0;
    CHECK(fuzz_nfail > before);
    fuzz_nfail = before;
}

/* rubric_prefix_new is DSPy's infer_prefix + ":". The fuzzer found names
 * ("________") where curate's old version dropped empty words; these
 * expectations come from DSPy's own regexes (dspy/signatures/signature.py)
 * run under Python 3, which also split letters from digits. */
TEST(fuzz_regress_rubric_prefix_dspy)
{
    static const char *cases[][2] = {
        {"seller_id", "Seller Id:"},
        {"sellerID", "Seller ID:"},
        {"HTTP_status", "HTTP Status:"},
        {"HTMLParser", "HTML Parser:"},
        {"text2number", "Text 2 Number:"},
        {"someAttributeName42IsCool", "Some Attribute Name 42 Is Cool:"},
        {"score2", "Score 2:"},
        {"q1_rating", "Q 1 Rating:"},
        {"top10Sellers", "Top 10 Sellers:"},
        {"aBC", "A BC:"},
        {"A1", "A 1:"},
        {"_private", " Private:"},
        {"a__b", "A  B:"},
        {"a_Bc", "A  Bc:"},
        {"________", "        :"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = rubric_prefix_new(cases[i][0]);
        CHECK_STR(p, cases[i][1]);
        free(p);
    }
}
