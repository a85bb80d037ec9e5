#!/bin/bash
# export_json.sh: `curate import-program json`, `export json`, `programs`,
# `export pool`: DSPy 2.6 byte layout, round trips, bad input stores nothing,
# the labeled pool as DSPy Example dicts.
source "$(dirname "$0")/lib.bash"
FIX=$ROOT/tests/fixtures/programs
cd "$WORK" || exit 1
nprog() { sql "SELECT count(*) FROM programs"; }

# ---- import-program json, programs, export json
check "init" "$CURATE" init
check_rc "export json with no program fails" 1 "$CURATE" export json
has "says there is no best program" "no current best program" "$WORK/out"
check "import golden state" "$CURATE" import-program json "$FIX/golden_state.json"
has "prints the new id" "^program 1: imported from .*golden_state.json \(2 demos\)" "$WORK/out"
eq "metric imported, not best" "$(sql "SELECT metric, is_best, n_demos FROM programs")" "imported|0|2"
check "programs lists it" "$CURATE" programs
has "list row" "^  1 .* imported .* - +2 " "$WORK/out"
check_rc "still no best" 1 "$CURATE" export json
check "programs use 1" "$CURATE" programs use 1
has "use says so" "program 1 is now the current best" "$WORK/out"
check "programs marks best" "$CURATE" programs
has "best marker" "^\* 1 " "$WORK/out"
check "export json (default file)" "$CURATE" export json
has "names the default file" "-> chat_analyzer_optimizer.json" "$WORK/out"
check "default file is the golden bytes" cmp chat_analyzer_optimizer.json "$FIX/golden_state.json"
check "export json -o - is the golden bytes" bash -c "'$CURATE' export json -o - 2>/dev/null | cmp - '$FIX/golden_state.json'"
check "export json --program 1 -o FILE" "$CURATE" export json --program 1 -o "$WORK/p1.json"
check "p1.json is golden" cmp "$WORK/p1.json" "$FIX/golden_state.json"
eq "no temp files left" "$(ls "$WORK" | grep -c '\.tmp\.')" "0"

# The file is exactly what DSPy 2.6.27 writes (ujson.dumps(indent=2,
# ensure_ascii=False) == json.dumps(...) with "/" escaped) with DSPy's keys.
cat >"$WORK/dspy_check.py" <<'EOF'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
state = json.loads(text)
try:
    import ujson
    want = ujson.dumps(state, indent=2, ensure_ascii=False)
except ImportError:
    want = json.dumps(state, indent=2, ensure_ascii=False).replace("/", "\\/")
assert text == want, "bytes differ from DSPy 2.6's Module.save()"
assert list(state) == ["analyze.predict", "metadata"]
p = state["analyze.predict"]
assert list(p) == ["traces", "train", "demos", "signature", "lm"], list(p)
assert p["lm"] is None and p["traces"] == [] and p["train"] == []
assert list(p["signature"]) == ["instructions", "fields"]
prefixes = [f["prefix"] for f in p["signature"]["fields"]]
assert prefixes[:3] == ["Conversation:", "Seller Id:",
                        "Reasoning: Let's think step by step in order to"], prefixes
assert all(list(f) == ["prefix", "description"] for f in p["signature"]["fields"])
for d in p["demos"]:
    assert all(isinstance(v, str) for k, v in d.items() if k != "augmented")
    if d.get("augmented"):
        assert list(d)[0] == "augmented" and "reasoning" in d
    else:
        assert "augmented" not in d and "reasoning" not in d
assert state["metadata"] == {"dependency_versions": {"python": "3.11", "dspy": "2.6.27",
                                                     "cloudpickle": "3.1"}}
EOF
check "bytes and keys as DSPy 2.6 writes them" $PY "$WORK/dspy_check.py" chat_analyzer_optimizer.json

# ---- round trip: export -> import-program -> export is byte-identical
check "re-import the export" "$CURATE" import-program json chat_analyzer_optimizer.json --use
has "re-import is program 2 and best" "^program 2: .*now the current best" "$WORK/out"
check "export program 2" "$CURATE" export json -o "$WORK/p2.json"
check "round trip byte-identical" cmp "$WORK/p2.json" chat_analyzer_optimizer.json
check "stdin import" bash -c "'$CURATE' -q import-program json - <'$WORK/p2.json' >'$WORK/id3'"
eq "quiet import prints the id" "$(cat "$WORK/id3")" "3"

