"""Tests for tools.label_pdf: the PDF return label.

Text is read back with pypdf; the barcode is decoded from the PDF's own
drawing operators (the filled rectangles of the bars) with a small Code 128
decoder below, so the test checks what is actually on the page.
"""

from __future__ import annotations

import datetime
import io
from collections import defaultdict
from typing import Any

import pydantic
import pypdf
import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from tools.label_pdf import LabelContent, render_label_pdf

INCH = 72.0

LONG_ADDRESS = (
    ", ".join(f"Building {i} Very Long Industrial Park Road Name Number {i}" for i in range(40))
    + ", Dongguan, Guangdong 523000, China"
)


def make_label(**overrides: Any) -> LabelContent:
    fields: dict[str, Any] = {
        "case_id": "RB-000123",
        "order_number": "1001",
        "carrier": "ReturnBridge Local Post",
        "service": "Ground",
        "tracking_number": "1RB000123A4F9",
        "sender_name": "Jane Customer",
        "sender_address": "42 Elm Street, Apt 3\nSpringfield, IL 62704, USA",
        "recipient_name": "Acme Supplies Ltd.",
        "recipient_address": "Unit 5, 88 Harbour Road\nShenzhen, Guangdong 518000, China",
        "rma": "RMA-2024-0042",
        "item_description": "1 x Ceramic mug (MUG-1)",
        "created_at": datetime.datetime(2024, 5, 1, 14, 3, tzinfo=datetime.UTC),
    }
    fields.update(overrides)
    return LabelContent(**fields)


def read(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in read(pdf).pages)


# --------------------------------------------------------------------------
# basic shape


def test_output_is_a_pdf() -> None:
    pdf = render_label_pdf(make_label())
    assert pdf.startswith(b"%PDF")
    assert pdf.rstrip().endswith(b"%%EOF")


def test_page_is_4_by_6_inches_and_single() -> None:
    reader = read(render_label_pdf(make_label()))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(4 * INCH)
    assert float(box.height) == pytest.approx(6 * INCH)


def test_rendering_is_deterministic() -> None:
    label = make_label()
    assert render_label_pdf(label) == render_label_pdf(label)


# --------------------------------------------------------------------------
# text content


def test_text_contains_key_fields() -> None:
    text = text_of(render_label_pdf(make_label()))
    for expected in [
        "1RB000123A4F9",  # tracking number, printed under the barcode
        "RMA: RMA-2024-0042",
        "Shenzhen",  # recipient city
        "Jane Customer",  # sender
        "Acme Supplies Ltd.",
        "RB-000123",
        "1001",
        "ReturnBridge Local Post",
        "GROUND",
        "1 x Ceramic mug (MUG-1)",
        "2024-05-01",
    ]:
        assert expected in text, expected


def test_recipient_address_is_split_into_lines() -> None:
    lines = [ln.strip() for ln in text_of(render_label_pdf(make_label())).splitlines()]
    for part in ["Unit 5", "88 Harbour Road", "Shenzhen", "Guangdong 518000", "China"]:
        assert part in lines, (part, lines)


@pytest.mark.parametrize("rma", [None, "", "   "])
def test_label_without_rma_does_not_mention_rma(rma: str | None) -> None:
    text = text_of(render_label_pdf(make_label(rma=rma)))
    assert "RMA" not in text.upper()
    # The rest of the label is still there.
    assert "1RB000123A4F9" in text
    assert "Shenzhen" in text


def test_empty_sender_address_renders() -> None:
    text = text_of(render_label_pdf(make_label(sender_address="")))
    assert "Jane Customer" in text


def test_non_latin_text_does_not_break_rendering() -> None:
    label = make_label(
        recipient_address="深圳市南山区 88号, Łódź, Shenzhen", sender_name="Zoë Łukasz"
    )
    text = text_of(render_label_pdf(label))
    assert "Shenzhen" in text
    assert "Zoë Lukasz" in text


# --------------------------------------------------------------------------
# long text stays on one page and inside it


def test_very_long_address_still_renders_on_one_page() -> None:
    label = make_label(recipient_address=LONG_ADDRESS, sender_address=LONG_ADDRESS)
    reader = read(render_label_pdf(label))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    # The address is cut in the middle, never at the end: city and country stay.
    assert "Dongguan" in text
    assert "China" in text
    assert "..." in text
    assert "1RB000123A4F9" in text


