/* pool_sync.h: the pool's side of `curate sync` (SQL only; the MongoDB side
 * is data/team_store.h, the job that joins them tui/app/job_sync.h).
 *
 * Everything exchanged is an append-only item with a globally unique uid,
 * as a JSON document (cJSON) that the team store keeps as is:
 *   conversations  uid "ID@HASH" (the content hash): a re-imported
 *                  version is another item; the newest import wins
 *   labels, edge marks
 *                  their own uid column (the review model, schema 4); a
 *                  label carries its role, the reviewed prediction's and
 *                  run's uids and the content hash it was made on
 *   runs, predictions, programs
 *                  uid: 128-bit random hex, given once per local row
 *                  (table sync_ids: uid -> kind, local row; schema 11)
 *   notes          their own uid column (schema 4), applied oldest first
 *                  (the latest note is the one shown)
 *   assignments    uid: the reviewer's length in bytes, ':', the reviewer,
 *                  then the conversation's id ("3:annc-0001"): one per
 *                  (conversation, reviewer), as the table keeps them
 *   undos          uid "undo:" + the label's, edge mark's or note's uid,
 *                  once it is undone (applied by flagging that row undone)
 * Applying an item is idempotent: one already here is left alone. An item
 * whose conversation, run or label has not arrived yet waits (it is not
 * recorded, so the next sync fetches it again). Superseded conversation
 * versions are recorded as seen (sync_ids without a local row).
 *
 * Not exchanged: the undo journal's own rows (a pulled label or note is
 * not in this pool's journal: undo reverts one's own actions here), the
 * LLM cache, the search index. */
#ifndef CURATE_POOL_SYNC_H
#define CURATE_POOL_SYNC_H

#include "pool.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* The values are stored (sync_ids.kind): new kinds go at the end. */
typedef enum {
    SYNC_CONVERSATIONS = 0, SYNC_RUNS, SYNC_PREDICTIONS, SYNC_LABELS,
    SYNC_EDGES, SYNC_UNDOS, SYNC_PROGRAMS, SYNC_NOTES, SYNC_ASSIGNMENTS,
    SYNC_NKINDS
} pool_sync_kind;

/* "conversations", "runs", "predictions", "labels", "edge_marks",
 * "undos", "programs", "notes", "assignments": also the store's
 * collection names (after a prefix). */
const char *pool_sync_kind_name(pool_sync_kind k);

/* The i-th kind (0 <= i < SYNC_NKINDS) in the order a sync takes them:
 * what an item refers to comes before it (conversations and runs before
 * predictions, labels, edge marks and notes before their undos). */
pool_sync_kind pool_sync_kind_nth(int i);

/* For the rest of this connection, a page cache of up to 256 MB (SQLite's
 * 2 MB default made a first pull of 100,000 conversations re-read the
 * conversations' indexes from the file system: a third of its time). */
int pool_sync_cache(pool *p, char *err);

/* Gives every local row that has none its uid, in one transaction. */
int pool_sync_assign_uids(pool *p, char *err);

/* The uids this pool has of kind k (with the superseded conversation
 * versions it has seen), sorted by strcmp. *out: caller frees with
 * pool_sync_uids_free. 0 or -1 + err. */
int pool_sync_local_uids(pool *p, pool_sync_kind k, char ***out, size_t *n,
                         char *err);
void pool_sync_uids_free(char **v, size_t n);

/* The document of local item uid (caller cJSON_Deletes), NULL + err. */
cJSON *pool_sync_doc_new(pool *p, pool_sync_kind k, const char *uid, char *err);

typedef enum {
    SYNC_APPLIED = 0,     /* stored (or, for a conversation, recorded as seen) */
    SYNC_PRESENT,         /* already here: nothing done */
    SYNC_WAITING          /* its conversation/run/label is not here yet */
} pool_sync_result;

/* Applies a document from the store; joins the caller's transaction
 * (pool_begin) or makes its own. The derived state of the conversation
 * follows in the same transaction. 0 + *res, or -1 + err naming the item
 * and field (a malformed document changes nothing). */
int pool_sync_apply(pool *p, pool_sync_kind k, const cJSON *doc,
                    pool_sync_result *res, char *err);

/* The same inside the caller's transaction (pool_begin), with the
 * conversation's derived state left to the caller: *cid (0: none) is the
 * conversation to pass to pool_sync_refresh before that transaction
 * commits (several items of one conversation then cost one refresh, as in
 * a first pull where a conversation gets its prediction and its labels). */
int pool_sync_apply_deferred(pool *p, pool_sync_kind k, const cJSON *doc,
                             pool_sync_result *res, int64_t *cid, char *err);
int pool_sync_refresh(pool *p, int64_t cid, char *err);

/* The current best program's uid (NULL: none; caller frees). */
int pool_sync_best(pool *p, char **uid, char *err);
/* Makes program uid the best (0, or 1 when it is not here yet). */
int pool_sync_set_best(pool *p, const char *uid, char *err);

/* What sync remembers is kept in pool_meta (pool.h): "sync_last" (epoch
 * seconds of the last complete sync), "sync_store" (that store's URI as
 * shown, password masked), "sync_best" (the best program's uid then). */

#endif