# DSPy 3.x (orjson, lm object) and a state without lm/traces/train load too
check "import a DSPy 3.x state" "$CURATE" import-program json "$FIX/dspy3_state.json"
check "export it for 2.6" "$CURATE" --dspy 2.6 export json --program 4 -o "$WORK/p4.json"
check "3.x state re-written as the 2.6 golden bytes" cmp "$WORK/p4.json" "$FIX/golden_state.json"
check "import a state without lm" "$CURATE" import-program json "$FIX/dspy3_no_lm.json"
check "import a 2.6 state with numbers" "$CURATE" import-program json "$FIX/dspy26_state.json"
check "export it" "$CURATE" export json --program 6 -o "$WORK/p6.json"
check "numbers are written back as numbers (as DSPy keeps them)" $PY -c "
import json
d = json.load(open('$WORK/p6.json'))['analyze.predict']['demos']
assert d[0]['responsiveness_score'] == 8.5 and d[0]['customer_negative_score'] == 7
assert d[0]['conversational_trend_score'] == 8.0 and d[0]['overall_seller_score'] == 1e-05
assert d[1]['reasoning'] == 42 and d[1]['conversational_trend_score'] == 1e+16
"

# ---- bad input: clear message, exit 1, nothing stored
before=$(nprog)
check_rc "other signature refused" 1 "$CURATE" import-program json "$FIX/other_signature.json"
has "names the field" "state is for another signature: field 4 is 'Sentiment Score:', rubric expects 'Responsiveness Score:' \(nothing imported\)" "$WORK/out"
printf 'not json at all' >"$WORK/bad.json"
check_rc "not JSON refused" 1 "$CURATE" import-program json "$WORK/bad.json"
has "says not valid JSON" "not valid JSON: line 1 column 1" "$WORK/out"
printf '{"analyze.predict": {"demos": [{"conversation": "x", "foo": "y"}], "signature": {"instructions": "i", "fields": []}}}' >"$WORK/bad2.json"
check_rc "unknown demo key refused" 1 "$CURATE" import-program json "$WORK/bad2.json"
printf '[{"question": "q", "answer": "a"}]' >"$WORK/bad3.json"
check_rc "a dataset is not a state" 1 "$CURATE" import-program json "$WORK/bad3.json"
has "says so" "not a DSPy program state" "$WORK/out"
check_rc "missing file" 1 "$CURATE" import-program json "$WORK/nope.json"
check_rc "no file given" 2 "$CURATE" import-program json
check_rc "unknown source" 2 "$CURATE" import-program yaml x
check_rc "option of another target" 2 "$CURATE" export json --uri mongodb://u:pw123@x
has "names the option" "json: option '--uri' does not apply here" "$WORK/out"
hasnt "not its value" "pw123" "$WORK/out"
check_rc "unknown option" 2 "$CURATE" export mongo --urii=mongodb://u:pw123@x
has "names it" "unknown option or missing value: '--urii'" "$WORK/out"
hasnt "not its value" "pw123" "$WORK/out"
check_rc "missing value" 2 "$CURATE" export mongo --uri
eq "nothing stored by bad imports" "$(nprog)" "$before"
check_rc "export into a missing directory" 1 "$CURATE" export json -o "$WORK/no/such/dir/x.json"
check_rc "bad --program" 2 "$CURATE" export json --program seven
check_rc "unknown program" 1 "$CURATE" export json --program 99
has "says which" "no program 99" "$WORK/out"
check_rc "programs use unknown" 1 "$CURATE" programs use 99
check_rc "programs use best is a usage error" 2 "$CURATE" programs use best
eq "best unchanged" "$(sql "SELECT id FROM programs WHERE is_best")" "2"
# another rubric refuses the stored state on export and on `programs use`
cat >"$WORK/rubric.json" <<'EOF'
{"name": "S", "instructions": "Rate.", "fields": [
 {"name": "text", "kind": "input", "description": "t"},
 {"name": "quality", "kind": "score", "weight": 1, "description": "q"}]}
