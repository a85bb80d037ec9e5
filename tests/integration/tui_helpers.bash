# tui_helpers.bash: tmux helpers for the tui_*.sh scripts (sourced after
# lib.bash; not a test itself: tests/run only runs *.sh).
#
#   tui_start [ENV=VAL ...] [-- ARGS...]  start curate in a detached tmux pane
#   tui_keys KEYS...                      tmux send-keys
#   tui_screen                            the pane as text
#   tui_wait PATTERN [SECONDS]            poll the pane until grep -E matches
#   tui_wait_gone PATTERN [SECONDS]       poll until it no longer matches
#   tui_quit                              q until curate exits; checks stderr
#   tui_check NAME PATTERN                pass when the pane shows PATTERN

TUI_SOCK="curate-test-$$"
TM() { tmux -L "$TUI_SOCK" "$@"; }
trap 'tmux -L "$TUI_SOCK" kill-server 2>/dev/null; cleanup' EXIT

tui_start() {
  local envs=() args=()
  while [ $# -gt 0 ]; do
    if [ "$1" = "--" ]; then shift; args=("$@"); break; fi
    envs+=("$1"); shift
  done
  rm -f "$WORK/tui.exit" "$WORK/tui.err"
  local i
  TM kill-server 2>/dev/null
  for i in $(seq 1 50); do TM list-sessions >/dev/null 2>&1 || break; sleep 0.1; done
  # The pane stays after curate exits (sleep) so its last screen can be read.
  for i in 1 2 3 4 5; do
    TM new-session -d -x "${TUI_W:-120}" -y "${TUI_H:-40}" \
      "env LC_ALL=C.UTF-8 TZ=UTC ${envs[*]} $CURATE --db $CURATE_DB ${args[*]} 2>$WORK/tui.err; echo \$? >$WORK/tui.exit; sleep 600" \
      2>/dev/null && break
    sleep 0.3
  done
  tui_wait ' curate \| ' 15
}

tui_keys() { TM send-keys "$@"; }
tui_screen() { TM capture-pane -p; }

tui_wait() {
  local pat=$1 secs=${2:-10} i
  for i in $(seq 1 $((secs * 20))); do
    tui_screen >"$WORK/screen" 2>/dev/null
    grep -qE -- "$pat" "$WORK/screen" && return 0
    sleep 0.05
  done
  echo "--- timeout waiting for /$pat/; screen:" >&2
  cat "$WORK/screen" >&2
  return 1
}

tui_wait_gone() {
  local pat=$1 secs=${2:-10} i
  for i in $(seq 1 $((secs * 20))); do
    tui_screen >"$WORK/screen" 2>/dev/null
    grep -qE -- "$pat" "$WORK/screen" || return 0
    sleep 0.05
  done
  return 1
}

tui_check() {
  if tui_wait "$2" "${3:-10}" 2>/dev/null; then pass "$1"; else fail "$1" "no /$2/ on screen: $(head -c 1500 "$WORK/screen")"; fi
}

# tui_quit: q back to the queue and out; passes when curate exits 0 with
# nothing on stderr (ASan/UBSan reports, leaks).
tui_quit() {
  local i
  for i in $(seq 1 100); do
    [ -s "$WORK/tui.exit" ] && break
    tui_keys q
    sleep 0.1
  done
  eq "${1:-exit} status" "$(cat "$WORK/tui.exit" 2>/dev/null)" "0"
  if [ -s "$WORK/tui.err" ]; then
    fail "${1:-exit} stderr clean" "$(head -c 2000 "$WORK/tui.err")"
  else
    pass "${1:-exit} stderr clean"
  fi
}

# Seeds the test pool with the demo data (240 conversations).
tui_demo_pool() {
  rm -f "$CURATE_DB" "$CURATE_DB-wal" "$CURATE_DB-shm"
  "$CURATE" --db "$CURATE_DB" demo --reset >/dev/null 2>"$WORK/demo.err" ||
    { echo "curate demo failed: $(cat "$WORK/demo.err")"; return 1; }
}

# Current label status of a conversation ('' when none).
tui_label_status() {
  sql "SELECT l.status FROM labels l JOIN conversations c USING(cid)
       WHERE c.id = '$1' AND l.undone_at IS NULL ORDER BY l.id DESC LIMIT 1"
}
