"""Races on PostgreSQL: three ``returnbridge serve`` processes on one database.

Many customers, suppliers and owners act on the same unit, the same case or the same decision
at the same moment, through different processes. Afterwards the invariants are read straight
from the database: no more units in live cases than were sold, nothing given back beyond what
was paid, every journal entry balanced, the decision chain whole. Each burst is a few dozen
requests on 127.0.0.1; the whole file takes a few seconds after the servers start.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.web.supplier import InboxLinks
from graph.clock import SystemClock
from graph.desk import ReturnsDesk
from ledger.models import CaseRow, LabelRow
from ledger.repository import import_orders
from policies.loader import load_store, orders_from_data
from tests import race_world as world

pytestmark = pytest.mark.postgres

SECRET = "race-test-secret"
SERVERS = 3
SERVE = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"]
START_TIMEOUT_S = 90.0
REQUEST_TIMEOUT_S = 60.0


@dataclass
class Cluster:
    url: str
    bases: list[str]
    desk: ReturnsDesk
    env: dict[str, str]

    def base(self, index: int) -> str:
        return self.bases[index % len(self.bases)]

    def session(self) -> contextlib.AbstractContextManager[Any]:
        return self.desk.session()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server {base} exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server {base} did not start within {START_TIMEOUT_S} s")


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
    database_factory: Callable[[str, Path], contextlib.AbstractContextManager[str]],
) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("races")
    store_dir = world.write_store(folder / "store")
    with database_factory("postgresql", folder) as url:
        store = load_store(store_dir)
        desk = ReturnsDesk(url, store, SystemClock())  # migrates before the servers start
        with desk.session() as session:
            orders = orders_from_data(world.race_orders(dt.datetime.now(dt.UTC)), "race", store)
            import_orders(session, orders, store.policy.currency)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("RETURNBRIDGE_", "OPENAI_", "SLACK_", "SHOPIFY_", "EASYPOST_"))
        }
        env.update(
            RETURNBRIDGE_DATABASE_URL=url,
            RETURNBRIDGE_STORE_DIR=str(store_dir),
            RETURNBRIDGE_SECRET_KEY=SECRET,
        )
        processes: list[subprocess.Popen[bytes]] = []
        bases: list[str] = []
        logs = []
        try:
            for index in range(SERVERS):
                port = _free_port()
                log = open(folder / f"server{index}.log", "wb")  # noqa: SIM115
                logs.append(log)
                processes.append(
                    subprocess.Popen(
                        [*SERVE, "--port", str(port)],
                        env=env,
                        cwd=folder,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
                bases.append(f"http://127.0.0.1:{port}")
            deadline = time.monotonic() + START_TIMEOUT_S
            for base, process in zip(bases, processes, strict=True):
                _wait_until_up(base, process, deadline)
            yield Cluster(url=url, bases=bases, desk=desk, env=env)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for log in logs:
                log.close()
            desk.close()


def at_once(count: int, act: Callable[[int], Any]) -> list[Any]:
    """Run ``act(i)`` for i in range(count) in threads released together; results in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = act(index)
        except Exception as error:  # a failed request is a result to look at, not a crash
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT_S + 5)
    return results


def browsers(cluster: Cluster, count: int, page: str, field: str) -> list[tuple[httpx.Client, str]]:
    """One browser per racer, each having opened ``page`` on its own server first: its form
    cookie and the form token the page carries (cross-site protection holds in the race)."""
    opened = []
    for index in range(count):
        client = httpx.Client(base_url=cluster.base(index), timeout=REQUEST_TIMEOUT_S)
        html = client.get(page).text
        found = re.search(rf'name="{field}" value="([^"]+)"', html)
        assert found is not None, html[:500]
        opened.append((client, found.group(1)))
    return opened


def statuses(responses: list[Any]) -> list[int | str]:
    return [r.status_code if isinstance(r, httpx.Response) else repr(r) for r in responses]


def open_case(cluster: Cluster, order: str, sku: str, reason: str = "changed_mind") -> str:
    response = httpx.post(
        f"{cluster.base(0)}/api/returns",
        json=world.form(order, sku, reason),
        timeout=REQUEST_TIMEOUT_S,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["case"]["code"])