EOF
check_rc "export under another rubric refused" 1 "$CURATE" --rubric "$WORK/rubric.json" export json -o "$WORK/x.json"
has "pool's rubric named" "labeled under another rubric" "$WORK/out"
# ... and on a pool explicitly migrated to that rubric, the stored states
# are still checked against it
sqlite3 "$CURATE_DB" ".backup '$WORK/migrated.db'"
check "rubric migrate" "$CURATE" --db "$WORK/migrated.db" --rubric "$WORK/rubric.json" rubric migrate
check_rc "export of a state for the old rubric refused" 1 "$CURATE" --db "$WORK/migrated.db" --rubric "$WORK/rubric.json" export json -o "$WORK/x.json"
has "mismatch named" "state is for another signature: field 1 is 'Conversation:', rubric expects 'Text:'" "$WORK/out"
check_rc "use under another rubric refused" 1 "$CURATE" --db "$WORK/migrated.db" --rubric "$WORK/rubric.json" programs use 1
eq "best still unchanged" "$(sql "SELECT id FROM programs WHERE is_best")" "2"

# ---- programs show: readable demos, untrusted text sanitised
check "programs show best" "$CURATE" programs show best
has "header" "^program 2 \(current best\)" "$WORK/out"
has "demo counts" "demos +2 \(1 bootstrapped, 1 labeled\)" "$WORK/out"
has "bootstrapped demo" "^demo 1 of 2: bootstrapped" "$WORK/out"
has "labeled demo" "^demo 2 of 2: labeled" "$WORK/out"
has "reasoning shown" "^  reasoning:" "$WORK/out"
has "score shown" "^  responsiveness_score: 8.5" "$WORK/out"
has "transcript indented" "^    \[2024-05-01 10:09\] Seller \(Bruno\)" "$WORK/out"
$PY - "$FIX/golden_state.json" "$WORK/evil.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
s["analyze.predict"]["demos"][1]["seller_id"] = "evil\x1b]52;c;aGk=\x07\x1b[2J\u202e"
open(sys.argv[2], "w").write(json.dumps(s))
EOF
check "import hostile text" "$CURATE" import-program json "$WORK/evil.json"
id=$(sql "SELECT max(id) FROM programs")
check "show it" "$CURATE" programs show "$id"
hasnt "no raw ESC/BEL reaches the terminal" $'\x1b|\x07' "$WORK/out"
has "shown as visible placeholders" "seller_id: evil␛\]52;c;aGk=␇␛\[2J" "$WORK/out"
check_rc "show unknown" 1 "$CURATE" programs show 99
check_rc "programs bad subcommand" 2 "$CURATE" programs frobnicate

# ---- export pool: human-verified examples as DSPy Example dicts
cat >"$WORK/convs.jsonl" <<'EOF'
{"id": "t-1", "seller_id": "ana/1", "messages": [{"ts": "2024-02-01T09:12:00Z", "from": "John", "role": "customer", "text": "Hi! Is the S\u00e3o Paulo trip still on? \"asap\""}, {"ts": "2024-02-01T09:14:00Z", "from": "Ana", "role": "seller", "text": "Yes, see https://ex.com/b"}]}
{"id": "t-2", "seller_id": "bo", "messages": [{"ts": "2024-02-02T09:12:00Z", "from": "Li", "role": "customer", "text": "refund??"}, {"ts": "2024-02-04T19:00:00Z", "from": "Bo", "role": "seller", "text": "sorry"}]}
{"id": "t-3", "seller_id": "bo", "messages": [{"ts": "2024-02-03T09:12:00Z", "from": "Li", "role": "customer", "text": "ok"}]}
{"id": "t-4", "seller_id": "cy", "messages": [{"ts": "2024-02-03T09:12:00Z", "from": "Mo", "role": "customer", "text": "never labeled"}]}
EOF
check "import conversations" "$CURATE" import "$WORK/convs.jsonl"
check "label t-1" "$CURATE" label t-1 --set responsiveness_score=8.5 --set customer_negative_score=1 --set conversational_trend_score=7
check "label t-2" "$CURATE" label t-2 --set responsiveness_score=3 --set customer_negative_score=6.25 --set conversational_trend_score=4
check "skip t-3" "$CURATE" label t-3 --skip
check "edge t-2" "$CURATE" edge t-2 --note 'slow refund "loop"'
check "export pool" "$CURATE" export pool
has "default file and count" "^2 examples \(reviewed\) -> curate_examples.jsonl" "$WORK/out"
cat >"$WORK/pool_check.py" <<'EOF'
import json, sys
path, want_ids, numeric = sys.argv[1], sys.argv[2].split(","), sys.argv[3] == "1"
text = open(path, encoding="utf-8").read()
rows = json.loads(text) if path.endswith(".json") else [json.loads(l) for l in text.splitlines()]
assert [r["conversation_id"] for r in rows] == want_ids, [r["conversation_id"] for r in rows]
scores = ["responsiveness_score", "customer_negative_score", "conversational_trend_score",
          "overall_seller_score"]
