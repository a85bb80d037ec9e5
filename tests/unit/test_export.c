/* test_export.c: program store <-> state JSON, the labeled pool as DSPy
 * Example dicts, MongoDB URI redaction and fast failure (no server needed:
 * the integration test tests/integration/export_mongo.sh talks to the peer). */
#include "test.h"
#include "../../core/program.h"
#include "../../core/util.h"
#include "../../data/export_json.h"
#include "../../data/export_mongo.h"
#include "../../data/export_pool.h"
#include "../../data/mongo_dl.h"
#include "../../data/pool.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

#define FIX "tests/fixtures/programs/"

static char *fixture(const char *name)
{
    char err[ERR_MAX], path[256];
    size_t len;
    snprintf(path, sizeof path, FIX "%s", name);
    return file_read_new(path, &len, err);
}

static pool *tmp_pool(void)
{
    char err[ERR_MAX], path[512];
    snprintf(path, sizeof path, "%s/pool.db", test_tmpdir());
    pool *p = pool_open(path, err);
    if (!p) fprintf(stderr, "    %s\n", err);
    return p;
}

static int nprograms(pool *p)
{
    char err[ERR_MAX];
    pool_program *pg;
    int n = pool_list_programs(p, &pg, err);
    pool_programs_free(pg, n < 0 ? 0 : n);
    return n;
}

TEST(export_program_ref)
{
    char err[ERR_MAX];
    int64_t id = -1;
    CHECK(export_parse_program_ref("best", &id, err) == 0 && id == 0);
    CHECK(export_parse_program_ref(NULL, &id, err) == 0 && id == 0);
    CHECK(export_parse_program_ref("12", &id, err) == 0 && id == 12);
    CHECK(export_parse_program_ref("0", &id, err) < 0);
    CHECK(export_parse_program_ref("-3", &id, err) < 0);
    CHECK(export_parse_program_ref("7x", &id, err) < 0);
    CHECK(strstr(err, "expected 'best' or a program id"));
}

TEST(export_json_store_roundtrip)
{
    rubric *r = rubric_default_new();
    r->dspy.version = DSPY_V26;   /* golden_state.json is 2.6.27's bytes */
    r->dspy.chosen = 1;
    pool *p = tmp_pool();
    CHECK(p != NULL);
    char err[ERR_MAX] = "";
    char *golden = fixture("golden_state.json");
    CHECK(golden != NULL);
    CHECK(export_program_state_new(p, r, 0, NULL, err) == NULL);
    CHECK(strstr(err, "no current best program"));
    import_opts io = {.note = "from test", .created_at = 1714557723};
    int64_t id = 0;
    int nd = 0;
    CHECK_MSG(import_program_state(p, r, golden, &io, &id, &nd, err) == 0, "%s", err);
    CHECK(id > 0 && nd == 2);
    /* not made best without make_best */
    CHECK(export_program_state_new(p, r, 0, NULL, err) == NULL);
    pool_program meta;
    char *out = export_program_state_new(p, r, id, &meta, err);
    CHECK_MSG(out != NULL, "%s", err);
    CHECK_STR(out, golden);
    CHECK(meta.id == id && meta.n_demos == 2 && meta.created_at == 1714557723);
    CHECK_STR(meta.metric, "imported");
    CHECK_STR(meta.note, "from test");
    CHECK(meta.state_json == NULL && !meta.is_best);
    pool_program_clear(&meta);
    free(out);
    /* a DSPy 3.x file is stored in the canonical 2.6 bytes; make_best */
    char *s3 = fixture("dspy3_state.json");
    io.make_best = 1;
    int64_t id2 = 0;
    CHECK_MSG(import_program_state(p, r, s3, &io, &id2, NULL, err) == 0, "%s", err);
    out = export_program_state_new(p, r, 0, &meta, err);
    CHECK_MSG(out != NULL, "%s", err);
    CHECK(meta.id == id2 && meta.is_best);
    CHECK_STR(out, golden);
    pool_program_clear(&meta);
    free(out);
    free(s3);
    /* a bad state stores nothing */
    int before = nprograms(p);
    char *other = fixture("other_signature.json");
    CHECK(import_program_state(p, r, other, &io, &id, NULL, err) < 0);
    CHECK(strstr(err, "state is for another signature: field 4 is 'Sentiment Score:'"));
    CHECK(import_program_state(p, r, "not json", &io, &id, NULL, err) < 0);
    CHECK(nprograms(p) == before);
    free(other);
    /* a stored state that does not fit the rubric is refused on export */
    rubric *r2 = rubric_parse_new(
        "{\"name\": \"S\", \"instructions\": \"i\", \"fields\": ["
        "{\"name\": \"text\", \"kind\": \"input\"},"
        "{\"name\": \"q\", \"kind\": \"score\", \"weight\": 1}]}", "t", err);
    CHECK(r2 != NULL);
    CHECK(export_program_state_new(p, r2, id2, NULL, err) == NULL);
    CHECK(strstr(err, "is for another signature"));
    rubric_free(r2);
    free(golden);
    pool_close(p);
    rubric_free(r);
}

