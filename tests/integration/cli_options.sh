#!/bin/bash
# Option parsing (issue 13): every number option goes through one strict
# parser (exit 2, the option, the value and the allowed range named; what
# is accepted is what is sent); stored text options must be valid UTF-8;
# decimal commas are read as decimals where unambiguous and never cut;
# --db '' and a pool path that is not a regular file are refused.
source "$(dirname "$0")/lib.bash"
cd "$WORK" || exit 1
"$CURATE" demo --reset --count 20 >/dev/null
ID=$(sql "SELECT c.id FROM conversations c JOIN predictions p ON p.cid = c.cid LIMIT 1")
labels() { sql "SELECT count(*) FROM labels"; }

# ---- numbers: refused with option, value and range, exit 2
bad_number() { # NAME EXPECTED-MESSAGE ARGS...
  local n=$1 want=$2; shift 2
  "$CURATE" "$@" >"$WORK/out" 2>&1; local rc=$?
  if [ $rc -eq 2 ] && grep -qF -- "$want" "$WORK/out"; then pass "$n"
  else fail "$n" "exit $rc: $(head -3 "$WORK/out")"; fi
}
bad_number "--max-tokens 1e3 (atoi: 1)" "score: --max-tokens: '1e3' is not a whole number; allowed 1..1000000" score --max-tokens 1e3
bad_number "--max-tokens 99999999999 (atoi: 1215752191)" "--max-tokens: '99999999999' is not within range; allowed 1..1000000" score --max-tokens 99999999999
bad_number "--temperature 1e309 (atof: inf)" "--temperature: '1e309' is not a finite decimal number; allowed 0..2" score --temperature 1e309
bad_number "--temperature nan" "--temperature: 'nan' is not a finite decimal number" score --temperature nan
bad_number "--timeout 2m (atof: 2)" "--timeout: '2m' is not a finite decimal number; allowed 0.001..86400" score --timeout 2m
bad_number "--concurrency 0" "--concurrency: '0' is not within range; allowed 1..1024" score --concurrency 0
bad_number "--retries -1" "--retries: '-1' is not within range; allowed 0..100" score --retries -1
bad_number "list --offset abc" "list: --offset: 'abc' is not a whole number" list --offset abc
bad_number "list --limit 10x" "list: --limit: '10x' is not a whole number; allowed 1..100000" list --limit 10x
bad_number "stats --run abc" "stats: --run: 'abc' is not a whole number" stats --run abc
bad_number "demo --count 5k" "demo: --count: '5k' is not a whole number; allowed 1..1000000" demo --count 5k
bad_number "optimize --val 1e2" "optimize: --val: '1e2' is not a whole number; allowed 1..100000" optimize --val 1e2
bad_number "optimize --threshold inf" "optimize: --threshold: 'inf' is not a finite decimal number; allowed 0..1" optimize --threshold inf
bad_number "import --tz-offset 25:00" "import: --tz-offset: '25:00' is not a UTC offset" import --tz-offset 25:00 x.txt
bad_number "import --tz-offset +1:5" "import: --tz-offset: '+1:5' is not a UTC offset" import --tz-offset +1:5 x.txt
bad_number "report --run 1e3" "report: --run: '1e3' is not a whole number" report --run 1e3 -o r.html
bad_number "list --filter disagree:1e999" "'1e999' is not a finite decimal number" list --filter disagree:1e999
bad_number "a hostile value is quoted safely" "'\\x1b]0;x\\x07'" list --offset $'\e]0;x\a'
hasnt "no raw ESC in that message" $'\e' "$WORK/out"

# ---- what is accepted is what is sent
start_llm --mode good --log "$WORK/req.log" || { fail "llm"; finish; exit 1; }
check "score with --max-tokens 1000 --temperature 0.25 --timeout 30" \
  "$CURATE" score --backend llm --url "$LLM_URL" --model m --ids "$ID" --no-cache \
  --max-tokens 1000 --temperature 0.25 --timeout 30 --retries 0 --concurrency 2
has "max_tokens 1000 sent" '"max_tokens": ?1000[,}]' req.log
has "temperature 0.25 sent" '"temperature": ?0.25[,}]' req.log

