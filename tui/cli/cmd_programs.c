/* cmd_programs.c: the program store: list, show (demos), use (make best). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../term/sanitize.h"
#include "../../core/program.h"
#include "../../core/util.h"
#include "../../data/export_json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cmd_programs_usage[] =
    "usage: curate programs [list]\n"
    "       curate programs show ID|best\n"
    "       curate programs use ID\n"
    "\n"
    "list   every stored program, newest first: id, creation time, metric,\n"
    "       validation score, number of demos, model; * marks the current best\n"
    "show   a program's details and its demos (bootstrapped: inputs, reasoning\n"
    "       and outputs; labeled: inputs and outputs)\n"
    "use    make program ID the current best (what scoring uses by default)\n";

static void put_clean(const char *s, unsigned flags)
{
    char *c = cli_clean_new(stdout, s, !(flags & SAN_KEEP_NL));
    fputs(c, stdout);
    free(c);
}

/* At most width display bytes of s, sanitised, cut with "..." (on a UTF-8
 * boundary), padded to width when pad. */
static void put_cell(const char *s, int width, int pad)
{
    char *c = cli_clean_new(stdout, s ? s : "-", 1);
    size_t n = strlen(c);
    if ((int)n > width) {
        size_t cut = (size_t)(width > 3 ? width - 3 : 0);
        while (cut > 0 && ((unsigned char)c[cut] & 0xc0) == 0x80) cut--;
        c[cut] = '\0';
        fputs(c, stdout);
        fputs("...", stdout);
        n = cut + 3;
    } else {
        fputs(c, stdout);
    }
    for (int i = (int)n; pad && i < width; i++) putchar(' ');
    free(c);
}

/* Prints text indented by `indent` spaces on every line. */
static void put_block(const char *s, int indent)
{
    char *c = cli_clean_new(stdout, s, 0);
    const char *p = c;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        printf("%*s%.*s\n", indent, "", (int)len, p);
        if (!nl) break;
        p = nl + 1;
    }
    free(c);
}


static int is_imported(const pool_program *pg)
{
    return pg->metric && strcmp(pg->metric, "imported") == 0;
}

static int programs_list(const cli_globals *g)
{
    char err[ERR_MAX];
    pool *p = cli_open_pool_readonly(g);
    if (!p) return EXIT_ERR;
    pool_program *pg;
    int n = pool_list_programs(p, &pg, err);
    pool_close(p);
    if (n < 0) {
        cli_error("%s", err);
        return EXIT_ERR;
    }
    if (n == 0) {
        printf("no programs yet (`curate optimize` makes one, "
               "`curate import-program` loads one)\n");
        pool_programs_free(pg, n);
        return EXIT_OK;
    }
    printf("  %-5s %-20s %-10s %6s %5s  %-24s %s\n", "ID", "CREATED", "METRIC",
           "VAL", "DEMOS", "MODEL", "NOTE");
    for (int i = 0; i < n; i++) {
        char when[32], val[32] = "-";
        date_iso8601(pg[i].created_at, when, sizeof when);
        if (!is_imported(&pg[i])) snprintf(val, sizeof val, "%.3f", pg[i].val_score);
        printf("%c %-5lld %-20s ", pg[i].is_best ? '*' : ' ',
               (long long)pg[i].id, when);
        put_cell(pg[i].metric, 10, 1);
        printf(" %6s %5d  ", val, pg[i].n_demos);
        put_cell(pg[i].model, 24, 1);
        putchar(' ');
        put_cell(pg[i].note ? pg[i].note : "", 40, 0);
        putchar('\n');
    }
    printf("(* current best)\n");
    pool_programs_free(pg, n);
    return EXIT_OK;
}

static int trainset_size(const char *json)
{
    cJSON *a = json ? cJSON_Parse(json) : NULL;
    int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
    cJSON_Delete(a);
    return n;
}

static void print_demo(const rubric *r, const demo *d, size_t k, size_t n)
{
    printf("\ndemo %zu of %zu: %s\n", k + 1, n,
           d->augmented ? "bootstrapped" : "labeled");
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && d->reasoning) {
            printf("  reasoning:\n");
            put_block(d->reasoning, 4);
        }
        for (size_t i = 0; i < r->nfields; i++) {
            if ((r->fields[i].kind == FIELD_INPUT) != (pass == 0)) continue;
            const char *v = d->values[i];
            if (!v) continue;
            printf("  %s:", r->fields[i].name);
            if (strchr(v, '\n') || strlen(v) > 60) {
                putchar('\n');
                put_block(v, 4);
            } else {
                putchar(' ');
                put_clean(v, 0);
                putchar('\n');
            }
        }
    }
}

