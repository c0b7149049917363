"""A small HTTPS WebDAV folder for the tests, shaped like nginx with `dav_methods PUT DELETE MKCOL MOVE` and
`autoindex_format json`: GET on a folder lists it as JSON, GET/HEAD on a file fetches it, PUT writes it (to a
temporary file, then renamed), MOVE renames (412 when the destination exists and Overwrite is F), DELETE removes.

Usage: webdav_server.py ROOT PORT_FILE CERT KEY [TOKEN]
"""
import email.utils
import json
import os
import ssl
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT, PORT_FILE, CERT, KEY = sys.argv[1:5]
TOKEN = sys.argv[5] if len(sys.argv) > 5 else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def local(self, path):
        path = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
        full = os.path.normpath(os.path.join(ROOT, path.lstrip("/")))
        if not (full + "/").startswith(ROOT.rstrip("/") + "/"):
            raise PermissionError(path)
        return full

    def reply(self, status, body=b"", content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def authorised(self):
        if TOKEN and self.headers.get("Authorization") != "Bearer " + TOKEN:
            self.reply(401, b"unauthorised")
            return False
        return True

    def do_GET(self):
        if not self.authorised():
            return
        full = self.local(self.path)
        if os.path.isdir(full):
            entries = []
            for name in sorted(os.listdir(full)):
                stat = os.stat(os.path.join(full, name))
                entry = {
                    "name": name,
                    "type": "directory" if os.path.isdir(os.path.join(full, name)) else "file",
                    "mtime": email.utils.formatdate(stat.st_mtime, usegmt=True),
                }
                if entry["type"] == "file":
                    entry["size"] = stat.st_size
                entries.append(entry)
            self.reply(200, json.dumps(entries).encode(), "application/json")
        elif os.path.isfile(full):
            with open(full, "rb") as handle:
                self.reply(200, handle.read(), "application/octet-stream")
        else:
            self.reply(404, b"not found")

    do_HEAD = do_GET

    def do_PUT(self):
        if not self.authorised():
            return
        full = self.local(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(length)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        temporary = full + ".upload-tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, full)
        self.reply(201, b"created")

    def do_DELETE(self):
        if not self.authorised():
            return
        full = self.local(self.path)
        if not os.path.isfile(full):
            return self.reply(404, b"not found")
        os.remove(full)
        self.reply(204)

    def do_MKCOL(self):
        if not self.authorised():
            return
        full = self.local(self.path)
        if os.path.exists(full):
            return self.reply(405, b"exists")
        os.makedirs(full)
        self.reply(201, b"created")

    def do_MOVE(self):
        if not self.authorised():
            return
        source = self.local(self.path)
        target = self.local(self.headers.get("Destination", ""))
        if not os.path.isfile(source):
            return self.reply(404, b"not found")
        if os.path.exists(target) and self.headers.get("Overwrite", "T") == "F":
            return self.reply(412, b"destination exists")
        if not os.path.isdir(os.path.dirname(target)):
            return self.reply(409, b"no such folder")
        os.replace(source, target)
        self.reply(201, b"moved")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(CERT, KEY)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(PORT_FILE + ".tmp", "w") as handle:
    handle.write(str(server.server_address[1]))
os.replace(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
