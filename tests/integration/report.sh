#!/bin/bash
# report.sh: `curate report` writes one self-contained HTML file, checked in
# a real browser (Debian's chromium, headless): it renders to a PNG that is
# not blank, every section title is in the DOM, the browser makes no network
# request (a loopback proxy that records any attempt) and logs no console
# error, and hostile ids and seller names appear as text, not markup. The
# numbers are those of `curate stats` (one computation, two renderings).
source "$(dirname "$0")/lib.bash"
cd "$WORK" || exit 1
CHROMIUM=$(command -v chromium || true)

check "demo pool" "$CURATE" demo
# A hostile conversation: its id and seller are markup.
cat >hostile.jsonl <<'J'
{"id": "<script>alert(1)</script>", "seller_id": "\"><img src=x onerror=alert(2)>", "messages": [{"ts": "2024-06-01T10:00:00Z", "from": "C", "role": "customer", "text": "Hi, is the <b>tour</b> on?"}, {"ts": "2024-06-01T10:05:00Z", "from": "S", "role": "seller", "text": "Yes & thanks"}]}
J
check "import hostile" "$CURATE" import hostile.jsonl
check "score everything again (run 2)" "$CURATE" -q score --all --backend heuristic
# A second reviewer on a few conversations, for the agreement table.
for id in demo-0005 demo-0007 demo-0009; do
  check "second reviewer labels $id" "$CURATE" --reviewer other label "$id" \
    --set responsiveness_score=1 --set customer_negative_score=9 \
    --set conversational_trend_score=2
done
# A hostile reviewer name, for the agreement table.
check "hostile reviewer labels demo-0005" "$CURATE" --reviewer '<script>alert(3)</script>' \
  label demo-0005 --set responsiveness_score=2 --set customer_negative_score=8 \
  --set conversational_trend_score=3
check_rc "optimise (heuristic; not better than zero-shot)" 3 "$CURATE" -q optimize --seed 1
check "make its program the best" "$CURATE" programs use 1

check_rc "unknown run is a usage error" 2 "$CURATE" report --run 999 -o bad.html
has "names the run" "no run 999" "$WORK/out"
check_rc "bad --baseline" 2 "$CURATE" report --baseline x -o bad.html
check_rc "unwritable output" 1 "$CURATE" report -o "$WORK/no/such/dir/r.html"
eq "nothing written on errors" "$(ls "$WORK" | grep -c '^bad.html')" "0"

check "report --run 2 --baseline 1" "$CURATE" report --run 2 --baseline 1 -o report.html
has "says where" "report written: report.html" "$WORK/out"
# Self-contained: nothing refers outside the file.
hasnt "no external references" '(src|href)="?(https?:|//)|@import|url\(' report.html
hasnt "no script element" '<script' report.html
has "hostile seller escaped" '&quot;&gt;&lt;img src=x onerror=alert\(2\)&gt;' report.html
has "hostile reviewer escaped" '&lt;script&gt;alert\(3\)&lt;/script&gt;' report.html
# Same numbers as `curate stats --run 2`: the overall's MAE.
mae=$("$CURATE" stats --run 2 | awk '/^overall_seller_score/{f=1} f && /MAE/{print $2; exit}')
has "overall MAE as in stats ($mae)" "overall_seller_score</td>(<td>[^<]*</td>){6}<td>$mae</td>" report.html
# Human n of run 2 is its own conversations' (kind 3), like stats.
hn=$("$CURATE" stats --run 2 | awk '/^overall_seller_score/{f=1} f && /human/{sub("n=","",$2); print $2; exit}')
has "human n as in stats ($hn)" "overall_seller_score</td><td>[0-9]+</td><td>[^<]*</td><td>[^<]*</td><td>$hn</td>" report.html

if [ -z "$CHROMIUM" ]; then
  fail "chromium" "not installed (apt-get install chromium; .ci/deps lists it)"
  finish; exit
fi
# A loopback "proxy" that records every connection attempt and answers none.
cat >proxy.py <<'P'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
log = open(sys.argv[2], "a", buffering=1)
while True:
    c, _ = s.accept(); c.settimeout(1)
    try: log.write(repr(c.recv(200)) + "\n")
    except Exception as e: log.write("attempt %r\n" % e)
    c.close()
