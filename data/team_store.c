/* team_store.c: see team_store.h. */
#define _POSIX_C_SOURCE 200809L /* struct addrinfo in libmongoc's headers */
#include "team_store.h"
#include "export_mongo.h"
#include "mongo_dl.h"
#include "../core/err.h"
#include "../core/utf8.h"
#include "../core/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct team_store {
    export_mongo_conn *conn;
    char prefix[64];
    char where[256];
};

static mongoc_collection_t *coll_of(team_store *ts, const char *name,
                                    char *full, size_t len)
{
    snprintf(full, len, "%s%s", ts->prefix, name);
    return mongo_dl_get()->mongoc_client_get_collection(export_mongo_conn_client(ts->conn),
                                        export_mongo_conn_database(ts->conn), full);
}

static void where_of(const team_store *ts, const char *full, char *out, size_t len)
{
    snprintf(out, len, "%s.%s", export_mongo_conn_database(ts->conn), full);
}

static void store_err(team_store *ts, const char *what, const char *full,
                      const bson_error_t *e, char *err)
{
    char where[256];
    where_of(ts, full, where, sizeof where);
    export_mongo_conn_error(ts->conn, what, where, e, err);
}

team_store *team_store_open_new(const team_store_target *t,
                                const char *const *names, size_t nnames,
                                char *err)
{
    const char *prefix = t->prefix ? t->prefix : TEAM_STORE_DEFAULT_PREFIX;
    if (strlen(prefix) > 40 || strpbrk(prefix, "$\\/ \"") ||
        !strncmp(prefix, "system.", 7)) {
        err_set(err, "invalid collection prefix '%.40s' (at most 40 characters,"
                " none of $ \\ / space \")", prefix);
        return NULL;
    }
    team_store *ts = xcalloc(1, sizeof *ts);
    snprintf(ts->prefix, sizeof ts->prefix, "%s", prefix);
    ts->conn = export_mongo_conn_new(t->uri, t->database, err);
    if (!ts->conn) {
        free(ts);
        return NULL;
    }
    snprintf(ts->where, sizeof ts->where, "%s.%s*",
             export_mongo_conn_database(ts->conn), ts->prefix);
    const mongo_api *M = mongo_dl_get();
    mongoc_client_t *cl = export_mongo_conn_client(ts->conn);
    bson_error_t e;
    bson_t *ping = M->bson_new();
    M->bson_append_int32(ping, "ping", -1, 1);
    bson_t reply;
    int ok = M->mongoc_client_command_simple(cl, export_mongo_conn_database(ts->conn),
                                             ping, NULL, &reply, &e);
    M->bson_destroy(&reply);
    M->bson_destroy(ping);
    if (!ok) {
        export_mongo_conn_error(ts->conn, "ping of", ts->where, &e, err);
        team_store_free(ts);
        return NULL;
    }
    for (size_t i = 0; i < nnames; i++) {
        char full[128];
        mongoc_collection_t *c = coll_of(ts, names[i], full, sizeof full);
        /* {createIndexes: full, indexes: [{key: {uid: 1}, name, unique}]} */
        bson_t *cmd = M->bson_new(), arr, idx, key;
        M->bson_append_utf8(cmd, "createIndexes", -1, full, -1);
        M->bson_append_array_begin(cmd, "indexes", -1, &arr);
        M->bson_append_document_begin(&arr, "0", -1, &idx);
        M->bson_append_document_begin(&idx, "key", -1, &key);
        M->bson_append_int32(&key, "uid", -1, 1);
        M->bson_append_document_end(&idx, &key);
        M->bson_append_utf8(&idx, "name", -1, "uid_1", -1);
        M->bson_append_bool(&idx, "unique", -1, true);
        M->bson_append_document_end(&arr, &idx);
        M->bson_append_array_end(cmd, &arr);
        ok = M->mongoc_collection_write_command_with_opts(c, cmd, NULL, &reply, &e);
        M->bson_destroy(&reply);
        M->bson_destroy(cmd);
        M->mongoc_collection_destroy(c);
        if (!ok) {
            store_err(ts, "creating the uid index of", full, &e, err);
            team_store_free(ts);
            return NULL;
        }
    }
    return ts;
}

