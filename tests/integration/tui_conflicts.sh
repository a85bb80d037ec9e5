#!/bin/bash
# tui_conflicts.sh: a lead in the workbench, driven in tmux, over a pool
# where reviewers' labels (made with the CLI) conflict: the queue's
# Conflicts tab and its count; the adjudication screen shows each
# reviewer's values (names sanitised), the model's, the consensus rule's
# verdict per field, the conversation; 2 adopts bob's label and Enter
# saves it as an adjudication (curate show, export pool, the queue's human
# column); adopt + typed value + save, the consensus column, undo; the
# guards (nothing picked, unsaved on leaving); the Team view's figures
# equal curate stats --by-reviewer, assign --status and agreement.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"
cd "$WORK" || exit 1
F1=responsiveness_score F2=customer_negative_score F3=conversational_trend_score

# Before anything: per-reviewer figures of a pool without labels or
# assignments (qsort of no rows was undefined behaviour, caught by UBSan).
check "empty pool" "$CURATE" --db empty.db init
check_rc "assign --status with no assignments" 0 "$CURATE" --db empty.db assign --status
has "says so" "^\(no assignments\)$" "$WORK/out"
check_rc "stats --by-reviewer with no labels" 0 "$CURATE" --db empty.db stats --by-reviewer
has "says so" "^\(no labels yet\)$" "$WORK/out"

check "demo pool" "$CURATE" demo --count 40 --seed 7
# Three scored conversations nobody labeled: A and B will conflict, C agree.
read -r A B C < <(sql "SELECT group_concat(id, ' ') FROM (SELECT id FROM conversations
  WHERE pred_id IS NOT NULL AND cid NOT IN (SELECT cid FROM labels) ORDER BY id LIMIT 3)")
[ -n "$C" ] || { fail "three unlabeled scored conversations"; finish; exit 1; }
lab() { "$CURATE" --reviewer "$1" label "$2" --set $F1="$3" --set $F2="$4" --set $F3="$5" >/dev/null 2>>errs || echo "label $1 $2 failed" >>errs; }
# Before the conflicts exist the tab is not shown and 8 leaves the list.
tui_start
tui_check "the tabs" "7 Fail"
hasnt "no Conflicts tab without conflicts" "Confl" "$WORK/screen"
tui_keys 8
tui_check "8 says why" "no conflicts between reviewers: the Conflicts tab shows when there are some"
tui_check "the list stays" "^. demo-0"
tui_quit "no-conflict session"
lab ann "$A" 8 2 7
lab bob "$A" 3 2.5 7
lab ann "$B" 5 5 5
lab bob "$B" 5 9 1
lab cy "$B" 5 6 4
lab ann "$C" 6 3 6
lab bob "$C" 6.5 3 6
eq "labels stored" "$(cat errs 2>/dev/null)" ""
# A name from another machine (sync) may hold anything: cy's becomes hostile.
sql "UPDATE labels SET reviewer = 'cy' || char(27) || ']0;pwned' || char(7) WHERE reviewer = 'cy'"
check "refresh the derived state" "$CURATE" consensus --tolerance 1
eq "two conflicts" "$(sql "SELECT group_concat(id, ' ') FROM (SELECT id FROM conversations WHERE consensus = 3 ORDER BY id)")" "$A $B"
check_rc "--filter conflict lists them" 0 "$CURATE" list --filter conflict
eq "exactly the conflicts" "$(grep -cE "^($A|$B) " "$WORK/out")/$(grep -cE "^demo-" "$WORK/out")" "2/2"
check "assignments" "$CURATE" assign --to ann,bob --overlap 1 --filter all

# fmt V: a score as the workbench shows it (score_format: 8 -> 8.0, 5.55).
fmt() { $PY -c "import sys; s='%.2f' % float(sys.argv[1]); s=s.rstrip('0'); print(s + '0' if s.endswith('.') else s)" "$1"; }
lval() { sql "SELECT json_extract(l.scores, '\$.$3') FROM labels l JOIN conversations c USING(cid) WHERE c.id = '$1' AND l.reviewer = '$2' AND l.undone_at IS NULL ORDER BY l.id DESC LIMIT 1"; }
mval() { sql "SELECT json_extract(p.scores, '\$.$2') FROM predictions p JOIN conversations c ON p.id = c.pred_id WHERE c.id = '$1'"; }

tui_start CURATE_REVIEWER=lead
tui_check "Conflicts tab with its count" "8 Confl(icts)? ?\\(2\\)"
tui_keys 8
tui_check "lists the conflicts" "^. $A "
tui_check "both" "^  $B "
tui_keys Enter
tui_check "adjudication screen" "curate \\| Adjudicate"
tui_check "the conversation is shown" "^$A  seller "
tui_check "reviewer columns by name" "Field +1 ann 2 bob +model sprd +cons +adjud"
tui_check "responsiveness: ann, bob, model, spread beyond the tolerance" \
  "Responsiveness +$(fmt 8) +$(fmt 3) +$(fmt "$(mval "$A" $F1)") +$(fmt 5)! +- "
