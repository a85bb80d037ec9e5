#!/bin/bash
# tui_keystrokes.sh: the reviewer's keystrokes (issue 17, "Done when"): a
# scripted review of 25 conversations in the workbench under tmux, five of
# each kind: accept; one field corrected by typing; two fields corrected;
# skip; edge case with a note. Every key sent is counted (digits and note
# text apart); the table is printed, and the test fails when an accept
# takes more than 1 key or one typed correction more than 4 keys plus the
# digits. What the screen was told is what the pool then holds (`curate
# show`, `export pool`).
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

tui_demo_pool || { fail "demo pool"; finish; exit 1; }
# The queue's To review tab, in its order: each save opens the next one.
ids=($(sql "SELECT id FROM conversations WHERE status = 1 ORDER BY id LIMIT 25"))
eq "25 conversations to review" "${#ids[@]}" "25"

# The model's value of a field of conversation $1, and a value to type
# that differs from it (an integer, so the digits are counted exactly).
model_of() {
  sql "SELECT json_extract(p.scores, '\$.$2') FROM conversations c
       JOIN predictions p ON p.id = c.pred_id WHERE c.id = '$1'"
}
other_than() { $PY -c "import sys; v = float(sys.argv[1]); print(2 if round(v) != 2 else 8)" "$1"; }
opened() { tui_wait "^$1 +seller" 30; }

