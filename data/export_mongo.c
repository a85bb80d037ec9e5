/* export_mongo.c: see export_mongo.h. */
#define _POSIX_C_SOURCE 200809L /* struct addrinfo in libmongoc's headers */
#include "export_mongo.h"
#include "mongo_dl.h"
#include "../core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* {key: value} as a new document (caller destroys it). */
static bson_t *doc_utf8(const char *key, const char *value)
{
    const mongo_api *M = mongo_dl_get();
    bson_t *d = M->bson_new();
    M->bson_append_utf8(d, key, -1, value, -1);
    return d;
}

/* libmongoc maps shared-memory counters (/dev/shm/mongoc-PID) in
 * mongoc_init() and removes the name only at a clean exit: a killed curate
 * would leave the file behind, and a later process with the same pid would
 * print a warning over the workbench. The name is removed at once; the
 * mapping stays valid. */
static void detach_counters(void)
{
    char name[64];
    snprintf(name, sizeof name, "/mongoc-%u", (unsigned)getpid());
    shm_unlink(name);
}

void export_mongo_init(void)
{
    char err[ERR_MAX];
    if (mongo_dl_load(err) < 0) return;   /* put/get report it */
    const mongo_api *M = mongo_dl_get();
    /* libmongoc's own log lines can quote URI parts, and would land on the
     * workbench's screen: every failure is reported through err (scrubbed)
     * instead. Silenced before mongoc_init(), which logs too (e.g. "Falling
     * back to malloc for counters" where shared memory is unavailable). */
    M->mongoc_log_set_handler(NULL, NULL);
    M->mongoc_init();
    detach_counters();
}

void export_mongo_cleanup(void)
{
    const mongo_api *M = mongo_dl_get();
    if (M) M->mongoc_cleanup();
}

/* ------------------------------------------------- password scrubbing */

/* The URI's password as written (percent-encoded) and decoded. Found by
 * hand, not by libmongoc, so an URI libmongoc rejects is scrubbed too. */
typedef struct {
    char *raw, *dec;
} secret;

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The user info of uri: what lies between "//" and the last '@' (a
 * password may hold '@', '/', '?' or ':' when not percent-encoded, so the
 * last '@' of the whole URI is where it surely ends). NULL when there is
 * no '@'; *len its length. */
static const char *userinfo(const char *uri, size_t *len)
{
    const char *p = uri ? strstr(uri, "://") : NULL;
    if (!p) return NULL;
    p += 3;
    const char *at = strrchr(p, '@');
    if (!at) return NULL;
    *len = (size_t)(at - p);
    return p;
}

static void secret_init(secret *s, const char *uri)
{
    memset(s, 0, sizeof *s);
    size_t n;
    const char *p = userinfo(uri, &n);
    if (!p) return;
    const char *at = p + n;
    const char *colon = memchr(p, ':', n);
    if (!colon || colon + 1 >= at) return;
    s->raw = xstrndup(colon + 1, (size_t)(at - colon - 1));
    sbuf d = {0};
    for (const char *q = s->raw; *q; q++) {
        int h, l;
        if (*q == '%' && (h = hexval(q[1])) >= 0 && (l = hexval(q[2])) >= 0) {
            sbuf_addc(&d, (char)(h * 16 + l));
            q += 2;
        } else {
            sbuf_addc(&d, *q);
        }
    }
    s->dec = sbuf_take(&d);
}

static void secret_free(secret *s)
{
    free(s->raw);
    free(s->dec);
    memset(s, 0, sizeof *s);
}

static void scrub_one(char *msg, const char *pw)
{
    if (!msg || !pw || !*pw) return;
    size_t n = strlen(pw);
    if (!strstr(msg, pw)) return;
    sbuf b = {0};
    const char *p = msg, *q;
    while ((q = strstr(p, pw))) {
        sbuf_addn(&b, p, (size_t)(q - p));
        sbuf_add(&b, "***");
        p = q + n;
    }
    sbuf_add(&b, p);
    snprintf(msg, ERR_MAX, "%s", b.s);
    sbuf_free(&b);
}

static void scrub(char *msg, const secret *s)
{
    scrub_one(msg, s->raw);
    scrub_one(msg, s->dec);
}

/* 1 when the user info holds an '@' (an unescaped one in the password):
 * libmongoc would read the rest of the password as a host name. */