tui_check "negative: within the tolerance (no !)" \
  "Customer Negative +$(fmt 2) +$(fmt 2.5) +$(fmt "$(mval "$A" $F2)") +$(fmt 0.5)  +- "
tui_check "the verdict" "conflict: $F1 differs by 5.00 \\(tolerance 1\\)"
tui_check "which fields" "beyond the tolerance: $F1(,|$)"
ANN_A=$(sql "SELECT max(l.id) FROM labels l JOIN conversations c USING(cid) WHERE c.id = '$A' AND reviewer = 'ann'")
tui_check "ann's label named" "1  ann: label #$ANN_A, "
tui_check "nothing picked yet" "pick: 1-2 a reviewer's label, m the model's"
tui_keys Enter
tui_check "Enter with nothing picked refuses" "pick the adjudicated values first"
eq "nothing stored" "$(sql "SELECT count(*) FROM labels WHERE role = 'adjudication'")" "0"
tui_keys ?
tui_check "help from the key table" "adopt reviewer 1-9's label"
tui_keys q
tui_keys m
tui_check "m adopts the model's values (the column's start): still not saved" \
  "adjudicated values: the model's values; not saved yet"
tui_keys 2
tui_check "2 adopts bob's values" "adjudicated values = bob's label; Enter saves"
tui_check "shown in the adjudicated column" "Responsiveness +$(fmt 8) +$(fmt 3) +\\S+ +\\S+ +- +$(fmt 3) *$"
tui_keys R
tui_check "a reload keeps them, unsaved" "adjudicated values: bob's label; not saved yet"
tui_keys Enter
tui_check "saved, next conflict" "adjudicated $A: label #[0-9]+ by lead, from bob's label \\(u undoes\\); next conflict"
tui_check "now on $B" "^$B  seller "
eq "$A adjudicated (consensus 4, reviewed)" "$(sql "SELECT consensus, status FROM conversations WHERE id = '$A'")" "4|2"
check_rc "curate show $A" 0 "$CURATE" show "$A"
has "the human label is the lead's" "^human \\(lead, corrected\\):" "$WORK/out"
has "an adjudication in the history" "lead adjudication: corrected" "$WORK/out"
has "bob's responsiveness" "^  $F1 +3\\.00$" "$WORK/out"
has "bob's negative" "^  $F2 +2\\.50$" "$WORK/out"
has "bob's overall" "^  overall_seller_score +$(printf %.2f "$(lval "$A" bob overall_seller_score)")$" "$WORK/out"
check "export pool --reviewed" "$CURATE" export pool --reviewed -o adj.jsonl
check "exported with bob's values" $PY - adj.jsonl "$A" <<'PYEOF'
import json, sys
row = next(json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["conversation_id"] == sys.argv[2])
assert float(row["responsiveness_score"]) == 3.0 and float(row["customer_negative_score"]) == 2.5, row
PYEOF

# B: three reviewers (the hostile name sanitised), no value of the model
# taken: adopt ann's, type the negative score, save.
tui_check "three reviewer columns" "Field +1 ann 2 bob 3 cy. +model"
tui_check "the hostile name shown sanitised" "3  cy␛\\]0;pwned␇: label #"
tui_keys 1 j t 6 . 5 Tab
tui_check "typed value committed" "Customer Negative +$(fmt 5) +$(fmt 9) +$(fmt 6) +\\S+ +$(fmt 4)! +- +$(fmt 6.5) *$"
tui_check "says edited" "adjudicated values: ann's label, edited; not saved yet"
tui_keys Enter
tui_check "saved, none left" "adjudicated $B: label #[0-9]+ by lead, from ann's label, edited \\(u undoes\\); no conflicts left"
tui_check "the consensus column shows the adjudication" "Customer Negative +$(fmt 5) +$(fmt 9) +$(fmt 6) +\\S+ +$(fmt 4)! +$(fmt 6.5) +$(fmt 6.5) *$"
tui_check "the verdict says adjudicated" "adjudicated by lead \\(label #[0-9]+\\)"
check_rc "curate show $B" 0 "$CURATE" show "$B"
has "typed negative stored" "^  $F2 +6\\.50$" "$WORK/out"
has "ann's trend stored" "^  $F3 +5\\.00$" "$WORK/out"
OV=$(sed -nE "s/^  overall_seller_score +([0-9.]+)$/\\1/p" "$WORK/out" | tail -1)
tui_check "the overall shown is the one stored ($OV)" "Overall Seller +.* +$(fmt "$OV") +$(fmt "$OV") *$"
eq "no conflicts in the pool" "$(sql "SELECT count(*) FROM conversations WHERE consensus = 3")" "0"
tui_keys u
tui_check "undo says what: the adjudication" "undone: adjudication #[0-9]+ of $B"
tui_check "a conflict again on screen" "conflict: $F2 differs by 4.00"
eq "a conflict again in the pool" "$(sql "SELECT consensus FROM conversations WHERE id = '$B'")" "3"
# Leaving with an unsaved adjudication asks.
tui_keys 3 q
tui_check "asks before leaving" "Unsaved adjudication of $B: s save it, d discard"
tui_keys d
tui_check "back to the queue, one conflict left" "8 Confl(icts)? ?\\(1\\)"
eq "nothing saved by d" "$(sql "SELECT consensus FROM conversations WHERE id = '$B'")" "3"
tui_keys 5
HUM=$(fmt "$(sql "SELECT human_overall FROM conversations WHERE id = '$A'")")
tui_check "the queue's human column: $A's adjudicated overall" "^. $A +\\S+ +[0-9]+ +\\S+ +$HUM "

