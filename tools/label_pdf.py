"""Render a 4x6 inch return shipping label as a PDF.

``render_label_pdf`` is a pure function: it takes a :class:`LabelContent`
and returns the bytes of a one-page PDF. It does no file or network I/O.

Layout (top to bottom): carrier + service header, FROM block (sender) with
date / case / order on the right, SHIP TO block (recipient, large type),
an inverted "RMA: ..." bar when an RMA is set, a Code 128 barcode of the
tracking number with the number printed under it, and the contents line.

Every piece of text is wrapped to its box and shrunk (down to a minimum
size) so that it fits; if it still does not fit it is cut with an ellipsis.
Nothing is ever drawn outside the page.

The PDF uses the 14 standard PDF fonts (WinAnsi encoding), so characters
outside Windows-1252 are folded to ASCII where possible (e.g. "Ł" -> "L")
and otherwise replaced with "?".
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata

import pydantic
from reportlab.graphics.barcode.code128 import Code128  # type: ignore[import-untyped]
from reportlab.lib.units import inch  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

__all__ = ["PAGE_HEIGHT", "PAGE_WIDTH", "LabelContent", "render_label_pdf"]

PAGE_WIDTH: float = 4 * inch  # 288 pt
PAGE_HEIGHT: float = 6 * inch  # 432 pt

_BORDER = 6.0  # outer frame inset from the page edge
_PAD = 8.0  # content inset from the frame
_LEFT = _BORDER + _PAD
_RIGHT = PAGE_WIDTH - _BORDER - _PAD
_WIDTH = _RIGHT - _LEFT
_TOP = PAGE_HEIGHT - _BORDER
_BOTTOM = _BORDER

_REG = "Helvetica"
_BOLD = "Helvetica-Bold"
_MONO = "Courier-Bold"
_ELLIPSIS = "..."
_LEADING = 1.18
_RMA_HEIGHT = 30.0
_BARCODE_HEIGHT = 92.0
_CONTENTS_HEIGHT = 40.0

# Barcode geometry.
_BAR_HEIGHT = 50.0
_MAX_BAR_WIDTH = 1.6  # pt per module
_QUIET_MODULES = 10  # Code 128 requires a quiet zone of at least 10 modules


class LabelContent(pydantic.BaseModel):
    """Everything printed on a return label."""

    model_config = pydantic.ConfigDict(frozen=True)

    case_id: str
    order_number: str
    carrier: str
    service: str
    # Printable ASCII without spaces: everything Code 128 (set A/B/C) encodes.
    tracking_number: str = pydantic.Field(pattern=r"^[!-~]+$")
    sender_name: str
    sender_address: str
    recipient_name: str
    recipient_address: str
    rma: str | None
    item_description: str
    created_at: datetime.datetime
    # Not printed: what a carrier's API needs beside the address text.
    sender_country: str = ""
    sender_email: str = ""
    recipient_country: str = ""
    sender_phone: str = ""
    recipient_phone: str = ""
    # What a customs declaration needs when the parcel crosses a border: the returned goods'
    # value (what the customer paid for them) and where they came from.
    goods_description: str = ""
    goods_quantity: int = 0
    goods_value_minor: int = 0
    currency: str = ""
    origin_country: str = ""
    hs_tariff_number: str = ""


# --------------------------------------------------------------------------
# text helpers


def _pdf_safe(text: str) -> str:
    """Make ``text`` drawable with the standard (WinAnsi) fonts."""
    out: list[str] = []
    for ch in text:
        if ch in "\t\r\n":
            out.append(" ")
            continue
        if not ch.isprintable():
            continue
        try:
            ch.encode("cp1252")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        folded = _FOLD_EXTRA.get(ch) or "".join(
            c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
        )
        try:
            folded.encode("cp1252")
        except UnicodeEncodeError:
            folded = ""
        out.append(folded or "?")
    return "".join(out)


# Letters that NFKD does not decompose.
_FOLD_EXTRA = {
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Ħ": "H",
    "ħ": "h",
    "ı": "i",
    "Ŧ": "T",
    "ŧ": "t",
}


def _width(text: str, font: str, size: float) -> float:
    return float(stringWidth(text, font, size))


def _hard_break(word: str, font: str, size: float, width: float) -> list[str]:
    """Split a single word that is wider than ``width`` into pieces."""
    pieces: list[str] = []
    current = ""
    for ch in word:
        if current and _width(current + ch, font, size) > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; words longer than a line are broken by character."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if _width(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        if _width(word, font, size) <= width:
            current = word
        else:
            pieces = _hard_break(word, font, size, width)
            lines.extend(pieces[:-1])
            current = pieces[-1]
    if current:
        lines.append(current)
    return lines


def _with_ellipsis(line: str, font: str, size: float, width: float) -> str:
    """Cut ``line`` so that ``line + '...'`` fits in ``width``."""
    while line and _width(line + _ELLIPSIS, font, size) > width:
        line = line[:-1]
    return line.rstrip() + _ELLIPSIS


def _sizes(max_size: float, min_size: float) -> list[float]:
    """Font sizes to try, largest first, in half-point steps."""
    sizes = [max_size]
    while sizes[-1] > min_size:
        sizes.append(max(min_size, sizes[-1] - 0.5))
    return sizes


def _capacity(size: float, height: float, max_lines: int | None) -> int:
    capacity = max(1, int(height // (size * _LEADING)))
    return capacity if max_lines is None else min(capacity, max_lines)


def _clean(paragraphs: list[str]) -> list[str]:
    return [p for p in (_pdf_safe(p).strip() for p in paragraphs) if p]


def _try_fit(
    paragraphs: list[str],
    font: str,
    max_size: float,
    min_size: float,
    width: float,
    height: float,
    max_lines: int | None = None,
) -> tuple[float, list[str]] | None:
    """Largest size at which the wrapped paragraphs fit, or None."""
    for size in _sizes(max_size, min_size):
        lines = [ln for p in paragraphs for ln in _wrap(p, font, size, width)]
        if len(lines) <= _capacity(size, height, max_lines):
            return size, lines
    return None


def _truncate(
    lines: list[str], capacity: int, keep_tail: int, font: str, size: float, width: float
) -> list[str]:
    """Keep ``capacity`` lines: the first ones and the last ``keep_tail``.

    The last line kept from the head gets an ellipsis to show the cut.
    """
    tail = keep_tail if capacity > keep_tail else 0
    head = lines[: capacity - tail]
    head[-1] = _with_ellipsis(head[-1], font, size, width)
    return head + (lines[len(lines) - tail :] if tail else [])


def _fit(
    paragraphs: list[str],
    font: str,
    max_size: float,
    min_size: float,
    width: float,
    height: float,
    max_lines: int | None = None,
) -> tuple[float, list[str]]:
    """Wrap paragraphs into ``width`` x ``height``, shrinking the font if needed.

    Each paragraph starts on a new line. Returns ``(font_size, lines)``. If
    the text does not fit even at ``min_size`` it is cut and the last line
    ends with an ellipsis.
    """
    paragraphs = _clean(paragraphs)
    if not paragraphs:
        return max_size, []
    fitted = _try_fit(paragraphs, font, max_size, min_size, width, height, max_lines)
    if fitted is not None:
        return fitted
    lines = [ln for p in paragraphs for ln in _wrap(p, font, min_size, width)]
    return min_size, _truncate(
        lines, _capacity(min_size, height, max_lines), 0, font, min_size, width
    )


def _fit_address(
    parts: list[str],
    font: str,
    max_size: float,
    min_size: float,
    width: float,
    height: float,
) -> tuple[float, list[str]]:
    """Fit address parts: one per line if possible, else packed with commas.

    When even the packed form does not fit at ``min_size``, the middle is
    cut so that the last lines (city, postcode, country) stay on the label.
    """
    parts = _clean(parts)
    if not parts:
        return max_size, []
    fitted = _try_fit(parts, font, max_size, min_size, width, height)
    if fitted is not None:
        return fitted
    packed = [", ".join(parts)]
    fitted = _try_fit(packed, font, max_size, min_size, width, height)
    if fitted is not None:
        return fitted
    lines = _wrap(packed[0], font, min_size, width)
    capacity = _capacity(min_size, height, None)
    return min_size, _truncate(lines, capacity, 2, font, min_size, width)


def _split_address(address: str) -> list[str]:
    """Recipient address: one line per comma- or newline-separated part."""
    return [part.strip() for part in re.split(r"[,\n\r]+", address) if part.strip()]


def _split_lines(address: str) -> list[str]:
    """Sender address: keep the sender's own lines, commas stay inline."""
    return [part.strip() for part in address.splitlines() if part.strip()]


