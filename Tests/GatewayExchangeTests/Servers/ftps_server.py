"""An FTPS server (explicit TLS, required on control and data) for the tests, with pyftpdlib.

Usage: ftps_server.py ROOT PORT_FILE CERT KEY USER PASSWORD
"""
import os
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import TLS_FTPHandler
from pyftpdlib.servers import FTPServer

ROOT, PORT_FILE, CERT, KEY, USER, PASSWORD = sys.argv[1:7]

authorizer = DummyAuthorizer()
authorizer.add_user(USER, PASSWORD, ROOT, perm="elradfmwMT")
handler = TLS_FTPHandler
handler.certfile = CERT
handler.keyfile = KEY
handler.authorizer = authorizer
handler.tls_control_required = True
handler.tls_data_required = True
server = FTPServer(("127.0.0.1", 0), handler)
with open(PORT_FILE + ".tmp", "w") as handle:
    handle.write(str(server.address[1]))
os.replace(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever(handle_exit=True)