declare -A keys digits text n
KINDS="accept one_field two_fields skip edge_note"
for k in $KINDS; do keys[$k]=0; digits[$k]=0; text[$k]=0; n[$k]=0; done
# send KIND KEY...: tmux keys, each counted as one keystroke (a digit as a
# digit); sendtext KIND TEXT: literal text, counted as characters.
send() {
  local kind=$1 k; shift
  for k in "$@"; do
    if [[ "$k" =~ ^[0-9.]$ ]]; then digits[$kind]=$((digits[$kind] + 1))
    else keys[$kind]=$((keys[$kind] + 1)); fi
  done
  tui_keys "$@"
}
sendtext() { text[$1]=$((text[$1] + ${#2})); tui_keys -l "$2"; }
digits_of() { local s=$1 out=() i; for ((i = 0; i < ${#s}; i++)); do out+=("${s:i:1}"); done; echo "${out[@]}"; }

tui_start CURATE_REVIEWER=kim
tui_check "queue" "1 To review"
tui_keys Enter
opened "${ids[0]}" || fail "opens ${ids[0]}"
tui_check "field keys in the score panel" " c Customer Negative"

declare -A want_status want_field want_value want_field2 want_value2 want_note
for i in $(seq 0 24); do
  id=${ids[$i]}
  kind=$(echo $KINDS | cut -d' ' -f$((i % 5 + 1)))
  n[$kind]=$((n[$kind] + 1))
  # Every conversation opens on the first field (nothing carried over).
  # (waited for: tmux may capture a redraw half done, the new header over
  # the old score panel)
  tui_wait "▸ i Responsiveness" 20 2>/dev/null || fail "$id opens on the first field" "$(grep -E 'Responsiveness|Customer Negative' "$WORK/screen" | head -2)"
  case $kind in
  accept)
    send $kind a
    want_status[$id]=accepted ;;
  one_field)
    v=$(other_than "$(model_of "$id" customer_negative_score)")
    send $kind c $(digits_of "$v") Enter
    want_status[$id]=corrected; want_field[$id]=customer_negative_score; want_value[$id]=$v ;;
  two_fields)
    v=$(other_than "$(model_of "$id" customer_negative_score)")
    w=$(other_than "$(model_of "$id" conversational_trend_score)")
    send $kind c $(digits_of "$v") t $(digits_of "$w") Enter
    want_status[$id]=corrected; want_field[$id]=customer_negative_score; want_value[$id]=$v
    want_field2[$id]=conversational_trend_score; want_value2[$id]=$w ;;
  skip)
    send $kind s
    want_status[$id]=skipped ;;
  edge_note)
    send $kind e
    tui_wait "Edge case note" 20 || fail "$id: edge prompt"
    sendtext $kind "edge $i: odd refund"
    send $kind Enter
    tui_wait "marked as an edge case" 20 || fail "$id: edge marked"
    want_note[$id]="edge $i: odd refund"
    # and its label: the model's prediction, one key
    send $kind a
    want_status[$id]=accepted ;;
  esac
  if [ $i -lt 24 ]; then
    opened "${ids[$((i + 1))]}" || fail "$id: the next one opens after $kind"
  else
    tui_wait "saved ${ids[24]}" 30 || fail "the last one is saved"
  fi
done
tui_quit

# ---- what was sent is what is stored ----
bad=0
for id in "${ids[@]}"; do
  "$CURATE" show "$id" >"$WORK/show" 2>&1
  st=$(sql "SELECT l.status FROM labels l JOIN conversations c USING(cid) WHERE c.id = '$id' ORDER BY l.id DESC LIMIT 1")
  [ "$st" = "${want_status[$id]}" ] || { bad=1; fail "$id stored as ${want_status[$id]}" "got '$st'"; }
  if [ -n "${want_field[$id]:-}" ]; then
    grep -qE "^  ${want_field[$id]} +$(printf '%.2f' "${want_value[$id]}")\$" <(sed -n '/^human/,/^$/p' "$WORK/show") ||
      { bad=1; fail "$id: show has ${want_field[$id]} = ${want_value[$id]}" "$(sed -n '/^human/,/^$/p' "$WORK/show")"; }
  fi
  if [ -n "${want_field2[$id]:-}" ]; then
    grep -qE "^  ${want_field2[$id]} +$(printf '%.2f' "${want_value2[$id]}")\$" <(sed -n '/^human/,/^$/p' "$WORK/show") ||
      { bad=1; fail "$id: show has ${want_field2[$id]} = ${want_value2[$id]}" "$(sed -n '/^human/,/^$/p' "$WORK/show")"; }
  fi
  if [ -n "${want_note[$id]:-}" ]; then
    grep -qF "edge case: ${want_note[$id]}" "$WORK/show" || { bad=1; fail "$id: edge note shown" "$(grep edge "$WORK/show")"; }
  fi
done
[ $bad -eq 0 ] && pass "all 25: curate show holds what was typed"
"$CURATE" export pool --edge -o "$WORK/edge.jsonl" >/dev/null 2>&1
eq "export pool --edge: the 5 edge cases marked, with their notes" \
  "$($PY -c "import json,sys; print(sorted(n for n in (json.loads(l)['edge_note'] for l in open(sys.argv[1])) if 'odd refund' in n))" "$WORK/edge.jsonl")" \
  "$($PY -c "print(sorted('edge %d: odd refund' % i for i in range(4, 25, 5)))")"

# ---- the table ----
echo "keystrokes per conversation (25 reviewed, 5 of each kind; digits and note text apart):"
printf '  %-34s %5s %7s %6s\n' "action" "keys" "digits" "text"
for k in $KINDS; do
  case $k in
  accept) label="accept" ;;
  one_field) label="one field corrected by typing" ;;
  two_fields) label="two fields corrected by typing" ;;
  skip) label="skip" ;;
  edge_note) label="edge case with a note (+ accept)" ;;
  esac
  per_k=$((keys[$k] / n[$k])); per_d=$((digits[$k] / n[$k])); per_t=$((text[$k] / n[$k]))
  printf '  %-34s %5d %7d %6d\n' "$label" "$per_k" "$per_d" "$per_t"
  eval "per_$k=$per_k"
done
[ "$per_accept" -le 1 ] && pass "accept takes 1 key ($per_accept)" || fail "accept takes 1 key" "$per_accept"
[ "$per_one_field" -le 4 ] && pass "one typed correction: at most 4 keys plus the digits ($per_one_field)" ||
  fail "one typed correction: at most 4 keys plus the digits" "$per_one_field"
finish
