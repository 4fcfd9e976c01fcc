"""The owner's desk in scenario files (format v2): steps ``owner_reply``, ``supplier_credit``
and ``refund_paid`` (the owner paid a cash-on-delivery refund by hand); checks
``owner_inbox``, ``customer_told``, ``customer_not_told``, ``supplier_told`` and ``scorecard``.
Kept apart from the runner's core so each feature adds its own keys.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from bot.scenarios.format import ScenarioFormatError, Step
from graph.owner_inbox import ReplyRefused, reply
from ledger import outbox
from ledger.chat_models import ChatMessageRow
from ledger.models import OutboxRow
from ledger.owner_models import InboxItemRow
from ledger.repository import find_order
from policies.money import Money
from tools import supplier_credit
from tools.errors import ReturnError
from tools.supplier_scorecard import scorecard

DESK_STEPS = frozenset({"owner_reply", "supplier_credit", "refund_paid"})
DESK_CHECKS = frozenset(
    {"owner_inbox", "customer_told", "customer_not_told", "supplier_told", "scorecard"}
)

# Scorecard keys: the figure each names (money in the store currency, rates as "5.0%").
_MONEY_FIGURES = {
    "credit_owed": "credit_owed_minor",
    "credit_received": "credit_received_minor",
    "credit_overdue": "credit_overdue_minor",
    "credit_written_off": "credit_written_off_minor",
    "written_off": "credit_written_off_minor",
}
_HOURS_KEYS = (
    "median_decision_hours",
    "median_hours_to_decision",
    "median_hours_request_to_decision",
    "median_response_hours",
    "decision_hours",
)
_DAYS_KEYS = (
    "median_days_to_credit",
    "median_credit_days",
    "median_days_to_received",
    "median_days_recorded_to_received",
    "median_days_to_credit_received",
    "credit_days",
)


class DeskCheckFailed(Exception):
    pass


def _failed(line: int, message: str) -> DeskCheckFailed:
    return DeskCheckFailed(f"line {line}: {message}")


# -- steps ------------------------------------------------------------------------------------


def play_desk_step(run: Any, step: Step) -> None:
    if step.kind == "owner_reply":
        owner_reply(run, step.value, step)
    elif step.kind == "supplier_credit":
        record_supplier_credit(run, step.value, step)
    elif step.kind == "refund_paid":
        refund_paid(run, step.value, step)
    else:  # pragma: no cover - the format admits only the steps above
        raise ScenarioFormatError(f"line {step.line}: unknown step {step.kind!r}")


def owner_reply(run: Any, value: Any, step: Step) -> None:
    if (
        not isinstance(value, dict)
        or "text" not in value
        or value.get("to")
        not in (
            "customer",
            "supplier",
        )
    ):
        raise ScenarioFormatError(
            f"line {step.line}: owner_reply needs 'order' (or 'case'), 'to' (customer or "
            "supplier) and 'text'"
        )
    target = value.get("case") or value.get("order")
    if target is None:
        raise ScenarioFormatError(f"line {step.line}: owner_reply needs 'order' or 'case'")
    run.owner_said = []
    run.owner_mark = run._outbox_mark()
    try:
        run.owner_said.append(reply(run.desk, str(target), value["to"], str(value["text"])))
    except (ReplyRefused, ReturnError) as error:
        raise DeskCheckFailed(f"line {step.line}: owner_reply: {error.message}") from None


def refund_paid(run: Any, value: Any, step: Step) -> None:
    """``refund_paid: {order: NUMBER, reference: TEXT}`` (or ``case: CODE``): the owner paid
    the refund of a cash-on-delivery order by hand and marks it paid. A refusal (paid
    already, nothing owed by hand) is what the owner is told, as for any owner action."""
    if not isinstance(value, dict) or not (value.get("order") or value.get("case")):
        raise ScenarioFormatError(
            f"line {step.line}: refund_paid needs 'order' (or 'case') and may name a 'reference'"
        )
    code = str(value.get("case") or value.get("order"))
    run.owner_said = []
    run.owner_mark = run._outbox_mark()
    try:
        view = run.desk.refund_paid_by_hand(code, str(value.get("reference") or ""))
    except ReturnError as error:
        run.owner_said.append(error.message)
        return
    run.owner_said.append(f"Return {view.code}: refund of {view.refunded} recorded paid by hand.")


def record_supplier_credit(run: Any, value: Any, step: Step) -> None:
    if not isinstance(value, dict) or "id" not in value or "amount" not in value:
        raise ScenarioFormatError(
            f"line {step.line}: supplier_credit needs 'id', 'amount' and 'reference'"
        )
    currency = run.desk.store.policy.currency
    try:
        amount = Money.parse(str(value["amount"]).strip().lstrip("$€£"), currency).minor
    except (ValueError, InvalidOperation):
        raise ScenarioFormatError(
            f"line {step.line}: supplier_credit amount {value['amount']!r} is not an amount"
        ) from None
    order = value.get("order")
    run.owner_said = []
    run.owner_mark = run._outbox_mark()
    with run.desk.session() as session:
        try:
            done = supplier_credit.record_received(
                run.desk.context(session),
                str(value["id"]),
                amount,
                str(value.get("reference") or f"scenario line {step.line}"),
                order=str(order) if order is not None else None,
                case_code=str(value["case"]) if value.get("case") else None,
            )
        except ReturnError as error:
            raise DeskCheckFailed(f"line {step.line}: supplier_credit: {error.message}") from None
        run.owner_said.append(
            f"Recorded {Money(minor=done.amount_minor, currency=currency)} from {done.supplier_id}."
        )


# -- checks -----------------------------------------------------------------------------------


def desk_checks(run: Any, value: dict[str, Any], line: int) -> list[str]:
    failures: list[str] = []
    if "owner_inbox" in value:
        failures.extend(_check_inbox(run, value["owner_inbox"], line))
    if "customer_told" in value:
        told = customer_told(run)
        for word in _as_list(value["customer_told"]):
            if str(word).lower() not in told:
                failures.append(
                    f"line {line}: customer_told {word!r}: not in anything sent to customers "
                    f"({told[-300:]!r})"
                )
    if "customer_not_told" in value:
        told = customer_told(run)
        for word in _as_list(value["customer_not_told"]):
            if str(word).lower() in told:
                failures.append(
                    f"line {line}: customer_not_told {word!r}: a customer was told it "
                    f"({told[-300:]!r})"
                )
    if "supplier_told" in value:
        spec = value["supplier_told"]
        if not isinstance(spec, dict) or "id" not in spec:
            raise ScenarioFormatError(f"line {line}: supplier_told needs 'id' and 'contains'")
        told = supplier_told(run, str(spec["id"]))
        for word in _as_list(spec.get("contains")):
            if str(word).lower() not in told:
                failures.append(
                    f"line {line}: supplier_told {spec['id']} {word!r}: not in {told[-300:]!r}"
                )
    if "scorecard" in value:
        failures.extend(_check_scorecard(run, value["scorecard"], line))
    return failures


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _check_inbox(run: Any, spec: Any, line: int) -> list[str]:
    if not isinstance(spec, dict):
        raise ScenarioFormatError(f"line {line}: owner_inbox needs a mapping (open, contains)")
    unknown = set(spec) - {"open", "contains", "kind", "order"}
    if unknown:
        raise ScenarioFormatError(f"line {line}: unknown owner_inbox check {sorted(unknown)[0]!r}")
    with run.desk.session() as session:
        query = select(InboxItemRow).where(InboxItemRow.status == "open")
        if "kind" in spec:
            query = query.where(InboxItemRow.kind == str(spec["kind"]))
        if "order" in spec:
            order = find_order(session, str(spec["order"]))
            number = order.number if order is not None else str(spec["order"])
            query = query.where(InboxItemRow.order_number == number)
        items = list(session.execute(query.order_by(InboxItemRow.id)).scalars())
        texts = "\n".join(f"{item.text}\n{item.summary}" for item in items).lower()
        kinds = [item.kind for item in items]
    failures = []
    if "open" in spec and len(items) != int(spec["open"]):
        failures.append(f"line {line}: owner_inbox open: expected {spec['open']}, got {kinds}")
    for word in _as_list(spec.get("contains")):
        if str(word).lower() not in texts:
            failures.append(
                f"line {line}: owner_inbox contains {word!r}: not in the open items "
                f"({texts[-300:]!r})"
            )
    return failures


def customer_told(run: Any) -> str:
    """Everything sent to any customer so far: chat, e-mail, the case page; lower case."""
    with run.desk.session() as session:
        mailed = [row.text for row in outbox.messages(session, channel=outbox.CUSTOMER)]
        chatted = list(
            session.execute(
                select(ChatMessageRow.text)
                .where(ChatMessageRow.role == "bot")
                .order_by(ChatMessageRow.id)
            ).scalars()
        )
    return "\n".join([*mailed, *chatted, *run.customer_said]).lower()


def supplier_told(run: Any, supplier_id: str) -> str:
    """Everything posted to that supplier so far: its outbox messages, its Slack channel."""
    from graph.supplier_answers import ACK_CHANNEL

    with run.desk.session() as session:
        rows = session.execute(
            select(OutboxRow.text)
            .where(
                OutboxRow.channel.in_((outbox.SUPPLIER, ACK_CHANNEL)),
                OutboxRow.recipient == supplier_id,
            )
            .order_by(OutboxRow.id)
        ).scalars()
        texts = list(rows)
    side = run.__dict__.get("supplier_slack")
    if side is not None:
        channel = side.slack.outbox.channel_for(supplier_id)
        texts.extend(m.text for m in side.api.messages if m.channel == channel)
    return "\n".join(texts).lower()


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value).strip().rstrip("%").strip())
    except InvalidOperation:
        return None


def _check_scorecard(run: Any, spec: Any, line: int) -> list[str]:
    if not isinstance(spec, dict) or "id" not in spec:
        raise ScenarioFormatError(f"line {line}: scorecard needs 'id' and the figures to check")
    supplier_id = str(spec["id"])
    if supplier_id not in run.desk.store.suppliers:
        raise ScenarioFormatError(f"line {line}: scorecard: no supplier {supplier_id!r}")
    with run.desk.session() as session:
        card = scorecard(session, run.desk.store, supplier_id, run.desk.clock.now())
    failures = []
    prefix = f"line {line}: scorecard {supplier_id}"
    for key, expected in spec.items():
        actual: Any
        if key == "id":
            continue
        if key == "units_sold":
            actual = card.units_sold
            ok = _number(expected) == Decimal(actual)
        elif key in ("units_returned", "returned_units"):
            actual = card.units_returned
            ok = _number(expected) == Decimal(actual)
        elif key in ("return_rate", "fault_return_rate"):
            actual = getattr(card, key)
            wanted = _number(expected)
            ok = wanted is not None and percent_equal(wanted, actual)
        elif key in _MONEY_FIGURES:
            minor = getattr(card, _MONEY_FIGURES[key])
            actual = Money(minor=minor, currency=card.currency).amount_str()
            wanted = _number(str(expected).lstrip("$€£"))
            ok = wanted is not None and wanted == Decimal(actual)
        elif key in _HOURS_KEYS or key in _DAYS_KEYS:
            figure = card.median_decision_hours if key in _HOURS_KEYS else None
            if key in _DAYS_KEYS:
                figure = card.median_days_to_credit
            actual = None if figure is None else round(figure, 1)
            wanted = _number(expected) if expected is not None else None
            ok = (actual is None and wanted is None) or (
                actual is not None
                and wanted is not None
                and abs(Decimal(str(actual)) - wanted) < Decimal("0.051")
            )
        else:
            raise ScenarioFormatError(f"line {line}: unknown scorecard check {key!r}")
        if not ok:
            failures.append(f"{prefix} {key}: expected {expected!r}, got {actual!r}")
    return failures


def percent_equal(wanted: Decimal, actual: str) -> bool:
    """Percentages compare to one decimal: ``"5"`` equals ``"5.0%"``."""
    return wanted.quantize(Decimal("0.1")) == Decimal(actual.rstrip("%"))
