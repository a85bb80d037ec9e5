#!/bin/bash
# Self-check for tests/peers/llm_server.py: starts it on a free loopback port,
# exercises every endpoint and mode with curl, validates the JSON shapes with
# /usr/bin/python3, prints "ok" and exits 0, or names the failing check and exits 1.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
KEY=sekrit
T=$(mktemp -d)
SRV=""
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$T/out" ] && head -c 600 "$T/out" >&2 && echo >&2; exit 1; }

start() {   # start [extra args...]: sets SRV and BASE
    rm -f "$T/port"
    "$PY" "$HERE/llm_server.py" --port 0 --portfile "$T/port" --log "$T/log" "$@" \
        2>"$T/stderr" &
    SRV=$!
    for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
    [ -s "$T/port" ] || fail "server did not write its port file"
    BASE="http://127.0.0.1:$(cat "$T/port")"
}

# Requests: a DSPy ChatAdapter prompt (system message listing the fields, optional
# demo pairs, the real input last). mkreq FILE CONVERSATION [NDEMOS]
mkreq() {
    "$PY" - "$1" "$2" "${3:-0}" <<'EOF'
import json, sys
path, conv, ndemos = sys.argv[1], sys.argv[2], int(sys.argv[3])
outs = ["reasoning", "responsiveness_score", "customer_negative_score",
        "conversational_trend_score", "overall_seller_score", "score_rationale"]
system = ("Your input fields are:\n1. `conversation` (str): The full WhatsApp conversation "
          "transcript\n2. `seller_id` (str): Seller identifier\nYour output fields are:\n"
          + "".join(f"{i}. `{n}` (str): Score 0-10: something\n" for i, n in enumerate(outs, 1))
          + "All interactions will be structured in the following way, with the appropriate "
            "values filled in.\n\n[[ ## conversation ## ]]\n{conversation}\n\n"
            "[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n"
            "        Analyze a travel seller's WhatsApp conversation and score their performance.")
def user(c):
    return {"role": "user", "content": f"[[ ## conversation ## ]]\n{c}\n\n[[ ## seller_id ## ]]\n"
            "s1\n\nRespond with the corresponding output fields, starting with the field "
            "`[[ ## reasoning ## ]]`, ..., and then ending with the marker for `[[ ## completed ## ]]`."}
msgs = [{"role": "system", "content": system}]
for i in range(ndemos):
    msgs += [user(f"demo {i}"), {"role": "assistant", "content": "[[ ## reasoning ## ]]\nx\n\n"
             "[[ ## completed ## ]]"}]
msgs.append(user(conv))
json.dump({"model": "my-model", "temperature": 0, "messages": msgs}, open(path, "w"))
EOF
}

# chat FILE [curl args...]: POST with the key; body -> $T/out, status -> $STATUS, rc -> $RC
chat() {
    local f=$1; shift
    STATUS=$(curl -s -o "$T/out" -D "$T/hdr" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
        -H 'Content-Type: application/json' --data-binary @"$f" "$@" "$BASE/v1/chat/completions")
    RC=$?
}
control() { curl -sf -H 'Content-Type: application/json' -d "$1" "$BASE/control" >/dev/null \
    || fail "control $1"; }
# check NAME PYTHON-EXPR: evaluate with d = JSON body of $T/out, c = message content
check() {
    "$PY" - "$T/out" "$2" <<'EOF' || fail "$1"
import json, re, sys
d = json.load(open(sys.argv[1]))
c = d["choices"][0]["message"]["content"] if isinstance(d, dict) and "choices" in d else None
def fields(c):   # ChatAdapter answer -> {name: value}; requires the completed marker
    parts = re.split(r"\[\[ ## (\w+) ## \]\]\n?", c)
    assert parts[-2] == "completed", "no completed marker"
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 2, 2)}
SCORES = ["responsiveness_score", "customer_negative_score", "conversational_trend_score",
          "overall_seller_score"]
