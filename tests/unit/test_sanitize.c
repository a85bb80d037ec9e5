/* test_sanitize.c: the terminal-text sanitiser (tui/sanitize.h) and the
 * workbench's pure text helpers (tui/ui_text.h). */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "../../core/utf8.h"
#include "../../tui/term/sanitize.h"
#include "../../tui/term/ui_text.h"

#include <locale.h>
#include <stdlib.h>

static int has_byte(const char *s, unsigned char c)
{
    for (; *s; s++)
        if ((unsigned char)*s == c) return 1;
    return 0;
}

/* No byte of out may be a C0 control (except \n when kept), DEL, or the
 * UTF-8 of a C1 control / bidi override. */
static int is_clean(const char *s, int keep_nl)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 && !(keep_nl && *p == '\n')) return 0;
        if (*p == 0x7F) return 0;
        if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) return 0;
        if (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE) return 0;
        if (p[0] == 0xE2 && p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9) return 0;
    }
    return 1;
}

static char *san(const char *s) { return sanitize_new(s, (size_t)-1, 0); }

TEST(sanitize_plain_text_unchanged)
{
    const char *in = "Hello, caf\xC3\xA9 \xF0\x9F\x98\x80 \xE6\x97\xA5\xE6\x9C\xAC "
                     "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 e\xCC\x81";
    char *out = san(in);
    CHECK_STR(out, in);
    free(out);
}

TEST(sanitize_escape_sequences_visible)
{
    char *out = san("a\x1b]52;c;SGVsbG8=\x07" "b\x1b]0;pwned\x1b\\c\x1b[2J\x1b[10;5H");
    CHECK_STR(out, "a\xE2\x90\x9B]52;c;SGVsbG8=\xE2\x90\x87"
                   "b\xE2\x90\x9B]0;pwned\xE2\x90\x9B\\c\xE2\x90\x9B[2J"
                   "\xE2\x90\x9B[10;5H");
    CHECK(!has_byte(out, 0x1b));
    CHECK(!has_byte(out, 0x07));
    free(out);
}

TEST(sanitize_c0_and_del)
{
    char *out = san("x\x01y\x7fz\rw\nv\tu");
    /* ␁ ␡ ␍ ␊ and tab -> space */
    CHECK_STR(out, "x\xE2\x90\x81y\xE2\x90\xA1z\xE2\x90\x8Dw\xE2\x90\x8Av u");
    free(out);
    out = sanitize_new("l1\nl2\tx", (size_t)-1, SAN_KEEP_NL | SAN_KEEP_TAB);
    CHECK_STR(out, "l1\nl2\tx");
    free(out);
}

TEST(sanitize_nul_inside_length)
{
    char *out = sanitize_new("a\0b", 3, 0);
    CHECK_STR(out, "a\xE2\x90\x80" "b");
    free(out);
}

TEST(sanitize_c1_controls)
{
    /* U+009B (CSI) and U+009D (OSC) encoded in UTF-8, and U+0085 (NEL). */
    char *out = san("a\xC2\x9B" "31mb\xC2\x9D" "0;t\xC2\x85z");
    CHECK_STR(out, "a\\u009b31mb\\u009d0;t\\u0085z");
    CHECK(is_clean(out, 0));
    free(out);
}

TEST(sanitize_raw_c1_bytes_are_invalid_utf8)
{
    char *out = san("a\x9b" "31mb\x9d");
    CHECK_STR(out, "a\\x9b31mb\\x9d");
    free(out);
}

TEST(sanitize_bidi_overrides)
{
    /* RLO U+202E, LRI U+2066, PDI U+2069, LRE U+202A, line separator */
    char *out = san("abc\xE2\x80\xAE" "fdp.exe\xE2\x81\xA6x\xE2\x81\xA9\xE2\x80\xAAy\xE2\x80\xA8");
    CHECK_STR(out, "abc\\u202efdp.exe\\u2066x\\u2069\\u202ay\\u2028");
    CHECK(is_clean(out, 0));
    free(out);
}

TEST(sanitize_invalid_utf8)
{
    /* lone continuation, truncated 3-byte, overlong '/', surrogate,
     * > U+10FFFF, 0xFF */
    char *out = san("\x80" "a\xE2\x82" "b\xC0\xAF" "c\xED\xA0\x80" "d\xF4\x90\x80\x80" "e\xFF");
    CHECK_STR(out, "\\x80a\\xe2\\x82b\\xc0\\xafc\\xed\\xa0\\x80d"
                   "\\xf4\\x90\\x80\\x80e\\xff");
    free(out);
}

TEST(sanitize_truncated_at_end)
{
    char *out = san("ok\xF0\x9F\x98");
    CHECK_STR(out, "ok\\xf0\\x9f\\x98");
    free(out);
}

