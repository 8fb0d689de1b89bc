#!/usr/bin/env python3
"""A small FHIR R4 server for the delivery tests and benchmarks: it accepts transaction Bundles of
conditional creates (`POST` entries with `ifNoneExist: identifier=SYSTEM|VALUE`), as the agent's
`fhir` sink sends them, stores them in SQLite, and fails on command.

It behaves as a real FHIR server does for these requests: a transaction is atomic (one entry
that fails fails them all, and nothing of it is stored), each resource is validated with the
third-party fhir.resources models and the vital-signs rules of ../Validator/validate_fhir.py,
and a resource whose identifier is already stored is not created again (`200 OK` with the
existing location instead of `201 Created`).

Admin paths (never behind auth): `POST /_control` queues faults (500, 503, 429, timeout, drop,
drop-before, 400) and identifiers to refuse for ever, `GET /_stats` counts, `GET /_dump` lists
what is stored. See README.md beside this file.

usage: fhir_endpoint.py --db PATH [--host 127.0.0.1] [--port 0] [--port-file FILE]
                        [--tls-cert PEM --tls-key PEM [--client-ca PEM]] [--bearer TOKEN]
                        [--oauth-client ID:SECRET] [--token-lifetime SECONDS] [--no-validate]
prints `listening PORT` once bound; runs until SIGTERM or SIGINT, then exits 0.
Nothing of the resources is ever printed: with --verbose, one line per request (method, path
without query, status, duration) goes to stderr.
"""
import argparse
import base64
import binascii
import collections
import gc
import hmac
import json
import math
import os
import secrets
import signal
import socket
import socketserver
import sqlite3
import ssl
import struct
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit

VALIDATOR_DIR = Path(__file__).resolve().parent.parent / "Validator"

FHIR_JSON = "application/fhir+json"
PLAIN_JSON = "application/json"
ADMIN_PATHS = {"/_control", "/_stats", "/_dump"}
MAX_BODY = 256 * 1024 * 1024
MAX_ISSUES = 100
IDLE_TIMEOUT = 300.0
HANDSHAKE_TIMEOUT = 10.0
FAULT_MODES = {"500", "503", "429", "timeout", "drop", "drop-before", "400"}


