/* pool_schema_agg.c: the schema steps that build the pool's derived
 * counts (schema 2: list indexes, conv_counts and score_agg with the
 * triggers that keep them in step; schema 8: the lead's views), generated
 * here because their triggers are many near-identical statements
 * (pool_int.h: pool_schema_v2_new, pool_schema_v8_new; pool_migrate runs
 * them). */
#define _POSIX_C_SOURCE 200809L
#include "pool_int.h"
#include "../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Schema version 2: scale.
 *
 * 1. The list indexes carry the filter columns (status, edge, diff, pred_id)
 *    after (sort column, id), so a windowed list walks one index in order
 *    and tests its filter on the index entry alone: no temp B-tree sort, no
 *    table lookup for the rows an OFFSET skips. The status tabs sorted by a
 *    score have their own (status, score, id) indexes; the edge-case tab
 *    (a small set by nature) is read from its index and sorted.
 * 2. conv_counts: conversations and messages per (seller, status, edge,
 *    scored), and score_agg: how many current scores have each value, per
 *    (run, kind, field, seller). Both are kept in step by triggers in the
 *    same transaction as the change, so counts, statistics and histograms
 *    read a few hundred rows instead of the pool. One exception: a new
 *    conversation is counted by put_convo itself, because a trigger on that
 *    INSERT would make SQLite keep a statement journal (a copy of every page
 *    the insert touches), which halved the import speed.
 *    score_agg kinds: 0 model (run_id 0: the conversation's current
 *    prediction; run_id R: its latest prediction of run R), 1 human (the
 *    current label when it is not skipped; run_id 0 only), 2 |model - human|
 *    for each model row that has a human label. Predictions and labels are
 *    append-only (labels are undone by flag), which the triggers rely on. */
#define SCORE_TYPES "IN ('integer','real')"

/* One upsert adding sign x the scores of prediction pred (kind 0), label
 * lab (kind 1) or both (kind 2) to score_agg under run and seller, when
 * cond holds. from/pre add tables the expressions may name. */
static void agg_stmt(sbuf *b, const char *run, int kind, const char *pred,
                     const char *lab, const char *seller, const char *sign,
                     const char *cond, const char *from)
{
    sbuf_add(b, "INSERT INTO score_agg(run_id, kind, field, seller_id, value, n) ");
    if (kind == 0)
        sbuf_addf(b, "SELECT %s, 0, a.key, %s, a.value, %s FROM %s predictions pr,"
                     " json_each(pr.scores) a WHERE pr.id = %s AND a.type "
                     SCORE_TYPES, run, seller, sign, from, pred);
    else if (kind == 1)
        sbuf_addf(b, "SELECT %s, 1, a.key, %s, a.value, %s FROM %s labels lb,"
                     " json_each(lb.scores) a WHERE lb.id = %s AND a.type "
                     SCORE_TYPES, run, seller, sign, from, lab);
    else if (kind == 3 || kind == 4)
        sbuf_addf(b, "SELECT %s, %d, a.key, %s, %s,"
                     " %s FROM %s predictions pr, json_each(pr.scores) a, labels lb,"
                     " json_each(lb.scores) h WHERE pr.id = %s AND lb.id = %s"
                     " AND a.key = h.key AND a.type " SCORE_TYPES " AND h.type "
                     SCORE_TYPES, run, kind, seller, kind == 3 ? "h.value" : POOL_PAIR_SQL,
                     sign, from, pred, lab);
    else
        sbuf_addf(b, "SELECT %s, 2, a.key, %s, round(abs(a.value - h.value), 4),"
                     " %s FROM %s predictions pr, json_each(pr.scores) a, labels lb,"
                     " json_each(lb.scores) h WHERE pr.id = %s AND lb.id = %s"
                     " AND a.key = h.key AND a.type " SCORE_TYPES " AND h.type "
                     SCORE_TYPES, run, seller, sign, from, pred, lab);
    sbuf_addf(b, " AND (%s) ON CONFLICT(run_id, kind, field, seller_id, value)"
                 " DO UPDATE SET n = n + excluded.n;", cond);
}

/* The contributions of one conversation row (o = "old" or "new") with the
 * given sign: run 0 model, human and difference; with runs set, also
 * those of each run's latest prediction (model only when seller changed
 * is the caller's business: it passes cond). */
