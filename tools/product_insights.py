"""Product insights: which products come back, why, and in the customers' own words.

Per product (its SKU): units sold (all units of its line items), returns (units in its cases
that are not denied or cancelled), the return rate (returns / units sold, one decimal, like
the scorecard), the reasons counted in units, and the customers' notes, newest first.

**Suggestions.** Where several customers say the same kind of thing about one product, the
owner is shown a suggestion for the product page or the FAQ. The grouping is offline and
decides what is suggested: each note is matched against a list of kinds of complaint ("does
not turn on", "runs small", …, in the customers' usual words); notes that match none are
grouped by similar wording (rapidfuzz). A group with at least ``min_customers`` different
customers gives one suggestion, worded from a template; with an LLM configured the model may
word it better (it sees the kind, the product and the quotes, and only words the advice: a
failing or empty answer keeps the template).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import CaseRow, LineItemRow
from policies.models import Reason
from tools.supplier_scorecard import NOT_RETURNED, percent

MIN_CUSTOMERS = 3
WORDS_SHOWN = 8
SIMILAR_WORDING = 72  # rapidfuzz token_set_ratio at or above which two notes say the same


@dataclass(frozen=True)
class Kind:
    """One kind of complaint: its label, the words customers use for it, and the advice."""

    key: str
    label: str
    patterns: tuple[str, ...]
    advice: str

    def matches(self, text: str) -> bool:
        return any(re.search(pattern, text) for pattern in self.patterns)


KINDS: tuple[Kind, ...] = (
    Kind(
        "wont_turn_on",
        "does not turn on",
        (
            r"\b(won'?t|wont|doesn'?t|does not|didn'?t|did not|can'?t|cannot|not) "
            r"(turn|switch|power|start|boot)\w* (it )?(on|up)\b",
            r"\bno power\b",
            r"\bdead on arrival\b",
            r"\bdoa\b",
            r"\bnothing happens\b",
            r"\bwon'?t charge\b|\bnot charging\b|\bdoesn'?t charge\b",
        ),
        "Add a 'first use' note to the product page (charge it fully, where the power switch "
        "is) and a FAQ entry 'It won't turn on'.",
    ),
    Kind(
        "runs_small",
        "runs small",
        (
            r"\b(runs?|running|fits?|came up|comes up) (really |very |a bit |way )?small\b",
            r"\btoo (small|tight|short|narrow)\b",
            r"\bsmaller than (expected|the size|my usual|usual|normal)\b",
            r"\bsize (up|bigger)\b",
        ),
        "Say on the product page that it runs small and suggest one size up; add a size chart "
        "with measurements.",
    ),
    Kind(
        "runs_large",
        "runs large",
        (
            r"\b(runs?|running|fits?|came up|comes up) (really |very |a bit |way )?(large|big)\b",
            r"\btoo (big|large|loose|long|wide|baggy)\b",
            r"\bbigger than (expected|the size|my usual|usual|normal)\b",
            r"\bsize down\b",
        ),
        "Say on the product page that it runs large and suggest one size down; add a size "
        "chart with measurements.",
    ),
    Kind(
        "looks_different",
        "looks different from the photos",
        (
            r"\b(colou?r|shade|finish|material|fabric)\b.*\b(off|different|wrong|not the same"
            r"|nothing like|doesn'?t match|does not match)\b",
            r"\b(not|nothing) like (the )?(photo|picture|pic|image|listing|description)s?\b",
            r"\blooks? (cheap|different)\b",
            r"\b(photo|picture|pic|image)s? (is|are|were|was) (misleading|different)\b",
        ),
        "Replace the product photos with unedited ones in daylight and name the exact colour "
        "and material in the description.",
    ),
    Kind(
        "smaller_than_pictured",
        "smaller than pictured",
        (
            r"\b(much |way |a lot )?smaller than (it looked|pictured|shown|in the (photo|picture)s?"
            r"|the (photo|picture)s?)\b",
            r"\btiny\b",
            r"\bmini(ature)? version\b",
        ),
        "Give the dimensions in the first line of the description and add a photo next to "
        "an everyday object for scale.",
    ),
    Kind(
        "stops_working",
        "stops working after a short while",
        (
            r"\b(stopped|quit|died|broke|gave up|stops|quits|dies|breaks)\b.*\b(after|within)\b",
            r"\bstopped working\b",
            r"\bworked (for )?(a|one|two|\d+) (day|days|week|weeks|time|times)\b",
        ),
        "Ask the supplier about this batch; meanwhile add care and use instructions to the "
        "product page and a FAQ entry on what to do if it stops working.",
    ),
    Kind(
        "arrives_damaged",
        "arrives damaged",
        (
            r"\b(arrived|came|delivered|turned up)\b.*\b(broken|cracked|smashed|dented|damaged"
            r"|shattered|torn)\b",
            r"\b(box|package|packaging|parcel)\b.*\b(crushed|damaged|torn|broken)\b",
        ),
        "Ask the supplier to pack it better (corner protection, double box) before shipping "
        "more of it.",
    ),
    Kind(
        "hard_to_use",
        "hard to set up or use",
        (
            r"\b(instructions?|manual)\b.*\b(unclear|confusing|missing|useless|no)\b",
            r"\b(no|missing) (instructions?|manual)\b",
            r"\b(hard|difficult|impossible|can'?t figure out how) to (assemble|set up|setup"
            r"|install|use|pair|connect)\b",
            r"\bwon'?t (pair|connect)\b|\bdoesn'?t (pair|connect)\b",
        ),
        "Add a short set-up guide (photos or a video) to the product page and a FAQ entry for "
        "the step customers get stuck on.",
    ),
)
GENERAL_ADVICE = (
    "Several customers say the same thing about this product: answer it on the product page "
    "or in the FAQ."
)


@dataclass(frozen=True)
class Quote:
    case: str
    customer: str
    text: str
    reason: str


@dataclass
class Theme:
    """Notes that say the same kind of thing about one product."""

    label: str
    key: str
    quotes: list[Quote] = field(default_factory=list)
    suggestion: str = ""

    @property
    def customers(self) -> int:
        return len({quote.customer for quote in self.quotes})


@dataclass
class ProductInsight:
    sku: str
    name: str
    supplier_id: str
    units_sold: int
    units_returned: int
    reasons: Counter[str]
    words: list[Quote]
    themes: list[Theme]

    @property
    def return_rate(self) -> str:
        return percent(self.units_returned, self.units_sold)

    @property
    def suggestions(self) -> list[Theme]:
        return [theme for theme in self.themes if theme.suggestion]

    def figures(self, words_shown: int = WORDS_SHOWN) -> dict[str, object]:
        """What the desk's products page shows of this product."""
        return {
            "sku": self.sku,
            "name": self.name,
            "supplier": self.supplier_id,
            "units_sold": self.units_sold,
            "units_returned": self.units_returned,
            "return_rate": self.return_rate,
            "reasons": [
                (reason_label(reason), units) for reason, units in self.reasons.most_common()
            ],
            "notes": [quote.text for quote in self.words[:words_shown]],
            "suggestions": [
                {"label": theme.label, "customers": theme.customers, "text": theme.suggestion}
                for theme in self.suggestions
            ],
        }


