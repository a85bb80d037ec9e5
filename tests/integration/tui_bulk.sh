#!/bin/bash
# tui_bulk.sh: the queue's bulk accept (A, and b in the actions menu) on
# the current tab + search: the preview (the view in words, the count, a
# sample with model scores), n cancels, y accepts in the background as one
# batch, u undoes the whole batch and says so; and the export of the
# queue's view (x v) equal to `curate list`'s rows. Driven in tmux.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

tui_demo_pool || { fail "demo pool"; finish; exit 1; }
labels() { sql "SELECT count(*) FROM labels WHERE undone_at IS NULL"; }
L0=$(labels)
# A search term that matches some conversations to review.
TERM1=$(sql "SELECT seller_id FROM conversations WHERE status = 1 GROUP BY seller_id ORDER BY count(*) DESC, seller_id LIMIT 1")
WANT=$(sql "SELECT count(*) FROM conversations c JOIN predictions p ON p.id = c.pred_id
            WHERE c.status = 1 AND c.seller_id = '$TERM1' AND p.status = 'ok'")
MATCHED=$("$CURATE" list --filter to-review --search "$TERM1" --limit 10000 2>/dev/null | tail -n +2 | wc -l)
ALL_TR=$(sql "SELECT count(*) FROM conversations WHERE status = 1")

tui_start
tui_check "queue" "1 To review \\($ALL_TR\\)"
tui_keys /
tui_keys "$TERM1" Enter
tui_check "search applied" "search \"$TERM1\": $MATCHED in To review"

# ---- A: the preview; n cancels ----
tui_keys A
tui_check "preview: the view in words and its size" "view: to review, search \"$TERM1\" \\($MATCHED conversations\\)"
tui_check "preview: how many" "to accept: $WANT "
tui_check "preview: a sample with the model's overall" "  [^ ]+  model overall [0-9]+\\.[0-9]{2}"
tui_check "preview: y / n" "y accepts these $WANT as yours \\(one batch: u undoes it all\\)"
tui_keys n
tui_check "n cancels" "bulk accept cancelled: nothing was accepted"
eq "n: nothing written" "$(labels)" "$L0"

# ---- y then X at once: cancelled, nothing kept ----
tui_keys A
tui_check "preview again" "to accept: $WANT "
tui_keys y X
tui_check "X cancels the batch" "Bulk accept cancelled after [0-9]+ of $MATCHED" 30
eq "cancelled: nothing written" "$(labels)" "$L0"
eq "cancelled: no batch" "$(sql "SELECT count(*) FROM batches")" "0"

# ---- b in the actions menu, then y ----
tui_keys x
tui_check "menu lists bulk accept" "b +Bulk accept the queue's view"
tui_keys b
tui_check "menu: the same preview" "to accept: $WANT "
tui_keys y
tui_check "accepted in the background" "Bulk accept done" 30
eq "labels stored" "$(labels)" "$((L0 + WANT))"
eq "one batch of tester's" "$(sql "SELECT n || ' ' || reviewer FROM batches")" "$WANT tester"
eq "each accepted verbatim" "$(sql "SELECT count(*) FROM labels l JOIN predictions p ON p.id = l.pred_id
     WHERE l.reviewer = 'tester' AND l.status = 'accepted' AND l.scores = p.scores AND l.overall IS p.overall")" "$WANT"
tui_check "the tab count follows" "1 To review \\($((ALL_TR - WANT))\\)"
tui_keys L
tui_check "the log says how to undo" "bulk accept: $WANT conversations accepted as batch #1; u undoes the whole batch"
tui_keys q

# ---- u: the whole batch ----
tui_keys u
tui_check "u undoes the whole batch and says so" "undone: the whole batch #1, $WANT actions \\(to review, search \"$TERM1\"\\)"
eq "undo: none of tester's in force" "$(sql "SELECT count(*) FROM labels WHERE reviewer = 'tester' AND undone_at IS NULL")" "0"
tui_check "the tab count is back" "1 To review \\($ALL_TR\\)"

# ---- export the view: tab 2 + the search ----
tui_keys 2
tui_keys x
tui_check "menu lists the view export" "v +Export the queue's view \\(tab, filter, search\\) as JSONL"
tui_keys v
tui_check "export prompt" "Export the queue's view to: curate_examples.jsonl"
tui_keys C-u "$WORK/view.jsonl" Enter
tui_check "view export done" "Export view done: 1 of 1"
$PY -c 'import json,sys; [print(json.loads(l)["conversation_id"]) for l in open(sys.argv[1])]' "$WORK/view.jsonl" | sort >"$WORK/exp.ids"
"$CURATE" list --filter reviewed --search "$TERM1" --limit 10000 2>/dev/null | awk 'NR > 1 {print $1}' | sort >"$WORK/list.ids"
[ -s "$WORK/list.ids" ] && pass "the view has reviewed rows" || fail "the view has reviewed rows"
check "exported ids = list's rows of the same view" cmp "$WORK/exp.ids" "$WORK/list.ids"

# ---- help lists A ----
tui_keys '?'
tui_check "help lists A" "bulk accept: every conversation of this view"
tui_keys Escape
tui_quit
finish
