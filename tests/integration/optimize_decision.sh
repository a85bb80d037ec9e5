#!/bin/bash
# `curate optimize`: the decision and its records against the loopback
# server in demo-aware mode (no demos -> every score 7.5, i.e. a hedging
# model; demos -> the ORACLE line's scores, equal to the human label here).
# Checks exit codes 0/3/1/2, the best replaced only on improvement, the
# current best evaluated on the same validation set, the same seed giving
# the identical state JSON from the cache (no new requests), random search,
# the run records, and the "label N more" message.
source "$(dirname "$0")/lib.bash"
cd "$WORK"

# make_pool N_EDGE N_OTHER: conversations whose ORACLE line equals their
# label, labels spread over the score range.
make_pool() {
  $PY - "$1" "$2" "$WORK/pool.jsonl" "$WORK/labels.tsv" <<'PY'
import json, sys
ne, no = int(sys.argv[1]), int(sys.argv[2])
names = ["responsiveness_score", "customer_negative_score", "conversational_trend_score"]
with open(sys.argv[3], "w") as out, open(sys.argv[4], "w") as lab:
    for i in range(ne + no):
        a, b, c = (i * 7) % 11, (i * 3 + 5) % 11, (i * 5 + 2) % 11
        cid = "c%02d" % i
        o = dict(zip(names, (a, b, c)))
        msgs = [{"ts": "2024-04-02T09:00:00Z", "from": "Cliente", "role": "customer",
                 "text": "Trip %s question. ORACLE: %s" % (cid, json.dumps(o))},
                {"ts": "2024-04-02T09:03:00Z", "from": "Ana", "role": "seller",
                 "text": "On it!"}]
        out.write(json.dumps({"id": cid, "seller_id": "S-%d" % (i % 3), "messages": msgs}) + "\n")
        lab.write("%s %d %d %d %d\n" % (cid, a, b, c, 1 if i < ne else 0))
PY
  "$CURATE" import "$WORK/pool.jsonl" >/dev/null || return 1
  while read -r id a b c edge; do
    "$CURATE" label "$id" --set responsiveness_score="$a" --set customer_negative_score="$b" \
      --set conversational_trend_score="$c" >/dev/null || return 1
    if [ "$edge" = 1 ]; then "$CURATE" edge "$id" >/dev/null || return 1; fi
  done <"$WORK/labels.tsv"
}
requests() { curl -s "http://127.0.0.1:$LLM_PORT/stats" | $PY -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }
best() { sql "SELECT coalesce((SELECT id FROM programs WHERE is_best = 1), 0)"; }

start_llm --mode demo-aware || { fail "llm server"; finish; exit 1; }
export CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=test-model

# ---- too few reviewed examples
make_pool 1 4 || { fail "build small pool"; finish; exit 1; }
check_rc "too few labels: exit 1" 1 "$CURATE" optimize
has "says how many more to label" '5 reviewed examples \(1 edge case\); need 10 for validation \+ 15 for training: label 21 more' "$WORK/out"
check_rc "--val 0 is a usage error" 2 "$CURATE" optimize --val 0
check_rc "--metric bogus is a usage error" 2 "$CURATE" optimize --metric f1

rm -f "$CURATE_DB"
make_pool 4 16 || { fail "build pool"; finish; exit 1; }
OPT=("$CURATE" optimize --edge 4 --sample 6 --val 8)

# ---- A: a zero-shot candidate against zero-shot: not improved, recorded
check_rc "zero-shot vs zero-shot: exit 3" 3 "${OPT[@]}" --max-bootstrapped 0 --max-labeled 0
has "composition" '^training set: 10 examples: 4 edge cases \+ 6 sampled \(low [0-9] of [0-9]+, mid [0-9] of [0-9]+, high [0-9] of [0-9]+\)' "$WORK/out"
bins=$(sed -nE 's/.*\(low ([0-9]) of [0-9]+, mid ([0-9]) of [0-9]+, high ([0-9]) of.*/\1+\2+\3/p' "$WORK/out")
eq "six sampled over the bins" "$((bins))" "6"
has "not improved, no best" '^decision: not improved .*program 1 stored, no best program set' "$WORK/out"
eq "stored, not best" "$(sql "SELECT count(*), max(is_best) FROM programs")" "1|0"
check "make the zero-shot program the best" "$CURATE" programs use 1