class _Recorder:
    """Wraps Canvas string drawing to record where each string lands."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, float, float, float, str]] = []
        for name, anchor in [
            ("drawString", 0.0),
            ("drawCentredString", 0.5),
            ("drawRightString", 1.0),
        ]:
            monkeypatch.setattr(Canvas, name, self._wrap(getattr(Canvas, name), anchor))

    def _wrap(self, original: Any, anchor: float) -> Any:
        recorder = self

        def wrapper(canvas: Any, x: float, y: float, text: str, *args: Any, **kwargs: Any) -> Any:
            font, size = canvas._fontname, canvas._fontsize
            width = stringWidth(text, font, size) + kwargs.get("charSpace", 0) * max(
                len(text) - 1, 0
            )
            left = x - anchor * width
            recorder.calls.append((text, left, left + width, y, font))
            return original(canvas, x, y, text, *args, **kwargs)

        return wrapper


def test_all_text_is_inside_the_page_even_when_everything_is_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = _Recorder(monkeypatch)
    words = "Super deluxe stainless steel insulated travel mug with lid "
    label = make_label(
        case_id="RB-" + "0" * 60,
        order_number="9" * 80,
        carrier="A carrier with a really really really long name " * 3,
        service="Two-Day Express Priority Overnight Freight",
        tracking_number="1RB000123A4F9XYZ1234567890ABCDEFGH",
        sender_name="Bartholomew Maximilian Featherstonehaugh-Worthington " * 3,
        sender_address="X" * 400 + "\n" + LONG_ADDRESS,
        recipient_name="Extremely Long Supplier Company Name International Trading Co. Ltd. " * 3,
        recipient_address="Y" * 500 + ", " + LONG_ADDRESS,
        rma="RMA-" + "7" * 120,
        item_description="3 x " + words * 20,
    )
    reader = read(render_label_pdf(label))
    assert len(reader.pages) == 1
    assert recorder.calls, "no text was drawn through the canvas"
    page_w, page_h = 4 * INCH, 6 * INCH
    for text, left, right, y, _font in recorder.calls:
        assert left >= 0, (text, left)
        assert right <= page_w, (text, right)
        assert 0 <= y <= page_h, (text, y)


def test_recorder_sees_the_normal_label_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # Guards the test above: it must be watching the calls the label makes.
    recorder = _Recorder(monkeypatch)
    render_label_pdf(make_label())
    drawn = [call[0] for call in recorder.calls]
    assert "Jane Customer" in drawn
    assert "1RB000123A4F9" in drawn


# --------------------------------------------------------------------------
# validation


def test_tracking_number_must_be_printable_ascii_without_spaces() -> None:
    with pytest.raises(pydantic.ValidationError):
        make_label(tracking_number="1RB 000")
    with pytest.raises(pydantic.ValidationError):
        make_label(tracking_number="")


def test_label_content_is_frozen() -> None:
    label = make_label()
    with pytest.raises(pydantic.ValidationError):
        label.rma = "other"  # type: ignore[misc]


# --------------------------------------------------------------------------
# barcode: decode the Code 128 symbol from the bars drawn in the PDF

# Code 128 element widths (bar, space, bar, space, bar, space[, bar]) for
# symbol values 0..106 (103/104/105 = START A/B/C, 106 = STOP).
CODE128_WIDTHS = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312",
    "132212", "221213", "221312", "231212", "112232", "122132", "122231", "113222",
    "123122", "123221", "223211", "221132", "221231", "213212", "223112", "312131",
    "311222", "321122", "321221", "312212", "322112", "322211", "212123", "212321",
    "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
    "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121",
    "313121", "211331", "231131", "213113", "213311", "213131", "311123", "311321",
    "331121", "312113", "312311", "332111", "314111", "221411", "431111", "111224",
    "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
    "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112",
    "421211", "212141", "214121", "412121", "111143", "111341", "131141", "114113",
    "114311", "411113", "411311", "113141", "114131", "311141", "411131", "211412",
    "211214", "211232", "2331112",
]  # fmt: skip
CODE128_VALUE = {w: v for v, w in enumerate(CODE128_WIDTHS)}
START_A, START_B, START_C, STOP = 103, 104, 105, 106


def test_code128_table_is_well_formed() -> None:
    assert len(CODE128_VALUE) == 107  # all distinct
    for value, widths in enumerate(CODE128_WIDTHS[:106]):
        assert len(widths) == 6 and sum(map(int, widths)) == 11, value
        assert sum(map(int, widths[0::2])) % 2 == 0, value  # even bar modules
    assert sum(map(int, CODE128_WIDTHS[STOP])) == 13


def decode_code128(widths: list[int]) -> str:
    """Decode module widths (bar, space, bar, ..., last bar) to text."""
    assert len(widths) % 6 == 1, len(widths)
    values = [
        CODE128_VALUE["".join(map(str, widths[i : i + 6]))] for i in range(0, len(widths) - 7, 6)
    ]
    assert "".join(map(str, widths[-7:])) == CODE128_WIDTHS[STOP]
    *data, check = values
    assert check == (data[0] + sum(i * v for i, v in enumerate(data[1:], 1))) % 103, "bad checksum"
    start, *symbols = data
    code = {START_A: "A", START_B: "B", START_C: "C"}[start]
    out: list[str] = []
    shift = False
    for v in symbols:
        current = ("B" if code == "A" else "A") if shift else code
        shift = False
        if current == "C":
            if v < 100:
                out.append(f"{v:02d}")
            elif v == 100:
                code = "B"
            elif v == 101:
                code = "A"
            else:
                raise AssertionError(f"unsupported symbol {v} in set C")
        elif v < 96:
            if current == "B":
                out.append(chr(v + 32))
            else:
                out.append(chr(v + 32) if v < 64 else chr(v - 64))
        elif v == 98:
            shift = True
        elif v == 99:
            code = "C"
        elif v == 100 and current == "A":
            code = "B"
        elif v == 101 and current == "B":
            code = "A"
        else:
            raise AssertionError(f"unsupported symbol {v} in set {current}")
    return "".join(out)


def _mul(m: list[float], n: list[float]) -> list[float]:
    """PDF matrix product m x n (each [a b c d e f])."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return [
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    ]