for r in rows:
    keys = list(r)
    assert keys[:2] == ["conversation", "seller_id"], keys
    assert keys[2:6] == scores, keys
    assert keys[6:9] == ["conversation_id", "reviewer", "status"], keys
    assert keys[9:11] == ["prediction_id", "run_id"], keys
    assert keys[11:] == (["edge_note"] if r["conversation_id"] == "t-2" else []), keys
    assert r["reviewer"] == "tester" and r["status"] in ("accepted", "corrected")
    for k in scores:
        assert isinstance(r[k], (int, float) if numeric else str), (k, r[k])
    if r["conversation_id"] == "t-1":
        assert "S\u00e3o Paulo trip still on? \"asap\"" in r["conversation"]
        assert "https://ex.com/b" in r["conversation"] and r["seller_id"] == "ana/1"
        assert str(r["responsiveness_score"]) == "8.5"
        assert str(r["conversational_trend_score"]) in ("7", "7.0") and (numeric or r["conversational_trend_score"] == "7.0")
    if r["conversation_id"] == "t-2":
        assert r["edge_note"] == 'slow refund "loop"'
        assert str(r["customer_negative_score"]) == "6.25"
EOF
check "jsonl lines parse and hold the keys" $PY "$WORK/pool_check.py" curate_examples.jsonl t-1,t-2 0
check "export pool --edge --format json --numeric -o FILE" "$CURATE" export pool --edge --format json --numeric -o "$WORK/edge.json"
check "edge json array" $PY "$WORK/pool_check.py" "$WORK/edge.json" t-2 1
check "export pool -o - (stdout)" bash -c "'$CURATE' export pool -o - >'$WORK/stdout.jsonl' 2>/dev/null"
check "stdout jsonl" $PY "$WORK/pool_check.py" "$WORK/stdout.jsonl" t-1,t-2 0
check_rc "two selections is a usage error" 2 "$CURATE" export pool --edge --reviewed
check_rc "bad format" 2 "$CURATE" export pool --format csv
check_rc "--trainset of an imported program" 1 "$CURATE" export pool --trainset 1
has "says it has none" "has no recorded training set \(it was imported\)" "$WORK/out"
sql "UPDATE programs SET trainset = '[\"t-2\", \"t-3\", \"t-1\", \"t-4\"]' WHERE id = 1"
check "export pool --trainset 1" "$CURATE" export pool --trainset 1 -o "$WORK/ts.jsonl"
has "reports left-out ones" "2 listed conversations without a current label left out" "$WORK/out"
check "trainset order kept" $PY "$WORK/pool_check.py" "$WORK/ts.jsonl" t-2,t-1 0

# ---- the demo pool: every reviewed conversation is exported
check "demo pool" "$CURATE" --db "$WORK/demo.db" demo --reset
check "export the demo pool" "$CURATE" --db "$WORK/demo.db" export pool -o "$WORK/demo.jsonl"
eq "one line per reviewed conversation" "$(wc -l <"$WORK/demo.jsonl")" \
   "$(sqlite3 "$WORK/demo.db" "SELECT count(*) FROM conversations WHERE status = 2")"
check "every line parses" $PY -c "
import json
for l in open('$WORK/demo.jsonl'):
    d = json.loads(l)
    assert d['conversation'] and d['seller_id'] and d['conversation_id'] and d['reviewer']
"
check_rc "export from a missing pool" 1 "$CURATE" --db "$WORK/none.db" export json
has "says there is no pool" "no pool at" "$WORK/out"
[ ! -e "$WORK/none.db" ] && pass "a missing pool is not created" || fail "a missing pool is not created"

