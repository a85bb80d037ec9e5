/* tpool.c: see tpool.h. */
#define _POSIX_C_SOURCE 200809L
#include "tpool.h"
#include "test.h"
#include "../../core/util.h"

pool *tpool_open(const char *name)
{
    char path[512], err[ERR_MAX];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    pool *p = pool_open(path, err);
    if (!p) fprintf(stderr, "%s\n", err);
    return p;
}

const char *const tpool_down_v4 =
    "DROP INDEX labels_uid; DROP INDEX labels_reviewer; DROP INDEX edge_marks_uid;"
    "ALTER TABLE labels DROP COLUMN uid; ALTER TABLE labels DROP COLUMN role;"
    "ALTER TABLE labels DROP COLUMN pred_id; ALTER TABLE labels DROP COLUMN run_id;"
    "ALTER TABLE labels DROP COLUMN rationale; ALTER TABLE labels DROP COLUMN comment;"
    "ALTER TABLE edge_marks DROP COLUMN uid;"
    "ALTER TABLE edge_marks DROP COLUMN undone_at;"
    "DROP TABLE notes; DROP TABLE actions;";

const char *const tpool_down_after_v4 =
    "ALTER TABLE runs DROP COLUMN owner_pid; ALTER TABLE runs DROP COLUMN owner_start;"
    "ALTER TABLE runs DROP COLUMN owner_boot; ALTER TABLE runs DROP COLUMN owner_host;"
    "ALTER TABLE labels DROP COLUMN content_hash; DROP TABLE pool_meta;"
    "DROP TABLE assignments; PRAGMA application_id = 0;"
    /* schema 8 (per-field disagreement) and 11 (sync) */
    "DROP INDEX conv_l_fdiff; ALTER TABLE conversations DROP COLUMN fdiff;"
    "ALTER TABLE conversations DROP COLUMN fdiff_field;"
    "DELETE FROM score_agg WHERE kind = 3; DROP TABLE sync_ids;"
    "DROP INDEX conv_conflict; ALTER TABLE conversations DROP COLUMN consensus;"
    /* schema 16 (the Failed and Skipped tabs) */
    "DROP INDEX predictions_failed; DROP INDEX labels_skipped;"
    "DROP INDEX IF EXISTS actions_reviewer_time;";