static void add_convo(pool *p, const char *id, const char *seller, const char *text)
{
    char err[ERR_MAX];
    convo *c = convo_new(id, seller);
    convo_add_msg(c, 1714557720, "Ana", ROLE_CUSTOMER, text);
    convo_add_msg(c, 1714557780, "Bruno", ROLE_SELLER, "on it/ok");
    int changed;
    if (pool_put_convo(p, c, "test", &changed, err) < 0) fprintf(stderr, "    %s\n", err);
    convo_free(c);
}

static void add_label(pool *p, const rubric *r, const char *id, label_status status,
                      double a, double b, double c)
{
    char err[ERR_MAX];
    scoreset s = {0};
    int i1 = rubric_field_index(r, "responsiveness_score");
    int i2 = rubric_field_index(r, "customer_negative_score");
    int i3 = rubric_field_index(r, "conversational_trend_score");
    s.v[i1] = a; s.set[i1] = 1;
    s.v[i2] = b; s.set[i2] = 1;
    s.v[i3] = c; s.set[i3] = 1;
    int64_t lid;
    if (pool_add_label(p, r, id, "alice", status, &s, NULL, &lid, err) < 0)
        fprintf(stderr, "    %s\n", err);
}

/* Parses JSONL text into an array of objects. */
static cJSON *parse_lines(const char *s)
{
    cJSON *arr = cJSON_CreateArray();
    const char *p = s;
    while (*p) {
        const char *nl = strchr(p, '\n');
        if (!nl) { cJSON_Delete(arr); return NULL; }
        char *line = xstrndup(p, (size_t)(nl - p));
        cJSON *o = cJSON_Parse(line);
        free(line);
        if (!cJSON_IsObject(o)) { cJSON_Delete(o); cJSON_Delete(arr); return NULL; }
        cJSON_AddItemToArray(arr, o);
        p = nl + 1;
    }
    return arr;
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

TEST(export_pool_examples_jsonl)
{
    rubric *r = rubric_default_new();
    pool *p = tmp_pool();
    CHECK(p != NULL);
    char err[ERR_MAX] = "";
    add_convo(p, "c1", "s1", "hi \"there\" \xf0\x9f\x98\x80");
    add_convo(p, "c2", "s2", "where is my refund");
    add_convo(p, "c3", "s1", "thanks");
    add_convo(p, "c4", "s3", "never reviewed");
    add_label(p, r, "c1", LABEL_CORRECTED, 8.5, 1, 7);
    add_label(p, r, "c2", LABEL_ACCEPTED, 3, 6.25, 4);
    add_label(p, r, "c3", LABEL_SKIPPED, 5, 5, 5);
    CHECK(pool_set_edge(p, "c2", "alice", 1, "refund \"loop\"", err) == 0);
    CHECK(pool_set_edge(p, "c4", "alice", 1, NULL, err) == 0);

    export_pool_opts o = {0};
    sbuf out = {0};
    int n, skipped;
    CHECK_MSG(export_pool_examples(p, r, &o, &out, &n, &skipped, err) == 0, "%s", err);
    CHECK(n == 2 && skipped == 0);
    cJSON *arr = parse_lines(out.s);
    CHECK_MSG(arr != NULL, "not JSONL: %s", out.s);
    CHECK(cJSON_GetArraySize(arr) == 2);
    const cJSON *a = cJSON_GetArrayItem(arr, 0), *b = cJSON_GetArrayItem(arr, 1);
    CHECK_STR(str_of(a, "conversation_id"), "c1");
    CHECK(strstr(str_of(a, "conversation"), "Customer (Ana): hi \"there\" \xf0\x9f\x98\x80"));
    CHECK(strstr(str_of(a, "conversation"), "on it/ok"));
    CHECK_STR(str_of(a, "seller_id"), "s1");
    CHECK_STR(str_of(a, "responsiveness_score"), "8.5");
    CHECK_STR(str_of(a, "customer_negative_score"), "1.0");  /* score_format, as in demos */
    CHECK_STR(str_of(a, "conversational_trend_score"), "7.0");
    CHECK(str_of(a, "overall_seller_score") != NULL);
    CHECK_STR(str_of(a, "reviewer"), "alice");
    CHECK_STR(str_of(a, "status"), "corrected");
    CHECK(cJSON_GetObjectItemCaseSensitive(a, "edge_note") == NULL);
    CHECK(cJSON_GetObjectItemCaseSensitive(a, "score_rationale") == NULL);
    CHECK_STR(str_of(b, "edge_note"), "refund \"loop\"");
    CHECK_STR(str_of(b, "status"), "accepted");
    CHECK_STR(str_of(b, "customer_negative_score"), "6.25");
    /* key order: inputs, labels, then the review metadata */
    const char *ks[] = {"conversation", "seller_id", "responsiveness_score",
                        "customer_negative_score", "conversational_trend_score",
                        "overall_seller_score", "conversation_id", "reviewer",
                        "status", "prediction_id", "run_id", "edge_note"};
    const cJSON *it = b->child;
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++, it = it->next) {
        CHECK_MSG(it && !strcmp(it->string, ks[i]), "key %zu: %s", i, it ? it->string : "-");
    }
    CHECK(it == NULL);
    cJSON_Delete(arr);
    sbuf_free(&out);

    /* --edge, numbers, one JSON array */
    o.sel = EXPORT_EDGE;
    o.numeric = 1;
    o.json_array = 1;
    CHECK(export_pool_examples(p, r, &o, &out, &n, &skipped, err) == 0);
    CHECK(n == 1);
    arr = cJSON_Parse(out.s);
    CHECK_MSG(cJSON_IsArray(arr) && cJSON_GetArraySize(arr) == 1, "%s", out.s);
    a = cJSON_GetArrayItem(arr, 0);
    CHECK_STR(str_of(a, "conversation_id"), "c2");
    const cJSON *num = cJSON_GetObjectItemCaseSensitive(a, "customer_negative_score");
    CHECK(cJSON_IsNumber(num) && num->valuedouble == 6.25);
    CHECK(strstr(out.s, "\"customer_negative_score\":6.25"));
    cJSON_Delete(arr);
    sbuf_free(&out);

    /* empty selection: an empty array */
    pool *p2;
    {
        char path[512];
        snprintf(path, sizeof path, "%s/empty.db", test_tmpdir());
        p2 = pool_open(path, err);
    }
    CHECK(p2 != NULL);
    CHECK(export_pool_examples(p2, r, &o, &out, &n, &skipped, err) == 0);
    CHECK(n == 0);
    CHECK_STR(out.s, "[]\n");
    sbuf_free(&out);
    pool_close(p2);

    /* --trainset: the listed ids, in order; unlabeled / unknown left out */
    pool_program pg = {0};
    pg.state_json = fixture("golden_empty.json");
    pg.metric = "diversity";
    pg.trainset_json = "[\"c2\", \"c4\", \"c1\", \"gone\", \"c3\"]";
    int64_t pid;
    CHECK(pool_put_program(p, &pg, 0, &pid, err) == 0);
    free(pg.state_json);
    o = (export_pool_opts){.sel = EXPORT_TRAINSET, .program_id = pid};
    CHECK_MSG(export_pool_examples(p, r, &o, &out, &n, &skipped, err) == 0, "%s", err);
    CHECK(n == 2 && skipped == 3);
    arr = parse_lines(out.s);
    CHECK(arr && cJSON_GetArraySize(arr) == 2);
    CHECK_STR(str_of(cJSON_GetArrayItem(arr, 0), "conversation_id"), "c2");
    CHECK_STR(str_of(cJSON_GetArrayItem(arr, 0), "edge_note"), "refund \"loop\"");
    CHECK_STR(str_of(cJSON_GetArrayItem(arr, 1), "conversation_id"), "c1");
    cJSON_Delete(arr);
    sbuf_free(&out);
    o.program_id = 0;   /* no best */
    CHECK(export_pool_examples(p, r, &o, &out, &n, &skipped, err) < 0);
    CHECK(strstr(err, "no current best program"));
    o.program_id = 999;
    CHECK(export_pool_examples(p, r, &o, &out, &n, &skipped, err) < 0);
    CHECK(strstr(err, "no program 999"));
    sbuf_free(&out);
    pool_close(p);
    rubric_free(r);
}