def now_instant():
    """The current time as a FHIR instant (UTC, milliseconds)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)  # parsed JSON has no cycles


def dumps(value):
    """Compact JSON bytes."""
    return ENCODER.encode(value).encode("utf-8")


# MARK: - Errors and OperationOutcomes


def issue(code, diagnostics, expression=None, severity="error"):
    """One OperationOutcome.issue."""
    item = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        item["expression"] = [expression]
    return item


def operation_outcome(issues):
    """An OperationOutcome resource carrying `issues`."""
    return {"resourceType": "OperationOutcome", "issue": issues}


class FHIRError(Exception):
    """A request refused with an HTTP status and an OperationOutcome."""

    def __init__(self, status, issues, headers=(), kind=None):
        super().__init__(issues[0]["diagnostics"] if issues else str(status))
        self.status = status
        self.issues = issues
        self.headers = list(headers)
        self.kind = kind  # how /_stats counts it when not by status


def invalid(diagnostics, expression=None, code="invalid", status=400):
    """A FHIRError with one issue."""
    return FHIRError(status, [issue(code, diagnostics, expression)])


# MARK: - Storage


SCHEMA = """
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY,
    committed_at TEXT NOT NULL,
    entries INTEGER NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS resources (
    id INTEGER PRIMARY KEY,          -- the server id
    type TEXT NOT NULL,
    identifier TEXT,                 -- system|value of the first identifier
    json TEXT NOT NULL,
    txn INTEGER NOT NULL REFERENCES transactions(id)
);
CREATE INDEX IF NOT EXISTS resources_by_identifier ON resources(type, identifier);
-- every identifier of every resource: what conditional create and search look up
CREATE TABLE IF NOT EXISTS identifiers (
    type TEXT NOT NULL,
    token TEXT NOT NULL,
    resource INTEGER NOT NULL REFERENCES resources(id)
);
CREATE INDEX IF NOT EXISTS identifiers_by_token ON identifiers(type, token);
"""


class Pending:
    """A checked entry of a transaction, ready to be stored."""

    __slots__ = ("index", "type", "token", "tokens", "resource")

    def __init__(self, index, resource_type, token, tokens, resource):
        self.index = index
        self.type = resource_type
        self.token = token      # the ifNoneExist token
        self.tokens = tokens    # every identifier token of the resource, first one first
        self.resource = resource


def location(resource_type, resource_id):
    """The versioned location of a stored resource (resources are never updated: version 1)."""
    return f"{resource_type}/{resource_id}/_history/1"


class Store:
    """The SQLite database. One connection, used under a lock: transactions are serialised."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self):
        with self.lock:
            self.db.close()

    def commit(self, entries):
        """Stores a transaction's entries atomically, as conditional creates. Returns the
        transaction number and, per entry, (created, server id, lastModified)."""
        stamp = now_instant()
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                number, results = self._store(entries, stamp)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return number, results

    def _store(self, entries, stamp):
        """The body of `commit`, inside the SQLite transaction."""
        db = self.db
        number = db.execute("INSERT INTO transactions(committed_at, entries, created) VALUES (?, ?, 0)",
                            (stamp, len(entries))).lastrowid
        next_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM resources").fetchone()[0] + 1
        known = self._find(entries)  # stored before, then also those created earlier in this Bundle
        results, resource_rows, identifier_rows = [], [], []
        for entry in entries:
            existing = known.get((entry.type, entry.token))
            if existing is not None:
                results.append((False, existing[0], existing[1]))
                continue
            resource_id, next_id = next_id, next_id + 1
            text = ENCODER.encode(with_server_fields(entry.resource, resource_id, stamp))
            resource_rows.append((resource_id, entry.type, entry.tokens[0] if entry.tokens else None, text, number))
            for token in dict.fromkeys(entry.tokens):
                identifier_rows.append((entry.type, token, resource_id))
                known.setdefault((entry.type, token), (resource_id, stamp))
            results.append((True, resource_id, stamp))
        db.executemany("INSERT INTO resources(id, type, identifier, json, txn) VALUES (?, ?, ?, ?, ?)", resource_rows)
        db.executemany("INSERT INTO identifiers(type, token, resource) VALUES (?, ?, ?)", identifier_rows)
        db.execute("UPDATE transactions SET created = ? WHERE id = ?", (len(resource_rows), number))
        return number, results

    def _find(self, entries, chunk=500):
        """{(type, token): (server id, lastModified)} of the stored resources the entries'
        ifNoneExist tokens name (the first stored one if, against the rules, there are several)."""
        wanted = collections.defaultdict(set)
        for entry in entries:
            wanted[entry.type].add(entry.token)
        found = {}
        for resource_type, tokens in wanted.items():
            tokens = sorted(tokens)
            for start in range(0, len(tokens), chunk):
                part = tokens[start:start + chunk]
                rows = self.db.execute(
                    "SELECT i.token, r.id, t.committed_at FROM identifiers i"
                    " JOIN resources r ON r.id = i.resource JOIN transactions t ON t.id = r.txn"
                    f" WHERE i.type = ? AND i.token IN ({','.join('?' * len(part))}) ORDER BY r.id",
                    (resource_type, *part)).fetchall()
                for token, resource_id, stamp in rows:
                    found.setdefault((resource_type, token), (resource_id, stamp))
        return found

    def search(self, resource_type, token=None, limit=1000):
        """(total, [resource]) of that type, with that identifier token if given."""
        with self.lock:
            if token is None:
                total = self.db.execute("SELECT COUNT(*) FROM resources WHERE type = ?", (resource_type,)).fetchone()[0]
                rows = self.db.execute("SELECT json FROM resources WHERE type = ? ORDER BY id LIMIT ?",
                                       (resource_type, limit)).fetchall()
            else:
                rows = self.db.execute(
                    "SELECT DISTINCT r.id, r.json FROM identifiers i JOIN resources r ON r.id = i.resource"
                    " WHERE i.type = ? AND i.token = ? ORDER BY r.id", (resource_type, token)).fetchall()
                total, rows = len(rows), [(row[1],) for row in rows[:limit]]
        return total, [json.loads(row[0]) for row in rows]

    def read(self, resource_type, resource_id):
        """The stored resource, or None."""
        with self.lock:
            row = self.db.execute("SELECT json FROM resources WHERE type = ? AND id = ?",
                                  (resource_type, resource_id)).fetchone()
        return json.loads(row[0]) if row else None

    def dump(self, resource_type=None):
        """Every stored resource (of that type), in server id order."""
        query = "SELECT id, type, identifier, txn, json FROM resources"
        with self.lock:
            if resource_type:
                rows = self.db.execute(query + " WHERE type = ? ORDER BY id", (resource_type,)).fetchall()
            else:
                rows = self.db.execute(query + " ORDER BY id").fetchall()
        return [{"id": row[0], "type": row[1], "identifier": row[2], "transaction": row[3],
                 "resource": json.loads(row[4])} for row in rows]

    def counts(self):
        """({type: count}, number of (type, first identifier) stored more than once)."""
        with self.lock:
            types = dict(self.db.execute("SELECT type, COUNT(*) FROM resources GROUP BY type").fetchall())
            duplicates = self.db.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM resources WHERE identifier IS NOT NULL"
                " GROUP BY type, identifier HAVING COUNT(*) > 1)").fetchone()[0]
        return types, duplicates


