"""A local WebSocket server speaking Slack's Socket Mode envelope, on 127.0.0.1 only.

Slack's side of a Socket Mode connection: on connect it sends ``hello``; the test hands it
envelopes to send (``events_api``, ``interactive``, each with an ``envelope_id``), and it keeps
every message the client sends back, the acknowledgements ``{"envelope_id": ...}`` among them.
It runs its own event loop in a thread and stops when the test leaves the ``with`` block.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
import uuid
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve


class SocketModeServer:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.connections = 0
        self._outgoing: queue.Queue[dict[str, Any]] = queue.Queue()
        self._loop = asyncio.new_event_loop()
        self._server: Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket={uuid.uuid4()}&app_id=ARETURNS1"

    def __enter__(self) -> SocketModeServer:
        self._thread.start()

        async def start() -> Server:
            return await serve(self._session, "127.0.0.1", 0)

        self._server = asyncio.run_coroutine_threadsafe(start(), self._loop).result(timeout=5)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _session(self, connection: ServerConnection) -> None:
        with self._lock:
            self.connections += 1
        await connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "applink-local", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": "ARETURNS1"},
                }
            )
        )

        async def reader() -> None:
            async for message in connection:
                with self._lock:
                    self.received.append(json.loads(message))

        reading = asyncio.create_task(reader())
        try:
            while not reading.done():
                try:
                    envelope = self._outgoing.get_nowait()
                except queue.Empty:
                    await asyncio.sleep(0.01)
                    continue
                await connection.send(json.dumps(envelope))
        finally:
            reading.cancel()

    def send_event(self, body: dict[str, Any], *, retry_attempt: int = 0) -> str:
        """An Events API payload in its envelope; returns the envelope id."""
        envelope_id = str(uuid.uuid4())
        self._outgoing.put(
            {
                "envelope_id": envelope_id,
                "payload": body,
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else "",
            }
        )
        return envelope_id

    def send_interactive(self, payload: dict[str, Any]) -> str:
        envelope_id = str(uuid.uuid4())
        self._outgoing.put(
            {
                "envelope_id": envelope_id,
                "payload": payload,
                "type": "interactive",
                "accepts_response_payload": True,
            }
        )
        return envelope_id

    def acked(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any] | None:
        """The client's acknowledgement of an envelope, waited for at most ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for message in self.received:
                    if message.get("envelope_id") == envelope_id:
                        return message
            time.sleep(0.02)
        return None