# --------------------------------------------------------------------------
# drawing helpers


def _draw_lines(
    c: Canvas,
    lines: list[str],
    x: float,
    top: float,
    font: str,
    size: float,
) -> float:
    """Draw lines downward from ``top`` (the top of the first line's box).

    Returns the y of the bottom of the block.
    """
    c.setFont(font, size)
    leading = size * _LEADING
    y = top
    for line in lines:
        y -= leading
        # Baseline sits a little above the bottom of the line box.
        c.drawString(x, y + (leading - size) / 2 + size * 0.2, line)
    return y


def _label(c: Canvas, text: str, x: float, top: float) -> float:
    """A small bold caption such as "FROM"; returns the y below it."""
    size = 6.5
    c.setFont(_BOLD, size)
    c.drawString(x, top - size, text)
    return top - size - 2.5


def _hline(c: Canvas, y: float, weight: float = 1.0) -> None:
    c.setLineWidth(weight)
    c.line(_BORDER, y, PAGE_WIDTH - _BORDER, y)


def _one_line(
    text: str, font: str, max_size: float, min_size: float, width: float
) -> tuple[float, str]:
    size, lines = _fit([text], font, max_size, min_size, width, max_size * 2, max_lines=1)
    return size, lines[0] if lines else ""


# --------------------------------------------------------------------------
# sections


