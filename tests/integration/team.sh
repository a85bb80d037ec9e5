#!/bin/bash
# team.sh: several reviewers on one pool: curate agreement's figures equal
# a computation in this test (Krippendorff's alpha by explicit pairs, MAE,
# Spearman with tied ranks), the latest label per reviewer counts (a
# relabel replaces, an undo restores, a skip drops out), --field and
# --reviewers, bad options; curate assign spreads with overlap, balanced
# and reproducibly, and --status follows labels; stats --by-reviewer.
source "$(dirname "$0")/lib.bash"
cd "$WORK" || exit 1
F1=responsiveness_score F2=customer_negative_score F3=conversational_trend_score
check "demo pool" "$CURATE" demo --count 12 --seed 7
# The labels: reviewer -> conversation -> (f1, f2, f3). ann relabels
# demo-0002 (the second one counts), bob's demo-0007 is undone (his earlier
# demo-0007 counts again), cy skips demo-0010.
cat >labels.txt <<'L'
ann demo-0001 7 3 6
ann demo-0002 5 5 5
ann demo-0002 6 4 5
ann demo-0003 2 8 1
ann demo-0004 9 1 9
ann demo-0005 4 6 4
ann demo-0006 8 2 7
bob demo-0001 7.5 3 6.5
bob demo-0002 6 4 4
bob demo-0003 4 7 3
bob demo-0004 9 0 9
bob demo-0007 6 5 6
bob demo-0007 1 1 1
cy demo-0003 3 8 2
cy demo-0004 8 1 8
cy demo-0005 5 6 5
cy demo-0008 7 3 7
L
while read -r who id a b c; do
  "$CURATE" --reviewer "$who" label "$id" --set $F1="$a" --set $F2="$b" --set $F3="$c" >/dev/null 2>>errs || echo "label $who $id failed" >>errs
done <labels.txt
check_rc "undo bob's last demo-0007" 0 "$CURATE" --reviewer bob label demo-0007 --undo
check_rc "cy skips demo-0010" 0 "$CURATE" --reviewer cy label demo-0010 --status skipped
# The demo's own reviewer "demo" labeled some conversations too: compare
# ann, bob and cy only (and check --reviewers excludes the rest).
check_rc "agreement" 0 "$CURATE" agreement --reviewers ann,bob,cy
cp "$WORK/out" agree.txt
check "figures equal the test's own computation" $PY - agree.txt <<'PYEOF'
import math, re, sys, itertools
F = ["responsiveness_score", "customer_negative_score", "conversational_trend_score"]
# each reviewer's latest label (relabel wins, bob's last 0007 undone)
lab = {}
for line in open("labels.txt"):
    who, cid, *v = line.split()
    lab.setdefault(who, {}).setdefault(cid, []).append([float(x) for x in v])
latest = {w: {c: l[-1] for c, l in d.items()} for w, d in lab.items()}
latest["bob"]["demo-0007"] = lab["bob"]["demo-0007"][0]
revs = ["ann", "bob", "cy"]
units = sorted({c for w in revs for c in latest[w]})

def alpha(fi):
    # coincidence-matrix definition by explicit pairs (not curate's sums)
    vals = [[latest[w][u][fi] for w in revs if u in latest[w]] for u in units]
    vals = [v for v in vals if len(v) >= 2]
    n = sum(len(v) for v in vals)
    do = sum(sum((a - b) ** 2 for i, a in enumerate(v) for j, b in enumerate(v) if i != j) / (len(v) - 1) for v in vals) / n
    allv = [x for v in vals for x in v]
    de = sum((a - b) ** 2 for i, a in enumerate(allv) for j, b in enumerate(allv) if i != j) / (n * (n - 1))
    return 1 - do / de, len(vals), n

def ranks(x):
    s = sorted(range(len(x)), key=lambda i: x[i]); r = [0] * len(x); i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and x[s[j + 1]] == x[s[i]]: j += 1
        for k in range(i, j + 1): r[s[k]] = (i + j) / 2 + 1
        i = j + 1
    return r

