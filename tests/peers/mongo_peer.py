#!/usr/bin/python3
"""Loopback MongoDB wire-protocol peer for curate's tests (Debian python3-mockupdb).

A small stateful in-memory "mongod" that libmongoc 1.23 accepts as a standalone
server: it answers the handshake (legacy OP_QUERY isMaster and OP_MSG hello), stores
documents per "db.coll" and implements the commands curate needs.

  mongo_peer.py [--port 0] --portfile FILE [--dump FILE] [--fail MODE]
                [--fail-times N] [--delay-ms N] [--user U --password P] [--verbose]
  mongo_peer.py --control PORT [--fail MODE] [--fail-times N] [--delay-ms N] [--reset]

Run it with /usr/bin/python3 (Debian's mockupdb 1.8 / pymongo 3.11 / bson).
Binds 127.0.0.1 only; exits 0 on SIGTERM/SIGINT.

Commands: hello / isMaster / ismaster, ping, buildInfo, endSessions, insert, update
(replacement or $set/$unset/$setOnInsert/$inc, upsert, multi), find (filter, projection,
sort, skip, limit, singleBatch: every result comes back in firstBatch with cursor id 0),
delete, drop, dropDatabase, createIndexes (accepted, not enforced), listIndexes,
listCollections, listDatabases, saslStart / saslContinue (SCRAM-SHA-1 and SCRAM-SHA-256
when --user is given), killCursors.  Anything else: ok 0, code 59 CommandNotFound.
Filters: equality on top-level or dotted fields (an array field matches when any
element is equal), $eq $ne $gt $gte $lt $lte $in $nin $exists, $and $or; other
operators are refused with code 2 BadValue.

--fail MODE (also settable at run time, see below):
  none        normal operation
  auth        every command but hello/isMaster/ping/buildInfo answers
              {ok: 0, errmsg: "Authentication failed.", code: 18, codeName: "AuthenticationFailed"}
  write       update and insert answer {ok: 0, code: 11000, codeName: "DuplicateKey",
              errmsg: "E11000 duplicate key error collection: DB.COLL index: ..."}; nothing stored
  writeerror  like write, but the way a real mongod reports it: {ok: 1, n: 0,
              writeErrors: [{index: 0, code: 11000, errmsg: "E11000 ..."}]}
  drop        the connection is closed when an update, insert or delete arrives; nothing stored
  slow        every reply is delayed by --delay-ms (default 1000)
--fail-times N: the mode applies to the next N affected commands only, then reverts
to "none" (default: for ever).

Run-time control: the command {curatePeerControl: 1, fail: MODE, times: N, delayMs: N,
reset: true} (any database, any subset of the fields) changes the mode and/or clears
the store, and answers {ok: 1, fail, times, delayMs}.  It is never failed or delayed.
`mongo_peer.py --control PORT --fail none` sends it from the shell (raw OP_MSG).

--dump FILE: the whole store is written to FILE (atomically: temp + rename) as MongoDB
Extended JSON, canonical mode, {"db.coll": [docs...]}, at start-up (an empty {}) and
after every write command, so tests can assert BSON types
(e.g. {"$date": {"$numberLong": "..."}}, {"$numberInt": "3"}).

--user U --password P: the peer then requires authentication the way mongod does:
the hello reply advertises SCRAM-SHA-1 and SCRAM-SHA-256 for U (saslSupportedMechs),
saslStart / saslContinue run a real SCRAM exchange (wrong user or password:
code 18 "Authentication failed."), and on a connection that has not authenticated
every command but the handshake ones answers code 13 Unauthorized "command X
requires authentication".  Limits: one user, valid for any authSource; speculative
authentication in the handshake is ignored (the client then falls back to
saslStart, as the spec allows); no authorization (roles) at all.

Other limits: no indexes (createIndexes is a no-op, so no unique constraint
except on _id), no getMore (results are never split into batches), no
transactions, no aggregate / count / distinct, w:0 writes are applied silently.
"""
import argparse
import base64
import copy
import datetime
import hashlib
import hmac
import json
import os
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import weakref
from collections import OrderedDict

import bson
from bson import json_util
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.binary import Binary
import mockupdb

FAIL_MODES = ("none", "auth", "write", "writeerror", "drop", "slow")
MAX_WIRE_VERSION = 17          # MongoDB 6.0; libmongoc 1.23 speaks up to 17
HANDSHAKE = ("hello", "ismaster")                       # compared lower-case
NO_AUTH_NEEDED = HANDSHAKE + ("ping", "buildinfo", "saslstart", "saslcontinue",
                              "endsessions", "getnonce", "logout", "curatepeercontrol")
WRITES = ("insert", "update", "delete")
MORE_TO_COME = mockupdb.OP_MSG_FLAGS["moreToCome"]