static void agg_conv(sbuf *b, const char *o, const char *sign,
                     const char *runs_cond, const char *model_runs_cond,
                     int run_human)
{
    char pred[32], lab[32], sel[32], st2[48], cond[320];
    snprintf(pred, sizeof pred, "%s.pred_id", o);
    snprintf(lab, sizeof lab, "%s.label_id", o);
    snprintf(sel, sizeof sel, "%s.seller_id", o);
    snprintf(st2, sizeof st2, "%s.status = 2", o);
    agg_stmt(b, "0", 0, pred, NULL, sel, sign, "1", "");
    agg_stmt(b, "0", 1, NULL, lab, sel, sign, st2, "");
    agg_stmt(b, "0", 2, pred, lab, sel, sign, st2, "");
    if (run_human) {
        agg_stmt(b, "0", 4, pred, lab, sel, sign, st2, "");
        /* The trend's day counts (kinds 5 and 6, all sellers). */
        sbuf_addf(b, "INSERT INTO score_agg(run_id, kind, field, seller_id, value, n)"
                     " SELECT 0, 5, a.key, '', ((%s.first_ts / 86400) * 10000000 +"
                     " CAST(round(a.value * 100) AS INTEGER) + 5000000), %s"
                     " FROM predictions pr, json_each(pr.scores) a WHERE pr.id = %s"
                     " AND a.type " SCORE_TYPES " AND %s.first_ts IS NOT NULL"
                     " ON CONFLICT(run_id, kind, field, seller_id, value)"
                     " DO UPDATE SET n = n + excluded.n;", o, sign, pred, o);
        sbuf_addf(b, "INSERT INTO score_agg(run_id, kind, field, seller_id, value, n)"
                     " SELECT 0, 6, a.key, '', ((%s.first_ts / 86400) * 10000000 +"
                     " CAST(round(a.value * 100) AS INTEGER) + 5000000), %s"
                     " FROM labels lb, json_each(lb.scores) a WHERE lb.id = %s"
                     " AND a.type " SCORE_TYPES " AND %s.first_ts IS NOT NULL"
                     " AND %s AND %s IS NOT NULL"
                     " ON CONFLICT(run_id, kind, field, seller_id, value)"
                     " DO UPDATE SET n = n + excluded.n;", o, sign, lab, o, st2, pred);
    }
    char from[200];
    snprintf(from, sizeof from, "(SELECT run_id, max(id) AS id FROM predictions"
             " WHERE cid = %s.cid AND run_id IS NOT NULL GROUP BY run_id) lp,", o);
    snprintf(cond, sizeof cond, "%s", model_runs_cond);
    agg_stmt(b, "lp.run_id", 0, "lp.id", NULL, sel, sign, cond, from);
    snprintf(cond, sizeof cond, "(%s) AND %s", runs_cond, st2);
    agg_stmt(b, "lp.run_id", 2, "lp.id", lab, sel, sign, cond, from);
    if (run_human) {
        agg_stmt(b, "lp.run_id", 3, "lp.id", lab, sel, sign, cond, from);
        agg_stmt(b, "lp.run_id", 4, "lp.id", lab, sel, sign, cond, from);
    }
}

static void score_agg_triggers(sbuf *b, int run_human);

