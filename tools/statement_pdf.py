"""A supplier statement as a PDF, for disputes ("we never received it"): the same rows as the
CSV statement, on landscape A4 pages, with the totals owed, received, written off and overdue.

``render_statement_pdf`` is a pure function of its rows: no file, database or network I/O.
The PDF uses the standard fonts (WinAnsi), so text outside Windows-1252 is folded to ASCII
where possible and otherwise replaced with "?", as on the return label.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4, landscape  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from policies.money import Money
from tools.supplier_scorecard import STATEMENT_COLUMNS

__all__ = ["StatementContent", "render_statement_pdf"]

# Which columns of the statement rows the PDF shows, and under which heading.
_AMOUNTS = ("credit", "received", "written_off", "still_owed", "overdue")
_HEADINGS = {
    "credit": "Credit",
    "received": "Received",
    "written_off": "Written off",
    "still_owed": "Still owed",
    "overdue": "Overdue",
}


@dataclass(frozen=True)
class StatementContent:
    store_name: str
    supplier_id: str
    supplier_name: str
    currency: str
    made_at: dt.datetime
    rows: Sequence[Sequence[str | int]]  # in the order of STATEMENT_COLUMNS


def _text(value: object) -> str:
    """WinAnsi-safe text, escaped for reportlab's paragraph markup."""
    folded = []
    for char in str(value):
        try:
            char.encode("cp1252")
            folded.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            folded.append(plain or "?")
    text = "".join(folded)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _minor(amount: str | int, currency: str) -> int:
    return Money.parse(str(amount), currency).minor


def render_statement_pdf(content: StatementContent) -> bytes:
    """The statement's PDF bytes."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"Statement {content.supplier_name}",
        author=content.store_name,
    )
    small = ParagraphStyle("cell", fontName="Helvetica", fontSize=7.5, leading=9)
    bold = ParagraphStyle("head", parent=small, fontName="Helvetica-Bold")
    right = ParagraphStyle("num", parent=small, alignment=2)
    right_bold = ParagraphStyle("numhead", parent=bold, alignment=2)
    title = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=15, leading=19)
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=9.5, leading=12)
    at = {name: index for index, name in enumerate(STATEMENT_COLUMNS)}

    def cell(row: Sequence[str | int], name: str) -> str:
        return _text(row[at[name]])

    header = [
        Paragraph(word, bold)
        for word in ("Case", "Order", "Item", "Reason / status", "Dates", "RMA / tracking")
    ] + [Paragraph(f"{_HEADINGS[name]} ({content.currency})", right_bold) for name in _AMOUNTS]
    table_rows: list[list[Paragraph]] = [header]
    totals = dict.fromkeys(_AMOUNTS, 0)
    for row in content.rows:
        for name in _AMOUNTS:
            totals[name] += _minor(row[at[name]], content.currency)
        dates = [f"opened {cell(row, 'opened')}"]
        if row[at["authorisation_requested"]]:
            dates.append(f"asked {cell(row, 'authorisation_requested')}")
        if row[at["supplier_decision"]]:
            dates.append(f"decided {cell(row, 'supplier_decision')}")
        if row[at["credit_recorded_at"]]:
            dates.append(f"credit {cell(row, 'credit_recorded_at')}")
        if row[at["credit_due"]]:
            dates.append(f"due {cell(row, 'credit_due')}")
        shipping = []
        if row[at["rma"]]:
            shipping.append(f"RMA {cell(row, 'rma')}")
        if row[at["tracking_number"]]:
            shipping.append(cell(row, "tracking_number"))
        events = str(row[at["tracking_events"]])
        shipping.extend(_text(event.strip()) for event in events.split(";") if event.strip())
        table_rows.append(
            [
                Paragraph(cell(row, "case"), small),
                Paragraph(cell(row, "order"), small),
                Paragraph(
                    f"{cell(row, 'quantity')} x {cell(row, 'item')} ({cell(row, 'sku')})", small
                ),
                Paragraph(
                    f"{cell(row, 'reason').replace('_', ' ')}<br/>"
                    f"{cell(row, 'status').replace('_', ' ')}",
                    small,
                ),
                Paragraph("<br/>".join(dates), small),
                Paragraph("<br/>".join(shipping) or "-", small),
            ]
            + [Paragraph(cell(row, name), right) for name in _AMOUNTS]
        )

    def money(minor: int) -> str:
        return Money(minor=minor, currency=content.currency).amount_str()

    table_rows.append(
        [Paragraph("Totals", bold)]
        + [Paragraph("", small)] * 5
        + [Paragraph(money(totals[name]), right_bold) for name in _AMOUNTS]
    )
    widths = [22 * mm, 18 * mm, 55 * mm, 28 * mm, 40 * mm, 42 * mm] + [17 * mm] * 5
    table = Table(table_rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9edf3")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9d0da")),
                ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    summary = (
        f"Owed {money(totals['credit'])} {content.currency} · received "
        f"{money(totals['received'])} · written off {money(totals['written_off'])} · still "
        f"owed {money(totals['still_owed'])} · overdue {money(totals['overdue'])}"
    )
    story = [
        Paragraph(_text(f"Supplier statement: {content.supplier_name}"), title),
        Paragraph(
            _text(
                f"{content.store_name} · supplier {content.supplier_id} · made "
                f"{content.made_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC · "
                f"{len(content.rows)} case{'s' if len(content.rows) != 1 else ''}"
            ),
            body,
        ),
        Paragraph(_text(summary), body),
        Spacer(1, 5 * mm),
        table,
    ]
    doc.build(story)
    return out.getvalue()