assert eval(sys.argv[2]), sys.argv[2]
EOF
}
SHAPE='d["object"] == "chat.completion" and d["id"].startswith("chatcmpl-") and d["model"] == "my-model" and d["choices"][0]["finish_reason"] == "stop" and d["usage"]["total_tokens"] == d["usage"]["prompt_tokens"] + d["usage"]["completion_tokens"]'

start --require-key "$KEY"
mkreq "$T/a.json" "[10:00] customer: hello, is the hotel booked?"
mkreq "$T/b.json" "[11:00] customer: where is my refund"
mkreq "$T/o.json" $'[09:00] customer: hi\nORACLE: {"responsiveness_score": 7.25, "score_rationale": "scripted"}'
mkreq "$T/d1.json" $'[09:00] customer: hi\nORACLE: {"responsiveness_score": 2.5}' 2
mkreq "$T/d2.json" "[10:00] customer: hello, is the hotel booked?" 3
mkreq "$T/d0.json" $'[09:00] customer: hi\nORACLE: {"responsiveness_score": 2.5}' 0

# --- models, auth
curl -s -o "$T/out" -H "Authorization: Bearer $KEY" "$BASE/v1/models"
check models 'd["object"] == "list" and d["data"][0]["id"] == "test-model"'
STATUS=$(curl -s -o "$T/out" -w '%{http_code}' --data-binary @"$T/a.json" "$BASE/v1/chat/completions")
[ "$STATUS" = 401 ] || fail "no key -> $STATUS"
check 401-body 'd == {"object": "error", "message": "invalid api key", "type": "invalid_request_error", "code": 401}'

# --- content modes
chat "$T/a.json"; [ "$STATUS" = 200 ] || fail "good status $STATUS"
check good-shape "$SHAPE"
check good-fields 'list(fields(c)) == ["reasoning"] + SCORES + ["score_rationale"]'
check good-scores 'all(re.fullmatch(r"\d+\.\d", fields(c)[k]) and 0 <= float(fields(c)[k]) <= 10 for k in SCORES)'
check good-overall 'abs(float(fields(c)["overall_seller_score"]) - (0.4*float(fields(c)[SCORES[0]]) + 0.3*(10-float(fields(c)[SCORES[1]])) + 0.3*float(fields(c)[SCORES[2]]))) <= 0.051'
cp "$T/out" "$T/good_a"
chat "$T/a.json"; check good-deterministic 'c == json.load(open(sys.argv[1].replace("out", "good_a")))["choices"][0]["message"]["content"]'
chat "$T/b.json"; check good-varies 'c != json.load(open(sys.argv[1].replace("out", "good_a")))["choices"][0]["message"]["content"]'
control '{"mode": "json"}'; chat "$T/a.json"
check json 'isinstance(json.loads(c)["responsiveness_score"], float) and json.loads(c)["reasoning"]'
control '{"mode": "hedge"}'; chat "$T/a.json"
check hedge 'all(fields(c)[k] in ("7.5", "8.0") for k in SCORES)'
control '{"mode": "oracle"}'; chat "$T/o.json"
check oracle 'fields(c)["responsiveness_score"] == "7.25" and fields(c)["customer_negative_score"] == "5.0" and fields(c)["score_rationale"] == "scripted"'
control '{"mode": "demo-aware"}'; chat "$T/d0.json"
check demo-aware-0 'all(fields(c)[k] == "7.5" for k in SCORES)'
chat "$T/d1.json"; check demo-aware-oracle 'fields(c)["responsiveness_score"] == "2.5" and fields(c)["overall_seller_score"] == "5.0"'
chat "$T/d2.json"
check demo-aware-good 'fields(c)["responsiveness_score"] == fields(json.load(open(sys.argv[1].replace("out", "good_a")))["choices"][0]["message"]["content"])["responsiveness_score"]'
control '{"mode": "garbage"}'; chat "$T/a.json"; check garbage 'c == "I think it'"'"'s fine lol"'
control '{"mode": "truncated"}'; chat "$T/a.json"; check truncated '"[[ ## reasoning ## ]]" in c and "completed" not in c'
control '{"mode": "out-of-range"}'; chat "$T/a.json"; check out-of-range 'all(float(fields(c)[k]) > 10 or float(fields(c)[k]) < 0 for k in SCORES)'
control '{"mode": "non-numeric"}'; chat "$T/a.json"; check non-numeric 'all(fields(c)[k] in ("seven", "high") for k in SCORES)'
control '{"mode": "empty"}'; chat "$T/a.json"; check empty "$SHAPE"' and c == ""'

