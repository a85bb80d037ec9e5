#!/bin/bash
# The JSON fallback: when ChatAdapter's answer lacks a field, DSPy asks
# again through JSONAdapter. Against the loopback server in json-fallback
# mode (ChatAdapter requests get text with no fields, JSONAdapter requests
# get JSON), per --dspy version: the second request is exactly
# JSONAdapter.format (golden files captured from DSPy 2.6.27 / 3.2.1 / 3.3.1, with
# this conversation as the input) with response_format json_object; the
# fallback's values are stored and counted; --no-json-fallback (and
# CURATE_NO_JSON_FALLBACK) send one request and record the parse failure;
# a bootstrap attempt that succeeds through the fallback becomes a demo,
# at two requests.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
FIX=$ROOT/tests/fixtures/dspy
$PY - "$WORK/pool.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as out:
    for i in range(1, 7):
        msgs = [{"ts": "2024-03-01T10:00:00Z", "from": "Eva", "role": "customer",
                 "text": "Olá, preço do quarto %d?" % i},
                {"ts": "2024-03-01T10:%02d:00Z" % (5 * i), "from": "Rui", "role": "seller",
                 "text": "120€/noite"}]
        out.write(json.dumps({"id": "c%d" % i, "seller_id": "seller-%d" % i,
                              "messages": msgs}, ensure_ascii=False) + "\n")
PY
"$CURATE" import "$WORK/pool.jsonl" >/dev/null || { fail "import"; finish; exit 1; }
start_llm --mode json-fallback || { fail "llm server"; finish; exit 1; }
export CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=test-model

requests() { curl -s "http://127.0.0.1:$LLM_PORT/stats" | $PY -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }

