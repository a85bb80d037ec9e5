/* cmd_review.c: show, label, edge, note, undo, backup: the headless twins
 * of the reviewer's keys, through the same use cases (app/review.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../term/ui_text.h"
#include "../app/review.h"
#include "../app/review_bulk.h"
#include "../../core/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
    char when[32], what[96];
    date_iso8601(l->created_at, when, sizeof when);
    review_describe(l, what, sizeof what);
    printf("  #%lld %s ", (long long)l->id, when);
    put_clean(l->reviewer);
    printf(" %s%s%s", l->role == LABEL_ROLE_ADJUDICATION ? "adjudication: " : "",
           what, l->undone ? " (undone)" : "");
    if (l->stale) fputs(" (stale: made on earlier content of the conversation)", stdout);
    int oi = rubric_overall_index(r);
    if (oi >= 0 && l->scores.set[oi]) printf(" overall %.2f", l->scores.v[oi]);
    if (l->note) { fputs(" note: ", stdout); put_clean(l->note); }
    if (l->comment) { fputs(" comment: ", stdout); put_clean(l->comment); }
    if (l->rationale) { fputs(" rationale: ", stdout); put_clean(l->rationale); }
    putchar('\n');
    return 0;
}

const char cmd_show_usage[] =
    "usage: curate show ID\n"
    "       curate show --guidelines\n"
    "Prints the transcript, the latest model scores, the current label (with\n"
    "the reviewer's rationale and comment) and the label history.\n"
    "--guidelines prints the rubric's guidelines for reviewers instead: its\n"
    "instructions, every score field's range and description, and the\n"
    "rubric's \"guidelines\" text (as the workbench's g shows them).\n";

int cmd_show(const cli_globals *g, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--guidelines")) {
        char *t = rubric_guidelines_text_new(g->r);
        put_clean(t);
        free(t);
        return EXIT_OK;
    }
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
    printf("  %zu %s\n\n", c->nmsgs,
           ui_plural((int64_t)c->nmsgs, "message", "messages"));
    char *t = convo_transcript_new(c);
    put_clean(t);
    free(t);
    prediction pr;
    int rc = pool_get_prediction(p, g->r, c->id, 0, &pr, err);
    if (rc == 1) {
        printf("\nmodel (prediction #%lld, ", (long long)pr.id);
        put_clean(pr.model ? pr.model : "?");
        cli_printf(stdout, ", run %lld, %s%s", (long long)pr.run_id, pr.status,
                   pr.error ? ": " : "");
        if (pr.error) put_clean(pr.error);
        printf("%s):\n", pr.json_fallback ? ", via the JSON fallback" : "");
        print_scores(g->r, &pr.scores);
        if (pr.rationale) { fputs("  rationale: ", stdout); put_clean(pr.rationale); putchar('\n'); }
        if (pr.reasoning) { fputs("  reasoning: ", stdout); put_clean(pr.reasoning); putchar('\n'); }
        prediction_clear(&pr);
    } else {
        printf("\nmodel: not scored\n");
    }
    label l;
    if (pool_get_label(p, g->r, c->id, &l, err) == 1) {
        char what[96];
        review_describe(&l, what, sizeof what);
        fputs("\nhuman (", stdout);
        put_clean(l.reviewer);
        printf(", %s):\n", what);
        print_scores(g->r, &l.scores);
        if (l.rationale) { fputs("  rationale (reviewer's): ", stdout); put_clean(l.rationale); putchar('\n'); }
        if (l.comment) { fputs("  comment: ", stdout); put_clean(l.comment); putchar('\n'); }
        label_clear(&l);
    } else {
        printf("\nhuman: not reviewed\n");
    }
    char *note = NULL, *by = NULL;
    if (pool_get_edge(p, c->id, &note, err) == 1) {
        fputs("\nedge case: ", stdout);
        put_clean(note ? note : "(no note)");
        putchar('\n');
    }
    free(note);
    if (pool_get_note(p, c->id, &note, &by, err) == 1) {
        fputs("\nnote (", stdout);
        put_clean(by);
        fputs("): ", stdout);
        put_clean(note);
        putchar('\n');
        free(note);
        free(by);
    }
    printf("\nlabel history:\n");
    pool_label_history(p, g->r, c->id, print_history, (void *)g->r, err);
    convo_free(c);
    pool_close(p);
    return EXIT_OK;
}

const char cmd_label_usage[] =
    "usage: curate label ID [--accept | --set FIELD=VALUE... | --skip]\n"
    "                       [--rationale TEXT] [--comment TEXT] [--note TEXT]\n"
    "       curate label ID --undo\n"
    "Records your label of ID (appended to the history), by the same rule as\n"
    "the workbench:\n"
    "  --accept      the model's latest prediction, verbatim (its overall\n"
    "                too): accepted (the default when nothing else is given)\n"
    "  --set F=V     your values: the model's with these changed; the overall\n"
    "                follows the rubric formula unless set. Values that equal\n"
    "                the model's are accepted, others corrected.\n"
    "  --skip        skipped\n"
    "  --status accepted|skipped   the same as --accept / --skip\n"
    "  --rationale TEXT  your reasoning for the scores, stored with the label\n"
    "                (exports give it as the rationale; without it, the\n"
    "                model's). The status follows the scores alone: a\n"
    "                rationale with the model's scores is still accepted\n"
    "  --comment TEXT    a free comment stored with the label (a skip too)\n"
    "  --note TEXT   a note stored with the label\n"
    "Each reviewer's latest label is theirs; with several reviewers the\n"
    "conversation's human value is their consensus. When another reviewer\n"
    "has labeled it, a note says so (their label is kept).\n"
    "  --undo        undo your own latest label or skip of ID (see also\n"
    "                `curate undo`)\n"
    "\n"
    "       curate label --accept --filter F [--filter F...] [--search TEXT]\n"
    "                    [--dry-run | --yes]\n"
    "Bulk accept: every conversation of the view (the terms of `curate list`:\n"
    "all must hold) whose prediction is ok (parsed whole, not partial or\n"
    "failed) and that you have not labeled or skipped, unless its reviewers\n"
    "are in conflict, is accepted verbatim, each as --accept would. First a\n"
    "preview: the view in words, how many are accepted, why the others are\n"
    "left alone, a sample with the model's overall.\n"
    "  --dry-run     the preview only; nothing is written\n"
    "  --yes         accept without asking. Without it a terminal is asked;\n"
    "                without a terminal (cron, a pipe) nothing is accepted\n"
    "                and the exit status is 2: scripts say --yes.\n"
    "All of it is one transaction (stored whole or not at all) and one batch:\n"
    "`curate undo` (or u in the workbench) reverts the whole batch.\n";

static int parse_set(const rubric *r, const char *arg, label_values *v,
                     char *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq) {
        err_set(err, "--set %s: expected FIELD=VALUE", arg);
        return -1;
    }
    char *name = xstrndup(arg, (size_t)(eq - arg));
    int i = rubric_field_index(r, name);
    if (i < 0 || !rubric_is_scored(&r->fields[i])) {
        sbuf b = {0};
        for (size_t k = 0; k < r->nfields; k++)
            if (rubric_is_scored(&r->fields[k]))
                sbuf_addf(&b, "%s%s", b.len ? ", " : "", r->fields[k].name);
        err_set(err, "--set %s: unknown score field '%s' (fields: %s)", arg,
                name, b.s);
        sbuf_free(&b);
        free(name);
        return -1;
    }
    free(name);
    double x;
    if (!rubric_validate_score(&r->fields[i], eq + 1, &x)) {
        err_set(err, "--set %s: '%s' is not a number%s", arg, eq + 1,
                strchr(eq + 1, ',') ? " (a decimal comma is read only when "
                "unambiguous, as in 7,5)" : "");
        return -1;
    }
    label_values_set(v, r, i, x, NULL);
    return 0;
}

static int label_undo(const cli_globals *g, pool *p, const char *id)
{
    char err[ERR_MAX], what[ERR_MAX];
    pool_action a;
    int rc = review_undo(p, g->reviewer, id, 1, &a, what, err);
    if (rc < 0) cli_error("label: %s", err);
    else if (rc == 0) cli_error("label: %s", what);
    else {
        if (!g->quiet) { put_clean(what); putchar('\n'); }
        pool_action_clear(&a);
    }
    return rc == 1 ? EXIT_OK : EXIT_ERR;
}

/* Asks on the terminal; 1 for y/yes. */
static int ask_yes(const char *question)
{
    fputs(question, stdout);
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) return 0;
    return line[0] == 'y' || line[0] == 'Y';
}

