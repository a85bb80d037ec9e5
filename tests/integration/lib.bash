# lib.bash: shared helpers for integration scripts (sourced, not run).
# Each script calls `check NAME CMD...` / `expect_fail` ... and ends with
# `finish`, which prints "NAME: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CURATE=${CURATE_BIN:-$ROOT/build/san/curate}
PY=/usr/bin/python3
T_PASS=0 T_FAIL=0
T_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d /tmp/curate-it-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
export CURATE_DB=$WORK/pool.db CURATE_REVIEWER=tester

pass() { T_PASS=$((T_PASS + 1)); echo "ok $1"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL $1${2:+: $2}"; }

# check NAME CMD... : passes when CMD exits 0.
check() { local n=$1; shift; if "$@" >"$WORK/out" 2>&1; then pass "$n"; else fail "$n" "$(tail -5 "$WORK/out")"; fi; }
# check_rc NAME RC CMD... : passes when CMD exits with RC.
check_rc() { local n=$1 want=$2; shift 2; "$@" >"$WORK/out" 2>&1; local rc=$?; if [ $rc -eq "$want" ]; then pass "$n"; else fail "$n" "exit $rc, wanted $want: $(tail -5 "$WORK/out")"; fi; }
# has NAME PATTERN FILE : grep -E.
has() { if grep -qE -- "$2" "$3"; then pass "$1"; else fail "$1" "no /$2/ in $(head -c 600 "$3")"; fi; }
hasnt() { if grep -qE -- "$2" "$3"; then fail "$1" "unexpected /$2/: $(grep -E -- "$2" "$3" | head -3)"; else pass "$1"; fi; }
# eq NAME GOT WANT
eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', wanted '$3'"; fi; }
sql() { sqlite3 -batch "$CURATE_DB" "$@"; }

# wait_file FILE [SECONDS]
wait_file() { local i; for i in $(seq 1 $(( ${2:-10} * 10 ))); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }

# start_llm [ARGS...]: starts the loopback OpenAI-compatible server; sets LLM_PORT, LLM_URL.
start_llm() {
  rm -f "$WORK/llm.port"
  $PY "$ROOT/tests/peers/llm_server.py" --port 0 --portfile "$WORK/llm.port" "$@" >"$WORK/llm.log" 2>&1 &
  PIDS+=($!)
  wait_file "$WORK/llm.port" 10 || { echo "llm server did not start"; cat "$WORK/llm.log"; return 1; }
  LLM_PORT=$(cat "$WORK/llm.port"); LLM_URL="http://127.0.0.1:$LLM_PORT/v1"
}
# start_congo: installs (once, tests/peers/congo_install.sh) and starts the
# CongoDB peer (tests/peers/congo_peer.mjs, a real query engine); sets
# CONGO_PORT, CONGO_PID and CONGO_URI. With MONGODB_URI set, CONGO_URI is
# that real server instead and nothing is started.
start_congo() {
  if [ -n "${MONGODB_URI:-}" ]; then CONGO_URI=$MONGODB_URI CONGO_PID=""; return 0; fi
  sh "$ROOT/tests/peers/congo_install.sh" || return 1
  rm -f "$WORK/congo.port"
  node "$ROOT/tests/peers/congo_peer.mjs" --portfile "$WORK/congo.port" >"$WORK/congo.log" 2>&1 &
  CONGO_PID=$!
  PIDS+=("$CONGO_PID")
  wait_file "$WORK/congo.port" 20 || { echo "congo peer did not start"; cat "$WORK/congo.log"; return 1; }
  CONGO_PORT=$(cat "$WORK/congo.port")
  CONGO_URI="mongodb://127.0.0.1:$CONGO_PORT/?serverSelectionTimeoutMS=5000"
}
llm_control() { curl -s -X POST -d "$1" "http://127.0.0.1:$LLM_PORT/control" >/dev/null; }

finish() { echo "$T_NAME: $T_PASS passed, $T_FAIL failed"; [ $T_FAIL -eq 0 ]; }