for v in 3:3.3.1 3.2:3.2.1 2.6:2.6.27; do
  ver=${v%%:*} rel=${v#*:}
  # the four demos of the golden prompts, as the current best
  check_rc "$ver: import the golden state" 0 "$CURATE" --dspy "$ver" import-program json "$FIX/$rel/state.json" --use
  curl -s -X POST "http://127.0.0.1:$LLM_PORT/reset" >/dev/null
  check_rc "$ver: score through the fallback" 0 "$CURATE" --dspy "$ver" score --ids c1 --no-cache
  has "$ver: summary counts the fallback" 'ok 1, partial 0, failed 0, .*JSON fallback 1' "$WORK/out"
  eq "$ver: two requests" "$(requests)" "2"
  curl -s "http://127.0.0.1:$LLM_PORT/requests" >"$WORK/reqs.json"
  $PY - "$WORK/reqs.json" "$FIX/$rel/json_prompt_demos.json" "$FIX/$rel/prompt_demos.json" <<'PY' >"$WORK/second.txt" 2>&1
import json, sys
reqs = json.load(open(sys.argv[1]))
gold = json.load(open(sys.argv[2]))          # JSONAdapter.format, DSPy's own
gold_chat = json.load(open(sys.argv[3]))     # ChatAdapter.format, DSPy's own
assert len(reqs) == 2, len(reqs)
chat, js = reqs[0]["body"], reqs[1]["body"]
assert "response_format" not in chat, chat.get("response_format")
assert js["response_format"] == {"type": "json_object"}, js.get("response_format")
for k in ("model", "temperature", "max_tokens"):
    assert js.get(k) == chat.get(k), (k, js.get(k), chat.get(k))
m, g = js["messages"], gold
assert [x["role"] for x in m] == [x["role"] for x in g], ([x["role"] for x in m], [x["role"] for x in g])
# system message and the demo turns: byte for byte DSPy's
for i in range(len(g) - 1):
    assert m[i]["content"] == g[i]["content"], (i, m[i]["content"][:300], g[i]["content"][:300])
# the last user turn: this conversation's inputs (as the ChatAdapter request
# carried them) and JSONAdapter's closing instructions
def split(s, marker):
    i = s.index(marker)
    return s[:i], s[i:]
inputs, _ = split(chat["messages"][-1]["content"], "\n\nRespond with the corresponding output fields")
g_inputs, g_close = split(g[-1]["content"], "\n\nRespond with a JSON object")
gc_inputs, _ = split(gold_chat[-1]["content"], "\n\nRespond with the corresponding output fields")
assert g_inputs == gc_inputs        # both adapters write inputs alike
assert m[-1]["content"] == inputs + g_close, (m[-1]["content"][-300:], g_close)
print("second request ok")
PY
  has "$ver: the second request is JSONAdapter.format" '^second request ok$' "$WORK/second.txt"
  eq "$ver: the fallback's values stored" \
    "$(sql "SELECT status, substr(raw, 1, 1), reasoning IS NOT NULL, rationale IS NOT NULL FROM predictions WHERE cid=(SELECT cid FROM conversations WHERE id='c1') ORDER BY id DESC LIMIT 1")" \
    "ok|{|1|1"
  eq "$ver: the prediction says it came through the fallback" \
    "$(sql "SELECT json_fallback FROM predictions WHERE cid=(SELECT cid FROM conversations WHERE id='c1') ORDER BY id DESC LIMIT 1")" "1"
  check_rc "$ver: show" 0 "$CURATE" show c1
  has "$ver: show says so" "^model \(prediction #[0-9]+, .*, run [0-9]+, ok, via the JSON fallback\):" "$WORK/out"
  eq "$ver: run records the fallback" \
    "$(sql "SELECT json_extract(params, '$.json_fallback'), json_extract(summary, '$.json_fallbacks') FROM runs WHERE kind='score' ORDER BY id DESC LIMIT 1")" \
    "1|1"
done

# --no-json-fallback: one request, ChatAdapter's verdict recorded
curl -s -X POST "http://127.0.0.1:$LLM_PORT/reset" >/dev/null
check_rc "--no-json-fallback: the answer fails" 1 "$CURATE" --no-json-fallback score --ids c2 --no-cache
has "--no-json-fallback: the reason" 'no \[\[ ## \]\] markers' "$WORK/out"
eq "--no-json-fallback: one request" "$(requests)" "1"
eq "--no-json-fallback: failure stored" \
  "$(sql "SELECT status, error FROM predictions WHERE cid=(SELECT cid FROM conversations WHERE id='c2') ORDER BY id DESC LIMIT 1")" \
  "failed|no [[ ## ]] markers"
eq "--no-json-fallback: not marked as the fallback's" \
  "$(sql "SELECT json_fallback FROM predictions WHERE cid=(SELECT cid FROM conversations WHERE id='c2') ORDER BY id DESC LIMIT 1")" "0"
check_rc "--no-json-fallback: show" 0 "$CURATE" show c2
hasnt "--no-json-fallback: show does not say fallback" "via the JSON fallback" "$WORK/out"
eq "--no-json-fallback: recorded with the run" \
  "$(sql "SELECT json_extract(params, '$.json_fallback') FROM runs WHERE kind='score' ORDER BY id DESC LIMIT 1")" "0"
check_rc "CURATE_NO_JSON_FALLBACK=1 does the same" 1 env CURATE_NO_JSON_FALLBACK=1 "$CURATE" score --ids c3 --no-cache
eq "env: one request more" "$(requests)" "2"

# The bootstrap: every attempt's ChatAdapter answer fails and its JSON
# answer succeeds, as a DSPy bootstrap would take it: two requests each.
for id in c1 c2 c3 c4 c5 c6; do
  "$CURATE" label "$id" --set responsiveness_score=7 --set customer_negative_score=2 \
    --set conversational_trend_score=6 >/dev/null || fail "label $id"
done
for id in c1 c2 c3; do "$CURATE" edge "$id" >/dev/null || fail "edge $id"; done
curl -s -X POST "http://127.0.0.1:$LLM_PORT/reset" >/dev/null
"$CURATE" optimize --edge 3 --sample 0 --val 3 --max-bootstrapped 2 --max-labeled 0 --no-cache >"$WORK/opt.out" 2>&1
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 3 ] && pass "optimize ran" || fail "optimize ran" "exit $rc: $(tail -5 "$WORK/opt.out")"
eq "both attempts accepted through the fallback" "$(grep -cE '^  attempt .* accepted' "$WORK/opt.out")" "2"
has "demos bootstrapped" 'demos: 2 bootstrapped \+ 0 labeled' "$WORK/opt.out"
# 2 attempts + 3 validations of the candidate + 3 of the baseline, each
# ChatAdapter's request and JSONAdapter's
has "requests counted with the fallback" '^requests: 16 sent, 0 answered from the cache; 8 answers through the JSON fallback' "$WORK/opt.out"
eq "the server saw as many" "$(requests)" "16"
eq "run summary" "$(sql "SELECT json_extract(summary, '$.requests'), json_extract(summary, '$.json_fallbacks') FROM runs WHERE kind='optimize' ORDER BY id DESC LIMIT 1")" "16|8"
sql "SELECT state FROM programs ORDER BY id DESC LIMIT 1" >"$WORK/state.json"
$PY - "$WORK/state.json" <<'PY' >"$WORK/demos.txt" 2>&1
import json, sys
d = json.load(open(sys.argv[1]))["analyze.predict"]["demos"]
assert len(d) == 2 and all(x.get("augmented") is True for x in d), d
for x in d:   # the demo is the JSON answer's values, as the model wrote them
    assert x["reasoning"] and x["score_rationale"], x
    float(x["responsiveness_score"])
print("demos ok")
PY
has "the demos are the JSON answers" '^demos ok$' "$WORK/demos.txt"
finish