static int userinfo_has_at(const char *uri)
{
    size_t n;
    const char *p = userinfo(uri, &n);
    return p && memchr(p, '@', n) != NULL;
}

char *export_mongo_uri_shown_new(const char *uri)
{
    if (userinfo_has_at(uri)) {
        /* not parseable as meant: everything up to the last '@' masked */
        const char *p = strstr(uri, "://") + 3;
        const char *at = strrchr(p, '@');
        sbuf b = {0};
        sbuf_addn(&b, uri, (size_t)(p - uri));
        sbuf_add(&b, "***");
        sbuf_addn(&b, at, strcspn(at, "?"));
        return sbuf_take(&b);
    }
    if (mongo_dl_load(NULL) < 0) return xstrdup("(MongoDB support unavailable)");
    const mongo_api *M = mongo_dl_get();
    mongoc_uri_t *u = uri ? M->mongoc_uri_new_with_error(uri, NULL) : NULL;
    if (!u) return xstrdup("(invalid URI)");
    sbuf b = {0};
    const char *srv = M->mongoc_uri_get_srv_hostname(u);
    sbuf_add(&b, srv ? "mongodb+srv://" : "mongodb://");
    /* the whole user info is masked, user name included: it is what lies
     * between "//" and the last '@' */
    const char *user = M->mongoc_uri_get_username(u);
    if ((user && *user) || M->mongoc_uri_get_password(u)) sbuf_add(&b, "***@");
    if (srv) {
        sbuf_add(&b, srv);
    } else {
        int first = 1;
        for (const mongoc_host_list_t *h = M->mongoc_uri_get_hosts(u); h; h = h->next) {
            if (!first) sbuf_addc(&b, ',');
            sbuf_add(&b, h->host_and_port);
            first = 0;
        }
    }
    const char *db = M->mongoc_uri_get_database(u);
    if (db && *db) {
        sbuf_addc(&b, '/');
        sbuf_add(&b, db);
    }
    M->mongoc_uri_destroy(u);
    secret s;
    secret_init(&s, uri);   /* belt and braces: a user name like the password */
    char *out = sbuf_take(&b);
    if (s.dec && *s.dec && strlen(out) < ERR_MAX) {
        char tmp[ERR_MAX];
        snprintf(tmp, sizeof tmp, "%s", out);
        scrub(tmp, &s);
        free(out);
        out = xstrdup(tmp);
    }
    secret_free(&s);
    return out;
}

/* ------------------------------------------------------------ client */

typedef struct {
    secret sec;
    mongoc_uri_t *uri;
    mongoc_client_t *client;
    mongoc_collection_t *coll;
    const char *type;
    char shown[512];
    char where[256];
} mctx;

static void mctx_close(mctx *m)
{
    const mongo_api *M = mongo_dl_get();
    if (m->coll) M->mongoc_collection_destroy(m->coll);
    if (m->client) M->mongoc_client_destroy(m->client);
    if (m->uri) M->mongoc_uri_destroy(m->uri);
    secret_free(&m->sec);
    memset(m, 0, sizeof *m);
}

static void set_default(mongoc_uri_t *u, const char *opt, int32_t v)
{
    const mongo_api *M = mongo_dl_get();
    if (!M->mongoc_uri_has_option(u, opt)) M->mongoc_uri_set_option_as_int32(u, opt, v);
}

static int bad_name(const char *s, const char *forbidden)
{
    return !s || !*s || strlen(s) > 120 || strpbrk(s, forbidden) != NULL;
}