# ---- DSPy versions (--dspy, CURATE_DSPY): states DSPy itself wrote
# (tests/fixtures/dspy/, captured from the release trees) import and export
# again byte for byte; --dspy chooses the bytes; rollback to a lower id.
GOLD=$ROOT/tests/fixtures/dspy
check "import a DSPy 3.3.1 state" "$CURATE" import-program json "$GOLD/3.3.1/state.json"
id33=$(sql "SELECT max(id) FROM programs")
check "export it again" "$CURATE" export json --program "$id33" -o "$WORK/33.json"
check "3.3.1 state exported byte for byte" cmp "$WORK/33.json" "$GOLD/3.3.1/state.json"
check "--dspy 2.6 export" "$CURATE" --dspy 2.6 export json --program "$id33" -o "$WORK/33as26.json"
check "written as DSPy 2.6.27 saves it" cmp "$WORK/33as26.json" "$GOLD/2.6.27/state.json"
check "CURATE_DSPY=2.6 export" env CURATE_DSPY=2.6 "$CURATE" export json --program "$id33" -o "$WORK/33env.json"
check "env chooses the same bytes" cmp "$WORK/33env.json" "$GOLD/2.6.27/state.json"
check "import a DSPy 2.6.16 state (ensure_ascii)" "$CURATE" import-program json "$GOLD/2.6.16/state.json"
id16=$(sql "SELECT max(id) FROM programs")
check "export it as 2.6" "$CURATE" export json --program "$id16" -o "$WORK/16.json"
check "2.6.16 state comes back as 2.6.27 writes it" cmp "$WORK/16.json" "$GOLD/2.6.27/state.json"
check_rc "unknown --dspy" 2 "$CURATE" --dspy 2.5 programs
has "names what is accepted" "unknown DSPy version '2.5' \\(use 2.6 for 2.6.26-2.6.27, 3 for 3.3, or 3.2 for 3.2.0-3.2.1\\)" "$WORK/out"
check "import a DSPy 3.2.1 state" "$CURATE" import-program json "$GOLD/3.2.1/state.json"
id32=$(sql "SELECT max(id) FROM programs")
check "export it as stored" "$CURATE" export json --program "$id32" -o "$WORK/32.json"
check "3.2.1 state exported byte for byte" cmp "$WORK/32.json" "$GOLD/3.2.1/state.json"
check "--dspy 3.2 writes 3.2.1's bytes" "$CURATE" --dspy 3.2 export json --program "$id33" -o "$WORK/33as32.json"
check "a 3.3.1 state written as 3.2.1 saves it" cmp "$WORK/33as32.json" "$GOLD/3.2.1/state.json"
check_rc "unknown CURATE_DSPY" 2 env CURATE_DSPY=4 "$CURATE" programs
has "says where it came from" "from CURATE_DSPY" "$WORK/out"
check "programs use the newest" "$CURATE" programs use "$id16"
check "programs use a lower id (rollback)" "$CURATE" programs use 1
has "use says so" "program 1 is now the current best" "$WORK/out"
eq "program 1 is the only best" "$(sql "SELECT group_concat(id) FROM programs WHERE is_best")" "1"

# ---- issue 13: refused or warned precisely, nothing half-stored
n0=$(nprog)
sed 's/"responsiveness_score": "9"/"responsiveness_score": NaN/' "$GOLD/3.3.1/state.json" >"$WORK/nan.json"
check_rc "a NaN score is refused" 1 "$CURATE" import-program json "$WORK/nan.json"
has "names the demo and field" 'demo 3 "responsiveness_score": nan is not a score \(the field is 0-10\)' "$WORK/out"
sed "s/Analyze a travel seller/Rate a travel seller/" "$GOLD/3.3.1/state.json" >"$WORK/ins.json"
check "other instructions are imported" "$CURATE" import-program json "$WORK/ins.json"
has "with a warning" "warning: the state's instructions differ from the rubric's" "$WORK/out"
$PY -c "import sys; sys.stdout.write('{\"x\": \"' + 'a' * (17 << 20) + '\"}')" >"$WORK/huge.json"
check_rc "a 17 MiB state is refused up front" 1 "$CURATE" import-program json "$WORK/huge.json"
has "says the limit" "larger than 16 MiB, the most a program state may be" "$WORK/out"
eq "only the warned one was stored" "$(nprog)" "$((n0 + 1))"

finish
