#!/bin/bash
# The search index end to end: `curate index` (status, fill, rebuild,
# usage errors, Ctrl-C keeps what is done), the same answers from `curate
# list --search` before, during and after indexing, a changed conversation
# re-imported into an indexed pool, and the workbench's background indexer.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"
cd "$WORK"

# A pool big enough for several indexing transactions (about 16,000
# messages each): 3,000 conversations of 12 messages.
python3 - >big.jsonl <<'PY'
import json
words = ["Lisbon tour", "REFUND please", "Sintra on Friday", "Porto wine", "ça va",
         "50% off", "under_score", "quote \"x\"", "東京", "late again"]
for i in range(3000):
    msgs = [{"ts": 1714557600 + k * 60, "from": "A" if k % 2 else "B",
             "role": "seller" if k % 2 else "customer",
             "text": "msg %d of conversation %d: %s" % (k, i, words[(i + k * 3) % 10])}
            for k in range(12)]
    print(json.dumps({"id": "k%05d" % i, "seller_id": "S-%d" % (i % 7), "messages": msgs}))
PY
check_rc "import" 0 "$CURATE" import big.jsonl
has "import says the index waits" '^search index: 3000 conversations not indexed yet \(`curate index`' "$WORK/out"
check_rc "status of a fresh import" 0 "$CURATE" index --status
has "nothing indexed yet" '^search index: 0 of 3000 conversations indexed \(run `curate index`\)' "$WORK/out"

terms=("lisbon" "Refund" "ça va" "50% off" "under_score" "quote \"x\"" "東京" "S-3" "k0042" "of conversation 29" "zz-absent" "li")
answers() {
  local t
  for t in "${terms[@]}"; do
    echo "== $t"
    "$CURATE" list --search "$t" --limit 100000 --sort messages --desc | md5sum
    "$CURATE" list --search "$t" --filter seller=S-2 --limit 5
  done
}
answers >scan.txt
# Sanity of the oracle itself: counts a grep of the file agrees with.
n_lisbon=$("$CURATE" list --search lisbon --limit 100000 | tail -n +2 | wc -l)
eq "lisbon matches what grep counts" "$n_lisbon" "$(grep -ci 'lisbon' big.jsonl)"

check_rc "stats before" 0 "$CURATE" stats
has "stats shows the index waiting" '^search index: 0 of 3000 conversations \(run `curate index`\)$' "$WORK/out"
check_rc "index" 0 "$CURATE" index
has "index reports" '^search index: 3000 conversations indexed in [0-9.]+ s; 3000 of 3000 covered' "$WORK/out"
check_rc "status when caught up" 0 "$CURATE" index --status
has "all indexed" '^search index: 3000 of 3000 conversations indexed$' "$WORK/out"
check_rc "index again: nothing to do" 0 "$CURATE" index
has "nothing to do" '^search index: 0 conversations indexed' "$WORK/out"
answers >indexed.txt
if cmp -s scan.txt indexed.txt; then pass "indexed answers = scan answers"
else fail "indexed answers = scan answers" "$(diff scan.txt indexed.txt | head -5)"; fi
eq "the index answers lisbon by itself" \
  "$(sql "SELECT count(*) FROM conv_search WHERE conv_search MATCH '\"lisbon\"'")" "$n_lisbon"

# A changed conversation re-imported: its old words leave the index.
printf '%s\n' '{"id": "k00042", "seller_id": "S-NEW", "messages": [{"ts": 1714557600, "from": "B", "role": "customer", "text": "Madeira levada walk"}]}' >change.jsonl
check_rc "re-import a changed conversation" 0 "$CURATE" import change.jsonl
has "reported changed" '1 changed' "$WORK/out"
hasnt "an indexed conversation needs no catching up" 'not indexed yet' "$WORK/out"
check_rc "new words found" 0 "$CURATE" list --search levada
has "k00042 by its new words" '^k00042 +S-NEW' "$WORK/out"
eq "old words gone" "$("$CURATE" list --search 'of conversation 42:' | tail -n +2 | wc -l)" "0"
check_rc "fts integrity" 0 sql "INSERT INTO conv_search(conv_search) VALUES('integrity-check')"

