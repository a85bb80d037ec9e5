#!/bin/bash
# `curate score` end to end against the loopback OpenAI-compatible server:
# ChatAdapter request body, cache, retries, failures kept with raw text and
# reason, validation, interrupt, the API key never stored or printed.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
KEY=sk-test-SECRET-4242
"$CURATE" demo --reset --count 40 >/dev/null
start_llm --mode good --log "$WORK/requests.log" || { fail "llm server"; finish; exit 1; }
export CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=test-model CURATE_LLM_API_KEY=$KEY

check_rc "score unscored" 0 "$CURATE" score --unscored
check_rc "score all" 0 "$CURATE" score --all
has "summary line" '^run [0-9]+ done: [0-9]+ scored: ok [0-9]+, partial 0, failed 0' "$WORK/out"
eq "every conversation scored" "$(sql "SELECT count(*) FROM conversations WHERE pred_id IS NULL")" "0"
eq "predictions by test-model" "$(sql "SELECT count(*) > 0 FROM predictions WHERE model='test-model' AND status='ok'")" "1"
eq "scores in range" "$(sql "SELECT count(*) FROM predictions p, json_each(p.scores) j WHERE j.value < 0 OR j.value > 10")" "0"

# The request body: model, ChatAdapter system message, last user message.
curl -s "http://127.0.0.1:$LLM_PORT/requests" >"$WORK/reqs.json"
$PY - "$WORK/reqs.json" <<'PY' >"$WORK/body.txt" 2>&1
import json, sys
reqs = json.load(open(sys.argv[1]))
b = reqs[-1]["body"]
assert b["model"] == "test-model", b["model"]
m = b["messages"]
assert m[0]["role"] == "system" and m[-1]["role"] == "user", [x["role"] for x in m]
s = m[0]["content"]
assert "Your input fields are:\n1. `conversation` (str): The full WhatsApp conversation transcript" in s, s[:300]
assert "`reasoning`" in s and "[[ ## completed ## ]]" in s, s
assert "Analyze a travel seller's WhatsApp conversation and score their performance." in s
u = m[-1]["content"]
assert u.startswith("[[ ## conversation ## ]]\n"), u[:80]
assert "[[ ## seller_id ## ]]\nS-" in u, u
assert "Respond with the corresponding output fields, starting with the field `[[ ## reasoning ## ]]`" in u, u[-400:]
assert reqs[-1]["authorization"] == "Bearer sk-test-SECRET-4242"
print("body ok")
PY
has "request body is ChatAdapter" '^body ok$' "$WORK/body.txt"

n_before=$(curl -s "http://127.0.0.1:$LLM_PORT/stats" | $PY -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
check_rc "rescore all from cache" 0 "$CURATE" score --all
has "all cache hits" 'cache hits 40' "$WORK/out"
n_after=$(curl -s "http://127.0.0.1:$LLM_PORT/stats" | $PY -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
eq "cache: no new requests" "$n_after" "$n_before"
check_rc "--no-cache sends again" 0 "$CURATE" score --ids demo-0001,demo-0002 --no-cache
has "two fresh" 'ok 2, .* cache hits 0' "$WORK/out"

llm_control '{"mode": "flaky-2"}'
check_rc "retries 503 then succeeds" 0 "$CURATE" score --ids demo-0003 --no-cache
has "retried counted" 'ok 1, partial 0, failed 0, retried 1' "$WORK/out"

llm_control '{"mode": "garbage"}'
check_rc "garbage: all failed exits 1" 1 "$CURATE" score --ids demo-0004 --no-cache
has "failure reason printed" 'no \[\[ ## \]\] markers' "$WORK/out"
eq "failed prediction keeps raw text" "$(sql "SELECT status, raw FROM predictions ORDER BY id DESC LIMIT 1")" "failed|I think it's fine lol"
eq "earlier usable score still shown" "$(sql "SELECT model_overall IS NOT NULL FROM conversations WHERE id='demo-0004'")" "1"

llm_control '{"mode": "out-of-range"}'
check_rc "out of range clamped" 0 "$CURATE" score --ids demo-0005 --no-cache
eq "clamped to 0..10" "$(sql "SELECT min(j.value) >= 0 AND max(j.value) <= 10 FROM predictions p, json_each(p.scores) j WHERE p.id = (SELECT max(id) FROM predictions)")" "1"

llm_control '{"mode": "non-numeric"}'
"$CURATE" score --ids demo-0006 --no-cache >/dev/null 2>&1
eq "non-numeric -> NULL + failed/partial" "$(sql "SELECT status IN ('failed','partial') AND raw LIKE '%seven%' FROM predictions ORDER BY id DESC LIMIT 1")" "1"

llm_control '{"mode": "400"}'
check_rc "400 fails at once" 1 "$CURATE" score --ids demo-0007 --no-cache
has "server message shown" 'maximum context length' "$WORK/out"

# Ctrl-C: finished results kept, run marked interrupted.
llm_control '{"mode": "good", "latency_ms": 300}'
"$CURATE" score --all --no-cache --concurrency 2 >"$WORK/int.out" 2>&1 &
spid=$!
sleep 1.5; kill -INT $spid; wait $spid; rc=$?
eq "interrupt exit 130" "$rc" "130"
eq "run marked interrupted" "$(sql "SELECT status FROM runs ORDER BY id DESC LIMIT 1")" "interrupted"
eq "finished results kept" "$(sql "SELECT count(*) > 0 FROM predictions WHERE run_id = (SELECT max(id) FROM runs)")" "1"
llm_control '{"latency_ms": 0}'

# Heuristic baseline without an endpoint.
check_rc "heuristic backend" 0 env -u CURATE_LLM_URL "$CURATE" score --all --backend heuristic
has "heuristic named" 'heuristic-v1 baseline' "$WORK/out"
eq "heuristic predictions" "$(sql "SELECT count(*) FROM predictions WHERE model='heuristic-v1'")" "40"

check_rc "models" 0 "$CURATE" models
has "models lists test-model" '^test-model$' "$WORK/out"
check_rc "no endpoint for llm backend" 2 env -u CURATE_LLM_URL "$CURATE" score --backend llm

# Wrong key: clear error, key never echoed.
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; PIDS=()
start_llm --mode good --require-key right-key
CURATE_LLM_URL=$LLM_URL "$CURATE" score --ids demo-0001 --no-cache >"$WORK/auth.out" 2>&1
has "auth failure reported" 'invalid api key' "$WORK/auth.out"

# The key never reaches the pool or the output.
sqlite3 "$CURATE_DB" .dump >"$WORK/dump.sql"
cat "$WORK"/*.out "$WORK/out" >"$WORK/all-output"
hasnt "key not in pool" "$KEY" "$WORK/dump.sql"
hasnt "key not in output" "$KEY" "$WORK/all-output"
hasnt "key not in pool files" "$KEY" <(cat "$CURATE_DB"* 2>/dev/null | strings)
finish
