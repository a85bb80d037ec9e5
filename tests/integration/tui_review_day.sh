#!/bin/bash
# tui_review_day.sh: the review screen of issue 17 in tmux, each point
# checked against what the pool then holds (`curate show`, `export pool`):
#  - guidelines: the picked field's description on screen at all times, g
#    for the full guidelines (the same text as `curate show --guidelines`),
#    a rubric's "guidelines" Markdown file, and its errors;
#  - field keys chosen from the rubric (collisions resolved), shown in the
#    score panel and in ? help; "field key, digits, Enter" saves;
#  - rationale (prefilled with the model's) and comment: stored with the
#    label, shown by show and the screen, exported as score_rationale, the
#    same as `curate label --rationale --comment`;
#  - ? then a closes the help only, on every screen.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

# ---- a rubric with a guidelines file and colliding field initials ----
mkdir -p "$WORK/rub"
cat >"$WORK/rub/guide.md" <<'EOF'
# Support guide

**Speed**: minutes are good, hours are bad.
Safety first: GUIDE-MARK-42.
EOF
cat >"$WORK/rub/rubric.json" <<'EOF'
{"name": "SupportSignature", "instructions": "Rate the support agent.",
 "guidelines": "guide.md",
 "fields": [
   {"name": "ticket", "kind": "input", "description": "The ticket thread"},
   {"name": "speed_score", "kind": "score", "weight": 0.25, "description": "0-10: how fast the agent answered"},
   {"name": "safety_score", "kind": "score", "weight": 0.25, "description": "0-10: no risky advice"},
   {"name": "style_score", "kind": "score", "weight": 0.25, "description": "0-10: polite and clear"},
   {"name": "accuracy_score", "kind": "score", "weight": 0.25, "description": "0-10: correct answers"},
   {"name": "total_score", "kind": "overall", "description": "weighted total"},
   {"name": "rationale", "kind": "text", "description": "why"}]}
EOF
cat >"$WORK/conv.jsonl" <<'EOF'
{"id": "t1", "seller_id": "S-1", "messages": [{"ts": "2024-05-01T10:00:00Z", "from": "Ann", "role": "customer", "text": "My router is down"}, {"ts": "2024-05-01T10:05:00Z", "from": "Bo", "role": "seller", "text": "Restarting it now."}]}
{"id": "t2", "seller_id": "S-1", "messages": [{"ts": "2024-05-02T10:00:00Z", "from": "Cy", "role": "customer", "text": "Bill is wrong"}]}
EOF
R=(--rubric "$WORK/rub/rubric.json")
(cd "$WORK" && "$CURATE" "${R[@]}" import conv.jsonl >/dev/null 2>&1) || fail "import under the rubric"
(cd / && "$CURATE" "${R[@]}" show --guidelines) >"$WORK/guide.txt" 2>&1
eq "show --guidelines exits 0 (file read beside the rubric, from any folder)" "$?" "0"
has "guidelines: instructions" '^Instructions: Rate the support agent\.$' "$WORK/guide.txt"
has "guidelines: each field's range, orientation, weight" '^  speed_score \(0-10, higher is better, weight 0\.25\)$' "$WORK/guide.txt"
has "guidelines: each field's description" '^    0-10: no risky advice$' "$WORK/guide.txt"
has "guidelines: the Markdown file as written" '^Safety first: GUIDE-MARK-42\.$' "$WORK/guide.txt"
# bad guidelines: a clear error naming the file and the key, nothing done
sed 's/"guide.md"/"nope.md"/' "$WORK/rub/rubric.json" >"$WORK/rub/bad.json"
check_rc "a missing guidelines file is refused" 2 "$CURATE" --rubric "$WORK/rub/bad.json" show --guidelines
has "the error names the rubric file, the key and the path" "bad\.json: guidelines: cannot read 'nope\.md'" "$WORK/out"
sed 's/"guide.md"/42/' "$WORK/rub/rubric.json" >"$WORK/rub/bad2.json"
check_rc "guidelines that are no text are refused" 2 "$CURATE" --rubric "$WORK/rub/bad2.json" show --guidelines
has "says what it expected" "bad2\.json: guidelines: expected text or the path of a Markdown file" "$WORK/out"
# the built-in rubric: field descriptions unchanged (they are the DSPy
# signature), reviewer guidelines added
"$CURATE" show --guidelines >"$WORK/builtin.txt" 2>&1
has "built-in: the DSPy description" '^    Score 0-10: customer frustration, complaints, negative sentiment$' "$WORK/builtin.txt"
has "built-in: guidelines for a new reviewer" 'Customer negative \(LOWER is better\)' "$WORK/builtin.txt"

