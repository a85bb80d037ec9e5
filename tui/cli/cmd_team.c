/* cmd_team.c: team review commands: curate agreement, curate assign, and
 * the per-reviewer table of curate stats --by-reviewer. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../term/ui_text.h"
#include "../app/team.h"
#include "../../core/date.h"
#include "../../core/err.h"
#include "../../core/xalloc.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits "a,b,c" into names (caller frees the array and text). Empty
 * names and repeats are usage errors. */
static char **split_names(const char *cmd, const char *opt, const char *s,
                          size_t *n, char **text)
{
    if (cli_text_opt(cmd, opt, s) < 0) return NULL;
    *text = xstrdup(s);
    size_t cap = 1;
    for (const char *q = s; *q; q++) cap += *q == ',';
    char **v = xmalloc(cap * sizeof *v);
    *n = 0;
    char *save = NULL;
    for (char *t = strtok_r(*text, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        for (size_t i = 0; i < *n; i++)
            if (!strcmp(v[i], t)) {
                cli_error("%s: '%s' given twice", opt, t);
                free(v);
                free(*text);
                return NULL;
            }
        v[(*n)++] = t;
    }
    if (*n == 0 || strstr(s, ",,") || s[0] == ',' || s[strlen(s) - 1] == ',') {
        cli_error("%s '%s': a comma-separated list of names", opt, s);
        free(v);
        free(*text);
        return NULL;
    }
    return v;
}

/* A figure or "-" when undefined. */
static void fig(char *buf, size_t len, double v, const char *fmt)
{
    if (isnan(v)) snprintf(buf, len, "-");
    else snprintf(buf, len, fmt, v);
}

static void print_pair(const char *a, const char *b, const agreement_pair *p)
{
    char mae[32], rho[32];
    fig(mae, sizeof mae, p->mae, "%.3f");
    fig(rho, sizeof rho, p->spearman, "%.3f");
    char *sa = cli_clean_new(stdout, a, 1), *sb = cli_clean_new(stdout, b, 1);
    cli_printf(stdout, "  %-24s %-24s MAE %-7s Spearman %-7s n %zu\n", sa, sb, mae, rho, p->n);
    free(sa);
    free(sb);
}

const char cmd_agreement_usage[] =
    "usage: curate agreement [--field F] [--reviewers a,b,...] [--tolerance T]\n"
    "How far reviewers agree, per score field: Krippendorff's alpha (interval\n"
    "metric) over every conversation with two or more reviewers' labels;\n"
    "MAE and Spearman between each pair of reviewers, each reviewer against\n"
    "the consensus (labels within T of each other agree; default the pool's,\n"
    "see curate consensus) and\n"
    "against the model; n for each figure. Each reviewer's latest label per\n"
    "conversation counts; skips and adjudications do not.\n";

int cmd_agreement(const cli_globals *g, int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(cmd_agreement_usage, stdout);
        return EXIT_OK;
    }
    static const struct option lo[] = {
        {"field", required_argument, NULL, 'f'},
        {"reviewers", required_argument, NULL, 'r'},
        {"tolerance", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
#define CMD "agreement"
    team_agreement_opts o = {.field = -1, .tolerance = -1};
    const char *field = NULL, *revs = NULL;
    int c;
    while ((c = cli_getopt(CMD, argc, argv, "", lo)) != -1) {
        if (c == 'f') field = optarg;
        else if (c == 'r') revs = optarg;
        else if (c == 't') {
            if (cli_real_opt("agreement", "--tolerance", optarg, 0, 1e9, &o.tolerance) < 0)
                return EXIT_USAGE;
        }
        else { fputs(cmd_agreement_usage, stderr); return EXIT_USAGE; }
    }
#undef CMD
    if (optind < argc) {
        cli_error("agreement: unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    if (field) {
        o.field = rubric_field_index(g->r, field);
        if (o.field < 0 || !rubric_is_scored(&g->r->fields[o.field])) {
            cli_error("--field %s: not a score field of the rubric", field);
            return EXIT_USAGE;
        }
    }
    char *text = NULL;
    char **names = NULL;
    if (revs) {
        names = split_names("agreement", "--reviewers", revs, &o.nreviewers, &text);
        if (!names) return EXIT_USAGE;
        o.reviewers = names;
    }
    pool *p = cli_open_pool_readonly(g);
    if (!p) { free(names); free(text); return EXIT_ERR; }
    char err[ERR_MAX];
    team_agreement *a = team_agreement_new(p, g->r, &o, err);
    pool_close(p);
    free(names);
    free(text);
    if (!a) {
        cli_error("%s", err);
        return EXIT_ERR;
    }
    cli_printf(stdout, "reviewers %zu, conversations with their labels %zu, in conflict %zu "
           "(tolerance %g)\n", a->nrev, a->units, a->conflicts, a->tolerance);
    for (size_t f = 0; f < a->nfields; f++) {
        const team_field_agreement *fa = &a->fields[f];
        char al[32];
        fig(al, sizeof al, fa->alpha.alpha, "%.3f");
        cli_printf(stdout, "%s: alpha %s over %zu conversations, %zu values\n",
               g->r->fields[fa->field].name, al, fa->alpha.units, fa->alpha.values);
        size_t pi = 0;
        for (size_t x = 0; x < a->nrev; x++)
            for (size_t y = x + 1; y < a->nrev; y++)
                print_pair(a->reviewers[x], a->reviewers[y], &fa->pairs[pi++]);
        for (size_t x = 0; x < a->nrev; x++)
            print_pair(a->reviewers[x], "(consensus)", &fa->vs_consensus[x]);
        for (size_t x = 0; x < a->nrev; x++)
            print_pair(a->reviewers[x], "(model)", &fa->vs_model[x]);
    }
    team_agreement_free(a);
    return EXIT_OK;
}

int cli_print_reviewers(const cli_globals *g, pool *p, double tolerance)
{
    team_reviewer *v;
    size_t n;
    char err[ERR_MAX];
    if (team_reviewers_new(p, g->r, tolerance, date_now(), &v, &n, err) < 0) {
        cli_error("%s", err);
        return -1;
    }
    cli_printf(stdout, "%-24s %7s %7s %9s %8s %9s\n", "reviewer", "today", "total",
           "per hour", "skipped", "conflicts");
    for (size_t i = 0; i < n; i++) {
        char rate[32], share[32];
        fig(rate, sizeof rate, v[i].per_hour, "%.1f");
        fig(share, sizeof share, team_reviewer_skipped_pct(&v[i]), "%.0f%%");
        char *name = cli_clean_new(stdout, v[i].reviewer, 1);
        cli_printf(stdout, "%-24s %7lld %7lld %9s %8s %9lld\n", name, (long long)v[i].today,
               (long long)v[i].total, rate, share, (long long)v[i].conflicts);
        free(name);
    }
    if (!n) cli_printf(stdout, "(no labels yet)\n");
    team_reviewers_free(v, n);
    return 0;
}

const char cmd_assign_usage[] =
    "usage: curate assign --to a,b,... [--overlap N] [--filter F] [--count N]\n"
    "       curate assign --status\n"
    "Spreads the conversations of the filter (default to-review), by id, so\n"
    "each gets N (default 1) distinct reviewers of the list: the least loaded\n"
    "first (open assignments count), ties in list order, so the same pool and\n"
    "arguments give the same plan. Conversations that already have N of them\n"
    "are left alone; --count limits how many conversations get new ones.\n"
    "--status: per reviewer, assigned, done (labeled) and left.\n";

int cmd_assign(const cli_globals *g, int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(cmd_assign_usage, stdout);
        return EXIT_OK;
    }
    static const struct option lo[] = {
        {"to", required_argument, NULL, 't'},
        {"overlap", required_argument, NULL, 'o'},
        {"filter", required_argument, NULL, 'f'},
        {"count", required_argument, NULL, 'n'},
        {"status", no_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
#define CMD "assign"
    const char *to = NULL, *filter = "to-review";
    int64_t overlap = 1, count = 0;
    int status = 0, c;
    while ((c = cli_getopt(CMD, argc, argv, "", lo)) != -1) {
        if (c == 't') to = optarg;
        else if (c == 'f') filter = optarg;
        else if (c == 's') status = 1;
        else if (c == 'o') {
            if (cli_int_opt("assign", "--overlap", optarg, 1, 1000, &overlap) < 0)
                return EXIT_USAGE;
        } else if (c == 'n') {
            if (cli_int_opt("assign", "--count", optarg, 1, INT64_MAX, &count) < 0)
                return EXIT_USAGE;
        } else { fputs(cmd_assign_usage, stderr); return EXIT_USAGE; }
    }
#undef CMD
    if (optind < argc) {
        cli_error("assign: unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    if (status == !!to) {
        cli_error("assign: give --to NAMES or --status");
        return EXIT_USAGE;
    }
    char err[ERR_MAX];
    if (status) {
        pool *p = cli_open_pool_readonly(g);
        if (!p) return EXIT_ERR;
        team_assign_row *v;
        size_t n;
        int rc = team_assign_status_new(p, &v, &n, err);
        pool_close(p);
        if (rc < 0) { cli_error("%s", err); return EXIT_ERR; }
        cli_printf(stdout, "%-24s %9s %7s %7s\n", "reviewer", "assigned", "done", "left");
        for (size_t i = 0; i < n; i++) {
            char *name = cli_clean_new(stdout, v[i].reviewer, 1);
            cli_printf(stdout, "%-24s %9lld %7lld %7lld\n", name, (long long)v[i].assigned,
                   (long long)v[i].done, (long long)(v[i].assigned - v[i].done));
            free(name);
        }
        if (!n) cli_printf(stdout, "(no assignments)\n");
        team_assign_status_free(v, n);
        return EXIT_OK;
    }
    pool_filter pf;
    if (pool_filter_parse(filter, &pf, err) < 0) {
        cli_error("%s", err);
        return EXIT_USAGE;
    }
    char *text;
    size_t nr;
    char **names = split_names("assign", "--to", to, &nr, &text);
    if (!names) return EXIT_USAGE;
    if ((size_t)overlap > nr) {
        cli_error("assign: --overlap %lld: more than the %zu reviewers given to --to",
                  (long long)overlap, nr);
        free(names);
        free(text);
        return EXIT_USAGE;
    }
    pool *p = cli_open_pool(g);
    if (!p) { free(names); free(text); return EXIT_ERR; }
    team_assign_opts o = {.reviewers = names, .nreviewers = nr,
                          .overlap = (int)overlap, .filter = &pf, .count = count};
    int64_t convs, made;
    int rc = team_assign(p, &o, &convs, &made, err);
    pool_close(p);
    free(names);
    free(text);
    if (rc < 0) { cli_error("%s", err); return EXIT_ERR; }
    if (!g->quiet)
        cli_printf(stdout, "assigned %lld %s: %lld new %s (overlap %lld)\n",
               (long long)convs, ui_plural(convs, "conversation", "conversations"),
               (long long)made, ui_plural(made, "assignment", "assignments"),
               (long long)overlap);
    return EXIT_OK;
}

static int print_conflict(const team_conflict *c, void *vctx)
{
    const rubric *r = vctx;
    cli_printf(stdout, "%s: %s differs by %.2f\n", c->conv_id,
               c->worst_field >= 0 ? r->fields[c->worst_field].name : "?",
               c->worst_spread);
    for (size_t f = 0; f < r->nfields; f++) {
        if (!rubric_is_scored(&r->fields[f])) continue;
        cli_printf(stdout, "  %-28s", r->fields[f].name);
        for (size_t i = 0; i < c->n; i++) {
            const pool_team_label *l = &c->labels[i];
            if (l->skipped || l->adjudication) continue;
            if (l->scores.set[f]) cli_printf(stdout, "  %s %.2f", l->reviewer, l->scores.v[f]);
            else cli_printf(stdout, "  %s -", l->reviewer);
        }
        if (c->has_model && c->model->set[f])
            cli_printf(stdout, "  (model %.2f)", c->model->v[f]);
        cli_printf(stdout, "\n");
    }
    return 0;
}

const char cmd_consensus_usage[] =
    "usage: curate consensus [--tolerance T]\n"
    "Conversations labeled by several reviewers follow their consensus: the\n"
    "mean when every scored field agrees within the pool's tolerance T\n"
    "(default 1.0), else a conflict, left out of training sets and exports.\n"
    "Shows the tolerance and each conflict: every reviewer's values per\n"
    "field, and the model's.\n"
    "  --tolerance T   sets the pool's tolerance and brings every such\n"
    "                  conversation in line (one transaction)\n";

int cmd_consensus(const cli_globals *g, int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(cmd_consensus_usage, stdout);
        return EXIT_OK;
    }
    static const struct option lo[] = {
        {"tolerance", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    double tol = -1;
    int c;
    while ((c = cli_getopt("consensus", argc, argv, "", lo)) != -1) {
        if (c == 't') {
            if (cli_real_opt("consensus", "--tolerance", optarg, 0, 1e9, &tol) < 0)
                return EXIT_USAGE;
        } else { fputs(cmd_consensus_usage, stderr); return EXIT_USAGE; }
    }
    if (optind < argc) {
        cli_error("consensus: unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    pool *p = tol >= 0 ? cli_open_pool(g) : cli_open_pool_readonly(g);
    if (!p) return EXIT_ERR;
    char err[ERR_MAX];
    if (tol >= 0) {
        int64_t changed;
        if (pool_team_set_tolerance(p, tol, &changed, err) < 0) {
            cli_error("%s", err);
            pool_close(p);
            return EXIT_ERR;
        }
        cli_printf(stdout, "tolerance set to %g: %lld conversations changed consensus\n",
                   tol, (long long)changed);
    }
    int64_t n = pool_team_conflicts(p, err);
    int rc = n < 0 ? -1 : 0;
    if (rc == 0) {
        cli_printf(stdout, "tolerance %g, conflicts %lld\n", pool_team_tolerance(p),
                   (long long)n);
        rc = team_each_conflict(p, g->r, print_conflict, (void *)g->r, err);
    }
    pool_close(p);
    if (rc < 0) { cli_error("%s", err); return EXIT_ERR; }
    return EXIT_OK;
}

const char cmd_adjudicate_usage[] =
    "usage: curate adjudicate ID [--take REVIEWER] [--set FIELD=VALUE]... [--note T]\n"
    "Settles a conversation (a conflict between reviewers, see curate\n"
    "consensus) with an adjudication label by you (--reviewer): the values\n"
    "of REVIEWER's latest label, then each --set applied; every score field\n"
    "needs a value. The overall follows the parts unless set. From then on\n"
    "the adjudication is the conversation's consensus (undo: curate undo).\n"
    "Another lead's adjudication of it is kept and reported in a note; the\n"
    "latest adjudication is the consensus (the workbench asks first).\n";

int cmd_adjudicate(const cli_globals *g, int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(cmd_adjudicate_usage, stdout);
        return EXIT_OK;
    }
    static const struct option lo[] = {
        {"take", required_argument, NULL, 't'},
        {"set", required_argument, NULL, 's'},
        {"note", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    const char *take = NULL, *note = NULL;
    team_set sets[RUBRIC_MAX_FIELDS];
    size_t nsets = 0;
    int c;
    while ((c = cli_getopt("adjudicate", argc, argv, "", lo)) != -1) {
        if (c == 't') {
            if (cli_text_opt("adjudicate", "--take", optarg) < 0) return EXIT_USAGE;
            take = optarg;
        } else if (c == 'n') {
            if (cli_text_opt("adjudicate", "--note", optarg) < 0) return EXIT_USAGE;
            note = optarg;
        } else if (c == 's') {
            const char *eq = strchr(optarg, '=');
            char name[128];
            snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - optarg) : 0, optarg);
            int f = eq ? rubric_field_index(g->r, name) : -1;
            if (f < 0 || !rubric_is_scored(&g->r->fields[f])) {
                cli_error("adjudicate: --set %s: FIELD=VALUE with a score field of the rubric",
                          optarg);
                return EXIT_USAGE;
            }
            const rubric_field *rf = &g->r->fields[f];
            double v;
            if (cli_real_opt("adjudicate", name, eq + 1, rf->lo, rf->hi, &v) < 0)
                return EXIT_USAGE;
            if (nsets < RUBRIC_MAX_FIELDS) sets[nsets++] = (team_set){f, v};
        } else { fputs(cmd_adjudicate_usage, stderr); return EXIT_USAGE; }
    }
    if (optind + 1 != argc) {
        cli_error("adjudicate: give one conversation ID");
        return EXIT_USAGE;
    }
    if (!take && !nsets) {
        cli_error("adjudicate: give --take REVIEWER and/or --set FIELD=VALUE");
        return EXIT_USAGE;
    }
    const char *id = argv[optind];
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    char err[ERR_MAX];
    int64_t lid;
    /* Headless, as curate label: the save itself is the look, so another
     * lead's adjudication is not refused; it is reported (and kept). */
    team_case tc;
    int rc = team_case_open(p, g->r, id, &tc, err);
    if (rc == 0)
        rc = team_adjudicate(p, g->r, g->reviewer, id, take, sets, nsets, note, -1,
                             &lid, err);
    pool_close(p);
    if (rc < 0) {
        team_case_clear(&tc);
        cli_error("%s", err);
        return EXIT_ERR;
    }
    if (!g->quiet) {
        cli_printf(stdout, "%s: adjudication #%lld by %s\n", id, (long long)lid,
                   g->reviewer);
        if (tc.has_adjudication && strcmp(tc.adjudication.reviewer, g->reviewer) != 0)
            cli_printf(stdout, "note: %s adjudicated %s too (adjudication #%lld, kept):"
                       " yours is the newer, the consensus now\n",
                       tc.adjudication.reviewer, id, (long long)tc.adjudication.label_id);
    }
    team_case_clear(&tc);
    return EXIT_OK;
}
