/* test.h: a minimal unit-test harness. TEST(name) registers a test at load
 * time; CHECK* fail the current test and return from it. The runner
 * (tests/unit/main.c) prints "N passed, N failed". */
#ifndef CURATE_TEST_H
#define CURATE_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

void test_register(const char *name, void (*fn)(void), const char *file);
void test_fail(const char *file, int line, const char *fmt, ...);
/* A fresh temporary directory for the current test (removed afterwards). */
const char *test_tmpdir(void);
/* Writes text to test_tmpdir()/name and returns the path (static buffer). */
const char *test_write_file(const char *name, const char *text);
/* Runs a shell command; returns its exit status. */
int test_sh(const char *fmt, ...);

#define TEST(name)                                                      \
    static void name(void);                                             \
    __attribute__((constructor)) static void reg_##name(void)           \
    {                                                                   \
        test_register(#name, name, __FILE__);                           \
    }                                                                   \
    static void name(void)

#define CHECK(c)                                                        \
    do {                                                                \
        if (!(c)) { test_fail(__FILE__, __LINE__, "%s", #c); return; }  \
    } while (0)

#define CHECK_MSG(c, ...)                                               \
    do {                                                                \
        if (!(c)) { test_fail(__FILE__, __LINE__, __VA_ARGS__); return; } \
    } while (0)

#define CHECK_STR(a, b)                                                 \
    do {                                                                \
        const char *a_ = (a), *b_ = (b);                                \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                        \
            test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"",  \
                      #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");  \
            return;                                                     \
        }                                                               \
    } while (0)

#define CHECK_NEAR(a, b, eps)                                           \
    do {                                                                \
        double a_ = (a), b_ = (b);                                      \
        if (!(fabs(a_ - b_) <= (eps))) {                                \
            test_fail(__FILE__, __LINE__, "%s ~ %s: %g != %g", #a, #b,  \
                      a_, b_);                                          \
            return;                                                     \
        }                                                               \
    } while (0)

#endif
