#!/bin/bash
# export_mongo.sh: `curate export mongo` / `import-program mongo` against the
# loopback MongoDB wire-protocol peer (tests/peers/mongo_peer.py): the BSON
# the server received, upsert then replace, auth / write / dropped-connection
# / slow / unreachable failures (exit 1, clear message, program store
# unchanged, a retry works), SCRAM, the password never printed. With
# MONGODB_URI set, the main path also runs against that real server.
source "$(dirname "$0")/lib.bash"
FIX=$ROOT/tests/fixtures/programs
PEER=$ROOT/tests/peers/mongo_peer.py
cd "$WORK" || exit 1
ALL=$WORK/all_output     # every curate output, grepped for passwords at the end
: >"$ALL"
nprog() { sql "SELECT count(*) FROM programs"; }
# run NAME WANT_RC ARGS...: check_rc that also keeps the output
run() { local n=$1 want=$2; shift 2; check_rc "$n" "$want" "$@"; cat "$WORK/out" >>"$ALL"; }
MPID=""
start_peer() {   # start_peer [ARGS]: sets MPORT; the store is dumped to $WORK/dump.json
  stop_peer
  rm -f "$WORK/mport" "$WORK/dump.json"
  $PY "$PEER" --port 0 --portfile "$WORK/mport" --dump "$WORK/dump.json" "$@" >"$WORK/peer.log" 2>&1 &
  MPID=$!
  PIDS+=("$MPID")
  wait_file "$WORK/mport" 10 || { echo "mongo peer did not start"; cat "$WORK/peer.log"; return 1; }
  MPORT=$(cat "$WORK/mport")
}
stop_peer() { [ -n "$MPID" ] && { kill "$MPID" 2>/dev/null; wait "$MPID" 2>/dev/null; }; MPID=""; }
control() { $PY "$PEER" --control "$MPORT" "$@" >"$WORK/ctl" 2>&1; }
# dump EXPR: python expression over d (the dump) is true
dump() { $PY - "$WORK/dump.json" "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ndocs = sum(len(v) for v in d.values())
assert eval(sys.argv[2]), sys.argv[2]
EOF
}

check "init" "$CURATE" init
check "import the golden program" "$CURATE" import-program json "$FIX/golden_state.json" --use
CREATED=$(sql "SELECT created_at FROM programs WHERE id = 1")

# ---- 1. upsert, the BSON types the server received, then replace
start_peer || exit 1
URI="mongodb://127.0.0.1:$MPORT/?serverSelectionTimeoutMS=3000"
before=$(nprog)
run "export mongo (upsert)" 0 "$CURATE" export mongo --uri "$URI" --database curate_test
has "prints inserted, size and db.collection" "^inserted chat_analyzer_optimizer in curate_test.dspy_optimizers at mongodb://127.0.0.1:$MPORT: program 1, 2 demos, document [0-9]+ bytes" "$WORK/out"
SIZE=$(sed -nE 's/.*document ([0-9]+) bytes.*/\1/p' "$WORK/out")
C='d["curate_test.dspy_optimizers"]'
check "one document with type, state, optimized_at, training_examples" dump \
  "list(d) == ['curate_test.dspy_optimizers'] and len($C) == 1 and list($C[0]) == ['_id', 'type', 'state', 'optimized_at', 'training_examples'] and $C[0]['type'] == 'chat_analyzer_optimizer'"
check "optimized_at is a BSON date (the program's created_at)" dump \
  "$C[0]['optimized_at'] == {'\$date': {'\$numberLong': str($CREATED * 1000)}}"
check "training_examples is an int32 (number of demos)" dump \
  "$C[0]['training_examples'] == {'\$numberInt': '2'}"
check "state is an embedded document: the program state, key order kept" \
  $PY - "$WORK/dump.json" "$FIX/golden_state.json" <<'EOF'
