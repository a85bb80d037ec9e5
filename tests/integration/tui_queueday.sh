#!/bin/bash
# tui_queueday.sh: the queue around a reviewer's day, driven in tmux, each
# figure on screen checked against the pool: the Skipped (this reviewer's)
# and Failed tabs (real failures from the loopback LLM server) with their
# counts and rows, the detail line (edge note, why scoring failed;
# sanitised), `/` over sender names, the reviewer's progress and daily goal
# (`--goal`), quitting (q at once, asks after q q or while a job runs,
# Esc does not quit, Ctrl-C), the session summary printed on exit, and
# plural agreement ("1 message").
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

tui_demo_pool || { fail "demo pool"; finish; exit 1; }
start_llm --mode 503 || { fail "llm server"; finish; exit 1; }
LLM_ENV="CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=qd-model"
C() { "$CURATE" --db "$CURATE_DB" "$@"; }
ids=($(sql "SELECT id FROM conversations WHERE status = 1 ORDER BY id LIMIT 8"))

# Skips: two by this reviewer (tester), one by another (not in tester's tab).
C label "${ids[0]}" --skip >/dev/null && C label "${ids[1]}" --skip >/dev/null &&
  C --reviewer other label "${ids[2]}" --skip >/dev/null || fail "skips"
# Failures: a real scoring run against a failing endpoint (HTTP 503); ids[3]
# had a prediction already (its latest attempt now failed), the unscored one
# never had one.
unscored=$(sql "SELECT id FROM conversations WHERE status = 0 ORDER BY id LIMIT 1")
C score --ids "${ids[3]},$unscored" --url "$LLM_URL" --model qd-model --retries 0 \
  --no-cache >"$WORK/score.out" 2>&1
eq "failed predictions stored" "$(sql "SELECT count(*) FROM predictions WHERE status = 'failed'")" "2"
C edge "${ids[4]}" --note "Portuguese customer, sale lost" >/dev/null || fail "edge"

n_skip=$(sql "SELECT count(*) FROM conversations c WHERE (SELECT l.status FROM labels l
  WHERE l.cid = c.cid AND l.reviewer = 'tester' AND l.undone_at IS NULL ORDER BY l.id DESC LIMIT 1) = 'skipped'")
n_fail=$(sql "SELECT count(*) FROM conversations c WHERE (SELECT p.status FROM predictions p
  WHERE p.cid = c.cid ORDER BY p.id DESC LIMIT 1) = 'failed'")
eq "pool: tester skipped two" "$n_skip" "2"
eq "pool: two failed" "$n_fail" "2"
left() { sql "SELECT count(*) FROM conversations WHERE status = 1"; }
# The CLI's filter language names them too.
C list --filter failed >"$WORK/failed.out" 2>/dev/null
eq "list --filter failed" "$(awk 'NR > 1 {print $1}' "$WORK/failed.out" | sort | tr '\n' ' ')" \
  "$(printf '%s\n' "${ids[3]}" "$unscored" | sort | tr '\n' ' ')"
C list --filter skipped >"$WORK/skipped.out" 2>/dev/null
eq "list --filter skipped (the pool's state)" "$(awk 'NR > 1 {print $1}' "$WORK/skipped.out" | sort | tr '\n' ' ')" \
  "$(printf '%s\n' "${ids[0]}" "${ids[1]}" "${ids[2]}" | sort | tr '\n' ' ')"

# ---- goal, progress ----
tui_start $LLM_ENV -- tui --goal 3
eq "goal kept in the pool" "$(sql "SELECT value FROM pool_meta WHERE key = 'goal.tester'")" "3"
tui_check "progress: nothing yet" "tester: 0 today · -/h · $(left) left"
tui_check "goal bar" "goal ░{10} 0/3"

