#!/bin/bash
# tui_files.sh: the workbench's file actions: export the reviewed examples
# as JSONL, import a program state (and a bad one: error shown, nothing
# stored).
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

tui_demo_pool || { fail "demo pool"; finish; exit 1; }
nrev=$(sql "SELECT count(*) FROM conversations WHERE status = 2")
tui_start
tui_keys x
tui_check "menu lists the pool export" "l +Export the reviewed examples as JSONL"
tui_keys l
tui_check "file prompt" "Export reviewed examples to: curate_examples.jsonl"
tui_keys C-u "$WORK/examples.jsonl" Enter
tui_check "pool export done" "Export pool done: 1 of 1"
eq "one line per reviewed conversation" "$(wc -l <"$WORK/examples.jsonl")" "$nrev"
check "lines are DSPy Example dicts" $PY -c "
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    assert list(d)[:2] == ['conversation', 'seller_id'], list(d)
    assert 'responsiveness_score' in d and d['status'] in ('accepted', 'corrected'), d
" "$WORK/examples.jsonl"

printf '{"not": "a program"}' >"$WORK/bad.json"
tui_keys x i
tui_check "import prompt" "Import program state \\(DSPy JSON\\):"
tui_keys "$WORK/bad.json" Enter
tui_check "bad state reported" "Import program failed"
eq "nothing stored" "$(sql "SELECT count(*) FROM programs")" "0"
tui_keys x i "$ROOT/tests/fixtures/programs/golden_state.json" Enter
tui_check "import done" "Import program done: 1 of 1"
eq "program stored" "$(sql "SELECT count(*) FROM programs")" "1"
tui_keys L
tui_check "log names the program" "program 1: imported from .*golden_state.json"
tui_quit

# ---- import from MongoDB (the loopback wire peer) ----
$PY "$ROOT/tests/peers/mongo_peer.py" --port 0 --portfile "$WORK/mport" >"$WORK/peer.log" 2>&1 &
PIDS+=($!)
wait_file "$WORK/mport" 10 || { fail "mongo peer"; finish; exit 1; }
MURI="mongodb://127.0.0.1:$(cat "$WORK/mport")/curate_test"
check "a state in MongoDB" env CURATE_MONGO_URI="$MURI" "$CURATE" export mongo --program 1
tui_start CURATE_MONGO_URI="$MURI"
tui_keys x
tui_check "menu lists the MongoDB import" "g +Import the program state from MongoDB"
tui_keys g
tui_check "mongo import done" "Import MongoDB done: 1 of 1"
eq "second program stored" "$(sql "SELECT count(*) FROM programs")" "2"
eq "same demos as exported" "$(sql "SELECT n_demos FROM programs WHERE id = 2")" "$(sql "SELECT n_demos FROM programs WHERE id = 1")"
tui_quit "mongo run"
finish
