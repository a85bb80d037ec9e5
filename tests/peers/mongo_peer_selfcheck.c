/* Self-check client for tests/peers/mongo_peer.py, built on libmongoc 1.23.
 *
 *   mongo_peer_selfcheck PORT|URI [ATTEMPTS]
 *
 * Does what curate's MongoDB export does (DESIGN.md, "DSPy compatibility"):
 * replace_one({type: "chat_analyzer_optimizer"}, doc, upsert) into
 * curate_test.dspy_optimizers twice (first: upserted 1; second: matched 1,
 * modified 1), then find({type}) with limit 1, and prints the document as
 * canonical Extended JSON on stdout.  With ATTEMPTS > 1 a failed first
 * replace_one is retried on the same client (after $SELFCHECK_RETRY_MS ms,
 * default 0), to prove the client recovers, e.g. after the peer hung up.
 * Exit: 0 ok; 1 an operation failed (the error, with libmongoc's domain and
 * code, is on stderr); 2 the server answered with the wrong counts or document.
 */
#define _POSIX_C_SOURCE 200809L /* struct addrinfo in libmongoc headers under -std=c11 */
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB "curate_test"
#define COLL "dspy_optimizers"
#define TYPE "chat_analyzer_optimizer"

static int report(const char *what, const bson_error_t *err) {
  fprintf(stderr, "mongo_peer_selfcheck: %s failed: %s (domain %u, code %u)\n", what,
          err->message, err->domain, err->code);
  return 1;
}

static bson_t *make_doc(const char *reasoning, int64_t now_ms) {
  /* state: a DSPy program state, key "analyze.predict" (a dot in a key, as DSPy
   * writes it; libmongoc only validates top-level keys of a replacement). */
  return BCON_NEW("type", BCON_UTF8(TYPE),
                  "state", "{",
                      "analyze.predict", "{",
                          "traces", "[", "]", "train", "[", "]",
                          "demos", "[", "{", "augmented", BCON_BOOL(true),
                              "conversation", BCON_UTF8("[10:00] customer: hi"),
                              "reasoning", BCON_UTF8(reasoning),
                              "responsiveness_score", BCON_UTF8("8.5"), "}", "]",
                          "signature", "{", "instructions", BCON_UTF8("Analyze a travel seller"),
                              "fields", "[", "{", "prefix", BCON_UTF8("Conversation:"),
                                  "description", BCON_UTF8("The full WhatsApp conversation transcript"),
                              "}", "]", "}",
                          "lm", BCON_NULL,
                      "}",
                      "metadata", "{", "dependency_versions", "{", "python", BCON_UTF8("3.11"),
                          "dspy", BCON_UTF8("2.6.x"), "}", "}",
                  "}",
                  "optimized_at", BCON_DATE_TIME(now_ms),
                  "training_examples", BCON_INT32(3));
}

