#!/bin/bash
# tui_screens.sh: the screens' key tables and small drawing fixes of issue
# 12, in tmux: help shows whole key names, the actions menu's keys and ?,
# the LLM URL inside the menu box, sort arrows on every column and kept
# across tabs, the threshold label and keys.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/tui_helpers.bash"

tui_demo_pool || { fail "demo pool"; finish; exit 1; }

tui_start
tui_check "queue up" "1 To review"
# ---- help: whole key names, from the key table ----
tui_keys '?'
tui_check "help open" "Help - every key"
tui_check "help: page down keys whole" "PgDn  Ctrl-F  Space +page down"
tui_check "help: page up keys whole" "PgUp  Ctrl-B +page up"
hasnt "help: no key cut at 16 cells" "Ctrl- " "$WORK/screen"
tui_keys q
tui_wait_gone "Help - every key" 5
# ---- threshold: = is not a threshold key; 1.25 shows as 1.25 ----
tui_keys '='
tui_check "= is not used in the queue" "key not used here"
tui_check "= left the threshold alone" "4 Disagree >=2\\.0 "
tui_keys t
tui_wait "Disagreement threshold: " 5
tui_keys C-u 1.25 Enter
tui_check "threshold label shows 1.25" "4 Disagree >=1\\.25 "
tui_keys t
tui_check "threshold prompt starts from 1.25" "Disagreement threshold: 1\\.25"
tui_keys Escape
# ---- sort arrows on |diff| and edge, kept across tabs ----
tui_keys F6
tui_check "arrow on |diff|" "\\|diff\\|▲"
tui_keys F6
tui_check "|diff| descending" "\\|diff\\|▼"
tui_keys 5
tui_check "All tab" "sorted|5 All"
tui_check "descending kept on another tab" "\\|diff\\|▼"
tui_keys 1
tui_check "descending kept back on the first tab" "\\|diff\\|▼"
tui_keys F8
tui_check "arrow on edge" "edge[▲▼]"
# ---- actions menu: keys as shown, ? opens its help ----
tui_keys x
tui_check "menu open" "Actions \\(Enter runs"
tui_check "Export JSON is on e" "e  Export the best program as DSPy JSON"
tui_keys j
tui_check "j moves the highlight (menu stays)" "Actions \\(Enter runs"
tui_keys '?'
tui_check "? in the menu opens the menu's help" "Actions menu \\(x\\)"
tui_check "menu help lists its actions" "e +Export the best program as DSPy JSON"
tui_keys q
tui_wait_gone "Help - every key" 5
tui_check "menu still open after its help" "Actions \\(Enter runs"
tui_keys q
tui_quit "queue and menu"

# ---- the LLM URL stays inside the menu box ----
tui_start CURATE_LLM_URL=http://127.0.0.1:9/v1 CURATE_LLM_MODEL=m1
tui_keys x
tui_check "menu names the LLM" "scorer: LLM m1"
url_line=$(grep -n "http://127.0.0.1:9/v1" "$WORK/screen" | head -1 | cut -d: -f1)
next=$(sed -n "$((url_line + 1))p" "$WORK/screen")
case "$next" in *└*┘*) pass "border below the URL";; *) fail "border below the URL" "line after the URL: '$next'";; esac
case "$(sed -n "${url_line}p" "$WORK/screen")" in *│*http*│*) pass "URL between the box sides";; *) fail "URL between the box sides" "$(sed -n "${url_line}p" "$WORK/screen")";; esac
tui_keys q
tui_quit "llm menu"

# ---- 80x24: long ids and sellers cut with an ellipsis; prompts ----
long_id="conversation-with-a-very-long-identifier-0123456789-abcdefghij"
long_seller="Seller-With-A-Rather-Long-Name-And-Branch"
printf '{"id": "%s", "seller_id": "%s", "messages": [{"ts": "2024-05-01T10:00:00Z", "from": "Ana", "role": "customer", "text": "Is the tour on?"}, {"ts": "2024-05-01T10:05:00Z", "from": "Rui", "role": "seller", "text": "Yes"}]}\n' "$long_id" "$long_seller" >"$WORK/long.jsonl"
check "import a long id" "$CURATE" import "$WORK/long.jsonl"
check "score it" "$CURATE" score --backend heuristic --ids "$long_id"
# 150,000 messages: the 5-column count showed a cut number (1,000,000 as
# "10000").
$PY -c "
import json
m = [{'ts': 1714557600 + i, 'from': 'Ana' if i % 2 else 'Rui', 'role': 'customer' if i % 2 else 'seller', 'text': 'm%d' % i} for i in range(150000)]
print(json.dumps({'id': 'huge-chat', 'seller_id': 'S-1', 'messages': m}))" >"$WORK/huge.jsonl"
check "import 150,000 messages" "$CURATE" import "$WORK/huge.jsonl"
TUI_W=80 TUI_H=24 tui_start
tui_keys /
tui_keys "huge-chat" Enter 5
tui_check "queue: 150,000 messages show as 150k" "huge-chat +S-1 +150k "
tui_keys c
tui_keys /
tui_keys "very-long" Enter
tui_check "queue: long id cut with an ellipsis" "▸ conversation-wi[^ ]*… +Seller"
tui_check "queue: long seller cut with an ellipsis" "Seller-With-A[^ ]*… +2 "
tui_keys e
tui_wait "Edge case note" 5
tui_keys abc
tui_check "edge-note prompt keeps its label apart from the input" "cancels\): abc"
tui_keys Escape
tui_keys Enter
tui_check "review header: id cut with an ellipsis" "^conversation-wi[^ ]*…  seller"
tui_check "review header: seller cut with an ellipsis" "seller Seller-Wi[^ ]*…"
tui_keys q
tui_quit "80x24"

# ---- 150,000 messages: the review screen says how many and reaches them
# all, holding a window of them ----
tui_start
tui_keys / "huge-chat" Enter 5
tui_check "huge chat listed" "huge-chat +S-1 +150k "
tui_keys Enter
tui_check "review says how many messages" "150,000 msgs"
tui_check "starts at the first message" "^ +m0 *│"
tui_keys End
tui_check "End reaches the last message" "^ +m149999 *│"
tui_check "at 100%" " 100%"
tui_keys PPage
tui_check "PgUp from the end" "^ +m1499[0-8][0-9] *│"
tui_keys Home
tui_check "Home is the first message again" "^ +m0 *│"
tui_keys $(printf 'NPage %.0s' $(seq 1 130))
tui_check "paging down crosses the first window (2,000 messages)" "^ +m2[0-9]{3} *│" 20
tui_keys $(printf 'PPage %.0s' $(seq 1 130))
tui_check "and back up across it" "^ +m[0-9]{1,3} *│" 20
tui_keys q
tui_quit "huge chat"

# ---- 200 columns: field names whole ----
TUI_W=200 TUI_H=50 tui_start
tui_keys Enter
tui_check "review open" "Scores +model +yours"
tui_check "field name whole at 200 columns" "Customer Negative ↓ "
tui_check "another field name whole" "Conversational Trend "
hasnt "no cut field name" "Scor…|Customer Negative Scor " "$WORK/screen"
tui_keys q
tui_quit "200 columns"
finish