# The Team view against the CLI on the same pool.
tui_keys T
tui_check "team view" "Team \\| [0-9]+ reviewers \\| conflicts 1 \\(tolerance 1\\)"
tui_screen >team.txt
"$CURATE" stats --by-reviewer >stats.txt 2>&1
"$CURATE" assign --status >assign.txt 2>&1
"$CURATE" agreement >agree.txt 2>&1
check "team view figures equal the CLI's" $PY - team.txt stats.txt assign.txt agree.txt <<'PYEOF'
import re, sys
screen, stats, assign, agree = (open(f).read().splitlines() for f in sys.argv[1:5])
rows = {l.split()[0]: l.split()[1:] for l in screen if re.match(r"^ \S+ +\d+ +\d+ ", l)}
asg = {l.split()[0]: l.split()[1:] for l in assign[1:] if l.strip()}
n = 0
for l in stats[1:]:
    f = l.split()
    if not f or f[0].startswith("(") or "\u241b" in f[0]: continue   # the hostile name: below
    want = f[1:6] + ([asg[f[0]][0], asg[f[0]][2]] if f[0] in asg else ["-", "-"])
    assert rows.get(f[0]) == want, (f[0], rows.get(f[0]), want)
    n += 1
assert n >= 3, (n, rows)
for l in agree:
    m = re.match(r"^(\w+): alpha (\S+) over (\d+) conversations, (\d+) values$", l)
    if not m: continue
    line = next(s for s in screen if s.startswith(" " + m.group(1) + " "))
    assert line.split()[1:4] == [m.group(2), m.group(3), m.group(4)], (line, l)
    n += 1
assert n >= 7, n
PYEOF
tui_check "the hostile name sanitised there too" "^ cy␛\\]0;pwned␇ "
tui_keys ?
tui_check "global help names the team view" "T +team view: per reviewer figures"
tui_keys q q
tui_keys 8 ?
tui_check "queue help names the Conflicts tab" "Conflicts tab: Enter adjudicates"
tui_keys q
# A conflict without model scores (made meanwhile by the CLI): every part
# needs a value before it is saved.
U=$(sql "SELECT id FROM conversations WHERE pred_id IS NULL AND cid NOT IN (SELECT cid FROM labels) ORDER BY id LIMIT 1")
lab ann "$U" 1 1 1
lab bob "$U" 9 9 9
tui_keys R / C-u "$U" Enter
tui_check "found in the Conflicts tab" "^. $U "
tui_keys Enter
tui_check "no model values" "Responsiveness +$(fmt 1) +$(fmt 9) +- +$(fmt 8)! +- +- *$"
tui_keys t 5 Enter Enter
tui_check "a part without a value refuses" "give $F2 a value first"
eq "nothing stored for $U" "$(sql "SELECT count(*) FROM labels l JOIN conversations c USING(cid) WHERE c.id = '$U' AND l.role = 'adjudication'")" "0"
tui_keys q d
tui_check "discarded" "adjudication discarded"
# Two leads on one conflict: lead2 adjudicates $U (CLI) while lead has it
# open; lead's save asks first, as the review screen does.
tui_keys Enter
tui_check "$U open again" "^$U  seller "
tui_keys 1
tui_check "ann's values adopted" "adjudicated values = ann's label"
check "lead2 adjudicates $U meanwhile" "$CURATE" --reviewer lead2 adjudicate "$U" --set $F1=2 --set $F2=2 --set $F3=2
tui_keys Enter
tui_check "asks: lead2 adjudicated it since" "lead2 adjudicated '$U' at \\S+ \\(adjudication #[0-9]+\\) since you opened it"
tui_keys n
tui_check "n: not saved" "not saved: your adjudicated values are still on screen"
eq "only lead2's adjudication" "$(sql "SELECT group_concat(reviewer) FROM labels l JOIN conversations c USING(cid) WHERE c.id = '$U' AND l.role = 'adjudication'")" "lead2"
tui_keys Enter
tui_check "asked again" "lead2 adjudicated '$U'"
tui_keys y
tui_check "y: saved" "adjudicated $U: label #[0-9]+ by lead, from ann's label"
eq "both kept, lead's the consensus" "$(sql "SELECT (SELECT group_concat(reviewer) FROM (SELECT l.reviewer FROM labels l JOIN conversations c USING(cid) WHERE c.id = '$U' AND l.role = 'adjudication' ORDER BY l.id)) || '|' || (SELECT l.reviewer FROM labels l JOIN conversations c ON l.id = c.label_id WHERE c.id = '$U')")" "lead2,lead|lead"
tui_quit
finish
