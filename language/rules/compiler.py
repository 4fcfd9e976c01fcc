"""The offline rule compiler: an owner's controlled English into a ``RuleSpec``.

It reads the phrases owners use for triggers, conditions and actions (amounts, percentages,
durations, reasons, suppliers by name, countries, comparisons) and must account for every
word: whatever it cannot place is named back to the owner and nothing is compiled. It never
guesses: an amount without a subject ("under $15" of what?), a country without an owner
(the supplier's or the customer's?), "or" between different conditions, or two rules in one
sentence are refused with the reason.

How it works: the text is normalised (lower case, contractions, number words, shorthand
such as "w/o" or "$200+"), entities are replaced by placeholders (``MONEY0``, ``PCT0``,
``DUR0``, ``NUM0``, ``CTRY0``, ``SUP0``, ``RSN0``, ``QUOTE0``), then phrase patterns consume
spans and emit the trigger, conditions and actions. What is left must be filler: single
words and conversational phrases ("from now on", "let's", "make sure"), dropped only after
every pattern has read the text, so words that mean something in a phrase are read first.
A negation is never left over silently, and a pattern that would join words across a phrase
already read ("don't require photos for wrong size") does not apply.

The parts live apart: ``normalising`` (text before entities), ``entities`` (the
parse state and the placeholders), ``patterns`` (triggers, conditions, actions) and this
module, which puts them together and decides what is left over.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from functools import lru_cache

from pydantic import ValidationError

from language.rules.entities import (
    ACTION_VERBS,
    HINT,
    MAX_LENGTH,
    PartialReading,
    RuleNotUnderstood,
    _countries,
    _durations,
    _iso_codes,
    _money,
    _money_slang,
    _numbers,
    _Parse,
    _percents,
    _quotes,
    _reasons,
    _suppliers_exact,
    _suppliers_fuzzy,
    _typos,
    alt,
)
from language.rules.normalising import (
    _contractions,
    _lower_outside_placeholders,
    _normalise,
    _number_words,
    _owner_slang,
    _symbols,
)
from language.rules.patterns import (
    BARE_REFUND,
    PATTERNS,
    _refund_now,
)
from language.rules.vocabulary import (
    CONTENT_WORDS,
    FILLER,
    FILLER_PHRASES,
    FLIPPING,
    MUST_PLACE,
    QUALIFYING_PREPOSITIONS,
    SUBJECT_NOUNS,
)
from policies.models import Store
from policies.rules import (
    Action,
    ActionKind,
    Condition,
    InCondition,
    RuleSpec,
    Trigger,
    country_name,
)

__all__ = ["PartialReading", "RuleNotUnderstood", "compile_rule", "read_rule"]

# -- putting it together ----------------------------------------------------------------------


def _chunks(text: str) -> list[tuple[int, int]]:
    """Spans of the text between sentence marks and the joints before a new action."""
    cuts = [0]
    for match in re.finditer(r"[.;!?](?=\s|$)", text):
        cuts.append(match.end())
    joint = (
        rf"(?:,|\band\b|\bthen\b|\balso\b|\bbut\b)\s+(?:then\s+|also\s+|please\s+)?"
        rf"(?={ACTION_VERBS}\b)"
    )
    for match in re.finditer(joint, text):
        cuts.append(match.start())
    cuts.append(len(text))
    cuts = sorted(set(cuts))
    return list(itertools.pairwise(cuts))


@lru_cache(maxsize=1)
def _filler_phrases() -> re.Pattern[str]:
    return re.compile(
        r"(?<![\w'])(?:"
        + alt(*(re.escape(phrase).replace(r"\ ", r"\s+") for phrase in FILLER_PHRASES))
        + r")(?![\w'])"
    )


def _leftovers(parse: _Parse) -> tuple[list[str], list[str]]:
    """The words no pattern read: those that must be placed, and those skipped as filler.

    The reader is tolerant: a word it does not know is skipped, unless it could change what
    the rule does: an amount, number, country, reason or supplier that no condition took, a
    negation or "or" (``MUST_PLACE``), a word of the rule vocabulary that no phrase read, or
    an unknown word that narrows a subject ("clearance items", "on weekends"): skipping
    those would draft another rule than the owner meant.
    """
    text = _filler_phrases().sub(lambda m: " " * len(m.group(0)), parse.text)
    left: list[str] = []
    skipped: list[str] = []
    for match in re.finditer(r"[A-Z]+\d+|[^\s]+", text):
        word = match.group(0)
        if re.fullmatch(r"[A-Z]+\d+", word):
            entity = parse.entity(word)
            if entity.kind not in ("BADMONEY", "BADPCT", "BADDUR", "BADNUM"):
                left.append(entity.text)
            continue
        if word == "COUPLE":
            left.append("a couple of")
            continue
        bare = word.strip(",:;.!?()\"'")
        if not bare or bare in FILLER or word in FILLER:
            continue
        if bare in MUST_PLACE or bare in CONTENT_WORDS or _narrows(parse, match, bare):
            left.append(bare)
        else:
            skipped.append(bare)
    return left, skipped


def _narrows(parse: _Parse, match: re.Match[str], word: str) -> bool:
    """Whether an unknown word qualifies a subject: before a noun a rule is about
    ("clearance items", "vip customers") or after a preposition ("on weekends")."""
    if not re.fullmatch(r"[a-z][a-z'-]*", word):
        return False
    after = parse.source[match.end() :].split()
    before = parse.source[: match.start()].split()
    # a word in a clause that states a condition ("if they are rude", "customers who
    # complain") says when the rule applies: never filler
    clause = re.split(r"[,.;:!?]|\s-\s", parse.source[: match.start()])[-1]
    conditional = re.search(r"\b(?:if|when|whenever|once|unless|who|whose)\b", clause) or (
        re.search(rf"\b{SUBJECT_NOUNS}\s+(?:that|which)\b", clause)
    )
    return bool(
        (after and re.fullmatch(SUBJECT_NOUNS, after[0].strip(",.;:!?")))
        or (before and before[-1] in QUALIFYING_PREPOSITIONS)
        or conditional
    )


def _explain_leftover(parse: _Parse, left: list[str]) -> str:
    money = [e.text for e in parse.entities if e.kind == "MONEY" and e.text in left]
    if money:
        return (
            f"I can't tell what {money[0]} refers to: the item's price (\"items under "
            f'{money[0]}"), the whole return ("returns over {money[0]}") or the order total '
            f'("orders over {money[0]}")?'
        )
    numbers = [e.text for e in parse.entities if e.kind == "NUM" and e.text in left]
    if numbers:
        return (
            f"I can't tell what {numbers[0]} is: write an amount with its currency "
            f'("${numbers[0]}"), days ("{numbers[0]} days") or a count ("{numbers[0]} units").'
        )
    countries = [e for e in parse.entities if e.kind == "CTRY" and e.text in left]
    if countries:
        name = country_name(countries[0].value)
        return (
            f"I can't tell whether {name} is where the supplier or the customer is: "
            f'say "suppliers in {name}" or "customers in {name}".'
        )
    if "or" in left:
        return 'I can only combine different conditions with "and". For "or", write two rules.'
    if "unless" in left:
        return 'I can\'t read "unless" there; say the condition the other way round.'
    flips = [word for word in left if word in FLIPPING]
    if flips:
        return (
            f'I can\'t place "{flips[0]}" in that rule, and leaving it out would turn the rule '
            f"round. {HINT}"
        )
    shown = ", ".join(f'"{word}"' for word in dict.fromkeys(left[:6]))
    return f"I did not understand {shown} in that rule. {HINT}"


def compile_rule(text: str, store: Store) -> RuleSpec:
    """Compile the owner's words into a rule, or raise ``RuleNotUnderstood`` saying why."""
    return read_rule(text, store)[0]


