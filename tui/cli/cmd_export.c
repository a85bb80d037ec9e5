/* cmd_export.c: export json|mongo|pool and import-program json|mongo: demo
 * sets in and out as DSPy program states, the labeled pool as DSPy
 * Example dicts. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../term/sanitize.h"
#include "../../core/outfile.h"
#include "../../core/util.h"
#include "../../data/export_json.h"
#include "../../data/export_mongo.h"
#include "../../data/export_pool.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cmd_export_usage[] =
    "usage: curate export json  [--program best|ID] [-o FILE]\n"
    "       curate export mongo [--program best|ID] [--uri URI] [--database DB]\n"
    "                           [--collection C] [--type T]\n"
    "       curate export pool  [--reviewed | --edge | --trainset best|ID |\n"
    "                            --filter F... [--search TEXT]]\n"
    "                           [--format jsonl|json] [--numeric] [-o FILE]\n"
    "\n"
    "json   the program state exactly as DSPy 2.6's Module.save(\"x.json\") writes\n"
    "       it, so Python does ChatAnalyzer().load(FILE). Written atomically\n"
    "       (a new file is made 0600; an existing one keeps its mode; a\n"
    "       symlink or special file is refused);\n"
    "       default FILE " EXPORT_JSON_DEFAULT_FILE ", -o - for stdout.\n"
    "mongo  replace_one({type: T}, {type, state, optimized_at, training_examples},\n"
    "       upsert) into DB.C: state the program state as an embedded document,\n"
    "       optimized_at the program's creation time (BSON date, UTC),\n"
    "       training_examples its number of demos (int32). URI from --uri or\n"
    "       CURATE_MONGO_URI (prefer the variable: arguments are visible in ps).\n"
    "       Defaults: DB the URI's /DB or " MONGO_DEFAULT_DATABASE ", C " MONGO_DEFAULT_COLLECTION ",\n"
    "       T " MONGO_DEFAULT_TYPE ". serverSelectionTimeoutMS=5000 and\n"
    "       connectTimeoutMS=5000 are added unless the URI sets them.\n"
    "pool   human-verified examples as DSPy Example dicts: the input fields\n"
    "       (conversation transcript, seller_id), the current label's scores as\n"
    "       strings like a demo's (\"8.5\"; --numeric: JSON numbers), then\n"
    "       conversation_id, reviewer, status and, for edge cases, edge_note.\n"
    "       --reviewed (default) every reviewed conversation, --edge the curated\n"
    "       edge cases, --trainset the training set of a program, --filter F\n"
    "       (repeat to combine: all must hold) and --search TEXT the view they\n"
    "       make, as `curate list` shows it (its labeled conversations; those\n"
    "       without a current label are counted and left out). Default FILE\n"
    "       " EXPORT_POOL_DEFAULT_JSONL " (" EXPORT_POOL_DEFAULT_JSON " with --format json), -o - for stdout.\n"
    "\n"
    "--program defaults to best, the current best program. Exports never\n"
    "change the pool and never include API keys or the URI's password.\n";

const char cmd_import_program_usage[] =
    "usage: curate import-program json FILE [--use] [--note TEXT]\n"
    "       curate import-program mongo [--uri URI] [--database DB]\n"
    "                           [--collection C] [--type T] [--use] [--note TEXT]\n"
    "\n"
    "Loads a program state written by DSPy (2.6 or 3.x, Module.save) or by\n"
    "curate, checks it against the rubric (same fields in the same order) and\n"
    "stores it as a new program (metric \"imported\"); prints its id. FILE - reads\n"
    "standard input. mongo reads find_one({type: T})[\"state\"] (defaults as for\n"
    "`curate export mongo`). --use also makes it the current best. A state for\n"
    "another signature, or anything else wrong, stores nothing.\n";

/* cli_error sanitises: messages may quote data. */
static void fail_msg(const char *msg)
{
    cli_error("%s", msg);
}

static void print_clean(FILE *f, const char *s)
{
    char *c = cli_clean_new(f, s, 1);
    fputs(c, f);
    free(c);
}

static int is_help(const char *s)
{
    return s && (!strcmp(s, "-h") || !strcmp(s, "--help"));
}