static int mctx_open(mctx *m, const mongo_target *t, mongo_result *res,
                     char *err)
{
    memset(m, 0, sizeof *m);
    if (mongo_dl_load(err) < 0) return -1;
    const mongo_api *M = mongo_dl_get();
    if (!t->uri || !*t->uri) {
        err_set(err, "no MongoDB URI: give --uri or set CURATE_MONGO_URI");
        return -1;
    }
    secret_init(&m->sec, t->uri);
    char *shown = export_mongo_uri_shown_new(t->uri);
    snprintf(m->shown, sizeof m->shown, "%s", shown);
    free(shown);
    if (userinfo_has_at(t->uri)) {
        err_set(err, "MongoDB URI %s: the user name or password holds an "
                "unescaped '@'; percent-encode it as %%40", m->shown);
        return -1;
    }
    bson_error_t e;
    m->uri = M->mongoc_uri_new_with_error(t->uri, &e);
    if (!m->uri) {
        err_set(err, "not a valid MongoDB URI: %s", e.message);
        scrub(err, &m->sec);
        return -1;
    }
    set_default(m->uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000);
    set_default(m->uri, MONGOC_URI_CONNECTTIMEOUTMS, 5000);
    set_default(m->uri, MONGOC_URI_SOCKETTIMEOUTMS, 30000);
    const char *db = t->database ? t->database : M->mongoc_uri_get_database(m->uri);
    if (!db || !*db) db = MONGO_DEFAULT_DATABASE;
    const char *coll = t->collection ? t->collection : MONGO_DEFAULT_COLLECTION;
    m->type = t->type ? t->type : MONGO_DEFAULT_TYPE;
    if (bad_name(db, "/\\. \"$")) {
        err_set(err, "invalid MongoDB database name '%.60s'", db);
        return -1;
    }
    if (bad_name(coll, "$") || strncmp(coll, "system.", 7) == 0) {
        err_set(err, "invalid MongoDB collection name '%.60s'", coll);
        return -1;
    }
    if (!*m->type) {
        err_set(err, "the document type must not be empty");
        return -1;
    }
    snprintf(m->where, sizeof m->where, "%s.%s", db, coll);
    if (res) {
        snprintf(res->where, sizeof res->where, "%s", m->where);
        snprintf(res->uri, sizeof res->uri, "%s", m->shown);
    }
    m->client = M->mongoc_client_new_from_uri_with_error(m->uri, &e);
    if (!m->client) {
        err_set(err, "MongoDB %s: %s", m->shown, e.message);
        scrub(err, &m->sec);
        return -1;
    }
    M->mongoc_client_set_error_api(m->client, MONGOC_ERROR_API_VERSION_2);
    if (!M->mongoc_uri_get_appname(m->uri)) M->mongoc_client_set_appname(m->client, "curate");
    m->coll = M->mongoc_client_get_collection(m->client, db, coll);
    return 0;
}

const char *export_mongo_err_kind(uint32_t domain, uint32_t code)
{
    /* Error API 2: what the server answered (a command's error, a write
     * error, a write concern error). */
    int server = domain == MONGOC_ERROR_SERVER ||
                 domain == MONGOC_ERROR_WRITE_CONCERN;
    if (domain == MONGOC_ERROR_SERVER_SELECTION)
        return "cannot reach the server: ";
    if ((server && code == 18) ||
        (domain == MONGOC_ERROR_CLIENT && code == MONGOC_ERROR_CLIENT_AUTHENTICATE))
        return "authentication failed: ";
    if (server && code == 13) return "not authorized: ";
    if (server && (code == 11000 || code == 11001)) return "duplicate key: ";
    if (domain == MONGOC_ERROR_STREAM)
        return "connection to the server lost or timed out: ";
    if (domain == MONGOC_ERROR_BSON && code == MONGOC_ERROR_BSON_INVALID)
        return "document too large or not valid BSON: ";
    return "";
}

/* A driver error as a one-line message, with what kind of failure it is. */
static void mongo_err(const mctx *m, const char *what, const bson_error_t *e,
                      char *err)
{
    err_set(err, "MongoDB %s: %s %s failed: %s%s", m->shown, what, m->where,
            export_mongo_err_kind(e->domain, e->code), e->message);
    scrub(err, &m->sec);
}

/* -------------------------------------------------------- connection */

struct export_mongo_conn {
    mctx m;
    char db[128];
};

export_mongo_conn *export_mongo_conn_new(const char *uri, const char *database,
                                         char *err)
{
    export_mongo_conn *c = xcalloc(1, sizeof *c);
    mongo_target t = {.uri = uri, .database = database};
    if (mctx_open(&c->m, &t, NULL, err) < 0) {
        export_mongo_conn_free(c);
        return NULL;
    }
    const char *dot = strchr(c->m.where, '.');
    snprintf(c->db, sizeof c->db, "%.*s", dot ? (int)(dot - c->m.where) : 0,
             c->m.where);
    return c;
}

