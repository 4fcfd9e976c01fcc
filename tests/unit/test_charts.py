"""The owner desk's charts: SVG from pygal, no script, the values printed, empty states."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from xml.etree import ElementTree

from bot.web import charts
from tests.conftest import NOW
from tools.product_insights import ProductInsight
from tools.supplier_credit import Credit
from tools.supplier_scorecard import Scorecard


def _svg(markup: str) -> ElementTree.Element:
    assert markup.lstrip().startswith("<svg"), markup[:80]
    assert "<script" not in markup  # the page allows no script from elsewhere
    return ElementTree.fromstring(markup)


def _texts(markup: str) -> list[str]:
    return [node.text or "" for node in _svg(markup).iter() if node.tag.endswith("text")]


def _card(name: str, sold: int, returned: int) -> Scorecard:
    fields = dict.fromkeys(Scorecard.__dataclass_fields__, 0)
    fields.update(
        supplier_id=name.lower(),
        name=name,
        currency="USD",
        units_sold=sold,
        units_returned=returned,
        median_decision_hours=None,
        median_days_to_credit=None,
    )
    return Scorecard(**fields)  # type: ignore[arg-type]


def test_return_rate_by_supplier_prints_each_rate() -> None:
    markup = charts.rate_by_supplier([_card("Acme", 40, 2), _card("Far East", 16, 1)])
    texts = _texts(markup)
    assert "5.0%" in texts and "6.3%" in texts  # 2/40, 1/16
    assert "Acme" in texts and "Far East" in texts


def test_product_chart_shows_only_returned_products_top_ten() -> None:
    insights = [
        ProductInsight(f"SKU-{n}", f"Product {n}", "acme", 20, n, Counter(), [], [])
        for n in range(12)
    ]
    insights.reverse()  # the chart orders them itself
    texts = _texts(charts.rate_by_product(insights))
    assert "Product 0" not in texts  # never returned
    assert "Product 11" in texts and "Product 10" in texts
    assert sum(1 for text in texts if text.startswith("Product ")) == 10


def test_credit_ageing_buckets_the_unpaid_part() -> None:
    credits = [
        Credit("RB-1", 1, "1", "acme", 2400, NOW - dt.timedelta(days=10), received_minor=400),
        Credit("RB-2", 2, "2", "acme", 1000, NOW - dt.timedelta(days=45)),
        Credit("RB-3", 3, "3", "acme", 500, NOW - dt.timedelta(days=200)),
        Credit("RB-4", 4, "4", "acme", 900, NOW - dt.timedelta(days=5), received_minor=900),
    ]
    texts = _texts(charts.credit_ageing(credits, NOW, "USD"))
    assert "20.00 USD" in texts  # 24.00 less 4.00 received, 10 days old
    assert "10.00 USD" in texts and "5.00 USD" in texts
    assert "9.00 USD" not in texts  # paid in full


def test_credit_ageing_in_a_currency_without_cents() -> None:
    credits = [Credit("RB-1", 1, "1", "acme", 2400, NOW - dt.timedelta(days=3))]
    assert "2400 JPY" in _texts(charts.credit_ageing(credits, NOW, "JPY"))


def test_no_data_gives_a_sentence_not_an_empty_chart() -> None:
    assert "No returns yet" in charts.rate_by_supplier([_card("Acme", 0, 0)])
    assert "No returns yet" in charts.credit_ageing([], NOW, "USD")
    assert "No returns yet" in charts.rate_by_product([])


def test_a_name_with_markup_is_escaped() -> None:
    texts = _texts(charts.rate_by_supplier([_card("<b>Acme</b> & Co", 10, 1)]))
    assert "<b>Acme</b> & Co" in texts  # parsed back as text, so it was escaped in the SVG