void team_store_free(team_store *ts)
{
    if (!ts) return;
    export_mongo_conn_free(ts->conn);
    free(ts);
}

const char *team_store_shown(const team_store *ts) { return export_mongo_conn_shown(ts->conn); }
const char *team_store_where(const team_store *ts) { return ts->where; }

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* {"projection": {fields: 0|1 ...}, "batchSize": batch} as find options. */
static bson_t *find_opts(int with_uid, int batch)
{
    const mongo_api *M = mongo_dl_get();
    bson_t *o = M->bson_new(), pr;
    M->bson_append_document_begin(o, "projection", -1, &pr);
    if (with_uid) M->bson_append_int32(&pr, "uid", -1, 1);
    M->bson_append_int32(&pr, "_id", -1, 0);
    M->bson_append_document_end(o, &pr);
    M->bson_append_int32(o, "batchSize", -1, batch);
    return o;
}

/* The one find: runs filter/opts (both taken: destroyed here) on
 * collection name and calls fn with each document until it returns
 * non-zero (> 0 stops, < 0 is an error fn has put in err). what names the
 * read in a cursor's error ("reading the uids of"). 0 or -1 + err. */
static int find_each(team_store *ts, const char *name, bson_t *filter,
                     bson_t *opts, const char *what,
                     int (*fn)(const bson_t *doc, void *ctx), void *ctx,
                     char *err)
{
    const mongo_api *M = mongo_dl_get();
    char full[128];
    mongoc_collection_t *c = coll_of(ts, name, full, sizeof full);
    mongoc_cursor_t *cur = M->mongoc_collection_find_with_opts(c, filter, opts, NULL);
    const bson_t *doc;
    int rc = 0;
    while (rc == 0 && M->mongoc_cursor_next(cur, &doc)) rc = fn(doc, ctx);
    bson_error_t e;
    if (rc == 0 && M->mongoc_cursor_error(cur, &e)) {
        store_err(ts, what, full, &e, err);
        rc = -1;
    }
    M->mongoc_cursor_destroy(cur);
    M->bson_destroy(opts);
    M->bson_destroy(filter);
    M->mongoc_collection_destroy(c);
    return rc < 0 ? -1 : 0;
}

typedef struct {
    char **v;
    size_t n, cap;
} uid_list;

static int add_uid(const bson_t *doc, void *ctx)
{
    const mongo_api *M = mongo_dl_get();
    uid_list *l = ctx;
    bson_iter_t it;
    if (!M->bson_iter_init_find(&it, doc, "uid") || M->bson_iter_type(&it) != BSON_TYPE_UTF8)
        return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = xstrdup(M->bson_iter_utf8(&it, NULL));
    return 0;
}

int team_store_uids(team_store *ts, const char *name, char ***out, size_t *n,
                    char *err)
{
    uid_list l = {0};
    int rc = find_each(ts, name, mongo_dl_get()->bson_new(), find_opts(1, 10000),
                       "reading the uids of", add_uid, &l, err);
    if (rc < 0) {
        for (size_t i = 0; i < l.n; i++) free(l.v[i]);
        free(l.v);
        l.v = NULL;
        l.n = 0;
    } else if (l.n) {
        qsort(l.v, l.n, sizeof *l.v, cmp_str);
    }
    *out = l.v;
    *n = l.n;
    return rc;
}

/* Only duplicate keys among the write errors (a uid inserted meanwhile by
 * another pool, or by a sync that was killed after the server wrote it). */
static int only_duplicates(const bson_t *reply)
{
    const mongo_api *M = mongo_dl_get();
    bson_iter_t it, arr;
    if (M->bson_iter_init_find(&it, reply, "writeConcernErrors") &&
        M->bson_iter_type(&it) == BSON_TYPE_ARRAY && M->bson_iter_recurse(&it, &arr) &&
        M->bson_iter_next(&arr))
        return 0;
    if (!M->bson_iter_init_find(&it, reply, "writeErrors") ||
        M->bson_iter_type(&it) != BSON_TYPE_ARRAY || !M->bson_iter_recurse(&it, &arr))
        return 0;
    int any = 0;
    while (M->bson_iter_next(&arr)) {
        bson_iter_t we;
        if (M->bson_iter_type(&arr) != BSON_TYPE_DOCUMENT ||
            !M->bson_iter_recurse(&arr, &we) || !M->bson_iter_find(&we, "code") ||
            M->bson_iter_as_int64(&we) != 11000)
            return 0;
        any = 1;
    }
    return any;
}