static int programs_show(const cli_globals *g, const char *ref)
{
    char err[ERR_MAX];
    int64_t id;
    if (export_parse_program_ref(ref, &id, err) < 0) {
        cli_error("%s", err);
        return EXIT_USAGE;
    }
    pool *p = cli_open_pool_readonly(g);
    if (!p) return EXIT_ERR;
    pool_program pg;
    int rc = pool_get_program(p, id, &pg, err);
    pool_close(p);
    if (rc <= 0) {
        if (rc == 0) {
            if (id) cli_error("no program %lld (see `curate programs`)", (long long)id);
            else cli_error("no current best program");
        } else {
            cli_error("%s", err);
        }
        return EXIT_ERR;
    }
    program *prog = program_from_state_json_new(pg.state_json, g->r, err);
    if (!prog) {
        cli_error("program %lld: %s", (long long)pg.id, err);
        pool_program_clear(&pg);
        return EXIT_ERR;
    }
    char when[32];
    date_iso8601(pg.created_at, when, sizeof when);
    size_t boot = 0;
    for (size_t i = 0; i < prog->ndemos; i++) boot += prog->demos[i].augmented != 0;
    printf("program %lld%s\n", (long long)pg.id, pg.is_best ? " (current best)" : "");
    printf("  created       %s\n", when);
    printf("  metric        ");
    put_clean(pg.metric ? pg.metric : "-", 0);
    if (!is_imported(&pg)) printf("  (validation score %.3f)", pg.val_score);
    printf("\n  model         ");
    put_clean(pg.model ? pg.model : "-", 0);
    printf("\n  demos         %zu (%zu bootstrapped, %zu labeled)\n",
           prog->ndemos, boot, prog->ndemos - boot);
    int ts = trainset_size(pg.trainset_json);
    if (ts >= 0) printf("  training set  %d conversation%s\n", ts, ts == 1 ? "" : "s");
    if (pg.note && *pg.note) {
        printf("  note          ");
        put_clean(pg.note, 0);
        putchar('\n');
    }
    for (size_t k = 0; k < prog->ndemos; k++)
        print_demo(g->r, &prog->demos[k], k, prog->ndemos);
    program_free(prog);
    pool_program_clear(&pg);
    return EXIT_OK;
}

static int programs_use(const cli_globals *g, const char *ref)
{
    char err[ERR_MAX];
    int64_t id;
    if (export_parse_program_ref(ref, &id, err) < 0 || id == 0) {
        cli_error("programs use: expected a program id, got '%.60s'", ref);
        return EXIT_USAGE;
    }
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    pool_program pg;
    int rc = pool_get_program(p, id, &pg, err);
    if (rc == 1) {
        program *prog = program_from_state_json_new(pg.state_json, g->r, err);
        if (!prog) {
            rc = -1;
            cli_error("program %lld: %s (not made current)", (long long)id, err);
        }
        program_free(prog);
        pool_program_clear(&pg);
    } else if (rc == 0) {
        cli_error("no program %lld (see `curate programs`)", (long long)id);
        rc = -1;
    } else {
        cli_error("%s", err);
    }
    if (rc == 1 && pool_set_best_program(p, id, err) < 0) {
        cli_error("%s", err);
        rc = -1;
    }
    pool_close(p);
    if (rc != 1) return EXIT_ERR;
    if (!g->quiet) printf("program %lld is now the current best\n", (long long)id);
    return EXIT_OK;
}

int cmd_programs(const cli_globals *g, int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(cmd_programs_usage, stdout);
        return EXIT_OK;
    }
    const char *sub = argc > 1 ? argv[1] : "list";
    if (!strcmp(sub, "list") && argc <= 2) return programs_list(g);
    if (!strcmp(sub, "show") && argc == 3) return programs_show(g, argv[2]);
    if (!strcmp(sub, "use") && argc == 3) return programs_use(g, argv[2]);
    fputs(cmd_programs_usage, stderr);
    return EXIT_USAGE;
}
