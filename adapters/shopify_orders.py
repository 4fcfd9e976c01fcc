"""Orders from Shopify: its orders CSV export, its GraphQL Admin API, or its order webhooks.

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

**The Admin API** (GraphQL): the ``orders`` query from a date on (``status:any``), page by page
over cursors; each line item's id (kept: a refund names the units it gives back), SKU,
vendor, quantities and money bags (the shop's currency is what the desk counts in; the
presentment currency is the refund's business), the order's gateways (cash on delivery is
refunded by hand), and its refunds: those the store made in Shopify lower what is left on the
order, the desk's own (their note holds its key) are in its journal already. A line's units
are what is left after order edits (Shopify's current quantity, plus the units refunded).

**Order webhooks** (``orders/create``, ``orders/updated``) carry the order in Shopify's REST
JSON; :func:`order_from_webhook` reads it the same way, and :func:`update_order` keeps the
desk's copy current (see there).

**Delivery date.** A return window counts from delivery. The API's fulfilments say when a
parcel was delivered (``deliveredAt``, or ``displayStatus: DELIVERED``; a webhook's
``shipment_status: delivered``); the export has only ``Fulfilled at``
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
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.http_service import ErrorFamily
from adapters.shopify_client import ShopifyService
from ledger.models import LineItemRow, OrderRow
from ledger.repository import (
    cases_for_order,
    find_order,
    import_orders,
    lock_line_item,
    lock_order,
    units_in_cases,
)
from policies.models import OrderSpec, Store, normalize_email, phone_digits
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
    external_id: str | None = None


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
                        "external_id": item.external_id,
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
        "payment_gateway": field_of("Payment Method"),
    }
    return _build(where, fields, items)


# -- the Admin API (GraphQL) and order webhooks (REST JSON) ---------------------------------

# A refund the desk itself made (``adapters/shopify_payments.py`` notes its key): it is in the
# desk's own journal already, so it does not lower the order's cap a second time.
DESK_REFUND_NOTE = "ReturnBridge refund ["

_MONEY = "{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
_ADDRESS = "{ name address1 address2 city provinceCode zip countryCodeV2 phone }"
# Sizes kept small: Shopify estimates a query's cost from every ``first`` (nested ones
# multiplied) and refuses one over 1,000 points.
ORDER_FIELDS = f"""
      id legacyResourceId name email phone createdAt cancelledAt
      displayFinancialStatus currencyCode presentmentCurrencyCode sourceName
      paymentGatewayNames
      customer {{ firstName lastName email phone }}
      shippingAddress {_ADDRESS}
      billingAddress {_ADDRESS}
      totalPriceSet {_MONEY}
      lineItems(first: 50) {{
        nodes {{
          id name sku vendor quantity currentQuantity refundableQuantity
          originalUnitPriceSet {_MONEY}
          discountedTotalSet {_MONEY}
          discountAllocations {{ allocatedAmountSet {_MONEY} }}
        }}
      }}
      refunds(first: 5) {{
        note
        refundLineItems(first: 20) {{ nodes {{ lineItem {{ id }} quantity }} }}
        transactions(first: 5) {{ nodes {{ kind status amountSet {_MONEY} }} }}
      }}
      fulfillments(first: 5) {{ status displayStatus createdAt updatedAt deliveredAt }}
