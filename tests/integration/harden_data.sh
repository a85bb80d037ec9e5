#!/bin/bash
# Issue 13, data loss and wrong results, end to end: a file that is not a
# curate pool is refused by every command and left byte-identical; a
# read-only pool can be read; `demo --reset` only empties a demo-made pool
# without human work, inside the database; JSONL NUL / bad escapes /
# repeated keys store nothing; a changed conversation's labels become
# stale; the pool's rubric is recorded and another one refused until
# migrated; dead runs become interrupted, live ones are left alone, SIGHUP
# ends a run cleanly; a failed re-score hides nothing.
source "$(dirname "$0")/lib.bash"
cd "$WORK"

# ---- 1. foreign files: refused, byte-identical, by every command ----
sqlite3 foreign.db 'CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES ("keep me")'
cp foreign.db foreign.orig
printf 'not a database\n' >text.db
cp text.db text.orig
: >empty.db
for f in foreign text empty; do
  for cmd in "stats" "list" "show c1" "label c1 --set responsiveness_score=3" \
             "edge c1" "export json -o $WORK/x.json" "export pool -o $WORK/x.jsonl" \
             "score --all --backend heuristic" "optimize" "programs" "index" \
             "backup $WORK/b-$f.db" "rubric migrate"; do
    # shellcheck disable=SC2086
    "$CURATE" --db $f.db $cmd >"$WORK/out" 2>&1
    rc=$?
    [ $rc -ne 0 ] || fail "$f: $cmd refused" "exit 0"
  done
  # The workbench too (no terminal needed to be refused).
  "$CURATE" --db $f.db </dev/null >"$WORK/out" 2>&1 && fail "$f: workbench refused"
  [ $f = empty ] || has "$f: message" 'not a curate pool' "$WORK/out"
done
check_rc "init refuses a foreign database" 1 "$CURATE" --db foreign.db init
check_rc "import refuses a foreign database" 1 "$CURATE" --db foreign.db import "$ROOT/tests/fixtures/jsonl/travel.jsonl"
has "import says why" 'foreign\.db: not a curate pool \(an SQLite database of something else\); nothing was changed' "$WORK/out"
check_rc "demo refuses a text file" 1 "$CURATE" --db text.db demo --reset
check "foreign.db byte-identical" cmp foreign.db foreign.orig
check "text.db byte-identical" cmp text.db text.orig
eq "empty.db still empty" "$(stat -c %s empty.db)" "0"
eq "no -wal/-shm left" "$(ls foreign.db-* text.db-* 2>/dev/null | wc -l)" "0"
check_rc "stats on a missing pool" 1 "$CURATE" --db missing.db stats
has "says there is none" 'no pool at missing\.db' "$WORK/out"
[ -e missing.db ] && fail "missing.db not created" || pass "missing.db not created"
check_rc "init creates" 0 "$CURATE" --db empty.db init
eq "application_id set" "$(sqlite3 empty.db 'PRAGMA application_id')" "1129665089"

# ---- read-only pool: stats, list, show still work ----
"$CURATE" demo --count 20 >/dev/null
mkdir ro && sqlite3 "$CURATE_DB" ".backup ro/p.db" && sqlite3 ro/p.db 'PRAGMA journal_mode=WAL' >/dev/null
chmod 0444 ro/p.db && chmod 0555 ro
as_other() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
chmod 0755 "$WORK"
cp ro/p.db ro.orig 2>/dev/null || true
for cmd in "stats" "list" "show demo-0001"; do
  # shellcheck disable=SC2086
  if as_other "$CURATE" --db ro/p.db $cmd >"$WORK/out" 2>&1; then pass "read-only: $cmd"; else fail "read-only: $cmd" "$(tail -3 "$WORK/out")"; fi
done
as_other "$CURATE" --db ro/p.db label demo-0001 --set responsiveness_score=1 >"$WORK/out" 2>&1 && fail "read-only label refused" || pass "read-only label refused"
check "read-only pool unchanged" cmp ro/p.db ro.orig
chmod 0755 ro; chmod 0700 "$WORK"

