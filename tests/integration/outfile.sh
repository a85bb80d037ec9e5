#!/bin/bash
# Files curate writes for the user (issue 13, core/outfile.c): exports and
# backups never follow a planted symlink, never replace a special file,
# keep an existing file's mode and owner, create new files 0600 (or
# stricter, by the umask), and appear only when complete: a backup killed
# midway leaves no file under the backup's name, and stale temporary files
# of dead processes are removed by the next write.
source "$(dirname "$0")/lib.bash"
cd "$WORK" || exit 1
"$CURATE" demo --reset --count 30 >/dev/null
"$CURATE" import-program json "$ROOT/tests/fixtures/programs/golden_state.json" --use >/dev/null

# ---- new files: 0600 whatever a loose umask says; a stricter umask wins
for what in json pool; do
  check "export $what, new file" bash -c "umask 022; '$CURATE' export $what -o new-$what.out"
  eq "export $what: new file is 0600 under umask 022" "$(stat -c %a new-$what.out)" "600"
done
check "export json under umask 077" bash -c "umask 277; '$CURATE' export json -o strict.json"
eq "umask 277: 0400" "$(stat -c %a strict.json)" "400"

# ---- an existing file keeps its mode (never loosened, never tightened)
echo old >kept.json; chmod 640 kept.json
check "export over an existing 0640 file" "$CURATE" export json -o kept.json
eq "mode kept" "$(stat -c %a kept.json)" "640"
has "content replaced" '"analyze.predict"' kept.json
if [ "$(id -u)" = 0 ]; then
  echo old >owned.json; chown nobody:nogroup owned.json; chmod 604 owned.json
  check "export over a file of another owner (as root)" "$CURATE" export json -o owned.json
  eq "owner and mode kept" "$(stat -c '%U:%G %a' owned.json)" "nobody:nogroup 604"
fi

# ---- targets that are not regular files are refused, untouched
echo "secret 0600 file" >victim; chmod 600 victim
ln -s victim link.json
check_rc "a symlink target is refused" 1 "$CURATE" export json -o link.json
has "says it is a symbolic link" 'link.json: exists and is a symbolic link' "$WORK/out"
eq "the symlink's target untouched" "$(cat victim)" "secret 0600 file"
[ -L link.json ] && pass "the symlink is still a symlink" || fail "the symlink was replaced"
check_rc "report -o a symlink is refused" 1 "$CURATE" report -o link.json
eq "the symlink's target untouched by report" "$(cat victim)" "secret 0600 file"
mkfifo fifo.json
check_rc "a FIFO is refused" 1 "$CURATE" export pool -o fifo.json
[ -p fifo.json ] && pass "the FIFO is still a FIFO" || fail "the FIFO was replaced"
# A device node of our own (like /dev/full: a regression must not replace
# the machine's).
if mknod -m 666 devfull c 1 7 2>/dev/null; then
  check_rc "-o DEVICE (a /dev/full node) is refused" 1 "$CURATE" export json -o devfull
  has "says it is a device" 'devfull: exists and is a character device' "$WORK/out"
  [ -c devfull ] && pass "the device node is still a device" || fail "the device node was replaced"
else
  echo "mknod not permitted: device-node checks skipped"
fi
mkdir adir
check_rc "a directory is refused" 1 "$CURATE" export json -o adir
check "-o - writes to stdout" bash -c "'$CURATE' export json -o - | grep -q analyze.predict"
check "-o /dev/stdout writes to stdout" bash -c "'$CURATE' export json -o /dev/stdout | grep -q analyze.predict"

# ---- a symlink planted at the old predictable temp name (FILE.tmp.PID):
# exec keeps the pid, so the name is exactly the one curate 0.1 used.
echo "another secret" >victim2; chmod 600 victim2
check "export with a planted FILE.tmp.PID symlink" \
  bash -c 'ln -s victim2 planted.json.tmp.$$ && exec "$0" export json -o planted.json' "$CURATE"
eq "the planted symlink's target untouched" "$(cat victim2)" "another secret"
has "the export itself is complete" '"analyze.predict"' planted.json

# ---- stale temporary files of dead processes are cleaned up; a live
# process's are left alone
sleep 0 & dead=$!; wait $dead
echo partial >"state.json.tmp.$dead.abc123"
echo partial >"state.json.tmp.$dead.abc123-journal"
echo busy >"state.json.tmp.$$.def456"
check "export json beside stale temp files" "$CURATE" export json -o state.json
[ ! -e "state.json.tmp.$dead.abc123" ] && [ ! -e "state.json.tmp.$dead.abc123-journal" ] &&
  pass "dead pid's temp files removed" || fail "stale temp files left: $(ls state.json.tmp.* 2>/dev/null)"
[ -e "state.json.tmp.$$.def456" ] && pass "a live pid's temp file kept" || fail "a live pid's temp file was removed"

# ---- backup: complete or absent, never a convincing empty file
$PY - <<'EOF'
import json
with open("big.jsonl", "w") as f:
    for i in range(1500):
        f.write(json.dumps({"id": f"big-{i}", "seller_id": "S", "messages": [
            {"ts": 1714558020 + i, "from": "A", "role": "customer", "text": "x" * 20000}]}) + "\n")
EOF
check "a 30 MB pool" "$CURATE" --db big.db import big.jsonl
killed_ok=1
for round in 1 2 3; do
  rm -f bk.db bk.db.tmp.*
  "$CURATE" --db big.db backup bk.db >/dev/null 2>&1 &
  pid=$!
  # kill it as soon as any file of the backup exists (mid-copy)
  for i in $(seq 1 20000); do compgen -G "bk.db*" >/dev/null && break; done
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  if [ -e bk.db ]; then
    n=$(sqlite3 bk.db "SELECT count(*) FROM conversations" 2>&1)
    [ "$n" = 1500 ] || { killed_ok=0; echo "round $round: bk.db exists but holds '$n'"; }
  fi
done
eq "a killed backup leaves nothing under its name (or a complete copy)" "$killed_ok" 1
check "the next backup succeeds" "$CURATE" --db big.db backup bk.db
eq "it is complete" "$(sqlite3 bk.db 'SELECT count(*) FROM conversations')" "1500"
eq "it is 0600" "$(stat -c %a bk.db)" "600"
eq "no temp files left" "$(ls bk.db.tmp.* 2>/dev/null | wc -l)" "0"
check_rc "backup refuses to overwrite" 1 "$CURATE" --db big.db backup bk.db
check_rc "backup refuses a symlink" 1 "$CURATE" --db big.db backup link.json
eq "the symlink's target still untouched" "$(cat victim)" "secret 0600 file"
finish
