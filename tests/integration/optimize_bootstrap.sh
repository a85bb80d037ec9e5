#!/bin/bash
# `curate optimize`: bootstrapping against the loopback server in demo-aware
# mode (no demos in the prompt -> every score 7.5; demos -> the scores of
# the `ORACLE: {...}` line in the conversation). Each training example's
# ORACLE line is chosen so its metric value is known, so the test checks
# acceptance and rejection per metric and threshold, the demo limits, the
# labeled fill, that the teacher never sees the example it bootstraps, and
# the state JSON's DSPy keys and field order.
source "$(dirname "$0")/lib.bash"
cd "$WORK"

# make_pool: five edge cases (the training set with --edge 5 --sample 0,
# walked in id order) and six validation examples (ORACLE == label).
#   e1 good    label 9,1,8  oracle 9,1,8   accuracy 1.00  diversity 0.94
#   e2 flat    label 5,5,5  oracle 5,5,5   accuracy 1.00  diversity 0.70
#   e3 spready label 9,1,9  oracle 10,0,6  accuracy 0.83  diversity 0.88
#   e4 bad     label 9,1,9  oracle 1,9,1   accuracy 0.20  diversity 0.38
#   e5 good2   label 2,8,3  oracle 2,8,3   accuracy 1.00  diversity 0.88
make_pool() {
  $PY - "$WORK/pool.jsonl" "$WORK/labels.tsv" <<'PY'
import json, sys
rows = [("e1", (9, 1, 8), (9, 1, 8), 1), ("e2", (5, 5, 5), (5, 5, 5), 1),
        ("e3", (9, 1, 9), (10, 0, 6), 1), ("e4", (9, 1, 9), (1, 9, 1), 1),
        ("e5", (2, 8, 3), (2, 8, 3), 1),
        ("v1", (8, 2, 7), (8, 2, 7), 0), ("v2", (3, 7, 2), (3, 7, 2), 0),
        ("v3", (6, 3, 6), (6, 3, 6), 0), ("v4", (1, 9, 2), (1, 9, 2), 0),
        ("v5", (10, 0, 9), (10, 0, 9), 0), ("v6", (4, 6, 5), (4, 6, 5), 0)]
names = ["responsiveness_score", "customer_negative_score", "conversational_trend_score"]
with open(sys.argv[1], "w") as out, open(sys.argv[2], "w") as lab:
    for cid, label, oracle, edge in rows:
        o = dict(zip(names, oracle))
        o["overall_seller_score"] = round(0.4 * oracle[0] + 0.3 * (10 - oracle[1]) + 0.3 * oracle[2], 1)
        msgs = [{"ts": "2024-03-01T10:00:00Z", "from": "Cliente", "role": "customer",
                 "text": "Hello, about my booking for %s. ORACLE: %s" % (cid, json.dumps(o))},
                {"ts": "2024-03-01T10:05:00Z", "from": "Ana", "role": "seller",
                 "text": "Thanks, checking it now."}]
        out.write(json.dumps({"id": cid, "seller_id": "S-1", "messages": msgs}) + "\n")
        lab.write("%s %s %s %s %d\n" % (cid, *label, edge))
PY
  "$CURATE" import "$WORK/pool.jsonl" >/dev/null || return 1
  while read -r id a b c edge; do
    "$CURATE" label "$id" --set responsiveness_score="$a" --set customer_negative_score="$b" \
      --set conversational_trend_score="$c" >/dev/null || return 1
    if [ "$edge" = 1 ]; then "$CURATE" edge "$id" >/dev/null || return 1; fi
  done <"$WORK/labels.tsv"
}
make_pool || { fail "build pool"; finish; exit 1; }
start_llm --mode demo-aware || { fail "llm server"; finish; exit 1; }
export CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=test-model
OPT=("$CURATE" optimize --edge 5 --sample 0 --val 6)

# attempt lines: "  attempt N   ID   accepted|rejected  VALUE"
attempts() { grep -E '^  attempt' "$WORK/out" | awk '{print $3":"$4":"$5}' | tr '\n' ' '; }
state() { sql "SELECT state FROM programs WHERE id = $1"; }

