#!/bin/bash
# team_stale.sh: a conflict between two reviewers, then a re-import that
# changes the conversation: their labels are stale, and every team view
# (agreement, stats --by-reviewer, consensus, list --filter conflict,
# assign --status) leaves them out by the one rule the derived consensus
# uses.
source "$(dirname "$0")/lib.bash"
cd "$WORK" || exit 1
F1=responsiveness_score F2=customer_negative_score F3=conversational_trend_score
check "demo pool" "$CURATE" demo --count 3 --seed 7
cat >v1.jsonl <<'J'
{"id": "tm-1", "seller_id": "S", "messages": [{"ts": 0, "from": "a", "role": "customer", "text": "refund of 500 EUR please"}, {"ts": 60, "from": "b", "role": "seller", "text": "done"}]}
J
sed 's/refund of 500 EUR please/I loved the tour/' v1.jsonl >v2.jsonl
check "import" "$CURATE" import v1.jsonl
check "both assigned" "$CURATE" assign --to ann,bob --overlap 2 --filter all
check "ann labels" "$CURATE" --reviewer ann label tm-1 --set $F1=9 --set $F2=1 --set $F3=9
check "bob labels, far off" "$CURATE" --reviewer bob label tm-1 --set $F1=1 --set $F2=9 --set $F3=1
check "assign --status" "$CURATE" assign --status
has "ann's assignment done" "^ann +4 +1 +3$" "$WORK/out"

# views: agreement, stats --by-reviewer, consensus, list --filter conflict
views() {  # $1: expected conflicts (0 or 1)
  check_rc "$2: agreement" 0 "$CURATE" agreement
  has "$2: agreement counts $1 in conflict" "in conflict $1 " "$WORK/out"
  check_rc "$2: stats --by-reviewer" 0 "$CURATE" stats --by-reviewer
  has "$2: ann's conflicts $1" "^ann +.* $1$" "$WORK/out"
  if [ "$1" = 1 ]; then has "$2: bob's conflicts 1" "^bob +.* 1$" "$WORK/out"
  else hasnt "$2: bob's conflicts 0 (or no line)" "^bob +.* [1-9]$" "$WORK/out"; fi
  check_rc "$2: consensus" 0 "$CURATE" consensus
  has "$2: consensus counts $1" "conflicts $1$" "$WORK/out"
  if [ "$1" = 1 ]; then has "$2: consensus lists tm-1" "^tm-1: " "$WORK/out"
  else hasnt "$2: consensus does not list tm-1" "^tm-1: " "$WORK/out"; fi
  check_rc "$2: list --filter conflict" 0 "$CURATE" list --filter conflict
  if [ "$1" = 1 ]; then has "$2: listed" "^tm-1 " "$WORK/out"
  else hasnt "$2: not listed" "^tm-1 " "$WORK/out"; fi
}
views 1 "a conflict"

check "re-import of changed content" "$CURATE" import v2.jsonl
has "both labels stale" "2 labels made on the old content are stale" "$WORK/out"
check "assign --status after the re-import" "$CURATE" assign --status
has "ann's assignment to do again (her label is stale)" "^ann +4 +0 +4$" "$WORK/out"
has "and bob's" "^bob +4 +0 +4$" "$WORK/out"
check "ann labels the new content" "$CURATE" --reviewer ann label tm-1 --set $F1=8 --set $F2=2 --set $F3=8
check "assign --status after her new label" "$CURATE" assign --status
has "ann's done again" "^ann +4 +1 +3$" "$WORK/out"
views 0 "after the re-import"
eq "the pool agrees: single, reviewed" "$(sql "SELECT consensus, status FROM conversations WHERE id = 'tm-1'")" "1|2"
finish
