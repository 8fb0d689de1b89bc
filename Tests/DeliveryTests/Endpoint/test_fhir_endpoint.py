#!/usr/bin/env python3
"""Self-test of fhir_endpoint.py (not run by CI). Starts the endpoint as a subprocess on an
ephemeral port and talks to it with http.client (keep-alive), ssl and raw sockets.

usage: .build/fhir-validator-venv/bin/python3 Tests/DeliveryTests/Endpoint/test_fhir_endpoint.py [-v]
Needs the validator's venv (fhir.resources) and the openssl CLI (for the TLS tests).
"""
import base64
import http.client
import json
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

from fhir.resources import construct_fhir_element

HERE = Path(__file__).resolve().parent
ENDPOINT = HERE / "fhir_endpoint.py"
OBSERVATION_SYSTEM = "urn:vitalgate:gw-1:observation"
DEVICE_SYSTEM = "urn:vitalgate:gw-1:device"
ALERT_SYSTEM = "urn:vitalgate:gw-1:alert"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
UCUM = "http://unitsofmeasure.org"


# MARK: - Resources, as the agent's FHIR mapping makes them


def patient(mrn="MRN-1"):
    return {"type": "Patient", "identifier": {"system": "urn:x", "value": mrn}}


def heart_rate(value_id, bpm=72, unit="/min", mrn="MRN-1", second=0):
    """A vital-signs heart-rate Observation (LOINC 8867-4, UCUM /min)."""
    return {
        "resourceType": "Observation",
        "identifier": [{"system": OBSERVATION_SYSTEM, "value": value_id}],
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "vital-signs", "display": "Vital Signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"},
                            {"system": "urn:iso:std:iso:11073:10101", "code": "147842",
                             "display": "MDC_ECG_HEART_RATE"}],
                 "text": "Heart rate"},
        "subject": patient(mrn),
        "effectiveDateTime": f"2026-05-09T07:35:{second % 60:02d}.123Z",
        "device": {"type": "Device", "identifier": {"system": DEVICE_SYSTEM, "value": "patch-7"}},
        "valueQuantity": {"value": bpm, "unit": "beats/minute", "system": UCUM, "code": unit},
    }


def blood_pressure(value_id):
    component = lambda code, display, value: {  # noqa: E731
        "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}]},
        "valueQuantity": {"value": value, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}}
    return {
        "resourceType": "Observation", "identifier": [{"system": OBSERVATION_SYSTEM, "value": value_id}],
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9", "display": "Blood pressure panel"}]},
        "subject": patient(), "effectiveDateTime": "2026-05-09T07:36:00Z",
        "component": [component("8480-6", "Systolic", 120), component("8462-4", "Diastolic", 80)],
    }


def device(device_id="patch-7"):
    return {"resourceType": "Device", "identifier": [{"system": DEVICE_SYSTEM, "value": device_id}],
            "status": "active", "deviceName": [{"name": "ECG patch", "type": "model-name"}],
            "modelNumber": "ECG patch", "version": [{"value": "1.2.3"}]}


def detected_issue(alert_id):
    return {"resourceType": "DetectedIssue", "identifier": [{"system": ALERT_SYSTEM, "value": alert_id}],
            "status": "final",
            "code": {"coding": [{"system": "urn:vitalgate:alert-kind", "code": "tachycardia"}]},
            "severity": "high", "patient": patient(),
            "identifiedPeriod": {"start": "2026-05-09T07:35:00Z", "end": "2026-05-09T07:36:00Z"},
            "implicated": [{"type": "Device", "identifier": {"system": DEVICE_SYSTEM, "value": "patch-7"}}],
            "detail": "physiological tachycardia score 0.97"}


def entry(resource):
    """A conditional-create transaction entry."""
    ident = resource["identifier"][0]
    return {"fullUrl": f"urn:uuid:{ident['value']}", "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"],
                        "ifNoneExist": f"identifier={ident['system']}|{ident['value']}"}}


def transaction(*resources):
    return {"resourceType": "Bundle", "type": "transaction", "entry": [entry(r) for r in resources]}


# MARK: - The endpoint as a subprocess


