#!/bin/bash
# tui_concurrency.sh: two workbench sessions (alice, bob) reviewing the same
# pool while a `curate score` job writes to it. No "database is locked"
# reaches either screen, every save shown on screen is in the pool under
# the right reviewer, nothing is lost.
source "$(dirname "$0")/lib.bash"
cd "$WORK" || exit 1
"$CURATE" demo --reset >/dev/null
start_llm --latency-ms 40 || { fail "llm"; finish; exit 1; }
SA=curate-conc-a-$$ SB=curate-conc-b-$$
trap 'tmux -L $SA kill-server 2>/dev/null; tmux -L $SB kill-server 2>/dev/null; cleanup' EXIT
for s in "$SA:alice" "$SB:bob"; do
  sock=${s%%:*} who=${s##*:}
  tmux -L "$sock" new-session -d -x 120 -y 40 \
    "env LC_ALL=C.UTF-8 $CURATE --db $CURATE_DB --reviewer $who 2>$WORK/$who.err; echo \$? >$WORK/$who.exit; sleep 600"
done
wait_screen() { # sock pattern
  local i; for i in $(seq 1 200); do tmux -L "$1" capture-pane -p | grep -qE -- "$2" && return 0; sleep 0.05; done; return 1; }
wait_screen "$SA" ' curate \| ' && wait_screen "$SB" ' curate \| ' && pass "both sessions up" || fail "both sessions up"

CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=conc-model "$CURATE" score --all --concurrency 4 >score.out 2>&1 &
sp=$!
for sock in "$SA" "$SB"; do tmux -L "$sock" send-keys 1 g Enter; done
: >seen; : >errors
declare -A last=([alice]= [bob]=)
for i in $(seq 1 25); do
  for s in "$SA:alice" "$SB:bob"; do
    sock=${s%%:*} who=${s##*:}
    tmux -L "$sock" send-keys a
    # Wait for this save's outcome: a "saved ID" line naming another id than
    # the last one, or the question asked when the other reviewer labeled
    # the conversation since it was opened (answered yes: both labels are
    # wanted here).
    for j in $(seq 1 100); do
      sleep 0.05
      tmux -L "$sock" capture-pane -p >"scr.$who"
      if grep -q 'save yours too?' "scr.$who"; then tmux -L "$sock" send-keys y; continue; fi
      cur=$(grep -oE 'saved [^ ]+ as accepted' "scr.$who" | tail -1)
      [ -n "$cur" ] && [ "$cur" != "${last[$who]}" ] && break
    done
    last[$who]=$cur
    grep -oE 'saved [^ ]+ as accepted' "scr.$who" | sed "s/^/$who /" >>seen
    grep -E 'database is locked|stayed busy|not saved' "scr.$who" >>errors
  done
done
wait $sp; src=$?
eq "score job finished" "$src" "0"
hasnt "no locked/busy/not saved on any screen" '.' errors
sort -u seen >seen.u
bad=0
while read -r who _ id _; do
  n=$(sql "SELECT count(*) FROM labels l JOIN conversations c USING(cid) WHERE c.id='$id' AND l.reviewer='$who'")
  [ "$n" -ge 1 ] || { bad=$((bad + 1)); echo "missing: $who $id"; }
done <seen.u
eq "every save seen on screen is stored under its reviewer" "$bad" "0"
na=$(sql "SELECT count(*) FROM labels WHERE reviewer='alice'")
nb=$(sql "SELECT count(*) FROM labels WHERE reviewer='bob'")
[ "$na" -ge 20 ] && [ "$nb" -ge 20 ] && pass "both reviewers saved ($na, $nb)" || fail "both reviewers saved" "alice $na bob $nb"
eq "score run complete" "$(sql "SELECT count(DISTINCT cid) FROM predictions WHERE run_id=(SELECT max(id) FROM runs WHERE kind='score')")" "240"
eq "integrity" "$(sql 'PRAGMA integrity_check')" "ok"
for s in "$SA:alice" "$SB:bob"; do
  sock=${s%%:*} who=${s##*:}
  for i in $(seq 1 30); do [ -s "$WORK/$who.exit" ] && break; tmux -L "$sock" send-keys q; sleep 0.1; done
  eq "$who exits 0" "$(cat "$WORK/$who.exit" 2>/dev/null)" "0"
  hasnt "$who stderr clean" '.' "$WORK/$who.err"
done
finish
