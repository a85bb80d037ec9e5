#!/bin/bash
# The headless pool commands end to end: init, import (JSONL + WhatsApp),
# stats, list, show, label, edge, backup, bad input and exit codes.
source "$(dirname "$0")/lib.bash"
cd "$WORK"

check_rc "version" 0 "$CURATE" --version
has "version prints" '^curate [0-9]' "$WORK/out"
check_rc "help" 0 "$CURATE" --help
check_rc "unknown command is a usage error" 2 "$CURATE" frobnicate
check_rc "init" 0 "$CURATE" init
eq "pool is 0600" "$(stat -c %a "$CURATE_DB")" "600"

cat >conv.jsonl <<'J'
{"id": "c1", "seller_id": "S-LIS", "messages": [{"ts": "2024-05-01T10:00:00Z", "from": "John", "role": "customer", "text": "Hi, is the Sintra tour available on Friday?"}, {"ts": 1714557900, "from": "Ana", "role": "seller", "text": "Yes! 2 seats left."}]}
{"id": "c2", "seller_id": "S-POR", "messages": [{"ts": "2024-05-02T09:00:00Z", "from": "Mia", "role": "customer", "text": "Still waiting for my refund"}, {"ts": "2024-05-02T15:00:00Z", "from": "Rui", "role": "seller", "text": "Sorry, checking."}], "meta": {"channel": "whatsapp"}}
J
check_rc "import jsonl" 0 "$CURATE" import conv.jsonl
has "import reports counts" '2 conversations \(2 new, 0 changed, 0 unchanged\), 4 messages' "$WORK/out"
check_rc "re-import changes nothing" 0 "$CURATE" import conv.jsonl
has "re-import reports unchanged" '\(0 new, 0 changed, 2 unchanged\)' "$WORK/out"
eq "messages stored once" "$(sql 'SELECT count(*) FROM messages')" "4"

# A malformed file: FILE:LINE message, non-zero exit, nothing stored.
cat >bad.jsonl <<'J'
{"id": "c3", "seller_id": "S", "messages": [{"ts": "2024-05-01T10:00:00Z", "from": "a", "role": "customer", "text": "x"}]}
{"id": "c4", "seller_id": "S", "messages": [{"ts": "2024-05-01T10:00:00Z", "from": "a", "role": "buyer", "text": "x"}]}
J
check_rc "malformed jsonl fails" 1 "$CURATE" import bad.jsonl
has "error names file and line" 'bad\.jsonl:2:' "$WORK/out"
eq "nothing from the bad file" "$(sql "SELECT count(*) FROM conversations WHERE id IN ('c3','c4')")" "0"

wa=$ROOT/tests/fixtures/whatsapp/android_24h_dmy.txt
check_rc "whatsapp without --seller lists participants" 1 "$CURATE" import "$wa"
has "participants named" 'Participants:.*"Ana \(Travel Co\)"' "$WORK/out"
check_rc "whatsapp import" 0 "$CURATE" import --seller "Ana (Travel Co)" --seller-id S-ANA "$wa"
wid=$(sql "SELECT id FROM conversations WHERE seller_id = 'S-ANA'")
has "whatsapp id is stable hash" '^wa-[0-9a-f]{16}$' <(echo "$wid")
eq "whatsapp roles" "$(sql "SELECT count(DISTINCT role) FROM messages m JOIN conversations c USING(cid) WHERE c.id='$wid'")" "3"
check_rc "whatsapp re-import unchanged" 0 "$CURATE" import --seller "Ana (Travel Co)" --seller-id S-ANA "$wa"
has "whatsapp unchanged" '1 unchanged' "$WORK/out"
check_rc "whatsapp bad date" 1 "$CURATE" import --seller x "$ROOT/tests/fixtures/whatsapp/bad_date.txt"
has "whatsapp bad date names line" 'bad_date\.txt:[0-9]+: bad date' "$WORK/out"
sqlite3 "$CURATE_DB" "DELETE FROM messages WHERE cid IN (SELECT cid FROM conversations WHERE seller_id='S-ANA'); DELETE FROM conversations WHERE seller_id='S-ANA'"

check_rc "stats" 0 "$CURATE" stats
has "stats counts" 'conversations 2  messages 4' "$WORK/out"
check_rc "list" 0 "$CURATE" list
has "list shows c2" '^c2 +S-POR' "$WORK/out"
check_rc "list bad filter" 2 "$CURATE" list --filter nonsense
check_rc "show" 0 "$CURATE" show c1
has "show transcript" 'Customer \(John\): Hi, is the Sintra tour' "$WORK/out"
check_rc "show unknown id" 1 "$CURATE" show nope
has "show names the id" "no conversation 'nope'" "$WORK/out"