int team_store_insert(team_store *ts, const char *name, cJSON *const *docs,
                      size_t n, int64_t *too_large, char *err)
{
    if (!n) return 0;
    const mongo_api *M = mongo_dl_get();
    char full[128];
    mongoc_collection_t *c = coll_of(ts, name, full, sizeof full);
    bson_t *opts = M->bson_new();
    M->bson_append_bool(opts, "ordered", -1, false);
    mongoc_bulk_operation_t *b = M->mongoc_collection_create_bulk_operation_with_opts(c, opts);
    bson_error_t e;
    int rc = 0;
    size_t queued = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *text = cJSON_PrintUnformatted(docs[i]);
        bson_t *d = text ? M->bson_new_from_json((const uint8_t *)text, -1, &e) : NULL;
        int had_text = text != NULL;
        free(text);
        if (!d) {
            err_set(err, "a %s document cannot be converted to BSON: %s", name,
                    had_text ? e.message : "out of memory");
            rc = -1;
            break;
        }
        /* the server would refuse the whole batch for it */
        if (d->len > TEAM_STORE_MAX_DOC) {
            (*too_large)++;
        } else if (!M->mongoc_bulk_operation_insert_with_opts(b, d, NULL, &e)) {
            store_err(ts, "insert into", full, &e, err);
            rc = -1;
        } else {
            queued++;
        }
        M->bson_destroy(d);
    }
    if (rc == 0 && queued) {
        bson_t reply;
        if (!M->mongoc_bulk_operation_execute(b, &reply, &e) && !only_duplicates(&reply)) {
            store_err(ts, "bulk insert into", full, &e, err);
            rc = -1;
        }
        M->bson_destroy(&reply);
    }
    M->mongoc_bulk_operation_destroy(b);
    M->bson_destroy(opts);
    M->mongoc_collection_destroy(c);
    return rc;
}

/* A BSON value as cJSON: the types sync's documents hold (strings of
 * valid UTF-8, numbers, booleans, null, documents, arrays), read directly
 * (a round trip through extended JSON text was a fifth of a pull's time).
 * NULL for anything else. */
static cJSON *value_json(bson_iter_t *it, int depth)
{
    const mongo_api *M = mongo_dl_get();
    bson_type_t t = M->bson_iter_type(it);
    switch (t) {
    case BSON_TYPE_UTF8: {
        uint32_t len;
        const char *v = M->bson_iter_utf8(it, &len);
        return utf8_bad_at(v, len) == len ? cJSON_CreateString(v) : NULL;
    }
    case BSON_TYPE_INT32: return cJSON_CreateNumber(M->bson_iter_int32(it));
    case BSON_TYPE_INT64: return cJSON_CreateNumber((double)M->bson_iter_int64(it));
    case BSON_TYPE_DOUBLE: return cJSON_CreateNumber(M->bson_iter_double(it));
    case BSON_TYPE_BOOL: return cJSON_CreateBool(M->bson_iter_bool(it));
    case BSON_TYPE_NULL: return cJSON_CreateNull();
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY: {
        bson_iter_t sub;
        if (depth > 32 || !M->bson_iter_recurse(it, &sub)) return NULL;
        cJSON *o = t == BSON_TYPE_ARRAY ? cJSON_CreateArray() : cJSON_CreateObject();
        while (M->bson_iter_next(&sub)) {
            cJSON *v = value_json(&sub, depth + 1);
            if (!v) {
                cJSON_Delete(o);
                return NULL;
            }
            if (t == BSON_TYPE_ARRAY) cJSON_AddItemToArray(o, v);
            else cJSON_AddItemToObject(o, M->bson_iter_key(&sub), v);
        }
        return o;
    }
    default: return NULL;
    }
}

typedef struct {
    team_store *ts;
    const char *name;
    int (*fn)(cJSON *doc, void *ctx);
    void *ctx;
    char *err;
} fetch_ctx;

