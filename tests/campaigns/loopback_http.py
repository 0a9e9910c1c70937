"""A real HTTP server on 127.0.0.1 for the HTTP providers' tests (the internet replaced by
loopback): it records every request and answers from a queue of canned responses.

    with LoopbackHttp() as server:
        server.answer(429, {"message": "slow down"}, headers={"Retry-After": "7"})
        provider = HttpSmsProvider({"url": server.url, "token": "t"})
        ...
        server.requests[0].json
"""

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived

    @property
    def json(self):
        return json.loads(self.body.decode())


@dataclass
class Answer:
    status: int = 200
    body: object = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a slow provider)


class LoopbackHttp:
    """``answer(...)`` queues the next responses; when the queue is empty, ``default`` answers
    (200 with ``{"id": "msg-<n>"}`` and an ``x-line-request-id`` header, n counting from 1)."""

    def __init__(self):
        self.requests: list[Recorded] = []
        self.answers: deque[Answer] = deque()
        self.default: Answer | None = None
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with server._lock:
                    server.requests.append(Recorded(self.command, self.path, dict(self.headers.items()), body,
                                                    time.monotonic()))
                    number = len(server.requests)
                    answer = server.answers.popleft() if server.answers else server.default
                if answer is None:
                    answer = Answer(200, {"id": f"msg-{number}"}, {"x-line-request-id": f"req-{number}"})
                if answer.delay:
                    time.sleep(answer.delay)
                raw = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, status: int = 200, body: object = None, *, headers: dict | None = None,
               delay: float = 0.0) -> None:
        self.answers.append(Answer(status, {} if body is None else body, headers or {}, delay))

    def start(self) -> "LoopbackHttp":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "LoopbackHttp":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
