"""Real alert receivers on loopback: an SMTP server (aiosmtpd) and a JSON webhook
(http.server in a thread). Each records what it received."""

from __future__ import annotations

import json
import socket
import threading
from contextlib import contextmanager
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.mails: list[dict[str, str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        msg = message_from_bytes(envelope.content)
        part = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
        self.mails.append(
            {
                "subject": str(make_header(decode_header(msg["Subject"]))),
                "to": ",".join(envelope.rcpt_tos),
                "body": part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8"),
            }
        )
        return "250 OK"


@contextmanager
def smtp_receiver():
    """Yields (mailto URL, list of received mails)."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        url = f"mailto://127.0.0.1:{port}?mode=insecure&from=herstel@club.test&to=coach@club.test"
        yield url, inbox.mails
    finally:
        controller.stop()


@contextmanager
def webhook_receiver(port: int | None = None):
    """Yields (json URL, list of received JSON bodies)."""
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port or free_port()), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"json://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()