TEST(export_mongo_uri_redaction)
{
    char *s = export_mongo_uri_shown_new(
        "mongodb://alice:s3cr%3Dt@127.0.0.1:27017,db2.example.com:27018/mydb"
        "?authSource=admin&tlsCertificateKeyFilePassword=zz");
    CHECK_STR(s, "mongodb://***@127.0.0.1:27017,db2.example.com:27018/mydb");
    free(s);
    s = export_mongo_uri_shown_new("mongodb://localhost");
    CHECK_STR(s, "mongodb://localhost:27017");
    free(s);
    s = export_mongo_uri_shown_new("mongodb://bob@h:1/?authMechanism=MONGODB-X509");
    CHECK_STR(s, "mongodb://***@h:1");
    free(s);
    s = export_mongo_uri_shown_new("http://bob:hunter2@h");
    CHECK_STR(s, "(invalid URI)");
    free(s);
    s = export_mongo_uri_shown_new(NULL);
    CHECK_STR(s, "(invalid URI)");
    free(s);
    /* issue 13: an unescaped '@' (and '/', '?') in the password: libmongoc
     * took "cr@t" for a host and printed it. Everything between "//" and
     * the last '@' is masked. */
    s = export_mongo_uri_shown_new("mongodb://bob:se@cr/e?t@127.0.0.1:1/db?x=1");
    CHECK_STR(s, "mongodb://***@127.0.0.1:1/db");
    free(s);
}

