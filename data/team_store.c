/* team_store.c: see team_store.h. */
#define _POSIX_C_SOURCE 200809L /* struct addrinfo in libmongoc's headers */
#include "team_store.h"
#include "export_mongo.h"
#include "../core/err.h"
#include "../core/xalloc.h"

#include <mongoc/mongoc.h>
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
    return mongoc_client_get_collection(export_mongo_conn_client(ts->conn),
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
    mongoc_client_t *cl = export_mongo_conn_client(ts->conn);
    bson_error_t e;
    bson_t *ping = BCON_NEW("ping", BCON_INT32(1));
    int ok = mongoc_client_command_simple(cl, export_mongo_conn_database(ts->conn),
                                          ping, NULL, NULL, &e);
    bson_destroy(ping);
    if (!ok) {
        export_mongo_conn_error(ts->conn, "ping of", ts->where, &e, err);
        team_store_free(ts);
        return NULL;
    }
    for (size_t i = 0; i < nnames; i++) {
        char full[128];
        mongoc_collection_t *c = coll_of(ts, names[i], full, sizeof full);
        bson_t *cmd = BCON_NEW("createIndexes", BCON_UTF8(full), "indexes", "[",
                               "{", "key", "{", "uid", BCON_INT32(1), "}", "name",
                               BCON_UTF8("uid_1"), "unique", BCON_BOOL(true), "}", "]");
        ok = mongoc_collection_write_command_with_opts(c, cmd, NULL, NULL, &e);
        bson_destroy(cmd);
        mongoc_collection_destroy(c);
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

int team_store_uids(team_store *ts, const char *name, char ***out, size_t *n,
                    char *err)
{
    *out = NULL;
    *n = 0;
    char full[128];
    mongoc_collection_t *c = coll_of(ts, name, full, sizeof full);
    bson_t *filter = bson_new();
    bson_t *opts = BCON_NEW("projection", "{", "uid", BCON_INT32(1), "_id",
                            BCON_INT32(0), "}", "batchSize", BCON_INT32(10000));
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, filter, opts, NULL);
    const bson_t *doc;
    size_t cap = 0;
    while (mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        if (!bson_iter_init_find(&it, doc, "uid") || !BSON_ITER_HOLDS_UTF8(&it)) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 1024;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        (*out)[(*n)++] = xstrdup(bson_iter_utf8(&it, NULL));
    }
    bson_error_t e;
    int rc = 0;
    if (mongoc_cursor_error(cur, &e)) {
        store_err(ts, "reading the uids of", full, &e, err);
        for (size_t i = 0; i < *n; i++) free((*out)[i]);
        free(*out);
        *out = NULL;
        *n = 0;
        rc = -1;
    } else {
        if (*n) qsort(*out, *n, sizeof **out, cmp_str);
    }
    mongoc_cursor_destroy(cur);
    bson_destroy(opts);
    bson_destroy(filter);
    mongoc_collection_destroy(c);
    return rc;
}

/* Only duplicate keys among the write errors (a uid inserted meanwhile by
 * another pool, or by a sync that was killed after the server wrote it). */
static int only_duplicates(const bson_t *reply)
{
    bson_iter_t it, arr;
    if (bson_iter_init_find(&it, reply, "writeConcernErrors") &&
        BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &arr) &&
        bson_iter_next(&arr))
        return 0;
    if (!bson_iter_init_find(&it, reply, "writeErrors") ||
        !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr))
        return 0;
    int any = 0;
    while (bson_iter_next(&arr)) {
        bson_iter_t we;
        if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &we) ||
            !bson_iter_find(&we, "code") || bson_iter_as_int64(&we) != 11000)
            return 0;
        any = 1;
    }
    return any;
}

int team_store_insert(team_store *ts, const char *name, cJSON *const *docs,
                      size_t n, char *err)
{
    if (!n) return 0;
    char full[128];
    mongoc_collection_t *c = coll_of(ts, name, full, sizeof full);
    bson_t *opts = BCON_NEW("ordered", BCON_BOOL(false));
    mongoc_bulk_operation_t *b = mongoc_collection_create_bulk_operation_with_opts(c, opts);
    bson_error_t e;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *text = cJSON_PrintUnformatted(docs[i]);
        bson_t *d = text ? bson_new_from_json((const uint8_t *)text, -1, &e) : NULL;
        free(text);
        if (!d) {
            err_set(err, "a %s document cannot be converted to BSON: %s", name,
                    text ? e.message : "out of memory");
            rc = -1;
            break;
        }
        if (!mongoc_bulk_operation_insert_with_opts(b, d, NULL, &e)) {
            store_err(ts, "insert into", full, &e, err);
            rc = -1;
        }
        bson_destroy(d);
    }
    if (rc == 0) {
        bson_t reply;
        if (!mongoc_bulk_operation_execute(b, &reply, &e) && !only_duplicates(&reply)) {
            store_err(ts, "bulk insert into", full, &e, err);
            rc = -1;
        }
        bson_destroy(&reply);
    }
    mongoc_bulk_operation_destroy(b);
    bson_destroy(opts);
    mongoc_collection_destroy(c);
    return rc;
}

