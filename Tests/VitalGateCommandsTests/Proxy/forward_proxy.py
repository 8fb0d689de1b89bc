#!/usr/bin/env python3
"""A forward HTTP proxy for the tests: it takes requests in absolute form (`POST http://host/path`,
as a client configured with `http_proxy` sends them), forwards each to --upstream (whatever host
the URL names, so tests can use names that do not resolve), and counts them at GET /_proxied.
Writes its port to --port-file once it listens. Standard library only."""
import argparse
import http.client
import os
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

proxied = 0
lock = threading.Lock()


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None  # (host, port)

    def log_message(self, *args):
        pass

    def handle_any(self):
        global proxied
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path == "/_proxied":
            text = str(proxied).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
            return
        if not self.path.startswith("http://"):
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with lock:
            proxied += 1
        target = urllib.parse.urlsplit(self.path)
        path = target.path + ("?" + target.query if target.query else "")
        connection = http.client.HTTPConnection(*self.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection", "connection")}
        connection.request(self.command, path or "/", body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        connection.close()

    do_GET = do_POST = do_PUT = handle_any


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--upstream", required=True, help="host:port every request is forwarded to")
    options = parser.parse_args()
    host, port = options.upstream.rsplit(":", 1)
    Proxy.upstream = (host, int(port))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    temporary = options.port_file + ".tmp"
    with open(temporary, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(temporary, options.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