class Endpoint:
    """fhir_endpoint.py running on an ephemeral port."""

    def __init__(self, directory, *arguments, db="db.sqlite"):
        self.directory = Path(directory)
        self.port_file = self.directory / f"port.{time.monotonic_ns()}"
        command = [sys.executable, str(ENDPOINT), "--db", str(self.directory / db),
                   "--port-file", str(self.port_file), *arguments]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(30)
        if not line or not line[0].startswith("listening "):
            self.process.kill()
            raise RuntimeError(f"the endpoint did not start: {line} {self.process.stderr.read()}")
        self.port = int(line[0].split()[1])
        self.tls = None

    def connection(self, timeout=15, context=None):
        context = context or self.tls
        if context is not None:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=context)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def stop(self):
        """SIGTERM; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(15)
        finally:
            self.process.stdout.close()
            self.process.stderr.close()


def call(connection, method, path, body=None, headers=None, content_type="application/fhir+json"):
    """(status, headers, parsed JSON body or raw bytes) of one request on `connection`."""
    headers = dict(headers or {})
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if body is not None and content_type:
        headers.setdefault("Content-Type", content_type)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    try:
        data = json.loads(data)
    except ValueError:
        pass
    return response.status, response, data


class EndpointTestCase(unittest.TestCase):
    """Gives each test a temporary directory and stops the endpoints it started."""

    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="fhir-endpoint-test.")
        self.endpoints = []

    def tearDown(self):
        for endpoint in self.endpoints:
            if endpoint.process.poll() is None:
                self.assertEqual(endpoint.stop(), 0)
        shutil.rmtree(self.directory, ignore_errors=True)

    def start(self, *arguments, **options):
        endpoint = Endpoint(self.directory, *arguments, **options)
        self.endpoints.append(endpoint)
        return endpoint

    def admin(self, endpoint, method, path, body=None):
        connection = endpoint.connection()
        try:
            status, _, data = call(connection, method, path, body, content_type="application/json")
        finally:
            connection.close()
        self.assertEqual(status, 200, data)
        return data

    def post(self, endpoint, bundle, headers=None, connection=None):
        own = connection is None
        connection = connection or endpoint.connection()
        try:
            return call(connection, "POST", "/", bundle, headers)
        finally:
            if own:
                connection.close()

    def assertOutcome(self, data, code=None, expression_prefix=None):
        """An OperationOutcome, valid for fhir.resources, with an error issue of that code/expression."""
        self.assertEqual(data["resourceType"], "OperationOutcome", data)
        construct_fhir_element("OperationOutcome", data)
        issue = data["issue"][0]
        self.assertEqual(issue["severity"], "error")
        self.assertTrue(issue["diagnostics"])
        if code:
            self.assertIn(issue["code"], code if isinstance(code, (list, tuple)) else [code], data)
        if expression_prefix:
            self.assertTrue(issue["expression"][0].startswith(expression_prefix), data)
        return issue

    def assertStatuses(self, data, statuses):
        self.assertEqual(data["resourceType"], "Bundle", data)
        self.assertEqual(data["type"], "transaction-response")
        construct_fhir_element("Bundle", data)
        self.assertEqual([e["response"]["status"] for e in data["entry"]], statuses)
        return [e["response"]["location"] for e in data["entry"]]


# MARK: - Tests


class TransactionTests(EndpointTestCase):

    def test_conditional_create_keep_alive_and_restart(self):
        endpoint = self.start()
        self.assertEqual(endpoint.port_file.read_text().strip(), str(endpoint.port))
        connection = endpoint.connection()
        bundle = transaction(*(heart_rate(f"patch-7.{n}.1715240125{n}.heart_rate", 70 + n, second=n)
                               for n in range(3)))
        status, response, data = self.post(endpoint, bundle, connection=connection)
        self.assertEqual(status, 200, data)
        self.assertEqual(response.getheader("Content-Type"), "application/fhir+json")
        first = self.assertStatuses(data, ["201 Created"] * 3)
        self.assertEqual(first, [f"Observation/{n}/_history/1" for n in (1, 2, 3)])
        socket_before = connection.sock
        self.assertFalse(response.will_close)

        status, _, data = self.post(endpoint, bundle, connection=connection)
        self.assertEqual(status, 200)
        self.assertEqual(self.assertStatuses(data, ["200 OK"] * 3), first)
        # the same entry twice in one Bundle, beside a Device, a blood pressure panel and a DetectedIssue
        repeated = heart_rate("patch-7.9.17152401259.heart_rate")
        status, _, data = self.post(endpoint, transaction(device(), repeated, blood_pressure("cuff-1.1.1.bp"),
                                                          repeated, detected_issue("42")),
                                    connection=connection)
        self.assertEqual(status, 200, data)
        locations = self.assertStatuses(data, ["201 Created", "201 Created", "201 Created", "200 OK", "201 Created"])
        self.assertEqual(locations[1], locations[3])
        self.assertTrue(locations[0].startswith("Device/") and locations[4].startswith("DetectedIssue/"))
        status, _, metadata = call(connection, "GET", "/metadata")
        self.assertEqual((status, metadata["fhirVersion"]), (200, "4.0.1"))
        construct_fhir_element("CapabilityStatement", metadata)
        status, _, found = call(connection, "GET", f"/Observation?identifier={OBSERVATION_SYSTEM}|"
                                                   "patch-7.1.17152401251.heart_rate")
        self.assertEqual((status, found["type"], found["total"]), (200, "searchset", 1))
        construct_fhir_element("Bundle", found)
        self.assertIs(connection.sock, socket_before, "keep-alive: one connection for every request")
        connection.close()

        stats = self.admin(endpoint, "GET", "/_stats")
        self.assertEqual(stats["duplicates"], 0)
        self.assertEqual(stats["resources"], {"Observation": 5, "Device": 1, "DetectedIssue": 1})
        self.assertEqual((stats["transactions"], stats["entries_created"], stats["entries_existing"]), (3, 7, 4))
        dump = self.admin(endpoint, "GET", "/_dump?type=Observation")
        self.assertEqual([d["id"] for d in dump], [1, 2, 3, 5, 6])
        self.assertEqual([d["transaction"] for d in dump], [1, 1, 1, 3, 3])
        self.assertEqual(dump[0]["identifier"], f"{OBSERVATION_SYSTEM}|patch-7.0.17152401250.heart_rate")
        self.assertEqual(dump[0]["resource"]["valueQuantity"]["value"], 70)
        self.assertEqual(dump[0]["resource"]["meta"]["versionId"], "1")

        self.assertEqual(endpoint.stop(), 0)
        again = self.start()  # the same database
        status, _, data = self.post(again, bundle)
        self.assertEqual(self.assertStatuses(data, ["200 OK"] * 3), first)
        self.assertEqual(self.admin(again, "GET", "/_stats")["resources"]["Observation"], 5)

    def test_invalid_bundles_fail_whole_transaction(self):
        endpoint = self.start()
        connection = endpoint.connection()
        wrong_unit = heart_rate("b.2", unit="mm[Hg]")
        status, response, data = self.post(endpoint, transaction(heart_rate("b.0"), heart_rate("b.1"), wrong_unit),
                                           connection=connection)
        self.assertEqual(status, 400)
        issue = self.assertOutcome(data, ("invalid", "structure"), "Bundle.entry[2]")
        self.assertIn("unit", issue["diagnostics"])
        self.assertFalse(response.will_close)

        not_decimal = heart_rate("b.3")
        not_decimal["valueQuantity"]["value"] = "fast"
        status, _, data = self.post(endpoint, transaction(heart_rate("b.4"), not_decimal), connection=connection)
        issue = self.assertOutcome(data, expression_prefix="Bundle.entry[1].resource")
        self.assertEqual(issue["expression"], ["Bundle.entry[1].resource.valueQuantity.value"])

        no_condition = transaction(heart_rate("b.5"))
        del no_condition["entry"][0]["request"]["ifNoneExist"]
        other_identifier = transaction(heart_rate("b.6"))
        other_identifier["entry"][0]["request"]["ifNoneExist"] = f"identifier={OBSERVATION_SYSTEM}|b.7"
        wrong_url = transaction(heart_rate("b.8"))
        wrong_url["entry"][0]["request"]["url"] = "Device"
        put = transaction(heart_rate("b.9"))
        put["entry"][0]["request"]["method"] = "PUT"
        for bundle, code in ((no_condition, None), (other_identifier, None), (wrong_url, None), (put, None)):
            status, _, data = self.post(endpoint, bundle, connection=connection)
            self.assertEqual(status, 400, data)
            self.assertOutcome(data, code, "Bundle.entry[0]")

        batch = transaction(heart_rate("b.10"))
        batch["type"] = "batch"
        for body in (b"{not json", json.dumps({"resourceType": "Observation"}), batch):
            status, _, data = self.post(endpoint, body, connection=connection)
            self.assertEqual(status, 400, data)
            self.assertOutcome(data, ("invalid", "structure"))
        status, _, data = call(connection, "POST", "/", transaction(heart_rate("b.11")), content_type="text/plain")
        self.assertEqual(status, 415)
        self.assertOutcome(data)

        self.assertEqual(self.admin(endpoint, "GET", "/_dump"), [], "nothing of a failed transaction is stored")
        stats = self.admin(endpoint, "GET", "/_stats")
        self.assertEqual(stats["failed"], {"400": 9, "415": 1})
        self.assertTrue(any("unit" in message for message in stats["validation_errors"]))
        status, _, data = self.post(endpoint, transaction(heart_rate("b.0")), connection=connection)
        self.assertStatuses(data, ["201 Created"])
        connection.close()

    def test_malformed_requests_do_not_kill_the_server(self):
        endpoint = self.start()
        for garbage in (b"\x00\xff garbage\r\n\r\n", b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
                        b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{", b"GET /nowhere/at/all HTTP/1.1\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", endpoint.port), timeout=5) as raw:
                raw.sendall(garbage)
                raw.shutdown(socket.SHUT_WR)
                while raw.recv(65536):
                    pass
        connection = endpoint.connection()
        status, _, data = call(connection, "GET", "/Observation/999")
        self.assertEqual(status, 404)
        self.assertOutcome(data, "not-found")
        status, _, data = self.post(endpoint, transaction(heart_rate("m.1")), connection=connection)
        location = self.assertStatuses(data, ["201 Created"])[0]
        status, response, data = call(connection, "GET", f"/{location}")
        self.assertEqual((status, data["identifier"][0]["value"], response.getheader("ETag")), (200, "m.1", 'W/"1"'))
        connection.close()

    def test_expect_100_continue_and_chunked(self):
        endpoint = self.start()
        body = json.dumps(transaction(*(heart_rate(f"e.{n}") for n in range(5)))).encode()
        self.assertGreater(len(body), 1024)
        with socket.create_connection(("127.0.0.1", endpoint.port), timeout=5) as raw:
            reader = raw.makefile("rb")
            raw.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\n"
                        b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
            self.assertEqual(reader.readline(), b"HTTP/1.1 100 Continue\r\n")
            self.assertEqual(reader.readline(), b"\r\n")
            raw.sendall(body)
            self.assertEqual(reader.readline(), b"HTTP/1.1 200 OK\r\n")
            headers = {}
            while (line := reader.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            data = json.loads(reader.read(int(headers["content-length"])))
            self.assertStatuses(data, ["201 Created"] * 5)
            # the same connection again, with a chunked body
            chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 700]), body[i:i + 700])
                              for i in range(0, len(body), 700))
            raw.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")
            self.assertEqual(reader.readline(), b"HTTP/1.1 200 OK\r\n")

    def test_throughput_without_validation(self):
        endpoint = self.start("--no-validate")
        connection = endpoint.connection()
        timings = []
        for round_ in range(4):
            body = json.dumps(transaction(*(heart_rate(f"t.{round_}.{n}", second=n) for n in range(500))))
            started = time.perf_counter()
            status, _, data = call(connection, "POST", "/", body)
            timings.append(time.perf_counter() - started)
            self.assertEqual(status, 200)
            self.assertEqual(len(data["entry"]), 500)
        best = min(timings[1:])
        print(f"\n  500 Observations, --no-validate: best {1000 * best:.1f} ms "
              f"(all {[round(1000 * t, 1) for t in timings]})", file=sys.stderr)
        self.assertLess(best, 0.05)
        connection.close()


class FaultTests(EndpointTestCase):

    def test_fault_modes(self):
        endpoint = self.start()
        control = self.admin(endpoint, "POST", "/_control", {"faults": [
            {"mode": "500", "count": 2}, {"mode": "503", "retry_after": 3}, {"mode": "429"},
            {"mode": "400"}, {"mode": "timeout", "seconds": 1}, {"mode": "drop-before"}, {"mode": "drop"}]})
        self.assertEqual([f["mode"] for f in control["faults"]],
                         ["500", "503", "429", "400", "timeout", "drop-before", "drop"])
        bundle = transaction(heart_rate("f.1"), heart_rate("f.2"))
        connection = endpoint.connection()
        for expected, code, retry_after in (("500", "exception", None), ("500", "exception", None),
                                            ("503", "transient", "3"), ("429", "throttled", "1"),
                                            ("400", "invalid", None)):
            status, response, data = self.post(endpoint, bundle, connection=connection)
            self.assertEqual(status, int(expected))
            self.assertOutcome(data, code)
            self.assertEqual(response.getheader("Retry-After"), retry_after)
        connection.close()

        started = time.monotonic()
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.post(endpoint, bundle)  # timeout: no answer, then closed
        self.assertGreaterEqual(time.monotonic() - started, 0.9)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.post(endpoint, bundle)  # drop-before
        self.assertEqual(self.admin(endpoint, "GET", "/_dump"), [], "no fault so far stored anything")

        connection = endpoint.connection()
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            self.post(endpoint, bundle, connection=connection)  # drop: stored, answer cut short
        connection.close()
        self.assertEqual(len(self.admin(endpoint, "GET", "/_dump?type=Observation")), 2)
        status, _, data = self.post(endpoint, bundle)  # the agent sends it again
        self.assertStatuses(data, ["200 OK", "200 OK"])

        stats = self.admin(endpoint, "GET", "/_stats")
        self.assertEqual(stats["failed"], {"500": 2, "503": 1, "429": 1, "400": 1, "timeout": 1,
                                           "drop-before": 1, "drop": 1})
        self.assertEqual((stats["transactions"], stats["duplicates"], stats["resources"]),
                         (2, 0, {"Observation": 2}))

    def test_clear(self):
        endpoint = self.start("--no-validate")
        self.admin(endpoint, "POST", "/_control", {"faults": [{"mode": "500", "count": 5}],
                                                   "reject_identifier": "x"})
        self.assertEqual(self.post(endpoint, transaction(heart_rate("c.1")))[0], 500)
        state = self.admin(endpoint, "POST", "/_control", {"clear": True})
        self.assertEqual(state, {"faults": [], "reject_identifier": []})
        self.assertEqual(self.post(endpoint, transaction(heart_rate("c.1")))[0], 200)
        connection = endpoint.connection()
        status, _, data = call(connection, "POST", "/_control", {"faults": [{"mode": "418"}]})
        self.assertEqual(status, 400)
        connection.close()

    def test_reject_identifier(self):
        endpoint = self.start()
        self.admin(endpoint, "POST", "/_control", {"reject_identifier": ["r.2"]})
        for _ in range(2):  # for ever, until cleared
            status, _, data = self.post(endpoint, transaction(heart_rate("r.1"), heart_rate("r.2")))
            self.assertEqual(status, 400)
            issue = self.assertOutcome(data, ("business-rule", "invalid"), "Bundle.entry[1]")
            self.assertIn("r.2", issue["diagnostics"])
        status, _, data = self.post(endpoint, transaction(heart_rate("r.1"), heart_rate("r.3")))
        self.assertStatuses(data, ["201 Created", "201 Created"])
        self.admin(endpoint, "POST", "/_control", {"clear": True})
        status, _, data = self.post(endpoint, transaction(heart_rate("r.1"), heart_rate("r.2")))
        self.assertStatuses(data, ["200 OK", "201 Created"])


class AuthTests(EndpointTestCase):

    def test_bearer(self):
        endpoint = self.start("--bearer", "s3cret")
        connection = endpoint.connection()
        bundle = transaction(heart_rate("a.1"))
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic czNjcmV0"}):
            status, response, data = self.post(endpoint, bundle, headers, connection=connection)
            self.assertEqual(status, 401)
            self.assertOutcome(data, "login")
            self.assertTrue(response.getheader("WWW-Authenticate").startswith("Bearer"))
        status, _, data = self.post(endpoint, bundle, {"Authorization": "Bearer s3cret"}, connection=connection)
        self.assertStatuses(data, ["201 Created"])
        self.assertEqual(call(connection, "GET", "/metadata")[0], 401)
        connection.close()
        stats = self.admin(endpoint, "GET", "/_stats")  # admin paths need no token
        self.assertEqual(stats["auth_failures"], 4)

    def test_oauth_client_credentials(self):
        endpoint = self.start("--oauth-client", "agent:pa ss", "--token-lifetime", "1")
        connection = endpoint.connection()
        form = "application/x-www-form-urlencoded"
        basic = {"Authorization": "Basic " + base64.b64encode(b"agent:pa+ss").decode()}
        status, response, data = call(connection, "POST", "/token", "grant_type=client_credentials&scope=system%2F*.write",
                                      basic, content_type=form)
        self.assertEqual(status, 200, data)
        self.assertEqual((data["token_type"], data["expires_in"], data["scope"]), ("Bearer", 1, "system/*.write"))
        self.assertEqual(response.getheader("Cache-Control"), "no-store")
        token = data["access_token"]
        status, _, data = call(connection, "POST", "/token",
                               "grant_type=client_credentials&client_id=agent&client_secret=pa%20ss",
                               content_type=form)
        self.assertEqual(status, 200, data)
        second = data["access_token"]
        self.assertNotEqual(token, second)
        for body, expected in (("grant_type=client_credentials&client_id=agent&client_secret=no", (401, "invalid_client")),
                               ("grant_type=password&client_id=agent&client_secret=pa+ss", (400, "unsupported_grant_type"))):
            status, _, data = call(connection, "POST", "/token", body, content_type=form)
            self.assertEqual((status, data["error"]), expected)

        bundle = transaction(heart_rate("o.1"))
        self.assertEqual(self.post(endpoint, bundle, connection=connection)[0], 401)
        self.assertEqual(self.post(endpoint, bundle, {"Authorization": "Bearer made-up"}, connection=connection)[0], 401)
        status, _, data = self.post(endpoint, bundle, {"Authorization": f"Bearer {token}"}, connection=connection)
        self.assertStatuses(data, ["201 Created"])
        time.sleep(1.3)
        status, response, data = self.post(endpoint, bundle, {"Authorization": f"Bearer {second}"},
                                           connection=connection)
        self.assertEqual(status, 401)
        self.assertIn("expired", response.getheader("WWW-Authenticate"))
        connection.close()
        stats = self.admin(endpoint, "GET", "/_stats")
        self.assertEqual((stats["token_requests"], stats["auth_failures"]), (4, 3))


class TLSTests(EndpointTestCase):

    def make_pki(self):
        """A throwaway CA, a server certificate for 127.0.0.1 and a client certificate."""
        pki = Path(self.directory) / "pki"
        pki.mkdir()

        def openssl(*arguments):
            subprocess.run(["openssl", *arguments], cwd=pki, check=True, capture_output=True)

        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        for name, usage, san in (("server", "serverAuth", "IP:127.0.0.1,DNS:localhost"),
                                 ("client", "clientAuth", "DNS:agent")):
            (pki / f"{name}.ext").write_text(f"subjectAltName={san}\nextendedKeyUsage={usage}\n"
                                             "basicConstraints=CA:FALSE\n")
            openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
            openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
        return pki

    def client_context(self, pki, certificate=True):
        context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
        if certificate:
            context.load_cert_chain(str(pki / "client.pem"), str(pki / "client.key"))
        return context

    @unittest.skipUnless(shutil.which("openssl"), "no openssl CLI")
    def test_tls_and_mutual_tls(self):
        pki = self.make_pki()
        tls = ["--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server.key")]
        endpoint = self.start(*tls, db="tls.sqlite")
        endpoint.tls = self.client_context(pki, certificate=False)
        connection = endpoint.connection()
        status, _, data = self.post(endpoint, transaction(heart_rate("s.1")), connection=connection)
        self.assertStatuses(data, ["201 Created"])
        status, _, data = self.post(endpoint, transaction(heart_rate("s.1")), connection=connection)
        self.assertStatuses(data, ["200 OK"])
        connection.close()

        mutual = self.start(*tls, "--client-ca", str(pki / "ca.pem"), db="mtls.sqlite")
        mutual.tls = self.client_context(pki)
        status, _, data = self.post(mutual, transaction(heart_rate("s.2")))
        self.assertStatuses(data, ["201 Created"])
        refused = mutual.connection(context=self.client_context(pki, certificate=False))
        with self.assertRaises((ssl.SSLError, ConnectionError, http.client.HTTPException)):
            self.post(mutual, transaction(heart_rate("s.3")), connection=refused)
        refused.close()
        stats = self.admin(mutual, "GET", "/_stats")
        self.assertEqual((stats["tls_failures"], stats["resources"]), (1, {"Observation": 1}))


if __name__ == "__main__":
    unittest.main()
