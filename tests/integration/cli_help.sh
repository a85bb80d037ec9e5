#!/bin/bash
# The command table (tui/cli/cli.c): `curate --help` lists exactly the
# commands that dispatch, `curate COMMAND --help` prints each one's usage
# without touching a pool, and the workbench refuses to start without a
# terminal instead of spinning on end of input.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
unset CURATE_DB
check_rc "help" 0 "$CURATE" --help
cp "$WORK/out" help.txt
cmds=$(sed -n '/^Commands:/,/^$/p' help.txt | sed -n 's/^  \([a-z-]*\).*/\1/p')
eq "help lists the commands" "$(echo $cmds | wc -w)" "26"
for c in $cmds; do
  check_rc "$c --help exits 0" 0 timeout 10 "$CURATE" "$c" --help
  has "$c --help prints its usage" "^usage: curate " "$WORK/out"
  check_rc "$c -h exits 0" 0 timeout 10 "$CURATE" "$c" -h
done
eq "no pool created by any --help" "$(ls "$WORK" | grep -c '\.db')" "0"
check_rc "tui --help" 0 timeout 10 "$CURATE" tui --help
has "tui --help is the workbench's usage" "^usage: curate \[GLOBAL OPTIONS\] \[tui( \[--goal N\])?\]" "$WORK/out"
[ -e curate.db ] && fail "tui --help created ./curate.db" || pass "tui --help creates no ./curate.db"
check_rc "an unknown command is a usage error" 2 timeout 10 "$CURATE" frobnicate
has "says so" "unknown command 'frobnicate'" "$WORK/out"
check_rc "tui with an extra argument is a usage error" 2 timeout 10 "$CURATE" tui extra

# No terminal: stdin at end of file, a pipe, cron. timeout turns a spin
# into exit 124. A missing pool is refused first (and not created).
check_rc "workbench without a pool refuses" 1 timeout 10 "$CURATE" </dev/null
[ -e curate.db ] && fail "refusing created ./curate.db" || pass "refusing creates no pool"
check "a pool" "$CURATE" --db "$WORK/p.db" init
check_rc "workbench from /dev/null refuses (exit 1)" 1 timeout 10 "$CURATE" --db "$WORK/p.db" </dev/null
has "and says why" "needs a terminal, and stdin is not one" "$WORK/out"
check_rc "tui from a pipe refuses" 1 bash -c "echo q | timeout 10 '$CURATE' --db '$WORK/p.db' tui"
has "and says why (pipe)" "needs a terminal, and stdin is not one" "$WORK/out"
finish