# ---- acceptance per metric and threshold
check_rc "diversity, threshold 0.85: improved" 0 "${OPT[@]}" --threshold 0.85
eq "diversity accepts e1 e3 e5, rejects e2 (0.70) and e4 (0.38)" "$(attempts)" \
  "e1:accepted:0.940 e2:rejected:0.700 e3:accepted:0.883 e4:rejected:0.380 e5:accepted:0.880 "
has "training set composition" '^training set: 5 examples: 5 edge cases \+ 0 sampled' "$WORK/out"
has "validation size" '^validation set: 6 examples' "$WORK/out"
has "demo count printed" 'demos: 3 bootstrapped \+ 2 labeled' "$WORK/out"
has "baseline is zero-shot" 'zero-shot \(no best yet\)' "$WORK/out"
has "per-field table" '^responsiveness_score +[0-9.]+ -> [0-9.]+ ' "$WORK/out"
has "decision" '^decision: improved \([0-9.]+ > [0-9.]+\): program 1 is the new best' "$WORK/out"
eq "program 1 is best" "$(sql "SELECT is_best, n_demos, metric FROM programs WHERE id=1")" "1|5|diversity"

check_rc "accuracy, threshold 0.85" 3 "${OPT[@]}" --metric accuracy --threshold 0.85
eq "accuracy accepts e1 e2 e5, rejects e3 (0.83) and e4" "$(attempts)" \
  "e1:accepted:1.000 e2:accepted:1.000 e3:rejected:0.833 e4:rejected:0.200 e5:accepted:1.000 "

check_rc "no threshold: any value above 0 passes" 3 "${OPT[@]}"
eq "all five accepted" "$(attempts)" \
  "e1:accepted:0.940 e2:accepted:0.700 e3:accepted:0.883 e4:accepted:0.380 e5:accepted:0.880 "
has "no threshold printed" 'threshold none \(any value > 0\)' "$WORK/out"

# ---- limits and the labeled fill
check_rc "--max-bootstrapped 2" 3 "${OPT[@]}" --max-bootstrapped 2 --seed 5
eq "walk stops after two accepted" "$(attempts)" "e1:accepted:0.940 e2:accepted:0.700 "
id=$(sql "SELECT max(id) FROM programs")
state "$id" >"$WORK/state.json"
$PY - "$WORK/state.json" <<'PY' >"$WORK/demos.txt" 2>&1
import json, sys
d = json.load(open(sys.argv[1]))["analyze.predict"]["demos"]
aug = [x for x in d if x.get("augmented") is True]
lab = [x for x in d if "augmented" not in x]
assert len(d) == 5 and len(aug) == 2 and len(lab) == 3, (len(d), len(aug), len(lab))
assert d[:2] == aug, "bootstrapped demos come first"
assert all("reasoning" not in x for x in lab), "labeled demos carry no reasoning"
ids = sorted(x["conversation"].split("booking for ")[1][:2] for x in lab)
assert ids == ["e3", "e4", "e5"], ids          # the fill: examples not bootstrapped
assert all(isinstance(v, str) for x in d for v in x.values() if not isinstance(v, bool))
e3 = [x for x in lab if "booking for e3" in x["conversation"]][0]
assert e3["responsiveness_score"] == "9.0" and e3["customer_negative_score"] == "1.0", e3
print("demos ok")
PY
has "2 bootstrapped + 3 labeled, fill from the rest" '^demos ok$' "$WORK/demos.txt"

check_rc "--max-bootstrapped 8 --max-labeled 3" 3 "${OPT[@]}" --max-labeled 3
eq "more bootstrapped than labeled slots: no fill" \
  "$(sql "SELECT n_demos FROM programs ORDER BY id DESC LIMIT 1")" "5"
has "5 bootstrapped + 0 labeled" 'demos: 5 bootstrapped \+ 0 labeled' "$WORK/out"

