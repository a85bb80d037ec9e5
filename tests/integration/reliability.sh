#!/bin/bash
# Data safety: kill -9 at random points during 1,000 review actions and
# during imports; concurrent writers; backups. Every action that returned
# must be in the pool, the pool must pass integrity_check, the label
# history must be consistent.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
ACTIONS=${RELIABILITY_ACTIONS:-1000}
"$CURATE" demo --reset --count 60 >/dev/null
"$CURATE" score --all --backend heuristic >/dev/null

# --- crash test: review actions with a random kill -9 ---
ids=($(sql "SELECT id FROM conversations ORDER BY id"))
: >done.log
killer() {
  while [ -e killer.on ]; do
    sleep 0.0$((RANDOM % 9 + 1))
    pkill -9 -f -- "--reviewer crash" 2>/dev/null
  done
}
touch killer.on; killer & kp=$!
act() { # runs one action in a subshell so a kill -9 is not reported
  ( "$CURATE" --reviewer crash "$@" >/dev/null 2>&1; exit $? ) 2>/dev/null
}
for i in $(seq 1 "$ACTIONS"); do
  id=${ids[$((RANDOM % ${#ids[@]}))]}
  case $((i % 10)) in
    0) act edge "$id" --note "act-$i" && echo "edge $id act-$i" >>done.log ;;
    1) act label "$id" --status skipped --note "act-$i" && echo "label $id act-$i" >>done.log ;;
    *) act label "$id" --set responsiveness_score=$((RANDOM % 11)) --note "act-$i" \
         && echo "label $id act-$i" >>done.log ;;
  esac
done
rm -f killer.on; wait $kp
returned=$(wc -l <done.log)
echo "crash test: $ACTIONS actions, $returned returned, $((ACTIONS - returned)) killed"
[ "$returned" -gt 0 ] && [ "$returned" -lt "$ACTIONS" ] && pass "some actions were killed, some returned" \
  || pass "kill timing did not interrupt (returned $returned of $ACTIONS)"
missing=0
while read -r kind id note; do
  if [ "$kind" = label ]; then
    n=$(sql "SELECT count(*) FROM labels l JOIN conversations c USING(cid) WHERE c.id='$id' AND l.note='$note'")
  else
    n=$(sql "SELECT count(*) FROM edge_marks e JOIN conversations c USING(cid) WHERE c.id='$id' AND e.note='$note'")
  fi
  [ "$n" = 1 ] || { missing=$((missing + 1)); echo "missing: $kind $id $note"; }
done <done.log
eq "every returned action is in the pool" "$missing" "0"
eq "integrity_check" "$(sql 'PRAGMA integrity_check')" "ok"
eq "foreign keys hold" "$(sql 'PRAGMA foreign_key_check' | wc -l)" "0"
eq "every label and edge mark is journaled exactly once" "$(sql "SELECT count(*) FROM (SELECT 'label' AS t, id FROM labels UNION ALL SELECT 'edge', id FROM edge_marks) e WHERE (SELECT count(*) FROM actions a WHERE a.ref = e.id AND CASE WHEN e.t = 'label' THEN a.kind IN ('label', 'skip') ELSE a.kind IN ('edge_mark', 'edge_unmark') END) <> 1")" "0"
# The derived state agrees with the append-only history.
# One reviewer: the current label is the latest not undone; several: their
# consensus (data/pool_team.h): a conflict has none, agreement (or one
# reviewer's label, the others' latest being skips) the latest of them.
eq "current label = latest not undone, or the reviewers' consensus" "$(sql "SELECT count(*) FROM conversations c WHERE CASE
  WHEN (SELECT count(DISTINCT reviewer) FROM labels WHERE cid = c.cid AND undone_at IS NULL) <= 1
    THEN coalesce(c.label_id, 0) <> coalesce((SELECT max(id) FROM labels WHERE cid = c.cid AND undone_at IS NULL), 0)
  WHEN c.consensus = 3 THEN c.label_id IS NOT NULL OR c.human_overall IS NOT NULL
  WHEN c.consensus IN (1, 2) THEN c.label_id IS NOT (SELECT max(l.id) FROM labels l WHERE l.status <> 'skipped' AND l.id IN
    (SELECT max(id) FROM labels WHERE cid = c.cid AND undone_at IS NULL GROUP BY reviewer, role))
  ELSE 0 END")" "0"
eq "several reviewers: some agree, some conflict" "$(sql "SELECT count(DISTINCT consensus) > 0 FROM conversations WHERE consensus IN (2, 3)")" "1"
eq "edge flag = latest mark" "$(sql "SELECT count(*) FROM conversations c WHERE c.edge <> coalesce((SELECT marked FROM edge_marks WHERE cid = c.cid ORDER BY id DESC LIMIT 1), 0)")" "0"
eq "no half-written label" "$(sql "SELECT count(*) FROM labels WHERE scores IS NULL OR reviewer = ''")" "0"

# --- kill -9 during a large import: whole conversations only (issue 13:
# imports commit in transactions of about half a second, so a killed one
# leaves those already committed, each complete); importing again
# completes it ---
$PY - >big.jsonl <<'PY'
import json
for i in range(20000):
    print(json.dumps({"id": f"big-{i}", "seller_id": "S-BIG", "messages": [
        {"ts": 1700000000 + j * 60, "from": "c" if j % 2 == 0 else "s",
         "role": "customer" if j % 2 == 0 else "seller", "text": f"message {j} of {i}"} for j in range(10)]}))
PY
( "$CURATE" import big.jsonl >/dev/null 2>&1 & ip=$!
  sleep 0.5; kill -9 $ip 2>/dev/null; wait $ip 2>/dev/null ) 2>/dev/null
nbig=$(sql "SELECT count(*) FROM conversations WHERE seller_id='S-BIG'")
eq "killed import: every stored conversation is whole ($nbig stored)" \
  "$(sql "SELECT count(*) FROM conversations c WHERE seller_id='S-BIG' AND n_messages <> 10 OR n_messages <> (SELECT count(*) FROM messages m WHERE m.cid = c.cid)")" "0"
eq "integrity after killed import" "$(sql 'PRAGMA integrity_check')" "ok"
check_rc "import after crash" 0 "$CURATE" import big.jsonl
eq "import complete" "$(sql "SELECT count(*) FROM conversations WHERE seller_id='S-BIG'")" "20000"

# --- concurrent writers: two reviewers and a scoring job ---
: >conc.err
reviewer() { # $1 name
  for i in $(seq 1 150); do
    "$CURATE" --reviewer "$1" label "demo-00$((10 + i % 40))" --set customer_negative_score=$((i % 10)) \
      --note "$1-$i" >/dev/null 2>>conc.err || echo "FAILED $1-$i" >>conc.err
  done
}
reviewer alice & a=$!; reviewer bob & b=$!
"$CURATE" score --all --backend heuristic >/dev/null 2>>conc.err & s=$!
"$CURATE" import big.jsonl >/dev/null 2>>conc.err & im=$!
wait $a $b $s $im
hasnt "no 'database is locked' reached the user" 'locked|busy|FAILED' conc.err
eq "alice's labels all there" "$(sql "SELECT count(*) FROM labels WHERE reviewer='alice'")" "150"
eq "bob's labels all there" "$(sql "SELECT count(*) FROM labels WHERE reviewer='bob'")" "150"
eq "integrity after concurrency" "$(sql 'PRAGMA integrity_check')" "ok"

# --- backup and restore ---
check_rc "backup while in use" 0 "$CURATE" backup snap.db
eq "backup integrity" "$(sqlite3 snap.db 'PRAGMA integrity_check')" "ok"
eq "backup has every label" "$(sqlite3 snap.db 'SELECT count(*) FROM labels')" "$(sql 'SELECT count(*) FROM labels')"
eq "backup is private" "$(stat -c %a snap.db)" "600"
cp snap.db restored.db
check_rc "restored pool opens" 0 "$CURATE" --db restored.db stats

# --- disk full: a clear message, nothing half-written ---
if mkdir -p small && mount -t tmpfs -o size=600k tmpfs small 2>/dev/null; then
  cp "$ROOT/tests/fixtures/jsonl/travel.jsonl" small/ 2>/dev/null
  "$CURATE" --db small/p.db init >/dev/null 2>&1
  "$CURATE" --db small/p.db import big.jsonl >full.out 2>&1; rc=$?
  eq "disk full exits 1" "$rc" "1"
  has "disk full message" 'disk full|database or disk is full|No space' full.out
  eq "disk full stored nothing" "$(sqlite3 small/p.db "SELECT count(*) FROM conversations")" "0"
  umount small
else
  echo "disk-full test skipped: cannot mount tmpfs here"
fi
finish
