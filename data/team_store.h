/* team_store.h: the MongoDB side of `curate sync` (libmongoc): one
 * collection per kind of item (PREFIX + "conversations", ... see
 * data/pool_sync.h), each document keyed by its "uid" (a unique index;
 * _id is left to the server), plus PREFIX + "meta" holding the team's
 * current-best program choice. Documents are written once and never
 * changed (the meta document excepted), so pushing is inserting what is
 * missing and pulling is reading what is missing.
 *
 * Connection, timeouts and error messages as data/export_mongo.h: no
 * message holds the URI's password. */
#ifndef CURATE_TEAM_STORE_H
#define CURATE_TEAM_STORE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define TEAM_STORE_DEFAULT_PREFIX "team_"

typedef struct team_store team_store;

typedef struct {
    const char *uri;          /* required */
    const char *database;     /* NULL: the URI's /DB, else "curate" */
    const char *prefix;       /* NULL: "team_" */
} team_store_target;

/* Connects, checks the server answers (so unreachable / auth failures are
 * reported here) and makes sure each collection has its unique uid index.
 * names: the collections' kind names (nnames of them). NULL + err. */
team_store *team_store_open_new(const team_store_target *t,
                                const char *const *names, size_t nnames,
                                char *err);
void team_store_free(team_store *ts);
/* The URI as shown (password as ***) and "db.prefix". */
const char *team_store_shown(const team_store *ts);
const char *team_store_where(const team_store *ts);

/* The uids in collection name, sorted by strcmp (caller frees each and
 * the array). 0 or -1 + err. */
int team_store_uids(team_store *ts, const char *name, char ***out, size_t *n,
                    char *err);

/* MongoDB's largest document (BSON bytes). */
#define TEAM_STORE_MAX_DOC (16 * 1024 * 1024)

/* Inserts docs (unordered bulk write); a uid already there (duplicate key)
 * is not an error. A document larger than TEAM_STORE_MAX_DOC (a
 * conversation of some 100,000 messages) cannot be stored: it is left out
 * and counted in *too_large, the others go in. 0 or -1 + err. */
int team_store_insert(team_store *ts, const char *name, cJSON *const *docs,
                      size_t n, int64_t *too_large, char *err);

/* Calls fn with each document of uids (any order; those not there are
 * skipped). all = 1: reads the whole collection instead (cheaper when most
 * are wanted; fn then also gets documents not asked for). The document
 * is the caller's to cJSON_Delete. fn non-zero stops. 0 or -1 + err. */
int team_store_fetch(team_store *ts, const char *name, char *const *uids,
                     size_t n, int all, int (*fn)(cJSON *doc, void *ctx),
                     void *ctx, char *err);

/* The team's best program: *uid (NULL none; caller frees) and when it was
 * chosen (epoch seconds). put replaces it. 0 or -1 + err. */
int team_store_get_best(team_store *ts, char **uid, int64_t *set_at, char *err);
int team_store_put_best(team_store *ts, const char *uid, int64_t set_at,
                        char *err);

#endif
