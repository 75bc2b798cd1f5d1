"""A bundle server for tests/bundle.rs: serves the files of a directory on a loopback port,
with an ETag (a digest of the file) and 304 Not Modified for a matching If-None-Match, as
OPA bundle servers (nginx, S3) do; Python's SimpleHTTPRequestHandler sends no ETag.

Usage: bundle_server.py DIR LOG [CERT KEY]. With CERT and KEY (PEM files) it serves HTTPS.
Prints the port it listens on, then serves until killed. Each request is appended to LOG as
`METHOD PATH STATUS`."""

import hashlib
import http.server
import os
import ssl
import sys

ROOT, LOG = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = os.path.basename(self.path.split("?")[0])
        try:
            with open(os.path.join(ROOT, name), "rb") as f:
                data = f.read()
        except OSError:
            self.answer(404, b"not found\n")
            return
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:16]
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            self.note(304)
            return
        self.answer(200, data, etag)

    def answer(self, status, data, etag=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(data)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(data)
        self.note(status)

    def note(self, status):
        with open(LOG, "a") as log:
            log.write("%s %s %d\n" % (self.command, self.path, status))

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if len(sys.argv) == 5:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(sys.argv[3], sys.argv[4])
    server.socket = tls.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