def read_rule(text: str, store: Store) -> tuple[RuleSpec, tuple[str, ...]]:
    """The rule and the words skipped as filler; or ``RuleNotUnderstood`` saying why, with
    the parts that were read (``partial``) for the owner to complete."""
    raw = " ".join((text or "").split())
    if not raw:
        raise RuleNotUnderstood("There is no rule in an empty message. " + HINT, False)
    if len(raw) > MAX_LENGTH:
        raise RuleNotUnderstood(
            f"That is longer than {MAX_LENGTH} characters; please write one short rule at a time."
        )
    parse = _Parse(store=store)
    working = _normalise(raw)
    working = _quotes(parse, working)
    working = _iso_codes(parse, working)
    working = _lower_outside_placeholders(working)
    working = _contractions(working)
    working = _typos(parse, working)
    working = _owner_slang(working)
    working = re.sub(
        r"^\s*(?:please\s+)?(?:(?:add|create|make|set\s+up|new)\s+)?(?:a\s+)?(?:new\s+)?rule"
        r"(?:\s*(?::|that|to|where|for|saying))?\s*",
        "",
        working,
    )
    working = re.sub(r"\be-mail\b", "email", working)
    working = _symbols(working)
    working = _number_words(working)
    working = _money_slang(parse, working)
    working = _money(parse, working)
    working = _suppliers_exact(parse, working)
    working = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", working)
    working = _percents(parse, working)
    working = _durations(parse, working)
    working = _numbers(parse, working)
    working = _reasons(parse, working)
    working = _countries(parse, working)
    working = re.sub(r"([,.;:!?()])(?=\s|$)", r" \1 ", working)
    working = _suppliers_fuzzy(parse, working)
    working = re.sub(r"\s+", " ", working).strip()
    parse.text = " " + working + " "
    parse.source = parse.text
    chunks = _chunks(parse.text)
    for regex, handle in PATTERNS:
        parse.consume(regex, functools.partial(handle, parse))
    left, skipped = _leftovers(parse)
    try:
        return _assemble(parse, chunks, working, left, skipped), tuple(skipped)
    except RuleNotUnderstood as refusal:
        # with a negation or "or" not placed, what was read may be the opposite of what was
        # meant: the owner starts from the moment alone
        turned = any(word in FLIPPING for word in left)
        refusal.partial = PartialReading(
            trigger=parse.trigger,
            wait_hours=parse.wait_hours,
            conditions=() if turned else tuple(_merge(c for _, c in parse.conditions)),
            actions=() if turned else tuple(action for _, action in parse.actions),
            skipped=tuple(skipped),
        )
        raise


