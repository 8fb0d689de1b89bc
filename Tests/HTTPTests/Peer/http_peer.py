#!/usr/bin/env python3
"""The HTTP client tests' peer: a standard-library HTTP/1.1 server with paths that misbehave
on purpose. Writes its port to --port-file once it listens; TLS and client certificates with
--tls-cert/--tls-key/--client-ca.

  /echo            200, JSON {method, path, headers, body} of the request (body as text)
  /status/N        status N, a Retry-After: 3 header and a short body
  /slow/MS         waits MS milliseconds, then 200
  /big/N           200 with N bytes of body
  /cut             announces 100 bytes, sends 10, closes (a response cut short)
  /nothing         closes without answering
  /connections     200, the number of TCP connections accepted so far
"""
import argparse
import json
import os
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

connections = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        global connections
        with lock:
            connections += 1
        super().setup()

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = self.path.strip("/").split("/")
        if parts[0] == "echo":
            echo = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                    "body": body.decode("utf-8", "replace")}
            self.reply(200, json.dumps(echo).encode(), [("Content-Type", "application/json")])
        elif parts[0] == "status":
            self.reply(int(parts[1]), b"status", [("Retry-After", "3")])
        elif parts[0] == "slow":
            time.sleep(int(parts[1]) / 1000)
            self.reply(200, b"slow")
        elif parts[0] == "big":
            self.reply(200, b"x" * int(parts[1]))
        elif parts[0] == "cut":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
        elif parts[0] == "nothing":
            self.close_connection = True
            self.connection.shutdown(2)
        elif parts[0] == "connections":
            self.reply(200, str(connections).encode())
        else:
            self.reply(404, b"no such path")

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--client-ca")
    options = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if options.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options.tls_cert, options.tls_key)
        if options.client_ca:
            context.load_verify_locations(options.client_ca)
            context.verify_mode = ssl.CERT_REQUIRED
        server.socket = context.wrap_socket(server.socket, server_side=True)
    temporary = options.port_file + ".tmp"
    with open(temporary, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(temporary, options.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
