"""Product insights: figures per product, notes grouped by kind, suggestions, the LLM wording."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from graph.llm import LLM
from graph.product_wording import llm_wording
from ledger.models import CaseRow
from ledger.repository import import_orders
from policies.loader import orders_from_data
from tests.conftest import NOW, make_store
from tests.openai_server import ScriptedOpenAI
from tools.open_case import ReturnRequest
from tools.product_insights import (
    GENERAL_ADVICE,
    Quote,
    Theme,
    group_notes,
    kind_of,
    product_insights,
    suggest,
)


@pytest.mark.parametrize(
    ("note", "kind"),
    [
        ("It won't turn on at all", "wont_turn_on"),
        ("cant turn it on, tried everything", "wont_turn_on"),
        ("Doesn’t power up even after charging overnight", "wont_turn_on"),
        ("dead on arrival", "wont_turn_on"),
        ("runs really small, order a size up", "runs_small"),
        ("Way too tight around the shoulders", "runs_small"),
        ("fits big, I'm usually a M", "runs_large"),
        ("the colour is nothing like the photos", "looks_different"),
        ("Not like the picture at all", "looks_different"),
        ("Much smaller than pictured", "smaller_than_pictured"),
        ("stopped working after 3 days", "stops_working"),
        ("arrived cracked in two places", "arrives_damaged"),
        ("no instructions in the box and impossible to assemble", "hard_to_use"),
        ("won't pair with my phone", "hard_to_use"),
    ],
)
def test_a_note_is_read_as_its_kind(note: str, kind: str) -> None:
    found = kind_of(note)
    assert found is not None and found.key == kind, (note, found)


@pytest.mark.parametrize(
    "note", ["", "changed my mind", "I ordered two by mistake", "gift for my sister"]
)
def test_a_note_of_no_kind_is_none(note: str) -> None:
    assert kind_of(note) is None


def _quote(customer: str, text: str, case: str = "RB-1") -> Quote:
    return Quote(case, customer, text, "defective")


def test_notes_group_by_kind_then_by_similar_wording() -> None:
    themes = group_notes(
        [
            _quote("a@x", "won't turn on"),
            _quote("b@x", "Doesn't switch on"),
            _quote("c@x", "the strap smells of chemicals"),
            _quote("d@x", "Strap smells strongly of chemicals!"),
            _quote("e@x", "gift for my sister"),
            _quote("f@x", "ok"),  # one word: nothing to group
        ]
    )
    by_label = {theme.label: theme for theme in themes}
    assert by_label["does not turn on"].customers == 2
    similar = [theme for theme in themes if theme.key == "similar" and theme.customers == 2]
    assert len(similar) == 1 and "chemicals" in similar[0].label
    assert sum(len(theme.quotes) for theme in themes) == 5  # "ok" left out
    assert themes[0].customers >= themes[-1].customers


def test_a_suggestion_needs_several_different_customers() -> None:
    one_customer = Theme("runs small", "runs_small", [_quote("a@x", "tiny") for _ in range(4)])
    three = Theme("runs small", "runs_small", [_quote(f"{n}@x", "too small") for n in range(3)])
    loose = Theme("strap smells", "similar", [_quote(f"{n}@x", "smells") for n in range(3)])
    suggest("Jacket", [one_customer, three, loose])
    assert one_customer.suggestion == ""
    assert "size up" in three.suggestion
    assert loose.suggestion == GENERAL_ADVICE


def test_the_model_only_words_and_a_failure_keeps_the_plain_suggestion(
    openai_server: ScriptedOpenAI,
) -> None:
    wording = llm_wording(LLM(openai_server.config(max_retries=0)))
    theme = Theme("runs small", "runs_small", [_quote(f"{n}@x", "too small") for n in range(3)])
    openai_server.reply_text("Add a size chart and say: choose one size up.")
    suggest("Rain jacket", [theme], wording=wording)
    assert theme.suggestion == "Add a size chart and say: choose one size up."
    sent = openai_server.requests[0]["messages"][-1]["content"]
    assert "Rain jacket" in sent and "too small" in sent

    failing = Theme("runs small", "runs_small", [_quote(f"{n}@x", "tight") for n in range(3)])
    openai_server.fail(500)
    suggest("Rain jacket", [failing], wording=wording)
    assert "size up" in failing.suggestion  # the template stands


def _orders() -> list[dict[str, Any]]:
    orders = []
    for n in range(1, 6):
        orders.append(
            {
                "number": f"20{n:02d}",
                "email": f"buyer{n}@example.com",
                "country": "US",
                "placed_at": "2026-03-01T10:00:00Z",
                "delivered_at": "2026-03-05T10:00:00Z",
                "items": [
                    {
                        "sku": "BUDS-1",
                        "name": "Wireless earbuds",
                        "price": "30.00",
                        "supplier": "acme",
                    },
                    {
                        "sku": "MUG-1",
                        "name": "Ceramic mug",
                        "price": "12.00",
                        "quantity": 2,
                        "supplier": "acme",
                    },
                ],
            }
        )
    return orders


@pytest.fixture
def insight_desk(database_url: str) -> Iterator[ReturnsDesk]:
    store = make_store({"keep_it_under": "100.00"})
    desk = ReturnsDesk(database_url, store, FrozenClock(NOW))
    with desk.session() as session:
        import_orders(session, orders_from_data(_orders(), "test", store), store.policy.currency)
    yield desk
    desk.close()


def _return(desk: ReturnsDesk, n: int, sku: str, note: str, reason: str = "defective") -> str:
    view = desk.submit_return(
        ReturnRequest(
            order=f"20{n:02d}",
            email=f"buyer{n}@example.com",
            sku=sku,
            quantity=1,
            reason=reason,
            note=note,
        )
    )
    return view.code


def test_figures_words_and_suggestions_per_product_from_the_database(
    insight_desk: ReturnsDesk,
) -> None:
    _return(insight_desk, 1, "BUDS-1", "won't turn on")
    _return(insight_desk, 2, "BUDS-1", "Doesn't power on, tried charging")
    _return(insight_desk, 3, "BUDS-1", "dead on arrival")
    cancelled = _return(insight_desk, 4, "BUDS-1", "can't switch it on")
    _return(insight_desk, 5, "MUG-1", "chipped rim", reason="damaged")
    with insight_desk.session() as session:
        session.execute(update(CaseRow).where(CaseRow.code == cancelled).values(status="cancelled"))
    with insight_desk.session() as session:
        insights = {i.sku: i for i in product_insights(session)}

    buds, mug = insights["BUDS-1"], insights["MUG-1"]
    assert (buds.units_sold, buds.units_returned, buds.return_rate) == (5, 3, "60.0%")
    assert buds.reasons == {"defective": 3}  # the cancelled case is not a return
    assert len(buds.words) == 3
    assert [theme.label for theme in buds.suggestions] == ["does not turn on"]
    assert (mug.units_sold, mug.units_returned, mug.return_rate) == (10, 1, "10.0%")
    assert mug.suggestions == []
    assert list(insights) == ["BUDS-1", "MUG-1"]  # highest return rate first

    with insight_desk.session() as session:
        stricter = {i.sku: i for i in product_insights(session, min_customers=4)}
    assert stricter["BUDS-1"].suggestions == []