# ---- 2. demo --reset ----
check_rc "demo on a new file" 0 "$CURATE" --db demo.db demo --reset --count 30
check_rc "demo --reset again (make demo's second run)" 0 "$CURATE" --db demo.db demo --reset --count 30
eq "reset, not added to" "$(sqlite3 demo.db 'SELECT count(*) FROM conversations')" "30"
# Another process has the pool open (WAL): the reset happens inside the
# database, so its -wal is not pulled from under it.
$PY - demo.db "$WORK/holder.ready" "$WORK/holder.go" >"$WORK/holder.out" 2>&1 <<'PY' &
import sqlite3, sys, time, os
db = sqlite3.connect(sys.argv[1])
db.execute("SELECT count(*) FROM conversations").fetchone()
open(sys.argv[2], "w").write(str(os.stat(sys.argv[1] + "-wal").st_ino))
while not os.path.exists(sys.argv[3]): time.sleep(0.05)
print(db.execute("PRAGMA integrity_check").fetchone()[0], db.execute("SELECT count(*) FROM conversations").fetchone()[0])
print(os.stat(sys.argv[1] + "-wal").st_ino)
PY
hpid=$!
wait_file "$WORK/holder.ready" 10
check_rc "reset while another process has it open" 0 "$CURATE" --db demo.db demo --reset --count 12
touch "$WORK/holder.go"; wait $hpid
eq "the other process reads the reset pool" "$(head -1 "$WORK/holder.out")" "ok 12"
eq "its -wal is the same file" "$(sed -n 2p "$WORK/holder.out")" "$(cat "$WORK/holder.ready")"
# Human work is never deleted.
id=$(sqlite3 demo.db "SELECT id FROM conversations WHERE pred_id IS NOT NULL AND status = 1 LIMIT 1")
"$CURATE" --db demo.db --reviewer alice label "$id" >/dev/null
check_rc "reset refused with a human label" 1 "$CURATE" --db demo.db demo --reset
has "says why" 'human work is never deleted' "$WORK/out"
eq "alice's label kept" "$(sqlite3 demo.db "SELECT count(*) FROM labels WHERE reviewer = 'alice'")" "1"
check_rc "reset refused on a pool init made" 1 "$CURATE" --db empty.db demo --reset
has "not a demo pool" 'not a pool made by `curate demo`' "$WORK/out"
"$CURATE" --db real.db import "$ROOT/tests/fixtures/jsonl/travel.jsonl" >/dev/null
check_rc "reset refused on an imported pool" 1 "$CURATE" --db real.db demo --reset
eq "imported pool intact" "$(sqlite3 real.db 'SELECT count(*) > 0 FROM conversations')" "1"

# ---- 3. JSONL: NUL, bad escapes, repeated keys store nothing ----
cat >nul.jsonl <<'J'
{"id": "n1", "seller_id": "S", "messages": [{"ts": 0, "from": "a", "role": "customer", "text": "fine"}]}
{"id": "n2", "seller_id": "S", "messages": [{"ts": 0, "from": "a", "role": "customer", "text": "refund of 500\u0000 EUR"}]}
J
check_rc "\\u0000 refused" 1 "$CURATE" import nul.jsonl
has "names line and column" 'nul\.jsonl:2: column [0-9]+: \\u0000 \(NUL\)' "$WORK/out"
printf '%s\n' '{"id": "n3", "seller_id": "S", "messages": [{"ts": 0, "from": "a", "role": "customer", "text": "x\uD83D y"}]}' >sur.jsonl
check_rc "lone surrogate refused" 1 "$CURATE" import sur.jsonl
has "surrogate named" 'sur\.jsonl:1: column [0-9]+: invalid escape \\uD83D' "$WORK/out"
printf '%s\n' '{"id": "n4", "seller_id": "S", "messages": [{"ts": 0, "from": "a", "role": "customer", "text": "x", "text": "y"}]}' >dup.jsonl
check_rc "repeated key refused" 1 "$CURATE" import dup.jsonl
has "key named" 'dup\.jsonl:1: duplicate key "text" in one object' "$WORK/out"
eq "nothing stored" "$(sql "SELECT count(*) FROM conversations WHERE id LIKE 'n%'")" "0"

# ---- 4. stale labels ----
cat >v1.jsonl <<'J'
{"id": "st-1", "seller_id": "S", "messages": [{"ts": 0, "from": "a", "role": "customer", "text": "refund of 500 EUR please"}, {"ts": 60, "from": "b", "role": "seller", "text": "done"}]}
{"id": "st-2", "seller_id": "S", "messages": [{"ts": 0, "from": "a", "role": "customer", "text": "hello"}, {"ts": 60, "from": "b", "role": "seller", "text": "hi"}]}
J
sed 's/refund of 500 EUR please/I loved the tour/' v1.jsonl >v2.jsonl
"$CURATE" import v1.jsonl >/dev/null && "$CURATE" -q score --ids st-1,st-2 --backend heuristic >/dev/null
"$CURATE" label st-1 >/dev/null && "$CURATE" label st-2 >/dev/null && "$CURATE" edge st-1 --note kept >/dev/null
check_rc "re-import of changed content" 0 "$CURATE" import v2.jsonl
has "import names the stale label" '1 conversation changed content; 1 label made on the old content is stale .*: st-1$' "$WORK/out"
check "list" "$CURATE" list --filter all --limit 1000
has "back to review, no human score" '^st-1 +S +2 +[0-9.]+ +- +- +to review +edge' "$WORK/out"
has "the other one still reviewed" '^st-2 .* reviewed' "$WORK/out"
check "show" "$CURATE" show st-1
has "stale label in the history" '#[0-9]+ .* accepted prediction #[0-9]+ of run [0-9]+ \(stale: made on earlier content' "$WORK/out"
has "no current label" '^human: not reviewed' "$WORK/out"
check "export pool --reviewed" "$CURATE" export pool --reviewed -o "$WORK/ex.jsonl"
hasnt "stale label not exported" 'loved the tour' "$WORK/ex.jsonl"
has "current label exported" '"seller_id": ?"S"[,}]' "$WORK/ex.jsonl"

