"""What a web process does under paced chat load: it serves with uvloop and httptools (the
parser and event loop of uvicorn's fast path) and runs at most ``chat_turns`` chat turns at
once, the others waiting in line on the event loop without holding a request thread."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from bot.settings import CHAT_TURNS_POSTGRESQL, CHAT_TURNS_SQLITE, Settings, chat_turns
from bot.web.app import create_app, server_loop_and_parser
from graph.chat_graph import ChatMessage
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from tests import race_world as world
from tests.conftest import NOW, make_store
from tests.unit.serve_command import invoke_serve

START_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not run on Windows")
def test_returnbridge_serve_runs_on_uvloop_and_httptools(tmp_path: Path) -> None:
    store_dir = world.write_store(tmp_path / "store")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETURNBRIDGE_")}
    env.update(
        RETURNBRIDGE_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        RETURNBRIDGE_STORE_DIR=str(store_dir),
        RETURNBRIDGE_SECRET_KEY="serve-test-secret",
        RETURNBRIDGE_CHAT_TURNS="3",
    )
    env.pop("OPENAI_API_KEY", None)
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        up = False
        while not up and time.monotonic() < deadline and server.poll() is None:
            try:
                up = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert up, output
    assert "serving with uvloop and httptools" in output, output
    assert "event loop: uvloop.Loop" in output, output
    assert "3 chat turns at once" in output, output  # RETURNBRIDGE_CHAT_TURNS is read


def test_the_loop_and_parser_are_settings_with_uvicorns_names() -> None:
    assert Settings().web_loop == "auto"
    assert Settings().web_http == "auto"
    assert server_loop_and_parser("asyncio", "h11") == ("asyncio", "h11")
    if sys.platform != "win32":  # installed with ReturnBridge: "auto" picks them
        assert server_loop_and_parser() == ("uvloop", "httptools")
    assert chat_turns(Settings()) <= Settings().web_threads


def test_chat_turns_at_once_follow_the_database_unless_set() -> None:
    # On PostgreSQL a turn waits on the server's answers much of its time: two at once per
    # process left 200 paced sessions' p99 at seconds; SQLite keeps two (one write lock).
    sqlite = Settings(database_url="sqlite:///x.db")
    postgres = Settings(database_url="postgresql+psycopg://rb@127.0.0.1/rb")
    assert chat_turns(sqlite) == CHAT_TURNS_SQLITE == 2
    assert chat_turns(postgres) == CHAT_TURNS_POSTGRESQL > CHAT_TURNS_SQLITE
    assert chat_turns(Settings(database_url="postgresql://rb@h/rb", chat_turns=3)) == 3
    assert chat_turns(Settings(database_url="postgresql://rb@h/rb", web_threads=4)) == 4


def test_serve_hands_uvicorn_the_loop_and_parser_of_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETURNBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'rb.db'}")
    monkeypatch.setenv("RETURNBRIDGE_WEB_LOOP", "asyncio")
    monkeypatch.setenv("RETURNBRIDGE_WEB_HTTP", "h11")
    monkeypatch.setenv("RETURNBRIDGE_CHAT_TURNS", "5")
    served: list[Any] = []
    options: dict[str, object] = {}

    def run(app: Any, **kw: object) -> None:
        served.append(app)
        options.update(kw)

    monkeypatch.setattr(uvicorn, "run", run)
    result = invoke_serve()
    assert result.exit_code == 0, result.output
    assert (options["loop"], options["http"]) == ("asyncio", "h11")
    assert served[0].state.chat_turns.total_tokens == 5


class HeldChat:
    """A stand-in chat whose turns wait until the test lets them go, counting how many
    run at once."""

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.running = 0
        self.most = 0
        self.entered = 0
        self.release = threading.Event()

    def say(self, session_id: str, text: str) -> list[ChatMessage]:
        with self.guard:
            self.running += 1
            self.entered += 1
            self.most = max(self.most, self.running)
        try:
            self.release.wait(timeout=30)
        finally:
            with self.guard:
                self.running -= 1
        return []


def test_a_web_process_runs_at_most_chat_turns_turns_at_once(tmp_path: Path) -> None:
    desk = ReturnsDesk(f"sqlite:///{tmp_path / 'turns.db'}", make_store(), FrozenClock(NOW))
    try:
        app = create_app(desk, "turns-test-secret", threads=16, chat_turns=2)
        chat = HeldChat()
        app.state.chat = chat

        async def run() -> list[int]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                sends = [
                    asyncio.create_task(
                        client.post(f"/api/chat/sessions/s{n}/messages", json={"text": "hi"})
                    )
                    for n in range(6)
                ]
                for _ in range(300):  # until two turns are under way (at most 30 s)
                    if chat.entered >= 2:
                        break
                    await asyncio.sleep(0.1)
                # room for more to start, were they let in; then all are let go
                await asyncio.sleep(0.5)
                waiting = chat.entered
                chat.release.set()
                answers = await asyncio.gather(*sends)
                return [waiting, *(answer.status_code for answer in answers)]

        waiting, *statuses = asyncio.run(run())
        assert waiting == 2
        assert chat.most == 2
        assert statuses == [200] * 6  # the ones in line are answered after
    finally:
        desk.close()


def test_the_turn_limit_is_never_more_than_the_request_threads(tmp_path: Path) -> None:
    desk = ReturnsDesk(f"sqlite:///{tmp_path / 'turns.db'}", make_store(), FrozenClock(NOW))
    try:
        app: Any = create_app(desk, "turns-test-secret", threads=3, chat_turns=8)
        assert app.state.chat_turns.total_tokens == 3
    finally:
        desk.close()