def pair(a, b):
    both = [u for u in units if u in a and u in b]
    x = [a[u] for u in both]; y = [b[u] for u in both]
    mae = sum(abs(p - q) for p, q in zip(x, y)) / len(x)
    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((p - mx) * (q - my) for p, q in zip(rx, ry))
    sxx = sum((p - mx) ** 2 for p in rx); syy = sum((q - my) ** 2 for q in ry)
    rho = sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else None
    return mae, rho, len(both)

text = open(sys.argv[1]).read()
for fi, f in enumerate(F):
    a, nu, nv = alpha(fi)
    m = re.search(r"^%s: alpha (\S+) over (\d+) conversations, (\d+) values$" % f, text, re.M)
    assert m, f
    assert abs(float(m.group(1)) - a) < 0.0006 and int(m.group(2)) == nu and int(m.group(3)) == nv, (f, m.groups(), a, nu, nv)
    sect = text[m.end():].split("\n")
    for x, y in itertools.combinations(revs, 2):
        mae, rho, n = pair({u: latest[x][u][fi] for u in latest[x]}, {u: latest[y][u][fi] for u in latest[y]})
        line = next(l for l in sect if re.match(r"\s+%s\s+%s\s" % (x, y), l))
        g = re.search(r"MAE (\S+)\s+Spearman (\S+)\s+n (\d+)", line)
        assert abs(float(g.group(1)) - mae) < 0.0006 and int(g.group(3)) == n, (f, x, y, line, mae, n)
        assert (g.group(2) == "-") if rho is None else abs(float(g.group(2)) - rho) < 0.0006, (f, x, y, line, rho)
PYEOF
hasnt "reviewer demo left out by --reviewers" "^  demo " agree.txt
has "conflicts counted" "in conflict [0-9]+ " agree.txt
check_rc "--field" 0 "$CURATE" agreement --field $F2
has "one field" "^$F2: alpha" "$WORK/out"
hasnt "only that field" "^$F1: alpha" "$WORK/out"
check_rc "--field of a text field is a usage error" 2 "$CURATE" agreement --field score_rationale
has "names the field" "--field score_rationale" "$WORK/out"
check_rc "unknown reviewer is an error" 1 "$CURATE" agreement --reviewers ann,zed
has "names the reviewer" "'zed' has no label" "$WORK/out"
check_rc "bad tolerance" 2 "$CURATE" agreement --tolerance -1
check_rc "repeated reviewer" 2 "$CURATE" agreement --reviewers ann,ann
eq "no label failed" "$(cat errs 2>/dev/null)" ""

# ---- consensus: conflicts are out of exports and training, and counted
NCONF=$(sql "SELECT count(*) FROM conversations WHERE consensus = 3")
check "there are conflicts" test "$NCONF" -gt 0
check_rc "stats" 0 "$CURATE" stats
has "stats reports the conflicts" "^conflicts $NCONF: reviewers disagree" "$WORK/out"
check_rc "export pool --reviewed" 0 "$CURATE" export pool --reviewed -o reviewed.jsonl
for id in $(sql "SELECT id FROM conversations WHERE consensus = 3"); do
  hasnt "conflict $id not exported" "\"$id\"" reviewed.jsonl
done
AGREED=$(sql "SELECT id FROM conversations WHERE consensus = 2 LIMIT 1")
check "an agreed conversation is exported with the reviewers' mean" $PY - reviewed.jsonl "$AGREED" "$CURATE_DB" <<'PYEOF'
import json, sqlite3, sys
row = next(json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["conversation_id"] == sys.argv[2])
db = sqlite3.connect(sys.argv[3])
latest = db.execute("SELECT l.scores FROM labels l JOIN conversations c ON c.cid = l.cid WHERE c.id = ?"
                    " AND l.id IN (SELECT max(id) FROM labels WHERE cid = c.cid AND undone_at IS NULL GROUP BY reviewer)",
                    (sys.argv[2],)).fetchall()
