#!/bin/bash
# Faults from outside: an LLM endpoint with 30% mixed faults (500, 503,
# 429 + Retry-After, hangs past the timeout, garbage, out-of-range and
# non-numeric scores), then connection refused mid-run. Every conversation
# ends scored or failed with its reason; stored scores stay in range; the
# run summary matches the pool.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
"$CURATE" demo --reset --count 60 >/dev/null
start_llm --mode mixed --fault-rate 0.3 --seed 7 || { fail "llm server"; finish; exit 1; }
export CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=test-model
"$CURATE" score --all --no-cache --timeout 1 --retries 1 --concurrency 8 >mixed.out 2>&1
rc=$?
if [ $rc -eq 0 ] || [ $rc -eq 1 ]; then pass "mixed faults: run completes ($rc)"; else fail "mixed faults: run completes" "exit $rc"; fi
run=$(sql "SELECT max(id) FROM runs")
eq "run done" "$(sql "SELECT status FROM runs WHERE id=$run")" "done"
eq "every conversation has a prediction in the run" "$(sql "SELECT count(DISTINCT cid) FROM predictions WHERE run_id=$run")" "60"
eq "failed ones have a reason" "$(sql "SELECT count(*) FROM predictions WHERE run_id=$run AND status<>'ok' AND (error IS NULL OR error='')")" "0"
eq "stored scores in range" "$(sql "SELECT count(*) FROM predictions p, json_each(p.scores) j WHERE p.run_id=$run AND j.value IS NOT NULL AND (j.value < 0 OR j.value > 10)")" "0"
eq "answers kept raw when there was one" "$(sql "SELECT count(*) FROM predictions WHERE run_id=$run AND status='partial' AND raw IS NULL")" "0"
# The summary line agrees with the pool.
read -r ok partial failed < <(sed -nE 's/.*ok ([0-9]+), partial ([0-9]+), failed ([0-9]+).*/\1 \2 \3/p' mixed.out)
eq "summary ok matches pool" "$ok" "$(sql "SELECT count(*) FROM predictions WHERE run_id=$run AND status='ok'")"
eq "summary partial matches pool" "$partial" "$(sql "SELECT count(*) FROM predictions WHERE run_id=$run AND status='partial'")"
eq "summary failed matches pool" "$failed" "$(sql "SELECT count(*) FROM predictions WHERE run_id=$run AND status='failed'")"
eq "run summary json matches" "$(sql "SELECT json_extract(summary,'$.ok') || '/' || json_extract(summary,'$.failed') FROM runs WHERE id=$run")" "$ok/$failed"
if [ "${failed:-0}" -gt 0 ] || [ "${partial:-0}" -gt 0 ]; then pass "faults were injected"; else fail "faults were injected" "$(cat mixed.out)"; fi

# Connection refused mid-run: the server dies while requests are in flight.
llm_control '{"mode": "good", "latency_ms": 200}'
"$CURATE" score --all --no-cache --timeout 2 --retries 1 --concurrency 4 >refused.out 2>&1 &
sp=$!
sleep 1.2
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
wait $sp; rc=$?
if [ $rc -eq 0 ] || [ $rc -eq 1 ]; then pass "refused mid-run: run completes ($rc)"; else fail "refused mid-run" "exit $rc $(cat refused.out)"; fi
run=$(sql "SELECT max(id) FROM runs")
eq "refused: every conversation accounted for" "$(sql "SELECT count(DISTINCT cid) FROM predictions WHERE run_id=$run")" "60"
eq "refused: some failed with a network reason" "$(sql "SELECT count(*) > 0 FROM predictions WHERE run_id=$run AND status='failed' AND (error LIKE '%onnect%' OR error LIKE '%refused%' OR error LIKE '%network%')")" "1"
eq "integrity" "$(sql 'PRAGMA integrity_check')" "ok"
finish