def _assemble(
    parse: _Parse, chunks: list[tuple[int, int]], working: str, left: list[str], skipped: list[str]
) -> RuleSpec:
    # an action without anything a rule is about is small talk ("I'll look at this later")
    about = re.search(
        r"\b(?:items?|returns?|refunds?|orders?|suppliers?|customers?|anything|everything"
        r"|products?|photos?|store\s+credit)\b",
        working,
    )
    recognised = bool(parse.conditions or parse.trigger or parse.refusals) or (
        bool(parse.actions) and (about is not None or len(left) + len(skipped) <= 1)
    )
    if parse.refusals:
        raise RuleNotUnderstood(" ".join(parse.refusals), recognised)
    if left:
        raise RuleNotUnderstood(_explain_leftover(parse, left), recognised)
    if skipped and not parse.conditions and parse.trigger is None:
        # words are skipped only around a rule that says which returns it is about: a bare
        # action with words left over may be small talk ("ping me later")
        raise RuleNotUnderstood(_explain_leftover(parse, skipped), recognised)
    return _build(parse, chunks)


def _build(parse: _Parse, chunks: list[tuple[int, int]]) -> RuleSpec:
    if not parse.actions and parse.bare_refund is None:
        raise RuleNotUnderstood(
            "I found no action in that: say what should happen (for example approve without a "
            "return, ask for a photo, send it to me for review, deny it, offer a partial refund)."
        )
    kinds = {action.kind for _, action in parse.actions}
    if ActionKind.PARTIAL_REFUND in kinds:
        kinds.discard(ActionKind.APPROVE_WITHOUT_RETURN)
    trigger = parse.trigger
    if trigger is None:
        only_at = {
            ActionKind.STORE_CREDIT_BONUS: Trigger.STORE_CREDIT_CHOSEN,
            ActionKind.RESOLVE_WITH_STORE_CREDIT: Trigger.RETURN_APPROVED,
        }
        implied = {only_at[kind] for kind in kinds if kind in only_at}
        trigger = implied.pop() if len(implied) == 1 else Trigger.CASE_ASSESSED
    with_conditions = 0
    for start, end in chunks:
        acts = any(start <= at < end for at, action in parse.actions if action.kind in kinds)
        acts = acts or (parse.bare_refund is not None and start <= parse.bare_refund < end)
        conds = any(start <= at < end for at, _ in parse.conditions)
        with_conditions += acts and conds
    if with_conditions > 1:
        raise RuleNotUnderstood(
            "That reads like two rules, each with its own conditions; please send them one "
            "at a time."
        )
    conditions = _merge(condition for _, condition in parse.conditions)
    if parse.bare_refund is not None and trigger != Trigger.CASE_ASSESSED:
        if not kinds & {ActionKind.APPROVE_WITHOUT_RETURN, ActionKind.PARTIAL_REFUND}:
            raise RuleNotUnderstood(BARE_REFUND)
    elif _refund_now(parse, kinds, conditions):
        parse.action(parse.bare_refund or 0, ActionKind.APPROVE_WITHOUT_RETURN)
        kinds.add(ActionKind.APPROVE_WITHOUT_RETURN)
    actions = [action for _, action in parse.actions if action.kind in kinds]
    if parse.message is not None:
        if ActionKind.DENY not in kinds:
            raise RuleNotUnderstood(
                'A quoted message goes with a denial (deny ... with the message "..."); '
                "this rule denies nothing."
            )
        actions = [
            Action(kind=ActionKind.DENY, message=parse.message) if a.kind == ActionKind.DENY else a
            for a in actions
        ]
    try:
        return RuleSpec(
            trigger=trigger,
            wait_hours=parse.wait_hours if trigger == parse.trigger else None,
            conditions=tuple(conditions),
            actions=tuple(actions),
        )
    except ValidationError as error:
        problem = error.errors()[0]["msg"].removeprefix("Value error, ")
        raise RuleNotUnderstood(f"That rule does not hold together: {problem}.") from None


def _merge(conditions: Iterable[Condition]) -> list[Condition]:
    """One condition per set field and sign (reasons named apart are one set); no repeats."""
    merged: dict[tuple[str, bool], InCondition] = {}
    others: list[Condition] = []
    for condition in conditions:
        if isinstance(condition, InCondition):
            key = (condition.field, condition.negated)
            if key in merged:
                values = merged[key].values + condition.values
                condition = InCondition(
                    field=condition.field, values=values, negated=condition.negated
                )
            merged[key] = condition
        elif condition not in others:
            others.append(condition)
    return [*merged.values(), *others]