void export_mongo_conn_free(export_mongo_conn *c)
{
    if (!c) return;
    mctx_close(&c->m);
    free(c);
}

mongoc_client_t *export_mongo_conn_client(export_mongo_conn *c) { return c->m.client; }
const char *export_mongo_conn_database(const export_mongo_conn *c) { return c->db; }
const char *export_mongo_conn_shown(const export_mongo_conn *c) { return c->m.shown; }

void export_mongo_conn_error(const export_mongo_conn *c, const char *what,
                             const char *where, const bson_error_t *e, char *err)
{
    mctx m = c->m;   /* a copy naming where (its pointers are only read) */
    snprintf(m.where, sizeof m.where, "%s", where);
    mongo_err(&m, what, e, err);
}

/* --------------------------------------------------------------- put */

int export_mongo_put(const mongo_target *t, const char *state_json,
                     int64_t optimized_at, int training_examples,
                     mongo_result *res, char *err)
{
    mctx m;
    if (res) memset(res, 0, sizeof *res);
    if (mctx_open(&m, t, res, err) < 0) {
        mctx_close(&m);
        return -1;
    }
    const mongo_api *M = mongo_dl_get();
    bson_error_t e;
    bson_t *state = M->bson_new_from_json((const uint8_t *)state_json, -1, &e);
    if (!state) {
        err_set(err, "the program state cannot be converted to BSON: %s",
                e.message);
        mctx_close(&m);
        return -1;
    }
    bson_t *doc = M->bson_new();
    M->bson_append_utf8(doc, "type", -1, m.type, -1);
    M->bson_append_document(doc, "state", -1, state);
    M->bson_append_date_time(doc, "optimized_at", -1, optimized_at * 1000);
    M->bson_append_int32(doc, "training_examples", -1, training_examples);
    bson_t *filter = doc_utf8("type", m.type);
    bson_t *opts = M->bson_new();
    M->bson_append_bool(opts, "upsert", -1, true);
    bson_t reply;
    int rc = 0;
    if (!M->mongoc_collection_replace_one(m.coll, filter, doc, opts, &reply, &e)) {
        mongo_err(&m, "replace_one into", &e, err);
        rc = -1;
    } else if (res) {
        bson_iter_t it;
        int64_t upserted = 0;
        if (M->bson_iter_init_find(&it, &reply, "upsertedCount"))
            upserted = M->bson_iter_as_int64(&it);
        res->inserted = upserted > 0;
        res->doc_size = doc->len;
    }
    M->bson_destroy(&reply);
    M->bson_destroy(opts);
    M->bson_destroy(filter);
    M->bson_destroy(doc);
    M->bson_destroy(state);
    mctx_close(&m);
    return rc;
}

/* --------------------------------------------------------------- get */

static void json_str(sbuf *b, const char *s, size_t n)
{
    sbuf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            sbuf_addc(b, '\\');
            sbuf_addc(b, (char)c);
        } else if (c < 0x20) {
            sbuf_addf(b, "\\u%04x", c);
        } else {
            sbuf_addc(b, (char)c);
        }
    }
    sbuf_addc(b, '"');
}

