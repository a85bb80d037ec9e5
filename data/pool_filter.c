/* pool_filter.c: the filter language of list, label, export pool and the
 * workbench's views: parsing, --help text and a description in words, all
 * from one table of terms (pool.h: pool_filter_*). */
#define _POSIX_C_SOURCE 200809L
#include "pool_int.h"
#include "../core/numarg.h"
#include "../core/util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the filter language: one table for parsing and for --help ---- */

typedef enum { TERM_TAB, TERM_TEXT, TERM_SINCE, TERM_UNTIL } term_type;

static const struct {
    const char *syntax;       /* the name is the syntax up to '=' or '[' */
    term_type type;
    pool_filter_kind kind;    /* TERM_TAB */
    size_t off;               /* TERM_TEXT: its field in pool_filter */
    const char *help;
} terms[] = {
    {"to-review", TERM_TAB, FILTER_TO_REVIEW, 0, "scored, not reviewed yet"},
    {"reviewed", TERM_TAB, FILTER_REVIEWED, 0, "with a current label"},
    {"edge", TERM_TAB, FILTER_EDGE, 0, "the curated edge cases"},
    {"disagree[:T[:FIELD]]", TERM_TAB, FILTER_DISAGREE, 0,
     "some score field (the overall included) differs by at least T\n"
     "(default 2) between model and human; with FIELD only that field"},
    {"unscored", TERM_TAB, FILTER_UNSCORED, 0, "without a prediction"},
    {"scored", TERM_TAB, FILTER_SCORED, 0, "with a prediction"},
    {"skipped", TERM_TAB, FILTER_SKIPPED, 0,
     "skipped (the pool's state; the workbench's Skipped tab is yours)"},
    {"failed", TERM_TAB, FILTER_FAILED, 0, "the latest scoring attempt failed"},
    {"conflict", TERM_TAB, FILTER_CONFLICT, 0,
     "reviewers' labels conflict, not adjudicated (curate consensus)"},
    {"all", TERM_TAB, FILTER_ALL, 0, "every conversation (the default)"},
    {"seller=ID", TERM_TEXT, 0, offsetof(pool_filter, seller),
     "this seller's conversations"},
    {"assigned=NAME", TERM_TEXT, 0, offsetof(pool_filter, assigned_to),
     "those assigned to NAME (curate assign)"},
    {"reviewer=NAME", TERM_TEXT, 0, offsetof(pool_filter, reviewer),
     "those NAME labeled (NAME's latest label, not a skip)"},
    {"since=DATE", TERM_SINCE, 0, 0,
     "labeled on or after DATE (YYYY-MM-DD or ISO-8601, UTC): the label\n"
     "of reviewer=NAME when given, else the current label"},
    {"until=DATE", TERM_UNTIL, 0, 0, "labeled on or before DATE (a day: to its end)"},
    {"search=TEXT", TERM_TEXT, 0, offsetof(pool_filter, search),
     "id, seller or message text contains TEXT (as --search)"},
};
#define NTERMS (sizeof terms / sizeof terms[0])

static size_t term_name_len(const char *syntax)
{
    return strcspn(syntax, "=[");
}

void pool_filter_help(sbuf *out)
{
    for (size_t i = 0; i < NTERMS; i++) {
        const char *h = terms[i].help;
        sbuf_addf(out, "  %-22s ", terms[i].syntax);
        if (strlen(terms[i].syntax) > 22) sbuf_addf(out, "\n  %-22s ", "");
        /* continuation lines of a help text line up under its first */
        for (const char *nl; (nl = strchr(h, '\n')); h = nl + 1)
            sbuf_addf(out, "%.*s\n  %-22s ", (int)(nl - h), h, "");
        sbuf_addf(out, "%s\n", h);
    }
}

static void expected(const char *spec, char *err)
{
    sbuf b = {0};
    for (size_t i = 0; i < NTERMS; i++)
        sbuf_addf(&b, "%s%s", i ? ", " : "", terms[i].syntax);
    err_set(err, "--filter %s: expected one of %s", spec, b.s);
    sbuf_free(&b);
}

/* DATE: YYYY-MM-DD (a whole day: its start, or with end its last second)
 * or an ISO-8601 time. 0 or -1. */
static int parse_date(const char *s, int end, int64_t *out)
{
    int y, m, d;
    char tail;
    if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3) {
        if (m < 1 || m > 12 || d < 1 || d > date_days_in_month(y, m)) return -1;
        *out = date_days_from_civil(y, m, d) * 86400 + (end ? 86399 : 0);
        return 0;
    }
    return date_parse_iso8601(s, out);
}

static int parse_disagree(const char *spec, const char *rest, pool_filter *f,
                          char *err)
{
    if (!*rest) return 0;
    if (*rest != ':' && *rest != '=') {
        expected(spec, err);
        return -1;
    }
    const char *num = rest + 1, *end = strchr(num, ':');
    size_t nlen = end ? (size_t)(end - num) : strlen(num);
    char nbuf[64], e2[ERR_MAX];
    if (nlen >= sizeof nbuf) {
        err_set(err, "--filter %s: the threshold is too long", spec);
        return -1;
    }
    memcpy(nbuf, num, nlen);
    nbuf[nlen] = 0;
    if (numarg_real("--filter disagree: threshold", nbuf, 0, 1e6,
                    &f->disagree, e2) < 0) {
        err_set(err, "%s", e2);
        return -1;
    }
    if (end) {
        if (!end[1]) {
            err_set(err, "--filter %s: a field name is missing after the "
                    "threshold", spec);
            return -1;
        }
        f->disagree_field = end + 1;
    }
    return 0;
}

