"""Run an ASGI emulator on 127.0.0.1 in a background thread (uvicorn), for tests and the demo."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """A uvicorn server in a daemon thread. ``url`` is ``http://127.0.0.1:<port>``."""

    def __init__(self, app, port: int | None = None, log_level: str = "warning"):
        self.app = app
        self.port = port or free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level=log_level, access_log=False,
            lifespan="off", timeout_keep_alive=30,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"emulator:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"emulator on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@contextlib.contextmanager
def serve(app, port: int | None = None) -> Iterator[ServerThread]:
    """``with serve(app) as srv: httpx.get(srv.url + "/...")``"""
    srv = ServerThread(app, port=port).start()
    try:
        yield srv
    finally:
        srv.stop()


class InProcessTransport(httpx.BaseTransport):
    """A synchronous httpx transport that calls an ASGI emulator in this process, without a
    socket: the same app and the same client code as over 127.0.0.1, for fast unit tests.

    ``httpx.ASGITransport`` is async-only; this runs it on a private event loop in a thread.
    """

    def __init__(self, app):
        self._asgi = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="emulator-in-process", daemon=True)
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> tuple[int, httpx.Headers, bytes]:
            inner = httpx.Request(request.method, request.url, headers=request.headers, content=request.read())
            response = await self._asgi.handle_async_request(inner)
            body = await response.aread()
            return response.status_code, response.headers, body

        status, headers, body = asyncio.run_coroutine_threadsafe(call(), self._loop).result()
        headers = httpx.Headers([(k, v) for k, v in headers.multi_items() if k.lower() != "content-encoding"])
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        if self._loop.is_closed():  # the httpx client closes its transport too
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()