vals = [json.loads(s)["responsiveness_score"] for (s,) in latest]
assert len(vals) >= 2, vals
assert abs(float(row["responsiveness_score"]) - round(sum(vals) / len(vals), 2)) < 1e-9, (row, vals)
PYEOF

# ---- curate consensus: the conflicts for a lead, the pool's tolerance
check_rc "consensus" 0 "$CURATE" consensus
has "tolerance and count" "^tolerance 1, conflicts $NCONF$" "$WORK/out"
FIRST=$(sql "SELECT id FROM conversations WHERE consensus = 3 ORDER BY id LIMIT 1")
has "each conflict with the widest field" "^$FIRST: [a-z_]+ differs by [0-9.]+$" "$WORK/out"
has "reviewers' values side by side, and the model's" "^  $F1 +.*[a-z]+ [0-9.]+  [a-z]+ [0-9.]+.*\(model [0-9.]+\)$" "$WORK/out"
check_rc "a wide tolerance" 0 "$CURATE" consensus --tolerance 20
has "says how many changed" "^tolerance set to 20: $NCONF conversations changed consensus" "$WORK/out"
eq "no conflicts left" "$(sql "SELECT count(*) FROM conversations WHERE consensus = 3")" "0"
check_rc "agreement follows the pool's tolerance" 0 "$CURATE" agreement
has "no conflicts at tolerance 20" "in conflict 0 \(tolerance 20\)" "$WORK/out"
check_rc "back to 1" 0 "$CURATE" consensus --tolerance 1
eq "the conflicts are back" "$(sql "SELECT count(*) FROM conversations WHERE consensus = 3")" "$NCONF"
check_rc "bad tolerance" 2 "$CURATE" consensus --tolerance abc

# ---- a lead adjudicates a conflict
WHO=$(sql "SELECT l.reviewer FROM labels l JOIN conversations c ON c.cid = l.cid WHERE c.id = '$FIRST' AND l.undone_at IS NULL AND l.status <> 'skipped' ORDER BY l.reviewer LIMIT 1")
check_rc "adjudicate: only one field set is not enough" 1 "$CURATE" --reviewer lead adjudicate "$FIRST" --set $F1=5
has "names the missing field" "$F2 has no value" "$WORK/out"
check_rc "adjudicate --take $WHO" 0 "$CURATE" --reviewer lead adjudicate "$FIRST" --take "$WHO" --set $F1=5
has "says so" "^$FIRST: adjudication #[0-9]+ by lead" "$WORK/out"
eq "adjudicated, reviewed" "$(sql "SELECT consensus, status FROM conversations WHERE id = '$FIRST'")" "4|2"
eq "one conflict fewer" "$(sql "SELECT count(*) FROM conversations WHERE consensus = 3")" "$((NCONF - 1))"
check_rc "export it" 0 "$CURATE" export pool --reviewed -o adj.jsonl
check "exported with the adjudicated values" $PY - adj.jsonl "$FIRST" "$CURATE_DB" "$WHO" <<'PYEOF'
import json, sqlite3, sys
row = next(json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["conversation_id"] == sys.argv[2])
db = sqlite3.connect(sys.argv[3])
(s,) = db.execute("SELECT l.scores FROM labels l JOIN conversations c ON c.cid = l.cid WHERE c.id = ?"
                  " AND l.reviewer = ? AND l.undone_at IS NULL AND l.role = 'review' ORDER BY l.id DESC LIMIT 1",
                  (sys.argv[2], sys.argv[4])).fetchone()
