#!/usr/bin/python3
"""Loopback OpenAI-compatible LLM test server for curate (Python 3 stdlib only).

Speaks the vLLM flavour of /v1/chat/completions and answers DSPy ChatAdapter
prompts with deterministic, scriptable content so tests can drive curate's
scorer, retry logic and optimiser without a real model.

  llm_server.py --port 0 [--portfile FILE] [--log FILE] [--mode MODE]
                [--latency-ms N] [--fault-rate F --seed S] [--require-key KEY]
                [--single --backlog N --work-ms MS] [--echo-key]

Endpoints: GET /v1/models, POST /v1/chat/completions, GET /stats, POST /reset,
POST /control {"mode","latency_ms","fault_rate","seed","script","models"}, GET /requests.
"models": the model ids GET /v1/models lists (default ["test-model"]); a
script entry's "body_hex" is sent as raw bytes (invalid UTF-8, C1 bytes).
Binds 127.0.0.1 only; exits 0 on SIGTERM/SIGINT.

--single: a saturable server, as Python's own http.server is by default: one
thread serves one request at a time (HTTP/1.0, a connection per request),
each costing --work-ms of work on that thread, with a listen backlog of
--backlog (Python's default 5); connection attempts beyond it are dropped by
the kernel. GET /stats reports max_gap_ms: the longest time the server sat
idle between two chat requests (since the start or the last /reset).

Modes: good (ChatAdapter answer, scores from a hash of the last user message),
json, hedge (7.5/8.0), oracle (`ORACLE: {json}` line), demo-aware (no demos ->
all 7.5, else oracle/good), garbage, truncated, out-of-range, non-numeric, empty;
json-fallback (a ChatAdapter request gets text with no fields, a JSONAdapter
request, whose system message says "Outputs will be a JSON object", gets the
json answer), json-fallback-500 (the ChatAdapter request gets HTTP 500);
faults 500 502 503 429 400 hang bad-json close; flaky-N (first N attempts per
body -> 503); mixed (seeded faults at --fault-rate); script (entries via /control).
--echo-key: a hostile endpoint that echoes the request's Authorization header
(and the bare token) into every answer's reasoning and rationale, every model
id and every error message.
Self-check: tests/peers/llm_server_selfcheck.sh.
"""
import argparse, collections, hashlib, json, os, random, re, signal, sys
import threading, time, uuid
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

DEFAULT_FIELDS = ["reasoning", "responsiveness_score", "customer_negative_score",
                  "conversational_trend_score", "overall_seller_score", "score_rationale"]
SIMPLE_MODES = {"good", "json", "hedge", "oracle", "demo-aware", "garbage", "truncated",
                "out-of-range", "non-numeric", "empty", "500", "502", "503", "429", "400",
                "hang", "bad-json", "close", "mixed", "script",
                "json-fallback", "json-fallback-500"}
MIXED_FAULTS = ["500", "503", "429", "hang2", "garbage", "out-of-range", "non-numeric"]
STOP = threading.Event()          # set on shutdown: interrupts hangs and latency sleeps


def is_valid_mode(mode):
    return mode in SIMPLE_MODES or re.fullmatch(r"flaky-\d+", str(mode)) is not None


# ---------------------------------------------------------------- prompt parsing
def text_of(msg):
    """Message content as text (plain string or OpenAI list-of-parts)."""
    c = msg.get("content") if isinstance(msg, dict) else None
    if isinstance(c, list):
        return "".join(p.get("text", "") for p in c if isinstance(p, dict))
    return c if isinstance(c, str) else ""


def output_fields(messages):
    """[(name, is_score)] parsed from the ChatAdapter system message."""
    system = next((text_of(m) for m in messages if m.get("role") == "system"), "")
    found = []
    marker = system.find("Your output fields are:")
    if marker >= 0:
        section = system[marker + len("Your output fields are:"):]
        section = re.split(r"\n(?:All interactions|\[\[ ##|Your \w+ fields are:)", section)[0]
        line_re = r"^\s*\d+\.\s*`([^`]+)`\s*(?:\(([^)]*)\))?:?(.*)$"
        for name, typ, desc in re.findall(line_re, section, re.M):
            found.append((name, typ.strip(), desc.strip()))
    if not found:
        found = [(n, "str", "") for n in DEFAULT_FIELDS]
    return [(n, is_score_field(n, t, d)) for n, t, d in found]


