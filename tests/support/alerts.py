"""Real receivers for notification tests (no tests here): a webhook HTTP server and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller as SmtpController

from controller.devtools.broker import free_port


class WebhookReceiver:
    """Collects JSON POSTs (apprise `json://127.0.0.1:PORT/path`); `fail_next` answers 500 that many times."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.paths: list[str] = []
        self.fail_next = 0
        self.delay = 0.0  # seconds each answer takes (a slow phone network)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(receiver.delay)
                with receiver.lock:
                    if receiver.fail_next > 0:
                        receiver.fail_next -= 1
                        self.send_response(500)
                        self.end_headers()
                        return
                    receiver.received.append(json.loads(body))
                    receiver.paths.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def messages(self, path: str | None = None) -> list[dict]:
        with self.lock:
            return [m for m, p in zip(self.received, self.paths, strict=True) if path is None or p == "/" + path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MailReceiver:
    """An SMTP server on a free port keeping every message it gets (plain SMTP, no TLS)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                receiver.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 OK"

        self.port = free_port()
        self.controller = SmtpController(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def url(self, to: str = "tech@museum.test") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=kepu@museum.test&to={to}&mode=insecure"

    def texts(self) -> list[str]:
        out = []
        for message in self.messages:
            part = message.get_body(preferencelist=("plain", "html"))
            out.append(f"{message['subject']}\n{part.get_content() if part else ''}")
        return out

    def close(self) -> None:
        self.controller.stop()


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
