/* date.c: see date.h. */
#define _POSIX_C_SOURCE 200809L
#include "date.h"

#include <time.h>

int64_t date_now(void) { return (int64_t)time(NULL); }

int64_t date_local_midnight(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;           /* the day's own offset, not now's */
    return (int64_t)mktime(&tm);
}

double date_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void date_iso8601(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int date_days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

/* Howard Hinnant's algorithm: avoids timegm() and the TZ environment. */
int64_t date_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int parse_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9') return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int date_parse_iso8601(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    const char *p = s;
    while (*p == ' ') p++;
    if (parse_digits(&p, 4, &y) || *p++ != '-' || parse_digits(&p, 2, &mo) ||
        *p++ != '-' || parse_digits(&p, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > date_days_in_month(y, mo)) return -1;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (parse_digits(&p, 2, &h) || *p++ != ':' || parse_digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (parse_digits(&p, 2, &se)) return -1;
            if (*p == '.' || *p == ',') {
                p++;
                while (*p >= '0' && *p <= '9') p++;
            }
        }
    }
    if (h > 23 || mi > 59 || se > 60) return -1;
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (parse_digits(&p, 2, &oh)) return -1;
        if (*p == ':') p++;
        if (*p) { if (parse_digits(&p, 2, &om)) return -1; }
        if (oh > 14 || om > 59) return -1;
        off = sign * (oh * 3600 + om * 60);
    }
    while (*p == ' ') p++;
    if (*p) return -1;
    *out = date_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return 0;
}
