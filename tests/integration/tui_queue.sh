#!/bin/bash
# tui_queue.sh: the queue (tabs, search, sort, threshold), help overlay,
# resize to 80x24 and back, NO_COLOR, log/distribution/programs views and
# the --timing log, driven in tmux.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

tui_demo_pool || { fail "demo pool"; finish; exit 1; }
cnt() { sql "SELECT count(*) FROM conversations WHERE $1"; }
n_review=$(cnt "status = 1"); n_done=$(cnt "status = 2"); n_edge=$(cnt "edge = 1")
# Disagreements: some score field (the overall included) differs by T.
n_dis=$(cnt "fdiff >= 2.0"); n_all=$(cnt "1"); n_dis3=$(cnt "fdiff >= 2.5")

# A program in the store (a labeled demo, DSPy state layout).
cat >"$WORK/state.json" <<'EOF'
{"analyze.predict": {"traces": [], "train": [], "demos": [
  {"conversation": "[2024-05-01 10:02] Customer (Ana): is the tour on?", "seller_id": "S-1",
   "responsiveness_score": "8.5", "customer_negative_score": "2.0",
   "conversational_trend_score": "7.0", "overall_seller_score": "7.9",
   "score_rationale": "Quick and friendly DEMO-RATIONALE-MARK."}],
  "signature": {"instructions": "Analyze a travel seller's WhatsApp conversation and score their performance.",
   "fields": [{"prefix": "Conversation:", "description": "The full WhatsApp conversation transcript"},
              {"prefix": "Seller Id:", "description": "Seller identifier"},
              {"prefix": "Reasoning: Let's think step by step in order to", "description": "${reasoning}"},
              {"prefix": "Responsiveness Score:", "description": "Score 0-10: response time, acknowledgment speed, follow-through"},
              {"prefix": "Customer Negative Score:", "description": "Score 0-10: customer frustration, complaints, negative sentiment"},
              {"prefix": "Conversational Trend Score:", "description": "Score 0-10: did customer sentiment improve through the conversation"},
              {"prefix": "Overall Seller Score:", "description": "Weighted score 0-10: 40% responsiveness + 30% negative + 30% trend"},
              {"prefix": "Score Rationale:", "description": "Brief reasoning for the scores given"}]},
  "lm": null},
 "metadata": {"dependency_versions": {"python": "3.11", "dspy": "2.6.0", "cloudpickle": "3.1"}}}
EOF
sql "INSERT INTO programs(created_at, state, metric, val_score, model, note, n_demos, is_best)
     VALUES(strftime('%s','now'), readfile('$WORK/state.json'), 'diversity', 0.8123, 'test-model', 'from the test', 1, 1)"

rm -f "$WORK/timing.log"
tui_start CURATE_TIMING_LOG=$WORK/timing.log -- --timing
tui_check "tab counts: to review" "1 To review \\($n_review\\)"
tui_check "tab counts: reviewed" "2 Reviewed \\($n_done\\)"
tui_check "tab counts: edge" "3 Edge cases \\($n_edge\\)"
tui_check "tab counts: disagree" "4 Disagree >=2\\.0 \\($n_dis\\)"
tui_check "tab counts: all" "5 All \\($n_all\\)"
tui_check "column titles" "id.*seller.*msgs.*model.*human.*\\|diff\\|.*status.*edge"

# ---- tabs ----
tui_keys 2
first_done=$(sql "SELECT id FROM conversations WHERE status = 2 ORDER BY id LIMIT 1")
tui_check "tab 2 lists reviewed" "^. $first_done .*reviewed"
hasnt "tab 2 has no to-review rows" " to review *$" "$WORK/screen"
tui_keys 3
first_edge=$(sql "SELECT id FROM conversations WHERE edge = 1 ORDER BY id LIMIT 1")
tui_check "tab 3 lists edge cases" "^. $first_edge .*★"
tui_keys 4
first_dis=$(sql "SELECT id FROM conversations WHERE diff >= 2.0 ORDER BY id LIMIT 1")
tui_check "tab 4 lists disagreements" "^. $first_dis "
tui_keys +
tui_check "threshold raised to 2.5" "4 Disagree >=2\\.5 \\($n_dis3\\)"
tui_keys -
tui_check "threshold back to 2.0" "4 Disagree >=2\\.0 \\($n_dis\\)"
tui_keys Tab
tui_check "Tab cycles to All" "1/$n_all"
tui_keys G
tui_check "End of the list" "$n_all/$n_all"
last=$(sql "SELECT id FROM conversations ORDER BY id DESC LIMIT 1")
tui_check "last row shown" "^. $last "
tui_keys g
tui_check "Home of the list" " 1/$n_all$"

