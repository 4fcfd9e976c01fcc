"""The owner's rulebook: draft a rule from words, preview it, switch it on, retire it.

A draft shows its canonical sentence, the active rules it conflicts with, and a backtest:
the assessment replayed over the newest stored cases with and without the draft ("3 of the
last 120 cases: 2 refunds without return, 1 review"). Only the owner's yes switches it on
(``rule_created`` in the ledger); retiring writes ``rule_retired``. Each use opens its own
transactions on the desk's database.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from graph.desk import ReturnsDesk
from language.rules.compiler import RuleNotUnderstood, compile_rule, read_rule
from ledger import decisions
from ledger.models import CaseRow, DecisionRow
from ledger.rules_models import (
    ACTIVE,
    DRAFT,
    RETIRED,
    RuleRow,
    active_rules,
    all_rules,
    discard_drafts,
    get_row,
    pending_draft,
    save_draft,
)
from policies.models import Store
from policies.rule_engine import Conflict, conflicts, matches
from policies.rules import ActionKind, Rule, RuleSpec, Trigger
from tools.decide_assessment import Assessment, case_facts, decide_assessment

BACKTEST_CASES = 120

# How an assessment outcome reads in a backtest line ("2 refunds without return").
OUTCOME_WORDS = {
    "keep_it": ("refund without return", "refunds without return"),
    "partial_refund": ("partial refund", "partial refunds"),
    "review": ("review", "reviews"),
    "deny": ("denial", "denials"),
    "photo": ("photo request", "photo requests"),
    "authorise": ("supplier request", "supplier requests"),
}

Compiler = Callable[[str], RuleSpec]


@dataclass
class Backtest:
    total: int
    changed: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    note: str = ""

    def words(self) -> str:
        if self.total == 0:
            return "There are no stored cases to test it against yet."
        head = f"{self.changed} of the last {self.total} cases"
        if self.note:
            return f"{head}: {self.note}."
        if not self.changed:
            return f"{head} would have changed."
        parts = []
        for outcome, count in self.outcomes.most_common():
            one, many = OUTCOME_WORDS.get(outcome, (outcome, outcome))
            parts.append(f"{count} {one if count == 1 else many}")
        return f"{head}: {', '.join(parts)}."


@dataclass
class Draft:
    rule: Rule
    conflicts: list[Conflict]
    backtest: Backtest
    skipped: tuple[str, ...] = ()

    def words(self) -> str:
        lines = [f'Rule {self.rule.id} draft: "{self.rule.canonical_text}"']
        if self.rule.version > 1:
            lines[0] = (
                f"Rule {self.rule.id}, version {self.rule.version} draft: "
                f'"{self.rule.canonical_text}"'
            )
        if self.skipped:
            words = ", ".join(f'"{word}"' for word in self.skipped)
            lines.append(f"Words I skipped as filler: {words}.")
        for conflict in self.conflicts:
            lines.append(f"Conflict with {conflict.other.label}: {conflict.message}")
        lines.append(f"Backtest: {self.backtest.words()}")
        lines.append('Reply "yes" to switch it on, or "no" to drop it.')
        return "\n".join(lines)


class Rulebook:
    """Owner rules over one desk. ``compiler`` turns words into a rule (offline by default)."""

    def __init__(self, desk: ReturnsDesk, compiler: Compiler | None = None) -> None:
        self.desk = desk
        self.compiler: Compiler = compiler or (lambda text: compile_rule(text, desk.store))

    @property
    def names(self) -> dict[str, str]:
        return {key: agreement.name for key, agreement in self.desk.store.suppliers.items()}

    def now(self) -> dt.datetime:
        return self.desk.clock.now()

    # -- drafts -----------------------------------------------------------------------------

    def preview(self, text: str) -> Draft:
        """Compile and weigh a rule without storing anything (``rules test``)."""
        spec = self.compiler(text)
        with self.desk.session() as session:
            top = max((rule.id or 0 for rule in all_rules(session)), default=0)
            active = active_rules(session)
        rule = Rule.from_spec(
            spec, id=top + 1, text=text, canonical_text=spec.canonical(self.names)
        )
        return Draft(rule, conflicts(rule, active), self.backtest(rule))

    def draft(self, text: str, *, replaces: int | None = None) -> Draft:
        """Compile and store a draft; raise ``RuleNotUnderstood`` and store nothing if not."""
        spec = self.compiler(text)
        draft = self.draft_spec(spec, text, replaces=replaces)
        draft.skipped = skipped_words(text, spec, self.desk.store)
        return draft

    def draft_spec(self, spec: RuleSpec, text: str, *, replaces: int | None = None) -> Draft:
        """Store a rule already built and validated (the owner desk's rule form) as the draft
        waiting for a yes, as ``draft`` does with compiled words."""
        canonical = spec.canonical(self.names)
        with self.desk.session() as session:
            if replaces is not None:
                current = get_row(session, replaces)
                if current is None or current.status != ACTIVE:
                    raise RuleNotUnderstood(f"There is no active rule {replaces} to change.")
            row = save_draft(
                session, spec, text=text, canonical=canonical, now=self.now(), replaces=replaces
            )
            rule = row.to_rule()
            active = [other for other in active_rules(session) if other.id != rule.id]
        return Draft(rule, conflicts(rule, active), self.backtest(rule))

    def pending(self) -> Rule | None:
        with self.desk.session() as session:
            row = pending_draft(session)
            return row.to_rule() if row is not None else None

    def confirm(self) -> str:
        """Switch the waiting draft on (a new version retires the one it replaces)."""
        with self.desk.session() as session:
            row = pending_draft(session)
            if row is None:
                return "There is no rule draft waiting for a yes."
            self._activate(session, row)
            rule = row.to_rule()
        versioned = f", version {rule.version}" if rule.version > 1 else ""
        return f'Rule {rule.id}{versioned} is on: "{rule.canonical_text}"'

    def discard(self) -> str:
        with self.desk.session() as session:
            count = discard_drafts(session)
        if not count:
            return "There is no rule draft waiting."
        return "Dropped the draft; no rule was changed."

    def add_active(self, text: str) -> Rule:
        """Compile and switch on at once (scenario files, ``rules add --yes``)."""
        draft = self.draft(text)
        with self.desk.session() as session:
            row = get_row(session, draft.rule.id or 0, draft.rule.version)
            assert row is not None and row.status == DRAFT
            self._activate(session, row)
            return row.to_rule()

    def _activate(self, session: Session, row: RuleRow) -> None:
        now = self.now()
        for older in session.execute(
            select(RuleRow).where(RuleRow.id == row.id, RuleRow.status == ACTIVE)
        ).scalars():
            older.status = RETIRED
            older.retired_at = now
            decisions.append(
                session,
                at=now,
                case_code=None,
                actor="owner",
                action="rule_retired",
                data={"rule": older.id, "version": older.version, "replaced_by": row.version},
                reason=older.canonical,
            )
        row.status = ACTIVE
        decisions.append(
            session,
            at=now,
            case_code=None,
            actor="owner",
            action="rule_created",
            data={"rule": row.id, "version": row.version, "logic": row.json, "text": row.text},
            reason=row.canonical,
        )

    # -- the rules --------------------------------------------------------------------------

    def retire(self, rule_id: int) -> str:
        now = self.now()
        with self.desk.session() as session:
            row = get_row(session, rule_id)
            if row is None or row.status != ACTIVE:
                return f"There is no active rule {rule_id}."
            row.status = RETIRED
            row.retired_at = now
            decisions.append(
                session,
                at=now,
                case_code=None,
                actor="owner",
                action="rule_retired",
                data={"rule": row.id, "version": row.version},
                reason=row.canonical,
            )
            return f'Rule {row.id} is retired: "{row.canonical}"'

    def active(self) -> list[Rule]:
        with self.desk.session() as session:
            return active_rules(session)

    def every(self) -> list[Rule]:
        with self.desk.session() as session:
            return all_rules(session)

    def listing(self) -> str:
        rules = self.active()
        if not rules:
            return (
                "No rules are on. Tell me one, for example "
                '"refund items under $10 without a return".'
            )
        lines = ["Active rules:"]
        for rule in rules:
            version = f" (version {rule.version})" if rule.version > 1 else ""
            lines.append(f"{rule.id}{version}. {rule.canonical_text}")
        lines.append('Say "retire rule N" to switch one off.')
        return "\n".join(lines)

    # -- backtest ---------------------------------------------------------------------------

    def backtest(self, rule: Rule, limit: int = BACKTEST_CASES) -> Backtest:
        """Replay the newest stored cases with and without ``rule``."""
        store = self.desk.store
        with self.desk.session() as session:
            cases = list(
                session.execute(select(CaseRow).order_by(CaseRow.id.desc()).limit(limit)).scalars()
            )
            active = [other for other in active_rules(session) if other.id != rule.id]
            result = Backtest(total=len(cases))
            if rule.trigger == Trigger.CASE_ASSESSED:
                for case in cases:
                    facts = case_facts(store, case, case.created_at).model_copy(
                        update={"owner_approved": False}
                    )
                    before = decide_assessment(store, facts, active)
                    after = decide_assessment(store, facts, [*active, rule])
                    if _differs(before, after):
                        result.changed += 1
                        result.outcomes[after.outcome] += 1
                return result
            met = [
                case
                for case in cases
                if matches(rule, case_facts(store, case, case.created_at))
                and self._reached(session, case, rule)
            ]
            result.changed = len(met)
            result.note = _trigger_note(rule, len(met))
            return result

    def _reached(self, session: Session, case: CaseRow, rule: Rule) -> bool:
        """Did the case reach this rule's trigger (and wait long enough for a timed one)?"""
        history = decisions.case_history(session, case.code)
        if rule.trigger == Trigger.STORE_CREDIT_CHOSEN:
            return case.requested_resolution == "store_credit"
        if rule.trigger == Trigger.RETURN_APPROVED:
            return any(
                row.action == "eligibility_checked"
                and json.loads(row.data).get("outcome")
                in ("keep_it", "authorise", "partial_refund")
                for row in history
            )
        wait = dt.timedelta(hours=rule.wait_hours or 0)
        start_action, end_actions = (
            ("supplier_authorization_requested", {"supplier_decision"})
            if rule.trigger == Trigger.SUPPLIER_SILENT
            else ("inspection_requested", {"inspection_result"})
        )
        started = next((row.at for row in history if row.action == start_action), None)
        if started is None:
            return False
        ended = next(
            (row.at for row in history if row.action in end_actions and row.at >= started), None
        )
        return (ended or self.now()) - started > wait

    # -- explaining -------------------------------------------------------------------------

    def explain(self, code: str) -> str:
        """Why a case is where it is, read from its ledger rows."""
        with self.desk.session() as session:
            history = decisions.case_history(session, code)
            case = session.execute(select(CaseRow).where(CaseRow.code == code)).scalar_one()
            status = case.status.replace("_", " ")
            order = case.order.display_number
            lines = [f"Return {code} (order {order}, {case.line_item.name}) is {status}."]
            lines += [line for row in history if (line := _explain_row(row))]
        return "\n".join(lines)


def skipped_words(text: str, spec: RuleSpec, store: Store) -> tuple[str, ...]:
    """The words the offline reader skipped when it reads ``text`` as ``spec`` (none when it
    reads another rule, as when the model compiled it)."""
    try:
        read, skipped = read_rule(text, store)
    except RuleNotUnderstood:
        return ()
    return skipped if read == spec else ()


def _differs(before: Assessment, after: Assessment) -> bool:
    return (before.outcome, before.return_required, before.partial_percent) != (
        after.outcome,
        after.return_required,
        after.partial_percent,
    )


def _trigger_note(rule: Rule, count: int) -> str:
    returns = "return" if count == 1 else "returns"
    if rule.trigger == Trigger.STORE_CREDIT_CHOSEN:
        bonus = rule.action(ActionKind.STORE_CREDIT_BONUS)
        percent = bonus.percent if bonus else 0
        return f"{count} store-credit {returns} would have got the {percent}% bonus"
    if rule.trigger == Trigger.RETURN_APPROVED:
        return f"{count} approved {returns} would have had this rule applied"
    hours = rule.wait_hours or 0
    wait = f"{hours // 24} days" if hours % 24 == 0 else f"{hours} hours"
    if rule.trigger == Trigger.SUPPLIER_SILENT:
        return f"{count} {returns} waited more than {wait} for the supplier"
    return f"{count} {returns} waited more than {wait} for an inspection after delivery"


def actor_words(actor: str) -> str:
    if actor == "owner":
        return "you"
    if actor == "policy":
        return "the store policy"
    if actor == "timer":
        return "a timer"
    if actor == "system":
        return "ReturnBridge"
    if actor.startswith("rule:"):
        number, _, version = actor.removeprefix("rule:").partition("@")
        return f"rule {number}" + (f" (version {version})" if version and version != "1" else "")
    if actor.startswith("supplier:"):
        return f"supplier {actor.removeprefix('supplier:')}"
    return "the customer"


def _explain_row(row: DecisionRow) -> str:
    data = json.loads(row.data)
    who = actor_words(row.actor)
    when = row.at.strftime("%Y-%m-%d %H:%M")
    if row.action == "rule_applied":
        return f"{when}: {who} applied: {row.reason}"
    if row.action == "case_denied":
        return f"{when}: denied by {who}: {row.reason}"
    if row.action == "review_requested":
        return f"{when}: sent to your review by {who}: {row.reason}"
    if row.action == "owner_decision":
        note = f" ({row.reason})" if row.reason else ""
        return f"{when}: you decided to {data.get('decision')}{note}."
    if row.action == "eligibility_checked" and "outcome" in data:
        return f"{when}: assessed by {who}: {row.reason}"
    if row.action == "partial_refund_offered":
        return (
            f"{when}: {who} offered a {data.get('percent')}% partial refund ({data.get('amount')})."
        )
    if row.action in ("refund_issued", "store_credit_issued"):
        kind = "refunded" if row.action == "refund_issued" else "store credit issued"
        return f"{when}: {kind} {data.get('amount')} {data.get('currency', '')}".rstrip() + "."
    if row.action == "supplier_decision":
        return f"{when}: {who} chose to {data.get('decision')}."
    if row.action == "inspection_result":
        return f"{when}: inspection by {who}: {data.get('result')}."
    if row.action == "case_cancelled":
        return f"{when}: cancelled by {who}."
    return ""
