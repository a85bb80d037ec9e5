#!/bin/bash
# tui_review_model.sh: the review model (issue 12) through the workbench in
# tmux, against the pool's rows:
#  - for each review action, the values on screen just before it equal the
#    rows the pool has just after it (accept, correct by +/-, correct by
#    typing, an untouched save, skip, edge mark, note, undo of each);
#  - the same actions through `curate label` and through the workbench give
#    identical label rows (table-driven);
#  - leaving with unsaved edits asks (q, Esc, n, p, a, Ctrl-C);
#  - undo follows the journal (edge marks included) and the cursor follows;
#  - a second reviewer is asked before superseding;
#  - ids of 1 KiB and more round-trip through import, list, show, label and
#    the workbench.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

tui_demo_pool || { fail "demo pool"; finish; exit 1; }
cp "$CURATE_DB" "$WORK/clean.db"
ids=($(sql "SELECT id FROM conversations WHERE status = 1 ORDER BY id LIMIT 12"))

# The scores panel as "field model yours" lines (numbers as %.2f, - none).
screen_vals() {
  tui_screen >"$WORK/screen"
  $PY - "$WORK/screen" <<'PY'
import re, sys
names = ["Responsiveness", "Customer Negative", "Conversational Trend", "Overall Seller"]
keys = ["responsiveness_score", "customer_negative_score", "conversational_trend_score", "overall_seller_score"]
out = {}
for line in open(sys.argv[1], encoding="utf-8"):
    right = line.split("\u2502", 1)[-1]
    for n, k in zip(names, keys):
        m = re.search(re.escape(n) + r"[^0-9-]*\s(-|[0-9]+(?:\.[0-9]+)?)!?\s+(-|[0-9]+(?:\.[0-9]+)?)\*?(?:\s|$)", right)
        if m and k not in out:
            f = lambda s: "-" if s == "-" else "%.2f" % float(s)
            out[k] = (f(m.group(1)), f(m.group(2)))
for k in keys:
    m, y = out.get(k, ("?", "?"))
    print(k, m, y)
PY
}
# One column of screen_vals: model or yours, as "k=v ..." in field order.
col() { awk -v c="$1" '{ printf "%s=%s ", $1, (c == "model" ? $2 : $3) }' "$WORK/vals"; }
# The label row of a conversation (latest, any state) as "k=v ..." + status.
label_row() {
  sql "SELECT 'responsiveness_score=' || printf('%.2f', json_extract(l.scores, '\$.responsiveness_score'))
        || ' customer_negative_score=' || printf('%.2f', json_extract(l.scores, '\$.customer_negative_score'))
        || ' conversational_trend_score=' || printf('%.2f', json_extract(l.scores, '\$.conversational_trend_score'))
        || ' overall_seller_score=' || printf('%.2f', l.overall) || ' '
       FROM labels l JOIN conversations c USING(cid) WHERE c.id = '$1' ORDER BY l.id DESC LIMIT 1"
}
label_status() { sql "SELECT l.status || ' ' || coalesce(l.pred_id, 0) || ' ' || (l.undone_at IS NOT NULL) FROM labels l JOIN conversations c USING(cid) WHERE c.id = '$1' ORDER BY l.id DESC LIMIT 1"; }
cur_pred() { sql "SELECT pred_id FROM conversations WHERE id = '$1'"; }
opened() { tui_wait "^$1 +seller" 10; }

tui_start
tui_check "queue" "1 To review"
tui_keys Enter
opened "${ids[0]}" || fail "opens ${ids[0]}"

# ---- accept: the model column is what is stored, by prediction id ----
screen_vals >"$WORK/vals"
want=$(col model); pid=$(cur_pred "${ids[0]}")
tui_check "screen says which prediction" "prediction #$pid of run [0-9]+"
tui_keys a
opened "${ids[1]}" || fail "accept moves on"
eq "accept: stored = model column on screen" "$(label_row "${ids[0]}")" "$want"
eq "accept: accepted, by prediction id" "$(label_status "${ids[0]}")" "accepted $pid 0"
eq "accept: the prediction's run is stored" "$(sql "SELECT l.run_id = p.run_id FROM labels l JOIN predictions p ON p.id = l.pred_id ORDER BY l.id DESC LIMIT 1")" "1"

