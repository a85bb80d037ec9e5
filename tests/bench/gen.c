/* gen.c: synthetic pools for the benchmarks (tests/bench/run).
 *
 *   gen jsonl N [SEED] [--big NMSG]
 *       Writes N realistic conversations (data/demo.c's generator, ids
 *       "b-0000001"...) as JSONL on stdout, ISO-8601 timestamps; --big adds
 *       one more conversation "b-big" of about NMSG messages (to time
 *       opening a long conversation).
 *   gen scores DB SCORED LABELED [SEED]
 *       Gives a share SCORED of the conversations of DB (ids as above) a
 *       simulated model prediction, a share LABELED of those a human label,
 *       and ~1% of the labeled an edge mark, through the pool API in one
 *       transaction (the same write path as `curate score` and the review
 *       screen).
 *
 * Deterministic for a given SEED (default 1). */
#define _POSIX_C_SOURCE 200809L
#include "../../core/util.h"
#include "../../data/demo.h"
#include "../../data/pool.h"
#include "../../data/pool_int.h"   /* the connection, for one bulk UPDATE */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_json_str(sbuf *b, const char *s)
{
    sbuf_addc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') { sbuf_addc(b, '\\'); sbuf_addc(b, (char)*p); }
        else if (*p == '\n') sbuf_add(b, "\\n");
        else if (*p < 0x20) sbuf_addf(b, "\\u%04x", *p);
        else sbuf_addc(b, (char)*p);
    }
    sbuf_addc(b, '"');
}

static void put_convo(sbuf *b, const convo *c)
{
    sbuf_add(b, "{\"id\":");
    put_json_str(b, c->id);
    sbuf_add(b, ",\"seller_id\":");
    put_json_str(b, c->seller_id);
    sbuf_add(b, ",\"messages\":[");
    for (size_t i = 0; i < c->nmsgs; i++) {
        const convo_msg *m = &c->msgs[i];
        char ts[32];
        date_iso8601(m->ts, ts, sizeof ts);
        sbuf_addf(b, "%s{\"ts\":\"%s\",\"from\":", i ? "," : "", ts);
        put_json_str(b, m->sender);
        sbuf_addf(b, ",\"role\":\"%s\",\"text\":", convo_role_name(m->role));
        put_json_str(b, m->text);
        sbuf_addc(b, '}');
    }
    sbuf_add(b, "],\"meta\":{\"channel\":\"whatsapp\",\"bench\":true}}\n");
}

static uint64_t seed_of(uint64_t seed, long i) { return seed * 1000003ULL + (uint64_t)i; }

static int gen_jsonl(long n, uint64_t seed, long big)
{
    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    sbuf b = {0};
    long msgs = 0;
    for (long i = 1; i <= n; i++) {
        char id[32];
        snprintf(id, sizeof id, "b-%07ld", i);
        convo *c = demo_convo_new(seed_of(seed, i), id, NULL);
        msgs += (long)c->nmsgs;
        b.len = 0;
        put_convo(&b, c);
        fwrite(b.s, 1, b.len, stdout);
        convo_free(c);
    }
    if (big > 0) {
        /* Several generated chats of one seller and customer back to back. */
        convo *c = convo_new("b-big", "S-LIS-01");
        int64_t t = 0;
        for (uint64_t k = 0; c->nmsgs < (size_t)big; k++) {
            convo *part = demo_convo_new(seed_of(seed, -1 - (long)k), "x", NULL);
            int64_t shift = t ? t + 3600 - part->msgs[0].ts : 0;
            for (size_t j = 0; j < part->nmsgs && c->nmsgs < (size_t)big; j++) {
                const convo_msg *m = &part->msgs[j];
                convo_add_msg(c, m->ts + shift, m->sender, m->role, m->text);
                t = m->ts + shift;
            }
            convo_free(part);
        }
        msgs += (long)c->nmsgs;
        b.len = 0;
        put_convo(&b, c);
        fwrite(b.s, 1, b.len, stdout);
        convo_free(c);
    }
    sbuf_free(&b);
    fprintf(stderr, "gen: %ld conversations, %ld messages\n", n + (big > 0), msgs);
    return fflush(stdout) == 0 ? 0 : 1;
}

static int has_bench_id(pool *p, int64_t i)
{
    char id[32];
    snprintf(id, sizeof id, "b-%07lld", (long long)i);
    return pool_has_convo(p, id);
}

