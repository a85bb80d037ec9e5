/* cmd_review.c: show, label, edge, backup: the headless twins of the
 * reviewer's keys, writing the same append-only history. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../../core/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Untrusted text goes out only through cli_puts/cli_printf (cli.h). */
static void put_clean(const char *s) { cli_puts(stdout, s); }

static void print_scores(const rubric *r, const scoreset *s)
{
    for (size_t i = 0; i < r->nfields; i++) {
        if (!rubric_is_scored(&r->fields[i])) continue;
        if (s->set[i]) cli_printf(stdout, "  %-28s %5.2f\n", r->fields[i].name, s->v[i]);
        else cli_printf(stdout, "  %-28s     -\n", r->fields[i].name);
    }
}

static int print_history(const label *l, void *ctx)
{
    const rubric *r = ctx;
    char when[32];
    date_iso8601(l->created_at, when, sizeof when);
    cli_printf(stdout, "  #%lld %s %s %s%s", (long long)l->id, when, l->reviewer,
           l->status, l->undone ? " (undone)" : "");
    if (l->stale) fputs(" (stale: made on earlier content of the conversation)", stdout);
    int oi = rubric_overall_index(r);
    if (oi >= 0 && l->scores.set[oi]) printf(" overall %.2f", l->scores.v[oi]);
    if (l->note) { fputs(" note: ", stdout); put_clean(l->note); }
    putchar('\n');
    return 0;
}

const char cmd_show_usage[] =
    "usage: curate show ID\nPrints the transcript, the latest model "
    "scores, the current label and the label history.\n";

int cmd_show(const cli_globals *g, int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(cmd_show_usage, argc == 2 ? stdout : stderr);
        return argc == 2 ? EXIT_OK : EXIT_USAGE;
    }
    pool *p = cli_open_pool_read(g);
    if (!p) return EXIT_ERR;
    char err[ERR_MAX];
    convo *c = pool_get_convo_new(p, argv[1], err);
    if (!c) {
        cli_error("%s", err);
        pool_close(p);
        return EXIT_ERR;
    }
    fputs("conversation ", stdout); put_clean(c->id);
    fputs("  seller ", stdout); put_clean(c->seller_id);
    printf("  %zu messages\n\n", c->nmsgs);
    char *t = convo_transcript_new(c);
    put_clean(t);
    free(t);
    prediction pr;
    int rc = pool_get_prediction(p, g->r, c->id, 0, &pr, err);
    if (rc == 1) {
        cli_printf(stdout, "\nmodel (%s, run %lld, %s%s%s):\n", pr.model ? pr.model : "?",
               (long long)pr.run_id, pr.status, pr.error ? ": " : "",
               pr.error ? pr.error : "");
        print_scores(g->r, &pr.scores);
        if (pr.rationale) { fputs("  rationale: ", stdout); put_clean(pr.rationale); putchar('\n'); }
        if (pr.reasoning) { fputs("  reasoning: ", stdout); put_clean(pr.reasoning); putchar('\n'); }
        prediction_clear(&pr);
    } else {
        printf("\nmodel: not scored\n");
    }
    label l;
    if (pool_get_label(p, g->r, c->id, &l, err) == 1) {
        cli_printf(stdout, "\nhuman (%s, %s):\n", l.reviewer, l.status);
        print_scores(g->r, &l.scores);
        label_clear(&l);
    } else {
        printf("\nhuman: not reviewed\n");
    }
    char note[512];
    if (pool_get_edge(p, c->id, note, sizeof note, err) == 1) {
        fputs("\nedge case: ", stdout);
        put_clean(note[0] ? note : "(no note)");
        putchar('\n');
    }
    printf("\nlabel history:\n");
    pool_label_history(p, g->r, c->id, print_history, (void *)g->r, err);
    convo_free(c);
    pool_close(p);
    return EXIT_OK;
}

const char cmd_label_usage[] =
    "usage: curate label ID [--set FIELD=VALUE]... [--status S] [--note TEXT]\n"
    "Records a human label (appended to the history). Scores start from the\n"
    "model's latest prediction; --set overrides fields. The overall follows\n"
    "the rubric formula unless set. Status defaults to 'accepted' when no\n"
    "value differs from the model's, else 'corrected'.\n"
    "  --status accepted|corrected|skipped\n"
    "  --undo        retract the current label of ID instead\n";