# ---- sort ----
tui_keys o
tui_check "o sorts by seller" "seller▲"
first_seller=$(sql "SELECT id FROM conversations ORDER BY seller_id, id LIMIT 1")
tui_check "rows in seller order" "^. $first_seller "
tui_keys O
tui_check "O reverses" "seller▼"
last_seller=$(sql "SELECT id FROM conversations ORDER BY seller_id DESC, id DESC LIMIT 1")
tui_check "rows in reverse seller order" "^. $last_seller "
tui_keys o o
tui_check "o cycles to model" "model▼"
top_model=$(sql "SELECT id FROM conversations ORDER BY model_overall DESC, id DESC LIMIT 1")
tui_check "rows by model overall, descending" "^. $top_model "

# ---- search ----
seller=$(sql "SELECT seller_id FROM conversations ORDER BY id LIMIT 1")
n_seller=$(sql "SELECT count(*) FROM conversations WHERE seller_id LIKE '%$seller%'")
tui_keys /
tui_check "search prompt" "Search \\(seller, id, text\\)"
tui_keys "$seller" Enter
tui_check "search narrows the list" "search: \"$seller\""
tui_check "search count" " 1/$n_seller$"
word=$(sql "SELECT text FROM messages ORDER BY mid LIMIT 1" | awk '{print $NF}' | tr -d '?.!,')
tui_keys c
tui_check "c clears the search" " 1/$n_all$"
tui_keys / "zzz-no-such-text" Enter
tui_check "empty search result" "No conversation in this tab matches"
tui_keys c

# ---- help overlay ----
tui_keys '?'
tui_check "help overlay" "Help - every key"
tui_check "help lists queue keys" "open the selected conversation"
tui_check "help lists global keys" "distribution view"
tui_keys q
tui_wait_gone "Help - every key"
tui_keys Enter '?'
tui_check "help in review lists review keys" "accept: store the model's prediction"
tui_keys Escape
tui_wait_gone "Help - every key"
tui_keys q
tui_check "back to the queue" " curate \\| Queue"

# ---- resize to 80x24 and back ----
TM resize-window -x 80 -y 24
tui_check "80x24 queue" "^ curate \\| Queue"
tui_screen >"$WORK/small"
eq "80x24: 24 lines" "$(wc -l <"$WORK/small")" "24"
hasnt "80x24: no line wider than 80" "^.{81,}" "$WORK/small"
tui_check "80x24: key hints on the last line" "Enter review"
tui_keys Enter
tui_check "80x24 review" "Scores +model +yours"
tui_check "80x24 review fields" "Overall Seller"
TM resize-window -x 120 -y 40
tui_check "back to 120x40" "Scores +model +yours"
tui_screen >"$WORK/big"
eq "120x40: 40 lines" "$(wc -l <"$WORK/big")" "40"
first_line=$(head -1 "$WORK/big")
case "$first_line" in " curate | Review"*"? help") pass "title bar redrawn after resize";; *) fail "title bar redrawn after resize" "$first_line";; esac
tui_keys q
# Far below 80x24 nothing breaks either (and it comes back).
TM resize-window -x 30 -y 8
sleep 0.3
TM resize-window -x 120 -y 40
tui_check "tiny window and back" "5 All \\($n_all\\)"

# ---- edge case from the queue ----
tui_keys 5 g
tui_wait "^▸ "
first=$(grep -aoE '^▸ [^ ]+' "$WORK/screen" | cut -c5-)
tui_keys e
tui_check "edge prompt from the queue" "Edge case note"
tui_keys "queue note" Enter
tui_check "queue edge confirmed" "$first marked as an edge case"
eq "queue edge stored" "$(sql "SELECT e.note FROM edge_marks e JOIN conversations c USING(cid) WHERE c.id = '$first' ORDER BY e.id DESC LIMIT 1")" "queue note"
tui_keys e
tui_check "queue edge toggled off" "$first is no longer an edge case"
tui_keys Enter Escape
tui_check "Esc goes back from review" "5 All \\($n_all\\)"