# ---- an untouched Enter: accepted, the model's overall (was: corrected, formula) ----
screen_vals >"$WORK/vals"
want_y=$(col yours); want_m=$(col model)
eq "untouched: yours equals the model's values, overall included" "$want_y" "$want_m"
tui_keys Enter
opened "${ids[2]}" || fail "save moves on"
eq "untouched save: stored = yours on screen" "$(label_row "${ids[1]}")" "$want_y"
eq "untouched save is accepted" "$(label_status "${ids[1]}" | cut -d' ' -f1)" "accepted"

# ---- correct by + / - ----
tui_keys j + + -          # customer negative +0.5
sleep 0.2
screen_vals >"$WORK/vals"
want=$(col yours)
tui_keys Enter
opened "${ids[3]}" || fail "save moves on"
eq "correct by +/-: stored = yours on screen" "$(label_row "${ids[2]}")" "$want"
eq "correct by +/-: corrected" "$(label_status "${ids[2]}" | cut -d' ' -f1)" "corrected"

# ---- correct by typing, then a typed overall ----
tui_keys 3 . 2 5 Tab       # Tab commits and moves on (Enter would save)
tui_wait_gone "3\\.25_"
tui_keys j j j 7 Tab
tui_check "typed overall is marked" "7\\.0\\*"
screen_vals >"$WORK/vals"
want=$(col yours)
tui_keys Enter
opened "${ids[4]}" || fail "save moves on"
eq "correct by typing: stored = yours on screen" "$(label_row "${ids[3]}")" "$want"
eq "typed overall stored" "$(sql "SELECT l.overall FROM labels l JOIN conversations c USING(cid) WHERE c.id = '${ids[3]}'")" "7.0"

# ---- skip ----
tui_keys s
opened "${ids[5]}" || fail "skip moves on"
eq "skip: skipped" "$(label_status "${ids[4]}" | cut -d' ' -f1)" "skipped"
eq "skip: no scores stored" "$(sql "SELECT l.overall IS NULL FROM labels l JOIN conversations c USING(cid) WHERE c.id = '${ids[4]}'")" "1"

# ---- edge mark and note ----
tui_keys e
tui_wait "Edge case note"
tui_keys "angry ✈ but fast" Enter
tui_check "edge mark on screen" "edge case: angry ✈ but fast"
eq "edge mark stored as shown" "$(sql "SELECT e.marked || '|' || e.note || '|' || e.reviewer FROM edge_marks e JOIN conversations c USING(cid) WHERE c.id = '${ids[5]}' ORDER BY e.id DESC LIMIT 1")" "1|angry ✈ but fast|tester"
tui_keys N
tui_wait "Note \\(Enter adds"
tui_keys "call back on Monday" Enter
tui_check "note on screen" "note by tester: call back on Monday"
eq "note stored as shown" "$(sql "SELECT n.text || '|' || n.reviewer FROM notes n JOIN conversations c USING(cid) WHERE c.id = '${ids[5]}'")" "call back on Monday|tester"

