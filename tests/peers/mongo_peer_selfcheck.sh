#!/bin/bash
# Self-check for tests/peers/mongo_peer.py: builds mongo_peer_selfcheck.c against
# libmongoc, runs it against the peer (handshake, upsert/replace/find, stored BSON
# types in the --dump file), proves --fail auth/write/writeerror/drop/slow give
# clear errors and that a retry then works, checks SCRAM auth (--user), run-time
# control and SIGTERM. Prints "ok" and exits 0, or names the failing check and exits 1.
# Needs: python3-mockupdb, libmongoc-dev, gcc, pkg-config.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
PEER="$HERE/mongo_peer.py"
T=$(mktemp -d)
SRV=""
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in out err; do [ -s "$T/$f" ] && { echo "--- $f:" >&2; head -c 1500 "$T/$f" >&2; }; done
    [ -s "$T/peer.log" ] && { echo "--- peer log:" >&2; tail -20 "$T/peer.log" >&2; }
    exit 1
}

gcc -std=c11 -Wall -Wextra -Werror -O1 -o "$T/selfcheck" "$HERE/mongo_peer_selfcheck.c" \
    $(pkg-config --cflags --libs libmongoc-1.0) 2>"$T/err" || fail "build mongo_peer_selfcheck.c"

start() {   # start [peer args...]: sets SRV and PORT; the store is dumped to $T/dump.json
    stop
    rm -f "$T/port" "$T/dump.json"
    "$PY" "$PEER" --port 0 --portfile "$T/port" --dump "$T/dump.json" --verbose "$@" \
        2>"$T/peer.log" &
    SRV=$!
    for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
    [ -s "$T/port" ] || fail "peer did not write its port file ($*)"
    PORT=$(cat "$T/port")
}
stop() { [ -n "$SRV" ] && { kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; }; SRV=""; }

# run WANT_RC ARGS...: run the C client; stdout -> $T/out, stderr -> $T/err
run() {
    local want=$1; shift
    "$T/selfcheck" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [ "$rc" -eq "$want" ] || fail "selfcheck $* exited $rc, wanted $want"
}
has() { grep -qF -- "$2" "$T/$1" || fail "no '$2' in $1"; }
control() { "$PY" "$PEER" --control "$PORT" "$@" >"$T/ctl" 2>&1 || fail "control $*: $(cat "$T/ctl")"; }
# check NAME EXPR: EXPR over d = the dump file, o = the client's printed document
check() {
    "$PY" - "$T/dump.json" "$T/out" "$2" <<'EOF' || fail "$1"
import json, sys
d = json.load(open(sys.argv[1]))
try:
    o = json.loads(open(sys.argv[2]).read().strip() or "null")
except (OSError, ValueError):
    o = None
ndocs = sum(len(v) for v in d.values())
assert eval("(" + sys.argv[3] + ")"), sys.argv[3]
EOF
}
COLL='d["curate_test.dspy_optimizers"]'
URI_BASE="127.0.0.1:PORT/?serverSelectionTimeoutMS=2000&connectTimeoutMS=2000"
uri() { echo "mongodb://$1${URI_BASE/PORT/$PORT}${2:-}"; }

# ---- 1. normal operation: upsert, replace, find; BSON types in the dump
start
check "initial dump is an empty store" 'd == {}'
run 0 "$PORT"
has err 'replace_one #1 (upsert) reply: { "modifiedCount" : { "$numberInt" : "0" }, "matchedCount" : { "$numberInt" : "0" }, "upsertedCount" : { "$numberInt" : "1" }'
has err 'replace_one #2 (replace) reply: { "modifiedCount" : { "$numberInt" : "1" }, "matchedCount" : { "$numberInt" : "1" }'
check "one document stored" "list(d) == ['curate_test.dspy_optimizers'] and len($COLL) == 1"
check "field order and types" "list($COLL[0]) == ['_id', 'type', 'state', 'optimized_at', 'training_examples']
    and set($COLL[0]['_id']) == {'\$oid'}
    and $COLL[0]['type'] == 'chat_analyzer_optimizer'
    and list($COLL[0]['optimized_at']) == ['\$date'] and list($COLL[0]['optimized_at']['\$date']) == ['\$numberLong']
    and $COLL[0]['training_examples'] == {'\$numberInt': '3'}
    and isinstance($COLL[0]['state'], dict) and list($COLL[0]['state']) == ['analyze.predict', 'metadata']
    and list($COLL[0]['state']['analyze.predict']) == ['traces', 'train', 'demos', 'signature', 'lm']
    and $COLL[0]['state']['analyze.predict']['lm'] is None
    and $COLL[0]['state']['analyze.predict']['demos'][0]['reasoning'] == 'second run'"
