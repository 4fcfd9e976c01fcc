"""Charts for the owner desk, drawn on the server as SVG with pygal.

Why pygal: it renders whole charts to SVG in Python with no browser-side library and no
network (the desk and its tests run offline, the page's Content-Security-Policy allows
scripts from this site only); SVG stays sharp from a phone to a wide screen; the charts are
plain markup a test can read. pygal's tooltip script is left out (``js=[]``, and its inline
configuration removed); every value is printed on the chart and in the tables beside it.

Charts: return rate by supplier and by product, reasons week by week, and supplier credit
still unpaid by age.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pygal
from pygal.style import Style
from sqlalchemy import select
from sqlalchemy.orm import Session

from graph.desk import ReturnsDesk
from ledger.models import CaseRow
from policies.money import Money, exponent
from tools.product_insights import ProductInsight, Wording, product_insights, reason_label
from tools.supplier_credit import Credit, credits
from tools.supplier_scorecard import Scorecard, percent, scorecards

DESK_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#7b8794",
    opacity=".9",
    opacity_hover="1",
    colors=("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#718096", "#d69e2e"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
    value_label_font_size=12,
    legend_font_size=13,
    title_font_size=15,
    tooltip_font_size=12,
)
AGE_BUCKETS = ((0, 30, "0-30 days"), (31, 60, "31-60 days"), (61, 90, "61-90 days"))
OLDEST_BUCKET = "over 90 days"
TOP_PRODUCTS = 10


def _config(title: str, height: int) -> dict[str, object]:
    return {
        "title": title,
        "style": DESK_STYLE,
        "js": [],  # no script from elsewhere; the values are printed on the bars
        "disable_xml_declaration": True,
        "width": 720,
        "height": height,
        "explicit_size": False,  # scales with the page (viewBox)
        "print_values": True,
        "show_legend": False,
        "margin": 12,
        "truncate_label": 28,
    }


def _rate(part: int, whole: int) -> float:
    return float(percent(part, whole).rstrip("%"))  # one decimal, half-up, as in the tables


def empty_chart(title: str) -> str:
    return (
        '<figure class="chart chart-empty"><figcaption>'
        f"{_escape(title)}</figcaption><p>No returns yet.</p></figure>"
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def rate_by_supplier(cards: Sequence[Scorecard]) -> str:
    rows = [card for card in cards if card.units_sold]
    title = "Return rate by supplier (%)"
    if not rows:
        return empty_chart(title)
    rows.sort(key=lambda card: (card.units_returned / card.units_sold, card.name))
    # pygal draws a horizontal bar chart's first row at the bottom: the highest rate goes last
    chart = pygal.HorizontalBar(**_config(title, 90 + 40 * len(rows)), formatter=_percent)
    chart.x_labels = [card.name for card in rows]
    chart.add("return rate", [_rate(card.units_returned, card.units_sold) for card in rows])
    return _svg(chart)


def rate_by_product(insights: Sequence[ProductInsight]) -> str:
    returned = [i for i in insights if i.units_sold and i.units_returned]
    returned.sort(key=lambda i: (-i.units_returned / i.units_sold, -i.units_returned, i.sku))
    rows = returned[:TOP_PRODUCTS][::-1]  # pygal draws the first row at the bottom
    title = f"Return rate by product, top {TOP_PRODUCTS} (%)"
    if not rows:
        return empty_chart(title)
    chart = pygal.HorizontalBar(**_config(title, 90 + 40 * len(rows)), formatter=_percent)
    chart.x_labels = [i.name for i in rows]
    chart.add("return rate", [_rate(i.units_returned, i.units_sold) for i in rows])
    return _svg(chart)


def week_of(moment: dt.datetime) -> dt.date:
    day = moment.date()
    return day - dt.timedelta(days=day.weekday())


def reasons_by_week(session: Session, now: dt.datetime, weeks: int = 8) -> str:
    """Cases opened per week over the last ``weeks`` weeks, stacked by reason."""
    title = f"Reasons, week by week (last {weeks} weeks)"
    first = week_of(now) - dt.timedelta(weeks=weeks - 1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=now.tzinfo or dt.UTC)
    rows = session.execute(
        select(CaseRow.created_at, CaseRow.reason).where(CaseRow.created_at >= since)
    ).all()
    if not rows:
        return empty_chart(title)
    starts = [first + dt.timedelta(weeks=n) for n in range(weeks)]
    counts: Counter[tuple[dt.date, str]] = Counter(
        (week_of(created), reason) for created, reason in rows
    )
    reasons = sorted({reason for _, reason in rows})
    config = _config(title, 360) | {"show_legend": True, "legend_at_bottom": True}
    config["print_values"] = False
    chart = pygal.StackedBar(**config)
    chart.x_labels = [start.strftime("%d %b") for start in starts]
    for reason in reasons:
        chart.add(reason_label(reason), [counts[(start, reason)] or None for start in starts])
    return _svg(chart)


def credit_ageing(credits: Sequence[Credit], now: dt.datetime, currency: str) -> str:
    """What suppliers still owe, by how long ago the credit was recorded."""
    title = f"Supplier credit unpaid, by age ({currency})"
    unpaid = [credit for credit in credits if credit.unpaid_minor > 0]
    if not unpaid:
        return empty_chart(title)
    totals: Counter[str] = Counter()
    for credit in unpaid:
        days = (now - credit.recorded_at).days
        label = next((name for low, high, name in AGE_BUCKETS if low <= days <= high), None)
        totals[label or OLDEST_BUCKET] += credit.unpaid_minor
    labels = [name for _, _, name in AGE_BUCKETS] + [OLDEST_BUCKET]

    scale = 10 ** exponent(currency)

    def money(value: float | None) -> str:
        return "" if value is None else str(Money(minor=round(value * scale), currency=currency))

    chart = pygal.Bar(**_config(title, 320), formatter=money)
    chart.x_labels = labels
    chart.add("unpaid", [totals[label] / scale if totals[label] else None for label in labels])
    return _svg(chart)


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _svg(chart: pygal.graph.graph.Graph) -> str:
    # pygal always embeds its configuration for its tooltip script; the desk's pages run no
    # inline script (Content-Security-Policy), so it is taken out rather than left blocked.
    return _SCRIPT.sub("", str(chart.render(is_unicode=True)))


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def products_section(desk: ReturnsDesk, wording: Wording | None = None) -> dict[str, Any]:
    """The products page: figures, suggestions and its two charts."""
    now = desk.clock.now()
    with desk.session() as session:
        insights = product_insights(session, wording=wording)
        by_week = reasons_by_week(session, now)
    return {
        "products": [insight.figures() for insight in insights],
        "charts": [rate_by_product(insights), by_week],
    }


def supplier_charts(desk: ReturnsDesk) -> dict[str, Any]:
    """The suppliers page's charts: return rate by supplier and unpaid credit by age."""
    now = desk.clock.now()
    currency = desk.store.policy.currency
    with desk.session() as session:
        cards = scorecards(session, desk.store, now)
        owed = credits(session)
    return {"charts": [rate_by_supplier(cards), credit_ageing(owed, now, currency)]}