static int gen_scores(const char *db, double scored, double labeled,
                      uint64_t seed)
{
    char err[ERR_MAX];
    rubric *r = rubric_default_new();
    pool *p = pool_open(db, err);
    if (!p) { fprintf(stderr, "gen: %s\n", err); return 1; }
    static const char *names[3] = {"responsiveness_score",
                                   "customer_negative_score",
                                   "conversational_trend_score"};
    int fi[3];
    for (int k = 0; k < 3; k++) fi[k] = rubric_field_index(r, names[k]);
    int oi = rubric_overall_index(r);
    /* The generated conversations are b-0000001..b-N (b-big aside): find
     * N by doubling and bisecting. */
    int64_t lo = 0, hi = 1;
    while (has_bench_id(p, hi)) { lo = hi; hi *= 2; }
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (has_bench_id(p, mid)) lo = mid; else hi = mid;
    }
    int64_t n = lo;
    double t0 = date_mono();
    int64_t run = 0, npred = 0, nlab = 0, nedge = 0;
    if (pool_begin(p, err) < 0 ||
        pool_run_start(p, "bench", "simulated", "bench-sim", 0, NULL, &run, err) < 0)
        goto fail;
    rng rr;
    rng_seed(&rr, seed ^ 0xbe4c);
    for (int64_t i = 1; i <= n; i++) {
        char id[32];
        snprintf(id, sizeof id, "b-%07lld", (long long)i);
        if (rng_unit(&rr) >= scored) continue;
        double truth[3];
        convo *c = demo_convo_new(seed_of(seed, (long)i), id, truth);
        convo_free(c);
        prediction pr;
        memset(&pr, 0, sizeof pr);
        for (int k = 0; k < 3; k++) {
            double v = truth[k] + (rng_unit(&rr) - 0.5) * 4;
            rubric_validate_value(&r->fields[fi[k]], round(v * 2) / 2,
                                  &pr.scores.v[fi[k]]);
            pr.scores.set[fi[k]] = 1;
        }
        if (oi >= 0 && rubric_overall_from(r, &pr.scores, &pr.scores.v[oi]) == 0)
            pr.scores.set[oi] = 1;
        pr.rationale = "Seller answered most questions; some replies were slow.";
        pr.reasoning = "Looked at reply gaps and the customer's tone.";
        pr.status = "ok";
        pr.model = "bench-sim";
        pr.run_id = run;
        pr.tokens = 180;
        if (pool_put_prediction(p, r, id, &pr, NULL, err) < 0) goto fail;
        npred++;
        if (rng_unit(&rr) >= labeled) continue;
        scoreset h;
        memset(&h, 0, sizeof h);
        for (int k = 0; k < 3; k++) { h.v[fi[k]] = truth[k]; h.set[fi[k]] = 1; }
        label_status st = rng_unit(&rr) < 0.05 ? LABEL_SKIPPED
                        : rng_unit(&rr) < 0.5 ? LABEL_ACCEPTED : LABEL_CORRECTED;
        if (pool_add_label(p, r, id, "bench", st, &h, NULL, NULL, err) < 0)
            goto fail;
        nlab++;
        if (rng_unit(&rr) < 0.01) {
            if (pool_set_edge(p, id, "bench", 1, "bench edge case", err) < 0)
                goto fail;
            nedge++;
        }
    }
    /* A quarter's labels were not all made today: spread them over the
     * last 90 days ("reviewed today" is then a day's share). */
    if (sqlite3_exec(p->db, "UPDATE labels SET created_at = created_at -"
                     " (id * 7919) % (90 * 86400)", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, sizeof err, "%s", sqlite3_errmsg(p->db));
        goto fail;
    }
    if (pool_run_finish(p, run, "done", NULL, err) < 0 || pool_commit(p, err) < 0)
        goto fail;
    fprintf(stderr, "gen: %lld predictions, %lld labels, %lld edge marks in "
            "%.1f s\n", (long long)npred, (long long)nlab, (long long)nedge,
            date_mono() - t0);
    pool_close(p);
    rubric_free(r);
    return 0;
fail:
    fprintf(stderr, "gen: %s\n", err);
    pool_rollback(p);
    pool_close(p);
    rubric_free(r);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "jsonl")) {
        long n = atol(argv[2]), big = 0;
        uint64_t seed = 1;
        for (int i = 3; i < argc; i++) {
            if (!strcmp(argv[i], "--big") && i + 1 < argc) big = atol(argv[++i]);
            else seed = strtoull(argv[i], NULL, 10);
        }
        return gen_jsonl(n, seed, big);
    }
    if (argc >= 5 && !strcmp(argv[1], "scores"))
        return gen_scores(argv[2], atof(argv[3]), atof(argv[4]),
                          argc > 5 ? strtoull(argv[5], NULL, 10) : 1);
    fputs("usage: gen jsonl N [SEED] [--big NMSG]\n"
          "       gen scores DB SCORED LABELED [SEED]\n", stderr);
    return 2;
}
