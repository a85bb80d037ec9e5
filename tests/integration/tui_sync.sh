#!/bin/bash
# tui_sync.sh: the workbench syncs with the team store from the actions
# menu (x y) through the CongoDB peer: a background job with progress, the
# pool then holds what another pool pushed, and the title bar says when
# the pool last synced. Without CURATE_MONGO_URI the action says what to
# set. A reviewer with assignments (curate assign) starts on them in the
# To review tab; a toggles everything.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"
start_congo || { fail "congo peer starts"; finish; exit 1; }
DB=tuisync$$
OTHER=$WORK/other.db
check "another pool" "$CURATE" --db "$OTHER" demo --count 30 --seed 4
check "it labels one" "$CURATE" --db "$OTHER" --reviewer ann label demo-0002 --set responsiveness_score=3 \
  --set customer_negative_score=3 --set conversational_trend_score=3
check "it pushes" "$CURATE" --db "$OTHER" sync --uri "$CONGO_URI" --database "$DB"
check "this pool: init" "$CURATE" init
URI="$CONGO_URI"
case "$URI" in *\?*) URI="$URI&x=1" ;; esac
SURI="mongodb://127.0.0.1:$CONGO_PORT/$DB"
[ -n "${MONGODB_URI:-}" ] && SURI=$MONGODB_URI

tui_start
tui_keys x
tui_check "sync in the menu" "y  Sync with the team store in MongoDB \\(CURATE_MONGO_URI\\)"
tui_keys y
tui_check "without a URI it says what to set" "Sync with the team store.*: set CURATE_MONGO_URI first"
tui_quit "no-URI session"

tui_start "CURATE_MONGO_URI=$SURI"
tui_keys x
tui_check "sync offered" "y  Sync with the team store in MongoDB \\(CURATE_MONGO_URI\\) +│"
tui_keys y
tui_check "sync job finishes" "Sync done" 60
tui_check "title bar says when it synced" "synced [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}" 10
eq "pulled the conversations" "$(sql "SELECT count(*) FROM conversations")" "30"
eq "pulled ann's label" "$(sql "SELECT count(*) FROM labels WHERE reviewer = 'ann'")" "1"
tui_quit "sync session"

# ---- assignments: the To review tab shows the reviewer's own first
check "score the pulled conversations" "$CURATE" score --all
NTR=$(sql "SELECT count(*) FROM conversations WHERE status = 1")
check "assign 3 to the tester, 2 to ann" "$CURATE" assign --to tester,ann --count 5
MINE=$(sql "SELECT count(*) FROM assignments a JOIN conversations c ON c.cid = a.cid WHERE a.reviewer = 'tester' AND c.status = 1")
tui_start
tui_check "starts on the tester's assignments" "assigned to you \\(a: all\\)"
tui_check "the To review tab counts them" "1 To review \\($MINE\\)"
tui_keys a
tui_check "a shows everything" "1 To review \\($NTR\\)"
tui_wait_gone "assigned to you" 5 && pass "the mark is gone" || fail "the mark is gone"
tui_keys a
tui_check "a again: the tester's only" "1 To review \\($MINE\\)"
tui_quit "assignments session"
hasnt "no password or URI options on the screen log" "x=1" "$WORK/screen"
finish