/* Writes data to path ("-": stdout) atomically. 0 or -1 (message printed). */
static int write_out(const char *path, const char *data, size_t len,
                     int newline_on_tty)
{
    char err[ERR_MAX];
    if (outfile_is_stdout(path)) {
        if (fwrite(data, 1, len, stdout) != len) {
            cli_error("stdout: write failed");
            return -1;
        }
        if (newline_on_tty && isatty(STDOUT_FILENO)) putchar('\n');
        if (fflush(stdout) != 0) {
            cli_error("stdout: write failed");
            return -1;
        }
        return 0;
    }
    if (outfile_write_all(path, data, len, 0, err) < 0) {
        fail_msg(err);
        return -1;
    }
    return 0;
}


/* Loads the state of program id: 0 with *state and *meta, or an exit status. */
static int load_state(const cli_globals *g, int64_t id, char **state,
                      pool_program *meta)
{
    pool *p = cli_open_pool_readonly(g);
    if (!p) return EXIT_ERR;
    char err[ERR_MAX];
    *state = export_program_state_new(p, g->r, id, meta, err);
    pool_close(p);
    if (!*state) {
        fail_msg(err);
        return EXIT_ERR;
    }
    return 0;
}

enum {
    O_PROGRAM = 256, O_URI, O_DATABASE, O_COLLECTION, O_TYPE, O_REVIEWED,
    O_EDGE, O_TRAINSET, O_FORMAT, O_NUMERIC, O_USE, O_NOTE, O_FILTER, O_SEARCH
};

typedef struct {
    const char *program, *out, *uri, *database, *collection, *type, *trainset,
        *format, *note;
    int reviewed, edge, numeric, use, nsel;
    pool_filter view;      /* --filter / --search */
    int has_view;
} opts;

/* Parses the options of `export SUB` / `import-program SUB` (argv[0] is
 * SUB). allowed: the option codes this subcommand takes. */