# ---- B: bootstrapped demos against the current best (program 1)
check_rc "few-shot beats the hedging best: exit 0" 0 "${OPT[@]}" --seed 11
has "current best evaluated" '^  current best \(program 1\)  [0-9.]+' "$WORK/out"
has "improved" '^decision: improved \([0-9.]+ > [0-9.]+\): program 2 is the new best' "$WORK/out"
has "hedging sd 0 before" '^responsiveness_score +[0-9.]+ -> [0-9.]+ +0\.00 -> [1-9]' "$WORK/out"
has "spearman n/a before" 'n/a -> 1\.00' "$WORK/out"
eq "program 2 is best" "$(best)" "2"
n_before=$(requests)

# ---- C: the same seed: the same program, all from the cache
check_rc "same seed again: equal, exit 3" 3 "${OPT[@]}" --seed 11
eq "no new requests (cache)" "$(requests)" "$n_before"
# the decision is a paired comparison with a noise margin (README)
has "paired gain printed" '^gain: \+0\.0000 ± 0\.0000 \(paired, n=8\); needs > 2 SE = 0\.0000' "$WORK/out"
has "equal is not better" '^decision: not improved \(gain \+0\.0000 within the margin' "$WORK/out"
eq "run records the pairing" "$(sql "SELECT json_extract(summary, '$.paired.n') || ' ' || json_extract(summary, '$.paired.margin_from') FROM runs WHERE kind = 'optimize' ORDER BY id DESC LIMIT 1")" "8 2 SE"
eq "run records the DSPy release" "$(sql "SELECT json_extract(params, '$.dspy') FROM runs WHERE kind = 'optimize' ORDER BY id DESC LIMIT 1")" "3.3.1"
eq "identical state JSON" "$(sql "SELECT (SELECT state FROM programs WHERE id=3) = (SELECT state FROM programs WHERE id=2)")" "1"
eq "identical training set" "$(sql "SELECT (SELECT trainset FROM programs WHERE id=3) = (SELECT trainset FROM programs WHERE id=2)")" "1"
eq "best unchanged on a tie" "$(best)" "2"
has "tie printed" '^decision: not improved .*program 3 stored, program 2 stays the best' "$WORK/out"

# ---- D: a worse candidate never replaces the best
check_rc "zero-shot candidate vs few-shot best: exit 3" 3 "${OPT[@]}" --max-bootstrapped 0 --max-labeled 0
eq "best still 2" "$(best)" "2"
check_rc "--no-cache asks the model again" 3 "${OPT[@]}" --seed 11 --no-cache
[ "$(requests)" -gt "$n_before" ] && pass "--no-cache sent requests" || fail "--no-cache sent requests"

# ---- another seed: the validation split stays (it only grows, README)
split_before=$(sql "SELECT json_extract(summary, '$.val_split') FROM runs WHERE kind = 'optimize' AND status = 'done' ORDER BY id DESC LIMIT 1")
check_rc "seed 12" 3 "${OPT[@]}" --seed 12
eq "another seed keeps the validation split" "$(sql "SELECT json_extract(summary, '$.val_split') FROM runs WHERE kind = 'optimize' AND status = 'done' ORDER BY id DESC LIMIT 1")" "$split_before"
eq "eight validation conversations recorded" "$(sql "SELECT json_array_length(summary, '$.val_split') FROM runs WHERE kind = 'optimize' ORDER BY id DESC LIMIT 1")" "8"

# ---- random search
check_rc "--candidates 2" 3 "${OPT[@]}" --candidates 2 --seed 11
for c in "-3 \(zero-shot\)" "-2 \(labeled only\)" "-1 \(unshuffled\)" "0 \(shuffled\)" "1 \(shuffled\)"; do
  has "candidate $c built" "^candidate $c" "$WORK/out"
done
eq "five validation scores" "$(grep -c '^  validation score' "$WORK/out")" "5"
eq "ties go to the first best: labeled only" \
  "$(sql "SELECT note LIKE '%candidate -2 (labeled only)%' FROM programs ORDER BY id DESC LIMIT 1")" "1"

# ---- the run records
eq "every optimize run recorded" "$(sql "SELECT count(*), min(status), max(status) FROM runs WHERE kind='optimize'")" "7|done|done"
eq "summary of the improving run" \
  "$(sql "SELECT json_extract(summary,'$.improved'), json_extract(summary,'$.program_id'), json_extract(summary,'$.baseline_program_id') FROM runs WHERE kind='optimize' ORDER BY id LIMIT 1 OFFSET 1")" "1|2|1"
