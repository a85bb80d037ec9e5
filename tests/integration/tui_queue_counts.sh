#!/bin/bash
# tui_queue_counts.sh: the queue's tab counts, "pool: N today" and the
# reviewer's progress line are read again only when the pool changed (its
# stamp: this connection's writes, another process's commits) or the day
# did (screen_queue.c tab_counts, ui_session.c progress_read). Each figure
# on screen is checked against a direct COUNT(*) of the pool after writes
# by another process (accept, skip, edge, undo, bulk accept), seen on a
# plain tab switch, and after the workbench's own label.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

tui_demo_pool || { fail "demo pool"; finish; exit 1; }
C() { "$CURATE" --db "$CURATE_DB" "$@"; }
midnight=$(TZ=UTC date -d 'today 00:00' +%s)
n() { sql "SELECT count(*) FROM conversations WHERE $1"; }
today() { sql "SELECT count(DISTINCT l.cid) FROM labels l JOIN conversations c ON c.cid = l.cid
  WHERE l.created_at >= $midnight AND l.undone_at IS NULL AND l.status <> 'skipped' AND c.status = 2"; }
mine() { sql "SELECT count(DISTINCT cid) FROM actions WHERE reviewer = 'tester' AND kind = 'label'
  AND undone_at IS NULL AND created_at >= $midnight"; }
skips() { sql "SELECT count(*) FROM conversations c WHERE (SELECT l.status FROM labels l WHERE
  l.cid = c.cid AND l.reviewer = 'tester' AND l.undone_at IS NULL ORDER BY l.id DESC LIMIT 1) = 'skipped'"; }
# counts NAME: every figure on screen against the pool.
counts() {
  local tr rv ed al sk td
  tr=$(n "status = 1"); rv=$(n "status = 2"); ed=$(n "edge = 1"); al=$(n 1); sk=$(skips); td=$(today)
  tui_check "$1: To review ($tr)" "1 To review \\($tr\\)"
  has "$1: Reviewed ($rv)" "2 (Reviewed|Done) ?\\($rv\\)" "$WORK/screen"
  has "$1: Edge ($ed)" "3 Edge( cases)? ?\\($ed\\)" "$WORK/screen"
  has "$1: All ($al)" "5 All ?\\($al\\)" "$WORK/screen"
  has "$1: Skipped ($sk)" "6 Skip(ped)? ?\\($sk\\)" "$WORK/screen"
  has "$1: pool line" "pool: $td today \\| $rv reviewed \\| $tr to review \\| $al conversations" "$WORK/screen"
  has "$1: progress" "tester: $(mine) today · [-0-9]+/h · $tr left" "$WORK/screen"
}

TUI_W=170 tui_start -- tui
counts "start"
ids=($(sql "SELECT id FROM conversations WHERE status = 1 ORDER BY id LIMIT 6"))
# Another process writes; the workbench is told nothing: a tab switch (not
# R) shows the new figures.
C label "${ids[0]}" --accept >/dev/null && C label "${ids[1]}" --skip >/dev/null &&
  C edge "${ids[2]}" --note "odd" >/dev/null || fail "CLI writes"
tui_keys 2
counts "after another process's accept, skip, edge"
tui_keys 1 5 1
counts "tab switches, nothing changed"
C undo >/dev/null || fail "undo"     # the edge mark
C undo >/dev/null || fail "undo"     # the skip
tui_keys 5
counts "after another process's undos"
# A bulk accept (one batch) of what the pool's to-review holds for one seller.
seller=$(sql "SELECT seller_id FROM conversations WHERE status = 1 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
C label --accept --filter to-review --filter "seller=$seller" --yes >"$WORK/bulk.out" 2>&1 || fail "bulk accept" "$(cat "$WORK/bulk.out")"
has "bulk accept: one batch" "accepted [1-9][0-9]* conversations? as batch" "$WORK/bulk.out"
tui_keys 1
counts "after a bulk accept"
C undo >/dev/null || fail "undo bulk"
tui_keys 2
counts "after its undo"
# The workbench's own label (this connection's write).
tui_keys 1 g Enter
tui_check "review opens" "^${ids[3]} +seller|^[a-z0-9-]+ +seller"
tui_keys a
tui_check "accepted" "saved [^ ]+ as accepted"
tui_keys q
counts "after the workbench's own accept"
tui_quit
finish
