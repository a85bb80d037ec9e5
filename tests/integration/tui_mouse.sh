#!/bin/bash
# tui_mouse.sh: mouse and function keys in the workbench (tmux passes X10
# mouse reports to the pane): click selects a row, a second click opens
# it, the wheel scrolls, a click on a column title sorts by it; F1-F8 sort
# by a column, again reverses.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

# mouse BUTTON X Y: one X10 report (button 0 left, 3 release, 64/65 wheel
# up/down; X and Y 0-based), sent as literal bytes to the pane.
mouse() {
  local b x y
  b=$(printf "\\$(printf '%03o' $((32 + $1)))")
  x=$(printf "\\$(printf '%03o' $((33 + $2)))")
  y=$(printf "\\$(printf '%03o' $((33 + $3)))")
  TM send-keys -l "$(printf '\033[M')$b$x$y"
}
click() { mouse 0 "$1" "$2"; mouse 3 "$1" "$2"; }

tui_demo_pool || { fail "demo pool"; finish; exit 1; }
third=$(sql "SELECT id FROM conversations WHERE status = 1 ORDER BY id LIMIT 1 OFFSET 2")
tui_start
tui_check "queue" "id▲ +seller"
click 10 6
tui_check "click selects the third row" "^▸ $third "
click 10 6
tui_check "second click opens it" "^$third +seller"
tui_keys q
tui_check "back in the queue" "id▲ +seller"
for i in 1 2 3 4 5 6 7 8 9 10; do mouse 65 10 10; done
tui_wait_gone "^▸ $third " 5 && pass "wheel moves the selection" || fail "wheel moves the selection" "$(tui_screen | head -12)"
click 40 3
tui_check "click on a title sorts by it" "seller▲"
tui_keys F3
tui_check "F3 sorts by messages" "msgs▲"
tui_keys F3
tui_check "F3 again reverses" "msgs▼"
eq "F3 again: the longest conversation first" "$(tui_screen | grep '^▸' | awk '{print $4}')" \
  "$(sql "SELECT max(n_messages) FROM conversations WHERE status = 1")"
tui_quit
finish
