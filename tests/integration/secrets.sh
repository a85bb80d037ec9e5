#!/bin/bash
# Secrets: after a full run (score with an API key, optimise, export to a
# file, to JSONL and to MongoDB with a password in the URI, the workbench),
# neither the key nor the password is anywhere: pool, WAL, logs, exports,
# outputs, the screen. The pool file is created with mode 0600.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"
cd "$WORK" || exit 1
KEY=sk-live-TOPSECRET-9731
PASS=Mongo-PassW0rd-5521
: >outputs
runq() { "$@" >>outputs 2>&1; }

"$CURATE" demo --reset >/dev/null
eq "pool file is 0600" "$(stat -c %a "$CURATE_DB")" "600"
start_llm --mode demo-aware --require-key "$KEY" --log "$WORK/llm-requests.log" || { fail "llm"; finish; exit 1; }
export CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=secret-model CURATE_LLM_API_KEY=$KEY
check "score with a key" runq "$CURATE" score --all
runq "$CURATE" optimize --seed 3
# The keep-if-better decision may keep no best (a small validation set):
# the exports below need one, whatever it decided.
runq "$CURATE" programs use "$(sql "SELECT max(id) FROM programs")"
eq "optimize ran (exit 0 or 3)" "$(sql "SELECT count(*) FROM runs WHERE kind='optimize' AND status='done'")" "1"
PROG=$(sql "SELECT max(id) FROM programs")   # best or not, by the decision rule
check "export json" runq "$CURATE" export json --program "$PROG" -o state.json
check "export pool" runq "$CURATE" export pool -o pool.jsonl

# MongoDB with a password (SCRAM on the loopback peer).
$PY "$ROOT/tests/peers/mongo_peer.py" --port 0 --portfile mport --dump dump.json \
  --user curate --password "$PASS" >peer.log 2>&1 &
PIDS+=($!)
wait_file mport 10
MURI="mongodb://curate:$PASS@127.0.0.1:$(cat mport)/curate_test?authSource=admin"
check "export mongo with a password" runq env CURATE_MONGO_URI="$MURI" "$CURATE" export mongo --program "$PROG"
check "import-program mongo" runq env CURATE_MONGO_URI="$MURI" "$CURATE" import-program mongo
# A wrong password fails clearly without printing either password.
runq env CURATE_MONGO_URI="mongodb://curate:wrong-$PASS@127.0.0.1:$(cat mport)/curate_test" "$CURATE" export mongo --program "$PROG"
has "auth failure reported" 'uthentication' outputs

# The workbench: the screen never shows the key or the URI's password.
tui_start CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=secret-model CURATE_LLM_API_KEY=$KEY CURATE_MONGO_URI=$MURI
tui_keys x
tui_wait "Actions" 10
tui_screen >screen.txt
tui_keys q
tui_keys Enter
sleep 0.5
tui_screen >>screen.txt
tui_quit

# The key must have reached the server (so the check below means something).
has "key was sent to the endpoint" "Bearer $KEY" llm-requests.log
for f in "$CURATE_DB" "$CURATE_DB-wal" state.json pool.jsonl dump.json outputs screen.txt; do
  [ -e "$f" ] || continue
  hasnt "no API key in $(basename "$f")" "$KEY" <(strings "$f")
  hasnt "no Mongo password in $(basename "$f")" "$PASS" <(strings "$f")
done
sqlite3 "$CURATE_DB" .dump >dump.sql
hasnt "no API key in the SQL dump" "$KEY" dump.sql
hasnt "no Mongo password in the SQL dump" "$PASS" dump.sql
finish