check_rc "rebuild" 0 "$CURATE" index --rebuild
has "rebuild indexes all" '^search index: 3000 conversations indexed' "$WORK/out"
check_rc "levada after rebuild" 0 "$CURATE" list --search levada
has "still found" '^k00042' "$WORK/out"

check_rc "usage: both flags" 2 "$CURATE" index --status --rebuild
has "says why" 'exclude each other' "$WORK/out"
check_rc "usage: stray argument" 2 "$CURATE" index now
check_rc "help" 0 "$CURATE" index --help
has "help text" '^usage: curate index' "$WORK/out"

# Ctrl-C (SIGINT) stops after the current transaction and keeps what is
# done: exit 130, the index covers a prefix, the rest still by a scan.
check_rc "rebuild again" 0 "$CURATE" index --rebuild
sql "INSERT INTO conv_search(conv_search) VALUES('delete-all'); UPDATE search_state SET upto = 0"
answers >scan2.txt   # the oracle again, now that k00042 has changed
"$CURATE" index >int.out 2>&1 &
ipid=$!
for _ in $(seq 200); do
  [ "$(sql 'SELECT upto FROM search_state')" != 0 ] && break
  sleep 0.01
done
kill -INT $ipid
wait $ipid
rc=$?
if [ $rc -eq 130 ]; then
  pass "interrupted index exits 130"
  has "says interrupted" 'indexed in [0-9.]+ s \(interrupted\)' int.out
  covered=$(sql 'SELECT upto FROM search_state')
  if [ "$covered" -gt 0 ] && [ "$covered" -lt 3000 ]; then pass "a prefix is kept ($covered)"
  else fail "a prefix is kept" "upto $covered"; fi
elif [ $rc -eq 0 ]; then
  # The machine indexed everything before the signal arrived: nothing to
  # check about interruption, and nothing wrong.
  pass "index finished before the signal (exit 0)"
else
  fail "interrupted index exits 130" "exit $rc: $(cat int.out)"
fi
answers >partial.txt
if cmp -s scan2.txt partial.txt; then pass "half-indexed answers = scan answers"
else fail "half-indexed answers = scan answers" "$(diff scan2.txt partial.txt | head -5)"; fi

# kill -9 in the middle: the index keeps whole transactions only.
sql "INSERT INTO conv_search(conv_search) VALUES('delete-all'); UPDATE search_state SET upto = 0"
"$CURATE" index >kill.out 2>&1 &
kpid=$!
for _ in $(seq 200); do
  [ "$(sql 'SELECT upto FROM search_state')" != 0 ] && break
  sleep 0.01
done
kill -9 $kpid 2>/dev/null
wait $kpid 2>/dev/null
eq "pool intact after kill -9" "$(sql 'PRAGMA integrity_check')" "ok"
check_rc "index intact after kill -9" 0 sql "INSERT INTO conv_search(conv_search) VALUES('integrity-check')"
answers >killed.txt
if cmp -s scan2.txt killed.txt; then pass "answers after kill -9 = scan answers"
else fail "answers after kill -9 = scan answers" "$(diff scan2.txt killed.txt | head -5)"; fi

# The workbench fills the index in the background and logs it.
tui_start
for _ in $(seq 100); do
  [ "$(sql 'SELECT upto FROM search_state')" = "$(sql 'SELECT max(cid) FROM conversations')" ] && break
  sleep 0.1
done
eq "workbench caught the index up" "$(sql 'SELECT upto FROM search_state')" "$(sql 'SELECT max(cid) FROM conversations')"
tui_keys L
tui_check "the log says so" "search index: [0-9]+ conversations indexed in"
tui_quit
answers >full2.txt
if cmp -s scan2.txt full2.txt; then pass "answers after the workbench indexed = scan answers"
else fail "answers after the workbench indexed = scan answers" "$(diff scan2.txt full2.txt | head -5)"; fi
check_rc "status after the workbench" 0 "$CURATE" index --status
has "all indexed" '^search index: 3000 of 3000 conversations indexed$' "$WORK/out"
finish