def is_score_field(name, typ, desc):
    low = name.lower()
    if low == "reasoning" or any(w in low for w in ("rationale", "reason", "explanation")):
        return False
    if typ in ("float", "int") or "score" in low or "rating" in low:
        return True
    return re.search(r"\b\d+\s*-\s*\d+\b", desc) is not None and "score" in desc.lower()


def is_json_adapter(messages):
    """A DSPy JSONAdapter request (the JSON fallback's second request)."""
    system = next((text_of(m) for m in messages if m.get("role") == "system"), "")
    return "Outputs will be a JSON object with the following fields." in system


def last_user_index(messages):
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "user":
            return i
    return -1


def count_demos(messages):
    """Number of user/assistant pairs between the system message and the last user message."""
    end = last_user_index(messages)
    start = 1 if messages and messages[0].get("role") == "system" else 0
    return sum(1 for i in range(start, max(end - 1, start))
               if messages[i].get("role") == "user" and messages[i + 1].get("role") == "assistant")


def find_oracle(text):
    """The JSON object of an `ORACLE: {...}` line in text (also if JSON-escaped), or None."""
    for t in (text, text.replace('\\"', '"')):
        for m in re.finditer(r"ORACLE:\s*(?=\{)", t):
            try:
                obj, _ = json.JSONDecoder().raw_decode(t, m.end())
            except ValueError:
                continue
            if isinstance(obj, dict):
                return obj
    return None


# ---------------------------------------------------------------- answers
def weighted_overall(vals):
    """0.4*a + 0.3*(10-b) + 0.3*c for the default rubric, else the mean."""
    a, b, c = (vals.get(k) for k in DEFAULT_FIELDS[1:4])
    if None not in (a, b, c):
        return round(0.4 * a + 0.3 * (10 - b) + 0.3 * c, 1)
    return round(sum(vals.values()) / len(vals), 1) if vals else 5.0


def good_values(fields, text):
    """Deterministic {field: value}; scores are floats 0-10 (one decimal) from a hash of text."""
    h = hashlib.sha256(text.encode()).hexdigest()
    scores = [n for n, s in fields if s]
    overall = [n for n in scores if "overall" in n]
    parts = {}
    for n in scores:
        if n not in overall:
            parts[n] = int(hashlib.sha256(f"{h}:{n}".encode()).hexdigest()[:8], 16) % 101 / 10
    out = {}
    for n, is_score in fields:
        if is_score:
            out[n] = parts[n] if n in parts else weighted_overall(parts)
        elif n == "reasoning":
            out[n] = f"The seller's replies were reviewed step by step (test hash {h[:8]})."
        else:
            out[n] = "Scores reflect the seller's responsiveness and the customer's mood."
    return out


def constant_values(fields, text, score_fn):
    """good_values with every score replaced by score_fn(index, hash)."""
    vals = good_values(fields, text)
    h = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
    for i, (n, s) in enumerate(fields):
        if s:
            vals[n] = score_fn(i, h)
    return vals


def oracle_values(fields, text, oracle):
    vals = good_values(fields, text)
    for n, s in fields:
        if n in oracle:                     # verbatim: 7.25 stays "7.25", "high" stays "high"
            v = oracle[n]
            vals[n] = v if isinstance(v, str) else json.dumps(v)
        elif s:
            vals[n] = 5.0
    return vals


def render(fields, vals):
    """ChatAdapter-form content: `[[ ## f ## ]]\\nvalue` blocks joined by blank lines."""
    def show(v):
        if isinstance(v, float):
            return f"{v:.1f}"
        return v if isinstance(v, str) else json.dumps(v)
    blocks = [f"[[ ## {n} ## ]]\n{show(vals[n])}" for n, _ in fields]
    return "\n\n".join(blocks + ["[[ ## completed ## ]]"])


