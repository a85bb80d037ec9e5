/* pool_meta.c: facts about the pool itself (the pool_meta table of
 * schema 5): who made it (the demo), the rubric it is labeled under, and
 * the demo reset. See pool.h. */
#define _POSIX_C_SOURCE 200809L
#include "pool_int.h"
#include "../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pool_meta_get(pool *p, const char *key, char **value, char *err)
{
    *value = NULL;
    sqlite3_stmt *s = pool_stmt_sql(p, "SELECT value FROM pool_meta WHERE key = ?",
                                   err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *value = pool_col_strdup(s, 0);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW) return 1;
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "read pool facts", err);
}

int pool_meta_set(pool *p, const char *key, const char *value, char *err)
{
    if (pool_tx_open(p, err) < 0) return -1;
    sqlite3_stmt *s = pool_prepare(p, value
        ? "INSERT INTO pool_meta(key, value) VALUES(?1, ?2) ON CONFLICT(key)"
          " DO UPDATE SET value = excluded.value"
        : "DELETE FROM pool_meta WHERE key = ?1", err);
    int ok = s != NULL;
    if (s) {
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        if (value) sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
        ok = sqlite3_step(s) == SQLITE_DONE;
        if (!ok) pool_sql_err(p, "store pool facts", err);
        sqlite3_finalize(s);
    }
    return pool_tx_close(p, ok, err);
}

static int64_t count_of(pool *p, const char *sql, char *err)
{
    sqlite3_stmt *s = pool_prepare(p, sql, err);
    if (!s) return -1;
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    if (n < 0) pool_sql_err(p, "count", err);
    return n;
}

/* Empties every table but pool_meta: whatever tables the schema has (a
 * later schema step's too), FTS5 tables through their own 'delete-all'
 * and never their shadow tables. */
static int empty_tables(pool *p, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT t.name, t.sql LIKE 'CREATE VIRTUAL TABLE%' FROM sqlite_master t"
        " WHERE t.type = 'table' AND t.name NOT LIKE 'sqlite!_%' ESCAPE '!'"
        " AND t.name NOT IN ('pool_meta', 'search_state') AND NOT EXISTS ("
        "  SELECT 1 FROM sqlite_master v WHERE v.type = 'table' AND v.sql LIKE"
        "  'CREATE VIRTUAL TABLE%' AND t.name LIKE v.name || '!_%' ESCAPE '!')"
        " ORDER BY t.name", err);
    if (!s) return -1;
    sbuf sql = {0};
    sbuf_add(&sql, "PRAGMA defer_foreign_keys = ON;");
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        char *q = sqlite3_mprintf(sqlite3_column_int(s, 1)
            ? "INSERT INTO \"%w\"(\"%w\") VALUES('delete-all');"
            : "DELETE FROM \"%w\";", name, name);
        sbuf_add(&sql, q);
        sqlite3_free(q);
    }
    sqlite3_finalize(s);
    sbuf_add(&sql, "UPDATE search_state SET upto = 0, gen = gen + 1;"
                   "DELETE FROM pool_meta WHERE key = 'rubric';");
    int ok = rc == SQLITE_DONE ? pool_exec(p, sql.s, err) == 0
                               : pool_sql_err(p, "list tables", err) == 0;
    sbuf_free(&sql);
    return ok ? 0 : -1;
}

int pool_meta_reset_demo(pool *p, char *err)
{
    if (pool_tx_open(p, err) < 0) return -1;
    char *made_by = NULL;
    int ok = 0;
    int rc = pool_meta_get(p, "made_by", &made_by, err);
    if (rc < 0) goto done;
    if (rc == 0 || strcmp(made_by, "demo") != 0) {
        err_set(err, "%s: not a pool made by `curate demo`: not reset "
                "(--db names the pool; a fresh demo pool needs a new file)",
                p->path);
        goto done;
    }
    /* Human work is never deleted, even in a demo pool. */
    int64_t human = count_of(p,
        "SELECT (SELECT count(*) FROM labels WHERE reviewer <> 'demo') +"
        " (SELECT count(*) FROM edge_marks WHERE reviewer <> 'demo')", err);
    int64_t foreign = human < 0 ? -1 : count_of(p,
        "SELECT count(*) FROM conversations WHERE source IS NOT 'demo'", err);
    if (human < 0 || foreign < 0) goto done;
    if (human > 0 || foreign > 0) {
        err_set(err, "%s: holds %lld label%s or edge mark%s by reviewers other "
                "than \"demo\" and %lld imported conversation%s: not reset "
                "(human work is never deleted; use another --db for a fresh "
                "demo pool)", p->path, (long long)human, human == 1 ? "" : "s",
                human == 1 ? "" : "s", (long long)foreign,
                foreign == 1 ? "" : "s");
        goto done;
    }
    ok = empty_tables(p, err) == 0;
done:
    free(made_by);
    return pool_tx_close(p, ok, err);
}
