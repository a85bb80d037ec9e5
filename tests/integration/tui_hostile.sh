#!/bin/bash
# tui_hostile.sh: a conversation whose text, sender, seller and model
# rationale carry terminal escape sequences (OSC 52 clipboard, OSC 0 title,
# CSI cursor moves and clears, SGR, C1 controls, bidi overrides, invalid
# UTF-8) is shown with visible placeholders; nothing reaches the terminal.
# Also: a model overall that disagrees with its parts is highlighted.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

"$CURATE" --db "$CURATE_DB" init >/dev/null 2>&1
# An empty pool: every screen copes.
tui_start
tui_check "empty pool explained" "The pool is empty"
tui_keys Enter j k G g / x Enter c 2 3 4 5 o O
tui_keys d; tui_check "empty distribution" "Run: latest predictions"; tui_keys q
tui_keys P; tui_check "no programs" "No optimised programs yet"; tui_keys Enter q
tui_keys L; tui_check "log view" " curate \\| Log"; tui_keys q
tui_keys x; tui_check "actions menu" "Actions"; tui_keys s
tui_check "nothing selected" "select a conversation first"
tui_keys Escape
tui_quit "empty pool"
# One conversation per line (JSONL); the JSON escapes become raw control
# characters in the pool.
$PY - "$WORK/hostile.jsonl" <<'PYEOF'
import json, sys
msgs = [
    ("2024-05-01T10:00:00Z", "Eve\u001b]0;pwned\u0007", "customer", "copy this\u001b]52;c;SGVsbG8=\u0007 please"),
    ("2024-05-01T10:05:00Z", "Seller", "seller", "move\u001b[10;5Hcursor and \u001b[31mred\u001b[0m and \u009b2J c1 csi"),
    ("2024-05-01T13:17:00Z", "Seller", "seller", "bidi \u202eevil.exe\u202c and isolate \u2066x\u2069 BIDI-END"),
    ("2024-05-01T13:18:00Z", "Eve", "customer", "INVALID-UTF8-HERE"),
    ("2024-05-01T13:19:00Z", "Eve", "customer", "wide \u65e5\u672c\u8a9e and emoji \U0001F600\U0001F44D ok"),
]
conv = {"id": "evil-1", "seller_id": "S-\u001b[2JEVIL",
        "messages": [{"ts": t, "from": f, "role": r, "text": x} for t, f, r, x in msgs]}
open(sys.argv[1], "w").write(json.dumps(conv) + "\n")
PYEOF
check "import hostile conversation" "$CURATE" --db "$CURATE_DB" import "$WORK/hostile.jsonl"
# Invalid UTF-8 cannot travel in JSON: put raw bytes in with SQL.
sql "UPDATE messages SET text = CAST(X'696E76616C6964FF20C0AF20E282' AS TEXT) || ' UTF8-END' WHERE text = 'INVALID-UTF8-HERE'"
# A model prediction with a hostile rationale and an overall (9.0) that
# disagrees with its parts (formula: 0.4*5 + 0.3*(10-5) + 0.3*5 = 5.0).
sql "INSERT INTO predictions(cid, scores, overall, rationale, reasoning, status, model, created_at)
     SELECT cid, '{\"responsiveness_score\":5,\"customer_negative_score\":5,\"conversational_trend_score\":5,\"overall_seller_score\":9}',
            9.0, 'rationale ' || char(27) || ']52;c;cHduZWQ=' || char(7) || ' RATIONALE-END', 'thinking ' || char(27) || '[1A up', 'ok', 'evil-model', 1
     FROM conversations WHERE id = 'evil-1';
     UPDATE conversations SET pred_id = (SELECT max(id) FROM predictions), model_overall = 9.0, status = 1 WHERE id = 'evil-1';"

TM start-server 2>/dev/null
tui_start NO_COLOR=1
TM set-option -g set-clipboard on 2>/dev/null
title0=$(TM display -p '#{pane_title}')
tui_check "queue shows the conversation" "evil-1"
tui_check "seller id sanitised in the queue" "S-␛\\[2JEVIL"
tui_keys Enter
tui_check "review opens" "^evil-1 +seller"
tui_check "OSC 52 shown as text" "copy this␛\\]52;c;SGVsbG8=␇ please"
tui_check "title OSC in sender shown" "Eve␛\\]0;pwned␇"
tui_check "CSI cursor move shown" "move␛\\[10;5Hcursor"
tui_check "SGR shown" "␛\\[31mred␛\\[0m"
tui_check "C1 CSI shown" "\\\\u009b2J c1 csi"
tui_check "bidi override shown" "bidi \\\\u202eevil\\.exe\\\\u202c and isolate \\\\u2066x\\\\u2069 BIDI-END"
tui_check "invalid UTF-8 shown as bytes" "invalid\\\\xff \\\\xc0\\\\xaf \\\\xe2\\\\x82 UTF8-END"
tui_check "wide characters and emoji" "wide 日本語 and emoji 😀👍 ok"
tui_check "long gap marked" "3h12m later"
tui_check "rationale sanitised" "rationale ␛\\]52;c;cHduZWQ=␇ RATIONALE-END"
tui_check "reasoning sanitised" "thinking ␛\\[1A up"
tui_check "model overall that disagrees is flagged" "9\\.0!"
tui_check "disagreement explained" "disagrees with its parts"
tui_screen >"$WORK/review"
first=$(head -1 "$WORK/review")
case "$first" in " curate | Review"*) pass "title bar intact (no clear/cursor move got through)";; *) fail "title bar intact" "$first";; esac
TM capture-pane -p -e >"$WORK/esc"
hasnt "no colour from the data reaches the screen" $'\e\\[[0-9;]*3[0-7][0-9;]*m' "$WORK/esc"
eq "window title unchanged" "$(TM display -p '#{pane_title}')" "$title0"
eq "no clipboard write (OSC 52)" "$(TM list-buffers 2>/dev/null | wc -l)" "0"
# The sanitised screen survives scrolling and a resize.
tui_keys End Home
TM resize-window -x 80 -y 24
tui_check "80x24 still sanitised" "copy this␛\\]52"
TM resize-window -x 120 -y 40
tui_check "120x40 again" "BIDI-END"
tui_quit
finish