# ---- Skipped, Failed tabs ----
# At 120 columns the last tabs take their short names (Skip, Fail).
tui_check "Skipped tab count" "6 Skip(ped)? ?\\($n_skip\\)"
tui_check "Failed tab count" "7 Fail(ed)? ?\\($n_fail\\)"
# 8: the Conflicts tab (tui_conflicts.sh), hidden while there are none
tui_check "the hint names the tab keys the table has" "Enter review  1-8 tabs"
tui_keys 6
tui_check "Skipped lists tester's first skip" "^. ${ids[0]} .*skipped"
has "Skipped lists tester's second skip" "^  ${ids[1]} .*skipped" "$WORK/screen"
hasnt "Skipped leaves out another reviewer's" "${ids[2]}" "$WORK/screen"
tui_check "position in the Skipped tab" " 1/$n_skip"
tui_keys 7
first_fail=$(printf '%s\n' "${ids[3]}" "$unscored" | sort | head -1)
tui_check "Failed lists the failures" "^. $first_fail "
err=$(sql "SELECT p.error FROM predictions p JOIN conversations c USING(cid) WHERE c.id = '$first_fail' ORDER BY p.id DESC LIMIT 1")
tui_check "detail line says why scoring failed" "latest scoring failed: .*503"
has "the reason is the pool's" "${err:0:20}" "$WORK/screen"
tui_keys 8 9
tui_check "digits past the last tab do nothing" "^. $first_fail "
tui_keys 3
edge_first=$(sql "SELECT id FROM conversations WHERE edge = 1 ORDER BY id LIMIT 1")
tui_keys g
tui_check "Edge tab" "^. $edge_first "
note=$(sql "SELECT e.note FROM edge_marks e JOIN conversations c USING(cid) WHERE c.id = '$edge_first' AND e.undone_at IS NULL ORDER BY e.id DESC LIMIT 1")
tui_check "detail line shows the edge note" "★ edge case: ${note:-\\(no note\\)}"
# The note of the one marked by this test, selected by a search for its id.
tui_keys / "${ids[4]}" Enter
tui_check "detail line: our edge note" "★ edge case: Portuguese customer, sale lost"

