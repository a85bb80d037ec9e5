#!/bin/bash
# import_bulk.sh (issue 15): an import into a pool without conversations
# builds the list indexes once at the end (pool_bulk_begin/end). The pool
# it makes is the one the row-by-row path makes (every table, index,
# count and hash), and one killed midway is repaired by the next open.
source "$(dirname "$0")/lib.bash"
cd "$WORK" || exit 1
# head.jsonl: one conversation; body.jsonl: 1500 in shuffled id order,
# 600 sellers, some with meta; all.jsonl: both. big.jsonl: 10000.
$PY - <<'PY'
import json, random
rnd = random.Random(7)
def conv(cid, n, seller, meta=None):
    d = {"id": cid, "seller_id": seller, "messages": [
        {"ts": 1700000000 + j * 61, "from": "Ana" if j % 2 else "Cliente",
         "role": "seller" if j % 2 else "customer",
         "text": "refund %d of %s é \"q\"" % (j, cid)} for j in range(n)]}
    if meta: d["meta"] = meta
    return json.dumps(d, ensure_ascii=False)
head = [conv("h-0", 3, "S-0")]
ids = ["c-%05d" % i for i in range(1500)]
rnd.shuffle(ids)
# 600 sellers: more than a bulk transaction counts in memory at once
body = [conv(i, 1 + rnd.randrange(20), "S-%d" % rnd.randrange(600),
             {"k": rnd.randrange(3)} if rnd.random() < 0.3 else None) for i in ids]
open("head.jsonl", "w").write("\n".join(head) + "\n")
open("body.jsonl", "w").write("\n".join(body) + "\n")
open("all.jsonl", "w").write("\n".join(head + body) + "\n")
with open("big.jsonl", "w") as f:
    for i in range(10000):
        print(conv("big-%d" % i, 4, "S-BIG"), file=f)
PY
# schema DB: every index, table, trigger and view, sorted (a rebuilt index
# moves in sqlite_master, nothing else may differ)
schema() { sqlite3 -batch "$1" "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name"; }
# content DB: a dump of every row, sorted, with the two columns that name
# the file and the time of the import blanked
content() {
  cp "$1" "$WORK/c.db"
  sqlite3 -batch "$WORK/c.db" "UPDATE conversations SET imported_at = 0, source = ''" >/dev/null
  sqlite3 -batch "$WORK/c.db" .dump | sort
  rm -f "$WORK/c.db"
}
fresh=$WORK/fresh.db
check "a fresh pool" "$CURATE" --db "$fresh" init

# ---- 1. bulk (new pool) and row by row (a pool that has a conversation)
check "bulk import into a new pool" "$CURATE" --db A.db import all.jsonl
check "a first conversation" "$CURATE" --db B.db import head.jsonl
check "then the rest, row by row" "$CURATE" --db B.db import body.jsonl
has "the second import was the row-by-row one (all new, into a pool with one)" "1500 new" "$WORK/out"
eq "both hold every conversation" "$(sqlite3 A.db 'SELECT count(*) FROM conversations') $(sqlite3 B.db 'SELECT count(*) FROM conversations')" "1501 1501"
eq "the bulk pool has the schema of a fresh pool (every index back)" "$(schema A.db)" "$(schema "$fresh")"
eq "so has the row-by-row pool" "$(schema B.db)" "$(schema "$fresh")"
content A.db >a.dump; content B.db >b.dump
if cmp -s a.dump b.dump; then pass "bulk and row-by-row pools are identical, row for row ($(wc -l <a.dump) dump lines)"
else fail "bulk and row-by-row pools differ" "$(diff a.dump b.dump | head -5)"; fi
eq "bulk pool integrity" "$(sqlite3 A.db 'PRAGMA integrity_check')" "ok"
eq "no bulk load left pending" "$(sqlite3 A.db "SELECT count(*) FROM pool_meta WHERE key LIKE 'bulk_%'")" "0"
check "re-import into the bulk pool" "$CURATE" --db A.db import all.jsonl
has "changes nothing" "\(0 new, 0 changed, 1501 unchanged\)" "$WORK/out"
# the counts the pool keeps, through curate itself
"$CURATE" --db A.db stats 2>&1 | sed 's/A\.db/X.db/' >a.stats; "$CURATE" --db B.db stats 2>&1 | sed 's/B\.db/X.db/' >b.stats
if cmp -s a.stats b.stats; then pass "curate stats agree"; else fail "curate stats differ" "$(diff a.stats b.stats | head -4)"; fi
"$CURATE" --db A.db list --sort seller --limit 2000 >a.list 2>&1; "$CURATE" --db B.db list --sort seller --limit 2000 >b.list 2>&1
if cmp -s a.list b.list && [ "$(wc -l <a.list)" -gt 1500 ]; then pass "curate list by seller agrees"; else fail "curate list differs" "$(diff a.list b.list | head -4)"; fi

# ---- 2. a bulk import killed midway: whole conversations, queries answer,
# the next writable open builds the indexes, importing again completes it
( "$CURATE" --db C.db import --batch 50 big.jsonl >/dev/null 2>&1 & ip=$!
  for i in $(seq 1 2000); do
    n=$(sqlite3 C.db "SELECT count(*) FROM conversations" 2>/dev/null)
    [ "${n:-0}" -gt 0 ] && break
    sleep 0.01
  done
  kill -9 $ip 2>/dev/null; wait $ip 2>/dev/null ) 2>/dev/null