def assert_invariants(cluster: Cluster) -> None:
    with cluster.session() as session:
        assert world.money_problems(session) == []


def test_twenty_form_posts_for_one_unit_open_one_case(cluster: Cluster) -> None:
    def post(index: int) -> httpx.Response:
        return httpx.post(
            f"{cluster.base(index)}/api/returns",
            json=world.form(world.FORM_ORDER, "HP-1"),
            timeout=REQUEST_TIMEOUT_S,
        )

    responses = at_once(20, post)
    codes = statuses(responses)
    assert codes.count(201) == 1, codes
    assert codes.count(422) == 19, codes
    for response in responses:
        if response.status_code == 422:
            assert response.json()["error"]["code"] == "quantity_exceeded"
    with cluster.session() as session:
        cases = session.query(CaseRow).join(CaseRow.order).filter_by(number=world.FORM_ORDER).all()
        assert len(cases) == 1 and cases[0].status == "resolved"
    assert_invariants(cluster)


def test_ten_chat_confirmations_for_one_unit_open_one_case(cluster: Cluster) -> None:
    sessions = []
    for index in range(10):
        base = cluster.base(index)
        sid = httpx.post(f"{base}/api/chat/sessions", timeout=REQUEST_TIMEOUT_S).json()["session"]
        said = httpx.post(
            f"{base}/api/chat/sessions/{sid}/messages",
            json={"text": world.CHAT_REQUEST},
            timeout=REQUEST_TIMEOUT_S,
        ).json()
        assert "yes or no" in said["messages"][-1]["text"]
        sessions.append((base, sid))

    def confirm(index: int) -> httpx.Response:
        base, sid = sessions[index]
        return httpx.post(
            f"{base}/api/chat/sessions/{sid}/messages",
            json={"choice": "yes"},
            timeout=REQUEST_TIMEOUT_S,
        )

    responses = at_once(len(sessions), confirm)
    assert statuses(responses) == [200] * len(sessions)
    texts = [" ".join(m["text"] for m in r.json()["messages"]) for r in responses]
    done = [text for text in texts if "Your return number is" in text]
    assert len(done) == 1, texts
    refused = [text for text in texts if "already in a return" in text]
    assert len(refused) == len(sessions) - 1, texts
    with cluster.session() as session:
        cases = session.query(CaseRow).join(CaseRow.order).filter_by(number=world.CHAT_ORDER).all()
        assert len(cases) == 1
    assert_invariants(cluster)


def test_simultaneous_supplier_approvals_act_once_and_say_so(cluster: Cluster) -> None:
    code = open_case(cluster, world.SUPPLIER_ORDER, "LAMP-3", "wrong_size")
    token = InboxLinks(SECRET).token("acme")
    racers = browsers(cluster, 6, f"/supplier/{token}", "csrf")

    def approve(index: int) -> httpx.Response:
        client, csrf = racers[index]
        return client.post(
            f"/supplier/{token}/cases/{code}",
            data={
                "action": "approve",
                "nonce": f"race-nonce-{index:04d}",
                "rma": f"RMA-{index}",
                "csrf": csrf,
            },
        )

    responses = at_once(6, approve)
    assert statuses(responses) == [303] * 6
    said = [httpx.URL(r.headers["location"]).params["said"] for r in responses]
    approved = [text for text in said if text.startswith("Approved")]
    assert len(approved) == 1, said
    # The others were told the truth: decided before them (in the race, or just before it).
    assert all(world.told_decided(text) for text in said if text not in approved), said
    with cluster.session() as session:
        labels = session.query(LabelRow).filter_by(case_code=code).count()
        assert labels == 1
        assert world.count_actions(session, "supplier_decision", code) == 1
        assert world.count_actions(session, "label_generated", code) == 1
    assert_invariants(cluster)


