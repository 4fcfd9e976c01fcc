"""The offline dialogue: one customer turn in, the bot's replies out.

Mixed initiative: any detail is taken at any turn (order number, email, item, quantity,
reason, resolution, photo), the bot asks only for what is still missing, one question at a
time, with quick-reply buttons, and submits nothing before a plain "yes" to a summary.
Nothing about an order is said before its number and email match.

The state is a :class:`graph.chat_state.DialogueState`; the chat graph's checkpointer keeps
it as plain JSON (see ``graph/chat_graph.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graph import chat_tools
from graph.chat_state import DialogueState
from graph.chat_tools import Draft, ReturnLine, Verified
from graph.desk import ReturnsDesk
from graph.order_code_chat import NO_NUMBER_BUTTON, code_turn
from language.customer import (
    ALL,
    REASON_LABELS,
    RESOLUTION_LABELS,
    OrderItem,
    Reading,
    match_items,
    read_message,
    reason_from_choice,
)
from language.customer.reasons import find_reason
from language.customer.text import words
from policies.models import Reason
from tools.errors import ReturnError

Reply = dict[str, Any]

PERSON = {"label": "Talk to a person", "value": "I'd like to talk to a person"}
MENU = [
    {"label": "Return an item", "value": "I want to return something"},
    {"label": "Where is my return?", "value": "Where is my return?"},
    {"label": "Returns policy", "value": "What is your returns policy?"},
    PERSON,
]
YES_NO = [{"label": "Yes", "value": "yes"}, {"label": "No", "value": "no"}]
_SWITCH_WORDS = ("instead", "actually", "rather", "not the", "change it to", "make it", "i meant")
_ADD_WORDS = ("also", "too", "as well", "another", "and the", "plus")
_SAME_REASON = re.compile(
    r"\bsame (?:reason|problem|issue|thing|fault|defect|story|here)\b|\bsame as (?:before|the "
    r"other|the first|the last)\b|\bfor the same\b"
)
# Questions that are being answered while a return is prepared.
_DRAFTING = ("item", "quantity", "reason", "confirm", "change", "cancel_confirm")
_ABOUT_MONEY = re.compile(
    r"\b(?:label|parcel|package|money|refund|refunded|credit|replacement|reimbursement|paid)\b"
)
# Words that ask for something new rather than about what was asked before.
_NEW_REQUEST = re.compile(
    r"\b(?:another|other|else|also|too|more|as well|one more|second|next|new return)\b"
)


def reply(text: str, quick_replies: list[dict[str, str]] | None = None, **payload: Any) -> Reply:
    return {"text": text, "quick_replies": quick_replies or [], "payload": payload}


class OfflineDialogue:
    """Deterministic turns over the chat tools."""

    def __init__(self, desk: ReturnsDesk) -> None:
        self.desk = desk

    # -- entry points -----------------------------------------------------------------------

    def turn(
        self, state: DialogueState | Mapping[str, Any], event: dict[str, Any]
    ) -> tuple[DialogueState, list[Reply]]:
        """One turn: the state after it (a new object; ``state`` is left as it was) and the
        replies."""
        st = DialogueState.load(state)
        st.forget_cases()
        kind = event.get("type")
        if kind == "photo":
            replies = self._photo(st, int(event["photo_id"]))
        else:
            text = str(event.get("text") or "")[:4000]
            replies = self._text(st, text, pressed=kind == "choice")
            replies = self._no_third_time(st, replies)
        if replies:
            st.quick_replies = replies[-1]["quick_replies"]
        return st, replies

    def _no_third_time(self, st: DialogueState, replies: list[Reply]) -> list[Reply]:
        """The same question is never asked a third time: after two misses the choices come
        as buttons with a person from the store among them."""
        question = replies[-1]["text"] if replies else None
        if question is not None and not (st.expecting or question.startswith("Sorry, I didn't")):
            question = None  # an answer, not a question waiting for one
        misses = int(st.misses or 0)
        misses = misses + 1 if question is not None and question == st.last_asked else 0
        st.last_asked, st.misses = question, misses
        if misses < 2:
            return replies
        st.misses = 0
        buttons = [b for b in replies[-1]["quick_replies"] if b["value"] != PERSON["value"]]
        offer = reply(
            "Sorry, I still didn't get that. You can pick one of these, or talk to a person "
            "from the store.",
            [*buttons[:8], PERSON],
        )
        return [*replies[:-1], offer]

    # -- photos -----------------------------------------------------------------------------

    def _photo(self, st: DialogueState, photo_id: int) -> list[Reply]:
        awaiting = self._case_awaiting_photo(st)
        if awaiting and not st.lines:
            return [self._photo_to_case(st, awaiting, photo_id)]
        st.photos.append(photo_id)
        replies = [reply("Thanks, I've got your photo.")]
        if st.goal is None:
            st.goal = "return"
        replies.extend(self._next(st))
        return replies

    def _case_awaiting_photo(self, st: DialogueState) -> str | None:
        for code in reversed(st.submitted):
            try:
                if self.desk.case_view(code).status == "awaiting_photo":
                    return str(code)
            except ReturnError:
                continue
        return None

    def _photo_to_case(self, st: DialogueState, code: str, photo_id: int) -> Reply:
        from ledger.models import PhotoRow

        with self.desk.session() as session:
            row = session.get(PhotoRow, photo_id)
            data = row.data if row is not None else b""
            description = row.description if row is not None else ""
            if row is not None:
                session.delete(row)  # the desk stores its own copy on the case
        try:
            view = self.desk.add_photo(code, data, description=description)
        except ReturnError as error:
            return reply(error.message)
        return reply(
            f"Thanks, I've added your photo to return {code}. It is now "
            f"{chat_tools.STATUS_WORDS[view.status]}.",
            case=code,
        )

    # -- text -------------------------------------------------------------------------------

    def _text(self, st: DialogueState, text: str, *, pressed: bool) -> list[Reply]:
        expecting = st.expecting
        reading = read_message(text, expecting)
        text = reading.text  # instructions to the bot are no facts: read without them
        if pressed and expecting == "reason":
            reading.reason = reason_from_choice(text) or reading.reason
        if reading.reason is None and _SAME_REASON.search(" ".join(words(text))):
            # "the mug as well, same problem": the reason said last in this chat.
            drafted = [line["reason"] for line in st.lines if line.get("reason")]
            reading.reason = (drafted[-1] if drafted else None) or st.last_reason
            if reading.reason:
                reading.intents.add("return")
        verified = self._verified(st)
        if verified is not None:
            # Another order needs a real order number: not a SKU, nor "#2" for the second item.
            skus = {item.sku.upper() for item in verified.items}
            reading.order_numbers = [
                n for n in reading.order_numbers if n not in skus and len(n) >= 3
            ]
        if verified is None:
            # "I don't have my order number": a one-time code lists the customer's orders.
            coded = code_turn(self.desk, st, text, reading)
            if coded is not None:
                return coded
        replies: list[Reply] = []

        if "human" in reading.intents:
            replies.append(reply(chat_tools.hand_off(self.desk, st.session, text, verified)))
            said_more = (
                reading.has_return_details
                or reading.order_numbers
                or reading.emails
                or reading.phones
                or reading.case_codes
                or reading.quantity is not None
                or reading.intents - {"human"}
            )
            if not said_more:
                # A person takes it from here: the bot does not ask its last question again.
                return replies

        if verified is None:
            st.unplaced = [*st.unplaced, text][-10:]
        identity_replies, stop = self._identity(st, reading)
        replies.extend(identity_replies)
        if stop:
            if self._verified(st) is None:
                self._details(st, reading, text)
            return replies
        verified = self._verified(st)

        if "restart" in reading.intents:
            self._clear_draft(st)
            replies.append(reply("Sure, let's start over. Nothing was submitted."))

        if expecting == "cancel_confirm" and st.cancel_code:
            cancelling = st.cancel_code
            st.cancel_code = None
            st.expecting = None
            if reading.answer == "yes" and verified is not None:
                st.forget_cases()
                replies.append(reply(chat_tools.cancel_case(self.desk, verified, cancelling)))
            else:
                replies.append(reply(f"OK, return {cancelling} stays as it is."))
            return replies

        if expecting == "change" and st.lines:
            lowered = " ".join(words(text))
            if re.search(r"\b(?:item|product|other one|different one)\b", lowered):
                st.lines = []
            elif re.search(r"\breason\b", lowered):
                for line in st.lines:
                    line["reason"] = None
                st.reason = None

        # "No" to the summary, then "yes" to "what would you like to change?": it stands.
        if st.lines and (
            expecting == "confirm" or (expecting == "change" and reading.answer == "yes")
        ):
            handled = self._confirmation(st, reading, text)
            if handled is not None:
                return replies + handled

        if "cancel" in reading.intents and "human" not in reading.intents:
            if st.lines or st.goal == "return":
                self._clear_draft(st)
                replies.append(
                    reply("OK, I've dropped that return request; nothing was submitted.", MENU)
                )
                return replies
            if verified is not None:
                return replies + self._ask_cancel_case(st, verified, reading)

        if verified is not None and self._about_existing(st, reading, text, verified):
            reading.intents.add("status")
            reading.intents.discard("return")
            reading.reason = reading.resolution = None
            if st.goal == "return" and not st.lines:
                st.goal = None
        wants_status = "status" in reading.intents and not reading.reason
        answered_status = False
        if wants_status or (st.goal == "status" and verified is not None):
            if verified is not None:
                code = reading.case_codes[0] if reading.case_codes else None
                replies.append(self._status_reply(st, verified, code))
                answered_status = wants_status
                if st.goal == "status":
                    st.goal = None
            else:
                st.goal = st.goal or "status"

        if "policy" in reading.intents:
            replies.append(reply(chat_tools.policy_answer(self.desk, reading.policy_topics)))

        # A question about returns already made names their items: it starts nothing new.
        changed = False if answered_status else self._details(st, reading, text)
        if st.goal != "return" and (changed or "return" in reading.intents):
            st.goal = "return"

        if st.goal in ("status", "identify") and verified is None:
            replies.extend(self._ask_identity(st))
            return replies
        if st.goal == "return":
            replies.extend(self._next(st))
            return replies
        if "thanks" in reading.intents and not replies:
            replies.append(reply("You're welcome! Is there anything else I can help with?", MENU))
        elif not replies:
            replies.append(self._didnt_understand(st, reading))
        elif not replies[-1]["quick_replies"] and st.expecting is None:
            replies[-1]["quick_replies"] = MENU
        return replies

    # -- identity ---------------------------------------------------------------------------

    def _verified(self, st: DialogueState) -> Verified | None:
        data = st.verified
        return Verified.model_validate(data) if data else None

    def _cases(self, st: DialogueState, order: str) -> list[chat_tools.CaseView]:
        """The order's cases, read once per turn."""
        return st.cases_of(order, self.desk.cases_for_order)

    def _identity(self, st: DialogueState, reading: Reading) -> tuple[list[Reply], bool]:
        """Take an order number and email from the message; check the pair when complete.

        Returns the replies and whether the turn stops here (a failed or refused check).
        """
        verified = self._verified(st)
        numbers = list(reading.order_numbers)
        # An order without email (cash on delivery) identifies with its phone instead.
        contacts = reading.emails or reading.phones
        if not numbers and reading.case_codes and contacts:
            numbers = self._orders_of_cases(reading.case_codes)
        if st.expecting == "email" and reading.broken_email and not reading.emails and not numbers:
            return [
                reply("That email address doesn't look complete. Could you type it again?")
            ], True
        if verified is not None:
            if not numbers or numbers[0] == verified.order.upper():
                return [], False
            st.pending_order = numbers[0]
            st.pending_email = contacts[0] if contacts else verified.email
        else:
            if not (numbers or contacts):
                return [], False
            if numbers:
                st.pending_order = numbers[0]
            if contacts:
                st.pending_email = contacts[0]
            if st.goal is None:
                if "status" in reading.intents:
                    st.goal = "status"
                elif reading.has_return_details or "return" in reading.intents:
                    st.goal = "return"
                else:
                    st.goal = "identify"  # decided once the order is found
            if not (st.pending_order and st.pending_email):
                return [], False
        outcome = chat_tools.verify_customer(
            self.desk, st.session, st.pending_order, st.pending_email
        )
        if outcome.verified is None:
            if verified is not None:
                st.pending_order = st.pending_email = None
            st.expecting = "order" if verified is None else st.expecting
            return [reply(outcome.message)], True
        st.verified = outcome.verified.model_dump()
        if outcome.cases is not None:
            st.know_cases(outcome.verified.order, outcome.cases)
        st.pending_order = st.pending_email = None
        if st.expecting in ("order", "email"):
            st.expecting = None  # answered: "2 of them" next is no order number
        if verified is not None and verified.order != outcome.verified.order:
            self._clear_draft(st)
            st.goal = "return"
        if st.goal in (None, "identify"):
            st.goal = self._goal_once_found(st, outcome.verified)
        elif st.goal == "return" and not st.lines and st.unplaced:
            # "I want my money back for the bowl" before the order was found: the bowl may
            # already be in a return, and then this is about that return.
            said = ". ".join(st.unplaced)
            # (an order without returns has nothing existing to be about: no reading needed)
            has_cases = bool(self._cases(st, outcome.verified.order))
            if has_cases and self._about_existing(st, read_message(said), said, outcome.verified):
                self._clear_draft(st)
                st.goal = "status"
        first = outcome.verified.customer_name.split(" ")[0]
        hello = f"Thanks{', ' + first if first else ''}! I found order {outcome.verified.order}."
        replies = [reply(hello)]
        self._place_earlier_texts(st, outcome.verified)
        if outcome.verified.marketplace:
            replies.append(reply(outcome.verified.marketplace))
            if st.goal == "return":
                self._clear_draft(st)
        elif not outcome.verified.delivered:
            replies.append(
                reply(
                    f"Order {outcome.verified.order} hasn't been delivered yet. You can start a "
                    "return once it arrives."
                )
            )
            if st.goal == "return":
                self._clear_draft(st)
        return replies, False

    def _goal_once_found(self, st: DialogueState, verified: Verified) -> str:
        """A customer who only said who they are: a return when they named an item or the
        order has no return yet, else where the order's returns stand."""
        items = _order_items(verified)
        if any(match_items(text, items).found for text in st.unplaced):
            return "return"
        return "status" if self._cases(st, verified.order) else "return"

    def _orders_of_cases(self, codes: list[str]) -> list[str]:
        found = []
        for code in codes:
            try:
                found.append(self.desk.case_view(code).order.upper())
            except ReturnError:
                found.append(f"{code}?")  # a code that names nothing: fails like a wrong pair
        return found

    def _place_earlier_texts(self, st: DialogueState, verified: Verified) -> None:
        texts, st.unplaced = st.unplaced, []
        if st.goal == "status":
            return
        for text in texts:
            self._apply_items(st, text, read_message(text), verified, expecting=False)

    def _ask_identity(self, st: DialogueState) -> list[Reply]:
        if not st.pending_order:
            st.expecting = "order"
            return [
                reply(
                    "What's your order number? You'll find it in your order confirmation email.",
                    [NO_NUMBER_BUTTON],
                )
            ]
        st.expecting = "email"
        return [
            reply(
                "And the email address you used for that order? (No email on it? The phone "
                "number on the order will do.)"
            )
        ]

    # -- return details ---------------------------------------------------------------------

    def _details(self, st: DialogueState, reading: Reading, text: str) -> bool:
        changed = False
        verified = self._verified(st)
        if reading.resolution and reading.resolution != st.resolution:
            st.resolution = reading.resolution
            changed = True
        if verified is None:
            if reading.reason:
                st.reason = reading.reason
                changed = True
            if reading.quantity is not None:
                st.quantity = reading.quantity
            return changed
        expecting = st.expecting
        items_named = self._apply_items(st, text, reading, verified, expecting=expecting == "item")
        changed = changed or items_named
        if reading.quantity is not None and not items_named:
            target = self._line_asked_about(st, "quantity")
            if target is not None and (expecting == "quantity" or len(st.lines) == 1):
                target["quantity"] = reading.quantity
                changed = True
            elif not st.lines:
                st.quantity = reading.quantity
        if reading.reason and not items_named:
            if expecting in ("confirm", "change"):
                for line in st.lines:
                    line["reason"] = reading.reason
            else:
                missing = [line for line in st.lines if not line.get("reason")]
                for line in missing or (st.lines if len(st.lines) == 1 else []):
                    line["reason"] = reading.reason
            st.reason = reading.reason
            changed = True
        if reading.reason and not st.note:
            st.note = text[:500]
        return changed

    def _apply_items(
        self, st: DialogueState, text: str, reading: Reading, verified: Verified, *, expecting: bool
    ) -> bool:
        items = _order_items(verified)
        match = match_items(
            text, items, expecting=expecting, whole_order=st.expecting != "quantity"
        )
        if match.whole_order:
            left = {item.sku: item.left for item in verified.items}
            match.found = [m for m in match.found if left.get(m.item.sku, 0) > 0]
        if st.ambiguous and not match.found:
            match = match_items(text, self._ambiguous_items(st, items), expecting=True)
        ruled_out = {item.sku for item in match.excluded}
        dropped = any(line["sku"] in ruled_out for line in st.lines)
        st.lines = [line for line in st.lines if line["sku"] not in ruled_out]
        if not match.found:
            if match.ambiguous:
                st.ambiguous = [item.sku for item in match.ambiguous[0]]
                if reading.reason:
                    st.reason = reading.reason
                if reading.quantity is not None:
                    st.quantity = reading.quantity
                return True
            return dropped
        st.ambiguous = []
        lowered = " ".join(words(text))
        switching = reading.answer == "no" or any(w in lowered for w in _SWITCH_WORDS)
        adding = any(re.search(rf"\b{w}\b", lowered) for w in _ADD_WORDS)
        replaced: list[dict[str, Any]] = []
        if st.lines and switching and not adding:
            replaced, st.lines = st.lines, []
        # "no wait, the green one": a correction of the item keeps what was said about it.
        carried = replaced[0].get("reason") if len(replaced) == 1 == len(match.found) else None
        for mention in match.found:
            line = next((x for x in st.lines if x["sku"] == mention.item.sku), None)
            if line is None:
                line = {"sku": mention.item.sku, "quantity": None, "reason": None}
                st.lines.append(line)
            quantity = mention.quantity
            if quantity is None and len(match.found) == 1:
                quantity = reading.quantity if reading.quantity is not None else st.quantity
            if quantity is None and mention.plural:
                quantity = ALL
            if quantity is not None:
                line["quantity"] = quantity
            own_reason = find_reason(mention.segment) if len(match.found) > 1 else None
            if own_reason or reading.reason or carried:
                line["reason"] = own_reason or reading.reason or carried
            if own_reason and mention.segment:
                line["note"] = mention.segment[:500]  # the note belongs to the item it is about
        st.quantity = None
        return True

    def _about_existing(
        self, st: DialogueState, reading: Reading, text: str, verified: Verified
    ) -> bool:
        """Is this about a return already made, though it may read like a new request?

        With no return being prepared and returns on the order: a message that names only
        items already wholly in returns ("I posted the clock back yesterday"), or that is
        about money, credit, a replacement, a label or a parcel without naming anything left
        to return ("has my refund gone through?", "I want my money") opens nothing new.
        """
        if st.lines or st.ambiguous or st.expecting in _DRAFTING:
            return False
        if reading.intents & {"policy", "human", "cancel", "restart"}:
            return False
        views = self._cases(st, verified.order)
        if not views:
            return False
        items = _order_items(verified)
        named = match_items(text, items).found
        left = {item.sku: item.left for item in verified.items}
        lowered = " ".join(words(text))
        if named and all(left.get(m.item.sku, 0) == 0 for m in named):
            return not _NEW_REQUEST.search(lowered)
        in_cases = {view.sku for view in views}
        if "status" in reading.intents:
            return all(m.item.sku in in_cases for m in named)
        if named or reading.reason or ("return" in reading.intents and not reading.resolution):
            return False
        if not (reading.resolution or _ABOUT_MONEY.search(lowered)):
            return False
        return not _NEW_REQUEST.search(lowered)

    def _ambiguous_items(self, st: DialogueState, items: list[OrderItem]) -> list[OrderItem]:
        wanted = set(st.ambiguous)
        return [item for item in items if item.sku in wanted]

    def _line_asked_about(self, st: DialogueState, slot: str) -> dict[str, Any] | None:
        for line in st.lines:
            if slot == "quantity" and line.get("quantity") is None:
                return line
        return st.lines[0] if len(st.lines) == 1 else None

    def _clear_draft(self, st: DialogueState) -> None:
        st.goal = None
        st.lines = []
        st.reason = None
        st.resolution = None
        st.note = ""
        st.expecting = None
        st.ambiguous = []
        st.quantity = None
        st.unplaced = []

    # -- what to ask next -------------------------------------------------------------------

    def _next(self, st: DialogueState) -> list[Reply]:
        verified = self._verified(st)
        if verified is None:
            return self._ask_identity(st)
        if not verified.delivered or verified.marketplace:
            self._clear_draft(st)
            return []
        by_sku = {item.sku: item for item in verified.items}
        if st.ambiguous:
            options = [by_sku[sku] for sku in st.ambiguous if sku in by_sku]
            st.expecting = "item"
            labels = _told_apart(options)
            names = " or ".join(labels)
            return [
                reply(
                    f"Which one do you mean: {names}?",
                    [
                        {"label": label, "value": item.sku}
                        for item, label in zip(options, labels, strict=True)
                    ],
                )
            ]
        if not st.lines:
            returnable = [item for item in verified.items if item.left > 0]
            if not returnable:
                self._clear_draft(st)
                return [reply(f"Everything on order {verified.order} is already in a return.")]
            if len(returnable) == 1:
                item = returnable[0]
                st.lines.append({"sku": item.sku, "quantity": st.quantity, "reason": None})
                st.quantity = None
            else:
                st.expecting = "item"
                return [
                    reply(
                        "Which item would you like to return?",
                        [{"label": f"{item.name}", "value": item.sku} for item in returnable[:8]],
                    )
                ]
        for line in st.lines:
            item = by_sku[line["sku"]]
            if line.get("quantity") == ALL:
                line["quantity"] = max(1, item.left)
            if line.get("quantity") is None:
                if item.left <= 1:
                    line["quantity"] = 1
                else:
                    st.expecting = "quantity"
                    counts = [
                        {"label": str(n), "value": str(n)} for n in range(1, min(item.left, 5) + 1)
                    ]
                    return [
                        reply(
                            f"How many of the {item.left} {item.name} would you like to return?",
                            counts,
                        )
                    ]
        for line in st.lines:
            if not line.get("reason"):
                if st.reason:
                    line["reason"] = st.reason
                    continue
                item = by_sku[line["sku"]]
                st.expecting = "reason"
                return [
                    reply(
                        f"What's wrong with the {item.name}?",
                        [{"label": label, "value": code} for code, label in REASON_LABELS.items()],
                    )
                ]
        return self._confirm(st, verified)

    def _draft(self, st: DialogueState) -> Draft:
        return Draft(
            lines=[
                ReturnLine(
                    sku=line["sku"],
                    quantity=int(line["quantity"]),
                    reason=line["reason"],
                    note=line.get("note") or "",
                )
                for line in st.lines
            ],
            resolution=st.resolution or "refund",
            note=st.note or "",
            photo_ids=list(st.photos),
        )

    def _confirm(self, st: DialogueState, verified: Verified) -> list[Reply]:
        draft = self._draft(st)
        # The amounts come from the same computation the case will use, never from the chat.
        problems, money = chat_tools.check_and_quote(self.desk, verified, draft)
        if problems:
            st.lines = []
            st.expecting = None
            again = self._next(st) if any(i.left > 0 for i in verified.items) else []
            return [reply(" ".join(problems)), *again]
        by_sku = {item.sku: item for item in verified.items}
        lines = []
        for line in draft.lines:
            item = by_sku[line.sku]
            why = REASON_LABELS[line.reason.value].lower()
            final = (
                " (sold as final sale, which the policy does not take back)"
                if item.final_sale
                else ""
            )
            lines.append(f"{line.quantity} x {item.name}: {why}{final}")
        want = chat_tools.RESOLUTION_WORDS[draft.resolution]
        photo_reasons = set(self.desk.store.policy.photo_required_reasons)
        needs_photo = any(line.reason in photo_reasons for line in draft.lines)
        if draft.photo_ids:
            photo = " Your photo is attached."
        elif needs_photo:
            photo = " We'll need a photo of the problem: you can send it now or after."
        else:
            photo = ""
        st.expecting = "confirm"
        options = [
            {"label": "Yes, submit it", "value": "yes"},
            {"label": "No", "value": "no"},
        ]
        for code in ("refund", "store_credit", "replacement"):
            if code != draft.resolution:
                options.append({"label": f"{RESOLUTION_LABELS[code]} instead", "value": code})
        summary = "; ".join(lines)
        return [
            reply(
                f"Here's your return on order {verified.order}: {summary}. You'd like {want}."
                f" Amounts: {money}.{photo} Shall I submit it? (yes or no)",
                options,
            )
        ]

    def _confirmation(self, st: DialogueState, reading: Reading, text: str) -> list[Reply] | None:
        verified = self._verified(st)
        if verified is None:
            return None
        before = (
            [dict(line) for line in st.lines],
            st.resolution,
        )
        pressed_resolution = text.strip() in RESOLUTION_LABELS
        if pressed_resolution:
            st.resolution = text.strip()
        self._details(st, reading, text)
        if before[0] and not st.lines and not st.ambiguous:
            # Every item was taken out ("forget the mug"): nothing is left to submit.
            self._clear_draft(st)
            return [reply("OK, I've dropped that return request; nothing was submitted.", MENU)]
        changed = before != ([dict(line) for line in st.lines], st.resolution)
        if reading.answer == "yes" and not changed:
            return self._submit(st, verified)
        if changed:
            return [reply("Got it, I've updated your return."), *self._next(st)]
        if "cancel" in reading.intents:
            return None  # "forget it", "I'll keep it": the draft is dropped below
        if reading.answer == "no":
            st.expecting = "change"
            return [
                reply(
                    "OK, I haven't submitted anything. What would you like to change? You can "
                    "name another item, the reason, how many, or refund / store credit / "
                    "replacement, or say cancel.",
                    [
                        {"label": "Change the item", "value": "change the item"},
                        {"label": "Change the reason", "value": "change the reason"},
                        {"label": "Cancel the return", "value": "cancel"},
                    ],
                )
            ]
        return None

    def _submit(self, st: DialogueState, verified: Verified) -> list[Reply]:
        draft = self._draft(st)
        st.forget_cases()
        opened, problems, fresh = chat_tools.submit_draft(self.desk, st.session, verified, draft)
        st.last_reason = draft.lines[-1].reason.value
        st.submitted = [*st.submitted, *[view.code for view in opened]]
        self._clear_draft(st)
        st.photos = []
        replies = []
        for view in opened:
            status = chat_tools.STATUS_WORDS[view.status]
            next_step = chat_tools.STATUS_NEXT[view.status]
            if view.status == "resolved":
                next_step = chat_tools._resolved_words(view)
            replies.append(
                reply(
                    f"Done! Your return number is {view.code} ({view.quantity} x {view.item}). "
                    f"It is {status}. {next_step}",
                    case=view.code,
                    status=view.status,
                )
            )
        if problems:
            replies.append(reply(" ".join(problems)))
        if not opened and not problems:
            replies.append(reply("Nothing was submitted."))
        replies[-1]["quick_replies"] = MENU
        # What is left to return, for the next request in this chat (read with the links).
        st.verified = fresh.model_dump()
        return replies

    # -- status, cancel, fallbacks ----------------------------------------------------------

    def _status_reply(self, st: DialogueState, verified: Verified, code: str | None) -> Reply:
        views = self._cases(st, verified.order)
        text = chat_tools.case_status(self.desk, verified, code, views)
        labels = [view.code for view in views if view.label]
        return reply(text, labels=labels)

    def _ask_cancel_case(
        self, st: DialogueState, verified: Verified, reading: Reading
    ) -> list[Reply]:
        cancellable = {"awaiting_photo", "pending_review", "awaiting_supplier", "awaiting_shipment"}
        views = [v for v in self._cases(st, verified.order) if v.status in cancellable]
        if reading.case_codes:
            views = [v for v in views if v.code in reading.case_codes]
        items = _order_items(verified)
        named = {mention.item.sku for mention in match_items(reading.text, items).found}
        if named:  # "cancel the mug return": the return of that item
            views = [v for v in views if v.sku in named]
        if not views:
            return [reply("There's no return on this order that can still be cancelled.", MENU)]
        view = views[-1]
        st.cancel_code = view.code
        st.expecting = "cancel_confirm"
        return [
            reply(
                f"Do you want to cancel return {view.code} ({view.quantity} x {view.item})? "
                "(yes or no)",
                YES_NO,
            )
        ]

    def _didnt_understand(self, st: DialogueState, reading: Reading) -> Reply:
        expecting = st.expecting
        if "greeting" in reading.intents:
            return reply(
                "Hi! I can help you return an item, check on a return, or answer questions "
                "about our returns policy. What would you like to do?",
                MENU,
            )
        if expecting == "order":
            return reply(
                "Sorry, I didn't catch an order number. It looks like 1001 or #A-7731 and is in "
                "your order confirmation email."
            )
        if expecting == "email":
            return reply("Which email address did you use for the order?")
        return reply(
            "Sorry, I didn't get that. I can help you return an item, check on a return, or "
            "answer questions about our returns policy.",
            MENU,
        )


def is_reason(value: str) -> bool:
    try:
        Reason(value)
    except ValueError:
        return False
    return True


def _told_apart(options: list[chat_tools.ItemInfo]) -> list[str]:
    """Names for a which-one question; items of the same name also show their price, so the
    customer can tell them apart ("Cotton T-shirt at 25.00 or Cotton T-shirt at 19.00")."""
    names = [item.name for item in options]
    return [
        f"{item.name} at {item.price}" if names.count(item.name) > 1 else item.name
        for item in options
    ]


def _order_items(verified: Verified) -> list[OrderItem]:
    """The verified order's line items as the item matcher takes them."""
    return [
        OrderItem(sku=i.sku, name=i.name, quantity=i.quantity, position=i.position, price=i.price)
        for i in verified.items
    ]
