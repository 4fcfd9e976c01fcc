"""Paced chat sessions over HTTP against real server processes, on SQLite and on PostgreSQL.

Open loop: N customers arrive at random within the first ``5 s × pace`` of a fixed window,
each opens a chat session and sends five messages ``3–6 s × pace`` apart (a message waits for
the previous answer, as a person would). N does not change the window, only the load.

- SQLite: one ``returnbridge serve`` process and one ``returnbridge worker`` process.
- PostgreSQL: two ``serve`` processes (requests alternate between them) and one ``worker``,
  on a throwaway server started like the tests start theirs; skipped, with the reason
  printed, when the PostgreSQL binaries are missing.

Prints errors, p50 and p99 per run, the p50 and p99 of each of a session's six requests (where
the tail is), the CPU seconds each server process and the worker spent on the run (per
request: what a turn costs around and inside the chat), then the most sessions held with p99
under 1 s and no errors, found by doubling from the first run (or halving when it already
fails).

Before the measured runs every server answers a few whole sessions, one after another and not
counted (``--warmup``): a server that has just started still fills its caches (compiled SQL,
the graphs, the reader's patterns) on its first requests, which a store's server running for
days has long done.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from bench.chat import SCRIPT, percentile
from graph.desk import ReturnsDesk
from ledger.repository import import_orders
from policies.loader import load_store, orders_from_data

HELD_P99 = 1.0  # seconds
WARMUP_SESSIONS = 3  # per server, before the measured runs
# The target on a 2-core machine: this many paced sessions with no error and p99 under this.
TARGET_SESSIONS = 200
TARGET_P99 = 0.25  # seconds
POLICY = {
    "name": "Bench Goods",
    "owner_email": "owner@example.com",
    "address": "Bench Goods, 1 Main St, Portland, OR 97214, US",
    "currency": "USD",
    "return_window_days": 30,
    "photo_required_reasons": [],
}
SUPPLIER = {
    "id": "acme",
    "name": "Acme Home Goods",
    "role": "logistical",
    "country": "US",
    "return_address": "Acme Returns, 10 Main St, Fresno, CA 93650, US",
}


# The six requests of a session, by their place in it: what each per-step figure measures.
STEPS = ("open", *(text.split(",")[0].format(n="N")[:24] for text in SCRIPT))


@dataclass
class RunFigures:
    sessions: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    # the latencies of each request of a session, by its place in the session
    steps: dict[int, list[float]] = field(default_factory=dict)

    def record(self, step: int, latency: float) -> None:
        self.latencies.append(latency)
        self.steps.setdefault(step, []).append(latency)

    def step_lines(self) -> list[str]:
        return [
            f"    request {step} ({STEPS[step]!r}):"
            f" p50 {percentile(times, 0.5) * 1000:8.1f} ms,"
            f" p99 {percentile(times, 0.99) * 1000:8.1f} ms,"
            f" max {max(times) * 1000:8.1f} ms"
            for step, times in sorted(self.steps.items())
        ]

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.5) if self.latencies else float("inf")

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99) if self.latencies else float("inf")

    @property
    def held(self) -> bool:
        return not self.errors and self.p99 < HELD_P99

    @property
    def on_target(self) -> bool:
        return not self.errors and self.p99 < TARGET_P99

    def line(self) -> str:
        figures = (
            f"  {self.sessions:>5} sessions: {len(self.latencies) + len(self.errors):>5} requests"
            f" in {self.elapsed:5.1f} s, errors {len(self.errors):>4},"
            f" p50 {self.p50 * 1000:8.1f} ms, p99 {self.p99 * 1000:8.1f} ms"
        )
        if self.sessions != TARGET_SESSIONS:
            return figures
        verdict = "met" if self.on_target else "NOT met"
        return f"{figures}  [target: 0 errors, p99 < {TARGET_P99 * 1000:.0f} ms: {verdict}]"


def write_store(folder: Path) -> Path:
    store_dir = folder / "store"
    (store_dir / "suppliers").mkdir(parents=True, exist_ok=True)
    (store_dir / "policy.yaml").write_text(yaml.safe_dump(POLICY), encoding="utf-8")
    (store_dir / "suppliers" / "acme.yaml").write_text(yaml.safe_dump(SUPPLIER), "utf-8")
    return store_dir


def load_orders(url: str, store_dir: Path, count: int) -> None:
    """Migrate the database and load one order per customer, delivered two days ago."""
    store = load_store(store_dir)
    now = dt.datetime.now(dt.UTC)
    placed = (now - dt.timedelta(days=5)).isoformat()
    delivered = (now - dt.timedelta(days=2)).isoformat()
    orders = [
        {
            "number": str(n),
            "email": f"c{n}@example.com",
            "country": "US",
            "placed_at": placed,
            "delivered_at": delivered,
            "items": [
                {"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"}
            ],
        }
        for n in range(10_000, 10_000 + count)
    ]
    desk = ReturnsDesk(url, store)
    try:
        with desk.session() as session:
            import_orders(session, orders_from_data(orders, "bench", store), "USD")
    finally:
        desk.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Processes:
    """The server and worker processes of one run; stopped by their own pids."""

    def __init__(self, folder: Path, url: str, store_dir: Path) -> None:
        self.folder = folder
        self.env = {
            **os.environ,
            "RETURNBRIDGE_DATABASE_URL": url,
            "RETURNBRIDGE_STORE_DIR": str(store_dir),
            "RETURNBRIDGE_SECRET_KEY": "bench-secret-" + os.urandom(8).hex(),
            "RETURNBRIDGE_WORKER_INTERVAL_SECONDS": "1",
        }
        self.env.pop("OPENAI_API_KEY", None)  # the offline chat backend: no network
        self.children: list[subprocess.Popen[bytes]] = []
        self.roles: dict[int, str] = {}  # pid -> "serve" or "worker"
        self.program = str(Path(sys.executable).with_name("returnbridge"))

    def _start(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        with open(self.folder / log, "ab") as out:
            child = subprocess.Popen(
                [self.program, *args],
                cwd=self.folder,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.children.append(child)
        self.roles[child.pid] = args[0]
        return child

    def cpu_seconds(self) -> dict[int, float]:
        """User + system CPU seconds each live process has used so far (Linux only: empty
        where /proc is missing)."""
        used: dict[int, float] = {}
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        for child in self.children:
            try:
                stat = Path(f"/proc/{child.pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            used[child.pid] = (int(stat[11]) + int(stat[12])) / tick
        return used

    def cpu_line(self, before: dict[int, float], requests: int) -> str:
        after = self.cpu_seconds()
        parts = [
            f"{self.roles[pid]} {seconds - before.get(pid, 0.0):.1f} s"
            for pid, seconds in after.items()
        ]
        web = sum(s - before.get(p, 0.0) for p, s in after.items() if self.roles[p] == "serve")
        per_request = f", web {web / requests * 1000:.1f} ms per request" if requests else ""
        return f"    CPU: {', '.join(parts)}{per_request}" if parts else ""

    def serve(self) -> str:
        port = free_port()
        child = self._start("serve", "--port", str(port), log=f"serve-{port}.log")
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.folder}/serve-{port}.log")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return base
            time.sleep(0.1)
        raise RuntimeError("the server did not answer /healthz within 60 s")

    def worker(self) -> None:
        self._start("worker", log="worker.log")

    def problems(self) -> str:
        """How many tracebacks the processes logged, and the last exception they ended in."""
        count, last = 0, ""
        for log in sorted(self.folder.glob("*.log")):
            for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("Traceback"):
                    count += 1
                elif re.match(r"[A-Za-z_][\w.]*(Error|Exception|Timeout)\b", line):
                    last = f"{log.name}: {line[:200]}"
        return f"{count} traceback(s) in the server logs" + (f", last: {last}" if last else "")

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=15)


async def customer(
    client: httpx.AsyncClient,
    bases: list[str],
    n: int,
    start_at: float,
    gaps: list[float],
    figures: RunFigures,
) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, start_at - loop.time()))
    due = loop.time()
    sid = ""
    for step, text in enumerate(("", *SCRIPT)):
        base = bases[(n + step) % len(bases)]
        begun = time.perf_counter()
        try:
            if step == 0:
                response = await client.post(f"{base}/api/chat/sessions")
                response.raise_for_status()
                sid = response.json()["session"]
            else:
                response = await client.post(
                    f"{base}/api/chat/sessions/{sid}/messages", json={"text": text.format(n=n)}
                )
                response.raise_for_status()
        except Exception as error:  # every failure is counted and shown
            figures.errors.append(f"{type(error).__name__}: {str(error)[:200]}")
            return
        figures.record(step, time.perf_counter() - begun)
        if step < len(gaps):
            due += gaps[step]
            await asyncio.sleep(max(0.0, due - loop.time()))


async def warm_up(bases: list[str], first_order: int, per_server: int) -> int:
    """Run ``per_server`` whole sessions on each server, one after another, unpaced and not
    counted; returns how many orders they used. A failure here stops the bench: the measured
    runs would only repeat it."""
    figures = RunFigures(0)
    used = 0
    async with httpx.AsyncClient(timeout=30) as client:
        for base in bases:
            for _ in range(per_server):
                await customer(client, [base], first_order + used, 0.0, [], figures)
                used += 1
    if figures.errors:
        raise RuntimeError(f"the warm-up session failed: {figures.errors[0]}")
    return used


async def paced_run(bases: list[str], first_order: int, sessions: int, pace: float) -> RunFigures:
    figures = RunFigures(sessions)
    rng = random.Random(sessions)
    # A fresh connection per request: a reused one can race uvicorn closing it after its
    # keep-alive timeout (5 s, about the pause between messages), a race browsers hide by
    # retrying on a new connection and httpx would report as an error.
    limits = httpx.Limits(max_connections=sessions * 2, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        loop = asyncio.get_running_loop()
        zero = loop.time()
        tasks = [
            customer(
                client,
                bases,
                first_order + i,
                zero + rng.uniform(0, 5 * pace),
                [rng.uniform(3, 6) * pace for _ in SCRIPT],
                figures,
            )
            for i in range(sessions)
        ]
        begun = time.perf_counter()
        await asyncio.gather(*tasks)
        figures.elapsed = time.perf_counter() - begun
    return figures


def measure(
    name: str,
    url: str,
    folder: Path,
    servers: int,
    first: int,
    ceiling: int,
    pace: float,
    search: bool = True,
    warmup: int = WARMUP_SESSIONS,
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    store_dir = write_store(folder)
    # every session returns its own order, across all runs: enough orders for the longest ramp
    load_orders(url, store_dir, first * 2 + max(ceiling, first) * 2 + warmup * servers)
    processes = Processes(folder, url, store_dir)
    print(
        f"chat over HTTP, paced sessions, {name}: {servers} web process(es) and a worker; "
        f"sessions start within {5 * pace:.1f} s, then {len(SCRIPT)} messages "
        f"{3 * pace:.1f}-{6 * pace:.1f} s apart; target: {TARGET_SESSIONS} sessions, "
        f"0 errors, p99 < {TARGET_P99 * 1000:.0f} ms"
    )
    print(f"  machine load (1, 5, 15 min): {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    try:
        bases = [processes.serve() for _ in range(servers)]
        processes.worker()
        next_order = 10_000
        if warmup:
            next_order += asyncio.run(warm_up(bases, next_order, warmup))
            print(f"  warm-up: {warmup} session(s) per server before measuring, not counted")

        def one(size: int) -> RunFigures:
            nonlocal next_order
            cpu_before = processes.cpu_seconds()
            figures = asyncio.run(paced_run(bases, next_order, size, pace))
            next_order += size
            print(figures.line())
            for line in figures.step_lines():
                print(line)
            cpu = processes.cpu_line(cpu_before, len(figures.latencies) + len(figures.errors))
            if cpu:
                print(cpu)
            if figures.errors:
                print(f"    first error: {figures.errors[0]}")
            return figures

        held = 0
        size = first
        if search is False:
            one(size)
            return
        if one(size).held:  # double while the runs hold
            held = size
            while size * 2 <= ceiling and one(size * 2).held:
                size *= 2
                held = size
        else:  # halve until one holds
            while size > 25:
                size //= 2
                if one(size).held:
                    held = size
                    break
        print(f"  most sessions held with p99 under {HELD_P99:.0f} s: {held or 'none'}")
    finally:
        processes.stop()
        print(f"  {processes.problems()}")


def run(
    folder: Path,
    sessions: int,
    ceiling: int,
    pace: float,
    engines: tuple[str, ...] = ("sqlite", "postgresql"),
    search: bool = True,
    warmup: int = WARMUP_SESSIONS,
) -> None:
    if "sqlite" in engines:
        sqlite_url = f"sqlite:///{folder / 'load.db'}"
        measure("SQLite", sqlite_url, folder / "sqlite", 1, sessions, ceiling, pace, search, warmup)
    if "postgresql" not in engines:
        return
    with contextlib.ExitStack() as stack:
        try:
            from tests.pg_server import temporary_postgres

            url = stack.enter_context(temporary_postgres("returnbridge_bench"))
        except (ImportError, RuntimeError) as error:
            print(f"chat over HTTP, PostgreSQL: skipped ({error})")
            return
        measure("PostgreSQL", url, folder / "postgres", 2, sessions, ceiling, pace, search, warmup)


def main(argv: list[str] | None = None) -> None:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--ceiling", type=int, default=800)
    parser.add_argument("--pace", type=float, default=1.0)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument(
        "--no-search", action="store_true", help="one run of --sessions, no search for the most"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=WARMUP_SESSIONS,
        help="whole sessions each server answers before measuring, not counted (0: none)",
    )
    args = parser.parse_args(argv)
    engines = tuple(args.engine or ("sqlite", "postgresql"))
    with tempfile.TemporaryDirectory(prefix="rb-load-") as tmp:
        run(
            Path(tmp),
            args.sessions,
            args.ceiling,
            args.pace,
            engines,
            not args.no_search,
            args.warmup,
        )


if __name__ == "__main__":
    main()
