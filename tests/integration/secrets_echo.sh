#!/bin/bash
# Secrets from a hostile endpoint (issue 13): a server that echoes the
# bearer token into every answer (reasoning, rationale, raw text; once
# JSON-escaped), into model ids and error messages. The key was stored in
# predictions, the response cache, program demos, `programs show` and
# `export json`. Now everything received is scrubbed before it is stored or
# shown: the key is nowhere (pool, WAL, SQL dump, cache, exports, outputs,
# the workbench screen), and the echo is visibly there as "***".
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"
cd "$WORK" || exit 1
KEY=sk-echo-TOPSECRET-4417
: >outputs
runq() { "$@" >>outputs 2>&1; }

"$CURATE" demo --reset --count 40 >/dev/null
start_llm --mode demo-aware --echo-key --require-key "$KEY" --log "$WORK/llm-requests.log" || { fail "llm"; finish; exit 1; }
export CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=echo-model CURATE_LLM_API_KEY=$KEY
check "score against an echoing endpoint" runq "$CURATE" score --all
runq "$CURATE" optimize --seed 3 --val 4 --sample 6
# The keep-if-better decision may keep no best (a small validation set):
# the exports below need one, whatever it decided.
runq "$CURATE" programs use "$(sql "SELECT max(id) FROM programs")"
eq "optimize stored a program" "$(sql "SELECT count(*) FROM programs WHERE metric != 'imported'")" "1"
# (whether it became the best depends on the optimiser's decision rule: the
# stored program is what matters here)
PROG=$(sql "SELECT max(id) FROM programs")
check "programs show" runq "$CURATE" programs show "$PROG"
check "export json" runq "$CURATE" export json --program "$PROG" -o state.json
check "export pool" runq "$CURATE" export pool -o pool.jsonl
id=$(sql "SELECT c.id FROM conversations c JOIN predictions p ON p.cid = c.cid LIMIT 1")
check "show a scored conversation" runq "$CURATE" show "$id"
check "models" runq "$CURATE" models
# An error body echoing the key (a 400 from the same server).
llm_control '{"mode": "400"}'
runq "$CURATE" score --ids "$id" --no-cache
llm_control '{"mode": "demo-aware"}'
has "the 400 was reported" 'HTTP 400' outputs

# The workbench: open the first conversation (rationale and reasoning shown).
tui_start CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=echo-model CURATE_LLM_API_KEY=$KEY
tui_keys 5
sleep 0.5
tui_keys Enter
sleep 1
tui_screen >screen.txt
tui_keys q
tui_quit

# The echo really happened (so the checks below mean something) and was
# scrubbed, not dropped.
has "the key reached the endpoint" "Bearer $KEY" llm-requests.log
eq "echoed answers stored with the key masked" \
  "$(sql "SELECT count(*) > 0 FROM predictions WHERE raw LIKE '%Bearer ***%' AND rationale LIKE '%token ***%'")" "1"
eq "cache entries masked" "$(sql "SELECT count(*) > 0 FROM llm_cache WHERE response LIKE '%Bearer ***%'")" "1"
has "programs show shows the masked echo" 'Bearer \*\*\*' outputs
has "models shows the masked echo" 'echo Authorization: Bearer \*\*\*; token \*\*\*' outputs
sqlite3 "$CURATE_DB" .dump >dump.sql
for f in "$CURATE_DB" "$CURATE_DB-wal" dump.sql state.json pool.jsonl outputs screen.txt; do
  [ -e "$f" ] || continue
  hasnt "no API key in $(basename "$f")" "$KEY" <(strings "$f")
  # the JSON-escaped copy, should anything write it back escaped
  hasnt "no escaped API key in $(basename "$f")" '\\u0073\\u006b\\u002d\\u0065' <(strings "$f")
done
finish
