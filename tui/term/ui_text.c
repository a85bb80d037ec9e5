/* ui_text.c: see ui_text.h. */

#include "ui_text.h"
#include "../../core/numarg.h"
#include "../../core/score.h"
#include "../../core/util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ui_cwidth(wchar_t c)
{
    int w = wcwidth(c);
    return w < 0 ? 1 : w;
}

int ui_swidth(const wchar_t *s, size_t n)
{
    int w = 0;
    for (size_t i = 0; i < n; i++) w += ui_cwidth(s[i]);
    return w;
}

size_t ui_fit(const wchar_t *s, size_t n, int width)
{
    int w = 0;
    size_t i = 0;
    for (; i < n; i++) {
        int cw = ui_cwidth(s[i]);
        if (w + cw > width) break;
        w += cw;
    }
    return i;
}

static void push_span(ui_span **v, size_t *n, size_t *cap, size_t start,
                      size_t len)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *v = xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[*n].start = start;
    (*v)[*n].len = len;
    (*n)++;
}

/* Wraps one paragraph s[a..b) (no '\n' inside). */
static void wrap_para(const wchar_t *s, size_t a, size_t b, int width,
                      ui_span **v, size_t *n, size_t *cap)
{
    if (a == b) { push_span(v, n, cap, a, 0); return; }
    while (a < b) {
        int w = 0;
        size_t i = a, brk = 0;     /* brk: index of the last space + 1 */
        while (i < b) {
            int cw = ui_cwidth(s[i]);
            if (w + cw > width) break;
            w += cw;
            if (s[i] == L' ') brk = i + 1;
            i++;
        }
        if (i >= b) { push_span(v, n, cap, a, b - a); return; }
        size_t end = brk > a ? brk : i;
        if (end == a) end = a + 1;         /* a char wider than width */
        size_t len = end - a;
        while (len > 0 && s[a + len - 1] == L' ') len--;
        push_span(v, n, cap, a, len);
        a = end;
        while (a < b && s[a] == L' ') a++;
    }
}

ui_span *ui_wrap_new(const wchar_t *s, size_t n, int width, size_t *nlines)
{
    ui_span *v = NULL;
    size_t cnt = 0, cap = 0, a = 0;
    if (width < 1) width = 1;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == L'\n') {
            wrap_para(s, a, i, width, &v, &cnt, &cap);
            a = i + 1;
        }
    }
    if (cnt == 0) push_span(&v, &cnt, &cap, 0, 0);
    *nlines = cnt;
    return v;
}

void ui_fmt_gap(int64_t secs, char *out, size_t outlen)
{
    if (secs < 0) secs = 0;
    int64_t d = secs / 86400, h = (secs % 86400) / 3600, m = (secs % 3600) / 60;
    if (d > 0) snprintf(out, outlen, "%lldd%lldh", (long long)d, (long long)h);
    else if (h > 0) snprintf(out, outlen, "%lldh%02lldm", (long long)h, (long long)m);
    else snprintf(out, outlen, "%lldm", (long long)m);
}

void ui_fmt_score(double v, int has, char *out, size_t outlen)
{
    if (!has) snprintf(out, outlen, "-");
    else score_format(v, out, outlen);
}

void ui_fmt_count(int64_t n, char *out, size_t outlen)
{
    char tmp[32], res[48];
    int neg = n < 0;
    snprintf(tmp, sizeof tmp, "%lld", (long long)(neg ? -n : n));
    size_t l = strlen(tmp), k = 0;
    if (neg) res[k++] = '-';
    for (size_t i = 0; i < l; i++) {
        if (i > 0 && (l - i) % 3 == 0) res[k++] = ',';
        res[k++] = tmp[i];
    }
    res[k] = 0;
    snprintf(out, outlen, "%s", res);
}

const char *ui_plural(int64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int ui_parse_typed(const char *s, double *out)
{
    /* Surrounding blanks are allowed (a prompt); the number itself goes
     * through the one strict parser (no hex, inf, nan, trailing junk). */
    while (*s == ' ') s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ') n--;
    char buf[64], err[ERR_MAX];
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return numarg_real("value", buf, -1e15, 1e15, out, err) == 0;
}

void ui_bar(double frac, int width, int ascii, wchar_t *out)
{
    if (width < 0) width = 0;
    if (!(frac >= 0)) frac = 0;     /* also NaN */
    if (frac > 1) frac = 1;
    int eighths = (int)lround(frac * width * 8);
    int k = 0;
    if (ascii) {
        int full = (eighths + 4) / 8;
        for (; k < full && k < width; k++) out[k] = L'#';
    } else {
        for (; eighths >= 8 && k < width; eighths -= 8) out[k++] = 0x2588;
        if (eighths > 0 && k < width) out[k++] = (wchar_t)(0x2590 - eighths);
    }
    out[k] = 0;
}

int64_t ui_max_window(const int64_t *bins, int nbins, int window, int *start)
{
    if (window < 1) window = 1;
    if (window > nbins) window = nbins;
    int64_t sum = 0, best = -1;
    *start = 0;
    for (int i = 0; i < nbins; i++) {
        sum += bins[i];
        if (i >= window) sum -= bins[i - window];
        if (i >= window - 1 && sum > best) {
            best = sum;
            *start = i - window + 1;
        }
    }
    return best < 0 ? 0 : best;
}

void ui_fmt_count5(int64_t n, char *out, size_t outlen)
{
    if (n < 0) n = 0;
    if (n < 100000) { snprintf(out, outlen, "%lld", (long long)n); return; }
    static const char unit[] = "kMGTPE";
    double v = (double)n / 1000;
    int u = 0;
    while (v >= 999.5 && u < 5) { v /= 1000; u++; }
    /* One decimal only while it fits ("1.0M", "9.9M"), none above. */
    if (v < 9.95) snprintf(out, outlen, "%.1f%c", v, unit[u]);
    else snprintf(out, outlen, "%.0f%c", v, unit[u]);
}