# --- faults
for s in 500 502 503; do
    control "{\"mode\": \"$s\"}"; chat "$T/a.json"; [ "$STATUS" = "$s" ] || fail "$s -> $STATUS"
    check "$s-body" 'd["object"] == "error" and d["message"] == "upstream failure" and d["type"] == "InternalServerError"'
done
control '{"mode": "429"}'; chat "$T/a.json"; [ "$STATUS" = 429 ] || fail "429 -> $STATUS"
grep -qi '^Retry-After: 1' "$T/hdr" || fail "429 without Retry-After"
check 429-body 'd == {"error": {"message": "rate limited", "type": "rate_limit", "code": 429}}'
control '{"mode": "400"}'; chat "$T/a.json"; [ "$STATUS" = 400 ] || fail "400 -> $STATUS"
check 400-body 'd["object"] == "error" and "maximum context length" in d["message"] and d["code"] == 400'
control '{"mode": "bad-json"}'; chat "$T/a.json"
[ "$STATUS" = 200 ] && [ "$(cat "$T/out")" = '{"choices": [' ] || fail "bad-json"
control '{"mode": "close"}'; chat "$T/a.json"; [ "$RC" = 52 ] || fail "close: curl rc $RC (want 52)"
control '{"mode": "hang"}'; chat "$T/a.json" --max-time 1; [ "$RC" = 28 ] || fail "hang: curl rc $RC"

# --- flaky-N: per-body attempt counting
curl -sf -X POST "$BASE/reset" >/dev/null || fail reset
control '{"mode": "flaky-2"}'
got=""; for _ in 1 2 3 4; do chat "$T/a.json"; got="$got $STATUS"; done
[ "$got" = " 503 503 200 200" ] || fail "flaky-2 a:$got"
chat "$T/b.json"; [ "$STATUS" = 503 ] || fail "flaky-2 b: $STATUS"

# --- mixed: all faults at rate 1, none at rate 0, deterministic per seed
control '{"mode": "mixed", "fault_rate": 1.0}'
for i in 1 2 3 4 5 6; do mkreq "$T/m$i.json" "conversation $i"; done
for i in 1 2 3 4 5 6; do
    chat "$T/m$i.json" --max-time 1.5
    if [ "$STATUS" = 200 ]; then check "mixed-fault $i" 'not re.search(r"\]\]\n\d+\.\d\n", c)'; fi