import json, sys
from collections import OrderedDict
d = json.load(open(sys.argv[1]), object_pairs_hook=OrderedDict)
s = d["curate_test.dspy_optimizers"][0]["state"]
g = json.load(open(sys.argv[2]), object_pairs_hook=OrderedDict)
assert isinstance(s, dict) and list(s) == ["analyze.predict", "metadata"]
assert list(s["analyze.predict"]) == ["traces", "train", "demos", "signature", "lm"]
assert s["analyze.predict"]["lm"] is None and s["analyze.predict"]["demos"][0]["augmented"] is True
assert json.dumps(s) == json.dumps(g), "state differs from the exported JSON"
EOF
check "printed size is the BSON size of the document sent" $PY - "$WORK/dump.json" "$SIZE" <<'EOF'
import json, sys
import bson
from bson import json_util
from bson.son import SON
opts = json_util.JSONOptions(document_class=SON)
doc = json_util.loads(open(sys.argv[1]).read(), json_options=opts)["curate_test.dspy_optimizers"][0]
del doc["_id"]
assert len(bson.BSON.encode(doc)) == int(sys.argv[2]), (len(bson.BSON.encode(doc)), sys.argv[2])
EOF
run "export mongo again (replace)" 0 "$CURATE" export mongo --uri "$URI" --database curate_test
has "prints replaced" "^replaced chat_analyzer_optimizer in curate_test.dspy_optimizers" "$WORK/out"
check "still one document" dump "ndocs == 1"
eq "program store unchanged by exports" "$(nprog)" "$before"

# URI from CURATE_MONGO_URI; defaults: database from the URI path, else "curate"
run "CURATE_MONGO_URI, database from the URI" 0 env CURATE_MONGO_URI="mongodb://127.0.0.1:$MPORT/fromuri" "$CURATE" export mongo
check "stored in fromuri.dspy_optimizers" dump "len(d['fromuri.dspy_optimizers']) == 1"
run "default database curate" 0 env CURATE_MONGO_URI="mongodb://127.0.0.1:$MPORT" "$CURATE" export mongo --collection progs --type other_type --program 1
check "stored in curate.progs with the type" dump "d['curate.progs'][0]['type'] == 'other_type'"
run "no URI is a usage error" 2 "$CURATE" export mongo
has "says how to give one" "CURATE_MONGO_URI" "$WORK/out"

# ---- 2. import-program mongo: the load_optimizer side
run "import-program mongo" 0 "$CURATE" import-program mongo --uri "$URI" --database curate_test
has "prints the id" "^program 2: imported from curate_test.dspy_optimizers type chat_analyzer_optimizer" "$WORK/out"
eq "created_at from optimized_at" "$(sql "SELECT created_at, metric, is_best FROM programs WHERE id = 2")" "$CREATED|imported|0"
check "export json of it" "$CURATE" export json --program 2 -o "$WORK/p2.json"
check "json -> mongo -> import -> json byte-identical" cmp "$WORK/p2.json" "$FIX/golden_state.json"
run "import-program mongo --use --type other_type" 0 "$CURATE" import-program mongo --uri "mongodb://127.0.0.1:$MPORT" --collection progs --type other_type --use
eq "made best" "$(sql "SELECT id FROM programs WHERE is_best")" "3"
before=$(nprog)
run "import of a missing type fails" 1 "$CURATE" import-program mongo --uri "$URI" --database curate_test --type nope
has "says so" "no document with type \"nope\" in curate_test.dspy_optimizers" "$WORK/out"
eq "nothing stored" "$(nprog)" "$before"

# A document written by the Python side (pymongo, numbers in demos, a datetime)
check "python writes a document" $PY - "$MPORT" "$FIX/dspy26_state.json" <<'EOF'
import datetime, json, sys
from collections import OrderedDict
import pymongo
c = pymongo.MongoClient("127.0.0.1", int(sys.argv[1]), serverSelectionTimeoutMS=3000)
state = json.load(open(sys.argv[2]), object_pairs_hook=OrderedDict)
state["analyze.predict"]["demos"][1]["overall_seller_score"] = 12  # BSON ints are 64-bit
c.curate_test.dspy_optimizers.replace_one(
    {"type": "from_python"},
    {"type": "from_python", "state": state,
     "optimized_at": datetime.datetime(2024, 5, 1, 10, 2, 3), "training_examples": 2},
    upsert=True)
EOF
run "import-program mongo of the python document" 0 "$CURATE" import-program mongo --uri "$URI" --database curate_test --type from_python
id=$(sql "SELECT max(id) FROM programs")
eq "optimized_at kept" "$(sql "SELECT created_at FROM programs WHERE id = $id")" "1714557723"
check "export it" "$CURATE" export json --program "$id" -o "$WORK/py.json"
check "numbers stay numbers (as DSPy keeps them), str() in the prompt" $PY -c "
import json
d = json.load(open('$WORK/py.json'))['analyze.predict']['demos']
assert d[0]['responsiveness_score'] == 8.5, d[0]
assert d[0]['customer_negative_score'] == 7 and d[0]['conversational_trend_score'] == 8.0, d[0]
assert d[0]['overall_seller_score'] == 1e-05 and d[1]['reasoning'] == 42, d
assert d[1]['customer_negative_score'] == 0 and d[1]['score_rationale'] == 0.1, d[1]
assert d[1]['overall_seller_score'] == 12 and d[1]['conversational_trend_score'] == 1e+16, d[1]
"
# a state for another signature in MongoDB is refused
check "python writes another signature" $PY - "$MPORT" "$FIX/other_signature.json" <<'EOF'
import json, sys
import pymongo
c = pymongo.MongoClient("127.0.0.1", int(sys.argv[1]), serverSelectionTimeoutMS=3000)
c.curate_test.dspy_optimizers.replace_one(
    {"type": "other_sig"}, {"type": "other_sig", "state": json.load(open(sys.argv[2]))},
    upsert=True)
