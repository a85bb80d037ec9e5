/* export_mongo.h: DSPy program states in MongoDB (libmongoc), the way the
 * Python side keeps them (DESIGN.md): collection dspy_optimizers, one
 * document per optimizer type, written with
 *   replace_one({"type": T}, {type, state, optimized_at, training_examples},
 *               upsert=True)
 * where state is the program state as an embedded document (key order
 * kept), optimized_at a BSON UTC datetime and training_examples an int32
 * (the number of demos); read back with find_one({"type": T})["state"].
 *
 * Unless the URI sets them, serverSelectionTimeoutMS=5000,
 * connectTimeoutMS=5000 and socketTimeoutMS=30000 are added, so an
 * unreachable server fails in seconds. No message ever holds the URI's
 * password: a URI is shown as scheme, hosts and database, with
 * everything between the "//" and the last '@' replaced by three asterisks
 * (options left out), and every error text is scrubbed of the password. A
 * URI whose user info holds an unescaped '@' is refused (percent-encode it
 * as %40). */
#ifndef CURATE_EXPORT_MONGO_H
#define CURATE_EXPORT_MONGO_H

#include <stddef.h>
#include <stdint.h>

#define MONGO_DEFAULT_DATABASE "curate"
#define MONGO_DEFAULT_COLLECTION "dspy_optimizers"
#define MONGO_DEFAULT_TYPE "chat_analyzer_optimizer"

/* libmongoc's process-wide set-up: call export_mongo_init() before and
 * export_mongo_cleanup() after all MongoDB work (once per process).
 * libmongoc is loaded here (mongo_dl.h); if it cannot be, init does
 * nothing and put/get fail with the reason. init also silences
 * libmongoc's own logging (its lines can quote URI parts), and removes
 * the name of the shared-memory counters libmongoc maps
 * (/dev/shm/mongoc-PID), so a killed curate leaves none behind; failures
 * come back through err, scrubbed of the password. */
void export_mongo_init(void);
void export_mongo_cleanup(void);

typedef struct {
    const char *uri;          /* required (mongodb:// or mongodb+srv://) */
    const char *database;     /* NULL: the URI's /DB, else "curate" */
    const char *collection;   /* NULL: "dspy_optimizers" */
    const char *type;         /* NULL: "chat_analyzer_optimizer" */
} mongo_target;

typedef struct {
    int inserted;             /* 1: upserted a new document; 0: replaced */
    size_t doc_size;          /* BSON size of the document sent, bytes */
    char where[256];          /* "db.collection" */
    char uri[512];            /* the URI, password redacted */
} mongo_result;

/* What kind of failure a driver error (bson_error_t domain and code) is,
 * as the words that lead its message: "authentication failed: ", "not
 * authorized: ", "duplicate key: ", "cannot reach the server: ",
 * "connection to the server lost or timed out: ", "document too large or
 * not valid BSON: ", or "" (the driver's message alone). A server error's
 * code (18 AuthenticationFailed, 13 Unauthorized, 11000 DuplicateKey) is
 * read only in the server's domains: the driver's own codes are numbered
 * apart (its 18 is an invalid or too large document). Static text. */
const char *export_mongo_err_kind(uint32_t domain, uint32_t code);

/* The URI as it may be shown: scheme, user (password as ***), hosts and
 * database; options left out. "(invalid URI)" if it does not parse.
 * Caller frees. */
char *export_mongo_uri_shown_new(const char *uri);

/* Writes a state (JSON text) as the document of type t->type.
 * optimized_at: epoch seconds; training_examples: number of demos.
 * 0 + res, or -1 + err (unreachable, auth, write/duplicate key, dropped
 * connection ...). res may be NULL. */
int export_mongo_put(const mongo_target *t, const char *state_json,
                     int64_t optimized_at, int training_examples,
                     mongo_result *res, char *err);

/* Reads the state of the document of type t->type as JSON text (caller
 * frees): numbers keep their kind (int -> 8, double -> 8.5 / 8.0), key
 * order kept. *optimized_at (may be NULL) gets its optimized_at in epoch
 * seconds, 0 if absent. res (may be NULL) gets where/uri. NULL + err. */
char *export_mongo_get_state_new(const mongo_target *t, int64_t *optimized_at,
                                 mongo_result *res, char *err);

/* ---- a connection for the other MongoDB modules (data/team_store.c) ----
 * Opened as export_mongo_put opens its own: the same URI checks and
 * default timeouts, errors scrubbed of the password. */
typedef struct export_mongo_conn export_mongo_conn;
struct _mongoc_client_t;
struct _bson_error_t;

/* database NULL: the URI's /DB, else "curate". NULL + err. Caller frees
 * with export_mongo_conn_free. */
export_mongo_conn *export_mongo_conn_new(const char *uri, const char *database,
                                         char *err);
void export_mongo_conn_free(export_mongo_conn *c);
struct _mongoc_client_t *export_mongo_conn_client(export_mongo_conn *c);
const char *export_mongo_conn_database(const export_mongo_conn *c);
/* The URI as it may be shown (password as ***). */
const char *export_mongo_conn_shown(const export_mongo_conn *c);
/* err = "MongoDB URI: WHAT WHERE failed: KIND message", scrubbed, the
 * kind saying unreachable / authentication / dropped connection ... */
void export_mongo_conn_error(const export_mongo_conn *c, const char *what,
                             const char *where, const struct _bson_error_t *e,
                             char *err);

#endif