char *pool_schema_v2_new(void)
{
    sbuf b = {0};
    /* List indexes: (sort column, id, filter columns). */
    sbuf_add(&b,
        "DROP INDEX conv_seller; DROP INDEX conv_status; DROP INDEX conv_model;"
        "DROP INDEX conv_human; DROP INDEX conv_diff; DROP INDEX conv_nmsg;"
        "DROP INDEX conv_edge;"
        "CREATE INDEX conv_l_id ON conversations(id, status, edge, diff, pred_id);"
        "CREATE INDEX conv_l_seller ON conversations(seller_id, id, status, edge, diff, pred_id);"
        "CREATE INDEX conv_l_nmsg ON conversations(n_messages, id, status, edge, diff, pred_id);"
        "CREATE INDEX conv_l_model ON conversations(model_overall, id, status, edge, diff, pred_id);"
        "CREATE INDEX conv_l_human ON conversations(human_overall, id, status, edge, diff, pred_id);"
        "CREATE INDEX conv_l_diff ON conversations(diff, id, status, edge, pred_id);"
        "CREATE INDEX conv_l_status ON conversations(status, id, edge, diff, pred_id);"
        "CREATE INDEX conv_l_edge ON conversations(edge, id, status, diff, pred_id);"
        /* The queue's main tabs (status 1 and 2) sorted by a score: with
         * the plain index a window would first walk past every row without
         * a score (NULLs sort first) or of the other status. */
        "CREATE INDEX conv_s_model ON conversations(status, model_overall, id, edge, diff, pred_id);"
        "CREATE INDEX conv_s_human ON conversations(status, human_overall, id, edge, diff, pred_id);"
        "CREATE INDEX conv_s_diff ON conversations(status, diff, id, edge, pred_id);");
    /* Counts. */
    static const char *counts_key =
        "seller_id = X.seller_id AND status = X.status AND edge = X.edge AND "
        "scored = (X.pred_id IS NOT NULL)";
    sbuf_add(&b,
        "CREATE TABLE conv_counts("
        " seller_id TEXT NOT NULL, status INTEGER NOT NULL,"
        " edge INTEGER NOT NULL, scored INTEGER NOT NULL,"
        " n INTEGER NOT NULL, msgs INTEGER NOT NULL,"
        " PRIMARY KEY(seller_id, status, edge, scored)) WITHOUT ROWID;"
        "INSERT INTO conv_counts SELECT seller_id, status, edge,"
        " pred_id IS NOT NULL, count(*), sum(n_messages) FROM conversations"
        " WHERE 1 GROUP BY 1, 2, 3, 4;");
    const char *add_new =
        "INSERT INTO conv_counts VALUES(new.seller_id, new.status, new.edge,"
        " new.pred_id IS NOT NULL, 1, new.n_messages)"
        " ON CONFLICT(seller_id, status, edge, scored) DO UPDATE SET"
        " n = n + 1, msgs = msgs + excluded.msgs;";
    sbuf sub = {0};
    for (const char *c = counts_key; *c; c++) {
        if (*c == 'X') sbuf_add(&sub, "old");
        else sbuf_addc(&sub, *c);
    }
    sbuf_addf(&b, "CREATE TRIGGER conv_counts_upd AFTER UPDATE OF seller_id,"
                  " status, edge, pred_id, n_messages ON conversations WHEN"
                  " old.seller_id IS NOT new.seller_id OR old.status IS NOT"
                  " new.status OR old.edge IS NOT new.edge OR"
                  " (old.pred_id IS NULL) <> (new.pred_id IS NULL) OR"
                  " old.n_messages IS NOT new.n_messages BEGIN"
                  " UPDATE conv_counts SET n = n - 1, msgs = msgs - old.n_messages"
                  " WHERE %s; %s END;", sub.s, add_new);
    sbuf_addf(&b, "CREATE TRIGGER conv_counts_del AFTER DELETE ON conversations"
                  " BEGIN UPDATE conv_counts SET n = n - 1,"
                  " msgs = msgs - old.n_messages WHERE %s; END;", sub.s);
    sbuf_free(&sub);
    /* Score distributions. */
    sbuf_add(&b,
        "CREATE TABLE score_agg("
        " run_id INTEGER NOT NULL, kind INTEGER NOT NULL, field TEXT NOT NULL,"
        " seller_id TEXT NOT NULL, value REAL NOT NULL, n INTEGER NOT NULL,"
        " PRIMARY KEY(run_id, kind, field, seller_id, value)) WITHOUT ROWID;");
    /* Filled from the current state, one statement per part. */
    sbuf_add(&b,
        "INSERT INTO score_agg SELECT 0, 0, a.key, c.seller_id, a.value, count(*)"
        " FROM conversations c JOIN predictions pr ON pr.id = c.pred_id,"
        " json_each(pr.scores) a WHERE a.type " SCORE_TYPES " GROUP BY 3, 4, 5;"
        "INSERT INTO score_agg SELECT 0, 1, a.key, c.seller_id, a.value, count(*)"
        " FROM conversations c JOIN labels lb ON lb.id = c.label_id,"
        " json_each(lb.scores) a WHERE c.status = 2 AND a.type " SCORE_TYPES
        " GROUP BY 3, 4, 5;"
        "INSERT INTO score_agg SELECT 0, 2, a.key, c.seller_id,"
        " round(abs(a.value - h.value), 4), count(*) FROM conversations c"
        " JOIN predictions pr ON pr.id = c.pred_id JOIN labels lb ON"
        " lb.id = c.label_id, json_each(pr.scores) a, json_each(lb.scores) h"
        " WHERE c.status = 2 AND a.key = h.key AND a.type " SCORE_TYPES
        " AND h.type " SCORE_TYPES " GROUP BY 3, 4, 5;"
        "INSERT INTO score_agg SELECT lp.run_id, 0, a.key, c.seller_id, a.value,"
        " count(*) FROM (SELECT run_id, cid, max(id) AS id FROM predictions"
        " WHERE run_id IS NOT NULL GROUP BY run_id, cid) lp JOIN conversations c"
        " ON c.cid = lp.cid JOIN predictions pr ON pr.id = lp.id,"
        " json_each(pr.scores) a WHERE a.type " SCORE_TYPES
        " GROUP BY 1, 3, 4, 5;"
        "INSERT INTO score_agg SELECT lp.run_id, 2, a.key, c.seller_id,"
        " round(abs(a.value - h.value), 4), count(*) FROM (SELECT run_id, cid,"
        " max(id) AS id FROM predictions WHERE run_id IS NOT NULL"
        " GROUP BY run_id, cid) lp JOIN conversations c ON c.cid = lp.cid"
        " JOIN predictions pr ON pr.id = lp.id JOIN labels lb ON"
        " lb.id = c.label_id, json_each(pr.scores) a, json_each(lb.scores) h"
        " WHERE c.status = 2 AND a.key = h.key AND a.type " SCORE_TYPES
        " AND h.type " SCORE_TYPES " GROUP BY 1, 3, 4, 5;");
    score_agg_triggers(&b, 0);
    return sbuf_take(&b);
}