P
$PY proxy.py proxy.port proxy.log & PIDS+=($!)
wait_file proxy.port 10 || fail "proxy started"
PPORT=$(cat proxy.port)
browse() { # browse PAGE OUT.ERR ARGS... : one headless chromium on PAGE
  local page=$1 errf=$2; shift 2
  rm -rf "$WORK/prof"; mkdir "$WORK/prof"
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$WORK/prof" --proxy-server="http://127.0.0.1:$PPORT" \
    --proxy-bypass-list="<-loopback>" --enable-logging=stderr --v=0 \
    --disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate \
    --no-pings --disable-domain-reliability --disable-client-side-phishing-detection \
    --disable-default-apps --disable-extensions \
    "$@" "file://$WORK/$page" 2>"$errf"
}
# Requests the page caused: everything the proxy saw except chromium's own
# background services (component updates, sign-in), which even these flags
# leave on; they reach only the loopback proxy, which answers nothing.
page_requests() { grep -vE "(update\.googleapis|accounts\.google|clients2\.google)\.com" proxy.log; }
# The detector works: a page with one external image is caught.
echo '<html><body><img src="http://example.invalid/pixel.png">x</body></html>' >control.html
browse control.html control.err --dump-dom >/dev/null
sleep 0.5
has "the proxy catches a page's request (control)" 'example\.invalid' proxy.log
: >proxy.log
# ... and so does the console check: a page with a script error.
echo '<html><body><script>undefined_fn();</script>x</body></html>' >control2.html
browse control2.html control2.err --dump-dom >/dev/null
has "the console check catches a script error (control)" 'CONSOLE.*Uncaught' control2.err
: >proxy.log
check "chromium renders a PNG" browse report.html shot.err --window-size=1100,2400 --screenshot="$WORK/report.png"
browse report.html dom.err --dump-dom >dom.html
for t in "curate report" "Distribution: model against human" "Compression alarms" \
         "Before against after" "Sellers" "Trend" "Reviewer agreement" \
         "Current best program"; do
  has "title: $t" ">$t<" dom.html
done
has "alarm shown" 'class="alarm"' dom.html
has "both runs side by side" '<td>before</td>.*<td>after</td>' dom.html
has "reviewer pair" '<td>demo &amp; other</td><td>[0-9.]+ \(3\)</td>' dom.html
has "alpha row" '<td>alpha</td><td>(-|-?[0-9.]+)</td>' dom.html
has "best program" 'Program 1, ' dom.html
has "SVG histograms inline" '<svg' dom.html
# Hostile text is text: no element came from it.
has "hostile seller is text in the DOM" '"&gt;&lt;img src=x onerror=alert\(2\)&gt;' dom.html
has "hostile reviewer is text in the DOM" '&lt;script&gt;alert\(3\)&lt;/script&gt;' dom.html
hasnt "no img element" '<img' dom.html
hasnt "no script element in the DOM" '<script' dom.html
hasnt "no console message" 'CONSOLE|Uncaught' shot.err
hasnt "no console message (dom)" 'CONSOLE|Uncaught' dom.err
sleep 0.5
eq "no network request from the report" "$(page_requests | wc -l | tr -d ' ')" "0"
# Not blank: many colours and a fair share of non-white pixels.
cat >png.py <<'P'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(d):
    n, t = struct.unpack(">I4s", d[pos:pos + 8]); body = d[pos + 8:pos + 8 + n]; pos += 12 + n
    if t == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif t == b"IDAT": idat += body
raw = zlib.decompress(idat); bpp = 4 if ctype == 6 else 3
stride = w * bpp; prev = bytearray(stride); colours = set(); ink = 0; i = 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 3):
        px = bytes(line[x:x + 3]); colours.add(px); ink += px != b"\xff\xff\xff"
    prev = line
print(len(colours), round(ink / (h * w / 3), 3))
P
read -r ncol inkshare < <($PY png.py report.png)
check "PNG has many colours ($ncol)" test "${ncol:-0}" -ge 50
check "PNG is not blank (ink share $inkshare)" $PY -c "import sys; sys.exit(not ${inkshare:-0} > 0.03)"
[ -n "${REPORT_KEEP:-}" ] && cp -r "$WORK" "$REPORT_KEEP"
finish
