/* pool_program.c: the program store (optimised few-shot programs). */
#define _POSIX_C_SOURCE 200809L
#include "pool_int.h"
#include "../core/util.h"

#include <stdlib.h>
#include <string.h>

void pool_program_clear(pool_program *pg)
{
    free(pg->state_json);
    free(pg->metric);
    free(pg->model);
    free(pg->trainset_json);
    free(pg->note);
    memset(pg, 0, sizeof *pg);
}

void pool_programs_free(pool_program *pg, int n)
{
    for (int i = 0; i < n; i++) pool_program_clear(&pg[i]);
    free(pg);
}

/* Two statements: one UPDATE that clears and sets at once meets the
 * unique index (programs_best) row by row, and fails whenever the new
 * best's id is lower than the old one's. Callers hold a transaction. */
static int set_best(pool *p, int64_t id, char *err)
{
    static const char *sql[] = {
        "UPDATE programs SET is_best = 0 WHERE is_best = 1 AND id <> ?1",
        "UPDATE programs SET is_best = 1 WHERE id = ?1"};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *s = pool_prepare(p, sql[i], err);
        if (!s) return -1;
        sqlite3_bind_int64(s, 1, id);
        int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) return pool_sql_err(p, "set best program", err);
    }
    return 0;
}

int pool_put_program(pool *p, const pool_program *pg, int make_best,
                     int64_t *id, char *err)
{
    if (pool_tx_open(p, err) < 0) return -1;
    int ok = 0;
    sqlite3_stmt *s = pool_prepare(p,
        "INSERT INTO programs(created_at, state, metric, val_score, model, "
        "trainset, note, n_demos) VALUES(?,?,?,?,?,?,?,?)", err);
    if (s) {
        sqlite3_bind_int64(s, 1, pg->created_at ? pg->created_at : date_now());
        pool_bind_text(s, 2, pg->state_json);
        pool_bind_text(s, 3, pg->metric);
        sqlite3_bind_double(s, 4, pg->val_score);
        pool_bind_text(s, 5, pg->model);
        pool_bind_text(s, 6, pg->trainset_json);
        pool_bind_text(s, 7, pg->note);
        sqlite3_bind_int(s, 8, pg->n_demos);
        if (sqlite3_step(s) == SQLITE_DONE) {
            int64_t nid = sqlite3_last_insert_rowid(p->db);
            if (id) *id = nid;
            ok = !make_best || set_best(p, nid, err) == 0;
        } else {
            pool_sql_err(p, "store program", err);
        }
        sqlite3_finalize(s);
    }
    return pool_tx_close(p, ok, err);
}

static void read_program(sqlite3_stmt *s, pool_program *pg, int with_state)
{
    memset(pg, 0, sizeof *pg);
    pg->id = sqlite3_column_int64(s, 0);
    pg->created_at = sqlite3_column_int64(s, 1);
    pg->metric = pool_col_strdup(s, 2);
    pg->val_score = sqlite3_column_double(s, 3);
    pg->model = pool_col_strdup(s, 4);
    pg->trainset_json = pool_col_strdup(s, 5);
    pg->note = pool_col_strdup(s, 6);
    pg->n_demos = sqlite3_column_int(s, 7);
    pg->is_best = sqlite3_column_int(s, 8);
    if (with_state) pg->state_json = pool_col_strdup(s, 9);
}

#define PROGRAM_COLS "id, created_at, metric, val_score, model, trainset, " \
                     "note, n_demos, is_best"

int pool_get_program(pool *p, int64_t id, pool_program *out, char *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT " PROGRAM_COLS ", state FROM programs "
        "WHERE (?1 = 0 AND is_best = 1) OR id = ?1", err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) read_program(s, out, 1);
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW) return 1;
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "get program", err);
}

int pool_set_best_program(pool *p, int64_t id, char *err)
{
    if (pool_tx_open(p, err) < 0) return -1;
    sqlite3_stmt *s = pool_prepare(p, "SELECT 1 FROM programs WHERE id = ?", err);
    int ok = 0;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        if (sqlite3_step(s) == SQLITE_ROW) ok = set_best(p, id, err) == 0;
        else err_set(err, "no program %lld", (long long)id);
        sqlite3_finalize(s);
    }
    return pool_tx_close(p, ok, err);
}

int pool_list_programs(pool *p, pool_program **out, char *err)
{
    *out = NULL;
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT " PROGRAM_COLS " FROM programs ORDER BY id DESC", err);
    if (!s) return -1;
    int n = 0, cap = 0, rc;
    pool_program *pg = NULL;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            pg = xrealloc(pg, (size_t)cap * sizeof *pg);
        }
        read_program(s, &pg[n++], 0);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        pool_programs_free(pg, n);
        return pool_sql_err(p, "list programs", err);
    }
    *out = pg;
    return n;
}
