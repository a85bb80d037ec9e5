#!/bin/bash
# sync.sh: curate sync through the CongoDB peer (a real query engine; a real
# mongod when MONGODB_URI is set): two pools, two reviewers labeling
# overlapping conversations (with edge marks and an undo), sync both ways;
# then both pools hold the same conversations, predictions, runs, labels,
# edge marks, notes, assignments, undos and programs (the note shown and
# `assign --status` the same on both), curate agreement gives the same figures
# on both and alpha equals this test's own computation; a second sync
# changes nothing; kill -9 at random points of a sync (pull and push)
# leaves both sides consistent and the next sync finishes the job. On the
# mockupdb peer: unreachable server, failed authentication and a dropped
# connection give a clear message, lose nothing, never show the password.
source "$(dirname "$0")/lib.bash"
cd "$WORK" || exit 1
start_congo || { fail "congo peer starts"; finish; exit 1; }
DB=sync$$
F1=responsiveness_score F2=customer_negative_score F3=conversational_trend_score
A=$WORK/a.db B=$WORK/b.db
ca() { "$CURATE" --db "$A" --reviewer ann "$@"; }
cb() { "$CURATE" --db "$B" --reviewer bob "$@"; }
sync_a() { ca sync --uri "$CONGO_URI" --database "$DB"; }
sync_b() { cb sync --uri "$CONGO_URI" --database "$DB"; }
# A pool's content independent of local ids, one line per item.
dump() {
  sqlite3 -batch "$1" "
  SELECT 'c', id, content_hash, seller_id, n_messages, imported_at FROM conversations;
  SELECT 'm', c.id, m.ts, m.sender, m.role, m.text FROM messages m JOIN conversations c ON c.cid = m.cid;
  SELECT 'r', s.uid, r.kind, r.status, r.model, r.started_at FROM runs r JOIN sync_ids s ON s.kind = 1 AND s.local_id = r.id;
  SELECT 'p', s.uid, c.id, p.scores, p.overall, p.status, p.json_fallback, (SELECT uid FROM sync_ids WHERE kind = 1 AND local_id = p.run_id) FROM predictions p JOIN conversations c ON c.cid = p.cid JOIN sync_ids s ON s.kind = 2 AND s.local_id = p.id;
  SELECT 'l', l.uid, c.id, l.reviewer, l.role, l.status, l.scores, l.overall, l.created_at, l.undone_at, l.content_hash, (SELECT uid FROM sync_ids WHERE kind = 2 AND local_id = l.pred_id) FROM labels l JOIN conversations c ON c.cid = l.cid;
  SELECT 'e', e.uid, c.id, e.reviewer, e.marked, e.note, e.created_at, e.undone_at FROM edge_marks e JOIN conversations c ON c.cid = e.cid;
  SELECT 'g', s.uid, g.state, g.metric, g.n_demos, g.is_best FROM programs g JOIN sync_ids s ON s.kind = 6 AND s.local_id = g.id;
  SELECT 'n', n.uid, c.id, n.reviewer, n.text, n.created_at, n.undone_at FROM notes n JOIN conversations c ON c.cid = n.cid;
  SELECT 'a', c.id, a.reviewer, a.created_at FROM assignments a JOIN conversations c ON c.cid = a.cid;
  SELECT 'x', count(*) FROM labels WHERE uid IS NULL;
  SELECT 'd', c.id, c.edge, (SELECT uid FROM sync_ids WHERE kind = 2 AND local_id = c.pred_id), printf('%.2f', c.model_overall), c.status, c.consensus, printf('%.2f', c.human_overall) FROM conversations c;" | LC_ALL=C sort
}

