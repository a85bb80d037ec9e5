#!/bin/bash
# tui_optimize.sh: optimisation from the workbench's actions menu, in the
# background: progress row, the decision in the log view, the program stored.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

tui_demo_pool || { fail "demo pool"; finish; exit 1; }
start_llm --mode demo-aware || { fail "llm server"; finish; exit 1; }
tui_start CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=opt-model
tui_keys x
tui_check "menu lists optimise" "o +Optimise: BootstrapFewShot"
tui_keys o
tui_check "optimise runs with a progress row" "Optimise \\(opt-model\\)"
tui_check "optimise finishes" "Optimise \\(opt-model\\) done" 120
tui_keys L
tui_check "decision in the log" "optimise: candidate [0-9.]+ vs current [0-9.]+: program [0-9]+ (is the new best|stored, not improved)"
eq "program stored" "$(sql "SELECT count(*) FROM programs")" "1"
eq "optimize run recorded" "$(sql "SELECT status FROM runs WHERE kind='optimize' ORDER BY id DESC LIMIT 1")" "done"
eq "demo-aware model improves on zero-shot" "$(sql "SELECT is_best FROM programs")" "1"
tui_quit
finish