def _header(c: Canvas, label: LabelContent, top: float) -> float:
    height = 34.0
    bottom = top - height

    # Service, inverted, on the right (up to two centred lines).
    svc_box_w = 96.0
    svc_x = PAGE_WIDTH - _BORDER - svc_box_w
    svc_size, svc_lines = _fit(
        [label.service.upper()], _BOLD, 14, 6, svc_box_w - 10, height - 6, max_lines=2
    )
    c.setFillGray(0)
    c.rect(svc_x, bottom, svc_box_w, height, stroke=0, fill=1)
    c.setFillGray(1)
    c.setFont(_BOLD, svc_size)
    leading = svc_size * _LEADING
    first_baseline = bottom + height / 2 + (len(svc_lines) - 1) * leading / 2 - svc_size * 0.35
    for i, line in enumerate(svc_lines):
        c.drawCentredString(svc_x + svc_box_w / 2, first_baseline - i * leading, line)
    c.setFillGray(0)

    # Carrier name (up to two lines) and "RETURN SHIPMENT" on the left.
    carrier_w = svc_x - _LEFT - 6
    size, lines = _fit([label.carrier], _BOLD, 12, 7, carrier_w, 20, max_lines=2)
    _draw_lines(c, lines, _LEFT, top - 3, _BOLD, size)
    c.setFont(_REG, 6.5)
    c.drawString(_LEFT, bottom + 3.5, "RETURN SHIPMENT")

    _hline(c, bottom, 1.5)
    return bottom


def _from_block(c: Canvas, label: LabelContent, top: float) -> float:
    height = 64.0
    bottom = top - height
    right_col_w = 84.0
    col_x = _RIGHT - right_col_w
    left_w = col_x - _LEFT - 8

    # Sender.
    y = _label(c, "FROM:", _LEFT, top - 5)
    name_size, name_lines = _fit([label.sender_name], _BOLD, 8.5, 6, left_w, 10.5 * 2, max_lines=2)
    y = _draw_lines(c, name_lines, _LEFT, y, _BOLD, name_size)
    addr_size, addr_lines = _fit_address(
        _split_lines(label.sender_address), _REG, 7.5, 5.5, left_w, y - bottom - 3
    )
    _draw_lines(c, addr_lines, _LEFT, y, _REG, addr_size)

    # Date / case / order, right column.
    c.setLineWidth(0.5)
    c.line(col_x - 5, bottom + 4, col_x - 5, top - 4)
    rows = [
        ("DATE", label.created_at.strftime("%Y-%m-%d")),
        ("CASE", label.case_id),
        ("ORDER", f"#{label.order_number}" if label.order_number else ""),
    ]
    y = top - 4
    for caption, value in rows:
        c.setFont(_REG, 5.5)
        c.drawString(col_x, y - 5.5, caption)
        size, text = _one_line(value, _BOLD, 8.5, 5, right_col_w)
        c.setFont(_BOLD, size)
        c.drawString(col_x, y - 5.5 - 1.5 - size, text)
        y -= 19.0

    _hline(c, bottom, 1.0)
    return bottom


def _to_block(c: Canvas, label: LabelContent, top: float, bottom: float) -> None:
    x = _LEFT + 6
    width = _RIGHT - x
    y = _label(c, "SHIP TO:", _LEFT, top - 6) - 2
    name_size, name_lines = _fit(
        [label.recipient_name], _BOLD, 15, 9, width, 15 * _LEADING * 2, max_lines=2
    )
    y = _draw_lines(c, name_lines, x, y, _BOLD, name_size)
    address = _split_address(label.recipient_address)
    addr_size, addr_lines = _fit_address(address, _REG, 12.5, 6.5, width, y - bottom - 4)
    _draw_lines(c, addr_lines, x, y, _REG, addr_size)