def with_server_fields(resource, resource_id, stamp):
    """The resource as the server stores it: its own id and meta.versionId/lastUpdated."""
    meta = dict(resource["meta"]) if isinstance(resource.get("meta"), dict) else {}
    meta.update(versionId="1", lastUpdated=stamp)
    stored = {"resourceType": resource["resourceType"], "id": str(resource_id), "meta": meta}
    stored.update((key, value) for key, value in resource.items() if key not in stored)
    return stored


# MARK: - Faults, auth and statistics


class Faults:
    """The fault queue and the identifiers refused for ever, set through /_control."""

    def __init__(self):
        self.lock = threading.Lock()
        self.queue = collections.deque()
        self.rejected = set()

    def configure(self, command):
        """Applies a /_control command: `clear` first, then `faults` and `reject_identifier`."""
        if not isinstance(command, dict):
            raise ValueError("the command is not a JSON object")
        faults = [parse_fault(fault) for fault in command.get("faults", [])]
        rejected = command.get("reject_identifier", [])
        rejected = [rejected] if isinstance(rejected, str) else rejected
        if not isinstance(rejected, list) or not all(isinstance(value, str) for value in rejected):
            raise ValueError("reject_identifier must be a string or a list of strings")
        with self.lock:
            if command.get("clear"):
                self.queue.clear()
                self.rejected.clear()
            self.queue.extend(faults)
            self.rejected.update(rejected)

    def take(self):
        """The head fault (its count decremented; removed at zero), or None."""
        with self.lock:
            if not self.queue:
                return None
            head = self.queue[0]
            head["count"] -= 1
            if head["count"] <= 0:
                self.queue.popleft()
            return dict(head)

    def rejected_values(self):
        with self.lock:
            return frozenset(self.rejected)

    def state(self):
        """What /_control answers: the pending faults (remaining counts) and refused identifiers."""
        with self.lock:
            return {"faults": [dict(fault) for fault in self.queue], "reject_identifier": sorted(self.rejected)}


def parse_fault(fault):
    """A checked fault of a /_control command: mode, count (default 1), retry_after, seconds."""
    if not isinstance(fault, dict) or str(fault.get("mode")) not in FAULT_MODES:
        raise ValueError(f"a fault needs a mode among {sorted(FAULT_MODES)}")
    parsed = {"mode": str(fault["mode"]), "count": fault.get("count", 1)}
    if not isinstance(parsed["count"], int) or parsed["count"] < 1:
        raise ValueError("a fault's count must be a positive integer")
    for key in ("retry_after", "seconds"):
        if key in fault:
            if not isinstance(fault[key], (int, float)) or fault[key] < 0:
                raise ValueError(f"a fault's {key} must be a number of seconds")
            parsed[key] = fault[key]
    return parsed