static int parse_opts(int argc, char **argv, const int *allowed, opts *o,
                      const char *usage)
{
    static const struct option lo[] = {
        {"program", required_argument, NULL, O_PROGRAM},
        {"output", required_argument, NULL, 'o'},
        {"uri", required_argument, NULL, O_URI},
        {"database", required_argument, NULL, O_DATABASE},
        {"collection", required_argument, NULL, O_COLLECTION},
        {"type", required_argument, NULL, O_TYPE},
        {"reviewed", no_argument, NULL, O_REVIEWED},
        {"edge", no_argument, NULL, O_EDGE},
        {"trainset", required_argument, NULL, O_TRAINSET},
        {"format", required_argument, NULL, O_FORMAT},
        {"numeric", no_argument, NULL, O_NUMERIC},
        {"use", no_argument, NULL, O_USE},
        {"note", required_argument, NULL, O_NOTE},
        {"filter", required_argument, NULL, O_FILTER},
        {"search", required_argument, NULL, O_SEARCH},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    char ferr[ERR_MAX];
    pool_filter_parse(NULL, &o->view, ferr);
    int c, li = -1;
    opterr = 0;   /* glibc would echo "--opt=VALUE", and a value may be a URI */
    while ((c = getopt_long(argc, argv, "o:h", lo, &li)) != -1) {
        if (c == 'h') {
            cli_usage(usage, stdout);
            return EXIT_OK + 100;
        }
        int ok = 0;
        for (const int *a = allowed; *a; a++)
            if (*a == c) ok = 1;
        if (c == '?') {
            const char *a = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
            if (a[0] != '-') a = "?";
            cli_error("%s: unknown option or missing value: '%.*s'", argv[0],
                      (int)strcspn(a, "="), a);
            fputs(usage, stderr);
            return EXIT_USAGE;
        }
        if (!ok) {
            /* name the option, never its value (it may be a URI) */
            if (c == 'o') cli_error("%s: option '-o' does not apply here", argv[0]);
            else if (li >= 0)
                cli_error("%s: option '--%s' does not apply here", argv[0], lo[li].name);
            fputs(usage, stderr);
            return EXIT_USAGE;
        }
        li = -1;
        switch (c) {
        case O_PROGRAM: o->program = optarg; break;
        case 'o': o->out = optarg; break;
        case O_URI: o->uri = optarg; break;
        case O_DATABASE: o->database = optarg; break;
        case O_COLLECTION: o->collection = optarg; break;
        case O_TYPE: o->type = optarg; break;
        case O_REVIEWED: o->reviewed = 1; o->nsel++; break;
        case O_EDGE: o->edge = 1; o->nsel++; break;
        case O_TRAINSET: o->trainset = optarg; o->nsel++; break;
        case O_FORMAT: o->format = optarg; break;
        case O_NUMERIC: o->numeric = 1; break;
        case O_USE: o->use = 1; break;
        case O_NOTE: o->note = optarg; break;
        case O_FILTER:
            if (pool_filter_add(optarg, &o->view, ferr) < 0) {
                cli_error("%s: %s (nothing was written)", argv[0], ferr);
                return EXIT_USAGE;
            }
            o->has_view = 1;
            break;
        case O_SEARCH:
            if (o->view.search) {
                cli_error("%s: --search is given twice (or with --filter "
                          "search=)", argv[0]);
                return EXIT_USAGE;
            }
            o->view.search = optarg;
            o->has_view = 1;
            break;
        default: break;
        }
    }
    return -1;
}

static const char *mongo_uri(const opts *o)
{
    if (o->uri && *o->uri) return o->uri;
    const char *e = getenv("CURATE_MONGO_URI");
    return e && *e ? e : NULL;
}

/* ---------------------------------------------------------- export */

static int export_json(const cli_globals *g, const opts *o)
{
    int64_t id;
    char err[ERR_MAX];
    if (export_parse_program_ref(o->program, &id, err) < 0) {
        fail_msg(err);
        return EXIT_USAGE;
    }
    const char *path = o->out ? o->out : EXPORT_JSON_DEFAULT_FILE;
    char *state;
    pool_program meta;
    int rc = load_state(g, id, &state, &meta);
    if (rc) return rc;
    rc = write_out(path, state, strlen(state), 1) < 0 ? EXIT_ERR : EXIT_OK;
    if (rc == EXIT_OK && !g->quiet) {
        FILE *f = outfile_is_stdout(path) ? stderr : stdout;
        fprintf(f, "program %lld (%d demo%s, DSPy state, %zu bytes) -> ",
                (long long)meta.id, meta.n_demos, meta.n_demos == 1 ? "" : "s",
                strlen(state));
        print_clean(f, outfile_is_stdout(path) ? "stdout" : path);
        fputc('\n', f);
    }
    free(state);
    pool_program_clear(&meta);
    return rc;
}

static int export_mongo(const cli_globals *g, const opts *o)
{
    int64_t id;
    char err[ERR_MAX];
    if (export_parse_program_ref(o->program, &id, err) < 0) {
        fail_msg(err);
        return EXIT_USAGE;
    }
    const char *uri = mongo_uri(o);
    if (!uri) {
        cli_error("export mongo: no MongoDB URI: give --uri or set CURATE_MONGO_URI");
        return EXIT_USAGE;
    }
    char *state;
    pool_program meta;
    int rc = load_state(g, id, &state, &meta);
    if (rc) return rc;
    mongo_target t = {uri, o->database, o->collection, o->type};
    mongo_result res;
    export_mongo_init();
    if (export_mongo_put(&t, state, meta.created_at, meta.n_demos, &res, err) < 0) {
        fail_msg(err);
        rc = EXIT_ERR;
    } else if (!g->quiet) {
        sbuf msg = {0};
        sbuf_addf(&msg, "%s %s in %s at %s: program %lld, %d demo%s, document %zu bytes\n",
                  res.inserted ? "inserted" : "replaced",
                  t.type ? t.type : MONGO_DEFAULT_TYPE, res.where, res.uri,
                  (long long)meta.id, meta.n_demos, meta.n_demos == 1 ? "" : "s",
                  res.doc_size);
        cli_puts(stdout, msg.s);
        sbuf_free(&msg);
    }
    export_mongo_cleanup();
    free(state);
    pool_program_clear(&meta);
    return rc;
}

static int export_pool(const cli_globals *g, const opts *o)
{
    char err[ERR_MAX];
    export_pool_opts eo = {0};
    if (o->nsel > 1 || (o->nsel && o->has_view)) {
        cli_error("export pool: give one of --reviewed, --edge, --trainset or "
                  "a view (--filter, --search; --filter reviewed and --filter "
                  "edge say the same as --reviewed and --edge)");
        return EXIT_USAGE;
    }
    if (o->has_view) {
        if (pool_filter_check(&o->view, g->r, err) < 0) {
            cli_error("export pool: %s (nothing was written)", err);
            return EXIT_USAGE;
        }
        eo.sel = EXPORT_VIEW;
        eo.view = &o->view;
    }
    if (o->edge) eo.sel = EXPORT_EDGE;
    if (o->trainset) {
        eo.sel = EXPORT_TRAINSET;
        if (export_parse_program_ref(o->trainset, &eo.program_id, err) < 0) {
            fail_msg(err);
            return EXIT_USAGE;
        }
    }
    if (o->format && strcmp(o->format, "json") == 0) eo.json_array = 1;
    else if (o->format && strcmp(o->format, "jsonl") != 0) {
        cli_error("export pool: --format must be jsonl or json");
        return EXIT_USAGE;
    }
    eo.numeric = o->numeric;
    const char *path = o->out ? o->out
                              : eo.json_array ? EXPORT_POOL_DEFAULT_JSON
                                              : EXPORT_POOL_DEFAULT_JSONL;
    pool *p = cli_open_pool_readonly(g);
    if (!p) return EXIT_ERR;
    sbuf out = {0};
    int n, skipped;
    int rc = export_pool_examples(p, g->r, &eo, &out, &n, &skipped, err);
    pool_close(p);
    if (rc < 0) {
        fail_msg(err);
        sbuf_free(&out);
        return EXIT_ERR;
    }
    rc = write_out(path, out.s ? out.s : "", out.len, 0) < 0 ? EXIT_ERR : EXIT_OK;
    if (rc == EXIT_OK && !g->quiet) {
        FILE *f = outfile_is_stdout(path) ? stderr : stdout;
        sbuf what = {0};
        if (eo.sel == EXPORT_VIEW) {
            sbuf_add(&what, "view: ");
            pool_filter_describe(&o->view, &what);
        } else {
            sbuf_add(&what, eo.sel == EXPORT_EDGE ? "edge cases"
                     : eo.sel == EXPORT_TRAINSET ? "training set" : "reviewed");
        }
        char *clean = cli_clean_new(f, what.s, 1);
        fprintf(f, "%d example%s (%s) -> ", n, n == 1 ? "" : "s", clean);
        free(clean);
        sbuf_free(&what);
        print_clean(f, outfile_is_stdout(path) ? "stdout" : path);
        fputc('\n', f);
        if (skipped)
            fprintf(f, "%d %s conversation%s without a current label left out\n",
                    skipped, eo.sel == EXPORT_VIEW ? "of the view's" : "listed",
                    skipped == 1 ? "" : "s");
    }
    sbuf_free(&out);
    return rc;
}

int cmd_export(const cli_globals *g, int argc, char **argv)
{
    if (argc < 2 || is_help(argv[1])) {
        cli_usage(cmd_export_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const char *sub = argv[1];
    static const int json_opts[] = {O_PROGRAM, 'o', 0};
    static const int mongo_opts[] = {O_PROGRAM, O_URI, O_DATABASE, O_COLLECTION,
                                     O_TYPE, 0};
    static const int pool_opts[] = {O_REVIEWED, O_EDGE, O_TRAINSET, O_FORMAT,
                                    O_NUMERIC, 'o', O_FILTER, O_SEARCH, 0};
    const int *allowed = !strcmp(sub, "json") ? json_opts
                         : !strcmp(sub, "mongo") ? mongo_opts
                         : !strcmp(sub, "pool") ? pool_opts : NULL;
    if (!allowed) {
        cli_error("export: unknown target '%s' (json, mongo or pool)", sub);
        fputs(cmd_export_usage, stderr);
        return EXIT_USAGE;
    }
    opts o;
    int rc = parse_opts(argc - 1, argv + 1, allowed, &o, cmd_export_usage);
    if (rc == EXIT_OK + 100) return EXIT_OK;
    if (rc >= 0) return rc;
    if (optind + 1 < argc) {
        cli_error("export %s: unexpected argument '%s'", sub, argv[optind + 1]);
        return EXIT_USAGE;
    }
    if (!strcmp(sub, "json")) return export_json(g, &o);
    if (!strcmp(sub, "mongo")) return export_mongo(g, &o);
    return export_pool(g, &o);
}

/* --------------------------------------------------------- import */

/* Reads at most PROGRAM_STATE_MAX bytes: a larger state is refused before
 * it is read whole (a 10^6-demo state once took 7 GB before failing). */
static char *read_bounded_new(FILE *f, const char *name, size_t *len,
                              char *err)
{
    sbuf b = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (b.len + n > PROGRAM_STATE_MAX) {
            err_set(err, "%s: larger than %u MiB, the most a program state "
                    "may be", name, PROGRAM_STATE_MAX >> 20);
            sbuf_free(&b);
            return NULL;
        }
        sbuf_addn(&b, buf, n);
    }
    if (ferror(f)) {
        err_set(err, "%s: %s", name, strerror(errno));
        sbuf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.s ? b.s : xstrdup("");
}

static char *read_input_new(const char *path, char *err)
{
    int in = strcmp(path, "-") == 0;
    const char *name = in ? "stdin" : path;
    size_t len = 0;
    FILE *f = in ? stdin : fopen(path, "rb");
    if (!f) {
        err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *s = read_bounded_new(f, name, &len, err);
    if (!in) fclose(f);
    if (s && strlen(s) != len) {
        err_set(err, "%s: contains a NUL byte: not a JSON program state", name);
        free(s);
        return NULL;
    }
    return s;
}

static int store_imported(const cli_globals *g, const char *state,
                          const char *from, const char *note,
                          int64_t created_at, int use)
{
    char err[ERR_MAX];
    pool *p = cli_open_pool(g);
    if (!p) return EXIT_ERR;
    sbuf nb = {0};
    if (note) sbuf_add(&nb, note);
    else sbuf_addf(&nb, "imported from %s", from);
    char *warn = NULL;
    import_opts io = {.note = nb.s, .created_at = created_at, .make_best = use,
                      .warnings = &warn};
    int64_t id;
    int nd;
    int rc = import_program_state(p, g->r, state, &io, &id, &nd, err);
    pool_close(p);
    /* said before the result, line by line, terminal-safe */
    for (char *line = warn, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        cli_error("warning: %s", line);
        if (!nl) break;
    }
    free(warn);
    if (rc < 0) {
        sbuf msg = {0};
        sbuf_addf(&msg, "%s: %s (nothing imported)", from, err);
        fail_msg(msg.s);
        sbuf_free(&msg);
        sbuf_free(&nb);
        return EXIT_ERR;
    }
    if (g->quiet) {
        printf("%lld\n", (long long)id);
    } else {
        printf("program %lld: imported from ", (long long)id);
        print_clean(stdout, from);
        printf(" (%d demo%s)%s\n", nd, nd == 1 ? "" : "s",
               use ? "; now the current best" : "");
    }
    sbuf_free(&nb);
    return EXIT_OK;
}

int cmd_import_program(const cli_globals *g, int argc, char **argv)
{
    if (argc < 2 || is_help(argv[1])) {
        fputs(cmd_import_program_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const char *sub = argv[1];
    static const int json_opts[] = {O_USE, O_NOTE, 0};
    static const int mongo_opts[] = {O_URI, O_DATABASE, O_COLLECTION, O_TYPE,
                                     O_USE, O_NOTE, 0};
    const int *allowed = !strcmp(sub, "json") ? json_opts
                         : !strcmp(sub, "mongo") ? mongo_opts : NULL;
    if (!allowed) {
        cli_error("import-program: unknown source '%s' (json or mongo)", sub);
        fputs(cmd_import_program_usage, stderr);
        return EXIT_USAGE;
    }
    opts o;
    int rc = parse_opts(argc - 1, argv + 1, allowed, &o, cmd_import_program_usage);
    if (rc == EXIT_OK + 100) return EXIT_OK;
    if (rc >= 0) return rc;
    int nargs = argc - 1 - optind;
    char err[ERR_MAX];
    if (!strcmp(sub, "json")) {
        if (nargs != 1) {
            cli_error("import-program json: give exactly one FILE");
            fputs(cmd_import_program_usage, stderr);
            return EXIT_USAGE;
        }
        const char *path = argv[optind + 1];
        char *text = read_input_new(path, err);
        if (!text) {
            fail_msg(err);
            return EXIT_ERR;
        }
        rc = store_imported(g, text, strcmp(path, "-") ? path : "stdin", o.note,
                            0, o.use);
        free(text);
        return rc;
    }
    if (nargs != 0) {
        cli_error("import-program mongo: unexpected argument");
        return EXIT_USAGE;
    }
    const char *uri = mongo_uri(&o);
    if (!uri) {
        cli_error("import-program mongo: no MongoDB URI: give --uri or set "
                  "CURATE_MONGO_URI");
        return EXIT_USAGE;
    }
    mongo_target t = {uri, o.database, o.collection, o.type};
    mongo_result res;
    int64_t optimized_at = 0;
    export_mongo_init();
    char *state = export_mongo_get_state_new(&t, &optimized_at, &res, err);
    export_mongo_cleanup();
    if (!state) {
        fail_msg(err);
        return EXIT_ERR;
    }
    sbuf from = {0};
    sbuf_addf(&from, "%s type %s at %s", res.where,
              t.type ? t.type : MONGO_DEFAULT_TYPE, res.uri);
    rc = store_imported(g, state, from.s, o.note, optimized_at, o.use);
    sbuf_free(&from);
    free(state);
    return rc;
}