taken = json.loads(s)
assert float(row["responsiveness_score"]) == 5.0, row
assert float(row["customer_negative_score"]) == float(taken["customer_negative_score"]), (row, taken)
PYEOF
check_rc "the lead undoes it" 0 "$CURATE" --reviewer lead undo
has "undo names the adjudication" "^undone: adjudication #[0-9]+ of $FIRST$" "$WORK/out"
eq "a conflict again" "$(sql "SELECT consensus FROM conversations WHERE id = '$FIRST'")" "3"
# two leads settle the same conflict: the second is told, both are kept
check_rc "lead adjudicates" 0 "$CURATE" --reviewer lead adjudicate "$FIRST" --take "$WHO"
hasnt "no note for the first" "^note:" "$WORK/out"
check_rc "lead2 adjudicates it too" 0 "$CURATE" --reviewer lead2 adjudicate "$FIRST" --take "$WHO" --set $F1=4
has "a note names lead's adjudication" "^note: lead adjudicated $FIRST too \(adjudication #[0-9]+, kept\)" "$WORK/out"
eq "both kept, the latest decides" "$(sql "SELECT count(*) || '|' || (SELECT json_extract(scores, '\$.$F1') FROM labels l2 WHERE l2.id = c.label_id) FROM labels l JOIN conversations c USING(cid) WHERE c.id = '$FIRST' AND l.role = 'adjudication' AND l.undone_at IS NULL")" "2|4"
check_rc "lead2 undoes" 0 "$CURATE" --reviewer lead2 undo
check_rc "lead undoes" 0 "$CURATE" --reviewer lead undo
eq "a conflict again" "$(sql "SELECT consensus FROM conversations WHERE id = '$FIRST'")" "3"
check_rc "adjudicate without values is a usage error" 2 "$CURATE" --reviewer lead adjudicate "$FIRST"
check_rc "adjudicate --take somebody without a label" 1 "$CURATE" --reviewer lead adjudicate "$FIRST" --take nobody
has "says so" "'nobody' has no label" "$WORK/out"

# ---- stats --by-reviewer
check_rc "stats --by-reviewer" 0 "$CURATE" stats --by-reviewer
has "ann: 7 today, 7 in all" "^ann +7 +7 " "$WORK/out"
has "bob: the undone label is not counted" "^bob +5 +5 " "$WORK/out"
has "cy: one of five skipped" "^cy +5 +5 +[-0-9.]+ +20% " "$WORK/out"

# ---- assign
cp "$CURATE_DB" before.db
check_rc "assign 3 reviewers overlap 2" 0 "$CURATE" assign --to ann,bob,cy --overlap 2 --filter all --count 9
has "says what it did" "^assigned 9 conversations: 18 new assignments" "$WORK/out"
eq "each conversation has 2 distinct reviewers" "$(sql "SELECT count(*) FROM (SELECT cid FROM assignments GROUP BY cid HAVING count(DISTINCT reviewer) = 2)")" "9"
eq "balanced: 6 each" "$(sql "SELECT group_concat(n) FROM (SELECT count(*) n FROM assignments GROUP BY reviewer ORDER BY reviewer)")" "6,6,6"
P1=$(sql "SELECT group_concat(cid || reviewer) FROM (SELECT * FROM assignments ORDER BY cid, reviewer)")
check_rc "same again assigns nothing more to those" 0 "$CURATE" assign --to ann,bob,cy --overlap 2 --filter all --count 9
has "three more conversations" "^assigned 3 conversations: 6 new" "$WORK/out"
cp before.db "$CURATE_DB"
check_rc "reproducible: a copy of the pool gets the same plan" 0 "$CURATE" assign --to ann,bob,cy --overlap 2 --filter all --count 9
eq "same plan" "$(sql "SELECT group_concat(cid || reviewer) FROM (SELECT * FROM assignments ORDER BY cid, reviewer)")" "$P1"
check_rc "assign --status" 0 "$CURATE" assign --status
DONE_ANN=$(sql "SELECT count(*) FROM assignments a WHERE reviewer = 'ann' AND EXISTS (SELECT 1 FROM labels l WHERE l.cid = a.cid AND l.reviewer = 'ann' AND l.undone_at IS NULL)")
has "ann: assigned 6, done as labeled" "^ann +6 +$DONE_ANN +$((6 - DONE_ANN))$" "$WORK/out"
check_rc "overlap above the reviewers is a usage error" 2 "$CURATE" assign --to ann,bob --overlap 3
check_rc "neither --to nor --status" 2 "$CURATE" assign
check_rc "empty name" 2 "$CURATE" assign --to ann,,bob
check_rc "bad filter" 2 "$CURATE" assign --to ann --filter nonsense
finish
