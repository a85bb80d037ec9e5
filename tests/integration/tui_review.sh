#!/bin/bash
# tui_review.sh: the reviewer's loop in the workbench, driven in tmux:
# correct scores, save, undo, accept, skip, edge case with a note, typed
# overall, next/previous; asserts on the screen and on the pool.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

tui_demo_pool || { fail "demo pool"; finish; exit 1; }
ids=($(sql "SELECT id FROM conversations WHERE status = 1 ORDER BY id LIMIT 6"))
n_review=$(sql "SELECT count(*) FROM conversations WHERE status = 1")
id1=${ids[0]} id2=${ids[1]} id3=${ids[2]} id4=${ids[3]} id5=${ids[4]}
pred() { sql "SELECT json_extract(p.scores, '\$.$2') FROM predictions p JOIN conversations c ON c.pred_id = p.id WHERE c.id = '$1'"; }
lab() { sql "SELECT json_extract(l.scores, '\$.$2') FROM labels l JOIN conversations c USING(cid) WHERE c.id = '$1' AND l.undone_at IS NULL ORDER BY l.id DESC LIMIT 1"; }

tui_start
tui_check "queue shows the to-review tab" "1 To review \\($n_review\\)"
tui_check "queue lists the first to review" "$id1"
tui_check "counters" "pool: [0-9]+ today \\| [0-9]+ reviewed \\| $n_review to review"

# ---- correct and save ----
tui_keys Enter
tui_check "review opens the selected conversation" "^$id1 +seller"
tui_check "review shows the scores panel" "Scores +model +yours"
tui_check "review shows senders with roles" "\\((customer|seller)\\)"
cust=$(pred "$id1" customer_negative_score)
tui_keys 9 Tab          # responsiveness := 9, next field
tui_keys +              # customer negative + 0.5
tui_keys j 4 . 5        # trend: typing 4.5
tui_check "typed value is shown while typing" "4\\.5_"
tui_keys Enter          # one Enter commits the typed value and saves (issue 17)
tui_check "save moves to the next to review" "^$id2 +seller"
tui_check "status line confirms the save" "saved $id1 as corrected"
eq "saved label is corrected" "$(tui_label_status "$id1")" "corrected"
eq "responsiveness typed" "$(lab "$id1" responsiveness_score)" "9"
want_cust=$(python3 -c "print(min(10.0, $cust + 0.5))")
got_cust=$(python3 -c "print(float('$(lab "$id1" customer_negative_score)'))")
eq "customer negative raised by 0.5" "$got_cust" "$want_cust"
eq "trend typed" "$(lab "$id1" conversational_trend_score)" "4.5"
want_ov=$(python3 -c "print(round(0.4*9 + 0.3*(10-$want_cust) + 0.3*4.5, 2))")
got_ov=$(python3 -c "print(round(float('$(lab "$id1" overall_seller_score)'), 2))")
eq "overall follows the rubric formula" "$got_ov" "$want_ov"
eq "reviewer recorded" "$(sql "SELECT reviewer FROM labels ORDER BY id DESC LIMIT 1")" "tester"
eq "conversation is reviewed" "$(sql "SELECT status FROM conversations WHERE id = '$id1'")" "2"

# ---- undo ----
tui_keys u
tui_check "undo returns to the conversation" "^$id1 +seller"
tui_check "undo is confirmed" "undone: corrected label #[0-9]+ of $id1"
eq "undone label is retracted" "$(sql "SELECT undone_at IS NOT NULL FROM labels ORDER BY id DESC LIMIT 1")" "1"
eq "conversation is to review again" "$(sql "SELECT status FROM conversations WHERE id = '$id1'")" "1"
eq "no current label" "$(tui_label_status "$id1")" ""

# ---- accept ----
tui_keys a
tui_check "accept moves on" "^$id2 +seller"
eq "accepted label" "$(tui_label_status "$id1")" "accepted"
for f in responsiveness_score customer_negative_score conversational_trend_score; do
  eq "accepted $f is the model's" "$(lab "$id1" $f)" "$(pred "$id1" $f)"
done

# ---- skip ----
tui_keys s
tui_check "skip moves on" "^$id3 +seller"
eq "skipped label" "$(tui_label_status "$id2")" "skipped"
eq "skipped status" "$(sql "SELECT status FROM conversations WHERE id = '$id2'")" "3"

# ---- edge case with a note (UTF-8) ----
tui_keys e
tui_check "edge prompt" "Edge case note"
tui_keys "refund threat ✈ café" Enter
tui_check "edge mark shown" "edge case: refund threat ✈ café"
eq "edge mark stored" "$(sql "SELECT marked || '|' || note || '|' || reviewer FROM edge_marks ORDER BY id DESC LIMIT 1")" "1|refund threat ✈ café|tester"
eq "conversation is an edge case" "$(sql "SELECT edge FROM conversations WHERE id = '$id3'")" "1"
tui_keys e
tui_check "edge unmarked" "is no longer an edge case"
eq "edge unmark stored" "$(sql "SELECT edge FROM conversations WHERE id = '$id3'")" "0"
# Esc cancels the prompt: nothing stored
nmarks=$(sql "SELECT count(*) FROM edge_marks")
tui_keys e; tui_wait "Edge case note"; tui_keys Escape
tui_wait_gone "Edge case note"
eq "Esc cancels the edge prompt" "$(sql "SELECT count(*) FROM edge_marks")" "$nmarks"

# ---- next / previous ----
tui_keys n
tui_check "n: next in the list" "^$id4 +seller"
tui_keys p
tui_check "p: previous in the list" "^$id3 +seller"

# ---- typed overall, +/- clamp ----
tui_keys k k k k j j j      # the overall (4th field)
tui_keys 8 Tab               # Tab commits (the overall is the last field)
tui_check "typed overall is marked" "8\\.0\\*"
tui_keys Enter
tui_check "typed overall saved" "^$id4 +seller"
eq "typed overall stored" "$(lab "$id3" overall_seller_score)" "8"
eq "typed overall: corrected" "$(tui_label_status "$id3")" "corrected"
tui_keys k k k k 9 . 5 k + + +   # k commits (and stays on the first field)
tui_check "values clamp to the range" "10\\.0"
tui_keys =                   # back to the model's value
tui_wait_gone " 10\\.0 "

# ---- back to the queue: counters follow ----
tui_keys q
tui_check "back in the queue" "1 To review \\($((n_review - 3))\\)"
# A skip is not a review (the same count as "total reviewed": status 2).
today=$(sql "SELECT count(DISTINCT l.cid) FROM labels l JOIN conversations c USING(cid) WHERE l.undone_at IS NULL AND l.status <> 'skipped' AND c.status = 2 AND l.created_at >= strftime('%s','now','start of day')")
tui_check "reviewed-today counter" "pool: $today today "
# u in the queue undoes the last save (the typed overall of id3)
tui_keys u
tui_check "undo from the queue" "undone: corrected label #[0-9]+ of $id3"
eq "queue undo retracted it" "$(tui_label_status "$id3")" ""
tui_quit
finish