static int fetch_doc(const bson_t *doc, void *vctx)
{
    const mongo_api *M = mongo_dl_get();
    fetch_ctx *f = vctx;
    bson_iter_t it;
    cJSON *j = M->bson_iter_init(&it, doc) ? cJSON_CreateObject() : NULL;
    while (j && M->bson_iter_next(&it)) {
        cJSON *v = value_json(&it, 0);
        if (!v) {
            cJSON_Delete(j);
            j = NULL;
        } else {
            cJSON_AddItemToObject(j, M->bson_iter_key(&it), v);
        }
    }
    if (!j) {
        err_set(f->err, "a document of %s.%s%s holds what sync never writes"
                " (a value that is not a string of UTF-8, number, boolean, null,"
                " document or array)", export_mongo_conn_database(f->ts->conn),
                f->ts->prefix, f->name);
        return -1;
    }
    return f->fn(j, f->ctx) ? 1 : 0;
}

int team_store_fetch(team_store *ts, const char *name, char *const *uids,
                     size_t n, int all, int (*fn)(cJSON *doc, void *ctx),
                     void *ctx, char *err)
{
    const mongo_api *M = mongo_dl_get();
    bson_t *filter = M->bson_new();
    if (!all) {
        bson_t in, arr;
        M->bson_append_document_begin(filter, "uid", -1, &in);
        M->bson_append_array_begin(&in, "$in", -1, &arr);
        for (size_t i = 0; i < n; i++) {
            char key[24];
            snprintf(key, sizeof key, "%zu", i);
            M->bson_append_utf8(&arr, key, -1, uids[i], -1);
        }
        M->bson_append_array_end(&in, &arr);
        M->bson_append_document_end(filter, &in);
    }
    fetch_ctx f = {ts, name, fn, ctx, err};
    return find_each(ts, name, filter, find_opts(0, 1000), "reading", fetch_doc,
                     &f, err);
}

typedef struct {
    char **uid;
    int64_t *set_at;
} best_ctx;

static int read_best(const bson_t *doc, void *vctx)
{
    const mongo_api *M = mongo_dl_get();
    best_ctx *b = vctx;
    bson_iter_t it;
    if (M->bson_iter_init_find(&it, doc, "program") &&
        M->bson_iter_type(&it) == BSON_TYPE_UTF8)
        *b->uid = xstrdup(M->bson_iter_utf8(&it, NULL));
    if (M->bson_iter_init_find(&it, doc, "set_at"))
        *b->set_at = M->bson_iter_as_int64(&it);
    return 1;
}

int team_store_get_best(team_store *ts, char **uid, int64_t *set_at, char *err)
{
    const mongo_api *M = mongo_dl_get();
    *uid = NULL;
    *set_at = 0;
    bson_t *filter = M->bson_new();
    M->bson_append_utf8(filter, "uid", -1, "best", -1);
    bson_t *opts = M->bson_new();
    M->bson_append_int64(opts, "limit", -1, 1);
    best_ctx b = {uid, set_at};
    return find_each(ts, "meta", filter, opts, "reading", read_best, &b, err);
}

int team_store_put_best(team_store *ts, const char *uid, int64_t set_at,
                        char *err)
{
    const mongo_api *M = mongo_dl_get();
    char full[128];
    mongoc_collection_t *c = coll_of(ts, "meta", full, sizeof full);
    bson_t *filter = M->bson_new();
    M->bson_append_utf8(filter, "uid", -1, "best", -1);
    bson_t *doc = M->bson_new();
    M->bson_append_utf8(doc, "uid", -1, "best", -1);
    M->bson_append_utf8(doc, "program", -1, uid, -1);
    M->bson_append_int64(doc, "set_at", -1, set_at);
    bson_t *opts = M->bson_new();
    M->bson_append_bool(opts, "upsert", -1, true);
    bson_error_t e;
    int rc = 0;
    if (!M->mongoc_collection_replace_one(c, filter, doc, opts, NULL, &e)) {
        store_err(ts, "replace_one into", full, &e, err);
        rc = -1;
    }
    M->bson_destroy(opts);
    M->bson_destroy(doc);
    M->bson_destroy(filter);
    M->mongoc_collection_destroy(c);
    return rc;
}