static int doc_to_json(sbuf *b, const bson_t *doc, int array, int depth,
                        char *err)
{
    const mongo_api *M = mongo_dl_get();
    bson_iter_t it;
    if (depth > 100 || !M->bson_iter_init(&it, doc)) {
        err_set(err, "the stored state is not a valid BSON document");
        return -1;
    }
    sbuf_addc(b, array ? '[' : '{');
    int first = 1;
    while (M->bson_iter_next(&it)) {
        if (!first) sbuf_addc(b, ',');
        first = 0;
        const char *key = M->bson_iter_key(&it);
        if (!array) {
            json_str(b, key, strlen(key));
            sbuf_addc(b, ':');
        }
        switch (M->bson_iter_type(&it)) {
        case BSON_TYPE_UTF8: {
            uint32_t len;
            const char *s = M->bson_iter_utf8(&it, &len);
            json_str(b, s, len);
            break;
        }
        case BSON_TYPE_DOUBLE: {
            double d = M->bson_iter_double(&it);
            if (!isfinite(d)) {
                err_set(err, "the stored state holds a non-finite number at "
                        "\"%.60s\"", key);
                return -1;
            }
            char num[40];
            snprintf(num, sizeof num, "%.17g", d);
            if (!strpbrk(num, ".eE")) strcat(num, ".0");   /* stays a float */
            sbuf_add(b, num);
            break;
        }
        case BSON_TYPE_INT32: sbuf_addf(b, "%d", (int)M->bson_iter_int32(&it)); break;
        case BSON_TYPE_INT64:
            sbuf_addf(b, "%lld", (long long)M->bson_iter_int64(&it));
            break;
        case BSON_TYPE_BOOL: sbuf_add(b, M->bson_iter_bool(&it) ? "true" : "false"); break;
        case BSON_TYPE_NULL: sbuf_add(b, "null"); break;
        case BSON_TYPE_DOCUMENT:
        case BSON_TYPE_ARRAY: {
            uint32_t len;
            const uint8_t *data;
            int arr = M->bson_iter_type(&it) == BSON_TYPE_ARRAY;
            if (arr) M->bson_iter_array(&it, &len, &data);
            else M->bson_iter_document(&it, &len, &data);
            bson_t sub;
            if (!M->bson_init_static(&sub, data, len) ||
                doc_to_json(b, &sub, arr, depth + 1, err) < 0) {
                if (!err || !*err)
                    err_set(err, "the stored state is not a valid BSON document");
                return -1;
            }
            break;
        }
        default:
            err_set(err, "the stored state holds a BSON value of type 0x%02x at "
                    "\"%.60s\", which a DSPy state never has",
                    (unsigned)M->bson_iter_type(&it), key);
            return -1;
        }
    }
    sbuf_addc(b, array ? ']' : '}');
    return 0;
}

char *export_mongo_get_state_new(const mongo_target *t, int64_t *optimized_at,
                                 mongo_result *res, char *err)
{
    mctx m;
    if (optimized_at) *optimized_at = 0;
    if (res) memset(res, 0, sizeof *res);
    if (err) *err = '\0';
    if (mctx_open(&m, t, res, err) < 0) {
        mctx_close(&m);
        return NULL;
    }
    const mongo_api *M = mongo_dl_get();
    bson_t *filter = doc_utf8("type", m.type);
    bson_t *opts = M->bson_new();
    M->bson_append_int64(opts, "limit", -1, 1);
    mongoc_cursor_t *cur = M->mongoc_collection_find_with_opts(m.coll, filter, opts, NULL);
    const bson_t *doc;
    bson_error_t e;
    char *out = NULL;
    if (M->mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        if (optimized_at && M->bson_iter_init_find(&it, doc, "optimized_at") &&
            (M->bson_iter_type(&it) == BSON_TYPE_DATE_TIME)) {
            int64_t ms = M->bson_iter_date_time(&it);
            *optimized_at = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
        }
        if (!M->bson_iter_init_find(&it, doc, "state")) {
            err_set(err, "the document of type \"%.60s\" in %s has no \"state\"",
                    m.type, m.where);
        } else if ((M->bson_iter_type(&it) == BSON_TYPE_UTF8)) {   /* a state kept as JSON text */
            uint32_t len;
            const char *s = M->bson_iter_utf8(&it, &len);
            out = xstrndup(s, len);
        } else if ((M->bson_iter_type(&it) == BSON_TYPE_DOCUMENT)) {
            uint32_t len;
            const uint8_t *data;
            M->bson_iter_document(&it, &len, &data);
            bson_t sub;
            sbuf b = {0};
            if (M->bson_init_static(&sub, data, len) &&
                doc_to_json(&b, &sub, 0, 0, err) == 0)
                out = sbuf_take(&b);
            else if (!err || !*err)
                err_set(err, "the stored state is not a valid BSON document");
            sbuf_free(&b);
        } else {
            err_set(err, "\"state\" of the document of type \"%.60s\" in %s is "
                    "not a document", m.type, m.where);
        }
    } else if (M->mongoc_cursor_error(cur, &e)) {
        mongo_err(&m, "find_one in", &e, err);
    } else {
        err_set(err, "no document with type \"%.60s\" in %s at %s", m.type,
                m.where, m.shown);
    }
    M->mongoc_cursor_destroy(cur);
    M->bson_destroy(opts);
    M->bson_destroy(filter);
    mctx_close(&m);
    return out;
}
