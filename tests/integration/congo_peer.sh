#!/bin/bash
# congo_peer.sh: the CongoDB peer (tests/peers/congo_peer.mjs) behaves as
# MongoDB documents what curate relies on: upserts (insert once, then match),
# $in, sorting on two keys, cursors split into batches (getMore), unordered
# bulk writes; and curate's export mongo / import-program mongo work through
# it. Two deviations from MongoDB are asserted, so a new peer version that
# fixes them is noticed (README, "Team store"): _id must be an ObjectId (a
# string _id is refused), and a unique index is not enforced by insert. The
# sync code keys documents by a "uid" field for that reason and never relies
# on the server refusing a duplicate.
source "$(dirname "$0")/lib.bash"
cd "$WORK" || exit 1
start_congo || { fail "congo peer starts"; finish; exit 1; }
pass "congo peer starts on 127.0.0.1"

check "upsert, \$in, sort, getMore, bulk writes" $PY - "$CONGO_URI" <<'PYEOF'
import sys, pymongo
from pymongo import UpdateOne, InsertOne
c = pymongo.MongoClient(sys.argv[1])
db = c.congo_check
for n in ("e", "big"): db[n].drop()
db.e.create_index("uid", unique=True)
r = db.e.bulk_write([UpdateOne({"uid": "a"}, {"$setOnInsert": {"v": 1}}, upsert=True),
                     UpdateOne({"uid": "b"}, {"$setOnInsert": {"v": 2}}, upsert=True),
                     UpdateOne({"uid": "a"}, {"$setOnInsert": {"v": 9}}, upsert=True)],
                    ordered=False)
assert (r.upserted_count, r.matched_count) == (2, 1), r.bulk_api_result
assert sorted((d["uid"], d["v"]) for d in db.e.find()) == [("a", 1), ("b", 2)]
r = db.e.replace_one({"uid": "z"}, {"uid": "z", "v": 7}, upsert=True)
assert r.upserted_id is not None and r.matched_count == 0
r = db.e.replace_one({"uid": "z"}, {"uid": "z", "v": 8}, upsert=True)
assert r.upserted_id is None and r.matched_count == 1 and db.e.find_one({"uid": "z"})["v"] == 8
got = [d["uid"] for d in db.e.find({"uid": {"$in": ["z", "a", "nope"]}}).sort("v", -1)]
assert got == ["z", "a"], got
db.big.insert_many([{"n": i, "s": i % 7} for i in range(1000)], ordered=False)
cur = db.big.find({}, {"_id": 0}, batch_size=100).sort([("s", 1), ("n", -1)])
rows = [(d["s"], -d["n"]) for d in cur]
assert len(rows) == 1000 and rows == sorted(rows), rows[:5]
assert db.big.count_documents({"s": 3, "n": {"$gte": 500}}) == 72
PYEOF

check "deviation: a string _id is refused" $PY - "$CONGO_URI" <<'PYEOF'
import sys, pymongo
db = pymongo.MongoClient(sys.argv[1]).congo_check
try:
    db.s.insert_one({"_id": "text"})
except pymongo.errors.PyMongoError:
    sys.exit(0)
sys.exit("a string _id was stored: the peer now follows MongoDB; update README and this test")
PYEOF
check "deviation: a unique index is not enforced by insert" $PY - "$CONGO_URI" <<'PYEOF'
import sys, pymongo
db = pymongo.MongoClient(sys.argv[1]).congo_check
db.u.drop(); db.u.create_index("k", unique=True)
db.u.insert_one({"k": 1})
try:
    db.u.insert_one({"k": 1})
except pymongo.errors.DuplicateKeyError:
    sys.exit("the unique index was enforced: the peer now follows MongoDB; update README and this test")
assert db.u.count_documents({"k": 1}) == 2
PYEOF

# curate's own MongoDB paths through it
check "init" "$CURATE" init
check "import a program" "$CURATE" import-program json "$ROOT/tests/fixtures/programs/golden_state.json" --use
check_rc "export mongo (upsert)" 0 "$CURATE" export mongo --uri "$CONGO_URI" --database congo_check
has "inserted" "^inserted chat_analyzer_optimizer in congo_check.dspy_optimizers" "$WORK/out"
check_rc "export mongo again (replace)" 0 "$CURATE" export mongo --uri "$CONGO_URI" --database congo_check
has "replaced" "^replaced chat_analyzer_optimizer" "$WORK/out"
check "import-program mongo" "$CURATE" import-program mongo --uri "$CONGO_URI" --database congo_check
check "export json of it" "$CURATE" export json --program 2 -o "$WORK/p2.json"
check "json -> congo -> json byte-identical" cmp "$WORK/p2.json" "$ROOT/tests/fixtures/programs/golden_state.json"
finish