eq "summary reports" \
  "$(sql "SELECT json_extract(summary,'$.candidate.fields.responsiveness_score.spearman'), json_extract(summary,'$.baseline.fields.responsiveness_score.sd'), json_extract(summary,'$.train.edge') FROM runs WHERE kind='optimize' ORDER BY id LIMIT 1 OFFSET 1")" "1|0|4"
eq "params recorded" "$(sql "SELECT json_extract(params,'$.seed'), json_extract(params,'$.metric') FROM runs WHERE kind='optimize' ORDER BY id LIMIT 1 OFFSET 1")" "11|diversity"

# ---- errors: the model fails every request
llm_control '{"mode": "400"}'
check_rc "model errors: exit 1" 1 "${OPT[@]}" --seed 21 --no-cache
has "error reason" 'bootstrapping stopped after [0-9]+ failed predictions' "$WORK/out"
eq "failed run recorded" "$(sql "SELECT status FROM runs WHERE kind='optimize' ORDER BY id DESC LIMIT 1")" "failed"
eq "best untouched" "$(best)" "2"

# ---- the offline baseline ignores demos: never an improvement
check_rc "heuristic backend: exit 3" 3 "${OPT[@]}" --backend heuristic
has "heuristic named" 'backend heuristic \(heuristic-v1\)' "$WORK/out"

# ---- --min-gain overrides the noise margin (last: it stores a program)
b0=$(best)
check_rc "--min-gain 1: no gain is that large" 3 "${OPT[@]}" --seed 11 --max-bootstrapped 1 --max-labeled 1 --min-gain 1
has "margin from --min-gain" 'needs > --min-gain 1\.0000' "$WORK/out"
eq "best unchanged by --min-gain" "$(best)" "$b0"
check_rc "--min-gain out of range" 2 "$CURATE" optimize --min-gain 2
check_rc "--min-gain not a number" 2 "$CURATE" optimize --min-gain x

# ---- the validation split only grows: four more labels move no old member
llm_control '{"mode": "demo-aware"}'
last_split() { sql "SELECT json_extract(summary, '$.val_split') FROM runs WHERE kind = 'optimize' AND status = 'done' ORDER BY id DESC LIMIT 1"; }
split1=$(last_split)
$PY - >"$WORK/more.jsonl" <<'PY'
import json
for i in range(90, 94):
    o = {"responsiveness_score": i % 11, "customer_negative_score": (i * 3) % 11, "conversational_trend_score": (i * 5) % 11}
    print(json.dumps({"id": "c%02d" % i, "seller_id": "S-1", "messages": [
        {"ts": "2024-04-02T09:00:00Z", "from": "Cliente", "role": "customer", "text": "Trip c%02d question. ORACLE: %s" % (i, json.dumps(o))},
        {"ts": "2024-04-02T09:03:00Z", "from": "Ana", "role": "seller", "text": "On it!"}]}))
PY
check "import four more" "$CURATE" import "$WORK/more.jsonl"
for i in 90 91 92 93; do "$CURATE" label "c$i" --set responsiveness_score=5 --set customer_negative_score=5 --set conversational_trend_score=5 >/dev/null; done
OPT1=("${OPT[@]}" --seed 11 --max-bootstrapped 1 --max-labeled 1 --min-gain 1)
check_rc "optimize after four more labels" 3 "${OPT1[@]}"
eq "every old validation member stays" "$(sql "SELECT count(*) FROM json_each('$split1') WHERE value NOT IN (SELECT value FROM json_each('$(last_split)'))")" "0"
# ---- neither program is judged on its own examples: the best's training
# set (recorded with it) leaves the evaluation
vid=$(sql "SELECT json_extract('$split1', '\$[0]')")
sql "UPDATE programs SET trainset = json_array('$vid') WHERE is_best = 1"
check_rc "optimize with a best trained on a validation example" 3 "${OPT1[@]}"
eq "that example is not judged" "$(sql "SELECT count(*) FROM json_each((SELECT json_extract(summary, '$.val_ids') FROM runs WHERE kind = 'optimize' ORDER BY id DESC LIMIT 1)) WHERE value = '$vid'")" "0"
eq "but stays in the split" "$(sql "SELECT count(*) FROM json_each('$(last_split)') WHERE value = '$vid'")" "1"
has "judged on the other seven" 'paired, n=7\)' "$WORK/out"

finish