# ---- log, distribution, programs ----
tui_keys L
tui_check "log view lists messages" "sorted by"
tui_keys q
tui_keys d
tui_check "distribution view" "Run: latest predictions"
tui_check "distribution fields" "Responsiveness Score"
# 120x40: every field's histogram in a grid (the field in each title).
tui_check "compression alarm" "compression alarm: [0-9]+% in [0-9.]+-[0-9.]+ \\(model, n="
tui_check "histograms side by side" "Overall Seller Score: model \\| human"
mae=$(sql "SELECT printf('%.2f', avg(abs(c.model_overall - c.human_overall))) FROM conversations c WHERE c.status = 2 AND c.model_overall IS NOT NULL")
tui_check "MAE of the overall" "Overall Seller Score .* $mae "
tui_keys s
seller1=$(sql "SELECT seller_id FROM conversations ORDER BY id LIMIT 1")
tui_keys "$seller1" Enter
tui_check "per-seller view" "seller: $seller1"
tui_keys ']'
tui_check "run switch" "Run: run [0-9]+: "
tui_keys q P
tui_check "programs view" "diversity"
tui_check "programs view shows the best" "0\\.8123 +1"
tui_keys Enter
tui_check "program demos" "Demo 1 of 1: labeled"
tui_check "program demo rationale" "DEMO-RATIONALE-MARK"
tui_keys J
tui_check "raw state JSON" "\"analyze.predict\""
tui_keys q
# export the selected program as a DSPy JSON file (background job)
tui_keys e
tui_check "export prompt" "Export to file: chat_analyzer_optimizer.json"
tui_keys C-u "$WORK/exported.json" Enter
tui_check "export done" "Export JSON done: 1 of 1"
check "exported file is the DSPy state" $PY -c "import json,sys; d=json.load(open(sys.argv[1])); assert list(d['analyze.predict'])[:5] == ['traces','train','demos','signature','lm'], d; assert len(d['analyze.predict']['demos']) == 1" "$WORK/exported.json"
# make another program the best
sql "INSERT INTO programs(created_at, state, metric, val_score, n_demos) VALUES(strftime('%s','now') + 5, readfile('$WORK/state.json'), 'accuracy', 0.5, 1)"
tui_keys R g b
new_id=$(sql "SELECT max(id) FROM programs")
tui_check "make best confirmed" "program $new_id is now the current best"
eq "best moved" "$(sql "SELECT id FROM programs WHERE is_best = 1")" "$new_id"
# and back to the older (lower id) program: a rollback (once a raw
# "UNIQUE constraint failed" on screen)
old_id=$(sql "SELECT min(id) FROM programs")
tui_keys j b
tui_check "rollback to a lower id confirmed" "program $old_id is now the current best"
hasnt "no SQLite error on screen" "UNIQUE constraint" "$WORK/screen"
eq "best moved back" "$(sql "SELECT group_concat(id) FROM programs WHERE is_best = 1")" "$old_id"
tui_keys q
tui_check "back to the queue again" " curate \\| Queue"
tui_quit "first run"

# ---- --timing log ----
has "timing: startup line" "^startup ms=[0-9.]+$" "$WORK/timing.log"
has "timing: key lines" "^key=j ms=[0-9.]+$|^key=o ms=[0-9.]+$" "$WORK/timing.log"

# ---- NO_COLOR: no colour escapes; attributes only ----
tui_start NO_COLOR=1
TM capture-pane -p -e >"$WORK/esc"
hasnt "NO_COLOR: no colour codes" $'\e\\[[0-9;]*(3[0-7]|4[0-7]|38;|48;)[0-9;]*m' "$WORK/esc"
has "NO_COLOR: reverse video for the title" $'\e\\[[0-9;]*7[0-9;]*m curate' "$WORK/esc"
tui_quit "NO_COLOR run"
tui_start
TM capture-pane -p -e >"$WORK/esc"
has "colours when allowed" $'\e\\[[0-9;]*(3[0-7]|38;)[0-9;]*m' "$WORK/esc"
tui_quit "colour run"
finish