# ---- / over sender names ----
tui_keys c 5 / "García" Enter
n_garcia=$(sql "SELECT count(*) FROM conversations c WHERE c.id LIKE '%García%' OR c.seller_id LIKE '%García%'
  OR EXISTS (SELECT 1 FROM messages m WHERE m.cid = c.cid AND (m.text LIKE '%García%' OR m.sender LIKE '%García%'))")
n_sender=$(sql "SELECT count(DISTINCT cid) FROM messages WHERE sender LIKE '%García%'")
tui_check "García found through sender names" "search \"García\": $n_garcia in All"
[ "$n_garcia" -ge "$n_sender" ] && [ "$n_sender" -gt 0 ] && pass "senders named García: $n_sender" ||
  fail "senders named García" "$n_sender of $n_garcia"
tui_check "position over the matches" " 1/$n_garcia"
tui_keys c

# ---- progress follows labels (an accept, a correction) ----
r2=($(sql "SELECT id FROM conversations WHERE status = 1 ORDER BY id LIMIT 2"))
tui_keys 1 g Enter
tui_check "review opens" "^${r2[0]} +seller"
tui_keys a
tui_check "accepted, next" "saved ${r2[0]} as accepted"
tui_keys + Enter
tui_check "corrected" "saved ${r2[1]} as corrected"
tui_keys q
tui_check "progress: two today" "tester: 2 today · [0-9]+/h · $(left) left"
tui_check "goal bar follows" "goal █{6}[▏▎▍▌▋▊▉]?░{3,4} 2/3"

# ---- quitting: q q from a sub-screen asks; Esc on the queue stays ----
tui_keys Enter
tui_check "review again" "^[a-z0-9-]+ +seller S-"
tui_keys q q
tui_check "q q asks" "Quit curate\\? y quits, any other key stays \\(session: 2 labels \\(1 corrected\\)"
tui_keys n
tui_check "any other key stays" "not quitting"
tui_keys Escape
tui_check "Esc on the queue does not quit" "q quits the workbench"
[ -s "$WORK/tui.exit" ] && fail "still running" "exited" || pass "still running"

# ---- a running job: q asks ----
llm_control '{"mode": "good", "latency_ms": 400}'
tui_keys x a
tui_check "job running" "Score all \\(qd-model\\) [0-9]+/"
tui_keys q
tui_check "q while a job runs asks" "A background job is running: quitting stops it"
tui_keys n
tui_keys X
tui_check "job cancelled" "cancelled after" 30
tui_wait_gone "X cancels" 10

# ---- q quits at once; the session summary on the terminal ----
tui_keys j q
wait_file "$WORK/tui.exit" 10
eq "q quit at once" "$(cat "$WORK/tui.exit")" "0"
tui_check "summary printed after the workbench closed" "curate: session: 2 labels \\(1 corrected\\), 0 skips, 0 edge cases in [0-9]+[smh]"
jl=$(sql "SELECT count(DISTINCT cid) FROM actions WHERE reviewer = 'tester' AND kind = 'label' AND undone_at IS NULL")
eq "summary's labels are the journal's" "$jl" "2"
[ -s "$WORK/tui.err" ] && fail "stderr clean" "$(head -c 800 "$WORK/tui.err")" || pass "stderr clean"

# ---- Ctrl-C quits (nothing unsaved, nothing running) ----
tui_start
tui_keys C-c
wait_file "$WORK/tui.exit" 10
eq "Ctrl-C quits" "$(cat "$WORK/tui.exit" 2>/dev/null)" "0"
tui_check "Ctrl-C prints the summary too" "curate: session: 0 labels"
# A second Ctrl-C while "quit?" is asked quits.
tui_start
tui_keys Enter
tui_check "review" "^[a-z0-9-]+ +seller S-"
tui_keys q q
tui_check "asked" "Quit curate\\?"
tui_keys C-c
wait_file "$WORK/tui.exit" 10
eq "Ctrl-C while asked quits" "$(cat "$WORK/tui.exit" 2>/dev/null)" "0"

# ---- --goal refused when wrong ----
check_rc "--goal -1 refused" 2 "$CURATE" --db "$CURATE_DB" tui --goal -1
has "names the option" "--goal" "$WORK/out"
check_rc "--goal without a number" 2 "$CURATE" --db "$CURATE_DB" tui --goal

# ---- wording: one message, one prediction, a system line ----
cat >"$WORK/one.jsonl" <<'EOF'
{"id": "qd-one", "seller_id": "S-1", "messages": [{"ts": 1714558020, "from": "", "role": "system", "text": "Messages are end-to-end encrypted."}]}
EOF
C import "$WORK/one.jsonl" >"$WORK/imp.out" 2>&1
has "import: 1 conversation, 1 message" "1 conversation \\(1 new, 0 changed, 0 unchanged\\), 1 message$" "$WORK/imp.out"
C show qd-one >"$WORK/show.out" 2>&1
has "show: 1 message" "  1 message$" "$WORK/show.out"
tui_start
tui_keys 5 / qd-one Enter
tui_check "found" "^. qd-one "
tui_keys Enter
tui_check "a system line without a sender" "[0-9]{2}:[0-9]{2} system +│"
tui_check "the review header: 1 msg" "^qd-one +seller S-1 \\| 1 msg \\|"
hasnt "no empty name before (system)" "[0-9]{2}:[0-9]{2}  \\(system\\)" "$WORK/screen"
tui_quit

# ---- the detail line is sanitised: an error text with escape sequences ----
sql "INSERT INTO predictions(cid, scores, status, error, model, created_at)
     SELECT cid, '{}', 'failed', 'HTTP 500 ' || char(27) || ']0;pwned' || char(7) || ' ' || char(27) || '[2J END', 'm', 1
     FROM conversations WHERE id = 'qd-one'"
tui_start
title0=$(TM display -p '#{pane_title}')
tui_keys 7 / qd-one Enter
tui_check "hostile error shown as text" "latest scoring failed: HTTP 500 ␛\\]0;pwned␇ ␛\\[2J END"
eq "window title unchanged" "$(TM display -p '#{pane_title}')" "$title0"
case "$(head -1 "$WORK/screen")" in " curate | Queue"*) pass "title bar intact";; *) fail "title bar intact";; esac
tui_quit "hostile exit"

# ---- 80x24: every tab is on the row (the last ones by number alone) ----
TUI_W=80 TUI_H=24 tui_start
tui_check "80 columns: the seventh tab is whole" "6 Skip\\([0-9]+\\) 7(\\(| Fail\\()[0-9]+\\) *$"
tui_quit "80x24 exit"
finish
