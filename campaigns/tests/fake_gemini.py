"""A fake Gemini API on 127.0.0.1 for tests and the benchmark.

It answers ``POST /v1beta/models/{model}:generateContent`` the way the real service does
(candidates → content → parts → text) and follows a script: each request takes the next
behaviour from ``script`` (the last one repeats), so a test can ask for "429 once, then a
good answer". Every request is recorded for assertions on the server side.

Run standalone (the benchmark does this in a subprocess)::

    python -m campaigns.tests.fake_gemini --port 0 --delay 0.5
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH_RE = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):generateContent$")


@dataclass
class Behaviour:
    """What one request gets. ``kind``: ok, status, slow, malformed, text."""

    kind: str = "ok"
    status: int = 200
    retry_after: str | None = None
    delay: float = 0.0
    payload: dict | None = None  # the JSON the model "writes" (kind ok)
    text: str | None = None  # raw model text (kind text / malformed)


def ok(payload: dict | None = None, *, delay: float = 0.0) -> Behaviour:
    return Behaviour(kind="ok", payload=payload, delay=delay)


def status(code: int, *, retry_after: str | None = None) -> Behaviour:
    return Behaviour(kind="status", status=code, retry_after=retry_after)


def slow(seconds: float) -> Behaviour:
    return Behaviour(kind="ok", delay=seconds)


def malformed() -> Behaviour:
    return Behaviour(kind="text", text='{"subject": "Hello", "body": "unterminated')


def text(raw: str) -> Behaviour:
    return Behaviour(kind="text", text=raw)


@dataclass
class Recorded:
    at: float
    model: str
    path: str
    api_key: str
    body: dict


def default_payload(request_body: dict) -> dict:
    """A plausible draft that quotes nothing but what the prompt gave it."""
    prompt = ""
    for content in request_body.get("contents", []):
        for part in content.get("parts", []):
            prompt += part.get("text", "")
    match = re.search(r'"first_name":\s*"([^"]*)"', prompt)
    first_name = match.group(1) if match else "there"
    return {
        "subject": f"{first_name}, something for you",
        "body": (
            f"Hi {first_name},\n\nThank you for being with us. We noticed a few things and "
            "would like to help.\n\nBest regards,\nThe team"
        ),
        "offer": "15% off your next three months",
    }


@dataclass
class FakeGemini:
    host: str = "127.0.0.1"
    port: int = 0
    script: list[Behaviour] = field(default_factory=lambda: [ok()])
    requests: list[Recorded] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _served: int = 0

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://{self.host}:{self._server.server_address[1]}/"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def set_script(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self.script = list(behaviours) or [ok()]
            self._served = 0
            self.requests.clear()

    def _next(self) -> Behaviour:
        with self._lock:
            behaviour = self.script[min(self._served, len(self.script) - 1)]
            self._served += 1
            return behaviour

    def start(self) -> FakeGemini:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                # Lets a benchmark in another process read the request count.
                if self.path == "/_stats":
                    self._send(200, {"requests": fake.count})
                else:
                    self._send(404, {"error": {"code": 404, "message": "not found"}})

            def do_POST(self) -> None:
                match = PATH_RE.match(self.path.split("?", 1)[0])
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if not match:
                    self._send(404, {"error": {"code": 404, "message": "not found"}})
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self._send(400, {"error": {"code": 400, "message": "bad json"}})
                    return
                with fake._lock:
                    fake.requests.append(
                        Recorded(
                            at=time.monotonic(),
                            model=match["model"],
                            path=self.path,
                            api_key=self.headers.get("x-goog-api-key", ""),
                            body=body,
                        )
                    )
                behaviour = fake._next()
                if behaviour.delay:
                    time.sleep(behaviour.delay)
                if behaviour.kind == "status":
                    headers = {}
                    if behaviour.retry_after is not None:
                        headers["Retry-After"] = behaviour.retry_after
                    self._send(
                        behaviour.status,
                        {
                            "error": {
                                "code": behaviour.status,
                                "message": f"fake error {behaviour.status}",
                                "status": "RESOURCE_EXHAUSTED"
                                if behaviour.status == 429
                                else "INTERNAL",
                            }
                        },
                        headers,
                    )
                    return
                if behaviour.kind == "text":
                    model_text = behaviour.text or ""
                else:
                    model_text = json.dumps(behaviour.payload or default_payload(body))
                self._send(
                    200,
                    {
                        "candidates": [
                            {
                                "content": {"parts": [{"text": model_text}], "role": "model"},
                                "finishReason": "STOP",
                                "index": 0,
                            }
                        ],
                        "usageMetadata": {
                            "promptTokenCount": 100,
                            "candidatesTokenCount": 50,
                            "totalTokenCount": 150,
                        },
                        "modelVersion": match["model"],
                    },
                )

            def _send(self, code: int, payload: dict, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to answer

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGemini:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    server = FakeGemini(port=args.port, script=[ok(delay=args.delay)]).start()
    # The parent reads this line to learn the port.
    print(f"listening {server.base_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