EOF
before=$(nprog)
run "import of another signature refused" 1 "$CURATE" import-program mongo --uri "$URI" --database curate_test --type other_sig
has "names the field" "state is for another signature: field 4 is 'Sentiment Score:'" "$WORK/out"
eq "nothing stored" "$(nprog)" "$before"

# ---- 3. failures: exit 1, clear message, nothing stored anywhere; a retry works
for spec in "auth|authentication failed: Authentication failed" \
            "write|duplicate key: E11000 duplicate key error" \
            "writeerror|duplicate key: E11000 duplicate key error" \
            "drop|connection to the server lost or timed out: Failed to send \"update\""; do
  mode=${spec%%|*} msg=${spec#*|}
  control --reset
  control --fail "$mode"
  before=$(nprog)
  run "export under --fail $mode fails" 1 "$CURATE" export mongo --uri "$URI" --database curate_test
  has "--fail $mode: clear message" "replace_one into curate_test.dspy_optimizers failed: $msg" "$WORK/out"
  check "--fail $mode: the server stored nothing" dump "ndocs == 0"
  eq "--fail $mode: program store unchanged" "$(nprog)" "$before"
  control --fail none
  run "--fail $mode: a retry works" 0 "$CURATE" export mongo --uri "$URI" --database curate_test
  has "--fail $mode: retry inserted" "^inserted " "$WORK/out"
done
control --fail auth
before=$(nprog)
run "import-program under --fail auth fails" 1 "$CURATE" import-program mongo --uri "$URI" --database curate_test
has "import auth message" "find_one in curate_test.dspy_optimizers failed: authentication failed" "$WORK/out"
eq "import failure stores nothing" "$(nprog)" "$before"
control --fail none
# one dropped connection, then a rerun lands
control --reset
control --fail drop --fail-times 1
run "one dropped connection fails" 1 "$CURATE" export mongo --uri "$URI" --database curate_test
run "the rerun lands" 0 "$CURATE" export mongo --uri "$URI" --database curate_test
check "stored once" dump "ndocs == 1"
# slow server: a short socketTimeoutMS in the URI times out; the default does not
control --fail slow --delay-ms 400
run "slow server with socketTimeoutMS=100 fails" 1 "$CURATE" export mongo --uri "mongodb://127.0.0.1:$MPORT/?socketTimeoutMS=100" --database curate_test
has "timeout message" "lost or timed out" "$WORK/out"
run "slow server with defaults works" 0 "$CURATE" export mongo --uri "mongodb://127.0.0.1:$MPORT/" --database curate_test
control --fail none --delay-ms 0

# ---- 4. SCRAM authentication; the password is never printed
PW='s3cr=t,x!Pw'
PWENC='s3cr%3Dt%2Cx%21Pw'
start_peer --user alice --password "$PW" || exit 1
run "SCRAM with the right password" 0 "$CURATE" export mongo --uri "mongodb://alice:$PWENC@127.0.0.1:$MPORT/?authSource=admin" --database curate_test
has "URI shown redacted" "at mongodb://\*\*\*@127.0.0.1:$MPORT: program [0-9]+, " "$WORK/out"
run "SCRAM import" 0 "$CURATE" import-program mongo --uri "mongodb://alice:$PWENC@127.0.0.1:$MPORT/" --database curate_test
has "import note redacted" "at mongodb://\*\*\*@127.0.0.1:$MPORT " "$WORK/out"
hasnt "the note in the store holds no password" "s3cr" <(sql "SELECT note FROM programs")
before=$(nprog)
run "wrong password fails" 1 "$CURATE" export mongo --uri "mongodb://alice:hunter2wrong@127.0.0.1:$MPORT/" --database curate_test
has "says authentication failed" "authentication failed" "$WORK/out"
run "no credentials: unauthorized" 1 "$CURATE" export mongo --uri "mongodb://127.0.0.1:$MPORT/" --database curate_test
has "says not authorized" "not authorized: command update requires authentication" "$WORK/out"
run "wrong password import fails" 1 env CURATE_MONGO_URI="mongodb://alice:hunter2wrong@127.0.0.1:$MPORT/" "$CURATE" import-program mongo --database curate_test
eq "auth failures store nothing" "$(nprog)" "$before"
run "an invalid URI with a password" 1 "$CURATE" export mongo --uri "mongodb://alice:hunter2wrong@/x?bad=1"
has "says invalid" "not a valid MongoDB URI" "$WORK/out"

# ---- 5. unreachable: fails within seconds even without timeouts in the URI
stop_peer
t0=$(date +%s)
run "unreachable server fails" 1 "$CURATE" export mongo --uri "mongodb://alice:hunter2wrong@127.0.0.1:$MPORT/" --database curate_test
t1=$(date +%s)
[ $((t1 - t0)) -le 10 ] && pass "unreachable fails within 10 s ($((t1 - t0)) s)" || fail "unreachable took $((t1 - t0)) s"
has "says it cannot reach the server" "cannot reach the server" "$WORK/out"
run "unreachable import fails" 1 "$CURATE" import-program mongo --uri "mongodb://127.0.0.1:$MPORT/"
eq "program store unchanged" "$(nprog)" "$before"

# ---- 6. issue 15: libmongoc (and libcurl) are loaded by the commands that
# use them, not linked: a curate killed while starting can no longer leave
# a /dev/shm/mongoc-PID behind (a linked libmongoc mapped it before main).
if ldd "$CURATE" | grep -qE 'libmongoc|libbson|libcurl'; then
  fail "curate links libmongoc/libcurl" "$(ldd "$CURATE" | grep -E 'libmongoc|libbson|libcurl')"
else
  pass "curate links neither libmongoc nor libcurl"
fi
# The export itself removes the counters' name at once: killed while it
# waits for the server, it leaves none behind.
"$CURATE" export mongo --database curate_test \
  --uri "mongodb://127.0.0.1:$MPORT/?serverSelectionTimeoutMS=5000" >/dev/null 2>&1 &
KP=$!
sleep 1.5
kill -9 "$KP" 2>/dev/null; wait "$KP" 2>/dev/null
[ ! -e "/dev/shm/mongoc-$KP" ] && pass "a killed export leaves no /dev/shm/mongoc-PID" \
  || { fail "a killed export left /dev/shm/mongoc-$KP"; rm -f "/dev/shm/mongoc-$KP"; }

# The password, raw or encoded, never appears in anything curate printed
hasnt "no password in any output" "s3cr|hunter2|$PWENC" "$ALL"

# ---- 6. a real server, when MONGODB_URI is set
if [ -n "${MONGODB_URI:-}" ]; then
  T="curate_it_$$"
  run "real server: export" 0 "$CURATE" export mongo --uri "$MONGODB_URI" --database curate_test --type "$T"
  has "real server: inserted" "^inserted $T in curate_test.dspy_optimizers" "$WORK/out"
  run "real server: export again" 0 "$CURATE" export mongo --uri "$MONGODB_URI" --database curate_test --type "$T"
  has "real server: replaced" "^replaced $T" "$WORK/out"
  run "real server: import" 0 "$CURATE" import-program mongo --uri "$MONGODB_URI" --database curate_test --type "$T"
  id=$(sql "SELECT max(id) FROM programs")
  check "real server: export json" "$CURATE" export json --program "$id" -o "$WORK/real.json"
  check "real server: round trip byte-identical" cmp "$WORK/real.json" "$FIX/golden_state.json"
  check "real server: BSON types" $PY - "$MONGODB_URI" "$T" <<'EOF'
import datetime, sys
import pymongo
c = pymongo.MongoClient(sys.argv[1], serverSelectionTimeoutMS=5000)
coll = c.curate_test.dspy_optimizers
doc = coll.find_one({"type": sys.argv[2]})
assert isinstance(doc["optimized_at"], datetime.datetime)
assert type(doc["training_examples"]) is int and doc["training_examples"] == 2
assert list(doc["state"]) == ["analyze.predict", "metadata"]
coll.delete_many({"type": sys.argv[2]})
EOF
  PW_REAL=$($PY -c "import sys, urllib.parse as u; print(u.unquote(u.urlsplit(sys.argv[1]).password or ''))" "$MONGODB_URI")
  if [ -n "$PW_REAL" ]; then
    if grep -qF -- "$PW_REAL" "$ALL"; then fail "real server: password printed"; else pass "real server: password never printed"; fi
  fi
else
  echo "MONGODB_URI not set: real-server checks skipped"
fi

finish