# ---- 5. the pool's rubric ----
cat >support.json <<'J'
{"name": "S", "instructions": "Rate the agent.", "fields": [
 {"name": "ticket", "kind": "input", "description": "t"},
 {"name": "empathy_score", "kind": "score", "weight": 1, "description": "e"}]}
J
eq "rubric recorded on first use" "$(sql "SELECT count(*) FROM pool_meta WHERE key = 'rubric'")" "1"
sqlite3 "$CURATE_DB" .dump >before.sql
check_rc "another rubric refused" 1 "$CURATE" --rubric support.json label st-2 --set empathy_score=3
has "names what differs" "labeled under another rubric than support\.json \(.*fields 'ticket', 'empathy_score' only in the new rubric" "$WORK/out"
check_rc "also for reading" 1 "$CURATE" --rubric support.json stats
sqlite3 "$CURATE_DB" .dump >after.sql
check "nothing changed" cmp before.sql after.sql
check "rubric show" "$CURATE" --rubric support.json rubric show
has "prints the pool's rubric" '"name":[[:space:]]*"responsiveness_score"' "$WORK/out"
sqlite3 "$CURATE_DB" ".backup '$WORK/mig.db'"
check "rubric migrate" "$CURATE" --db mig.db --rubric support.json rubric migrate
has "migrate says what changed" "the pool's rubric is now support\.json" "$WORK/out"
check "the new rubric works after migrate" "$CURATE" --db mig.db --rubric support.json stats
check_rc "and the old one is refused" 1 "$CURATE" --db mig.db stats

# ---- 6. runs of dead processes; SIGHUP ----
start_llm --mode good --latency-ms 1500 || { fail "llm server"; finish; exit 1; }
export CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=test-model
running() { sql "SELECT count(*) FROM runs WHERE status = 'running'"; }
wait_running() { local i; for i in $(seq 1 200); do [ "$(running)" = "$1" ] && return 0; sleep 0.05; done; return 1; }
"$CURATE" score --all --no-cache --concurrency 1 >"$WORK/k9.out" 2>&1 &
spid=$!
wait_running 1 || fail "score started"
kill -9 $spid; wait $spid 2>/dev/null
eq "killed run still says running" "$(running)" "1"
check "next open" "$CURATE" list --limit 1
eq "killed run now interrupted" "$(sql "SELECT status FROM runs ORDER BY id DESC LIMIT 1")" "interrupted"
"$CURATE" score --all --no-cache --concurrency 1 >"$WORK/hup.out" 2>&1 &
spid=$!
wait_running 1 || fail "score started again"
check "an open while another process's run is live" "$CURATE" stats
eq "the live run is left alone" "$(running)" "1"
kill -HUP $spid; wait $spid; rc=$?
eq "SIGHUP ends it like Ctrl-C (exit 130)" "$rc" "130"
eq "run marked interrupted by its own process" "$(sql "SELECT status FROM runs ORDER BY id DESC LIMIT 1")" "interrupted"
has "its summary says so" '^run [0-9]+ interrupted' "$WORK/hup.out"

# ---- 7. a failed re-score hides nothing ----
"$CURATE" -q import v1.jsonl >/dev/null
before=$(sql "SELECT printf('%.2f', model_overall) FROM conversations WHERE id = 'st-2'")
llm_control '{"mode": "400", "latency_ms": 0}'
"$CURATE" score --ids st-2 --no-cache --retries 0 >/dev/null 2>&1
eq "a failed prediction was stored" "$(sql "SELECT status FROM predictions ORDER BY id DESC LIMIT 1")" "failed"
eq "queue keeps the usable score" "$(sql "SELECT printf('%.2f', model_overall) FROM conversations WHERE id = 'st-2'")" "$before"
check "show" "$CURATE" show st-2
has "show shows the usable prediction" '^model \(prediction #[0-9]+, heuristic-v1, run [0-9]+, ok\)' "$WORK/out"
check "accepting takes the usable scores" "$CURATE" --reviewer carol label st-2
has "accepted at the usable overall" "accepted by carol.*overall $before" "$WORK/out"
finish