TEST(sanitize_null_and_empty)
{
    char *out = sanitize_new(NULL, 0, 0);
    CHECK_STR(out, "");
    free(out);
    out = san("");
    CHECK_STR(out, "");
    free(out);
}

TEST(sanitize_noncharacters)
{
    char *out = san("a\xEF\xBF\xBE" "b\xEF\xBF\xBF");
    CHECK_STR(out, "a\\ufffeb\\uffff");
    free(out);
}

TEST(sanitize_every_byte_is_clean)
{
    /* Every single byte and every pair: the output never carries a raw
     * control byte. */
    char in[3] = {0};
    for (int a = 1; a < 256; a++) {
        in[0] = (char)a;
        in[1] = 0;
        char *out = san(in);
        CHECK_MSG(is_clean(out, 0), "byte 0x%02x", a);
        free(out);
        for (int b = 1; b < 256; b += 7) {
            in[1] = (char)b;
            out = san(in);
            CHECK_MSG(is_clean(out, 0), "bytes 0x%02x 0x%02x", a, b);
            free(out);
        }
    }
}

TEST(sanitize_wide)
{
    size_t n;
    wchar_t *w = sanitize_wide_new("a\x1b\xC3\xA9\xF0\x9F\x98\x80", 0, &n);
    CHECK(n == 4);
    CHECK(w[0] == L'a' && w[1] == 0x241B && w[2] == 0xE9 && w[3] == 0x1F600);
    CHECK(w[4] == 0);
    free(w);
}

TEST(sanitize_decode)
{
    uint32_t cp;
    CHECK(utf8_decode((const unsigned char *)"\xE2\x82\xAC", 3, &cp) == 3);
    CHECK(cp == 0x20AC);
    CHECK(utf8_decode((const unsigned char *)"\xE2\x82\xAC", 2, &cp) == 0);
    CHECK(utf8_decode((const unsigned char *)"\xE0\x80\x80", 3, &cp) == 0);
    CHECK(utf8_decode((const unsigned char *)"\xF4\x8F\xBF\xBF", 4, &cp) == 4);
    CHECK(cp == 0x10FFFF);
}

/* ---- ui_text ---- */

static int utf8_locale(void)
{
    return setlocale(LC_CTYPE, "C.UTF-8") != NULL;
}

TEST(ui_text_widths)
{
    if (!utf8_locale()) return;
    CHECK(ui_cwidth(L'a') == 1);
    CHECK(ui_cwidth(0x65E5) == 2);          /* 日 */
    CHECK(ui_cwidth(0x1F600) == 2);         /* 😀 */
    CHECK(ui_cwidth(0x0301) == 0);          /* combining acute */
    CHECK(ui_swidth(L"a\x65E5" L"b", 3) == 4);
    CHECK(ui_fit(L"ab\x65E5" L"c", 4, 3) == 2);
    CHECK(ui_fit(L"ab\x65E5" L"c", 4, 4) == 3);
}

TEST(ui_text_wrap_words)
{
    size_t n;
    const wchar_t *s = L"the quick brown fox jumps";
    ui_span *sp = ui_wrap_new(s, wcslen(s), 10, &n);
    CHECK(n == 3);
    CHECK(sp[0].start == 0 && sp[0].len == 9);      /* "the quick" */
    CHECK(sp[1].start == 10 && sp[1].len == 9);     /* "brown fox" */
    CHECK(sp[2].start == 20 && sp[2].len == 5);     /* "jumps" */
    free(sp);
}

TEST(ui_text_wrap_hard_and_newlines)
{
    size_t n;
    const wchar_t *s = L"abcdefghijkl\n\nxy";
    ui_span *sp = ui_wrap_new(s, wcslen(s), 5, &n);
    CHECK(n == 5);
    CHECK(sp[0].len == 5 && sp[1].len == 5 && sp[2].len == 2);
    CHECK(sp[3].len == 0);
    CHECK(sp[4].start == 14 && sp[4].len == 2);
    free(sp);
    sp = ui_wrap_new(L"", 0, 5, &n);
    CHECK(n == 1 && sp[0].len == 0);
    free(sp);
}

TEST(ui_text_wrap_wide_chars)
{
    if (!utf8_locale()) return;
    size_t n;
    /* five CJK characters (width 2 each) in width 4: 2 per line */
    const wchar_t s[] = {0x65E5, 0x672C, 0x8A9E, 0x6587, 0x5B57, 0};
    ui_span *sp = ui_wrap_new(s, 5, 4, &n);
    CHECK(n == 3);
    CHECK(sp[0].len == 2 && sp[1].len == 2 && sp[2].len == 1);
    free(sp);
    /* a character wider than the line still advances */
    sp = ui_wrap_new(s, 2, 1, &n);
    CHECK(n == 2);
    free(sp);
}