static int parse_set(const rubric *r, const char *arg, scoreset *s,
                     unsigned char *typed, char *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq) {
        err_set(err, "--set %s: expected FIELD=VALUE", arg);
        return -1;
    }
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(eq - arg), arg);
    int i = rubric_field_index(r, name);
    if (i < 0 || !rubric_is_scored(&r->fields[i])) {
        sbuf b = {0};
        for (size_t k = 0; k < r->nfields; k++)
            if (rubric_is_scored(&r->fields[k]))
                sbuf_addf(&b, "%s%s", b.len ? ", " : "", r->fields[k].name);
        err_set(err, "--set %s: unknown score field '%s' (fields: %s)", arg,
                name, b.s);
        sbuf_free(&b);
        return -1;
    }
    double v;
    if (!rubric_validate_score(&r->fields[i], eq + 1, &v)) {
        err_set(err, "--set %s: '%s' is not a number%s", arg, eq + 1,
                strchr(eq + 1, ',') ? " (a decimal comma is read only when "
                "unambiguous, as in 7,5)" : "");
        return -1;
    }
    s->v[i] = v;
    s->set[i] = 1;
    typed[i] = 1;
    return 0;
}

int cmd_label(const cli_globals *g, int argc, char **argv)
{
    static const struct option lo[] = {
        {"set", required_argument, NULL, 's'},
        {"status", required_argument, NULL, 't'},
        {"note", required_argument, NULL, 'n'},
        {"undo", no_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sets[RUBRIC_MAX_FIELDS * 2];
    int nsets = 0, undo = 0, c;
    const char *status = NULL, *note = NULL;
    while ((c = cli_getopt("label", argc, argv, "h", lo)) != -1) {
        switch (c) {
        case 's':
            if (nsets == RUBRIC_MAX_FIELDS * 2) { cli_error("label: too many --set"); return EXIT_USAGE; }
            sets[nsets++] = optarg;
            break;
        case 't': status = optarg; break;
        case 'n':
            if (cli_text_opt("label", "--note", optarg) < 0) return EXIT_USAGE;
            note = optarg;
            break;
        case 'u': undo = 1; break;
        case 'h': fputs(cmd_label_usage, stdout); return EXIT_OK;
        default: fputs(cmd_label_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error("label: give exactly one conversation ID");
        fputs(cmd_label_usage, stderr);
        return EXIT_USAGE;
    }
    const char *id = argv[optind];
    char err[ERR_MAX];
    scoreset s;
    memset(&s, 0, sizeof s);
    unsigned char typed[RUBRIC_MAX_FIELDS] = {0};
    for (int i = 0; i < nsets; i++)
        if (parse_set(g->r, sets[i], &s, typed, err) < 0) {
            cli_error("label: %s", err);
            return EXIT_USAGE;
        }
    if (status && strcmp(status, "accepted") && strcmp(status, "corrected") &&
        strcmp(status, "skipped")) {
        cli_error("label: --status '%s' is not one of accepted, corrected, "
                  "skipped", status);
        return EXIT_USAGE;
    }
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    int rc = EXIT_ERR;
    if (!pool_has_convo(p, id)) {
        cli_error("label: no conversation '%s'", id);
        goto out;
    }
    if (undo) {
        label l;
        int has = pool_get_label(p, g->r, id, &l, err);
        if (has < 0 || (has == 1 && pool_undo_label(p, l.id, err) < 0)) {
            cli_error("label: %s", err);
        } else if (has == 0) {
            cli_error("label: '%s' has no label to undo", id);
        } else {
            if (!g->quiet) cli_printf(stdout, "%s: label #%lld undone\n", id, (long long)l.id);
            rc = EXIT_OK;
        }
        if (has == 1) label_clear(&l);
        goto out;
    }
    /* Start from the model's scores: accepting means taking them as they
     * are, correcting means overriding some. */
    prediction pr;
    int has_pred = pool_get_prediction(p, g->r, id, 0, &pr, err);
    int differs = 0, oi = rubric_overall_index(g->r);
    for (size_t i = 0; i < g->r->nfields; i++) {
        if (!rubric_is_scored(&g->r->fields[i])) continue;
        int from_model = has_pred == 1 && pr.scores.set[i];
        if (typed[i]) {
            if (!from_model || pr.scores.v[i] != s.v[i]) differs = 1;
        } else if (from_model && (int)i != oi) {
            s.v[i] = pr.scores.v[i];
            s.set[i] = 1;
        }
    }
    /* The model's overall is kept only when accepting it unchanged. */
    if (oi >= 0 && !typed[oi] && !differs && has_pred == 1 &&
        pr.scores.set[oi]) {
        s.v[oi] = pr.scores.v[oi];
        s.set[oi] = 1;
    }
    if (has_pred == 1) prediction_clear(&pr);
    if (!status) status = differs ? "corrected" : "accepted";
    if (strcmp(status, "skipped") != 0) {
        for (size_t i = 0; i < g->r->nfields; i++)
            if (g->r->fields[i].kind == FIELD_SCORE && !s.set[i]) {
                cli_error("label: %s has no model score for %s: give --set "
                          "%s=VALUE", id, g->r->fields[i].name,
                          g->r->fields[i].name);
                goto out;
            }
    }
    int64_t lid;
    if (pool_add_label(p, g->r, id, g->reviewer, status, &s, note, &lid, err) < 0) {
        cli_error("label: %s", err);
        goto out;
    }
    if (!g->quiet) {
        cli_printf(stdout, "%s: label #%lld %s by %s", id, (long long)lid, status,
                   g->reviewer);
        label l;
        if (pool_get_label(p, g->r, id, &l, err) == 1) {
            if (oi >= 0 && l.scores.set[oi]) printf(", overall %.2f", l.scores.v[oi]);
            label_clear(&l);
        }
        putchar('\n');
    }
    rc = EXIT_OK;
out:
    pool_close(p);
    return rc;
}

const char cmd_edge_usage[] =
    "usage: curate edge ID [--note TEXT] [--off]\n"
    "Marks a conversation as a boundary edge case for the curated set\n"
    "(or unmarks it with --off).\n";

int cmd_edge(const cli_globals *g, int argc, char **argv)
{
    static const struct option lo[] = {
        {"note", required_argument, NULL, 'n'},
        {"off", no_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *note = NULL;
    int off = 0, c;
    while ((c = cli_getopt("edge", argc, argv, "h", lo)) != -1) {
        if (c == 'n') {
            if (cli_text_opt("edge", "--note", optarg) < 0) return EXIT_USAGE;
            note = optarg;
        }
        else if (c == 'o') off = 1;
        else if (c == 'h') { fputs(cmd_edge_usage, stdout); return EXIT_OK; }
        else { fputs(cmd_edge_usage, stderr); return EXIT_USAGE; }
    }
    if (optind != argc - 1) {
        cli_error("edge: give exactly one conversation ID");
        return EXIT_USAGE;
    }
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    char err[ERR_MAX];
    int rc = pool_set_edge(p, argv[optind], g->reviewer, !off, note, err);
    if (rc < 0) cli_error("edge: %s", err);
    else if (!g->quiet)
        cli_printf(stdout, "%s: %s\n", argv[optind], off ? "edge case mark removed"
                                              : "marked as edge case");
    pool_close(p);
    return rc < 0 ? EXIT_ERR : EXIT_OK;
}

const char cmd_backup_usage[] =
    "usage: curate backup FILE\nWrites a consistent copy of the pool "
    "(SQLite online backup; safe while others use it).\nRestore: "
    "stop curate, then copy FILE over the pool file.\n";

int cmd_backup(const cli_globals *g, int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fputs(cmd_backup_usage, argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? EXIT_OK : EXIT_USAGE;
    }
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    char err[ERR_MAX];
    int rc = pool_backup(p, argv[1], err);
    if (rc < 0) cli_error("backup: %s", err);
    else if (!g->quiet) cli_printf(stdout, "backup written: %s\n", argv[1]);
    pool_close(p);
    return rc < 0 ? EXIT_ERR : EXIT_OK;
}
