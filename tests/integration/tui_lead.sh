#!/bin/bash
# tui_lead.sh: the lead's views in the workbench, driven in tmux: every
# field's histogram at 120x40 and one at 80x24, the compression alarm
# explained and judged only from 20 scores, single re-scores out of the run
# list (a shows them), a run's human figures limited to its conversations,
# a pinned baseline side by side, sellers by prefix in any case, the seller
# list (sort, Enter, c), the trend, and the Disagree tab's "differs most".
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

tui_demo_pool || { fail "demo pool"; finish; exit 1; }
# A reviewed conversation re-scored alone (as `r` does): a one-prediction run.
rid=$(sql "SELECT id FROM conversations WHERE status = 2 ORDER BY id LIMIT 1")
check "single re-score" "$CURATE" -q score --ids "$rid" --backend heuristic
single=$(sql "SELECT max(id) FROM runs")
nhid() { tui_screen | grep -oE "Score: model (\\||\\(left\\) vs human)" | wc -l | tr -d ' '; }

tui_start
tui_keys d
tui_check "distribution" "Run: latest predictions"
tui_check "alarm explained" "compression = largest share of model scores in any 1-point band; alarm \\(!\\) from 60% with n >= 20"
tui_check "an alarm" "compression alarm: 99% in 5\\.9-6\\.9 \\(model, n=176\\)"
eq "120x40: every field's histogram" "$(nhid)" "4"
tui_check "single re-score hidden" "1 single re-score hidden \\(a\\)"
# [ ] go through the demo run only; a offers the re-score too.
tui_keys ']'
tui_check "next run is the demo's" "Run: run 1: simulated"
tui_keys ']'
tui_check "then back to the latest (re-score skipped)" "Run: latest predictions"
tui_keys a
tui_check "a: offered" "single re-scores are offered among the runs"
tui_keys ']'
tui_check "the re-score run" "Run: run $single: heuristic heuristic-v1, 1 prediction,"
tui_check "n=1 is not judged" "compression: not judged below 20 model scores \\(n=1\\)"
hasnt "no alarm on n=1" "compression alarm" "$WORK/screen"
# Its human figures are its one conversation's (not every label's).
tui_check "human n of the run is 1" "Overall Seller Score +1 +[0-9.]+ +[0-9.]+ +1 "
# Side by side: pin the demo run, then show the latest predictions.
tui_keys ']'
tui_check "demo run" "Run: run 1: simulated"
tui_keys b ']'
tui_check "baseline pinned" "Baseline: run 1: simulated"
tui_check "before row" "before +[0-9]+ +[0-9.]+ +[0-9.]+ "
tui_check "after row" "after +[0-9]+ +[0-9.]+ +[0-9.]+ "
tui_check "Spearman column" "MAE +rho +compression"
tui_check "both histograms" "Overall Seller Score: before \\| after \\| human"
tui_keys b
tui_wait_gone "Baseline:" 5
# Sellers: a prefix typed in the wrong case.
tui_keys s C-u "s-mar-06" Enter
tui_check "wrong case finds the seller" "seller: S-MAR-06"
nmar=$(sql "SELECT count(*) FROM conversations WHERE seller_id = 'S-MAR-06' AND pred_id IS NOT NULL")
tui_check "its figures (model n=$nmar)" "Overall Seller Score +$nmar "
tui_keys s C-u "s-ma" Enter
tui_check "several matches: the seller list" "2 sellers starting with s-ma"
tui_keys q S
tui_keys s C-u "nobody" Enter
tui_check "no match says so" "no seller id starts with 'nobody'"
# The seller list.
tui_keys l
nsel=$(sql "SELECT count(DISTINCT seller_id) FROM conversations")
tui_check "seller list" "$nsel sellers \\| figures of overall_seller_score \\| sorted by seller"
tui_check "seller columns" "seller.*convs.*model mean.*model sd.*human mean.*MAE.*compression"
top_n=$(sql "SELECT seller_id FROM conversations GROUP BY seller_id ORDER BY count(*) DESC, seller_id LIMIT 1")
tui_keys o
tui_check "sorted by n" "sorted by n \\(descending\\)"
tui_check "largest seller first" "^ *. *$top_n "
tui_keys g Enter
tui_check "Enter: that seller's distribution" "seller: $top_n"
tui_keys q c
ntop=$(sql "SELECT count(*) FROM conversations WHERE seller_id = '$top_n'")
tui_check "c: their conversations" "seller: $top_n"
tui_check "only theirs" "5 All \\($ntop\\)"
tui_keys q q
# The trend.
tui_keys t
tui_check "trend" "Trend per week \\| seller: all"
first=$(sql "SELECT date(min(first_ts) - ((min(first_ts) - 345600) % 604800), 'unixepoch') FROM conversations WHERE pred_id IS NOT NULL")
tui_check "first week ($first)" "^ $first +[0-9.]+ \\([0-9.]+\\)"
tui_check "sparklines" "Overall Seller Score: +[▁▂▃▄▅▆▇█ ]+│"
tui_keys q q
# The Disagree tab names the field that differs most.
tui_keys 4
tui_check "differs most column" "differs most"
tui_check "a field named" "reviewed +[0-9.]+ (responsiveness|customer|conversational|overall)"
tui_quit "first run"

# Optimising with the heuristic backend: warned first; the outcome shown.
tui_start
tui_keys x o
tui_check "heuristic warning" "Heuristic backend ignores demos: optimise anyway\\? \\(y/N\\)"
tui_keys n Enter
tui_check "not started" "optimisation not started"
eq "nothing stored" "$(sql "SELECT count(*) FROM programs")" "0"
tui_keys x o y Enter
tui_check "outcome shown when it ends" "Decision: not better than the current best" 60
tui_check "the paired gain shown" "Gain [+-][0-9.]+ ± [0-9.]+ \\(paired, n=[0-9]+\\)"
tui_check "before -> after table" "overall_seller_score +[0-9.]+ -> [0-9.]+ +[0-9.]+ -> [0-9.]+"
tui_check "validation line" "Validation diversity on [0-9]+ examples: [0-9.]+ before \\(zero-shot\\) -> [0-9.]+ after"
tui_keys q P Enter
tui_check "and on the program's screen afterwards" "Its optimisation"
tui_check "its table there too" "overall_seller_score +[0-9.]+ -> [0-9.]+"
tui_keys q q
tui_quit "optimise run"
# The progress row's rate and ETA (a slow loopback model).
start_llm --latency-ms 150 || fail "llm server"
tui_start CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=slow
tui_keys x a
tui_check "rate and ETA" "Score all .* [0-9.]+/s, ETA [0-9]+:[0-9][0-9] " 30
tui_keys X
tui_check "cancelled" "cancelled after" 30
tui_quit "progress run"

# 80x24: one histogram.
TUI_W=80 TUI_H=24 tui_start
tui_keys d
tui_check "small: distribution" "Run: latest predictions"
eq "80x24: one histogram" "$(nhid)" "1"
tui_keys j
tui_quit "small run"
finish
