#!/bin/bash
# valgrind_cli.sh: the headless commands under valgrind (release build,
# no sanitizers): no invalid reads/writes, no definite or indirect leaks.
source "$(dirname "$0")/lib.bash"
cd "$WORK" || exit 1
command -v valgrind >/dev/null || { echo "valgrind missing"; fail "valgrind installed"; finish; exit 1; }
REL=$ROOT/curate
[ -x "$REL" ] || { fail "release build ./curate exists"; finish; exit 1; }
vg() { # vg NAME WANT_RC ARGS... (WANT_RC: one exit code, or several as "0|3")
  local n=$1 want=$2; shift 2
  valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 "$REL" "$@" >vg.out 2>vg.err
  local rc=$?
  if [[ "|$want|" == *"|$rc|"* ]] && ! grep -q '^==[0-9]*==' vg.err; then pass "valgrind: $n"
  else fail "valgrind: $n" "exit $rc: $(grep -m5 '' vg.err)"; fi
}
"$REL" demo --reset --count 120 >/dev/null
start_llm --mode demo-aware || { fail "llm"; finish; exit 1; }
vg "import jsonl" 0 import "$ROOT/tests/fixtures/jsonl/travel.jsonl"
vg "import whatsapp" 0 import --seller "Ana (Travel Co)" "$ROOT/tests/fixtures/whatsapp/android_24h_dmy.txt"
vg "import malformed" 1 import "$ROOT/tests/fixtures/whatsapp/bad_date.txt" --seller x
vg "stats" 0 stats
vg "list" 0 list --filter disagree:1 --sort diff --desc
vg "show" 0 show demo-0003
vg "list conflicts" 0 list --filter conflict
vg "list --search (scan: nothing indexed yet)" 0 list --search refund --sort messages
vg "index" 0 index
vg "list --search (indexed)" 0 list --search refund --filter to-review
vg "index --rebuild" 0 index --rebuild
vg "score llm" 0 score --all --url "$LLM_URL" --model m --concurrency 8
vg "score heuristic" 0 score --ids demo-0001,demo-0002 --backend heuristic
vg "label" 0 label demo-0003 --set responsiveness_score=3
vg "edge" 0 edge demo-0003 --note boundary
vg "label bulk --yes" 0 label --filter to-review --search refund --yes
vg "undo of the batch" 0 undo
# Exit 0 or 3: whether the keep-if-better decision keeps the candidate;
# the exports below take the stored program either way.
vg "optimize" "0|3" optimize --url "$LLM_URL" --model m --seed 1
vg "programs use" 0 programs use 1
vg "export json" 0 export json -o s.json
vg "export pool" 0 export pool -o p.jsonl
vg "export pool of a view" 0 export pool --filter reviewed --filter reviewer=tester --search refund -o v.jsonl
vg "import-program" 0 import-program json s.json
vg "programs show" 0 programs show best
vg "backup" 0 backup b.db
# sync: push this pool (notes and assignments too), pull it into an empty one
if start_congo; then
  "$REL" note demo-0004 "a note" >/dev/null && "$REL" assign --to ann,bob --count 5 >/dev/null
  vg "sync (push)" 0 sync --uri "$CONGO_URI" --database vg$$
  has "it pushed" "conversations +pushed [1-9]" vg.out
  "$REL" --db "$WORK/pulled.db" init >/dev/null
  vg "sync (pull into an empty pool)" 0 --db "$WORK/pulled.db" sync --uri "$CONGO_URI" --database vg$$
  has "it pulled notes and assignments" "notes +pushed 0, pulled 1" vg.out
  has "and assignments" "assignments +pushed 0, pulled 5" vg.out
else
  fail "congo peer starts"
fi
finish