/* curate label --accept --filter F: the preview, then (dry-run: not) the
 * batch. */
static int label_bulk(const cli_globals *g, const pool_filter *f, int dry,
                      int yes)
{
    char err[ERR_MAX];
    pool *p = dry ? cli_open_pool_read(g) : cli_open_pool(g);
    if (!p) return EXIT_ERR;
    review_bulk_plan pl;
    if (review_bulk_plan_make(p, g->r, g->reviewer, f, &pl, err) < 0) {
        cli_error("label: %s", err);
        pool_close(p);
        return EXIT_ERR;
    }
    sbuf t = {0};
    review_bulk_plan_text(&pl, &t);
    cli_puts(stdout, t.s);
    sbuf_free(&t);
    int64_t want = pl.n[BULK_ACCEPT];
    review_bulk_plan_clear(&pl);
    int rc = EXIT_OK;
    if (dry) {
        printf("dry run: nothing was accepted\n");
    } else if (want == 0) {
        printf("nothing to accept\n");
    } else if (!yes && !isatty(STDIN_FILENO)) {
        cli_error("label: not a terminal: give --yes to accept these %lld "
                  "(nothing was accepted)", (long long)want);
        rc = EXIT_USAGE;
    } else {
        char q[96];
        snprintf(q, sizeof q, "Accept these %lld as yours? [y/N] ", (long long)want);
        if (!yes && !ask_yes(q)) {
            printf("nothing was accepted\n");
            rc = EXIT_ERR;
        } else {
            review_bulk_result res;
            if (review_bulk_accept(p, g->r, g->reviewer, f, NULL, NULL, &res,
                                   err) < 0) {
                cli_error("label: %s (nothing was accepted)", err);
                rc = EXIT_ERR;
            } else if (res.batch == 0) {
                printf("nothing to accept (the pool changed since the preview)\n");
            } else {
                cli_printf(stdout, "accepted %lld conversation%s as batch #%lld by %s"
                           "; `curate undo` reverts the whole batch\n",
                           (long long)res.n[BULK_ACCEPT],
                           res.n[BULK_ACCEPT] == 1 ? "" : "s",
                           (long long)res.batch, g->reviewer);
                if (res.n[BULK_ACCEPT] != want)
                    printf("(the preview said %lld: the pool changed meanwhile)\n",
                           (long long)want);
            }
        }
    }
    pool_close(p);
    return rc;
}