def test_simultaneous_arrivals_and_inspections_pay_once(cluster: Cluster) -> None:
    """The case the approvals above left waiting for the parcel: the supplier presses
    "parcel arrived" several times at once (its word stands in for the carrier's feed), then
    "inspected OK" several times at once. One delivery, one refund."""
    with cluster.session() as session:
        case = (
            session.query(CaseRow).join(CaseRow.order).filter_by(number=world.SUPPLIER_ORDER).one()
        )
        code = case.code
    assert case.status == "awaiting_shipment"
    token = InboxLinks(SECRET).token("acme")
    racers = browsers(cluster, 4, f"/supplier/{token}", "csrf")

    def press(action: str) -> Callable[[int], httpx.Response]:
        def post(index: int) -> httpx.Response:
            client, csrf = racers[index]
            return client.post(
                f"/supplier/{token}/cases/{code}",
                data={"action": action, "nonce": f"race-{action}-{index:04d}", "csrf": csrf},
            )

        return post

    arrived = at_once(4, press("parcel_arrived"))
    said = [httpx.URL(r.headers["location"]).params["said"] for r in arrived]
    assert sum(text.startswith("Parcel for") for text in said) == 1, said
    inspected = at_once(4, press("inspected_ok"))
    said = [httpx.URL(r.headers["location"]).params["said"] for r in inspected]
    assert sum(text.startswith("Inspected OK") for text in said) == 1, said
    assert all(world.told_decided(t) for t in said if not t.startswith("Inspected OK")), said
    with cluster.session() as session:
        assert session.query(CaseRow).filter_by(code=code).one().status == "resolved"
        assert world.count_actions(session, "shipment_event", code) == 1
        assert world.count_actions(session, "inspection_result", code) == 1
        assert world.count_actions(session, "refund_issued", code) == 1
    assert_invariants(cluster)


def _owner_reply(response: httpx.Response) -> str:
    found = re.search(r"(Approved|Denied) return RB-\d+", response.text)
    if found:
        return found.group(0)
    return "refused" if world.told_decided(response.text) else response.text


def test_simultaneous_owner_approvals_act_once_and_say_so(cluster: Cluster) -> None:
    code = open_case(cluster, world.OWNER_ORDER, "TV-4")
    with cluster.session() as session:
        assert session.query(CaseRow).filter_by(code=code).one().status == "pending_review"

    racers = browsers(cluster, 6, "/owner", "token")

    def approve(index: int) -> httpx.Response:
        client, token = racers[index]
        return client.post(f"/owner/cases/{code}/approve", data={"token": token})

    responses = at_once(6, approve)
    assert statuses(responses) == [200] * 6
    replies = [_owner_reply(r) for r in responses]
    assert replies.count(f"Approved return {code}") == 1, replies
    assert replies.count("refused") == 5, replies
    with cluster.session() as session:
        assert world.count_actions(session, "owner_decision", code) == 1
        assert world.count_actions(session, "refund_issued", code) == 1
    assert_invariants(cluster)


def test_approve_and_deny_at_once_one_decision_stands(cluster: Cluster) -> None:
    code = open_case(cluster, world.OWNER_MIXED_ORDER, "TV-5")

    racers = browsers(cluster, 6, "/owner", "token")

    def decide(index: int) -> httpx.Response:
        verb = "approve" if index % 2 else "deny"
        client, token = racers[index]
        return client.post(f"/owner/cases/{code}/{verb}", data={"token": token})

    responses = at_once(6, decide)
    assert statuses(responses) == [200] * 6
    replies = [_owner_reply(r) for r in responses]
    winners = [reply for reply in replies if reply.endswith(code)]
    assert len(winners) == 1, replies
    assert replies.count("refused") == 5, replies
    with cluster.session() as session:
        case = session.query(CaseRow).filter_by(code=code).one()
        assert case.status == ("resolved" if winners[0].startswith("Approved") else "denied")
        assert world.count_actions(session, "owner_decision", code) == 1
    assert_invariants(cluster)


def test_ledger_verify_passes_after_the_races(cluster: Cluster) -> None:
    """The command an operator runs, against everything the races above left behind."""
    verify = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ledger", "verify"],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "journal entries balanced and covered by the chain" in verify.stdout