class Auth:
    """Bearer tokens: a fixed one (--bearer) and/or those issued by POST /token (--oauth-client)."""

    def __init__(self, bearer=None, oauth_client=None, lifetime=3600):
        self.bearer = bearer
        self.client = tuple(oauth_client.split(":", 1)) if oauth_client else None
        self.lifetime = lifetime
        self.lock = threading.Lock()
        self.issued = {}  # token -> monotonic expiry

    @property
    def required(self):
        return bool(self.bearer or self.client)

    def check(self, header):
        """None if the Authorization header grants access, else why not (for WWW-Authenticate)."""
        if not self.required:
            return None
        scheme, _, token = (header or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return "no bearer token"
        if self.bearer and hmac.compare_digest(token.encode(), self.bearer.encode()):
            return None
        with self.lock:
            expiry = self.issued.get(token)
            if expiry is not None and expiry <= time.monotonic():
                del self.issued[token]
                return "the access token expired"
        return None if expiry is not None else "the access token is not valid"

    def authenticate_client(self, client_id, secret):
        """Whether the OAuth2 client credentials are the configured ones."""
        expected_id, expected_secret = self.client
        return (hmac.compare_digest(client_id.encode(), expected_id.encode())
                & hmac.compare_digest(secret.encode(), expected_secret.encode()))

    def issue_token(self):
        """A new random access token, valid for the configured lifetime."""
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self.lock:
            self.issued = {key: expiry for key, expiry in self.issued.items() if expiry > now}
            self.issued[token] = now + self.lifetime
        return token


class Stats:
    """Counters for /_stats (since this process started; what is stored comes from the database)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.transactions = 0
        self.failed = collections.Counter()
        self.entries_created = 0
        self.entries_existing = 0
        self.token_requests = 0
        self.token_failures = 0
        self.auth_failures = 0
        self.tls_failures = 0
        self.validation_errors = collections.deque(maxlen=50)

    def add(self, **counts):
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def fail(self, key, messages=()):
        with self.lock:
            self.failed[str(key)] += 1
            self.validation_errors.extend(messages)

    def snapshot(self, store):
        types, duplicates = store.counts()
        with self.lock:
            return {"transactions": self.transactions, "failed": dict(self.failed),
                    "entries_created": self.entries_created, "entries_existing": self.entries_existing,
                    "resources": types, "duplicates": duplicates, "token_requests": self.token_requests,
                    "token_failures": self.token_failures, "auth_failures": self.auth_failures,
                    "tls_failures": self.tls_failures, "validation_errors": list(self.validation_errors)}


# MARK: - Checking a transaction


class Validator:
    """fhir.resources and the vital-signs rules, imported from ../Validator/validate_fhir.py."""

    def __init__(self):
        sys.path.insert(0, str(VALIDATOR_DIR))
        import validate_fhir  # noqa: E402  (needs the path above)
        self.module = validate_fhir

    def bundle_issues(self, bundle):
        """Issues of the Bundle itself, its entries' resources left out (checked one by one)."""
        shell = {key: value for key, value in bundle.items() if key != "entry"}
        if isinstance(bundle.get("entry"), list):
            shell["entry"] = [{key: value for key, value in entry.items() if key != "resource"}
                              if isinstance(entry, dict) else entry for entry in bundle["entry"]]
        return self.model_issues("Bundle", shell, "Bundle")

    def resource_issues(self, resource_type, resource, where):
        """Issues of one resource: the model's, then (Observations) the vital-signs rules."""
        issues = self.model_issues(resource_type, resource, where)
        if not issues and resource_type == "Observation":
            errors = []
            try:
                self.module.check_vital_sign(where, resource, errors)
            except Exception as error:  # a shape the rules did not expect
                errors.append(f"{where}: the vital-signs rules failed ({type(error).__name__})")
            issues += [issue("invalid", message, where) for message in errors]
        return issues

    def model_issues(self, resource_type, resource, where):
        """Issues the fhir.resources model of that type finds (pydantic names fields, not values)."""
        try:
            self.module.construct_fhir_element(resource_type, resource)
        except LookupError:
            return [issue("invalid", f"{where}: unknown resource type {resource_type!r}", where)]
        except Exception as error:  # pydantic's ValidationError, or anything a malformed input raises
            return [issue("invalid", f"{expression}: {resource_type} does not validate: {message}", expression)
                    for expression, message in validation_errors(error, where)]
        return []


def validation_errors(error, where):
    """(FHIRPath-like expression, message) of each error of a pydantic ValidationError."""
    if not hasattr(error, "errors"):
        return [(where, str(error).splitlines()[0] if str(error) else type(error).__name__)]
    found = []
    for item in error.errors():
        path = where
        for part in item.get("loc", ()):
            if isinstance(part, int):
                path += f"[{part}]"
            elif part != "__root__":
                path += "." + ("resourceType" if part == "resource_type" else str(part))
        found.append((path, item.get("msg", "invalid")))
    return found


def identifier_tokens(resource):
    """`system|value` of each identifier of a resource (first first); malformed ones left out."""
    identifiers = resource.get("identifier")
    if not isinstance(identifiers, list):
        return []
    return [f"{item.get('system') or ''}|{item.get('value') or ''}"
            for item in identifiers if isinstance(item, dict) and isinstance(item.get("value"), str)]


def if_none_exist_token(query):
    """The token of an `ifNoneExist` of the form `identifier=SYSTEM|VALUE` (URL-encoded or not)."""
    if not isinstance(query, str):
        raise ValueError("request.ifNoneExist is missing: each entry must be a conditional create")
    name, equals, value = query.removeprefix("?").partition("=")
    if name != "identifier" or not equals or "&" in value:
        raise ValueError(f"request.ifNoneExist must be identifier=SYSTEM|VALUE, not {query!r}")
    token = unquote(value) if "%" in value else value
    if "|" not in token or not token.split("|", 1)[1]:
        raise ValueError("request.ifNoneExist must name the identifier as SYSTEM|VALUE")
    return token


def entry_issues(index, entry, validator, rejected):
    """(Pending or None, issues) of one entry of a transaction Bundle."""
    where = f"Bundle.entry[{index}]"
    if not isinstance(entry, dict):
        return None, [issue("structure", f"{where} is not an object", where)]
    resource, request = entry.get("resource"), entry.get("request")
    if (not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str)
            or not resource["resourceType"].isalpha()):
        return None, [issue("required", f"{where} has no resource with a resourceType", f"{where}.resource")]
    resource_type = resource["resourceType"]
    if not isinstance(request, dict):
        return None, [issue("required", f"{where} has no request", f"{where}.request")]
    issues = []
    if request.get("method") != "POST":
        issues.append(issue("invalid", f"{where}.request.method must be POST (conditional create)",
                            f"{where}.request.method"))
    if request.get("url") != resource_type:
        issues.append(issue("invalid", f"{where}.request.url must be the resource type {resource_type}",
                            f"{where}.request.url"))
    tokens = identifier_tokens(resource)
    try:
        token = if_none_exist_token(request.get("ifNoneExist"))
        if token not in tokens:
            issues.append(issue("invalid", f"{where}.request.ifNoneExist names no identifier of the resource",
                                f"{where}.request.ifNoneExist"))
    except ValueError as error:
        token = None
        issues.append(issue("invalid", f"{where}: {error}", f"{where}.request.ifNoneExist"))
    if validator is not None:
        issues += validator.resource_issues(resource_type, resource, f"{where}.resource")
    refused = sorted({token.split("|", 1)[1] for token in tokens} & rejected) if rejected else None
    if refused:
        issues.append(issue("business-rule", f"{where}: the server refuses the identifier {refused[0]}"
                            " (reject_identifier)", where))
    return (None if issues else Pending(index, resource_type, token, tokens, resource)), issues