class CommandError(Exception):
    """Answered as {ok: 0, errmsg, code, codeName}."""

    def __init__(self, code, code_name, errmsg):
        super().__init__(errmsg)
        self.code, self.code_name, self.errmsg = code, code_name, errmsg


def bad_value(msg):
    return CommandError(2, "BadValue", msg)


# ------------------------------------------------------------------ matching
def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def values_equal(a, b):
    """BSON-ish equality: numbers compare by value across types, bool is not a
    number, embedded documents compare field by field in order."""
    if is_number(a) and is_number(b):
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        ia, ib = list(a.items()), list(b.items())
        return len(ia) == len(ib) and all(
            ka == kb and values_equal(va, vb) for (ka, va), (kb, vb) in zip(ia, ib))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    if type(a) is not type(b) and not (isinstance(a, type(b)) or isinstance(b, type(a))):
        return False
    return a == b


MISSING = object()


def get_path(doc, path):
    cur = doc
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return MISSING
    return cur


def compare_key(v):
    """Sort/compare key roughly following BSON's type order."""
    if v is MISSING or v is None:
        return (1, 0)
    if is_number(v):
        return (2, v)
    if isinstance(v, str):
        return (3, v)
    if isinstance(v, dict):
        return (4, repr(v))
    if isinstance(v, list):
        return (5, repr(v))
    if isinstance(v, bytes):
        return (6, v)
    if isinstance(v, ObjectId):
        return (7, v.binary)
    if isinstance(v, bool):
        return (8, v)
    if isinstance(v, datetime.datetime):
        return (9, v)
    return (10, repr(v))


def eq_or_contains(val, target):
    if isinstance(val, list) and not isinstance(target, list):
        return any(values_equal(x, target) for x in val) or False
    if val is MISSING:
        return target is None
    return values_equal(val, target)


def match_cond(val, cond):
    if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
        for op, arg in cond.items():
            if op == "$eq":
                ok = eq_or_contains(val, arg)
            elif op == "$ne":
                ok = not eq_or_contains(val, arg)
            elif op in ("$in", "$nin"):
                if not isinstance(arg, list):
                    raise bad_value("%s needs an array" % op)
                ok = any(eq_or_contains(val, a) for a in arg)
                ok = ok if op == "$in" else not ok
            elif op == "$exists":
                ok = (val is not MISSING) == bool(arg)
            elif op in ("$gt", "$gte", "$lt", "$lte"):
                cands = val if isinstance(val, list) else [val]
                ok = False
                for c in cands:
                    if c is MISSING:
                        continue
                    kc, ka = compare_key(c), compare_key(arg)
                    if kc[0] != ka[0]:
                        continue
                    ok = ok or {"$gt": kc > ka, "$gte": kc >= ka,
                                "$lt": kc < ka, "$lte": kc <= ka}[op]
            else:
                raise bad_value("unknown operator: %s (mongo_peer supports $eq $ne $gt "
                                "$gte $lt $lte $in $nin $exists $and $or)" % op)
            if not ok:
                return False
        return True
    return eq_or_contains(val, cond)


def matches(doc, flt):
    for key, cond in (flt or {}).items():
        if key in ("$and", "$or"):
            if not isinstance(cond, list) or not cond:
                raise bad_value("%s must be a nonempty array" % key)
            results = (matches(doc, sub) for sub in cond)
            if not (all(results) if key == "$and" else any(results)):
                return False
        elif key.startswith("$"):
            raise bad_value("unknown top level operator: %s" % key)
        elif not match_cond(get_path(doc, key), cond):
            return False
    return True


def encode(doc):
    return bson.BSON.encode(doc)


# ------------------------------------------------------------------ updates
def has_operators(u):
    return any(k.startswith("$") for k in u)


def with_id_first(doc, _id):
    out = OrderedDict([("_id", _id)])
    for k, v in doc.items():
        if k != "_id":
            out[k] = v
    return out


def set_path(doc, path, value):
    parts = path.split(".")
    cur = doc
    for p in parts[:-1]:
        nxt = cur.get(p)
        if not isinstance(nxt, dict):
            nxt = OrderedDict()
            cur[p] = nxt
        cur = nxt
    cur[parts[-1]] = value


def unset_path(doc, path):
    parts = path.split(".")
    cur = doc
    for p in parts[:-1]:
        cur = cur.get(p) if isinstance(cur, dict) else None
        if cur is None:
            return
    if isinstance(cur, dict):
        cur.pop(parts[-1], None)


