"""Orders from Shopify: its orders CSV export, or its Admin REST API.

**The export** (Admin → Orders → Export, "CSV for Excel, Numbers, or other spreadsheet
programs") has one row per line item; an order's first row carries the order's fields
(``Email``, ``Financial Status``, ``Created at``, ``Fulfilled at``, ``Subtotal``, ``Shipping …``,
``Currency``, ``Refunded Amount``, ``Phone``, ``Id``) and its other rows only ``Name`` and the
``Lineitem …`` columns. A file re-saved by a spreadsheet (Windows-1252, semicolons, decimal
commas, a byte order mark) is read the same.

**Money paid per line.** Each line's ``Lineitem discount`` comes off that line; what remains of
the order's discounts (the lines' total less ``Subtotal``: a discount code at order level) is
spread over the lines in proportion to their amounts, rounded half up, the remainder of the
rounding on the largest line, so the lines add up to ``Subtotal``. The line keeps what it paid
(its refund cap); its unit price is that over its units, rounded half up. ``Refunded Amount``
(a ``partially_refunded`` order) lowers what can still be given back on the order.

**Suppliers.** Each line's ``Vendor`` is matched to a supplier agreement by id, by name, or
through the policy's ``vendors:`` map (ignoring case). A vendor that matches none does not stop
the import: the line comes in without a supplier (its returns go to the owner, naming the
vendor) and the vendor is named in the import's report.

**Customers.** An order without e-mail (cash on delivery) comes in with its phone (``Phone``,
else ``Shipping Phone``, else ``Billing Phone``); its customer identifies with the order number
and that phone. The order's country is ``Shipping Country`` (else ``Billing Country``).

**The Admin API**: ``GET /admin/api/{version}/orders.json?status=any`` from a date on, page by
page; each line item's ``vendor`` the same way.

**Delivery date.** A return window counts from delivery. The API's fulfilment events say when
a parcel was delivered (``shipment_status: delivered``); the export has only ``Fulfilled at``
(when it shipped), so then delivery is taken as the fulfilment date plus ``transit_days``
(default 0: the window starts when the parcel left); a line whose ``Lineitem fulfillment
status`` says it was not shipped (``pending``) is not delivered with it. An unfulfilled order
is imported without a delivery date (it can be returned once a later import or sync finds it
delivered).

**Skipped** (named in the report with the reason): cancelled orders, orders whose financial
status is ``pending``, ``authorized``, ``voided``, ``expired`` or ``refunded`` (nothing paid, or
all paid back), and an order whose rows cannot be read (a bad date or quantity, another
currency, no e-mail and no phone). Only a file that is not an orders export stops the import.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from adapters.http_service import ErrorFamily
from adapters.shopify_client import ShopifyService
from ledger.repository import cases_for_order, find_order, import_orders
from policies.models import OrderSpec, Store, phone_digits
from policies.money import Money, MoneyError, exponent, parse_amount, round_half_up
from tools.marketplace import channel_from_source
from tools.service_errors import OrdersAuthFailed, OrdersRejected, OrdersUnavailable

SKIPPED_FINANCIAL = frozenset({"pending", "authorized", "voided", "expired", "refunded"})
REQUIRED_COLUMNS = (
    "Name",
    "Email",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Vendor",
)
FAMILY = ErrorFamily(
    service="Shopify",
    unavailable=OrdersUnavailable,
    auth=OrdersAuthFailed,
    rejected=OrdersRejected,
)
NO_VENDOR = "(no vendor)"


class ShopifyOrdersError(ValueError):
    """An export or an API order that cannot become orders here."""


@dataclass
class OrdersRead:
    orders: list[OrderSpec] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "#1004: cancelled"
    # Vendors that matched no supplier agreement -> the orders with such lines.
    unknown_vendors: dict[str, list[str]] = field(default_factory=dict)

    def vendor_unknown(self, vendor: str, number: str) -> None:
        orders = self.unknown_vendors.setdefault(vendor.strip() or NO_VENDOR, [])
        if number not in orders:
            orders.append(number)

    def report(self) -> list[str]:
        """The lines the import ends with, after the count of orders written."""
        lines = []
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)}: {'; '.join(self.skipped)}")
        if self.unknown_vendors:
            named = "; ".join(
                f"{vendor} (orders {', '.join(orders)})"
                for vendor, orders in sorted(self.unknown_vendors.items())
            )
            lines.append(
                f"vendors without a supplier ({len(self.unknown_vendors)}): {named}. Their "
                "returns go to your review; map them in the policy's vendors: to a supplier."
            )
        return lines


@dataclass(frozen=True)
class _Item:
    sku: str
    name: str
    price: str
    quantity: int
    supplier: str
    vendor: str
    paid: str
    delivered: bool = True


# A line the store has not shipped (the order's other lines may have been).
UNSHIPPED = frozenset({"pending", "unfulfilled", "not fulfilled", "restocked"})


def supplier_lookup(store: Store) -> dict[str, str]:
    """Vendor text (lower case) → supplier id: each agreement's id and name, then the policy's
    ``vendors:`` map (which wins: the owner wrote it for this very purpose)."""
    names: dict[str, str] = {}
    for agreement in store.suppliers.values():
        names[agreement.id.strip().lower()] = agreement.id
        names[agreement.name.strip().lower()] = agreement.id
    for vendor, supplier in store.policy.vendors.items():
        names[vendor.strip().lower()] = supplier
    return names


def _supplier(vendor: str, names: Mapping[str, str]) -> str:
    """The supplier id for a vendor, or "" when it matches none."""
    return names.get(vendor.strip().lower(), "") if vendor.strip() else ""


def _when(text: str, where: str, column: str, *, day_first: bool = False) -> dt.datetime | None:
    value = text.strip()
    if not value:
        return None
    patterns = ["%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
    # A spreadsheet re-saving the file writes dates its own way, without the time zone.
    slashed = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S"]
    patterns += ["%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S"]
    patterns += slashed if day_first else slashed[2:] + slashed[:2]
    for pattern in patterns:
        try:
            parsed = dt.datetime.strptime(value, pattern)
        except ValueError:
            continue
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ShopifyOrdersError(f"{where}: {column}: {value!r} is not a date and time") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


_DECIMAL_COMMA = re.compile(r"^-?[\d.\s]*,\d{1,2}$")


def _minor(text: str, currency: str, where: str, column: str) -> int:
    """An amount cell in minor units; ``1.400,00`` and ``1400,00`` (a spreadsheet in a
    decimal-comma locale) read as 1400.00, never as 140000."""
    value = text.strip().replace("\u00a0", "").lstrip("$€£¥")
    if not value:
        return 0
    if _DECIMAL_COMMA.match(value):
        value = value.replace(".", "").replace(" ", "").replace(",", ".")
    try:
        return parse_amount(value, currency)
    except MoneyError as exc:
        raise ShopifyOrdersError(f"{where}: {column}: {exc}") from None


def spread_discount(amounts: list[int], off: int) -> list[int]:
    """Take ``off`` from the lines in proportion to their amounts, rounded half up, the
    remainder of the rounding on the largest line: 600.00 and 1,400.00 less 400.00 are 480.00
    and 1,120.00."""
    total = sum(amounts)
    if off <= 0 or total <= 0:
        return list(amounts)
    off = min(off, total)
    shares = [round_half_up(Fraction(amount * off, total)) for amount in amounts]
    largest = max(range(len(amounts)), key=lambda i: amounts[i])
    shares[largest] += off - sum(shares)
    return [amount - share for amount, share in zip(amounts, shares, strict=True)]


def _money(minor: int, currency: str) -> str:
    return Money(minor=minor, currency=currency).amount_str()


def _address(
    address1: str, address2: str, city: str, province: str, postcode: str, country: str
) -> str:
    postcode = postcode.strip().lstrip("'")  # spreadsheets keep leading zeros with a quote
    locality = " ".join(part for part in (province.strip(), postcode) if part)
    parts = [address1, address2, city, locality, country]
    return ", ".join(part.strip() for part in parts if part and part.strip())


def _build(where: str, fields: dict[str, Any], items: list[_Item]) -> OrderSpec:
    try:
        return OrderSpec.model_validate(
            {
                **fields,
                "items": [
                    {
                        "sku": item.sku,
                        "name": item.name,
                        "price": item.price,
                        "quantity": item.quantity,
                        "supplier": item.supplier,
                        "vendor": item.vendor,
                        "paid": item.paid,
                        "delivered": item.delivered,
                    }
                    for item in items
                ],
            }
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}"
            for problem in exc.errors()
        )
        raise ShopifyOrdersError(f"{where}: {problems}") from None


# -- the CSV export -------------------------------------------------------------------------


def decode_export(data: bytes) -> str:
    """The file's text: UTF-8 (with or without a byte order mark), else Windows-1252, the
    encoding a spreadsheet on Windows saves "CSV" in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    """Comma, or the semicolon (or tab) a spreadsheet in many locales saves with: whichever
    splits the header line into the export's columns."""
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def read_orders_csv(
    source: str | bytes | Path, store: Store, *, transit_days: int = 0, name: str | None = None
) -> OrdersRead:
    """Read a Shopify orders export (a path, its bytes, or its text) into orders."""
    if isinstance(source, Path):
        try:
            text = decode_export(source.read_bytes())
        except FileNotFoundError:
            raise ShopifyOrdersError(f"{source}: file not found") from None
        except IsADirectoryError:
            raise ShopifyOrdersError(f"{source}: a folder, not a file") from None
        label = name or str(source)
    elif isinstance(source, bytes):
        text, label = decode_export(source), name or "the export"
    else:
        text, label = source, name or "the export"
    text = text.lstrip("\ufeff")
    delimiter = _delimiter(text)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [column.strip().lstrip("\ufeff") for column in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ShopifyOrdersError(
            f"{label}: not a Shopify orders export: missing column(s) {', '.join(missing)} "
            f"(read as {'semicolon' if delimiter == ';' else 'comma'}-separated; found "
            f"{', '.join(header[:6]) or 'no header'}{', …' if len(header) > 6 else ''})"
        )
    names = supplier_lookup(store)
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    result = OrdersRead()
    for index, raw in enumerate(reader, start=2):  # record 1 is the header
        # Cells past the header (a spreadsheet's trailing separators) come under None.
        row = {
            key.strip(): (value or "").strip()
            for key, value in raw.items()
            if isinstance(key, str) and not isinstance(value, list)
        }
        number = row.get("Name", "")
        if not number:
            if any(row.values()):  # a line item with no order to belong to: said, not lost
                result.skipped.append(f"row {index}: no order Name, left out")
            continue  # a blank line a spreadsheet left
        groups.setdefault(number, []).append((index, row))
    for number, rows in groups.items():
        where = f"{label}: row {rows[0][0]} (order {number})"
        try:
            spec = _order_from_rows(
                number, rows, store, names, result, label, transit_days, delimiter == ";"
            )
        except ShopifyOrdersError as error:
            result.skipped.append(f"{number}: {str(error).removeprefix(label + ': ')}")
            continue
        except ValueError as error:  # anything else a row can say wrong, named with the row
            result.skipped.append(f"{number}: {where}: {error}")
            continue
        if spec is not None:
            result.orders.append(spec)
    return result


def _order_from_rows(
    number: str,
    rows: list[tuple[int, dict[str, str]]],
    store: Store,
    names: Mapping[str, str],
    result: OrdersRead,
    label: str,
    transit_days: int,
    day_first: bool,
) -> OrderSpec | None:
    where = f"{label}: row {rows[0][0]} (order {number})"

    def field_of(column: str) -> str:
        return next((row[column] for _, row in rows if row.get(column)), "")

    if field_of("Cancelled at"):
        result.skipped.append(f"{number}: cancelled")
        return None
    status = field_of("Financial Status").lower()
    if status in SKIPPED_FINANCIAL:
        result.skipped.append(f"{number}: financial status {status}")
        return None
    currency = store.policy.currency
    order_currency = field_of("Currency").upper()
    if order_currency and order_currency != currency:
        raise ShopifyOrdersError(
            f"{where}: Currency: the order is in {order_currency}, the store in {currency}"
        )
    lines: list[tuple[int, dict[str, str], int, int]] = []  # row, cells, quantity, amount
    for index, row in rows:
        item_where = f"{label}: row {index} (order {number})"
        try:
            quantity = int(row.get("Lineitem quantity") or "0")
        except ValueError:
            raise ShopifyOrdersError(
                f"{item_where}: Lineitem quantity: {row.get('Lineitem quantity')!r} is "
                "not a whole number"
            ) from None
        if quantity < 1:
            raise ShopifyOrdersError(f"{item_where}: Lineitem quantity must be at least 1")
        price = _minor(row.get("Lineitem price", ""), currency, item_where, "Lineitem price")
        off = _minor(row.get("Lineitem discount", ""), currency, item_where, "Lineitem discount")
        lines.append((index, row, quantity, max(0, price * quantity - off)))
    amounts = [amount for *_, amount in lines]
    subtotal_text = field_of("Subtotal")
    if subtotal_text:
        order_off = sum(amounts) - _minor(subtotal_text, currency, where, "Subtotal")
    else:  # no Subtotal: the order's Discount Amount less what the lines took themselves
        total_off = _minor(field_of("Discount Amount"), currency, where, "Discount Amount")
        line_off = sum(
            _minor(row.get("Lineitem discount", ""), currency, where, "Lineitem discount")
            for _, row, _, _ in lines
        )
        order_off = total_off - line_off
    paid = spread_discount(amounts, order_off)
    items = []
    for (_, row, quantity, _), line_paid in zip(lines, paid, strict=True):
        item_name = row.get("Lineitem name", "")
        vendor = row.get("Vendor", "")
        supplier = _supplier(vendor, names)
        if not supplier:
            result.vendor_unknown(vendor, number)
        items.append(
            _Item(
                sku=row.get("Lineitem sku") or item_name,
                name=item_name,
                price=_money(round_half_up(Fraction(line_paid, quantity)), currency),
                quantity=quantity,
                supplier=supplier,
                vendor=vendor.strip() or NO_VENDOR,
                paid=_money(line_paid, currency),
                delivered=row.get("Lineitem fulfillment status", "").lower() not in UNSHIPPED,
            )
        )
    placed = _when(field_of("Created at"), where, "Created at", day_first=day_first) or _when(
        field_of("Paid at"), where, "Paid at", day_first=day_first
    )
    if placed is None:
        raise ShopifyOrdersError(f"{where}: neither Created at nor Paid at is set")
    fulfilled = _when(field_of("Fulfilled at"), where, "Fulfilled at", day_first=day_first)
    prefix = "Shipping" if field_of("Shipping Address1") else "Billing"
    country = (field_of("Shipping Country") or field_of("Billing Country")).upper()
    if not country:
        raise ShopifyOrdersError(f"{where}: no Shipping Country (or Billing Country)")
    email = field_of("Email")
    phone = field_of("Phone") or field_of("Shipping Phone") or field_of("Billing Phone")
    phone = phone.lstrip("'")  # a spreadsheet keeps a leading + or 0 with a quote
    if not email and len(phone_digits(phone)) < 8:
        raise ShopifyOrdersError(
            f"{where}: no Email and no Phone (nor Shipping or Billing Phone): the customer "
            "could not identify"
        )
    refunded = _minor(field_of("Refunded Amount"), currency, where, "Refunded Amount")
    fields = {
        "number": number,
        "email": email,
        "phone": phone,
        "channel": channel_from_source(field_of("Source"), store.policy),
        "customer_name": field_of("Shipping Name") or field_of("Billing Name"),
        "country": country,
        "shipping_address": _address(
            field_of(f"{prefix} Address1"),
            field_of(f"{prefix} Address2"),
            field_of(f"{prefix} City"),
            field_of(f"{prefix} Province"),
            field_of(f"{prefix} Zip"),
            country,
        ),
        "placed_at": placed,
        "delivered_at": fulfilled + dt.timedelta(days=transit_days) if fulfilled else None,
        "external_id": field_of("Id") or None,
        "refunded": _money(min(max(0, refunded), sum(paid)), currency),
    }
    return _build(where, fields, items)


# -- the Admin API --------------------------------------------------------------------------


class ShopifyOrders(ShopifyService):
    """Reads recent orders from the Admin REST API."""

    FAMILY = FAMILY

    def recent(self, store: Store, *, since: dt.datetime, transit_days: int = 0) -> OrdersRead:
        """Orders created since ``since`` (any status), as orders for this store."""
        names = supplier_lookup(store)
        result = OrdersRead()
        for order in self.admin.pages(
            "orders.json",
            "orders",
            what="reading orders",
            params={
                "status": "any",
                "limit": 250,
                "created_at_min": since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        ):
            spec = self._order(order, store, names, transit_days, result)
            if spec is not None:
                result.orders.append(spec)
        return result

    def _order(
        self,
        order: dict[str, Any],
        store: Store,
        names: Mapping[str, str],
        transit_days: int,
        result: OrdersRead,
    ) -> OrderSpec | None:
        number = str(order.get("name") or order.get("order_number") or order.get("id"))
        where = f"Shopify order {number}"
        if order.get("cancelled_at"):
            result.skipped.append(f"{number}: cancelled")
            return None
        status = str(order.get("financial_status") or "").lower()
        if status in SKIPPED_FINANCIAL:
            result.skipped.append(f"{number}: financial status {status}")
            return None
        currency = store.policy.currency
        if str(order.get("currency") or currency).upper() != currency:
            raise ShopifyOrdersError(
                f"{where}: the order is in {order.get('currency')}, the store in {currency}"
            )
        items = []
        for line in order.get("line_items") or []:
            if not isinstance(line, dict):
                continue
            quantity = int(line.get("quantity") or 0)
            if quantity < 1:
                continue
            item_name = str(line.get("name") or line.get("title") or "")
            # The API allocates order-level discounts to the lines already.
            price = _minor(str(line.get("price") or "0"), currency, where, "price")
            off = _minor(_discount(line, currency), currency, where, "discount")
            line_paid = max(0, price * quantity - off)
            vendor = str(line.get("vendor") or "")
            supplier = _supplier(vendor, names)
            if not supplier:
                result.vendor_unknown(vendor, number)
            items.append(
                _Item(
                    sku=str(line.get("sku") or "") or item_name,
                    name=item_name,
                    price=_money(round_half_up(Fraction(line_paid, quantity)), currency),
                    quantity=quantity,
                    supplier=supplier,
                    vendor=vendor.strip() or NO_VENDOR,
                    paid=_money(line_paid, currency),
                )
            )
        if not items:
            result.skipped.append(f"{number}: no line items")
            return None
        address = order.get("shipping_address") or order.get("billing_address") or {}
        customer = order.get("customer") or {}
        country = str(address.get("country_code") or "").upper()
        if not country:
            raise ShopifyOrdersError(f"{where}: no shipping country")
        name = str(address.get("name") or "").strip() or " ".join(
            str(part) for part in (customer.get("first_name"), customer.get("last_name")) if part
        )
        placed = _when(str(order.get("created_at") or ""), where, "created_at")
        if placed is None:
            raise ShopifyOrdersError(f"{where}: no created_at")
        phone = str(
            order.get("phone")
            or (order.get("shipping_address") or {}).get("phone")
            or (order.get("billing_address") or {}).get("phone")
            or ""
        )
        fields = {
            "number": number,
            "email": str(order.get("email") or order.get("contact_email") or ""),
            "phone": phone,
            "channel": channel_from_source(str(order.get("source_name") or ""), store.policy),
            "customer_name": name,
            "country": country,
            "shipping_address": _address(
                str(address.get("address1") or ""),
                str(address.get("address2") or ""),
                str(address.get("city") or ""),
                str(address.get("province_code") or ""),
                str(address.get("zip") or ""),
                country,
            ),
            "placed_at": placed,
            "delivered_at": self._delivered_at(order, where, transit_days),
            "external_id": str(order.get("id")) if order.get("id") is not None else None,
        }
        refunded = _refunded(order, currency, where)
        if refunded:
            paid_total = sum(parse_amount(item.paid, currency) for item in items)
            fields["refunded"] = _money(min(refunded, paid_total), currency)
        if not fields["email"] and len(phone_digits(phone)) < 8:
            result.skipped.append(f"{number}: no email and no phone")
            return None
        return _build(where, fields, items)

    def _delivered_at(
        self, order: dict[str, Any], where: str, transit_days: int
    ) -> dt.datetime | None:
        fulfillments = [
            f
            for f in order.get("fulfillments") or []
            if isinstance(f, dict) and f.get("status") not in ("cancelled", "error", "failure")
        ]
        if not fulfillments:
            return None
        delivered: list[dt.datetime] = []
        for fulfillment in fulfillments:
            if fulfillment.get("shipment_status") != "delivered":
                continue
            body, _ = self.admin.request(
                "GET",
                f"orders/{order.get('id')}/fulfillments/{fulfillment.get('id')}/events.json",
                what=f"reading the delivery of order {order.get('name')}",
            )
            happened = [
                _when(str(event.get("happened_at") or ""), where, "happened_at")
                for event in body.get("fulfillment_events") or []
                if isinstance(event, dict) and event.get("status") == "delivered"
            ]
            when = max((h for h in happened if h is not None), default=None)
            fallback = _when(str(fulfillment.get("updated_at") or ""), where, "updated_at")
            if when or fallback:
                delivered.append(when or fallback)  # type: ignore[arg-type]
        if delivered:
            return max(delivered)
        shipped = [_when(str(f.get("created_at") or ""), where, "created_at") for f in fulfillments]
        latest = max((s for s in shipped if s is not None), default=None)
        return latest + dt.timedelta(days=transit_days) if latest else None


def _refunded(order: dict[str, Any], currency: str, where: str) -> int:
    """What the order's refunds already paid back (their successful refund transactions)."""
    total = 0
    for refund in order.get("refunds") or []:
        if not isinstance(refund, dict):
            continue
        for transaction in refund.get("transactions") or []:
            if (
                isinstance(transaction, dict)
                and transaction.get("kind") == "refund"
                and transaction.get("status") in (None, "success")
            ):
                total += _minor(str(transaction.get("amount") or "0"), currency, where, "refund")
    return total


def _discount(line: dict[str, Any], currency: str) -> str:
    """The line's discount: its discount allocations, else ``total_discount``."""
    allocations = [a for a in line.get("discount_allocations") or [] if isinstance(a, dict)]
    if allocations:
        total = Decimal(0)
        for allocation in allocations:
            try:
                total += Decimal(str(allocation.get("amount") or "0"))
            except InvalidOperation:
                continue
        return f"{total:.{exponent(currency)}f}"
    return str(line.get("total_discount") or "")


# -- writing --------------------------------------------------------------------------------


@dataclass
class Imported:
    written: int
    kept: list[str]  # orders left as they were because they already have return cases


def store_orders(session: Session, orders: Iterable[OrderSpec], currency: str) -> Imported:
    """Insert or replace each order by number; an order that already has return cases is
    kept as it is (and named) instead of stopping the import."""
    written = 0
    kept: list[str] = []
    for spec in orders:
        existing = find_order(session, spec.number)
        if existing is not None and cases_for_order(session, existing.id):
            kept.append(spec.number)
            continue
        written += import_orders(session, [spec], currency)
    return Imported(written=written, kept=kept)