# ---- undo of each, newest first; each says what it reverted ----
tui_keys u
tui_check "undo note: says so" "undone: note of ${ids[5]}"
eq "undo note: row kept, flagged" "$(sql "SELECT undone_at IS NOT NULL FROM notes ORDER BY id DESC LIMIT 1")" "1"
tui_wait_gone "note by tester"; eq "undo note: gone from the screen" "$?" "0"
tui_keys u
tui_check "undo edge mark: says so" "undone: edge mark of ${ids[5]}"
eq "undo edge mark: not an edge case" "$(sql "SELECT edge FROM conversations WHERE id = '${ids[5]}'")" "0"
tui_keys u
tui_check "undo skip: opens it" "^${ids[4]} +seller"
tui_check "undo skip: says so" "undone: skipped label #[0-9]+ of ${ids[4]}"
eq "undo skip: to review again" "$(sql "SELECT status FROM conversations WHERE id = '${ids[4]}'")" "1"
tui_keys u
tui_check "undo typed correction: opens it" "^${ids[3]} +seller"
eq "undo typed correction: flagged" "$(label_status "${ids[3]}" | cut -d' ' -f3)" "1"
tui_keys u
tui_check "undo +/- correction" "undone: corrected label #[0-9]+ of ${ids[2]}"
tui_keys u
tui_check "undo untouched save" "undone: accepted label #[0-9]+ of ${ids[1]}"
tui_keys u
tui_check "undo accept" "undone: accepted label #[0-9]+ of ${ids[0]}"
tui_check "undo opens the conversation at its place" "^${ids[0]} +seller.*#1( |$)"
eq "every undone row stays in the history" "$(sql "SELECT count(*) FROM labels WHERE reviewer = 'tester' AND undone_at IS NOT NULL")" "5"
eq "the journal records each undo" "$(sql "SELECT count(*) FROM actions WHERE kind = 'undo' AND reviewer = 'tester'")" "7"
tui_keys u
tui_check "nothing more to undo" "nothing of tester's to undo"

# ---- the position after undo (was off by one; next save opened the row above) ----
tui_keys Enter
opened "${ids[1]}" || fail "save after undo opens the next"
tui_check "position after undo and save" "^${ids[1]} +seller.*#1( |$)"
tui_keys u
tui_check "undo again: back on it" "^${ids[0]} +seller.*#1( |$)"
tui_keys Enter
opened "${ids[1]}" || fail "next save opens the next, not the row above"

# ---- u after edge toggles reverts the toggles, not an older label ----
tui_keys e; tui_wait "Edge case note"; tui_keys "x" Enter
tui_check "marked" "marked as an edge case"
tui_keys e
tui_check "unmarked" "is no longer an edge case"
tui_keys u
tui_check "u reverts the unmark" "undone: edge unmark of ${ids[1]}"
eq "the mark is back" "$(sql "SELECT edge FROM conversations WHERE id = '${ids[1]}'")" "1"
eq "the earlier label is untouched" "$(label_status "${ids[0]}" | cut -d' ' -f3)" "0"
tui_keys u
tui_check "u reverts the mark" "undone: edge mark of ${ids[1]}"
eq "no mark" "$(sql "SELECT edge FROM conversations WHERE id = '${ids[1]}'")" "0"

# ---- leaving with unsaved edits asks: save, discard or stay ----
n0=$(sql "SELECT count(*) FROM labels")
for key in q Escape n p a; do
  tui_keys +
  tui_keys "$key"
  tui_check "$key with edits asks" "Unsaved edits to ${ids[1]}: s save yours, d discard"
  tui_keys z
  tui_check "$key: any other key stays" "still here: your edits are kept"
  tui_check "$key: still on it" "^${ids[1]} +seller"
  tui_keys = 