tui_start CURATE_REVIEWER=kim -- "${R[@]}"
tui_check "queue under the rubric" "1 To review"
tui_keys Enter
tui_wait "^t1 +seller" 10 || fail "opens t1"
# keys from the rubric: speed S (s is skip), safety f, style y, accuracy A
# (a is accept), total t
tui_check "panel: speed's key S" " S Speed "
tui_check "panel: safety's key f" " f Safety "
tui_check "panel: style's key y" " y Style "
tui_check "panel: accuracy's key A" " A Accuracy "
tui_check "panel: total's key t" " t Total "
tui_check "the first field's description on screen" "0-10: how fast the agent answered"
tui_keys y
tui_check "the picked field's description follows it" "0-10: polite and clear"
tui_keys '?'
tui_check "? lists the field keys from the key table" "y +pick style_score"
tui_keys a
tui_wait_gone "Help - every key" 5 || fail "the help closes"
eq "? a: the help's closing a accepted nothing" "$(sql "SELECT count(*) FROM labels")" "0"
tui_keys g
tui_check "g: the guidelines screen" "Safety first: GUIDE-MARK-42"
# every line of show --guidelines is on it (the same text), the wide ones wrapped
bad=0
while IFS= read -r line; do
  [ -z "$line" ] && continue
  [ ${#line} -gt 100 ] && continue
  grep -qF -- "$line" "$WORK/screen" || { bad=1; fail "guidelines screen has: $line"; }
done <"$WORK/guide.txt"
[ $bad -eq 0 ] && pass "the guidelines screen shows what show --guidelines prints"
tui_keys q
tui_wait "^t1 +seller" 5 || fail "q: back to the review"
# one correction per field key: key, digits; Enter commits and saves
tui_keys S 4 f 6 y 8 A 2 Enter
tui_check "Enter commits the last value and saves" "saved t1 as corrected"
tui_keys n                  # t2 is unscored, not "to review": n opens it
tui_wait "^t2 +seller" 10 || fail "n opens t2"
tui_check "the next opens on the first field" "▸ S Speed"
"$CURATE" "${R[@]}" show t1 >"$WORK/show" 2>&1
sed -n '/^human/,/^$/p' "$WORK/show" >"$WORK/human"
has "stored: speed 4 (typed after S)" '^  speed_score +4\.00$' "$WORK/human"
has "stored: safety 6 (typed after f)" '^  safety_score +6\.00$' "$WORK/human"
has "stored: style 8 (typed after y)" '^  style_score +8\.00$' "$WORK/human"
has "stored: accuracy 2 (typed after A)" '^  accuracy_score +2\.00$' "$WORK/human"
has "stored: the total by the formula" '^  total_score +5\.00$' "$WORK/human"
tui_quit

# ---- rationale and comment (built-in rubric, demo pool) ----
tui_demo_pool || { fail "demo pool"; finish; exit 1; }
ids=($(sql "SELECT id FROM conversations WHERE status = 1 ORDER BY id LIMIT 3"))
model_why=$(sql "SELECT p.rationale FROM conversations c JOIN predictions p ON p.id = c.pred_id WHERE c.id = '${ids[0]}'")
tui_start CURATE_REVIEWER=kim
tui_check "queue" "1 To review"
tui_keys Enter
tui_wait "^${ids[0]} +seller" 10 || fail "opens ${ids[0]}"
tui_keys w
tui_check "w: the rationale prompt, prefilled with the model's" "Rationale \\(Enter sets, Ctrl-U clears, Esc cancels\\): .*${model_why:0:20}"
tui_keys C-u
tui_keys -l "Replied after 9 hours; WHY-MARK."
tui_keys Enter
tui_check "your rationale on screen" "Your rationale \\(w\\)"
tui_check "its text on screen" "Replied after 9 hours; WHY-MARK\\."
tui_keys q
tui_check "an unsaved rationale asks before leaving" "Unsaved edits to ${ids[0]}"
tui_keys x
tui_wait "still here" 5 || fail "any other key stays"
tui_keys C
tui_check "C: the comment prompt" "Comment \\(Enter sets"
tui_keys -l "good example for training"
tui_keys Enter
tui_check "your comment on screen" "Your comment \\(C\\)"
tui_keys Enter
tui_wait "^${ids[1]} +seller" 10 || fail "Enter saves and moves on"
tui_check "the save says what went with it" "saved ${ids[0]} as accepted: prediction #[0-9]+, your rationale and comment"
tui_keys w
tui_wait "Rationale \\(Enter" 5 || fail "w prompts on ${ids[1]}"
tui_keys Enter
tui_check "the prefilled model's rationale left as it was is not yours" "rationale as the model's: the model's stands"
tui_keys a
tui_wait "^${ids[2]} +seller" 10 || fail "a accepts ${ids[1]}"
tui_quit
"$CURATE" show "${ids[0]}" >"$WORK/show" 2>&1
has "show: accepted (the scores are the model's)" '^human \(kim, accepted prediction' "$WORK/show"
has "show: the reviewer's rationale" "^  rationale \\(reviewer's\\): Replied after 9 hours; WHY-MARK\\.$" "$WORK/show"
has "show: the comment" '^  comment: good example for training$' "$WORK/show"
"$CURATE" export pool -o "$WORK/ex.jsonl" >/dev/null 2>&1
why() { $PY -c "import json,sys; print([json.loads(l).get('score_rationale') for l in open(sys.argv[1]) if json.loads(l)['conversation_id'] == sys.argv[2]][0])" "$WORK/ex.jsonl" "$1"; }
eq "export: score_rationale is the reviewer's" "$(why "${ids[0]}")" "Replied after 9 hours; WHY-MARK."
eq "an untouched prefill stores no rationale" "$(sql "SELECT count(*) FROM labels l JOIN conversations c USING(cid) WHERE c.id = '${ids[1]}' AND l.rationale IS NULL")" "1"
eq "export: else the model's" "$(why "${ids[1]}")" \
  "$(sql "SELECT p.rationale FROM conversations c JOIN predictions p ON p.id = c.pred_id WHERE c.id = '${ids[1]}'")"
# the CLI twin stores the same
check "label --rationale --comment" "$CURATE" --reviewer kim label "${ids[2]}" --rationale "Replied after 9 hours; WHY-MARK." --comment "good example for training"
row() { sql "SELECT l.status || '|' || l.rationale || '|' || l.comment || '|' || (l.pred_id = c.pred_id) FROM labels l JOIN conversations c USING(cid) WHERE c.id = '$1' ORDER BY l.id DESC LIMIT 1"; }
eq "the CLI's label row equals the workbench's" "$(row "${ids[2]}")" "$(row "${ids[0]}")"
check_rc "--skip takes no --rationale" 2 "$CURATE" label "${ids[2]}" --skip --rationale x
has "says to use --comment" "no --rationale \\(give the reason with --comment\\)" "$WORK/out"

# ---- the rationale in an optimisation's labeled demos and its trainset ----
for id in $(sql "SELECT id FROM conversations WHERE status = 1 ORDER BY id LIMIT 30"); do
  "$CURATE" --reviewer demo label "$id" --rationale "WHY-$id" >/dev/null 2>&1 || fail "label $id --rationale"
done
"$CURATE" optimize --max-bootstrapped 0 --edge 0 --sample 15 --val 5 >"$WORK/out" 2>&1
rc=$?   # 0 improved, 3 not improved: a program is stored either way
[ $rc -eq 0 ] || [ $rc -eq 3 ] && pass "optimize (labeled demos only)" || fail "optimize (labeled demos only)" "exit $rc: $(tail -3 "$WORK/out")"
pg=$(sql "SELECT max(id) FROM programs")
check "export the program" "$CURATE" export json --program "$pg" -o "$WORK/state.json"
check "export its training set" "$CURATE" export pool --trainset "$pg" -o "$WORK/train.jsonl"
check "labeled demos and the trainset carry the reviewer's rationale" $PY - "$WORK/state.json" "$WORK/train.jsonl" <<'PY'
import json, sys
demos = json.load(open(sys.argv[1]))["analyze.predict"]["demos"]
train = {json.loads(l)["conversation_id"]: json.loads(l) for l in open(sys.argv[2])}
ours = {k: v for k, v in train.items() if v.get("score_rationale", "").startswith("WHY-")}
assert ours, "no reviewer rationale in the training set"
for k, v in ours.items():
    assert v["score_rationale"] == "WHY-" + k, (k, v["score_rationale"])
with_why = [d for d in demos if d.get("score_rationale", "").startswith("WHY-")]
assert with_why, [d.get("score_rationale") for d in demos]
for d in with_why:
    cid = d["score_rationale"][4:]
    assert train[cid]["conversation"] == d["conversation"], cid
    assert "augmented" not in d and "reasoning" not in d, d.keys()
print(len(with_why), "of", len(demos), "demos;", len(ours), "training examples")
PY

# ---- ? then a closes the help only, on every screen ----
# screen_body: the pane without its title bar (an indexer may update it)
body() { tui_screen | tail -n +2; }
help_then_a() { # NAME: the screen is on; ? a must leave it as it was
  local before after n0
  n0=$(sql "SELECT count(*) FROM labels")
  before=$(body)
  tui_keys '?'
  tui_wait "Help - every key" 5 || { fail "$1: ? opens the help"; return; }
  tui_keys a
  tui_wait_gone "Help - every key" 5 || { fail "$1: a closes the help"; return; }
  sleep 0.3
  after=$(body)
  if [ "$before" = "$after" ] && [ "$(sql "SELECT count(*) FROM labels")" = "$n0" ]; then
    pass "$1: ? a closes the help and does nothing else"
  else
    fail "$1: ? a closes the help and does nothing else" "$(diff <(echo "$before") <(echo "$after") | head -8)"
  fi
}
tui_start CURATE_REVIEWER=kim
tui_check "queue again" "1 To review"
sleep 0.5
help_then_a "queue"
tui_keys Enter
tui_wait "seller .* msgs" 10 || fail "review opens"
help_then_a "review"
tui_keys g
tui_wait "Guidelines" 5
help_then_a "guidelines"
tui_keys q q
tui_check "back on the queue" "1 To review"
tui_keys d
tui_wait "Distribution" 10 || fail "distribution opens"
help_then_a "distribution"
tui_keys q P
tui_wait "Programs" 10 || fail "programs open"
help_then_a "programs"
tui_keys q L
tui_wait "Log" 10 || fail "log opens"
help_then_a "log"
tui_keys q x
tui_wait "Actions" 5 || fail "menu opens"
help_then_a "actions menu"
tui_keys Escape
tui_quit
finish