def apply_operators(doc, u, inserting):
    for op, fields in u.items():
        if not isinstance(fields, dict):
            raise CommandError(9, "FailedToParse", "Modifiers operate on fields but we "
                               "found type %s instead" % type(fields).__name__)
        for path, value in fields.items():
            if path == "_id" or path.startswith("_id."):
                if op != "$setOnInsert" and not inserting:
                    raise CommandError(66, "ImmutableField", "Performing an update on the "
                                       "path '_id' would modify the immutable field '_id'")
            if op == "$set":
                set_path(doc, path, value)
            elif op == "$setOnInsert":
                if inserting:
                    set_path(doc, path, value)
            elif op == "$unset":
                unset_path(doc, path)
            elif op == "$inc":
                cur = get_path(doc, path)
                if cur is MISSING:
                    cur = 0
                if not is_number(cur) or not is_number(value):
                    raise CommandError(14, "TypeMismatch", "Cannot apply $inc to a "
                                       "value of non-numeric type")
                set_path(doc, path, cur + value)
            else:
                raise bad_value("Unknown modifier: %s (mongo_peer supports $set $unset "
                                "$setOnInsert $inc)" % op)


def query_equalities(q):
    """Top-level equality fields of a query, used to seed an upserted document."""
    out = OrderedDict()
    for k, v in (q or {}).items():
        if k.startswith("$"):
            continue
        if isinstance(v, dict) and v and all(x.startswith("$") for x in v):
            if "$eq" in v:
                out[k] = v["$eq"]
            continue
        out[k] = v
    return out


def project(doc, projection):
    if not projection:
        return doc
    include = [k for k, v in projection.items() if k != "_id" and v not in (0, False)]
    out = OrderedDict()
    if include:
        keep_id = projection.get("_id", 1) not in (0, False)
        for k, v in doc.items():
            if k in include or (k == "_id" and keep_id):
                out[k] = v
    else:
        for k, v in doc.items():
            if k not in projection:
                out[k] = v
    return out


# ------------------------------------------------------------------ SCRAM
def scram_parse(msg):
    out = {}
    for part in msg.split(","):
        if len(part) >= 2 and part[1] == "=":
            out[part[0]] = part[2:]
    return out


class Scram:
    """Server side of one SCRAM-SHA-1 / SCRAM-SHA-256 conversation (RFC 5802 / 7677)."""

    def __init__(self, mechanism, user, password, client_first):
        self.hash = hashlib.sha1 if mechanism == "SCRAM-SHA-1" else hashlib.sha256
        if not client_first.startswith("n,"):
            raise CommandError(18, "AuthenticationFailed", "Authentication failed.")
        self.gs2 = client_first[:client_first.index(",", 2) + 1]       # "n,,"
        self.client_first_bare = client_first[len(self.gs2):]
        attrs = scram_parse(self.client_first_bare)
        name = attrs.get("n", "").replace("=2C", ",").replace("=3D", "=")
        if name != user:
            raise CommandError(18, "AuthenticationFailed", "Authentication failed.")
        if mechanism == "SCRAM-SHA-1":   # MongoDB hashes the password first for SHA-1
            secret = hashlib.md5(("%s:mongo:%s" % (user, password)).encode()).hexdigest()
            self.iterations = 10000
        else:
            try:
                from pymongo.saslprep import saslprep
                secret = saslprep(password)
            except ImportError:
                secret = password
            self.iterations = 15000
        self.salt = os.urandom(16 if mechanism == "SCRAM-SHA-1" else 28)
        self.salted = hashlib.pbkdf2_hmac(self.hash().name, secret.encode(), self.salt,
                                          self.iterations)
        self.nonce = attrs.get("r", "") + base64.b64encode(os.urandom(24)).decode()
        self.server_first = "r=%s,s=%s,i=%d" % (
            self.nonce, base64.b64encode(self.salt).decode(), self.iterations)

    def _hmac(self, key, msg):
        return hmac.new(key, msg.encode(), self.hash).digest()

    def final(self, client_final):
        attrs = scram_parse(client_final)
        without_proof = client_final[:client_final.rfind(",p=")]
        if (attrs.get("r") != self.nonce
                or attrs.get("c") != base64.b64encode(self.gs2.encode()).decode()):
            raise CommandError(18, "AuthenticationFailed", "Authentication failed.")
        auth_message = ",".join((self.client_first_bare, self.server_first, without_proof))
        client_key = self._hmac(self.salted, "Client Key")
        stored_key = self.hash(client_key).digest()
        signature = self._hmac(stored_key, auth_message)
        try:
            proof = base64.b64decode(attrs.get("p", ""))
        except ValueError:
            proof = b""
        if len(proof) != len(signature) or not hmac.compare_digest(
                self.hash(bytes(a ^ b for a, b in zip(proof, signature))).digest(),
                stored_key):
            raise CommandError(18, "AuthenticationFailed", "Authentication failed.")
        server_key = self._hmac(self.salted, "Server Key")
        return "v=" + base64.b64encode(self._hmac(server_key, auth_message)).decode()


