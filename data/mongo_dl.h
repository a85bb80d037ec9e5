/* mongo_dl.h: libmongoc and libbson loaded at run time (dlopen of
 * libmongoc-1.0.so.0 and libbson-1.0.so.0), so curate links nothing of
 * them and only the commands that talk to MongoDB pay for them (about 20
 * libraries: ICU, SASL, Kerberos, TLS ...) and for the shared-memory
 * counters libmongoc maps.
 *
 * MONGO_SYMBOLS is the one list of every function curate calls: to call
 * another one (e.g. for `curate sync`), add it there and call it as
 * mongo_dl_get()->name(...). The headers still give the types and
 * prototypes; no libmongoc macro that expands to a function call may be
 * used (BSON_APPEND_*, BSON_ITER_HOLDS_*, BCON_*): call the function. */
#ifndef CURATE_MONGO_DL_H
#define CURATE_MONGO_DL_H

#include <mongoc/mongoc.h>

#define MONGO_SYMBOLS(X) \
    X(mongoc_init) X(mongoc_cleanup) X(mongoc_log_set_handler) \
    X(mongoc_uri_new_with_error) X(mongoc_uri_destroy) \
    X(mongoc_uri_get_srv_hostname) X(mongoc_uri_get_username) \
    X(mongoc_uri_get_password) X(mongoc_uri_get_hosts) \
    X(mongoc_uri_get_database) X(mongoc_uri_get_appname) \
    X(mongoc_uri_has_option) X(mongoc_uri_set_option_as_int32) \
    X(mongoc_client_new_from_uri_with_error) X(mongoc_client_destroy) \
    X(mongoc_client_set_error_api) X(mongoc_client_set_appname) \
    X(mongoc_client_get_collection) X(mongoc_collection_destroy) \
    X(mongoc_collection_replace_one) X(mongoc_collection_find_with_opts) \
    X(mongoc_cursor_next) X(mongoc_cursor_error) X(mongoc_cursor_destroy) \
    X(bson_new) X(bson_new_from_json) X(bson_destroy) X(bson_init_static) \
    X(bson_append_utf8) X(bson_append_document) X(bson_append_date_time) \
    X(bson_append_int32) X(bson_append_int64) X(bson_append_bool) \
    X(bson_iter_init) X(bson_iter_init_find) X(bson_iter_next) \
    X(bson_iter_key) X(bson_iter_type) X(bson_iter_double) \
    X(bson_iter_int32) X(bson_iter_int64) X(bson_iter_as_int64) \
    X(bson_iter_bool) X(bson_iter_utf8) X(bson_iter_date_time) \
    X(bson_iter_document) X(bson_iter_array) \
    /* curate sync (data/team_store.c) */ \
    X(mongoc_client_command_simple) X(mongoc_collection_write_command_with_opts) \
    X(mongoc_collection_create_bulk_operation_with_opts) \
    X(mongoc_bulk_operation_insert_with_opts) X(mongoc_bulk_operation_execute) \
    X(mongoc_bulk_operation_destroy) X(bson_as_relaxed_extended_json) \
    X(bson_free) X(bson_append_document_begin) X(bson_append_document_end) \
    X(bson_append_array_begin) X(bson_append_array_end) X(bson_iter_recurse) \
    X(bson_iter_find)

typedef struct {
#define MONGO_MEMBER(f) __typeof__(&f) f;
    MONGO_SYMBOLS(MONGO_MEMBER)
#undef MONGO_MEMBER
} mongo_api;

/* Loads both libraries once per process (thread-safe). 0, or -1 + err
 * saying which library is missing and the Debian package that has it. */
int mongo_dl_load(char *err);
/* The table after a successful mongo_dl_load(), else NULL. */
const mongo_api *mongo_dl_get(void);

#endif