def _rma_bar(c: Canvas, rma: str, bottom: float) -> float:
    """Draw the inverted RMA bar above ``bottom``; returns its top."""
    height = _RMA_HEIGHT
    c.setFillGray(0)
    c.rect(_BORDER, bottom, PAGE_WIDTH - 2 * _BORDER, height, stroke=0, fill=1)
    c.setFillGray(1)
    size, lines = _fit([f"RMA: {rma.strip()}"], _BOLD, 18, 7, _WIDTH, height - 4, max_lines=2)
    block_h = len(lines) * size * _LEADING
    _draw_lines(c, lines, _LEFT, bottom + (height + block_h) / 2, _BOLD, size)
    c.setFillGray(0)
    return bottom + height


def _spaced_width(text: str, size: float, char_space: float) -> float:
    return _width(text, _MONO, size) + char_space * (len(text) - 1)


def _barcode_block(c: Canvas, label: LabelContent, bottom: float) -> float:
    """Draw the tracking barcode section above ``bottom``; returns its top."""
    top = bottom + _BARCODE_HEIGHT
    _hline(c, top, 1.5)

    caption_y = _label(c, "TRACKING #", _LEFT, top - 5)

    value = label.tracking_number
    # Size the bars so that bars plus both quiet zones fit the content width.
    probe = Code128(value, barWidth=1.0, quiet=0, humanReadable=0)
    modules = float(probe.width)
    bar_w = min(_MAX_BAR_WIDTH, (PAGE_WIDTH - 2 * _BORDER - 4) / (modules + 2 * _QUIET_MODULES))
    quiet = _QUIET_MODULES * bar_w
    barcode = Code128(
        value,
        barWidth=bar_w,
        barHeight=_BAR_HEIGHT,
        quiet=1,
        lquiet=quiet,
        rquiet=quiet,
        humanReadable=0,
    )
    bar_y = caption_y - 2 - _BAR_HEIGHT
    barcode.drawOn(c, (PAGE_WIDTH - float(barcode.width)) / 2, bar_y)

    # Human-readable number under the bars, letter-spaced (with PDF
    # character spacing, so the text itself has no extra spaces).
    size = 11.0
    char_space = 3.0
    while char_space > 0 and _spaced_width(value, size, char_space) > _WIDTH:
        char_space -= 0.5
    while size > 5 and _spaced_width(value, size, char_space) > _WIDTH:
        size -= 0.5
    c.setFont(_MONO, size)
    c.drawCentredString(PAGE_WIDTH / 2, bar_y - 3 - size, value, charSpace=char_space)
    return top


def _contents_block(c: Canvas, label: LabelContent, bottom: float) -> float:
    top = bottom + _CONTENTS_HEIGHT
    y = _label(c, "CONTENTS:", _LEFT, top - 5)
    size, lines = _fit([label.item_description], _REG, 7.5, 5.5, _WIDTH, y - bottom - 3)
    _draw_lines(c, lines, _LEFT, y, _REG, size)
    return top


# --------------------------------------------------------------------------
# public API


def render_label_pdf(label: LabelContent) -> bytes:
    """Render ``label`` as a one-page 4x6 inch PDF and return its bytes."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)
    c.setTitle(_pdf_safe(f"Return label {label.case_id}"))
    c.setAuthor("ReturnBridge")
    c.setSubject(_pdf_safe(f"Order {label.order_number}"))
    c.setStrokeGray(0)
    c.setFillGray(0)

    # Outer frame.
    c.setLineWidth(1.5)
    c.rect(_BORDER, _BORDER, PAGE_WIDTH - 2 * _BORDER, PAGE_HEIGHT - 2 * _BORDER, stroke=1, fill=0)

    # Fixed-height sections at the top and at the bottom; the SHIP TO block
    # takes whatever is left in between. Drawn top to bottom so that text
    # extraction follows the visual order.
    has_rma = label.rma is not None and bool(label.rma.strip())
    contents_bottom = _BOTTOM
    barcode_bottom = contents_bottom + _CONTENTS_HEIGHT
    rma_bottom = barcode_bottom + _BARCODE_HEIGHT
    to_bottom = rma_bottom + (_RMA_HEIGHT if has_rma else 0.0)

    y = _header(c, label, _TOP)
    y = _from_block(c, label, y)
    _to_block(c, label, y, to_bottom)
    if has_rma and label.rma is not None:
        _rma_bar(c, label.rma, rma_bottom)
    _barcode_block(c, label, barcode_bottom)
    _contents_block(c, label, contents_bottom)

    c.showPage()
    c.save()
    return buf.getvalue()