static int replace(mongoc_collection_t *coll, const bson_t *doc, const char *what,
                   int64_t want_matched, int64_t want_modified, int64_t want_upserted) {
  bson_t *filter = BCON_NEW("type", BCON_UTF8(TYPE));
  bson_t *opts = BCON_NEW("upsert", BCON_BOOL(true));
  bson_t reply;
  bson_error_t err;
  bool ok = mongoc_collection_replace_one(coll, filter, doc, opts, &reply, &err);
  int rc = 0;
  if (!ok) {
    rc = report(what, &err);
  } else {
    bson_iter_t it;
    int64_t matched = -1, modified = -1, upserted = -1;
    if (bson_iter_init_find(&it, &reply, "matchedCount")) matched = bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, &reply, "modifiedCount")) modified = bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, &reply, "upsertedCount")) upserted = bson_iter_as_int64(&it);
    char *json = bson_as_canonical_extended_json(&reply, NULL);
    fprintf(stderr, "%s reply: %s\n", what, json);
    bson_free(json);
    if (matched != want_matched || modified != want_modified || upserted != want_upserted) {
      fprintf(stderr,
              "mongo_peer_selfcheck: %s: matched %lld modified %lld upserted %lld, wanted "
              "%lld %lld %lld\n",
              what, (long long)matched, (long long)modified, (long long)upserted,
              (long long)want_matched, (long long)want_modified, (long long)want_upserted);
      rc = 2;
    }
  }
  bson_destroy(&reply);
  bson_destroy(opts);
  bson_destroy(filter);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: %s PORT|URI [ATTEMPTS]\n", argv[0]);
    return 64;
  }
  int attempts = argc == 3 ? atoi(argv[2]) : 1;
  char uri_buf[512];
  const char *uri_str = argv[1];
  if (strncmp(uri_str, "mongodb://", 10) != 0) {
    snprintf(uri_buf, sizeof uri_buf,
             "mongodb://127.0.0.1:%s/?serverSelectionTimeoutMS=2000&connectTimeoutMS=2000",
             argv[1]);
    uri_str = uri_buf;
  }

  mongoc_init();
  int rc = 0;
  bson_error_t err;
  mongoc_uri_t *uri = mongoc_uri_new_with_error(uri_str, &err);
  if (!uri) {
    rc = report("mongoc_uri_new", &err);
    mongoc_cleanup();
    return rc;
  }
  mongoc_client_t *client = mongoc_client_new_from_uri(uri);
  mongoc_client_set_error_api(client, MONGOC_ERROR_API_VERSION_2);
  mongoc_client_set_appname(client, "mongo_peer_selfcheck");
  mongoc_collection_t *coll = mongoc_client_get_collection(client, DB, COLL);

  struct timeval tv;
  bson_gettimeofday(&tv);
  int64_t now = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000; /* BSON date: ms since epoch */

  bson_t *doc1 = make_doc("first run", now);
  bson_t *doc2 = make_doc("second run", now + 1); /* differs, so mongod would report a modify */
  for (int i = 0; i < attempts; i++) {
    if (i > 0) {
      fprintf(stderr, "mongo_peer_selfcheck: retrying\n");
      const char *ms = getenv("SELFCHECK_RETRY_MS");
      long delay = ms ? atol(ms) : 0;
      struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
      nanosleep(&ts, NULL);
    }
    rc = replace(coll, doc1, "replace_one #1 (upsert)", 0, 0, 1);
    if (rc != 1) break; /* done, or wrong counts: no point in retrying */
  }
  if (rc == 0) rc = replace(coll, doc2, "replace_one #2 (replace)", 1, 1, 0);

  if (rc == 0) {
    bson_t *filter = BCON_NEW("type", BCON_UTF8(TYPE));
    bson_t *opts = BCON_NEW("limit", BCON_INT64(1));
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, filter, opts, NULL);
    const bson_t *got;
    int n = 0;
    while (mongoc_cursor_next(cur, &got)) {
      char *json = bson_as_canonical_extended_json(got, NULL);
      printf("%s\n", json);
      bson_free(json);
      bson_iter_t it;
      if (!bson_iter_init_find(&it, got, "optimized_at") || !BSON_ITER_HOLDS_DATE_TIME(&it) ||
          bson_iter_date_time(&it) != now + 1 ||
          !bson_iter_init_find(&it, got, "training_examples") || !BSON_ITER_HOLDS_INT32(&it) ||
          !bson_iter_init_find(&it, got, "state") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
          !bson_iter_init_find(&it, got, "_id") || !BSON_ITER_HOLDS_OID(&it)) {
        fprintf(stderr, "mongo_peer_selfcheck: find returned a document of the wrong shape\n");
        rc = 2;
      }
      n++;
    }
    if (mongoc_cursor_error(cur, &err)) {
      rc = report("find", &err);
    } else if (n != 1 && rc == 0) {
      fprintf(stderr, "mongo_peer_selfcheck: find returned %d documents, wanted 1\n", n);
      rc = 2;
    }
    mongoc_cursor_destroy(cur);
    bson_destroy(opts);
    bson_destroy(filter);
  }

  bson_destroy(doc1);
  bson_destroy(doc2);
  mongoc_collection_destroy(coll);
  mongoc_client_destroy(client);
  mongoc_uri_destroy(uri);
  mongoc_cleanup();
  return rc;
}