# ---- the teacher: labeled demos, never the example itself
curl -s -X POST "http://127.0.0.1:$LLM_PORT/reset" >/dev/null
check_rc "fresh requests for the teacher check" 3 "${OPT[@]}" --no-cache --seed 9
curl -s "http://127.0.0.1:$LLM_PORT/requests" >"$WORK/reqs.json"
$PY - "$WORK/reqs.json" <<'PY' >"$WORK/teacher.txt" 2>&1
import json, re, sys
reqs = json.load(open(sys.argv[1]))
seen = 0
for r in reqs:
    m = r["body"]["messages"]
    last = m[-1]["content"]
    ex = re.search(r"booking for (\w+)", last).group(1)
    if not ex.startswith("e"):
        continue                      # validation calls
    demos = [x["content"] for x in m[1:-1] if x["role"] == "user"]
    assert demos, "the teacher has labeled demos"
    assert all("booking for %s." % ex not in d for d in demos), "teacher saw " + ex
    assert len(demos) in (4, 5), len(demos)
    seen += 1
assert seen == 5, seen
print("teacher ok")
PY
has "teacher never sees the example, has 4-5 labeled demos" '^teacher ok$' "$WORK/teacher.txt"

check_rc "--max-labeled 0: the teacher is zero-shot" 3 "${OPT[@]}" --max-labeled 0 --threshold 0.5
eq "zero-shot teacher hedges at 7.5: diversity 0.7 x accuracy" "$(attempts)" \
  "e1:accepted:0.502 e2:accepted:0.525 e3:rejected:0.478 e4:rejected:0.478 e5:rejected:0.455 "

# ---- the state JSON as DSPy writes it
state 1 >"$WORK/state1.json"
$PY - "$WORK/state1.json" <<'PY' >"$WORK/keys.txt" 2>&1
import json, sys
from collections import OrderedDict
s = json.load(open(sys.argv[1]), object_pairs_hook=OrderedDict)
assert list(s) == ["analyze.predict", "metadata"], list(s)
p = s["analyze.predict"]
assert list(p) == ["traces", "train", "demos", "signature", "lm"], list(p)
assert p["traces"] == [] and p["train"] == [] and p["lm"] is None
assert list(p["signature"]) == ["instructions", "fields"]
prefixes = [f["prefix"] for f in p["signature"]["fields"]]
# the default --dspy 3: DSPy 3.2+'s ChainOfThought prefix
assert prefixes == ["Conversation:", "Seller Id:", "Reasoning:",
                    "Responsiveness Score:", "Customer Negative Score:",
                    "Conversational Trend Score:", "Overall Seller Score:", "Score Rationale:"], prefixes
aug = p["demos"][0]
assert list(aug)[:4] == ["augmented", "conversation", "seller_id", "reasoning"], list(aug)
assert aug["augmented"] is True and aug["responsiveness_score"] == "9", aug  # as the model wrote it
assert list(aug)[4:8] == ["responsiveness_score", "customer_negative_score",
                          "conversational_trend_score", "overall_seller_score"], list(aug)
assert list(s["metadata"]) == ["dependency_versions"]
assert s["metadata"]["dependency_versions"]["dspy"] == "3.3.1", s["metadata"]
print("keys ok")
PY
has "state JSON keys and field order" '^keys ok$' "$WORK/keys.txt"

# ---- issue 15: no more requests than DSPy sends: every attempt passes
# (no threshold), so one request per attempt, plus both validations
stats_requests() { curl -s "http://127.0.0.1:$LLM_PORT/stats" | $PY -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }
r0=$(stats_requests)
check_rc "all attempts pass" 3 "${OPT[@]}" --no-cache --max-bootstrapped 3 --max-labeled 0 --seed 5
r1=$(stats_requests)
na=$(grep -cE '^  attempt' "$WORK/out")
nv=$(sed -nE 's/^validation \(([0-9]+) examples.*/\1/p' "$WORK/out")
eq "three attempts, all accepted" "$(grep -cE '^  attempt .* accepted' "$WORK/out") of $na" "3 of 3"
eq "one request per attempt + 2 x validation" "$((r1 - r0))" "$((na + 2 * nv))"
has "says every attempt passed without a threshold" '^note: no --threshold: every bootstrapped prediction that parsed passed \(3 of 3 attempts\)' "$WORK/out"

finish