done
control '{"fault_rate": 0.0}'; chat "$T/m1.json"; check mixed-good 'len(fields(c)) == 6'
run_mixed() {
    curl -sf -X POST "$BASE/reset" >/dev/null
    control '{"mode": "mixed", "fault_rate": 0.5, "seed": 7}'
    for i in 1 2 3 4 5 6; do   # print status + digest of the content (ids are random)
        chat "$T/m$i.json" --max-time 1.5
        echo "$STATUS:$("$PY" -c 'import json,sys,hashlib
try: b = json.load(open(sys.argv[1]))["choices"][0]["message"]["content"]
except Exception: b = open(sys.argv[1], errors="replace").read()
print(hashlib.md5(b.encode()).hexdigest()[:8])' "$T/out")"
    done
}
r1=$(run_mixed | tr '\n' ' '); r2=$(run_mixed | tr '\n' ' ')
[ "$r1" = "$r2" ] || fail "mixed not deterministic: $r1 / $r2"
[ "$(echo "$r1" | tr ' ' '\n' | cut -d: -f1 | sort -u | wc -l)" -ge 2 ] || fail "mixed: no variety ($r1)"
k1=$(curl -s "$BASE/requests" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$k1" = 6 ] || fail "requests after reset: $k1"

# --- script
control '{"mode": "script", "script": [{"status": 200, "content": "hello"}, {"status": 503, "body": "oops", "headers": {"X-Test": "yes"}}, {"mode": "close"}, {"status": 502}]}'
chat "$T/a.json"; check script-1 'c == "hello"'
chat "$T/a.json"; [ "$STATUS" = 503 ] && [ "$(cat "$T/out")" = oops ] || fail "script-2"
grep -qi '^X-Test: yes' "$T/hdr" || fail "script header"
chat "$T/a.json"; [ "$RC" = 52 ] || fail "script close: curl rc $RC"
chat "$T/a.json"; [ "$STATUS" = 502 ] || fail "script-4 $STATUS"; check script-4-body 'd["object"] == "error"'
curl -s -o /dev/null -w '%{http_code}' -d '{"mode": "nonsense"}' "$BASE/control" | grep -q 400 || fail "bad mode accepted"
chat "$T/a.json"; check script-fallback 'len(fields(c)) == 6'

# --- keep-alive: two requests on one connection
control '{"mode": "good"}'
curl -sv -o /dev/null -o /dev/null -H "Authorization: Bearer $KEY" "$BASE/v1/models" "$BASE/v1/models" \
    2>"$T/verbose"
grep -q "Re-using existing connection" "$T/verbose" || fail "keep-alive"

# --- concurrency: 24 parallel requests with 400 ms latency overlap
curl -sf -X POST "$BASE/reset" >/dev/null
control '{"latency_ms": 400}'
for i in $(seq 24); do
    curl -s -o /dev/null -H "Authorization: Bearer $KEY" --data-binary @"$T/a.json" \
        "$BASE/v1/chat/completions" &
done
wait $(jobs -p | grep -v "^$SRV\$") 2>/dev/null
curl -s -o "$T/out" "$BASE/stats"
check stats 'd["requests"] == 24 and d["max_in_flight"] >= 12 and d["in_flight"] == 0'
control '{"latency_ms": 0}'

# --- request log: memory and file, authorization recorded verbatim
curl -s -o "$T/out" "$BASE/requests"
check requests 'len(d) == 24 and d[-1]["authorization"] == "Bearer sekrit" and d[-1]["body"]["model"] == "my-model" and "Authorization" not in d[-1]["headers"]'
cp "$T/log" "$T/out"
"$PY" -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert any(r["authorization"] is None for r in recs)          # the unauthenticated one
assert all("messages" in r["body"] for r in recs)
' "$T/log" || fail "log file"

# --- binds loopback only
"$PY" -c '
import sys
port = int(open(sys.argv[1]).read())
rows = [l.split() for l in open("/proc/net/tcp").readlines()[1:] if l.split()[3] == "0A"]
mine = [r[1] for r in rows if int(r[1].split(":")[1], 16) == port]
assert mine == ["0100007F:%04X" % port], mine
' "$T/port" || fail "not bound to 127.0.0.1 only"

# --- SIGTERM while a request hangs: exits promptly with status 0
control '{"mode": "hang"}'
chat "$T/a.json" --max-time 10 & CURL=$!
sleep 0.5
kill -TERM "$SRV"
t0=$(date +%s.%N)
wait "$SRV"; rc=$?; SRV=""
wait "$CURL" 2>/dev/null
[ "$rc" = 0 ] || fail "exit status after SIGTERM: $rc"
"$PY" -c "import sys; sys.exit(0 if $(date +%s.%N) - $t0 < 3 else 1)" || fail "slow shutdown"
[ -s "$T/stderr" ] && { cat "$T/stderr" >&2; fail "server wrote to stderr"; }

# --- command-line mode and options
start --mode flaky-1 --latency-ms 50
KEY=none
chat "$T/a.json"; [ "$STATUS" = 503 ] || fail "--mode flaky-1 first: $STATUS"
chat "$T/a.json"; check cli-flaky "$SHAPE"
kill -TERM "$SRV"; wait "$SRV" || fail "second server exit"; SRV=""
echo ok
