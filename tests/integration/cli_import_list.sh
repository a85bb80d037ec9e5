#!/bin/bash
# Issue 12's CLI items: `curate list` says when it stops at --limit; a
# WhatsApp file re-imported with another (or no) --seller-id is the same
# conversation; a date order the file cannot decide is said, with the
# command that corrects it in place.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
check "demo pool" "$CURATE" demo
check "list" "$CURATE" list
has "list says it stopped at 50 of 240" "rows 1-50 of 240 shown; --offset 50 for the next" "$WORK/out"
eq "50 rows on stdout" "$("$CURATE" list 2>/dev/null | tail -n +2 | wc -l)" "50"
check "list --offset 200" "$CURATE" list --offset 200
hasnt "the last page says nothing" "shown; --offset" "$WORK/out"
check "list --limit 1000" "$CURATE" list --limit 1000
hasnt "everything listed says nothing" "shown; --offset" "$WORK/out"

# iOS, 12-hour clock, every day and month <= 12.
printf '[4/5/24, 9:05:09 PM] Zo\xc3\xab: Hi, is the tour on tomorrow?\n[4/5/24, 9:07:41 PM] Sunny Trips: Yes, 10am at the hotel\n' >ios.txt
rm -f "$CURATE_DB"
check "import --seller-id A" "$CURATE" import --seller "Sunny Trips" --seller-id A ios.txt
has "says the date order was assumed" "no date tells whether the day or the month comes first .*read as month/day/year" "$WORK/out"
id=$(sql "SELECT id FROM conversations")
has "and how to correct it in place" "--date-order dmy --id $id" "$WORK/out"
eq "read month first" "$(sql "SELECT strftime('%Y-%m-%d', min(ts), 'unixepoch') FROM messages")" "2024-04-05"
check "re-import with another --seller-id" "$CURATE" import --seller "Sunny Trips" --seller-id B ios.txt
check "re-import with no --seller-id" "$CURATE" import --seller "Sunny Trips" ios.txt
eq "still one conversation" "$(sql 'SELECT count(*) FROM conversations')" "1"
eq "its seller id follows the last import" "$(sql 'SELECT seller_id FROM conversations')" "Sunny Trips"
check "correct the order in place" "$CURATE" import --seller "Sunny Trips" --date-order dmy --id "$id" ios.txt
hasnt "a given order is not a guess" "no date tells" "$WORK/out"
eq "still one conversation after the fix" "$(sql 'SELECT count(*) FROM conversations')" "1"
eq "now day first" "$(sql "SELECT strftime('%Y-%m-%d', min(ts), 'unixepoch') FROM messages")" "2024-05-04"
# A file whose dates decide says nothing.
printf '[13/5/24, 9:05:09 PM] Zo\xc3\xab: Hi\n[13/5/24, 9:07:41 PM] Sunny Trips: Yes\n' >dmy.txt
check "import a decidable file" "$CURATE" import --seller "Sunny Trips" dmy.txt
hasnt "no word when the dates decide" "no date tells" "$WORK/out"
finish