/* The triggers keeping score_agg in step; run_human (schema 8) adds kind
 * 3 (the human value of each field the run's prediction scored). */
static void score_agg_triggers(sbuf *b, int run_human)
{
    /* A conversation's state changed (pool_refresh_state, re-import). */
    const char *human_chg = "old.label_id IS NOT new.label_id OR old.status IS"
                            " NOT new.status OR old.seller_id IS NOT new.seller_id";
    /* Schema 8's trend counts also follow the first message's time. */
    sbuf_addf(b, "CREATE TRIGGER score_agg_conv AFTER UPDATE OF pred_id,"
                 " label_id, status, seller_id%s ON conversations WHEN"
                 " old.pred_id IS NOT new.pred_id OR old.label_id IS NOT"
                 " new.label_id OR old.status IS NOT new.status OR"
                 " old.seller_id IS NOT new.seller_id%s BEGIN ",
              run_human ? ", first_ts" : "",
              run_human ? " OR old.first_ts IS NOT new.first_ts" : "");
    agg_conv(b, "old", "-1", human_chg, "old.seller_id IS NOT new.seller_id", run_human);
    agg_conv(b, "new", "1", human_chg, "old.seller_id IS NOT new.seller_id", run_human);
    sbuf_add(b, "END;");
    sbuf_add(b, "CREATE TRIGGER score_agg_conv_del BEFORE DELETE ON conversations BEGIN ");
    agg_conv(b, "old", "-1", "1", "1", run_human);
    sbuf_add(b, "END;");
    /* A prediction of a run replaces the conversation's previous one of
     * that run (run 0 follows from the state update that comes next). */
    sbuf_add(b, "CREATE TRIGGER score_agg_pred AFTER INSERT ON predictions"
                 " WHEN new.run_id IS NOT NULL BEGIN ");
    const char *conv = "conversations c,";
    const char *prev = "(SELECT max(id) FROM predictions WHERE run_id = new.run_id"
                       " AND cid = new.cid AND id < new.id)";
    char sel_prev[256];
    snprintf(sel_prev, sizeof sel_prev, "%s", prev);
    agg_stmt(b, "new.run_id", 0, sel_prev, NULL, "c.seller_id", "-1",
             "c.cid = new.cid", conv);
    agg_stmt(b, "new.run_id", 2, sel_prev, "c.label_id", "c.seller_id", "-1",
             "c.cid = new.cid AND c.status = 2", conv);
    agg_stmt(b, "new.run_id", 0, "new.id", NULL, "c.seller_id", "1",
             "c.cid = new.cid", conv);
    agg_stmt(b, "new.run_id", 2, "new.id", "c.label_id", "c.seller_id", "1",
             "c.cid = new.cid AND c.status = 2", conv);
    for (int k = 3; run_human && k <= 4; k++) {
        agg_stmt(b, "new.run_id", k, sel_prev, "c.label_id", "c.seller_id", "-1",
                 "c.cid = new.cid AND c.status = 2", conv);
        agg_stmt(b, "new.run_id", k, "new.id", "c.label_id", "c.seller_id", "1",
                 "c.cid = new.cid AND c.status = 2", conv);
    }
    sbuf_add(b, "END;");
}