def _clean(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    return re.sub(r"\s+", " ", text).strip()


def kind_of(note: str) -> Kind | None:
    """The kind of complaint a note is, or None; the first listed kind wins."""
    text = _clean(note)
    if not text:
        return None
    for kind in KINDS:
        if kind.matches(text):
            return kind
    return None


def group_notes(quotes: Sequence[Quote]) -> list[Theme]:
    """Notes grouped by kind, the rest by similar wording; biggest groups first."""
    by_kind: dict[str, Theme] = {}
    loose: list[Theme] = []
    for quote in quotes:
        kind = kind_of(quote.text)
        if kind is not None:
            by_kind.setdefault(kind.key, Theme(kind.label, kind.key)).quotes.append(quote)
            continue
        text = _clean(quote.text)
        if len(text.split()) < 2:
            continue  # "bad", "no": nothing to learn from
        for theme in loose:
            if fuzz.token_set_ratio(text, _clean(theme.quotes[0].text)) >= SIMILAR_WORDING:
                theme.quotes.append(quote)
                break
        else:
            loose.append(Theme(quote.text.strip()[:80], "similar", [quote]))
    themes = list(by_kind.values()) + loose
    themes.sort(key=lambda theme: (-theme.customers, theme.label))
    return themes


Wording = Callable[[str, str, Theme], str]


def suggest(
    product_name: str,
    themes: list[Theme],
    *,
    min_customers: int = MIN_CUSTOMERS,
    wording: Wording | None = None,
) -> None:
    """Give each theme that enough customers share its suggestion (in place)."""
    advice = {kind.key: kind.advice for kind in KINDS}
    for theme in themes:
        if theme.customers < min_customers:
            continue
        template = advice.get(theme.key, GENERAL_ADVICE)
        theme.suggestion = template
        if wording is not None:
            try:
                worded = wording(product_name, template, theme).strip()
            except Exception:
                worded = ""
            if worded:
                theme.suggestion = worded[:600]


def product_insights(
    session: Session,
    *,
    min_customers: int = MIN_CUSTOMERS,
    wording: Wording | None = None,
) -> list[ProductInsight]:
    """Every product sold, the most returned (by rate, then units) first."""
    sold_rows = session.execute(
        select(
            LineItemRow.sku, LineItemRow.name, LineItemRow.supplier_id, LineItemRow.quantity
        ).order_by(LineItemRow.id)
    ).all()
    insights: dict[str, ProductInsight] = {}
    suppliers: dict[str, set[str]] = {}
    for sku, name, supplier, units in sold_rows:
        insight = insights.setdefault(
            sku, ProductInsight(sku, name or sku, "", 0, 0, Counter(), [], [])
        )
        insight.units_sold += int(units or 0)
        if supplier:
            suppliers.setdefault(sku, set()).add(supplier)
    for sku, ids in suppliers.items():
        insights[sku].supplier_id = ", ".join(sorted(ids))
    cases = session.execute(
        select(CaseRow, LineItemRow.sku)
        .join(LineItemRow, CaseRow.line_item_id == LineItemRow.id)
        .order_by(CaseRow.created_at.desc(), CaseRow.id.desc())
    ).all()
    for case, sku in cases:
        returned = insights.get(sku)
        if returned is None or case.status in NOT_RETURNED:
            continue
        returned.units_returned += case.quantity
        returned.reasons[case.reason] += case.quantity  # in units, like the returns
        if case.note.strip():
            returned.words.append(
                Quote(case.code, case.customer_email.lower(), case.note.strip(), case.reason)
            )
    for insight in insights.values():
        insight.themes = group_notes(insight.words)
        suggest(insight.name, insight.themes, min_customers=min_customers, wording=wording)
    ordered = sorted(
        insights.values(),
        key=lambda i: (
            -(i.units_returned / i.units_sold if i.units_sold else 0),
            -i.units_returned,
            i.sku,
        ),
    )
    return ordered


def reason_label(reason: str) -> str:
    try:
        return Reason(reason).value.replace("_", " ")
    except ValueError:
        return reason.replace("_", " ")