TEST(export_mongo_errors_fast_and_redacted)
{
    export_mongo_init();   /* no cleanup: once per process */
    char err[ERR_MAX] = "";
    const char *state = "{\"analyze.predict\": {\"demos\": []}}";
    mongo_result res;
    /* invalid URIs: the message never holds the password */
    const char *bad[] = {"postgres://bob:hunter2@h/x", "mongodb://bob:hunter2@",
                         "mongodb://bob:hunter2@h:99999999", NULL};
    for (int i = 0; bad[i]; i++) {
        mongo_target t = {bad[i], NULL, NULL, NULL};
        CHECK(export_mongo_put(&t, state, 0, 0, &res, err) < 0);
        CHECK_MSG(!strstr(err, "hunter2"), "password in '%s'", err);
        CHECK_MSG(strstr(err, "not a valid MongoDB URI"), "%s", err);
    }
    mongo_target none = {NULL, NULL, NULL, NULL};
    CHECK(export_mongo_put(&none, state, 0, 0, &res, err) < 0);
    CHECK(strstr(err, "CURATE_MONGO_URI"));
    /* nothing listens on port 1: fails quickly, clearly, without the password */
    double t0 = date_mono();
    mongo_target t = {"mongodb://bob:hunter2@127.0.0.1:1/?appname=x", "db", NULL, NULL};
    CHECK(export_mongo_put(&t, state, 0, 0, &res, err) < 0);
    CHECK_MSG(date_mono() - t0 < 10, "took %.1f s", date_mono() - t0);
    CHECK_MSG(!strstr(err, "hunter2"), "%s", err);
    CHECK_MSG(strstr(err, "cannot reach the server"), "%s", err);
    CHECK_MSG(strstr(err, "mongodb://***@127.0.0.1:1"), "%s", err);
    CHECK_STR(res.where, "db.dspy_optimizers");
    CHECK(export_mongo_get_state_new(&t, NULL, &res, err) == NULL);
    CHECK(strstr(err, "cannot reach the server") && !strstr(err, "hunter2"));
    /* an unescaped '@' in the password: refused before libmongoc reads
     * part of it as a host name, and no part of it shown */
    mongo_target at = {"mongodb://bob:hun@ter2@127.0.0.1:1/?appname=x", "db", NULL, NULL};
    CHECK(export_mongo_put(&at, state, 0, 0, &res, err) < 0);
    CHECK_MSG(!strstr(err, "hun") && !strstr(err, "ter2"), "%s", err);
    CHECK_MSG(strstr(err, "mongodb://***@127.0.0.1:1") && strstr(err, "%40"), "%s", err);
    CHECK(export_mongo_get_state_new(&at, NULL, &res, err) == NULL);
    CHECK_MSG(!strstr(err, "hun") && !strstr(err, "ter2"), "%s", err);
    /* names */
    mongo_target badname = {"mongodb://127.0.0.1:1", "a.b", NULL, NULL};
    CHECK(export_mongo_put(&badname, state, 0, 0, &res, err) < 0);
    CHECK(strstr(err, "invalid MongoDB database name"));
    mongo_target badcoll = {"mongodb://127.0.0.1:1", NULL, "x$y", NULL};
    CHECK(export_mongo_put(&badcoll, state, 0, 0, &res, err) < 0);
    CHECK(strstr(err, "invalid MongoDB collection name"));
}