# ------------------------------------------------------------------ the peer
class Peer:
    def __init__(self, args):
        self.args = args
        self.lock = threading.RLock()
        self.store = OrderedDict()          # "db.coll" -> [OrderedDict docs]
        self.indexes = OrderedDict()        # "db.coll" -> [index specs]
        self.fail = args.fail
        self.fail_times = args.fail_times   # None: for ever
        self.delay_ms = args.delay_ms if args.delay_ms is not None else 1000
        self.conns = weakref.WeakKeyDictionary()    # socket -> per-connection state
        self.next_conn_id = 1
        self.server = mockupdb.MockupDB(port=args.port, request_timeout=int(1e6),
                                        auto_ismaster=None)
        # mockupdb binds "localhost"; pin the IPv4 loopback address explicitly.
        self.server._address = ("127.0.0.1", args.port)
        # One catch-all responder: mockupdb's auto_ismaster only matches the legacy
        # "ismaster" name (not "hello") and cannot be stateful, so the handshake is
        # answered here as well (see hello_reply).
        self.server.autoresponds(self.handle)

    # ---- logging / dump
    def log(self, msg):
        if self.args.verbose:
            sys.stderr.write("mongo_peer: %s\n" % msg)
            sys.stderr.flush()

    def dump(self):
        if not self.args.dump:
            return
        text = json_util.dumps(self.store, json_options=json_util.CANONICAL_JSON_OPTIONS)
        d = os.path.dirname(os.path.abspath(self.args.dump))
        fd, tmp = tempfile.mkstemp(prefix=".mongo_peer_dump.", dir=d)
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, self.args.dump)

    # ---- fail modes
    def consume_fail(self, mode):
        """True if fail mode MODE is active for this command (and count it)."""
        with self.lock:
            if self.fail != mode:
                return False
            if self.fail_times is not None:
                self.fail_times -= 1
                if self.fail_times <= 0:
                    self.fail, self.fail_times = "none", None
            return True

    def conn(self, request):
        sock = request._client
        st = self.conns.get(sock)
        if st is None:
            with self.lock:
                st = {"id": self.next_conn_id, "authenticated": False, "sasl": None}
                self.next_conn_id += 1
            self.conns[sock] = st
        return st

    # ---- entry point (runs on mockupdb's per-connection thread)
    def handle(self, request):
        try:
            self._handle(request)
        except (OSError, socket.error) as e:
            self.log("connection error: %s" % e)
            try:
                request._client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return True

    def _handle(self, request):
        if not request.is_command:
            self.log("legacy non-command opcode %s: hanging up" % request.opcode)
            request.hangup()
            return
        cmd = request.doc
        if "$query" in cmd and isinstance(cmd["$query"], dict):   # legacy wrapped command
            cmd = cmd["$query"]
        name = next(iter(cmd), "")
        lname = name.lower()
        db = request.namespace or "admin"
        no_reply = isinstance(request, mockupdb.OpMsg) and (request.flags or 0) & MORE_TO_COME
        st = self.conn(request)

        if lname == "curatepeercontrol":
            reply = self.control(cmd)
        elif self.fail == "drop" and lname in WRITES and self.consume_fail("drop"):
            self.log("conn %d: %s on %s.%s: dropping the connection"
                     % (st["id"], name, db, cmd.get(name)))
            request.hangup()
            return
        else:
            if self.fail == "slow" and self.consume_fail("slow"):
                # Sleep without holding mockupdb's server lock, so other
                # connections (and stop()) are not blocked meanwhile.
                with self.server._unlock():
                    time.sleep(self.delay_ms / 1000.0)
            try:
                reply = self.execute(request, st, db, name, lname, cmd)
            except CommandError as e:
                reply = OrderedDict([("ok", 0.0), ("errmsg", e.errmsg), ("code", e.code),
                                     ("codeName", e.code_name)])
            except Exception as e:   # a peer bug must not kill the connection thread
                self.log("internal error on %s: %r" % (name, e))
                reply = OrderedDict([("ok", 0.0), ("errmsg", "mongo_peer internal error: %r"
                                                   % (e,)), ("code", 1),
                                     ("codeName", "InternalError")])
        target = cmd.get(name)
        where = "%s.%s" % (db, target) if isinstance(target, str) else db
        self.log("conn %d: %s %s -> %s" % (st["id"], name, where, "ok" if reply.get("ok")
                                           else "%s %s" % (reply.get("code"), reply.get("errmsg"))))
        if no_reply:
            return
        request.replies(reply)

    def execute(self, request, st, db, name, lname, cmd):
        if lname in HANDSHAKE:
            return self.hello_reply(request, st, cmd)
        if self.fail == "auth" and lname not in ("ping", "buildinfo") \
                and self.consume_fail("auth"):
            raise CommandError(18, "AuthenticationFailed", "Authentication failed.")
        if self.args.user and not st["authenticated"] and lname not in NO_AUTH_NEEDED:
            raise CommandError(13, "Unauthorized",
                               "command %s requires authentication" % name)
        fn = getattr(self, "cmd_" + lname, None)
        if fn is None:
            raise CommandError(59, "CommandNotFound", "no such command: '%s'" % name)
        return fn(db, cmd, st)

    def hello_reply(self, request, st, cmd):
        reply = OrderedDict()
        if cmd.get("helloOk") or next(iter(cmd)) == "hello":
            reply["helloOk"] = True
        reply["ismaster"] = True
        reply["isWritablePrimary"] = True
        # No topologyVersion: libmongoc then never uses awaitable (streaming) hello.
        reply["maxBsonObjectSize"] = 16777216
        reply["maxMessageSizeBytes"] = 48000000
        reply["maxWriteBatchSize"] = 100000
        reply["localTime"] = datetime.datetime.utcnow()
        reply["logicalSessionTimeoutMinutes"] = 30
        reply["connectionId"] = st["id"]
        reply["minWireVersion"] = 0
        reply["maxWireVersion"] = MAX_WIRE_VERSION
        reply["readOnly"] = False
        mechs_for = cmd.get("saslSupportedMechs")
        if self.args.user and isinstance(mechs_for, str) \
                and mechs_for.split(".", 1)[-1] == self.args.user:
            reply["saslSupportedMechs"] = ["SCRAM-SHA-1", "SCRAM-SHA-256"]
        reply["ok"] = 1.0
        return reply

    # ---- control
    def control(self, cmd):
        with self.lock:
            if "fail" in cmd:
                mode = cmd["fail"]
                if mode not in FAIL_MODES:
                    return OrderedDict([("ok", 0.0), ("errmsg", "unknown fail mode %r" % mode),
                                        ("code", 2), ("codeName", "BadValue")])
                self.fail = mode
                self.fail_times = None
            if "times" in cmd:
                t = cmd["times"]
                self.fail_times = int(t) if t is not None and int(t) > 0 else None
            if "delayMs" in cmd:
                self.delay_ms = int(cmd["delayMs"])
            if cmd.get("reset"):
                self.store.clear()
                self.indexes.clear()
                self.dump()
            return OrderedDict([("fail", self.fail), ("times", self.fail_times),
                                ("delayMs", self.delay_ms), ("ok", 1.0)])

    # ---- plain commands
    def cmd_ping(self, db, cmd, st):
        return OrderedDict([("ok", 1.0)])

    def cmd_buildinfo(self, db, cmd, st):
        return OrderedDict([("version", "6.0.0"), ("gitVersion", "mongo_peer"),
                            ("versionArray", [6, 0, 0, 0]), ("bits", 64),
                            ("maxBsonObjectSize", 16777216), ("ok", 1.0)])

    def cmd_endsessions(self, db, cmd, st):
        return OrderedDict([("ok", 1.0)])

    def cmd_killcursors(self, db, cmd, st):
        return OrderedDict([("cursorsKilled", []), ("cursorsNotFound", cmd.get("cursors", [])),
                            ("cursorsAlive", []), ("cursorsUnknown", []), ("ok", 1.0)])

    def cmd_getmore(self, db, cmd, st):
        raise CommandError(43, "CursorNotFound", "cursor id %s not found" % cmd.get("getMore"))

    def cmd_logout(self, db, cmd, st):
        st["authenticated"] = False
        return OrderedDict([("ok", 1.0)])

    # ---- SCRAM
    def cmd_saslstart(self, db, cmd, st):
        mech = cmd.get("mechanism")
        if not self.args.user:
            raise CommandError(18, "AuthenticationFailed", "Authentication failed.")
        if mech not in ("SCRAM-SHA-1", "SCRAM-SHA-256"):
            raise CommandError(2, "BadValue", "Unsupported mechanism %s" % mech)
        payload = bytes(cmd.get("payload", b"")).decode("utf-8", "replace")
        scram = Scram(mech, self.args.user, self.args.password or "", payload)
        opts = cmd.get("options") or {}
        st["sasl"] = {"scram": scram, "step": 1,
                      "skip_empty": bool(opts.get("skipEmptyExchange"))}
        return OrderedDict([("conversationId", 1), ("done", False),
                            ("payload", Binary(scram.server_first.encode())), ("ok", 1.0)])

    def cmd_saslcontinue(self, db, cmd, st):
        conv = st.get("sasl")
        if not conv:
            raise CommandError(17, "ProtocolError", "No SASL session state found")
        payload = bytes(cmd.get("payload", b"")).decode("utf-8", "replace")
        if conv["step"] == 1:
            try:
                server_final = conv["scram"].final(payload)
            except CommandError:
                st["sasl"] = None
                raise
            conv["step"] = 2
            done = conv["skip_empty"]
            if done:
                st["authenticated"], st["sasl"] = True, None
            return OrderedDict([("conversationId", 1), ("done", done),
                                ("payload", Binary(server_final.encode())), ("ok", 1.0)])
        st["authenticated"], st["sasl"] = True, None
        return OrderedDict([("conversationId", 1), ("done", True),
                            ("payload", Binary(b"")), ("ok", 1.0)])

    # ---- data commands
    def ns(self, db, cmd, name):
        coll = cmd.get(name)
        if not isinstance(coll, str) or not coll:
            raise CommandError(73, "InvalidNamespace",
                               "collection name has invalid type %s" % type(coll).__name__)
        return "%s.%s" % (db, coll)

    @staticmethod
    def dup_key_msg(ns, index, key):
        """mongod's wording, e.g. ... index: type_1 dup key: { type: "x" }"""
        def show(v):
            return json.dumps(v) if isinstance(v, str) else json_util.dumps(v)
        shown = ", ".join("%s: %s" % (k, show(v)) for k, v in key.items())
        return ("E11000 duplicate key error collection: %s index: %s dup key: { %s }"
                % (ns, index, shown))

    def write_fail(self, ns, docs_or_key):
        """Shared by insert/update for --fail write / writeerror."""
        key = OrderedDict([("type", docs_or_key)]) if docs_or_key is not None else {}
        msg = self.dup_key_msg(ns, "type_1", key)
        if self.fail == "write" and self.consume_fail("write"):
            raise CommandError(11000, "DuplicateKey", msg)
        if self.fail == "writeerror" and self.consume_fail("writeerror"):
            return OrderedDict([("n", 0), ("nModified", 0), ("writeErrors", [OrderedDict([
                ("index", 0), ("code", 11000), ("keyPattern", {"type": 1}),
                ("keyValue", key), ("errmsg", msg)])]), ("ok", 1.0)])
        return None

    def cmd_insert(self, db, cmd, st):
        ns = self.ns(db, cmd, "insert")
        docs = cmd.get("documents") or []
        first = docs[0].get("type") if docs and isinstance(docs[0], dict) else None
        failed = self.write_fail(ns, first)
        if failed:
            return failed
        ordered = cmd.get("ordered", True)
        n, errors = 0, []
        with self.lock:
            coll = self.store.setdefault(ns, [])
            for i, doc in enumerate(docs):
                _id = doc["_id"] if "_id" in doc else ObjectId()
                if any(values_equal(d.get("_id"), _id) for d in coll):
                    errors.append(OrderedDict([
                        ("index", i), ("code", 11000), ("keyPattern", {"_id": 1}),
                        ("keyValue", {"_id": _id}),
                        ("errmsg", self.dup_key_msg(ns, "_id_", {"_id": _id}))]))
                    if ordered:
                        break
                    continue
                coll.append(with_id_first(copy.deepcopy(doc), _id))
                n += 1
            self.dump()
        reply = OrderedDict([("n", n)])
        if errors:
            reply["writeErrors"] = errors
        reply["ok"] = 1.0
        return reply

    def cmd_update(self, db, cmd, st):
        ns = self.ns(db, cmd, "update")
        updates = cmd.get("updates") or []
        first = None
        if updates and isinstance(updates[0].get("q"), dict):
            first = updates[0]["q"].get("type")
        failed = self.write_fail(ns, first)
        if failed:
            return failed
        ordered = cmd.get("ordered", True)
        n = n_modified = 0
        upserted, errors = [], []
        with self.lock:
            coll = self.store.setdefault(ns, [])
            for i, spec in enumerate(updates):
                try:
                    res = self.one_update(coll, spec)
                except CommandError as e:
                    errors.append(OrderedDict([("index", i), ("code", e.code),
                                               ("codeName", e.code_name), ("errmsg", e.errmsg)]))
                    if ordered:
                        break
                    continue
                n += res[0]
                n_modified += res[1]
                if res[2] is not MISSING:      # mongod counts an upsert in n, too
                    n += 1
                    upserted.append(OrderedDict([("index", i), ("_id", res[2])]))
            self.dump()
        reply = OrderedDict([("n", n)])
        if upserted:
            reply["upserted"] = upserted
        reply["nModified"] = n_modified
        if errors:
            reply["writeErrors"] = errors
        reply["ok"] = 1.0
        return reply

    def one_update(self, coll, spec):
        """-> (matched, modified, upserted _id or MISSING)."""
        q, u = spec.get("q") or {}, spec.get("u")
        if isinstance(u, list):
            raise bad_value("mongo_peer does not support pipeline updates")
        if not isinstance(u, dict):
            raise CommandError(9, "FailedToParse", "Update argument must be a document")
        operators = has_operators(u)
        if operators and not all(k.startswith("$") for k in u):
            raise bad_value("cannot mix update operators and replacement fields")
        if not operators and spec.get("multi"):
            raise CommandError(9, "FailedToParse", "multi update is not supported for "
                               "replacement-style update")
        hits = [i for i, d in enumerate(coll) if matches(d, q)]
        if not spec.get("multi"):
            hits = hits[:1]
        if hits:
            modified = 0
            for i in hits:
                old = coll[i]
                if operators:
                    new = copy.deepcopy(old)
                    apply_operators(new, u, inserting=False)
                else:
                    if "_id" in u and not values_equal(u["_id"], old["_id"]):
                        raise CommandError(66, "ImmutableField",
                                           "After applying the update, the (immutable) field "
                                           "'_id' was found to have been altered to _id: %s"
                                           % json_util.dumps(u["_id"]))
                    new = with_id_first(copy.deepcopy(u), old["_id"])
                if encode(new) != encode(old):
                    coll[i] = new
                    modified += 1
            return len(hits), modified, MISSING
        if not spec.get("upsert"):
            return 0, 0, MISSING
        if operators:
            new = copy.deepcopy(query_equalities(q))
            apply_operators(new, u, inserting=True)
        else:
            new = copy.deepcopy(u)
            eq = query_equalities(q)
            if "_id" not in new and "_id" in eq:
                new["_id"] = eq["_id"]
        _id = new["_id"] if "_id" in new else ObjectId()
        new = with_id_first(new, _id)
        coll.append(new)
        return 0, 0, _id

    def cmd_delete(self, db, cmd, st):
        ns = self.ns(db, cmd, "delete")
        n = 0
        with self.lock:
            coll = self.store.get(ns, [])
            for spec in cmd.get("deletes") or []:
                q, limit = spec.get("q") or {}, spec.get("limit", 0)
                hits = [i for i, d in enumerate(coll) if matches(d, q)]
                if limit:
                    hits = hits[:1]
                for i in reversed(hits):
                    del coll[i]
                n += len(hits)
            self.dump()
        return OrderedDict([("n", n), ("ok", 1.0)])

    def cmd_find(self, db, cmd, st):
        ns = self.ns(db, cmd, "find")
        flt = cmd.get("filter") or {}
        with self.lock:
            docs = [d for d in self.store.get(ns, []) if matches(d, flt)]
            docs = copy.deepcopy(docs)
        sort = cmd.get("sort") or {}
        for key, direction in reversed(list(sort.items())):
            docs.sort(key=lambda d: compare_key(get_path(d, key)),
                      reverse=(direction == -1))
        skip = int(cmd.get("skip", 0) or 0)
        limit = abs(int(cmd.get("limit", 0) or 0))
        docs = docs[skip:]
        if limit:
            docs = docs[:limit]
        docs = [project(d, cmd.get("projection")) for d in docs]
        return OrderedDict([("cursor", OrderedDict([("firstBatch", docs), ("id", Int64(0)),
                                                    ("ns", ns)])), ("ok", 1.0)])

    def cmd_drop(self, db, cmd, st):
        ns = self.ns(db, cmd, "drop")
        with self.lock:
            if ns not in self.store:
                raise CommandError(26, "NamespaceNotFound", "ns not found")
            n = len(self.indexes.pop(ns, [])) + 1
            del self.store[ns]
            self.dump()
        return OrderedDict([("nIndexesWas", n), ("ns", ns), ("ok", 1.0)])

    def cmd_dropdatabase(self, db, cmd, st):
        with self.lock:
            for ns in [k for k in self.store if k.split(".", 1)[0] == db]:
                del self.store[ns]
                self.indexes.pop(ns, None)
            self.dump()
        return OrderedDict([("dropped", db), ("ok", 1.0)])

    def cmd_createindexes(self, db, cmd, st):
        ns = self.ns(db, cmd, "createIndexes")
        with self.lock:
            created = ns not in self.store
            self.store.setdefault(ns, [])
            have = self.indexes.setdefault(ns, [])
            before = len(have) + 1
            for spec in cmd.get("indexes") or []:
                if not any(h.get("name") == spec.get("name") for h in have):
                    have.append(spec)
            self.dump()
            return OrderedDict([("createdCollectionAutomatically", created),
                                ("numIndexesBefore", before),
                                ("numIndexesAfter", len(have) + 1), ("ok", 1.0)])

    def cmd_listindexes(self, db, cmd, st):
        ns = self.ns(db, cmd, "listIndexes")
        with self.lock:
            if ns not in self.store:
                raise CommandError(26, "NamespaceNotFound", "ns does not exist: %s" % ns)
            specs = [OrderedDict([("v", 2), ("key", {"_id": 1}), ("name", "_id_")])]
            specs += [OrderedDict([("v", 2)] + list(s.items())) for s in self.indexes.get(ns, [])]
        return OrderedDict([("cursor", OrderedDict([("firstBatch", specs), ("id", Int64(0)),
                                                    ("ns", ns)])), ("ok", 1.0)])

    def cmd_listcollections(self, db, cmd, st):
        with self.lock:
            names = [k.split(".", 1)[1] for k in self.store if k.split(".", 1)[0] == db]
        flt = cmd.get("filter") or {}
        batch = [OrderedDict([("name", n), ("type", "collection"), ("options", {}),
                              ("info", {"readOnly": False})]) for n in names]
        batch = [b for b in batch if matches(b, flt)]
        if cmd.get("nameOnly"):
            batch = [OrderedDict([("name", b["name"]), ("type", b["type"])]) for b in batch]
        return OrderedDict([("cursor", OrderedDict([("firstBatch", batch), ("id", Int64(0)),
                                                    ("ns", db + ".$cmd.listCollections")])),
                            ("ok", 1.0)])

    def cmd_listdatabases(self, db, cmd, st):
        with self.lock:
            names = list(OrderedDict.fromkeys(k.split(".", 1)[0] for k in self.store))
        return OrderedDict([("databases", [OrderedDict([("name", n), ("sizeOnDisk", 0),
                                                         ("empty", False)]) for n in names]),
                            ("totalSize", 0), ("ok", 1.0)])

    # ---- lifecycle
    def run(self):
        port = self.server.run()
        self.dump()
        return port

    def stop(self):
        self.server.stop()