def content_for(mode, messages):
    """Answer text for a content-producing mode (everything except HTTP faults)."""
    fields = output_fields(messages)
    idx = last_user_index(messages)
    text = text_of(messages[idx]) if idx >= 0 else ""
    oracle = find_oracle(text)
    if mode == "demo-aware":
        if count_demos(messages) == 0:
            return render(fields, constant_values(fields, text, lambda i, h: 7.5))
        mode = "oracle" if oracle is not None else "good"
    if mode == "oracle":
        return render(fields, oracle_values(fields, text, oracle or {}))
    if mode == "hedge":
        return render(fields, constant_values(fields, text, lambda i, h: (7.5, 8.0)[(h + i) % 2]))
    if mode == "json":
        return json.dumps(good_values(fields, text))
    if mode == "garbage":
        return "I think it's fine lol"
    if mode == "empty":
        return ""
    if mode == "out-of-range":
        return render(fields, constant_values(fields, text, lambda i, h: (14, -3)[i % 2]))
    if mode == "non-numeric":
        return render(fields, constant_values(fields, text, lambda i, h: ("seven", "high")[i % 2]))
    good = render(fields, good_values(fields, text))
    return good[: len(good) // 2] if mode == "truncated" else good


# ---------------------------------------------------------------- shared state
class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.mode, self.latency_ms = args.mode, args.latency_ms
        self.fault_rate, self.seed = args.fault_rate, args.seed
        self.require_key = args.require_key
        self.work_ms = args.work_ms
        self.echo_key = getattr(args, "echo_key", False)
        self.script = collections.deque()
        self.models = ["test-model"]
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = self.in_flight_max = self.in_flight = 0
            self.last_end, self.max_gap = None, 0.0
            self.attempts = {}                     # body sha256 -> attempts seen
            self.recent = collections.deque(maxlen=1000)

    def begin(self, record, body_hash):
        """Count and record one chat request; returns (attempt, mode, script entry)."""
        with self.lock:
            now = time.monotonic()
            if self.last_end is not None:
                self.max_gap = max(self.max_gap, now - self.last_end)
            self.requests += 1
            self.in_flight += 1
            self.in_flight_max = max(self.in_flight_max, self.in_flight)
            attempt = self.attempts[body_hash] = self.attempts.get(body_hash, 0) + 1
            record["attempt"], record["mode"] = attempt, self.mode
            record["in_flight"] = self.in_flight   # this one included
            self.recent.append(record)
            if self.log and not self.log.closed:
                self.log.write(json.dumps(record) + "\n")
                self.log.flush()
            entry = self.script.popleft() if self.mode == "script" and self.script else None
            return attempt, self.mode, entry

    def close(self):
        with self.lock:
            if self.log:
                self.log.close()

    def end(self):
        with self.lock:
            self.in_flight -= 1
            self.last_end = time.monotonic()

    def stats(self):
        with self.lock:
            return {"requests": self.requests, "max_in_flight": self.in_flight_max,
                    "in_flight": self.in_flight, "mode": self.mode,
                    "max_gap_ms": int(round(self.max_gap * 1000))}

    def control(self, cfg):
        """Apply a /control body; raises ValueError on bad input."""
        if not isinstance(cfg, dict):
            raise ValueError("control body must be a JSON object")
        if "mode" in cfg and not is_valid_mode(cfg["mode"]):
            raise ValueError(f"unknown mode {cfg['mode']!r}")
        script = cfg.get("script", [])
        if not isinstance(script, list) or not all(
                isinstance(e, dict) and e.get("mode", "good") in SIMPLE_MODES - {"mixed", "script"}
                for e in script):
            raise ValueError("script must be a list of objects (optional mode: a simple mode)")
        with self.lock:
            self.mode = cfg.get("mode", self.mode)
            self.latency_ms = float(cfg.get("latency_ms", self.latency_ms))
            self.fault_rate = float(cfg.get("fault_rate", self.fault_rate))
            self.seed = int(cfg.get("seed", self.seed))
            if "script" in cfg:
                self.script = collections.deque(cfg["script"])
            if "models" in cfg:
                if not isinstance(cfg["models"], list) or \
                        not all(isinstance(m, str) for m in cfg["models"]):
                    raise ValueError("models must be a list of strings")
                self.models = list(cfg["models"])
            return {"mode": self.mode, "latency_ms": self.latency_ms,
                    "fault_rate": self.fault_rate, "seed": self.seed,
                    "script_left": len(self.script)}


# ---------------------------------------------------------------- HTTP
def error_body(status, message, typ):
    return {"object": "error", "message": message, "type": typ, "code": status}


class Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True   # no Nagle + delayed-ACK stalls on keep-alive
    protocol_version = "HTTP/1.1"
    server_version = "curate-test-llm/1.0"

    def log_message(self, fmt, *args):      # keep test output quiet
        pass

    # -- plumbing
    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send_raw(self, status, body, headers=None):
        """One complete response; Content-Length always set (keep-alive needs it)."""
        body = body.encode() if isinstance(body, str) else body
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        hdrs = {k: v for k, v in hdrs.items() if k.lower() != "content-length"}
        try:
            self.send_response(status)
            for k, v in list(hdrs.items()) + [("Content-Length", len(body))]:
                self.send_header(k, str(v))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:                     # client gave up (timeout): nothing to do
            self.close_connection = True

    def send_json(self, status, obj, headers=None):
        if self.server.state.echo_key and status >= 400 and isinstance(obj, dict):
            err = obj.get("error") if isinstance(obj.get("error"), dict) else obj
            err["message"] = f"{err.get('message', '')} (you sent {self.echo()})"
        body = json.dumps(obj)
        token = (self.headers.get("Authorization") or "").split(" ", 1)[-1]
        if self.server.state.echo_key and token:
            # the first copy JSON-escaped: only a client that scrubs the
            # decoded text too catches it
            body = body.replace(token, "".join("\\u%04x" % ord(c) for c in token), 1)
        self.send_raw(status, body, headers)

    def echo(self):
        """--echo-key: the Authorization header and the bare token, as a leaky proxy would."""
        auth = self.headers.get("Authorization") or ""
        return f"Authorization: {auth}; token {auth.split(' ', 1)[-1]}"


    def route(self):
        path = self.path.split("?", 1)[0].rstrip("/")
        return path[3:] if path.startswith("/v1/") else path

    # -- dispatch
    def do_GET(self):
        state, path = self.server.state, self.route()
        if path == "/models":
            if self.authorized():
                data = [{"id": m, "object": "model", "owned_by": "curate-test"}
                        for m in state.models]
                if state.echo_key:
                    data.append({"id": "echo " + self.echo(), "object": "model"})
                self.send_json(200, {"object": "list", "data": data})
        elif path == "/stats":
            self.send_json(200, state.stats())
        elif path == "/requests":
            with state.lock:
                self.send_json(200, list(state.recent))
        else:
            self.send_json(404, error_body(404, f"no route {self.path}", "NotFoundError"))

    def do_POST(self):
        state, path, body = self.server.state, self.route(), self.read_body()
        if path == "/chat/completions":
            self.chat(body)
        elif path == "/reset":
            state.reset()
            self.send_json(200, {"ok": True})
        elif path == "/control":
            try:
                self.send_json(200, state.control(json.loads(body or b"{}")))
            except (ValueError, TypeError) as e:
                self.send_json(400, error_body(400, str(e), "BadRequestError"))
        else:
            self.send_json(404, error_body(404, f"no route {self.path}", "NotFoundError"))

    def authorized(self):
        key = self.server.state.require_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self.send_json(401, error_body(401, "invalid api key", "invalid_request_error"))
        return False

    # -- chat completions
    def chat(self, raw):
        state = self.server.state
        try:
            req = json.loads(raw)
        except ValueError:
            req = None
        record = {"time": time.time(), "path": self.path,
                  "headers": {k: v for k, v in self.headers.items()
                              if k.lower() != "authorization"},
                  "authorization": self.headers.get("Authorization"),
                  "body": req if req is not None else raw.decode("utf-8", "replace")}
        body_hash = hashlib.sha256(raw).hexdigest()
        attempt, mode, entry = state.begin(record, body_hash)
        try:
            if not self.authorized():
                return
            if not isinstance(req, dict) or not isinstance(req.get("messages"), list) \
                    or not all(isinstance(m, dict) for m in req["messages"]):
                self.send_json(400, error_body(400, "body must be JSON with a messages list",
                                               "BadRequestError"))
                return
            if state.work_ms > 0:               # --single: the one thread is busy
                time.sleep(state.work_ms / 1000.0)
            if state.latency_ms > 0 and STOP.wait(state.latency_ms / 1000.0):
                self.close_connection = True          # shutting down: no answer
                return
            self.answer(req, mode, attempt, entry, body_hash)
        finally:
            state.end()

    def answer(self, req, mode, attempt, entry, body_hash):
        state = self.server.state
        flaky = re.fullmatch(r"flaky-(\d+)", mode)
        if flaky:
            mode = "503" if attempt <= int(flaky.group(1)) else "good"
        elif mode == "mixed":
            rng = random.Random(f"{state.seed}:{body_hash}:{attempt}")
            mode = rng.choice(MIXED_FAULTS) if rng.random() < state.fault_rate else "good"
        elif mode == "script":
            if entry is None or "mode" in entry:   # {"mode": "close"} acts as that mode once
                mode = entry["mode"] if entry else "good"
            else:
                return self.scripted(req, entry)
        if mode in ("json-fallback", "json-fallback-500"):
            if is_json_adapter(req["messages"]):
                mode = "json"
            elif mode == "json-fallback":
                return self.completion(req, "Sure! The seller did well overall.")
            else:
                mode = "500"
        if mode in ("500", "502", "503"):
            self.send_json(int(mode), error_body(int(mode), "upstream failure",
                                                 "InternalServerError"))
        elif mode == "429":
            self.send_json(429, {"error": {"message": "rate limited", "type": "rate_limit",
                                           "code": 429}}, {"Retry-After": "1"})
        elif mode == "400":
            self.send_json(400, error_body(400, "This model's maximum context length is "
                                           "4096 tokens", "BadRequestError"))
        elif mode == "bad-json":
            self.send_raw(200, '{"choices": [')
        elif mode == "close":
            self.close_connection = True    # handler returns, server closes the socket
        elif mode in ("hang", "hang2"):
            if STOP.wait(30 if mode == "hang" else 2):
                self.close_connection = True          # shutting down: no answer
            else:
                self.completion(req, content_for("good", req["messages"]))
        else:
            self.completion(req, content_for(mode, req["messages"]))

    def scripted(self, req, entry):
        """Script entry {"status", "content", "headers", "body"}; a raw body wins over content."""
        status, headers = int(entry.get("status", 200)), entry.get("headers") or {}
        if "body_hex" in entry:
            self.send_raw(status, bytes.fromhex(entry["body_hex"]), headers)
        elif "body" in entry:
            body = entry["body"]
            self.send_raw(status, body if isinstance(body, str) else json.dumps(body), headers)
        elif status == 200:
            content = entry.get("content")
            if content is None:
                content = content_for("good", req["messages"])
            self.completion(req, content, headers)
        else:
            self.send_json(status, error_body(status, entry.get("content") or "scripted error",
                                              "ScriptedError"), headers)

    def completion(self, req, content, headers=None):
        if self.server.state.echo_key:
            content = re.sub(r"(\[\[ ## (?:reasoning|\w*rationale) ## \]\]\n)",
                             lambda m: m.group(1) + "Echo: " + self.echo() + ". ", content)
        prompt_chars = sum(len(text_of(m)) for m in req["messages"])
        p, c = max(1, prompt_chars // 4), max(0, len(content) // 4)
        self.send_json(200, {
            "id": "chatcmpl-" + uuid.uuid4().hex, "object": "chat.completion",
            "created": int(time.time()), "model": req.get("model") or "test-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}},
            headers)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True


class SingleHandler(Handler):
    protocol_version = "HTTP/1.0"     # http.server's default: close after each answer


class SingleServer(HTTPServer):
    """One thread, one request at a time, listen(backlog): a saturable server."""
    allow_reuse_address = True


# ---------------------------------------------------------------- main
def main(argv=None):
    ap = argparse.ArgumentParser(description="Loopback OpenAI-compatible test LLM server")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--portfile")
    ap.add_argument("--log")
    ap.add_argument("--mode", default="good")
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--fault-rate", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--require-key")
    ap.add_argument("--single", action="store_true")
    ap.add_argument("--backlog", type=int, default=5)
    ap.add_argument("--work-ms", type=float, default=0.0)
    ap.add_argument("--echo-key", action="store_true")
    args = ap.parse_args(argv)
    if not is_valid_mode(args.mode):
        ap.error(f"unknown mode {args.mode!r}")
    if args.work_ms and not args.single:
        ap.error("--work-ms needs --single")

    if args.single:
        SingleServer.request_queue_size = args.backlog
        server = SingleServer(("127.0.0.1", args.port), SingleHandler)
    else:
        server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(args)
    stop_requested = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop_requested.set())
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    worker.start()
    port = server.server_address[1]
    if args.portfile:                       # atomic: readers never see a partial file
        tmp = f"{args.portfile}.tmp.{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.portfile)
    while not stop_requested.wait(0.2):
        pass
    STOP.set()                              # wake hanging / sleeping handlers
    server.shutdown()
    server.server_close()
    server.state.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