TEST(ui_text_formats)
{
    char b[64];
    ui_fmt_gap(3 * 3600 + 12 * 60 + 5, b, sizeof b);
    CHECK_STR(b, "3h12m");
    ui_fmt_gap(45 * 60, b, sizeof b);
    CHECK_STR(b, "45m");
    ui_fmt_gap(2 * 86400 + 4 * 3600, b, sizeof b);
    CHECK_STR(b, "2d4h");
    ui_fmt_score(7.5, 1, b, sizeof b);
    CHECK_STR(b, "7.5");
    ui_fmt_score(7, 1, b, sizeof b);
    CHECK_STR(b, "7.0");
    ui_fmt_score(7.25, 1, b, sizeof b);
    CHECK_STR(b, "7.25");
    ui_fmt_score(7.25, 0, b, sizeof b);
    CHECK_STR(b, "-");
    ui_fmt_count(100000, b, sizeof b);
    CHECK_STR(b, "100,000");
    /* The queue's 5-column message count: never a cut number. */
    static const struct { int64_t n; const char *s; } c5[] = {
        {0, "0"}, {99999, "99999"}, {100000, "100k"}, {250400, "250k"},
        {999499, "999k"}, {999500, "1.0M"}, {1000000, "1.0M"},
        {12345678, "12M"}, {999999999, "1.0G"}, {INT64_MAX, "9.2E"},
    };
    for (size_t i = 0; i < sizeof c5 / sizeof c5[0]; i++) {
        ui_fmt_count5(c5[i].n, b, sizeof b);
        CHECK_MSG(!strcmp(b, c5[i].s) && strlen(b) <= 5, "%lld -> '%s', want '%s'",
                  (long long)c5[i].n, b, c5[i].s);
    }
    ui_fmt_count(999, b, sizeof b);
    CHECK_STR(b, "999");
    ui_fmt_count(-1234567, b, sizeof b);
    CHECK_STR(b, "-1,234,567");
}

TEST(ui_text_parse_typed)
{
    double v;
    CHECK(ui_parse_typed("7", &v) && v == 7);
    CHECK(ui_parse_typed("7.5", &v) && v == 7.5);
    CHECK(ui_parse_typed(".5", &v) && v == 0.5);
    CHECK(!ui_parse_typed("", &v));
    CHECK(!ui_parse_typed(".", &v));
    CHECK(!ui_parse_typed("7..5", &v));
    CHECK(!ui_parse_typed("nan", &v) || !isnan(v));
    /* the workbench's prompts (queue threshold `t`) share the strict
     * number parser: strtod took hex and infinities */
    CHECK(ui_parse_typed(" 2 ", &v) && v == 2);
    CHECK(!ui_parse_typed("0x10", &v));
    CHECK(!ui_parse_typed("inf", &v));
    CHECK(!ui_parse_typed("1e999", &v));
    CHECK(!ui_parse_typed("2m", &v));
}

TEST(ui_text_bar)
{
    wchar_t b[16];
    ui_bar(0.5, 4, 0, b);
    CHECK(wcslen(b) == 2 && b[0] == 0x2588 && b[1] == 0x2588);
    ui_bar(0.55, 10, 0, b);                    /* 44 eighths: 5 full + 4/8 */
    CHECK(wcslen(b) == 6 && b[5] == 0x258C);
    ui_bar(1.5, 3, 1, b);
    CHECK(wcscmp(b, L"###") == 0);
    ui_bar(-1, 3, 1, b);
    CHECK(b[0] == 0);
    ui_bar(NAN, 3, 0, b);
    CHECK(b[0] == 0);
}

TEST(ui_text_max_window)
{
    int64_t bins[10] = {0, 1, 0, 5, 4, 0, 0, 2, 2, 0};
    int start;
    CHECK(ui_max_window(bins, 10, 2, &start) == 9 && start == 3);
    CHECK(ui_max_window(bins, 10, 1, &start) == 5 && start == 3);
    CHECK(ui_max_window(bins, 10, 50, &start) == 14 && start == 0);
    int64_t z[3] = {0, 0, 0};
    CHECK(ui_max_window(z, 3, 2, &start) == 0 && start == 0);
}

/* SAN_PIPE (issue 13: CLI output to a pipe or file keeps the bytes but never
 * a control): ESC, C0, DEL, C1 and raw 0x80..0x9F are replaced; bidi
 * controls, other invalid bytes and non-characters are kept. */
TEST(sanitize_pipe_keeps_bytes_not_controls)
{
    char *o = sanitize_new("a\x1b]0;t\x07 \xc2\x9b \x9b \xe2\x80\xae \xff z\n",
                           (size_t)-1, SAN_KEEP_NL | SAN_PIPE);
    CHECK_STR(o, "a\xe2\x90\x9b]0;t\xe2\x90\x87 \\u009b \\x9b \xe2\x80\xae \xff z\n");
    free(o);
}