/* score_rationale (issue 17): the reviewer's when written, else the model's
 * of the reviewed prediction; absent with neither; after the scores. */
TEST(export_pool_rationale_is_the_reviewers_else_the_models)
{
    rubric *r = rubric_default_new();
    pool *p = tmp_pool();
    CHECK(p != NULL);
    char err[ERR_MAX] = "";
    add_convo(p, "c1", "s1", "hello");
    add_convo(p, "c2", "s1", "hello again");
    add_convo(p, "c3", "s1", "and again");
    prediction pr = {0};
    for (size_t i = 0; i < r->nfields; i++)
        if (rubric_is_scored(&r->fields[i])) { pr.scores.v[i] = 5; pr.scores.set[i] = 1; }
    pr.status = "ok";
    pr.model = "m";
    pr.rationale = "model says fine";
    int64_t p1, p2;
    CHECK(pool_put_prediction(p, r, "c1", &pr, &p1, err) == 0);
    CHECK(pool_put_prediction(p, r, "c2", &pr, &p2, err) == 0);
    label_new in = {.conv_id = "c1", .reviewer = "alice", .status = LABEL_ACCEPTED,
                    .pred_id = p1, .rationale = "alice: replied late", .seen = -1};
    CHECK(pool_put_label(p, r, &in, NULL, err) == 0);
    in.conv_id = "c2"; in.pred_id = p2; in.rationale = NULL;
    CHECK(pool_put_label(p, r, &in, NULL, err) == 0);
    add_label(p, r, "c3", LABEL_CORRECTED, 1, 2, 3);   /* no prediction */
    export_pool_opts o = {0};
    sbuf out = {0};
    int n;
    CHECK_MSG(export_pool_examples(p, r, &o, &out, &n, NULL, err) == 0, "%s", err);
    cJSON *arr = parse_lines(out.s);
    CHECK(arr && cJSON_GetArraySize(arr) == 3);
    CHECK_STR(str_of(cJSON_GetArrayItem(arr, 0), "score_rationale"), "alice: replied late");
    CHECK_STR(str_of(cJSON_GetArrayItem(arr, 1), "score_rationale"), "model says fine");
    CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, 2), "score_rationale") == NULL);
    /* its place: after the scores, before the review metadata */
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, 0), "score_rationale");
    CHECK(k->prev && !strcmp(k->prev->string, "overall_seller_score"));
    CHECK(k->next && !strcmp(k->next->string, "conversation_id"));
    cJSON_Delete(arr);
    sbuf_free(&out);
    pool_close(p);
    rubric_free(r);
}

/* A driver error is named by its domain and code: the server's codes (18
 * AuthenticationFailed, 13 Unauthorized, 11000 DuplicateKey) only in the
 * server's domains. The driver's own code 18 (an invalid or too large
 * document, domain BSON) was reported as "authentication failed". */
TEST(export_mongo_err_kind_by_domain)
{
    CHECK_STR(export_mongo_err_kind(MONGOC_ERROR_SERVER, 18), "authentication failed: ");
    CHECK_STR(export_mongo_err_kind(MONGOC_ERROR_CLIENT, MONGOC_ERROR_CLIENT_AUTHENTICATE),
              "authentication failed: ");
    CHECK_STR(export_mongo_err_kind(MONGOC_ERROR_BSON, MONGOC_ERROR_BSON_INVALID),
              "document too large or not valid BSON: ");
    CHECK_STR(export_mongo_err_kind(MONGOC_ERROR_SERVER, 13), "not authorized: ");
    CHECK_STR(export_mongo_err_kind(MONGOC_ERROR_CLIENT, 13), "");
    CHECK_STR(export_mongo_err_kind(MONGOC_ERROR_SERVER, 11000), "duplicate key: ");
    CHECK_STR(export_mongo_err_kind(MONGOC_ERROR_WRITE_CONCERN, 11000), "duplicate key: ");
    CHECK_STR(export_mongo_err_kind(MONGOC_ERROR_COLLECTION, 11000), "");
    CHECK_STR(export_mongo_err_kind(MONGOC_ERROR_SERVER_SELECTION, 13151),
              "cannot reach the server: ");
    CHECK_STR(export_mongo_err_kind(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET),
              "connection to the server lost or timed out: ");
    CHECK_STR(export_mongo_err_kind(MONGOC_ERROR_SERVER, 2), "");
}
