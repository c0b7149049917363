"""An SMTP server for the tests, with aiosmtpd: STARTTLS and login required (or implicit TLS, or no TLS at all to
check that the gateway refuses to send in clear). Each mail received is written to MAIL_DIR as one JSON file:
the envelope, the decoded subject and body, and the raw message.

Usage: smtp_server.py MAIL_DIR PORT_FILE CERT KEY USER PASSWORD [starttls|implicit|plain]
"""
import asyncio
import email
import email.header
import email.policy
import json
import os
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

MAIL_DIR, PORT_FILE, CERT, KEY, USER, PASSWORD = sys.argv[1:7]
MODE = sys.argv[7] if len(sys.argv) > 7 else "starttls"


class Handler:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        record = {
            "mailFrom": envelope.mail_from,
            "recipients": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "headers": {key: str(value) for key, value in message.items()},
            "body": message.get_content(),
            "raw": envelope.content.decode("ascii", "replace"),
            "tls": session.ssl is not None or MODE == "implicit",
            "authenticated": bool(session.authenticated),
        }
        name = os.path.join(MAIL_DIR, "%04d.json" % self.count)
        with open(name + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(record, handle, ensure_ascii=False)
        os.replace(name + ".tmp", name)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
        and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(CERT, KEY)
# aiosmtpd connects to its own port once started: it needs a port number, not 0. A free one, from the system.
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
options = {"hostname": "127.0.0.1", "port": port, "authenticator": authenticator}
if MODE == "starttls":
    options.update(tls_context=context, require_starttls=True, auth_required=True)
elif MODE == "implicit":
    options.update(ssl_context=context, auth_required=True, auth_require_tls=False)
else:
    options.update(auth_required=False, auth_require_tls=False)
controller = Controller(Handler(), **options)
controller.start()
with open(PORT_FILE + ".tmp", "w") as handle:
    handle.write(str(port))
os.replace(PORT_FILE + ".tmp", PORT_FILE)
try:
    asyncio.run(asyncio.Event().wait())
except KeyboardInterrupt:
    pass
finally:
    controller.stop()
