/* tpool.h: the pool as the unit tests open it: a file in test_tmpdir(). */
#ifndef CURATE_TEST_TPOOL_H
#define CURATE_TEST_TPOOL_H

#include "../../data/pool.h"

/* SQL that takes a pool of the current schema back to exactly schema 1
 * (user_version 1, no application_id): for the upgrade tests. Each new
 * schema step adds its undo here. */
#define TPOOL_DOWN_TO_V1 \
    "DROP INDEX conv_conflict;" \
    "DROP TRIGGER conv_counts_upd; DROP TRIGGER conv_counts_del;" \
    "DROP TRIGGER score_agg_conv; DROP TRIGGER score_agg_conv_del;" \
    "DROP TRIGGER score_agg_pred; DROP TABLE conv_counts; DROP TABLE score_agg;" \
    "DROP INDEX conv_l_id; DROP INDEX conv_l_seller; DROP INDEX conv_l_nmsg;" \
    "DROP INDEX conv_l_model; DROP INDEX conv_l_human; DROP INDEX conv_l_diff;" \
    "DROP INDEX conv_l_status; DROP INDEX conv_l_edge; DROP INDEX conv_s_model;" \
    "DROP INDEX conv_s_human; DROP INDEX conv_s_diff;" \
    "DROP TABLE conv_search; DROP VIEW conv_doc; DROP TABLE search_state;" \
    "DROP INDEX conv_state; DROP INDEX conv_l_fdiff;" \
    "DROP INDEX predictions_failed; DROP INDEX labels_skipped;" /* 16 */ \
    "DROP INDEX IF EXISTS actions_reviewer_time;" \
    "ALTER TABLE predictions DROP COLUMN json_fallback;" /* 18 */ \
    "ALTER TABLE conversations DROP COLUMN fdiff;" \
    "ALTER TABLE conversations DROP COLUMN fdiff_field;" \
    "CREATE INDEX conv_seller ON conversations(seller_id, id);" \
    "CREATE INDEX conv_status ON conversations(status, id);" \
    "CREATE INDEX conv_model ON conversations(model_overall, id);" \
    "CREATE INDEX conv_human ON conversations(human_overall, id);" \
    "CREATE INDEX conv_diff ON conversations(diff, id);" \
    "CREATE INDEX conv_nmsg ON conversations(n_messages, id);" \
    "CREATE INDEX conv_edge ON conversations(edge, id);" \
    /* and without schema 5 (a pool before application_id) */ \
    "ALTER TABLE runs DROP COLUMN owner_pid; ALTER TABLE runs DROP COLUMN owner_start;" \
    "ALTER TABLE runs DROP COLUMN owner_boot; ALTER TABLE runs DROP COLUMN owner_host;" \
    "ALTER TABLE labels DROP COLUMN content_hash; DROP TABLE pool_meta;" \
    "PRAGMA application_id = 0;" \
    /* and without schema 17 (actions, and its batch column, went with \
     * tpool_down_v4) */ \
    "DROP TABLE batches;" \
    "PRAGMA user_version = 1;"

/* Opens (creating) test_tmpdir()/name; NULL after printing why. */
pool *tpool_open(const char *name);

/* SQL taking a schema 4 pool back to schema 3 (without user_version): for
 * tests of the upgrades from older pools. */
extern const char *const tpool_down_v4;

#endif