check_rc "show hostile id" 1 "$CURATE" show $'evil\e]52;c;aGk=\a\e[2J'
hasnt "error carries no raw ESC" $'\e' "$WORK/out"
has "error shows a placeholder" 'evil␛\]52' "$WORK/out"

check_rc "label without model scores needs --set" 1 "$CURATE" label c1
check_rc "label" 0 "$CURATE" --reviewer alice label c1 --set responsiveness_score=9 \
  --set customer_negative_score=1 --set conversational_trend_score=8 --note "quick"
has "label reports overall" 'label #1 corrected by alice, overall 8.70' "$WORK/out"
check_rc "label unknown field" 2 "$CURATE" label c1 --set speed=3
has "label lists fields" 'fields: responsiveness_score' "$WORK/out"
check_rc "label non-number" 2 "$CURATE" label c1 --set responsiveness_score=seven
check_rc "label bad status" 2 "$CURATE" label c1 --status maybe
# A second reviewer never silently supersedes the first: it is said (both
# labels stay in the history).
check_rc "second reviewer" 0 "$CURATE" --reviewer bob label c1 --set responsiveness_score=7 \
  --set customer_negative_score=1 --set conversational_trend_score=8
has "says alice labeled it too" "note: alice labeled c1 too \\(label #1, kept\\)" "$WORK/out"
check_rc "another reviewer cannot undo bob's label" 1 "$CURATE" --reviewer carol label c1 --undo
has "says there is nothing of theirs" "nothing of carol's to undo on c1" "$WORK/out"
check_rc "undo" 0 "$CURATE" --reviewer bob label c1 --undo
has "undo says what" "undone: corrected label #2 of c1" "$WORK/out"
eq "history keeps both" "$(sql 'SELECT group_concat(reviewer) FROM labels ORDER BY id')" "alice,bob"
eq "current label is alice's" "$(sql 'SELECT human_overall FROM conversations WHERE id="c1"')" "8.7"
check_rc "skip" 0 "$CURATE" label c2 --status skipped
eq "skipped status" "$(sql 'SELECT status FROM conversations WHERE id="c2"')" "3"

check_rc "edge" 0 "$CURATE" edge c2 --note "refund threat"
check_rc "list edge" 0 "$CURATE" list --filter edge
has "edge listed" '^c2 ' "$WORK/out"
check_rc "edge off" 0 "$CURATE" edge c2 --off
eq "edge off stored" "$(sql 'SELECT edge FROM conversations WHERE id="c2"')" "0"
eq "edge history kept" "$(sql 'SELECT count(*) FROM edge_marks')" "2"

check_rc "backup" 0 "$CURATE" backup "$WORK/b.db"
eq "backup has data" "$(sqlite3 "$WORK/b.db" 'SELECT count(*) FROM labels')" "3"
check_rc "backup refuses to overwrite" 1 "$CURATE" backup "$WORK/b.db"

# A pool from a newer curate: clear message, untouched.
cp "$CURATE_DB" newer.db; sqlite3 newer.db 'PRAGMA user_version=42'
check_rc "newer pool refused" 1 "$CURATE" --db newer.db stats
has "newer pool message" 'newer curate' "$WORK/out"
eq "newer pool untouched" "$(sqlite3 newer.db 'PRAGMA user_version')" "42"

# Read-only pool: clear message, no write.
mkdir ro && cp "$CURATE_DB" ro/p.db && chmod 0444 ro/p.db && chmod 0555 ro
if [ "$(id -u)" != 0 ]; then
  check_rc "read-only pool" 1 "$CURATE" --db ro/p.db label c1 --set responsiveness_score=1
fi
chmod 0755 ro

# Custom rubric from a file; a broken one is a usage error naming the field.
cat >r.json <<'J'
{"instructions": "Rate it.", "fields": [{"name": "conversation", "kind": "input"}, {"name": "speed", "kind": "scre"}]}
J
check_rc "bad rubric" 2 "$CURATE" --rubric r.json stats
has "bad rubric names field" 'r\.json: fields\[1\] \(speed\)\.kind' "$WORK/out"

check_rc "demo" 0 "$CURATE" --db demo.db demo --reset --count 50
eq "demo conversations" "$(sqlite3 demo.db 'SELECT count(*) FROM conversations')" "50"
eq "demo has labels" "$(sqlite3 demo.db 'SELECT count(*) > 5 FROM labels')" "1"
finish