# ---- pool A: a demo pool (conversations, a run, predictions, labels by
# "demo"), ann's labels, an edge mark, an undo, a program as best
check "A: demo pool" ca demo --count 800 --seed 11
# a second run, a second later: on every pool its predictions are the
# current ones (the pull applies predictions oldest first)
sleep 1
check "A: a second run (heuristic) on 40 conversations" ca score --backend heuristic --ids "$(seq -f "demo-%04g" -s, 1 40)"
# (as if one answer had come through the JSON fallback: the pull keeps it)
sqlite3 "$A" "UPDATE predictions SET json_fallback = 1 WHERE id = (SELECT min(id) FROM predictions)"
check "A: a program, made best" ca import-program json "$ROOT/tests/fixtures/programs/golden_state.json" --use
for i in 01 02 03 04 05 06 07 08; do
  ca label demo-00$i --set $F1=$((${i#0} % 10)) --set $F2=3 --set $F3=$(( (${i#0} * 3) % 10 )) >/dev/null || fail "ann labels demo-00$i"
done
check "A: ann marks an edge case" ca edge demo-0003 --note "boundary: late reply"
check "A: ann relabels demo-0008 and undoes it" ca label demo-0008 --set $F1=0
check "A: undo" ca label demo-0008 --undo
check "A: ann notes demo-0002" ca note demo-0002 "seller never answered the refund question"
check "A: assignments for ann and bob, overlap 2" ca assign --to ann,bob --overlap 2 --count 30
check_rc "A: first sync pushes" 0 sync_a
has "says where" "^synced with mongodb://127\.0\.0\.1:[0-9]+.* \($DB\.team_\*\)" "$WORK/out"
has "pushed 800 conversations" "conversations +pushed 800, pulled 0" "$WORK/out"
has "pushed labels" "labels +pushed [1-9][0-9]*, pulled 0" "$WORK/out"
has "pushed the undo" "undos +pushed 1, pulled 0" "$WORK/out"
has "pushed the note" "notes +pushed 1, pulled 0" "$WORK/out"
has "pushed 60 assignments" "assignments +pushed 60, pulled 0" "$WORK/out"

# ---- pool B: nothing imported; the first sync brings everything
check "B: init" cb init
check_rc "B: first sync pulls" 0 sync_b
has "pulled 800 conversations" "conversations +pushed 0, pulled 800" "$WORK/out"
has "took the team's best program" "best program: the team's choice taken" "$WORK/out"
eq "A and B equal after the first pull" "$(dump "$B" | md5sum)" "$(dump "$A" | md5sum)"
eq "  the JSON fallback's mark came along" "$(sqlite3 "$B" "SELECT count(*) FROM predictions WHERE json_fallback = 1")" "1"
# bob labels overlapping conversations on B (some agree with ann, some not),
# ann goes on on A meanwhile; both mark and unmark
for i in 04 05 06 07 08 09 10 11; do
  cb label demo-00$i --set $F1=$(( (${i#0} + 1) % 10 )) --set $F2=$(( ${i#0} % 5 )) --set $F3=$(( (${i#0} * 3) % 10 )) >/dev/null || fail "bob labels demo-00$i"
done
check "B: bob unmarks ann's edge case" cb edge demo-0003 --off
check "B: bob marks demo-0005 and undoes it" cb edge demo-0005 --note tmp
check "B: undo the mark" cb undo
check "B: bob marks another" cb edge demo-0010 --note "odd one"
check "B: bob undoes his demo-0011" cb label demo-0011 --undo
check "B: bob notes demo-0002 too" cb note demo-0002 "refund asked twice"
check "B: bob notes demo-0006 and undoes it" cb note demo-0006 "draft"
check "B: undo the note" cb undo
has "the note was undone" "note" "$WORK/out"
check "B: bob assigns cy (a second plan)" cb assign --to cy --count 5
check "A: ann labels demo-0012" ca label demo-0012 --set $F1=5 --set $F2=5 --set $F3=5
check_rc "B syncs" 0 sync_b
check_rc "A syncs" 0 sync_a
has "A pulled bob's labels" "labels +pushed 1, pulled 8" "$WORK/out"
check_rc "B syncs again" 0 sync_b
dump "$A" >a.dump; dump "$B" >b.dump
check "A and B hold the same items" cmp a.dump b.dump
eq "every label has a uid" "$(grep '^x|' a.dump)" "x|0"
eq "the dump holds labels, edge marks, notes, assignments, predictions, runs, programs" \
  "$(for k in a c d e g l m n p r; do grep -q "^$k|" a.dump && printf %s $k; done)" "acdeglmnpr"
eq "bob's undone edge mark is undone on A" "$(sqlite3 "$A" "SELECT count(*) FROM edge_marks e JOIN conversations c ON c.cid = e.cid WHERE c.id = 'demo-0005' AND e.undone_at IS NOT NULL")" "1"
eq "bob's undo arrived on A" "$(sqlite3 "$A" "SELECT undone_at IS NOT NULL FROM labels l JOIN conversations c ON c.cid = l.cid WHERE c.id = 'demo-0011' AND reviewer = 'bob'")" "1"
eq "some conversations agree, some conflict (the same on both pools)" \
  "$(sqlite3 "$A" "SELECT count(DISTINCT consensus) FROM conversations WHERE consensus IN (2, 3)")" "2"
eq "bob's undone note is undone on A" "$(sqlite3 "$A" "SELECT count(*) FROM notes n JOIN conversations c ON c.cid = n.cid WHERE c.id = 'demo-0006' AND n.reviewer = 'bob' AND n.undone_at IS NOT NULL")" "1"
check_rc "A: show demo-0002" 0 ca show demo-0002; cp "$WORK/out" show_a
check_rc "B: show demo-0002" 0 cb show demo-0002; cp "$WORK/out" show_b
has "A shows bob's note, the latest" "refund asked twice" show_a
eq "the same note shown on both pools" "$(grep -i note show_b)" "$(grep -i note show_a)"
check_rc "assign --status on A" 0 ca assign --status; cp "$WORK/out" assign_a
check_rc "assign --status on B" 0 cb assign --status; cp "$WORK/out" assign_b
check "the same assignments on both pools" cmp assign_a assign_b
has "cy's assignments made on B are on A" "cy" assign_a
eq "edge marks: demo-0003 unmarked on A" "$(sqlite3 "$A" "SELECT edge FROM conversations WHERE id = 'demo-0003'")" "0"

# ---- agreement: the same on both pools, alpha as computed here
check_rc "agreement on A" 0 ca agreement --reviewers ann,bob; cp "$WORK/out" agree_a
check_rc "agreement on B" 0 cb agreement --reviewers ann,bob; cp "$WORK/out" agree_b
check "the same figures on both pools" cmp agree_a agree_b
check "alpha equals this test's computation" $PY - "$A" agree_a <<'PYEOF'
import json, re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
# each reviewer's latest label not undone, by time (the sync order)
rows = db.execute("SELECT c.id, l.reviewer, l.scores FROM labels l JOIN conversations c ON c.cid = l.cid"
                  " WHERE l.undone_at IS NULL AND l.status <> 'skipped' AND l.reviewer IN ('ann', 'bob')"
                  " ORDER BY l.created_at, l.id").fetchall()
latest = {}
for cid, who, s in rows: latest[(cid, who)] = json.loads(s)
text = open(sys.argv[2]).read()
for f in ["responsiveness_score", "customer_negative_score", "conversational_trend_score"]:
    units = {}
    for (cid, who), s in latest.items():
        if s.get(f) is not None: units.setdefault(cid, []).append(float(s[f]))
    vals = [v for v in units.values() if len(v) >= 2]
    n = sum(len(v) for v in vals)
    do = sum(sum((a - b) ** 2 for i, a in enumerate(v) for j, b in enumerate(v) if i != j) / (len(v) - 1) for v in vals) / n
    allv = [x for v in vals for x in v]
    de = sum((a - b) ** 2 for i, a in enumerate(allv) for j, b in enumerate(allv) if i != j) / (n * (n - 1))
    m = re.search(r"^%s: alpha (\S+) over (\d+) conversations, (\d+) values" % f, text, re.M)
    assert m, f
    want = 1 - do / de
    assert abs(float(m.group(1)) - want) < 0.0006 and int(m.group(2)) == len(vals) and int(m.group(3)) == n, (f, m.groups(), want, len(vals), n)
PYEOF

# ---- idempotent: a second round changes nothing
check_rc "A syncs once more" 0 sync_a
hasnt "nothing pushed or pulled" "(pushed|pulled) [1-9]" "$WORK/out"
check_rc "B syncs once more" 0 sync_b
hasnt "nothing pushed or pulled (B)" "(pushed|pulled) [1-9]" "$WORK/out"
eq "A unchanged" "$(dump "$A" | md5sum)" "$(md5sum <a.dump)"
eq "B unchanged" "$(dump "$B" | md5sum)" "$(md5sum <b.dump)"
# another collection prefix is another store, in the same database
check_rc "A syncs with --prefix alt_" 0 ca sync --uri "$CONGO_URI" --database "$DB" --prefix alt_
has "says the prefix" "\($DB\.alt_\*\)" "$WORK/out"
has "everything pushed again, there" "conversations +pushed 800, pulled 0" "$WORK/out"
check_rc "again with --prefix alt_: nothing" 0 ca sync --uri "$CONGO_URI" --database "$DB" --prefix alt_
hasnt "nothing pushed or pulled (alt_)" "(pushed|pulled) [1-9]" "$WORK/out"
check_rc "a bad prefix is refused" 1 ca sync --uri "$CONGO_URI" --database "$DB" --prefix 'a$b'
has "names the prefix" "invalid collection prefix 'a\\\$b'" "$WORK/out"
eq "A unchanged by the other store" "$(dump "$A" | md5sum)" "$(md5sum <a.dump)"
check_rc "--status" 0 ca sync --status
has "last synced and with what" "^last synced [0-9T:-]+Z? with mongodb://127\.0\.0\.1" "$WORK/out"

# ---- kill -9 at random points: pulling into a fresh pool C, then pushing
# from it; each killed sync is followed by another until one completes
C=$WORK/c.db
check "C: init" "$CURATE" --db "$C" init
RANDOM=$$
pause() { awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.05 + (r % 60) / 100 }'; }
kills=0
for round in 1 2 3 4 5 6; do
  "$CURATE" --db "$C" sync --uri "$CONGO_URI" --database "$DB" >/dev/null 2>&1 &
  pid=$!
  sleep "$(pause)"
  kill -9 $pid 2>/dev/null && kills=$((kills + 1))
  wait $pid 2>/dev/null
  check "C: pool consistent after kill $round" sh -c "sqlite3 '$C' 'PRAGMA integrity_check' | grep -qx ok"
done
echo "# $kills syncs killed"
[ "$kills" -ge 1 ] && pass "at least one sync was killed mid-way" || fail "no sync was killed: the pull was faster than the pauses"
check_rc "C: a sync after the kills finishes the job" 0 "$CURATE" --db "$C" --reviewer cy sync --uri "$CONGO_URI" --database "$DB"
eq "C equals A" "$(dump "$C" | md5sum)" "$(md5sum <a.dump)"
# C labels, then its push is killed at random points, then completed
for i in 13 14 15 16 17 18 19 20; do "$CURATE" --db "$C" --reviewer cy label demo-00$i --set $F1=4 --set $F2=4 --set $F3=4 >/dev/null || fail "cy labels demo-00$i"; done
for i in 13 14 15; do "$CURATE" --db "$C" --reviewer cy note demo-00$i "cy's note $i" >/dev/null || fail "cy notes demo-00$i"; done
check "C: cy assigns dee" "$CURATE" --db "$C" assign --to dee --count 4
for round in 1 2 3; do
  "$CURATE" --db "$C" sync --uri "$CONGO_URI" --database "$DB" >/dev/null 2>&1 &
  pid=$!
  sleep "$(pause)"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
done
check_rc "C: push completes" 0 "$CURATE" --db "$C" sync --uri "$CONGO_URI" --database "$DB"
check_rc "A pulls cy's labels" 0 sync_a
check_rc "B pulls cy's labels" 0 sync_b
check_rc "C syncs" 0 "$CURATE" --db "$C" sync --uri "$CONGO_URI" --database "$DB"
dump "$A" >a.dump
eq "B equals A after the kills" "$(dump "$B" | md5sum)" "$(md5sum <a.dump)"
eq "C equals A after the kills" "$(dump "$C" | md5sum)" "$(md5sum <a.dump)"
eq "cy's 8 labels everywhere" "$(sqlite3 "$B" "SELECT count(*) FROM labels WHERE reviewer = 'cy'")" "8"
eq "cy's 3 notes everywhere" "$(sqlite3 "$B" "SELECT count(*) FROM notes WHERE reviewer = 'cy'")" "3"
eq "dee's 4 assignments everywhere" "$(sqlite3 "$B" "SELECT count(*) FROM assignments WHERE reviewer = 'dee'")" "4"
check "no uid twice in the store" $PY - "$CONGO_URI" "$DB" <<'PYEOF'
import sys, pymongo, collections
db = pymongo.MongoClient(sys.argv[1])[sys.argv[2]]
for name in db.list_collection_names():
    n = collections.Counter(d["uid"] for d in db[name].find({}, {"uid": 1}))
    dup = [u for u, k in n.items() if k > 1]
    assert not dup, (name, dup[:3])
PYEOF

# ---- a conversation too large for one MongoDB document (16 MiB) stays on
# its pool, said so; the rest of its batch is pushed (the server refused
# the whole batch for it, on every sync)
D=$WORK/d.db E=$WORK/e.db
$PY - >big.jsonl <<'PYEOF'
import json
print(json.dumps({"id": "huge", "seller_id": "s", "messages": [
    {"ts": 1700000000 + i, "from": "Ann", "role": "customer", "text": "x" * (1 << 20)} for i in range(17)]}))
for i in range(3):
    print(json.dumps({"id": "small-%d" % i, "seller_id": "s", "messages": [
        {"ts": 1700000000, "from": "Ann", "role": "customer", "text": "hi"}]}))
PYEOF
check "D: a huge conversation and three small" "$CURATE" --db "$D" import big.jsonl
check_rc "D: sync" 0 "$CURATE" --db "$D" sync --uri "$CONGO_URI" --database "big$DB"
has "the small ones pushed" "conversations +pushed 3, pulled 0" "$WORK/out"
has "says the huge one stays" "1 conversations too large for one MongoDB document \(16 MiB\) stay on this pool only" "$WORK/out"
check_rc "D: sync again, the same" 0 "$CURATE" --db "$D" sync --uri "$CONGO_URI" --database "big$DB"
has "says it again" "1 conversations too large" "$WORK/out"
check "E: init" "$CURATE" --db "$E" init
check_rc "E: pulls the small ones" 0 "$CURATE" --db "$E" sync --uri "$CONGO_URI" --database "big$DB"
has "pulled 3" "conversations +pushed 0, pulled 3" "$WORK/out"

# ---- failures, on the mockupdb peer: clear message, nothing lost
before=$(dump "$A" | md5sum)
PORT_FREE=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
check_rc "unreachable server" 1 ca sync --uri "mongodb://127.0.0.1:$PORT_FREE/?serverSelectionTimeoutMS=500"
has "says it cannot reach it" "cannot reach the server" "$WORK/out"
check_rc "no URI is a usage error" 2 ca sync
has "says how to give one" "CURATE_MONGO_URI" "$WORK/out"
PW=Sync-Secret-7731
rm -f mport
$PY "$ROOT/tests/peers/mongo_peer.py" --port 0 --portfile mport --user curate --password "$PW" >mpeer.log 2>&1 &
PIDS+=($!)
wait_file mport 10 || fail "mockupdb peer starts"
MP=$(cat mport)
check_rc "wrong password" 1 env CURATE_MONGO_URI="mongodb://curate:wrong$PW@127.0.0.1:$MP/x?serverSelectionTimeoutMS=2000" "$CURATE" --db "$A" sync
has "says authentication failed" "uthentication failed" "$WORK/out"
hasnt "no password shown" "$PW" "$WORK/out"
check_rc "sync through mockupdb with the right password" 0 env CURATE_MONGO_URI="mongodb://curate:$PW@127.0.0.1:$MP/x" "$CURATE" --db "$A" sync
hasnt "no password shown (ok)" "$PW" "$WORK/out"
has "password masked in what is shown" "synced with mongodb://\*\*\*@127\.0\.0\.1:$MP/x" "$WORK/out"
hasnt "pool holds no password" "$PW" <(sqlite3 "$A" .dump)
$PY "$ROOT/tests/peers/mongo_peer.py" --control "$MP" --reset >/dev/null 2>&1
$PY "$ROOT/tests/peers/mongo_peer.py" --control "$MP" --fail drop --fail-times 1 >/dev/null 2>&1
check_rc "dropped connection mid-sync" 1 env CURATE_MONGO_URI="mongodb://curate:$PW@127.0.0.1:$MP/x" "$CURATE" --db "$A" sync
has "says the connection was lost" "connection to the server lost|closed|socket" "$WORK/out"
check_rc "the next sync finishes" 0 env CURATE_MONGO_URI="mongodb://curate:$PW@127.0.0.1:$MP/x" "$CURATE" --db "$A" sync
eq "pool A unchanged by the failures" "$(dump "$A" | md5sum)" "$before"
finish
