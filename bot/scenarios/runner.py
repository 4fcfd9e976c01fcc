"""Run scenario files against a fresh store each: frozen clock, offline understanding,
local labels and payments, the supplier side recorded in process."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pytimeparse import parse as parse_duration
from sqlalchemy import func, select

from adapters.shopify_orders import ShopifyOrdersError, read_orders_csv, store_orders
from bot.scenarios.chat import rule_compiler
from bot.scenarios.desk import (
    DESK_CHECKS,
    DESK_STEPS,
    DeskCheckFailed,
    desk_checks,
    play_desk_step,
)
from bot.scenarios.format import LineDict, Scenario, ScenarioFormatError, Step, parse_scenario
from graph.clock import FrozenClock
from graph.desk import CaseView, ReturnsDesk
from graph.owner_console import answer_owner
from graph.rulebook import Rulebook
from language.rules.compiler import RuleNotUnderstood
from ledger import audit, decisions, outbox, timers
from ledger.models import CaseRow, LabelRow, OrderRow, OutboxRow
from ledger.repository import find_order, import_orders
from policies.loader import PolicyError, describe_validation, orders_from_data, store_from_data
from policies.models import normalize_order_number
from policies.money import Money
from tools.accept_photo import sample_jpeg
from tools.errors import ReturnError
from tools.open_case import ReturnRequest
from tools.refund_caps import order_paid

DatabaseFactory = Callable[[Path], contextlib.AbstractContextManager[str]]


class NotSupportedYet(Exception):
    pass


class CheckFailed(Exception):
    pass


@dataclass
class ScenarioResult:
    name: str
    path: str
    passed: bool
    failures: list[str] = field(default_factory=list)
    steps: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "passed": self.passed,
            "failures": self.failures,
            "steps": self.steps,
        }


@contextlib.contextmanager
def temporary_sqlite(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder / 'scenario.db'}"


CASE_CHECKS = frozenset(
    {
        "order",
        "status",
        "resolution",
        "refunded",
        "store_credit",
        "supplier_credit",
        "return_required",
        "label",
        "rma",
        # What the customer asked for, as the chat understood it.
        "item",
        "quantity",
        "reason",
        "requested_resolution",
    }
)


def _money_equal(expected: Any, actual: str) -> bool:
    try:
        return Decimal(str(expected).strip().lstrip("$€£")) == Decimal(actual)
    except InvalidOperation:
        return False


def normalize_rma(value: Any) -> str:
    text = str(value or "").upper().replace(" ", "").replace("-", "")
    return text.removeprefix("RMA").lstrip("#:")


class ScenarioRun:
    """One scenario being played: the desk, the clock and what each party was told."""

    def __init__(
        self, scenario: Scenario, desk: ReturnsDesk, clock: FrozenClock, imported: int = 0
    ) -> None:
        self.scenario = scenario
        self.desk = desk
        self.clock = clock
        self.imported_orders = imported  # orders the shopify_csv import brought in
        self.customer_said: list[str] = []
        self.customer_mark = 0
        self.owner_said: list[str] = []
        self.owner_mark = 0

    # -- steps ------------------------------------------------------------------------------

    def play(self, step: Step) -> None:
        if step.kind in DESK_STEPS:
            self._desk_step(step)
            return
        handler = getattr(self, f"step_{step.kind}")
        handler(step.value, step)

    def _desk_step(self, step: Step) -> None:
        try:
            play_desk_step(self, step)
        except DeskCheckFailed as error:
            raise CheckFailed(str(error)) from None

    def _outbox_mark(self) -> int:
        with self.desk.session() as session:
            return int(
                session.execute(select(func.coalesce(func.max(OutboxRow.id), 0))).scalar_one()
            )

    def _customer_turn(self) -> None:
        self.customer_said = []
        self.customer_mark = self._outbox_mark()

    def step_portal(self, value: Any, step: Step) -> None:
        if not isinstance(value, dict):
            raise ScenarioFormatError(f"line {step.line}: portal needs a mapping of form fields")
        self._customer_turn()
        form = {key: val for key, val in value.items()}
        photo = bool(form.get("photo", False))
        try:
            request = ReturnRequest.model_validate(form)
        except ValidationError as exc:
            self.customer_said.append(
                "Please check the form: " + describe_validation("form", exc).replace("\n", "; ")
            )
            return
        try:
            view = self.desk.submit_return(request, photo=sample_jpeg("form") if photo else None)
        except ReturnError as error:
            self.customer_said.append(error.message)
            return
        self.customer_said.append(
            f"Thanks! Your return {view.code} is {view.status.replace('_', ' ')}."
        )

    def step_customer(self, value: Any, step: Step) -> None:
        from bot.scenarios.chat import customer_says

        self._customer_turn()
        self.customer_said.extend(customer_says(self, step.session, value))

    def step_customer_choice(self, value: Any, step: Step) -> None:
        from bot.scenarios.chat import customer_presses

        self._customer_turn()
        self.customer_said.extend(customer_presses(self, step.session, value))

    def step_customer_code(self, value: Any, step: Step) -> None:
        """The customer types in the chat the one-time code last sent to the address or phone
        ``value`` (read from the outbox, where e-mails and text messages wait); nothing is
        typed when no code went there."""
        from bot.scenarios.chat import customer_says
        from tools.one_time_codes import KIND, read_contact

        try:
            wanted = read_contact(str(value or "")).key
        except ReturnError as error:
            raise ScenarioFormatError(f"line {step.line}: customer_code: {error.message}") from None
        with self.desk.session() as session:
            sent = session.execute(
                select(OutboxRow).where(OutboxRow.kind == KIND).order_by(OutboxRow.id.desc())
            ).scalars()
            text = next(
                (row.text for row in sent if read_contact(row.recipient).key == wanted), None
            )
        self._customer_turn()
        found = re.search(r"\b(\d{6})\b", text or "")
        if found is None:
            return  # no code arrived: the customer has nothing to type
        self.customer_said.extend(customer_says(self, step.session, found.group(1)))

    def step_customer_photo(self, value: Any, step: Step) -> None:
        from bot.scenarios.chat import chat_session_open, customer_sends_photo

        self._customer_turn()
        if chat_session_open(self, step.session):
            self.customer_said.extend(customer_sends_photo(self, step.session, str(value or "")))
            return
        with self.desk.session() as session:
            code = session.execute(
                select(CaseRow.code)
                .where(CaseRow.status == "awaiting_photo")
                .order_by(CaseRow.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        if code is None:
            self.customer_said.append("There is no return waiting for a photo.")
            return
        try:
            self.desk.add_photo(code, sample_jpeg(str(value)), description=str(value or ""))
        except ReturnError as error:
            self.customer_said.append(error.message)

    def _case_for(self, order: Any, supplier: str | None, *, need_label: bool = False) -> str:
        with self.desk.session() as session:
            query = select(CaseRow).join(OrderRow, CaseRow.order_id == OrderRow.id)
            if order is not None:
                query = query.where(OrderRow.number == normalize_order_number(str(order)))
            if need_label:
                query = query.join(LabelRow, LabelRow.case_code == CaseRow.code)
            rows = list(session.execute(query.order_by(CaseRow.id.desc())).scalars())
            if supplier is not None:
                own = [row for row in rows if row.supplier_id == supplier]
                live = [row for row in own if row.status not in ("resolved", "denied", "cancelled")]
                rows = (live or own) if order is None else (live or own or rows)
            if not rows:
                where = f"order {order}" if order is not None else f"supplier {supplier}"
                raise CheckFailed(f"no case found for {where}")
            return rows[0].code

    def step_supplier(self, value: Any, step: Step) -> None:
        if not isinstance(value, dict) or "id" not in value:
            raise ScenarioFormatError(f"line {step.line}: supplier needs at least 'id'")
        supplier = str(value["id"])
        button = value.get("button")
        if (
            "text" not in value
            and "edit" not in value
            and button
            not in (
                "approve",
                "decline",
                "inspected_ok",
                "inspected_failed",
                "question",
            )
        ):
            raise ScenarioFormatError(
                f"line {step.line}: supplier needs 'text', 'edit' or a 'button' "
                "(approve, decline, inspected_ok, inspected_failed)"
            )
        code = self._case_for(value.get("order"), supplier)
        # Through the Slack app, as signed requests; a refusal is the bot's answer in the
        # thread and changes nothing.
        from bot.scenarios.slack import SlackScenarioSide, SlackStepFailed

        side = self.__dict__.get("supplier_slack")
        if side is None:
            side = self.__dict__["supplier_slack"] = SlackScenarioSide(self.desk)
        try:
            side.play(supplier, code, dict(value))
        except SlackStepFailed as error:
            raise CheckFailed(f"line {step.line}: {error}") from None

    def step_owner(self, value: Any, step: Step) -> None:
        self.owner_said = []
        self.owner_mark = self._outbox_mark()
        book = Rulebook(self.desk, rule_compiler(self.desk.store))
        self.owner_said.append(answer_owner(self.desk, str(value), book))

    def step_marketplace_return(self, value: Any, step: Step) -> None:
        """The owner records a return request a marketplace passed on (v2)."""
        from tools.marketplace import MarketplaceReturn

        if not isinstance(value, dict):
            raise ScenarioFormatError(
                f"line {step.line}: marketplace_return needs order, sku, quantity and reason"
            )
        try:
            request = MarketplaceReturn.model_validate(dict(value))
        except ValidationError as exc:
            raise ScenarioFormatError(
                f"line {step.line}: "
                + describe_validation("marketplace_return", exc).replace("\n", "; ")
            ) from None
        self.owner_said = []
        self.owner_mark = self._outbox_mark()
        try:
            view = self.desk.record_marketplace_return(request)
        except ReturnError as error:
            self.owner_said.append(error.message)
            return
        self.owner_said.append(
            f"Recorded {view.code}: {view.status.replace('_', ' ')} with {view.supplier_id}."
        )

    def step_carrier(self, value: Any, step: Step) -> None:
        if not isinstance(value, dict) or value.get("event") not in (
            "in_transit",
            "delivered",
            "exception",
        ):
            raise ScenarioFormatError(
                f"line {step.line}: carrier needs 'order' and 'event' "
                "(in_transit, delivered, exception)"
            )
        code = self._case_for(value.get("order"), None, need_label=True)
        with contextlib.suppress(ReturnError):
            self.desk.carrier_event(code, value["event"])

    def step_advance(self, value: Any, step: Step) -> None:
        seconds = parse_duration(str(value)) if value is not None else None
        if seconds is None or seconds < 0:
            raise ScenarioFormatError(
                f"line {step.line}: advance needs a duration like 90m, 12h or 8d, got {value!r}"
            )
        target = self.clock.now() + dt.timedelta(seconds=seconds)
        while True:
            with self.desk.session() as session:
                due = timers.next_due(session, target)
                due_at = due.due_at if due is not None else None
            if due_at is None:
                break
            self.clock.set(due_at)
            self.desk.fire_due_timers(self.clock.now())
        self.clock.set(target)

    # -- checks -----------------------------------------------------------------------------

    def _customer_text(self) -> str:
        with self.desk.session() as session:
            queued = [
                row.text
                for row in outbox.messages(
                    session, channel=outbox.CUSTOMER, after_id=self.customer_mark
                )
            ]
        return "\n".join([*self.customer_said, *queued]).lower()

    def _owner_text(self) -> str:
        with self.desk.session() as session:
            queued = [
                row.text
                for row in outbox.messages(session, channel=outbox.OWNER, after_id=self.owner_mark)
            ]
        return "\n".join([*self.owner_said, *queued]).lower()

    def step_expect(self, value: Any, step: Step) -> None:
        if not isinstance(value, dict):
            raise ScenarioFormatError(f"line {step.line}: expect needs a mapping of checks")
        known = {
            "reply_contains",
            "reply_not_contains",
            "case",
            "cases",
            "supplier_messages",
            "owner_alerted",
            "ledger_includes",
            "ledger_valid",
            "rules_active",
            "owner_reply_contains",
            "order",
            "imported_orders",
        } | DESK_CHECKS
        for key in value:
            if key not in known:
                raise ScenarioFormatError(f"line {step.line}: unknown check {key!r}")
        failures: list[str] = []

        def fail(message: str) -> None:
            failures.append(f"line {step.line}: {message}")

        if "reply_contains" in value or "reply_not_contains" in value:
            said = self._customer_text()
            for word in _as_list(value.get("reply_contains")):
                if str(word).lower() not in said:
                    fail(f"reply_contains {word!r}: not in {said[-300:]!r}")
            for word in _as_list(value.get("reply_not_contains")):
                if str(word).lower() in said:
                    fail(f"reply_not_contains {word!r}: found in {said[-300:]!r}")
        if "owner_reply_contains" in value:
            said = self._owner_text()
            for word in _as_list(value["owner_reply_contains"]):
                if str(word).lower() not in said:
                    fail(f"owner_reply_contains {word!r}: not in {said[-300:]!r}")
        case_spec = value.get("case") or {}
        if not isinstance(case_spec, dict):
            raise ScenarioFormatError(f"line {step.line}: case needs a mapping of checks")
        for key in case_spec:
            if key not in CASE_CHECKS:  # a misspelt check is the file's fault, case or no case
                raise ScenarioFormatError(f"line {step.line}: unknown case check {key!r}")
        view: CaseView | None = None
        if "case" in value or "ledger_includes" in value:
            view = self._expected_case(case_spec.get("order"))
            if view is None:
                fail(
                    "case: no case"
                    + (f" on order {case_spec['order']}" if "order" in case_spec else "")
                )
        if view is not None:
            failures.extend(self._check_case(case_spec, view, step.line))
        if "cases" in value:
            with self.desk.session() as session:
                count = int(session.execute(select(func.count(CaseRow.id))).scalar_one())
            if count != int(value["cases"]):
                fail(f"cases: expected {value['cases']}, got {count}")
        if "supplier_messages" in value:
            spec = value["supplier_messages"]
            if not isinstance(spec, dict) or "id" not in spec or "count" not in spec:
                raise ScenarioFormatError(f"line {step.line}: supplier_messages needs id and count")
            with self.desk.session() as session:
                posted = len(
                    outbox.messages(session, channel=outbox.SUPPLIER, recipient=str(spec["id"]))
                )
            if posted != int(spec["count"]):
                fail(f"supplier_messages {spec['id']}: expected {spec['count']}, got {posted}")
        if "owner_alerted" in value:
            with self.desk.session() as session:
                alerted = bool(outbox.messages(session, channel=outbox.OWNER))
            if alerted != bool(value["owner_alerted"]):
                fail(f"owner_alerted: expected {value['owner_alerted']}, got {alerted}")
        if "ledger_includes" in value and view is not None:
            with self.desk.session() as session:
                actions = set(decisions.case_actions(session, view.code))
            for action in _as_list(value["ledger_includes"]):
                if action not in actions:
                    fail(f"ledger_includes {action!r}: {view.code} has {sorted(actions)}")
        if "ledger_valid" in value:
            with self.desk.session() as session:
                report = decisions.verify(session)
                money = audit.verify_money(session)
            valid = report.ok and money.ok
            if valid != bool(value["ledger_valid"]):
                fail(
                    f"ledger_valid: expected {value['ledger_valid']}, got {valid} "
                    f"{report.problem or money.problem}"
                )
        if "rules_active" in value:
            active = len(Rulebook(self.desk).active())
            if active != int(value["rules_active"]):
                fail(f"rules_active: expected {value['rules_active']}, got {active}")
        failures.extend(desk_checks(self, value, step.line))
        if "order" in value:
            failures.extend(self._check_order(value["order"], step.line))
        if "imported_orders" in value and self.imported_orders != int(value["imported_orders"]):
            fail(
                f"imported_orders: expected {value['imported_orders']}, got {self.imported_orders}"
            )
        if failures:
            raise CheckFailed("; ".join(failures))

    def _check_order(self, spec: Any, line: int) -> list[str]:
        """``order: {number, paid}``: what the order paid for its items after discounts, less
        refunds made before import."""
        if not isinstance(spec, dict) or "number" not in spec:
            raise ScenarioFormatError(f"line {line}: order needs a mapping with 'number'")
        for key in spec:
            if key not in ("number", "paid"):
                raise ScenarioFormatError(f"line {line}: unknown order check {key!r}")
        with self.desk.session() as session:
            order = find_order(session, str(spec["number"]))
            if order is None:
                return [f"line {line}: order {spec['number']}: no such order"]
            paid = Money(minor=order_paid(order), currency=order.currency).amount_str()
        if "paid" in spec and not _money_equal(spec["paid"], paid):
            return [
                f"line {line}: order {spec['number']} paid: expected {spec['paid']!r}, got {paid!r}"
            ]
        return []

    def _expected_case(self, order: Any) -> CaseView | None:
        if order is not None:
            cases = self.desk.cases_for_order(str(order))
            return cases[-1] if cases else None
        with self.desk.session() as session:
            code = session.execute(
                select(CaseRow.code).order_by(CaseRow.id.desc()).limit(1)
            ).scalar_one_or_none()
        return self.desk.case_view(code) if code else None

    def _check_case(self, spec: dict[str, Any], view: CaseView, line: int) -> list[str]:
        failures = []
        prefix = f"line {line}: case {view.code}"
        actual: Any
        for key, expected in spec.items():
            if key == "order":
                continue
            if key == "status":
                ok, actual = view.status == str(expected), view.status
            elif key == "resolution":
                actual = view.resolution or "none"
                ok = actual == str(expected)
            elif key in ("refunded", "store_credit", "supplier_credit"):
                actual = getattr(view, key)
                ok = _money_equal(expected, actual)
            elif key == "return_required":
                actual = view.return_required
                ok = bool(actual) == bool(expected)
            elif key == "label":
                actual = view.label
                ok = actual == bool(expected)
            elif key == "rma":
                actual = view.rma
                ok = normalize_rma(actual) == normalize_rma(expected)
            elif key == "item":  # the SKU or the item's name
                actual = f"{view.sku} ({view.item})"
                ok = str(expected).lower() in (view.sku.lower(), view.item.lower())
            elif key == "quantity":
                actual = view.quantity
                ok = str(actual) == str(expected)
            elif key in ("reason", "requested_resolution"):
                actual = getattr(view, key)
                ok = actual == str(expected)
            else:
                raise ScenarioFormatError(f"line {line}: unknown case check {key!r}")
            if not ok:
                failures.append(f"{prefix} {key}: expected {expected!r}, got {actual!r}")
        return failures


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def activate_rules(desk: ReturnsDesk, rules: list[str]) -> None:
    """The ``rules:`` key: compile and switch on each rule; one that does not compile fails."""
    book = Rulebook(desk, rule_compiler(desk.store))
    for number, text in enumerate(rules, start=1):
        try:
            book.add_active(str(text))
        except RuleNotUnderstood as refusal:
            raise CheckFailed(
                f"rules[{number}] {str(text)!r} does not compile: {refusal.message}"
            ) from None


def locate_policy_error(scenario: Scenario, message: str) -> str:
    """Add the line of the offending key to each problem of a store, supplier or order error
    (``…: suppliers[0]: role: …`` becomes ``…: line 9: suppliers[0]: role: …``)."""
    prefix = f"{scenario.path}: "
    root: dict[str, Any] = {
        "store": scenario.store,
        "suppliers": scenario.suppliers,
        "orders": scenario.orders,
    }
    located = []
    for text in message.splitlines():
        rest = text.removeprefix(prefix)
        if rest == text or not rest.startswith(tuple(root)):
            located.append(text)
            continue
        node: Any = root
        line = 0
        for token in re.findall(r"[A-Za-z_]\w*|\d+", rest):
            if isinstance(node, dict) and token in node:
                if isinstance(node, LineDict):
                    line = node.lines.get(token, line)
                node = node[token]
                if isinstance(node, LineDict) and not line:
                    line = node.line
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
                if isinstance(node, LineDict):
                    line = node.line
            else:
                break
        located.append(f"{prefix}line {line}: {rest}" if line else text)
    return "\n".join(located)


def import_shopify_csv(desk: ReturnsDesk, scenario: Scenario) -> int:
    """The ``shopify_csv:`` key, imported as ``returnbridge orders import`` would (no transit
    days: delivery at ``Fulfilled at``); returns how many orders it wrote."""
    if scenario.shopify_csv is None:
        return 0
    try:
        read = read_orders_csv(scenario.shopify_csv, desk.store, name="shopify_csv")
    except ShopifyOrdersError as error:
        raise ScenarioFormatError(
            f"{scenario.path}: line {scenario.shopify_csv_line}: {error}"
        ) from None
    with desk.session() as session:
        done = store_orders(session, read.orders, desk.store.policy.currency)
    return done.written


def run_scenario(path: Path, database: DatabaseFactory = temporary_sqlite) -> ScenarioResult:
    """Play one file; never raises: every problem is a failure of this scenario."""
    name = path.stem
    try:
        scenario = parse_scenario(path)
        name = scenario.name
    except ScenarioFormatError as error:
        return ScenarioResult(name=name, path=str(path), passed=False, failures=[str(error)])
    folder = Path(tempfile.mkdtemp(prefix="rb-scenario-"))
    result = ScenarioResult(name=name, path=str(path), passed=True)
    try:
        try:
            store = store_from_data(scenario.store, scenario.suppliers, str(path))
            orders = orders_from_data(scenario.orders, str(path), store)
        except PolicyError as error:
            raise PolicyError(locate_policy_error(scenario, str(error))) from None
        clock = FrozenClock(scenario.now)
        with database(folder) as url:
            desk = ReturnsDesk(url, store, clock)
            try:
                with desk.session() as session:
                    import_orders(session, orders, store.policy.currency)
                imported = import_shopify_csv(desk, scenario)
                activate_rules(desk, scenario.rules)
                run = ScenarioRun(scenario, desk, clock, imported)
                for step in scenario.steps:
                    result.steps += 1
                    run.play(step)
            finally:
                desk.close()
    except (PolicyError, ScenarioFormatError) as error:
        result.passed = False
        result.failures.append(str(error))
    except NotSupportedYet as error:
        result.passed = False
        result.failures.append(f"not supported yet: {error}")
    except CheckFailed as error:
        result.passed = False
        result.failures.append(str(error))
    except Exception as error:  # a bug: reported as this scenario's failure, never a crash
        result.passed = False
        result.failures.append(f"step {result.steps}: {type(error).__name__}: {error}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return result