int pool_filter_add(const char *spec, pool_filter *f, char *err)
{
    if (!spec || !*spec) {
        expected("''", err);
        return -1;
    }
    for (size_t i = 0; i < NTERMS; i++) {
        size_t n = term_name_len(terms[i].syntax);
        if (strncmp(spec, terms[i].syntax, n) != 0) continue;
        const char *rest = spec + n;
        if (terms[i].type == TERM_TAB) {
            int more = terms[i].kind == FILTER_DISAGREE;
            if (*rest && !more) continue;   /* "scored" is not "scoredx" */
            if (f->kind != FILTER_ALL && terms[i].kind != f->kind) {
                err_set(err, "--filter %s: only one of the tabs (to-review, "
                        "reviewed, edge, disagree, unscored, scored, all) at "
                        "a time", spec);
                return -1;
            }
            f->kind = terms[i].kind;
            return more ? parse_disagree(spec, rest, f, err) : 0;
        }
        if (*rest != '=') continue;
        const char *val = rest + 1;
        if (!*val) {
            err_set(err, "--filter %s: a value is missing after '='", spec);
            return -1;
        }
        if (terms[i].type == TERM_TEXT) {
            const char **slot = (const char **)((char *)f + terms[i].off);
            if (*slot) {
                err_set(err, "--filter %s: %.*s is given twice", spec, (int)n,
                        spec);
                return -1;
            }
            *slot = val;
            return 0;
        }
        int64_t t;
        if (parse_date(val, terms[i].type == TERM_UNTIL, &t) < 0 || t <= 0) {
            err_set(err, "--filter %s: '%s' is not a date (YYYY-MM-DD, or "
                    "an ISO-8601 time such as 2026-03-01T09:00:00Z)", spec, val);
            return -1;
        }
        int64_t *slot = terms[i].type == TERM_SINCE ? &f->since : &f->until;
        *slot = t;
        if (f->since && f->until && f->since > f->until) {
            err_set(err, "--filter %s: the date range ends before it starts",
                    spec);
            return -1;
        }
        return 0;
    }
    expected(spec, err);
    return -1;
}

int pool_filter_parse(const char *spec, pool_filter *f, char *err)
{
    memset(f, 0, sizeof *f);
    f->disagree = 2.0;
    if (!spec || !*spec) return 0;
    return pool_filter_add(spec, f, err);
}

void pool_filter_describe(const pool_filter *f, sbuf *out)
{
    size_t start = out->len;
    static const char *const tab[] = {
        [FILTER_ALL] = "all", [FILTER_TO_REVIEW] = "to review",
        [FILTER_REVIEWED] = "reviewed", [FILTER_EDGE] = "edge cases",
        [FILTER_DISAGREE] = "disagreements", [FILTER_UNSCORED] = "unscored",
        [FILTER_SCORED] = "scored", [FILTER_SKIPPED] = "skipped",
        [FILTER_FAILED] = "failed scoring", [FILTER_CONFLICT] = "conflicts",
    };
    sbuf_add(out, tab[f->kind]);
    if (f->kind == FILTER_DISAGREE) {
        char thr[32];
        snprintf(thr, sizeof thr, "%g", f->disagree > 0 ? f->disagree : 2.0);
        sbuf_addf(out, " of %s or more%s%s", thr,
                  f->disagree_field ? " in " : "",
                  f->disagree_field ? f->disagree_field : "");
    }
    if (f->seller) sbuf_addf(out, ", seller %s", f->seller);
    if (f->assigned_to) sbuf_addf(out, ", assigned to %s", f->assigned_to);
    if (f->reviewer) sbuf_addf(out, ", labeled by %s", f->reviewer);
    if (f->since || f->until) {
        char a[32] = "", b[32] = "";
        if (f->since) date_iso8601(f->since, a, sizeof a);
        if (f->until) date_iso8601(f->until, b, sizeof b);
        sbuf_addf(out, ", labeled %s%s%s", f->since ? "from " : "", a,
                  f->until ? (f->since ? " to " : "until ") : "");
        sbuf_add(out, b);
    }
    if (f->search && *f->search) sbuf_addf(out, ", search \"%s\"", f->search);
    if (out->len == start) sbuf_add(out, "all");
}

int pool_filter_check(const pool_filter *f, const rubric *r, char *err)
{
    if (f->kind != FILTER_DISAGREE || !f->disagree_field) return 0;
    int i = rubric_field_index(r, f->disagree_field);
    if (i >= 0 && rubric_is_scored(&r->fields[i])) return 0;
    sbuf names = {0};
    for (size_t j = 0; j < r->nfields; j++)
        if (rubric_is_scored(&r->fields[j]))
            sbuf_addf(&names, "%s%s", names.s ? ", " : "", r->fields[j].name);
    err_set(err, "--filter disagree: '%s' is not a score field of the rubric "
            "(score fields: %s)", f->disagree_field, names.s ? names.s : "none");
    sbuf_free(&names);
    return -1;
}