def check_transaction(body, validator, rejected):
    """The Pending entries of a transaction Bundle, or a FHIRError (400) naming every problem."""
    try:
        bundle = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise invalid(f"the body is not JSON: {getattr(error, 'msg', type(error).__name__)}",
                      code="structure") from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise invalid("the body is not a Bundle", "Bundle", code="structure")
    if bundle.get("type") != "transaction":
        raise invalid(f"Bundle.type must be transaction, not {bundle.get('type')!r}", "Bundle.type")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise invalid("Bundle.entry is not a list", "Bundle.entry", code="structure")
    issues = validator.bundle_issues(bundle) if validator is not None else []
    pending = []
    for index, entry in enumerate(entries):
        checked, found = entry_issues(index, entry, validator, rejected)
        issues += found
        if checked is not None:
            pending.append(checked)
    if issues:
        raise FHIRError(400, issues[:MAX_ISSUES])
    return pending


def transaction_response(pending, results):
    """The transaction-response Bundle: one entry per request entry, in order."""
    entries = []
    for entry, (created, resource_id, modified) in zip(pending, results):
        response = {"status": "201 Created" if created else "200 OK",
                    "location": location(entry.type, resource_id), "etag": 'W/"1"'}
        if modified:
            response["lastModified"] = modified
        entries.append({"response": response})
    return {"resourceType": "Bundle", "id": uuid.uuid4().hex, "type": "transaction-response", "entry": entries}


def searchset(total, resources, base):
    """A searchset Bundle of stored resources."""
    return {"resourceType": "Bundle", "id": uuid.uuid4().hex, "type": "searchset", "total": total,
            "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r,
                       "search": {"mode": "match"}} for r in resources]}


def capability_statement(base, oauth):
    """A minimal CapabilityStatement: a server of transactions of conditional creates."""
    resources = [{"type": kind, "interaction": [{"code": "create"}, {"code": "read"}, {"code": "vread"},
                                                   {"code": "search-type"}],
                  "conditionalCreate": True,
                  "searchParam": [{"name": "identifier", "type": "token"}]}
                 for kind in ("Observation", "Device", "DetectedIssue")]
    rest = {"mode": "server", "resource": resources, "interaction": [{"code": "transaction"}]}
    if oauth:
        rest["security"] = {"extension": [{
            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
            "extension": [{"url": "token", "valueUri": f"{base}/token"}]}]}
    return {"resourceType": "CapabilityStatement", "status": "active", "date": now_instant()[:10],
            "kind": "instance", "software": {"name": "vitalgate test FHIR endpoint"},
            "implementation": {"description": "test endpoint", "url": base},
            "fhirVersion": "4.0.1", "format": [FHIR_JSON, "json"], "rest": [rest]}


# MARK: - HTTP


class Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive, every response with a Content-Length."""

    protocol_version = "HTTP/1.1"
    server_version = "fhir-endpoint/1"
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT

    # -- plumbing

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        """Quiet: the default logs every request to stderr."""

    def setup(self):
        super().setup()
        self.abort = False

    def finish(self):
        super().finish()
        if self.abort:  # the file objects are closed: this really closes, and SO_LINGER 0 resets
            self.connection.close()

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        """Reads the body, routes, and turns every exception into a 500 OperationOutcome."""
        started, self.status, self.responded = time.monotonic(), None, False
        try:
            self.body = self.read_body()
            self.route(method)
        except FHIRError as error:
            self.send_outcome(error)
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True
        except Exception as error:  # a handler bug must never kill the server
            if self.server.verbose:
                print(f"handler error: {type(error).__name__}", file=sys.stderr, flush=True)
            if self.responded:
                self.close_connection = True
            else:
                self.server.stats.fail(500)
                self.send_outcome(FHIRError(500, [issue("exception", f"internal error: {type(error).__name__}")]))
        if self.server.verbose:
            path = urlsplit(self.path).path
            print(f"{method} {path} {self.status} {1000 * (time.monotonic() - started):.1f}ms",
                  file=sys.stderr, flush=True)

    def read_body(self):
        """The request body (Content-Length or chunked; empty if neither on a GET)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            if self.command == "POST":
                self.close_connection = True
                raise invalid("a POST needs a Content-Length", status=411)
            return b""
        try:
            length = int(length)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise invalid("a malformed Content-Length", code="structure") from None
        if length > MAX_BODY:
            self.close_connection = True
            raise invalid("the body is too large", code="too-costly", status=413)
        body = self.rfile.read(length)
        if len(body) < length:
            raise ConnectionError("the client closed before the end of the body")
        return body

    def read_chunked(self):
        """A chunked request body."""
        parts, size = [], 0
        while True:
            line = self.rfile.readline(1024)
            try:
                chunk = int(line.split(b";", 1)[0].strip(), 16)
                if chunk < 0:
                    raise ValueError
            except ValueError:
                self.close_connection = True
                raise invalid("a malformed chunked body", code="structure") from None
            if chunk == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            size += chunk
            if size > MAX_BODY:
                self.close_connection = True
                raise invalid("the body is too large", code="too-costly", status=413)
            parts.append(self.rfile.read(chunk))
            self.rfile.readline(1024)

    def send_bytes(self, status, body, content_type, headers=(), truncate=False):
        """One response with its Content-Length; `truncate` sends half the body, then resets."""
        self.status, self.responded = status, True
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if truncate:
            self.wfile.write(body[: len(body) // 2])
            self.reset_connection()
        else:
            self.wfile.write(body)

    def send_json(self, status, value, headers=(), content_type=PLAIN_JSON):
        self.send_bytes(status, dumps(value), content_type, headers)

    def send_fhir(self, status, resource, headers=()):
        self.send_bytes(status, dumps(resource), FHIR_JSON, headers)

    def send_outcome(self, error):
        self.send_fhir(error.status, operation_outcome(error.issues), error.headers)

    def reset_connection(self):
        """Closes abruptly (TCP reset) once the handler is done."""
        self.close_connection, self.abort = True, True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass

    def base_url(self):
        scheme = "https" if self.server.ssl_context else "http"
        host = self.headers.get("Host") or f"{self.server.server_name}:{self.server.server_port}"
        return f"{scheme}://{host}"

    # -- routing

    def route(self, method):
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        if path in ADMIN_PATHS:
            return self.admin(method, path, url.query)
        if path == "/token":
            return self.token(method)
        self.authorize()
        if path == "/":
            if method != "POST":
                raise invalid("the base accepts POST of a transaction Bundle", code="not-supported", status=405)
            return self.transaction()
        if method != "GET":
            raise invalid(f"{method} is not supported here", code="not-supported", status=405)
        if path == "/metadata":
            return self.send_fhir(200, capability_statement(self.base_url(), self.server.auth.client is not None))
        parts = path.strip("/").split("/")
        if len(parts) == 1 and parts[0].isalpha():
            return self.search(parts[0], url.query)
        if len(parts) == 2 and parts[0].isalpha():
            return self.read(parts[0], parts[1])
        if len(parts) == 4 and parts[0].isalpha() and parts[2:] == ["_history", "1"]:
            return self.read(parts[0], parts[1])  # vread: every resource has only version 1
        raise invalid(f"no such path {path}", code="not-found", status=404)

    def authorize(self):
        """Raises 401 unless the request carries a valid bearer token (when auth is configured)."""
        problem = self.server.auth.check(self.headers.get("Authorization"))
        if problem is None:
            return
        self.server.stats.add(auth_failures=1)
        challenge = 'Bearer realm="fhir"'
        if problem != "no bearer token":
            challenge += f', error="invalid_token", error_description="{problem}"'
        raise FHIRError(401, [issue("login", f"unauthorised: {problem}")], [("WWW-Authenticate", challenge)])

    # -- FHIR

    def transaction(self):
        """POST / : a transaction Bundle of conditional creates, after the head fault if any.
        `drop` lets the transaction run (and commit), then cuts its answer short."""
        fault = self.server.faults.take()
        if fault is not None and fault["mode"] != "drop":
            return self.apply_fault(fault)
        status, resource = self.run_transaction()
        if fault is not None:
            self.server.stats.fail("drop")
        self.send_bytes(status, dumps(resource), FHIR_JSON, truncate=fault is not None)

    def run_transaction(self):
        """(200, transaction-response Bundle), or (status, OperationOutcome) if refused."""
        server = self.server
        try:
            content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type not in (FHIR_JSON, PLAIN_JSON):
                raise invalid(f"Content-Type must be {FHIR_JSON}", code="not-supported", status=415)
            pending = check_transaction(self.body, server.validator, server.faults.rejected_values())
        except FHIRError as error:
            server.stats.fail(error.status, [item["diagnostics"] for item in error.issues if error.status == 400])
            return error.status, operation_outcome(error.issues)
        _, results = server.store.commit(pending)
        created = sum(1 for result in results if result[0])
        server.stats.add(transactions=1, entries_created=created, entries_existing=len(results) - created)
        return 200, transaction_response(pending, results)

    def apply_fault(self, fault):
        """Answers (or not) as the fault says; nothing is stored."""
        mode, stats = fault["mode"], self.server.stats
        stats.fail(mode)
        if mode == "timeout":
            self.server.stopping.wait(fault.get("seconds", 30))
            self.close_connection = True
            self.status = "timeout"
            return None
        if mode == "drop-before":
            self.close_connection = True
            self.status = "drop-before"
            return None
        headers = []
        if mode == "429" or "retry_after" in fault:
            headers.append(("Retry-After", str(math.ceil(fault.get("retry_after", 1)))))
        code = {"500": "exception", "503": "transient", "429": "throttled", "400": "invalid"}[mode]
        return self.send_fhir(int(mode), operation_outcome([issue(code, f"injected fault {mode}")]), headers)

    def search(self, resource_type, query):
        """GET /Type?identifier=SYSTEM|VALUE (or every resource of the type)."""
        params = parse_qs(query, keep_blank_values=True)
        token = params.get("identifier", [None])[0]
        total, resources = self.server.store.search(resource_type, token)
        self.send_fhir(200, searchset(total, resources, self.base_url()))

    def read(self, resource_type, resource_id):
        """GET /Type/id."""
        resource = self.server.store.read(resource_type, int(resource_id)) if resource_id.isdigit() else None
        if resource is None:
            raise invalid(f"{resource_type}/{resource_id} is not known", code="not-found", status=404)
        self.send_fhir(200, resource, [("ETag", 'W/"1"')])

    # -- OAuth2 client credentials

    def token(self, method):
        """POST /token: the client credentials grant (RFC 6749 §4.4)."""
        auth, stats = self.server.auth, self.server.stats
        if auth.client is None:
            raise invalid("no token endpoint (no --oauth-client)", code="not-found", status=404)
        if method != "POST":
            raise invalid("POST only", code="not-supported", status=405)
        stats.add(token_requests=1)
        form = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        field = lambda name: form.get(name, [""])[0]  # noqa: E731
        basic = self.basic_credentials()
        client_id, secret = basic if basic else (field("client_id"), field("client_secret"))
        if not auth.authenticate_client(client_id, secret):
            stats.add(token_failures=1)
            challenge = [("WWW-Authenticate", 'Basic realm="token"')] if basic else []
            return self.send_json(401, {"error": "invalid_client"}, challenge + no_store())
        grant = field("grant_type")
        if grant != "client_credentials":
            stats.add(token_failures=1)
            error = "unsupported_grant_type" if grant else "invalid_request"
            return self.send_json(400, {"error": error}, no_store())
        answer = {"access_token": auth.issue_token(), "token_type": "Bearer", "expires_in": auth.lifetime}
        if field("scope"):
            answer["scope"] = field("scope")
        self.send_json(200, answer, no_store())

    def basic_credentials(self):
        """(client id, secret) of an HTTP Basic Authorization header, or None."""
        scheme, _, encoded = self.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ("", "")
        client_id, _, secret = decoded.partition(":")
        return unquote_plus(client_id), unquote_plus(secret)

    # -- admin

    def admin(self, method, path, query):
        """/_control, /_stats, /_dump: plain JSON, no auth."""
        server = self.server
        if path == "/_control" and method == "POST":
            try:
                server.faults.configure(json.loads(self.body or b"{}"))
            except ValueError as error:
                return self.send_json(400, {"error": str(error)})
            return self.send_json(200, server.faults.state())
        if path == "/_control" and method == "GET":
            return self.send_json(200, server.faults.state())
        if path == "/_stats" and method == "GET":
            return self.send_json(200, server.stats.snapshot(server.store))
        if path == "/_dump" and method == "GET":
            resource_type = parse_qs(query).get("type", [None])[0]
            return self.send_json(200, server.store.dump(resource_type))
        return self.send_json(405, {"error": f"{method} {path} is not supported"})


def no_store():
    """The caching headers RFC 6749 §5.1 requires on token responses."""
    return [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


class Endpoint(ThreadingHTTPServer):
    """The server: a thread per connection, TLS handshakes in those threads, shared state."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, store, auth, validator, ssl_context=None, verbose=False):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.store, self.auth, self.validator = store, auth, validator
        self.ssl_context, self.verbose = ssl_context, verbose
        self.faults, self.stats = Faults(), Stats()
        self.stopping = threading.Event()
        super().__init__(address, Handler)

    def server_bind(self):
        """Binds without HTTPServer's reverse DNS lookup of the host."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def finish_request(self, request, client_address):
        """Handles a connection (in its own thread), after the TLS handshake when TLS is on."""
        if self.ssl_context is None:
            return super().finish_request(request, client_address)
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            connection = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            self.stats.add(tls_failures=1)
            return None
        try:
            self.RequestHandlerClass(connection, client_address, self)
        finally:
            connection.close()

    def handle_error(self, request, client_address):
        """Quiet: a client that vanished is not an error of the server."""
        if self.verbose:
            print(f"connection error: {sys.exc_info()[0].__name__}", file=sys.stderr, flush=True)


# MARK: - Main


def tls_context(cert, key, client_ca):
    """The server's TLS context; with a client CA, client certificates are required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["http/1.1"])
    if client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    return context


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the SQLite database (created if missing)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: an ephemeral port")
    parser.add_argument("--port-file", help="where to write the port once listening")
    parser.add_argument("--tls-cert", help="the server certificate chain (PEM)")
    parser.add_argument("--tls-key", help="the server key (PEM)")
    parser.add_argument("--client-ca", help="require client certificates signed by this CA (PEM)")
    parser.add_argument("--bearer", help="require this bearer token on FHIR requests")
    parser.add_argument("--oauth-client", metavar="ID:SECRET", help="serve POST /token for this client")
    parser.add_argument("--token-lifetime", type=int, default=3600, help="seconds an issued token is valid")
    parser.add_argument("--no-validate", action="store_true", help="skip fhir.resources and vital-signs checks")
    parser.add_argument("--verbose", action="store_true", help="one line per request on stderr (no content)")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.client_ca and not args.tls_cert:
        parser.error("--client-ca needs --tls-cert and --tls-key")
    if args.oauth_client and ":" not in args.oauth_client:
        parser.error("--oauth-client is ID:SECRET")
    if args.token_lifetime <= 0:
        parser.error("--token-lifetime must be positive")
    return args


def write_port_file(path, port):
    """Writes the port atomically (a temporary file renamed over it)."""
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w") as file:
        file.write(f"{port}\n")
    os.replace(temporary, path)


def main(argv=None):
    args = parse_arguments(argv)
    try:
        validator = None if args.no_validate else Validator()
    except ImportError as error:
        print(f"fhir_endpoint: cannot validate ({error}); use the validator's venv or --no-validate",
              file=sys.stderr)
        return 2
    context = tls_context(args.tls_cert, args.tls_key, args.client_ca) if args.tls_cert else None
    store = Store(args.db)
    gc.freeze()  # the validator's many model classes: no longer traversed by every collection
    gc.set_threshold(50_000, 20, 20)  # a 500-entry Bundle makes many objects at once
    auth = Auth(args.bearer, args.oauth_client, args.token_lifetime)
    endpoint = Endpoint((args.host, args.port), store, auth, validator, context, args.verbose)
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: endpoint.stopping.set())
    port = endpoint.server_address[1]
    if args.port_file:
        write_port_file(args.port_file, port)
    print(f"listening {port}", flush=True)
    serving = threading.Thread(target=endpoint.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    serving.start()
    while not endpoint.stopping.wait(0.5):
        pass
    endpoint.shutdown()
    endpoint.server_close()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