/* Schema version 8: the lead's views.
 * 1. conversations.fdiff / fdiff_field: the largest |model - human| over
 *    every score field (the overall included) and which field it is, kept
 *    in step with diff by pool_refresh_state; `disagree:T` is fdiff >= T,
 *    read from conv_l_fdiff like the overall's diff from conv_l_diff.
 * 2. score_agg kind 3: per run, the human value of each field the run's
 *    prediction scored, so a run's human figures cover that run's
 *    conversations only (kind 1, run 0, stays "every current label").
 * 3. score_agg kind 4: (model, human) pairs per field, encoded as one
 *    number (POOL_PAIR_SQL), for run 0 and each run: Spearman reads a few
 *    thousand counted pairs instead of every reviewed conversation.
 * 4. score_agg kinds 5 and 6: run 0's model and human scores counted by
 *    the day of the conversation's first message (POOL_DAY_SQL), all
 *    sellers: the trend reads these instead of every score. */
char *pool_schema_v8_new(void)
{
    sbuf b = {0};
    sbuf_add(&b,
        "ALTER TABLE conversations ADD COLUMN fdiff REAL;"
        "ALTER TABLE conversations ADD COLUMN fdiff_field TEXT;"
        "UPDATE conversations SET (fdiff, fdiff_field) = ");
    sbuf_addf(&b, POOL_FDIFF_SQL, "conversations.diff IS NOT NULL",
              "conversations.pred_id", "conversations.label_id");
    sbuf_add(&b,
        " WHERE status = 2 AND pred_id IS NOT NULL;"
        "CREATE INDEX conv_l_fdiff ON conversations(fdiff, id, status, edge, pred_id);"
        "DROP TRIGGER score_agg_conv; DROP TRIGGER score_agg_conv_del;"
        "DROP TRIGGER score_agg_pred;");
    score_agg_triggers(&b, 1);
    sbuf_add(&b,
        "INSERT INTO score_agg SELECT lp.run_id, 3, a.key, c.seller_id,"
        " h.value, count(*) FROM (SELECT run_id, cid,"
        " max(id) AS id FROM predictions WHERE run_id IS NOT NULL"
        " GROUP BY run_id, cid) lp JOIN conversations c ON c.cid = lp.cid"
        " JOIN predictions pr ON pr.id = lp.id JOIN labels lb ON"
        " lb.id = c.label_id, json_each(pr.scores) a, json_each(lb.scores) h"
        " WHERE c.status = 2 AND a.key = h.key AND a.type " SCORE_TYPES
        " AND h.type " SCORE_TYPES " GROUP BY 1, 3, 4, 5;"
        "INSERT INTO score_agg SELECT 0, 4, a.key, c.seller_id, " POOL_PAIR_SQL ","
        " count(*) FROM conversations c JOIN predictions pr ON pr.id = c.pred_id"
        " JOIN labels lb ON lb.id = c.label_id, json_each(pr.scores) a,"
        " json_each(lb.scores) h WHERE c.status = 2 AND a.key = h.key AND a.type "
        SCORE_TYPES " AND h.type " SCORE_TYPES " GROUP BY 3, 4, 5;"
        "INSERT INTO score_agg SELECT lp.run_id, 4, a.key, c.seller_id, "
        POOL_PAIR_SQL ", count(*) FROM (SELECT run_id, cid,"
        " max(id) AS id FROM predictions WHERE run_id IS NOT NULL"
        " GROUP BY run_id, cid) lp JOIN conversations c ON c.cid = lp.cid"
        " JOIN predictions pr ON pr.id = lp.id JOIN labels lb ON"
        " lb.id = c.label_id, json_each(pr.scores) a, json_each(lb.scores) h"
        " WHERE c.status = 2 AND a.key = h.key AND a.type " SCORE_TYPES
        " AND h.type " SCORE_TYPES " GROUP BY 1, 3, 4, 5;"
        "INSERT INTO score_agg SELECT 0, 5, a.key, '', " POOL_DAY_SQL("c") ","
        " count(*) FROM conversations c JOIN predictions pr ON pr.id = c.pred_id,"
        " json_each(pr.scores) a WHERE a.type " SCORE_TYPES
        " AND c.first_ts IS NOT NULL GROUP BY 3, 5;"
        "INSERT INTO score_agg SELECT 0, 6, a.key, '', " POOL_DAY_SQL("c") ","
        " count(*) FROM conversations c JOIN labels lb ON lb.id = c.label_id,"
        " json_each(lb.scores) a WHERE c.status = 2 AND c.pred_id IS NOT NULL"
        " AND a.type " SCORE_TYPES " AND c.first_ts IS NOT NULL GROUP BY 3, 5;");
    return sbuf_take(&b);
}