int team_store_fetch(team_store *ts, const char *name, char *const *uids,
                     size_t n, int all, int (*fn)(cJSON *doc, void *ctx),
                     void *ctx, char *err)
{
    char full[128];
    mongoc_collection_t *c = coll_of(ts, name, full, sizeof full);
    bson_t *filter = bson_new();
    if (!all) {
        bson_t in, arr;
        bson_append_document_begin(filter, "uid", -1, &in);
        bson_append_array_begin(&in, "$in", -1, &arr);
        for (size_t i = 0; i < n; i++) {
            char key[24];
            snprintf(key, sizeof key, "%zu", i);
            bson_append_utf8(&arr, key, -1, uids[i], -1);
        }
        bson_append_array_end(&in, &arr);
        bson_append_document_end(filter, &in);
    }
    bson_t *opts = BCON_NEW("projection", "{", "_id", BCON_INT32(0), "}",
                            "batchSize", BCON_INT32(1000));
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, filter, opts, NULL);
    const bson_t *doc;
    int rc = 0;
    while (rc == 0 && mongoc_cursor_next(cur, &doc)) {
        char *text = bson_as_relaxed_extended_json(doc, NULL);
        cJSON *j = text ? cJSON_Parse(text) : NULL;
        bson_free(text);
        if (!cJSON_IsObject(j)) {
            cJSON_Delete(j);
            err_set(err, "a document of %s.%s is not valid JSON",
                    export_mongo_conn_database(ts->conn), full);
            rc = -1;
            break;
        }
        if (fn(j, ctx)) break;
    }
    bson_error_t e;
    if (rc == 0 && mongoc_cursor_error(cur, &e)) {
        store_err(ts, "reading", full, &e, err);
        rc = -1;
    }
    mongoc_cursor_destroy(cur);
    bson_destroy(opts);
    bson_destroy(filter);
    mongoc_collection_destroy(c);
    return rc;
}

int team_store_get_best(team_store *ts, char **uid, int64_t *set_at, char *err)
{
    *uid = NULL;
    *set_at = 0;
    char full[128];
    mongoc_collection_t *c = coll_of(ts, "meta", full, sizeof full);
    bson_t *filter = BCON_NEW("uid", BCON_UTF8("best"));
    bson_t *opts = BCON_NEW("limit", BCON_INT64(1));
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, filter, opts, NULL);
    const bson_t *doc;
    bson_error_t e;
    int rc = 0;
    if (mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        if (bson_iter_init_find(&it, doc, "program") && BSON_ITER_HOLDS_UTF8(&it))
            *uid = xstrdup(bson_iter_utf8(&it, NULL));
        if (bson_iter_init_find(&it, doc, "set_at") && BSON_ITER_HOLDS_NUMBER(&it))
            *set_at = bson_iter_as_int64(&it);
    } else if (mongoc_cursor_error(cur, &e)) {
        store_err(ts, "reading", full, &e, err);
        rc = -1;
    }
    mongoc_cursor_destroy(cur);
    bson_destroy(opts);
    bson_destroy(filter);
    mongoc_collection_destroy(c);
    return rc;
}

int team_store_put_best(team_store *ts, const char *uid, int64_t set_at,
                        char *err)
{
    char full[128];
    mongoc_collection_t *c = coll_of(ts, "meta", full, sizeof full);
    bson_t *filter = BCON_NEW("uid", BCON_UTF8("best"));
    bson_t *doc = BCON_NEW("uid", BCON_UTF8("best"), "program", BCON_UTF8(uid),
                           "set_at", BCON_INT64(set_at));
    bson_t *opts = BCON_NEW("upsert", BCON_BOOL(true));
    bson_error_t e;
    int rc = 0;
    if (!mongoc_collection_replace_one(c, filter, doc, opts, NULL, &e)) {
        store_err(ts, "replace_one into", full, &e, err);
        rc = -1;
    }
    bson_destroy(opts);
    bson_destroy(doc);
    bson_destroy(filter);
    mongoc_collection_destroy(c);
    return rc;
}
