#!/bin/bash
# cli_bulk.sh: bulk accept from the CLI (curate label --accept --filter F
# [--search T] [--dry-run | --yes]): the preview, dry run, the question on
# a terminal, refusal without one, one batch undone whole, all or nothing
# when killed; the filter language shared by list, label and export pool
# (terms combine, reviewer=, since=, until=), export pool of a view equal
# to list's rows, bad filters named with nothing written.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
command -v script >/dev/null || { echo "script(1) missing (bsdutils)"; fail "script(1)"; finish; exit 1; }
"$CURATE" demo --reset --count 80 >/dev/null || { fail "demo"; finish; exit 1; }
export CURATE_REVIEWER=ann
labels() { sql "SELECT count(*) FROM labels WHERE undone_at IS NULL"; }
ids_of_list() { "$CURATE" list --limit 100000 "$@" 2>/dev/null | awk 'NR > 1 {print $1}' | sort; }
L0=$(labels)
SELLER=$(sql "SELECT seller_id FROM conversations WHERE status = 1 GROUP BY seller_id ORDER BY count(*) DESC, seller_id LIMIT 1")
# What a bulk accept of "to review" + the seller is to take: ok predictions,
# none of ann's (the demo's reviewer is someone else), no conflicts.
WANT=$(sql "SELECT count(*) FROM conversations c JOIN predictions p ON p.id = c.pred_id
            WHERE c.status = 1 AND c.seller_id = '$SELLER' AND p.status = 'ok'")
MATCHED=$(ids_of_list --filter to-review --filter "seller=$SELLER" | wc -l)
[ "$WANT" -gt 1 ] && pass "the seller has conversations to accept ($WANT)" || fail "setup" "$WANT"

# ---- preview and dry run ----
check_rc "dry run" 0 "$CURATE" label --accept --filter to-review --filter "seller=$SELLER" --dry-run
cp out dry.out
has "preview: the view in words and its size" "^view: to review, seller $SELLER \\($MATCHED conversations\\)" dry.out
has "preview: how many are accepted" "^to accept: $WANT " dry.out
has "preview: a sample with the model's overall" "^  [^ ]+  model overall [0-9]+\\.[0-9]{2}$" dry.out
has "dry run says so" "dry run: nothing was accepted" dry.out
eq "dry run wrote nothing" "$(labels)" "$L0"

# ---- no terminal, no --yes: refused ----
check_rc "headless without --yes: exit 2" 2 "$CURATE" label --filter to-review --filter "seller=$SELLER" </dev/null
has "headless: says to give --yes" "not a terminal: give --yes to accept these $WANT \\(nothing was accepted\\)" out
eq "headless: nothing written" "$(labels)" "$L0"

# ---- on a terminal: asked; n keeps everything as it was, y accepts ----
echo n | SHELL=/bin/bash script -q -e -c "$CURATE label --filter to-review --filter seller=$SELLER" /dev/null >tty_n.out 2>&1
has "terminal: asked" "Accept these $WANT as yours\\? \\[y/N\\]" tty_n.out
has "terminal: n accepts nothing" "nothing was accepted" tty_n.out
eq "terminal n: nothing written" "$(labels)" "$L0"
BEFORE=$(sql "SELECT id, status, human_overall FROM conversations ORDER BY id")
echo y | SHELL=/bin/bash script -q -e -c "$CURATE label --filter to-review --filter seller=$SELLER" /dev/null >tty_y.out 2>&1
has "terminal: y accepts them as one batch" "accepted $WANT conversations as batch #1 by ann" tty_y.out
eq "labels stored" "$(labels)" "$((L0 + WANT))"
eq "one batch holding them" "$(sql "SELECT n || ' ' || reviewer || ' ' || kind FROM batches")" "$WANT ann bulk accept"
eq "each accepted verbatim (its prediction's scores and overall)" \
  "$(sql "SELECT count(*) FROM labels l JOIN predictions p ON p.id = l.pred_id
          WHERE l.reviewer = 'ann' AND l.status = 'accepted' AND l.scores = p.scores
          AND l.overall IS p.overall")" "$WANT"
eq "the seller's to-review tab is empty now" "$(ids_of_list --filter to-review --filter "seller=$SELLER" | wc -l)" "$((MATCHED - WANT))"
# the same filter language in list: reviewer= and dates
eq "list --filter reviewer=ann lists them" "$(ids_of_list --filter reviewer=ann | wc -l)" "$WANT"
TODAY=$(date -u +%Y-%m-%d)
eq "reviewer + since today" "$(ids_of_list --filter reviewer=ann --filter "since=$TODAY" | wc -l)" "$WANT"
eq "reviewer + until 2001" "$(ids_of_list --filter reviewer=ann --filter until=2001-01-01 | wc -l)" "0"

# ---- export pool of a view = list's rows ----
check_rc "export pool --filter reviewed --filter reviewer=ann" 0 "$CURATE" export pool --filter reviewed --filter reviewer=ann -o view.jsonl
has "export says what it exported" "^$WANT examples \\(view: reviewed, labeled by ann\\) -> view.jsonl" out
$PY -c 'import json,sys; [print(json.loads(l)["conversation_id"]) for l in open(sys.argv[1])]' view.jsonl | sort >exp.ids
ids_of_list --filter reviewed --filter reviewer=ann >list.ids
check "export view ids = list's rows" cmp exp.ids list.ids
TERM1=$(sql "SELECT lower(substr(text, 1, 4)) FROM messages m JOIN conversations c USING(cid) WHERE c.status = 2 AND length(text) > 8 AND text GLOB '[A-Za-z][a-z][a-z][a-z]*' ORDER BY c.id LIMIT 1")
check_rc "export pool --filter reviewed --search T" 0 "$CURATE" export pool --filter reviewed --search "$TERM1" -o search.jsonl
$PY -c 'import json,sys; [print(json.loads(l)["conversation_id"]) for l in open(sys.argv[1])]' search.jsonl | sort >exp2.ids
ids_of_list --filter reviewed --search "$TERM1" >list2.ids
[ -s list2.ids ] && pass "the search term '$TERM1' matches reviewed ones" || fail "search term" "$TERM1"
check "export view with a search = list's rows" cmp exp2.ids list2.ids

# ---- one undo reverts the whole batch ----
check_rc "curate undo" 0 "$CURATE" undo
has "undo says it reverted the whole batch" "^undone: the whole batch #1, $WANT actions \\(to review, seller $SELLER\\)" out
eq "undo: no label of ann in force" "$(sql "SELECT count(*) FROM labels WHERE reviewer = 'ann' AND undone_at IS NULL")" "0"
eq "undo: the conversations are as before" "$(sql "SELECT id, status, human_overall FROM conversations ORDER BY id")" "$BEFORE"
check_rc "nothing more of ann's to undo" 1 "$CURATE" undo
has "says so" "nothing of ann's to undo" out

# ---- bad input: named, exit 2, nothing written ----
check_rc "label: bad filter" 2 "$CURATE" label --accept --filter nonsense --yes
has "label: names the filter" "label: --filter nonsense: expected one of to-review, reviewed" out
check_rc "label: a bad date" 2 "$CURATE" label --filter reviewed --filter since=2026-13-01 --yes
has "label: names the date" "--filter since=2026-13-01: '2026-13-01' is not a date" out
check_rc "label: two tabs" 2 "$CURATE" label --filter reviewed --filter edge --dry-run
has "label: one tab at a time" "--filter edge: only one of the tabs" out
check_rc "label: a filter and an ID" 2 "$CURATE" label demo-0001 --filter reviewed
check_rc "label: --yes alone" 2 "$CURATE" label demo-0001 --yes
check_rc "label: bulk with --set" 2 "$CURATE" label --filter to-review --set responsiveness_score=3 --yes
check_rc "label: an unknown disagree field" 2 "$CURATE" label --filter disagree:1:nope --yes
has "label: names the field" "'nope' is not a score field" out
eq "bad label filters wrote nothing" "$(sql "SELECT count(*) FROM labels WHERE reviewer = 'ann'")" "$WANT"
check_rc "export: empty reviewer" 2 "$CURATE" export pool --filter reviewer= -o bad.jsonl
has "export: names it" "pool: --filter reviewer=: a value is missing after '=' \\(nothing was written\\)" out
check_rc "export: a view and --edge" 2 "$CURATE" export pool --edge --filter seller=x -o bad.jsonl
[ -e bad.jsonl ] && fail "export: no file written" || pass "export: no file written"
check_rc "list: bad filter names the option" 2 "$CURATE" list --filter until=yesterday
has "list: the message" "list: --filter until=yesterday: 'yesterday' is not a date" out

# ---- --help from the one table ----
for c in list label; do
  "$CURATE" $c --help >help.out 2>&1
  has "$c --help: the filter language" "^  reviewer=NAME +those NAME labeled" help.out
  has "$c --help: dates" "^  since=DATE +labeled on or after DATE" help.out
done
"$CURATE" export --help >help.out 2>&1
has "export --help: the filter language" "^  until=DATE +labeled on or before DATE" help.out
"$CURATE" --help >/dev/null 2>&1 && "$CURATE" label --help | grep -q -- "--dry-run" && pass "label --help: --dry-run" || fail "label --help: --dry-run"

# ---- a killed bulk accept leaves all or nothing ----
"$CURATE" --db big.db demo --reset --count 1200 >/dev/null
ALL=$(sqlite3 big.db "SELECT count(*) FROM labels")
"$CURATE" --db big.db label --filter to-review --yes >kill.out 2>&1 &
kp=$!
# Killed inside its write transaction: once it holds the write lock (the
# preview before it only reads), a moment later.
locked=0
for i in $(seq 1 200); do
  if ! sqlite3 -cmd ".timeout 0" big.db "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1; then locked=1; break; fi
  sleep 0.05
done
sleep 0.3
kill -9 $kp 2>/dev/null
wait $kp 2>/dev/null
krc=$?
eq "killed while it held the write lock" "$locked $krc" "1 137"
got=$(sqlite3 big.db "SELECT count(*) FROM labels WHERE reviewer = 'ann'")
batches=$(sqlite3 big.db "SELECT count(*) FROM batches")
n=$(sqlite3 big.db "SELECT coalesce(max(n), 0) FROM batches")
if { [ "$got" = 0 ] && [ "$batches" = 0 ]; } || { [ "$batches" = 1 ] && [ "$got" = "$n" ]; }; then
  pass "killed bulk accept: all or nothing ($got labels, $batches batch)"
else
  fail "killed bulk accept: all or nothing" "$got labels, $batches batches of $n"
fi
eq "killed: other labels intact" "$(sqlite3 big.db "SELECT count(*) FROM labels WHERE reviewer <> 'ann'")" "$ALL"
eq "killed: integrity" "$(sqlite3 big.db 'PRAGMA integrity_check')" "ok"
check "killed: the pool opens and lists" "$CURATE" --db big.db list --limit 1
finish