# ---- decimal commas: 7,5 is 7.5 (human and model); ambiguous is refused
check "label --set responsiveness_score=7,5" "$CURATE" label "$ID" --set responsiveness_score=7,5
eq "stored as 7.5" "$(sql "SELECT json_extract(scores, '$.responsiveness_score') FROM labels ORDER BY id DESC LIMIT 1")" "7.5"
check_rc "label --set responsiveness_score=7,500 is refused" 2 "$CURATE" label "$ID" --set responsiveness_score=7,500
has "saying why" "'7,500' is not a number \(a decimal comma" "$WORK/out"
ANSWER=$'[[ ## reasoning ## ]]\nok\n\n[[ ## responsiveness_score ## ]]\n7,5\n\n[[ ## customer_negative_score ## ]]\n2,25\n\n[[ ## conversational_trend_score ## ]]\n6\n\n[[ ## overall_seller_score ## ]]\n7\n\n[[ ## score_rationale ## ]]\nfine\n\n[[ ## completed ## ]]'
llm_control "$($PY -c 'import json,sys; print(json.dumps({"mode": "script", "script": [{"content": sys.argv[1]}]}))' "$ANSWER")"
check "score a model answer with decimal commas" "$CURATE" score --backend llm --url "$LLM_URL" --model m --ids "$ID" --no-cache --retries 0
eq "model's 7,5 and 2,25 stored as 7.5 and 2.25" \
  "$(sql "SELECT json_extract(scores, '$.responsiveness_score') || ' ' || json_extract(scores, '$.customer_negative_score') FROM predictions ORDER BY id DESC LIMIT 1")" "7.5 2.25"

# ---- invalid UTF-8 in stored text options: refused, naming the option
n0=$(labels)
check_rc "--reviewer with invalid UTF-8" 2 "$CURATE" --reviewer $'ana\xff' label "$ID" --set responsiveness_score=5
has "names --reviewer" 'curate: --reviewer: not valid UTF-8 \(byte 4\)' "$WORK/out"
check_rc "CURATE_REVIEWER with invalid UTF-8" 2 env CURATE_REVIEWER=$'x\xc3' "$CURATE" label "$ID" --set responsiveness_score=5
has "names CURATE_REVIEWER" 'CURATE_REVIEWER: not valid UTF-8' "$WORK/out"
check_rc "label --note with invalid UTF-8" 2 "$CURATE" label "$ID" --set responsiveness_score=5 --note $'bad\xed\xa0\x80'
has "names --note" 'label: --note: not valid UTF-8' "$WORK/out"
check_rc "edge --note with an escape" 2 "$CURATE" edge "$ID" --note $'x\e[2J'
has "names --note (control)" 'edge: --note: control character 0x1b' "$WORK/out"
eq "no label stored by the refused commands" "$(labels)" "$n0"
WA="$ROOT/tests/fixtures/whatsapp/android_24h_dmy.txt"
check_rc "import --seller-id with invalid UTF-8" 2 "$CURATE" import --seller "Ana (Travel Co)" --seller-id $'S\xff' "$WA"
has "names --seller-id" 'import: --seller-id: not valid UTF-8' "$WORK/out"
check_rc "import --id with invalid UTF-8" 2 "$CURATE" import --seller "Ana (Travel Co)" --id $'c\xfe' "$WA"
has "names --id" 'import: --id: not valid UTF-8' "$WORK/out"
check_rc "import --seller with invalid UTF-8" 2 "$CURATE" import --seller $'An\xe9' "$WA"
check "the same import with valid options works" "$CURATE" import --seller "Ana (Travel Co)" --seller-id S-LIS-9 --id wa-1 "$WA"
eq "stored under --id and --seller-id" "$(sql "SELECT seller_id FROM conversations WHERE id = 'wa-1'")" "S-LIS-9"
check "export pool stays readable for Python" bash -c "'$CURATE' export pool -o ex.jsonl && $PY -c 'import json,sys; [json.loads(l) for l in open(\"ex.jsonl\", encoding=\"utf-8\")]'"

# ---- --db '' and pool paths that are not regular files
mkdir empty && cd empty || exit 1
check_rc "--db '' is refused" 2 env -u CURATE_DB "$CURATE" --db '' init
has "saying so" "--db: empty path" "$WORK/out"
eq "no ./curate.db created" "$(ls)" ""
cd "$WORK" || exit 1
check_rc "--db /dev/null is refused" 1 "$CURATE" --db /dev/null init
has "saying it is a device" '/dev/null: not a regular file \(a character device\)' "$WORK/out"
[ -e /dev/null-journal ] && fail "a /dev/null-journal exists" || pass "no /dev/null-journal"
check_rc "--db /dev/null stats is refused" 1 "$CURATE" --db /dev/null stats
check_rc "--db DIRECTORY is refused" 1 "$CURATE" --db "$WORK/empty" stats
mkfifo pool.fifo
check_rc "--db FIFO is refused" 1 "$CURATE" --db pool.fifo list
ln -s "$CURATE_DB" link.db
check "--db SYMLINK-to-a-pool works" "$CURATE" --db link.db stats
finish
