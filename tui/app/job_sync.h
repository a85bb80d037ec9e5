/* job_sync.h: `curate sync` (and the workbench's sync action): exchanges
 * the pool's items with the team store in MongoDB. For each kind, in
 * dependency order (pool_sync_kind_nth: conversations, runs, predictions,
 * labels, edge marks, notes, assignments, undos, programs), the uids on
 * both sides are compared; what the store lacks is inserted (bulk
 * writes), what the pool lacks is read (a cursor) and applied in
 * transactions of at most JOB_SYNC_BATCH items. Then the
 * current-best program: a local choice made since the last sync is
 * pushed, else the team's is taken.
 *
 * Idempotent and resumable: items are never changed once written, a push
 * never writes half an item, and a pull batch is one transaction; a sync
 * that stops (killed, connection lost) leaves both sides consistent and
 * the next one carries on. Predictions, labels and edge marks are read as
 * one group and applied by conversation, oldest first within each, each
 * conversation's derived state refreshed once per batch; notes oldest
 * first too. So "the latest prediction", "each reviewer's latest label"
 * and the note shown are the same on every pool (to the second: items of
 * one second go by uid). */
#ifndef CURATE_JOB_SYNC_H
#define CURATE_JOB_SYNC_H

#include "../../data/pool.h"
#include "../../data/pool_sync.h"

#include <stdint.h>

#define JOB_SYNC_BATCH 1000

typedef struct {
    const char *uri;           /* required */
    const char *database;      /* NULL: the URI's, else "curate" */
    const char *prefix;        /* NULL: "team_" */
    /* stage: a kind's name; done/total items of that stage */
    void (*progress)(const char *stage, int64_t done, int64_t total, void *ctx);
    int (*cancel)(void *ctx);  /* non-zero: stop after the current batch */
    void *ctx;
} job_sync_opts;

typedef struct {
    int64_t pushed[SYNC_NKINDS], pulled[SYNC_NKINDS];
    int64_t waiting;           /* pulled items whose conversation/run is missing */
    int64_t too_large[SYNC_NKINDS];   /* not pushed: over TEAM_STORE_MAX_DOC */
    int best_pushed, best_pulled;
    int cancelled;
    char shown[512];           /* the store's URI, password as *** */
    char where[256];
} job_sync_summary;

/* 0 + *sum, or -1 + err (scrubbed of the password): what was done before
 * the failure stays done on both sides. */
int job_sync_run(pool *p, const job_sync_opts *o, job_sync_summary *sum,
                 char *err);

#endif
