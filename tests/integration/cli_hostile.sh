#!/bin/bash
# Terminal injection through the headless commands (issue 13): hostile ids,
# seller ids, reviewers, model ids, server error messages, file names and
# option names (OSC 52 clipboard writes, OSC 0 titles, ESC[2J, U+009B,
# U+202E, raw 0x9B, invalid UTF-8) printed by list, list --filter seller=,
# label / edge / undo, show's history, models, score's last failure, the
# import summary and getopt's messages. On a terminal (a pty, through
# script(1)) every unsafe byte is a visible placeholder; to a pipe the
# bytes are kept but no C0/C1 control is ever written raw.
source "$(dirname "$0")/lib.bash"
cd "$WORK" || exit 1
command -v script >/dev/null || { echo "script(1) missing (bsdutils)"; fail "script(1)"; finish; exit 1; }

H=$'\e]52;c;ZXZpbA==\a\e]0;PWNED\a\e[2J\u009b31m\u202eend'
ID="h1$H" SELLER="s$H"
HFILE="in$H.jsonl"
$PY - "$HFILE" <<'EOF'
import json, sys
H = "\x1b]52;c;ZXZpbA==\x07\x1b]0;PWNED\x07\x1b[2J\u009b31m\u202eend"
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"id": "h1" + H, "seller_id": "s" + H, "messages": [
        {"ts": 1714558020, "from": "A", "role": "customer", "text": "hi, my refund?"},
        {"ts": 1714558080, "from": "B", "role": "seller", "text": "on its way"}]}) + "\n")
EOF
"$CURATE" init >/dev/null
start_llm --mode good || { fail "llm"; finish; exit 1; }
llm_control "$($PY -c '
import json
print(json.dumps({"models": ["m-\x1b]0;PWNED\x07", "m-\u009b31m", "m-\u202eend", "plain-model"]}))')"
export CURATE_LLM_URL=$LLM_URL CURATE_LLM_MODEL=plain-model

# score's last failure: an error body with raw 0x9B, U+009B, U+202E, 0xFF
# and an ESC sequence (sent as raw bytes, not JSON escapes)
ERRHEX=$(printf '{"object":"error","message":"bad \x9b31m \xc2\x9b31m \xe2\x80\xae \xff \x1b]0;PWNED\x07 end","code":400}' | od -An -tx1 | tr -d ' \n')

# Every command of the issue, each run once into a pipe and once on a pty.
cmds=(
  "import $(printf %q "$HFILE")"
  "list"
  "list --filter $(printf %q "seller=$SELLER")"
  "label --filter $(printf %q "seller=$SELLER") --dry-run"
  "export pool --filter $(printf %q "seller=$SELLER") -o -"
  "score --backend heuristic --ids $(printf %q "$ID")"
  "label $(printf %q "$ID") --set responsiveness_score=6"
  "--reviewer $(printf %q $'rev\u009b31m\u202e') label $(printf %q "$ID") --set responsiveness_score=7"
  "label $(printf %q "$ID") --undo"
  "edge $(printf %q "$ID") --note n"
  "edge $(printf %q "$ID") --off"
  "show $(printf %q "$ID")"
  "models"
  "list $(printf %q $'--\e]0;PWNED\a')"
  "score --backend llm --no-cache --retries 0 --ids $(printf %q "$ID")"
)
: >pipe.out; : >tty.out
for c in "${cmds[@]}"; do
  case "$c" in "score --backend llm"*)
    llm_control "{\"mode\": \"script\", \"script\": [{\"status\": 400, \"body_hex\": \"$ERRHEX\"}, {\"status\": 400, \"body_hex\": \"$ERRHEX\"}]}" ;;
  esac
  eval "\"\$CURATE\" $c" >>pipe.out 2>&1
  # a hostile reviewer's label in the history (as the team store could bring)
  SHELL=/bin/bash script -q -e -c "$CURATE $c" /dev/null </dev/null >>tty.out 2>&1
done
# A reviewer with an ESC, as another tool or a synced pool could store it.
sql "UPDATE labels SET reviewer = 'evil' || char(27) || ']0;PWNED' || char(7) WHERE id = (SELECT max(id) FROM labels)"
"$CURATE" show "$ID" >>pipe.out 2>&1
SHELL=/bin/bash script -q -e -c "$CURATE show $(printf %q "$ID")" /dev/null </dev/null >>tty.out 2>&1

# The commands really printed the hostile text (so the checks mean something).
has "list printed the id (pipe)" 'h1.*52;c;ZXZpbA==' pipe.out
has "the import summary names the file" 'in.*\.jsonl: 1 conversation' pipe.out
has "label's success line" 'label #[0-9]+ corrected by' pipe.out
has "undo's success line" 'undone: [a-z]+ label #[0-9]+ of' pipe.out
has "edge's success line" 'marked as edge case' pipe.out
has "show's history" 'label history' pipe.out
has "models listed" 'plain-model' pipe.out
has "score's last failure" 'last failure: .*HTTP 400: bad' pipe.out
has "getopt's message, ours" "list: unknown option '--" pipe.out

check_bytes() { # FILE MODE(tty|pipe): exits 0 when clean, prints what is not
  $PY - "$1" "$2" <<'EOF'
import sys
data, mode = open(sys.argv[1], "rb").read(), sys.argv[2]
bad = []
if b"\x1b" in data: bad.append("raw ESC")
for c in set(data):
    if c < 0x20 and c not in (0x0a, 0x0d, 0x09): bad.append("C0 byte %#x" % c)
text = data.decode("utf-8", "surrogateescape")
for ch in set(text):
    o = ord(ch)
    if 0x80 <= o <= 0x9f: bad.append("C1 U+%04X" % o)
    if 0xdc80 <= o <= 0xdc9f: bad.append("raw C1 byte %#x" % (o - 0xdc00))
    if mode == "tty":
        if 0xdc80 <= o <= 0xdcff: bad.append("invalid UTF-8 byte %#x" % (o - 0xdc00))
        if 0x202a <= o <= 0x202e or 0x2066 <= o <= 0x2069: bad.append("bidi U+%04X" % o)
if mode == "pipe" and "\u202e" not in text:
    bad.append("U+202E should be kept in a pipe (bytes kept)")
print("; ".join(sorted(set(bad))))
sys.exit(1 if bad else 0)
EOF
}
check "pty: no escape, C1, bidi or invalid byte reaches the terminal" check_bytes tty.out tty
check "pipe: bytes kept, but no C0/C1 control raw" check_bytes pipe.out pipe
has "pty: ESC shown as a visible placeholder" '␛\]52;c;ZXZpbA==' tty.out
has "pty: the reviewer's ESC shown as a placeholder" 'evil␛\]0;PWNED' tty.out
has "pty: the raw 0x9B shown as \\x9b" 'bad \\x9b31m' tty.out
# JSON output escapes ids (machine-readable)
check "export pool --format json to a pipe" bash -c "'$CURATE' export pool --format json -o - >pool.json 2>/dev/null"
hasnt "JSON output has no raw ESC" $'\e' pool.json
finish