int cmd_label(const cli_globals *g, int argc, char **argv)
{
    enum { O_SET = 256, O_STATUS, O_NOTE, O_UNDO, O_ACCEPT, O_SKIP,
           O_RATIONALE, O_COMMENT, O_FILTER, O_SEARCH, O_DRY, O_YES };
    static const struct option lo[] = {
        {"filter", required_argument, NULL, O_FILTER},
        {"search", required_argument, NULL, O_SEARCH},
        {"dry-run", no_argument, NULL, O_DRY},
        {"yes", no_argument, NULL, O_YES},
        {"set", required_argument, NULL, O_SET},
        {"status", required_argument, NULL, O_STATUS},
        {"note", required_argument, NULL, O_NOTE},
        {"undo", no_argument, NULL, O_UNDO},
        {"accept", no_argument, NULL, O_ACCEPT},
        {"skip", no_argument, NULL, O_SKIP},
        {"rationale", required_argument, NULL, O_RATIONALE},
        {"comment", required_argument, NULL, O_COMMENT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **sets = xcalloc((size_t)argc + 1, sizeof *sets);
    int nsets = 0, undo = 0, accept = 0, skip = 0, c, bulk = 0, dry = 0, yes = 0;
    const char *note = NULL, *rationale = NULL, *comment = NULL;
    pool_filter f;
    char ferr[ERR_MAX];
    pool_filter_parse(NULL, &f, ferr);
    int rc = EXIT_USAGE;
    pool *p = NULL;
    while ((c = cli_getopt("label", argc, argv, "h", lo)) != -1) {
        switch (c) {
        case O_SET: sets[nsets++] = optarg; break;
        case O_STATUS:
            if (!strcmp(optarg, "accepted")) accept = 1;
            else if (!strcmp(optarg, "skipped")) skip = 1;
            else if (!strcmp(optarg, "corrected")) {
                cli_error("label: --status corrected: give your values with"
                          " --set FIELD=VALUE (values that differ from the"
                          " model's are corrected)");
                goto out;
            } else {
                cli_error("label: --status '%s' is not one of accepted, "
                          "skipped", optarg);
                goto out;
            }
            break;
        case O_NOTE:
            if (cli_text_opt("label", "--note", optarg) < 0) goto out;
            note = optarg;
            break;
        case O_RATIONALE:
            if (cli_text_opt("label", "--rationale", optarg) < 0) goto out;
            rationale = optarg;
            break;
        case O_COMMENT:
            if (cli_text_opt("label", "--comment", optarg) < 0) goto out;
            comment = optarg;
            break;
        case O_UNDO: undo = 1; break;
        case O_ACCEPT: accept = 1; break;
        case O_SKIP: skip = 1; break;
        case O_FILTER:
            bulk = 1;
            if (pool_filter_add(optarg, &f, ferr) < 0 ||
                pool_filter_check(&f, g->r, ferr) < 0) {
                cli_error("label: %s (nothing was labeled)", ferr);
                goto out;
            }
            break;
        case O_SEARCH:
            if (f.search) {
                cli_error("label: --search is given twice (or with --filter "
                          "search=)");
                goto out;
            }
            bulk = 1;
            f.search = optarg;
            break;
        case O_DRY: dry = 1; break;
        case O_YES: yes = 1; break;
        case 'h': cli_usage(cmd_label_usage, stdout); rc = EXIT_OK; goto out;
        default: fputs(cmd_label_usage, stderr); goto out;
        }
    }
    if (bulk || dry || yes) {
        if (optind != argc) {
            cli_error("label: --filter and --search make a bulk accept of a "
                      "view: no conversation ID with them");
            goto out;
        }
        if (!bulk) {
            cli_error("label: --dry-run and --yes go with a bulk accept "
                      "(--accept --filter F)");
            goto out;
        }
        if (skip || nsets || undo || note || rationale || comment) {
            cli_error("label: a bulk accept (--filter, --search) takes only "
                      "--accept, --dry-run and --yes");
            goto out;
        }
        if (dry && yes) {
            cli_error("label: --dry-run and --yes exclude each other");
            goto out;
        }
        rc = label_bulk(g, &f, dry, yes);
        goto out;
    }
    if (optind != argc - 1) {
        cli_error("label: give exactly one conversation ID");
        fputs(cmd_label_usage, stderr);
        goto out;
    }
    if (undo && (rationale || comment || note)) {
        cli_error("label: --undo takes no --rationale, --comment or --note");
        goto out;
    }
    if (skip && rationale) {
        cli_error("label: --skip stores no scores, so no --rationale (give"
                  " the reason with --comment)");
        goto out;
    }
    if (accept + skip + (nsets > 0) + undo > 1) {
        cli_error("label: --accept, --set, --skip and --undo exclude each "
                  "other");
        goto out;
    }
    const char *id = argv[optind];
    char err[ERR_MAX];
    rc = EXIT_ERR;
    p = cli_open_pool(g);
    if (!p) goto out;
    if (undo) {
        rc = label_undo(g, p, id);
        goto out;
    }
    review_item it;
    if (review_open(p, g->r, g->reviewer, id, &it, err) < 0) {
        cli_error("label: %s", err);
        goto out;
    }
    /* "yours" starts from the model's values, as on a fresh screen. */
    label_values_init(&it.v, g->r, it.has_pred ? &it.pr.scores : NULL, NULL);
    review_set_rationale(&it, rationale);
    review_set_comment(&it, comment);
    for (int i = 0; i < nsets; i++)
        if (parse_set(g->r, sets[i], &it.v, err) < 0) {
            cli_error("label: %s", err);
            rc = EXIT_USAGE;
            review_item_clear(&it);
            goto out;
        }
    label_action act = skip ? LABEL_DO_SKIP : nsets ? LABEL_DO_SAVE
                                                    : LABEL_DO_ACCEPT;
    review_saved sv;
    /* Headless, nothing was "opened": the save itself is the look, so it
     * is not refused; replacing another reviewer's label is reported. */
    int src = review_save(p, g->r, g->reviewer, &it, act, note, 1, &sv, err);
    if (src < 0) {
        if (act != LABEL_DO_SKIP && !it.has_pred)
            cli_error("label: %s has no model scores: give every score "
                      "with --set FIELD=VALUE", id);
        else if (act != LABEL_DO_SKIP && strstr(err, " no "))
            cli_error("label: %s: %s: give --set FIELD=VALUE", id, err);
        else
            cli_error("label: %s", err);
    } else {
        rc = EXIT_OK;
        if (!g->quiet) {
            put_clean(id);
            printf(": label #%lld %s by ", (long long)sv.label_id,
                   label_status_name(sv.status));
            put_clean(g->reviewer);
            if (sv.status == LABEL_ACCEPTED && it.has_pred)
                printf(" (prediction #%lld of run %lld)", (long long)it.pr.id,
                       (long long)it.pr.run_id);
            if (sv.has_overall) printf(", overall %.2f", sv.overall);
            putchar('\n');
        }
        if (!g->quiet && it.has_current &&
            strcmp(it.current.reviewer, g->reviewer) != 0)
            cli_printf(stdout, "note: %s labeled %s too (label #%lld, kept): "
                       "the conversation's human value is now the reviewers' "
                       "consensus (curate consensus)\n",
                       it.current.reviewer, id, (long long)it.current.id);
    }
    review_item_clear(&it);
out:
    free(sets);
    if (p) pool_close(p);
    return rc;
}

const char cmd_edge_usage[] =
    "usage: curate edge ID [--note TEXT] [--off]\n"
    "Marks a conversation as a boundary edge case for the curated set\n"
    "(or unmarks it with --off). `curate undo` reverts it.\n";

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
    int rc = review_edge(p, g->reviewer, argv[optind], !off, note, err);
    if (rc < 0) cli_error("edge: %s", err);
    else if (!g->quiet) {
        put_clean(argv[optind]);
        printf(": %s\n", off ? "edge case mark removed" : "marked as edge case");
    }
    pool_close(p);
    return rc < 0 ? EXIT_ERR : EXIT_OK;
}

const char cmd_note_usage[] =
    "usage: curate note ID TEXT\n"
    "Adds your note to a conversation (shown by `show` and the review\n"
    "screen). `curate undo` reverts it.\n";

int cmd_note(const cli_globals *g, int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(cmd_note_usage, stdout);
        return EXIT_OK;
    }
    if (argc != 3) { fputs(cmd_note_usage, stderr); return EXIT_USAGE; }
    if (cli_text_opt("note", "TEXT", argv[2]) < 0) return EXIT_USAGE;
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    char err[ERR_MAX];
    int rc = review_note(p, g->reviewer, argv[1], argv[2], err);
    if (rc < 0) cli_error("note: %s", err);
    else if (!g->quiet) { put_clean(argv[1]); printf(": note added\n"); }
    pool_close(p);
    return rc < 0 ? EXIT_ERR : EXIT_OK;
}

const char cmd_undo_usage[] =
    "usage: curate undo\n"
    "Reverts your own most recent action not yet undone (label, skip,\n"
    "edge mark, edge unmark, note), as `u` does in the workbench, and\n"
    "says what it reverted. Nothing is deleted: the undone row stays in\n"
    "the history and the journal records the undo. Another reviewer's\n"
    "actions are never undone (--reviewer names you).\n";

int cmd_undo(const cli_globals *g, int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(cmd_undo_usage, stdout);
        return EXIT_OK;
    }
    if (argc != 1) { fputs(cmd_undo_usage, stderr); return EXIT_USAGE; }
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    char err[ERR_MAX], what[ERR_MAX];
    pool_action a;
    int rc = review_undo(p, g->reviewer, NULL, 0, &a, what, err);
    if (rc < 0) cli_error("undo: %s", err);
    else if (rc == 0) cli_error("undo: %s", what);
    else {
        if (!g->quiet) { put_clean(what); putchar('\n'); }
        pool_action_clear(&a);
    }
    pool_close(p);
    return rc == 1 ? EXIT_OK : EXIT_ERR;
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