done
eq "nothing was stored meanwhile" "$(sql "SELECT count(*) FROM labels")" "$n0"
tui_keys + a
tui_check "a with edits asks" "d discard and accept the model's"
tui_keys d
opened "${ids[2]}" || fail "d discards and accepts"
eq "a, d: accepted the model's" "$(label_status "${ids[1]}" | cut -d' ' -f1)" "accepted"
tui_keys + q
tui_check "q with edits asks" "Unsaved edits to ${ids[2]}"
screen_vals >"$WORK/vals"; want=$(col yours)
tui_keys s
tui_check "s saves and leaves" "1 To review"
eq "s: stored = yours on screen" "$(label_row "${ids[2]}")" "$want"
# Back in the queue the cursor is on the conversation that was open (its
# place in the list, which it has left: the next one).
tui_check "queue cursor follows" "^. ${ids[3]} "
# Opened at the top, moved on with n n: back in the queue the cursor is on
# the one that was open (was: still on the top row).
tui_keys Enter
opened "${ids[3]}" || fail "opens ${ids[3]}"
tui_keys n; opened "${ids[4]}" || fail "n"
tui_keys n; opened "${ids[5]}" || fail "n n"
tui_keys q
tui_check "queue cursor on the one that was open" "^. ${ids[5]} "
tui_keys g
tui_keys Enter
opened "${ids[3]}" || fail "reopens"
tui_keys +
tui_keys L                 # the log view over the review: still asked
tui_wait "Log"
tui_keys C-c
tui_check "Ctrl-C with edits asks (the review under the log view)" "Unsaved edits to ${ids[3]}"
tui_keys d
for i in $(seq 1 50); do [ -s "$WORK/tui.exit" ] && break; sleep 0.1; done
eq "Ctrl-C, d: quits" "$(cat "$WORK/tui.exit" 2>/dev/null)" "0"
if [ -s "$WORK/tui.err" ]; then fail "stderr clean" "$(head -c 2000 "$WORK/tui.err")"; else pass "stderr clean"; fi

# ---- a second reviewer is asked before superseding ----
tui_start
tui_keys Enter
opened "${ids[3]}" || fail "opens ${ids[3]}"
check_rc "bob labels it meanwhile" 0 "$CURATE" --reviewer bob label "${ids[3]}" --set responsiveness_score=1
tui_keys Enter
tui_check "save says who labeled it since" "bob labeled '${ids[3]}' as corrected .* since you opened it: save yours too"
tui_keys n
tui_check "n: not saved" "not saved: your values are still on screen"
eq "bob's label is current" "$(sql "SELECT reviewer FROM labels ORDER BY id DESC LIMIT 1")" "bob"
tui_keys Enter
tui_wait "save yours too"
tui_keys y
opened "${ids[4]}" || fail "y saves and moves on"
eq "both labels in the history" "$(sql "SELECT group_concat(l.reviewer) FROM labels l JOIN conversations c USING(cid) WHERE c.id = '${ids[3]}' AND l.undone_at IS NULL")" "bob,tester"
tui_keys u
tui_check "tester's undo reverts tester's label" "undone: accepted label #[0-9]+ of ${ids[3]}"
eq "bob's label stays" "$(sql "SELECT reviewer FROM labels l JOIN conversations c USING(cid) WHERE c.id = '${ids[3]}' AND l.undone_at IS NULL")" "bob"
tui_quit "second reviewer"

# ---- the same actions through the CLI and the workbench: identical rows ----
# Each row: conversation, CLI arguments, workbench keys (on the open one).
cp "$WORK/clean.db" "$WORK/cli.db"; cp "$WORK/clean.db" "$CURATE_DB"
rm -f "$CURATE_DB-wal" "$CURATE_DB-shm"
m() { sqlite3 "$WORK/clean.db" "SELECT printf('%g', json_extract(p.scores, '\$.$2')) FROM predictions p JOIN conversations c ON c.pred_id = p.id WHERE c.id = '$1'"; }
plus() { $PY -c "print(min(10.0, $1 + 0.5))"; }
table=(
  "${ids[0]}|--accept|a"
  "${ids[1]}||Enter"
  "${ids[2]}|--set customer_negative_score=$(plus "$(m "${ids[2]}" customer_negative_score)")|j + Enter"
  "${ids[3]}|--set responsiveness_score=3.25|3 . 2 5 Enter"
  "${ids[4]}|--skip|s"
  "${ids[5]}|--set responsiveness_score=$(m "${ids[5]}" responsiveness_score)|$(m "${ids[5]}" responsiveness_score | sed 's/./& /g') Enter"
  "${ids[6]}|--set overall_seller_score=8|k k k k j j j 8 Enter"
  "${ids[7]}|--set responsiveness_score=9 --set overall_seller_score=2.5|9 j j j 2 . 5 Enter"
)
for row in "${table[@]}"; do
  IFS='|' read -r id args keys <<<"$row"
  # shellcheck disable=SC2086
  "$CURATE" --db "$WORK/cli.db" --reviewer tester label "$id" $args >/dev/null 2>"$WORK/cli.err" ||
    fail "cli label $id $args" "$(cat "$WORK/cli.err")"