"""
ORDERS_QUERY = f"""
query Orders($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT, reverse: true) {{
    nodes {{ {ORDER_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""


@dataclass
class _ApiLine:
    external_id: str
    name: str
    sku: str
    vendor: str
    quantity: int  # as ordered
    units: int  # as ordered, less what an order edit removed
    paid: int  # minor units (the shop's currency) for ``quantity``, after every discount
    delivered: bool = True


@dataclass
class _ApiOrder:
    number: str
    external_id: str | None
    email: str
    phone: str
    source: str
    customer_name: str
    address: dict[str, str]
    placed: dt.datetime | None
    cancelled: bool
    financial: str
    currency: str
    gateways: list[str]
    lines: list[_ApiLine]
    refunded: int
    delivered_at: dt.datetime | None


def _bag_minor(bag: Any, currency: str, where: str) -> int:
    money = ((bag or {}).get("shopMoney") or {}) if isinstance(bag, dict) else {}
    return _minor(str(money.get("amount") or "0"), currency, where, "amount")


def _text_of(value: Any) -> str:
    return str(value or "").strip()


def _units(quantity: int, current: Any, refunded_units: int) -> int:
    """What is left of a line after an order edit: Shopify's current quantity leaves out the
    units removed and the units refunded; the refunded ones stay the line's (their money
    lowers the order's cap, or the desk counted them in its own cases)."""
    if current is None:
        return quantity
    try:
        now = int(current)
    except (TypeError, ValueError):
        return quantity
    return max(0, min(quantity, now + refunded_units))


def _from_graphql(node: dict[str, Any], currency: str, transit_days: int) -> _ApiOrder:
    number = _text_of(node.get("name")) or _text_of(node.get("legacyResourceId"))
    where = f"Shopify order {number}"
    refunded_units: dict[str, int] = {}
    refunded = 0
    for refund in node.get("refunds") or []:
        if not isinstance(refund, dict):
            continue
        for item in (refund.get("refundLineItems") or {}).get("nodes") or []:
            line_id = _text_of((item.get("lineItem") or {}).get("id"))
            refunded_units[line_id] = refunded_units.get(line_id, 0) + int(
                item.get("quantity") or 0
            )
        if DESK_REFUND_NOTE in str(refund.get("note") or ""):
            continue
        for txn in (refund.get("transactions") or {}).get("nodes") or []:
            if txn.get("kind") == "REFUND" and txn.get("status") in (None, "SUCCESS"):
                refunded += _bag_minor(txn.get("amountSet"), currency, where)
    lines = []
    for item in (node.get("lineItems") or {}).get("nodes") or []:
        quantity = int(item.get("quantity") or 0)
        line_id = _text_of(item.get("id"))
        unit = _bag_minor(item.get("originalUnitPriceSet"), currency, where)
        off = sum(
            _bag_minor(a.get("allocatedAmountSet"), currency, where)
            for a in item.get("discountAllocations") or []
            if isinstance(a, dict)
        )
        lines.append(
            _ApiLine(
                external_id=line_id.rsplit("/", 1)[-1],
                name=_text_of(item.get("name")),
                sku=_text_of(item.get("sku")),
                vendor=_text_of(item.get("vendor")),
                quantity=quantity,
                units=_units(quantity, item.get("currentQuantity"), refunded_units.get(line_id, 0)),
                paid=max(0, unit * quantity - off),
            )
        )
    address = node.get("shippingAddress") or node.get("billingAddress") or {}
    customer = node.get("customer") or {}
    delivered: list[dt.datetime] = []
    shipped: list[dt.datetime] = []
    for fulfillment in node.get("fulfillments") or []:
        if str(fulfillment.get("status") or "").upper() in ("CANCELLED", "ERROR", "FAILURE"):
            continue
        when = _when(_text_of(fulfillment.get("deliveredAt")), where, "deliveredAt")
        if when is None and str(fulfillment.get("displayStatus") or "").upper() == "DELIVERED":
            when = _when(_text_of(fulfillment.get("updatedAt")), where, "updatedAt")
        if when is not None:
            delivered.append(when)
        created = _when(_text_of(fulfillment.get("createdAt")), where, "createdAt")
        if created is not None:
            shipped.append(created)
    return _ApiOrder(
        number=number,
        external_id=_text_of(node.get("legacyResourceId")) or None,
        email=_text_of(node.get("email") or customer.get("email")),
        phone=_text_of(
            node.get("phone")
            or (node.get("shippingAddress") or {}).get("phone")
            or (node.get("billingAddress") or {}).get("phone")
            or customer.get("phone")
        ),
        source=_text_of(node.get("sourceName")),
        customer_name=_text_of(address.get("name"))
        or " ".join(_text_of(customer.get(k)) for k in ("firstName", "lastName")).strip(),
        address={
            "address1": _text_of(address.get("address1")),
            "address2": _text_of(address.get("address2")),
            "city": _text_of(address.get("city")),
            "province": _text_of(address.get("provinceCode")),
            "zip": _text_of(address.get("zip")),
            "country": _text_of(address.get("countryCodeV2")).upper(),
        },
        placed=_when(_text_of(node.get("createdAt")), where, "createdAt"),
        cancelled=bool(node.get("cancelledAt")),
        financial=_text_of(node.get("displayFinancialStatus")).lower(),
        currency=_text_of(node.get("currencyCode")).upper() or currency,
        gateways=[str(g) for g in node.get("paymentGatewayNames") or []],
        lines=lines,
        refunded=refunded,
        delivered_at=max(delivered)
        if delivered
        else (max(shipped) + dt.timedelta(days=transit_days) if shipped else None),
    )


def _from_rest(payload: dict[str, Any], currency: str, transit_days: int) -> _ApiOrder:
    """An order in Shopify's REST JSON (the ``orders/create`` and ``orders/updated`` webhook
    payloads): amounts as decimal strings in the shop's currency."""
    number = _text_of(payload.get("name")) or _text_of(payload.get("order_number"))
    where = f"Shopify order {number}"
    refunded_units: dict[str, int] = {}
    refunded = 0
    for refund in payload.get("refunds") or []:
        if not isinstance(refund, dict):
            continue
        for item in refund.get("refund_line_items") or []:
            line_id = _text_of(item.get("line_item_id"))
            refunded_units[line_id] = refunded_units.get(line_id, 0) + int(
                item.get("quantity") or 0
            )
        if DESK_REFUND_NOTE in str(refund.get("note") or ""):
            continue
        for txn in refund.get("transactions") or []:
            if txn.get("kind") == "refund" and txn.get("status") in (None, "success"):
                refunded += _minor(_text_of(txn.get("amount")) or "0", currency, where, "refund")
    lines = []
    for item in payload.get("line_items") or []:
        if not isinstance(item, dict):
            continue
        quantity = int(item.get("quantity") or 0)
        line_id = _text_of(item.get("id"))
        price = _minor(_text_of(item.get("price")) or "0", currency, where, "price")
        off = _minor(_discount(item, currency), currency, where, "discount")
        lines.append(
            _ApiLine(
                external_id=line_id,
                name=_text_of(item.get("name") or item.get("title")),
                sku=_text_of(item.get("sku")),
                vendor=_text_of(item.get("vendor")),
                quantity=quantity,
                units=_units(
                    quantity, item.get("current_quantity"), refunded_units.get(line_id, 0)
                ),
                paid=max(0, price * quantity - off),
                # A line of a partly shipped order is not delivered with the order's parcel.
                delivered=item.get("fulfillment_status") in ("fulfilled", "partial")
                or not payload.get("fulfillments"),
            )
        )
    address = payload.get("shipping_address") or payload.get("billing_address") or {}
    customer = payload.get("customer") or {}
    delivered: list[dt.datetime] = []
    shipped: list[dt.datetime] = []
    for fulfillment in payload.get("fulfillments") or []:
        if not isinstance(fulfillment, dict) or fulfillment.get("status") in (
            "cancelled",
            "error",
            "failure",
        ):
            continue
        if fulfillment.get("shipment_status") == "delivered":
            when = _when(_text_of(fulfillment.get("updated_at")), where, "updated_at")
            if when is not None:
                delivered.append(when)
        created = _when(_text_of(fulfillment.get("created_at")), where, "created_at")
        if created is not None:
            shipped.append(created)
    return _ApiOrder(
        number=number,
        external_id=_text_of(payload.get("id")) or None,
        email=_text_of(payload.get("email") or payload.get("contact_email")),
        phone=_text_of(
            payload.get("phone")
            or (payload.get("shipping_address") or {}).get("phone")
            or (payload.get("billing_address") or {}).get("phone")
        ),
        source=_text_of(payload.get("source_name")),
        customer_name=_text_of(address.get("name"))
        or " ".join(_text_of(customer.get(k)) for k in ("first_name", "last_name")).strip(),
        address={
            "address1": _text_of(address.get("address1")),
            "address2": _text_of(address.get("address2")),
            "city": _text_of(address.get("city")),
            "province": _text_of(address.get("province_code")),
            "zip": _text_of(address.get("zip")),
            "country": _text_of(address.get("country_code")).upper(),
        },
        placed=_when(_text_of(payload.get("created_at")), where, "created_at"),
        cancelled=bool(payload.get("cancelled_at")),
        financial=_text_of(payload.get("financial_status")).lower(),
        currency=_text_of(payload.get("currency")).upper() or currency,
        gateways=[str(g) for g in payload.get("payment_gateway_names") or []],
        lines=lines,
        refunded=refunded,
        delivered_at=max(delivered)
        if delivered
        else (max(shipped) + dt.timedelta(days=transit_days) if shipped else None),
    )


def _spec(
    order: _ApiOrder, store: Store, names: Mapping[str, str], result: OrdersRead
) -> OrderSpec | None:
    number, where = order.number, f"Shopify order {order.number}"
    if order.cancelled:
        result.skipped.append(f"{number}: cancelled")
        return None
    if order.financial in SKIPPED_FINANCIAL:
        result.skipped.append(f"{number}: financial status {order.financial}")
        return None
    currency = store.policy.currency
    if order.currency != currency:
        raise ShopifyOrdersError(
            f"{where}: the order is in {order.currency}, the store in {currency}"
        )
    items = []
    for line in order.lines:
        if line.quantity < 1 or line.units < 1:
            continue  # edited away
        supplier = _supplier(line.vendor, names)
        if not supplier:
            result.vendor_unknown(line.vendor, number)
        paid = round_half_up(Fraction(line.paid * line.units, line.quantity))
        items.append(
            _Item(
                sku=line.sku or line.name,
                name=line.name,
                price=_money(round_half_up(Fraction(paid, line.units)), currency),
                quantity=line.units,
                supplier=supplier,
                vendor=line.vendor or NO_VENDOR,
                paid=_money(paid, currency),
                delivered=line.delivered,
                external_id=line.external_id or None,
            )
        )
    if not items:
        result.skipped.append(f"{number}: no line items")
        return None
    country = order.address["country"]
    if not country:
        raise ShopifyOrdersError(f"{where}: no shipping country")
    if order.placed is None:
        raise ShopifyOrdersError(f"{where}: no creation date")
    if not order.email and len(phone_digits(order.phone)) < 8:
        result.skipped.append(f"{number}: no email and no phone")
        return None
    paid_total = sum(parse_amount(item.paid, currency) for item in items)
    fields = {
        "number": number,
        "email": order.email,
        "phone": order.phone,
        "channel": channel_from_source(order.source, store.policy),
        "customer_name": order.customer_name,
        "country": country,
        "shipping_address": _address(
            order.address["address1"],
            order.address["address2"],
            order.address["city"],
            order.address["province"],
            order.address["zip"],
            country,
        ),
        "placed_at": order.placed,
        "delivered_at": order.delivered_at,
        "external_id": order.external_id,
        "payment_gateway": ", ".join(order.gateways),
        "refunded": _money(min(max(0, order.refunded), paid_total), currency),
    }
    return _build(where, fields, items)


def order_from_webhook(
    payload: dict[str, Any], store: Store, *, transit_days: int = 0
) -> tuple[OrderSpec | None, OrdersRead]:
    """An ``orders/create`` or ``orders/updated`` payload as an order (None when it is skipped:
    cancelled, not paid, nothing left on it; the report says why)."""
    result = OrdersRead()
    order = _from_rest(payload, store.policy.currency, transit_days)
    spec = _spec(order, store, supplier_lookup(store), result)
    return spec, result


class ShopifyOrders(ShopifyService):
    """Reads recent orders through the GraphQL Admin API (``orders`` with cursor pages)."""

    FAMILY = FAMILY
    # Shopify refuses a query estimated over 1,000 points; nested connections multiply (an
    # order here asks for 50 line items and 5 refunds of 20 lines each), so a page is small.
    PAGE_SIZE = 5

    def recent(self, store: Store, *, since: dt.datetime, transit_days: int = 0) -> OrdersRead:
        """Orders created since ``since`` (any status), as orders for this store."""
        names = supplier_lookup(store)
        result = OrdersRead()
        stamp = since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for node in self.admin.connection(
            ORDERS_QUERY,
            {"first": self.PAGE_SIZE, "query": f"created_at:>='{stamp}' status:any"},
            ("orders",),
            what="reading orders",
        ):
            number = _text_of(node.get("name")) or _text_of(node.get("legacyResourceId"))
            try:
                order = _from_graphql(node, store.policy.currency, transit_days)
                spec = _spec(order, store, names, result)
            except ShopifyOrdersError as error:
                result.skipped.append(f"{number}: {error}")
                continue
            if spec is not None:
                result.orders.append(spec)
        return result


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


def update_order(session: Session, spec: OrderSpec, currency: str) -> str:
    """Bring the desk's copy of an order up to date (an order webhook): a new order is added,
    an order without return cases replaced; an order with cases is changed in place so its
    cases keep their line items. There a line keeps at least the units its cases hold (units
    already returned keep their count); an order edited to fewer units lowers what is left
    to return, and a line edited away entirely keeps only what its cases hold. Returns what
    was done, in words."""
    number = spec.number.strip().lstrip("#")
    existing = find_order(session, spec.number)
    if existing is None:
        import_orders(session, [spec], currency)
        return f"order #{number} added"
    if not cases_for_order(session, existing.id):
        import_orders(session, [spec], currency)
        return f"order #{number} updated"
    # The same lock order as every refund: line items first, then their order.
    rows = list(existing.items)
    for row in rows:
        lock_line_item(session, row.id)
    order = lock_order(session, existing.id)
    order.email = normalize_email(spec.email) or order.email
    order.phone = spec.phone.strip() or order.phone
    order.customer_name = spec.customer_name or order.customer_name
    order.shipping_address = spec.shipping_address or order.shipping_address
    order.country = spec.country.upper()
    order.delivered_at = spec.delivered_at or order.delivered_at
    order.external_id = spec.external_id or order.external_id
    order.payment_gateway = spec.payment_gateway.strip()[:200] or order.payment_gateway
    order.refunded_before_minor = parse_amount(spec.refunded, currency)
    by_id = {row.external_id: row for row in rows if row.external_id}
    by_sku = {row.sku: row for row in rows if not row.external_id}
    seen: set[int] = set()
    position = max((row.position for row in rows), default=0)
    changed: list[str] = []
    for item in spec.items:
        match = by_id.get(item.external_id or "") or by_sku.get(item.sku)
        price = parse_amount(item.price, currency)
        paid = parse_amount(item.paid, currency) if item.paid is not None else price * item.quantity
        if match is None:
            position += 1
            order.items.append(
                LineItemRow(
                    position=position,
                    sku=item.sku,
                    name=item.name or item.sku,
                    unit_price_minor=price,
                    quantity=item.quantity,
                    supplier_id=item.supplier.strip(),
                    vendor=item.vendor.strip(),
                    final_sale=item.final_sale,
                    paid_minor=paid,
                    delivered=item.delivered,
                    external_id=item.external_id,
                )
            )
            changed.append(f"{item.sku} added")
            continue
        row = match
        seen.add(row.id)
        held = units_in_cases(session, row.id)
        if item.quantity != row.quantity:
            changed.append(f"{row.sku} {row.quantity} -> {max(item.quantity, held)}")
        if item.quantity >= held:
            row.quantity, row.unit_price_minor, row.paid_minor = item.quantity, price, paid
        else:  # cases hold more than Shopify now counts: they keep theirs
            row.quantity = held
        row.external_id = item.external_id or row.external_id
        row.delivered = item.delivered or row.delivered
        row.supplier_id = item.supplier.strip() or row.supplier_id
        row.vendor = item.vendor.strip() or row.vendor
    for row in rows:
        if row.id in seen:
            continue
        held = units_in_cases(session, row.id)
        if held != row.quantity:
            changed.append(f"{row.sku} {row.quantity} -> {held}")
        row.quantity = held
    session.flush()
    what = f" ({'; '.join(changed)})" if changed else ""
    return f"order #{number} updated in place, its return cases kept{what}"


def record_fulfillment(session: Session, payload: dict[str, Any], *, transit_days: int = 0) -> str:
    """A ``fulfillments/create`` (or ``fulfillments/update``) payload: its lines are shipped,
    and the order counts as delivered when the carrier says so (else at the fulfilment's date
    plus ``transit_days``, unless a delivery date is known already)."""
    order_id = str(payload.get("order_id") or "").strip()
    order = (
        session.execute(select(OrderRow).where(OrderRow.external_id == order_id)).scalars().first()
        if order_id
        else None
    )
    if order is None:
        return f"fulfilment of Shopify order {order_id or '?'}: not an order known here"
    if str(payload.get("status") or "").lower() in ("cancelled", "error", "failure"):
        return f"fulfilment of order #{order.display_number} {payload.get('status')}: nothing"
    where = f"Shopify fulfilment of order #{order.display_number}"
    if payload.get("shipment_status") == "delivered":
        order.delivered_at = _when(str(payload.get("updated_at") or ""), where, "updated_at")
    elif order.delivered_at is None:
        created = _when(str(payload.get("created_at") or ""), where, "created_at")
        order.delivered_at = created + dt.timedelta(days=transit_days) if created else None
    shipped = {str(line.get("id")) for line in payload.get("line_items") or [] if line}
    for row in order.items:
        if row.external_id in shipped:
            row.delivered = True
    session.flush()
    return f"order #{order.display_number} fulfilled ({len(shipped)} line(s))"


# A webhook order in one of these states has nothing left to give back.
_CLOSED_FINANCIAL = frozenset({"refunded", "voided"})


def close_order(session: Session, payload: dict[str, Any]) -> str | None:
    """An ``orders/updated`` payload of an order cancelled, voided or refunded in full in
    Shopify: the desk's copy keeps its cases, and nothing more can be refunded on it (what
    was given back before covers all it paid). None when the payload is not such an order or
    the desk does not know it."""
    cancelled = bool(payload.get("cancelled_at"))
    status = str(payload.get("financial_status") or "").lower()
    if not cancelled and status not in _CLOSED_FINANCIAL:
        return None
    number = str(payload.get("name") or payload.get("order_number") or "").strip()
    existing = find_order(session, number) if number else None
    if existing is None:
        return None
    rows = list(existing.items)
    for row in rows:
        lock_line_item(session, row.id)
    order = lock_order(session, existing.id)
    order.refunded_before_minor = sum(row.paid_total_minor for row in rows)
    session.flush()
    why = "cancelled" if cancelled else status
    return f"order #{order.display_number} {why} in Shopify: nothing more can be refunded on it"