n=$(sqlite3 C.db "SELECT count(*) FROM conversations")
if [ "$n" -gt 0 ] && [ "$n" -lt 10000 ]; then pass "killed midway ($n of 10000 stored)"
else fail "the kill did not land midway" "$n stored"; fi
eq "its indexes are out, and said so in the pool" "$(sqlite3 C.db "SELECT count(*) FROM pool_meta WHERE key = 'bulk_indexes'") $(sqlite3 C.db "SELECT count(*) FROM sqlite_master WHERE name = 'conv_l_seller'")" "1 0"
eq "every stored conversation is whole" "$(sqlite3 C.db "SELECT count(*) FROM conversations c WHERE n_messages <> 4 OR n_messages <> (SELECT count(*) FROM messages m WHERE m.cid = c.cid)")" "0"
# While the load's process lives (this shell stands in for it), opens
# leave its indexes out and lists answer without them.
me="$$ $(awk '{print $22}' /proc/$$/stat) $(cat /proc/sys/kernel/random/boot_id) $(hostname)"
killed=$(sqlite3 C.db "SELECT value FROM pool_meta WHERE key = 'bulk_owner'")
sqlite3 C.db "UPDATE pool_meta SET value = '$me' WHERE key = 'bulk_owner'"
check "lists answer while a live load has the indexes out" "$CURATE" --db C.db list --sort seller --limit 3
has "  with rows" "big-" "$WORK/out"
check "  the disagreement count too" "$CURATE" --db C.db list --filter disagree:1 --limit 3
check "  and the conflicts" "$CURATE" --db C.db list --filter conflict --limit 3
eq "  and the indexes stay out (the load is live; no other repair takes them for an old schema)" "$(sqlite3 C.db "SELECT count(*) FROM sqlite_master WHERE name IN ('conv_l_seller', 'conv_l_model')")" "0"
# (the partial ones, schema 18, stay in: a new conversation is in none)
eq "  the partial indexes stayed in through the load" "$(sqlite3 C.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'conversations' AND sql LIKE '% WHERE %' ORDER BY name)")" "conv_conflict conv_l_fdiff conv_s_diff conv_s_human conv_s_model"
sqlite3 C.db "UPDATE pool_meta SET value = '$killed' WHERE key = 'bulk_owner'"
check "the next open after the load died" "$CURATE" --db C.db init
eq "has built them" "$(schema C.db)" "$(schema "$fresh")"
eq "and forgotten the pending load" "$(sqlite3 C.db "SELECT count(*) FROM pool_meta WHERE key LIKE 'bulk_%'")" "0"
eq "integrity after the kill and the repair" "$(sqlite3 C.db 'PRAGMA integrity_check')" "ok"
check "importing again" "$CURATE" --db C.db import big.jsonl
eq "completes it" "$(sqlite3 C.db "SELECT count(*), sum(n_messages) FROM conversations")" "10000|40000"
eq "the counts agree with the rows" "$(sqlite3 C.db "SELECT sum(n), sum(msgs) FROM conv_counts")" "10000|40000"

# ---- 3. a bulk import whose file is malformed stores nothing and leaves
# the indexes in place
printf '%s\n' '{"id": "x", "seller_id": "S", "messages": [{"ts": "never", "from": "a", "role": "customer", "text": "t"}]}' >>head2.jsonl
cat body.jsonl head2.jsonl >bad.jsonl
check_rc "a malformed file into a new pool" 1 "$CURATE" --db D.db import bad.jsonl
eq "stores nothing" "$(sqlite3 D.db 'SELECT count(*) FROM conversations')" "0"
eq "and leaves the schema whole" "$(schema D.db)" "$(schema "$fresh")"
# ---- 4. a file whose first line is over 1 MiB is parsed on the storing
# thread (import_feed unthreaded: no copy of a huge line); the same
# conversation read through the parsing thread is stored the same
$PY - <<'PY'
import json
big = json.dumps({"id": "long", "seller_id": "S-L", "messages": [
    {"ts": 1700000000 + j, "from": "Ana", "role": "seller", "text": "message %d of a long one" % j}
    for j in range(40000)]})
small = json.dumps({"id": "short", "seller_id": "S-L", "messages": [
    {"ts": 1700000000, "from": "Ana", "role": "seller", "text": "hi"}]})
open("long1.jsonl", "w").write(big + "\n" + small + "\n")
open("long2.jsonl", "w").write(small + "\n" + big + "\n")
PY
check "a huge first line" "$CURATE" --db E.db import long1.jsonl
check "the same behind a short line" "$CURATE" --db F.db import long2.jsonl
q="SELECT id, n_messages, content_hash, (SELECT count(*) FROM messages m WHERE m.cid = c.cid) FROM conversations c ORDER BY id"
eq "stored alike either way" "$(sqlite3 E.db "$q")" "$(sqlite3 F.db "$q")"
eq "  whole" "$(sqlite3 E.db "SELECT sum(n_messages) FROM conversations")" "40001"
finish