done
tui_start
tui_keys Enter
for row in "${table[@]}"; do
  IFS='|' read -r id args keys <<<"$row"
  opened "$id" || { fail "workbench opens $id"; break; }
  # shellcheck disable=SC2086
  for k in k k k k $keys; do tui_keys "$k"; done   # from the first field
done
opened "${ids[8]}" || fail "workbench did every row"
tui_quit "table"
q="SELECT c.id, l.reviewer, l.role, l.status, coalesce(l.pred_id, ''), coalesce(l.run_id, ''), l.scores, printf('%.2f', l.overall), coalesce(l.note, '') FROM labels l JOIN conversations c USING(cid) WHERE l.reviewer = 'tester' ORDER BY c.id"
sqlite3 "$WORK/cli.db" "$q" >"$WORK/cli.rows"
sql "$q" >"$WORK/tui.rows"
eq "as many rows as actions" "$(wc -l <"$WORK/tui.rows")" "${#table[@]}"
if cmp -s "$WORK/cli.rows" "$WORK/tui.rows"; then pass "CLI and workbench store identical label rows"
else fail "CLI and workbench store identical label rows" "$(diff "$WORK/cli.rows" "$WORK/tui.rows" | head -20)"; fi
eq "equal to the model's values is accepted (both faces)" "$(sql "SELECT l.status FROM labels l JOIN conversations c USING(cid) WHERE c.id = '${ids[5]}'")" "accepted"

# ---- ids of 1 KiB and more ----
long=$($PY -c "print('id-' + 'é' * 300 + '-' + 'z' * 600)")
mid=$($PY -c "print('m' * 202)")
$PY - "$long" "$mid" >"$WORK/long.jsonl" <<'PY'
import json, sys
for cid in sys.argv[1:]:
    print(json.dumps({"id": cid, "seller_id": "S-LONG", "messages": [
        {"ts": 1700000000, "from": "c", "role": "customer", "text": "where is my refund"},
        {"ts": 1700000060, "from": "s", "role": "seller", "text": "on its way"}]}))
PY
eq "the long id is over 1 KiB" "$([ "$(printf %s "$long" | wc -c)" -gt 1024 ] && echo yes)" "yes"
check_rc "import long ids" 0 "$CURATE" import "$WORK/long.jsonl"
eq "stored whole" "$(sql "SELECT count(*) FROM conversations WHERE id = '$long' OR id = '$mid'")" "2"
check_rc "score them" 0 "$CURATE" score --backend heuristic --unscored
check_rc "list shows the long id" 0 "$CURATE" list --filter seller=S-LONG
has "list: whole id" "^$long " "$WORK/out"
check_rc "show a 202-character id" 0 "$CURATE" show "$mid"
has "show: it" "^conversation $mid " "$WORK/out"
check_rc "label the long id" 0 "$CURATE" label "$long" --accept
has "label: whole id" "^$long: label #[0-9]+ accepted" "$WORK/out"
check_rc "show the long id" 0 "$CURATE" show "$long"
has "show: accepted prediction #N of run R" "accepted prediction #[0-9]+ of run [0-9]+" "$WORK/out"
TUI_W=200 tui_start
tui_keys /; tui_wait "Search"; tui_keys "S-LONG" Enter
tui_check "queue search finds it" "search \"S-LONG\": 1 in To review"
tui_keys Enter
tui_check "workbench opens the 202-character id" "^m{70}m*…  seller S-LONG"
tui_keys a
tui_check "saved it" "saved m{100}"
eq "workbench label on the whole id" "$(label_status "$mid" | cut -d' ' -f1)" "accepted"
tui_quit "long ids"
finish
