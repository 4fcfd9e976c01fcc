"""The decision ledger and the journal, on both engines."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from graph.desk import ReturnsDesk
from ledger import audit, decisions, journal
from ledger.models import DecisionRow, JournalEntryRow, JournalLineRow, LedgerHead
from tools.accept_photo import sample_jpeg
from tools.open_case import ReturnRequest

ROOT = Path(__file__).resolve().parents[1]


def _run_mug_case(desk: ReturnsDesk) -> str:
    view = desk.submit_return(
        ReturnRequest(order="1001", email="ana@example.com", sku="MUG-1", reason="damaged"),
        photo=sample_jpeg("cracked"),
    )
    desk.supplier_action("acme", view.code, "approve", rma="RMA-1")
    desk.carrier_event(view.code, "delivered")
    desk.supplier_action("acme", view.code, "inspected_ok")
    return view.code


def test_a_whole_case_leaves_a_chain_that_verifies(desk: ReturnsDesk) -> None:
    code = _run_mug_case(desk)
    with desk.session() as session:
        report = decisions.verify(session)
        actions = decisions.case_actions(session, code)
    assert report.ok, report.problem
    assert report.rows == len(actions)
    assert actions[0] == "identity_verified"
    assert actions[-1] == "case_closed"


def test_tampering_with_a_row_is_named_by_verify(desk: ReturnsDesk) -> None:
    _run_mug_case(desk)
    with desk.session() as session:
        rows = session.execute(select(DecisionRow).order_by(DecisionRow.seq)).scalars().all()
        refund = next(row for row in rows if row.action == "refund_issued")
        data = json.loads(refund.data)
        data["amount"] = "2400.00"
        session.execute(
            update(DecisionRow)
            .where(DecisionRow.seq == refund.seq)
            .values(data=decisions.canonical_json(data))
        )
        target = refund.seq
    with desk.session() as session:
        report = decisions.verify(session)
    assert report.first_broken == target
    assert "hash" in report.problem


def test_deleting_a_row_breaks_the_chain_at_the_next_one(desk: ReturnsDesk) -> None:
    _run_mug_case(desk)
    with desk.session() as session:
        session.execute(text("delete from decisions where seq = 3"))
    with desk.session() as session:
        report = decisions.verify(session)
    assert report.first_broken == 4


def test_ledger_verify_command_names_the_broken_row(tmp_path: Path, desk: ReturnsDesk) -> None:
    if not desk.url.startswith("sqlite"):
        return  # the command is exercised once; the chain itself is checked on both engines
    _run_mug_case(desk)
    env = {
        **os.environ,
        "RETURNBRIDGE_DATABASE_URL": desk.url,
        "RETURNBRIDGE_STORE_DIR": str(ROOT / "store"),
    }
    command = [sys.executable, "-m", "bot.cli", "ledger", "verify"]
    ok = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "ledger ok" in ok.stdout
    with desk.session() as session:
        session.execute(update(DecisionRow).where(DecisionRow.seq == 5).values(actor="owner"))
    broken = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    assert broken.returncode == 1
    assert "row 5" in broken.stderr
    show = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ledger", "show", "RB-000001"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert show.returncode == 0, show.stderr
    assert "refund_issued" in show.stdout and "label_generated" in show.stdout


def test_every_journal_entry_balances(desk: ReturnsDesk) -> None:
    _run_mug_case(desk)
    with desk.session() as session:
        assert journal.trial_balance(session) == 0
        lines = session.execute(select(JournalLineRow)).scalars().all()
        by_entry: dict[int, int] = {}
        for line in lines:
            by_entry[line.entry_id] = by_entry.get(line.entry_id, 0) + line.amount_minor
    assert by_entry and all(total == 0 for total in by_entry.values())


def test_an_unbalanced_entry_is_refused(desk: ReturnsDesk) -> None:
    with desk.session() as session:
        try:
            journal.post(
                session,
                key="bad",
                at=dt.datetime.now(dt.UTC),
                case_code=None,
                kind="refund",
                currency="USD",
                lines=[
                    journal.Line(journal.REFUNDS_PAID, 100),
                    journal.Line(journal.CUSTOMER_PAYMENTS, -99),
                ],
            )
        except journal.UnbalancedEntry:
            pass
        else:
            raise AssertionError("an unbalanced entry was posted")


def test_unknown_actions_and_actors_are_refused(desk: ReturnsDesk) -> None:
    now = dt.datetime.now(dt.UTC)
    with desk.session() as session:
        for action, actor in (("refund_made", "system"), ("case_opened", "robot")):
            try:
                decisions.append(session, at=now, case_code=None, actor=actor, action=action)
            except decisions.LedgerError:
                continue
            raise AssertionError(f"{action} by {actor} was accepted")


# -- the money: journal entries covered by the chain, nothing given back beyond what was paid --


def _rehash_chain(session: Session) -> None:
    """What a forger with database access does after editing a row: recompute every hash."""
    prev = decisions.GENESIS
    rows = session.execute(select(DecisionRow).order_by(DecisionRow.seq)).scalars().all()
    for row in rows:
        row.prev_hash = prev
        row.hash = decisions.row_hash(
            prev, row.seq, row.at, row.case_code, row.actor, row.action, row.data, row.reason
        )
        prev = row.hash
    head = session.get(LedgerHead, 1)
    assert head is not None
    head.hash = prev


def _refund_entry(session: Session, code: str) -> JournalEntryRow:
    return session.execute(
        select(JournalEntryRow).where(JournalEntryRow.idempotency_key == f"{code}:refund:settle")
    ).scalar_one()


def _set_refund(session: Session, entry: JournalEntryRow, amount: int) -> None:
    for line in entry.lines:
        line.amount_minor = amount if line.account == journal.REFUNDS_PAID else -amount


def test_a_whole_case_leaves_money_that_verifies(desk: ReturnsDesk) -> None:
    _run_mug_case(desk)
    with desk.session() as session:
        report = audit.verify_money(session)
    assert report.ok, report.problem
    assert report.entries == 3 and report.line_items == 1  # label, refund, supplier credit


def test_an_amount_edited_in_the_journal_is_named_even_with_the_chain_rehashed(
    desk: ReturnsDesk,
) -> None:
    code = _run_mug_case(desk)
    with desk.session() as session:
        entry = _refund_entry(session, code)
        _set_refund(session, entry, 1000)  # still balanced: 10.00 out instead of 24.00
        _rehash_chain(session)
        target = entry.id
    with desk.session() as session:
        assert decisions.verify(session).ok  # the chain alone cannot see it
        report = audit.verify_money(session)
    assert not report.ok
    assert report.problem.startswith(f"journal entry {target} ({code}:refund:settle)")
    assert "differ from what decision row" in report.problem


def test_an_unbalanced_entry_in_the_table_is_named(desk: ReturnsDesk) -> None:
    code = _run_mug_case(desk)
    with desk.session() as session:
        entry = _refund_entry(session, code)
        next(line for line in entry.lines if line.amount_minor < 0).amount_minor = -2300
        target = entry.id
    with desk.session() as session:
        report = audit.verify_money(session)
    assert (
        report.problem
        == f"journal entry {target} ({code}:refund:settle): its lines sum to 100, not 0"
    )


def test_an_entry_outside_the_chain_and_an_entry_deleted_are_named(desk: ReturnsDesk) -> None:
    code = _run_mug_case(desk)
    with desk.session() as session:
        extra = journal.post(
            session,
            key="slipped-in",
            at=dt.datetime.now(dt.UTC),
            case_code=code,
            kind="refund",
            currency="USD",
            lines=[
                journal.Line(journal.REFUNDS_PAID, 1),
                journal.Line(journal.CUSTOMER_PAYMENTS, -1),
            ],
        )
        extra_id = extra.id
    with desk.session() as session:
        assert audit.verify_money(session).problem == (
            f"journal entry {extra_id} (slipped-in) is not covered by the decision chain"
        )
        session.delete(session.get(JournalEntryRow, extra_id))
        session.delete(_refund_entry(session, code))
    with desk.session() as session:
        problem = audit.verify_money(session).problem
    assert problem.startswith("decision row ")
    assert problem.endswith(f"records journal entry {code}:refund:settle, which is missing")


def test_giving_back_more_than_was_paid_is_named(desk: ReturnsDesk) -> None:
    """Journal and decision edited together and the chain rehashed: the cap still holds."""
    code = _run_mug_case(desk)
    with desk.session() as session:
        entry = _refund_entry(session, code)
        _set_refund(session, entry, 4800)
        session.flush()
        refund = session.execute(
            select(DecisionRow).where(
                DecisionRow.case_code == code, DecisionRow.action == "refund_issued"
            )
        ).scalar_one()
        data = json.loads(refund.data)
        data["journal"] = journal.cover(entry)
        refund.data = decisions.canonical_json(data)
        _rehash_chain(session)
        line_item = entry.lines[0].line_item_id or entry.lines[1].line_item_id
    with desk.session() as session:
        assert decisions.verify(session).ok
        report = audit.verify_money(session)
    assert report.problem == (
        f"line item {line_item} (order 1001, MUG-1): 48.00 USD given back, 24.00 USD paid"
    )


def test_ledger_verify_command_names_the_first_bad_journal_entry(
    tmp_path: Path, desk: ReturnsDesk
) -> None:
    if not desk.url.startswith("sqlite"):
        return  # the command once; the checks themselves run on both engines above
    code = _run_mug_case(desk)
    env = {
        **os.environ,
        "RETURNBRIDGE_DATABASE_URL": desk.url,
        "RETURNBRIDGE_STORE_DIR": str(ROOT / "store"),
    }
    command = [sys.executable, "-m", "bot.cli", "ledger", "verify"]
    ok = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "3 journal entries balanced and covered by the chain" in ok.stdout
    with desk.session() as session:
        _set_refund(session, _refund_entry(session, code), 100)
        _rehash_chain(session)
    broken = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    assert broken.returncode == 1
    assert f"money broken: journal entry 2 ({code}:refund:settle)" in broken.stderr
