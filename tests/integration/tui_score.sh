#!/bin/bash
# tui_score.sh: background scoring from the workbench against the loopback
# LLM server: the actions menu, the progress row with live counters, the
# reviewer working meanwhile, cancel, re-score of one conversation (r), and
# a failing endpoint reported in the status line and the log view.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

tui_demo_pool || { fail "demo pool"; finish; exit 1; }
start_llm --latency-ms 250 || { fail "llm server"; finish; exit 1; }
n_all=$(sql "SELECT count(*) FROM conversations")
LLM_ENV="CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=tui-test-model"

tui_start $LLM_ENV
tui_keys x
tui_check "actions menu" "Actions \\(Enter runs, q closes"
tui_check "menu names the LLM" "scorer: LLM tui-test-model"
tui_keys a
tui_check "progress row while scoring" "Score all \\(tui-test-model\\) [0-9]+/$n_all +[0-9]+% \\[.*\\] *[0-9]+ failed .*X cancels"
# The reviewer keeps working while the job runs.
id1=$(sql "SELECT id FROM conversations WHERE status = 1 ORDER BY id LIMIT 1")
tui_keys 1 g Enter
tui_check "review opens during the job" "^$id1 +seller"
tui_keys a
tui_wait "saved $id1 as accepted" 10
eq "label saved during the job" "$(tui_label_status "$id1")" "accepted"
tui_check "job finishes" "Score all \\(tui-test-model\\) done: $n_all of $n_all, 0 failed" 90
run=$(sql "SELECT id FROM runs WHERE model = 'tui-test-model' ORDER BY id DESC LIMIT 1")
eq "run recorded as done" "$(sql "SELECT status FROM runs WHERE id = $run")" "done"
eq "one prediction per conversation" "$(sql "SELECT count(DISTINCT cid) FROM predictions WHERE run_id = $run")" "$n_all"
eq "predictions are ok" "$(sql "SELECT count(*) FROM predictions WHERE run_id = $run AND status = 'ok'")" "$n_all"
tui_wait_gone "X cancels" 5
tui_check "results appear (model column)" "model: prediction #[0-9]+ of run [0-9]+, tui-test-model, ok"

# ---- cancel ----
tui_keys q x t
tui_check "second job runs" "Re-score to review \\(tui-test-model\\) [0-9]+/"
tui_keys X
tui_check "cancelled" "Re-score to review \\(tui-test-model\\) cancelled after" 30
run2=$(sql "SELECT id FROM runs WHERE model = 'tui-test-model' ORDER BY id DESC LIMIT 1")
eq "cancelled run is interrupted" "$(sql "SELECT status FROM runs WHERE id = $run2")" "interrupted"

# ---- r: re-score one conversation (fresh, no cache) ----
llm_control '{"latency_ms": 0}'
id2=$(sql "SELECT id FROM conversations WHERE status = 1 ORDER BY id LIMIT 1")
before=$(sql "SELECT count(*) FROM predictions p JOIN conversations c USING(cid) WHERE c.id = '$id2'")
tui_keys 1 g Enter
tui_check "review of the next to review" "^$id2 +seller"
tui_keys r
tui_check "re-score done" "Re-score \\(tui-test-model\\) done: 1 of 1, 0 failed" 30
eq "one more prediction" "$(sql "SELECT count(*) FROM predictions p JOIN conversations c USING(cid) WHERE c.id = '$id2'")" "$((before + 1))"
# an answer that comes through the JSON fallback says so on the screen
llm_control '{"mode": "json-fallback"}'
tui_keys r
tui_check "re-score through the JSON fallback: the screen says so" "ok, via the JSON fallback" 30
eq "  as the pool does" "$(sql "SELECT p.json_fallback FROM predictions p JOIN conversations c USING(cid) WHERE c.id = '$id2' ORDER BY p.id DESC LIMIT 1")" "1"

# ---- a failing endpoint: an error in the status line and the log, no crash ----
llm_control '{"mode": "400"}'
tui_keys r
tui_check "failure reported" "Re-score \\(tui-test-model\\) done: 1 of 1, 1 failed .*last error" 30
tui_keys q L
tui_check "log view keeps the error" "last error"
tui_keys q
tui_quit
finish