def filled_rects(pdf: bytes) -> list[tuple[float, float, float, float]]:
    """All filled rectangles on page 1 as (x0, y0, x1, y1) in page space."""
    reader = read(pdf)
    page = reader.pages[0]
    ops = pypdf.generic.ContentStream(page.get_contents(), reader).operations
    ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    stack: list[list[float]] = []
    pending: list[tuple[float, float, float, float]] = []
    rects: list[tuple[float, float, float, float]] = []
    for operands, op in ops:
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop()
        elif op == b"cm":
            ctm = _mul([float(v) for v in operands], ctm)
        elif op == b"re":
            x, y, w, h = (float(v) for v in operands)
            a, b, c, d, e, f = ctm
            assert b == 0 and c == 0, "rotated drawing not expected"
            xs = (a * x + e, a * (x + w) + e)
            ys = (d * y + f, d * (y + h) + f)
            pending.append((min(xs), min(ys), max(xs), max(ys)))
        elif op in (b"f", b"f*", b"F", b"B", b"B*", b"b", b"b*"):
            rects.extend(pending)
            pending = []
        elif op in (b"S", b"s", b"n"):
            pending = []
    return rects


def barcode_widths(pdf: bytes) -> tuple[list[int], float, tuple[float, float]]:
    """Module widths of the barcode, the module size, and the bars' x extent."""
    rows: dict[tuple[float, float], list[tuple[float, float]]] = defaultdict(list)
    for x0, y0, x1, y1 in filled_rects(pdf):
        rows[(round(y0, 2), round(y1, 2))].append((x0, x1))
    best: list[tuple[float, float]] = []
    for row in rows.values():
        if len(row) > len(best):
            best = row
    bars = sorted(best)
    assert len(bars) >= 13, "no barcode found"  # START + CHECK + STOP alone have 13 bars
    elements: list[float] = []
    for i, (x0, x1) in enumerate(bars):
        if i:
            elements.append(x0 - bars[i - 1][1])  # space
        elements.append(x1 - x0)  # bar
    module = min(elements)
    widths = [round(e / module) for e in elements]
    for e, w in zip(elements, widths, strict=True):
        assert abs(e / module - w) < 0.1, "bar widths are not whole modules"
    return widths, module, (bars[0][0], bars[-1][1])


@pytest.mark.parametrize(
    "tracking",
    ["1RB000123A4F9", "1RB000123A4F9XYZ1234567890ABCDEFGH", "AB", "123456", "rb-9/x"],
)
def test_barcode_decodes_to_tracking_number(tracking: str) -> None:
    pdf = render_label_pdf(make_label(tracking_number=tracking))
    widths, module, (left, right) = barcode_widths(pdf)
    assert decode_code128(widths) == tracking
    # Quiet zones of at least 10 modules inside the 6 pt frame on both sides.
    assert left - 10 * module >= 6
    assert right + 10 * module <= 4 * INCH - 6
    assert tracking in text_of(pdf)


def test_barcode_is_wide_enough_to_scan() -> None:
    _, module, _ = barcode_widths(render_label_pdf(make_label()))
    assert module >= 0.0075 * INCH  # Code 128 minimum X-dimension (7.5 mil)