# ------------------------------------------------------------------ CLI
def write_atomic(path, text):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".mongo_peer_port.", dir=d)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def send_control(port, fields):
    """Send {curatePeerControl: 1, ...} as a raw OP_MSG on admin; return the reply."""
    doc = OrderedDict([("curatePeerControl", 1)])
    doc.update(fields)
    doc["$db"] = "admin"
    body = struct.pack("<I", 0) + b"\x00" + encode(doc)
    msg = struct.pack("<iiii", 16 + len(body), 1, 0, mockupdb.OP_MSG) + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(msg)
        data = b""
        while len(data) < 4 or len(data) < struct.unpack("<i", data[:4])[0]:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("mongo_peer closed the connection")
            data += chunk
    return bson.decode_all(data[21:])[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Loopback MongoDB wire-protocol peer for tests.")
    ap.add_argument("--port", type=int, default=0, help="listening port (0: pick one)")
    ap.add_argument("--portfile", help="write the bound port here once listening")
    ap.add_argument("--dump", help="write the store as canonical Extended JSON after writes")
    ap.add_argument("--fail", choices=FAIL_MODES, default=None)
    ap.add_argument("--fail-times", type=int, default=None,
                    help="apply --fail to the next N affected commands only")
    ap.add_argument("--delay-ms", type=int, default=None, help="reply delay for --fail slow")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--verbose", "-v", action="store_true", help="log each command to stderr")
    ap.add_argument("--control", type=int, metavar="PORT",
                    help="client mode: send curatePeerControl (--fail/--fail-times/"
                         "--delay-ms/--reset) to a running peer and exit")
    ap.add_argument("--reset", action="store_true", help="with --control: clear the store")
    args = ap.parse_args(argv)

    if args.control is not None:
        fields = OrderedDict()
        if args.fail is not None:
            fields["fail"] = args.fail
        if args.fail_times is not None:
            fields["times"] = args.fail_times
        if args.delay_ms is not None:
            fields["delayMs"] = args.delay_ms
        if args.reset:
            fields["reset"] = True
        reply = send_control(args.control, fields)
        print(json_util.dumps(reply))
        return 0 if reply.get("ok") else 1

    if not args.portfile:
        ap.error("--portfile is required")
    if args.user and args.password is None:
        ap.error("--user needs --password")
    if args.fail is None:
        args.fail = "none"
    if args.fail_times is not None and args.fail_times <= 0:
        args.fail_times = None

    stop_requested = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop_requested.set())

    peer = Peer(args)
    port = peer.run()
    write_atomic(args.portfile, "%d\n" % port)
    peer.log("listening on 127.0.0.1:%d (fail=%s)" % (port, args.fail))
    while not stop_requested.wait(0.5):
        pass
    peer.log("stopping")
    peer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