check "find returned the stored document" "o == $COLL[0]"
# stateful: the document is still there, so a second run matches instead of upserting
run 2 "$PORT"
has err "matched 1 modified 1 upserted 0, wanted 0 0 1"
check "still one document" "len($COLL) == 1"
control --reset
check "reset empties the store" 'd == {}'
run 0 "$PORT"
grep -q "127.0.0.1:$PORT" "$T/peer.log" || fail "peer log does not name 127.0.0.1:$PORT"

# ---- 2. failure modes: a clear error, nothing stored; after switching back, success
for spec in "auth|Authentication failed. (domain 17, code 18)" \
            "write|E11000 duplicate key error collection: curate_test.dspy_optimizers index: type_1 dup key: { type: \"chat_analyzer_optimizer\" } (domain 17, code 11000)" \
            "writeerror|E11000 duplicate key error collection: curate_test.dspy_optimizers" \
            "drop|Failed to send \"update\" command with database \"curate_test\": Failed to read 4 bytes: socket error or timeout (domain 2, code 4)"; do
    mode=${spec%%|*} msg=${spec#*|}
    start --fail "$mode"
    run 1 "$PORT"
    has err "replace_one #1 (upsert) failed: $msg"
    check "--fail $mode stores nothing" 'ndocs == 0'
    control --fail none
    has ctl '"fail": "none"'
    run 0 "$PORT"
    check "after --fail $mode is switched off the write lands" "len($COLL) == 1"
done

# ---- 3. --fail-times: the first update fails, a retry on the same client succeeds
for mode in drop write auth; do
    start --fail "$mode" --fail-times 1
    run 0 "$PORT" 2
    has err "mongo_peer_selfcheck: retrying"
    check "retry after one $mode lands" "len($COLL) == 1"
done

# ---- 4. slow: replies delayed; a short socketTimeoutMS times out, a long one does not
start --fail slow --delay-ms 300
run 1 "$(uri "" "&socketTimeoutMS=100")"
has err "socket error or timeout"
sleep 0.5   # like a real server, the peer still applies the write the client gave up on
check "a timed-out write still lands" "len($COLL) == 1"
control --reset
t0=$(date +%s%N)
run 0 "$PORT"
elapsed=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$elapsed" -ge 1200 ] || fail "slow mode: 5 replies took only ${elapsed} ms"
control --delay-ms 0
has ctl '"delayMs": 0'

# ---- 5. SCRAM authentication (--user / --password)
start --user alice --password 's3cr=t,x'
run 0 "$(uri 'alice:s3cr%3Dt%2Cx@')"
has err 'upsertedCount" : { "$numberInt" : "1" }'
control --reset
run 0 "$(uri 'alice:s3cr%3Dt%2Cx@' '&authMechanism=SCRAM-SHA-1')"
run 1 "$(uri 'alice:wrong@')"
has err "failed: Authentication failed."
run 1 "$(uri 'bob:s3cr%3Dt%2Cx@')"
has err "failed: Authentication failed."
run 1 "$PORT"
has err "failed: command update requires authentication (domain 17, code 13)"
grep -q "saslContinue admin -> ok" "$T/peer.log" || fail "no successful saslContinue in the peer log"

# ---- 6. SIGTERM: clean exit 0
kill -TERM "$SRV"
for _ in $(seq 100); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.05; done
kill -0 "$SRV" 2>/dev/null && fail "peer still running 5 s after SIGTERM"
wait "$SRV"; rc=$?; SRV=""
[ "$rc" -eq 0 ] || fail "peer exited $rc after SIGTERM"
grep -q "Traceback" "$T/peer.log" && fail "traceback in the peer log"

echo ok
